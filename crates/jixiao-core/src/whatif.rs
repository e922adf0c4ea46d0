//! What-if: re-score with changed points, weights, targets or coefficients and report whose
//! total, rank or grade would move. The scheme and organisation are changed as documents and
//! built again, so a what-if is checked exactly like a real change.

use crate::code::{Code, Ident};
use crate::data::DataSet;
use crate::doc::SourceText;
use crate::engine::{GradeRule, Scoring};
use crate::issue::Issues;
use crate::model::Model;
use crate::org::Org;
use crate::period::Period;
use crate::report::{Named, named_grade};
use crate::scheme::{Module, Scheme};
use crate::text::Text;
use crate::values::Values;
use rust_decimal::Decimal;
use serde::Serialize;

/// One change to try.
#[derive(Debug, Clone, PartialEq)]
pub enum Adjust {
    /// Set a module's or indicator's points (in `class`, or every class that has the code).
    Points {
        class: Option<Ident>,
        code: Ident,
        points: Decimal,
    },
    /// Set a module's or indicator's weight (percent of its parent).
    Weight {
        class: Option<Ident>,
        code: Ident,
        weight: Decimal,
    },
    /// Set an indicator's target.
    Target {
        class: Option<Ident>,
        code: Ident,
        target: Decimal,
    },
    /// Set a unit's elastic coefficient for an indicator or module.
    Coefficient { unit: Code, key: Ident, k: Decimal },
    /// Set the coefficient a results-applied rule gives (结果运用): `bonus/good=0.9` (the first
    /// rule of `bonus` that names grade `good`), `bonus/3=0.9` (its rule 3) or
    /// `bonus/otherwise=0.9`.
    Outcome {
        application: Ident,
        rule: OutcomeRule,
        value: Decimal,
    },
}

/// Which rule of an application an outcome change sets.
#[derive(Debug, Clone, PartialEq)]
pub enum OutcomeRule {
    /// The first rule naming this grade.
    Grade(Ident),
    /// Rule n, counted from 1.
    Number(u32),
    Otherwise,
}

/// What a change written as `[class/]code=number` (or `unit/code=k`) sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lever {
    Points,
    Weight,
    Target,
    Coefficient,
    Outcome,
}

impl Lever {
    /// The name people and programs use for it (`points`, `weight`, `target`, `coef`).
    pub fn code(self) -> &'static str {
        match self {
            Lever::Points => "points",
            Lever::Weight => "weight",
            Lever::Target => "target",
            Lever::Coefficient => "coef",
            Lever::Outcome => "outcome",
        }
    }
}

/// Why a change as written cannot be tried.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeError {
    /// Not `[class/]code=number` (`unit/code=k` for a coefficient).
    Syntax(Text),
    /// A class, indicator or unit code that is not a code.
    Code(Text),
}

impl ChangeError {
    pub fn text(&self) -> &Text {
        match self {
            ChangeError::Syntax(t) | ChangeError::Code(t) => t,
        }
    }
}

