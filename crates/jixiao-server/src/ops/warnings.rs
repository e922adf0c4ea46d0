//! Warnings followed up (预警 → 通知 → 响应 → 整改 → 销号). A warning is raised the moment a
//! value (provisional or official) puts a unit across a scheme's warning line, and kept as a
//! record: sent to the unit and the lead department; answered by the unit (cause and measures);
//! escalated to the lead department and the office when unanswered past the rule's time;
//! resolved, or closed by the office with a reason; raised again if the value crosses again.
//!
//! When a warning is resolved (a decision, written down here):
//! - a level that needs no rectification: when the value is back inside the line;
//! - a level that needs one (by default red; the rule's `rectify_from`): when the rectification
//!   task opened from it is verified. A value back inside the line alone does not resolve it
//!   (a corrected figure is recorded as "back inside" on its history) — a past period's figure
//!   often cannot come back, and the rectification is what the district follows up.
//!
//! A warning resolved or closed while the value is still outside its line is not raised again
//! until the value has come back inside and crossed again.
//!
//! A value that can no longer be computed (returned for correction, withdrawn) changes nothing:
//! the warning stays as it is until the corrected value is counted, or the office closes it.

use crate::error::{Error, Result};
use crate::live::Live;
use crate::ops::notices::{Notice, To, tell_in};
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::{Action, can};
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use jixiao_core::warnings::Level;
use jixiao_store::audit::Actor;
use jixiao_store::values::ValueRow;
use jixiao_store::warnings::{EventRow, WarningRow};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::{IntoParams, ToSchema};

/// A crossing as evaluated now.
#[derive(Debug, Clone)]
struct Crossing {
    scheme: String,
    rule: String,
    unit: String,
    period: String,
    element: String,
    level: Level,
    value: String,
    line: String,
    rectify: bool,
    respond_days: u32,
    lead: Option<String>,
    name: Text,
    unit_name: Text,
    element_name: Text,
    measure: String,
}

type Key = (String, String, String, String);

fn key_of(w: &WarningRow) -> Key {
    (
        w.scheme_code.clone(),
        w.rule_code.clone(),
        w.unit_code.clone(),
        w.period.clone(),
    )
}

