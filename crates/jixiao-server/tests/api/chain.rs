//! 五链 of an indicator: who answers for it (lead and cooperating with their shares), each
//! unit's numbers and states, the warnings raised on them, the scores; readable by the
//! district's readers and the departments that answer for it, not by a unit.

use crate::{App, Db, scenario};
use serde_json::Value;

async fn an_indicator_shows_who_answers_for_it(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let path = "/api/v1/chain/wolong-2025/2025Q4/mediation";
    let c = office.ok_get(path).await;
    assert_eq!(c["name"]["zh"], "行政调解成功率", "{c}");
    let resp = c["responsible"].as_array().expect("responsible");
    assert_eq!(resp.len(), 2, "{c}");
    assert_eq!(
        (resp[0]["unit"].as_str(), resp[0]["role"].as_str()),
        (Some("SFJ"), Some("lead"))
    );
    assert_eq!(resp[0]["share"], "70");
    assert_eq!(
        (resp[1]["unit"].as_str(), resp[1]["role"].as_str()),
        (Some("MZJ"), Some("cooperating"))
    );
    assert_eq!(resp[1]["share"], "30");
    let street = c["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .find(|k| k["code"] == "street")
        .expect("street");
    let rows = street["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 8);
    let qly = rows.iter().find(|r| r["unit"] == "QLY").expect("QLY");
    let numbers: Vec<&str> = qly["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .map(|n| n["element"].as_str().expect("element"))
        .collect();
    // What the rate is computed from, in the order of its formula (agreements ÷ cases).
    assert_eq!(numbers, ["mediation_agreements", "mediation_cases"]);
    // The scores agree with the unit's own results.
    let card = office
        .ok_get("/api/v1/results/wolong-2025/2025Q4/units/QLY?kind=provisional")
        .await;
    let own = card["row"]["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["code"] == "mediation")
        .expect("mediation")
        .clone();
    assert_eq!(qly["score"], own["score"]);
    // Every open warning on the mediation rate appears with its unit.
    let open: Vec<Value> = office
        .ok_get("/api/v1/warnings?item=mediation_rate&period=2025Q4&state=active")
        .await
        .as_array()
        .expect("warnings")
        .clone();
    for w in &open {
        let unit = w["warning"]["unit_code"].as_str().expect("unit");
        let Some(row) = rows.iter().find(|r| r["unit"] == unit) else {
            continue;
        };
        assert!(
            row["warnings"]
                .as_array()
                .expect("warnings")
                .iter()
                .any(|x| x["id"] == w["warning"]["id"]),
            "{unit}: {row}"
        );
    }
    // The lead department reads it; a unit does not; an unknown indicator is not found.
    let sfj = app.user("sfj_reviewer").await;
    sfj.ok_get(path).await;
    let qly_reporter = app.user("qly_reporter").await;
    assert_eq!(qly_reporter.get(path).await.status_code(), 403);
    assert_eq!(
        office
            .get("/api/v1/chain/wolong-2025/2025Q4/nope")
            .await
            .status_code(),
        404
    );
    // The page, and the scheme page links to it with the cooperating department beside the lead.
    let page = office
        .get("/chain/wolong-2025/2025Q4/mediation")
        .await
        .text();
    assert!(
        page.contains("id=\"chain-responsible\"") && page.contains("配合"),
        "{page}"
    );
    let scheme = office.get("/schemes/wolong-2025").await.text();
    assert!(
        scheme.contains("/mediation\" class=\"chain-link\""),
        "{scheme}"
    );
    assert!(scheme.contains("配合：区民政局"), "{scheme}");
}
scenario!(an_indicator_shows_who_answers_for_it);
