//! The next year's budget-adjustment table over HTTP. See [`crate::ops::adjustment`].

use crate::api::extract::{Json, Path, Query};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::adjustment::Table;
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
