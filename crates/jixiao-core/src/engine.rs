//! The scoring engine: indicator scores, module subtotals, bonus, deductions, vetoes, totals,
//! ranks and grades for every unit of every class, for one period; kept current incrementally
//! when a single value changes.
//!
//! Every computation is written once, generic over [`Tracer`]; [`Scoring`] runs it with
//! [`NoTrace`], [`crate::report`] runs it again with [`Trace`] to explain a number on demand.

use crate::explain::{NoTrace, Rule, Step, Tracer, eq, n, step};
use crate::formula::EvalError;
use crate::model::{
    Actual, Child, ClassId, ClassModel, FVar, LeafId, LeafModel, MethodModel, Model, Override,
    SlotId, TieKey, UnitId, VetoTrigger,
};
use crate::period::Period;
use crate::scheme::{
    CoefficientMode, Direction, MissingPolicy, QuotaRounding, UnresolvedTie, VetoEffect, ZeroActual,
};
use crate::text::Text;
use crate::values::{Values, dependents};
use rust_decimal::Decimal;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeafState {
    Scored,
    /// Missing, scored 0 by the missing-data policy.
    MissingZero,
    /// Missing, left out; siblings re-normalised.
    Excluded,
    /// Missing; the unit's result cannot be published.
    Blocked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeafOutcome {
    pub score: Decimal,
    pub state: LeafState,
}

impl LeafOutcome {
    const fn scored(score: Decimal) -> LeafOutcome {
        LeafOutcome {
            score,
            state: LeafState::Scored,
        }
    }
}

/// How a unit's grade was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum GradeRule {
    /// The band its total falls in.
    Band,
    /// In the quota grade's band but beyond the quota.
    QuotaDemoted { allowed: u32 },
    /// Tied at the quota cut with units that could not all fit.
    QuotaTie { allowed: u32 },
    /// A veto set the grade.
    Veto,
    /// A veto capped the grade.
    VetoCapped,
    /// Not graded: missing data blocks the result.
    Blocked,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnitResult {
    /// The indicator tree's score (before bonus and deductions); `None` when nothing could be
    /// scored.
    pub subtotal: Option<Decimal>,
    /// Bonus after its cap.
    pub bonus: Decimal,
    /// Deductions after their cap.
    pub deduction: Decimal,
    /// The first triggered veto (index into the class's vetoes).
    pub veto: Option<u16>,
    /// The total; `None` when the result is blocked.
    pub total: Option<Decimal>,
    pub blocked: bool,
    pub rank: Option<u32>,
    /// The band the total falls in (before quota and veto).
    pub band: Option<u16>,
    pub grade: Option<u16>,
    pub grade_rule: GradeRule,
}

/// One class's results for a period.
#[derive(Debug, Clone)]
pub struct ClassState {
    pub class: ClassId,
    /// Resolved input values: members × slots.
    pub matrix: Vec<Option<Decimal>>,
    /// Indicator outcomes: members × leaves.
    pub leaves: Vec<LeafOutcome>,
    /// Node scores (after re-normalisation): members × nodes.
    pub nodes: Vec<Option<Decimal>>,
    pub units: Vec<UnitResult>,
    /// Member positions in rank order; blocked members last, by code.
    pub order: Vec<u32>,
    /// When the year is scored and the class has a year result (年度综合): each member's
    /// parts (empty otherwise).
    pub year: Vec<Option<YearParts>>,
    n_slots: usize,
    n_leaves: usize,
    n_nodes: usize,
}

impl ClassState {
    fn empty(class: ClassId) -> ClassState {
        ClassState {
            class,
            matrix: Vec::new(),
            leaves: Vec::new(),
            nodes: Vec::new(),
            units: Vec::new(),
            order: Vec::new(),
            year: Vec::new(),
            n_slots: 0,
            n_leaves: 0,
            n_nodes: 0,
        }
    }

    pub fn row(&self, member: u32) -> &[Option<Decimal>] {
        let s = member as usize * self.n_slots;
        &self.matrix[s..s + self.n_slots]
    }

    pub fn leaf(&self, member: u32, leaf: LeafId) -> LeafOutcome {
        self.leaves[member as usize * self.n_leaves + leaf as usize]
    }

    pub fn node(&self, member: u32, node: u32) -> Option<Decimal> {
        self.nodes[member as usize * self.n_nodes + node as usize]
    }

    pub fn member_leaves(&self, member: u32) -> &[LeafOutcome] {
        let s = member as usize * self.n_leaves;
        &self.leaves[s..s + self.n_leaves]
    }
}

/// Results of every class for one period.
#[derive(Debug, Clone)]
pub struct Scoring {
    pub period: Period,
    pub classes: Vec<ClassState>,
    /// The values of roll-up elements (`source = "children"`) by element and parent unit, from
    /// the children's results of this period (absent: not decided yet).
    pub rollups: Rolled,
}

/// How a member's year result (年度综合) was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearParts {
    /// Each shorter period's total, in order (none: no result that period).
    pub parts: Vec<(Period, Option<Decimal>)>,
    /// Their weights.
    pub weights: Vec<Decimal>,
    /// 平时考核: the weighted mean of the parts counted (none: blocked by a missing part).
    pub periodic: Option<Decimal>,
    /// 年终考核: the year's own total.
    pub year_end: Decimal,
    /// The shares, percent.
    pub shares: (Decimal, Decimal),
    /// Whether it made the total (not when a veto decided it).
    pub applied: bool,
}

/// Roll-up values: element → parent unit → value.
pub type Rolled = HashMap<crate::model::ElemId, HashMap<UnitId, Decimal>>;

/// The roll-up `r` of element `elem` for every parent unit with children in its class, from
/// that class's results. A parent with a child whose result is not decided has no value (its
/// missing-data rule applies), nor does a parent without children.
pub fn rollup_column(
    model: &Model,
    r: crate::model::Rollup,
    child: &ClassState,
) -> HashMap<UnitId, Decimal> {
    use crate::scheme::ChildrenMeasure as M;
    let class = &model.classes[r.class as usize];
    let mut by_parent: HashMap<UnitId, Vec<&UnitResult>> = HashMap::new();
    for (m, &u) in class.members.iter().enumerate() {
        if let (Some(p), Some(res)) = (model.units[u as usize].parent, child.units.get(m)) {
            by_parent.entry(p).or_default().push(res);
        }
    }
    let graded = |res: &UnitResult| {
        res.grade
            .zip(r.grade)
            .is_some_and(|(g, at)| (g as usize) <= at)
    };
    by_parent
        .into_iter()
        .filter_map(|(p, kids)| {
            let undecided = kids.iter().any(|k| k.total.is_none() || k.blocked);
            let n = Decimal::from(kids.len() as u64);
            let v = match r.measure {
                M::Count => Some(n),
                M::CountVetoed => Some(Decimal::from(
                    kids.iter().filter(|k| k.veto.is_some()).count() as u64,
                )),
                _ if undecided => None,
                M::MeanTotal => kids
                    .iter()
                    .map(|k| k.total.unwrap_or_default())
                    .try_fold(Decimal::ZERO, |a, b| a.checked_add(b))
                    .and_then(|sum| sum.checked_div(n)),
                M::MinTotal => kids.iter().filter_map(|k| k.total).min(),
                M::MaxTotal => kids.iter().filter_map(|k| k.total).max(),
                M::CountGraded => Some(Decimal::from(
                    kids.iter().filter(|k| graded(k)).count() as u64
                )),
                M::ShareGraded => Decimal::from(kids.iter().filter(|k| graded(k)).count() as u64)
                    .checked_mul(Decimal::ONE_HUNDRED)
                    .and_then(|x| x.checked_div(n)),
            };
            v.map(|v| (p, v))
        })
        .collect()
}

/// 五链: for each department, the share-weighted district-wide score rate (percent) of the
/// indicators it leads or cooperates on in the classes other than `reader` (Σ share × rate ÷
/// Σ share; a rate is Σ scores ÷ Σ points of the units scored on the indicator). A department
/// answering for no scored indicator has no value.
pub fn responsibility_column(
    model: &Model,
    reader: ClassId,
    classes: &[ClassState],
) -> HashMap<UnitId, Decimal> {
    let mut acc: HashMap<UnitId, (Decimal, Decimal)> = HashMap::new();
    for item in responsibility_items(model, reader, classes) {
        let e = acc.entry(item.unit).or_default();
        e.0 += item.share * item.rate;
        e.1 += item.share;
    }
    acc.into_iter()
        .filter(|(_, (_, den))| !den.is_zero())
        .map(|(u, (num, den))| (u, num / den))
        .collect()
}

/// One indicator a department answers for, with its share and the district-wide rate.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponsibilityItem {
    pub unit: UnitId,
    pub class: ClassId,
    pub leaf: LeafId,
    pub lead: bool,
    pub share: Decimal,
    pub rate: Decimal,
}

