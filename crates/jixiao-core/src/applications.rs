//! Results applied (结果运用): rules in the scheme that turn a unit's standing — its grade,
//! rank, total, veto, and its grades in earlier periods — into the outcomes the district
//! configures: a performance-bonus coefficient, eligibility for 评优评先, an admonishment talk
//! (约谈), a reference for leaders' assessment, next year's budget recommendation.
//!
//! ```toml
//! [[applications]]
//! code = "bonus"
//! name = { zh = "绩效奖金系数", en = "Performance-bonus coefficient" }
//! purpose = "bonus"
//! kind = "coefficient"
//! otherwise = 0.8
//! rules = [
//!   { vetoed = true, value = 0 },
//!   { grade = ["excellent"], value = 1.2 },
//!   { grade = ["good"], value = 1.0 },
//!   { grade = ["fail"], value = 0 },
//! ]
//! ```
//!
//! An application's rules are read in order and the first that holds decides (so a veto rule
//! goes first); every condition of a rule must hold; when none holds, `otherwise` decides, or
//! there is no outcome and the reason says so. A unit whose result is not decided (missing
//! data blocks it) gets no outcome: the reason says it waits for the result. Each outcome
//! names the rule that decided it and why the rules before it did not hold, with the unit's
//! own numbers, so it is explained like a score.

use crate::code::{Code, Ident};
use crate::model::Model;
use crate::report::{Report, UnitRow};
use crate::text::Text;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One outcome the district draws from the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub code: Ident,
    pub name: Text,
    /// What the outcome is used for (for grouping and for the budget cycle).
    #[serde(default)]
    pub purpose: Purpose,
    /// What kind of value the rules give.
    pub kind: OutcomeKind,
    /// Only these classes (default: every class).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<Ident>,
    /// Only for periods of this length (e.g. `year`: an outcome of the annual result only, such
    /// as 连续三年优秀 → 记三等功); default: every period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periods: Option<crate::period::Granularity>,
    /// Read in order; the first that holds decides.
    pub rules: Vec<AppRule>,
    /// The value when no rule holds (none: no outcome).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otherwise: Option<OutcomeValue>,
    /// The document that sets these rules (e.g. 区委办〔2025〕12号), shown with every outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// 绩效奖金 (a coefficient of the performance bonus).
    Bonus,
    /// 评优评先、文明奖 eligibility.
    Honours,
    /// 约谈 (admonishment talk).
    Talk,
    /// A reference for leaders' assessment (领导班子和领导干部考核).
    Leaders,
    /// Next year's budget recommendation (budget projects).
    Budget,
    #[default]
    Other,
}

