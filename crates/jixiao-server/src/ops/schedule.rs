//! Scheduled work, run in the server every `schedule_seconds`: reporting deadlines coming up
//! and passed (催报), warnings brought up to date and escalated when unanswered, rectification
//! deadlines, and the outbox delivered.
//!
//! With several nodes on one PostgreSQL database exactly one runs a round at a time: a round
//! starts by taking a session advisory lock ([`LOCK`]) with `pg_try_advisory_lock`, and a node
//! that does not get it skips the round. Nothing is sent twice: every notice has a key that
//! the inbox and the outbox hold once, and a message is marked delivered right after it is sent
//! (see [`crate::ops::notices`]).

use crate::error::Result;
use crate::ops::notices::{Notice, To, tell_in};
use crate::ops::{Caller, allow, commit};
use crate::state::AppState;
use jixiao_core::access::Action;
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use serde::Serialize;
use utoipa::ToSchema;

/// The advisory lock key of the scheduled round ("jixiao" in ASCII, as a number).
pub const LOCK: i64 = 0x6a69_7869_616f;

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Round {
    /// Whether this node ran it (another node held the lock otherwise).
    pub ran: bool,
    pub reminded: usize,
    pub escalated: usize,
    pub rectification_reminders: usize,
    pub delivered: crate::ops::notices::Delivered,
}

/// One round of the scheduled work at `now` (tests pass their own clock).
pub async fn tick(state: &AppState, now: time::OffsetDateTime) -> Result<Round> {
    let Some(lock) = state.store.try_lock(LOCK).await? else {
        return Ok(Round::default());
    };
    let round = run(state, now).await;
    lock.release().await;
    round
}

async fn run(state: &AppState, now: time::OffsetDateTime) -> Result<Round> {
    let mut r = Round {
        ran: true,
        ..Round::default()
    };
    r.reminded = deadlines(state, now).await?;
    crate::ops::rectifications::publish_elements(state).await?;
    crate::ops::projects::publish_elements(state).await?;
    crate::ops::enforcement::publish_elements(state).await?;
    crate::ops::warnings::follow_all(state).await?;
    r.escalated = crate::ops::warnings::escalate(state, now).await?;
    let today = crate::ops::warnings::day_after(now, 0);
    r.rectification_reminders = crate::ops::rectifications::remind_deadlines(state, &today).await?;
    r.delivered = crate::ops::notices::deliver(state, now).await?;
    Ok(r)
}

fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// The units of a scheme's period that still have numbers to report: (code, name, missing).
fn unreported(live: &crate::live::Live, scheme: &str, period: &str) -> Vec<(String, Text, usize)> {
    let Ok(p) = Period::parse(period) else {
        return Vec::new();
    };
    let Some(s) = live.schemes.get(scheme) else {
        return Vec::new();
    };
    let Some(t) = s.periods.get(&p) else {
        return Vec::new();
    };
    let m = &t.model;
    m.units
        .iter()
        .enumerate()
        .filter(|(i, _)| m.class_of(*i as u32).is_some())
        .filter_map(|(_, u)| {
            let r = crate::ops::entry::reporting(live, u.code.as_str(), p, None);
            (r.missing > 0).then(|| (u.code.to_string(), u.name.clone(), r.missing))
        })
        .collect()
}

fn deadline_notice(
    kind: &'static str,
    key: String,
    unit: &str,
    period: &str,
    title: &Text,
    missing: usize,
    deadline: &str,
) -> Notice {
    let day = crate::ops::warnings::beijing_day(deadline);
    let (zh, en) = if kind == "deadline" {
        (
            format!(
                "{title_zh} {period} 报送截止于 {day}，尚有 {missing} 项未报",
                title_zh = title.zh
            ),
            format!(
                "{} {period}: due {day}, {missing} numbers still to report",
                title.en
            ),
        )
    } else {
        (
            format!(
                "{title_zh} {period} 已过报送截止时间（{day}），尚有 {missing} 项未报，请尽快报送",
                title_zh = title.zh
            ),
            format!(
                "{} {period}: the deadline ({day}) has passed with {missing} numbers unreported; please report now",
                title.en
            ),
        )
    };
    Notice {
        kind,
        key,
        title: Text::new(
            if kind == "deadline" {
                "报送期限临近"
            } else {
                "催报：逾期未报"
            },
            if kind == "deadline" {
                "Reporting deadline coming up"
            } else {
                "Reminder: reporting overdue"
            },
        ),
        body: Text::new(zh, en),
        link: format!("/entry/{unit}/{period}"),
    }
}

