//! Accounts and secrets: people sign in with a session cookie (axum-login and tower-sessions,
//! with sessions kept in the database); machines with API keys. Passwords are argon2id; API
//! keys are random and stored as SHA-256 hashes. Who a request's caller is:
//! [`crate::http::caller`]; signing in: [`crate::ops::auth`].

use crate::error::Error;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum_login::tower_sessions::session::{Id, Record};
use axum_login::tower_sessions::session_store::{self, SessionStore};
use axum_login::{AuthUser, AuthnBackend, UserId};
use jixiao_core::access::{Principal, Role};
use jixiao_store::Store;
use jixiao_store::users::UserRow;
use rand::RngCore;

pub fn hash_password(password: &str) -> Result<String, Error> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(&e))
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
