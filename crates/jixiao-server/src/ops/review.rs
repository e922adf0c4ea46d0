//! Review queues: a unit leader approves the unit's submitted numbers, a lead department
//! verifies the numbers it leads, the office counts what waits for it. Each value is flagged
//! when it fails a check between elements (a warning; errors cannot be submitted) or lies far
//! from the unit's own history. Many values move at once, each in its own transaction.

use crate::error::{Error, Result};
use crate::live::Live;
use crate::ops::Caller;
use crate::ops::entry::inputs;
use crate::ops::values::{TransitionBody, ValueKey, allowed_now};
use crate::state::AppState;
use jixiao_core::Decimal;
use jixiao_core::access::Principal;
use jixiao_core::formula::Shift;
use jixiao_core::model::leaf_slots;
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use jixiao_core::workflow::Transition;
use jixiao_store::values::ValueRow;
use std::collections::{BTreeMap, HashMap};

/// A value waiting for this reviewer, with what a reviewer needs to decide on it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Item {
    pub row: ValueRow,
    #[schema(value_type = Object)]
    pub unit_name: Text,
    #[schema(value_type = Object)]
    pub element_name: Text,
    pub element_unit: String,
    /// Who last changed it, by name (the user name when unknown).
    pub by_name: String,
    /// The indicator it is reported for, its target and the rate computed from it.
    pub context: Context,
    /// The same unit's value of the element in the period before (reported and beyond).
    pub last: Option<Last>,
    pub evidence: Vec<jixiao_store::evidence::EvidenceRow>,
    /// What this reviewer may do (`approve`, `verify`, `count`, `return`).
    pub allowed: Vec<String>,
    /// Far from the unit's own history.
    pub outlier: Option<Outlier>,
    /// Checks between elements this value fails (warnings; errors cannot be submitted).
    #[schema(value_type = Vec<Object>)]
    pub checks: Vec<Text>,
}

impl Item {
    /// The move forward this reviewer can make (the one bulk approval makes).
    pub fn forward(&self) -> Option<&str> {
        self.allowed
            .iter()
            .map(String::as_str)
            .find(|a| matches!(*a, "approve" | "verify" | "count"))
    }

    /// The value and the version acted on, as a form sends it back.
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.row.unit_code, self.row.element, self.row.period, self.row.version
        )
    }
}

/// How far a value lies from the unit's own history.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
pub struct Outlier {
    /// The modified z-score (infinite, serialized as null, when the history does not vary).
    pub z: f64,
    /// The history's median.
    pub median: f64,
}

/// The unit's value in the period before.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Last {
    pub period: String,
    pub value: String,
}

/// The indicator a value is reported for, as the reviewer sees it beside the value.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Context {
    /// The indicator's name, when it is not the value itself.
    #[schema(value_type = Option<Object>)]
    pub indicator: Option<Text>,
    #[schema(value_type = Option<String>)]
    pub target: Option<Decimal>,
    /// The indicator's unit of measure (the target's and the computed rate's).
    pub unit: String,
    /// The indicator's actual computed from the unit's values as they stand (a rate), with the
    /// computed element's name.
    pub computed: Option<Computed>,
    /// The scheme's display decimals.
    pub decimals: u32,
}

/// A rate computed from the values.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Computed {
    #[schema(value_type = Object)]
    pub name: Text,
    #[schema(value_type = String)]
    pub value: Decimal,
}

/// The first indicator (of the schemes assessing `unit` in `period`) that reads `element`:
/// its name, target and the actual computed from the unit's current values.
pub fn context(live: &Live, unit: &str, element: &str, period: Period) -> Context {
    for s in live.schemes.values() {
        if !s.periods.contains_key(&period) {
            continue;
        }
        let m = &s.era_of(period).model;
        let (Some(id), Some((cid, _))) =
            (m.element(element), m.unit(unit).and_then(|u| m.class_of(u)))
        else {
            continue;
        };
        let c = &m.classes[cid as usize];
        for leaf in &c.leaves {
            let mut read = Vec::new();
            for sl in leaf_slots(leaf) {
                let slot = &c.slots[sl as usize];
                if slot.shift == Shift::Current {
                    inputs(m, slot.elem, &mut read);
                }
            }
            if !read.contains(&id) {
                continue;
            }
            let stored: BTreeMap<String, Decimal> = read
                .iter()
                .filter_map(|e| {
                    let code = m.elements[*e as usize].code.as_str();
                    let (n, state) = live.values.number(unit, code, &period.to_string())?;
                    (state != "returned").then_some(())?;
                    Some((code.to_owned(), n?))
                })
                .collect();
            let computed = match &leaf.actual {
                jixiao_core::model::Actual::Slot(sl) => {
                    let e = &m.elements[c.slots[*sl as usize].elem as usize];
                    e.formula.as_ref().and_then(|_| {
                        let v = crate::ops::entry::compute(
                            live,
                            unit,
                            period,
                            e.code.as_str(),
                            &stored,
                        )?;
                        Some(Computed {
                            name: e.def.name.clone(),
                            value: v,
                        })
                    })
                }
                _ => None,
            };
            let own = m.elements[id as usize].def.name == leaf.name;
            return Context {
                indicator: (!own).then(|| leaf.name.clone()),
                target: leaf.target,
                unit: leaf.unit.clone(),
                computed,
                decimals: m.display_decimals(),
            };
        }
    }
    Context {
        decimals: 2,
        ..Context::default()
    }
}

