//! Periods of a scheme: deadlines; closing locks their values until the office reopens them.

use crate::api::extract::Json;
use crate::api::extract::Path;
use crate::api::require_reason;
use crate::api::units::allow;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;

use axum::http::StatusCode;
use jixiao_core::access::Action;
use jixiao_core::period::Period;
use jixiao_core::text::Text;
use jixiao_store::periods::PeriodRow;
use serde::Deserialize;
use utoipa::ToSchema;

#[utoipa::path(get, path = "/periods", tag = "periods", responses((status = 200, body = Vec<PeriodRow>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<PeriodRow>>> {
    caller.require_signed_in()?;
    Ok(Json(jixiao_store::periods::list(&state.store).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewPeriod {
    pub scheme: String,
    /// `2025`, `2025H1`, `2025Q2`, `2025-06`.
    pub period: String,
    /// RFC 3339.
    pub deadline: Option<String>,
    /// Whether verified values count at once (default true).
    pub auto_count: Option<bool>,
}

fn bad_period(p: &str) -> ApiError {
    ApiError::bad_request(
        "bad_period",
        Text::new(
            format!("期间“{p}”格式不对，应写成 2025、2025H1、2025Q2 或 2025-06"),
            format!("invalid period `{p}`; write 2025, 2025H1, 2025Q2 or 2025-06"),
        ),
    )
}

fn check_deadline(d: &Option<String>) -> ApiResult<()> {
    if let Some(d) = d {
        time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).map_err(
            |_| {
                ApiError::bad_request(
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

/// Open a period of a published scheme for reporting.
#[utoipa::path(post, path = "/periods", tag = "periods", request_body = NewPeriod,
    responses((status = 201, body = PeriodRow), (status = 409, body = crate::error::Problem), (status = 400, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<NewPeriod>,
) -> ApiResult<(StatusCode, Json<PeriodRow>)> {
    allow(&state, &caller, Action::ManagePeriods).await?;
    let p = Period::parse(&b.period).map_err(|_| bad_period(&b.period))?;
    check_deadline(&b.deadline)?;
    {
        let live = state.live.read().await;
        let s = live
            .scheme(&b.scheme)
            .ok_or_else(|| ApiError::not_found("已发布的方案", "published scheme"))?;
        if i64::from(p.year_number()) != s.row.year {
            let y = s.row.year;
            return Err(ApiError::bad_request(
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
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    state.reload().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[derive(Deserialize, ToSchema)]
pub struct PeriodChange {
    /// `open` or `closed`.
    pub status: String,
    pub deadline: Option<String>,
    /// Whether verified values count at once; unchanged when omitted.
    pub auto_count: Option<bool>,
    pub version: i64,
    pub reason: String,
}

/// Close a period (its values are locked), reopen it, move its deadline, or switch automatic
/// counting of verified values. Always with a reason.
#[utoipa::path(put, path = "/periods/{scheme}/{period}", tag = "periods", params(("scheme" = String, Path), ("period" = String, Path)), request_body = PeriodChange,
    responses((status = 200, body = PeriodRow), (status = 409, body = crate::error::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Json(b): Json<PeriodChange>,
) -> ApiResult<Json<PeriodRow>> {
    allow(&state, &caller, Action::LockPeriod).await?;
    require_reason(&b.reason)?;
    check_deadline(&b.deadline)?;
    if !matches!(b.status.as_str(), "open" | "closed") {
        return Err(ApiError::bad_request(
            "bad_status",
            Text::new("状态只能是 open 或 closed", "status must be open or closed"),
        ));
    }
    let mut tx = state.store.write().await?;
    let before = jixiao_store::periods::get(&mut tx, &scheme, &period)
        .await?
        .ok_or_else(|| ApiError::not_found("期间", "period"))?;
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
        return Err(ApiError::conflict(
            "version_conflict",
            Text::new(
                "该期间已被他人修改，请刷新后重试",
                "someone else changed this period; reload and try again",
            ),
        )
        .with(serde_json::json!({ "current": before })));
    }
    let after = jixiao_store::periods::get(&mut tx, &scheme, &period)
        .await?
        .ok_or_else(|| ApiError::not_found("期间", "period"))?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    state.reload().await?;
    Ok(Json(after))
}
