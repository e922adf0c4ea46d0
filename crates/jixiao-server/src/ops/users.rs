//! Accounts (administrators only).

use crate::api::extract::Json;
use crate::api::extract::Path;
use crate::api::require_reason;
use crate::api::units::allow;
use crate::auth::{Caller, hash_password};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;

use axum::http::StatusCode;
use jixiao_core::access::{Action, Role};
use jixiao_core::text::Text;
use jixiao_store::users::{NewUser, UserRow};
use serde::Deserialize;
use utoipa::ToSchema;

#[utoipa::path(get, path = "/users", tag = "users", responses((status = 200, body = Vec<UserRow>)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<UserRow>>> {
    allow(&state, &caller, Action::ManageUsers).await?;
    Ok(Json(jixiao_store::users::list(&state.store).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUserBody {
    pub username: String,
    pub display_name: String,
    /// A first password; the user must change it when they first sign in.
    pub password: String,
    /// admin, office, finance, lead_reviewer, reporter, unit_leader, evaluator, inspector, leader.
    pub role: String,
    /// Root of the unit subtree they work in.
    pub unit: Option<String>,
    /// Data elements they may touch (all when absent).
    pub items: Option<Vec<String>>,
}

#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = UserRow), (status = 400, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewUserBody>,
) -> ApiResult<(StatusCode, Json<UserRow>)> {
    allow(&state, &caller, Action::ManageUsers).await?;
    let role = Role::parse(&b.role)
        // A feed is a machine: it gets an API key, never an account.
        .filter(|r| !matches!(r, Role::Public | Role::Feed))
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_role",
                Text::new(
                    format!("未知角色“{}”", b.role),
                    format!("unknown role `{}`", b.role),
                ),
            )
        })?;
    if let Some(u) = &b.unit {
        let live = state.live.read().await;
        if !live
            .org
            .as_ref()
            .is_some_and(|o| o.units.iter().any(|x| x.code.as_str() == u))
        {
            return Err(ApiError::bad_request(
                "unknown_unit",
                Text::new(
                    format!("单位“{u}”不存在"),
                    format!("unit `{u}` does not exist"),
                ),
            ));
        }
    }
    if matches!(
        role,
        Role::Reporter | Role::UnitLeader | Role::LeadReviewer | Role::Inspector
    ) && b.unit.is_none()
    {
        return Err(ApiError::bad_request(
            "unit_required",
            Text::new("该角色需要指定所属单位", "this role needs a unit"),
        ));
    }
    if b.password.chars().count() < 10 {
        return Err(ApiError::bad_request(
            "weak_password",
            Text::new(
                "初始密码至少10个字符",
                "the first password needs at least 10 characters",
            ),
        ));
    }
    let hash = hash_password(&b.password)?;
    let items = b.items.as_ref().map(|i| i.join(","));
    let mut tx = state.store.write().await?;
    let row = jixiao_store::users::create(
        &mut tx,
        &caller.actor,
        NewUser {
            username: &b.username,
            display_name: &b.display_name,
            password_hash: &hash,
            role: role.code(),
            unit_code: b.unit.as_deref(),
            items: items.as_deref(),
            must_change_password: true,
        },
    )
    .await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[derive(Deserialize, ToSchema)]
pub struct DisableBody {
    pub disabled: bool,
    pub reason: String,
}

#[utoipa::path(post, path = "/users/{username}/disable", tag = "users", params(("username" = String, Path)), request_body = DisableBody,
    responses((status = 200, body = UserRow), (status = 404, body = crate::error::Problem)))]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
    Json(b): Json<DisableBody>,
) -> ApiResult<Json<UserRow>> {
    allow(&state, &caller, Action::ManageUsers).await?;
    require_reason(&b.reason)?;
    let row = jixiao_store::users::by_name(&state.store, &username)
        .await?
        .ok_or_else(|| ApiError::not_found("用户", "user"))?;
    let mut tx = state.store.write().await?;
    jixiao_store::users::set_disabled(&mut tx, &caller.actor, &row, b.disabled, &b.reason).await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    let row = jixiao_store::users::by_name(&state.store, &username)
        .await?
        .ok_or_else(|| ApiError::not_found("用户", "user"))?;
    Ok(Json(row))
}
