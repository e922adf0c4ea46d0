//! Live results: every published scheme compiled against the current organisation, its values
//! (official: counted only; provisional: submitted and beyond) and, for each of its periods,
//! the scored results — updated incrementally inside the request that changes a value, so
//! every read afterwards is current.

use jixiao_core::Decimal;
use jixiao_core::doc::SourceText;
use jixiao_core::engine::Scoring;
use jixiao_core::model::Model;
use jixiao_core::org::{History, Org};
use jixiao_core::period::Period;
use jixiao_core::scheme::{SchemeKind, Source};
use jixiao_core::values::{Origin, Values};
use jixiao_core::workflow::ValueState;
use jixiao_store::periods::PeriodRow;
use jixiao_store::schemes::SchemeRow;
use jixiao_store::values::ValueRow;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::Arc;

/// One period's results, both kinds, scored on the organisation as it stood on the period's
/// last day (`model`, the model of era `era`).
pub struct Tracked {
    pub era: usize,
    pub model: Arc<Model>,
    pub official: Scoring,
    pub provisional: Scoring,
}

/// A scheme compiled against one organisation of its history, with the values read through
/// that model (units that stand in that organisation only).
pub struct Era {
    pub model: Arc<Model>,
    pub official: Values,
    pub provisional: Values,
}

pub struct LiveScheme {
    pub row: SchemeRow,
    /// The scheme compiled against today's organisation: its elements, classes and indicators
    /// (the same in every era), and who is assessed now.
    pub model: Arc<Model>,
    /// One per distinct organisation the scheme's periods are scored on.
    pub eras: Vec<Era>,
    /// The era of today's organisation.
    pub today: usize,
    pub periods: BTreeMap<Period, Tracked>,
}

impl LiveScheme {
    /// The values of one kind that a tracked period was scored from.
    pub fn values(&self, t: &Tracked, kind: Kind) -> &Values {
        let era = &self.eras[t.era];
        match kind {
            Kind::Official => &era.official,
            Kind::Provisional => &era.provisional,
        }
    }

    /// The era a period is scored in: its own when tracked, else today's.
    pub fn era_of(&self, p: Period) -> &Era {
        &self.eras[self.periods.get(&p).map_or(self.today, |t| t.era)]
    }
}

/// Which kind of results.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Counted values only.
    Official,
    /// Submitted values and beyond.
    Provisional,
}

/// Generations of the live results, increasing across rebuilds: anything derived from the
/// results (a cached ranking) is valid while the generation it was made at is current.
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[derive(Default)]
pub struct Live {
    /// Changes with every change of the results (each [`Live::apply`], each rebuild).
    pub generation: u64,
    /// The organisation as it stands today.
    pub org: Option<Org>,
    /// The organisation through time.
    pub history: Option<History>,
    /// The day `org` is today's organisation for (a sync on a later day rebuilds).
    pub today: Option<String>,
    pub schemes: BTreeMap<String, LiveScheme>,
    /// Every stored value (compact; [`crate::stored`]).
    pub values: crate::stored::StoredValues,
    /// Element → its lead department (from the elements and the indicators that read them).
    pub leads: HashMap<String, String>,
    /// Element → where its data come from.
    pub sources: HashMap<String, Source>,
    pub periods: Vec<PeriodRow>,
    /// Every unit code the organisation has ever had (bulk imports and feeds check each row
    /// against it; whether it stands in the row's period is checked with the scheme).
    pub units: std::collections::HashSet<String>,
    /// Each unit's parent: today's, or for a unit closed by now, the last it had.
    pub parents: HashMap<String, String>,
    /// Problems building a scheme (should not happen: changes are checked before they commit).
    pub problems: Vec<String>,
    /// Earlier results by series, period and unit: the grades rules on consecutive results
    /// read beyond a scheme's own year (from publications and the office's records).
    pub earlier: Earlier,
}

/// Grades by series → period → unit.
pub type Earlier =
    HashMap<String, BTreeMap<Period, HashMap<jixiao_core::code::Code, jixiao_core::code::Ident>>>;

