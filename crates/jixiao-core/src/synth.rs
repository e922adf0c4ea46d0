//! Synthetic schemes, organisations and data of any size: for benchmarks and property tests.
//! Deterministic for a given spec. Every scoring method appears; one indicator per class is
//! ranked among peers; some indicators are elastic with coefficients in both modes.

use crate::code::{Code, Ident};
use crate::data::{DataSet, Record};
use crate::org::{District, Level, Org, Unit};
use crate::period::Period;
use crate::scheme::{
    Aggregate, Class, ClassKind, CoefficientMode, CountItem, Direction, Element, Indicator, Method,
    Module, Rules, Scheme, SchemeKind, Source, ValueKind,
};
use crate::text::Text;
use indexmap::IndexMap;
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
pub struct Spec {
    pub units: usize,
    pub indicators: usize,
    pub classes: usize,
    pub seed: u64,
    /// Share of values left out (per mille).
    pub missing_per_mille: u32,
    /// Draw actual values from a handful of levels, so that ties happen.
    pub coarse: bool,
    /// When given, the scheme also varies its rules from this seed (see [`Variety`]): bonus,
    /// deduction and veto items with their elements and data, the missing-data policy, caps
    /// and the quota's variants. `None`: the plain scheme the benchmarks measure.
    pub variety: Option<u64>,
}

/// The rules a varied synthetic scheme draws (property tests): what the plain one leaves at
/// the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Variety {
    pub missing: crate::scheme::MissingPolicy,
    pub bonus_cap: Decimal,
    pub deduction_cap: Option<Decimal>,
    pub veto_effect: crate::scheme::VetoEffect,
    pub quota: Option<crate::scheme::Quota>,
    /// Bonus items (per event), deduction items (per event), with an item cap or not.
    pub bonus: Vec<(Decimal, Option<Decimal>)>,
    pub deductions: Vec<(Decimal, Option<Decimal>)>,
    /// Whether there is a veto item.
    pub veto: bool,
    /// Points taken off every grade's lower bound (0, 10 or 20), so that high grades and
    /// their quota are reached by synthetic totals too.
    pub grade_shift: Decimal,
}

impl Variety {
    pub fn draw(seed: u64) -> Variety {
        use crate::scheme::{MissingPolicy, Quota, QuotaRounding, UnresolvedTie, VetoEffect};
        let mut rng = Rng::new(seed ^ 0x00C0_FFEE);
        let missing = [
            MissingPolicy::Zero,
            MissingPolicy::Exclude,
            MissingPolicy::Block,
        ][rng.range(0, 2) as usize];
        let quota = match rng.range(0, 3) {
            0 => None,
            k => Some(Quota {
                share: [Decimal::new(2, 1), Decimal::new(3, 1), Decimal::new(5, 1)]
                    [rng.range(0, 2) as usize],
                rounding: [
                    QuotaRounding::Down,
                    QuotaRounding::HalfUp,
                    QuotaRounding::Up,
                ][rng.range(0, 2) as usize],
                unresolved_tie: if k == 1 {
                    UnresolvedTie::ExcludeAll
                } else {
                    UnresolvedTie::IncludeAll
                },
                ..Quota::default()
            }),
        };
        let item = |rng: &mut Rng| {
            (
                Decimal::new(rng.range(5, 30), 1),
                rng.chance(500).then(|| Decimal::new(rng.range(10, 40), 1)),
            )
        };
        let bonus = (0..rng.range(0, 2)).map(|_| item(&mut rng)).collect();
        let deductions = (0..rng.range(0, 2)).map(|_| item(&mut rng)).collect();
        Variety {
            missing,
            bonus_cap: Decimal::from(rng.range(2, 8)),
            deduction_cap: rng.chance(500).then(|| Decimal::from(rng.range(2, 6))),
            veto_effect: if rng.chance(500) {
                VetoEffect::Zero
            } else {
                VetoEffect::CapGrade
            },
            quota,
            bonus,
            deductions,
            veto: rng.chance(700),
            grade_shift: Decimal::from(10 * rng.range(0, 2)),
        }
    }
}

/// The count elements a varied scheme adds for class `c`: (element, kind) where kind is
/// 'b' bonus, 'd' deduction, 'v' veto.
fn extra_elements(v: &Variety, c: usize) -> Vec<(String, char)> {
    let mut out = Vec::new();
    for i in 0..v.bonus.len() {
        out.push((format!("x{c}_b{i}"), 'b'));
    }
    for i in 0..v.deductions.len() {
        out.push((format!("x{c}_d{i}"), 'd'));
    }
    if v.veto {
        out.push((format!("x{c}_v"), 'v'));
    }
    out
}

/// SplitMix64: small, fast, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_add(0x9E37_79B9_7F4A_7C15))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }

    pub fn chance(&mut self, per_mille: u32) -> bool {
        (self.next_u64() % 1000) < u64::from(per_mille)
    }
}

