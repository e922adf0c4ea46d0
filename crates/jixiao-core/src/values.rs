//! Values as the engine reads them: every reported number indexed by unit, element and period,
//! with where it came from; and the rules that turn them into the number an indicator needs for
//! a period (aggregating quarters into a year, evaluating computed elements, 同比/环比).

use crate::data::{DataSet, SharedCode};
use crate::formula::{EvalError, Shift};
use crate::issue::{Issue, Issues, Location};
use crate::model::{ElemId, Model, UnitId, suggest};
use crate::period::Period;
use crate::scheme::{Aggregate, ValueKind};
use crate::text::Text;
use rust_decimal::Decimal;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// Where a stored value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A row of the data file.
    Row { row: u32 },
    /// Set through the API or a what-if change.
    Set,
}

#[derive(Debug, Clone, Default)]
struct Table {
    cells: Vec<Option<Decimal>>,
    /// The data-file row of each cell; 0 when it was set otherwise.
    rows: Vec<u32>,
}

const NONE: u32 = u32::MAX;

/// Where each (unit, element) lives in a period's table: a unit has a column only for the
/// elements its class reads (directly or through computed elements), so a district whose
/// classes use different elements does not pay for every element of every class.
#[derive(Debug)]
struct Layout {
    row_start: Vec<u32>,
    /// Per unit, its class (index into `cols`), or NONE.
    unit_class: Vec<u32>,
    /// Per class, each element's column, or NONE.
    cols: Vec<Vec<u32>>,
    cells: usize,
}

impl Layout {
    fn new(model: &Model) -> Layout {
        let cols: Vec<Vec<u32>> = model
            .classes
            .iter()
            .map(|c| {
                let mut used = vec![false; model.elements.len()];
                for s in &c.slots {
                    mark_deps(model, s.elem, &mut used);
                }
                let mut next = 0u32;
                used.iter()
                    .map(|&u| {
                        if u {
                            next += 1;
                            next - 1
                        } else {
                            NONE
                        }
                    })
                    .collect()
            })
            .collect();
        let widths: Vec<u32> = cols
            .iter()
            .map(|c| c.iter().filter(|&&x| x != NONE).count() as u32)
            .collect();
        let mut row_start = Vec::with_capacity(model.units.len());
        let mut unit_class = Vec::with_capacity(model.units.len());
        let mut at = 0u32;
        for u in &model.units {
            row_start.push(at);
            match u.class {
                Some((c, _)) => {
                    unit_class.push(c);
                    at += widths[c as usize];
                }
                None => unit_class.push(NONE),
            }
        }
        Layout {
            row_start,
            unit_class,
            cols,
            cells: at as usize,
        }
    }

    #[inline]
    fn index(&self, unit: UnitId, elem: ElemId) -> Option<usize> {
        let c = *self.unit_class.get(unit as usize)?;
        if c == NONE {
            return None;
        }
        let col = self.cols[c as usize][elem as usize];
        (col != NONE).then(|| (self.row_start[unit as usize] + col) as usize)
    }
}

/// All values of one data set: compact tables per period, plus the few values that no class
/// reads (kept, never scored).
#[derive(Debug, Clone)]
pub struct Values {
    /// The data file's name, for explanations.
    pub file: String,
    layout: std::sync::Arc<Layout>,
    tables: BTreeMap<Period, Table>,
    extra: BTreeMap<(Period, UnitId, ElemId), (Decimal, Origin)>,
    notes: HashMap<(UnitId, ElemId, Period), String>,
}

/// Why no value could be found for an element.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Why {
    /// Nothing reported for this element and period.
    NotReported {
        elem: ElemId,
        period: Period,
    },
    /// The element is reported less often than the period asked for (annual data in a quarter).
    Coarser {
        elem: ElemId,
        period: Period,
    },
    /// A computed element divides by zero.
    DivisionByZero {
        elem: ElemId,
        period: Period,
    },
    Overflow {
        elem: ElemId,
        period: Period,
    },
}

/// A file's codes looked up by the address of their one shared copy (`SharedCode`): a file
/// names a few thousand codes millions of times, and the model's maps hash the text with
/// SipHash. Bounded, for rows made one by one elsewhere (each with its own copy).
struct ByAddress<T>(rustc_hash::FxHashMap<usize, Option<T>>);

impl<T> Default for ByAddress<T> {
    fn default() -> Self {
        ByAddress(Default::default())
    }
}

