//! The audit log: every write, with who, when, what, before/after, why, the request and where
//! it came from. Each entry carries the hash of the previous one; [`verify`] finds the first
//! entry that was altered, removed or reordered.

use crate::{Page, Result, Store, Tx, get_i64, get_opt, get_str, now, sha256_hex};
use serde::Serialize;

/// Who is acting and through what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A username, `apikey:<name>`, or `system`.
    pub name: String,
    /// `web`, `api`, `import`, `feed`, `cli`.
    pub source: String,
    pub request_id: String,
}

impl Actor {
    pub fn system(source: &str) -> Actor {
        Actor {
            name: "system".into(),
            source: source.into(),
            request_id: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub source: String,
    pub request_id: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry: SHA-256 over its fields and the previous hash, each length-prefixed so
/// no two different entries can give the same input.
pub fn entry_hash(e: &Entry) -> String {
    let fields: [&str; 12] = [
        &e.prev_hash,
        &e.seq.to_string(),
        &e.at,
        &e.actor,
        &e.source,
        &e.request_id,
        &e.action,
        &e.entity,
        &e.entity_id,
        e.before.as_deref().unwrap_or("\u{0}"),
        e.after.as_deref().unwrap_or("\u{0}"),
        &e.reason,
    ];
    let mut buf = Vec::new();
    for f in fields {
        buf.extend_from_slice(&(f.len() as u64).to_be_bytes());
        buf.extend_from_slice(f.as_bytes());
    }
    sha256_hex(&buf)
}

/// What changed, for one audit entry.
pub struct Change<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: &'a str,
}

/// On PostgreSQL: the entry the next one chains to, (seq, hash), with the head row locked (which
/// serialises writers). This transaction's own entries are newer than the head; entries
/// removed from the end (tampering) are older, and the head keeps the gap visible.
async fn postgres_last(tx: &mut Tx) -> Result<(i64, String)> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut **tx)
        .await?;
    let head = (get_i64(&head, "seq")?, get_str(&head, "hash")?);
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match last {
        Some(r) if get_i64(&r, "seq")? > head.0 => (get_i64(&r, "seq")?, get_str(&r, "hash")?),
        _ => head,
    })
}

/// Appends an entry in the caller's transaction, chained to the one before it. Writers are
/// serialised, so entries are chained in commit order: on SQLite by the write lock every write
/// transaction takes (`BEGIN IMMEDIATE`) and the head row is updated in place; on PostgreSQL by
/// locking the head row, which a trigger brings up to date once, at commit (see
/// `migrations/postgres/0002_audit_head_at_commit.sql`).
pub async fn append(tx: &mut Tx, actor: &Actor, c: Change<'_>) -> Result<i64> {
    let (seq, prev_hash) = if tx.backend_name() == "PostgreSQL" {
        let prev = postgres_last(tx).await?;
        (prev.0 + 1, prev.1)
    } else {
        let head =
            sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut **tx)
                .await?;
        (get_i64(&head, "seq")?, get_str(&head, "hash")?)
    };
    let mut e = Entry {
        seq,
        at: now(),
        actor: actor.name.clone(),
        source: actor.source.clone(),
        request_id: actor.request_id.clone(),
        action: c.action.into(),
        entity: c.entity.into(),
        entity_id: c.entity_id.into(),
        before: c.before,
        after: c.after,
        reason: c.reason.into(),
        prev_hash,
        hash: String::new(),
    };
    e.hash = entry_hash(&e);
    sqlx::query("INSERT INTO audit_log (seq, at, actor, source, request_id, action, entity, entity_id, before, after, reason, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(e.seq)
        .bind(&e.at)
        .bind(&e.actor)
        .bind(&e.source)
        .bind(&e.request_id)
        .bind(&e.action)
        .bind(&e.entity)
        .bind(&e.entity_id)
        .bind(&e.before)
        .bind(&e.after)
        .bind(&e.reason)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut **tx)
        .await?;
    if tx.backend_name() != "PostgreSQL" {
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&e.hash)
            .execute(&mut **tx)
            .await?;
    }
    Ok(e.seq)
}

/// Entries per bulk INSERT statement.
const AUDIT_CHUNK: usize = 5000;

