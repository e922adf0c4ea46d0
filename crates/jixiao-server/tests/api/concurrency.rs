//! Many people at once, and a client that goes away: no request waits for a second pooled
//! connection while holding one, a request's work is finished whether or not its client is
//! still there, two publications of one period are serialised (and publishing again with
//! nothing changed changes nothing), and the server takes in what the command line wrote.

use crate::{App, Db, scenario};
use serde_json::{Value, json};

const CASES: &str = "/api/v1/values/QLY/mediation_cases/2025Q4";

/// With two connections in the pool, many readers and a writer at once all get their answer:
/// a read that held one connection while asking for another would wait forever here.
async fn a_small_pool_serves_many_at_once(db: Db) {
    let app = App::spawn_with(db, |c| {
        c.pool_size = Some(2);
        c.pool_timeout_seconds = 10;
    })
    .await;
    let office = app.user("office").await;
    office.ok_put(CASES, json!({ "value": "40" })).await;
    let reads = (0..24).map(|_| office.get(CASES));
    let write = office.put(
        "/api/v1/values/QLY/mediation_agreements/2025Q4",
        json!({ "value": "30" }),
    );
    let (reads, write) = tokio::join!(futures_util::future::join_all(reads), write);
    for r in reads {
        assert_eq!(r.status_code(), 200, "a read under load: {}", r.text());
        assert_eq!(r.json::<Value>()["row"]["value"], "40");
    }
    assert_eq!(
        write.status_code(),
        200,
        "the write under load: {}",
        write.text()
    );
}
scenario!(a_small_pool_serves_many_at_once);

/// A client that gives up at any moment: the value it was saving is afterwards either not
/// there or there in the database and in the live results alike (never committed but missing
/// from the results, as when the request was dropped between the commit and the update).
async fn a_client_that_goes_away_leaves_nothing_half_done(db: Db) {
    use tower::ServiceExt;
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let key = app.api_key("office").await;
    let path = "/api/v1/values/QLY/mediation_agreements/2025Q4";
    let mut version: Option<i64> = None;
    for i in 0..40u64 {
        let body = json!({ "value": (20 + i).to_string(), "version": version });
        let req = axum::http::Request::put(path)
            .header("authorization", &key)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .expect("request");
        let call = app.router.clone().oneshot(req);
        // Give up after a few hundred microseconds: before, during or after the commit.
        let _ = tokio::time::timeout(std::time::Duration::from_micros(50 * i), call).await;
        // Whatever was started finishes on its own; wait until the store and the live results
        // agree, which they must.
        let mut agreed = false;
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let stored = app.stored(&["QLY", "mediation_agreements", "2025Q4"]).await;
            let live = app
                .live_row(&["QLY", "mediation_agreements", "2025Q4"])
                .await;
            if stored == live {
                agreed = true;
                version = stored.map(|(_, v)| v);
                break;
            }
        }
        assert!(agreed, "round {i}: the store and the live results disagree");
    }
    // And the chain is whole.
    let v = office.ok_get("/api/v1/audit/verify").await;
    assert_eq!(v["broken_at"], Value::Null, "{v}");
}
scenario!(a_client_that_goes_away_leaves_nothing_half_done);

/// Two publications of one period at the same moment both succeed, one after the other; the
/// same again with nothing changed answers with the latest revision and writes nothing.
async fn publications_are_serialised_and_idempotent(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let admin = app.user("admin").await;
    crate::count_the_last_survey_score(&office).await;
    let body = json!({ "scheme": "wolong-2025", "period": "2025", "reason": "年度公示" });
    let (a, b) = tokio::join!(
        office.post("/api/v1/publications", body.clone()),
        admin.post("/api/v1/publications", body.clone())
    );
    let codes = [a.status_code().as_u16(), b.status_code().as_u16()];
    assert!(
        codes.contains(&201) && codes.iter().all(|c| *c == 201 || *c == 200),
        "both publish, one after the other: {codes:?} {} {}",
        a.text(),
        b.text()
    );
    let ids = [
        a.json::<Value>()["id"].clone(),
        b.json::<Value>()["id"].clone(),
    ];
    assert_eq!(ids[0], ids[1], "nothing changed in between: one revision");
    let all = office.ok_get("/api/v1/publications").await;
    let q3: Vec<&Value> = all
        .as_array()
        .expect("list")
        .iter()
        .filter(|p| p["period"] == "2025")
        .collect();
    assert_eq!(q3.len(), 1, "{all}");
    // Again, a moment later: still that revision, still one row.
    let again = office.post("/api/v1/publications", body.clone()).await;
    assert_eq!(again.status_code(), 200, "{}", again.text());
    assert_eq!(again.json::<Value>()["revision"], 1);
    // A change of a counted value makes the next publication a new revision.
    let q3 = "/api/v1/values/QLY/mediation_cases/2025Q3";
    let v = office.ok_get(q3).await["row"]["version"].clone();
    let step = |t: &'static str, version: Value| {
        let office = &office;
        async move {
            let r = office
                .ok_post(
                    &format!("{q3}/{t}"),
                    json!({ "version": version, "reason": "更正" }),
                    200,
                )
                .await;
            r["value"]["row"]["version"].clone()
        }
    };
    let v = step("return", v).await;
    let v = office
        .ok_put(q3, json!({ "value": "99", "version": v }))
        .await["value"]["row"]["version"]
        .clone();
    let v = step("submit", v).await;
    let v = step("approve", v).await;
    step("verify", v).await;
    let audit_before = office.ok_get("/api/v1/audit?action=results.publish").await["total"].clone();
    let changed = office.post("/api/v1/publications", body.clone()).await;
    let changed_again = office.post("/api/v1/publications", body).await;
    assert_eq!(changed.status_code(), 201, "{}", changed.text());
    assert_eq!(changed.json::<Value>()["revision"], 2);
    assert_eq!(changed_again.status_code(), 200, "{}", changed_again.text());
    assert_eq!(changed_again.json::<Value>()["revision"], 2);
    let audit_after = office.ok_get("/api/v1/audit?action=results.publish").await["total"].clone();
    assert_eq!(
        audit_after.as_i64(),
        audit_before.as_i64().map(|n| n + 1),
        "one publication, one audit entry"
    );
}
scenario!(publications_are_serialised_and_idempotent);

