//! Appeals over HTTP: see [`crate::ops::appeals`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::appeals::{FileBody, ResolveBody};
use crate::state::AppState;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use jixiao_store::appeals::AppealRow;

/// Appeal a published score.
#[utoipa::path(post, path = "/appeals", tag = "appeals", request_body = FileBody,
    responses((status = 201, body = AppealRow), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<FileBody>,
) -> Result<(StatusCode, Json<AppealRow>)> {
    let a = crate::ops::appeals::file(&state, &caller, b).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Appeals the caller may see: the office all, a unit its own.
#[utoipa::path(get, path = "/appeals", tag = "appeals", responses((status = 200, body = Vec<AppealRow>)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<AppealRow>>> {
    Ok(Json(crate::ops::appeals::list(&state, &caller).await?))
}

/// Uphold (and re-publish) or reject an appeal.
#[utoipa::path(post, path = "/appeals/{id}/resolve", tag = "appeals", params(("id" = i64, Path)), request_body = ResolveBody,
    responses((status = 200, body = AppealRow), (status = 409, body = Problem), (status = 403, body = Problem)))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<ResolveBody>,
) -> Result<Json<AppealRow>> {
    Ok(Json(
        crate::ops::appeals::resolve(&state, &caller, id, b).await?,
    ))
}

/// Attach evidence to an appeal (multipart field `file`).
#[utoipa::path(post, path = "/appeals/{id}/evidence", tag = "appeals", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn upload_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    form: std::result::Result<Multipart, MultipartRejection>,
) -> Result<StatusCode> {
    let upload = crate::http::upload::evidence(&state, crate::http::upload::form(form)?).await?;
    crate::ops::evidence::attach_to_appeal(&state, &caller, id, upload.incoming()).await?;
    Ok(StatusCode::CREATED)
}