impl<T: Copy> ByAddress<T> {
    fn get(&mut self, code: &SharedCode, look_up: impl FnOnce(&str) -> Option<T>) -> Option<T> {
        let at = std::sync::Arc::as_ptr(code) as usize;
        if let Some(id) = self.0.get(&at) {
            return *id;
        }
        let id = look_up(code);
        if self.0.len() < 1 << 16 {
            self.0.insert(at, id);
        }
        id
    }
}

impl Values {
    pub fn empty(model: &Model, file: &str) -> Values {
        Values {
            file: file.to_owned(),
            layout: std::sync::Arc::new(Layout::new(model)),
            tables: BTreeMap::new(),
            extra: BTreeMap::new(),
            notes: HashMap::new(),
        }
    }

    /// Checks every record against the model and stores it. All problems are reported at once;
    /// values are returned only when there are no errors.
    pub fn build(model: &Model, data: &DataSet) -> Result<(Values, Issues), Issues> {
        Values::build_noting_repeats(model, data).0
    }

    /// [`Values::build`], also telling whether a row wrote a value another row had written
    /// (the same unit, element and period): for data read without its duplicate check
    /// ([`crate::data::read_csv_deferring_duplicates`]), which the caller then runs.
    pub fn build_noting_repeats(
        model: &Model,
        data: &DataSet,
    ) -> (Result<(Values, Issues), Issues>, bool) {
        let mut repeated = false;
        let mut v = Values::empty(model, &data.file);
        let mut issues = Issues::new();
        let file = data.file.as_str();
        let [ucol, icol, pcol, vcol] = &data.columns;
        let year = model.scheme.year;
        let mut unused: BTreeMap<(ElemId, u32), (usize, usize)> = BTreeMap::new();
        let (mut unit_of, mut elem_of) = (ByAddress::default(), ByAddress::default());
        for r in &data.records {
            let row = r.row;
            let unit = unit_of.get(&r.unit, |c| model.unit(c));
            let Some(uid) = unit else {
                let by_name = model
                    .units
                    .iter()
                    .find(|u| *u.name.zh == *r.unit || *u.name.en == *r.unit);
                let hint = match by_name {
                    Some(u) => Some(Text::new(
                        format!("“{}”是单位名称，请填写单位代码“{}”", r.unit, u.code),
                        format!("`{}` is a unit's name; write its code `{}`", r.unit, u.code),
                    )),
                    None => suggest(&r.unit, model.units.iter().map(|u| u.code.as_str()))
                        .map(|s| crate::t!("是否应为“{s}”？", "did you mean `{s}`?")),
                };
                let u = &r.unit;
                let mut i = Issue::error(
                    "unknown_unit",
                    file,
                    Location::cell(row, ucol),
                    crate::t!(
                        "组织文件中没有单位“{u}”",
                        "unit `{u}` is not in the organisation file"
                    ),
                );
                i.hint = hint;
                issues.push(i);
                continue;
            };
            let Some((cid, _)) = model.class_of(uid) else {
                let u = &r.unit;
                issues.push(Issue::error("unit_not_assessed", file, Location::cell(row, ucol), crate::t!("单位“{u}”不参加本方案考核（未分类或类别不在本方案中）", "unit `{u}` is not assessed by this scheme (no class, or its class is not in the scheme)")));
                continue;
            };
            let elem = elem_of.get(&r.item, |c| model.element(c));
            let Some(eid) = elem else {
                let by_name = model
                    .elements
                    .iter()
                    .find(|e| *e.def.name.zh == *r.item || *e.def.name.en == *r.item);
                let hint = match by_name {
                    Some(e) => Some(Text::new(
                        format!("“{}”是数据项名称，请填写代码“{}”", r.item, e.code),
                        format!(
                            "`{}` is an element's name; write its code `{}`",
                            r.item, e.code
                        ),
                    )),
                    None => suggest(&r.item, model.elements.iter().map(|e| e.code.as_str()))
                        .map(|s| crate::t!("是否应为“{s}”？", "did you mean `{s}`?")),
                };
                let it = &r.item;
                let mut i = Issue::error(
                    "unknown_item",
                    file,
                    Location::cell(row, icol),
                    crate::t!(
                        "方案中没有数据项“{it}”",
                        "the scheme has no data element `{it}`"
                    ),
                );
                i.hint = hint;
                issues.push(i);
                continue;
            };
            let e = &model.elements[eid as usize];
            let code = &e.code;
            if e.formula.is_some() {
                issues.push(
                    Issue::error(
                        "computed_item",
                        file,
                        Location::cell(row, icol),
                        crate::t!(
                            "“{code}”是计算数据项，由公式算出，不能直接填报",
                            "`{code}` is computed by a formula and cannot be reported"
                        ),
                    )
                    .with_hint(crate::t!(
                        "填报它所用到的数据项",
                        "report the elements it is computed from"
                    )),
                );
                continue;
            }
            if e.rollup.is_some() || e.responsibility {
                issues.push(Issue::error(
                    "rolled_up_item",
                    file,
                    Location::cell(row, icol),
                    crate::t!(
                        "“{code}”由考核结果汇总得出（下级汇总或责任链），不能直接填报",
                        "`{code}` is computed from results (a roll-up or a responsibility rate) and cannot be reported"
                    ),
                ));
                continue;
            }
            let p = r.period;
            if p.year_number() != year && p.year_number() + 1 != year {
                let py = p.year_number();
                let prev = year - 1;
                issues.push(Issue::error("period_out_of_scope", file, Location::cell(row, pcol), crate::t!("期间{p}不在方案年度{year}（或上年{prev}，用于同比）内", "period {p} is outside the scheme year {year} (or {prev}, for year-on-year)")).with_hint(crate::t!("检查年份是否写错（{py}）", "check the year ({py})")));
                continue;
            }
            if p.granularity() != e.def.frequency {
                let f = e.def.frequency.name();
                let g = p.granularity().name();
                let (fz, fe, gz, ge) = (&f.zh, &f.en, &g.zh, &g.en);
                issues.push(Issue::error(
                    "wrong_frequency",
                    file,
                    Location::cell(row, pcol),
                    crate::t!(
                        "数据项“{code}”按{fz}填报，而期间{p}是{gz}",
                        "element `{code}` is reported per {fe}, but {p} is a {ge}"
                    ),
                ));
                continue;
            }
            if r.percent_sign && e.def.kind != ValueKind::Percent {
                issues.push(Issue::error(
                    "percent_sign",
                    file,
                    Location::cell(row, vcol),
                    crate::t!(
                        "数据项“{code}”不是百分比，数值不能带%",
                        "element `{code}` is not a percentage; write the number without %"
                    ),
                ));
                continue;
            }
            if let Some(msg) = range_problem(&e.def, r.value) {
                issues.push(Issue::error(
                    "out_of_range",
                    file,
                    Location::cell(row, vcol),
                    msg,
                ));
                continue;
            }
            if v.layout.index(uid, eid).is_none() {
                let entry = unused.entry((eid, cid)).or_insert((row, 0));
                entry.1 += 1;
            }
            repeated |= v.put(uid, eid, p, Some(r.value), Origin::Row { row: row as u32 });
            if let Some(n) = &r.note {
                v.notes.insert((uid, eid, p), n.to_string());
            }
        }
        for ((eid, cid), (row, n)) in unused {
            let (code, class) = (
                &model.elements[eid as usize].code,
                &model.classes[cid as usize].name.zh,
            );
            let class_en = &model.classes[cid as usize].code;
            issues.push(Issue::warning("unused_value", file, Location::Cell { row, column: Some(icol.clone()) }, crate::t!("“{class}”类别不使用数据项“{code}”，共{n}行（首见此行）未参与计分", "class `{class_en}` does not use element `{code}`: {n} row(s), first here, are not scored")));
        }
        (issues.into_result(v), repeated)
    }

