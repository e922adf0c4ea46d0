//! Reported values and their review state. One row per (unit, element, period): a value is
//! collected once and serves every scheme that uses it. Every change checks the row's version
//! (optimistic locking): of two people acting at once, one wins and the other is told.

use crate::audit::{Actor, Change, ValueChange, append};
use crate::{Page, Result, Store, Tx, get_i64, get_str, now};
use serde::Serialize;
use sqlx::Row;
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
    /// When the value was first reported (submitted or beyond); `None` while a draft.
    pub reported_at: Option<String>,
}

/// A [`ValueRow`] borrowed: from the driver's row as it is read ([`each`]), or from a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueRef<'a> {
    pub id: i64,
    pub unit_code: &'a str,
    pub element: &'a str,
    pub period: &'a str,
    pub value: &'a str,
    pub note: &'a str,
    pub state: &'a str,
    pub return_reason: &'a str,
    pub version: i64,
    pub source: &'a str,
    pub updated_by: &'a str,
    pub updated_at: &'a str,
    pub reported_at: Option<&'a str>,
}

impl ValueRef<'_> {
    /// The row, owned.
    pub fn to_row(self) -> ValueRow {
        ValueRow {
            id: self.id,
            unit_code: self.unit_code.to_owned(),
            element: self.element.to_owned(),
            period: self.period.to_owned(),
            value: self.value.to_owned(),
            note: self.note.to_owned(),
            state: self.state.to_owned(),
            return_reason: self.return_reason.to_owned(),
            version: self.version,
            source: self.source.to_owned(),
            updated_by: self.updated_by.to_owned(),
            updated_at: self.updated_at.to_owned(),
            reported_at: self.reported_at.map(str::to_owned),
        }
    }
}

impl<'a> From<&'a ValueRow> for ValueRef<'a> {
    fn from(r: &'a ValueRow) -> ValueRef<'a> {
        ValueRef {
            id: r.id,
            unit_code: &r.unit_code,
            element: &r.element,
            period: &r.period,
            value: &r.value,
            note: &r.note,
            state: &r.state,
            return_reason: &r.return_reason,
            version: r.version,
            source: &r.source,
            updated_by: &r.updated_by,
            updated_at: &r.updated_at,
            reported_at: r.reported_at.as_deref(),
        }
    }
}

/// Whether a value in `state` counts as reported: submitted or further along.
pub fn is_reported(state: &str) -> bool {
    jixiao_core::workflow::ValueState::parse(state).is_some_and(|s| s.provisional())
}

fn reported_now(state: &str, at: &str) -> Option<String> {
    is_reported(state).then(|| at.to_owned())
}

fn value_row(r: &AnyRow) -> Result<ValueRow> {
    Ok(value_ref(r)?.to_row())
}

/// A row of `data_values` as it was read, borrowed from the driver's row.
fn value_ref(r: &AnyRow) -> Result<ValueRef<'_>> {
    Ok(ValueRef {
        id: r.try_get("id")?,
        unit_code: r.try_get("unit_code")?,
        element: r.try_get("element")?,
        period: r.try_get("period")?,
        value: r.try_get("value")?,
        note: r.try_get("note")?,
        state: r.try_get("state")?,
        return_reason: r.try_get("return_reason")?,
        version: r.try_get("version")?,
        source: r.try_get("source")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: r.try_get("updated_at")?,
        reported_at: r.try_get("reported_at")?,
    })
}

/// What an audit entry records of a value: its content and version. The fields in this order
/// give the same text the log has always held (an object's keys sorted), without building a
/// map per value (a million of them in an import).
#[derive(Serialize)]
struct Audited<'a> {
    note: &'a str,
    return_reason: &'a str,
    state: &'a str,
    value: &'a str,
    version: i64,
}

fn json(v: &ValueRow) -> String {
    serde_json::to_string(&Audited {
        note: &v.note,
        return_reason: &v.return_reason,
        state: &v.state,
        value: &v.value,
        version: v.version,
    })
    .unwrap_or_default()
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
    insert_as(tx, actor, k, c, "value.save", "").await
}

