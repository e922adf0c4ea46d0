//! Warnings kept as records (预警台账): raised when a value crosses a scheme's warning line,
//! answered by the unit, escalated when unanswered, resolved or closed; every step an event.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str, now};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WarningRow {
    pub id: i64,
    pub scheme_code: String,
    pub rule_code: String,
    pub unit_code: String,
    pub period: String,
    pub element: String,
    /// `yellow`, `orange` or `red`.
    pub level: String,
    pub value: String,
    /// The line crossed, e.g. `> 20`.
    pub line: String,
    /// `open` (raised and sent), `acknowledged`, `resolved` or `closed`.
    pub state: String,
    /// Whether the value was outside the line when last evaluated.
    pub crossing: bool,
    /// Not answered in time (and escalated).
    pub overdue: bool,
    /// Needs a verified rectification before it is resolved.
    pub rectify: bool,
    /// The lead department of the element watched.
    pub lead_code: Option<String>,
    pub raised_at: String,
    /// When the unit's answer is due.
    pub respond_by: String,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    /// The unit's answer: the cause.
    pub cause: String,
    /// The unit's answer: the measures taken.
    pub measures: String,
    pub escalated_at: Option<String>,
    pub resolved_at: Option<String>,
    pub resolved_by: Option<String>,
    /// Why it was resolved or closed.
    pub resolution: String,
    /// The warning of the same rule, unit and period this one raises again.
    pub previous_id: Option<i64>,
    pub version: i64,
}

impl WarningRow {
    /// Raised or acknowledged: still to be followed up.
    pub fn is_open(&self) -> bool {
        matches!(self.state.as_str(), "open" | "acknowledged")
    }
}

fn row(r: &sqlx::any::AnyRow) -> Result<WarningRow> {
    Ok(WarningRow {
        id: get_i64(r, "id")?,
        scheme_code: get_str(r, "scheme_code")?,
        rule_code: get_str(r, "rule_code")?,
        unit_code: get_str(r, "unit_code")?,
        period: get_str(r, "period")?,
        element: get_str(r, "element")?,
        level: get_str(r, "level")?,
        value: get_str(r, "value")?,
        line: get_str(r, "line")?,
        state: get_str(r, "state")?,
        crossing: get_i64(r, "crossing")? != 0,
        overdue: get_i64(r, "overdue")? != 0,
        rectify: get_i64(r, "rectify")? != 0,
        lead_code: get_opt(r, "lead_code")?,
        raised_at: get_str(r, "raised_at")?,
        respond_by: get_str(r, "respond_by")?,
        acknowledged_at: get_opt(r, "acknowledged_at")?,
        acknowledged_by: get_opt(r, "acknowledged_by")?,
        cause: get_str(r, "cause")?,
        measures: get_str(r, "measures")?,
        escalated_at: get_opt(r, "escalated_at")?,
        resolved_at: get_opt(r, "resolved_at")?,
        resolved_by: get_opt(r, "resolved_by")?,
        resolution: get_str(r, "resolution")?,
        previous_id: sqlx::Row::try_get::<Option<i64>, _>(r, "previous_id")?,
        version: get_i64(r, "version")?,
    })
}

fn json(w: &WarningRow) -> String {
    serde_json::to_string(w).unwrap_or_default()
}

/// One step of a warning's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRow {
    pub id: i64,
    pub warning_id: i64,
    pub at: String,
    pub actor: String,
    /// `raised`, `changed`, `acknowledged`, `escalated`, `back_inside`, `rectified`,
    /// `resolved`, `closed`.
    pub kind: String,
    pub level: String,
    pub value: String,
    pub note: String,
}

fn event_row(r: &sqlx::any::AnyRow) -> Result<EventRow> {
    Ok(EventRow {
        id: get_i64(r, "id")?,
        warning_id: get_i64(r, "warning_id")?,
        at: get_str(r, "at")?,
        actor: get_str(r, "actor")?,
        kind: get_str(r, "kind")?,
        level: get_str(r, "level")?,
        value: get_str(r, "value")?,
        note: get_str(r, "note")?,
    })
}

