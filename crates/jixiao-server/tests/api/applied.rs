//! Results applied (结果运用) in the demo district: every unit of the ranking carries its
//! outcomes with the rule that decided each, they follow the grade as it moves, and the report
//! card shows them with the document that sets them.

use crate::{App, Db, scenario};
use calamine::{Reader, Xlsx};
use serde_json::{Value, json};

fn outcome<'a>(row: &'a Value, code: &str) -> &'a Value {
    row["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["code"] == code)
        .unwrap_or_else(|| panic!("{code} in {row}"))
}

async fn every_unit_has_its_outcomes(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let ranking = office
        .ok_get("/api/v1/results/wolong-2025/2025?kind=provisional")
        .await;
    let mut seen = std::collections::BTreeSet::new();
    for class in ranking["classes"].as_array().expect("classes") {
        for row in class["rows"].as_array().expect("rows") {
            let vetoed = !row["veto"].is_null();
            let grade = row["grade"]["code"].as_str();
            let bonus = outcome(row, "bonus");
            let honours = outcome(row, "honours");
            let Some(grade) = grade else {
                // Not decided yet: no outcome.
                assert!(bonus["value"].is_null(), "{row}");
                continue;
            };
            seen.insert(grade.to_owned());
            let expected = match (vetoed, grade) {
                (true, _) => "0",
                (_, "excellent") => "1.2",
                (_, "good") => "1.0",
                (_, "pass") => "0.8",
                _ => "0",
            };
            assert_eq!(bonus["value"], expected, "{row}");
            assert_eq!(bonus["purpose"], "bonus");
            assert_eq!(bonus["basis"]["zh"], "卧办〔2025〕8号 绩效考核结果运用办法");
            assert!(
                bonus["reason"]["zh"]
                    .as_str()
                    .expect("reason")
                    .contains("→"),
                "{bonus}"
            );
            assert_eq!(
                honours["value"],
                !vetoed && (grade == "excellent" || grade == "good"),
                "{row}"
            );
            let leaders = &outcome(row, "leaders")["value"]["zh"];
            assert!(["好", "较好", "一般"].contains(&leaders.as_str().expect("words")));
        }
    }
    // The demo has more than one grade, so the rules are told apart.
    assert!(seen.len() >= 2, "{seen:?}");

    // A unit's results and report card carry the same, with the reason in words.
    let qly = office
        .ok_get("/api/v1/results/wolong-2025/2025/units/QLY?kind=provisional")
        .await;
    let row = &qly["row"];
    let bonus = outcome(row, "bonus");
    let in_ranking = ranking["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .flat_map(|c| c["rows"].as_array().expect("rows"))
        .find(|r| r["unit"] == "QLY")
        .expect("QLY");
    assert_eq!(bonus, outcome(in_ranking, "bonus"));
    let card = office
        .get("/report/wolong-2025/2025/QLY?kind=provisional")
        .await
        .text();
    assert!(card.contains("id=\"card-outcomes\""), "{card}");
    assert!(card.contains("绩效奖金系数"));
    assert!(card.contains("文件依据：卧办〔2025〕8号 绩效考核结果运用办法"));
    assert!(
        card.contains(
            bonus["reason"]["zh"]
                .as_str()
                .expect("reason")
                .rsplit('；')
                .next()
                .expect("last step")
        )
    );
}
scenario!(every_unit_has_its_outcomes);

fn rows_of(report: &Value) -> Vec<Value> {
    report["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .flat_map(|c| c["rows"].as_array().expect("rows").clone())
        .collect()
}

/// Publication freezes the outcomes; the public sees them only when the office chooses so;
/// the 结果运用 report reads them back as published, as a page and a workbook.
async fn published_outcomes_are_frozen_and_shown_by_choice(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let public = app.client();
    crate::count_the_last_survey_score(&office).await;
    let live = office.ok_get("/api/v1/applied/wolong-2025/2025").await;
    assert_eq!(live["source"]["kind"], "official");
    let first = office
        .ok_post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025", "reason": "年度公示" }),
            201,
        )
        .await;
    assert_eq!(first["applied_public"], false);
    let id = first["id"].as_i64().expect("id");
    // Frozen in the publication: the office reads them; the public does not.
    let inside = office.ok_get(&format!("/api/v1/publications/{id}")).await;
    assert!(
        rows_of(&inside["results"])
            .iter()
            .all(|r| r["outcomes"].as_array().is_some_and(|o| o.len() == 5)),
        "{inside}"
    );
    let outside = public.ok_get(&format!("/api/v1/publications/{id}")).await;
    assert!(
        rows_of(&outside["results"])
            .iter()
            .all(|r| r.get("outcomes").is_none())
    );
    let page = public.get(&format!("/public/{id}")).await.text();
    assert!(!page.contains("绩效奖金系数"), "{page}");

    // The report from the publication: the same outcomes as the live official ones (nothing
    // changed in between), with where they come from.
    let frozen = office
        .ok_get(&format!(
            "/api/v1/applied/wolong-2025/2025?publication={id}"
        ))
        .await;
    assert_eq!(frozen["source"]["kind"], "published");
    assert_eq!(frozen["source"]["revision"], 1);
    assert_eq!(frozen["classes"], live["classes"]);
    assert_eq!(frozen["summary"], live["summary"]);
    let bonus = frozen["summary"]
        .as_array()
        .expect("summary")
        .iter()
        .find(|s| s["code"] == "bonus")
        .expect("bonus");
    let counted: u64 = bonus["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .map(|c| c[1].as_u64().expect("n"))
        .sum();
    assert_eq!(counted as usize, rows_of(&frozen).len());
    // Another scheme's period or an unknown publication is not found.
    let r = office
        .get("/api/v1/applied/wolong-2025/2025Q4?publication=999999")
        .await;
    assert_eq!(r.status_code(), 404);

    // Published again for the public to see: a new revision, the same results.
    let second = office
        .ok_post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025", "reason": "公布结果运用", "applied_public": true }),
            201,
        )
        .await;
    assert_eq!(second["revision"], 2);
    assert_eq!(second["results_hash"], first["results_hash"]);
    let id2 = second["id"].as_i64().expect("id");
    let page = public.get(&format!("/public/{id2}")).await.text();
    assert!(
        page.contains("绩效奖金系数") && page.contains("评优评先资格"),
        "{page}"
    );
    let outside = public.ok_get(&format!("/api/v1/publications/{id2}")).await;
    assert!(
        rows_of(&outside["results"])
            .iter()
            .all(|r| r["outcomes"].is_array())
    );
    let r = office
        .ok_post(
            &format!("/api/v1/publications/{id2}/rescore"),
            json!({}),
            200,
        )
        .await;
    assert_eq!(r["identical"], true, "{r}");

    // The workbook: every unit with each outcome and its reason, and the summary.
    let r = office
        .get(&format!(
            "/applied/wolong-2025/2025?publication={id2}&format=xlsx"
        ))
        .await;
    assert_eq!(r.status_code(), 200);
    let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(r.as_bytes().to_vec())).expect("xlsx");
    let sheet = x.worksheet_range("结果运用").expect("sheet");
    let head: Vec<String> = (0..sheet.width())
        .map(|c| {
            sheet
                .get_value((0, c as u32))
                .map(|v| v.to_string())
                .unwrap_or_default()
        })
        .collect();
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {head:?}"))
    };
    let (code, bonus_col, reason_col) = (
        col("单位代码"),
        col("绩效奖金系数"),
        col("绩效奖金系数·理由"),
    );
    let qly = (1..sheet.height())
        .find(|&r| {
            sheet
                .get_value((r as u32, code as u32))
                .map(|v| v.to_string())
                == Some("QLY".into())
        })
        .expect("QLY row");
    let in_report = rows_of(&frozen)
        .into_iter()
        .find(|r| r["unit"] == "QLY")
        .expect("QLY");
    let o = in_report["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["code"] == "bonus")
        .expect("bonus")
        .clone();
    assert_eq!(
        sheet
            .get_value((qly as u32, bonus_col as u32))
            .map(|v| v.to_string()),
        Some(o["shown"]["zh"].as_str().expect("shown").to_owned())
    );
    assert_eq!(
        sheet
            .get_value((qly as u32, reason_col as u32))
            .map(|v| v.to_string()),
        Some(o["reason"]["zh"].as_str().expect("reason").to_owned())
    );
    assert!(x.worksheet_range("汇总").is_ok());
    // The page shows the same, and offers the files.
    let page = office
        .get(&format!("/applied/wolong-2025/2025?publication={id2}"))
        .await
        .text();
    assert!(
        page.contains("id=\"applied-pdf\"") && page.contains("第 2 版"),
        "{page}"
    );
}
scenario!(published_outcomes_are_frozen_and_shown_by_choice);

