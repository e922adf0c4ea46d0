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

fn indicator<'a>(card: &'a Value, code: &str) -> &'a Value {
    card["row"]["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("{code}"))
}

/// The value of a part of the indicator's computed element.
fn input(ind: &Value, element: &str) -> Value {
    ind["explanation"]["inputs"][0]["source"]["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|i| i["element"] == element)
        .map(|i| i["value"].clone())
        .unwrap_or(Value::Null)
}

fn substituted(ind: &Value) -> String {
    ind["explanation"]["inputs"][0]["source"]["substituted"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// The demo round (2025Q4) has a checklist: a unit's score is the sum of its items, each within
/// its points. A major hazard opens a rectification task for the unit; the count of major
/// hazards and of those closed on time are data elements, so 重大事故隐患整改率 moves with the
/// tasks — worked numbers on 七里园街道 (ledger 39 found, 38 closed).
async fn hazards_move_the_rate(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let inspector = app.user("inspector").await;
    let street = app.user("qly_reporter").await;
    let round = office.ok_get("/api/v1/inspections/1").await;
    assert_eq!(round["checklist"].as_array().expect("checklist").len(), 5);
    // 蒲山镇's sheet, entered by the office: 18 + 16 + 25 + 14 + 13.5 = 86.5.
    let psh = round["assignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .find(|a| a["unit"] == "PSH")
        .expect("PSH");
    assert_eq!(psh["score"], "86.5");
    let mine = round["assignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .find(|a| a["team"] == "JC-PSH")
        .and_then(|a| a["unit"].as_str())
        .expect("PSH's unit")
        .to_owned();

    // Items: each scored once, within its points; a typed total must be their sum.
    let all = |s: [&str; 5]| {
        json!(
            ["duty", "ledger", "sites", "plans", "training"]
                .iter()
                .zip(s)
                .map(|(i, s)| json!({ "item": i, "score": s }))
                .collect::<Vec<_>>()
        )
    };
    let path = "/api/v1/inspections/1/scores";
    let r = inspector
        .post(
            path,
            json!({ "unit": mine, "items": [{ "item": "duty", "score": "21" }, { "item": "nope", "score": "1" }] }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    for place in ["items[0].score", "items[1].item", "\"items\""] {
        assert!(r.text().contains(place), "{place}: {}", r.text());
    }
    let r = inspector
        .post(
            path,
            json!({ "unit": mine, "score": "90", "items": all(["20", "20", "30", "10", "9"]) }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    assert!(r.text().contains("89"), "{}", r.text());
    inspector
        .ok_post(
            path,
            json!({ "unit": mine, "items": all(["20", "20", "27.5", "10", "11.25"]) }),
            200,
        )
        .await;
    let v = office
        .ok_get(&format!("/api/v1/values/{mine}/safety_inspection/2025Q4"))
        .await;
    assert_eq!(v["row"]["value"], "88.75", "{v}");

    // A hazard: every bad field named, nothing recorded.
    let hazards = "/api/v1/inspections/1/hazards";
    let r = inspector
        .post(
            hazards,
            json!({ "unit": mine, "location": " ", "category": "weather", "severity": "huge",
                    "description": "x", "deadline": "2020-01-01" }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    for place in ["location", "category", "severity", "deadline"] {
        assert!(
            r.text().contains(&format!("\"{place}\"")),
            "{place}: {}",
            r.text()
        );
    }
    // Not the inspector's unit; not a reporter's business.
    assert_eq!(
        mine, "QLY",
        "the demo's round sends 蒲山镇's team to 七里园街道"
    );
    let r = inspector
        .post(
            hazards,
            json!({ "unit": "WHO", "location": "a", "category": "fire", "severity": "major",
                    "description": "b", "deadline": "2099-01-01" }),
        )
        .await;
    assert_eq!(r.status_code(), 403);
    let r = street
        .post(
            hazards,
            json!({ "unit": "QLY", "location": "a", "category": "fire", "severity": "major",
                    "description": "b", "deadline": "2099-01-01" }),
        )
        .await;
    assert_eq!(r.status_code(), 404);
    assert_eq!(
        office.ok_get("/api/v1/inspections/1").await["hazards"]
            .as_array()
            .expect("hazards")
            .len(),
        3
    );

    // The inspector's hazard, with a photo, opens the unit's task.
    let h = inspector
        .ok_post(
            hazards,
            json!({ "unit": mine, "location": "镇中心加油站", "category": "chemicals", "severity": "major",
                    "description": "卸油口防静电接地失效", "deadline": "2099-01-01" }),
            201,
        )
        .await;
    let task = h["hazard"]["task_id"].as_i64().expect("task");
    let form = axum_test::multipart::MultipartForm::new().add_part(
        "file",
        axum_test::multipart::Part::bytes(b"\x89PNG\r\n\x1a\nphoto".to_vec())
            .file_name("现场.png")
            .mime_type("image/png"),
    );
    let up = inspector
        .server
        .post(&format!(
            "/api/v1/inspections/hazards/{}/photos",
            h["hazard"]["id"]
        ))
        .add_header(
            "x-csrf-token",
            inspector.csrf.clone().unwrap_or_default().as_str(),
        )
        .multipart(form)
        .await;
    assert_eq!(up.status_code(), 201, "{}", up.text());
    let t = office
        .ok_get(&format!("/api/v1/rectifications/{task}"))
        .await;
    assert_eq!(t["item"]["task"]["source_kind"], "inspection");
    assert_eq!(t["item"]["task"]["severity"], "major");
    assert_eq!(t["item"]["task"]["unit_code"], mine.as_str());
    let photos = office.ok_get("/api/v1/inspections/1").await["hazards"]
        .as_array()
        .expect("hazards")
        .iter()
        .find(|x| x["hazard"]["id"] == h["hazard"]["id"])
        .map(|x| x["photos"].clone())
        .expect("the hazard");
    let link = photos[0][0].as_str().expect("photo link");
    assert_eq!(office.get(link).await.status_code(), 200);
    // The unit sees the photo of its own hazard.
    assert_eq!(street.get(link).await.status_code(), 200);

    // 七里园街道: ledger 39 found / 38 closed, plus the demo's verified major hazard and the
    // inspector's open one: (38 + 1) ÷ (39 + 2). Three more major hazards, open: (38 + 1) ÷
    // (39 + 5) = 88.6% < 92.
    let card = "/api/v1/results/wolong-2025/2025Q4/units/QLY?kind=provisional";
    let before = office.ok_get(card).await;
    assert_eq!(
        input(indicator(&before, "hazards"), "inspection_hazards"),
        "2"
    );
    assert!(substituted(indicator(&before, "hazards")).contains("(38 + 1) ÷ (39 + 2)"));
    let mut tasks = vec![task];
    for (loc, cat) in [
        ("幸福路老旧小区", "gas"),
        ("建材市场", "fire"),
        ("工地塔吊", "construction"),
    ] {
        let h = office
            .ok_post(
                hazards,
                json!({ "unit": "QLY", "location": loc, "category": cat, "severity": "major",
                        "description": "现场检查发现", "deadline": "2099-01-01" }),
                201,
            )
            .await;
        tasks.push(h["hazard"]["task_id"].as_i64().expect("task"));
    }
    // A general hazard is not counted in the major-hazard rate.
    office
        .ok_post(
            hazards,
            json!({ "unit": "QLY", "location": "社区活动室", "category": "other", "severity": "general",
                    "description": "疏散指示灯损坏", "deadline": "2099-01-01" }),
            201,
        )
        .await;
    let open = office.ok_get(card).await;
    let hz = indicator(&open, "hazards");
    assert_eq!(input(hz, "inspection_hazards"), "5", "{hz}");
    assert_eq!(input(hz, "inspection_hazards_closed"), "1", "{hz}");
    assert!(substituted(hz).contains("(38 + 1) ÷ (39 + 5)"), "{hz}");
    // 88.636…% of the target 92: below full marks (5 × 88.636 ÷ 92).
    let open_score = hz["score"].clone();
    assert_eq!(indicator(&before, "hazards")["score"], "5");
    assert!(
        open_score.as_str().expect("score").starts_with("4.81"),
        "{hz}"
    );

    // The street fixes them on time and the office verifies: (38 + 5) ÷ (39 + 5).
    for id in tasks {
        for (who, action, text) in [
            (&street, "start", ""),
            (&street, "submit", "已整改"),
            (&office, "verify", "复查合格"),
        ] {
            let t = office.ok_get(&format!("/api/v1/rectifications/{id}")).await;
            who.ok_post(
                &format!("/api/v1/rectifications/{id}/act"),
                json!({ "action": action, "version": t["item"]["task"]["version"], "text": text }),
                200,
            )
            .await;
        }
    }
    let fixed = office.ok_get(card).await;
    let hz = indicator(&fixed, "hazards");
    assert_eq!(input(hz, "inspection_hazards_closed"), "5", "{hz}");
    assert!(substituted(hz).contains("(38 + 5) ÷ (39 + 5)"), "{hz}");
    assert_eq!(hz["score"], "5");
    let v = office
        .ok_get("/api/v1/values/QLY/inspection_hazards_closed/2025Q4")
        .await;
    assert_eq!(v["row"]["state"], "counted");
    assert!(
        v["row"]["note"]
            .as_str()
            .expect("note")
            .contains("按期销号 5"),
        "{v}"
    );
}
scenario!(hazards_move_the_rate);
