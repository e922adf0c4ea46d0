//! Roll-up between levels (区-街-村) on the server: a village's counted value moves its
//! sub-district's score at once, the indicator explains itself village by village, and the live
//! result equals the one scored afresh for publication.

use crate::{App, Db, scenario, total_of};
use serde_json::Value;

fn indicator<'a>(card: &'a Value, code: &str) -> &'a Value {
    card["row"]["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("{code}"))
}

async fn a_village_moves_its_street(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let street = "/api/v1/results/wolong-2025/2025/units/WLG";
    let before = office.ok_get(street).await;
    let village_before = office
        .ok_get("/api/v1/results/wolong-2025/2025/units/WLG-C04")
        .await;
    let score_before = indicator(&before, "villages")["score"].clone();
    // The villages' mean is explained village by village, WLG-C04 among them.
    let inputs = &indicator(&before, "villages")["explanation"]["inputs"][0];
    assert_eq!(inputs["source"]["kind"], "rolled_up", "{inputs}");
    let kids = inputs["source"]["children"].as_array().expect("children");
    assert!(kids.iter().any(|k| k["unit"] == "WLG-C04"), "{inputs}");

    // The one value the demo leaves for the office: WLG-C04's 2025Q3 survey score.
    crate::count_the_last_survey_score(&office).await;

    let village_after = office
        .ok_get("/api/v1/results/wolong-2025/2025/units/WLG-C04")
        .await;
    assert_ne!(
        village_after["row"]["total"],
        village_before["row"]["total"]
    );
    let after = office.ok_get(street).await;
    let score_after = indicator(&after, "villages")["score"].clone();
    assert_ne!(score_after, score_before, "the street's roll-up moved");
    assert_ne!(after["row"]["total"], before["row"]["total"]);
    let kid = indicator(&after, "villages")["explanation"]["inputs"][0]["source"]["children"]
        .as_array()
        .expect("children")
        .iter()
        .find(|k| k["unit"] == "WLG-C04")
        .cloned()
        .expect("WLG-C04");
    assert_eq!(kid["total"], village_after["row"]["total"]);
    // The ranking says the same.
    let ranking = office
        .ok_get("/api/v1/results/wolong-2025/2025?class=street")
        .await;
    assert_eq!(
        total_of(&ranking, "WLG"),
        after["row"]["total"].as_str().map(str::to_owned)
    );
    // Scored afresh from the counted values (publication), the street's total is the same as
    // the one kept up to date value by value.
    let p = office
        .ok_post(
            "/api/v1/publications",
            serde_json::json!({ "scheme": "wolong-2025", "period": "2025", "reason": "核对" }),
            201,
        )
        .await;
    assert_eq!(
        total_of(&p["results"], "WLG"),
        after["row"]["total"].as_str().map(str::to_owned)
    );
    // A roll-up cannot be reported.
    let r = office
        .put(
            "/api/v1/values/WLG/village_mean_total/2025",
            serde_json::json!({ "value": "99" }),
        )
        .await;
    assert_eq!(r.status_code(), 400, "{}", r.text());
    assert!(r.text().contains("rolled_up"), "{}", r.text());
}
scenario!(a_village_moves_its_street);
