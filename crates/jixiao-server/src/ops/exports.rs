//! Exports as files offices open in Excel: values, rankings and audit extracts, as XLSX
//! (Chinese headers, widths, number formats, frozen header row) or CSV (UTF-8 with a BOM, so
//! Excel reads the Chinese). Each goes through the same permission checks as its list.

use crate::api::extract::{Path, Query};
use crate::api::{PageQuery, audit, results, values};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::web::xlsx::{Cell, Sheet};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jixiao_core::Decimal;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

fn file(name: &str, sheets: Vec<Sheet>, format: Option<&str>) -> ApiResult<Response> {
    match format.unwrap_or("xlsx") {
        "xlsx" => crate::web::xlsx::download(name, &sheets),
        "csv" => {
            let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
            let several = sheets.len() > 1;
            for (i, s) in sheets.iter().enumerate() {
                if i == 0 {
                    let mut h = Vec::new();
                    if several {
                        h.push("表 sheet".to_owned());
                    }
                    h.extend(s.headers.iter().cloned());
                    w.write_record(&h).map_err(|e| ApiError::internal(&e))?;
                }
                for row in &s.rows {
                    let mut r: Vec<String> = Vec::new();
                    if several {
                        r.push(s.name.clone());
                    }
                    r.extend(row.iter().map(|c| match c {
                        Cell::Text(t) | Cell::Bad(t) => t.clone(),
                        Cell::Num(d) => d.normalize().to_string(),
                    }));
                    w.write_record(&r).map_err(|e| ApiError::internal(&e))?;
                }
            }
            let bytes = w.into_inner().map_err(|e| ApiError::internal(&e))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"export.csv\"; filename*=UTF-8''{}.csv",
                            crate::web::urlencode(name)
                        ),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        other => Err(ApiError::bad_request(
            "bad_format",
            jixiao_core::text::Text::new(
                format!("不支持的格式“{other}”：用 xlsx 或 csv"),
                format!("unsupported format `{other}`: use xlsx or csv"),
            ),
        )),
    }
}

fn h(zh: &str, en: &str) -> String {
    format!("{zh} {en}")
}

/// Every value the caller may see, filtered like `GET /values` (which it pages through).
pub async fn visible_values(
    state: &AppState,
    caller: &Caller,
    q: &values::ValueQuery,
) -> ApiResult<Vec<jixiao_store::values::ValueRow>> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let crate::api::extract::Json(page) = values::list(
            State(state.clone()),
            caller.clone(),
            Query(values::ValueQuery {
                unit: q.unit.clone(),
                element: q.element.clone(),
                period: q.period.clone(),
                state: q.state.clone(),
            }),
            Query(PageQuery {
                limit: Some(1000),
                offset: Some(offset),
            }),
        )
        .await?;
        let n = page.items.len() as i64;
        rows.extend(page.items);
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    Ok(rows)
}

/// Every value the caller may see (filtered like `GET /values`), as a file.
#[utoipa::path(get, path = "/exports/values", tag = "values", params(values::ValueQuery, FormatQuery),
    responses((status = 200, description = "XLSX or CSV"), (status = 401, body = crate::error::Problem)))]
pub async fn export_values(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<values::ValueQuery>,
    Query(f): Query<FormatQuery>,
) -> ApiResult<Response> {
    let rows: Vec<Vec<Cell>> = visible_values(&state, &caller, &q)
        .await?
        .into_iter()
        .map(|v| {
            vec![
                Cell::from(v.unit_code),
                v.element.into(),
                v.period.into(),
                v.value
                    .parse::<Decimal>()
                    .map_or_else(|_| Cell::Text(v.value.clone()), Cell::Num),
                v.note.into(),
                v.state.into(),
                v.source.into(),
                v.updated_by.into(),
                v.updated_at.into(),
            ]
        })
        .collect();
    let headers = vec![
        h("单位", "unit"),
        h("数据项", "item"),
        h("期间", "period"),
        h("数值", "value"),
        h("备注", "note"),
        h("状态", "state"),
        h("来源", "source"),
        h("最后操作人", "by"),
        h("时间", "at"),
    ];
    file(
        "values",
        vec![Sheet {
            name: "数值 values".into(),
            headers,
            rows,
        }],
        f.format.as_deref(),
    )
}

