//! Machine feeds: definitions (audited), events stored once per (feed, sender's event id),
//! rejections and counters for the feed's health, and running totals per element, unit and
//! period.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str, now};
use jixiao_core::Decimal;
use jixiao_core::feed::{Event, Tally};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedRow {
    pub code: String,
    /// The definition as JSON ([`jixiao_core::feed::FeedDef`]).
    pub definition: String,
    pub updated_by: String,
    pub updated_at: String,
}

fn feed_row(r: &AnyRow) -> Result<FeedRow> {
    Ok(FeedRow {
        code: get_str(r, "code")?,
        definition: get_str(r, "definition")?,
        updated_by: get_str(r, "updated_by")?,
        updated_at: get_str(r, "updated_at")?,
    })
}

pub async fn list(store: &Store) -> Result<Vec<FeedRow>> {
    let rows = sqlx::query("SELECT * FROM feeds ORDER BY code")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(feed_row).collect()
}

pub async fn get(store: &Store, code: &str) -> Result<Option<FeedRow>> {
    get_in(&mut *store.read().await?, code).await
}

/// [`get`] on a connection the caller holds.
pub async fn get_in(conn: &mut sqlx::AnyConnection, code: &str) -> Result<Option<FeedRow>> {
    let r = sqlx::query("SELECT * FROM feeds WHERE code = $1")
        .bind(code)
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(feed_row).transpose()
}

/// Creates or replaces a feed's definition. `false` when it was already exactly this.
pub async fn define(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    definition: &str,
    reason: &str,
) -> Result<bool> {
    let before: Option<String> = sqlx::query("SELECT definition FROM feeds WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| get_str(&r, "definition"))
        .transpose()?;
    if before.as_deref() == Some(definition) {
        return Ok(false);
    }
    sqlx::query("INSERT INTO feeds (code, definition, updated_by, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO UPDATE SET definition = excluded.definition, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
        .bind(code)
        .bind(definition)
        .bind(&actor.name)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    append(
        tx,
        actor,
        Change {
            action: "feed.define",
            entity: "feed",
            entity_id: code,
            before,
            after: Some(definition.to_owned()),
            reason,
        },
    )
    .await?;
    Ok(true)
}

/// What storing an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    /// The same event again: nothing changed.
    Replay,
    /// The id was used before for a different event.
    Conflict,
}

/// Stores an event unless its id is already stored for the feed.
pub async fn store_event(
    tx: &mut Tx,
    feed: &str,
    e: &Event,
    received_by: &str,
    received_at: &str,
) -> Result<Stored> {
    let canonical = e.canonical();
    let digest = crate::sha256_hex(canonical.as_bytes());
    let data = serde_json::Value::Object(e.data.clone()).to_string();
    let inserted = sqlx::query("INSERT INTO feed_events (feed, event_id, unit_code, at, utc, day, data, digest, received_by, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (feed, event_id) DO NOTHING RETURNING id")
        .bind(feed)
        .bind(&e.id)
        .bind(&e.unit)
        .bind(&e.at)
        .bind(&e.utc)
        .bind(&e.day)
        .bind(&data)
        .bind(&digest)
        .bind(received_by)
        .bind(received_at)
        .fetch_optional(&mut **tx)
        .await?;
    if inserted.is_some() {
        return Ok(Stored::New);
    }
    let stored: String =
        sqlx::query("SELECT digest FROM feed_events WHERE feed = $1 AND event_id = $2")
            .bind(feed)
            .bind(&e.id)
            .fetch_one(&mut **tx)
            .await
            .and_then(|r| sqlx::Row::try_get(&r, "digest"))?;
    Ok(if stored == digest {
        Stored::Replay
    } else {
        Stored::Conflict
    })
}

/// A unit's events of a feed on the days `from..=to` (`YYYY-MM-DD`).
pub async fn events_between(
    conn: &mut sqlx::AnyConnection,
    feed: &str,
    unit: &str,
    from: &str,
    to: &str,
) -> Result<Vec<Event>> {
    let rows = sqlx::query("SELECT event_id, unit_code, at, utc, day, data FROM feed_events WHERE feed = $1 AND unit_code = $2 AND day >= $3 AND day <= $4")
        .bind(feed)
        .bind(unit)
        .bind(from)
        .bind(to)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            let data: String = get_str(r, "data")?;
            Ok(Event {
                id: get_str(r, "event_id")?,
                unit: get_str(r, "unit_code")?,
                at: get_str(r, "at")?,
                utc: get_str(r, "utc")?,
                day: get_str(r, "day")?,
                data: serde_json::from_str(&data).unwrap_or_default(),
            })
        })
        .collect()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

