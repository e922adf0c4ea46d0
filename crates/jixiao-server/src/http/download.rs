//! Files as downloads: the bytes with their type and a name the browser keeps (ASCII for old
//! clients, the full UTF-8 name for the others).

use crate::error::Result;
use crate::xlsx::{MIME, Sheet};
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Percent-encodes a file name for `filename*` (RFC 5987): only unreserved bytes stay.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `bytes` as an attachment: `fallback` is the plain (ASCII) file name, `name` the full one;
/// either may be empty.
pub fn attachment(bytes: Vec<u8>, mime: &str, fallback: &str, name: &str) -> Response {
    let mut disposition = "attachment".to_owned();
    if !fallback.is_empty() {
        disposition.push_str(&format!("; filename=\"{fallback}\""));
    }
    if !name.is_empty() {
        disposition.push_str(&format!("; filename*=UTF-8''{}", percent(name)));
    }
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// The ASCII stand-in for a file name: letters, digits and `-`, the rest `_`.
fn ascii(file: &str) -> String {
    file.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A workbook download named `file` (`.xlsx` added).
pub fn workbook(bytes: Vec<u8>, file: &str) -> Response {
    attachment(
        bytes,
        MIME,
        &format!("{}.xlsx", ascii(file)),
        &format!("{file}.xlsx"),
    )
}

/// Sheets as a workbook download named `file` (`.xlsx` added).
pub fn xlsx(file: &str, sheets: &[Sheet]) -> Result<Response> {
    Ok(workbook(crate::xlsx::workbook(sheets)?, file))
}

/// One table as a workbook whose file and sheet carry the same name.
pub fn xlsx_table(
    name: &str,
    headers: Vec<String>,
    rows: Vec<Vec<crate::xlsx::Cell>>,
) -> Result<Response> {
    xlsx(name, &[Sheet::new(name, headers, rows)])
}

/// A PDF download named `file` (`.pdf` added).
pub fn pdf(bytes: Vec<u8>, fallback: &str, file: &str) -> Response {
    attachment(bytes, "application/pdf", fallback, &format!("{file}.pdf"))
}
