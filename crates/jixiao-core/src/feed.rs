//! Machine feeds (数据接口): what an external system (the approval kiosk, the enforcement-case
//! system, the 12345 hotline, the debt monitor) posts, how each event is checked against its
//! feed's schema, and how events add up into a data element's value per unit and period.
//!
//! An event is an envelope — the sender's own event id (which makes a replay harmless), the
//! unit, the time it happened — around the feed's fields. A data element says in its scheme
//! which feed fills it and how ([`FeedSpec`]): count, sum, average, share at or under a
//! threshold, or the latest value, optionally only over events whose fields equal given values.
//!
//! Periods follow the district's clock: an event's time is read in Beijing time (UTC+8)
//! whatever offset it was sent with, so a licence issued at 23:30 on 31 March local time counts
//! in the first quarter.

use crate::code::Ident;
use crate::period::{Granularity, Period};
use crate::text::Text;
use indexmap::IndexMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::str::FromStr;
use time::format_description::well_known::Rfc3339;

/// The district's offset from UTC, in hours: periods are cut at local midnight.
pub const DISTRICT_UTC_OFFSET_HOURS: i8 = 8;
/// The longest client event id accepted.
pub const MAX_EVENT_ID: usize = 128;

/// A feed as an administrator defines it: a name and the fields its events carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedDef {
    pub name: Text,
    /// What the feed is and who sends it.
    pub description: Option<Text>,
    /// The fields of an event's `data`, in order.
    pub fields: IndexMap<Ident, Field>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Whether every event must carry it (default yes).
    #[serde(default = "yes")]
    pub required: bool,
    /// Smallest allowed value (numbers).
    pub min: Option<Decimal>,
    /// Largest allowed value (numbers).
    pub max: Option<Decimal>,
    /// The allowed values (strings); empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    pub name: Option<Text>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    String,
    /// A JSON number (exact decimal).
    Number,
    /// A JSON number without a fractional part.
    Integer,
    Boolean,
    /// An RFC 3339 time with offset, e.g. `2025-03-31T23:30:00+08:00`.
    Datetime,
    /// `YYYY-MM-DD`.
    Date,
}

impl FieldType {
    fn text(self) -> Text {
        match self {
            FieldType::String => Text::new("文本", "a string"),
            FieldType::Number => Text::new("数字", "a number"),
            FieldType::Integer => Text::new("整数", "an integer"),
            FieldType::Boolean => Text::new("true 或 false", "true or false"),
            FieldType::Datetime => Text::new(
                "带时区的时间（如 2025-03-31T23:30:00+08:00）",
                "a time with offset (e.g. 2025-03-31T23:30:00+08:00)",
            ),
            FieldType::Date => Text::new("日期（如 2025-03-31）", "a date (e.g. 2025-03-31)"),
        }
    }
}

impl FeedDef {
    /// Problems with the definition itself.
    pub fn problems(&self) -> Vec<Text> {
        let mut out = Vec::new();
        if self.fields.is_empty() {
            out.push(Text::new(
                "数据接口至少要有一个字段",
                "a feed needs at least one field",
            ));
        }
        for (code, f) in &self.fields {
            let numeric = matches!(f.kind, FieldType::Number | FieldType::Integer);
            if !numeric && (f.min.is_some() || f.max.is_some()) {
                out.push(crate::t!(
                    "字段“{code}”不是数字，不能设 min/max",
                    "field `{code}` is not a number; min/max do not apply"
                ));
            }
            if f.kind != FieldType::String && !f.values.is_empty() {
                out.push(crate::t!(
                    "字段“{code}”不是文本，不能设 values",
                    "field `{code}` is not a string; values do not apply"
                ));
            }
            if let (Some(a), Some(b)) = (f.min, f.max)
                && a > b
            {
                out.push(crate::t!(
                    "字段“{code}”的 min {a} 大于 max {b}",
                    "field `{code}` has min {a} above max {b}"
                ));
            }
        }
        out
    }

