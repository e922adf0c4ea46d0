//! Published results (公示). A publication freezes the scheme version and its hash, the
//! organisation and the counted values it was scored from, and the results; re-scoring those
//! inputs reproduces the results exactly. An upheld appeal publishes a new revision; every
//! revision stays.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_str, now, sha256_hex};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicationRow {
    pub id: i64,
    pub scheme_code: String,
    pub scheme_version: i64,
    pub scheme_hash: String,
    pub period: String,
    pub revision: i64,
    #[serde(skip)]
    pub org_snapshot: String,
    #[serde(skip)]
    pub values_snapshot: String,
    #[serde(skip)]
    pub results: String,
    /// The earlier years' grades its results applied read (JSON; `{}` when none).
    #[serde(skip)]
    pub earlier_snapshot: String,
    pub results_hash: String,
    pub reason: String,
    pub published_by: String,
    pub published_at: String,
    /// Whether the public notice shows the results applied (结果运用).
    pub applied_public: bool,
}

fn row(r: &sqlx::any::AnyRow) -> Result<PublicationRow> {
    Ok(PublicationRow {
        id: get_i64(r, "id")?,
        scheme_code: get_str(r, "scheme_code")?,
        scheme_version: get_i64(r, "scheme_version")?,
        scheme_hash: get_str(r, "scheme_hash")?,
        period: get_str(r, "period")?,
        revision: get_i64(r, "revision")?,
        org_snapshot: get_str(r, "org_snapshot")?,
        values_snapshot: get_str(r, "values_snapshot")?,
        results: get_str(r, "results")?,
        earlier_snapshot: get_str(r, "earlier_snapshot")?,
        results_hash: get_str(r, "results_hash")?,
        reason: get_str(r, "reason")?,
        published_by: get_str(r, "published_by")?,
        published_at: get_str(r, "published_at")?,
        applied_public: get_i64(r, "applied_public")? != 0,
    })
}

pub struct NewPublication<'a> {
    pub scheme_code: &'a str,
    pub scheme_version: i64,
    pub scheme_hash: &'a str,
    pub period: &'a str,
    pub org_snapshot: &'a str,
    pub values_snapshot: &'a str,
    pub results: &'a str,
    pub earlier_snapshot: &'a str,
    pub reason: &'a str,
    pub applied_public: bool,
}

/// Publishes a new revision of a scheme's period, or — when the latest revision was made from
/// the same scheme version, organisation and values — returns that one unchanged (`false`):
/// publishing again with nothing changed does nothing. Two publications of one period at once
/// are serialised (SQLite by its write lock, PostgreSQL by a lock on the scheme and period),
/// so the second sees the first and neither is refused.
pub async fn publish(
    tx: &mut Tx,
    actor: &Actor,
    p: NewPublication<'_>,
) -> Result<(PublicationRow, bool)> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
            .bind(format!("publication/{}/{}", p.scheme_code, p.period))
            .execute(&mut **tx)
            .await?;
    }
    let latest = sqlx::query("SELECT * FROM publications WHERE scheme_code = $1 AND period = $2 ORDER BY revision DESC LIMIT 1")
        .bind(p.scheme_code)
        .bind(p.period)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(row)
        .transpose()?;
    if let Some(l) = latest.as_ref().filter(|l| {
        l.scheme_version == p.scheme_version
            && l.scheme_hash == p.scheme_hash
            && l.org_snapshot == p.org_snapshot
            && l.values_snapshot == p.values_snapshot
            && l.earlier_snapshot == p.earlier_snapshot
            && l.applied_public == p.applied_public
    }) {
        return Ok((l.clone(), false));
    }
    let revision = latest.map_or(1, |l| l.revision + 1);
    let results_hash = sha256_hex(p.results.as_bytes());
    let r = sqlx::query("INSERT INTO publications (scheme_code, scheme_version, scheme_hash, period, revision, org_snapshot, values_snapshot, results, results_hash, reason, published_by, published_at, applied_public, earlier_snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *")
        .bind(p.scheme_code)
        .bind(p.scheme_version)
        .bind(p.scheme_hash)
        .bind(p.period)
        .bind(revision)
        .bind(p.org_snapshot)
        .bind(p.values_snapshot)
        .bind(p.results)
        .bind(&results_hash)
        .bind(p.reason)
        .bind(&actor.name)
        .bind(now())
        .bind(i64::from(p.applied_public))
        .bind(p.earlier_snapshot)
        .fetch_one(&mut **tx)
        .await?;
    let pubrow = row(&r)?;
    let id = format!("{}/{}#{}", p.scheme_code, p.period, revision);
    let after = serde_json::json!({"scheme_version": p.scheme_version, "scheme_hash": p.scheme_hash, "results_hash": results_hash, "applied_public": p.applied_public}).to_string();
    append(
        tx,
        actor,
        Change {
            action: "results.publish",
            entity: "publication",
            entity_id: &id,
            before: None,
            after: Some(after),
            reason: p.reason,
        },
    )
    .await?;
    Ok((pubrow, true))
}

pub async fn get(store: &Store, id: i64) -> Result<Option<PublicationRow>> {
    let r = sqlx::query("SELECT * FROM publications WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?;
    r.as_ref().map(row).transpose()
}

/// The latest revision of a scheme's period.
pub async fn latest(store: &Store, scheme: &str, period: &str) -> Result<Option<PublicationRow>> {
    let r = sqlx::query(
        "SELECT * FROM publications WHERE scheme_code = $1 AND period = $2 ORDER BY revision DESC LIMIT 1",
    )
    .bind(scheme)
    .bind(period)
    .fetch_optional(&store.pool)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Every publication, newest first.
pub async fn list(store: &Store) -> Result<Vec<PublicationRow>> {
    let rows = sqlx::query("SELECT * FROM publications ORDER BY published_at DESC, id DESC")
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(row).collect()
}
