//! Enforcement cases (行政执法案件), the legal office's rule file and the legality flags the rules
//! raise on the cases. A case is kept as the JSON record the rules read (no party names) with
//! the columns lists filter by; every case written, every rule file and every flag raised,
//! cleared, confirmed or dismissed is audited.

use crate::audit::{Actor, Change, append, append_many};
use crate::{Result, Store, Tx, get_i64, get_str, now};
use serde::Serialize;

/// A version of the rule file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RulesRow {
    pub id: i64,
    pub toml: String,
    pub created_by: String,
    pub created_at: String,
    pub reason: String,
}

/// The rule file in force (the newest version), if any.
pub async fn rules(store: &Store) -> Result<Option<RulesRow>> {
    let r = sqlx::query("SELECT * FROM enforcement_rules ORDER BY id DESC LIMIT 1")
        .fetch_optional(&store.pool)
        .await?;
    r.map(|r| {
        Ok(RulesRow {
            id: get_i64(&r, "id")?,
            toml: get_str(&r, "toml")?,
            created_by: get_str(&r, "created_by")?,
            created_at: get_str(&r, "created_at")?,
            reason: get_str(&r, "reason")?,
        })
    })
    .transpose()
}

/// Stores a new version of the rule file (audited with the one it replaces).
pub async fn put_rules(
    tx: &mut Tx,
    actor: &Actor,
    before: Option<&str>,
    toml: &str,
    reason: &str,
) -> Result<i64> {
    let r = sqlx::query("INSERT INTO enforcement_rules (toml, created_by, created_at, reason) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(toml)
        .bind(&actor.name)
        .bind(now())
        .bind(reason)
        .fetch_one(&mut **tx)
        .await?;
    let id = get_i64(&r, "id")?;
    append(
        tx,
        actor,
        Change {
            action: "enforcement.rules",
            entity: "enforcement_rules",
            entity_id: &id.to_string(),
            before: before.map(str::to_owned),
            after: Some(toml.to_owned()),
            reason,
        },
    )
    .await?;
    Ok(id)
}

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRow {
    pub id: i64,
    pub number: String,
    pub dept: String,
    /// The decision day, else the filing day (YYYY-MM-DD), or empty.
    pub day: String,
    pub major: bool,
    /// The JSON of the case record.
    pub record: String,
    pub source: String,
    pub updated_by: String,
    pub updated_at: String,
    pub version: i64,
}

fn case_row(r: &sqlx::any::AnyRow) -> Result<CaseRow> {
    Ok(CaseRow {
        id: get_i64(r, "id")?,
        number: get_str(r, "number")?,
        dept: get_str(r, "dept")?,
        day: get_str(r, "day")?,
        major: get_i64(r, "major")? != 0,
        record: get_str(r, "record")?,
        source: get_str(r, "source")?,
        updated_by: get_str(r, "updated_by")?,
        updated_at: get_str(r, "updated_at")?,
        version: get_i64(r, "version")?,
    })
}

/// A case to write: its number, department, day, whether major, its record, its channel.
pub struct NewCase<'a> {
    pub number: &'a str,
    pub dept: &'a str,
    pub day: &'a str,
    pub major: bool,
    pub record: &'a str,
    pub source: &'a str,
}

/// What writing a case did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
    Unchanged,
}

