//! A bench command for machine feeds: the demo district in a fresh database (SQLite file, or a
//! new database on a PostgreSQL server), the server on loopback, and 32 clients posting 12345
//! hotline cases at once with a `feed` API key — one event per request, then 100 per request.
//! Every event is checked against the feed's schema, stored once, and added into the two
//! hotline elements of its unit and quarter (counted at once), each value change audited.
//!
//! ```sh
//! cargo run --release -p jixiao-server --example bench_feeds -- [--postgres URL] [--clients N]
//!     [--events N]
//! ```

mod common;

use common::{database, peak_rss_mib, percentile};
use jixiao_server::config::Config;
use jixiao_store::audit::Actor;
use serde_json::{Value, json};
use std::time::Instant;

#[derive(clap::Parser)]
struct Args {
    /// A PostgreSQL server to use instead of a SQLite file (a new database is made on it).
    #[arg(long)]
    postgres: Option<String>,
    /// Clients posting at once.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Events per client in each round.
    #[arg(long, default_value_t = 200)]
    events: usize,
}

fn args() -> Args {
    <Args as clap::Parser>::parse()
}

/// Units assessed on the hotline figures.
const UNITS: [&str; 6] = ["SFJ", "CZJ", "RSJ", "MZJ", "SPJ", "JTY"];

fn event(round: &str, client: usize, i: usize) -> Value {
    let unit = UNITS[(client + i) % UNITS.len()];
    let day = 1 + (i % 28);
    json!({
        "id": format!("{round}-{client}-{i}"),
        "unit": unit,
        "at": format!("2025-11-{day:02}T10:{:02}:00+08:00", i % 60),
        "data": { "case_no": format!("{client}/{i}"), "closed_on_time": !i.is_multiple_of(5) },
    })
}

async fn round(a: &Args, base: &str, key: &str, name: &str, per_post: usize) -> usize {
    let http = reqwest::Client::new();
    let url = format!("{base}/api/v1/feeds/hotline_12345/events");
    let t = Instant::now();
    let tasks: Vec<_> = (0..a.clients)
        .map(|c| {
            let (http, url, key, name) =
                (http.clone(), url.clone(), key.to_owned(), name.to_owned());
            let events = a.events;
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut i = 0;
                while i < events {
                    let batch: Vec<Value> = (i..(i + per_post).min(events))
                        .map(|k| event(&name, c, k))
                        .collect();
                    i += batch.len();
                    let body = if per_post == 1 {
                        batch[0].clone()
                    } else {
                        json!({ "events": batch })
                    };
                    let s = Instant::now();
                    let r = http
                        .post(&url)
                        .header("authorization", format!("Bearer {key}"))
                        .json(&body)
                        .send()
                        .await
                        .expect("post");
                    let status = r.status();
                    let text = r.text().await.expect("body");
                    assert!(status.is_success(), "{status}: {text}");
                    lat.push(s.elapsed().as_secs_f64() * 1000.0);
                }
                lat
            })
        })
        .collect();
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("client"));
    }
    let secs = t.elapsed().as_secs_f64();
    let n = a.clients * a.events;
    lat.sort_by(f64::total_cmp);
    println!(
        "{name}: {} clients × {} events, {per_post} per request: {secs:.2} s = {:.0} events/s; request p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        a.clients,
        a.events,
        n as f64 / secs,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or_default()
    );
    n
}

#[tokio::main]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database(a.postgres.as_deref(), dir.path(), "feeds").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let state = jixiao_server::open(Config {
        database_url: url,
        listen: format!("127.0.0.1:{port}"),
        data_dir: dir.path().join("data"),
        ..Config::default()
    })
    .await
    .expect("open");
    jixiao_server::demo::seed(&state).await.expect("seed");
    let (key, prefix, hash) = jixiao_server::auth::new_api_key();
    {
        let mut tx = state.store.write().await.expect("tx");
        jixiao_store::keys::create(
            &mut tx,
            &Actor::system("bench"),
            "hotline",
            &prefix,
            &hash,
            "feed",
            None,
            Some("hotline_12345"),
        )
        .await
        .expect("key");
        tx.commit().await.expect("commit");
    }
    let store = state.store.clone();
    tokio::spawn(jixiao_server::serve(state));
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{base}/api/v1/health")).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    println!(
        "{} · demo district · feed hotline_12345 → hotline_received, hotline_closed",
        if a.postgres.is_some() {
            "PostgreSQL 15"
        } else {
            "SQLite"
        }
    );
    let mut total = 0;
    total += round(&a, &base, &key, "single", 1).await;
    total += round(&a, &base, &key, "batch", 100).await;
    // Every event landed once; a replay of the last round changes nothing.
    let stored = jixiao_store::feeds::event_count(&store, "hotline_12345")
        .await
        .expect("count");
    assert_eq!(stored as usize, total);
    round(&a, &base, &key, "batch", 100).await;
    let again = jixiao_store::feeds::event_count(&store, "hotline_12345")
        .await
        .expect("count");
    assert_eq!(again, stored, "a replay stored nothing");
    println!("(the last line is a replay of the batch round: nothing stored)");
    println!("peak memory: {:.0} MiB", peak_rss_mib());
}
