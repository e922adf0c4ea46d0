//! The review queue page: approve one, approve many at once, or return with a reason; filter
//! by unit, indicator and state. The queue and the moves are [`crate::ops::review`]'s.

use super::{Ctx, Page, render, see_other, state_label, urlencode};
use crate::error::Kind;
use crate::i18n::L;
use crate::ops::review::{Decision, Filter, Item};
use crate::ops::values::ValueKey;
use crate::state::AppState;
use crate::xlsx::Cell;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use jixiao_core::text::Text;
use std::collections::HashSet;

/// How an item's flag reads.
impl Item {
    /// The flag's words: how far, against what.
    pub fn outlier_note(&self, l: &L) -> Option<String> {
        let crate::ops::review::Outlier { z, median: m } = self.outlier?;
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
}

/// The queue's filters and the outcome of the last action, as the page's query carries them.
#[derive(serde::Deserialize, Default, Clone)]
pub struct QueueQuery {
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
    /// Tick every value shown (the "select all" link, which works without JavaScript).
    #[serde(default)]
    pub all: Option<String>,
    /// Tick every value of this unit.
    #[serde(default)]
    pub pick_unit: String,
}

impl QueueQuery {
    /// The filters as a query string, to build links that keep them.
    pub fn query(&self) -> String {
        format!(
            "unit={}&element={}&period={}&state={}",
            urlencode(&self.unit),
            urlencode(&self.element),
            urlencode(&self.period),
            urlencode(&self.state)
        )
    }
}

/// The values of one unit in the queue.
pub struct UnitGroup {
    pub code: String,
    pub name: Text,
    pub items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "review.html")]
struct QueuePage<'a> {
    ctx: &'a Ctx,
    count: usize,
    groups: Vec<UnitGroup>,
    filter: QueueQuery,
    units: Vec<(String, Text)>,
    elements: Vec<(String, Text)>,
    message: Option<String>,
    /// Nothing was done: what went wrong and what to do (styled as an error).
    problem: Option<String>,
    /// The values ticked when the page was sent (kept after a problem or for the confirmation).
    picked: HashSet<String>,
    reason: String,
    /// Moving forward waits for this confirmation: what it will do.
    confirm: Vec<String>,
}

impl QueuePage<'_> {
    fn state(&self, s: &str) -> String {
        state_label(self.ctx.l, s)
    }

    fn in_period(&self, p: &str) -> String {
        self.ctx.l.ta("review-last-period", &[("period", &p)])
    }

    fn checked(&self, i: &Item) -> bool {
        self.picked.contains(&i.key())
            || self.filter.all.is_some()
            || (!self.filter.pick_unit.is_empty() && self.filter.pick_unit == i.row.unit_code)
    }
}

fn grouped(items: Vec<Item>) -> Vec<UnitGroup> {
    let mut groups: Vec<UnitGroup> = Vec::new();
    for i in items {
        match groups.last_mut() {
            Some(g) if g.code == i.row.unit_code => g.items.push(i),
            _ => groups.push(UnitGroup {
                code: i.row.unit_code.clone(),
                name: i.unit_name.clone(),
                items: vec![i],
            }),
        }
    }
    groups
}

/// What the page shows besides the queue itself.
#[derive(Default)]
struct Shown {
    message: Option<String>,
    problem: Option<String>,
    picked: HashSet<String>,
    reason: String,
    confirm: Vec<String>,
}

async fn show(
    page: &Page,
    state: &AppState,
    f: QueueQuery,
    shown: Shown,
) -> crate::error::Result<Response> {
    let filter = Filter {
        unit: f.unit.clone(),
        element: f.element.clone(),
        period: f.period.clone(),
        state: f.state.clone(),
    };
    let q = crate::ops::review::queue(state, &page.caller, &filter).await?;
    let l = page.ctx.l;
    if super::wanted_xlsx(&f.format) {
        return workbook(l, &q.items);
    }
    render(&QueuePage {
        ctx: &page.ctx,
        count: q.items.len(),
        groups: grouped(q.items),
        filter: f,
        units: q.units,
        elements: q.elements,
        message: shown.message,
        problem: shown.problem,
        picked: shown.picked,
        reason: shown.reason,
        confirm: shown.confirm,
    })
}

pub async fn queue(
    page: Page,
    State(state): State<AppState>,
    Query(f): Query<QueueQuery>,
) -> Response {
    let l = page.ctx.l;
    let message = match (f.done, f.returned) {
        (Some(n), _) => Some(l.ta("review-done", &[("count", &n)])),
        (_, Some(n)) => Some(l.ta("review-returned", &[("count", &n)])),
        _ => None,
    };
    let r = show(
        &page,
        &state,
        f,
        Shown {
            message,
            ..Shown::default()
        },
    )
    .await;
    page.finish(r)
}

fn workbook(l: L, items: &[Item]) -> crate::error::Result<Response> {
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
    crate::http::download::xlsx_table(&l.t("review-title"), headers, rows)
}

/// Approves (verifies, counts) the ticked values after a confirmation that says what that
/// does, or returns them with the reason given. A problem (nothing ticked, no reason, someone
/// else acted first) shows the queue again with the problem at the top and the ticks and the
/// reason kept; nothing ends on a bare error page.
pub async fn act(
    page: Page,
    State(state): State<AppState>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        let get = |k: &str| super::field(&pairs, k);
        page.check_csrf(get("_csrf"))?;
        let action = get("action");
        let decision = if action == "return" {
            Decision::Return
        } else {
            Decision::Forward
        };
        let ticked: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k == "pick")
            .map(|(_, v)| v.clone())
            .collect();
        let picked: Vec<(ValueKey, i64)> = ticked
            .iter()
            .filter_map(|v| {
                let mut it = v.split('|');
                let (u, e, p, ver) = (it.next()?, it.next()?, it.next()?, it.next()?);
                Some((ValueKey::new(u, e, p), ver.parse().ok()?))
            })
            .collect();
        let reason = get("reason").trim().to_owned();
        let filter = QueueQuery {
            unit: get("unit").to_owned(),
            element: get("element").to_owned(),
            period: get("period").to_owned(),
            state: get("state").to_owned(),
            ..QueueQuery::default()
        };
        let l = page.ctx.l;
        let kept = |problem: Option<String>, confirm: Vec<String>| Shown {
            message: None,
            problem,
            picked: ticked.iter().cloned().collect(),
            reason: reason.clone(),
            confirm,
        };
        if decision == Decision::Forward && action != "forward-confirmed" && !picked.is_empty() {
            let confirm = crate::ops::review::effects(&state, &page.caller, &picked)
                .await
                .iter()
                .map(|t| l.plain(t).to_owned())
                .collect();
            return show(&page, &state, filter, kept(None, confirm)).await;
        }
        match crate::ops::review::act(&state, &page.caller, decision, &reason, &picked).await {
            Ok(done) => Ok(see_other(&match decision {
                Decision::Return => format!("/review?{}&returned={done}", filter.query()),
                Decision::Forward => format!("/review?{}&done={done}", filter.query()),
            })),
            Err(e) if e.kind == Kind::Internal => Err(e),
            Err(e) => {
                let status = crate::http::status_of(e.kind);
                let mut problem = crate::i18n::problem_text(l, &e);
                if e.kind == Kind::Conflict {
                    problem = format!("{problem} {}", l.t("review-conflict-next"));
                }
                let mut resp = show(&page, &state, filter, kept(Some(problem), Vec::new())).await?;
                *resp.status_mut() = status;
                Ok(resp)
            }
        }
    }
    .await;
    page.finish(r)
}