    fn table_mut(&mut self, p: Period) -> &mut Table {
        let n = self.layout.cells;
        self.tables.entry(p).or_insert_with(|| Table {
            cells: vec![None; n],
            rows: vec![0; n],
        })
    }

    /// Stores (or with `None` removes) a value; tells whether there was one before.
    pub fn put(
        &mut self,
        unit: UnitId,
        elem: ElemId,
        period: Period,
        value: Option<Decimal>,
        origin: Origin,
    ) -> bool {
        let had = match self.layout.index(unit, elem) {
            Some(i) => {
                let t = self.table_mut(period);
                let had = t.cells[i].is_some();
                t.cells[i] = value;
                t.rows[i] = match origin {
                    Origin::Row { row } => row,
                    Origin::Set => 0,
                };
                had
            }
            None => match value {
                Some(v) => self
                    .extra
                    .insert((period, unit, elem), (v, origin))
                    .is_some(),
                None => self.extra.remove(&(period, unit, elem)).is_some(),
            },
        };
        if value.is_none() {
            self.notes.remove(&(unit, elem, period));
        }
        had
    }

    /// The stored value, exactly as reported.
    pub fn get(&self, unit: UnitId, elem: ElemId, period: Period) -> Option<Decimal> {
        match self.layout.index(unit, elem) {
            Some(i) => self.tables.get(&period).and_then(|t| t.cells[i]),
            None => self.extra.get(&(period, unit, elem)).map(|(v, _)| *v),
        }
    }

