//! The review queue over HTTP: see [`crate::ops::review`]. The page and these share one
//! operation, so a program can approve or return many values in one request.

use crate::api::extract::{Json, Query};
use crate::error::Result;
use crate::http::Problem;
use crate::ops::Caller;
use crate::ops::review::{Decision, Filter, Queue};
use crate::ops::values::ValueKey;
use crate::state::AppState;
use axum::extract::State;

/// Every value waiting for the caller to move forward (approve, verify or count), with what a
/// reviewer decides by: the indicator, its target and computed rate, the period before,
/// evidence, checks between elements it fails and how far it lies from the unit's history.
#[utoipa::path(get, path = "/review", tag = "values", params(Filter),
    responses((status = 200, body = Queue), (status = 401, body = Problem)))]
pub async fn queue(
    State(state): State<AppState>,
    caller: Caller,
    Query(f): Query<Filter>,
) -> Result<Json<Queue>> {
    Ok(Json(crate::ops::review::queue(&state, &caller, &f).await?))
}

/// A value picked in the queue, at the version the reviewer saw.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct Picked {
    pub unit: String,
    pub element: String,
    pub period: String,
    pub version: i64,
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ActBody {
    /// `forward` (approve, verify or count — whichever the caller may) or `return`.
    pub action: String,
    /// Required to return.
    #[serde(default)]
    pub reason: String,
    pub values: Vec<Picked>,
    /// One transaction: every value moves or none does (the first that cannot is named).
    /// Default: each value in its own, stopping at the first that cannot.
    #[serde(default)]
    pub all_or_nothing: bool,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Acted {
    /// How many values moved.
    pub done: usize,
}

/// Moves many values at once. With `all_or_nothing`, in one transaction: all move or none (the
/// first that cannot is named). Otherwise each in its own transaction with its version checked:
/// when one cannot move (someone else acted first: 409) the answer says how many were done
/// before it and which value was not; those before it stay done.
#[utoipa::path(post, path = "/review", tag = "values", request_body = ActBody,
    responses((status = 200, body = Acted), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<ActBody>,
) -> Result<Json<Acted>> {
    let decision = match b.action.as_str() {
        "forward" => Decision::Forward,
        "return" => Decision::Return,
        other => {
            return Err(crate::error::Error::bad_request(
                "bad_action",
                jixiao_core::text::Text::new(
                    format!("action 只能是 forward 或 return，收到“{other}”"),
                    format!("action must be forward or return, not `{other}`"),
                ),
            ));
        }
    };
    let picked: Vec<(ValueKey, i64)> = b
        .values
        .iter()
        .map(|p| (ValueKey::new(&p.unit, &p.element, &p.period), p.version))
        .collect();
    let done = if b.all_or_nothing {
        crate::ops::review::act_together(&state, &caller, decision, &b.reason, &picked).await?
    } else {
        crate::ops::review::act(&state, &caller, decision, &b.reason, &picked).await?
    };
    Ok(Json(Acted { done }))
}
