//! Schemes over HTTP: upload and validate, list, read, publish. See [`crate::ops::schemes`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::schemes::{ReasonBody, SchemeBody, SchemeVersion, Validation};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jixiao_store::schemes::SchemeRow;

/// Check a scheme without storing it.
#[utoipa::path(post, path = "/schemes/validate", tag = "schemes", request_body = SchemeBody, responses((status = 200, body = Validation)))]
pub async fn validate(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<SchemeBody>,
) -> Result<Json<Validation>> {
    Ok(Json(
        crate::ops::schemes::validate(&state, &caller, &b).await?,
    ))
}

/// Upload a new version as a draft. Invalid schemes are refused with every problem (422).
#[utoipa::path(post, path = "/schemes", tag = "schemes", request_body = SchemeBody,
    responses((status = 201, body = SchemeRow), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<SchemeBody>,
) -> Result<(StatusCode, Json<SchemeRow>)> {
    let row = crate::ops::schemes::upload(&state, &caller, b).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Every version of every scheme.
#[utoipa::path(get, path = "/schemes", tag = "schemes", responses((status = 200, body = Vec<SchemeRow>)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<SchemeRow>>> {
    Ok(Json(crate::ops::schemes::list(&state, &caller).await?))
}

/// One version, with its text.
#[utoipa::path(get, path = "/schemes/{code}/{version}", tag = "schemes", params(("code" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = SchemeVersion), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, version)): Path<(String, i64)>,
) -> Result<Json<SchemeVersion>> {
    Ok(Json(
        crate::ops::schemes::get(&state, &caller, &code, version).await?,
    ))
}

/// Publish a draft version: it is frozen and scores from now on; the previous version is
/// superseded.
#[utoipa::path(post, path = "/schemes/{code}/{version}/publish", tag = "schemes", params(("code" = String, Path), ("version" = i64, Path)), request_body = ReasonBody,
    responses((status = 200, body = SchemeRow), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, version)): Path<(String, i64)>,
    Json(b): Json<ReasonBody>,
) -> Result<Json<SchemeRow>> {
    Ok(Json(
        crate::ops::schemes::publish(&state, &caller, &code, version, b).await?,
    ))
}
