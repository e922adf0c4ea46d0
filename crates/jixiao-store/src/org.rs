//! The organisation: the district and its units. Units are never deleted: closing or merging
//! keeps them (and every result that names them) in the record.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, StoreError, Tx, get_i64, get_opt, get_str, now};
use jixiao_core::code::{Code, Ident};
use jixiao_core::org::{
    BEGINNING, ChangeKind, Classes, Dated, District, History, Level, Org, Unit,
};
use jixiao_core::text::Text;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UnitRow {
    pub unit: Unit,
    pub closed_at: Option<String>,
    pub merged_into: Option<String>,
    pub version: i64,
}

fn level_code(l: Level) -> String {
    serde_json::to_value(l)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn corrupt(what: String) -> StoreError {
    StoreError::Corrupt {
        table: "units",
        what,
    }
}

fn unit_row(row: &AnyRow) -> Result<UnitRow> {
    Ok(UnitRow {
        unit: definition(row)?,
        closed_at: get_opt(row, "closed_at")?,
        merged_into: get_opt(row, "merged_into")?,
        version: get_i64(row, "version")?,
    })
}

/// A unit's definition from a row of `units` or `unit_versions` (the same columns).
fn definition(row: &AnyRow) -> Result<Unit> {
    let code = get_str(row, "code")?;
    let parse_code = |s: &str| Code::parse(s).map_err(|_| corrupt(format!("bad code `{s}`")));
    let classes: Vec<Ident> = get_str(row, "classes")?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|c| Ident::parse(c).map_err(|_| corrupt(format!("bad class `{c}`"))))
        .collect::<Result<_>>()?;
    let level: Level = serde_json::from_value(serde_json::Value::String(get_str(row, "level")?))
        .map_err(|e| corrupt(format!("{code}: {e}")))?;
    let unit = Unit {
        code: parse_code(&code)?,
        name: Text::new(get_str(row, "name_zh")?, get_str(row, "name_en")?),
        parent: get_opt(row, "parent_code")?
            .map(|p| parse_code(&p))
            .transpose()?,
        level,
        class: Classes(classes),
        coefficients: serde_json::from_str(&get_str(row, "coefficients")?)
            .map_err(|e| corrupt(format!("{code}: {e}")))?,
        targets: serde_json::from_str(&get_str(row, "targets")?)
            .map_err(|e| corrupt(format!("{code}: {e}")))?,
    };
    Ok(unit)
}

fn dated_row(row: &AnyRow) -> Result<Dated> {
    let unit = definition(row)?;
    let change = get_str(row, "change")?;
    Ok(Dated {
        from: get_str(row, "valid_from")?,
        change: ChangeKind::parse(&change)
            .ok_or_else(|| corrupt(format!("{}: change `{change}`", unit.code)))?,
        closed: get_i64(row, "closed")? != 0,
        successors: get_str(row, "successors")?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|c| Code::parse(c).map_err(|_| corrupt(format!("bad successor `{c}`"))))
            .collect::<Result<_>>()?,
        reason: get_str(row, "reason")?,
        unit,
    })
}

pub async fn district(store: &Store) -> Result<Option<District>> {
    let row = sqlx::query("SELECT code, name_zh, name_en FROM district WHERE id = 1")
        .fetch_optional(&store.pool)
        .await?;
    row.map(|r| {
        Ok(District {
            code: Code::parse(&get_str(&r, "code")?)
                .map_err(|_| corrupt("district code".into()))?,
            name: Text::new(get_str(&r, "name_zh")?, get_str(&r, "name_en")?),
        })
    })
    .transpose()
}

pub async fn units(store: &Store) -> Result<Vec<UnitRow>> {
    let rows = sqlx::query("SELECT * FROM units ORDER BY position, id")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(unit_row).collect()
}

pub async fn unit(conn: &mut sqlx::AnyConnection, code: &str) -> Result<Option<UnitRow>> {
    let row = sqlx::query("SELECT * FROM units WHERE code = $1")
        .bind(code)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(unit_row).transpose()
}

/// The organisation through time: every version of every unit.
pub async fn history(store: &Store) -> Result<Option<History>> {
    let Some(district) = district(store).await? else {
        return Ok(None);
    };
    let rows = sqlx::query("SELECT v.* FROM unit_versions v JOIN units u ON u.code = v.code ORDER BY u.position, u.id, v.valid_from")
        .fetch_all(&store.pool)
        .await?;
    let versions = rows.iter().map(dated_row).collect::<Result<Vec<_>>>()?;
    Ok(Some(History::new(district, versions)))
}

/// The organisation as it stands today: open units only.
pub async fn current(store: &Store) -> Result<Option<Org>> {
    Ok(history(store).await?.map(|h| h.as_of(&crate::today())))
}

/// One version to record: the day it holds from, what changed, the units that took over.
pub struct Version<'a> {
    pub from: &'a str,
    pub change: ChangeKind,
    pub closed: bool,
    pub successors: &'a [String],
}