impl Purpose {
    pub fn name(self) -> Text {
        match self {
            Purpose::Bonus => Text::new("绩效奖金", "Performance bonus"),
            Purpose::Honours => Text::new("评优评先", "Honours and awards"),
            Purpose::Talk => Text::new("约谈", "Admonishment talk"),
            Purpose::Leaders => Text::new("干部考核参考", "Leaders' assessment"),
            Purpose::Budget => Text::new("预算安排", "Budget"),
            Purpose::Other => Text::new("其他", "Other"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// A number, e.g. the bonus coefficient 1.2.
    Coefficient,
    /// Yes or no, e.g. eligible for 评优评先, to be talked to.
    Flag,
    /// Words, e.g. 予以支持 / 压减预算.
    Text,
}

impl OutcomeKind {
    fn name(self) -> Text {
        match self {
            OutcomeKind::Coefficient => Text::new("系数（数值）", "a coefficient (a number)"),
            OutcomeKind::Flag => Text::new("是/否（true/false）", "yes/no (true/false)"),
            OutcomeKind::Text => Text::new(
                "文字（{ zh = \"…\", en = \"…\" }）",
                "words ({ zh = \"…\", en = \"…\" })",
            ),
        }
    }
}

/// The value of an outcome: a number, yes/no or words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OutcomeValue {
    Flag(bool),
    Number(Decimal),
    Text(Text),
}

impl OutcomeValue {
    fn fits(&self, kind: OutcomeKind) -> bool {
        matches!(
            (self, kind),
            (OutcomeValue::Flag(_), OutcomeKind::Flag)
                | (OutcomeValue::Number(_), OutcomeKind::Coefficient)
                | (OutcomeValue::Text(_), OutcomeKind::Text)
        )
    }

    /// As a person reads it.
    pub fn show(&self) -> Text {
        match self {
            OutcomeValue::Flag(true) => Text::new("是", "yes"),
            OutcomeValue::Flag(false) => Text::new("否", "no"),
            // As the scheme writes it (1.0 stays 1.0).
            OutcomeValue::Number(n) => Text::new(n.to_string(), n.to_string()),
            OutcomeValue::Text(t) => Text::new(t.zh.clone(), t.get(crate::text::Lang::En)),
        }
    }
}

/// A rule: conditions that must all hold, and the value they give.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppRule {
    /// The grade is one of these (grade codes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grade: Vec<Ident>,
    /// The grade is this one or better.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade_at_least: Option<Ident>,
    /// The grade is worse than this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade_below: Option<Ident>,
    /// Ranked among the first N of the class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank_at_most: Option<u32>,
    /// Ranked within the first share of the class, in percent (e.g. 10: the top 10%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank_share_at_most: Option<Decimal>,
    /// Ranked among the last N of the class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at_most: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_at_least: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_below: Option<Decimal>,
    /// A veto item struck (true) or not (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vetoed: Option<bool>,
    /// This result and the ones before it, `periods` in all, each graded one of `grades`
    /// (e.g. 不合格 two years running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive: Option<Consecutive>,
    pub value: OutcomeValue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consecutive {
    pub grades: Vec<Ident>,
    pub periods: u32,
}

/// Each unit's grades in the periods before the one applied, newest first (`None`: no result
/// that period), by unit code. Supplied by whoever knows them: the server from its published
/// results, the command line from earlier `jixiao score --format json` outputs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct History {
    /// Ordered, so that the same history is always written the same way (a publication compares
    /// what it froze).
    pub grades: std::collections::BTreeMap<Code, Vec<Option<Ident>>>,
    /// The earlier periods the grades are of, newest first, where known (reasons name them);
    /// may be shorter than the grades (the command line's `--previous` files do not say).
    pub periods: Vec<Option<crate::period::Period>>,
}

impl History {
    /// How many earlier periods it covers.
    fn depth(&self) -> usize {
        self.grades.values().map(Vec::len).max().unwrap_or(0)
    }

