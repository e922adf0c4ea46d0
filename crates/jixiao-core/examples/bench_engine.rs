//! A bench command: scores 5,000 units × 200 indicators × 4 quarters, then changes single
//! values, and prints throughput, latency percentiles and peak memory (VmHWM).
//!
//! cargo run --release -p jixiao-core --example bench_engine [UNITS INDICATORS] [--full-only]

use jixiao_core::Decimal;
use jixiao_core::doc::SourceText;
use jixiao_core::engine::Scoring;
use jixiao_core::model::Model;
use jixiao_core::synth::{Rng, Spec, fill, quarters, scheme_and_org};
use jixiao_core::values::Values;
use std::time::Instant;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let spec = Spec {
        units: *args.first().unwrap_or(&5_000),
        indicators: *args.get(1).unwrap_or(&200),
        classes: 4,
        seed: 7,
        missing_per_mille: 0,
        coarse: false,
        variety: None,
    };
    let t = Instant::now();
    let (scheme, org) = scheme_and_org(&spec);
    let (model, _) = match Model::build(
        scheme,
        org,
        &SourceText::detached("scheme"),
        &SourceText::detached("org"),
    ) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut values = Values::empty(&model, "synthetic");
    fill(&spec, &model, &mut values);
    println!(
        "setup: {} units × {} indicators × 4 quarters in {:.2?}",
        spec.units,
        spec.indicators,
        t.elapsed()
    );

    let qs = quarters();
    let scores = (spec.units * spec.indicators * qs.len()) as f64;
    let t = Instant::now();
    let mut all: Vec<Scoring> = qs
        .iter()
        .map(|&q| Scoring::compute(&model, &values, q))
        .collect();
    let first = t.elapsed().as_secs_f64();
    println!(
        "first compute (allocating results): {:.3} s = {:.2} million scores/s",
        first,
        scores / first / 1e6
    );
    let mut runs = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for (s, &q) in all.iter_mut().zip(&qs) {
            s.recompute(&model, &values, q);
        }
        runs.push(t.elapsed().as_secs_f64());
    }
    runs.sort_by(f64::total_cmp);
    let median = runs[runs.len() / 2];
    println!(
        "full recompute: median {:.3} s for {} indicator scores = {:.2} million scores/s (one core)",
        median,
        scores,
        scores / median / 1e6
    );
    let last = Some(all);

    if std::env::args().any(|a| a == "--full-only") {
        return;
    }
    let q = qs[1];
    let mut scoring = last
        .and_then(|mut v| {
            if v.len() > 1 {
                Some(v.swap_remove(1))
            } else {
                None
            }
        })
        .unwrap_or_else(|| Scoring::compute(&model, &values, q));
    let mut rng = Rng::new(99);
    for (label, element_of) in [("plain indicator", 1usize), ("rank indicator", 0usize)] {
        let mut lat = Vec::new();
        for _ in 0..2_000 {
            let u = rng.range(0, spec.units as i64 - 1) as usize;
            let unit = model.unit(&format!("U{u:05}")).unwrap_or(0);
            let class = model.class_of(unit).map_or(0, |(c, _)| c);
            let Some(elem) = model.element(&format!("e{class}_{element_of}")) else {
                continue;
            };
            let v = Decimal::new(rng.range(0, 1200), 1);
            let t = Instant::now();
            let change = scoring.set_value(&model, &mut values, unit, elem, q, Some(v));
            lat.push(t.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(change);
        }
        lat.sort_by(f64::total_cmp);
        println!(
            "incremental update ({label}): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs over {} updates",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            lat.last().copied().unwrap_or(0.0),
            lat.len()
        );
    }
    if let Some(m) = peak_rss_mib() {
        println!("peak memory (VmHWM): {m:.0} MiB");
    }
}
