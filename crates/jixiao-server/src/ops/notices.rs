//! Notices (通知): what jixiao tells people — reporting deadlines coming up and passed (催报),
//! values returned, warnings raised and escalated, rectification deadlines, appeals decided,
//! results published — in everyone's in-app inbox, by e-mail to those who choose it, and on
//! the channels the admin configures (signed JSON webhooks, 政务微信/企业微信 and 钉钉 group
//! robots, group mailboxes).
//!
//! A notice is queued in the transaction of the change that causes it (nothing is told about
//! a change that did not happen, and nothing that happened goes untold); the scheduled work
//! ([`crate::ops::schedule`]) delivers the outbox. Each notice has a key; the inbox and the
//! outbox hold one per person or destination and key, so the same notice queued twice (a retry,
//! two nodes, a restart) reaches each once. A webhook carries the key as
//! `X-Jixiao-Delivery`: a receiver that sees it again (the server stopped between sending and
//! recording the delivery) knows it has it.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::ops::{Caller, allow, commit};
use crate::state::AppState;
use hmac::{KeyInit, Mac};
use jixiao_core::access::{Action, Role};
use jixiao_core::text::Text;
use jixiao_store::notices::{ChannelRow, DeliveryRow, OutRow, Prefs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// The kinds of notice, in the order the preferences page lists them.
pub const KINDS: [&str; 9] = [
    "deadline",
    "overdue",
    "returned",
    "warning",
    "escalated",
    "rectification",
    "appeal",
    "published",
    "budget",
];

/// A kind's name.
pub fn kind_name(kind: &str) -> Text {
    match kind {
        "deadline" => Text::new("报送期限临近", "reporting deadline coming up"),
        "overdue" => Text::new("逾期未报（催报）", "reporting deadline passed"),
        "returned" => Text::new("数据被退回", "value returned"),
        "warning" => Text::new("预警", "warning raised"),
        "escalated" => Text::new("预警逾期未响应", "warning unanswered (escalated)"),
        "rectification" => Text::new("整改任务", "rectification task"),
        "appeal" => Text::new("申诉结果", "appeal decided"),
        "published" => Text::new("结果公示", "results published"),
        "budget" => Text::new("预算绩效", "budget performance"),
        other => Text::new(other, other),
    }
}

/// Something to tell.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: &'static str,
    /// Once per person or destination: e.g. `warning:12:raised`.
    pub key: String,
    pub title: Text,
    pub body: Text,
    /// A page of jixiao (a path).
    pub link: String,
}

/// Who is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum To {
    /// The people of a unit: its reporters and its leader.
    Unit(String),
    /// A lead department's reviewers.
    Lead(String),
    /// The assessment office.
    Office,
    /// One person.
    User(String),
}

fn text_json(t: &Text) -> String {
    serde_json::to_string(t).unwrap_or_default()
}

fn text_of(s: &str) -> Text {
    serde_json::from_str(s).unwrap_or_else(|_| Text::new(s, s))
}

