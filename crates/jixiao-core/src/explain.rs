//! Explanations: every number the engine produces can be traced to its inputs, target,
//! coefficient, method and rule. The engine's scoring functions are generic over [`Tracer`]: on
//! the hot path [`NoTrace`] compiles to nothing; [`Trace`] records the same computation step by
//! step, so an explanation can never disagree with the score it explains.

use crate::code::Ident;
use crate::formula::Shift;
use crate::period::Period;
use crate::scheme::Aggregate;
use crate::text::{Lang, Text};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// The rule that decided a step. Stable names, for programs and for the documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Actual,
    ActualMissing,
    MissingZero,
    MissingExclude,
    MissingBlock,
    NoneRecorded,
    Target,
    TargetUnit,
    CoefficientTarget,
    CoefficientScore,
    TargetProrated,
    RatioHigher,
    RatioLower,
    RatioLowerZero,
    Cap,
    FloorZero,
    Threshold,
    Linear,
    Qualitative,
    QualitativeBand,
    Deduction,
    DeductToZero,
    Bonus,
    Rank,
    Formula,
    Score,
    ModuleSum,
    Renormalise,
    Redistribute,
    AllExcluded,
    BonusItem,
    BonusCap,
    DeductionItem,
    DeductionCap,
    Veto,
    Total,
    TotalFloor,
    RankOrder,
    TieBreak,
    GradeBand,
    Quota,
    QuotaTie,
    VetoGrade,
    Blocked,
}

/// One step of a computation: which rule, what happened in words, and the resulting number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub rule: Rule,
    pub text: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Decimal>,
}

pub trait Tracer {
    const ON: bool;
    fn step(&mut self, make: impl FnOnce() -> Step);
}

/// Records nothing; the hot path.
pub struct NoTrace;

impl Tracer for NoTrace {
    const ON: bool = false;
    #[inline(always)]
    fn step(&mut self, _: impl FnOnce() -> Step) {}
}

/// Records every step.
#[derive(Debug, Default)]
pub struct Trace(pub Vec<Step>);

impl Tracer for Trace {
    const ON: bool = true;
    fn step(&mut self, make: impl FnOnce() -> Step) {
        self.0.push(make());
    }
}

pub fn step(rule: Rule, text: Text, value: impl Into<Option<Decimal>>) -> Step {
    Step {
        rule,
        text,
        value: value.into(),
    }
}

/// A number as written in an explanation: exact when short, otherwise to four places.
pub fn n(d: Decimal) -> String {
    let d = d.normalize();
    if d.scale() <= 4 {
        d.to_string()
    } else {
        round_half_up(d, 4).normalize().to_string()
    }
}

/// `= 96` when exact, `≈ 10.6667` when shortened.
pub fn eq(d: Decimal) -> String {
    let d2 = d.normalize();
    if d2.scale() <= 4 {
        format!("= {}", n(d))
    } else {
        format!("≈ {}", n(d))
    }
}

/// The one rounding of everything people read (pages, charts, workbooks, the command line,
/// explanations): half away from zero — "四舍五入", as DOMAIN.md §1 requires — at `decimals`
/// places. Scores are never rounded before this (rounding only at output).
pub fn round_half_up(d: Decimal, decimals: u32) -> Decimal {
    d.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
}

/// Rounds half-up for display, with exactly `decimals` places.
pub fn display(d: Decimal, decimals: u32) -> String {
    format!("{:.*}", decimals as usize, round_half_up(d, decimals))
}

/// Where an input value came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputSource {
    /// A row of the data file (the row number only when asked for: it depends on row order).
    Row {
        file: String,
        row: Option<u32>,
        note: Option<String>,
    },
    /// Set through the API or a what-if change.
    Set,
    /// Nothing reported, and for this element that means none happened (`absent_is_zero`).
    AbsentIsZero,
    /// Combined from finer periods.
    Aggregated { how: Aggregate, parts: Vec<Input> },
    /// A value of the longer period that contains this one (e.g. the annual plan in a quarter).
    Carried { from: Box<Input> },
    /// Computed by the element's formula.
    Computed {
        formula: String,
        substituted: String,
        parts: Vec<Input>,
    },
    /// Rolled up from the children's results (区-街-村): the measure and each child.
    RolledUp {
        measure: Text,
        class: Text,
        children: Vec<ChildResult>,
    },
    /// 五链: the indicators the unit leads or cooperates on, each with its share and the
    /// district-wide score rate.
    Responsibility { items: Vec<ResponsibilityLine> },
    /// No value.
    Missing { reason: Text },
}

