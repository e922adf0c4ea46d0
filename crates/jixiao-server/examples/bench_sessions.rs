//! A bench command for signed-in requests: the demo district (or, with `--units`, a generated
//! district of that many units) on a fresh database, the server on loopback, and `wrk` (Debian
//! package) with 64 connections reading a live ranking — once with a leader's session cookie,
//! once with an API key of the same role, alternating, so the cookie's cost is measured against
//! the key's in the same run. The demo district's ranking is the 2025Q4 one; a generated
//! district's is one class's annual ranking (what the issue measured at 5,000 units).
//!
//! ```sh
//! cargo run --release -p jixiao-server --example bench_sessions -- [--seconds N] [--rounds N] [--postgres URL]
//! cargo run --release -p jixiao-server --example bench_sessions -- --units 5000 [--indicators 20]
//! ```

mod common;

use common::{database, free_port, serve, wrk_with};
use jixiao_server::config::Config;
use jixiao_store::audit::Actor;
use serde_json::json;

#[derive(clap::Parser)]
struct Args {
    /// Length of each run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Runs of each kind, alternating.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// A PostgreSQL server (a new database is made on it); SQLite by default.
    #[arg(long)]
    postgres: Option<String>,
    /// A generated district of this many units (4 classes, every value counted) instead of the
    /// demo district.
    #[arg(long)]
    units: Option<usize>,
    /// Indicators per class of the generated district.
    #[arg(long, default_value_t = 20)]
    indicators: usize,
}

#[tokio::main]
async fn main() {
    let a = <Args as clap::Parser>::parse();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database(a.postgres.as_deref(), dir.path(), "sessions").await;
    let config = Config {
        database_url: url,
        listen: format!("127.0.0.1:{}", free_port()),
        data_dir: dir.path().join("data"),
        login_per_minute: 1000,
        ..Config::default()
    };
    // The leader's password and whether the first sign-in must change it; the API key; the
    // ranking read.
    let (state, password, must_change, key, path) = match a.units {
        Some(units) => {
            let spec = common::district_spec(units, a.indicators, 11);
            let t = std::time::Instant::now();
            let (_, leader_key) = common::seed(&config.database_url, &spec).await;
            println!(
                "district: {units} units × {} indicators × 4 quarters in 4 classes, seeded in {:.1} s",
                a.indicators,
                t.elapsed().as_secs_f64()
            );
            let state = jixiao_server::open(config.clone()).await.expect("open");
            let password = "湖畔-橘子-steam-41-kite".to_owned();
            let mut tx = state.store.write().await.expect("tx");
            jixiao_store::users::create(
                &mut tx,
                &Actor::system("bench"),
                jixiao_store::users::NewUser {
                    username: "leader",
                    display_name: "领导",
                    password_hash: &jixiao_server::auth::hash_password(&password).expect("hash"),
                    role: "leader",
                    unit_code: None,
                    items: None,
                    must_change_password: false,
                },
            )
            .await
            .expect("user");
            tx.commit().await.expect("commit");
            (
                state,
                password,
                false,
                leader_key,
                "/results/synthetic/2025?class=c0".to_owned(),
            )
        }
        None => {
            let state = jixiao_server::open(config.clone()).await.expect("open");
            let accounts = jixiao_server::demo::seed(&state)
                .await
                .expect("seed")
                .expect("empty database");
            let leader = accounts
                .iter()
                .find(|x| x.username == "leader")
                .expect("leader");
            let (key, prefix, hash) = jixiao_server::auth::new_api_key();
            let mut tx = state.store.write().await.expect("tx");
            jixiao_store::keys::create(
                &mut tx,
                &Actor::system("bench"),
                "leader",
                &prefix,
                &hash,
                "leader",
                None,
                None,
            )
            .await
            .expect("key");
            tx.commit().await.expect("commit");
            (
                state.clone(),
                leader.password.clone(),
                true,
                key,
                "/results/wolong-2025/2025Q4".to_owned(),
            )
        }
    };
    let base = serve(state.clone()).await;
    // The leader signs in: the session cookie.
    let client = reqwest::Client::new();
    let session_cookie = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|h| h.to_str().ok())
            .find(|c| c.starts_with("jixiao_session="))
            .and_then(|c| c.split(';').next())
            .expect("session cookie")
            .to_owned()
    };
    let r = client
        .post(format!("{base}/auth/login"))
        .json(&json!({ "username": "leader", "password": password }))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200, "the leader signs in");
    let mut cookie = session_cookie(&r);
    if must_change {
        // A first sign-in must set a password: the session after it is the one measured.
        let csrf = r.json::<serde_json::Value>().await.expect("json")["csrf_token"]
            .as_str()
            .expect("csrf")
            .to_owned();
        let r = client
            .post(format!("{base}/auth/password"))
            .header("cookie", cookie)
            .header("x-csrf-token", csrf)
            .json(&json!({ "old_password": password, "new_password": "湖畔-橘子-steam-41-kite" }))
            .send()
            .await
            .expect("password");
        assert_eq!(r.status(), 200, "the leader sets a password");
        cookie = session_cookie(&r);
    }
    let url = format!("{base}{path}");
    for (what, header) in [
        ("cookie", format!("Cookie: {cookie}")),
        ("API key", format!("Authorization: Bearer {key}")),
    ] {
        let r = client
            .get(&url)
            .header(
                header.split_once(": ").expect("header").0,
                header.split_once(": ").expect("header").1,
            )
            .send()
            .await
            .expect("probe");
        assert_eq!(r.status(), 200, "{what} reads the ranking");
    }
    println!("ranking {url}, 64 connections, {} s a run", a.seconds);
    let mut sums = [(0.0, 0.0), (0.0, 0.0)];
    for round in 0..a.rounds {
        for (i, (what, header)) in [
            ("cookie", format!("Cookie: {cookie}")),
            ("API key", format!("Authorization: Bearer {key}")),
        ]
        .into_iter()
        .enumerate()
        {
            let (u, h, s) = (url.clone(), header.clone(), a.seconds);
            match tokio::task::spawn_blocking(move || wrk_with(&u, &h, s, 64))
                .await
                .expect("wrk")
            {
                Some((rps, p50, p99, non2xx)) => {
                    println!(
                        "round {round} {what}: {rps:.0} requests/s, p50 {p50:.1} ms, p99 {p99:.1} ms, non-2xx {non2xx}"
                    );
                    sums[i].0 += rps;
                    sums[i].1 += p99;
                }
                None => {
                    println!("wrk is not installed (apt-get install wrk): skipped");
                    return;
                }
            }
        }
    }
    let n = a.rounds as f64;
    println!(
        "mean: cookie {:.0} requests/s (p99 {:.1} ms), API key {:.0} requests/s (p99 {:.1} ms); cookie ÷ key = {:.2}",
        sums[0].0 / n,
        sums[0].1 / n,
        sums[1].0 / n,
        sums[1].1 / n,
        sums[0].0 / sums[1].0
    );
}
