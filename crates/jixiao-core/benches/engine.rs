//! Scoring throughput and incremental latency at district scale: 5,000 units × 200 indicators
//! × 4 quarters (4 million indicator scores). Results are recorded in BENCHMARKS.md.
//!
//! cargo bench -p jixiao-core --bench engine

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jixiao_core::Decimal;
use jixiao_core::doc::SourceText;
use jixiao_core::engine::Scoring;
use jixiao_core::model::Model;
use jixiao_core::synth::{Spec, fill, quarters, scheme_and_org};
use jixiao_core::values::Values;
use std::hint::black_box;

fn spec() -> Spec {
    Spec {
        units: 5_000,
        indicators: 200,
        classes: 4,
        seed: 7,
        missing_per_mille: 0,
        coarse: false,
        variety: None,
    }
}

fn setup() -> (Model, Values) {
    let spec = spec();
    let (scheme, org) = scheme_and_org(&spec);
    let (model, _) = Model::build(
        scheme,
        org,
        &SourceText::detached("scheme"),
        &SourceText::detached("org"),
    )
    .expect("valid synthetic scheme");
    let mut values = Values::empty(&model, "synthetic");
    fill(&spec, &model, &mut values);
    (model, values)
}

fn benches(c: &mut Criterion) {
    let (model, mut values) = setup();
    let qs = quarters();
    let scores = (spec().units * spec().indicators * qs.len()) as u64;

    let mut g = c.benchmark_group("full_recompute");
    g.sample_size(10);
    g.throughput(Throughput::Elements(scores));
    let mut results: Vec<Scoring> = qs
        .iter()
        .map(|&q| Scoring::compute(&model, &values, q))
        .collect();
    g.bench_function("5000_units_x_200_indicators_x_4_quarters", |b| {
        b.iter(|| {
            for (s, &q) in results.iter_mut().zip(&qs) {
                s.recompute(&model, &values, q);
            }
            black_box(&results);
        })
    });
    g.finish();

    // One value changes: that unit's indicators and total, its class ranking and grades.
    let q = qs[1];
    let mut scoring = Scoring::compute(&model, &values, q);
    let unit = model.unit("U02345").expect("unit");
    let (class, _) = model.class_of(unit).expect("class");
    let plain = model
        .element(&format!("e{class}_1"))
        .expect("ratio element");
    let ranked = model.element(&format!("e{class}_0")).expect("rank element");
    let mut g = c.benchmark_group("incremental_update");
    let mut flip = 0i64;
    g.bench_function("one_value_5000_units", |b| {
        b.iter_batched(
            || {
                flip += 1;
                Decimal::new(700 + flip % 300, 1)
            },
            |v| black_box(scoring.set_value(&model, &mut values, unit, plain, q, Some(v))),
            BatchSize::SmallInput,
        )
    });
    // Worst case: the value feeds an indicator ranked among all 1,250 peers of the class.
    g.bench_function("one_value_feeding_a_rank_indicator", |b| {
        b.iter_batched(
            || {
                flip += 1;
                Decimal::from(flip % 1000)
            },
            |v| black_box(scoring.set_value(&model, &mut values, unit, ranked, q, Some(v))),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
