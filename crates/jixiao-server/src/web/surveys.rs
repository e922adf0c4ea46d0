//! Citizen satisfaction surveys: the office's list and form, a survey's results with each
//! unit's link, QR code and one-time codes; and the public questionnaire a citizen answers on a
//! phone without signing in (no JavaScript needed). See [`crate::ops::surveys`].

use super::{Ctx, Page, render, see_other};
use crate::error::Error;
use crate::http::caller::ClientAddress;
use crate::http::upload::first;
use crate::ops::surveys::{Answer, Close, Detail, IssueCodes, New, Origin, Public};
use crate::state::AppState;
use crate::xlsx::{Cell, Sheet};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jixiao_core::text::Text;
use jixiao_store::surveys::{Question, SurveyRow};

#[derive(Template)]
#[template(path = "surveys.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    surveys: Vec<SurveyRow>,
    may_create: bool,
}

pub async fn list(page: Page, State(state): State<AppState>) -> Response {
    let r = async {
        let surveys = crate::ops::surveys::list(&state, &page.caller).await?;
        render(&ListPage {
            ctx: &page.ctx,
            surveys,
            may_create: crate::ops::allow(
                &state,
                &page.caller,
                jixiao_core::access::Action::ManageSurveys,
            )
            .await
            .is_ok(),
        })
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct NewForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub title: String,
    pub period: String,
    pub element: String,
    #[serde(default)]
    pub sample_element: String,
    /// Unit codes separated by spaces or commas.
    pub units: String,
    /// One question a line: code, text, scale (three or five).
    pub questions: String,
    #[serde(default)]
    pub min_sample: String,
    /// `1` when the open link is accepted.
    #[serde(default)]
    pub open_link: Option<String>,
    pub reason: String,
}

fn number(field: &str, s: &str) -> Result<Option<i64>, Error> {
    match s.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| {
            Error::bad_request(
                "bad_number",
                Text::new(
                    format!("{field}：“{t}”不是整数"),
                    format!("{field}: `{t}` is not a whole number"),
                ),
            )
        }),
    }
}

pub async fn create(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<NewForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let questions = f
            .questions
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let c: Vec<&str> = l.split([',', '，']).map(str::trim).collect();
                let cell = |i: usize| c.get(i).copied().unwrap_or("").to_owned();
                Question {
                    code: cell(0),
                    text: cell(1),
                    scale: if cell(2).is_empty() {
                        "three".into()
                    } else {
                        cell(2)
                    },
                }
            })
            .collect();
        let d = crate::ops::surveys::create(
            &state,
            &page.caller,
            &New {
                title: f.title,
                period: f.period,
                element: f.element,
                sample_element: f.sample_element,
                units: f
                    .units
                    .split([' ', ',', '，', '\n'])
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .map(str::to_owned)
                    .collect(),
                questions,
                min_sample: number("min_sample", &f.min_sample)?,
                open_link: Some(f.open_link.is_some()),
                per_address_daily: None,
                reason: f.reason,
            },
        )
        .await?;
        Ok(see_other(&format!("/surveys/{}", d.survey.id)))
    }
    .await;
    page.finish(r)
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage<'a> {
    ctx: &'a Ctx,
    d: Detail,
    /// Per unit: the satisfaction and margin as shown.
    shown: Vec<(String, String)>,
    /// The questionnaire's address per unit.
    links: Vec<String>,
    done: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

pub async fn show(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let d = crate::ops::surveys::get(&state, &page.caller, id).await?;
        let l = page.ctx.l;
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let links = d
            .results
            .iter()
            .map(|r| crate::ops::surveys::link(&state, host, id, &r.unit))
            .collect();
        let shown = d
            .results
            .iter()
            .map(|r| {
                (
                    r.satisfaction
                        .map_or_else(|| "—".to_owned(), |v| l.num(&v, 2)),
                    r.margin
                        .map_or_else(|| "—".to_owned(), |m| format!("±{m:.1}")),
                )
            })
            .collect();
        render(&SurveyPage {
            ctx: &page.ctx,
            d,
            shown,
            links,
            done: q.done,
        })
    }
    .await;
    page.finish(r)
}

