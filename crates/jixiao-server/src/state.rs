//! What every request can reach: the store, the live results, the configuration; and how the
//! live results follow changes written by someone else (the command line, another server on the
//! same database): every write appends to the audit log, so the log is the change feed.

use crate::config::Config;
use crate::live::Live;
use jixiao_store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use tokio::sync::RwLock;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub live: Arc<RwLock<Live>>,
    pub config: Arc<Config>,
    /// Rankings as sent, by (scheme, period, kind, class), with the live generation they were
    /// made at; a ranking is rebuilt on the first read after any change.
    pub rankings: Arc<std::sync::Mutex<RankingCache>>,
    /// The last audit entry the live results are known to include.
    synced: Arc<AtomicI64>,
    /// A rebuild after a commit failed: the next [`AppState::sync`] rebuilds.
    stale: Arc<AtomicBool>,
    /// One sync at a time.
    syncing: Arc<tokio::sync::Mutex<()>>,
    /// Imports running now (at most `max_concurrent_imports`).
    pub imports: Arc<tokio::sync::Semaphore>,
    /// Work done after a response (the warnings of counted values), in order.
    pub after: Arc<After>,
    /// Surveys whose answers are waiting to be aggregated into their elements (a short delay
    /// gathers many answers into one write: [`crate::ops::surveys`]).
    pub surveys_pending: Arc<std::sync::Mutex<std::collections::HashSet<i64>>>,
    /// Sessions and users held in memory (the database is the record).
    pub sessions: Arc<crate::auth::SessionCache>,
}

/// Work a request leaves to be done after its response (today: bringing the warnings up to
/// date with the values it changed), run one piece at a time in the order it was left, so two
/// pieces never raise the same warning twice. Whoever reads what that work writes (the
/// warnings, the inbox) first waits for the pieces left before its read ([`After::settled`]),
/// so a user who submits a value and opens the warnings sees the warning it raised.
///
/// Decision: a ticket per piece rather than a worker task with a queue; a worker would hold the
/// state (and so itself) alive forever, and the tickets make "everything left before now is
/// done" exact.
#[derive(Default)]
pub struct After {
    /// Tickets handed out.
    issued: AtomicU64,
    /// The ticket whose turn it is (every ticket below it is done).
    turn: AtomicU64,
    moved: tokio::sync::Notify,
}

/// A ticket's turn; ended (the next ticket's turn) when dropped, also when its work panicked
/// or the runtime stopped it.
pub struct Turn<'a>(&'a After);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.turn.fetch_add(1, Ordering::SeqCst);
        self.0.moved.notify_waiters();
    }
}

impl After {
    /// A ticket: taken when the work is left, before the response.
    pub fn ticket(&self) -> u64 {
        self.issued.fetch_add(1, Ordering::SeqCst)
    }

    /// Waits until `until` holds of the turn.
    async fn wait(&self, until: impl Fn(u64) -> bool) {
        loop {
            let moved = self.moved.notified();
            tokio::pin!(moved);
            moved.as_mut().enable();
            if until(self.turn.load(Ordering::SeqCst)) {
                return;
            }
            moved.await;
        }
    }

    /// Waits for `ticket`'s turn.
    pub async fn turn(&self, ticket: u64) -> Turn<'_> {
        self.wait(|t| t >= ticket).await;
        Turn(self)
    }

    /// Waits (at most `within`) until every piece left before now is done.
    pub async fn settled(&self, within: std::time::Duration) {
        let issued = self.issued.load(Ordering::SeqCst);
        if tokio::time::timeout(within, self.wait(|t| t >= issued))
            .await
            .is_err()
        {
            tracing::warn!("work left after a response is still running; reading without it");
        }
    }
}

pub type RankingCache = std::collections::HashMap<String, (u64, bytes::Bytes)>;

/// Entries read per round of [`AppState::sync`]; more than this rebuilds everything.
const SYNC_BATCH: i64 = 5_000;

