//! The assessment scheme as a person writes it (TOML) or a program sends it (JSON).
//!
//! These types mirror the file one to one; [`crate::model::Model::build`] validates them and
//! compiles them into the form the engine runs. Every `*(default)*` rule of DOMAIN.md is a
//! field here with that default, never a constant in the engine.

use crate::code::{Code, Ident};
use crate::period::Granularity;
use crate::text::Text;
use indexmap::IndexMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    pub id: Code,
    pub title: Text,
    pub year: u16,
    pub version: u32,
    /// The line of yearly schemes this one continues (`wolong` for `wolong-2024`,
    /// `wolong-2025`, …): rules on consecutive results read the earlier years' results of the
    /// same series. By default the id without a trailing `-<year>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<Code>,
    /// Unit assessment (目标绩效考核) or a budget-performance framework (预算绩效).
    #[serde(default)]
    pub kind: SchemeKind,
    #[serde(default)]
    pub rules: Rules,
    /// Named numbers usable in every formula, e.g. `safety_daily_share = 0.4`.
    #[serde(default)]
    pub constants: IndexMap<Ident, Decimal>,
    /// Data elements (数据项): the numbers units report or systems feed. Collected once,
    /// used by every indicator that needs them.
    #[serde(default)]
    pub elements: IndexMap<Ident, Element>,
    pub classes: IndexMap<Ident, Class>,
    /// Bonus items (加分项) that apply to every class.
    #[serde(default)]
    pub bonus: Vec<Adjustment>,
    /// Deduction items (扣分项) that apply to every class.
    #[serde(default)]
    pub deductions: Vec<Adjustment>,
    /// Veto items (一票否决) that apply to every class.
    #[serde(default)]
    pub vetoes: Vec<Veto>,
    /// Early warnings (动态预警): thresholds on data elements, checked the moment data
    /// arrives.
    #[serde(default)]
    pub warnings: Vec<WarningRule>,
    /// Checks between data elements (数据校验), e.g. `mediation_agreements <= mediation_cases`.
    #[serde(default)]
    pub checks: Vec<CheckRule>,
    /// Results applied (结果运用): outcomes drawn from grades, ranks, totals, vetoes and
    /// earlier results (see [`crate::applications`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<crate::applications::Application>,
}

impl Scheme {
    /// The series this scheme continues (see [`Scheme::series`]).
    pub fn series_code(&self) -> String {
        if let Some(s) = &self.series {
            return s.to_string();
        }
        let id = self.id.as_str();
        id.strip_suffix(&format!("-{}", self.year))
            .filter(|s| !s.is_empty())
            .unwrap_or(id)
            .to_owned()
    }
}

/// A rule that a unit's numbers of one period must satisfy together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRule {
    pub code: Ident,
    pub name: Text,
    /// A condition over data elements, e.g. `agreed <= cases`; `prev(x)` and `yoy(x)` read
    /// other periods.
    pub rule: String,
    #[serde(default)]
    pub level: CheckLevel,
}

/// How much a failed check matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckLevel {
    /// The number cannot be submitted.
    Error,
    /// The number can be submitted; reviewers see the flag.
    #[default]
    Warning,
}

/// A warning rule: a data element (reported or computed) and the lines that make it yellow,
/// orange or red for a unit in a period (the most severe line crossed decides the level).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningRule {
    pub code: Ident,
    pub name: Text,
    pub element: Ident,
    pub yellow: Option<Threshold>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orange: Option<Threshold>,
    pub red: Option<Threshold>,
    /// Days the unit has to answer a raised warning, per level, before it is overdue and
    /// escalated to the lead department and the office.
    #[serde(default)]
    pub respond_within: RespondWithin,
    /// The lowest level whose warnings need a verified rectification (整改) before they are
    /// resolved; `none`: no level does. Default: red.
    #[serde(default = "default_rectify_from")]
    pub rectify_from: RectifyFrom,
}

fn default_rectify_from() -> RectifyFrom {
    RectifyFrom::Red
}

