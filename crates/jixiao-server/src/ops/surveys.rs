//! Citizen satisfaction surveys (群众满意度调查) for the office and the public: the office builds a
//! questionnaire (questions on the three-level 满意/基本满意/不满意 scale or 1–5), opens it per
//! unit and period, issues one-time codes; citizens answer without signing in — with a code
//! (each answers once; codes are not tied to identities) or through the open link (lower trust:
//! one answer per device, a daily limit per network). The answers are aggregated into the unit's
//! data elements (satisfaction, sample size) when the sample reaches the survey's minimum; below
//! it no satisfaction value is written and the scheme's missing-data rule applies.
//!
//! Scoring (decision, documented in docs/surveys.md): an answer's points per question are
//! 满意 100, 基本满意 80, 不满意 0 on the three-level scale and (k − 1) × 25 for k on the 1–5
//! scale; the unit's satisfaction is the exact mean over every question answered; the margin of
//! error shown is 1.96 × s ÷ √n over the respondents' own means (display only).
//!
//! Anonymity: an answer row has the unit, the channel, the choices, the comment and the day — no
//! code, address or device. The code and the device and network keys are stored only as SHA-256
//! hashes with the survey's own random salt.

use crate::error::{Error, Kind, Result};
use crate::ops::{Caller, allow_in, commit, require_reason};
use crate::state::AppState;
use jixiao_core::Decimal;
use jixiao_core::access::Action;
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::text::Text;
use jixiao_store::surveys::{Question, SurveyRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The choices of the three-level scale, best first, with their points.
pub const THREE: [(&str, &str, i64); 3] = [
    ("满意", "satisfied", 100),
    ("基本满意", "fairly satisfied", 80),
    ("不满意", "dissatisfied", 0),
];

/// The points of choice `c` (1 = best) on `scale`.
pub fn points(scale: &str, c: i64) -> Option<i64> {
    match scale {
        "three" => THREE.get(usize::try_from(c - 1).ok()?).map(|t| t.2),
        "five" if (1..=5).contains(&c) => Some((5 - c) * 25),
        _ => None,
    }
}

/// The choices of a scale, best first: (value, name).
pub fn choices(scale: &str) -> Vec<(i64, Text)> {
    if scale == "five" {
        (1..=5)
            .map(|c| {
                let stars = 6 - c;
                (c, Text::new(format!("{stars} 分"), format!("{stars} of 5")))
            })
            .collect()
    } else {
        THREE
            .iter()
            .enumerate()
            .map(|(i, t)| (i as i64 + 1, Text::new(t.0, t.1)))
            .collect()
    }
}

fn problem(path: &str, zh: String, en: String) -> Issue {
    Issue::error(
        "invalid",
        "survey",
        Location::Path { path: path.into() },
        Text::new(zh, en),
    )
}

fn not_found() -> Error {
    Error::not_found("满意度调查", "survey")
}

/// A unit's result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitResult {
    pub unit: String,
    #[schema(value_type = Object)]
    pub unit_name: Text,
    /// Valid answers, by code and by the open link.
    pub answers: i64,
    pub by_code: i64,
    pub by_link: i64,
    /// Mean points over every question answered (exact), when there are answers.
    #[schema(value_type = Option<String>)]
    pub satisfaction: Option<Decimal>,
    /// The 95 % margin of error in percentage points (display only), from two answers on.
    pub margin: Option<f64>,
    /// Whether the sample reaches the minimum (the value is written).
    pub enough: bool,
    pub codes_issued: i64,
    pub codes_used: i64,
    /// The comments left (anonymous).
    pub comments: Vec<String>,
}

/// A survey with its results per unit and what the caller may do.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SurveyDetail)]
pub struct Detail {
    pub survey: SurveyRow,
    pub results: Vec<UnitResult>,
    /// `codes`, `publish`, `close`.
    pub allowed: Vec<String>,
}

/// A unit's answers counted.
pub struct Tally {
    pub unit: String,
    pub n: i64,
    pub by_code: i64,
    /// The exact mean over every question answered.
    pub satisfaction: Option<Decimal>,
    /// 1.96 × s ÷ √n over the respondents' own means (display only).
    pub margin: Option<f64>,
    pub comments: Vec<String>,
}