/// The crossings of the units `units` (all assessed units when `None`) in one scheme's tracked
/// period, by key; and the keys evaluated.
fn crossings(
    live: &Live,
    scheme: &str,
    period: Period,
    units: Option<&BTreeSet<String>>,
) -> (HashMap<Key, Crossing>, BTreeSet<Key>) {
    let mut found = HashMap::new();
    let mut evaluated = BTreeSet::new();
    let Some(s) = live.schemes.get(scheme) else {
        return (found, evaluated);
    };
    let era = s.era_of(period);
    let m = &era.model;
    if m.scheme.warnings.is_empty() {
        return (found, evaluated);
    }
    let ids: Vec<u32> = match units {
        Some(codes) => codes.iter().filter_map(|c| m.unit(c)).collect(),
        None => (0..m.units.len() as u32).collect(),
    };
    let p = period.to_string();
    for u in ids {
        let unit = &m.units[u as usize];
        if unit.class.is_none() {
            continue;
        }
        // A rule is evaluated only where its value can be computed: a value returned for
        // correction (or not yet reported) neither resolves nor re-raises a warning; the
        // warning waits for the corrected value (or the office closes it).
        for rule in m.scheme.warnings.iter().filter(|r| {
            m.element(r.element.as_str())
                .is_some_and(|e| era.provisional.resolve(m, u, e, period).is_ok())
        }) {
            evaluated.insert((
                scheme.to_owned(),
                rule.code.to_string(),
                unit.code.to_string(),
                p.clone(),
            ));
        }
        for r in jixiao_core::warnings::evaluate_unit(m, &era.provisional, period, u) {
            let rule = &m.scheme.warnings[r.rule];
            let (element_name, measure) = m
                .element(rule.element.as_str())
                .map(|e| {
                    let d = &m.elements[e as usize].def;
                    (d.name.clone(), d.unit.clone())
                })
                .unwrap_or_default();
            let key = (
                scheme.to_owned(),
                rule.code.to_string(),
                unit.code.to_string(),
                p.clone(),
            );
            found.insert(
                key,
                Crossing {
                    scheme: scheme.to_owned(),
                    rule: rule.code.to_string(),
                    unit: unit.code.to_string(),
                    period: p.clone(),
                    element: rule.element.to_string(),
                    level: r.level,
                    value: r.value.normalize().to_string(),
                    line: r.level.line(rule),
                    rectify: r.level.needs_rectification(rule),
                    respond_days: r.level.respond_within(rule),
                    lead: live.lead_of_any(rule.element.as_str()),
                    name: rule.name.clone(),
                    unit_name: unit.name.clone(),
                    element_name,
                    measure,
                },
            );
        }
    }
    (found, evaluated)
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t
        .replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// A day in Beijing time (YYYY-MM-DD) of an instant.
pub fn beijing_day(s: &str) -> String {
    parse_time(s)
        .map(|t| {
            let t = t.to_offset(time::macros::offset!(+8));
            format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
        })
        .unwrap_or_else(|| s.chars().take(10).collect())
}

fn raised_notice(w: &WarningRow, c: &Crossing) -> Notice {
    let level = Level::parse(&w.level).unwrap_or(Level::Yellow).name();
    let due = beijing_day(&w.respond_by);
    Notice {
        kind: "warning",
        key: format!("warning:{}:{}", w.id, w.level),
        title: Text::new(
            format!("{}：{} {}", level.zh, c.unit_name.zh, c.name.zh),
            format!("{} warning: {} — {}", level.en, c.unit_name.en, c.name.en),
        ),
        body: Text::new(
            format!(
                "{} {} 为 {}{}，越过预警线（{}）。请于 {due} 前说明原因和整改措施。",
                w.period, c.element_name.zh, w.value, c.measure, w.line
            ),
            format!(
                "{} {} is {}{}, across the line ({}). Please give the cause and measures by {due}.",
                w.period, c.element_name.en, w.value, c.measure, w.line
            ),
        ),
        link: format!("/warnings/{}", w.id),
    }
}

/// Brings the warnings of `rows`' units and periods up to date with the live results (after
/// the rows were applied): raises, changes, resolves; tells whom it concerns. A failure is
/// logged, not returned: the change of value stands, and the scheduled round
/// ([`follow_all`]) catches up. Waits for its turn after the work left before it
/// ([`follow_later`]).
pub async fn follow(state: &AppState, rows: &[ValueRow]) {
    let ticket = state.after.ticket();
    let _turn = state.after.turn(ticket).await;
    bring_up_to_date(state, rows).await;
}

async fn bring_up_to_date(state: &AppState, rows: &[ValueRow]) {
    let mut touched: BTreeMap<(String, Period), BTreeSet<String>> = BTreeMap::new();
    {
        let live = state.live.read().await;
        for r in rows {
            let Ok(p) = Period::parse(&r.period) else {
                continue;
            };
            for (code, s) in &live.schemes {
                if s.model.scheme.warnings.is_empty() || s.model.element(&r.element).is_none() {
                    continue;
                }
                for tp in s.periods.keys().filter(|tp| tp.contains(p)) {
                    touched
                        .entry((code.clone(), *tp))
                        .or_default()
                        .insert(r.unit_code.clone());
                }
            }
        }
    }
    for ((scheme, period), units) in touched {
        if let Err(e) = reconcile(state, &scheme, period, Some(&units)).await {
            tracing::warn!(error = %e.detail(jixiao_core::text::Lang::En), scheme, period = %period, "could not bring the warnings up to date; the next scheduled round will");
        }
    }
}

/// [`follow`] after the response: the request that changed the values does not wait for the
/// warnings (on the count → ranking path they cost a write transaction and its audit entry);
/// readers of warnings and notices wait for it ([`settled`]).
pub fn follow_later(state: &AppState, rows: Vec<ValueRow>) {
    let ticket = state.after.ticket();
    let state = state.clone();
    tokio::spawn(async move {
        let _turn = state.after.turn(ticket).await;
        bring_up_to_date(&state, &rows).await;
    });
}

/// Waits for the warnings left to [`follow_later`] before now (at most a few seconds: a read
/// never hangs on them).
pub async fn settled(state: &AppState) {
    state
        .after
        .settled(std::time::Duration::from_secs(10))
        .await;
}

/// Every warning of every scheme and tracked period brought up to date (the scheduled round).
pub async fn follow_all(state: &AppState) -> Result<()> {
    let keys: Vec<(String, Period)> = {
        let live = state.live.read().await;
        live.schemes
            .iter()
            .filter(|(_, s)| !s.model.scheme.warnings.is_empty())
            .flat_map(|(c, s)| s.periods.keys().map(|p| (c.clone(), *p)))
            .collect()
    };
    let ticket = state.after.ticket();
    let _turn = state.after.turn(ticket).await;
    for (scheme, period) in keys {
        reconcile(state, &scheme, period, None).await?;
    }
    Ok(())
}

async fn reconcile(
    state: &AppState,
    scheme: &str,
    period: Period,
    units: Option<&BTreeSet<String>>,
) -> Result<()> {
    let (found, evaluated) = {
        let live = state.live.read().await;
        crossings(&live, scheme, period, units)
    };
    let p = period.to_string();
    let latest: HashMap<Key, WarningRow> = {
        let mut c = state.store.read().await?;
        // The touched units' warnings (a bulk change of many units reads the whole period).
        let only: Option<Vec<String>> = units
            .filter(|u| u.len() <= 500)
            .map(|u| u.iter().cloned().collect());
        jixiao_store::warnings::latest_of_period(&mut c, scheme, &p, only.as_deref())
            .await?
            .into_iter()
            .map(|w| (key_of(&w), w))
            .collect()
    };
    // Only what changes opens a transaction.
    let mut steps: Vec<(&Key, Option<&Crossing>, Option<&WarningRow>)> = Vec::new();
    for key in &evaluated {
        let c = found.get(key);
        let w = latest.get(key);
        let changes = match (c, w) {
            (Some(_), None) => true,
            (Some(c), Some(w)) => {
                !w.crossing || (w.is_open() && (w.level != c.level.code() || w.value != c.value))
            }
            (None, Some(w)) => w.crossing,
            (None, None) => false,
        };
        if changes {
            steps.push((key, c, w));
        }
    }
    if steps.is_empty() {
        return Ok(());
    }
    let actor = Actor::system("warnings");
    let now = time::OffsetDateTime::now_utc();
    let at = rfc3339(now);
    let mut tx = state.store.write().await?;
    for (_, c, w) in steps {
        match (c, w) {
            (Some(c), w) if w.is_none_or(|w| !w.is_open() && !w.crossing) => {
                let respond_by = rfc3339(now + time::Duration::days(i64::from(c.respond_days)));
                let raised = jixiao_store::warnings::raise(
                    &mut tx,
                    &actor,
                    &jixiao_store::warnings::New {
                        scheme: &c.scheme,
                        rule: &c.rule,
                        unit: &c.unit,
                        period: &c.period,
                        element: &c.element,
                        level: c.level.code(),
                        value: &c.value,
                        line: &c.line,
                        rectify: c.rectify,
                        lead: c.lead.as_deref(),
                        raised_at: &at,
                        respond_by: &respond_by,
                        previous: w.map(|w| w.id),
                    },
                )
                .await?;
                if let Some(r) = raised {
                    let mut to = vec![To::Unit(c.unit.clone())];
                    to.extend(c.lead.clone().map(To::Lead));
                    tell_in(&mut tx, &state.config, &to, &raised_notice(&r, c)).await?;
                }
            }
            (Some(c), Some(w)) if w.is_open() => {
                let higher = Level::parse(&w.level).is_some_and(|l| c.level > l);
                let mut after = w.clone();
                after.level = c.level.code().to_owned();
                after.value.clone_from(&c.value);
                after.line.clone_from(&c.line);
                after.crossing = true;
                // A higher level may need rectification; a lower one keeps what was asked.
                after.rectify = w.rectify || c.rectify;
                let kind = if w.crossing {
                    "changed"
                } else {
                    "crossed_again"
                };
                let saved = jixiao_store::warnings::save(
                    &mut tx,
                    &actor,
                    "warning.change",
                    kind,
                    w,
                    &after,
                    "",
                )
                .await?;
                if let (Some(s), true) = (saved, higher) {
                    let mut to = vec![To::Unit(c.unit.clone())];
                    to.extend(c.lead.clone().map(To::Lead));
                    tell_in(&mut tx, &state.config, &to, &raised_notice(&s, c)).await?;
                }
            }
            (Some(c), Some(w)) => {
                // Resolved or closed while still outside: the value is recorded, nothing raised.
                let mut after = w.clone();
                after.value.clone_from(&c.value);
                jixiao_store::warnings::save(&mut tx, &actor, "warning.change", "", w, &after, "")
                    .await?;
            }
            (None, Some(w)) => {
                let mut after = w.clone();
                after.crossing = false;
                let (action, kind, note) = if !w.is_open() {
                    ("warning.change", "", "")
                } else if w.rectify {
                    (
                        "warning.change",
                        "back_inside",
                        "数值已回到预警线以内，待整改核验后销号",
                    )
                } else {
                    after.state = "resolved".into();
                    after.resolved_at = Some(at.clone());
                    after.resolved_by = Some(actor.name.clone());
                    after.resolution =
                        "数值已回到预警线以内 / the value is back inside the line".into();
                    ("warning.resolve", "resolved", "数值已回到预警线以内")
                };
                jixiao_store::warnings::save(&mut tx, &actor, action, kind, w, &after, note)
                    .await?;
            }
            _ => {}
        }
    }
    commit(tx).await?;
    Ok(())
}

/// Escalates every open warning not answered by its time at `now`: marked overdue, and the
/// lead department and the office are told. How many.
pub async fn escalate(state: &AppState, now: time::OffsetDateTime) -> Result<usize> {
    let due = jixiao_store::warnings::due(&state.store, &rfc3339(now)).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let actor = Actor::system("schedule");
    let names = {
        let live = state.live.read().await;
        due.iter()
            .map(|w| {
                (
                    w.id,
                    live.unit_name(&w.unit_code)
                        .cloned()
                        .unwrap_or_else(|| Text::new(w.unit_code.clone(), w.unit_code.clone())),
                )
            })
            .collect::<HashMap<_, _>>()
    };
    let mut tx = state.store.write().await?;
    let mut n = 0;
    for w in &due {
        let mut after = w.clone();
        after.overdue = true;
        after.escalated_at = Some(rfc3339(now));
        let Some(s) = jixiao_store::warnings::save(
            &mut tx,
            &actor,
            "warning.escalate",
            "escalated",
            w,
            &after,
            "逾期未响应 / not answered in time",
        )
        .await?
        else {
            continue;
        };
        n += 1;
        let unit = names.get(&w.id).cloned().unwrap_or_default();
        let level = Level::parse(&w.level).unwrap_or(Level::Yellow).name();
        let mut to = vec![To::Office, To::Unit(w.unit_code.clone())];
        to.extend(w.lead_code.clone().map(To::Lead));
        tell_in(
            &mut tx,
            &state.config,
            &to,
            &Notice {
                kind: "escalated",
                key: format!("warning:{}:escalated", s.id),
                title: Text::new(
                    format!("{}逾期未响应：{}", level.zh, unit.zh),
                    format!("{} warning not answered: {}", level.en, unit.en),
                ),
                body: Text::new(
                    format!(
                        "{} 的预警（{} {}，预警线 {}）应于 {} 前响应，至今未响应。",
                        unit.zh,
                        w.period,
                        w.value,
                        w.line,
                        beijing_day(&w.respond_by)
                    ),
                    format!(
                        "The warning of {} ({} {}, line {}) was due for an answer by {} and has none.",
                        unit.en,
                        w.period,
                        w.value,
                        w.line,
                        beijing_day(&w.respond_by)
                    ),
                ),
                link: format!("/warnings/{}", s.id),
            },
        )
        .await?;
    }
    commit(tx).await?;
    Ok(n)
}

/// Which warnings to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// `yellow`, `orange` or `red`.
    #[serde(default)]
    pub level: Option<String>,
    /// `open`, `acknowledged`, `resolved` or `closed`; `active` for open and acknowledged.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    /// The data element watched.
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub scheme: Option<String>,
    /// At least this many days old.
    #[serde(default)]
    pub min_age_days: Option<u32>,
    /// Only those overdue (not answered in time).
    #[serde(default)]
    pub overdue: Option<bool>,
}