/// The value the unit reported for the element in the period before (draft and returned
/// values are not reports).
fn last_of(live: &Live, r: &ValueRow) -> Option<Last> {
    let before = Period::parse(&r.period).ok()?.previous().to_string();
    live.values
        .get(&r.unit_code, &r.element, &before)
        .filter(|h| !matches!(h.state.as_str(), "draft" | "returned"))
        .map(|h| Last {
            period: before,
            value: h.value,
        })
}

/// Which values of the queue to show; empty fields do not filter.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct Filter {
    /// A unit's code.
    pub unit: String,
    /// An element's code.
    pub element: String,
    pub period: String,
    /// `submitted`, `approved` or `verified`.
    pub state: String,
}

/// How far a value is from the same unit's reports of the element in the other periods of the
/// same length (submitted and beyond), when beyond `threshold`.
fn outlier(live: &Live, r: &ValueRow, threshold: f64) -> Option<Outlier> {
    let this = Period::parse(&r.period).ok()?;
    // The unit's element in each other period of the same length that holds values (a few
    // lookups, not a scan of every stored value).
    let history: Vec<jixiao_core::Decimal> = live
        .values
        .periods()
        .filter(|p| *p != r.period)
        .filter(|p| Period::parse(p).is_ok_and(|p| p.granularity() == this.granularity()))
        .filter_map(|p| live.values.number(&r.unit_code, &r.element, p))
        .filter(|(_, state)| !matches!(*state, "draft" | "returned"))
        .filter_map(|(n, _)| n)
        .collect();
    let x: jixiao_core::Decimal = r.value.parse().ok()?;
    let z = jixiao_core::quality::modified_z(&history, x)?;
    (z.abs() > threshold).then(|| Outlier {
        z,
        median: jixiao_core::quality::history_median(&history).unwrap_or(0.0),
    })
}

/// Judges the items shown (failed checks between elements, outliers against history) and adds
/// what a reviewer decides by: the indicator, its target and rate, the period before.
fn flag(live: &Live, items: &mut [Item], threshold: f64) {
    for i in items {
        let r = &i.row;
        i.outlier = outlier(live, r, threshold);
        if let Ok(p) = Period::parse(&r.period) {
            i.context = context(live, &r.unit_code, &r.element, p);
        }
        i.last = last_of(live, r);
        i.checks = Period::parse(&r.period)
            .map(|per| {
                live.failed_checks(&r.unit_code, &r.element, per, &|_, _| None)
                    .into_iter()
                    .map(|c| c.name)
                    .collect()
            })
            .unwrap_or_default();
    }
}

/// Everything waiting for `p` to move forward (flags not yet judged: see [`flag`]).
pub fn queue_of(live: &Live, p: &Principal) -> Vec<Item> {
    let mut items: Vec<Item> = live
        .values
        .rows_where(|s| matches!(s.state, "submitted" | "approved" | "verified"))
        .filter_map(|r| {
            let allowed = allowed_now(live, p, &r);
            if !allowed
                .iter()
                .any(|a| matches!(a.as_str(), "approve" | "verify" | "count"))
            {
                return None;
            }
            let (_, e) = live.element(&r.element)?;
            Some(Item {
                checks: Vec::new(),
                outlier: None,
                by_name: r.updated_by.clone(),
                context: Context::default(),
                last: None,
                evidence: Vec::new(),
                unit_name: live
                    .unit_name(&r.unit_code)
                    .map_or_else(|| Text::new(r.unit_code.clone(), ""), Clone::clone),
                element_name: e.def.name.clone(),
                element_unit: e.def.unit.clone(),
                row: r.clone(),
                allowed,
            })
        })
        .collect();
    // By unit, so a reviewer can take one unit's values at once.
    items.sort_by(|a, b| {
        (&a.row.unit_code, &a.row.period, &a.row.element).cmp(&(
            &b.row.unit_code,
            &b.row.period,
            &b.row.element,
        ))
    });
    items
}