/// Days to answer a warning, per level (defaults: yellow 7, orange 5, red 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RespondWithin {
    #[serde(default = "seven")]
    pub yellow: u32,
    #[serde(default = "five")]
    pub orange: u32,
    #[serde(default = "three")]
    pub red: u32,
}

fn seven() -> u32 {
    7
}
fn five() -> u32 {
    5
}
fn three() -> u32 {
    3
}

impl Default for RespondWithin {
    fn default() -> RespondWithin {
        RespondWithin {
            yellow: 7,
            orange: 5,
            red: 3,
        }
    }
}

/// From which level a warning needs a verified rectification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RectifyFrom {
    Yellow,
    Orange,
    Red,
    None,
}

/// A warning line: crossed when the value is below `below` or above `above` (strict), or at
/// most `at_most` or at least `at_least` (inclusive: "yellow at 10 points or more" is
/// `at_least = 10`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub below: Option<Decimal>,
    pub above: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<Decimal>,
}

impl Threshold {
    pub fn crossed(&self, v: Decimal) -> bool {
        self.below.is_some_and(|b| v < b)
            || self.above.is_some_and(|a| v > a)
            || self.at_most.is_some_and(|m| v <= m)
            || self.at_least.is_some_and(|m| v >= m)
    }

    /// The line as people read it: `< 95`, `> 20`, `≤ 0`, `≥ 10` (several joined by `或`/`or`).
    pub fn words(&self, or: &str) -> String {
        let mut parts = Vec::new();
        if let Some(b) = self.below {
            parts.push(format!("< {b}"));
        }
        if let Some(a) = self.above {
            parts.push(format!("> {a}"));
        }
        if let Some(m) = self.at_most {
            parts.push(format!("≤ {m}"));
        }
        if let Some(m) = self.at_least {
            parts.push(format!("≥ {m}"));
        }
        parts.join(or)
    }

