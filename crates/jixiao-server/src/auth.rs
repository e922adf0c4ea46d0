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
    pub cache: std::sync::Arc<SessionCache>,
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
        if let Some(u) = self.cache.user(*id) {
            return Ok(u);
        }
        let generation = self.cache.generation();
        let row = jixiao_store::users::by_id(&self.store, *id).await?;
        let user = row.filter(|r| !r.disabled).and_then(|r| User::from_row(&r));
        self.cache.keep_user(*id, user.clone(), generation);
        Ok(user)
    }
}

pub type AuthSession = axum_login::AuthSession<Backend>;

/// How far the expiry a session keeps in memory may run ahead of the one in the database before
/// it is written again: a request that only extends an inactivity expiry writes nothing until
/// then (a session may so end up to this long early after a restart).
const EXPIRY_SLACK_SECONDS: i64 = 60;

/// At most this many sessions are kept in memory; beyond it the cache starts again empty.
const MAX_CACHED: usize = 100_000;

/// Sessions and their users held in memory, with the database as the record: a request with a
/// session cookie reads neither (P14). Forgotten whenever a user changes — here through the
/// operations that change users, and on every node through the audit log it follows (a sign-out,
/// a new password, a disabled account are audited as `user` changes).
#[derive(Default)]
pub struct SessionCache {
    records: std::sync::Mutex<std::collections::HashMap<Id, (Record, i64)>>,
    users: std::sync::Mutex<std::collections::HashMap<i64, Option<User>>>,
    /// API keys found, by prefix (unknown prefixes are not held: guessing cannot fill memory).
    keys: std::sync::Mutex<std::collections::HashMap<String, jixiao_store::keys::KeyRow>>,
    /// Bumped when everything is forgotten, so a read begun before cannot put back what it read.
    generation: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache").finish_non_exhaustive()
    }
}

impl SessionCache {
    /// Forgets every session and user held (they are read again from the database).
    pub fn forget_all(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        lock(&self.records).clear();
        lock(&self.users).clear();
        lock(&self.keys).clear();
    }

    /// An API key held, by prefix.
    pub fn key(&self, prefix: &str) -> Option<jixiao_store::keys::KeyRow> {
        lock(&self.keys).get(prefix).cloned()
    }

    /// Holds a key read from the database, unless everything was forgotten since the read
    /// began (`generation` from [`SessionCache::generation_now`]).
    pub fn keep_key(&self, key: jixiao_store::keys::KeyRow, generation: u64) {
        let mut keys = lock(&self.keys);
        if self.generation() == generation {
            if keys.len() >= MAX_CACHED {
                keys.clear();
            }
            keys.insert(key.prefix.clone(), key);
        }
    }

    /// The generation to pass to [`SessionCache::keep_key`], taken before reading.
    pub fn generation_now(&self) -> u64 {
        self.generation()
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn user(&self, id: i64) -> Option<Option<User>> {
        lock(&self.users).get(&id).cloned()
    }

    fn keep_user(&self, id: i64, user: Option<User>, generation: u64) {
        let mut users = lock(&self.users);
        if self.generation() == generation {
            if users.len() >= MAX_CACHED {
                users.clear();
            }
            users.insert(id, user);
        }
    }

    /// A session held, unexpired.
    fn record(&self, id: &Id, now: i64) -> Option<Record> {
        let mut records = lock(&self.records);
        match records.get(id) {
            Some((r, _)) if r.expiry_date.unix_timestamp() > now => Some(r.clone()),
            Some(_) => {
                records.remove(id);
                None
            }
            None => None,
        }
    }

    /// The expiry in the database of a session held with the same data, if any.
    fn stored_expiry(&self, record: &Record) -> Option<i64> {
        lock(&self.records)
            .get(&record.id)
            .filter(|(r, _)| r.data == record.data)
            .map(|(_, stored)| *stored)
    }

    fn keep(&self, record: &Record, stored_expiry: i64, generation: u64) {
        let mut records = lock(&self.records);
        if self.generation() == generation {
            if records.len() >= MAX_CACHED {
                records.clear();
            }
            records.insert(record.id, (record.clone(), stored_expiry));
        }
    }

    fn forget(&self, id: &Id) {
        lock(&self.records).remove(id);
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sessions in the database, so they survive restarts and work the same on both backends;
/// held in memory too ([`SessionCache`]).
#[derive(Clone, Debug)]
pub struct DbSessions {
    pub store: Store,
    pub cache: std::sync::Arc<SessionCache>,
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
                self.cache.keep(
                    record,
                    record.expiry_date.unix_timestamp(),
                    self.cache.generation(),
                );
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let expiry = record.expiry_date.unix_timestamp();
        let generation = self.cache.generation();
        // The same data with an expiry only a little further on (an inactivity expiry extended
        // by a request): kept in memory; the database is written when it falls behind.
        if let Some(stored) = self.cache.stored_expiry(record)
            && expiry - stored < EXPIRY_SLACK_SECONDS
        {
            self.cache.keep(record, stored, generation);
            return Ok(());
        }
        let data =
            serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        jixiao_store::sessions::save(&self.store, &record.id.to_string(), &data, expiry)
            .await
            .map_err(backend_err)?;
        self.cache.keep(record, expiry, generation);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if let Some(r) = self.cache.record(id, now) {
            return Ok(Some(r));
        }
        let generation = self.cache.generation();
        match jixiao_store::sessions::load(&self.store, &id.to_string(), now)
            .await
            .map_err(backend_err)?
        {
            Some(data) => {
                let record: Record = serde_json::from_slice(&data)
                    .map_err(|e| session_store::Error::Decode(e.to_string()))?;
                self.cache
                    .keep(&record, record.expiry_date.unix_timestamp(), generation);
                Ok(Some(record))
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.cache.forget(id);
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
