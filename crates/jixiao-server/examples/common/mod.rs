//! What the bench commands share: a fresh database and a generated district in it.

// Each bench command uses a part of this.
#![allow(dead_code)]

use jixiao_core::synth::{Spec, dataset, scheme_and_org};
use jixiao_store::audit::Actor;
use jixiao_store::schemes::NewScheme;
use jixiao_store::values::{Content, Key};
use serde_json::{Value, json};

/// The generated district the benches use: `units` units in 4 classes, `indicators`
/// indicators per class, every value present, drawn from `seed`.
pub fn district_spec(units: usize, indicators: usize, seed: u64) -> Spec {
    Spec {
        units,
        indicators,
        classes: 4,
        seed,
        missing_per_mille: 0,
        coarse: false,
        variety: None,
    }
}

/// A fresh database: a SQLite file in `dir`, or a new database on the PostgreSQL server
/// `postgres` names.
pub async fn database(postgres: Option<&str>, dir: &std::path::Path, tag: &str) -> String {
    match postgres {
        None => format!("sqlite://{}", dir.join(format!("{tag}.db")).display()),
        Some(admin) => {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let name = format!("jx_{tag}_{}", std::process::id());
            let mut conn = sqlx::AnyConnection::connect(admin).await.expect("connect");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create database");
            let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
            format!("{base}/{name}")
        }
    }
}

/// The generated district's organisation, its scheme (published) and its periods (the four
/// quarters of 2025 and the year, open), in `tx`. No values.
pub async fn district(tx: &mut jixiao_store::Tx, spec: &Spec) {
    district_with(tx, spec, 0).await;
}

/// [`district`] with `warnings` warning rules on the first indicators' elements of every
/// class, whose yellow line every value above zero crosses (the worst case: every counted
/// value raises or changes a warning).
pub async fn district_with(tx: &mut jixiao_store::Tx, spec: &Spec, warnings: usize) {
    let (mut scheme, org) = scheme_and_org(spec);
    for n in 0..warnings {
        let c = n % spec.classes.max(1);
        let i = n / spec.classes.max(1);
        let rule: jixiao_core::scheme::WarningRule = serde_json::from_value(json!({
            "code": format!("w{n}"),
            "name": { "zh": format!("预警{n}"), "en": format!("warning {n}") },
            "element": format!("e{c}_{i}"),
            "yellow": { "above": 0 },
            "red": { "above": 1_000_000_000 },
        }))
        .expect("warning rule");
        scheme.warnings.push(rule);
    }
    let actor = Actor::system("import");
    jixiao_store::org::import(tx, &actor, &org, "bench", None, jixiao_core::org::BEGINNING)
        .await
        .expect("org");
    let content = serde_json::to_string(&scheme).expect("scheme json");
    let row = jixiao_store::schemes::upload(
        tx,
        &actor,
        NewScheme {
            code: scheme.id.as_str(),
            year: i64::from(scheme.year),
            kind: "unit",
            title_zh: &scheme.title.zh,
            title_en: &scheme.title.en,
            format: "json",
            content: &content,
            reason: "bench",
        },
    )
    .await
    .expect("upload");
    jixiao_store::schemes::publish(tx, &actor, &row.code, row.version, "bench")
        .await
        .expect("publish");
    for p in ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025"] {
        jixiao_store::periods::create(tx, &actor, &row.code, p, None, true)
            .await
            .expect("period");
    }
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
}

