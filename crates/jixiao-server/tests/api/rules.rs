//! The rules around the cycle: every transition from every state (legal ones move, illegal
//! ones get 409 with the current state), two people acting at once, closed periods, audit
//! tampering, and the account rules (lockout, CSRF, forced password change, API keys).

use crate::{App, Client, Db, scenario};
use serde_json::{Value, json};
use sqlx::Row;

const TRANSITIONS: [&str; 6] = ["save", "submit", "approve", "verify", "count", "return"];

/// The workflow as the issue states it, written out independently of the code: where each
/// transition leads from each state, for data a unit reports (`unit = true`: its leader
/// approves, the lead department verifies) and for external data (no unit approval).
fn legal(unit: bool, from: &str, t: &str) -> Option<&'static str> {
    match (from, t) {
        ("none" | "draft" | "returned", "save") => Some("draft"),
        ("draft" | "returned", "submit") => Some("submitted"),
        ("submitted", "approve") if unit => Some("approved"),
        ("approved", "verify") if unit => Some("verified"),
        ("submitted", "verify") if !unit => Some("verified"),
        ("verified", "count") => Some("counted"),
        ("submitted" | "approved" | "verified" | "counted", "return") => Some("returned"),
        _ => None,
    }
}

/// The value's state (`none` before anything is entered), version and allowed transitions.
async fn look(c: &Client, key: &str) -> (String, i64, Vec<String>) {
    let v = c.ok_get(&format!("/api/v1/values/{key}")).await;
    let row = &v["row"];
    let state = row["state"].as_str().unwrap_or("none").to_owned();
    let allowed = v["allowed"]
        .as_array()
        .expect("allowed")
        .iter()
        .map(|t| t.as_str().expect("transition").to_owned())
        .collect();
    (state, row["version"].as_i64().unwrap_or(0), allowed)
}

/// Acts on a value. The numbers the tests save are at least the matching agreement counts, so
/// the scheme's check (agreements ≤ cases) never stands in the way of a workflow move.
async fn act(c: &Client, key: &str, t: &str, version: i64, value: &str) -> axum_test::TestResponse {
    if t == "save" {
        c.put(
            &format!("/api/v1/values/{key}"),
            json!({ "value": value, "version": version }),
        )
        .await
    } else {
        c.post(
            &format!("/api/v1/values/{key}/{t}"),
            json!({ "version": version, "reason": "规则测试 rules test" }),
        )
        .await
    }
}

/// Walks a value to `target` along the workflow (returning it first if it is under review).
async fn reach(c: &Client, key: &str, target: &str, unit: bool) {
    if target == "returned" {
        let state = look(c, key).await.0;
        if state == target {
            return;
        }
        if legal(unit, &state, "return").is_none() {
            Box::pin(reach(c, key, "submitted", unit)).await;
        }
        let version = look(c, key).await.1;
        let r = act(c, key, "return", version, "").await;
        assert_eq!(r.status_code(), 200, "return {key}: {}", r.text());
        return;
    }
    for step in ["return", "save", "submit", "approve", "verify", "count"] {
        let (state, version, _) = look(c, key).await;
        if state == target {
            return;
        }
        if legal(unit, &state, step).is_none() {
            continue;
        }
        let r = act(c, key, step, version, "70").await;
        assert_eq!(
            r.status_code(),
            200,
            "{step} {key} from {state}: {}",
            r.text()
        );
    }
    assert_eq!(look(c, key).await.0, target, "{key} reaches {target}");
}

async fn set_period(office: &Client, period: &str, change: Value) -> Value {
    let periods = office.ok_get("/api/v1/periods").await;
    let row = periods
        .as_array()
        .expect("periods")
        .iter()
        .find(|p| p["scheme_code"] == "wolong-2025" && p["period"] == period)
        .expect("period")
        .clone();
    let mut body = json!({ "status": row["status"], "version": row["version"], "reason": "规则测试 rules test" });
    for (k, v) in change.as_object().expect("change") {
        body[k] = v.clone();
    }
    office
        .ok_put(&format!("/api/v1/periods/wolong-2025/{period}"), body)
        .await
}