/// Appends many entries at once, chained exactly as [`append`] would chain them one by one,
/// with one head update and multi-row inserts (bulk imports write hundreds of thousands).
pub async fn append_many(tx: &mut Tx, actor: &Actor, changes: Vec<Change<'_>>) -> Result<()> {
    let n = changes.len() as i64;
    if n == 0 {
        return Ok(());
    }
    let postgres = tx.backend_name() == "PostgreSQL";
    let (first, mut prev_hash) = if postgres {
        let prev = postgres_last(tx).await?;
        (prev.0 + 1, prev.1)
    } else {
        let head =
            sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                .bind(n)
                .fetch_one(&mut **tx)
                .await?;
        (get_i64(&head, "seq")? - n + 1, get_str(&head, "hash")?)
    };
    let at = now();
    let mut entries = Vec::with_capacity(changes.len());
    for (i, c) in changes.into_iter().enumerate() {
        let mut e = Entry {
            seq: first + i as i64,
            at: at.clone(),
            actor: actor.name.clone(),
            source: actor.source.clone(),
            request_id: actor.request_id.clone(),
            action: c.action.into(),
            entity: c.entity.into(),
            entity_id: c.entity_id.into(),
            before: c.before,
            after: c.after,
            reason: c.reason.into(),
            prev_hash: std::mem::take(&mut prev_hash),
            hash: String::new(),
        };
        e.hash = entry_hash(&e);
        prev_hash = e.hash.clone();
        entries.push(e);
    }
    // Each statement carries its entries as one JSON array the database unpacks; the fields
    // every entry shares are bound once.
    let sql = if postgres {
        "INSERT INTO audit_log (seq, at, actor, source, request_id, action, entity, entity_id, before, after, reason, prev_hash, hash) SELECT (r->>0)::bigint, $2, $3, $4, $5, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8 FROM json_array_elements($1::text::json) AS t(r)"
    } else {
        "INSERT INTO audit_log (seq, at, actor, source, request_id, action, entity, entity_id, before, after, reason, prev_hash, hash) SELECT value->>0, $2, $3, $4, $5, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8 FROM json_each($1)"
    };
    for chunk in entries.chunks(AUDIT_CHUNK) {
        let array = serde_json::Value::Array(
            chunk
                .iter()
                .map(|e| {
                    serde_json::json!([
                        e.seq,
                        e.action,
                        e.entity,
                        e.entity_id,
                        e.before,
                        e.after,
                        e.reason,
                        e.prev_hash,
                        e.hash
                    ])
                })
                .collect(),
        )
        .to_string();
        sqlx::query(sql)
            .bind(&array)
            .bind(&at)
            .bind(&actor.name)
            .bind(&actor.source)
            .bind(&actor.request_id)
            .execute(&mut **tx)
            .await?;
    }
    if !postgres {
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev_hash)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn entry(row: &sqlx::any::AnyRow) -> Result<Entry> {
    Ok(Entry {
        seq: get_i64(row, "seq")?,
        at: get_str(row, "at")?,
        actor: get_str(row, "actor")?,
        source: get_str(row, "source")?,
        request_id: get_str(row, "request_id")?,
        action: get_str(row, "action")?,
        entity: get_str(row, "entity")?,
        entity_id: get_str(row, "entity_id")?,
        before: get_opt(row, "before")?,
        after: get_opt(row, "after")?,
        reason: get_str(row, "reason")?,
        prev_hash: get_str(row, "prev_hash")?,
        hash: get_str(row, "hash")?,
    })
}

/// Filters for listing the log; empty strings match everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// Matches entries whose entity id contains this text (a unit code, a period).
    pub contains: String,
}

pub async fn list(store: &Store, f: &Filter, page: Page) -> Result<(i64, Vec<Entry>)> {
    let like = format!("%{}%", f.contains);
    let total = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR entity = $3) AND ($4 = '' OR entity_id = $4) AND ($5 = '%%' OR LOWER(entity_id) LIKE LOWER($5))")
        .bind(&f.actor)
        .bind(&f.action)
        .bind(&f.entity)
        .bind(&f.entity_id)
        .bind(&like)
        .fetch_one(&store.pool)
        .await?;
    let rows = sqlx::query("SELECT * FROM audit_log WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR entity = $3) AND ($4 = '' OR entity_id = $4) AND ($5 = '%%' OR LOWER(entity_id) LIKE LOWER($5)) ORDER BY seq DESC LIMIT $6 OFFSET $7")
        .bind(&f.actor)
        .bind(&f.action)
        .bind(&f.entity)
        .bind(&f.entity_id)
        .bind(&like)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&store.pool)
        .await?;
    Ok((
        get_i64(&total, "n")?,
        rows.iter().map(entry).collect::<Result<_>>()?,
    ))
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    pub entries: i64,
    /// The first entry found wrong, and what is wrong with it; `None` when the chain is intact.
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
    /// Value rows compared with their last audit entry.
    pub values_checked: i64,
    /// The first value row that disagrees with its last audit entry (changed outside jixiao);
    /// `None` when every value is as its audit says.
    pub value_problem: Option<String>,
}

