//! Budget projects (预算项目), their ex-ante experts and scores, and their performance targets.
//! Every change is one audited write with the project's before and after.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str, now};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub dept: String,
    pub year: i64,
    /// 万元.
    pub amount: String,
    pub fund_source: String,
    /// `new` or `continuing`.
    pub kind: String,
    pub major: bool,
    /// draft, exante, exante_done, rejected, targets_submitted, targets_returned,
    /// targets_approved.
    pub stage: String,
    pub exante_required: bool,
    pub exante_total: Option<String>,
    pub exante_conclusion: Option<String>,
    pub exante_reason: String,
    pub exante_at: Option<String>,
    pub exante_by: Option<String>,
    pub return_reason: String,
    /// The evaluation classes that score it once its targets are approved (`project_self`,
    /// `project_eval`).
    pub classes: Vec<String>,
    pub created_by: String,
    pub created_at: String,
    pub version: i64,
}

fn row(r: &sqlx::any::AnyRow) -> Result<ProjectRow> {
    Ok(ProjectRow {
        code: get_str(r, "code")?,
        name_zh: get_str(r, "name_zh")?,
        name_en: get_str(r, "name_en")?,
        dept: get_str(r, "dept")?,
        year: get_i64(r, "year")?,
        amount: get_str(r, "amount")?,
        fund_source: get_str(r, "fund_source")?,
        kind: get_str(r, "kind")?,
        major: get_i64(r, "major")? != 0,
        stage: get_str(r, "stage")?,
        exante_required: get_i64(r, "exante_required")? != 0,
        exante_total: get_opt(r, "exante_total")?,
        exante_conclusion: get_opt(r, "exante_conclusion")?,
        exante_reason: get_str(r, "exante_reason")?,
        exante_at: get_opt(r, "exante_at")?,
        exante_by: get_opt(r, "exante_by")?,
        return_reason: get_str(r, "return_reason")?,
        classes: get_str(r, "classes")?
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        created_by: get_str(r, "created_by")?,
        created_at: get_str(r, "created_at")?,
        version: get_i64(r, "version")?,
    })
}

fn json<T: Serialize>(t: &T) -> String {
    serde_json::to_string(t).unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExpertRow {
    pub project: String,
    pub expert: String,
    /// One score per dimension (decimal text), when scored.
    pub scores: Option<Vec<String>>,
    pub comment: String,
    pub scored_at: Option<String>,
}

fn expert_row(r: &sqlx::any::AnyRow) -> Result<ExpertRow> {
    let scores: Option<String> = get_opt(r, "scores")?;
    Ok(ExpertRow {
        project: get_str(r, "project")?,
        expert: get_str(r, "expert")?,
        scores: scores.and_then(|s| serde_json::from_str(&s).ok()),
        comment: get_str(r, "comment")?,
        scored_at: get_opt(r, "scored_at")?,
    })
}

/// One performance target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetRow {
    pub level1: String,
    pub level2: String,
    pub name: String,
    pub direction: String,
    pub value: String,
    pub unit: String,
}

fn target_row(r: &sqlx::any::AnyRow) -> Result<TargetRow> {
    Ok(TargetRow {
        level1: get_str(r, "level1")?,
        level2: get_str(r, "level2")?,
        name: get_str(r, "name")?,
        direction: get_str(r, "direction")?,
        value: get_str(r, "value")?,
        unit: get_str(r, "unit")?,
    })
}

/// A new project.
pub struct New<'a> {
    pub code: &'a str,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    pub dept: &'a str,
    pub year: i64,
    pub amount: &'a str,
    pub fund_source: &'a str,
    pub kind: &'a str,
    pub major: bool,
    pub exante_required: bool,
    pub classes: &'a [String],
}

