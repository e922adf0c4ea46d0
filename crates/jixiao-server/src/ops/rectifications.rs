//! Rectification tasks (整改): open → in progress → submitted → verified (or returned, then
//! submitted again), overdue when the deadline passes before the completion is submitted. A
//! task comes from a warning (opened when the unit answers one that needs rectification), an
//! inspection hazard, an enforcement-case finding, an evaluation finding, an appeal outcome,
//! or is added by hand by the office or a lead department. Verifying a task from a warning
//! resolves the warning (销号).

use crate::error::{Error, Result};
use crate::live::Live;
use crate::ops::notices::{Notice, To, tell_in};
use crate::ops::warnings::{beijing_day, check_day};
use crate::ops::{Caller, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::{Action, can};
use jixiao_core::text::Text;
use jixiao_store::audit::Actor;
use jixiao_store::rectifications::TaskRow;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Where a task comes from; `monitoring` is a red result of a budget project's monitoring.
pub const SOURCES: [&str; 7] = jixiao_core::scheme::RECTIFICATION_SOURCES;

pub fn source_name(kind: &str) -> Text {
    match kind {
        "warning" => Text::new("预警", "warning"),
        "monitoring" => Text::new("预算运行监控", "budget monitoring"),
        "inspection" => Text::new("检查隐患", "inspection hazard"),
        "enforcement" => Text::new("执法案件审查", "enforcement-case finding"),
        "evaluation" => Text::new("评价发现", "evaluation finding"),
        "appeal" => Text::new("申诉结果", "appeal outcome"),
        _ => Text::new("手工添加", "added by hand"),
    }
}

pub fn state_name(state: &str) -> Text {
    match state {
        "open" => Text::new("待整改", "open"),
        "in_progress" => Text::new("整改中", "in progress"),
        "submitted" => Text::new("待核验", "submitted"),
        "verified" => Text::new("已销号", "verified"),
        "returned" => Text::new("已退回", "returned"),
        other => Text::new(other, other),
    }
}

fn today() -> String {
    jixiao_store::today()
}

/// Not submitted (or returned) and past its deadline on `today`.
pub fn is_overdue(t: &TaskRow, today: &str) -> bool {
    matches!(t.state.as_str(), "open" | "in_progress" | "returned") && t.deadline.as_str() < today
}

/// A task as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = TaskItem)]
pub struct Item {
    pub task: TaskRow,
    #[schema(value_type = Object)]
    pub unit_name: Text,
    #[schema(value_type = Object)]
    pub verifier_name: Text,
    #[schema(value_type = Object)]
    pub source_name: Text,
    #[schema(value_type = Object)]
    pub state_name: Text,
    pub overdue: bool,
    /// What the caller may do now: `start`, `submit`, `verify`, `return`.
    pub allowed: Vec<String>,
    /// Whether the caller may attach evidence (its unit or its verifier, until verified).
    pub may_attach: bool,
}

fn name(live: &Live, code: &str) -> Text {
    if code == "office" {
        return Text::new("考核办", "assessment office");
    }
    live.unit_name(code)
        .cloned()
        .unwrap_or_else(|| Text::new(code, code))
}

/// Whether the caller works the task (its unit) and whether it verifies it (the verifying
/// department, or the office for tasks it verifies).
pub fn roles(live: &Live, caller: &Caller, t: &TaskRow) -> (bool, bool) {
    let p = &caller.principal;
    let works = can(p, Action::WorkRectification { unit: &t.unit_code }, live);
    let verifies = can(
        p,
        Action::VerifyRectification {
            verifier: &t.verifier_code,
        },
        live,
    ) || (t.verifier_code == "office" && can(p, Action::CloseWarning, live));
    (works, verifies)
}

fn allowed(live: &Live, caller: &Caller, t: &TaskRow) -> Vec<String> {
    let (works, verifies) = roles(live, caller, t);
    let acts: &[&str] = match t.state.as_str() {
        "open" if works => &["start", "submit"],
        "in_progress" | "returned" if works => &["submit"],
        "submitted" if verifies => &["verify", "return"],
        _ => &[],
    };
    acts.iter().map(|a| (*a).to_owned()).collect()
}

fn item(live: &Live, caller: &Caller, t: TaskRow, today: &str) -> Item {
    Item {
        unit_name: name(live, &t.unit_code),
        verifier_name: name(live, &t.verifier_code),
        source_name: source_name(&t.source_kind),
        state_name: state_name(&t.state),
        overdue: is_overdue(&t, today),
        allowed: allowed(live, caller, &t),
        may_attach: t.state != "verified" && {
            let (works, verifies) = roles(live, caller, &t);
            works || verifies
        },
        task: t,
    }
}

pub fn may_read(live: &Live, caller: &Caller, t: &TaskRow) -> bool {
    can(
        &caller.principal,
        Action::ReadRectification {
            unit: &t.unit_code,
            verifier: &t.verifier_code,
        },
        live,
    )
}

/// Which tasks.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub period: Option<String>,
    /// `open`, `in_progress`, `submitted`, `verified`, `returned`; `active` for all but verified.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub overdue: Option<bool>,
}

