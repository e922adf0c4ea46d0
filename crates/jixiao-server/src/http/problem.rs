//! Errors as responses, in exactly one place: RFC 9457 `application/problem+json` with a
//! stable `code` and the message in Chinese and English. Server errors were logged with their
//! cause when they were made and show as "internal error".

use crate::error::{Error, Kind, ProblemText};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The problem document (RFC 9457) with jixiao's fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:jixiao:problem:<code>`
    #[serde(rename = "type")]
    pub kind: String,
    /// The English message.
    pub title: String,
    pub status: u16,
    /// Stable code for programs.
    pub code: String,
    pub message: ProblemText,
    /// The Chinese message (RFC 9457's occurrence-specific explanation).
    pub detail: String,
    /// Extension members, by problem: `issues` (invalid input), `current` and `allowed`
    /// (conflicts), `locked_until` (locked account), `units` (publication blocked).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// The status of each kind of failure.
pub fn status_of(kind: Kind) -> StatusCode {
    match kind {
        Kind::BadRequest => StatusCode::BAD_REQUEST,
        Kind::Unauthorized => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Kind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::Locked => StatusCode::LOCKED,
        Kind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The kind of failure an HTTP status from a lower layer (an extractor's rejection) means.
pub fn kind_of(status: StatusCode) -> Kind {
    match status {
        StatusCode::UNAUTHORIZED => Kind::Unauthorized,
        StatusCode::FORBIDDEN => Kind::Forbidden,
        StatusCode::NOT_FOUND => Kind::NotFound,
        StatusCode::CONFLICT => Kind::Conflict,
        StatusCode::PAYLOAD_TOO_LARGE => Kind::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Kind::UnsupportedType,
        StatusCode::UNPROCESSABLE_ENTITY => Kind::Invalid,
        StatusCode::TOO_MANY_REQUESTS => Kind::TooManyRequests,
        s if s.is_server_error() => Kind::Internal,
        _ => Kind::BadRequest,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = status_of(self.kind);
        let body = Problem {
            kind: format!("urn:jixiao:problem:{}", self.code),
            title: self.message.en.clone(),
            status: status.as_u16(),
            code: self.code.to_owned(),
            detail: self.message.zh.clone(),
            message: ProblemText {
                zh: self.message.zh,
                en: self.message.en,
            },
            extensions: self.extensions,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            json,
        )
            .into_response()
    }
}
