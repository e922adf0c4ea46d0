//! jixiao's storage. Every SQL statement lives in this crate; one portable dialect (`$n`
//! placeholders) runs on SQLite (the embedded default) and PostgreSQL through sqlx's `Any`
//! driver. Where the two must differ, the function says so with a `match` on [`Backend`].
//!
//! Rules every write follows: one transaction per request ([`Store::write`]); the first
//! statement writes (so SQLite serialises writers and PostgreSQL takes its row locks before
//! reading); the audit entry is appended in the same transaction ([`audit::append`]).

pub mod appeals;
pub mod audit;
pub mod dhis2;
pub mod earlier;
pub mod enforcement;
pub mod evidence;
pub mod feeds;
pub mod inspections;
pub mod keys;
pub mod notices;
pub mod org;
pub mod periods;
pub mod projects;
pub mod publications;
pub mod rectifications;
pub mod schemes;
pub mod sessions;
pub mod surveys;
pub mod users;
pub mod values;
pub mod warnings;

use sqlx::AnyConnection;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row};
use std::sync::Arc;

/// A write transaction (see [`Store::write`]). It derefs to the connection, so statements run
/// on `&mut **tx`; dropping it without [`Tx::commit`] rolls back.
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    /// On SQLite, this writer's turn: held until commit or rollback.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// The key this transaction's audit entries are signed with.
    seal: Option<Arc<audit::Seal>>,
    /// On SQLite, the pool a deferred checkpoint runs on (see [`Tx::commit_large`]).
    pool: Option<AnyPool>,
}

/// How a write begins on SQLite: the automatic checkpoint set to SQLite's default (a committing
/// writer copies the write-ahead log into the database file itself once the log has 1,000
/// pages) — set again by every write, because [`Tx::commit_large`] turns it off for its own
/// commit — then the write lock taken at once.
const SQLITE_BEGIN: &str = "PRAGMA wal_autocheckpoint = 1000; BEGIN IMMEDIATE";

impl Tx {
    pub async fn commit(self) -> std::result::Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    /// Commits a large write (an import of many values). On SQLite the commit returns once the
    /// changes are durable in the write-ahead log: copying the log into the database file — a
    /// checkpoint, which the committing writer otherwise does itself before answering (0.7–3.6
    /// s after a million values) — runs afterwards on another connection, passively, so it
    /// holds up neither readers nor later writers. Should it not finish (a reader still on an
    /// old snapshot), the next writer's own automatic checkpoint takes the log over; nothing
    /// is lost either way, the log being the database's until it is copied.
    pub async fn commit_large(mut self) -> std::result::Result<(), sqlx::Error> {
        let Some(pool) = self.pool.take() else {
            return self.commit().await;
        };
        sqlx::raw_sql("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut *self.inner)
            .await?;
        self.inner.commit().await?;
        tokio::spawn(async move {
            // An error here (the pool closing) leaves the log to the next writer's checkpoint.
            let _ = sqlx::raw_sql("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await;
        });
        Ok(())
    }

    pub async fn rollback(self) -> std::result::Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// A pooled connection (see [`Store::read`]).
pub type Conn = sqlx::pool::PoolConnection<Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL `{0}`: use sqlite://FILE or postgres://…")]
    Url(String),
    #[error("corrupt row in {table}: {what}")]
    Corrupt { table: &'static str, what: String },
    /// The audit seal file is missing where it must exist, unreadable or malformed.
    #[error("audit seal: {0}")]
    Seal(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// The database was too busy to answer in time: another process held SQLite's write lock
    /// past the wait, or no pooled connection came free. Trying again later can succeed.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::PoolTimedOut) => true,
            StoreError::Db(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("5" | "6" | "517"))
                    || db.message().contains("database is locked")
            }
            _ => false,
        }
    }

    /// A unique constraint refused the write (the record exists).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(db)) if db.is_unique_violation())
    }
}

