//! Notices: the in-app inbox, what each person wants sent by e-mail, the channels the admin
//! configures (webhooks, group mailboxes), and the outbox with its delivery log.
//!
//! Once only: a notice carries a key (`warning:12:raised`); the inbox holds one per person and
//! key, the outbox one per destination and key, so the same event told twice (a retry, two
//! nodes, a restart) is told once. An outbox row is claimed with a lease before it is sent and
//! marked delivered right after; a delivered row is never sent again.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str, now};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeRow {
    pub id: i64,
    pub username: String,
    /// `deadline`, `overdue`, `returned`, `warning`, `escalated`, `rectification`, `appeal`,
    /// `published`.
    pub kind: String,
    pub key: String,
    pub title: String,
    pub body: String,
    /// Where the notice leads (a page of jixiao).
    pub link: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

fn notice(r: &sqlx::any::AnyRow) -> Result<NoticeRow> {
    Ok(NoticeRow {
        id: get_i64(r, "id")?,
        username: get_str(r, "username")?,
        kind: get_str(r, "kind")?,
        key: get_str(r, "key")?,
        title: get_str(r, "title")?,
        body: get_str(r, "body")?,
        link: get_str(r, "link")?,
        created_at: get_str(r, "created_at")?,
        read_at: get_opt(r, "read_at")?,
    })
}

/// Puts a notice in a person's inbox; `false` when it is there already (same key).
#[allow(clippy::too_many_arguments)]
pub async fn put(
    tx: &mut Tx,
    username: &str,
    kind: &str,
    key: &str,
    title: &str,
    body: &str,
    link: &str,
    at: &str,
) -> Result<bool> {
    let done = sqlx::query("INSERT INTO notifications (username, kind, key, title, body, link, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")
        .bind(username)
        .bind(kind)
        .bind(key)
        .bind(title)
        .bind(body)
        .bind(link)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A person's inbox, newest first.
pub async fn inbox(store: &Store, username: &str, limit: i64) -> Result<Vec<NoticeRow>> {
    let rows =
        sqlx::query("SELECT * FROM notifications WHERE username = $1 ORDER BY id DESC LIMIT $2")
            .bind(username)
            .bind(limit)
            .fetch_all(&store.pool)
            .await?;
    rows.iter().map(notice).collect()
}

pub async fn unread(store: &Store, username: &str) -> Result<i64> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n FROM notifications WHERE username = $1 AND read_at IS NULL",
    )
    .bind(username)
    .fetch_one(&store.pool)
    .await?;
    get_i64(&r, "n")
}

/// Marks one notice (`Some(id)`) or all of a person's notices read; how many changed.
pub async fn mark_read(tx: &mut Tx, username: &str, id: Option<i64>) -> Result<u64> {
    let done = match id {
        Some(id) => sqlx::query("UPDATE notifications SET read_at = $1 WHERE username = $2 AND id = $3 AND read_at IS NULL")
            .bind(now())
            .bind(username)
            .bind(id)
            .execute(&mut **tx)
            .await?,
        None => sqlx::query("UPDATE notifications SET read_at = $1 WHERE username = $2 AND read_at IS NULL")
            .bind(now())
            .bind(username)
            .execute(&mut **tx)
            .await?,
    };
    Ok(done.rows_affected())
}

/// What a person wants sent by e-mail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Prefs {
    /// The address e-mail goes to; empty: none.
    #[serde(default)]
    pub email: String,
    /// Kinds sent by e-mail too.
    #[serde(default)]
    pub email_kinds: Vec<String>,
    /// Kinds not put in the inbox.
    #[serde(default)]
    pub muted_kinds: Vec<String>,
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

pub async fn prefs_in(conn: &mut sqlx::AnyConnection, username: &str) -> Result<Prefs> {
    let r = sqlx::query("SELECT * FROM notice_prefs WHERE username = $1")
        .bind(username)
        .fetch_optional(conn)
        .await?;
    Ok(match r {
        Some(r) => Prefs {
            email: get_str(&r, "email")?,
            email_kinds: split(&get_str(&r, "email_kinds")?),
            muted_kinds: split(&get_str(&r, "muted_kinds")?),
        },
        None => Prefs::default(),
    })
}

pub async fn set_prefs(tx: &mut Tx, actor: &Actor, username: &str, p: &Prefs) -> Result<()> {
    let before = prefs_in(tx, username).await?;
    sqlx::query("INSERT INTO notice_prefs (username, email, email_kinds, muted_kinds) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (username) DO UPDATE SET email = $2, email_kinds = $3, muted_kinds = $4")
        .bind(username)
        .bind(&p.email)
        .bind(p.email_kinds.join(","))
        .bind(p.muted_kinds.join(","))
        .execute(&mut **tx)
        .await?;
    append(
        tx,
        actor,
        Change {
            action: "notice.prefs",
            entity: "user",
            entity_id: username,
            before: serde_json::to_string(&before).ok(),
            after: serde_json::to_string(p).ok(),
            reason: "",
        },
    )
    .await?;
    Ok(())
}

