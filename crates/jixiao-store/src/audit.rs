//! The audit log: every write, with who, when, what, before/after, why, the request and where
//! it came from. Each entry carries the hash of the previous one; [`verify`] finds the first
//! entry that was altered, removed or reordered.
//!
//! A chain alone does not survive someone who can write to the database: they can recompute
//! it, append a correctly chained entry, or cut the tail and move the head record. So the log
//! is also *sealed* ([`Seal`]): each entry's hash is signed (HMAC-SHA-256) with a key kept in a
//! file outside the database, and the same file records the newest entry the server has seen
//! and checked. Without the key no one can add or recompute an entry that verifies; removing
//! entries the seal has seen is reported; and the head (`seq` and `hash`, [`Verification`])
//! can be printed or published as an anchor the office keeps ([`verify_anchor`]).

use crate::{Page, Result, Store, StoreError, Tx, get_i64, get_opt, get_str, now, sha256_hex};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
    /// The hash signed with the seal's key (`None` before the database was sealed).
    pub mac: Option<String>,
    /// For one value's change within a batch entry (`seq`, entity `values`): its place in the
    /// batch (0, 1, …), shown with entity `value` and the value's key, before and after; the
    /// hashes are the batch entry's. `None` for the log's own entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<i64>,
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
        mac: None,
        part: None,
    };
    e.hash = entry_hash(&e);
    e.mac = tx.seal.as_ref().map(|s| s.sign(&e.hash));
    sqlx::query("INSERT INTO audit_log (seq, at, actor, source, request_id, action, entity, entity_id, before, after, reason, prev_hash, hash, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
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
        .bind(&e.mac)
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
            mac: None,
            part: None,
        };
        e.hash = entry_hash(&e);
        e.mac = tx.seal.as_ref().map(|s| s.sign(&e.hash));
        prev_hash = e.hash.clone();
        entries.push(e);
    }
    // Each statement carries its entries as one JSON array the database unpacks; the fields
    // every entry shares are bound once.
    let sql = if postgres {
        "INSERT INTO audit_log (seq, at, actor, source, request_id, action, entity, entity_id, before, after, reason, prev_hash, hash, mac) SELECT (r->>0)::bigint, $2, $3, $4, $5, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->>9 FROM json_array_elements($1::text::json) AS t(r)"
    } else {
        "INSERT INTO audit_log (seq, at, actor, source, request_id, action, entity, entity_id, before, after, reason, prev_hash, hash, mac) SELECT value->>0, $2, $3, $4, $5, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9 FROM json_each($1)"
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
                        e.hash,
                        e.mac
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

/// One value's change within a batch ([`append_values`]): the value's key (`unit/element/period`)
/// and its content before and after, as a single entry for it would carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueChange {
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Value changes per batch entry.
pub const BATCH: usize = 5000;

/// The entity of a batch entry.
pub const BATCH_ENTITY: &str = "values";

/// The digest a batch entry commits to: SHA-256 over every change in order, each field
/// length-prefixed (as [`entry_hash`] does), a missing before/after as one NUL.
pub fn batch_digest<'a>(
    changes: impl IntoIterator<Item = (&'a str, Option<&'a str>, Option<&'a str>)>,
) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for (key, before, after) in changes {
        for f in [key, before.unwrap_or("\u{0}"), after.unwrap_or("\u{0}")] {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
    }
    crate::hex(&h.finalize())
}

/// What a batch entry's `after` holds: how many changes and their digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSeal {
    pub values: usize,
    pub digest: String,
}

