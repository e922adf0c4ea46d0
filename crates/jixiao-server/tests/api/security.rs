//! A stolen or planted cookie, a forged sign-in, a link that leads elsewhere, a stranger who
//! would lock an account, a guessable password: each is refused.

use crate::{App, Db, scenario};
use serde_json::{Value, json};

fn session_cookie(r: &axum_test::TestResponse) -> Option<String> {
    r.maybe_cookie("jixiao_session")
        .map(|c| c.value().to_owned())
}

/// Signing in gives a new session id, even on a cookie that already held a signed-in session:
/// a cookie planted before the sign-in never becomes the signed-in session.
async fn every_sign_in_gets_a_new_session(db: Db) {
    let app = App::spawn(db).await;
    app.user("office").await;
    let body = json!({ "username": "office", "password": crate::own_password("office") });
    let c = app.client();
    let first = c.post("/api/v1/auth/login", body.clone()).await;
    assert_eq!(first.status_code(), 200, "{}", first.text());
    let planted = session_cookie(&first).expect("a session cookie");
    // Signing in again on that same cookie (as a victim would on a cookie an attacker set).
    let second = c.post("/api/v1/auth/login", body).await;
    assert_eq!(second.status_code(), 200, "{}", second.text());
    let fresh = session_cookie(&second).expect("a new session cookie");
    assert_ne!(planted, fresh, "the session id changed at the sign-in");
    // The planted id signs nobody in any more.
    let attacker = app.client();
    let r = attacker
        .server
        .get("/api/v1/me")
        .add_header("cookie", format!("jixiao_session={planted}"))
        .await;
    assert_eq!(r.status_code(), 401, "{}", r.text());
}
scenario!(every_sign_in_gets_a_new_session);

/// The sign-in form carries a token of its own: a form posted from another site (without the
/// token and its cookie) signs nobody in.
async fn the_sign_in_form_needs_its_token(db: Db) {
    let app = App::spawn(db).await;
    let c = app.client();
    let password = app.passwords["office"].clone();
    let forged = c
        .server
        .post("/login")
        .form(&[
            ("username", "office"),
            ("password", password.as_str()),
            ("next", "/"),
        ])
        .await;
    assert_eq!(forged.status_code(), 403, "{}", forged.text());
    assert_eq!(
        c.get("/api/v1/me").await.status_code(),
        401,
        "not signed in"
    );
    // The form as the sign-in page gives it works.
    let page = c.server.get("/login").await;
    let html = page.text();
    let token = html
        .split("name=\"_login\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the form's token")
        .to_owned();
    let ok = c
        .server
        .post("/login")
        .form(&[
            ("username", "office"),
            ("password", password.as_str()),
            ("next", "/"),
            ("_login", token.as_str()),
        ])
        .await;
    assert_eq!(ok.status_code(), 303, "{}", ok.text());
}
scenario!(the_sign_in_form_needs_its_token);

/// Links that would lead to another site after the language switch or the sign-in lead home.
async fn redirects_stay_on_this_site(db: Db) {
    let app = App::spawn(db).await;
    let c = app.client();
    for back in [
        "/%09/evil.example",
        "//evil.example",
        "/%5C%5Cevil.example",
        "https://evil.example",
    ] {
        let r = c.server.get(&format!("/lang/en?back={back}")).await;
        assert_eq!(r.status_code(), 303);
        assert_eq!(r.header("location"), "/", "{back}");
    }
    let r = c.server.get("/lang/en?back=/public").await;
    assert_eq!(r.header("location"), "/public");
}
scenario!(redirects_stay_on_this_site);

