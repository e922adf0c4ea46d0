//! Bulk import of values (批量导入): CSV (UTF-8 or GBK), XLSX (the long layout, or the office's
//! own: one row per unit, one column per data element) and JSON. All or nothing by default,
//! with a dry run; or "import the valid rows". Every problem names its place (sheet, row,
//! column) and the value, in Chinese and English; the same problem repeated is also grouped.
//! A value that is already there unchanged is neither rewritten nor audited again.
//!
//! Imported values are submitted for review (the state a reporter's "submit" gives), so they
//! appear in the unit leader's queue; a value already beyond that (approved, verified, counted)
//! is not overwritten: it has to be returned first.

use crate::error::{Error, Kind};
use crate::i18n::{L, Lang, problem_text, state_label};
use crate::ops::Caller;
use crate::state::AppState;
use crate::xlsx::{cell_text, column_letter};
use jixiao_core::access::Action;
use jixiao_core::data::{DataSet, read_csv_lenient, read_table};
use jixiao_core::issue::{Issue, Issues, Location};
use jixiao_core::text::Text;
use jixiao_store::values::{Content, Key, ValueRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to do when some rows have problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Nothing is written unless every row is good (the default).
    #[default]
    AllOrNothing,
    /// The good rows are written; the others are reported.
    ValidRows,
}

/// One problem: where, the value found, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub code: String,
    /// The file (and sheet) as `file` or `file［sheet］`.
    pub file: String,
    /// 1-based row; 0 for the whole file.
    pub row: usize,
    pub column: Option<String>,
    pub value: String,
    pub message: ProblemText,
}

pub use crate::error::ProblemText;

/// The same problem on many rows, counted once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub code: String,
    pub count: usize,
    /// The first rows it happened on.
    pub rows: Vec<usize>,
    pub example: ProblemText,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub file: String,
    pub format: String,
    pub mode: Mode,
    pub dry_run: bool,
    /// Whether anything was written.
    pub committed: bool,
    pub rows: usize,
    pub imported: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// The first [`MAX_PROBLEMS`] problems (all of them are counted in `groups`).
    pub problems: Vec<Problem>,
    /// How many problems there were in all.
    pub problems_total: usize,
    pub groups: Vec<Group>,
}

/// The most problems a report lists one by one; the rest are counted by kind in `groups`, so
/// a file of half a million bad rows answers with a report of a few hundred kilobytes.
pub const MAX_PROBLEMS: usize = 1000;

impl Report {
    /// Groups every problem, then keeps the first [`MAX_PROBLEMS`].
    fn close(&mut self) {
        self.groups = groups_of(&self.problems);
        self.problems_total = self.problems.len();
        self.problems.truncate(MAX_PROBLEMS);
    }
}

fn problem_of(i: &Issue, value: &str) -> Problem {
    let value = i.value.as_deref().unwrap_or(value);
    let (row, column) = match &i.location {
        Location::Cell { row, column } => (*row, column.clone()),
        _ => (0, None),
    };
    Problem {
        code: i.code.to_owned(),
        file: i.file.clone(),
        row,
        column,
        value: value.to_owned(),
        message: ProblemText {
            zh: i.message.zh.clone(),
            en: i.message.en.clone(),
        },
    }
}

fn groups_of(problems: &[Problem]) -> Vec<Group> {
    let mut by: BTreeMap<&str, Group> = BTreeMap::new();
    for p in problems {
        let g = by.entry(p.code.as_str()).or_insert_with(|| Group {
            code: p.code.clone(),
            count: 0,
            rows: Vec::new(),
            example: p.message.clone(),
        });
        g.count += 1;
        if g.rows.len() < 20 {
            g.rows.push(p.row);
        }
    }
    let mut v: Vec<Group> = by.into_values().collect();
    v.sort_by_key(|g| std::cmp::Reverse(g.count));
    v
}

fn whole_file(file: &str, code: &'static str, message: Text) -> Issues {
    Issues(vec![Issue::error(code, file, Location::File, message)])
}

/// What a file over [`MAX_BYTES`] is told.
pub fn too_large() -> Text {
    Text::new(
        format!("文件超过 {} MB，请分批导入", MAX_BYTES / 1024 / 1024),
        format!(
            "the file is larger than {} MB; import it in parts",
            MAX_BYTES / 1024 / 1024
        ),
    )
}

/// The largest file accepted (the request body limit is set from it too).
pub const MAX_BYTES: usize = 50 * 1024 * 1024;
/// A spreadsheet whose cells would exceed this many once unpacked is refused (zip bombs).
const MAX_CELLS: usize = 5_000_000;

/// Reads the rows of a file; problems of single rows come back beside the good rows.
/// `element_of` maps a wide sheet's column header (a code or a name) to an element code.
/// Where a record came from: the file (and sheet), the row, and for a wide sheet the column.
#[derive(Debug, Clone)]
pub struct Place {
    pub file: String,
    pub row: usize,
    pub column: Option<String>,
}