/// A warning to raise.
#[derive(Debug, Clone)]
pub struct New<'a> {
    pub scheme: &'a str,
    pub rule: &'a str,
    pub unit: &'a str,
    pub period: &'a str,
    pub element: &'a str,
    pub level: &'a str,
    pub value: &'a str,
    pub line: &'a str,
    pub rectify: bool,
    pub lead: Option<&'a str>,
    pub raised_at: &'a str,
    pub respond_by: &'a str,
    pub previous: Option<i64>,
}

/// Raises a warning, unless one of the same rule, unit and period is open already (another
/// request or node raised it first): `None` then.
pub async fn raise(tx: &mut Tx, actor: &Actor, n: &New<'_>) -> Result<Option<WarningRow>> {
    let r = sqlx::query(
        "INSERT INTO warnings (scheme_code, rule_code, unit_code, period, element, level, value, line, state, open, crossing, rectify, lead_code, raised_at, respond_by, previous_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', 1, 1, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING RETURNING *",
    )
    .bind(n.scheme)
    .bind(n.rule)
    .bind(n.unit)
    .bind(n.period)
    .bind(n.element)
    .bind(n.level)
    .bind(n.value)
    .bind(n.line)
    .bind(i64::from(n.rectify))
    .bind(n.lead)
    .bind(n.raised_at)
    .bind(n.respond_by)
    .bind(n.previous)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let w = row(&r)?;
    event(tx, &w, &actor.name, "raised", "").await?;
    append(
        tx,
        actor,
        Change {
            action: "warning.raise",
            entity: "warning",
            entity_id: &w.id.to_string(),
            before: None,
            after: Some(json(&w)),
            reason: "",
        },
    )
    .await?;
    Ok(Some(w))
}

/// Writes `after` over `before` if the record is still at `before.version`, with an event of
/// `kind` and an audit entry of `action`; `None` when someone changed it first.
pub async fn save(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    kind: &str,
    before: &WarningRow,
    after: &WarningRow,
    note: &str,
) -> Result<Option<WarningRow>> {
    let r = sqlx::query(
        "UPDATE warnings SET level = $1, value = $2, line = $3, state = $4, open = $5, crossing = $6, overdue = $7, rectify = $8, \
         respond_by = $9, acknowledged_at = $10, acknowledged_by = $11, cause = $12, measures = $13, escalated_at = $14, \
         resolved_at = $15, resolved_by = $16, resolution = $17, version = version + 1 \
         WHERE id = $18 AND version = $19 RETURNING *",
    )
    .bind(&after.level)
    .bind(&after.value)
    .bind(&after.line)
    .bind(&after.state)
    .bind(i64::from(after.is_open()))
    .bind(i64::from(after.crossing))
    .bind(i64::from(after.overdue))
    .bind(i64::from(after.rectify))
    .bind(&after.respond_by)
    .bind(&after.acknowledged_at)
    .bind(&after.acknowledged_by)
    .bind(&after.cause)
    .bind(&after.measures)
    .bind(&after.escalated_at)
    .bind(&after.resolved_at)
    .bind(&after.resolved_by)
    .bind(&after.resolution)
    .bind(before.id)
    .bind(before.version)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let w = row(&r)?;
    if !kind.is_empty() {
        event(tx, &w, &actor.name, kind, note).await?;
    }
    append(
        tx,
        actor,
        Change {
            action,
            entity: "warning",
            entity_id: &w.id.to_string(),
            before: Some(json(before)),
            after: Some(json(&w)),
            reason: note,
        },
    )
    .await?;
    Ok(Some(w))
}

