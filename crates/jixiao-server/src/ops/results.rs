//! Live results: rankings per class, a unit's results with every score explained, the
//! district dashboard, reporting completeness, what-if. Read from the live results (current
//! with every counted value), each within the caller's permissions.

use crate::error::{Error, Result};
use crate::live::{Kind, Live, LiveScheme, Tracked};
use crate::ops::entry::{Reporting, reporting as reporting_of};
use crate::ops::{Caller, allow, allow_in};
use crate::state::AppState;
use jixiao_core::Decimal;
use jixiao_core::access::Action;
use jixiao_core::engine::Scoring;
use jixiao_core::period::Period;
use jixiao_core::report::{ClassReport, Detail, ModuleHead, Report, UnitRow, report};
use jixiao_core::text::Text;
use jixiao_core::values::Values;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ResultQuery {
    /// `official` (counted values, the default) or `provisional` (submitted and beyond).
    pub kind: Option<Kind>,
    /// Only this class.
    pub class: Option<String>,
    /// The ranking only: also list the warning lines the data cross now (`true`), computed
    /// from the values. Off by default: the warnings as followed up (answered, escalated,
    /// resolved) are at `/api/v1/warnings`, and a ranking read at every change of a large
    /// district should not carry one per unit across a line.
    pub warnings: Option<bool>,
}

/// A published scheme, one of its tracked periods and that period.
pub fn tracked<'a>(
    live: &'a Live,
    scheme: &str,
    period: &str,
) -> Result<(&'a LiveScheme, &'a Tracked, Period)> {
    let s = live
        .scheme(scheme)
        .ok_or_else(|| Error::not_found("已发布的方案", "published scheme"))?;
    let p = Period::parse(period).map_err(|_| Error::not_found("期间", "period"))?;
    let t = s
        .periods
        .get(&p)
        .ok_or_else(|| Error::not_found("该方案的考核期间", "period of this scheme"))?;
    Ok((s, t, p))
}

/// The scoring and the values of one kind of results.
pub fn of_kind<'a>(s: &'a LiveScheme, t: &'a Tracked, kind: Kind) -> (&'a Scoring, &'a Values) {
    match kind {
        Kind::Official => (&t.official, s.values(t, kind)),
        Kind::Provisional => (&t.provisional, s.values(t, kind)),
    }
}

/// Each unit's grades in the periods of `p`'s length before it, newest first: what
/// consecutive application rules (结果运用, e.g. 不合格 two quarters or two years running)
/// read. Within the scheme's year from the tracked periods scored on the same organisation;
/// before it from the earlier results of the scheme's series (each publication's frozen grades,
/// and the office's records of the years before jixiao). Publication freezes the same.
pub fn history(
    live: &Live,
    s: &LiveScheme,
    p: Period,
    kind: Kind,
) -> jixiao_core::applications::History {
    let Some(t) = s.periods.get(&p) else {
        return jixiao_core::applications::History::default();
    };
    let (_, values) = of_kind(s, t, kind);
    let in_year = jixiao_core::applications::history_in_year(&t.model, values, p, |q| {
        s.periods
            .get(&q)
            .filter(|tq| tq.era == t.era)
            .map(|tq| of_kind(s, tq, kind).0)
    });
    in_year.then(earlier_years(live, &t.model.scheme, p))
}

/// The grades of the periods before `p`'s year that the scheme's consecutive rules read, from
/// the earlier results of its series.
pub fn earlier_years(
    live: &Live,
    scheme: &jixiao_core::scheme::Scheme,
    p: Period,
) -> jixiao_core::applications::History {
    let periods = jixiao_core::applications::before_year(scheme, p);
    let series = live.earlier.get(&scheme.series_code());
    jixiao_core::applications::history_of(&periods, |q| series.and_then(|m| m.get(&q)).cloned())
}

/// A scheme's report of one kind for a tracked period (none when the period is not tracked).
pub fn report_of(s: &LiveScheme, p: Period, kind: Kind, detail: Detail) -> Option<Report> {
    let t = s.periods.get(&p)?;
    let (scoring, values) = of_kind(s, t, kind);
    Some(report(&t.model, values, scoring, None, detail))
}

/// Completeness and timeliness of reporting.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportingReport {
    pub scheme: String,
    pub period: String,
    /// The period's deadline (RFC 3339), if it has one.
    pub deadline: Option<String>,
    pub units: Vec<Reporting>,
}

