//! Machine feeds: events posted with an API key are checked against the feed's schema (422
//! with the path of every bad field, nothing stored), stored once (a replay changes nothing),
//! and added up into the elements the scheme names, counted or sent to review as it says.

use crate::{App, Client, Db, scenario};
use serde_json::{Value, json};

/// A feed key (role `feed`) made by the administrator; returns the bearer header.
async fn feed_key(admin: &Client, name: &str, feeds: &[&str], unit: Option<&str>) -> String {
    let key = admin
        .ok_post(
            "/api/v1/api-keys",
            json!({ "name": name, "role": "feed", "unit": unit, "items": feeds }),
            201,
        )
        .await;
    format!("Bearer {}", key["key"].as_str().expect("key"))
}

async fn post(c: &Client, bearer: &str, feed: &str, body: Value) -> (u16, Value) {
    let r = c
        .server
        .post(&format!("/api/v1/feeds/{feed}/events"))
        .add_header("authorization", bearer)
        .json(&body)
        .await;
    (
        r.status_code().as_u16(),
        serde_json::from_slice(r.as_bytes()).unwrap_or(Value::Null),
    )
}

/// A value as the office sees it: (value, state, version).
async fn value(office: &Client, key: &str) -> (String, String, i64) {
    let v = office.ok_get(&format!("/api/v1/values/{key}")).await;
    let row = &v["row"];
    (
        row["value"].as_str().unwrap_or_default().to_owned(),
        row["state"].as_str().unwrap_or_default().to_owned(),
        row["version"].as_i64().unwrap_or_default(),
    )
}

/// Rows and audit entries: what a rejected or replayed post must leave as it was.
async fn footprint(app: &App) -> (i64, i64, i64, String) {
    let pool = &app.state.store.pool;
    let n = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await
            .expect("count")
    };
    let values: Vec<String> =
        sqlx::query_scalar("SELECT unit_code || '/' || element || '/' || period || '=' || value || '@' || CAST(version AS TEXT) FROM data_values ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("values");
    (
        n("SELECT COUNT(*) FROM feed_events").await,
        n("SELECT COUNT(*) FROM audit_log").await,
        n("SELECT COUNT(*) FROM feed_tallies").await,
        jixiao_store::sha256_hex(values.join("\n").as_bytes()),
    )
}

fn review(id: &str, unit: &str, at: &str, rating: &str) -> Value {
    json!({ "id": id, "unit": unit, "at": at, "data": { "rating": rating, "channel": "app" } })
}

