//! Machine feeds: their definitions (kept by the office and administrators, audited), their
//! health, and events at work — posted by external systems, checked against their feed's
//! schema, stored once (a replay changes nothing), and added into the data elements the
//! published schemes fill from that feed, per unit and period; the values go straight to
//! counted, or to review when the scheme says `review = true`.
//!
//! A post is all or nothing: one bad event turns the whole post away (422, with the path of
//! every bad field) and nothing is stored; the problems are kept for the feed's health page.

use crate::error::{Error, Kind, ProblemText, Result};
use crate::live::Live;
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::Decimal;
use jixiao_core::access::{Action, can};
use jixiao_core::feed::{Event, FeedDef, FeedSpec, FieldError, Tally};
use jixiao_core::period::{Granularity, Period};
use jixiao_core::text::Text;
use jixiao_store::feeds::{Health, Rejection, Stored};
use jixiao_store::values::{Content, Key};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// The most events one post may carry.
pub const MAX_EVENTS: usize = 10_000;

/// A problem with one field of one posted event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedProblem {
    /// Where: `events[3].data.handling_seconds`.
    pub path: String,
    pub message: ProblemText,
}

/// What a post did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ingested {
    /// Events stored now.
    pub accepted: usize,
    /// Events already stored (sent again): nothing changed for them.
    pub replayed: usize,
    /// The values the new events changed.
    pub values: Vec<FedValue>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FedValue {
    pub unit: String,
    pub element: String,
    pub period: String,
    pub value: String,
    pub state: String,
    /// Events behind the value.
    pub events: i64,
}

/// A data element a feed fills, as a published scheme declares it.
#[derive(Debug, Clone)]
pub struct Target {
    pub element: String,
    pub spec: FeedSpec,
    /// The spec as JSON, stored with the running totals (a changed spec rebuilds them).
    pub spec_json: String,
    pub frequency: Granularity,
    pub percent: bool,
}

/// Every element the published schemes fill from `feed` (an element shared by schemes once).
pub fn targets(live: &Live, feed: &str) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    for s in live.schemes.values() {
        for e in &s.model.elements {
            let Some(spec) = e.def.feed.as_ref().filter(|f| f.feed.as_str() == feed) else {
                continue;
            };
            if out.iter().any(|t| t.element == e.code.as_str()) {
                continue;
            }
            out.push(Target {
                element: e.code.to_string(),
                spec: spec.clone(),
                spec_json: serde_json::to_string(spec).unwrap_or_default(),
                frequency: e.def.frequency,
                percent: e.def.kind == jixiao_core::scheme::ValueKind::Percent,
            });
        }
    }
    out
}

/// The feed's definition, or 404.
pub async fn definition(state: &AppState, code: &str) -> Result<FeedDef> {
    let row = jixiao_store::feeds::get(&state.store, code)
        .await?
        .ok_or_else(|| Error::not_found("数据接口", "feed"))?;
    serde_json::from_str(&row.definition).map_err(|e| Error::internal(&e))
}

fn problem(path: String, message: Text) -> FieldError {
    FieldError { path, message }
}

fn first_day(p: Period) -> String {
    format!("{:04}-{:02}-01", p.year_number(), p.first_month())
}

fn last_day(p: Period) -> String {
    // Days compare as text; no month has a day after the 31st.
    format!("{:04}-{:02}-31", p.year_number(), p.last_month())
}

/// Turns a post away: keeps its problems for the health page and answers with all of them.
async fn turn_away(
    state: &AppState,
    caller: &Caller,
    feed: &str,
    events: usize,
    ids: &[Option<String>],
    problems: Vec<FieldError>,
    e: Error,
) -> Error {
    let now = jixiao_store::now();
    let index_of = |path: &str| -> Option<usize> {
        let rest = path.strip_prefix("events[")?;
        rest[..rest.find(']')?].parse().ok()
    };
    let rows: Vec<Rejection> = problems
        .iter()
        .map(|p| Rejection {
            event_id: index_of(&p.path)
                .or(if ids.len() == 1 { Some(0) } else { None })
                .and_then(|i| ids.get(i).cloned().flatten())
                .unwrap_or_default(),
            path: p.path.clone(),
            message_zh: p.message.zh.clone(),
            message_en: p.message.en.clone(),
            received_by: caller.actor.name.clone(),
            received_at: now.clone(),
        })
        .collect();
    if let Err(err) = jixiao_store::feeds::reject(&state.store, feed, events as i64, &rows).await {
        tracing::error!(error = %err, feed, "could not record a rejected feed post");
    }
    let list: Vec<FeedProblem> = problems
        .into_iter()
        .map(|p| FeedProblem {
            path: p.path,
            message: ProblemText {
                zh: p.message.zh,
                en: p.message.en,
            },
        })
        .collect();
    e.with(serde_json::json!({ "problems": list }))
}