/// Completeness and timeliness of reporting per unit for a period: numbers expected, reported,
/// reported by the deadline, late and missing.
pub async fn reporting(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
) -> Result<ReportingReport> {
    allow(state, caller, Action::ReadRankings).await?;
    let live = state.live.read().await;
    let (_, t, p) = tracked(&live, scheme, period)?;
    let deadline = live.deadline(scheme, period);
    let mut units = Vec::new();
    // The units as they stood in the period, in the organisation's order.
    for u in &t.model.org.units {
        let assessed = t
            .model
            .unit(u.code.as_str())
            .and_then(|id| t.model.class_of(id))
            .is_some();
        if !assessed {
            continue;
        }
        let mut r = reporting_of(&live, u.code.as_str(), p, deadline.as_deref());
        r.name_zh = u.name.zh.clone();
        r.name_en = u.name.en.clone();
        units.push(r);
    }
    Ok(ReportingReport {
        scheme: scheme.to_owned(),
        period: period.to_owned(),
        deadline,
        units,
    })
}

/// A ranking: the report (serialized straight to the answer, no intermediate JSON tree) with
/// the scheme version and content hash it was scored under.
#[derive(Serialize)]
struct Ranking {
    #[serde(flatten)]
    report: Report,
    scheme_version: i64,
    scheme_hash: String,
    kind: Kind,
}

/// Rankings and grades of every class (or one), live, as JSON. Dashboards read the same
/// ranking again and again between changes: the bytes made at this generation of the results
/// are kept and sent again.
pub async fn ranking(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    q: &ResultQuery,
) -> Result<bytes::Bytes> {
    allow(state, caller, Action::ReadRankings).await?;
    let live = state.live.read().await;
    let kind = q.kind.unwrap_or(Kind::Official);
    let with_warnings = q.warnings.unwrap_or(false);
    let key = format!(
        "{scheme}\u{1f}{period}\u{1f}{kind:?}\u{1f}{}\u{1f}{with_warnings}",
        q.class.as_deref().unwrap_or("")
    );
    let cached = state
        .rankings
        .lock()
        .ok()
        .and_then(|c| c.get(&key).filter(|(g, _)| *g == live.generation).cloned());
    if let Some((_, bytes)) = cached {
        return Ok(bytes);
    }
    let (s, t, _) = tracked(&live, scheme, period)?;
    let class = match &q.class {
        Some(c) => Some(
            t.model
                .class_ix
                .get(c.as_str())
                .copied()
                .ok_or_else(|| Error::not_found("类别", "class"))?,
        ),
        None => None,
    };
    let (scoring, values) = of_kind(s, t, kind);
    let mut r = report(
        &t.model,
        values,
        scoring,
        class,
        Detail {
            warnings: with_warnings,
            ..Detail::default()
        },
    );
    if let Ok(p) = Period::parse(period) {
        jixiao_core::applications::apply(&t.model, &mut r, &history(&live, s, p, kind));
    }
    let ranking = Ranking {
        report: r,
        scheme_version: s.row.version,
        scheme_hash: s.row.content_hash.clone(),
        kind,
    };
    let bytes = bytes::Bytes::from(serde_json::to_vec(&ranking).map_err(|e| Error::internal(&e))?);
    if let Ok(mut c) = state.rankings.lock() {
        c.insert(key, (live.generation, bytes.clone()));
    }
    Ok(bytes)
}

/// A class as a unit's results show it.
#[derive(Debug, Clone, Serialize)]
pub struct ClassHead {
    pub code: String,
    pub name: Text,
    pub units: usize,
    pub modules: Vec<ModuleHead>,
}

/// A unit's results: every indicator with its score and explanation, the total, rank and grade
/// with how they were decided.
#[derive(Debug, Clone, Serialize)]
pub struct UnitResult {
    pub scheme: String,
    pub scheme_version: i64,
    pub scheme_hash: String,
    pub period: String,
    pub kind: Kind,
    pub class: ClassHead,
    pub row: UnitRow,
    /// What became of the unit after the period (merged, split, closed) and which units it
    /// took over up to it: its successor or predecessors, named.
    pub lineage: Vec<jixiao_core::org::Lineage>,
}

