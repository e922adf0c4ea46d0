//! Data entry (填报) pages: the forms to fill, one form per unit and period with every
//! indicator the unit reports — its definition, unit of measure, target and worked example
//! beside the fields; rates computed as they are typed; evidence; save or submit; the form as
//! a workbook to fill offline. The form itself is [`crate::ops::entry`]'s.

use super::{CsrfQuery, Ctx, Page, render, see_other, state_label, urlencode};
use crate::i18n::L;
use crate::ops::entry::{Field, Form, FormLink, Saved, Seen, TEMPLATE_COLUMNS, Typed};
use crate::state::AppState;
use crate::xlsx::Cell;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jixiao_core::Decimal;
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use std::collections::BTreeMap;

#[derive(Template)]
#[template(path = "entry_index.html")]
struct IndexPage<'a> {
    ctx: &'a Ctx,
    forms: Vec<FormLink>,
}

#[derive(serde::Deserialize, Default)]
pub struct IndexQuery {
    pub format: Option<String>,
}

pub async fn index(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<IndexQuery>,
) -> Response {
    let r = async {
        let forms = crate::ops::entry::forms(&state, &page.caller).await?;
        if super::wanted_xlsx(&q.format) {
            return index_workbook(page.ctx.l, &forms);
        }
        render(&IndexPage {
            ctx: &page.ctx,
            forms,
        })
    }
    .await;
    page.finish(r)
}

fn index_workbook(l: L, forms: &[FormLink]) -> crate::error::Result<Response> {
    let headers = [
        "col-code",
        "col-unit",
        "col-period",
        "entry-fields",
        "entry-todo",
        "entry-returned",
        "col-deadline",
    ]
    .map(|k| l.t(k))
    .to_vec();
    let rows = forms
        .iter()
        .map(|f| {
            vec![
                Cell::from(f.unit.as_str()),
                l.plain(&f.unit_name).into(),
                f.period.as_str().into(),
                Cell::Num(Decimal::from(f.fields as u64)),
                Cell::Num(Decimal::from(f.todo as u64)),
                Cell::Num(Decimal::from(f.returned as u64)),
                f.deadline
                    .clone()
                    .map_or_else(|| Cell::from(""), Cell::Time),
            ]
        })
        .collect();
    crate::http::download::xlsx_table(&l.t("entry-index-title"), headers, rows)
}

/// How a field reads on the page (the data are the operation's).
impl Field {
    pub fn state(&self, l: &L) -> String {
        state_label(*l, self.view.row.as_ref().map_or("", |r| r.state.as_str()))
    }