/// Tells `to` about `n` inside the transaction of the change: the inbox of every active
/// account among them (unless they muted the kind), e-mail for those who chose it, and every
/// enabled channel that carries the kind. How many people were told.
pub async fn tell_in(
    tx: &mut jixiao_store::Tx,
    config: &Config,
    to: &[To],
    n: &Notice,
) -> Result<usize> {
    let users = jixiao_store::users::list_in(tx).await?;
    let people: BTreeSet<String> = users
        .iter()
        .filter(|u| !u.disabled)
        .filter(|u| {
            to.iter().any(|t| match t {
                To::Unit(code) => {
                    matches!(u.role.as_str(), "reporter" | "unit_leader")
                        && u.unit_code.as_deref() == Some(code.as_str())
                }
                To::Lead(code) => {
                    u.role == "lead_reviewer" && u.unit_code.as_deref() == Some(code.as_str())
                }
                To::Office => u.role == Role::Office.code(),
                To::User(name) => &u.username == name,
            })
        })
        .map(|u| u.username.clone())
        .collect();
    let at = jixiao_store::now();
    let title = text_json(&n.title);
    let body = text_json(&n.body);
    let mut told = 0;
    for person in &people {
        let prefs = jixiao_store::notices::prefs_in(tx, person).await?;
        if !prefs.muted_kinds.iter().any(|k| k == n.kind)
            && jixiao_store::notices::put(tx, person, n.kind, &n.key, &title, &body, &n.link, &at)
                .await?
        {
            told += 1;
        }
        if !prefs.email.is_empty() && prefs.email_kinds.iter().any(|k| k == n.kind) {
            let (subject, text) = email_text(config, n);
            jixiao_store::notices::enqueue(
                tx,
                "email",
                None,
                &prefs.email,
                &n.key,
                &subject,
                &text,
                &at,
            )
            .await?;
        }
    }
    for c in jixiao_store::notices::channels_in(tx).await? {
        if !c.enabled || !(c.kinds.is_empty() || c.kinds.iter().any(|k| k == n.kind)) {
            continue;
        }
        let (subject, payload) = match c.kind.as_str() {
            "email" => email_text(config, n),
            _ => (
                n.title.zh.clone(),
                webhook_body(config, &c.template, n, &at),
            ),
        };
        jixiao_store::notices::enqueue(
            tx,
            &c.kind,
            Some(c.id),
            &c.target,
            &n.key,
            &subject,
            &payload,
            &at,
        )
        .await?;
    }
    Ok(told)
}

fn absolute(config: &Config, link: &str) -> String {
    match &config.public_url {
        Some(base) => format!("{}{link}", base.trim_end_matches('/')),
        None => link.to_owned(),
    }
}

/// An e-mail's subject and plain text: Chinese first, English below.
fn email_text(config: &Config, n: &Notice) -> (String, String) {
    let link = absolute(config, &n.link);
    (
        format!("【绩效】{}", n.title.zh),
        format!(
            "{}\n\n{}\n\n查看 / Open: {link}\n\n—\n{}\n{}\n",
            n.title.zh, n.body.zh, n.title.en, n.body.en
        ),
    )
}

/// A webhook's body in the channel's template: `json` (jixiao's own, signed), `wecom`
/// (政务微信/企业微信 group robot markdown) or `dingtalk` (钉钉 group robot markdown).
pub fn webhook_body(config: &Config, template: &str, n: &Notice, at: &str) -> String {
    let link = absolute(config, &n.link);
    let text = format!("**{}**\n\n{}\n\n[查看详情]({link})", n.title.zh, n.body.zh);
    let v = match template {
        "wecom" => serde_json::json!({
            "msgtype": "markdown",
            "markdown": { "content": text },
        }),
        "dingtalk" => serde_json::json!({
            "msgtype": "markdown",
            "markdown": { "title": n.title.zh, "text": text },
        }),
        _ => serde_json::json!({
            "id": n.key,
            "kind": n.kind,
            "at": at,
            "title": n.title,
            "body": n.body,
            "link": link,
        }),
    };
    v.to_string()
}

/// The signature a `json` webhook carries: `t=<unix seconds>,v1=<hex HMAC-SHA-256 of
/// "<t>.<body>" under the channel's secret>` (the receiver recomputes it and refuses an old
/// `t`, so a captured request cannot be replayed later).
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| hmac::Hmac::<sha2::Sha256>::new_from_slice(b"-").expect("key"));
    mac.update(format!("{t}.{body}").as_bytes());
    let bytes = mac.finalize().into_bytes();
    format!("t={t},v1={}", hex(&bytes))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// 钉钉's signed robot URL: `timestamp` in milliseconds and `sign`, the Base64 HMAC-SHA-256 of
