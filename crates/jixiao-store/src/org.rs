//! The organisation: the district and its units. Units are never deleted: closing or merging
//! keeps them (and every result that names them) in the record.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, StoreError, Tx, get_i64, get_opt, get_str, now};
use jixiao_core::code::{Code, Ident};
use jixiao_core::org::{Classes, District, Level, Org, Unit};
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
    Ok(UnitRow {
        unit,
        closed_at: get_opt(row, "closed_at")?,
        merged_into: get_opt(row, "merged_into")?,
        version: get_i64(row, "version")?,
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

/// The organisation as scoring sees it: open units only.
pub async fn current(store: &Store) -> Result<Option<Org>> {
    let Some(district) = district(store).await? else {
        return Ok(None);
    };
    let units = units(store)
        .await?
        .into_iter()
        .filter(|u| u.closed_at.is_none())
        .map(|u| u.unit)
        .collect();
    Ok(Some(Org { district, units }))
}

fn unit_json(u: &UnitRow) -> String {
    serde_json::to_string(u).unwrap_or_default()
}

async fn insert_unit(tx: &mut Tx, u: &Unit, position: i64) -> Result<()> {
    sqlx::query("INSERT INTO units (code, name_zh, name_en, parent_code, level, classes, coefficients, targets, position, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)")
        .bind(u.code.as_str())
        .bind(&u.name.zh)
        .bind(&u.name.en)
        .bind(u.parent.as_ref().map(|p| p.to_string()))
        .bind(level_code(u.level))
        .bind(u.class.0.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(","))
        .bind(serde_json::to_string(&u.coefficients).unwrap_or_else(|_| "{}".into()))
        .bind(serde_json::to_string(&u.targets).unwrap_or_else(|_| "{}".into()))
        .bind(position)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Writes a unit's new definition if its version is still `expected`; false when someone else
/// changed it first.
pub async fn update_unit(
    tx: &mut Tx,
    actor: &Actor,
    u: &Unit,
    expected: i64,
    reason: &str,
) -> Result<bool> {
    let Some(before) = unit(tx, u.code.as_str()).await? else {
        return Ok(false);
    };
    let done = sqlx::query("UPDATE units SET name_zh = $1, name_en = $2, parent_code = $3, level = $4, classes = $5, coefficients = $6, targets = $7, version = version + 1 WHERE code = $8 AND version = $9")
        .bind(&u.name.zh)
        .bind(&u.name.en)
        .bind(u.parent.as_ref().map(|p| p.to_string()))
        .bind(level_code(u.level))
        .bind(u.class.0.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(","))
        .bind(serde_json::to_string(&u.coefficients).unwrap_or_else(|_| "{}".into()))
        .bind(serde_json::to_string(&u.targets).unwrap_or_else(|_| "{}".into()))
        .bind(u.code.as_str())
        .bind(expected)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1;
    if done {
        let after = unit(tx, u.code.as_str()).await?;
        append(
            tx,
            actor,
            Change {
                action: "unit.update",
                entity: "unit",
                entity_id: u.code.as_str(),
                before: Some(unit_json(&before)),
                after: after.as_ref().map(unit_json),
                reason,
            },
        )
        .await?;
    }
    Ok(done)
}

/// Closes a unit (撤销) or merges it into another (合并). Its history stays.
pub async fn close_unit(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    merged_into: Option<&str>,
    expected: i64,
    reason: &str,
) -> Result<bool> {
    let Some(before) = unit(tx, code).await? else {
        return Ok(false);
    };
    let done = sqlx::query("UPDATE units SET closed_at = $1, merged_into = $2, version = version + 1 WHERE code = $3 AND version = $4 AND closed_at IS NULL")
        .bind(now())
        .bind(merged_into)
        .bind(code)
        .bind(expected)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1;
    if done {
        let after = unit(tx, code).await?;
        let action = if merged_into.is_some() {
            "unit.merge"
        } else {
            "unit.close"
        };
        append(
            tx,
            actor,
            Change {
                action,
                entity: "unit",
                entity_id: code,
                before: Some(unit_json(&before)),
                after: after.as_ref().map(unit_json),
                reason,
            },
        )
        .await?;
    }
    Ok(done)
}

/// Imports an organisation file: sets the district, adds new units and updates changed ones
/// (units not in the file are kept). Returns (added, updated, unchanged).
pub async fn import(
    tx: &mut Tx,
    actor: &Actor,
    org: &Org,
    reason: &str,
) -> Result<(usize, usize, usize)> {
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
    let max = sqlx::query("SELECT COALESCE(MAX(position), 0) AS m FROM units")
        .fetch_one(&mut **tx)
        .await?;
    let mut position = get_i64(&max, "m")?;
    for u in &org.units {
        match unit(tx, u.code.as_str()).await? {
            None => {
                position += 1;
                insert_unit(tx, u, position).await?;
                let after = unit(tx, u.code.as_str()).await?;
                append(
                    tx,
                    actor,
                    Change {
                        action: "unit.create",
                        entity: "unit",
                        entity_id: u.code.as_str(),
                        before: None,
                        after: after.as_ref().map(unit_json),
                        reason,
                    },
                )
                .await?;
                added += 1;
            }
            Some(existing) if existing.unit == *u => same += 1,
            Some(existing) => {
                update_unit(tx, actor, u, existing.version, reason).await?;
                updated += 1;
            }
        }
    }
    Ok((added, updated, same))
}