/// Records a version of a unit (replacing one of the same day: the audit log keeps both).
async fn put_version(tx: &mut Tx, u: &Unit, v: &Version<'_>, reason: &str) -> Result<()> {
    let same_day =
        sqlx::query("SELECT change FROM unit_versions WHERE code = $1 AND valid_from = $2")
            .bind(u.code.as_str())
            .bind(v.from)
            .fetch_optional(&mut **tx)
            .await?;
    // A unit set up and changed on the same day is still set up that day.
    let change = match same_day
        .as_ref()
        .map(|r| get_str(r, "change"))
        .transpose()?
    {
        Some(c) if c == "create" && v.change == ChangeKind::Update => ChangeKind::Create,
        _ => v.change,
    };
    sqlx::query("DELETE FROM unit_versions WHERE code = $1 AND valid_from = $2")
        .bind(u.code.as_str())
        .bind(v.from)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO unit_versions (code, valid_from, change, name_zh, name_en, parent_code, level, classes, coefficients, targets, closed, successors, reason, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
        .bind(u.code.as_str())
        .bind(v.from)
        .bind(change.code())
        .bind(&u.name.zh)
        .bind(&u.name.en)
        .bind(u.parent.as_ref().map(|p| p.to_string()))
        .bind(level_code(u.level))
        .bind(classes_column(u))
        .bind(json_column(&u.coefficients))
        .bind(json_column(&u.targets))
        .bind(i64::from(v.closed))
        .bind(v.successors.join(","))
        .bind(reason)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What the audit log records of a unit change: the unit as stored and the version written.
fn change_json(u: Option<&UnitRow>, v: &Version<'_>) -> String {
    serde_json::json!({
        "unit": u,
        "from": v.from,
        "change": v.change.code(),
        "closed": v.closed,
        "successors": v.successors,
    })
    .to_string()
}

/// A unit's classes as stored: codes joined by commas.
fn classes_column(u: &Unit) -> String {
    u.class
        .0
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Coefficients or targets as stored: a JSON object.
fn json_column<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

fn unit_json(u: &UnitRow) -> String {
    serde_json::to_string(u).unwrap_or_default()
}

async fn insert_unit(tx: &mut Tx, u: &Unit, position: i64, from: &str, reason: &str) -> Result<()> {
    sqlx::query("INSERT INTO units (code, name_zh, name_en, parent_code, level, classes, coefficients, targets, position, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)")
        .bind(u.code.as_str())
        .bind(&u.name.zh)
        .bind(&u.name.en)
        .bind(u.parent.as_ref().map(|p| p.to_string()))
        .bind(level_code(u.level))
        .bind(classes_column(u))
        .bind(json_column(&u.coefficients))
        .bind(json_column(&u.targets))
        .bind(position)
        .execute(&mut **tx)
        .await?;
    let v = Version {
        from,
        change: ChangeKind::Create,
        closed: false,
        successors: &[],
    };
    put_version(tx, u, &v, reason).await
}

/// Sets up a new unit from `from` on (a split's new units, a unit added by hand).
pub async fn create_unit(
    tx: &mut Tx,
    actor: &Actor,
    u: &Unit,
    from: &str,
    reason: &str,
) -> Result<()> {
    let position = last_position(tx).await? + 1;
    create_at(tx, actor, u, position, from, reason).await
}

async fn last_position(tx: &mut Tx) -> Result<i64> {
    let max = sqlx::query("SELECT COALESCE(MAX(position), 0) AS m FROM units")
        .fetch_one(&mut **tx)
        .await?;
    get_i64(&max, "m")
}

/// [`create_unit`] at a given place in the organisation's order.
async fn create_at(
    tx: &mut Tx,
    actor: &Actor,
    u: &Unit,
    position: i64,
    from: &str,
    reason: &str,
) -> Result<()> {
    insert_unit(tx, u, position, from, reason).await?;
    let after = unit(tx, u.code.as_str()).await?;
    let v = Version {
        from,
        change: ChangeKind::Create,
        closed: false,
        successors: &[],
    };
    append(
        tx,
        actor,
        Change {
            action: "unit.create",
            entity: "unit",
            entity_id: u.code.as_str(),
            before: None,
            after: Some(change_json(after.as_ref(), &v)),
            reason,
        },
    )
    .await?;
    Ok(())
}

/// Writes a unit's new definition, holding from `from` on, if its version is still `expected`;
/// false when someone else changed it first. `from` is not before the unit's latest version
/// (the operations layer checks that).
pub async fn update_unit(
    tx: &mut Tx,
    actor: &Actor,
    u: &Unit,
    expected: i64,
    reason: &str,
    from: &str,
) -> Result<bool> {
    let Some(before) = unit(tx, u.code.as_str()).await? else {
        return Ok(false);
    };
    let done = sqlx::query("UPDATE units SET name_zh = $1, name_en = $2, parent_code = $3, level = $4, classes = $5, coefficients = $6, targets = $7, version = version + 1 WHERE code = $8 AND version = $9")
        .bind(&u.name.zh)
        .bind(&u.name.en)
        .bind(u.parent.as_ref().map(|p| p.to_string()))
        .bind(level_code(u.level))
        .bind(classes_column(u))
        .bind(json_column(&u.coefficients))
        .bind(json_column(&u.targets))
        .bind(u.code.as_str())
        .bind(expected)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1;
    if done {
        let v = Version {
            from,
            change: ChangeKind::Update,
            closed: false,
            successors: &[],
        };
        put_version(tx, u, &v, reason).await?;
        let after = unit(tx, u.code.as_str()).await?;
        append(
            tx,
            actor,
            Change {
                action: "unit.update",
                entity: "unit",
                entity_id: u.code.as_str(),
                before: Some(unit_json(&before)),
                after: Some(change_json(after.as_ref(), &v)),
                reason,
            },
        )
        .await?;
    }
    Ok(done)
}

/// Closes a unit from `v.from` on: abolished (撤销), merged into another (合并) or split into
/// several (拆分), with the units that took over. Its history, and every past period it was
/// in, stays.
pub async fn close_unit(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    v: &Version<'_>,
    expected: i64,
    reason: &str,
) -> Result<bool> {
    let Some(before) = unit(tx, code).await? else {
        return Ok(false);
    };
    let merged_into = v
        .successors
        .first()
        .filter(|_| v.change == ChangeKind::Merge);
    let done = sqlx::query("UPDATE units SET closed_at = $1, merged_into = $2, version = version + 1 WHERE code = $3 AND version = $4 AND closed_at IS NULL")
        .bind(v.from)
        .bind(merged_into)
        .bind(code)
        .bind(expected)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1;
    if done {
        put_version(tx, &before.unit, v, reason).await?;
        let after = unit(tx, code).await?;
        let action = match v.change {
            ChangeKind::Merge => "unit.merge",
            ChangeKind::Split => "unit.split",
            _ => "unit.close",
        };
        append(
            tx,
            actor,
            Change {
                action,
                entity: "unit",
                entity_id: code,
                before: Some(unit_json(&before)),
                after: Some(change_json(after.as_ref(), v)),
                reason,
            },
        )
        .await?;
    }
    Ok(done)
}

/// Imports an organisation file: sets the district, adds new units and updates changed ones
/// (units not in the file are kept). New units hold from `created` (the beginning of the
/// record unless the office dates them), changes from `changed` (today unless dated). Returns
/// (added, updated, unchanged).
pub async fn import(
    tx: &mut Tx,
    actor: &Actor,
    org: &Org,
    reason: &str,
    created: Option<&str>,
    changed: &str,
) -> Result<(usize, usize, usize)> {
    let created = created.unwrap_or(BEGINNING);
    let d = &org.district;
    let before = sqlx::query("SELECT code, name_zh, name_en FROM district WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?;
    let before_json = before.as_ref().map(|r| {
        format!(
            "{}|{}|{}",
            get_str(r, "code").unwrap_or_default(),
            get_str(r, "name_zh").unwrap_or_default(),
            get_str(r, "name_en").unwrap_or_default()
        )
    });
    let after_json = format!("{}|{}|{}", d.code, d.name.zh, d.name.en);
    if before_json.as_deref() != Some(after_json.as_str()) {
        sqlx::query("DELETE FROM district WHERE id = 1")
            .execute(&mut **tx)
            .await?;
        sqlx::query("INSERT INTO district (id, code, name_zh, name_en) VALUES (1, $1, $2, $3)")
            .bind(d.code.as_str())
            .bind(&d.name.zh)
            .bind(&d.name.en)
            .execute(&mut **tx)
            .await?;
        append(
            tx,
            actor,
            Change {
                action: "district.set",
                entity: "district",
                entity_id: d.code.as_str(),
                before: before_json,
                after: Some(after_json),
                reason,
            },
        )
        .await?;
    }
    let (mut added, mut updated, mut same) = (0, 0, 0);
    let mut position = last_position(tx).await?;
    for u in &org.units {
        match unit(tx, u.code.as_str()).await? {
            None => {
                position += 1;
                create_at(tx, actor, u, position, created, reason).await?;
                added += 1;
            }
            Some(existing) if existing.unit == *u => same += 1,
            Some(existing) => {
                update_unit(tx, actor, u, existing.version, reason, changed).await?;
                updated += 1;
            }
        }
    }
    Ok((added, updated, same))
}

/// The periods whose results are fixed — closed, or published — as (scheme, period), read in
/// the writing transaction: an organisation change may not reach back into them.
pub async fn frozen(tx: &mut Tx) -> Result<Vec<(String, String)>> {
    let mut out = crate::periods::closed(tx).await?;
    let rows = sqlx::query("SELECT DISTINCT scheme_code, period FROM publications")
        .fetch_all(&mut **tx)
        .await?;
    for r in &rows {
        out.push((get_str(r, "scheme_code")?, get_str(r, "period")?));
    }
    Ok(out)
}
