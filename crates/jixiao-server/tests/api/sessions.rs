//! Sessions held in memory (P14) end when they must: a new password ends the user's other
//! sessions, a disabled account's session ends at its next request, a sign-out is audited — and
//! on two nodes, a sign-out through one ends the session held in the other's memory, and a key
//! revoked through one is refused by the other.

use crate::{App, Db, fresh_database, own_password, scenario};
use axum_test::TestServer;
use jixiao_server::config::Config;
use serde_json::{Value, json};

async fn me(c: &crate::Client) -> u16 {
    c.get("/api/v1/me").await.status_code().as_u16()
}

async fn sessions_end_when_they_must(db: Db) {
    let app = App::spawn(db).await;
    let first = app.user("office").await;
    // A second session of the same person (another browser).
    let mut second = app.client();
    let r = second
        .post(
            "/api/v1/auth/login",
            json!({ "username": "office", "password": own_password("office") }),
        )
        .await;
    assert_eq!(r.status_code(), 200, "{}", r.text());
    second.csrf = r.json::<Value>()["csrf_token"].as_str().map(str::to_owned);
    // Both are served (the second from memory after its first request).
    assert_eq!(me(&first).await, 200);
    assert_eq!(me(&second).await, 200);
    assert_eq!(me(&second).await, 200);

    // A new password through the first: the second ends, the first goes on.
    let r = first
        .post(
            "/api/v1/auth/password",
            json!({ "old_password": own_password("office"), "new_password": "湖畔-橘子-steam-41-kite" }),
        )
        .await;
    assert_eq!(r.status_code(), 200, "{}", r.text());
    assert_eq!(me(&second).await, 401);

    // A disabled account's session ends at its next request.
    let street = app.user("qly_reporter").await;
    assert_eq!(me(&street).await, 200);
    let admin = app.user("admin").await;
    admin
        .ok_post(
            "/api/v1/users/qly_reporter/disable",
            json!({ "disabled": true, "reason": "调离" }),
            200,
        )
        .await;
    assert_eq!(me(&street).await, 401);

    // Signing out is audited, and the cookie no longer works.
    let leader = app.user("leader").await;
    assert_eq!(me(&leader).await, 200);
    let r = leader.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(r.status_code(), 204, "{}", r.text());
    assert_eq!(me(&leader).await, 401);
    let n: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.logout' AND entity_id = 'leader'")
            .fetch_one(&app.state.store.pool)
            .await
            .expect("count"),
        "n",
    )
    .expect("n");
    assert_eq!(n, 1);
}
scenario!(sessions_end_when_they_must);

/// The session cookie of `name` signed in through `server` (its first sign-in sets its own
/// password): (cookie header, CSRF token).
async fn signed_in(server: &TestServer, app: &App, name: &str) -> (String, String) {
    let first = app.passwords.get(name).expect("account").clone();
    let cookie_of = |r: &axum_test::TestResponse| {
        r.maybe_header("set-cookie")
            .and_then(|h| h.to_str().ok().map(str::to_owned))
            .and_then(|c| c.split(';').next().map(str::to_owned))
            .expect("a session cookie")
    };
    let r = server
        .post("/api/v1/auth/login")
        .json(&json!({ "username": name, "password": first }))
        .await;
    assert_eq!(r.status_code(), 200, "{}", r.text());
    let (cookie, csrf) = (
        cookie_of(&r),
        r.json::<Value>()["csrf_token"]
            .as_str()
            .expect("csrf")
            .to_owned(),
    );
    let r = server
        .post("/api/v1/auth/password")
        .add_header("cookie", cookie.as_str())
        .add_header("x-csrf-token", csrf.as_str())
        .json(&json!({ "old_password": first, "new_password": own_password(name) }))
        .await;
    assert_eq!(r.status_code(), 200, "{}", r.text());
    (
        cookie_of(&r),
        r.json::<Value>()["csrf_token"]
            .as_str()
            .expect("csrf")
            .to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_out_through_one_node_ends_the_session_on_the_other_postgres() {
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
    b.listen_for_changes();
    let a_server = TestServer::new(a.router.clone());
    let b_server = TestServer::new(jixiao_server::build_app(b.clone()));
    let (cookie, csrf) = signed_in(&a_server, &a, "office").await;
    let on_b = async || {
        b_server
            .get("/api/v1/me")
            .add_header("cookie", cookie.as_str())
            .await
            .status_code()
            .as_u16()
    };
    // B serves the session (and holds it in memory from now on).
    assert_eq!(on_b().await, 200);
    assert_eq!(on_b().await, 200);
    let r = a_server
        .post("/api/v1/auth/logout")
        .add_header("cookie", cookie.as_str())
        .add_header("x-csrf-token", csrf.as_str())
        .json(&json!({}))
        .await;
    assert_eq!(r.status_code(), 204, "{}", r.text());
    let mut ended = false;
    for _ in 0..300 {
        if on_b().await == 401 {
            ended = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        ended,
        "node B still serves a session signed out through node A"
    );

    // API keys are held in memory too: a key revoked through A stops working on B.
    let (admin, admin_csrf) = signed_in(&a_server, &a, "admin").await;
    let r = a_server
        .post("/api/v1/api-keys")
        .add_header("cookie", admin.as_str())
        .add_header("x-csrf-token", admin_csrf.as_str())
        .json(&json!({ "name": "two-nodes", "role": "office" }))
        .await;
    assert_eq!(r.status_code(), 201, "{}", r.text());
    let key: Value = r.json();
    let bearer = format!("Bearer {}", key["key"].as_str().expect("key"));
    let prefix = key["row"]["prefix"].as_str().expect("prefix");
    let key_on_b = async || {
        b_server
            .get("/api/v1/periods")
            .add_header("authorization", bearer.as_str())
            .await
            .status_code()
            .as_u16()
    };
    // B reads the key once and holds it.
    assert_eq!(key_on_b().await, 200);
    assert_eq!(key_on_b().await, 200);
    let r = a_server
        .post(&format!("/api/v1/api-keys/{prefix}/revoke"))
        .add_header("cookie", admin.as_str())
        .add_header("x-csrf-token", admin_csrf.as_str())
        .json(&json!({ "reason": "leaked" }))
        .await;
    assert_eq!(r.status_code(), 204, "{}", r.text());
    let mut refused = false;
    for _ in 0..300 {
        if key_on_b().await == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(refused, "node B still accepts a key revoked through node A");
}