    /// Whether it sets no line at all.
    pub fn is_empty(&self) -> bool {
        self.below.is_none()
            && self.above.is_none()
            && self.at_most.is_none()
            && self.at_least.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemeKind {
    #[default]
    Unit,
    Budget,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// Total bonus is capped at this many points (加分封顶, default 5).
    pub bonus_cap: Decimal,
    /// Total deductions are capped at this many points; none when absent.
    pub deduction_cap: Option<Decimal>,
    /// A total never goes below this (default 0).
    pub total_floor: Decimal,
    /// Allowed range of elastic coefficients (default 0.8–1.2).
    pub coefficient_range: [Decimal; 2],
    /// Whether a coefficient scales the target (`t × k`) or the score (`min(w, raw × k)`).
    pub coefficient_mode: CoefficientMode,
    /// What a missing value does, unless an indicator says otherwise.
    pub missing: MissingPolicy,
    /// What a triggered veto does (default: total 0 and the lowest grade).
    pub veto_effect: VetoEffect,
    /// The grade a veto gives or caps at; the lowest band when absent.
    pub veto_grade: Option<Ident>,
    /// Grade bands, highest first; a band's minimum is inclusive (以上含本数).
    pub grades: Vec<GradeBand>,
    /// The 优秀 quota (default 30%); `quota = false` for none.
    #[serde(deserialize_with = "quota_setting", serialize_with = "quota_out")]
    pub quota: Option<Quota>,
    /// How equal totals are ordered, after the total itself: `module:<code>` or
    /// `indicator:<code>`, compared high to low.
    pub tie_break: Vec<String>,
    /// Bands for qualitative (定性) indicators, as percentages of the indicator's points.
    pub qualitative_bands: Vec<QualitativeBand>,
    /// Digits shown after the decimal point (half-up; computation keeps full precision).
    pub display_decimals: u32,
}

impl Default for Rules {
    fn default() -> Rules {
        let d = Decimal::from;
        let band = |code: &'static str, zh: &str, en: &str, min: i64| GradeBand {
            code: ident(code),
            name: Text::new(zh, en),
            min: d(min),
        };
        Rules {
            bonus_cap: d(5),
            deduction_cap: None,
            total_floor: d(0),
            coefficient_range: [Decimal::new(8, 1), Decimal::new(12, 1)],
            coefficient_mode: CoefficientMode::Target,
            missing: MissingPolicy::Zero,
            veto_effect: VetoEffect::Zero,
            veto_grade: None,
            grades: vec![
                band("excellent", "优秀", "Excellent", 90),
                band("good", "良好", "Good", 80),
                band("pass", "合格", "Pass", 60),
                band("fail", "不合格", "Fail", 0),
            ],
            quota: Some(Quota::default()),
            tie_break: vec!["module:functional".to_owned()],
            qualitative_bands: vec![
                QualitativeBand {
                    code: ident("achieved"),
                    name: Text::new("达到", "Achieved"),
                    min: d(80),
                    max: d(100),
                },
                QualitativeBand {
                    code: ident("partly"),
                    name: Text::new("基本达到", "Partly achieved"),
                    min: d(60),
                    max: d(80),
                },
                QualitativeBand {
                    code: ident("not_achieved"),
                    name: Text::new("未达到", "Not achieved"),
                    min: d(0),
                    max: d(60),
                },
            ],
            display_decimals: 2,
        }
    }
}

fn ident(s: &'static str) -> Ident {
    Ident::builtin(s)
}

fn quota_out<S: serde::Serializer>(q: &Option<Quota>, s: S) -> Result<S::Ok, S::Error> {
    match q {
        Some(q) => q.serialize(s),
        None => s.serialize_bool(false),
    }
}

/// `quota = false` turns the quota off; a table sets it.
fn quota_setting<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Quota>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Setting {
        Flag(bool),
        Table(Quota),
    }
    match Setting::deserialize(d)? {
        Setting::Flag(false) => Ok(None),
        Setting::Flag(true) => Ok(Some(Quota::default())),
        Setting::Table(q) => Ok(Some(q)),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeBand {
    pub code: Ident,
    pub name: Text,
    pub min: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualitativeBand {
    pub code: Ident,
    pub name: Text,
    /// Lowest share of the points, in percent (inclusive).
    pub min: Decimal,
    /// Highest share of the points, in percent (inclusive).
    pub max: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quota {
    /// The grade whose number is limited (default `excellent`).
    pub grade: Ident,
    /// At most this share of a class (default 0.30).
    pub share: Decimal,
    /// How the allowed count is rounded (default down).
    pub rounding: QuotaRounding,
    /// The grade given to units above the band but beyond the quota (default `good`).
    pub demote_to: Ident,
    /// What happens when units tied on every tie-break key straddle the cut.
    pub unresolved_tie: UnresolvedTie,
}

impl Default for Quota {
    fn default() -> Quota {
        Quota {
            grade: ident("excellent"),
            share: Decimal::new(30, 2),
            rounding: QuotaRounding::Down,
            demote_to: ident("good"),
            unresolved_tie: UnresolvedTie::ExcludeAll,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaRounding {
    Down,
    HalfUp,
    Up,
}

/// Units still tied at the quota cut after every tie-break rule: either none of them gets the
/// limited grade (the quota stays an upper bound, the default) or all of them do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnresolvedTie {
    ExcludeAll,
    IncludeAll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoefficientMode {
    /// `t × k`
    Target,
    /// `min(w, raw × k)`
    Score,
}

/// What a missing value does. Never a silent zero: every choice is named in the scheme and in
/// each explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// The indicator scores 0.
    Zero,
    /// The indicator is left out and its siblings are scaled up to the parent's points.
    Exclude,
    /// The unit's result cannot be published until the value is reported.
    Block,
    /// For counts of events (deductions, bonuses, vetoes): no record means none happened.
    NoneRecorded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VetoEffect {
    /// Total 0 and the veto grade.
    Zero,
    /// The total stands, the grade is at most the veto grade.
    CapGrade,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Higher,
    Lower,
}

/// Where an indicator's data come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Filled in by the unit, with evidence, then reviewed.
    #[default]
    Reported,
    /// Calculated by a formula over other data elements.
    Computed,
    /// Pushed by an external system (approval kiosk, case system, debt monitor).
    Fed,
    /// From a citizen satisfaction survey.
    Survey,
    /// From a (cross-)inspection.
    Inspection,
    /// Scored by an evaluator (office or third party).
    Evaluator,
    /// Counted from the rectification tasks (整改) of the unit and period: a rate or a count,
    /// written by the server whenever a task changes (`rectification = { measure = "rate" }`).
    Rectification,
    /// Read from a first-class budget project (预算项目) once finance has approved its
    /// targets: its amount, an approved performance target, or the spending of its year-end
    /// monitoring report (`project = { read = "target", category = "output.quantity" }`);
    /// written by the server, never typed again.
    Project,
    /// Rolled up from the results of the unit's children in another class of the scheme
    /// (区-街-村: a sub-district answers for its villages), e.g.
    /// `children = { class = "village", measure = "mean_total" }`; computed by the engine from
    /// the children's live results, never entered.
    Children,
    /// Counted from the enforcement cases of the unit (行政执法案件) and their legality flags
    /// (`enforcement = { measure = "major_reviewed" }`), written by the server whenever a
    /// case, a flag or the rule file changes.
    Enforcement,
    /// 五链: for a department, the district-wide score rate of the indicators it leads or
    /// cooperates on (in the other classes), weighted by its share of responsibility
    /// (`source = "responsibility"`); computed by the engine, never entered.
    Responsibility,
}

/// Shares of responsibility for an indicator, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Responsibility {
    pub lead: Decimal,
    #[serde(default)]
    pub cooperating: Decimal,
}

/// What a roll-up element measures over a unit's children (their results in `class`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildrenSpec {
    /// The class the children are assessed in (e.g. `village`).
    pub class: Ident,
    pub measure: ChildrenMeasure,
    /// For `share_graded` and `count_graded`: this grade or better (e.g. `good`: 良好及以上).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade_at_least: Option<Ident>,
}

/// The measures of a roll-up (the formula functions over child units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildrenMeasure {
    /// `children_mean(total)`: the mean of the children's totals.
    MeanTotal,
    /// `children_min(total)`.
    MinTotal,
    /// `children_max(total)`.
    MaxTotal,
    /// `children_share(grade >= g)`: the share graded `grade_at_least` or better, in percent.
    ShareGraded,
    /// `children_count(grade >= g)`.
    CountGraded,
    /// `children_count(vetoed)`: children a veto item struck.
    CountVetoed,
    /// `children_count()`: children assessed.
    Count,
}

impl ChildrenMeasure {
    /// As a formula function over the children, in words.
    pub fn name(self, grade: Option<&Text>) -> Text {
        let g = grade.cloned().unwrap_or_default();
        match self {
            ChildrenMeasure::MeanTotal => Text::new("总分平均值", "mean of the totals"),
            ChildrenMeasure::MinTotal => Text::new("最低总分", "lowest total"),
            ChildrenMeasure::MaxTotal => Text::new("最高总分", "highest total"),
            ChildrenMeasure::ShareGraded => Text::new(
                format!("{}及以上所占比例（%）", g.zh),
                format!(
                    "share graded {} or better (%)",
                    g.get(crate::text::Lang::En)
                ),
            ),
            ChildrenMeasure::CountGraded => Text::new(
                format!("{}及以上的个数", g.zh),
                format!("number graded {} or better", g.get(crate::text::Lang::En)),
            ),
            ChildrenMeasure::CountVetoed => {
                Text::new("被一票否决的个数", "number struck by a veto")
            }
            ChildrenMeasure::Count => Text::new("参加考核的个数", "number assessed"),
        }
    }
}

/// What a rectification element counts over the unit's tasks of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RectificationSpec {
    pub measure: RectificationMeasure,
    /// Only tasks from these sources (`warning`, `monitoring`, `inspection`, `enforcement`, `evaluation`,
    /// `appeal`, `manual`); empty: all.
    #[serde(default)]
    pub from: Vec<String>,
    /// Only tasks of these severities (`major`, `general`: inspection hazards); empty: all.
    /// `{ measure = "total", from = ["inspection"], severity = ["major"] }` counts the major
    /// hazards found on inspections.
    #[serde(default)]
    pub severity: Vec<String>,
}

/// What an enforcement element counts over a unit's cases decided in the period (a case
/// without a decision counts in the period of its filing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnforcementSpec {
    pub measure: EnforcementMeasure,
    /// For `measure = "confirmed"`: only flags of this rule (`time_limit`, `legal_review`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<crate::enforcement::RuleId>,
}

/// The measures over enforcement cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforcementMeasure {
    /// Cases (办案数).
    Cases,
    /// Cases with a flag that is open or confirmed (not dismissed).
    Flagged,
    /// Violations the legal office confirmed (of `rule`, or of any rule).
    Confirmed,
    /// Major decisions (重大执法决定数).
    Major,
    /// Major decisions without a confirmed legal-review violation (决定前经法制审核数): an open
    /// flag is a suspicion until the legal office confirms it.
    MajorReviewed,
    /// Distinct officers (certificates) on the cases.
    Officers,
    /// Of those, the officers whose certificate was valid on every case of theirs.
    OfficersCertified,
}