/// Every (department, indicator) pair of [`responsibility_column`].
pub fn responsibility_items(
    model: &Model,
    reader: ClassId,
    classes: &[ClassState],
) -> Vec<ResponsibilityItem> {
    let mut out = Vec::new();
    for (ci, class) in model.classes.iter().enumerate() {
        let Some(cs) = classes.get(ci).filter(|cs| cs.class as usize == ci) else {
            continue;
        };
        if ci as ClassId == reader {
            continue;
        }
        for (l, leaf) in class.leaves.iter().enumerate() {
            if leaf.lead.is_none() && leaf.cooperating.is_empty() {
                continue;
            }
            let (mut score, mut points) = (Decimal::ZERO, Decimal::ZERO);
            for m in 0..class.members.len() as u32 {
                let o = cs.leaf(m, l as LeafId);
                if matches!(o.state, LeafState::Scored | LeafState::MissingZero) {
                    score += o.score;
                    points += leaf.points;
                }
            }
            if points.is_zero() {
                continue;
            }
            let rate = score * Decimal::ONE_HUNDRED / points;
            let mut push = |unit: UnitId, lead: bool, share: Decimal| {
                out.push(ResponsibilityItem {
                    unit,
                    class: ci as ClassId,
                    leaf: l as LeafId,
                    lead,
                    share,
                    rate,
                });
            };
            if let Some(d) = leaf.lead {
                push(d, true, leaf.shares.0);
            }
            for &d in &leaf.cooperating {
                push(d, false, leaf.shares.1);
            }
        }
    }
    out
}

/// The roll-up columns the slots of class `cid` read, from the classes already scored.
fn rolled_for(model: &Model, cid: ClassId, classes: &[ClassState], into: &mut Rolled) {
    if model.classes[cid as usize]
        .slots
        .iter()
        .any(|s| model.elements[s.elem as usize].responsibility)
    {
        let column = responsibility_column(model, cid, classes);
        for slot in &model.classes[cid as usize].slots {
            if model.elements[slot.elem as usize].responsibility {
                into.insert(slot.elem, column.clone());
            }
        }
    }
    for slot in &model.classes[cid as usize].slots {
        if let Some(r) = model.elements[slot.elem as usize].rollup
            && let Some(child) = classes.get(r.class as usize)
            && child.class == r.class
        {
            into.insert(slot.elem, rollup_column(model, r, child));
        }
    }
}

/// What changed after an incremental update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Units whose total changed.
    pub totals: Vec<UnitId>,
    /// Units whose rank or grade changed.
    pub standings: Vec<UnitId>,
}

/// Why an indicator's actual value is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    Slot(SlotId),
    DivisionByZero,
    Overflow,
}

impl Scoring {
    /// Scores every class for `period`.
    pub fn compute(model: &Model, values: &Values, period: Period) -> Scoring {
        let mut s = Scoring {
            period,
            classes: Vec::new(),
            rollups: Rolled::new(),
        };
        s.recompute(model, values, period);
        s
    }

    /// Scores every class again for `period` in place, reusing the buffers of this result
    /// (after a scheme or coefficient change, or for a batch of new values).
    pub fn recompute(&mut self, model: &Model, values: &Values, period: Period) {
        self.period = period;
        self.classes
            .resize_with(model.classes.len(), || ClassState::empty(u32::MAX));
        self.rollups.clear();
        // In the scoring order, so the classes a roll-up reads are scored before it (the
        // buffers are reused; a class not scored yet in this round is marked by its id).
        for cs in &mut self.classes {
            cs.class = u32::MAX;
        }
        let order: Vec<ClassId> = if model.class_order.len() == model.classes.len() {
            model.class_order.clone()
        } else {
            (0..model.classes.len() as ClassId).collect()
        };
        for c in order {
            rolled_for(model, c, &self.classes, &mut self.rollups);
            let mut cs = std::mem::replace(&mut self.classes[c as usize], ClassState::empty(c));
            fill_class(model, values, period, c, &mut cs, &self.rollups);
            self.classes[c as usize] = cs;
        }
        if period.granularity() == crate::period::Granularity::Year
            && model
                .scheme
                .classes
                .values()
                .any(|c| c.year_result.is_some())
        {
            self.year_results(model, values, period);
        }
    }

    /// The year result (年度综合) of every class that has one: 平时考核 (the shorter periods,
    /// scored here from the same values) and 年终考核 (this year's own total), weighted; ranks
    /// and grades follow it. A missing part follows the scheme's missing-data rule (`zero`
    /// counts 0, `exclude` leaves it out of the mean, `block` leaves no result); a veto decides
    /// the total whatever the parts.
    fn year_results(&mut self, model: &Model, values: &Values, period: Period) {
        use crate::scheme::MissingPolicy;
        let mut scored: HashMap<crate::period::Granularity, Vec<(Period, Scoring)>> =
            HashMap::new();
        let hundred = Decimal::ONE_HUNDRED;
        for (cid, class) in model.classes.iter().enumerate() {
            let Some(y) = model
                .scheme
                .classes
                .get(&class.code)
                .and_then(|c| c.year_result.as_ref())
            else {
                self.classes[cid].year.clear();
                continue;
            };
            let parts = scored.entry(y.periods).or_insert_with(|| {
                Period::year(period.year_number())
                    .parts(y.periods)
                    .into_iter()
                    .map(|p| (p, Scoring::compute(model, values, p)))
                    .collect()
            });
            let weights: Vec<Decimal> = if y.weights.len() == parts.len() {
                y.weights.clone()
            } else {
                vec![Decimal::ONE; parts.len()]
            };
            let cs = &mut self.classes[cid];
            let mut year = Vec::with_capacity(cs.units.len());
            for m in 0..cs.units.len() {
                let Some(year_end) = cs.units[m].total else {
                    year.push(None);
                    continue;
                };
                let totals: Vec<(Period, Option<Decimal>)> = parts
                    .iter()
                    .map(|(p, s)| (*p, s.classes[cid].units.get(m).and_then(|r| r.total)))
                    .collect();
                let mut num = Decimal::ZERO;
                let mut den = Decimal::ZERO;
                let mut blocked = false;
                for ((_, t), w) in totals.iter().zip(&weights) {
                    match (t, model.scheme.rules.missing) {
                        (Some(t), _) => {
                            num += *t * *w;
                            den += *w;
                        }
                        (None, MissingPolicy::Exclude) => {}
                        (None, MissingPolicy::Block) => blocked = true,
                        (None, _) => den += *w,
                    }
                }
                let periodic = (!blocked && !den.is_zero()).then(|| num / den);
                let applied = cs.units[m].veto.is_none();
                if applied {
                    let u = &mut cs.units[m];
                    match periodic {
                        Some(p) => {
                            u.total =
                                Some(p * y.periodic / hundred + year_end * y.year_end / hundred)
                        }
                        None => {
                            u.total = None;
                            u.blocked = true;
                        }
                    }
                }
                year.push(Some(YearParts {
                    parts: totals,
                    weights: weights.clone(),
                    periodic,
                    year_end,
                    shares: (y.periodic, y.year_end),
                    applied,
                }));
            }
            cs.year = year;
            sort_order(class, cs);
            standings(model, class, cs);
        }
    }

    pub fn class(&self, c: ClassId) -> &ClassState {
        &self.classes[c as usize]
    }

    /// The result of one unit.
    pub fn unit(&self, model: &Model, unit: UnitId) -> Option<&UnitResult> {
        let (c, pos) = model.class_of(unit)?;
        self.classes.get(c as usize)?.units.get(pos as usize)
    }

    /// Stores a new value (or removes it with `None`) and brings every affected result up to
    /// date: that unit's indicators and total, and its class's ranks and grades.
    pub fn set_value(
        &mut self,
        model: &Model,
        values: &mut Values,
        unit: UnitId,
        elem: crate::model::ElemId,
        period: Period,
        value: Option<Decimal>,
    ) -> Change {
        values.put(unit, elem, period, value, crate::values::Origin::Set);
        self.refresh_unit(model, values, unit, elem)
    }

