//! What each person must do now: the forms still to fill, the values waiting for their review,
//! the values sent back with why, open appeals, deadlines, and for those who follow the whole
//! district how many units are still reporting and how many warnings are raised.

use crate::error::Result;
use crate::ops::Caller;
use crate::ops::entry::{FormLink, completeness, forms_for};
use crate::ops::review::queue_of;
use crate::state::AppState;
use jixiao_core::access::{Action, Role, can};
use jixiao_core::period::Period;
use jixiao_core::text::Text;

/// A value sent back, with why.
pub struct Returned {
    pub unit: String,
    pub period: String,
    pub element: Text,
    pub reason: String,
}

pub struct Home {
    /// Forms with numbers still to enter or sent back.
    pub forms: Vec<FormLink>,
    /// How many values wait for the caller's review; none for roles that do not review.
    pub review: Option<usize>,
    pub returned: Vec<Returned>,
    pub appeals_open: usize,
    /// The scheme and period being reported now.
    pub current: Option<(String, String)>,
    /// Open periods with a deadline: scheme, period, deadline.
    pub deadlines: Vec<(String, String, String)>,
    /// Units still reporting in the current period (district-wide roles only).
    pub incomplete: Option<usize>,
    /// Warnings raised in the current period (district-wide roles only).
    pub warnings: Option<usize>,
}

pub async fn home(state: &AppState, caller: &Caller) -> Result<Home> {
    caller.require_signed_in()?;
    let p = &caller.principal;
    let district = matches!(
        p.role,
        Role::Office | Role::Admin | Role::Leader | Role::Finance
    );
    let home = {
        let live = state.live.read().await;
        let forms: Vec<FormLink> =
            if matches!(p.role, Role::Reporter | Role::Evaluator | Role::Inspector) {
                forms_for(&live, p)
                    .into_iter()
                    .filter(|f| f.todo > 0 || f.returned > 0)
                    .collect()
            } else {
                Vec::new()
            };
        let review = matches!(
            p.role,
            Role::UnitLeader | Role::LeadReviewer | Role::Office | Role::Admin
        )
        .then(|| queue_of(&live, p).len());
        let returned: Vec<Returned> = live
            .values
            .rows_where(|s| s.state == "returned")
            .filter(|r| {
                can(
                    p,
                    Action::EditValue {
                        unit: &r.unit_code,
                        element: &r.element,
                    },
                    &*live,
                ) && p.unit.is_some()
            })
            .map(|r| Returned {
                unit: r.unit_code.clone(),
                period: r.period.clone(),
                element: live.element(&r.element).map_or_else(
                    || Text::new(r.element.clone(), ""),
                    |(_, e)| e.def.name.clone(),
                ),
                reason: r.return_reason.clone(),
            })
            .collect();
        let deadlines = live
            .periods
            .iter()
            .filter(|pr| pr.status == "open")
            .filter_map(|pr| {
                pr.deadline
                    .clone()
                    .map(|d| (pr.scheme_code.clone(), pr.period.clone(), d))
            })
            .collect();
        let current = crate::ops::results::current(&live);
        let now = current
            .as_ref()
            .and_then(|(scheme, period)| Some((live.scheme(scheme)?, Period::parse(period).ok()?)));
        let (incomplete, warnings) = match now {
            Some((s, per)) if district => (
                Some(
                    s.era_of(per)
                        .model
                        .units
                        .iter()
                        .filter(|u| u.class.is_some())
                        .filter(|u| {
                            let (done, all) = completeness(&live, u.code.as_str(), per);
                            done < all
                        })
                        .count(),
                ),
                Some({
                    let era = s.era_of(per);
                    jixiao_core::warnings::evaluate(&era.model, &era.provisional, per).len()
                }),
            ),
            _ => (None, None),
        };
        Home {
            forms,
            review,
            returned,
            appeals_open: 0,
            current,
            deadlines,
            incomplete,
            warnings,
        }
    };
    let appeals = jixiao_store::appeals::list(&state.store).await?;
    let appeals_open = appeals
        .iter()
        .filter(|a| a.status == "open")
        .filter(|a| match p.role {
            Role::Office | Role::Admin | Role::Leader | Role::Finance => true,
            Role::Reporter | Role::UnitLeader => p.unit.as_deref() == Some(&a.unit_code),
            _ => false,
        })
        .count();
    Ok(Home {
        appeals_open,
        ..home
    })
}
