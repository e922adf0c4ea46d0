//! The signed-in session: starting it (after the sign-in operation accepted the password),
//! ending it, and the CSRF token every cookie-authenticated write must carry.

use crate::auth::{AuthSession, User, random_hex};
use crate::error::{Error, Result};

/// The session key holding the CSRF token.
pub const CSRF_KEY: &str = "csrf";
/// The header a cookie-authenticated write must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Signs `user` in on this session (a new session id) with a fresh CSRF token, returned.
pub async fn start(session: &mut AuthSession, user: &User) -> Result<String> {
    // A new id even when the cookie already held a signed-in session: a cookie planted before
    // the sign-in must not become the signed-in session (session fixation).
    session
        .session
        .cycle_id()
        .await
        .map_err(|e| Error::internal(&e))?;
    session.login(user).await.map_err(|e| Error::internal(&e))?;
    let csrf = random_hex(16);
    session
        .session
        .insert(CSRF_KEY, &csrf)
        .await
        .map_err(|e| Error::internal(&e))?;
    Ok(csrf)
}

/// Signs out and forgets the session.
pub async fn end(session: &mut AuthSession) -> Result<()> {
    session.logout().await.map_err(|e| Error::internal(&e))?;
    session
        .session
        .flush()
        .await
        .map_err(|e| Error::internal(&e))
}

/// The session's CSRF token, if it has one (set at sign-in).
pub async fn csrf_token(session: &axum_login::tower_sessions::Session) -> Option<String> {
    session.get(CSRF_KEY).await.ok().flatten()
}