/// An outgoing channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelRow {
    pub id: i64,
    pub name: String,
    /// `webhook` or `email`.
    pub kind: String,
    /// For webhooks: `json` (signed jixiao JSON), `wecom` (政务微信/企业微信 group robot) or
    /// `dingtalk` (钉钉 group robot).
    pub template: String,
    /// A URL, or an e-mail address.
    pub target: String,
    /// The HMAC key of a webhook (never shown back).
    #[serde(skip)]
    pub secret: String,
    /// Kinds sent; empty: all.
    pub kinds: Vec<String>,
    pub enabled: bool,
    pub created_by: String,
    pub created_at: String,
}

fn channel(r: &sqlx::any::AnyRow) -> Result<ChannelRow> {
    Ok(ChannelRow {
        id: get_i64(r, "id")?,
        name: get_str(r, "name")?,
        kind: get_str(r, "kind")?,
        template: get_str(r, "template")?,
        target: get_str(r, "target")?,
        secret: get_str(r, "secret")?,
        kinds: split(&get_str(r, "kinds")?),
        enabled: get_i64(r, "enabled")? != 0,
        created_by: get_str(r, "created_by")?,
        created_at: get_str(r, "created_at")?,
    })
}

pub async fn channels_in(conn: &mut sqlx::AnyConnection) -> Result<Vec<ChannelRow>> {
    let rows = sqlx::query("SELECT * FROM channels ORDER BY id")
        .fetch_all(conn)
        .await?;
    rows.iter().map(channel).collect()
}

#[allow(clippy::too_many_arguments)]
pub async fn add_channel(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    kind: &str,
    template: &str,
    target: &str,
    secret: &str,
    kinds: &[String],
) -> Result<ChannelRow> {
    let r = sqlx::query("INSERT INTO channels (name, kind, template, target, secret, kinds, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *")
        .bind(name)
        .bind(kind)
        .bind(template)
        .bind(target)
        .bind(secret)
        .bind(kinds.join(","))
        .bind(&actor.name)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?;
    let c = channel(&r)?;
    append(
        tx,
        actor,
        Change {
            action: "channel.add",
            entity: "channel",
            entity_id: &c.id.to_string(),
            before: None,
            after: serde_json::to_string(&c).ok(),
            reason: "",
        },
    )
    .await?;
    Ok(c)
}

/// Turns a channel on or off; `None` when there is no such channel.
pub async fn enable_channel(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    enabled: bool,
) -> Result<Option<ChannelRow>> {
    let before = sqlx::query("SELECT * FROM channels WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(before) = before.as_ref().map(channel).transpose()? else {
        return Ok(None);
    };
    let r = sqlx::query("UPDATE channels SET enabled = $1 WHERE id = $2 RETURNING *")
        .bind(i64::from(enabled))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let c = channel(&r)?;
    append(
        tx,
        actor,
        Change {
            action: if enabled {
                "channel.enable"
            } else {
                "channel.disable"
            },
            entity: "channel",
            entity_id: &c.id.to_string(),
            before: serde_json::to_string(&before).ok(),
            after: serde_json::to_string(&c).ok(),
            reason: "",
        },
    )
    .await?;
    Ok(Some(c))
}

/// A message waiting to be sent (or sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutRow {
    pub id: i64,
    /// `webhook` or `email`.
    pub kind: String,
    pub channel_id: Option<i64>,
    pub target: String,
    pub key: String,
    pub subject: String,
    pub payload: String,
    /// `queued`, `delivered` or `failed` (gave up after the last attempt).
    pub state: String,
    pub attempts: i64,
    pub next_at: String,
    pub last_error: String,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

fn out(r: &sqlx::any::AnyRow) -> Result<OutRow> {
    Ok(OutRow {
        id: get_i64(r, "id")?,
        kind: get_str(r, "kind")?,
        channel_id: sqlx::Row::try_get::<Option<i64>, _>(r, "channel_id")?,
        target: get_str(r, "target")?,
        key: get_str(r, "key")?,
        subject: get_str(r, "subject")?,
        payload: get_str(r, "payload")?,
        state: get_str(r, "state")?,
        attempts: get_i64(r, "attempts")?,
        next_at: get_str(r, "next_at")?,
        last_error: get_str(r, "last_error")?,
        created_at: get_str(r, "created_at")?,
        delivered_at: get_opt(r, "delivered_at")?,
    })
}