/// The running totals of an element, unit and period, with the spec (JSON) they were made for
/// (empty for totals never made), locked until the transaction ends: a no-op upsert takes the
/// row lock on PostgreSQL (waiting for any writer of the same totals to commit, then reading
/// what it committed), and SQLite has one writer at a time anyway.
pub async fn lock_tally(
    tx: &mut Tx,
    element: &str,
    unit: &str,
    period: &str,
) -> Result<(String, Tally)> {
    let r = sqlx::query("INSERT INTO feed_tallies (element, unit_code, period, spec, n, total, under_n) VALUES ($1, $2, $3, '', 0, '0', 0) ON CONFLICT (element, unit_code, period) DO UPDATE SET n = feed_tallies.n RETURNING *")
        .bind(element)
        .bind(unit)
        .bind(period)
        .fetch_one(&mut **tx)
        .await?;
    let latest = match (
        get_opt(&r, "latest_utc")?,
        get_opt(&r, "latest_id")?,
        get_opt(&r, "latest")?,
    ) {
        (Some(t), Some(id), Some(v)) => Some((t, id, dec(&v))),
        _ => None,
    };
    Ok((
        get_str(&r, "spec")?,
        Tally {
            n: get_i64(&r, "n")?,
            total: dec(&get_str(&r, "total")?),
            under: get_i64(&r, "under_n")?,
            latest,
        },
    ))
}

pub async fn put_tally(
    tx: &mut Tx,
    element: &str,
    unit: &str,
    period: &str,
    spec: &str,
    t: &Tally,
) -> Result<()> {
    let (lt, lid, lv) = match &t.latest {
        Some((a, b, c)) => (Some(a.as_str()), Some(b.as_str()), Some(c.to_string())),
        None => (None, None, None),
    };
    sqlx::query("INSERT INTO feed_tallies (element, unit_code, period, spec, n, total, under_n, latest_utc, latest_id, latest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (element, unit_code, period) DO UPDATE SET spec = excluded.spec, n = excluded.n, total = excluded.total, under_n = excluded.under_n, latest_utc = excluded.latest_utc, latest_id = excluded.latest_id, latest = excluded.latest")
        .bind(element)
        .bind(unit)
        .bind(period)
        .bind(spec)
        .bind(t.n)
        .bind(t.total.to_string())
        .bind(t.under)
        .bind(lt)
        .bind(lid)
        .bind(lv)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Adds to a feed's counters.
pub async fn count(
    conn: &mut sqlx::AnyConnection,
    feed: &str,
    accepted: i64,
    replayed: i64,
    rejected: i64,
    last_event_utc: Option<&str>,
) -> Result<()> {
    sqlx::query("INSERT INTO feed_stats (feed, accepted, replayed, rejected, last_received_at, last_event_utc) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (feed) DO UPDATE SET accepted = feed_stats.accepted + excluded.accepted, replayed = feed_stats.replayed + excluded.replayed, rejected = feed_stats.rejected + excluded.rejected, last_received_at = excluded.last_received_at, last_event_utc = CASE WHEN feed_stats.last_event_utc IS NULL OR excluded.last_event_utc > feed_stats.last_event_utc THEN excluded.last_event_utc ELSE feed_stats.last_event_utc END")
        .bind(feed)
        .bind(accepted)
        .bind(replayed)
        .bind(rejected)
        .bind(now())
        .bind(last_event_utc)
        .execute(conn)
        .await?;
    Ok(())
}

/// One turned-away event's problem, for the health page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rejection {
    pub event_id: String,
    pub path: String,
    pub message_zh: String,
    pub message_en: String,
    pub received_by: String,
    pub received_at: String,
}

