//! Live results over HTTP: rankings per class, a unit's results with explanations, reporting,
//! what-if. See [`crate::ops::results`].

use crate::api::extract::{Json, Path, Query};
use crate::error::{Error, Result};
use crate::http::Problem;
use crate::live::Kind;
use crate::ops::Caller;
use crate::ops::results::{ReportingReport, ResultQuery, UnitResult, WhatIfBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Completeness and timeliness of reporting per unit for a period: numbers expected, reported,
/// reported by the deadline, late and missing.
#[utoipa::path(get, path = "/results/{scheme}/{period}/reporting", tag = "results", params(("scheme" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = ReportingReport), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn reporting(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
) -> Result<Json<ReportingReport>> {
    Ok(Json(
        crate::ops::results::reporting(&state, &caller, &scheme, &period).await?,
    ))
}

/// Rankings and grades of every class (or one), live.
#[utoipa::path(get, path = "/results/{scheme}/{period}", tag = "results", params(("scheme" = String, Path), ("period" = String, Path), ResultQuery),
    responses((status = 200, description = "the report: classes, ranked rows, grades", body = Object), (status = 404, body = Problem)))]
pub async fn ranking(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<ResultQuery>,
) -> Result<Response> {
    let bytes = crate::ops::results::ranking(&state, &caller, &scheme, &period, &q).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

/// A unit's report card: every indicator with its score and explanation, the total, rank and
/// grade with how they were decided.
#[utoipa::path(get, path = "/results/{scheme}/{period}/units/{unit}", tag = "results", params(("scheme" = String, Path), ("period" = String, Path), ("unit" = String, Path), ResultQuery),
    responses((status = 200, description = "the unit's row with indicators and explanations", body = Object), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn unit(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period, unit)): Path<(String, String, String)>,
    Query(q): Query<ResultQuery>,
) -> Result<Json<UnitResult>> {
    let kind = q.kind.unwrap_or(Kind::Official);
    Ok(Json(
        crate::ops::results::unit(&state, &caller, &scheme, &period, &unit, kind).await?,
    ))
}

/// Re-score with changed points, weights, targets or coefficients (official values) and see
/// whose rank and grade would move. Nothing is stored.
#[utoipa::path(post, path = "/results/{scheme}/{period}/whatif", tag = "results", params(("scheme" = String, Path), ("period" = String, Path)), request_body = WhatIfBody,
    responses((status = 200, description = "units that move", body = Object), (status = 422, body = Problem)))]
pub async fn whatif(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Json(b): Json<WhatIfBody>,
) -> Result<Json<serde_json::Value>> {
    let w = crate::ops::results::whatif(&state, &caller, &scheme, &period, &b).await?;
    Ok(Json(
        serde_json::to_value(&w).map_err(|e| Error::internal(&e))?,
    ))
}
