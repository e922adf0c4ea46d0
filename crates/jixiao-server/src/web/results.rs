//! Results pages: the district dashboard (rankings per class with grades, grade distribution,
//! movement since the last period, completeness of reporting, warnings), a unit's report card
//! (成绩单) with every score explained, publication by the office and the public page (公示).
//! The results are [`crate::ops::results`]'s and [`crate::ops::publications`]'s.

use super::charts::{self, Bar};
use super::{Ctx, Page, render, see_other, urlencode};
use crate::error::{Error, Result};
use crate::i18n::L;
use crate::live::Kind;
use crate::ops::results::{Card, Dashboard, Warning};
use crate::state::AppState;
use crate::xlsx::{Cell, Sheet};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use jixiao_core::Decimal;
use jixiao_core::text::Text;

#[derive(serde::Deserialize, Default)]
pub struct KindQuery {
    pub kind: Option<Kind>,
    /// `xlsx` for the page's tables as a workbook.
    pub format: Option<String>,
    /// How many units were just reminded (催报), after the dashboard's button.
    pub reminded: Option<usize>,
}

/// A row of a class's ranking on the dashboard.
pub struct RankRow {
    pub rank_n: Option<u32>,
    pub plain_name: String,
    pub total_n: Option<Decimal>,
    pub rank: String,
    pub unit: String,
    pub name: String,
    pub total: String,
    pub grade: String,
    /// Places gained (+) or lost (−) since the previous period; empty when unknown.
    pub movement: String,
    pub complete: String,
    /// Reported by the deadline over expected; `—` when the period has no deadline.
    pub on_time: String,
    pub href: String,
}

/// A warning raised by the provisional data (submitted and beyond).
pub struct WarnRow {
    pub red: bool,
    /// `red`, `orange` or `yellow` (the row's and the badge's class).
    pub class: &'static str,
    pub level: String,
    pub unit: String,
    pub plain_unit: String,
    pub href: String,
    pub rule: String,
    pub plain_rule: String,
    pub value: String,
    pub value_n: Decimal,
}

fn warn_row(l: L, scheme: &str, period: &str, w: &Warning) -> WarnRow {
    WarnRow {
        red: w.level == jixiao_core::warnings::Level::Red,
        class: w.level.code(),
        level: l.t(&format!("warning-{}", w.level.code())),
        unit: l.html(&w.unit_name),
        plain_unit: l.plain(&w.unit_name).to_owned(),
        href: format!(
            "/report/{}/{}/{}",
            urlencode(scheme),
            urlencode(period),
            urlencode(&w.unit)
        ),
        rule: l.html(&w.rule),
        plain_rule: l.plain(&w.rule).to_owned(),
        value: format!("{} {}", l.num(&w.value, 2), l.unit(&w.measure)),
        value_n: w.value,
    }
}

pub struct ClassView {
    pub plain_name: String,
    pub name: String,
    pub units: usize,
    pub chart: String,
    pub rows: Vec<RankRow>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    ctx: &'a Ctx,
    scheme: String,
    scheme_title: String,
    period: String,
    kind: &'static str,
    periods: Vec<(String, bool)>,
    classes: Vec<ClassView>,
    distribution: String,
    incomplete: usize,
    /// The units that have not reported everything: (name HTML, code, reported, expected),
    /// to follow up (催报).
    missing: Vec<(String, String, usize, usize)>,
    warnings: Vec<WarnRow>,
    /// What the ranking table's columns mean: what 名次变化 compares with, what 按期报送
    /// counts.
    legend: Vec<String>,
    /// Open warnings by age and level, rectification per unit.
    followup: Option<super::followup::FollowUpPanel>,
    /// Whether the caller may remind the units that have not reported (催报).
    can_remind: bool,
    reminded: Option<String>,
}

impl DashboardPage<'_> {
    fn reds(&self) -> usize {
        self.warnings.iter().filter(|w| w.red).count()
    }
}

