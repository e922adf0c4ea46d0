//! Schemes: upload and validate (the same checks as `jixiao check`, shown as problems a
//! person can act on), publish. A published version is frozen; a change is a new version with a
//! recorded reason.

use crate::api::extract::Json;
use crate::api::extract::Path;
use crate::api::require_reason;
use crate::api::units::allow;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;

use axum::http::StatusCode;
use jixiao_core::access::{Action, Role};
use jixiao_core::doc::SourceText;
use jixiao_core::issue::Issues;
use jixiao_core::model::Model;
use jixiao_core::scheme::{Scheme, SchemeKind};
use jixiao_core::text::Text;
use jixiao_store::schemes::{NewScheme, SchemeRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct SchemeBody {
    /// The scheme file's text.
    pub content: String,
    /// `toml` (default) or `json`.
    pub format: Option<String>,
    /// Why this version (required when the scheme already has a published version).
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct Validation {
    pub valid: bool,
    #[schema(value_type = Vec<Object>)]
    pub issues: Issues,
}

fn format_of(b: &SchemeBody) -> ApiResult<&str> {
    match b.format.as_deref().unwrap_or("toml") {
        f @ ("toml" | "json") => Ok(f),
        f => Err(ApiError::bad_request(
            "bad_format",
            Text::new(
                format!("格式“{f}”不支持，请用 toml 或 json"),
                format!("format `{f}` is not supported; use toml or json"),
            ),
        )),
    }
}

/// Parses and checks a scheme against the current organisation.
async fn check(state: &AppState, b: &SchemeBody) -> ApiResult<(Option<Scheme>, Issues)> {
    let format = format_of(b)?;
    let name = format!("scheme.{format}");
    let src = SourceText::new(&name, &b.content);
    let scheme: Scheme = match src.parse() {
        Ok(s) => s,
        Err(i) => return Ok((None, i)),
    };
    let Some(org) = jixiao_store::org::current(&state.store).await? else {
        return Err(ApiError::conflict(
            "no_organisation",
            Text::new("请先导入组织文件", "import the organisation first"),
        ));
    };
    match Model::build(
        scheme.clone(),
        org,
        &src,
        &SourceText::detached("organisation"),
    ) {
        Ok((_, warnings)) => Ok((Some(scheme), warnings)),
        Err(issues) => Ok((None, issues)),
    }
}

/// Check a scheme without storing it.
#[utoipa::path(post, path = "/schemes/validate", tag = "schemes", request_body = SchemeBody, responses((status = 200, body = Validation)))]
pub async fn validate(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<SchemeBody>,
) -> ApiResult<Json<Validation>> {
    caller.require_signed_in()?;
    if !matches!(
        caller.principal.role,
        Role::Admin | Role::Office | Role::Finance
    ) {
        return Err(ApiError::forbidden());
    }
    let (scheme, issues) = check(&state, &b).await?;
    Ok(Json(Validation {
        valid: scheme.is_some(),
        issues,
    }))
}

/// Upload a new version as a draft. Invalid schemes are refused with every problem (422).
#[utoipa::path(post, path = "/schemes", tag = "schemes", request_body = SchemeBody,
    responses((status = 201, body = SchemeRow), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<SchemeBody>,
) -> ApiResult<(StatusCode, Json<SchemeRow>)> {
    caller.require_signed_in()?;
    // Refuse the wrong roles before reading what they sent.
    if !matches!(
        caller.principal.role,
        Role::Admin | Role::Office | Role::Finance
    ) {
        return Err(ApiError::forbidden());
    }
    let (scheme, issues) = check(&state, &b).await?;
    let Some(scheme) = scheme else {
        return Err(ApiError::invalid(&issues));
    };
    let code = scheme.id.to_string();
    // Finance manages budget-performance schemes; the office all of them.
    let finance_budget =
        caller.principal.role == Role::Finance && scheme.kind == SchemeKind::Budget;
    if !finance_budget {
        allow(&state, &caller, Action::ManageSchemes { scheme: &code }).await?;
    }
    let existing = jixiao_store::schemes::list(&state.store).await?;
    if existing
        .iter()
        .any(|s| s.code == code && s.status != "draft")
    {
        require_reason(&b.reason)?;
    }
    let kind = if scheme.kind == SchemeKind::Budget {
        "budget"
    } else {
        "unit"
    };
    let mut tx = state.store.write().await?;
    let row = jixiao_store::schemes::upload(
        &mut tx,
        &caller.actor,
        NewScheme {
            code: &code,
            year: i64::from(scheme.year),
            kind,
            title_zh: &scheme.title.zh,
            title_en: &scheme.title.en,
            format: format_of(&b)?,
            content: &b.content,
            reason: &b.reason,
        },
    )
    .await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Every version of every scheme.
#[utoipa::path(get, path = "/schemes", tag = "schemes", responses((status = 200, body = Vec<SchemeRow>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<SchemeRow>>> {
    caller.require_signed_in()?;
    Ok(Json(jixiao_store::schemes::list(&state.store).await?))
}

#[derive(Serialize, ToSchema)]
pub struct SchemeVersion {
    #[serde(flatten)]
    pub row: SchemeRow,
    pub content: String,
}

/// One version, with its text.
#[utoipa::path(get, path = "/schemes/{code}/{version}", tag = "schemes", params(("code" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = SchemeVersion), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, version)): Path<(String, i64)>,
) -> ApiResult<Json<SchemeVersion>> {
    caller.require_signed_in()?;
    let row = jixiao_store::schemes::get(&state.store, &code, version)
        .await?
        .ok_or_else(|| ApiError::not_found("方案版本", "scheme version"))?;
    let content = row.content.clone();
    Ok(Json(SchemeVersion { row, content }))
}

#[derive(Deserialize, ToSchema)]
pub struct ReasonBody {
    #[serde(default)]
    pub reason: String,
}

/// Publish a draft version: it is frozen and scores from now on; the previous version is
/// superseded.
#[utoipa::path(post, path = "/schemes/{code}/{version}/publish", tag = "schemes", params(("code" = String, Path), ("version" = i64, Path)), request_body = ReasonBody,
    responses((status = 200, body = SchemeRow), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, version)): Path<(String, i64)>,
    Json(b): Json<ReasonBody>,
) -> ApiResult<Json<SchemeRow>> {
    caller.require_signed_in()?;
    let row = jixiao_store::schemes::get(&state.store, &code, version)
        .await?
        .ok_or_else(|| ApiError::not_found("方案版本", "scheme version"))?;
    let finance_budget = caller.principal.role == Role::Finance && row.kind == "budget";
    if !finance_budget {
        allow(&state, &caller, Action::Publish { scheme: &code }).await?;
    }
    if row.status != "draft" {
        return Err(ApiError::conflict(
            "not_draft",
            Text::new(
                format!("版本{version}已发布或已被替代，不能再发布"),
                format!("version {version} is already published or superseded"),
            ),
        )
        .with(serde_json::json!({ "current": row })));
    }
    // It must still compile against today's organisation.
    let org = jixiao_store::org::current(&state.store)
        .await?
        .ok_or_else(|| {
            ApiError::conflict(
                "no_organisation",
                Text::new("请先导入组织文件", "import the organisation first"),
            )
        })?;
    crate::live::compile(&row, &org).map_err(|i| ApiError::invalid(&i))?;
    let mut tx = state.store.write().await?;
    if !jixiao_store::schemes::publish(&mut tx, &caller.actor, &code, version, &b.reason).await? {
        return Err(ApiError::conflict(
            "not_draft",
            Text::new(
                "该版本刚被他人发布",
                "someone published this version just now",
            ),
        ));
    }
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    state.reload().await?;
    let row = jixiao_store::schemes::get(&state.store, &code, version)
        .await?
        .ok_or_else(|| ApiError::not_found("方案", "scheme"))?;
    Ok(Json(row))
}
