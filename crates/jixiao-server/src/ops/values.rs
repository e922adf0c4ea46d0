//! The life of a reported value: save a draft, submit, approve, verify, count, return with a
//! reason. Every move is checked against the workflow (an illegal move is a conflict naming the
//! current state), the caller's scope, the period's lock and the row's version (two people at
//! once: one wins, the other is told the current row). Counting a value updates the live
//! results inside the operation, so every read afterwards is current.

use crate::error::{Error, Kind, Result};
use crate::live::Live;
use crate::ops::{Caller, List, allow, commit};
use crate::state::AppState;
use jixiao_core::Decimal;
use jixiao_core::access::{Action, Principal, can};
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use jixiao_core::workflow::{Route, Transition, ValueState, allowed, next};
use jixiao_store::evidence::EvidenceRow;
use jixiao_store::values::{Content, Key, ValueRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which value: a unit's number of a data element for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueKey {
    pub unit: String,
    pub element: String,
    pub period: String,
}

impl ValueKey {
    pub fn new(unit: &str, element: &str, period: &str) -> ValueKey {
        ValueKey {
            unit: unit.to_owned(),
            element: element.to_owned(),
            period: period.to_owned(),
        }
    }
}

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
pub fn allowed_for(
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

/// What the caller may do with a stored value now (none when its period is closed).
pub fn allowed_now(live: &Live, p: &Principal, row: &ValueRow) -> Vec<String> {
    let locked = Period::parse(&row.period).is_ok_and(|per| live.locked(&row.element, per));
    allowed_for(live, p, &row.unit_code, &row.element, Some(row), locked)
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
    key: &ValueKey,
    row: Option<ValueRow>,
) -> Result<ValueView> {
    let evidence = match &row {
        Some(r) => jixiao_store::evidence::of(&state.store, "value", r.id).await?,
        None => Vec::new(),
    };
    Ok(view_with(
        &*state.live.read().await,
        caller,
        key,
        row,
        evidence,
    ))
}

fn view_with(
    live: &Live,
    caller: &Caller,
    key: &ValueKey,
    row: Option<ValueRow>,
    evidence: Vec<EvidenceRow>,
) -> ValueView {
    let locked = Period::parse(&key.period).is_ok_and(|p| live.locked(&key.element, p));
    ValueView {
        unit: key.unit.clone(),
        element: key.element.clone(),
        period: key.period.clone(),
        allowed: allowed_for(
            live,
            &caller.principal,
            &key.unit,
            &key.element,
            row.as_ref(),
            locked,
        ),
        locked,
        overdue: overdue(live, &key.element, &key.period, row.as_ref()),
        row,
        evidence,
    }
}

/// Which values to list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ValueQuery {
    pub unit: Option<String>,
    /// One element or several, comma-separated.
    pub element: Option<String>,
    pub period: Option<String>,
    pub state: Option<String>,
}

/// Values the caller may see, filtered and paginated.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    q: &ValueQuery,
    page: jixiao_store::Page,
) -> Result<List<ValueRow>> {
    use jixiao_core::access::Role;
    allow(state, caller, Action::ListValues).await?;
    let p = &caller.principal;
    let mut f = jixiao_store::values::Filter {
        unit: q.unit.clone().unwrap_or_default(),
        element: q.element.clone().unwrap_or_default(),
        period: q.period.clone().unwrap_or_default(),
        state: q.state.clone().unwrap_or_default(),
        root: String::new(),
    };
    // Narrow the filter to the caller's scope.
    match p.role {
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
        _ => {}
    }
    let (total, items) = jixiao_store::values::list(&state.store, &f, page).await?;
    Ok(List::new(total, page, items))
}

/// Every value the caller may see, filtered like [`list`] (which it pages through).
pub async fn visible(state: &AppState, caller: &Caller, q: &ValueQuery) -> Result<Vec<ValueRow>> {
    crate::ops::all_pages(i64::MAX, |page| list(state, caller, q, page)).await
}