/// A warning as listed: the record with names and its age.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = WarningItem)]
pub struct Item {
    pub warning: WarningRow,
    #[schema(value_type = Object)]
    pub unit_name: Text,
    #[schema(value_type = Object)]
    pub rule_name: Text,
    #[schema(value_type = Object)]
    pub element_name: Text,
    #[schema(value_type = Object)]
    pub level_name: Text,
    /// The element's unit of measure.
    pub measure: String,
    /// Whole days since it was raised.
    pub age_days: i64,
    /// Whether the caller may answer it, and close it.
    pub can_answer: bool,
    pub can_close: bool,
}

fn item(live: &Live, caller: &Caller, w: WarningRow, now: time::OffsetDateTime) -> Item {
    let (rule_name, element_name, measure) = live
        .schemes
        .get(&w.scheme_code)
        .map(|s| {
            let m = &s.model;
            let rule = m
                .scheme
                .warnings
                .iter()
                .find(|r| r.code.as_str() == w.rule_code)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| Text::new(w.rule_code.clone(), w.rule_code.clone()));
            let (en, me) = m
                .element(&w.element)
                .map(|e| {
                    let d = &m.elements[e as usize].def;
                    (d.name.clone(), d.unit.clone())
                })
                .unwrap_or_default();
            (rule, en, me)
        })
        .unwrap_or_default();
    let age_days = parse_time(&w.raised_at).map_or(0, |t| (now - t).whole_days());
    Item {
        unit_name: live
            .unit_name(&w.unit_code)
            .cloned()
            .unwrap_or_else(|| Text::new(w.unit_code.clone(), w.unit_code.clone())),
        rule_name,
        element_name,
        level_name: Level::parse(&w.level).unwrap_or(Level::Yellow).name(),
        measure,
        age_days,
        can_answer: w.state == "open"
            && can(
                &caller.principal,
                Action::AnswerWarning { unit: &w.unit_code },
                live,
            ),
        can_close: w.is_open() && can(&caller.principal, Action::CloseWarning, live),
        warning: w,
    }
}

