//! Accounts over HTTP (administrators only): see [`crate::ops::users`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::users::{DisableBody, NewUserBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jixiao_store::users::UserRow;

#[utoipa::path(get, path = "/users", tag = "users", responses((status = 200, body = Vec<UserRow>)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<UserRow>>> {
    Ok(Json(crate::ops::users::list(&state, &caller).await?))
}

#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = UserRow), (status = 400, body = Problem), (status = 409, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewUserBody>,
) -> Result<(StatusCode, Json<UserRow>)> {
    let row = crate::ops::users::create(&state, &caller, b).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[utoipa::path(post, path = "/users/{username}/disable", tag = "users", params(("username" = String, Path)), request_body = DisableBody,
    responses((status = 200, body = UserRow), (status = 404, body = Problem)))]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
    Json(b): Json<DisableBody>,
) -> Result<Json<UserRow>> {
    Ok(Json(
        crate::ops::users::disable(&state, &caller, &username, b).await?,
    ))
}
