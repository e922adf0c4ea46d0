//! Data entry (填报): which numbers a unit reports for a period (the form's layout: every
//! indicator of every scheme assessing the unit, with the elements this caller may enter, each
//! asked for once even when several indicators or schemes read it — 最多报一次), how far each
//! form is done, the rates computed from what was typed, and saving a whole form: every number
//! checked first, nothing saved when any has a problem.

use crate::error::{Error, Kind, Result};
use crate::live::Live;
use crate::ops::values::{SaveBody, ValueKey, ValueView};
use crate::ops::{Caller, allow_in};
use crate::state::AppState;
use jixiao_core::Decimal;
use jixiao_core::access::{Action, Principal, Role, can};
use jixiao_core::formula::Shift;
use jixiao_core::model::{ElemId, Model, leaf_slots};
use jixiao_core::period::Period;
use jixiao_core::scheme::{Source, ValueKind};
use jixiao_core::text::Text;
use std::collections::{BTreeMap, HashSet};

/// An indicator on the form, with the numbers the unit reports for it.
pub struct GroupSpec {
    pub code: String,
    pub name: Text,
    pub definition: Option<Text>,
    pub example: Option<Text>,
    pub unit: String,
    pub target: Option<Decimal>,
    pub points: Decimal,
    pub method: Text,
    pub elements: Vec<ElementSpec>,
    /// The indicator's actual value when a formula computes it from the fields (a rate).
    pub computed: Option<ElementSpec>,
}

pub struct ElementSpec {
    pub code: String,
    pub name: Text,
    pub unit: String,
    pub definition: Option<Text>,
    pub percent: bool,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    /// Counts of events reported only when they happen: no record means none, so an empty
    /// field is not missing.
    pub optional: bool,
}

fn spec(m: &Model, e: ElemId) -> ElementSpec {
    let e = &m.elements[e as usize];
    ElementSpec {
        code: e.code.to_string(),
        name: e.def.name.clone(),
        unit: e.def.unit.clone(),
        definition: e.def.definition.clone(),
        percent: e.def.kind == ValueKind::Percent,
        min: e.def.min,
        max: e.def.max,
        optional: e.def.absent_is_zero,
    }
}