    pub fn origin(&self, unit: UnitId, elem: ElemId, period: Period) -> Option<Origin> {
        match self.layout.index(unit, elem) {
            Some(i) => self.tables.get(&period).and_then(|t| {
                t.cells[i].map(|_| match t.rows[i] {
                    0 => Origin::Set,
                    row => Origin::Row { row },
                })
            }),
            None => self.extra.get(&(period, unit, elem)).map(|(_, o)| *o),
        }
    }

    pub fn note(&self, unit: UnitId, elem: ElemId, period: Period) -> Option<&str> {
        self.notes.get(&(unit, elem, period)).map(String::as_str)
    }

    /// Periods that hold at least one value.
    pub fn periods(&self) -> impl Iterator<Item = Period> + '_ {
        let mut ps: Vec<Period> = self
            .tables
            .iter()
            .filter(|(_, t)| t.cells.iter().any(Option::is_some))
            .map(|(p, _)| *p)
            .collect();
        ps.extend(self.extra.keys().map(|(p, _, _)| *p));
        ps.sort();
        ps.dedup();
        ps.into_iter()
    }

    /// A fast reader for an element stored as reported for exactly `period` (no formula, no
    /// aggregation, no carry): the common case, read without going through [`Values::resolve`].
    /// `class` is the class of the units that will be read.
    pub fn direct(
        &self,
        model: &Model,
        class: crate::model::ClassId,
        elem: ElemId,
        period: Period,
    ) -> Option<Direct<'_>> {
        let e = &model.elements[elem as usize];
        let col = *self.layout.cols.get(class as usize)?.get(elem as usize)?;
        (e.formula.is_none() && e.def.frequency == period.granularity() && col != NONE).then(|| {
            Direct {
                cells: self.tables.get(&period).map(|t| t.cells.as_slice()),
                row_start: &self.layout.row_start,
                col,
                absent_is_zero: e.def.absent_is_zero,
            }
        })
    }

    /// The number an element has for a unit and period: the reported value, the aggregate of
    /// finer reports, or a computed element's formula.
    pub fn resolve(
        &self,
        model: &Model,
        unit: UnitId,
        elem: ElemId,
        period: Period,
    ) -> Result<Decimal, Why> {
        let e = &model.elements[elem as usize];
        if let Some((_, expr)) = &e.formula {
            let why = RefCell::new(None);
            let lookup =
                |(d, s): (ElemId, Shift)| match self.resolve(model, unit, d, shift(period, s)) {
                    Ok(v) => Some(v),
                    Err(w) => {
                        why.borrow_mut().get_or_insert(w);
                        None
                    }
                };
            return match expr.num(&lookup) {
                Ok(v) => Ok(v),
                Err(EvalError::Missing(_)) => Err(why
                    .into_inner()
                    .unwrap_or(Why::NotReported { elem, period })),
                Err(EvalError::DivisionByZero) => Err(Why::DivisionByZero { elem, period }),
                Err(EvalError::Overflow) => Err(Why::Overflow { elem, period }),
            };
        }
        let freq = e.def.frequency;
        let raw = |p: Period| match self.get(unit, elem, p) {
            Some(v) => Ok(v),
            None if e.def.absent_is_zero => Ok(Decimal::ZERO),
            None => Err(Why::NotReported { elem, period: p }),
        };
        if period.granularity() == freq {
            return raw(period);
        }
        if period.granularity() > freq {
            return match (e.def.carry, period.containing(freq)) {
                (true, Some(outer)) => raw(outer),
                _ => Err(Why::Coarser { elem, period }),
            };
        }
        let parts = period.parts(freq);
        let agg = e.def.aggregate;
        if agg == Aggregate::None {
            return Err(Why::NotReported { elem, period });
        }
        let mut vals = Vec::with_capacity(parts.len());
        for p in &parts {
            vals.push(raw(*p)?);
        }
        combine(agg, &vals).ok_or(Why::Overflow { elem, period })
    }
}