/// The results per unit from the answers (exact means; the margin for display).
pub fn aggregate(s: &SurveyRow, answers: &[jixiao_store::surveys::AnswerRow]) -> Vec<Tally> {
    s.units
        .iter()
        .map(|u| {
            let mine: Vec<_> = answers.iter().filter(|a| &a.unit == u).collect();
            let n = mine.len() as i64;
            let by_code = mine.iter().filter(|a| a.channel == "code").count() as i64;
            let (points, answered) = mine
                .iter()
                .fold((0i64, 0i64), |(p, q), a| (p + a.points, q + a.answered));
            let satisfaction =
                (answered > 0).then(|| Decimal::from(points) / Decimal::from(answered));
            // The respondents' own means, for the spread.
            let own: Vec<f64> = mine
                .iter()
                .filter(|a| a.answered > 0)
                .map(|a| a.points as f64 / a.answered as f64)
                .collect();
            let margin = (own.len() >= 2).then(|| {
                let k = own.len() as f64;
                let mean = own.iter().sum::<f64>() / k;
                let var = own.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
                1.96 * var.sqrt() / k.sqrt()
            });
            let comments = mine
                .iter()
                .filter(|a| !a.comment.is_empty())
                .map(|a| a.comment.clone())
                .collect();
            Tally {
                unit: u.clone(),
                n,
                by_code,
                satisfaction,
                margin,
                comments,
            }
        })
        .collect()
}

fn readable(live: &crate::live::Live, caller: &Caller) -> bool {
    allow_in(live, caller, Action::ManageSurveys).is_ok()
        || allow_in(live, caller, Action::ReadRankings).is_ok()
}

/// The surveys (the office and the district's readers).
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<SurveyRow>> {
    caller.require_signed_in()?;
    if !readable(&*state.live.read().await, caller) {
        return Err(Error::forbidden());
    }
    Ok(jixiao_store::surveys::list(&state.store).await?)
}

pub async fn get(state: &AppState, caller: &Caller, id: i64) -> Result<Detail> {
    caller.require_signed_in()?;
    let (manages, names) = {
        let live = state.live.read().await;
        if !readable(&live, caller) {
            return Err(Error::forbidden());
        }
        (
            allow_in(&live, caller, Action::ManageSurveys).is_ok(),
            live.unit_names(),
        )
    };
    let (survey, _) = jixiao_store::surveys::get(&state.store, id)
        .await?
        .ok_or_else(not_found)?;
    let answers = jixiao_store::surveys::answers(&state.store, id).await?;
    let codes = jixiao_store::surveys::code_counts(&state.store, id).await?;
    let results = aggregate(&survey, &answers)
        .into_iter()
        .map(|t| {
            let Tally {
                unit,
                n,
                by_code,
                satisfaction,
                margin,
                comments,
            } = t;
            let (issued, used) = codes
                .iter()
                .find(|c| c.0 == unit)
                .map_or((0, 0), |c| (c.1, c.2));
            UnitResult {
                unit_name: names
                    .get(&unit)
                    .cloned()
                    .unwrap_or_else(|| Text::new(&unit, &unit)),
                answers: n,
                by_code,
                by_link: n - by_code,
                satisfaction,
                margin,
                enough: n >= survey.min_sample,
                codes_issued: issued,
                codes_used: used,
                comments,
                unit,
            }
        })
        .collect();
    let mut allowed = Vec::new();
    if manages {
        allowed.push("publish");
        if survey.state == "open" {
            allowed.extend(["codes", "close"]);
        }
    }
    Ok(Detail {
        survey,
        results,
        allowed: allowed.into_iter().map(str::to_owned).collect(),
    })
}

/// A new survey.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = NewSurvey)]
#[serde(deny_unknown_fields)]
pub struct New {
    pub title: String,
    /// The period it measures, e.g. `2025Q4`.
    pub period: String,
    /// The element the satisfaction fills (`source = "survey"`).
    pub element: String,
    /// The element the sample size fills (optional).
    #[serde(default)]
    pub sample_element: String,
    pub units: Vec<String>,
    pub questions: Vec<Question>,
    /// Below this many answers a unit gets no value (default 30).
    #[serde(default)]
    pub min_sample: Option<i64>,
    /// Whether the open link is accepted (default true).
    #[serde(default)]
    pub open_link: Option<bool>,
    /// Open-link answers per network and day (default 20).
    #[serde(default)]
    pub per_address_daily: Option<i64>,
    pub reason: String,
}