/// Values imported by the command line (another process on the same database) reach the
/// server's live results and review queue when it next looks for changes.
async fn the_server_takes_in_what_the_command_line_wrote(db: Db) {
    let app = App::spawn(db).await;
    let leader = app.user("qly_leader").await;
    let before = leader.get("/review").await;
    assert!(
        !before.text().contains("mediation_cases"),
        "nothing waits yet"
    );
    // The command line: its own connection to the same database, importing as the reporter.
    let cli = jixiao_server::open(app.state.config.as_ref().clone())
        .await
        .expect("second process");
    let row = jixiao_store::users::by_name(&cli.store, "qly_reporter")
        .await
        .expect("user")
        .expect("reporter");
    let user = jixiao_server::auth::User::from_row(&row).expect("user");
    let caller = jixiao_server::ops::Caller::person(user, "import", "cli-test".into());
    let csv = "unit,item,period,value\nQLY,mediation_cases,2025Q4,42\nQLY,mediation_agreements,2025Q4,35\n";
    let r = jixiao_server::ops::imports::import(
        &cli,
        &caller,
        "q4.csv",
        csv.as_bytes(),
        jixiao_server::ops::imports::Mode::AllOrNothing,
        false,
        None,
        None,
    )
    .await
    .expect("import");
    assert!(r.committed, "{r:?}");
    // The server has not looked yet.
    assert_eq!(
        app.live_row(&["QLY", "mediation_cases", "2025Q4"]).await,
        None
    );
    let read = app.state.sync().await.expect("sync");
    assert!(read >= 2, "read the import's entries: {read}");
    assert_eq!(
        app.live_row(&["QLY", "mediation_cases", "2025Q4"]).await,
        app.stored(&["QLY", "mediation_cases", "2025Q4"]).await
    );
    let after = leader.get("/review").await;
    assert!(
        after.text().contains("42"),
        "the imported values wait for the unit leader"
    );
    // A structural change (a new period opened by the command line's connection) rebuilds.
    let mut tx = cli.store.write().await.expect("tx");
    jixiao_store::periods::create(
        &mut tx,
        &jixiao_store::audit::Actor::system("cli"),
        "wolong-2025",
        "2025H2",
        None,
        true,
    )
    .await
    .expect("period");
    tx.commit().await.expect("commit");
    app.state.sync().await.expect("sync");
    assert!(
        app.state
            .live
            .read()
            .await
            .periods
            .iter()
            .any(|p| p.period == "2025H2")
    );
}
scenario!(the_server_takes_in_what_the_command_line_wrote);

