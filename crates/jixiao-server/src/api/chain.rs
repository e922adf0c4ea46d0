//! 五链 of an indicator over HTTP. See [`crate::ops::chain`].

use crate::api::extract::{Json, Path, Query};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::chain::{Chain, ChainQuery};
use crate::state::AppState;
use axum::extract::State;

/// One indicator's chain in a scheme's period: its target, the lead and cooperating
/// departments with their shares, each assessed unit's numbers and states, open warnings, what
/// waits for review, and the scores (district readers and the departments that answer for it).
#[utoipa::path(get, path = "/chain/{scheme}/{period}/{indicator}", tag = "results", params(("scheme" = String, Path), ("period" = String, Path), ("indicator" = String, Path), ChainQuery),
    responses((status = 200, body = Chain), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn chain(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period, indicator)): Path<(String, String, String)>,
    Query(q): Query<ChainQuery>,
) -> Result<Json<Chain>> {
    Ok(Json(
        crate::ops::chain::chain(&state, &caller, &scheme, &period, &indicator, &q).await?,
    ))
}