/// Walks the log in sequence order, recomputing every hash.
pub async fn verify(store: &Store) -> Result<Verification> {
    let rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq")
        .fetch_all(&store.pool)
        .await?;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&store.pool)
        .await?;
    let (head_seq, head_hash) = (get_i64(&head, "seq")?, get_str(&head, "hash")?);
    let mut prev = "0".repeat(64);
    let mut expected_seq = 1;
    for row in &rows {
        let e = entry(row)?;
        let broken = |problem: String| Verification {
            entries: rows.len() as i64,
            broken_at: Some(e.seq.min(expected_seq)),
            problem: Some(problem),
            values_checked: 0,
            value_problem: None,
        };
        if e.seq != expected_seq {
            return Ok(broken(format!(
                "entry {expected_seq} is missing (found {} next): removed or reordered",
                e.seq
            )));
        }
        if e.prev_hash != prev {
            return Ok(broken(format!(
                "entry {} does not follow entry {}: its previous hash differs (reordered or the one before was altered)",
                e.seq,
                e.seq - 1
            )));
        }
        if entry_hash(&e) != e.hash {
            return Ok(broken(format!(
                "entry {} was altered: its content no longer matches its hash",
                e.seq
            )));
        }
        prev = e.hash;
        expected_seq += 1;
    }
    if head_seq != expected_seq - 1 || head_hash != prev {
        return Ok(Verification {
            entries: rows.len() as i64,
            broken_at: Some(expected_seq),
            problem: Some(format!(
                "the log ends at entry {} but {} were written: entries at the end were removed",
                expected_seq - 1,
                head_seq
            )),
            values_checked: 0,
            value_problem: None,
        });
    }
    // Every value row as its last audit entry left it.
    let mut last: std::collections::HashMap<String, (i64, String)> =
        std::collections::HashMap::new();
    for row in &rows {
        if get_str(row, "entity")? == "value"
            && let Some(after) = get_opt(row, "after")?
        {
            last.insert(get_str(row, "entity_id")?, (get_i64(row, "seq")?, after));
        }
    }
    let values = sqlx::query(
        "SELECT unit_code, element, period, value, note, state, return_reason, version FROM data_values ORDER BY id",
    )
    .fetch_all(&store.pool)
    .await?;
    let mut value_problem = None;
    for v in &values {
        let key = format!(
            "{}/{}/{}",
            get_str(v, "unit_code")?,
            get_str(v, "element")?,
            get_str(v, "period")?
        );
        let now = serde_json::json!({
            "value": get_str(v, "value")?,
            "note": get_str(v, "note")?,
            "state": get_str(v, "state")?,
            "return_reason": get_str(v, "return_reason")?,
            "version": get_i64(v, "version")?,
        });
        let said = last
            .get(&key)
            .and_then(|(seq, a)| Some((*seq, serde_json::from_str::<serde_json::Value>(a).ok()?)));
        let problem = match said {
            None => Some(format!(
                "value {key} is in the table but no audit entry made it: written outside jixiao"
            )),
            Some((seq, a)) if a != now => Some(format!(
                "value {key} reads {now} in the table but its last audit entry ({seq}) says {a}: changed outside jixiao"
            )),
            Some(_) => None,
        };
        if problem.is_some() {
            value_problem = problem;
            break;
        }
    }
    Ok(Verification {
        entries: rows.len() as i64,
        broken_at: None,
        problem: None,
        values_checked: values.len() as i64,
        value_problem,
    })
}

/// The last entry written (0 before any): every write appends at least one entry, so this
/// moves whenever the data move, whoever wrote them.
pub async fn last_seq(store: &Store) -> Result<i64> {
    let r = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log")
        .fetch_one(&store.pool)
        .await?;
    get_i64(&r, "n")
}

/// What changed after entry `after`, in order, at most `limit` entries: (seq, entity, entity id).
pub async fn changes_since(
    store: &Store,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT seq, entity, entity_id FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                get_i64(r, "seq")?,
                get_str(r, "entity")?,
                get_str(r, "entity_id")?,
            ))
        })
        .collect()
}
