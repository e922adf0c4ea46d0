//! Publication (公示) over HTTP: see [`crate::ops::publications`].

use crate::api::extract::{Json, Path, Query};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::publications::{PublicationView, PublishBody, Readiness, Rescore};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jixiao_store::publications::PublicationRow;

/// Publish the official results of a scheme and period. Publishing again when nothing changed
/// (same scheme version, organisation and counted values) answers 200 with the latest revision
/// and publishes nothing new.
#[utoipa::path(post, path = "/publications", tag = "publications", request_body = PublishBody,
    responses((status = 201, body = PublicationView, description = "a new revision"), (status = 200, body = PublicationView, description = "nothing changed: the latest revision"), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<PublishBody>,
) -> Result<(StatusCode, Json<PublicationView>)> {
    let (v, created) = crate::ops::publications::publish(&state, &caller, b).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(v)))
}

/// Every publication, newest first (public).
#[utoipa::path(get, path = "/publications", tag = "publications", responses((status = 200, body = Vec<PublicationRow>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<PublicationRow>>> {
    Ok(Json(crate::ops::publications::list(&state).await?))
}

/// One publication with its results (public).
#[utoipa::path(get, path = "/publications/{id}", tag = "publications", params(("id" = i64, Path)), responses((status = 200, body = PublicationView), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<PublicationView>> {
    Ok(Json(
        crate::ops::publications::get(&state, &caller, id).await?,
    ))
}

/// Re-score a publication from its frozen scheme version, organisation and values.
#[utoipa::path(post, path = "/publications/{id}/rescore", tag = "publications", params(("id" = i64, Path)), responses((status = 200, body = Rescore), (status = 404, body = Problem)))]
pub async fn rescore(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Rescore>> {
    Ok(Json(
        crate::ops::publications::rescore(&state, &caller, id).await?,
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ReadinessQuery {
    pub scheme: String,
    pub period: String,
}

/// Whether a scheme's period can be published, before publishing: the classes and units it
/// ranks, and every unit whose missing data block it (by name, with the items and the form).
#[utoipa::path(get, path = "/publications/readiness", tag = "publications", params(ReadinessQuery),
    responses((status = 200, body = Readiness), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn readiness(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ReadinessQuery>,
) -> Result<Json<Readiness>> {
    Ok(Json(
        crate::ops::publications::readiness(&state, &caller, &q.scheme, &q.period).await?,
    ))
}