/// The records of a file, each with its place; the problems of single rows, each with the
/// text of its cell where known; the format.
pub type Read = (DataSet, Vec<Place>, Issues, Vec<String>, &'static str);

fn places_of(d: &DataSet) -> Vec<Place> {
    d.records
        .iter()
        .map(|r| Place {
            file: d.file.clone(),
            row: r.row,
            column: None,
        })
        .collect()
}

pub fn read(
    file: &str,
    bytes: &[u8],
    period: Option<&str>,
    element_of: &dyn Fn(&str) -> Option<String>,
    dhis2: &crate::dhis2::Map,
) -> Result<Read, Issues> {
    if bytes.len() > MAX_BYTES {
        return Err(whole_file(file, "too_large", too_large()));
    }
    if !bytes.starts_with(b"PK\x03\x04") && crate::dhis2::looks_like(bytes) {
        let (d, i) = crate::dhis2::read(file, bytes, dhis2)?;
        let p = places_of(&d);
        let v = vec![String::new(); i.0.len()];
        return Ok((d, p, i, v, "dhis2"));
    }
    let lower = file.to_lowercase();
    if bytes.starts_with(b"PK\x03\x04") || lower.ends_with(".xlsx") {
        let (d, p, i, v) = read_xlsx(file, bytes, period, element_of)?;
        return Ok((d, p, i, v, "xlsx"));
    }
    let trimmed = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| bytes[i]);
    if lower.ends_with(".json") || matches!(trimmed, Some(b'[') | Some(b'{')) {
        let (d, i) = read_json(file, bytes)?;
        let p = places_of(&d);
        let v = vec![String::new(); i.0.len()];
        return Ok((d, p, i, v, "json"));
    }
    let (d, i) = read_csv_lenient(file, bytes)?;
    let p = places_of(&d);
    let v = vec![String::new(); i.0.len()];
    Ok((d, p, i, v, "csv"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    unit: String,
    #[serde(alias = "element")]
    item: String,
    period: String,
    /// As written: a number keeps every digit (through a double it would not).
    value: Box<serde_json::value::RawValue>,
    #[serde(default)]
    note: Option<String>,
}

fn read_json(file: &str, bytes: &[u8]) -> Result<(DataSet, Issues), Issues> {
    let rows: Vec<JsonRow> = serde_json::from_slice(bytes).map_err(|e| {
        Issues(vec![Issue::error(
            "bad_json",
            file,
            Location::Cell {
                row: e.line(),
                column: Some(e.column().to_string()),
            },
            Text::new(
                format!("JSON 格式错误：{e}；应为 [{{\"unit\",\"item\",\"period\",\"value\",\"note\"}}…]"),
                format!("invalid JSON: {e}; expected [{{\"unit\",\"item\",\"period\",\"value\",\"note\"}}…]"),
            ),
        )])
    })?;
    let header = ["unit", "item", "period", "value", "note"].map(str::to_owned);
    let mut table: Vec<Result<Vec<String>, Issue>> = vec![Ok(header.to_vec())];
    for r in rows {
        let raw = r.value.get();
        let value = if raw.starts_with('"') {
            serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_owned())
        } else {
            raw.to_owned()
        };
        table.push(Ok(vec![
            r.unit,
            r.item,
            r.period,
            value,
            r.note.unwrap_or_default(),
        ]));
    }
    read_table(file, "UTF-8", table)
}

fn unreadable_workbook(file: &str, e: &dyn std::fmt::Display) -> Issues {
    whole_file(
        file,
        "bad_xlsx",
        Text::new(
            format!("不是可读的 Excel（xlsx）文件：{e}"),
            format!("not a readable Excel (xlsx) workbook: {e}"),
        ),
    )
}

fn unreadable_sheet(file: &str, name: &str, e: &calamine::XlsxError) -> Issues {
    whole_file(
        file,
        "bad_xlsx",
        Text::new(
            format!("工作表“{name}”无法读取：{e}"),
            format!("sheet `{name}` cannot be read: {e}"),
        ),
    )
}

/// The most an imported workbook may unpack to (a zip bomb unpacks to more).
const MAX_UNPACKED: u64 = 512 * 1024 * 1024;

fn too_big(file: &str) -> Issues {
    whole_file(
        file,
        "too_large",
        Text::new(
            format!("表格展开后超过 {MAX_CELLS} 个单元格或 512 MB，请分批导入"),
            format!(
                "the workbook unpacks to more than {MAX_CELLS} cells or 512 MB; import it in parts"
            ),
        ),
    )
}

/// Inflates the workbook once into nothing before anything reads it: one that unpacks (or says
/// it unpacks) to more than [`MAX_UNPACKED`] is refused, whatever its directory claims.
fn check_zip(file: &str, bytes: &[u8]) -> Result<(), Issues> {
    crate::xlsx::check_inflated(bytes, MAX_UNPACKED).map_err(|e| match e {
        crate::xlsx::Inflated::TooLarge => too_big(file),
        crate::xlsx::Inflated::Unreadable(t) => unreadable_workbook(file, &t),
    })
}

/// Streams a sheet's cells before it is unpacked into a grid: too many cells, or cells so far
/// apart that the grid would be huge, refuse the file; so do merged cells (which row does a
/// merged unit name belong to?) and formulas (their saved results may be stale, and the audit
/// must record the number the clerk saw), each named by its cell.
fn check_sheet(
    file: &str,
    name: &str,
    wb: &mut calamine::Xlsx<std::io::Cursor<&[u8]>>,
    cells: &mut usize,
) -> Result<(), Issues> {
    use calamine::Reader;
    let unreadable = |e: calamine::XlsxError| unreadable_sheet(file, name, &e);
    let (mut rows, mut cols) = (0u64, 0u64);
    {
        let mut reader = match wb.worksheet_cells_reader(name) {
            Ok(r) => r,
            Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(()),
            Err(e) => return Err(unreadable(e)),
        };
        while let Some(c) = reader.next_cell().map_err(unreadable)? {
            *cells += 1;
            let (r, col) = c.get_position();
            rows = rows.max(u64::from(r) + 1);
            cols = cols.max(u64::from(col) + 1);
            if *cells > MAX_CELLS || rows.saturating_mul(cols) > MAX_CELLS as u64 {
                return Err(too_big(file));
            }
        }
    }
    let label = format!("{file}［{name}］");
    let at = |r: u32, c: u32| Location::Cell {
        row: r as usize + 1,
        column: Some(column_letter(c as usize)),
    };
    let mut issues = Issues::new();
    if let Some(merged) = wb.worksheet_merge_cells(name) {
        for d in merged.map_err(unreadable)? {
            let range = format!(
                "{}{}:{}{}",
                column_letter(d.start.1 as usize),
                d.start.0 + 1,
                column_letter(d.end.1 as usize),
                d.end.0 + 1
            );
            issues.push(Issue::error(
                "merged_cells",
                &label,
                at(d.start.0, d.start.1),
                Text::new(
                    format!("合并单元格 {range}：请取消合并，并在每一行填上自己的值"),
                    format!("merged cells {range}: unmerge them and fill in every row's own value"),
                ),
            ));
        }
    }
    let formulas = wb.worksheet_formula(name).map_err(unreadable)?;
    for (r, c, f) in formulas.used_cells() {
        if f.is_empty() {
            continue;
        }
        let (r, c) = (
            r as u32 + formulas.start().map_or(0, |s| s.0),
            c as u32 + formulas.start().map_or(0, |s| s.1),
        );
        issues.push(Issue::error(
            "formula",
            &label,
            at(r, c),
            Text::new(
                format!(
                    "单元格 {}{} 是公式“={f}”：请复制后“选择性粘贴→数值”，再导入",
                    column_letter(c as usize),
                    r + 1
                ),
                format!(
                    "cell {}{} holds the formula `={f}`: copy it and paste as values, then import",
                    column_letter(c as usize),
                    r + 1
                ),
            ),
        ));
    }
    if issues.0.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

fn read_xlsx(
    file: &str,
    bytes: &[u8],
    period: Option<&str>,
    element_of: &dyn Fn(&str) -> Option<String>,
) -> Result<(DataSet, Vec<Place>, Issues, Vec<String>), Issues> {
    use calamine::{Reader, Xlsx};
    check_zip(file, bytes)?;
    let mut wb: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable_workbook(file, &e))?;
    let mut all = DataSet {
        file: file.to_owned(),
        encoding: "xlsx",
        records: Vec::new(),
        columns: Default::default(),
    };
    let mut issues = Issues::new();
    let mut places = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut cells = 0usize;
    let mut any = false;
    for name in wb.sheet_names() {
        check_sheet(file, &name, &mut wb, &mut cells)?;
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| unreadable_sheet(file, &name, &e))?;
        if range.get_size().0 * range.get_size().1 > MAX_CELLS {
            return Err(whole_file(
                file,
                "too_large",
                Text::new(
                    format!("表格展开后超过 {MAX_CELLS} 个单元格，请分批导入"),
                    format!(
                        "the workbook unpacks to more than {MAX_CELLS} cells; import it in parts"
                    ),
                ),
            ));
        }
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect();
        if rows.iter().all(|r| r.iter().all(String::is_empty)) {
            continue;
        }
        any = true;
        let label = format!("{file}［{name}］");
        let raw = rows.clone();
        let header = &rows[0];
        let is = |h: &str, names: &[&str]| names.contains(&h.trim().to_lowercase().as_str());
        let long = header
            .iter()
            .any(|h| is(h, &["item", "数据项", "指标", "element"]));
        // For a wide sheet, each long row's place in the sheet (row, column letter).
        let mut wide: Vec<(usize, String)> = Vec::new();
        let table: Vec<Vec<String>> = if long {
            rows
        } else {
            // The office's layout: a unit column, perhaps a period column, then one column per
            // data element (its code or its name).
            let unit_col = header
                .iter()
                .position(|h| is(h, &["unit", "单位", "单位代码"]));
            let period_col = header.iter().position(|h| is(h, &["period", "期间"]));
            let Some(unit_col) = unit_col else {
                issues.push(Issue::error(
                    "missing_column",
                    &label,
                    Location::Cell { row: 1, column: None },
                    Text::new(
                        "第1行没有“单位”列（按单位一行、数据项一列的表）或“数据项”列（长表）",
                        "row 1 has neither a `unit` column (one row per unit, one column per element) nor an `item` column (long layout)",
                    ),
                ));
                continue;
            };
            let mut out = vec![
                ["unit", "item", "period", "value"]
                    .map(str::to_owned)
                    .to_vec(),
            ];
            let mut cols = Vec::new();
            for (i, h) in header.iter().enumerate() {
                // A unit-name column is for people reading the sheet.
                let informational = is(h, &["单位名称", "unit name", "name", "名称"]);
                if i == unit_col || Some(i) == period_col || h.is_empty() || informational {
                    continue;
                }
                match element_of(h) {
                    Some(code) => cols.push((i, code)),
                    None => issues.push(Issue::error(
                        "unknown_element",
                        &label,
                        Location::cell(1, &column_letter(i)),
                        Text::new(
                            format!("列标题“{h}”不是任何数据项的代码或名称"),
                            format!(
                                "column heading `{h}` is not the code or name of a data element"
                            ),
                        ),
                    )),
                }
            }
            wide.push((1, String::new()));
            for (n, r) in rows.iter().enumerate().skip(1) {
                let unit = r.get(unit_col).cloned().unwrap_or_default();
                let p = period_col
                    .and_then(|c| r.get(c).cloned())
                    .filter(|s| !s.is_empty())
                    .or_else(|| period.map(str::to_owned))
                    .unwrap_or_default();
                // Keep the row count aligned with the sheet: one long row per cell, and a
                // blank row for an empty one (skipped by the reader).
                for (c, code) in &cols {
                    let v = r.get(*c).cloned().unwrap_or_default();
                    if v.is_empty() || unit.is_empty() {
                        continue;
                    }
                    out.push(vec![unit.clone(), code.clone(), p.clone(), v]);
                    wide.push((n + 1, column_letter(*c)));
                }
            }
            out
        };
        let (d, mut i) = read_table(&label, "xlsx", table.into_iter().map(Ok))?;
        // Long row k (1-based, header 1) of a wide sheet is wide[k - 1].
        let at = |row: usize| wide.get(row.wrapping_sub(1)).cloned();
        for issue in &mut i.0 {
            if let Location::Cell { row, column } = &mut issue.location
                && let Some((r, c)) = at(*row)
            {
                *row = r;
                *column = Some(c);
            }
        }
        // The text of each problem's cell, found by the row and the column (a letter in a wide
        // sheet, a heading in a long one).
        let header = raw.first().cloned().unwrap_or_default();
        for issue in &i.0 {
            let text = match &issue.location {
                Location::Cell {
                    row,
                    column: Some(c),
                } => {
                    let idx = header
                        .iter()
                        .position(|h| h.trim() == c.as_str())
                        .or_else(|| letter_index(c));
                    idx.and_then(|x| raw.get(row.wrapping_sub(1))?.get(x).cloned())
                }
                _ => None,
            };
            texts.push(text.unwrap_or_default());
        }
        for r in &d.records {
            let (row, column) = match at(r.row) {
                Some((row, c)) => (row, Some(c)),
                None => (r.row, None),
            };
            places.push(Place {
                file: label.clone(),
                row,
                column,
            });
        }
        all.records.extend(d.records);
        all.columns = d.columns;
        issues.extend(i);
    }
    if !any {
        return Err(whole_file(
            file,
            "empty_file",
            Text::new("工作簿里没有数据", "the workbook holds no data"),
        ));
    }
    Ok((all, places, issues, texts))
}