async fn every_transition_from_every_state(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    // Verified values wait for the office to count them in this quarter.
    set_period(&office, "2025Q1", json!({ "auto_count": false })).await;

    // (unit route?, a value that exists, one that does not yet)
    let routes = [
        (
            true,
            "MXI/mediation_cases/2025Q1",
            "QLY/mediation_cases/2025Q4",
        ),
        (
            false,
            "MXI/safety_inspection/2025Q1",
            "WLG-C04/satisfaction/2025Q3",
        ),
    ];
    let mut checked = 0;
    for (unit, key, fresh) in routes {
        let states: &[&str] = if unit {
            &[
                "none",
                "draft",
                "submitted",
                "approved",
                "verified",
                "counted",
                "returned",
            ]
        } else {
            &[
                "none",
                "draft",
                "submitted",
                "verified",
                "counted",
                "returned",
            ]
        };
        for &from in states {
            let key = if from == "none" { fresh } else { key };
            // Illegal moves first: each is refused with the current state and changes nothing.
            for t in TRANSITIONS
                .iter()
                .filter(|t| legal(unit, from, t).is_none())
            {
                reach(&office, key, from, unit).await;
                let (_, version, allowed) = look(&office, key).await;
                let expect: Vec<_> = TRANSITIONS
                    .iter()
                    .filter(|t| legal(unit, from, t).is_some())
                    .map(|t| t.to_string())
                    .collect();
                assert_eq!(allowed, expect, "{key} offers what is legal from {from}");
                let r = act(&office, key, t, version, "80").await;
                assert_eq!(
                    r.status_code(),
                    409,
                    "{t} from {from} on {key}: {}",
                    r.text()
                );
                let body: Value = r.json();
                assert_eq!(body["code"], "illegal_transition", "{t} from {from}");
                let current = body["current"]["state"].as_str().unwrap_or("none");
                assert_eq!(current, from, "the 409 names the current state");
                assert_eq!(body["allowed"], json!(expect));
                assert!(body["title"].as_str().is_some_and(|s| !s.is_empty()));
                assert_eq!(look(&office, key).await.1, version, "nothing changed");
                checked += 1;
            }
            // Legal moves: each leads where the workflow says.
            for t in TRANSITIONS
                .iter()
                .filter(|t| legal(unit, from, t).is_some())
            {
                reach(&office, key, from, unit).await;
                let (_, version, _) = look(&office, key).await;
                let r = act(&office, key, t, version, "80").await;
                assert_eq!(
                    r.status_code(),
                    200,
                    "{t} from {from} on {key}: {}",
                    r.text()
                );
                let to = r.json::<Value>()["value"]["row"]["state"].clone();
                assert_eq!(to, json!(legal(unit, from, t)), "{t} from {from}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 7 * 6 + 6 * 6, "every state × every transition");

    // Acting on an old version is refused with the current row, whichever transition.
    let key = "MXI/mediation_cases/2025Q1";
    reach(&office, key, "draft", true).await;
    let (_, version, _) = look(&office, key).await;
    let r = act(&office, key, "save", version - 1, "90").await;
    assert_eq!(r.status_code(), 409);
    let body: Value = r.json();
    assert_eq!(body["code"], "version_conflict");
    assert_eq!(body["current"]["version"], version);
    assert_eq!(body["current"]["state"], "draft");

    // A return needs a reason.
    reach(&office, key, "submitted", true).await;
    let (_, version, _) = look(&office, key).await;
    let r = office
        .post(
            &format!("/api/v1/values/{key}/return"),
            json!({ "version": version, "reason": "  " }),
        )
        .await;
    assert_eq!(r.status_code(), 400);
    assert_eq!(r.json::<Value>()["code"], "reason_required");
    // An unknown transition is not an endpoint.
    let r = act(&office, key, "publish", version, "90").await;
    assert_eq!(r.status_code(), 404);
    assert_eq!(
        look(&office, key).await,
        (
            "submitted".into(),
            version,
            vec!["approve".into(), "return".into()]
        )
    );
}
scenario!(every_transition_from_every_state);

async fn two_people_at_once(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let reviewer = app.user("sfj_reviewer").await;
    set_period(&office, "2025Q1", json!({ "auto_count": false })).await;
    let key = "MXI/mediation_cases/2025Q1";
    for round in 0..4 {
        // The Justice Bureau verifies while the office returns the same approved value.
        reach(&office, key, "approved", true).await;
        let (_, version, _) = look(&office, key).await;
        let (a, b) = tokio::join!(
            act(&reviewer, key, "verify", version, ""),
            act(&office, key, "return", version, "")
        );
        let (sa, sb) = (a.status_code().as_u16(), b.status_code().as_u16());
        assert!(
            (sa, sb) == (200, 409) || (sa, sb) == (409, 200),
            "round {round}: one wins, one is refused: {sa} {sb}"
        );
        let (winner, loser, won_state) = if sa == 200 {
            (a, b, "verified")
        } else {
            (b, a, "returned")
        };
        let lost: Value = loser.json();
        assert!(
            matches!(
                lost["code"].as_str(),
                Some("version_conflict" | "illegal_transition")
            ),
            "{lost}"
        );
        // The loser is told what the value is now: the winner's result.
        assert_eq!(lost["current"]["state"], won_state, "{lost}");
        assert_eq!(lost["current"], winner.json::<Value>()["value"]["row"]);
        assert_eq!(look(&office, key).await.0, won_state);
    }

    // Two edits of one draft: one number is kept, the other is refused, nothing is mixed.
    reach(&office, key, "draft", true).await;
    let (_, version, _) = look(&office, key).await;
    let (a, b) = tokio::join!(
        act(&office, key, "save", version, "11"),
        act(&office, key, "save", version, "12")
    );
    let codes = [a.status_code().as_u16(), b.status_code().as_u16()];
    assert!(codes == [200, 409] || codes == [409, 200], "{codes:?}");
    let kept = if codes[0] == 200 { "11" } else { "12" };
    let now = office.ok_get(&format!("/api/v1/values/{key}")).await;
    assert_eq!(now["row"]["value"], kept);
    assert_eq!(now["row"]["version"], version + 1);
    // The audit log has exactly one save for that version.
    let audit = office
        .ok_get("/api/v1/audit?action=value.save&entity_id=MXI/mediation_cases/2025Q1&limit=1000")
        .await;
    let saves_of_version = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| {
            serde_json::from_str::<Value>(e["before"].as_str().unwrap_or("null"))
                .is_ok_and(|b| b["version"] == version)
        })
        .count();
    assert_eq!(saves_of_version, 1);

    // Many writers at once on different values: every write lands and the audit chain, whose
    // entries they all append to, holds.
    let keys: Vec<String> = ["QLY", "MXI", "WLG", "WHO", "JGA", "LHE", "PSH", "SQI"]
        .iter()
        .map(|u| format!("{u}/mediation_agreements/2025Q1"))
        .collect();
    let before = office.ok_get("/api/v1/audit/verify").await["entries"]
        .as_i64()
        .expect("entries");
    let returns = keys.iter().map(|k| async {
        let (_, version, _) = look(&office, k).await;
        act(&office, k, "return", version, "").await.status_code()
    });
    let codes = futures_util::future::join_all(returns).await;
    assert!(codes.iter().all(|c| *c == 200), "{codes:?}");
    let v = office.ok_get("/api/v1/audit/verify").await;
    assert_eq!(v["broken_at"], Value::Null, "{v}");
    assert_eq!(v["entries"].as_i64(), Some(before + keys.len() as i64));
}
scenario!(two_people_at_once);

async fn a_closed_period_locks_its_values(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let reporter = app.user("qly_reporter").await;
    let key = "QLY/mediation_cases/2025Q2";
    let (state, version, allowed) = look(&office, key).await;
    assert_eq!(state, "counted");
    assert_eq!(allowed, ["return"]);

    // Closing needs a reason.
    let periods = office.ok_get("/api/v1/periods").await;
    let q2 = periods
        .as_array()
        .expect("periods")
        .iter()
        .find(|p| p["scheme_code"] == "wolong-2025" && p["period"] == "2025Q2")
        .expect("2025Q2")
        .clone();
    let r = office
        .put(
            "/api/v1/periods/wolong-2025/2025Q2",
            json!({ "status": "closed", "version": q2["version"], "reason": "" }),
        )
        .await;
    assert_eq!(r.status_code(), 400);
    let closed = set_period(
        &office,
        "2025Q2",
        json!({ "status": "closed", "reason": "二季度考核结束 quarter assessed" }),
    )
    .await;
    assert_eq!(closed["status"], "closed");

    // Nobody changes a locked value, the office included; it says the period is closed.
    let view = office.ok_get(&format!("/api/v1/values/{key}")).await;
    assert_eq!(view["locked"], true);
    assert_eq!(view["allowed"], json!([]));
    for (who, t) in [
        (&office, "return"),
        (&office, "save"),
        (&reporter, "save"),
        (&reporter, "submit"),
    ] {
        let r = act(who, key, t, version, "3").await;
        assert_eq!(r.status_code(), 409, "{t}: {}", r.text());
        assert_eq!(r.json::<Value>()["code"], "period_closed");
    }
    // Other quarters stay open; a quarterly item has no half-year value to lock.
    let r = office
        .get("/api/v1/values/QLY/mediation_cases/2025H1")
        .await;
    assert_eq!(r.status_code(), 404);
    assert!(
        r.json::<Value>()["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("per quarter")),
        "{}",
        r.text()
    );
    for (period, locked) in [("2025Q1", false), ("2025Q3", false)] {
        let v = office
            .ok_get(&format!("/api/v1/values/QLY/mediation_cases/{period}"))
            .await;
        assert_eq!(v["locked"], locked, "{period}");
    }
    assert_eq!(look(&office, key).await.1, version);
    // Closing a quarter does not lock the year's annual values.
    let annual = office.ok_get("/api/v1/values/QLY/party_rating/2025").await;
    assert_eq!(annual["locked"], false, "{annual}");

    // A period closed in the database that this node has not read yet (closed through another
    // node): the writing transaction itself refuses.
    sqlx::query("UPDATE periods SET status = 'closed' WHERE scheme_code = 'wolong-2025' AND period = '2025Q3'")
        .execute(&app.state.store.pool)
        .await
        .expect("closed elsewhere");
    let q3 = "QLY/mediation_cases/2025Q3";
    let (_, v3, _) = look(&office, q3).await;
    let r = act(&office, q3, "return", v3, "").await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
    assert_eq!(r.json::<Value>()["code"], "period_closed");
    assert_eq!(look(&office, q3).await.1, v3);
    sqlx::query("UPDATE periods SET status = 'open' WHERE scheme_code = 'wolong-2025' AND period = '2025Q3'")
        .execute(&app.state.store.pool)
        .await
        .expect("open again");

    // The office reopens it, with a reason, and work goes on.
    let reopened = set_period(
        &office,
        "2025Q2",
        json!({ "status": "open", "reason": "申诉核实需更正 correction after an appeal" }),
    )
    .await;
    assert_eq!(reopened["status"], "open");
    let r = act(&office, key, "return", version, "").await;
    assert_eq!(r.status_code(), 200, "{}", r.text());

    // Both moves are in the audit log with who and why.
    let audit = office
        .ok_get("/api/v1/audit?entity=period&entity_id=wolong-2025/2025Q2")
        .await;
    let actions: Vec<_> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_owned(),
                e["actor"].clone(),
                e["reason"].clone(),
            )
        })
        .collect();
    assert!(
        actions.contains(&(
            "period.close".into(),
            json!("office"),
            json!("二季度考核结束 quarter assessed")
        )),
        "{actions:?}"
    );
    assert!(
        actions.contains(&(
            "period.reopen".into(),
            json!("office"),
            json!("申诉核实需更正 correction after an appeal")
        )),
        "{actions:?}"
    );
}
scenario!(a_closed_period_locks_its_values);

/// While an appeal is open, the values it disputes (the appealed indicator's elements, of the
/// unit, in the published period) cannot change by a save, a return, an import or a feed: 409
/// naming the appeal. Resolving it is the only way to change them, and it records before and
/// after; once resolved, work goes on.
async fn an_open_appeal_freezes_what_it_disputes(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let reporter = app.user("qly_reporter").await;
    let leader = app.user("qly_leader").await;
    crate::count_the_last_survey_score(&office).await;
    let publication = office
        .ok_post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025", "reason": "年度公示" }),
            201,
        )
        .await;
    let appeal = leader.ok_post("/api/v1/appeals", json!({ "publication_id": publication["id"], "unit": "QLY", "indicator": "mediation", "reason": "第四季度调解协议漏报" }), 201).await;
    let id = appeal["id"].as_i64().expect("id");

    let counted = "QLY/mediation_cases/2025Q3";
    let (_, version, _) = look(&office, counted).await;
    let r = act(&office, counted, "return", version, "").await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
    let body: Value = r.json();
    assert_eq!(body["code"], "disputed", "{body}");
    assert_eq!(body["appeal"], id, "{body}");
    assert_eq!(look(&office, counted).await.1, version);
    let open = "QLY/mediation_agreements/2025Q4";
    let r = act(&reporter, open, "save", look(&reporter, open).await.1, "36").await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
    assert_eq!(r.json::<Value>()["code"], "disputed");
    let (status, body) = crate::imports::upload(
        &office,
        "",
        "q.csv",
        b"unit,item,period,value\nQLY,mediation_agreements,2025Q4,36\n".to_vec(),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("row 2") && m.contains(&format!("appeal {id}"))),
        "{body}"
    );
    // Another item of the same unit is not disputed.
    let other = "QLY/key_tasks_done/2025Q4";
    let (_, v, _) = look(&office, other).await;
    let r = act(&office, other, "return", v, "").await;
    assert_eq!(r.status_code(), 200, "{}", r.text());

    // The resolution corrects it, before and after in the audit; then it is free again.
    let before = app.stored(&["QLY", "mediation_agreements", "2025Q4"]).await;
    office
        .ok_post(
            &format!("/api/v1/appeals/{id}/resolve"),
            json!({ "decision": "uphold", "reason": "核实补报", "version": appeal["version"], "corrections": [{ "element": "mediation_agreements", "period": "2025Q4", "value": "36" }] }),
            200,
        )
        .await;
    assert_eq!(
        app.stored(&["QLY", "mediation_agreements", "2025Q4"])
            .await
            .map(|(v, _)| v),
        Some("36".to_owned())
    );
    let audit = office
        .ok_get("/api/v1/audit?entity=value&entity_id=QLY/mediation_agreements/2025Q4")
        .await;
    let correction = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "value.correct")
        .unwrap_or_else(|| panic!("the correction is audited: {audit}"))
        .clone();
    assert!(
        correction["after"]
            .as_str()
            .is_some_and(|a| a.contains("36")),
        "{correction}"
    );
    assert_eq!(correction["reason"], "核实补报", "{correction}");
    if before.is_some() {
        assert!(!correction["before"].is_null(), "{correction}");
    }
    let (_, version, _) = look(&office, counted).await;
    let r = act(&office, counted, "return", version, "").await;
    assert_eq!(r.status_code(), 200, "{}", r.text());
}
scenario!(an_open_appeal_freezes_what_it_disputes);

