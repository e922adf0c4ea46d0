//! Tables as Excel workbooks: every table a page shows can be downloaded as XLSX with the same
//! columns — bold header row frozen at the top, column widths to fit, numbers as numbers.

use crate::error::{ApiError, ApiResult};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jixiao_core::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};

/// A cell: text, or a number (kept exact in the page; Excel stores a double).
pub enum Cell {
    Text(String),
    Num(Decimal),
    /// A value with a problem: highlighted.
    Bad(String),
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
}

fn width(s: &str) -> f64 {
    s.chars()
        .map(|c| if c.is_ascii() { 1.1 } else { 2.1 })
        .sum::<f64>()
}

/// Writes the sheets into a workbook.
pub fn workbook(sheets: &[Sheet]) -> ApiResult<Vec<u8>> {
    let err = |e: rust_xlsxwriter::XlsxError| ApiError::internal(&e);
    let mut wb = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let num = Format::new()
        .set_num_format("0.####")
        .set_border(FormatBorder::Thin);
    let text = Format::new().set_border(FormatBorder::Thin);
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
                    Cell::Num(d) => {
                        ws.write_number_with_format(y, x as u16, d.to_f64().unwrap_or(0.0), &num)
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
    }
    wb.save_to_buffer().map_err(err)
}

/// A workbook as a download named `file` (`.xlsx` added).
pub fn download(file: &str, sheets: &[Sheet]) -> ApiResult<Response> {
    let bytes = workbook(sheets)?;
    let ascii: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}.xlsx\"; filename*=UTF-8''{}.xlsx",
                    super::urlencode(file)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// One table as a workbook whose file and sheet carry the same name.
pub fn one_sheet(name: &str, headers: Vec<String>, rows: Vec<Vec<Cell>>) -> ApiResult<Response> {
    download(
        name,
        &[Sheet {
            name: name.to_owned(),
            headers,
            rows,
        }],
    )
}

/// Whether a page was asked for as a workbook (`?format=xlsx`).
pub fn wanted(format: &Option<String>) -> bool {
    format.as_deref() == Some("xlsx")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workbook_reads_back() {
        use calamine::{DataType, Reader, Xlsx};
        let bytes = workbook(&[Sheet {
            name: "排名/ranking".into(),
            headers: vec!["单位".into(), "总分".into()],
            rows: vec![
                vec!["七里园街道".into(), Decimal::new(9249, 2).into()],
                vec!["武侯街道".into(), None.into()],
            ],
        }])
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
}