    /// This history followed by an older one (e.g. the earlier quarters of the year, then the
    /// years before).
    pub fn then(mut self, older: History) -> History {
        let (mine, theirs) = (
            self.depth().max(self.periods.len()),
            older.depth().max(older.periods.len()),
        );
        self.periods.resize(mine, None);
        self.periods.extend(older.periods.iter().copied());
        self.periods.resize(mine + theirs, None);
        for v in self.grades.values_mut() {
            v.resize(mine, None);
        }
        for (u, mut g) in older.grades {
            g.resize(theirs, None);
            self.grades
                .entry(u)
                .or_insert_with(|| vec![None; mine])
                .extend(g);
        }
        for v in self.grades.values_mut() {
            v.resize(mine + theirs, None);
        }
        self
    }
}

/// Whether any application rule reads earlier results (`consecutive`).
pub fn reads_history(scheme: &crate::scheme::Scheme) -> bool {
    depth(scheme) > 0
}

/// How many periods before the one applied the rules read (a `consecutive` run of `n` periods
/// reads `n - 1`).
pub fn depth(scheme: &crate::scheme::Scheme) -> usize {
    scheme
        .applications
        .iter()
        .flat_map(|a| &a.rules)
        .filter_map(|r| r.consecutive.as_ref())
        .map(|k| (k.periods as usize).saturating_sub(1))
        .max()
        .unwrap_or(0)
}

/// The periods of `p`'s length before `p`'s year that the rules read beyond the year, newest
/// first (2024, 2023 before the year 2025; 2024Q4 before 2025Q1 when three quarters running are
/// read from 2025Q2): where earlier schemes' results — published, or recorded from the years
/// before jixiao — are looked up.
pub fn before_year(
    scheme: &crate::scheme::Scheme,
    p: crate::period::Period,
) -> Vec<crate::period::Period> {
    let in_year = crate::period::Period::year(p.year_number())
        .parts(p.granularity())
        .into_iter()
        .filter(|q| *q < p)
        .count();
    let mut out = Vec::new();
    let mut q = crate::period::Period::year(p.year_number())
        .parts(p.granularity())
        .first()
        .copied()
        .unwrap_or(p);
    for _ in in_year..depth(scheme) {
        q = q.previous();
        out.push(q);
    }
    out
}

/// Earlier grades by period and unit code (e.g. from earlier schemes' publications) as the
/// history of `periods`, newest first.
pub fn history_of(
    periods: &[crate::period::Period],
    grades: impl Fn(crate::period::Period) -> Option<HashMap<Code, Ident>>,
) -> History {
    let mut h = History {
        periods: periods.iter().copied().map(Some).collect(),
        ..History::default()
    };
    for (i, q) in periods.iter().enumerate() {
        for (u, g) in grades(*q).unwrap_or_default() {
            h.grades
                .entry(u)
                .or_insert_with(|| vec![None; periods.len()])[i] = Some(g);
        }
    }
    h
}

/// Each unit's grades in the periods of `p`'s length before it in the same year (the quarters
/// before a quarter; nothing before a year), newest first, scored from `values` — or taken from
/// `scored` when that period is already scored on this model. Empty when no rule reads it.
pub fn history_in_year<'a>(
    model: &Model,
    values: &crate::values::Values,
    p: crate::period::Period,
    scored: impl Fn(crate::period::Period) -> Option<&'a crate::engine::Scoring>,
) -> History {
    let mut h = History::default();
    if !reads_history(&model.scheme) {
        return h;
    }
    let earlier: Vec<crate::period::Period> = crate::period::Period::year(p.year_number())
        .parts(p.granularity())
        .into_iter()
        .filter(|q| *q < p)
        .rev()
        .collect();
    h.periods = earlier.iter().copied().map(Some).collect();
    for (i, q) in earlier.iter().enumerate() {
        let own;
        let scoring = match scored(*q) {
            Some(s) => s,
            None => {
                own = crate::engine::Scoring::compute(model, values, *q);
                &own
            }
        };
        for u in &model.units {
            let Some((cid, m)) = u.class else {
                continue;
            };
            let grade = scoring
                .class(cid)
                .units
                .get(m as usize)
                .and_then(|r| r.grade)
                .and_then(|g| model.grades.get(g as usize))
                .map(|g| g.code.clone());
            h.grades
                .entry(u.code.clone())
                .or_insert_with(|| vec![None; earlier.len()])[i] = grade;
        }
    }
    h
}

/// An outcome of one application for one unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub code: Ident,
    pub name: Text,
    pub purpose: Purpose,
    /// `None`: not decided (the result waits for data, or no rule holds and there is no
    /// `otherwise`).
    pub value: Option<OutcomeValue>,
    /// The rule that decided, counted from 1; `None` for `otherwise` or undecided.
    pub rule: Option<u32>,
    /// Why, with the unit's own numbers.
    pub reason: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<Text>,
}