/// "<timestamp>\n<secret>" under the secret, URL-encoded.
fn dingtalk_url(url: &str, secret: &str, ms: i128) -> String {
    use base64::Engine;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| hmac::Hmac::<sha2::Sha256>::new_from_slice(b"-").expect("key"));
    mac.update(format!("{ms}\n{secret}").as_bytes());
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    // The query is encoded by the URL parser (Base64's `+`, `/` and `=` included); a target
    // that does not parse was refused when the channel was added, and is sent as it is.
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            u.query_pairs_mut()
                .append_pair("timestamp", &ms.to_string())
                .append_pair("sign", &sign);
            u.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

/// A notice in an inbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = NoticeItem)]
pub struct Item {
    pub id: i64,
    pub kind: String,
    #[schema(value_type = Object)]
    pub kind_name: Text,
    #[schema(value_type = Object)]
    pub title: Text,
    #[schema(value_type = Object)]
    pub body: Text,
    pub link: String,
    pub created_at: String,
    pub read: bool,
}

/// The caller's inbox, newest first, and how many are unread.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inbox {
    pub unread: i64,
    pub items: Vec<Item>,
}

fn username(caller: &Caller) -> Result<&str> {
    caller
        .user
        .as_ref()
        .map(|u| u.username.as_str())
        .ok_or_else(|| {
            Error::bad_request(
                "people_only",
                Text::new("通知只发给个人账户", "notices are for personal accounts"),
            )
        })
}

pub async fn inbox(state: &AppState, caller: &Caller) -> Result<Inbox> {
    caller.require_signed_in()?;
    let me = username(caller)?;
    crate::ops::warnings::settled(state).await;
    let items = jixiao_store::notices::inbox(&state.store, me, 200)
        .await?
        .into_iter()
        .map(|n| Item {
            id: n.id,
            kind_name: kind_name(&n.kind),
            kind: n.kind,
            title: text_of(&n.title),
            body: text_of(&n.body),
            link: n.link,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        })
        .collect();
    Ok(Inbox {
        unread: jixiao_store::notices::unread(&state.store, me).await?,
        items,
    })
}

/// Unread notices of the caller (0 for a key or nobody): the count in the header.
pub async fn unread(state: &AppState, caller: &Caller) -> i64 {
    match caller.user.as_ref() {
        Some(u) => {
            crate::ops::warnings::settled(state).await;
            jixiao_store::notices::unread(&state.store, &u.username)
                .await
                .unwrap_or(0)
        }
        None => 0,
    }
}

/// Marks a notice read (`Some(id)`) or all; how many changed.
pub async fn mark_read(state: &AppState, caller: &Caller, id: Option<i64>) -> Result<u64> {
    caller.require_signed_in()?;
    let me = username(caller)?.to_owned();
    let mut tx = state.store.write().await?;
    let n = jixiao_store::notices::mark_read(&mut tx, &me, id).await?;
    commit(tx).await?;
    Ok(n)
}

pub async fn prefs(state: &AppState, caller: &Caller) -> Result<Prefs> {
    caller.require_signed_in()?;
    let me = username(caller)?.to_owned();
    let mut c = state.store.read().await?;
    Ok(jixiao_store::notices::prefs_in(&mut c, &me).await?)
}

fn bad_kinds(kinds: &[String], field: &str) -> Result<()> {
    if let Some(k) = kinds.iter().find(|k| !KINDS.contains(&k.as_str())) {
        return Err(Error::bad_request(
            "unknown_kind",
            Text::new(
                format!("{field}：没有“{k}”这种通知（可选：{}）", KINDS.join("、")),
                format!(
                    "{field}: no kind of notice `{k}` (one of {})",
                    KINDS.join(", ")
                ),
            ),
        ));
    }
    Ok(())
}

