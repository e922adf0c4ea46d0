//! The one error of the server's operations: what kind of failure, a stable `code` programs
//! read, the message in Chinese and English, and extension members (the problems of invalid
//! input, the current state on a conflict). No HTTP here: the adapters turn a [`Kind`] into a
//! status in exactly one place ([`crate::http::problem`]).

use jixiao_core::issue::Issues;
use jixiao_core::text::Text;
use serde::Serialize;

/// What kind of failure: each maps to one HTTP status, and a page picks its title by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Malformed input (400).
    BadRequest,
    /// Nobody is signed in, or the credentials are wrong (401).
    Unauthorized,
    /// Signed in and not allowed (403).
    Forbidden,
    /// No such thing, or not for this caller to see (404).
    NotFound,
    /// The thing is not in a state that allows this (409).
    Conflict,
    /// A file or a post larger than allowed (413).
    TooLarge,
    /// A file of a type not accepted (415).
    UnsupportedType,
    /// Input that fails validation (422).
    Invalid,
    /// An account locked after failed sign-ins (423).
    Locked,
    /// Too many attempts (429).
    TooManyRequests,
    /// A dependency is missing or down: the database, the PDF printer (503).
    Unavailable,
    /// A bug or an outage; the cause is logged, the caller sees "internal error" (500).
    Internal,
}

impl Kind {
    /// A problem of the request, which the person can fix (not the server's).
    pub fn is_client(self) -> bool {
        !matches!(self, Kind::Internal | Kind::Unavailable)
    }
}

#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub code: &'static str,
    pub message: Text,
    /// Extension members (RFC 9457 §3.2): each key of this object becomes a member of the
    /// problem document.
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// A message in both languages, as programs receive it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProblemText {
    pub zh: String,
    pub en: String,
}

impl From<Text> for ProblemText {
    fn from(t: Text) -> ProblemText {
        ProblemText { zh: t.zh, en: t.en }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// This error as the problem of row `row` of a file (the message says which row).
    pub fn at_row(mut self, row: usize) -> Error {
        self.message = Text::new(
            format!("第{row}行：{}", self.message.zh),
            format!("row {row}: {}", self.message.en),
        );
        self
    }

    pub fn new(kind: Kind, code: &'static str, message: Text) -> Error {
        Error {
            kind,
            code,
            message,
            extensions: serde_json::Map::new(),
        }
    }

    /// Adds extension members: `extra` must be a JSON object; its keys join the document.
    pub fn with(mut self, extra: serde_json::Value) -> Error {
        if let serde_json::Value::Object(map) = extra {
            self.extensions.extend(map);
        }
        self
    }

    /// `what` names the missing thing in Chinese and in English.
    pub fn not_found(zh: &str, en: &str) -> Error {
        Error::new(
            Kind::NotFound,
            "not_found",
            Text::new(format!("找不到{zh}"), format!("{en} not found")),
        )
    }

    pub fn unauthorized() -> Error {
        Error::new(
            Kind::Unauthorized,
            "unauthorized",
            Text::new("请先登录", "log in first"),
        )
    }

    pub fn forbidden() -> Error {
        Error::new(
            Kind::Forbidden,
            "forbidden",
            Text::new("无权进行此操作", "you may not do this"),
        )
    }

    pub fn conflict(code: &'static str, message: Text) -> Error {
        Error::new(Kind::Conflict, code, message)
    }

    pub fn bad_request(code: &'static str, message: Text) -> Error {
        Error::new(Kind::BadRequest, code, message)
    }

    /// Input that fails validation: 422 with every problem.
    pub fn invalid(issues: &Issues) -> Error {
        let n = issues.errors().count();
        Error::new(
            Kind::Invalid,
            "invalid",
            Text::new(
                format!("输入有{n}处错误，未做任何更改"),
                format!("{n} problem(s) in the input; nothing was changed"),
            ),
        )
        .with(serde_json::json!({ "issues": issues }))
    }

    /// A failure that is not the caller's: logged with its cause, shown as "internal error".
    pub fn internal(cause: &dyn std::fmt::Display) -> Error {
        tracing::error!(error = %cause, "internal error");
        Error::new(
            Kind::Internal,
            "internal",
            Text::new("服务器内部错误", "internal error"),
        )
    }

    /// The first detail of an invalid input's problems (or the message) in one language: what
    /// a person sees beside the field at fault.
    pub fn detail(&self, lang: jixiao_core::text::Lang) -> String {
        let key = match lang {
            jixiao_core::text::Lang::Zh => "zh",
            jixiao_core::text::Lang::En => "en",
        };
        self.extensions
            .get("issues")
            .and_then(|i| i.as_array())
            .and_then(|a| a.first())
            .and_then(|i| i.get("message"))
            .and_then(|m| m.get(key).or_else(|| m.get("zh")))
            .and_then(|s| s.as_str())
            .map_or_else(|| self.message.get(lang).to_owned(), str::to_owned)
    }
}

impl From<jixiao_store::StoreError> for Error {
    fn from(e: jixiao_store::StoreError) -> Error {
        if e.is_unique_violation() {
            return Error::conflict(
                "exists",
                Text::new(
                    "已存在相同的记录",
                    "a record with the same key already exists",
                ),
            );
        }
        if e.is_busy() {
            tracing::warn!(error = %e, "the database was busy");
            return Error::new(
                Kind::Unavailable,
                "busy",
                Text::new(
                    "数据库正忙（可能有命令行导入正在写入），本次未做任何更改，请稍后再试",
                    "the database is busy (perhaps an import from the command line is writing); nothing was changed, try again shortly",
                ),
            );
        }
        Error::internal(&e)
    }
}
