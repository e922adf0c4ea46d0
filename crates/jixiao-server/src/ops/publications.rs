//! Publication (公示): freezes the results of a scheme and period with the scheme version and
//! hash, the organisation and the counted values they came from. Re-scoring those inputs gives
//! the same results to the byte; an upheld appeal publishes a new revision, and both remain.

use crate::error::{Error, Result};
use crate::live::{Live, values_from_rows};
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::{Action, can};
use jixiao_core::applications::History;
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
        .rows_where(|s| {
            ValueState::parse(s.state) == Some(ValueState::Counted)
                && model.element(s.element).is_some()
                && model.unit(s.unit).is_some()
        })
        .map(|r| [r.unit_code, r.element, r.period, r.value])
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
/// and re-scoring repeats. `earlier`: the grades of the years before that its results applied
/// read (frozen with the publication).
pub fn score_snapshot(
    scheme_format: &str,
    scheme_text: &str,
    org: &Org,
    snapshot: &[[String; 4]],
    period: Period,
    earlier: &History,
) -> std::result::Result<String, jixiao_core::issue::Issues> {
    let r = score_report(scheme_format, scheme_text, org, snapshot, period, earlier)?;
    Ok(serde_json::to_string(&r).unwrap_or_default())
}

/// [`score_snapshot`] before it is written down.
fn score_report(
    scheme_format: &str,
    scheme_text: &str,
    org: &Org,
    snapshot: &[[String; 4]],
    period: Period,
    earlier: &History,
) -> std::result::Result<jixiao_core::report::Report, jixiao_core::issue::Issues> {
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
    let mut r = report(
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
    // Results applied are frozen with the results: the earlier grades of the year come from the
    // same snapshot, those of earlier years are frozen beside it, so re-scoring repeats them.
    let history = jixiao_core::applications::history_in_year(&model, &values, period, |_| None)
        .then(earlier.clone());
    jixiao_core::applications::apply(&model, &mut r, &history);
    Ok(r)
}

/// Each unit's official result as the earlier results record it.
fn earlier_rows(r: &jixiao_core::report::Report) -> Vec<jixiao_store::earlier::New> {
    r.classes
        .iter()
        .flat_map(|c| &c.rows)
        .map(|u| jixiao_store::earlier::New {
            unit: u.unit.to_string(),
            grade: u.grade.as_ref().map(|g| g.code.to_string()),
            total: u.total.map(|t| t.normalize().to_string()),
            rank: u.rank.map(i64::from),
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PublishBody {
    pub scheme: String,
    pub period: String,
    pub reason: String,
    /// Show the results applied (结果运用: bonus coefficients, eligibility …) in the public
    /// notice. They are frozen with the results either way; by default they stay internal.
    #[serde(default)]
    pub applied_public: bool,
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
    let (row, created) = publish_now(
        state,
        caller,
        &b.scheme,
        &b.period,
        &b.reason,
        Some(b.applied_public),
    )
    .await?;
    let results = Some(stored_results(&row)?);
    Ok((PublicationView { row, results }, created))
}

/// Scores the current official values and stores a new revision; when the scheme version, the
/// organisation and the counted values are those of the latest revision, that revision is the
/// answer (`false`) and nothing is written. `applied_public`: whether the public notice shows
/// the results applied (`None`: as the latest revision did, e.g. a re-publication after an
/// appeal).
pub async fn publish_now(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    reason: &str,
    applied_public: Option<bool>,
) -> Result<(PublicationRow, bool)> {
    let applied_public = match applied_public {
        Some(b) => b,
        None => jixiao_store::publications::latest(&state.store, scheme, period)
            .await?
            .is_some_and(|p| p.applied_public),
    };
    // What is published is what the database holds, not what this node last heard of: catch
    // up with every change (made through any node or the command line), score, and publish
    // only if nothing was written in between; otherwise catch up again.
    for _ in 0..CATCH_UP_TRIES {
        state.sync().await?;
        let seen = state.synced();
        if let Some(done) =
            publish_at(state, caller, scheme, period, reason, applied_public, seen).await?
        {
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
    applied_public: bool,
    seen: i64,
) -> Result<Option<(PublicationRow, bool)>> {
    let (scheme_row, org, snapshot, p, earlier, series) = {
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
            let blocked: Vec<&jixiao_core::model::UnitModel> = t
                .official
                .classes
                .iter()
                .flat_map(|c| {
                    c.units
                        .iter()
                        .enumerate()
                        .filter(|(_, u)| u.blocked)
                        .map(|(ix, _)| &m.units[m.classes[c.class as usize].members[ix] as usize])
                })
                .collect();
            let named = |lang: jixiao_core::text::Lang, sep: &str| {
                blocked
                    .iter()
                    .map(|u| format!("{}（{}）", u.name.get(lang), u.code))
                    .collect::<Vec<_>>()
                    .join(sep)
            };
            let codes: Vec<String> = blocked.iter().map(|u| u.code.to_string()).collect();
            return Err(Error::conflict(
                "blocked",
                Text::new(
                    format!(
                        "以下单位缺少数据，按规则暂不能公布：{}。请先查看“发布前检查”，补齐所缺数据后再发布",
                        named(jixiao_core::text::Lang::Zh, "、")
                    ),
                    format!(
                        "these units miss data that blocks publication: {}. See the readiness check first and fill in what is missing",
                        named(jixiao_core::text::Lang::En, ", ")
                    ),
                ),
            )
            .with(serde_json::json!({ "units": codes })));
        }
        (
            s.row.clone(),
            m.org.clone(),
            counted(&live, m),
            p,
            crate::ops::results::earlier_years(&live, &m.scheme, p),
            m.scheme.series_code(),
        )
    };
    let report = score_report(
        &scheme_row.format,
        &scheme_row.content,
        &org,
        &snapshot,
        p,
        &earlier,
    )
    .map_err(|i| Error::invalid(&i))?;
    let results = serde_json::to_string(&report).map_err(|e| Error::internal(&e))?;
    let earlier_json = serde_json::to_string(&earlier).map_err(|e| Error::internal(&e))?;
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
            earlier_snapshot: &earlier_json,
            reason,
            applied_public,
        },
    )
    .await?;
    // Its grades become the series' earlier results of the period (what next year's rules on
    // consecutive results read); a new revision replaces them.
    if published.1 {
        jixiao_store::earlier::replace(
            &mut tx,
            &caller.actor,
            &series,
            &published.0.period,
            &earlier_rows(&report),
            Some(published.0.id),
            reason,
        )
        .await?;
    }
    let units: Vec<crate::ops::notices::To> = org
        .units
        .iter()
        .map(|u| crate::ops::notices::To::Unit(u.code.to_string()))
        .collect();
    crate::ops::notices::tell_in(
        &mut tx,
        &state.config,
        &units,
        &crate::ops::notices::Notice {
            kind: "published",
            key: format!("published:{}", published.0.id),
            title: Text::new(
                format!(
                    "结果公示：{} {}",
                    scheme_row_title(&scheme_row).zh,
                    published.0.period
                ),
                format!(
                    "Results published: {} {}",
                    scheme_row_title(&scheme_row).en,
                    published.0.period
                ),
            ),
            body: Text::new(
                format!(
                    "第 {} 版结果已公示，如有异议可在公示期内申诉。",
                    published.0.revision
                ),
                format!(
                    "Revision {} is published; appeals are open during the publicity period.",
                    published.0.revision
                ),
            ),
            link: format!("/public/{}", published.0.id),
        },
    )
    .await?;
    commit(tx).await?;
    if published.1
        && let Err(e) = state.reload_earlier().await
    {
        tracing::error!(error = %e, "reading the earlier results after a publication failed; the next sync retries");
    }
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

/// One publication with its results (public). The results applied (each unit's `outcomes`)
/// are shown to the public only when the office chose so; readers of the rankings always see
/// them (they are frozen in the publication either way).
pub async fn get(state: &AppState, caller: &Caller, id: i64) -> Result<PublicationView> {
    let row = jixiao_store::publications::get(&state.store, id)
        .await?
        .ok_or_else(|| Error::not_found("公示", "publication"))?;
    let mut results = stored_results(&row)?;
    if !row.applied_public && allow(state, caller, Action::ReadRankings).await.is_err() {
        strip_outcomes(&mut results);
    }
    Ok(PublicationView {
        row,
        results: Some(results),
    })
}

/// Removes every unit's results applied from a stored report.
pub fn strip_outcomes(results: &mut serde_json::Value) {
    for c in results["classes"].as_array_mut().into_iter().flatten() {
        for r in c["rows"].as_array_mut().into_iter().flatten() {
            if let Some(o) = r.as_object_mut() {
                o.remove("outcomes");
            }
        }
    }
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
    let earlier: History =
        serde_json::from_str(&row.earlier_snapshot).map_err(|e| Error::internal(&e))?;
    let again = score_snapshot(
        &scheme.format,
        &scheme.content,
        &org,
        &snapshot,
        p,
        &earlier,
    )
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
    /// Whether the scheme sets results applied (结果运用).
    pub applied: bool,
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
                applied: !s.model.scheme.applications.is_empty(),
            });
        }
    }
    if items.is_empty() {
        return Err(Error::forbidden());
    }
    Ok(items)
}

