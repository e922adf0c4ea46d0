//! Legality checks of enforcement cases over HTTP: cases posted by a case-management system (its
//! API key) or a person, the case file, the legal office's flags and rule file. See
//! [`crate::ops::enforcement`].

use crate::api::extract::{Json, Path, Query};
use crate::error::{Error, Kind, Result};
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::enforcement::{
    CaseList, Decision, Detail, Filter, NewRules, Overview, Places, Recorded, RulesInfo,
};
use crate::state::AppState;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;

/// The cases the caller may read (a department its own; the legal office and the assessment
/// office all), filtered, with the flags counted by rule and by department.
#[utoipa::path(get, path = "/enforcement/cases", tag = "enforcement", params(Filter),
    responses((status = 200, body = Overview), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(f): Query<Filter>,
) -> Result<Json<Overview>> {
    Ok(Json(
        crate::ops::enforcement::overview(&state, &caller, &f).await?,
    ))
}

/// Record cases (a case-management system's feed with its API key, or a person): by case
/// number, new ones created, changed ones updated, each checked against the rules. All or
/// nothing: every problem at `cases[i].field`.
#[utoipa::path(post, path = "/enforcement/cases", tag = "enforcement", request_body = CaseList,
    responses((status = 200, body = Recorded), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<CaseList>,
) -> Result<Json<Recorded>> {
    caller.require_signed_in()?;
    let cases = crate::ops::enforcement::from_json(&b).map_err(|i| Error::invalid(&i))?;
    let source = if caller.via_cookie { "form" } else { "feed" };
    match crate::ops::enforcement::record(
        &state,
        &caller,
        &cases,
        &Places::Json("cases"),
        source,
        b.reason.trim(),
    )
    .await?
    {
        Ok(r) => Ok(Json(r)),
        Err(i) => Err(Error::invalid(&i)),
    }
}

/// Import the case file (XLSX or CSV in the template's columns, multipart field `file`): all
/// or nothing, every problem at its row and column.
#[utoipa::path(post, path = "/enforcement/import", tag = "enforcement",
    request_body(content_type = "multipart/form-data", description = "field `file`; optional field `reason`"),
    responses((status = 200, body = Recorded), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    form: std::result::Result<Multipart, MultipartRejection>,
) -> Result<Json<Recorded>> {
    crate::ops::enforcement::may_record(&state, &caller).await?;
    let upload = crate::http::upload::read(crate::http::upload::form(form)?, || {
        Error::new(
            Kind::TooLarge,
            "too_large",
            crate::ops::imports::too_large(),
        )
    })
    .await?;
    let Some(file) = upload.file.as_ref() else {
        return Err(Error::bad_request(
            "no_file",
            jixiao_core::text::Text::new(
                "请选择要导入的文件（字段 file）",
                "no file (field `file`)",
            ),
        ));
    };
    let name = file.name.as_deref().unwrap_or("upload");
    let (cases, places) =
        crate::ops::enforcement::read_cases(name, &file.bytes).map_err(|i| Error::invalid(&i))?;
    match crate::ops::enforcement::record(
        &state,
        &caller,
        &cases,
        &places,
        "import",
        upload.field("reason").trim(),
    )
    .await?
    {
        Ok(r) => Ok(Json(r)),
        Err(i) => Err(Error::invalid(&i)),
    }
}

/// The case file's template (XLSX): the columns and one lawful example row.
#[utoipa::path(get, path = "/enforcement/template", tag = "enforcement",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "the template")))]
pub async fn template(caller: Caller) -> Result<Response> {
    caller.require_signed_in()?;
    Ok(crate::http::download::attachment(
        crate::ops::enforcement::template()?,
        crate::xlsx::MIME,
        "enforcement-cases.xlsx",
        "执法案件导入模板.xlsx",
    ))
}

/// A case with its timeline and every flag (the rule, its basis, the fields and values, the
/// computation in words, its state).
#[utoipa::path(get, path = "/enforcement/cases/{id}", tag = "enforcement", params(("id" = i64, Path)),
    responses((status = 200, body = Detail), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::enforcement::get(&state, &caller, id).await?,
    ))
}

/// The legal office confirms or dismisses a flag (or takes its decision back), with a reason;
/// a confirmed one may open a rectification task for the department (`rectify_by`).
#[utoipa::path(post, path = "/enforcement/flags/{id}", tag = "enforcement", params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = Detail), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(b): Json<Decision>,
) -> Result<Json<Detail>> {
    Ok(Json(
        crate::ops::enforcement::decide(&state, &caller, id, b).await?,
    ))
}

/// The rule file in force and the rules it applies.
#[utoipa::path(get, path = "/enforcement/rules", tag = "enforcement",
    responses((status = 200, body = RulesInfo), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn rules(State(state): State<AppState>, caller: Caller) -> Result<Json<RulesInfo>> {
    Ok(Json(crate::ops::enforcement::rules(&state, &caller).await?))
}

/// The legal office replaces the rule file (TOML; a bad one is refused with its place): every
/// case is checked again at once.
#[utoipa::path(put, path = "/enforcement/rules", tag = "enforcement", request_body = NewRules,
    responses((status = 200, body = RulesInfo), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_rules(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewRules>,
) -> Result<(StatusCode, Json<RulesInfo>)> {
    Ok((
        StatusCode::OK,
        Json(crate::ops::enforcement::set_rules(&state, &caller, b).await?),
    ))
}
