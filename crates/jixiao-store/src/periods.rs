//! Reporting periods of a scheme: deadlines, and closing (which locks every value of the
//! period until the office reopens it, with a reason).

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodRow {
    pub id: i64,
    pub scheme_code: String,
    pub period: String,
    /// RFC 3339; values not submitted by then are overdue.
    pub deadline: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    /// Whether verified values count at once (otherwise the office counts them).
    pub auto_count: bool,
    pub version: i64,
}

fn period_row(r: &AnyRow) -> Result<PeriodRow> {
    Ok(PeriodRow {
        id: get_i64(r, "id")?,
        scheme_code: get_str(r, "scheme_code")?,
        period: get_str(r, "period")?,
        deadline: get_opt(r, "deadline")?,
        status: get_str(r, "status")?,
        auto_count: get_i64(r, "auto_count")? != 0,
        version: get_i64(r, "version")?,
    })
}

fn json(p: &PeriodRow) -> String {
    serde_json::to_string(p).unwrap_or_default()
}

pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    scheme: &str,
    period: &str,
    deadline: Option<&str>,
    auto_count: bool,
) -> Result<PeriodRow> {
    let row = sqlx::query("INSERT INTO periods (scheme_code, period, deadline, status, auto_count) VALUES ($1, $2, $3, 'open', $4) RETURNING *")
        .bind(scheme)
        .bind(period)
        .bind(deadline)
        .bind(i64::from(auto_count))
        .fetch_one(&mut **tx)
        .await?;
    let p = period_row(&row)?;
    let id = format!("{scheme}/{period}");
    append(
        tx,
        actor,
        Change {
            action: "period.create",
            entity: "period",
            entity_id: &id,
            before: None,
            after: Some(json(&p)),
            reason: "",
        },
    )
    .await?;
    Ok(p)
}

pub async fn get(
    conn: &mut sqlx::AnyConnection,
    scheme: &str,
    period: &str,
) -> Result<Option<PeriodRow>> {
    let row = sqlx::query("SELECT * FROM periods WHERE scheme_code = $1 AND period = $2")
        .bind(scheme)
        .bind(period)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(period_row).transpose()
}

pub async fn list(store: &Store) -> Result<Vec<PeriodRow>> {
    let rows = sqlx::query("SELECT * FROM periods ORDER BY scheme_code, period")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(period_row).collect()
}

/// Sets status (`open`/`closed`) and deadline if the version is still `expected`.
pub async fn update(
    tx: &mut Tx,
    actor: &Actor,
    before: &PeriodRow,
    status: &str,
    deadline: Option<&str>,
    auto_count: bool,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query("UPDATE periods SET status = $1, deadline = $2, auto_count = $3, version = version + 1 WHERE id = $4 AND version = $5")
        .bind(status)
        .bind(deadline)
        .bind(i64::from(auto_count))
        .bind(before.id)
        .bind(before.version)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1;
    if done {
        let after = PeriodRow {
            status: status.into(),
            deadline: deadline.map(str::to_owned),
            auto_count,
            version: before.version + 1,
            ..before.clone()
        };
        let action = match (before.status.as_str(), status) {
            ("open", "closed") => "period.close",
            ("closed", "open") => "period.reopen",
            _ => "period.update",
        };
        let id = format!("{}/{}", before.scheme_code, before.period);
        append(
            tx,
            actor,
            Change {
                action,
                entity: "period",
                entity_id: &id,
                before: Some(json(before)),
                after: Some(json(&after)),
                reason,
            },
        )
        .await?;
    }
    Ok(done)
}

/// The closed periods (scheme, period), read in the writing transaction so a value is never
/// written into a period closed a moment ago. On PostgreSQL the rows are read `FOR SHARE`: a
/// close waits for writers that read them, and a writer waits for a close in progress (then
/// reads it closed); on SQLite writers are serialised anyway.
pub async fn closed(tx: &mut Tx) -> Result<Vec<(String, String)>> {
    let sql = if tx.backend_name() == "PostgreSQL" {
        "SELECT scheme_code, period, status FROM periods ORDER BY id FOR SHARE"
    } else {
        "SELECT scheme_code, period, status FROM periods ORDER BY id"
    };
    let rows = sqlx::query(sql).fetch_all(&mut **tx).await?;
    let mut out = Vec::new();
    for r in &rows {
        if crate::get_str(r, "status")? == "closed" {
            out.push((
                crate::get_str(r, "scheme_code")?,
                crate::get_str(r, "period")?,
            ));
        }
    }
    Ok(out)
}
