//! Warnings, rectification, notices and channels over HTTP: see [`crate::ops::warnings`],
//! [`crate::ops::rectifications`], [`crate::ops::notices`] and [`crate::ops::schedule`].

use crate::api::extract::{Json, Path, Query};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::notices::{Added, Channels, Inbox, NewChannel};
use crate::ops::rectifications::{Move, NewTask, Rate};
use crate::ops::schedule::Reminded;
use crate::ops::warnings::{Ages, Answer, Detail, Filter, Item};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jixiao_store::notices::{ChannelRow, Prefs};
use serde::Deserialize;
use utoipa::ToSchema;

/// Warnings the caller may see: the unit its own, a lead department those on the elements it
/// leads, the office all; active ones worst and oldest first.
#[utoipa::path(get, path = "/warnings", tag = "warnings", params(Filter),
    responses((status = 200, body = Vec<Item>), (status = 400, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(f): Query<Filter>,
) -> Result<Json<Vec<Item>>> {
    Ok(Json(crate::ops::warnings::list(&state, &caller, &f).await?))
}

/// Active warnings by level and age (under 3 days, 3–7, over 7) and how many are overdue.
#[utoipa::path(get, path = "/warnings/ages", tag = "warnings", responses((status = 200, body = Ages)))]
pub async fn ages(State(state): State<AppState>, caller: Caller) -> Result<Json<Ages>> {
    Ok(Json(crate::ops::warnings::ages(&state, &caller).await?))
}

/// One warning with its history and its rectification tasks.
#[utoipa::path(get, path = "/warnings/{id}", tag = "warnings", params(("id" = i64, Path)),
    responses((status = 200, body = Detail), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Detail>> {
    Ok(Json(crate::ops::warnings::get(&state, &caller, id).await?))
}

/// The unit answers a warning (cause and measures); one that needs rectification opens its
/// rectification task.
#[utoipa::path(post, path = "/warnings/{id}/answer", tag = "warnings", params(("id" = i64, Path)), request_body = Answer,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(a): Json<Answer>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::warnings::answer(&state, &caller, id, a).await?,
    ))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CloseBody {
    pub version: i64,
    pub reason: String,
}

/// The office closes a warning with a reason.
#[utoipa::path(post, path = "/warnings/{id}/close", tag = "warnings", params(("id" = i64, Path)), request_body = CloseBody,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<CloseBody>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::warnings::close(&state, &caller, id, b.version, &b.reason).await?,
    ))
}

/// Rectification tasks the caller may see.
#[utoipa::path(get, path = "/rectifications", tag = "rectifications", params(crate::ops::rectifications::Filter),
    responses((status = 200, body = Vec<crate::ops::rectifications::Item>)))]
pub async fn tasks(
    State(state): State<AppState>,
    caller: Caller,
    Query(f): Query<crate::ops::rectifications::Filter>,
) -> Result<Json<Vec<crate::ops::rectifications::Item>>> {
    Ok(Json(
        crate::ops::rectifications::list(&state, &caller, &f).await?,
    ))
}

/// Add a rectification task (the office, or a lead department for its own verification).
#[utoipa::path(post, path = "/rectifications", tag = "rectifications", request_body = NewTask,
    responses((status = 201, body = crate::ops::rectifications::Detail), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn create_task(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewTask>,
) -> Result<(StatusCode, Json<crate::ops::rectifications::Detail>)> {
    let d = crate::ops::rectifications::create(&state, &caller, b).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct RateQuery {
    pub period: Option<String>,
}

/// Rectification per unit and period: tasks, verified on time and late, open, and the rates.
#[utoipa::path(get, path = "/rectifications/rates", tag = "rectifications", params(RateQuery),
    responses((status = 200, body = Vec<Rate>)))]
pub async fn rates(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<RateQuery>,
) -> Result<Json<Vec<Rate>>> {
    Ok(Json(
        crate::ops::rectifications::rates_for(&state, &caller, q.period.as_deref()).await?,
    ))
}

/// One task with its evidence.
#[utoipa::path(get, path = "/rectifications/{id}", tag = "rectifications", params(("id" = i64, Path)),
    responses((status = 200, body = crate::ops::rectifications::Detail), (status = 404, body = Problem)))]
