//! Earlier results (往期结果): each unit's grade per series of yearly schemes and period, what
//! rules on consecutive results read across years (不合格 two years running). Every publication
//! records its frozen official grades here; the office records the years before jixiao from its
//! own tables. A publication replaces what was recorded for its period.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_opt, get_str, now};
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EarlierRow {
    pub series: String,
    pub period: String,
    pub unit_code: String,
    /// The grade's code in the scheme; `None`: no result that period.
    pub grade: Option<String>,
    pub total: Option<String>,
    pub rank: Option<i64>,
    /// `publication` or `recorded`.
    pub source: String,
    pub publication_id: Option<i64>,
    pub recorded_by: String,
    pub recorded_at: String,
}

fn row(r: &sqlx::any::AnyRow) -> Result<EarlierRow> {
    Ok(EarlierRow {
        series: get_str(r, "series")?,
        period: get_str(r, "period")?,
        unit_code: get_str(r, "unit_code")?,
        grade: get_opt(r, "grade")?,
        total: get_opt(r, "total")?,
        rank: r.try_get::<Option<i64>, _>("rank_no")?,
        source: get_str(r, "source")?,
        publication_id: r.try_get::<Option<i64>, _>("publication_id")?,
        recorded_by: get_str(r, "recorded_by")?,
        recorded_at: get_str(r, "recorded_at")?,
    })
}

/// One unit's result to record.
#[derive(Debug, Clone)]
pub struct New {
    pub unit: String,
    pub grade: Option<String>,
    pub total: Option<String>,
    pub rank: Option<i64>,
}

/// Every earlier result, by series, period and unit.
pub async fn all(store: &Store) -> Result<Vec<EarlierRow>> {
    sqlx::query("SELECT * FROM earlier_results ORDER BY series, period, unit_code")
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(row)
        .collect()
}

/// The earlier results of one series.
pub async fn of_series(store: &Store, series: &str) -> Result<Vec<EarlierRow>> {
    sqlx::query("SELECT * FROM earlier_results WHERE series = $1 ORDER BY period DESC, unit_code")
        .bind(series)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(row)
        .collect()
}

/// The periods of a series that a publication recorded (the office's own records may not
/// replace them).
pub async fn published_periods(tx: &mut Tx, series: &str) -> Result<Vec<String>> {
    sqlx::query(
        "SELECT DISTINCT period FROM earlier_results WHERE series = $1 AND source = 'publication'",
    )
    .bind(series)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| get_str(r, "period"))
    .collect()
}

/// Replaces a series' results of one period with `rows` (one audit entry with the before and
/// after grades). `publication`: the publication they come from (else the office recorded them).
pub async fn replace(
    tx: &mut Tx,
    actor: &Actor,
    series: &str,
    period: &str,
    rows: &[New],
    publication: Option<i64>,
    reason: &str,
) -> Result<()> {
    let before: Vec<EarlierRow> = sqlx::query(
        "SELECT * FROM earlier_results WHERE series = $1 AND period = $2 ORDER BY unit_code",
    )
    .bind(series)
    .bind(period)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(row)
    .collect::<Result<_>>()?;
    sqlx::query("DELETE FROM earlier_results WHERE series = $1 AND period = $2")
        .bind(series)
        .bind(period)
        .execute(&mut **tx)
        .await?;
    let at = now();
    let source = if publication.is_some() {
        "publication"
    } else {
        "recorded"
    };
    for r in rows {
        sqlx::query("INSERT INTO earlier_results (series, period, unit_code, grade, total, rank_no, source, publication_id, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(series)
            .bind(period)
            .bind(&r.unit)
            .bind(&r.grade)
            .bind(&r.total)
            .bind(r.rank)
            .bind(source)
            .bind(publication)
            .bind(&actor.name)
            .bind(&at)
            .execute(&mut **tx)
            .await?;
    }
    let grades = |it: &mut dyn Iterator<Item = (&str, Option<&str>)>| {
        serde_json::Value::Object(
            it.map(|(u, g)| (u.to_owned(), serde_json::json!(g)))
                .collect(),
        )
        .to_string()
    };
    let before = (!before.is_empty()).then(|| {
        grades(
            &mut before
                .iter()
                .map(|r| (r.unit_code.as_str(), r.grade.as_deref())),
        )
    });
    let after = grades(&mut rows.iter().map(|r| (r.unit.as_str(), r.grade.as_deref())));
    append(
        tx,
        actor,
        Change {
            action: if publication.is_some() {
                "earlier.publish"
            } else {
                "earlier.record"
            },
            entity: "earlier",
            entity_id: &format!("{series}/{period}"),
            before,
            after: Some(after),
            reason,
        },
    )
    .await?;
    Ok(())
}
