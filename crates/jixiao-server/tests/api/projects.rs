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

    // The demo: approved, rejected, with the expert, below the threshold, targets waiting for
    // review, targets returned, red at the latest monitoring, on track (and last year's five,
    // evaluated).
    let all = finance.ok_get("/api/v1/projects").await;
    assert_eq!(
        codes(&all),
        [
            "XM2026-01",
            "XM2026-02",
            "XM2026-03",
            "XM2026-04",
            "XM2026-05",
            "XM2026-06",
            "XM2026-07",
            "XM2026-08",
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
    // The expert sees the six assigned, not the others; a street's reporter sees none.
    assert_eq!(
        codes(&expert.ok_get("/api/v1/projects").await),
        [
            "XM2026-01",
            "XM2026-02",
            "XM2026-03",
            "XM2026-05",
            "XM2026-06",
            "XM2026-07"
        ]
        .map(String::from)
    );
    assert_eq!(by("XM2026-05")["stage"], "targets_submitted");
    // Two years and two sources: the 2026 rows add up to its amount.
    let funds = finance.ok_get("/api/v1/projects/XM2026-05").await["funds"].clone();
    assert_eq!(
        funds,
        json!([
            { "year": 2026, "source": "一般公共预算", "amount": "1400" },
            { "year": 2026, "source": "政府专项债券", "amount": "1000" },
            { "year": 2027, "source": "一般公共预算", "amount": "1600" }
        ])
    );
    assert_eq!(by("XM2026-06")["stage"], "targets_returned");
    assert_eq!(by("XM2026-06")["exante_conclusion"], "revise");
    assert_eq!(by("XM2026-07")["stage"], "targets_approved");
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
        15,
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
    assert_eq!(p1["amount"], "1200");
    // Beside the grade: the ex-ante conclusion (none: before jixiao) and the latest monitoring.
    assert!(p1["exante"].is_null(), "{p1}");
    assert_eq!(p1["monitoring"]["zh"], "2025-12-31 正常", "{p1}");
    let road = lines
        .iter()
        .find(|l| l["project"] == "P2025-04")
        .expect("P2025-04");
    assert_eq!(road["monitoring"]["zh"], "2025-12-31 红色", "{road}");
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

/// The target approval → evaluation link: approved targets, the amount and the year-end
/// monitoring reach the evaluation schemes as values noting where they came from, never typed
/// again; a project joins the assessed objects when its targets are approved.
async fn approved_targets_reach_the_evaluation(db: Db) {
    let app = App::spawn(db).await;
    let finance = app.user("finance").await;

    // The demo's 2025 projects: the self-evaluation reads their approved targets.
    let v = finance
        .ok_get("/api/v1/values/P2025-01/qty_planned/2025")
        .await;
    let v = &v["row"];
    assert_eq!(v["value"], "50", "{v}");
    assert_eq!(v["state"], "counted", "{v}");
    assert!(
        v["note"]
            .as_str()
            .expect("note")
            .starts_with("批复的绩效目标：食用菌标准化大棚建设数量 50座"),
        "{v}"
    );
    let spent = finance.ok_get("/api/v1/values/P2025-04/spent/2025").await;
    assert_eq!(spent["row"]["value"], "666", "{spent}");
    // P2025-04 was red at its year-end monitoring (spending 74% and roads 66.7% against 100%):
    // a rectification task for the transport bureau, from the monitoring.
    let tasks = finance
        .ok_get("/api/v1/rectifications?source=monitoring")
        .await;
    let from_monitoring: Vec<&Value> = tasks
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| &t["task"])
        .collect();
    assert!(
        from_monitoring
            .iter()
            .any(|t| t["source_id"] == "P2025-04@2025-12-31" && t["unit_code"] == "JTJ"),
        "{tasks}"
    );

    // A project below the threshold, declared into the self-evaluation: not an assessed object
    // until its targets are approved.
    let bad = finance
        .post(
            "/api/v1/projects",
            json!({"code": "P2025-09", "name_zh": "高标准农田灌溉设施维护", "dept": "NYJ",
                    "year": 2025, "amount": "90", "fund_source": "一般公共预算",
                    "kind": "continuing", "classes": ["project_selff"], "reason": "补录"}),
        )
        .await;
    assert_eq!(bad.status_code(), 422, "{}", bad.text());
    assert!(bad.text().contains("classes[0]"), "{}", bad.text());
    assert!(bad.text().contains("project_self"), "{}", bad.text());
    let d = finance
        .ok_post(
            "/api/v1/projects",
            json!({"code": "P2025-09", "name_zh": "高标准农田灌溉设施维护", "dept": "NYJ",
                    "year": 2025, "amount": "90", "fund_source": "一般公共预算",
                    "kind": "continuing", "classes": ["project_self"], "reason": "补录"}),
            201,
        )
        .await;
    assert_eq!(d["classes"], json!(["project_self"]));
    assert_eq!(
        finance.get("/api/v1/units/P2025-09").await.status_code(),
        404
    );
    let d = finance
        .ok_put(
            "/api/v1/projects/P2025-09/targets",
            json!({"version": d["version"], "reason": "申报目标", "targets": [
                {"level1": "output", "level2": "quantity", "name": "维护灌溉泵站", "direction": "at_least", "value": "20", "unit": "座"},
                {"level1": "output", "level2": "cost", "name": "项目总成本", "direction": "at_most", "value": "90", "unit": "万元"},
                {"level1": "benefit", "level2": "economic", "name": "粮食增产", "direction": "at_least", "value": "30", "unit": "万元"},
                {"level1": "benefit", "level2": "social", "name": "受益农户", "direction": "at_least", "value": "500", "unit": "户"}
            ]}),
        )
        .await;
    finance
        .ok_post(
            "/api/v1/projects/P2025-09/targets/review",
            json!({"decision": "approve", "version": d["version"], "reason": "予以批复"}),
            200,
        )
        .await;
    // Approved: a project under its department in the self-evaluation's class, with its
    // amount and targets as the evaluation's values.
    let unit = finance.ok_get("/api/v1/units/P2025-09").await;
    assert_eq!(unit["unit"]["parent"], "NYJ", "{unit}");
    assert_eq!(unit["unit"]["level"], "project", "{unit}");
    for (element, value) in [
        ("budget", "90"),
        ("qty_planned", "20"),
        ("cost_budget", "90"),
        ("benefit_target", "30"),
        ("beneficiaries_target", "500"),
    ] {
        let v = finance
            .ok_get(&format!("/api/v1/values/P2025-09/{element}/2025"))
            .await;
        assert_eq!(v["row"]["value"], value, "{element}: {v}");
    }
    // No year-end monitoring yet: the year's spending is not there.
    let none = finance.ok_get("/api/v1/values/P2025-09/spent/2025").await;
    assert!(none["row"].is_null(), "{none}");
    // The year-end monitoring brings it: 81 of 90 spent (90%, 10 points behind: yellow, with
    // measures), all 20 pumping stations done.
    finance
        .ok_post(
            "/api/v1/projects/P2025-09/monitoring",
            json!({"date": "2025-12-31", "spent": "81", "completed": ["20"],
                    "measures": "结余资金按规定收回"}),
            200,
        )
        .await;
    let spent = finance.ok_get("/api/v1/values/P2025-09/spent/2025").await;
    assert_eq!(spent["row"]["value"], "81", "{spent}");
    assert!(
        spent["row"]["note"]
            .as_str()
            .expect("note")
            .contains("2025-12-31"),
        "{spent}"
    );
    // The self-evaluation scores it: budget execution 81 / 90 = 90% of its points, traced to
    // the project's values.
    let card = finance
        .ok_get("/api/v1/results/wolong-budget-self-2025/2025/units/P2025-09?kind=provisional")
        .await;
    assert_eq!(card["class"]["code"], "project_self", "{card}");
    let text = card.to_string();
    assert!(text.contains("81 ÷ 90 × 100 = 90"), "{card}");
    let quantity = card["row"]["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["code"] == "quantity")
        .expect("quantity");
    assert!(
        quantity["explanation"]["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .any(|i| i["element"] == "qty_planned" && i["value"] == "20"),
        "{quantity}"
    );
    // The targets stay final: declaring again is refused.
    let again = finance
        .put(
            "/api/v1/projects/P2025-09/targets",
            json!({"version": 99, "reason": "改", "targets": []}),
        )
        .await;
    assert_eq!(again.status_code(), 409, "{}", again.text());
}
scenario!(approved_targets_reach_the_evaluation);

/// Finance's tables: a project list and a date's monitoring figures from files, checked whole
/// with every problem at its row and column and written all or nothing; the budget-adjustment
/// table reviewed and published, each department reading its own lines.
async fn imports_and_the_published_adjustment(db: Db) {
    let app = App::spawn(db).await;
    let finance = app.user("finance").await;
    let csrf = finance.csrf.clone().unwrap_or_default();
    let upload = |name: &'static str, csv: String, reason: bool| {
        let form = axum_test::multipart::MultipartForm::new().add_part(
            "file",
            axum_test::multipart::Part::bytes(csv.into_bytes()).file_name(name),
        );
        if reason {
            form.add_text("reason", "2026年第二批项目申报")
        } else {
            form
        }
    };
    let head = "项目代码,项目名称,主管部门代码,年度,金额（万元）,资金来源,类型（新增/延续）,重大项目（是/否）,绩效评价类别,申报理由\n";
    let before = codes(&finance.ok_get("/api/v1/projects").await).len();
    // Row 3: an unknown department (column C) and a bad amount (column E); row 4 repeats row
    // 2's code. Nothing is declared.
    let bad = finance
        .server
        .post(&format!("/projects/import?csrf={csrf}"))
        .multipart(upload(
            "projects.csv",
            format!(
                "{head}XM2026-21,城区公厕提升改造,CGJ,2026,85,一般公共预算,新增,否,project_self,\n\
                 XM2026-22,智慧停车系统,NOPE,2026,十万,一般公共预算,新增,否,,\n\
                 XM2026-21,重复的项目,CGJ,2026,50,一般公共预算,延续,否,,\n"
            ),
            true,
        ))
        .await
        .text();
    assert!(bad.contains("proj-problems"), "{bad}");
    for place in ["第3行“C”列", "第3行“E”列", "第4行“A”列"] {
        assert!(bad.contains(place), "{place}: {bad}");
    }
    assert_eq!(
        codes(&finance.ok_get("/api/v1/projects").await).len(),
        before
    );
    let good = finance
        .server
        .post(&format!("/projects/import?csrf={csrf}"))
        .multipart(upload(
            "projects.csv",
            format!(
                "{head}XM2026-21,城区公厕提升改造,CGJ,2026,85,一般公共预算,新增,否,project_self,\n\
                 XM2026-22,智慧停车系统,CGJ,2026,320,政府专项债券,新增,是,,\n"
            ),
            true,
        ))
        .await
        .text();
    assert!(good.contains("proj-imported"), "{good}");
    let d = finance.ok_get("/api/v1/projects/XM2026-22").await;
    assert_eq!(d["major"], true);
    assert_eq!(d["exante_required"], true, "320 ≥ the 100 threshold");
    assert_eq!(d["kind"], "new");
    assert_eq!(
        finance.ok_get("/api/v1/projects/XM2026-21").await["classes"],
        json!(["project_self"])
    );
    // Funding over years and sources: the project's year must add up to its amount.
    let body = |funds: Value| {
        json!({ "code": "XM2026-23", "name_zh": "城乡供水一体化", "dept": "NYJ", "year": 2026,
                "amount": "500", "fund_source": "一般公共预算", "kind": "new", "reason": "申报",
                "funds": funds })
    };
    let r = finance
        .post(
            "/api/v1/projects",
            body(json!([
                { "year": 2026, "source": "一般公共预算", "amount": "300" },
                { "year": 2026, "source": "一般公共预算", "amount": "100" },
                { "year": 2040, "source": "", "amount": "0" }
            ])),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    let text = r.text();
    assert!(
        text.contains("合计 400 万元，与项目金额 500 万元不符"),
        "{text}"
    );
    for place in [
        "funds[1].source",
        "funds[2].year",
        "funds[2].source",
        "funds[2].amount",
    ] {
        assert!(text.contains(place), "{place}: {text}");
    }
    let d = finance
        .ok_post(
            "/api/v1/projects",
            body(json!([
                { "year": 2026, "source": "一般公共预算", "amount": "300" },
                { "year": 2026, "source": "政府专项债券", "amount": "200" },
                { "year": 2027, "source": "一般公共预算", "amount": "250.50" }
            ])),
            201,
        )
        .await;
    assert_eq!(d["funds"].as_array().expect("funds").len(), 3);
    assert_eq!(d["funds"][2]["amount"], "250.5");
    // One source, one year: the amount is its funding.
    assert_eq!(
        finance.ok_get("/api/v1/projects/XM2026-21").await["funds"],
        json!([{ "year": 2026, "source": "一般公共预算", "amount": "85" }])
    );
    let template = finance.get("/projects/import/template").await;
    assert_eq!(&template.as_bytes()[..2], b"PK");

    // Monitoring figures for 2026-10-31: the template lists the approved projects' targets.
    let template = finance
        .get("/monitoring/import/template?date=2026-10-31")
        .await;
    assert_eq!(&template.as_bytes()[..2], b"PK");
    let mhead = "项目代码,监控日期,累计支出（万元）,监控目标,累计完成,说明,纠偏措施\n";
    // XM2026-01: 1200 万元, 42 km; on 2026-10-31 (304 of 365 days: 83.29%) 960 spent (80%),
    // 36 km (85.71%) — green. XM2026-08: a target that is not its own (row 3, column D).
    let bad = finance
        .server
        .post(&format!("/monitoring/import?csrf={csrf}"))
        .multipart(upload(
            "monitoring.csv",
            format!(
                "{mhead}XM2026-01,2026-10-31,960,提质改造农村公路里程,36,,\n\
                 XM2026-08,2026-10-31,80,储备库面积,35,,\n"
            ),
            false,
        ))
        .await
        .text();
    assert!(bad.contains("proj-problems"), "{bad}");
    assert!(
        bad.contains("第3行“D”列") && bad.contains("储备库面积"),
        "{bad}"
    );
    let days = |p: &Value| -> Vec<String> {
        p["monitoring"]
            .as_array()
            .expect("monitoring")
            .iter()
            .map(|m| m["day"].as_str().expect("day").to_owned())
            .collect()
    };
    let p1 = finance.ok_get("/api/v1/projects/XM2026-01").await;
    assert!(
        !days(&p1).contains(&"2026-10-31".to_owned()),
        "nothing written"
    );
    // XM2026-08 now too far behind without measures: named at its row's measures column.
    let bad = finance
        .server
        .post(&format!("/monitoring/import?csrf={csrf}"))
        .multipart(upload(
            "monitoring.csv",
            format!(
                "{mhead}XM2026-01,2026-10-31,960,提质改造农村公路里程,36,,\n\
                 XM2026-08,2026-10-31,30,新增储备物资品类,35,,\n"
            ),
            false,
        ))
        .await
        .text();
    assert!(
        bad.contains("第3行“G”列") && bad.contains("纠偏措施"),
        "{bad}"
    );
    let good = finance
        .server
        .post(&format!("/monitoring/import?csrf={csrf}"))
        .multipart(upload(
            "monitoring.csv",
            format!(
                "{mhead}XM2026-01,2026-10-31,960,提质改造农村公路里程,36,交通运输局报送,\n\
                 XM2026-08,2026-10-31,80,新增储备物资品类,35,,\n"
            ),
            false,
        ))
        .await
        .text();
    assert!(good.contains("proj-imported"), "{good}");
    let p1 = finance.ok_get("/api/v1/projects/XM2026-01").await;
    assert!(days(&p1).contains(&"2026-10-31".to_owned()), "{p1}");
    let line = finance
        .ok_get("/api/v1/monitoring/2026-10-31")
        .await
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["code"] == "XM2026-01")
        .cloned()
        .expect("XM2026-01");
    assert_eq!(line["level"], "green", "{line}");
    // The same through the API: problems at reports[i].field.
    let r = finance
        .post(
            "/api/v1/monitoring/import",
            json!({ "reports": [{ "code": "XM2026-08", "date": "2027-01-01", "spent": "x", "completed": [] }] }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    for place in [
        "reports[0].date",
        "reports[0].spent",
        "reports[0].completed",
    ] {
        assert!(r.text().contains(place), "{place}: {}", r.text());
    }

    // The published adjustment table (the demo's finance published 2025's, keeping road
    // maintenance at its amount).
    let p = finance
        .ok_get("/api/v1/budget-adjustment/wolong-budget-self-2025/2025/published")
        .await;
    let lines = p["table"]["lines"].as_array().expect("lines");
    let road = lines
        .iter()
        .find(|l| l["project"] == "P2025-04")
        .expect("P2025-04");
    assert_eq!(road["decided"], "900", "{road}");
    assert!(
        road["decided_reason"]
            .as_str()
            .expect("why")
            .contains("法定支出"),
        "{road}"
    );
    let dec = |v: &Value| -> jixiao_core::Decimal { v.as_str().expect("n").parse().expect("d") };
    let mut total = jixiao_core::Decimal::ZERO;
    for l in lines {
        if l["project"] != "P2025-04" {
            assert_eq!(l["decided"], l["suggested"], "{l}");
        }
        total += dec(&l["decided"]);
    }
    assert_eq!(dec(&p["table"]["decided_total"]), total);
    // A bad decision: named, nothing published.
    let r = finance
        .post(
            "/api/v1/budget-adjustment/wolong-budget-self-2025/2025/publish",
            json!({ "kind": "provisional", "reason": "复核", "decisions": [
                { "project": "P2025-02", "amount": "-1", "reason": "" },
                { "project": "NOPE", "amount": "1", "reason": "x" }
            ] }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    for place in [
        "decisions[0].amount",
        "decisions[0].reason",
        "decisions[1].project",
    ] {
        assert!(r.text().contains(place), "{place}: {}", r.text());
    }
    assert_eq!(
        finance
            .ok_get("/api/v1/budget-adjustment/wolong-budget-self-2025/2025/published")
            .await["id"],
        p["id"]
    );
    // Published again through the page: 2,800 for the compound renovation, with its reason.
    let r = finance
        .post_form(
            "/budget-adjustment/wolong-budget-self-2025/2025",
            &[
                ("kind", "provisional"),
                ("publication", ""),
                ("amount:P2025-02", "2800"),
                ("why:P2025-02", "剩余1个小区结转实施"),
                ("reason", "预算编制复核"),
            ],
        )
        .await;
    assert_eq!(r.status_code(), 303, "{}", r.text());
    let again = finance
        .ok_get("/api/v1/budget-adjustment/wolong-budget-self-2025/2025/published")
        .await;
    assert_ne!(again["id"], p["id"]);
    let compound = again["table"]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["project"] == "P2025-02")
        .cloned()
        .expect("P2025-02");
    assert_eq!(compound["decided"], "2800");
    let page = finance
        .get("/budget-adjustment/wolong-budget-self-2025/2025?published=1")
        .await
        .text();
    assert!(
        page.contains("adj-published") && page.contains("剩余1个小区结转实施"),
        "{page}"
    );
    // A street's people read only their own lines (none here); the audit log has it.
    let street = app.user("qly_reporter").await;
    let theirs = street
        .ok_get("/api/v1/budget-adjustment/wolong-budget-self-2025/2025/published")
        .await;
    assert!(
        theirs["table"]["lines"]
            .as_array()
            .expect("lines")
            .is_empty(),
        "{theirs}"
    );
    assert_eq!(theirs["table"]["decided_total"], "0");
}
scenario!(imports_and_the_published_adjustment);
