//! The compiled model: a scheme and an organisation checked against each other and turned into
//! indexed structures the engine can run fast. Building it is where validation happens; a
//! [`Model`] that exists is valid.

use crate::code::{Code, Ident};
use crate::doc::SourceText;
use crate::formula::{self, Expr, Resolved, Shift, Ty};
use crate::issue::{Issue, Issues};
use crate::org::{Level, Org};
use crate::scheme::{
    Adjustment, Aggregate, Class, ClassKind, CmpOp, CoefficientMode, Dimension, Direction,
    Indicator, Method, MethodKind, MissingPolicy, Module, Scheme, SchemeKind, Source, ValueKind,
    Veto, VetoEffect, ZeroActual,
};
use crate::text::Text;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

pub type ElemId = u32;
pub type UnitId = u32;
pub type ClassId = u32;
pub type NodeId = u32;
pub type LeafId = u32;
pub type SlotId = u32;

/// A value a class reads for each of its units: an element at the scored period or shifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot {
    pub elem: ElemId,
    pub shift: Shift,
}

#[derive(Debug, Clone)]
pub struct ElementModel {
    pub code: Ident,
    pub def: crate::scheme::Element,
    /// For computed elements: the formula over other elements.
    pub formula: Option<(String, Expr<(ElemId, Shift)>)>,
    /// For roll-up elements (`source = "children"`): what they measure over which class.
    pub rollup: Option<Rollup>,
    /// `source = "responsibility"`: the share-weighted district-wide rate of the indicators the
    /// unit answers for (五链).
    pub responsibility: bool,
}

/// A roll-up element compiled: the children's class, the measure, the grade it counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rollup {
    pub class: ClassId,
    pub measure: crate::scheme::ChildrenMeasure,
    /// Index into [`Model::grades`] (best first) for the graded measures.
    pub grade: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct UnitModel {
    pub code: Code,
    pub name: Text,
    pub level: Level,
    pub parent: Option<UnitId>,
    /// The class this unit is scored in by this scheme, and its position among the members.
    pub class: Option<(ClassId, u32)>,
    /// Per-leaf overrides (own target, elastic coefficient), sorted by leaf.
    pub overrides: Vec<(LeafId, Override)>,
    /// Position in the organisation file's `units` list.
    pub org_index: usize,
}

/// What is special about one indicator for one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The unit's own target (目标分解), if it has one.
    pub unit_target: Option<Decimal>,
    /// The elastic coefficient and where it was set (the indicator's or a module's code and
    /// name).
    pub coefficient: Option<(Decimal, Ident, Text)>,
    /// The target after the coefficient in target mode (precomputed, used by the engine).
    pub target: Option<Decimal>,
    /// The coefficient applied to the score in score mode.
    pub score_k: Option<Decimal>,
}

#[derive(Debug, Clone)]
pub struct NodeModel {
    pub code: Ident,
    pub name: Text,
    pub points: Decimal,
    pub parent: Option<NodeId>,
    pub children: Vec<Child>,
    pub redistribute_to: Option<NodeId>,
    pub dimension: Option<Dimension>,
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    Node(NodeId),
    Leaf(LeafId),
}

/// A variable of a scoring formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FVar {
    Slot(SlotId),
    /// The indicator's points.
    W,
    /// The (effective) target.
    T,
    /// The actual value.
    A,
}

#[derive(Debug, Clone)]
pub struct CountModel {
    pub slot: SlotId,
    pub per: Decimal,
    pub max: Option<Decimal>,
}

/// A qualitative band as a range of percentages of the points.
#[derive(Debug, Clone, PartialEq)]
pub struct QualBand {
    pub name: Text,
    pub min: Decimal,
    pub max: Decimal,
}

#[derive(Debug, Clone)]
pub enum MethodModel {
    Ratio {
        /// The cap as a multiple of the points; `None` is 1 (the common case, no multiply).
        max_ratio: Option<Decimal>,
        zero_actual: ZeroActual,
    },
    Threshold {
        op: CmpOp,
    },
    Linear {
        floor: Decimal,
    },
    Qualitative {
        band_slot: Option<SlotId>,
        bands: Vec<QualBand>,
        /// The rating is entered in points (else in percent of the points).
        in_points: bool,
    },
    Deduction {
        items: Vec<CountModel>,
    },
    Bonus {
        items: Vec<CountModel>,
    },
    Rank {
        step: Decimal,
        min: Decimal,
    },
    Formula {
        text: String,
        expr: Expr<FVar>,
        allow_over: bool,
    },
}

#[derive(Debug, Clone)]
pub enum Actual {
    /// No single actual value (deduction/bonus scored from their item counts).
    None,
    Slot(SlotId),
    Formula(String, Expr<SlotId>),
}

#[derive(Debug, Clone)]
pub struct LeafModel {
    pub code: Ident,
    pub name: Text,
    pub unit: String,
    pub direction: Direction,
    pub points: Decimal,
    pub parent: NodeId,
    pub method: MethodModel,
    pub kind: MethodKind,
    pub target: Option<Decimal>,
    pub elastic: bool,
    pub coefficient_mode: CoefficientMode,
    /// The target is annual and is prorated for shorter periods.
    pub prorate: bool,
    pub missing: MissingPolicy,
    pub actual: Actual,
    pub source: Source,
    pub lead: Option<UnitId>,
    /// Cooperating departments (配合单位).
    pub cooperating: Vec<UnitId>,
    /// Shares of responsibility in percent: the lead's, and each cooperating department's.
    pub shares: (Decimal, Decimal),
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct AdjModel {
    pub code: Ident,
    pub name: Text,
    pub slot: SlotId,
    pub per: Decimal,
    pub max: Option<Decimal>,
    pub missing: MissingPolicy,
}

#[derive(Debug, Clone)]
pub enum VetoTrigger {
    Slot(SlotId),
    Condition(String, Expr<SlotId>),
}

#[derive(Debug, Clone)]
pub struct VetoModel {
    pub code: Ident,
    pub name: Text,
    pub trigger: VetoTrigger,
    pub effect: VetoEffect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieKey {
    Node(NodeId),
    Leaf(LeafId),
}

#[derive(Debug, Clone)]
pub struct ClassModel {
    pub code: Ident,
    pub name: Text,
    pub kind: ClassKind,
    /// Nodes; 0 is the class itself (its points are the full marks).
    pub nodes: Vec<NodeModel>,
    pub leaves: Vec<LeafModel>,
    /// Nodes with children before parents.
    pub postorder: Vec<NodeId>,
    pub bonus: Vec<AdjModel>,
    pub deductions: Vec<AdjModel>,
    pub vetoes: Vec<VetoModel>,
    pub tie_break: Vec<TieKey>,
    /// Units scored in this class, by code.
    pub members: Vec<UnitId>,
    pub slots: Vec<Slot>,
    /// For each slot, the leaves that read it.
    pub slot_leaves: Vec<Vec<LeafId>>,
    /// Leaves scored by rank among peers (they depend on every member).
    pub rank_leaves: Vec<LeafId>,
}

#[derive(Debug, Clone)]
pub struct GradeModel {
    pub code: Ident,
    pub name: Text,
    pub min: Decimal,
}

#[derive(Debug, Clone)]
pub struct QuotaModel {
    pub grade: usize,
    pub share: Decimal,
    pub rounding: crate::scheme::QuotaRounding,
    pub demote_to: usize,
    pub unresolved_tie: crate::scheme::UnresolvedTie,
}

/// A valid scheme compiled against a valid organisation.
#[derive(Debug, Clone)]
pub struct Model {
    pub scheme: Scheme,
    pub org: Org,
    pub elements: Vec<ElementModel>,
    pub element_ix: HashMap<Ident, ElemId>,
    pub units: Vec<UnitModel>,
    pub unit_ix: HashMap<Code, UnitId>,
    pub classes: Vec<ClassModel>,
    pub class_ix: HashMap<Ident, ClassId>,
    pub grades: Vec<GradeModel>,
    pub quota: Option<QuotaModel>,
    pub veto_grade: usize,
    /// Elements in an order where every computed element comes after what it reads.
    pub element_order: Vec<ElemId>,
    /// The scheme's checks between elements, compiled (index = position in `scheme.checks`).
    pub checks: Vec<CheckModel>,
    /// Classes in the order they are scored: a class whose roll-up elements read another
    /// class's results comes after it.
    pub class_order: Vec<ClassId>,
}

/// A check between elements, compiled.
#[derive(Debug, Clone)]
pub struct CheckModel {
    pub expr: Expr<(ElemId, Shift)>,
    /// The elements it reads (in any period).
    pub elements: Vec<ElemId>,
}

impl Model {
    /// Parses, checks and compiles. Errors and warnings are returned together; the model only
    /// when there are no errors.
    pub fn from_sources(
        scheme: &SourceText<'_>,
        org: &SourceText<'_>,
    ) -> Result<(Model, Issues), Issues> {
        let mut issues = Issues::new();
        let s = scheme.parse::<Scheme>();
        let o = org.parse::<Org>();
        match (s, o) {
            (Ok(s), Ok(o)) => Model::build(s, o, scheme, org),
            (s, o) => {
                if let Err(e) = s {
                    issues.extend(e);
                }
                if let Err(e) = o {
                    issues.extend(e);
                }
                Err(issues)
            }
        }
    }

    /// Checks `scheme` and `org` against each other and compiles them. `scheme_src` and
    /// `org_src` name the files in messages and find paths in their text.
    pub fn build(
        scheme: Scheme,
        org: Org,
        scheme_src: &SourceText<'_>,
        org_src: &SourceText<'_>,
    ) -> Result<(Model, Issues), Issues> {
        let mut b = Builder {
            s: Ctx {
                src: *scheme_src,
                issues: Issues::new(),
                locator: std::cell::OnceCell::new(),
            },
            o: Ctx {
                src: *org_src,
                issues: Issues::new(),
                locator: std::cell::OnceCell::new(),
            },
        };
        let model = b.build(scheme, org);
        let mut issues = b.s.issues;
        issues.extend(b.o.issues);
        match model {
            Some(m) if !issues.has_errors() => Ok((m, issues)),
            _ => Err(issues),
        }
    }

    pub fn unit(&self, code: &str) -> Option<UnitId> {
        self.unit_ix.get(code).copied()
    }

    pub fn element(&self, code: &str) -> Option<ElemId> {
        self.element_ix.get(code).copied()
    }

    pub fn class_of(&self, unit: UnitId) -> Option<(ClassId, u32)> {
        self.units.get(unit as usize).and_then(|u| u.class)
    }

    pub fn find_leaf(&self, class: ClassId, code: &str) -> Option<LeafId> {
        self.classes
            .get(class as usize)?
            .leaves
            .iter()
            .position(|l| l.code.as_str() == code)
            .map(|i| i as LeafId)
    }

    /// The override of `leaf` for `unit`, if any.
    pub fn override_of(&self, unit: UnitId, leaf: LeafId) -> Option<&Override> {
        let u = self.units.get(unit as usize)?;
        u.overrides
            .binary_search_by_key(&leaf, |(l, _)| *l)
            .ok()
            .map(|i| &u.overrides[i].1)
    }

    pub fn display_decimals(&self) -> u32 {
        self.scheme.rules.display_decimals
    }
}

struct Ctx<'a> {
    src: SourceText<'a>,
    issues: Issues,
    /// The document parsed for locating paths, on the first problem only.
    locator: std::cell::OnceCell<crate::doc::Locator<'a>>,
}

impl Ctx<'_> {
    fn locate(&self, path: &str) -> crate::issue::Location {
        self.locator.get_or_init(|| self.src.locator()).locate(path)
    }

    fn add(&mut self, issue: Issue) -> &mut Issue {
        let i = self.issues.len();
        self.issues.push(issue);
        &mut self.issues.0[i]
    }

    fn err(&mut self, code: &'static str, path: &str, msg: Text) -> &mut Issue {
        let loc = self.locate(path);
        let issue = Issue::error(code, self.src.name, loc, msg);
        self.add(issue)
    }

    fn warn(&mut self, code: &'static str, path: &str, msg: Text) -> &mut Issue {
        let loc = self.locate(path);
        let issue = Issue::warning(code, self.src.name, loc, msg);
        self.add(issue)
    }
}

struct Builder<'a> {
    s: Ctx<'a>,
    o: Ctx<'a>,
}