/// Every answer says: no sniffing, no framing, no referrer elsewhere, scripts from this site
/// only, and signed-in pages are not stored.
async fn answers_carry_security_headers(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    for path in ["/", "/dashboard/wolong-2025/2025", "/api/v1/me"] {
        let r = office.get(path).await;
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(r.header("x-frame-options"), "DENY", "{path}");
        assert_eq!(r.header("referrer-policy"), "same-origin", "{path}");
        assert_eq!(r.header("cache-control"), "no-store", "{path}");
        let csp = r.header("content-security-policy");
        let csp = csp.to_str().expect("csp");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
    }
    // Static files may be cached.
    let css = office.get("/static/app.css").await;
    assert_ne!(css.header("cache-control"), "no-store");
}
scenario!(answers_carry_security_headers);

/// Wrong passwords from one address lock that address out of the account; the owner signing in
/// from elsewhere is not locked out.
async fn a_stranger_cannot_lock_the_owner_out(db: Db) {
    let app = App::spawn_with(db, |c| c.trust_forwarded_for = true).await;
    app.user("qly_leader").await;
    let right = crate::own_password("qly_leader");
    let c = app.client();
    let attempt = |from: &'static str, password: String| {
        let c = &c;
        async move {
            c.server
                .post("/api/v1/auth/login")
                .add_header("x-forwarded-for", from)
                .json(&json!({ "username": "qly_leader", "password": password }))
                .await
        }
    };
    for i in 1..=5 {
        let r = attempt("203.0.113.9", "guess".into()).await;
        assert_eq!(
            r.status_code(),
            if i < 5 { 401 } else { 423 },
            "attempt {i}"
        );
    }
    // The stranger's address is locked out, even with the right password…
    assert_eq!(
        attempt("203.0.113.9", right.clone()).await.status_code(),
        423
    );
    // …the owner's is not.
    let r = attempt("198.51.100.7", right).await;
    assert_eq!(r.status_code(), 200, "{}", r.text());
}
scenario!(a_stranger_cannot_lock_the_owner_out);

/// Guessable passwords are refused, with why.
async fn guessable_passwords_are_refused(db: Db) {
    let app = App::spawn(db).await;
    let first = app.passwords["leader"].clone();
    let mut c = app.client();
    let r = c
        .post(
            "/api/v1/auth/login",
            json!({ "username": "leader", "password": first }),
        )
        .await;
    c.csrf = r.json::<Value>()["csrf_token"].as_str().map(str::to_owned);
    for weak in [
        "aaaaaaaaaa",
        "1234567890",
        "password123",
        "qwertyuiop",
        "Password2025",
    ] {
        let r = c
            .post(
                "/api/v1/auth/password",
                json!({ "old_password": first, "new_password": weak }),
            )
            .await;
        assert_eq!(r.status_code(), 400, "{weak}: {}", r.text());
        assert_eq!(r.json::<Value>()["code"], "weak_password", "{weak}");
    }
    let r = c
        .post(
            "/api/v1/auth/password",
            json!({ "old_password": first, "new_password": "湖畔-橘子-steam-41-kite" }),
        )
        .await;
    assert_eq!(r.status_code(), 200, "{}", r.text());
}
scenario!(guessable_passwords_are_refused);

/// A value changed in the database behind jixiao's back (no audit entry) is reported by the
/// audit check, which names the value and both versions of it.
async fn a_value_changed_behind_our_back_is_reported(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let v = office.ok_get("/api/v1/audit/verify").await;
    assert_eq!(v["broken_at"], Value::Null, "{v}");
    assert_eq!(v["value_problem"], Value::Null, "{v}");
    assert!(v["values_checked"].as_i64().unwrap_or(0) > 1000, "{v}");
    sqlx::query(
        "UPDATE data_values SET value = '99' WHERE unit_code = 'QLY' AND element = 'mediation_cases' AND period = '2025Q3'",
    )
    .execute(&app.state.store.pool)
    .await
    .expect("edit behind the back");
    let v = office.ok_get("/api/v1/audit/verify").await;
    let problem = v["value_problem"].as_str().expect("reported");
    assert!(
        problem.contains("QLY/mediation_cases/2025Q3") && problem.contains("99"),
        "{problem}"
    );
}
scenario!(a_value_changed_behind_our_back_is_reported);
