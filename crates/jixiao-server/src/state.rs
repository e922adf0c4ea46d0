//! What every request can reach: the store, the live results, the configuration.

use crate::config::Config;
use crate::live::Live;
use jixiao_store::Store;
use std::sync::Arc;
use tokio::sync::RwLock;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub live: Arc<RwLock<Live>>,
    pub config: Arc<Config>,
    /// Rankings as sent, by (scheme, period, kind, class), with the live generation they were
    /// made at; a ranking is rebuilt on the first read after any change.
    pub rankings: Arc<std::sync::Mutex<RankingCache>>,
}

pub type RankingCache = std::collections::HashMap<String, (u64, bytes::Bytes)>;

impl AppState {
    /// Loads the live results from the store.
    pub async fn new(store: Store, config: Config) -> Result<AppState, jixiao_store::StoreError> {
        let live = load_live(&store).await?;
        Ok(AppState {
            store,
            live: Arc::new(RwLock::new(live)),
            config: Arc::new(config),
            rankings: Arc::default(),
        })
    }

    /// Rebuilds the live results from the store (after the organisation, a scheme or a period
    /// changed).
    pub async fn reload(&self) -> Result<(), jixiao_store::StoreError> {
        let live = load_live(&self.store).await?;
        *self.live.write().await = live;
        Ok(())
    }
}

pub async fn load_live(store: &Store) -> Result<Live, jixiao_store::StoreError> {
    let org = jixiao_store::org::current(store).await?;
    let schemes = jixiao_store::schemes::published(store).await?;
    let periods = jixiao_store::periods::list(store).await?;
    let values = jixiao_store::values::all(store).await?;
    let live = Live::build(org, schemes, periods, values);
    for p in &live.problems {
        tracing::error!(problem = %p, "a published scheme no longer compiles against the organisation");
    }
    Ok(live)
}
