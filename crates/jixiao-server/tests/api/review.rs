//! The review queue as a reviewer decides by it: each value with its indicator, target, the
//! rate computed from it, the period before and its evidence; approving asks for a
//! confirmation that says what happens; problems show the queue again with the problem and the
//! ticks kept; programs move many values in one request.

use crate::{App, Client, Db, attach_pdf, scenario};
use serde_json::{Value, json};

const V: &str = "/api/v1/values/QLY";

/// The reporter's two Q4 mediation figures, submitted; returns their versions.
async fn submitted(reporter: &Client) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for (e, v) in [("mediation_cases", "40"), ("mediation_agreements", "30")] {
        let r = reporter
            .put_and_submit(&format!("{V}/{e}/2025Q4"), json!({ "value": v }))
            .await;
        out.push((e, r["value"]["row"]["version"].as_i64().expect("version")));
    }
    out
}

fn picks(versions: &[(&str, i64)]) -> Vec<(String, String)> {
    versions
        .iter()
        .map(|(e, v)| ("pick".to_owned(), format!("QLY|{e}|2025Q4|{v}")))
        .collect()
}

async fn a_reviewer_sees_what_to_decide_by(db: Db) {
    let app = App::spawn(db).await;
    let reporter = app.user("qly_reporter").await;
    let leader = app.user("qly_leader").await;
    let versions = submitted(&reporter).await;
    attach_pdf(
        &reporter,
        &format!("{V}/mediation_agreements/2025Q4/evidence"),
        b"%PDF-1.4\n% Q4 agreements\n",
        "调解台账.pdf",
    )
    .await;
    let q3 = reporter
        .ok_get(&format!("{V}/mediation_cases/2025Q3"))
        .await["row"]["value"]
        .as_str()
        .expect("the demo has Q3")
        .to_owned();

    let queue = leader.ok_get("/api/v1/review").await;
    let items = queue["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{queue}");
    let item = |e: &str| -> &Value {
        items
            .iter()
            .find(|i| i["row"]["element"] == e)
            .expect("the value is in the queue")
    };
    let cases = item("mediation_cases");
    assert_eq!(cases["unit_name"]["zh"], "七里园街道");
    assert_eq!(cases["last"]["period"], "2025Q3");
    assert_eq!(cases["last"]["value"], q3.as_str());
    // The rate the indicator scores: 30 agreements of 40 cases.
    let rate: f64 = cases["context"]["computed"]["value"]
        .as_str()
        .expect("a computed rate")
        .parse()
        .expect("number");
    assert!((rate - 75.0).abs() < 1e-9, "{rate}");
    assert!(cases["context"]["target"].is_string(), "{cases}");
    assert_eq!(cases["evidence"], json!([]));
    let agreements = item("mediation_agreements");
    assert_eq!(agreements["evidence"][0]["filename"], "调解台账.pdf");

    // The page shows the same, by name, one card per value.
    let page = leader.get("/review").await.text();
    for shown in ["七里园街道", "上期值", "调解台账.pdf", "75", "rcard"] {
        assert!(page.contains(shown), "{shown} on the page");
    }

    // Approving first says what it does; nothing moves yet.
    let mut fields = picks(&versions);
    fields.push(("action".to_owned(), "forward".to_owned()));
    let confirm = leader.post_form("/review", &fields).await;
    assert_eq!(confirm.status_code(), 200, "{}", confirm.text());
    let text = confirm.text();
    assert!(text.contains("id=\"review-confirm\""), "{text}");
    assert!(text.contains("牵头部门核验"), "the effect of approving");
    assert_eq!(text.matches(" checked>").count(), 2, "both stay ticked");
    assert_eq!(
        app.stored(&["QLY", "mediation_cases", "2025Q4"]).await,
        Some(("40".to_owned(), versions[0].1))
    );
    let mut fields = picks(&versions);
    fields.push(("action".to_owned(), "forward-confirmed".to_owned()));
    let done = leader.post_form("/review", &fields).await;
    assert_eq!(done.status_code(), 303, "{}", done.text());
    for e in ["mediation_cases", "mediation_agreements"] {
        let v = leader.ok_get(&format!("{V}/{e}/2025Q4")).await;
        assert_eq!(v["row"]["state"], "approved", "{e}");
    }

    // Returning without a reason: the queue again, the problem on top, the ticks kept.
    let sfj = app.user("sfj_reviewer").await;
    let queue = sfj.ok_get("/api/v1/review?unit=QLY").await;
    let now: Vec<(&str, i64)> = ["mediation_cases", "mediation_agreements"]
        .into_iter()
        .map(|e| {
            let i = queue["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|i| i["row"]["element"] == e)
                .expect("waiting for the lead department");
            (e, i["row"]["version"].as_i64().expect("version"))
        })
        .collect();
    let mut fields = picks(&now[..1]);
    fields.push(("action".to_owned(), "return".to_owned()));
    fields.push(("unit".to_owned(), "QLY".to_owned()));
    let refused = sfj.post_form("/review", &fields).await;
    assert_eq!(refused.status_code(), 400, "{}", refused.text());
    let text = refused.text();
    assert!(text.contains("id=\"review-problem\""), "{text}");
    assert!(text.contains("退回必须填写原因"), "{text}");
    assert_eq!(text.matches(" checked>").count(), 1, "the tick kept");

    // All or nothing: a stale version among them names it, and neither moves.
    let r = sfj
        .post(
            "/api/v1/review",
            json!({ "action": "forward", "all_or_nothing": true, "values": [
                { "unit": "QLY", "element": now[0].0, "period": "2025Q4", "version": now[0].1 },
                { "unit": "QLY", "element": now[1].0, "period": "2025Q4", "version": now[1].1 - 1 },
            ]}),
        )
        .await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
    let body: Value = r.json();
    let msg = body["message"]["zh"].as_str().unwrap_or_default();
    assert!(
        msg.contains("第2条") && msg.contains("全部未处理"),
        "{body}"
    );
    for (e, version) in &now {
        let v = sfj.ok_get(&format!("{V}/{e}/2025Q4")).await;
        assert_eq!(v["row"]["version"], *version, "{e} did not move");
    }

    // A program moves both in one request; a stale version stops it with names and a count.
    let r = sfj
        .post(
            "/api/v1/review",
            json!({ "action": "forward", "values": [
                { "unit": "QLY", "element": now[0].0, "period": "2025Q4", "version": now[0].1 },
                { "unit": "QLY", "element": now[1].0, "period": "2025Q4", "version": now[1].1 - 1 },
            ]}),
        )
        .await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
    let body: Value = r.json();
    let msg = body["message"]["zh"].as_str().unwrap_or_default();
    assert!(
        msg.starts_with("已处理1条") && msg.contains("七里园街道"),
        "{body}"
    );
    let moved = sfj
        .ok_post(
            "/api/v1/review",
            json!({ "action": "forward", "all_or_nothing": true, "values": [
                { "unit": "QLY", "element": now[1].0, "period": "2025Q4", "version": now[1].1 },
            ]}),
            200,
        )
        .await;
    assert_eq!(moved["done"], 1);
    for e in ["mediation_cases", "mediation_agreements"] {
        let v = sfj.ok_get(&format!("{V}/{e}/2025Q4")).await;
        assert_eq!(v["row"]["state"], "counted", "{e}");
    }
}
scenario!(a_reviewer_sees_what_to_decide_by);

/// A value far from the unit's own reports of the element in the other quarters is flagged
/// with how far (the modified z-score) and the history's median; one in line with them is not.
/// The demo has QLY's mediation cases for Q1–Q3 (35, 48, 53): median 48.
async fn an_outlier_is_flagged_against_the_units_history(db: Db) {
    let app = App::spawn(db).await;
    let reporter = app.user("qly_reporter").await;
    let leader = app.user("qly_leader").await;
    for (e, v) in [("mediation_cases", "4000"), ("mediation_agreements", "30")] {
        reporter
            .put_and_submit(&format!("{V}/{e}/2025Q4"), json!({ "value": v }))
            .await;
    }
    let queue = leader.ok_get("/api/v1/review").await;
    let items = queue["items"].as_array().expect("items");
    let item = |e: &str| -> &Value {
        items
            .iter()
            .find(|i| i["row"]["element"] == e)
            .expect("the value is in the queue")
    };
    let cases = &item("mediation_cases")["outlier"];
    assert_eq!(cases["median"], json!(48.0), "{cases}");
    assert!(cases["z"].as_f64().is_some_and(|z| z > 3.5), "{cases}");
    let agreements = &item("mediation_agreements")["outlier"];
    assert!(agreements.is_null(), "{agreements}");
}
scenario!(an_outlier_is_flagged_against_the_units_history);