    /// Recomputes what depends on `elem` for `unit` after its values changed.
    pub fn refresh_unit(
        &mut self,
        model: &Model,
        values: &Values,
        unit: UnitId,
        elem: crate::model::ElemId,
    ) -> Change {
        let mut change = Change::default();
        let Some((cid, member)) = model.class_of(unit) else {
            return change;
        };
        if self.period.granularity() == crate::period::Granularity::Year
            && model
                .scheme
                .classes
                .get(&model.classes[cid as usize].code)
                .is_some_and(|c| c.year_result.is_some())
        {
            // A year result reads every shorter period: the year is scored again (a class
            // with a year result is recomputed whole on a change).
            let before: Vec<Vec<UnitResult>> =
                self.classes.iter().map(|c| c.units.clone()).collect();
            self.recompute(model, values, self.period);
            for (c, (b, cs)) in before.iter().zip(&self.classes).enumerate() {
                for (m, (b, a)) in b.iter().zip(&cs.units).enumerate() {
                    let u = model.classes[c].members[m];
                    if b.total != a.total {
                        change.totals.push(u);
                    }
                    if b.rank != a.rank || b.grade != a.grade {
                        change.standings.push(u);
                    }
                }
            }
            return change;
        }
        let class = &model.classes[cid as usize];
        let cs = &mut self.classes[cid as usize];
        let deps = dependents(model, elem);
        let mut touched: Vec<LeafId> = Vec::new();
        let base = member as usize * cs.n_slots;
        for (si, slot) in class.slots.iter().enumerate() {
            if !deps.contains(&slot.elem) {
                continue;
            }
            let v = if model.elements[slot.elem as usize].rollup.is_some()
                || model.elements[slot.elem as usize].responsibility
            {
                self.rollups
                    .get(&slot.elem)
                    .and_then(|c| c.get(&unit))
                    .copied()
            } else {
                values
                    .resolve(
                        model,
                        unit,
                        slot.elem,
                        crate::values::shift(self.period, slot.shift),
                    )
                    .ok()
            };
            if cs.matrix[base + si] != v {
                cs.matrix[base + si] = v;
                for &l in &class.slot_leaves[si] {
                    if !touched.contains(&l) {
                        touched.push(l);
                    }
                }
            }
        }
        let adj_changed = class
            .bonus
            .iter()
            .chain(&class.deductions)
            .any(|a| deps.contains(&class.slots[a.slot as usize].elem))
            || class.vetoes.iter().any(|v| veto_reads(class, v, &deps));
        if touched.is_empty() && !adj_changed {
            return change;
        }
        let row: Vec<Option<Decimal>> = cs.row(member).to_vec();
        let mut rank_touched = false;
        for &l in &touched {
            let ov = model.override_of(unit, l);
            let out = leaf_score(
                class,
                l,
                ov,
                &row,
                self.period.granularity().months(),
                &mut NoTrace,
            );
            cs.leaves[member as usize * cs.n_leaves + l as usize] = out;
            rank_touched |= class.leaves[l as usize].kind == crate::scheme::MethodKind::Rank;
        }
        let mut members: Vec<u32> = vec![member];
        if rank_touched {
            for &l in &class.rank_leaves {
                for m in rank_leaf(class, cs, l) {
                    if !members.contains(&m) {
                        members.push(m);
                    }
                }
            }
        }
        let before: Vec<UnitResult> = cs.units.clone();
        for &m in &members {
            finish_member(model, class, cs, m);
            if cs.units[m as usize].total != before[m as usize].total {
                change.totals.push(class.members[m as usize]);
            }
        }
        if members.len() == 1 {
            reposition(class, cs, member);
        } else {
            sort_order(class, cs);
        }
        standings(model, class, cs);
        for (m, (b, a)) in before.iter().zip(&cs.units).enumerate() {
            if b.rank != a.rank || b.grade != a.grade {
                change.standings.push(class.members[m]);
            }
        }
        if !change.totals.is_empty() || !change.standings.is_empty() {
            self.roll_up_from(model, values, cid, &mut change);
        }
        if !touched.is_empty() {
            self.responsibility_from(model, values, cid, &mut change);
        }
        change
    }

    /// After class `cid`'s indicator scores changed: the responsibility rates of the classes
    /// that read them brought up to date, and every department whose rate moved re-scored.
    fn responsibility_from(
        &mut self,
        model: &Model,
        values: &Values,
        cid: ClassId,
        change: &mut Change,
    ) {
        let readers: Vec<ClassId> = (0..model.classes.len() as ClassId)
            .filter(|&c| {
                c != cid
                    && model.classes[c as usize]
                        .slots
                        .iter()
                        .any(|s| model.elements[s.elem as usize].responsibility)
            })
            .collect();
        // A reader's own scores do not count in its rates.
        if readers.is_empty()
            || model.classes[cid as usize]
                .slots
                .iter()
                .any(|s| model.elements[s.elem as usize].responsibility)
        {
            return;
        }
        for reader in readers {
            let column = responsibility_column(model, reader, &self.classes);
            let elems: Vec<crate::model::ElemId> = model.classes[reader as usize]
                .slots
                .iter()
                .filter(|s| model.elements[s.elem as usize].responsibility)
                .map(|s| s.elem)
                .collect();
            for e in elems {
                let old = self.rollups.insert(e, column.clone()).unwrap_or_default();
                let mut moved: Vec<UnitId> = model.classes[reader as usize]
                    .members
                    .iter()
                    .copied()
                    .filter(|u| old.get(u) != column.get(u))
                    .collect();
                moved.sort_unstable();
                for u in moved {
                    let c = self.refresh_unit(model, values, u, e);
                    change.totals.extend(c.totals);
                    change.standings.extend(c.standings);
                }
            }
        }
    }

    /// After class `cid`'s results changed: the roll-ups over it brought up to date, and every
    /// parent whose roll-up moved re-scored (a village's counted value moves its sub-district).
    fn roll_up_from(&mut self, model: &Model, values: &Values, cid: ClassId, change: &mut Change) {
        let elems: Vec<(crate::model::ElemId, crate::model::Rollup)> = model
            .elements
            .iter()
            .enumerate()
            .filter_map(|(e, el)| {
                el.rollup
                    .filter(|r| r.class == cid)
                    .map(|r| (e as crate::model::ElemId, r))
            })
            .filter(|(e, _)| {
                model
                    .classes
                    .iter()
                    .any(|c| c.slots.iter().any(|s| s.elem == *e))
            })
            .collect();
        for (e, r) in elems {
            let new = rollup_column(model, r, &self.classes[cid as usize]);
            let old = self.rollups.remove(&e).unwrap_or_default();
            let mut moved: Vec<UnitId> = new
                .iter()
                .filter(|(u, v)| old.get(u) != Some(v))
                .map(|(u, _)| *u)
                .chain(old.keys().filter(|u| !new.contains_key(u)).copied())
                .collect();
            moved.sort_unstable();
            self.rollups.insert(e, new);
            for parent in moved {
                let c = self.refresh_unit(model, values, parent, e);
                change.totals.extend(c.totals);
                change.standings.extend(c.standings);
            }
        }
    }
}

fn veto_reads(
    class: &ClassModel,
    v: &crate::model::VetoModel,
    deps: &[crate::model::ElemId],
) -> bool {
    match &v.trigger {
        VetoTrigger::Slot(s) => deps.contains(&class.slots[*s as usize].elem),
        VetoTrigger::Condition(_, e) => {
            let mut vars = Vec::new();
            e.vars(&mut vars);
            vars.iter()
                .any(|s| deps.contains(&class.slots[*s as usize].elem))
        }
    }
}

/// Scores class `cid` into `cs`, reusing its buffers; roll-up slots read `rolled`.
fn fill_class(
    model: &Model,
    values: &Values,
    period: Period,
    cid: ClassId,
    cs: &mut ClassState,
    rolled: &Rolled,
) {
    let class = &model.classes[cid as usize];
    let (n_slots, n_leaves, n_nodes, n_members) = (
        class.slots.len(),
        class.leaves.len(),
        class.nodes.len(),
        class.members.len(),
    );
    cs.class = cid;
    (cs.n_slots, cs.n_leaves, cs.n_nodes) = (n_slots, n_leaves, n_nodes);
    cs.matrix.clear();
    cs.matrix.reserve(n_members * n_slots);
    let periods: Vec<Period> = class
        .slots
        .iter()
        .map(|s| crate::values::shift(period, s.shift))
        .collect();
    let direct: Vec<_> = class
        .slots
        .iter()
        .zip(&periods)
        .map(|(s, p)| {
            let el = &model.elements[s.elem as usize];
            if el.rollup.is_some() || el.responsibility {
                None
            } else {
                values.direct(model, cid, s.elem, *p)
            }
        })
        .collect();
    for &u in &class.members {
        for ((s, p), d) in class.slots.iter().zip(&periods).zip(&direct) {
            cs.matrix.push(match d {
                Some(d) => d.get(u),
                None if model.elements[s.elem as usize].rollup.is_some()
                    || model.elements[s.elem as usize].responsibility =>
                {
                    rolled.get(&s.elem).and_then(|c| c.get(&u)).copied()
                }
                None => values.resolve(model, u, s.elem, *p).ok(),
            });
        }
    }
    cs.leaves.clear();
    cs.leaves.reserve(n_members * n_leaves);
    let months = period.granularity().months();
    for (m, &u) in class.members.iter().enumerate() {
        let row = &cs.matrix[m * n_slots..(m + 1) * n_slots];
        let overrides = &model.units[u as usize].overrides;
        let mut oi = 0;
        for l in 0..n_leaves as LeafId {
            let ov = match overrides.get(oi) {
                Some((ol, o)) if *ol == l => {
                    oi += 1;
                    Some(o)
                }
                _ => None,
            };
            cs.leaves
                .push(leaf_score(class, l, ov, row, months, &mut NoTrace));
        }
    }
    for &l in &class.rank_leaves {
        rank_leaf(class, cs, l);
    }
    cs.nodes.clear();
    cs.nodes.resize(n_members * n_nodes, None);
    cs.units.clear();
    cs.units.resize(n_members, placeholder());
    for m in 0..n_members as u32 {
        finish_member(model, class, cs, m);
    }
    sort_order(class, cs);
    standings(model, class, cs);
}

fn placeholder() -> UnitResult {
    UnitResult {
        subtotal: None,
        bonus: Decimal::ZERO,
        deduction: Decimal::ZERO,
        veto: None,
        total: None,
        blocked: true,
        rank: None,
        band: None,
        grade: None,
        grade_rule: GradeRule::Blocked,
    }
}

