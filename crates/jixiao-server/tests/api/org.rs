//! The dated organisation: a mid-year merge, split and re-class change the periods that end on
//! or after their day and leave earlier ones as they were (ranks included); a merged unit keeps
//! its report cards with its successor named; changes may not reach into a closed period.

use crate::{App, Client, Db, scenario};
use serde_json::{Value, json};

const SCHEME: &str = "wolong-2025";

async fn ranking(c: &Client, period: &str) -> Value {
    c.ok_get(&format!("/api/v1/results/{SCHEME}/{period}"))
        .await
}

/// Every (class, unit, total, rank, grade) of a ranking.
fn standings(r: &Value) -> Vec<(String, String, Value, Value, Value)> {
    let mut out = Vec::new();
    for c in r["classes"].as_array().expect("classes") {
        for row in c["rows"].as_array().expect("rows") {
            out.push((
                c["code"].as_str().expect("class").to_owned(),
                row["unit"].as_str().expect("unit").to_owned(),
                row["total"].clone(),
                row["rank"].clone(),
                row["grade"].clone(),
            ));
        }
    }
    out
}

fn class_of(r: &Value, unit: &str) -> Option<String> {
    standings(r).into_iter().find(|s| s.1 == unit).map(|s| s.0)
}

async fn version_of(c: &Client, unit: &str) -> i64 {
    c.ok_get(&format!("/api/v1/units/{unit}")).await["version"]
        .as_i64()
        .expect("version")
}

const QUARTERS: [&str; 5] = ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025"];

/// A village merged into its neighbour from 15 November 2025: Q1–Q3 keep it, with every rank
/// and score of the class unchanged; Q4 and the year are scored without it; its report cards
/// of Q1–Q3 name its successor; nothing can be reported for it after the merge.
async fn a_mid_year_merge(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let mut before = Vec::new();
    for p in QUARTERS {
        before.push(standings(&ranking(&office, p).await));
    }
    assert!(before[1].iter().any(|s| s.1 == "QLY-C01"));

    let merged = office
        .ok_post(
            "/api/v1/units/QLY-C01/close",
            json!({ "version": version_of(&office, "QLY-C01").await, "merged_into": "QLY-C02",
                    "effective": "2025-11-15", "reason": "区划调整：七里园社区并入王庄社区" }),
            200,
        )
        .await;
    assert_eq!(merged["closed_at"], "2025-11-15", "{merged}");
    let last = merged["versions"]
        .as_array()
        .expect("versions")
        .last()
        .cloned();
    let last = last.expect("a version");
    assert_eq!(last["change"], "merge");
    assert_eq!(last["from"], "2025-11-15");
    assert_eq!(last["successors"], json!(["QLY-C02"]));

    for (i, p) in QUARTERS.iter().enumerate() {
        let now = standings(&ranking(&office, p).await);
        if i < 3 {
            assert_eq!(now, before[i], "{p} changed with a later merge");
        } else {
            assert!(!now.iter().any(|s| s.1 == "QLY-C01"), "{p} still has it");
            assert!(now.iter().any(|s| s.1 == "QLY-C02"));
        }
    }
    // Its report card of Q2, with the successor named; none for Q4, saying why.
    let card = office
        .ok_get(&format!("/api/v1/results/{SCHEME}/2025Q2/units/QLY-C01"))
        .await;
    let lineage = card["lineage"].as_array().expect("lineage");
    assert_eq!(lineage.len(), 1, "{card}");
    assert_eq!(lineage[0]["kind"], "merged_into");
    assert_eq!(lineage[0]["units"], json!(["QLY-C02"]));
    assert_eq!(lineage[0]["day"], "2025-11-15");
    let successor = office
        .ok_get(&format!("/api/v1/results/{SCHEME}/2025Q4/units/QLY-C02"))
        .await;
    assert_eq!(successor["lineage"][0]["kind"], "took_over", "{successor}");
    assert_eq!(successor["lineage"][0]["units"], json!(["QLY-C01"]));
    let gone = office
        .get(&format!("/api/v1/results/{SCHEME}/2025Q4/units/QLY-C01"))
        .await;
    assert_eq!(gone.status_code(), 404);
    let gone: Value = gone.json();
    assert_eq!(gone["code"], "unit_not_in_period", "{gone}");
    assert!(
        gone["message"]["zh"]
            .as_str()
            .unwrap_or("")
            .contains("2025-11-15"),
        "{gone}"
    );

    // Reporting for it: still in Q3, no longer in Q4.
    let q3 = office
        .put(
            "/api/v1/values/QLY-C01/mediation_cases/2025Q3",
            json!({ "value": "41" }),
        )
        .await;
    assert_ne!(q3.status_code(), 404, "{}", q3.text());
    let q4 = office
        .put(
            "/api/v1/values/QLY-C01/mediation_cases/2025Q4",
            json!({ "value": "41" }),
        )
        .await;
    assert_eq!(q4.status_code(), 404, "{}", q4.text());
    assert_eq!(q4.json::<Value>()["code"], "unit_not_in_period");

    // The audit log has the merge with its day and reason.
    let audit = office
        .ok_get("/api/v1/audit?entity=unit&entity_id=QLY-C01")
        .await;
    let entry = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "unit.merge")
        .cloned()
        .expect("unit.merge in the audit log");
    assert_eq!(entry["reason"], "区划调整：七里园社区并入王庄社区");
    assert!(
        entry["after"].as_str().unwrap_or("").contains("2025-11-15"),
        "{entry}"
    );

    // Results built afresh from the database are the same (nothing lives only in memory).
    let live = jixiao_server::state::load_live(&app.state.store)
        .await
        .expect("reload");
    let s = live.scheme(SCHEME).expect("scheme");
    for p in QUARTERS {
        let r = jixiao_server::ops::results::report_of(
            s,
            jixiao_core::period::Period::parse(p).expect("period"),
            jixiao_server::live::Kind::Official,
            jixiao_core::report::Detail::default(),
        )
        .expect("tracked");
        let fresh = standings(&serde_json::to_value(&r).expect("json"));
        assert_eq!(fresh, standings(&ranking(&office, p).await), "{p}");
    }
}
scenario!(a_mid_year_merge);

