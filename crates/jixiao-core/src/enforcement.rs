//! Legality checks of administrative enforcement cases (行政执法案件合法性审查): explainable rules
//! that flag procedural violations in a case record, each flag naming its rule, its legal basis,
//! the fields and values it read, and the computation in words, for a legal officer to confirm
//! or dismiss.
//!
//! The rule set is a file the legal office reads and changes ([`RuleSet`], TOML): each rule has
//! an id, a name, its basis and its parameters; a rule left out of the file is not applied.
//!
//! **How days are counted** (stated, and tested): a period of days starts on the day after the
//! event (民法典 第二百零一条: 开始的当日不计入), so a decision on day `filed + 90` is within a 90-day
//! limit and one on `filed + 91` is not; the number of days between two dates is their
//! difference in calendar days (立案 2024-03-01，决定 2024-06-05，相隔 96 天). Approved extensions
//! add their days to the limit. Working-day limits are not used by these rules.

use crate::text::Text;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A calendar day as a number (days since 1970-01-01), for cheap differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Day(pub i32);

impl Day {
    /// `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Day> {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let d = time::Date::parse(s.trim(), &fmt).ok()?;
        Some(Day(d.to_julian_day() - 2_440_588))
    }

    fn date(self) -> Option<time::Date> {
        time::Date::from_julian_day(self.0 + 2_440_588).ok()
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.date() {
            Some(d) => write!(
                f,
                "{:04}-{:02}-{:02}",
                d.year(),
                u8::from(d.month()),
                d.day()
            ),
            None => write!(f, "?"),
        }
    }
}

impl TryFrom<String> for Day {
    type Error = String;
    fn try_from(s: String) -> Result<Day, String> {
        Day::parse(&s).ok_or_else(|| format!("`{s}` is not a date (YYYY-MM-DD)"))
    }
}

impl From<Day> for String {
    fn from(d: Day) -> String {
        d.to_string()
    }
}

/// Who the party is (the simple-procedure and hearing limits differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Individual,
    Organisation,
}

/// 简易程序 or 普通程序.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    Simple,
    Ordinary,
}

/// The discretion level chosen (裁量档次).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// 从轻
    Lenient,
    /// 一般
    Normal,
    /// 从重
    Severe,
}

impl Band {
    pub fn name(self) -> Text {
        match self {
            Band::Lenient => Text::new("从轻", "lenient"),
            Band::Normal => Text::new("一般", "normal"),
            Band::Severe => Text::new("从重", "severe"),
        }
    }
}

/// An officer on a case, with the certificate's validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// The certificate number (执法证号); no name is needed for the checks.
    pub certificate: String,
    #[serde(default)]
    pub valid_from: Option<Day>,
    #[serde(default)]
    pub valid_until: Option<Day>,
}

impl Officer {
    /// Whether the certificate is valid on `on` (through its last day; no end date: not valid).
    pub fn valid_on(&self, on: Day) -> bool {
        self.valid_from.is_none_or(|f| f <= on) && self.valid_until.is_some_and(|u| u >= on)
    }
}

impl Case {
    /// The day the case is dated by: its decision, else its filing.
    pub fn day(&self) -> Option<Day> {
        self.decided.or(self.filed)
    }
}

/// An enforcement case, as much as the rules need (party names are not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub number: String,
    pub dept: String,
    pub officers: Vec<Officer>,
    pub party: Party,
    pub procedure: Procedure,
    #[serde(default)]
    pub filed: Option<Day>,
    #[serde(default)]
    pub investigated: Option<Day>,
    /// Prior notice of the intended penalty (告知).
    #[serde(default)]
    pub notified: Option<Day>,
    /// The hearing notice (告知听证权利).
    #[serde(default)]
    pub hearing_notified: Option<Day>,
    #[serde(default)]
    pub hearing_held: Option<Day>,
    /// Legal review (法制审核) passed, and by whom.
    #[serde(default)]
    pub reviewed: Option<Day>,
    #[serde(default)]
    pub reviewer: Option<String>,
    #[serde(default)]
    pub decided: Option<Day>,
    #[serde(default)]
    pub served: Option<Day>,
    #[serde(default)]
    pub paid: Option<Day>,
    #[serde(default)]
    pub closed: Option<Day>,
    /// The article applied, e.g. `食品安全法第一百二十四条`.
    #[serde(default)]
    pub basis: String,
    /// The fine (yuan), if the penalty is one.
    #[serde(default)]
    pub fine: Option<Decimal>,
    /// The statutory range of the fine (yuan).
    #[serde(default)]
    pub range: Option<(Decimal, Decimal)>,
    #[serde(default)]
    pub band: Option<Band>,
    /// 重大执法决定.
    #[serde(default)]
    pub major: bool,
    /// Days of approved extensions of the time limit.
    #[serde(default)]
    pub extension_days: u32,
    /// The late-payment surcharge imposed (加处罚款, yuan).
    #[serde(default)]
    pub surcharge: Option<Decimal>,
}