fn finish_member(model: &Model, class: &ClassModel, cs: &mut ClassState, m: u32) {
    let (ls, le) = (m as usize * cs.n_leaves, (m as usize + 1) * cs.n_leaves);
    let (ns, ne) = (m as usize * cs.n_nodes, (m as usize + 1) * cs.n_nodes);
    let subtotal = aggregate(
        class,
        &cs.leaves[ls..le],
        &mut cs.nodes[ns..ne],
        &mut NoTrace,
    );
    let blocked = cs.leaves[ls..le]
        .iter()
        .any(|l| l.state == LeafState::Blocked);
    let row = &cs.matrix[m as usize * cs.n_slots..(m as usize + 1) * cs.n_slots];
    let r = finish(model, class, row, subtotal, blocked, &mut NoTrace);
    let keep = &cs.units[m as usize];
    cs.units[m as usize] = UnitResult {
        rank: keep.rank,
        grade: keep.grade,
        band: keep.band,
        grade_rule: keep.grade_rule,
        ..r
    };
}

/// The actual value of an indicator for one unit.
pub fn leaf_actual(leaf: &LeafModel, row: &[Option<Decimal>]) -> Result<Option<Decimal>, Miss> {
    match &leaf.actual {
        Actual::None => Ok(None),
        Actual::Slot(s) => row[*s as usize].map(Some).ok_or(Miss::Slot(*s)),
        Actual::Formula(_, e) => match e.num(&|s: SlotId| row[s as usize]) {
            Ok(v) => Ok(Some(v)),
            Err(EvalError::Missing(s)) => Err(Miss::Slot(s)),
            Err(EvalError::DivisionByZero) => Err(Miss::DivisionByZero),
            Err(EvalError::Overflow) => Err(Miss::Overflow),
        },
    }
}

fn missing_outcome<T: Tracer>(leaf: &LeafModel, tr: &mut T) -> LeafOutcome {
    match leaf.missing {
        MissingPolicy::Zero | MissingPolicy::NoneRecorded => {
            tr.step(|| {
                step(
                    Rule::MissingZero,
                    Text::new(
                        "按缺失数据规则“缺报计0分”计0分",
                        "scored 0 by the missing-data rule “a missing value scores 0”",
                    ),
                    Decimal::ZERO,
                )
            });
            LeafOutcome {
                score: Decimal::ZERO,
                state: LeafState::MissingZero,
            }
        }
        MissingPolicy::Exclude => {
            tr.step(|| {
                step(
                    Rule::MissingExclude,
                    Text::new("按缺失数据规则“缺报不计入”不计入，同级指标按比例折算到满分", "left out by the missing-data rule “a missing value is left out”; its siblings are scaled up to the full points"),
                    None,
                )
            });
            LeafOutcome {
                score: Decimal::ZERO,
                state: LeafState::Excluded,
            }
        }
        MissingPolicy::Block => {
            tr.step(|| {
                step(
                    Rule::MissingBlock,
                    Text::new("按缺失数据规则“缺报暂缓公布”：补齐数据前该单位结果不能公布", "by the missing-data rule “a missing value holds back publication” the unit's result cannot be published until the value is reported"),
                    None,
                )
            });
            LeafOutcome {
                score: Decimal::ZERO,
                state: LeafState::Blocked,
            }
        }
    }
}