async fn event(tx: &mut Tx, w: &WarningRow, actor: &str, kind: &str, note: &str) -> Result<()> {
    sqlx::query("INSERT INTO warning_events (warning_id, at, actor, kind, level, value, note) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(w.id)
        .bind(now())
        .bind(actor)
        .bind(kind)
        .bind(&w.level)
        .bind(&w.value)
        .bind(note)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Option<WarningRow>> {
    let r = sqlx::query("SELECT * FROM warnings WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(row).transpose()
}

/// The newest warning of a rule for a unit and period (open or not).
pub async fn latest_in(
    conn: &mut sqlx::AnyConnection,
    scheme: &str,
    rule: &str,
    unit: &str,
    period: &str,
) -> Result<Option<WarningRow>> {
    let r = sqlx::query("SELECT * FROM warnings WHERE scheme_code = $1 AND rule_code = $2 AND unit_code = $3 AND period = $4 ORDER BY id DESC LIMIT 1")
        .bind(scheme)
        .bind(rule)
        .bind(unit)
        .bind(period)
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(row).transpose()
}

/// The newest warning of every rule, unit and period of `scheme` and `period` that ever had one.
pub async fn latest_of_period(
    conn: &mut sqlx::AnyConnection,
    scheme: &str,
    period: &str,
    units: Option<&[String]>,
) -> Result<Vec<WarningRow>> {
    // Only the units asked for (the units a change touched): reading the whole period's
    // warnings on every counted value cost 150 ms at 5,000 units (bench_server --warnings).
    let only = match units {
        Some([]) => return Ok(Vec::new()),
        Some(u) => format!(
            " AND unit_code IN ({})",
            (3..u.len() + 3)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => String::new(),
    };
    let sql = format!(
        "SELECT * FROM warnings w WHERE scheme_code = $1 AND period = $2{only} AND id = \
         (SELECT MAX(id) FROM warnings x WHERE x.scheme_code = w.scheme_code AND x.rule_code = w.rule_code AND x.unit_code = w.unit_code AND x.period = w.period)"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(scheme)
        .bind(period);
    for u in units.unwrap_or_default() {
        q = q.bind(u);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter().map(row).collect()
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub level: Option<String>,
    pub state: Option<String>,
    pub unit: Option<String>,
    pub element: Option<String>,
    pub period: Option<String>,
    pub scheme: Option<String>,
    /// Raised at or before this instant (RFC 3339): at least so old.
    pub raised_before: Option<String>,
    pub open_only: bool,
}

/// Warnings matching `f`, newest first (at most `limit`).
pub async fn list(store: &Store, f: &Filter, limit: i64) -> Result<Vec<WarningRow>> {
    let mut sql = String::from("SELECT * FROM warnings WHERE 1 = 1");
    let mut binds: Vec<&str> = Vec::new();
    let fields: [(&str, &Option<String>); 6] = [
        ("level = ", &f.level),
        ("state = ", &f.state),
        ("unit_code = ", &f.unit),
        ("element = ", &f.element),
        ("period = ", &f.period),
        ("scheme_code = ", &f.scheme),
    ];
    for (col, v) in fields {
        if let Some(v) = v {
            binds.push(v);
            sql.push_str(&format!(" AND {col}${}", binds.len()));
        }
    }
    if let Some(t) = &f.raised_before {
        binds.push(t);
        sql.push_str(&format!(" AND raised_at <= ${}", binds.len()));
    }
    if f.open_only {
        sql.push_str(" AND open = 1");
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    // Only fixed column names and `$n` placeholders are put in the text; values are bound.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&store.pool).await?;
    rows.iter().map(row).collect()
}

pub async fn events(store: &Store, id: i64) -> Result<Vec<EventRow>> {
    let rows = sqlx::query("SELECT * FROM warning_events WHERE warning_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(event_row).collect()
}

/// Open warnings not yet answered nor escalated whose answer was due before `now`.
pub async fn due(store: &Store, now: &str) -> Result<Vec<WarningRow>> {
    let rows = sqlx::query(
        "SELECT * FROM warnings WHERE state = 'open' AND overdue = 0 AND respond_by < $1 ORDER BY id",
    )
    .bind(now)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(row).collect()
}
