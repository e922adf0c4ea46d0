//! Reporting and review of values: save a draft, submit, approve, verify, count, return with a
//! reason; evidence files. Every move is checked against the workflow (illegal: 409 with the
//! current state), the caller's scope, the period's lock and the row's version (two people at
//! once: one wins, the other gets 409 and the current row). Counting a value updates the live
//! results inside the request.

use crate::api::extract::Json;
use crate::api::extract::Path;
use crate::api::extract::Query;
use crate::api::units::allow;
use crate::api::{List, PageQuery};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::live::Live;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Multipart, State};

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jixiao_core::Decimal;
use jixiao_core::access::{Action, Principal, Role, can};
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use jixiao_core::workflow::{Route, Transition, ValueState, allowed, next};
use jixiao_store::evidence::EvidenceRow;
use jixiao_store::values::{Content, Key, ValueRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A value as a caller sees it: the row, what they may do with it now, and its evidence.
#[derive(Serialize, ToSchema)]
pub struct ValueView {
    pub unit: String,
    pub element: String,
    pub period: String,
    /// `null` when nothing has been entered yet.
    pub row: Option<ValueRow>,
    /// Transitions this caller may make now (`save`, `submit`, …).
    pub allowed: Vec<String>,
    /// A closed period locks the value.
    pub locked: bool,
    /// Past the period's deadline and not yet submitted.
    pub overdue: bool,
    pub evidence: Vec<EvidenceRow>,
}

/// What a change did to the live results.
#[derive(Serialize, ToSchema, Default)]
pub struct Effect {
    /// Units whose total changed (in any scheme and tracked period).
    pub totals_changed: Vec<String>,
    /// Units whose rank or grade changed.
    pub standings_changed: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Changed {
    pub value: ValueView,
    pub effect: Effect,
}

fn route(live: &Live, element: &str) -> Route {
    live.sources
        .get(element)
        .map_or(Route::Unit, |s| Route::of(*s))
}

fn action_for<'a>(
    t: Transition,
    unit: &'a str,
    element: &'a str,
    state: Option<ValueState>,
) -> Action<'a> {
    match t {
        Transition::Save | Transition::Submit => Action::EditValue { unit, element },
        Transition::Approve => Action::ApproveValue { unit, element },
        Transition::Verify => Action::VerifyValue { unit, element },
        Transition::Count => Action::CountValue,
        Transition::Return => Action::ReturnValue {
            unit,
            element,
            state: state.unwrap_or(ValueState::Draft),
        },
    }
}

fn state_of(row: Option<&ValueRow>) -> Option<ValueState> {
    row.and_then(|r| ValueState::parse(&r.state))
}

/// Transitions the caller may make from the row's state.
pub(crate) fn allowed_for(
    live: &Live,
    p: &Principal,
    unit: &str,
    element: &str,
    row: Option<&ValueRow>,
    locked: bool,
) -> Vec<String> {
    if locked {
        return Vec::new();
    }
    let st = state_of(row);
    allowed(st, route(live, element))
        .into_iter()
        .filter(|t| can(p, action_for(*t, unit, element, st), live))
        .map(|t| t.code().to_owned())
        .collect()
}

fn overdue(live: &Live, element: &str, period: &str, row: Option<&ValueRow>) -> bool {
    let submitted =
        state_of(row).is_some_and(|s| s != ValueState::Draft && s != ValueState::Returned);
    let now = jixiao_store::now();
    !submitted
        && live.periods.iter().any(|p| {
            p.period == period
                && p.deadline.as_deref().is_some_and(|d| d < now.as_str())
                && live
                    .schemes
                    .get(&p.scheme_code)
                    .is_some_and(|s| s.model.element(element).is_some())
        })
}