/// Synthetic names are ASCII letters, digits and `_`, never reserved words.
fn id(s: String) -> Ident {
    Ident::builtin_owned(s)
}

fn d(n: i64) -> Decimal {
    Decimal::from(n)
}

/// The kind of indicator at position `i` of a class: a fixed mix of every method.
fn method_for(i: usize) -> usize {
    // 0 ratio↑ 1 ratio↓ 2 threshold 3 linear 4 qualitative 5 deduction 6 bonus 7 formula;
    // indicator 0 of each class is ranked (8).
    if i == 0 {
        return 8;
    }
    [0, 0, 0, 1, 3, 0, 2, 3, 4, 5, 0, 1, 6, 7, 0, 3, 0, 1, 2, 0][i % 20]
}

/// Builds the scheme and organisation.
pub fn scheme_and_org(spec: &Spec) -> (Scheme, Org) {
    let mut elements = IndexMap::new();
    let mut classes = IndexMap::new();
    let per_module = 10.min(spec.indicators.max(1));
    let modules_n = spec.indicators.div_ceil(per_module);
    for c in 0..spec.classes {
        let mut modules = Vec::new();
        for m in 0..modules_n {
            let mut indicators = Vec::new();
            let in_module = (spec.indicators - m * per_module).min(per_module);
            for k in 0..in_module {
                let i = m * per_module + k;
                let e = format!("e{c}_{i}");
                let kind = method_for(i);
                let (vk, agg, absent) = match kind {
                    5 | 6 => (ValueKind::Count, Aggregate::Sum, true),
                    4 => (ValueKind::Percent, Aggregate::Mean, false),
                    _ => (ValueKind::Number, Aggregate::Mean, false),
                };
                elements.insert(
                    id(e.clone()),
                    Element {
                        name: Text::new(format!("数据项{c}-{i}"), format!("element {c}-{i}")),
                        unit: String::new(),
                        kind: vk,
                        min: None,
                        max: None,
                        frequency: crate::period::Granularity::Quarter,
                        aggregate: agg,
                        carry: false,
                        absent_is_zero: absent,
                        source: Source::Reported,
                        lead: None,
                        definition: None,
                        formula: None,
                        feed: None,
                        rectification: None,
                        project: None,
                        enforcement: None,
                        children: None,
                    },
                );
                let (method, target, direction) = match kind {
                    0 => (
                        Method::Ratio {
                            max_ratio: None,
                            zero_actual: None,
                        },
                        Some(d(100)),
                        Direction::Higher,
                    ),
                    1 => (
                        Method::Ratio {
                            max_ratio: None,
                            zero_actual: None,
                        },
                        Some(d(10)),
                        Direction::Lower,
                    ),
                    2 => (
                        Method::Threshold { op: None },
                        Some(d(98)),
                        Direction::Higher,
                    ),
                    3 => (
                        Method::Linear { floor: d(60) },
                        Some(d(100)),
                        Direction::Higher,
                    ),
                    4 => (
                        Method::Qualitative {
                            band_element: None,
                            entry: Default::default(),
                        },
                        None,
                        Direction::Higher,
                    ),
                    5 => (
                        Method::Deduction {
                            per: Some(Decimal::new(15, 1)),
                            items: Vec::new(),
                        },
                        None,
                        Direction::Higher,
                    ),
                    6 => (
                        Method::Bonus {
                            per: Some(Decimal::new(5, 1)),
                            items: Vec::<CountItem>::new(),
                        },
                        None,
                        Direction::Higher,
                    ),
                    7 => (
                        Method::Formula {
                            score: "w * min(a / t, 1)".into(),
                            allow_over: false,
                        },
                        Some(d(80)),
                        Direction::Higher,
                    ),
                    _ => (
                        Method::Rank {
                            step: Decimal::new(1, 1),
                            min: None,
                        },
                        None,
                        Direction::Higher,
                    ),
                };
                indicators.push(Indicator {
                    code: id(format!("i{i}")),
                    name: Text::new(format!("指标{i}"), format!("indicator {i}")),
                    unit: String::new(),
                    direction,
                    points: None,
                    weight: Some(Decimal::ONE_HUNDRED / Decimal::from(in_module)),
                    method,
                    target,
                    elastic: matches!(kind, 0 | 3) && i % 3 == 0,
                    coefficient_mode: (kind == 3 && i % 3 == 0).then_some(CoefficientMode::Score),
                    prorate: false,
                    lead: None,
                    cooperating: Vec::new(),
                    responsibility: None,
                    source: Source::Reported,
                    element: Some(id(e)),
                    formula: None,
                    missing: None,
                    definition: None,
                    example: None,
                });
            }
            let code = if m == 0 {
                "functional".to_owned()
            } else {
                format!("m{m}")
            };
            modules.push(Module {
                code: id(code),
                name: Text::new(format!("模块{m}"), format!("module {m}")),
                points: None,
                weight: Some(Decimal::ONE_HUNDRED / Decimal::from(modules_n)),
                dimension: None,
                redistribute_to: None,
                share: None,
                modules: Vec::new(),
                indicators,
            });
        }
        classes.insert(
            id(format!("c{c}")),
            Class {
                name: Text::new(format!("类别{c}"), format!("class {c}")),
                kind: ClassKind::Unit,
                points: d(100),
                tie_break: None,
                share: None,
                modules,
                bonus: Vec::new(),
                deductions: Vec::new(),
                vetoes: Vec::new(),
                year_result: None,
            },
        );
        if let Some(v) = spec.variety.map(Variety::draw) {
            let class = classes
                .get_mut(&id(format!("c{c}")))
                .expect("the class just made");
            for (e, kind) in extra_elements(&v, c) {
                elements.insert(
                    id(e.clone()),
                    Element {
                        name: Text::new(format!("事项{e}"), format!("events {e}")),
                        unit: String::new(),
                        kind: ValueKind::Count,
                        min: None,
                        max: None,
                        frequency: crate::period::Granularity::Quarter,
                        aggregate: Aggregate::Sum,
                        carry: false,
                        absent_is_zero: true,
                        source: Source::Reported,
                        lead: None,
                        definition: None,
                        formula: None,
                        feed: None,
                        rectification: None,
                        project: None,
                        enforcement: None,
                        children: None,
                    },
                );
                let n: usize = e[e.rfind(['b', 'd']).map_or(0, |i| i + 1)..]
                    .parse()
                    .unwrap_or(0);
                let adj = |(per, max): (Decimal, Option<Decimal>)| crate::scheme::Adjustment {
                    code: id(format!("a_{e}")),
                    name: Text::new(format!("事项{e}"), format!("item {e}")),
                    element: id(e.clone()),
                    per,
                    max,
                    missing: None,
                };
                match kind {
                    'b' => class.bonus.push(adj(v.bonus[n])),
                    'd' => class.deductions.push(adj(v.deductions[n])),
                    _ => class.vetoes.push(crate::scheme::Veto {
                        code: id(format!("a_{e}")),
                        name: Text::new(format!("否决{e}"), format!("veto {e}")),
                        element: Some(id(e.clone())),
                        condition: None,
                        effect: None,
                    }),
                }
            }
        }
    }
    // Weights like 100/3 do not add up exactly; give the remainder to the first child so the
    // sums are exact, as a scheme author would.
    for class in classes.values_mut() {
        fix_weights(&mut class.modules);
    }
    let mut rules = Rules::default();
    if let Some(v) = spec.variety.map(Variety::draw) {
        rules.missing = v.missing;
        rules.bonus_cap = v.bonus_cap;
        rules.deduction_cap = v.deduction_cap;
        rules.veto_effect = v.veto_effect;
        rules.quota = v.quota;
        if v.veto_effect == crate::scheme::VetoEffect::CapGrade {
            rules.veto_grade = Some(id("pass".to_owned()));
        }
        for g in &mut rules.grades {
            if g.min > v.grade_shift {
                g.min -= v.grade_shift;
            }
        }
    }
    let scheme = Scheme {
        id: Code::builtin("synthetic"),
        title: Text::new("合成方案", "Synthetic scheme"),
        year: 2025,
        version: 1,
        series: None,
        kind: SchemeKind::Unit,
        rules,
        constants: IndexMap::new(),
        elements,
        classes,
        bonus: Vec::new(),
        deductions: Vec::new(),
        vetoes: Vec::new(),
        warnings: Vec::new(),
        checks: Vec::new(),
        applications: Vec::new(),
    };
    let mut rng = Rng::new(spec.seed ^ 0x5EED);
    let units = (0..spec.units)
        .map(|u| {
            let mut coefficients = IndexMap::new();
            if u % 4 == 1 {
                for i in
                    (0..spec.indicators).filter(|i| matches!(method_for(*i), 0 | 3) && i % 3 == 0)
                {
                    coefficients.insert(id(format!("i{i}")), Decimal::new(rng.range(8, 12), 1));
                }
            }
            Unit {
                code: Code::builtin(&format!("U{u:05}")),
                name: Text::new(format!("单位{u}"), format!("Unit {u}")),
                parent: None,
                level: Level::Department,
                class: Some(id(format!("c{}", u % spec.classes.max(1)))).into(),
                coefficients,
                targets: IndexMap::new(),
            }
        })
        .collect();
    let org = Org {
        district: District {
            code: Code::builtin("district"),
            name: Text::new("合成区", "Synthetic district"),
        },
        units,
    };
    (scheme, org)
}