/// Writes cases by number: new ones inserted, changed ones updated, the same record left alone;
/// each change audited (`enforcement.case`, before and after). The rows, each with what
/// happened, in the order given.
pub async fn write_cases(
    tx: &mut Tx,
    actor: &Actor,
    cases: &[NewCase<'_>],
    reason: &str,
) -> Result<Vec<(CaseRow, Written)>> {
    let mut out = Vec::with_capacity(cases.len());
    let mut audit: Vec<(String, String, Option<String>, String)> = Vec::new();
    let at = now();
    for c in cases {
        let old = sqlx::query("SELECT * FROM enforcement_cases WHERE number = $1")
            .bind(c.number)
            .fetch_optional(&mut **tx)
            .await?
            .as_ref()
            .map(case_row)
            .transpose()?;
        let (row, written) = match old {
            Some(o) if o.record == c.record && o.dept == c.dept => (o, Written::Unchanged),
            Some(o) => {
                let r = sqlx::query("UPDATE enforcement_cases SET dept = $1, day = $2, major = $3, record = $4, source = $5, updated_by = $6, updated_at = $7, version = version + 1 WHERE id = $8 RETURNING *")
                    .bind(c.dept)
                    .bind(c.day)
                    .bind(i64::from(c.major))
                    .bind(c.record)
                    .bind(c.source)
                    .bind(&actor.name)
                    .bind(&at)
                    .bind(o.id)
                    .fetch_one(&mut **tx)
                    .await?;
                let row = case_row(&r)?;
                audit.push((
                    "enforcement.case.update".into(),
                    row.id.to_string(),
                    Some(o.record),
                    row.record.clone(),
                ));
                (row, Written::Updated)
            }
            None => {
                let r = sqlx::query("INSERT INTO enforcement_cases (number, dept, day, major, record, source, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *")
                    .bind(c.number)
                    .bind(c.dept)
                    .bind(c.day)
                    .bind(i64::from(c.major))
                    .bind(c.record)
                    .bind(c.source)
                    .bind(&actor.name)
                    .bind(&at)
                    .fetch_one(&mut **tx)
                    .await?;
                let row = case_row(&r)?;
                audit.push((
                    "enforcement.case.create".into(),
                    row.id.to_string(),
                    None,
                    row.record.clone(),
                ));
                (row, Written::Created)
            }
        };
        out.push((row, written));
    }
    append_many(
        tx,
        actor,
        audit
            .iter()
            .map(|(action, id, before, after)| Change {
                action,
                entity: "enforcement_case",
                entity_id: id,
                before: before.clone(),
                after: Some(after.clone()),
                reason,
            })
            .collect(),
    )
    .await?;
    Ok(out)
}

/// A case by id.
pub async fn case(store: &Store, id: i64) -> Result<Option<CaseRow>> {
    sqlx::query("SELECT * FROM enforcement_cases WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .as_ref()
        .map(case_row)
        .transpose()
}

/// Every case (of `dept`, when given), by department and number.
pub async fn cases(store: &Store, dept: Option<&str>) -> Result<Vec<CaseRow>> {
    let rows = match dept {
        Some(d) => {
            sqlx::query("SELECT * FROM enforcement_cases WHERE dept = $1 ORDER BY dept, number")
                .bind(d)
                .fetch_all(&store.pool)
                .await?
        }
        None => {
            sqlx::query("SELECT * FROM enforcement_cases ORDER BY dept, number")
                .fetch_all(&store.pool)
                .await?
        }
    };
    rows.iter().map(case_row).collect()
}

/// A flag on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagRow {
    pub id: i64,
    pub case_id: i64,
    pub rule: String,
    pub fingerprint: String,
    /// Name, basis, fields and the computation in words (JSON).
    pub detail: String,
    /// Whether the newest evaluation raises it.
    pub raised: bool,
    /// `open`, `confirmed` or `dismissed`.
    pub state: String,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: String,
    pub task_id: Option<i64>,
    pub created_at: String,
    pub version: i64,
}

fn flag_row(r: &sqlx::any::AnyRow) -> Result<FlagRow> {
    Ok(FlagRow {
        id: get_i64(r, "id")?,
        case_id: get_i64(r, "case_id")?,
        rule: get_str(r, "rule")?,
        fingerprint: get_str(r, "fingerprint")?,
        detail: get_str(r, "detail")?,
        raised: get_i64(r, "raised")? != 0,
        state: get_str(r, "state")?,
        reason: get_str(r, "reason")?,
        decided_by: get_str(r, "decided_by")?,
        decided_at: get_str(r, "decided_at")?,
        task_id: sqlx::Row::try_get::<Option<i64>, _>(r, "task_id")?,
        created_at: get_str(r, "created_at")?,
        version: get_i64(r, "version")?,
    })
}

/// Every flag, by case and id.
pub async fn flags(store: &Store) -> Result<Vec<FlagRow>> {
    sqlx::query("SELECT * FROM enforcement_flags ORDER BY case_id, id")
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(flag_row)
        .collect()
}

/// The flags of one case, by id.
pub async fn flags_of(store: &Store, case_id: i64) -> Result<Vec<FlagRow>> {
    sqlx::query("SELECT * FROM enforcement_flags WHERE case_id = $1 ORDER BY id")
        .bind(case_id)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(flag_row)
        .collect()
}

/// The flags of one case, by id, in `tx`.
pub async fn flags_in(tx: &mut Tx, case_id: i64) -> Result<Vec<FlagRow>> {
    sqlx::query("SELECT * FROM enforcement_flags WHERE case_id = $1 ORDER BY id")
        .bind(case_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(flag_row)
        .collect()
}

/// A flag by id.
pub async fn flag(store: &Store, id: i64) -> Result<Option<FlagRow>> {
    sqlx::query("SELECT * FROM enforcement_flags WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .as_ref()
        .map(flag_row)
        .transpose()
}

/// A flag the newest evaluation raises: rule, fingerprint, detail (JSON).
pub struct Raised {
    pub rule: String,
    pub fingerprint: String,
    pub detail: String,
}

/// What bringing a case's flags up to date did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Synced {
    /// Flags raised for the first time.
    pub new: usize,
    /// Flags raised again (a case changed back): their decision stands.
    pub again: usize,
    /// Flags no longer raised.
    pub cleared: usize,
}

/// A flag change to audit: the action, the flag's id, its detail.
pub type FlagChange = (&'static str, i64, String);

/// Brings the flags of a case to what the rules raise now: a flag with the same rule and
/// fingerprint is the same flag (its state — dismissed, confirmed — stays); new ones are open;
/// ones no longer raised are kept with `raised = 0`. `old`: the case's flags as stored. The
/// changes are added to `audit`, for [`audit_flags`].
pub async fn sync_flags(
    tx: &mut Tx,
    case_id: i64,
    wanted: &[Raised],
    old: &[FlagRow],
    audit: &mut Vec<FlagChange>,
) -> Result<Synced> {
    let mut done = Synced::default();
    let at = now();
    for w in wanted {
        match old
            .iter()
            .find(|f| f.rule == w.rule && f.fingerprint == w.fingerprint)
        {
            Some(f) if f.raised => {}
            Some(f) => {
                sqlx::query(
                    "UPDATE enforcement_flags SET raised = 1, version = version + 1 WHERE id = $1",
                )
                .bind(f.id)
                .execute(&mut **tx)
                .await?;
                done.again += 1;
                audit.push(("enforcement.flag.raise", f.id, w.detail.clone()));
            }
            None => {
                let r = sqlx::query("INSERT INTO enforcement_flags (case_id, rule, fingerprint, detail, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                    .bind(case_id)
                    .bind(&w.rule)
                    .bind(&w.fingerprint)
                    .bind(&w.detail)
                    .bind(&at)
                    .fetch_one(&mut **tx)
                    .await?;
                done.new += 1;
                audit.push((
                    "enforcement.flag.raise",
                    get_i64(&r, "id")?,
                    w.detail.clone(),
                ));
            }
        }
    }
    for f in old {
        let still = wanted
            .iter()
            .any(|w| f.rule == w.rule && f.fingerprint == w.fingerprint);
        if f.raised && !still {
            sqlx::query(
                "UPDATE enforcement_flags SET raised = 0, version = version + 1 WHERE id = $1",
            )
            .bind(f.id)
            .execute(&mut **tx)
            .await?;
            done.cleared += 1;
            audit.push(("enforcement.flag.clear", f.id, f.detail.clone()));
        }
    }
    Ok(done)
}

/// Audits the flag changes [`sync_flags`] collected, in one stretch of the chain.
pub async fn audit_flags(
    tx: &mut Tx,
    actor: &Actor,
    audit: &[FlagChange],
    reason: &str,
) -> Result<()> {
    let ids: Vec<String> = audit.iter().map(|a| a.1.to_string()).collect();
    append_many(
        tx,
        actor,
        audit
            .iter()
            .zip(&ids)
            .map(|((action, _, detail), id)| Change {
                action,
                entity: "enforcement_flag",
                entity_id: id,
                before: None,
                after: Some(detail.clone()),
                reason,
            })
            .collect(),
    )
    .await
}

/// Confirms or dismisses a flag at `version` with a reason (false: it changed first); a
/// rectification task opened with the confirmation is linked. Audited.
pub async fn decide(
    tx: &mut Tx,
    actor: &Actor,
    f: &FlagRow,
    state: &str,
    reason: &str,
    task_id: Option<i64>,
) -> Result<bool> {
    let n = sqlx::query("UPDATE enforcement_flags SET state = $1, reason = $2, decided_by = $3, decided_at = $4, task_id = $5, version = version + 1 WHERE id = $6 AND version = $7")
        .bind(state)
        .bind(reason)
        .bind(&actor.name)
        .bind(now())
        .bind(task_id.or(f.task_id))
        .bind(f.id)
        .bind(f.version)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    append(
        tx,
        actor,
        Change {
            action: if state == "confirmed" {
                "enforcement.flag.confirm"
            } else if state == "dismissed" {
                "enforcement.flag.dismiss"
            } else {
                "enforcement.flag.reopen"
            },
            entity: "enforcement_flag",
            entity_id: &f.id.to_string(),
            before: Some(serde_json::json!({ "state": f.state }).to_string()),
            after: Some(serde_json::json!({ "state": state, "task": task_id }).to_string()),
            reason,
        },
    )
    .await?;
    Ok(true)
}