/// A problem in the applications of a scheme: (code, path, message).
pub type Problem = (&'static str, String, Text);

/// Checks the applications against the scheme's grades and classes.
pub fn check(model: &Model) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    let grade = |g: &Ident| model.grades.iter().any(|x| &x.code == g);
    let grade_list = model
        .grades
        .iter()
        .map(|g| g.code.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut seen = std::collections::HashSet::new();
    for (i, a) in model.scheme.applications.iter().enumerate() {
        let path = format!("applications[{i}]");
        let c = &a.code;
        if !seen.insert(c.clone()) {
            out.push((
                "duplicate_application",
                format!("{path}.code"),
                t!(
                    "结果运用“{c}”重复定义",
                    "application `{c}` is defined twice"
                ),
            ));
        }
        for (j, k) in a.classes.iter().enumerate() {
            if !model.class_ix.contains_key(k) {
                out.push((
                    "unknown_class",
                    format!("{path}.classes[{j}]"),
                    t!("类别“{k}”未定义", "class `{k}` is not defined"),
                ));
            }
        }
        if a.rules.is_empty() {
            out.push((
                "empty_application",
                format!("{path}.rules"),
                t!("结果运用“{c}”没有规则", "application `{c}` has no rules"),
            ));
        }
        let kind = a.kind.name();
        let (kz, ke) = (&kind.zh, &kind.en);
        let mut value = |v: &OutcomeValue, at: String| {
            if !v.fits(a.kind) {
                out.push((
                    "bad_outcome_value",
                    at,
                    t!("结果运用“{c}”的值应为{kz}", "application `{c}` gives {ke}"),
                ));
            } else if let OutcomeValue::Number(n) = v
                && n.is_sign_negative()
            {
                out.push((
                    "bad_outcome_value",
                    at,
                    t!(
                        "结果运用“{c}”的系数 {n} 不能为负",
                        "application `{c}`: coefficient {n} cannot be negative"
                    ),
                ));
            }
        };
        if let Some(v) = &a.otherwise {
            value(v, format!("{path}.otherwise"));
        }
        for (j, r) in a.rules.iter().enumerate() {
            value(&r.value, format!("{path}.rules[{j}].value"));
        }
        for (j, r) in a.rules.iter().enumerate() {
            let at = format!("{path}.rules[{j}]");
            let mut named: Vec<(&Ident, String)> = r
                .grade
                .iter()
                .enumerate()
                .map(|(k, g)| (g, format!("{at}.grade[{k}]")))
                .collect();
            named.extend(
                r.grade_at_least
                    .iter()
                    .map(|g| (g, format!("{at}.grade_at_least"))),
            );
            named.extend(
                r.grade_below
                    .iter()
                    .map(|g| (g, format!("{at}.grade_below"))),
            );
            if let Some(k) = &r.consecutive {
                named.extend(
                    k.grades
                        .iter()
                        .enumerate()
                        .map(|(n, g)| (g, format!("{at}.consecutive.grades[{n}]"))),
                );
                if k.periods < 2 || k.grades.is_empty() {
                    out.push((
                        "bad_consecutive",
                        format!("{at}.consecutive"),
                        t!(
                            "连续条件需要至少 2 期和至少一个等次",
                            "a consecutive condition needs at least 2 periods and a grade"
                        ),
                    ));
                }
            }
            for (g, p) in named {
                if !grade(g) {
                    out.push((
                        "unknown_grade",
                        p,
                        t!(
                            "等次“{g}”未定义（可用：{grade_list}）",
                            "grade `{g}` is not defined (known: {grade_list})"
                        ),
                    ));
                }
            }
            if let Some(s) = r.rank_share_at_most
                && (s <= Decimal::ZERO || s > Decimal::ONE_HUNDRED)
            {
                out.push((
                    "bad_rank_share",
                    format!("{at}.rank_share_at_most"),
                    t!(
                        "排名比例 {s} 应在 0（不含）到 100 之间（百分数）",
                        "rank share {s} must be above 0 and at most 100 (a percentage)"
                    ),
                ));
            }
            if r.rank_at_most == Some(0) || r.last_at_most == Some(0) {
                out.push((
                    "bad_rank",
                    at.clone(),
                    t!("名次从 1 数起", "ranks count from 1"),
                ));
            }
        }
    }
    out
}

/// Decides every application for every unit of `report` (whose rows carry grade, rank and
/// total), writing the outcomes into the rows.
pub fn apply(model: &Model, report: &mut Report, history: &History) {
    if model.scheme.applications.is_empty() {
        return;
    }
    let length = report.period.granularity();
    for class in &mut report.classes {
        let ranked = class.rows.iter().filter(|r| r.rank.is_some()).count() as u32;
        let size = class.units as u32;
        for row in &mut class.rows {
            let grades = history.grades.get(&row.unit).map(Vec::as_slice);
            let past = Past {
                grades: grades.unwrap_or(&[]),
                periods: &history.periods,
            };
            row.outcomes = model
                .scheme
                .applications
                .iter()
                .filter(|a| a.classes.is_empty() || a.classes.contains(&class.code))
                .filter(|a| a.periods.is_none_or(|g| g == length))
                .map(|a| decide(model, a, row, size, ranked, past))
                .collect();
        }
    }
}

fn grade_ix(model: &Model, g: &Ident) -> Option<usize> {
    model.grades.iter().position(|x| &x.code == g)
}

fn grade_name(model: &Model, g: &Ident) -> Text {
    grade_ix(model, g)
        .map(|i| model.grades[i].name.clone())
        .unwrap_or_else(|| Text::new(g.as_str(), g.as_str()))
}

fn names(model: &Model, gs: &[Ident]) -> Text {
    let zh: Vec<String> = gs.iter().map(|g| grade_name(model, g).zh).collect();
    let en: Vec<String> = gs
        .iter()
        .map(|g| grade_name(model, g).get(crate::text::Lang::En).to_owned())
        .collect();
    Text::new(zh.join("、"), en.join(", "))
}

/// A unit's earlier grades, newest first, and the periods they are of where known.
#[derive(Clone, Copy)]
struct Past<'a> {
    grades: &'a [Option<Ident>],
    periods: &'a [Option<crate::period::Period>],
}

