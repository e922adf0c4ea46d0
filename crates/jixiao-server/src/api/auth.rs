//! Signing in and out, changing one's password, who am I.

use crate::api::extract::Json;
use crate::auth::{
    AuthSession, CSRF_KEY, Caller, User, hash_password, random_hex, verify_password,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jixiao_core::text::Text;
use jixiao_store::audit::Actor;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

/// The signed-in person, and the token their writes must carry.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit: Option<String>,
    pub items: Option<Vec<String>>,
    /// Accounts created by the demo or an administrator must choose their own password first.
    pub must_change_password: bool,
    /// Send as `X-CSRF-Token` with every write.
    pub csrf_token: String,
}

fn me_of(u: &User, csrf: String) -> Me {
    Me {
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role.code().into(),
        unit: u.unit.clone(),
        items: u.items.clone(),
        must_change_password: u.must_change_password,
        csrf_token: csrf,
    }
}

fn wrong() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        Text::new("用户名或密码错误", "wrong username or password"),
    )
}

fn locked(until: &str) -> ApiError {
    ApiError::new(
        StatusCode::LOCKED,
        "locked",
        Text::new(
            format!("登录失败次数过多，账号已锁定至 {until}（UTC）"),
            format!("too many failed logins; the account is locked until {until} (UTC)"),
        ),
    )
    .with(serde_json::json!({ "locked_until": until }))
}

/// Sign in with a username and password. Repeated failures lock the account for a while.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = Me), (status = 401, body = crate::error::Problem), (status = 423, body = crate::error::Problem), (status = 429, description = "too many attempts from this address")))]
pub async fn login(
    State(state): State<AppState>,
    mut session: AuthSession,
    caller: Caller,
    Json(b): Json<LoginBody>,
) -> ApiResult<Json<Me>> {
    let Some(row) = jixiao_store::users::by_name(&state.store, &b.username).await? else {
        return Err(wrong());
    };
    let actor = Actor {
        name: row.username.clone(),
        source: "web".into(),
        request_id: caller.actor.request_id.clone(),
    };
    if row.disabled {
        return Err(wrong());
    }
    if let Some(until) = row
        .locked_until
        .as_deref()
        .filter(|u| *u > jixiao_store::now().as_str())
    {
        return Err(locked(until));
    }
    if !verify_password(&b.password, &row.password_hash) {
        let until = jixiao_store::in_seconds(state.config.lockout_minutes * 60);
        let mut tx = state.store.write().await?;
        jixiao_store::users::login_failed(
            &mut tx,
            &actor,
            &row,
            state.config.max_login_failures,
            &until,
        )
        .await?;
        tx.commit().await.map_err(jixiao_store::StoreError::from)?;
        return Err(
            if row.failed_logins + 1 >= state.config.max_login_failures {
                locked(&until)
            } else {
                wrong()
            },
        );
    }
    let mut tx = state.store.write().await?;
    jixiao_store::users::login_succeeded(&mut tx, &actor, &row).await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    let user = User::from_row(&row)
        .ok_or_else(|| ApiError::internal(&"unknown role in the users table"))?;
    session
        .login(&user)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let csrf = random_hex(16);
    session
        .session
        .insert(CSRF_KEY, &csrf)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(me_of(&user, csrf)))
}

/// Sign out.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(mut session: AuthSession) -> ApiResult<StatusCode> {
    session.logout().await.map_err(|e| ApiError::internal(&e))?;
    session
        .session
        .flush()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordBody {
    pub old_password: String,
    pub new_password: String,
}

/// Change one's own password (required after the first sign-in of a seeded account).
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = PasswordBody,
    responses((status = 200, body = Me), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    mut session: AuthSession,
    caller: Caller,
    Json(b): Json<PasswordBody>,
) -> ApiResult<Json<Me>> {
    let user = caller.user.clone().ok_or_else(ApiError::unauthorized)?;
    let row = jixiao_store::users::by_id(&state.store, user.id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if !verify_password(&b.old_password, &row.password_hash) {
        return Err(wrong());
    }
    let p = &b.new_password;
    if p.chars().count() < 10
        || p == &b.old_password
        || p.to_lowercase().contains(&row.username.to_lowercase())
    {
        return Err(ApiError::bad_request(
            "weak_password",
            Text::new(
                "新密码至少10个字符，不能与旧密码相同，也不能包含用户名",
                "the new password needs at least 10 characters, must differ from the old one and must not contain the username",
            ),
        ));
    }
    let hash = hash_password(p)?;
    let mut tx = state.store.write().await?;
    jixiao_store::users::set_password(&mut tx, &caller.actor, &row, &hash, false).await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    let row = jixiao_store::users::by_id(&state.store, user.id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let user = User::from_row(&row).ok_or_else(|| ApiError::internal(&"unknown role"))?;
    // A new password ends the other sessions; this one continues with a fresh id.
    session
        .login(&user)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let csrf = random_hex(16);
    session
        .session
        .insert(CSRF_KEY, &csrf)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(me_of(&user, csrf)))
}

/// The signed-in person.
#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = crate::error::Problem)))]
pub async fn me(session: AuthSession, caller: Caller) -> ApiResult<Json<Me>> {
    let user = caller.user.ok_or_else(ApiError::unauthorized)?;
    let csrf = crate::auth::csrf_token(&session.session)
        .await
        .unwrap_or_default();
    Ok(Json(me_of(&user, csrf)))
}
