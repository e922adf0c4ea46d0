//! Extractors whose rejections are problem+json like every other error: a malformed body,
//! path or query says what is wrong, in both languages, with the stable code `bad_request`.

use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::response::{IntoResponse, Response};
use jixiao_core::text::Text;

fn rejected(code: &'static str, what_zh: &str, what_en: &str, detail: String) -> ApiError {
    ApiError::bad_request(
        code,
        Text::new(
            format!("{what_zh}无法解析：{detail}"),
            format!("the {what_en} cannot be read: {detail}"),
        ),
    )
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let e = rejected("bad_body", "请求内容", "request body", r.body_text());
        ApiError {
            status: r.status(),
            ..e
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> ApiError {
        rejected("bad_path", "地址参数", "path", r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        rejected("bad_query", "查询参数", "query", r.body_text())
    }
}

/// JSON in and out.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