pub async fn dashboard_default(page: Page, State(state): State<AppState>) -> Response {
    if let Err(e) = crate::ops::allow(
        &state,
        &page.caller,
        jixiao_core::access::Action::ReadRankings,
    )
    .await
    {
        return page.finish(Err(e));
    }
    match crate::ops::results::current_period(&state).await {
        Some((s, p)) => see_other(&format!("/dashboard/{}/{}", urlencode(&s), urlencode(&p))),
        None => page.finish(Err(Error::not_found("已发布的方案", "published scheme"))),
    }
}

pub async fn dashboard(
    page: Page,
    State(state): State<AppState>,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<KindQuery>,
) -> Response {
    let r = async {
        let kind = q.kind.unwrap_or(Kind::Official);
        let d =
            crate::ops::results::dashboard(&state, &page.caller, &scheme, &period, kind).await?;
        let mut view = dashboard_view(&page, &scheme, &period, kind, d);
        if super::wanted_xlsx(&q.format) {
            return dashboard_workbook(page.ctx.l, &view);
        }
        view.followup = Some(super::followup::panel(&state, &page).await?);
        view.can_remind = crate::ops::allow(
            &state,
            &page.caller,
            jixiao_core::access::Action::RemindUnits,
        )
        .await
        .is_ok();
        view.reminded = q
            .reminded
            .map(|n| page.ctx.l.tn("dashboard-reminded", "count", n));
        render(&view)
    }
    .await;
    page.finish(r)
}

fn dashboard_view<'a>(
    page: &'a Page,
    scheme: &str,
    period: &str,
    kind: Kind,
    d: Dashboard,
) -> DashboardPage<'a> {
    let l = page.ctx.l;
    let mut grade_counts: Vec<(String, usize)> = d
        .grades
        .iter()
        .map(|g| (l.plain(g).to_owned(), 0))
        .collect();
    let mut incomplete = 0;
    let mut missing = Vec::new();
    let mut classes = Vec::new();
    for c in &d.report.classes {
        let mut rows = Vec::new();
        let mut bars = Vec::new();
        for row in &c.rows {
            let unit = row.unit.to_string();
            let grade = row
                .grade
                .as_ref()
                .map(|g| l.plain(&g.name).to_owned())
                .unwrap_or_default();
            if let Some(slot) = grade_counts.iter_mut().find(|(n, _)| *n == grade) {
                slot.1 += 1;
            }
            let movement = match (row.rank, d.previous.get(&unit)) {
                (Some(now), Some(then)) if *then > now => format!("↑{}", then - now),
                (Some(now), Some(then)) if *then < now => format!("↓{}", now - then),
                (Some(_), Some(_)) => "=".into(),
                _ => String::new(),
            };
            let rep = d.reporting.get(&unit).cloned().unwrap_or_default();
            let (done, all) = (rep.reported, rep.expected);
            if done < all {
                incomplete += 1;
                missing.push((l.html(&row.name), unit.clone(), done, all));
            }
            bars.push(Bar {
                label: l.plain(&row.name).to_owned(),
                value: row.total,
                note: grade.clone(),
                highlight: page.caller.principal.unit.as_deref() == Some(unit.as_str()),
            });
            rows.push(RankRow {
                rank_n: row.rank,
                plain_name: l.plain(&row.name).to_owned(),
                total_n: row.total,
                rank: row.rank.map_or("—".into(), |r| r.to_string()),
                name: l.html(&row.name),
                total: l.opt_score(&row.total, d.decimals),
                grade,
                movement,
                complete: format!("{done}/{all}"),
                on_time: if d.deadline.is_some() {
                    format!("{}/{all}", rep.on_time)
                } else {
                    "—".into()
                },
                href: format!(
                    "/report/{}/{}/{}",
                    urlencode(scheme),
                    urlencode(period),
                    urlencode(&unit)
                ),
                unit,
            });
        }
        let title = l.ta("dashboard-chart-title", &[("class", &l.plain(&c.name))]);
        classes.push(ClassView {
            plain_name: l.plain(&c.name).to_owned(),
            name: l.html(&c.name),
            units: c.units,
            chart: charts::bars(
                &format!("c-{}", c.code),
                &title,
                &l.ta("dashboard-chart-axis", &[("points", &l.num(&c.points, 2))]),
                &bars,
                c.points,
                d.decimals,
            ),
            rows,
        });
    }
    let mut periods: Vec<(String, bool)> = d
        .periods
        .iter()
        .map(|k| (k.to_string(), *k == d.period))
        .collect();
    periods.sort();
    DashboardPage {
        ctx: &page.ctx,
        scheme_title: l.html(&d.title),
        scheme: scheme.to_owned(),
        period: period.to_owned(),
        kind: match kind {
            Kind::Official => "official",
            Kind::Provisional => "provisional",
        },
        periods,
        classes,
        distribution: charts::columns("grades", &l.t("dashboard-distribution"), &grade_counts),
        incomplete,
        missing,
        legend: vec![
            l.ta(
                "dashboard-movement-legend",
                &[("previous", &d.period.previous().label(l.into()))],
            ),
            match &d.deadline {
                Some(t) => l.ta("dashboard-on-time-legend", &[("deadline", &l.time(t))]),
                None => l.t("dashboard-on-time-none"),
            },
        ],
        warnings: d
            .warnings
            .iter()
            .map(|w| warn_row(l, scheme, period, w))
            .collect(),
        followup: None,
        can_remind: false,
        reminded: None,
    }
}

