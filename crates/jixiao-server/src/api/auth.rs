//! Signing in and out, changing one's password, who am I: the checks are
//! [`crate::ops::auth`]'s, the session [`crate::http::session`]'s.

use crate::api::extract::Json;
use crate::auth::{AuthSession, User};
use crate::error::{Error, Result};
use crate::http::Problem;
use crate::http::caller::ClientAddress;
use crate::ops::Caller;
use crate::ops::auth::{LoginBody, PasswordBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

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

/// Sign in with a username and password. Repeated failures lock the account for a while.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = Me), (status = 401, body = Problem), (status = 423, body = Problem), (status = 429, description = "too many attempts from this address")))]
pub async fn login(
    State(state): State<AppState>,
    mut session: AuthSession,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    Json(b): Json<LoginBody>,
) -> Result<Json<Me>> {
    let user = crate::ops::auth::login(&state, &caller.actor.request_id, &address, &b).await?;
    let csrf = crate::http::session::start(&mut session, &user).await?;
    Ok(Json(me_of(&user, csrf)))
}

/// Sign out.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    mut session: AuthSession,
) -> Result<StatusCode> {
    crate::http::session::end(&mut session).await?;
    crate::ops::auth::signed_out(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change one's own password (required after the first sign-in of a seeded account).
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = PasswordBody,
    responses((status = 200, body = Me), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    mut session: AuthSession,
    caller: Caller,
    Json(b): Json<PasswordBody>,
) -> Result<Json<Me>> {
    let user = crate::ops::auth::change_password(&state, &caller, &b).await?;
    // A new password ends the other sessions; this one continues with a fresh id.
    let csrf = crate::http::session::start(&mut session, &user).await?;
    Ok(Json(me_of(&user, csrf)))
}

/// The signed-in person.
#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(session: AuthSession, caller: Caller) -> Result<Json<Me>> {
    let user = caller.user.ok_or_else(Error::unauthorized)?;
    let csrf = crate::http::session::csrf_token(&session.session)
        .await
        .unwrap_or_default();
    Ok(Json(me_of(&user, csrf)))
}