async fn verify(office: &Client) -> Value {
    office.ok_get("/api/v1/audit/verify").await
}

async fn exec(app: &App, sql: &str, binds: &[&str]) -> Result<u64, sqlx::Error> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for b in binds {
        q = q.bind(b.to_string());
    }
    q.execute(&app.state.store.pool)
        .await
        .map(|r| r.rows_affected())
}

async fn audit_tampering_is_detected(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let v = verify(&office).await;
    assert_eq!(v["broken_at"], Value::Null, "{v}");
    let entries = v["entries"].as_i64().expect("entries");
    assert!(entries > 100, "the demo's setup is audited: {entries}");

    // The database itself refuses to change or remove audit rows.
    assert!(
        exec(&app, "UPDATE audit_log SET reason = 'x' WHERE seq = 5", &[])
            .await
            .is_err()
    );
    assert!(
        exec(&app, "DELETE FROM audit_log WHERE seq = 5", &[])
            .await
            .is_err()
    );
    // Someone with the database's owner rights removes the guard …
    match db {
        Db::Sqlite => {
            exec(&app, "DROP TRIGGER audit_log_no_update", &[])
                .await
                .expect("drop");
            exec(&app, "DROP TRIGGER audit_log_no_delete", &[])
                .await
                .expect("drop");
        }
        Db::Postgres => {
            exec(&app, "DROP TRIGGER audit_log_no_update ON audit_log", &[])
                .await
                .expect("drop");
        }
    }
    // … and edits an entry: the check names it; undoing the edit heals the chain.
    let k = entries / 2;
    let reason: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT reason FROM audit_log WHERE seq = {k}"
    )))
    .fetch_one(&app.state.store.pool)
    .await
    .expect("reason");
    exec(
        &app,
        &format!("UPDATE audit_log SET reason = $1 WHERE seq = {k}"),
        &["已核实 verified"],
    )
    .await
    .expect("edit");
    let v = verify(&office).await;
    assert_eq!(v["broken_at"], k, "{v}");
    assert!(
        v["problem"].as_str().is_some_and(|p| p.contains("altered")),
        "{v}"
    );
    exec(
        &app,
        &format!("UPDATE audit_log SET reason = $1 WHERE seq = {k}"),
        &[&reason],
    )
    .await
    .expect("undo");
    assert_eq!(verify(&office).await["broken_at"], Value::Null);

    // Removes one: named.
    exec(
        &app,
        &format!(
            "CREATE TABLE saved AS SELECT * FROM audit_log WHERE seq = {}",
            k + 3
        ),
        &[],
    )
    .await
    .expect("save");
    exec(
        &app,
        &format!("DELETE FROM audit_log WHERE seq = {}", k + 3),
        &[],
    )
    .await
    .expect("delete");
    let v = verify(&office).await;
    assert_eq!(v["broken_at"], k + 3, "{v}");
    assert!(
        v["problem"].as_str().is_some_and(|p| p.contains("missing")),
        "{v}"
    );
    exec(&app, "INSERT INTO audit_log SELECT * FROM saved", &[])
        .await
        .expect("put back");
    assert_eq!(verify(&office).await["broken_at"], Value::Null);

    // Swaps two: named.
    let (a, b) = (k + 5, k + 6);
    exec(
        &app,
        &format!("UPDATE audit_log SET seq = -1 WHERE seq = {a}"),
        &[],
    )
    .await
    .expect("swap");
    exec(
        &app,
        &format!("UPDATE audit_log SET seq = {a} WHERE seq = {b}"),
        &[],
    )
    .await
    .expect("swap");
    exec(
        &app,
        &format!("UPDATE audit_log SET seq = {b} WHERE seq = -1"),
        &[],
    )
    .await
    .expect("swap");
    let v = verify(&office).await;
    assert_eq!(v["broken_at"], a, "{v}");
    exec(
        &app,
        &format!("UPDATE audit_log SET seq = -1 WHERE seq = {a}"),
        &[],
    )
    .await
    .expect("swap back");
    exec(
        &app,
        &format!("UPDATE audit_log SET seq = {a} WHERE seq = {b}"),
        &[],
    )
    .await
    .expect("swap back");
    exec(
        &app,
        &format!("UPDATE audit_log SET seq = {b} WHERE seq = -1"),
        &[],
    )
    .await
    .expect("swap back");
    assert_eq!(verify(&office).await["broken_at"], Value::Null);

    // With write access to the database but not to the seal file (the key):
    let entries_now = |app: &App| {
        let pool = app.state.store.pool.clone();
        async move {
            sqlx::query("SELECT * FROM audit_log ORDER BY seq")
                .fetch_all(&pool)
                .await
                .expect("entries")
                .iter()
                .map(|r| jixiao_store::audit::Entry {
                    seq: r.get("seq"),
                    at: r.get("at"),
                    actor: r.get("actor"),
                    source: r.get("source"),
                    request_id: r.get("request_id"),
                    action: r.get("action"),
                    entity: r.get("entity"),
                    entity_id: r.get("entity_id"),
                    before: r.get("before"),
                    after: r.get("after"),
                    reason: r.get("reason"),
                    prev_hash: r.get("prev_hash"),
                    hash: r.get("hash"),
                    mac: r.get("mac"),
                    part: None,
                })
                .collect::<Vec<_>>()
        }
    };
    let insert = |e: jixiao_store::audit::Entry| {
        let pool = app.state.store.pool.clone();
        async move {
            sqlx::query("INSERT INTO audit_log (seq, at, actor, source, request_id, action, entity, entity_id, before, after, reason, prev_hash, hash, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
                .bind(e.seq).bind(e.at).bind(e.actor).bind(e.source).bind(e.request_id).bind(e.action)
                .bind(e.entity).bind(e.entity_id).bind(e.before).bind(e.after).bind(e.reason)
                .bind(e.prev_hash).bind(e.hash.clone()).bind(e.mac)
                .execute(&pool).await.expect("insert");
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(e.seq)
                .bind(e.hash)
                .execute(&pool)
                .await
                .expect("head");
        }
    };
    let all = entries_now(&app).await;
    let last = all.last().expect("entries").clone();
    assert!(last.mac.is_some(), "entries are signed: {last:?}");
    // … appends an entry chained exactly as jixiao would, with a made-up signature: named.
    let mut forged = last.clone();
    forged.seq += 1;
    forged.prev_hash = last.hash.clone();
    forged.actor = "admin".into();
    forged.reason = "补录 back-filled".into();
    forged.hash = jixiao_store::audit::entry_hash(&forged);
    forged.mac = Some("0".repeat(64));
    insert(forged).await;
    let v = verify(&office).await;
    assert_eq!(v["broken_at"], last.seq + 1, "{v}");
    assert!(
        v["problem"].as_str().is_some_and(|p| p.contains("forged")),
        "{v}"
    );
    exec(
        &app,
        &format!("DELETE FROM audit_log WHERE seq = {}", last.seq + 1),
        &[],
    )
    .await
    .expect("undo");
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(last.seq)
        .bind(&last.hash)
        .execute(&app.state.store.pool)
        .await
        .expect("head back");
    assert_eq!(verify(&office).await["broken_at"], Value::Null);

    // … rewrites entry k and recomputes the chain from there to the end: named at k.
    let saved = all.clone();
    let mut prev = all[(k - 2) as usize].hash.clone();
    exec(
        &app,
        &format!("DELETE FROM audit_log WHERE seq >= {k}"),
        &[],
    )
    .await
    .expect("cut");
    for e in all.iter().filter(|e| e.seq >= k) {
        let mut e = e.clone();
        if e.seq == k {
            e.reason = "已核实 verified".into();
        }
        e.prev_hash = prev;
        e.hash = jixiao_store::audit::entry_hash(&e);
        prev = e.hash.clone();
        insert(e).await;
    }
    let v = verify(&office).await;
    assert_eq!(v["broken_at"], k, "{v}");
    assert!(
        v["problem"]
            .as_str()
            .is_some_and(|p| p.contains("not signed")),
        "{v}"
    );
    exec(
        &app,
        &format!("DELETE FROM audit_log WHERE seq >= {k}"),
        &[],
    )
    .await
    .expect("cut");
    for e in saved.into_iter().filter(|e| e.seq >= k) {
        insert(e).await;
    }
    assert_eq!(verify(&office).await["broken_at"], Value::Null);

    // … cuts the newest entries the seal has seen and moves the head record back: named.
    app.state.advance_seal().await;
    let v = verify(&office).await;
    assert_eq!(v["seal_head"], last.seq, "{v}");
    assert_eq!(v["head_seq"], last.seq, "{v}");
    assert_eq!(v["head_hash"], last.hash.as_str(), "{v}");
    exec(
        &app,
        &format!("DELETE FROM audit_log WHERE seq > {}", last.seq - 2),
        &[],
    )
    .await
    .expect("cut");
    let kept = &all[(last.seq - 3) as usize];
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(kept.seq)
        .bind(&kept.hash)
        .execute(&app.state.store.pool)
        .await
        .expect("head moved");
    let v = verify(&office).await;
    assert_eq!(v["broken_at"], last.seq - 1, "{v}");
    assert!(
        v["problem"]
            .as_str()
            .is_some_and(|p| p.contains("seal saw")),
        "{v}"
    );
    for e in all.iter().filter(|e| e.seq > last.seq - 2) {
        insert(e.clone()).await;
    }
    assert_eq!(verify(&office).await["broken_at"], Value::Null);

    // … or empties the log: named.
    exec(&app, "CREATE TABLE whole AS SELECT * FROM audit_log", &[])
        .await
        .expect("save");
    exec(&app, "DELETE FROM audit_log", &[])
        .await
        .expect("empty");
    sqlx::query("UPDATE audit_head SET seq = 0, hash = $1 WHERE id = 1")
        .bind("0".repeat(64))
        .execute(&app.state.store.pool)
        .await
        .expect("head reset");
    let v = verify(&office).await;
    assert_eq!(v["broken_at"], 1, "{v}");
    exec(&app, "INSERT INTO audit_log SELECT * FROM whole", &[])
        .await
        .expect("put back");
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(last.seq)
        .bind(&last.hash)
        .execute(&app.state.store.pool)
        .await
        .expect("head back");
    assert_eq!(verify(&office).await["broken_at"], Value::Null);

    // Removes the newest entries (the head record still knows how many were written): named.
    let last: i64 = sqlx::query_scalar("SELECT MAX(seq) FROM audit_log")
        .fetch_one(&app.state.store.pool)
        .await
        .expect("max");
    exec(
        &app,
        &format!("DELETE FROM audit_log WHERE seq > {}", last - 2),
        &[],
    )
    .await
    .expect("truncate");
    let v = verify(&office).await;
    assert_eq!(v["broken_at"], last - 1, "{v}");
    assert!(
        v["problem"]
            .as_str()
            .is_some_and(|p| p.contains("at the end")),
        "{v}"
    );
}
scenario!(audit_tampering_is_detected);