/// A connection pool and the backend behind it.
#[derive(Debug, Clone)]
pub struct Store {
    pub pool: AnyPool,
    pub backend: Backend,
    /// SQLite has one writer at a time. Writers queue here, in order, *before* taking a pooled
    /// connection, so a burst of writes cannot occupy every connection while waiting for the
    /// write lock and starve readers (or the writer that holds the lock) of connections.
    writers: Arc<tokio::sync::Mutex<()>>,
    /// The key that signs audit entries, kept outside the database ([`audit::Seal`]); `None`:
    /// entries are chained but not signed.
    seal: Option<Arc<audit::Seal>>,
}

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// How many connections a store keeps and how long a request waits for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Connections in the pool; `None`: 8 on SQLite, 16 on PostgreSQL.
    pub size: Option<u32>,
    /// How long to wait for a free connection before failing.
    pub acquire_timeout: std::time::Duration,
}

impl Default for PoolOptions {
    fn default() -> PoolOptions {
        PoolOptions {
            size: None,
            acquire_timeout: std::time::Duration::from_secs(30),
        }
    }
}

/// SQLite's page cache per connection, in KiB (its default is 2 MiB). A bulk import writes
/// index pages all over a large table; with the default cache they are spilled to the log and
/// read back again and again within the one transaction (measured: a million values' rows 1.3×
/// slower). The cache fills only as pages are used.
const CACHE_KIB: u32 = 64 * 1024;

impl Store {
    /// Connects (creating a SQLite file if needed) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, PoolOptions::default()).await
    }

    /// [`Store::connect`] with a pool of the given size and wait.
    pub async fn connect_with(url: &str, pool: PoolOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let (url, max) = match backend {
            Backend::Sqlite if !url.contains("mode=") => (
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' }),
                8,
            ),
            Backend::Sqlite => (url.to_owned(), 8),
            Backend::Postgres => (url.to_owned(), 16),
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(pool.size.unwrap_or(max).max(2))
            .acquire_timeout(pool.acquire_timeout);
        if backend == Backend::Sqlite {
            // WAL lets readers work while one writer writes; writers wait for each other rather
            // than fail — another process's writer (a long import from the command line) as
            // long as a request waits for a connection.
            let pragmas = format!(
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{CACHE_KIB};",
                pool.acquire_timeout.as_millis().clamp(1_000, 600_000)
            );
            options = options.after_connect(move |conn, _| {
                let pragmas = pragmas.clone();
                Box::pin(async move {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas))
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        let store = Store {
            pool,
            backend,
            writers: Arc::default(),
            seal: None,
        };
        match backend {
            Backend::Sqlite => SQLITE.run(&store.pool).await?,
            Backend::Postgres => POSTGRES.run(&store.pool).await?,
        }
        Ok(store)
    }

    /// Opens a SQLite file read-only, as it is: no migrations, no change of journal mode (for
    /// checking a backup before restoring it).
    pub async fn open_sqlite_read_only(path: &std::path::Path) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=ro", path.display());
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await?;
        Ok(Store {
            pool,
            backend: Backend::Sqlite,
            writers: Arc::default(),
            seal: None,
        })
    }

    /// This store, signing its audit entries with `seal` from now on.
    pub fn with_seal(mut self, seal: audit::Seal) -> Store {
        self.seal = Some(Arc::new(seal));
        self
    }

    /// The audit seal in use, if any.
    pub fn seal(&self) -> Option<&audit::Seal> {
        self.seal.as_deref()
    }

    /// A write transaction. On SQLite, writers first queue for their turn (without holding a
    /// connection), then take the write lock at once (`BEGIN IMMEDIATE`), so two writers never
    /// fail by trying to upgrade a read; each write sets the automatic checkpoint again (see
    /// [`Tx::commit_large`]). On PostgreSQL, row locks order the writers.
    pub async fn write(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let turn = self.writers.clone().lock_owned().await;
                Tx {
                    inner: self.pool.begin_with(SQLITE_BEGIN).await?,
                    _turn: Some(turn),
                    seal: self.seal.clone(),
                    pool: Some(self.pool.clone()),
                }
            }
            Backend::Postgres => Tx {
                inner: self.pool.begin().await?,
                _turn: None,
                seal: self.seal.clone(),
                pool: None,
            },
        })
    }

    /// A pooled connection for reads (functions that take `&mut AnyConnection`). Returned to
    /// the pool when dropped.
    pub async fn read(&self) -> Result<Conn> {
        Ok(self.pool.acquire().await?)
    }

    /// On PostgreSQL, takes the session advisory lock `key` if no other session holds it
    /// (`pg_try_advisory_lock`): `None` when another holds it. The lock is held by the
    /// connection returned and let go by [`Lock::release`] (or when the connection ends). On
    /// SQLite (one node) there is nothing to take: always a lock with no connection.
    pub async fn try_lock(&self, key: i64) -> Result<Option<Lock>> {
        if self.backend != Backend::Postgres {
            return Ok(Some(Lock { conn: None, key }));
        }
        let mut c = self.pool.acquire().await?;
        let got: i32 = sqlx::query("SELECT CAST(pg_try_advisory_lock($1) AS INTEGER) AS got")
            .bind(key)
            .fetch_one(&mut *c)
            .await?
            .try_get("got")?;
        Ok((got == 1).then_some(Lock { conn: Some(c), key }))
    }

    /// Whether the database answers (for the readiness endpoint).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await.is_ok()
    }
}