/// What a project element reads from the budget project it scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    pub read: ProjectRead,
    /// For `read = "target"`: the target's category `level1.level2` in the standard
    /// indicator system (`output.quantity`, `output.cost`, `benefit.economic`,
    /// `benefit.social`, `satisfaction.satisfaction`, …); the first approved target of that
    /// category is read.
    #[serde(default)]
    pub category: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectRead {
    /// The project's amount for its year (万元).
    Amount,
    /// An approved performance target's value.
    Target,
    /// Spent to the year-end monitoring date (12-31) of the project's year (万元).
    Spent,
}

/// The target categories of the standard indicator system (财预〔2020〕10号), `level1.level2`.
pub const TARGET_CATEGORIES: [&str; 9] = [
    "output.quantity",
    "output.quality",
    "output.timeliness",
    "output.cost",
    "benefit.economic",
    "benefit.social",
    "benefit.ecological",
    "benefit.sustainable",
    "satisfaction.satisfaction",
];

/// The severities of inspection hazards (一般隐患, 重大隐患).
pub const HAZARD_SEVERITIES: [&str; 2] = ["general", "major"];

/// The task sources a rectification element may name.
pub const RECTIFICATION_SOURCES: [&str; 7] = [
    "warning",
    "monitoring",
    "inspection",
    "enforcement",
    "evaluation",
    "appeal",
    "manual",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RectificationMeasure {
    /// Verified ÷ all, in percent (整改率).
    Rate,
    /// Verified and submitted by the deadline ÷ all, in percent (按期整改率).
    OnTimeRate,
    /// Tasks of the period.
    Total,
    /// Verified, submitted by the deadline.
    OnTime,
    /// Verified, submitted after the deadline.
    Late,
    /// Not verified yet.
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    #[default]
    Number,
    Percent,
    Count,
    Amount,
    Score,
    /// 0 or 1.
    Flag,
}

/// How values of a finer period combine into a coarser one (quarters into a year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Never combined: the value must be reported for the period itself.
    #[default]
    None,
    Sum,
    Mean,
    /// The last part (for cumulative, year-to-date figures).
    Last,
    Max,
    Min,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Element {
    pub name: Text,
    /// Unit of measure shown to people: `%`, `人`, `万元`, `件`.
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub kind: ValueKind,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    /// The period a value is reported for (default quarterly).
    #[serde(default = "default_frequency")]
    pub frequency: Granularity,
    #[serde(default)]
    pub aggregate: Aggregate,
    /// A value reported for a longer period also serves each shorter period inside it (an
    /// annual plan figure used in every quarter), so it is reported once.
    #[serde(default)]
    pub carry: bool,
    /// For counts of events (accidents, complaints, commendations), which are reported only
    /// when they happen: no record means none happened. Explanations say so each time.
    #[serde(default)]
    pub absent_is_zero: bool,
    #[serde(default)]
    pub source: Source,
    /// The department responsible for this number.
    pub lead: Option<Code>,
    /// What exactly to count, for the person who reports it.
    pub definition: Option<Text>,
    /// For computed elements (`source = "computed"`): a formula over other elements and
    /// constants, evaluated on each period's data.
    pub formula: Option<String>,
    /// For fed elements (`source = "fed"`): which machine feed fills it and how, e.g.
    /// `{ feed = "approval_kiosk", aggregate = "avg", field = "handling_seconds", divisor = 3600 }`.
    pub feed: Option<crate::feed::FeedSpec>,
    /// For `source = "rectification"`: what it counts over the unit's rectification tasks,
    /// e.g. `{ measure = "rate", from = ["inspection"] }` for 隐患整改率.
    pub rectification: Option<RectificationSpec>,
    /// For `source = "project"`: what it reads from the budget project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectSpec>,
    /// For `source = "enforcement"`: what it counts over the unit's enforcement cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<EnforcementSpec>,
    /// For `source = "children"`: the roll-up over the unit's children's results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<ChildrenSpec>,
}

fn default_frequency() -> Granularity {
    Granularity::Quarter
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassKind {
    /// Units: departments, sub-districts, towns, villages.
    #[default]
    Unit,
    /// Budget projects (预算项目).
    Project,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Class {
    pub name: Text,
    #[serde(default)]
    pub kind: ClassKind,
    /// Full marks of the indicator tree (default 100).
    #[serde(default = "hundred")]
    pub points: Decimal,
    /// Overrides of the scheme's tie-break order for this class.
    pub tie_break: Option<Vec<String>>,
    /// `share = "equal"`: the first-level modules share the class's points equally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<Share>,
    pub modules: Vec<Module>,
    #[serde(default)]
    pub bonus: Vec<Adjustment>,
    #[serde(default)]
    pub deductions: Vec<Adjustment>,
    #[serde(default)]
    pub vetoes: Vec<Veto>,
    /// The year's comprehensive result (年度综合考核): 平时考核 (the shorter periods of the year,
    /// combined) and 年终考核 (the year's own assessment), weighted. Used when the year is
    /// scored; the shorter periods keep their own results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_result: Option<YearResult>,
}

/// `year_result = { periods = "quarter", periodic = 30, year_end = 70 }`: the quarters'
/// totals averaged (or `weights = [1, 1, 1, 2]`), × 30%, plus the year's own total × 70%.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearResult {
    /// The periods that make 平时考核 (default quarters).
    #[serde(default = "quarters")]
    pub periods: Granularity,
    /// Their weights in order (default equal: the mean).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<Decimal>,
    /// 平时考核's share, percent.
    pub periodic: Decimal,
    /// 年终考核's share, percent.
    pub year_end: Decimal,
}

fn quarters() -> Granularity {
    Granularity::Quarter
}

fn hundred() -> Decimal {
    Decimal::from(100)
}

/// How a qualitative rating is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingEntry {
    /// In percent of the indicator's points (85 = 85%).
    #[default]
    Percent,
    /// As the score in points (10.5 of 15).
    Points,
}

impl RatingEntry {
    pub fn is_percent(&self) -> bool {
        *self == RatingEntry::Percent
    }
}

/// How a module's points go to its children when they do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Share {
    /// Equal parts (exact in sum: the last takes the remainder of the division).
    Equal,
}