fn fix_weights(modules: &mut [Module]) {
    let total: Decimal = modules.iter().filter_map(|m| m.weight).sum();
    if let Some(first) = modules.first_mut() {
        first.weight = first.weight.map(|w| w + Decimal::ONE_HUNDRED - total);
    }
    for m in modules.iter_mut() {
        let total: Decimal = m.indicators.iter().filter_map(|i| i.weight).sum();
        if let Some(first) = m.indicators.first_mut() {
            first.weight = first.weight.map(|w| w + Decimal::ONE_HUNDRED - total);
        }
    }
}

/// One value for unit `u`, indicator `i`, quarter `q`, or `None` when it is left out.
pub fn value(spec: &Spec, rng: &mut Rng, i: usize) -> Option<Decimal> {
    if spec.missing_per_mille > 0 && rng.chance(spec.missing_per_mille) {
        return None;
    }
    let coarse = |rng: &mut Rng, lo: i64, hi: i64| {
        if spec.coarse {
            lo + (hi - lo) / 4 * rng.range(0, 4)
        } else {
            rng.range(lo, hi)
        }
    };
    Some(match method_for(i) {
        0 => Decimal::new(coarse(rng, 500, 1200), 1),
        1 => Decimal::new(coarse(rng, 0, 300), 1),
        2 => d(coarse(rng, 95, 100)),
        3 => Decimal::new(coarse(rng, 400, 1100), 1),
        4 => d(coarse(rng, 0, 100)),
        5 | 6 => d(rng.range(0, 4)),
        7 => Decimal::new(coarse(rng, 500, 1000), 1),
        _ => d(coarse(rng, 0, 1000)),
    })
}

