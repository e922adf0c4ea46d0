//! Warnings followed up (预警 → 通知 → 响应 → 整改 → 销号): a value across a line raises exactly
//! one warning, in the inboxes of the unit and the lead department and on a webhook (signed,
//! retried, never sent twice, also after a restart); an unanswered one is escalated at its time
//! (a controlled clock); the unit answers, a rectification task follows, verifying it resolves
//! the warning and counts in the unit's rectification rate; a value back inside its line
//! resolves a warning that needs no rectification; e-mail reaches a local SMTP sink; a unit sees
//! and answers only its own.

use crate::{App, Client, Db, scenario};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const V: &str = "/api/v1/values/QLY";

/// What a local webhook receiver got: (headers we check, body).
#[derive(Clone, Default)]
pub struct Received(Arc<Mutex<Vec<(String, String, String)>>>);

impl Received {
    pub fn all(&self) -> Vec<(String, String, String)> {
        self.0.lock().expect("lock").clone()
    }

    /// What came with this delivery key.
    fn of(&self, key: &str) -> Vec<(String, String, String)> {
        self.all()
            .into_iter()
            .filter(|(k, _, _)| k == key)
            .collect()
    }
}

/// A webhook receiver on a local port that answers 500 to the first `fail` requests of each
/// delivery, then 200.
pub async fn receiver(fail: usize) -> (String, Received) {
    let got = Received::default();
    let failures = Arc::new(Mutex::new(std::collections::HashMap::<String, usize>::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let g = g.clone();
            let failures = failures.clone();
            async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                let mut f = failures.lock().expect("lock");
                let seen = f.entry(h("x-jixiao-delivery")).or_insert(0);
                if *seen < fail {
                    *seen += 1;
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                g.0.lock().expect("lock").push((
                    h("x-jixiao-delivery"),
                    h("x-jixiao-signature"),
                    body,
                ));
                axum::http::StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), got)
}

/// A local SMTP sink: accepts every message and keeps its text.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mail = Arc::new(Mutex::new(Vec::new()));
    let m = mail.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let m = m.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim_end().to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if cmd.starts_with("DATA") {
                        let _ = w.write_all(b"354 go on\r\n").await;
                        let mut text = String::new();
                        loop {
                            line.clear();
                            if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                            text.push_str(&line);
                        }
                        m.lock().expect("lock").push(text);
                        b"250 queued\r\n"
                    } else if cmd.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (port, mail)
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

async fn tick(app: &App, at: time::OffsetDateTime) -> jixiao_server::ops::schedule::Round {
    jixiao_server::ops::schedule::tick(&app.state, at)
        .await
        .expect("scheduled round")
}

async fn inbox(c: &Client) -> Value {
    c.ok_get("/api/v1/notices").await
}

fn kinds(inbox: &Value) -> Vec<String> {
    inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["kind"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn the_litigation_warning(c: &Client) -> Vec<Value> {
    c.ok_get("/api/v1/warnings?unit=QLY&item=litigation_loss_rate&period=2025Q4")
        .await
        .as_array()
        .expect("list")
        .clone()
}

/// Something for the permission matrices to point at: a red warning of QLY (30% of its
/// lawsuits lost, lead department SFJ), a task of QLY verified by SFJ, a webhook channel. Their
/// ids: (warning, task, channel).
pub async fn something_to_follow(
    office: &Client,
    reporter: &Client,
    admin: &Client,
) -> (String, String, String) {
    reporter
        .put_and_submit(
            &format!("{V}/lit_concluded/2025Q4"),
            json!({ "value": "10" }),
        )
        .await;
    reporter
        .put_and_submit(&format!("{V}/lit_lost/2025Q4"), json!({ "value": "3" }))
        .await;
    let warnings = the_litigation_warning(office).await;
    let task = office
        .ok_post(
            "/api/v1/rectifications",
            json!({ "unit": "QLY", "period": "2025Q4", "problem": "setup", "deadline": "2026-12-31", "verifier": "SFJ" }),
            201,
        )
        .await;
    let channel = admin
        .ok_post(
            "/api/v1/channels",
            json!({ "name": "setup", "kind": "webhook", "target": "http://127.0.0.1:9/hook" }),
            201,
        )
        .await;
    (
        warnings[0]["warning"]["id"].to_string(),
        task["item"]["task"]["id"].to_string(),
        channel["channel"]["id"].to_string(),
    )
}

async fn qly_rate(c: &Client) -> Value {
    c.ok_get("/api/v1/rectifications/rates?period=2025Q4")
        .await
        .as_array()
        .expect("rates")
        .iter()
        .find(|r| r["unit"] == "QLY")
        .expect("QLY")
        .clone()
}

async fn a_warning_is_followed_to_its_end(db: Db) {
    let (port, mail) = smtp_sink().await;
    let app = App::spawn_with(db, |c| {
        c.smtp = Some(jixiao_server::config::Smtp {
            host: "127.0.0.1".into(),
            port,
            ..jixiao_server::config::Smtp::default()
        });
        c.public_url = Some("https://jixiao.example.gov.cn".into());
    })
    .await;
    let (url, hook) = receiver(1).await;
    let admin = app.user("admin").await;
    let office = app.user("office").await;
    let before = qly_rate(&office).await;
    let reporter = app.user("qly_reporter").await;
    let sfj = app.user("sfj_reviewer").await;
    let inspector = app.user("inspector").await;

    let added = admin
        .ok_post(
            "/api/v1/channels",
            json!({ "name": "区考核办预警群", "kind": "webhook", "target": url,
                    "kinds": ["warning", "escalated"] }),
            201,
        )
        .await;
    let secret = added["secret"]
        .as_str()
        .expect("secret shown once")
        .to_owned();
    assert_eq!(secret.len(), 64);
    let listed = admin.ok_get("/api/v1/channels").await;
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is never shown again"
    );
    // The lead department's reviewer wants warnings by e-mail too.
    sfj.ok_put(
        "/api/v1/notices/prefs",
        json!({ "email": "sfj@example.gov.cn", "email_kinds": ["warning"] }),
    )
    .await;
    let bad = sfj
        .put(
            "/api/v1/notices/prefs",
            json!({ "email": "not an address" }),
        )
        .await;
    assert_eq!(bad.status_code(), 400, "{}", bad.text());
    assert!(bad.text().contains("email"), "{}", bad.text());

    // 10 concluded, 3 lost: 30% against a red line of > 20%.
    reporter
        .put_and_submit(
            &format!("{V}/lit_concluded/2025Q4"),
            json!({ "value": "10" }),
        )
        .await;
    assert!(the_litigation_warning(&office).await.is_empty());
    reporter
        .put_and_submit(&format!("{V}/lit_lost/2025Q4"), json!({ "value": "3" }))
        .await;
    let ws = the_litigation_warning(&office).await;
    assert_eq!(ws.len(), 1, "{ws:?}");
    let w = &ws[0]["warning"];
    assert_eq!(w["level"], "red");
    assert_eq!(w["state"], "open");
    assert_eq!(w["value"], "30");
    assert_eq!(w["line"], "> 20");
    assert_eq!(w["lead_code"], "SFJ");
    assert_eq!(w["rectify"], true);
    let id = w["id"].as_i64().expect("id");
    // The ranking lists the lines crossed now only when asked for (the records are above).
    let ranking = format!(
        "/api/v1/results/{}/2025Q4?kind=provisional",
        w["scheme_code"].as_str().expect("scheme")
    );
    let plain = office.ok_get(&ranking).await;
    assert!(plain["classes"].is_array(), "{plain}");
    assert_eq!(plain.get("warnings"), None, "{plain}");
    let asked = office.ok_get(&format!("{ranking}&warnings=true")).await;
    assert!(
        asked["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|x| x["unit"] == "QLY" && x["element"] == "litigation_loss_rate"),
        "{asked}"
    );
    // Filtered by age: none is older than the calendar goes (a huge age is not an error).
    let old = office
        .ok_get("/api/v1/warnings?min_age_days=4294967295")
        .await;
    assert_eq!(old, json!([]));
    // Another change of the unit's data and a full round raise nothing more.
    reporter
        .put_and_submit(
            &format!("{V}/mediation_cases/2025Q4"),
            json!({ "value": "40" }),
        )
        .await;
    let start = now();
    tick(&app, start).await;
    assert_eq!(the_litigation_warning(&office).await.len(), 1);

    // The unit and the lead department have it in their inboxes; the office does not (yet).
    for c in [&reporter, &sfj] {
        let i = inbox(c).await;
        assert!(kinds(&i).contains(&"warning".to_owned()), "{i}");
        assert!(i["unread"].as_i64().expect("unread") >= 1);
    }
    assert!(!kinds(&inbox(&office).await).contains(&"warning".to_owned()));
    // The header shows the unread count on every page.
    let page = reporter.get("/").await.text();
    assert!(page.contains("id=\"inbox-count\""), "{page}");

    // The webhook: the first attempt failed (500), the round retried after its backoff.
    let key = format!("warning:{id}:red");
    assert!(hook.of(&key).is_empty());
    tick(&app, start + time::Duration::seconds(31)).await;
    let got = hook.of(&key);
    assert_eq!(got.len(), 1, "{got:?}");
    let (delivery, sig, body) = &got[0];
    assert_eq!(delivery, &format!("warning:{id}:red"));
    let (t, v1) = sig
        .strip_prefix("t=")
        .and_then(|s| s.split_once(",v1="))
        .expect("signature header");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected, "the HMAC signs the timestamp and the body");
    let payload: Value = serde_json::from_str(body).expect("json");
    assert_eq!(payload["kind"], "warning");
    assert!(
        payload["title"]["zh"]
            .as_str()
            .expect("title")
            .contains("红色预警"),
        "{payload}"
    );
    assert_eq!(
        payload["link"],
        format!("https://jixiao.example.gov.cn/warnings/{id}")
    );
    // The delivery log has both attempts.
    let log = admin
        .ok_get(&format!(
            "/api/v1/channels?key={}",
            jixiao_server::http::urlencode(&key)
        ))
        .await;
    let sent = log["recent"]
        .as_array()
        .expect("recent")
        .iter()
        .find(|m| {
            m["message"]["key"] == format!("warning:{id}:red") && m["message"]["kind"] == "webhook"
        })
        .expect("in the log")
        .clone();
    assert_eq!(sent["message"]["state"], "delivered");
    let attempts: Vec<bool> = sent["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["ok"].as_bool().expect("ok"))
        .collect();
    assert_eq!(attempts, vec![false, true]);
    // The e-mail reached the sink.
    let mail_id = format!("<warning.{id}.red.");
    let mails: Vec<String> = mail
        .lock()
        .expect("lock")
        .iter()
        .filter(|m| m.contains(&mail_id))
        .cloned()
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("sfj@example.gov.cn"), "{}", mails[0]);

    // Nothing is sent twice: later rounds, and a restarted server on the same database. (The
    // first rounds also raised the warnings the demo's own data cross, each sent once.)
    tick(&app, start + time::Duration::minutes(10)).await;
    let (hooks, all_mail) = (hook.all().len(), mail.lock().expect("lock").len());
    let keys: std::collections::BTreeSet<String> =
        hook.all().into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(keys.len(), hooks, "each delivery once");
    let restarted =
        jixiao_server::state::AppState::new(app.state.store.clone(), (*app.state.config).clone())
            .await
            .expect("restart");
    jixiao_server::ops::schedule::tick(&restarted, start + time::Duration::minutes(20))
        .await
        .expect("round");
    assert_eq!(hook.all().len(), hooks);
    assert_eq!(mail.lock().expect("lock").len(), all_mail);

    // Another unit's people neither see nor answer it.
    let seen = inspector.get(&format!("/api/v1/warnings/{id}")).await;
    assert_eq!(seen.status_code(), 404, "{}", seen.text());
    let none = inspector.ok_get("/api/v1/warnings").await;
    assert!(none.as_array().expect("list").is_empty(), "{none}");
    let answered_by_office = office
        .post(
            &format!("/api/v1/warnings/{id}/answer"),
            json!({ "version": w["version"], "cause": "x", "measures": "y" }),
        )
        .await;
    assert_eq!(answered_by_office.status_code(), 403);

    // Unanswered for two days: nothing; past three days (red): escalated, once.
    assert_eq!(
        tick(&app, start + time::Duration::days(2)).await.escalated,
        0
    );
    let late = start + time::Duration::days(3) + time::Duration::minutes(1);
    // (With the demo's other unanswered red warnings.)
    assert!(tick(&app, late).await.escalated >= 1);
    assert_eq!(
        tick(&app, late + time::Duration::hours(1)).await.escalated,
        0
    );
    let d = office.ok_get(&format!("/api/v1/warnings/{id}")).await;
    assert_eq!(d["item"]["warning"]["overdue"], true);
    assert!(kinds(&inbox(&office).await).contains(&"escalated".to_owned()));
    let overdue = office
        .ok_get("/api/v1/warnings?overdue=true&level=red&unit=QLY")
        .await;
    assert_eq!(overdue.as_array().expect("list").len(), 1);
    let on_time = office
        .ok_get("/api/v1/warnings?overdue=false&level=red&unit=QLY")
        .await;
    assert!(on_time.as_array().expect("list").is_empty());
    assert!(
        hook.all()
            .iter()
            .any(|(k, _, _)| k == &format!("warning:{id}:escalated"))
    );

    // The unit answers; a rectification task follows, verified by the lead department.
    let missing = reporter
        .post(
            &format!("/api/v1/warnings/{id}/answer"),
            json!({ "version": d["item"]["warning"]["version"], "cause": " ", "measures": "整改" }),
        )
        .await;
    assert_eq!(missing.status_code(), 400);
    assert!(missing.text().contains("cause"), "{}", missing.text());
    let answered = reporter
        .ok_post(
            &format!("/api/v1/warnings/{id}/answer"),
            json!({ "version": d["item"]["warning"]["version"],
                    "cause": "两起征收补偿案件程序瑕疵", "measures": "开展征收程序专项培训，重大决定法制审核全覆盖",
                    "deadline": "2099-12-31", "person": "张科长" }),
            200,
        )
        .await;
    assert_eq!(answered["item"]["warning"]["state"], "acknowledged");
    let tasks = answered["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 1);
    let task = &tasks[0];
    assert_eq!(task["verifier_code"], "SFJ");
    assert_eq!(task["deadline"], "2099-12-31");
    let tid = task["id"].as_i64().expect("task id");
    // The lead department may not verify before the unit submits; the unit submits.
    let early = sfj
        .post(
            &format!("/api/v1/rectifications/{tid}/act"),
            json!({ "action": "verify", "version": task["version"] }),
        )
        .await;
    assert_eq!(early.status_code(), 403, "{}", early.text());
    let t = reporter
        .ok_post(
            &format!("/api/v1/rectifications/{tid}/act"),
            json!({ "action": "start", "version": task["version"] }),
            200,
        )
        .await;
    let t = reporter
        .ok_post(
            &format!("/api/v1/rectifications/{tid}/act"),
            json!({ "action": "submit", "version": t["item"]["task"]["version"],
                    "text": "已完成培训 2 场，重大决定均经法制审核" }),
            200,
        )
        .await;
    assert_eq!(t["item"]["task"]["state"], "submitted");
    // Still open until verified (the value itself stays over the line).
    assert_eq!(
        the_litigation_warning(&office).await[0]["warning"]["state"],
        "acknowledged"
    );
    let v = sfj
        .ok_post(
            &format!("/api/v1/rectifications/{tid}/act"),
            json!({ "action": "verify", "version": t["item"]["task"]["version"] }),
            200,
        )
        .await;
    assert_eq!(v["item"]["task"]["state"], "verified");
    let w = &the_litigation_warning(&office).await[0]["warning"];
    assert_eq!(w["state"], "resolved");
    // Resolved while the value is still over the line: not raised again.
    tick(&app, late + time::Duration::days(1)).await;
    assert_eq!(the_litigation_warning(&office).await.len(), 1);
    let events: Vec<String> = office.ok_get(&format!("/api/v1/warnings/{id}")).await["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        events,
        vec!["raised", "escalated", "acknowledged", "resolved"]
    );

    // The rate: one more task, verified on time (the demo has three of QLY's for 2025Q4: two
    // verified on time — one a cross-inspection hazard — and one submitted).
    let qly = qly_rate(&office).await;
    assert_eq!(
        (&qly["total"], &qly["on_time"], &qly["open"], &qly["rate"]),
        (&json!(4), &json!(3), &json!(1), &json!("75"))
    );
    assert_eq!(before["total"], json!(3));
    // Everything on the audit log.
    let audit = office
        .ok_get("/api/v1/audit?entity=warning")
        .await
        .to_string();
    for a in [
        "warning.raise",
        "warning.escalate",
        "warning.answer",
        "warning.resolve",
    ] {
        assert!(audit.contains(a), "{a}");
    }
}
scenario!(a_warning_is_followed_to_its_end);

async fn mediation_warnings(c: &Client) -> Vec<Value> {
    c.ok_get("/api/v1/warnings?unit=QLY&item=mediation_rate&period=2025Q4")
        .await
        .as_array()
        .expect("list")
        .clone()
}

async fn back_inside_the_line_resolves_it(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let reporter = app.user("qly_reporter").await;
    let leader = app.user("qly_leader").await;
    // 40 cases, 33 agreements: 82.5% against yellow below 85 (yellow needs no rectification).
    reporter
        .put_and_submit(
            &format!("{V}/mediation_cases/2025Q4"),
            json!({ "value": "40" }),
        )
        .await;
    let s = reporter
        .put_and_submit(
            &format!("{V}/mediation_agreements/2025Q4"),
            json!({ "value": "33" }),
        )
        .await;
    let ws = mediation_warnings(&office).await;
    assert_eq!(ws.len(), 1, "{ws:?}");
    assert_eq!(ws[0]["warning"]["level"], "yellow");
    assert_eq!(ws[0]["warning"]["rectify"], false);
    // The leader returns the figure; the unit is told.
    leader
        .ok_post(
            &format!("{V}/mediation_agreements/2025Q4/return"),
            json!({ "version": s["value"]["row"]["version"], "reason": "协议数与台账不符" }),
            200,
        )
        .await;
    let i = inbox(&reporter).await;
    assert!(kinds(&i).contains(&"returned".to_owned()), "{i}");
    assert!(i.to_string().contains("协议数与台账不符"));
    // Corrected to 36 (90%): back inside, resolved.
    let cur = reporter
        .ok_get(&format!("{V}/mediation_agreements/2025Q4"))
        .await;
    reporter
        .put_and_submit(
            &format!("{V}/mediation_agreements/2025Q4"),
            json!({ "value": "36", "version": cur["row"]["version"] }),
        )
        .await;
    let ws = mediation_warnings(&office).await;
    assert_eq!(ws.len(), 1);
    assert_eq!(ws[0]["warning"]["state"], "resolved");
    // Crossing again raises a new one, linked to the first.
    let cur = reporter
        .ok_get(&format!("{V}/mediation_agreements/2025Q4"))
        .await;
    let back = leader
        .ok_post(
            &format!("{V}/mediation_agreements/2025Q4/return"),
            json!({ "version": cur["row"]["version"], "reason": "再次核对" }),
            200,
        )
        .await;
    reporter
        .put_and_submit(
            &format!("{V}/mediation_agreements/2025Q4"),
            json!({ "value": "20", "version": back["value"]["row"]["version"] }),
        )
        .await;
    let ws = mediation_warnings(&office).await;
    assert_eq!(ws.len(), 2, "{ws:?}");
    let active: Vec<&Value> = ws
        .iter()
        .filter(|w| w["warning"]["state"] == "open")
        .collect();
    assert_eq!(active.len(), 1);
    // 50%: red (below 70).
    assert_eq!(active[0]["warning"]["level"], "red");
    assert_eq!(
        active[0]["warning"]["previous_id"],
        ws.iter()
            .find(|w| w["warning"]["state"] == "resolved")
            .expect("first")["warning"]["id"]
    );
    // The office closes it with a reason (a reason is required).
    let id = active[0]["warning"]["id"].as_i64().expect("id");
    let v = active[0]["warning"]["version"].clone();
    let r = office
        .post(
            &format!("/api/v1/warnings/{id}/close"),
            json!({ "version": v, "reason": "" }),
        )
        .await;
    assert_eq!(r.status_code(), 400);
    let closed = office
        .ok_post(
            &format!("/api/v1/warnings/{id}/close"),
            json!({ "version": v, "reason": "经核实为统计口径调整" }),
            200,
        )
        .await;
    assert_eq!(closed["item"]["warning"]["state"], "closed");
}
scenario!(back_inside_the_line_resolves_it);

async fn the_office_reminds_units_that_have_not_reported(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let reporter = app.user("qly_reporter").await;
    let leader = app.user("leader").await;
    let denied = leader
        .post("/api/v1/periods/wolong-2025/2025Q4/remind", json!({}))
        .await;
    assert_eq!(denied.status_code(), 403);
    let r = office
        .ok_post("/api/v1/periods/wolong-2025/2025Q4/remind", json!({}), 200)
        .await;
    let units: Vec<&str> = r["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| u[0].as_str().expect("code"))
        .collect();
    assert!(units.contains(&"QLY"), "{r}");
    let i = inbox(&reporter).await;
    assert!(kinds(&i).contains(&"overdue".to_owned()), "{i}");
    // Twice in a day tells nobody twice.
    let again = office
        .ok_post("/api/v1/periods/wolong-2025/2025Q4/remind", json!({}), 200)
        .await;
    assert_eq!(again["people"], 0);
    // Read: the count goes down.
    let before = i["unread"].as_i64().expect("unread");
    let first = i["items"][0]["id"].as_i64().expect("id");
    reporter
        .ok_post("/api/v1/notices/read", json!({ "id": first }), 200)
        .await;
    assert_eq!(inbox(&reporter).await["unread"].as_i64(), Some(before - 1));
    reporter
        .ok_post("/api/v1/notices/read", json!({}), 200)
        .await;
    assert_eq!(inbox(&reporter).await["unread"], 0);
}
scenario!(the_office_reminds_units_that_have_not_reported);

/// A special scheme whose indicator is scored from the rectification tasks themselves: no one
/// types the rate.
const SAFETY: &str = r#"id = "safety-2025"
version = 1
year = 2025
title = { zh = "卧龙区2025年村（社区）安全生产专项考核", en = "Wolong 2025 village production-safety assessment" }

[rules]
missing = "zero"

[elements.hazard_rectified]
name = { zh = "交叉检查隐患整改率", en = "Inspection hazards rectified" }
unit = "%"
kind = "percent"
source = "rectification"
rectification = { measure = "rate", from = ["inspection"] }

[elements.hazards_open]
name = { zh = "未完成整改隐患数", en = "Hazards not rectified" }
kind = "count"
source = "rectification"
rectification = { measure = "open", from = ["inspection"] }

[classes.village]
name = { zh = "村（社区）", en = "Villages" }
[[classes.village.modules]]
code = "safety"
name = { zh = "安全生产", en = "Production safety" }
points = 100
[[classes.village.modules.indicators]]
code = "hazards"
name = { zh = "隐患整改率", en = "Hazard rectification rate" }
unit = "%"
points = 80
element = "hazard_rectified"
target = 100
method = { type = "ratio" }
[[classes.village.modules.indicators]]
code = "open_hazards"
name = { zh = "隐患未整改", en = "Hazards left open" }
points = 20
element = "hazards_open"
method = { type = "deduction", per = 10 }
"#;

async fn the_rectification_rate_scores_an_indicator(db: Db) {
    let app = App::spawn(db).await;
    let office = app.user("office").await;
    let reporter = app.user("qly_reporter").await;
    const U: &str = "/api/v1/values/QLY-C01";
    // A scheme that counts from tasks is checked like any other.
    let bad = office
        .post(
            "/api/v1/schemes",
            json!({ "content": SAFETY.replace("measure = \"open\", from = [\"inspection\"]", "measure = \"open\", from = [\"rumour\"]"), "reason": "test" }),
        )
        .await;
    assert_eq!(bad.status_code(), 422, "{}", bad.text());
    assert!(
        bad.text()
            .contains("elements.hazards_open.rectification.from"),
        "{}",
        bad.text()
    );
    let s = office
        .ok_post(
            "/api/v1/schemes",
            json!({ "content": SAFETY, "reason": "专项考核 special assessment" }),
            201,
        )
        .await;
    office
        .ok_post(
            &format!("/api/v1/schemes/safety-2025/{}/publish", s["version"]),
            json!({ "reason": "专项考核 special assessment" }),
            200,
        )
        .await;
    office
        .ok_post(
            "/api/v1/periods",
            json!({ "scheme": "safety-2025", "period": "2025Q4" }),
            201,
        )
        .await;
    let value = |e: &'static str| {
        let office = &office;
        async move { office.ok_get(&format!("{U}/{e}/2025Q4")).await["row"].clone() }
    };
    let score = || async {
        let r = office
            .ok_get("/api/v1/results/safety-2025/2025Q4/units/QLY-C01")
            .await;
        r["row"]["total"].clone()
    };
    // Two hazards found on inspection, and a task added by hand (not a hazard: not counted).
    let mut ids = Vec::new();
    for (source, problem) in [
        ("inspection", "村委会配电箱无防护"),
        ("inspection", "祠堂消防通道堵塞"),
        ("manual", "村务公开栏未更新"),
    ] {
        let t = office
            .ok_post(
                "/api/v1/rectifications",
                json!({ "source": source, "unit": "QLY-C01", "period": "2025Q4", "problem": problem, "deadline": "2099-12-31", "verifier": "office" }),
                201,
            )
            .await;
        ids.push(t["item"]["task"].clone());
    }
    let v = value("hazard_rectified").await;
    assert_eq!(
        (&v["value"], &v["state"]),
        (&json!("0"), &json!("counted")),
        "{v}"
    );
    assert_eq!(value("hazards_open").await["value"], "2");
    // 0% of 80 and 2 × 10 off 20: 0.
    assert_eq!(score().await, json!("0"));

    // The first is rectified and verified: 50% of 80 = 40, one open: 10 → 50.
    let work = |task: Value| {
        let (reporter, office) = (&reporter, &office);
        async move {
            let id = task["id"].as_i64().expect("id");
            let mut t = task;
            for (a, text) in [("start", ""), ("submit", "已整改，附照片")] {
                t = reporter
                    .ok_post(
                        &format!("/api/v1/rectifications/{id}/act"),
                        json!({ "action": a, "version": t["version"], "text": text }),
                        200,
                    )
                    .await["item"]["task"]
                    .clone();
            }
            office
                .ok_post(
                    &format!("/api/v1/rectifications/{id}/act"),
                    json!({ "action": "verify", "version": t["version"] }),
                    200,
                )
                .await;
        }
    };
    work(ids[0].clone()).await;
    assert_eq!(value("hazard_rectified").await["value"], "50");
    assert_eq!(value("hazards_open").await["value"], "1");
    assert_eq!(score().await, json!("50"));
    // The manual task changes nothing; the second hazard brings it to full marks.
    work(ids[2].clone()).await;
    assert_eq!(value("hazard_rectified").await["value"], "50");
    work(ids[1].clone()).await;
    assert_eq!(value("hazard_rectified").await["value"], "100");
    assert_eq!(score().await, json!("100"));
    // Every change of the elements is on the audit log, by the system, with its counts.
    let audit = office
        .ok_get("/api/v1/audit?entity=value&contains=hazard_rectified")
        .await;
    let items = audit["items"].as_array().expect("items");
    assert!(items.iter().all(|e| e["actor"] == "system"), "{audit}");
    let mut seen: Vec<String> = items
        .iter()
        .rev()
        .filter(|e| e["entity_id"] == "QLY-C01/hazard_rectified/2025Q4")
        .map(|e| {
            serde_json::from_str::<Value>(e["after"].as_str().unwrap_or("{}")).expect("after")
                ["value"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    seen.dedup();
    assert_eq!(seen, vec!["0", "50", "100"], "{audit}");
}
scenario!(the_rectification_rate_scores_an_indicator);
