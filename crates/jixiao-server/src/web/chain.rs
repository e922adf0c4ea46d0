//! The 五链 page of one indicator. See [`crate::ops::chain`].

use super::{Ctx, Page, render};
use crate::ops::chain::{Chain, ChainQuery};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

pub struct Row {
    pub unit: String,
    pub name: String,
    pub target: String,
    pub numbers: Vec<(String, String, String)>,
    pub waiting: usize,
    /// (link, level, text) of each open warning.
    pub warnings: Vec<(String, String, String)>,
    pub score: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "chain.html")]
struct ChainPage<'a> {
    ctx: &'a Ctx,
    c: Chain,
    title: String,
    name: String,
    method: String,
    target: String,
    definition: String,
    responsible: Vec<(String, String, String)>,
    classes: Vec<(String, String, Vec<Row>)>,
    kind: &'static str,
}

pub async fn chain(
    page: Page,
    State(state): State<AppState>,
    Path((scheme, period, indicator)): Path<(String, String, String)>,
    Query(q): Query<ChainQuery>,
) -> Response {
    let r = async {
        let c = crate::ops::chain::chain(&state, &page.caller, &scheme, &period, &indicator, &q)
            .await?;
        let l = page.ctx.l;
        let decimals = crate::ops::results::display_decimals(&state, &scheme).await;
        let measure = |d: &Option<jixiao_core::Decimal>| {
            d.as_ref().map_or_else(
                || "—".to_owned(),
                |d| format!("{} {}", l.num(d, 4), l.unit(&c.unit)),
            )
        };
        let classes = c
            .classes
            .iter()
            .map(|k| {
                let rate = k
                    .rate
                    .map_or_else(|| "—".to_owned(), |r| format!("{}%", l.score(&r, 1)));
                (
                    l.html(&k.name),
                    rate,
                    k.rows
                        .iter()
                        .map(|r| Row {
                            unit: r.unit.clone(),
                            name: l.html(&r.name),
                            target: measure(&r.target),
                            numbers: r
                                .numbers
                                .iter()
                                .map(|n| {
                                    (
                                        l.plain(&n.name).to_owned(),
                                        n.value.clone().unwrap_or_else(|| "—".to_owned()),
                                        n.state.as_deref().map_or_else(
                                            || l.t("state-empty"),
                                            |s| l.t(&format!("state-{s}")),
                                        ),
                                    )
                                })
                                .collect(),
                            waiting: r.waiting,
                            warnings: r
                                .warnings
                                .iter()
                                .map(|w| {
                                    (
                                        format!("/warnings/{}", w.id),
                                        w.level.clone(),
                                        l.t(&format!("warning-{}", w.level)),
                                    )
                                })
                                .collect(),
                            score: format!(
                                "{} / {}",
                                l.score(&r.score, decimals),
                                l.num(&r.points, 4)
                            ),
                            state: l.t(match r.state.as_str() {
                                "missing_zero" => "card-missing-zero",
                                "excluded" => "card-excluded",
                                "blocked" => "card-blocked",
                                _ => "chain-scored",
                            }),
                        })
                        .collect(),
                )
            })
            .collect();
        let responsible = c
            .responsible
            .iter()
            .map(|r| {
                (
                    l.t(&format!("chain-{}", r.role)),
                    format!(
                        "{} <small class=\"code\">{}</small>",
                        l.html(&r.name),
                        r.unit
                    ),
                    format!("{}%", l.num(&r.share, 2)),
                )
            })
            .collect();
        render(&ChainPage {
            ctx: &page.ctx,
            title: l.html(&c.title),
            name: l.html(&c.name),
            method: l.html(&c.method),
            target: measure(&c.target),
            definition: c
                .definition
                .as_ref()
                .map_or_else(String::new, |d| l.html(d)),
            responsible,
            classes,
            kind: match c.kind {
                crate::live::Kind::Official => "official",
                crate::live::Kind::Provisional => "provisional",
            },
            c,
        })
    }
    .await;
    page.finish(r)
}