impl AppState {
    /// Loads the live results from the store.
    pub async fn new(store: Store, config: Config) -> Result<AppState, jixiao_store::StoreError> {
        let seq = jixiao_store::audit::last_seq(&store).await?;
        let live = load_live(&store).await?;
        Ok(AppState {
            surveys_pending: Arc::default(),
            sessions: Arc::default(),
            store,
            live: Arc::new(RwLock::new(live)),
            imports: Arc::new(tokio::sync::Semaphore::new(
                config.max_concurrent_imports.max(1),
            )),
            config: Arc::new(config),
            rankings: Arc::default(),
            synced: Arc::new(AtomicI64::new(seq)),
            stale: Arc::default(),
            syncing: Arc::default(),
            after: Arc::default(),
        })
    }

    /// Rebuilds the live results from the store (after the organisation, a scheme or a period
    /// changed).
    pub async fn reload(&self) -> Result<(), jixiao_store::StoreError> {
        let seq = jixiao_store::audit::last_seq(&self.store).await?;
        let live = load_live(&self.store).await?;
        *self.live.write().await = live;
        self.synced.fetch_max(seq, Ordering::SeqCst);
        self.stale.store(false, Ordering::SeqCst);
        Ok(())
    }

    /// [`AppState::reload`] after a change has committed, then the changes committed while it
    /// loaded (a value counted between the reading and the swap would otherwise be missing
    /// until the next rebuild). The change stands whatever happens here, so a failure is
    /// logged and the next sync rebuilds, instead of telling the caller their committed change
    /// failed.
    pub async fn reload_after_commit(&self) {
        self.stale.store(true, Ordering::SeqCst);
        if let Err(e) = self.sync().await {
            tracing::error!(error = %e, "rebuilding the live results after a commit failed; the next sync retries");
        }
    }

    /// Brings the live results up to date with every change in the audit log they do not
    /// include yet: changed values are applied one by one (a value already at that version is
    /// left alone, so this server's own writes cost nothing), and a change of the organisation,
    /// a scheme or a period rebuilds everything — after which the changes committed during the
    /// rebuild are read in turn, so none is lost. Returns how many entries were read.
    pub async fn sync(&self) -> Result<usize, jixiao_store::StoreError> {
        let _one = self.syncing.lock().await;
        // A new day: changes dated today now hold for what is assessed today.
        let new_day = self
            .live
            .read()
            .await
            .today
            .as_deref()
            .is_some_and(|d| d != jixiao_store::today());
        if self.stale.load(Ordering::SeqCst) || new_day {
            self.reload().await?;
        }
        let mut read = 0;
        loop {
            let from = self.synced.load(Ordering::SeqCst);
            let changes = jixiao_store::audit::changes_since(&self.store, from, SYNC_BATCH).await?;
            let Some((last, _, _)) = changes.last() else {
                return Ok(read);
            };
            read += changes.len();
            // A user changed (signed out, a new password, disabled) or an API key was revoked
            // through any node: the sessions, users and keys held in memory are read again.
            if changes
                .iter()
                .any(|(_, entity, _)| matches!(entity.as_str(), "user" | "apikey"))
            {
                self.sessions.forget_all();
            }
            let structural = changes.iter().any(|(_, entity, _)| {
                matches!(entity.as_str(), "unit" | "district" | "scheme" | "period")
            });
            if structural || changes.len() as i64 == SYNC_BATCH {
                // The rebuild reads everything up to a point at least this far; the loop then
                // reads what came after it.
                self.reload().await?;
                continue;
            }
            let keys: std::collections::BTreeSet<&str> = changes
                .iter()
                .filter(|(_, entity, _)| entity == "value")
                .map(|(_, _, id)| id.as_str())
                .collect();
            let mut rows = Vec::new();
            if !keys.is_empty() {
                let mut conn = self.store.read().await?;
                for key in keys {
                    let mut parts = key.splitn(3, '/');
                    if let (Some(u), Some(e), Some(p)) = (parts.next(), parts.next(), parts.next())
                        && let Some(row) = jixiao_store::values::get(&mut conn, u, e, p).await?
                    {
                        rows.push(row);
                    }
                }
            }
            if !rows.is_empty() {
                self.live.write().await.apply_many(&rows);
            }
            if changes.iter().any(|(_, entity, _)| entity == "earlier") {
                self.reload_earlier().await?;
            }
            self.synced.fetch_max(*last, Ordering::SeqCst);
        }
    }