/// Queues a message; `false` when this destination has it already (same key).
#[allow(clippy::too_many_arguments)]
pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    channel_id: Option<i64>,
    target: &str,
    key: &str,
    subject: &str,
    payload: &str,
    at: &str,
) -> Result<bool> {
    let done = sqlx::query("INSERT INTO outbox (kind, channel_id, target, key, subject, payload, state, next_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $7) ON CONFLICT DO NOTHING")
        .bind(kind)
        .bind(channel_id)
        .bind(target)
        .bind(key)
        .bind(subject)
        .bind(payload)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Claims up to `n` queued messages due at `now` whose lease (if any) has run out, leasing them
/// until `lease_until` and counting the attempt.
pub async fn claim(store: &Store, now: &str, lease_until: &str, n: i64) -> Result<Vec<OutRow>> {
    let mut tx = store.write().await?;
    let rows = sqlx::query(
        "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 WHERE id IN \
         (SELECT id FROM outbox WHERE state = 'queued' AND next_at <= $2 AND (lease_until IS NULL OR lease_until < $2) ORDER BY id LIMIT $3) \
         RETURNING *",
    )
    .bind(lease_until)
    .bind(now)
    .bind(n)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut v: Vec<OutRow> = rows.iter().map(out).collect::<Result<_>>()?;
    v.sort_by_key(|o| o.id);
    Ok(v)
}

/// Records an attempt: delivered, or to try again at `retry_at` (`None`: give up).
/// The outcome of one attempt to send an outbox message.
pub struct Attempt<'a> {
    pub message: &'a OutRow,
    pub ok: bool,
    /// The HTTP status or SMTP reply code, when there was one.
    pub status: Option<i64>,
    pub detail: String,
    /// When to try again (a failure with attempts left); none: delivered, or given up.
    pub retry_at: Option<String>,
}

/// Records a batch of attempts in one transaction: each message delivered, queued again for
/// its retry time, or failed for good, and every attempt in the delivery log.
pub async fn attempted(store: &Store, attempts: &[Attempt<'_>]) -> Result<()> {
    if attempts.is_empty() {
        return Ok(());
    }
    let mut tx = store.write().await?;
    let at = now();
    // The delivered ones in one statement (the common case), the others one by one.
    let delivered: Vec<i64> = attempts
        .iter()
        .filter(|a| a.ok)
        .map(|a| a.message.id)
        .collect();
    for ids in delivered.chunks(500) {
        // `$2, $3, …` for the ids ($1 is the time): one statement for the batch.
        let list = (2..ids.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE outbox SET state = 'delivered', lease_until = NULL, last_error = '', delivered_at = $1 WHERE id IN ({list})"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&at);
        for id in ids {
            q = q.bind(*id);
        }
        q.execute(&mut *tx).await?;
    }
    for a in attempts.iter().filter(|a| !a.ok) {
        let o = a.message;
        sqlx::query("UPDATE outbox SET state = $1, next_at = $2, lease_until = NULL, last_error = $3 WHERE id = $4")
            .bind(if a.retry_at.is_some() { "queued" } else { "failed" })
            .bind(a.retry_at.as_deref().unwrap_or(&o.next_at))
            .bind(&a.detail)
            .bind(o.id)
            .execute(&mut *tx)
            .await?;
    }
    for chunk in attempts.chunks(500) {
        let rows = (0..chunk.len())
            .map(|r| {
                let b = r * 6;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO deliveries (outbox_id, at, attempt, ok, status, detail) VALUES {rows}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in chunk {
            q = q
                .bind(a.message.id)
                .bind(&at)
                .bind(a.message.attempts)
                .bind(i64::from(a.ok))
                .bind(a.status)
                .bind(&a.detail);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The newest messages (the delivery log's page), newest first; those of one key or one
/// state only when given.
pub async fn recent(
    store: &Store,
    key: Option<&str>,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<OutRow>> {
    let rows = sqlx::query(
        "SELECT * FROM outbox WHERE ($1 IS NULL OR key = $1) AND ($2 IS NULL OR state = $2) ORDER BY id DESC LIMIT $3",
    )
    .bind(key)
    .bind(state)
    .bind(limit)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(out).collect()
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryRow {
    pub id: i64,
    pub outbox_id: i64,
    pub at: String,
    pub attempt: i64,
    pub ok: bool,
    /// The HTTP status (webhooks) or SMTP reply code (e-mail), when there was one.
    pub status: Option<i64>,
    pub detail: String,
}

pub async fn deliveries(store: &Store, outbox_id: i64) -> Result<Vec<DeliveryRow>> {
    let rows = sqlx::query("SELECT * FROM deliveries WHERE outbox_id = $1 ORDER BY id")
        .bind(outbox_id)
        .fetch_all(&store.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryRow {
                id: get_i64(r, "id")?,
                outbox_id: get_i64(r, "outbox_id")?,
                at: get_str(r, "at")?,
                attempt: get_i64(r, "attempt")?,
                ok: get_i64(r, "ok")? != 0,
                status: sqlx::Row::try_get::<Option<i64>, _>(r, "status")?,
                detail: get_str(r, "detail")?,
            })
        })
        .collect()
}

/// How many messages are in each state.
pub async fn counts(store: &Store) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state ORDER BY state")
        .fetch_all(&store.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((get_str(r, "state")?, get_i64(r, "n")?)))
        .collect()
}