fn dashboard_workbook(l: L, page: &DashboardPage<'_>) -> Result<Response> {
    let headers = [
        "col-rank",
        "col-code",
        "col-unit",
        "col-total",
        "col-grade",
        "col-movement",
        "col-complete",
        "col-on-time",
    ]
    .map(|k| l.t(k))
    .to_vec();
    let mut sheets: Vec<Sheet> = page
        .classes
        .iter()
        .map(|c| {
            Sheet::new(
                c.plain_name.clone(),
                headers.clone(),
                c.rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.rank_n.map(Decimal::from).into(),
                            r.unit.as_str().into(),
                            r.plain_name.as_str().into(),
                            r.total_n.into(),
                            r.grade.as_str().into(),
                            r.movement.as_str().into(),
                            r.complete.as_str().into(),
                            r.on_time.as_str().into(),
                        ]
                    })
                    .collect(),
            )
        })
        .collect();
    sheets.push(Sheet::new(
        l.t("warnings-title"),
        ["warning-level", "col-unit", "warning-rule", "col-value"]
            .map(|k| l.t(k))
            .to_vec(),
        page.warnings
            .iter()
            .map(|w| {
                vec![
                    w.level.as_str().into(),
                    w.plain_unit.as_str().into(),
                    w.plain_rule.as_str().into(),
                    w.value_n.into(),
                ]
            })
            .collect(),
    ));
    let file = format!("{}-{}-{}", page.scheme, page.period, l.t("dashboard-title"));
    crate::http::download::xlsx(&file, &sheets)
}

pub async fn report_default(page: Page, State(state): State<AppState>) -> Response {
    if let Err(e) = page.require_signed_in() {
        return page.finish(Err(e));
    }
    let Some(u) = page.caller.principal.unit.clone() else {
        return see_other("/dashboard");
    };
    match crate::ops::results::card_period(&state, &u).await {
        Some((s, p)) => see_other(&format!(
            "/report/{}/{}/{}",
            urlencode(&s),
            urlencode(&p),
            urlencode(&u)
        )),
        None => page.finish(Err(Error::not_found(
            "本单位的考核结果",
            "results of your unit",
        ))),
    }
}

/// An indicator on the report card.
pub struct CardRow {
    /// For the workbook: the name as text and the numbers as numbers.
    pub plain: (
        String,
        Option<Decimal>,
        Option<Decimal>,
        Option<Decimal>,
        Option<Decimal>,
    ),
    pub name: String,
    pub module: String,
    pub points: String,
    pub score: String,
    pub inputs: Vec<String>,
    pub target: String,
    pub steps: Vec<String>,
    pub average: String,
    pub last: String,
    pub state: String,
    pub evidence: Vec<(String, String)>,
}

pub struct Neighbour {
    pub rank: String,
    pub name: String,
    pub total: String,
    pub gap: String,
}

