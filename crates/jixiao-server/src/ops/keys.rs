//! API keys for machine clients (administrators only): made (the key is shown once), listed,
//! revoked; and a request's key checked.

use crate::auth::{constant_time_eq, items_of, new_api_key};
use crate::error::{Error, Kind, Result};
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::{Action, Principal, Role};
use jixiao_core::text::Text;
use jixiao_store::audit::Actor;
use jixiao_store::keys::KeyRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every key (without its secret).
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<KeyRow>> {
    allow(state, caller, Action::ManageApiKeys).await?;
    Ok(jixiao_store::keys::list(&state.store).await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewKeyBody {
    pub name: String,
    /// The role the key acts with (e.g. reporter for a feed that reports a unit's data).
    pub role: String,
    pub unit: Option<String>,
    pub items: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct NewKey {
    /// The full key: shown this once; send it as `Authorization: Bearer <key>`.
    pub key: String,
    pub row: KeyRow,
}

/// Makes a key; the answer holds the full key, this once.
pub async fn create(state: &AppState, caller: &Caller, b: NewKeyBody) -> Result<NewKey> {
    allow(state, caller, Action::ManageApiKeys).await?;
    let role = Role::parse(&b.role)
        .filter(|r| !matches!(r, Role::Public | Role::Admin))
        .ok_or_else(|| {
            Error::bad_request(
                "bad_role",
                Text::new(
                    format!("API 密钥不能使用角色“{}”", b.role),
                    format!("an API key cannot have role `{}`", b.role),
                ),
            )
        })?;
    let (key, prefix, hash) = new_api_key();
    let items = b.items.as_ref().map(|i| i.join(","));
    let mut tx = state.store.write().await?;
    let row = jixiao_store::keys::create(
        &mut tx,
        &caller.actor,
        &b.name,
        &prefix,
        &hash,
        role.code(),
        b.unit.as_deref(),
        items.as_deref(),
    )
    .await?;
    commit(tx).await?;
    Ok(NewKey { key, row })
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RevokeBody {
    pub reason: String,
}

/// Revokes a key, with a reason.
pub async fn revoke(state: &AppState, caller: &Caller, prefix: &str, b: RevokeBody) -> Result<()> {
    allow(state, caller, Action::ManageApiKeys).await?;
    require_reason(&b.reason)?;
    let mut tx = state.store.write().await?;
    if !jixiao_store::keys::revoke(&mut tx, &caller.actor, prefix, &b.reason).await? {
        return Err(Error::not_found("有效的 API 密钥", "active API key"));
    }
    commit(tx).await?;
    state.sessions.forget_all();
    Ok(())
}

/// What a missing, malformed, unknown or revoked key is told.
pub fn bad_key() -> Error {
    Error::new(
        Kind::Unauthorized,
        "bad_api_key",
        jixiao_core::text::Text::new(
            "API 密钥无效或已吊销",
            "the API key is not valid or was revoked",
        ),
    )
}

/// The caller a key (`jx_<prefix>_<secret>`) stands for, or [`bad_key`].
pub async fn authenticate(state: &AppState, token: &str, request_id: String) -> Result<Caller> {
    let mut parts = token.splitn(3, '_');
    let (Some("jx"), Some(prefix), Some(secret)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad_key());
    };
    // Keys are held in memory once read (P14: a key request costs no database read); a
    // revocation through any node empties what every node holds (see `AppState::sync`).
    let key = match state.sessions.key(prefix) {
        Some(k) => k,
        None => {
            let generation = state.sessions.generation_now();
            let k = jixiao_store::keys::by_prefix(&state.store, prefix)
                .await?
                .ok_or_else(bad_key)?;
            state.sessions.keep_key(k.clone(), generation);
            k
        }
    };
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
            request_id,
        },
        user: None,
        via_cookie: false,
    })
}
