//! Exports over HTTP: see [`crate::ops::exports`].

use crate::api::extract::{Path, Query};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::audit::AuditQuery;
use crate::ops::exports::{Export, Format};
use crate::ops::results::ResultQuery;
use crate::ops::values::ValueQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

fn download(e: Export) -> Response {
    match e.format {
        Format::Xlsx => crate::http::download::workbook(e.bytes, &e.name),
        Format::Csv => crate::http::download::attachment(
            e.bytes,
            "text/csv; charset=utf-8",
            "export.csv",
            &format!("{}.csv", e.name),
        ),
    }
}

/// Every value the caller may see (filtered like `GET /values`), as a file.
#[utoipa::path(get, path = "/exports/values", tag = "values", params(ValueQuery, FormatQuery),
    responses((status = 200, description = "XLSX or CSV"), (status = 401, body = Problem)))]
pub async fn export_values(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ValueQuery>,
    Query(f): Query<FormatQuery>,
) -> Result<Response> {
    let e = crate::ops::exports::values(&state, &caller, &q, f.format.as_deref()).await?;
    Ok(download(e))
}

/// A period's rankings and grades, a sheet per class (official or provisional).
#[utoipa::path(get, path = "/exports/rankings/{scheme}/{period}", tag = "results", params(("scheme" = String, Path), ("period" = String, Path), ResultQuery, FormatQuery),
    responses((status = 200, description = "XLSX or CSV"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn export_rankings(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<ResultQuery>,
    Query(f): Query<FormatQuery>,
) -> Result<Response> {
    let e =
        crate::ops::exports::rankings(&state, &caller, &scheme, &period, &q, f.format.as_deref())
            .await?;
    Ok(download(e))
}

/// An audit extract (filtered like `GET /audit`, at most 100,000 entries).
#[utoipa::path(get, path = "/exports/audit", tag = "audit", params(AuditQuery, FormatQuery),
    responses((status = 200, description = "XLSX or CSV"), (status = 403, body = Problem)))]
pub async fn export_audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
    Query(f): Query<FormatQuery>,
) -> Result<Response> {
    let e = crate::ops::exports::audit(&state, &caller, &q, f.format.as_deref()).await?;
    Ok(download(e))
}
