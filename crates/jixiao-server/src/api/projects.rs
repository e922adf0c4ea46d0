//! Budget projects (预算项目) over HTTP: see [`crate::ops::projects`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::projects::{
    Assign, Decide, Detail, Item, MonitorLine, NewProject, Progress, Review, Score, Targets,
};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// The budget projects the caller may read: all for finance and the district's readers, a
/// department's own, an expert's assigned ones.
#[utoipa::path(get, path = "/projects", tag = "budget", responses((status = 200, body = Vec<Item>), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Item>>> {
    Ok(Json(crate::ops::projects::list(&state, &caller).await?))
}

/// Declare a project (its department or finance); one of at least the district's threshold
/// needs an ex-ante evaluation before its targets.
#[utoipa::path(post, path = "/projects", tag = "budget", request_body = NewProject,
    responses((status = 201, body = Detail), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewProject>,
) -> Result<(StatusCode, Json<Detail>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::ops::projects::create(&state, &caller, &b).await?),
    ))
}

/// One project with its experts, ex-ante result, targets and what the caller may do now.
#[utoipa::path(get, path = "/projects/{code}", tag = "budget", params(("code" = String, Path)),
    responses((status = 200, body = Detail), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::projects::get(&state, &caller, &code).await?,
    ))
}

/// Finance assigns the ex-ante experts (evaluators' accounts); the project goes to them.
#[utoipa::path(post, path = "/projects/{code}/experts", tag = "budget", params(("code" = String, Path)), request_body = Assign,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<Assign>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::projects::assign(&state, &caller, &code, &b).await?,
    ))
}

/// An assigned expert scores the ex-ante dimensions.
#[utoipa::path(post, path = "/projects/{code}/scores", tag = "budget", params(("code" = String, Path)), request_body = Score,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn score(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<Score>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::projects::score(&state, &caller, &code, &b).await?,
    ))
}

/// Finance concludes the ex-ante evaluation from every expert's scores.
#[utoipa::path(post, path = "/projects/{code}/conclusion", tag = "budget", params(("code" = String, Path)), request_body = Decide,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn conclude(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<Decide>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::projects::conclude(&state, &caller, &code, &b).await?,
    ))
}

/// The department declares the project's performance targets (after the ex-ante gate).
#[utoipa::path(put, path = "/projects/{code}/targets", tag = "budget", params(("code" = String, Path)), request_body = Targets,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn declare_targets(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<Targets>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::projects::declare_targets(&state, &caller, &code, &b).await?,
    ))
}

/// Finance approves the targets or returns them with the reason.
#[utoipa::path(post, path = "/projects/{code}/targets/review", tag = "budget", params(("code" = String, Path)), request_body = Review,
    responses((status = 200, body = Detail), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn review_targets(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<Review>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::projects::review_targets(&state, &caller, &code, &b).await?,
    ))
}

/// The department reports spending and each monitored target's completion at a monitoring
/// date; the levels follow from the rules (yellow and red need the corrective measures).
#[utoipa::path(post, path = "/projects/{code}/monitoring", tag = "budget", params(("code" = String, Path)), request_body = Progress,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn monitor(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(b): Json<Progress>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::projects::monitor(&state, &caller, &code, &b).await?,
    ))
}

/// The dates monitoring reports were made at, newest first (the district's readers).
#[utoipa::path(get, path = "/monitoring", tag = "budget", responses((status = 200, body = Vec<String>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn monitoring_days(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<String>>> {
    Ok(Json(
        crate::ops::projects::monitoring_days(&state, &caller).await?,
    ))
}

/// The monitoring report of a date: every project that reported, red first.
#[utoipa::path(get, path = "/monitoring/{date}", tag = "budget", params(("date" = String, Path)),
    responses((status = 200, body = Vec<MonitorLine>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn monitoring_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(date): Path<String>,
) -> Result<Json<Vec<MonitorLine>>> {
    Ok(Json(
        crate::ops::projects::monitoring_report(&state, &caller, &date).await?,
    ))
}

/// Declare many projects at once (a list from a table): checked whole, every problem at
/// `projects[i].field`; all written or none.
#[utoipa::path(post, path = "/projects/import", tag = "budget", request_body = crate::ops::project_imports::ProjectList,
    responses((status = 201, body = crate::ops::project_imports::Imported), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<crate::ops::project_imports::ProjectList>,
) -> Result<(StatusCode, Json<crate::ops::project_imports::Imported>)> {
    use crate::ops::project_imports::{Imported, Places, declare_many};
    match declare_many(&state, &caller, &b, &Places::Json("projects")).await? {
        Ok(written) => Ok((StatusCode::CREATED, Json(Imported { written }))),
        Err(i) => Err(crate::error::Error::invalid(&i)),
    }
}

/// Monitoring reports of many projects at once (figures from a table): each checked as one
/// reported by hand, every problem at `reports[i].field`; all written or none.
#[utoipa::path(post, path = "/monitoring/import", tag = "budget", request_body = crate::ops::project_imports::ProgressList,
    responses((status = 200, body = crate::ops::project_imports::Imported), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn import_monitoring(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<crate::ops::project_imports::ProgressList>,
) -> Result<Json<crate::ops::project_imports::Imported>> {
    use crate::ops::project_imports::{Imported, Places, report_many};
    match report_many(&state, &caller, &b, &Places::Json("reports")).await? {
        Ok(written) => Ok(Json(Imported { written })),
        Err(i) => Err(crate::error::Error::invalid(&i)),
    }
}