fn check_email(email: &str, field: &str) -> Result<()> {
    if email.is_empty() || email.parse::<lettre::Address>().is_ok() {
        return Ok(());
    }
    Err(Error::bad_request(
        "bad_email",
        Text::new(
            format!("{field}：“{email}”不是有效的电子邮件地址"),
            format!("{field}: `{email}` is not a valid e-mail address"),
        ),
    ))
}

pub async fn set_prefs(state: &AppState, caller: &Caller, p: Prefs) -> Result<Prefs> {
    caller.require_signed_in()?;
    let me = username(caller)?.to_owned();
    let p = Prefs {
        email: p.email.trim().to_owned(),
        ..p
    };
    check_email(&p.email, "email")?;
    bad_kinds(&p.email_kinds, "email_kinds")?;
    bad_kinds(&p.muted_kinds, "muted_kinds")?;
    let mut tx = state.store.write().await?;
    jixiao_store::notices::set_prefs(&mut tx, &caller.actor, &me, &p).await?;
    commit(tx).await?;
    Ok(p)
}

/// A channel to add.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewChannel {
    pub name: String,
    /// `webhook` or `email`.
    pub kind: String,
    /// Webhooks: `json` (default), `wecom` or `dingtalk`.
    #[serde(default)]
    pub template: Option<String>,
    /// A URL (`http://` or `https://`), or an e-mail address.
    pub target: String,
    /// A webhook's HMAC key; unset: one is made and shown once.
    #[serde(default)]
    pub secret: Option<String>,
    /// Kinds carried; empty: all.
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// A channel as added: with its secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Added {
    pub channel: ChannelRow,
    pub secret: String,
}

pub async fn add_channel(state: &AppState, caller: &Caller, b: NewChannel) -> Result<Added> {
    allow(state, caller, Action::ManageChannels).await?;
    let name = b.name.trim();
    if name.is_empty() {
        return Err(Error::bad_request(
            "name_required",
            Text::new("name：请填写渠道名称", "name: a channel needs a name"),
        ));
    }
    let template = b.template.unwrap_or_else(|| "json".into());
    match b.kind.as_str() {
        "webhook" => {
            if !["json", "wecom", "dingtalk"].contains(&template.as_str()) {
                return Err(Error::bad_request(
                    "bad_template",
                    Text::new(
                        format!("template：没有“{template}”模板（可选 json、wecom、dingtalk）"),
                        format!("template: no template `{template}` (json, wecom or dingtalk)"),
                    ),
                ));
            }
            if !(b.target.starts_with("http://") || b.target.starts_with("https://"))
                || reqwest::Url::parse(&b.target).is_err()
            {
                return Err(Error::bad_request(
                    "bad_url",
                    Text::new(
                        format!("target：“{}”不是 http:// 或 https:// 地址", b.target),
                        format!("target: `{}` is not an http:// or https:// URL", b.target),
                    ),
                ));
            }
        }
        "email" => {
            check_email(&b.target, "target")?;
            if b.target.is_empty() {
                check_email("-", "target")?;
            }
        }
        other => {
            return Err(Error::bad_request(
                "bad_kind",
                Text::new(
                    format!("kind：没有“{other}”这种渠道（可选 webhook、email）"),
                    format!("kind: no kind of channel `{other}` (webhook or email)"),
                ),
            ));
        }
    }
    bad_kinds(&b.kinds, "kinds")?;
    let secret = b
        .secret
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| hex(&rand::random::<[u8; 32]>()));
    let mut tx = state.store.write().await?;
    let channel = jixiao_store::notices::add_channel(
        &mut tx,
        &caller.actor,
        name,
        &b.kind,
        &template,
        &b.target,
        &secret,
        &b.kinds,
    )
    .await
    .map_err(|e| {
        if e.is_unique_violation() {
            Error::conflict(
                "channel_exists",
                Text::new(
                    format!("已有名为“{name}”的渠道"),
                    format!("a channel named `{name}` exists"),
                ),
            )
        } else {
            e.into()
        }
    })?;
    commit(tx).await?;
    Ok(Added { channel, secret })
}

