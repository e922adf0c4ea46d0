//! Evidence files (佐证材料): stored by content hash on disk by the server; here, which value or
//! appeal each file belongs to.

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_i64, get_str, now};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceRow {
    pub id: i64,
    /// `value` or `appeal`.
    pub owner_kind: String,
    pub owner_id: i64,
    pub sha256: String,
    pub size: i64,
    pub mime: String,
    pub filename: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

fn row(r: &sqlx::any::AnyRow) -> Result<EvidenceRow> {
    Ok(EvidenceRow {
        id: get_i64(r, "id")?,
        owner_kind: get_str(r, "owner_kind")?,
        owner_id: get_i64(r, "owner_id")?,
        sha256: get_str(r, "sha256")?,
        size: get_i64(r, "size")?,
        mime: get_str(r, "mime")?,
        filename: get_str(r, "filename")?,
        uploaded_by: get_str(r, "uploaded_by")?,
        uploaded_at: get_str(r, "uploaded_at")?,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn attach(
    tx: &mut Tx,
    actor: &Actor,
    owner_kind: &str,
    owner_id: i64,
    owner_key: &str,
    sha256: &str,
    size: i64,
    mime: &str,
    filename: &str,
) -> Result<EvidenceRow> {
    let r = sqlx::query("INSERT INTO evidence (owner_kind, owner_id, sha256, size, mime, filename, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *")
        .bind(owner_kind)
        .bind(owner_id)
        .bind(sha256)
        .bind(size)
        .bind(mime)
        .bind(filename)
        .bind(&actor.name)
        .bind(now())
        .fetch_one(&mut **tx)
        .await?;
    let e = row(&r)?;
    let after =
        serde_json::json!({"sha256": sha256, "size": size, "mime": mime, "filename": filename})
            .to_string();
    append(
        tx,
        actor,
        Change {
            action: "evidence.attach",
            entity: owner_kind,
            entity_id: owner_key,
            before: None,
            after: Some(after),
            reason: "",
        },
    )
    .await?;
    Ok(e)
}

pub async fn of(store: &Store, owner_kind: &str, owner_id: i64) -> Result<Vec<EvidenceRow>> {
    of_in(&mut *store.read().await?, owner_kind, owner_id).await
}

/// [`of`] on a connection the caller holds (a write transaction reading before it commits).
pub async fn of_in(
    conn: &mut sqlx::AnyConnection,
    owner_kind: &str,
    owner_id: i64,
) -> Result<Vec<EvidenceRow>> {
    let rows =
        sqlx::query("SELECT * FROM evidence WHERE owner_kind = $1 AND owner_id = $2 ORDER BY id")
            .bind(owner_kind)
            .bind(owner_id)
            .fetch_all(conn)
            .await?;
    rows.iter().map(row).collect()
}

/// The attachments of many owners of one kind (a review queue's values), in chunks small
/// enough for either database's parameter limit.
pub async fn of_many(
    store: &Store,
    owner_kind: &str,
    owner_ids: &[i64],
) -> Result<Vec<EvidenceRow>> {
    let mut out = Vec::new();
    let mut conn = store.read().await?;
    for chunk in owner_ids.chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT * FROM evidence WHERE owner_kind = $1 AND owner_id IN ({}) ORDER BY id",
            marks.join(", ")
        );
        // Only numbered placeholders are formatted in; every id is bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner_kind);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push(row(&r)?);
        }
    }
    Ok(out)
}

/// Every attachment of a file (to decide who may download it).
pub async fn by_hash(store: &Store, sha256: &str) -> Result<Vec<EvidenceRow>> {
    let rows = sqlx::query("SELECT * FROM evidence WHERE sha256 = $1 ORDER BY id")
        .bind(sha256)
        .fetch_all(&store.pool)
        .await?;
    rows.iter().map(row).collect()
}
