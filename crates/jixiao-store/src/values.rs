//! Reported values and their review state. One row per (unit, element, period): a value is
//! collected once and serves every scheme that uses it. Every change checks the row's version
//! (optimistic locking): of two people acting at once, one wins and the other is told.

use crate::audit::{Actor, Change, append};
use crate::{Page, Result, Store, Tx, get_i64, get_str, now};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueRow {
    pub id: i64,
    pub unit_code: String,
    pub element: String,
    pub period: String,
    /// Exact decimal as text.
    pub value: String,
    pub note: String,
    pub state: String,
    pub return_reason: String,
    pub version: i64,
    /// `web`, `api`, `import`, `feed`.
    pub source: String,
    pub updated_by: String,
    pub updated_at: String,
}

fn value_row(r: &AnyRow) -> Result<ValueRow> {
    Ok(ValueRow {
        id: get_i64(r, "id")?,
        unit_code: get_str(r, "unit_code")?,
        element: get_str(r, "element")?,
        period: get_str(r, "period")?,
        value: get_str(r, "value")?,
        note: get_str(r, "note")?,
        state: get_str(r, "state")?,
        return_reason: get_str(r, "return_reason")?,
        version: get_i64(r, "version")?,
        source: get_str(r, "source")?,
        updated_by: get_str(r, "updated_by")?,
        updated_at: get_str(r, "updated_at")?,
    })
}

fn json(v: &ValueRow) -> String {
    serde_json::json!({"value": v.value, "note": v.note, "state": v.state, "return_reason": v.return_reason, "version": v.version}).to_string()
}

fn key(v: &ValueRow) -> String {
    format!("{}/{}/{}", v.unit_code, v.element, v.period)
}

pub async fn get(
    conn: &mut sqlx::AnyConnection,
    unit: &str,
    element: &str,
    period: &str,
) -> Result<Option<ValueRow>> {
    let row = sqlx::query(
        "SELECT * FROM data_values WHERE unit_code = $1 AND element = $2 AND period = $3",
    )
    .bind(unit)
    .bind(element)
    .bind(period)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(value_row).transpose()
}

pub async fn by_id(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Option<ValueRow>> {
    let row = sqlx::query("SELECT * FROM data_values WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(value_row).transpose()
}

/// A new value, as a draft (or in `state` for trusted sources such as imports by the office).
/// What a value row holds besides its key.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub value: &'a str,
    pub note: &'a str,
    pub state: &'a str,
    pub return_reason: &'a str,
}

/// A value's key: which unit, element and period.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    pub unit: &'a str,
    pub element: &'a str,
    pub period: &'a str,
}

pub async fn insert(tx: &mut Tx, actor: &Actor, k: Key<'_>, c: Content<'_>) -> Result<ValueRow> {
    let (unit, element, period, value, note, state) =
        (k.unit, k.element, k.period, c.value, c.note, c.state);
    let row = sqlx::query("INSERT INTO data_values (unit_code, element, period, value, note, state, source, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *")
        .bind(unit)
        .bind(element)
        .bind(period)
        .bind(value)
        .bind(note)
        .bind(state)
        .bind(&actor.source)
        .bind(&actor.name)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?;
    let v = value_row(&row)?;
    append(
        tx,
        actor,
        Change {
            action: "value.save",
            entity: "value",
            entity_id: &key(&v),
            before: None,
            after: Some(json(&v)),
            reason: "",
        },
    )
    .await?;
    Ok(v)
}

/// Changes the number, note and state if the row is still at `before.version`. `None` when
/// someone else changed it first.
pub async fn update(
    tx: &mut Tx,
    actor: &Actor,
    before: &ValueRow,
    action: &str,
    c: Content<'_>,
) -> Result<Option<ValueRow>> {
    let (value, note, state, return_reason) = (c.value, c.note, c.state, c.return_reason);
    let row = sqlx::query("UPDATE data_values SET value = $1, note = $2, state = $3, return_reason = $4, version = version + 1, source = $5, updated_by = $6, updated_at = $7 WHERE id = $8 AND version = $9 RETURNING *")
        .bind(value)
        .bind(note)
        .bind(state)
        .bind(return_reason)
        .bind(&actor.source)
        .bind(&actor.name)
        .bind(now())
        .bind(before.id)
        .bind(before.version)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let after = value_row(&row)?;
    append(
        tx,
        actor,
        Change {
            action,
            entity: "value",
            entity_id: &key(&after),
            before: Some(json(before)),
            after: Some(json(&after)),
            reason: return_reason,
        },
    )
    .await?;
    Ok(Some(after))
}

/// Filters for listing values; empty strings match everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub unit: String,
    /// One element, or several separated by commas.
    pub element: String,
    pub period: String,
    pub state: String,
    /// Only units in the subtree under this unit (a user's scope); empty: everywhere.
    pub root: String,
}

pub async fn list(store: &Store, f: &Filter, page: Page) -> Result<(i64, Vec<ValueRow>)> {
    const COUNT: &str = "WITH RECURSIVE sub(code) AS (SELECT code FROM units WHERE code = $5 UNION ALL SELECT u.code FROM units u JOIN sub ON u.parent_code = sub.code) SELECT COUNT(*) AS n FROM data_values WHERE ($1 = '' OR unit_code = $1) AND ($2 = '' OR element = $2 OR (',' || $2 || ',') LIKE ('%,' || element || ',%')) AND ($3 = '' OR period = $3) AND ($4 = '' OR state = $4) AND ($5 = '' OR unit_code IN (SELECT code FROM sub))";
    const ROWS: &str = "WITH RECURSIVE sub(code) AS (SELECT code FROM units WHERE code = $5 UNION ALL SELECT u.code FROM units u JOIN sub ON u.parent_code = sub.code) SELECT * FROM data_values WHERE ($1 = '' OR unit_code = $1) AND ($2 = '' OR element = $2 OR (',' || $2 || ',') LIKE ('%,' || element || ',%')) AND ($3 = '' OR period = $3) AND ($4 = '' OR state = $4) AND ($5 = '' OR unit_code IN (SELECT code FROM sub)) ORDER BY period, unit_code, element LIMIT $6 OFFSET $7";
    let n = sqlx::query(COUNT)
        .bind(&f.unit)
        .bind(&f.element)
        .bind(&f.period)
        .bind(&f.state)
        .bind(&f.root)
        .fetch_one(&store.pool)
        .await?;
    let rows = sqlx::query(ROWS)
        .bind(&f.unit)
        .bind(&f.element)
        .bind(&f.period)
        .bind(&f.state)
        .bind(&f.root)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&store.pool)
        .await?;
    Ok((
        get_i64(&n, "n")?,
        rows.iter().map(value_row).collect::<Result<_>>()?,
    ))
}

/// Every value (any state), for building the live results.
pub async fn all(store: &Store) -> Result<Vec<ValueRow>> {
    let rows = sqlx::query("SELECT * FROM data_values ORDER BY id")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(value_row).collect()
}
