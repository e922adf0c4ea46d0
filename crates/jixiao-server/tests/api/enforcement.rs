//! Legality checks of enforcement cases: the demo's case file flags exactly the violations the
//! generator seeded (each with a trace a legal officer can check), the legal-review rate moves
//! when a flag is confirmed and when the missing review is added, a changed rule parameter
//! checks every case again and a dismissed flag stays dismissed, a bad file changes nothing and
//! names row and column, and a department sees only its own cases.

use crate::{App, Client, Db, scenario};
use axum_test::TestResponse;
use jixiao_core::enforcement::Day;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const EXPECTED: &str = include_str!("../../../../examples/wolong/enforcement/expected.csv");
const RULES: &str = include_str!("../../../../examples/wolong/enforcement/rules.toml");

/// A case of QLY and a flag raised on one (ids), for the page and API matrices.
pub async fn qly_case_and_flag(app: &App) -> (String, String) {
    let cases = jixiao_store::enforcement::cases(&app.state.store, Some("QLY"))
        .await
        .expect("cases");
    let flag = jixiao_store::enforcement::flags(&app.state.store)
        .await
        .expect("flags")
        .into_iter()
        .find(|f| f.raised && cases.iter().any(|c| c.id == f.case_id))
        .expect("a flag on a case of QLY");
    (cases[0].id.to_string(), flag.id.to_string())
}

/// Posts a case file (CSV) to the import.
async fn upload(c: &Client, name: &str, bytes: Vec<u8>, reason: &str) -> TestResponse {
    c.server
        .post("/api/v1/enforcement/import")
        .add_header("x-csrf-token", c.csrf.clone().unwrap_or_default().as_str())
        .multipart(
            axum_test::multipart::MultipartForm::new()
                .add_text("reason", reason.to_owned())
                .add_part(
                    "file",
                    axum_test::multipart::Part::bytes(bytes)
                        .file_name(name.to_owned())
                        .mime_type("text/csv"),
                ),
        )
        .await
}

/// The raised flags as (case number, rule).
async fn raised(app: &App) -> BTreeSet<(String, String)> {
    let cases = jixiao_store::enforcement::cases(&app.state.store, None)
        .await
        .expect("cases");
    jixiao_store::enforcement::flags(&app.state.store)
        .await
        .expect("flags")
        .iter()
        .filter(|f| f.raised)
        .map(|f| {
            let c = cases.iter().find(|c| c.id == f.case_id).expect("case");
            (c.number.clone(), f.rule.clone())
        })
        .collect()
}

/// The first raised flag of `rule` on a case of `dept` (any, when `None`), in the given state.
async fn flag_of(app: &App, rule: &str, state: &str, dept: Option<&str>) -> (i64, i64, i64) {
    let cases = jixiao_store::enforcement::cases(&app.state.store, None)
        .await
        .expect("cases");
    jixiao_store::enforcement::flags(&app.state.store)
        .await
        .expect("flags")
        .iter()
        .find(|f| {
            f.raised
                && f.rule == rule
                && f.state == state
                && dept.is_none_or(|d| cases.iter().any(|c| c.id == f.case_id && c.dept == d))
        })
        .map(|f| (f.id, f.case_id, f.version))
        .unwrap_or_else(|| panic!("no {state} {rule} flag"))
}

