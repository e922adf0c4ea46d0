//! The year's comprehensive result (年度综合): 平时考核 (the quarters) × 30% + 年终考核 × 70%,
//! with weights, missing quarters by the scheme's missing-data rule, a veto deciding, ranks and
//! grades on the result, kept up to date value by value, explained step by step.

use super::*;
use jixiao_core::model::Model;

/// One class: `x` (50 points) reads the quarterly `v` (the year: its mean); `z` (50 points)
/// reads the annual `e` and is left out of the quarters. A quarter's total is therefore `v`
/// itself; the year-end total is (mean v + e) ÷ 2.
fn body(year_result: &str, missing: &str) -> String {
    scheme(&format!(
        r#"[rules]
quota = false
missing = "{missing}"
[elements.v]
name = {{ zh = "季度完成率" }}
frequency = "quarter"
aggregate = "mean"
[elements.e]
name = {{ zh = "年终考评" }}
frequency = "year"
[elements.accident]
name = {{ zh = "较大事故" }}
kind = "count"
frequency = "year"
[[vetoes]]
code = "accident"
name = {{ zh = "较大事故" }}
element = "accident"
[classes.c]
name = {{ zh = "类" }}
{year_result}
[[classes.c.modules]]
code = "m"
name = {{ zh = "模块" }}
points = 100
[[classes.c.modules.indicators]]
code = "x"
name = {{ zh = "季度工作" }}
points = 50
element = "v"
target = 100
method = {{ type = "ratio" }}
[[classes.c.modules.indicators]]
code = "z"
name = {{ zh = "年终考评" }}
points = 50
element = "e"
target = 100
missing = "exclude"
method = {{ type = "ratio" }}
"#
    ))
}

const YEAR: &str = "year_result = { periods = \"quarter\", periodic = 30, year_end = 70 }";

/// U1: quarters 80, 90, 70, 100 (mean 85), year-end e 95 → year-end total 90;
/// year result = 85 × 30% + 90 × 70% = 25.5 + 63 = 88.5.
/// U2: quarters 90 ×4, e 80 → year-end 85 → 27 + 59.5 = 86.5.
const DATA: &[&str] = &[
    "U1,v,2025Q1,80",
    "U1,v,2025Q2,90",
    "U1,v,2025Q3,70",
    "U1,v,2025Q4,100",
    "U1,e,2025,95",
    "U2,v,2025Q1,90",
    "U2,v,2025Q2,90",
    "U2,v,2025Q3,90",
    "U2,v,2025Q4,90",
    "U2,e,2025,80",
];

#[test]
fn quarters_thirty_year_end_seventy() {
    let r = run(&body(YEAR, "zero"), &org(2, &[]), &csv(DATA), "2025");
    assert_eq!(r.total("U1"), Some(d("88.5")));
    assert_eq!(r.total("U2"), Some(d("86.5")));
    assert_eq!(r.unit("U1").rank, Some(1));
    assert_eq!(r.grade("U2").as_deref(), Some("良好"));
    // Without a year result the year is its own total: U2 would not move, U1 is 90.
    let plain = run(&body("", "zero"), &org(2, &[]), &csv(DATA), "2025");
    assert_eq!(plain.total("U1"), Some(d("90")));
    // A quarter is scored as ever.
    let q = run(&body(YEAR, "zero"), &org(2, &[]), &csv(DATA), "2025Q3");
    assert_eq!(q.total("U1"), Some(d("70")));
    // Explained step by step.
    let text = jixiao_core::report::explain_unit(
        &r.loaded.model,
        &r.scoring,
        r.loaded.model.unit("U1").expect("U1"),
    )
    .expect("explanation")
    .steps
    .iter()
    .map(|s| s.text.zh.clone())
    .collect::<Vec<_>>()
    .join("\n");
    assert!(
        text.contains(
            "平时考核：2025Q1 80.00、2025Q2 90.00、2025Q3 70.00、2025Q4 100.00；加权平均 85.00"
        ),
        "{text}"
    );
    assert!(
        text.contains("年度综合得分 = 平时考核 85.00 × 30% + 年终考核 90.00 × 70% = 88.50"),
        "{text}"
    );
}

