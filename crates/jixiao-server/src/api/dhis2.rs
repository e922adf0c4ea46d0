//! DHIS2 interoperability over HTTP: see [`crate::ops::dhis2`]. Importing a dataValueSet is
//! `POST /imports` with the file: it is recognised by its shape.

use crate::api::extract::{Json, Query};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::dhis2::MappingBody;
use crate::ops::values::ValueQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use jixiao_store::dhis2::MapRow;
use serde::Deserialize;

/// The mapping table: DHIS2 data element, org unit and period identifiers to jixiao codes.
#[utoipa::path(get, path = "/dhis2/mappings", tag = "dhis2", responses((status = 200, body = Vec<MapRow>), (status = 403, body = Problem)))]
pub async fn mappings(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<MapRow>>> {
    Ok(Json(crate::ops::dhis2::mappings(&state, &caller).await?))
}

/// Replaces the mapping table (audited). Each jixiao code must exist: an element of a
/// published scheme, a unit of the organisation, a valid period. Nothing changes on a problem.
#[utoipa::path(put, path = "/dhis2/mappings", tag = "dhis2", request_body = MappingBody, responses((status = 200, body = Vec<MapRow>), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn set_mappings(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<MappingBody>,
) -> Result<Json<Vec<MapRow>>> {
    Ok(Json(
        crate::ops::dhis2::set_mappings(&state, &caller, b).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct Dhis2Query {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// Values the caller may see (filtered like `GET /values`) as a DHIS2 dataValueSet, with
/// identifiers mapped through the mapping table.
#[utoipa::path(get, path = "/exports/dhis2", tag = "dhis2", params(ValueQuery, Dhis2Query), responses((status = 200, description = "dataValueSet JSON or CSV"), (status = 401, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ValueQuery>,
    Query(f): Query<Dhis2Query>,
) -> Result<Response> {
    let set = crate::ops::dhis2::export(&state, &caller, &q, f.format.as_deref()).await?;
    Ok(crate::http::download::attachment(
        set.bytes,
        set.mime,
        &format!("dataValueSets.{}", set.ext),
        "",
    ))
}