/// A street village split in two from 1 October: Q3 keeps the old unit, Q4 has the two new
/// ones; the old unit's Q3 card names them.
async fn a_mid_year_split(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let q3_before = standings(&ranking(&office, "2025Q3").await);
    let unit = office.ok_get("/api/v1/units/QLY-C03").await["unit"].clone();
    let part = |code: &str, zh: &str| {
        let mut u = unit.clone();
        u["code"] = json!(code);
        u["name"] = json!({ "zh": zh, "en": code });
        u
    };
    office
        .ok_post(
            "/api/v1/units/QLY-C03/split",
            json!({ "version": version_of(&office, "QLY-C03").await, "effective": "2025-10-01",
                    "reason": "茶庵社区拆分", "into": [part("QLY-C03A", "茶庵东社区"), part("QLY-C03B", "茶庵西社区")] }),
            200,
        )
        .await;
    assert_eq!(standings(&ranking(&office, "2025Q3").await), q3_before);
    let q4 = standings(&ranking(&office, "2025Q4").await);
    assert!(!q4.iter().any(|s| s.1 == "QLY-C03"));
    assert!(q4.iter().any(|s| s.1 == "QLY-C03A") && q4.iter().any(|s| s.1 == "QLY-C03B"));
    let card = office
        .ok_get(&format!("/api/v1/results/{SCHEME}/2025Q3/units/QLY-C03"))
        .await;
    assert_eq!(card["lineage"][0]["kind"], "split_into", "{card}");
    assert_eq!(card["lineage"][0]["units"], json!(["QLY-C03A", "QLY-C03B"]));
    let new = office
        .ok_get(&format!("/api/v1/results/{SCHEME}/2025Q4/units/QLY-C03A"))
        .await;
    assert_eq!(new["lineage"][0]["kind"], "split_from", "{new}");
    // The new units did not exist in Q3.
    let r = office
        .get(&format!("/api/v1/results/{SCHEME}/2025Q3/units/QLY-C03A"))
        .await;
    assert_eq!(r.status_code(), 404);
    assert_eq!(r.json::<Value>()["code"], "unit_not_in_period");
    // A code already taken is refused, naming the row.
    let r = office
        .post(
            "/api/v1/units/QLY-C02/split",
            json!({ "version": version_of(&office, "QLY-C02").await, "effective": "2025-10-01",
                    "reason": "x", "into": [part("QLY-C01", "重复")] }),
        )
        .await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
    assert!(r.text().contains("into[0]"), "{}", r.text());
}
scenario!(a_mid_year_split);