/// Checks, stores and adds up one post of events.
pub async fn ingest(
    state: &AppState,
    caller: &Caller,
    feed: &str,
    body: &Value,
) -> Result<Ingested> {
    allow(state, caller, Action::PostFeed { feed, unit: None }).await?;
    let def = definition(state, feed).await?;
    let (raw, prefix): (Vec<&Value>, bool) = match body {
        Value::Object(o) if o.contains_key("events") => match o.get("events") {
            Some(Value::Array(a)) if o.len() == 1 => (a.iter().collect(), true),
            _ => return Err(bad_shape()),
        },
        Value::Object(o) if o.contains_key("id") => (vec![body], false),
        _ => return Err(bad_shape()),
    };
    if raw.is_empty() {
        return Err(bad_shape());
    }
    if raw.len() > MAX_EVENTS {
        return Err(Error::new(
            Kind::TooLarge,
            "too_many_events",
            Text::new(
                format!("一次最多提交{MAX_EVENTS}条事件，本次{}条", raw.len()),
                format!(
                    "at most {MAX_EVENTS} events per post; this one has {}",
                    raw.len()
                ),
            ),
        ));
    }
    let path_of = |i: usize| {
        if prefix {
            format!("events[{i}]")
        } else {
            String::new()
        }
    };
    let join = |i: usize, k: &str| jixiao_core::feed::join(&path_of(i), k);
    let ids: Vec<Option<String>> = raw
        .iter()
        .map(|v| {
            v.get("id").and_then(|i| match i {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        })
        .collect();
    // Every event against the schema, the organisation, the key's scope and closed periods.
    let mut problems: Vec<FieldError> = Vec::new();
    let mut forbidden = false;
    let mut events: Vec<(Event, Vec<(usize, Period)>)> = Vec::new();
    let targets = {
        let live = state.live.read().await;
        let targets = targets(&live, feed);
        let mut seen: HashMap<String, (usize, String)> = HashMap::new();

        for (i, v) in raw.iter().enumerate() {
            let e = match jixiao_core::feed::check_event(&def, &path_of(i), v) {
                Ok(e) => e,
                Err(errs) => {
                    problems.extend(errs);
                    continue;
                }
            };
            if !live.units.contains(e.unit.as_str()) {
                let u = &e.unit;
                problems.push(problem(
                    join(i, "unit"),
                    Text::new(format!("未知单位“{u}”"), format!("unknown unit `{u}`")),
                ));
                continue;
            }
            if !can(
                &caller.principal,
                Action::PostFeed {
                    feed,
                    unit: Some(&e.unit),
                },
                &*live,
            ) {
                forbidden = true;
                let u = &e.unit;
                problems.push(problem(
                    join(i, "unit"),
                    Text::new(
                        format!("此密钥不能为单位“{u}”提交数据"),
                        format!("this key may not post for unit `{u}`"),
                    ),
                ));
                continue;
            }
            let canonical = e.canonical();
            if let Some((j, c)) = seen.get(&e.id) {
                if *c != canonical {
                    let id = &e.id;
                    problems.push(problem(
                        join(i, "id"),
                        Text::new(
                            format!("事件编号“{id}”与第{j}条相同但内容不同"),
                            format!(
                                "event id `{id}` is also used by event {j}, with different content"
                            ),
                        ),
                    ));
                }
                continue;
            }
            seen.insert(e.id.clone(), (i, canonical));
            let mut into = Vec::new();
            for (ti, t) in targets.iter().enumerate() {
                let Some(p) = e.period(t.frequency) else {
                    continue;
                };
                let period = p.to_string();
                if crate::ops::values::known_in(&live, &e.unit, &t.element, &period).is_err() {
                    continue;
                }
                if live.locked(&t.element, p) {
                    problems.push(problem(
                        join(i, "at"),
                        Text::new(
                            format!("期间{period}已关账，数据项“{}”不能再变", t.element),
                            format!(
                                "period {period} is closed; `{}` can no longer change",
                                t.element
                            ),
                        ),
                    ));
                    continue;
                }
                into.push((ti, p));
            }
            events.push((e, into));
        }
        targets
    };
    if !problems.is_empty() {
        let n = problems.len();
        let e = if forbidden {
            Error::forbidden()
        } else {
            Error::new(
                Kind::Invalid,
                "invalid_events",
                Text::new(
                    format!("事件有{n}处错误，本次提交未保存任何数据"),
                    format!("{n} problem(s) in the events; nothing of this post was stored"),
                ),
            )
        };
        return Err(turn_away(state, caller, feed, raw.len(), &ids, problems, e).await);
    }
    // Store the events; a reused id with different content turns the whole post away.
    let mut tx = state.store.write().await?;
    let received_at = jixiao_store::now();
    let mut new: Vec<&(Event, Vec<(usize, Period)>)> = Vec::new();
    let mut replayed = raw.len() - events.len();
    let mut conflicts = Vec::new();
    for (i, ev) in events.iter().enumerate() {
        match jixiao_store::feeds::store_event(
            &mut tx,
            feed,
            &ev.0,
            &caller.actor.name,
            &received_at,
        )
        .await?
        {
            Stored::New => new.push(ev),
            Stored::Replay => replayed += 1,
            Stored::Conflict => {
                let id = &ev.0.id;
                conflicts.push(problem(
                    join(index_in(&ids, id).unwrap_or(i), "id"),
                    Text::new(
                        format!("事件编号“{id}”已用于另一条内容不同的事件"),
                        format!("event id `{id}` was already used for a different event"),
                    ),
                ));
            }
        }
    }
    if !conflicts.is_empty() {
        tx.rollback()
            .await
            .map_err(jixiao_store::StoreError::from)?;
        let e = Error::conflict(
            "event_id_reused",
            Text::new(
                "事件编号已被另一条事件使用，本次提交未保存任何数据",
                "an event id was already used for a different event; nothing of this post was stored",
            ),
        );
        return Err(turn_away(state, caller, feed, raw.len(), &ids, conflicts, e).await);
    }
    // The new events' contributions per element, unit and period, in one order (so two
    // writers never wait for each other in a circle).
    let mut deltas: BTreeMap<(String, String, String), (usize, Period, Tally)> = BTreeMap::new();
    for (e, into) in &new {
        for (ti, p) in into {
            let t = &targets[*ti];
            deltas
                .entry((t.element.clone(), e.unit.clone(), p.to_string()))
                .or_insert_with(|| (*ti, *p, Tally::default()))
                .2
                .add(&t.spec, e);
        }
    }
    // A period closed or an appeal filed since the events were checked: the post is turned
    // away (nothing stored), naming the appeal or the period.
    let guard = crate::ops::values::Guard::load(&mut tx, state).await?;
    {
        let live = state.live.read().await;
        for ((element, unit, _), (_, p, _)) in &deltas {
            guard.check(&live, unit, element, *p)?;
        }
    }
    let mut actor = caller.actor.clone();
    actor.source = "feed".into();
    let mut written = Vec::new();
    let mut values = Vec::new();
    for ((element, unit, period), (ti, p, delta)) in &deltas {
        let t = &targets[*ti];
        let (spec, mut tally) =
            jixiao_store::feeds::lock_tally(&mut tx, element, unit, period).await?;
        if spec == t.spec_json {
            tally.merge(delta);
        } else {
            // New totals, or the scheme changed how they are made: from every stored event.
            tally = Tally::default();
            for e in jixiao_store::feeds::events_between(
                &mut tx,
                feed,
                unit,
                &first_day(*p),
                &last_day(*p),
            )
            .await?
            {
                if e.period(t.frequency) == Some(*p) {
                    tally.add(&t.spec, &e);
                }
            }
        }
        jixiao_store::feeds::put_tally(&mut tx, element, unit, period, &t.spec_json, &tally)
            .await?;
        let Some(v) = tally.value(&t.spec, t.percent) else {
            continue;
        };
        let value = v.to_string();
        let target_state = if t.spec.review {
            "submitted"
        } else {
            "counted"
        };
        let note = format!(
            "数据接口 {feed}：{} 条事件 / feed {feed}: {} events",
            tally.n, tally.n
        );
        let content = Content {
            value: &value,
            note: &note,
            state: target_state,
            return_reason: "",
        };
        let row = match jixiao_store::values::get(&mut tx, unit, element, period).await? {
            None => Some(
                jixiao_store::values::insert(
                    &mut tx,
                    &actor,
                    Key {
                        unit,
                        element,
                        period,
                    },
                    content,
                )
                .await?,
            ),
            Some(c)
                if c.state == target_state
                    && c.note == note
                    && c.value.parse::<Decimal>().ok() == Some(v) =>
            {
                None
            }
            Some(c) => Some(
                jixiao_store::values::update(&mut tx, &actor, &c, "value.feed", content)
                    .await?
                    .ok_or_else(|| Error::internal(&"a locked value row changed"))?,
            ),
        };
        if let Some(row) = row {
            values.push(FedValue {
                unit: unit.clone(),
                element: element.clone(),
                period: period.clone(),
                value: row.value.clone(),
                state: row.state.clone(),
                events: tally.n,
            });
            written.push(row);
        }
    }
    let newest = new.iter().map(|(e, _)| e.utc.as_str()).max();
    jixiao_store::feeds::count(&mut tx, feed, new.len() as i64, replayed as i64, 0, newest).await?;
    commit(tx).await?;
    if !written.is_empty() {
        state.live.write().await.apply_many(&written);
        crate::ops::warnings::follow(state, &written).await;
    }
    Ok(Ingested {
        accepted: new.len(),
        replayed,
        values,
    })
}

fn index_in(ids: &[Option<String>], id: &str) -> Option<usize> {
    ids.iter().position(|i| i.as_deref() == Some(id))
}

fn bad_shape() -> Error {
    Error::bad_request(
        "bad_body",
        Text::new(
            "请求内容应为 {\"events\": [事件, …]}（至少一条）或单条事件 {\"id\": …, \"unit\": …, \"at\": …, \"data\": {…}}",
            "the body must be {\"events\": [event, …]} (at least one) or one event {\"id\": …, \"unit\": …, \"at\": …, \"data\": {…}}",
        ),
    )
}

/// A feed, what it fills and how it is doing.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedInfo {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The definition: name, description, fields with their types and limits.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    /// The data elements published schemes fill from it.
    pub elements: Vec<String>,
    pub health: Health,
    /// Rejected events over all events posted, as a percentage (exact); none before any post.
    pub error_rate: Option<String>,
    /// Problems between the feed and the schemes that use it (a field an element reads that
    /// the feed does not have), in Chinese and English.
    pub problems: Vec<ProblemText>,
    pub updated_by: String,
    pub updated_at: String,
}

/// A feed with its most recent problems.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedDetail {
    #[serde(flatten)]
    pub info: FeedInfo,
    /// The last 50 problems of posts turned away, newest first.
    pub rejections: Vec<Rejection>,
}