/// The office opens a survey.
pub async fn create(state: &AppState, caller: &Caller, b: &New) -> Result<Detail> {
    require_reason(&b.reason)?;
    let mut issues = Issues::new();
    let units: Vec<String> = b.units.iter().map(|u| u.trim().to_owned()).collect();
    {
        let live = state.live.read().await;
        allow_in(&live, caller, Action::ManageSurveys)?;
        if b.title.trim().is_empty() {
            issues.push(problem(
                "title",
                "请填写调查名称".into(),
                "the title is required".into(),
            ));
        }
        if !live.scheme_year_has(b.period.trim(), b.element.trim()) {
            issues.push(problem(
                "period",
                format!(
                    "“{}”不是有数据项“{}”的考核方案年度内的考核期（如 2025Q4）",
                    b.period, b.element
                ),
                format!(
                    "`{}` is not a period (e.g. 2025Q4) of a scheme with the element `{}`",
                    b.period, b.element
                ),
            ));
        }
        if live.sources.get(b.element.trim()) != Some(&jixiao_core::scheme::Source::Survey) {
            issues.push(problem(
                "element",
                format!("“{}”不是来源为满意度调查（survey）的数据项", b.element),
                format!("`{}` is not an element with source = \"survey\"", b.element),
            ));
        }
        let sample = b.sample_element.trim();
        if !sample.is_empty() && !live.sources.contains_key(sample) {
            issues.push(problem(
                "sample_element",
                format!("没有数据项“{sample}”"),
                format!("no element `{sample}`"),
            ));
        }
        if units.is_empty() {
            issues.push(problem(
                "units",
                "至少选择一个被调查单位".into(),
                "at least one unit".into(),
            ));
        }
        for (i, u) in units.iter().enumerate() {
            if !live.units.contains(u) {
                issues.push(problem(
                    &format!("units[{i}]"),
                    format!("“{u}”不在本区的组织机构中"),
                    format!("`{u}` is not in the district's organisation"),
                ));
            }
        }
    }
    if b.questions.is_empty() {
        issues.push(problem(
            "questions",
            "至少要有一个问题".into(),
            "at least one question".into(),
        ));
    }
    let mut codes = std::collections::BTreeSet::new();
    for (i, q) in b.questions.iter().enumerate() {
        if q.code.trim().is_empty() || !codes.insert(q.code.trim()) {
            issues.push(problem(
                &format!("questions[{i}].code"),
                format!("问题代码“{}”为空或重复", q.code),
                format!("question code `{}` is empty or repeated", q.code),
            ));
        }
        if q.text.trim().is_empty() {
            issues.push(problem(
                &format!("questions[{i}].text"),
                "请填写问题".into(),
                "the question's text is required".into(),
            ));
        }
        if !["three", "five"].contains(&q.scale.trim()) {
            issues.push(problem(
                &format!("questions[{i}].scale"),
                format!(
                    "量表“{}”应为 three（满意/基本满意/不满意）或 five（1–5 分）",
                    q.scale
                ),
                format!("scale `{}` should be three or five", q.scale),
            ));
        }
    }
    let min_sample = b.min_sample.unwrap_or(30);
    if !(1..=100_000).contains(&min_sample) {
        issues.push(problem(
            "min_sample",
            format!("最低样本量 {min_sample} 应在 1–100000 之间"),
            format!("min_sample {min_sample} should be within 1–100000"),
        ));
    }
    let per_address_daily = b.per_address_daily.unwrap_or(20);
    if !(1..=100_000).contains(&per_address_daily) {
        issues.push(problem(
            "per_address_daily",
            format!("每个网络每日答卷上限 {per_address_daily} 应在 1–100000 之间"),
            format!("per_address_daily {per_address_daily} should be within 1–100000"),
        ));
    }
    if issues.errors().next().is_some() {
        return Err(Error::invalid(&issues));
    }
    let row = SurveyRow {
        id: 0,
        title: b.title.trim().to_owned(),
        period: b.period.trim().to_owned(),
        element: b.element.trim().to_owned(),
        sample_element: b.sample_element.trim().to_owned(),
        units,
        questions: b
            .questions
            .iter()
            .map(|q| Question {
                code: q.code.trim().to_owned(),
                text: q.text.trim().to_owned(),
                scale: q.scale.trim().to_owned(),
            })
            .collect(),
        min_sample,
        open_link: b.open_link.unwrap_or(true),
        per_address_daily,
        state: "open".into(),
        created_by: String::new(),
        created_at: String::new(),
        version: 1,
    };
    let salt = crate::auth::random_hex(16);
    let mut tx = state.store.write().await?;
    let s = jixiao_store::surveys::create(&mut tx, &caller.actor, &row, &salt, &b.reason).await?;
    commit(tx).await?;
    get(state, caller, s.id).await
}

