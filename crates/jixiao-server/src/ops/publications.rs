//! Publication (公示): freezes the results of a scheme and period with the scheme version and
//! hash, the organisation and the counted values they came from. Re-scoring those inputs gives
//! the same results to the byte; an upheld appeal publishes a new revision, and both remain.

use crate::error::{Error, Result};
use crate::live::{Live, values_from_rows};
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::{Action, can};
use jixiao_core::doc::SourceText;
use jixiao_core::engine::Scoring;
use jixiao_core::model::Model;
use jixiao_core::org::Org;
use jixiao_core::period::Period;
use jixiao_core::report::{Detail, report};
use jixiao_core::text::Text;
use jixiao_core::workflow::ValueState;
use jixiao_store::publications::{NewPublication, PublicationRow};
use jixiao_store::values::ValueRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The counted values a scheme reads, sorted (the snapshot is the same whatever the order
/// values were entered in).
fn counted(live: &Live, model: &Model) -> Vec<[String; 4]> {
    let mut v: Vec<[String; 4]> = live
        .values
        .values()
        .filter(|r| {
            ValueState::parse(&r.state) == Some(ValueState::Counted)
                && model.element(&r.element).is_some()
                && model.unit(&r.unit_code).is_some()
        })
        .map(|r| {
            [
                r.unit_code.clone(),
                r.element.clone(),
                r.period.clone(),
                r.value.clone(),
            ]
        })
        .collect();
    v.sort();
    v
}

fn rows_of(snapshot: &[[String; 4]]) -> Vec<ValueRow> {
    snapshot
        .iter()
        .map(|[u, e, p, v]| ValueRow {
            id: 0,
            unit_code: u.clone(),
            element: e.clone(),
            period: p.clone(),
            value: v.clone(),
            note: String::new(),
            state: "counted".into(),
            return_reason: String::new(),
            version: 0,
            source: String::new(),
            updated_by: String::new(),
            updated_at: String::new(),
            reported_at: None,
        })
        .collect()
}

/// Scores a scheme's text against an organisation and counted values: what publication stores
/// and re-scoring repeats.
pub fn score_snapshot(
    scheme_format: &str,
    scheme_text: &str,
    org: &Org,
    snapshot: &[[String; 4]],
    period: Period,
) -> std::result::Result<String, jixiao_core::issue::Issues> {
    let name = format!("scheme.{scheme_format}");
    let scheme = SourceText::new(&name, scheme_text).parse()?;
    let (model, _) = Model::build(
        scheme,
        org.clone(),
        &SourceText::detached("scheme"),
        &SourceText::detached("organisation"),
    )?;
    let rows = rows_of(snapshot);
    let values = values_from_rows(&model, rows.iter(), |_| true);
    let scoring = Scoring::compute(&model, &values, period);
    let r = report(
        &model,
        &values,
        &scoring,
        None,
        Detail {
            indicators: true,
            explanations: true,
            rows: false,
            warnings: false,
        },
    );
    Ok(serde_json::to_string(&r).unwrap_or_default())
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PublishBody {
    pub scheme: String,
    pub period: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct PublicationView {
    #[serde(flatten)]
    pub row: PublicationRow,
    /// The published results (the report with every indicator and its explanation).
    #[schema(value_type = Object)]
    pub results: Option<serde_json::Value>,
}

/// Publishes the official results of a scheme and period.
/// `false` with the latest revision when nothing changed since it was published.
pub async fn publish(
    state: &AppState,
    caller: &Caller,
    b: PublishBody,
) -> Result<(PublicationView, bool)> {
    allow(state, caller, Action::Publish { scheme: &b.scheme }).await?;
    require_reason(&b.reason)?;
    let (row, created) = publish_now(state, caller, &b.scheme, &b.period, &b.reason).await?;
    let results = Some(stored_results(&row)?);
    Ok((PublicationView { row, results }, created))
}

/// Scores the current official values and stores a new revision; when the scheme version, the
/// organisation and the counted values are those of the latest revision, that revision is the
/// answer (`false`) and nothing is written.
pub async fn publish_now(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    reason: &str,
) -> Result<(PublicationRow, bool)> {
    // What is published is what the database holds, not what this node last heard of: catch
    // up with every change (made through any node or the command line), score, and publish
    // only if nothing was written in between; otherwise catch up again.
    for _ in 0..CATCH_UP_TRIES {
        state.sync().await?;
        let seen = state.synced();
        if let Some(done) = publish_at(state, caller, scheme, period, reason, seen).await? {
            return Ok(done);
        }
    }
    Err(Error::new(
        crate::error::Kind::Unavailable,
        "busy",
        Text::new(
            "数据一直在变化，未能取得一致的快照公示；请稍后再试",
            "the data kept changing and no consistent snapshot could be published; try again shortly",
        ),
    ))
}

/// Rounds of catching up a publication makes before it gives up.
const CATCH_UP_TRIES: usize = 5;

/// One try of [`publish_now`] on the live results as of audit entry `seen`: `None` when the
/// database has moved past it by the time the publication would be written.
async fn publish_at(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    reason: &str,
    seen: i64,
) -> Result<Option<(PublicationRow, bool)>> {
    let (scheme_row, org, snapshot, p) = {
        let live = state.live.read().await;
        let (s, t, p) = crate::ops::results::tracked(&live, scheme, period)?;
        // The period's results are on the organisation as it stood on its last day; the
        // publication freezes that organisation with them.
        let m = &t.model;
        if t.official
            .classes
            .iter()
            .any(|c| c.units.iter().any(|u| u.blocked))
        {
            let blocked: Vec<String> = t
                .official
                .classes
                .iter()
                .flat_map(|c| {
                    c.units
                        .iter()
                        .enumerate()
                        .filter(|(_, u)| u.blocked)
                        .map(|(ix, _)| {
                            m.units[m.classes[c.class as usize].members[ix] as usize]
                                .code
                                .to_string()
                        })
                })
                .collect();
            return Err(Error::conflict(
                "blocked",
                Text::new(
                    format!("以下单位缺少数据，按规则暂不能公布：{}", blocked.join(", ")),
                    format!(
                        "these units miss data that blocks publication: {}",
                        blocked.join(", ")
                    ),
                ),
            )
            .with(serde_json::json!({ "units": blocked })));
        }
        (s.row.clone(), m.org.clone(), counted(&live, m), p)
    };
    let results = score_snapshot(&scheme_row.format, &scheme_row.content, &org, &snapshot, p)
        .map_err(|i| Error::invalid(&i))?;
    let org_json = serde_json::to_string(&org).map_err(|e| Error::internal(&e))?;
    let values_json = serde_json::to_string(&snapshot).map_err(|e| Error::internal(&e))?;
    let mut tx = state.store.write().await?;
    if jixiao_store::audit::last_seq_in(&mut tx).await? > seen {
        return Ok(None);
    }
    let published = jixiao_store::publications::publish(
        &mut tx,
        &caller.actor,
        NewPublication {
            scheme_code: scheme,
            scheme_version: scheme_row.version,
            scheme_hash: &scheme_row.content_hash,
            period: &p.to_string(),
            org_snapshot: &org_json,
            values_snapshot: &values_json,
            results: &results,
            reason,
        },
    )
    .await?;
    commit(tx).await?;
    // A publication is a moment the district may be asked about later: the seal records it
    // now rather than at the next round.
    state.advance_seal().await;
    Ok(Some(published))
}

/// Every publication, newest first (public).
pub async fn list(state: &AppState) -> Result<Vec<PublicationRow>> {
    Ok(jixiao_store::publications::list(&state.store).await?)
}

/// Every publication with the title of its scheme (when still published), newest first: the
/// public list.
pub async fn public(state: &AppState) -> Result<Vec<(PublicationRow, Option<Text>)>> {
    let pubs = jixiao_store::publications::list(&state.store).await?;
    let live = state.live.read().await;
    Ok(pubs
        .into_iter()
        .map(|p| {
            let title = live
                .scheme(&p.scheme_code)
                .map(|s| s.model.scheme.title.clone());
            (p, title)
        })
        .collect())
}

/// One publication with its results (public).
pub async fn get(state: &AppState, id: i64) -> Result<PublicationView> {
    let row = jixiao_store::publications::get(&state.store, id)
        .await?
        .ok_or_else(|| Error::not_found("公示", "publication"))?;
    let results = Some(stored_results(&row)?);
    Ok(PublicationView { row, results })
}

/// A publication's stored results; results that cannot be read (damaged in the database) are
/// said to be so — never served as "no results".
fn stored_results(row: &PublicationRow) -> Result<serde_json::Value> {
    serde_json::from_str(&row.results).map_err(|e| {
        tracing::error!(publication = row.id, error = %e, "stored publication results cannot be read");
        Error::new(
            crate::error::Kind::Unavailable,
            "results_unreadable",
            Text::new(
                format!("第{}号公示保存的结果无法读取（数据已损坏）；请运行 jixiao audit verify 并联系管理员", row.id),
                format!(
                    "the stored results of publication {} cannot be read (damaged); run `jixiao audit verify` and tell the administrator",
                    row.id
                ),
            ),
        )
    })
}

#[derive(Serialize, ToSchema)]
pub struct Rescore {
    /// The re-scored results equal the published ones to the byte.
    pub identical: bool,
    pub published_hash: String,
    pub rescored_hash: String,
}

/// Re-scores a publication from its frozen scheme version, organisation and values.
pub async fn rescore(state: &AppState, caller: &Caller, id: i64) -> Result<Rescore> {
    let row = jixiao_store::publications::get(&state.store, id)
        .await?
        .ok_or_else(|| Error::not_found("公示", "publication"))?;
    allow(
        state,
        caller,
        Action::Publish {
            scheme: &row.scheme_code,
        },
    )
    .await?;
    let scheme = jixiao_store::schemes::get(&state.store, &row.scheme_code, row.scheme_version)
        .await?
        .ok_or_else(|| Error::not_found("方案版本", "scheme version"))?;
    if scheme.content_hash != row.scheme_hash {
        return Err(Error::conflict(
            "scheme_changed",
            Text::new(
                "方案内容与公示时的哈希不一致",
                "the scheme's content no longer matches the hash recorded at publication",
            ),
        ));
    }
    let org: Org = serde_json::from_str(&row.org_snapshot).map_err(|e| Error::internal(&e))?;
    let snapshot: Vec<[String; 4]> =
        serde_json::from_str(&row.values_snapshot).map_err(|e| Error::internal(&e))?;
    let p = Period::parse(&row.period).map_err(|e| Error::internal(&e))?;
    let again = score_snapshot(&scheme.format, &scheme.content, &org, &snapshot, p)
        .map_err(|i| Error::invalid(&i))?;
    let rescored_hash = jixiao_store::sha256_hex(again.as_bytes());
    Ok(Rescore {
        identical: again == row.results,
        published_hash: row.results_hash,
        rescored_hash,
    })
}

/// A period the caller can publish, with its latest publication (id, revision, time).
pub struct Publishable {
    pub scheme: String,
    pub title: Text,
    pub period: String,
    pub last: Option<(i64, i64, String)>,
}

/// Every tracked period of every scheme the caller may publish; forbidden when there is none.
pub async fn publishable(state: &AppState, caller: &Caller) -> Result<Vec<Publishable>> {
    caller.require_signed_in()?;
    let pubs = jixiao_store::publications::list(&state.store).await?;
    let live = state.live.read().await;
    let mut items = Vec::new();
    for s in live.schemes.values() {
        if !can(
            &caller.principal,
            Action::Publish {
                scheme: &s.row.code,
            },
            &*live,
        ) {
            continue;
        }
        for p in s.periods.keys() {
            let period = p.to_string();
            let last = pubs
                .iter()
                .filter(|x| x.scheme_code == s.row.code && x.period == period)
                .max_by_key(|x| x.revision)
                .map(|x| (x.id, x.revision, x.published_at.clone()));
            items.push(Publishable {
                scheme: s.row.code.clone(),
                title: s.model.scheme.title.clone(),
                period,
                last,
            });
        }
    }
    if items.is_empty() {
        return Err(Error::forbidden());
    }
    Ok(items)
}