/// The first-level blocks of a budget-performance framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// 决策
    Decision,
    /// 过程
    Process,
    /// 产出
    Output,
    /// 效益
    Benefit,
    /// 预算执行
    Execution,
    /// 满意度
    Satisfaction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    pub code: Ident,
    pub name: Text,
    /// Points of this module; or give `weight`, a percentage of the parent's points.
    pub points: Option<Decimal>,
    pub weight: Option<Decimal>,
    /// The budget-framework block this module is (budget schemes).
    pub dimension: Option<Dimension>,
    /// When nothing in this module can be scored, its points move to this sibling module
    /// (e.g. a project without a satisfaction indicator gives its 10 points to benefits).
    pub redistribute_to: Option<Ident>,
    /// `share = "equal"`: the children (sub-modules and indicators, which then give neither
    /// points nor weight) share this module's points equally — thirds without writing
    /// 33.33…; the last child takes the rounding remainder so they add up exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<Share>,
    #[serde(default)]
    pub modules: Vec<Module>,
    #[serde(default)]
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: Ident,
    pub name: Text,
    /// Unit of measure of the actual value.
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub direction: Direction,
    pub points: Option<Decimal>,
    pub weight: Option<Decimal>,
    pub method: Method,
    pub target: Option<Decimal>,
    /// Elastic (弹性) indicators are adjusted per unit by a coefficient; core ones are not.
    #[serde(default)]
    pub elastic: bool,
    pub coefficient_mode: Option<CoefficientMode>,
    /// The target is for a year; a shorter period's target is its share of it (a quarter's is
    /// t × 3 ÷ 12, 序时进度). For flows summed over the period, such as investment attracted.
    #[serde(default)]
    pub prorate: bool,
    /// The lead department (牵头单位) that owns and reviews this indicator.
    pub lead: Option<Code>,
    /// Cooperating departments (配合单位).
    #[serde(default)]
    pub cooperating: Vec<Code>,
    /// Shares of responsibility in percent (五链 责任链), e.g. `{ lead = 70, cooperating = 30 }`;
    /// the cooperating share is split equally among the cooperating departments. Default: the
    /// lead 100 without cooperating departments, else 70 / 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsibility: Option<Responsibility>,
    #[serde(default)]
    pub source: Source,
    /// The data element holding the actual value.
    pub element: Option<Ident>,
    /// Or a formula over data elements and constants that computes it.
    pub formula: Option<String>,
    pub missing: Option<MissingPolicy>,
    /// What the indicator measures, for reporters.
    pub definition: Option<Text>,
    /// A worked example, for reporters.
    pub example: Option<Text>,
}

