//! Extractors whose rejections are problem+json like every other error: a malformed body,
//! path or query says what is wrong, in both languages, with the stable code `bad_request`.

use crate::error::Error;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::response::{IntoResponse, Response};
use jixiao_core::text::Text;

fn rejected(code: &'static str, what_zh: &str, what_en: &str, detail: String) -> Error {
    Error::bad_request(
        code,
        Text::new(
            format!("{what_zh}无法解析：{detail}"),
            format!("the {what_en} cannot be read: {detail}"),
        ),
    )
}

impl From<JsonRejection> for Error {
    fn from(r: JsonRejection) -> Error {
        let e = rejected("bad_body", "请求内容", "request body", r.body_text());
        Error {
            kind: crate::http::problem::kind_of(r.status()),
            ..e
        }
    }
}

impl From<PathRejection> for Error {
    fn from(r: PathRejection) -> Error {
        rejected("bad_path", "地址参数", "path", r.body_text())
    }
}

impl From<QueryRejection> for Error {
    fn from(r: QueryRejection) -> Error {
        rejected("bad_query", "查询参数", "query", r.body_text())
    }
}

/// JSON in and out.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct Query<T>(pub T);
