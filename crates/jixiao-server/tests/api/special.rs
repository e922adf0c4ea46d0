//! The special assessments of P12 beside the annual one: the new R&D institutions (first-class
//! assessed objects of level institution, six categories, the grade deciding the next tranche of
//! funds) and the rule-of-law business environment in the B-READY style (three pillars of equal
//! weight, each averaging its topics, expressed exactly with `share = "equal"`).

use crate::{App, Db, scenario};
use rust_decimal::Decimal;
use serde_json::Value;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn rows(ranking: &Value) -> Vec<Value> {
    ranking["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .flat_map(|c| c["rows"].as_array().expect("rows").clone())
        .collect()
}

fn outcome(row: &Value, code: &str) -> Value {
    row["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["code"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("{code} in {row}"))
}

/// Each institution's grade yields its funding decision: 优秀 the full tranche and a 20 %
/// reward (1.2), 良好 the full tranche, 合格 70 %, 不合格 stopped and reviewed.
async fn the_grade_decides_the_next_tranche(db: Db) {
    let app = App::spawn(db).await;
    let finance = app.user("finance").await;
    let unit = finance.ok_get("/api/v1/units/RD01").await;
    assert_eq!(unit["unit"]["level"], "institution", "{unit}");
    let ranking = finance
        .ok_get("/api/v1/results/wolong-rd-2025/2025?kind=provisional")
        .await;
    let all = rows(&ranking);
    assert_eq!(all.len(), 4);
    let mut seen = Vec::new();
    for row in &all {
        let grade = row["grade"]["code"].as_str().expect("graded").to_owned();
        let (share, words, review) = match grade.as_str() {
            "excellent" => ("1.2", "足额拨付下一期资金，并按20%给予奖励", false),
            "good" => ("1.0", "足额拨付下一期资金", false),
            "pass" => ("0.7", "按70%拨付下一期资金，限期整改", false),
            _ => ("0", "暂停拨付，组织专家复核", true),
        };
        assert_eq!(outcome(row, "tranche")["value"], share, "{row}");
        assert_eq!(outcome(row, "decision")["value"]["zh"], words, "{row}");
        assert_eq!(outcome(row, "review")["value"], review, "{row}");
        assert_eq!(
            outcome(row, "tranche")["basis"]["zh"],
            "卧科〔2025〕12号 新型研发机构绩效评价及资金拨付办法 第九条"
        );
        seen.push((row["unit"].as_str().expect("unit").to_owned(), grade));
    }
    // The demo's four institutions span the four grades.
    seen.sort();
    assert_eq!(
        seen,
        [
            ("RD01".to_owned(), "excellent".to_owned()),
            ("RD02".to_owned(), "good".to_owned()),
            ("RD03".to_owned(), "pass".to_owned()),
            ("RD04".to_owned(), "fail".to_owned()),
        ]
    );
    // Six categories: 15 + 20 + 20 + 20 + 15 + 10.
    let heads: Vec<String> = ranking["classes"][0]["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| m["points"].as_str().expect("points").to_owned())
        .collect();
    assert_eq!(heads, ["15", "20", "20", "20", "15", "10"]);
    // The yearly decision table: the results applied, as a workbook too.
    let table = finance
        .get("/applied/wolong-rd-2025/2025?kind=provisional")
        .await;
    assert_eq!(table.status_code(), 200);
    assert!(table.text().contains("暂停拨付，组织专家复核"));
}
scenario!(the_grade_decides_the_next_tranche);

/// B-READY: three pillars of equal weight, each two topics of equal weight — 100 ÷ 3 per pillar
/// and 100 ÷ 6 per topic, adding up to exactly 100; 七里园街道 resolved 399 disputes in 2025
/// against 285 in 2024, (399 − 285) ÷ 285 = 40 % = the target, full marks for that topic.
async fn pillars_average_their_topics(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let ranking = office
        .ok_get("/api/v1/results/wolong-bready-2025/2025?kind=provisional")
        .await;
    let pillars: Vec<Decimal> = ranking["classes"][0]["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| d(m["points"].as_str().expect("points")))
        .collect();
    assert_eq!(pillars.len(), 3);
    assert_eq!(pillars.iter().copied().sum::<Decimal>(), d("100"));
    assert_eq!(pillars[0], d("100") / d("3"));
    assert_eq!(rows(&ranking).len(), 8, "the eight sub-districts and towns");

    let card = office
        .ok_get("/api/v1/results/wolong-bready-2025/2025/units/QLY?kind=provisional")
        .await;
    let inds = card["row"]["indicators"].as_array().expect("indicators");
    let points: Decimal = inds
        .iter()
        .map(|i| d(i["points"].as_str().expect("p")))
        .sum();
    assert_eq!(points, d("100"), "six topics add up to exactly 100");
    let topic = |code: &str| {
        inds.iter()
            .find(|i| i["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("{code}"))
    };
    let growth = topic("disputes_growth");
    assert_eq!(growth["score"], growth["points"], "{growth}");
    // The pillar's 100 ÷ 3 points, shared by its two topics exactly (the last takes the
    // remainder of the division).
    let mediation = topic("mediation");
    assert_eq!(
        d(growth["points"].as_str().expect("points"))
            + d(mediation["points"].as_str().expect("points")),
        d("100") / d("3")
    );
    assert_eq!(
        d(mediation["points"].as_str().expect("points")),
        d("100") / d("3") / d("2")
    );
    let text = growth["explanation"].to_string();
    assert!(text.contains("399") && text.contains("285"), "{text}");
    // Each pillar's score is the sum of its topics; the total the sum of the pillars.
    let modules: Vec<Decimal> = card["row"]["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| d(m.as_str().expect("score")))
        .collect();
    let topics: Decimal = inds
        .iter()
        .map(|i| d(i["score"].as_str().expect("s")))
        .sum();
    assert_eq!(modules.iter().copied().sum::<Decimal>(), topics);
    assert_eq!(d(card["row"]["total"].as_str().expect("total")), topics);
}
scenario!(pillars_average_their_topics);