async fn info(state: &AppState, row: &jixiao_store::feeds::FeedRow) -> Result<FeedInfo> {
    let health = jixiao_store::feeds::health(&state.store, &row.code).await?;
    info_with(state, row, health).await
}

async fn info_with(
    state: &AppState,
    row: &jixiao_store::feeds::FeedRow,
    health: Health,
) -> Result<FeedInfo> {
    let def: FeedDef = serde_json::from_str(&row.definition).map_err(|e| Error::internal(&e))?;
    let (elements, problems) = {
        let live = state.live.read().await;
        let ts = targets(&live, &row.code);
        let problems: Vec<ProblemText> = ts
            .iter()
            .flat_map(|t| def.spec_problems(&t.element, &t.spec))
            .map(ProblemText::from)
            .collect();
        (ts.into_iter().map(|t| t.element).collect(), problems)
    };
    let all = health.accepted + health.replayed + health.rejected;
    let error_rate = (all > 0).then(|| {
        jixiao_core::explain::round_half_up(
            Decimal::from(health.rejected) * Decimal::ONE_HUNDRED / Decimal::from(all),
            2,
        )
        .normalize()
        .to_string()
    });
    Ok(FeedInfo {
        code: row.code.clone(),
        name_zh: def.name.zh.clone(),
        name_en: def.name.en.clone(),
        definition: serde_json::to_value(&def).map_err(|e| Error::internal(&e))?,
        elements,
        health,
        error_rate,
        problems,
        updated_by: row.updated_by.clone(),
        updated_at: row.updated_at.clone(),
    })
}

