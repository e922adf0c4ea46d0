//! The operations: everything jixiao does, one file per capability, as plain async functions
//! of the state, the acting [`Caller`] and a plain input, returning a plain result or the one
//! [`Error`]. No HTTP here: the JSON API (`crate::api`) and the pages (`crate::web`) are thin
//! adapters over these functions, and the command line calls them too.
//!
//! Every permission check happens here, through [`allow`] (a gate) or [`jixiao_core::access::can`]
//! (a filter over what a caller may see), both on the one set of rules in
//! [`jixiao_core::access`]. Every write is one transaction with its audit entries.
//!
//! A test (`tests/shape.rs`) keeps the shape: nothing in `ops/` names the HTTP framework or
//! an adapter, and `api/` and `web/` never reach into each other.

pub mod adjustment;
pub mod appeals;
pub mod applied;
pub mod audit;
pub mod auth;
pub mod chain;
pub mod dhis2;
pub mod earlier;
pub mod enforcement;
pub mod entry;
pub mod evidence;
pub mod exports;
pub mod feeds;
pub mod home;
pub mod imports;
pub mod inspections;
pub mod keys;
pub mod notices;
pub mod periods;
pub mod project_imports;
pub mod projects;
pub mod publications;
pub mod rectifications;
pub mod results;
pub mod review;
pub mod schedule;
pub mod schemes;
pub mod surveys;
pub mod units;
pub mod users;
pub mod values;
pub mod warnings;

use crate::auth::User;
use crate::error::{Error, Result};
use crate::live::Live;
use crate::state::AppState;
use jixiao_core::access::{Action, Denied, Principal, Role, check};
use jixiao_core::text::Text;
use jixiao_store::audit::Actor;
use serde::Serialize;

/// Who is acting: their role and scope, the name the audit records, the account if a person.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    /// For the audit log.
    pub actor: Actor,
    pub user: Option<User>,
    /// Signed in with a cookie (so writes need the CSRF token).
    pub via_cookie: bool,
}

impl Caller {
    /// Nobody signed in.
    pub fn anonymous(request_id: String) -> Caller {
        Caller {
            principal: Principal::public(),
            actor: Actor {
                name: "anonymous".into(),
                source: "web".into(),
                request_id,
            },
            user: None,
            via_cookie: false,
        }
    }

    /// A person acting through `source` (`web`, `import`), outside a request of their own.
    pub fn person(user: User, source: &str, request_id: String) -> Caller {
        Caller {
            principal: user.principal(),
            actor: Actor {
                name: user.username.clone(),
                source: source.into(),
                request_id,
            },
            user: Some(user),
            via_cookie: false,
        }
    }

    pub fn require_signed_in(&self) -> Result<()> {
        if self.principal.role == Role::Public {
            Err(Error::unauthorized())
        } else {
            Ok(())
        }
    }
}

/// The caller may do `action`, or the error that says why not (sign in first, or forbidden).
pub async fn allow(state: &AppState, caller: &Caller, action: Action<'_>) -> Result<()> {
    allow_in(&*state.live.read().await, caller, action)
}

/// [`allow`] on results the caller already holds.
pub fn allow_in(live: &Live, caller: &Caller, action: Action<'_>) -> Result<()> {
    check(&caller.principal, action, live).map_err(|d| match d {
        Denied::SignIn => Error::unauthorized(),
        Denied::Forbidden => Error::forbidden(),
    })
}

/// A reason, required for changes that must say why.
pub fn require_reason(reason: &str) -> Result<()> {
    if reason.trim().is_empty() {
        return Err(Error::bad_request(
            "reason_required",
            Text::new("请填写原因", "a reason is required"),
        ));
    }
    Ok(())
}

/// Commits a write transaction.
pub async fn commit(tx: jixiao_store::Tx) -> Result<()> {
    tx.commit()
        .await
        .map_err(|e| Error::from(jixiao_store::StoreError::from(e)))
}

/// Commits a large write (an import): see [`jixiao_store::Tx::commit_large`].
pub async fn commit_large(tx: jixiao_store::Tx) -> Result<()> {
    tx.commit_large()
        .await
        .map_err(|e| Error::from(jixiao_store::StoreError::from(e)))
}

/// A pooled connection for reads that take one.
pub async fn conn(state: &AppState) -> Result<jixiao_store::Conn> {
    Ok(state.store.read().await?)
}

/// Whether the database answers (readiness).
pub async fn ready(state: &AppState) -> bool {
    state.store.ping().await
}

/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    pub items: Vec<T>,
}

impl<T> List<T> {
    pub fn new(total: i64, page: jixiao_store::Page, items: Vec<T>) -> List<T> {
        List {
            total,
            limit: page.limit,
            offset: page.offset,
            items,
        }
    }
}

/// Every item of a paged list, read a thousand at a time, at most `max` of them: `fetch` reads
/// the page at an offset.
pub async fn all_pages<T, F, Fut>(max: i64, fetch: F) -> Result<Vec<T>>
where
    F: FnMut(jixiao_store::Page) -> Fut,
    Fut: std::future::Future<Output = Result<List<T>>>,
{
    Ok(pages_up_to(max, fetch).await?.0)
}

/// [`all_pages`] with how many there are in all (more than returned when `max` cut them).
pub async fn pages_up_to<T, F, Fut>(max: i64, mut fetch: F) -> Result<(Vec<T>, i64)>
where
    F: FnMut(jixiao_store::Page) -> Fut,
    Fut: std::future::Future<Output = Result<List<T>>>,
{
    let mut items = Vec::new();
    let mut offset = 0;
    let mut total = 0;
    while offset < max {
        let page = fetch(jixiao_store::Page {
            limit: 1000.min(max - offset),
            offset,
        })
        .await?;
        let n = page.items.len() as i64;
        total = page.total;
        items.extend(page.items);
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    Ok((items, total))
}

/// A page of at most `limit` items (default 100, at most 1000) after `offset`.
pub fn page(limit: Option<i64>, offset: Option<i64>) -> jixiao_store::Page {
    jixiao_store::Page {
        limit: limit.unwrap_or(100).clamp(1, 1000),
        offset: offset.unwrap_or(0).max(0),
    }
}
