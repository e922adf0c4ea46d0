//! The next year's budget-adjustment table (预算调整建议表) for budget preparation: every project
//! evaluated in a budget scheme's period with its current amount, its result (grade), the
//! recommendation the scheme's results-applied rules give (purpose `budget`: words and a
//! coefficient), the suggested amount (current × coefficient) and the reason. Read live or from
//! a publication (where the outcomes were frozen: what finance publishes).

use crate::error::Result;
use crate::ops::Caller;
use crate::ops::applied::AppliedQuery;
use crate::state::AppState;
use jixiao_core::Decimal;
use jixiao_core::text::Text;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
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
}

#[derive(Debug, Serialize, ToSchema)]
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
    })
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