/// The elements a formula or a slot list reads in the current period (a computed element's
/// own inputs, recursively), in order, without repeats.
pub fn inputs(m: &Model, e: ElemId, out: &mut Vec<ElemId>) {
    match &m.elements[e as usize].formula {
        Some((_, expr)) => {
            let mut vars = Vec::new();
            expr.vars(&mut vars);
            for (v, shift) in vars {
                if shift == Shift::Current {
                    inputs(m, v, out);
                }
            }
        }
        None => {
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
}

/// The form of `unit` for `period`: every indicator of every scheme assessing the unit in that
/// period, with the elements this caller may enter for it. Each element appears once, under
/// the first indicator that reads it.
pub fn layout(live: &Live, p: &Principal, unit: &str, period: Period) -> Vec<GroupSpec> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut groups = Vec::new();
    for s in live.schemes.values() {
        if !s.periods.contains_key(&period) {
            continue;
        }
        let m = &s.era_of(period).model;
        let Some((cid, _)) = m.unit(unit).and_then(|u| m.class_of(u)) else {
            continue;
        };
        let c = &m.classes[cid as usize];
        let reportable = |e: ElemId| {
            let el = &m.elements[e as usize];
            el.formula.is_none()
                && el.rollup.is_none()
                && !el.responsibility
                && el.def.source != Source::Computed
                && el.def.feed.is_none()
                && el.def.frequency == period.granularity()
                && can(
                    p,
                    Action::EditValue {
                        unit,
                        element: el.code.as_str(),
                    },
                    live,
                )
        };
        let mut push = |code: String,
                        name: Text,
                        slots: Vec<u32>,
                        leaf: Option<&jixiao_core::model::LeafModel>,
                        groups: &mut Vec<GroupSpec>| {
            let mut elems = Vec::new();
            for sl in slots {
                let slot = &c.slots[sl as usize];
                if slot.shift == Shift::Current {
                    inputs(m, slot.elem, &mut elems);
                }
            }
            let fields: Vec<ElementSpec> = elems
                .into_iter()
                .filter(|e| reportable(*e))
                .filter(|e| seen.insert(m.elements[*e as usize].code.to_string()))
                .map(|e| spec(m, e))
                .collect();
            if fields.is_empty() {
                return;
            }
            let computed = leaf.and_then(|l| match &l.actual {
                jixiao_core::model::Actual::Slot(sl) => {
                    let e = c.slots[*sl as usize].elem;
                    m.elements[e as usize].formula.as_ref().map(|_| spec(m, e))
                }
                _ => None,
            });
            let def = leaf.and_then(|l| {
                m.scheme.classes.get(&c.code).and_then(|sc| {
                    sc.indicators()
                        .into_iter()
                        .find(|i| i.code.as_str() == l.code.as_str())
                })
            });
            groups.push(GroupSpec {
                code,
                name,
                definition: def.and_then(|d| d.definition.clone()),
                example: def.and_then(|d| d.example.clone()),
                unit: leaf.map(|l| l.unit.clone()).unwrap_or_default(),
                target: leaf.and_then(|l| l.target),
                points: leaf.map(|l| l.points).unwrap_or_default(),
                method: leaf.map(|l| l.kind.name()).unwrap_or_default(),
                elements: fields,
                computed,
            });
        };
        for leaf in &c.leaves {
            push(
                leaf.code.to_string(),
                leaf.name.clone(),
                leaf_slots(leaf),
                Some(leaf),
                &mut groups,
            );
        }
        for a in c.bonus.iter().chain(&c.deductions) {
            push(
                a.code.to_string(),
                a.name.clone(),
                vec![a.slot],
                None,
                &mut groups,
            );
        }
        for v in &c.vetoes {
            let mut slots = Vec::new();
            match &v.trigger {
                jixiao_core::model::VetoTrigger::Slot(s) => slots.push(*s),
                jixiao_core::model::VetoTrigger::Condition(_, e) => e.vars(&mut slots),
            }
            push(v.code.to_string(), v.name.clone(), slots, None, &mut groups);
        }
    }
    groups
}

/// A form the caller has to fill: how many of its numbers are still to be entered or
/// submitted, how many came back.
pub struct FormLink {
    pub unit: String,
    pub unit_name: Text,
    pub period: String,
    pub fields: usize,
    pub todo: usize,
    pub returned: usize,
    pub deadline: Option<String>,
    pub overdue: bool,
}

/// Every form in the caller's scope for the open periods.
pub fn forms_for(live: &Live, p: &Principal) -> Vec<FormLink> {
    let Some(root) = p.unit.as_deref() else {
        return Vec::new();
    };
    let now = jixiao_store::now();
    let mut out: BTreeMap<(String, String), FormLink> = BTreeMap::new();
    let Some(org) = &live.org else {
        return Vec::new();
    };
    for u in &org.units {
        let code = u.code.as_str();
        if !jixiao_core::access::Scope::within(live, code, root) {
            continue;
        }
        for pr in live.periods.iter().filter(|pr| pr.status == "open") {
            let Ok(period) = Period::parse(&pr.period) else {
                continue;
            };
            if out.contains_key(&(code.to_owned(), pr.period.clone())) {
                continue;
            }
            let groups = layout(live, p, code, period);
            let codes: Vec<&str> = groups
                .iter()
                .flat_map(|g| g.elements.iter())
                .filter(|e| !e.optional)
                .map(|e| e.code.as_str())
                .collect();
            if codes.is_empty() {
                continue;
            }
            let states: Vec<Option<&str>> = codes
                .iter()
                .map(|e| live.values.state(code, e, &pr.period))
                .collect();
            let todo = states
                .iter()
                .filter(|s| matches!(s, None | Some("draft") | Some("returned")))
                .count();
            let returned = states.iter().filter(|s| **s == Some("returned")).count();
            let deadline = pr.deadline.clone();
            out.insert(
                (code.to_owned(), pr.period.clone()),
                FormLink {
                    unit: code.to_owned(),
                    unit_name: u.name.clone(),
                    period: pr.period.clone(),
                    fields: codes.len(),
                    todo,
                    returned,
                    overdue: todo > 0 && deadline.as_deref().is_some_and(|d| d < now.as_str()),
                    deadline,
                },
            );
        }
    }
    let mut v: Vec<FormLink> = out.into_values().collect();
    // What needs doing first: returned, then unfinished, newest period first.
    v.sort_by(|a, b| {
        (b.returned > 0, b.todo > 0, &b.period, &a.unit).cmp(&(
            a.returned > 0,
            a.todo > 0,
            &a.period,
            &b.unit,
        ))
    });
    v
}

fn unit_name(live: &Live, unit: &str) -> Option<Text> {
    live.unit_name(unit).cloned()
}

/// Evaluates a computed element for `unit` and `period` on the numbers typed into the form;
/// what the formula reads from other periods (last year's figure) comes from the stored values.
pub fn compute(
    live: &Live,
    unit: &str,
    period: Period,
    element: &str,
    inputs: &BTreeMap<String, Decimal>,
) -> Option<Decimal> {
    let (s, e) = live.element(element)?;
    let (_, expr) = e.formula.as_ref()?;
    let m = &s.model;
    expr.num(&|(id, shift): (ElemId, Shift)| {
        let code = m.elements[id as usize].code.as_str();
        let at = match shift {
            Shift::Current => {
                return inputs.get(code).copied().or_else(|| {
                    m.elements[id as usize]
                        .formula
                        .as_ref()
                        .and_then(|_| compute(live, unit, period, code, inputs))
                });
            }
            Shift::Previous => period.previous(),
            Shift::YearEarlier => period.year_earlier(),
        };
        live.values
            .number(unit, code, &at.to_string())
            .and_then(|(n, _)| n)
    })
    .ok()
}

/// A unit's reporting for a period: how many numbers it reports, how many it has reported,
/// and of those how many by the deadline (first reported; a value returned and submitted again
/// keeps its first time).
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Reporting {
    pub unit: String,
    pub name_zh: String,
    pub name_en: String,
    /// Numbers the unit reports for the period (computed and optional ones excluded).
    pub expected: usize,
    /// Submitted or further along.
    pub reported: usize,
    /// Reported by the deadline (all reported ones when the period has none).
    pub on_time: usize,
    /// Reported after the deadline.
    pub late: usize,
    /// Not reported yet.
    pub missing: usize,
}

fn instant(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// How complete a unit's reporting is for the period: entered-and-submitted numbers over the
/// numbers it reports.
pub fn completeness(live: &Live, unit: &str, p: Period) -> (usize, usize) {
    let r = reporting(live, unit, p, None);
    (r.reported, r.expected)
}

/// A unit's reporting for a period against its deadline (RFC 3339), if any.
pub fn reporting(live: &Live, unit: &str, p: Period, deadline: Option<&str>) -> Reporting {
    let office = Principal {
        role: Role::Office,
        unit: None,
        items: None,
    };
    let deadline = deadline.and_then(instant);
    let groups = layout(live, &office, unit, p);
    let period = p.to_string();
    let mut r = Reporting {
        unit: unit.to_owned(),
        ..Reporting::default()
    };
    for e in groups
        .iter()
        .flat_map(|g| &g.elements)
        .filter(|e| !e.optional)
    {
        r.expected += 1;
        let row = live
            .values
            .get(unit, &e.code, &period)
            .filter(|v| jixiao_store::values::is_reported(&v.state));
        let Some(row) = row else {
            r.missing += 1;
            continue;
        };
        r.reported += 1;
        let first = row.reported_at.as_deref().and_then(instant);
        match (deadline, first) {
            (Some(d), Some(t)) if t > d => r.late += 1,
            _ => r.on_time += 1,
        }
    }
    r
}

/// The forms the caller has to fill, most urgent first.
pub async fn forms(state: &AppState, caller: &Caller) -> Result<Vec<FormLink>> {
    caller.require_signed_in()?;
    Ok(forms_for(&*state.live.read().await, &caller.principal))
}

/// A number on a form: what it is, its value as the caller sees it, what was typed into it
/// (kept when a save fails) and the problem beside it.
pub struct Field {
    pub spec: ElementSpec,
    pub view: ValueView,
    pub input: String,
    pub note: String,
    pub error: Option<String>,
}

impl Field {
    pub fn state_code(&self) -> &str {
        self.view.row.as_ref().map_or("empty", |r| r.state.as_str())
    }

    pub fn editable(&self) -> bool {
        self.view.allowed.iter().any(|a| a == "save")
    }

    pub fn version(&self) -> String {
        self.view
            .row
            .as_ref()
            .map(|r| r.version.to_string())
            .unwrap_or_default()
    }

    pub fn return_reason(&self) -> &str {
        self.view
            .row
            .as_ref()
            .filter(|r| r.state == "returned")
            .map_or("", |r| r.return_reason.as_str())
    }
}

/// An indicator on a form with its numbers.
pub struct Group {
    pub spec: GroupSpec,
    pub fields: Vec<Field>,
    /// The computed actual from the values shown (a rate), if every input has a value.
    pub computed: Option<Decimal>,
}

impl Group {
    /// Whether the caller has something to fill or correct here (the form shows these first;
    /// the rest folded away).
    pub fn needs_input(&self) -> bool {
        self.fields.iter().any(|f| {
            f.error.is_some() || (f.editable() && !(f.spec.optional && f.input.trim().is_empty()))
        })
    }

    /// Counts of events reported only when they happen, none reported: the caller may fill
    /// them, but need not (folded apart from what is done).
    pub fn only_if_it_happened(&self) -> bool {
        !self.needs_input() && self.fields.iter().any(Field::editable)
    }
}

impl Field {
    /// Still to be filled in: editable and empty (counts of events that may not happen, which
    /// no record means none, are not missing).
    pub fn missing(&self) -> bool {
        self.editable() && self.input.trim().is_empty() && !self.spec.optional
    }
}

/// A unit's form for a period.
pub struct Form {
    pub unit: String,
    pub unit_name: Text,
    pub period: String,
    pub groups: Vec<Group>,
}

impl Form {
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.groups.iter().flat_map(|g| &g.fields)
    }

    /// Whether anything on it can be saved or submitted.
    pub fn can_submit(&self) -> bool {
        self.fields()
            .any(|f| f.editable() || f.view.allowed.iter().any(|a| a == "submit"))
    }

    /// Whether a closed period locks it.
    pub fn locked(&self) -> bool {
        self.fields().any(|f| f.view.locked)
    }
}

/// What was typed into a form: element → (number, note).
pub type Typed = BTreeMap<String, (String, String)>;

/// The version of each number as the form showed it (element → version; `None`: there was no
/// number yet), so a form left open while someone else changed a number cannot overwrite it.
pub type Seen = BTreeMap<String, Option<i64>>;

/// The problem of a number someone else changed after the form was shown: the newer number
/// beside the one typed.
fn changed_meanwhile(f: &Field, lang: jixiao_core::text::Lang) -> String {
    let Some(r) = &f.view.row else {
        return Text::new(
            "您打开表单后，此数已被删除；请刷新后重填",
            "this number was removed after you opened the form; reload and enter it again",
        )
        .get(lang)
        .to_owned();
    };
    let at = jixiao_core::feed::local_minute(&r.updated_at);
    let zh_state = crate::i18n::state_label(crate::i18n::L(crate::i18n::Lang::Zh), &r.state);
    let en_state = crate::i18n::state_label(crate::i18n::L(crate::i18n::Lang::En), &r.state);
    Text::new(
        format!(
            "您打开表单后，{} 于 {at} 把此数改为“{}”（{zh_state}）；您填的是“{}”。请核对后再保存",
            r.updated_by, r.value, f.input
        ),
        format!(
            "since you opened the form, {} changed this to {} ({}) at {at}; you entered {}. Check it and save again",
            r.updated_by,
            r.value,
            en_state.to_lowercase(),
            f.input
        ),
    )
    .get(lang)
    .to_owned()
}

/// The form of `unit` for `period` as the caller sees it, with what they typed (`typed`) in
/// place of the stored numbers and each problem (`errors`, by element) beside its field.
fn nothing_to_report() -> Error {
    Error::new(
        Kind::Forbidden,
        "nothing_to_report",
        Text::new(
            "您在该单位、该期间没有需要填报的数据",
            "you have nothing to report for this unit and period",
        ),
    )
}

/// The caller may fill in `unit`'s form for `period` (reads the unit, has something to enter
/// there): checked before any file is read.
fn may_enter(live: &Live, caller: &Caller, unit: &str, period: &str) -> Result<()> {
    caller.require_signed_in()?;
    let p = Period::parse(period).map_err(|_| Error::not_found("期间", "period"))?;
    allow_in(live, caller, Action::ReadUnit { unit })?;
    if layout(live, &caller.principal, unit, p).is_empty() {
        return Err(nothing_to_report());
    }
    Ok(())
}

pub async fn form(
    state: &AppState,
    caller: &Caller,
    unit: &str,
    period: &str,
    typed: &Typed,
    errors: &BTreeMap<String, String>,
) -> Result<Form> {
    caller.require_signed_in()?;
    let p = Period::parse(period).map_err(|_| Error::not_found("期间", "period"))?;
    let (specs, name) = {
        let live = state.live.read().await;
        allow_in(&live, caller, Action::ReadUnit { unit })?;
        let name = unit_name(&live, unit).ok_or_else(|| Error::not_found("单位", "unit"))?;
        (layout(&live, &caller.principal, unit, p), name)
    };
    if specs.is_empty() {
        return Err(nothing_to_report());
    }
    let mut groups = Vec::new();
    for mut g in specs {
        let mut fields = Vec::new();
        for e in std::mem::take(&mut g.elements) {
            let key = ValueKey::new(unit, &e.code, period);
            let view = crate::ops::values::get(state, caller, &key).await?;
            let (input, note) = match typed.get(&e.code) {
                Some((v, n)) => (v.clone(), n.clone()),
                None => view
                    .row
                    .as_ref()
                    .map(|r| (r.value.clone(), r.note.clone()))
                    .unwrap_or_default(),
            };
            fields.push(Field {
                error: errors.get(&e.code).cloned(),
                spec: e,
                view,
                input,
                note,
            });
        }
        let computed = match &g.computed {
            Some(c) => {
                let inputs: BTreeMap<String, Decimal> = fields
                    .iter()
                    .filter_map(|f| {
                        jixiao_core::data::parse_number(f.input.trim_end_matches(['%', '％']))
                            .map(|v| (f.spec.code.clone(), v))
                    })
                    .collect();
                let live = state.live.read().await;
                compute(&live, unit, p, &c.code, &inputs)
            }
            None => None,
        };
        groups.push(Group {
            spec: g,
            fields,
            computed,
        });
    }
    Ok(Form {
        unit: unit.to_owned(),
        unit_name: name,
        period: period.to_owned(),
        groups,
    })
}

/// The numbers of a form as typed (code → number), leaving out what is not a number.
pub fn typed_numbers<'a>(
    fields: impl Iterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, Decimal> {
    fields
        .filter_map(|(code, input)| {
            let v = jixiao_core::data::parse_number(input.trim().trim_end_matches(['%', '％']))?;
            Some((code.to_owned(), v))
        })
        .collect()
}

/// The checks between elements (agreements ≤ cases) that refuse the numbers typed (`typed`,
/// the stored values for the rest), one message beside each of `codes` that fails one.
pub fn disagreements<'a>(
    live: &Live,
    unit: &str,
    p: Period,
    typed: &BTreeMap<String, Decimal>,
    codes: impl Iterator<Item = &'a str>,
    lang: jixiao_core::text::Lang,
) -> BTreeMap<String, String> {
    let incoming = |e: &str, q: Period| (q == p).then(|| typed.get(e).copied()).flatten();
    let mut out = BTreeMap::new();
    for code in codes {
        let failed: Vec<String> = live
            .failed_checks(unit, code, p, &incoming)
            .into_iter()
            .filter(|c| c.level == jixiao_core::scheme::CheckLevel::Error)
            .map(|c| live.check_failed(&c).get(lang).to_owned())
            .collect();
        if !failed.is_empty() {
            out.insert(code.to_owned(), failed.join("；"));
        }
    }
    out
}