/// Appends many value changes made by one write (an import): one entry per [`BATCH`] changes —
/// entity [`BATCH_ENTITY`], the periods they touch as its id, `after` the count and
/// [`batch_digest`] of the changes — chained and signed as every entry is, and each change as a
/// row of `audit_values` under that entry. The chain thus commits to every change, as one entry
/// per value would, at a fraction of the writing (`docs/performance.md`); the audit viewer,
/// [`changes_since`] and [`verify`] read the changes one by one (the view `audit_changes`).
pub async fn append_values(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    reason: &str,
    changes: &[ValueChange],
) -> Result<()> {
    let postgres = tx.backend_name() == "PostgreSQL";
    let sql = if postgres {
        "INSERT INTO audit_values (seq, idx, entity_id, before, after) SELECT $1, (i - 1)::int, r->>0, r->>1, r->>2 FROM json_array_elements($2::text::json) WITH ORDINALITY AS t(r, i)"
    } else {
        "INSERT INTO audit_values (seq, idx, entity_id, before, after) SELECT $1, key, value->>0, value->>1, value->>2 FROM json_each($2)"
    };
    for chunk in changes.chunks(BATCH) {
        let periods: std::collections::BTreeSet<&str> = chunk
            .iter()
            .filter_map(|c| c.key.rsplit_once('/').map(|(_, p)| p))
            .collect();
        let periods = periods.into_iter().collect::<Vec<_>>().join(",");
        let seal = BatchSeal {
            values: chunk.len(),
            digest: batch_digest(
                chunk
                    .iter()
                    .map(|c| (c.key.as_str(), c.before.as_deref(), c.after.as_deref())),
            ),
        };
        let seq = append(
            tx,
            actor,
            Change {
                action,
                entity: BATCH_ENTITY,
                entity_id: &periods,
                before: None,
                after: Some(crate::json_text("audit_log", &seal)?),
                reason,
            },
        )
        .await?;
        let rows = crate::json_text(
            "audit_values",
            &chunk
                .iter()
                .map(|c| (&c.key, &c.before, &c.after))
                .collect::<Vec<_>>(),
        )?;
        sqlx::query(sql)
            .bind(seq)
            .bind(&rows)
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
        mac: get_opt(row, "mac")?,
        part: None,
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
    // The log's entries and the batches' changes (what the view `audit_changes` joins), read
    // as two ordered streams merged — so a page of the newest is read from the two indexes
    // rather than sorting a million changes — with only the filters given as conditions, so
    // each can use its index (a value's history through `audit_values_entity`).
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let (mut log, mut batched) = (Vec::new(), Vec::new());
    let mut joined = false;
    for (column, v) in [("actor", &f.actor), ("action", &f.action)] {
        if !v.is_empty() {
            let b = bind(v.clone());
            log.push(format!("{column} = {b}"));
            batched.push(format!("l.{column} = {b}"));
            joined = true;
        }
    }
    if !f.entity.is_empty() {
        let b = bind(f.entity.clone());
        log.push(format!("entity = {b}"));
        batched.push(format!("'value' = {b}"));
    }
    if !f.entity_id.is_empty() {
        let b = bind(f.entity_id.clone());
        log.push(format!("entity_id = {b}"));
        batched.push(format!("v.entity_id = {b}"));
    }
    if !f.contains.is_empty() {
        let b = bind(format!("%{}%", f.contains));
        log.push(format!("LOWER(entity_id) LIKE LOWER({b})"));
        batched.push(format!("LOWER(v.entity_id) LIKE LOWER({b})"));
    }
    let filter = |c: &[String]| {
        if c.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", c.join(" AND "))
        }
    };
    let (log, batched) = (filter(&log), filter(&batched));
    let join = if joined {
        " JOIN audit_log l ON l.seq = v.seq"
    } else {
        ""
    };
    let count = format!(
        "SELECT (SELECT COUNT(*) FROM audit_log{log}) + (SELECT COUNT(*) FROM audit_values v{join}{batched}) AS n"
    );
    // Safe: the text is built from fixed column names; every value is bound.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(count));
    for b in &binds {
        q = q.bind(b);
    }
    let total = q.fetch_one(&store.pool).await?;
    let select = format!(
        "SELECT seq, -1 AS part, at, actor, source, request_id, action, entity, entity_id, before, after, reason, prev_hash, hash, mac FROM audit_log{log} \
         UNION ALL SELECT v.seq, v.idx, l.at, l.actor, l.source, l.request_id, l.action, 'value', v.entity_id, v.before, v.after, l.reason, l.prev_hash, l.hash, l.mac FROM audit_values v JOIN audit_log l ON l.seq = v.seq{batched} \
         ORDER BY seq DESC, part DESC LIMIT ${} OFFSET ${}",
        binds.len() + 1,
        binds.len() + 2
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(select));
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&store.pool)
        .await?;
    Ok((
        get_i64(&total, "n")?,
        rows.iter().map(change).collect::<Result<_>>()?,
    ))
}

/// A row of the view `audit_changes`: an entry of the log, or one value's change in a batch.
fn change(row: &sqlx::any::AnyRow) -> Result<Entry> {
    let part = get_i64(row, "part")?;
    Ok(Entry {
        part: (part >= 0).then_some(part),
        ..entry(row)?
    })
}