pub fn quarters() -> Vec<Period> {
    ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
        .iter()
        .filter_map(|p| Period::parse(p).ok())
        .collect()
}

/// Data records for every unit, element and quarter (for small specs: tests go through CSV).
pub fn dataset(spec: &Spec) -> DataSet {
    let mut rng = Rng::new(spec.seed);
    let mut records = Vec::new();
    let mut row = 2;
    for q in quarters() {
        for u in 0..spec.units {
            let c = u % spec.classes.max(1);
            for i in 0..spec.indicators {
                if let Some(v) = value(spec, &mut rng, i) {
                    records.push(Record {
                        unit: format!("U{u:05}").into(),
                        item: format!("e{c}_{i}").into(),
                        period: q,
                        value: v,
                        percent_sign: false,
                        note: None,
                        row,
                    });
                    row += 1;
                }
            }
            if let Some(v) = spec.variety.map(Variety::draw) {
                for (e, kind) in extra_elements(&v, c) {
                    // Events are rare: most quarters none; a veto's event rarer still.
                    let n = match kind {
                        'v' if rng.chance(40) => 1,
                        'v' => 0,
                        _ if rng.chance(300) => rng.range(1, 3),
                        _ => 0,
                    };
                    if n > 0 {
                        records.push(Record {
                            unit: format!("U{u:05}").into(),
                            item: e.into(),
                            period: q,
                            value: d(n),
                            percent_sign: false,
                            note: None,
                            row,
                        });
                        row += 1;
                    }
                }
            }
        }
    }
    DataSet {
        file: "synthetic.csv".into(),
        encoding: "UTF-8",
        records,
        columns: [
            "unit".into(),
            "item".into(),
            "period".into(),
            "value".into(),
        ],
    }
}

/// Fills `values` directly (for large specs, skipping CSV), the same numbers as [`dataset`].
pub fn fill(spec: &Spec, model: &crate::model::Model, values: &mut crate::values::Values) {
    let mut rng = Rng::new(spec.seed);
    let elems: Vec<Vec<Option<u32>>> = (0..spec.classes.max(1))
        .map(|c| {
            (0..spec.indicators)
                .map(|i| model.element(&format!("e{c}_{i}")))
                .collect()
        })
        .collect();
    let mut row = 2;
    for q in quarters() {
        for u in 0..spec.units {
            let c = u % spec.classes.max(1);
            let Some(uid) = model.unit(&format!("U{u:05}")) else {
                continue;
            };
            for (i, elem) in elems[c].iter().enumerate() {
                if let Some(v) = value(spec, &mut rng, i) {
                    if let Some(e) = elem {
                        values.put(uid, *e, q, Some(v), crate::values::Origin::Row { row });
                    }
                    row += 1;
                }
            }
        }
    }
}

/// CSV text of a data set, rows in the given order.
pub fn to_csv(data: &DataSet, order: &[usize]) -> String {
    let mut s = String::from("unit,item,period,value\n");
    for &i in order {
        let r = &data.records[i];
        s.push_str(&format!("{},{},{},{}\n", r.unit, r.item, r.period, r.value));
    }
    s
}