/// Scores one indicator for one unit. `row` holds the class's slot values for the unit.
/// `months` is the length of the scored period (12 for a year), for targets prorated by time.
pub fn leaf_score<T: Tracer>(
    class: &ClassModel,
    li: LeafId,
    ov: Option<&Override>,
    row: &[Option<Decimal>],
    months: u8,
    tr: &mut T,
) -> LeafOutcome {
    let leaf = &class.leaves[li as usize];
    let w = leaf.points;
    let actual = match leaf_actual(leaf, row) {
        Ok(a) => {
            if let (Some(a), Actual::Formula(text, e)) = (a, &leaf.actual) {
                tr.step(|| {
                    let sub = e.render(&|s: SlotId| row[s as usize].map_or_else(|| "?".into(), n));
                    step(
                        Rule::Actual,
                        Text::new(
                            format!("实际值 = {text} = {sub} {}", eq(a)),
                            format!("actual = {text} = {sub} {}", eq(a)),
                        ),
                        a,
                    )
                });
            } else if let Some(a) = a {
                tr.step(|| {
                    step(
                        Rule::Actual,
                        Text::new(
                            format!("实际值 {} {}", n(a), leaf.unit),
                            format!(
                                "actual {} {}",
                                n(a),
                                crate::text::measure(&leaf.unit, crate::text::Lang::En)
                            ),
                        ),
                        a,
                    )
                });
            }
            a
        }
        Err(miss) => {
            if leaf.missing == MissingPolicy::NoneRecorded {
                None
            } else {
                tr.step(|| {
                    let why = match miss {
                        Miss::Slot(_) => Text::new(
                            "实际值缺失：所需数据未填报",
                            "no actual value: a value it needs was not reported",
                        ),
                        Miss::DivisionByZero => Text::new(
                            "实际值无法计算：公式中除数为0",
                            "the actual value cannot be computed: the formula divides by zero",
                        ),
                        Miss::Overflow => Text::new(
                            "实际值无法计算：数值溢出",
                            "the actual value cannot be computed: overflow",
                        ),
                    };
                    step(Rule::ActualMissing, why, None)
                });
                return missing_outcome(leaf, tr);
            }
        }
    };
    let target = ov.map_or(leaf.target, |o| o.target);
    if T::ON
        && let Some(t) = target
    {
        let base = ov.and_then(|o| o.unit_target).or(leaf.target);
        if let Some(ut) = ov.and_then(|o| o.unit_target) {
            tr.step(|| {
                step(
                    Rule::TargetUnit,
                    Text::new(
                        format!("本单位目标值 {}（分解目标，替代方案目标）", n(ut)),
                        format!("this unit's own target {} (replaces the scheme's)", n(ut)),
                    ),
                    ut,
                )
            });
        } else if let Some(st) = leaf.target {
            tr.step(|| {
                step(
                    Rule::Target,
                    Text::new(format!("目标值 {}", n(st)), format!("target {}", n(st))),
                    st,
                )
            });
        }
        if let (Some((k, _, from)), CoefficientMode::Target, Some(b)) = (
            ov.and_then(|o| o.coefficient.as_ref()),
            leaf.coefficient_mode,
            base,
        ) {
            tr.step(|| {
                    step(
                        Rule::CoefficientTarget,
                        Text::new(format!("弹性系数 k = {}（设于“{}”），调整后目标 = {} × {} {}", n(*k), from.zh, n(b), n(*k), eq(t)), format!("elastic coefficient k = {} (set on “{}”), adjusted target = {} × {} {}", n(*k), from.get(crate::text::Lang::En), n(b), n(*k), eq(t))),
                        t,
                    )
                });
        }
    }
    // An annual target for a flow (investment attracted, income) counts for a shorter period in
    // proportion to its length: 序时进度.
    let target = match target {
        Some(full) if leaf.prorate && months != 12 => {
            let t = full * Decimal::from(months) / Decimal::from(12);
            tr.step(|| {
                step(
                    Rule::TargetProrated,
                    Text::new(
                        format!("按序时进度折算目标：{} × {months} ÷ 12 {}", n(full), eq(t)),
                        format!(
                            "target prorated to the period: {} × {months} ÷ 12 {}",
                            n(full),
                            eq(t)
                        ),
                    ),
                    t,
                )
            });
            Some(t)
        }
        t => t,
    };
    // Validation guarantees a target wherever a method needs one.
    let t = target.unwrap_or(Decimal::ONE);
    // `clamp`: the most a method's result may count for, when the method itself can exceed it
    // (bonus, formula). Methods that stay within [0, w] by construction skip the comparisons.
    let (raw, clamp) = match &leaf.method {
        MethodModel::Ratio {
            max_ratio,
            zero_actual,
        } => {
            let a = actual.unwrap_or_default();
            let r = max_ratio.unwrap_or(Decimal::ONE);
            let cap = max_ratio.map_or(w, |r| w * r);
            let s = match leaf.direction {
                Direction::Higher => {
                    let full = match max_ratio {
                        None => a >= t,
                        Some(r) => a >= t * *r,
                    };
                    if full {
                        tr.step(|| {
                            // The uncapped value and the cap, so the reader sees what was cut.
                            let over = (!t.is_zero()).then(|| w * a / t).filter(|u| *u > cap);
                            let (zh, en) = match over {
                                Some(u) => (
                                    format!(
                                        "正向比率：w × a ÷ t = {} × {} ÷ {} {}，超过上限{}：min({}, {}) = {}",
                                        n(w),
                                        n(a),
                                        n(t),
                                        eq(u),
                                        ratio_note(r, true),
                                        n(cap),
                                        n(u),
                                        n(cap)
                                    ),
                                    format!(
                                        "higher-is-better ratio: w × a ÷ t = {} × {} ÷ {} {}, over the cap{}: min({}, {}) = {}",
                                        n(w),
                                        n(a),
                                        n(t),
                                        eq(u),
                                        ratio_note(r, false),
                                        n(cap),
                                        n(u),
                                        n(cap)
                                    ),
                                ),
                                None => (
                                    format!(
                                        "正向比率：实际 {} ≥ 目标 {}{}，得满分 {}",
                                        n(a),
                                        n(t),
                                        ratio_note(r, true),
                                        n(cap)
                                    ),
                                    format!(
                                        "higher-is-better ratio: actual {} ≥ target {}{}, full {}",
                                        n(a),
                                        n(t),
                                        ratio_note(r, false),
                                        n(cap)
                                    ),
                                ),
                            };
                            step(Rule::RatioHigher, Text::new(zh, en), cap)
                        });
                        cap
                    } else if a.is_sign_negative() || a.is_zero() {
                        tr.step(|| {
                            step(
                                Rule::FloorZero,
                                Text::new(
                                    format!("实际值 {} 不大于0，得0分", n(a)),
                                    format!("actual {} is not above 0: 0 points", n(a)),
                                ),
                                Decimal::ZERO,
                            )
                        });
                        Decimal::ZERO
                    } else {
                        let s = w * a / t;
                        tr.step(|| {
                            step(
                                Rule::RatioHigher,
                                Text::new(
                                    format!(
                                        "正向比率：w × a ÷ t = {} × {} ÷ {} {}",
                                        n(w),
                                        n(a),
                                        n(t),
                                        eq(s)
                                    ),
                                    format!(
                                        "higher-is-better ratio: w × a ÷ t = {} × {} ÷ {} {}",
                                        n(w),
                                        n(a),
                                        n(t),
                                        eq(s)
                                    ),
                                ),
                                s,
                            )
                        });
                        s
                    }
                }
                Direction::Lower => {
                    let full = match max_ratio {
                        None => a <= t,
                        Some(r) => a * *r <= t,
                    };
                    if a.is_sign_negative() || a.is_zero() {
                        let s = if *zero_actual == ZeroActual::Full {
                            cap
                        } else {
                            Decimal::ZERO
                        };
                        tr.step(|| {
                            step(
                                Rule::RatioLowerZero,
                                Text::new(
                                    format!("反向比率：实际值为 {}，按规则得 {} 分", n(a), n(s)),
                                    format!(
                                        "lower-is-better ratio: actual is {}, scored {} by rule",
                                        n(a),
                                        n(s)
                                    ),
                                ),
                                s,
                            )
                        });
                        s
                    } else if full {
                        tr.step(|| step(Rule::RatioLower, Text::new(format!("反向比率：实际 {} 不高于目标 {}{}，得满分 {}", n(a), n(t), ratio_note(r, true), n(cap)), format!("lower-is-better ratio: actual {} is not above target {}{}, full {}", n(a), n(t), ratio_note(r, false), n(cap))), cap));
                        cap
                    } else {
                        let s = w * t / a;
                        tr.step(|| {
                            step(
                                Rule::RatioLower,
                                Text::new(
                                    format!(
                                        "反向比率：w × t ÷ a = {} × {} ÷ {} {}",
                                        n(w),
                                        n(t),
                                        n(a),
                                        eq(s)
                                    ),
                                    format!(
                                        "lower-is-better ratio: w × t ÷ a = {} × {} ÷ {} {}",
                                        n(w),
                                        n(t),
                                        n(a),
                                        eq(s)
                                    ),
                                ),
                                s,
                            )
                        });
                        s
                    }
                }
            };
            (s, None)
        }
        MethodModel::Threshold { op } => {
            let a = actual.unwrap_or_default();
            let ok = op.holds(a, t);
            let s = if ok { w } else { Decimal::ZERO };
            tr.step(|| {
                let sym = op.symbol();
                step(
                    Rule::Threshold,
                    Text::new(
                        format!(
                            "刚性指标：要求 实际 {sym} 目标，{} {sym} {} {}，得 {} 分",
                            n(a),
                            n(t),
                            if ok { "成立" } else { "不成立" },
                            n(s)
                        ),
                        format!(
                            "threshold: requires actual {sym} target; {} {sym} {} {}, {} points",
                            n(a),
                            n(t),
                            if ok { "holds" } else { "fails" },
                            n(s)
                        ),
                    ),
                    s,
                )
            });
            (s, None)
        }
        MethodModel::Linear { floor } => {
            let a = actual.unwrap_or_default();
            let f = *floor;
            let (full, zero) = match leaf.direction {
                Direction::Higher => (a >= t, a <= f),
                Direction::Lower => (a <= t, a >= f),
            };
            let s = if full {
                tr.step(|| {
                    step(
                        Rule::Linear,
                        Text::new(
                            format!("线性插值：实际 {} 达到目标 {}，得满分 {}", n(a), n(t), n(w)),
                            format!(
                                "linear band: actual {} reaches the target {}, full {}",
                                n(a),
                                n(t),
                                n(w)
                            ),
                        ),
                        w,
                    )
                });
                w
            } else if zero {
                tr.step(|| {
                    step(
                        Rule::Linear,
                        Text::new(
                            format!("线性插值：实际 {} 未达零分线 {}，得0分", n(a), n(f)),
                            format!(
                                "linear band: actual {} is at or beyond the floor {}, 0 points",
                                n(a),
                                n(f)
                            ),
                        ),
                        Decimal::ZERO,
                    )
                });
                Decimal::ZERO
            } else {
                let s = w * (a - f) / (t - f);
                tr.step(|| step(Rule::Linear, Text::new(format!("线性插值：w × (a − 零分线) ÷ (目标 − 零分线) = {} × ({} − {}) ÷ ({} − {}) {}", n(w), n(a), n(f), n(t), n(f), eq(s)), format!("linear band: w × (a − floor) ÷ (target − floor) = {} × ({} − {}) ÷ ({} − {}) {}", n(w), n(a), n(f), n(t), n(f), eq(s))), s));
                s
            };
            (s, None)
        }
        MethodModel::Qualitative {
            band_slot,
            bands,
            in_points,
        } => {
            let rating = actual.unwrap_or_default();
            (
                qualitative(
                    leaf,
                    bands,
                    rating,
                    *in_points,
                    band_slot.and_then(|s| row[s as usize]),
                    tr,
                ),
                None,
            )
        }
        MethodModel::Deduction { items } => {
            if let Some(out) = counts_missing(leaf, items, row, tr) {
                return out;
            }
            let mut total = Decimal::ZERO;
            for it in items {
                total += count_points(it, row, tr).1;
            }
            let s = if total >= w {
                tr.step(|| {
                    step(
                        Rule::DeductToZero,
                        Text::new(
                            format!("扣分合计 {} ≥ 分值 {}，扣完为止，得0分", n(total), n(w)),
                            format!(
                                "deductions {} ≥ points {}: deducted to zero",
                                n(total),
                                n(w)
                            ),
                        ),
                        Decimal::ZERO,
                    )
                });
                Decimal::ZERO
            } else {
                let s = w - total;
                tr.step(|| {
                    step(
                        Rule::Deduction,
                        Text::new(
                            format!("扣分法：{} − {} = {}", n(w), n(total), n(s)),
                            format!("deduction: {} − {} = {}", n(w), n(total), n(s)),
                        ),
                        s,
                    )
                });
                s
            };
            (s, None)
        }
        MethodModel::Bonus { items } => {
            if let Some(out) = counts_missing(leaf, items, row, tr) {
                return out;
            }
            let mut total = Decimal::ZERO;
            for it in items {
                total += count_points(it, row, tr).1;
            }
            tr.step(|| {
                step(
                    Rule::Bonus,
                    Text::new(
                        format!("加分法：合计 {}", n(total)),
                        format!("bonus: total {}", n(total)),
                    ),
                    total,
                )
            });
            (total, Some(w))
        }
        // Scored across the class by `rank_leaf`; here only the actual value matters.
        MethodModel::Rank { .. } => (Decimal::ZERO, None),
        MethodModel::Formula {
            text,
            expr,
            allow_over,
        } => {
            let lookup = |v: FVar| match v {
                FVar::W => Some(w),
                FVar::T => target,
                FVar::A => actual,
                FVar::Slot(s) => row[s as usize],
            };
            match expr.num(&lookup) {
                Ok(s) => {
                    tr.step(|| {
                        let sub = expr.render(&|v: FVar| lookup(v).map_or_else(|| "?".into(), n));
                        step(
                            Rule::Formula,
                            Text::new(
                                format!("公式法：{text} = {sub} {}", eq(s)),
                                format!("formula: {text} = {sub} {}", eq(s)),
                            ),
                            s,
                        )
                    });
                    (s, if *allow_over { None } else { Some(w) })
                }
                Err(_) => {
                    tr.step(|| step(Rule::ActualMissing, Text::new("评分公式无法计算：缺少数据或除数为0", "the score formula cannot be evaluated: missing data or division by zero"), None));
                    return missing_outcome(leaf, tr);
                }
            }
        }
    };
    let mut score = raw;
    let mut clamp = clamp;
    if let (Some(k), CoefficientMode::Score) = (ov.and_then(|o| o.score_k), leaf.coefficient_mode) {
        let adj = score * k;
        tr.step(|| {
            let from = ov
                .and_then(|o| o.coefficient.as_ref())
                .map(|(_, _, f)| f.clone())
                .unwrap_or_default();
            step(
                Rule::CoefficientScore,
                Text::new(
                    format!(
                        "弹性系数 k = {}（设于“{}”）作用于得分：{} × {} {}",
                        n(k),
                        from.zh,
                        n(score),
                        n(k),
                        eq(adj)
                    ),
                    format!(
                        "elastic coefficient k = {} (set on “{}”) applied to the score: {} × {} {}",
                        n(k),
                        from.get(crate::text::Lang::En),
                        n(score),
                        n(k),
                        eq(adj)
                    ),
                ),
                adj,
            )
        });
        score = adj;
        // min(w, raw × k): the method's own ceiling still holds after the coefficient — and a
        // formula allowed over the points has none to restore.
        clamp = clamp.or(match &leaf.method {
            MethodModel::Formula {
                allow_over: true, ..
            } => None,
            MethodModel::Ratio {
                max_ratio: Some(r), ..
            } => Some(w * *r),
            _ => Some(w),
        });
    }
    if let Some(c) = clamp
        && score > c
    {
        tr.step(|| {
            step(
                Rule::Cap,
                Text::new(
                    format!("{} 超过上限 {}，按 {} 计", n(score), n(c), n(c)),
                    format!("{} exceeds the cap {}: counted as {}", n(score), n(c), n(c)),
                ),
                c,
            )
        });
        score = c;
    }
    if score.is_sign_negative() && !score.is_zero() {
        tr.step(|| {
            step(
                Rule::FloorZero,
                Text::new(
                    format!("{} 低于0，按0分计", n(score)),
                    format!("{} is below 0: counted as 0", n(score)),
                ),
                Decimal::ZERO,
            )
        });
        score = Decimal::ZERO;
    }
    LeafOutcome::scored(score)
}