#[derive(Template)]
#[template(path = "report_card.html")]
struct CardPage<'a> {
    ctx: &'a Ctx,
    scheme_title: String,
    period_label: String,
    unit_name: String,
    class_name: String,
    rank: String,
    units: usize,
    total: String,
    grade: String,
    kind: &'static str,
    rows: Vec<CardRow>,
    unit_steps: Vec<String>,
    standing: Vec<String>,
    /// What became of the unit after the period, and whom it took over (HTML).
    lineage: Vec<String>,
    neighbours: Vec<Neighbour>,
    /// Results applied (结果运用): name, value, why, the document that sets the rule.
    outcomes: Vec<(String, String, String, String)>,
    radar: String,
    trend: String,
    scheme_version: i64,
    scheme_hash: String,
    /// When it was printed (Beijing time), for the signature block.
    printed: String,
    /// The running header of every printed page.
    print_head: String,
}

pub async fn report_card(
    page: Page,
    State(state): State<AppState>,
    Path((scheme, period, unit)): Path<(String, String, String)>,
    Query(q): Query<KindQuery>,
) -> Response {
    let r = async {
        let kind = q.kind.unwrap_or(Kind::Official);
        let card =
            crate::ops::results::card(&state, &page.caller, &scheme, &period, &unit, kind).await?;
        let l = page.ctx.l;
        let district = crate::ops::publications::district_name(&state).await?;
        match q.format.as_deref().unwrap_or("html") {
            "xlsx" => card_workbook(l, &card, &unit, &period),
            "pdf" => {
                let html = card_view(&page, card, &district)
                    .render()
                    .map_err(|e| Error::internal(&e))?;
                let bytes = crate::pdf::print(&state.config.chromium, &html).await?;
                let file = format!("{unit}-{period}-{}", l.t("card-title"));
                Ok(crate::http::download::pdf(bytes, "report-card.pdf", &file))
            }
            _ => render(&card_view(&page, card, &district)),
        }
    }
    .await;
    page.finish(r)
}