/// The earlier results as the rules read them (rows without a grade, or with a code that no
/// longer parses, are no result).
pub fn earlier_of(rows: &[jixiao_store::earlier::EarlierRow]) -> Earlier {
    let mut out = Earlier::new();
    for r in rows {
        let (Ok(p), Ok(u), Some(Ok(g))) = (
            Period::parse(&r.period),
            jixiao_core::code::Code::parse(&r.unit_code),
            r.grade.as_deref().map(jixiao_core::code::Ident::parse),
        ) else {
            continue;
        };
        out.entry(r.series.clone())
            .or_default()
            .entry(p)
            .or_default()
            .insert(u, g);
    }
    out
}

pub fn parse_scheme(
    row: &SchemeRow,
) -> Result<jixiao_core::scheme::Scheme, jixiao_core::issue::Issues> {
    let name = format!("{}@{}.{}", row.code, row.version, row.format);
    SourceText::new(&name, &row.content).parse()
}

/// Builds a value store from rows, keeping the rows `keep` accepts; rows whose unit, element or
/// period the model does not know are skipped (they belong to another scheme).
pub fn values_from_rows<'a>(
    model: &Model,
    rows: impl Iterator<Item = &'a ValueRow>,
    keep: impl Fn(ValueState) -> bool,
) -> Values {
    let mut v = Values::empty(model, "jixiao");
    for r in rows {
        let state = ValueState::parse(&r.state).unwrap_or(ValueState::Draft);
        if !keep(state) {
            continue;
        }
        if let (Some(u), Some(e), Ok(p), Ok(x)) = (
            model.unit(&r.unit_code),
            model.element(&r.element),
            Period::parse(&r.period),
            Decimal::from_str(&r.value),
        ) {
            v.put(u, e, p, Some(x), Origin::Set);
        }
    }
    v
}

/// [`values_from_rows`] on the live results' stored values.
pub fn values_from_stored(
    model: &Model,
    stored: &crate::stored::StoredValues,
    keep: impl Fn(ValueState) -> bool,
) -> Values {
    let mut v = Values::empty(model, "jixiao");
    for r in stored.each() {
        let state = ValueState::parse(r.state).unwrap_or(ValueState::Draft);
        if !keep(state) {
            continue;
        }
        if let (Some(u), Some(e), Ok(p), Some(x)) = (
            model.unit(r.unit),
            model.element(r.element),
            Period::parse(r.period),
            r.number,
        ) {
            v.put(u, e, p, Some(x), Origin::Set);
        }
    }
    v
}

impl Live {
    /// Takes the earlier results as they now stand (rankings cached before are stale).
    pub fn set_earlier(&mut self, earlier: Earlier) {
        self.earlier = earlier;
        self.generation = next_generation();
    }

