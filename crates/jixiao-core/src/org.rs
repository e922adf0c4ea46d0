//! The organisation file: the district, its units, their classes and elastic coefficients.

use crate::code::{Code, Ident};
use crate::text::Text;
use indexmap::IndexMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    pub district: District,
    pub units: Vec<Unit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct District {
    pub code: Code,
    pub name: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 区直部门
    Department,
    /// 街道
    Subdistrict,
    /// 乡镇
    Town,
    /// 村
    Village,
    /// 社区
    Community,
    /// 预算项目
    Project,
    /// 新型研发机构
    Institution,
}

impl Level {
    pub fn name(self) -> Text {
        match self {
            Level::Department => Text::new("区直部门", "department"),
            Level::Subdistrict => Text::new("街道", "sub-district"),
            Level::Town => Text::new("乡镇", "town"),
            Level::Village => Text::new("村", "village"),
            Level::Community => Text::new("社区", "community"),
            Level::Project => Text::new("预算项目", "budget project"),
            Level::Institution => Text::new("新型研发机构", "R&D institution"),
        }
    }

    /// Levels a unit of this level may sit under (the district itself is always allowed for
    /// departments, sub-districts and towns).
    pub fn allowed_parents(self) -> &'static [Level] {
        match self {
            Level::Department | Level::Subdistrict | Level::Town => &[],
            Level::Village | Level::Community => &[Level::Subdistrict, Level::Town],
            Level::Project | Level::Institution => {
                &[Level::Department, Level::Subdistrict, Level::Town]
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub code: Code,
    pub name: Text,
    /// The unit above; the district when absent.
    pub parent: Option<Code>,
    pub level: Level,
    /// The assessment class (分类) this unit is scored in; not assessed when absent. A unit
    /// assessed by several schemes (a project under self-evaluation and under a third-party
    /// evaluation) lists one class per scheme: `class = ["project_self", "project_eval"]`.
    #[serde(default, skip_serializing_if = "Classes::is_empty")]
    pub class: Classes,
    /// Elastic coefficients (弹性系数) by indicator or module code; a module's coefficient
    /// applies to every elastic indicator under it unless the indicator has its own.
    #[serde(default)]
    pub coefficients: IndexMap<Ident, Decimal>,
    /// Targets set for this unit that replace the scheme's (目标分解).
    #[serde(default)]
    pub targets: IndexMap<Ident, Decimal>,
}

/// One class or several (one per scheme); written as a string or a list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Classes(pub Vec<Ident>);

impl Classes {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each class with its path suffix: `.class` for a single one, `.class[i]` in a list.
    pub fn with_paths(&self) -> Vec<(String, &Ident)> {
        match self.0.as_slice() {
            [one] => vec![(".class".to_owned(), one)],
            many => many
                .iter()
                .enumerate()
                .map(|(i, c)| (format!(".class[{i}]"), c))
                .collect(),
        }
    }
}

impl From<Option<Ident>> for Classes {
    fn from(c: Option<Ident>) -> Classes {
        Classes(c.into_iter().collect())
    }
}

impl Serialize for Classes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Classes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read as text first, so a code that is not a valid one is named with the reason (an
        // untagged enum of codes would only say "did not match any variant").
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
            Other(serde::de::IgnoredAny),
        }
        let codes = match OneOrMany::deserialize(d)? {
            OneOrMany::One(c) => vec![c],
            OneOrMany::Many(v) => v,
            OneOrMany::Other(_) => {
                return Err(serde::de::Error::custom(crate::doc::bilingual(&crate::t!(
                    "class 应为一个类别代码，或类别代码的列表，如 class = \"street\" 或 class = [\"a\", \"b\"]",
                    "class must be a class code or a list of class codes, e.g. class = \"street\" or class = [\"a\", \"b\"]"
                ))));
            }
        };
        codes
            .iter()
            .map(|c| {
                Ident::parse(c).map_err(|e| {
                    let why = e.text(c);
                    serde::de::Error::custom(crate::doc::bilingual(&crate::text::Text::new(
                        format!("类别代码“{c}”无效：{}", why.zh),
                        format!("class code `{c}` is not valid: {}", why.en),
                    )))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Classes)
    }
}

/// The first day of the record: a unit dated from it has stood as it is since before any period
/// the district assesses.
pub const BEGINNING: &str = "0001-01-01";

/// What a dated change of a unit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// 设立
    Create,
    /// 调整（更名、改隶属、改类别、改系数或目标）
    Update,
    /// 合并：并入另一单位
    Merge,
    /// 拆分：分为几个新单位
    Split,
    /// 撤销
    Close,
}

impl ChangeKind {
    pub fn code(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Merge => "merge",
            ChangeKind::Split => "split",
            ChangeKind::Close => "close",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        [
            ChangeKind::Create,
            ChangeKind::Update,
            ChangeKind::Merge,
            ChangeKind::Split,
            ChangeKind::Close,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }

    pub fn name(self) -> Text {
        match self {
            ChangeKind::Create => Text::new("设立", "created"),
            ChangeKind::Update => Text::new("调整", "changed"),
            ChangeKind::Merge => Text::new("合并", "merged"),
            ChangeKind::Split => Text::new("拆分", "split"),
            ChangeKind::Close => Text::new("撤销", "closed"),
        }
    }
}

/// One version of a unit: how it stands from a day on, until its next version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dated {
    /// The day from which this version holds, `YYYY-MM-DD`.
    pub from: String,
    /// The unit's definition (for a closing version: as it last stood).
    pub unit: Unit,
    pub change: ChangeKind,
    /// Closed from `from` on (merged, split or abolished).
    pub closed: bool,
    /// The units that took over its work: the one it merged into, the ones it was split into.
    pub successors: Vec<Code>,
    pub reason: String,
}

/// The organisation through time: every version of every unit. A period is scored on the
/// organisation as it stands on the period's last day ([`History::as_of`]); a change dated
/// the first day of the next period leaves the running period as it was.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub district: District,
    /// Per unit (in the organisation's order), its versions by day.
    units: Vec<Vec<Dated>>,
    /// Where each unit's versions are in `units`, by code.
    at: std::collections::HashMap<Code, usize>,
}

/// Where a unit stands on a day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Standing<'a> {
    /// In the organisation, as this version.
    In(&'a Dated),
    /// Set up later (from its first version's day).
    NotYet(&'a Dated),
    /// Closed by this version (merged, split or abolished) on or before the day.
    Gone(&'a Dated),
    /// No such unit.
    Unknown,
}

impl History {
    /// Groups versions by unit (kept in the order they come: the order units were set up).
    pub fn new(district: District, versions: Vec<Dated>) -> History {
        let mut units: Vec<Vec<Dated>> = Vec::new();
        let mut at: std::collections::HashMap<Code, usize> = std::collections::HashMap::new();
        for v in versions {
            match at.get(&v.unit.code) {
                Some(&i) => units[i].push(v),
                None => {
                    at.insert(v.unit.code.clone(), units.len());
                    units.push(vec![v]);
                }
            }
        }
        for u in &mut units {
            u.sort_by(|a, b| a.from.cmp(&b.from));
        }
        History {
            district,
            units,
            at,
        }
    }

    /// A unit's name in its latest version (also for a unit closed since).
    pub fn last_name(&self, code: &str) -> Option<Text> {
        let i = *self.at.get(code)?;
        self.units[i].last().map(|v| v.unit.name.clone())
    }

    /// Per unit (in the organisation's order), its versions by day.
    pub fn units(&self) -> &[Vec<Dated>] {
        &self.units
    }

    /// The history with one more version (replacing one of the same unit and day).
    pub fn with_version(&self, v: Dated) -> History {
        let mut h = self.clone();
        match h.at.get(&v.unit.code) {
            Some(&i) => {
                let vs = &mut h.units[i];
                vs.retain(|x| x.from != v.from);
                vs.push(v);
                vs.sort_by(|a, b| a.from.cmp(&b.from));
            }
            None => {
                h.at.insert(v.unit.code.clone(), h.units.len());
                h.units.push(vec![v]);
            }
        }
        h
    }

    /// The version of each unit holding on `day` (None: not set up yet), in order.
    fn versions_on<'a>(&'a self, day: &'a str) -> impl Iterator<Item = Option<&'a Dated>> + 'a {
        self.units
            .iter()
            .map(move |vs| vs.iter().rev().find(|v| v.from.as_str() <= day))
    }

    /// Which version of each unit holds on `day`: two days with the same key see the same
    /// organisation.
    pub fn key(&self, day: &str) -> Vec<Option<usize>> {
        self.units
            .iter()
            .map(|vs| vs.iter().rposition(|v| v.from.as_str() <= day))
            .collect()
    }

    /// The organisation as it stands on `day` (`YYYY-MM-DD`): open units only.
    pub fn as_of(&self, day: &str) -> Org {
        Org {
            district: self.district.clone(),
            units: self
                .versions_on(day)
                .flatten()
                .filter(|v| !v.closed)
                .map(|v| v.unit.clone())
                .collect(),
        }
    }

    /// Every version of one unit, by day.
    pub fn of(&self, code: &str) -> &[Dated] {
        self.at.get(code).map_or(&[], |&i| self.units[i].as_slice())
    }

    /// Where `code` stands on `day`.
    pub fn standing<'a>(&'a self, code: &str, day: &str) -> Standing<'a> {
        let vs = self.of(code);
        let Some(first) = vs.first() else {
            return Standing::Unknown;
        };
        match vs.iter().rev().find(|v| v.from.as_str() <= day) {
            None => Standing::NotYet(first),
            Some(v) if v.closed => Standing::Gone(v),
            Some(v) => Standing::In(v),
        }
    }

