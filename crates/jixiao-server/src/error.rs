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
    /// Extra structured detail: validation problems, the current state on a conflict.
    pub detail: Option<serde_json::Value>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub detail: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
            detail: None,
        }
    }

    pub fn with(mut self, detail: serde_json::Value) -> ApiError {
        self.detail = Some(detail);
        self
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            Text::new(format!("找不到{what}"), format!("{what} not found")),
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
            message: ProblemText {
                zh: self.message.zh,
                en: self.message.en,
            },
            detail: self.detail,
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