fn may_read(live: &Live, caller: &Caller, w: &WarningRow) -> bool {
    can(
        &caller.principal,
        Action::ReadWarning {
            unit: &w.unit_code,
            lead: w.lead_code.as_deref(),
        },
        live,
    )
}

/// The warnings the caller may see that match `f`: worst and oldest first among the active,
/// then the rest newest first (at most 1,000).
pub async fn list(state: &AppState, caller: &Caller, f: &Filter) -> Result<Vec<Item>> {
    caller.require_signed_in()?;
    settled(state).await;
    let now = time::OffsetDateTime::now_utc();
    if let Some(l) = &f.level
        && Level::parse(l).is_none()
    {
        return Err(Error::bad_request(
            "bad_level",
            Text::new(
                format!("level：没有“{l}”级预警（yellow、orange、red）"),
                format!("level: no level `{l}` (yellow, orange or red)"),
            ),
        ));
    }
    let active = f.state.as_deref() == Some("active");
    if let Some(s) = &f.state
        && !["open", "acknowledged", "resolved", "closed", "active"].contains(&s.as_str())
    {
        return Err(Error::bad_request(
            "bad_state",
            Text::new(
                format!("state：没有“{s}”状态（open、acknowledged、resolved、closed、active）"),
                format!("state: no state `{s}` (open, acknowledged, resolved, closed or active)"),
            ),
        ));
    }
    let sf = jixiao_store::warnings::Filter {
        level: f.level.clone(),
        state: f.state.clone().filter(|_| !active),
        unit: f.unit.clone().filter(|s| !s.is_empty()),
        element: f.item.clone().filter(|s| !s.is_empty()),
        period: f.period.clone().filter(|s| !s.is_empty()),
        scheme: f.scheme.clone().filter(|s| !s.is_empty()),
        raised_before: f
            .min_age_days
            // Older than the calendar goes: none can be that old.
            .map(|d| {
                now.checked_sub(time::Duration::days(i64::from(d)))
                    .map_or_else(|| "0000-01-01T00:00:00Z".to_owned(), rfc3339)
            }),
        open_only: active,
    };
    let rows = jixiao_store::warnings::list(&state.store, &sf, 5_000).await?;
    let live = state.live.read().await;
    let mut items: Vec<Item> = rows
        .into_iter()
        .filter(|w| may_read(&live, caller, w))
        .filter(|w| f.overdue.is_none_or(|o| w.overdue == o))
        .map(|w| item(&live, caller, w, now))
        .collect();
    items.sort_by(|a, b| {
        let rank = |i: &Item| {
            (
                !i.warning.is_open(),
                std::cmp::Reverse(Level::parse(&i.warning.level)),
                i.warning.raised_at.clone(),
            )
        };
        let (x, y) = (rank(a), rank(b));
        if x.0 != y.0 || x.0 {
            // Closed ones newest first.
            x.0.cmp(&y.0).then(b.warning.id.cmp(&a.warning.id))
        } else {
            x.cmp(&y)
        }
    });
    items.truncate(1_000);
    Ok(items)
}

