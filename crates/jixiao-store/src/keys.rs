//! API keys for machine clients: stored hashed, looked up by their public prefix, scoped to a
//! role, units and items, revocable.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str, now};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    #[serde(skip)]
    pub key_hash: String,
    pub role: String,
    pub unit_code: Option<String>,
    pub items: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

fn row(r: &sqlx::any::AnyRow) -> Result<KeyRow> {
    Ok(KeyRow {
        id: get_i64(r, "id")?,
        name: get_str(r, "name")?,
        prefix: get_str(r, "prefix")?,
        key_hash: get_str(r, "key_hash")?,
        role: get_str(r, "role")?,
        unit_code: get_opt(r, "unit_code")?,
        items: get_opt(r, "items")?,
        created_by: get_str(r, "created_by")?,
        created_at: get_str(r, "created_at")?,
        revoked_at: get_opt(r, "revoked_at")?,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    prefix: &str,
    key_hash: &str,
    role: &str,
    unit: Option<&str>,
    items: Option<&str>,
) -> Result<KeyRow> {
    let r = sqlx::query("INSERT INTO api_keys (name, prefix, key_hash, role, unit_code, items, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *")
        .bind(name)
        .bind(prefix)
        .bind(key_hash)
        .bind(role)
        .bind(unit)
        .bind(items)
        .bind(&actor.name)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?;
    let k = row(&r)?;
    append(
        tx,
        actor,
        Change {
            action: "apikey.create",
            entity: "apikey",
            entity_id: prefix,
            before: None,
            after: Some(serde_json::to_string(&k).unwrap_or_default()),
            reason: "",
        },
    )
    .await?;
    Ok(k)
}

pub async fn by_prefix(store: &Store, prefix: &str) -> Result<Option<KeyRow>> {
    let r = sqlx::query("SELECT * FROM api_keys WHERE prefix = $1")
        .bind(prefix)
        .fetch_optional(&store.pool)
        .await?;
    r.as_ref().map(row).transpose()
}

pub async fn list(store: &Store) -> Result<Vec<KeyRow>> {
    let rows = sqlx::query("SELECT * FROM api_keys ORDER BY id")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(row).collect()
}

pub async fn revoke(tx: &mut Tx, actor: &Actor, prefix: &str, reason: &str) -> Result<bool> {
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(prefix)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            == 1;
    if done {
        append(
            tx,
            actor,
            Change {
                action: "apikey.revoke",
                entity: "apikey",
                entity_id: prefix,
                before: None,
                after: None,
                reason,
            },
        )
        .await?;
    }
    Ok(done)
}
