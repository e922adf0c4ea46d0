//! Machine feeds over HTTP: definitions and health (office and administrators) and the
//! endpoint external systems post events to (API keys with role `feed`). See
//! [`crate::ops::feeds`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::feeds::{DefineBody, FeedDetail, FeedInfo, Ingested};
use crate::state::AppState;
use axum::extract::State;

/// Every feed with its health: events accepted, replayed and rejected, the last event, the
/// problems of the last seven days.
#[utoipa::path(get, path = "/feeds", tag = "feeds", responses((status = 200, body = Vec<FeedInfo>), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<FeedInfo>>> {
    Ok(Json(crate::ops::feeds::list(&state, &caller).await?))
}

/// One feed with its health and the last 50 problems of posts it had turned away.
#[utoipa::path(get, path = "/feeds/{code}", tag = "feeds", params(("code" = String, Path)), responses((status = 200, body = FeedDetail), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<FeedDetail>> {
    Ok(Json(
        crate::ops::feeds::get(&state, &caller, &code, 50).await?,
    ))
}

/// Creates or changes a feed's definition (audited). Events already stored stay as they are.
#[utoipa::path(put, path = "/feeds/{code}", tag = "feeds", params(("code" = String, Path)), request_body = DefineBody, responses((status = 200, body = FeedInfo), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn define(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<DefineBody>,
) -> Result<Json<FeedInfo>> {
    Ok(Json(
        crate::ops::feeds::define(&state, &caller, &code, &b).await?,
    ))
}

/// Posts events: `{"events": [{"id": "kiosk-000123", "unit": "SPJ", "at": "2025-03-31T09:30:00+08:00", "data": {…}}, …]}` or one event on its own. Needs an API key with role `feed` (its items, when set, list the feeds it may post to; its unit limits the units). Each event is checked against the feed's fields; one bad event turns the post away (422 with every bad field's path, nothing stored). An event id already stored with the same content is a replay and changes nothing; with different content, 409. New events are added into every data element the published schemes fill from the feed.
#[utoipa::path(post, path = "/feeds/{code}/events", tag = "feeds", params(("code" = String, Path)), request_body(content = Object, description = "events"), responses((status = 200, body = Ingested), (status = 422, description = "bad events; `problems` lists each path", body = Problem), (status = 409, body = Problem), (status = 403, body = Problem)))]
pub async fn post_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<Ingested>> {
    Ok(Json(
        crate::ops::feeds::ingest(&state, &caller, &code, &body).await?,
    ))
}
