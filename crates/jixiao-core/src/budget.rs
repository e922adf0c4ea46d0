//! Budget performance rules (预算绩效, 财预〔2020〕10号 and the practice in DOMAIN.md §4): the
//! ex-ante evaluation (事前绩效评估) that gates a project's entry into targets and the budget,
//! and the dual monitoring (运行监控「双监控」) of spending and goals against time. Exact decimal
//! arithmetic throughout; every conclusion and level says how it was reached, in words with the
//! numbers.
//!
//! Decisions written down here (DOMAIN.md leaves them open):
//! - A veto dimension (立项必要性, 筹资合规性) "fails" when its combined score is below
//!   `veto_below` (default 60% of its points: 12 of 20): the project is then 不予支持 whatever
//!   its total.
//! - Experts' scores are combined per dimension (`mean` by default; `median`; `trimmed_mean`
//!   drops one highest and one lowest score when at least five experts scored, else the mean).
//!   The total is the sum of the combined dimensions; the lines are inclusive (≥ 80, ≥ 60).
//! - Time progress (序时进度) on a monitoring date is the share of the year's days elapsed up to
//!   and including that date (30 June 2025: 181 / 365 = 49.589…%).
//! - The forecast is linear from the latest progress: year-end completion = completion ÷ time
//!   progress; below 100% it is flagged 预计无法完成.

use crate::code::Ident;
use crate::text::Text;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

fn d(n: i64) -> Decimal {
    Decimal::from(n)
}

/// Shown with as many places as the number has, trailing zeros dropped, at most 2 places
/// (display only: the numbers compared are exact).
fn show(x: Decimal) -> String {
    crate::explain::round_half_up(x, 2).normalize().to_string()
}

// ───────────────────────────── 事前绩效评估 Ex-ante evaluation ─────────────────────────────

/// How experts' scores of one dimension are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    #[default]
    Mean,
    Median,
    /// Drop one highest and one lowest score when at least five experts scored.
    TrimmedMean,
}

/// One dimension of the ex-ante evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub code: Ident,
    pub name: Text,
    pub points: Decimal,
    /// A combined score below this vetoes the project (不予支持); none: no veto.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub veto_below: Option<Decimal>,
}

/// The district's ex-ante rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExAnteRules {
    #[serde(default = "default_dimensions")]
    pub dimensions: Vec<Dimension>,
    #[serde(default)]
    pub combine: Combine,
    /// A total at or above this: 予以支持.
    #[serde(default = "support_line")]
    pub support: Decimal,
    /// At or above this (and below `support`): 调整完善后予以支持; below: 不予支持.
    #[serde(default = "revise_line")]
    pub revise: Decimal,
}

fn support_line() -> Decimal {
    d(80)
}

fn revise_line() -> Decimal {
    d(60)
}

/// The five dimensions of 20 points each; necessity and financing compliance veto below 12.
pub fn default_dimensions() -> Vec<Dimension> {
    let dim = |code: &'static str, zh: &str, en: &str, veto: bool| Dimension {
        code: Ident::builtin(code),
        name: Text::new(zh, en),
        points: d(20),
        veto_below: veto.then(|| d(12)),
    };
    vec![
        dim("necessity", "立项必要性", "Necessity", true),
        dim("economy", "投入经济性", "Economy of inputs", false),
        dim(
            "goals",
            "绩效目标合理性",
            "Reasonableness of targets",
            false,
        ),
        dim(
            "feasibility",
            "实施方案可行性",
            "Feasibility of the plan",
            false,
        ),
        dim("financing", "筹资合规性", "Compliance of financing", true),
    ]
}

impl Default for ExAnteRules {
    fn default() -> ExAnteRules {
        ExAnteRules {
            dimensions: default_dimensions(),
            combine: Combine::Mean,
            support: support_line(),
            revise: revise_line(),
        }
    }
}

/// One expert's scores, one per dimension in the rules' order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpertScores {
    pub expert: String,
    pub scores: Vec<Decimal>,
}

/// The conclusion of an ex-ante evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    /// 予以支持
    Support,
    /// 调整完善后予以支持
    Revise,
    /// 不予支持
    Reject,
}

impl Conclusion {
    pub fn name(self) -> Text {
        match self {
            Conclusion::Support => Text::new("予以支持", "Support"),
            Conclusion::Revise => Text::new("调整完善后予以支持", "Support after revision"),
            Conclusion::Reject => Text::new("不予支持", "Do not support"),
        }
    }