    /// The definition as TOML, the way `feeds.toml` writes one feed (for editing).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Problems with a data element's use of this feed.
    pub fn spec_problems(&self, element: &str, spec: &FeedSpec) -> Vec<Text> {
        let mut out = Vec::new();
        if let Some(field) = &spec.field {
            match self.fields.get(field.as_str()) {
                None => out.push(crate::t!(
                    "数据项“{element}”引用的字段“{field}”不在数据接口中",
                    "element `{element}` reads field `{field}`, which the feed does not have"
                )),
                Some(f)
                    if !matches!(
                        f.kind,
                        FieldType::Number | FieldType::Integer | FieldType::Boolean
                    ) =>
                {
                    out.push(crate::t!(
                        "数据项“{element}”引用的字段“{field}”不是数字",
                        "element `{element}` reads field `{field}`, which is not a number"
                    ))
                }
                Some(_) => {}
            }
        }
        for field in spec.when.keys() {
            if !self.fields.contains_key(field.as_str()) {
                out.push(crate::t!(
                    "数据项“{element}”的筛选字段“{field}”不在数据接口中",
                    "element `{element}` filters on field `{field}`, which the feed does not have"
                ));
            }
        }
        out
    }
}

/// A file of feed definitions (`feeds.toml`): `[feeds.<code>]` tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedFile {
    pub feeds: IndexMap<Ident, FeedDef>,
}

/// One field's problem in a posted event: where (`events[3].data.handling_seconds`) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub path: String,
    pub message: Text,
}

/// An event that passed its feed's schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The sender's id for the event; posting it again changes nothing.
    pub id: String,
    pub unit: String,
    /// The time as sent.
    pub at: String,
    /// The same instant in UTC, `YYYY-MM-DDTHH:MM:SS.fffffffffZ` (sorts as text).
    pub utc: String,
    /// The district-local day, `YYYY-MM-DD`.
    pub day: String,
    pub data: serde_json::Map<String, Value>,
}

impl Event {
    /// The event's district-local (year, month).
    pub fn month(&self) -> (u16, u8) {
        let y = self.day[..4].parse().unwrap_or(0);
        let m = self.day[5..7].parse().unwrap_or(0);
        (y, m)
    }

    /// The period of granularity `g` the event falls in.
    pub fn period(&self, g: Granularity) -> Option<Period> {
        let (y, m) = self.month();
        Period::new(y, Granularity::Month, m)?.containing(g)
    }

    /// A digest of everything the sender said, to tell a replay from a different event that
    /// reuses an id.
    pub fn canonical(&self) -> String {
        serde_json::json!({"id": self.id, "unit": self.unit, "at": self.at, "data": self.data})
            .to_string()
    }
}

fn district_offset() -> time::UtcOffset {
    time::UtcOffset::from_hms(DISTRICT_UTC_OFFSET_HOURS, 0, 0).unwrap_or(time::UtcOffset::UTC)
}

fn date_format() -> &'static [time::format_description::BorrowedFormatItem<'static>] {
    time::macros::format_description!("[year]-[month]-[day]")
}

/// Reads a time (RFC 3339 with offset) or a date (taken as local midnight): (UTC text,
/// district-local day).
pub fn read_time(s: &str) -> Option<(String, String)> {
    let t = match time::OffsetDateTime::parse(s, &Rfc3339) {
        Ok(t) => t,
        Err(_) => {
            let d = time::Date::parse(s, date_format()).ok()?;
            d.with_hms(0, 0, 0).ok()?.assume_offset(district_offset())
        }
    };
    let local = t.to_offset(district_offset()).date();
    let utc = t.to_offset(time::UtcOffset::UTC);
    let utc_text = format!(
        "{}T{:02}:{:02}:{:02}.{:09}Z",
        utc.date().format(date_format()).ok()?,
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.nanosecond()
    );
    Some((utc_text, local.format(date_format()).ok()?))
}

/// A stored time (RFC 3339) as the district reads it: `2025-10-05 09:00`; unreadable text as is.
/// A stored time (RFC 3339) as people read it in the district: Beijing time, to the minute —
/// Chinese `2025年11月15日 14:05`, English ISO with the offset `2025-11-15 14:05 +08:00`; a
/// text that is not a time is returned as it is.
pub fn local_time(t: &str, english: bool) -> String {
    let zh = time::macros::format_description!("[year]年[month]月[day]日 [hour]:[minute]");
    let en = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] +08:00");
    time::OffsetDateTime::parse(t, &Rfc3339)
        .ok()
        .and_then(|t| {
            t.to_offset(district_offset())
                .format(if english { en } else { zh })
                .ok()
        })
        .unwrap_or_else(|| t.to_owned())
}

