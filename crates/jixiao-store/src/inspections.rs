//! Cross-inspection rounds (异地交叉检查): their teams and which team inspects which unit.
//! Every change is one audited write with its before and after.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str, now};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundRow {
    pub id: i64,
    pub period: String,
    pub title: String,
    pub element: String,
    /// The units it inspects.
    pub units: Vec<String>,
    pub no_reciprocal: bool,
    pub no_repeat: bool,
    pub balanced: bool,
    pub seed: Option<i64>,
    pub created_by: String,
    pub created_at: String,
    pub version: i64,
}

fn round_row(r: &sqlx::any::AnyRow) -> Result<RoundRow> {
    Ok(RoundRow {
        id: get_i64(r, "id")?,
        period: get_str(r, "period")?,
        title: get_str(r, "title")?,
        element: get_str(r, "element")?,
        units: get_str(r, "units")?
            .split(',')
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect(),
        no_reciprocal: get_i64(r, "no_reciprocal")? != 0,
        no_repeat: get_i64(r, "no_repeat")? != 0,
        balanced: get_i64(r, "balanced")? != 0,
        seed: sqlx::Row::try_get::<Option<i64>, _>(r, "seed")?,
        created_by: get_str(r, "created_by")?,
        created_at: get_str(r, "created_at")?,
        version: get_i64(r, "version")?,
    })
}

/// A team of a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamRow {
    pub code: String,
    pub name: String,
    /// The unit its inspectors come from.
    pub home: String,
    /// Usernames of its inspectors.
    pub members: Vec<String>,
}

fn team_row(r: &sqlx::any::AnyRow) -> Result<TeamRow> {
    Ok(TeamRow {
        code: get_str(r, "code")?,
        name: get_str(r, "name")?,
        home: get_str(r, "home")?,
        members: get_str(r, "members")?
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// Which team inspects a unit, and the score once recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentRow {
    pub unit: String,
    pub team: String,
    /// `generated` or `manual`.
    pub source: String,
    pub score: Option<String>,
    pub note: String,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<String>,
}

fn assignment_row(r: &sqlx::any::AnyRow) -> Result<AssignmentRow> {
    Ok(AssignmentRow {
        unit: get_str(r, "unit")?,
        team: get_str(r, "team")?,
        source: get_str(r, "source")?,
        score: get_opt(r, "score")?,
        note: get_str(r, "note")?,
        recorded_by: get_opt(r, "recorded_by")?,
        recorded_at: get_opt(r, "recorded_at")?,
    })
}

/// An item of a round's checklist (检查项目) with its full marks; a unit's score is the sum of
/// its items' scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    pub code: String,
    pub name: String,
    /// Full marks, exact decimal text (`20`, `12.5`).
    pub points: String,
}

/// A unit's score on one checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemScore {
    pub unit: String,
    pub item: String,
    pub score: String,
}

/// A hazard (隐患) a team found at a unit, and the rectification task it opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HazardRow {
    pub id: i64,
    pub round_id: i64,
    pub unit: String,
    pub team: String,
    pub location: String,
    /// `fire`, `chemicals`, `construction`, `traffic`, `equipment`, `gas`, `industry`, `other`.
    pub category: String,
    /// `general` (一般隐患) or `major` (重大隐患).
    pub severity: String,
    pub description: String,
    /// The last day of its rectification (YYYY-MM-DD).
    pub deadline: String,
    pub task_id: i64,
    pub recorded_by: String,
    pub recorded_at: String,
}

fn hazard_row(r: &sqlx::any::AnyRow) -> Result<HazardRow> {
    Ok(HazardRow {
        id: get_i64(r, "id")?,
        round_id: get_i64(r, "round_id")?,
        unit: get_str(r, "unit")?,
        team: get_str(r, "team")?,
        location: get_str(r, "location")?,
        category: get_str(r, "category")?,
        severity: get_str(r, "severity")?,
        description: get_str(r, "description")?,
        deadline: get_str(r, "deadline")?,
        task_id: get_i64(r, "task_id")?,
        recorded_by: get_str(r, "recorded_by")?,
        recorded_at: get_str(r, "recorded_at")?,
    })
}

fn json<T: Serialize>(t: &T) -> String {
    serde_json::to_string(t).unwrap_or_default()
}

/// A new round.
pub struct NewRound<'a> {
    pub period: &'a str,
    pub title: &'a str,
    pub element: &'a str,
    pub units: &'a [String],
    pub no_reciprocal: bool,
    pub no_repeat: bool,
    pub balanced: bool,
}