    /// Compiles every published scheme against the organisation of each day its periods are
    /// scored on (a period's last day; today for what is assessed now) and scores its periods.
    pub fn build(
        history: Option<History>,
        schemes: Vec<SchemeRow>,
        periods: Vec<PeriodRow>,
        values: crate::stored::StoredValues,
    ) -> Live {
        let today = jixiao_store::today();
        let mut live = Live {
            generation: next_generation(),
            org: history.as_ref().map(|h| h.as_of(&today)),
            history,
            today: Some(today.clone()),
            periods,
            ..Live::default()
        };
        live.values = values;
        let Some(history) = live.history.clone() else {
            return live;
        };
        for row in schemes {
            let mut tracked = Vec::new();
            for p in live.periods.iter().filter(|p| p.scheme_code == row.code) {
                if let Ok(period) = Period::parse(&p.period) {
                    tracked.push(period);
                }
            }
            // Today first, then each period's last day: the distinct organisations among them
            // are the eras.
            let days: Vec<String> = std::iter::once(today.clone())
                .chain(tracked.iter().map(|p| p.last_day()))
                .collect();
            let mut keys: Vec<Vec<Option<usize>>> = Vec::new();
            let mut eras: Vec<Era> = Vec::new();
            let mut era_of_day: Vec<Option<usize>> = Vec::new();
            for day in &days {
                let key = history.key(day);
                if let Some(i) = keys.iter().position(|k| *k == key) {
                    era_of_day.push(Some(i));
                    continue;
                }
                match compile(&row, &history.as_of(day)) {
                    Ok(model) => {
                        let model = Arc::new(model);
                        eras.push(Era {
                            official: values_from_stored(
                                &model,
                                &live.values,
                                ValueState::official,
                            ),
                            provisional: values_from_stored(
                                &model,
                                &live.values,
                                ValueState::provisional,
                            ),
                            model,
                        });
                        keys.push(key);
                        era_of_day.push(Some(eras.len() - 1));
                    }
                    Err(e) => {
                        live.problems
                            .push(format!("{}@{} ({day}): {e}", row.code, row.version));
                        era_of_day.push(None);
                    }
                }
            }
            let Some(today_era) = era_of_day[0] else {
                continue;
            };
            let mut periods = BTreeMap::new();
            for (period, era) in tracked.into_iter().zip(&era_of_day[1..]) {
                let Some(era) = *era else { continue };
                let e = &eras[era];
                periods.insert(
                    period,
                    Tracked {
                        era,
                        model: e.model.clone(),
                        official: Scoring::compute(&e.model, &e.official, period),
                        provisional: Scoring::compute(&e.model, &e.provisional, period),
                    },
                );
            }
            live.schemes.insert(
                row.code.clone(),
                LiveScheme {
                    model: eras[today_era].model.clone(),
                    row,
                    eras,
                    today: today_era,
                    periods,
                },
            );
        }
        live.index();
        live
    }

    fn index(&mut self) {
        self.leads.clear();
        self.sources.clear();
        self.units.clear();
        self.parents.clear();
        if let Some(h) = &self.history {
            for v in h.latest() {
                self.units.insert(v.unit.code.to_string());
                if let Some(p) = &v.unit.parent {
                    self.parents.insert(v.unit.code.to_string(), p.to_string());
                }
            }
        }
        for u in self.org.iter().flat_map(|o| o.units.iter()) {
            match &u.parent {
                Some(p) => self.parents.insert(u.code.to_string(), p.to_string()),
                None => self.parents.remove(u.code.as_str()),
            };
        }
        for s in self.schemes.values() {
            let m = &s.model;
            for e in &m.elements {
                let source = if e.formula.is_some() {
                    Source::Computed
                } else {
                    e.def.source
                };
                self.sources.insert(e.code.to_string(), source);
                if let Some(l) = &e.def.lead {
                    self.leads.insert(e.code.to_string(), l.to_string());
                }
            }
            for c in &m.classes {
                for leaf in &c.leaves {
                    let Some(lead) = leaf.lead else { continue };
                    let lead = m.units[lead as usize].code.to_string();
                    for slot in jixiao_core::model::leaf_slots(leaf) {
                        let elem = c.slots[slot as usize].elem;
                        let mut deps = vec![false; m.elements.len()];
                        mark(m, elem, &mut deps);
                        for (i, used) in deps.iter().enumerate() {
                            if *used && m.elements[i].formula.is_none() {
                                self.leads
                                    .entry(m.elements[i].code.to_string())
                                    .or_insert_with(|| lead.clone());
                            }
                        }
                    }
                }
            }
        }
    }

    /// Brings every result up to date with a value's new row.
    pub fn apply(&mut self, row: &ValueRow) {
        for (code, era, u, e) in self.store_row(row) {
            if let Some(s) = self.schemes.get_mut(&code) {
                let x = &s.eras[era];
                for t in s.periods.values_mut().filter(|t| t.era == era) {
                    t.official.refresh_unit(&x.model, &x.official, u, e);
                    t.provisional.refresh_unit(&x.model, &x.provisional, u, e);
                }
            }
        }
    }