/// The rules and their parameters, as the legal office writes them (`rules.toml`). A rule not
/// in the file is not applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// The unit of the legal office (司法局) that reviews the flags, e.g. `SFJ`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_office: Option<String>,
    #[serde(default)]
    pub time_limit: Option<TimeLimit>,
    #[serde(default)]
    pub discretion: Option<Discretion>,
    #[serde(default)]
    pub simple_procedure: Option<SimpleProcedure>,
    #[serde(default)]
    pub legal_review: Option<Basic>,
    #[serde(default)]
    pub certificates: Option<Certificates>,
    #[serde(default)]
    pub hearing: Option<Hearing>,
    #[serde(default)]
    pub surcharge: Option<Basic>,
    #[serde(default)]
    pub date_order: Option<Basic>,
}

/// What every rule says of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Basic {
    pub name: Text,
    /// The legal basis, e.g. 《行政处罚法》第五十八条.
    pub basis: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeLimit {
    pub name: Text,
    pub basis: Text,
    /// Days from filing to decision (90).
    pub days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discretion {
    pub name: Text,
    pub basis: Text,
    /// 从轻 lies in the lowest share of the range, 从重 in the highest (0.3 each).
    pub lenient_share: Decimal,
    pub severe_share: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimpleProcedure {
    pub name: Text,
    pub basis: Text,
    /// The highest fine in the simple procedure: individual 200, organisation 3000.
    pub individual_max: Decimal,
    pub organisation_max: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificates {
    pub name: Text,
    pub basis: Text,
    /// At least this many certified officers (2).
    pub min_officers: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hearing {
    pub name: Text,
    pub basis: Text,
    /// Fines from which the party must be told of its right to a hearing (较大数额罚款).
    pub individual_from: Decimal,
    pub organisation_from: Decimal,
}

/// A rule's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    TimeLimit,
    Discretion,
    SimpleProcedure,
    LegalReview,
    Certificates,
    Hearing,
    Surcharge,
    DateOrder,
}

impl RuleId {
    pub const ALL: [RuleId; 8] = [
        RuleId::TimeLimit,
        RuleId::Discretion,
        RuleId::SimpleProcedure,
        RuleId::LegalReview,
        RuleId::Certificates,
        RuleId::Hearing,
        RuleId::Surcharge,
        RuleId::DateOrder,
    ];

    /// The id as written in the rule file and stored.
    pub fn code(self) -> &'static str {
        match self {
            RuleId::TimeLimit => "time_limit",
            RuleId::Discretion => "discretion",
            RuleId::SimpleProcedure => "simple_procedure",
            RuleId::LegalReview => "legal_review",
            RuleId::Certificates => "certificates",
            RuleId::Hearing => "hearing",
            RuleId::Surcharge => "surcharge",
            RuleId::DateOrder => "date_order",
        }
    }

    pub fn parse(s: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|r| r.code() == s)
    }
}

impl RuleSet {
    /// The name of rule `id` as the file gives it (`None`: not in the file).
    pub fn name_of(&self, id: RuleId) -> Option<&Text> {
        match id {
            RuleId::TimeLimit => self.time_limit.as_ref().map(|r| &r.name),
            RuleId::Discretion => self.discretion.as_ref().map(|r| &r.name),
            RuleId::SimpleProcedure => self.simple_procedure.as_ref().map(|r| &r.name),
            RuleId::LegalReview => self.legal_review.as_ref().map(|r| &r.name),
            RuleId::Certificates => self.certificates.as_ref().map(|r| &r.name),
            RuleId::Hearing => self.hearing.as_ref().map(|r| &r.name),
            RuleId::Surcharge => self.surcharge.as_ref().map(|r| &r.name),
            RuleId::DateOrder => self.date_order.as_ref().map(|r| &r.name),
        }
    }
}

/// A flag: the case breaks a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub rule: RuleId,
    pub name: Text,
    pub basis: Text,
    /// The fields read and their values, as recorded.
    pub fields: Vec<(String, String)>,
    /// The computation in words.
    pub why: Text,
}

fn day(d: Option<Day>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| d.to_string())
}