    /// Reads the earlier results (往期结果) again: after a publication or the office's records
    /// changed them.
    pub async fn reload_earlier(&self) -> Result<(), jixiao_store::StoreError> {
        let earlier = jixiao_store::earlier::all(&self.store).await?;
        self.live
            .write()
            .await
            .set_earlier(crate::live::earlier_of(&earlier));
        Ok(())
    }

    /// The newest audit entry the live results include.
    pub fn synced(&self) -> i64 {
        self.synced.load(Ordering::SeqCst)
    }

    /// Moves the audit seal's head over the entries written since it last looked (checking
    /// them); a problem is logged loudly, since it means the log was tampered with.
    pub async fn advance_seal(&self) {
        match jixiao_store::audit::advance_seal(&self.store).await {
            Ok(None) => {}
            Ok(Some(problem)) => {
                tracing::error!(%problem, "the audit log fails its seal: run `jixiao audit verify`");
            }
            Err(e) => tracing::warn!(error = %e, "could not advance the audit seal; trying again"),
        }
    }

    /// On PostgreSQL, follows every change committed through any node (or the command line)
    /// as it is committed: a notification, then [`AppState::sync`] reads what is new from the
    /// audit log. A lost connection is made again, and everything new since is read, so a
    /// missed notification loses nothing. Nothing to do on SQLite (one node).
    pub fn listen_for_changes(&self) {
        if self.store.backend != jixiao_store::Backend::Postgres {
            return;
        }
        let state = self.clone();
        tokio::spawn(async move {
            loop {
                match state.store.changes(&state.config.database_url).await {
                    Ok(Some(mut changes)) => {
                        // Whatever was committed before the listener was in place.
                        state.catch_up().await;
                        loop {
                            match changes.next().await {
                                Ok(_) => state.catch_up().await,
                                Err(e) => {
                                    tracing::warn!(error = %e, "lost the change notifications; listening again");
                                    break;
                                }
                            }
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not listen for changes; trying again")
                    }
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
    }

    /// [`AppState::sync`], a failure logged (the next notification or round tries again).
    async fn catch_up(&self) {
        if let Err(e) = self.sync().await {
            tracing::warn!(error = %e, "could not read the changes written elsewhere; trying again");
        }
    }

    /// Follows changes written by someone else every `sync_seconds` (a background task; none
    /// when the setting is 0), and advances the audit seal as often.
    pub fn follow_changes(&self) {
        let every = self.config.sync_seconds;
        if every == 0 {
            return;
        }
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(every));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = state.sync().await {
                    tracing::warn!(error = %e, "could not read the changes written elsewhere; trying again");
                }
                state.advance_seal().await;
            }
        });
    }
}

pub async fn load_live(store: &Store) -> Result<Live, jixiao_store::StoreError> {
    let history = jixiao_store::org::history(store).await?;
    let schemes = jixiao_store::schemes::published(store).await?;
    let periods = jixiao_store::periods::list(store).await?;
    let mut values = crate::stored::StoredValues::new();
    jixiao_store::values::each(store, |r| values.insert(r)).await?;
    let earlier = jixiao_store::earlier::all(store).await?;
    let mut live = Live::build(history, schemes, periods, values);
    live.earlier = crate::live::earlier_of(&earlier);
    for p in &live.problems {
        tracing::error!(problem = %p, "a published scheme no longer compiles against the organisation");
    }
    Ok(live)
}