#[test]
fn weights_and_missing_quarters() {
    // Weights 1, 1, 1, 2: U1's periodic = (80 + 90 + 70 + 200) ÷ 5 = 88 → 26.4 + 63 = 89.4.
    let weighted = YEAR.replace(" }", ", weights = [1, 1, 1, 2] }");
    let r = run(&body(&weighted, "zero"), &org(2, &[]), &csv(DATA), "2025");
    assert_eq!(r.total("U1"), Some(d("89.4")));
    // U1 without Q4. Under `zero` the quarter counts 0: its own Q4 total is 0 too (x scores 0).
    let data: Vec<&str> = DATA
        .iter()
        .copied()
        .filter(|l| *l != "U1,v,2025Q4,100")
        .collect();
    let zero = run(&body(YEAR, "zero"), &org(2, &[]), &csv(&data), "2025");
    // Q4 total 0 (x missing → 0); periodic (80 + 90 + 70 + 0) ÷ 4 = 60. The year's mean of v
    // needs every quarter, so x scores 0 in the year too: year-end (0 + 95) ÷ 2 = 47.5.
    // 18 + 33.25 = 51.25.
    assert_eq!(zero.total("U1"), Some(d("51.25")));
    // Under `exclude` Q4 has no result (nothing is scored in it) and is left out: periodic
    // (80 + 90 + 70) ÷ 3 = 80 → 24; in the year x is left out and z carries the 100 points:
    // year-end 95 → 66.5. 90.5.
    let excl = run(&body(YEAR, "exclude"), &org(2, &[]), &csv(&data), "2025");
    assert_eq!(excl.total("U1"), Some(d("90.5")));
    // Under `block` there is no year result yet.
    let block = run(&body(YEAR, "block"), &org(2, &[]), &csv(&data), "2025");
    assert_eq!(block.total("U1"), None);
    assert_eq!(block.total("U2"), Some(d("86.5")));
}

#[test]
fn a_veto_decides_and_changes_follow_value_by_value() {
    let mut data = DATA.to_vec();
    data.push("U2,accident,2025,1");
    let mut r = run(&body(YEAR, "zero"), &org(2, &[]), &csv(&data), "2025");
    assert_eq!(
        r.total("U2"),
        Some(d("0")),
        "a veto is not softened by the quarters"
    );
    // A quarter's value changes the year result at once, as scoring afresh would.
    let m: &Model = &r.loaded.model;
    let (u1, v) = (m.unit("U1").expect("U1"), m.element("v").expect("v"));
    let q1 = Period::parse("2025Q1").expect("period");
    let change = r
        .scoring
        .set_value(m, &mut r.loaded.values, u1, v, q1, Some(d("100")));
    assert!(change.totals.contains(&u1), "{change:?}");
    let fresh = jixiao_core::engine::Scoring::compute(
        m,
        &r.loaded.values,
        Period::parse("2025").expect("p"),
    );
    assert_eq!(
        r.scoring.unit(m, u1).and_then(|u| u.total),
        fresh.unit(m, u1).and_then(|u| u.total)
    );
    // (100 + 90 + 70 + 100) ÷ 4 = 90 → 27; year-end (90 + 95) ÷ 2 = 92.5 → 64.75; 91.75.
    assert_eq!(fresh.unit(m, u1).and_then(|u| u.total), Some(d("91.75")));
}

#[test]
fn shares_that_do_not_add_up_are_refused() {
    let bad = YEAR.replace("year_end = 70", "year_end = 60");
    let issues = jixiao_core::check::load(
        &jixiao_core::doc::SourceText::new("scheme.toml", &body(&bad, "zero")),
        &jixiao_core::doc::SourceText::new("org.toml", &org(2, &[])),
        jixiao_core::check::DataFile {
            name: "data.csv",
            bytes: b"unit,item,period,value\n",
        },
    )
    .err()
    .expect("refused");
    let i = issues
        .iter()
        .find(|i| i.code == "bad_year_result")
        .expect("bad_year_result");
    assert!(i.message.zh.contains("30 + 60 = 90"), "{}", i.message.zh);
}
