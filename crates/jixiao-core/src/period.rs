//! Reporting periods: a year, a half, a quarter or a month (`2025`, `2025H1`, `2025Q2`, `2025-06`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// How fine a period is; declared order is coarse to fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Year,
    Half,
    Quarter,
    Month,
}

impl Granularity {
    /// Months in one period of this granularity.
    pub fn months(self) -> u8 {
        match self {
            Granularity::Year => 12,
            Granularity::Half => 6,
            Granularity::Quarter => 3,
            Granularity::Month => 1,
        }
    }

    pub fn name(self) -> crate::text::Text {
        match self {
            Granularity::Year => crate::text::Text::new("年度", "year"),
            Granularity::Half => crate::text::Text::new("半年", "half-year"),
            Granularity::Quarter => crate::text::Text::new("季度", "quarter"),
            Granularity::Month => crate::text::Text::new("月度", "month"),
        }
    }
}

/// A period. Internally the year, the granularity and the index within the year (1-based).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    year: u16,
    granularity: Granularity,
    index: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid period `{0}`; write 2025, 2025H1, 2025Q2 or 2025-06")]
pub struct PeriodError(pub String);

impl Period {
    pub fn year(year: u16) -> Period {
        Period {
            year,
            granularity: Granularity::Year,
            index: 1,
        }
    }

    pub fn new(year: u16, granularity: Granularity, index: u8) -> Option<Period> {
        let count = 12 / granularity.months();
        (1..=count).contains(&index).then_some(Period {
            year,
            granularity,
            index,
        })
    }

    /// Parses `2025`, `2025H1`, `2025Q2`, `2025-06` (also `2025-6`, lower-case `h`/`q`).
    pub fn parse(s: &str) -> Result<Period, PeriodError> {
        let err = || PeriodError(s.to_owned());
        let t = s.trim();
        if t.len() < 4 || !t.is_char_boundary(4) {
            return Err(err());
        }
        let (y, rest) = t.split_at(4);
        if !y.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let year: u16 = y.parse().map_err(|_| err())?;
        if !(1990..=2200).contains(&year) {
            return Err(err());
        }
        let num = |r: &str| -> Result<u8, PeriodError> {
            if r.is_empty() || r.len() > 2 || !r.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            r.parse().map_err(|_| err())
        };
        let (granularity, index) = match rest.chars().next() {
            None => (Granularity::Year, 1),
            Some('H' | 'h') => (Granularity::Half, num(&rest[1..])?),
            Some('Q' | 'q') => (Granularity::Quarter, num(&rest[1..])?),
            Some('-') => (Granularity::Month, num(&rest[1..])?),
            Some(_) => return Err(err()),
        };
        Period::new(year, granularity, index).ok_or_else(err)
    }

    pub fn granularity(self) -> Granularity {
        self.granularity
    }

    pub fn year_number(self) -> u16 {
        self.year
    }

    /// First month (1–12) this period covers.
    pub fn first_month(self) -> u8 {
        (self.index - 1) * self.granularity.months() + 1
    }

    /// Last month (1–12) this period covers.
    pub fn last_month(self) -> u8 {
        self.index * self.granularity.months()
    }

    /// The first day of the period, `YYYY-MM-DD`.
    pub fn first_day(self) -> String {
        format!("{:04}-{:02}-01", self.year, self.first_month())
    }

    /// The last day of the period, `YYYY-MM-DD` (the organisation it is scored on is the one
    /// that stands on this day).
    pub fn last_day(self) -> String {
        let month = self.last_month();
        let days = time::Month::try_from(month)
            .map(|m| time::util::days_in_month(m, i32::from(self.year)))
            .unwrap_or(31);
        format!("{:04}-{month:02}-{days:02}", self.year)
    }

    /// Whether `other` lies inside this period (a period contains itself).
    pub fn contains(self, other: Period) -> bool {
        self.year == other.year
            && other.granularity >= self.granularity
            && other.first_month() >= self.first_month()
            && other.last_month() <= self.last_month()
    }

    /// The periods of granularity `g` that make up this period, in order; empty when `g` is
    /// coarser than this period.
    pub fn parts(self, g: Granularity) -> Vec<Period> {
        if g < self.granularity {
            return Vec::new();
        }
        let step = g.months();
        (self.first_month()..=self.last_month())
            .step_by(step as usize)
            .filter_map(|m| Period::new(self.year, g, (m - 1) / step + 1))
            .collect()
    }

    /// The period of granularity `g` that contains this one, if `g` is not finer.
    pub fn containing(self, g: Granularity) -> Option<Period> {
        if g > self.granularity {
            return None;
        }
        let months = g.months();
        Period::new(self.year, g, (self.first_month() - 1) / months + 1)
    }

