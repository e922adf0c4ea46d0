//! The life of a reported value: draft → submitted → approved → verified → counted, with
//! returns for correction. Every move is a [`Transition`]; [`next`] says whether it is legal
//! from a state and where it leads.

use crate::text::Text;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueState {
    Draft,
    /// Sent by the reporter (or evaluator, inspector) for review.
    Submitted,
    /// Approved by the unit's leader.
    Approved,
    /// Verified by the lead department (or the office).
    Verified,
    /// Used in official results.
    Counted,
    /// Sent back for correction, with a reason.
    Returned,
}

impl ValueState {
    pub const ALL: [ValueState; 6] = [
        ValueState::Draft,
        ValueState::Submitted,
        ValueState::Approved,
        ValueState::Verified,
        ValueState::Counted,
        ValueState::Returned,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ValueState::Draft => "draft",
            ValueState::Submitted => "submitted",
            ValueState::Approved => "approved",
            ValueState::Verified => "verified",
            ValueState::Counted => "counted",
            ValueState::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<ValueState> {
        ValueState::ALL.iter().copied().find(|v| v.code() == s)
    }

    pub fn name(self) -> Text {
        match self {
            ValueState::Draft => Text::new("草稿", "draft"),
            ValueState::Submitted => Text::new("已提交", "submitted"),
            ValueState::Approved => Text::new("单位已审核", "approved by the unit"),
            ValueState::Verified => Text::new("牵头部门已核验", "verified"),
            ValueState::Counted => Text::new("已计分", "counted"),
            ValueState::Returned => Text::new("已退回", "returned"),
        }
    }

    /// Whether provisional results use this value (submitted and beyond).
    pub fn provisional(self) -> bool {
        matches!(
            self,
            ValueState::Submitted
                | ValueState::Approved
                | ValueState::Verified
                | ValueState::Counted
        )
    }

    /// Whether official results use this value.
    pub fn official(self) -> bool {
        self == ValueState::Counted
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// Save (or change) the number; creates a draft.
    Save,
    Submit,
    Approve,
    Verify,
    Count,
    Return,
}

impl Transition {
    pub const ALL: [Transition; 6] = [
        Transition::Save,
        Transition::Submit,
        Transition::Approve,
        Transition::Verify,
        Transition::Count,
        Transition::Return,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Transition::Save => "save",
            Transition::Submit => "submit",
            Transition::Approve => "approve",
            Transition::Verify => "verify",
            Transition::Count => "count",
            Transition::Return => "return",
        }
    }

    pub fn parse(s: &str) -> Option<Transition> {
        Transition::ALL.iter().copied().find(|t| t.code() == s)
    }

    /// The move as a person names it.
    pub fn name(self) -> Text {
        match self {
            Transition::Save => Text::new("保存", "save"),
            Transition::Submit => Text::new("提交", "submit"),
            Transition::Approve => Text::new("单位审核通过", "approve"),
            Transition::Verify => Text::new("核验通过", "verify"),
            Transition::Count => Text::new("计入", "count"),
            Transition::Return => Text::new("退回", "return"),
        }
    }
}

/// Which reviews a value goes through, by where its data come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Reported by a unit: its leader approves, the lead department verifies.
    Unit,
    /// Entered by an evaluator or inspector (or fed): the office or lead department verifies;
    /// the unit assessed does not approve its own evaluation.
    External,
}

impl Route {
    pub fn of(source: crate::scheme::Source) -> Route {
        use crate::scheme::Source::*;
        match source {
            Reported | Computed => Route::Unit,
            Fed | Survey | Inspection | Evaluator | Rectification | Project | Enforcement
            | Children | Responsibility => Route::External,
        }
    }
}

/// The state after `t` from `from`, or `None` if `t` is not allowed there. `Save` on no value
/// (`from = None`) creates a draft.
pub fn next(from: Option<ValueState>, t: Transition, route: Route) -> Option<ValueState> {
    use Transition::*;
    use ValueState::*;
    match (from, t) {
        (None | Some(Draft | Returned), Save) => Some(Draft),
        (Some(Draft | Returned), Submit) => Some(Submitted),
        (Some(Submitted), Approve) if route == Route::Unit => Some(Approved),
        (Some(Approved), Verify) if route == Route::Unit => Some(Verified),
        (Some(Submitted), Verify) if route == Route::External => Some(Verified),
        (Some(Verified), Count) => Some(Counted),
        (Some(Submitted | Approved | Verified | Counted), Return) => Some(Returned),
        _ => None,
    }
}

/// The transitions allowed from a state, for showing buttons and for errors.
pub fn allowed(from: Option<ValueState>, route: Route) -> Vec<Transition> {
    Transition::ALL
        .iter()
        .copied()
        .filter(|&t| next(from, t, route).is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reporting_chain_and_every_illegal_step() {
        use Transition::*;
        use ValueState::*;
        let r = Route::Unit;
        assert_eq!(next(None, Save, r), Some(Draft));
        assert_eq!(next(Some(Draft), Submit, r), Some(Submitted));
        assert_eq!(next(Some(Submitted), Approve, r), Some(Approved));
        assert_eq!(next(Some(Approved), Verify, r), Some(Verified));
        assert_eq!(next(Some(Verified), Count, r), Some(Counted));
        assert_eq!(next(Some(Counted), Return, r), Some(Returned));
        assert_eq!(next(Some(Returned), Save, r), Some(Draft));
        // External data skip the unit's own approval.
        assert_eq!(
            next(Some(Submitted), Verify, Route::External),
            Some(Verified)
        );
        assert_eq!(next(Some(Submitted), Approve, Route::External), None);
        // Everything else is illegal: exactly these pairs are legal on the unit route.
        let mut legal = 0;
        for from in std::iter::once(None).chain(ValueState::ALL.iter().copied().map(Some)) {
            for t in Transition::ALL {
                if next(from, t, r).is_some() {
                    legal += 1;
                }
            }
        }
        assert_eq!(legal, 3 + 2 + 1 + 1 + 1 + 4);
        assert_eq!(next(Some(Counted), Save, r), None);
        assert_eq!(next(Some(Draft), Approve, r), None);
        assert_eq!(next(Some(Submitted), Count, r), None);
        assert_eq!(allowed(Some(Submitted), r), vec![Approve, Return]);
    }
}