/// Why a unit has no results in a period: not in the organisation then (set up later, closed
/// or merged before the period ended — naming when and into what), or no such unit.
pub fn gone(live: &Live, unit: &str, period: &str) -> Error {
    use jixiao_core::org::Standing;
    let day = Period::parse(period)
        .map(|p| p.last_day())
        .unwrap_or_default();
    let Some(h) = &live.history else {
        return Error::not_found("单位", "unit");
    };
    let text = match h.standing(unit, &day) {
        Standing::NotYet(v) => Text::new(
            format!("单位“{unit}”自 {} 起设立，{period} 时尚不在册", v.from),
            format!(
                "unit `{unit}` was set up on {}; it was not in the organisation in {period}",
                v.from
            ),
        ),
        Standing::Gone(v) => {
            let to: Vec<&str> = v.successors.iter().map(|c| c.as_str()).collect();
            let to = to.join("、");
            Text::new(
                format!(
                    "单位“{unit}”已自 {} 起{}{}，{period} 由承继单位考核",
                    v.from,
                    v.change.name().zh,
                    if to.is_empty() {
                        String::new()
                    } else {
                        format!("（并入/分为 {to}）")
                    }
                ),
                format!(
                    "unit `{unit}` was {} from {}{}; {period} is assessed on its successor",
                    v.change.name().en,
                    v.from,
                    if to.is_empty() {
                        String::new()
                    } else {
                        format!(" (into {to})")
                    }
                ),
            )
        }
        _ => return Error::not_found("单位", "unit"),
    };
    Error::new(crate::error::Kind::NotFound, "unit_not_in_period", text)
}

/// A unit's results for a scheme and period.
pub async fn unit(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    unit: &str,
    kind: Kind,
) -> Result<UnitResult> {
    allow(state, caller, Action::ReadUnit { unit }).await?;
    unit_in(&*state.live.read().await, scheme, period, unit, kind)
}

fn unit_in(live: &Live, scheme: &str, period: &str, unit: &str, kind: Kind) -> Result<UnitResult> {
    let (s, t, _) = tracked(live, scheme, period)?;
    let uid = t.model.unit(unit).ok_or_else(|| gone(live, unit, period))?;
    let (cid, _) = t.model.class_of(uid).ok_or_else(|| {
        Error::not_found("本方案不考核该单位", "unit not assessed by this scheme")
    })?;
    let (scoring, values) = of_kind(s, t, kind);
    let r = report(
        &t.model,
        values,
        scoring,
        Some(cid),
        Detail {
            indicators: true,
            explanations: true,
            rows: false,
            warnings: false,
        },
    );
    let mut r = r;
    let p = Period::parse(period).map_err(|_| Error::not_found("期间", "period"))?;
    jixiao_core::applications::apply(&t.model, &mut r, &history(live, s, p, kind));
    let class = r
        .classes
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found("类别", "class"))?;
    let row = class
        .rows
        .iter()
        .find(|row| row.unit.as_str() == unit)
        .cloned()
        .ok_or_else(|| Error::not_found("单位", "unit"))?;
    Ok(UnitResult {
        scheme: scheme.to_owned(),
        scheme_version: s.row.version,
        scheme_hash: s.row.content_hash.clone(),
        period: period.to_owned(),
        kind,
        class: ClassHead {
            code: class.code.to_string(),
            name: class.name,
            units: class.units,
            modules: class.modules,
        },
        row,
        lineage: live.history.as_ref().map_or_else(Vec::new, |h| {
            let day = Period::parse(period)
                .map(|p| p.last_day())
                .unwrap_or_default();
            h.lineage(unit, &day)
        }),
    })
}

/// What the report card shows beside each indicator's score.
pub struct CardIndicator {
    /// The target with its unit of measure.
    pub target: Option<(Decimal, String)>,
    /// The reported numbers a computed input (a rate) comes from: name, value as stored, unit.
    pub reported: Vec<(Text, String, String)>,
    /// Evidence of the values behind the score: link and name.
    pub evidence: Vec<(String, String)>,
    /// The class's average score of the indicator.
    pub average: Option<Decimal>,
    /// The unit's score of the indicator in the previous period.
    pub last: Option<Decimal>,
}