    /// The same period one year earlier (同比).
    pub fn year_earlier(self) -> Period {
        Period {
            year: self.year.saturating_sub(1),
            ..self
        }
    }

    /// The period just before this one at the same granularity (环比).
    pub fn previous(self) -> Period {
        if self.index > 1 {
            Period {
                index: self.index - 1,
                ..self
            }
        } else {
            Period {
                year: self.year.saturating_sub(1),
                index: 12 / self.granularity.months(),
                ..self
            }
        }
    }

    fn sort_key(self) -> (u16, u8, Granularity) {
        (self.year, self.first_month(), self.granularity)
    }

    /// Chinese label, e.g. `2025年第二季度`.
    pub fn label(self, lang: crate::text::Lang) -> String {
        use crate::text::Lang;
        const CN: [&str; 12] = [
            "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
        ];
        let i = self.index as usize;
        match (lang, self.granularity) {
            (Lang::Zh, Granularity::Year) => format!("{}年度", self.year),
            (Lang::Zh, Granularity::Half) => {
                format!(
                    "{}年{}",
                    self.year,
                    if i == 1 { "上半年" } else { "下半年" }
                )
            }
            (Lang::Zh, Granularity::Quarter) => format!("{}年第{}季度", self.year, CN[i - 1]),
            (Lang::Zh, Granularity::Month) => format!("{}年{}月", self.year, i),
            (Lang::En, _) => self.to_string(),
        }
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Period {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.granularity {
            Granularity::Year => write!(f, "{}", self.year),
            Granularity::Half => write!(f, "{}H{}", self.year, self.index),
            Granularity::Quarter => write!(f, "{}Q{}", self.year, self.index),
            Granularity::Month => write!(f, "{}-{:02}", self.year, self.index),
        }
    }
}

impl fmt::Debug for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Period::parse(&s).map_err(|_| {
            serde::de::Error::custom(crate::doc::bilingual(&crate::text::Text::new(
                format!("期间“{s}”格式不对，应写成 2025、2025H1、2025Q2 或 2025-06"),
                format!("invalid period `{s}`; write 2025, 2025H1, 2025Q2 or 2025-06"),
            )))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).expect("valid period")
    }

    #[test]
    fn first_and_last_days() {
        assert_eq!(p("2025").first_day(), "2025-01-01");
        assert_eq!(p("2025").last_day(), "2025-12-31");
        assert_eq!(p("2025Q3").last_day(), "2025-09-30");
        assert_eq!(p("2025H1").last_day(), "2025-06-30");
        assert_eq!(p("2024-02").last_day(), "2024-02-29");
        assert_eq!(p("2025-02").last_day(), "2025-02-28");
        assert_eq!(p("2025Q4").first_day(), "2025-10-01");
    }

    #[test]
    fn parses_and_prints_every_form() {
        for s in [
            "2025", "2025H1", "2025H2", "2025Q1", "2025Q4", "2025-01", "2025-12",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
        assert_eq!(p("2025q3").to_string(), "2025Q3");
        assert_eq!(p("2025-6").to_string(), "2025-06");
        for bad in [
            "",
            "25",
            "2025Q5",
            "2025Q0",
            "2025-13",
            "2025H3",
            "2025X1",
            "abcd",
            "2025Q",
            "年度2025",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn parts_previous_and_containment() {
        let parts: Vec<String> = p("2025")
            .parts(Granularity::Quarter)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(parts, ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]);
        let parts: Vec<String> = p("2025Q2")
            .parts(Granularity::Month)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(parts, ["2025-04", "2025-05", "2025-06"]);
        assert!(p("2025Q2").parts(Granularity::Year).is_empty());
        assert_eq!(p("2025Q1").previous(), p("2024Q4"));
        assert_eq!(p("2025-03").previous(), p("2025-02"));
        assert_eq!(p("2025H2").year_earlier(), p("2024H2"));
        assert!(p("2025H1").contains(p("2025Q2")));
        assert!(!p("2025H1").contains(p("2025Q3")));
        assert!(p("2025").contains(p("2025")));
        assert!(p("2025Q1") < p("2025Q2") && p("2024Q4") < p("2025"));
        assert_eq!(
            p("2025-08").containing(Granularity::Quarter),
            Some(p("2025Q3"))
        );
        assert_eq!(p("2025Q3").containing(Granularity::Half), Some(p("2025H2")));
        assert_eq!(p("2025Q3").containing(Granularity::Year), Some(p("2025")));
        assert_eq!(p("2025").containing(Granularity::Quarter), None);
        assert_eq!(p("2025Q2").label(crate::text::Lang::Zh), "2025年第二季度");
    }
}
