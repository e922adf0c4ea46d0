//! A bench command for bulk imports: a generated district (no values yet) in a fresh database
//! (SQLite file, or a new database on a PostgreSQL server), then
//!
//! 1. a **CSV** of every value of the district's four quarters (long layout: unit, item,
//!    period, value; 1,000,000 values at the default size), imported all or nothing;
//! 2. an **XLSX** of 100,000 values (long layout, one sheet) into a second fresh district.
//!
//! Each import is timed twice: a dry run (reading and every check: scope, element, period,
//! number, closed periods, checks between elements, what is stored) and the real import (the
//! same, plus one transaction writing every value with its audit entry, and the live results
//! rescored). The import function is the one behind `POST /api/v1/imports`, called in
//! process (no HTTP upload).
//!
//! ```sh
//! cargo run --release -p jixiao-server --example bench_import -- [--postgres URL] [--units N]
//!     [--indicators N] [--xlsx-values N]
//! ```

mod common;

use common::{database, peak_rss_mib};
use jixiao_core::access::{Principal, Role};
use jixiao_core::synth::{Spec, dataset};
use jixiao_server::config::Config;
use jixiao_server::ops::Caller;
use jixiao_server::ops::imports::{Mode, import};
use jixiao_store::audit::Actor;
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
    #[arg(long, default_value_t = 50)]
    indicators: usize,
    /// Values in the XLSX file.
    #[arg(long, default_value_t = 100_000)]
    xlsx_values: usize,
}

fn args() -> Args {
    <Args as clap::Parser>::parse()
}

fn office() -> Caller {
    Caller {
        principal: Principal {
            role: Role::Office,
            unit: None,
            items: None,
        },
        actor: Actor {
            name: "office".into(),
            source: "import".into(),
            request_id: String::new(),
        },
        user: None,
        via_cookie: false,
    }
}

async fn fresh(
    a: &Args,
    dir: &std::path::Path,
    tag: &str,
    spec: &Spec,
) -> jixiao_server::state::AppState {
    let url = database(a.postgres.as_deref(), dir, tag).await;
    {
        let store = jixiao_store::Store::connect(&url).await.expect("connect");
        let mut tx = store.write().await.expect("tx");
        common::district(&mut tx, spec).await;
        tx.commit().await.expect("commit");
        store.pool.close().await;
    }
    jixiao_server::open(Config {
        database_url: url,
        data_dir: dir.join(format!("{tag}-data")),
        ..Config::default()
    })
    .await
    .expect("open")
}

async fn run(state: &jixiao_server::state::AppState, name: &str, bytes: &[u8], n: usize) {
    let caller = office();
    let t = Instant::now();
    let dry = import(
        state,
        &caller,
        name,
        bytes,
        Mode::AllOrNothing,
        true,
        None,
        None,
    )
    .await
    .expect("dry run");
    let dry_s = t.elapsed().as_secs_f64();
    assert!(dry.problems.is_empty(), "{:?}", dry.problems.first());
    assert_eq!(dry.imported, n);
    let t = Instant::now();
    let r = import(
        state,
        &caller,
        name,
        bytes,
        Mode::AllOrNothing,
        false,
        None,
        None,
    )
    .await
    .expect("import");
    let s = t.elapsed().as_secs_f64();
    assert!(r.committed && r.imported == n, "{} of {n}", r.imported);
    println!(
        "{name}: {n} values, {:.1} MB\n  dry run (read + checks): {dry_s:.2} s = {:.0} values/s\n  import (read + checks + write + audit + rescore): {s:.2} s = {:.0} values/s",
        bytes.len() as f64 / 1e6,
        n as f64 / dry_s,
        n as f64 / s
    );
}

/// Units with a total in the official ranking of 2025Q4, every class.
/// Every ranked unit's total in the 2025Q4 ranking, by unit.
async fn ranked(
    state: &jixiao_server::state::AppState,
    scheme: &str,
) -> std::collections::HashMap<String, String> {
    let q = jixiao_server::ops::results::ResultQuery {
        kind: None,
        class: None,
        warnings: None,
    };
    let bytes = jixiao_server::ops::results::ranking(state, &office(), scheme, "2025Q4", &q)
        .await
        .expect("ranking");
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    v["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .flat_map(|c| c["rows"].as_array().cloned().unwrap_or_default())
        .filter(|r| !r["total"].is_null())
        .map(|r| (r["unit"].to_string(), r["total"].to_string()))
        .collect()
}

async fn counted(state: &jixiao_server::state::AppState, bytes: &[u8], n: usize, units: usize) {
    let scheme = state
        .live
        .read()
        .await
        .schemes
        .keys()
        .next()
        .cloned()
        .expect("a scheme");
    let before = ranked(state, &scheme).await;
    let t = Instant::now();
    let r = import(
        state,
        &office(),
        "district.csv",
        bytes,
        Mode::AllOrNothing,
        false,
        None,
        Some("bench: the office counts the district's file at once"),
    )
    .await
    .expect("counted import");
    let imported_s = t.elapsed().as_secs_f64();
    assert!(r.committed && r.imported == n, "{} of {n}", r.imported);
    let after = ranked(state, &scheme).await;
    let s = t.elapsed().as_secs_f64();
    // Before the import every unit ranks on no values; after it, on the counted ones.
    let changed = after
        .iter()
        .filter(|(unit, total)| before.get(*unit) != Some(*total))
        .count();
    assert_eq!(after.len(), units, "every unit ranked");
    assert_eq!(
        changed, units,
        "every unit's total moved by the counted values"
    );
    println!(
        "district.csv counted with a reason: {n} values imported in {imported_s:.2} s = {:.0} values/s; the 2025Q4 ranking shows a new total for {changed} of {units} units {s:.2} s after the request",
        n as f64 / imported_s
    );
}

/// Every value of the data set as a long CSV (unit, item, period, value), each value moved by
/// `shift` (a corrected file).
fn long_csv(data: &jixiao_core::data::DataSet, shift: rust_decimal::Decimal) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["unit", "item", "period", "value"])
        .expect("csv");
    for r in &data.records {
        w.write_record([
            &*r.unit,
            &r.item,
            &r.period.to_string(),
            &(r.value + shift).normalize().to_string(),
        ])
        .expect("csv");
    }
    w.into_inner().expect("csv")
}

