//! Signing in (with the lockout after repeated failures, each attempt audited) and changing
//! one's password. Starting and ending the session itself is the adapters' part
//! ([`crate::http::session`]).

use crate::auth::{User, hash_password, verify_password};
use crate::error::{Error, Kind, Result};
use crate::ops::{Caller, commit};
use crate::state::AppState;
use jixiao_core::text::Text;
use jixiao_store::audit::Actor;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

fn wrong() -> Error {
    Error::new(
        Kind::Unauthorized,
        "bad_credentials",
        Text::new("用户名或密码错误", "wrong username or password"),
    )
}

fn locked(until: &str) -> Error {
    Error::new(
        Kind::Locked,
        "locked",
        Text::new(
            format!("登录失败次数过多，账号已锁定至 {until}（UTC）"),
            format!("too many failed logins; the account is locked until {until} (UTC)"),
        ),
    )
    .with(serde_json::json!({ "locked_until": until }))
}

/// The account, when the password is right and the account is neither disabled nor locked.
/// A wrong password counts towards the lock; both outcomes are audited.
pub async fn login(state: &AppState, request_id: &str, b: &LoginBody) -> Result<User> {
    let Some(row) = jixiao_store::users::by_name(&state.store, &b.username).await? else {
        return Err(wrong());
    };
    let actor = Actor {
        name: row.username.clone(),
        source: "web".into(),
        request_id: request_id.to_owned(),
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
        commit(tx).await?;
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
    commit(tx).await?;
    User::from_row(&row).ok_or_else(|| Error::internal(&"unknown role in the users table"))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PasswordBody {
    pub old_password: String,
    pub new_password: String,
}

/// Changes the caller's own password; returns the account as it is now (a new password ends
/// its other sessions).
pub async fn change_password(state: &AppState, caller: &Caller, b: &PasswordBody) -> Result<User> {
    let user = caller.user.clone().ok_or_else(Error::unauthorized)?;
    let row = jixiao_store::users::by_id(&state.store, user.id)
        .await?
        .ok_or_else(Error::unauthorized)?;
    if !verify_password(&b.old_password, &row.password_hash) {
        return Err(wrong());
    }
    let p = &b.new_password;
    if p.chars().count() < 10
        || p == &b.old_password
        || p.to_lowercase().contains(&row.username.to_lowercase())
    {
        return Err(Error::bad_request(
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
    commit(tx).await?;
    let row = jixiao_store::users::by_id(&state.store, user.id)
        .await?
        .ok_or_else(Error::unauthorized)?;
    User::from_row(&row).ok_or_else(|| Error::internal(&"unknown role"))
}