/// A clerk's form left open while the office changed a number: saving it is refused, the
/// office's number is named beside the clerk's, and nothing is overwritten; saved again (now
/// knowingly), it goes through.
async fn a_stale_form_does_not_overwrite_a_newer_number(db: Db) {
    let app = App::spawn(db).await;
    let reporter = app.user("qly_reporter").await;
    let office = app.user("office").await;
    let cases = reporter.ok_put(CASES, json!({ "value": "40" })).await;
    let shown = cases["value"]["row"]["version"].as_i64().expect("version");
    // The office corrects it while the clerk's form is still open.
    office
        .ok_put(CASES, json!({ "value": "44", "version": shown }))
        .await;
    let form = |value: &str, version: String| {
        vec![
            (
                "_csrf".to_owned(),
                reporter.csrf.clone().unwrap_or_default(),
            ),
            ("v:mediation_cases".to_owned(), value.to_owned()),
            ("n:mediation_cases".to_owned(), String::new()),
            ("ver:mediation_cases".to_owned(), version),
            ("action".to_owned(), "save".to_owned()),
        ]
    };
    let stale = reporter
        .server
        .post("/entry/QLY/2025Q4")
        .form(&form("41", shown.to_string()))
        .await;
    assert_eq!(stale.status_code(), 422, "{}", stale.text());
    let page = stale.text();
    assert!(
        page.contains("44") && page.contains("41") && page.contains("office"),
        "the newer number and who made it, beside the clerk's"
    );
    assert_eq!(
        app.stored(&["QLY", "mediation_cases", "2025Q4"]).await,
        Some(("44".to_owned(), shown + 1)),
        "nothing overwritten"
    );
    // The form as shown again carries the current version: saving now is a decision.
    let again = reporter
        .server
        .post("/entry/QLY/2025Q4")
        .form(&form("41", (shown + 1).to_string()))
        .await;
    assert_eq!(again.status_code(), 303, "{}", again.text());
    assert_eq!(
        app.stored(&["QLY", "mediation_cases", "2025Q4"]).await,
        Some(("41".to_owned(), shown + 2))
    );
}
scenario!(a_stale_form_does_not_overwrite_a_newer_number);

/// A form is one transaction: when submitting it fails part-way (here a check between its
/// numbers: 50 agreements of 40 cases), nothing of it is saved — not even the drafts.
async fn a_form_saves_all_or_nothing(db: Db) {
    let app = App::spawn(db).await;
    let reporter = app.user("qly_reporter").await;
    let form = |cases: &str, agreements: &str| {
        vec![
            (
                "_csrf".to_owned(),
                reporter.csrf.clone().unwrap_or_default(),
            ),
            ("v:mediation_cases".to_owned(), cases.to_owned()),
            ("n:mediation_cases".to_owned(), String::new()),
            ("v:mediation_agreements".to_owned(), agreements.to_owned()),
            ("n:mediation_agreements".to_owned(), String::new()),
            ("action".to_owned(), "submit".to_owned()),
        ]
    };
    let refused = reporter
        .server
        .post("/entry/QLY/2025Q4")
        .form(&form("40", "50"))
        .await;
    assert!(
        refused.status_code().is_client_error(),
        "{}: {}",
        refused.status_code(),
        refused.text()
    );
    for item in ["mediation_cases", "mediation_agreements"] {
        assert_eq!(app.stored(&["QLY", item, "2025Q4"]).await, None, "{item}");
        assert_eq!(app.live_row(&["QLY", item, "2025Q4"]).await, None, "{item}");
    }
    // Consistent numbers go through together: both saved and submitted.
    let done = reporter
        .server
        .post("/entry/QLY/2025Q4")
        .form(&form("40", "36"))
        .await;
    assert_eq!(done.status_code(), 303, "{}", done.text());
    for item in ["mediation_cases", "mediation_agreements"] {
        let v = reporter
            .ok_get(&format!("/api/v1/values/QLY/{item}/2025Q4"))
            .await;
        assert_eq!(v["row"]["state"], "submitted", "{item}: {v}");
    }
}
scenario!(a_form_saves_all_or_nothing);

/// Another process holding SQLite's write lock (a long import from the command line) past the
/// wait: a write is answered "busy, try again" (503, problem+json), not an internal error, and
/// changes nothing; once the lock is gone the same write goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_locked_out_by_another_process_is_told_to_retry_sqlite() {
    let app = App::spawn_with(Db::Sqlite, |c| c.pool_timeout_seconds = 1).await;
    let office = app.user("office").await;
    let url = app.state.config.database_url.clone();
    // A second, separate pool on the same file: as the command line would open it.
    let other = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("another process");
    let mut holder = other
        .begin_with("BEGIN IMMEDIATE")
        .await
        .expect("write lock");
    let r = office.put(CASES, json!({ "value": "41" })).await;
    assert_eq!(r.status_code(), 503, "{}", r.text());
    let body: Value = r.json();
    assert_eq!(body["code"], "busy", "{body}");
    assert!(
        r.header("content-type")
            .to_str()
            .is_ok_and(|t| t.starts_with("application/problem+json"))
    );
    sqlx::query("SELECT 1")
        .execute(&mut *holder)
        .await
        .expect("still held");
    holder.rollback().await.expect("release");
    assert_eq!(
        app.stored(&["QLY", "mediation_cases", "2025Q4"]).await,
        None
    );
    office.ok_put(CASES, json!({ "value": "41" })).await;
    assert_eq!(
        app.stored(&["QLY", "mediation_cases", "2025Q4"])
            .await
            .map(|(v, _)| v),
        Some("41".to_owned())
    );
}