pub async fn enable_channel(
    state: &AppState,
    caller: &Caller,
    id: i64,
    enabled: bool,
) -> Result<ChannelRow> {
    allow(state, caller, Action::ManageChannels).await?;
    let mut tx = state.store.write().await?;
    let c = jixiao_store::notices::enable_channel(&mut tx, &caller.actor, id, enabled)
        .await?
        .ok_or_else(|| Error::not_found("渠道", "channel"))?;
    commit(tx).await?;
    Ok(c)
}

/// The channels and the newest messages with their attempts (the delivery log).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Channels {
    pub channels: Vec<ChannelRow>,
    /// Messages per state (`queued`, `delivered`, `failed`).
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub counts: Vec<(String, i64)>,
    pub recent: Vec<Sent>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sent {
    pub message: OutRow,
    pub attempts: Vec<DeliveryRow>,
}

/// Which messages of the delivery log.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogFilter {
    /// One notice's key (e.g. `warning:12:red`).
    #[serde(default)]
    pub key: Option<String>,
    /// `queued`, `delivered` or `failed`.
    #[serde(default)]
    pub state: Option<String>,
}

pub async fn channels(state: &AppState, caller: &Caller, f: &LogFilter) -> Result<Channels> {
    allow(state, caller, Action::ManageChannels).await?;
    let mut c = state.store.read().await?;
    let channels = jixiao_store::notices::channels_in(&mut c).await?;
    drop(c);
    let mut recent = Vec::new();
    let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.is_empty());
    let (key, st) = (nonempty(&f.key), nonempty(&f.state));
    for m in jixiao_store::notices::recent(&state.store, key.as_deref(), st.as_deref(), 100).await?
    {
        let attempts = jixiao_store::notices::deliveries(&state.store, m.id).await?;
        recent.push(Sent {
            message: OutRow {
                payload: String::new(),
                ..m
            },
            attempts,
        });
    }
    Ok(Channels {
        channels,
        counts: jixiao_store::notices::counts(&state.store).await?,
        recent,
    })
}

/// What one round of delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t
        .replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Sends what is due in the outbox at `now` (in rounds of 200 until nothing is due): each
/// message once, retried with backoff (30 s, 2 min, 8 min, … ×4) up to
/// `delivery_attempts`, every attempt in the delivery log.
pub async fn deliver(state: &AppState, now: time::OffsetDateTime) -> Result<Delivered> {
    // The notices of the warnings left after a response are queued first.
    crate::ops::warnings::settled(state).await;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| Error::internal(&e))?;
    let mut done = Delivered::default();
    let mut channels = std::collections::HashMap::new();
    {
        let mut c = state.store.read().await?;
        for ch in jixiao_store::notices::channels_in(&mut c).await? {
            channels.insert(ch.id, ch);
        }
    }
    loop {
        let due = jixiao_store::notices::claim(
            &state.store,
            &rfc3339(now),
            &rfc3339(now + time::Duration::minutes(5)),
            200,
        )
        .await?;
        if due.is_empty() {
            return Ok(done);
        }
        // Sent a few at a time: a slow receiver holds up only its own messages.
        let results = futures_util::future::join_all(due.iter().map(|o| {
            send(
                state,
                &client,
                o,
                o.channel_id.and_then(|id| channels.get(&id)),
            )
        }))
        .await;
        // The batch's outcomes in one transaction (a node that dies after sending and before
        // this resends the batch; one that dies before sending leaves it to the lease).
        let mut attempts = Vec::with_capacity(due.len());
        for (o, r) in due.iter().zip(results) {
            let (ok, status, detail) = r;
            let retry_at =
                (!ok && o.attempts < i64::from(state.config.delivery_attempts)).then(|| {
                    let wait = 30 * 4_i64.saturating_pow(o.attempts.clamp(1, 8) as u32 - 1);
                    rfc3339(now + time::Duration::seconds(wait))
                });
            match (ok, &retry_at) {
                (true, _) => done.sent += 1,
                (false, Some(_)) => done.retried += 1,
                (false, None) => done.failed += 1,
            }
            attempts.push(jixiao_store::notices::Attempt {
                message: o,
                ok,
                status,
                detail,
                retry_at,
            });
        }
        jixiao_store::notices::attempted(&state.store, &attempts).await?;
    }
}

