//! Login sessions (the server's tower-sessions store keeps them here, in the same database).

use crate::{Result, Store, get_i64};
use sqlx::Row;

pub async fn load(store: &Store, id: &str, now_unix: i64) -> Result<Option<Vec<u8>>> {
    let r = sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?;
    match r {
        Some(r) if get_i64(&r, "expires_at")? > now_unix => {
            Ok(Some(r.try_get::<Vec<u8>, _>("data")?))
        }
        _ => Ok(None),
    }
}

/// Saves a session (insert or replace).
pub async fn save(store: &Store, id: &str, data: &[u8], expires_unix: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
    )
    .bind(id)
    .bind(data.to_vec())
    .bind(expires_unix)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Creates a session only if the id is new; false when it is taken.
pub async fn create(store: &Store, id: &str, data: &[u8], expires_unix: i64) -> Result<bool> {
    let r = sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING").bind(id).bind(data.to_vec()).bind(expires_unix).execute(&store.pool).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete(store: &Store, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub async fn delete_expired(store: &Store, now_unix: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_unix)
        .execute(&store.pool)
        .await?
        .rows_affected())
}