/// `A` → 0, `AB` → 27; `None` for anything else.
fn letter_index(s: &str) -> Option<usize> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(
        s.bytes()
            .fold(0usize, |n, b| n * 26 + usize::from(b - b'A' + 1))
            - 1,
    )
}

enum Plan {
    Insert,
    Update(Box<ValueRow>),
    Unchanged,
}

/// Imports the values of a file for the caller.
///
/// `counted`: the office's import counted at once, with this reason (values in any state are
/// replaced, each change audited as `value.import.count` with the reason); only who may count.
#[allow(clippy::too_many_arguments)]
pub async fn import(
    state: &AppState,
    caller: &Caller,
    file: &str,
    bytes: &[u8],
    mode: Mode,
    dry_run: bool,
    period: Option<&str>,
    counted: Option<&str>,
) -> crate::error::Result<Report> {
    let started = std::time::Instant::now();
    require_importer(caller)?;
    if let Some(reason) = counted {
        crate::ops::allow(state, caller, Action::CountValue).await?;
        if reason.trim().is_empty() {
            return Err(Error::bad_request(
                "reason_required",
                Text::new(
                    "直接计入的导入须写明原因",
                    "an import counted at once needs a reason",
                ),
            ));
        }
    }
    let new_state = if counted.is_some() {
        "counted"
    } else {
        "submitted"
    };
    let _turn = state.imports.try_acquire().map_err(|_| {
        Error::new(
            Kind::TooManyRequests,
            "busy",
            Text::new(
                "其他导入正在进行，请稍后再试",
                "other imports are running; try again in a moment",
            ),
        )
    })?;
    let element_of = {
        let live = state.live.read().await;
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for s in live.schemes.values() {
            for e in &s.model.elements {
                names.insert(e.code.to_string(), e.code.to_string());
                names.insert(e.def.name.zh.clone(), e.code.to_string());
                if !e.def.name.en.is_empty() {
                    names.insert(e.def.name.en.clone(), e.code.to_string());
                }
            }
        }
        move |h: &str| names.get(h.trim()).cloned()
    };
    let mut report = Report {
        file: file.to_owned(),
        format: String::new(),
        mode,
        dry_run,
        committed: false,
        rows: 0,
        imported: 0,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        problems: Vec::new(),
        problems_total: 0,
        groups: Vec::new(),
    };
    let dhis2 = crate::dhis2::Map::new(&jixiao_store::dhis2::list(&state.store).await?);
    let (data, places, issues, texts, format) = match read(file, bytes, period, &element_of, &dhis2)
    {
        Ok(x) => x,
        Err(issues) => {
            report.problems = issues.0.iter().map(|i| problem_of(i, "")).collect();
            report.close();
            return Ok(report);
        }
    };
    report.format = format.to_owned();
    report.problems = issues
        .0
        .iter()
        .zip(
            texts
                .iter()
                .map(String::as_str)
                .chain(std::iter::repeat("")),
        )
        .map(|(i, v)| problem_of(i, v))
        .collect();
    // Rows read: the good ones and those with a problem of their own (not a heading's).
    report.rows = data.records.len()
        + issues
            .0
            .iter()
            .filter(|i| matches!(i.location, Location::Cell { row, .. } if row > 1))
            .count();
    // Each row against the schemes, the caller's scope and what is stored: one read of the
    // live results for the whole file (they hold every stored value too).
    let mut plans: Vec<(jixiao_core::data::Record, String, String, Plan)> = Vec::new();
    let mut kept_places: Vec<Place> = Vec::new();
    let live = state.live.read().await;
    for (r, place) in data.records.into_iter().zip(places) {
        let period = r.period.to_string();
        let text = if r.percent_sign {
            format!("{}%", r.value)
        } else {
            r.value.to_string()
        };
        let reject = |e: Error, col: &str| Problem {
            code: e.code.to_owned(),
            file: place.file.clone(),
            row: place.row,
            column: Some(place.column.clone().unwrap_or_else(|| col.to_owned())),
            // An unknown code is the value at fault; otherwise the number.
            value: match (e.code, col) {
                ("unknown_unit", _) => r.unit.to_string(),
                ("unknown_item", _) => r.item.to_string(),
                _ => text.clone(),
            },
            message: ProblemText {
                zh: problem_text(L(Lang::Zh), &e),
                en: problem_text(L(Lang::En), &e),
            },
        };
        let checked = (|| {
            if !live.units.contains(&*r.unit) {
                let u = &r.unit;
                return Err((
                    Error::new(
                        Kind::NotFound,
                        "unknown_unit",
                        Text::new(format!("未知单位“{u}”"), format!("unknown unit `{u}`")),
                    ),
                    "unit",
                ));
            }
            if live.element(&r.item).is_none() {
                let i = &r.item;
                return Err((
                    Error::new(
                        Kind::NotFound,
                        "unknown_item",
                        Text::new(
                            format!("未知数据项“{i}”（不在任何已发布的方案中）"),
                            format!("unknown item `{i}` (in no published scheme)"),
                        ),
                    ),
                    "item",
                ));
            }
            let action = Action::EditValue {
                unit: &r.unit,
                element: &r.item,
            };
            if !jixiao_core::access::can(&caller.principal, action, &*live) {
                return Err((Error::forbidden(), "unit"));
            }
            crate::ops::values::known_in(&live, &r.unit, &r.item, &period)
                .map_err(|e| (e, "item"))?;
            crate::ops::values::not_fed(&live, &r.item).map_err(|e| (e, "item"))?;
            let v = crate::ops::values::parse_value_in(&live, &r.item, &text)
                .map_err(|e| (e, "value"))?;
            if live.locked(&r.item, r.period) {
                return Err((
                    Error::conflict(
                        "locked",
                        Text::new(
                            format!("期间{period}已关账，数据已锁定"),
                            format!("period {period} is closed; its values are locked"),
                        ),
                    ),
                    "period",
                ));
            }
            Ok::<_, (Error, &str)>(v)
        })();
        let v = match checked {
            Ok(v) => v,
            Err((e, col)) => {
                report.problems.push(reject(e, col));
                continue;
            }
        };
        let current = live.values.get(&r.unit, &r.item, &period);
        // A file without a note leaves the stored note as it is.
        let note = r
            .note
            .as_deref()
            .map(str::to_owned)
            .or_else(|| current.as_ref().map(|c| c.note.clone()))
            .unwrap_or_default();
        let plan = match current {
            None => Plan::Insert,
            Some(c) => {
                let same = jixiao_core::data::parse_number(c.value.trim_end_matches(['%', '％']))
                    == Some(v)
                    && c.note == note;
                match c.state.as_str() {
                    _ if counted.is_some() && same && c.state == "counted" => Plan::Unchanged,
                    _ if counted.is_some() => Plan::Update(Box::new(c)),
                    _ if same && c.state != "draft" && c.state != "returned" => Plan::Unchanged,
                    "draft" | "returned" => Plan::Update(Box::new(c)),
                    _ => {
                        report.problems.push(reject(
                            Error::conflict(
                                "already_reviewed",
                                Text::new(
                                    format!(
                                        "该值当前状态为“{}”（现为 {}），须先退回才能修改",
                                        state_label(L(Lang::Zh), &c.state),
                                        c.value
                                    ),
                                    format!(
                                        "this value is already {} (now {}); it must be returned before it can change",
                                        state_label(L(Lang::En), &c.state).to_lowercase(),
                                        c.value
                                    ),
                                ),
                            ),
                            "value",
                        ));
                        continue;
                    }
                }
            }
        };
        plans.push((r, v.normalize().to_string(), note, plan));
        kept_places.push(place.clone());
    }
    drop(live);
    // Checks between elements, on the file's numbers together with the stored ones: a row
    // failing an error-level check is rejected like any other problem.
    {
        let live = state.live.read().await;
        let incoming: std::collections::HashMap<(String, String, String), jixiao_core::Decimal> =
            plans
                .iter()
                .filter_map(|(r, v, _, _)| {
                    Some((
                        (r.unit.to_string(), r.item.to_string(), r.period.to_string()),
                        v.parse().ok()?,
                    ))
                })
                .collect();
        let mut kept = Vec::with_capacity(plans.len());
        for (r, v, note, plan, place) in plans
            .into_iter()
            .zip(kept_places.drain(..))
            .map(|((a, b, c, d), e)| (a, b, c, d, e))
        {
            let unit = r.unit.to_string();
            let look = |e: &str, p: jixiao_core::period::Period| {
                incoming
                    .get(&(unit.clone(), e.to_owned(), p.to_string()))
                    .copied()
            };
            let failed: Vec<_> = live
                .failed_checks(&r.unit, &r.item, r.period, &look)
                .into_iter()
                .filter(|c| c.level == jixiao_core::scheme::CheckLevel::Error)
                .collect();
            if let Some(c) = failed.first() {
                report.problems.push(Problem {
                    code: "check_failed".into(),
                    file: place.file.clone(),
                    row: place.row,
                    column: Some(place.column.clone().unwrap_or_else(|| "value".into())),
                    value: v.clone(),
                    message: live.check_failed(c).into(),
                });
                continue;
            }
            kept.push((r, v, note, plan));
        }
        plans = kept;
    }
    // Rows with a problem, each once (a heading's problem is not a row's).
    report.rejected = report
        .problems
        .iter()
        .filter(|p| p.row > 1)
        .map(|p| (p.file.as_str(), p.row))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    report.close();
    for (_, _, _, p) in &plans {
        match p {
            Plan::Insert => report.imported += 1,
            Plan::Update(_) => report.updated += 1,
            Plan::Unchanged => report.unchanged += 1,
        }
    }
    let blocked = mode == Mode::AllOrNothing && !report.problems.is_empty();
    if dry_run
        || blocked
        || plans
            .iter()
            .all(|(_, _, _, p)| matches!(p, Plan::Unchanged))
    {
        return Ok(report);
    }
    // One transaction for every write: all of it lands, or none.
    let checked = started.elapsed();
    let mut actor = caller.actor.clone();
    actor.source = "import".into();
    let mut tx = state.store.write().await?;
    // What the transaction says may not change (a period closed, an appeal filed, since the
    // rows were checked): the import stops there, naming the row.
    let guard = crate::ops::values::Guard::load(&mut tx, state).await?;
    {
        let live = state.live.read().await;
        for (r, _, _, plan) in &plans {
            if matches!(plan, Plan::Unchanged) {
                continue;
            }
            if let Err(e) = guard.check(&live, &r.unit, &r.item, r.period) {
                return Err(e.at_row(r.row));
            }
        }
    }
    // New values in multi-row statements, each still audited on its own.
    let periods: Vec<String> = plans.iter().map(|(r, ..)| r.period.to_string()).collect();
    let inserts: Vec<(Key, Content)> = plans
        .iter()
        .zip(&periods)
        .filter(|((.., p), _)| matches!(p, Plan::Insert))
        .map(|((r, value, note, _), period)| {
            (
                Key {
                    unit: &r.unit,
                    element: &r.item,
                    period,
                },
                Content {
                    value,
                    note,
                    state: new_state,
                    return_reason: "",
                },
            )
        })
        .collect();
    let (insert_action, update_action, reason) = match counted {
        Some(reason) => ("value.import.count", "value.import.count", reason.trim()),
        None => ("value.save", "value.import", ""),
    };
    let mut written =
        jixiao_store::values::insert_many_as(&mut tx, &actor, &inserts, insert_action, reason)
            .await?;
    // Stored values replaced, in multi-row statements too, each only if still as checked.
    let updates: Vec<(&jixiao_store::values::ValueRow, Content)> = plans
        .iter()
        .filter_map(|(_, value, note, plan)| match plan {
            Plan::Update(c) => Some((
                &**c,
                Content {
                    value,
                    note,
                    state: new_state,
                    return_reason: "",
                },
            )),
            Plan::Unchanged | Plan::Insert => None,
        })
        .collect();
    if !updates.is_empty() {
        match jixiao_store::values::update_many_as(&mut tx, &actor, &updates, update_action, reason)
            .await?
        {
            Ok(rows) => written.extend(rows),
            Err(raced) => {
                let row = plans.iter().find_map(|(r, .., p)| match p {
                    Plan::Update(c) if Some(c.id) == raced.id => Some(r.row),
                    _ => None,
                });
                return Err(Error::conflict(
                    "version_conflict",
                    match row {
                        Some(row) => Text::new(
                            format!("第{row}行：该值刚被他人修改，未导入任何数据，请重试"),
                            format!(
                                "row {row}: someone changed this value just now; nothing was imported, try again"
                            ),
                        ),
                        None => Text::new(
                            "有值刚被他人修改，未导入任何数据，请重试",
                            "someone changed a value just now; nothing was imported, try again",
                        ),
                    },
                ));
            }
        }
    }
    let wrote = started.elapsed();
    crate::ops::commit_large(tx).await?;
    let committed = started.elapsed();
    state.live.write().await.apply_many(&written);
    let applied = started.elapsed();
    crate::ops::warnings::follow(state, &written).await;
    report.committed = true;
    tracing::info!(
        file,
        values = written.len(),
        checked_ms = checked.as_millis() as u64,
        written_ms = (wrote - checked).as_millis() as u64,
        committed_ms = (committed - wrote).as_millis() as u64,
        applied_ms = (applied - committed).as_millis() as u64,
        warnings_ms = (started.elapsed() - applied).as_millis() as u64,
        "import committed"
    );
    Ok(report)
}