/// What-if on the rules: "if 良好 became 0.9, who gets what" — exactly the units graded 良好
/// (and not vetoed) change, from 1.0 to 0.9; nothing is stored.
async fn what_if_good_became_0_9(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let w = office
        .ok_post(
            "/api/v1/results/wolong-2025/2025/whatif",
            json!({ "outcome": ["bonus/good=0.9"] }),
            200,
        )
        .await;
    let changed = w["outcomes"].as_array().expect("outcomes");
    let ranking = office.ok_get("/api/v1/results/wolong-2025/2025").await;
    let good: Vec<String> = rows_of(&ranking)
        .iter()
        .filter(|r| r["grade"]["code"] == "good" && r["veto"].is_null())
        .map(|r| r["unit"].as_str().expect("unit").to_owned())
        .collect();
    assert!(!good.is_empty());
    let mut units: Vec<String> = changed
        .iter()
        .map(|o| o["unit"].as_str().expect("unit").to_owned())
        .collect();
    units.sort();
    let mut expected = good.clone();
    expected.sort();
    assert_eq!(units, expected);
    for o in changed {
        assert_eq!(
            (o["before"].as_str(), o["after"].as_str()),
            (Some("1.0"), Some("0.9")),
            "{o}"
        );
        assert!(
            o["reason"]["zh"]
                .as_str()
                .expect("reason")
                .contains("→ 0.9"),
            "{o}"
        );
    }
    // Nothing stored: the live outcome is still 1.0.
    let after = office.ok_get("/api/v1/results/wolong-2025/2025").await;
    let row = rows_of(&after)
        .into_iter()
        .find(|r| r["unit"] == good[0].as_str())
        .expect("unit");
    assert_eq!(outcome(&row, "bonus")["value"], "1.0");
    // A rule that does not exist is refused by name.
    let r = office
        .post(
            "/api/v1/results/wolong-2025/2025/whatif",
            json!({ "outcome": ["bonus/superb=0.9"] }),
        )
        .await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    assert!(r.text().contains("superb"), "{}", r.text());
}
scenario!(what_if_good_became_0_9);