/// One value (or an empty slot, with what the caller may do with it).
pub async fn get(state: &AppState, caller: &Caller, key: &ValueKey) -> Result<ValueView> {
    // Permission first: whether an element exists or is computed is not for everyone to learn.
    allow(
        state,
        caller,
        Action::ReadValue {
            unit: &key.unit,
            element: &key.element,
        },
    )
    .await?;
    known(state, key).await?;
    let mut conn = crate::ops::conn(state).await?;
    let row = jixiao_store::values::get(&mut conn, &key.unit, &key.element, &key.period).await?;
    drop(conn);
    view(state, caller, key, row).await
}

/// The unit is open and assessed by a scheme that reads the element, which is reported (not
/// computed), for a valid period.
pub async fn known(state: &AppState, key: &ValueKey) -> Result<()> {
    known_in(
        &*state.live.read().await,
        &key.unit,
        &key.element,
        &key.period,
    )
}

/// An element filled by a machine feed (`feed = { … }` in the scheme) takes its values from
/// that feed only: its running total is recomputed from the feed's events and would silently
/// replace a number saved or imported by hand, so saves and imports are refused (409 `fed`),
/// naming the feed. A wrong number is corrected in the source system, which posts again.
pub fn not_fed(live: &Live, element: &str) -> Result<()> {
    let Some((_, e)) = live.element(element) else {
        return Ok(());
    };
    let Some(spec) = &e.def.feed else {
        return Ok(());
    };
    let feed = spec.feed.as_str();
    let (zh, en) = (&e.def.name.zh, e.def.name.get(jixiao_core::text::Lang::En));
    Err(Error::conflict(
        "fed",
        Text::new(
            format!("“{zh}”由数据接口“{feed}”自动汇总，不能手工填报或导入；请在源系统更正后重新推送"),
            format!("“{en}” is totalled from the feed `{feed}` and cannot be entered or imported; correct it in the source system, which posts again"),
        ),
    )
    .with(serde_json::json!({ "feed": feed })))
}