/// A unit whose missing data keep a period from being published: its name and the items
/// (names) it has not reported, with where to enter them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Blocking {
    pub unit: String,
    #[schema(value_type = Object)]
    pub unit_name: Text,
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Text>,
    /// The unit's entry form for the period.
    pub form: String,
}

/// What publishing a period would make public, checked before asking for confirmation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    pub scheme: String,
    #[schema(value_type = Object)]
    pub title: Text,
    pub period: String,
    /// (class name, units ranked) of each class.
    #[schema(value_type = Vec<Object>)]
    pub classes: Vec<(Text, usize)>,
    /// Units whose missing data block publication; empty when it can be published.
    pub blocked: Vec<Blocking>,
    /// The revision this would be (1 for the first publication).
    pub revision: i64,
    /// The scheme's results applied (结果运用), by name: the office chooses whether the public
    /// notice shows them.
    #[schema(value_type = Vec<Object>)]
    pub applications: Vec<Text>,
}

/// Readiness of a scheme's period for publication: the classes and how many units each ranks,
/// and every unit whose missing data block it, by name, with the items and where to enter
/// them. Nothing is written.
pub async fn readiness(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
) -> Result<Readiness> {
    allow(state, caller, Action::Publish { scheme }).await?;
    let last = jixiao_store::publications::list(&state.store)
        .await?
        .into_iter()
        .filter(|p| p.scheme_code == scheme && p.period == period)
        .map(|p| p.revision)
        .max()
        .unwrap_or(0);
    let live = state.live.read().await;
    let (s, t, _) = crate::ops::results::tracked(&live, scheme, period)?;
    let m = &t.model;
    let mut classes = Vec::new();
    let mut blocked = Vec::new();
    for cs in &t.official.classes {
        let class = &m.classes[cs.class as usize];
        classes.push((class.name.clone(), class.members.len()));
        for (member, u) in cs.units.iter().enumerate() {
            if !u.blocked {
                continue;
            }
            let unit = &m.units[class.members[member] as usize];
            let items = class
                .leaves
                .iter()
                .enumerate()
                .filter(|(l, _)| {
                    cs.leaf(member as u32, *l as u32).state
                        == jixiao_core::engine::LeafState::Blocked
                })
                .map(|(_, leaf)| leaf.name.clone())
                .collect();
            blocked.push(Blocking {
                unit: unit.code.to_string(),
                unit_name: unit.name.clone(),
                items,
                form: format!("/entry/{}/{period}", unit.code),
            });
        }
    }
    Ok(Readiness {
        scheme: scheme.to_owned(),
        title: s.model.scheme.title.clone(),
        period: period.to_owned(),
        classes,
        blocked,
        revision: last + 1,
        applications: s
            .model
            .scheme
            .applications
            .iter()
            .map(|a| a.name.clone())
            .collect(),
    })
}

