//! What the bench commands share: a fresh database and a generated district in it.

// Each bench command uses a part of this.
#![allow(dead_code)]

use jixiao_core::synth::{Spec, scheme_and_org};
use jixiao_store::audit::Actor;
use jixiao_store::schemes::NewScheme;

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
    let (scheme, org) = scheme_and_org(spec);
    let actor = Actor::system("import");
    jixiao_store::org::import(tx, &actor, &org, "bench")
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
