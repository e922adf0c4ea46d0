//! Cross-inspection rounds: a generated round breaks no rule, a hand-made reciprocal pair is
//! refused with the rule named, the next round repeats no pair, an inspector's score becomes
//! the unit's value of the round's element; who may do what.

use crate::{App, Db, scenario};
use serde_json::{Value, json};

const TOWNS: [&str; 8] = ["QLY", "MXI", "WLG", "WHO", "JGA", "LHE", "PSH", "SQI"];

fn teams() -> Value {
    Value::Array(
        TOWNS
            .iter()
            .map(|h| {
                json!({ "code": format!("T-{h}"), "name": format!("{h}检查组"), "home": h,
                        "members": if *h == "PSH" { vec!["inspector"] } else { vec![] } })
            })
            .collect(),
    )
}

fn pairs(d: &Value) -> Vec<(String, String)> {
    d["assignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .map(|a| {
            (
                a["team"]
                    .as_str()
                    .expect("team")
                    .trim_start_matches("T-")
                    .to_owned(),
                a["unit"].as_str().expect("unit").to_owned(),
            )
        })
        .collect()
}

async fn rounds_keep_the_rules(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let inspector = app.user("inspector").await;
    let street = app.user("qly_reporter").await;

    let body = |period: &str| {
        json!({ "period": period, "title": format!("{period}安全生产异地交叉检查"),
                "element": "safety_inspection", "teams": teams(), "reason": "按季度组织" })
    };
    // Bad input named, nothing created (2027Q1: no scheme of 2027 has the element).
    let r = office
        .post(
            "/api/v1/inspections",
            json!({ "period": "2027Q1", "title": "", "element": "mediation_cases",
                    "teams": [{ "code": "A", "name": "甲", "home": "NOPE", "members": ["qly_reporter"] }],
                    "reason": "x" }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    for place in [
        "period",
        "title",
        "element",
        "teams[0].home",
        "teams[0].members[0]",
    ] {
        assert!(
            r.text().contains(&format!("\"{place}\"")),
            "{place}: {}",
            r.text()
        );
    }
    let d = office
        .ok_post("/api/v1/inspections", body("2025Q3"), 201)
        .await;
    let id = d["round"]["id"].as_i64().expect("id");
    assert_eq!(d["units"].as_array().expect("units").len(), 8);
    assert!(
        d["allowed"]
            .as_array()
            .expect("allowed")
            .contains(&json!("generate"))
    );

    // Generated: every unit once, never by its own team, no A↔B pair, two teams… one each.
    let g = office
        .ok_post(
            &format!("/api/v1/inspections/{id}/generate"),
            json!({ "seed": 42, "version": d["round"]["version"], "reason": "随机生成" }),
            200,
        )
        .await;
    assert_eq!(g["problems"], json!([]), "{g}");
    let first = pairs(&g);
    assert_eq!(first.len(), 8);
    for (home, unit) in &first {
        assert_ne!(home, unit);
        assert!(
            !first.contains(&(unit.clone(), home.clone())),
            "{home}↔{unit}"
        );
    }
    // The same seed, the same round.
    let again = office
        .ok_post(
            &format!("/api/v1/inspections/{id}/generate"),
            json!({ "seed": 42, "version": g["round"]["version"], "reason": "复核" }),
            200,
        )
        .await;
    assert_eq!(pairs(&again), first);

    // By hand: QLY ↔ MXI is refused, the rule named at its place; nothing changed.
    let mut manual: Vec<Value> = vec![
        json!({ "team": "T-QLY", "unit": "MXI" }),
        json!({ "team": "T-MXI", "unit": "QLY" }),
    ];
    for (h, u) in [
        ("WLG", "WHO"),
        ("WHO", "JGA"),
        ("JGA", "LHE"),
        ("LHE", "PSH"),
        ("PSH", "SQI"),
        ("SQI", "WLG"),
    ] {
        manual.push(json!({ "team": format!("T-{h}"), "unit": u }));
    }
    let r = office
        .put(
            &format!("/api/v1/inspections/{id}/assignments"),
            json!({ "assignments": manual, "version": again["round"]["version"], "reason": "手工调整" }),
        )
        .await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    assert!(
        r.text().contains("assignments[0]") && r.text().contains("同一轮不得互查"),
        "{}",
        r.text()
    );
    let now = office.ok_get(&format!("/api/v1/inspections/{id}")).await;
    assert_eq!(pairs(&now), first);

    // The next round repeats no pair of this one.
    let d2 = office
        .ok_post("/api/v1/inspections", body("2025Q4"), 201)
        .await;
    let id2 = d2["round"]["id"].as_i64().expect("id");
    let g2 = office
        .ok_post(
            &format!("/api/v1/inspections/{id2}/generate"),
            json!({ "seed": 7, "version": d2["round"]["version"], "reason": "随机生成" }),
            200,
        )
        .await;
    assert_eq!(g2["previous"], id);
    assert_eq!(g2["problems"], json!([]));
    for p in pairs(&g2) {
        assert!(!first.contains(&p), "{p:?} repeats the previous round");
    }

    // The inspector (蒲山镇's team) scores the unit assigned to it: the unit's value of the
    // element for the period, noting the round; not another unit; not out of range.
    let mine = first
        .iter()
        .find(|(h, _)| h == "PSH")
        .map(|(_, u)| u.clone())
        .expect("PSH's unit");
    let other = first
        .iter()
        .find(|(h, _)| h != "PSH")
        .map(|(_, u)| u.clone())
        .expect("another unit");
    let listed = codes_of(&inspector.ok_get("/api/v1/inspections").await);
    assert!(listed.contains(&id) && listed.contains(&id2), "{listed:?}");
    let r = inspector
        .post(
            &format!("/api/v1/inspections/{id}/scores"),
            json!({ "unit": other, "score": "90" }),
        )
        .await;
    assert_eq!(r.status_code(), 403);
    let r = inspector
        .post(
            &format!("/api/v1/inspections/{id}/scores"),
            json!({ "unit": mine, "score": "120" }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    assert!(r.text().contains("0–100"), "{}", r.text());
    inspector
        .ok_post(
            &format!("/api/v1/inspections/{id}/scores"),
            json!({ "unit": mine, "score": "88.5", "note": "隐患2处已现场交办" }),
            200,
        )
        .await;
    let v = office
        .ok_get(&format!("/api/v1/values/{mine}/safety_inspection/2025Q3"))
        .await;
    assert_eq!(v["row"]["value"], "88.5", "{v}");
    assert_eq!(v["row"]["state"], "counted");
    assert!(
        v["row"]["note"]
            .as_str()
            .expect("note")
            .contains("交叉检查"),
        "{v}"
    );
    // Scores recorded: the assignment is final.
    let now = office.ok_get(&format!("/api/v1/inspections/{id}")).await;
    let r = office
        .post(
            &format!("/api/v1/inspections/{id}/generate"),
            json!({ "version": now["round"]["version"], "reason": "重排" }),
        )
        .await;
    assert_eq!(r.status_code(), 409);

    // A street's reporter sees no round.
    assert!(codes_of(&street.ok_get("/api/v1/inspections").await).is_empty());
    assert_eq!(
        street
            .get(&format!("/api/v1/inspections/{id}"))
            .await
            .status_code(),
        404
    );
}
scenario!(rounds_keep_the_rules);

fn codes_of(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("rounds")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}
