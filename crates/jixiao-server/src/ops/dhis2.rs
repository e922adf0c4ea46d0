//! DHIS2 interoperability: the mapping table (DHIS2 data element, org unit and period
//! identifiers to jixiao codes), kept by the office and replaced whole (audited; each jixiao
//! code must exist), also from an uploaded table; and values as DHIS2 dataValueSets (JSON or
//! CSV). Importing a dataValueSet is an ordinary import ([`crate::ops::imports`]) that
//! recognises the file by its shape. The formats themselves: [`crate::dhis2`].

use crate::dhis2::{KINDS, Map, write_csv, write_json};
use crate::error::{Error, Kind, Result};
use crate::ops::values::ValueQuery;
use crate::ops::{Caller, allow, commit, require_reason};
use crate::state::AppState;
use jixiao_core::access::Action;
use jixiao_core::text::Text;
use jixiao_store::dhis2::MapRow;
use serde::Deserialize;
use utoipa::ToSchema;

/// The mapping table.
pub async fn mappings(state: &AppState, caller: &Caller) -> Result<Vec<MapRow>> {
    allow(state, caller, Action::ReadFeeds).await?;
    Ok(jixiao_store::dhis2::list(&state.store).await?)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MappingBody {
    pub mappings: Vec<MapRow>,
    pub reason: String,
}

/// A problem of one row of a mapping table: `mappings[i].field` and what is wrong.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MappingProblem {
    pub path: String,
    pub message: crate::error::ProblemText,
}

/// Replaces the mapping table (audited). Each jixiao code must exist: an element of a
/// published scheme, a unit of the organisation, a valid period. Nothing changes on a problem
/// (`invalid_mappings`, with every problem in `problems`).
pub async fn set_mappings(
    state: &AppState,
    caller: &Caller,
    b: MappingBody,
) -> Result<Vec<MapRow>> {
    allow(state, caller, Action::ManageFeeds).await?;
    require_reason(&b.reason)?;
    let problems = check(state, &b.mappings).await;
    if !problems.is_empty() {
        let n = problems.len();
        return Err(Error::new(
            Kind::Invalid,
            "invalid_mappings",
            Text::new(
                format!("对照表有{n}处错误，未做任何更改"),
                format!("{n} problem(s) in the mapping table; nothing was changed"),
            ),
        )
        .with(serde_json::json!({ "problems": problems })));
    }
    let mut tx = state.store.write().await?;
    jixiao_store::dhis2::replace(&mut tx, &caller.actor, &b.mappings, &b.reason).await?;
    let now = jixiao_store::dhis2::list_in(&mut tx).await?;
    commit(tx).await?;
    Ok(now)
}

async fn check(state: &AppState, mappings: &[MapRow]) -> Vec<MappingProblem> {
    let problem = |path: String, zh: String, en: String| MappingProblem {
        path,
        message: crate::error::ProblemText { zh, en },
    };
    let mut problems = Vec::new();
    let live = state.live.read().await;
    let mut seen = std::collections::HashSet::new();
    for (i, m) in mappings.iter().enumerate() {
        let at = format!("mappings[{i}]");
        let ok = match m.kind.as_str() {
            "data_element" => live.element(&m.jixiao).is_some(),
            "org_unit" => live
                .org
                .as_ref()
                .is_some_and(|o| o.units.iter().any(|u| u.code.as_str() == m.jixiao)),
            "period" => jixiao_core::period::Period::parse(&m.jixiao).is_ok(),
            k => {
                let kinds = KINDS.join(", ");
                problems.push(problem(
                    format!("{at}.kind"),
                    format!("未知类型“{k}”，可用：{kinds}"),
                    format!("unknown kind `{k}`; use one of {kinds}"),
                ));
                continue;
            }
        };
        if !ok {
            let j = &m.jixiao;
            problems.push(problem(
                format!("{at}.jixiao"),
                format!("绩效系统中没有“{j}”"),
                format!("`{j}` does not exist in jixiao"),
            ));
        }
        if m.dhis2.trim().is_empty() || !seen.insert((m.kind.clone(), m.dhis2.clone())) {
            let d = &m.dhis2;
            problems.push(problem(
                format!("{at}.dhis2"),
                format!("DHIS2 标识“{d}”为空或重复"),
                format!("DHIS2 identifier `{d}` is empty or repeated"),
            ));
        }
    }
    problems
}

/// The rows of an uploaded table: (row number, kind, DHIS2 identifier, jixiao code). The header
/// names its columns (`kind`/`类型`, `dhis2`, `jixiao`/`绩效代码`), in any order.
fn table(name: &str, bytes: &[u8]) -> std::result::Result<Vec<(usize, MapRow)>, Text> {
    let rows: Vec<Vec<String>> = if bytes.starts_with(b"PK\x03\x04") {
        crate::xlsx::first_sheet(bytes)?
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
            .collect::<std::result::Result<_, _>>()?
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

/// What replacing the table from a file did.
pub enum Replaced {
    /// The table now holds this many rows.
    Done(usize),
    /// Nothing changed: each problem with the file's row ("" for the whole file).
    Refused(Vec<(String, Text)>),
}

/// Replaces the mapping table by an uploaded one (CSV or Excel, columns kind / DHIS2
/// identifier / jixiao code) with a reason, checked and audited like [`set_mappings`].
pub async fn replace_from_file(
    state: &AppState,
    caller: &Caller,
    name: &str,
    bytes: &[u8],
    reason: &str,
) -> Result<Replaced> {
    let rows = match table(name, bytes) {
        Ok(rows) => rows,
        Err(t) => return Ok(Replaced::Refused(vec![(String::new(), t)])),
    };
    let n = rows.len();
    let body = MappingBody {
        mappings: rows.iter().map(|(_, m)| m.clone()).collect(),
        reason: reason.to_owned(),
    };
    match set_mappings(state, caller, body).await {
        Ok(_) => Ok(Replaced::Done(n)),
        Err(e) if e.code == "invalid_mappings" => {
            // `mappings[i].field` → the file's row.
            let problems = e
                .extensions
                .get("problems")
                .and_then(|p| p.as_array())
                .cloned()
                .unwrap_or_default();
            Ok(Replaced::Refused(
                problems
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
                    .collect(),
            ))
        }
        Err(e) if e.code == "reason_required" => {
            Ok(Replaced::Refused(vec![(String::new(), e.message)]))
        }
        Err(e) => Err(e),
    }
}

/// A dataValueSet: the bytes, their type and the file extension.
pub struct DataValueSet {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    pub ext: &'static str,
}

/// Values the caller may see (filtered like the value list) as a DHIS2 dataValueSet, in
/// `format` (`json`, the default, or `csv`), with identifiers mapped through the table.
pub async fn export(
    state: &AppState,
    caller: &Caller,
    q: &ValueQuery,
    format: Option<&str>,
) -> Result<DataValueSet> {
    let rows = crate::ops::values::visible(state, caller, q).await?;
    let map = Map::new(&jixiao_store::dhis2::list(&state.store).await?);
    Ok(match format.unwrap_or("json") {
        "json" => DataValueSet {
            bytes: write_json(&rows, &map),
            mime: "application/json",
            ext: "json",
        },
        "csv" => DataValueSet {
            bytes: write_csv(&rows, &map).map_err(|e| Error::internal(&e))?,
            mime: "text/csv; charset=utf-8",
            ext: "csv",
        },
        other => {
            return Err(Error::bad_request(
                "bad_format",
                Text::new(
                    format!("不支持的格式“{other}”：用 json 或 csv"),
                    format!("unsupported format `{other}`: use json or csv"),
                ),
            ));
        }
    })
}
