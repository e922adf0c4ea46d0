//! A bench command for the server's start and resident memory (P14): a generated district is
//! loaded into a new database (every value counted and audited, as an import leaves it), then a
//! fresh process (this command again, with `--open`) starts the server's state on it — every
//! value read, both kinds of results scored for every tracked period — and reports how long
//! that took and how much resident memory it added. Measuring in a child keeps the seeding's
//! memory out of the figure.
//!
//! ```sh
//! cargo run --release -p jixiao-server --example bench_resident -- [--units N] [--indicators N]…
//!     [--postgres URL]
//! ```
//!
//! `--indicators` may be given several times (one district per size, e.g. 50 → 1 M values and
//! 200 → 4 M values at 5,000 units).

mod common;

use common::{database, seed};
use jixiao_server::config::Config;
use std::time::Instant;

#[derive(clap::Parser)]
struct Args {
    /// A PostgreSQL server to use instead of a SQLite file (a new database is made on it).
    #[arg(long)]
    postgres: Option<String>,
    /// Units in the generated district.
    #[arg(long, default_value_t = 5_000)]
    units: usize,
    /// Indicators per class; one district per number given.
    #[arg(long, default_values_t = [50, 200])]
    indicators: Vec<usize>,
    /// Seed into this directory and keep it (to profile a start: run this command with
    /// `--open sqlite://DIR/resident50.db --data-dir DIR/data` under a profiler).
    #[arg(long)]
    keep: Option<std::path::PathBuf>,
    /// (Internal) open the server's state on this database and report; used by the child.
    #[arg(long, hide = true)]
    open: Option<String>,
    /// (Internal) the data directory for `--open`.
    #[arg(long, hide = true)]
    data_dir: Option<std::path::PathBuf>,
}

/// A line of `/proc/self/status` in KiB (`VmRSS:`, `VmHWM:`).
fn status_kib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
}

/// The child: opens the state, prints `seconds rss_before_kib rss_after_kib hwm_kib values`.
async fn open(url: &str, data_dir: std::path::PathBuf) {
    let before = status_kib("VmRSS:");
    let config = Config {
        database_url: url.to_owned(),
        data_dir,
        ..Config::default()
    };
    let t = Instant::now();
    let state = jixiao_server::open(config).await.expect("open");
    let seconds = t.elapsed().as_secs_f64();
    let values: usize = {
        let live = state.live.read().await;
        live.values.len()
    };
    let after = status_kib("VmRSS:");
    println!(
        "{seconds} {before} {after} {} {values}",
        status_kib("VmHWM:")
    );
    // The state is left to the process's exit, as the server's is.
    std::mem::forget(state);
}

#[tokio::main]
async fn main() {
    let a = <Args as clap::Parser>::parse();
    if let Some(url) = &a.open {
        open(url, a.data_dir.clone().expect("--data-dir")).await;
        return;
    }
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = a.keep.clone().unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&dir).expect("directory");
    println!(
        "{} · start and resident memory of the server's state",
        if a.postgres.is_some() {
            "PostgreSQL 15"
        } else {
            "SQLite"
        }
    );
    for &indicators in &a.indicators {
        let spec = common::district_spec(a.units, indicators, 13);
        let tag = format!("resident{indicators}");
        let url = database(a.postgres.as_deref(), &dir, &tag).await;
        let t = Instant::now();
        seed(&url, &spec).await;
        println!(
            "{} units × {indicators} indicators × 4 quarters seeded in {:.1} s",
            a.units,
            t.elapsed().as_secs_f64()
        );
        for round in 1..=2 {
            let out = std::process::Command::new(std::env::current_exe().expect("exe"))
                .arg("--open")
                .arg(&url)
                .arg("--data-dir")
                .arg(dir.join(format!("{tag}-{round}")))
                .output()
                .expect("child");
            assert!(
                out.status.success(),
                "child failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8_lossy(&out.stdout);
            let f: Vec<f64> = line
                .split_whitespace()
                .map(|x| x.parse().expect("number"))
                .collect();
            let [seconds, before, after, hwm, values] = f[..] else {
                panic!("child said {line}");
            };
            let added = (after - before) * 1024.0;
            println!(
                "  start {round}: {values:.0} values in {seconds:.2} s; resident {:.0} MiB (+{:.0} MiB = {:.0} bytes per value), peak {:.0} MiB",
                after / 1024.0,
                added / 1024.0 / 1024.0,
                added / values,
                hwm / 1024.0
            );
        }
    }
}