/// See [`Values::direct`]; gives exactly what [`Values::resolve`] gives for such elements.
pub struct Direct<'a> {
    cells: Option<&'a [Option<Decimal>]>,
    row_start: &'a [u32],
    col: u32,
    absent_is_zero: bool,
}

impl Direct<'_> {
    /// The value for `unit`, which must be a member of the class the reader was made for.
    #[inline]
    pub fn get(&self, unit: UnitId) -> Option<Decimal> {
        let v = self
            .cells
            .and_then(|c| c[(self.row_start[unit as usize] + self.col) as usize]);
        if v.is_none() && self.absent_is_zero {
            Some(Decimal::ZERO)
        } else {
            v
        }
    }
}

/// The period a shifted read refers to.
pub fn shift(period: Period, s: Shift) -> Period {
    match s {
        Shift::Current => period,
        Shift::Previous => period.previous(),
        Shift::YearEarlier => period.year_earlier(),
    }
}

/// Combines the parts of a period.
pub fn combine(agg: Aggregate, vals: &[Decimal]) -> Option<Decimal> {
    let mut it = vals.iter().copied();
    let first = it.next()?;
    match agg {
        Aggregate::None => None,
        Aggregate::Sum => it.try_fold(first, |a, b| a.checked_add(b)),
        Aggregate::Mean => it
            .try_fold(first, |a, b| a.checked_add(b))
            .and_then(|s| s.checked_div(Decimal::from(vals.len()))),
        Aggregate::Last => vals.last().copied(),
        Aggregate::Max => Some(it.fold(first, Decimal::max)),
        Aggregate::Min => Some(it.fold(first, Decimal::min)),
    }
}

/// Marks `elem` and everything it is computed from.
fn mark_deps(model: &Model, elem: ElemId, used: &mut [bool]) {
    if used[elem as usize] {
        return;
    }
    used[elem as usize] = true;
    if let Some((_, expr)) = &model.elements[elem as usize].formula {
        let mut vars = Vec::new();
        expr.vars(&mut vars);
        for (d, _) in vars {
            mark_deps(model, d, used);
        }
    }
}

/// Elements whose resolved value may change when `elem` changes (itself included).
pub fn dependents(model: &Model, elem: ElemId) -> Vec<ElemId> {
    let mut out = vec![elem];
    for &e in &model.element_order {
        if let Some((_, expr)) = &model.elements[e as usize].formula {
            let mut vars = Vec::new();
            expr.vars(&mut vars);
            if vars.iter().any(|(d, _)| out.contains(d)) && !out.contains(&e) {
                out.push(e);
            }
        }
    }
    out
}

/// A value outside what the element allows, said in words.
pub fn range_problem(e: &crate::scheme::Element, v: Decimal) -> Option<Text> {
    // Written out only for a message: this runs on every value of every file.
    let f = |d: Decimal| d.normalize().to_string();
    let min = e.min.or(match e.kind {
        ValueKind::Count | ValueKind::Flag | ValueKind::Amount => Some(Decimal::ZERO),
        _ => None,
    });
    let max = e.max.or(match e.kind {
        ValueKind::Flag => Some(Decimal::ONE),
        _ => None,
    });
    if matches!(e.kind, ValueKind::Count | ValueKind::Flag) && !v.fract().is_zero() {
        let vs = f(v);
        return Some(crate::t!(
            "{vs}不是整数；次数、人数等计数必须是整数",
            "{vs} is not a whole number; counts must be whole numbers"
        ));
    }
    if let Some(m) = min.filter(|m| v < *m) {
        let (vs, m) = (f(v), f(m));
        return Some(crate::t!(
            "{vs}小于允许的最小值{m}",
            "{vs} is below the allowed minimum {m}"
        ));
    }
    if let Some(m) = max.filter(|m| v > *m) {
        let (vs, m) = (f(v), f(m));
        return Some(crate::t!(
            "{vs}大于允许的最大值{m}",
            "{vs} is above the allowed maximum {m}"
        ));
    }
    None
}