/// One warning with its history and the rectification tasks opened from it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = WarningDetail)]
pub struct Detail {
    pub item: Item,
    pub events: Vec<EventRow>,
    pub tasks: Vec<jixiao_store::rectifications::TaskRow>,
}

async fn load(state: &AppState, id: i64) -> Result<WarningRow> {
    settled(state).await;
    let mut c = state.store.read().await?;
    jixiao_store::warnings::get(&mut c, id)
        .await?
        .ok_or_else(|| Error::not_found("预警", "warning"))
}

pub async fn get(state: &AppState, caller: &Caller, id: i64) -> Result<Detail> {
    caller.require_signed_in()?;
    let w = load(state, id).await?;
    let item = {
        let live = state.live.read().await;
        if !may_read(&live, caller, &w) {
            return Err(Error::not_found("预警", "warning"));
        }
        item(&live, caller, w, time::OffsetDateTime::now_utc())
    };
    let events = jixiao_store::warnings::events(&state.store, id).await?;
    let mut c = state.store.read().await?;
    let tasks = jixiao_store::rectifications::of_source(&mut c, "warning", &id.to_string()).await?;
    Ok(Detail {
        item,
        events,
        tasks,
    })
}

/// The unit's answer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Answer {
    /// The version answered (from the warning as read).
    pub version: i64,
    /// 原因: why the value crossed the line.
    pub cause: String,
    /// 措施: what the unit does about it.
    pub measures: String,
    /// For a warning that needs rectification: the day (YYYY-MM-DD) the unit commits to finish
    /// it by; the rectification task is opened with it. Default: 30 days from today.
    #[serde(default)]
    pub deadline: Option<String>,
    /// The person responsible in the unit.
    #[serde(default)]
    pub person: Option<String>,
}

