//! Periods of a scheme: deadlines; closing locks their values until the office reopens them.

use crate::error::{Error, Result};
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::Action;
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use jixiao_store::periods::PeriodRow;
use serde::Deserialize;
use utoipa::ToSchema;

/// Every period of every scheme.
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<PeriodRow>> {
    caller.require_signed_in()?;
    Ok(jixiao_store::periods::list(&state.store).await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPeriod {
    pub scheme: String,
    /// `2025`, `2025H1`, `2025Q2`, `2025-06`.
    pub period: String,
    /// RFC 3339.
    pub deadline: Option<String>,
    /// Whether verified values count at once (default true).
    pub auto_count: Option<bool>,
}

fn bad_period(p: &str) -> Error {
    Error::bad_request(
        "bad_period",
        Text::new(
            format!("期间“{p}”格式不对，应写成 2025、2025H1、2025Q2 或 2025-06"),
            format!("invalid period `{p}`; write 2025, 2025H1, 2025Q2 or 2025-06"),
        ),
    )
}

fn check_deadline(d: &Option<String>) -> Result<()> {
    if let Some(d) = d {
        time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).map_err(
            |_| {
                Error::bad_request(
                    "bad_deadline",
                    Text::new(
                        format!(
                            "截止时间“{d}”格式不对，应为 RFC 3339，如 2025-04-10T17:00:00+08:00"
                        ),
                        format!("deadline `{d}` is not RFC 3339, e.g. 2025-04-10T17:00:00+08:00"),
                    ),
                )
            },
        )?;
    }
    Ok(())
}

/// Opens a period of a published scheme for reporting.
pub async fn create(state: &AppState, caller: &Caller, b: NewPeriod) -> Result<PeriodRow> {
    allow(state, caller, Action::ManagePeriods).await?;
    let p = Period::parse(&b.period).map_err(|_| bad_period(&b.period))?;
    check_deadline(&b.deadline)?;
    {
        let live = state.live.read().await;
        let s = live
            .scheme(&b.scheme)
            .ok_or_else(|| Error::not_found("已发布的方案", "published scheme"))?;
        if i64::from(p.year_number()) != s.row.year {
            let y = s.row.year;
            return Err(Error::bad_request(
                "period_out_of_scope",
                Text::new(
                    format!("期间{p}不在方案年度{y}内"),
                    format!("period {p} is not in the scheme's year {y}"),
                ),
            ));
        }
    }
    let mut tx = state.store.write().await?;
    let row = jixiao_store::periods::create(
        &mut tx,
        &caller.actor,
        &b.scheme,
        &p.to_string(),
        b.deadline.as_deref(),
        b.auto_count.unwrap_or(true),
    )
    .await?;
    commit(tx).await?;
    state.reload_after_commit().await;
    Ok(row)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PeriodChange {
    /// `open` or `closed`.
    pub status: String,
    pub deadline: Option<String>,
    /// Whether verified values count at once; unchanged when omitted.
    pub auto_count: Option<bool>,
    pub version: i64,
    pub reason: String,
}

/// Closes a period (its values are locked), reopens it, moves its deadline, or switches
/// automatic counting of verified values. Always with a reason.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    b: PeriodChange,
) -> Result<PeriodRow> {
    allow(state, caller, Action::LockPeriod).await?;
    require_reason(&b.reason)?;
    check_deadline(&b.deadline)?;
    if !matches!(b.status.as_str(), "open" | "closed") {
        return Err(Error::bad_request(
            "bad_status",
            Text::new("状态只能是 open 或 closed", "status must be open or closed"),
        ));
    }
    let mut tx = state.store.write().await?;
    let before = jixiao_store::periods::get(&mut tx, scheme, period)
        .await?
        .ok_or_else(|| Error::not_found("期间", "period"))?;
    if before.version != b.version
        || !jixiao_store::periods::update(
            &mut tx,
            &caller.actor,
            &before,
            &b.status,
            b.deadline.as_deref(),
            b.auto_count.unwrap_or(before.auto_count),
            &b.reason,
        )
        .await?
    {
        return Err(Error::conflict(
            "version_conflict",
            Text::new(
                "该期间已被他人修改，请刷新后重试",
                "someone else changed this period; reload and try again",
            ),
        )
        .with(serde_json::json!({ "current": before })));
    }
    let after = jixiao_store::periods::get(&mut tx, scheme, period)
        .await?
        .ok_or_else(|| Error::not_found("期间", "period"))?;
    commit(tx).await?;
    state.reload_after_commit().await;
    Ok(after)
}