impl Adjust {
    /// Reads a change as people write it: `[class/]code=number`, or `unit/code=k` for a
    /// coefficient.
    pub fn parse(lever: Lever, s: &str) -> Result<Adjust, ChangeError> {
        let name = lever.code();
        let syntax = || {
            ChangeError::Syntax(if lever == Lever::Outcome {
                Text::new(
                    format!("{name}：“{s}”的写法应为 结果运用代码/等次、规则序号或 otherwise=系数"),
                    format!(
                        "{name}: `{s}` should read application/grade, rule number or otherwise=value"
                    ),
                )
            } else if lever == Lever::Coefficient {
                Text::new(
                    format!("{name}：“{s}”的写法应为 单位/代码=系数"),
                    format!("{name}: `{s}` should read unit/code=k"),
                )
            } else {
                Text::new(
                    format!("{name}：“{s}”的写法应为 [类别/]代码=数值"),
                    format!("{name}: `{s}` should read [class/]code=number"),
                )
            })
        };
        let (lhs, rhs) = s.split_once('=').ok_or_else(syntax)?;
        let v: Decimal = rhs.trim().parse().map_err(|_| syntax())?;
        let (scope, code) = match lhs.split_once('/') {
            Some((a, b)) => (Some(a.trim()), b.trim()),
            None => (None, lhs.trim()),
        };
        let ident = |c: &str| Ident::parse(c).map_err(|e| ChangeError::Code(e.text(c)));
        if lever == Lever::Outcome {
            let application = ident(scope.ok_or_else(syntax)?)?;
            let rule = match code {
                "otherwise" => OutcomeRule::Otherwise,
                n if n.chars().all(|c| c.is_ascii_digit()) => {
                    OutcomeRule::Number(n.parse().map_err(|_| syntax())?)
                }
                g => OutcomeRule::Grade(ident(g)?),
            };
            return Ok(Adjust::Outcome {
                application,
                rule,
                value: v,
            });
        }
        let code = ident(code)?;
        if lever == Lever::Coefficient {
            let unit = scope.ok_or_else(syntax)?;
            let unit = Code::parse(unit).map_err(|e| ChangeError::Code(e.text(unit)))?;
            return Ok(Adjust::Coefficient {
                unit,
                key: code,
                k: v,
            });
        }
        let class = scope.map(ident).transpose()?;
        Ok(match lever {
            Lever::Points => Adjust::Points {
                class,
                code,
                points: v,
            },
            Lever::Weight => Adjust::Weight {
                class,
                code,
                weight: v,
            },
            _ => Adjust::Target {
                class,
                code,
                target: v,
            },
        })
    }

    pub fn describe(&self) -> Text {
        let cls = |c: &Option<Ident>| c.as_ref().map(|c| format!("{c}/")).unwrap_or_default();
        match self {
            Adjust::Points {
                class,
                code,
                points,
            } => {
                let (c, p) = (cls(class), points.normalize());
                Text::new(
                    format!("{c}{code} 分值改为 {p}"),
                    format!("{c}{code} points set to {p}"),
                )
            }
            Adjust::Weight {
                class,
                code,
                weight,
            } => {
                let (c, w) = (cls(class), weight.normalize());
                Text::new(
                    format!("{c}{code} 权重改为 {w}%"),
                    format!("{c}{code} weight set to {w}%"),
                )
            }
            Adjust::Target {
                class,
                code,
                target,
            } => {
                let (c, t) = (cls(class), target.normalize());
                Text::new(
                    format!("{c}{code} 目标值改为 {t}"),
                    format!("{c}{code} target set to {t}"),
                )
            }
            Adjust::Coefficient { unit, key, k } => {
                let k = k.normalize();
                Text::new(
                    format!("{unit} 的 {key} 弹性系数改为 {k}"),
                    format!("{unit}'s coefficient for {key} set to {k}"),
                )
            }
            Adjust::Outcome {
                application,
                rule,
                value,
            } => {
                let (zh, en) = match rule {
                    OutcomeRule::Grade(g) => {
                        (format!("等次 {g} 的规则"), format!("the rule of grade {g}"))
                    }
                    OutcomeRule::Number(n) => (format!("规则{n}"), format!("rule {n}")),
                    OutcomeRule::Otherwise => ("其他情况".to_owned(), "otherwise".to_owned()),
                };
                Text::new(
                    format!("结果运用 {application} 的{zh}改为 {value}"),
                    format!("results applied {application}: {en} set to {value}"),
                )
            }
        }
    }
}

