//! Cross-inspection rounds (异地交叉检查) over HTTP: see [`crate::ops::inspections`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::inspections::{Detail, Generate, Hazard, Manual, NewHazard, NewRound, Score};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jixiao_store::inspections::RoundRow;

/// The rounds the caller may read: all for the office and the district's readers, an
/// inspector's own.
#[utoipa::path(get, path = "/inspections", tag = "inspections", responses((status = 200, body = Vec<RoundRow>), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<RoundRow>>> {
    Ok(Json(crate::ops::inspections::list(&state, &caller).await?))
}

/// The office sets up a round: period, element, units and teams (home unit, members).
#[utoipa::path(post, path = "/inspections", tag = "inspections", request_body = NewRound,
    responses((status = 201, body = Detail), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewRound>,
) -> Result<(StatusCode, Json<Detail>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::ops::inspections::create(&state, &caller, &b).await?),
    ))
}

/// A round with its teams, assignments, the rules they break (none when generated) and what
/// the caller may do.
#[utoipa::path(get, path = "/inspections/{id}", tag = "inspections", params(("id" = i64, Path)),
    responses((status = 200, body = Detail), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::inspections::get(&state, &caller, id).await?,
    ))
}

/// Generate the assignment by the rules: never the home unit, no reciprocal pair, no pair of
/// the previous round, balanced load (or the reason none exists).
#[utoipa::path(post, path = "/inspections/{id}/generate", tag = "inspections", params(("id" = i64, Path)), request_body = Generate,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn generate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<Generate>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::inspections::generate(&state, &caller, id, &b).await?,
    ))
}

/// Assign by hand: checked by the same rules, each broken one named at its place.
#[utoipa::path(put, path = "/inspections/{id}/assignments", tag = "inspections", params(("id" = i64, Path)), request_body = Manual,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<Manual>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::inspections::assign(&state, &caller, id, &b).await?,
    ))
}

/// A member of the assigned team records the unit's score; it becomes the unit's value of the
/// round's element.
#[utoipa::path(post, path = "/inspections/{id}/scores", tag = "inspections", params(("id" = i64, Path)), request_body = Score,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn score(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<Score>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::inspections::score(&state, &caller, id, &b).await?,
    ))
}

/// A member of the assigned team (or the office) records a hazard found at a unit: it opens a
/// rectification task for the unit (source `inspection`, with its severity) that the office
/// verifies; the hazard rectification rate elements follow it.
#[utoipa::path(post, path = "/inspections/{id}/hazards", tag = "inspections", params(("id" = i64, Path)), request_body = NewHazard,
    responses((status = 201, body = Hazard), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn hazard(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<NewHazard>,
) -> Result<(StatusCode, Json<Hazard>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::ops::inspections::hazard(&state, &caller, id, &b).await?),
    ))
}

/// Attach a photo (or another evidence file) to a hazard (multipart field `file`): the office or
/// the team that recorded it.
#[utoipa::path(post, path = "/inspections/hazards/{hazard}/photos", tag = "inspections", params(("hazard" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn photo(
    State(state): State<AppState>,
    caller: Caller,
    Path(hazard): Path<i64>,
    form: std::result::Result<
        axum::extract::Multipart,
        axum::extract::multipart::MultipartRejection,
    >,
) -> Result<StatusCode> {
    let upload = crate::http::upload::evidence(&state, crate::http::upload::form(form)?).await?;
    crate::ops::evidence::attach_to_hazard(&state, &caller, hazard, upload.incoming()).await?;
    Ok(StatusCode::CREATED)
}