fn fmt(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Closest candidate by edit distance, for "did you mean" hints.
pub fn suggest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let w: Vec<char> = word.chars().collect();
    candidates
        .map(|c| {
            let cc: Vec<char> = c.chars().collect();
            let mut prev: Vec<usize> = (0..=cc.len()).collect();
            for (i, a) in w.iter().enumerate() {
                let mut cur = vec![i + 1];
                for (j, b) in cc.iter().enumerate() {
                    cur.push(
                        (prev[j] + usize::from(a != b))
                            .min(prev[j + 1] + 1)
                            .min(cur[j] + 1),
                    );
                }
                prev = cur;
            }
            (prev[cc.len()], c)
        })
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 4) && *d < w.len().max(1))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

struct ClassBuild {
    slots: Vec<Slot>,
    slot_ix: HashMap<Slot, SlotId>,
}

impl ClassBuild {
    fn slot(&mut self, s: Slot) -> SlotId {
        if let Some(&i) = self.slot_ix.get(&s) {
            return i;
        }
        let i = self.slots.len() as SlotId;
        self.slots.push(s);
        self.slot_ix.insert(s, i);
        i
    }
}

impl Builder<'_> {
    fn build(&mut self, scheme: Scheme, org: Org) -> Option<Model> {
        self.check_header(&scheme);
        let (grades, quota, veto_grade) = self.grades(&scheme);
        let (units, unit_ix) = self.units(&org);
        let (elements, element_ix, element_order) = self.elements(&scheme, &unit_ix, &units);
        let mut classes = Vec::new();
        let mut class_ix = HashMap::new();
        for (code, class) in &scheme.classes {
            if let Some(c) = self.class(code, class, &scheme, &element_ix, &unit_ix, &units) {
                class_ix.insert(code.clone(), classes.len() as ClassId);
                classes.push(c);
            }
        }
        let checks = self.checks(&scheme, &element_ix);
        let mut model = Model {
            checks,
            scheme,
            org,
            elements,
            element_ix,
            units,
            unit_ix,
            classes,
            class_ix,
            grades,
            quota,
            veto_grade,
            element_order,
            class_order: Vec::new(),
        };
        self.assign_members(&mut model);
        self.rollups(&mut model);
        self.year_results(&model);
        self.unused_elements(&model);
        self.warnings(&model);
        for (code, path, message) in crate::applications::check(&model) {
            self.s.err(code, &path, message);
        }
        Some(model)
    }

    /// Roll-up elements (`source = "children"`): the class they read, the measure's grade, and
    /// an order of the classes in which every class comes after the classes it rolls up. One
    /// level: a class that is rolled up may not itself read roll-ups; a roll-up is read by
    /// indicators directly (not by formulas, checks or warnings, and only for the current
    /// period).
    fn rollups(&mut self, m: &mut Model) {
        let n = m.classes.len();
        let mut reads: Vec<Vec<ClassId>> = vec![Vec::new(); n];
        for (ei, e) in m.elements.clone().iter().enumerate() {
            let path = format!("elements.{}", e.code);
            match (&e.def.children, e.def.source) {
                (None, Source::Children) => {
                    self.s.err(
                        "missing_children",
                        &format!("{path}.children"),
                        t!(
                            "来源为 children 的数据项须写明汇总什么，如 children = {{ class = \"village\", measure = \"mean_total\" }}",
                            "an element with source = \"children\" needs what it rolls up, e.g. children = {{ class = \"village\", measure = \"mean_total\" }}"
                        ),
                    );
                }
                (Some(_), src) if src != Source::Children => {
                    self.s.err(
                        "source_mismatch",
                        &format!("{path}.source"),
                        t!(
                            "由下级单位结果汇总的数据项来源应为 children",
                            "an element rolled up from the children's results must have source = \"children\""
                        ),
                    );
                }
                (Some(spec), _) => {
                    let Some(&class) = m.class_ix.get(&spec.class) else {
                        let k = &spec.class;
                        self.s.err(
                            "unknown_class",
                            &format!("{path}.children.class"),
                            t!("类别“{k}”未定义", "class `{k}` is not defined"),
                        );
                        continue;
                    };
                    let graded = matches!(
                        spec.measure,
                        crate::scheme::ChildrenMeasure::ShareGraded
                            | crate::scheme::ChildrenMeasure::CountGraded
                    );
                    let grade = match (&spec.grade_at_least, graded) {
                        (Some(g), true) => {
                            let ix = m.grades.iter().position(|x| &x.code == g);
                            if ix.is_none() {
                                let known: Vec<&str> =
                                    m.grades.iter().map(|x| x.code.as_str()).collect();
                                let known = known.join(", ");
                                self.s.err(
                                    "unknown_grade",
                                    &format!("{path}.children.grade_at_least"),
                                    t!(
                                        "等次“{g}”未定义（可用：{known}）",
                                        "grade `{g}` is not defined (known: {known})"
                                    ),
                                );
                            }
                            ix
                        }
                        (None, true) => {
                            self.s.err(
                                "missing_grade",
                                &format!("{path}.children.grade_at_least"),
                                t!(
                                    "按等次汇总需写明从哪个等次算起，如 grade_at_least = \"good\"",
                                    "a graded roll-up needs the grade it counts from, e.g. grade_at_least = \"good\""
                                ),
                            );
                            None
                        }
                        (Some(_), false) => {
                            self.s.err(
                                "grade_not_used",
                                &format!("{path}.children.grade_at_least"),
                                t!(
                                    "只有 share_graded 和 count_graded 使用 grade_at_least",
                                    "only share_graded and count_graded use grade_at_least"
                                ),
                            );
                            None
                        }
                        (None, false) => None,
                    };
                    m.elements[ei].rollup = Some(Rollup {
                        class,
                        measure: spec.measure,
                        grade,
                    });
                }
                _ => {}
            }
        }
        // Who reads a roll-up, and how.
        for (ci, c) in m.classes.iter().enumerate() {
            for slot in &c.slots {
                let Some(r) = m.elements[slot.elem as usize].rollup else {
                    continue;
                };
                let e = &m.elements[slot.elem as usize].code;
                let k = &c.code;
                if r.class as usize == ci {
                    self.s.err(
                        "rollup_of_itself",
                        &format!("elements.{e}.children.class"),
                        t!(
                            "类别“{k}”不能汇总本类别自己的结果",
                            "class `{k}` cannot roll up its own results"
                        ),
                    );
                } else if slot.shift != Shift::Current {
                    self.s.err(
                        "rollup_shifted",
                        &format!("classes.{k}"),
                        t!(
                            "下级汇总数据项“{e}”只能取本期数值（不能用 prev/yoy）",
                            "the roll-up `{e}` is read for the current period only (no prev/yoy)"
                        ),
                    );
                } else if !reads[ci].contains(&r.class) {
                    reads[ci].push(r.class);
                }
            }
        }
        for e in &m.elements {
            if let Some((_, expr)) = &e.formula {
                let mut vars = Vec::new();
                expr.vars(&mut vars);
                for (d, _) in vars {
                    if m.elements[d as usize].rollup.is_some() {
                        let (a, b) = (&e.code, &m.elements[d as usize].code);
                        self.s.err(
                            "rollup_in_formula",
                            &format!("elements.{a}.formula"),
                            t!(
                                "公式不能引用下级汇总数据项“{b}”；请由指标直接使用它",
                                "a formula cannot read the roll-up `{b}`; let an indicator read it directly"
                            ),
                        );
                    }
                }
            }
        }
        for (i, w) in m.scheme.warnings.iter().enumerate() {
            if let Some(&e) = m.element_ix.get(&w.element)
                && m.elements[e as usize].rollup.is_some()
            {
                let c = &w.element;
                self.s.err(
                    "rollup_in_warning",
                    &format!("warnings[{i}].element"),
                    t!(
                        "预警不能设在下级汇总数据项“{c}”上（它不是上报的数值）",
                        "a warning cannot watch the roll-up `{c}` (it is not a reported value)"
                    ),
                );
            }
        }
        for (i, c) in m.checks.iter().enumerate() {
            if c.elements
                .iter()
                .any(|&e| m.elements[e as usize].rollup.is_some())
            {
                self.s.err(
                    "rollup_in_check",
                    &format!("checks[{i}].rule"),
                    t!(
                        "数据校验不能引用下级汇总数据项",
                        "a check cannot read a roll-up element"
                    ),
                );
            }
        }
        for (ci, rs) in reads.iter().enumerate() {
            for &r in rs {
                if !reads[r as usize].is_empty() {
                    let (a, b) = (&m.classes[ci].code, &m.classes[r as usize].code);
                    self.s.err(
                        "rollup_depth",
                        &format!("classes.{a}"),
                        t!(
                            "类别“{b}”被“{a}”汇总，自身不能再汇总其他类别（只支持一级汇总）",
                            "class `{b}` is rolled up by `{a}` and cannot roll up another class itself (one level)"
                        ),
                    );
                }
            }
        }
        // 五链 readers: a class reading a responsibility element is scored after every other
        // class (it reads their indicator scores) and is not rolled up.
        let resp: Vec<bool> = m
            .classes
            .iter()
            .map(|c| {
                c.slots
                    .iter()
                    .any(|s| m.elements[s.elem as usize].responsibility)
            })
            .collect();
        for (ci, c) in m.classes.iter().enumerate() {
            for s in &c.slots {
                let e = &m.elements[s.elem as usize];
                if e.responsibility && s.shift != Shift::Current {
                    let (k, x) = (&c.code, &e.code);
                    self.s.err(
                        "rollup_shifted",
                        &format!("classes.{k}"),
                        t!(
                            "责任链数据项“{x}”只能取本期数值（不能用 prev/yoy）",
                            "the responsibility element `{x}` is read for the current period only (no prev/yoy)"
                        ),
                    );
                }
            }
            if resp[ci] && reads.iter().any(|rs| rs.contains(&(ci as ClassId))) {
                let k = &c.code;
                self.s.err(
                    "rollup_depth",
                    &format!("classes.{k}"),
                    t!(
                        "读取责任链得分率的类别“{k}”不能再被下级汇总",
                        "class `{k}` reads responsibility rates and cannot be rolled up"
                    ),
                );
            }
        }
        for e in &m.elements {
            if let Some((_, expr)) = &e.formula {
                let mut vars = Vec::new();
                expr.vars(&mut vars);
                if vars
                    .iter()
                    .any(|(d, _)| m.elements[*d as usize].responsibility)
                {
                    let a = &e.code;
                    self.s.err(
                        "rollup_in_formula",
                        &format!("elements.{a}.formula"),
                        t!(
                            "公式不能引用责任链数据项；请由指标直接使用它",
                            "a formula cannot read a responsibility element; let an indicator read it directly"
                        ),
                    );
                }
            }
        }
        for (i, w) in m.scheme.warnings.iter().enumerate() {
            if let Some(&e) = m.element_ix.get(&w.element)
                && m.elements[e as usize].responsibility
            {
                let c = &w.element;
                self.s.err(
                    "rollup_in_warning",
                    &format!("warnings[{i}].element"),
                    t!(
                        "预警不能设在责任链数据项“{c}”上",
                        "a warning cannot watch the responsibility element `{c}`"
                    ),
                );
            }
        }
        // Classes read by roll-ups first, then the rest, then the readers of responsibility
        // rates, each in file order.
        let read: Vec<bool> = (0..n)
            .map(|c| reads.iter().any(|rs| rs.contains(&(c as ClassId))))
            .collect();
        m.class_order = (0..n as ClassId)
            .filter(|c| read[*c as usize])
            .chain((0..n as ClassId).filter(|c| !read[*c as usize] && !resp[*c as usize]))
            .chain((0..n as ClassId).filter(|c| resp[*c as usize] && !read[*c as usize]))
            .collect();
    }

    /// A class's year result: shares adding up to 100, periods shorter than a year, one weight
    /// per period (or none), weights not negative and not all zero.
    fn year_results(&mut self, m: &Model) {
        for (code, c) in &m.scheme.classes {
            let Some(y) = &c.year_result else { continue };
            let path = format!("classes.{code}.year_result");
            let sum = y.periodic + y.year_end;
            if sum != Decimal::ONE_HUNDRED
                || y.periodic.is_sign_negative()
                || y.year_end.is_sign_negative()
            {
                let (a, b) = (y.periodic, y.year_end);
                self.s.err(
                    "bad_year_result",
                    &path,
                    t!(
                        "平时考核与年终考核的占比应合计100（{a} + {b} = {sum}）",
                        "the periodic and year-end shares must add up to 100 ({a} + {b} = {sum})"
                    ),
                );
            }
            if y.periods == crate::period::Granularity::Year {
                self.s.err(
                    "bad_year_result",
                    &format!("{path}.periods"),
                    t!(
                        "平时考核的期间应短于一年（quarter、half 或 month）",
                        "the periodic assessments are periods shorter than a year (quarter, half or month)"
                    ),
                );
            } else {
                let n = crate::period::Period::year(m.scheme.year)
                    .parts(y.periods)
                    .len();
                let total: Decimal = y.weights.iter().sum();
                if !y.weights.is_empty()
                    && (y.weights.len() != n
                        || y.weights.iter().any(|w| w.is_sign_negative())
                        || total.is_zero())
                {
                    let k = y.weights.len();
                    self.s.err(
                        "bad_year_result",
                        &format!("{path}.weights"),
                        t!(
                            "权重应为 {n} 个不为负的数（现有 {k} 个），且不能全为0",
                            "weights must be {n} numbers, none negative, not all zero (there are {k})"
                        ),
                    );
                }
            }
        }
    }

    fn check_header(&mut self, s: &Scheme) {
        if s.title.zh.trim().is_empty() {
            self.s.err(
                "empty_title",
                "title.zh",
                t!(
                    "方案标题（中文）不能为空",
                    "the scheme needs a Chinese title"
                ),
            );
        }
        if !(2000..=2100).contains(&s.year) {
            let y = s.year;
            self.s.err(
                "bad_year",
                "year",
                t!(
                    "年度{y}不合理（应在2000–2100之间）",
                    "year {y} is implausible (expected 2000–2100)"
                ),
            );
        }
        if s.version == 0 {
            self.s.err(
                "bad_version",
                "version",
                t!("版本号从1开始", "versions start at 1"),
            );
        }
        let r = &s.rules;
        if r.bonus_cap < Decimal::ZERO {
            self.s.err(
                "negative",
                "rules.bonus_cap",
                t!("加分上限不能为负数", "the bonus cap cannot be negative"),
            );
        }
        if r.deduction_cap.is_some_and(|c| c < Decimal::ZERO) {
            self.s.err(
                "negative",
                "rules.deduction_cap",
                t!("扣分上限不能为负数", "the deduction cap cannot be negative"),
            );
        }
        let [lo, hi] = r.coefficient_range;
        if lo <= Decimal::ZERO || lo > hi {
            let (lo, hi) = (fmt(lo), fmt(hi));
            self.s.err(
                "bad_range",
                "rules.coefficient_range",
                t!("弹性系数范围[{lo}, {hi}]无效：下限应大于0且不大于上限", "coefficient range [{lo}, {hi}] is invalid: the lower end must be above 0 and not above the upper end"),
            );
        }
        if r.display_decimals > 6 {
            self.s.err(
                "bad_decimals",
                "rules.display_decimals",
                t!("显示小数位最多6位", "at most 6 display decimals"),
            );
        }
        for (i, b) in r.qualitative_bands.iter().enumerate() {
            if b.min < Decimal::ZERO || b.max > Decimal::ONE_HUNDRED || b.min > b.max {
                let (lo, hi) = (fmt(b.min), fmt(b.max));
                self.s.err(
                    "bad_band",
                    &format!("rules.qualitative_bands[{i}]"),
                    t!(
                        "定性档次[{lo}%, {hi}%]无效：应满足0 ≤ 下限 ≤ 上限 ≤ 100",
                        "qualitative band [{lo}%, {hi}%] is invalid: need 0 ≤ min ≤ max ≤ 100"
                    ),
                );
            }
        }
        if r.qualitative_bands.is_empty() {
            self.s.err(
                "no_bands",
                "rules.qualitative_bands",
                t!(
                    "至少需要一个定性档次",
                    "at least one qualitative band is needed"
                ),
            );
        }
        for name in s.constants.keys() {
            if s.elements.contains_key(name) {
                self.s.err(
                    "duplicate_code",
                    &format!("constants.{name}"),
                    t!(
                        "常量“{name}”与数据项同名",
                        "constant `{name}` has the same name as a data element"
                    ),
                );
            }
        }
    }

    fn grades(&mut self, s: &Scheme) -> (Vec<GradeModel>, Option<QuotaModel>, usize) {
        let r = &s.rules;
        let grades: Vec<GradeModel> = r
            .grades
            .iter()
            .map(|g| GradeModel {
                code: g.code.clone(),
                name: g.name.clone(),
                min: g.min,
            })
            .collect();
        if grades.is_empty() {
            self.s.err(
                "no_grades",
                "rules.grades",
                t!("至少需要一个等次", "at least one grade band is needed"),
            );
        }
        for (i, w) in grades.windows(2).enumerate() {
            if w[1].min >= w[0].min {
                let (a, b) = (&w[0].name.zh, &w[1].name.zh);
                self.s.err(
                    "grades_order",
                    &format!("rules.grades[{}].min", i + 1),
                    t!(
                        "等次须按分数线从高到低排列：“{b}”的分数线不低于“{a}”",
                        "grade bands must go from highest to lowest: `{b}` is not below `{a}`"
                    ),
                );
            }
        }
        let mut seen = HashMap::new();
        for (i, g) in grades.iter().enumerate() {
            if let Some(j) = seen.insert(g.code.clone(), i) {
                let c = &g.code;
                self.s.err(
                    "duplicate_code",
                    &format!("rules.grades[{i}].code"),
                    t!(
                        "等次代码“{c}”与第{j}项重复",
                        "grade code `{c}` repeats entry {j}"
                    ),
                );
            }
        }
        if let Some(last) = grades.last()
            && last.min > r.total_floor
        {
            let (m, f) = (fmt(last.min), fmt(r.total_floor));
            self.s.err(
                    "grades_gap",
                    &format!("rules.grades[{}].min", grades.len() - 1),
                    t!("最低等次的分数线{m}高于总分下限{f}，部分总分将没有等次", "the lowest band starts at {m}, above the total floor {f}, so some totals would have no grade"),
                )
                .hint = Some(t!("把最低等次的 min 设为 {f}", "set the lowest band's min to {f}"));
        }
        let find = |this: &mut Self, code: &Ident, path: &str| -> usize {
            match grades.iter().position(|g| &g.code == code) {
                Some(i) => i,
                None => {
                    let known = grades
                        .iter()
                        .map(|g| g.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    this.s.err(
                        "unknown_grade",
                        path,
                        t!(
                            "未知等次“{code}”；已定义：{known}",
                            "unknown grade `{code}`; defined: {known}"
                        ),
                    );
                    0
                }
            }
        };
        let quota = r.quota.as_ref().map(|q| {
            if q.share <= Decimal::ZERO || q.share > Decimal::ONE {
                let v = fmt(q.share);
                self.s.err(
                    "bad_share",
                    "rules.quota.share",
                    t!(
                        "名额比例{v}应在0到1之间（如0.30）",
                        "quota share {v} must be above 0 and at most 1 (e.g. 0.30)"
                    ),
                );
            }
            QuotaModel {
                grade: find(self, &q.grade, "rules.quota.grade"),
                share: q.share,
                rounding: q.rounding,
                demote_to: find(self, &q.demote_to, "rules.quota.demote_to"),
                unresolved_tie: q.unresolved_tie,
            }
        });
        if let Some(q) = &quota
            && q.demote_to <= q.grade
            && !grades.is_empty()
        {
            self.s.err(
                "bad_demotion",
                "rules.quota.demote_to",
                t!(
                    "超出名额后应降为更低的等次",
                    "units beyond the quota must drop to a lower grade"
                ),
            );
        }
        let veto_grade = match &r.veto_grade {
            Some(g) => find(self, g, "rules.veto_grade"),
            None => grades.len().saturating_sub(1),
        };
        (grades, quota, veto_grade)
    }

    fn units(&mut self, org: &Org) -> (Vec<UnitModel>, HashMap<Code, UnitId>) {
        let mut ix: HashMap<Code, UnitId> = HashMap::new();
        let mut units: Vec<UnitModel> = Vec::with_capacity(org.units.len());
        for (i, u) in org.units.iter().enumerate() {
            let c = &u.code;
            if *c == org.district.code {
                self.o.err(
                    "duplicate_code",
                    &format!("units[{i}].code"),
                    t!(
                        "单位代码“{c}”与区代码重复",
                        "unit code `{c}` is the district's code"
                    ),
                );
                continue;
            }
            if let Some(&j) = ix.get(c) {
                let j = units[j as usize].org_index;
                self.o.err(
                    "duplicate_code",
                    &format!("units[{i}].code"),
                    t!(
                        "单位代码“{c}”重复（另见 units[{j}]）",
                        "unit code `{c}` is used twice (also units[{j}])"
                    ),
                );
                continue;
            }
            if u.name.zh.trim().is_empty() {
                self.o.err(
                    "empty_name",
                    &format!("units[{i}].name.zh"),
                    t!("单位名称不能为空", "a unit needs a name"),
                );
            }
            ix.insert(c.clone(), units.len() as UnitId);
            units.push(UnitModel {
                code: c.clone(),
                name: u.name.clone(),
                level: u.level,
                parent: None,
                class: None,
                overrides: Vec::new(),
                org_index: i,
            });
        }
        for uid in 0..units.len() {
            let i = units[uid].org_index;
            let u = &org.units[i];
            let path = format!("units[{i}].parent");
            let parent = match &u.parent {
                Some(p) if *p != org.district.code => match ix.get(p) {
                    Some(&pid) => Some(pid),
                    None => {
                        let hint = suggest(p.as_str(), ix.keys().map(Code::as_str))
                            .map(|s| t!("是否应为“{s}”？", "did you mean `{s}`?"));
                        self.o
                            .err(
                                "unknown_unit",
                                &path,
                                t!("上级单位“{p}”不存在", "parent unit `{p}` does not exist"),
                            )
                            .hint = hint;
                        continue;
                    }
                },
                _ => None,
            };
            let allowed = u.level.allowed_parents();
            let ok = match parent {
                None => allowed.is_empty(),
                Some(pid) => allowed.contains(&units[pid as usize].level),
            };
            if !ok {
                let lv = u.level.name();
                let under = parent.map_or(Text::new("区", "the district"), |pid| {
                    units[pid as usize].level.name()
                });
                let (zh, en, uzh, uen) = (&lv.zh, &lv.en, &under.zh, &under.en);
                self.o.err(
                    "bad_parent",
                    &path,
                    t!(
                        "{zh}不能直接隶属于{uzh}",
                        "a {en} cannot sit directly under {uen}"
                    ),
                );
            }
            units[uid].parent = parent;
        }
        // Parent chains must end at the district.
        for start in 0..units.len() {
            let mut seen = vec![start];
            let mut cur = units[start].parent;
            while let Some(p) = cur {
                if p as usize == start {
                    let (c, i) = (&units[start].code, units[start].org_index);
                    self.o.err(
                        "parent_cycle",
                        &format!("units[{i}].parent"),
                        t!(
                            "单位“{c}”的上级关系形成循环",
                            "the parents of `{c}` form a cycle"
                        ),
                    );
                    break;
                }
                if seen.contains(&(p as usize)) {
                    break;
                }
                seen.push(p as usize);
                cur = units[p as usize].parent;
            }
        }
        (units, ix)
    }

    #[allow(clippy::type_complexity)]
    fn elements(
        &mut self,
        s: &Scheme,
        unit_ix: &HashMap<Code, UnitId>,
        units: &[UnitModel],
    ) -> (Vec<ElementModel>, HashMap<Ident, ElemId>, Vec<ElemId>) {
        let ix: HashMap<Ident, ElemId> = s
            .elements
            .keys()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as ElemId))
            .collect();
        let mut out = Vec::new();
        for (code, e) in &s.elements {
            let path = format!("elements.{code}");
            if let (Some(lo), Some(hi)) = (e.min, e.max)
                && lo > hi
            {
                let (lo, hi) = (fmt(lo), fmt(hi));
                self.s.err(
                    "bad_range",
                    &format!("{path}.min"),
                    t!("下限{lo}大于上限{hi}", "min {lo} is above max {hi}"),
                );
            }
            if let Some(l) = &e.lead {
                self.lead(l, &format!("{path}.lead"), unit_ix, units);
            }
            if let Some(spec) = &e.feed {
                if e.source != Source::Fed {
                    self.s.err(
                        "source_mismatch",
                        &format!("{path}.source"),
                        t!(
                            "由数据接口汇总的数据项来源应为 fed",
                            "an element filled by a feed must have source = \"fed\""
                        ),
                    );
                }
                for p in spec.problems(code.as_str()) {
                    self.s.err("bad_feed", &format!("{path}.feed"), p);
                }
            }
            match (&e.rectification, e.source) {
                (None, Source::Rectification) => {
                    self.s.err(
                    "missing_rectification",
                    &format!("{path}.rectification"),
                    t!(
                        "来源为 rectification 的数据项须写明统计什么，如 rectification = {{ measure = \"rate\" }}",
                        "an element with source = \"rectification\" needs what it counts, e.g. rectification = {{ measure = \"rate\" }}"
                    ),
                );
                }
                (Some(_), src) if src != Source::Rectification => {
                    self.s.err(
                    "source_mismatch",
                    &format!("{path}.source"),
                    t!(
                        "按整改任务统计的数据项来源应为 rectification",
                        "an element counted from rectification tasks must have source = \"rectification\""
                    ),
                );
                }
                (Some(spec), _) => {
                    for f in &spec.from {
                        if !crate::scheme::RECTIFICATION_SOURCES.contains(&f.as_str()) {
                            let all = crate::scheme::RECTIFICATION_SOURCES.join(", ");
                            self.s.err(
                                "bad_rectification_source",
                                &format!("{path}.rectification.from"),
                                t!(
                                    "没有“{f}”这种整改来源（{all}）",
                                    "no rectification source `{f}` ({all})"
                                ),
                            );
                        }
                    }
                    for v in &spec.severity {
                        if !crate::scheme::HAZARD_SEVERITIES.contains(&v.as_str()) {
                            self.s.err(
                                "bad_rectification_severity",
                                &format!("{path}.rectification.severity"),
                                t!(
                                    "没有“{v}”这种隐患等级（major 重大、general 一般）",
                                    "no hazard severity `{v}` (major, general)"
                                ),
                            );
                        }
                    }
                }
                _ => {}
            }
            match (&e.enforcement, e.source) {
                (None, Source::Enforcement) => {
                    self.s.err(
                    "missing_enforcement",
                    &format!("{path}.enforcement"),
                    t!(
                        "来源为 enforcement 的数据项须写明统计什么，如 enforcement = {{ measure = \"major_reviewed\" }}",
                        "an element with source = \"enforcement\" needs what it counts, e.g. enforcement = {{ measure = \"major_reviewed\" }}"
                    ),
                );
                }
                (Some(_), src) if src != Source::Enforcement => {
                    self.s.err(
                        "source_mismatch",
                        &format!("{path}.source"),
                        t!(
                            "按执法案件统计的数据项来源应为 enforcement",
                            "an element counted from enforcement cases must have source = \"enforcement\""
                        ),
                    );
                }
                _ => {}
            }
            match (&e.project, e.source) {
                (None, Source::Project) => {
                    self.s.err(
                    "missing_project",
                    &format!("{path}.project"),
                    t!(
                        "来源为 project 的数据项须写明读取项目的什么，如 project = {{ read = \"amount\" }}",
                        "an element with source = \"project\" needs what it reads, e.g. project = {{ read = \"amount\" }}"
                    ),
                );
                }
                (Some(_), src) if src != Source::Project => {
                    self.s.err(
                        "source_mismatch",
                        &format!("{path}.source"),
                        t!(
                            "从预算项目读取的数据项来源应为 project",
                            "an element read from budget projects must have source = \"project\""
                        ),
                    );
                }
                (Some(spec), _) => {
                    let known = crate::scheme::TARGET_CATEGORIES;
                    match (spec.read, spec.category.as_deref()) {
                        (crate::scheme::ProjectRead::Target, Some(c)) if known.contains(&c) => {}
                        (crate::scheme::ProjectRead::Target, c) => {
                            let c = c.unwrap_or("");
                            let all = known.join(", ");
                            self.s.err(
                                "bad_project_category",
                                &format!("{path}.project.category"),
                                t!(
                                    "读取绩效目标须写明指标类别（{all}），而不是“{c}”",
                                    "reading a target needs its category ({all}), not `{c}`"
                                ),
                            );
                        }
                        (_, Some(_)) => {
                            self.s.err(
                                "bad_project_category",
                                &format!("{path}.project.category"),
                                t!(
                                    "只有读取绩效目标（read = \"target\"）才写指标类别",
                                    "only read = \"target\" takes a category"
                                ),
                            );
                        }
                        _ => {}
                    }
                    if e.frequency != crate::period::Granularity::Year {
                        self.s.err(
                            "bad_project_frequency",
                            &format!("{path}.frequency"),
                            t!(
                                "从预算项目读取的数据项按年度填报（frequency = \"year\"）",
                                "an element read from budget projects is annual (frequency = \"year\")"
                            ),
                        );
                    }
                }
                _ => {}
            }
            let formula = match (&e.formula, e.source) {
                (Some(text), _) => {
                    if e.source != Source::Computed {
                        self.s.err(
                            "source_mismatch",
                            &format!("{path}.source"),
                            t!(
                                "有公式的数据项来源应为 computed（计算）",
                                "an element with a formula must have source = \"computed\""
                            ),
                        );
                    }
                    if e.aggregate != Aggregate::None {
                        self.s.err(
                            "aggregate_on_computed",
                            &format!("{path}.aggregate"),
                            t!("计算数据项不需要汇总方式：它在每个期间由公式按该期间的数据计算", "a computed element takes no aggregate: its formula is evaluated on each period's data"),
                        );
                    }
                    if e.carry {
                        self.s.err(
                            "carry_on_computed",
                            &format!("{path}.carry"),
                            t!("计算数据项不能设置 carry：它所用的数据项各自决定是否沿用", "a computed element cannot carry: the elements it reads decide that themselves"),
                        );
                    }
                    let mut resolve =
                        |name: &str, shift: Shift| -> Option<Resolved<(ElemId, Shift)>> {
                            if let Some(&id) = ix.get(name) {
                                return Some(Resolved::Var((id, shift)));
                            }
                            match (shift, s.constants.get(name)) {
                                (Shift::Current, Some(c)) => Some(Resolved::Const(*c)),
                                _ => None,
                            }
                        };
                    match formula::compile(text, Ty::Num, &mut resolve) {
                        Ok(expr) => Some((text.clone(), expr)),
                        Err(fe) => {
                            self.s
                                .err("formula", &format!("{path}.formula"), fe.describe(text));
                            None
                        }
                    }
                }
                (None, Source::Computed) => {
                    self.s.err(
                        "missing_formula",
                        &format!("{path}.formula"),
                        t!(
                            "来源为 computed 的数据项需要公式",
                            "an element with source = \"computed\" needs a formula"
                        ),
                    );
                    None
                }
                (None, _) => None,
            };
            out.push(ElementModel {
                code: code.clone(),
                def: e.clone(),
                formula,
                rollup: None,
                responsibility: e.source == Source::Responsibility,
            });
        }
        let order = self.element_order(&out);
        (out, ix, order)
    }

    /// Topological order of elements; reports cycles between computed elements.
    fn element_order(&mut self, elements: &[ElementModel]) -> Vec<ElemId> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let mut mark = vec![Mark::New; elements.len()];
        let mut order = Vec::with_capacity(elements.len());
        let mut reported = false;
        fn deps(e: &ElementModel) -> Vec<ElemId> {
            let mut v = Vec::new();
            if let Some((_, expr)) = &e.formula {
                let mut vars = Vec::new();
                expr.vars(&mut vars);
                v.extend(vars.into_iter().map(|(id, _)| id));
            }
            v
        }
        for start in 0..elements.len() {
            if mark[start] != Mark::New {
                continue;
            }
            // Iterative DFS keeping the path for the message.
            let mut stack: Vec<(ElemId, Vec<ElemId>, usize)> =
                vec![(start as ElemId, deps(&elements[start]), 0)];
            mark[start] = Mark::Active;
            while let Some((node, ds, i)) = stack.last_mut() {
                if *i < ds.len() {
                    let d = ds[*i];
                    *i += 1;
                    match mark[d as usize] {
                        Mark::New => {
                            mark[d as usize] = Mark::Active;
                            let dd = deps(&elements[d as usize]);
                            stack.push((d, dd, 0));
                        }
                        Mark::Active if !reported => {
                            reported = true;
                            let from = stack.iter().position(|(n, _, _)| *n == d).unwrap_or(0);
                            let mut names: Vec<&str> = stack[from..]
                                .iter()
                                .map(|(n, _, _)| elements[*n as usize].code.as_str())
                                .collect();
                            names.push(elements[d as usize].code.as_str());
                            let cycle = names.join(" → ");
                            let at = &elements[d as usize].code;
                            self.s.err(
                                "formula_cycle",
                                &format!("elements.{at}.formula"),
                                t!(
                                    "计算数据项之间存在循环引用：{cycle}",
                                    "computed elements refer to each other in a cycle: {cycle}"
                                ),
                            );
                        }
                        _ => {}
                    }
                } else {
                    let n = *node;
                    mark[n as usize] = Mark::Done;
                    order.push(n);
                    stack.pop();
                }
            }
        }
        order
    }

    fn lead(
        &mut self,
        code: &Code,
        path: &str,
        unit_ix: &HashMap<Code, UnitId>,
        units: &[UnitModel],
    ) -> Option<UnitId> {
        match unit_ix.get(code) {
            Some(&id) if units[id as usize].level == Level::Department => Some(id),
            Some(_) => {
                self.s.err(
                    "bad_lead",
                    path,
                    t!(
                        "牵头单位“{code}”不是区直部门",
                        "lead department `{code}` is not a department"
                    ),
                );
                None
            }
            None => {
                let hint = suggest(code.as_str(), unit_ix.keys().map(Code::as_str))
                    .map(|s| t!("是否应为“{s}”？", "did you mean `{s}`?"));
                self.s
                    .err(
                        "unknown_unit",
                        path,
                        t!(
                            "牵头单位“{code}”不在组织文件中",
                            "lead department `{code}` is not in the organisation file"
                        ),
                    )
                    .hint = hint;
                None
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn class(
        &mut self,
        code: &Ident,
        class: &Class,
        s: &Scheme,
        element_ix: &HashMap<Ident, ElemId>,
        unit_ix: &HashMap<Code, UnitId>,
        units: &[UnitModel],
    ) -> Option<ClassModel> {
        let path = format!("classes.{code}");
        if class.points <= Decimal::ZERO {
            self.s.err(
                "bad_points",
                &format!("{path}.points"),
                t!("满分必须大于0", "full marks must be above 0"),
            );
            return None;
        }
        if class.modules.is_empty() {
            self.s.err(
                "empty_class",
                &format!("{path}.modules"),
                t!("类别“{code}”没有任何模块", "class `{code}` has no modules"),
            );
            return None;
        }
        let mut cb = ClassBuild {
            slots: Vec::new(),
            slot_ix: HashMap::new(),
        };
        let mut nodes = vec![NodeModel {
            code: code.clone(),
            name: class.name.clone(),
            points: class.points,
            parent: None,
            children: Vec::new(),
            redistribute_to: None,
            dimension: None,
            path: path.clone(),
        }];
        let mut leaves = Vec::new();
        let mut codes: HashMap<Ident, String> = HashMap::new();
        let env = Env {
            s,
            element_ix,
            unit_ix,
            units,
        };
        let kids: Vec<(String, Option<Decimal>, Option<Decimal>)> = class
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("{path}.modules[{i}]"), m.points, m.weight))
            .collect();
        let pts = self.resolve_points(
            &kids,
            class.points,
            &path,
            &Named(code, &class.name),
            class.share,
        );
        self.modules(
            &class.modules,
            &pts,
            0,
            &format!("{path}.modules"),
            &mut nodes,
            &mut leaves,
            &mut codes,
            &mut cb,
            &env,
        );
        let mut postorder = Vec::with_capacity(nodes.len());
        fn post(nodes: &[NodeModel], n: NodeId, out: &mut Vec<NodeId>) {
            for c in &nodes[n as usize].children {
                if let Child::Node(k) = c {
                    post(nodes, *k, out);
                }
            }
            out.push(n);
        }
        post(&nodes, 0, &mut postorder);

        // Budget frameworks: output + benefit ≥ 60% of the points (财预〔2020〕10号).
        if class.kind == ClassKind::Project || s.kind == SchemeKind::Budget {
            let top: Vec<&NodeModel> = nodes[0]
                .children
                .iter()
                .filter_map(|c| {
                    if let Child::Node(n) = c {
                        Some(&nodes[*n as usize])
                    } else {
                        None
                    }
                })
                .collect();
            for (i, n) in top.iter().enumerate() {
                if n.dimension.is_none() {
                    let c = &n.code;
                    self.s.err(
                        "missing_dimension",
                        &format!("{path}.modules[{i}].dimension"),
                        t!("预算绩效框架的一级模块“{c}”需要注明 dimension（decision/process/output/benefit/execution/satisfaction）", "first-level module `{c}` of a budget framework needs a dimension (decision/process/output/benefit/execution/satisfaction)"),
                    );
                }
            }
            let ob: Decimal = top
                .iter()
                .filter(|n| matches!(n.dimension, Some(Dimension::Output | Dimension::Benefit)))
                .map(|n| n.points)
                .sum();
            let share = ob * Decimal::ONE_HUNDRED / class.points;
            if share < Decimal::from(60) {
                let (ob, share) = (fmt(ob), fmt(crate::explain::round_half_up(share, 2)));
                self.s.err(
                    "budget_output_benefit",
                    &format!("{path}.modules"),
                    t!("产出和效益指标合计{ob}分，占{share}%，低于财政部规定的60%", "output and benefit indicators total {ob} points ({share}%), below the required 60%"),
                )
                .hint = Some(t!("提高产出、效益模块的分值，或降低决策、过程模块的分值", "give more points to output and benefit, fewer to decision and process"));
            }
        }

        let mut adj_codes: HashMap<Ident, String> = HashMap::new();
        let bonus = self.adjustments(
            &s.bonus,
            "bonus",
            &class.bonus,
            &path,
            &mut cb,
            element_ix,
            &mut adj_codes,
        );
        let deductions = self.adjustments(
            &s.deductions,
            "deductions",
            &class.deductions,
            &path,
            &mut cb,
            element_ix,
            &mut adj_codes,
        );
        let vetoes = self.vetoes(
            &s.vetoes,
            &class.vetoes,
            &path,
            &mut cb,
            &env,
            &mut adj_codes,
        );

        let keys = class.tie_break.as_ref().unwrap_or(&s.rules.tie_break);
        let key_path = if class.tie_break.is_some() {
            format!("{path}.tie_break")
        } else {
            "rules.tie_break".to_owned()
        };
        let mut tie_break = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let (kind, c) = k.split_once(':').unwrap_or(("", k));
            let found = match kind {
                "module" => nodes
                    .iter()
                    .position(|n| n.code.as_str() == c)
                    .filter(|&n| n > 0)
                    .map(|n| TieKey::Node(n as NodeId)),
                "indicator" => leaves
                    .iter()
                    .position(|l: &LeafModel| l.code.as_str() == c)
                    .map(|l| TieKey::Leaf(l as LeafId)),
                _ => {
                    self.s.err(
                        "bad_tie_break",
                        &format!("{key_path}[{i}]"),
                        t!(
                            "同分排序规则“{k}”应写成 module:代码 或 indicator:代码",
                            "tie-break rule `{k}` must be module:<code> or indicator:<code>"
                        ),
                    );
                    continue;
                }
            };
            // The default rule (`module:functional`) applies where there is such a module; a
            // default must never make a valid scheme invalid, so elsewhere it is left out.
            let default_rule =
                class.tie_break.is_none() && *k == crate::scheme::Rules::default().tie_break[0];
            match found {
                Some(t) => tie_break.push(t),
                None if default_rule => {}
                None => {
                    self.s
                        .err(
                            "bad_tie_break",
                            &format!("{key_path}[{i}]"),
                            t!(
                                "类别“{code}”中没有同分排序规则“{k}”所指的模块或指标",
                                "class `{code}` has no module or indicator for tie-break rule `{k}`"
                            ),
                        )
                        .hint = Some(t!(
                        "在 classes.{code}.tie_break 中为该类别指定规则",
                        "give this class its own rule in classes.{code}.tie_break"
                    ));
                }
            }
        }

        let mut slot_leaves = vec![Vec::new(); cb.slots.len()];
        for (li, leaf) in leaves.iter().enumerate() {
            for s in leaf_slots(leaf) {
                if !slot_leaves[s as usize].contains(&(li as LeafId)) {
                    slot_leaves[s as usize].push(li as LeafId);
                }
            }
        }
        let rank_leaves = leaves
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind == MethodKind::Rank)
            .map(|(i, _)| i as LeafId)
            .collect();
        Some(ClassModel {
            code: code.clone(),
            name: class.name.clone(),
            kind: class.kind,
            nodes,
            leaves,
            postorder,
            bonus,
            deductions,
            vetoes,
            tie_break,
            members: Vec::new(),
            slots: cb.slots,
            slot_leaves,
            rank_leaves,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn modules(
        &mut self,
        modules: &[Module],
        pts: &[Decimal],
        parent: NodeId,
        path: &str,
        nodes: &mut Vec<NodeModel>,
        leaves: &mut Vec<LeafModel>,
        codes: &mut HashMap<Ident, String>,
        cb: &mut ClassBuild,
        env: &Env<'_>,
    ) {
        let mut ids = Vec::with_capacity(modules.len());
        for (i, m) in modules.iter().enumerate() {
            let mpath = format!("{path}[{i}]");
            if let Some(prev) = codes.insert(m.code.clone(), mpath.clone()) {
                let c = &m.code;
                self.s.err(
                    "duplicate_code",
                    &format!("{mpath}.code"),
                    t!(
                        "代码“{c}”在本类别中重复（另见 {prev}）",
                        "code `{c}` is used twice in this class (also {prev})"
                    ),
                );
            }
            let id = nodes.len() as NodeId;
            ids.push(id);
            nodes.push(NodeModel {
                code: m.code.clone(),
                name: m.name.clone(),
                points: pts[i],
                parent: Some(parent),
                children: Vec::new(),
                redistribute_to: None,
                dimension: m.dimension,
                path: mpath.clone(),
            });
            nodes[parent as usize].children.push(Child::Node(id));
        }
        for (i, m) in modules.iter().enumerate() {
            let id = ids[i];
            let mpath = format!("{path}[{i}]");
            if m.modules.is_empty() && m.indicators.is_empty() {
                let c = &m.code;
                self.s.err(
                    "empty_module",
                    &mpath,
                    t!(
                        "模块“{c}”下没有子模块或指标",
                        "module `{c}` has no sub-modules or indicators"
                    ),
                );
                continue;
            }
            // Sub-modules and indicators together share the module's points.
            let mut kids: Vec<(String, Option<Decimal>, Option<Decimal>)> = Vec::new();
            for (j, sm) in m.modules.iter().enumerate() {
                kids.push((format!("{mpath}.modules[{j}]"), sm.points, sm.weight));
            }
            for (j, ind) in m.indicators.iter().enumerate() {
                kids.push((format!("{mpath}.indicators[{j}]"), ind.points, ind.weight));
            }
            let child_pts =
                self.resolve_points(&kids, pts[i], &mpath, &Named(&m.code, &m.name), m.share);
            let (sub_pts, ind_pts) = child_pts.split_at(m.modules.len());
            self.modules(
                &m.modules,
                sub_pts,
                id,
                &format!("{mpath}.modules"),
                nodes,
                leaves,
                codes,
                cb,
                env,
            );
            for (j, ind) in m.indicators.iter().enumerate() {
                let ipath = format!("{mpath}.indicators[{j}]");
                if let Some(prev) = codes.insert(ind.code.clone(), ipath.clone()) {
                    let c = &ind.code;
                    self.s.err(
                        "duplicate_code",
                        &format!("{ipath}.code"),
                        t!(
                            "代码“{c}”在本类别中重复（另见 {prev}）",
                            "code `{c}` is used twice in this class (also {prev})"
                        ),
                    );
                }
                if let Some(leaf) = self.leaf(ind, id, ind_pts[j], &ipath, cb, env) {
                    let lid = leaves.len() as LeafId;
                    leaves.push(leaf);
                    nodes[id as usize].children.push(Child::Leaf(lid));
                }
            }
        }
        // redistribute_to names a sibling, in one step.
        for (i, m) in modules.iter().enumerate() {
            if let Some(target) = &m.redistribute_to {
                let sib = ids
                    .iter()
                    .copied()
                    .find(|&n| nodes[n as usize].code == *target);
                match sib {
                    Some(n) if n != ids[i] => nodes[ids[i] as usize].redistribute_to = Some(n),
                    _ => {
                        let c = &m.code;
                        self.s.err(
                            "bad_redistribute",
                            &format!("{path}[{i}].redistribute_to"),
                            t!("模块“{c}”的分值只能转给同级的其他模块，“{target}”不是", "module `{c}` can only pass its points to another module at the same level; `{target}` is not one"),
                        );
                    }
                }
            }
        }
        for &i in &ids {
            if let Some(t) = nodes[i as usize].redistribute_to
                && nodes[t as usize].redistribute_to.is_some()
            {
                let (a, b) = (&nodes[i as usize].code, &nodes[t as usize].code);
                let p = nodes[i as usize].path.clone();
                self.s.err(
                    "bad_redistribute",
                    &format!("{p}.redistribute_to"),
                    t!(
                        "“{a}”的分值转给“{b}”，而“{b}”本身也会转出分值；请只保留一级转移",
                        "`{a}` passes its points to `{b}`, which passes its own on; keep one step"
                    ),
                );
            }
        }
    }

    /// Resolves siblings' points (given directly, as weights in percent of the parent, or as
    /// equal shares when the parent says `share = "equal"`) and checks that they add up to the
    /// parent's points.
    fn resolve_points(
        &mut self,
        kids: &[(String, Option<Decimal>, Option<Decimal>)],
        parent_points: Decimal,
        parent_path: &str,
        parent: &Named<'_>,
        share: Option<crate::scheme::Share>,
    ) -> Vec<Decimal> {
        let (parent_zh, parent_en) = (parent.zh(), parent.en());
        if share == Some(crate::scheme::Share::Equal) && !kids.is_empty() {
            for (path, p, w) in kids {
                if p.is_some() || w.is_some() {
                    self.s.err(
                        "points_with_equal_share",
                        path,
                        t!(
                            "{parent_zh}规定下级平分分值（share = \"equal\"），下级不应再给出 points 或 weight",
                            "{parent_en} shares its points equally (share = \"equal\"); its children give neither points nor weight"
                        ),
                    );
                }
            }
            // Equal parts; the last takes what the division leaves, so the sum is exact.
            let n = Decimal::from(kids.len());
            let part = parent_points / n;
            let mut out = vec![part; kids.len()];
            let others: Decimal = out.iter().take(kids.len() - 1).sum();
            if let Some(last) = out.last_mut() {
                *last = parent_points - others;
            }
            return out;
        }
        let mut out = Vec::with_capacity(kids.len());
        let uses_weight = kids.iter().any(|(_, p, w)| w.is_some() && p.is_none());
        let uses_points = kids.iter().any(|(_, p, _)| p.is_some());
        if uses_weight && uses_points {
            self.s.err(
                "mixed_weights",
                parent_path,
                t!(
                    "{parent_zh}的下级混用了 points（分值）和 weight（权重）；请统一使用一种",
                    "the children of {parent_en} mix points and weight; use one of them"
                ),
            );
        }
        for (path, p, w) in kids {
            let v = match (p, w) {
                (Some(_), Some(_)) => {
                    self.s.err(
                        "points_and_weight",
                        path,
                        t!(
                            "不能同时给出 points 和 weight",
                            "give points or weight, not both"
                        ),
                    );
                    Decimal::ZERO
                }
                (Some(p), None) => *p,
                (None, Some(w)) => *w * parent_points / Decimal::ONE_HUNDRED,
                (None, None) => {
                    self.s.err(
                        "missing_points",
                        path,
                        t!(
                            "缺少分值：请给出 points（分值）或 weight（权重%）",
                            "no points: give points or weight (%)"
                        ),
                    );
                    Decimal::ZERO
                }
            };
            if v < Decimal::ZERO
                || w.is_some_and(|w| w <= Decimal::ZERO || w > Decimal::ONE_HUNDRED)
            {
                self.s.err(
                    "bad_points",
                    path,
                    t!(
                        "分值或权重必须为正数（权重不超过100）",
                        "points and weights must be positive (weights at most 100)"
                    ),
                );
            }
            out.push(v);
        }
        // Weights must add up to exactly 100; points derived from them (100/3 …) are then made
        // to add up exactly to the parent by giving the rounding remainder to the last child.
        let weight_sum: Decimal = kids.iter().filter_map(|k| k.2).sum();
        if uses_weight && !uses_points && weight_sum == Decimal::ONE_HUNDRED {
            let others: Decimal = out.iter().take(out.len().saturating_sub(1)).sum();
            if let Some(last) = out.last_mut() {
                *last = parent_points - others;
            }
        }
        let sum: Decimal = out.iter().sum();
        if !kids.is_empty() && sum != parent_points {
            let (sum_s, pp) = (fmt(sum), fmt(parent_points));
            let (wsum, what_zh, what_en) = if uses_weight {
                (fmt(weight_sum), "权重", "weights")
            } else {
                (sum_s.clone(), "分值", "points")
            };
            let expect = if uses_weight {
                "100".to_owned()
            } else {
                pp.clone()
            };
            self.s
                .err(
                    "weights_mismatch",
                    parent_path,
                    t!(
                        "{parent_zh}下级的{what_zh}合计{wsum}，应为{expect}",
                        "the {what_en} under {parent_en} add up to {wsum}, expected {expect}"
                    ),
                )
                .hint = Some(t!(
                "调整下级的{what_zh}，使合计等于{expect}",
                "adjust the children's {what_en} so they add up to {expect}"
            ));
        }
        out
    }

    fn leaf(
        &mut self,
        ind: &Indicator,
        parent: NodeId,
        points: Decimal,
        path: &str,
        cb: &mut ClassBuild,
        env: &Env<'_>,
    ) -> Option<LeafModel> {
        let code = &ind.code;
        let kind = ind.method.kind();
        if ind.name.zh.trim().is_empty() {
            self.s.err(
                "empty_name",
                &format!("{path}.name.zh"),
                t!("指标名称不能为空", "an indicator needs a name"),
            );
        }
        let lead = ind
            .lead
            .as_ref()
            .and_then(|l| self.lead(l, &format!("{path}.lead"), env.unit_ix, env.units));
        let cooperating: Vec<UnitId> = ind
            .cooperating
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                self.lead(
                    c,
                    &format!("{path}.cooperating[{i}]"),
                    env.unit_ix,
                    env.units,
                )
            })
            .collect();
        let hundred = Decimal::ONE_HUNDRED;
        let (lead_share, coop_share) = match ind.responsibility {
            Some(r) => (r.lead, r.cooperating),
            None if ind.cooperating.is_empty() => (hundred, Decimal::ZERO),
            None => (Decimal::from(70), Decimal::from(30)),
        };
        if let Some(r) = ind.responsibility {
            let sum = r.lead + r.cooperating;
            if sum != hundred || r.lead.is_sign_negative() || r.cooperating.is_sign_negative() {
                let (a, b) = (r.lead, r.cooperating);
                self.s.err(
                    "bad_responsibility",
                    &format!("{path}.responsibility"),
                    t!(
                        "责任份额应合计100（牵头 {a} + 配合 {b} = {sum}）",
                        "the shares of responsibility must add up to 100 (lead {a} + cooperating {b} = {sum})"
                    ),
                );
            }
            if r.cooperating > Decimal::ZERO && ind.cooperating.is_empty() {
                self.s.err(
                    "bad_responsibility",
                    &format!("{path}.responsibility.cooperating"),
                    t!(
                        "没有配合单位（cooperating），配合份额应为0",
                        "there are no cooperating departments, so their share must be 0"
                    ),
                );
            }
        }
        let each_coop = if cooperating.is_empty() {
            Decimal::ZERO
        } else {
            coop_share / Decimal::from(cooperating.len() as u64)
        };
        let elem_slot =
            |this: &mut Self, e: &Ident, at: &str, cb: &mut ClassBuild| -> Option<SlotId> {
                match env.element_ix.get(e) {
                    Some(&id) => Some(cb.slot(Slot {
                        elem: id,
                        shift: Shift::Current,
                    })),
                    None => {
                        let hint = suggest(e.as_str(), env.element_ix.keys().map(Ident::as_str))
                            .map(|s| t!("是否应为“{s}”？", "did you mean `{s}`?"));
                        this.s
                            .err(
                                "unknown_element",
                                at,
                                t!(
                                    "数据项“{e}”未在 elements 中定义",
                                    "data element `{e}` is not defined under elements"
                                ),
                            )
                            .hint = hint;
                        None
                    }
                }
            };
        // The actual value.
        let needs_actual = !matches!(&ind.method, Method::Deduction { items, .. } | Method::Bonus { items, .. } if !items.is_empty());
        let actual = match (&ind.element, &ind.formula) {
            (Some(_), Some(_)) => {
                self.s.err(
                    "element_and_formula",
                    path,
                    t!(
                        "指标“{code}”不能同时给出 element 和 formula",
                        "indicator `{code}` cannot have both element and formula"
                    ),
                );
                Actual::None
            }
            (Some(e), None) => match elem_slot(self, e, &format!("{path}.element"), cb) {
                Some(s) => Actual::Slot(s),
                None => Actual::None,
            },
            (None, Some(text)) => {
                let mut resolve = |name: &str, shift: Shift| -> Option<Resolved<SlotId>> {
                    if let Some(&id) = env.element_ix.get(name) {
                        return Some(Resolved::Var(cb.slot(Slot { elem: id, shift })));
                    }
                    match (shift, env.s.constants.get(name)) {
                        (Shift::Current, Some(c)) => Some(Resolved::Const(*c)),
                        _ => None,
                    }
                };
                match formula::compile(text, Ty::Num, &mut resolve) {
                    Ok(e) => Actual::Formula(text.clone(), e),
                    Err(fe) => {
                        self.s
                            .err("formula", &format!("{path}.formula"), fe.describe(text));
                        Actual::None
                    }
                }
            }
            (None, None) => {
                if needs_actual {
                    self.s.err(
                        "missing_input",
                        path,
                        t!(
                            "指标“{code}”需要实际值来源：element（数据项）或 formula（公式）",
                            "indicator `{code}` needs its actual value: an element or a formula"
                        ),
                    );
                }
                Actual::None
            }
        };
        let reads_computed = ind
            .element
            .as_ref()
            .and_then(|e| env.element_ix.get(e))
            .is_some_and(|&e| {
                env.s
                    .elements
                    .get_index(e as usize)
                    .is_some_and(|(_, d)| d.formula.is_some())
            });
        if ind.formula.is_some() && ind.source != Source::Computed {
            self.s.err(
                "source_mismatch",
                &format!("{path}.source"),
                t!(
                    "用公式计算实际值的指标，来源应为 computed",
                    "an indicator computed by a formula must have source = \"computed\""
                ),
            );
        }
        if ind.source == Source::Computed && ind.formula.is_none() && !reads_computed {
            self.s.err(
                "source_mismatch",
                &format!("{path}.source"),
                t!(
                    "来源为 computed 的指标需要 formula，或读取一个计算数据项",
                    "an indicator with source = \"computed\" needs a formula or a computed element"
                ),
            );
        }
        let target = ind.target;
        let need_target = |this: &mut Self, positive: bool| match target {
            None => {
                let m = kind.name();
                let (zh, en) = (&m.zh, &m.en);
                this.s.err(
                    "missing_target",
                    &format!("{path}.target"),
                    t!("{zh}需要目标值 target", "the {en} method needs a target"),
                );
            }
            Some(t) if positive && t <= Decimal::ZERO => {
                let t = fmt(t);
                this.s.err(
                    "bad_target",
                    &format!("{path}.target"),
                    t!(
                        "比率法的目标值必须大于0（当前为{t}）",
                        "a ratio target must be above 0 (it is {t})"
                    ),
                );
            }
            _ => {}
        };
        let counts = |this: &mut Self,
                      per: &Option<Decimal>,
                      items: &[crate::scheme::CountItem],
                      cb: &mut ClassBuild|
         -> Vec<CountModel> {
            let mut out = Vec::new();
            if items.is_empty() {
                match (per, &actual) {
                    (Some(p), Actual::Slot(s)) => out.push(CountModel {
                        slot: *s,
                        per: *p,
                        max: None,
                    }),
                    (None, _) => {
                        this.s.err(
                            "missing_param",
                            &format!("{path}.method"),
                            t!(
                                "请给出每次扣/加的分值 per，或列出 items",
                                "give points per event (per) or a list of items"
                            ),
                        );
                    }
                    (Some(_), _) => {
                        this.s.err(
                            "missing_input",
                            &format!("{path}.element"),
                            t!(
                                "按次数计分的指标需要记录次数的数据项 element",
                                "a per-event indicator needs the element that counts the events"
                            ),
                        );
                    }
                }
            } else {
                if per.is_some() {
                    this.s.err(
                        "unknown_param",
                        &format!("{path}.method.per"),
                        t!(
                            "已列出 items 时，per 写在每一项中",
                            "with items, give per on each item"
                        ),
                    );
                }
                for (i, it) in items.iter().enumerate() {
                    if let Some(s) = elem_slot(
                        this,
                        &it.element,
                        &format!("{path}.method.items[{i}].element"),
                        cb,
                    ) {
                        out.push(CountModel {
                            slot: s,
                            per: it.per,
                            max: it.max,
                        });
                    }
                }
            }
            for (i, c) in out.iter().enumerate() {
                if c.per <= Decimal::ZERO || c.max.is_some_and(|m| m <= Decimal::ZERO) {
                    this.s.err(
                        "bad_param",
                        &format!("{path}.method.items[{i}]"),
                        t!(
                            "每次分值 per 和上限 max 必须为正数",
                            "per and max must be positive"
                        ),
                    );
                }
            }
            out
        };
        let method = match &ind.method {
            Method::Ratio {
                max_ratio,
                zero_actual,
            } => {
                need_target(self, true);
                let max_ratio = max_ratio.unwrap_or(Decimal::ONE);
                if max_ratio < Decimal::ONE {
                    self.s.err(
                        "bad_param",
                        &format!("{path}.method.max_ratio"),
                        t!("max_ratio 不能小于1", "max_ratio cannot be below 1"),
                    );
                }
                if zero_actual.is_some() && ind.direction == Direction::Higher {
                    self.s.err(
                        "unknown_param",
                        &format!("{path}.method.zero_actual"),
                        t!(
                            "zero_actual 只用于越低越好（direction = \"lower\"）的指标",
                            "zero_actual only applies to lower-is-better indicators"
                        ),
                    );
                }
                MethodModel::Ratio {
                    max_ratio: (max_ratio != Decimal::ONE).then_some(max_ratio),
                    zero_actual: zero_actual.unwrap_or(ZeroActual::Full),
                }
            }
            Method::Threshold { op } => {
                need_target(self, false);
                let op = op.unwrap_or(match ind.direction {
                    Direction::Higher => CmpOp::Ge,
                    Direction::Lower => CmpOp::Le,
                });
                MethodModel::Threshold { op }
            }
            Method::Linear { floor } => {
                need_target(self, false);
                if let Some(t) = target {
                    let bad = match ind.direction {
                        Direction::Higher => *floor >= t,
                        Direction::Lower => *floor <= t,
                    };
                    if bad {
                        let (f, tt) = (fmt(*floor), fmt(t));
                        self.s.err(
                            "bad_param",
                            &format!("{path}.method.floor"),
                            match ind.direction {
                                Direction::Higher => t!("越高越好的指标，零分线{f}应低于目标{tt}", "for higher-is-better, the floor {f} must be below the target {tt}"),
                                Direction::Lower => t!("越低越好的指标，零分线{f}应高于目标{tt}", "for lower-is-better, the floor {f} must be above the target {tt}"),
                            },
                        );
                    }
                }
                MethodModel::Linear { floor: *floor }
            }
            Method::Qualitative {
                band_element,
                entry,
            } => {
                let band_slot = band_element
                    .as_ref()
                    .and_then(|e| elem_slot(self, e, &format!("{path}.method.band_element"), cb));
                let bands = env
                    .s
                    .rules
                    .qualitative_bands
                    .iter()
                    .map(|b| QualBand {
                        name: b.name.clone(),
                        min: b.min,
                        max: b.max,
                    })
                    .collect();
                MethodModel::Qualitative {
                    band_slot,
                    bands,
                    in_points: *entry == crate::scheme::RatingEntry::Points,
                }
            }
            Method::Deduction { per, items } => MethodModel::Deduction {
                items: counts(self, per, items, cb),
            },
            Method::Bonus { per, items } => MethodModel::Bonus {
                items: counts(self, per, items, cb),
            },
            Method::Rank { step, min } => {
                let min = min.unwrap_or(Decimal::ZERO);
                if *step <= Decimal::ZERO {
                    self.s.err(
                        "bad_param",
                        &format!("{path}.method.step"),
                        t!(
                            "每下降一名扣减的分值 step 必须为正数",
                            "step (points lost per place) must be positive"
                        ),
                    );
                }
                if min < Decimal::ZERO || min > points {
                    self.s.err(
                        "bad_param",
                        &format!("{path}.method.min"),
                        t!(
                            "最低分 min 应在0与该指标分值之间",
                            "min must lie between 0 and the indicator's points"
                        ),
                    );
                }
                MethodModel::Rank { step: *step, min }
            }
            Method::Formula { score, allow_over } => {
                let mut uses_t = false;
                let mut resolve = |name: &str, shift: Shift| -> Option<Resolved<FVar>> {
                    match (name, shift) {
                        ("w", Shift::Current) => return Some(Resolved::Var(FVar::W)),
                        ("t", Shift::Current) => {
                            uses_t = true;
                            return Some(Resolved::Var(FVar::T));
                        }
                        ("a", Shift::Current) => return Some(Resolved::Var(FVar::A)),
                        _ => {}
                    }
                    if let Some(&id) = env.element_ix.get(name) {
                        return Some(Resolved::Var(FVar::Slot(cb.slot(Slot { elem: id, shift }))));
                    }
                    match (shift, env.s.constants.get(name)) {
                        (Shift::Current, Some(c)) => Some(Resolved::Const(*c)),
                        _ => None,
                    }
                };
                match formula::compile(score, Ty::Num, &mut resolve) {
                    Ok(expr) => {
                        if uses_t && target.is_none() {
                            self.s.err(
                                "missing_target",
                                &format!("{path}.target"),
                                t!(
                                    "评分公式用到了目标值 t，但指标没有 target",
                                    "the score formula uses the target t but the indicator has none"
                                ),
                            );
                        }
                        MethodModel::Formula {
                            text: score.clone(),
                            expr,
                            allow_over: *allow_over,
                        }
                    }
                    Err(fe) => {
                        self.s.err(
                            "formula",
                            &format!("{path}.method.score"),
                            fe.describe(score),
                        );
                        return None;
                    }
                }
            }
        };
        if matches!(
            kind,
            MethodKind::Qualitative | MethodKind::Deduction | MethodKind::Bonus | MethodKind::Rank
        ) && target.is_some()
        {
            let m = kind.name();
            let (zh, en) = (&m.zh, &m.en);
            self.s.warn(
                "unused_target",
                &format!("{path}.target"),
                t!(
                    "{zh}不使用目标值，target 将被忽略",
                    "the {en} method does not use a target; it is ignored"
                ),
            );
        }
        if ind.prorate && target.is_none() {
            self.s.err(
                "missing_target",
                &format!("{path}.prorate"),
                t!(
                    "prorate（按序时进度折算目标）需要目标值 target",
                    "prorate (scaling the target to the period) needs a target"
                ),
            );
        }
        let missing = ind.missing.unwrap_or(env.s.rules.missing);
        if missing == MissingPolicy::NoneRecorded
            && !matches!(kind, MethodKind::Deduction | MethodKind::Bonus)
        {
            self.s.err(
                "bad_missing",
                &format!("{path}.missing"),
                t!("none_recorded（无记录即视为未发生）只适用于按次数扣分或加分的指标", "none_recorded (no record means no event) only applies to per-event deduction or bonus indicators"),
            );
        }
        if ind.coefficient_mode.is_some() && !ind.elastic {
            self.s.warn(
                "unused_param",
                &format!("{path}.coefficient_mode"),
                t!(
                    "核心指标不使用弹性系数，coefficient_mode 将被忽略",
                    "core indicators take no coefficient; coefficient_mode is ignored"
                ),
            );
        }
        Some(LeafModel {
            code: code.clone(),
            name: ind.name.clone(),
            unit: ind.unit.clone(),
            direction: ind.direction,
            points,
            parent,
            method,
            kind,
            target,
            elastic: ind.elastic,
            prorate: ind.prorate,
            coefficient_mode: ind.coefficient_mode.unwrap_or(env.s.rules.coefficient_mode),
            missing,
            actual,
            source: ind.source,
            lead,
            cooperating,
            shares: (lead_share, each_coop),
            path: path.to_owned(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn adjustments(
        &mut self,
        shared: &[Adjustment],
        what: &str,
        own: &[Adjustment],
        class_path: &str,
        cb: &mut ClassBuild,
        element_ix: &HashMap<Ident, ElemId>,
        codes: &mut HashMap<Ident, String>,
    ) -> Vec<AdjModel> {
        let mut out = Vec::new();
        let all = shared
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("{what}[{i}]"), a))
            .chain(
                own.iter()
                    .enumerate()
                    .map(|(i, a)| (format!("{class_path}.{what}[{i}]"), a)),
            );
        for (path, a) in all {
            if let Some(prev) = codes.insert(a.code.clone(), path.clone())
                && prev != path
            {
                let c = &a.code;
                self.s.err(
                    "duplicate_code",
                    &format!("{path}.code"),
                    t!(
                        "加减分或否决项代码“{c}”重复（另见 {prev}）",
                        "adjustment code `{c}` is used twice (also {prev})"
                    ),
                );
            }
            if a.per <= Decimal::ZERO || a.max.is_some_and(|m| m <= Decimal::ZERO) {
                self.s.err(
                    "bad_param",
                    &path,
                    t!(
                        "每次分值 per 和上限 max 必须为正数",
                        "per and max must be positive"
                    ),
                );
            }
            let missing = a.missing.unwrap_or(MissingPolicy::NoneRecorded);
            if matches!(missing, MissingPolicy::Exclude | MissingPolicy::Zero) {
                self.s.err(
                    "bad_missing",
                    &format!("{path}.missing"),
                    t!(
                        "加减分项的缺失处理只能是 none_recorded 或 block",
                        "an adjustment's missing policy must be none_recorded or block"
                    ),
                );
            }
            let Some(&id) = element_ix.get(&a.element) else {
                let e = &a.element;
                let hint = suggest(e.as_str(), element_ix.keys().map(Ident::as_str))
                    .map(|s| t!("是否应为“{s}”？", "did you mean `{s}`?"));
                self.s
                    .err(
                        "unknown_element",
                        &format!("{path}.element"),
                        t!(
                            "数据项“{e}”未在 elements 中定义",
                            "data element `{e}` is not defined under elements"
                        ),
                    )
                    .hint = hint;
                continue;
            };
            out.push(AdjModel {
                code: a.code.clone(),
                name: a.name.clone(),
                slot: cb.slot(Slot {
                    elem: id,
                    shift: Shift::Current,
                }),
                per: a.per,
                max: a.max,
                missing,
            });
        }
        out
    }

    fn vetoes(
        &mut self,
        shared: &[Veto],
        own: &[Veto],
        class_path: &str,
        cb: &mut ClassBuild,
        env: &Env<'_>,
        codes: &mut HashMap<Ident, String>,
    ) -> Vec<VetoModel> {
        let mut out = Vec::new();
        let all = shared
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("vetoes[{i}]"), a))
            .chain(
                own.iter()
                    .enumerate()
                    .map(|(i, a)| (format!("{class_path}.vetoes[{i}]"), a)),
            );
        for (path, v) in all {
            if let Some(prev) = codes.insert(v.code.clone(), path.clone())
                && prev != path
            {
                let c = &v.code;
                self.s.err(
                    "duplicate_code",
                    &format!("{path}.code"),
                    t!(
                        "加减分或否决项代码“{c}”重复（另见 {prev}）",
                        "adjustment code `{c}` is used twice (also {prev})"
                    ),
                );
            }
            let trigger = match (&v.element, &v.condition) {
                (Some(e), None) => match env.element_ix.get(e) {
                    Some(&id) => VetoTrigger::Slot(cb.slot(Slot {
                        elem: id,
                        shift: Shift::Current,
                    })),
                    None => {
                        self.s.err(
                            "unknown_element",
                            &format!("{path}.element"),
                            t!(
                                "数据项“{e}”未在 elements 中定义",
                                "data element `{e}` is not defined under elements"
                            ),
                        );
                        continue;
                    }
                },
                (None, Some(text)) => {
                    let mut resolve = |name: &str, shift: Shift| -> Option<Resolved<SlotId>> {
                        if let Some(&id) = env.element_ix.get(name) {
                            return Some(Resolved::Var(cb.slot(Slot { elem: id, shift })));
                        }
                        match (shift, env.s.constants.get(name)) {
                            (Shift::Current, Some(c)) => Some(Resolved::Const(*c)),
                            _ => None,
                        }
                    };
                    match formula::compile(text, Ty::Bool, &mut resolve) {
                        Ok(e) => VetoTrigger::Condition(text.clone(), e),
                        Err(fe) => {
                            self.s
                                .err("formula", &format!("{path}.condition"), fe.describe(text));
                            continue;
                        }
                    }
                }
                _ => {
                    self.s.err(
                        "veto_trigger",
                        &path,
                        t!(
                            "否决项需要 element（发生次数）或 condition（条件）二者之一",
                            "a veto needs exactly one of element (a count) or condition"
                        ),
                    );
                    continue;
                }
            };
            out.push(VetoModel {
                code: v.code.clone(),
                name: v.name.clone(),
                trigger,
                effect: v.effect.unwrap_or(env.s.rules.veto_effect),
            });
        }
        out
    }

    fn assign_members(&mut self, m: &mut Model) {
        let [lo, hi] = m.scheme.rules.coefficient_range;
        let mut by_class: BTreeMap<ClassId, Vec<(Code, UnitId)>> = BTreeMap::new();
        let mut foreign: BTreeMap<Ident, Vec<(Code, usize)>> = BTreeMap::new();
        for uid in 0..m.units.len() {
            let code = m.units[uid].code.clone();
            let pos = m.units[uid].org_index;
            let u = &m.org.units[pos];
            let upath = format!("units[{pos}]");
            if u.class.is_empty() {
                if !u.coefficients.is_empty() || !u.targets.is_empty() {
                    self.o.warn("unused_param", &upath, t!("单位“{code}”未分类，其弹性系数和目标不会被使用", "unit `{code}` has no class, so its coefficients and targets are not used"));
                }
                continue;
            }
            // The unit's class in this scheme: at most one of the classes it lists.
            let mut mine: Vec<(ClassId, String)> = Vec::new();
            for (suffix, class_code) in u.class.with_paths() {
                let cpath = format!("{upath}{suffix}");
                match m.class_ix.get(class_code) {
                    Some(&cid) => mine.push((cid, cpath)),
                    None => {
                        // A class not in this scheme means "not assessed by this scheme" (it
                        // may be another scheme's): always a note, never an error — with a
                        // suggestion when it looks like one of this scheme's, in case of a typo.
                        match suggest(class_code.as_str(), m.class_ix.keys().map(Ident::as_str)) {
                            Some(s) => {
                                let loc = self.o.locate(&cpath);
                                self.o.add(Issue::note(
                                    "unknown_class",
                                    self.o.src.name,
                                    loc,
                                    t!(
                                        "类别“{class_code}”不在方案中，单位“{code}”不参加本方案考核",
                                        "class `{class_code}` is not in the scheme: unit `{code}` is not assessed by it"
                                    ),
                                ))
                                .hint = Some(t!(
                                    "如是笔误，是否应为“{s}”？",
                                    "if it is a typo, did you mean `{s}`?"
                                ));
                            }
                            None => foreign
                                .entry(class_code.clone())
                                .or_default()
                                .push((code.clone(), pos)),
                        }
                    }
                }
            }
            let (cid, cpath) = match mine.as_slice() {
                [] => continue,
                [one] => one.clone(),
                [_, (_, second), ..] => {
                    let list = mine
                        .iter()
                        .map(|(c, _)| m.classes[*c as usize].code.to_string())
                        .collect::<Vec<_>>()
                        .join(", ");
                    self.o.err("several_classes", second, t!("单位“{code}”在本方案中属于多个类别（{list}）；每个方案中只能属于一个", "unit `{code}` is in several classes of this scheme ({list}); a unit is in one class per scheme"));
                    continue;
                }
            };
            let class_code = &m.classes[cid as usize].code;
            let class = &m.classes[cid as usize];
            let is_project = u.level == Level::Project;
            if is_project != (class.kind == ClassKind::Project) {
                let cn = &class.name.zh;
                self.o.err(
                    "class_level",
                    &cpath,
                    if is_project {
                        t!(
                            "预算项目“{code}”不能归入单位类别“{cn}”",
                            "budget project `{code}` cannot be in the unit class `{class_code}`"
                        )
                    } else {
                        t!(
                            "单位“{code}”不能归入项目类别“{cn}”",
                            "unit `{code}` cannot be in the project class `{class_code}`"
                        )
                    },
                );
            }
            // Coefficients and own targets.
            let mut ov: BTreeMap<LeafId, Override> = BTreeMap::new();
            for (key, &k) in &u.coefficients {
                let kpath = format!("{upath}.coefficients.{key}");
                if k < lo || k > hi {
                    let (kk, l, h) = (fmt(k), fmt(lo), fmt(hi));
                    self.o.err(
                        "coefficient_range",
                        &kpath,
                        t!(
                            "弹性系数{kk}超出允许范围[{l}, {h}]",
                            "coefficient {kk} is outside the allowed range [{l}, {h}]"
                        ),
                    );
                    continue;
                }
                if let Some(li) = class.leaves.iter().position(|l| &l.code == key) {
                    let leaf = &class.leaves[li];
                    if !leaf.elastic {
                        self.o
                            .err(
                                "coefficient_on_core",
                                &kpath,
                                t!(
                                    "“{key}”是核心指标，不能设置弹性系数",
                                    "`{key}` is a core indicator and takes no coefficient"
                                ),
                            )
                            .hint = Some(t!(
                            "在方案中把该指标设为 elastic = true，或删除此系数",
                            "mark the indicator elastic = true in the scheme, or remove this coefficient"
                        ));
                        continue;
                    }
                    ov.entry(li as LeafId)
                        .or_insert_with(empty_override)
                        .coefficient = Some((k, key.clone(), leaf.name.clone()));
                } else if let Some(ni) = class
                    .nodes
                    .iter()
                    .position(|n| &n.code == key)
                    .filter(|&n| n > 0)
                {
                    let mut any = false;
                    for (li, leaf) in class.leaves.iter().enumerate() {
                        if leaf.elastic && is_under(class, leaf.parent, ni as NodeId) {
                            any = true;
                            let e = ov.entry(li as LeafId).or_insert_with(empty_override);
                            // An indicator's own coefficient wins over its module's; the nearest
                            // module wins over one further up.
                            let replace = match &e.coefficient {
                                None => true,
                                Some((_, from, _)) => {
                                    match class.nodes.iter().position(|n| &n.code == from) {
                                        Some(prev) => {
                                            depth(class, ni as NodeId)
                                                > depth(class, prev as NodeId)
                                        }
                                        None => false,
                                    }
                                }
                            };
                            if replace {
                                e.coefficient =
                                    Some((k, key.clone(), class.nodes[ni].name.clone()));
                            }
                        }
                    }
                    if !any {
                        self.o.warn("unused_param", &kpath, t!("模块“{key}”下没有弹性指标，该系数不起作用", "module `{key}` has no elastic indicators; this coefficient has no effect"));
                    }
                } else {
                    // The organisation serves every scheme (the annual one and the special
                    // assessments): a coefficient for an indicator of another scheme is not
                    // an error here, but said, so a misspelt code is still seen.
                    let cc = &class.code;
                    self.o.warn(
                        "unknown_indicator",
                        &kpath,
                        t!(
                            "本方案的类别“{cc}”中没有指标或模块“{key}”，该系数不用于本方案（如属其他方案可忽略，否则请检查代码）",
                            "class `{cc}` of this scheme has no indicator or module `{key}`; the coefficient is not used here (fine if it belongs to another scheme, otherwise check the code)"
                        ),
                    );
                }
            }
            for (key, &t) in &u.targets {
                match class.leaves.iter().position(|l| &l.code == key) {
                    Some(li) => {
                        if class.leaves[li].target.is_none() {
                            self.o.err(
                                "unused_target",
                                &format!("{upath}.targets.{key}"),
                                t!(
                                    "指标“{key}”不使用目标值",
                                    "indicator `{key}` does not use a target"
                                ),
                            );
                        }
                        ov.entry(li as LeafId)
                            .or_insert_with(empty_override)
                            .unit_target = Some(t);
                    }
                    None => {
                        let cc = &class.code;
                        self.o.warn(
                            "unknown_indicator",
                            &format!("{upath}.targets.{key}"),
                            t!(
                                "本方案的类别“{cc}”中没有指标“{key}”，该目标值不用于本方案（如属其他方案可忽略，否则请检查代码）",
                                "class `{cc}` of this scheme has no indicator `{key}`; the target is not used here (fine if it belongs to another scheme, otherwise check the code)"
                            ),
                        );
                    }
                }
            }
            let overrides = ov
                .into_iter()
                .map(|(li, mut o)| {
                    let leaf = &class.leaves[li as usize];
                    let base = o.unit_target.or(leaf.target);
                    let k = o.coefficient.as_ref().map(|(k, _, _)| *k);
                    match (leaf.coefficient_mode, k) {
                        (CoefficientMode::Target, Some(k)) => o.target = base.map(|t| t * k),
                        (CoefficientMode::Score, Some(k)) => {
                            o.target = base;
                            o.score_k = Some(k);
                        }
                        (_, None) => o.target = base,
                    }
                    (li, o)
                })
                .collect();
            m.units[uid].overrides = overrides;
            by_class.entry(cid).or_default().push((code, uid as UnitId));
        }
        for (cid, mut members) in by_class {
            members.sort();
            for (pos, (_, uid)) in members.iter().enumerate() {
                m.units[*uid as usize].class = Some((cid, pos as u32));
            }
            m.classes[cid as usize].members = members.into_iter().map(|(_, u)| u).collect();
        }
        for (class_code, units) in foreign {
            let n = units.len();
            let mut list = units
                .iter()
                .take(5)
                .map(|(c, _)| c.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            if n > 5 {
                list.push_str(" …");
            }
            let first = units.first().map_or(0, |(_, p)| *p);
            let loc = self.o.locate(&format!("units[{first}].class"));
            self.o.issues.push(Issue::note(
                "other_class",
                self.o.src.name,
                loc,
                t!("{n} 个单位属于类别“{class_code}”，不在本方案中，不参加本方案考核：{list}", "{n} unit(s) of class `{class_code}` are not in this scheme and are not assessed by it: {list}"),
            ));
        }
        for c in &m.classes {
            if c.members.is_empty() {
                let code = &c.code;
                self.s.warn(
                    "empty_class",
                    &format!("classes.{code}"),
                    t!(
                        "组织文件中没有单位属于类别“{code}”",
                        "no unit in the organisation file belongs to class `{code}`"
                    ),
                );
            }
        }
    }

    /// Checks compile as conditions over known elements.
    fn checks(&mut self, s: &Scheme, ix: &HashMap<Ident, ElemId>) -> Vec<CheckModel> {
        let mut out = Vec::new();
        for (i, c) in s.checks.iter().enumerate() {
            let mut resolve = |name: &str, shift: Shift| -> Option<Resolved<(ElemId, Shift)>> {
                if let Some(&id) = ix.get(name) {
                    return Some(Resolved::Var((id, shift)));
                }
                match (shift, s.constants.get(name)) {
                    (Shift::Current, Some(v)) => Some(Resolved::Const(*v)),
                    _ => None,
                }
            };
            match formula::compile(&c.rule, Ty::Bool, &mut resolve) {
                Ok(expr) => {
                    let mut vars = Vec::new();
                    expr.vars(&mut vars);
                    let mut elements: Vec<ElemId> = vars.into_iter().map(|(e, _)| e).collect();
                    elements.sort_unstable();
                    elements.dedup();
                    out.push(CheckModel { expr, elements });
                }
                Err(fe) => {
                    self.s.err(
                        "formula",
                        &format!("checks[{i}].rule"),
                        fe.describe(&c.rule),
                    );
                    // Keep positions aligned with the scheme's list.
                    out.push(CheckModel {
                        expr: Expr::Bool(true),
                        elements: Vec::new(),
                    });
                }
            }
        }
        out
    }

    /// Warning rules name a known element and at least one line.
    fn warnings(&mut self, m: &Model) {
        for (i, w) in m.scheme.warnings.iter().enumerate() {
            let path = format!("warnings[{i}]");
            if !m.element_ix.contains_key(&w.element) {
                let e = &w.element;
                let hint = suggest(e.as_str(), m.element_ix.keys().map(Ident::as_str))
                    .map(|s| t!("是否应为“{s}”？", "did you mean `{s}`?"));
                self.s
                    .err(
                        "unknown_element",
                        &format!("{path}.element"),
                        t!(
                            "数据项“{e}”未在 elements 中定义",
                            "data element `{e}` is not defined under elements"
                        ),
                    )
                    .hint = hint;
            }
            let empty = |t: &Option<crate::scheme::Threshold>| t.is_none_or(|t| t.is_empty());
            if empty(&w.yellow) && empty(&w.orange) && empty(&w.red) {
                let c = &w.code;
                self.s.err(
                    "empty_warning",
                    &path,
                    t!(
                        "预警“{c}”没有设置黄色、橙色或红色预警线（below/above/at_most/at_least）",
                        "warning `{c}` sets no yellow, orange or red line (below/above/at_most/at_least)"
                    ),
                );
            }
        }
    }

    fn unused_elements(&mut self, m: &Model) {
        let mut used = vec![false; m.elements.len()];
        for c in &m.classes {
            for s in &c.slots {
                used[s.elem as usize] = true;
            }
        }
        // An element only a warning rule or a check reads is used too.
        for w in &m.scheme.warnings {
            if let Some(&e) = m.element_ix.get(&w.element) {
                used[e as usize] = true;
            }
        }
        for c in &m.checks {
            for &e in &c.elements {
                used[e as usize] = true;
            }
        }
        for &e in m.element_order.iter().rev() {
            if used[e as usize]
                && let Some((_, expr)) = &m.elements[e as usize].formula
            {
                let mut vars = Vec::new();
                expr.vars(&mut vars);
                for (d, _) in vars {
                    used[d as usize] = true;
                }
            }
        }
        for (i, e) in m.elements.iter().enumerate() {
            if !used[i] {
                let c = &e.code;
                self.s.warn(
                    "unused_element",
                    &format!("elements.{c}"),
                    t!(
                        "数据项“{c}”没有被任何指标使用",
                        "data element `{c}` is not used by any indicator"
                    ),
                );
            }
            if e.formula.is_none()
                && e.rollup.is_none()
                && !e.responsibility
                && e.def.aggregate == Aggregate::None
                && e.def.frequency != crate::period::Granularity::Year
            {
                // Scoring a coarser period than the element's frequency then finds no value; say so.
                let c = &e.code;
                let f = e.def.frequency.name();
                let (fz, fe) = (&f.zh, &f.en);
                self.s.warn(
                    "no_aggregate",
                    &format!("elements.{c}.aggregate"),
                    t!("数据项“{c}”按{fz}填报但未设汇总方式（aggregate），年度考核时将视为缺失", "element `{c}` is reported per {fe} without an aggregate rule, so it is missing in annual scoring"),
                );
            }
            if e.def.absent_is_zero && !matches!(e.def.kind, ValueKind::Count | ValueKind::Flag) {
                let c = &e.code;
                self.s.err(
                    "bad_absent_is_zero",
                    &format!("elements.{c}.absent_is_zero"),
                    t!("absent_is_zero（无记录即为0）只适用于计数或是否类数据项（kind = count 或 flag）", "absent_is_zero (no record means zero) only applies to counts and flags (kind = count or flag)"),
                );
            }
            if matches!(e.def.kind, ValueKind::Count | ValueKind::Flag)
                && e.def.min.is_some_and(|m| m < Decimal::ZERO)
            {
                let c = &e.code;
                self.s.err(
                    "bad_range",
                    &format!("elements.{c}.min"),
                    t!(
                        "计数类数据项的下限不能为负",
                        "a count cannot have a negative minimum"
                    ),
                );
            }
        }
    }
}

