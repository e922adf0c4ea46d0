//! The organisation: list, read, import an organisation file, edit, close or merge a unit.
//! Every change is checked against the published schemes before it is written.

use crate::error::{Error, Result};
use crate::live::compile;
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::Action;
use jixiao_core::doc::SourceText;
use jixiao_core::issue::Issues;
use jixiao_core::org::{Org, Unit};
use jixiao_core::text::Text;
use jixiao_store::org::UnitRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Checks a would-be organisation against every published scheme.
async fn check_org(state: &AppState, org: &Org) -> Result<()> {
    let mut issues = Issues::new();
    for s in jixiao_store::schemes::published(&state.store).await? {
        if let Err(e) = compile(&s, org) {
            issues.extend(e);
        }
    }
    if issues.has_errors() {
        Err(Error::invalid(&issues))
    } else {
        Ok(())
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnitView {
    #[schema(value_type = Object)]
    pub unit: serde_json::Value,
    pub closed_at: Option<String>,
    pub merged_into: Option<String>,
    pub version: i64,
}

fn view(r: &UnitRow) -> UnitView {
    UnitView {
        unit: serde_json::to_value(&r.unit).unwrap_or_default(),
        closed_at: r.closed_at.clone(),
        merged_into: r.merged_into.clone(),
        version: r.version,
    }
}

/// Every unit, closed ones included.
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<UnitView>> {
    caller.require_signed_in()?;
    Ok(jixiao_store::org::units(&state.store)
        .await?
        .iter()
        .map(view)
        .collect())
}

pub async fn get(state: &AppState, caller: &Caller, code: &str) -> Result<UnitView> {
    caller.require_signed_in()?;
    let mut conn = crate::ops::conn(state).await?;
    let u = jixiao_store::org::unit(&mut conn, code)
        .await?
        .ok_or_else(|| Error::not_found("单位", "unit"))?;
    Ok(view(&u))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ImportBody {
    /// The organisation file's text.
    pub content: String,
    /// `toml` (default) or `json`.
    pub format: Option<String>,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Imports an organisation file (adds and updates units; keeps the others).
pub async fn import(state: &AppState, caller: &Caller, b: ImportBody) -> Result<ImportResult> {
    allow(state, caller, Action::ManageUnits).await?;
    require_reason(&b.reason)?;
    let name = format!("org.{}", b.format.as_deref().unwrap_or("toml"));
    let org: Org = SourceText::new(&name, &b.content)
        .parse()
        .map_err(|i| Error::invalid(&i))?;
    // The result: the units in the store, updated by the file.
    let mut merged = jixiao_store::org::current(&state.store)
        .await?
        .unwrap_or(Org {
            district: org.district.clone(),
            units: Vec::new(),
        });
    merged.district = org.district.clone();
    for u in &org.units {
        match merged.units.iter_mut().find(|x| x.code == u.code) {
            Some(x) => *x = u.clone(),
            None => merged.units.push(u.clone()),
        }
    }
    check_org(state, &merged).await?;
    let mut tx = state.store.write().await?;
    let (added, updated, unchanged) =
        jixiao_store::org::import(&mut tx, &caller.actor, &org, &b.reason).await?;
    commit(tx).await?;
    state.reload_after_commit().await;
    Ok(ImportResult {
        added,
        updated,
        unchanged,
    })
}

/// Commits a change of one unit that the store made (`done`) or refused because the version
/// moved on (a conflict, with the unit as it is now), and reloads the live results.
async fn finish(
    state: &AppState,
    mut tx: jixiao_store::Tx,
    code: &str,
    done: bool,
) -> Result<UnitView> {
    let current = jixiao_store::org::unit(&mut tx, code).await?;
    if !done {
        return Err(conflict(current.as_ref()));
    }
    commit(tx).await?;
    state.reload_after_commit().await;
    current
        .map(|c| view(&c))
        .ok_or_else(|| Error::not_found("单位", "unit"))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UpdateBody {
    #[schema(value_type = Object)]
    pub unit: Unit,
    /// The version you edited (optimistic locking).
    pub version: i64,
    pub reason: String,
}

fn conflict(current: Option<&UnitRow>) -> Error {
    Error::conflict(
        "version_conflict",
        Text::new(
            "该单位已被他人修改，请刷新后重试",
            "someone else changed this unit; reload and try again",
        ),
    )
    .with(serde_json::json!({ "current": current.map(view) }))
}

/// Changes a unit (names, parent, class, elastic coefficients, own targets).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    code: &str,
    b: UpdateBody,
) -> Result<UnitView> {
    allow(state, caller, Action::ManageUnits).await?;
    require_reason(&b.reason)?;
    if b.unit.code.as_str() != code {
        return Err(Error::bad_request(
            "code_mismatch",
            Text::new("不能修改单位代码", "a unit's code cannot change"),
        ));
    }
    let mut org = jixiao_store::org::current(&state.store)
        .await?
        .ok_or_else(|| Error::not_found("组织", "organisation"))?;
    let slot = org
        .units
        .iter_mut()
        .find(|u| u.code.as_str() == code)
        .ok_or_else(|| Error::not_found("单位", "unit"))?;
    *slot = b.unit.clone();
    check_org(state, &org).await?;
    let mut tx = state.store.write().await?;
    let done =
        jixiao_store::org::update_unit(&mut tx, &caller.actor, &b.unit, b.version, &b.reason)
            .await?;
    finish(state, tx, code, done).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CloseBody {
    pub version: i64,
    pub reason: String,
    /// The unit it merges into (合并); none when it is simply closed (撤销).
    pub merged_into: Option<String>,
}

/// Closes a unit or merges it into another. It stays in the record, and in past results.
pub async fn close(
    state: &AppState,
    caller: &Caller,
    code: &str,
    b: CloseBody,
) -> Result<UnitView> {
    allow(state, caller, Action::ManageUnits).await?;
    require_reason(&b.reason)?;
    let mut org = jixiao_store::org::current(&state.store)
        .await?
        .ok_or_else(|| Error::not_found("组织", "organisation"))?;
    if let Some(into) = &b.merged_into
        && (!org.units.iter().any(|u| u.code.as_str() == into) || into == code)
    {
        return Err(Error::bad_request(
            "bad_merge",
            Text::new(
                format!("不能合并到“{into}”"),
                format!("cannot merge into `{into}`"),
            ),
        ));
    }
    if org
        .units
        .iter()
        .any(|u| u.parent.as_ref().is_some_and(|p| p.as_str() == code))
    {
        return Err(Error::conflict(
            "has_children",
            Text::new(
                "该单位下还有下级单位，请先调整其隶属关系",
                "units still sit under this one; move them first",
            ),
        ));
    }
    org.units.retain(|u| u.code.as_str() != code);
    check_org(state, &org).await?;
    let mut tx = state.store.write().await?;
    let done = jixiao_store::org::close_unit(
        &mut tx,
        &caller.actor,
        code,
        b.merged_into.as_deref(),
        b.version,
        &b.reason,
    )
    .await?;
    finish(state, tx, code, done).await
}
