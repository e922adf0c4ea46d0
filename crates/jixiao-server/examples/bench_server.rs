//! A bench command for the server: a generated district of 5,000 units is loaded into a fresh
//! database (SQLite file, or a new database on a PostgreSQL server), the server is started on
//! loopback, and then
//!
//! 1. **count → ranking**: one value at a time is taken through return → save → submit →
//!    approve, then timed from sending the verify (which counts it, and rescores inside the
//!    request) until the class's annual ranking, read afterwards, has come back;
//! 2. **ranking under load**: `wrk` (Debian package) with 64 connections reads a class ranking
//!    and the whole district's ranking.
//!
//! ```sh
//! cargo run --release -p jixiao-server --example bench_server -- [--postgres URL] [--units N]
//!     [--indicators N] [--samples N] [--seconds N]
//! ```

mod common;

use common::{Api, database, peak_rss_mib, percentile, total_in, wrk};
use jixiao_core::synth::Rng;
use jixiao_server::config::Config;
use serde_json::{Value, json};
use std::time::Instant;

#[derive(clap::Parser)]
struct Args {
    /// A PostgreSQL server to use instead of a SQLite file (a new database is made on it).
    #[arg(long)]
    postgres: Option<String>,
    /// Units in the generated district.
    #[arg(long, default_value_t = 5_000)]
    units: usize,
    /// Indicators per class.
    #[arg(long, default_value_t = 20)]
    indicators: usize,
    /// Values counted one at a time.
    #[arg(long, default_value_t = 400)]
    samples: usize,
    /// Length of each load run.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Warning rules in the scheme (each crossed by every value: the worst case of following
    /// warnings on every counted value).
    #[arg(long, default_value_t = 0)]
    warnings: usize,
}

fn args() -> Args {
    <Args as clap::Parser>::parse()
}