/// One indicator a department answers for, as its responsibility rate read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponsibilityLine {
    pub indicator: crate::code::Ident,
    pub name: Text,
    pub class: Text,
    /// Lead (牵头) or cooperating (配合).
    pub lead: bool,
    pub share: Decimal,
    pub rate: Decimal,
}

/// One child's result as a roll-up read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChildResult {
    pub unit: crate::code::Code,
    pub name: Text,
    pub total: Option<Decimal>,
    pub grade: Option<Text>,
    pub vetoed: bool,
}

/// One input of a computation with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Input {
    pub element: Ident,
    pub name: Text,
    pub unit: String,
    pub period: Period,
    pub shift: Shift,
    pub value: Option<Decimal>,
    pub source: InputSource,
}

impl Input {
    /// The input and its provenance as indented lines.
    pub fn render(&self, lang: Lang, indent: usize, out: &mut Vec<String>) {
        let pad = "  ".repeat(indent);
        let val = self.value.map_or_else(
            || match lang {
                Lang::Zh => "无数据".to_owned(),
                Lang::En => "no value".to_owned(),
            },
            |v| {
                format!(
                    "{}{}",
                    n(v),
                    match crate::text::measure(&self.unit, lang) {
                        "" => String::new(),
                        u => format!(" {u}"),
                    }
                )
            },
        );
        let shift = match (self.shift, lang) {
            (Shift::Current, _) => String::new(),
            (Shift::Previous, Lang::Zh) => "（上期）".into(),
            (Shift::Previous, Lang::En) => " (previous period)".into(),
            (Shift::YearEarlier, Lang::Zh) => "（上年同期）".into(),
            (Shift::YearEarlier, Lang::En) => " (a year earlier)".into(),
        };
        let src = match (&self.source, lang) {
            (InputSource::Row { file, row, note }, Lang::Zh) => {
                format!(
                    "来自 {file}{}{}",
                    row.map(|r| format!(" 第{r}行")).unwrap_or_default(),
                    note.as_ref()
                        .map(|n| format!("，备注：{n}"))
                        .unwrap_or_default()
                )
            }
            (InputSource::Row { file, row, note }, Lang::En) => {
                format!(
                    "from {file}{}{}",
                    row.map(|r| format!(" row {r}")).unwrap_or_default(),
                    note.as_ref()
                        .map(|n| format!(", note: {n}"))
                        .unwrap_or_default()
                )
            }
            (InputSource::Carried { from }, Lang::Zh) => format!("沿用{}的数值", from.period),
            (InputSource::Carried { from }, Lang::En) => format!("the value for {}", from.period),
            (InputSource::AbsentIsZero, Lang::Zh) => "无记录，按规则视为0（未发生）".into(),
            (InputSource::AbsentIsZero, Lang::En) => {
                "no record, which for this element means none (absent_is_zero)".into()
            }
            (InputSource::Set, Lang::Zh) => "通过接口录入".into(),
            (InputSource::Set, Lang::En) => "entered through the API".into(),
            (InputSource::Aggregated { how, .. }, Lang::Zh) => {
                format!("由各分期数据{}得出", agg_name(*how).zh)
            }
            (InputSource::Aggregated { how, .. }, Lang::En) => {
                format!("the {} of its parts", agg_name(*how).en)
            }
            (
                InputSource::Computed {
                    formula,
                    substituted,
                    ..
                },
                Lang::Zh,
            ) => format!("按公式 {formula} 计算：{substituted}"),
            (
                InputSource::Computed {
                    formula,
                    substituted,
                    ..
                },
                Lang::En,
            ) => format!("computed as {formula}: {substituted}"),
            (
                InputSource::RolledUp {
                    measure,
                    class,
                    children,
                },
                Lang::Zh,
            ) => format!(
                "由所辖 {} 个{}的考核结果汇总：{}",
                children.len(),
                class.zh,
                measure.zh
            ),
            (
                InputSource::RolledUp {
                    measure,
                    class,
                    children,
                },
                Lang::En,
            ) => format!(
                "rolled up from the results of its {} children in {}: {}",
                children.len(),
                class.get(Lang::En),
                measure.get(Lang::En)
            ),
            (InputSource::Responsibility { items }, Lang::Zh) => format!(
                "所牵头和配合的 {} 项指标全区得分率按责任份额加权",
                items.len()
            ),
            (InputSource::Responsibility { items }, Lang::En) => format!(
                "the district-wide score rates of the {} indicators it leads or cooperates on, weighted by its shares",
                items.len()
            ),
            (InputSource::Missing { reason }, _) => reason.get(lang).to_owned(),
        };
        out.push(
            format!(
                "{pad}{} [{}] {}{shift} = {val}；{src}",
                self.name.get(lang),
                self.element,
                self.period
            )
            .replace("；", if lang == Lang::Zh { "；" } else { "; " }),
        );
        match &self.source {
            InputSource::Aggregated { parts, .. } | InputSource::Computed { parts, .. } => {
                for p in parts {
                    p.render(lang, indent + 1, out);
                }
            }
            InputSource::Carried { from } => from.render(lang, indent + 1, out),
            InputSource::Responsibility { items } => {
                let pad = "  ".repeat(indent + 1);
                for i in items {
                    let role = match (i.lead, lang) {
                        (true, Lang::Zh) => "牵头",
                        (false, Lang::Zh) => "配合",
                        (true, Lang::En) => "lead",
                        (false, Lang::En) => "cooperating",
                    };
                    out.push(format!(
                        "{pad}{} [{}]（{}）{role} {}% × {}%",
                        i.name.get(lang),
                        i.indicator,
                        i.class.get(lang),
                        n(i.share),
                        n(i.rate.round_dp(4))
                    ));
                }
            }
            InputSource::RolledUp { children, .. } => {
                let pad = "  ".repeat(indent + 1);
                for c in children {
                    let total = c.total.map_or_else(
                        || match lang {
                            Lang::Zh => "未定".to_owned(),
                            Lang::En => "undecided".to_owned(),
                        },
                        n,
                    );
                    let grade = c.grade.as_ref().map_or("", |g| g.get(lang));
                    let veto = match (c.vetoed, lang) {
                        (true, Lang::Zh) => "，一票否决",
                        (true, Lang::En) => ", vetoed",
                        _ => "",
                    };
                    out.push(format!(
                        "{pad}{} [{}] {total} {grade}{veto}",
                        c.name.get(lang),
                        c.unit
                    ));
                }
            }
            _ => {}
        }
    }
}

