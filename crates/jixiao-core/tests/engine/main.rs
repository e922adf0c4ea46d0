//! The engine against DOMAIN.md §2–§3, with numbers a clerk can check by hand.

mod applications;
mod budget;
mod checks;
mod enforcement;
mod inspection;
mod methods;
mod props;
mod rollup;
mod totals;
mod warnings;
mod year;

use jixiao_core::Decimal;
use jixiao_core::check::{DataFile, Loaded, load};
use jixiao_core::doc::SourceText;
use jixiao_core::engine::{LeafState, Scoring, UnitResult};
use jixiao_core::period::Period;
use std::str::FromStr;

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal literal")
}

/// A scheme with one class `c` (full marks from the modules) and the given body, which holds
/// modules, elements and rules in TOML.
pub fn scheme(body: &str) -> String {
    format!(
        "id = \"t\"\ntitle = {{ zh = \"测试方案\", en = \"Test\" }}\nyear = 2025\nversion = 1\n{body}"
    )
}

/// An organisation whose units `U1..Un` are all in class `c`, with extra TOML per unit.
pub fn org(n: usize, extra: &[(&str, &str)]) -> String {
    let mut s = String::from("[district]\ncode = \"dist\"\nname = { zh = \"测试区\" }\n");
    for i in 1..=n {
        let code = format!("U{i}");
        s.push_str(&format!("[[units]]\ncode = \"{code}\"\nname = {{ zh = \"单位{i}\", en = \"Unit {i}\" }}\nlevel = \"department\"\nclass = \"c\"\n"));
        for (u, e) in extra {
            if *u == code {
                s.push_str(e);
                s.push('\n');
            }
        }
    }
    s
}

pub struct Run {
    pub loaded: Loaded,
    pub scoring: Scoring,
}

pub fn run(scheme_text: &str, org_text: &str, data: &str, period: &str) -> Run {
    let loaded = match load(
        &SourceText::new("scheme.toml", scheme_text),
        &SourceText::new("org.toml", org_text),
        DataFile {
            name: "data.csv",
            bytes: data.as_bytes(),
        },
    ) {
        Ok(l) => l,
        Err(e) => panic!("inputs should be valid:\n{e}"),
    };
    let scoring = Scoring::compute(
        &loaded.model,
        &loaded.values,
        Period::parse(period).expect("period"),
    );
    Run { loaded, scoring }
}

impl Run {
    pub fn unit(&self, code: &str) -> &UnitResult {
        let u = self.loaded.model.unit(code).expect("unit");
        self.scoring.unit(&self.loaded.model, u).expect("assessed")
    }

    pub fn leaf(&self, unit: &str, indicator: &str) -> (Decimal, LeafState) {
        let m = &self.loaded.model;
        let u = m.unit(unit).expect("unit");
        let (c, pos) = m.class_of(u).expect("class");
        let l = m.find_leaf(c, indicator).expect("indicator");
        let o = self.scoring.class(c).leaf(pos, l);
        (o.score, o.state)
    }

    pub fn score(&self, unit: &str, indicator: &str) -> Decimal {
        self.leaf(unit, indicator).0
    }

    pub fn total(&self, unit: &str) -> Option<Decimal> {
        self.unit(unit).total
    }

    pub fn grade(&self, unit: &str) -> Option<String> {
        self.unit(unit)
            .grade
            .map(|g| self.loaded.model.grades[g as usize].name.zh.clone())
    }

    /// The explanation of one indicator, as Chinese lines.
    pub fn explain(&self, unit: &str, indicator: &str) -> String {
        let m = &self.loaded.model;
        let u = m.unit(unit).expect("unit");
        let (c, _) = m.class_of(u).expect("class");
        let l = m.find_leaf(c, indicator).expect("indicator");
        let e =
            jixiao_core::report::explain_leaf(m, &self.loaded.values, &self.scoring, u, l, true)
                .expect("explanation");
        jixiao_core::report::render_leaf(&e, jixiao_core::text::Lang::Zh, 2).join("\n")
    }
}

/// CSV from `unit,item,period,value` lines.
pub fn csv(lines: &[&str]) -> String {
    let mut s = String::from("unit,item,period,value\n");
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}
