//! Rectification tasks (整改): a problem, the unit that fixes it, the measures, a deadline, the
//! evidence of completion and the department that verifies it.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str, now};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskRow {
    pub id: i64,
    /// `warning`, `monitoring`, `inspection`, `enforcement`, `evaluation`, `appeal` or `manual`.
    pub source_kind: String,
    /// The source's id (a warning's number, …); empty for a task added by hand.
    pub source_id: String,
    /// For an inspection hazard: `major` (重大隐患) or `general`; empty otherwise.
    pub severity: String,
    pub unit_code: String,
    /// The person responsible in the unit.
    pub person: String,
    /// The period the problem belongs to (rates are counted per period).
    pub period: String,
    pub problem: String,
    /// The measures required.
    pub measures: String,
    /// The last day (YYYY-MM-DD, Beijing time) to submit the completion.
    pub deadline: String,
    /// The unit that verifies it (a lead department, or the office: `office`).
    pub verifier_code: String,
    /// `open`, `in_progress`, `submitted`, `verified` or `returned`.
    pub state: String,
    /// What was done (with evidence attached to the task).
    pub completion: String,
    pub submitted_at: Option<String>,
    pub verified_at: Option<String>,
    pub verified_by: Option<String>,
    pub return_reason: String,
    /// When the deadline reminder was sent.
    pub reminded_at: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub version: i64,
}

fn row(r: &sqlx::any::AnyRow) -> Result<TaskRow> {
    Ok(TaskRow {
        id: get_i64(r, "id")?,
        source_kind: get_str(r, "source_kind")?,
        source_id: get_str(r, "source_id")?,
        severity: get_str(r, "severity")?,
        unit_code: get_str(r, "unit_code")?,
        person: get_str(r, "person")?,
        period: get_str(r, "period")?,
        problem: get_str(r, "problem")?,
        measures: get_str(r, "measures")?,
        deadline: get_str(r, "deadline")?,
        verifier_code: get_str(r, "verifier_code")?,
        state: get_str(r, "state")?,
        completion: get_str(r, "completion")?,
        submitted_at: get_opt(r, "submitted_at")?,
        verified_at: get_opt(r, "verified_at")?,
        verified_by: get_opt(r, "verified_by")?,
        return_reason: get_str(r, "return_reason")?,
        reminded_at: get_opt(r, "reminded_at")?,
        created_by: get_str(r, "created_by")?,
        created_at: get_str(r, "created_at")?,
        version: get_i64(r, "version")?,
    })
}

fn json(t: &TaskRow) -> String {
    serde_json::to_string(t).unwrap_or_default()
}

/// A task to open.
#[derive(Debug, Clone)]
pub struct New<'a> {
    pub source_kind: &'a str,
    pub source_id: &'a str,
    /// `major` or `general` for an inspection hazard; empty otherwise.
    pub severity: &'a str,
    pub unit: &'a str,
    pub person: &'a str,
    pub period: &'a str,
    pub problem: &'a str,
    pub measures: &'a str,
    pub deadline: &'a str,
    pub verifier: &'a str,
}

pub async fn open(tx: &mut Tx, actor: &Actor, n: &New<'_>) -> Result<TaskRow> {
    let r = sqlx::query(
        "INSERT INTO rectifications (source_kind, source_id, unit_code, person, period, problem, measures, deadline, verifier_code, state, created_by, created_at, severity) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12) RETURNING *",
    )
    .bind(n.source_kind)
    .bind(n.source_id)
    .bind(n.unit)
    .bind(n.person)
    .bind(n.period)
    .bind(n.problem)
    .bind(n.measures)
    .bind(n.deadline)
    .bind(n.verifier)
    .bind(&actor.name)
    .bind(now())
    .bind(n.severity)
    .fetch_one(&mut **tx)
    .await?;
    let t = row(&r)?;
    append(
        tx,
        actor,
        Change {
            action: "rectification.open",
            entity: "rectification",
            entity_id: &t.id.to_string(),
            before: None,
            after: Some(json(&t)),
            reason: "",
        },
    )
    .await?;
    Ok(t)
}

/// Writes `after` over `before` if the task is still at `before.version` (audited as
/// `action`); `None` when someone changed it first.
pub async fn save(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    before: &TaskRow,
    after: &TaskRow,
    reason: &str,
) -> Result<Option<TaskRow>> {
    let r = sqlx::query(
        "UPDATE rectifications SET person = $1, measures = $2, deadline = $3, state = $4, completion = $5, submitted_at = $6, \
         verified_at = $7, verified_by = $8, return_reason = $9, reminded_at = $10, version = version + 1 \
         WHERE id = $11 AND version = $12 RETURNING *",
    )
    .bind(&after.person)
    .bind(&after.measures)
    .bind(&after.deadline)
    .bind(&after.state)
    .bind(&after.completion)
    .bind(&after.submitted_at)
    .bind(&after.verified_at)
    .bind(&after.verified_by)
    .bind(&after.return_reason)
    .bind(&after.reminded_at)
    .bind(before.id)
    .bind(before.version)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let t = row(&r)?;
    append(
        tx,
        actor,
        Change {
            action,
            entity: "rectification",
            entity_id: &t.id.to_string(),
            before: Some(json(before)),
            after: Some(json(&t)),
            reason,
        },
    )
    .await?;
    Ok(Some(t))
}

pub async fn get(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Option<TaskRow>> {
    let r = sqlx::query("SELECT * FROM rectifications WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(row).transpose()
}

/// The tasks opened from a source (e.g. `warning`, `12`).
pub async fn of_source(
    conn: &mut sqlx::AnyConnection,
    kind: &str,
    id: &str,
) -> Result<Vec<TaskRow>> {
    let rows = sqlx::query(
        "SELECT * FROM rectifications WHERE source_kind = $1 AND source_id = $2 ORDER BY id",
    )
    .bind(kind)
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(row).collect()
}

/// Every task, newest first.
pub async fn all(store: &Store) -> Result<Vec<TaskRow>> {
    let rows = sqlx::query("SELECT * FROM rectifications ORDER BY id DESC")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(row).collect()
}

/// Tasks not yet submitted whose deadline is `day` or earlier and that were not yet reminded.
pub async fn to_remind(store: &Store, day: &str) -> Result<Vec<TaskRow>> {
    let rows = sqlx::query(
        "SELECT * FROM rectifications WHERE state IN ('open', 'in_progress', 'returned') AND deadline <= $1 AND reminded_at IS NULL ORDER BY id",
    )
    .bind(day)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(row).collect()
}