/// A column of the log whose values a filter offers to choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Actor,
    Action,
    Entity,
}

/// Every value `column` holds in the log, in order (for the viewer's filters).
pub async fn distinct(store: &Store, column: Column) -> Result<Vec<String>> {
    let sql = match column {
        Column::Actor => "SELECT DISTINCT actor AS v FROM audit_log ORDER BY v",
        Column::Action => "SELECT DISTINCT action AS v FROM audit_log ORDER BY v",
        Column::Entity => "SELECT DISTINCT entity AS v FROM audit_log ORDER BY v",
    };
    let rows = sqlx::query(sql).fetch_all(&store.pool).await?;
    rows.iter().map(|r| get_str(r, "v")).collect()
}

/// A value change kept under a batch entry: (seq, key, before, after).
type Kept = (i64, String, Option<String>, Option<String>);

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
    /// The first entry signed with the seal's key; `None` when the log is not sealed (no seal
    /// file configured).
    pub sealed_from: Option<i64>,
    /// The newest entry the seal file has recorded as seen and checked.
    pub seal_head: Option<i64>,
    /// The newest entry and its hash: the anchor to print or publish. Checking later that the
    /// log still holds this entry with this hash shows nothing before it was changed.
    pub head_seq: i64,
    pub head_hash: String,
}

/// HMAC-SHA-256 with the seal's key.
type Hmac = hmac::Hmac<sha2::Sha256>;

/// The audit seal: a key kept outside the database that signs every entry's hash, and the
/// newest entry seen and checked, kept in one small file (`0600`). Whoever can write to the
/// database but not read this file can neither add nor recompute entries that verify, nor cut
/// entries the seal has seen without it being reported.
///
/// The file is made when a database is first opened by the server, for the entries written
/// from then on (an older log's entries stay chained, unsigned; `sealed_from` says where
/// signing began). Losing the file loses the ability to check and to write: the server refuses
/// to start on a sealed log without it, so keep a copy where the database's backups are not
/// (`jixiao backup` writes one beside the backup file).
#[derive(Debug)]
pub struct Seal {
    path: PathBuf,
    key: [u8; 32],
    from: i64,
    head: std::sync::Mutex<(i64, String)>,
}

#[derive(Serialize, Deserialize)]
struct SealFile {
    about: String,
    version: u32,
    key: String,
    sealed_from: i64,
    head_seq: i64,
    head_hash: String,
}