/// Records a post that was turned away (nothing of it was stored): its problems and the
/// count of events in it.
pub async fn reject(store: &Store, feed: &str, events: i64, problems: &[Rejection]) -> Result<()> {
    let mut tx = store.write().await?;
    for p in problems {
        sqlx::query("INSERT INTO feed_rejections (feed, event_id, path, message_zh, message_en, received_by, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(feed)
            .bind(&p.event_id)
            .bind(&p.path)
            .bind(&p.message_zh)
            .bind(&p.message_en)
            .bind(&p.received_by)
            .bind(&p.received_at)
            .execute(&mut *tx)
            .await?;
    }
    count(&mut tx, feed, 0, 0, events, None).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn recent_rejections(store: &Store, feed: &str, limit: i64) -> Result<Vec<Rejection>> {
    let rows =
        sqlx::query("SELECT * FROM feed_rejections WHERE feed = $1 ORDER BY id DESC LIMIT $2")
            .bind(feed)
            .bind(limit)
            .fetch_all(&store.pool)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Rejection {
                event_id: get_str(r, "event_id")?,
                path: get_str(r, "path")?,
                message_zh: get_str(r, "message_zh")?,
                message_en: get_str(r, "message_en")?,
                received_by: get_str(r, "received_by")?,
                received_at: get_str(r, "received_at")?,
            })
        })
        .collect()
}

/// A feed's counters since it began, and over the last seven days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = FeedHealth))]
pub struct Health {
    pub accepted: i64,
    pub replayed: i64,
    /// Events in posts that were turned away.
    pub rejected: i64,
    /// When the feed last posted anything.
    pub last_received_at: Option<String>,
    /// The time of the newest event (UTC).
    pub last_event_at: Option<String>,
    pub accepted_7d: i64,
    /// Problems recorded in the last seven days.
    pub problems_7d: i64,
}

pub async fn health(store: &Store, feed: &str) -> Result<Health> {
    health_in(&mut *store.read().await?, feed).await
}

/// [`health`] on a connection the caller holds.
pub async fn health_in(conn: &mut sqlx::AnyConnection, feed: &str) -> Result<Health> {
    let mut h = Health::default();
    if let Some(r) = sqlx::query("SELECT * FROM feed_stats WHERE feed = $1")
        .bind(feed)
        .fetch_optional(&mut *conn)
        .await?
    {
        h.accepted = get_i64(&r, "accepted")?;
        h.replayed = get_i64(&r, "replayed")?;
        h.rejected = get_i64(&r, "rejected")?;
        h.last_received_at = get_opt(&r, "last_received_at")?;
        h.last_event_at = get_opt(&r, "last_event_utc")?;
    }
    let since = crate::in_seconds(-7 * 24 * 3600);
    h.accepted_7d =
        sqlx::query("SELECT COUNT(*) AS n FROM feed_events WHERE feed = $1 AND received_at >= $2")
            .bind(feed)
            .bind(&since)
            .fetch_one(&mut *conn)
            .await
            .and_then(|r| sqlx::Row::try_get(&r, "n"))?;
    h.problems_7d = sqlx::query(
        "SELECT COUNT(*) AS n FROM feed_rejections WHERE feed = $1 AND received_at >= $2",
    )
    .bind(feed)
    .bind(&since)
    .fetch_one(&mut *conn)
    .await
    .and_then(|r| sqlx::Row::try_get(&r, "n"))?;
    Ok(h)
}

/// How many events a feed has stored (tests and benchmarks compare it).
pub async fn event_count(store: &Store, feed: &str) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM feed_events WHERE feed = $1")
            .bind(feed)
            .fetch_one(&store.pool)
            .await
            .and_then(|r| sqlx::Row::try_get(&r, "n"))?,
    )
}
