//! Machine feeds: definitions (office and administrators), health (office), and the endpoint
//! external systems post events to (API keys with role `feed`). See [`crate::feeds`].

use crate::api::extract::{Json, Path};
use crate::api::require_reason;
use crate::api::units::allow;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::feeds::{Ingested, ingest, targets};
use crate::state::AppState;
use axum::extract::State;
use jixiao_core::access::Action;
use jixiao_core::feed::FeedDef;
use jixiao_core::text::Text;
use jixiao_store::feeds::{Health, Rejection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A feed, what it fills and how it is doing.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedInfo {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The definition: name, description, fields with their types and limits.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    /// The data elements published schemes fill from it.
    pub elements: Vec<String>,
    pub health: Health,
    /// Rejected events over all events posted, as a percentage (exact); none before any post.
    pub error_rate: Option<String>,
    /// Problems between the feed and the schemes that use it (a field an element reads that
    /// the feed does not have), in Chinese and English.
    pub problems: Vec<crate::error::ProblemText>,
    pub updated_by: String,
    pub updated_at: String,
}

/// A feed with its most recent problems.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedDetail {
    #[serde(flatten)]
    pub info: FeedInfo,
    /// The last 50 problems of posts turned away, newest first.
    pub rejections: Vec<Rejection>,
}

pub async fn info(state: &AppState, row: &jixiao_store::feeds::FeedRow) -> ApiResult<FeedInfo> {
    let def: FeedDef = serde_json::from_str(&row.definition).map_err(|e| ApiError::internal(&e))?;
    let health = jixiao_store::feeds::health(&state.store, &row.code).await?;
    let (elements, problems) = {
        let live = state.live.read().await;
        let ts = targets(&live, &row.code);
        let problems: Vec<crate::error::ProblemText> = ts
            .iter()
            .flat_map(|t| def.spec_problems(&t.element, &t.spec))
            .map(|t| crate::error::ProblemText { zh: t.zh, en: t.en })
            .collect();
        (ts.into_iter().map(|t| t.element).collect(), problems)
    };
    let all = health.accepted + health.replayed + health.rejected;
    let error_rate = (all > 0).then(|| {
        (jixiao_core::Decimal::from(health.rejected) * jixiao_core::Decimal::ONE_HUNDRED
            / jixiao_core::Decimal::from(all))
        .round_dp(2)
        .normalize()
        .to_string()
    });
    Ok(FeedInfo {
        code: row.code.clone(),
        name_zh: def.name.zh.clone(),
        name_en: def.name.en.clone(),
        definition: serde_json::to_value(&def).map_err(|e| ApiError::internal(&e))?,
        elements,
        health,
        error_rate,
        problems,
        updated_by: row.updated_by.clone(),
        updated_at: row.updated_at.clone(),
    })
}

/// Every feed with its health: events accepted, replayed and rejected, the last event, the
/// problems of the last seven days.
#[utoipa::path(get, path = "/feeds", tag = "feeds", responses((status = 200, body = Vec<FeedInfo>), (status = 403, body = crate::error::Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<FeedInfo>>> {
    allow(&state, &caller, Action::ReadFeeds).await?;
    let mut out = Vec::new();
    for row in jixiao_store::feeds::list(&state.store).await? {
        out.push(info(&state, &row).await?);
    }
    Ok(Json(out))
}

/// One feed with its health and the last 50 problems of posts it had turned away.
#[utoipa::path(get, path = "/feeds/{code}", tag = "feeds", params(("code" = String, Path)), responses((status = 200, body = FeedDetail), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<FeedDetail>> {
    allow(&state, &caller, Action::ReadFeeds).await?;
    let row = jixiao_store::feeds::get(&state.store, &code)
        .await?
        .ok_or_else(|| ApiError::not_found("数据接口", "feed"))?;
    Ok(Json(FeedDetail {
        info: info(&state, &row).await?,
        rejections: jixiao_store::feeds::recent_rejections(&state.store, &code, 50).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct DefineBody {
    /// Name, description and fields: `{"name": {"zh": …, "en": …}, "fields": {"handling_seconds": {"type": "number", "min": 0}}}`.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    pub reason: String,
}

/// Creates or changes a feed's definition (audited). Events already stored stay as they are.
#[utoipa::path(put, path = "/feeds/{code}", tag = "feeds", params(("code" = String, Path)), request_body = DefineBody, responses((status = 200, body = FeedInfo), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn define(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<DefineBody>,
) -> ApiResult<Json<FeedInfo>> {
    allow(&state, &caller, Action::ManageFeeds).await?;
    require_reason(&b.reason)?;
    if let Err(e) = jixiao_core::code::Ident::parse(&code) {
        return Err(ApiError::bad_request("bad_code", e.text(&code)));
    }
    let def = parse_definition(&b.definition)?;
    let json = serde_json::to_string(&def).map_err(|e| ApiError::internal(&e))?;
    let mut tx = state.store.write().await?;
    jixiao_store::feeds::define(&mut tx, &caller.actor, &code, &json, &b.reason).await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    let row = jixiao_store::feeds::get(&state.store, &code)
        .await?
        .ok_or_else(|| ApiError::internal(&"feed vanished"))?;
    Ok(Json(info(&state, &row).await?))
}

/// A definition from JSON, or 422 saying what is wrong and where.
pub fn parse_definition(v: &serde_json::Value) -> ApiResult<FeedDef> {
    let invalid = |zh: String, en: String| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_feed",
            Text::new(zh, en),
        )
    };
    let def: FeedDef = serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        invalid(
            format!("数据接口定义无法读取（{path}）：{inner}"),
            format!("the feed definition cannot be read at {path}: {inner}"),
        )
    })?;
    let problems = def.problems();
    if let Some(p) = problems.first() {
        return Err(invalid(p.zh.clone(), p.en.clone()));
    }
    Ok(def)
}

/// Posts events: `{"events": [{"id": "kiosk-000123", "unit": "SPJ", "at": "2025-03-31T09:30:00+08:00", "data": {…}}, …]}` or one event on its own. Needs an API key with role `feed` (its items, when set, list the feeds it may post to; its unit limits the units). Each event is checked against the feed's fields; one bad event turns the post away (422 with every bad field's path, nothing stored). An event id already stored with the same content is a replay and changes nothing; with different content, 409. New events are added into every data element the published schemes fill from the feed.
#[utoipa::path(post, path = "/feeds/{code}/events", tag = "feeds", params(("code" = String, Path)), request_body(content = Object, description = "events"), responses((status = 200, body = Ingested), (status = 422, description = "bad events; `problems` lists each path", body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn post_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<Json<Ingested>> {
    Ok(Json(ingest(&state, &caller, &code, &body).await?))
}