/// The letters of a code: no 0/O, 1/I/L, to be read off a slip.
const CODE_LETTERS: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A code as typed, in its canonical form (upper case, no spaces or dashes).
fn canonical(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn hash(salt: &str, kind: &str, key: &str) -> String {
    jixiao_store::sha256_hex(format!("{salt}:{kind}:{key}").as_bytes())
}

/// Issuing codes for a unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueCodes {
    pub unit: String,
    /// How many (1–5000).
    pub count: i64,
    pub reason: String,
}

/// The office issues one-time codes for a unit: returned once (to print on slips), stored only
/// as salted hashes.
pub async fn codes(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &IssueCodes,
) -> Result<Vec<String>> {
    require_reason(&b.reason)?;
    allow_in(&*state.live.read().await, caller, Action::ManageSurveys)?;
    let (s, salt) = jixiao_store::surveys::get(&state.store, id)
        .await?
        .ok_or_else(not_found)?;
    let mut issues = Issues::new();
    if !s.units.contains(&b.unit) {
        issues.push(problem(
            "unit",
            format!("“{}”不是本次调查的单位", b.unit),
            format!("`{}` is not a unit of this survey", b.unit),
        ));
    }
    if !(1..=5000).contains(&b.count) {
        issues.push(problem(
            "count",
            format!("数量 {} 应在 1–5000 之间", b.count),
            format!("count {} should be within 1–5000", b.count),
        ));
    }
    if issues.errors().next().is_some() {
        return Err(Error::invalid(&issues));
    }
    if s.state != "open" {
        return Err(closed());
    }
    // The generator is not held across an await (it is not Send).
    let out = {
        use rand::Rng;
        let mut rng = rand::rng();
        let mut out = std::collections::BTreeSet::new();
        while out.len() < b.count as usize {
            let c: String = (0..8)
                .map(|_| CODE_LETTERS[rng.random_range(0..CODE_LETTERS.len())] as char)
                .collect();
            out.insert(c);
        }
        out
    };
    let hashes: Vec<String> = out.iter().map(|c| hash(&salt, "code", c)).collect();
    let mut tx = state.store.write().await?;
    jixiao_store::surveys::add_codes(&mut tx, &caller.actor, id, &b.unit, &hashes, &b.reason)
        .await?;
    commit(tx).await?;
    Ok(out
        .into_iter()
        .map(|c| format!("{}-{}", &c[..4], &c[4..]))
        .collect())
}

fn closed() -> Error {
    Error::conflict(
        "closed",
        Text::new("本次调查已结束", "the survey is closed"),
    )
}

/// Closing a survey.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Close {
    pub version: i64,
    pub reason: String,
}

/// The office closes a survey: its results are written a last time; no more answers.
pub async fn close(state: &AppState, caller: &Caller, id: i64, b: &Close) -> Result<Detail> {
    require_reason(&b.reason)?;
    allow_in(&*state.live.read().await, caller, Action::ManageSurveys)?;
    let (s, _) = jixiao_store::surveys::get(&state.store, id)
        .await?
        .ok_or_else(not_found)?;
    if s.state != "open" {
        return Err(closed());
    }
    let at = SurveyRow {
        version: b.version,
        ..s
    };
    let mut tx = state.store.write().await?;
    if !jixiao_store::surveys::close(&mut tx, &caller.actor, &at, &b.reason).await? {
        return Err(Error::conflict(
            "stale",
            Text::new(
                "本次调查已被他人修改，请刷新后重试",
                "someone changed the survey first; reload and try again",
            ),
        ));
    }
    commit(tx).await?;
    publish(state, id).await?;
    get(state, caller, id).await
}

/// The office writes the results now (they are also written shortly after answers arrive).
pub async fn publish_now(state: &AppState, caller: &Caller, id: i64) -> Result<Detail> {
    allow_in(&*state.live.read().await, caller, Action::ManageSurveys)?;
    publish(state, id).await?;
    get(state, caller, id).await
}

