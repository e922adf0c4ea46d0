//! Results pages: the district dashboard (rankings per class with grades, grade distribution,
//! movement since the last period, completeness of reporting), a unit's report card (成绩单)
//! with every score explained, publication by the office and the public page (公示).

use super::charts::{self, Bar};
use super::i18n::L;
use super::{Ctx, Page, current, render, see_other, urlencode};
use crate::api::extract::{Json, Path as ApiPath, Query as ApiQuery};
use crate::api::results::tracked;
use crate::error::{ApiError, ApiResult};
use crate::live::{Kind, Live, LiveScheme};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use jixiao_core::Decimal;
use jixiao_core::access::{Action, Principal, Role, can};
use jixiao_core::period::Period;
use jixiao_core::report::{Detail, Report, report};
use jixiao_core::text::Text;
use std::collections::HashMap;

#[derive(serde::Deserialize, Default)]
pub struct KindQuery {
    pub kind: Option<Kind>,
    /// `xlsx` for the page's tables as a workbook.
    pub format: Option<String>,
}

fn values_of(s: &LiveScheme, p: Period, kind: Kind) -> Option<Report> {
    let t = s.periods.get(&p)?;
    let (scoring, values) = match kind {
        Kind::Official => (&t.official, &s.official),
        Kind::Provisional => (&t.provisional, &s.provisional),
    };
    Some(report(&s.model, values, scoring, None, Detail::default()))
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
    pub level: String,
    pub unit: String,
    pub plain_unit: String,
    pub href: String,
    pub rule: String,
    pub plain_rule: String,
    pub value: String,
    pub value_n: Decimal,
}

/// Every warning the submitted data of `period` raises, worst first.
pub fn warnings_of(l: L, s: &LiveScheme, p: Period) -> Vec<WarnRow> {
    let m = &s.model;
    jixiao_core::warnings::evaluate(m, &s.provisional, p)
        .into_iter()
        .map(|w| {
            let rule = &m.scheme.warnings[w.rule];
            let unit = &m.units[w.unit as usize];
            let measure = m
                .element(rule.element.as_str())
                .map(|e| m.elements[e as usize].def.unit.clone())
                .unwrap_or_default();
            let red = w.level == jixiao_core::warnings::Level::Red;
            WarnRow {
                red,
                level: l.t(if red { "warning-red" } else { "warning-yellow" }),
                unit: l.html(&unit.name),
                plain_unit: l.plain(&unit.name).to_owned(),
                href: format!(
                    "/report/{}/{}/{}",
                    urlencode(&s.row.code),
                    urlencode(&p.to_string()),
                    urlencode(unit.code.as_str())
                ),
                rule: l.html(&rule.name),
                plain_rule: l.plain(&rule.name).to_owned(),
                value: format!("{} {}", l.num(&w.value, 2), l.unit(&measure)),
                value_n: w.value,
            }
        })
        .collect()
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
    warnings: Vec<WarnRow>,
}

impl DashboardPage<'_> {
    fn reds(&self) -> usize {
        self.warnings.iter().filter(|w| w.red).count()
    }
}

pub async fn dashboard_default(page: Page, State(state): State<AppState>) -> Response {
    let cur = current(&*state.live.read().await);
    match cur {
        Some((s, p)) => see_other(&format!("/dashboard/{}/{}", urlencode(&s), urlencode(&p))),
        None => page.finish(Err(ApiError::not_found("已发布的方案", "published scheme"))),
    }
}

/// How complete a unit's reporting is for the period: entered-and-submitted numbers over the
/// numbers it reports.
pub fn completeness(live: &Live, unit: &str, p: Period) -> (usize, usize) {
    let r = reporting(live, unit, p, None);
    (r.reported, r.expected)
}

/// A unit's reporting for a period: how many numbers it reports, how many it has reported,
/// and of those how many by the deadline (first reported; a value returned and submitted again
/// keeps its first time).
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Reporting {
    pub unit: String,
    pub name_zh: String,
    pub name_en: String,
    /// Numbers the unit reports for the period (computed and optional ones excluded).
    pub expected: usize,
    /// Submitted or further along.
    pub reported: usize,
    /// Reported by the deadline (all reported ones when the period has none).
    pub on_time: usize,
    /// Reported after the deadline.
    pub late: usize,
    /// Not reported yet.
    pub missing: usize,
}

