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
    pub decided: String,
    pub decided_reason: String,
    /// The ex-ante conclusion and the latest monitoring, in words.
    pub stages: String,
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
    /// (by, at, reason) when this is the table as published.
    published: Option<(String, String, String)>,
    /// Finance, on the live table: the review and publish form.
    may_publish: bool,
    /// Where the form's table comes from (kind, publication), for the publish form.
    kind: String,
    publication: String,
    scheme: String,
    done: bool,
}

fn view<'a>(
    page: &'a Page,
    t: Table,
    q: &AppliedQuery,
    published: Option<&crate::ops::adjustment::Published>,
) -> AdjustmentPage<'a> {
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
            decided: x.decided.clone().unwrap_or_else(dash),
            decided_reason: x.decided_reason.clone(),
            stages: stages(l, x),
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
        published: published.map(|p| {
            (
                p.published_by.clone(),
                l.time(&p.published_at),
                p.reason.clone(),
            )
        }),
        may_publish: false,
        kind: q
            .kind
            .map(|k| {
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .unwrap_or_default(),
        publication: q.publication.map(|p| p.to_string()).unwrap_or_default(),
        scheme: t.scheme.clone(),
        done: false,
        t,
        rows,
        source,
        query,
        printed,
    }
}

/// The ex-ante conclusion and the latest monitoring of a line (`事前评估：予以支持；运行监控：2025-12-31 红色`).
fn stages(l: crate::i18n::L, x: &crate::ops::adjustment::Line) -> String {
    let mut out = Vec::new();
    if let Some(e) = &x.exante {
        out.push(format!(
            "{}{}{}",
            l.t("adj-exante"),
            l.t("colon"),
            l.plain(e)
        ));
    }
    if let Some(m) = &x.monitoring {
        out.push(format!(
            "{}{}{}",
            l.t("adj-monitoring"),
            l.t("colon"),
            l.plain(m)
        ));
    }
    out.join(if l.0 == crate::i18n::Lang::Zh {
        "；"
    } else {
        "; "
    })
}

#[derive(serde::Deserialize)]
pub struct AdjustmentQuery {
    pub kind: Option<crate::live::Kind>,
    pub publication: Option<i64>,
    /// `xlsx` or `pdf` for the file.
    pub format: Option<String>,
    /// `1`: the table as last published.
    pub published: Option<String>,
    /// `1`: just published.
    pub done: Option<String>,
}

pub async fn table(
    page: Page,
    State(state): State<AppState>,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<AdjustmentQuery>,
) -> Response {
    let query = AppliedQuery {
        kind: q.kind,
        publication: q.publication,
    };
    let r = async {
        let published = if q.published.is_some() {
            Some(crate::ops::adjustment::published(&state, &page.caller, &scheme, &period).await?)
        } else {
            None
        };
        let t = match &published {
            Some(p) => p.table.clone(),
            None => {
                crate::ops::adjustment::table(&state, &page.caller, &scheme, &period, &query)
                    .await?
            }
        };
        let may_publish =
            published.is_none() && crate::ops::adjustment::may_publish(&state, &page.caller).await;
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
                    "adj-stages",
                    "adj-recommendation",
                    "adj-coefficient",
                    "adj-suggested",
                    "adj-reason",
                    "adj-decided",
                    "adj-decided-reason",
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
                            stages(l, x).into(),
                            x.recommendation
                                .as_ref()
                                .map(|r| l.plain(r).to_owned())
                                .unwrap_or_default()
                                .into(),
                            num(&x.coefficient),
                            num(&x.suggested),
                            l.plain(&x.reason).into(),
                            num(&x.decided),
                            x.decided_reason.clone().into(),
                        ]
                    })
                    .collect();
                crate::http::download::xlsx(&file, &[Sheet::new(l.t("adj-title"), head, rows)])
            }
            "pdf" => {
                let html = view(&page, t, &query, published.as_ref())
                    .render()
                    .map_err(|e| Error::internal(&e))?;
                let bytes = crate::pdf::print(&state.config.chromium, &html).await?;
                Ok(crate::http::download::pdf(bytes, "adjustment.pdf", &file))
            }
            "html" => {
                let mut v = view(&page, t, &query, published.as_ref());
                v.may_publish = may_publish;
                v.done = q.done.is_some();
                render(&v)
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

/// Finance publishes the table it reviewed: per line another amount (`amount:<project>`) with
/// its reason (`why:<project>`), or the suggestion; then the table as published.
pub async fn publish(
    page: Page,
    State(state): State<AppState>,
    Path((scheme, period)): Path<(String, String)>,
    axum::Form(f): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        page.check_csrf(super::field(&f, "_csrf"))?;
        let mut decisions = Vec::new();
        for (k, v) in &f {
            let (Some(project), false) = (k.strip_prefix("amount:"), v.trim().is_empty()) else {
                continue;
            };
            decisions.push(crate::ops::adjustment::Decision {
                project: project.to_owned(),
                amount: v.trim().to_owned(),
                reason: super::field(&f, &format!("why:{project}")).to_owned(),
            });
        }
        let kind = match super::field(&f, "kind") {
            "" => None,
            k => serde_json::from_value(serde_json::Value::String(k.to_owned())).ok(),
        };
        let b = crate::ops::adjustment::Publish {
            publication: super::field(&f, "publication").parse().ok(),
            kind,
            decisions,
            reason: super::field(&f, "reason").to_owned(),
        };
        crate::ops::adjustment::publish(&state, &page.caller, &scheme, &period, &b).await?;
        Ok(super::see_other(&format!(
            "/budget-adjustment/{scheme}/{period}?published=1&done=1"
        )))
    }
    .await;
    page.finish(r)
}