async fn feeds_move_numbers_into_indicators(db: Db) {
    let app = App::spawn(db).await;
    let admin = app.user("admin").await;
    let office = app.user("office").await;
    let machine = app.client();
    let reviews = feed_key(&admin, "好差评系统", &["service_reviews"], None).await;

    // Three reviews of 司法局 in the third quarter: two good, one poor.
    let batch = json!({ "events": [
        review("r-1", "SFJ", "2025-07-02T10:00:00+08:00", "good"),
        review("r-2", "SFJ", "2025-08-15T16:20:00+08:00", "poor"),
        review("r-3", "SFJ", "2025-09-30T23:59:00+08:00", "good"),
    ]});
    let (status, body) = post(&machine, &reviews, "service_reviews", batch.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 3);
    assert_eq!(body["replayed"], 0);
    assert_eq!(value(&office, "SFJ/reviews/2025Q3").await.0, "3");
    let good = value(&office, "SFJ/good_reviews/2025Q3").await;
    assert_eq!((good.0.as_str(), good.1.as_str()), ("2", "counted"));
    // The computed rate reads them: 2 / 3 × 100.
    let card = office
        .ok_get("/api/v1/results/wolong-2025/2025Q3/units/SFJ?kind=official")
        .await;
    let text = card.to_string();
    assert!(text.contains("66.6666"), "good review rate in {text}");

    // The same post again: nothing changes, not a row, not an audit entry.
    let before = footprint(&app).await;
    let (status, body) = post(&machine, &reviews, "service_reviews", batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["accepted"].as_i64(), body["replayed"].as_i64()),
        (Some(0), Some(3))
    );
    assert_eq!(body["values"], json!([]));
    assert_eq!(footprint(&app).await, before);

    // A known id with different content: 409, nothing stored.
    let (status, body) = post(
        &machine,
        &reviews,
        "service_reviews",
        json!({ "events": [review("r-4", "SFJ", "2025-09-01", "good"), review("r-2", "SFJ", "2025-08-15T16:20:00+08:00", "good")] }),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["problems"][0]["path"], "events[1].id");
    assert_eq!(footprint(&app).await, before);

    // Bad events: every bad field with its path, in both languages; nothing stored.
    let (status, body) = post(
        &machine,
        &reviews,
        "service_reviews",
        json!({ "events": [
            review("r-5", "SFJ", "2025-09-01", "good"),
            { "id": "r-6", "unit": "SFJ", "at": "2025-09-01", "data": { "rating": "meh" } },
            { "id": "r-7", "unit": "NOPE", "at": "2025-09-01", "data": { "rating": "good" } },
            { "unit": "SFJ", "at": "31/09/2025", "data": { "rating": 5, "stars": 4 } },
        ]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "invalid_events");
    let paths: Vec<&str> = body["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["path"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        paths,
        [
            "events[1].data.rating",
            "events[2].unit",
            "events[3].id",
            "events[3].at",
            "events[3].data.stars",
            "events[3].data.rating",
        ]
    );
    assert!(
        body["problems"][0]["message"]["zh"]
            .as_str()
            .is_some_and(|m| m.contains("meh"))
    );
    assert!(
        body["problems"][0]["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("not one of"))
    );
    let after = footprint(&app).await;
    assert_eq!(
        (after.0, after.2, &after.3),
        (before.0, before.2, &before.3)
    );

    // The office sees the feed's health: what was accepted, replayed and turned away.
    let detail = office.ok_get("/api/v1/feeds/service_reviews").await;
    let h = &detail["health"];
    assert_eq!(
        (
            h["accepted"].as_i64(),
            h["replayed"].as_i64(),
            h["rejected"].as_i64()
        ),
        (Some(3), Some(3), Some(6))
    );
    assert_eq!(h["last_event_at"], "2025-09-30T15:59:00.000000000Z");
    assert_eq!(detail["error_rate"], "50");
    assert_eq!(detail["elements"], json!(["good_reviews", "reviews"]));
    assert_eq!(detail["rejections"][0]["path"], "events[3].data.rating");
    let list = office.ok_get("/api/v1/feeds").await;
    assert_eq!(list.as_array().map(Vec::len), Some(4));

    // Periods follow district time: 17:00 UTC on 30 September is 1 October in the district.
    let (status, body) = post(
        &machine,
        &reviews,
        "service_reviews",
        review("r-8", "SFJ", "2025-09-30T17:00:00Z", "good"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(value(&office, "SFJ/reviews/2025Q4").await.0, "1");
    assert_eq!(value(&office, "SFJ/reviews/2025Q3").await.0, "3");

    // Averages, exact: handling seconds into hours.
    let kiosk = feed_key(&admin, "审批一体机", &["approval_kiosk"], Some("SPJ")).await;
    let licence = |id: &str, unit: &str, secs: i64| json!({ "id": id, "unit": unit, "at": "2025-05-06T10:00:00+08:00", "data": { "licence_no": id, "item": "食品经营许可", "received_at": "2025-05-06T09:00:00+08:00", "issued_at": "2025-05-06T10:00:00+08:00", "handling_seconds": secs } });
    let (status, body) = post(&machine, &kiosk, "approval_kiosk", json!({ "events": [licence("L1", "SPJ", 3600), licence("L2", "SPJ", 7200), licence("L3", "SPJ", 1800)] })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        value(&office, "SPJ/avg_handling_hours/2025Q2").await.0,
        "1.1666666666666666666666666667"
    );
    // The key is limited to its unit, and to its feeds.
    let (status, body) = post(&machine, &kiosk, "approval_kiosk", licence("L4", "QLY", 60)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["problems"][0]["path"], "unit");
    let (status, _) = post(
        &machine,
        &kiosk,
        "service_reviews",
        review("r-9", "SPJ", "2025-05-01", "good"),
    )
    .await;
    assert_eq!(status, 403);
    // A feed key reads nothing.
    let r = machine
        .server
        .get("/api/v1/values")
        .add_header("authorization", kiosk.as_str())
        .await;
    assert_eq!(r.status_code(), 403);
    // No such feed.
    let (status, _) = post(
        &machine,
        &reviews,
        "nope",
        review("x", "SFJ", "2025-05-01", "good"),
    )
    .await;
    assert_eq!(status, 403, "a key for other feeds");

    // The latest figure, by event time (not arrival), through review as the scheme says.
    let debt = feed_key(&admin, "债务监测", &["debt_monitor"], None).await;
    let sheet = |id: &str, at: &str, assets: &str| json!({ "id": id, "unit": "CZJ", "at": at, "data": { "platform": "城投公司", "assets": assets.parse::<f64>().expect("n"), "liabilities": 100 } });
    for (id, at, assets) in [
        ("d-2", "2025-06-30", "5200.5"),
        ("d-1", "2025-04-30", "4800"),
    ] {
        let (status, body) = post(&machine, &debt, "debt_monitor", sheet(id, at, assets)).await;
        assert_eq!(status, 200, "{body}");
    }
    let (v, state, _) = value(&office, "CZJ/platform_assets/2025Q2").await;
    assert_eq!((v.as_str(), state.as_str()), ("5200.5", "submitted"));
    let queue = office
        .ok_get("/api/v1/values?state=submitted&element=platform_assets")
        .await;
    assert!(
        queue["items"].as_array().is_some_and(|i| i
            .iter()
            .any(|r| r["unit_code"] == "CZJ" && r["period"] == "2025Q2")),
        "{queue}"
    );

    // A closed period takes no more events for its elements.
    let periods = office.ok_get("/api/v1/periods").await;
    let q1 = periods
        .as_array()
        .expect("periods")
        .iter()
        .find(|p| p["scheme_code"] == "wolong-2025" && p["period"] == "2025Q1")
        .expect("2025Q1")
        .clone();
    office
        .ok_put(
            "/api/v1/periods/wolong-2025/2025Q1",
            json!({ "status": "closed", "version": q1["version"], "reason": "一季度结束 quarter closed" }),
        )
        .await;
    let (status, body) = post(
        &machine,
        &reviews,
        "service_reviews",
        json!({ "events": [review("r-10", "SFJ", "2025-02-01", "good")] }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["problems"][0]["path"], "events[0].at");

    // Every value a feed wrote is in the audit log, by the key.
    let audit = office
        .ok_get("/api/v1/audit?entity_id=SFJ/good_reviews/2025Q3")
        .await;
    let last = &audit["items"][0];
    assert_eq!(last["actor"], "apikey:好差评系统");
    assert_eq!(last["source"], "feed");
}
scenario!(feeds_move_numbers_into_indicators);

async fn feed_definitions_are_checked_and_audited(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let r = office
        .put(
            "/api/v1/feeds/case_system",
            json!({ "definition": { "name": { "zh": "执法办案系统" }, "fields": { "closed_days": { "type": "duration" } } }, "reason": "新接口" }),
        )
        .await;
    assert_eq!(r.status_code(), 422, "{}", r.text());
    assert!(r.text().contains("fields.closed_days.type"), "{}", r.text());
    let def = json!({ "name": { "zh": "执法办案系统", "en": "Enforcement case system" }, "fields": { "closed_days": { "type": "integer", "min": 0 }, "on_time": { "type": "boolean" } } });
    let info = office
        .ok_put(
            "/api/v1/feeds/case_system",
            json!({ "definition": def, "reason": "新接口 new feed" }),
        )
        .await;
    assert_eq!(info["code"], "case_system");
    assert_eq!(info["elements"], json!([]));
    assert_eq!(info["error_rate"], Value::Null);
    let audit = office
        .ok_get("/api/v1/audit?entity=feed&entity_id=case_system")
        .await;
    assert_eq!(audit["items"][0]["action"], "feed.define");
    assert_eq!(audit["items"][0]["reason"], "新接口 new feed");
}
scenario!(feed_definitions_are_checked_and_audited);

/// Many clients at once: every event lands exactly once and the totals are exact.
async fn concurrent_clients_lose_nothing(db: Db) {
    let app = App::spawn(db).await;
    let admin = app.user("admin").await;
    let office = app.user("office").await;
    let key = feed_key(&admin, "热线", &["hotline_12345"], None).await;
    let posts = (0..8).map(|c| {
        let key = key.clone();
        let machine = app.client();
        async move {
            let mut codes = Vec::new();
            for i in 0..5 {
                let events: Vec<Value> = (0..4)
                    .map(|k| json!({ "id": format!("h-{c}-{i}-{k}"), "unit": "SFJ", "at": "2025-11-03T08:00:00+08:00", "data": { "case_no": format!("{c}{i}{k}"), "closed_on_time": k % 2 == 0 } }))
                    .collect();
                // Each post twice: the second is a replay.
                for _ in 0..2 {
                    codes.push(post(&machine, &key, "hotline_12345", json!({ "events": events })).await.0);
                }
            }
            codes
        }
    });
    let codes: Vec<u16> = futures_util::future::join_all(posts)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(codes.iter().all(|c| *c == 200), "{codes:?}");
    assert_eq!(value(&office, "SFJ/hotline_received/2025Q4").await.0, "160");
    assert_eq!(value(&office, "SFJ/hotline_closed/2025Q4").await.0, "80");
    let h = office.ok_get("/api/v1/feeds/hotline_12345").await;
    assert_eq!(
        (
            h["health"]["accepted"].as_i64(),
            h["health"]["replayed"].as_i64()
        ),
        (Some(160), Some(160))
    );
    let v = office.ok_get("/api/v1/audit/verify").await;
    assert_eq!(v["broken_at"], Value::Null, "{v}");
}
scenario!(concurrent_clients_lose_nothing);

/// A fed element takes its values from its feed only: a save or an import of it is refused
/// naming the feed (a running total would otherwise silently replace the number), the entry
/// form does not offer it, and nothing changes.
async fn a_fed_element_is_not_entered_by_hand(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let before = app.stored(&["MZJ", "hotline_received", "2025Q4"]).await;
    let r = office
        .put(
            "/api/v1/values/MZJ/hotline_received/2025Q4",
            json!({ "value": "12" }),
        )
        .await;
    assert_eq!(r.status_code(), 409, "{}", r.text());
    let body: Value = r.json();
    assert_eq!(body["code"], "fed", "{body}");
    assert_eq!(body["feed"], "hotline_12345", "{body}");
    let (status, body) = crate::imports::upload(
        &office,
        "",
        "hotline.csv",
        b"unit,item,period,value\nMZJ,hotline_closed,2025Q4,3\nMZJ,hotline_received,2025Q4,12\n"
            .to_vec(),
    )
    .await;
    // Both elements are fed: each row is named, with the column and the feed.
    assert_eq!(status, 422, "{body}");
    let problems = body["report"]["problems"].as_array().expect("problems");
    let rows: Vec<_> = problems
        .iter()
        .map(|p| (p["row"].clone(), p["code"].clone(), p["column"].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (json!(2), json!("fed"), json!("item")),
            (json!(3), json!("fed"), json!("item"))
        ]
    );
    assert!(
        problems[1]["message"]["zh"]
            .as_str()
            .unwrap_or("")
            .contains("hotline_12345")
    );
    assert_eq!(
        app.stored(&["MZJ", "hotline_received", "2025Q4"]).await,
        before
    );
    // The entry form offers the unit's other numbers, not the fed one.
    let form = office.get("/entry/MZJ/2025Q4").await.text();
    assert!(form.contains("name=\"v:"), "a form with fields: {form}");
    assert!(!form.contains("name=\"v:hotline_received\""), "{form}");
}
scenario!(a_fed_element_is_not_entered_by_hand);
