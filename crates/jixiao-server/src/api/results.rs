//! Live results: rankings per class, a unit's report card with explanations, what-if.

use crate::api::extract::Json;
use crate::api::extract::Path;
use crate::api::extract::Query;
use crate::api::units::allow;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::live::{Kind, Live, LiveScheme, Tracked};
use crate::state::AppState;
use axum::extract::State;

use jixiao_core::access::Action;
use jixiao_core::period::Period;
use jixiao_core::report::{Detail, report};
use jixiao_core::text::Text;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ResultQuery {
    /// `official` (counted values, the default) or `provisional` (submitted and beyond).
    pub kind: Option<Kind>,
    /// Only this class.
    pub class: Option<String>,
}

pub fn tracked<'a>(
    live: &'a Live,
    scheme: &str,
    period: &str,
) -> ApiResult<(&'a LiveScheme, &'a Tracked, Period)> {
    let s = live
        .scheme(scheme)
        .ok_or_else(|| ApiError::not_found("已发布的方案", "published scheme"))?;
    let p = Period::parse(period).map_err(|_| ApiError::not_found("期间", "period"))?;
    let t = s
        .periods
        .get(&p)
        .ok_or_else(|| ApiError::not_found("该方案的考核期间", "period of this scheme"))?;
    Ok((s, t, p))
}

/// Completeness and timeliness of reporting.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReportingReport {
    pub scheme: String,
    pub period: String,
    /// The period's deadline (RFC 3339), if it has one.
    pub deadline: Option<String>,
    pub units: Vec<crate::web::results::Reporting>,
}

/// Completeness and timeliness of reporting per unit for a period: numbers expected, reported,
/// reported by the deadline, late and missing.
#[utoipa::path(get, path = "/results/{scheme}/{period}/reporting", tag = "results", params(("scheme" = String, Path), ("period" = String, Path)),
    responses((status = 200, body = ReportingReport), (status = 404, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn reporting(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
) -> ApiResult<Json<ReportingReport>> {
    allow(&state, &caller, Action::ReadRankings).await?;
    let live = state.live.read().await;
    let (s, _, p) = tracked(&live, &scheme, &period)?;
    let deadline = live.deadline(&scheme, &period);
    let mut units = Vec::new();
    if let Some(org) = &live.org {
        for u in &org.units {
            let assessed = s
                .model
                .unit(u.code.as_str())
                .and_then(|id| s.model.class_of(id))
                .is_some();
            if !assessed {
                continue;
            }
            let mut r =
                crate::web::results::reporting(&live, u.code.as_str(), p, deadline.as_deref());
            r.name_zh = u.name.zh.clone();
            r.name_en = u.name.en.clone();
            units.push(r);
        }
    }
    Ok(Json(ReportingReport {
        scheme,
        period,
        deadline,
        units,
    }))
}

/// Rankings and grades of every class (or one), live.
#[utoipa::path(get, path = "/results/{scheme}/{period}", tag = "results", params(("scheme" = String, Path), ("period" = String, Path), ResultQuery),
    responses((status = 200, description = "the report: classes, ranked rows, grades", body = Object), (status = 404, body = crate::error::Problem)))]
pub async fn ranking(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<ResultQuery>,
) -> ApiResult<axum::response::Response> {
    allow(&state, &caller, Action::ReadRankings).await?;
    let live = state.live.read().await;
    let kind = q.kind.unwrap_or(Kind::Official);
    // Dashboards read the same ranking again and again between changes: send the bytes made
    // at this generation of the results, if any.
    let key = format!(
        "{scheme}\u{1f}{period}\u{1f}{kind:?}\u{1f}{}",
        q.class.as_deref().unwrap_or("")
    );
    let cached = state
        .rankings
        .lock()
        .ok()
        .and_then(|c| c.get(&key).filter(|(g, _)| *g == live.generation).cloned());
    if let Some((_, bytes)) = cached {
        return Ok(json_bytes(bytes));
    }
    let (s, t, _) = tracked(&live, &scheme, &period)?;
    let class = match &q.class {
        Some(c) => Some(
            s.model
                .class_ix
                .get(c.as_str())
                .copied()
                .ok_or_else(|| ApiError::not_found("类别", "class"))?,
        ),
        None => None,
    };
    let (scoring, values) = match q.kind.unwrap_or(Kind::Official) {
        Kind::Official => (&t.official, &s.official),
        Kind::Provisional => (&t.provisional, &s.provisional),
    };
    let ranking = Ranking {
        report: report(&s.model, values, scoring, class, Detail::default()),
        scheme_version: s.row.version,
        scheme_hash: s.row.content_hash.clone(),
        kind,
    };
    let bytes =
        axum::body::Bytes::from(serde_json::to_vec(&ranking).map_err(|e| ApiError::internal(&e))?);
    if let Ok(mut c) = state.rankings.lock() {
        c.insert(key, (live.generation, bytes.clone()));
    }
    Ok(json_bytes(bytes))
}

fn json_bytes(bytes: axum::body::Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        bytes,
    )
        .into_response()
}

/// A ranking: the report (serialized straight to the response, no intermediate JSON tree)
/// with the scheme version and content hash it was scored under.
#[derive(serde::Serialize)]
pub struct Ranking {
    #[serde(flatten)]
    pub report: jixiao_core::report::Report,
    pub scheme_version: i64,
    pub scheme_hash: String,
    pub kind: Kind,
}