fn money(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Every rule of `rules` the case breaks, in the order of [`RuleId`].
pub fn check(rules: &RuleSet, c: &Case) -> Vec<Flag> {
    let mut out = Vec::new();
    if let Some(r) = &rules.time_limit
        && let (Some(filed), Some(decided)) = (c.filed, c.decided)
    {
        let days = decided.0 - filed.0;
        let limit = i64::from(r.days) + i64::from(c.extension_days);
        if i64::from(days) > limit {
            let ext = if c.extension_days > 0 {
                (
                    format!("（含批准延长 {} 天）", c.extension_days),
                    format!(" (with {} days of approved extension)", c.extension_days),
                )
            } else {
                (String::new(), String::new())
            };
            out.push(Flag {
                rule: RuleId::TimeLimit,
                name: r.name.clone(),
                basis: r.basis.clone(),
                fields: vec![
                    ("filed".into(), filed.to_string()),
                    ("decided".into(), decided.to_string()),
                    ("extension_days".into(), c.extension_days.to_string()),
                ],
                why: Text::new(
                    format!(
                        "立案 {filed}，决定 {decided}，相隔 {days} 天，超过 {limit} 天{}",
                        ext.0
                    ),
                    format!(
                        "filed {filed}, decided {decided}: {days} days, more than {limit}{}",
                        ext.1
                    ),
                ),
            });
        }
    }
    if let Some(r) = &rules.discretion
        && let (Some(fine), Some((lo, hi)), Some(band)) = (c.fine, c.range, c.band)
    {
        let width = hi - lo;
        let (from, to) = match band {
            Band::Lenient => (lo, lo + width * r.lenient_share),
            Band::Severe => (hi - width * r.severe_share, hi),
            Band::Normal => (lo + width * r.lenient_share, hi - width * r.severe_share),
        };
        if fine < from || fine > to {
            let b = band.name();
            out.push(Flag {
                rule: RuleId::Discretion,
                name: r.name.clone(),
                basis: r.basis.clone(),
                fields: vec![
                    ("fine".into(), money(fine)),
                    ("range".into(), format!("{}–{}", money(lo), money(hi))),
                    ("band".into(), b.zh.clone()),
                ],
                why: Text::new(
                    format!(
                        "法定幅度 {}–{} 元，选择“{}”档，应在 {}–{} 元之间，实际罚款 {} 元",
                        money(lo),
                        money(hi),
                        b.zh,
                        money(from),
                        money(to),
                        money(fine)
                    ),
                    format!(
                        "range {}–{} yuan, band {}: should be within {}–{}, fined {}",
                        money(lo),
                        money(hi),
                        b.en,
                        money(from),
                        money(to),
                        money(fine)
                    ),
                ),
            });
        }
    }
    if let Some(r) = &rules.simple_procedure
        && c.procedure == Procedure::Simple
        && let Some(fine) = c.fine
    {
        let (max, who) = match c.party {
            Party::Individual => (r.individual_max, Text::new("公民", "an individual")),
            Party::Organisation => (
                r.organisation_max,
                Text::new("法人或其他组织", "an organisation"),
            ),
        };
        if fine > max {
            out.push(Flag {
                rule: RuleId::SimpleProcedure,
                name: r.name.clone(),
                basis: r.basis.clone(),
                fields: vec![
                    ("procedure".into(), "simple".into()),
                    ("party".into(), who.zh.clone()),
                    ("fine".into(), money(fine)),
                ],
                why: Text::new(
                    format!(
                        "简易程序对{}罚款 {} 元，超过 {} 元",
                        who.zh,
                        money(fine),
                        money(max)
                    ),
                    format!(
                        "simple procedure fining {} {} yuan, more than {}",
                        who.en,
                        money(fine),
                        money(max)
                    ),
                ),
            });
        }
    }
    if let Some(r) = &rules.legal_review
        && c.major
    {
        let late = match (c.reviewed, c.decided) {
            (None, _) => Some(Text::new(
                "重大执法决定未经法制审核".to_owned(),
                "a major decision without legal review".to_owned(),
            )),
            (Some(rv), Some(dc)) if rv > dc => Some(Text::new(
                format!("法制审核 {rv} 晚于决定 {dc}"),
                format!("legal review {rv} after the decision {dc}"),
            )),
            _ => None,
        };
        if let Some(why) = late {
            out.push(Flag {
                rule: RuleId::LegalReview,
                name: r.name.clone(),
                basis: r.basis.clone(),
                fields: vec![
                    ("major".into(), "true".into()),
                    ("reviewed".into(), day(c.reviewed)),
                    ("decided".into(), day(c.decided)),
                ],
                why,
            });
        }
    }
    if let Some(r) = &rules.certificates {
        // The case's date: the decision, else the filing.
        if let Some(on) = c.decided.or(c.filed) {
            let valid = |o: &Officer| o.valid_on(on);
            let bad: Vec<&Officer> = c.officers.iter().filter(|o| !valid(o)).collect();
            let good = c.officers.len() - bad.len();
            if !bad.is_empty() || good < r.min_officers as usize {
                let list = bad
                    .iter()
                    .map(|o| format!("{}（至 {}）", o.certificate, day(o.valid_until)))
                    .collect::<Vec<_>>()
                    .join("、");
                out.push(Flag {
                    rule: RuleId::Certificates,
                    name: r.name.clone(),
                    basis: r.basis.clone(),
                    fields: vec![
                        ("officers".into(), c.officers.len().to_string()),
                        ("date".into(), on.to_string()),
                    ],
                    why: Text::new(
                        format!(
                            "{on} 持有效证件的执法人员 {good} 名（应不少于 {} 名）{}",
                            r.min_officers,
                            if list.is_empty() {
                                String::new()
                            } else {
                                format!("；证件无效：{list}")
                            }
                        ),
                        format!(
                            "on {on} {good} officer(s) with a valid certificate (at least {}){}",
                            r.min_officers,
                            if bad.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    "; not valid: {}",
                                    bad.iter()
                                        .map(|o| o.certificate.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            }
                        ),
                    ),
                });
            }
        }
    }
    if let Some(r) = &rules.hearing
        && let Some(fine) = c.fine
    {
        let from = match c.party {
            Party::Individual => r.individual_from,
            Party::Organisation => r.organisation_from,
        };
        if fine >= from && c.hearing_notified.is_none() {
            out.push(Flag {
                rule: RuleId::Hearing,
                name: r.name.clone(),
                basis: r.basis.clone(),
                fields: vec![
                    ("fine".into(), money(fine)),
                    ("hearing_notified".into(), "—".into()),
                ],
                why: Text::new(
                    format!(
                        "罚款 {} 元，达到听证标准 {} 元，未告知听证权利",
                        money(fine),
                        money(from)
                    ),
                    format!(
                        "a fine of {} yuan, at or above the hearing threshold {}, without a hearing notice",
                        money(fine),
                        money(from)
                    ),
                ),
            });
        }
    }
    if let Some(r) = &rules.surcharge
        && let (Some(s), Some(fine)) = (c.surcharge, c.fine)
        && s > fine
    {
        out.push(Flag {
            rule: RuleId::Surcharge,
            name: r.name.clone(),
            basis: r.basis.clone(),
            fields: vec![("surcharge".into(), money(s)), ("fine".into(), money(fine))],
            why: Text::new(
                format!("加处罚款 {} 元，超出罚款数额 {} 元", money(s), money(fine)),
                format!(
                    "a late-payment surcharge of {} yuan, more than the fine of {}",
                    money(s),
                    money(fine)
                ),
            ),
        });
    }
    if let Some(r) = &rules.date_order {
        // The ordinary procedure's steps, in the order the law requires them.
        let steps: [(&str, &str, Option<Day>); 5] = [
            ("filed", "立案", c.filed),
            ("notified", "告知", c.notified),
            ("decided", "决定", c.decided),
            ("served", "送达", c.served),
            ("closed", "结案", c.closed),
        ];
        let mut problems_zh = Vec::new();
        let mut problems_en = Vec::new();
        let mut fields = Vec::new();
        if c.procedure == Procedure::Ordinary && c.decided.is_some() {
            for (f, zh, d) in &steps[..4] {
                if d.is_none() {
                    problems_zh.push(format!("缺少{zh}日期"));
                    problems_en.push(format!("no `{f}` date"));
                    fields.push(((*f).to_owned(), "—".to_owned()));
                }
            }
        }
        let present: Vec<&(&str, &str, Option<Day>)> =
            steps.iter().filter(|s| s.2.is_some()).collect();
        for w in present.windows(2) {
            let (a, b) = (w[0], w[1]);
            if let (Some(x), Some(y)) = (a.2, b.2)
                && y < x
            {
                problems_zh.push(format!("{}（{y}）早于{}（{x}）", b.1, a.1));
                problems_en.push(format!("`{}` {y} before `{}` {x}", b.0, a.0));
                fields.push((a.0.to_owned(), x.to_string()));
                fields.push((b.0.to_owned(), y.to_string()));
            }
        }
        if !problems_zh.is_empty() {
            out.push(Flag {
                rule: RuleId::DateOrder,
                name: r.name.clone(),
                basis: r.basis.clone(),
                fields,
                why: Text::new(problems_zh.join("；"), problems_en.join("; ")),
            });
        }
    }
    out
}
