//! Budget projects through their gates, on the demo's four projects: the ex-ante conclusion
//! by the experts' scores (a veto dimension rejects whatever the total), no targets without a
//! pass, targets checked against the standard indicator system, returned and approved; who sees
//! what; bad input named and nothing changed.

use crate::{App, Db, scenario};
use serde_json::{Value, json};

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|p| p["code"].as_str().expect("code").to_owned())
        .collect()
}

async fn projects_pass_their_gates(db: Db) {
    let app = App::spawn(db).await;
    let finance = app.user("finance").await;
    let expert = app.user("evaluator").await;
    let reporter = app.user("qly_reporter").await;

    // The demo: one approved, one rejected, one with the expert, one below the threshold (and
    // last year's five, evaluated).
    let all = finance.ok_get("/api/v1/projects").await;
    assert_eq!(
        codes(&all),
        [
            "XM2026-01",
            "XM2026-02",
            "XM2026-03",
            "XM2026-04",
            "P2025-01",
            "P2025-02",
            "P2025-03",
            "P2025-04",
            "P2025-05"
        ]
        .map(String::from)
    );
    let by = |code: &str| {
        all.as_array()
            .expect("list")
            .iter()
            .find(|p| p["code"] == code)
            .expect("project")
            .clone()
    };
    assert_eq!(by("XM2026-01")["stage"], "targets_approved");
    assert_eq!(by("XM2026-01")["exante_conclusion"], "support");
    assert_eq!(by("XM2026-01")["exante_total"], "84");
    let rejected = by("XM2026-02");
    assert_eq!(rejected["stage"], "rejected");
    assert_eq!(
        rejected["exante_reason"],
        "“筹资合规性”得分 10 低于否决线 12：一票否决，不予支持（总分 71）"
    );
    assert_eq!(by("XM2026-03")["stage"], "exante");
    assert_eq!(by("XM2026-04")["exante_required"], false);
    // The expert sees the three assigned, not the fourth; a street's reporter sees none.
    assert_eq!(
        codes(&expert.ok_get("/api/v1/projects").await),
        ["XM2026-01", "XM2026-02", "XM2026-03"].map(String::from)
    );
    assert_eq!(
        expert.get("/api/v1/projects/XM2026-04").await.status_code(),
        404
    );
    assert!(codes(&reporter.ok_get("/api/v1/projects").await).is_empty());
    assert_eq!(
        reporter
            .get("/api/v1/projects/XM2026-01")
            .await
            .status_code(),
        404
    );

    // No targets without passing the ex-ante gate.
    let v = by("XM2026-02")["version"].clone();
    let r = finance
        .put(
            "/api/v1/projects/XM2026-02/targets",
            json!({ "targets": [], "version": v, "reason": "申报" }),
        )
        .await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
    let body: Value = r.json();
    assert_eq!(body["code"], "gate");
    assert!(body.to_string().contains("不予支持"), "{body}");
    let v3 = by("XM2026-03")["version"].clone();
    let r = finance
        .put(
            "/api/v1/projects/XM2026-03/targets",
            json!({ "targets": [], "version": v3, "reason": "申报" }),
        )
        .await;
    assert_eq!(r.status_code(), 409);

    // Concluding before the expert scored names who is missing.
    let r = finance
        .post(
            "/api/v1/projects/XM2026-03/conclusion",
            json!({ "version": v3, "reason": "结论" }),
        )
        .await;
    assert_eq!(r.status_code(), 409);
    assert!(r.text().contains("evaluator"), "{}", r.text());
    // The expert's scores are checked with their places.
    let r = expert
        .post(
            "/api/v1/projects/XM2026-03/scores",
            json!({ "scores": ["21", "16", "15", "15", "12"] }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    assert!(
        r.text().contains("scores[0]") && r.text().contains("立项必要性"),
        "{}",
        r.text()
    );
    let r = expert
        .post(
            "/api/v1/projects/XM2026-03/scores",
            json!({ "scores": ["16", "甲", "15", "15"] }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    assert!(r.text().contains("scores[1]"), "{}", r.text());
    // 16 + 15 + 14 + 13 + 12 = 70: support after revision (12 is not below the veto line 12).
    let scored = expert
        .ok_post(
            "/api/v1/projects/XM2026-03/scores",
            json!({ "scores": ["16", "15", "14", "13", "12"], "comment": "建议压减示范村数量" }),
            200,
        )
        .await;
    assert_eq!(scored["allowed"], json!(["score"]));
    // The department does not see the scores; finance does, with the computed result.
    let seen = finance.ok_get("/api/v1/projects/XM2026-03").await;
    assert_eq!(
        seen["experts"][0]["scores"],
        json!(["16", "15", "14", "13", "12"])
    );
    assert_eq!(seen["exante"]["total"], "70");
    assert!(
        seen["allowed"]
            .as_array()
            .expect("allowed")
            .contains(&json!("conclude"))
    );
    let stale = finance
        .post(
            "/api/v1/projects/XM2026-03/conclusion",
            json!({ "version": 999, "reason": "结论" }),
        )
        .await;
    assert_eq!(stale.status_code(), 409);
    let done = finance
        .ok_post(
            "/api/v1/projects/XM2026-03/conclusion",
            json!({ "version": seen["version"], "reason": "专家评审完成" }),
            200,
        )
        .await;
    assert_eq!(done["stage"], "exante_done");
    assert_eq!(done["exante_conclusion"], "revise");
    assert_eq!(
        done["exante_reason"],
        "60 ≤ 总分 70 < 80：调整完善后予以支持"
    );

    // Targets: checked against the standard system, nothing saved on a problem.
    let bad = finance
        .put(
            "/api/v1/projects/XM2026-03/targets",
            json!({ "version": done["version"], "reason": "申报", "targets": [
                { "level1": "output", "level2": "social", "name": "示范村个数", "direction": "at_least", "value": "5", "unit": "个" },
                { "level1": "output", "level2": "quantity", "name": "", "direction": "around", "value": "五", "unit": "个" }
            ] }),
        )
        .await;
    assert_eq!(bad.status_code(), 422, "{}", bad.text());
    let text = bad.text();
    for place in [
        "targets[0].level2",
        "targets[1].name",
        "targets[1].direction",
        "targets[1].value",
        "至少应有一项效益指标",
    ] {
        assert!(text.contains(place), "{place} in {text}");
    }
    assert_eq!(
        finance.ok_get("/api/v1/projects/XM2026-03").await["targets"],
        json!([])
    );
    let targets = json!([
        { "level1": "output", "level2": "quantity", "name": "建成示范村个数", "direction": "at_least", "value": "5", "unit": "个" },
        { "level1": "benefit", "level2": "economic", "name": "示范村集体经济收入增幅", "direction": "at_least", "value": "10.0", "unit": "%" }
    ]);
    let submitted = finance
        .ok_put(
            "/api/v1/projects/XM2026-03/targets",
            json!({ "version": done["version"], "reason": "按评估意见申报", "targets": targets }),
        )
        .await;
    assert_eq!(submitted["stage"], "targets_submitted");
    assert_eq!(submitted["targets"][1]["value"], "10");
    let returned = finance
        .ok_post(
            "/api/v1/projects/XM2026-03/targets/review",
            json!({ "decision": "return", "version": submitted["version"], "reason": "满意度指标缺失" }),
            200,
        )
        .await;
    assert_eq!(returned["stage"], "targets_returned");
    assert_eq!(returned["return_reason"], "满意度指标缺失");
    let mut more = targets.as_array().expect("targets").clone();
    more.push(json!({ "level1": "satisfaction", "level2": "satisfaction", "name": "村民满意度", "direction": "at_least", "value": "90", "unit": "%" }));
    let again = finance
        .ok_put(
            "/api/v1/projects/XM2026-03/targets",
            json!({ "version": returned["version"], "reason": "补充满意度指标", "targets": more }),
        )
        .await;
    let approved = finance
        .ok_post(
            "/api/v1/projects/XM2026-03/targets/review",
            json!({ "decision": "approve", "version": again["version"], "reason": "予以批复" }),
            200,
        )
        .await;
    assert_eq!(approved["stage"], "targets_approved");
    assert_eq!(approved["targets"].as_array().map(Vec::len), Some(3));
    // Approved targets stay: no second declaration.
    let r = finance
        .put(
            "/api/v1/projects/XM2026-03/targets",
            json!({ "version": approved["version"], "reason": "改", "targets": more }),
        )
        .await;
    assert_eq!(r.status_code(), 409);

    // Every step audited, with before and after.
    let audit = app
        .user("office")
        .await
        .ok_get("/api/v1/audit?entity=project&entity_id=XM2026-03")
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    for a in [
        "project.create",
        "project.exante_assign",
        "project.exante_score",
        "project.exante_conclude",
        "project.targets",
        "project.targets_submit",
        "project.targets_return",
        "project.targets_approve",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}
scenario!(projects_pass_their_gates);

async fn declaring_a_project(db: Db) {
    let app = App::spawn(db).await;
    let finance = app.user("finance").await;
    let office = app.user("office").await;
    let body = |code: &str, amount: &str| json!({ "code": code, "name_zh": "城区排水管网改造", "dept": "CGJ", "year": 2026, "amount": amount, "fund_source": "一般公共预算", "kind": "new", "reason": "申报" });
    // Exactly the threshold (100 万元) needs an ex-ante evaluation; below it does not.
    let at = finance
        .ok_post("/api/v1/projects", body("XM-A", "100"), 201)
        .await;
    assert_eq!(at["exante_required"], true);
    assert_eq!(at["stage"], "draft");
    let below = finance
        .ok_post("/api/v1/projects", body("XM-B", "99.99"), 201)
        .await;
    assert_eq!(below["exante_required"], false);
    assert!(
        below["allowed"]
            .as_array()
            .expect("allowed")
            .contains(&json!("targets"))
    );
    assert!(
        !at["allowed"]
            .as_array()
            .expect("allowed")
            .contains(&json!("targets"))
    );
    let dup = finance.post("/api/v1/projects", body("XM-A", "5")).await;
    assert_eq!(dup.status_code(), 409);
    // Bad input: every field named, nothing created.
    let r = finance
        .post(
            "/api/v1/projects",
            json!({ "code": "X M", "name_zh": " ", "dept": "NOPE", "year": 1999, "amount": "-3", "fund_source": "", "kind": "old", "reason": "申报" }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    let text = r.text();
    for field in [
        "\"code\"",
        "name_zh",
        "\"dept\"",
        "\"year\"",
        "amount",
        "fund_source",
        "\"kind\"",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
    assert_eq!(
        codes(&finance.ok_get("/api/v1/projects").await).len(),
        11,
        "only the two good ones were added"
    );
    // The office reads projects but does not run the budget gates.
    let r = office
        .post(
            "/api/v1/projects/XM-A/experts",
            json!({ "experts": ["evaluator"], "version": at["version"], "reason": "x" }),
        )
        .await;
    assert_eq!(r.status_code(), 403);
    // Only evaluators' accounts can be experts.
    let r = finance
        .post(
            "/api/v1/projects/XM-A/experts",
            json!({ "experts": ["office", "nobody"], "version": at["version"], "reason": "评审" }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    assert!(
        r.text().contains("experts[0]") && r.text().contains("experts[1]"),
        "{}",
        r.text()
    );
    // The page shows the project and its stage.
    let page = finance.get("/projects/XM2026-01").await.text();
    assert!(
        page.contains("农村公路提质改造工程") && page.contains("绩效目标已批复"),
        "{page}"
    );
    assert!(page.contains("提质改造农村公路里程"), "{page}");
}
scenario!(declaring_a_project);

async fn monitoring_against_time(db: Db) {
    let app = App::spawn(db).await;
    let finance = app.user("finance").await;
    let office = app.user("office").await;
    let reporter = app.user("qly_reporter").await;
    let p = finance.ok_get("/api/v1/projects/XM2026-01").await;
    // The monitored targets: the output quantities (the road kilometres), not the rates.
    let goals: Vec<&str> = p["goals"]
        .as_array()
        .expect("goals")
        .iter()
        .map(|g| g["name"].as_str().expect("name"))
        .collect();
    assert_eq!(goals, ["提质改造农村公路里程"]);
    // The demo's three dates: June behind (yellow), August on track, September spending behind.
    let levels: Vec<&str> = p["monitoring"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|m| m["level"].as_str().expect("level"))
        .collect();
    assert_eq!(levels, ["yellow", "green", "yellow"]);
    let june = &p["monitoring"][0];
    assert_eq!(june["day"], "2026-06-30");
    let rate: jixiao_core::Decimal = june["result"]["spending"]["rate"]
        .as_str()
        .expect("rate")
        .parse()
        .expect("decimal");
    assert_eq!(rate, jixiao_core::Decimal::from(35), "420 of 1200");
    assert_eq!(june["result"]["spending"]["level"], "yellow");
    assert!(
        june["result"]["time_explanation"]["zh"]
            .as_str()
            .expect("text")
            .contains("第 181 天"),
        "{june}"
    );
    assert!(!june["measures"].as_str().expect("measures").is_empty());

    // End of October: spent 600 of 1200 (50%) against time progress 304/365 = 83.3%: red; the
    // road at 40 of 42 km (95.2%) is 45 points ahead of spending: a mismatch.
    let path = "/api/v1/projects/XM2026-01/monitoring";
    let body = |measures: &str| json!({ "date": "2026-10-31", "spent": "600", "completed": ["40"], "note": "十月报送", "measures": measures });
    let r = finance.post(path, body("")).await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    assert!(
        r.text().contains("measures") && r.text().contains("红色"),
        "{}",
        r.text()
    );
    let after = finance
        .ok_post(path, body("追加拨付进度款，11月底前完成结算"), 200)
        .await;
    let oct = after["monitoring"]
        .as_array()
        .expect("reports")
        .iter()
        .find(|m| m["day"] == "2026-10-31")
        .expect("october")
        .clone();
    assert_eq!(oct["level"], "red");
    assert_eq!(oct["result"]["spending"]["level"], "red");
    assert_eq!(oct["result"]["spending"]["expected_to_miss"], true);
    assert_eq!(oct["result"]["goals"][0]["level"], "green");
    assert_eq!(oct["result"]["mismatches"][0][0], "t1");
    // Bad reports: named, nothing recorded.
    for (bad, place) in [
        (
            json!({ "date": "2025-10-31", "spent": "1", "completed": ["1"] }),
            "\"date\"",
        ),
        (
            json!({ "date": "2026-02-30", "spent": "1", "completed": ["1"] }),
            "\"date\"",
        ),
        (
            json!({ "date": "2026-11-30", "spent": "多", "completed": ["1", "2"] }),
            "\"spent\"",
        ),
        (
            json!({ "date": "2026-11-30", "spent": "1", "completed": [] }),
            "\"completed\"",
        ),
    ] {
        let r = finance.post(path, bad).await;
        assert_eq!(r.status_code(), 422, "{}", r.text());
        assert!(r.text().contains(place), "{place} in {}", r.text());
    }
    assert_eq!(
        finance.ok_get("/api/v1/projects/XM2026-01").await["monitoring"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    // A project without approved targets is not monitored.
    let r = finance
        .post(
            "/api/v1/projects/XM2026-04/monitoring",
            json!({ "date": "2026-06-30", "spent": "1", "completed": [] }),
        )
        .await;
    assert_eq!(r.status_code(), 409);

    // The report of a date, red first; the district's readers only.
    let days = office.ok_get("/api/v1/monitoring").await;
    assert_eq!(days[0], "2026-10-31");
    let report = office.ok_get("/api/v1/monitoring/2026-10-31").await;
    assert_eq!(report[0]["code"], "XM2026-01");
    assert_eq!(report[0]["level"], "red");
    assert_eq!(
        reporter
            .get("/api/v1/monitoring/2026-10-31")
            .await
            .status_code(),
        403
    );
    let page = office.get("/monitoring/2026-10-31").await.text();
    assert!(
        page.contains("农村公路提质改造工程") && page.contains("红色"),
        "{page}"
    );
    let xlsx = office.get("/monitoring/2026-10-31?format=xlsx").await;
    assert_eq!(xlsx.status_code(), 200);
    assert_eq!(&xlsx.as_bytes()[..2], b"PK");
}
scenario!(monitoring_against_time);

async fn next_years_budget_adjustment(db: Db) {
    let app = App::spawn(db).await;
    let finance = app.user("finance").await;
    let reporter = app.user("qly_reporter").await;
    let path = "/api/v1/budget-adjustment/wolong-budget-self-2025/2025?kind=provisional";
    let t = finance.ok_get(path).await;
    let dec = |v: &Value| -> jixiao_core::Decimal {
        v.as_str().expect("number").parse().expect("decimal")
    };
    let lines = t["lines"].as_array().expect("lines");
    assert!(lines.len() >= 5, "{t}");
    let mut grades = std::collections::BTreeSet::new();
    let (mut current, mut suggested) = (jixiao_core::Decimal::ZERO, jixiao_core::Decimal::ZERO);
    for l in lines {
        let Some(grade) = l["grade"]["zh"].as_str() else {
            continue;
        };
        grades.insert(grade.to_owned());
        // 优 and 良 keep the amount, 中 cuts 10%, 差 30%.
        let k = match grade {
            "优" | "良" => "1",
            "中" => "0.9",
            _ => "0.7",
        };
        assert_eq!(dec(&l["coefficient"]), k.parse().expect("k"), "{l}");
        let amount = dec(&l["amount"]);
        assert_eq!(dec(&l["suggested"]), amount * dec(&l["coefficient"]), "{l}");
        assert!(l["recommendation"]["zh"].is_string(), "{l}");
        assert!(
            l["reason"]["zh"].as_str().expect("reason").contains("→"),
            "{l}"
        );
        current += amount;
        suggested += dec(&l["suggested"]);
    }
    assert!(!grades.is_empty(), "{t}");
    assert_eq!(dec(&t["current_total"]), current);
    assert_eq!(dec(&t["suggested_total"]), suggested);
    let p1 = lines
        .iter()
        .find(|l| l["project"] == "P2025-01")
        .expect("P2025-01");
    assert_eq!(p1["amount"], "800");
    assert_eq!(p1["dept_name"]["zh"], "区农业农村局");
    assert_eq!(reporter.get(path).await.status_code(), 403);
    let page = finance
        .get("/budget-adjustment/wolong-budget-self-2025/2025?kind=provisional")
        .await
        .text();
    assert!(
        page.contains("下年预算调整建议表") && page.contains("食用菌基地"),
        "{page}"
    );
    let xlsx = finance
        .get("/budget-adjustment/wolong-budget-self-2025/2025?kind=provisional&format=xlsx")
        .await;
    assert_eq!(&xlsx.as_bytes()[..2], b"PK");
    let list = finance.get("/projects").await.text();
    assert!(
        list.contains("/budget-adjustment/wolong-budget-self-2025/2025"),
        "{list}"
    );
}
scenario!(next_years_budget_adjustment);