/// The tasks the caller may see, overdue and nearest deadline first, verified last.
pub async fn list(state: &AppState, caller: &Caller, f: &Filter) -> Result<Vec<Item>> {
    caller.require_signed_in()?;
    let all = jixiao_store::rectifications::all(&state.store).await?;
    let live = state.live.read().await;
    let today = today();
    let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.is_empty());
    let (unit, period, st, source) = (
        nonempty(&f.unit),
        nonempty(&f.period),
        nonempty(&f.state),
        nonempty(&f.source),
    );
    let mut items: Vec<Item> = all
        .into_iter()
        .filter(|t| may_read(&live, caller, t))
        .filter(|t| unit.as_ref().is_none_or(|u| &t.unit_code == u))
        .filter(|t| period.as_ref().is_none_or(|p| &t.period == p))
        .filter(|t| source.as_ref().is_none_or(|s| &t.source_kind == s))
        .filter(|t| match st.as_deref() {
            None => true,
            Some("active") => t.state != "verified",
            Some(s) => t.state == s,
        })
        .map(|t| item(&live, caller, t, &today))
        .filter(|i| f.overdue.is_none_or(|o| i.overdue == o))
        .collect();
    items.sort_by(|a, b| {
        (
            a.task.state == "verified",
            !a.overdue,
            &a.task.deadline,
            a.task.id,
        )
            .cmp(&(
                b.task.state == "verified",
                !b.overdue,
                &b.task.deadline,
                b.task.id,
            ))
    });
    Ok(items)
}

async fn load(state: &AppState, id: i64) -> Result<TaskRow> {
    let mut c = state.store.read().await?;
    jixiao_store::rectifications::get(&mut c, id)
        .await?
        .ok_or_else(|| Error::not_found("整改任务", "rectification task"))
}

/// One task, with its evidence of completion.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = TaskDetail)]
pub struct Detail {
    pub item: Item,
    /// Links to the evidence files and their names.
    #[schema(value_type = Vec<Vec<String>>)]
    pub evidence: Vec<(String, String)>,
}

pub async fn get(state: &AppState, caller: &Caller, id: i64) -> Result<Detail> {
    caller.require_signed_in()?;
    let t = load(state, id).await?;
    let item = {
        let live = state.live.read().await;
        if !may_read(&live, caller, &t) {
            return Err(Error::not_found("整改任务", "rectification task"));
        }
        item(&live, caller, t, &today())
    };
    let evidence = crate::ops::evidence::links(state, "rectification", id).await?;
    Ok(Detail { item, evidence })
}

/// A task added by hand (or from a source other than a warning).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewTask {
    /// One of `warning`, `inspection`, `enforcement`, `evaluation`, `appeal`, `manual`.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub source_id: Option<String>,
    pub unit: String,
    pub period: String,
    pub problem: String,
    #[serde(default)]
    pub measures: String,
    /// The last day, YYYY-MM-DD.
    pub deadline: String,
    /// The verifying department's code, or `office`. Default: the caller's department (a lead
    /// department), or the office.
    #[serde(default)]
    pub verifier: Option<String>,
    #[serde(default)]
    pub person: String,
}