/// Applies a change to the documents; an error names what could not be found.
pub fn apply(scheme: &mut Scheme, org: &mut Org, adj: &Adjust) -> Result<(), Text> {
    let mut hits = 0;
    match adj {
        Adjust::Points {
            class,
            code,
            points,
        } => each_node(scheme, class, code, &mut hits, &mut |p, w| {
            *p = Some(*points);
            *w = None;
        }),
        Adjust::Weight {
            class,
            code,
            weight,
        } => each_node(scheme, class, code, &mut hits, &mut |p, w| {
            *p = None;
            *w = Some(*weight);
        }),
        Adjust::Target {
            class,
            code,
            target,
        } => {
            for (cc, c) in scheme.classes.iter_mut() {
                if class.as_ref().is_some_and(|x| x != cc) {
                    continue;
                }
                for m in &mut c.modules {
                    visit(m, &mut |m| {
                        for i in &mut m.indicators {
                            if &i.code == code {
                                i.target = Some(*target);
                                hits += 1;
                            }
                        }
                    });
                }
            }
        }
        Adjust::Outcome {
            application,
            rule,
            value,
        } => {
            let v = crate::applications::OutcomeValue::Number(*value);
            if let Some(a) = scheme
                .applications
                .iter_mut()
                .find(|a| &a.code == application)
            {
                match rule {
                    OutcomeRule::Otherwise => {
                        a.otherwise = Some(v);
                        hits += 1;
                    }
                    OutcomeRule::Number(n) => {
                        if let Some(r) = a.rules.get_mut((*n as usize).wrapping_sub(1)) {
                            r.value = v;
                            hits += 1;
                        }
                    }
                    OutcomeRule::Grade(g) => {
                        if let Some(r) = a.rules.iter_mut().find(|r| r.grade.contains(g)) {
                            r.value = v;
                            hits += 1;
                        }
                    }
                }
            }
            if hits == 0 {
                let what = adj.describe();
                return Err(Text::new(
                    format!("无法应用“{}”：找不到对应的结果运用规则", what.zh),
                    format!("cannot apply `{}`: no such results-applied rule", what.en),
                ));
            }
        }
        Adjust::Coefficient { unit, key, k } => {
            if let Some(u) = org.units.iter_mut().find(|u| &u.code == unit) {
                u.coefficients.insert(key.clone(), *k);
                hits += 1;
            } else {
                return Err(Text::new(
                    format!("组织文件中没有单位“{unit}”"),
                    format!("unit `{unit}` is not in the organisation file"),
                ));
            }
        }
    }
    if hits == 0 {
        let what = adj.describe();
        return Err(Text::new(
            format!("无法应用“{}”：找不到对应的模块或指标", what.zh),
            format!("cannot apply `{}`: no such module or indicator", what.en),
        ));
    }
    Ok(())
}

fn visit(m: &mut Module, f: &mut impl FnMut(&mut Module)) {
    f(m);
    for s in &mut m.modules {
        visit(s, f);
    }
}

fn each_node(
    scheme: &mut Scheme,
    class: &Option<Ident>,
    code: &Ident,
    hits: &mut usize,
    set: &mut impl FnMut(&mut Option<Decimal>, &mut Option<Decimal>),
) {
    for (cc, c) in scheme.classes.iter_mut() {
        if class.as_ref().is_some_and(|x| x != cc) {
            continue;
        }
        for m in &mut c.modules {
            visit(m, &mut |m| {
                if &m.code == code {
                    set(&mut m.points, &mut m.weight);
                    *hits += 1;
                }
                for i in &mut m.indicators {
                    if &i.code == code {
                        set(&mut i.points, &mut i.weight);
                        *hits += 1;
                    }
                }
            });
        }
    }
}

/// A unit whose result moves.
#[derive(Debug, Clone, Serialize)]
pub struct Moved {
    pub class: Ident,
    pub unit: Code,
    pub name: Text,
    pub total_before: Option<Decimal>,
    pub total_after: Option<Decimal>,
    pub rank_before: Option<u32>,
    pub rank_after: Option<u32>,
    pub grade_before: Option<Named>,
    pub grade_after: Option<Named>,
    pub rule_after: GradeRule,
}

#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    pub period: Period,
    pub changes: Vec<Text>,
    /// Units whose rank or grade changes.
    pub moved: Vec<Moved>,
    /// Units whose total changes but not their rank or grade.
    pub totals_only: Vec<Moved>,
    /// Results applied that change (a coefficient, an eligibility …), unit by unit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<OutcomeMoved>,
}

/// A unit's results-applied outcome that changes.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeMoved {
    pub unit: Code,
    pub name: Text,
    pub application: Ident,
    pub application_name: Text,
    pub before: Option<crate::applications::OutcomeValue>,
    pub after: Option<crate::applications::OutcomeValue>,
    /// Why, after the change.
    pub reason: Text,
}

