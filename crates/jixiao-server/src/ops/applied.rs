//! The 结果运用 report for the district committee: every unit of a scheme's period with its
//! grade, rank, the outcomes the scheme's application rules give (bonus coefficient,
//! eligibility, talks …) and the reason for each; a summary per outcome. Read live (official or
//! provisional results) or from a publication, where the outcomes were frozen with the results
//! and read back exactly as published.

use crate::error::{Error, Result};
use crate::live::Kind;
use crate::ops::{Caller, allow};
use crate::state::AppState;
use jixiao_core::access::Action;
use jixiao_core::report::Detail;
use jixiao_core::text::Text;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct AppliedQuery {
    /// `official` (the default) or `provisional`: live results of that kind.
    pub kind: Option<Kind>,
    /// A publication of this scheme and period: the outcomes frozen in it instead of the live
    /// ones.
    pub publication: Option<i64>,
}

/// Where a report's outcomes come from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Source {
    /// `official`, `provisional` or `published`.
    pub kind: String,
    pub publication: Option<i64>,
    pub revision: Option<i64>,
    pub published_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Head {
    pub code: String,
    #[schema(value_type = Object)]
    pub name: Text,
    pub purpose: String,
    #[schema(value_type = Object)]
    pub purpose_name: Text,
    #[schema(value_type = Option<Object>)]
    pub basis: Option<Text>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cell {
    pub code: String,
    /// The value as the rules give it: a number as text, true/false, or `{zh, en}`; null when
    /// not decided.
    #[schema(value_type = Object)]
    pub value: Value,
    /// The value as a person reads it (— when not decided).
    #[schema(value_type = Object)]
    pub shown: Text,
    /// The rule that decided, counted from 1 (null: `otherwise`, or undecided).
    pub rule: Option<u64>,
    #[schema(value_type = Object)]
    pub reason: Text,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Row {
    pub rank: Option<u64>,
    pub unit: String,
    #[schema(value_type = Object)]
    pub name: Text,
    /// Full precision, as computed.
    pub total: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub grade: Option<Text>,
    /// The veto item struck, if any.
    #[schema(value_type = Option<Object>)]
    pub veto: Option<Text>,
    pub outcomes: Vec<Cell>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Class {
    pub code: String,
    #[schema(value_type = Object)]
    pub name: Text,
    pub rows: Vec<Row>,
}

/// How many units got each value of one outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Summary {
    pub code: String,
    #[schema(value_type = Object)]
    pub name: Text,
    /// (the value as read, units), most frequent first; undecided as —.
    #[schema(value_type = Vec<Object>)]
    pub counts: Vec<(Text, usize)>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Applied {
    pub scheme: String,
    #[schema(value_type = Object)]
    pub title: Text,
    pub period: String,
    pub source: Source,
    pub applications: Vec<Head>,
    pub classes: Vec<Class>,
    pub summary: Vec<Summary>,
}

fn text(v: &Value) -> Text {
    Text::new(
        v["zh"].as_str().unwrap_or_default(),
        v["en"].as_str().unwrap_or_default(),
    )
}

fn shown(v: &Value) -> Text {
    match v {
        Value::Bool(true) => Text::new("是", "yes"),
        Value::Bool(false) => Text::new("否", "no"),
        Value::String(n) => Text::new(n.clone(), n.clone()),
        v if v.is_object() => text(v),
        _ => Text::new("—", "—"),
    }
}

/// The report from a report as serialized (live or stored in a publication).
fn from_report(
    scheme: &str,
    title: Text,
    period: &str,
    source: Source,
    model: &jixiao_core::model::Model,
    r: &Value,
) -> Applied {
    let empty = Vec::new();
    let classes: Vec<Class> = r["classes"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|c| Class {
            code: c["code"].as_str().unwrap_or_default().to_owned(),
            name: text(&c["name"]),
            rows: c["rows"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|row| Row {
                    rank: row["rank"].as_u64(),
                    unit: row["unit"].as_str().unwrap_or_default().to_owned(),
                    name: text(&row["name"]),
                    total: row["total"].as_str().map(str::to_owned),
                    grade: row["grade"]
                        .is_object()
                        .then(|| text(&row["grade"]["name"])),
                    veto: row["veto"].is_object().then(|| text(&row["veto"]["name"])),
                    outcomes: row["outcomes"]
                        .as_array()
                        .unwrap_or(&empty)
                        .iter()
                        .map(|o| Cell {
                            code: o["code"].as_str().unwrap_or_default().to_owned(),
                            value: o["value"].clone(),
                            shown: shown(&o["value"]),
                            rule: o["rule"].as_u64(),
                            reason: text(&o["reason"]),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let length = jixiao_core::period::Period::parse(period).map(|p| p.granularity());
    let applications: Vec<Head> = model
        .scheme
        .applications
        .iter()
        .filter(|a| a.periods.is_none_or(|g| length == Ok(g)))
        .map(|a| Head {
            code: a.code.to_string(),
            name: a.name.clone(),
            purpose: serde_json::to_value(a.purpose)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            purpose_name: a.purpose.name(),
            basis: a.basis.clone(),
        })
        .collect();
    let summary = applications
        .iter()
        .map(|h| {
            let mut counts: Vec<(Text, usize)> = Vec::new();
            for row in classes.iter().flat_map(|c| &c.rows) {
                for o in row.outcomes.iter().filter(|o| o.code == h.code) {
                    match counts.iter_mut().find(|(t, _)| *t == o.shown) {
                        Some((_, n)) => *n += 1,
                        None => counts.push((o.shown.clone(), 1)),
                    }
                }
            }
            counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.zh.cmp(&b.0.zh)));
            Summary {
                code: h.code.clone(),
                name: h.name.clone(),
                counts,
            }
        })
        .collect();
    Applied {
        scheme: scheme.to_owned(),
        title,
        period: period.to_owned(),
        source,
        applications,
        classes,
        summary,
    }
}

/// The 结果运用 report of a scheme's period (readers of the rankings).
pub async fn report(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    q: &AppliedQuery,
) -> Result<Applied> {
    allow(state, caller, Action::ReadRankings).await?;
    let live = state.live.read().await;
    let (s, t, p) = crate::ops::results::tracked(&live, scheme, period)?;
    if s.model.scheme.applications.is_empty() {
        return Err(Error::not_found(
            "本方案未设置结果运用规则",
            "this scheme sets no results applied",
        ));
    }
    let title = s.model.scheme.title.clone();
    if let Some(id) = q.publication {
        let model = t.model.clone();
        drop(live);
        let row = jixiao_store::publications::get(&state.store, id)
            .await?
            .filter(|r| r.scheme_code == scheme && r.period == period)
            .ok_or_else(|| Error::not_found("公示", "publication"))?;
        let results: Value = serde_json::from_str(&row.results).map_err(|e| Error::internal(&e))?;
        let source = Source {
            kind: "published".into(),
            publication: Some(row.id),
            revision: Some(row.revision),
            published_at: Some(row.published_at.clone()),
        };
        return Ok(from_report(scheme, title, period, source, &model, &results));
    }
    let kind = q.kind.unwrap_or(Kind::Official);
    let (scoring, values) = crate::ops::results::of_kind(s, t, kind);
    let mut r = jixiao_core::report::report(&t.model, values, scoring, None, Detail::default());
    jixiao_core::applications::apply(
        &t.model,
        &mut r,
        &crate::ops::results::history(&live, s, p, kind),
    );
    let json = serde_json::to_value(&r).map_err(|e| Error::internal(&e))?;
    let source = Source {
        kind: match kind {
            Kind::Official => "official",
            Kind::Provisional => "provisional",
        }
        .into(),
        publication: None,
        revision: None,
        published_at: None,
    };
    Ok(from_report(scheme, title, period, source, &t.model, &json))
}

/// The report as a workbook: every unit with each outcome and its reason, then the summary.
pub fn workbook_sheets(a: &Applied, lang: jixiao_core::text::Lang) -> Vec<crate::xlsx::Sheet> {
    use crate::xlsx::{Cell as X, Sheet};
    let zh = lang == jixiao_core::text::Lang::Zh;
    let h = |z: &str, e: &str| if zh { z.to_owned() } else { e.to_owned() };
    let mut headers = vec![
        h("类别", "Class"),
        h("名次", "Rank"),
        h("单位代码", "Code"),
        h("单位", "Unit"),
        h("总分", "Total"),
        h("等次", "Grade"),
        h("一票否决", "Veto"),
    ];
    for ap in &a.applications {
        headers.push(ap.name.get(lang).to_owned());
        headers.push(format!("{}{}", ap.name.get(lang), h("·理由", " · reason")));
    }
    let rows = a
        .classes
        .iter()
        .flat_map(|c| c.rows.iter().map(move |r| (c, r)))
        .map(|(c, r)| {
            let mut cells = vec![
                X::from(c.name.get(lang)),
                X::from(r.rank.and_then(|k| u32::try_from(k).ok())),
                X::from(r.unit.as_str()),
                X::from(r.name.get(lang)),
                X::from(
                    r.total
                        .as_deref()
                        .and_then(|t| t.parse::<jixiao_core::Decimal>().ok()),
                ),
                X::from(r.grade.as_ref().map_or("", |g| g.get(lang))),
                X::from(r.veto.as_ref().map_or("", |g| g.get(lang))),
            ];
            for ap in &a.applications {
                let o = r.outcomes.iter().find(|o| o.code == ap.code);
                cells.push(X::from(o.map_or("", |o| o.shown.get(lang))));
                cells.push(X::from(o.map_or("", |o| o.reason.get(lang))));
            }
            cells
        })
        .collect();
    let summary_rows = a
        .summary
        .iter()
        .flat_map(|s| {
            s.counts.iter().map(move |(v, n)| {
                vec![
                    X::from(s.name.get(lang)),
                    X::from(v.get(lang)),
                    X::from(jixiao_core::Decimal::from(*n as u64)),
                ]
            })
        })
        .collect();
    vec![
        Sheet::new(h("结果运用", "Results applied"), headers, rows),
        Sheet::new(
            h("汇总", "Summary"),
            vec![
                h("运用事项", "Outcome"),
                h("结果", "Result"),
                h("单位数", "Units"),
            ],
            summary_rows,
        ),
    ]
}
