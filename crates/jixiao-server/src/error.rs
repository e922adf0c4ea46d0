//! Errors of the HTTP layer, turned into responses in exactly one place: RFC 9457
//! `application/problem+json` with a stable `code` and the message in Chinese and English.
//! Server errors are logged with their cause and shown as "internal error".

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jixiao_core::issue::Issues;
use jixiao_core::text::Text;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Text,
    /// Extension members (RFC 9457 §3.2): validation problems, the current state on a
    /// conflict. Each key of this object becomes a member of the problem document.
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

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

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProblemText {
    pub zh: String,
    pub en: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: Text) -> ApiError {
        ApiError {
            status,
            code,
            message,
            extensions: serde_json::Map::new(),
        }
    }

    /// Adds extension members: `extra` must be a JSON object; its keys join the document.
    pub fn with(mut self, extra: serde_json::Value) -> ApiError {
        if let serde_json::Value::Object(map) = extra {
            self.extensions.extend(map);
        }
        self
    }

    /// `what` names the missing thing in Chinese and in English.
    pub fn not_found(zh: &str, en: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            Text::new(format!("找不到{zh}"), format!("{en} not found")),
        )
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            Text::new("请先登录", "log in first"),
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            Text::new("无权进行此操作", "you may not do this"),
        )
    }

    pub fn conflict(code: &'static str, message: Text) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    pub fn bad_request(code: &'static str, message: Text) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// Input that fails validation: 422 with every problem.
    pub fn invalid(issues: &Issues) -> ApiError {
        let n = issues.errors().count();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            Text::new(
                format!("输入有{n}处错误，未做任何更改"),
                format!("{n} problem(s) in the input; nothing was changed"),
            ),
        )
        .with(serde_json::json!({ "issues": issues }))
    }

    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            Text::new("服务器内部错误", "internal error"),
        )
    }
}

impl From<jixiao_store::StoreError> for ApiError {
    fn from(e: jixiao_store::StoreError) -> ApiError {
        if e.is_unique_violation() {
            return ApiError::conflict(
                "exists",
                Text::new(
                    "已存在相同的记录",
                    "a record with the same key already exists",
                ),
            );
        }
        ApiError::internal(&e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!("urn:jixiao:problem:{}", self.code),
            title: self.message.en.clone(),
            status: self.status.as_u16(),
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
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            json,
        )
            .into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
