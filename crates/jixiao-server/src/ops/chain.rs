//! 五链 for one indicator: goal → responsibility → execution → supervision → assessment. The
//! target (and each unit's own), the lead and cooperating departments with their shares of
//! responsibility, each assessed unit's numbers and their states, the warnings raised on them
//! and what waits for review, and the scores — on one page, so the office sees who answers for
//! an indicator and where it stands.

use crate::error::{Error, Result};
use crate::live::Kind;
use crate::ops::Caller;
use crate::state::AppState;
use jixiao_core::Decimal;
use jixiao_core::access::Action;
use jixiao_core::text::Text;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ChainQuery {
    /// `provisional` (the default: what is reported and in review) or `official`.
    pub kind: Option<Kind>,
}

/// A department that answers for the indicator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Responsible {
    pub unit: String,
    #[schema(value_type = Object)]
    pub name: Text,
    /// `lead` (牵头) or `cooperating` (配合).
    pub role: String,
    /// Share of responsibility, percent.
    #[schema(value_type = String)]
    pub share: Decimal,
}

/// A number a unit reports for the indicator, as it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Number {
    pub element: String,
    #[schema(value_type = Object)]
    pub name: Text,
    pub value: Option<String>,
    /// The workflow state (`draft`, `submitted`, … `counted`); none when nothing is entered.
    pub state: Option<String>,
}

