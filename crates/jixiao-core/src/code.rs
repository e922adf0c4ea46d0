//! Validated identifiers. Once built they are valid; nothing downstream re-checks them.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Words a formula gives a meaning of its own; no element, constant or indicator may use them.
pub const RESERVED: &[&str] = &[
    "min", "max", "abs", "if", "yoy", "prev", "floor", "ceil", "true", "false", "w", "t", "a",
];

/// An identifier that may appear in a formula: classes, modules, indicators, data elements,
/// constants. Letters (any script, so Chinese works), digits and `_`; it does not start with a
/// digit.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Ident(String);

/// The code of a unit (department, sub-district, village, project) or of a scheme. Looser than [`Ident`]:
/// `-` and `.` are allowed because offices number units like `QLY-03`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Code(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeError {
    Empty,
    TooLong,
    StartsWithDigit,
    BadChar(char),
    Reserved,
}

impl CodeError {
    pub fn text(&self, code: &str) -> crate::text::Text {
        match self {
            CodeError::Empty => crate::t!("代码不能为空", "a code cannot be empty"),
            CodeError::TooLong => {
                crate::t!(
                    "代码“{code}”过长（最多64个字符）",
                    "code `{code}` is too long (at most 64 characters)"
                )
            }
            CodeError::StartsWithDigit => crate::t!(
                "代码“{code}”不能以数字开头",
                "code `{code}` must not start with a digit"
            ),
            CodeError::BadChar(c) => crate::t!(
                "代码“{code}”含有不允许的字符“{c}”（只允许字母、汉字、数字和下划线）",
                "code `{code}` contains `{c}`; only letters, digits and `_` are allowed"
            ),
            CodeError::Reserved => crate::t!(
                "“{code}”是公式保留字，不能用作代码",
                "`{code}` is a reserved formula word and cannot be a code"
            ),
        }
    }
}

fn check_len(s: &str) -> Result<(), CodeError> {
    if s.is_empty() {
        return Err(CodeError::Empty);
    }
    if s.chars().count() > 64 {
        return Err(CodeError::TooLong);
    }
    Ok(())
}

impl Ident {
    pub fn parse(s: &str) -> Result<Ident, CodeError> {
        check_len(s)?;
        if s.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return Err(CodeError::StartsWithDigit);
        }
        if let Some(c) = s.chars().find(|c| !(c.is_alphanumeric() || *c == '_')) {
            return Err(CodeError::BadChar(c));
        }
        if RESERVED.contains(&s) {
            return Err(CodeError::Reserved);
        }
        Ok(Ident(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An identifier spelled in jixiao's own source (defaults); checked in debug builds and by
    /// the tests of the modules that use it.
    pub(crate) fn builtin(s: &'static str) -> Ident {
        Ident::builtin_owned(s.to_owned())
    }

    pub(crate) fn builtin_owned(s: String) -> Ident {
        debug_assert!(Ident::parse(&s).is_ok(), "invalid built-in identifier {s}");
        Ident(s)
    }
}

impl Code {
    pub fn parse(s: &str) -> Result<Code, CodeError> {
        check_len(s)?;
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return Err(CodeError::BadChar(c));
        }
        Ok(Code(s.to_owned()))
    }

    /// A code spelled in jixiao's own source; checked in debug builds.
    pub(crate) fn builtin(s: &str) -> Code {
        debug_assert!(Code::parse(s).is_ok(), "invalid built-in code {s}");
        Code(s.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_like {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }
        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                <$t>::parse(&s)
                    .map_err(|e| serde::de::Error::custom(crate::doc::bilingual(&e.text(&s))))
            }
        }
    };
}
string_like!(Ident);
string_like!(Code);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_accept_chinese_and_reject_formula_hazards() {
        assert!(Ident::parse("持证人数").is_ok());
        assert!(Ident::parse("gdp_growth2").is_ok());
        assert_eq!(Ident::parse("2gdp"), Err(CodeError::StartsWithDigit));
        assert_eq!(Ident::parse("a-b"), Err(CodeError::BadChar('-')));
        assert_eq!(Ident::parse("min"), Err(CodeError::Reserved));
        assert_eq!(Ident::parse(""), Err(CodeError::Empty));
        assert!(Code::parse("QLY-03").is_ok());
        assert_eq!(Code::parse("a b"), Err(CodeError::BadChar(' ')));
    }
}
