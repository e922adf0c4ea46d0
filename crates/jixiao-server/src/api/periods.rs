//! Periods over HTTP: see [`crate::ops::periods`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::periods::{NewPeriod, PeriodChange};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jixiao_store::periods::PeriodRow;

#[utoipa::path(get, path = "/periods", tag = "periods", responses((status = 200, body = Vec<PeriodRow>)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<PeriodRow>>> {
    Ok(Json(crate::ops::periods::list(&state, &caller).await?))
}

/// Open a period of a published scheme for reporting.
#[utoipa::path(post, path = "/periods", tag = "periods", request_body = NewPeriod,
    responses((status = 201, body = PeriodRow), (status = 409, body = Problem), (status = 400, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewPeriod>,
) -> Result<(StatusCode, Json<PeriodRow>)> {
    let row = crate::ops::periods::create(&state, &caller, b).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Close a period (its values are locked), reopen it, move its deadline, or switch automatic
/// counting of verified values. Always with a reason.
#[utoipa::path(put, path = "/periods/{scheme}/{period}", tag = "periods", params(("scheme" = String, Path), ("period" = String, Path)), request_body = PeriodChange,
    responses((status = 200, body = PeriodRow), (status = 409, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Json(b): Json<PeriodChange>,
) -> Result<Json<PeriodRow>> {
    Ok(Json(
        crate::ops::periods::update(&state, &caller, &scheme, &period, b).await?,
    ))
}