/// An advisory lock held (see [`Store::try_lock`]).
pub struct Lock {
    conn: Option<Conn>,
    key: i64,
}

impl Lock {
    pub async fn release(self) {
        if let Some(mut c) = self.conn {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(self.key)
                .execute(&mut *c)
                .await;
        }
    }
}

/// An online backup of a SQLite database into a new file (`VACUUM INTO`), consistent while the
/// server keeps running.
pub async fn backup_sqlite(store: &Store, path: &str) -> Result<()> {
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub fn backend_of(url: &str) -> Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::Url(url.to_owned()))
    }
}

/// The current time as stored: RFC 3339, UTC, milliseconds (sorts as time).
pub fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    let t = t
        .replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Today in the district (China Standard Time, UTC+8, which has no daylight saving),
/// `YYYY-MM-DD`: the day an undated organisation change takes effect.
pub fn today() -> String {
    let t = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// A time `secs` seconds from now, as stored.
pub fn in_seconds(secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(secs);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Hex SHA-256.
/// `v` as JSON text for a statement to unpack (bulk writes send their rows as one JSON array);
/// `table` names where the text was going, should serializing fail.
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(
    table: &'static str,
    v: &T,
) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt {
        table,
        what: e.to_string(),
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// Lower-case hex of some bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

pub(crate) fn get_str(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

pub(crate) fn get_opt(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

pub(crate) fn get_i64(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

/// A page of a list: how many rows in all and which slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Default for Page {
    fn default() -> Page {
        Page {
            limit: 100,
            offset: 0,
        }
    }
}

/// Word from the database that something was written, through any node or the command line
/// (PostgreSQL's LISTEN/NOTIFY on `jixiao_changes`, sent at commit by a trigger on the audit
/// log). It only says "look": what changed is read from the audit log by sequence number.
pub struct Changes {
    listener: sqlx::postgres::PgListener,
}

impl Store {
    /// Listens for changes on PostgreSQL; `None` on SQLite (one node, nothing to hear).
    pub async fn changes(&self, url: &str) -> Result<Option<Changes>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen("jixiao_changes").await?;
        Ok(Some(Changes { listener }))
    }
}

impl Changes {
    /// Waits for the next notification, or for the connection to be made again after it was
    /// lost (notifications in between may be lost): either way, read everything new.
    pub async fn next(&mut self) -> Result<()> {
        self.listener.try_recv().await?;
        Ok(())
    }
}
