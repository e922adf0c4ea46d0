//! Who is calling: a session cookie (people, through axum-login and tower-sessions, with
//! sessions kept in the database) or an API key (machines). Passwords are argon2id; API keys
//! are random and stored as SHA-256 hashes; cookie-authenticated writes need the CSRF token.

use crate::error::ApiError;
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_login::tower_sessions::session::{Id, Record};
use axum_login::tower_sessions::session_store::{self, SessionStore};
use axum_login::{AuthUser, AuthnBackend, UserId};
use jixiao_core::access::{Principal, Role};
use jixiao_core::text::Text;
use jixiao_store::Store;
use jixiao_store::audit::Actor;
use jixiao_store::users::UserRow;
use rand::RngCore;

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(&e))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A random token of `bytes` bytes, hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A signed-in person.
#[derive(Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit: Option<String>,
    pub items: Option<Vec<String>>,
    pub must_change_password: bool,
    /// Changes when the password changes, which ends the user's other sessions.
    auth_hash: Vec<u8>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

pub fn items_of(s: &Option<String>) -> Option<Vec<String>> {
    s.as_ref().map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

impl User {
    pub fn from_row(r: &UserRow) -> Option<User> {
        Some(User {
            id: r.id,
            username: r.username.clone(),
            display_name: r.display_name.clone(),
            role: Role::parse(&r.role)?,
            unit: r.unit_code.clone(),
            items: items_of(&r.items),
            must_change_password: r.must_change_password,
            auth_hash: r.password_hash.as_bytes().to_vec(),
        })
    }

    pub fn principal(&self) -> Principal {
        Principal {
            role: self.role,
            unit: self.unit.clone(),
            items: self.items.clone(),
        }
    }
}

impl AuthUser for User {
    type Id = i64;
    fn id(&self) -> i64 {
        self.id
    }
    fn session_auth_hash(&self) -> &[u8] {
        &self.auth_hash
    }
}

#[derive(Clone)]
pub struct Backend {
    pub store: Store,
}

pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = jixiao_store::StoreError;

    async fn authenticate(&self, c: Credentials) -> Result<Option<User>, Self::Error> {
        let row = jixiao_store::users::by_name(&self.store, &c.username).await?;
        Ok(row
            .filter(|r| !r.disabled && verify_password(&c.password, &r.password_hash))
            .and_then(|r| User::from_row(&r)))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, Self::Error> {
        let row = jixiao_store::users::by_id(&self.store, *id).await?;
        Ok(row.filter(|r| !r.disabled).and_then(|r| User::from_row(&r)))
    }
}

pub type AuthSession = axum_login::AuthSession<Backend>;

/// Sessions in the database, so they survive restarts and work the same on both backends.
#[derive(Clone, Debug)]
pub struct DbSessions {
    pub store: Store,
}

fn backend_err(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for DbSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let data = serde_json::to_vec(&record)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            if jixiao_store::sessions::create(
                &self.store,
                &record.id.to_string(),
                &data,
                record.expiry_date.unix_timestamp(),
            )
            .await
            .map_err(backend_err)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data =
            serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        jixiao_store::sessions::save(
            &self.store,
            &record.id.to_string(),
            &data,
            record.expiry_date.unix_timestamp(),
        )
        .await
        .map_err(backend_err)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match jixiao_store::sessions::load(&self.store, &id.to_string(), now)
            .await
            .map_err(backend_err)?
        {
            Some(data) => {
                Ok(Some(serde_json::from_slice(&data).map_err(|e| {
                    session_store::Error::Decode(e.to_string())
                })?))
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        jixiao_store::sessions::delete(&self.store, &id.to_string())
            .await
            .map_err(backend_err)
    }
}

/// The session key holding the CSRF token.
pub const CSRF_KEY: &str = "csrf";
/// The header a cookie-authenticated write must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The caller of a request, whoever they are.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    /// For the audit log.
    pub actor: Actor,
    pub user: Option<User>,
    /// Signed in with a cookie (so writes need the CSRF token).
    pub via_cookie: bool,
}

impl Caller {
    pub fn require_signed_in(&self) -> Result<(), ApiError> {
        if self.principal.role == Role::Public {
            Err(ApiError::unauthorized())
        } else {
            Ok(())
        }
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
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let rid = request_id(parts);
        if let Some(auth) = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            let token = auth.strip_prefix("Bearer ").ok_or_else(bad_key)?;
            return api_key_caller(state, token, rid).await;
        }
        let session = AuthSession::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::internal(&"session layer missing"))?;
        match session.user {
            Some(user) => {
                // Seeded and newly created accounts choose their own password before anything else.
                let path = parts.uri.path();
                let allowed = path.ends_with("/auth/password")
                    || path.ends_with("/auth/logout")
                    || path.ends_with("/me");
                if user.must_change_password && !allowed {
                    return Err(ApiError::new(
                        axum::http::StatusCode::FORBIDDEN,
                        "password_change_required",
                        Text::new(
                            "首次登录请先修改密码（POST /api/v1/auth/password）",
                            "choose your own password first (POST /api/v1/auth/password)",
                        ),
                    ));
                }
                Ok(Caller {
                    principal: user.principal(),
                    actor: Actor {
                        name: user.username.clone(),
                        source: "web".into(),
                        request_id: rid,
                    },
                    user: Some(user),
                    via_cookie: true,
                })
            }
            None => Ok(Caller {
                principal: Principal::public(),
                actor: Actor {
                    name: "anonymous".into(),
                    source: "web".into(),
                    request_id: rid,
                },
                user: None,
                via_cookie: false,
            }),
        }
    }
}

fn bad_key() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        "bad_api_key",
        Text::new(
            "API 密钥无效或已吊销",
            "the API key is not valid or was revoked",
        ),
    )
}

/// API keys look like `jx_<prefix>_<secret>`.
async fn api_key_caller(state: &AppState, token: &str, rid: String) -> Result<Caller, ApiError> {
    let mut parts = token.splitn(3, '_');
    let (Some("jx"), Some(prefix), Some(secret)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad_key());
    };
    let key = jixiao_store::keys::by_prefix(&state.store, prefix)
        .await?
        .ok_or_else(bad_key)?;
    if key.revoked_at.is_some()
        || !constant_time_eq(
            jixiao_store::sha256_hex(secret.as_bytes()).as_bytes(),
            key.key_hash.as_bytes(),
        )
    {
        return Err(bad_key());
    }
    let role = Role::parse(&key.role).ok_or_else(bad_key)?;
    Ok(Caller {
        principal: Principal {
            role,
            unit: key.unit_code.clone(),
            items: items_of(&key.items),
        },
        actor: Actor {
            name: format!("apikey:{}", key.name),
            source: "api".into(),
            request_id: rid,
        },
        user: None,
        via_cookie: false,
    })
}

/// The session's CSRF token, if it has one (set at sign-in).
pub async fn csrf_token(session: &axum_login::tower_sessions::Session) -> Option<String> {
    session.get(CSRF_KEY).await.ok().flatten()
}

/// Compares secrets without stopping at the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Makes a new API key: returns (the full key, shown once; its prefix; the hash to store).
pub fn new_api_key() -> (String, String, String) {
    let prefix = random_hex(4);
    let secret = random_hex(20);
    (
        format!("jx_{prefix}_{secret}"),
        prefix,
        jixiao_store::sha256_hex(secret.as_bytes()),
    )
}