/// A department re-classed from 1 July: Q1 and Q2 rank it in its old class, Q3 on in the new;
/// a change may not be dated into a closed period, nor before the unit's latest change; an
/// undated change holds from today and leaves every 2025 period as it was.
async fn a_mid_year_reclass(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let before: Vec<_> = {
        let mut v = Vec::new();
        for p in QUARTERS {
            v.push(ranking(&office, p).await);
        }
        v
    };
    assert_eq!(class_of(&before[0], "KJJ").as_deref(), Some("econ"));

    // Q2 closed: a change dated 2025-06-01 reaches into it.
    let periods = office.ok_get("/api/v1/periods").await;
    let q2 = periods
        .as_array()
        .expect("periods")
        .iter()
        .find(|p| p["scheme_code"] == SCHEME && p["period"] == "2025Q2")
        .cloned()
        .expect("2025Q2");
    office
        .ok_put(
            &format!("/api/v1/periods/{SCHEME}/2025Q2"),
            json!({ "status": "closed", "version": q2["version"], "reason": "二季度考核结束" }),
        )
        .await;
    let mut unit = office.ok_get("/api/v1/units/KJJ").await["unit"].clone();
    unit["class"] = json!("enforce");
    // Its own investment target belongs to the economic class's indicators.
    unit["targets"] = json!({});
    let early = office
        .put(
            "/api/v1/units/KJJ",
            json!({ "unit": unit, "version": version_of(&office, "KJJ").await,
                    "effective": "2025-06-01", "reason": "职能调整" }),
        )
        .await;
    assert_eq!(early.status_code(), 409, "{}", early.text());
    let early: Value = early.json();
    assert_eq!(early["code"], "period_frozen", "{early}");
    assert_eq!(early["earliest"], "2025-07-01", "{early}");
    let bad = office
        .put(
            "/api/v1/units/KJJ",
            json!({ "unit": unit, "version": version_of(&office, "KJJ").await,
                    "effective": "2025-13-01", "reason": "职能调整" }),
        )
        .await;
    assert_eq!(bad.status_code(), 400, "{}", bad.text());
    assert_eq!(bad.json::<Value>()["field"], "effective");

    office
        .ok_put(
            "/api/v1/units/KJJ",
            json!({ "unit": unit, "version": version_of(&office, "KJJ").await,
                    "effective": "2025-07-01", "reason": "职能调整，改为执法监管类" }),
        )
        .await;
    for (i, p) in QUARTERS.iter().enumerate() {
        let now = ranking(&office, p).await;
        let want = if i < 2 { "econ" } else { "enforce" };
        assert_eq!(class_of(&now, "KJJ").as_deref(), Some(want), "{p}");
        if i < 2 {
            assert_eq!(standings(&now), standings(&before[i]), "{p} changed");
        }
    }
    // Not before its latest change.
    unit["name"] = json!({ "zh": "区科学技术局", "en": "Science Bureau" });
    office
        .ok_put(
            "/api/v1/units/KJJ",
            json!({ "unit": unit, "version": version_of(&office, "KJJ").await,
                    "effective": "2025-09-01", "reason": "更名" }),
        )
        .await;
    unit["name"] = json!({ "zh": "区科技局", "en": "Science Bureau" });
    let r = office
        .put(
            "/api/v1/units/KJJ",
            json!({ "unit": unit, "version": version_of(&office, "KJJ").await,
                    "effective": "2025-08-01", "reason": "更名" }),
        )
        .await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
    assert_eq!(r.json::<Value>()["code"], "out_of_order");
    // Undated: from today, so no 2025 period moves.
    let mid: Vec<_> = {
        let mut v = Vec::new();
        for p in QUARTERS {
            v.push(standings(&ranking(&office, p).await));
        }
        v
    };
    let moved = office
        .ok_put(
            "/api/v1/units/KJJ",
            json!({ "unit": unit, "version": version_of(&office, "KJJ").await, "reason": "更名" }),
        )
        .await;
    let from = moved["versions"]
        .as_array()
        .expect("versions")
        .last()
        .expect("v")["from"]
        .clone();
    assert!(from.as_str().unwrap_or("") > "2025-12-31", "{moved}");
    for (i, p) in QUARTERS.iter().enumerate() {
        assert_eq!(standings(&ranking(&office, p).await), mid[i], "{p}");
    }
}
scenario!(a_mid_year_reclass);