/// One application for one unit.
fn decide(
    model: &Model,
    a: &Application,
    row: &UnitRow,
    size: u32,
    ranked: u32,
    past: Past<'_>,
) -> Outcome {
    let out = |value: Option<OutcomeValue>, rule: Option<u32>, reason: Text| Outcome {
        code: a.code.clone(),
        name: a.name.clone(),
        purpose: a.purpose,
        value,
        rule,
        reason,
        basis: a.basis.clone(),
    };
    if row.total.is_none() || row.grade.is_none() {
        return out(
            None,
            None,
            Text::new(
                "结果未定（缺少数据），待结果确定后运用",
                "no result yet (data missing): applied once the result is decided",
            ),
        );
    }
    let mut failed: Vec<Text> = Vec::new();
    for (i, r) in a.rules.iter().enumerate() {
        let n = i + 1;
        match test(model, r, row, size, ranked, past) {
            Ok(held) => {
                let v = r.value.show();
                let mut reason = Text::new(
                    format!("规则{n}：{} → {}", held.zh, v.zh),
                    format!("rule {n}: {} → {}", held.en, v.en),
                );
                if !failed.is_empty() {
                    prepend(&mut reason, &failed);
                }
                return out(Some(r.value.clone()), Some(n as u32), reason);
            }
            Err(why) => failed.push(Text::new(
                format!("规则{n}不符（{}）", why.zh),
                format!("rule {n} does not hold ({})", why.en),
            )),
        }
    }
    let mut reason = match &a.otherwise {
        Some(v) => {
            let s = v.show();
            Text::new(
                format!("其他情况 → {}", s.zh),
                format!("otherwise → {}", s.en),
            )
        }
        None => Text::new("无规则适用，不作运用", "no rule applies: no outcome"),
    };
    prepend(&mut reason, &failed);
    out(a.otherwise.clone(), None, reason)
}