fn card_rows(l: L, card: &Card) -> Vec<CardRow> {
    card.result
        .row
        .indicators
        .iter()
        .flatten()
        .zip(&card.indicators)
        .map(|(ind, more)| {
            let ex = ind.explanation.as_ref();
            let mut inputs: Vec<String> = ex
                .iter()
                .flat_map(|e| &e.inputs)
                .map(|i| {
                    format!(
                        "{}: {} {}",
                        l.html(&i.name),
                        i.value.map_or("—".into(), |d| l.num(&d, 4)),
                        l.unit(&i.unit)
                    )
                })
                .collect();
            inputs.extend(more.reported.iter().map(|(name, value, unit)| {
                format!(
                    "{}: {} {}",
                    l.html(name),
                    crate::i18n::escape(value),
                    l.unit(unit)
                )
            }));
            CardRow {
                plain: (
                    l.plain(&ind.name).to_owned(),
                    Some(ind.score),
                    Some(ind.points),
                    more.average,
                    more.last,
                ),
                name: l.html(&ind.name),
                module: ex
                    .and_then(|e| e.module_path.first())
                    .map(|t| l.html(t))
                    .unwrap_or_default(),
                points: l.num(&ind.points, 2),
                score: l.score(&ind.score, card.decimals),
                inputs,
                target: more
                    .target
                    .as_ref()
                    .map(|(t, u)| format!("{} {}", l.num(t, 4), l.unit(u)))
                    .unwrap_or_default(),
                steps: ex
                    .iter()
                    .flat_map(|e| &e.steps)
                    .map(|st| l.html(&st.text))
                    .collect(),
                average: l.opt_num(&more.average, 2),
                last: l.opt_num(&more.last, 2),
                state: serde_json::to_value(ind.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                evidence: more.evidence.clone(),
            }
        })
        .collect()
}

fn card_workbook(l: L, card: &Card, unit: &str, period: &str) -> Result<Response> {
    let headers = [
        "card-indicators",
        "col-score",
        "entry-points",
        "card-average",
        "card-last",
    ]
    .map(|k| l.t(k))
    .to_vec();
    let rows = card_rows(l, card)
        .iter()
        .map(|r| {
            vec![
                Cell::from(r.plain.0.as_str()),
                r.plain.1.into(),
                r.plain.2.into(),
                r.plain.3.into(),
                r.plain.4.into(),
            ]
        })
        .collect();
    let name = format!("{unit}-{period}-{}", l.t("card-title"));
    crate::http::download::xlsx(&name, &[Sheet::new(l.t("card-title"), headers, rows)])
}

fn card_view<'a>(page: &'a Page, card: Card, district: &jixiao_core::text::Text) -> CardPage<'a> {
    let l = page.ctx.l;
    let printed = l.now();
    let print_head = super::print_header(
        &format!(
            "{} · {} · {} · {}",
            l.plain(district),
            l.plain(&card.scheme_title),
            card.period.label(l.into()),
            l.plain(&card.result.row.name)
        ),
        &l.ta("print-stamp", &[("date", &printed)]),
    );
    let rows = card_rows(l, &card);
    let result = &card.result;
    let row = &result.row;
    let explanation = row.explanation.as_ref();
    let steps = |pick: fn(
        &jixiao_core::report::UnitExplanation,
    ) -> &Vec<jixiao_core::explain::Step>|
     -> Vec<String> {
        explanation
            .map(|e| pick(e).iter().map(|st| l.html(&st.text)).collect())
            .unwrap_or_default()
    };
    let neighbours = explanation
        .iter()
        .flat_map(|e| &e.neighbours)
        .map(|n| Neighbour {
            rank: n.rank.map_or("—".into(), |r| r.to_string()),
            name: l.html(&n.name),
            total: n.total.map_or("—".into(), |d| l.score(&d, card.decimals)),
            gap: n.gap.map_or(String::new(), |d| l.score(&d, card.decimals)),
        })
        .collect();
    // Radar: each module's share of its points, against the class average.
    let axes: Vec<(String, f64, Option<f64>)> = result
        .class
        .modules
        .iter()
        .enumerate()
        .map(|(i, md)| {
            let pts = md.points;
            let share = |v: Option<Decimal>| {
                use rust_decimal::prelude::ToPrimitive;
                v.and_then(|v| (v / pts.max(Decimal::new(1, 6))).to_f64())
            };
            let avg = card.peers.as_ref().and_then(|c| {
                let vals: Vec<Decimal> = c
                    .rows
                    .iter()
                    .filter_map(|r| r.modules.get(i).copied().flatten())
                    .collect();
                (!vals.is_empty()).then(|| vals.iter().sum::<Decimal>() / Decimal::from(vals.len()))
            });
            (
                l.plain(&md.name).to_owned(),
                share(row.modules.get(i).copied().flatten()).unwrap_or(0.0),
                share(avg),
            )
        })
        .collect();
    let radar = if axes.len() >= 3 {
        charts::radar("radar", &l.t("card-radar"), &axes)
    } else {
        String::new()
    };
    let points: Vec<(String, Option<Decimal>)> = card
        .trend
        .iter()
        .map(|(p, total)| (p.to_string(), *total))
        .collect();
    let trend = charts::trend("trend", &l.t("card-trend"), &points, card.class_points);
    CardPage {
        ctx: &page.ctx,
        scheme_title: l.html(&card.scheme_title),
        period_label: card.period.label(l.into()),
        unit_name: l.html(&row.name),
        class_name: l.html(&result.class.name),
        rank: row.rank.map_or("—".into(), |r| r.to_string()),
        units: result.class.units,
        total: row.total.map_or("—".into(), |d| l.score(&d, card.decimals)),
        grade: row
            .grade
            .as_ref()
            .map_or(String::new(), |g| l.html(&g.name)),
        kind: match result.kind {
            Kind::Official => "official",
            Kind::Provisional => "provisional",
        },
        rows,
        unit_steps: steps(|e| &e.steps),
        standing: steps(|e| &e.standing),
        lineage: result.lineage.iter().map(|x| l.html(&x.text)).collect(),
        neighbours,
        outcomes: row
            .outcomes
            .iter()
            .map(|o| {
                (
                    l.plain(&o.name).to_owned(),
                    o.value
                        .as_ref()
                        .map_or_else(|| "—".to_owned(), |v| l.plain(&v.show()).to_owned()),
                    l.plain(&o.reason).to_owned(),
                    o.basis.as_ref().map_or_else(String::new, |b| {
                        let b = l.plain(b);
                        l.ta("card-outcome-basis", &[("basis", &b)])
                    }),
                )
            })
            .collect(),
        radar,
        trend,
        scheme_version: result.scheme_version,
        scheme_hash: result.scheme_hash.chars().take(12).collect(),
        printed,
        print_head,
    }
}

