//! The organisation: list, read, import an organisation file, and the dated changes of a unit
//! (change, merge, split, close). Every change holds from a day (`effective`, `YYYY-MM-DD`);
//! each period is scored on the organisation as it stands on the period's last day, so a
//! change never reaches back into a period that ended before it. A change may not reach into a
//! closed or published period at all. Every change is checked against the published schemes,
//! on the organisation of every day it touches, before it is written.
//!
//! The day a change takes effect, when not given, is today (China Standard Time): a merge or a
//! re-class entered now never reaches back into periods that have ended. Units an organisation
//! file adds while no period is closed or published yet (a district setting up) hold from the
//! beginning of the record, so the set-up organisation holds for the trial periods too.

use crate::error::{Error, Result};
use crate::live::compile;
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::Action;
use jixiao_core::code::Code;
use jixiao_core::doc::SourceText;
use jixiao_core::issue::Issues;
use jixiao_core::org::{BEGINNING, ChangeKind, Dated, History, Org, Unit};
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use jixiao_store::org::{UnitRow, Version};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// Checks a would-be organisation on every day from `from` on where it changes: no open unit
/// sits under a closed or missing one, and every published scheme compiles against it.
async fn check_history(state: &AppState, h: &History, from: &str) -> Result<()> {
    let mut days: BTreeSet<&str> = BTreeSet::from([from]);
    days.extend(
        h.units()
            .iter()
            .flatten()
            .map(|v| v.from.as_str())
            .filter(|d| *d > from),
    );
    let schemes = jixiao_store::schemes::published(&state.store).await?;
    for day in days {
        let org = h.as_of(day);
        check_parents(&org, day)?;
        let mut issues = Issues::new();
        for s in &schemes {
            if let Err(e) = compile(s, &org) {
                issues.extend(e);
            }
        }
        if issues.has_errors() {
            return Err(Error::invalid(&issues).with(serde_json::json!({ "day": day })));
        }
    }
    Ok(())
}

fn check_parents(org: &Org, day: &str) -> Result<()> {
    for u in &org.units {
        let Some(p) = &u.parent else { continue };
        if !org.units.iter().any(|x| &x.code == p) {
            return Err(Error::conflict(
                "has_children",
                Text::new(
                    format!(
                        "{day} 起“{}”的上级单位“{p}”已不存在，请先调整其隶属关系",
                        u.name.zh
                    ),
                    format!(
                        "from {day} `{}` would sit under `{p}`, which no longer stands; move it first",
                        u.code
                    ),
                ),
            )
            .with(serde_json::json!({ "unit": u.code.as_str(), "parent": p.as_str(), "day": day })));
        }
    }
    Ok(())
}

/// A version of a unit as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct VersionView {
    /// The day from which it holds (`0001-01-01`: since before any assessed period).
    pub from: String,
    /// `create`, `update`, `merge`, `split` or `close`.
    pub change: String,
    #[schema(value_type = Object)]
    pub change_name: Text,
    pub closed: bool,
    pub successors: Vec<String>,
    pub reason: String,
    #[schema(value_type = Object)]
    pub unit: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct UnitView {
    /// The unit's latest definition.
    #[schema(value_type = Object)]
    pub unit: serde_json::Value,
    /// The day it is closed from (merged, split or abolished).
    pub closed_at: Option<String>,
    pub merged_into: Option<String>,
    pub version: i64,
    /// Its dated versions, oldest first.
    pub versions: Vec<VersionView>,
}

fn version_view(v: &Dated) -> VersionView {
    VersionView {
        from: v.from.clone(),
        change: v.change.code().to_owned(),
        change_name: v.change.name(),
        closed: v.closed,
        successors: v.successors.iter().map(|c| c.to_string()).collect(),
        reason: v.reason.clone(),
        unit: serde_json::to_value(&v.unit).unwrap_or_default(),
    }
}

