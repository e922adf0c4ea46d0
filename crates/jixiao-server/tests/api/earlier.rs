//! Earlier results (往期结果) across years: the office's records of the years before jixiao and
//! every publication's grades are what rules on consecutive results read (集体记功 for 优秀 three
//! years running in the demo); a change of them moves the live outcome, not a publication's.

use crate::{App, Db, scenario};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn rows_of(ranking: &Value) -> Vec<&Value> {
    ranking["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .flat_map(|c| c["rows"].as_array().expect("rows"))
        .collect()
}

fn outcome<'a>(row: &'a Value, code: &str) -> Option<&'a Value> {
    row["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["code"] == code)
}

/// Unit → grade code of one earlier period.
fn grades(earlier: &Value, period: &str) -> BTreeMap<String, String> {
    earlier["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .filter(|p| p["period"] == period)
        .flat_map(|p| p["rows"].as_array().expect("rows"))
        .filter_map(|r| {
            Some((
                r["unit_code"].as_str()?.to_owned(),
                r["grade"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

async fn consecutive_years_read_the_earlier_results(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let earlier = office.ok_get("/api/v1/earlier/wolong-2025").await;
    assert_eq!(earlier["series"], "wolong");
    // 集体记功 reads three years: this one and the two before.
    assert_eq!(earlier["depth"], 2);
    let periods: Vec<&str> = earlier["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| p["period"].as_str().expect("period"))
        .collect();
    assert_eq!(periods, ["2024", "2023"]);
    assert_eq!(earlier["periods"][0]["source"], "recorded");
    assert_eq!(earlier["names"]["SWJ"]["zh"], "区商务局");
    let (y2024, y2023) = (grades(&earlier, "2024"), grades(&earlier, "2023"));

    // Every unit's 集体记功 follows its three grades, and the reason names the years.
    let ranking = office
        .ok_get("/api/v1/results/wolong-2025/2025?kind=provisional")
        .await;
    let mut merited = Vec::new();
    for row in rows_of(&ranking) {
        let u = row["unit"].as_str().expect("unit");
        let merit = outcome(row, "merit").expect("merit on the year");
        let Some(grade) = row["grade"]["code"].as_str() else {
            continue;
        };
        let expected = row["veto"].is_null()
            && grade == "excellent"
            && y2024.get(u).map(String::as_str) == Some("excellent")
            && y2023.get(u).map(String::as_str) == Some("excellent");
        assert_eq!(merit["value"], expected, "{u}: {merit}");
        if expected {
            merited.push(u.to_owned());
            let why = merit["reason"]["zh"].as_str().expect("reason");
            assert!(
                why.contains("优秀（本期）")
                    && why.contains("优秀（2024年度）")
                    && why.contains("优秀（2023年度）"),
                "{why}"
            );
        }
    }
    assert!(merited.contains(&"SWJ".to_owned()), "{merited:?}");
    // A quarter has no annual outcome.
    let q = office
        .ok_get("/api/v1/results/wolong-2025/2025Q2?kind=provisional")
        .await;
    assert!(rows_of(&q).iter().all(|r| outcome(r, "merit").is_none()));

    // Bad records are refused with every problem and its place; nothing changes.
    let r = office
        .put(
            "/api/v1/earlier/wolong-2025",
            json!({ "period": "2025", "reason": "更正", "rows": [
                { "unit": "NOPE", "grade": "excellent" },
                { "unit": "SWJ", "grade": "超级" },
                { "unit": "SWJ", "grade": "good", "total": "九十" }
            ] }),
        )
        .await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    let body: Value = r.json();
    let text = body.to_string();
    for expected in [
        "rows[0].unit",
        "rows[1].grade",
        "rows[2].unit",
        "rows[2].total",
        "\"period\"",
        "不在方案年度 2025 之前",
        "不是本方案的等次",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert_eq!(office.ok_get("/api/v1/earlier/wolong-2025").await, earlier);
    let r = office
        .put(
            "/api/v1/earlier/wolong-2025",
            json!({ "period": "2023", "reason": "", "rows": [{ "unit": "SWJ", "grade": "good" }] }),
        )
        .await;
    assert_eq!(r.status_code(), 400);
    // A period typed with spaces or in lower case is stored as it prints, so the rules read it.
    let spaced = office
        .ok_put(
            "/api/v1/earlier/wolong-2025",
            json!({ "period": " 2021 ", "reason": "原台账", "rows": [{ "unit": "SWJ", "grade": "good" }] }),
        )
        .await;
    assert_eq!(grades(&spaced, "2021")["SWJ"], "good");

    // The office corrects 2023: 区商务局 was 良好 — the live outcome follows at once.
    let mut rows: Vec<Value> = y2023
        .iter()
        .map(|(u, g)| json!({ "unit": u, "grade": if u == "SWJ" { "良好" } else { g.as_str() } }))
        .collect();
    rows.sort_by_key(|r| r["unit"].as_str().map(str::to_owned));
    let after = office
        .ok_put(
            "/api/v1/earlier/wolong-2025",
            json!({ "period": "2023", "reason": "核对原台账更正", "rows": rows }),
        )
        .await;
    assert_eq!(grades(&after, "2023")["SWJ"], "good");
    let ranking = office
        .ok_get("/api/v1/results/wolong-2025/2025?kind=provisional")
        .await;
    let swj = rows_of(&ranking)
        .into_iter()
        .find(|r| r["unit"] == "SWJ")
        .expect("SWJ");
    let merit = outcome(swj, "merit").expect("merit");
    assert_eq!(merit["value"], false, "{merit}");
    assert!(
        merit["reason"]["zh"]
            .as_str()
            .expect("reason")
            .contains("良好（2023年度）"),
        "{merit}"
    );
    // Audited with before and after.
    let audit = office
        .ok_get("/api/v1/audit?entity=earlier&entity_id=wolong/2023")
        .await;
    let entry = &audit["items"][0];
    assert_eq!(entry["action"], "earlier.record", "{audit}");
    assert!(
        entry["before"]
            .as_str()
            .expect("before")
            .contains("\"SWJ\":\"excellent\"")
    );
    assert!(
        entry["after"]
            .as_str()
            .expect("after")
            .contains("\"SWJ\":\"good\"")
    );
}
scenario!(consecutive_years_read_the_earlier_results);

async fn a_publication_records_its_grades_and_freezes_what_it_read(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    crate::count_the_last_survey_score(&office).await;
    let published = office
        .ok_post(
            "/api/v1/publications",
            json!({ "scheme": "wolong-2025", "period": "2025", "reason": "年度公示" }),
            201,
        )
        .await;
    let id = published["id"].as_i64().expect("id");
    let earlier = office.ok_get("/api/v1/earlier/wolong-2025").await;
    let latest = &earlier["periods"][0];
    assert_eq!(latest["period"], "2025");
    assert_eq!(latest["source"], "publication");
    assert_eq!(latest["publication_id"], id);
    // The grades recorded are the published ones.
    let view = office.ok_get(&format!("/api/v1/publications/{id}")).await;
    let recorded = grades(&earlier, "2025");
    for row in rows_of(&view["results"]) {
        let u = row["unit"].as_str().expect("unit");
        assert_eq!(
            recorded.get(u).map(String::as_str),
            row["grade"]["code"].as_str(),
            "{u}"
        );
    }
    // A published period is the record: not replaced by hand.
    let r = office
        .put(
            "/api/v1/earlier/wolong-2025",
            json!({ "period": "2025", "reason": "x", "rows": [{ "unit": "SWJ", "grade": "good" }] }),
        )
        .await;
    assert_eq!(r.status_code(), 422, "{}", r.text());

    // What the publication read of 2023 and 2024 is frozen with it: a later correction moves
    // the live outcome, and re-scoring the publication still repeats it exactly.
    let frozen_merit = rows_of(&view["results"])
        .into_iter()
        .find(|r| r["unit"] == "SWJ")
        .and_then(|r| outcome(r, "merit").cloned())
        .expect("SWJ merit");
    assert_eq!(frozen_merit["value"], true, "{frozen_merit}");
    office
        .ok_put(
            "/api/v1/earlier/wolong-2025",
            json!({ "period": "2024", "reason": "更正", "rows": [{ "unit": "SWJ", "grade": "pass" }] }),
        )
        .await;
    let live = office.ok_get("/api/v1/results/wolong-2025/2025").await;
    let swj = rows_of(&live)
        .into_iter()
        .find(|r| r["unit"] == "SWJ")
        .expect("SWJ");
    assert_eq!(outcome(swj, "merit").expect("merit")["value"], false);
    let again = office
        .ok_post(
            &format!("/api/v1/publications/{id}/rescore"),
            json!({}),
            200,
        )
        .await;
    assert_eq!(again["identical"], true, "{again}");
}
scenario!(a_publication_records_its_grades_and_freezes_what_it_read);

async fn the_office_uploads_a_year_from_its_tables(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let page = office.get("/earlier/wolong-2025").await.text();
    assert!(
        page.contains("往期结果") && page.contains("区商务局"),
        "{page}"
    );
    let template = office.get("/earlier/wolong-2025?format=xlsx").await;
    assert_eq!(template.status_code(), 200);
    let upload = |csv: &'static str| {
        axum_test::multipart::MultipartForm::new()
            .add_text("period", "2022")
            .add_text("reason", "原台账录入")
            .add_part(
                "file",
                axum_test::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("2022.csv"),
            )
    };
    let csrf = office.csrf.clone().unwrap_or_default();
    let path = format!("/earlier/wolong-2025?csrf={csrf}");
    // A bad grade in row 3, column C: shown with its place, nothing recorded.
    let bad = office
        .server
        .post(&path)
        .multipart(upload("单位代码,单位名称,等次,总分,名次\nSWJ,区商务局,优秀,93.5,1\nFGW,区发展和改革委员会,甲等,88,2\n"))
        .await
        .text();
    assert!(bad.contains("earlier-problems"), "{bad}");
    assert!(
        bad.contains("2022.csv") && bad.contains("第3行") && bad.contains("甲等"),
        "{bad}"
    );
    let e = office.ok_get("/api/v1/earlier/wolong-2025").await;
    assert!(grades(&e, "2022").is_empty());
    let good = office
        .server
        .post(&path)
        .multipart(upload("单位代码,单位名称,等次,总分,名次\nSWJ,区商务局,优秀,93.5,1\nFGW,区发展和改革委员会,良好,88,2\n"))
        .await
        .text();
    assert!(good.contains("earlier-done"), "{good}");
    let e = office.ok_get("/api/v1/earlier/wolong-2025").await;
    let y2022 = grades(&e, "2022");
    assert_eq!(y2022["SWJ"], "excellent");
    assert_eq!(y2022["FGW"], "good");
    let swj = e["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .find(|p| p["period"] == "2022")
        .and_then(|p| p["rows"].as_array())
        .and_then(|r| r.iter().find(|r| r["unit_code"] == "SWJ"))
        .expect("SWJ 2022");
    assert_eq!(swj["total"], "93.5");
    assert_eq!(swj["rank"], 1);
}
scenario!(the_office_uploads_a_year_from_its_tables);
