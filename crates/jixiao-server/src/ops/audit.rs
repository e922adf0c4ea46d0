//! The audit log: filtered reading and the chain check.

use crate::api::extract::Json;
use crate::api::extract::Query;
use crate::api::units::allow;
use crate::api::{List, PageQuery};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::State;

use jixiao_core::access::Action;
use jixiao_store::audit::{Entry, Filter, Verification};
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
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

#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery, PageQuery), responses((status = 200, body = List<Entry>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<List<Entry>>> {
    allow(&state, &caller, Action::ReadAudit).await?;
    let f = Filter {
        actor: q.actor.unwrap_or_default(),
        action: q.action.unwrap_or_default(),
        entity: q.entity.unwrap_or_default(),
        entity_id: q.entity_id.unwrap_or_default(),
        contains: q.contains.unwrap_or_default(),
    };
    let page = pq.page();
    let (total, items) = jixiao_store::audit::list(&state.store, &f, page).await?;
    Ok(Json(List::new(total, page, items)))
}

/// Recomputes the hash chain and names the first altered, removed or reordered entry.
#[utoipa::path(get, path = "/audit/verify", tag = "audit", responses((status = 200, body = Verification)))]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Verification>> {
    allow(&state, &caller, Action::ReadAudit).await?;
    Ok(Json(jixiao_store::audit::verify(&state.store).await?))
}
