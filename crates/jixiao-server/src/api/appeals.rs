//! Appeals (申诉/复核): a unit appeals a published indicator score with a reason (and evidence);
//! the office upholds it (correcting values if needed, and publishing a new revision) or
//! rejects it, always with a reason. Both revisions stay visible.

use crate::api::extract::Json;
use crate::api::extract::Path;
use crate::api::require_reason;
use crate::api::units::allow;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Multipart, State};

use axum::http::StatusCode;
use jixiao_core::access::{Action, Role, can};
use jixiao_core::text::Text;
use jixiao_core::workflow::ValueState;
use jixiao_store::appeals::AppealRow;
use jixiao_store::values::Content;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct FileBody {
    pub publication_id: i64,
    pub unit: String,
    pub indicator: String,
    pub reason: String,
}

/// Appeal a published score.
#[utoipa::path(post, path = "/appeals", tag = "appeals", request_body = FileBody,
    responses((status = 201, body = AppealRow), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<FileBody>,
) -> ApiResult<(StatusCode, Json<AppealRow>)> {
    allow(&state, &caller, Action::FileAppeal { unit: &b.unit }).await?;
    require_reason(&b.reason)?;
    let p = jixiao_store::publications::get(&state.store, b.publication_id)
        .await?
        .ok_or_else(|| ApiError::not_found("公示", "publication"))?;
    let results: serde_json::Value =
        serde_json::from_str(&p.results).map_err(|e| ApiError::internal(&e))?;
    let found = results["classes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["rows"].as_array().into_iter().flatten())
        .any(|r| {
            r["unit"] == b.unit.as_str()
                && r["indicators"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|i| i["code"] == b.indicator.as_str())
        });
    if !found {
        return Err(ApiError::not_found(
            "该公示中的单位和指标",
            "unit and indicator in this publication",
        ));
    }
    let mut tx = state.store.write().await?;
    let a = jixiao_store::appeals::file(
        &mut tx,
        &caller.actor,
        b.publication_id,
        &b.unit,
        &b.indicator,
        &b.reason,
    )
    .await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Appeals the caller may see: the office all, a unit its own.
#[utoipa::path(get, path = "/appeals", tag = "appeals", responses((status = 200, body = Vec<AppealRow>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<AppealRow>>> {
    caller.require_signed_in()?;
    let all = jixiao_store::appeals::list(&state.store).await?;
    let live = state.live.read().await;
    Ok(Json(
        all.into_iter()
            .filter(|a| {
                can(
                    &caller.principal,
                    Action::ReadUnit { unit: &a.unit_code },
                    &*live,
                )
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct Correction {
    pub element: String,
    pub period: String,
    /// The corrected value (exact decimal as text).
    pub value: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ResolveBody {
    /// `uphold` or `reject`.
    pub decision: String,
    pub reason: String,
    pub version: i64,
    /// Values the office corrects when it upholds (counted at once).
    #[serde(default)]
    pub corrections: Vec<Correction>,
}

/// Uphold (and re-publish) or reject an appeal.
#[utoipa::path(post, path = "/appeals/{id}/resolve", tag = "appeals", params(("id" = i64, Path)), request_body = ResolveBody,
    responses((status = 200, body = AppealRow), (status = 409, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<ResolveBody>,
) -> ApiResult<Json<AppealRow>> {
    allow(&state, &caller, Action::ResolveAppeal).await?;
    require_reason(&b.reason)?;
    let mut conn = state
        .store
        .pool
        .acquire()
        .await
        .map_err(jixiao_store::StoreError::from)?;
    let before = jixiao_store::appeals::get(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("申诉", "appeal"))?;
    drop(conn);
    if before.status != "open" || before.version != b.version {
        return Err(ApiError::conflict(
            "appeal_closed",
            Text::new(
                "该申诉已处理或已被他人修改",
                "this appeal was already resolved or changed",
            ),
        )
        .with(serde_json::json!({ "current": before })));
    }
    let upheld = match b.decision.as_str() {
        "uphold" => true,
        "reject" => false,
        d => {
            return Err(ApiError::bad_request(
                "bad_decision",
                Text::new(
                    format!("处理结果“{d}”无效，应为 uphold 或 reject"),
                    format!("decision `{d}` must be uphold or reject"),
                ),
            ));
        }
    };
    let publication = jixiao_store::publications::get(&state.store, before.publication_id)
        .await?
        .ok_or_else(|| ApiError::not_found("公示", "publication"))?;
    if upheld && !b.corrections.is_empty() {
        // The office corrects the values: each is counted at once, audited with the appeal's reason.
        let mut tx = state.store.write().await?;
        let mut rows = Vec::new();
        for c in &b.corrections {
            let v = jixiao_core::data::parse_number(&c.value).ok_or_else(|| {
                ApiError::bad_request(
                    "bad_value",
                    Text::new(
                        format!("“{}”不是数字", c.value),
                        format!("`{}` is not a number", c.value),
                    ),
                )
            })?;
            let content = Content {
                value: &v.normalize().to_string(),
                note: "",
                state: ValueState::Counted.code(),
                return_reason: "",
            };
            let row =
                match jixiao_store::values::get(&mut tx, &before.unit_code, &c.element, &c.period)
                    .await?
                {
                    Some(cur) => jixiao_store::values::update(
                        &mut tx,
                        &caller.actor,
                        &cur,
                        "value.correct",
                        Content {
                            return_reason: &b.reason,
                            ..content
                        },
                    )
                    .await?
                    .ok_or_else(|| {
                        ApiError::conflict(
                            "version_conflict",
                            Text::new("数值被他人同时修改", "the value changed meanwhile"),
                        )
                    })?,
                    None => {
                        jixiao_store::values::insert(
                            &mut tx,
                            &caller.actor,
                            jixiao_store::values::Key {
                                unit: &before.unit_code,
                                element: &c.element,
                                period: &c.period,
                            },
                            content,
                        )
                        .await?
                    }
                };
            rows.push(row);
        }
        tx.commit().await.map_err(jixiao_store::StoreError::from)?;
        let mut live = state.live.write().await;
        for r in &rows {
            live.apply(r);
        }
    }
    let republication = if upheld {
        Some(
            crate::api::publications::publish_now(
                &state,
                &caller,
                &publication.scheme_code,
                &publication.period,
                &format!("申诉{id}复核成立：{}", b.reason),
            )
            .await?
            .id,
        )
    } else {
        None
    };
    let mut tx = state.store.write().await?;
    let after = jixiao_store::appeals::resolve(
        &mut tx,
        &caller.actor,
        &before,
        if upheld { "upheld" } else { "rejected" },
        &b.reason,
        republication,
    )
    .await?;
    let after = after.ok_or_else(|| {
        ApiError::conflict(
            "appeal_closed",
            Text::new(
                "该申诉刚被他人处理",
                "someone resolved this appeal just now",
            ),
        )
    })?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    Ok(Json(after))
}

/// Attach evidence to an appeal (multipart field `file`).
#[utoipa::path(post, path = "/appeals/{id}/evidence", tag = "appeals", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn upload_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    mut form: Multipart,
) -> ApiResult<StatusCode> {
    let mut conn = state
        .store
        .pool
        .acquire()
        .await
        .map_err(jixiao_store::StoreError::from)?;
    let a = jixiao_store::appeals::get(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("申诉", "appeal"))?;
    drop(conn);
    if !(can(
        &caller.principal,
        Action::FileAppeal { unit: &a.unit_code },
        &*state.live.read().await,
    ) || caller.principal.role == Role::Office)
    {
        return Err(ApiError::forbidden());
    }
    let (name, mime, bytes) = crate::api::values::read_file(&state, &mut form).await?;
    let sha = crate::api::values::store_file(&state, &bytes).await?;
    let mut tx = state.store.write().await?;
    jixiao_store::evidence::attach(
        &mut tx,
        &caller.actor,
        "appeal",
        a.id,
        &a.id.to_string(),
        &sha,
        bytes.len() as i64,
        &mime,
        &name,
    )
    .await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    Ok(StatusCode::CREATED)
}