/// An instant (RFC 3339) in the district's time, still RFC 3339: `2026-12-03T02:45:07+08:00`
/// for `2026-12-02T18:45:07Z` (for files programs read: exact, and in Beijing time).
pub fn local_iso(t: &str) -> String {
    time::OffsetDateTime::parse(t, &Rfc3339)
        .ok()
        .and_then(|x| x.to_offset(district_offset()).format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_owned())
}

/// An instant (RFC 3339) in the district's time, as year, month, day, hour, minute, second:
/// for writing it as a date into a workbook.
pub fn local_parts(t: &str) -> Option<(i32, u8, u8, u8, u8, u8)> {
    let t = time::OffsetDateTime::parse(t, &Rfc3339)
        .ok()?
        .to_offset(district_offset());
    Some((
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    ))
}

pub fn local_minute(t: &str) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::parse(t, &Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(district_offset()).format(fmt).ok())
        .unwrap_or_else(|| t.to_owned())
}

/// A JSON number as an exact decimal.
pub fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => {
            let s = n.to_string();
            Decimal::from_str(&s)
                .ok()
                .or_else(|| Decimal::from_scientific(&s).ok())
        }
        Value::Bool(b) => Some(Decimal::from(u8::from(*b))),
        _ => None,
    }
}

fn err(path: String, message: Text) -> FieldError {
    FieldError { path, message }
}