/// A reviewer's queue: the values shown (filtered, flagged), and every unit and element of the
/// whole queue (for the filters).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Queue {
    pub items: Vec<Item>,
    /// Every unit of the whole queue: code and name.
    #[schema(value_type = Vec<Object>)]
    pub units: Vec<(String, Text)>,
    /// Every element of the whole queue: code and name.
    #[schema(value_type = Vec<Object>)]
    pub elements: Vec<(String, Text)>,
}

pub async fn queue(state: &AppState, caller: &Caller, f: &Filter) -> Result<Queue> {
    caller.require_signed_in()?;
    let live = state.live.read().await;
    let all = queue_of(&live, &caller.principal);
    let mut units: Vec<(String, Text)> = all
        .iter()
        .map(|i| (i.row.unit_code.clone(), i.unit_name.clone()))
        .collect();
    units.sort_by(|a, b| a.0.cmp(&b.0));
    units.dedup_by(|a, b| a.0 == b.0);
    let mut elements: Vec<(String, Text)> = all
        .iter()
        .map(|i| (i.row.element.clone(), i.element_name.clone()))
        .collect();
    elements.sort_by(|a, b| a.0.cmp(&b.0));
    elements.dedup_by(|a, b| a.0 == b.0);
    let mut items: Vec<Item> = all
        .into_iter()
        .filter(|i| f.unit.is_empty() || i.row.unit_code == f.unit)
        .filter(|i| f.element.is_empty() || i.row.element == f.element)
        .filter(|i| f.period.is_empty() || i.row.period == f.period)
        .filter(|i| f.state.is_empty() || i.row.state == f.state)
        .collect();
    flag(&live, &mut items, state.config.outlier_threshold);
    drop(live);
    let ids: Vec<i64> = items.iter().map(|i| i.row.id).collect();
    let mut evidence: HashMap<i64, Vec<_>> = HashMap::new();
    for e in jixiao_store::evidence::of_many(&state.store, "value", &ids).await? {
        evidence.entry(e.owner_id).or_default().push(e);
    }
    let names: HashMap<String, String> = jixiao_store::users::list(&state.store)
        .await?
        .into_iter()
        .filter(|u| !u.display_name.is_empty())
        .map(|u| (u.username, u.display_name))
        .collect();
    for i in &mut items {
        i.evidence = evidence.remove(&i.row.id).unwrap_or_default();
        if let Some(n) = names.get(&i.row.updated_by) {
            i.by_name.clone_from(n);
        }
    }
    Ok(Queue {
        items,
        units,
        elements,
    })
}

/// How many values waited for the caller (the home page's count).
pub async fn waiting(state: &AppState, caller: &Caller) -> usize {
    queue_of(&*state.live.read().await, &caller.principal).len()
}

