//! Publication (公示): freezes the results of a scheme and period with the scheme version and
//! hash, the organisation and the counted values they came from. Re-scoring those inputs gives
//! the same results to the byte; an upheld appeal publishes a new revision, and both remain.

use crate::api::extract::Json;
use crate::api::extract::Path;
use crate::api::require_reason;
use crate::api::units::allow;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::live::{Live, values_from_rows};
use crate::state::AppState;
use axum::extract::State;

use axum::http::StatusCode;
use jixiao_core::access::Action;
use jixiao_core::doc::SourceText;
use jixiao_core::engine::Scoring;
use jixiao_core::model::Model;
use jixiao_core::org::Org;
use jixiao_core::period::Period;
use jixiao_core::report::{Detail, report};
use jixiao_core::text::Text;
use jixiao_core::workflow::ValueState;
use jixiao_store::publications::{NewPublication, PublicationRow};
use jixiao_store::values::ValueRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The counted values a scheme reads, sorted (the snapshot is the same whatever the order
/// values were entered in).
fn counted(live: &Live, model: &Model) -> Vec<[String; 4]> {
    let mut v: Vec<[String; 4]> = live
        .values
        .values()
        .filter(|r| {
            ValueState::parse(&r.state) == Some(ValueState::Counted)
                && model.element(&r.element).is_some()
                && model.unit(&r.unit_code).is_some()
        })
        .map(|r| {
            [
                r.unit_code.clone(),
                r.element.clone(),
                r.period.clone(),
                r.value.clone(),
            ]
        })
        .collect();
    v.sort();
    v
}

fn rows_of(snapshot: &[[String; 4]]) -> Vec<ValueRow> {
    snapshot
        .iter()
        .map(|[u, e, p, v]| ValueRow {
            id: 0,
            unit_code: u.clone(),
            element: e.clone(),
            period: p.clone(),
            value: v.clone(),
            note: String::new(),
            state: "counted".into(),
            return_reason: String::new(),
            version: 0,
            source: String::new(),
            updated_by: String::new(),
            updated_at: String::new(),
            reported_at: None,
        })
        .collect()
}

/// Scores a scheme's text against an organisation and counted values: what publication stores
/// and re-scoring repeats.
pub fn score_snapshot(
    scheme_format: &str,
    scheme_text: &str,
    org: &Org,
    snapshot: &[[String; 4]],
    period: Period,
) -> Result<String, jixiao_core::issue::Issues> {
    let name = format!("scheme.{scheme_format}");
    let scheme = SourceText::new(&name, scheme_text).parse()?;
    let (model, _) = Model::build(
        scheme,
        org.clone(),
        &SourceText::detached("scheme"),
        &SourceText::detached("organisation"),
    )?;
    let rows = rows_of(snapshot);
    let values = values_from_rows(&model, rows.iter(), |_| true);
    let scoring = Scoring::compute(&model, &values, period);
    let r = report(
        &model,
        &values,
        &scoring,
        None,
        Detail {
            indicators: true,
            explanations: true,
            rows: false,
        },
    );
    Ok(serde_json::to_string(&r).unwrap_or_default())
}

#[derive(Deserialize, ToSchema)]
pub struct PublishBody {
    pub scheme: String,
    pub period: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct PublicationView {
    #[serde(flatten)]
    pub row: PublicationRow,
    /// The published results (the report with every indicator and its explanation).
    #[schema(value_type = Object)]
    pub results: Option<serde_json::Value>,
}

/// Publish the official results of a scheme and period.
#[utoipa::path(post, path = "/publications", tag = "publications", request_body = PublishBody,
    responses((status = 201, body = PublicationView), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Json(b): Json<PublishBody>,
) -> ApiResult<(StatusCode, Json<PublicationView>)> {
    allow(&state, &caller, Action::Publish { scheme: &b.scheme }).await?;
    require_reason(&b.reason)?;
    let row = publish_now(&state, &caller, &b.scheme, &b.period, &b.reason).await?;
    let results = serde_json::from_str(&row.results).ok();
    Ok((StatusCode::CREATED, Json(PublicationView { row, results })))
}

/// Scores the current official values and stores a new revision.
pub async fn publish_now(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    reason: &str,
) -> ApiResult<PublicationRow> {
    let (scheme_row, org, snapshot, p) = {
        let live = state.live.read().await;
        let (s, _, p) = crate::api::results::tracked(&live, scheme, period)?;
        if s.periods[&p]
            .official
            .classes
            .iter()
            .any(|c| c.units.iter().any(|u| u.blocked))
        {
            let blocked: Vec<String> = s.periods[&p]
                .official
                .classes
                .iter()
                .flat_map(|c| {
                    c.units
                        .iter()
                        .enumerate()
                        .filter(|(_, u)| u.blocked)
                        .map(|(m, _)| {
                            s.model.units[s.model.classes[c.class as usize].members[m] as usize]
                                .code
                                .to_string()
                        })
                })
                .collect();
            return Err(ApiError::conflict(
                "blocked",
                Text::new(
                    format!("以下单位缺少数据，按规则暂不能公布：{}", blocked.join(", ")),
                    format!(
                        "these units miss data that blocks publication: {}",
                        blocked.join(", ")
                    ),
                ),
            )
            .with(serde_json::json!({ "units": blocked })));
        }
        (
            s.row.clone(),
            s.model.org.clone(),
            counted(&live, &s.model),
            p,
        )
    };
    let results = score_snapshot(&scheme_row.format, &scheme_row.content, &org, &snapshot, p)
        .map_err(|i| ApiError::invalid(&i))?;
    let org_json = serde_json::to_string(&org).map_err(|e| ApiError::internal(&e))?;
    let values_json = serde_json::to_string(&snapshot).map_err(|e| ApiError::internal(&e))?;
    let mut tx = state.store.write().await?;
    let row = jixiao_store::publications::publish(
        &mut tx,
        &caller.actor,
        NewPublication {
            scheme_code: scheme,
            scheme_version: scheme_row.version,
            scheme_hash: &scheme_row.content_hash,
            period: &p.to_string(),
            org_snapshot: &org_json,
            values_snapshot: &values_json,
            results: &results,
            reason,
        },
    )
    .await?;
    tx.commit().await.map_err(jixiao_store::StoreError::from)?;
    Ok(row)
}

/// Every publication, newest first (public).
#[utoipa::path(get, path = "/publications", tag = "publications", responses((status = 200, body = Vec<PublicationRow>)))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<PublicationRow>>> {
    Ok(Json(jixiao_store::publications::list(&state.store).await?))
}

/// One publication with its results (public).
#[utoipa::path(get, path = "/publications/{id}", tag = "publications", params(("id" = i64, Path)), responses((status = 200, body = PublicationView), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<PublicationView>> {
    let row = jixiao_store::publications::get(&state.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("公示", "publication"))?;
    let results = serde_json::from_str(&row.results).ok();
    Ok(Json(PublicationView { row, results }))
}