/// Writes the survey's results as the units' counted values where they changed: the
/// satisfaction (units whose sample reaches the minimum) and the sample size; audited as
/// `value.survey` by `system`. How many values changed.
pub async fn publish(state: &AppState, id: i64) -> Result<usize> {
    let (s, _) = jixiao_store::surveys::get(&state.store, id)
        .await?
        .ok_or_else(not_found)?;
    let answers = jixiao_store::surveys::answers(&state.store, id).await?;
    let mut wanted = Vec::new();
    for Tally {
        unit,
        n,
        by_code,
        satisfaction,
        margin,
        ..
    } in aggregate(&s, &answers)
    {
        if n == 0 {
            continue;
        }
        let note = format!(
            "群众满意度调查“{}”：有效答卷 {n} 份（答卷码 {by_code}，公开链接 {}）{}{}",
            s.title,
            n - by_code,
            satisfaction.map_or_else(String::new, |v| format!(
                "，满意度 {}%",
                jixiao_core::explain::round_half_up(v, 2).normalize()
            )),
            margin.map_or_else(String::new, |m| format!("，95% 置信误差 ±{m:.1} 个百分点")),
        );
        if n >= s.min_sample
            && let Some(v) = satisfaction
        {
            wanted.push((
                s.element.clone(),
                unit.clone(),
                s.period.clone(),
                v,
                note.clone(),
            ));
        }
        if !s.sample_element.is_empty() {
            wanted.push((
                s.sample_element.clone(),
                unit.clone(),
                s.period.clone(),
                Decimal::from(n),
                note,
            ));
        }
    }
    crate::ops::values::write_counted_now(
        state,
        &jixiao_store::audit::Actor::system("survey"),
        &wanted,
        "value.survey",
    )
    .await
}

/// After answers arrive: the results are written once after a short delay, however many
/// answers came in the meantime (a failure is logged; the office can write them at once).
fn publish_soon(state: &AppState, id: i64) {
    let first = state
        .surveys_pending
        .lock()
        .map(|mut p| p.insert(id))
        .unwrap_or(false);
    if !first {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(PUBLISH_DELAY_MS)).await;
        if let Ok(mut p) = state.surveys_pending.lock() {
            p.remove(&id);
        }
        if let Err(e) = publish(&state, id).await {
            tracing::warn!(survey = id, error = %e.detail(jixiao_core::text::Lang::En), "could not write a survey's results; the office can write them from the survey's page");
        }
    });
}

/// How long answers gather before their results are written.
pub const PUBLISH_DELAY_MS: u64 = 1000;

/// What a citizen sees: the questionnaire of a unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Public {
    pub id: i64,
    pub title: String,
    pub unit: String,
    #[schema(value_type = Object)]
    pub unit_name: Text,
    pub questions: Vec<Question>,
    /// Whether an answer without a code is accepted.
    pub open_link: bool,
}

/// The questionnaire of an open survey for one of its units (nobody signs in).
pub async fn public(state: &AppState, id: i64, unit: &str) -> Result<Public> {
    let (s, _) = jixiao_store::surveys::get(&state.store, id)
        .await?
        .filter(|(s, _)| s.units.iter().any(|u| u == unit))
        .ok_or_else(not_found)?;
    if s.state != "open" {
        return Err(closed());
    }
    let unit_name = state
        .live
        .read()
        .await
        .unit_name(unit)
        .cloned()
        .unwrap_or_else(|| Text::new(unit, unit));
    Ok(Public {
        id,
        title: s.title,
        unit: unit.to_owned(),
        unit_name,
        questions: s.questions,
        open_link: s.open_link,
    })
}

/// A citizen's answer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The one-time code from the slip (empty: the open link).
    #[serde(default)]
    pub code: String,
    /// Each question's choice by its code: 1 = best (满意; 5 分 on the 1–5 scale).
    pub choices: std::collections::BTreeMap<String, i64>,
    #[serde(default)]
    pub comment: String,
}

/// Where an answer came from, for de-duplication only (never stored as such).
pub struct Origin<'a> {
    /// The device's token (a cookie the page set; a header through the API).
    pub device: Option<&'a str>,
    /// The network address.
    pub address: &'a str,
}