fn view(r: &UnitRow, h: Option<&History>) -> UnitView {
    UnitView {
        unit: serde_json::to_value(&r.unit).unwrap_or_default(),
        closed_at: r.closed_at.clone(),
        merged_into: r.merged_into.clone(),
        version: r.version,
        versions: h
            .map(|h| {
                h.of(r.unit.code.as_str())
                    .iter()
                    .map(version_view)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Every unit, closed ones included, each with its dated versions.
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<UnitView>> {
    caller.require_signed_in()?;
    let h = jixiao_store::org::history(&state.store).await?;
    Ok(jixiao_store::org::units(&state.store)
        .await?
        .iter()
        .map(|r| view(r, h.as_ref()))
        .collect())
}

pub async fn get(state: &AppState, caller: &Caller, code: &str) -> Result<UnitView> {
    caller.require_signed_in()?;
    let mut conn = crate::ops::conn(state).await?;
    let u = jixiao_store::org::unit(&mut conn, code)
        .await?
        .ok_or_else(|| Error::not_found("单位", "unit"))?;
    drop(conn);
    let h = jixiao_store::org::history(&state.store).await?;
    Ok(view(&u, h.as_ref()))
}

/// Today in the district (the default effective day), `YYYY-MM-DD`.
pub fn today() -> String {
    jixiao_store::today()
}

/// A day as `YYYY-MM-DD`, or the error naming the field.
pub fn parse_day(field: &str, s: &str) -> Result<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), format)
        .map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .map_err(|_| {
            Error::bad_request(
                "bad_date",
                Text::new(
                    format!("{field}：“{s}”不是有效日期，应写成 2025-11-15"),
                    format!("{field}: `{s}` is not a valid date; write it as 2025-11-15"),
                ),
            )
            .with(serde_json::json!({ "field": field, "value": s }))
        })
}

fn day_after(day: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(day, format)
        .ok()
        .and_then(|d| d.next_day())
        .map_or_else(
            || day.to_owned(),
            |d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
        )
}

/// The day a change takes effect (see the module's note), refused when it reaches into a
/// closed or published period. Read in the writing transaction.
async fn effective_day(tx: &mut jixiao_store::Tx, given: Option<&str>) -> Result<String> {
    Ok(effective_days(tx, given).await?.1)
}

/// The days an organisation file's new units and its changes hold from (they differ only
/// while the district sets up, see the module's note), read from one look at what is frozen.
async fn effective_days(
    tx: &mut jixiao_store::Tx,
    given: Option<&str>,
) -> Result<(String, String)> {
    let frozen = jixiao_store::org::frozen(tx).await?;
    let day = match given.filter(|g| !g.trim().is_empty()) {
        Some(g) => parse_day("effective", g)?,
        None => jixiao_store::today(),
    };
    // Nothing frozen and no day given: new units hold from the beginning of the record.
    let created = if frozen.is_empty() && given.is_none_or(|g| g.trim().is_empty()) {
        BEGINNING.to_owned()
    } else {
        day.clone()
    };
    let latest = frozen
        .iter()
        .filter_map(|(s, p)| Some((Period::parse(p).ok()?.last_day(), s, p)))
        .max();
    if let Some((last, scheme, period)) = latest
        && last >= day
    {
        let next = day_after(&last);
        return Err(Error::conflict(
            "period_frozen",
            Text::new(
                format!(
                    "生效日 {day} 不晚于已关闭或已公布的期间（{scheme} {period}，截至 {last}）：已定的结果不因组织调整而改变。请把生效日定在 {next} 或之后"
                ),
                format!(
                    "effective day {day} is not after a closed or published period ({scheme} {period}, ending {last}): settled results do not change with the organisation. Date the change {next} or later"
                ),
            ),
        )
        .with(serde_json::json!({ "scheme": scheme, "period": period, "earliest": next })));
    }
    Ok((created, day))
}

/// A change of `code` dated `day` must not come before its latest version: history is not
/// rewritten in the middle (a later version would silently undo it).
fn check_order(h: &History, code: &str, day: &str) -> Result<()> {
    let versions = h.of(code);
    if let Some(last) = versions.last() {
        if last.closed {
            return Err(Error::conflict(
                "unit_closed",
                Text::new(
                    format!("单位“{code}”已自 {} 起{}", last.from, last.change.name().zh),
                    format!(
                        "unit `{code}` is {} from {}",
                        last.change.name().en,
                        last.from
                    ),
                ),
            ));
        }
        if last.from.as_str() > day {
            return Err(Error::conflict(
                "out_of_order",
                Text::new(
                    format!(
                        "单位“{code}”在 {} 已有一项变更，新的变更不能早于它",
                        last.from
                    ),
                    format!(
                        "unit `{code}` already has a change dated {}; a new change cannot come before it",
                        last.from
                    ),
                ),
            ));
        }
    }
    Ok(())
}

fn dated(unit: Unit, from: &str, change: ChangeKind, successors: Vec<Code>, reason: &str) -> Dated {
    Dated {
        from: from.to_owned(),
        unit,
        closed: matches!(
            change,
            ChangeKind::Merge | ChangeKind::Split | ChangeKind::Close
        ),
        change,
        successors,
        reason: reason.to_owned(),
    }
}

async fn history(state: &AppState) -> Result<History> {
    jixiao_store::org::history(&state.store)
        .await?
        .ok_or_else(|| Error::not_found("组织", "organisation"))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ImportBody {
    /// The organisation file's text.
    pub content: String,
    /// `toml` (default) or `json`.
    pub format: Option<String>,
    pub reason: String,
    /// The day the file's changes hold from (`YYYY-MM-DD`). Without it: changed units from
    /// today; new units from the beginning of the record while no period is closed or
    /// published (setting up), else from today.
    pub effective: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The day the changes to existing units hold from.
    pub effective: String,
}

/// Imports an organisation file (adds and updates units; keeps the others), dated.
pub async fn import(state: &AppState, caller: &Caller, b: ImportBody) -> Result<ImportResult> {
    allow(state, caller, Action::ManageUnits).await?;
    require_reason(&b.reason)?;
    let name = format!("org.{}", b.format.as_deref().unwrap_or("toml"));
    let org: Org = SourceText::new(&name, &b.content)
        .parse()
        .map_err(|i| Error::invalid(&i))?;
    let mut tx = state.store.write().await?;
    let (created, day) = effective_days(&mut tx, b.effective.as_deref()).await?;
    let before = jixiao_store::org::history(&state.store).await?;
    let mut h = before
        .clone()
        .unwrap_or_else(|| History::new(org.district.clone(), Vec::new()));
    h.district = org.district.clone();
    for u in &org.units {
        let known = h.of(u.code.as_str());
        if known.is_empty() {
            h = h.with_version(dated(
                u.clone(),
                &created,
                ChangeKind::Create,
                vec![],
                &b.reason,
            ));
        } else if known.last().is_some_and(|v| v.unit != *u || v.closed) {
            check_order(&h, u.code.as_str(), &day)?;
            h = h.with_version(dated(
                u.clone(),
                &day,
                ChangeKind::Update,
                vec![],
                &b.reason,
            ));
        }
    }
    check_history(state, &h, created.as_str().min(day.as_str())).await?;
    let (added, updated, unchanged) = jixiao_store::org::import(
        &mut tx,
        &caller.actor,
        &org,
        &b.reason,
        Some(&created),
        &day,
    )
    .await?;
    commit(tx).await?;
    state.reload_after_commit().await;
    Ok(ImportResult {
        added,
        updated,
        unchanged,
        effective: day,
    })
}

/// Commits a change of one unit that the store made (`done`) or refused because the version
/// moved on (a conflict, with the unit as it is now), and reloads the live results.
async fn finish(
    state: &AppState,
    mut tx: jixiao_store::Tx,
    code: &str,
    done: bool,
) -> Result<UnitView> {
    let current = jixiao_store::org::unit(&mut tx, code).await?;
    if !done {
        return Err(conflict(current.as_ref()));
    }
    commit(tx).await?;
    state.reload_after_commit().await;
    let h = jixiao_store::org::history(&state.store).await?;
    current
        .map(|c| view(&c, h.as_ref()))
        .ok_or_else(|| Error::not_found("单位", "unit"))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UpdateBody {
    #[schema(value_type = Object)]
    pub unit: Unit,
    /// The version you edited (optimistic locking).
    pub version: i64,
    pub reason: String,
    /// The day the change holds from (`YYYY-MM-DD`; see the organisation's rule for the
    /// default).
    pub effective: Option<String>,
}

fn conflict(current: Option<&UnitRow>) -> Error {
    Error::conflict(
        "version_conflict",
        Text::new(
            "该单位已被他人修改，请刷新后重试",
            "someone else changed this unit; reload and try again",
        ),
    )
    .with(serde_json::json!({ "current": current.map(|c| view(c, None)) }))
}

/// Changes a unit from a day on: rename, move (parent), re-class, elastic coefficients, own
/// targets.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    code: &str,
    b: UpdateBody,
) -> Result<UnitView> {
    allow(state, caller, Action::ManageUnits).await?;
    require_reason(&b.reason)?;
    if b.unit.code.as_str() != code {
        return Err(Error::bad_request(
            "code_mismatch",
            Text::new("不能修改单位代码", "a unit's code cannot change"),
        ));
    }
    let h = history(state).await?;
    if h.of(code).is_empty() {
        return Err(Error::not_found("单位", "unit"));
    }
    let mut tx = state.store.write().await?;
    let day = effective_day(&mut tx, b.effective.as_deref()).await?;
    check_order(&h, code, &day)?;
    let next = h.with_version(dated(
        b.unit.clone(),
        &day,
        ChangeKind::Update,
        vec![],
        &b.reason,
    ));
    check_history(state, &next, &day).await?;
    let done =
        jixiao_store::org::update_unit(&mut tx, &caller.actor, &b.unit, b.version, &b.reason, &day)
            .await?;
    finish(state, tx, code, done).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CloseBody {
    pub version: i64,
    pub reason: String,
    /// The unit it merges into (合并); none when it is simply closed (撤销).
    pub merged_into: Option<String>,
    /// The day it is closed from (`YYYY-MM-DD`): periods that end before it keep the unit.
    pub effective: Option<String>,
}

/// Closes a unit from a day on, or merges it into another. It stays in the record, and in
/// every period that ended before that day, with the successor named.
pub async fn close(
    state: &AppState,
    caller: &Caller,
    code: &str,
    b: CloseBody,
) -> Result<UnitView> {
    allow(state, caller, Action::ManageUnits).await?;
    require_reason(&b.reason)?;
    let h = history(state).await?;
    let Some(last) = h.of(code).last().cloned() else {
        return Err(Error::not_found("单位", "unit"));
    };
    let mut tx = state.store.write().await?;
    let day = effective_day(&mut tx, b.effective.as_deref()).await?;
    check_order(&h, code, &day)?;
    let successors = match &b.merged_into {
        Some(into) => {
            let stands = matches!(h.standing(into, &day), jixiao_core::org::Standing::In(_));
            if into == code || !stands {
                return Err(Error::bad_request(
                    "bad_merge",
                    Text::new(
                        format!("不能合并到“{into}”：它在 {day} 不是一个在册单位"),
                        format!("cannot merge into `{into}`: it is not a standing unit on {day}"),
                    ),
                ));
            }
            vec![Code::parse(into).map_err(|_| Error::not_found("单位", "unit"))?]
        }
        None => Vec::new(),
    };
    let change = if successors.is_empty() {
        ChangeKind::Close
    } else {
        ChangeKind::Merge
    };
    let next = h.with_version(dated(
        last.unit.clone(),
        &day,
        change,
        successors.clone(),
        &b.reason,
    ));
    check_history(state, &next, &day).await?;
    close_and_finish(
        state,
        caller,
        tx,
        code,
        (&day, change, &successors),
        b.version,
        &b.reason,
    )
    .await
}

/// Writes a closing version (merge, split, close) of `code` and commits.
async fn close_and_finish(
    state: &AppState,
    caller: &Caller,
    mut tx: jixiao_store::Tx,
    code: &str,
    (day, change, successors): (&str, ChangeKind, &[Code]),
    version: i64,
    reason: &str,
) -> Result<UnitView> {
    let names: Vec<String> = successors.iter().map(|c| c.to_string()).collect();
    let v = Version {
        from: day,
        change,
        closed: true,
        successors: &names,
    };
    let done =
        jixiao_store::org::close_unit(&mut tx, &caller.actor, code, &v, version, reason).await?;
    finish(state, tx, code, done).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SplitBody {
    pub version: i64,
    pub reason: String,
    /// The day the split holds from (`YYYY-MM-DD`).
    pub effective: Option<String>,
    /// The new units it is split into (at least one; their codes must be new).
    #[schema(value_type = Vec<Object>)]
    pub into: Vec<Unit>,
}

/// Splits a unit into new units from a day on (拆分): the new units are set up that day and
/// the unit is closed, naming them as its successors.
pub async fn split(
    state: &AppState,
    caller: &Caller,
    code: &str,
    b: SplitBody,
) -> Result<UnitView> {
    allow(state, caller, Action::ManageUnits).await?;
    require_reason(&b.reason)?;
    let h = history(state).await?;
    let Some(last) = h.of(code).last().cloned() else {
        return Err(Error::not_found("单位", "unit"));
    };
    if b.into.is_empty() {
        return Err(Error::bad_request(
            "bad_split",
            Text::new(
                "请给出拆分后的新单位",
                "name the new units it is split into",
            ),
        ));
    }
    for (i, u) in b.into.iter().enumerate() {
        let twice = b.into[..i].iter().any(|x| x.code == u.code);
        if !h.of(u.code.as_str()).is_empty() || twice {
            return Err(Error::conflict(
                "code_taken",
                Text::new(
                    format!("into[{i}]：单位代码“{}”已被使用", u.code),
                    format!("into[{i}]: unit code `{}` is taken", u.code),
                ),
            ));
        }
    }
    let mut tx = state.store.write().await?;
    let day = effective_day(&mut tx, b.effective.as_deref()).await?;
    check_order(&h, code, &day)?;
    let successors: Vec<Code> = b.into.iter().map(|u| u.code.clone()).collect();
    let mut next = h.clone();
    for u in &b.into {
        next = next.with_version(dated(
            u.clone(),
            &day,
            ChangeKind::Create,
            vec![],
            &b.reason,
        ));
    }
    next = next.with_version(dated(
        last.unit.clone(),
        &day,
        ChangeKind::Split,
        successors.clone(),
        &b.reason,
    ));
    check_history(state, &next, &day).await?;
    for u in &b.into {
        jixiao_store::org::create_unit(&mut tx, &caller.actor, u, &day, &b.reason).await?;
    }
    close_and_finish(
        state,
        caller,
        tx,
        code,
        (&day, ChangeKind::Split, &successors),
        b.version,
        &b.reason,
    )
    .await
}