#[tokio::main]
async fn main() {
    let a = args();
    let spec = common::district_spec(a.units, a.indicators, 11);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database(a.postgres.as_deref(), dir.path(), "bench").await;
    let db = if a.postgres.is_some() {
        "PostgreSQL 15"
    } else {
        "SQLite"
    };
    println!(
        "district: {} units × {} indicators × 4 quarters in 4 classes, {db}",
        a.units, a.indicators
    );
    if a.warnings > 0 {
        println!(
            "warning rules: {} (every value crosses one: each count raises or changes a warning)",
            a.warnings
        );
    }

    let t = Instant::now();
    let (office_key, leader_key) = common::seed_with(&url, &spec, a.warnings).await;
    println!(
        "seed (org, scheme, {} counted values, each audited): {:.1} s",
        a.units * a.indicators * 4,
        t.elapsed().as_secs_f64()
    );

    let config = Config {
        database_url: url.clone(),
        listen: format!("127.0.0.1:{}", common::free_port()),
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    let t = Instant::now();
    let state = jixiao_server::open(config).await.expect("open");
    println!(
        "start (load every value, score 5 periods official and provisional): {:.1} s",
        t.elapsed().as_secs_f64()
    );
    if a.warnings > 0 {
        // The first scheduled round raises the warnings of everything already counted (every
        // unit, rule and period here); measured apart, so the steady state is what follows.
        let t = Instant::now();
        jixiao_server::ops::schedule::tick(&state, time::OffsetDateTime::now_utc())
            .await
            .expect("first round");
        println!(
            "first scheduled round (raises the warnings of the values already counted): {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let base = common::serve(state).await;
    let office = Api {
        http: reqwest::Client::new(),
        base: base.clone(),
        key: office_key,
    };

    // 1. count → ranking readable.
    let mut rng = Rng::new(5);
    let mut latencies = Vec::new();
    let mut verify_times = Vec::new();
    let mut read_times = Vec::new();
    let mut changed = 0;
    for n in 0..a.samples {
        let u = rng.range(0, a.units as i64 - 1) as usize;
        let c = u % 4;
        let i = rng.range(0, a.indicators as i64 - 1);
        let q = rng.range(1, 4);
        let unit = format!("U{u:05}");
        let path = format!("/values/{unit}/e{c}_{i}/2025Q{q}");
        let ranking_path = format!("/results/synthetic/2025?class=c{c}");
        let before = total_in(
            &office.send(reqwest::Method::GET, &ranking_path, None).await,
            &unit,
        );
        let version = office
            .to_approved(&path, &format!("{}", rng.range(1, 2000)))
            .await;
        let t = Instant::now();
        let r = office
            .send(
                reqwest::Method::POST,
                &format!("{path}/verify"),
                Some(json!({ "version": version })),
            )
            .await;
        let counted = t.elapsed().as_secs_f64() * 1000.0;
        let ranking = office.raw(reqwest::Method::GET, &ranking_path, None).await;
        let elapsed = t.elapsed().as_secs_f64() * 1000.0;
        let ranking: Value = serde_json::from_slice(&ranking).expect("json");
        assert_eq!(r["value"]["row"]["state"], "counted");
        if total_in(&ranking, &unit) != before {
            changed += 1;
        }
        if n >= 10 {
            latencies.push(elapsed);
            verify_times.push(counted);
            read_times.push(elapsed - counted);
        }
    }
    latencies.sort_by(f64::total_cmp);
    verify_times.sort_by(f64::total_cmp);
    read_times.sort_by(f64::total_cmp);
    println!(
        "count → class ranking readable ({} samples after 10 warm-up; the unit's annual total changed in {changed} of {}): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        a.samples,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
    for (what, t) in [
        ("the verify request (counts and rescores)", &verify_times),
        ("the ranking read", &read_times),
    ] {
        println!(
            "  of which {what}: p50 {:.2} ms, p99 {:.2} ms",
            percentile(t, 0.5),
            percentile(t, 0.99)
        );
    }

    // 2. the ranking endpoint under load.
    let class_label = format!("one class ({} units)", a.units.div_ceil(4));
    let busy_label = format!(
        "one class ({} units) while its values are counted one after another",
        a.units.div_ceil(4)
    );
    for (what, path, writes) in [
        (
            class_label.as_str(),
            "/results/synthetic/2025?class=c0",
            false,
        ),
        (
            "the whole district (4 classes)",
            "/results/synthetic/2025",
            false,
        ),
        (
            busy_label.as_str(),
            "/results/synthetic/2025?class=c0",
            true,
        ),
    ] {
        // A writer that keeps counting values of the class being read: every count changes
        // the results, so reads keep rebuilding the ranking.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = writes.then(|| {
            let (office, stop, units) = (office.clone(), stop.clone(), a.units);
            let indicators = a.indicators as i64;
            tokio::spawn(async move {
                let mut rng = Rng::new(9);
                let mut counts = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let u = rng.range(0, (units as i64 - 1) / 4) * 4;
                    let path = format!(
                        "/values/U{u:05}/e0_{}/2025Q{}",
                        rng.range(0, indicators - 1),
                        rng.range(1, 4)
                    );
                    let version = office
                        .to_approved(&path, &format!("{}", rng.range(1, 2000)))
                        .await;
                    office
                        .send(
                            reqwest::Method::POST,
                            &format!("{path}/verify"),
                            Some(json!({ "version": version })),
                        )
                        .await;
                    counts += 1;
                }
                counts
            })
        });
        let body = reqwest::Client::new()
            .get(format!("{base}{path}"))
            .bearer_auth(&leader_key)
            .send()
            .await
            .expect("ranking")
            .bytes()
            .await
            .expect("body");
        println!(
            "\nwrk: ranking of {what}, {} KiB per response",
            body.len() / 1024
        );
        let url = format!("{base}{path}");
        let key = leader_key.clone();
        let secs = a.seconds;
        match tokio::task::spawn_blocking(move || wrk(&url, &key, secs, 64))
            .await
            .expect("wrk")
        {
            Some((rps, p50, p99, non2xx)) => println!(
                "ranking of {what}: {rps:.0} requests/s, p50 {p50:.1} ms, p99 {p99:.1} ms, non-2xx {non2xx}"
            ),
            None => println!("wrk is not installed (apt-get install wrk): skipped"),
        }
        if let Some(w) = writer {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let counts = w.await.expect("writer");
            println!(
                "  meanwhile {counts} values were counted ({:.1} per second), each invalidating the ranking",
                counts as f64 / a.seconds as f64
            );
        }
    }
    println!(
        "\npeak memory (server and bench in one process): {:.0} MiB",
        peak_rss_mib()
    );
}
