//! The next year's budget-adjustment table (预算调整建议表) for budget preparation: every project
//! evaluated in a budget scheme's period with its current amount, its result (grade), the
//! recommendation the scheme's results-applied rules give (purpose `budget`: words and a
//! coefficient), the suggested amount (current × coefficient) and the reason. Read live or from
//! a publication (where the outcomes were frozen). Finance reviews it — keeps each suggestion or
//! decides another amount with its reason — and publishes it: the table as published is kept
//! (audited) and is what departments read of their own projects.

use crate::error::{Error, Result};
use crate::ops::applied::AppliedQuery;
use crate::ops::{Caller, allow_in, commit, require_reason};
use crate::state::AppState;
use jixiao_core::Decimal;
use jixiao_core::access::{Action, Role};
use jixiao_core::text::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Line {
    pub project: String,
    #[schema(value_type = Object)]
    pub name: Text,
    /// The department that runs it (as recorded with the project) and its name.
    pub dept: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub dept_name: Option<Text>,
    /// 万元, as recorded with the project (none: the project is not recorded).
    pub amount: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub grade: Option<Text>,
    pub total: Option<String>,
    /// The recommendation in words (the rules' text outcome of purpose `budget`).
    #[schema(value_type = Option<Object>)]
    pub recommendation: Option<Text>,
    /// The coefficient (the rules' coefficient outcome of purpose `budget`).
    pub coefficient: Option<String>,
    /// amount × coefficient, exact.
    pub suggested: Option<String>,
    /// Why: each budget outcome's rule and reason.
    #[schema(value_type = Object)]
    pub reason: Text,
    /// The ex-ante conclusion (予以支持 …), when the project had one.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub exante: Option<Text>,
    /// The latest monitoring of the project's year: its date and level (`2025-12-31 红色`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub monitoring: Option<Text>,
    /// The amount finance decided when publishing (its suggestion unless it decided another).
    #[serde(default)]
    pub decided: Option<String>,
    /// Why finance decided another amount than the suggestion.
    #[serde(default)]
    pub decided_reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Table {
    pub scheme: String,
    #[schema(value_type = Object)]
    pub title: Text,
    pub period: String,
    pub source: crate::ops::applied::Source,
    pub lines: Vec<Line>,
    /// Σ current amounts and Σ suggested amounts of the lines that have both.
    pub current_total: String,
    pub suggested_total: String,
    /// Σ decided amounts (published tables).
    #[serde(default)]
    pub decided_total: Option<String>,
}

/// The table of a scheme's period (readers of the rankings: finance, the office, leaders).
pub async fn table(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    q: &AppliedQuery,
) -> Result<Table> {
    let a = crate::ops::applied::report(state, caller, scheme, period, q).await?;
    let budget: Vec<&crate::ops::applied::Head> = a
        .applications
        .iter()
        .filter(|h| h.purpose == "budget")
        .collect();
    let names = state.live.read().await.unit_names();
    let (mut current_total, mut suggested_total) = (Decimal::ZERO, Decimal::ZERO);
    let mut lines = Vec::new();
    for row in a.classes.iter().flat_map(|c| &c.rows) {
        let project = jixiao_store::projects::get(&state.store, &row.unit).await?;
        let amount: Option<Decimal> = project.as_ref().and_then(|p| p.amount.parse().ok());
        let mut recommendation = None;
        let mut coefficient: Option<Decimal> = None;
        let (mut zh, mut en) = (Vec::new(), Vec::new());
        for c in row
            .outcomes
            .iter()
            .filter(|c| budget.iter().any(|h| h.code == c.code))
        {
            match &c.value {
                serde_json::Value::String(s) => coefficient = s.parse().ok(),
                v if v.is_object() => recommendation = Some(c.shown.clone()),
                _ => {}
            }
            zh.push(c.reason.zh.clone());
            en.push(c.reason.en.clone());
        }
        let suggested = amount.zip(coefficient).map(|(a, k)| a * k);
        let exante = project
            .as_ref()
            .and_then(|p| p.exante_conclusion.as_deref())
            .and_then(|c| named::<jixiao_core::budget::Conclusion>(c).map(|c| c.name()));
        let monitoring = match &project {
            Some(p) => jixiao_store::projects::monitoring(&state.store, &p.code)
                .await?
                .into_iter()
                .max_by(|a, b| a.day.cmp(&b.day))
                .and_then(|m| {
                    let level = named::<jixiao_core::budget::Level>(&m.level)?.name();
                    Some(Text::new(
                        format!("{} {}", m.day, level.zh),
                        format!("{} {}", m.day, level.en),
                    ))
                }),
            None => None,
        };
        if let (Some(a), Some(s)) = (amount, suggested) {
            current_total += a;
            suggested_total += s;
        }
        lines.push(Line {
            project: row.unit.clone(),
            name: row.name.clone(),
            dept: project.as_ref().map(|p| p.dept.clone()),
            dept_name: project.as_ref().and_then(|p| names.get(&p.dept).cloned()),
            amount: amount.map(|a| a.normalize().to_string()),
            grade: row.grade.clone(),
            total: row.total.clone(),
            recommendation,
            coefficient: coefficient.map(|k| k.normalize().to_string()),
            suggested: suggested.map(|s| s.normalize().to_string()),
            reason: Text::new(zh.join("；"), en.join("; ")),
            exante,
            monitoring,
            decided: None,
            decided_reason: String::new(),
        });
    }
    Ok(Table {
        scheme: a.scheme,
        title: a.title,
        period: a.period,
        source: a.source,
        lines,
        current_total: current_total.normalize().to_string(),
        suggested_total: suggested_total.normalize().to_string(),
        decided_total: None,
    })
}

/// A stored code (`support`, `red`) read as its rule's value.
fn named<T: serde::de::DeserializeOwned>(code: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

/// Finance's decision on one line: another amount than the suggestion, and why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub project: String,
    /// 万元.
    pub amount: String,
    pub reason: String,
}

/// Publishing a table: drawn from a publication of the evaluation (`publication`) or from the
/// live results of `kind`; lines without a decision keep their suggestion.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    #[serde(default)]
    pub publication: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub kind: Option<crate::live::Kind>,
    #[serde(default)]
    pub decisions: Vec<Decision>,
    pub reason: String,
}