impl CardPage<'_> {
    fn state_note(&self, state: &str) -> String {
        match state {
            "missing_zero" => self.ctx.l.t("card-missing-zero"),
            "excluded" => self.ctx.l.t("card-excluded"),
            "blocked" => self.ctx.l.t("card-blocked"),
            _ => String::new(),
        }
    }
}

/// A period the office can publish, with its latest publication.
pub struct Publishable {
    pub scheme: String,
    pub title: String,
    pub period: String,
    pub last: Option<(i64, i64, String)>,
    /// The 结果运用 report's address (of the latest publication when there is one).
    pub applied: Option<String>,
}

#[derive(Template)]
#[template(path = "publish.html")]
struct PublishPage<'a> {
    ctx: &'a Ctx,
    items: Vec<Publishable>,
    message: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct PublishedQuery {
    pub published: Option<i64>,
}

pub async fn publish_form(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<PublishedQuery>,
) -> Response {
    let r = async {
        let l = page.ctx.l;
        let items = crate::ops::publications::publishable(&state, &page.caller)
            .await?
            .into_iter()
            .map(|p| Publishable {
                applied: p.applied.then(|| {
                    let base = format!("/applied/{}/{}", p.scheme, p.period);
                    match &p.last {
                        Some((id, _, _)) => format!("{base}?publication={id}"),
                        None => base,
                    }
                }),
                scheme: p.scheme,
                title: l.html(&p.title),
                period: p.period,
                last: p.last,
            })
            .collect();
        render(&PublishPage {
            ctx: &page.ctx,
            items,
            message: q.published.map(|id| l.ta("publish-done", &[("id", &id)])),
        })
    }
    .await;
    page.finish(r)
}

#[derive(serde::Deserialize)]
pub struct PublishForm {
    #[serde(rename = "_csrf", default)]
    pub csrf: String,
    pub scheme: String,
    pub period: String,
    #[serde(default)]
    pub reason: String,
    /// `yes` once the office has seen what goes public and confirmed.
    #[serde(default)]
    pub confirm: String,
    /// `yes`: the public notice shows the results applied.
    #[serde(default)]
    pub applied_public: String,
}

#[derive(Template)]
#[template(path = "publish_confirm.html")]
struct ConfirmPage<'a> {
    ctx: &'a Ctx,
    r: crate::ops::publications::Readiness,
    reason: String,
    problem: Option<Text>,
}

/// Publishing from the page takes two steps: first what would go public — or, when units miss
/// data that block it, which units and items, with links to their forms — then, confirmed,
/// the publication. A refusal at the second step (data changed meanwhile) shows the same
/// page with the problem, never a bare status page.
pub async fn publish(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<PublishForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let confirm_page = |r, problem| {
            render(&ConfirmPage {
                ctx: &page.ctx,
                r,
                reason: f.reason.clone(),
                problem,
            })
        };
        if f.confirm != "yes" {
            let r = crate::ops::publications::readiness(&state, &page.caller, &f.scheme, &f.period)
                .await?;
            return confirm_page(r, None);
        }
        let body = crate::ops::publications::PublishBody {
            scheme: f.scheme.clone(),
            period: f.period.clone(),
            reason: f.reason.clone(),
            applied_public: f.applied_public == "yes",
        };
        match crate::ops::publications::publish(&state, &page.caller, body).await {
            Ok((view, _)) => Ok(see_other(&format!("/publish?published={}", view.row.id))),
            Err(e)
                if e.kind.is_client()
                    && !matches!(
                        e.kind,
                        crate::error::Kind::Forbidden | crate::error::Kind::Unauthorized
                    ) =>
            {
                let r =
                    crate::ops::publications::readiness(&state, &page.caller, &f.scheme, &f.period)
                        .await?;
                let mut resp = confirm_page(r, Some(e.message))?;
                *resp.status_mut() = crate::http::status_of(e.kind);
                Ok(resp)
            }
            Err(e) => Err(e),
        }
    }
    .await;
    page.finish(r)
}

