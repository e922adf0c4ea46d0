//! Every stored value as the live results hold it: compact, because a district keeps millions.
//!
//! The store hands rows over as [`ValueRow`]s — eleven `String`s each, about 750 bytes a value
//! with its key and the map. Held like that, a million values took 750 MB, and writing them
//! into a new map (a bulk import) spent most of its time having the operating system hand over
//! fresh pages. Here a value is its key as three interned ids and a slot of numbers: its id,
//! version, the number (a `Decimal` when its text reads back the same, else the text), and ids
//! of its state, note, return reason, source, who and when in one table of distinct texts
//! (most values share them: an import writes one time, one person, one state). About 100 bytes
//! a value. A row is made again, owned, when someone asks for one.
//!
//! The table of texts only grows (a note replaced stays in it) until the next rebuild of the
//! live results, which starts afresh; a year of single saves adds a few megabytes.

use jixiao_store::values::{ValueRef, ValueRow};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::str::FromStr;
use std::sync::Arc;

/// Distinct texts, each with a number.
#[derive(Debug, Default, Clone)]
struct Texts {
    all: Vec<Arc<str>>,
    ids: FxHashMap<Arc<str>, u32>,
}

impl Texts {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = u32::try_from(self.all.len()).expect("fewer than 4 billion distinct texts");
        let a: Arc<str> = Arc::from(s);
        self.all.push(a.clone());
        self.ids.insert(a, i);
        i
    }

    fn find(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    fn get(&self, i: u32) -> &str {
        &self.all[i as usize]
    }
}

/// Whether `d` prints as exactly `text`, compared as it prints (no `String` made: this runs
/// for every value the server's start reads).
fn prints_as(d: &Decimal, text: &str) -> bool {
    struct Compare<'a>(Option<&'a str>);
    impl std::fmt::Write for Compare<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 = self.0.and_then(|rest| rest.strip_prefix(s));
            Ok(())
        }
    }
    let mut c = Compare(Some(text));
    std::fmt::Write::write_fmt(&mut c, format_args!("{d}")).is_ok() && c.0 == Some("")
}

/// A value's number: as a `Decimal` when its text is exactly how the `Decimal` prints, else
/// the text as stored (a percent sign, a leading plus, …).
#[derive(Debug, Clone)]
enum Number {
    Exact(Decimal),
    Text(Box<str>),
}

impl Number {
    fn of(text: &str) -> Number {
        match Decimal::from_str(text) {
            Ok(d) if prints_as(&d, text) => Number::Exact(d),
            _ => Number::Text(text.into()),
        }
    }

    fn text(&self) -> String {
        match self {
            Number::Exact(d) => d.to_string(),
            Number::Text(t) => t.to_string(),
        }
    }

    /// The number, when the text is one.
    pub fn decimal(&self) -> Option<Decimal> {
        match self {
            Number::Exact(d) => Some(*d),
            Number::Text(t) => Decimal::from_str(t).ok(),
        }
    }
}

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Slot {
    id: i64,
    version: i64,
    number: Number,
    state: u32,
    note: u32,
    return_reason: u32,
    source: u32,
    updated_by: u32,
    updated_at: u32,
    /// [`NONE`] while never reported.
    reported_at: u32,
}

/// Every stored value by (unit, element, period).
#[derive(Debug, Default, Clone)]
pub struct StoredValues {
    texts: Texts,
    slots: FxHashMap<[u32; 3], Slot>,
    /// Every period some value is stored for (a handful), to look a unit's element up across
    /// them without scanning every value.
    periods: rustc_hash::FxHashSet<u32>,
}

/// A stored value's key, its unit, element and period codes.
pub struct Stored<'a> {
    pub unit: &'a str,
    pub element: &'a str,
    pub period: &'a str,
    pub state: &'a str,
    /// The number, when its text is one.
    pub number: Option<Decimal>,
}

