//! A bench command for two app nodes on one PostgreSQL database: a generated district of 5,000
//! units is loaded into a new database, nodes A and B are started on loopback (one process),
//! and then
//!
//! 1. **counted on A → ranking on B**: a value is taken through return → save → submit →
//!    approve on A, then timed from sending the verify to A until B's class ranking shows the
//!    unit's new total (B learns of the commit by LISTEN/NOTIFY and reads the audit log);
//! 2. **ranking throughput, one node vs two**: `wrk` with 64 connections on A alone, then 32 on
//!    each of A and B at once. Both nodes share this machine's cores, so two nodes cannot be
//!    faster here than one; the figure shows what following each other costs.
//!
//! ```sh
//! cargo run --release -p jixiao-server --example bench_nodes -- --postgres URL [--units N]
//!     [--indicators N] [--samples N] [--seconds N]
//! ```

mod common;

use common::{Api, database, peak_rss_mib, percentile, seed, total_in, wrk};
use jixiao_core::synth::Rng;
use jixiao_server::config::Config;
use serde_json::json;
use std::time::{Duration, Instant};

#[derive(clap::Parser)]
struct Args {
    /// The PostgreSQL server (a new database is made on it).
    #[arg(long)]
    postgres: String,
    /// Units in the generated district.
    #[arg(long, default_value_t = 5_000)]
    units: usize,
    /// Indicators per class.
    #[arg(long, default_value_t = 20)]
    indicators: usize,
    /// Values counted one at a time.
    #[arg(long, default_value_t = 300)]
    samples: usize,
    /// Length of each load run.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
}

/// Starts a node on a free loopback port and waits until it is ready; its API base URL.
async fn node(url: &str, dir: &std::path::Path, name: &str) -> String {
    let config = Config {
        database_url: url.to_owned(),
        listen: format!("127.0.0.1:{}", common::free_port()),
        data_dir: dir.join(name),
        // One seal for one log, as every deployment of several nodes must share.
        audit_seal: Some(dir.join("shared.seal")),
        ..Config::default()
    };
    let t = Instant::now();
    let state = jixiao_server::open(config).await.expect("open");
    println!(
        "node {name} started (loads every value, scores 5 periods): {:.1} s",
        t.elapsed().as_secs_f64()
    );
    common::serve(state).await
}

#[tokio::main]
async fn main() {
    let a = <Args as clap::Parser>::parse();
    let spec = common::district_spec(a.units, a.indicators, 11);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database(Some(&a.postgres), dir.path(), "nodes").await;
    println!(
        "district: {} units × {} indicators × 4 quarters in 4 classes, PostgreSQL 15, two nodes",
        a.units, a.indicators
    );
    let (office_key, leader_key) = seed(&url, &spec).await;
    let base_a = node(&url, dir.path(), "a").await;
    let base_b = node(&url, dir.path(), "b").await;
    let on = |base: &str| Api {
        http: reqwest::Client::new(),
        base: base.to_owned(),
        key: office_key.clone(),
    };
    let (node_a, node_b) = (on(&base_a), on(&base_b));

    // 1. counted on A → B's ranking shows it.
    let mut rng = Rng::new(5);
    let mut latencies = Vec::new();
    let mut unchanged = 0;
    for n in 0..a.samples {
        let u = rng.range(0, a.units as i64 - 1) as usize;
        let c = u % 4;
        let i = rng.range(0, a.indicators as i64 - 1);
        let q = rng.range(1, 4);
        let unit = format!("U{u:05}");
        let path = format!("/values/{unit}/e{c}_{i}/2025Q{q}");
        let ranking = format!("/results/synthetic/2025?class=c{c}");
        let version = node_a
            .to_approved(&path, &format!("{}", rng.range(1, 2000)))
            .await;
        // What B shows now (returning the value already moved the official total).
        let mut before = None;
        for _ in 0..20_000 {
            let (x, y) = (
                total_in(
                    &node_a.send(reqwest::Method::GET, &ranking, None).await,
                    &unit,
                ),
                total_in(
                    &node_b.send(reqwest::Method::GET, &ranking, None).await,
                    &unit,
                ),
            );
            if x == y {
                before = y;
                break;
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        let t = Instant::now();
        node_a
            .send(
                reqwest::Method::POST,
                &format!("{path}/verify"),
                Some(json!({ "version": version })),
            )
            .await;
        let expected = total_in(
            &node_a.send(reqwest::Method::GET, &ranking, None).await,
            &unit,
        );
        let mut seen = false;
        for _ in 0..20_000 {
            let on_b = total_in(
                &node_b.send(reqwest::Method::GET, &ranking, None).await,
                &unit,
            );
            if on_b == expected {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        assert!(seen, "node B never showed {unit}'s new total");
        let elapsed = t.elapsed().as_secs_f64() * 1000.0;
        if expected == before {
            unchanged += 1;
        } else if n >= 10 {
            latencies.push(elapsed);
        }
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "counted on A → class ranking on B shows it ({} samples after 10 warm-up; {unchanged} left out, the total did not change): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );

    // 2. the ranking endpoint: one node, then two at once.
    let path = "/results/synthetic/2025?class=c0";
    let secs = a.seconds;
    let run = |base: String, conns: u32| {
        let key = leader_key.clone();
        std::thread::spawn(move || wrk(&format!("{base}{path}"), &key, secs, conns))
    };
    match run(base_a.clone(), 64).join().expect("wrk") {
        Some((rps, p50, p99, non2xx)) => println!(
            "ranking of one class on one node, 64 connections: {rps:.0} requests/s, p50 {p50:.1} ms, p99 {p99:.1} ms, non-2xx {non2xx}"
        ),
        None => {
            println!("wrk is not installed (apt-get install wrk): throughput skipped");
            return;
        }
    }
    let (ra, rb) = (run(base_a, 32), run(base_b, 32));
    let (ra, rb) = (ra.join().expect("wrk"), rb.join().expect("wrk"));
    if let (Some(x), Some(y)) = (ra, rb) {
        println!(
            "ranking of one class on two nodes, 32 connections each: {:.0} requests/s in all (A {:.0}, B {:.0}), p99 A {:.1} ms, B {:.1} ms, non-2xx {}",
            x.0 + y.0,
            x.0,
            y.0,
            x.2,
            y.2,
            x.3 + y.3
        );
    }
    println!(
        "\npeak memory (both nodes and the bench in one process): {:.0} MiB",
        peak_rss_mib()
    );
}
