//! The audit log over HTTP: see [`crate::ops::audit`].

use crate::api::PageQuery;
use crate::api::extract::{Json, Query};
use crate::error::Result;
use crate::ops::audit::AuditQuery;
use crate::ops::{Caller, List};
use crate::state::AppState;
use axum::extract::State;
use jixiao_store::audit::{Entry, Verification};

#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery, PageQuery), responses((status = 200, body = List<Entry>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
    Query(pq): Query<PageQuery>,
) -> Result<Json<List<Entry>>> {
    Ok(Json(
        crate::ops::audit::list(&state, &caller, &q, pq.page()).await?,
    ))
}

/// Recomputes the hash chain and names the first altered, removed or reordered entry.
#[utoipa::path(get, path = "/audit/verify", tag = "audit", responses((status = 200, body = Verification)))]
pub async fn verify(State(state): State<AppState>, caller: Caller) -> Result<Json<Verification>> {
    Ok(Json(crate::ops::audit::verify(&state, &caller).await?))
}