fn prepend(reason: &mut Text, failed: &[Text]) {
    let zh: Vec<&str> = failed.iter().map(|t| t.zh.as_str()).collect();
    let en: Vec<&str> = failed.iter().map(|t| t.en.as_str()).collect();
    *reason = Text::new(
        format!("{}；{}", zh.join("；"), reason.zh),
        format!("{}; {}", en.join("; "), reason.en),
    );
}

/// Whether every condition of `r` holds: `Ok` with what held, `Err` with the first that did not.
fn test(
    model: &Model,
    r: &AppRule,
    row: &UnitRow,
    size: u32,
    ranked: u32,
    past: Past<'_>,
) -> Result<Text, Text> {
    let mut held: Vec<Text> = Vec::new();
    let mut check = |ok: bool, t: Text| {
        if ok {
            held.push(t);
            Ok(())
        } else {
            Err(t)
        }
    };
    let grade = row.grade.as_ref().map(|g| g.code.clone());
    let gname = row
        .grade
        .as_ref()
        .map(|g| g.name.clone())
        .unwrap_or_default();
    let gix = grade.as_ref().and_then(|g| grade_ix(model, g));
    let total = row.total.unwrap_or_default().normalize();
    let total_s = total.to_string();
    if !r.grade.is_empty() {
        let list = names(model, &r.grade);
        let ok = grade.as_ref().is_some_and(|g| r.grade.contains(g));
        let sign = if ok { "∈" } else { "∉" };
        check(
            ok,
            Text::new(
                format!("等次 {} {sign} {{{}}}", gname.zh, list.zh),
                format!(
                    "grade {} {sign} {{{}}}",
                    gname.get(crate::text::Lang::En),
                    list.en
                ),
            ),
        )?;
    }
    if let Some(g) = &r.grade_at_least {
        let ok = gix.zip(grade_ix(model, g)).is_some_and(|(u, l)| u <= l);
        let l = grade_name(model, g);
        let not = if ok { "" } else { "不" };
        check(
            ok,
            Text::new(
                format!("等次 {} {not}在{}及以上", gname.zh, l.zh),
                format!(
                    "grade {} is{} {} or better",
                    gname.get(crate::text::Lang::En),
                    if ok { "" } else { " not" },
                    l.get(crate::text::Lang::En)
                ),
            ),
        )?;
    }
    if let Some(g) = &r.grade_below {
        let ok = gix.zip(grade_ix(model, g)).is_some_and(|(u, l)| u > l);
        let l = grade_name(model, g);
        let not = if ok { "" } else { "不" };
        check(
            ok,
            Text::new(
                format!("等次 {} {not}低于{}", gname.zh, l.zh),
                format!(
                    "grade {} is{} below {}",
                    gname.get(crate::text::Lang::En),
                    if ok { "" } else { " not" },
                    l.get(crate::text::Lang::En)
                ),
            ),
        )?;
    }
    let rank = row.rank;
    let rank_s = rank.map_or_else(|| "—".to_owned(), |r| r.to_string());
    if let Some(n) = r.rank_at_most {
        let ok = rank.is_some_and(|k| k <= n);
        let sign = if ok { "≤" } else { ">" };
        check(
            ok,
            Text::new(
                format!("排名 {rank_s} {sign} {n}"),
                format!("rank {rank_s} {sign} {n}"),
            ),
        )?;
    }
    if let Some(s) = r.rank_share_at_most {
        // The first ⌊size × s%⌋ places (at least one).
        let places = (Decimal::from(size) * s / Decimal::ONE_HUNDRED)
            .floor()
            .max(Decimal::ONE);
        let ok = rank.is_some_and(|k| Decimal::from(k) <= places);
        let s = s.normalize();
        let sign = if ok { "≤" } else { ">" };
        check(
            ok,
            Text::new(
                format!("排名 {rank_s} {sign} 前{s}%（{size} 个单位中前 {places} 名）"),
                format!("rank {rank_s} {sign} top {s}% (the first {places} of {size})"),
            ),
        )?;
    }
    if let Some(n) = r.last_at_most {
        let from_bottom = rank.map(|k| ranked + 1 - k.min(ranked));
        let ok = from_bottom.is_some_and(|b| b <= n);
        let b = from_bottom.map_or_else(|| "—".to_owned(), |b| b.to_string());
        let sign = if ok { "≤" } else { ">" };
        check(
            ok,
            Text::new(
                format!("倒数第 {b} 名 {sign} 倒数 {n} 名"),
                format!("{b} from the bottom {sign} the last {n}"),
            ),
        )?;
    }
    if let Some(t) = r.total_at_least {
        let ok = total >= t;
        let t = t.normalize();
        let sign = if ok { "≥" } else { "<" };
        check(
            ok,
            Text::new(
                format!("总分 {total_s} {sign} {t}"),
                format!("total {total_s} {sign} {t}"),
            ),
        )?;
    }
    if let Some(t) = r.total_below {
        let ok = total < t;
        let t = t.normalize();
        let sign = if ok { "<" } else { "≥" };
        check(
            ok,
            Text::new(
                format!("总分 {total_s} {sign} {t}"),
                format!("total {total_s} {sign} {t}"),
            ),
        )?;
    }
    if let Some(v) = r.vetoed {
        let struck = row.veto.as_ref();
        let ok = struck.is_some() == v;
        let t = match struck {
            Some(x) => Text::new(
                format!("触发一票否决（{}）", x.name.zh),
                format!("vetoed ({})", x.name.get(crate::text::Lang::En)),
            ),
            None => Text::new("未触发一票否决", "not vetoed"),
        };
        check(ok, t)?;
    }
    if let Some(k) = &r.consecutive {
        let need = k.periods as usize;
        let mut seq: Vec<Option<Ident>> = vec![grade.clone()];
        seq.extend(past.grades.iter().take(need.saturating_sub(1)).cloned());
        let in_list = |g: &Option<Ident>| g.as_ref().is_some_and(|g| k.grades.contains(g));
        let run = seq.iter().take_while(|g| in_list(g)).count();
        let ok = seq.len() >= need && run >= need;
        let list = names(model, &k.grades);
        let shown: Vec<Text> = seq
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let g = match g {
                    Some(g) => grade_name(model, g),
                    None => Text::new("无结果", "no result"),
                };
                let when = match i {
                    0 => Some(Text::new("本期", "this period")),
                    _ => past.periods.get(i - 1).copied().flatten().map(|q| {
                        Text::new(
                            q.label(crate::text::Lang::Zh),
                            q.label(crate::text::Lang::En),
                        )
                    }),
                };
                match when {
                    Some(w) => Text::new(
                        format!("{}（{}）", g.zh, w.zh),
                        format!("{} ({})", g.get(crate::text::Lang::En), w.en),
                    ),
                    None => g,
                }
            })
            .collect();
        let zh: Vec<&str> = shown.iter().map(|t| t.zh.as_str()).collect();
        let en: Vec<&str> = shown.iter().map(|t| t.get(crate::text::Lang::En)).collect();
        let (yes_zh, yes_en) = if ok { ("", "") } else { ("未", "not ") };
        check(
            ok,
            Text::new(
                format!(
                    "近 {need} 期等次（由近及远）{}，{yes_zh}连续为{{{}}}",
                    zh.join("、"),
                    list.zh
                ),
                format!(
                    "the last {need} grades (newest first) {}: {yes_en}all in {{{}}}",
                    en.join(", "),
                    list.en
                ),
            ),
        )?;
    }
    if held.is_empty() {
        held.push(Text::new("无条件", "always"));
    }
    let zh: Vec<&str> = held.iter().map(|t| t.zh.as_str()).collect();
    let en: Vec<&str> = held.iter().map(|t| t.en.as_str()).collect();
    Ok(Text::new(zh.join("，"), en.join(", ")))
}