/// What moving the picked values forward does, one line for each kind of move among them,
/// so the confirmation says it before anything moves.
pub async fn effects(state: &AppState, caller: &Caller, picked: &[(ValueKey, i64)]) -> Vec<Text> {
    let live = state.live.read().await;
    let mut out: Vec<Text> = Vec::new();
    for (key, _) in picked {
        let Some(r) = live.values.get(&key.unit, &key.element, &key.period) else {
            continue;
        };
        let now = allowed_now(&live, &caller.principal, &r);
        let t = match now
            .iter()
            .map(String::as_str)
            .find(|a| matches!(*a, "approve" | "verify" | "count"))
        {
            Some("approve") => Text::new(
                "通过后交牵头部门核验；核验计入后才计入正式得分和排名",
                "once approved, the values go to the lead department to verify; they count in the official scores and rankings only when counted",
            ),
            Some("verify")
                if Period::parse(&key.period)
                    .is_ok_and(|p| crate::ops::values::auto_count(&live, &key.element, p)) =>
            {
                Text::new(
                    "核验通过后立即计分并影响正式排名",
                    "once verified, the values count at once and change the official rankings",
                )
            }
            Some("verify") => Text::new(
                "核验通过后交考核办计入；计入后才影响正式排名",
                "once verified, the values go to the assessment office to count; only then do they change the official rankings",
            ),
            Some(_) => Text::new(
                "计入后立即计分并影响正式排名",
                "once counted, the values are scored at once and change the official rankings",
            ),
            None => continue,
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// What a reviewer does with the values they picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Move each forward: approve, verify or count, whichever the reviewer may.
    Forward,
    /// Return each with the reason.
    Return,
}

/// The transition `decision` takes `key` by for the caller: return, or forward — approve,
/// verify or count, whichever the caller may do now.
fn transition_for(
    live: &crate::live::Live,
    caller: &Caller,
    decision: Decision,
    key: &ValueKey,
) -> Transition {
    match decision {
        Decision::Return => Transition::Return,
        Decision::Forward => live
            .values
            .get(&key.unit, &key.element, &key.period)
            .map(|r| allowed_now(live, &caller.principal, &r))
            .unwrap_or_default()
            .into_iter()
            .find(|a| matches!(a.as_str(), "approve" | "verify" | "count"))
            .and_then(|a| Transition::parse(&a))
            .unwrap_or(Transition::Approve),
    }
}

fn check_picked(decision: Decision, reason: &str, picked: &[(ValueKey, i64)]) -> Result<()> {
    if picked.is_empty() {
        return Err(Error::bad_request(
            "nothing_picked",
            Text::new("请先勾选要处理的数据", "tick the values to act on first"),
        ));
    }
    if decision == Decision::Return && reason.trim().is_empty() {
        return Err(Error::bad_request(
            "reason_required",
            Text::new(
                "退回必须填写原因：请在“退回原因”中写明要单位核对或更正什么",
                "returning needs a reason: write in “reason” what the unit should check or correct",
            ),
        ));
    }
    Ok(())
}

/// A value as people name it: unit · element · period.
async fn named(state: &AppState, key: &ValueKey) -> String {
    let live = state.live.read().await;
    let unit = live
        .unit_name(&key.unit)
        .map_or(key.unit.clone(), |n| n.zh.clone());
    let element = live
        .element(&key.element)
        .map_or(key.element.clone(), |(_, e)| e.def.name.zh.clone());
    format!("{unit} · {element} · {}", key.period)
}

/// [`act`] in one transaction: every picked value moves, or none does (the first that cannot
/// — someone acted first, a closed period, a value the caller may not move — is named, and
/// nothing is changed). The live results and the warnings follow once. How many moved.
pub async fn act_together(
    state: &AppState,
    caller: &Caller,
    decision: Decision,
    reason: &str,
    picked: &[(ValueKey, i64)],
) -> Result<usize> {
    caller.require_signed_in()?;
    check_picked(decision, reason, picked)?;
    let mut tx = state.store.write().await?;
    let guard = crate::ops::values::Guard::load(&mut tx, state).await?;
    let mut rows = Vec::with_capacity(picked.len());
    for (i, (key, version)) in picked.iter().enumerate() {
        let t = transition_for(&*state.live.read().await, caller, decision, key);
        let moved = match crate::ops::values::known(state, key).await {
            Ok(()) => {
                crate::ops::values::apply_in(
                    &mut tx,
                    &guard,
                    state,
                    caller,
                    key,
                    t,
                    Some(*version),
                    None,
                    reason,
                )
                .await
            }
            Err(e) => Err(e),
        };
        match moved {
            Ok(row) => rows.push(row),
            Err(e) => {
                let what = named(state, key).await;
                return Err(Error::new(
                    e.kind,
                    e.code,
                    Text::new(
                        format!(
                            "第{}条“{what}”无法处理，全部未处理：{}",
                            i + 1,
                            e.detail(jixiao_core::text::Lang::Zh)
                        ),
                        format!(
                            "values[{i}] `{what}` cannot move, so none did: {}",
                            e.detail(jixiao_core::text::Lang::En)
                        ),
                    ),
                ));
            }
        }
    }
    crate::ops::commit(tx).await?;
    state.live.write().await.apply_many(&rows);
    let n = rows.len();
    crate::ops::warnings::follow_later(state, rows);
    Ok(n)
}

/// Moves each picked value (the version the reviewer saw) forward, or returns it with the
/// reason. Each value moves in its own transaction with its version checked: when someone else
/// acted first, the error says how many were done and which value was not, and stops there;
/// the ones before it stay done. Returns how many moved.
pub async fn act(
    state: &AppState,
    caller: &Caller,
    decision: Decision,
    reason: &str,
    picked: &[(ValueKey, i64)],
) -> Result<usize> {
    caller.require_signed_in()?;
    check_picked(decision, reason, picked)?;
    let mut done = 0usize;
    for (key, version) in picked {
        let t = transition_for(&*state.live.read().await, caller, decision, key);
        let r = crate::ops::values::transition(
            state,
            caller,
            key,
            t,
            TransitionBody {
                version: *version,
                reason: reason.to_owned(),
            },
        )
        .await;
        if let Err(e) = r {
            let what = named(state, key).await;
            return Err(Error::new(
                e.kind,
                e.code,
                Text::new(
                    format!(
                        "已处理{done}条；“{what}”未处理：{}",
                        e.detail(jixiao_core::text::Lang::Zh)
                    ),
                    format!(
                        "{done} done; `{what}` not done: {}",
                        e.detail(jixiao_core::text::Lang::En)
                    ),
                ),
            ));
        }
        done += 1;
    }
    Ok(done)
}
