//! Earlier results (往期结果) of a scheme's series for the office: each period's grades (from
//! publications or recorded by the office), the template to fill in, and the upload that records
//! one earlier period. See [`crate::ops::earlier`].

use super::{CsrfQuery, Ctx, Page, render};
use crate::error::Result;
use crate::ops::earlier::{Earlier, RecordBody};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use jixiao_core::access::Action;
use jixiao_core::period::Period;

/// One period: (period label, source, recorded by, when, rows (unit, name, grade, total,
/// rank)).
type Shown = (
    String,
    String,
    String,
    String,
    Vec<(String, String, String, String, String)>,
);

#[derive(Template)]
#[template(path = "earlier.html")]
struct EarlierPage<'a> {
    ctx: &'a Ctx,
    e: Earlier,
    /// (name, code) of each grade.
    grades: Vec<(String, String)>,
    periods: Vec<Shown>,
    can_record: bool,
    done: Option<usize>,
    problems: Vec<String>,
    /// What the form held when it was refused.
    period: String,
    reason: String,
}

#[derive(serde::Deserialize)]
pub struct FormatQuery {
    pub format: Option<String>,
}

async fn page_of(
    page: &Page,
    state: &AppState,
    scheme: &str,
    done: Option<usize>,
    problems: Vec<String>,
    form: (String, String),
) -> Result<Response> {
    let e = crate::ops::earlier::list(state, &page.caller, scheme).await?;
    let can_record = crate::ops::allow(state, &page.caller, Action::Publish { scheme })
        .await
        .is_ok();
    let l = page.ctx.l;
    let grade_name = |code: &Option<String>| {
        code.as_deref().map_or_else(
            || "—".to_owned(),
            |c| {
                e.grades
                    .iter()
                    .find(|g| g.code == c)
                    .map_or_else(|| c.to_owned(), |g| l.plain(&g.name).to_owned())
            },
        )
    };
    let periods = e
        .periods
        .iter()
        .map(|p| {
            let label = Period::parse(&p.period)
                .map_or_else(|_| p.period.clone(), |q| q.label(page.lang()));
            let source = match p.publication_id {
                Some(id) => l.tn("earlier-from-publication", "id", id),
                None => l.t("earlier-recorded"),
            };
            let rows = p
                .rows
                .iter()
                .map(|r| {
                    (
                        r.unit_code.clone(),
                        e.names
                            .get(&r.unit_code)
                            .map_or_else(String::new, |n| l.plain(n).to_owned()),
                        grade_name(&r.grade),
                        r.total.clone().unwrap_or_default(),
                        r.rank.map_or_else(String::new, |k| k.to_string()),
                    )
                })
                .collect();
            (
                label,
                source,
                p.recorded_by.clone(),
                l.time(&p.recorded_at),
                rows,
            )
        })
        .collect();
    let grades = e
        .grades
        .iter()
        .map(|g| (l.plain(&g.name).to_owned(), g.code.clone()))
        .collect();
    render(&EarlierPage {
        ctx: &page.ctx,
        e,
        grades,
        periods,
        can_record,
        done,
        problems,
        period: form.0,
        reason: form.1,
    })
}

pub async fn page(
    page: Page,
    State(state): State<AppState>,
    Path(scheme): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Response {
    let r = async {
        if super::wanted_xlsx(&q.format) {
            let bytes = crate::ops::earlier::template(&state, &page.caller, &scheme).await?;
            return Ok(crate::http::download::attachment(
                bytes,
                crate::xlsx::MIME,
                "template.xlsx",
                &format!("{scheme}-earlier.xlsx"),
            ));
        }
        page_of(&page, &state, &scheme, None, Vec::new(), Default::default()).await
    }
    .await;
    page.finish(r)
}

pub async fn upload(
    page: Page,
    State(state): State<AppState>,
    Path(scheme): Path<String>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        let (name, bytes, picked) = super::imports::fields(form).await?;
        let period = super::field(&picked, "period").trim().to_owned();
        let reason = super::field(&picked, "reason").to_owned();
        let lang = page.lang();
        let shown = |i: &jixiao_core::issue::Issues| i.iter().map(|x| x.render(lang)).collect();
        let (rows, upload) = match crate::ops::earlier::read_upload(&name, &bytes) {
            Ok(x) => x,
            Err(i) => {
                return page_of(&page, &state, &scheme, None, shown(&i), (period, reason)).await;
            }
        };
        let b = RecordBody {
            period: period.clone(),
            reason: reason.clone(),
            rows,
        };
        match crate::ops::earlier::record(&state, &page.caller, &scheme, &b, Some(&upload)).await? {
            Ok(n) => {
                page_of(
                    &page,
                    &state,
                    &scheme,
                    Some(n),
                    Vec::new(),
                    Default::default(),
                )
                .await
            }
            Err(i) => page_of(&page, &state, &scheme, None, shown(&i), (period, reason)).await,
        }
    }
    .await;
    page.finish(r)
}
