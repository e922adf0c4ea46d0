//! The next year's budget-adjustment table for finance: on screen, as a workbook and as an A4
//! PDF. See [`crate::ops::adjustment`].

use super::{Ctx, Page, render};
use crate::error::Error;
use crate::ops::adjustment::Table;
use crate::ops::applied::AppliedQuery;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

pub struct Row {
    pub code: String,
    pub name: String,
    pub dept: String,
    pub amount: String,
    pub total: String,
    pub grade: String,
    pub recommendation: String,
    pub coefficient: String,
    pub suggested: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "budget_adjustment.html")]
struct AdjustmentPage<'a> {
    ctx: &'a Ctx,
    t: Table,
    rows: Vec<Row>,
    source: String,
    query: String,
    print_head: String,
    printed: String,
}

fn view<'a>(page: &'a Page, t: Table, q: &AppliedQuery) -> AdjustmentPage<'a> {
    let l = page.ctx.l;
    let printed = l.now();
    let dash = || "—".to_owned();
    let source = super::applied::source_label(l, &t.source);
    let query = super::applied::query_of(q);
    let rows = t
        .lines
        .iter()
        .map(|x| Row {
            code: x.project.clone(),
            name: l.html(&x.name),
            dept: x.dept_name.as_ref().map_or_else(dash, |n| l.html(n)),
            amount: x.amount.clone().unwrap_or_else(dash),
            total: x
                .total
                .as_deref()
                .and_then(|s| s.parse::<jixiao_core::Decimal>().ok())
                .map_or_else(dash, |d| l.score(&d, 2)),
            grade: x
                .grade
                .as_ref()
                .map_or_else(dash, |g| l.plain(g).to_owned()),
            recommendation: x
                .recommendation
                .as_ref()
                .map_or_else(dash, |r| l.plain(r).to_owned()),
            coefficient: x.coefficient.clone().unwrap_or_else(dash),
            suggested: x.suggested.clone().unwrap_or_else(dash),
            reason: l.plain(&x.reason).to_owned(),
        })
        .collect();
    AdjustmentPage {
        ctx: &page.ctx,
        print_head: super::print_header(
            &format!(
                "{} · {} · {}",
                l.plain(&t.title),
                t.period,
                l.t("adj-title")
            ),
            &l.ta("print-stamp", &[("date", &printed)]),
        ),
        t,
        rows,
        source,
        query,
        printed,
    }
}

pub async fn table(
    page: Page,
    State(state): State<AppState>,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<super::applied::AppliedPageQuery>,
) -> Response {
    let query = AppliedQuery {
        kind: q.kind,
        publication: q.publication,
    };
    let r = async {
        let t =
            crate::ops::adjustment::table(&state, &page.caller, &scheme, &period, &query).await?;
        let l = page.ctx.l;
        let file = format!("{scheme}-{period}-{}", l.t("adj-title"));
        match q.format.as_deref().unwrap_or("html") {
            "xlsx" => {
                use crate::xlsx::{Cell, Sheet};
                let head = [
                    "col-code",
                    "proj-name",
                    "proj-dept",
                    "adj-current",
                    "col-total",
                    "col-grade",
                    "adj-recommendation",
                    "adj-coefficient",
                    "adj-suggested",
                    "adj-reason",
                ]
                .iter()
                .map(|k| l.t(k))
                .collect();
                let num = |s: &Option<String>| {
                    s.as_deref()
                        .and_then(|s| s.parse::<jixiao_core::Decimal>().ok())
                        .map_or_else(|| Cell::Text(String::new()), Cell::Num)
                };
                let rows = t
                    .lines
                    .iter()
                    .map(|x| {
                        vec![
                            Cell::from(x.project.clone()),
                            l.plain(&x.name).into(),
                            x.dept_name
                                .as_ref()
                                .map(|n| l.plain(n).to_owned())
                                .unwrap_or_default()
                                .into(),
                            num(&x.amount),
                            num(&x.total),
                            x.grade
                                .as_ref()
                                .map(|g| l.plain(g).to_owned())
                                .unwrap_or_default()
                                .into(),
                            x.recommendation
                                .as_ref()
                                .map(|r| l.plain(r).to_owned())
                                .unwrap_or_default()
                                .into(),
                            num(&x.coefficient),
                            num(&x.suggested),
                            l.plain(&x.reason).into(),
                        ]
                    })
                    .collect();
                crate::http::download::xlsx(&file, &[Sheet::new(l.t("adj-title"), head, rows)])
            }
            "pdf" => {
                let html = view(&page, t, &query)
                    .render()
                    .map_err(|e| Error::internal(&e))?;
                let bytes = crate::pdf::print(&state.config.chromium, &html).await?;
                Ok(crate::http::download::pdf(bytes, "adjustment.pdf", &file))
            }
            "html" => render(&view(&page, t, &query)),
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
