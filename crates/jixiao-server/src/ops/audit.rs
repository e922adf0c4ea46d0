//! The audit log: filtered reading and the chain check.

use crate::error::Result;
use crate::ops::{Caller, List, allow};
use crate::state::AppState;
use jixiao_core::access::Action;
use jixiao_store::audit::{Entry, Filter, Verification};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Who (a username, `apikey:<name>`).
    pub actor: Option<String>,
    /// What (`value.submit`, `scheme.publish`, …).
    pub action: Option<String>,
    /// On what kind of thing (`value`, `unit`, `scheme`, …).
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Entities whose id contains this text (ignoring case, on both databases): a unit code, an
    /// element, a period.
    pub contains: Option<String>,
}

/// A page of the entries that match.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    q: &AuditQuery,
    page: jixiao_store::Page,
) -> Result<List<Entry>> {
    allow(state, caller, Action::ReadAudit).await?;
    let f = Filter {
        actor: q.actor.clone().unwrap_or_default(),
        action: q.action.clone().unwrap_or_default(),
        entity: q.entity.clone().unwrap_or_default(),
        entity_id: q.entity_id.clone().unwrap_or_default(),
        contains: q.contains.clone().unwrap_or_default(),
    };
    let (total, items) = jixiao_store::audit::list(&state.store, &f, page).await?;
    Ok(List::new(total, page, items))
}

/// Recomputes the hash chain and names the first altered, removed or reordered entry.
pub async fn verify(state: &AppState, caller: &Caller) -> Result<Verification> {
    allow(state, caller, Action::ReadAudit).await?;
    Ok(jixiao_store::audit::verify(&state.store).await?)
}