fn instant(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

pub fn reporting(live: &Live, unit: &str, p: Period, deadline: Option<&str>) -> Reporting {
    let office = Principal {
        role: Role::Office,
        unit: None,
        items: None,
    };
    let deadline = deadline.and_then(instant);
    let groups = super::entry::layout(live, &office, unit, p);
    let period = p.to_string();
    let mut r = Reporting {
        unit: unit.to_owned(),
        ..Reporting::default()
    };
    for e in groups
        .iter()
        .flat_map(|g| &g.elements)
        .filter(|e| !e.optional)
    {
        r.expected += 1;
        let row = live
            .values
            .get(&(unit.to_owned(), e.code.clone(), period.clone()))
            .filter(|v| jixiao_store::values::is_reported(&v.state));
        let Some(row) = row else {
            r.missing += 1;
            continue;
        };
        r.reported += 1;
        let first = row.reported_at.as_deref().and_then(instant);
        match (deadline, first) {
            (Some(d), Some(t)) if t > d => r.late += 1,
            _ => r.on_time += 1,
        }
    }
    r
}

pub async fn dashboard(
    page: Page,
    State(state): State<AppState>,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<KindQuery>,
) -> Response {
    let r = async {
        let live = state.live.read().await;
        if !can(&page.caller.principal, Action::ReadRankings, &*live) {
            return Err(if page.caller.require_signed_in().is_err() {
                ApiError::unauthorized()
            } else {
                ApiError::forbidden()
            });
        }
        let l = page.ctx.l;
        let kind = q.kind.unwrap_or(Kind::Official);
        let (s, _, p) = tracked(&live, &scheme, &period)?;
        let now = values_of(s, p, kind).ok_or_else(|| ApiError::not_found("期间", "period"))?;
        let before: HashMap<String, u32> = values_of(s, p.previous(), kind)
            .map(|r| {
                r.classes
                    .into_iter()
                    .flat_map(|c| c.rows)
                    .filter_map(|row| Some((row.unit.to_string(), row.rank?)))
                    .collect()
            })
            .unwrap_or_default();
        let mut grade_counts: Vec<(String, usize)> = s
            .model
            .grades
            .iter()
            .map(|g| (l.plain(&g.name).to_owned(), 0))
            .collect();
        let mut incomplete = 0;
        let deadline = live.deadline(&scheme, &period);
        let mut classes = Vec::new();
        for c in &now.classes {
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
                let movement = match (row.rank, before.get(&unit)) {
                    (Some(now), Some(then)) if *then > now => format!("↑{}", then - now),
                    (Some(now), Some(then)) if *then < now => format!("↓{}", now - then),
                    (Some(_), Some(_)) => "=".into(),
                    _ => String::new(),
                };
                let rep = reporting(&live, &unit, p, deadline.as_deref());
                let (done, all) = (rep.reported, rep.expected);
                if done < all {
                    incomplete += 1;
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
                    total: l.opt_num(&row.total, 2),
                    grade,
                    movement,
                    complete: format!("{done}/{all}"),
                    on_time: if deadline.is_some() {
                        format!("{}/{all}", rep.on_time)
                    } else {
                        "—".into()
                    },
                    href: format!(
                        "/report/{}/{}/{}",
                        urlencode(&scheme),
                        urlencode(&period),
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
                chart: charts::bars(&format!("c-{}", c.code), &title, &bars, c.points),
                rows,
            });
        }
        let warnings = warnings_of(l, s, p);
        if super::xlsx::wanted(&q.format) {
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
            let mut sheets: Vec<super::xlsx::Sheet> = classes
                .iter()
                .map(|c| super::xlsx::Sheet {
                    name: c.plain_name.clone(),
                    headers: headers.clone(),
                    rows: c
                        .rows
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
                })
                .collect();
            sheets.push(super::xlsx::Sheet {
                name: l.t("warnings-title"),
                headers: ["warning-level", "col-unit", "warning-rule", "col-value"]
                    .map(|k| l.t(k))
                    .to_vec(),
                rows: warnings
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
            });
            let file = format!("{scheme}-{period}-{}", l.t("dashboard-title"));
            return super::xlsx::download(&file, &sheets);
        }
        let distribution = charts::columns("grades", &l.t("dashboard-distribution"), &grade_counts);
        let mut periods: Vec<(String, bool)> =
            s.periods.keys().map(|k| (k.to_string(), *k == p)).collect();
        periods.sort();
        render(&DashboardPage {
            ctx: &page.ctx,
            scheme_title: l.html(&s.model.scheme.title),
            scheme,
            period,
            kind: match kind {
                Kind::Official => "official",
                Kind::Provisional => "provisional",
            },
            periods,
            classes,
            distribution,
            incomplete,
            warnings,
        })
    }
    .await;
    page.finish(r)
}

pub async fn report_default(page: Page, State(state): State<AppState>) -> Response {
    let cur = current(&*state.live.read().await);
    match (cur, page.caller.principal.unit.clone()) {
        (Some((s, p)), Some(u)) => see_other(&format!(
            "/report/{}/{}/{}",
            urlencode(&s),
            urlencode(&p),
            urlencode(&u)
        )),
        _ => see_other("/dashboard"),
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
    neighbours: Vec<Neighbour>,
    radar: String,
    trend: String,
    scheme_version: i64,
    scheme_hash: String,
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

pub async fn report_card(
    page: Page,
    State(state): State<AppState>,
    Path((scheme, period, unit)): Path<(String, String, String)>,
    Query(q): Query<KindQuery>,
) -> Response {
    let r = card(
        &page,
        &state,
        scheme,
        period,
        unit,
        q.kind.unwrap_or(Kind::Official),
        q.format.as_deref().unwrap_or("html"),
    )
    .await;
    page.finish(r)
}

async fn card(
    page: &Page,
    state: &AppState,
    scheme: String,
    period: String,
    unit: String,
    kind: Kind,
    format: &str,
) -> ApiResult<Response> {
    let l = page.ctx.l;
    // The API's report card: the same permission check, the same explanation.
    let Json(card) = crate::api::results::unit(
        State(state.clone()),
        page.caller.clone(),
        ApiPath((scheme.clone(), period.clone(), unit.clone())),
        ApiQuery(crate::api::results::ResultQuery {
            kind: Some(kind),
            class: None,
        }),
    )
    .await?;
    let row = &card["row"];
    let live = state.live.read().await;
    let (s, _, p) = tracked(&live, &scheme, &period)?;
    let m = &s.model;
    let uid = m
        .unit(&unit)
        .ok_or_else(|| ApiError::not_found("单位", "unit"))?;
    let (cid, _) = m
        .class_of(uid)
        .ok_or_else(|| ApiError::not_found("类别", "class"))?;
    let class = &m.classes[cid as usize];
    // Class averages and last period's scores, indicator by indicator.
    let with_ind = |per: Period| -> Option<jixiao_core::report::ClassReport> {
        let t = s.periods.get(&per)?;
        let (scoring, values) = match kind {
            Kind::Official => (&t.official, &s.official),
            Kind::Provisional => (&t.provisional, &s.provisional),
        };
        report(
            m,
            values,
            scoring,
            Some(cid),
            Detail {
                indicators: true,
                explanations: false,
                rows: false,
            },
        )
        .classes
        .into_iter()
        .next()
    };
    let this = with_ind(p);
    let last = with_ind(p.previous());
    let avg_of = |code: &str| -> Option<Decimal> {
        let c = this.as_ref()?;
        let scores: Vec<Decimal> = c
            .rows
            .iter()
            .filter_map(|r| {
                r.indicators
                    .as_ref()?
                    .iter()
                    .find(|i| i.code.as_str() == code)
                    .map(|i| i.score)
            })
            .collect();
        (!scores.is_empty()).then(|| scores.iter().sum::<Decimal>() / Decimal::from(scores.len()))
    };
    let last_of = |code: &str| -> Option<Decimal> {
        last.as_ref()?
            .rows
            .iter()
            .find(|r| r.unit.as_str() == unit)?
            .indicators
            .as_ref()?
            .iter()
            .find(|i| i.code.as_str() == code)
            .map(|i| i.score)
    };
    let mut rows = Vec::new();
    let empty = Vec::new();
    for ind in row["indicators"].as_array().unwrap_or(&empty) {
        let code = ind["code"].as_str().unwrap_or_default();
        let ex = &ind["explanation"];
        let inputs: Vec<String> = ex["inputs"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(|i| {
                format!(
                    "{}: {} {}",
                    l.html(&text(&i["name"])),
                    decimal(&i["value"]).map_or("—".into(), |d| l.num(&d, 4)),
                    l.unit(i["unit"].as_str().unwrap_or_default())
                )
            })
            .collect();
        // A computed input (a rate) is shown with the reported numbers it comes from, whose
        // rows carry the evidence.
        let mut inputs = inputs;
        let mut evidence = Vec::new();
        for i in ex["inputs"].as_array().unwrap_or(&empty) {
            let el = i["element"].as_str().unwrap_or_default();
            let per = i["period"].as_str().unwrap_or(&period);
            let mut base = Vec::new();
            if let Some(id) = m.element(el) {
                super::entry::inputs(m, id, &mut base);
            }
            for b in base {
                let e = &m.elements[b as usize];
                let Some(v) = live
                    .values
                    .get(&(unit.clone(), e.code.to_string(), per.to_owned()))
                else {
                    continue;
                };
                if e.code.as_str() != el {
                    inputs.push(format!(
                        "{}: {} {}",
                        l.html(&e.def.name),
                        super::i18n::escape(&v.value),
                        l.unit(&e.def.unit)
                    ));
                }
                for f in jixiao_store::evidence::of(&state.store, "value", v.id).await? {
                    evidence.push((format!("/api/v1/evidence/{}", f.sha256), f.filename));
                }
            }
        }
        let leaf = class.leaves.iter().find(|lf| lf.code.as_str() == code);
        rows.push(CardRow {
            plain: (
                l.plain(&text(&ind["name"])).to_owned(),
                decimal(&ind["score"]),
                decimal(&ind["points"]),
                avg_of(code),
                last_of(code),
            ),
            name: l.html(&text(&ind["name"])),
            module: ex["module_path"]
                .as_array()
                .and_then(|a| a.first())
                .map(|t| l.html(&text(t)))
                .unwrap_or_default(),
            points: decimal(&ind["points"]).map_or(String::new(), |d| l.num(&d, 2)),
            score: decimal(&ind["score"]).map_or(String::new(), |d| l.num(&d, 2)),
            inputs,
            target: leaf
                .and_then(|lf| {
                    lf.target
                        .map(|t| format!("{} {}", l.num(&t, 4), l.unit(&lf.unit)))
                })
                .unwrap_or_default(),
            steps: ex["steps"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|st| l.html(&text(&st["text"])))
                .collect(),
            average: l.opt_num(&avg_of(code), 2),
            last: l.opt_num(&last_of(code), 2),
            state: ind["state"].as_str().unwrap_or_default().to_owned(),
            evidence,
        });
    }
    if format == "xlsx" {
        use super::xlsx::{Cell, Sheet};
        let headers = [
            "card-indicators",
            "col-score",
            "entry-points",
            "card-average",
            "card-last",
        ]
        .map(|k| l.t(k))
        .to_vec();
        let rows = rows
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
        return super::xlsx::download(
            &name,
            &[Sheet {
                name: l.t("card-title"),
                headers,
                rows,
            }],
        );
    }
    let steps = |key: &str| -> Vec<String> {
        row["explanation"][key]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(|st| l.html(&text(&st["text"])))
            .collect()
    };
    let neighbours = row["explanation"]["neighbours"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|n| Neighbour {
            rank: n["rank"].as_u64().map_or("—".into(), |r| r.to_string()),
            name: l.html(&text(&n["name"])),
            total: decimal(&n["total"]).map_or("—".into(), |d| l.num(&d, 2)),
            gap: decimal(&n["gap"]).map_or(String::new(), |d| l.num(&d, 2)),
        })
        .collect();
    // Radar: each module's share of its points, against the class average.
    let modules = card["class"]["modules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let own: Vec<Option<Decimal>> = row["modules"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(decimal)
        .collect();
    let axes: Vec<(String, f64, Option<f64>)> = modules
        .iter()
        .enumerate()
        .map(|(i, md)| {
            let pts = decimal(&md["points"]).unwrap_or(Decimal::ONE);
            let share = |v: Option<Decimal>| {
                use rust_decimal::prelude::ToPrimitive;
                v.and_then(|v| (v / pts.max(Decimal::new(1, 6))).to_f64())
            };
            let avg = this.as_ref().and_then(|c| {
                let vals: Vec<Decimal> = c
                    .rows
                    .iter()
                    .filter_map(|r| r.modules.get(i).copied().flatten())
                    .collect();
                (!vals.is_empty()).then(|| vals.iter().sum::<Decimal>() / Decimal::from(vals.len()))
            });
            (
                l.plain(&text(&md["name"])).to_owned(),
                share(own.get(i).copied().flatten()).unwrap_or(0.0),
                share(avg),
            )
        })
        .collect();
    let radar = if axes.len() >= 3 {
        charts::radar("radar", &l.t("card-radar"), &axes)
    } else {
        String::new()
    };
    // Trend: the total in each tracked period of the same length.
    let points: Vec<(String, Option<Decimal>)> = s
        .periods
        .keys()
        .filter(|k| k.granularity() == p.granularity())
        .map(|k| {
            let total = values_of(s, *k, kind).and_then(|r| {
                r.classes
                    .into_iter()
                    .flat_map(|c| c.rows)
                    .find(|r| r.unit.as_str() == unit)
                    .and_then(|r| r.total)
            });
            (k.to_string(), total)
        })
        .collect();
    let trend = charts::trend("trend", &l.t("card-trend"), &points, class.nodes[0].points);
    let lang = if l.is_en() {
        jixiao_core::text::Lang::En
    } else {
        jixiao_core::text::Lang::Zh
    };
    let page_view = CardPage {
        ctx: &page.ctx,
        scheme_title: l.html(&m.scheme.title),
        period_label: p.label(lang),
        unit_name: l.html(&text(&row["name"])),
        class_name: l.html(&text(&card["class"]["name"])),
        rank: row["rank"].as_u64().map_or("—".into(), |r| r.to_string()),
        units: card["class"]["units"].as_u64().unwrap_or(0) as usize,
        total: decimal(&row["total"]).map_or("—".into(), |d| l.num(&d, 2)),
        grade: if row["grade"]["name"].is_object() {
            l.html(&text(&row["grade"]["name"]))
        } else {
            String::new()
        },
        kind: match kind {
            Kind::Official => "official",
            Kind::Provisional => "provisional",
        },
        rows,
        unit_steps: steps("steps"),
        standing: steps("standing"),
        neighbours,
        radar,
        trend,
        scheme_version: s.row.version,
        scheme_hash: s.row.content_hash.chars().take(12).collect(),
    };
    drop(live);
    if format == "pdf" {
        let html = page_view.render().map_err(|e| ApiError::internal(&e))?;
        let file = format!("{unit}-{period}-{}", l.t("card-title"));
        return super::pdf::print(&state.config.chromium, &html, &file).await;
    }
    render(&page_view)
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
        page.require_signed_in()?;
        let pubs = jixiao_store::publications::list(&state.store).await?;
        let live = state.live.read().await;
        let l = page.ctx.l;
        let mut items = Vec::new();
        for s in live.schemes.values() {
            if !can(
                &page.caller.principal,
                Action::Publish {
                    scheme: &s.row.code,
                },
                &*live,
            ) {
                continue;
            }
            for p in s.periods.keys() {
                let period = p.to_string();
                let last = pubs
                    .iter()
                    .filter(|x| x.scheme_code == s.row.code && x.period == period)
                    .max_by_key(|x| x.revision)
                    .map(|x| (x.id, x.revision, x.published_at.clone()));
                items.push(Publishable {
                    scheme: s.row.code.clone(),
                    title: l.html(&s.model.scheme.title),
                    period,
                    last,
                });
            }
        }
        if items.is_empty() {
            return Err(ApiError::forbidden());
        }
        let message = q.published.map(|id| l.ta("publish-done", &[("id", &id)]));
        drop(live);
        render(&PublishPage {
            ctx: &page.ctx,
            items,
            message,
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
}

pub async fn publish(
    page: Page,
    State(state): State<AppState>,
    axum::Form(f): axum::Form<PublishForm>,
) -> Response {
    let r = async {
        page.check_csrf(&f.csrf)?;
        let (_, Json(view)) = crate::api::publications::publish(
            State(state.clone()),
            page.caller.clone(),
            Json(crate::api::publications::PublishBody {
                scheme: f.scheme,
                period: f.period,
                reason: f.reason,
            }),
        )
        .await?;
        Ok(see_other(&format!("/publish?published={}", view.row.id)))
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
        let pubs = jixiao_store::publications::list(&state.store).await?;
        let live = state.live.read().await;
        let l = page.ctx.l;
        let items = pubs
            .into_iter()
            .map(|p| PublicItem {
                scheme: live.scheme(&p.scheme_code).map_or_else(
                    || super::i18n::escape(&p.scheme_code),
                    |s| l.html(&s.model.scheme.title),
                ),
                id: p.id,
                period: p.period,
                revision: p.revision,
                published_at: p.published_at,
            })
            .collect();
        drop(live);
        render(&PublicIndex {
            ctx: &page.ctx,
            items,
        })
    }
    .await;
    page.finish(r)
}

pub struct PublicClass {
    pub name: String,
    pub rows: Vec<(String, String, String, String)>,
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
}

pub async fn public_one(
    page: Page,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<KindQuery>,
) -> Response {
    let r = async {
        let p = jixiao_store::publications::get(&state.store, id)
            .await?
            .ok_or_else(|| ApiError::not_found("公示", "publication"))?;
        let l: L = page.ctx.l;
        let results: serde_json::Value =
            serde_json::from_str(&p.results).map_err(|e| ApiError::internal(&e))?;
        let empty = Vec::new();
        let classes = results["classes"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(|c| PublicClass {
                name: l.html(&text(&c["name"])),
                rows: c["rows"]
                    .as_array()
                    .unwrap_or(&empty)
                    .iter()
                    .map(|r| {
                        (
                            r["rank"].as_u64().map_or("—".into(), |x| x.to_string()),
                            l.html(&text(&r["name"])),
                            decimal(&r["total"]).map_or("—".into(), |d| l.num(&d, 2)),
                            if r["grade"].is_object() {
                                l.html(&text(&r["grade"]["name"]))
                            } else {
                                String::new()
                            },
                        )
                    })
                    .collect(),
            })
            .collect();
        if super::xlsx::wanted(&q.format) {
            use super::xlsx::{Cell, Sheet};
            let headers = ["col-rank", "col-code", "col-unit", "col-total", "col-grade"]
                .map(|k| l.t(k))
                .to_vec();
            let sheets: Vec<Sheet> = results["classes"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|c| Sheet {
                    name: l.plain(&text(&c["name"])).to_owned(),
                    headers: headers.clone(),
                    rows: c["rows"]
                        .as_array()
                        .unwrap_or(&empty)
                        .iter()
                        .map(|r| {
                            vec![
                                r["rank"].as_u64().map(Decimal::from).into(),
                                Cell::from(r["unit"].as_str().unwrap_or_default()),
                                l.plain(&text(&r["name"])).into(),
                                decimal(&r["total"]).into(),
                                if r["grade"].is_object() {
                                    l.plain(&text(&r["grade"]["name"])).into()
                                } else {
                                    Cell::from("")
                                },
                            ]
                        })
                        .collect(),
                })
                .collect();
            let file = format!("{}-{}-r{}", p.scheme_code, p.period, p.revision);
            return super::xlsx::download(&file, &sheets);
        }
        render(&PublicPage {
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
        })
    }
    .await;
    page.finish(r)
}
