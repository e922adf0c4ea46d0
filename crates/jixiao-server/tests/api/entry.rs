//! The entry form for the people who fill it: what is left to fill comes first and the rest is
//! folded away; the checks between numbers answer as one types (the same checks a save makes);
//! numbers typed with a Chinese input method are read; a submit that leaves fields empty says
//! which, with links.

use crate::{App, Db, scenario};
use serde_json::Value;

async fn the_form_helps_the_clerk(db: Db) {
    let app = App::spawn(db).await;
    let reporter = app.user("qly_reporter").await;

    // As typed: 50 agreements of 40 cases disagree, in full-width digits too.
    for (cases, agreements) in [("40", "50"), ("４０", "５０")] {
        let r = reporter
            .get(&format!(
                "/entry/QLY/2025Q4/checks?mediation_cases={}&mediation_agreements={}",
                jixiao_server::http::urlencode(cases),
                jixiao_server::http::urlencode(agreements)
            ))
            .await;
        assert_eq!(r.status_code(), 200, "{}", r.text());
        let problems = &r.json::<Value>()["problems"];
        let all: String = problems
            .as_object()
            .expect("problems")
            .values()
            .filter_map(Value::as_str)
            .collect();
        assert!(all.contains("数据之间不一致"), "{problems}");
        // By names, not codes.
        assert!(
            all.contains("达成调解协议件数 ≤ 行政调解受理件数") && !all.contains("mediation_"),
            "{problems}"
        );
    }
    let fine = reporter
        .get("/entry/QLY/2025Q4/checks?mediation_cases=40&mediation_agreements=30")
        .await
        .json::<Value>();
    assert_eq!(fine["problems"], serde_json::json!({}), "{fine}");
    // Another unit's form is not the reporter's to check.
    let other = reporter
        .get("/entry/MXI/2025Q4/checks?mediation_cases=40")
        .await;
    assert_eq!(other.status_code(), 403);

    // Full-width digits are numbers. Submitted with the agreements left empty: the message
    // says so and links to the field; what was submitted is folded away below what is left
    // (an indicator folds when nothing of it is left to fill).
    let saved = reporter
        .post_form(
            "/entry/QLY/2025Q4",
            &[
                ("v:mediation_cases", "４０"),
                ("n:mediation_cases", ""),
                ("v:mediation_agreements", ""),
                ("n:mediation_agreements", ""),
                ("action", "submit"),
            ],
        )
        .await;
    assert_eq!(saved.status_code(), 303, "{}", saved.text());
    assert_eq!(
        app.stored(&["QLY", "mediation_cases", "2025Q4"])
            .await
            .map(|v| v.0),
        Some("40".to_owned())
    );
    let page = reporter.get("/entry/QLY/2025Q4?saved=submit").await.text();
    let message = page
        .split("id=\"entry-message\"")
        .nth(1)
        .expect("a message")
        .split("</div>")
        .next()
        .unwrap_or_default();
    assert!(message.contains("仍有 3 项未填写"), "{message}");
    assert!(
        message.contains("href=\"#v-mediation_agreements\""),
        "{message}"
    );
    // Event counts (no record means none) are not missing.
    assert!(!message.contains("#v-summons"), "{message}");
    let (open, folded) = page.split_once("id=\"entry-done\"").expect("a folded part");
    assert!(
        open.contains("id=\"v-mediation_agreements\""),
        "to fill: open"
    );
    assert!(
        !open.contains("id=\"v-certified_officers\""),
        "counted: folded"
    );
    assert!(
        folded.contains("id=\"v-certified_officers\""),
        "counted: folded"
    );

    // The ideographic full stop is a decimal point; with everything filled the message is
    // plain success.
    let saved = reporter
        .post_form(
            "/entry/QLY/2025Q4",
            &[
                ("v:mediation_agreements", "３０。０"),
                ("n:mediation_agreements", ""),
                ("v:lit_concluded", "12"),
                ("n:lit_concluded", ""),
                ("v:lit_lost", "1"),
                ("n:lit_lost", ""),
                ("action", "submit"),
            ],
        )
        .await;
    assert_eq!(saved.status_code(), 303, "{}", saved.text());
    assert_eq!(
        app.stored(&["QLY", "mediation_agreements", "2025Q4"])
            .await
            .and_then(|v| v.0.parse::<f64>().ok()),
        Some(30.0)
    );
    let page = reporter.get("/entry/QLY/2025Q4?saved=submit").await.text();
    assert!(page.contains("<p class=\"notice\" role=\"status\" id=\"entry-message\">"));
    assert!(!page.contains("未填写"));
}
scenario!(the_form_helps_the_clerk);