/// How an indicator turns its actual value into points (DOMAIN.md §2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Method {
    /// 正向/反向比率: `w × a / t` (higher) or `w × t / a` (lower), capped.
    Ratio {
        /// The score is capped at `w × max_ratio` (default 1: at most the points).
        max_ratio: Option<Decimal>,
        /// Lower-is-better with `a = 0`: full points (default) or none.
        zero_actual: Option<ZeroActual>,
    },
    /// 刚性: full points if `a <op> t` holds, else 0.
    Threshold { op: Option<CmpOp> },
    /// Full points at or beyond the target, 0 at or beyond the floor, linear between.
    Linear { floor: Decimal },
    /// 定性: an evaluator's rating in percent of the points (or, with `entry = "points"`, the
    /// score in points: 10.5 of 15), inside the chosen band.
    Qualitative {
        /// The element holding the chosen band's number (1 = first band); optional.
        band_element: Option<Ident>,
        /// How the rating is entered: `percent` (default) or `points`.
        #[serde(default, skip_serializing_if = "RatingEntry::is_percent")]
        entry: RatingEntry,
    },
    /// 扣分: start at `w`, subtract per fault, never below 0.
    Deduction {
        per: Option<Decimal>,
        #[serde(default)]
        items: Vec<CountItem>,
    },
    /// 加分: add per item, capped at `w`.
    Bonus {
        per: Option<Decimal>,
        #[serde(default)]
        items: Vec<CountItem>,
    },
    /// By rank within the class: first gets `w`, each place below loses `step`.
    Rank { step: Decimal, min: Option<Decimal> },
    /// Any rule as a formula over `w`, `t`, `a`, elements and constants.
    Formula {
        score: String,
        /// Allow results above `w` (default: clamped to [0, w]).
        #[serde(default)]
        allow_over: bool,
    },
}

