//! The organisation: list, read, import an organisation file, edit, close or merge a unit.
//! Every change is checked against the published schemes before it is written.

use crate::api::extract::Json;
use crate::api::extract::Path;
use crate::api::require_reason;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::live::compile;
use crate::state::AppState;
use axum::extract::State;

use jixiao_core::access::{Action, can};
use jixiao_core::doc::SourceText;
use jixiao_core::issue::Issues;
use jixiao_core::org::{Org, Unit};
use jixiao_core::text::Text;
use jixiao_store::org::UnitRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub async fn allow(state: &AppState, caller: &Caller, action: Action<'_>) -> ApiResult<()> {
    let live = state.live.read().await;
    if can(&caller.principal, action, &*live) {
        Ok(())
    } else if caller.principal.role == jixiao_core::access::Role::Public {
        Err(ApiError::unauthorized())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Checks a would-be organisation against every published scheme.
async fn check_org(state: &AppState, org: &Org) -> ApiResult<()> {
    let mut issues = Issues::new();
    for s in jixiao_store::schemes::published(&state.store).await? {
        if let Err(e) = compile(&s, org) {
            issues.extend(e);
        }
    }
    if issues.has_errors() {
        Err(ApiError::invalid(&issues))
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
#[utoipa::path(get, path = "/units", tag = "units", responses((status = 200, body = Vec<UnitView>), (status = 401, body = crate::error::Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<UnitView>>> {
    caller.require_signed_in()?;
    Ok(Json(
        jixiao_store::org::units(&state.store)
            .await?
            .iter()
            .map(view)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/units/{code}", tag = "units", params(("code" = String, Path)), responses((status = 200, body = UnitView), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<UnitView>> {
    caller.require_signed_in()?;
    let mut conn = state
        .store
        .pool
        .acquire()
        .await
        .map_err(jixiao_store::StoreError::from)?;
    let u = jixiao_store::org::unit(&mut conn, &code)
        .await?
        .ok_or_else(|| ApiError::not_found("单位", "unit"))?;
    Ok(Json(view(&u)))
}

#[derive(Deserialize, ToSchema)]
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

/// Import an organisation file (adds and updates units; keeps the others).
#[utoipa::path(post, path = "/units", tag = "units", request_body = ImportBody,
    responses((status = 200, body = ImportResult), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<ImportBody>,
) -> ApiResult<Json<ImportResult>> {
    allow(&state, &caller, Action::ManageUnits).await?;
    require_reason(&b.reason)?;
    let name = format!("org.{}", b.format.as_deref().unwrap_or("toml"));
    let org: Org = SourceText::new(&name, &b.content)
        .parse()
        .map_err(|i| ApiError::invalid(&i))?;
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
    check_org(&state, &merged).await?;
    let mut tx = state.store.write().await?;
    let (added, updated, unchanged) =
        jixiao_store::org::import(&mut tx, &caller.actor, &org, &b.reason).await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    state.reload().await?;
    Ok(Json(ImportResult {
        added,
        updated,
        unchanged,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateBody {
    #[schema(value_type = Object)]
    pub unit: Unit,
    /// The version you edited (optimistic locking).
    pub version: i64,
    pub reason: String,
}

fn conflict(current: Option<&UnitRow>) -> ApiError {
    ApiError::conflict(
        "version_conflict",
        Text::new(
            "该单位已被他人修改，请刷新后重试",
            "someone else changed this unit; reload and try again",
        ),
    )
    .with(serde_json::json!({ "current": current.map(view) }))
}

/// Change a unit (names, parent, class, elastic coefficients, own targets).
#[utoipa::path(put, path = "/units/{code}", tag = "units", params(("code" = String, Path)), request_body = UpdateBody,
    responses((status = 200, body = UnitView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<UpdateBody>,
) -> ApiResult<Json<UnitView>> {
    allow(&state, &caller, Action::ManageUnits).await?;
    require_reason(&b.reason)?;
    if b.unit.code.as_str() != code {
        return Err(ApiError::bad_request(
            "code_mismatch",
            Text::new("不能修改单位代码", "a unit's code cannot change"),
        ));
    }
    let mut org = jixiao_store::org::current(&state.store)
        .await?
        .ok_or_else(|| ApiError::not_found("组织", "organisation"))?;
    let slot = org
        .units
        .iter_mut()
        .find(|u| u.code.as_str() == code)
        .ok_or_else(|| ApiError::not_found("单位", "unit"))?;
    *slot = b.unit.clone();
    check_org(&state, &org).await?;
    let mut tx = state.store.write().await?;
    let done =
        jixiao_store::org::update_unit(&mut tx, &caller.actor, &b.unit, b.version, &b.reason)
            .await?;
    let current = jixiao_store::org::unit(&mut tx, &code).await?;
    if !done {
        return Err(conflict(current.as_ref()));
    }
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    state.reload().await?;
    current
        .map(|c| Json(view(&c)))
        .ok_or_else(|| ApiError::not_found("单位", "unit"))
}

#[derive(Deserialize, ToSchema)]
pub struct CloseBody {
    pub version: i64,
    pub reason: String,
    /// The unit it merges into (合并); none when it is simply closed (撤销).
    pub merged_into: Option<String>,
}

/// Close a unit or merge it into another. It stays in the record, and in past results.
#[utoipa::path(post, path = "/units/{code}/close", tag = "units", params(("code" = String, Path)), request_body = CloseBody,
    responses((status = 200, body = UnitView), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<CloseBody>,
) -> ApiResult<Json<UnitView>> {
    allow(&state, &caller, Action::ManageUnits).await?;
    require_reason(&b.reason)?;
    let mut org = jixiao_store::org::current(&state.store)
        .await?
        .ok_or_else(|| ApiError::not_found("组织", "organisation"))?;
    if let Some(into) = &b.merged_into
        && (!org.units.iter().any(|u| u.code.as_str() == into) || into == &code)
    {
        return Err(ApiError::bad_request(
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
        return Err(ApiError::conflict(
            "has_children",
            Text::new(
                "该单位下还有下级单位，请先调整其隶属关系",
                "units still sit under this one; move them first",
            ),
        ));
    }
    org.units.retain(|u| u.code.as_str() != code);
    check_org(&state, &org).await?;
    let mut tx = state.store.write().await?;
    let done = jixiao_store::org::close_unit(
        &mut tx,
        &caller.actor,
        &code,
        b.merged_into.as_deref(),
        b.version,
        &b.reason,
    )
    .await?;
    let current = jixiao_store::org::unit(&mut tx, &code).await?;
    if !done {
        return Err(conflict(current.as_ref()));
    }
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    state.reload().await?;
    current
        .map(|c| Json(view(&c)))
        .ok_or_else(|| ApiError::not_found("单位", "unit"))
}