pub async fn create(state: &AppState, caller: &Caller, b: NewTask) -> Result<Detail> {
    caller.require_signed_in()?;
    let verifier = b
        .verifier
        .clone()
        .filter(|v| !v.is_empty())
        .or_else(|| caller.principal.unit.clone())
        .unwrap_or_else(|| "office".into());
    let source = b.source.clone().unwrap_or_else(|| "manual".into());
    {
        let live = state.live.read().await;
        let office_may =
            verifier == "office" && can(&caller.principal, Action::CloseWarning, &*live);
        if !office_may {
            crate::ops::allow_in(
                &live,
                caller,
                Action::OpenRectification {
                    verifier: &verifier,
                },
            )?;
        }
        if !live.units.contains(&b.unit) {
            return Err(Error::bad_request(
                "unknown_unit",
                Text::new(
                    format!("unit：没有编码为“{}”的单位", b.unit),
                    format!("unit: no unit `{}`", b.unit),
                ),
            ));
        }
        if verifier != "office" && !live.units.contains(&verifier) {
            return Err(Error::bad_request(
                "unknown_unit",
                Text::new(
                    format!("verifier：没有编码为“{verifier}”的单位"),
                    format!("verifier: no unit `{verifier}`"),
                ),
            ));
        }
    }
    if !SOURCES.contains(&source.as_str()) {
        return Err(Error::bad_request(
            "bad_source",
            Text::new(
                format!("source：没有“{source}”这种来源（{}）", SOURCES.join("、")),
                format!("source: no source `{source}` ({})", SOURCES.join(", ")),
            ),
        ));
    }
    if jixiao_core::period::Period::parse(&b.period).is_err() {
        return Err(Error::bad_request(
            "bad_period",
            Text::new(
                format!("period：“{}”不是考核期（如 2025Q4、2025）", b.period),
                format!("period: `{}` is not a period (e.g. 2025Q4, 2025)", b.period),
            ),
        ));
    }
    if b.problem.trim().is_empty() {
        return Err(Error::bad_request(
            "required",
            Text::new("problem：请填写问题", "problem: required"),
        ));
    }
    let deadline = check_day(&b.deadline, "deadline")?;
    let mut tx = state.store.write().await?;
    let t = jixiao_store::rectifications::open(
        &mut tx,
        &caller.actor,
        &jixiao_store::rectifications::New {
            source_kind: &source,
            source_id: b.source_id.as_deref().unwrap_or(""),
            severity: "",
            unit: &b.unit,
            person: b.person.trim(),
            period: &b.period,
            problem: b.problem.trim(),
            measures: b.measures.trim(),
            deadline: &deadline,
            verifier: &verifier,
        },
    )
    .await?;
    tell_opened(&mut tx, state, &t).await?;
    commit(tx).await?;
    publish_after_change(state).await;
    get(state, caller, t.id).await
}

/// Tells the unit that a task was opened for it.
pub async fn tell_opened(tx: &mut jixiao_store::Tx, state: &AppState, t: &TaskRow) -> Result<()> {
    tell_in(
        tx,
        &state.config,
        &[To::Unit(t.unit_code.clone())],
        &Notice {
            kind: "rectification",
            key: format!("rectification:{}:opened", t.id),
            title: Text::new(
                format!("整改任务：{}", t.problem),
                format!("Rectification: {}", t.problem),
            ),
            body: Text::new(
                format!("请于 {} 前完成整改并提交佐证。", t.deadline),
                format!(
                    "Please complete it and submit the evidence by {}.",
                    t.deadline
                ),
            ),
            link: format!("/rectifications/{}", t.id),
        },
    )
    .await?;
    Ok(())
}