/// A published table with who published it, when and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Published {
    pub id: i64,
    pub published_by: String,
    pub published_at: String,
    pub reason: String,
    pub table: Table,
}

impl Published {
    fn of(a: jixiao_store::projects::AdjustmentRow, table: Table) -> Published {
        Published {
            id: a.id,
            published_by: a.published_by,
            published_at: a.published_at,
            reason: a.reason,
            table,
        }
    }
}

fn problem(path: String, zh: String, en: String) -> jixiao_core::issue::Issue {
    jixiao_core::issue::Issue::error(
        "invalid",
        "adjustment",
        jixiao_core::issue::Location::Path { path },
        Text::new(zh, en),
    )
}

/// Finance reviews and publishes the table: its decisions checked (a project of the table, an
/// amount of at least 0, a reason), the table kept as published, each department told.
pub async fn publish(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    b: &Publish,
) -> Result<Published> {
    allow_in(&*state.live.read().await, caller, Action::ManageBudget)?;
    require_reason(&b.reason)?;
    let q = AppliedQuery {
        kind: b.kind,
        publication: b.publication,
    };
    let mut t = table(state, caller, scheme, period, &q).await?;
    let mut issues = jixiao_core::issue::Issues::new();
    for (i, d) in b.decisions.iter().enumerate() {
        let at = |f: &str| format!("decisions[{i}].{f}");
        if !t.lines.iter().any(|l| l.project == d.project) {
            issues.push(problem(
                at("project"),
                format!("项目“{}”不在本表中", d.project),
                format!("project `{}` is not in the table", d.project),
            ));
        }
        if jixiao_core::data::parse_number(&d.amount).is_none_or(|a| a < Decimal::ZERO) {
            issues.push(problem(
                at("amount"),
                format!("金额“{}”应为不小于0的数（万元）", d.amount),
                format!("amount `{}` should be a number of at least 0", d.amount),
            ));
        }
        if d.reason.trim().is_empty() {
            issues.push(problem(
                at("reason"),
                "调整建议金额须说明理由".into(),
                "a decided amount needs its reason".into(),
            ));
        }
    }
    if issues.errors().next().is_some() {
        return Err(Error::invalid(&issues));
    }
    let mut total = Decimal::ZERO;
    for l in &mut t.lines {
        match b.decisions.iter().find(|d| d.project == l.project) {
            Some(d) => {
                let a = jixiao_core::data::parse_number(&d.amount).unwrap_or_default();
                l.decided = Some(a.normalize().to_string());
                l.decided_reason = d.reason.trim().to_owned();
            }
            None => l.decided = l.suggested.clone(),
        }
        total += l
            .decided
            .as_deref()
            .and_then(jixiao_core::data::parse_number)
            .unwrap_or_default();
    }
    t.decided_total = Some(total.normalize().to_string());
    let rows = serde_json::to_string(&t).map_err(|e| Error::internal(&e))?;
    let mut tx = state.store.write().await?;
    let a = jixiao_store::projects::publish_adjustment(
        &mut tx,
        &caller.actor,
        scheme,
        period,
        t.source.publication,
        &rows,
        b.reason.trim(),
    )
    .await?;
    let mut depts: Vec<&str> = t.lines.iter().filter_map(|l| l.dept.as_deref()).collect();
    depts.sort_unstable();
    depts.dedup();
    let to: Vec<crate::ops::notices::To> = depts
        .iter()
        .map(|d| crate::ops::notices::To::Unit((*d).to_owned()))
        .collect();
    crate::ops::notices::tell_in(
        &mut tx,
        &state.config,
        &to,
        &crate::ops::notices::Notice {
            kind: "budget",
            key: format!("adjustment:{}", a.id),
            title: Text::new(
                format!("下年预算调整建议表已发布（{period}）"),
                format!("Next year's budget-adjustment table published ({period})"),
            ),
            body: Text::new(b.reason.trim(), b.reason.trim()),
            link: format!("/budget-adjustment/{scheme}/{period}?published=1"),
        },
    )
    .await?;
    commit(tx).await?;
    Ok(Published::of(a, t))
}