/// A unit's report card (成绩单): its results explained, against its class and its past.
pub struct Card {
    pub result: UnitResult,
    pub scheme_title: Text,
    pub period: Period,
    /// Beside each of `result.row.indicators`, in order.
    pub indicators: Vec<CardIndicator>,
    /// The class's results of the period with indicator scores (averages, the radar).
    pub peers: Option<ClassReport>,
    /// The unit's total in each tracked period of the same length.
    pub trend: Vec<(Period, Option<Decimal>)>,
    /// The class's points (the charts' scale).
    pub class_points: Decimal,
    /// The places scores and totals show with (the scheme's display decimals).
    pub decimals: u32,
}

/// A unit's report card for a scheme and period.
pub async fn card(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    unit: &str,
    kind: Kind,
) -> Result<Card> {
    allow(state, caller, Action::ReadUnit { unit }).await?;
    // The values whose evidence the card links, gathered under the lock and read after it.
    let mut pending: Vec<Vec<i64>> = Vec::new();
    let mut card = {
        let live = state.live.read().await;
        let result = unit_in(&live, scheme, period, unit, kind)?;
        let (s, here, p) = tracked(&live, scheme, period)?;
        let m = &here.model;
        let uid = m
            .unit(unit)
            .ok_or_else(|| Error::not_found("单位", "unit"))?;
        let (cid, _) = m
            .class_of(uid)
            .ok_or_else(|| Error::not_found("类别", "class"))?;
        let class = &m.classes[cid as usize];
        // Class averages and last period's scores, indicator by indicator.
        let with_indicators = |per: Period| -> Option<ClassReport> {
            let t = s.periods.get(&per)?;
            let (scoring, values) = of_kind(s, t, kind);
            report(
                &t.model,
                values,
                scoring,
                Some(cid),
                Detail {
                    indicators: true,
                    explanations: false,
                    rows: false,
                    warnings: false,
                },
            )
            .classes
            .into_iter()
            .next()
        };
        let peers = with_indicators(p);
        let last = with_indicators(p.previous());
        let score_of = |row: &UnitRow, code: &str| {
            row.indicators
                .as_ref()?
                .iter()
                .find(|i| i.code.as_str() == code)
                .map(|i| i.score)
        };
        let mut indicators = Vec::new();
        for ind in result.row.indicators.iter().flatten() {
            let code = ind.code.as_str();
            let average = peers.as_ref().and_then(|c| {
                let scores: Vec<Decimal> =
                    c.rows.iter().filter_map(|r| score_of(r, code)).collect();
                (!scores.is_empty())
                    .then(|| scores.iter().sum::<Decimal>() / Decimal::from(scores.len()))
            });
            let last = last
                .as_ref()
                .and_then(|c| c.rows.iter().find(|r| r.unit.as_str() == unit))
                .and_then(|r| score_of(r, code));
            // A computed input (a rate) is shown with the reported numbers it comes from,
            // whose rows carry the evidence.
            let mut reported = Vec::new();
            let mut values = Vec::new();
            for i in ind.explanation.iter().flat_map(|e| &e.inputs) {
                let per = i.period.to_string();
                let mut base = Vec::new();
                if let Some(id) = m.element(i.element.as_str()) {
                    crate::ops::entry::inputs(m, id, &mut base);
                }
                for b in base {
                    let e = &m.elements[b as usize];
                    let Some(v) = live.values.get(unit, e.code.as_str(), &per) else {
                        continue;
                    };
                    if e.code.as_str() != i.element.as_str() {
                        reported.push((e.def.name.clone(), v.value.clone(), e.def.unit.clone()));
                    }
                    values.push(v.id);
                }
            }
            pending.push(values);
            let leaf = class.leaves.iter().find(|lf| lf.code.as_str() == code);
            indicators.push(CardIndicator {
                target: leaf.and_then(|lf| lf.target.map(|t| (t, lf.unit.clone()))),
                reported,
                evidence: Vec::new(),
                average,
                last,
            });
        }
        // Trend: the total in each tracked period of the same length.
        let trend = s
            .periods
            .keys()
            .filter(|k| k.granularity() == p.granularity())
            .map(|k| {
                let total = report_of(s, *k, kind, Detail::default()).and_then(|r| {
                    r.classes
                        .into_iter()
                        .flat_map(|c| c.rows)
                        .find(|r| r.unit.as_str() == unit)
                        .and_then(|r| r.total)
                });
                (*k, total)
            })
            .collect();
        Card {
            result,
            scheme_title: m.scheme.title.clone(),
            period: p,
            indicators,
            peers,
            trend,
            class_points: class.nodes[0].points,
            decimals: m.display_decimals(),
        }
    };
    for (ind, ids) in card.indicators.iter_mut().zip(pending) {
        for id in ids {
            ind.evidence
                .extend(crate::ops::evidence::links(state, "value", id).await?);
        }
    }
    Ok(card)
}

