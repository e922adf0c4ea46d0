//! Who is calling: a session cookie (people, through axum-login) or an API key (machines,
//! `Authorization: Bearer jx_…`), as the operations' [`Caller`].

use crate::auth::AuthSession;
use crate::error::{Error, Kind};
use crate::ops::Caller;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jixiao_core::text::Text;

/// The client's address: the peer's, or the first `X-Forwarded-For` entry when a trusted proxy
/// sets it (`trust`); `local` when there is no peer (tests, in-process calls).
pub fn address_of(
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
    trust: bool,
) -> String {
    if trust
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return ip.trim().to_owned();
    }
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "local".to_owned(), |c| c.0.ip().to_string())
}

/// The client's address (see [`address_of`]).
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ClientAddress, Error> {
        Ok(ClientAddress(address_of(
            &parts.headers,
            &parts.extensions,
            state.config.trust_forwarded_for,
        )))
    }
}

fn request_id(parts: &Parts) -> String {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, Error> {
        let rid = request_id(parts);
        if let Some(auth) = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            let token = auth
                .strip_prefix("Bearer ")
                .ok_or_else(crate::ops::keys::bad_key)?;
            return crate::ops::keys::authenticate(state, token, rid).await;
        }
        let session = AuthSession::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::internal(&"session layer missing"))?;
        match session.user {
            Some(user) => {
                // Seeded and newly created accounts choose their own password before anything else.
                let path = parts.uri.path();
                let allowed = path.ends_with("/auth/password")
                    || path.ends_with("/auth/logout")
                    || path.ends_with("/me");
                if user.must_change_password && !allowed {
                    return Err(Error::new(
                        Kind::Forbidden,
                        "password_change_required",
                        Text::new(
                            "首次登录请先修改密码（POST /api/v1/auth/password）",
                            "choose your own password first (POST /api/v1/auth/password)",
                        ),
                    ));
                }
                let mut caller = Caller::person(user, "web", rid);
                caller.via_cookie = true;
                Ok(caller)
            }
            None => Ok(Caller::anonymous(rid)),
        }
    }
}