/// Every feed with its health: events accepted, replayed and rejected, the last event, the
/// problems of the last seven days.
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<FeedInfo>> {
    allow(state, caller, Action::ReadFeeds).await?;
    let mut out = Vec::new();
    for row in jixiao_store::feeds::list(&state.store).await? {
        out.push(info(state, &row).await?);
    }
    Ok(out)
}

/// One feed with its health and the last `rejections` problems of posts it turned away.
pub async fn get(
    state: &AppState,
    caller: &Caller,
    code: &str,
    rejections: i64,
) -> Result<FeedDetail> {
    allow(state, caller, Action::ReadFeeds).await?;
    let row = jixiao_store::feeds::get(&state.store, code)
        .await?
        .ok_or_else(|| Error::not_found("数据接口", "feed"))?;
    Ok(FeedDetail {
        info: info(state, &row).await?,
        rejections: jixiao_store::feeds::recent_rejections(&state.store, code, rejections).await?,
    })
}

/// Every feed with its last `rejections` problems, and whether the caller may define feeds
/// (the feeds page).
pub async fn overview(
    state: &AppState,
    caller: &Caller,
    rejections: i64,
) -> Result<(Vec<FeedDetail>, bool)> {
    let mut out = Vec::new();
    for info in list(state, caller).await? {
        let rejections =
            jixiao_store::feeds::recent_rejections(&state.store, &info.code, rejections).await?;
        out.push(FeedDetail { info, rejections });
    }
    let manage = can(
        &caller.principal,
        Action::ManageFeeds,
        &*state.live.read().await,
    );
    Ok((out, manage))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DefineBody {
    /// Name, description and fields: `{"name": {"zh": …, "en": …}, "fields": {"handling_seconds": {"type": "number", "min": 0}}}`.
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    pub reason: String,
}

/// Creates or changes a feed's definition (audited). Events already stored stay as they are.
pub async fn define(
    state: &AppState,
    caller: &Caller,
    code: &str,
    b: &DefineBody,
) -> Result<FeedInfo> {
    allow(state, caller, Action::ManageFeeds).await?;
    require_reason(&b.reason)?;
    if let Err(e) = jixiao_core::code::Ident::parse(code) {
        return Err(Error::bad_request("bad_code", e.text(code)));
    }
    let def = parse_definition(&b.definition)?;
    let json = serde_json::to_string(&def).map_err(|e| Error::internal(&e))?;
    let mut tx = state.store.write().await?;
    jixiao_store::feeds::define(&mut tx, &caller.actor, code, &json, &b.reason).await?;
    let row = jixiao_store::feeds::get_in(&mut tx, code)
        .await?
        .ok_or_else(|| Error::internal(&"feed vanished"))?;
    let health = jixiao_store::feeds::health_in(&mut tx, code).await?;
    commit(tx).await?;
    info_with(state, &row, health).await
}

/// Creates or changes a feed from its definition as TOML (as in `feeds.toml`); a text that
/// does not read is refused (`invalid_feed`) with its first problem, line and column included.
pub async fn define_toml(
    state: &AppState,
    caller: &Caller,
    code: &str,
    toml: &str,
    reason: &str,
) -> Result<FeedInfo> {
    let def: FeedDef = jixiao_core::doc::SourceText::new("feed.toml", toml)
        .parse::<FeedDef>()
        .map_err(|issues| {
            let t = issues
                .0
                .first()
                .map(|i| {
                    Text::new(
                        i.render(jixiao_core::text::Lang::Zh),
                        i.render(jixiao_core::text::Lang::En),
                    )
                })
                .unwrap_or_else(|| Text::new("无法读取", "cannot be read"));
            Error::new(Kind::Invalid, "invalid_feed", t)
        })?;
    let body = DefineBody {
        definition: serde_json::to_value(&def).map_err(|e| Error::internal(&e))?,
        reason: reason.to_owned(),
    };
    define(state, caller, code, &body).await
}

/// A definition from JSON, or `invalid_feed` saying what is wrong and where.
pub fn parse_definition(v: &serde_json::Value) -> Result<FeedDef> {
    let invalid =
        |zh: String, en: String| Error::new(Kind::Invalid, "invalid_feed", Text::new(zh, en));
    let def: FeedDef = serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        invalid(
            format!("数据接口定义无法读取（{path}）：{inner}"),
            format!("the feed definition cannot be read at {path}: {inner}"),
        )
    })?;
    let problems = def.problems();
    if let Some(p) = problems.first() {
        return Err(invalid(p.zh.clone(), p.en.clone()));
    }
    Ok(def)
}