async fn account_rules(db: Db) {
    let app = App::spawn(db).await;

    // A seeded account must choose its own password before anything else.
    let first = app.passwords["leader"].clone();
    let mut leader = app.client();
    let r = leader
        .post(
            "/api/v1/auth/login",
            json!({ "username": "leader", "password": first }),
        )
        .await;
    assert_eq!(r.status_code(), 200);
    let me: Value = r.json();
    assert_eq!(me["must_change_password"], true);
    leader.csrf = me["csrf_token"].as_str().map(str::to_owned);
    let r = leader.get("/api/v1/units").await;
    assert_eq!(r.status_code(), 403);
    assert_eq!(r.json::<Value>()["code"], "password_change_required");
    assert_eq!(leader.get("/api/v1/me").await.status_code(), 200);
    // A weak or reused password is refused.
    for weak in ["short", first.as_str(), "leaderleader123"] {
        let r = leader
            .post(
                "/api/v1/auth/password",
                json!({ "old_password": first, "new_password": weak }),
            )
            .await;
        assert_eq!(r.status_code(), 400, "{weak}: {}", r.text());
        assert_eq!(r.json::<Value>()["code"], "weak_password");
    }

    // Cookie writes need the session's CSRF token.
    let office = app.user("office").await;
    let r = office
        .server
        .post("/api/v1/periods")
        .json(&json!({ "scheme": "wolong-2025", "period": "2025-07" }))
        .await;
    assert_eq!(r.status_code(), 403);
    assert_eq!(r.json::<Value>()["code"], "csrf");
    let r = office
        .server
        .post("/api/v1/periods")
        .add_header("x-csrf-token", "0123456789abcdef")
        .json(&json!({ "scheme": "wolong-2025", "period": "2025-07" }))
        .await;
    assert_eq!(r.status_code(), 403);
    let periods = office.ok_get("/api/v1/periods").await;
    assert!(
        !periods
            .as_array()
            .expect("periods")
            .iter()
            .any(|p| p["period"] == "2025-07"),
        "nothing was created"
    );
    office
        .ok_post(
            "/api/v1/periods",
            json!({ "scheme": "wolong-2025", "period": "2025-07" }),
            201,
        )
        .await;

    // Five wrong passwords lock the account; then even the right one is refused, with the time.
    let right = crate::own_password("qly_leader");
    app.user("qly_leader").await;
    let c = app.client();
    for i in 1..=5 {
        let r = c
            .post(
                "/api/v1/auth/login",
                json!({ "username": "qly_leader", "password": "guess" }),
            )
            .await;
        let expect = if i < 5 { 401 } else { 423 };
        assert_eq!(r.status_code(), expect, "attempt {i}: {}", r.text());
    }
    let r = c
        .post(
            "/api/v1/auth/login",
            json!({ "username": "qly_leader", "password": right }),
        )
        .await;
    assert_eq!(r.status_code(), 423);
    assert!(r.json::<Value>()["locked_until"].as_str().is_some());
    // An unknown account looks the same as a wrong password.
    let r = c
        .post(
            "/api/v1/auth/login",
            json!({ "username": "nobody", "password": "guess" }),
        )
        .await;
    assert_eq!(r.status_code(), 401);
    assert_eq!(r.json::<Value>()["code"], "bad_credentials");
    let audit = office
        .ok_get("/api/v1/audit?entity=user&entity_id=qly_leader")
        .await;
    assert!(
        audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["action"] == "user.lock"),
        "{audit}"
    );

    // An API key for a machine feed of 七里园街道: its data only, hashed at rest, revocable.
    let admin = app.user("admin").await;
    let key = admin
        .ok_post(
            "/api/v1/api-keys",
            json!({ "name": "qly-feed", "role": "reporter", "unit": "QLY", "items": ["mediation_cases", "mediation_agreements"] }),
            201,
        )
        .await;
    let secret = key["key"].as_str().expect("key").to_owned();
    let stored: Vec<String> = sqlx::query_scalar("SELECT key_hash FROM api_keys")
        .fetch_all(&app.state.store.pool)
        .await
        .expect("keys");
    assert!(
        stored
            .iter()
            .all(|h| !h.contains(&secret) && !secret.contains(h.as_str()))
    );
    let machine = app.client();
    let bearer = format!("Bearer {secret}");
    let r = machine
        .server
        .put("/api/v1/values/QLY/mediation_cases/2025Q4")
        .add_header("authorization", bearer.as_str())
        .json(&json!({ "value": "41" }))
        .await;
    assert_eq!(r.status_code(), 200, "{}", r.text());
    assert_eq!(r.json::<Value>()["value"]["row"]["source"], "api");
    let r = machine
        .server
        .put("/api/v1/values/MXI/mediation_cases/2025Q4")
        .add_header("authorization", bearer.as_str())
        .json(&json!({ "value": "41", "version": 1 }))
        .await;
    assert_eq!(r.status_code(), 403, "another unit: {}", r.text());
    let r = machine
        .server
        .get("/api/v1/values/QLY/hazards_found/2025Q4")
        .add_header("authorization", bearer.as_str())
        .await;
    assert_eq!(
        r.status_code(),
        403,
        "an item outside the key's set: {}",
        r.text()
    );
    let prefix = key["row"]["prefix"].as_str().expect("prefix");
    let r = admin
        .post(
            &format!("/api/v1/api-keys/{prefix}/revoke"),
            json!({ "reason": "feed retired" }),
        )
        .await;
    assert_eq!(r.status_code(), 204, "{}", r.text());
    let r = machine
        .server
        .get("/api/v1/values/QLY/mediation_cases/2025Q4")
        .add_header("authorization", bearer.as_str())
        .await;
    assert_eq!(r.status_code(), 401, "a revoked key: {}", r.text());
    let audit = office
        .ok_get("/api/v1/audit?entity_id=QLY/mediation_cases/2025Q4&action=value.save")
        .await;
    assert_eq!(audit["items"][0]["actor"], "apikey:qly-feed", "{audit}");
    assert_eq!(audit["items"][0]["source"], "api");
}
scenario!(account_rules);