/// [`insert`], audited as `action` with `reason` (an appeal's correction of a value never
/// reported).
pub async fn insert_as(
    tx: &mut Tx,
    actor: &Actor,
    k: Key<'_>,
    c: Content<'_>,
    action: &str,
    reason: &str,
) -> Result<ValueRow> {
    let (unit, element, period, value, note, state) =
        (k.unit, k.element, k.period, c.value, c.note, c.state);
    let at = now();
    let row = sqlx::query("INSERT INTO data_values (unit_code, element, period, value, note, state, source, updated_by, updated_at, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *")
        .bind(unit)
        .bind(element)
        .bind(period)
        .bind(value)
        .bind(note)
        .bind(state)
        .bind(&actor.source)
        .bind(&actor.name)
        .bind(&at)
        .bind(reported_now(state, &at))
        .fetch_one(&mut **tx)
        .await?;
    let v = value_row(&row)?;
    append(
        tx,
        actor,
        Change {
            action,
            entity: "value",
            entity_id: &key(&v),
            before: None,
            after: Some(json(&v)),
            reason,
        },
    )
    .await?;
    Ok(v)
}

/// Rows per bulk INSERT statement.
const INSERT_CHUNK: usize = 5000;

/// Inserts many new values (none may exist yet), audited by batch ([`crate::audit::append_values`]:
/// each value's change as [`insert`] would record it, committed to by one entry per batch): what
/// a bulk import of a new period writes. Each statement carries its rows as one JSON array that
/// the database unpacks (`json_each` on SQLite, `json_array_elements` on PostgreSQL): binding
/// nine parameters per row through the driver cost more than the inserts themselves.
pub async fn insert_many(
    tx: &mut Tx,
    actor: &Actor,
    rows: &[(Key<'_>, Content<'_>)],
) -> Result<Vec<ValueRow>> {
    insert_many_as(tx, actor, rows, "value.save", "").await
}

/// [`insert_many`] audited as `action` with `reason` (the office's import counted at once).
pub async fn insert_many_as(
    tx: &mut Tx,
    actor: &Actor,
    rows: &[(Key<'_>, Content<'_>)],
    action: &str,
    reason: &str,
) -> Result<Vec<ValueRow>> {
    let mut out = Vec::with_capacity(rows.len());
    let at = now();
    let postgres = tx.backend_name() == "PostgreSQL";
    for chunk in rows.chunks(INSERT_CHUNK) {
        let array = crate::json_text(
            "data_values",
            &chunk
                .iter()
                .map(|(k, c)| {
                    (
                        k.unit,
                        k.element,
                        k.period,
                        c.value,
                        c.note,
                        c.state,
                        is_reported(c.state).then_some(at.as_str()),
                    )
                })
                .collect::<Vec<_>>(),
        )?;
        let made = |i: usize, id: i64| {
            let (k, c) = &chunk[i];
            ValueRow {
                id,
                unit_code: k.unit.to_owned(),
                element: k.element.to_owned(),
                period: k.period.to_owned(),
                value: c.value.to_owned(),
                note: c.note.to_owned(),
                state: c.state.to_owned(),
                return_reason: String::new(),
                version: 1,
                source: actor.source.clone(),
                updated_by: actor.name.clone(),
                updated_at: at.clone(),
                reported_at: reported_now(c.state, &at),
            }
        };
        if postgres {
            // Only each new row's id and key come back (the rest is what was sent): decoding
            // every column of a million rows cost more than inserting them.
            let q = sqlx::query("INSERT INTO data_values (unit_code, element, period, value, note, state, source, updated_by, updated_at, reported_at) SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, $2, $3, $4, r->>6 FROM json_array_elements($1::text::json) WITH ORDINALITY AS t(r, i) ORDER BY i RETURNING id, unit_code, element, period")
                .bind(&array)
                .bind(&actor.source)
                .bind(&actor.name)
                .bind(&at);
            let back = q.fetch_all(&mut **tx).await?;
            let mut ids = std::collections::HashMap::with_capacity(back.len());
            for r in &back {
                ids.insert(
                    (
                        get_str(r, "unit_code")?,
                        get_str(r, "element")?,
                        get_str(r, "period")?,
                    ),
                    get_i64(r, "id")?,
                );
            }
            for (i, (k, _)) in chunk.iter().enumerate() {
                let id = ids
                    .get(&(k.unit.to_owned(), k.element.to_owned(), k.period.to_owned()))
                    .copied()
                    .ok_or_else(|| crate::StoreError::Corrupt {
                        table: "data_values",
                        what: format!(
                            "bulk insert did not return the row of {}/{}/{}",
                            k.unit, k.element, k.period
                        ),
                    })?;
                out.push(made(i, id));
            }
            continue;
        }
        // On SQLite the rows are not sent back: its driver hands each returned row from its
        // worker thread to the caller's on its own, and a million rows ping-ponging between
        // threads cost more than the inserts. This transaction is SQLite's only writer, so the
        // new rows take the ids after the largest one, in order (checked below).
        let last: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) AS m FROM data_values")
            .fetch_one(&mut **tx)
            .await
            .and_then(|r| sqlx::Row::try_get(&r, "m"))?;
        sqlx::query("INSERT INTO data_values (unit_code, element, period, value, note, state, source, updated_by, updated_at, reported_at) SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, $2, $3, $4, value->>6 FROM json_each($1) ORDER BY key")
            .bind(&array)
            .bind(&actor.source)
            .bind(&actor.name)
            .bind(&at)
            .execute(&mut **tx)
            .await?;
        let (count, first): (i64, i64) = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(MIN(id), 0) AS f FROM data_values WHERE id > $1",
        )
        .bind(last)
        .fetch_one(&mut **tx)
        .await
        .and_then(|r| Ok((sqlx::Row::try_get(&r, "n")?, sqlx::Row::try_get(&r, "f")?)))?;
        if count != chunk.len() as i64 || first != last + 1 {
            return Err(crate::StoreError::Corrupt {
                table: "data_values",
                what: format!(
                    "bulk insert expected ids {}..={} and found {count} rows from {first}",
                    last + 1,
                    last + chunk.len() as i64
                ),
            });
        }
        out.extend((0..chunk.len()).map(|i| made(i, last + 1 + i as i64)));
    }
    let changes: Vec<ValueChange> = out
        .iter()
        .map(|v| ValueChange {
            key: key(v),
            before: None,
            after: Some(json(v)),
        })
        .collect();
    crate::audit::append_values(tx, actor, action, reason, &changes).await?;
    Ok(out)
}