pub async fn task(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<crate::ops::rectifications::Detail>> {
    Ok(Json(
        crate::ops::rectifications::get(&state, &caller, id).await?,
    ))
}

/// Move a task: `start`, `submit` (with what was done), `verify`, `return` (with the reason).
#[utoipa::path(post, path = "/rectifications/{id}/act", tag = "rectifications", params(("id" = i64, Path)), request_body = Move,
    responses((status = 200, body = crate::ops::rectifications::Detail), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(m): Json<Move>,
) -> Result<Json<crate::ops::rectifications::Detail>> {
    Ok(Json(
        crate::ops::rectifications::act(&state, &caller, id, m).await?,
    ))
}

/// The caller's inbox and unread count.
#[utoipa::path(get, path = "/notices", tag = "notices", responses((status = 200, body = Inbox)))]
pub async fn inbox(State(state): State<AppState>, caller: Caller) -> Result<Json<Inbox>> {
    Ok(Json(crate::ops::notices::inbox(&state, &caller).await?))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReadBody {
    /// One notice; none: all.
    #[serde(default)]
    pub id: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct Marked {
    pub marked: u64,
}

/// Mark one notice or all read.
#[utoipa::path(post, path = "/notices/read", tag = "notices", request_body = ReadBody, responses((status = 200, body = Marked)))]
pub async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<ReadBody>,
) -> Result<Json<Marked>> {
    Ok(Json(Marked {
        marked: crate::ops::notices::mark_read(&state, &caller, b.id).await?,
    }))
}

/// What the caller wants sent by e-mail, and what not shown.
#[utoipa::path(get, path = "/notices/prefs", tag = "notices", responses((status = 200, body = Prefs)))]
pub async fn prefs(State(state): State<AppState>, caller: Caller) -> Result<Json<Prefs>> {
    Ok(Json(crate::ops::notices::prefs(&state, &caller).await?))
}

#[utoipa::path(put, path = "/notices/prefs", tag = "notices", request_body = Prefs,
    responses((status = 200, body = Prefs), (status = 400, body = Problem)))]
pub async fn set_prefs(
    State(state): State<AppState>,
    caller: Caller,
    Json(p): Json<Prefs>,
) -> Result<Json<Prefs>> {
    Ok(Json(
        crate::ops::notices::set_prefs(&state, &caller, p).await?,
    ))
}

/// Outgoing channels and the delivery log (admin).
#[utoipa::path(get, path = "/channels", tag = "notices", params(crate::ops::notices::LogFilter),
    responses((status = 200, body = Channels), (status = 403, body = Problem)))]
pub async fn channels(
    State(state): State<AppState>,
    caller: Caller,
    Query(f): Query<crate::ops::notices::LogFilter>,
) -> Result<Json<Channels>> {
    Ok(Json(
        crate::ops::notices::channels(&state, &caller, &f).await?,
    ))
}

/// Add a channel: a webhook (`json` signed with HMAC, `wecom` or `dingtalk` robot) or a group
/// mailbox. The webhook's secret is shown this once.
#[utoipa::path(post, path = "/channels", tag = "notices", request_body = NewChannel,
    responses((status = 201, body = Added), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn add_channel(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewChannel>,
) -> Result<(StatusCode, Json<Added>)> {
    let a = crate::ops::notices::add_channel(&state, &caller, b).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EnableBody {
    pub enabled: bool,
}

/// Turn a channel on or off.
#[utoipa::path(post, path = "/channels/{id}/enabled", tag = "notices", params(("id" = i64, Path)), request_body = EnableBody,
    responses((status = 200, body = ChannelRow), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn enable_channel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<EnableBody>,
) -> Result<Json<ChannelRow>> {
    Ok(Json(
        crate::ops::notices::enable_channel(&state, &caller, id, b.enabled).await?,
    ))
}

/// 催报: remind every unit of the scheme's period that still has numbers to report.
#[utoipa::path(post, path = "/periods/{scheme}/{period}/remind", tag = "notices",
    params(("scheme" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = Reminded), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remind(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
) -> Result<Json<Reminded>> {
    Ok(Json(
        crate::ops::schedule::remind(&state, &caller, &scheme, &period).await?,
    ))
}

/// Attach evidence of completion to a rectification task (multipart field `file`).
#[utoipa::path(post, path = "/rectifications/{id}/evidence", tag = "rectifications", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn task_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    form: std::result::Result<
        axum::extract::Multipart,
        axum::extract::multipart::MultipartRejection,
    >,
) -> Result<StatusCode> {
    let upload = crate::http::upload::evidence(&state, crate::http::upload::form(form)?).await?;
    crate::ops::evidence::attach_to_rectification(&state, &caller, id, upload.incoming()).await?;
    Ok(StatusCode::CREATED)
}