    pub fn range(&self, l: &L) -> String {
        match (&self.spec.min, &self.spec.max) {
            (Some(a), Some(b)) => l.ta(
                "entry-range",
                &[("min", &l.num(a, 4)), ("max", &l.num(b, 4))],
            ),
            (Some(a), None) => l.ta("entry-min", &[("min", &l.num(a, 4))]),
            (None, Some(b)) => l.ta("entry-max", &[("max", &l.num(b, 4))]),
            (None, None) => String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "entry.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    unit: String,
    unit_name: Text,
    period: String,
    groups: Vec<crate::ops::entry::Group>,
    /// What went through (styled as a success).
    message: Option<String>,
    /// Submitted, but these are still empty (code, name): the message is a warning that links
    /// to each.
    still_missing: Vec<(String, String)>,
    /// Nothing was saved: the summary, and each problem with its field (code, name, problem),
    /// styled as an error and linked to the field.
    problem: Option<String>,
    problems: Vec<(String, String, String)>,
    can_submit: bool,
    locked: bool,
}

impl FormPage<'_> {
    /// The indicators with nothing left for the caller to fill (folded away).
    fn done_count(&self) -> usize {
        self.groups
            .iter()
            .filter(|g| !g.needs_input() && !g.only_if_it_happened())
            .count()
    }

    /// The indicators whose counts are reported only when something happened.
    fn optional_count(&self) -> usize {
        self.groups
            .iter()
            .filter(|g| g.only_if_it_happened())
            .count()
    }
}

fn form_page(
    page: &Page,
    form: Form,
    message: Option<String>,
    problem: Option<String>,
) -> crate::error::Result<Response> {
    let l = page.ctx.l;
    let still_missing = if message.is_some() {
        form.fields()
            .filter(|f| f.missing())
            .map(|f| (f.spec.code.clone(), l.plain(&f.spec.name).to_owned()))
            .collect()
    } else {
        Vec::new()
    };
    let problems = if problem.is_some() {
        form.fields()
            .filter_map(|f| {
                let e = f.error.clone()?;
                Some((f.spec.code.clone(), l.plain(&f.spec.name).to_owned(), e))
            })
            .collect()
    } else {
        Vec::new()
    };
    render(&FormPage {
        ctx: &page.ctx,
        can_submit: form.can_submit(),
        locked: form.locked(),
        unit: form.unit,
        unit_name: form.unit_name,
        period: form.period,
        groups: form.groups,
        message,
        still_missing,
        problem,
        problems,
    })
}

#[derive(serde::Deserialize)]
pub struct FormQuery {
    pub saved: Option<String>,
}

pub async fn form(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period)): Path<(String, String)>,
    Query(q): Query<FormQuery>,
) -> Response {
    let r = async {
        let form = crate::ops::entry::form(
            &state,
            &page.caller,
            &unit,
            &period,
            &Typed::new(),
            &BTreeMap::new(),
        )
        .await?;
        let message = match q.saved.as_deref() {
            Some("submit") => Some(page.ctx.l.t("entry-submitted")),
            Some("save") => Some(page.ctx.l.t("entry-saved")),
            Some("evidence") => Some(page.ctx.l.t("entry-evidence-added")),
            _ => None,
        };
        form_page(&page, form, message, None)
    }
    .await;
    page.finish(r)
}

/// The answer to a saved form: back to the form with what happened, or the form as typed
/// with each problem beside its field (422; nothing was saved).
fn after_save(
    page: &Page,
    saved: Saved,
    unit: &str,
    period: &str,
    submit: bool,
) -> crate::error::Result<Response> {
    match saved {
        Saved::Done => Ok(see_other(&format!(
            "/entry/{}/{}?saved={}",
            urlencode(unit),
            urlencode(period),
            if submit { "submit" } else { "save" }
        ))),
        Saved::Refused(form) => {
            let n = form.fields().filter(|f| f.error.is_some()).count();
            let msg = page.ctx.l.ta("entry-not-saved", &[("count", &n)]);
            let mut resp = form_page(page, form, None, Some(msg))?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

/// Saves every changed number as a draft and, for "submit", submits everything that can be.
pub async fn save(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period)): Path<(String, String)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        let get = |k: &str| super::field(&pairs, k);
        page.check_csrf(get("_csrf"))?;
        let submit = get("action") == "submit";
        let mut typed = Typed::new();
        let mut seen = Seen::new();
        for (k, v) in &pairs {
            if let Some(e) = k.strip_prefix("v:") {
                typed.entry(e.to_owned()).or_default().0 = v.trim().to_owned();
            } else if let Some(e) = k.strip_prefix("n:") {
                typed.entry(e.to_owned()).or_default().1 = v.trim().to_owned();
            } else if let Some(e) = k.strip_prefix("ver:") {
                seen.insert(e.to_owned(), v.trim().parse().ok());
            }
        }
        let saved = crate::ops::entry::save_form(
            &state,
            &page.caller,
            &unit,
            &period,
            &typed,
            &seen,
            submit,
            page.lang(),
        )
        .await?;
        after_save(&page, saved, &unit, &period, submit)
    }
    .await;
    page.finish(r)
}

