//! Bulk import of values over HTTP: see [`crate::ops::imports`].

use crate::api::extract::{Json, Query};
use crate::error::{Error, Kind, Result};
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::imports::{Mode, Report};
use crate::state::AppState;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `all_or_nothing` (default) or `valid_rows`.
    pub mode: Option<Mode>,
    /// Check and report only; write nothing.
    pub dry_run: Option<bool>,
    /// The period of a wide sheet (one row per unit, one column per element) without a period
    /// column.
    pub period: Option<String>,
    /// The office (or an office key): the values count at once, replacing what is stored, each
    /// change audited with this reason (`value.import.count`). Without it, imported values are
    /// submitted for review.
    pub counted_reason: Option<String>,
}

/// Import values from a CSV (UTF-8 or GBK), XLSX (long, or one row per unit and one column per
/// element) or JSON file (multipart field `file`). Imported values are submitted for review
/// (the office may count them at once with `counted_reason`).
/// All or nothing unless `mode=valid_rows`; `dry_run=true` only reports. The report counts what
/// was imported, updated, unchanged and rejected and names every problem's row and column.
#[utoipa::path(post, path = "/imports", tag = "values", params(ImportQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 200, body = Report), (status = 422, description = "nothing imported; the report is in `report`", body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ImportQuery>,
    form: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Json<Report>> {
    caller.require_signed_in()?;
    let upload = crate::http::upload::read(crate::http::upload::form(form)?, || {
        Error::new(
            Kind::TooLarge,
            "too_large",
            crate::ops::imports::too_large(),
        )
    })
    .await?;
    let file = upload
        .file
        .as_ref()
        .map(|f| (f.name.as_deref().unwrap_or("upload"), &f.bytes[..]));
    let report = crate::ops::imports::upload(
        &state,
        &caller,
        file,
        q.mode.unwrap_or_default(),
        q.dry_run.unwrap_or(false),
        q.period.as_deref(),
        q.counted_reason.as_deref(),
    )
    .await?;
    Ok(Json(report))
}