/// [`known`] on results the caller already holds (bulk imports check many rows under one lock).
pub fn known_in(live: &Live, unit: &str, element: &str, period: &str) -> Result<()> {
    let p = Period::parse(period).map_err(|_| Error::not_found("期间", "period"))?;
    // Assessed in that period: on the organisation as it stood then.
    let scheme = live.schemes_using(element).find(|s| {
        let m = &s.era_of(p).model;
        m.unit(unit).and_then(|u| m.class_of(u)).is_some()
    });
    let Some(s) = scheme else {
        let standing = live
            .history
            .as_ref()
            .map(|h| h.standing(unit, &p.last_day()));
        if matches!(
            standing,
            Some(jixiao_core::org::Standing::Gone(_) | jixiao_core::org::Standing::NotYet(_))
        ) {
            return Err(crate::ops::results::gone(live, unit, period));
        }
        return Err(Error::not_found("数据项或单位", "element or unit"));
    };
    let e = s
        .model
        .element(element)
        .map(|e| &s.model.elements[e as usize]);
    if e.is_some_and(|e| e.formula.is_some()) {
        return Err(Error::bad_request(
            "computed",
            Text::new(
                format!("“{element}”是计算数据项，不能填报"),
                format!("`{element}` is computed and cannot be reported"),
            ),
        ));
    }
    if e.is_some_and(|e| e.rollup.is_some() || e.responsibility) {
        return Err(Error::bad_request(
            "rolled_up",
            Text::new(
                format!("“{element}”由下级单位的考核结果汇总得出，不能填报"),
                format!(
                    "`{element}` is rolled up from the children's results and cannot be reported"
                ),
            ),
        ));
    }
    if let Some(e) = e.filter(|e| e.def.frequency != p.granularity()) {
        let f = e.def.frequency.name();
        return Err(Error::new(
            Kind::NotFound,
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
        return Err(Error::new(
            Kind::NotFound,
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

fn conflict(current: Option<&ValueRow>, allowed: Vec<String>) -> Error {
    Error::conflict(
        "version_conflict",
        Text::new(
            "该数值已被他人修改，请刷新后重试",
            "someone else changed this value; reload and try again",
        ),
    )
    .with(serde_json::json!({ "current": current, "allowed": allowed }))
}

fn illegal(t: Transition, current: Option<&ValueRow>, allowed: Vec<String>) -> Error {
    let st = state_of(current).map_or_else(|| Text::new("未填报", "not entered"), ValueState::name);
    Error::conflict(
        "illegal_transition",
        Text::new(
            format!(
                "当前状态为“{}”，不能“{}”；请刷新页面查看它现在的状态和可做的操作",
                st.zh,
                t.name().zh
            ),
            format!(
                "the value is {}; it cannot be {} now; reload the page to see its state and what can be done",
                st.en,
                match t {
                    Transition::Save => "saved".to_owned(),
                    Transition::Submit => "submitted".to_owned(),
                    Transition::Approve => "approved".to_owned(),
                    Transition::Verify => "verified".to_owned(),
                    Transition::Count => "counted".to_owned(),
                    Transition::Return => "returned".to_owned(),
                }
            ),
        ),
    )
    .with(serde_json::json!({ "current": current, "allowed": allowed }))
}

/// What the writing transaction itself says may not change: the periods closed and the values
/// open appeals dispute, read inside the transaction (the in-memory state may be a moment
/// behind: a period closed or an appeal filed just now, on this node or another).
pub struct Guard {
    closed: Vec<(String, String)>,
    /// (unit, element, period of the publication, appeal id).
    frozen: Vec<(String, String, Period, i64)>,
}

impl Guard {
    /// Reads the closed periods and the open appeals in `tx`.
    pub async fn load(tx: &mut jixiao_store::Tx, state: &AppState) -> Result<Guard> {
        let closed = jixiao_store::periods::closed(tx).await?;
        let open = jixiao_store::appeals::all_open(tx).await?;
        let live = state.live.read().await;
        let mut frozen = Vec::new();
        for (unit, a) in open {
            let Ok(period) = Period::parse(&a.period) else {
                continue;
            };
            for element in live.disputed_elements(&a.scheme_code, &a.indicator) {
                frozen.push((unit.clone(), element, period, a.id));
            }
        }
        Ok(Guard { closed, frozen })
    }

    /// Whether `unit`'s `element` of `period` may change now: refused (409) when a period
    /// containing it is closed, or an open appeal disputes it (the appeal is named; its
    /// resolution is the only way to change it).
    pub fn check(&self, live: &Live, unit: &str, element: &str, period: Period) -> Result<()> {
        if self.closed(live, element, period) {
            return Err(locked_err(&period.to_string()));
        }
        if let Some(id) = self.disputed(unit, element, period) {
            return Err(frozen_err(id));
        }
        Ok(())
    }

    /// Whether a closed period contains `element`'s value of `period`.
    pub fn closed(&self, live: &Live, element: &str, period: Period) -> bool {
        self.closed
            .iter()
            .any(|(scheme, closed)| live.closes(scheme, closed, element, period))
    }

    /// The open appeal that disputes `unit`'s `element` of `period`, if any.
    pub fn disputed(&self, unit: &str, element: &str, period: Period) -> Option<i64> {
        self.frozen
            .iter()
            .find(|(u, e, p, _)| u == unit && e == element && p.contains(period))
            .map(|(.., id)| *id)
    }
}

fn frozen_err(appeal: i64) -> Error {
    Error::conflict(
        "disputed",
        Text::new(
            format!("该数值正被第{appeal}号申诉争议，申诉处理前不能修改；更正须通过申诉处理"),
            format!(
                "this value is disputed by appeal {appeal}: it cannot change until the appeal is resolved, and a correction is made by resolving it"
            ),
        ),
    )
    .with(serde_json::json!({ "appeal": appeal }))
}

fn locked_err(period: &str) -> Error {
    Error::conflict(
        "period_closed",
        Text::new(
            format!("期间{period}已关闭，数值已锁定；如需修改请考核办重新开放"),
            format!(
                "period {period} is closed and its values are locked; the office must reopen it"
            ),
        ),
    )
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SaveBody {
    /// The number as text (exact), e.g. "96.5"; a percentage may end in %.
    pub value: String,
    #[serde(default)]
    pub note: String,
    /// The version you edited; omit when entering a new value.
    pub version: Option<i64>,
}

/// Checks a number against the element's rules; the problem names the field.
pub async fn parse_value(state: &AppState, element: &str, text: &str) -> Result<Decimal> {
    parse_value_in(&*state.live.read().await, element, text)
}

/// [`parse_value`] on results the caller already holds.
pub fn parse_value_in(live: &Live, element: &str, text: &str) -> Result<Decimal> {
    let Some((_, e)) = live.element(element) else {
        return Err(Error::not_found("数据项", "element"));
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
        Error::invalid(&issues)
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

/// Saves a draft (creates it, or changes the number of a draft or a returned value).
pub async fn save(
    state: &AppState,
    caller: &Caller,
    key: &ValueKey,
    b: SaveBody,
) -> Result<Changed> {
    let v = save_checked(state, caller, key, &b).await?;
    apply(
        state,
        caller,
        key,
        Transition::Save,
        b.version,
        Some((v, b.note)),
        "",
    )
    .await
}

/// [`save`] inside the caller's transaction (a form's numbers commit together): the row as it
/// now stands, nothing committed.
pub async fn save_in(
    tx: &mut jixiao_store::Tx,
    guard: &Guard,
    state: &AppState,
    caller: &Caller,
    key: &ValueKey,
    b: SaveBody,
) -> Result<ValueRow> {
    let v = save_checked(state, caller, key, &b).await?;
    apply_in(
        tx,
        guard,
        state,
        caller,
        key,
        Transition::Save,
        b.version,
        Some((v, b.note)),
        "",
    )
    .await
}

/// What a save checks before it touches anything: the caller may edit, the value is known,
/// the number is valid, the note holds no control character. The number.
async fn save_checked(
    state: &AppState,
    caller: &Caller,
    key: &ValueKey,
    b: &SaveBody,
) -> Result<Decimal> {
    allow(
        state,
        caller,
        Action::EditValue {
            unit: &key.unit,
            element: &key.element,
        },
    )
    .await?;
    known(state, key).await?;
    not_fed(&*state.live.read().await, &key.element)?;
    let v = parse_value(state, &key.element, &b.value).await?;
    if b.note
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        let mut issues = Issues::new();
        issues.push(Issue::error(
            "control_character",
            "request",
            Location::path("note"),
            Text::new(
                "备注里有不可见的控制字符（如 NUL）；请删去",
                "the note holds an invisible control character (such as NUL); remove it",
            ),
        ));
        return Err(Error::invalid(&issues));
    }
    Ok(v)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TransitionBody {
    /// The version you acted on.
    pub version: i64,
    /// Required to return a value.
    #[serde(default)]
    pub reason: String,
}

/// Submits, approves, verifies, counts or returns a value (saving is [`save`]).
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    key: &ValueKey,
    t: Transition,
    b: TransitionBody,
) -> Result<Changed> {
    if t == Transition::Save {
        return Err(Error::not_found("操作", "transition"));
    }
    caller.require_signed_in()?;
    known(state, key).await?;
    if t == Transition::Return && b.reason.trim().is_empty() {
        return Err(Error::bad_request(
            "reason_required",
            Text::new("退回时请写明原因", "say why the value is returned"),
        ));
    }
    if t == Transition::Submit {
        check_before_submit(state, key, &|_, _| None).await?;
    }
    apply(state, caller, key, t, Some(b.version), None, &b.reason).await
}

/// Submits a value inside the caller's transaction (a form submits its numbers together);
/// `incoming` gives the numbers saved in the same transaction, which the checks between
/// elements read before the stored ones.
#[allow(clippy::too_many_arguments)]
pub async fn submit_in(
    tx: &mut jixiao_store::Tx,
    guard: &Guard,
    state: &AppState,
    caller: &Caller,
    key: &ValueKey,
    version: i64,
    incoming: &(dyn Fn(&str, Period) -> Option<Decimal> + Sync),
) -> Result<ValueRow> {
    caller.require_signed_in()?;
    known(state, key).await?;
    check_before_submit(state, key, incoming).await?;
    apply_in(
        tx,
        guard,
        state,
        caller,
        key,
        Transition::Submit,
        Some(version),
        None,
        "",
    )
    .await
}

/// Checks between elements at error level stop a submission (warnings go on as flags for the
/// reviewers).
async fn check_before_submit(
    state: &AppState,
    key: &ValueKey,
    incoming: &(dyn Fn(&str, Period) -> Option<Decimal> + Sync),
) -> Result<()> {
    let live = state.live.read().await;
    let p = Period::parse(&key.period).map_err(|_| Error::not_found("期间", "period"))?;
    let failed: Vec<_> = live
        .failed_checks(&key.unit, &key.element, p, incoming)
        .into_iter()
        .filter(|c| c.level == jixiao_core::scheme::CheckLevel::Error)
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let mut issues = Issues::new();
    for c in &failed {
        issues.push(Issue::error(
            "check_failed",
            "request",
            Location::path(format!("checks.{}", c.code)),
            live.check_failed(c),
        ));
    }
    Err(Error::invalid(&issues))
}

/// Whether a verified value counts at once: the setting of the finest tracked period that
/// contains it (a quarter's own setting wins over its year's); counts when none is tracked.
pub(crate) fn auto_count(live: &Live, element: &str, period: Period) -> bool {
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

/// Moves a value by `t` in one transaction (and on to counted when a verification counts at
/// once), then brings the live results up to date and says what moved.
async fn apply(
    state: &AppState,
    caller: &Caller,
    key: &ValueKey,
    t: Transition,
    version: Option<i64>,
    new_value: Option<(Decimal, String)>,
    reason: &str,
) -> Result<Changed> {
    let mut tx = state.store.write().await?;
    let guard = Guard::load(&mut tx, state).await?;
    let row = apply_in(
        &mut tx, &guard, state, caller, key, t, version, new_value, reason,
    )
    .await?;
    // Read before the commit, on this transaction's connection: after it, nothing may fail
    // (the change stands) and no second connection is needed.
    let evidence = jixiao_store::evidence::of_in(&mut tx, "value", row.id).await?;
    commit(tx).await?;
    let element = &key.element;
    let mut live = state.live.write().await;
    let before = standings(&live, element);
    live.apply(&row);
    let after = standings(&live, element);
    let effect = diff(&live, element, &before, &after);
    let value = view_with(&live, caller, key, Some(row.clone()), evidence);
    drop(live);
    crate::ops::warnings::follow_later(state, vec![row]);
    Ok(Changed { value, effect })
}

/// [`apply`]'s move inside the caller's transaction (several moves of a form commit
/// together): checked against the row as the transaction reads it and against `guard`; the
/// row as it now stands. Nothing is committed and the live results are not touched.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_in(
    tx: &mut jixiao_store::Tx,
    guard: &Guard,
    state: &AppState,
    caller: &Caller,
    key: &ValueKey,
    t: Transition,
    version: Option<i64>,
    new_value: Option<(Decimal, String)>,
    reason: &str,
) -> Result<ValueRow> {
    let (unit, element, period) = (&key.unit, &key.element, &key.period);
    let p = Period::parse(period).map_err(|_| Error::not_found("期间", "period"))?;
    let current = jixiao_store::values::get(tx, unit, element, period).await?;
    let (rt, locked, counts, allowed_now) = {
        let live = state.live.read().await;
        // The transaction's reading decides: this node's memory may be behind a close or a
        // reopening made through another node.
        let locked = guard.closed(&live, element, p);
        (
            route(&live, element),
            locked,
            auto_count(&live, element, p),
            allowed_for(
                &live,
                &caller.principal,
                unit,
                element,
                current.as_ref(),
                locked,
            ),
        )
    };
    if locked {
        return Err(locked_err(period));
    }
    let st = state_of(current.as_ref());
    allow(state, caller, action_for(t, unit, element, st)).await?;
    // After the permission check: only someone who may act learns that a value is disputed.
    if let Some(appeal) = guard.disputed(unit, element, p) {
        return Err(frozen_err(appeal));
    }
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
                tx,
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
                tx,
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
                    let now = jixiao_store::values::get(tx, unit, element, period).await?;
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
            tx,
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
            .ok_or_else(|| Error::internal(&"the row changed inside its own transaction"))?;
    }
    if t == Transition::Return {
        let name = {
            let live = state.live.read().await;
            live.element(element)
                .map(|(_, e)| e.def.name.clone())
                .unwrap_or_else(|| Text::new(element, element))
        };
        crate::ops::notices::tell_in(
            tx,
            &state.config,
            &[crate::ops::notices::To::Unit(unit.to_owned())],
            &crate::ops::notices::Notice {
                kind: "returned",
                key: format!("returned:{unit}:{element}:{period}:{}", row.version),
                title: Text::new(
                    format!("数据被退回：{} {period}", name.zh),
                    format!("Returned: {} {period}", name.en),
                ),
                body: Text::new(format!("退回原因：{reason}"), format!("Reason: {reason}")),
                link: format!("/entry/{unit}/{period}"),
            },
        )
        .await?;
    }
    Ok(row)
}

/// Every unit's (total, rank, grade), in the results' own order, for each tracked period and
/// kind of the schemes that read an element: what one change of that element can move.
type Standing = Vec<Vec<(u32, Option<Decimal>, Option<u32>, Option<u16>)>>;

fn standings(live: &Live, element: &str) -> Standing {
    let mut out = Vec::new();
    for s in live.schemes_using(element) {
        for t in s.periods.values() {
            for sc in [&t.official, &t.provisional] {
                let mut rows = Vec::with_capacity(t.model.units.len());
                for cs in &sc.classes {
                    let members = &t.model.classes[cs.class as usize].members;
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
        .flat_map(|s| s.periods.values().flat_map(|t| [&t.model, &t.model]))
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

/// A value the server works out itself (element, unit, period, value, note).
pub type Worked = (String, String, String, Decimal, String);

/// [`write_counted`] in a transaction of its own, then the live results and the warnings brought
/// up to date: how many values changed (none: nothing committed).
pub async fn write_counted_now(
    state: &AppState,
    actor: &jixiao_store::audit::Actor,
    wanted: &[Worked],
    action: &str,
) -> Result<usize> {
    let mut tx = state.store.write().await?;
    let written = write_counted(&mut tx, actor, wanted, action).await?;
    if written.is_empty() {
        return Ok(0);
    }
    crate::ops::commit(tx).await?;
    state.live.write().await.apply_many(&written);
    crate::ops::warnings::follow(state, &written).await;
    Ok(written.len())
}

/// Writes values the server works out itself (from rectification tasks, from budget
/// projects) as counted, in `tx`: new ones inserted, changed ones updated (audited as
/// `action`), unchanged ones left alone. Returns the rows written.
pub async fn write_counted(
    tx: &mut jixiao_store::Tx,
    actor: &jixiao_store::audit::Actor,
    wanted: &[Worked],
    action: &str,
) -> Result<Vec<ValueRow>> {
    let mut written = Vec::new();
    for (element, unit, period, v, note) in wanted {
        let value = v.normalize().to_string();
        let content = jixiao_store::values::Content {
            value: &value,
            note,
            state: "counted",
            return_reason: "",
        };
        let row = match jixiao_store::values::get(tx, unit, element, period).await? {
            None => Some(
                jixiao_store::values::insert_as(
                    tx,
                    actor,
                    jixiao_store::values::Key {
                        unit,
                        element,
                        period,
                    },
                    content,
                    action,
                    "",
                )
                .await?,
            ),
            Some(c)
                if c.state == "counted"
                    && c.note == *note
                    && c.value.parse::<Decimal>().ok() == Some(*v) =>
            {
                None
            }
            Some(c) => jixiao_store::values::update(tx, actor, &c, action, content).await?,
        };
        written.extend(row);
    }
    Ok(written)
}