/// Attaches an evidence file to one value (the form's file field). The token travels in the
/// query because the body is a multipart form.
pub async fn evidence(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period, element)): Path<(String, String, String)>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        let upload = crate::http::upload::evidence(&state, form).await?;
        let key = crate::ops::values::ValueKey::new(&unit, &element, &period);
        crate::ops::evidence::attach_to_value(&state, &page.caller, &key, upload.incoming())
            .await?;
        Ok(see_other(&format!(
            "/entry/{}/{}?saved=evidence",
            urlencode(&unit),
            urlencode(&period)
        )))
    }
    .await;
    page.finish(r)
}

/// A computed value (a rate) from numbers typed into the form, for the live preview.
pub async fn preview(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period, element)): Path<(String, String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if page.require_signed_in().is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let inputs: BTreeMap<String, Decimal> = q
        .iter()
        .filter_map(|(k, v)| {
            jixiao_core::data::parse_number(v.trim().trim_end_matches(['%', '％']))
                .map(|d| (k.clone(), d))
        })
        .collect();
    let Ok(period) = Period::parse(&period) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match crate::ops::entry::preview(&state, &page.caller, &unit, period, &element, &inputs).await {
        Ok((v, decimals)) => axum::Json(serde_json::json!({
            "value": v.map(|d| page.ctx.l.num(&d, decimals)),
        }))
        .into_response(),
        Err(e) => crate::http::status_of(e.kind).into_response(),
    }
}

/// The checks between elements the numbers typed so far fail (element → problem), for the form
/// to show as the user types; the same checks a save makes.
pub async fn checks(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period)): Path<(String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    match crate::ops::entry::live_checks(&state, &page.caller, &unit, &period, &q, page.lang())
        .await
    {
        Ok(problems) => axum::Json(serde_json::json!({ "problems": problems })).into_response(),
        Err(e) => crate::http::status_of(e.kind).into_response(),
    }
}

/// The form as an Excel workbook, one row per number, to fill in offline and upload.
pub async fn template(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period)): Path<(String, String)>,
) -> Response {
    let r = async {
        let form = crate::ops::entry::form(
            &state,
            &page.caller,
            &unit,
            &period,
            &Typed::new(),
            &BTreeMap::new(),
        )
        .await?;
        let l = page.ctx.l;
        let rows = form
            .groups
            .iter()
            .flat_map(|g| g.fields.iter().map(move |f| (g, f)))
            .map(|(g, f)| {
                vec![
                    Cell::from(f.spec.code.as_str()),
                    l.plain(&g.spec.name).into(),
                    l.plain(&f.spec.name).into(),
                    jixiao_core::text::measure(&f.spec.unit, l.into()).into(),
                    f.spec.definition.as_ref().map_or("", |d| l.plain(d)).into(),
                    f.state(&l).into(),
                    f.input.as_str().into(),
                    f.note.as_str().into(),
                ]
            })
            .collect();
        let title = format!("{unit}-{period}");
        crate::http::download::xlsx(
            &format!("{title}-{}", l.plain(&form.unit_name)),
            &[crate::xlsx::Sheet::new(
                title,
                TEMPLATE_COLUMNS.map(|k| l.t(k)).to_vec(),
                rows,
            )],
        )
    }
    .await;
    page.finish(r)
}

/// Reads a filled-in workbook of the form and saves its numbers as drafts, exactly as the form
/// would.
pub async fn upload(
    page: Page,
    State(state): State<AppState>,
    Path((unit, period)): Path<(String, String)>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        let upload = crate::http::upload::read(form, || {
            crate::error::Error::bad_request(
                "bad_upload",
                Text::new("上传失败：文件过大", "upload failed: the file is too large"),
            )
        })
        .await?;
        let file = upload
            .file
            .as_ref()
            .map(|f| (f.name.as_deref().unwrap_or("upload.xlsx"), &f.bytes[..]));
        let saved =
            crate::ops::entry::upload_form(&state, &page.caller, &unit, &period, file, page.lang())
                .await?;
        after_save(&page, saved, &unit, &period, false)
    }
    .await;
    page.finish(r)
}
