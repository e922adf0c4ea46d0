//! A bench command for outgoing notices: `--messages` webhook messages are queued in the outbox
//! of a fresh database (SQLite file, or a new database on a PostgreSQL server), then delivered by
//! one scheduled round (`ops::notices::deliver`: claim in batches of 200 with a lease, send a
//! batch concurrently, record every attempt, mark delivered) to a local receiver (axum on
//! loopback). The peer, in the same run: the same number of the same signed requests sent
//! straight to the same receiver with the same concurrency and no bookkeeping — the ratio is
//! what the outbox costs.
//!
//! ```sh
//! cargo run --release -p jixiao-server --example bench_notices -- [--postgres URL] [--messages N]
//! ```

mod common;

use common::database;
use jixiao_server::config::Config;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[derive(clap::Parser)]
struct Args {
    /// A PostgreSQL server to use instead of a SQLite file (a new database is made on it).
    #[arg(long)]
    postgres: Option<String>,
    /// Messages queued and delivered.
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
}

/// A receiver on loopback counting what it gets; its URL and the count.
async fn receiver() -> (String, Arc<AtomicUsize>) {
    let got = Arc::new(AtomicUsize::new(0));
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let g = g.clone();
            async move {
                if !body.is_empty() {
                    g.fetch_add(1, Ordering::Relaxed);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, got)
}

#[tokio::main]
async fn main() {
    let a = <Args as clap::Parser>::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database(a.postgres.as_deref(), dir.path(), "notices").await;
    let db = if a.postgres.is_some() {
        "PostgreSQL 15"
    } else {
        "SQLite"
    };
    let state = jixiao_server::open(Config {
        database_url: url,
        data_dir: dir.path().join("data"),
        sync_seconds: 0,
        ..Config::default()
    })
    .await
    .expect("open");
    let (hook, got) = receiver().await;
    let actor = jixiao_store::audit::Actor::system("bench");
    let secret = "0".repeat(64);
    let payload = serde_json::json!({
        "kind": "warning",
        "title": { "zh": "红色预警：七里园街道 行政诉讼败诉率 30%", "en": "Red warning" },
        "body": { "zh": "超过预警线 > 20，请于 3 日内答复原因和措施", "en": "over the line" },
        "link": "https://jixiao.example.gov.cn/warnings/1",
    })
    .to_string();

    // Queue.
    let t = Instant::now();
    let mut tx = state.store.write().await.expect("tx");
    let ch = jixiao_store::notices::add_channel(
        &mut tx,
        &actor,
        "bench",
        "webhook",
        "json",
        &hook,
        &secret,
        &[],
    )
    .await
    .expect("channel");
    let now = jixiao_store::now();
    for i in 0..a.messages {
        jixiao_store::notices::enqueue(
            &mut tx,
            "webhook",
            Some(ch.id),
            &hook,
            &format!("bench:{i}"),
            "",
            &payload,
            &now,
        )
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let queued = t.elapsed().as_secs_f64();

    // Deliver through the outbox.
    let t = Instant::now();
    let done = jixiao_server::ops::notices::deliver(
        &state,
        time::OffsetDateTime::now_utc() + time::Duration::seconds(1),
    )
    .await
    .expect("deliver");
    let outbox = t.elapsed().as_secs_f64();
    let received = got.load(Ordering::Relaxed);
    assert_eq!(received, a.messages, "every message arrived once: {done:?}");

    // The peer: the same signed requests straight to the receiver, 200 at a time.
    got.store(0, Ordering::Relaxed);
    let client = reqwest::Client::new();
    let t = Instant::now();
    for chunk in (0..a.messages).collect::<Vec<_>>().chunks(200) {
        let sends = chunk.iter().map(|i| {
            let ts = time::OffsetDateTime::now_utc().unix_timestamp();
            client
                .post(&hook)
                .header("content-type", "application/json")
                .header("x-jixiao-delivery", format!("bench:{i}"))
                .header(
                    "x-jixiao-signature",
                    jixiao_server::ops::notices::signature(&secret, ts, &payload),
                )
                .body(payload.clone())
                .send()
        });
        for r in futures_util::future::join_all(sends).await {
            assert!(r.expect("send").status().is_success());
        }
    }
    let direct = t.elapsed().as_secs_f64();
    assert_eq!(got.load(Ordering::Relaxed), a.messages);

    let n = a.messages as f64;
    println!("{db}: {} webhook messages to a local receiver", a.messages);
    println!(
        "queue (one transaction): {queued:.2} s, {:.0} messages/s",
        n / queued
    );
    println!(
        "deliver through the outbox (claim, send, log each attempt, mark delivered): {outbox:.2} s, {:.0} messages/s",
        n / outbox
    );
    println!(
        "peer, the same requests sent directly: {direct:.2} s, {:.0} messages/s; outbox/direct time = {:.2}",
        n / direct,
        outbox / direct
    );
}
