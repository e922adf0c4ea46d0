//! jixiao's domain: assessment schemes, the organisation, reported data and the exact,
//! explainable scoring engine. No I/O: callers read files and pass text or bytes in.

// A problem report is built once per bad input, never on a hot path; boxing it would only add
// noise at every call site.
#![allow(clippy::result_large_err)]

/// Builds a [`text::Text`] from two format strings: `t!("缺少{x}", "missing {x}")`.
macro_rules! t {
    ($zh:literal, $en:literal $(,)?) => {
        $crate::text::Text::new(format!($zh), format!($en))
    };
}
pub(crate) use t;

pub mod access;
pub mod applications;
pub mod budget;
pub mod check;
pub mod code;
pub mod data;
pub mod doc;
pub mod enforcement;
pub mod engine;
pub mod explain;
pub mod feed;
pub mod formula;
pub mod inspection;
pub mod issue;
pub mod model;
pub mod org;
pub mod period;
pub mod quality;
pub mod report;
pub mod scheme;
pub mod synth;
pub mod text;
pub mod values;
pub mod warnings;
pub mod whatif;
pub mod workflow;

pub use rust_decimal::Decimal;