async fn view(
    state: &AppState,
    caller: &Caller,
    unit: &str,
    element: &str,
    period: &str,
    row: Option<ValueRow>,
) -> ApiResult<ValueView> {
    let evidence = match &row {
        Some(r) => jixiao_store::evidence::of(&state.store, "value", r.id).await?,
        None => Vec::new(),
    };
    let live = state.live.read().await;
    let locked = Period::parse(period).is_ok_and(|p| live.locked(element, p));
    Ok(ValueView {
        unit: unit.into(),
        element: element.into(),
        period: period.into(),
        allowed: allowed_for(
            &live,
            &caller.principal,
            unit,
            element,
            row.as_ref(),
            locked,
        ),
        locked,
        overdue: overdue(&live, element, period, row.as_ref()),
        row,
        evidence,
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ValueQuery {
    pub unit: Option<String>,
    /// One element or several, comma-separated.
    pub element: Option<String>,
    pub period: Option<String>,
    pub state: Option<String>,
}

/// Values the caller may see, filtered and paginated.
#[utoipa::path(get, path = "/values", tag = "values", params(ValueQuery, PageQuery), responses((status = 200, body = List<ValueRow>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ValueQuery>,
    Query(pq): Query<PageQuery>,
) -> ApiResult<Json<List<ValueRow>>> {
    caller.require_signed_in()?;
    let p = &caller.principal;
    let mut f = jixiao_store::values::Filter {
        unit: q.unit.unwrap_or_default(),
        element: q.element.unwrap_or_default(),
        period: q.period.unwrap_or_default(),
        state: q.state.unwrap_or_default(),
        root: String::new(),
    };
    match p.role {
        Role::Admin | Role::Office | Role::Finance | Role::Leader => {}
        Role::LeadReviewer => {
            // The elements this department leads (and within them, what was asked for).
            let live = state.live.read().await;
            let mine: Vec<String> = live
                .leads
                .iter()
                .filter(|(_, d)| Some(d.as_str()) == p.unit.as_deref())
                .map(|(e, _)| e.clone())
                .collect();
            let asked: Vec<String> = f
                .element
                .split(',')
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect();
            let allowed: Vec<String> = if asked.is_empty() {
                mine
            } else {
                asked.into_iter().filter(|e| mine.contains(e)).collect()
            };
            f.element = if allowed.is_empty() {
                "\u{0}".into()
            } else {
                allowed.join(",")
            };
        }
        Role::Reporter | Role::UnitLeader | Role::Evaluator | Role::Inspector => {
            f.root = p.unit.clone().unwrap_or_default();
            if let Some(items) = &p.items {
                let asked: Vec<&str> = f.element.split(',').filter(|e| !e.is_empty()).collect();
                let allowed: Vec<&str> = items
                    .iter()
                    .map(String::as_str)
                    .filter(|i| asked.is_empty() || asked.contains(i))
                    .collect();
                f.element = if allowed.is_empty() {
                    "\u{0}".into()
                } else {
                    allowed.join(",")
                };
            }
        }
        Role::Feed => return Err(ApiError::forbidden()),
        Role::Public => return Err(ApiError::unauthorized()),
    }
    let page = pq.page();
    let (total, items) = jixiao_store::values::list(&state.store, &f, page).await?;
    Ok(Json(List::new(total, page, items)))
}

/// One value (or an empty slot, with what the caller may do with it).
#[utoipa::path(get, path = "/values/{unit}/{element}/{period}", tag = "values", params(("unit" = String, Path), ("element" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = ValueView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((unit, element, period)): Path<(String, String, String)>,
) -> ApiResult<Json<ValueView>> {
    // Permission first: whether an element exists or is computed is not for everyone to learn.
    allow(
        &state,
        &caller,
        Action::ReadValue {
            unit: &unit,
            element: &element,
        },
    )
    .await?;
    known(&state, &unit, &element, &period).await?;
    let mut conn = state
        .store
        .pool
        .acquire()
        .await
        .map_err(jixiao_store::StoreError::from)?;
    let row = jixiao_store::values::get(&mut conn, &unit, &element, &period).await?;
    Ok(Json(
        view(&state, &caller, &unit, &element, &period, row).await?,
    ))
}

/// The unit is open and assessed by a scheme that reads the element, which is reported (not
/// computed), for a valid period.
pub(crate) async fn known(
    state: &AppState,
    unit: &str,
    element: &str,
    period: &str,
) -> ApiResult<()> {
    known_in(&*state.live.read().await, unit, element, period)
}

/// [`known`] on results the caller already holds (bulk imports check many rows under one lock).
pub(crate) fn known_in(live: &Live, unit: &str, element: &str, period: &str) -> ApiResult<()> {
    let p = Period::parse(period).map_err(|_| ApiError::not_found("期间", "period"))?;
    let scheme = live.schemes_using(element).find(|s| {
        s.model
            .unit(unit)
            .and_then(|u| s.model.class_of(u))
            .is_some()
    });
    let Some(s) = scheme else {
        return Err(ApiError::not_found("数据项或单位", "element or unit"));
    };
    let e = s
        .model
        .element(element)
        .map(|e| &s.model.elements[e as usize]);
    if e.is_some_and(|e| e.formula.is_some()) {
        return Err(ApiError::bad_request(
            "computed",
            Text::new(
                format!("“{element}”是计算数据项，不能填报"),
                format!("`{element}` is computed and cannot be reported"),
            ),
        ));
    }
    if let Some(e) = e.filter(|e| e.def.frequency != p.granularity()) {
        let f = e.def.frequency.name();
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            Text::new(
                format!("“{element}”按{}填报，没有“{p}”这一期", f.zh),
                format!(
                    "`{element}` is reported per {}; there is no value for {p}",
                    f.en
                ),
            ),
        ));
    }
    let year = i64::from(p.year_number());
    if year != s.row.year && year + 1 != s.row.year {
        let y = s.row.year;
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            Text::new(
                format!("期间{p}不在方案“{}”的年度{y}（或上年同期）内", s.row.code),
                format!(
                    "period {p} is outside the year {y} of scheme `{}` (and the year before)",
                    s.row.code
                ),
            ),
        ));
    }
    Ok(())
}