/// A period's rankings and grades, a sheet per class (official or provisional).
#[utoipa::path(get, path = "/exports/rankings/{scheme}/{period}", tag = "results", params(("scheme" = String, Path), ("period" = String, Path), results::ResultQuery, FormatQuery),
    responses((status = 200, description = "XLSX or CSV"), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn export_rankings(
    State(state): State<AppState>,
    caller: Caller,
    Path((scheme, period)): Path<(String, String)>,
    Query(q): Query<results::ResultQuery>,
    Query(f): Query<FormatQuery>,
) -> ApiResult<Response> {
    crate::api::units::allow(&state, &caller, jixiao_core::access::Action::ReadRankings).await?;
    let live = state.live.read().await;
    let (s, t, _) = results::tracked(&live, &scheme, &period)?;
    let (scoring, vals) = match q.kind.unwrap_or(crate::live::Kind::Official) {
        crate::live::Kind::Official => (&t.official, &s.official),
        crate::live::Kind::Provisional => (&t.provisional, &s.provisional),
    };
    let r = jixiao_core::report::report(
        &s.model,
        vals,
        scoring,
        None,
        jixiao_core::report::Detail::default(),
    );
    let sheets = r
        .classes
        .iter()
        .filter(|c| q.class.as_deref().is_none_or(|k| c.code.as_str() == k))
        .map(|c| Sheet {
            name: c.name.zh.clone(),
            headers: vec![
                h("名次", "rank"),
                h("单位代码", "code"),
                h("单位", "unit"),
                h("总分", "total"),
                h("等次", "grade"),
            ],
            rows: c
                .rows
                .iter()
                .map(|row| {
                    vec![
                        row.rank.map(Decimal::from).into(),
                        row.unit.as_str().into(),
                        row.name.zh.as_str().into(),
                        row.total.into(),
                        row.grade.as_ref().map_or("", |g| g.name.zh.as_str()).into(),
                    ]
                })
                .collect(),
        })
        .collect();
    drop(live);
    file(&format!("{scheme}-{period}"), sheets, f.format.as_deref())
}

/// An audit extract (filtered like `GET /audit`, at most 100,000 entries).
#[utoipa::path(get, path = "/exports/audit", tag = "audit", params(audit::AuditQuery, FormatQuery),
    responses((status = 200, description = "XLSX or CSV"), (status = 403, body = crate::error::Problem)))]
pub async fn export_audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<audit::AuditQuery>,
    Query(f): Query<FormatQuery>,
) -> ApiResult<Response> {
    let mut rows = Vec::new();
    let mut offset = 0;
    while offset < 100_000 {
        let crate::api::extract::Json(page) = audit::list(
            State(state.clone()),
            caller.clone(),
            Query(audit::AuditQuery {
                actor: q.actor.clone(),
                action: q.action.clone(),
                entity: q.entity.clone(),
                entity_id: q.entity_id.clone(),
                contains: q.contains.clone(),
            }),
            Query(PageQuery {
                limit: Some(1000),
                offset: Some(offset),
            }),
        )
        .await?;
        let n = page.items.len() as i64;
        for e in page.items {
            rows.push(vec![
                Cell::Num(Decimal::from(e.seq)),
                e.at.into(),
                e.actor.into(),
                e.source.into(),
                e.action.into(),
                e.entity.into(),
                e.entity_id.into(),
                e.reason.into(),
                e.before.unwrap_or_default().into(),
                e.after.unwrap_or_default().into(),
                e.request_id.into(),
                e.hash.into(),
            ]);
        }
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    let headers = vec![
        h("序号", "seq"),
        h("时间", "at"),
        h("操作人", "actor"),
        h("来源", "source"),
        h("操作", "action"),
        h("对象", "entity"),
        h("对象标识", "id"),
        h("原因", "reason"),
        h("之前", "before"),
        h("之后", "after"),
        h("请求", "request"),
        h("哈希", "hash"),
    ];
    file(
        "audit",
        vec![Sheet {
            name: "审计 audit".into(),
            headers,
            rows,
        }],
        f.format.as_deref(),
    )
}
