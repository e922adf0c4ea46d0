//! The 结果运用 report page for the office and the district's leaders: on screen, as a
//! workbook and as an A4 PDF. See [`crate::ops::applied`].

use super::{Ctx, Page, render};
use crate::error::Error;
use crate::ops::applied::{Applied, AppliedQuery};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

/// The report's query and the file format. (Not `#[serde(flatten)]`: a flattened query reads
/// every value as text, and `publication=7` would not read as a number.)
#[derive(serde::Deserialize, Default)]
pub struct AppliedPageQuery {
    pub kind: Option<crate::live::Kind>,
    pub publication: Option<i64>,
    /// `xlsx` or `pdf` for the file.
    pub format: Option<String>,
}

pub struct Row {
    pub rank: String,
    pub unit: String,
    pub name: String,
    pub total: String,
    pub grade: String,
    pub veto: String,
    /// (value, reason) of each outcome, in the order of the heads.
    pub cells: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "applied.html")]
struct AppliedPage<'a> {
    ctx: &'a Ctx,
    title: String,
    period_label: String,
    source: String,
    /// The query that gives this same report (for the file links).
    query: String,
    heads: Vec<(String, String)>,
    classes: Vec<(String, Vec<Row>)>,
    summary: Vec<(String, Vec<(String, usize)>)>,
    print_head: String,
    printed: String,
    scheme: String,
}

/// Where results-applied outcomes come from, in words: a publication's revision and time, or
/// the live kind.
pub(super) fn source_label(l: crate::i18n::L, s: &crate::ops::applied::Source) -> String {
    match (s.revision, &s.published_at) {
        (Some(rev), Some(at)) => format!(
            "{} · {}",
            l.tn("publish-revision", "revision", rev),
            l.time(at)
        ),
        _ if s.kind == "provisional" => l.t("kind-provisional"),
        _ => l.t("kind-official"),
    }
}

/// The query that reads the same outcomes again (for a page's file links).
pub(super) fn query_of(q: &AppliedQuery) -> String {
    match (q.publication, q.kind) {
        (Some(id), _) => format!("publication={id}"),
        (None, Some(crate::live::Kind::Provisional)) => "kind=provisional".to_owned(),
        _ => "kind=official".to_owned(),
    }
}

fn view<'a>(page: &'a Page, a: &Applied, decimals: u32, q: &AppliedQuery) -> AppliedPage<'a> {
    let l = page.ctx.l;
    let printed = l.now();
    let period_label = jixiao_core::period::Period::parse(&a.period)
        .map(|p| p.label(l.into()))
        .unwrap_or_else(|_| a.period.clone());
    let source = source_label(l, &a.source);
    let query = query_of(q);
    AppliedPage {
        ctx: &page.ctx,
        title: l.html(&a.title),
        print_head: super::print_header(
            &format!(
                "{} · {} · {}",
                l.plain(&a.title),
                period_label,
                l.t("applied-title")
            ),
            &l.ta("print-stamp", &[("date", &printed)]),
        ),
        period_label,
        source,
        scheme: a.scheme.clone(),
        query,
        heads: a
            .applications
            .iter()
            .map(|h| {
                (
                    l.plain(&h.name).to_owned(),
                    h.basis
                        .as_ref()
                        .map_or_else(String::new, |b| l.plain(b).to_owned()),
                )
            })
            .collect(),
        classes: a
            .classes
            .iter()
            .map(|c| {
                (
                    l.plain(&c.name).to_owned(),
                    c.rows
                        .iter()
                        .map(|r| Row {
                            rank: r.rank.map_or_else(|| "—".to_owned(), |k| k.to_string()),
                            unit: r.unit.clone(),
                            name: l.plain(&r.name).to_owned(),
                            total: r
                                .total
                                .as_deref()
                                .and_then(|t| t.parse::<jixiao_core::Decimal>().ok())
                                .map_or_else(|| "—".to_owned(), |d| l.score(&d, decimals)),
                            grade: r
                                .grade
                                .as_ref()
                                .map_or_else(String::new, |g| l.plain(g).to_owned()),
                            veto: r
                                .veto
                                .as_ref()
                                .map_or_else(String::new, |v| l.plain(v).to_owned()),
                            cells: a
                                .applications
                                .iter()
                                .map(|h| {
                                    r.outcomes.iter().find(|o| o.code == h.code).map_or_else(
                                        || ("—".to_owned(), String::new()),
                                        |o| {
                                            (
                                                l.plain(&o.shown).to_owned(),
                                                l.plain(&o.reason).to_owned(),
                                            )
                                        },
                                    )
                                })
                                .collect(),
                        })
                        .collect(),
                )
            })
            .collect(),
        summary: a
            .summary
            .iter()
            .map(|s| {
                (
                    l.plain(&s.name).to_owned(),
                    s.counts
                        .iter()
                        .map(|(v, n)| (l.plain(v).to_owned(), *n))
                        .collect(),
                )
            })
            .collect(),
        printed,
    }
}

pub async fn report(
    page: Page,
    State(state): State<AppState>,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<AppliedPageQuery>,
) -> Response {
    let query = AppliedQuery {
        kind: q.kind,
        publication: q.publication,
    };
    let r = async {
        let a = crate::ops::applied::report(&state, &page.caller, &scheme, &period, &query).await?;
        let l = page.ctx.l;
        let file = format!("{scheme}-{period}-{}", l.t("applied-title"));
        match q.format.as_deref().unwrap_or("html") {
            "xlsx" => crate::http::download::xlsx(
                &file,
                &crate::ops::applied::workbook_sheets(&a, l.into()),
            ),
            "pdf" => {
                let decimals = crate::ops::results::display_decimals(&state, &scheme).await;
                let html = view(&page, &a, decimals, &query)
                    .render()
                    .map_err(|e| Error::internal(&e))?;
                let bytes = crate::pdf::print(&state.config.chromium, &html).await?;
                Ok(crate::http::download::pdf(bytes, "applied.pdf", &file))
            }
            "html" => {
                let decimals = crate::ops::results::display_decimals(&state, &scheme).await;
                render(&view(&page, &a, decimals, &query))
            }
            other => Err(Error::bad_request(
                "bad_format",
                jixiao_core::text::Text::new(
                    format!("不支持的格式“{other}”：用 xlsx 或 pdf"),
                    format!("unsupported format `{other}`: use xlsx or pdf"),
                ),
            )),
        }
    }
    .await;
    page.finish(r)
}
