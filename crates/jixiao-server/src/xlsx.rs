//! Excel in and out, in one place for the pages, the API and the command line: tables as
//! workbooks (bold header row frozen at the top, column widths to fit, numbers as numbers),
//! the office's fill-in templates (data validation, protected headings, notes), and the first
//! sheet of an uploaded workbook as text. Bytes in, bytes out: no HTTP here.

use crate::error::{Error, Result};
use jixiao_core::Decimal;
use jixiao_core::text::Text;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};

/// The MIME type of a workbook.
pub const MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A cell: text, or a number (kept exact in the page; Excel stores a double).
pub enum Cell {
    Text(String),
    Num(Decimal),
    /// A whole number: a rank, a count, a row number (shown without decimals).
    Int(i64),
    /// A value with a problem: highlighted.
    Bad(String),
    /// An instant (RFC 3339, as stored): written as an Excel date and time in Beijing time,
    /// so it sorts and filters as a date; text when it is not one. A day (`2026-01-15`, a
    /// deadline) is written as a date.
    Time(String),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}

impl From<Decimal> for Cell {
    fn from(d: Decimal) -> Cell {
        Cell::Num(d)
    }
}

impl From<Option<u32>> for Cell {
    fn from(n: Option<u32>) -> Cell {
        n.map_or_else(|| Cell::Text(String::new()), |n| Cell::Int(i64::from(n)))
    }
}

impl From<Option<Decimal>> for Cell {
    fn from(d: Option<Decimal>) -> Cell {
        d.map_or_else(|| Cell::Text(String::new()), Cell::Num)
    }
}

/// One sheet of a workbook.
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Numbers rounded (half away from zero) to this many places and shown with them all
    /// (`0.00`); `None`: the exact number, trailing zeros hidden.
    pub decimals: Option<u32>,
}

impl Sheet {
    /// A sheet of exact numbers.
    pub fn new(name: impl Into<String>, headers: Vec<String>, rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet {
            name: name.into(),
            headers,
            rows,
            decimals: None,
        }
    }
}

fn width(s: &str) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 1.1 } else { 2.1 })
        .sum::<f64>()
}

fn err(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::internal(&e)
}

/// An instant in Beijing time, or a day, as Excel's date (and whether it has a time of day).
fn excel_time(t: &str) -> Option<(rust_xlsxwriter::ExcelDateTime, bool)> {
    if let Some((y, mo, d, h, mi, s)) = jixiao_core::feed::local_parts(t) {
        let when = rust_xlsxwriter::ExcelDateTime::from_ymd(u16::try_from(y).ok()?, mo, d)
            .ok()?
            .and_hms(u16::from(h), mi, s)
            .ok()?;
        return Some((when, true));
    }
    let mut parts = t.splitn(3, '-');
    let (y, mo, d) = (parts.next()?, parts.next()?, parts.next()?);
    if t.len() != 10 {
        return None;
    }
    let when = rust_xlsxwriter::ExcelDateTime::from_ymd(
        y.parse().ok()?,
        mo.parse().ok()?,
        d.parse().ok()?,
    )
    .ok()?;
    Some((when, false))
}