    /// Whether the project may go on to targets and the budget (after revision for `Revise`).
    pub fn passes(self) -> bool {
        self != Conclusion::Reject
    }
}

/// One dimension's combined score and how it was combined.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionResult {
    pub code: Ident,
    pub name: Text,
    pub points: Decimal,
    pub scores: Vec<Decimal>,
    pub combined: Decimal,
    pub how: Text,
    /// The veto line it fell below, if it did.
    pub vetoed_below: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExAnteResult {
    pub dimensions: Vec<DimensionResult>,
    pub total: Decimal,
    pub conclusion: Conclusion,
    /// Why, with the numbers.
    pub reason: Text,
}

/// A problem with the scores given: where (`experts[i].scores[j]`) and what.
pub type ScoreProblem = (String, Text);

/// Checks the rules themselves: dimensions named once, points positive, veto lines within the
/// points, the lines in order.
pub fn check_rules(r: &ExAnteRules) -> Vec<ScoreProblem> {
    let mut out = Vec::new();
    if r.dimensions.is_empty() {
        out.push((
            "dimensions".to_owned(),
            Text::new("至少需要一个评估维度", "at least one dimension is needed"),
        ));
    }
    for (i, dm) in r.dimensions.iter().enumerate() {
        if r.dimensions[..i].iter().any(|x| x.code == dm.code) {
            out.push((
                format!("dimensions[{i}].code"),
                Text::new(
                    format!("维度代码“{}”重复", dm.code),
                    format!("dimension `{}` is named twice", dm.code),
                ),
            ));
        }
        if dm.points <= Decimal::ZERO {
            out.push((
                format!("dimensions[{i}].points"),
                Text::new("分值应大于0", "points should be above 0"),
            ));
        }
        if let Some(v) = dm.veto_below
            && (v <= Decimal::ZERO || v > dm.points)
        {
            out.push((
                format!("dimensions[{i}].veto_below"),
                Text::new(
                    format!("否决线 {v} 应在 0 到分值 {} 之间", dm.points),
                    format!(
                        "the veto line {v} should lie within 0 and the points {}",
                        dm.points
                    ),
                ),
            ));
        }
    }
    if r.revise > r.support {
        out.push((
            "revise".to_owned(),
            Text::new(
                format!("“调整完善”线 {} 高于“予以支持”线 {}", r.revise, r.support),
                format!(
                    "the revise line {} is above the support line {}",
                    r.revise, r.support
                ),
            ),
        ));
    }
    out
}

/// One dimension's experts combined, as a fraction (sum, count) so that the total over the
/// dimensions is divided once (three experts' thirds add up exactly), and how.
fn combine(how: Combine, scores: &[Decimal]) -> (Decimal, Decimal, Text) {
    let n = scores.len();
    let mut sorted = scores.to_vec();
    sorted.sort();
    let all = |xs: &[Decimal]| (xs.iter().sum::<Decimal>(), Decimal::from(xs.len().max(1)));
    match how {
        Combine::Mean => {
            let (s, c) = all(scores);
            (
                s,
                c,
                Text::new(
                    format!("{n} 位专家的平均分"),
                    format!("the mean of {n} experts"),
                ),
            )
        }
        Combine::Median => {
            let (s, c) = if n % 2 == 1 {
                (sorted[n / 2], Decimal::ONE)
            } else {
                (sorted[n / 2 - 1] + sorted[n / 2], d(2))
            };
            (
                s,
                c,
                Text::new(
                    format!("{n} 位专家的中位数"),
                    format!("the median of {n} experts"),
                ),
            )
        }
        Combine::TrimmedMean if n >= 5 => {
            let (s, c) = all(&sorted[1..n - 1]);
            (
                s,
                c,
                Text::new(
                    format!(
                        "去掉一个最高分 {} 和一个最低分 {} 后 {} 位专家的平均分",
                        show(sorted[n - 1]),
                        show(sorted[0]),
                        n - 2
                    ),
                    format!(
                        "the mean of {} experts after dropping the highest {} and the lowest {}",
                        n - 2,
                        show(sorted[n - 1]),
                        show(sorted[0])
                    ),
                ),
            )
        }
        Combine::TrimmedMean => {
            let (s, c) = all(scores);
            (
                s,
                c,
                Text::new(
                    format!("专家不足 5 位，不去分，{n} 位专家的平均分"),
                    format!("fewer than 5 experts: nothing dropped, the mean of {n}"),
                ),
            )
        }
    }
}