fn conflict(current: Option<&ValueRow>, allowed: Vec<String>) -> ApiError {
    ApiError::conflict(
        "version_conflict",
        Text::new(
            "该数值已被他人修改，请刷新后重试",
            "someone else changed this value; reload and try again",
        ),
    )
    .with(serde_json::json!({ "current": current, "allowed": allowed }))
}

fn illegal(t: Transition, current: Option<&ValueRow>, allowed: Vec<String>) -> ApiError {
    let st = state_of(current).map_or_else(|| Text::new("未填报", "not entered"), ValueState::name);
    ApiError::conflict(
        "illegal_transition",
        Text::new(
            format!("当前状态为“{}”，不能执行“{}”", st.zh, t.code()),
            format!("the value is {}; `{}` is not possible now", st.en, t.code()),
        ),
    )
    .with(serde_json::json!({ "current": current, "allowed": allowed }))
}

fn locked_err(period: &str) -> ApiError {
    ApiError::conflict(
        "period_closed",
        Text::new(
            format!("期间{period}已关闭，数值已锁定；如需修改请考核办重新开放"),
            format!(
                "period {period} is closed and its values are locked; the office must reopen it"
            ),
        ),
    )
}

#[derive(Deserialize, ToSchema)]
pub struct SaveBody {
    /// The number as text (exact), e.g. "96.5"; a percentage may end in %.
    pub value: String,
    #[serde(default)]
    pub note: String,
    /// The version you edited; omit when entering a new value.
    pub version: Option<i64>,
}

/// Checks a number against the element's rules; the problem names the field.
pub(crate) async fn parse_value(state: &AppState, element: &str, text: &str) -> ApiResult<Decimal> {
    parse_value_in(&*state.live.read().await, element, text)
}

/// [`parse_value`] on results the caller already holds.
pub(crate) fn parse_value_in(live: &Live, element: &str, text: &str) -> ApiResult<Decimal> {
    let Some((_, e)) = live.element(element) else {
        return Err(ApiError::not_found("数据项", "element"));
    };
    let t = text.trim();
    let (num, pct) = match t.strip_suffix(['%', '％']) {
        Some(n) => (n, true),
        None => (t, false),
    };
    let problem = |msg: Text| {
        let mut issues = Issues::new();
        issues.push(Issue::error(
            "bad_value",
            "request",
            Location::path("value"),
            msg,
        ));
        ApiError::invalid(&issues)
    };
    let Some(v) = jixiao_core::data::parse_number(num) else {
        return Err(problem(Text::new(
            format!("“{t}”不是数字"),
            format!("`{t}` is not a number"),
        )));
    };
    if pct && e.def.kind != jixiao_core::scheme::ValueKind::Percent {
        return Err(problem(Text::new(
            "该数据项不是百分比，不能带%",
            "this element is not a percentage; write it without %",
        )));
    }
    if let Some(msg) = jixiao_core::values::range_problem(&e.def, v) {
        return Err(problem(msg));
    }
    Ok(v)
}

