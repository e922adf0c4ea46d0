//! Reporting and review of values over HTTP: see [`crate::ops::values`] for the workflow and
//! [`crate::ops::evidence`] for the files.

use crate::api::PageQuery;
use crate::api::extract::{Json, Path, Query};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::values::{Changed, SaveBody, TransitionBody, ValueKey, ValueQuery, ValueView};
use crate::ops::{Caller, List};
use crate::state::AppState;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use jixiao_core::workflow::Transition;
use jixiao_store::evidence::EvidenceRow;
use jixiao_store::values::ValueRow;

type KeyPath = Path<(String, String, String)>;

fn key(Path((unit, element, period)): KeyPath) -> ValueKey {
    ValueKey {
        unit,
        element,
        period,
    }
}

/// Values the caller may see, filtered and paginated.
#[utoipa::path(get, path = "/values", tag = "values", params(ValueQuery, PageQuery), responses((status = 200, body = List<ValueRow>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ValueQuery>,
    Query(pq): Query<PageQuery>,
) -> Result<Json<List<ValueRow>>> {
    Ok(Json(
        crate::ops::values::list(&state, &caller, &q, pq.page()).await?,
    ))
}

/// One value (or an empty slot, with what the caller may do with it).
#[utoipa::path(get, path = "/values/{unit}/{element}/{period}", tag = "values", params(("unit" = String, Path), ("element" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = ValueView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    path: KeyPath,
) -> Result<Json<ValueView>> {
    Ok(Json(
        crate::ops::values::get(&state, &caller, &key(path)).await?,
    ))
}

/// Save a draft (create it, or change the number of a draft or a returned value).
#[utoipa::path(put, path = "/values/{unit}/{element}/{period}", tag = "values", params(("unit" = String, Path), ("element" = String, Path), ("period" = String, Path)), request_body = SaveBody,
    responses((status = 200, body = Changed), (status = 409, body = Problem), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn save(
    State(state): State<AppState>,
    caller: Caller,
    path: KeyPath,
    Json(b): Json<SaveBody>,
) -> Result<Json<Changed>> {
    Ok(Json(
        crate::ops::values::save(&state, &caller, &key(path), b).await?,
    ))
}

/// Submit, approve, verify, count or return a value.
#[utoipa::path(post, path = "/values/{unit}/{element}/{period}/{transition}", tag = "values",
    params(("unit" = String, Path), ("element" = String, Path), ("period" = String, Path), ("transition" = String, Path, description = "submit, approve, verify, count or return")), request_body = TransitionBody,
    responses((status = 200, body = Changed), (status = 409, body = Problem), (status = 403, body = Problem), (status = 400, body = Problem)))]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path((unit, element, period, t)): Path<(String, String, String, String)>,
    Json(b): Json<TransitionBody>,
) -> Result<Json<Changed>> {
    let t = Transition::parse(&t)
        .filter(|t| *t != Transition::Save)
        .ok_or_else(|| crate::error::Error::not_found("操作", "transition"))?;
    let key = ValueKey {
        unit,
        element,
        period,
    };
    Ok(Json(
        crate::ops::values::transition(&state, &caller, &key, t, b).await?,
    ))
}

/// Attach an evidence file to a value (multipart field `file`).
#[utoipa::path(post, path = "/values/{unit}/{element}/{period}/evidence", tag = "values", params(("unit" = String, Path), ("element" = String, Path), ("period" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = EvidenceRow), (status = 413, body = Problem), (status = 415, body = Problem), (status = 404, body = Problem)))]
pub async fn upload_evidence(
    State(state): State<AppState>,
    caller: Caller,
    path: KeyPath,
    form: std::result::Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<EvidenceRow>)> {
    let upload = crate::http::upload::evidence(&state, crate::http::upload::form(form)?).await?;
    let ev = crate::ops::evidence::attach_to_value(&state, &caller, &key(path), upload.incoming())
        .await?;
    Ok((StatusCode::CREATED, Json(ev)))
}

/// Download an evidence file, if the caller may see a value or appeal it belongs to.
#[utoipa::path(get, path = "/evidence/{sha256}", tag = "values", params(("sha256" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = Problem)))]
pub async fn download_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path(sha): Path<String>,
) -> Result<Response> {
    let f = crate::ops::evidence::download(&state, &caller, &sha).await?;
    Ok(crate::http::download::attachment(
        f.bytes,
        &f.mime,
        "",
        &f.filename,
    ))
}
