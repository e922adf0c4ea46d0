//! Review queues: a unit leader approves the unit's submitted numbers, a lead department
//! verifies the numbers it leads, the office counts what waits for it. Each value is flagged
//! when it fails a check between elements (a warning; errors cannot be submitted) or lies far
//! from the unit's own history. Many values move at once, each in its own transaction.

use crate::error::{Error, Result};
use crate::live::Live;
use crate::ops::Caller;
use crate::ops::values::{TransitionBody, ValueKey, allowed_now};
use crate::state::AppState;
use jixiao_core::access::Principal;
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use jixiao_core::workflow::Transition;
use jixiao_store::values::ValueRow;

/// A value waiting for this reviewer.
pub struct Item {
    pub row: ValueRow,
    pub unit_name: Text,
    pub element_name: Text,
    pub element_unit: String,
    /// What this reviewer may do (`approve`, `verify`, `count`, `return`).
    pub allowed: Vec<String>,
    /// Far from the unit's own history: the modified z-score and the history's median.
    pub outlier: Option<(f64, f64)>,
    /// Checks between elements this value fails (warnings; errors cannot be submitted).
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

/// Which values of the queue to show; empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub unit: String,
    pub element: String,
    pub period: String,
    /// `submitted`, `approved` or `verified`.
    pub state: String,
}

/// How far a value is from the same unit's reports of the element in the other periods of the
/// same length (submitted and beyond), when beyond `threshold`.
fn outlier(live: &Live, r: &ValueRow, threshold: f64) -> Option<(f64, f64)> {
    let this = Period::parse(&r.period).ok()?;
    let history: Vec<jixiao_core::Decimal> = live
        .values
        .values()
        .filter(|h| h.unit_code == r.unit_code && h.element == r.element && h.period != r.period)
        .filter(|h| !matches!(h.state.as_str(), "draft" | "returned"))
        .filter(|h| Period::parse(&h.period).is_ok_and(|p| p.granularity() == this.granularity()))
        .filter_map(|h| h.value.parse().ok())
        .collect();
    let x: jixiao_core::Decimal = r.value.parse().ok()?;
    let z = jixiao_core::quality::modified_z(&history, x)?;
    (z.abs() > threshold).then(|| {
        (
            z,
            jixiao_core::quality::history_median(&history).unwrap_or(0.0),
        )
    })
}

/// Judges the items shown: failed checks between elements and outliers against history.
fn flag(live: &Live, items: &mut [Item], threshold: f64) {
    for i in items {
        let r = &i.row;
        i.outlier = outlier(live, r, threshold);
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
    let names: std::collections::HashMap<&str, &Text> = live
        .history
        .as_ref()
        .map(|h| {
            h.latest()
                .map(|v| (v.unit.code.as_str(), &v.unit.name))
                .collect()
        })
        .unwrap_or_default();
    let mut items: Vec<Item> = live
        .values
        .values()
        .filter(|r| matches!(r.state.as_str(), "submitted" | "approved" | "verified"))
        .filter_map(|r| {
            let allowed = allowed_now(live, p, r);
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
                unit_name: names
                    .get(r.unit_code.as_str())
                    .map_or_else(|| Text::new(r.unit_code.clone(), ""), |t| (*t).clone()),
                element_name: e.def.name.clone(),
                element_unit: e.def.unit.clone(),
                row: r.clone(),
                allowed,
            })
        })
        .collect();
    items.sort_by(|a, b| {
        (&a.row.period, &a.row.unit_code, &a.row.element).cmp(&(
            &b.row.period,
            &b.row.unit_code,
            &b.row.element,
        ))
    });
    items
}

/// A reviewer's queue: the values shown (filtered, flagged), and every unit and element of the
/// whole queue (for the filters).
pub struct Queue {
    pub items: Vec<Item>,
    pub units: Vec<(String, Text)>,
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

/// What a reviewer does with the values they picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Move each forward: approve, verify or count, whichever the reviewer may.
    Forward,
    /// Return each with the reason.
    Return,
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
    if picked.is_empty() {
        return Err(Error::bad_request(
            "nothing_picked",
            Text::new("请先勾选要处理的数据", "tick the values to act on first"),
        ));
    }
    let mut done = 0usize;
    for (key, version) in picked {
        let t = match decision {
            Decision::Return => Transition::Return,
            Decision::Forward => {
                let live = state.live.read().await;
                live.values
                    .get(&(key.unit.clone(), key.element.clone(), key.period.clone()))
                    .map(|r| allowed_now(&live, &caller.principal, r))
                    .unwrap_or_default()
                    .into_iter()
                    .find(|a| matches!(a.as_str(), "approve" | "verify" | "count"))
                    .and_then(|a| Transition::parse(&a))
                    .unwrap_or(Transition::Approve)
            }
        };
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
            let what = format!("{} · {} · {}", key.unit, key.element, key.period);
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