async fn the_demo_file_flags_exactly_the_seeded_violations(db: Db) {
    let app = App::spawn(db).await;
    let expected: BTreeSet<(String, String)> = EXPECTED
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (c, r) = l.split_once(',').expect("case,rule");
            (c.to_owned(), r.to_owned())
        })
        .collect();
    assert!(expected.len() >= 30, "the demo seeds every rule");
    let rules: BTreeSet<&str> = expected.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(
        rules.len(),
        8,
        "every rule is broken in the demo: {rules:?}"
    );
    assert_eq!(raised(&app).await, expected);

    // Importing the same file again changes nothing.
    let sfj = app.user("sfj_reviewer").await;
    let again = upload(
        &sfj,
        "cases.csv",
        jixiao_server::demo::ENFORCEMENT_CASES.as_bytes().to_vec(),
        "再次导入",
    )
    .await;
    assert_eq!(again.status_code(), 200, "{}", again.text());
    let again: Value = again.json();
    assert_eq!(again["created"], 0);
    assert_eq!(again["updated"], 0);
    assert_eq!(again["flags_raised"], 0);
    assert_eq!(raised(&app).await, expected);

    // A time-limit flag's trace, checkable by hand: the filing and decision dates, the days
    // between them, the limit.
    let (_, case_id, _) = flag_of(&app, "time_limit", "open", None).await;
    let d = sfj
        .ok_get(&format!("/api/v1/enforcement/cases/{case_id}"))
        .await;
    let flag = d["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|f| f["rule"] == "time_limit")
        .expect("time limit flag")
        .clone();
    let filed = d["case"]["filed"].as_str().expect("filed");
    let decided = d["case"]["decided"].as_str().expect("decided");
    let why = flag["why"]["zh"].as_str().expect("why");
    assert!(
        why.contains(&format!("立案 {filed}")) && why.contains(&format!("决定 {decided}")),
        "{why}"
    );
    let day = |s: &str| Day::parse(s).expect("date").0;
    let days = day(decided) - day(filed);
    assert!(days > 90, "{days}");
    assert!(
        why.contains(&format!("相隔 {days} 天")) && why.contains("超过 90 天"),
        "{why}"
    );
    assert!(
        flag["basis"]["zh"]
            .as_str()
            .is_some_and(|b| b.contains("第六十条"))
    );
    // The timeline is in date order.
    let days: Vec<&str> = d["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|s| s["day"].as_str().expect("day"))
        .collect();
    let mut sorted = days.clone();
    sorted.sort();
    assert_eq!(days, sorted);
}
scenario!(the_demo_file_flags_exactly_the_seeded_violations);

async fn the_review_rate_moves_on_confirmation_and_on_the_review_added(db: Db) {
    let app = App::spawn(db).await;
    let sfj = app.user("sfj_reviewer").await;
    let (flag, case_id, version) = flag_of(&app, "legal_review", "open", None).await;
    let d = sfj
        .ok_get(&format!("/api/v1/enforcement/cases/{case_id}"))
        .await;
    let dept = d["case"]["dept"].as_str().expect("dept").to_owned();
    let decided = d["case"]["decided"].as_str().expect("decided").to_owned();
    let month: u32 = decided[5..7].parse().expect("month");
    let period = format!("{}Q{}", &decided[..4], (month - 1) / 3 + 1);
    let value = |e: &'static str| {
        let (dept, period) = (dept.clone(), period.clone());
        let app = &app;
        async move {
            app.stored(&[&dept, e, &period])
                .await
                .map(|(v, _)| v)
                .expect("value")
        }
    };
    let major: i64 = value("major_decisions").await.parse().expect("number");
    // An open flag is a suspicion: every major decision still counts as reviewed.
    assert_eq!(value("major_reviewed").await, major.to_string());

    // The legal office confirms it: one fewer reviewed, so the rate falls.
    let r = sfj
        .post(
            &format!("/api/v1/enforcement/flags/{flag}"),
            json!({ "state": "confirmed", "reason": "", "version": version }),
        )
        .await;
    assert_eq!(r.status_code(), 400, "a reason is required: {}", r.text());
    let d = sfj
        .ok_post(
            &format!("/api/v1/enforcement/flags/{flag}"),
            json!({ "state": "confirmed", "reason": "案卷中无法制审核意见书", "version": version }),
            200,
        )
        .await;
    assert!(
        d["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .any(|f| f["id"] == flag && f["state"] == "confirmed")
    );
    assert_eq!(value("major_reviewed").await, (major - 1).to_string());
    let overview = sfj
        .ok_get(&format!("/api/v1/enforcement/cases?dept={dept}"))
        .await;
    let row = overview["by_dept"]
        .as_array()
        .expect("by_dept")
        .iter()
        .find(|r| r["dept"] == dept.as_str())
        .expect("dept row")
        .clone();
    assert_ne!(row["review_rate"], "100");
    // The live results have it too (the rate scored from it moves at once).
    let live = app
        .live_row(&[&dept, "major_reviewed", &period])
        .await
        .map(|(v, _)| v);
    assert_eq!(live, Some((major - 1).to_string()));

    // The department adds the missing review (a day before the decision): the flag is no longer
    // raised and the decision counts as reviewed again.
    let mut case = d["case"].clone();
    let day_before = Day(Day::parse(&decided).expect("date").0 - 1).to_string();
    case["reviewed"] = json!(day_before);
    case["reviewer"] = json!("法制审核员03");
    let rec = sfj
        .ok_post(
            "/api/v1/enforcement/cases",
            json!({ "cases": [case], "reason": "补录法制审核意见" }),
            200,
        )
        .await;
    assert_eq!(rec["updated"], 1);
    assert_eq!(rec["flags_cleared"], 1);
    assert_eq!(value("major_reviewed").await, major.to_string());
    // The confirmed flag is kept, no longer raised, and cannot be decided again.
    let r = sfj
        .post(
            &format!("/api/v1/enforcement/flags/{flag}"),
            json!({ "state": "dismissed", "reason": "x", "version": version + 1 }),
        )
        .await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
}
scenario!(the_review_rate_moves_on_confirmation_and_on_the_review_added);

async fn a_changed_rule_checks_again_and_a_dismissal_stays(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let sfj = app.user("sfj_reviewer").await;
    let before = raised(&app).await;
    // The demo dismissed a discretion flag and confirmed a time-limit one.
    let (dismissed, _, _) = flag_of(&app, "discretion", "dismissed", None).await;
    let (confirmed, _, _) = flag_of(&app, "time_limit", "confirmed", None).await;

    // A broken file is refused with its place; nothing changes.
    let r = sfj
        .put(
            "/api/v1/enforcement/rules",
            json!({ "toml": RULES.replace("days = 90", "days = \"ninety\""), "reason": "试改" }),
        )
        .await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    assert!(r.text().contains("days"), "{}", r.text());
    // Only the legal office (or the assessment office) changes the rules.
    let street = app.user("qly_reporter").await;
    let r = street
        .put(
            "/api/v1/enforcement/rules",
            json!({ "toml": RULES, "reason": "x" }),
        )
        .await;
    assert_eq!(r.status_code(), 403);

    // 120 days instead of 90: the time-limit flags (91–105 days) are no longer raised.
    let info = sfj
        .ok_put(
            "/api/v1/enforcement/rules",
            json!({ "toml": RULES.replace("days = 90", "days = 120"), "reason": "按上级新规调整办案期限" }),
        )
        .await;
    assert!(info["flags_cleared"].as_u64().unwrap_or(0) >= 5, "{info}");
    let now = raised(&app).await;
    assert!(now.iter().all(|(_, r)| r != "time_limit"));
    let others: BTreeSet<_> = before
        .iter()
        .filter(|(_, r)| r != "time_limit")
        .cloned()
        .collect();
    assert_eq!(now, others);
    let flag = |id: i64| {
        let app = &app;
        async move {
            jixiao_store::enforcement::flag(&app.state.store, id)
                .await
                .expect("read")
                .expect("flag")
        }
    };
    assert_eq!(flag(dismissed).await.state, "dismissed");
    assert!(flag(dismissed).await.raised);
    assert!(!flag(confirmed).await.raised);

    // Back to 90 days: the same flags again, their decisions standing.
    office
        .ok_put(
            "/api/v1/enforcement/rules",
            json!({ "toml": RULES, "reason": "恢复九十日期限" }),
        )
        .await;
    assert_eq!(raised(&app).await, before);
    assert_eq!(flag(confirmed).await.state, "confirmed");
    assert!(flag(confirmed).await.raised);
    assert_eq!(flag(dismissed).await.state, "dismissed");

    // Every version of the file is audited.
    let n: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'enforcement.rules'")
            .fetch_one(&app.state.store.pool)
            .await
            .expect("count"),
        "n",
    )
    .expect("n");
    assert_eq!(n, 3);
}
scenario!(a_changed_rule_checks_again_and_a_dismissal_stays);