/// A warning the submitted data raise.
pub struct Warning {
    pub level: jixiao_core::warnings::Level,
    pub unit: String,
    pub unit_name: Text,
    pub rule: Text,
    pub value: Decimal,
    /// The unit of measure of the element the rule watches.
    pub measure: String,
}

/// Every warning the submitted data (provisional results) of `p` raise, worst first.
pub fn warnings_of(s: &LiveScheme, p: Period) -> Vec<Warning> {
    let era = s.era_of(p);
    let m = &era.model;
    jixiao_core::warnings::evaluate(m, &era.provisional, p)
        .into_iter()
        .map(|w| {
            let rule = &m.scheme.warnings[w.rule];
            let unit = &m.units[w.unit as usize];
            Warning {
                level: w.level,
                unit: unit.code.to_string(),
                unit_name: unit.name.clone(),
                rule: rule.name.clone(),
                value: w.value,
                measure: m
                    .element(rule.element.as_str())
                    .map(|e| m.elements[e as usize].def.unit.clone())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The district dashboard of a scheme and period: the ranking of each class, each unit's rank
/// in the previous period, reporting, the grades, the warnings.
pub struct Dashboard {
    pub title: Text,
    pub period: Period,
    pub periods: Vec<Period>,
    pub report: Report,
    /// Unit → rank in the previous period of the same length.
    pub previous: HashMap<String, u32>,
    /// Unit → its reporting for the period.
    pub reporting: HashMap<String, Reporting>,
    pub deadline: Option<String>,
    /// The scheme's grades, best first.
    pub grades: Vec<Text>,
    pub warnings: Vec<Warning>,
    /// The places scores and totals show with (the scheme's display decimals).
    pub decimals: u32,
}

pub async fn dashboard(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    kind: Kind,
) -> Result<Dashboard> {
    let live = state.live.read().await;
    allow_in(&live, caller, Action::ReadRankings)?;
    let (s, _, p) = tracked(&live, scheme, period)?;
    let report = report_of(s, p, kind, Detail::default())
        .ok_or_else(|| Error::not_found("期间", "period"))?;
    let previous = report_of(s, p.previous(), kind, Detail::default())
        .map(|r| {
            r.classes
                .into_iter()
                .flat_map(|c| c.rows)
                .filter_map(|row| Some((row.unit.to_string(), row.rank?)))
                .collect()
        })
        .unwrap_or_default();
    let deadline = live.deadline(scheme, period);
    let reporting = report
        .classes
        .iter()
        .flat_map(|c| &c.rows)
        .map(|row| {
            let u = row.unit.to_string();
            let r = reporting_of(&live, &u, p, deadline.as_deref());
            (u, r)
        })
        .collect();
    Ok(Dashboard {
        title: s.model.scheme.title.clone(),
        period: p,
        periods: s.periods.keys().copied().collect(),
        previous,
        reporting,
        deadline,
        grades: s.model.grades.iter().map(|g| g.name.clone()).collect(),
        warnings: warnings_of(s, p),
        report,
        decimals: s.model.display_decimals(),
    })
}

/// The scheme and period a page shows when none is named: the unit scheme's latest open
/// quarter (the one being reported now), else its latest period.
pub fn current(live: &Live) -> Option<(String, String)> {
    use jixiao_core::scheme::SchemeKind;
    let s = live
        .schemes
        .values()
        .find(|s| s.model.scheme.kind == SchemeKind::Unit)
        .or_else(|| live.schemes.values().next())?;
    let open: Vec<_> = live
        .periods
        .iter()
        .filter(|p| p.scheme_code == s.row.code)
        .collect();
    let pick = open
        .iter()
        .filter(|p| p.status == "open" && p.period.contains('Q'))
        .map(|p| p.period.clone())
        .max()
        .or_else(|| open.iter().map(|p| p.period.clone()).max())?;
    Some((s.row.code.clone(), pick))
}

/// [`current`] for the caller's pages.
pub async fn current_period(state: &AppState) -> Option<(String, String)> {
    current(&*state.live.read().await)
}

/// The places a scheme's scores and totals show with (its `display_decimals`; 2 when the
/// scheme is not published any more).
pub async fn display_decimals(state: &AppState, scheme: &str) -> u32 {
    state
        .live
        .read()
        .await
        .scheme(scheme)
        .map_or(2, |s| s.model.display_decimals())
}

/// The scheme and period of `unit`'s report card when none is named: the current one when it
/// assesses the unit, else the latest tracked period of a scheme that does (a budget project's
/// card is in its budget scheme).
pub async fn card_period(state: &AppState, unit: &str) -> Option<(String, String)> {
    let live = state.live.read().await;
    let assessed = |s: &LiveScheme, p: Period| {
        s.periods.get(&p).is_some_and(|t| {
            t.model
                .unit(unit)
                .is_some_and(|u| t.model.class_of(u).is_some())
        })
    };
    if let Some((s, p)) = current(&live)
        && let (Some(sc), Ok(per)) = (live.scheme(&s), Period::parse(&p))
        && assessed(sc, per)
    {
        return Some((s, p));
    }
    live.schemes.values().find_map(|s| {
        s.periods
            .keys()
            .rev()
            .find(|p| assessed(s, **p))
            .map(|p| (s.row.code.clone(), p.to_string()))
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct WhatIfBody {
    /// `[class/]code=points`
    #[serde(default)]
    pub points: Vec<String>,
    #[serde(default)]
    pub weight: Vec<String>,
    #[serde(default)]
    pub target: Vec<String>,
    /// `unit/code=k`
    #[serde(default)]
    pub coef: Vec<String>,
    /// Results applied: `application/grade=value`, `application/rule-number=value` or
    /// `application/otherwise=value` (e.g. `bonus/good=0.9`).
    #[serde(default)]
    pub outcome: Vec<String>,
}

/// Re-scores with changed points, weights, targets or coefficients (official values) and says
/// whose rank and grade would move. Nothing is stored.
pub async fn whatif(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    b: &WhatIfBody,
) -> Result<jixiao_core::whatif::WhatIf> {
    use jixiao_core::whatif::{Adjust, ChangeError, Lever};
    allow(state, caller, Action::WhatIf).await?;
    let mut adj = Vec::new();
    for (list, lever) in [
        (&b.points, Lever::Points),
        (&b.weight, Lever::Weight),
        (&b.target, Lever::Target),
        (&b.coef, Lever::Coefficient),
        (&b.outcome, Lever::Outcome),
    ] {
        for s in list {
            adj.push(Adjust::parse(lever, s).map_err(|e| match e {
                ChangeError::Syntax(t) => Error::bad_request("bad_change", t),
                ChangeError::Code(t) => Error::bad_request("bad_code", t),
            })?);
        }
    }
    let live = state.live.read().await;
    let (_, t, p) = tracked(&live, scheme, period)?;
    let model = &t.model;
    // The official values as a data set, so the what-if rebuilds them against its own model.
    let records = live
        .values
        .rows_where(|s| {
            jixiao_core::workflow::ValueState::parse(s.state).is_some_and(|st| st.official())
                && model.element(s.element).is_some()
                && model.unit(s.unit).is_some()
        })
        .filter_map(|r| {
            Some(jixiao_core::data::Record {
                unit: r.unit_code.clone().into(),
                item: r.element.clone().into(),
                period: Period::parse(&r.period).ok()?,
                value: std::str::FromStr::from_str(&r.value).ok()?,
                percent_sign: false,
                note: None,
                row: 0,
            })
        })
        .collect();
    let data = jixiao_core::data::DataSet {
        file: "jixiao".into(),
        encoding: "UTF-8",
        records,
        columns: [
            "unit".into(),
            "item".into(),
            "period".into(),
            "value".into(),
        ],
    };
    let earlier = earlier_years(&live, &model.scheme, p);
    let (w, _) = jixiao_core::whatif::what_if(model, &data, p, &adj, &earlier)
        .map_err(|i| Error::invalid(&i))?;
    Ok(w)
}

/// The periods a what-if of a scheme can run on, for the caller who may run one.
pub async fn whatif_periods(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
) -> Result<Vec<String>> {
    let live = state.live.read().await;
    allow_in(&live, caller, Action::WhatIf)?;
    let s = live
        .scheme(scheme)
        .ok_or_else(|| Error::not_found("已发布的方案", "published scheme"))?;
    Ok(s.periods.keys().map(|p| p.to_string()).collect())
}