/// `events[3]` + `data` → `events[3].data`; a lone event's fields have no prefix.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Checks one posted event (at `path`, e.g. `events[3]`) against the feed's schema. Every
/// problem is reported, each with its field path.
pub fn check_event(def: &FeedDef, path: &str, v: &Value) -> Result<Event, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(obj) = v.as_object() else {
        return Err(vec![err(
            path.to_owned(),
            Text::new("事件应为 JSON 对象", "an event must be a JSON object"),
        )]);
    };
    for k in obj.keys() {
        if !matches!(k.as_str(), "id" | "unit" | "at" | "data") {
            errors.push(err(
                join(path, k),
                crate::t!(
                    "未知字段“{k}”（事件只有 id、unit、at、data）",
                    "unknown field `{k}` (an event has id, unit, at and data)"
                ),
            ));
        }
    }
    let text_of = |key: &str, errors: &mut Vec<FieldError>| -> Option<String> {
        match obj.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Value::Number(n)) if key == "id" => Some(n.to_string()),
            None | Some(Value::Null) => {
                errors.push(err(
                    join(path, key),
                    crate::t!("缺少必填字段“{key}”", "`{key}` is required"),
                ));
                None
            }
            Some(_) => {
                errors.push(err(
                    join(path, key),
                    crate::t!("“{key}”应为非空文本", "`{key}` must be a non-empty string"),
                ));
                None
            }
        }
    };
    let id = text_of("id", &mut errors);
    if let Some(id) = &id
        && id.chars().count() > MAX_EVENT_ID
    {
        errors.push(err(
            join(path, "id"),
            crate::t!(
                "事件编号过长（最多{MAX_EVENT_ID}个字符）",
                "the event id is too long (at most {MAX_EVENT_ID} characters)"
            ),
        ));
    }
    let unit = text_of("unit", &mut errors);
    let at = text_of("at", &mut errors);
    let when = at.as_deref().and_then(|a| {
        let t = read_time(a);
        if t.is_none() {
            errors.push(err(
                join(path, "at"),
                crate::t!(
                    "时间“{a}”无法识别，应为带时区的时间（如 2025-03-31T23:30:00+08:00）或日期（2025-03-31）",
                    "cannot read time `{a}`; write a time with offset (2025-03-31T23:30:00+08:00) or a date (2025-03-31)"
                ),
            ));
        }
        t
    });
    let empty = serde_json::Map::new();
    let data = match obj.get("data") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => &empty,
        Some(_) => {
            errors.push(err(
                join(path, "data"),
                Text::new("data 应为 JSON 对象", "data must be a JSON object"),
            ));
            &empty
        }
    };
    for k in data.keys() {
        if !def.fields.contains_key(k.as_str()) {
            errors.push(err(
                join(path, &format!("data.{k}")),
                crate::t!(
                    "字段“{k}”不在该数据接口的定义中",
                    "field `{k}` is not in this feed's schema"
                ),
            ));
        }
    }
    let mut kept = serde_json::Map::new();
    for (code, f) in &def.fields {
        let p = join(path, &format!("data.{code}"));
        let v = match data.get(code.as_str()) {
            None | Some(Value::Null) => {
                if f.required {
                    errors.push(err(
                        p,
                        crate::t!("缺少必填字段“{code}”", "field `{code}` is required"),
                    ));
                }
                continue;
            }
            Some(v) => v,
        };
        let wrong = || {
            let t = f.kind.text();
            err(
                p.clone(),
                Text::new(
                    format!("字段“{code}”应为{}，收到 {v}", t.zh),
                    format!("field `{code}` must be {}; got {v}", t.en),
                ),
            )
        };
        match f.kind {
            FieldType::String => match v.as_str() {
                Some(s) if f.values.is_empty() || f.values.iter().any(|x| x == s) => {}
                Some(s) => {
                    let list = f.values.join("、");
                    let list_en = f.values.join(", ");
                    errors.push(err(
                        p.clone(),
                        crate::t!(
                            "字段“{code}”的值“{s}”不在允许值（{list}）中",
                            "field `{code}`: `{s}` is not one of {list_en}"
                        ),
                    ));
                }
                None => errors.push(wrong()),
            },
            FieldType::Boolean => {
                if !v.is_boolean() {
                    errors.push(wrong());
                }
            }
            FieldType::Datetime => {
                if v.as_str()
                    .is_none_or(|s| time::OffsetDateTime::parse(s, &Rfc3339).is_err())
                {
                    errors.push(wrong());
                }
            }
            FieldType::Date => {
                if v.as_str()
                    .is_none_or(|s| time::Date::parse(s, date_format()).is_err())
                {
                    errors.push(wrong());
                }
            }
            FieldType::Number | FieldType::Integer => {
                let n = match v {
                    Value::Number(_) => number(v),
                    _ => None,
                };
                match n {
                    None => errors.push(wrong()),
                    Some(n) if f.kind == FieldType::Integer && !n.fract().is_zero() => {
                        errors.push(wrong())
                    }
                    Some(n) => {
                        if let Some(min) = f.min.filter(|m| n < *m) {
                            errors.push(err(
                                p.clone(),
                                crate::t!(
                                    "字段“{code}”的值{n}小于下限{min}",
                                    "field `{code}`: {n} is below the minimum {min}"
                                ),
                            ));
                        }
                        if let Some(max) = f.max.filter(|m| n > *m) {
                            errors.push(err(
                                p.clone(),
                                crate::t!(
                                    "字段“{code}”的值{n}大于上限{max}",
                                    "field `{code}`: {n} is above the maximum {max}"
                                ),
                            ));
                        }
                    }
                }
            }
        }
        kept.insert(code.to_string(), v.clone());
    }
    match (id, unit, at, when) {
        (Some(id), Some(unit), Some(at), Some((utc, day))) if errors.is_empty() => Ok(Event {
            id,
            unit,
            at,
            utc,
            day,
            data: kept,
        }),
        _ => Err(errors),
    }
}

/// How a feed's events make a data element's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedAggregate {
    /// How many events.
    Count,
    /// The total of a field.
    Sum,
    /// The mean of a field over the events that carry it.
    Avg,
    /// The share of events whose field is at or under `threshold` (a percentage for percent
    /// elements, else a fraction).
    ShareUnder,
    /// The field's value in the most recent event (by event time; ties by event id).
    Latest,
}