fn stale() -> Error {
    Error::conflict(
        "stale",
        Text::new(
            "该预警已被他人更新，请刷新后重试",
            "the warning was changed by someone else; reload and try again",
        ),
    )
}

/// A day `YYYY-MM-DD`, or the error naming the field.
pub fn check_day(s: &str, field: &str) -> Result<String> {
    let s = s.trim();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt)
        .map(|_| s.to_owned())
        .map_err(|_| {
            Error::bad_request(
                "bad_date",
                Text::new(
                    format!("{field}：“{s}”不是日期（应为 YYYY-MM-DD，如 2026-01-15）"),
                    format!("{field}: `{s}` is not a date (YYYY-MM-DD, e.g. 2026-01-15)"),
                ),
            )
        })
}

/// Today + `days` in Beijing, `YYYY-MM-DD`.
pub fn day_after(now: time::OffsetDateTime, days: i64) -> String {
    let t = (now + time::Duration::days(days)).to_offset(time::macros::offset!(+8));
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// The unit answers an open warning: cause and measures. A warning that needs rectification
/// opens its rectification task (verified by the lead department, or the office).
pub async fn answer(state: &AppState, caller: &Caller, id: i64, a: Answer) -> Result<Detail> {
    let w = load(state, id).await?;
    allow(state, caller, Action::AnswerWarning { unit: &w.unit_code }).await?;
    if w.state != "open" {
        return Err(Error::conflict(
            "not_open",
            Text::new(
                "该预警已响应或已销号，不能再次响应",
                "the warning was answered or resolved already",
            ),
        ));
    }
    for (v, field, zh) in [
        (&a.cause, "cause", "原因"),
        (&a.measures, "measures", "措施"),
    ] {
        if v.trim().is_empty() {
            return Err(Error::bad_request(
                "required",
                Text::new(format!("{field}：请填写{zh}"), format!("{field}: required")),
            ));
        }
    }
    let now = time::OffsetDateTime::now_utc();
    let deadline = match &a.deadline {
        Some(d) if !d.trim().is_empty() => check_day(d, "deadline")?,
        _ => day_after(now, 30),
    };
    let mut after = w.clone();
    after.state = "acknowledged".into();
    after.acknowledged_at = Some(rfc3339(now));
    after.acknowledged_by = Some(caller.actor.name.clone());
    after.cause = a.cause.trim().to_owned();
    after.measures = a.measures.trim().to_owned();
    if a.version != w.version {
        return Err(stale());
    }
    let mut tx = state.store.write().await?;
    let saved = jixiao_store::warnings::save(
        &mut tx,
        &caller.actor,
        "warning.answer",
        "acknowledged",
        &w,
        &after,
        &after.cause,
    )
    .await?
    .ok_or_else(stale)?;
    if saved.rectify {
        let verifier = saved.lead_code.clone().unwrap_or_else(|| "office".into());
        let problem = format!(
            "{} {}：{} 越过预警线 {}",
            saved.period, saved.rule_code, saved.value, saved.line
        );
        let problem = {
            let live = state.live.read().await;
            live.schemes
                .get(&saved.scheme_code)
                .and_then(|s| {
                    s.model
                        .scheme
                        .warnings
                        .iter()
                        .find(|r| r.code.as_str() == saved.rule_code)
                })
                .map_or(problem, |r| {
                    format!(
                        "{} {}：{}，越过预警线 {}",
                        saved.period, r.name.zh, saved.value, saved.line
                    )
                })
        };
        let task = jixiao_store::rectifications::open(
            &mut tx,
            &caller.actor,
            &jixiao_store::rectifications::New {
                source_kind: "warning",
                source_id: &saved.id.to_string(),
                severity: "",
                unit: &saved.unit_code,
                person: a.person.as_deref().unwrap_or("").trim(),
                period: &saved.period,
                problem: &problem,
                measures: &saved.measures,
                deadline: &deadline,
                verifier: &verifier,
            },
        )
        .await?;
        crate::ops::rectifications::tell_opened(&mut tx, state, &task).await?;
    }
    commit(tx).await?;
    crate::ops::rectifications::publish_after_change(state).await;
    get(state, caller, id).await
}

/// The office closes a warning with a reason (e.g. a data error confirmed, an exemption).
pub async fn close(
    state: &AppState,
    caller: &Caller,
    id: i64,
    version: i64,
    reason: &str,
) -> Result<Detail> {
    allow(state, caller, Action::CloseWarning).await?;
    require_reason(reason)?;
    let w = load(state, id).await?;
    if !w.is_open() {
        return Err(Error::conflict(
            "not_open",
            Text::new("该预警已销号或已关闭", "the warning is resolved or closed"),
        ));
    }
    if version != w.version {
        return Err(stale());
    }
    let mut after = w.clone();
    after.state = "closed".into();
    after.resolved_at = Some(jixiao_store::now());
    after.resolved_by = Some(caller.actor.name.clone());
    after.resolution = reason.trim().to_owned();
    let mut tx = state.store.write().await?;
    jixiao_store::warnings::save(
        &mut tx,
        &caller.actor,
        "warning.close",
        "closed",
        &w,
        &after,
        reason.trim(),
    )
    .await?
    .ok_or_else(stale)?;
    commit(tx).await?;
    get(state, caller, id).await
}

/// A warning's rectification was verified: resolved (in the verification's transaction).
pub async fn rectified_in(
    tx: &mut jixiao_store::Tx,
    actor: &Actor,
    warning_id: i64,
    task_id: i64,
) -> Result<()> {
    let Some(w) = jixiao_store::warnings::get(tx, warning_id).await? else {
        return Ok(());
    };
    if !w.is_open() {
        return Ok(());
    }
    let mut after = w.clone();
    after.state = "resolved".into();
    after.resolved_at = Some(jixiao_store::now());
    after.resolved_by = Some(actor.name.clone());
    after.resolution = format!("整改任务 {task_id} 已核验 / rectification {task_id} verified");
    jixiao_store::warnings::save(
        tx,
        actor,
        "warning.resolve",
        "resolved",
        &w,
        &after,
        &after.resolution.clone(),
    )
    .await?
    .ok_or_else(stale)?;
    Ok(())
}

/// Open warnings by level and by age band (under 3 days, 3–7, over 7), for the dashboard.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Ages {
    /// Per level (`red`, `orange`, `yellow`): counts in the bands `<3`, `3–7`, `>7` days.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub levels: Vec<(String, [usize; 3])>,
    pub overdue: usize,
}

pub async fn ages(state: &AppState, caller: &Caller) -> Result<Ages> {
    let items = list(
        state,
        caller,
        &Filter {
            state: Some("active".into()),
            ..Filter::default()
        },
    )
    .await?;
    let mut out = Ages::default();
    for l in [Level::Red, Level::Orange, Level::Yellow] {
        let mut bands = [0; 3];
        for i in items.iter().filter(|i| i.warning.level == l.code()) {
            let b = match i.age_days {
                d if d < 3 => 0,
                d if d <= 7 => 1,
                _ => 2,
            };
            bands[b] += 1;
        }
        out.levels.push((l.code().to_owned(), bands));
    }
    out.overdue = items.iter().filter(|i| i.warning.overdue).count();
    Ok(out)
}