    /// Puts a row into the values and each scheme's tables (of every era), without rescoring;
    /// returns the schemes and eras that read it with the unit and element there. Nothing when this version or a
    /// newer one is already in (two requests may finish in either order and the newer version
    /// wins; a change read back from the audit feed that this server already applied costs
    /// nothing).
    fn store_row(
        &mut self,
        row: &ValueRow,
    ) -> Vec<(
        String,
        usize,
        jixiao_core::model::UnitId,
        jixiao_core::model::ElemId,
    )> {
        if self
            .values
            .version(&row.unit_code, &row.element, &row.period)
            .is_some_and(|old| old >= row.version)
        {
            return Vec::new();
        }
        self.generation = next_generation();
        self.values.insert(row);
        let state = ValueState::parse(&row.state).unwrap_or(ValueState::Draft);
        let value = Decimal::from_str(&row.value).ok();
        let mut touched = Vec::new();
        let Ok(p) = Period::parse(&row.period) else {
            return touched;
        };
        for (code, s) in self.schemes.iter_mut() {
            for (i, x) in s.eras.iter_mut().enumerate() {
                let (Some(u), Some(e)) =
                    (x.model.unit(&row.unit_code), x.model.element(&row.element))
                else {
                    continue;
                };
                x.official
                    .put(u, e, p, value.filter(|_| state.official()), Origin::Set);
                x.provisional
                    .put(u, e, p, value.filter(|_| state.provisional()), Origin::Set);
                touched.push((code.clone(), i, u, e));
            }
        }
        touched
    }

    /// Brings every result up to date with many new rows at once (a bulk import): the values
    /// go into the tables, then each tracked period of each scheme they touch is scored once,
    /// in full — the same results as applying the rows one by one, without rescoring a unit
    /// and re-ranking its class per row.
    pub fn apply_many(&mut self, rows: &[ValueRow]) {
        if rows.len() < 64 {
            rows.iter().for_each(|r| self.apply(r));
            return;
        }
        // Room for every row at once: growing a map of a million values step by step moved
        // them all each time it doubled (a third of a large import's time).
        self.values.reserve(rows.len());
        let mut touched = std::collections::BTreeSet::new();
        for row in rows {
            for (code, era, _, _) in self.store_row(row) {
                touched.insert((code, era));
            }
        }
        for (code, era) in touched {
            if let Some(s) = self.schemes.get_mut(&code) {
                let x = &s.eras[era];
                for (period, t) in s.periods.iter_mut().filter(|(_, t)| t.era == era) {
                    t.official = Scoring::compute(&x.model, &x.official, *period);
                    t.provisional = Scoring::compute(&x.model, &x.provisional, *period);
                }
            }
        }
    }

    /// The deadline of a scheme's period, if it has one (RFC 3339).
    pub fn deadline(&self, scheme: &str, period: &str) -> Option<String> {
        self.periods
            .iter()
            .find(|r| r.scheme_code == scheme && r.period == period)
            .and_then(|r| r.deadline.clone())
    }

    /// The lead department of an element, reported or computed (a computed element's is the
    /// lead of the first of its inputs that has one).
    pub fn lead_of_any(&self, element: &str) -> Option<String> {
        if let Some(l) = self.leads.get(element) {
            return Some(l.clone());
        }
        let (s, _) = self.element(element)?;
        let m = &s.model;
        let e = m.element(element)?;
        let mut used = vec![false; m.elements.len()];
        mark(m, e, &mut used);
        used.iter()
            .enumerate()
            .filter(|(_, u)| **u)
            .find_map(|(i, _)| self.leads.get(m.elements[i].code.as_str()).cloned())
    }

    /// A unit's name as it last stood (closed and merged units keep theirs).
    pub fn unit_name(&self, code: &str) -> Option<&jixiao_core::text::Text> {
        self.history.as_ref()?.of(code).last().map(|v| &v.unit.name)
    }

    /// Whether `period` (e.g. `2025Q4`) lies in the year of a loaded scheme that has the data
    /// element `element`: where values written for it count.
    pub fn scheme_year_has(&self, period: &str, element: &str) -> bool {
        jixiao_core::period::Period::parse(period).is_ok_and(|p| {
            self.schemes.values().any(|s| {
                i64::from(s.model.scheme.year) == i64::from(p.year_number())
                    && s.model.elements.iter().any(|e| e.code.as_str() == element)
            })
        })
    }

