//! Results as people and programs read them: ranked tables per class, and explanations built
//! on demand (never on the engine's hot path).

use crate::code::{Code, Ident};
use crate::engine::{
    ClassState, GradeRule, LeafState, Scoring, aggregate, finish, quota_allowed, trace_leaf,
};
use crate::explain::{Input, InputSource, Rule, Step, Trace, display, eq, n, step};
use crate::formula::Shift;
use crate::model::{ClassId, ElemId, LeafId, Model, SlotId, UnitId};
use crate::period::Period;
use crate::text::{Lang, Text};
use crate::values::{Origin, Values, Why, shift};
use rust_decimal::Decimal;
use serde::Serialize;
use std::cmp::Ordering;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scheme: SchemeInfo,
    pub period: Period,
    pub classes: Vec<ClassReport>,
    /// The warning lines the units' values cross in this period, red before yellow (when
    /// asked for: [`Detail::warnings`]; left out of publications, which stay as published).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<WarningRow>,
}

/// A warning raised for a unit: the rule, the line crossed, the value.
#[derive(Debug, Clone, Serialize)]
pub struct WarningRow {
    pub code: Ident,
    pub name: Text,
    pub element: Ident,
    pub unit: Code,
    pub unit_name: Text,
    pub level: crate::warnings::Level,
    pub value: Decimal,
    /// The line crossed at this level, e.g. `> 20`.
    pub line: String,
    /// Whether a warning of this level needs a verified rectification.
    pub rectify: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SchemeInfo {
    pub id: Code,
    pub title: Text,
    pub year: u16,
    pub version: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Named {
    pub code: Ident,
    pub name: Text,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModuleHead {
    pub code: Ident,
    pub name: Text,
    pub points: Decimal,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuotaInfo {
    pub grade: Named,
    pub share: Decimal,
    /// How many units of this class may have the grade.
    pub allowed: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    pub code: Ident,
    pub name: Text,
    pub points: Decimal,
    pub units: usize,
    pub modules: Vec<ModuleHead>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaInfo>,
    /// In rank order; blocked results last.
    pub rows: Vec<UnitRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitRow {
    pub rank: Option<u32>,
    pub unit: Code,
    pub name: Text,
    /// Scores of the first-level modules, in the order of [`ClassReport::modules`].
    pub modules: Vec<Option<Decimal>>,
    pub subtotal: Option<Decimal>,
    pub bonus: Decimal,
    pub deduction: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub veto: Option<Named>,
    pub total: Option<Decimal>,
    pub band: Option<Named>,
    pub grade: Option<Named>,
    pub grade_rule: GradeRule,
    /// Indicators whose missing data block this result.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<Ident>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicators: Option<Vec<IndicatorRow>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<UnitExplanation>,
    /// How the year result (年度综合) was made, when the class has one and the year is scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<crate::engine::YearParts>,
    /// Results applied ([`crate::applications::apply`]); empty until applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<crate::applications::Outcome>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    pub code: Ident,
    pub name: Text,
    pub points: Decimal,
    pub score: Decimal,
    pub state: LeafState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<LeafExplanation>,
}

/// How one indicator's score came about.
#[derive(Debug, Clone, Serialize)]
pub struct LeafExplanation {
    pub unit: Code,
    pub unit_name: Text,
    pub indicator: Ident,
    pub name: Text,
    pub module_path: Vec<Text>,
    pub points: Decimal,
    pub method: Text,
    pub direction: crate::scheme::Direction,
    pub source: crate::scheme::Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<Code>,
    pub period: Period,
    pub inputs: Vec<Input>,
    pub steps: Vec<Step>,
    pub score: Decimal,
    pub state: LeafState,
}

/// How a unit's total, rank and grade came about.
#[derive(Debug, Clone, Serialize)]
pub struct UnitExplanation {
    pub steps: Vec<Step>,
    pub standing: Vec<Step>,
    /// The nearest units above and below in the ranking.
    pub neighbours: Vec<Neighbour>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Neighbour {
    pub unit: Code,
    pub name: Text,
    pub rank: Option<u32>,
    pub total: Option<Decimal>,
    /// Total of this neighbour minus the unit's.
    pub gap: Option<Decimal>,
}

/// What to include in a report.
#[derive(Debug, Clone, Copy, Default)]
pub struct Detail {
    pub indicators: bool,
    pub explanations: bool,
    /// Name data-file rows in provenance (depends on row order, so off for reproducible output).
    pub rows: bool,
    /// The warnings raised in the period ([`Report::warnings`]).
    pub warnings: bool,
}

pub fn named_grade(model: &Model, g: Option<u16>) -> Option<Named> {
    g.and_then(|g| model.grades.get(g as usize)).map(|g| Named {
        code: g.code.clone(),
        name: g.name.clone(),
    })
}

/// Builds the report for `class` (or every class).
pub fn report(
    model: &Model,
    values: &Values,
    scoring: &Scoring,
    class: Option<ClassId>,
    detail: Detail,
) -> Report {
    let classes = model
        .classes
        .iter()
        .enumerate()
        .filter(|(i, _)| class.is_none_or(|c| c as usize == *i))
        .map(|(i, c)| {
            let cs = scoring.class(i as ClassId);
            let tops: Vec<u32> = c.nodes[0]
                .children
                .iter()
                .filter_map(|ch| {
                    if let crate::model::Child::Node(n) = ch {
                        Some(*n)
                    } else {
                        None
                    }
                })
                .collect();
            let quota = model.quota.as_ref().map(|q| {
                let g = &model.grades[q.grade];
                QuotaInfo {
                    grade: Named {
                        code: g.code.clone(),
                        name: g.name.clone(),
                    },
                    share: q.share,
                    allowed: quota_allowed(model, c.members.len()),
                }
            });
            let rows = cs
                .order
                .iter()
                .map(|&m| {
                    let u = &cs.units[m as usize];
                    let uid = c.members[m as usize];
                    let unit = &model.units[uid as usize];
                    let indicators = detail.indicators.then(|| {
                        (0..c.leaves.len() as LeafId)
                            .map(|l| {
                                let o = cs.leaf(m, l);
                                let leaf = &c.leaves[l as usize];
                                IndicatorRow {
                                    code: leaf.code.clone(),
                                    name: leaf.name.clone(),
                                    points: leaf.points,
                                    score: o.score,
                                    state: o.state,
                                    explanation: detail
                                        .explanations
                                        .then(|| {
                                            explain_leaf(
                                                model,
                                                values,
                                                scoring,
                                                uid,
                                                l,
                                                detail.rows,
                                            )
                                        })
                                        .flatten(),
                                }
                            })
                            .collect()
                    });
                    UnitRow {
                        rank: u.rank,
                        unit: unit.code.clone(),
                        name: unit.name.clone(),
                        modules: tops.iter().map(|&t| cs.node(m, t)).collect(),
                        subtotal: u.subtotal,
                        bonus: u.bonus,
                        deduction: u.deduction,
                        veto: u.veto.map(|v| {
                            let v = &c.vetoes[v as usize];
                            Named {
                                code: v.code.clone(),
                                name: v.name.clone(),
                            }
                        }),
                        total: u.total,
                        band: named_grade(model, u.band),
                        grade: named_grade(model, u.grade),
                        grade_rule: u.grade_rule,
                        blocked_by: (0..c.leaves.len())
                            .filter(|&l| cs.leaf(m, l as LeafId).state == LeafState::Blocked)
                            .map(|l| c.leaves[l].code.clone())
                            .collect(),
                        indicators,
                        explanation: detail
                            .explanations
                            .then(|| explain_unit(model, scoring, uid))
                            .flatten(),
                        year: cs.year.get(m as usize).cloned().flatten(),
                        outcomes: Vec::new(),
                    }
                })
                .collect();
            ClassReport {
                code: c.code.clone(),
                name: c.name.clone(),
                points: c.nodes[0].points,
                units: c.members.len(),
                modules: tops
                    .iter()
                    .map(|&t| ModuleHead {
                        code: c.nodes[t as usize].code.clone(),
                        name: c.nodes[t as usize].name.clone(),
                        points: c.nodes[t as usize].points,
                    })
                    .collect(),
                quota,
                rows,
            }
        })
        .collect();
    Report {
        scheme: SchemeInfo {
            id: model.scheme.id.clone(),
            title: model.scheme.title.clone(),
            year: model.scheme.year,
            version: model.scheme.version,
        },
        period: scoring.period,
        classes,
        warnings: if detail.warnings {
            crate::warnings::evaluate(model, values, scoring.period)
                .into_iter()
                .filter(|w| {
                    class.is_none_or(|c| {
                        model.units[w.unit as usize]
                            .class
                            .is_some_and(|(uc, _)| uc == c)
                    })
                })
                .map(|w| {
                    let rule = &model.scheme.warnings[w.rule];
                    let unit = &model.units[w.unit as usize];
                    WarningRow {
                        code: rule.code.clone(),
                        name: rule.name.clone(),
                        element: rule.element.clone(),
                        unit: unit.code.clone(),
                        unit_name: unit.name.clone(),
                        level: w.level,
                        value: w.value,
                        line: w.level.line(rule),
                        rectify: w.level.needs_rectification(rule),
                    }
                })
                .collect()
        } else {
            Vec::new()
        },
    }
}

/// Traces where an element's value for a unit and period comes from.
pub fn trace_input(
    model: &Model,
    values: &Values,
    unit: UnitId,
    elem: ElemId,
    period: Period,
    sh: Shift,
    rows: bool,
) -> Input {
    let e = &model.elements[elem as usize];
    let resolved = values.resolve(model, unit, elem, period);
    let value = resolved.as_ref().ok().copied();
    let source = if let Some((text, expr)) = &e.formula {
        let mut parts = Vec::new();
        let mut vars = Vec::new();
        expr.vars(&mut vars);
        for (d, s) in vars {
            if !parts
                .iter()
                .any(|p: &Input| p.element == model.elements[d as usize].code && p.shift == s)
            {
                parts.push(trace_input(
                    model,
                    values,
                    unit,
                    d,
                    shift(period, s),
                    s,
                    rows,
                ));
            }
        }
        let substituted = expr.render(&|(d, s): (ElemId, Shift)| {
            values
                .resolve(model, unit, d, shift(period, s))
                .map_or_else(|_| "?".into(), n)
        });
        let substituted = match &resolved {
            Ok(v) => format!("{substituted} {}", eq(*v)),
            Err(w) => format!("{substituted} → {}", why_text(model, w).zh),
        };
        InputSource::Computed {
            formula: text.clone(),
            substituted,
            parts,
        }
    } else if period.granularity() == e.def.frequency {
        match values.origin(unit, elem, period) {
            Some(Origin::Row { row }) => InputSource::Row {
                file: values.file.clone(),
                row: rows.then_some(row),
                note: values.note(unit, elem, period).map(str::to_owned),
            },
            Some(Origin::Set) => InputSource::Set,
            None if e.def.absent_is_zero => InputSource::AbsentIsZero,
            None => InputSource::Missing {
                reason: why_text(model, &Why::NotReported { elem, period }),
            },
        }
    } else if let (true, Some(outer)) = (
        e.def.carry && period.granularity() > e.def.frequency,
        period.containing(e.def.frequency),
    ) {
        let inner = trace_input(model, values, unit, elem, outer, Shift::Current, rows);
        InputSource::Carried {
            from: Box::new(inner),
        }
    } else if let (Ok(_), true) = (&resolved, period.granularity() < e.def.frequency) {
        let parts = period
            .parts(e.def.frequency)
            .into_iter()
            .map(|p| trace_input(model, values, unit, elem, p, Shift::Current, rows))
            .collect();
        InputSource::Aggregated {
            how: e.def.aggregate,
            parts,
        }
    } else {
        match &resolved {
            Err(w) => InputSource::Missing {
                reason: why_text(model, w),
            },
            Ok(_) => InputSource::Set,
        }
    };
    Input {
        element: e.code.clone(),
        name: e.def.name.clone(),
        unit: e.def.unit.clone(),
        period,
        shift: sh,
        value,
        source,
    }
}

/// Where a department's responsibility rate comes from: each indicator it answers for.
pub fn trace_responsibility(
    model: &Model,
    scoring: &Scoring,
    unit: UnitId,
    elem: ElemId,
    reader: crate::model::ClassId,
) -> Input {
    let e = &model.elements[elem as usize];
    let items = crate::engine::responsibility_items(model, reader, &scoring.classes)
        .into_iter()
        .filter(|i| i.unit == unit)
        .map(|i| {
            let class = &model.classes[i.class as usize];
            let leaf = &class.leaves[i.leaf as usize];
            crate::explain::ResponsibilityLine {
                indicator: leaf.code.clone(),
                name: leaf.name.clone(),
                class: class.name.clone(),
                lead: i.lead,
                share: i.share,
                rate: i.rate,
            }
        })
        .collect();
    Input {
        element: e.code.clone(),
        name: e.def.name.clone(),
        unit: e.def.unit.clone(),
        period: scoring.period,
        shift: Shift::Current,
        value: scoring
            .rollups
            .get(&elem)
            .and_then(|c| c.get(&unit))
            .copied(),
        source: InputSource::Responsibility { items },
    }
}

/// Where a roll-up's value for `unit` comes from: each child's result in the period.
pub fn trace_rollup(
    model: &Model,
    scoring: &Scoring,
    unit: UnitId,
    elem: ElemId,
    r: crate::model::Rollup,
) -> Input {
    let e = &model.elements[elem as usize];
    let class = &model.classes[r.class as usize];
    let cs = scoring.class(r.class);
    let children = class
        .members
        .iter()
        .enumerate()
        .filter(|(_, u)| model.units[**u as usize].parent == Some(unit))
        .map(|(m, &u)| {
            let res = cs.units.get(m);
            crate::explain::ChildResult {
                unit: model.units[u as usize].code.clone(),
                name: model.units[u as usize].name.clone(),
                total: res.and_then(|x| x.total),
                grade: res
                    .and_then(|x| x.grade)
                    .and_then(|g| model.grades.get(g as usize))
                    .map(|g| g.name.clone()),
                vetoed: res.is_some_and(|x| x.veto.is_some()),
            }
        })
        .collect();
    let grade = r.grade.map(|g| model.grades[g].name.clone());
    let value = scoring
        .rollups
        .get(&elem)
        .and_then(|c| c.get(&unit))
        .copied();
    Input {
        element: e.code.clone(),
        name: e.def.name.clone(),
        unit: e.def.unit.clone(),
        period: scoring.period,
        shift: Shift::Current,
        value,
        source: InputSource::RolledUp {
            measure: r.measure.name(grade.as_ref()),
            class: class.name.clone(),
            children,
        },
    }
}

pub fn why_text(model: &Model, w: &Why) -> Text {
    let name = |e: &ElemId| model.elements[*e as usize].code.to_string();
    match w {
        Why::NotReported { elem, period } => {
            let e = name(elem);
            Text::new(
                format!("“{e}”{period}未填报"),
                format!("`{e}` has no value for {period}"),
            )
        }
        Why::Coarser { elem, period } => {
            let e = name(elem);
            let f = model.elements[*elem as usize].def.frequency.name();
            let (fz, fe) = (&f.zh, &f.en);
            Text::new(
                format!("“{e}”按{fz}填报，{period}没有单独的数值"),
                format!("`{e}` is reported per {fe}, so {period} has no value of its own"),
            )
        }
        Why::DivisionByZero { elem, period } => {
            let e = name(elem);
            Text::new(
                format!("“{e}”{period}的公式除数为0"),
                format!("the formula of `{e}` divides by zero for {period}"),
            )
        }
        Why::Overflow { elem, period } => {
            let e = name(elem);
            Text::new(
                format!("“{e}”{period}计算溢出"),
                format!("`{e}` overflows for {period}"),
            )
        }
    }
}

/// The steps of a year result (年度综合): each shorter period's total, 平时考核, 年终考核, the
/// weighted sum.
fn year_steps(y: &crate::engine::YearParts, total: Option<Decimal>, dd: u32) -> Vec<Step> {
    let parts_zh: Vec<String> = y
        .parts
        .iter()
        .zip(&y.weights)
        .map(|((p, t), w)| {
            let t = t.map_or_else(|| "无结果".to_owned(), |t| display(t, dd));
            if y.weights.iter().all(|x| x == w) {
                format!("{p} {t}")
            } else {
                format!("{p} {t}（权重 {}）", n(*w))
            }
        })
        .collect();
    let parts_en: Vec<String> = y
        .parts
        .iter()
        .zip(&y.weights)
        .map(|((p, t), w)| {
            let t = t.map_or_else(|| "no result".to_owned(), |t| display(t, dd));
            if y.weights.iter().all(|x| x == w) {
                format!("{p} {t}")
            } else {
                format!("{p} {t} (weight {})", n(*w))
            }
        })
        .collect();
    let (a, b) = (n(y.shares.0), n(y.shares.1));
    let mut out = vec![step(
        Rule::Total,
        match y.periodic {
            Some(p) => Text::new(
                format!(
                    "平时考核：{}；加权平均 {}",
                    parts_zh.join("、"),
                    display(p, dd)
                ),
                format!(
                    "periodic assessments: {}; weighted mean {}",
                    parts_en.join(", "),
                    display(p, dd)
                ),
            ),
            None => Text::new(
                format!(
                    "平时考核：{}；有期间缺少结果，按规则暂无年度综合得分",
                    parts_zh.join("、")
                ),
                format!(
                    "periodic assessments: {}; a period has no result, so by the rules there is no year result yet",
                    parts_en.join(", ")
                ),
            ),
        },
        y.periodic,
    )];
    if let (Some(p), true) = (y.periodic, y.applied) {
        let t = total.unwrap_or_default();
        out.push(step(
            Rule::Total,
            Text::new(
                format!(
                    "年度综合得分 = 平时考核 {} × {a}% + 年终考核 {} × {b}% = {}",
                    display(p, dd),
                    display(y.year_end, dd),
                    display(t, dd)
                ),
                format!(
                    "year result = periodic {} × {a}% + year-end {} × {b}% = {}",
                    display(p, dd),
                    display(y.year_end, dd),
                    display(t, dd)
                ),
            ),
            t,
        ));
    } else if !y.applied {
        out.push(step(
            Rule::Total,
            Text::new(
                "一票否决，年度综合得分不按平时考核折算",
                "vetoed: the year result is not combined with the periodic assessments",
            ),
            None,
        ));
    }
    out
}

/// Explains one indicator's score for one unit.
pub fn explain_leaf(
    model: &Model,
    values: &Values,
    scoring: &Scoring,
    unit: UnitId,
    leaf: LeafId,
    rows: bool,
) -> Option<LeafExplanation> {
    let (cid, member) = model.class_of(unit)?;
    let class = &model.classes[cid as usize];
    let cs = scoring.class(cid);
    let l = class.leaves.get(leaf as usize)?;
    let row = cs.row(member);
    let mut slots = crate::model::leaf_slots(l);
    slots.dedup();
    let mut inputs = Vec::new();
    for s in &slots {
        let slot = class.slots[*s as usize];
        if model.elements[slot.elem as usize].responsibility {
            if !inputs
                .iter()
                .any(|i: &Input| i.element == model.elements[slot.elem as usize].code)
            {
                inputs.push(trace_responsibility(model, scoring, unit, slot.elem, cid));
            }
            continue;
        }
        if let Some(r) = model.elements[slot.elem as usize].rollup {
            if !inputs
                .iter()
                .any(|i: &Input| i.element == model.elements[slot.elem as usize].code)
            {
                inputs.push(trace_rollup(model, scoring, unit, slot.elem, r));
            }
            continue;
        }
        if !inputs.iter().any(|i: &Input| {
            i.element == model.elements[slot.elem as usize].code && i.shift == slot.shift
        }) {
            inputs.push(trace_input(
                model,
                values,
                unit,
                slot.elem,
                shift(scoring.period, slot.shift),
                slot.shift,
                rows,
            ));
        }
    }
    let (out, mut steps) = trace_leaf(
        class,
        leaf,
        model.override_of(unit, leaf),
        row,
        scoring.period.granularity().months(),
    );
    let mut score = out.score;
    if let crate::model::MethodModel::Rank { step: st, min } = &l.method
        && out.state == LeafState::Scored
    {
        score = cs.leaf(member, leaf).score;
        steps.push(rank_step(class, cs, leaf, member, *st, *min, score));
    }
    debug_assert_eq!(
        score,
        cs.leaf(member, leaf).score,
        "explanation must agree with the score"
    );
    let text = match cs.leaf(member, leaf).state {
        LeafState::Excluded => Text::new(
            format!("不计入（本项 {} 分由同级指标按比例折算）", n(l.points)),
            format!(
                "left out (its {} points are carried by its siblings)",
                n(l.points)
            ),
        ),
        LeafState::Blocked => Text::new(
            format!("待补数据（满分 {}），补齐前结果不公布", n(l.points)),
            format!(
                "awaiting data (of {}); the result is not published until then",
                n(l.points)
            ),
        ),
        LeafState::Scored | LeafState::MissingZero => Text::new(
            format!("得分 {}（满分 {}）", n(score), n(l.points)),
            format!("score {} (of {})", n(score), n(l.points)),
        ),
    };
    steps.push(step(Rule::Score, text, score));
    let mut module_path = Vec::new();
    let mut node = Some(l.parent);
    while let Some(nid) = node {
        if nid != 0 {
            module_path.push(class.nodes[nid as usize].name.clone());
        }
        node = class.nodes[nid as usize].parent;
    }
    module_path.reverse();
    let u = &model.units[unit as usize];
    Some(LeafExplanation {
        unit: u.code.clone(),
        unit_name: u.name.clone(),
        indicator: l.code.clone(),
        name: l.name.clone(),
        module_path,
        points: l.points,
        method: l.kind.name(),
        direction: l.direction,
        source: l.source,
        lead: l.lead.map(|d| model.units[d as usize].code.clone()),
        period: scoring.period,
        inputs,
        steps,
        score,
        state: cs.leaf(member, leaf).state,
    })
}

fn rank_step(
    class: &crate::model::ClassModel,
    cs: &ClassState,
    leaf: LeafId,
    member: u32,
    st: Decimal,
    min: Decimal,
    score: Decimal,
) -> Step {
    let l = &class.leaves[leaf as usize];
    let mine = crate::engine::leaf_actual(l, cs.row(member))
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut peers = 0u32;
    let mut better = 0u32;
    for m in 0..class.members.len() as u32 {
        if cs.leaf(m, leaf).state == LeafState::Scored
            && let Ok(Some(a)) = crate::engine::leaf_actual(l, cs.row(m))
        {
            peers += 1;
            let b = match l.direction {
                crate::scheme::Direction::Higher => a > mine,
                crate::scheme::Direction::Lower => a < mine,
            };
            better += u32::from(b);
        }
    }
    let rank = better + 1;
    let (w, c) = (n(l.points), n(st));
    step(
        Rule::Rank,
        Text::new(
            format!(
                "排名法：实际值 {} 在本类别 {peers} 个有数据的单位中排第 {rank} 名（并列取高名次）；得分 = max({w} − ({rank} − 1) × {c}, {}) = {}",
                n(mine),
                n(min),
                n(score)
            ),
            format!(
                "rank among peers: actual {} ranks {rank} of {peers} units with data (ties share the higher place); score = max({w} − ({rank} − 1) × {c}, {}) = {}",
                n(mine),
                n(min),
                n(score)
            ),
        ),
        score,
    )
}

/// Explains a unit's subtotals, bonus, deductions, veto, total, rank and grade.
pub fn explain_unit(model: &Model, scoring: &Scoring, unit: UnitId) -> Option<UnitExplanation> {
    let (cid, member) = model.class_of(unit)?;
    let class = &model.classes[cid as usize];
    let cs = scoring.class(cid);
    let mut tr = Trace::default();
    let mut nodes = vec![None; class.nodes.len()];
    let sub = aggregate(class, cs.member_leaves(member), &mut nodes, &mut tr);
    let blocked = cs
        .member_leaves(member)
        .iter()
        .any(|l| l.state == LeafState::Blocked);
    if blocked {
        let names: Vec<String> = (0..class.leaves.len())
            .filter(|&l| cs.leaf(member, l as LeafId).state == LeafState::Blocked)
            .map(|l| class.leaves[l].code.to_string())
            .collect();
        let list = names.join(", ");
        tr.0.push(step(
            Rule::Blocked,
            Text::new(
                format!("缺少数据的指标（{list}）按规则阻止公布，暂无总分"),
                format!("missing data in {list} blocks publication; no total yet"),
            ),
            None,
        ));
    }
    let r = finish(model, class, cs.row(member), sub, blocked, &mut tr);
    let u = &cs.units[member as usize];
    let dd = model.display_decimals();
    match cs.year.get(member as usize).and_then(Option::as_ref) {
        Some(y) => {
            debug_assert_eq!(
                r.total,
                Some(y.year_end),
                "explanation must agree with the year-end total"
            );
            tr.0.extend(year_steps(y, u.total, dd));
        }
        None => debug_assert_eq!(r.total, u.total, "explanation must agree with the total"),
    }
    let mut standing = Vec::new();
    let ranked = cs.units.iter().filter(|x| x.rank.is_some()).count();
    if let (Some(rank), Some(total)) = (u.rank, u.total) {
        standing.push(step(
            Rule::RankOrder,
            Text::new(
                format!(
                    "总分 {} 在“{}”{} 个有总分的单位中排第 {rank} 名",
                    display(total, dd),
                    class.name.zh,
                    ranked
                ),
                format!(
                    "total {} ranks {rank} of {ranked} units with a total in `{}`",
                    display(total, dd),
                    class.name.get(Lang::En)
                ),
            ),
            Decimal::from(rank),
        ));
        // Units with the same total: what separated them.
        for &o in &cs.order {
            if o == member || cs.units[o as usize].total != u.total {
                continue;
            }
            let other = &model.units[class.members[o as usize] as usize];
            let text = tie_text(class, cs, member, o, &other.name);
            standing.push(step(Rule::TieBreak, text, None));
        }
    }
    if let Some(band) = u.band {
        let g = &model.grades[band as usize];
        let total = u.total.unwrap_or_default();
        standing.push(step(
            Rule::GradeBand,
            Text::new(
                format!(
                    "总分 {}（未四舍五入：{}）≥ {}，属于“{}”档",
                    display(total, dd),
                    total.normalize(),
                    n(g.min),
                    g.name.zh
                ),
                format!(
                    "total {} (unrounded {}) ≥ {}: band `{}`",
                    display(total, dd),
                    total.normalize(),
                    n(g.min),
                    g.name.get(Lang::En)
                ),
            ),
            None,
        ));
    }
    let gname = |g: Option<u16>| named_grade(model, g).map(|g| g.name).unwrap_or_default();
    match u.grade_rule {
        GradeRule::Band | GradeRule::Blocked => {}
        GradeRule::QuotaDemoted { allowed } => {
            let (g, to) = (gname(u.band), gname(u.grade));
            standing.push(step(Rule::Quota, Text::new(format!("“{}”名额为 {allowed} 个（{} 个单位 × {}%，向下取整），名额已满，等次定为“{}”", g.zh, class.members.len(), n(model.quota.as_ref().map_or(Decimal::ZERO, |q| q.share * Decimal::ONE_HUNDRED)), to.zh), format!("`{}` is limited to {allowed} ({} units × {}%, rounded down); the quota is full, so the grade is `{}`", g.get(Lang::En), class.members.len(), n(model.quota.as_ref().map_or(Decimal::ZERO, |q| q.share * Decimal::ONE_HUNDRED)), to.get(Lang::En))), None));
        }
        GradeRule::QuotaTie { allowed } => {
            let (g, to) = (gname(u.band), gname(u.grade));
            standing.push(step(Rule::QuotaTie, Text::new(format!("“{}”名额 {allowed} 个，本单位与其他单位在所有同分规则下仍并列于名额线，按方案规则等次为“{}”", g.zh, to.zh), format!("`{}` is limited to {allowed}; this unit is tied at the cut on every tie-break rule, so by the scheme's rule its grade is `{}`", g.get(Lang::En), to.get(Lang::En))), None));
        }
        GradeRule::Veto | GradeRule::VetoCapped => {
            let v = u
                .veto
                .map(|v| class.vetoes[v as usize].name.clone())
                .unwrap_or_default();
            let to = gname(u.grade);
            standing.push(step(
                Rule::VetoGrade,
                Text::new(
                    format!("一票否决“{}”，等次为“{}”", v.zh, to.zh),
                    format!("veto `{}`: grade `{}`", v.get(Lang::En), to.get(Lang::En)),
                ),
                None,
            ));
        }
    }
    if let Some(g) = u.grade {
        let g = &model.grades[g as usize];
        standing.push(step(
            Rule::GradeBand,
            Text::new(
                format!("最终等次：{}", g.name.zh),
                format!("final grade: {}", g.name.get(Lang::En)),
            ),
            None,
        ));
    }
    let pos = cs.order.iter().position(|&m| m == member);
    let mut neighbours = Vec::new();
    if let Some(p) = pos {
        for q in [p.checked_sub(1), Some(p + 1)].into_iter().flatten() {
            if let Some(&o) = cs.order.get(q) {
                let other = &cs.units[o as usize];
                let ou = &model.units[class.members[o as usize] as usize];
                neighbours.push(Neighbour {
                    unit: ou.code.clone(),
                    name: ou.name.clone(),
                    rank: other.rank,
                    total: other.total,
                    gap: other.total.zip(u.total).map(|(a, b)| a - b),
                });
            }
        }
    }
    Some(UnitExplanation {
        steps: tr.0,
        standing,
        neighbours,
    })
}

fn tie_text(
    class: &crate::model::ClassModel,
    cs: &ClassState,
    a: u32,
    b: u32,
    other: &Text,
) -> Text {
    for k in &class.tie_break {
        let (va, vb, name) = match *k {
            crate::model::TieKey::Node(nid) => (
                cs.node(a, nid),
                cs.node(b, nid),
                class.nodes[nid as usize].name.clone(),
            ),
            crate::model::TieKey::Leaf(l) => (
                Some(cs.leaf(a, l).score),
                Some(cs.leaf(b, l).score),
                class.leaves[l as usize].name.clone(),
            ),
        };
        if va != vb {
            let (x, y) = (va.map_or("-".into(), n), vb.map_or("-".into(), n));
            let ahead = va.cmp(&vb) == Ordering::Greater;
            return Text::new(
                format!(
                    "与“{}”总分相同，按“{}”得分 {x} 对 {y} {}",
                    other.zh,
                    name.zh,
                    if ahead {
                        "排在其前"
                    } else {
                        "排在其后"
                    }
                ),
                format!(
                    "same total as `{}`; on `{}` {x} vs {y}, so {}",
                    other.get(Lang::En),
                    name.get(Lang::En),
                    if ahead { "ahead" } else { "behind" }
                ),
            );
        }
    }
    Text::new(
        format!("与“{}”总分及所有同分排序规则均相同，名次并列", other.zh),
        format!(
            "same total and tie-break scores as `{}`: they share the rank",
            other.get(Lang::En)
        ),
    )
}

/// A leaf explanation as plain lines a clerk can follow with a calculator.
pub fn render_leaf(e: &LeafExplanation, lang: Lang, dd: u32) -> Vec<String> {
    let mut out = Vec::new();
    let path: Vec<&str> = e.module_path.iter().map(|t| t.get(lang)).collect();
    match lang {
        Lang::Zh => {
            out.push(format!(
                "{}（{}）· {} · {}",
                e.unit_name.zh,
                e.unit,
                e.period.label(lang),
                path.join(" › ")
            ));
            out.push(format!(
                "指标：{}（{}），分值 {}，计分方法：{}{}",
                e.name.zh,
                e.indicator,
                n(e.points),
                e.method.zh,
                e.lead
                    .as_ref()
                    .map(|l| format!("，牵头单位 {l}"))
                    .unwrap_or_default()
            ));
            out.push("数据：".into());
        }
        Lang::En => {
            out.push(format!(
                "{} ({}) · {} · {}",
                e.unit_name.get(lang),
                e.unit,
                e.period,
                path.join(" › ")
            ));
            out.push(format!(
                "indicator: {} ({}), {} points, method: {}{}",
                e.name.get(lang),
                e.indicator,
                n(e.points),
                e.method.en,
                e.lead
                    .as_ref()
                    .map(|l| format!(", lead department {l}"))
                    .unwrap_or_default()
            ));
            out.push("data:".into());
        }
    }
    if e.inputs.is_empty() {
        out.push(match lang {
            Lang::Zh => "  （无）".into(),
            Lang::En => "  (none)".into(),
        });
    }
    for i in &e.inputs {
        i.render(lang, 1, &mut out);
    }
    out.push(match lang {
        Lang::Zh => "计算：".into(),
        Lang::En => "computation:".into(),
    });
    for (k, s) in e.steps.iter().enumerate() {
        out.push(format!("  {}. {}", k + 1, s.text.get(lang)));
    }
    out.push(match (e.state, lang) {
        (LeafState::Excluded, Lang::Zh) => "得分：不计入".to_owned(),
        (LeafState::Excluded, Lang::En) => "score: left out".to_owned(),
        (LeafState::Blocked, Lang::Zh) => "得分：待补数据".to_owned(),
        (LeafState::Blocked, Lang::En) => "score: awaiting data".to_owned(),
        (_, Lang::Zh) => format!(
            "得分：{}（显示保留{}位小数，四舍五入）",
            display(e.score, dd),
            dd
        ),
        (_, Lang::En) => format!(
            "score: {} (shown to {} decimals, half-up)",
            display(e.score, dd),
            dd
        ),
    });
    out
}

/// A unit explanation as plain lines.
pub fn render_unit(model: &Model, unit: UnitId, e: &UnitExplanation, lang: Lang) -> Vec<String> {
    let u = &model.units[unit as usize];
    let mut out = vec![match lang {
        Lang::Zh => format!("{}（{}）总分构成：", u.name.zh, u.code),
        Lang::En => format!(
            "{} ({}): how the total is made up",
            u.name.get(lang),
            u.code
        ),
    }];
    for (k, s) in e.steps.iter().enumerate() {
        out.push(format!("  {}. {}", k + 1, s.text.get(lang)));
    }
    out.push(match lang {
        Lang::Zh => "名次与等次：".into(),
        Lang::En => "rank and grade:".into(),
    });
    for s in &e.standing {
        out.push(format!("  - {}", s.text.get(lang)));
    }
    let dd = model.display_decimals();
    for nb in &e.neighbours {
        let gap = nb.gap.map(|g| display(g, dd)).unwrap_or_else(|| "-".into());
        out.push(match lang {
            Lang::Zh => format!(
                "  · 相邻：第{}名 {}（{}）总分 {}，差 {}",
                nb.rank.map_or("-".into(), |r| r.to_string()),
                nb.name.zh,
                nb.unit,
                nb.total.map_or("-".into(), |t| display(t, dd)),
                gap
            ),
            Lang::En => format!(
                "  · next: #{} {} ({}) total {}, gap {}",
                nb.rank.map_or("-".into(), |r| r.to_string()),
                nb.name.get(lang),
                nb.unit,
                nb.total.map_or("-".into(), |t| display(t, dd)),
                gap
            ),
        });
    }
    out
}

/// The slot of `elem` read by `class`, if any (used by callers that change values).
pub fn slot_of(model: &Model, class: ClassId, elem: ElemId) -> Option<SlotId> {
    model.classes[class as usize]
        .slots
        .iter()
        .position(|s| s.elem == elem && s.shift == Shift::Current)
        .map(|s| s as SlotId)
}
