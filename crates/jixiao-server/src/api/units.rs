//! The organisation over HTTP: see [`crate::ops::units`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::units::{CloseBody, ImportBody, ImportResult, SplitBody, UnitView, UpdateBody};
use crate::state::AppState;
use axum::extract::State;

/// Every unit, closed ones included.
#[utoipa::path(get, path = "/units", tag = "units", responses((status = 200, body = Vec<UnitView>), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<UnitView>>> {
    Ok(Json(crate::ops::units::list(&state, &caller).await?))
}

#[utoipa::path(get, path = "/units/{code}", tag = "units", params(("code" = String, Path)), responses((status = 200, body = UnitView), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<UnitView>> {
    Ok(Json(crate::ops::units::get(&state, &caller, &code).await?))
}

/// Import an organisation file (adds and updates units; keeps the others).
#[utoipa::path(post, path = "/units", tag = "units", request_body = ImportBody,
    responses((status = 200, body = ImportResult), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<ImportBody>,
) -> Result<Json<ImportResult>> {
    Ok(Json(crate::ops::units::import(&state, &caller, b).await?))
}

/// Change a unit from a day on (`effective`): rename, move, re-class, elastic coefficients,
/// own targets. Periods that end before that day keep the unit as it was.
#[utoipa::path(put, path = "/units/{code}", tag = "units", params(("code" = String, Path)), request_body = UpdateBody,
    responses((status = 200, body = UnitView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<UpdateBody>,
) -> Result<Json<UnitView>> {
    Ok(Json(
        crate::ops::units::update(&state, &caller, &code, b).await?,
    ))
}

/// Close a unit from a day on (`effective`), or merge it into another. It stays in the
/// record, and in every period that ended before that day, with its successor named.
#[utoipa::path(post, path = "/units/{code}/close", tag = "units", params(("code" = String, Path)), request_body = CloseBody,
    responses((status = 200, body = UnitView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<CloseBody>,
) -> Result<Json<UnitView>> {
    Ok(Json(
        crate::ops::units::close(&state, &caller, &code, b).await?,
    ))
}

/// Split a unit into new units from a day on (`effective`): the new units are set up that day,
/// the unit is closed naming them as successors; earlier periods keep it.
#[utoipa::path(post, path = "/units/{code}/split", tag = "units", params(("code" = String, Path)), request_body = SplitBody,
    responses((status = 200, body = UnitView), (status = 400, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn split(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<SplitBody>,
) -> Result<Json<UnitView>> {
    Ok(Json(
        crate::ops::units::split(&state, &caller, &code, b).await?,
    ))
}