/// The conclusion of an ex-ante evaluation from the experts' scores: each dimension combined,
/// the total, a veto first, then the lines. Refused (every problem with its place) when an expert
/// scored a dimension outside 0..=points or missed one, or nobody scored.
pub fn conclude(
    rules: &ExAnteRules,
    experts: &[ExpertScores],
) -> Result<ExAnteResult, Vec<ScoreProblem>> {
    let mut problems = Vec::new();
    if experts.is_empty() {
        problems.push((
            "experts".to_owned(),
            Text::new("还没有专家评分", "no expert has scored yet"),
        ));
    }
    let n = rules.dimensions.len();
    for (i, e) in experts.iter().enumerate() {
        if e.scores.len() != n {
            problems.push((
                format!("experts[{i}].scores"),
                Text::new(
                    format!(
                        "专家“{}”给了 {} 个维度的分，应为 {n} 个",
                        e.expert,
                        e.scores.len()
                    ),
                    format!(
                        "expert `{}` scored {} dimensions; there are {n}",
                        e.expert,
                        e.scores.len()
                    ),
                ),
            ));
            continue;
        }
        for (j, (s, dm)) in e.scores.iter().zip(&rules.dimensions).enumerate() {
            if *s < Decimal::ZERO || *s > dm.points {
                problems.push((
                    format!("experts[{i}].scores[{j}]"),
                    Text::new(
                        format!(
                            "专家“{}”对“{}”的评分 {s} 不在 0 到 {} 之间",
                            e.expert, dm.name.zh, dm.points
                        ),
                        format!(
                            "expert `{}` scored {s} for {}, outside 0 to {}",
                            e.expert,
                            dm.name.get(crate::text::Lang::En),
                            dm.points
                        ),
                    ),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut dims = Vec::with_capacity(n);
    let mut fractions = Vec::with_capacity(n);
    for (j, dm) in rules.dimensions.iter().enumerate() {
        let scores: Vec<Decimal> = experts.iter().map(|e| e.scores[j]).collect();
        let (sum, count, how) = combine(rules.combine, &scores);
        fractions.push((sum, count));
        dims.push(DimensionResult {
            code: dm.code.clone(),
            name: dm.name.clone(),
            points: dm.points,
            scores,
            combined: sum / count,
            how,
            // Compared as sum < line × count: exact whatever the count.
            vetoed_below: dm.veto_below.filter(|v| sum < *v * count),
        });
    }
    // One division when every dimension has the same count (mean, trimmed mean).
    let total: Decimal = match fractions.first() {
        Some((_, c)) if fractions.iter().all(|(_, k)| k == c) => {
            fractions.iter().map(|(s, _)| *s).sum::<Decimal>() / *c
        }
        _ => fractions.iter().map(|(s, c)| *s / *c).sum(),
    };
    let vetoed: Vec<&DimensionResult> = dims.iter().filter(|x| x.vetoed_below.is_some()).collect();
    let (conclusion, reason) = if !vetoed.is_empty() {
        let zh: Vec<String> = vetoed
            .iter()
            .map(|x| {
                format!(
                    "“{}”得分 {} 低于否决线 {}",
                    x.name.zh,
                    show(x.combined),
                    show(x.vetoed_below.unwrap_or_default())
                )
            })
            .collect();
        let en: Vec<String> = vetoed
            .iter()
            .map(|x| {
                format!(
                    "{} scored {}, below its veto line {}",
                    x.name.get(crate::text::Lang::En),
                    show(x.combined),
                    show(x.vetoed_below.unwrap_or_default())
                )
            })
            .collect();
        (
            Conclusion::Reject,
            Text::new(
                format!(
                    "{}：一票否决，不予支持（总分 {}）",
                    zh.join("；"),
                    show(total)
                ),
                format!(
                    "{}: vetoed, do not support (total {})",
                    en.join("; "),
                    show(total)
                ),
            ),
        )
    } else if total >= rules.support {
        (
            Conclusion::Support,
            Text::new(
                format!("总分 {} ≥ {}：予以支持", show(total), rules.support),
                format!("total {} ≥ {}: support", show(total), rules.support),
            ),
        )
    } else if total >= rules.revise {
        (
            Conclusion::Revise,
            Text::new(
                format!(
                    "{} ≤ 总分 {} < {}：调整完善后予以支持",
                    rules.revise,
                    show(total),
                    rules.support
                ),
                format!(
                    "{} ≤ total {} < {}: support after revision",
                    rules.revise,
                    show(total),
                    rules.support
                ),
            ),
        )
    } else {
        (
            Conclusion::Reject,
            Text::new(
                format!("总分 {} < {}：不予支持", show(total), rules.revise),
                format!("total {} < {}: do not support", show(total), rules.revise),
            ),
        )
    };
    Ok(ExAnteResult {
        dimensions: dims,
        total,
        conclusion,
        reason,
    })
}

// ───────────────────────────── 运行监控 Dual monitoring ─────────────────────────────

/// The monitoring lines, in percentage points (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorRules {
    #[serde(default = "yellow_line")]
    pub yellow: Decimal,
    #[serde(default = "red_line")]
    pub red: Decimal,
    /// Spending and goals this far apart (either way) are flagged as a mismatch.
    #[serde(default = "mismatch_line")]
    pub mismatch: Decimal,
}

fn yellow_line() -> Decimal {
    d(10)
}

fn red_line() -> Decimal {
    d(20)
}

fn mismatch_line() -> Decimal {
    d(30)
}

impl Default for MonitorRules {
    fn default() -> MonitorRules {
        MonitorRules {
            yellow: yellow_line(),
            red: red_line(),
            mismatch: mismatch_line(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Green,
    Yellow,
    Red,
}

impl Level {
    pub fn name(self) -> Text {
        match self {
            Level::Green => Text::new("正常", "on track"),
            Level::Yellow => Text::new("黄色", "yellow"),
            Level::Red => Text::new("红色", "red"),
        }
    }
}

/// A goal's planned value for the year and its completion by the monitoring date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub code: Ident,
    pub name: Text,
    pub target: Decimal,
    pub completed: Decimal,
}

/// What a department reports at a monitoring date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorReport {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub budget: Decimal,
    pub spent: Decimal,
    pub goals: Vec<Goal>,
}

/// One line of progress (spending or a goal) against time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// `spending` or the goal's code.
    pub code: String,
    pub name: Text,
    /// Percent done.
    pub rate: Decimal,
    /// Time progress minus rate, in percentage points (positive: behind).
    pub lag: Decimal,
    pub level: Level,
    /// The linear forecast of the year-end percentage.
    pub forecast: Decimal,
    /// 预计无法完成: the forecast is below 100%.
    pub expected_to_miss: bool,
    pub explanation: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Monitoring {
    /// 序时进度, percent.
    pub time_progress: Decimal,
    pub time_explanation: Text,
    pub spending: Progress,
    pub goals: Vec<Progress>,
    /// The project's level: the worst of spending and goals.
    pub level: Level,
    /// Spending far ahead of (or behind) the goals: (goal code, gap in points).
    pub mismatches: Vec<(String, Decimal, Text)>,
}

/// A `YYYY-MM-DD` day.
fn parse_date(s: &str) -> Option<time::Date> {
    let mut parts = s.split('-');
    let (y, m, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(y.parse().ok()?, month, day.parse().ok()?).ok()
}

/// A problem with a monitoring report: (field, what).
pub type MonitorProblem = (String, Text);

/// Monitors one report: time progress, spending and each goal against it, levels by the
/// inclusive lines, the linear forecast, and spending–goal mismatches.
pub fn monitor(rules: &MonitorRules, r: &MonitorReport) -> Result<Monitoring, Vec<MonitorProblem>> {
    let mut problems = Vec::new();
    let date = parse_date(&r.date);
    if date.is_none() {
        problems.push((
            "date".to_owned(),
            Text::new(
                format!("监控日期“{}”不是 YYYY-MM-DD 格式的日期", r.date),
                format!("the monitoring date `{}` is not a YYYY-MM-DD date", r.date),
            ),
        ));
    }
    if r.budget <= Decimal::ZERO {
        problems.push((
            "budget".to_owned(),
            Text::new("预算金额应大于0", "the budget should be above 0"),
        ));
    }
    if r.spent < Decimal::ZERO {
        problems.push((
            "spent".to_owned(),
            Text::new("支出金额不能为负", "spending cannot be negative"),
        ));
    }
    for (i, g) in r.goals.iter().enumerate() {
        if g.target <= Decimal::ZERO {
            problems.push((
                format!("goals[{i}].target"),
                Text::new(
                    format!("目标“{}”的年度目标值应大于0", g.name.zh),
                    format!(
                        "the year's target of `{}` should be above 0",
                        g.name.get(crate::text::Lang::En)
                    ),
                ),
            ));
        }
        if g.completed < Decimal::ZERO {
            problems.push((
                format!("goals[{i}].completed"),
                Text::new(
                    format!("目标“{}”的完成值不能为负", g.name.zh),
                    format!(
                        "the completion of `{}` cannot be negative",
                        g.name.get(crate::text::Lang::En)
                    ),
                ),
            ));
        }
    }
    let Some(date) = date else {
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let elapsed = Decimal::from(date.ordinal());
    let days = Decimal::from(time::util::days_in_year(date.year()));
    let tp = elapsed / days * d(100);
    let time_explanation = Text::new(
        format!(
            "{} 为全年第 {elapsed} 天，全年 {days} 天，序时进度 {elapsed}÷{days} = {}%",
            r.date,
            show(tp)
        ),
        format!(
            "{} is day {elapsed} of {days}: time progress {elapsed} ÷ {days} = {}%",
            r.date,
            show(tp)
        ),
    );
    let level_of = |lag: Decimal| {
        if lag >= rules.red {
            Level::Red
        } else if lag >= rules.yellow {
            Level::Yellow
        } else {
            Level::Green
        }
    };
    let progress = |code: String, name: Text, done: Decimal, of: Decimal, unit: &str| {
        let rate = done / of * d(100);
        let lag = tp - rate;
        let level = level_of(lag);
        let forecast = rate / tp * d(100);
        let miss = forecast < d(100);
        let line = match level {
            Level::Red => format!("≥ 红线 {}", rules.red),
            Level::Yellow => format!("≥ 黄线 {}", rules.yellow),
            Level::Green => format!("< 黄线 {}", rules.yellow),
        };
        let line_en = match level {
            Level::Red => format!("≥ the red line {}", rules.red),
            Level::Yellow => format!("≥ the yellow line {}", rules.yellow),
            Level::Green => format!("< the yellow line {}", rules.yellow),
        };
        let explanation = Text::new(
            format!(
                "{}：{}{unit}÷{}{unit} = {}%；落后序时进度 {} 个百分点（{line}，{}）；按当前进度线性预计年末完成 {}%{}",
                name.zh,
                show(done),
                show(of),
                show(rate),
                show(lag),
                level.name().zh,
                show(forecast),
                if miss { "，预计无法完成" } else { "" }
            ),
            format!(
                "{}: {}{unit} ÷ {}{unit} = {}%; {} points behind time progress ({line_en}: {}); linear forecast for the year end {}%{}",
                name.get(crate::text::Lang::En),
                show(done),
                show(of),
                show(rate),
                show(lag),
                level.name().en,
                show(forecast),
                if miss { ", expected to miss" } else { "" }
            ),
        );
        Progress {
            code,
            name,
            rate,
            lag,
            level,
            forecast,
            expected_to_miss: miss,
            explanation,
        }
    };
    let spending = progress(
        "spending".to_owned(),
        Text::new("预算执行", "Budget execution"),
        r.spent,
        r.budget,
        "",
    );
    let goals: Vec<Progress> = r
        .goals
        .iter()
        .map(|g| {
            progress(
                g.code.to_string(),
                g.name.clone(),
                g.completed,
                g.target,
                "",
            )
        })
        .collect();
    let level = goals
        .iter()
        .map(|g| g.level)
        .chain([spending.level])
        .max()
        .unwrap_or(Level::Green);
    let mismatches = goals
        .iter()
        .filter_map(|g| {
            let gap = spending.rate - g.rate;
            (gap.abs() >= rules.mismatch).then(|| {
                let (zh, en) = if gap > Decimal::ZERO {
                    ("支出快于目标", "spending ahead of the goal")
                } else {
                    ("目标快于支出", "the goal ahead of spending")
                };
                (
                    g.code.clone(),
                    gap,
                    Text::new(
                        format!(
                            "预算执行 {}% 与“{}”完成 {}% 相差 {} 个百分点（≥ {}）：{zh}",
                            show(spending.rate),
                            g.name.zh,
                            show(g.rate),
                            show(gap.abs()),
                            rules.mismatch
                        ),
                        format!(
                            "budget execution {}% and {} at {}% are {} points apart (≥ {}): {en}",
                            show(spending.rate),
                            g.name.get(crate::text::Lang::En),
                            show(g.rate),
                            show(gap.abs()),
                            rules.mismatch
                        ),
                    ),
                )
            })
        })
        .collect();
    Ok(Monitoring {
        time_progress: tp,
        time_explanation,
        spending,
        goals,
        level,
        mismatches,
    })
}
