//! Who may do what: one function, [`can`], decides every access in jixiao. The server asks it
//! before every read and write; the authorization tests enumerate it.
//!
//! Scope = role × unit subtree × indicator set: a user's role, the unit at the root of the part
//! of the organisation they work in (none: the whole district), and the data elements they may
//! touch (none: all).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// System administrator: users, keys, everything.
    Admin,
    /// Assessment office (考核办): schemes, periods, counting, publication, appeals.
    Office,
    /// Finance bureau (财政局): budget-performance schemes; reads everything.
    Finance,
    /// Lead department reviewer (牵头部门): verifies the indicators it leads, across units.
    LeadReviewer,
    /// Unit reporter (填报员): enters and submits its unit's data.
    Reporter,
    /// Unit leader (单位负责人): approves or returns its unit's data.
    UnitLeader,
    /// Third-party evaluator (第三方机构): enters evaluator-sourced values for assigned units.
    Evaluator,
    /// Cross-inspection team (交叉检查组): enters inspection-sourced values; never for its own unit.
    Inspector,
    /// Leaders (领导): read-only dashboards, rankings, report cards.
    Leader,
    /// A machine feed (数据接口), through an API key: posts events of the feeds listed in its
    /// items (all when none), for units in its subtree. Nothing else.
    Feed,
    /// Anyone: published results only.
    Public,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Admin,
        Role::Office,
        Role::Finance,
        Role::LeadReviewer,
        Role::Reporter,
        Role::UnitLeader,
        Role::Evaluator,
        Role::Inspector,
        Role::Leader,
        Role::Feed,
        Role::Public,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Office => "office",
            Role::Finance => "finance",
            Role::LeadReviewer => "lead_reviewer",
            Role::Reporter => "reporter",
            Role::UnitLeader => "unit_leader",
            Role::Evaluator => "evaluator",
            Role::Inspector => "inspector",
            Role::Leader => "leader",
            Role::Feed => "feed",
            Role::Public => "public",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.code() == s)
    }

    pub fn name(self) -> crate::text::Text {
        use crate::text::Text;
        match self {
            Role::Admin => Text::new("系统管理员", "administrator"),
            Role::Office => Text::new("考核办", "assessment office"),
            Role::Finance => Text::new("财政局", "finance bureau"),
            Role::LeadReviewer => Text::new("牵头部门审核员", "lead-department reviewer"),
            Role::Reporter => Text::new("单位填报员", "unit reporter"),
            Role::UnitLeader => Text::new("单位负责人", "unit leader"),
            Role::Evaluator => Text::new("第三方评价机构", "third-party evaluator"),
            Role::Inspector => Text::new("交叉检查组", "cross-inspection team"),
            Role::Leader => Text::new("领导（只读）", "leader (read-only)"),
            Role::Feed => Text::new("数据接口", "machine feed"),
            Role::Public => Text::new("公众", "public"),
        }
    }
}

/// The person or system acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub role: Role,
    /// Root of the unit subtree they work in; `None`: the whole district.
    pub unit: Option<String>,
    /// Data elements they may touch; `None`: all.
    pub items: Option<Vec<String>>,
}

impl Principal {
    pub fn public() -> Principal {
        Principal {
            role: Role::Public,
            unit: None,
            items: None,
        }
    }
}

/// What the organisation and scheme say about a unit and an element, for scope checks.
pub trait Scope {
    /// Whether `unit` is `root` or below it.
    fn within(&self, unit: &str, root: &str) -> bool;
    /// The lead department of an element (the lead of the indicators that read it).
    fn lead_of(&self, element: &str) -> Option<String>;
    /// Where an element's data come from.
    fn source_of(&self, element: &str) -> Option<crate::scheme::Source>;
    /// Whether the scheme is a budget-performance scheme.
    fn is_budget_scheme(&self, scheme: &str) -> bool;
}

