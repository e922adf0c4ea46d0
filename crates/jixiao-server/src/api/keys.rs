//! API keys over HTTP (administrators only): see [`crate::ops::keys`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::keys::{NewKey, NewKeyBody, RevokeBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jixiao_store::keys::KeyRow;

#[utoipa::path(get, path = "/api-keys", tag = "keys", responses((status = 200, body = Vec<KeyRow>)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<KeyRow>>> {
    Ok(Json(crate::ops::keys::list(&state, &caller).await?))
}

#[utoipa::path(post, path = "/api-keys", tag = "keys", request_body = NewKeyBody, responses((status = 201, body = NewKey), (status = 400, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewKeyBody>,
) -> Result<(StatusCode, Json<NewKey>)> {
    let k = crate::ops::keys::create(&state, &caller, b).await?;
    Ok((StatusCode::CREATED, Json(k)))
}

#[utoipa::path(post, path = "/api-keys/{prefix}/revoke", tag = "keys", params(("prefix" = String, Path)), request_body = RevokeBody,
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(prefix): Path<String>,
    Json(b): Json<RevokeBody>,
) -> Result<StatusCode> {
    crate::ops::keys::revoke(&state, &caller, &prefix, b).await?;
    Ok(StatusCode::NO_CONTENT)
}