/// Creates a round with its teams.
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    n: &NewRound<'_>,
    teams: &[TeamRow],
    checklist: &[ChecklistItem],
    reason: &str,
) -> Result<RoundRow> {
    let r = sqlx::query("INSERT INTO inspection_rounds (period, title, element, units, no_reciprocal, no_repeat, balanced, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *")
        .bind(n.period)
        .bind(n.title)
        .bind(n.element)
        .bind(n.units.join(","))
        .bind(i64::from(n.no_reciprocal))
        .bind(i64::from(n.no_repeat))
        .bind(i64::from(n.balanced))
        .bind(&actor.name)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?;
    let round = round_row(&r)?;
    for t in teams {
        sqlx::query("INSERT INTO inspection_teams (round_id, code, name, home, members) VALUES ($1, $2, $3, $4, $5)")
            .bind(round.id)
            .bind(&t.code)
            .bind(&t.name)
            .bind(&t.home)
            .bind(t.members.join(","))
            .execute(&mut **tx)
            .await?;
    }
    for (i, c) in checklist.iter().enumerate() {
        sqlx::query("INSERT INTO inspection_checklist (round_id, code, name, points, position) VALUES ($1, $2, $3, $4, $5)")
            .bind(round.id)
            .bind(&c.code)
            .bind(&c.name)
            .bind(&c.points)
            .bind(i as i64)
            .execute(&mut **tx)
            .await?;
    }
    append(
        tx,
        actor,
        Change {
            action: "inspection.create",
            entity: "inspection",
            entity_id: &round.id.to_string(),
            before: None,
            after: Some(json(
                &serde_json::json!({ "round": round, "teams": teams, "checklist": checklist }),
            )),
            reason,
        },
    )
    .await?;
    Ok(round)
}

pub async fn get(store: &Store, id: i64) -> Result<Option<RoundRow>> {
    sqlx::query("SELECT * FROM inspection_rounds WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .as_ref()
        .map(round_row)
        .transpose()
}

/// Every round, newest first.
pub async fn list(store: &Store) -> Result<Vec<RoundRow>> {
    sqlx::query("SELECT * FROM inspection_rounds ORDER BY id DESC")
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(round_row)
        .collect()
}

pub async fn teams(store: &Store, round: i64) -> Result<Vec<TeamRow>> {
    sqlx::query("SELECT * FROM inspection_teams WHERE round_id = $1 ORDER BY code")
        .bind(round)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(team_row)
        .collect()
}

pub async fn assignments(store: &Store, round: i64) -> Result<Vec<AssignmentRow>> {
    sqlx::query("SELECT * FROM inspection_assignments WHERE round_id = $1 ORDER BY team, unit")
        .bind(round)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(assignment_row)
        .collect()
}

/// Replaces a round's assignments (none recorded yet: the operations layer checks) at
/// `version`; false when someone changed the round first.
pub async fn assign(
    tx: &mut Tx,
    actor: &Actor,
    round: &RoundRow,
    pairs: &[(String, String)],
    source: &str,
    seed: Option<i64>,
    reason: &str,
) -> Result<bool> {
    let before: Vec<AssignmentRow> =
        sqlx::query("SELECT * FROM inspection_assignments WHERE round_id = $1 ORDER BY team, unit")
            .bind(round.id)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(assignment_row)
            .collect::<Result<_>>()?;
    let changed = sqlx::query(
        "UPDATE inspection_rounds SET version = version + 1, seed = $1 WHERE id = $2 AND version = $3",
    )
    .bind(seed)
    .bind(round.id)
    .bind(round.version)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM inspection_assignments WHERE round_id = $1")
        .bind(round.id)
        .execute(&mut **tx)
        .await?;
    for (team, unit) in pairs {
        sqlx::query("INSERT INTO inspection_assignments (round_id, unit, team, source) VALUES ($1, $2, $3, $4)")
            .bind(round.id)
            .bind(unit)
            .bind(team)
            .bind(source)
            .execute(&mut **tx)
            .await?;
    }
    append(
        tx,
        actor,
        Change {
            action: "inspection.assign",
            entity: "inspection",
            entity_id: &round.id.to_string(),
            before: Some(json(&before)),
            after: Some(json(
                &serde_json::json!({ "source": source, "seed": seed, "pairs": pairs }),
            )),
            reason,
        },
    )
    .await?;
    Ok(true)
}

/// A round's checklist, in its order.
pub async fn checklist(store: &Store, round: i64) -> Result<Vec<ChecklistItem>> {
    sqlx::query("SELECT * FROM inspection_checklist WHERE round_id = $1 ORDER BY position")
        .bind(round)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ChecklistItem {
                code: get_str(r, "code")?,
                name: get_str(r, "name")?,
                points: get_str(r, "points")?,
            })
        })
        .collect()
}