/// One attempt: (delivered, status, what happened).
async fn send(
    state: &AppState,
    client: &reqwest::Client,
    o: &OutRow,
    channel: Option<&ChannelRow>,
) -> (bool, Option<i64>, String) {
    match o.kind.as_str() {
        "webhook" => send_webhook(client, o, channel).await,
        "email" => send_email(&state.config, o).await,
        other => (false, None, format!("unknown kind {other}")),
    }
}

async fn send_webhook(
    client: &reqwest::Client,
    o: &OutRow,
    channel: Option<&ChannelRow>,
) -> (bool, Option<i64>, String) {
    let now = time::OffsetDateTime::now_utc();
    let template = channel.map_or("json", |c| c.template.as_str());
    let secret = channel.map_or("", |c| c.secret.as_str());
    let url = if template == "dingtalk" && !secret.is_empty() {
        dingtalk_url(&o.target, secret, now.unix_timestamp_nanos() / 1_000_000)
    } else {
        o.target.clone()
    };
    let mut req = client
        .post(&url)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-jixiao-delivery", &o.key)
        .body(o.payload.clone());
    if template == "json" && !secret.is_empty() {
        req = req.header(
            "x-jixiao-signature",
            signature(secret, now.unix_timestamp(), &o.payload),
        );
    }
    match req.send().await {
        Ok(r) => {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            let robot_ok = || {
                // Group robots answer 200 with an error code in the body.
                serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["errcode"].as_i64())
                    .is_none_or(|c| c == 0)
            };
            let ok = status.is_success() && (template == "json" || robot_ok());
            let detail: String = body.chars().take(300).collect();
            (ok, Some(i64::from(status.as_u16())), detail)
        }
        Err(e) => (false, None, e.to_string()),
    }
}

async fn send_email(config: &Config, o: &OutRow) -> (bool, Option<i64>, String) {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let Some(smtp) = &config.smtp else {
        return (false, None, "no SMTP relay configured (smtp)".into());
    };
    let (from, to) = match (smtp.from.parse(), o.target.parse()) {
        (Ok(f), Ok(t)) => (f, t),
        _ => {
            return (
                false,
                None,
                format!("bad address {} or {}", smtp.from, o.target),
            );
        }
    };
    let message = match Message::builder()
        .from(from)
        .to(to)
        .subject(&o.subject)
        .message_id(Some(format!(
            "<{}.{}@jixiao>",
            o.key.replace(|c: char| !c.is_ascii_alphanumeric(), "."),
            o.id
        )))
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(o.payload.clone())
    {
        Ok(m) => m,
        Err(e) => return (false, None, e.to_string()),
    };
    let builder = match smtp.security.as_str() {
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
        "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
        _ => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &smtp.host,
        )),
    };
    let mut builder = match builder {
        Ok(b) => b.port(smtp.port),
        Err(e) => return (false, None, e.to_string()),
    };
    if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
            u.clone(),
            p.clone(),
        ));
    }
    match builder
        .timeout(Some(std::time::Duration::from_secs(10)))
        .build()
        .send(message)
        .await
    {
        Ok(r) => (
            r.is_positive(),
            Some(i64::from(u16::from(r.code()))),
            r.message().collect::<Vec<_>>().join(" "),
        ),
        Err(e) => (
            false,
            e.status().map(|c| i64::from(u16::from(c))),
            e.to_string(),
        ),
    }
}
