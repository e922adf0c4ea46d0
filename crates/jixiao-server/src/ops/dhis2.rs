//! DHIS2 interoperability through the API: the mapping table (office), and values as DHIS2
//! dataValueSets (JSON or CSV). Importing a dataValueSet is `POST /imports` with the file: it
//! is recognised by its shape. See [`crate::dhis2`].

use crate::api::extract::{Json, Query};
use crate::api::units::allow;
use crate::api::{require_reason, values};
use crate::auth::Caller;
use crate::dhis2::{KINDS, Map, write_csv, write_json};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jixiao_core::access::Action;
use jixiao_core::text::Text;
use jixiao_store::dhis2::MapRow;
use serde::Deserialize;
use utoipa::ToSchema;

/// The mapping table: DHIS2 data element, org unit and period identifiers to jixiao codes.
#[utoipa::path(get, path = "/dhis2/mappings", tag = "dhis2", responses((status = 200, body = Vec<MapRow>), (status = 403, body = crate::error::Problem)))]
pub async fn mappings(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<MapRow>>> {
    allow(&state, &caller, Action::ReadFeeds).await?;
    Ok(Json(jixiao_store::dhis2::list(&state.store).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct MappingBody {
    pub mappings: Vec<MapRow>,
    pub reason: String,
}

/// Replaces the mapping table (audited). Each jixiao code must exist: an element of a
/// published scheme, a unit of the organisation, a valid period. Nothing changes on a problem.
#[utoipa::path(put, path = "/dhis2/mappings", tag = "dhis2", request_body = MappingBody, responses((status = 200, body = Vec<MapRow>), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn set_mappings(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<MappingBody>,
) -> ApiResult<Json<Vec<MapRow>>> {
    allow(&state, &caller, Action::ManageFeeds).await?;
    require_reason(&b.reason)?;
    let mut problems = Vec::new();
    {
        let live = state.live.read().await;
        let mut seen = std::collections::HashSet::new();
        for (i, m) in b.mappings.iter().enumerate() {
            let at = format!("mappings[{i}]");
            let ok = match m.kind.as_str() {
                "data_element" => live.element(&m.jixiao).is_some(),
                "org_unit" => live
                    .org
                    .as_ref()
                    .is_some_and(|o| o.units.iter().any(|u| u.code.as_str() == m.jixiao)),
                "period" => jixiao_core::period::Period::parse(&m.jixiao).is_ok(),
                k => {
                    let kinds = KINDS.join(", ");
                    problems.push(serde_json::json!({ "path": format!("{at}.kind"), "message": { "zh": format!("未知类型“{k}”，可用：{kinds}"), "en": format!("unknown kind `{k}`; use one of {kinds}") } }));
                    continue;
                }
            };
            if !ok {
                let j = &m.jixiao;
                problems.push(serde_json::json!({ "path": format!("{at}.jixiao"), "message": { "zh": format!("绩效系统中没有“{j}”"), "en": format!("`{j}` does not exist in jixiao") } }));
            }
            if m.dhis2.trim().is_empty() || !seen.insert((m.kind.clone(), m.dhis2.clone())) {
                let d = &m.dhis2;
                problems.push(serde_json::json!({ "path": format!("{at}.dhis2"), "message": { "zh": format!("DHIS2 标识“{d}”为空或重复"), "en": format!("DHIS2 identifier `{d}` is empty or repeated") } }));
            }
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_mappings",
            Text::new(
                format!("对照表有{n}处错误，未做任何更改"),
                format!("{n} problem(s) in the mapping table; nothing was changed"),
            ),
        )
        .with(serde_json::json!({ "problems": problems })));
    }
    let mut tx = state.store.write().await?;
    jixiao_store::dhis2::replace(&mut tx, &caller.actor, &b.mappings, &b.reason).await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    Ok(Json(jixiao_store::dhis2::list(&state.store).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct Dhis2Query {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// Values the caller may see (filtered like `GET /values`) as a DHIS2 dataValueSet, with
/// identifiers mapped through the mapping table.
#[utoipa::path(get, path = "/exports/dhis2", tag = "dhis2", params(values::ValueQuery, Dhis2Query), responses((status = 200, description = "dataValueSet JSON or CSV"), (status = 401, body = crate::error::Problem)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<values::ValueQuery>,
    Query(f): Query<Dhis2Query>,
) -> ApiResult<Response> {
    let rows = crate::api::exports::visible_values(&state, &caller, &q).await?;
    let map = Map::new(&jixiao_store::dhis2::list(&state.store).await?);
    let (bytes, mime, ext) = match f.format.as_deref().unwrap_or("json") {
        "json" => (write_json(&rows, &map), "application/json", "json"),
        "csv" => (
            write_csv(&rows, &map).map_err(|e| ApiError::internal(&e))?,
            "text/csv; charset=utf-8",
            "csv",
        ),
        other => {
            return Err(ApiError::bad_request(
                "bad_format",
                Text::new(
                    format!("不支持的格式“{other}”：用 json 或 csv"),
                    format!("unsupported format `{other}`: use json or csv"),
                ),
            ));
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"dataValueSets.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
