//! API keys for machine clients (administrators only). The key is shown once, when made.

use crate::api::extract::Json;
use crate::api::extract::Path;
use crate::api::require_reason;
use crate::api::units::allow;
use crate::auth::{Caller, new_api_key};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;

use axum::http::StatusCode;
use jixiao_core::access::{Action, Role};
use jixiao_core::text::Text;
use jixiao_store::keys::KeyRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[utoipa::path(get, path = "/api-keys", tag = "keys", responses((status = 200, body = Vec<KeyRow>)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<KeyRow>>> {
    allow(&state, &caller, Action::ManageApiKeys).await?;
    Ok(Json(jixiao_store::keys::list(&state.store).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewKeyBody {
    pub name: String,
    /// The role the key acts with (e.g. reporter for a feed that reports a unit's data).
    pub role: String,
    pub unit: Option<String>,
    pub items: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct NewKey {
    /// The full key: shown this once; send it as `Authorization: Bearer <key>`.
    pub key: String,
    pub row: KeyRow,
}

#[utoipa::path(post, path = "/api-keys", tag = "keys", request_body = NewKeyBody, responses((status = 201, body = NewKey), (status = 400, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewKeyBody>,
) -> ApiResult<(StatusCode, Json<NewKey>)> {
    allow(&state, &caller, Action::ManageApiKeys).await?;
    let role = Role::parse(&b.role)
        .filter(|r| !matches!(r, Role::Public | Role::Admin))
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_role",
                Text::new(
                    format!("API 密钥不能使用角色“{}”", b.role),
                    format!("an API key cannot have role `{}`", b.role),
                ),
            )
        })?;
    let (key, prefix, hash) = new_api_key();
    let items = b.items.as_ref().map(|i| i.join(","));
    let mut tx = state.store.write().await?;
    let row = jixiao_store::keys::create(
        &mut tx,
        &caller.actor,
        &b.name,
        &prefix,
        &hash,
        role.code(),
        b.unit.as_deref(),
        items.as_deref(),
    )
    .await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    Ok((StatusCode::CREATED, Json(NewKey { key, row })))
}

#[derive(Deserialize, ToSchema)]
pub struct RevokeBody {
    pub reason: String,
}

#[utoipa::path(post, path = "/api-keys/{prefix}/revoke", tag = "keys", params(("prefix" = String, Path)), request_body = RevokeBody,
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(prefix): Path<String>,
    Json(b): Json<RevokeBody>,
) -> ApiResult<StatusCode> {
    allow(&state, &caller, Action::ManageApiKeys).await?;
    require_reason(&b.reason)?;
    let mut tx = state.store.write().await?;
    if !jixiao_store::keys::revoke(&mut tx, &caller.actor, &prefix, &b.reason).await? {
        return Err(ApiError::not_found("有效的 API 密钥", "active API key"));
    }
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    Ok(StatusCode::NO_CONTENT)
}
