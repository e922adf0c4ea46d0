//! The DHIS2 mapping table: DHIS2 identifiers to jixiao codes, replaced as a whole (audited).

use crate::audit::{Actor, Change, append};
use crate::{Result, Store, Tx, get_str};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapRow {
    /// `data_element`, `org_unit` or `period`.
    pub kind: String,
    /// The DHIS2 identifier (a UID such as `fbfJHSPpUQD`, or a period such as `2025April`).
    pub dhis2: String,
    /// The jixiao element code, unit code or period.
    pub jixiao: String,
}

pub async fn list(store: &Store) -> Result<Vec<MapRow>> {
    list_in(&mut *store.read().await?).await
}

/// [`list`] on a connection the caller holds.
pub async fn list_in(conn: &mut sqlx::AnyConnection) -> Result<Vec<MapRow>> {
    let rows = sqlx::query("SELECT * FROM dhis2_map ORDER BY kind, dhis2")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(MapRow {
                kind: get_str(r, "kind")?,
                dhis2: get_str(r, "dhis2")?,
                jixiao: get_str(r, "jixiao")?,
            })
        })
        .collect()
}

/// Replaces the whole table.
pub async fn replace(tx: &mut Tx, actor: &Actor, rows: &[MapRow], reason: &str) -> Result<()> {
    let before: Vec<MapRow> = sqlx::query("SELECT * FROM dhis2_map ORDER BY kind, dhis2")
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| {
            Ok(MapRow {
                kind: get_str(r, "kind")?,
                dhis2: get_str(r, "dhis2")?,
                jixiao: get_str(r, "jixiao")?,
            })
        })
        .collect::<Result<_>>()?;
    sqlx::query("DELETE FROM dhis2_map")
        .execute(&mut **tx)
        .await?;
    for r in rows {
        sqlx::query("INSERT INTO dhis2_map (kind, dhis2, jixiao) VALUES ($1, $2, $3)")
            .bind(&r.kind)
            .bind(&r.dhis2)
            .bind(&r.jixiao)
            .execute(&mut **tx)
            .await?;
    }
    let mut after = rows.to_vec();
    after.sort();
    append(
        tx,
        actor,
        Change {
            action: "dhis2.mapping",
            entity: "dhis2_map",
            entity_id: "all",
            before: Some(serde_json::to_string(&before).unwrap_or_default()),
            after: Some(serde_json::to_string(&after).unwrap_or_default()),
            reason,
        },
    )
    .await?;
    Ok(())
}