/// Everything that can be done, with what it is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Published results (公示).
    ReadPublished,
    /// Live rankings and dashboards of the whole district.
    ReadRankings,
    /// One unit's results, values and report card.
    ReadUnit {
        unit: &'a str,
    },
    /// The list of values, each filtered to the caller's scope afterwards.
    ListValues,
    /// A value (with its evidence).
    ReadValue {
        unit: &'a str,
        element: &'a str,
    },
    /// Save a draft or submit.
    EditValue {
        unit: &'a str,
        element: &'a str,
    },
    /// Unit leader's approval.
    ApproveValue {
        unit: &'a str,
        element: &'a str,
    },
    /// Lead department's (or the office's) verification.
    VerifyValue {
        unit: &'a str,
        element: &'a str,
    },
    /// Count a verified value into official results.
    CountValue,
    /// Return a value for correction, from the state it is in.
    ReturnValue {
        unit: &'a str,
        element: &'a str,
        state: crate::workflow::ValueState,
    },
    /// Check a scheme's text against the organisation, or upload it as a draft (before its
    /// code is known): the roles that manage any scheme at all.
    CheckSchemes,
    /// Upload or publish a version of a scheme. `budget`: the version itself declares a
    /// budget-performance scheme (a draft is not yet among the published ones).
    ManageSchemes {
        scheme: &'a str,
        budget: bool,
    },
    ManagePeriods,
    /// Close or reopen a period.
    LockPeriod,
    Publish {
        scheme: &'a str,
    },
    ManageUnits,
    ManageUsers,
    ManageApiKeys,
    ReadAudit,
    FileAppeal {
        unit: &'a str,
    },
    ResolveAppeal,
    /// Attach evidence to an appeal: the unit that may file it, or the office.
    AddAppealEvidence {
        unit: &'a str,
    },
    WhatIf,
    /// Post events of a feed for a unit (`None`: to the feed at all, before any event is read).
    PostFeed {
        feed: &'a str,
        unit: Option<&'a str>,
    },
    /// Feeds and their health.
    ReadFeeds,
    /// Define or change a feed.
    ManageFeeds,
    /// A warning of `unit` on an element led by `lead`.
    ReadWarning {
        unit: &'a str,
        lead: Option<&'a str>,
    },
    /// Answer a warning (cause and measures): the unit's own people.
    AnswerWarning {
        unit: &'a str,
    },
    /// Close a warning with a reason, or raise a rectification by hand: the office.
    CloseWarning,
    /// A rectification task of `unit`, verified by `verifier`.
    ReadRectification {
        unit: &'a str,
        verifier: &'a str,
    },
    /// Open a rectification task verified by `verifier`: the office for any, a lead
    /// department for its own verification.
    OpenRectification {
        verifier: &'a str,
    },
    /// Report progress and completion of a task: the unit's own people.
    WorkRectification {
        unit: &'a str,
    },
    /// Verify a completed task or return it: the verifying department (or the office).
    VerifyRectification {
        verifier: &'a str,
    },
    /// Remind units of deadlines (催报).
    RemindUnits,
    /// Configure outgoing channels (webhooks, group mailboxes) and read the delivery log.
    ManageChannels,
    /// Budget projects (预算项目): read one of a department (experts assigned to a project's
    /// ex-ante evaluation are let in by the project, not by this).
    ReadProjects {
        unit: &'a str,
    },
    /// Declare a project and its performance targets for a department: its own people, or
    /// the finance bureau.
    DeclareProject {
        unit: &'a str,
    },
    /// Run the budget gates: assign ex-ante experts and conclude, approve or return targets.
    ManageBudget,
    /// Set up cross-inspection rounds, their teams and assignments (异地交叉检查).
    ManageInspections,
    /// Set up citizen satisfaction surveys, issue their one-time codes, close them.
    ManageSurveys,
    /// Enforcement cases of `unit` and their legality flags. `legal_office`: the unit the rule
    /// file names as the legal office (司法局), whose people read every department's cases.
    ReadEnforcement {
        unit: &'a str,
        legal_office: Option<&'a str>,
    },
    /// Record (import, enter, feed) enforcement cases of `unit`: its own people or machine
    /// feed, the legal office, the assessment office.
    RecordEnforcement {
        unit: &'a str,
        legal_office: Option<&'a str>,
    },
    /// Confirm or dismiss legality flags, change the rule file: the legal office's reviewers
    /// and leaders, or the assessment office.
    ReviewEnforcement {
        legal_office: Option<&'a str>,
    },
}