impl StoredValues {
    pub fn new() -> StoredValues {
        StoredValues::default()
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Room for `n` more values.
    pub fn reserve(&mut self, n: usize) {
        self.slots.reserve(n);
    }

    fn key(&self, unit: &str, element: &str, period: &str) -> Option<[u32; 3]> {
        Some([
            self.texts.find(unit)?,
            self.texts.find(element)?,
            self.texts.find(period)?,
        ])
    }

    fn row(&self, k: &[u32; 3], s: &Slot) -> ValueRow {
        let t = |i: u32| self.texts.get(i).to_owned();
        ValueRow {
            id: s.id,
            unit_code: t(k[0]),
            element: t(k[1]),
            period: t(k[2]),
            value: s.number.text(),
            note: t(s.note),
            state: t(s.state),
            return_reason: t(s.return_reason),
            version: s.version,
            source: t(s.source),
            updated_by: t(s.updated_by),
            updated_at: t(s.updated_at),
            reported_at: (s.reported_at != NONE).then(|| t(s.reported_at)),
        }
    }

    /// The value stored for a unit, element and period, as the store's row.
    pub fn get(&self, unit: &str, element: &str, period: &str) -> Option<ValueRow> {
        let k = self.key(unit, element, period)?;
        self.slots.get(&k).map(|s| self.row(&k, s))
    }

    /// Its state (`draft`, `submitted`, …), without making the row.
    pub fn state(&self, unit: &str, element: &str, period: &str) -> Option<&str> {
        let k = self.key(unit, element, period)?;
        self.slots.get(&k).map(|s| self.texts.get(s.state))
    }

    /// Its number when the text is one and its state, without making the row.
    pub fn number(
        &self,
        unit: &str,
        element: &str,
        period: &str,
    ) -> Option<(Option<Decimal>, &str)> {
        let k = self.key(unit, element, period)?;
        self.slots
            .get(&k)
            .map(|s| (s.number.decimal(), self.texts.get(s.state)))
    }

    /// The version stored, if any.
    pub fn version(&self, unit: &str, element: &str, period: &str) -> Option<i64> {
        let k = self.key(unit, element, period)?;
        self.slots.get(&k).map(|s| s.version)
    }

    /// Puts a row in, replacing what was stored for its key.
    pub fn insert<'a>(&mut self, r: impl Into<ValueRef<'a>>) {
        let r = r.into();
        let k = [
            self.texts.id(r.unit_code),
            self.texts.id(r.element),
            self.texts.id(r.period),
        ];
        let slot = Slot {
            id: r.id,
            version: r.version,
            number: Number::of(r.value),
            state: self.texts.id(r.state),
            note: self.texts.id(r.note),
            return_reason: self.texts.id(r.return_reason),
            source: self.texts.id(r.source),
            updated_by: self.texts.id(r.updated_by),
            updated_at: self.texts.id(r.updated_at),
            reported_at: r.reported_at.map_or(NONE, |t| self.texts.id(t)),
        };
        self.slots.insert(k, slot);
        self.periods.insert(k[2]);
    }

    /// Every period some value is stored for, in no particular order.
    pub fn periods(&self) -> impl Iterator<Item = &str> {
        self.periods.iter().map(|&p| self.texts.get(p))
    }

    /// Each stored value's key, state and number, in no particular order.
    pub fn each(&self) -> impl Iterator<Item = Stored<'_>> {
        self.slots.iter().map(|(k, s)| Stored {
            unit: self.texts.get(k[0]),
            element: self.texts.get(k[1]),
            period: self.texts.get(k[2]),
            state: self.texts.get(s.state),
            number: s.number.decimal(),
        })
    }

    /// The stored values `keep` picks (by key, state and number), each as the store's row.
    pub fn rows_where<'a>(
        &'a self,
        keep: impl Fn(&Stored<'_>) -> bool + 'a,
    ) -> impl Iterator<Item = ValueRow> + 'a {
        self.slots.iter().filter_map(move |(k, s)| {
            let seen = Stored {
                unit: self.texts.get(k[0]),
                element: self.texts.get(k[1]),
                period: self.texts.get(k[2]),
                state: self.texts.get(s.state),
                number: s.number.decimal(),
            };
            keep(&seen).then(|| self.row(k, s))
        })
    }
}