/// The checks between elements the numbers typed into a form fail, for checking as the user
/// types (the same checks a save makes): element → problem, for every element of the form.
pub async fn live_checks(
    state: &AppState,
    caller: &Caller,
    unit: &str,
    period: &str,
    typed: &BTreeMap<String, String>,
    lang: jixiao_core::text::Lang,
) -> Result<BTreeMap<String, String>> {
    let live = state.live.read().await;
    may_enter(&live, caller, unit, period)?;
    let p = Period::parse(period).map_err(|_| Error::not_found("期间", "period"))?;
    let numbers = typed_numbers(typed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let codes: Vec<String> = layout(&live, &caller.principal, unit, p)
        .into_iter()
        .flat_map(|g| g.elements.into_iter().map(|e| e.code))
        .filter(|c| numbers.contains_key(c))
        .collect();
    Ok(disagreements(
        &live,
        unit,
        p,
        &numbers,
        codes.iter().map(String::as_str),
        lang,
    ))
}

/// What saving a form did.
pub enum Saved {
    /// Every changed number saved (and, when asked, everything that could be submitted).
    Done,
    /// Nothing saved: the form as typed, each problem beside its field.
    Refused(Form),
}

/// Checks every typed number, then saves the changed ones as drafts and, for a submit,
/// submits everything that can be. Nothing is saved when any number has a problem — among
/// them a number someone else changed after the form was shown (`seen`), which is shown with
/// the newer number beside the typed one.
#[allow(clippy::too_many_arguments)]
pub async fn save_form(
    state: &AppState,
    caller: &Caller,
    unit: &str,
    period: &str,
    typed: &Typed,
    seen: &Seen,
    submit: bool,
    lang: jixiao_core::text::Lang,
) -> Result<Saved> {
    let shown = form(state, caller, unit, period, typed, &BTreeMap::new()).await?;
    // First pass: what changes, and is each number valid and still as the form showed it?
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    let mut changes: Vec<(String, SaveBody)> = Vec::new();
    for f in shown.fields() {
        let row = f.view.row.as_ref();
        let same = row.is_some_and(|r| {
            jixiao_core::data::parse_number(&f.input) == jixiao_core::data::parse_number(&r.value)
                && f.note == r.note
        });
        if f.input.is_empty() || same {
            continue;
        }
        let moved = seen
            .get(&f.spec.code)
            .is_some_and(|v| *v != row.map(|r| r.version));
        if moved {
            errors.insert(f.spec.code.clone(), changed_meanwhile(f, lang));
            continue;
        }
        if !f.editable() {
            continue;
        }
        if let Err(e) = crate::ops::values::parse_value(state, &f.spec.code, &f.input).await {
            errors.insert(f.spec.code.clone(), e.detail(lang));
            continue;
        }
        changes.push((
            f.spec.code.clone(),
            SaveBody {
                value: f.input.clone(),
                note: f.note.clone(),
                version: row.map(|r| r.version),
            },
        ));
    }
    // Checks between the numbers (agreements ≤ cases): on save already, with the numbers as
    // typed, beside the number that was changed — not only when it is submitted.
    if errors.is_empty() && !changes.is_empty() {
        let p = Period::parse(period).map_err(|_| Error::not_found("期间", "period"))?;
        let typed_now = typed_numbers(
            shown
                .fields()
                .map(|f| (f.spec.code.as_str(), f.input.as_str())),
        );
        let live = state.live.read().await;
        errors.extend(disagreements(
            &live,
            unit,
            p,
            &typed_now,
            changes.iter().map(|(c, _)| c.as_str()),
            lang,
        ));
    }
    let codes: Vec<String> = shown.fields().map(|f| f.spec.code.clone()).collect();
    drop(shown);
    if !errors.is_empty() {
        let refused = form(state, caller, unit, period, typed, &errors).await?;
        return Ok(Saved::Refused(refused));
    }
    // One transaction for the whole form: every number saved and (when asked) submitted, or
    // nothing — a failure part-way leaves no partial save.
    let p = Period::parse(period).map_err(|_| Error::not_found("期间", "period"))?;
    let mut tx = state.store.write().await?;
    let guard = crate::ops::values::Guard::load(&mut tx, state).await?;
    let mut rows = Vec::new();
    let mut saved: BTreeMap<String, jixiao_core::Decimal> = BTreeMap::new();
    for (element, body) in changes {
        let key = ValueKey::new(unit, &element, period);
        let row = crate::ops::values::save_in(&mut tx, &guard, state, caller, &key, body).await?;
        if let Ok(v) = row.value.parse() {
            saved.insert(element, v);
        }
        rows.push(row);
    }
    if submit {
        let incoming = |e: &str, q: Period| (q == p).then(|| saved.get(e).copied()).flatten();
        for code in &codes {
            let Some(row) = jixiao_store::values::get(&mut tx, unit, code, period).await? else {
                continue;
            };
            let can = {
                let live = state.live.read().await;
                let locked = guard.closed(&live, code, p);
                crate::ops::values::allowed_for(
                    &live,
                    &caller.principal,
                    unit,
                    code,
                    Some(&row),
                    locked,
                )
                .iter()
                .any(|a| a == "submit")
            };
            if can {
                let key = ValueKey::new(unit, code, period);
                rows.push(
                    crate::ops::values::submit_in(
                        &mut tx,
                        &guard,
                        state,
                        caller,
                        &key,
                        row.version,
                        &incoming,
                    )
                    .await?,
                );
            }
        }
    }
    crate::ops::commit(tx).await?;
    state.live.write().await.apply_many(&rows);
    crate::ops::warnings::follow_later(state, rows);
    Ok(Saved::Done)
}

/// The columns of a form's workbook (their labels' keys); the upload reads the code, the value
/// and the note.
pub const TEMPLATE_COLUMNS: [&str; 8] = [
    "col-code",
    "entry-xlsx-indicator",
    "col-item",
    "entry-xlsx-unit",
    "entry-definition",
    "value-state",
    "entry-xlsx-value",
    "entry-note",
];
const COL_CODE: usize = 0;
const COL_VALUE: usize = 6;
const COL_NOTE: usize = 7;

/// The largest form workbook accepted.
pub const MAX_WORKBOOK: usize = 5 * 1024 * 1024;

fn upload_problem(problems: Vec<Text>) -> Error {
    let mut issues = jixiao_core::issue::Issues::new();
    for p in problems {
        issues.push(jixiao_core::issue::Issue::error(
            "bad_upload",
            "xlsx",
            jixiao_core::issue::Location::path(""),
            p,
        ));
    }
    Error::invalid(&issues)
}

/// A form's workbook, filled in offline: its numbers are saved as drafts exactly as the form
/// would save them, every number checked first and nothing saved when any has a problem;
/// problems name the row and column.
pub async fn upload_form(
    state: &AppState,
    caller: &Caller,
    unit: &str,
    period: &str,
    file: Option<(&str, &[u8])>,
    lang: jixiao_core::text::Lang,
) -> Result<Saved> {
    use crate::i18n::{L, Lang, problem_text};
    use crate::xlsx::column_letter;
    may_enter(&*state.live.read().await, caller, unit, period)?;
    let (name, bytes) = file.ok_or_else(|| {
        upload_problem(vec![Text::new(
            "请选择要上传的 Excel 文件",
            "choose the Excel file to upload",
        )])
    })?;
    if bytes.len() > MAX_WORKBOOK {
        return Err(upload_problem(vec![Text::new(
            format!("{name}：文件超过 5 MB"),
            format!("{name}: the file is larger than 5 MB"),
        )]));
    }
    let rows = crate::xlsx::first_sheet(bytes).map_err(|t| {
        upload_problem(vec![Text::new(
            format!("{name}：{}", t.zh),
            format!("{name}: {}", t.en),
        )])
    })?;
    let (zh, en) = (L(Lang::Zh), L(Lang::En));
    let mut rows = rows.into_iter();
    let header = rows.next().unwrap_or_default();
    let (code_zh, code_en) = (
        zh.t(TEMPLATE_COLUMNS[COL_CODE]),
        en.t(TEMPLATE_COLUMNS[COL_CODE]),
    );
    let (value_zh, value_en) = (
        zh.t(TEMPLATE_COLUMNS[COL_VALUE]),
        en.t(TEMPLATE_COLUMNS[COL_VALUE]),
    );
    let ok_header = header
        .get(COL_CODE)
        .is_some_and(|h| *h == code_zh || *h == code_en)
        && header
            .get(COL_VALUE)
            .is_some_and(|h| *h == value_zh || *h == value_en);
    if !ok_header {
        return Err(upload_problem(vec![Text::new(
            format!(
                "{name} 第1行：表头不是本表的模板（A列应为“{code_zh}”，G列应为“{value_zh}”）；请先下载本表的 Excel 模板"
            ),
            format!(
                "{name} row 1: the header is not this form's template (column A should read `{code_en}`, column G `{value_en}`); download this form's Excel template first"
            ),
        )]));
    }
    let shown = form(state, caller, unit, period, &Typed::new(), &BTreeMap::new()).await?;
    let fields: BTreeMap<&str, &Field> =
        shown.fields().map(|f| (f.spec.code.as_str(), f)).collect();
    let (col_code, col_value) = (column_letter(COL_CODE), column_letter(COL_VALUE));
    let mut typed = Typed::new();
    let mut problems = Vec::new();
    for (i, row) in rows.enumerate() {
        let n = i + 2;
        let cell = |c: usize| row.get(c).cloned().unwrap_or_default();
        let code = cell(COL_CODE);
        if code.is_empty() {
            continue;
        }
        let (value, note) = (cell(COL_VALUE), cell(COL_NOTE));
        match fields.get(code.as_str()) {
            None => problems.push(Text::new(
                format!("{name} 第{n}行{col_code}列：数据项“{code}”不在本表中"),
                format!("{name} row {n}, column {col_code}: `{code}` is not on this form"),
            )),
            Some(_) if typed.contains_key(&code) => problems.push(Text::new(
                format!("{name} 第{n}行：数据项“{code}”重复出现"),
                format!("{name} row {n}: `{code}` appears twice"),
            )),
            Some(f) if !f.editable() => {
                let current = f.view.row.as_ref().map(|r| r.value.as_str()).unwrap_or("");
                if !value.is_empty()
                    && jixiao_core::data::parse_number(&value)
                        != jixiao_core::data::parse_number(current)
                {
                    problems.push(Text::new(
                        format!("{name} 第{n}行{col_value}列：“{code}”当前状态不能修改"),
                        format!("{name} row {n}, column {col_value}: `{code}` cannot be changed in its current state"),
                    ));
                }
            }
            Some(_) => {
                if !value.is_empty()
                    && let Err(e) = crate::ops::values::parse_value(state, &code, &value).await
                {
                    problems.push(Text::new(
                        format!("{name} 第{n}行{col_value}列：{}", problem_text(zh, &e)),
                        format!(
                            "{name} row {n}, column {col_value}: {}",
                            problem_text(en, &e)
                        ),
                    ));
                }
                typed.insert(code, (value, note));
            }
        }
    }
    drop(shown);
    if !problems.is_empty() {
        return Err(upload_problem(problems));
    }
    save_form(
        state,
        caller,
        unit,
        period,
        &typed,
        &Seen::new(),
        false,
        lang,
    )
    .await
}

/// A computed value (a rate) of `unit` from numbers typed into its form, for the live preview,
/// with the decimals to show it with.
pub async fn preview(
    state: &AppState,
    caller: &Caller,
    unit: &str,
    period: Period,
    element: &str,
    inputs: &BTreeMap<String, Decimal>,
) -> Result<(Option<Decimal>, u32)> {
    caller.require_signed_in()?;
    let live = state.live.read().await;
    allow_in(&live, caller, Action::ReadUnit { unit })?;
    let decimals = live
        .element(element)
        .map_or(2, |(s, _)| s.model.display_decimals());
    Ok((compute(&live, unit, period, element, inputs), decimals))
}
