//! Review queues: a unit leader approves the unit's submitted numbers, a lead department
//! verifies the numbers it leads, the office counts what waits for it. Approve one, approve
//! many at once, or return with a reason; filter by unit, indicator and state.

use super::entry::problem_text;
use super::{Ctx, Page, render, see_other, state_label};
use crate::api::extract::{Json, Path as ApiPath};
use crate::api::values::TransitionBody;
use crate::error::ApiError;
use crate::live::Live;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use jixiao_core::access::Principal;
use jixiao_core::period::Period;
use jixiao_core::text::Text;
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
    /// The flag's words: how far, against what.
    pub fn outlier_note(&self, l: &super::i18n::L) -> Option<String> {
        let (z, m) = self.outlier?;
        let z = if z.is_finite() {
            format!("{z:.1}")
        } else if z > 0.0 {
            "+∞".into()
        } else {
            "−∞".into()
        };
        Some(
            l.ta(
                "review-outlier",
                &[
                    ("z", &z),
                    (
                        "median",
                        &format!("{m:.2}")
                            .trim_end_matches('0')
                            .trim_end_matches('.')
                            .to_owned(),
                    ),
                ],
            ),
        )
    }

    /// The move forward this reviewer can make (the one bulk approval makes).
    pub fn forward(&self) -> Option<&str> {
        self.allowed
            .iter()
            .map(String::as_str)
            .find(|a| matches!(*a, "approve" | "verify" | "count"))
    }

    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.row.unit_code, self.row.element, self.row.period, self.row.version
        )
    }
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct Filter {
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub element: String,
    #[serde(default)]
    pub period: String,
    /// `submitted`, `approved` or `verified`; empty for all.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub done: Option<usize>,
    #[serde(default)]
    pub returned: Option<usize>,
    #[serde(default)]
    pub format: Option<String>,
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
        .org
        .as_ref()
        .map(|o| o.units.iter().map(|u| (u.code.as_str(), &u.name)).collect())
        .unwrap_or_default();
    let mut items: Vec<Item> = live
        .values
        .values()
        .filter(|r| matches!(r.state.as_str(), "submitted" | "approved" | "verified"))
        .filter_map(|r| {
            let locked = Period::parse(&r.period).is_ok_and(|per| live.locked(&r.element, per));
            let allowed =
                crate::api::values::allowed_for(live, p, &r.unit_code, &r.element, Some(r), locked);
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

#[derive(Template)]
#[template(path = "review.html")]
struct QueuePage<'a> {
    ctx: &'a Ctx,
    items: Vec<Item>,
    filter: Filter,
    units: Vec<(String, Text)>,
    elements: Vec<(String, Text)>,
    message: Option<String>,
}

impl QueuePage<'_> {
    fn state(&self, s: &str) -> String {
        state_label(self.ctx.l, s)
    }
}

pub async fn queue(page: Page, State(state): State<AppState>, Query(f): Query<Filter>) -> Response {
    let r = async {
        page.require_signed_in()?;
        let live = state.live.read().await;
        let all = queue_of(&live, &page.caller.principal);
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
        let l = page.ctx.l;
        if super::xlsx::wanted(&f.format) {
            use super::xlsx::Cell;
            let headers = [
                "col-code",
                "col-unit",
                "col-item",
                "col-period",
                "col-value",
                "col-state",
                "col-by",
            ]
            .map(|k| l.t(k))
            .to_vec();
            let rows = items
                .iter()
                .map(|i| {
                    vec![
                        Cell::from(i.row.unit_code.as_str()),
                        l.plain(&i.unit_name).into(),
                        l.plain(&i.element_name).into(),
                        i.row.period.as_str().into(),
                        i.row
                            .value
                            .parse::<jixiao_core::Decimal>()
                            .map_or_else(|_| Cell::from(i.row.value.as_str()), Cell::Num),
                        state_label(l, &i.row.state).into(),
                        i.row.updated_by.as_str().into(),
                    ]
                })
                .collect();
            let name = l.t("review-title");
            return super::xlsx::one_sheet(&name, headers, rows);
        }
        let message = match (f.done, f.returned) {
            (Some(n), _) => Some(l.ta("review-done", &[("count", &n)])),
            (_, Some(n)) => Some(l.ta("review-returned", &[("count", &n)])),
            _ => None,
        };
        render(&QueuePage {
            ctx: &page.ctx,
            items,
            filter: f,
            units,
            elements,
            message,
        })
    }
    .await;
    page.finish(r)
}

/// Approves (verifies, counts) the ticked values, or returns them with the reason given.
/// Each value moves in its own transaction with its version checked: when someone else acted
/// first, the page says which value and stops there; the ones before it stay done.
pub async fn act(
    page: Page,
    State(state): State<AppState>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        let get = |k: &str| super::field(&pairs, k);
        page.check_csrf(get("_csrf"))?;
        let action = get("action");
        let reason = get("reason").trim().to_owned();
        let picked: Vec<(String, String, String, i64)> = pairs
            .iter()
            .filter(|(k, _)| k == "pick")
            .filter_map(|(_, v)| {
                let mut it = v.split('|');
                let (u, e, p, ver) = (it.next()?, it.next()?, it.next()?, it.next()?);
                Some((u.to_owned(), e.to_owned(), p.to_owned(), ver.parse().ok()?))
            })
            .collect();
        if picked.is_empty() {
            return Err(ApiError::bad_request(
                "nothing_picked",
                Text::new("请先勾选要处理的数据", "tick the values to act on first"),
            ));
        }
        let mut done = 0usize;
        for (unit, element, period, version) in &picked {
            let t = if action == "return" {
                "return".to_owned()
            } else {
                let live = state.live.read().await;
                let row = live
                    .values
                    .get(&(unit.clone(), element.clone(), period.clone()))
                    .cloned();
                let items = row
                    .map(|r| {
                        let locked =
                            Period::parse(period).is_ok_and(|per| live.locked(element, per));
                        crate::api::values::allowed_for(
                            &live,
                            &page.caller.principal,
                            unit,
                            element,
                            Some(&r),
                            locked,
                        )
                    })
                    .unwrap_or_default();
                items
                    .into_iter()
                    .find(|a| matches!(a.as_str(), "approve" | "verify" | "count"))
                    .unwrap_or_else(|| "approve".to_owned())
            };
            let r = crate::api::values::transition(
                State(state.clone()),
                page.caller.clone(),
                ApiPath((unit.clone(), element.clone(), period.clone(), t)),
                Json(TransitionBody {
                    version: *version,
                    reason: reason.clone(),
                }),
            )
            .await;
            if let Err(e) = r {
                let what = format!("{unit} · {element} · {period}");
                return Err(ApiError::new(
                    e.status,
                    e.code,
                    Text::new(
                        format!(
                            "已处理{done}条；“{what}”未处理：{}",
                            problem_text(super::i18n::L(super::i18n::Lang::Zh), &e)
                        ),
                        format!(
                            "{done} done; `{what}` not done: {}",
                            problem_text(super::i18n::L(super::i18n::Lang::En), &e)
                        ),
                    ),
                ));
            }
            done += 1;
        }
        let back = if action == "return" {
            format!("/review?returned={done}")
        } else {
            format!("/review?done={done}")
        };
        Ok(see_other(&back))
    }
    .await;
    page.finish(r)
}