/// The table as last published: whole for the readers of the results, a department's own
/// lines for its people.
pub async fn published(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
) -> Result<Published> {
    caller.require_signed_in()?;
    let whole = allow_in(&*state.live.read().await, caller, Action::ReadRankings).is_ok();
    let own = match (&caller.principal.role, &caller.principal.unit) {
        (Role::Reporter | Role::UnitLeader, Some(u)) => Some(u.clone()),
        _ => None,
    };
    if !whole && own.is_none() {
        return Err(Error::forbidden());
    }
    let a = jixiao_store::projects::published_adjustment(&state.store, scheme, period)
        .await?
        .ok_or_else(|| {
            Error::not_found(
                "已发布的预算调整建议表",
                "published budget-adjustment table",
            )
        })?;
    let mut t: Table = serde_json::from_str(&a.rows).map_err(|e| Error::internal(&e))?;
    if !whole {
        t.lines.retain(|l| l.dept == own);
        let sum = |f: fn(&Line) -> Option<&String>| {
            t.lines
                .iter()
                .filter_map(|l| f(l).and_then(|s| jixiao_core::data::parse_number(s)))
                .sum::<Decimal>()
                .normalize()
                .to_string()
        };
        t.current_total = sum(|l| l.amount.as_ref());
        t.suggested_total = sum(|l| l.suggested.as_ref());
        t.decided_total = Some(sum(|l| l.decided.as_ref()));
    }
    Ok(Published::of(a, t))
}

/// The tables there are: each published scheme with a results-applied rule of purpose `budget`
/// and each of its tracked years, as (scheme, title, period) — for the readers of the results.
pub async fn choices(state: &AppState, caller: &Caller) -> Vec<(String, Text, String)> {
    let live = state.live.read().await;
    if crate::ops::allow_in(&live, caller, jixiao_core::access::Action::ReadRankings).is_err() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (code, s) in &live.schemes {
        let sc = &s.model.scheme;
        let budget = sc
            .applications
            .iter()
            .any(|a| a.purpose == jixiao_core::applications::Purpose::Budget);
        if !budget {
            continue;
        }
        for p in s.periods.keys() {
            if p.granularity() == jixiao_core::period::Granularity::Year {
                out.push((code.clone(), sc.title.clone(), p.to_string()));
            }
        }
    }
    out
}

/// Whether the caller reviews and publishes the tables (finance).
pub async fn may_publish(state: &AppState, caller: &Caller) -> bool {
    allow_in(&*state.live.read().await, caller, Action::ManageBudget).is_ok()
}