/// `sqlite3 .import` of the CSV, then one INSERT … SELECT into a copy of `data_values` (same
/// columns, same indexes, the same page cache), timed as a whole process. Skipped without a
/// `sqlite3` on the PATH.
fn peer(dir: &std::path::Path, csv: &[u8], n: usize) {
    let file = dir.join("peer.csv");
    std::fs::write(&file, csv).expect("write csv");
    let script = format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;
CREATE TABLE data_values (id INTEGER PRIMARY KEY, unit_code TEXT NOT NULL, element TEXT NOT NULL, period TEXT NOT NULL, value TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, return_reason TEXT NOT NULL DEFAULT '', version INTEGER NOT NULL DEFAULT 1, source TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL, reported_at TEXT, UNIQUE (unit_code, element, period));
CREATE INDEX data_values_period ON data_values (period, element);
CREATE TEMP TABLE f (unit TEXT, item TEXT, period TEXT, value TEXT);
.import --csv --skip 1 {} f
BEGIN;
INSERT INTO data_values (unit_code, element, period, value, state, source, updated_by, updated_at, reported_at) SELECT unit, item, period, value, 'counted', 'import', 'office', '2026-12-04T00:00:00Z', '2026-12-04T00:00:00Z' FROM f;
COMMIT;
SELECT COUNT(*) FROM data_values;
",
        file.display()
    );
    let t = Instant::now();
    let out = std::process::Command::new("sqlite3")
        .arg(dir.join("peer.db"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .expect("stdin")
                .write_all(script.as_bytes())?;
            c.wait_with_output()
        });
    let s = t.elapsed().as_secs_f64();
    match out {
        Ok(o)
            if String::from_utf8_lossy(&o.stdout)
                .trim()
                .ends_with(&n.to_string()) =>
        {
            println!(
                "peer: sqlite3 .import + INSERT of the same {n} values (rows and indexes only): {s:.2} s = {:.0} values/s",
                n as f64 / s
            )
        }
        Ok(o) => println!(
            "peer: sqlite3 did not load the file: {}",
            String::from_utf8_lossy(&o.stdout)
        ),
        Err(e) => println!("peer: no sqlite3 to compare with ({e})"),
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    // The import's own log line says where its time went (checks, writing, commit, live
    // results, warnings); JIXIAO_LOG=off silences it.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("JIXIAO_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("jixiao_server::ops::imports=info")
            }),
        )
        .init();
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = common::district_spec(a.units, a.indicators, 7);
    let data = dataset(&spec);
    println!(
        "{} · {} units × {} indicators × 4 quarters",
        if a.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        a.units,
        a.indicators
    );

    // CSV: every value.
    let bytes = long_csv(&data, rust_decimal::Decimal::ZERO);
    let state = fresh(&a, dir.path(), "csv", &spec).await;
    run(&state, "district.csv", &bytes, data.records.len()).await;
    state.store.pool.close().await;

    // The same file imported by the office as counted, with a reason: timed from the request
    // until the class ranking of 2025Q4 ranks every unit on the new values.
    let state = fresh(&a, dir.path(), "counted", &spec).await;
    counted(&state, &bytes, data.records.len(), spec.units).await;
    // A corrected file over it: every stored value replaced (all updates, none new).
    let corrected = long_csv(&data, rust_decimal::Decimal::ONE);
    let t = Instant::now();
    let r = import(
        &state,
        &office(),
        "corrected.csv",
        &corrected,
        Mode::AllOrNothing,
        false,
        None,
        Some("bench: the office counts a corrected file"),
    )
    .await
    .expect("corrected import");
    let s = t.elapsed().as_secs_f64();
    assert!(
        r.committed && r.updated == data.records.len(),
        "{} updated",
        r.updated
    );
    println!(
        "corrected.csv counted over the stored values: {} values replaced in {s:.2} s = {:.0} values/s",
        r.updated,
        r.updated as f64 / s
    );
    state.store.pool.close().await;

    // The peer, in the same run: the `sqlite3` shell loading the same file into a table with
    // the value table's columns and indexes — SQLite's own floor for the rows alone (no checks,
    // no audit, no live results).
    if a.postgres.is_none() {
        peer(dir.path(), &bytes, data.records.len());
    }

    // XLSX: the first values, one sheet.
    let n = a.xlsx_values.min(data.records.len());
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["unit", "item", "period", "value"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("cell");
    }
    for (i, r) in data.records.iter().take(n).enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, &*r.unit).expect("cell");
        ws.write_string(row, 1, &*r.item).expect("cell");
        ws.write_string(row, 2, r.period.to_string()).expect("cell");
        ws.write_number(row, 3, r.value.to_string().parse::<f64>().expect("number"))
            .expect("cell");
    }
    let bytes = wb.save_to_buffer().expect("xlsx");
    let state = fresh(&a, dir.path(), "xlsx", &spec).await;
    run(&state, "district.xlsx", &bytes, n).await;
    state.store.pool.close().await;
    println!("peak memory: {:.0} MiB", peak_rss_mib());
}