async fn a_department_sees_only_its_own_cases(db: Db) {
    let app = App::spawn(db).await;
    let street = app.user("qly_reporter").await;
    let mine = street.ok_get("/api/v1/enforcement/cases?limit=5000").await;
    let cases = mine["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    assert!(cases.iter().all(|c| c["dept"] == "QLY"), "{mine}");
    assert!(mine["by_dept"].as_array().expect("by_dept").len() == 1);
    assert!(
        !mine["allowed"]
            .as_array()
            .expect("allowed")
            .contains(&json!("review"))
    );
    // Another department's case does not exist for it; nor may it decide its own flags.
    let all = jixiao_store::enforcement::cases(&app.state.store, Some("SCJ"))
        .await
        .expect("cases");
    let r = street
        .get(&format!("/api/v1/enforcement/cases/{}", all[0].id))
        .await;
    assert_eq!(r.status_code(), 404);
    let (flag, _, version) = flag_of(&app, "simple_procedure", "open", None).await;
    let r = street
        .post(
            &format!("/api/v1/enforcement/flags/{flag}"),
            json!({ "state": "dismissed", "reason": "x", "version": version }),
        )
        .await;
    assert!(
        [403, 404].contains(&r.status_code().as_u16()),
        "{}",
        r.text()
    );
    // It records its own cases, not another's (the problem names the item and field).
    let case = |dept: &str, number: &str| {
        json!({
            "number": number, "dept": dept, "party": "individual", "procedure": "simple",
            "filed": "2025-11-03", "decided": "2025-11-03", "served": "2025-11-03",
            "fine": "100", "officers": [
                { "certificate": "411309001", "valid_from": "2021-01-01", "valid_until": "2027-12-31" },
                { "certificate": "411309002", "valid_from": "2021-01-01", "valid_until": "2027-12-31" }
            ]
        })
    };
    let r = street
        .post(
            "/api/v1/enforcement/cases",
            json!({ "cases": [case("QLY", "宛卧七里园综执简〔2025〕9001号"), case("SCJ", "宛卧市监简〔2025〕9001号")], "reason": "录入" }),
        )
        .await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    assert!(r.text().contains("cases[1].dept"), "{}", r.text());
    let n = jixiao_store::enforcement::cases(&app.state.store, Some("QLY"))
        .await
        .expect("cases")
        .len();
    let ok = street
        .ok_post(
            "/api/v1/enforcement/cases",
            json!({ "cases": [case("QLY", "宛卧七里园综执简〔2025〕9001号")], "reason": "录入" }),
            200,
        )
        .await;
    assert_eq!(ok["created"], 1);
    assert_eq!(ok["flags_raised"], 0);
    assert_eq!(
        jixiao_store::enforcement::cases(&app.state.store, Some("QLY"))
            .await
            .expect("cases")
            .len(),
        n + 1
    );
    // QLY's case-management system posts with its own key (role feed, QLY's subtree): its
    // cases go in, marked as fed; another department's are refused, nothing written.
    let admin = app.user("admin").await;
    let key = admin
        .ok_post(
            "/api/v1/api-keys",
            json!({ "name": "七里园街道办案系统", "role": "feed", "unit": "QLY" }),
            201,
        )
        .await;
    let bearer = format!("Bearer {}", key["key"].as_str().expect("key"));
    let system = app.client();
    let post = |body: Value| {
        system
            .server
            .post("/api/v1/enforcement/cases")
            .add_header("authorization", bearer.as_str())
            .json(&body)
    };
    let r =
        post(json!({ "cases": [case("SCJ", "宛卧市监简〔2025〕9002号")], "reason": "接口" })).await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    let r =
        post(json!({ "cases": [case("QLY", "宛卧七里园综执简〔2025〕9002号")], "reason": "接口" }))
            .await;
    assert_eq!(r.status_code(), 200, "{}", r.text());
    let fed = jixiao_store::enforcement::cases(&app.state.store, Some("QLY"))
        .await
        .expect("cases");
    assert!(
        fed.iter()
            .any(|c| c.number == "宛卧七里园综执简〔2025〕9002号" && c.source == "feed")
    );
    // Readers of the whole district and the legal office see everything; others nothing.
    let leader = app.user("leader").await;
    let everything = leader.ok_get("/api/v1/enforcement/cases").await;
    assert!(everything["by_dept"].as_array().expect("by_dept").len() > 5);
    let inspector = app.user("inspector").await;
    assert_eq!(
        inspector
            .get("/api/v1/enforcement/cases")
            .await
            .status_code(),
        403
    );
    assert_eq!(
        app.client()
            .get("/api/v1/enforcement/cases")
            .await
            .status_code(),
        401
    );
}
scenario!(a_department_sees_only_its_own_cases);

async fn a_bad_file_names_row_and_column_and_changes_nothing(db: Db) {
    let app = App::spawn(db).await;
    let sfj = app.user("sfj_reviewer").await;
    let mut lines: Vec<String> = jixiao_server::demo::ENFORCEMENT_CASES
        .lines()
        .take(4)
        .map(str::to_owned)
        .collect();
    // Row 3 (the second case): a filing date that is not a date, in column E.
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_owned).collect();
    cells[4] = "2025-02-30".into();
    lines[2] = cells.join(",");
    // Row 4: an unknown party type, column C.
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_owned).collect();
    cells[2] = "路人".into();
    lines[3] = cells.join(",");
    let before = jixiao_store::enforcement::cases(&app.state.store, None)
        .await
        .expect("cases");
    let r = upload(&sfj, "bad.csv", lines.join("\n").into_bytes(), "").await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    let problems: Value = r.json();
    let at = |i: usize| {
        let l = &problems["issues"][i]["location"];
        (l["row"].as_u64(), l["column"].as_str().map(str::to_owned))
    };
    assert_eq!(at(0), (Some(3), Some("E".to_owned())), "{problems}");
    assert!(
        problems["issues"][0]["message"]["zh"]
            .as_str()
            .is_some_and(|m| m.contains("2025-02-30"))
    );
    assert_eq!(at(1), (Some(4), Some("C".to_owned())), "{problems}");
    assert!(
        problems["issues"][1]["message"]["zh"]
            .as_str()
            .is_some_and(|m| m.contains("路人"))
    );
    let after = jixiao_store::enforcement::cases(&app.state.store, None)
        .await
        .expect("cases");
    assert_eq!(before, after);
}
scenario!(a_bad_file_names_row_and_column_and_changes_nothing);
