//! Accounts. Passwords are stored as argon2id hashes (made by the server); failed logins
//! count towards a lockout.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str, now};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub unit_code: Option<String>,
    /// Comma-separated element codes; `None`: all.
    pub items: Option<String>,
    pub must_change_password: bool,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

fn row(r: &sqlx::any::AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: get_i64(r, "id")?,
        username: get_str(r, "username")?,
        display_name: get_str(r, "display_name")?,
        password_hash: get_str(r, "password_hash")?,
        role: get_str(r, "role")?,
        unit_code: get_opt(r, "unit_code")?,
        items: get_opt(r, "items")?,
        must_change_password: get_i64(r, "must_change_password")? != 0,
        failed_logins: get_i64(r, "failed_logins")?,
        locked_until: get_opt(r, "locked_until")?,
        disabled: get_i64(r, "disabled")? != 0,
        created_at: get_str(r, "created_at")?,
    })
}

fn json(u: &UserRow) -> String {
    serde_json::to_string(u).unwrap_or_default()
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub unit_code: Option<&'a str>,
    pub items: Option<&'a str>,
    pub must_change_password: bool,
}

pub async fn create(tx: &mut Tx, actor: &Actor, u: NewUser<'_>) -> Result<UserRow> {
    let r = sqlx::query("INSERT INTO users (username, display_name, password_hash, role, unit_code, items, must_change_password, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *")
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.password_hash)
        .bind(u.role)
        .bind(u.unit_code)
        .bind(u.items)
        .bind(i64::from(u.must_change_password))
        .bind(now())
        .fetch_one(&mut **tx)
        .await?;
    let user = row(&r)?;
    append(
        tx,
        actor,
        Change {
            action: "user.create",
            entity: "user",
            entity_id: &user.username,
            before: None,
            after: Some(json(&user)),
            reason: "",
        },
    )
    .await?;
    Ok(user)
}

pub async fn by_name(store: &Store, username: &str) -> Result<Option<UserRow>> {
    by_name_in(&mut *store.read().await?, username).await
}

/// [`by_name`] on a connection the caller holds.
pub async fn by_name_in(conn: &mut sqlx::AnyConnection, username: &str) -> Result<Option<UserRow>> {
    let r = sqlx::query("SELECT * FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(row).transpose()
}

pub async fn by_id(store: &Store, id: i64) -> Result<Option<UserRow>> {
    by_id_in(&mut *store.read().await?, id).await
}

/// [`by_id`] on a connection the caller holds.
pub async fn by_id_in(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Option<UserRow>> {
    let r = sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(row).transpose()
}

pub async fn list(store: &Store) -> Result<Vec<UserRow>> {
    let rows = sqlx::query("SELECT * FROM users ORDER BY id")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(row).collect()
}

/// [`list`] on the caller's connection (a transaction's).
pub async fn list_in(conn: &mut sqlx::AnyConnection) -> Result<Vec<UserRow>> {
    let rows = sqlx::query("SELECT * FROM users ORDER BY username")
        .fetch_all(conn)
        .await?;
    rows.iter().map(row).collect()
}

/// Until when `address` may not try to sign in as `username` (after too many failures), if it is
/// locked out now (`now`, as stored).
pub async fn locked_out(
    store: &Store,
    username: &str,
    address: &str,
    now: &str,
) -> Result<Option<String>> {
    let r = sqlx::query("SELECT locked_until FROM login_failures WHERE username = $1 AND address = $2 AND locked_until > $3")
        .bind(username)
        .bind(address)
        .bind(now)
        .fetch_optional(&store.pool)
        .await?;
    r.as_ref().map(|r| get_str(r, "locked_until")).transpose()
}

/// Records a failed sign-in of `address` as `user`; that address is locked out of that account
/// until `lock_until` once `max` failures in a row are reached. Returns whether it is locked now.
pub async fn login_failed(
    tx: &mut Tx,
    actor: &Actor,
    user: &UserRow,
    address: &str,
    max: i64,
    lock_until: &str,
) -> Result<bool> {
    let r = sqlx::query("INSERT INTO login_failures (username, address, failures) VALUES ($1, $2, 1) ON CONFLICT (username, address) DO UPDATE SET failures = login_failures.failures + 1 RETURNING failures")
        .bind(&user.username)
        .bind(address)
        .fetch_one(&mut **tx)
        .await?;
    let failed = get_i64(&r, "failures")?;
    let locked = (failed >= max).then_some(lock_until);
    if let Some(until) = locked {
        sqlx::query("UPDATE login_failures SET failures = 0, locked_until = $1 WHERE username = $2 AND address = $3")
            .bind(until)
            .bind(&user.username)
            .bind(address)
            .execute(&mut **tx)
            .await?;
    }
    let action = if locked.is_some() {
        "user.lock"
    } else {
        "user.login_failed"
    };
    let after =
        serde_json::json!({"failed_logins": failed, "address": address, "locked_until": locked})
            .to_string();
    append(
        tx,
        actor,
        Change {
            action,
            entity: "user",
            entity_id: &user.username,
            before: None,
            after: Some(after),
            reason: "",
        },
    )
    .await?;
    Ok(locked.is_some())
}

/// Records a sign-in: the address's failures for the account are forgotten.
pub async fn login_succeeded(
    tx: &mut Tx,
    actor: &Actor,
    user: &UserRow,
    address: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1 AND address = $2")
        .bind(&user.username)
        .bind(address)
        .execute(&mut **tx)
        .await?;
    append(
        tx,
        actor,
        Change {
            action: "user.login",
            entity: "user",
            entity_id: &user.username,
            before: None,
            after: None,
            reason: "",
        },
    )
    .await?;
    Ok(())
}

pub async fn set_password(
    tx: &mut Tx,
    actor: &Actor,
    user: &UserRow,
    hash: &str,
    must_change: bool,
) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2, failed_logins = 0, locked_until = NULL WHERE id = $3").bind(hash).bind(i64::from(must_change)).bind(user.id).execute(&mut **tx).await?;
    append(
        tx,
        actor,
        Change {
            action: "user.password",
            entity: "user",
            entity_id: &user.username,
            before: None,
            after: Some(format!("{{\"must_change_password\":{must_change}}}")),
            reason: "",
        },
    )
    .await?;
    Ok(())
}

pub async fn set_disabled(
    tx: &mut Tx,
    actor: &Actor,
    user: &UserRow,
    disabled: bool,
    reason: &str,
) -> Result<()> {
    sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(i64::from(disabled))
        .bind(user.id)
        .execute(&mut **tx)
        .await?;
    let (b, a) = (
        format!("{{\"disabled\":{}}}", user.disabled),
        format!("{{\"disabled\":{disabled}}}"),
    );
    append(
        tx,
        actor,
        Change {
            action: "user.disable",
            entity: "user",
            entity_id: &user.username,
            before: Some(b),
            after: Some(a),
            reason,
        },
    )
    .await?;
    Ok(())
}