/// Writes the sheets into a workbook.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let text = Format::new().set_border(FormatBorder::Thin);
    let int = Format::new()
        .set_num_format("0")
        .set_border(FormatBorder::Thin);
    let stamp = Format::new()
        .set_num_format("yyyy-mm-dd hh:mm")
        .set_border(FormatBorder::Thin);
    let day = Format::new()
        .set_num_format("yyyy-mm-dd")
        .set_border(FormatBorder::Thin);
    let bad = Format::new()
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0xFFC7CE))
        .set_font_color(Color::RGB(0x9C0006));
    for (i, s) in sheets.iter().enumerate() {
        let ws = wb.add_worksheet();
        // Excel's rules for sheet names: at most 31 characters, none of []:*?/\, unique.
        let mut name: String = s
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(28)
            .collect();
        if name.is_empty() || sheets[..i].iter().any(|o| o.name == s.name) {
            name = format!("{name}{}", i + 1);
        }
        ws.set_name(&name).map_err(err)?;
        // A number shows with the sheet's decimals, or (exact numbers) with exactly as many
        // places as it has: 5 as "5", 92.125 as "92.125" — never "5." as `0.####` showed it.
        let fixed = |places: u32| {
            Format::new()
                .set_num_format(if places == 0 {
                    "0".to_owned()
                } else {
                    format!("0.{}", "0".repeat(places as usize))
                })
                .set_border(FormatBorder::Thin)
        };
        let mut by_places: Vec<Option<Format>> = vec![None; 11];
        let mut widths: Vec<f64> = s.headers.iter().map(|h| width(h).max(6.0)).collect();
        for (x, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(0, x as u16, h, &head)
                .map_err(err)?;
        }
        for (y, row) in s.rows.iter().enumerate() {
            let y = y as u32 + 1;
            for (x, c) in row.iter().enumerate() {
                match c {
                    Cell::Text(t) => {
                        ws.write_string_with_format(y, x as u16, t, &text)
                            .map_err(err)?;
                        if let Some(w) = widths.get_mut(x) {
                            *w = w.max(width(t));
                        }
                    }
                    Cell::Bad(t) => {
                        ws.write_string_with_format(y, x as u16, t, &bad)
                            .map_err(err)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number_with_format(y, x as u16, *n as f64, &int)
                            .map_err(err)?;
                    }
                    Cell::Time(t) => {
                        match excel_time(t) {
                            Some((when, has_time)) => {
                                ws.write_datetime_with_format(
                                    y,
                                    x as u16,
                                    &when,
                                    if has_time { &stamp } else { &day },
                                )
                                .map_err(err)?;
                            }
                            None => {
                                ws.write_string_with_format(y, x as u16, t, &text)
                                    .map_err(err)?;
                            }
                        }
                        if let Some(w) = widths.get_mut(x) {
                            *w = w.max(17.0);
                        }
                    }
                    Cell::Num(d) => {
                        let d = s
                            .decimals
                            .map_or(*d, |dd| jixiao_core::explain::round_half_up(*d, dd));
                        let places = s.decimals.unwrap_or_else(|| d.normalize().scale()).min(10);
                        let f = by_places[places as usize].get_or_insert_with(|| fixed(places));
                        ws.write_number_with_format(y, x as u16, d.to_f64().unwrap_or(0.0), f)
                            .map_err(err)?;
                    }
                };
            }
        }
        for (x, w) in widths.iter().enumerate() {
            ws.set_column_width(x as u16, w.min(60.0) + 1.0)
                .map_err(err)?;
        }
        ws.set_freeze_panes(1, 0).map_err(err)?;
        // Printed as the office prints: A4, the heading row on every page, as wide as a page,
        // page numbers at the foot.
        ws.set_paper_size(9);
        if s.headers.len() > 6 {
            ws.set_landscape();
        }
        ws.set_repeat_rows(0, 0).map_err(err)?;
        ws.set_print_fit_to_pages(1, 0);
        ws.set_footer("&C&P / &N");
    }
    wb.save_to_buffer().map_err(err)
}

/// The office's fill-in template for one class and period: one row per unit, one column per
/// data element, the current values filled in. The heading and the unit columns are
/// protected; each value column accepts numbers only, in the element's range; each heading
/// carries a note with the code, the unit of measure and the definition.
pub struct ClassTemplate<'a> {
    pub lang: jixiao_core::text::Lang,
    pub period: &'a str,
    /// Heading of the unit-code, unit-name and period columns, in this order.
    pub fixed_headings: [String; 3],
    pub error_title: String,
    pub error_message: String,
    /// (code, name) of each unit.
    pub units: &'a [(String, String)],
    pub columns: &'a [TemplateColumn],
    /// The stored value of each unit (row) and column, as text.
    pub values: &'a [Vec<Option<String>>],
}

/// A data element's column of a [`ClassTemplate`].
pub struct TemplateColumn {
    pub code: String,
    pub name: Text,
    pub unit: String,
    pub definition: Option<Text>,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
}

