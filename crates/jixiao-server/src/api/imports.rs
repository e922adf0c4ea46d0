//! Bulk import of values through the API (see [`crate::import`]).

use crate::api::extract::{Json, Query};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::import::{MAX_BYTES, Mode, Report, import};
use crate::state::AppState;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use jixiao_core::text::Text;
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
}

/// Import values from a CSV (UTF-8 or GBK), XLSX (long, or one row per unit and one column per
/// element) or JSON file (multipart field `file`). Imported values are submitted for review.
/// All or nothing unless `mode=valid_rows`; `dry_run=true` only reports. The report counts what
/// was imported, updated, unchanged and rejected and names every problem's row and column.
#[utoipa::path(post, path = "/imports", tag = "values", params(ImportQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 200, body = Report), (status = 422, description = "nothing imported; the report is in `report`", body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ImportQuery>,
    mut form: Multipart,
) -> ApiResult<Json<Report>> {
    caller.require_signed_in()?;
    let bad = |e: String| {
        ApiError::bad_request(
            "bad_upload",
            Text::new(format!("上传失败：{e}"), format!("upload failed: {e}")),
        )
    };
    // A body over the limit stops the multipart reader; say what happened, not how.
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                crate::import::too_large(),
            )
        } else {
            bad(e.body_text())
        }
    };
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(failed)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field.bytes().await.map_err(failed)?;
            file = Some((name, bytes));
        }
    }
    let (name, bytes) = file.ok_or_else(|| bad("no `file` field".into()))?;
    if bytes.len() > MAX_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            crate::import::too_large(),
        ));
    }
    let dry_run = q.dry_run.unwrap_or(false);
    let mode = q.mode.unwrap_or_default();
    let report = import(
        &state,
        &caller,
        &name,
        &bytes,
        mode,
        dry_run,
        q.period.as_deref(),
    )
    .await?;
    let accepted = report.imported + report.updated + report.unchanged;
    if accepted == 0
        && !report.problems.is_empty()
        && report.problems.iter().all(|p| p.code == "forbidden")
    {
        return Err(ApiError::forbidden());
    }
    // Valid rows only: the good rows went in (or were already there); the report names the rest.
    if dry_run || report.committed || report.problems.is_empty() || mode == Mode::ValidRows {
        return Ok(Json(report));
    }
    let n = report.problems.len();
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "import_rejected",
        Text::new(
            format!("文件有{n}处问题，未导入任何数据"),
            format!("{n} problem(s) in the file; nothing was imported"),
        ),
    )
    .with(serde_json::json!({
        "report": serde_json::to_value(&report).map_err(|e| ApiError::internal(&e))?
    })))
}