fn ratio_note(max_ratio: Decimal, zh: bool) -> String {
    if max_ratio == Decimal::ONE {
        String::new()
    } else if zh {
        format!("（超额上限为满分的 {} 倍）", n(max_ratio))
    } else {
        format!(" (over-achievement up to {} × the points)", n(max_ratio))
    }
}

/// A count with no value at all (absent-is-zero counts already read 0): unless the indicator
/// says no record means none (`none_recorded`), its missing-data rule applies, as for any
/// other indicator.
fn counts_missing<T: Tracer>(
    leaf: &LeafModel,
    items: &[crate::model::CountModel],
    row: &[Option<Decimal>],
    tr: &mut T,
) -> Option<LeafOutcome> {
    if leaf.missing == MissingPolicy::NoneRecorded
        || items.iter().all(|it| row[it.slot as usize].is_some())
    {
        return None;
    }
    tr.step(|| {
        step(
            Rule::ActualMissing,
            Text::new(
                "计次数据缺失：所需数据未填报",
                "no count: a value it needs was not reported",
            ),
            None,
        )
    });
    Some(missing_outcome(leaf, tr))
}

fn count_points<T: Tracer>(
    it: &crate::model::CountModel,
    row: &[Option<Decimal>],
    tr: &mut T,
) -> (Decimal, Decimal) {
    match row[it.slot as usize] {
        Some(c) => {
            let raw = c * it.per;
            let d = it.max.map_or(raw, |m| raw.min(m));
            tr.step(|| {
                let capped = it
                    .max
                    .filter(|m| raw > *m)
                    .map(|m| format!("，单项上限 {}", n(m)))
                    .unwrap_or_default();
                let capped_en = it
                    .max
                    .filter(|m| raw > *m)
                    .map(|m| format!(", item cap {}", n(m)))
                    .unwrap_or_default();
                step(
                    Rule::Deduction,
                    Text::new(
                        format!("{} 次 × {} 分 = {}{capped}", n(c), n(it.per), n(d)),
                        format!("{} × {} points = {}{capped_en}", n(c), n(it.per), n(d)),
                    ),
                    d,
                )
            });
            (c, d)
        }
        None => {
            tr.step(|| {
                step(
                    Rule::NoneRecorded,
                    Text::new(
                        "无记录，视为未发生（none_recorded）",
                        "no record: counted as none (none_recorded)",
                    ),
                    Decimal::ZERO,
                )
            });
            (Decimal::ZERO, Decimal::ZERO)
        }
    }
}

fn qualitative<T: Tracer>(
    leaf: &LeafModel,
    bands: &[crate::model::QualBand],
    entered: Decimal,
    in_points: bool,
    band: Option<Decimal>,
    tr: &mut T,
) -> Decimal {
    let w = leaf.points;
    let hundred = Decimal::ONE_HUNDRED;
    // A score entered in points is that share of the points: 10.5 of 15 is 70%.
    let rating = if in_points && !w.is_zero() {
        let r = entered / w * hundred;
        tr.step(|| {
            step(
                Rule::Qualitative,
                Text::new(
                    format!("评分 {} 分（满分 {} 分），即 {}%", n(entered), n(w), n(r)),
                    format!("score {} of {} points, i.e. {}%", n(entered), n(w), n(r)),
                ),
                None,
            )
        });
        r
    } else {
        entered
    };
    let mut r = rating.max(Decimal::ZERO).min(hundred);
    if r != rating {
        tr.step(|| {
            step(
                Rule::Cap,
                Text::new(
                    format!("评分 {}% 超出0–100%，按 {}% 计", n(rating), n(r)),
                    format!(
                        "rating {}% is outside 0–100%: counted as {}%",
                        n(rating),
                        n(r)
                    ),
                ),
                r,
            )
        });
    }
    let chosen = band
        .and_then(|b| band_index(b, bands.len()))
        .map(|i| &bands[i]);
    match chosen {
        Some(b) => {
            let clamped = r.max(b.min).min(b.max);
            if clamped != r {
                tr.step(|| {
                    step(
                        Rule::QualitativeBand,
                        Text::new(
                            format!(
                                "所选档次“{}”范围为 {}%–{}%，评分 {}% 按 {}% 计",
                                b.name.zh,
                                n(b.min),
                                n(b.max),
                                n(r),
                                n(clamped)
                            ),
                            format!(
                                "the chosen band `{}` spans {}%–{}%: rating {}% counted as {}%",
                                b.name.get(crate::text::Lang::En),
                                n(b.min),
                                n(b.max),
                                n(r),
                                n(clamped)
                            ),
                        ),
                        clamped,
                    )
                });
                r = clamped;
            } else {
                tr.step(|| {
                    step(
                        Rule::QualitativeBand,
                        Text::new(
                            format!("评价档次“{}”（{}%–{}%）", b.name.zh, n(b.min), n(b.max)),
                            format!(
                                "band `{}` ({}%–{}%)",
                                b.name.get(crate::text::Lang::En),
                                n(b.min),
                                n(b.max)
                            ),
                        ),
                        None,
                    )
                });
            }
        }
        None if band.is_some() => {
            tr.step(|| {
                step(
                    Rule::QualitativeBand,
                    Text::new(
                        "档次编号无效，未按档次限定评分",
                        "the band number is not valid; the rating is not limited to a band",
                    ),
                    None,
                )
            });
        }
        None => {}
    }
    // Entered in points and kept: the score is exactly what was entered (no round trip
    // through a percentage).
    let s = if in_points && r == rating {
        entered
    } else {
        w * r / hundred
    };
    tr.step(|| {
        step(
            Rule::Qualitative,
            Text::new(
                format!("定性评价：分值 × 评分比例 = {} × {}% {}", n(w), n(r), eq(s)),
                format!(
                    "qualitative: points × rating = {} × {}% {}",
                    n(w),
                    n(r),
                    eq(s)
                ),
            ),
            s,
        )
    });
    s
}

/// A band number (1 = first band) as an index, if it is a whole number in range.
pub fn band_index(b: Decimal, count: usize) -> Option<usize> {
    if !b.fract().is_zero() || b < Decimal::ONE {
        return None;
    }
    let i = usize::try_from(b.trunc().mantissa() / 10i128.pow(b.trunc().scale())).ok()?;
    (i <= count).then(|| i - 1)
}

/// Scores a rank-among-peers indicator for every member; returns members whose score changed.
pub fn rank_leaf(class: &ClassModel, cs: &mut ClassState, li: LeafId) -> Vec<u32> {
    let leaf = &class.leaves[li as usize];
    let MethodModel::Rank { step: st, min } = &leaf.method else {
        return Vec::new();
    };
    let mut vals: Vec<(Decimal, u32)> = Vec::new();
    for m in 0..class.members.len() as u32 {
        if cs.leaf(m, li).state == LeafState::Scored
            && let Ok(Some(a)) = leaf_actual(leaf, cs.row(m))
        {
            vals.push((a, m));
        }
    }
    // Best first; equal values share the better rank (competition ranking: 1, 2, 2, 4).
    match leaf.direction {
        Direction::Higher => vals.sort_unstable_by_key(|x| std::cmp::Reverse(x.0)),
        Direction::Lower => vals.sort_unstable_by_key(|x| x.0),
    }
    let mut changed = Vec::new();
    let mut rank = 0u32;
    for (i, &(a, m)) in vals.iter().enumerate() {
        if i == 0 || vals[i - 1].0 != a {
            rank = i as u32 + 1;
        }
        let s = rank_points(leaf.points, *st, *min, rank);
        let i = m as usize * cs.n_leaves + li as usize;
        if cs.leaves[i].score != s {
            cs.leaves[i].score = s;
            changed.push(m);
        }
    }
    changed
}

