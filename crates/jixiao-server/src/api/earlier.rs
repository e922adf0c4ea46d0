//! Earlier results (往期结果) over HTTP. See [`crate::ops::earlier`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::earlier::{Earlier, RecordBody};
use crate::state::AppState;
use axum::extract::State;

/// The earlier results of a scheme's series (each unit's grade in the periods before the
/// scheme's year), newest period first: what its rules on consecutive results read.
#[utoipa::path(get, path = "/earlier/{scheme}", tag = "publications", params(("scheme" = String, Path)),
    responses((status = 200, body = Earlier), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(scheme): Path<String>,
) -> Result<Json<Earlier>> {
    Ok(Json(
        crate::ops::earlier::list(&state, &caller, &scheme).await?,
    ))
}

/// Record the office's earlier results of one period before the scheme's year (the years before
/// jixiao): every row checked, all or nothing; replaces what was recorded for that period. A
/// period a publication recorded cannot be replaced (409).
#[utoipa::path(put, path = "/earlier/{scheme}", tag = "publications", params(("scheme" = String, Path)), request_body = RecordBody,
    responses((status = 200, body = Earlier), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    Path(scheme): Path<String>,
    Json(b): Json<RecordBody>,
) -> Result<Json<Earlier>> {
    crate::ops::earlier::record(&state, &caller, &scheme, &b, None)
        .await?
        .map_err(|i| crate::error::Error::invalid(&i))?;
    Ok(Json(
        crate::ops::earlier::list(&state, &caller, &scheme).await?,
    ))
}