#[derive(Serialize, ToSchema)]
pub struct Rescore {
    /// The re-scored results equal the published ones to the byte.
    pub identical: bool,
    pub published_hash: String,
    pub rescored_hash: String,
}

/// Re-score a publication from its frozen scheme version, organisation and values.
#[utoipa::path(post, path = "/publications/{id}/rescore", tag = "publications", params(("id" = i64, Path)), responses((status = 200, body = Rescore), (status = 404, body = crate::error::Problem)))]
pub async fn rescore(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Rescore>> {
    let row = jixiao_store::publications::get(&state.store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("公示", "publication"))?;
    allow(
        &state,
        &caller,
        Action::Publish {
            scheme: &row.scheme_code,
        },
    )
    .await?;
    let scheme = jixiao_store::schemes::get(&state.store, &row.scheme_code, row.scheme_version)
        .await?
        .ok_or_else(|| ApiError::not_found("方案版本", "scheme version"))?;
    if scheme.content_hash != row.scheme_hash {
        return Err(ApiError::conflict(
            "scheme_changed",
            Text::new(
                "方案内容与公示时的哈希不一致",
                "the scheme's content no longer matches the hash recorded at publication",
            ),
        ));
    }
    let org: Org = serde_json::from_str(&row.org_snapshot).map_err(|e| ApiError::internal(&e))?;
    let snapshot: Vec<[String; 4]> =
        serde_json::from_str(&row.values_snapshot).map_err(|e| ApiError::internal(&e))?;
    let p = Period::parse(&row.period).map_err(|e| ApiError::internal(&e))?;
    let again = score_snapshot(&scheme.format, &scheme.content, &org, &snapshot, p)
        .map_err(|i| ApiError::invalid(&i))?;
    let rescored_hash = jixiao_store::sha256_hex(again.as_bytes());
    Ok(Json(Rescore {
        identical: again == row.results,
        published_hash: row.results_hash,
        rescored_hash,
    }))
}
