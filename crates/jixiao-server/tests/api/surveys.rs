//! Citizen satisfaction surveys: both channels de-duplicated (a code answers once, a device once,
//! a network within its daily limit), the minimum sample (below it no value; the answer that
//! reaches it writes the exact mean), anonymity (no identifying column; keys only as salted
//! hashes), who may do what.

use crate::{App, Db, scenario};
use serde_json::{Value, json};

const ALL_BEST: &str = r#"{"service": 1, "environment": 1, "safety": 1}"#;

fn best() -> Value {
    serde_json::from_str(ALL_BEST).expect("json")
}

async fn columns(app: &App, db: Db, table: &str) -> Vec<String> {
    let sql = match db {
        Db::Sqlite => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY name"),
        Db::Postgres => format!(
            "SELECT CAST(column_name AS TEXT) AS name FROM information_schema.columns WHERE table_name = '{table}' ORDER BY column_name"
        ),
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&app.state.store.pool)
        .await
        .expect("columns");
    rows.iter()
        .map(|r| sqlx::Row::try_get::<String, _>(r, "name").expect("name"))
        .collect()
}

async fn both_channels_and_the_minimum_sample(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let citizen = app.client();
    let street = app.user("qly_reporter").await;

    // The demo's survey: 金华社区 (QLY-C05) has 29 answers, one short of the minimum 30,
    // so its 2025Q4 satisfaction is still the one the office entered.
    let d = office.ok_get("/api/v1/surveys/1").await;
    let c05 = |d: &Value| {
        d["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|r| r["unit"] == "QLY-C05")
            .cloned()
            .expect("C05")
    };
    assert_eq!(c05(&d)["answers"], 29);
    assert_eq!(c05(&d)["enough"], false);
    let value = |v: Value| v["row"]["value"].as_str().unwrap_or("").to_owned();
    let path = "/api/v1/values/QLY-C05/satisfaction/2025Q4";
    assert_eq!(value(office.ok_get(path).await), "92.7");

    // Bad answers name the question; nothing recorded.
    let r = citizen
        .server
        .post("/api/v1/public/surveys/1/QLY-C05")
        .add_header("x-device", "device-token-aaaaaaaaaaaa")
        .json(&json!({ "choices": { "service": 4, "nope": 1 } }))
        .await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    for place in ["choices.service", "choices.environment", "choices.nope"] {
        assert!(r.text().contains(place), "{place}: {}", r.text());
    }
    // The open link without a device token is refused.
    let r = citizen
        .server
        .post("/api/v1/public/surveys/1/QLY-C05")
        .json(&json!({ "choices": best() }))
        .await;
    assert_eq!(r.status_code(), 400, "{}", r.text());

    // The 30th answer, through the open link: the sample is reached and the mean written —
    // (29 answers' points + 300) ÷ (29 × 3 + 3) questions, exactly.
    let before = office.ok_get("/api/v1/surveys/1").await;
    let r = citizen
        .server
        .post("/api/v1/public/surveys/1/QLY-C05")
        .add_header("x-device", "device-token-bbbbbbbbbbbb")
        .json(&json!({ "choices": best(), "comment": "物业服务有改进" }))
        .await;
    assert_eq!(r.status_code(), 201, "{}", r.text());
    // The same device again: refused.
    let r = citizen
        .server
        .post("/api/v1/public/surveys/1/QLY-C05")
        .add_header("x-device", "device-token-bbbbbbbbbbbb")
        .json(&json!({ "choices": best() }))
        .await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
    let after = office
        .ok_post("/api/v1/surveys/1/publish", json!({}), 200)
        .await;
    assert_eq!(c05(&after)["answers"], 30);
    assert_eq!(
        c05(&after)["by_link"],
        c05(&before)["by_link"].as_i64().expect("n") + 1
    );
    assert_eq!(c05(&after)["enough"], true);
    let mean = c05(&after)["satisfaction"]
        .as_str()
        .expect("mean")
        .to_owned();
    let old: rust_decimal::Decimal = c05(&before)["satisfaction"]
        .as_str()
        .expect("mean")
        .parse()
        .expect("decimal");
    // The 29 answers' mean over their 87 questions, plus three questions of 100 points.
    let expected = (old * rust_decimal::Decimal::from(87) + rust_decimal::Decimal::from(300))
        / rust_decimal::Decimal::from(90);
    let got: rust_decimal::Decimal = mean.parse().expect("decimal");
    assert!(
        (got - expected).abs() < rust_decimal::Decimal::new(1, 20),
        "{got} vs {expected}"
    );
    let v = office.ok_get(path).await;
    assert_eq!(value(v.clone()), mean);
    assert_eq!(v["row"]["state"], "counted");
    assert!(
        v["row"]["note"]
            .as_str()
            .expect("note")
            .contains("有效答卷 30 份"),
        "{v}"
    );
    assert_eq!(
        value(
            office
                .ok_get("/api/v1/values/QLY-C05/satisfaction_sample/2025Q4")
                .await
        ),
        "30"
    );

    // Codes: issued once, answered once, only for their unit; typed any case, with or without
    // the dash.
    let codes: Vec<String> = serde_json::from_value(
        office
            .ok_post(
                "/api/v1/surveys/1/codes",
                json!({ "unit": "QLY-C04", "count": 3, "reason": "入户发放" }),
                201,
            )
            .await,
    )
    .expect("codes");
    assert_eq!(codes.len(), 3);
    let answer = |code: String| json!({ "code": code, "choices": { "service": 2, "environment": 3, "safety": 5 } });
    let r = citizen
        .post("/api/v1/public/surveys/1/QLY-C03", answer(codes[0].clone()))
        .await;
    assert_eq!(r.status_code(), 409, "another unit's code: {}", r.text());
    let r = citizen
        .post(
            "/api/v1/public/surveys/1/QLY-C04",
            answer(codes[0].to_lowercase().replace('-', "")),
        )
        .await;
    assert_eq!(r.status_code(), 201, "{}", r.text());
    let r = citizen
        .post("/api/v1/public/surveys/1/QLY-C04", answer(codes[0].clone()))
        .await;
    assert_eq!(r.status_code(), 409, "used: {}", r.text());
    let d = office.ok_get("/api/v1/surveys/1").await;
    let c04 = d["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["unit"] == "QLY-C04")
        .cloned()
        .expect("C04");
    // The demo used 8 of its 18 codes; one more now.
    assert_eq!(
        (&c04["codes_used"], &c04["codes_issued"]),
        (&json!(9), &json!(21)),
        "{c04}"
    );
    // Below the minimum: the sample size is written, the satisfaction is not.
    assert_eq!(c04["enough"], false);
    assert_eq!(
        value(
            office
                .ok_get("/api/v1/values/QLY-C04/satisfaction/2025Q4")
                .await
        ),
        "88.8"
    );

    // A network's daily limit on the open link.
    let s = office
        .ok_post(
            "/api/v1/surveys",
            json!({ "title": "窗口服务满意度", "period": "2025Q4", "element": "satisfaction",
                    "units": ["QLY"], "questions": [{ "code": "q1", "text": "您对窗口服务是否满意？", "scale": "three" }],
                    "min_sample": 1, "per_address_daily": 2, "reason": "试点" }),
            201,
        )
        .await;
    let id = s["survey"]["id"].as_i64().expect("id");
    for (i, status) in [(1, 201), (2, 201), (3, 429)] {
        let r = citizen
            .server
            .post(&format!("/api/v1/public/surveys/{id}/QLY"))
            .add_header("x-device", format!("limit-device-{i:012}").as_str())
            .json(&json!({ "choices": { "q1": 1 } }))
            .await;
        assert_eq!(r.status_code(), status, "{i}: {}", r.text());
    }
    // Closed: no more answers.
    let s = office.ok_get(&format!("/api/v1/surveys/{id}")).await;
    office
        .ok_post(
            &format!("/api/v1/surveys/{id}/close"),
            json!({ "version": s["survey"]["version"], "reason": "测评结束" }),
            200,
        )
        .await;
    let r = citizen
        .server
        .post(&format!("/api/v1/public/surveys/{id}/QLY"))
        .add_header("x-device", "after-close-device-0001")
        .json(&json!({ "choices": { "q1": 1 } }))
        .await;
    assert_eq!(r.status_code(), 409);

    // Bad surveys are named field by field.
    let r = office
        .post(
            "/api/v1/surveys",
            json!({ "title": "", "period": "2027Q1", "element": "mediation_cases", "units": ["NOPE"],
                    "questions": [{ "code": "a", "text": "", "scale": "seven" }], "reason": "x" }),
        )
        .await;
    assert_eq!(r.status_code(), 422);
    for place in [
        "title",
        "period",
        "element",
        "units[0]",
        "questions[0].text",
        "questions[0].scale",
    ] {
        assert!(
            r.text().contains(&format!("\"{place}\"")),
            "{place}: {}",
            r.text()
        );
    }
    // A street's reporter does not run surveys.
    assert_eq!(street.get("/api/v1/surveys").await.status_code(), 403);
}
scenario!(both_channels_and_the_minimum_sample);

/// Anonymity: an answer row has no column that could identify who answered, and the keys that
/// de-duplicate are salted hashes — not the device token or the address, and different for the
/// same device in another survey.
async fn answers_are_anonymous(db: Db) {
    let app = App::spawn(db).await;
    let citizen = app.client();
    assert_eq!(
        columns(&app, db, "survey_answers").await,
        [
            "answered",
            "channel",
            "choices",
            "comment",
            "day",
            "id",
            "points",
            "survey_id",
            "unit"
        ]
    );
    let token = "anonymity-device-token-0001";
    let r = citizen
        .server
        .post("/api/v1/public/surveys/1/QLY-C05")
        .add_header("x-device", token)
        .json(&json!({ "choices": best() }))
        .await;
    assert_eq!(r.status_code(), 201, "{}", r.text());
    let keys: Vec<(String, String)> =
        sqlx::query("SELECT kind, hash FROM survey_keys WHERE survey_id = 1")
            .fetch_all(&app.state.store.pool)
            .await
            .expect("keys")
            .iter()
            .map(|r| {
                (
                    sqlx::Row::try_get::<String, _>(r, "kind").expect("kind"),
                    sqlx::Row::try_get::<String, _>(r, "hash").expect("hash"),
                )
            })
            .collect();
    assert!(keys.iter().any(|(k, _)| k == "device"));
    for (_, h) in &keys {
        assert_eq!(h.len(), 64, "a SHA-256 hash");
        assert!(!h.contains(token) && h != &jixiao_store::sha256_hex(token.as_bytes()));
    }
    // Nothing anywhere in the answers or the audit holds the token.
    let dump: Vec<String> = sqlx::query("SELECT choices, comment, day FROM survey_answers")
        .fetch_all(&app.state.store.pool)
        .await
        .expect("answers")
        .iter()
        .map(|r| {
            ["choices", "comment", "day"]
                .iter()
                .map(|c| sqlx::Row::try_get::<String, _>(r, *c).expect("text"))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    assert!(dump.iter().all(|d| !d.contains(token)));
    let n: i64 = sqlx::Row::try_get(
        &sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE after LIKE '%anonymity-device%' OR request_id LIKE '%anonymity-device%'",
        )
        .fetch_one(&app.state.store.pool)
        .await
        .expect("audit"),
        "n",
    )
    .expect("n");
    assert_eq!(n, 0);
}
scenario!(answers_are_anonymous);