/// A move of a task.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Move {
    /// `start`, `submit`, `verify` or `return`.
    pub action: String,
    pub version: i64,
    /// What was done (submit), or why it is returned (return).
    #[serde(default)]
    pub text: String,
}

fn stale() -> Error {
    Error::conflict(
        "stale",
        Text::new(
            "该整改任务已被他人更新，请刷新后重试",
            "the task was changed by someone else; reload and try again",
        ),
    )
}

pub async fn act(state: &AppState, caller: &Caller, id: i64, m: Move) -> Result<Detail> {
    caller.require_signed_in()?;
    let t = load(state, id).await?;
    let may = {
        let live = state.live.read().await;
        if !may_read(&live, caller, &t) {
            return Err(Error::not_found("整改任务", "rectification task"));
        }
        allowed(&live, caller, &t)
    };
    if !may.contains(&m.action) {
        return Err(if may.is_empty() {
            Error::forbidden()
        } else {
            Error::conflict(
                "not_allowed_now",
                Text::new(
                    format!(
                        "当前状态（{}）下不能执行“{}”，可执行：{}",
                        state_name(&t.state).zh,
                        m.action,
                        may.join("、")
                    ),
                    format!(
                        "`{}` is not possible while {}; possible: {}",
                        m.action,
                        state_name(&t.state).en,
                        may.join(", ")
                    ),
                ),
            )
        });
    }
    if m.version != t.version {
        return Err(stale());
    }
    let now = jixiao_store::now();
    let mut after = t.clone();
    let action = match m.action.as_str() {
        "start" => {
            after.state = "in_progress".into();
            "rectification.start"
        }
        "submit" => {
            if m.text.trim().is_empty() {
                return Err(Error::bad_request(
                    "required",
                    Text::new("text：请说明整改完成情况", "text: say what was done"),
                ));
            }
            after.state = "submitted".into();
            after.completion = m.text.trim().to_owned();
            after.submitted_at = Some(now.clone());
            "rectification.submit"
        }
        "verify" => {
            after.state = "verified".into();
            after.verified_at = Some(now.clone());
            after.verified_by = Some(caller.actor.name.clone());
            "rectification.verify"
        }
        _ => {
            require_reason(&m.text)?;
            after.state = "returned".into();
            after.return_reason = m.text.trim().to_owned();
            "rectification.return"
        }
    };
    let mut tx = state.store.write().await?;
    let saved = jixiao_store::rectifications::save(
        &mut tx,
        &caller.actor,
        action,
        &t,
        &after,
        m.text.trim(),
    )
    .await?
    .ok_or_else(stale)?;
    match m.action.as_str() {
        "verify" if saved.source_kind == "warning" => {
            if let Ok(w) = saved.source_id.parse::<i64>() {
                crate::ops::warnings::rectified_in(&mut tx, &caller.actor, w, saved.id).await?;
            }
        }
        "submit" => {
            let to = if saved.verifier_code == "office" {
                To::Office
            } else {
                To::Lead(saved.verifier_code.clone())
            };
            tell_in(
                &mut tx,
                &state.config,
                &[to],
                &Notice {
                    kind: "rectification",
                    key: format!("rectification:{}:submitted:{}", saved.id, saved.version),
                    title: Text::new(
                        format!("整改待核验：{}", saved.problem),
                        format!("Rectification to verify: {}", saved.problem),
                    ),
                    body: Text::new(saved.completion.clone(), saved.completion.clone()),
                    link: format!("/rectifications/{}", saved.id),
                },
            )
            .await?;
        }
        "return" => {
            tell_in(
                &mut tx,
                &state.config,
                &[To::Unit(saved.unit_code.clone())],
                &Notice {
                    kind: "rectification",
                    key: format!("rectification:{}:returned:{}", saved.id, saved.version),
                    title: Text::new(
                        format!("整改被退回：{}", saved.problem),
                        format!("Rectification returned: {}", saved.problem),
                    ),
                    body: Text::new(saved.return_reason.clone(), saved.return_reason.clone()),
                    link: format!("/rectifications/{}", saved.id),
                },
            )
            .await?;
        }
        _ => {}
    }
    commit(tx).await?;
    publish_after_change(state).await;
    get(state, caller, id).await
}