    /// The version that closes `code` after `day` (merged, split or abolished later), if any.
    pub fn closed_after<'a>(&'a self, code: &str, day: &str) -> Option<&'a Dated> {
        self.of(code)
            .iter()
            .find(|v| v.closed && v.from.as_str() > day)
    }

    /// The closing versions of other units that named `code` as a successor.
    pub fn predecessors<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Dated> + 'a {
        self.units
            .iter()
            .flatten()
            .filter(move |v| v.closed && v.successors.iter().any(|s| s.as_str() == code))
    }

    /// The latest version of each unit (the organisation as the record ends).
    pub fn latest(&self) -> impl Iterator<Item = &Dated> {
        self.units.iter().filter_map(|vs| vs.last())
    }
}

/// How a unit's history reads beside a result of one period: the units it went into after the
/// period, the units it took over up to the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lineage {
    /// `merged_into`, `split_into`, `closed`, `took_over` (a merge into this unit) or
    /// `split_from` (this unit was made by splitting another).
    pub kind: &'static str,
    /// The day of the change.
    pub day: String,
    /// The other units (codes).
    pub units: Vec<String>,
    pub reason: String,
    pub text: Text,
}

impl History {
    /// The lineage notes of `code` seen from a period ending on `day`.
    pub fn lineage(&self, code: &str, day: &str) -> Vec<Lineage> {
        let name = |c: &str| {
            self.of(c)
                .last()
                .map_or_else(|| Text::new(c, c), |v| v.unit.name.clone())
        };
        let names = |cs: &[String]| -> (String, String) {
            let n: Vec<Text> = cs.iter().map(|c| name(c)).collect();
            (
                n.iter()
                    .map(|t| t.zh.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                n.iter()
                    .map(|t| t.en.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        };
        let mut out = Vec::new();
        if let Some(v) = self.closed_after(code, day) {
            let units: Vec<String> = v.successors.iter().map(|c| c.to_string()).collect();
            let (zh, en) = names(&units);
            let (kind, text) = match v.change {
                ChangeKind::Merge => (
                    "merged_into",
                    Text::new(
                        format!("自 {} 起并入{zh}", v.from),
                        format!("merged into {en} from {}", v.from),
                    ),
                ),
                ChangeKind::Split => (
                    "split_into",
                    Text::new(
                        format!("自 {} 起拆分为{zh}", v.from),
                        format!("split into {en} from {}", v.from),
                    ),
                ),
                _ => (
                    "closed",
                    Text::new(
                        format!("自 {} 起撤销", v.from),
                        format!("closed from {}", v.from),
                    ),
                ),
            };
            out.push(Lineage {
                kind,
                day: v.from.clone(),
                units,
                reason: v.reason.clone(),
                text,
            });
        }
        for v in self.predecessors(code).filter(|v| v.from.as_str() <= day) {
            let units = vec![v.unit.code.to_string()];
            let (zh, en) = names(&units);
            let (kind, text) = if v.change == ChangeKind::Split {
                (
                    "split_from",
                    Text::new(
                        format!("由{zh}于 {} 拆分设立", v.from),
                        format!("made by splitting {en} on {}", v.from),
                    ),
                )
            } else {
                (
                    "took_over",
                    Text::new(
                        format!("{zh}自 {} 起并入本单位", v.from),
                        format!("{en} merged into this unit from {}", v.from),
                    ),
                )
            };
            out.push(Lineage {
                kind,
                day: v.from.clone(),
                units,
                reason: v.reason.clone(),
                text,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, class: &str) -> Unit {
        Unit {
            code: Code::parse(code).expect("code"),
            name: Text::new(code, code),
            parent: None,
            level: Level::Village,
            class: Classes(vec![Ident::parse(class).expect("class")]),
            coefficients: IndexMap::new(),
            targets: IndexMap::new(),
        }
    }

    fn v(u: Unit, from: &str, change: ChangeKind, successors: &[&str]) -> Dated {
        Dated {
            from: from.into(),
            unit: u,
            closed: matches!(
                change,
                ChangeKind::Merge | ChangeKind::Split | ChangeKind::Close
            ),
            change,
            successors: successors
                .iter()
                .map(|c| Code::parse(c).expect("code"))
                .collect(),
            reason: String::new(),
        }
    }

    fn history() -> History {
        History::new(
            District {
                code: Code::parse("d").expect("code"),
                name: Text::new("区", "district"),
            },
            vec![
                v(unit("A", "village"), BEGINNING, ChangeKind::Create, &[]),
                v(unit("B", "village"), BEGINNING, ChangeKind::Create, &[]),
                v(
                    unit("A", "village"),
                    "2025-11-15",
                    ChangeKind::Merge,
                    &["B"],
                ),
                v(unit("B", "village"), "2025-07-01", ChangeKind::Update, &[]),
                v(unit("C", "village"), "2025-07-01", ChangeKind::Create, &[]),
            ],
        )
    }

    fn codes(o: &Org) -> Vec<&str> {
        o.units.iter().map(|u| u.code.as_str()).collect()
    }

    #[test]
    fn the_organisation_of_a_day() {
        let h = history();
        assert_eq!(codes(&h.as_of("2025-06-30")), ["A", "B"]);
        assert_eq!(codes(&h.as_of("2025-07-01")), ["A", "B", "C"]);
        assert_eq!(codes(&h.as_of("2025-11-14")), ["A", "B", "C"]);
        assert_eq!(codes(&h.as_of("2025-11-15")), ["B", "C"]);
        // Same organisation, same key; another organisation, another key.
        assert_eq!(h.key("2025-08-01"), h.key("2025-09-30"));
        assert_ne!(h.key("2025-06-30"), h.key("2025-07-01"));
        assert!(matches!(h.standing("A", "2025-12-31"), Standing::Gone(_)));
        assert!(matches!(h.standing("C", "2025-06-30"), Standing::NotYet(_)));
        assert!(matches!(h.standing("A", "2025-09-30"), Standing::In(_)));
        assert_eq!(h.standing("Z", "2025-09-30"), Standing::Unknown);
    }

    #[test]
    fn lineage_names_successors_and_predecessors() {
        let h = history();
        let a = h.lineage("A", "2025-09-30");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].kind, "merged_into");
        assert_eq!(a[0].units, ["B"]);
        assert!(h.lineage("B", "2025-09-30").is_empty());
        let b = h.lineage("B", "2025-12-31");
        assert_eq!(b[0].kind, "took_over");
        assert_eq!(b[0].units, ["A"]);
    }
}