/// A publication in the public list.
pub struct PublicItem {
    pub id: i64,
    pub scheme: String,
    pub period: String,
    pub revision: i64,
    pub published_at: String,
}

#[derive(Template)]
#[template(path = "public_index.html")]
struct PublicIndex<'a> {
    ctx: &'a Ctx,
    items: Vec<PublicItem>,
}

pub async fn public_index(page: Page, State(state): State<AppState>) -> Response {
    let r = async {
        let pubs = crate::ops::publications::public(&state).await?;
        let l = page.ctx.l;
        let items = pubs
            .into_iter()
            .map(|(p, title)| PublicItem {
                scheme: title.map_or_else(|| crate::i18n::escape(&p.scheme_code), |t| l.html(&t)),
                id: p.id,
                period: p.period,
                revision: p.revision,
                published_at: p.published_at,
            })
            .collect();
        render(&PublicIndex {
            ctx: &page.ctx,
            items,
        })
    }
    .await;
    page.finish(r)
}

fn decimal(v: &serde_json::Value) -> Option<Decimal> {
    match v {
        serde_json::Value::String(s) => s.parse().ok(),
        serde_json::Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

fn text(v: &serde_json::Value) -> Text {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

pub struct PublicClass {
    pub name: String,
    /// Rank, name, total, grade and the values of the results applied (when the office
    /// publishes them; empty otherwise).
    pub rows: Vec<(String, String, String, String, Vec<String>)>,
    /// The names of the results applied, when published.
    pub applied: Vec<String>,
}

/// A stored row's results applied, as shown: (name, value) of each.
fn shown_outcomes(l: L, r: &serde_json::Value) -> Vec<(String, String)> {
    r["outcomes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let value = match &o["value"] {
                serde_json::Value::Bool(true) => l.t("yes"),
                serde_json::Value::Bool(false) => l.t("no"),
                serde_json::Value::String(n) => n.clone(),
                v if v.is_object() => l.plain(&text(v)).to_owned(),
                _ => "—".to_owned(),
            };
            (l.plain(&text(&o["name"])).to_owned(), value)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "public.html")]
struct PublicPage<'a> {
    ctx: &'a Ctx,
    id: i64,
    title: String,
    period: String,
    revision: i64,
    published_at: String,
    scheme_version: i64,
    scheme_hash: String,
    reason: String,
    classes: Vec<PublicClass>,
    notice: crate::ops::publications::Notice,
    period_text: String,
    objection_text: String,
    /// Whether the reader is one who appeals on the 申诉 page (a unit's reporter or leader).
    appeals_here: bool,
    /// The running header of every printed page, and the print date.
    print_head: String,
    printed: String,
}

pub async fn public_one(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<KindQuery>,
) -> Response {
    let r = async {
        let view = crate::ops::publications::get(&state, &page.caller, id).await?;
        let p = view.row;
        let notice = crate::ops::publications::notice(&state, &p).await?;
        let decimals = crate::ops::results::display_decimals(&state, &p.scheme_code).await;
        let l: L = page.ctx.l;
        let results = view
            .results
            .ok_or_else(|| Error::internal(&"a publication whose results do not read"))?;
        let empty = Vec::new();
        let classes = results["classes"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(|c| PublicClass {
                applied: if p.applied_public {
                    c["rows"]
                        .as_array()
                        .and_then(|rows| rows.first())
                        .map(|r| shown_outcomes(l, r).into_iter().map(|(n, _)| n).collect())
                        .unwrap_or_default()
                } else {
                    Vec::new()
                },
                name: l.html(&text(&c["name"])),
                rows: c["rows"]
                    .as_array()
                    .unwrap_or(&empty)
                    .iter()
                    .map(|r| {
                        // Units sharing a rank are marked tied (并列): equal totals the
                        // scheme's tie-break keys could not separate.
                        let rank = r["rank"].as_u64();
                        let tied = rank.is_some()
                            && c["rows"]
                                .as_array()
                                .unwrap_or(&empty)
                                .iter()
                                .filter(|o| o["rank"].as_u64() == rank)
                                .count()
                                > 1;
                        (
                            rank.map_or("—".into(), |x| {
                                if tied {
                                    format!("{x}{}", l.t("public-tied"))
                                } else {
                                    x.to_string()
                                }
                            }),
                            l.html(&text(&r["name"])),
                            decimal(&r["total"]).map_or("—".into(), |d| l.score(&d, decimals)),
                            if r["grade"].is_object() {
                                l.html(&text(&r["grade"]["name"]))
                            } else {
                                String::new()
                            },
                            if p.applied_public {
                                shown_outcomes(l, r).into_iter().map(|(_, v)| v).collect()
                            } else {
                                Vec::new()
                            },
                        )
                    })
                    .collect(),
            })
            .collect();
        if super::wanted_xlsx(&q.format) {
            let headers = ["col-rank", "col-code", "col-unit", "col-total", "col-grade"]
                .map(|k| l.t(k))
                .to_vec();
            let sheets: Vec<Sheet> = results["classes"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|c| {
                    let rows = c["rows"].as_array().unwrap_or(&empty);
                    let mut headers = headers.clone();
                    if p.applied_public {
                        headers.extend(
                            rows.first()
                                .map(|r| shown_outcomes(l, r))
                                .unwrap_or_default()
                                .into_iter()
                                .map(|(n, _)| n),
                        );
                    }
                    Sheet {
                        name: l.plain(&text(&c["name"])).to_owned(),
                        headers,
                        decimals: None,
                        rows: rows
                            .iter()
                            .map(|r| {
                                let mut cells = vec![
                                    r["rank"].as_u64().map(Decimal::from).into(),
                                    Cell::from(r["unit"].as_str().unwrap_or_default()),
                                    l.plain(&text(&r["name"])).into(),
                                    decimal(&r["total"]).into(),
                                    if r["grade"].is_object() {
                                        l.plain(&text(&r["grade"]["name"])).into()
                                    } else {
                                        Cell::from("")
                                    },
                                ];
                                if p.applied_public {
                                    cells.extend(
                                        shown_outcomes(l, r)
                                            .into_iter()
                                            .map(|(_, v)| Cell::from(v.as_str())),
                                    );
                                }
                                cells
                            })
                            .collect(),
                    }
                })
                .collect();
            let file = format!("{}-{}-r{}", p.scheme_code, p.period, p.revision);
            return crate::http::download::xlsx(&file, &sheets);
        }
        let printed = l.now();
        let print_head = super::print_header(
            &format!(
                "{} · {} · {} · {}",
                l.plain(&notice.body),
                l.plain(&text(&results["scheme"]["title"])),
                p.period,
                l.tn("publish-revision", "revision", p.revision)
            ),
            &l.ta("print-stamp", &[("date", &printed)]),
        );
        let file = format!("{}-{}-r{}", p.scheme_code, p.period, p.revision);
        let view = PublicPage {
            print_head,
            printed,
            ctx: &page.ctx,
            id,
            title: l.html(&text(&results["scheme"]["title"])),
            period: p.period,
            revision: p.revision,
            published_at: p.published_at,
            scheme_version: p.scheme_version,
            scheme_hash: p.scheme_hash.chars().take(12).collect(),
            reason: p.reason,
            classes,
            period_text: l.ta(
                "public-period-value",
                &[
                    ("from", &notice.from),
                    ("to", &notice.to),
                    ("days", &notice.days),
                ],
            ),
            objection_text: match &notice.contact {
                Some(c) => l.ta("public-objection-to", &[("to", &notice.to), ("contact", c)]),
                None => l.ta("public-objection-default", &[("to", &notice.to)]),
            },
            notice,
            appeals_here: matches!(
                page.ctx.role(),
                jixiao_core::access::Role::Reporter | jixiao_core::access::Role::UnitLeader
            ),
        };
        if q.format.as_deref() == Some("pdf") {
            let html = view.render().map_err(|e| Error::internal(&e))?;
            let bytes = crate::pdf::print(&state.config.chromium, &html).await?;
            return Ok(crate::http::download::pdf(bytes, "results.pdf", &file));
        }
        render(&view)
    }
    .await;
    page.finish(r)
}
