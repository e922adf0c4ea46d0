//! The DHIS2 mapping table for the office: see it, download it as a workbook, and replace it by
//! uploading one (CSV or Excel, columns kind / DHIS2 identifier / jixiao code) with a reason.
//! The upload goes through the API's own function, so it is checked and audited the same way;
//! a table with any problem changes nothing and each problem is shown with its row.

use super::xlsx::{Cell, Sheet};
use super::{CsrfQuery, Ctx, Page, render};
use crate::api::extract::Json;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::response::Response;
use jixiao_core::text::Text;
use jixiao_store::dhis2::MapRow;

#[derive(Template)]
#[template(path = "dhis2.html")]
struct Dhis2Page<'a> {
    ctx: &'a Ctx,
    rows: Vec<MapRow>,
    /// After an upload: what happened.
    done: Option<usize>,
    problems: Vec<(String, Text)>,
}

#[derive(serde::Deserialize)]
pub struct FormatQuery {
    pub format: Option<String>,
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "data_element" => "dhis2-kind-element",
        "org_unit" => "dhis2-kind-unit",
        _ => "dhis2-kind-period",
    }
}

async fn page_of(
    page: &Page,
    state: &AppState,
    done: Option<usize>,
    problems: Vec<(String, Text)>,
) -> Result<Response, ApiError> {
    let Json(rows) = crate::api::dhis2::mappings(State(state.clone()), page.caller.clone()).await?;
    render(&Dhis2Page {
        ctx: &page.ctx,
        rows,
        done,
        problems,
    })
}

pub async fn form(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<FormatQuery>,
) -> Response {
    let r = async {
        if super::xlsx::wanted(&q.format) {
            let Json(rows) =
                crate::api::dhis2::mappings(State(state.clone()), page.caller.clone()).await?;
            return super::xlsx::download(
                "dhis2-mappings",
                &[Sheet {
                    name: "DHIS2".into(),
                    headers: vec!["kind".into(), "dhis2".into(), "jixiao".into()],
                    rows: rows
                        .into_iter()
                        .map(|m| vec![Cell::from(m.kind), m.dhis2.into(), m.jixiao.into()])
                        .collect(),
                }],
            );
        }
        page_of(&page, &state, None, Vec::new()).await
    }
    .await;
    page.finish(r)
}

/// The rows of an uploaded table: (row number, kind, DHIS2 identifier, jixiao code). The header
/// names its columns (`kind`/`类型`, `dhis2`, `jixiao`/`绩效代码`), in any order.
fn table(name: &str, bytes: &[u8]) -> Result<Vec<(usize, MapRow)>, Text> {
    let rows: Vec<Vec<String>> = if bytes.starts_with(b"PK\x03\x04") {
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> =
            calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| {
                Text::new(
                    format!("不是可读的 Excel 文件：{e}"),
                    format!("not a readable Excel workbook: {e}"),
                )
            })?;
        let first = wb.sheet_names().first().cloned().unwrap_or_default();
        let range = wb.worksheet_range(&first).map_err(|e| {
            Text::new(
                format!("工作表无法读取：{e}"),
                format!("the sheet cannot be read: {e}"),
            )
        })?;
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string().trim().to_owned()).collect())
            .collect()
    } else {
        let (text, _) = jixiao_core::data::decode(name, bytes).map_err(|i| i.message)?;
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| {
                r.map(|r| r.iter().map(|c| c.trim().to_owned()).collect())
                    .map_err(|e| {
                        Text::new(
                            format!("CSV 无法读取：{e}"),
                            format!("cannot read the CSV: {e}"),
                        )
                    })
            })
            .collect::<Result<_, _>>()?
    };
    let header: Vec<String> = rows
        .first()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    let col = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.contains(n)))
    };
    let (Some(k), Some(d), Some(j)) = (
        col(&["kind", "类型"]),
        col(&["dhis2"]),
        col(&["jixiao", "绩效"]),
    ) else {
        return Err(Text::new(
            "第1行应为表头：类型（kind）、DHIS2 标识（dhis2）、绩效代码（jixiao）",
            "row 1 must be the header: kind, dhis2, jixiao",
        ));
    };
    let kind = |s: &str| match s {
        "数据元" | "数据项" => "data_element".to_owned(),
        "组织机构" | "单位" => "org_unit".to_owned(),
        "期间" => "period".to_owned(),
        other => other.to_owned(),
    };
    Ok(rows
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
        .map(|(i, r)| {
            let get = |c: usize| r.get(c).cloned().unwrap_or_default();
            (
                i + 1,
                MapRow {
                    kind: kind(&get(k)),
                    dhis2: get(d),
                    jixiao: get(j),
                },
            )
        })
        .collect())
}

pub async fn upload(
    page: Page,
    State(state): State<AppState>,
    Query(q): Query<CsrfQuery>,
    form: Multipart,
) -> Response {
    let r = async {
        page.check_csrf(&q.csrf)?;
        let (name, bytes, picked) = super::imports::fields(form).await?;
        let reason = super::field(&picked, "reason").to_owned();
        let rows = match table(&name, &bytes) {
            Ok(rows) => rows,
            Err(t) => return page_of(&page, &state, None, vec![(String::new(), t)]).await,
        };
        let n = rows.len();
        let body = crate::api::dhis2::MappingBody {
            mappings: rows.iter().map(|(_, m)| m.clone()).collect(),
            reason,
        };
        match crate::api::dhis2::set_mappings(State(state.clone()), page.caller.clone(), Json(body))
            .await
        {
            Ok(_) => page_of(&page, &state, Some(n), Vec::new()).await,
            Err(e) if e.code == "invalid_mappings" => {
                // `mappings[i].field` → the file's row.
                let problems = e
                    .extensions
                    .get("problems")
                    .and_then(|p| p.as_array())
                    .cloned()
                    .unwrap_or_default();
                let shown = problems
                    .iter()
                    .map(|p| {
                        let path = p["path"].as_str().unwrap_or_default();
                        let i: Option<usize> = path
                            .strip_prefix("mappings[")
                            .and_then(|r| r.split(']').next())
                            .and_then(|n| n.parse().ok());
                        let row = i
                            .and_then(|i| rows.get(i))
                            .map_or(String::new(), |(r, _)| r.to_string());
                        let m = &p["message"];
                        (
                            row,
                            Text::new(
                                m["zh"].as_str().unwrap_or_default(),
                                m["en"].as_str().unwrap_or_default(),
                            ),
                        )
                    })
                    .collect();
                page_of(&page, &state, None, shown).await
            }
            Err(e) => {
                let t = e.message.clone();
                match e.code {
                    "reason_required" => {
                        page_of(&page, &state, None, vec![(String::new(), t)]).await
                    }
                    _ => Err(e),
                }
            }
        }
    }
    .await;
    page.finish(r)
}

/// The label of a mapping kind (templates).
pub fn kind_label(ctx: &Ctx, kind: &str) -> String {
    ctx.l.t(kind_key(kind))
}
