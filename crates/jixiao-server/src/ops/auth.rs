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

/// A hash to check passwords against when there is no account: an unknown username takes as
/// long to refuse as a wrong password, so timing does not tell which accounts exist.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        crate::auth::hash_password(&crate::auth::random_hex(16)).unwrap_or_default()
    })
}

/// The account, when the password is right and the account is not disabled, and the client's
/// address is not locked out of it. A wrong password counts towards that address's lock out of
/// that account only (a stranger elsewhere cannot lock the owner out); every attempt on an
/// account is audited.
pub async fn login(
    state: &AppState,
    request_id: &str,
    address: &str,
    b: &LoginBody,
) -> Result<User> {
    let row = jixiao_store::users::by_name(&state.store, &b.username).await?;
    let Some(row) = row.filter(|r| !r.disabled) else {
        verify_password(&b.password, decoy_hash());
        return Err(wrong());
    };
    let actor = Actor {
        name: row.username.clone(),
        source: "web".into(),
        request_id: request_id.to_owned(),
    };
    let now = jixiao_store::now();
    if let Some(until) =
        jixiao_store::users::locked_out(&state.store, &row.username, address, &now).await?
    {
        return Err(locked(&until));
    }
    if !verify_password(&b.password, &row.password_hash) {
        let until = jixiao_store::in_seconds(state.config.lockout_minutes * 60);
        let mut tx = state.store.write().await?;
        let now_locked = jixiao_store::users::login_failed(
            &mut tx,
            &actor,
            &row,
            address,
            state.config.max_login_failures,
            &until,
        )
        .await?;
        commit(tx).await?;
        return Err(if now_locked { locked(&until) } else { wrong() });
    }
    let mut tx = state.store.write().await?;
    jixiao_store::users::login_succeeded(&mut tx, &actor, &row, address).await?;
    commit(tx).await?;
    User::from_row(&row).ok_or_else(|| Error::internal(&"unknown role in the users table"))
}

/// The password policy: at least 10 characters, not containing the username, and not easy to
/// guess — common passwords, keyboard walks, repeats and sequences, and words with a few
/// letters swapped for digits are refused (zxcvbn's estimate must reach 3 of 4, "safely
/// unguessable" against an online attack and slowed offline one).
pub fn check_password(p: &str, username: &str, display_name: &str) -> Result<()> {
    let weak = |zh: &str, en: &str| {
        Err(Error::bad_request(
            "weak_password",
            Text::new(
                format!("密码太弱：{zh}"),
                format!("the password is too weak: {en}"),
            ),
        ))
    };
    if p.chars().count() < 10 {
        return weak("至少需要10个字符", "it needs at least 10 characters");
    }
    if !username.is_empty() && p.to_lowercase().contains(&username.to_lowercase()) {
        return weak("不能包含用户名", "it must not contain the username");
    }
    let score = zxcvbn::zxcvbn(p, &[username, display_name]).score();
    if (score as u8) < 3 {
        return weak(
            "太常见或太有规律（如常用密码、连续或重复的字符、键盘上相邻的键）；请用几个不相关的词或更长的短语",
            "too common or too regular (a common password, runs or repeats, keys next to each other); use a few unrelated words or a longer phrase",
        );
    }
    Ok(())
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
    if p == &b.old_password {
        return Err(Error::bad_request(
            "weak_password",
            Text::new(
                "新密码不能与旧密码相同",
                "the new password must differ from the old one",
            ),
        ));
    }
    check_password(p, &row.username, &row.display_name)?;
    let hash = hash_password(p)?;
    let mut tx = state.store.write().await?;
    jixiao_store::users::set_password(&mut tx, &caller.actor, &row, &hash, false).await?;
    let row = jixiao_store::users::by_id_in(&mut tx, user.id)
        .await?
        .ok_or_else(Error::unauthorized)?;
    let user = User::from_row(&row).ok_or_else(|| Error::internal(&"unknown role"))?;
    commit(tx).await?;
    // The other sessions of this user end (their auth hash no longer matches once the user is
    // read again).
    state.sessions.forget_all();
    Ok(user)
}

/// Records a sign-out in the audit log: who signed out and when — and so every node, following
/// the log, forgets the sessions it holds in memory (the session row itself is deleted by the
/// session layer).
pub async fn signed_out(state: &AppState, caller: &Caller) -> Result<()> {
    let Some(user) = &caller.user else {
        return Ok(());
    };
    let mut tx = state.store.write().await?;
    jixiao_store::audit::append(
        &mut tx,
        &caller.actor,
        jixiao_store::audit::Change {
            action: "user.logout",
            entity: "user",
            entity_id: &user.username,
            before: None,
            after: None,
            reason: "",
        },
    )
    .await?;
    commit(tx).await
}