    /// Every unit's name as it stands today, by code.
    pub fn unit_names(&self) -> std::collections::HashMap<String, jixiao_core::text::Text> {
        self.history
            .as_ref()
            .map(|h| {
                h.latest()
                    .map(|v| (v.unit.code.to_string(), v.unit.name.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn scheme(&self, code: &str) -> Option<&LiveScheme> {
        self.schemes.get(code)
    }

    /// Whether a value is locked: a scheme that uses its element has closed a period containing it.
    pub fn locked(&self, element: &str, period: Period) -> bool {
        self.periods.iter().any(|p| {
            p.status == "closed" && self.closes(&p.scheme_code, &p.period, element, period)
        })
    }

    /// Whether closing `closed` of `scheme` locks `element`'s value of `period`: the scheme uses
    /// the element and the closed period contains the value's (closing a quarter locks the
    /// quarter and its months, not the year; closing the year locks all of it).
    pub fn closes(&self, scheme: &str, closed: &str, element: &str, period: Period) -> bool {
        self.schemes
            .get(scheme)
            .is_some_and(|s| s.model.element(element).is_some())
            && Period::parse(closed).is_ok_and(|c| c.contains(period))
    }

    /// The elements a published indicator (a leaf, bonus, deduction or veto item) of `scheme`
    /// reads, with the elements those are computed from: what an appeal against it disputes.
    pub fn disputed_elements(&self, scheme: &str, indicator: &str) -> Vec<String> {
        let Some(s) = self.schemes.get(scheme) else {
            return Vec::new();
        };
        let m = &s.model;
        let mut used = vec![false; m.elements.len()];
        for c in &m.classes {
            let mut slots = Vec::new();
            for leaf in c.leaves.iter().filter(|l| l.code.as_str() == indicator) {
                slots.extend(jixiao_core::model::leaf_slots(leaf));
            }
            for a in c.bonus.iter().chain(&c.deductions) {
                if a.code.as_str() == indicator {
                    slots.push(a.slot);
                }
            }
            for v in c.vetoes.iter().filter(|v| v.code.as_str() == indicator) {
                match &v.trigger {
                    jixiao_core::model::VetoTrigger::Slot(x) => slots.push(*x),
                    jixiao_core::model::VetoTrigger::Condition(_, e) => e.vars(&mut slots),
                }
            }
            for slot in slots {
                mark(m, c.slots[slot as usize].elem, &mut used);
            }
        }
        used.iter()
            .enumerate()
            .filter(|(_, u)| **u)
            .map(|(i, _)| m.elements[i].code.to_string())
            .collect()
    }

    /// The published schemes that read an element.
    /// The checks between elements that `unit`'s numbers of `period` fail, among those that
    /// read `element`; `incoming(element, period)` gives numbers about to be stored (the one
    /// being submitted, a file's), which stand before the stored ones. Stored numbers count
    /// unless they were returned.
    pub fn failed_checks(
        &self,
        unit: &str,
        element: &str,
        period: Period,
        incoming: &dyn Fn(&str, Period) -> Option<Decimal>,
    ) -> Vec<jixiao_core::scheme::CheckRule> {
        let mut out: Vec<jixiao_core::scheme::CheckRule> = Vec::new();
        for s in self.schemes_using(element) {
            let m = &s.era_of(period).model;
            if m.unit(unit).and_then(|u| m.class_of(u)).is_none() {
                continue;
            }
            let Some(id) = m.element(element) else {
                continue;
            };
            let value = |e: jixiao_core::model::ElemId, p: Period| -> Option<Decimal> {
                let code = m.elements[e as usize].code.as_str();
                if let Some(v) = incoming(code, p) {
                    return Some(v);
                }
                self.values
                    .number(unit, code, &p.to_string())
                    .filter(|(_, state)| *state != "returned")
                    .and_then(|(n, _)| n)
            };
            for i in jixiao_core::quality::failed_checks(m, period, Some(id), &value) {
                let c = &m.scheme.checks[i];
                if !out.iter().any(|o| o.code == c.code) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    /// A check between elements as a person reads it: each element by its name (the code only
    /// when no scheme knows it), `<=` as `≤`. "达成调解协议件数 ≤ 行政调解受理件数", not
    /// "mediation_agreements <= mediation_cases".
    pub fn rule_in_words(&self, rule: &str, lang: jixiao_core::text::Lang) -> String {
        let mut out = String::new();
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            if word.is_empty() {
                return;
            }
            match self.element(word) {
                Some((_, e)) => {
                    let n = &e.def.name;
                    out.push_str(if lang == jixiao_core::text::Lang::En && !n.en.is_empty() {
                        &n.en
                    } else {
                        &n.zh
                    });
                }
                None => out.push_str(word),
            }
            word.clear();
        };
        for c in rule.chars() {
            if c.is_alphanumeric() || c == '_' {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
                out.push(c);
            }
        }
        flush(&mut word, &mut out);
        out.replace("<=", "≤")
            .replace(">=", "≥")
            .replace("!=", "≠")
            .replace("==", "=")
    }

    /// A failed check between elements, in both languages, by names.
    pub fn check_failed(&self, c: &jixiao_core::scheme::CheckRule) -> jixiao_core::text::Text {
        use jixiao_core::text::Lang;
        let en = if c.name.en.is_empty() {
            &c.name.zh
        } else {
            &c.name.en
        };
        jixiao_core::text::Text::new(
            format!(
                "数据之间不一致：{}（{}）",
                c.name.zh,
                self.rule_in_words(&c.rule, Lang::Zh)
            ),
            format!(
                "these numbers do not agree: {en} ({})",
                self.rule_in_words(&c.rule, Lang::En)
            ),
        )
    }

    pub fn schemes_using(&self, element: &str) -> impl Iterator<Item = &LiveScheme> {
        self.schemes
            .values()
            .filter(move |s| s.model.element(element).is_some())
    }

    pub fn element(&self, code: &str) -> Option<(&LiveScheme, &jixiao_core::model::ElementModel)> {
        self.schemes.values().find_map(|s| {
            s.model
                .element(code)
                .map(|e| (s, &s.model.elements[e as usize]))
        })
    }
}

fn mark(m: &Model, elem: u32, used: &mut [bool]) {
    if used[elem as usize] {
        return;
    }
    used[elem as usize] = true;
    if let Some((_, expr)) = &m.elements[elem as usize].formula {
        let mut vars = Vec::new();
        expr.vars(&mut vars);
        for (d, _) in vars {
            mark(m, d, used);
        }
    }
}

/// Compiles a scheme row against the organisation.
pub fn compile(row: &SchemeRow, org: &Org) -> Result<Model, jixiao_core::issue::Issues> {
    let scheme = parse_scheme(row)?;
    Model::build(
        scheme,
        org.clone(),
        &SourceText::detached("scheme"),
        &SourceText::detached("organisation"),
    )
    .map(|(m, _)| m)
}

/// The organisation and schemes seen as a [`jixiao_core::access::Scope`].
impl jixiao_core::access::Scope for Live {
    fn within(&self, unit: &str, root: &str) -> bool {
        let mut cur = Some(unit.to_owned());
        let mut steps = 0;
        while let Some(c) = cur {
            if c == root {
                return true;
            }
            steps += 1;
            if steps > 64 {
                return false;
            }
            cur = self.parents.get(&c).cloned();
        }
        false
    }

    fn lead_of(&self, element: &str) -> Option<String> {
        self.leads.get(element).cloned()
    }

    fn source_of(&self, element: &str) -> Option<Source> {
        self.sources.get(element).copied()
    }

    fn is_budget_scheme(&self, scheme: &str) -> bool {
        self.schemes
            .get(scheme)
            .is_some_and(|s| s.model.scheme.kind == SchemeKind::Budget)
            || scheme.contains("budget")
    }
}
