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