/// The office's actions on a survey: `codes` (answered with the slips as a workbook),
/// `publish`, `close`.
pub async fn act(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        page.check_csrf(first(&f, "_csrf"))?;
        let action = first(&f, "action");
        match action {
            "codes" => {
                let unit = first(&f, "unit").to_owned();
                let count = number("count", first(&f, "count"))?.unwrap_or(0);
                let codes = crate::ops::surveys::codes(
                    &state,
                    &page.caller,
                    id,
                    &IssueCodes {
                        unit: unit.clone(),
                        count,
                        reason: first(&f, "reason").to_owned(),
                    },
                )
                .await?;
                let l = page.ctx.l;
                let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
                let link = crate::ops::surveys::link(&state, host, id, &unit);
                let rows = codes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        vec![
                            Cell::Int(i as i64 + 1),
                            Cell::from(unit.clone()),
                            Cell::from(c.clone()),
                            Cell::from(link.clone()),
                        ]
                    })
                    .collect();
                let head = ["survey-slip-no", "col-unit", "survey-code", "survey-link"]
                    .iter()
                    .map(|k| l.t(k))
                    .collect();
                return crate::http::download::xlsx(
                    &format!("survey-{id}-{unit}-codes"),
                    &[Sheet::new(l.t("survey-codes"), head, rows)],
                );
            }
            "publish" => {
                crate::ops::surveys::publish_now(&state, &page.caller, id).await?;
            }
            "close" => {
                crate::ops::surveys::close(
                    &state,
                    &page.caller,
                    id,
                    &Close {
                        version: number("version", first(&f, "version"))?.unwrap_or(0),
                        reason: first(&f, "reason").to_owned(),
                    },
                )
                .await?;
            }
            other => {
                return Err(Error::bad_request(
                    "bad_action",
                    Text::new(
                        format!("不支持的操作“{other}”：应为 codes、publish 或 close"),
                        format!("unsupported action `{other}`: codes, publish or close"),
                    ),
                ));
            }
        }
        Ok(see_other(&format!("/surveys/{id}?done={action}")))
    }
    .await;
    page.finish(r)
}

/// The device cookie of the open link (a random token, this site only).
const DEVICE: &str = "jx_device";

fn device_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == DEVICE)
        .map(|(_, v)| v.to_owned())
}

#[derive(Template)]
#[template(path = "survey_public.html")]
struct PublicPage<'a> {
    ctx: &'a Ctx,
    s: Public,
    /// Per question: its choices (value, name).
    choices: Vec<(Question, Vec<(i64, String)>)>,
    thanks: bool,
}

#[derive(serde::Deserialize)]
pub struct ThanksQuery {
    pub thanks: Option<String>,
}

/// The questionnaire (sets the device cookie for the open link when it is missing).
pub async fn public(
    page: Page,
    State(state): State<AppState>,
    Path((id, unit)): Path<(i64, String)>,
    Query(q): Query<ThanksQuery>,
    headers: HeaderMap,
) -> Response {
    let r = async {
        let s = crate::ops::surveys::public(&state, id, &unit).await?;
        let l = page.ctx.l;
        let choices = s
            .questions
            .iter()
            .map(|q| {
                (
                    q.clone(),
                    crate::ops::surveys::choices(&q.scale)
                        .into_iter()
                        .map(|(v, t)| (v, l.plain(&t).to_owned()))
                        .collect(),
                )
            })
            .collect();
        let mut resp = render(&PublicPage {
            ctx: &page.ctx,
            s,
            choices,
            thanks: q.thanks.is_some(),
        })?;
        if device_of(&headers).is_none() {
            let token = uuid::Uuid::new_v4().simple().to_string();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{DEVICE}={token}; Path=/s/; Max-Age=31536000; HttpOnly; SameSite=Lax"
            )) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        Ok(resp)
    }
    .await;
    page.finish(r)
}

/// A citizen's answer from the form: `code`, `q:<question>` = choice, `comment`.
pub async fn answer(
    page: Page,
    State(state): State<AppState>,
    Path((id, unit)): Path<(i64, String)>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        let mut choices = std::collections::BTreeMap::new();
        for (k, v) in &f {
            if let Some(q) = k.strip_prefix("q:") {
                let c = v.trim().parse::<i64>().map_err(|_| {
                    Error::bad_request(
                        "bad_choice",
                        Text::new(
                            format!("“{q}”的选项“{v}”无效"),
                            format!("the choice `{v}` of `{q}` is not valid"),
                        ),
                    )
                })?;
                choices.insert(q.to_owned(), c);
            }
        }
        let device = device_of(&headers);
        crate::ops::surveys::answer(
            &state,
            id,
            &unit,
            &Answer {
                code: first(&f, "code").to_owned(),
                choices,
                comment: first(&f, "comment").to_owned(),
            },
            &Origin {
                device: device.as_deref(),
                address: &address,
            },
        )
        .await?;
        Ok(see_other(&format!("/s/{id}/{unit}?thanks=1")))
    }
    .await;
    page.finish(r)
}

/// The questionnaire's QR code (SVG).
pub async fn qr(
    State(state): State<AppState>,
    Path((id, unit)): Path<(i64, String)>,
    headers: HeaderMap,
) -> Response {
    // Only for a unit of an existing survey.
    if crate::ops::surveys::public(&state, id, &unit)
        .await
        .is_err()
    {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match crate::ops::surveys::qr_svg(&crate::ops::surveys::link(&state, host, id, &unit)) {
        Ok(svg) => ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response(),
        Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
