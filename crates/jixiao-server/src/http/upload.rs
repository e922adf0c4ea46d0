//! Multipart forms with a file: the `file` field and the form's other fields, read whole.

use crate::error::{Error, Kind};
use axum::body::Bytes;
use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use jixiao_core::text::Text;

/// The uploaded file.
pub struct File {
    /// The name the client gave, if any.
    pub name: Option<String>,
    /// The type the client declared, if any.
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

impl File {
    /// The file as the operations take it.
    pub fn incoming(&self) -> crate::ops::evidence::Incoming<'_> {
        crate::ops::evidence::Incoming {
            name: self.name.as_deref(),
            declared: self.content_type.as_deref(),
            bytes: &self.bytes,
        }
    }
}

/// A form: its `file` field (the last one, when sent twice) and its other fields as text.
pub struct Upload {
    pub file: Option<File>,
    pub fields: Vec<(String, String)>,
}

impl Upload {
    /// The file as the operations take it (none when the form had no `file`).
    pub fn incoming(&self) -> Option<crate::ops::evidence::Incoming<'_>> {
        self.file.as_ref().map(File::incoming)
    }

    /// The first value of the text field `name` ("" when the form has none).
    pub fn field(&self, name: &str) -> &str {
        crate::http::upload::first(&self.fields, name)
    }
}

/// The first value of the field `name` in a list of pairs ("" when there is none).
pub fn first<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The form, or — when the request is not a multipart form at all (no or a wrong boundary, another
/// content type) — a problem that says so, as every other error is answered (the framework's
/// own answer would be plain text).
pub fn form(
    sent: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Multipart, Error> {
    sent.map_err(|e| {
        let kind = if e.status() == axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE {
            Kind::UnsupportedType
        } else {
            Kind::BadRequest
        };
        Error::new(
            kind,
            "bad_upload",
            Text::new(
                format!("不是带文件的表单（multipart/form-data）：{}", e.body_text()),
                format!(
                    "not a form with a file (multipart/form-data): {}",
                    e.body_text()
                ),
            ),
        )
    })
}

/// Reads the whole form. A body over the route's limit, or a broken form, is an error that
/// says so (`too_large` gives the first).
pub async fn read(mut form: Multipart, too_large: impl Fn() -> Error) -> Result<Upload, Error> {
    let failed = |e: MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            Error::new(
                Kind::BadRequest,
                "bad_upload",
                Text::new(
                    format!("上传失败：{}", e.body_text()),
                    format!("upload failed: {}", e.body_text()),
                ),
            )
        }
    };
    let mut upload = Upload {
        file: None,
        fields: Vec::new(),
    };
    while let Some(field) = form.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(failed)?;
            upload.file = Some(File {
                name: file_name,
                content_type,
                bytes,
            });
        } else {
            let v = field.text().await.map_err(failed)?;
            upload.fields.push((name, v));
        }
    }
    Ok(upload)
}

/// An evidence upload: the form read whole, refused past the configured evidence size.
pub async fn evidence(state: &crate::state::AppState, form: Multipart) -> Result<Upload, Error> {
    read(form, || crate::ops::evidence::too_large(state)).await
}