/// What the public notice (公示) says besides the results: who publishes, the publicity
/// period, where objections go, and whether this revision is the current one.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// 发布机关: the district's assessment office.
    pub body: Text,
    /// The publicity period, first and last day (Beijing time), and its length.
    pub from: String,
    pub to: String,
    pub days: u32,
    /// Where objections go (the district's own wording), if set.
    pub contact: Option<String>,
    /// The newest revision of this scheme and period: (id, revision); this one is current
    /// when it is the newest.
    pub latest: (i64, i64),
}

/// The district's name (as printed at the head of its documents).
pub async fn district_name(state: &AppState) -> Result<Text> {
    Ok(jixiao_store::org::district(&state.store)
        .await?
        .map_or_else(|| Text::new("本区", "the district"), |d| d.name))
}

/// The notice around a publication.
pub async fn notice(state: &AppState, p: &PublicationRow) -> Result<Notice> {
    let district = district_name(state).await?;
    let latest = jixiao_store::publications::list(&state.store)
        .await?
        .into_iter()
        .filter(|x| x.scheme_code == p.scheme_code && x.period == p.period)
        .map(|x| (x.id, x.revision))
        .max_by_key(|x| x.1)
        .unwrap_or((p.id, p.revision));
    let days = state.config.publicity_days.max(1);
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let start = time::OffsetDateTime::parse(
        &p.published_at,
        &time::format_description::well_known::Rfc3339,
    )
    .map(|t| t.to_offset(time::macros::offset!(+8)).date())
    .map_err(|e| Error::internal(&e))?;
    let end = start + time::Duration::days(i64::from(days) - 1);
    Ok(Notice {
        body: Text::new(
            format!("{}绩效考核办公室", district.zh),
            format!("Performance Assessment Office, {}", district.en),
        ),
        from: start.format(format).unwrap_or_default(),
        to: end.format(format).unwrap_or_default(),
        days,
        contact: state.config.objection_contact.clone(),
        latest,
    })
}

/// A scheme's title as its row says (its code when the text does not parse).
fn scheme_row_title(row: &jixiao_store::schemes::SchemeRow) -> Text {
    crate::live::parse_scheme(row)
        .map(|s| s.title)
        .unwrap_or_else(|_| Text::new(row.code.clone(), row.code.clone()))
}