/// Reporting deadlines: units with numbers still to report are told once when the deadline is
/// `remind_days_before` days away, and once when it has passed. How many units were told.
async fn deadlines(state: &AppState, now: time::OffsetDateTime) -> Result<usize> {
    let ahead = time::Duration::days(i64::from(state.config.remind_days_before));
    let mut notices = Vec::new();
    {
        let live = state.live.read().await;
        for p in live.periods.iter().filter(|p| p.status == "open") {
            let Some(deadline) = p.deadline.as_deref() else {
                continue;
            };
            let Some(d) = parse_time(deadline) else {
                continue;
            };
            let kind = if now >= d {
                "overdue"
            } else if now + ahead >= d {
                "deadline"
            } else {
                continue;
            };
            let Some(s) = live.schemes.get(&p.scheme_code) else {
                continue;
            };
            for (unit, _, missing) in unreported(&live, &p.scheme_code, &p.period) {
                notices.push((
                    unit.clone(),
                    deadline_notice(
                        kind,
                        format!("{kind}:{}:{}:{unit}", p.scheme_code, p.period),
                        &unit,
                        &p.period,
                        &s.model.scheme.title,
                        missing,
                        deadline,
                    ),
                ));
            }
        }
    }
    if notices.is_empty() {
        return Ok(0);
    }
    let mut tx = state.store.write().await?;
    let mut n = 0;
    for (unit, notice) in &notices {
        if tell_in(&mut tx, &state.config, &[To::Unit(unit.clone())], notice).await? > 0 {
            n += 1;
        }
    }
    commit(tx).await?;
    Ok(n)
}

/// What the 催报 button did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reminded {
    /// The units reminded, by code, with how many numbers each still has to report.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub units: Vec<(String, Text, usize)>,
    /// People told (a unit reminded twice in a day is told once).
    pub people: usize,
}

/// "Remind the units that have not reported" (催报): every unit of the scheme's period with
/// numbers still to report is told now (once a day at most).
pub async fn remind(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
) -> Result<Reminded> {
    allow(state, caller, Action::RemindUnits).await?;
    let (units, title, deadline) = {
        let live = state.live.read().await;
        crate::ops::results::tracked(&live, scheme, period)?;
        let title = live
            .schemes
            .get(scheme)
            .map(|s| s.model.scheme.title.clone())
            .unwrap_or_default();
        (
            unreported(&live, scheme, period),
            title,
            live.deadline(scheme, period).unwrap_or_default(),
        )
    };
    let day = crate::ops::warnings::day_after(time::OffsetDateTime::now_utc(), 0);
    let mut tx = state.store.write().await?;
    let mut people = 0;
    for (unit, _, missing) in &units {
        let mut n = deadline_notice(
            "overdue",
            format!("remind:{scheme}:{period}:{unit}:{day}"),
            unit,
            period,
            &title,
            *missing,
            &deadline,
        );
        if deadline.is_empty() {
            n.body = Text::new(
                format!("{} {period} 尚有 {missing} 项未报，请尽快报送", title.zh),
                format!("{} {period}: {missing} numbers still to report", title.en),
            );
        }
        people += tell_in(&mut tx, &state.config, &[To::Unit(unit.clone())], &n).await?;
    }
    jixiao_store::audit::append(
        &mut tx,
        &caller.actor,
        jixiao_store::audit::Change {
            action: "notice.remind",
            entity: "period",
            entity_id: &format!("{scheme}/{period}"),
            before: None,
            after: serde_json::to_string(&units.iter().map(|(u, _, m)| (u, m)).collect::<Vec<_>>())
                .ok(),
            reason: "",
        },
    )
    .await?;
    commit(tx).await?;
    Ok(Reminded { units, people })
}

/// Runs [`tick`] every `schedule_seconds` in the background (none when 0).
pub fn start(state: &AppState) {
    let every = state.config.schedule_seconds;
    if every == 0 {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let mut t = tokio::time::interval(std::time::Duration::from_secs(every));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            t.tick().await;
            if let Err(e) = tick(&state, time::OffsetDateTime::now_utc()).await {
                tracing::warn!(error = %e.detail(jixiao_core::text::Lang::En), "the scheduled round failed; the next one tries again");
            }
        }
    });
}