/// The item scores recorded in a round.
pub async fn item_scores(store: &Store, round: i64) -> Result<Vec<ItemScore>> {
    sqlx::query("SELECT * FROM inspection_item_scores WHERE round_id = $1 ORDER BY unit, item")
        .bind(round)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ItemScore {
                unit: get_str(r, "unit")?,
                item: get_str(r, "item")?,
                score: get_str(r, "score")?,
            })
        })
        .collect()
}

/// Records the score a team gave a unit, with its item scores when the round has a checklist
/// (audited with the before).
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    round: i64,
    unit: &str,
    score: &str,
    items: &[(String, String)],
    note: &str,
) -> Result<Option<AssignmentRow>> {
    let before =
        sqlx::query("SELECT * FROM inspection_assignments WHERE round_id = $1 AND unit = $2")
            .bind(round)
            .bind(unit)
            .fetch_optional(&mut **tx)
            .await?;
    let Some(before) = before.as_ref().map(assignment_row).transpose()? else {
        return Ok(None);
    };
    let items_before: Vec<(String, String)> = sqlx::query(
        "SELECT item, score FROM inspection_item_scores WHERE round_id = $1 AND unit = $2 ORDER BY item",
    )
    .bind(round)
    .bind(unit)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| Ok((get_str(r, "item")?, get_str(r, "score")?)))
    .collect::<Result<_>>()?;
    sqlx::query("DELETE FROM inspection_item_scores WHERE round_id = $1 AND unit = $2")
        .bind(round)
        .bind(unit)
        .execute(&mut **tx)
        .await?;
    for (item, s) in items {
        sqlx::query(
            "INSERT INTO inspection_item_scores (round_id, unit, item, score) VALUES ($1, $2, $3, $4)",
        )
        .bind(round)
        .bind(unit)
        .bind(item)
        .bind(s)
        .execute(&mut **tx)
        .await?;
    }
    let at = now();
    let r = sqlx::query("UPDATE inspection_assignments SET score = $1, note = $2, recorded_by = $3, recorded_at = $4 WHERE round_id = $5 AND unit = $6 RETURNING *")
        .bind(score)
        .bind(note)
        .bind(&actor.name)
        .bind(&at)
        .bind(round)
        .bind(unit)
        .fetch_one(&mut **tx)
        .await?;
    let after = assignment_row(&r)?;
    append(
        tx,
        actor,
        Change {
            action: "inspection.score",
            entity: "inspection",
            entity_id: &format!("{round}/{unit}"),
            before: Some(json(
                &serde_json::json!({ "assignment": before, "items": items_before }),
            )),
            after: Some(json(
                &serde_json::json!({ "assignment": after, "items": items }),
            )),
            reason: note,
        },
    )
    .await?;
    Ok(Some(after))
}

/// A hazard to record.
pub struct NewHazard<'a> {
    pub round_id: i64,
    pub unit: &'a str,
    pub team: &'a str,
    pub location: &'a str,
    pub category: &'a str,
    pub severity: &'a str,
    pub description: &'a str,
    pub deadline: &'a str,
    pub task_id: i64,
}

/// Records a hazard (audited `inspection.hazard`).
pub async fn add_hazard(tx: &mut Tx, actor: &Actor, n: &NewHazard<'_>) -> Result<HazardRow> {
    let r = sqlx::query("INSERT INTO inspection_hazards (round_id, unit, team, location, category, severity, description, deadline, task_id, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *")
        .bind(n.round_id)
        .bind(n.unit)
        .bind(n.team)
        .bind(n.location)
        .bind(n.category)
        .bind(n.severity)
        .bind(n.description)
        .bind(n.deadline)
        .bind(n.task_id)
        .bind(&actor.name)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?;
    let h = hazard_row(&r)?;
    append(
        tx,
        actor,
        Change {
            action: "inspection.hazard",
            entity: "inspection",
            entity_id: &format!("{}/{}", n.round_id, n.unit),
            before: None,
            after: Some(json(&h)),
            reason: "",
        },
    )
    .await?;
    Ok(h)
}

/// A round's hazards, in the order recorded.
pub async fn hazards(store: &Store, round: i64) -> Result<Vec<HazardRow>> {
    sqlx::query("SELECT * FROM inspection_hazards WHERE round_id = $1 ORDER BY id")
        .bind(round)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(hazard_row)
        .collect()
}

/// One hazard.
pub async fn hazard(store: &Store, id: i64) -> Result<Option<HazardRow>> {
    sqlx::query("SELECT * FROM inspection_hazards WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .as_ref()
        .map(hazard_row)
        .transpose()
}