/// Writes a [`ClassTemplate`].
pub fn class_template(t: &ClassTemplate<'_>) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{DataValidation, DataValidationRule, Note};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(t.period).map_err(err)?;
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let fixed = Format::new()
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0xF2F2F2));
    let input = Format::new().set_border(FormatBorder::Thin).set_unlocked();
    for (i, h) in t.fixed_headings.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, h, &head)
            .map_err(err)?;
    }
    ws.set_column_width(0, 12).map_err(err)?;
    ws.set_column_width(1, 22).map_err(err)?;
    ws.set_column_width(2, 10).map_err(err)?;
    for (j, c) in t.columns.iter().enumerate() {
        let col = (j + 3) as u16;
        // The heading is the element's Chinese name (what the import recognises in either
        // language); the note says what to enter.
        ws.write_string_with_format(0, col, &c.name.zh, &head)
            .map_err(err)?;
        ws.set_column_width(col, 16).map_err(err)?;
        let mut note = format!("{} · {}", c.code, c.name.get(t.lang));
        let measure = jixiao_core::text::measure(&c.unit, t.lang);
        if !measure.is_empty() {
            note.push_str(&format!(" · {measure}"));
        }
        if let Some(d) = &c.definition {
            note.push_str(&format!("\n{}", d.get(t.lang)));
        }
        ws.insert_note(0, col, &Note::new(note).set_author("jixiao"))
            .map_err(err)?;
        let rule = match (
            c.min.and_then(|m| m.to_f64()),
            c.max.and_then(|m| m.to_f64()),
        ) {
            (Some(a), Some(b)) => DataValidationRule::Between(a, b),
            (Some(a), None) => DataValidationRule::GreaterThanOrEqualTo(a),
            (None, Some(b)) => DataValidationRule::LessThanOrEqualTo(b),
            (None, None) => DataValidationRule::Between(-1e15, 1e15),
        };
        let dv = DataValidation::new()
            .allow_decimal_number(rule)
            .set_error_title(&t.error_title)
            .map_err(err)?
            .set_error_message(&t.error_message)
            .map_err(err)?;
        if !t.units.is_empty() {
            ws.add_data_validation(1, col, t.units.len() as u32, col, &dv)
                .map_err(err)?;
        }
    }
    for (i, (code, name)) in t.units.iter().enumerate() {
        let row = (i + 1) as u32;
        ws.write_string_with_format(row, 0, code, &fixed)
            .map_err(err)?;
        ws.write_string_with_format(row, 1, name, &fixed)
            .map_err(err)?;
        ws.write_string_with_format(row, 2, t.period, &fixed)
            .map_err(err)?;
        for (j, v) in t.values[i].iter().enumerate() {
            let col = (j + 3) as u16;
            match v.as_deref().and_then(|s| s.parse::<f64>().ok()) {
                Some(n) => ws.write_number_with_format(row, col, n, &input),
                None => ws.write_blank(row, col, &input),
            }
            .map_err(err)?;
        }
    }
    ws.set_freeze_panes(1, 3).map_err(err)?;
    ws.protect();
    wb.save_to_buffer().map_err(err)
}

/// Why a workbook was refused before it was read.
#[derive(Debug)]
pub enum Inflated {
    /// It unpacks to more than allowed.
    TooLarge,
    /// Its zip structure is broken (the reason).
    Unreadable(String),
}

/// Unpacks every part of a workbook (a zip) into nothing, counting what comes out and stopping
/// at `max` bytes: the sizes a zip directory declares can lie, what inflates cannot. Nothing
/// is kept, so memory stays small whatever the file; a file that is not a zip passes (the
/// reader says what it is).
pub fn check_inflated(bytes: &[u8], max: u64) -> std::result::Result<(), Inflated> {
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let declared = zip
            .by_index_raw(i)
            .map(|f| f.size())
            .map_err(|e| Inflated::Unreadable(e.to_string()))?;
        if total.saturating_add(declared) > max {
            return Err(Inflated::TooLarge);
        }
        let mut part = zip
            .by_index(i)
            .map_err(|e| Inflated::Unreadable(e.to_string()))?;
        let room = max - total;
        let n = std::io::copy(
            &mut std::io::Read::take(&mut part, room + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| Inflated::Unreadable(e.to_string()))?;
        total += n;
        if total > max {
            return Err(Inflated::TooLarge);
        }
    }
    Ok(())
}

/// The most a small workbook (a form, a mapping table) may unpack to.
const SMALL_UNPACKED: u64 = 64 * 1024 * 1024;

/// A cell of an uploaded sheet as text, as a person reads it.
pub fn cell_text(c: &calamine::Data) -> String {
    use calamine::Data;
    match c {
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::Empty => String::new(),
        // A date reads as the date a person sees (`2025-01-01`), never as the day number Excel
        // keeps behind it (45658), so a date typed into a number column is refused, not stored.
        Data::DateTime(d) if d.is_datetime() => {
            let (y, m, day, h, min, sec, _) = d.to_ymd_hms_milli();
            if (h, min, sec) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{day:02}")
            } else {
                format!("{y:04}-{m:02}-{day:02} {h:02}:{min:02}:{sec:02}")
            }
        }
        other => other.to_string().trim().to_owned(),
    }
}

/// The first sheet of a workbook (XLSX, or another format calamine reads) as rows of text;
/// the problem, in both languages, when it cannot be read.
pub fn first_sheet(bytes: &[u8]) -> std::result::Result<Vec<Vec<String>>, Text> {
    use calamine::Reader;
    check_inflated(bytes, SMALL_UNPACKED).map_err(|e| match e {
        Inflated::TooLarge => Text::new(
            "文件展开后超过 64 MB，不是本表的模板",
            "the file unpacks to more than 64 MB; it is not this table's template",
        ),
        Inflated::Unreadable(e) => Text::new(
            format!("不是可读的 Excel 文件（{e}）"),
            format!("not a readable Excel workbook ({e})"),
        ),
    })?;
    let mut wb =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| {
            Text::new(
                format!("不是可读的 Excel 文件（{e}）"),
                format!("not a readable Excel workbook ({e})"),
            )
        })?;
    let sheet = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| Text::new("没有工作表", "no worksheet"))?;
    let range = wb.worksheet_range(&sheet).map_err(|e| {
        Text::new(
            format!("工作表无法读取：{e}"),
            format!("the sheet cannot be read: {e}"),
        )
    })?;
    Ok(range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect())
}