impl Method {
    pub fn kind(&self) -> MethodKind {
        match self {
            Method::Ratio { .. } => MethodKind::Ratio,
            Method::Threshold { .. } => MethodKind::Threshold,
            Method::Linear { .. } => MethodKind::Linear,
            Method::Qualitative { .. } => MethodKind::Qualitative,
            Method::Deduction { .. } => MethodKind::Deduction,
            Method::Bonus { .. } => MethodKind::Bonus,
            Method::Rank { .. } => MethodKind::Rank,
            Method::Formula { .. } => MethodKind::Formula,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    Ratio,
    Threshold,
    Linear,
    Qualitative,
    Deduction,
    Bonus,
    Rank,
    Formula,
}

impl Class {
    /// Every indicator of the class, module by module, in the order of the scheme.
    pub fn indicators(&self) -> Vec<&Indicator> {
        fn walk<'a>(m: &'a Module, out: &mut Vec<&'a Indicator>) {
            out.extend(&m.indicators);
            for sub in &m.modules {
                walk(sub, out);
            }
        }
        let mut out = Vec::new();
        for m in &self.modules {
            walk(m, &mut out);
        }
        out
    }
}

impl MethodKind {
    pub fn name(self) -> Text {
        match self {
            MethodKind::Ratio => Text::new("比率法", "ratio"),
            MethodKind::Threshold => Text::new("刚性指标（达标得分）", "threshold (rigid)"),
            MethodKind::Linear => Text::new("线性插值法", "linear band"),
            MethodKind::Qualitative => Text::new("定性评价", "qualitative band"),
            MethodKind::Deduction => Text::new("扣分法", "deduction"),
            MethodKind::Bonus => Text::new("加分法", "bonus"),
            MethodKind::Rank => Text::new("排名法", "rank among peers"),
            MethodKind::Formula => Text::new("公式法", "formula"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZeroActual {
    Full,
    Zero,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "=")]
    Eq,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Ge => "≥",
            CmpOp::Gt => ">",
            CmpOp::Le => "≤",
            CmpOp::Lt => "<",
            CmpOp::Eq => "=",
        }
    }

