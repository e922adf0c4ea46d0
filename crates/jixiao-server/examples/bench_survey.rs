//! A bench command for citizen satisfaction surveys: the demo district on a fresh database, a
//! survey of its 40 villages and communities, then answers posted over HTTP by many clients at
//! once — through the open link (a device token each) and with one-time codes — and, in the
//! same run as the peer, the server's cheapest request (`GET /ready`) at the same concurrency.
//! The results are then written into the units' elements and checked against the answers.
//!
//! ```sh
//! cargo run --release -p jixiao-server --example bench_survey -- [--answers N] [--clients N] [--postgres URL]
//! ```

mod common;

use common::{Api, database, free_port, peak_rss_mib};
use jixiao_server::config::Config;
use serde_json::json;
use std::time::Instant;

#[derive(clap::Parser)]
struct Args {
    /// Answers per channel.
    #[arg(long, default_value_t = 20_000)]
    answers: usize,
    /// Clients sending at once.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// A PostgreSQL server (a new database is made on it); SQLite by default.
    #[arg(long)]
    postgres: Option<String>,
}

/// Sends `n` requests from `clients` clients at once; requests per second.
async fn fire<F, Fut>(n: usize, clients: usize, make: F) -> f64
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, make) = (next.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                make(i).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    n as f64 / t.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let a = <Args as clap::Parser>::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database(a.postgres.as_deref(), dir.path(), "survey").await;
    let config = Config {
        database_url: url,
        listen: format!("127.0.0.1:{}", free_port()),
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    let state = jixiao_server::open(config).await.expect("open");
    jixiao_server::demo::seed(&state)
        .await
        .expect("seed")
        .expect("empty database");
    let (key, prefix, hash) = jixiao_server::auth::new_api_key();
    {
        let mut tx = state.store.write().await.expect("tx");
        jixiao_store::keys::create(
            &mut tx,
            &jixiao_store::audit::Actor::system("bench"),
            "office",
            &prefix,
            &hash,
            "office",
            None,
            None,
        )
        .await
        .expect("key");
        tx.commit().await.expect("commit");
    }
    let units: Vec<String> = state
        .live
        .read()
        .await
        .unit_names()
        .into_keys()
        .filter(|u| u.contains("-C") || u.contains("-V"))
        .collect();
    let base = common::serve(state).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.clients)
        .build()
        .expect("client");
    let api = Api {
        http: http.clone(),
        base: base.clone(),
        key,
    };
    let s = api
        .send(
            reqwest::Method::POST,
            "/surveys",
            Some(json!({
                "title": "基准测试满意度调查", "period": "2025Q4", "element": "satisfaction",
                "sample_element": "satisfaction_sample", "units": units,
                "questions": [
                    { "code": "service", "text": "为民服务", "scale": "three" },
                    { "code": "environment", "text": "人居环境", "scale": "three" },
                    { "code": "safety", "text": "治安状况", "scale": "five" }
                ],
                "min_sample": 30, "per_address_daily": 100_000, "reason": "bench"
            })),
        )
        .await;
    let id = s["survey"]["id"].as_i64().expect("id");
    println!(
        "survey of {} units, {} clients, {} answers per channel",
        units.len(),
        a.clients,
        a.answers
    );

    // The peer: the cheapest request at the same concurrency.
    let ready = {
        let (http, base) = (http.clone(), base.clone());
        fire(a.answers, a.clients, move |_| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let r = http
                    .get(format!("{base}/ready"))
                    .send()
                    .await
                    .expect("ready");
                assert!(r.status().is_success());
            }
        })
        .await
    };
    let body = |i: usize| json!({ "choices": { "service": 1 + i % 3, "environment": 1 + (i / 3) % 3, "safety": 1 + i % 5 } });
    let open = {
        let (http, base, units) = (http.clone(), base.clone(), units.clone());
        fire(a.answers, a.clients, move |i| {
            let (http, base) = (http.clone(), base.clone());
            let unit = units[i % units.len()].clone();
            async move {
                let r = http
                    .post(format!("{base}/public/surveys/{id}/{unit}"))
                    .header("x-device", format!("bench-device-{i:012}"))
                    .json(&body(i))
                    .send()
                    .await
                    .expect("answer");
                assert_eq!(
                    r.status().as_u16(),
                    201,
                    "{}",
                    r.text().await.unwrap_or_default()
                );
            }
        })
        .await
    };
    // Codes: issued per unit, then answered.
    let per_unit = a.answers.div_ceil(units.len());
    let mut codes = Vec::new();
    for u in &units {
        let mut left = per_unit;
        while left > 0 {
            let n = left.min(5000);
            let c = api
                .send(
                    reqwest::Method::POST,
                    &format!("/surveys/{id}/codes"),
                    Some(json!({ "unit": u, "count": n, "reason": "bench" })),
                )
                .await;
            for code in c.as_array().expect("codes") {
                codes.push((u.clone(), code.as_str().expect("code").to_owned()));
            }
            left -= n;
        }
    }
    codes.truncate(a.answers);
    let codes = std::sync::Arc::new(codes);
    let by_code = {
        let (http, base, codes) = (http.clone(), base.clone(), codes.clone());
        fire(codes.len(), a.clients, move |i| {
            let (http, base, codes) = (http.clone(), base.clone(), codes.clone());
            async move {
                let (unit, code) = &codes[i];
                let mut b = body(i);
                b["code"] = json!(code);
                let r = http
                    .post(format!("{base}/public/surveys/{id}/{unit}"))
                    .json(&b)
                    .send()
                    .await
                    .expect("answer");
                assert_eq!(
                    r.status().as_u16(),
                    201,
                    "{}",
                    r.text().await.unwrap_or_default()
                );
            }
        })
        .await
    };
    let t = Instant::now();
    let d = api
        .send(
            reqwest::Method::POST,
            &format!("/surveys/{id}/publish"),
            None,
        )
        .await;
    let publish = t.elapsed().as_secs_f64();
    let total: i64 = d["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["answers"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(
        total as usize,
        a.answers + codes.len(),
        "every answer counted"
    );
    println!("GET /ready (peer):        {ready:>9.0} req/s");
    println!(
        "answers, open link:       {open:>9.0} /s   ({:.2} of the peer)",
        open / ready
    );
    println!(
        "answers, one-time codes:  {by_code:>9.0} /s   ({:.2} of the peer)",
        by_code / ready
    );
    println!("results written for {} units: {publish:.2} s", units.len());
    println!("peak memory of the process: {:.0} MiB", peak_rss_mib());
}
