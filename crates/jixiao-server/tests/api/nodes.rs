//! Two app nodes on one PostgreSQL database (SQLite is one node by design): a node started
//! before the other loads the district catches up; a value counted through A shows through B;
//! B publishes exactly what A shows; a dropped listener connection catches up.

use crate::{App, Db, fresh_database, total_of};
use axum_test::TestServer;
use jixiao_server::config::Config;
use serde_json::{Value, json};

/// Reads `path` through a node with an API key.
async fn read(server: &TestServer, key: &str, path: &str) -> Value {
    let r = server.get(path).add_header("authorization", key).await;
    assert_eq!(r.status_code(), 200, "GET {path}: {}", r.text());
    r.json()
}

/// Waits (polling, up to half a minute) until `check` holds, and says whether it did.
async fn eventually(mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..300 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// Saves, submits, approves and verifies a value (the office, through the lead department's
/// route), so it counts.
async fn count(office: &crate::Client, path: &str, value: &str, version: Option<i64>) {
    let s = office
        .ok_put(path, json!({ "value": value, "version": version }))
        .await;
    let mut v = s["value"]["row"]["version"].clone();
    for step in ["submit", "approve", "verify"] {
        let s = office
            .ok_post(&format!("{path}/{step}"), json!({ "version": v }), 200)
            .await;
        v = s["value"]["row"]["version"].clone();
        if s["value"]["row"]["state"] == "counted" {
            return;
        }
    }
    panic!("{path} did not reach counted");
}

const RESULTS: &str = "/api/v1/results/wolong-2025/2025Q4";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_database_postgres() {
    if crate::postgres().is_none() {
        eprintln!(
            "JIXIAO_TEST_POSTGRES is not set: the two-node test is skipped here (CI sets it)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(Db::Postgres, dir.path()).await;
    // The nodes share the audit seal (one key for one log), as a deployment must.
    let seal = dir.path().join("shared.seal");
    // Node B starts on the empty database, before A loads the district.
    let b = jixiao_server::open(Config {
        database_url: url.clone(),
        data_dir: dir.path().join("b"),
        audit_seal: Some(seal.clone()),
        sync_seconds: 0,
        ..Config::default()
    })
    .await
    .expect("node B");
    b.listen_for_changes();
    let b_server = TestServer::new(jixiao_server::build_app(b.clone()));
    let a = App::spawn_with(Db::Postgres, |c| {
        c.database_url = url.clone();
        c.audit_seal = Some(seal.clone());
    })
    .await;
    a.state.listen_for_changes();
    let key = a.api_key("office").await;
    let a_server = TestServer::new(a.router.clone());

    // B caught up with the whole load: the same results as A.
    let a_results = read(&a_server, &key, RESULTS).await;
    assert!(
        eventually(async || {
            let r = b_server
                .get(RESULTS)
                .add_header("authorization", key.as_str())
                .await;
            r.status_code() == 200 && r.json::<Value>()["classes"] == a_results["classes"]
        })
        .await,
        "node B never showed node A's results"
    );

    // A value counted through A shows through B.
    let office = a.user("office").await;
    let path = "/api/v1/values/QLY/mediation_agreements/2025Q4";
    count(
        &office,
        "/api/v1/values/QLY/mediation_cases/2025Q4",
        "40",
        None,
    )
    .await;
    count(&office, path, "30", None).await;
    let a_total = total_of(&read(&a_server, &key, RESULTS).await, "QLY");
    assert_ne!(
        a_total,
        total_of(&a_results, "QLY"),
        "counting the value moved QLY's total"
    );
    assert!(
        eventually(async || total_of(&read(&b_server, &key, RESULTS).await, "QLY") == a_total)
            .await,
        "node B never showed the value counted through A"
    );

    // Counted through A, published at once through B: what B publishes is what A shows.
    crate::count_the_last_survey_score(&office).await;
    let a_results = read(&a_server, &key, RESULTS).await;
    let r = b_server
        .post("/api/v1/publications")
        .add_header("authorization", key.as_str())
        .json(
            &json!({ "scheme": "wolong-2025", "period": "2025Q4", "reason": "两节点公示 two nodes" }),
        )
        .await;
    assert_eq!(r.status_code(), 201, "{}", r.text());
    let published: Value = r.json();
    for unit in ["QLY", "WLG-C04"] {
        assert_eq!(
            total_of(&published["results"], unit),
            total_of(&a_results, unit),
            "{unit}: B published what A shows"
        );
    }

    // B's listening connection is cut; a change through A still reaches B.
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'")
        .execute(&a.state.store.pool)
        .await
        .expect("cut the listeners");
    let v = a
        .stored(&["QLY", "mediation_agreements", "2025Q4"])
        .await
        .expect("stored")
        .1;
    let back = office
        .ok_post(
            &format!("{path}/return"),
            json!({ "version": v, "reason": "复核 recheck" }),
            200,
        )
        .await;
    assert_eq!(back["value"]["row"]["state"], "returned");
    let a_total = total_of(&read(&a_server, &key, RESULTS).await, "QLY");
    assert!(
        eventually(async || total_of(&read(&b_server, &key, RESULTS).await, "QLY") == a_total)
            .await,
        "node B never caught up after its listener was cut"
    );

    // A node that hears nothing (no listener, no rounds) still publishes what the database
    // holds: publishing catches up first.
    let c = jixiao_server::open(Config {
        database_url: url.clone(),
        data_dir: dir.path().join("c"),
        audit_seal: Some(seal.clone()),
        sync_seconds: 0,
        ..Config::default()
    })
    .await
    .expect("node C");
    let c_server = TestServer::new(jixiao_server::build_app(c.clone()));
    count(
        &office,
        path,
        "10",
        back["value"]["row"]["version"].as_i64(),
    )
    .await;
    let a_results = read(&a_server, &key, RESULTS).await;
    assert_ne!(
        total_of(&a_results, "QLY"),
        total_of(&published["results"], "QLY"),
        "the change moved QLY's total"
    );
    let r = c_server
        .post("/api/v1/publications")
        .add_header("authorization", key.as_str())
        .json(
            &json!({ "scheme": "wolong-2025", "period": "2025Q4", "reason": "更正后重新公示 again" }),
        )
        .await;
    assert_eq!(r.status_code(), 201, "{}", r.text());
    let again: Value = r.json();
    assert_eq!(again["revision"], 2, "{again}");
    assert_eq!(
        total_of(&again["results"], "QLY"),
        total_of(&a_results, "QLY")
    );
}

/// Two nodes run their scheduled rounds at the same moments: one node runs each round (the
/// advisory lock), and every message reaches the webhook exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_send_each_notice_once_postgres() {
    if crate::postgres().is_none() {
        eprintln!(
            "JIXIAO_TEST_POSTGRES is not set: the two-node test is skipped here (CI sets it)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(Db::Postgres, dir.path()).await;
    let seal = dir.path().join("shared.seal");
    let a = App::spawn_with(Db::Postgres, |c| {
        c.database_url = url.clone();
        c.audit_seal = Some(seal.clone());
    })
    .await;
    let b = jixiao_server::open(Config {
        database_url: url.clone(),
        data_dir: dir.path().join("b"),
        audit_seal: Some(seal.clone()),
        sync_seconds: 0,
        ..Config::default()
    })
    .await
    .expect("node B");
    let (hook, got) = crate::followup::receiver(0).await;
    let admin = a.user("admin").await;
    admin
        .ok_post(
            "/api/v1/channels",
            json!({ "name": "两节点 two nodes", "kind": "webhook", "target": hook }),
            201,
        )
        .await;
    // A red warning (and its notices) through node A.
    let reporter = a.user("qly_reporter").await;
    for (e, v) in [("lit_concluded", "10"), ("lit_lost", "3")] {
        reporter
            .put_and_submit(
                &format!("/api/v1/values/QLY/{e}/2025Q4"),
                json!({ "value": v }),
            )
            .await;
    }
    // Rounds on both nodes at once, again and again, a minute of clock apart.
    let start = time::OffsetDateTime::now_utc();
    let mut ran = (0, 0);
    for i in 0..6 {
        let at = start + time::Duration::minutes(i);
        let (ra, rb) = tokio::join!(
            jixiao_server::ops::schedule::tick(&a.state, at),
            jixiao_server::ops::schedule::tick(&b, at)
        );
        let (ra, rb) = (ra.expect("round on A"), rb.expect("round on B"));
        ran.0 += usize::from(ra.ran);
        ran.1 += usize::from(rb.ran);
    }
    assert!(ran.0 + ran.1 >= 6, "every instant a round ran: {ran:?}");
    let all = got.all();
    assert!(
        all.iter().any(|(k, _, _)| k.starts_with("warning:")),
        "the warning reached the webhook: {all:?}"
    );
    let mut keys: Vec<&String> = all.iter().map(|(k, _, _)| k).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "a message was sent twice: {all:?}");
}