pub async fn get(store: &Store, code: &str) -> Result<Option<ProjectRow>> {
    sqlx::query("SELECT * FROM budget_projects WHERE code = $1")
        .bind(code)
        .fetch_optional(&store.pool)
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

async fn get_in(tx: &mut Tx, code: &str) -> Result<Option<ProjectRow>> {
    sqlx::query("SELECT * FROM budget_projects WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// Every project, by year (newest first) and code.
pub async fn list(store: &Store) -> Result<Vec<ProjectRow>> {
    sqlx::query("SELECT * FROM budget_projects ORDER BY year DESC, code")
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(row)
        .collect()
}

/// The projects an expert is assigned to.
pub async fn assigned_to(store: &Store, expert: &str) -> Result<Vec<String>> {
    sqlx::query("SELECT project FROM exante_experts WHERE expert = $1 ORDER BY project")
        .bind(expert)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| get_str(r, "project"))
        .collect()
}

pub async fn experts(store: &Store, project: &str) -> Result<Vec<ExpertRow>> {
    sqlx::query("SELECT * FROM exante_experts WHERE project = $1 ORDER BY expert")
        .bind(project)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(expert_row)
        .collect()
}

pub async fn targets(store: &Store, project: &str) -> Result<Vec<TargetRow>> {
    sqlx::query("SELECT * FROM project_targets WHERE project = $1 ORDER BY seq")
        .bind(project)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(target_row)
        .collect()
}

/// Creates a project (a code already taken: `None`).
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    p: New<'_>,
    reason: &str,
) -> Result<Option<ProjectRow>> {
    if get_in(tx, p.code).await?.is_some() {
        return Ok(None);
    }
    let r = sqlx::query("INSERT INTO budget_projects (code, name_zh, name_en, dept, year, amount, fund_source, kind, major, stage, exante_required, created_by, created_at, classes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $11, $12, $13) RETURNING *")
        .bind(p.code)
        .bind(p.name_zh)
        .bind(p.name_en)
        .bind(p.dept)
        .bind(p.year)
        .bind(p.amount)
        .bind(p.fund_source)
        .bind(p.kind)
        .bind(i64::from(p.major))
        .bind(i64::from(p.exante_required))
        .bind(&actor.name)
        .bind(now())
        .bind(p.classes.join(","))
        .fetch_one(&mut **tx)
        .await?;
    let created = row(&r)?;
    append(
        tx,
        actor,
        Change {
            action: "project.create",
            entity: "project",
            entity_id: p.code,
            before: None,
            after: Some(json(&created)),
            reason,
        },
    )
    .await?;
    Ok(Some(created))
}

/// What a change of a project sets (the stage always; the rest when given).
#[derive(Default)]
pub struct Update<'a> {
    pub stage: &'a str,
    /// The experts assigned, recorded in the audit entry's after.
    pub experts: Option<&'a [String]>,
    pub exante: Option<(&'a str, &'a str, &'a str)>,
    pub return_reason: Option<&'a str>,
}

/// Changes a project at `version` (`None` when someone changed it first), with an audit entry
/// `action` carrying the before and after.
pub async fn update(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    version: i64,
    u: Update<'_>,
    action: &str,
    reason: &str,
) -> Result<Option<ProjectRow>> {
    let Some(before) = get_in(tx, code).await? else {
        return Ok(None);
    };
    if before.version != version {
        return Ok(None);
    }
    let (total, conclusion, why) = match u.exante {
        Some((t, c, w)) => (Some(t.to_owned()), Some(c.to_owned()), w.to_owned()),
        None => (
            before.exante_total.clone(),
            before.exante_conclusion.clone(),
            before.exante_reason.clone(),
        ),
    };
    let (at, by) = if u.exante.is_some() {
        (Some(now()), Some(actor.name.clone()))
    } else {
        (before.exante_at.clone(), before.exante_by.clone())
    };
    let returned = u
        .return_reason
        .map_or(before.return_reason.clone(), str::to_owned);
    let r = sqlx::query("UPDATE budget_projects SET stage = $1, exante_total = $2, exante_conclusion = $3, exante_reason = $4, exante_at = $5, exante_by = $6, return_reason = $7, version = version + 1 WHERE code = $8 AND version = $9 RETURNING *")
        .bind(u.stage)
        .bind(total)
        .bind(conclusion)
        .bind(why)
        .bind(at)
        .bind(by)
        .bind(returned)
        .bind(code)
        .bind(version)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(r) = r else {
        return Ok(None);
    };
    let after = row(&r)?;
    let mut shown = serde_json::to_value(&after).unwrap_or_default();
    if let (Some(e), Some(o)) = (u.experts, shown.as_object_mut()) {
        o.insert("experts".into(), serde_json::json!(e));
    }
    append(
        tx,
        actor,
        Change {
            action,
            entity: "project",
            entity_id: code,
            before: Some(json(&before)),
            after: Some(shown.to_string()),
            reason,
        },
    )
    .await?;
    Ok(Some(after))
}

/// Sets the experts of a project's ex-ante evaluation (their scores so far are kept).
pub async fn set_experts(tx: &mut Tx, project: &str, experts: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM exante_experts WHERE project = $1")
        .bind(project)
        .execute(&mut **tx)
        .await?;
    for e in experts {
        sqlx::query("INSERT INTO exante_experts (project, expert) VALUES ($1, $2)")
            .bind(project)
            .bind(e)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Records an expert's scores (audited).
pub async fn score(
    tx: &mut Tx,
    actor: &Actor,
    project: &str,
    scores: &[String],
    comment: &str,
) -> Result<bool> {
    let text = json(&scores);
    let done = sqlx::query("UPDATE exante_experts SET scores = $1, comment = $2, scored_at = $3 WHERE project = $4 AND expert = $5")
        .bind(&text)
        .bind(comment)
        .bind(now())
        .bind(project)
        .bind(&actor.name)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if done == 0 {
        return Ok(false);
    }
    append(
        tx,
        actor,
        Change {
            action: "project.exante_score",
            entity: "project",
            entity_id: project,
            before: None,
            after: Some(serde_json::json!({ "scores": scores, "comment": comment }).to_string()),
            reason: comment,
        },
    )
    .await?;
    Ok(true)
}

/// Replaces a project's targets (audited with before and after).
pub async fn set_targets(
    tx: &mut Tx,
    actor: &Actor,
    project: &str,
    targets: &[TargetRow],
    reason: &str,
) -> Result<()> {
    let before: Vec<TargetRow> =
        sqlx::query("SELECT * FROM project_targets WHERE project = $1 ORDER BY seq")
            .bind(project)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| {
                Ok(TargetRow {
                    level1: get_str(r, "level1")?,
                    level2: get_str(r, "level2")?,
                    name: get_str(r, "name")?,
                    direction: get_str(r, "direction")?,
                    value: get_str(r, "value")?,
                    unit: get_str(r, "unit")?,
                })
            })
            .collect::<Result<_>>()?;
    sqlx::query("DELETE FROM project_targets WHERE project = $1")
        .bind(project)
        .execute(&mut **tx)
        .await?;
    for (i, t) in targets.iter().enumerate() {
        sqlx::query("INSERT INTO project_targets (project, seq, level1, level2, name, direction, value, unit) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(project)
            .bind(i as i64 + 1)
            .bind(&t.level1)
            .bind(&t.level2)
            .bind(&t.name)
            .bind(&t.direction)
            .bind(&t.value)
            .bind(&t.unit)
            .execute(&mut **tx)
            .await?;
    }
    append(
        tx,
        actor,
        Change {
            action: "project.targets",
            entity: "project",
            entity_id: project,
            before: Some(json(&before)),
            after: Some(json(&targets)),
            reason,
        },
    )
    .await?;
    Ok(())
}

/// A monitoring report of a project at a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonitorRow {
    pub project: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    pub spent: String,
    /// One per monitored target, in order.
    pub completed: Vec<String>,
    pub note: String,
    pub measures: String,
    pub level: String,
    pub reported_by: String,
    pub reported_at: String,
}

fn monitor_row(r: &sqlx::any::AnyRow) -> Result<MonitorRow> {
    Ok(MonitorRow {
        project: get_str(r, "project")?,
        day: get_str(r, "day")?,
        spent: get_str(r, "spent")?,
        completed: serde_json::from_str(&get_str(r, "completed")?).unwrap_or_default(),
        note: get_str(r, "note")?,
        measures: get_str(r, "measures")?,
        level: get_str(r, "level")?,
        reported_by: get_str(r, "reported_by")?,
        reported_at: get_str(r, "reported_at")?,
    })
}

/// A project's monitoring reports, by date.
pub async fn monitoring(store: &Store, project: &str) -> Result<Vec<MonitorRow>> {
    sqlx::query("SELECT * FROM project_monitoring WHERE project = $1 ORDER BY day")
        .bind(project)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(monitor_row)
        .collect()
}

/// Every project's report at a date.
pub async fn monitoring_on(store: &Store, day: &str) -> Result<Vec<MonitorRow>> {
    sqlx::query("SELECT * FROM project_monitoring WHERE day = $1 ORDER BY project")
        .bind(day)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(monitor_row)
        .collect()
}

/// The dates reports were made at, newest first.
pub async fn monitoring_days(store: &Store) -> Result<Vec<String>> {
    sqlx::query("SELECT DISTINCT day FROM project_monitoring ORDER BY day DESC")
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| get_str(r, "day"))
        .collect()
}

/// Records (or replaces) a project's report at a date, audited with before and after.
pub async fn report_monitoring(
    tx: &mut Tx,
    actor: &Actor,
    m: &MonitorRow,
    reason: &str,
) -> Result<()> {
    let before = sqlx::query("SELECT * FROM project_monitoring WHERE project = $1 AND day = $2")
        .bind(&m.project)
        .bind(&m.day)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(monitor_row)
        .transpose()?;
    sqlx::query("DELETE FROM project_monitoring WHERE project = $1 AND day = $2")
        .bind(&m.project)
        .bind(&m.day)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO project_monitoring (project, day, spent, completed, note, measures, level, reported_by, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(&m.project)
        .bind(&m.day)
        .bind(&m.spent)
        .bind(json(&m.completed))
        .bind(&m.note)
        .bind(&m.measures)
        .bind(&m.level)
        .bind(&actor.name)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    append(
        tx,
        actor,
        Change {
            action: "project.monitor",
            entity: "project",
            entity_id: &m.project,
            before: before.as_ref().map(json),
            after: Some(json(m)),
            reason,
        },
    )
    .await?;
    Ok(())
}

/// A published budget-adjustment table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdjustmentRow {
    pub id: i64,
    pub scheme: String,
    pub period: String,
    /// The publication of the evaluation the table was drawn from.
    pub publication: Option<i64>,
    /// The table's rows as published (JSON).
    pub rows: String,
    pub published_by: String,
    pub published_at: String,
    pub reason: String,
}

fn adjustment_row(r: &sqlx::any::AnyRow) -> Result<AdjustmentRow> {
    Ok(AdjustmentRow {
        id: get_i64(r, "id")?,
        scheme: get_str(r, "scheme")?,
        period: get_str(r, "period")?,
        publication: sqlx::Row::try_get::<Option<i64>, _>(r, "publication")?,
        rows: get_str(r, "rows")?,
        published_by: get_str(r, "published_by")?,
        published_at: get_str(r, "published_at")?,
        reason: get_str(r, "reason")?,
    })
}

/// Records a budget-adjustment table as published, audited with its rows.
pub async fn publish_adjustment(
    tx: &mut Tx,
    actor: &Actor,
    scheme: &str,
    period: &str,
    publication: Option<i64>,
    rows: &str,
    reason: &str,
) -> Result<AdjustmentRow> {
    let r = sqlx::query("INSERT INTO budget_adjustments (scheme, period, publication, rows, published_by, published_at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *")
        .bind(scheme)
        .bind(period)
        .bind(publication)
        .bind(rows)
        .bind(&actor.name)
        .bind(now())
        .bind(reason)
        .fetch_one(&mut **tx)
        .await?;
    let a = adjustment_row(&r)?;
    append(
        tx,
        actor,
        Change {
            action: "adjustment.publish",
            entity: "adjustment",
            entity_id: &format!("{scheme}/{period}"),
            before: None,
            after: Some(rows.to_owned()),
            reason,
        },
    )
    .await?;
    Ok(a)
}

/// The latest published budget-adjustment table of a scheme and period.
pub async fn published_adjustment(
    store: &Store,
    scheme: &str,
    period: &str,
) -> Result<Option<AdjustmentRow>> {
    sqlx::query(
        "SELECT * FROM budget_adjustments WHERE scheme = $1 AND period = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(scheme)
    .bind(period)
    .fetch_optional(&store.pool)
    .await?
    .as_ref()
    .map(adjustment_row)
    .transpose()
}

/// A project's funding in one year from one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FundRow {
    pub year: i64,
    pub source: String,
    /// 万元, exact decimal text.
    pub amount: String,
}

/// A project's funding, by year and source.
pub async fn funds(store: &Store, project: &str) -> Result<Vec<FundRow>> {
    sqlx::query("SELECT * FROM project_funds WHERE project = $1 ORDER BY year, source")
        .bind(project)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(FundRow {
                year: get_i64(r, "year")?,
                source: get_str(r, "source")?,
                amount: get_str(r, "amount")?,
            })
        })
        .collect()
}

/// Records a new project's funding (audited with the rows).
pub async fn set_funds(
    tx: &mut Tx,
    actor: &Actor,
    project: &str,
    funds: &[FundRow],
    reason: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM project_funds WHERE project = $1")
        .bind(project)
        .execute(&mut **tx)
        .await?;
    for f in funds {
        sqlx::query(
            "INSERT INTO project_funds (project, year, source, amount) VALUES ($1, $2, $3, $4)",
        )
        .bind(project)
        .bind(f.year)
        .bind(&f.source)
        .bind(&f.amount)
        .execute(&mut **tx)
        .await?;
    }
    append(
        tx,
        actor,
        Change {
            action: "project.funds",
            entity: "project",
            entity_id: project,
            before: None,
            after: Some(json(&funds)),
            reason,
        },
    )
    .await?;
    Ok(())
}