/// `max(w − (rank − 1) × step, min)`.
pub fn rank_points(w: Decimal, step: Decimal, min: Decimal, rank: u32) -> Decimal {
    (w - Decimal::from(rank - 1) * step).max(min)
}

/// Sums the indicator tree bottom-up: each node is the sum of its present children, scaled to
/// its points when some were left out; a module with nothing present passes its points to its
/// `redistribute_to` sibling. Returns the class node's score.
pub fn aggregate<T: Tracer>(
    class: &ClassModel,
    leaves: &[LeafOutcome],
    nodes: &mut [Option<Decimal>],
    tr: &mut T,
) -> Option<Decimal> {
    let mut kids: Vec<(Child, Decimal, Option<Decimal>)> = Vec::new();
    for &ni in &class.postorder {
        let node = &class.nodes[ni as usize];
        // Fast path, the common case: every child present, so the node is their plain sum
        // (validation guarantees the children's points add up to the node's).
        let mut sum = Decimal::ZERO;
        let mut all = !node.children.is_empty();
        for c in &node.children {
            let v = match *c {
                Child::Leaf(l) => {
                    let o = leaves[l as usize];
                    matches!(o.state, LeafState::Scored | LeafState::MissingZero).then_some(o.score)
                }
                Child::Node(k) => nodes[k as usize],
            };
            match v {
                Some(v) => sum += v,
                None => {
                    all = false;
                    break;
                }
            }
        }
        if all {
            tr.step(|| module_sum_step(node, sum));
            nodes[ni as usize] = Some(sum);
            continue;
        }
        kids.clear();
        for c in &node.children {
            let (pts, score) = match *c {
                Child::Leaf(l) => {
                    let o = leaves[l as usize];
                    (
                        class.leaves[l as usize].points,
                        matches!(o.state, LeafState::Scored | LeafState::MissingZero)
                            .then_some(o.score),
                    )
                }
                Child::Node(k) => (class.nodes[k as usize].points, nodes[k as usize]),
            };
            kids.push((*c, pts, score));
        }
        for i in 0..kids.len() {
            if let (Child::Node(k), pts, None) = kids[i]
                && let Some(to) = class.nodes[k as usize].redistribute_to
                && let Some(j) = kids
                    .iter()
                    .position(|(c, _, s)| *c == Child::Node(to) && s.is_some())
            {
                let (_, tp, ts) = kids[j];
                let ts = ts.unwrap_or_default();
                let scaled = ts * (tp + pts) / tp;
                tr.step(|| {
                            let (a, b) = (&class.nodes[k as usize].name, &class.nodes[to as usize].name);
                            step(
                                Rule::Redistribute,
                                Text::new(format!("“{}”无可评指标，其 {} 分转入“{}”：{} × ({} + {}) ÷ {} {}", a.zh, n(pts), b.zh, n(ts), n(tp), n(pts), n(tp), eq(scaled)), format!("`{}` has nothing to score; its {} points move to `{}`: {} × ({} + {}) ÷ {} {}", a.en, n(pts), b.en, n(ts), n(tp), n(pts), n(tp), eq(scaled))),
                                scaled,
                            )
                        });
                kids[j] = (kids[j].0, tp + pts, Some(scaled));
                // The receiving block now stands for both blocks' points; tables and
                // tie-breaks show what it contributes.
                nodes[to as usize] = Some(scaled);
            }
        }
        let (mut present, mut sum) = (Decimal::ZERO, Decimal::ZERO);
        for (_, p, s) in &kids {
            if let Some(s) = s {
                present += *p;
                sum += *s;
            }
        }
        let score = if kids.iter().all(|(_, _, s)| s.is_none()) {
            tr.step(|| {
                step(
                    Rule::AllExcluded,
                    Text::new(
                        format!("“{}”下没有可评分的指标", node.name.zh),
                        format!("`{}` has nothing that can be scored", node.name.en),
                    ),
                    None,
                )
            });
            None
        } else if present == node.points {
            tr.step(|| module_sum_step(node, sum));
            Some(sum)
        } else {
            // Never above the node's points: with 28 significant digits the product can round
            // a full-marks sum a unit in the last place over (found by the property test).
            let s = (sum * node.points / present).min(node.points);
            tr.step(|| {
                step(
                    Rule::Renormalise,
                    Text::new(format!("“{}”有指标不计入：{} × {} ÷ {} {}（按可评指标的分值 {} 折算到满分 {}）", node.name.zh, n(sum), n(node.points), n(present), eq(s), n(present), n(node.points)), format!("`{}` has left-out indicators: {} × {} ÷ {} {} (scaled from the {} points scored to the full {})", node.name.en, n(sum), n(node.points), n(present), eq(s), n(present), n(node.points))),
                    s,
                )
            });
            Some(s)
        };
        nodes[ni as usize] = score;
    }
    nodes[0]
}

fn module_sum_step(node: &crate::model::NodeModel, sum: Decimal) -> Step {
    step(
        Rule::ModuleSum,
        Text::new(
            format!(
                "“{}”小计 {}（满分 {}）",
                node.name.zh,
                n(sum),
                n(node.points)
            ),
            format!(
                "`{}` subtotal {} (of {})",
                node.name.en,
                n(sum),
                n(node.points)
            ),
        ),
        sum,
    )
}

/// Bonus, deductions, veto and the total for one unit.
pub fn finish<T: Tracer>(
    model: &Model,
    class: &ClassModel,
    row: &[Option<Decimal>],
    subtotal: Option<Decimal>,
    mut blocked: bool,
    tr: &mut T,
) -> UnitResult {
    let rules = &model.scheme.rules;
    let adjust = |items: &[crate::model::AdjModel],
                  bonus: bool,
                  tr: &mut T,
                  blocked: &mut bool|
     -> Decimal {
        let mut total = Decimal::ZERO;
        for a in items {
            match row[a.slot as usize] {
                Some(c) if !c.is_zero() => {
                    let raw = c * a.per;
                    let v = a.max.map_or(raw, |m| raw.min(m));
                    tr.step(|| {
                        let (rule, zh, en) = if bonus {
                            (Rule::BonusItem, "加分", "bonus")
                        } else {
                            (Rule::DeductionItem, "扣分", "deduction")
                        };
                        let cap_zh = a
                            .max
                            .filter(|m| raw > *m)
                            .map(|m| format!("，单项上限 {}", n(m)))
                            .unwrap_or_default();
                        let cap_en = a
                            .max
                            .filter(|m| raw > *m)
                            .map(|m| format!(", item cap {}", n(m)))
                            .unwrap_or_default();
                        step(
                            rule,
                            Text::new(
                                format!(
                                    "{zh}项“{}”：{} × {} = {}{cap_zh}",
                                    a.name.zh,
                                    n(c),
                                    n(a.per),
                                    n(v)
                                ),
                                format!(
                                    "{en} item `{}`: {} × {} = {}{cap_en}",
                                    a.name.en,
                                    n(c),
                                    n(a.per),
                                    n(v)
                                ),
                            ),
                            v,
                        )
                    });
                    total += v;
                }
                Some(_) => {}
                None if a.missing == MissingPolicy::Block => {
                    *blocked = true;
                    tr.step(|| {
                        step(
                            Rule::MissingBlock,
                            Text::new(
                                format!("“{}”未填报，结果暂不能公布", a.name.zh),
                                format!(
                                    "`{}` is not reported; the result cannot be published yet",
                                    a.name.en
                                ),
                            ),
                            None,
                        )
                    });
                }
                None => {}
            }
        }
        total
    };
    let raw_bonus = adjust(&class.bonus, true, tr, &mut blocked);
    let bonus = raw_bonus.min(rules.bonus_cap);
    if raw_bonus > bonus {
        tr.step(|| {
            step(
                Rule::BonusCap,
                Text::new(
                    format!(
                        "加分合计 {} 超过上限 {}，按 {} 计",
                        n(raw_bonus),
                        n(rules.bonus_cap),
                        n(bonus)
                    ),
                    format!(
                        "bonus {} exceeds the cap {}: counted as {}",
                        n(raw_bonus),
                        n(rules.bonus_cap),
                        n(bonus)
                    ),
                ),
                bonus,
            )
        });
    }
    let raw_ded = adjust(&class.deductions, false, tr, &mut blocked);
    let deduction = rules.deduction_cap.map_or(raw_ded, |c| raw_ded.min(c));
    if raw_ded > deduction {
        tr.step(|| {
            step(
                Rule::DeductionCap,
                Text::new(
                    format!(
                        "扣分合计 {} 超过上限 {}，按 {} 计",
                        n(raw_ded),
                        n(deduction),
                        n(deduction)
                    ),
                    format!(
                        "deductions {} exceed the cap {}: counted as {}",
                        n(raw_ded),
                        n(deduction),
                        n(deduction)
                    ),
                ),
                deduction,
            )
        });
    }
    let mut veto = None;
    for (i, v) in class.vetoes.iter().enumerate() {
        let hit = match &v.trigger {
            VetoTrigger::Slot(s) => row[*s as usize].is_some_and(|c| c > Decimal::ZERO),
            VetoTrigger::Condition(_, e) => e.bool(&|s: SlotId| row[s as usize]).unwrap_or(false),
        };
        if hit && veto.is_none() {
            veto = Some(i as u16);
            tr.step(|| {
                let effect = match v.effect {
                    VetoEffect::Zero => Text::new(
                        "总分记为0，等次为最低等次",
                        "total set to 0 and the lowest grade",
                    ),
                    VetoEffect::CapGrade => Text::new(
                        "总分保留，等次封顶",
                        "the total stands; the grade is capped",
                    ),
                };
                step(
                    Rule::Veto,
                    Text::new(
                        format!("触发一票否决“{}”：{}", v.name.zh, effect.zh),
                        format!("veto `{}` triggered: {}", v.name.en, effect.en),
                    ),
                    None,
                )
            });
        }
    }
    let vetoed = veto.is_some_and(|i| class.vetoes[i as usize].effect == VetoEffect::Zero);
    let total = subtotal.map(|s| {
        let t = s + bonus - deduction;
        tr.step(|| {
            // Under a veto that zeroes the total, this sum is not the result: say so, and give
            // it no value (the veto step after it carries the total).
            let (zh, en, value) = if vetoed {
                (
                    "否决前合计（不计入总分）=",
                    "before the veto (not the total) =",
                    None,
                )
            } else {
                ("总分 =", "total =", Some(t))
            };
            step(
                Rule::Total,
                Text::new(
                    format!(
                        "{zh} 指标得分 {} + 加分 {} − 扣分 {} {}",
                        n(s),
                        n(bonus),
                        n(deduction),
                        eq(t)
                    ),
                    format!(
                        "{en} indicators {} + bonus {} − deductions {} {}",
                        n(s),
                        n(bonus),
                        n(deduction),
                        eq(t)
                    ),
                ),
                value,
            )
        });
        let floored = t.max(rules.total_floor);
        if floored != t && !vetoed {
            tr.step(|| {
                step(
                    Rule::TotalFloor,
                    Text::new(
                        format!("总分不低于 {}", n(rules.total_floor)),
                        format!("a total is never below {}", n(rules.total_floor)),
                    ),
                    floored,
                )
            });
        }
        match veto.map(|i| class.vetoes[i as usize].effect) {
            Some(VetoEffect::Zero) => {
                tr.step(|| {
                    step(
                        Rule::Veto,
                        Text::new("一票否决：总分记为0", "veto: the total is 0"),
                        Decimal::ZERO,
                    )
                });
                Decimal::ZERO
            }
            _ => floored,
        }
    });
    if subtotal.is_none() {
        blocked = true;
        tr.step(|| {
            step(
                Rule::Blocked,
                Text::new(
                    "没有任何可评分的指标，不能计算总分",
                    "nothing could be scored; no total",
                ),
                None,
            )
        });
    }
    UnitResult {
        subtotal,
        bonus,
        deduction,
        veto,
        total: if blocked { None } else { total },
        blocked,
        rank: None,
        band: None,
        grade: None,
        grade_rule: GradeRule::Blocked,
    }
}