    pub fn holds(self, a: Decimal, t: Decimal) -> bool {
        match self {
            CmpOp::Ge => a >= t,
            CmpOp::Gt => a > t,
            CmpOp::Le => a <= t,
            CmpOp::Lt => a < t,
            CmpOp::Eq => a == t,
        }
    }
}

/// One kind of countable event inside a deduction or bonus indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountItem {
    pub element: Ident,
    pub per: Decimal,
    /// Most points this item alone can move.
    pub max: Option<Decimal>,
}

/// A bonus or deduction item outside the indicator tree (加分项/扣分项).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    pub code: Ident,
    pub name: Text,
    /// The element counting the events (commendations, summonses, ...).
    pub element: Ident,
    /// Points per event.
    pub per: Decimal,
    /// Most points this item alone can move.
    pub max: Option<Decimal>,
    /// Default: no record means no event (`none_recorded`).
    pub missing: Option<MissingPolicy>,
}

/// A veto item (一票否决): triggered when its element is above zero or its condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Veto {
    pub code: Ident,
    pub name: Text,
    pub element: Option<Ident>,
    pub condition: Option<String>,
    pub effect: Option<VetoEffect>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_are_the_domain_defaults() {
        let r = Rules::default();
        assert_eq!(r.bonus_cap, Decimal::from(5));
        assert_eq!(r.grades.len(), 4);
        assert_eq!(r.grades[0].min, Decimal::from(90));
        let q = r.quota.expect("quota by default");
        assert_eq!(q.share.to_string(), "0.30");
        assert_eq!(r.coefficient_range[0].to_string(), "0.8");
    }
}