/// In a scheme, on a data element with `source = "fed"`: which feed fills it and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSpec {
    pub feed: Ident,
    pub aggregate: FeedAggregate,
    /// The numeric field read (every aggregate but `count`).
    pub field: Option<Ident>,
    /// For `share_under`.
    pub threshold: Option<Decimal>,
    /// The result is divided by this (3600 turns seconds into hours).
    pub divisor: Option<Decimal>,
    /// Only events whose fields equal these values count, e.g. `{ rating = "good" }`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub when: IndexMap<Ident, Value>,
    /// The value goes through review (submitted) instead of straight to counted.
    #[serde(default)]
    pub review: bool,
}

impl FeedSpec {
    /// Problems with the spec on its own.
    pub fn problems(&self, element: &str) -> Vec<Text> {
        let mut out = Vec::new();
        let agg = self.aggregate;
        if agg != FeedAggregate::Count && self.field.is_none() {
            out.push(crate::t!(
                "数据项“{element}”的 feed 需要 field（要汇总哪个字段）",
                "element `{element}`: the feed spec needs `field` (which field to aggregate)"
            ));
        }
        if (agg == FeedAggregate::ShareUnder) != self.threshold.is_some() {
            out.push(crate::t!(
                "数据项“{element}”：threshold 只用于且必须用于 share_under",
                "element `{element}`: `threshold` is needed by, and only by, share_under"
            ));
        }
        if self.divisor.is_some_and(|d| d <= Decimal::ZERO) {
            out.push(crate::t!(
                "数据项“{element}”的 divisor 必须大于0",
                "element `{element}`: `divisor` must be above 0"
            ));
        }
        out
    }

    /// Whether the event counts for this element at all.
    pub fn matches(&self, e: &Event) -> bool {
        self.when.iter().all(|(k, want)| {
            let got = e.data.get(k.as_str());
            match (got, want) {
                (Some(g), w) if g == w => true,
                (Some(g), w) => number(g).is_some() && number(g) == number(w),
                (None, _) => false,
            }
        })
    }
}

/// The running totals of one element, unit and period, kept so that a new event costs O(1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Events counted.
    pub n: i64,
    pub total: Decimal,
    /// Events at or under the threshold.
    pub under: i64,
    /// The latest event: (UTC time, event id, value).
    pub latest: Option<(String, String, Decimal)>,
}

impl Tally {
    /// Adds an event (which must not have been added before).
    pub fn add(&mut self, spec: &FeedSpec, e: &Event) {
        if !spec.matches(e) {
            return;
        }
        let v = match &spec.field {
            Some(f) => match e.data.get(f.as_str()).and_then(number) {
                Some(v) => v,
                None => return,
            },
            None => Decimal::ZERO,
        };
        self.n += 1;
        self.total += v;
        if spec.threshold.is_some_and(|t| v <= t) {
            self.under += 1;
        }
        self.offer_latest(&e.utc, &e.id, v);
    }

    /// Keeps (time, id, value) as the latest when it is newer (by time, then id).
    fn offer_latest(&mut self, utc: &str, id: &str, v: Decimal) {
        let newer = self
            .latest
            .as_ref()
            .is_none_or(|(t, i, _)| (utc, id) > (t.as_str(), i.as_str()));
        if newer {
            self.latest = Some((utc.to_owned(), id.to_owned(), v));
        }
    }

    /// Adds another tally of different events.
    pub fn merge(&mut self, o: &Tally) {
        self.n += o.n;
        self.total += o.total;
        self.under += o.under;
        if let Some((t, id, v)) = &o.latest {
            self.offer_latest(t, id, *v);
        }
    }

