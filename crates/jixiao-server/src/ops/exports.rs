//! Exports as files offices open in Excel: values, rankings and audit extracts, as XLSX
//! (Chinese headers, widths, number formats, frozen header row) or CSV (UTF-8 with a BOM, so
//! Excel reads the Chinese). Each goes through the same permission checks as its list.

use crate::error::{Error, Result};
use crate::live::Kind;
use crate::ops::audit::AuditQuery;
use crate::ops::results::{ResultQuery, of_kind, tracked};
use crate::ops::values::ValueQuery;
use crate::ops::{Caller, allow};
use crate::state::AppState;
use crate::xlsx::{Cell, Sheet};
use jixiao_core::Decimal;
use jixiao_core::access::Action;

/// A file to download: its bytes, its type, and its name without the extension.
pub struct Export {
    pub bytes: Vec<u8>,
    pub format: Format,
    pub name: String,
}

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    /// `xlsx` (the default) or `csv`; anything else is refused.
    pub fn parse(format: Option<&str>) -> Result<Format> {
        match format.unwrap_or("xlsx") {
            "xlsx" => Ok(Format::Xlsx),
            "csv" => Ok(Format::Csv),
            other => Err(Error::bad_request(
                "bad_format",
                jixiao_core::text::Text::new(
                    format!("不支持的格式“{other}”：用 xlsx 或 csv"),
                    format!("unsupported format `{other}`: use xlsx or csv"),
                ),
            )),
        }
    }
}

/// Text as a spreadsheet will not run it: a cell that begins like a formula (`=`, `+`, `-`, `@`,
/// or a tab or carriage return before one) gets a leading `'`, which Excel and WPS show as text.
/// Numbers are written as numbers and never need it.
fn neutral(t: &str) -> String {
    if t.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{t}")
    } else {
        t.to_owned()
    }
}

/// Sheets as one CSV (UTF-8 with a BOM): several sheets become one table whose first column
/// names the sheet.
fn csv(sheets: &[Sheet]) -> Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let several = sheets.len() > 1;
    for (i, s) in sheets.iter().enumerate() {
        if i == 0 {
            let mut h = Vec::new();
            if several {
                h.push("表 sheet".to_owned());
            }
            h.extend(s.headers.iter().cloned());
            w.write_record(&h).map_err(|e| Error::internal(&e))?;
        }
        for row in &s.rows {
            let mut r: Vec<String> = Vec::new();
            if several {
                r.push(s.name.clone());
            }
            r.extend(row.iter().map(|c| match c {
                Cell::Text(t) | Cell::Bad(t) => neutral(t),
                Cell::Time(t) => jixiao_core::feed::local_iso(t),
                Cell::Num(d) => d.normalize().to_string(),
                Cell::Int(n) => n.to_string(),
            }));
            w.write_record(&r).map_err(|e| Error::internal(&e))?;
        }
    }
    w.into_inner().map_err(|e| Error::internal(&e))
}

fn file(name: String, sheets: Vec<Sheet>, format: Option<&str>) -> Result<Export> {
    let format = Format::parse(format)?;
    let bytes = match format {
        Format::Xlsx => crate::xlsx::workbook(&sheets)?,
        Format::Csv => csv(&sheets)?,
    };
    Ok(Export {
        bytes,
        format,
        name,
    })
}

fn h(zh: &str, en: &str) -> String {
    format!("{zh} {en}")
}

/// Every value the caller may see (filtered like the value list), as a file.
pub async fn values(
    state: &AppState,
    caller: &Caller,
    q: &ValueQuery,
    format: Option<&str>,
) -> Result<Export> {
    let rows: Vec<Vec<Cell>> = crate::ops::values::visible(state, caller, q)
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
                Cell::Time(v.updated_at),
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
        "values".into(),
        vec![Sheet::new("数值 values", headers, rows)],
        format,
    )
}

/// A period's rankings and grades, a sheet per class (official or provisional).
pub async fn rankings(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    period: &str,
    q: &ResultQuery,
    format: Option<&str>,
) -> Result<Export> {
    allow(state, caller, Action::ReadRankings).await?;
    let sheets = {
        let live = state.live.read().await;
        let (s, t, _) = tracked(&live, scheme, period)?;
        let (scoring, vals) = of_kind(s, t, q.kind.unwrap_or(Kind::Official));
        let r = jixiao_core::report::report(
            &t.model,
            vals,
            scoring,
            None,
            jixiao_core::report::Detail::default(),
        );
        r.classes
            .iter()
            .filter(|c| q.class.as_deref().is_none_or(|k| c.code.as_str() == k))
            .map(|c| {
                Sheet::new(
                    c.name.zh.clone(),
                    vec![
                        h("名次", "rank"),
                        h("单位代码", "code"),
                        h("单位", "unit"),
                        h("总分", "total"),
                        h("等次", "grade"),
                    ],
                    c.rows
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
                )
            })
            .collect()
    };
    file(format!("{scheme}-{period}"), sheets, format)
}

/// The most entries an audit extract holds.
pub const AUDIT_MAX: i64 = 100_000;

/// An audit extract (filtered like the audit list, at most [`AUDIT_MAX`] entries).
pub async fn audit(
    state: &AppState,
    caller: &Caller,
    q: &AuditQuery,
    format: Option<&str>,
) -> Result<Export> {
    let (entries, total) = crate::ops::pages_up_to(AUDIT_MAX, |page| {
        crate::ops::audit::list(state, caller, q, page)
    })
    .await?;
    let shown = entries.len() as i64;
    let mut rows: Vec<Vec<Cell>> = entries
        .into_iter()
        .map(|e| {
            vec![
                Cell::Num(Decimal::from(e.seq)),
                // A value's change within a batch entry: its place in the batch, from 1.
                e.part
                    .map_or_else(String::new, |p| (p + 1).to_string())
                    .into(),
                Cell::Time(e.at),
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
            ]
        })
        .collect();
    // An extract that was cut says so in its last row, with how to get the rest.
    if total > shown {
        rows.push(vec![Cell::Bad(format!(
            "仅导出前 {shown} 条，共 {total} 条：请缩小筛选条件（时间、操作人、对象）分批导出 / only the first {shown} of {total} entries; narrow the filters (time, actor, entity) and export in parts"
        ))]);
    }
    let headers = vec![
        h("序号", "seq"),
        h("批内序号", "part"),
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
        "audit".into(),
        vec![Sheet::new("审计 audit", headers, rows)],
        format,
    )
}