/// Every outcome of every unit, by (unit, application).
fn outcomes_of(
    model: &Model,
    values: &Values,
    scoring: &Scoring,
    period: Period,
    earlier: &crate::applications::History,
) -> Vec<(Code, Text, crate::applications::Outcome)> {
    if model.scheme.applications.is_empty() {
        return Vec::new();
    }
    let mut r = crate::report::report(
        model,
        values,
        scoring,
        None,
        crate::report::Detail::default(),
    );
    let history =
        crate::applications::history_in_year(model, values, period, |_| None).then(earlier.clone());
    crate::applications::apply(model, &mut r, &history);
    r.classes
        .into_iter()
        .flat_map(|c| c.rows)
        .flat_map(|row| {
            let (u, n) = (row.unit.clone(), row.name.clone());
            row.outcomes
                .into_iter()
                .map(move |o| (u.clone(), n.clone(), o))
        })
        .collect()
}

/// Re-scores with `adjustments` applied and compares with the current result. `earlier`: the
/// grades of the years before the scheme's, for rules on consecutive results.
pub fn what_if(
    model: &Model,
    data: &DataSet,
    period: Period,
    adjustments: &[Adjust],
    earlier: &crate::applications::History,
) -> Result<(WhatIf, Issues), Issues> {
    let (values, _) = Values::build(model, data)?;
    let before = Scoring::compute(model, &values, period);
    let (mut scheme, mut org) = (model.scheme.clone(), model.org.clone());
    for a in adjustments {
        apply(&mut scheme, &mut org, a).map_err(|t| {
            Issues(vec![crate::issue::Issue::error(
                "whatif",
                "what-if",
                crate::issue::Location::File,
                t,
            )])
        })?;
    }
    let (after_model, warnings) = Model::build(
        scheme,
        org,
        &SourceText::detached("scheme (what-if)"),
        &SourceText::detached("org (what-if)"),
    )?;
    let (after_values, _) = Values::build(&after_model, data)?;
    let after = Scoring::compute(&after_model, &after_values, period);
    let mut moved = Vec::new();
    let mut totals_only = Vec::new();
    for (uid, u) in model.units.iter().enumerate() {
        let uid = uid as u32;
        let (Some(b), Some(a)) = (before.unit(model, uid), after.unit(&after_model, uid)) else {
            continue;
        };
        if b.total == a.total && b.rank == a.rank && b.grade == a.grade {
            continue;
        }
        let class = model
            .class_of(uid)
            .map(|(c, _)| model.classes[c as usize].code.clone())
            .unwrap_or_else(|| Ident::builtin("none"));
        let m = Moved {
            class,
            unit: u.code.clone(),
            name: u.name.clone(),
            total_before: b.total,
            total_after: a.total,
            rank_before: b.rank,
            rank_after: a.rank,
            grade_before: named_grade(model, b.grade),
            grade_after: named_grade(&after_model, a.grade),
            rule_after: a.grade_rule,
        };
        if b.rank != a.rank || b.grade != a.grade {
            moved.push(m);
        } else {
            totals_only.push(m);
        }
    }
    let before_outcomes = outcomes_of(model, &values, &before, period, earlier);
    let after_outcomes = outcomes_of(&after_model, &after_values, &after, period, earlier);
    let outcomes = after_outcomes
        .into_iter()
        .filter_map(|(unit, name, a)| {
            let b = before_outcomes
                .iter()
                .find(|(u, _, o)| *u == unit && o.code == a.code)
                .and_then(|(_, _, o)| o.value.clone());
            (b != a.value).then(|| OutcomeMoved {
                unit,
                name,
                application: a.code.clone(),
                application_name: a.name.clone(),
                before: b,
                after: a.value.clone(),
                reason: a.reason.clone(),
            })
        })
        .collect();
    let changes = adjustments.iter().map(Adjust::describe).collect();
    Ok((
        WhatIf {
            period,
            changes,
            moved,
            totals_only,
            outcomes,
        },
        warnings,
    ))
}
