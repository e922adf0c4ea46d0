//! The next year's budget-adjustment table over HTTP. See [`crate::ops::adjustment`].

use crate::api::extract::{Json, Path, Query};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::adjustment::{Publish, Published, Table};
use crate::ops::applied::AppliedQuery;
use crate::state::AppState;
use axum::extract::State;

/// Every project evaluated in a budget scheme's period with its current amount, result,
/// recommendation, coefficient, suggested amount (exact) and reason: live, or as frozen in a
/// publication (`publication`).
#[utoipa::path(get, path = "/budget-adjustment/{scheme}/{period}", tag = "budget", params(("scheme" = String, Path), ("period" = String, Path), AppliedQuery),
    responses((status = 200, body = Table), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn table(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<AppliedQuery>,
) -> Result<Json<Table>> {
    Ok(Json(
        crate::ops::adjustment::table(&state, &caller, &scheme, &period, &q).await?,
    ))
}

/// Finance reviews and publishes the table: lines keep their suggestion unless a decision gives
/// another amount with its reason; the table is kept as published and each department told.
#[utoipa::path(post, path = "/budget-adjustment/{scheme}/{period}/publish", tag = "budget", params(("scheme" = String, Path), ("period" = String, Path)), request_body = Publish,
    responses((status = 201, body = Published), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Json(b): Json<Publish>,
) -> Result<(axum::http::StatusCode, Json<Published>)> {
    Ok((
        axum::http::StatusCode::CREATED,
        Json(crate::ops::adjustment::publish(&state, &caller, &scheme, &period, &b).await?),
    ))
}

/// The table as last published: whole for the readers of the results, a department's own
/// projects for its people.
#[utoipa::path(get, path = "/budget-adjustment/{scheme}/{period}/published", tag = "budget", params(("scheme" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = Published), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn published(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
) -> Result<Json<Published>> {
    Ok(Json(
        crate::ops::adjustment::published(&state, &caller, &scheme, &period).await?,
    ))
}