/// An import through the API: the file is required and at most [`MAX_BYTES`]; the answer is
/// the report when something was imported or checked or nothing was wrong, forbidden when
/// every row was outside the caller's scope, and `import_rejected` (with the report) when
/// problems stopped an all-or-nothing import.
#[allow(clippy::too_many_arguments)]
pub async fn upload(
    state: &AppState,
    caller: &Caller,
    file: Option<(&str, &[u8])>,
    mode: Mode,
    dry_run: bool,
    period: Option<&str>,
    counted: Option<&str>,
) -> crate::error::Result<Report> {
    require_importer(caller)?;
    let (name, bytes) = file.ok_or_else(|| {
        Error::bad_request(
            "bad_upload",
            Text::new(
                "上传失败：no `file` field",
                "upload failed: no `file` field",
            ),
        )
    })?;
    if bytes.len() > MAX_BYTES {
        return Err(Error::new(Kind::TooLarge, "too_large", too_large()));
    }
    let report = import(state, caller, name, bytes, mode, dry_run, period, counted).await?;
    let accepted = report.imported + report.updated + report.unchanged;
    if accepted == 0
        && !report.problems.is_empty()
        && report.problems.iter().all(|p| p.code == "forbidden")
    {
        return Err(Error::forbidden());
    }
    // Valid rows only: the good rows went in (or were already there); the report names the rest.
    if dry_run || report.committed || report.problems.is_empty() || mode == Mode::ValidRows {
        return Ok(report);
    }
    let n = report.problems_total;
    Err(Error::new(
        Kind::Invalid,
        "import_rejected",
        Text::new(
            format!("文件有{n}处问题，未导入任何数据"),
            format!("{n} problem(s) in the file; nothing was imported"),
        ),
    )
    .with(serde_json::json!({
        "report": serde_json::to_value(&report).map_err(|e| Error::internal(&e))?
    })))
}