/// The value a tie-break key reads for a member.
fn key_value(cs: &ClassState, member: u32, k: TieKey) -> Option<Decimal> {
    match k {
        TieKey::Node(nid) => cs.node(member, nid),
        TieKey::Leaf(l) => {
            let o = cs.leaf(member, l);
            matches!(o.state, LeafState::Scored | LeafState::MissingZero).then_some(o.score)
        }
    }
}

/// Orders two members: higher total first, then each tie-break key high to low; `Equal` means
/// they share a rank.
pub fn compare(class: &ClassModel, cs: &ClassState, a: u32, b: u32) -> Ordering {
    let (ta, tb) = (cs.units[a as usize].total, cs.units[b as usize].total);
    match (ta, tb) {
        (None, None) => return Ordering::Equal,
        (None, Some(_)) => return Ordering::Greater,
        (Some(_), None) => return Ordering::Less,
        (Some(x), Some(y)) => {
            let o = y.cmp(&x);
            if o != Ordering::Equal {
                return o;
            }
        }
    }
    for &k in &class.tie_break {
        let o = key_value(cs, b, k).cmp(&key_value(cs, a, k));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn sort_order(class: &ClassModel, cs: &mut ClassState) {
    let mut order = std::mem::take(&mut cs.order);
    order.clear();
    order.extend(0..class.members.len() as u32);
    order.sort_by(|&a, &b| compare(class, cs, a, b).then(a.cmp(&b)));
    cs.order = order;
}

/// Moves one member to its place after its total changed.
fn reposition(class: &ClassModel, cs: &mut ClassState, member: u32) {
    if let Some(i) = cs.order.iter().position(|&m| m == member) {
        cs.order.remove(i);
    }
    let at = cs
        .order
        .partition_point(|&m| compare(class, cs, m, member).then(m.cmp(&member)) == Ordering::Less);
    cs.order.insert(at, member);
}

/// Ranks (shared on ties), bands, the quota and vetoes: every member's standing.
fn standings(model: &Model, class: &ClassModel, cs: &mut ClassState) {
    let n_members = class.members.len();
    let allowed = model
        .quota
        .as_ref()
        .map(|_| quota_allowed(model, n_members));
    let mut given = 0u32;
    let mut closed = false;
    let mut i = 0;
    let order = cs.order.clone();
    while i < order.len() {
        let m = order[i];
        if cs.units[m as usize].total.is_none() {
            for &m in &order[i..] {
                let u = &mut cs.units[m as usize];
                u.rank = None;
                u.band = None;
                u.grade = None;
                u.grade_rule = GradeRule::Blocked;
            }
            break;
        }
        // The group of members tied with m on every key.
        let mut j = i + 1;
        while j < order.len()
            && cs.units[order[j] as usize].total.is_some()
            && compare(class, cs, m, order[j]) == Ordering::Equal
        {
            j += 1;
        }
        let rank = i as u32 + 1;
        let group = &order[i..j];
        let mut candidates = 0u32;
        for &g in group {
            let u = &cs.units[g as usize];
            let band = u.total.and_then(|t| band_of(model, t));
            let in_quota_band =
                matches!((&model.quota, band), (Some(q), Some(b)) if b as usize == q.grade);
            if in_quota_band && u.veto.is_none() {
                candidates += 1;
            }
        }
        let quota_verdict = match (&model.quota, allowed) {
            (Some(q), Some(allowed)) if candidates > 0 => {
                if !closed && given + candidates <= allowed {
                    given += candidates;
                    None
                } else if !closed && given < allowed {
                    closed = true;
                    match q.unresolved_tie {
                        UnresolvedTie::IncludeAll => {
                            given += candidates;
                            Some(GradeRule::QuotaTie { allowed })
                        }
                        UnresolvedTie::ExcludeAll => Some(GradeRule::QuotaTie { allowed }),
                    }
                } else {
                    closed = true;
                    Some(GradeRule::QuotaDemoted { allowed })
                }
            }
            _ => None,
        };
        for &g in group {
            let u = &mut cs.units[g as usize];
            u.rank = Some(rank);
            let band = u.total.and_then(|t| band_of(model, t));
            u.band = band;
            let mut grade = band;
            let mut rule = GradeRule::Band;
            if let (Some(q), Some(b), Some(v)) = (&model.quota, band, quota_verdict)
                && b as usize == q.grade
                && u.veto.is_none()
            {
                match (v, q.unresolved_tie) {
                    (GradeRule::QuotaTie { .. }, UnresolvedTie::IncludeAll) => rule = v,
                    _ => {
                        grade = Some(q.demote_to as u16);
                        rule = v;
                    }
                }
            }
            if let Some(vi) = u.veto {
                let vg = model.veto_grade as u16;
                match class.vetoes[vi as usize].effect {
                    VetoEffect::Zero => {
                        grade = Some(vg);
                        rule = GradeRule::Veto;
                    }
                    VetoEffect::CapGrade => {
                        if grade.is_none_or(|g| g < vg) {
                            grade = Some(vg);
                            rule = GradeRule::VetoCapped;
                        }
                    }
                }
            }
            u.grade = grade;
            u.grade_rule = rule;
        }
        i = j;
    }
}

/// How many units of a class of `members` may have the quota grade.
pub fn quota_allowed(model: &Model, members: usize) -> u32 {
    model.quota.as_ref().map_or(0, |q| {
        let x = Decimal::from(members) * q.share;
        let r = match q.rounding {
            QuotaRounding::Down => x.floor(),
            QuotaRounding::Up => x.ceil(),
            QuotaRounding::HalfUp => {
                x.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            }
        };
        u32::try_from(r.trunc().mantissa() / 10i128.pow(r.trunc().scale())).unwrap_or(0)
    })
}

/// The band a total falls in: the first whose minimum it reaches (以上含本数).
pub fn band_of(model: &Model, total: Decimal) -> Option<u16> {
    model
        .grades
        .iter()
        .position(|g| total >= g.min)
        .map(|i| i as u16)
}

/// Scores one indicator with every step recorded.
pub fn trace_leaf(
    class: &ClassModel,
    li: LeafId,
    ov: Option<&Override>,
    row: &[Option<Decimal>],
    months: u8,
) -> (LeafOutcome, Vec<Step>) {
    let mut tr = crate::explain::Trace::default();
    let out = leaf_score(class, li, ov, row, months, &mut tr);
    (out, tr.0)
}