/// A unit's report card: every indicator with its score and explanation, the total, rank and
/// grade with how they were decided.
#[utoipa::path(get, path = "/results/{scheme}/{period}/units/{unit}", tag = "results", params(("scheme" = String, Path), ("period" = String, Path), ("unit" = String, Path), ResultQuery),
    responses((status = 200, description = "the unit's row with indicators and explanations", body = Object), (status = 404, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn unit(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period, unit)): Path<(String, String, String)>,
    Query(q): Query<ResultQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    allow(&state, &caller, Action::ReadUnit { unit: &unit }).await?;
    let live = state.live.read().await;
    let (s, t, _) = tracked(&live, &scheme, &period)?;
    let uid = s
        .model
        .unit(&unit)
        .ok_or_else(|| ApiError::not_found("单位", "unit"))?;
    let (cid, _) = s.model.class_of(uid).ok_or_else(|| {
        ApiError::not_found("本方案不考核该单位", "unit not assessed by this scheme")
    })?;
    let (scoring, values) = match q.kind.unwrap_or(Kind::Official) {
        Kind::Official => (&t.official, &s.official),
        Kind::Provisional => (&t.provisional, &s.provisional),
    };
    let r = report(
        &s.model,
        values,
        scoring,
        Some(cid),
        Detail {
            indicators: true,
            explanations: true,
            rows: false,
        },
    );
    let class = r
        .classes
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("类别", "class"))?;
    let row = class
        .rows
        .into_iter()
        .find(|row| row.unit.as_str() == unit)
        .ok_or_else(|| ApiError::not_found("单位", "unit"))?;
    Ok(Json(serde_json::json!({
        "scheme": scheme, "scheme_version": s.row.version, "scheme_hash": s.row.content_hash, "period": period,
        "kind": q.kind.unwrap_or(Kind::Official), "class": { "code": class.code, "name": class.name, "units": class.units, "modules": class.modules }, "row": row
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct WhatIfBody {
    /// `[class/]code=points`
    #[serde(default)]
    pub points: Vec<String>,
    #[serde(default)]
    pub weight: Vec<String>,
    #[serde(default)]
    pub target: Vec<String>,
    /// `unit/code=k`
    #[serde(default)]
    pub coef: Vec<String>,
}

fn bad(s: &str) -> ApiError {
    ApiError::bad_request(
        "bad_change",
        Text::new(
            format!("“{s}”的写法应为 [类别/]代码=数值"),
            format!("`{s}` should read [class/]code=number"),
        ),
    )
}

fn parse(s: &str) -> ApiResult<(Option<String>, String, jixiao_core::Decimal)> {
    use std::str::FromStr;
    let (lhs, rhs) = s.split_once('=').ok_or_else(|| bad(s))?;
    let v = jixiao_core::Decimal::from_str(rhs.trim()).map_err(|_| bad(s))?;
    Ok(match lhs.split_once('/') {
        Some((a, b)) => (Some(a.trim().to_owned()), b.trim().to_owned(), v),
        None => (None, lhs.trim().to_owned(), v),
    })
}

/// Re-score with changed points, weights, targets or coefficients (official values) and see
/// whose rank and grade would move. Nothing is stored.
#[utoipa::path(post, path = "/results/{scheme}/{period}/whatif", tag = "results", params(("scheme" = String, Path), ("period" = String, Path)), request_body = WhatIfBody,
    responses((status = 200, description = "units that move", body = Object), (status = 422, body = crate::error::Problem)))]
pub async fn whatif(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Json(b): Json<WhatIfBody>,
) -> ApiResult<Json<serde_json::Value>> {
    use jixiao_core::code::{Code, Ident};
    use jixiao_core::whatif::Adjust;
    allow(&state, &caller, Action::WhatIf).await?;
    let id = |s: &str| Ident::parse(s).map_err(|e| ApiError::bad_request("bad_code", e.text(s)));
    let mut adj = Vec::new();
    for (list, which) in [(&b.points, 0), (&b.weight, 1), (&b.target, 2)] {
        for s in list {
            let (c, code, v) = parse(s)?;
            let (class, code) = (c.as_deref().map(id).transpose()?, id(&code)?);
            adj.push(match which {
                0 => Adjust::Points {
                    class,
                    code,
                    points: v,
                },
                1 => Adjust::Weight {
                    class,
                    code,
                    weight: v,
                },
                _ => Adjust::Target {
                    class,
                    code,
                    target: v,
                },
            });
        }
    }
    for s in &b.coef {
        let (u, code, k) = parse(s)?;
        let u = u.ok_or_else(|| bad(s))?;
        adj.push(Adjust::Coefficient {
            unit: Code::parse(&u).map_err(|e| ApiError::bad_request("bad_code", e.text(&u)))?,
            key: id(&code)?,
            k,
        });
    }
    let live = state.live.read().await;
    let (s, _, p) = tracked(&live, &scheme, &period)?;
    // The official values as a data set, so the what-if rebuilds them against its own model.
    let records = live
        .values
        .values()
        .filter(|r| {
            jixiao_core::workflow::ValueState::parse(&r.state).is_some_and(|st| st.official())
                && s.model.element(&r.element).is_some()
                && s.model.unit(&r.unit_code).is_some()
        })
        .filter_map(|r| {
            Some(jixiao_core::data::Record {
                unit: r.unit_code.clone(),
                item: r.element.clone(),
                period: Period::parse(&r.period).ok()?,
                value: std::str::FromStr::from_str(&r.value).ok()?,
                percent_sign: false,
                note: None,
                row: 0,
            })
        })
        .collect();
    let data = jixiao_core::data::DataSet {
        file: "jixiao".into(),
        encoding: "UTF-8",
        records,
        columns: [
            "unit".into(),
            "item".into(),
            "period".into(),
            "value".into(),
        ],
    };
    let (w, _) = jixiao_core::whatif::what_if(&s.model, &data, p, &adj)
        .map_err(|i| ApiError::invalid(&i))?;
    Ok(Json(
        serde_json::to_value(&w).map_err(|e| ApiError::internal(&e))?,
    ))
}
