//! Appeals (申诉/复核): a unit appeals a published indicator score with a reason (and evidence);
//! the office upholds it (correcting values if needed, and publishing a new revision) or
//! rejects it, always with a reason. Both revisions stay visible.

use crate::error::{Error, Result};
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::{Action, can};
use jixiao_core::text::Text;
use jixiao_core::workflow::ValueState;
use jixiao_store::appeals::AppealRow;
use jixiao_store::publications::PublicationRow;
use jixiao_store::values::Content;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FileBody {
    pub publication_id: i64,
    pub unit: String,
    pub indicator: String,
    pub reason: String,
}

/// The rows of a publication's results, each with its unit code and indicators.
fn published_rows(results: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
    results["classes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["rows"].as_array().into_iter().flatten())
}

/// Appeals a published score.
pub async fn file(state: &AppState, caller: &Caller, b: FileBody) -> Result<AppealRow> {
    allow(state, caller, Action::FileAppeal { unit: &b.unit }).await?;
    require_reason(&b.reason)?;
    let p = jixiao_store::publications::get(&state.store, b.publication_id)
        .await?
        .ok_or_else(|| Error::not_found("公示", "publication"))?;
    let results: serde_json::Value =
        serde_json::from_str(&p.results).map_err(|e| Error::internal(&e))?;
    let found = published_rows(&results).any(|r| {
        r["unit"] == b.unit.as_str()
            && r["indicators"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|i| i["code"] == b.indicator.as_str())
    });
    if !found {
        return Err(Error::not_found(
            "该公示中的单位和指标",
            "unit and indicator in this publication",
        ));
    }
    let mut tx = state.store.write().await?;
    let a = jixiao_store::appeals::file(
        &mut tx,
        &caller.actor,
        b.publication_id,
        &b.unit,
        &b.indicator,
        &b.reason,
    )
    .await?;
    commit(tx).await?;
    Ok(a)
}

/// Appeals the caller may see: the office all, a unit its own.
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<AppealRow>> {
    caller.require_signed_in()?;
    let all = jixiao_store::appeals::list(&state.store).await?;
    let live = state.live.read().await;
    Ok(all
        .into_iter()
        .filter(|a| {
            can(
                &caller.principal,
                Action::ReadUnit { unit: &a.unit_code },
                &*live,
            )
        })
        .collect())
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Correction {
    pub element: String,
    pub period: String,
    /// The corrected value (exact decimal as text).
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ResolveBody {
    /// `uphold` or `reject`.
    pub decision: String,
    pub reason: String,
    pub version: i64,
    /// Values the office corrects when it upholds (counted at once).
    #[serde(default)]
    pub corrections: Vec<Correction>,
}

/// Upholds (and re-publishes) or rejects an appeal.
pub async fn resolve(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: ResolveBody,
) -> Result<AppealRow> {
    allow(state, caller, Action::ResolveAppeal).await?;
    require_reason(&b.reason)?;
    let mut conn = crate::ops::conn(state).await?;
    let before = jixiao_store::appeals::get(&mut conn, id)
        .await?
        .ok_or_else(|| Error::not_found("申诉", "appeal"))?;
    drop(conn);
    if before.status != "open" || before.version != b.version {
        return Err(Error::conflict(
            "appeal_closed",
            Text::new(
                "该申诉已处理或已被他人修改",
                "this appeal was already resolved or changed",
            ),
        )
        .with(serde_json::json!({ "current": before })));
    }
    let upheld = match b.decision.as_str() {
        "uphold" => true,
        "reject" => false,
        d => {
            return Err(Error::bad_request(
                "bad_decision",
                Text::new(
                    format!("处理结果“{d}”无效，应为 uphold 或 reject"),
                    format!("decision `{d}` must be uphold or reject"),
                ),
            ));
        }
    };
    let publication = jixiao_store::publications::get(&state.store, before.publication_id)
        .await?
        .ok_or_else(|| Error::not_found("公示", "publication"))?;
    if upheld && !b.corrections.is_empty() {
        correct(state, caller, &before, &b).await?;
    }
    let republication = if upheld {
        Some(
            crate::ops::publications::publish_now(
                state,
                caller,
                &publication.scheme_code,
                &publication.period,
                &format!("申诉{id}复核成立：{}", b.reason),
                None,
            )
            .await?
            .0
            .id,
        )
    } else {
        None
    };
    let mut tx = state.store.write().await?;
    let after = jixiao_store::appeals::resolve(
        &mut tx,
        &caller.actor,
        &before,
        if upheld { "upheld" } else { "rejected" },
        &b.reason,
        republication,
    )
    .await?;
    let after = after.ok_or_else(|| {
        Error::conflict(
            "appeal_closed",
            Text::new(
                "该申诉刚被他人处理",
                "someone resolved this appeal just now",
            ),
        )
    })?;
    let (zh, en) = if upheld {
        ("申诉已支持", "Appeal upheld")
    } else {
        ("申诉未支持", "Appeal rejected")
    };
    crate::ops::notices::tell_in(
        &mut tx,
        &state.config,
        &[
            crate::ops::notices::To::User(after.filed_by.clone()),
            crate::ops::notices::To::Unit(after.unit_code.clone()),
        ],
        &crate::ops::notices::Notice {
            kind: "appeal",
            key: format!("appeal:{}:{}", after.id, after.status),
            title: Text::new(
                format!("{zh}：{}", after.indicator),
                format!("{en}: {}", after.indicator),
            ),
            body: Text::new(after.resolution.clone(), after.resolution.clone()),
            link: "/appeals".into(),
        },
    )
    .await?;
    commit(tx).await?;
    Ok(after)
}

/// The office's corrections of an upheld appeal, in one transaction: each value counted at
/// once, audited with the appeal's reason.
async fn correct(
    state: &AppState,
    caller: &Caller,
    appeal: &AppealRow,
    b: &ResolveBody,
) -> Result<()> {
    let mut tx = state.store.write().await?;
    let mut rows = Vec::new();
    for c in &b.corrections {
        let v = jixiao_core::data::parse_number(&c.value).ok_or_else(|| {
            Error::bad_request(
                "bad_value",
                Text::new(
                    format!("“{}”不是数字", c.value),
                    format!("`{}` is not a number", c.value),
                ),
            )
        })?;
        let content = Content {
            value: &v.normalize().to_string(),
            note: "",
            state: ValueState::Counted.code(),
            return_reason: "",
        };
        let row = match jixiao_store::values::get(&mut tx, &appeal.unit_code, &c.element, &c.period)
            .await?
        {
            Some(cur) => jixiao_store::values::update(
                &mut tx,
                &caller.actor,
                &cur,
                "value.correct",
                Content {
                    return_reason: &b.reason,
                    ..content
                },
            )
            .await?
            .ok_or_else(|| {
                Error::conflict(
                    "version_conflict",
                    Text::new("数值被他人同时修改", "the value changed meanwhile"),
                )
            })?,
            None => {
                jixiao_store::values::insert_as(
                    &mut tx,
                    &caller.actor,
                    jixiao_store::values::Key {
                        unit: &appeal.unit_code,
                        element: &c.element,
                        period: &c.period,
                    },
                    content,
                    "value.correct",
                    &b.reason,
                )
                .await?
            }
        };
        rows.push(row);
    }
    commit(tx).await?;
    let mut live = state.live.write().await;
    for r in &rows {
        live.apply(r);
    }
    drop(live);
    crate::ops::warnings::follow_later(state, rows);
    Ok(())
}

/// An appeal with what a person needs to read it.
pub struct AppealInfo {
    pub row: AppealRow,
    /// Evidence files: link and name.
    pub evidence: Vec<(String, String)>,
    /// The publication appealed against: scheme, period, revision.
    pub publication: Option<(String, String, i64)>,
    pub unit_name: Option<Text>,
    pub indicator_name: Option<Text>,
}

/// A published score the caller's unit may appeal.
pub struct Appealable {
    pub publication_id: i64,
    pub period: String,
    pub indicator: String,
    pub name: Text,
    pub score: String,
}

/// The appeals page: the appeals the caller may see, the scores their unit may appeal (in the
/// latest revision of each publication), and whether they resolve appeals.
pub struct Overview {
    pub appeals: Vec<AppealInfo>,
    pub appealable: Vec<Appealable>,
    pub may_resolve: bool,
}

pub async fn overview(state: &AppState, caller: &Caller) -> Result<Overview> {
    let rows = list(state, caller).await?;
    let pubs = jixiao_store::publications::list(&state.store).await?;
    let mut evidence = Vec::with_capacity(rows.len());
    for a in &rows {
        evidence.push(crate::ops::evidence::links(state, "appeal", a.id).await?);
    }
    let live = state.live.read().await;
    let unit_name = |code: &str| live.unit_name(code).cloned();
    let indicator_name = |code: &str| {
        live.schemes
            .values()
            .flat_map(|s| s.model.classes.iter())
            .flat_map(|c| c.leaves.iter())
            .find(|lf| lf.code.as_str() == code)
            .map(|lf| lf.name.clone())
    };
    let appeals = rows
        .into_iter()
        .zip(evidence)
        .map(|(a, evidence)| AppealInfo {
            publication: pubs
                .iter()
                .find(|p| p.id == a.publication_id)
                .map(|p| (p.scheme_code.clone(), p.period.clone(), p.revision)),
            unit_name: unit_name(&a.unit_code),
            indicator_name: indicator_name(&a.indicator),
            evidence,
            row: a,
        })
        .collect();
    let mut appealable = Vec::new();
    if let Some(u) = &caller.principal.unit
        && can(&caller.principal, Action::FileAppeal { unit: u }, &*live)
    {
        let mut latest: Vec<&PublicationRow> = Vec::new();
        for p in &pubs {
            match latest
                .iter_mut()
                .find(|x| x.scheme_code == p.scheme_code && x.period == p.period)
            {
                Some(x) if x.revision < p.revision => *x = p,
                Some(_) => {}
                None => latest.push(p),
            }
        }
        for p in latest {
            let results: serde_json::Value = serde_json::from_str(&p.results).unwrap_or_default();
            for row in published_rows(&results).filter(|r| r["unit"] == u.as_str()) {
                for i in row["indicators"].as_array().into_iter().flatten() {
                    appealable.push(Appealable {
                        publication_id: p.id,
                        period: p.period.clone(),
                        indicator: i["code"].as_str().unwrap_or_default().to_owned(),
                        name: serde_json::from_value(i["name"].clone()).unwrap_or_default(),
                        score: i["score"].as_str().unwrap_or_default().to_owned(),
                    });
                }
            }
        }
    }
    let may_resolve = can(&caller.principal, Action::ResolveAppeal, &*live);
    Ok(Overview {
        appeals,
        appealable,
        may_resolve,
    })
}