pub fn agg_name(a: Aggregate) -> Text {
    match a {
        Aggregate::None => Text::new("不汇总", "none"),
        Aggregate::Sum => Text::new("求和", "sum"),
        Aggregate::Mean => Text::new("求平均", "mean"),
        Aggregate::Last => Text::new("取最后一期", "last"),
        Aggregate::Max => Text::new("取最大值", "maximum"),
        Aggregate::Min => Text::new("取最小值", "minimum"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_rounds_half_up_only_at_output() {
        assert_eq!(display(Decimal::new(89995, 3), 2), "90.00");
        assert_eq!(display(Decimal::new(89994, 3), 2), "89.99");
        assert_eq!(display(Decimal::new(-5, 3), 2), "-0.01");
        assert_eq!(display(Decimal::from(7), 2), "7.00");
        assert_eq!(eq(Decimal::from(96)), "= 96");
        assert_eq!(eq(Decimal::from(32) / Decimal::from(3)), "≈ 10.6667");
    }
}

#[cfg(test)]
mod rounding {
    use super::*;

    #[test]
    fn what_people_read_rounds_half_up() {
        let d = |s: &str| s.parse::<Decimal>().expect("decimal");
        // Half to even would give 92.12 here, and 0.2 below.
        assert_eq!(display(d("92.125"), 2), "92.13");
        assert_eq!(round_half_up(d("0.25"), 1), d("0.3"));
        assert_eq!(round_half_up(d("-2.5"), 0), d("-3"));
        assert_eq!(n(d("1.23455")), "1.2346");
    }
}