fn seal_error(path: &Path, what: impl std::fmt::Display) -> StoreError {
    StoreError::Seal(format!("{}: {what}", path.display()))
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Seal {
    /// The seal at `path`, or `None` when there is no file there.
    pub fn load(path: &Path) -> Result<Option<Seal>> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(seal_error(path, e)),
        };
        let f: SealFile = serde_json::from_str(&text).map_err(|e| seal_error(path, e))?;
        let key = unhex(&f.key).ok_or_else(|| seal_error(path, "the key is not 64 hex digits"))?;
        Ok(Some(Seal {
            path: path.to_owned(),
            key,
            from: f.sealed_from,
            head: std::sync::Mutex::new((f.head_seq, f.head_hash)),
        }))
    }

    /// The seal at `path`; made (with a new random key) when there is none and the log has no
    /// signed entries. A signed log without its seal file is an error: nothing could be
    /// checked, and entries signed with a new key would not follow the old ones.
    pub async fn open(store: &Store, path: &Path) -> Result<Seal> {
        if let Some(seal) = Seal::load(path)? {
            // The newest signed entry must be signed with this key: a seal file of another
            // database, or a node given its own key instead of the shared one, is refused
            // before it signs anything.
            let newest = sqlx::query(
                "SELECT hash, mac FROM audit_log WHERE mac IS NOT NULL ORDER BY seq DESC LIMIT 1",
            )
            .fetch_optional(&store.pool)
            .await?;
            if let Some(r) = newest
                && get_opt(&r, "mac")? != Some(seal.sign(&get_str(&r, "hash")?))
            {
                return Err(seal_error(
                    path,
                    "this seal file's key did not sign this database's audit log: it belongs to another database, or this node was given a key of its own (every node of one database shares one seal file)",
                ));
            }
            return Ok(seal);
        }
        let signed = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE mac IS NOT NULL")
            .fetch_one(&store.pool)
            .await?;
        if get_i64(&signed, "n")? > 0 {
            return Err(seal_error(
                path,
                "the audit log is sealed but its seal file is missing; put the file back (a copy is kept beside each backup) — without it no entry can be checked or added",
            ));
        }
        let (seq, hash) = head(store).await?;
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
        let seal = Seal {
            path: path.to_owned(),
            key,
            from: seq + 1,
            head: std::sync::Mutex::new((seq, hash)),
        };
        match seal.write(true) {
            // Another process made it at the same moment: use that one.
            Err(_) if path.exists() => {
                Seal::load(path)?.ok_or_else(|| seal_error(path, "vanished"))
            }
            Err(e) => Err(e),
            Ok(()) => Ok(seal),
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first entry signed.
    pub fn sealed_from(&self) -> i64 {
        self.from
    }

    /// The newest entry seen and checked: (seq, hash).
    pub fn head(&self) -> (i64, String) {
        self.head.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// An entry's hash signed with the key (hex).
    pub fn sign(&self, hash: &str) -> String {
        use hmac::{KeyInit, Mac};
        let mut mac = <Hmac as KeyInit>::new_from_slice(&self.key).expect("any key length");
        mac.update(hash.as_bytes());
        crate::hex(&mac.finalize().into_bytes())
    }

    /// A copy of this seal at `path` whose head is `head` (for a backup, or after a restore).
    pub fn copy_to(&self, path: &Path, head: (i64, String)) -> Result<()> {
        Seal {
            path: path.to_owned(),
            key: self.key,
            from: self.from,
            head: std::sync::Mutex::new(head),
        }
        .write(false)
    }

    /// Writes the file: whole, through a temporary file renamed into place, readable by its
    /// owner only. `new`: fail if it exists.
    fn write(&self, new: bool) -> Result<()> {
        let (head_seq, head_hash) = self.head();
        let f = SealFile {
            about: "jixiao audit seal: the key that signs the audit log and the newest entry checked. Keep it secret and keep a copy away from the database; see `jixiao audit verify`.".into(),
            version: 1,
            key: crate::hex(&self.key),
            sealed_from: self.from,
            head_seq,
            head_hash,
        };
        let text = serde_json::to_string_pretty(&f).map_err(|e| seal_error(&self.path, e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| seal_error(&self.path, e))?;
        }
        let tmp = self
            .path
            .with_extension(format!("tmp-{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(|e| seal_error(&tmp, e))?;
        std::io::Write::write_all(&mut file, text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| seal_error(&tmp, e))?;
        let done = if new {
            std::fs::hard_link(&tmp, &self.path).and_then(|()| std::fs::remove_file(&tmp))
        } else {
            std::fs::rename(&tmp, &self.path)
        };
        if done.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        done.map_err(|e| seal_error(&self.path, e))
    }
}

/// The head record: (seq, hash) of the newest entry written.
async fn head(store: &Store) -> Result<(i64, String)> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&store.pool)
        .await?;
    Ok((get_i64(&head, "seq")?, get_str(&head, "hash")?))
}

/// What is wrong with entry `e` following (seq, hash) `prev`, if anything.
fn check_entry(
    e: &Entry,
    prev: &(i64, String),
    seal: Option<&Seal>,
    sealed: bool,
) -> Option<String> {
    let expected = prev.0 + 1;
    if e.seq != expected {
        return Some(format!(
            "entry {expected} is missing (found {} next): removed or reordered",
            e.seq
        ));
    }
    if e.prev_hash != prev.1 {
        return Some(format!(
            "entry {} does not follow entry {}: its previous hash differs (reordered or the one before was altered)",
            e.seq,
            e.seq - 1
        ));
    }
    if entry_hash(e) != e.hash {
        return Some(format!(
            "entry {} was altered: its content no longer matches its hash",
            e.seq
        ));
    }
    match seal {
        Some(s) if e.seq >= s.from && e.mac.as_deref() != Some(s.sign(&e.hash).as_str()) => {
            Some(format!(
                "entry {} is not signed with the seal's key: added or recomputed by someone without the key (forged)",
                e.seq
            ))
        }
        None if sealed || e.mac.is_some() => Some(format!(
            "entry {} is sealed but the seal file is not available here, so it cannot be checked",
            e.seq
        )),
        _ => None,
    }
}

/// Entries read at a time while checking.
const CHECK_BATCH: i64 = 20_000;

/// Moves the seal's head forward over the entries written since, checking each (chain, hash
/// and signature) — so the seal only ever records entries that were sound when it saw them.
/// Returns the problem that stopped it, if any (the head stays before it). Without a seal,
/// does nothing. Cheap when nothing was written: one query.
pub async fn advance_seal(store: &Store) -> Result<Option<String>> {
    let Some(seal) = store.seal() else {
        return Ok(None);
    };
    let start = seal.head();
    let mut prev = start.clone();
    let mut problem = None;
    'read: loop {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(prev.0)
            .bind(CHECK_BATCH)
            .fetch_all(&store.pool)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let e = entry(row)?;
            if let Some(p) = check_entry(&e, &prev, Some(seal), true) {
                problem = Some(p);
                break 'read;
            }
            prev = (e.seq, e.hash);
        }
    }
    if prev.0 > start.0 {
        if let Ok(mut h) = seal.head.lock()
            && h.0 < prev.0
        {
            *h = prev;
        }
        seal.write(false)?;
    }
    Ok(problem)
}