/// Save a draft (create it, or change the number of a draft or a returned value).
#[utoipa::path(put, path = "/values/{unit}/{element}/{period}", tag = "values", params(("unit" = String, Path), ("element" = String, Path), ("period" = String, Path)), request_body = SaveBody,
    responses((status = 200, body = Changed), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn save(
    State(state): State<AppState>,
    caller: Caller,
    Path((unit, element, period)): Path<(String, String, String)>,
    Json(b): Json<SaveBody>,
) -> ApiResult<Json<Changed>> {
    allow(
        &state,
        &caller,
        Action::EditValue {
            unit: &unit,
            element: &element,
        },
    )
    .await?;
    known(&state, &unit, &element, &period).await?;
    let v = parse_value(&state, &element, &b.value).await?;
    apply(
        &state,
        &caller,
        &unit,
        &element,
        &period,
        Transition::Save,
        b.version,
        Some((v, b.note)),
        "",
    )
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct TransitionBody {
    /// The version you acted on.
    pub version: i64,
    /// Required to return a value.
    #[serde(default)]
    pub reason: String,
}

/// Submit, approve, verify, count or return a value.
#[utoipa::path(post, path = "/values/{unit}/{element}/{period}/{transition}", tag = "values",
    params(("unit" = String, Path), ("element" = String, Path), ("period" = String, Path), ("transition" = String, Path, description = "submit, approve, verify, count or return")), request_body = TransitionBody,
    responses((status = 200, body = Changed), (status = 409, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 400, body = crate::error::Problem)))]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path((unit, element, period, t)): Path<(String, String, String, String)>,
    Json(b): Json<TransitionBody>,
) -> ApiResult<Json<Changed>> {
    let t = Transition::parse(&t)
        .filter(|t| *t != Transition::Save)
        .ok_or_else(|| ApiError::not_found("操作", "transition"))?;
    caller.require_signed_in()?;
    known(&state, &unit, &element, &period).await?;
    if t == Transition::Return && b.reason.trim().is_empty() {
        return Err(ApiError::bad_request(
            "reason_required",
            Text::new("退回时请写明原因", "say why the value is returned"),
        ));
    }
    if t == Transition::Submit {
        // Checks between elements at error level stop the submission (warnings go on as
        // flags for the reviewers).
        let live = state.live.read().await;
        let p = Period::parse(&period).map_err(|_| ApiError::not_found("期间", "period"))?;
        let failed: Vec<_> = live
            .failed_checks(&unit, &element, p, &|_, _| None)
            .into_iter()
            .filter(|c| c.level == jixiao_core::scheme::CheckLevel::Error)
            .collect();
        if !failed.is_empty() {
            let mut issues = Issues::new();
            for c in &failed {
                issues.push(Issue::error(
                    "check_failed",
                    "request",
                    Location::path(format!("checks.{}", c.code)),
                    Text::new(
                        format!("数据校验未通过：{}（{}）", c.name.zh, c.rule),
                        format!(
                            "a check between numbers fails: {} ({})",
                            if c.name.en.is_empty() {
                                &c.name.zh
                            } else {
                                &c.name.en
                            },
                            c.rule
                        ),
                    ),
                ));
            }
            return Err(ApiError::invalid(&issues));
        }
    }
    apply(
        &state,
        &caller,
        &unit,
        &element,
        &period,
        t,
        Some(b.version),
        None,
        &b.reason,
    )
    .await
}