/// A warning on one of the indicator's numbers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainWarning {
    pub id: i64,
    pub level: String,
    pub state: String,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainRow {
    pub unit: String,
    #[schema(value_type = Object)]
    pub name: Text,
    /// The target this unit is scored against (its own, after its coefficient), if any.
    #[schema(value_type = Option<String>)]
    pub target: Option<Decimal>,
    /// Its elastic coefficient, if any.
    #[schema(value_type = Option<String>)]
    pub coefficient: Option<Decimal>,
    pub numbers: Vec<Number>,
    /// Numbers submitted and waiting for a review.
    pub waiting: usize,
    pub warnings: Vec<ChainWarning>,
    #[schema(value_type = String)]
    pub score: Decimal,
    #[schema(value_type = String)]
    pub points: Decimal,
    /// `scored`, `missing_zero`, `excluded` or `blocked`.
    pub state: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainClass {
    pub code: String,
    #[schema(value_type = Object)]
    pub name: Text,
    #[schema(value_type = String)]
    pub points: Decimal,
    pub rows: Vec<ChainRow>,
    /// Σ scores ÷ Σ points of the units scored, percent (the district-wide result).
    #[schema(value_type = Option<String>)]
    pub rate: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Chain {
    pub scheme: String,
    #[schema(value_type = Object)]
    pub title: Text,
    pub period: String,
    pub kind: Kind,
    pub indicator: String,
    #[schema(value_type = Object)]
    pub name: Text,
    /// Unit of measure.
    pub unit: String,
    #[schema(value_type = Object)]
    pub method: Text,
    #[schema(value_type = Option<String>)]
    pub target: Option<Decimal>,
    #[schema(value_type = Option<Object>)]
    pub definition: Option<Text>,
    pub responsible: Vec<Responsible>,
    pub classes: Vec<ChainClass>,
}

/// The chain of `indicator` in a scheme's period (readers of the rankings, and the indicator's
/// lead and cooperating departments).
pub async fn chain(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    indicator: &str,
    q: &ChainQuery,
) -> Result<Chain> {
    caller.require_signed_in()?;
    let kind = q.kind.unwrap_or(Kind::Provisional);
    let (mut chain, watched) = {
        let live = state.live.read().await;
        let (s, t, _) = crate::ops::results::tracked(&live, scheme, period)?;
        let m = &t.model;
        let found: Vec<(u32, u32)> = (0..m.classes.len() as u32)
            .filter_map(|c| m.find_leaf(c, indicator).map(|l| (c, l)))
            .collect();
        let Some(&(c0, l0)) = found.first() else {
            return Err(Error::not_found("指标", "indicator"));
        };
        let leaf = &m.classes[c0 as usize].leaves[l0 as usize];
        let mut responsible: Vec<Responsible> = Vec::new();
        let dept = |u: u32| {
            let u = &m.units[u as usize];
            (u.code.to_string(), u.name.clone())
        };
        if let Some(l) = leaf.lead {
            let (unit, name) = dept(l);
            responsible.push(Responsible {
                unit,
                name,
                role: "lead".into(),
                share: leaf.shares.0,
            });
        }
        for &c in &leaf.cooperating {
            let (unit, name) = dept(c);
            responsible.push(Responsible {
                unit,
                name,
                role: "cooperating".into(),
                share: leaf.shares.1,
            });
        }
        let answers = caller
            .user
            .as_ref()
            .and_then(|u| u.unit.as_deref())
            .is_some_and(|mine| responsible.iter().any(|r| r.unit == mine));
        if !answers {
            crate::ops::allow_in(&live, caller, Action::ReadRankings)?;
        }
        let (scoring, _) = crate::ops::results::of_kind(s, t, kind);
        let period_s = period.to_owned();
        let mut watched: Vec<String> = Vec::new();
        let classes = found
            .iter()
            .map(|&(c, l)| {
                let class = &m.classes[c as usize];
                let leaf = &class.leaves[l as usize];
                let mut elems: Vec<u32> = Vec::new();
                for slot in jixiao_core::model::leaf_slots(leaf) {
                    let e = class.slots[slot as usize].elem;
                    // A warning may watch the computed element itself (a rate), or what it
                    // is computed from.
                    let code = m.elements[e as usize].code.to_string();
                    if !watched.contains(&code) {
                        watched.push(code);
                    }
                    crate::ops::entry::inputs(m, e, &mut elems);
                }
                for &e in &elems {
                    let code = m.elements[e as usize].code.to_string();
                    if !watched.contains(&code) {
                        watched.push(code);
                    }
                }
                let cs = scoring.class(c);
                let mut rows: Vec<ChainRow> = class
                    .members
                    .iter()
                    .enumerate()
                    .map(|(mi, &u)| {
                        let unit = &m.units[u as usize];
                        let code = unit.code.to_string();
                        let ov = m.override_of(u, l);
                        let numbers: Vec<Number> = elems
                            .iter()
                            .filter(|&&e| {
                                m.elements[e as usize].rollup.is_none()
                                    && !m.elements[e as usize].responsibility
                            })
                            .map(|&e| {
                                let el = &m.elements[e as usize];
                                let row = live.values.get(&code, el.code.as_str(), &period_s);
                                Number {
                                    element: el.code.to_string(),
                                    name: el.def.name.clone(),
                                    state: row.as_ref().map(|r| r.state.clone()),
                                    value: row.map(|r| r.value),
                                }
                            })
                            .collect();
                        let waiting = numbers
                            .iter()
                            .filter(|n| {
                                matches!(
                                    n.state.as_deref(),
                                    Some("submitted" | "approved" | "verified")
                                )
                            })
                            .count();
                        let out = cs.leaf(mi as u32, l);
                        ChainRow {
                            unit: code,
                            name: unit.name.clone(),
                            target: ov.and_then(|o| o.target.or(o.unit_target)).or(leaf.target),
                            coefficient: ov.and_then(|o| o.coefficient.as_ref().map(|c| c.0)),
                            numbers,
                            waiting,
                            warnings: Vec::new(),
                            score: out.score,
                            points: leaf.points,
                            state: serde_json::to_value(out.state)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default(),
                        }
                    })
                    .collect();
                rows.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.unit.cmp(&b.unit)));
                let scored: Vec<&ChainRow> = rows
                    .iter()
                    .filter(|r| r.state != "excluded" && r.state != "blocked")
                    .collect();
                let points: Decimal = scored.iter().map(|r| r.points).sum();
                let rate = (!points.is_zero()).then(|| {
                    scored.iter().map(|r| r.score).sum::<Decimal>() * Decimal::ONE_HUNDRED / points
                });
                ChainClass {
                    code: class.code.to_string(),
                    name: class.name.clone(),
                    points: leaf.points,
                    rows,
                    rate,
                }
            })
            .collect();
        (
            Chain {
                scheme: scheme.to_owned(),
                title: s.model.scheme.title.clone(),
                period: period.to_owned(),
                kind,
                indicator: indicator.to_owned(),
                name: leaf.name.clone(),
                unit: leaf.unit.clone(),
                method: leaf.kind.name(),
                target: leaf.target,
                definition: s
                    .model
                    .scheme
                    .classes
                    .get(&m.classes[c0 as usize].code)
                    .and_then(|c| find_indicator(&c.modules, indicator))
                    .and_then(|i| i.definition.clone()),
                responsible,
                classes,
            },
            watched,
        )
    };
    // 监督链: the warnings raised on its numbers this period.
    crate::ops::warnings::settled(state).await;
    let mut conn = state.store.read().await?;
    let warnings =
        jixiao_store::warnings::latest_of_period(&mut conn, scheme, period, None).await?;
    let mut by_unit: HashMap<&str, Vec<ChainWarning>> = HashMap::new();
    for w in warnings
        .iter()
        .filter(|w| watched.contains(&w.element) && w.state != "resolved" && w.state != "closed")
    {
        by_unit
            .entry(w.unit_code.as_str())
            .or_default()
            .push(ChainWarning {
                id: w.id,
                level: w.level.clone(),
                state: w.state.clone(),
                overdue: w.overdue,
            });
    }
    for c in &mut chain.classes {
        for r in &mut c.rows {
            if let Some(ws) = by_unit.remove(r.unit.as_str()) {
                r.warnings = ws;
            }
        }
    }
    Ok(chain)
}

fn find_indicator<'a>(
    modules: &'a [jixiao_core::scheme::Module],
    code: &str,
) -> Option<&'a jixiao_core::scheme::Indicator> {
    modules.iter().find_map(|m| {
        m.indicators
            .iter()
            .find(|i| i.code.as_str() == code)
            .or_else(|| find_indicator(&m.modules, code))
    })
}