/// What the office's fill-in template of a class needs: the units of the class in the
/// caller's scope, the data elements they report in the period, and the stored values.
pub struct ClassTemplate {
    pub class_name: Text,
    /// (code, name) of each unit.
    pub units: Vec<(String, Text)>,
    pub columns: Vec<crate::ops::entry::ElementSpec>,
    /// The stored value of each unit (row) and column.
    pub values: Vec<Vec<Option<String>>>,
}

/// Only roles that enter data import it (the office, reporters, evaluators, inspectors); for
/// the others (leaders, reviewers, finance) the import is refused as a whole, not row by row.
pub fn require_importer(caller: &Caller) -> crate::error::Result<()> {
    use jixiao_core::access::Role;
    caller.require_signed_in()?;
    if matches!(
        caller.principal.role,
        Role::Admin | Role::Office | Role::Reporter | Role::Evaluator | Role::Inspector
    ) {
        Ok(())
    } else {
        Err(Error::new(
            Kind::Forbidden,
            "forbidden",
            Text::new(
                "你的角色不填报数据，不能导入",
                "your role does not enter data and cannot import",
            ),
        ))
    }
}

/// The fill-in template of a scheme's class for a period: one row per unit of the class in
/// the caller's scope, one column per data element those units report; forbidden when the
/// caller reports for none of them.
pub async fn class_template(
    state: &AppState,
    caller: &Caller,
    scheme: &str,
    class: &str,
    period: &str,
) -> crate::error::Result<ClassTemplate> {
    require_importer(caller)?;
    let p = jixiao_core::period::Period::parse(period)
        .map_err(|_| Error::not_found("期间", "period"))?;
    let live = state.live.read().await;
    let s = live
        .scheme(scheme)
        .ok_or_else(|| Error::not_found("已发布的方案", "published scheme"))?;
    // The class as it stands in that period.
    let m = &s.era_of(p).model;
    let cid = m
        .class_ix
        .get(class)
        .copied()
        .ok_or_else(|| Error::not_found("类别", "class"))?;
    let c = &m.classes[cid as usize];
    let mut units = Vec::new();
    let mut columns: Vec<crate::ops::entry::ElementSpec> = Vec::new();
    for &u in &c.members {
        let unit = &m.units[u as usize];
        let groups = crate::ops::entry::layout(&live, &caller.principal, unit.code.as_str(), p);
        if groups.is_empty() {
            continue;
        }
        for e in groups.into_iter().flat_map(|g| g.elements) {
            if !columns.iter().any(|c| c.code == e.code) {
                columns.push(e);
            }
        }
        units.push((unit.code.to_string(), unit.name.clone()));
    }
    if units.is_empty() {
        return Err(Error::forbidden());
    }
    let values = units
        .iter()
        .map(|(u, _)| {
            columns
                .iter()
                .map(|c| live.values.get(u, &c.code, period).map(|r| r.value))
                .collect()
        })
        .collect();
    Ok(ClassTemplate {
        class_name: c.name.clone(),
        units,
        columns,
        values,
    })
}

/// What the import page offers templates for: the published schemes (code, title), their
/// classes (code, scheme, name) and their tracked periods.
#[derive(Default)]
pub struct Choices {
    pub schemes: Vec<(String, Text)>,
    pub classes: Vec<(String, String, Text)>,
    pub periods: Vec<String>,
}

pub async fn choices(state: &AppState, caller: &Caller) -> crate::error::Result<Choices> {
    require_importer(caller)?;
    let live = state.live.read().await;
    let mut c = Choices::default();
    for s in live.schemes.values() {
        c.schemes
            .push((s.row.code.clone(), s.model.scheme.title.clone()));
        for cl in &s.model.classes {
            c.classes
                .push((cl.code.to_string(), s.row.code.clone(), cl.name.clone()));
        }
        for p in s.periods.keys() {
            let p = p.to_string();
            if !c.periods.contains(&p) {
                c.periods.push(p);
            }
        }
    }
    c.periods.sort();
    Ok(c)
}