/// Whether a verified value counts at once: the setting of the finest tracked period that
/// contains it (a quarter's own setting wins over its year's); counts when none is tracked.
fn auto_count(live: &Live, element: &str, period: Period) -> bool {
    let rows: Vec<_> = live
        .periods
        .iter()
        .filter(|p| {
            live.schemes
                .get(&p.scheme_code)
                .is_some_and(|s| s.model.element(element).is_some())
        })
        .filter_map(|p| {
            Period::parse(&p.period)
                .ok()
                .filter(|q| q.contains(period))
                .map(|q| (q.granularity(), p.auto_count))
        })
        .collect();
    let Some(finest) = rows.iter().map(|(g, _)| *g).max() else {
        return true;
    };
    rows.iter().any(|(g, auto)| *g == finest && *auto)
}

#[allow(clippy::too_many_arguments)]
async fn apply(
    state: &AppState,
    caller: &Caller,
    unit: &str,
    element: &str,
    period: &str,
    t: Transition,
    version: Option<i64>,
    new_value: Option<(Decimal, String)>,
    reason: &str,
) -> ApiResult<Json<Changed>> {
    let p = Period::parse(period).map_err(|_| ApiError::not_found("期间", "period"))?;
    let mut tx = state.store.write().await?;
    let current = jixiao_store::values::get(&mut tx, unit, element, period).await?;
    let (rt, locked, counts) = {
        let live = state.live.read().await;
        (
            route(&live, element),
            live.locked(element, p),
            auto_count(&live, element, p),
        )
    };
    let allowed_now = {
        let live = state.live.read().await;
        allowed_for(
            &live,
            &caller.principal,
            unit,
            element,
            current.as_ref(),
            locked,
        )
    };
    if locked {
        return Err(locked_err(period));
    }
    let st = state_of(current.as_ref());
    allow(state, caller, action_for(t, unit, element, st)).await?;
    if current.is_some() && version != current.as_ref().map(|c| c.version) {
        return Err(conflict(current.as_ref(), allowed_now));
    }
    let Some(to) = next(st, t, rt) else {
        return Err(illegal(t, current.as_ref(), allowed_now));
    };
    let actor = &caller.actor;
    let action = format!("value.{}", t.code());
    let mut row = match (&current, &new_value) {
        (None, Some((v, note))) => {
            jixiao_store::values::insert(
                &mut tx,
                actor,
                Key {
                    unit,
                    element,
                    period,
                },
                Content {
                    value: &v.normalize().to_string(),
                    note,
                    state: to.code(),
                    return_reason: "",
                },
            )
            .await?
        }
        (None, None) => return Err(illegal(t, None, allowed_now)),
        (Some(c), _) => {
            let (value, note) = match &new_value {
                Some((v, n)) => (v.normalize().to_string(), n.clone()),
                None => (c.value.clone(), c.note.clone()),
            };
            let keep_reason = if t == Transition::Return { reason } else { "" };
            match jixiao_store::values::update(
                &mut tx,
                actor,
                c,
                &action,
                Content {
                    value: &value,
                    note: &note,
                    state: to.code(),
                    return_reason: keep_reason,
                },
            )
            .await?
            {
                Some(r) => r,
                None => {
                    // Someone else's change committed after we read the row (PostgreSQL lets
                    // both read it): tell the loser what the value is now, not what it was.
                    let now = jixiao_store::values::get(&mut tx, unit, element, period).await?;
                    let allowed_now = {
                        let live = state.live.read().await;
                        allowed_for(
                            &live,
                            &caller.principal,
                            unit,
                            element,
                            now.as_ref(),
                            locked,
                        )
                    };
                    return Err(conflict(now.as_ref(), allowed_now));
                }
            }
        }
    };
    if to == ValueState::Verified && counts {
        let counted = jixiao_store::values::update(
            &mut tx,
            actor,
            &row,
            "value.count",
            Content {
                value: &row.value,
                note: &row.note,
                state: ValueState::Counted.code(),
                return_reason: "",
            },
        )
        .await?;
        row = counted
            .ok_or_else(|| ApiError::internal(&"the row changed inside its own transaction"))?;
    }
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    let effect = {
        let mut live = state.live.write().await;
        let before = standings(&live, element);
        live.apply(&row);
        let after = standings(&live, element);
        diff(&live, element, &before, &after)
    };
    let v = view(state, caller, unit, element, period, Some(row)).await?;
    Ok(Json(Changed { value: v, effect }))
}

