//! Accounts (administrators only).

use crate::auth::hash_password;
use crate::error::{Error, Result};
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::{Action, Role};
use jixiao_core::text::Text;
use jixiao_store::users::{NewUser, UserRow};
use serde::Deserialize;
use utoipa::ToSchema;

/// Every account.
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<UserRow>> {
    allow(state, caller, Action::ManageUsers).await?;
    Ok(jixiao_store::users::list(&state.store).await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
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

/// Makes an account; its holder chooses their own password at the first sign-in.
pub async fn create(state: &AppState, caller: &Caller, b: NewUserBody) -> Result<UserRow> {
    allow(state, caller, Action::ManageUsers).await?;
    let role = Role::parse(&b.role)
        // A feed is a machine: it gets an API key, never an account.
        .filter(|r| !matches!(r, Role::Public | Role::Feed))
        .ok_or_else(|| {
            Error::bad_request(
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
            return Err(Error::bad_request(
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
        return Err(Error::bad_request(
            "unit_required",
            Text::new("该角色需要指定所属单位", "this role needs a unit"),
        ));
    }
    if b.password.chars().count() < 10 {
        return Err(Error::bad_request(
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
    commit(tx).await?;
    Ok(row)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DisableBody {
    pub disabled: bool,
    pub reason: String,
}

/// Disables an account (or enables it again), with a reason.
pub async fn disable(
    state: &AppState,
    caller: &Caller,
    username: &str,
    b: DisableBody,
) -> Result<UserRow> {
    allow(state, caller, Action::ManageUsers).await?;
    require_reason(&b.reason)?;
    let mut tx = state.store.write().await?;
    let row = jixiao_store::users::by_name_in(&mut tx, username)
        .await?
        .ok_or_else(|| Error::not_found("用户", "user"))?;
    jixiao_store::users::set_disabled(&mut tx, &caller.actor, &row, b.disabled, &b.reason).await?;
    let row = jixiao_store::users::by_name_in(&mut tx, username)
        .await?
        .ok_or_else(|| Error::not_found("用户", "user"))?;
    commit(tx).await?;
    // A disabled account's sessions end at its next request.
    state.sessions.forget_all();
    Ok(row)
}