fn in_unit(p: &Principal, unit: &str, s: &impl Scope) -> bool {
    match &p.unit {
        None => true,
        Some(root) => s.within(unit, root),
    }
}

fn in_items(p: &Principal, element: &str) -> bool {
    p.items
        .as_ref()
        .is_none_or(|items| items.iter().any(|i| i == element))
}

fn in_scope(p: &Principal, unit: &str, element: &str, s: &impl Scope) -> bool {
    in_unit(p, unit, s) && in_items(p, element)
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Nobody is signed in: signing in may help.
    SignIn,
    /// The caller is signed in and may not.
    Forbidden,
}

/// [`can`] with the reason for a refusal, for callers that answer it.
pub fn check(p: &Principal, action: Action<'_>, s: &impl Scope) -> Result<(), Denied> {
    if can(p, action, s) {
        Ok(())
    } else if p.role == Role::Public {
        Err(Denied::SignIn)
    } else {
        Err(Denied::Forbidden)
    }
}

/// Whether `p` may do `action`. The one place that decides.
pub fn can(p: &Principal, action: Action<'_>, s: &impl Scope) -> bool {
    use crate::scheme::Source;
    use Role::*;
    let everything = matches!(p.role, Admin | Office);
    match action {
        Action::ReadPublished => true,
        Action::ReadRankings => matches!(p.role, Admin | Office | Finance | Leader),
        Action::ReadUnit { unit } => match p.role {
            Admin | Office | Finance | Leader => true,
            LeadReviewer => true,
            Reporter | UnitLeader | Evaluator | Inspector => in_unit(p, unit, s),
            Feed | Public => false,
        },
        Action::ListValues => !matches!(p.role, Feed | Public),
        Action::ReadValue { unit, element } => match p.role {
            Admin | Office | Finance | Leader => true,
            LeadReviewer => p
                .unit
                .as_deref()
                .is_some_and(|d| s.lead_of(element).as_deref() == Some(d)),
            Reporter | UnitLeader | Evaluator | Inspector => in_scope(p, unit, element, s),
            Feed | Public => false,
        },
        Action::EditValue { unit, element } => {
            let source = s.source_of(element);
            match p.role {
                Admin | Office => true,
                Reporter => {
                    in_scope(p, unit, element, s)
                        && matches!(source, Some(Source::Reported | Source::Fed))
                }
                Evaluator => {
                    in_scope(p, unit, element, s)
                        && matches!(source, Some(Source::Evaluator | Source::Survey))
                }
                // Inspectors never inspect their own unit (异地交叉检查); their scope is the
                // units assigned to them, given by `items` and an explicit unit root.
                Inspector => {
                    in_scope(p, unit, element, s) && matches!(source, Some(Source::Inspection))
                }
                _ => false,
            }
        }
        Action::ApproveValue { unit, element } => {
            everything || (p.role == UnitLeader && in_scope(p, unit, element, s))
        }
        Action::VerifyValue { element, .. } => {
            everything
                || (p.role == LeadReviewer
                    && p.unit.is_some()
                    && s.lead_of(element).as_deref() == p.unit.as_deref()
                    && in_items(p, element))
        }
        Action::CountValue => everything,
        Action::ReturnValue {
            unit,
            element,
            state,
        } => {
            use crate::workflow::ValueState::*;
            everything
                || match (p.role, state) {
                    (UnitLeader, Submitted) => in_scope(p, unit, element, s),
                    (LeadReviewer, Submitted | Approved) => {
                        can(p, Action::VerifyValue { unit, element }, s)
                    }
                    _ => false,
                }
        }
        Action::CheckSchemes => matches!(p.role, Admin | Office | Finance),
        Action::ManageSchemes { scheme, budget } => {
            everything || (p.role == Finance && (budget || s.is_budget_scheme(scheme)))
        }
        Action::ManagePeriods | Action::LockPeriod | Action::ResolveAppeal => everything,
        Action::Publish { scheme } => {
            everything || (p.role == Finance && s.is_budget_scheme(scheme))
        }
        Action::ManageUnits | Action::ReadAudit => everything,
        Action::ManageUsers | Action::ManageApiKeys => p.role == Admin,
        Action::FileAppeal { unit } => {
            matches!(p.role, UnitLeader | Reporter) && in_unit(p, unit, s)
        }
        Action::AddAppealEvidence { unit } => {
            p.role == Office || can(p, Action::FileAppeal { unit }, s)
        }
        Action::WhatIf => matches!(p.role, Admin | Office | Finance | Leader),
        Action::PostFeed { feed, unit } => {
            p.role == Feed && in_items(p, feed) && unit.is_none_or(|u| in_unit(p, u, s))
        }
        Action::ReadFeeds | Action::ManageFeeds => everything,
        Action::ReadWarning { unit, lead } => match p.role {
            Admin | Office | Finance | Leader => true,
            LeadReviewer => p.unit.is_some() && lead == p.unit.as_deref(),
            Reporter | UnitLeader => in_unit(p, unit, s),
            _ => false,
        },
        Action::AnswerWarning { unit } | Action::WorkRectification { unit } => {
            matches!(p.role, Reporter | UnitLeader) && in_unit(p, unit, s)
        }
        Action::CloseWarning | Action::RemindUnits => everything,
        Action::ReadRectification { unit, verifier } => match p.role {
            Admin | Office | Finance | Leader => true,
            LeadReviewer => p.unit.as_deref() == Some(verifier),
            Reporter | UnitLeader => in_unit(p, unit, s),
            _ => false,
        },
        Action::OpenRectification { verifier } | Action::VerifyRectification { verifier } => {
            everything || (p.role == LeadReviewer && p.unit.as_deref() == Some(verifier))
        }
        Action::ManageChannels => p.role == Admin,
        Action::ReadProjects { unit } => match p.role {
            Admin | Office | Finance | Leader => true,
            Reporter | UnitLeader => in_unit(p, unit, s),
            _ => false,
        },
        Action::DeclareProject { unit } => {
            matches!(p.role, Admin | Finance)
                || (matches!(p.role, Reporter | UnitLeader) && in_unit(p, unit, s))
        }
        Action::ManageBudget => matches!(p.role, Admin | Finance),
        Action::ManageInspections => matches!(p.role, Admin | Office),
        Action::ManageSurveys => matches!(p.role, Admin | Office),
        Action::ReadEnforcement { unit, legal_office } => match p.role {
            Admin | Office | Leader => true,
            LeadReviewer | UnitLeader | Reporter => {
                (legal_office.is_some() && p.unit.as_deref() == legal_office) || in_unit(p, unit, s)
            }
            _ => false,
        },
        Action::RecordEnforcement { unit, legal_office } => match p.role {
            Admin | Office => true,
            LeadReviewer | UnitLeader | Reporter => {
                (legal_office.is_some() && p.unit.as_deref() == legal_office)
                    || (p.role != LeadReviewer && in_unit(p, unit, s))
            }
            Feed => in_unit(p, unit, s),
            _ => false,
        },
        Action::ReviewEnforcement { legal_office } => {
            everything
                || (matches!(p.role, LeadReviewer | UnitLeader)
                    && legal_office.is_some()
                    && p.unit.as_deref() == legal_office)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::Source;
    use crate::workflow::ValueState;

    struct Demo;
    impl Scope for Demo {
        fn within(&self, unit: &str, root: &str) -> bool {
            unit == root || unit.starts_with(&format!("{root}-"))
        }
        fn lead_of(&self, element: &str) -> Option<String> {
            (element == "cert").then(|| "SFJ".to_owned())
        }
        fn source_of(&self, element: &str) -> Option<Source> {
            Some(match element {
                "rating" => Source::Evaluator,
                "inspection" => Source::Inspection,
                _ => Source::Reported,
            })
        }
        fn is_budget_scheme(&self, scheme: &str) -> bool {
            scheme.starts_with("budget")
        }
    }

    fn p(role: Role, unit: Option<&str>) -> Principal {
        Principal {
            role,
            unit: unit.map(str::to_owned),
            items: None,
        }
    }

    #[test]
    fn scope_is_role_times_subtree_times_items() {
        let rep = p(Role::Reporter, Some("QLY"));
        assert!(can(
            &rep,
            Action::EditValue {
                unit: "QLY-C01",
                element: "cert"
            },
            &Demo
        ));
        assert!(!can(
            &rep,
            Action::EditValue {
                unit: "MXI",
                element: "cert"
            },
            &Demo
        ));
        // A reporter does not enter an evaluator's rating.
        assert!(!can(
            &rep,
            Action::EditValue {
                unit: "QLY",
                element: "rating"
            },
            &Demo
        ));
        let narrow = Principal {
            items: Some(vec!["other".into()]),
            ..rep.clone()
        };
        assert!(!can(
            &narrow,
            Action::EditValue {
                unit: "QLY",
                element: "cert"
            },
            &Demo
        ));
        let lead = p(Role::LeadReviewer, Some("SFJ"));
        assert!(can(
            &lead,
            Action::VerifyValue {
                unit: "MXI",
                element: "cert"
            },
            &Demo
        ));
        assert!(!can(
            &lead,
            Action::VerifyValue {
                unit: "MXI",
                element: "gdp"
            },
            &Demo
        ));
        assert!(can(
            &lead,
            Action::ReturnValue {
                unit: "MXI",
                element: "cert",
                state: ValueState::Approved
            },
            &Demo
        ));
        assert!(!can(
            &lead,
            Action::ReturnValue {
                unit: "MXI",
                element: "cert",
                state: ValueState::Counted
            },
            &Demo
        ));
        let leader = p(Role::UnitLeader, Some("QLY"));
        assert!(can(
            &leader,
            Action::ReturnValue {
                unit: "QLY",
                element: "cert",
                state: ValueState::Submitted
            },
            &Demo
        ));
        assert!(!can(
            &leader,
            Action::ReturnValue {
                unit: "QLY",
                element: "cert",
                state: ValueState::Approved
            },
            &Demo
        ));
        assert!(can(
            &p(Role::Finance, None),
            Action::ManageSchemes {
                scheme: "budget-self",
                budget: false
            },
            &Demo
        ));
        assert!(!can(
            &p(Role::Finance, None),
            Action::ManageSchemes {
                scheme: "wolong",
                budget: false
            },
            &Demo
        ));
        // A draft that declares itself a budget scheme, not yet published.
        assert!(can(
            &p(Role::Finance, None),
            Action::ManageSchemes {
                scheme: "p2026",
                budget: true
            },
            &Demo
        ));
        assert!(can(&p(Role::Finance, None), Action::CheckSchemes, &Demo));
        assert!(!can(&p(Role::Leader, None), Action::CheckSchemes, &Demo));
        assert!(can(&p(Role::Leader, None), Action::ListValues, &Demo));
        assert!(!can(&p(Role::Feed, None), Action::ListValues, &Demo));
        assert!(can(
            &p(Role::Office, None),
            Action::AddAppealEvidence { unit: "QLY" },
            &Demo
        ));
        assert!(can(
            &p(Role::UnitLeader, Some("QLY")),
            Action::AddAppealEvidence { unit: "QLY" },
            &Demo
        ));
        assert!(!can(
            &p(Role::UnitLeader, Some("QLY")),
            Action::AddAppealEvidence { unit: "MXI" },
            &Demo
        ));
        assert!(!can(
            &p(Role::Admin, None),
            Action::AddAppealEvidence { unit: "QLY" },
            &Demo
        ));
        assert_eq!(
            check(&Principal::public(), Action::ReadRankings, &Demo),
            Err(Denied::SignIn)
        );
        assert_eq!(
            check(&p(Role::Reporter, Some("QLY")), Action::ReadRankings, &Demo),
            Err(Denied::Forbidden)
        );
        assert!(!can(
            &p(Role::Leader, None),
            Action::EditValue {
                unit: "QLY",
                element: "cert"
            },
            &Demo
        ));
        assert!(can(&Principal::public(), Action::ReadPublished, &Demo));
        assert!(!can(&Principal::public(), Action::ReadRankings, &Demo));
    }
}