/// A code with its name, for messages: “职能目标”（functional） / `functional` (Functional targets).
struct Named<'a>(&'a Ident, &'a Text);

impl Named<'_> {
    fn zh(&self) -> String {
        format!("“{}”（{}）", self.1.zh, self.0)
    }

    fn en(&self) -> String {
        format!("`{}` ({})", self.0, self.1.get(crate::text::Lang::En))
    }
}

struct Env<'a> {
    s: &'a Scheme,
    element_ix: &'a HashMap<Ident, ElemId>,
    unit_ix: &'a HashMap<Code, UnitId>,
    units: &'a [UnitModel],
}

fn empty_override() -> Override {
    Override {
        unit_target: None,
        coefficient: None,
        target: None,
        score_k: None,
    }
}

fn is_under(c: &ClassModel, mut node: NodeId, ancestor: NodeId) -> bool {
    loop {
        if node == ancestor {
            return true;
        }
        match c.nodes[node as usize].parent {
            Some(p) => node = p,
            None => return false,
        }
    }
}

fn depth(c: &ClassModel, mut node: NodeId) -> usize {
    let mut d = 0;
    while let Some(p) = c.nodes[node as usize].parent {
        d += 1;
        node = p;
    }
    d
}

/// Every slot a leaf reads.
pub fn leaf_slots(leaf: &LeafModel) -> Vec<SlotId> {
    let mut v = Vec::new();
    match &leaf.actual {
        Actual::None => {}
        Actual::Slot(s) => v.push(*s),
        Actual::Formula(_, e) => e.vars(&mut v),
    }
    match &leaf.method {
        MethodModel::Qualitative {
            band_slot: Some(s), ..
        } => v.push(*s),
        MethodModel::Deduction { items } | MethodModel::Bonus { items } => {
            v.extend(items.iter().map(|i| i.slot))
        }
        MethodModel::Formula { expr, .. } => {
            let mut fv = Vec::new();
            expr.vars(&mut fv);
            v.extend(
                fv.into_iter()
                    .filter_map(|f| if let FVar::Slot(s) = f { Some(s) } else { None }),
            );
        }
        _ => {}
    }
    v
}
