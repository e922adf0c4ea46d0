//! The review queue page: approve one, approve many at once, or return with a reason; filter
//! by unit, indicator and state. The queue and the moves are [`crate::ops::review`]'s.

use super::{Ctx, Page, render, see_other, state_label};
use crate::i18n::L;
use crate::ops::review::{Decision, Filter, Item};
use crate::ops::values::ValueKey;
use crate::state::AppState;
use crate::xlsx::Cell;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use jixiao_core::text::Text;

/// How an item's flag reads.
impl Item {
    /// The flag's words: how far, against what.
    pub fn outlier_note(&self, l: &L) -> Option<String> {
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
}

#[derive(Template)]
#[template(path = "review.html")]
struct QueuePage<'a> {
    ctx: &'a Ctx,
    items: Vec<Item>,
    filter: QueueQuery,
    units: Vec<(String, Text)>,
    elements: Vec<(String, Text)>,
    message: Option<String>,
}

impl QueuePage<'_> {
    fn state(&self, s: &str) -> String {
        state_label(self.ctx.l, s)
    }
}

pub async fn queue(
    page: Page,
    State(state): State<AppState>,
    Query(f): Query<QueueQuery>,
) -> Response {
    let r = async {
        let filter = Filter {
            unit: f.unit.clone(),
            element: f.element.clone(),
            period: f.period.clone(),
            state: f.state.clone(),
        };
        let q = crate::ops::review::queue(&state, &page.caller, &filter).await?;
        let l = page.ctx.l;
        if super::wanted_xlsx(&f.format) {
            return workbook(l, &q.items);
        }
        let message = match (f.done, f.returned) {
            (Some(n), _) => Some(l.ta("review-done", &[("count", &n)])),
            (_, Some(n)) => Some(l.ta("review-returned", &[("count", &n)])),
            _ => None,
        };
        render(&QueuePage {
            ctx: &page.ctx,
            items: q.items,
            filter: f,
            units: q.units,
            elements: q.elements,
            message,
        })
    }
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

/// Approves (verifies, counts) the ticked values, or returns them with the reason given.
pub async fn act(
    page: Page,
    State(state): State<AppState>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let r = async {
        let get = |k: &str| super::field(&pairs, k);
        page.check_csrf(get("_csrf"))?;
        let decision = if get("action") == "return" {
            Decision::Return
        } else {
            Decision::Forward
        };
        let picked: Vec<(ValueKey, i64)> = pairs
            .iter()
            .filter(|(k, _)| k == "pick")
            .filter_map(|(_, v)| {
                let mut it = v.split('|');
                let (u, e, p, ver) = (it.next()?, it.next()?, it.next()?, it.next()?);
                Some((ValueKey::new(u, e, p), ver.parse().ok()?))
            })
            .collect();
        let reason = get("reason").trim();
        let done = crate::ops::review::act(&state, &page.caller, decision, reason, &picked).await?;
        Ok(see_other(&match decision {
            Decision::Return => format!("/review?returned={done}"),
            Decision::Forward => format!("/review?done={done}"),
        }))
    }
    .await;
    page.finish(r)
}