/// Checks an anchor printed earlier (`seq:hash`): the log must still hold that entry with that
/// hash. Returns the problem, if any.
pub async fn verify_anchor(store: &Store, seq: i64, hash: &str) -> Result<Option<String>> {
    let mut conn = store.pool.acquire().await?;
    anchor_in(&mut conn, seq, hash).await
}

async fn anchor_in(conn: &mut sqlx::AnyConnection, seq: i64, hash: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(seq)
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        None => Some(format!(
            "the anchor names entry {seq}, which the log no longer holds: entries were removed"
        )),
        Some(r) if get_str(&r, "hash")? != hash => Some(format!(
            "entry {seq} is not the one anchored (its hash differs): the log up to it was rewritten"
        )),
        Some(_) => None,
    })
}

/// Walks the log in sequence order, recomputing every hash and checking every signature, then
/// checks the head record and the seal's head, then every value row against its last entry.
///
/// Everything is read in one snapshot (a read-only repeatable-read transaction on PostgreSQL,
/// one read transaction on SQLite), so writes committing meanwhile are either wholly in it or
/// wholly out — never entries without the head that follows them. The seal's head is taken
/// before the snapshot: it names only entries committed by then, which the snapshot holds.
pub async fn verify(store: &Store) -> Result<Verification> {
    let seal = store.seal();
    let seal_head = seal.map(Seal::head);
    let begin = match store.backend {
        crate::Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        crate::Backend::Sqlite => "BEGIN",
    };
    let mut snap = store.pool.begin_with(begin).await?;
    let rows = sqlx::query("SELECT * FROM audit_log ORDER BY seq")
        .fetch_all(&mut *snap)
        .await?;
    let head_row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *snap)
        .await?;
    let (head_seq, head_hash) = (get_i64(&head_row, "seq")?, get_str(&head_row, "hash")?);
    let signed = rows
        .iter()
        .any(|r| get_opt(r, "mac").ok().flatten().is_some());
    let mut result = Verification {
        entries: rows.len() as i64,
        broken_at: None,
        problem: None,
        values_checked: 0,
        value_problem: None,
        sealed_from: seal.map(Seal::sealed_from),
        seal_head: seal_head.as_ref().map(|h| h.0),
        head_seq,
        head_hash: head_hash.clone(),
    };
    let mut prev = (0, "0".repeat(64));
    for row in &rows {
        let e = entry(row)?;
        if let Some(p) = check_entry(&e, &prev, seal, signed) {
            result.broken_at = Some(e.seq.min(prev.0 + 1));
            result.problem = Some(p);
            return Ok(result);
        }
        prev = (e.seq, e.hash);
    }
    let last = prev.0;
    if head_seq != last || head_hash != prev.1 {
        result.broken_at = Some(last + 1);
        result.problem = Some(format!(
            "the log ends at entry {last} but {head_seq} were written: entries at the end were removed"
        ));
        return Ok(result);
    }
    if let Some((seen, seen_hash)) = seal_head {
        if seen > last {
            result.broken_at = Some(last + 1);
            result.problem = Some(format!(
                "the log ends at entry {last} but the seal saw and checked entry {seen}: entries at the end were removed and the head record rewritten"
            ));
            return Ok(result);
        }
        if seen > 0
            && let Some(p) = anchor_in(&mut snap, seen, &seen_hash).await?
        {
            result.broken_at = Some(seen);
            result.problem = Some(format!("the seal's head: {p}"));
            return Ok(result);
        }
    }
    // Every value row as its last audit entry left it: entries for one value, and the changes
    // of batch entries — each batch's changes first checked against the digest its entry
    // committed to.
    let mut last: std::collections::HashMap<String, (i64, String)> =
        std::collections::HashMap::new();
    let mut batches = std::collections::BTreeMap::new();
    for row in &rows {
        let entity = get_str(row, "entity")?;
        if entity == "value"
            && let Some(after) = get_opt(row, "after")?
        {
            last.insert(get_str(row, "entity_id")?, (get_i64(row, "seq")?, after));
        } else if entity == BATCH_ENTITY {
            let seq = get_i64(row, "seq")?;
            let seal: Option<BatchSeal> =
                get_opt(row, "after")?.and_then(|a| serde_json::from_str(&a).ok());
            batches.insert(seq, seal);
        }
    }
    let items = sqlx::query(
        "SELECT seq, idx, entity_id, before, after FROM audit_values ORDER BY seq, idx",
    )
    .fetch_all(&mut *snap)
    .await?;
    let mut changes: Vec<Kept> = Vec::new();
    for r in &items {
        changes.push((
            get_i64(r, "seq")?,
            get_str(r, "entity_id")?,
            get_opt(r, "before")?,
            get_opt(r, "after")?,
        ));
    }
    let mut found: std::collections::BTreeMap<i64, &[Kept]> = std::collections::BTreeMap::new();
    for group in changes.chunk_by(|a, b| a.0 == b.0) {
        found.insert(group[0].0, group);
    }
    for (&seq, seal) in &batches {
        let group = found.remove(&seq).unwrap_or(&[]);
        let digest = batch_digest(
            group
                .iter()
                .map(|(_, k, b, a)| (k.as_str(), b.as_deref(), a.as_deref())),
        );
        let sound = seal
            .as_ref()
            .is_some_and(|s| s.values == group.len() && s.digest == digest);
        if !sound {
            result.broken_at = Some(seq);
            result.problem = Some(format!(
                "the value changes of batch entry {seq} ({} kept) are not the ones it committed to: changed, added or removed outside jixiao",
                group.len()
            ));
            return Ok(result);
        }
        for (_, key, _, after) in group {
            // Later in the log wins; within one batch, later in it.
            if let Some(after) = after
                && last.get(key).is_none_or(|(s, _)| *s <= seq)
            {
                last.insert(key.clone(), (seq, after.clone()));
            }
        }
    }
    if let Some((&seq, _)) = found.iter().next() {
        result.broken_at = Some(seq);
        result.problem = Some(format!(
            "value changes are kept under entry {seq}, which is not a batch entry: added outside jixiao"
        ));
        return Ok(result);
    }
    let values = sqlx::query(
        "SELECT unit_code, element, period, value, note, state, return_reason, version FROM data_values ORDER BY id",
    )
    .fetch_all(&mut *snap)
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
    result.values_checked = values.len() as i64;
    result.value_problem = value_problem;
    Ok(result)
}

/// The last entry written (0 before any): every write appends at least one entry, so this
/// moves whenever the data move, whoever wrote them.
pub async fn last_seq(store: &Store) -> Result<i64> {
    let r = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log")
        .fetch_one(&store.pool)
        .await?;
    get_i64(&r, "n")
}

/// [`last_seq`] as the transaction sees it.
pub async fn last_seq_in(tx: &mut Tx) -> Result<i64> {
    let r = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log")
        .fetch_one(&mut **tx)
        .await?;
    get_i64(&r, "n")
}

/// What changed after entry `after`, in order, at most `limit` changes: (seq, entity, entity id) —
/// a batch entry, then each value it changed (entity `value`, sharing its `seq`). When `limit`
/// changes come back, a batch may be cut short: the caller must not take the last `seq` as read
/// through (the server rebuilds its results then, reading everything).
pub async fn changes_since(
    store: &Store,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT seq, entity, entity_id FROM audit_changes WHERE seq > $1 ORDER BY seq, part LIMIT $2",
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