/// Damage is said, not hidden: stored publication results that cannot be read are a 503 that
/// says so (not `"results": null` with 200), and an evidence file gone from storage is a 503
/// naming the file (not "no such file").
async fn damage_is_said_not_hidden(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let sha = crate::attach_pdf(
        &office,
        "/api/v1/values/QLY/mediation_cases/2025Q2/evidence",
        b"%PDF-1.4 minutes",
        "minutes.pdf",
    )
    .await;
    let r = office.get(&format!("/api/v1/evidence/{sha}")).await;
    assert_eq!(r.status_code(), 200);
    let file = app
        .state
        .config
        .data_dir
        .join("evidence")
        .join(&sha[..2])
        .join(&sha);
    std::fs::remove_file(&file).expect("remove the stored file");
    let r = office.get(&format!("/api/v1/evidence/{sha}")).await;
    assert_eq!(r.status_code(), 503, "{}", r.text());
    let body: Value = r.json();
    assert_eq!(body["code"], "evidence_unavailable", "{body}");
    assert!(
        body["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("minutes.pdf")),
        "{body}"
    );

    crate::count_the_last_survey_score(&office).await;
    let p = office
        .ok_post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025", "reason": "年度公示" }),
            201,
        )
        .await;
    let id = p["id"].as_i64().expect("id");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE publications SET results = '{{\"classes\": [' WHERE id = {id}"
    )))
    .execute(&app.state.store.pool)
    .await
    .expect("damage");
    let r = app
        .client()
        .get(&format!("/api/v1/publications/{id}"))
        .await;
    assert_eq!(r.status_code(), 503, "{}", r.text());
    assert_eq!(r.json::<Value>()["code"], "results_unreadable");
}
scenario!(damage_is_said_not_hidden);
