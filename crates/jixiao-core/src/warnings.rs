//! Early warnings (动态预警): each rule of the scheme checked for every assessed unit in a
//! period, on whatever values the caller passes (the server passes submitted-and-beyond, so a
//! warning shows the moment a number that crosses a line is submitted).

use crate::model::{Model, UnitId};
use crate::period::Period;
use crate::values::Values;
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Yellow,
    Red,
}

/// A rule crossed by a unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Raised {
    /// Index into the scheme's `warnings`.
    pub rule: usize,
    pub unit: UnitId,
    pub level: Level,
    pub value: Decimal,
}

/// Every warning raised in `period`, red before yellow, then by rule and unit.
pub fn evaluate(model: &Model, values: &Values, period: Period) -> Vec<Raised> {
    let mut out = Vec::new();
    for (i, w) in model.scheme.warnings.iter().enumerate() {
        let Some(elem) = model.element(w.element.as_str()) else {
            continue;
        };
        for (u, unit) in model.units.iter().enumerate() {
            if unit.class.is_none() {
                continue;
            }
            let u = u as UnitId;
            let Ok(v) = values.resolve(model, u, elem, period) else {
                continue;
            };
            let level = if w.red.is_some_and(|t| t.crossed(v)) {
                Level::Red
            } else if w.yellow.is_some_and(|t| t.crossed(v)) {
                Level::Yellow
            } else {
                continue;
            };
            out.push(Raised {
                rule: i,
                unit: u,
                level,
                value: v,
            });
        }
    }
    out.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(a.rule.cmp(&b.rule))
            .then(a.unit.cmp(&b.unit))
    });
    out
}
