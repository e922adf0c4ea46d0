//! The whole cycle: a reporter submits with evidence, the unit leader approves, the lead
//! department verifies, the ranking and report card change at once, the office publishes, the
//! unit appeals, the office upholds, the results are re-published and both versions remain;
//! re-scoring either publication reproduces it exactly; the audit chain holds.

use crate::{App, Db, scenario, total_of};
use serde_json::{Value, json};

const V: &str = "/api/v1/values/QLY";

async fn the_whole_cycle(db: Db) {
    let app = App::spawn(db).await;
    let reporter = app.user("qly_reporter").await;
    let leader = app.user("qly_leader").await;
    let sfj = app.user("sfj_reviewer").await;
    let office = app.user("office").await;

    // Before: 七里园街道's Q4 mediation figures are missing, so the annual rate scores 0.
    let card0 = office
        .ok_get("/api/v1/results/wolong-2025/2025/units/QLY")
        .await;
    let mediation = |card: &Value| {
        card["row"]["indicators"]
            .as_array()
            .expect("indicators")
            .iter()
            .find(|i| i["code"] == "mediation")
            .cloned()
            .expect("mediation")
    };
    assert_eq!(mediation(&card0)["state"], "missing_zero");
    let ranking0 = office
        .ok_get("/api/v1/results/wolong-2025/2025?class=street")
        .await;
    let total0: f64 = total_of(&ranking0, "QLY")
        .expect("QLY total")
        .parse()
        .expect("number");

    // The reporter enters both figures as drafts, attaches evidence, submits.
    let cases = reporter
        .ok_put(
            &format!("{V}/mediation_cases/2025Q4"),
            json!({ "value": "40", "note": "第四季度受理" }),
        )
        .await;
    assert_eq!(cases["value"]["row"]["state"], "draft");
    assert_eq!(cases["value"]["allowed"], json!(["save", "submit"]));
    let agreements = reporter
        .ok_put(
            &format!("{V}/mediation_agreements/2025Q4"),
            json!({ "value": "34" }),
        )
        .await;
    let pdf = b"%PDF-1.4\n% mediation agreements, Q4\n".to_vec();
    let form = axum_test::multipart::MultipartForm::new().add_part(
        "file",
        axum_test::multipart::Part::bytes(pdf.clone())
            .file_name("调解协议.pdf")
            .mime_type("application/pdf"),
    );
    let up = reporter
        .server
        .post(&format!("{V}/mediation_agreements/2025Q4/evidence"))
        .add_header(
            "x-csrf-token",
            reporter.csrf.clone().unwrap_or_default().as_str(),
        )
        .multipart(form)
        .await;
    assert_eq!(up.status_code(), 201, "{}", up.text());
    let sha = up.json::<Value>()["sha256"]
        .as_str()
        .expect("sha")
        .to_owned();
    let mut versions = Vec::new();
    for (e, v) in [
        ("mediation_cases", &cases),
        ("mediation_agreements", &agreements),
    ] {
        let r = reporter
            .ok_post(
                &format!("{V}/{e}/2025Q4/submit"),
                json!({ "version": v["value"]["row"]["version"] }),
                200,
            )
            .await;
        assert_eq!(r["value"]["row"]["state"], "submitted");
        versions.push((e, r["value"]["row"]["version"].as_i64().expect("version")));
    }
    // Provisional results see submitted values; official ones do not yet.
    let prov = office
        .ok_get("/api/v1/results/wolong-2025/2025?class=street&kind=provisional")
        .await;
    let official = office
        .ok_get("/api/v1/results/wolong-2025/2025?class=street")
        .await;
    assert_ne!(total_of(&prov, "QLY"), total_of(&official, "QLY"));
    assert_eq!(total_of(&official, "QLY"), total_of(&ranking0, "QLY"));

    // The unit leader approves; the Justice Bureau, which leads rule-of-law data, verifies.
    let mut changed = Vec::new();
    for (e, version) in versions {
        let a = leader
            .ok_post(
                &format!("{V}/{e}/2025Q4/approve"),
                json!({ "version": version }),
                200,
            )
            .await;
        assert_eq!(a["value"]["row"]["state"], "approved");
        let v = sfj
            .ok_post(
                &format!("{V}/{e}/2025Q4/verify"),
                json!({ "version": a["value"]["row"]["version"] }),
                200,
            )
            .await;
        // Verified values count at once in this period.
        assert_eq!(v["value"]["row"]["state"], "counted");
        changed.extend(
            v["effect"]["totals_changed"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
    }
    assert!(
        changed.contains(&json!("QLY")),
        "the count changed QLY's total: {changed:?}"
    );

    // Every read afterwards is current: ranking and report card.
    let ranking1 = office
        .ok_get("/api/v1/results/wolong-2025/2025?class=street")
        .await;
    let total1: f64 = total_of(&ranking1, "QLY")
        .expect("QLY")
        .parse()
        .expect("number");
    assert!(total1 > total0, "{total0} → {total1}");
    let card1 = office
        .ok_get("/api/v1/results/wolong-2025/2025/units/QLY")
        .await;
    let m = mediation(&card1);
    assert_eq!(m["state"], "scored");
    let steps = serde_json::to_string(&m["explanation"]["steps"]).expect("steps");
    assert!(steps.contains("线性插值"), "{steps}");
    // The reporter sees their own report card but not the district ranking.
    assert_eq!(
        reporter
            .get("/api/v1/results/wolong-2025/2025/units/QLY")
            .await
            .status_code(),
        200
    );
    assert_eq!(
        reporter
            .get("/api/v1/results/wolong-2025/2025")
            .await
            .status_code(),
        403
    );
    // The evidence is downloadable by those allowed, and not by others.
    let dl = leader.get(&format!("/api/v1/evidence/{sha}")).await;
    assert_eq!(dl.status_code(), 200);
    assert_eq!(dl.as_bytes().as_ref(), pdf.as_slice());
    let other = app.user("inspector").await;
    assert_eq!(
        other
            .get(&format!("/api/v1/evidence/{sha}"))
            .await
            .status_code(),
        404
    );

    // Publication is blocked while a village's survey result is missing (the scheme says so).
    let blocked = office
        .post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025", "reason": "公示" }),
        )
        .await;
    assert_eq!(blocked.status_code(), 409);
    assert_eq!(blocked.json::<Value>()["units"], json!(["WLG-C04"]));
    // The survey is external data: the office enters it and verifies it (no unit approval).
    let s = office
        .put_and_submit(
            "/api/v1/values/WLG-C04/satisfaction/2025Q3",
            json!({ "value": "91.5", "note": "第三方满意度调查补录" }),
        )
        .await;
    assert_eq!(s["value"]["allowed"], json!(["verify", "return"]));
    let s = office
        .ok_post(
            "/api/v1/values/WLG-C04/satisfaction/2025Q3/verify",
            json!({ "version": s["value"]["row"]["version"] }),
            200,
        )
        .await;
    assert_eq!(s["value"]["row"]["state"], "counted");

    // The office publishes (公示); the public page reads it without signing in.
    let p1 = office
        .ok_post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025", "reason": "2025年度考核结果公示" }),
            201,
        )
        .await;
    let p1_id = p1["id"].as_i64().expect("id");
    assert_eq!(p1["revision"], 1);
    let public = app
        .client()
        .ok_get(&format!("/api/v1/publications/{p1_id}"))
        .await;
    assert_eq!(
        total_of(&public["results"], "QLY"),
        total_of(&ranking1, "QLY")
    );

    // 七里园街道 appeals its mediation score; the office upholds it with a correction.
    let appeal = leader.ok_post("/api/v1/appeals", json!({ "publication_id": p1_id, "unit": "QLY", "indicator": "mediation", "reason": "第四季度有2件调解协议漏报" }), 201).await;
    assert_eq!(appeal["status"], "open");
    let upheld = office
        .ok_post(
            &format!("/api/v1/appeals/{}/resolve", appeal["id"]),
            json!({ "decision": "uphold", "reason": "核实补报的2件调解协议", "version": appeal["version"], "corrections": [{ "element": "mediation_agreements", "period": "2025Q4", "value": "36" }] }),
            200,
        )
        .await;
    assert_eq!(upheld["status"], "upheld");
    let p2_id = upheld["republication_id"].as_i64().expect("re-published");
    let pubs = app.client().ok_get("/api/v1/publications").await;
    let revisions: Vec<i64> = pubs
        .as_array()
        .expect("list")
        .iter()
        .filter(|p| p["scheme_code"] == "wolong-2025")
        .map(|p| p["revision"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(revisions, vec![2, 1], "both versions remain, newest first");
    let p2 = app
        .client()
        .ok_get(&format!("/api/v1/publications/{p2_id}"))
        .await;
    let (t1, t2): (f64, f64) = (
        total_of(&public["results"], "QLY")
            .expect("t1")
            .parse()
            .expect("n"),
        total_of(&p2["results"], "QLY")
            .expect("t2")
            .parse()
            .expect("n"),
    );
    assert!(
        t2 > t1,
        "the correction raises the re-published total: {t1} → {t2}"
    );

    // Re-scoring each publication from its frozen inputs reproduces it exactly.
    for id in [p1_id, p2_id] {
        let r = office
            .ok_post(
                &format!("/api/v1/publications/{id}/rescore"),
                json!({}),
                200,
            )
            .await;
        assert_eq!(r["identical"], true, "{r}");
        assert_eq!(r["published_hash"], r["rescored_hash"]);
    }

    // Everything was audited, and the chain holds.
    let audit = office
        .ok_get("/api/v1/audit?actor=qly_reporter&action=value.submit")
        .await;
    assert_eq!(audit["total"], 2);
    let v = office.ok_get("/api/v1/audit/verify").await;
    assert_eq!(v["broken_at"], Value::Null, "{v}");
}
scenario!(the_whole_cycle);

/// Before publishing, the office sees what would go public or what blocks it — units by
/// name, the items they miss and where to enter them; the notice board then says who
/// published, the publicity period, where objections go, and which revision is in force.
async fn publishing_shows_readiness_and_the_notice(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let r = office
        .ok_get("/api/v1/publications/readiness?scheme=wolong-2025&period=2025Q3")
        .await;
    let blocked = r["blocked"].as_array().expect("blocked");
    let wlg = blocked
        .iter()
        .find(|b| b["unit"] == "WLG-C04")
        .unwrap_or_else(|| panic!("WLG-C04 blocks 2025Q3: {r}"));
    assert_eq!(wlg["form"], "/entry/WLG-C04/2025Q3");
    assert!(!wlg["unit_name"]["zh"].as_str().unwrap_or("").is_empty());
    assert!(!wlg["items"].as_array().expect("items").is_empty(), "{wlg}");
    assert_eq!(r["revision"], 1);
    let ready = office
        .ok_get("/api/v1/publications/readiness?scheme=wolong-2025&period=2025Q2")
        .await;
    assert_eq!(ready["blocked"], json!([]), "{ready}");
    assert!(!ready["classes"].as_array().expect("classes").is_empty());

    let first = office
        .ok_post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025Q2", "reason": "二季度公示" }),
            201,
        )
        .await;
    let page = app
        .client()
        .get(&format!("/public/{}", first["id"]))
        .await
        .text();
    assert!(page.contains("公示期"), "{page}");
    assert!(page.contains("（7 天）"), "{page}");
    assert!(page.contains("本版为现行有效版本"), "{page}");
    assert!(page.contains("绩效考核办公室"), "{page}");
    // A correction makes a new revision; the first one says it was superseded, and by which.
    let path = "/api/v1/values/QLY/mediation_cases/2025Q2";
    let version = |v: &Value| v["row"]["version"].clone();
    let v = office.ok_get(path).await;
    office
        .ok_post(
            &format!("{path}/return"),
            json!({ "version": version(&v), "reason": "台账漏报" }),
            200,
        )
        .await;
    let v = office.ok_get(path).await;
    office
        .ok_put(path, json!({ "value": "43", "version": version(&v) }))
        .await;
    // The demo periods count verified values at once.
    for t in ["submit", "approve", "verify"] {
        let v = office.ok_get(path).await;
        office
            .ok_post(
                &format!("{path}/{t}"),
                json!({ "version": version(&v), "reason": "更正" }),
                200,
            )
            .await;
    }
    let second = office
        .ok_post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025Q2", "reason": "更正后重新公示" }),
            201,
        )
        .await;
    assert_eq!(second["revision"], 2, "{second}");
    let old = app
        .client()
        .get(&format!("/public/{}", first["id"]))
        .await
        .text();
    assert!(old.contains("本版已被更正"), "{old}");
    assert!(old.contains(&format!("/public/{}", second["id"])), "{old}");
}
scenario!(publishing_shows_readiness_and_the_notice);
