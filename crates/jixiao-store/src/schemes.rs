//! Scheme versions. A published version is frozen; changing a scheme means uploading a new
//! version with a reason. Every result records the version and the hash of its content.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_opt, get_str, now, sha256_hex};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemeRow {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub year: i64,
    pub kind: String,
    pub title_zh: String,
    pub title_en: String,
    /// `toml` or `json`.
    pub format: String,
    #[serde(skip)]
    pub content: String,
    pub content_hash: String,
    /// `draft`, `published` or `superseded`.
    pub status: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: String,
    pub published_at: Option<String>,
}

fn scheme_row(r: &AnyRow) -> Result<SchemeRow> {
    Ok(SchemeRow {
        id: get_i64(r, "id")?,
        code: get_str(r, "code")?,
        version: get_i64(r, "version")?,
        year: get_i64(r, "year")?,
        kind: get_str(r, "kind")?,
        title_zh: get_str(r, "title_zh")?,
        title_en: get_str(r, "title_en")?,
        format: get_str(r, "format")?,
        content: get_str(r, "content")?,
        content_hash: get_str(r, "content_hash")?,
        status: get_str(r, "status")?,
        reason: get_str(r, "reason")?,
        created_by: get_str(r, "created_by")?,
        created_at: get_str(r, "created_at")?,
        published_at: get_opt(r, "published_at")?,
    })
}

/// What an upload says about itself (taken from the validated scheme).
pub struct NewScheme<'a> {
    pub code: &'a str,
    pub year: i64,
    pub kind: &'a str,
    pub title_zh: &'a str,
    pub title_en: &'a str,
    pub format: &'a str,
    pub content: &'a str,
    pub reason: &'a str,
}

/// Stores a new draft version (one more than the latest) and returns it.
pub async fn upload(tx: &mut Tx, actor: &Actor, s: NewScheme<'_>) -> Result<SchemeRow> {
    let hash = sha256_hex(s.content.as_bytes());
    let next =
        sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 AS v FROM schemes WHERE code = $1")
            .bind(s.code)
            .fetch_one(&mut **tx)
            .await?;
    let version = get_i64(&next, "v")?;
    let row = sqlx::query("INSERT INTO schemes (code, version, year, kind, title_zh, title_en, format, content, content_hash, status, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $11, $12) RETURNING *")
        .bind(s.code)
        .bind(version)
        .bind(s.year)
        .bind(s.kind)
        .bind(s.title_zh)
        .bind(s.title_en)
        .bind(s.format)
        .bind(s.content)
        .bind(&hash)
        .bind(s.reason)
        .bind(&actor.name)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?;
    let row = scheme_row(&row)?;
    let id = format!("{}@{}", row.code, row.version);
    append(
        tx,
        actor,
        Change {
            action: "scheme.upload",
            entity: "scheme",
            entity_id: &id,
            before: None,
            after: Some(format!("{{\"hash\":\"{hash}\",\"status\":\"draft\"}}")),
            reason: s.reason,
        },
    )
    .await?;
    Ok(row)
}

/// Publishes a draft; the previously published version becomes superseded. False if the version
/// is not a draft.
pub async fn publish(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    version: i64,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query("UPDATE schemes SET status = 'published', published_at = $1 WHERE code = $2 AND version = $3 AND status = 'draft'")
        .bind(now())
        .bind(code)
        .bind(version)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1;
    if done {
        sqlx::query("UPDATE schemes SET status = 'superseded' WHERE code = $1 AND version <> $2 AND status = 'published'").bind(code).bind(version).execute(&mut **tx).await?;
        let id = format!("{code}@{version}");
        append(
            tx,
            actor,
            Change {
                action: "scheme.publish",
                entity: "scheme",
                entity_id: &id,
                before: Some("{\"status\":\"draft\"}".into()),
                after: Some("{\"status\":\"published\"}".into()),
                reason,
            },
        )
        .await?;
    }
    Ok(done)
}

pub async fn get(store: &Store, code: &str, version: i64) -> Result<Option<SchemeRow>> {
    get_in(&mut *store.read().await?, code, version).await
}

/// [`get`] on a connection the caller holds.
pub async fn get_in(
    conn: &mut sqlx::AnyConnection,
    code: &str,
    version: i64,
) -> Result<Option<SchemeRow>> {
    let row = sqlx::query("SELECT * FROM schemes WHERE code = $1 AND version = $2")
        .bind(code)
        .bind(version)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(scheme_row).transpose()
}

pub async fn list(store: &Store) -> Result<Vec<SchemeRow>> {
    let rows = sqlx::query("SELECT * FROM schemes ORDER BY code, version")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(scheme_row).collect()
}

/// The published version of every scheme.
pub async fn published(store: &Store) -> Result<Vec<SchemeRow>> {
    let rows = sqlx::query("SELECT * FROM schemes WHERE status = 'published' ORDER BY code")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(scheme_row).collect()
}