/// Tells units of tasks whose deadline is `day` (Beijing) or earlier and not yet reminded. How
/// many.
pub async fn remind_deadlines(state: &AppState, day: &str) -> Result<usize> {
    let due = jixiao_store::rectifications::to_remind(&state.store, day).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let actor = jixiao_store::audit::Actor::system("schedule");
    let mut tx = state.store.write().await?;
    let mut n = 0;
    for t in &due {
        let mut after = t.clone();
        after.reminded_at = Some(jixiao_store::now());
        if jixiao_store::rectifications::save(
            &mut tx,
            &actor,
            "rectification.remind",
            t,
            &after,
            "",
        )
        .await?
        .is_none()
        {
            continue;
        }
        n += 1;
        let passed = t.deadline.as_str() < day;
        tell_in(
            &mut tx,
            &state.config,
            &[To::Unit(t.unit_code.clone())],
            &Notice {
                kind: "rectification",
                key: format!("rectification:{}:deadline", t.id),
                title: Text::new(
                    format!(
                        "整改{}：{}",
                        if passed { "已逾期" } else { "今日到期" },
                        t.problem
                    ),
                    format!(
                        "Rectification {}: {}",
                        if passed { "overdue" } else { "due today" },
                        t.problem
                    ),
                ),
                body: Text::new(
                    format!("整改期限 {}，请尽快提交整改情况和佐证。", t.deadline),
                    format!(
                        "The deadline is {}; submit what was done with evidence.",
                        t.deadline
                    ),
                ),
                link: format!("/rectifications/{}", t.id),
            },
        )
        .await?;
    }
    commit(tx).await?;
    Ok(n)
}

/// A unit's rectification in a period: tasks, verified on time, verified late, not verified,
/// and the rates (percent, exact; `None` without tasks).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Rate {
    pub unit: String,
    pub period: String,
    pub total: i64,
    pub on_time: i64,
    pub late: i64,
    pub open: i64,
    /// Verified of all, in percent (整改率).
    #[schema(value_type = Option<String>)]
    pub rate: Option<rust_decimal::Decimal>,
    /// Verified on time of all, in percent (按期整改率).
    #[schema(value_type = Option<String>)]
    pub on_time_rate: Option<rust_decimal::Decimal>,
}

/// Rates per unit and period over `tasks`. On time: the completion that was verified was
/// submitted on or before the deadline day (Beijing time).
pub fn rates(tasks: &[TaskRow]) -> Vec<Rate> {
    let mut by: BTreeMap<(String, String), Rate> = BTreeMap::new();
    for t in tasks {
        let r = by
            .entry((t.unit_code.clone(), t.period.clone()))
            .or_insert_with(|| Rate {
                unit: t.unit_code.clone(),
                period: t.period.clone(),
                ..Rate::default()
            });
        r.total += 1;
        if t.state == "verified" {
            let day = t
                .submitted_at
                .as_deref()
                .map(beijing_day)
                .unwrap_or_default();
            if day.as_str() <= t.deadline.as_str() {
                r.on_time += 1;
            } else {
                r.late += 1;
            }
        } else {
            r.open += 1;
        }
    }
    let hundred = rust_decimal::Decimal::from(100);
    by.into_values()
        .map(|mut r| {
            if r.total > 0 {
                let total = rust_decimal::Decimal::from(r.total);
                r.rate = Some(rust_decimal::Decimal::from(r.on_time + r.late) * hundred / total);
                r.on_time_rate = Some(rust_decimal::Decimal::from(r.on_time) * hundred / total);
            }
            r
        })
        .collect()
}

/// The rates of the units the caller may see.
pub async fn rates_for(
    state: &AppState,
    caller: &Caller,
    period: Option<&str>,
) -> Result<Vec<Rate>> {
    let items = list(
        state,
        caller,
        &Filter {
            period: period.map(str::to_owned),
            ..Filter::default()
        },
    )
    .await?;
    let tasks: Vec<TaskRow> = items.into_iter().map(|i| i.task).collect();
    Ok(rates(&tasks))
}