/// Serves `state` (listening where its configuration says) and waits until it answers; the
/// API's base URL.
pub async fn serve(state: jixiao_server::state::AppState) -> String {
    let base = format!("http://{}/api/v1", state.config.listen);
    tokio::spawn(jixiao_server::serve(state));
    for _ in 0..200 {
        if reqwest::get(format!("{base}/ready")).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    base
}

/// Peak resident memory of this process so far, MiB.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The `p` quantile of sorted samples (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Loads the generated district the way an import would: organisation, scheme (published),
/// periods, every value counted (each audited), and two API keys.
pub async fn seed(url: &str, spec: &Spec) -> (String, String) {
    seed_with(url, spec, 0).await
}

/// [`seed`] with `warnings` warning rules (see [`district_with`]).
pub async fn seed_with(url: &str, spec: &Spec, warnings: usize) -> (String, String) {
    let store = jixiao_store::Store::connect(url).await.expect("connect");
    let data = dataset(spec);
    let actor = Actor::system("import");
    let mut tx = store.write().await.expect("tx");
    district_with(&mut tx, spec, warnings).await;
    for r in &data.records {
        let period = r.period.to_string();
        let value = r.value.normalize().to_string();
        jixiao_store::values::insert(
            &mut tx,
            &actor,
            Key {
                unit: &r.unit,
                element: &r.item,
                period: &period,
            },
            Content {
                value: &value,
                note: "",
                state: "counted",
                return_reason: "",
            },
        )
        .await
        .expect("value");
    }
    let mut keys = Vec::new();
    for role in ["office", "leader"] {
        let (key, prefix, hash) = jixiao_server::auth::new_api_key();
        jixiao_store::keys::create(&mut tx, &actor, role, &prefix, &hash, role, None, None)
            .await
            .expect("key");
        keys.push(key);
    }
    tx.commit().await.expect("commit");
    store.pool.close().await;
    (keys[0].clone(), keys[1].clone())
}

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Api {
    /// Takes a counted value back through return → save (a new number) → submit → approve;
    /// returns its version, ready to be verified.
    pub async fn to_approved(&self, path: &str, number: &str) -> i64 {
        let v = self.send(reqwest::Method::GET, path, None).await;
        let mut version = v["row"]["version"].as_i64().expect("version");
        for (method, step, body) in [
            (
                reqwest::Method::POST,
                "/return",
                json!({ "reason": "bench" }),
            ),
            (reqwest::Method::PUT, "", json!({ "value": number })),
            (reqwest::Method::POST, "/submit", json!({})),
            (reqwest::Method::POST, "/approve", json!({})),
        ] {
            let mut b = body;
            b["version"] = json!(version);
            let r = self.send(method, &format!("{path}{step}"), Some(b)).await;
            version = r["value"]["row"]["version"].as_i64().expect("version");
        }
        version
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let bytes = self.raw(method, path, body).await;
        serde_json::from_slice(&bytes).expect("json")
    }

    /// The response body as received (a successful one).
    pub async fn raw(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Vec<u8> {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body").to_vec();
        assert!(
            status.is_success(),
            "{path}: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
        bytes
    }
}

pub fn total_in(ranking: &Value, unit: &str) -> Option<String> {
    ranking["classes"]
        .as_array()?
        .iter()
        .flat_map(|c| c["rows"].as_array().into_iter().flatten())
        .find(|r| r["unit"] == unit)
        .and_then(|r| r["total"].as_str().map(str::to_owned))
}

/// Runs wrk (two threads, `connections` connections) and returns (requests/s, p50 ms, p99 ms, non-2xx responses).
pub fn wrk(url: &str, key: &str, seconds: u64, connections: u32) -> Option<(f64, f64, f64, u64)> {
    wrk_with(
        url,
        &format!("Authorization: Bearer {key}"),
        seconds,
        connections,
    )
}

/// [`wrk`] with any one header (`Cookie: …` for a signed-in session).
pub fn wrk_with(
    url: &str,
    header: &str,
    seconds: u64,
    connections: u32,
) -> Option<(f64, f64, f64, u64)> {
    let out = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-H",
            header,
            url,
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let ms = |s: &str| -> Option<f64> {
        let s = s.trim();
        if let Some(v) = s.strip_suffix("ms") {
            v.parse().ok()
        } else if let Some(v) = s.strip_suffix("us") {
            v.parse::<f64>().ok().map(|x| x / 1000.0)
        } else if let Some(v) = s.strip_suffix('s') {
            v.parse::<f64>().ok().map(|x| x * 1000.0)
        } else {
            None
        }
    };
    let field = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .and_then(|l| l.split_whitespace().last().map(str::to_owned))
    };
    let rps = field("Requests/sec:")?.parse().ok()?;
    let p50 = ms(&field("50%")?)?;
    let p99 = ms(&field("99%")?)?;
    let non2xx = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
        .unwrap_or(0);
    print!("{text}");
    Some((rps, p50, p99, non2xx))
}