/// Column letters as Excel shows them: 0 → `A`, 27 → `AB`.
pub fn column_letter(i: usize) -> String {
    let mut n = i + 1;
    let mut s = String::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.insert(0, (b'A' + r as u8) as char);
        n = (n - 1) / 26;
    }
    s
}

/// The cells of an uploaded table, trimmed: the first sheet of a workbook (XLSX), or a CSV in
/// UTF-8 (with or without its byte-order mark). A file that cannot be read is one problem of the
/// whole file, in both languages.
pub fn read_grid(
    file: &str,
    bytes: &[u8],
) -> std::result::Result<Vec<Vec<String>>, jixiao_core::issue::Issues> {
    use jixiao_core::issue::{Issue, Issues, Location};
    let whole =
        |code: &'static str, t: Text| Issues(vec![Issue::error(code, file, Location::File, t)]);
    if bytes.starts_with(b"PK") {
        return first_sheet(bytes).map_err(|t| whole("unreadable", t));
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(
        |_| {
            whole(
                "encoding",
                Text::new(
                    "CSV 文件不是 UTF-8 编码；请在 Excel 中另存为“CSV UTF-8”或直接上传 Excel 文件",
                    "the CSV file is not UTF-8; save it as `CSV UTF-8` or upload the workbook",
                ),
            )
        },
    )?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            whole(
                "unreadable",
                Text::new(
                    format!("CSV 无法读取：{e}"),
                    format!("the CSV cannot be read: {e}"),
                ),
            )
        })?;
        rows.push(rec.iter().map(|c| c.trim().to_owned()).collect());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workbook_reads_back() {
        use calamine::{DataType, Reader, Xlsx};
        let bytes = workbook(&[Sheet::new(
            "排名/ranking",
            vec!["单位".into(), "总分".into()],
            vec![
                vec!["七里园街道".into(), Decimal::new(9249, 2).into()],
                vec!["武侯街道".into(), None::<Decimal>.into()],
            ],
        )])
        .expect("workbook");
        let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
        assert_eq!(x.sheet_names(), vec!["排名ranking".to_owned()]);
        let r = x.worksheet_range("排名ranking").expect("sheet");
        assert_eq!(
            r.get_value((1, 0)).map(|v| v.to_string()),
            Some("七里园街道".into())
        );
        assert_eq!(r.get_value((1, 1)).and_then(|v| v.as_f64()), Some(92.49));
        assert_eq!(
            r.get_value((0, 1)).map(|v| v.to_string()),
            Some("总分".into())
        );
    }

    #[test]
    fn fixed_decimals_round_half_away_from_zero() {
        use calamine::{DataType, Reader, Xlsx};
        let bytes = workbook(&[Sheet {
            decimals: Some(2),
            ..Sheet::new(
                "x",
                vec!["总分".into()],
                vec![vec![Decimal::new(92485, 3).into()]],
            )
        }])
        .expect("workbook");
        let mut x: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
        let r = x.worksheet_range("x").expect("sheet");
        assert_eq!(r.get_value((1, 0)).and_then(|v| v.as_f64()), Some(92.49));
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(27), "AB");
    }

    /// A zip whose directory says its part is 100 bytes while it inflates to 2 MB.
    fn lying_zip() -> Vec<u8> {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            z.start_file("xl/worksheets/sheet1.xml", opts)
                .expect("part");
            z.write_all(&vec![b'0'; 2 * 1024 * 1024]).expect("write");
            z.finish().expect("finish");
        }
        let mut bytes = buf.into_inner();
        let patch = |bytes: &mut Vec<u8>, signature: [u8; 4], offset: usize| {
            let at = bytes
                .windows(4)
                .position(|w| w == signature)
                .expect("header");
            bytes[at + offset..at + offset + 4].copy_from_slice(&100u32.to_le_bytes());
        };
        patch(&mut bytes, [0x50, 0x4b, 0x03, 0x04], 22);
        patch(&mut bytes, [0x50, 0x4b, 0x01, 0x02], 24);
        bytes
    }

    #[test]
    fn what_inflates_is_counted_not_what_the_directory_says() {
        let bytes = lying_zip();
        assert!(
            bytes.len() < 64 * 1024,
            "small on the wire: {}",
            bytes.len()
        );
        assert!(matches!(
            check_inflated(&bytes, 1024 * 1024),
            Err(Inflated::TooLarge)
        ));
        assert!(check_inflated(&bytes, 4 * 1024 * 1024).is_ok());
        // Not a zip: left to the reader, which names what it is.
        assert!(check_inflated(b"unit,item\n", 10).is_ok());
    }
}