/// The value one rectification element takes over a unit's tasks of a period.
fn measure_value(
    m: jixiao_core::scheme::RectificationMeasure,
    r: &Rate,
) -> Option<rust_decimal::Decimal> {
    use jixiao_core::scheme::RectificationMeasure::*;
    match m {
        Rate => r.rate,
        OnTimeRate => r.on_time_rate,
        Total => Some(r.total.into()),
        OnTime => Some(r.on_time.into()),
        Late => Some(r.late.into()),
        Open => Some(r.open.into()),
    }
}

/// Writes the data elements counted from rectification tasks (`source = "rectification"`) for
/// every unit and period that has tasks, as counted values (audited, by `system`), where they
/// changed; then brings the live results and the warnings up to date. A task's period counts
/// in the element's period that contains it (a 2025Q4 task in 2025 for a yearly element). A
/// unit and period without tasks has no value: the scheme's missing-data rule decides (a
/// district that wants "no hazards = 100%" says so with the rule). How many values changed.
pub async fn publish_elements(state: &AppState) -> Result<usize> {
    use jixiao_core::period::Period;
    // (element, spec, frequency), once per element code.
    let specs: Vec<(
        String,
        jixiao_core::scheme::RectificationSpec,
        jixiao_core::period::Granularity,
    )> = {
        let live = state.live.read().await;
        let mut seen = BTreeMap::new();
        for s in live.schemes.values() {
            for e in &s.model.elements {
                if let Some(spec) = &e.def.rectification {
                    seen.entry(e.code.to_string())
                        .or_insert_with(|| (spec.clone(), e.def.frequency));
                }
            }
        }
        seen.into_iter().map(|(c, (s, f))| (c, s, f)).collect()
    };
    if specs.is_empty() {
        return Ok(0);
    }
    let tasks = jixiao_store::rectifications::all(&state.store).await?;
    let mut wanted: Vec<(String, String, String, rust_decimal::Decimal, String)> = Vec::new();
    for (element, spec, freq) in &specs {
        let mine: Vec<TaskRow> = tasks
            .iter()
            .filter(|t| spec.from.is_empty() || spec.from.contains(&t.source_kind))
            .filter(|t| spec.severity.is_empty() || spec.severity.contains(&t.severity))
            .filter_map(|t| {
                let p = Period::parse(&t.period).ok()?.containing(*freq)?;
                let mut t = t.clone();
                t.period = p.to_string();
                Some(t)
            })
            .collect();
        for r in rates(&mine) {
            if let Some(v) = measure_value(spec.measure, &r) {
                // Server-written notes are Chinese (a note is one string, shown on Chinese pages).
                let note = format!(
                    "整改任务 {} 项：按期销号 {}，逾期销号 {}，未销号 {}",
                    r.total, r.on_time, r.late, r.open
                );
                wanted.push((element.clone(), r.unit, r.period, v.normalize(), note));
            }
        }
    }
    crate::ops::values::write_counted_now(
        state,
        &Actor::system("rectification"),
        &wanted,
        "value.rectification",
    )
    .await
}

/// [`publish_elements`] after a task changed: a failure is logged (the task's change stands;
/// the scheduled round writes the elements).
pub async fn publish_after_change(state: &AppState) {
    if let Err(e) = publish_elements(state).await {
        tracing::warn!(error = %e.detail(jixiao_core::text::Lang::En), "could not update the rectification data elements; the next scheduled round will");
    }
}

/// The units a task may be opened for (code and name, by code), for the form.
pub async fn unit_choices(state: &AppState) -> Vec<(String, Text)> {
    let live = state.live.read().await;
    let mut u: Vec<(String, Text)> = live.unit_names().into_iter().collect();
    u.sort_by(|a, b| a.0.cmp(&b.0));
    u
}