/// Records a citizen's answer: every question answered on its scale; a code used once; the open
/// link once per device and within the daily limit per network. Anonymous.
pub async fn answer(
    state: &AppState,
    id: i64,
    unit: &str,
    b: &Answer,
    origin: &Origin<'_>,
) -> Result<()> {
    let (s, salt) = jixiao_store::surveys::get(&state.store, id)
        .await?
        .filter(|(s, _)| s.units.iter().any(|u| u == unit))
        .ok_or_else(not_found)?;
    if s.state != "open" {
        return Err(closed());
    }
    let mut issues = Issues::new();
    let mut picked = Vec::new();
    let (mut total, mut answered) = (0i64, 0i64);
    for q in &s.questions {
        match b.choices.get(&q.code).map(|c| (c, points(&q.scale, *c))) {
            Some((c, Some(p))) => {
                picked.push(*c);
                total += p;
                answered += 1;
            }
            Some((c, None)) => issues.push(problem(
                &format!("choices.{}", q.code),
                format!("“{}”的选项 {c} 不在量表内", q.text),
                format!("choice {c} of `{}` is not on its scale", q.code),
            )),
            None => issues.push(problem(
                &format!("choices.{}", q.code),
                format!("请回答“{}”", q.text),
                format!("`{}` is not answered", q.code),
            )),
        }
    }
    for k in b.choices.keys() {
        if !s.questions.iter().any(|q| &q.code == k) {
            issues.push(problem(
                &format!("choices.{k}"),
                format!("本问卷没有问题“{k}”"),
                format!("the questionnaire has no question `{k}`"),
            ));
        }
    }
    if b.comment.chars().count() > 500 {
        issues.push(problem(
            "comment",
            "意见建议不超过 500 字".into(),
            "the comment is limited to 500 characters".into(),
        ));
    }
    if issues.errors().next().is_some() {
        return Err(Error::invalid(&issues));
    }
    let code = canonical(&b.code);
    let day = jixiao_store::today();
    let mut tx = state.store.write().await?;
    let channel = if code.is_empty() {
        if !s.open_link {
            return Err(Error::bad_request(
                "code_required",
                Text::new(
                    "本次调查须凭答卷码填写",
                    "this survey is answered with a code",
                ),
            ));
        }
        let Some(device) = origin.device.filter(|d| d.len() >= 16) else {
            return Err(Error::bad_request(
                "no_device",
                Text::new(
                    "请先打开问卷页面再提交（需允许本站 Cookie）",
                    "open the questionnaire first, then submit (cookies for this site are needed)",
                ),
            ));
        };
        if !jixiao_store::surveys::key_once(&mut tx, id, "device", &hash(&salt, "device", device))
            .await?
        {
            return Err(Error::conflict(
                "answered",
                Text::new(
                    "本设备已提交过本次调查的答卷，感谢参与",
                    "this device has answered this survey already; thank you",
                ),
            ));
        }
        let n = jixiao_store::surveys::key_count(
            &mut tx,
            id,
            "address",
            &hash(&salt, "address", origin.address),
            &day,
        )
        .await?;
        if n > s.per_address_daily {
            return Err(Error::new(
                Kind::TooManyRequests,
                "too_many",
                Text::new(
                    "同一网络今日提交的答卷已达上限，请明天再试或使用答卷码",
                    "too many answers from this network today; try tomorrow or use a code",
                ),
            ));
        }
        "open"
    } else {
        if !jixiao_store::surveys::use_code(&mut tx, id, unit, &hash(&salt, "code", &code)).await? {
            return Err(Error::conflict(
                "bad_code",
                Text::new(
                    "答卷码无效或已使用",
                    "the code is not valid here or was used already",
                ),
            ));
        }
        "code"
    };
    jixiao_store::surveys::add_answer(
        &mut tx,
        &jixiao_store::surveys::NewAnswer {
            survey: id,
            unit,
            channel,
            choices: &picked,
            points: total,
            answered,
            comment: b.comment.trim(),
            day: &day,
        },
    )
    .await?;
    commit(tx).await?;
    publish_soon(state, id);
    Ok(())
}

/// The address of the questionnaire of a unit, for its QR code: the configured public address,
/// else `http://{host}`.
pub fn link(state: &AppState, host: Option<&str>, id: i64, unit: &str) -> String {
    let base = state
        .config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", host.unwrap_or("localhost")));
    format!("{}/s/{id}/{unit}", base.trim_end_matches('/'))
}

/// The QR code (SVG) of a link.
pub fn qr_svg(link: &str) -> Result<String> {
    let code = qrcode::QrCode::new(link.as_bytes()).map_err(|e| Error::internal(&e))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build())
}