impl FromIterator<ValueRow> for StoredValues {
    fn from_iter<I: IntoIterator<Item = ValueRow>>(rows: I) -> StoredValues {
        let mut v = StoredValues::new();
        for r in rows {
            v.insert(&r);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(value: &str, note: &str, reported: Option<&str>) -> ValueRow {
        ValueRow {
            id: 7,
            unit_code: "QLY".into(),
            element: "mediation_cases".into(),
            period: "2025Q4".into(),
            value: value.into(),
            note: note.into(),
            state: "submitted".into(),
            return_reason: String::new(),
            version: 3,
            source: "web".into(),
            updated_by: "qly".into(),
            updated_at: "2026-12-04T10:00:00Z".into(),
            reported_at: reported.map(str::to_owned),
        }
    }

    /// Whatever text a value was stored with, the row made again is the row put in.
    #[test]
    fn rows_come_back_as_they_went_in() {
        for (value, note, reported) in [
            ("40", "", Some("2026-12-01T00:00:00Z")),
            ("12.50", "季度汇总", None),
            ("0.0", "", None),
            ("-3", "", None),
            ("+5", "", None),
            ("85%", "", None),
            ("007", "", None),
            ("1e3", "", None),
            ("", "", None),
        ] {
            let r = row(value, note, reported);
            let v: StoredValues = std::iter::once(r.clone()).collect();
            assert_eq!(
                v.get("QLY", "mediation_cases", "2025Q4"),
                Some(r.clone()),
                "{value}"
            );
            assert_eq!(v.rows_where(|_| true).collect::<Vec<_>>(), vec![r]);
        }
    }

    #[test]
    fn a_number_is_compared_as_it_prints() {
        let d = |t: &str| Decimal::from_str(t).expect("decimal");
        assert!(prints_as(&d("12.50"), "12.50"));
        assert!(prints_as(&d("-0.001"), "-0.001"));
        assert!(
            !prints_as(&d("12.50"), "12.5"),
            "the scale is part of the text"
        );
        assert!(!prints_as(&d("12"), "1"), "longer than the text");
        assert!(!prints_as(&d("1"), "12"), "a prefix of the text");
        assert!(!prints_as(&d("5"), "+5"));
        assert!(!prints_as(&d("0"), ""));
    }

    #[test]
    fn a_key_finds_only_its_value() {
        let mut v = StoredValues::new();
        v.insert(&row("40", "", None));
        let mut other = row("41", "", None);
        other.period = "2025Q3".into();
        other.version = 1;
        v.insert(&other);
        assert_eq!(v.len(), 2);
        assert_eq!(v.version("QLY", "mediation_cases", "2025Q4"), Some(3));
        assert_eq!(v.version("QLY", "mediation_cases", "2025Q3"), Some(1));
        assert_eq!(v.get("QLY", "mediation_cases", "2025Q2"), None);
        assert_eq!(v.get("MXI", "mediation_cases", "2025Q4"), None);
        assert_eq!(
            v.state("QLY", "mediation_cases", "2025Q3"),
            Some("submitted")
        );
        assert_eq!(
            v.number("QLY", "mediation_cases", "2025Q3").map(|(n, _)| n),
            Some(Some(Decimal::from(41)))
        );
        // Replacing keeps one value per key.
        other.value = "42".into();
        other.version = 2;
        v.insert(&other);
        assert_eq!(v.len(), 2);
        assert_eq!(
            v.get("QLY", "mediation_cases", "2025Q3").map(|r| r.value),
            Some("42".into())
        );
        let mut keys: Vec<String> = v.each().map(|s| s.period.to_owned()).collect();
        keys.sort();
        assert_eq!(keys, ["2025Q3", "2025Q4"]);
        let mut periods: Vec<&str> = v.periods().collect();
        periods.sort();
        assert_eq!(periods, ["2025Q3", "2025Q4"]);
    }
}