/// Every unit's (total, rank, grade), in the results' own order, for each tracked period and
/// kind of the schemes that read an element: what one change of that element can move.
type Standing = Vec<Vec<(u32, Option<Decimal>, Option<u32>, Option<u16>)>>;

fn standings(live: &Live, element: &str) -> Standing {
    let mut out = Vec::new();
    for s in live.schemes_using(element) {
        for t in s.periods.values() {
            for sc in [&t.official, &t.provisional] {
                let mut rows = Vec::with_capacity(s.model.units.len());
                for cs in &sc.classes {
                    let members = &s.model.classes[cs.class as usize].members;
                    for (m, u) in cs.units.iter().enumerate() {
                        rows.push((members[m], u.total, u.rank, u.grade));
                    }
                }
                out.push(rows);
            }
        }
    }
    out
}

/// The units whose total, or rank or grade, differ between two snapshots of the same results.
fn diff(live: &Live, element: &str, a: &Standing, b: &Standing) -> Effect {
    let mut totals = std::collections::BTreeSet::new();
    let mut standing = std::collections::BTreeSet::new();
    let models: Vec<_> = live
        .schemes_using(element)
        .flat_map(|s| std::iter::repeat_n(&s.model, s.periods.len() * 2))
        .collect();
    for ((before, after), model) in a.iter().zip(b).zip(models) {
        for (x, y) in before.iter().zip(after) {
            let code = || model.units[y.0 as usize].code.to_string();
            if x.1 != y.1 {
                totals.insert(code());
            }
            if x.2 != y.2 || x.3 != y.3 {
                standing.insert(code());
            }
        }
    }
    Effect {
        totals_changed: totals.into_iter().collect(),
        standings_changed: standing.into_iter().collect(),
    }
}

/// Attach an evidence file to a value (multipart field `file`).
#[utoipa::path(post, path = "/values/{unit}/{element}/{period}/evidence", tag = "values", params(("unit" = String, Path), ("element" = String, Path), ("period" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = EvidenceRow), (status = 413, body = crate::error::Problem), (status = 415, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn upload_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path((unit, element, period)): Path<(String, String, String)>,
    mut form: Multipart,
) -> ApiResult<(StatusCode, Json<EvidenceRow>)> {
    allow(
        &state,
        &caller,
        Action::EditValue {
            unit: &unit,
            element: &element,
        },
    )
    .await?;
    let mut conn = state
        .store
        .pool
        .acquire()
        .await
        .map_err(jixiao_store::StoreError::from)?;
    let row = jixiao_store::values::get(&mut conn, &unit, &element, &period)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("数值（请先保存数值再上传佐证）", "value (save it first)")
        })?;
    drop(conn);
    let (name, mime, bytes) = read_file(&state, &mut form).await?;
    let sha = store_file(&state, &bytes).await?;
    let key = format!("{unit}/{element}/{period}");
    let mut tx = state.store.write().await?;
    let ev = jixiao_store::evidence::attach(
        &mut tx,
        &caller.actor,
        "value",
        row.id,
        &key,
        &sha,
        bytes.len() as i64,
        &mime,
        &name,
    )
    .await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    Ok((StatusCode::CREATED, Json(ev)))
}

/// Reads the `file` field, checking size and type (by its first bytes, not only its name).
pub async fn read_file(
    state: &AppState,
    form: &mut Multipart,
) -> ApiResult<(String, String, Bytes)> {
    let max = state.config.max_evidence_mib * 1024 * 1024;
    while let Some(field) = form.next_field().await.map_err(|e| {
        ApiError::bad_request(
            "bad_upload",
            Text::new(
                format!("上传内容无法读取：{e}"),
                format!("the upload cannot be read: {e}"),
            ),
        )
    })? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .unwrap_or("file")
            .chars()
            .filter(|c| !c.is_control() && !"/\\".contains(*c))
            .take(200)
            .collect::<String>();
        let declared = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = field.bytes().await.map_err(|_| too_large(max))?;
        if bytes.len() as u64 > max {
            return Err(too_large(max));
        }
        let sniffed = sniff(&bytes, &declared);
        if !state.config.evidence_types.iter().any(|t| t == &sniffed) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                Text::new(
                    format!("不支持的文件类型（{sniffed}）；可上传 PDF、图片、Excel、Word 或文本"),
                    format!(
                        "file type {sniffed} is not accepted; upload PDF, images, Excel, Word or text"
                    ),
                ),
            ));
        }
        return Ok((name, sniffed, bytes));
    }
    Err(ApiError::bad_request(
        "no_file",
        Text::new(
            "请在 file 字段中上传文件",
            "send the file in the `file` field",
        ),
    ))
}

