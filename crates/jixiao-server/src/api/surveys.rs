//! Citizen satisfaction surveys over HTTP: the office's questionnaires, codes and results, and
//! the public questionnaire and answer (nobody signs in). See [`crate::ops::surveys`].

use crate::api::extract::{Json, Path};
use crate::error::Result;
use crate::http::Problem;
use crate::http::caller::ClientAddress;
use crate::ops::Caller;
use crate::ops::surveys::{Answer, Close, Detail, IssueCodes, New, Origin, Public};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use jixiao_store::surveys::SurveyRow;

/// The surveys (the office and the district's readers).
#[utoipa::path(get, path = "/surveys", tag = "surveys", responses((status = 200, body = Vec<SurveyRow>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<SurveyRow>>> {
    Ok(Json(crate::ops::surveys::list(&state, &caller).await?))
}

/// The office opens a survey: questions, units, period, the elements it fills, the minimum
/// sample and whether the open link is accepted.
#[utoipa::path(post, path = "/surveys", tag = "surveys", request_body = New,
    responses((status = 201, body = Detail), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<New>,
) -> Result<(StatusCode, Json<Detail>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::ops::surveys::create(&state, &caller, &b).await?),
    ))
}

/// A survey with its results per unit: answers by channel, satisfaction (exact), margin of error,
/// whether the sample reaches the minimum, codes issued and used, comments.
#[utoipa::path(get, path = "/surveys/{id}", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Detail>> {
    Ok(Json(crate::ops::surveys::get(&state, &caller, id).await?))
}

/// Issue one-time codes for a unit: returned once, stored only as salted hashes.
#[utoipa::path(post, path = "/surveys/{id}/codes", tag = "surveys", params(("id" = i64, Path)), request_body = IssueCodes,
    responses((status = 201, body = Vec<String>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn codes(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<IssueCodes>,
) -> Result<(StatusCode, Json<Vec<String>>)> {
    Ok((
        StatusCode::CREATED,
        Json(crate::ops::surveys::codes(&state, &caller, id, &b).await?),
    ))
}

/// Write the results into the units' elements now (they are written shortly after answers
/// arrive anyway).
#[utoipa::path(post, path = "/surveys/{id}/publish", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::surveys::publish_now(&state, &caller, id).await?,
    ))
}

/// Close the survey: the results are written a last time; no more answers.
#[utoipa::path(post, path = "/surveys/{id}/close", tag = "surveys", params(("id" = i64, Path)), request_body = Close,
    responses((status = 200, body = Detail), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<Close>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::surveys::close(&state, &caller, id, &b).await?,
    ))
}

/// The questionnaire of a unit, for anyone (an open survey).
#[utoipa::path(get, path = "/public/surveys/{id}/{unit}", tag = "surveys", params(("id" = i64, Path), ("unit" = String, Path)),
    responses((status = 200, body = Public), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn public(
    State(state): State<AppState>,
    Path((id, unit)): Path<(i64, String)>,
) -> Result<Json<Public>> {
    Ok(Json(crate::ops::surveys::public(&state, id, &unit).await?))
}

/// Answer a questionnaire (nobody signs in): with a one-time `code`, or through the open link
/// with a device token in the `X-Device` header (one answer per device; a daily limit per
/// network). Anonymous: neither is stored with the answer.
#[utoipa::path(post, path = "/public/surveys/{id}/{unit}", tag = "surveys", params(("id" = i64, Path), ("unit" = String, Path), ("X-Device" = Option<String>, Header, description = "a random token of the device, at least 16 characters")), request_body = Answer,
    responses((status = 201), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn answer(
    State(state): State<AppState>,
    Path((id, unit)): Path<(i64, String)>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Json(b): Json<Answer>,
) -> Result<StatusCode> {
    let device = headers.get("x-device").and_then(|v| v.to_str().ok());
    crate::ops::surveys::answer(
        &state,
        id,
        &unit,
        &b,
        &Origin {
            device,
            address: &address,
        },
    )
    .await?;
    Ok(StatusCode::CREATED)
}
