//! The load test: the demo district served on loopback, `--writers` clients saving drafts of
//! the same few hundred numbers (each with the version it last saw, so they collide and are
//! refused with 409 as they should) and `--readers` clients reading values and rankings, for
//! `--seconds`; then every write the server accepted is checked against the database (it is
//! the stored number, or a later version superseded it) and against the audit log (its entry is
//! there). Prints the counts, server errors, time-outs and latencies.
//!
//! ```sh
//! cargo run --release -p jixiao-server --example bench_load -- [--postgres URL]
//!     [--writers 200] [--readers 200] [--seconds 600] [--keys 200]
//! ```

mod common;

use common::{database, percentile};
use jixiao_server::config::Config;
use jixiao_store::audit::Actor;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Parser)]
struct Args {
    /// A PostgreSQL server to use instead of a SQLite file (a new database is made on it).
    #[arg(long)]
    postgres: Option<String>,
    #[arg(long, default_value_t = 200)]
    writers: usize,
    #[arg(long, default_value_t = 200)]
    readers: usize,
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// How many numbers the writers share.
    #[arg(long, default_value_t = 200)]
    keys: usize,
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    write_ms: Vec<f64>,
    read_ms: Vec<f64>,
    ok_writes: u64,
    conflicts: u64,
    ok_reads: u64,
    server_errors: u64,
    other: u64,
    /// The other answers by status.
    statuses: std::collections::BTreeMap<u16, u64>,
    timeouts: u64,
    /// Every write the server accepted: (key, number, version it got).
    accepted: Vec<(String, String, i64)>,
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

#[tokio::main]
async fn main() {
    let a = <Args as clap::Parser>::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database(a.postgres.as_deref(), dir.path(), "load").await;
    let db = if a.postgres.is_some() {
        "PostgreSQL 15"
    } else {
        "SQLite"
    };
    let port = common::free_port();
    let config = Config {
        database_url: url.clone(),
        listen: format!("127.0.0.1:{port}"),
        data_dir: dir.path().join("data"),
        login_per_minute: 100_000,
        ..Config::default()
    };
    let state = jixiao_server::open(config).await.expect("open");
    jixiao_server::demo::seed(&state)
        .await
        .expect("demo")
        .expect("empty database");
    let (key, prefix, hash) = jixiao_server::auth::new_api_key();
    let mut tx = state.store.write().await.expect("tx");
    jixiao_store::keys::create(
        &mut tx,
        &Actor::system("bench"),
        "load",
        &prefix,
        &hash,
        "office",
        None,
        None,
    )
    .await
    .expect("key");
    tx.commit().await.expect("commit");
    let store = state.store.clone();
    tokio::spawn(jixiao_server::serve(state));
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(a.writers + a.readers)
        .build()
        .expect("client");
    let bearer = format!("Bearer {key}");
    for _ in 0..200 {
        if http.get(format!("{base}/ready")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The numbers to write: the demo's quarterly numbers, for the fourth quarter of the year
    // before (which the schemes accept and the demo leaves empty).
    let list: Value = http
        .get(format!("{base}/values?period=2025Q4&limit=1000"))
        .header("authorization", &bearer)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let keys: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| {
            format!(
                "{}/{}/2024Q4",
                v["unit_code"].as_str().unwrap_or(""),
                v["element"].as_str().unwrap_or("")
            )
        })
        .take(a.keys)
        .collect();
    let keys = Arc::new(keys);
    println!(
        "{db}: {} writers and {} readers for {} s on {} numbers",
        a.writers,
        a.readers,
        a.seconds,
        keys.len()
    );
    let until = Instant::now() + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for w in 0..(a.writers + a.readers) {
        let (http, base, bearer, keys) = (http.clone(), base.clone(), bearer.clone(), keys.clone());
        let writer = w < a.writers;
        tasks.push(tokio::spawn(async move {
            let mut t = Tally::default();
            let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (w as u64 + 1);
            let mut seen: std::collections::HashMap<String, i64> = Default::default();
            let mut n = 0u64;
            while Instant::now() < until {
                let k = &keys[(xorshift(&mut seed) % keys.len() as u64) as usize];
                let start = Instant::now();
                let r = if writer {
                    n += 1;
                    // Small whole numbers are in every element's range.
                    let value = format!("{}", (w as u64 * 1_000_000 + n) % 10);
                    let r = http
                        .put(format!("{base}/values/{k}"))
                        .header("authorization", &bearer)
                        .json(&json!({ "value": value, "version": seen.get(k) }))
                        .send()
                        .await;
                    match r {
                        Ok(resp) => {
                            let status = resp.status().as_u16();
                            let body: Value = resp.json().await.unwrap_or(Value::Null);
                            match status {
                                200 => {
                                    let v = body["value"]["row"]["version"].as_i64().unwrap_or(0);
                                    seen.insert(k.clone(), v);
                                    t.accepted.push((k.clone(), value, v));
                                    t.ok_writes += 1;
                                }
                                409 => {
                                    if let Some(v) = body["current"]["version"].as_i64() {
                                        seen.insert(k.clone(), v);
                                    }
                                    t.conflicts += 1;
                                }
                                s if s >= 500 => t.server_errors += 1,
                                s => {
                                    t.other += 1;
                                    *t.statuses.entry(s).or_default() += 1;
                                }
                            }
                            Ok(())
                        }
                        Err(e) => Err(e),
                    }
                } else {
                    let path = if n.is_multiple_of(2) {
                        format!("{base}/values/{k}")
                    } else {
                        format!("{base}/results/wolong-2025/2025?class=street")
                    };
                    n += 1;
                    match http.get(path).header("authorization", &bearer).send().await {
                        Ok(resp) => {
                            let status = resp.status().as_u16();
                            let _ = resp.bytes().await;
                            match status {
                                200 => t.ok_reads += 1,
                                s if s >= 500 => t.server_errors += 1,
                                s => {
                                    t.other += 1;
                                    *t.statuses.entry(s).or_default() += 1;
                                }
                            }
                            Ok(())
                        }
                        Err(e) => Err(e),
                    }
                };
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                match r {
                    Ok(()) if writer => t.write_ms.push(ms),
                    Ok(()) => t.read_ms.push(ms),
                    Err(e) if e.is_timeout() => t.timeouts += 1,
                    Err(_) => t.other += 1,
                }
            }
            t
        }));
    }
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await.expect("client");
        all.write_ms.extend(t.write_ms);
        all.read_ms.extend(t.read_ms);
        all.ok_writes += t.ok_writes;
        all.conflicts += t.conflicts;
        all.ok_reads += t.ok_reads;
        all.server_errors += t.server_errors;
        all.other += t.other;
        for (s, n) in t.statuses {
            *all.statuses.entry(s).or_default() += n;
        }
        all.timeouts += t.timeouts;
        all.accepted.extend(t.accepted);
    }
    // Every accepted write is the stored number or was superseded, and has its audit entry.
    let mut conn = store.read().await.expect("connection");
    let mut lost = 0;
    for (k, value, version) in &all.accepted {
        let mut p = k.splitn(3, '/');
        let (u, e, per) = (
            p.next().unwrap_or(""),
            p.next().unwrap_or(""),
            p.next().unwrap_or(""),
        );
        match jixiao_store::values::get(&mut conn, u, e, per)
            .await
            .expect("read")
        {
            Some(r) if r.version > *version || (r.version == *version && r.value == *value) => {}
            _ => lost += 1,
        }
    }
    let audited: std::collections::HashSet<(String, i64)> =
        audited_versions(&store, keys.as_ref()).await;
    let unaudited = all
        .accepted
        .iter()
        .filter(|(k, _, v)| !audited.contains(&(k.clone(), *v)))
        .count();
    let secs = a.seconds as f64;
    all.write_ms.sort_by(f64::total_cmp);
    all.read_ms.sort_by(f64::total_cmp);
    println!(
        "writes: {} accepted ({:.0}/s), {} refused as conflicts; reads: {} ({:.0}/s)",
        all.ok_writes,
        all.ok_writes as f64 / secs,
        all.conflicts,
        all.ok_reads,
        all.ok_reads as f64 / secs
    );
    println!(
        "server errors: {}; time-outs: {}; other answers: {} {:?}; lost updates: {lost}; accepted writes without their audit entry: {unaudited}",
        all.server_errors, all.timeouts, all.other, all.statuses
    );
    for (what, v) in [("write", &all.write_ms), ("read", &all.read_ms)] {
        println!(
            "{what} latency ms: p50 {:.1}, p95 {:.1}, p99 {:.1}, max {:.1}",
            percentile(v, 0.50),
            percentile(v, 0.95),
            percentile(v, 0.99),
            v.last().copied().unwrap_or(0.0)
        );
    }
}

/// The (key, version) of every value change the audit log holds for the keys.
async fn audited_versions(
    store: &jixiao_store::Store,
    keys: &[String],
) -> std::collections::HashSet<(String, i64)> {
    let mut out = std::collections::HashSet::new();
    for k in keys {
        let f = jixiao_store::audit::Filter {
            entity: "value".into(),
            entity_id: k.clone(),
            ..Default::default()
        };
        let mut offset = 0;
        loop {
            let (total, items) = jixiao_store::audit::list(
                store,
                &f,
                jixiao_store::Page {
                    limit: 1000,
                    offset,
                },
            )
            .await
            .expect("audit");
            for e in &items {
                let after: Value = e
                    .after
                    .as_deref()
                    .and_then(|a| serde_json::from_str(a).ok())
                    .unwrap_or(Value::Null);
                if let Some(v) = after["version"].as_i64() {
                    out.insert((k.clone(), v));
                }
            }
            offset += items.len() as i64;
            if items.is_empty() || offset >= total {
                break;
            }
        }
    }
    out
}