fn too_large(max: u64) -> ApiError {
    let mib = max / 1024 / 1024;
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        Text::new(
            format!("文件超过{mib} MB的上限"),
            format!("the file exceeds the {mib} MiB limit"),
        ),
    )
}

/// The type a file really is, from its first bytes; text files keep their declared type.
fn sniff(b: &[u8], declared: &str) -> String {
    let office = b.starts_with(b"PK\x03\x04")
        && (declared.contains("spreadsheet") || declared.contains("wordprocessing"));
    let text =
        std::str::from_utf8(b).is_ok() && (declared == "text/plain" || declared == "text/csv");
    if b.starts_with(b"%PDF-") {
        "application/pdf".into()
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png".into()
    } else if b.starts_with(b"\xFF\xD8\xFF") {
        "image/jpeg".into()
    } else if office || text {
        declared.to_owned()
    } else {
        "application/octet-stream".into()
    }
}

/// Keeps a file by its content hash under the data directory; returns the hash.
pub async fn store_file(state: &AppState, bytes: &[u8]) -> ApiResult<String> {
    let sha = jixiao_store::sha256_hex(bytes);
    let dir = state.config.data_dir.join("evidence").join(&sha[..2]);
    let path = dir.join(&sha);
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        let tmp = dir.join(format!("{sha}.tmp"));
        tokio::fs::write(&tmp, bytes)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| ApiError::internal(&e))?;
    }
    Ok(sha)
}

/// Download an evidence file, if the caller may see a value or appeal it belongs to.
#[utoipa::path(get, path = "/evidence/{sha256}", tag = "values", params(("sha256" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = crate::error::Problem)))]
pub async fn download_evidence(
    State(state): State<AppState>,
    caller: Caller,
    Path(sha): Path<String>,
) -> ApiResult<Response> {
    caller.require_signed_in()?;
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::not_found("文件", "file"));
    }
    let uses = jixiao_store::evidence::by_hash(&state.store, &sha).await?;
    let mut permitted = None;
    for e in &uses {
        let ok = match e.owner_kind.as_str() {
            "value" => {
                let mut conn = state
                    .store
                    .pool
                    .acquire()
                    .await
                    .map_err(jixiao_store::StoreError::from)?;
                match jixiao_store::values::by_id(&mut conn, e.owner_id).await? {
                    Some(v) => can(
                        &caller.principal,
                        Action::ReadValue {
                            unit: &v.unit_code,
                            element: &v.element,
                        },
                        &*state.live.read().await,
                    ),
                    None => false,
                }
            }
            "appeal" => {
                let mut conn = state
                    .store
                    .pool
                    .acquire()
                    .await
                    .map_err(jixiao_store::StoreError::from)?;
                match jixiao_store::appeals::get(&mut conn, e.owner_id).await? {
                    Some(a) => can(
                        &caller.principal,
                        Action::ReadUnit { unit: &a.unit_code },
                        &*state.live.read().await,
                    ),
                    None => false,
                }
            }
            _ => false,
        };
        if ok {
            permitted = Some(e);
            break;
        }
    }
    // Not allowed looks the same as not there.
    let e = permitted.ok_or_else(|| ApiError::not_found("文件", "file"))?;
    let path = state
        .config
        .data_dir
        .join("evidence")
        .join(&sha[..2])
        .join(&sha);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| ApiError::not_found("文件", "file"))?;
    let disposition = format!("attachment; filename*=UTF-8''{}", percent(&e.filename));
    Ok((
        [
            (header::CONTENT_TYPE, e.mime.clone()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
