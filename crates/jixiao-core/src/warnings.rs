//! Early warnings (动态预警): each rule of the scheme checked for every assessed unit in a
//! period, on whatever values the caller passes (the server passes submitted-and-beyond, so a
//! warning shows the moment a number that crosses a line is submitted).

use crate::model::{Model, UnitId};
use crate::period::Period;
use crate::scheme::{RectifyFrom, WarningRule};
use crate::values::Values;
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Yellow,
    Orange,
    Red,
}

impl Level {
    pub fn code(self) -> &'static str {
        match self {
            Level::Yellow => "yellow",
            Level::Orange => "orange",
            Level::Red => "red",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        [Level::Yellow, Level::Orange, Level::Red]
            .into_iter()
            .find(|l| l.code() == s)
    }

    pub fn name(self) -> crate::text::Text {
        match self {
            Level::Yellow => crate::text::Text::new("黄色预警", "yellow"),
            Level::Orange => crate::text::Text::new("橙色预警", "orange"),
            Level::Red => crate::text::Text::new("红色预警", "red"),
        }
    }

    /// Days a unit has to answer a warning of this level under `rule`.
    pub fn respond_within(self, rule: &WarningRule) -> u32 {
        match self {
            Level::Yellow => rule.respond_within.yellow,
            Level::Orange => rule.respond_within.orange,
            Level::Red => rule.respond_within.red,
        }
    }

    /// Whether a warning of this level under `rule` needs a verified rectification.
    pub fn needs_rectification(self, rule: &WarningRule) -> bool {
        match rule.rectify_from {
            RectifyFrom::None => false,
            RectifyFrom::Yellow => true,
            RectifyFrom::Orange => self >= Level::Orange,
            RectifyFrom::Red => self == Level::Red,
        }
    }

    /// The line of this level under `rule`, in words (`> 20`).
    pub fn line(self, rule: &WarningRule) -> String {
        let t = match self {
            Level::Yellow => rule.yellow,
            Level::Orange => rule.orange,
            Level::Red => rule.red,
        };
        t.map(|t| t.words(" | ")).unwrap_or_default()
    }
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
            out.extend(at(model, values, period, i, u, elem));
        }
    }
    sort(&mut out);
    out
}

/// The warnings of one unit in `period` (a value of the unit has changed), in the order of
/// [`evaluate`].
pub fn evaluate_unit(model: &Model, values: &Values, period: Period, unit: UnitId) -> Vec<Raised> {
    if model.units[unit as usize].class.is_none() {
        return Vec::new();
    }
    let mut out: Vec<Raised> = model
        .scheme
        .warnings
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let elem = model.element(w.element.as_str())?;
            at(model, values, period, i, unit, elem)
        })
        .collect();
    sort(&mut out);
    out
}

fn at(
    model: &Model,
    values: &Values,
    period: Period,
    rule: usize,
    unit: UnitId,
    elem: crate::model::ElemId,
) -> Option<Raised> {
    let w = &model.scheme.warnings[rule];
    let v = values.resolve(model, unit, elem, period).ok()?;
    let level = if w.red.is_some_and(|t| t.crossed(v)) {
        Level::Red
    } else if w.orange.is_some_and(|t| t.crossed(v)) {
        Level::Orange
    } else if w.yellow.is_some_and(|t| t.crossed(v)) {
        Level::Yellow
    } else {
        return None;
    };
    Some(Raised {
        rule,
        unit,
        level,
        value: v,
    })
}

fn sort(out: &mut [Raised]) {
    out.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(a.rule.cmp(&b.rule))
            .then(a.unit.cmp(&b.unit))
    });
}
