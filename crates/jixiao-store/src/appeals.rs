//! Appeals (申诉/复核) against a published indicator score: filed by the unit with a reason
//! and evidence, upheld or rejected by the office with a reason.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str, now};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppealRow {
    pub id: i64,
    pub publication_id: i64,
    pub unit_code: String,
    pub indicator: String,
    pub reason: String,
    /// `open`, `upheld` or `rejected`.
    pub status: String,
    pub resolution: String,
    pub filed_by: String,
    pub filed_at: String,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    /// The publication an upheld appeal led to.
    pub republication_id: Option<i64>,
    pub version: i64,
}

fn row(r: &sqlx::any::AnyRow) -> Result<AppealRow> {
    Ok(AppealRow {
        id: get_i64(r, "id")?,
        publication_id: get_i64(r, "publication_id")?,
        unit_code: get_str(r, "unit_code")?,
        indicator: get_str(r, "indicator")?,
        reason: get_str(r, "reason")?,
        status: get_str(r, "status")?,
        resolution: get_str(r, "resolution")?,
        filed_by: get_str(r, "filed_by")?,
        filed_at: get_str(r, "filed_at")?,
        resolved_by: get_opt(r, "resolved_by")?,
        resolved_at: get_opt(r, "resolved_at")?,
        republication_id: sqlx::Row::try_get::<Option<i64>, _>(r, "republication_id")?,
        version: get_i64(r, "version")?,
    })
}

fn json(a: &AppealRow) -> String {
    serde_json::to_string(a).unwrap_or_default()
}

pub async fn file(
    tx: &mut Tx,
    actor: &Actor,
    publication_id: i64,
    unit: &str,
    indicator: &str,
    reason: &str,
) -> Result<AppealRow> {
    let r = sqlx::query("INSERT INTO appeals (publication_id, unit_code, indicator, reason, filed_by, filed_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *")
        .bind(publication_id)
        .bind(unit)
        .bind(indicator)
        .bind(reason)
        .bind(&actor.name)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?;
    let a = row(&r)?;
    append(
        tx,
        actor,
        Change {
            action: "appeal.file",
            entity: "appeal",
            entity_id: &a.id.to_string(),
            before: None,
            after: Some(json(&a)),
            reason,
        },
    )
    .await?;
    Ok(a)
}

pub async fn get(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Option<AppealRow>> {
    let r = sqlx::query("SELECT * FROM appeals WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(row).transpose()
}

pub async fn list(store: &Store) -> Result<Vec<AppealRow>> {
    let rows = sqlx::query("SELECT * FROM appeals ORDER BY id DESC")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(row).collect()
}

/// Resolves an open appeal if it is still at `before.version`.
pub async fn resolve(
    tx: &mut Tx,
    actor: &Actor,
    before: &AppealRow,
    status: &str,
    resolution: &str,
    republication: Option<i64>,
) -> Result<Option<AppealRow>> {
    let r = sqlx::query("UPDATE appeals SET status = $1, resolution = $2, resolved_by = $3, resolved_at = $4, republication_id = $5, version = version + 1 WHERE id = $6 AND version = $7 AND status = 'open' RETURNING *")
        .bind(status)
        .bind(resolution)
        .bind(&actor.name)
        .bind(now())
        .bind(republication)
        .bind(before.id)
        .bind(before.version)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(r) = r else { return Ok(None) };
    let a = row(&r)?;
    let action = if status == "upheld" {
        "appeal.uphold"
    } else {
        "appeal.reject"
    };
    append(
        tx,
        actor,
        Change {
            action,
            entity: "appeal",
            entity_id: &a.id.to_string(),
            before: Some(json(before)),
            after: Some(json(&a)),
            reason: resolution,
        },
    )
    .await?;
    Ok(Some(a))
}

/// An open appeal against one of a unit's published scores: (appeal id, indicator, scheme,
/// period of the publication).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAppeal {
    pub id: i64,
    pub indicator: String,
    pub scheme_code: String,
    pub period: String,
}

/// Every open appeal with its unit, read in the writing transaction (an appeal freezes the
/// values it disputes: see the server's `ops::values::Guard`).
pub async fn all_open(tx: &mut Tx) -> Result<Vec<(String, OpenAppeal)>> {
    let rows = sqlx::query("SELECT a.id, a.unit_code, a.indicator, p.scheme_code, p.period FROM appeals a JOIN publications p ON p.id = a.publication_id WHERE a.status = 'open' ORDER BY a.id")
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                crate::get_str(r, "unit_code")?,
                OpenAppeal {
                    id: crate::get_i64(r, "id")?,
                    indicator: crate::get_str(r, "indicator")?,
                    scheme_code: crate::get_str(r, "scheme_code")?,
                    period: crate::get_str(r, "period")?,
                },
            ))
        })
        .collect()
}
