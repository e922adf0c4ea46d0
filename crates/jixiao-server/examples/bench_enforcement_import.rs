//! A bench command for the enforcement case file: the demo district on a fresh database, then a
//! case file of N cases (the demo's 502 cases repeated under new numbers, so the same share of
//! them breaks a rule) read, checked, recorded in one transaction with every case audited,
//! checked against the legal office's rules (flags stored and audited), and the enforcement
//! data elements written. In the same run, the peer: `sqlite3`'s `.import` of the same file into
//! a bare table (no checks, no audit) — the floor for loading those bytes into SQLite.
//!
//! ```sh
//! cargo run --release -p jixiao-server --example bench_enforcement_import -- [--cases N] [--postgres URL]
//! ```

mod common;

use common::{database, free_port, peak_rss_mib};
use jixiao_server::config::Config;
use std::time::Instant;

#[derive(clap::Parser)]
struct Args {
    /// Cases in the file.
    #[arg(long, default_value_t = 100_000)]
    cases: usize,
    /// A PostgreSQL server (a new database is made on it); SQLite by default.
    #[arg(long)]
    postgres: Option<String>,
}

#[tokio::main]
async fn main() {
    let a = <Args as clap::Parser>::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database(a.postgres.as_deref(), dir.path(), "enforcement").await;
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

    // The file: the demo's cases under new numbers.
    let demo = jixiao_server::demo::ENFORCEMENT_CASES;
    let mut lines = demo.lines();
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let mut file = String::with_capacity(a.cases * 260);
    file.push_str(header);
    file.push('\n');
    for i in 0..a.cases {
        let row = rows[i % rows.len()];
        let (number, rest) = row.split_once(',').expect("number");
        file.push_str(&format!("{number}-B{i},{rest}\n"));
    }
    let path = dir.path().join("cases.csv");
    std::fs::write(&path, &file).expect("write file");
    println!("file: {} cases, {:.1} MB", a.cases, file.len() as f64 / 1e6);

    let row = jixiao_store::users::by_name(&state.store, "sfj_reviewer")
        .await
        .expect("user")
        .expect("sfj_reviewer");
    let user = jixiao_server::auth::User::from_row(&row).expect("user");
    let caller = jixiao_server::ops::Caller::person(user, "bench", String::new());

    let t = Instant::now();
    let (cases, places) =
        jixiao_server::ops::enforcement::read_cases("cases.csv", file.as_bytes()).expect("reads");
    let read = t.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let done = jixiao_server::ops::enforcement::record(
        &state, &caller, &cases, &places, "import", "bench",
    )
    .await
    .expect("record")
    .expect("valid");
    let write = t2.elapsed().as_secs_f64();
    let total = t.elapsed().as_secs_f64();
    assert_eq!(done.created, a.cases);
    println!(
        "jixiao: read {read:.2} s, recorded + checked + elements {write:.2} s, total {total:.2} s = {:.0} cases/s; {} flags raised; peak RSS {:.0} MiB",
        a.cases as f64 / total,
        done.flags_raised,
        peak_rss_mib()
    );

    // The peer: sqlite3 .import of the same file into a bare table.
    let peer_db = dir.path().join("peer.db");
    let t = Instant::now();
    let out = std::process::Command::new("sqlite3")
        .arg(&peer_db)
        .arg(".mode csv")
        .arg(format!(".import {} cases", path.display()))
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let peer = t.elapsed().as_secs_f64();
            println!(
                "peer (sqlite3 .import, no checks or audit): {peer:.2} s = {:.0} cases/s; jixiao takes {:.1}× as long",
                a.cases as f64 / peer,
                total / peer
            );
        }
        _ => println!("peer: sqlite3 not available"),
    }
}
