//! The 结果运用 report over HTTP. See [`crate::ops::applied`].

use crate::api::extract::{Json, Path, Query};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::applied::{Applied, AppliedQuery};
use crate::state::AppState;
use axum::extract::State;

/// Results applied (结果运用) of a scheme's period: every unit with its grade, rank, each
/// outcome (bonus coefficient, eligibility, talks …), the rule that decided it and why; a
/// summary per outcome. Live, or as frozen in a publication (`publication=ID`).
#[utoipa::path(get, path = "/applied/{scheme}/{period}", tag = "results", params(("scheme" = String, Path), ("period" = String, Path), AppliedQuery),
    responses((status = 200, body = Applied), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<AppliedQuery>,
) -> Result<Json<Applied>> {
    Ok(Json(
        crate::ops::applied::report(&state, &caller, &scheme, &period, &q).await?,
    ))
}