/// Changes many values at once, each only if still at its `before.version`, audited by batch as
/// [`insert_many_as`] is (each change recorded as [`update_as`] would record it, with `reason`):
/// what an import over stored values writes. [`Raced`] when any of them was changed by someone
/// else first — nothing is then to be kept (the caller rolls the transaction back).
pub async fn update_many_as(
    tx: &mut Tx,
    actor: &Actor,
    changes: &[(&ValueRow, Content<'_>)],
    action: &str,
    reason: &str,
) -> Result<std::result::Result<Vec<ValueRow>, Raced>> {
    let at = now();
    let postgres = tx.backend_name() == "PostgreSQL";
    let sql = if postgres {
        "UPDATE data_values AS d SET value = r->>2, note = r->>3, state = r->>4, return_reason = r->>5, version = d.version + 1, source = $2, updated_by = $3, updated_at = $4, reported_at = COALESCE(d.reported_at, r->>6) FROM json_array_elements($1::text::json) AS t(r) WHERE d.id = (r->>0)::bigint AND d.version = (r->>1)::bigint"
    } else {
        "UPDATE data_values SET value = j.value->>2, note = j.value->>3, state = j.value->>4, return_reason = j.value->>5, version = data_values.version + 1, source = $2, updated_by = $3, updated_at = $4, reported_at = COALESCE(data_values.reported_at, j.value->>6) FROM json_each($1) AS j WHERE data_values.id = j.value->>0 AND data_values.version = j.value->>1"
    };
    let mut out = Vec::with_capacity(changes.len());
    for chunk in changes.chunks(INSERT_CHUNK) {
        let array = crate::json_text(
            "data_values",
            &chunk
                .iter()
                .map(|(b, c)| {
                    (
                        b.id,
                        b.version,
                        c.value,
                        c.note,
                        c.state,
                        c.return_reason,
                        is_reported(c.state).then_some(at.as_str()),
                    )
                })
                .collect::<Vec<_>>(),
        )?;
        // First, which value (if any) is no longer at the version read: on SQLite this
        // transaction holds the write lock, so what it finds stands; on PostgreSQL a change
        // committed in between is still caught by the update's own version check below.
        let stale = if postgres {
            "SELECT (r->>0)::bigint AS id FROM json_array_elements($1::text::json) AS t(r) LEFT JOIN data_values d ON d.id = (r->>0)::bigint AND d.version = (r->>1)::bigint WHERE d.id IS NULL LIMIT 1"
        } else {
            "SELECT j.value->>0 AS id FROM json_each($1) AS j LEFT JOIN data_values d ON d.id = j.value->>0 AND d.version = j.value->>1 WHERE d.id IS NULL LIMIT 1"
        };
        if let Some(r) = sqlx::query(stale)
            .bind(&array)
            .fetch_optional(&mut **tx)
            .await?
        {
            return Ok(Err(Raced {
                id: Some(get_i64(&r, "id")?),
            }));
        }
        let done = sqlx::query(sql)
            .bind(&array)
            .bind(&actor.source)
            .bind(&actor.name)
            .bind(&at)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if done != chunk.len() as u64 {
            return Ok(Err(Raced { id: None }));
        }
        out.extend(chunk.iter().map(|(b, c)| ValueRow {
            value: c.value.to_owned(),
            note: c.note.to_owned(),
            state: c.state.to_owned(),
            return_reason: c.return_reason.to_owned(),
            version: b.version + 1,
            source: actor.source.clone(),
            updated_by: actor.name.clone(),
            updated_at: at.clone(),
            reported_at: b.reported_at.clone().or_else(|| reported_now(c.state, &at)),
            ..(*b).clone()
        }));
    }
    let audited: Vec<ValueChange> = changes
        .iter()
        .zip(&out)
        .map(|((b, _), a)| ValueChange {
            key: key(a),
            before: Some(json(b)),
            after: Some(json(a)),
        })
        .collect();
    crate::audit::append_values(tx, actor, action, reason, &audited).await?;
    Ok(Ok(out))
}

/// Someone changed a value first: which one (its id), found by checking every version before
/// writing; `None` only when, on PostgreSQL, a change was committed between that check and the
/// write (the write's own version check still stops it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raced {
    pub id: Option<i64>,
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
    let reason = c.return_reason;
    update_as(tx, actor, before, action, c, reason).await
}

/// [`update`] audited with `reason` (the return reason is the content's own).
pub async fn update_as(
    tx: &mut Tx,
    actor: &Actor,
    before: &ValueRow,
    action: &str,
    c: Content<'_>,
    reason: &str,
) -> Result<Option<ValueRow>> {
    let (value, note, state, return_reason) = (c.value, c.note, c.state, c.return_reason);
    let at = now();
    let row = sqlx::query("UPDATE data_values SET value = $1, note = $2, state = $3, return_reason = $4, version = version + 1, source = $5, updated_by = $6, updated_at = $7, reported_at = COALESCE(reported_at, $10) WHERE id = $8 AND version = $9 RETURNING *")
        .bind(value)
        .bind(note)
        .bind(state)
        .bind(return_reason)
        .bind(&actor.source)
        .bind(&actor.name)
        .bind(&at)
        .bind(before.id)
        .bind(before.version)
        .bind(reported_now(state, &at))
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
            reason,
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

/// Every stored value, handed to `f` one at a time as it is read, borrowing the driver's row:
/// a million values are never all in memory at once, neither as the driver's rows nor as
/// [`ValueRow`]s, and no text is copied on the way (the server's start keeps them compactly).
pub async fn each(store: &Store, mut f: impl FnMut(ValueRef<'_>)) -> Result<()> {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::query("SELECT * FROM data_values ORDER BY id").fetch(&store.pool);
    while let Some(r) = rows.try_next().await? {
        f(value_ref(&r)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit's text of a value is what `serde_json::json!` made of it before (keys sorted):
    /// entries written now read like the ones already in the log.
    #[test]
    fn audited_text_is_unchanged() {
        let v = ValueRow {
            id: 1,
            unit_code: "QLY".into(),
            element: "cert".into(),
            period: "2025Q1".into(),
            value: "12.50".into(),
            note: "含\"引号\"".into(),
            state: "returned".into(),
            return_reason: "重报".into(),
            version: 3,
            source: "web".into(),
            updated_by: "x".into(),
            updated_at: "t".into(),
            reported_at: None,
        };
        let before = serde_json::json!({"value": v.value, "note": v.note, "state": v.state, "return_reason": v.return_reason, "version": v.version}).to_string();
        assert_eq!(json(&v), before);
    }
}