    /// The element's value, exact; `None` when there is nothing to average or share.
    pub fn value(&self, spec: &FeedSpec, percent: bool) -> Option<Decimal> {
        let raw = match spec.aggregate {
            FeedAggregate::Count => Decimal::from(self.n),
            FeedAggregate::Sum => self.total,
            FeedAggregate::Avg if self.n > 0 => self.total.checked_div(Decimal::from(self.n))?,
            FeedAggregate::ShareUnder if self.n > 0 => {
                // Scaled before dividing, so a percentage keeps every digit.
                let under = Decimal::from(self.under);
                let scaled = if percent {
                    under * Decimal::ONE_HUNDRED
                } else {
                    under
                };
                scaled.checked_div(Decimal::from(self.n))?
            }
            FeedAggregate::Latest => self.latest.as_ref()?.2,
            FeedAggregate::Avg | FeedAggregate::ShareUnder => return None,
        };
        let v = match spec.divisor {
            Some(d) => raw.checked_div(d)?,
            None => raw,
        };
        Some(v.normalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kiosk() -> FeedDef {
        toml::from_str(
            r#"
            name = { zh = "企业审批一体机", en = "Approval kiosk" }
            [fields.licence]
            type = "string"
            [fields.handling_seconds]
            type = "number"
            min = 0
            [fields.rating]
            type = "string"
            values = ["good", "poor"]
            required = false
            "#,
        )
        .expect("feed")
    }

    fn ev(id: &str, at: &str, secs: i64) -> Event {
        check_event(
            &kiosk(),
            "e",
            &json!({"id": id, "unit": "U1", "at": at, "data": {"licence": "L", "handling_seconds": secs}}),
        )
        .expect("valid")
    }

    #[test]
    fn every_bad_field_is_reported_with_its_path() {
        let bad = json!({"id": "", "unit": "U1", "at": "yesterday", "data": {"handling_seconds": "12", "rating": "meh", "extra": 1}, "x": 1});
        let errs = check_event(&kiosk(), "events[2]", &bad).expect_err("invalid");
        let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "events[2].x",
                "events[2].id",
                "events[2].at",
                "events[2].data.extra",
                "events[2].data.licence",
                "events[2].data.handling_seconds",
                "events[2].data.rating"
            ]
        );
        assert!(errs[5].message.en.contains("must be a number"));
    }

    #[test]
    fn the_period_is_cut_at_district_midnight() {
        let e = ev("a", "2025-03-31T16:30:00Z", 1);
        assert_eq!(e.day, "2025-04-01");
        assert_eq!(
            e.period(Granularity::Quarter).map(|p| p.to_string()),
            Some("2025Q2".into())
        );
        let e = ev("b", "2025-03-31T23:30:00+08:00", 1);
        assert_eq!(
            e.period(Granularity::Quarter).map(|p| p.to_string()),
            Some("2025Q1".into())
        );
        let e = ev("c", "2025-03-31", 1);
        assert_eq!(e.utc, "2025-03-30T16:00:00.000000000Z");
        assert_eq!(local_minute(&e.utc), "2025-03-31 00:00");
    }

    #[test]
    fn aggregates_are_exact() {
        let spec = |agg, threshold: Option<i64>, divisor: Option<i64>| FeedSpec {
            feed: Ident::parse("kiosk").expect("ident"),
            aggregate: agg,
            field: Some(Ident::parse("handling_seconds").expect("ident")),
            threshold: threshold.map(Decimal::from),
            divisor: divisor.map(Decimal::from),
            when: IndexMap::new(),
            review: false,
        };
        let events = [
            ev("1", "2025-01-02T09:00:00+08:00", 3600),
            ev("2", "2025-01-03T09:00:00+08:00", 1800),
            ev("3", "2025-01-01T09:00:00+08:00", 7200),
        ];
        let run = |s: &FeedSpec, pct: bool| {
            let mut t = Tally::default();
            events.iter().for_each(|e| t.add(s, e));
            t.value(s, pct).map(|v| v.to_string())
        };
        assert_eq!(
            run(&spec(FeedAggregate::Sum, None, None), false).as_deref(),
            Some("12600")
        );
        assert_eq!(
            run(&spec(FeedAggregate::Avg, None, Some(3600)), false).as_deref(),
            Some("1.1666666666666666666666666667")
        );
        assert_eq!(
            run(&spec(FeedAggregate::ShareUnder, Some(3600), None), true).as_deref(),
            Some("66.666666666666666666666666667")
        );
        assert_eq!(
            run(&spec(FeedAggregate::Latest, None, None), false).as_deref(),
            Some("1800")
        );
        // Splitting the events over two tallies and merging gives the same.
        let s = spec(FeedAggregate::Latest, None, None);
        let (mut a, mut b) = (Tally::default(), Tally::default());
        a.add(&s, &events[1]);
        b.add(&s, &events[0]);
        b.add(&s, &events[2]);
        b.merge(&a);
        let mut all = Tally::default();
        events.iter().for_each(|e| all.add(&s, e));
        assert_eq!(b, all);
    }
}
