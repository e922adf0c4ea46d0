//! Early warnings: a rule is checked on resolved values (computed rates included), red wins
//! over yellow, and a rule that names no element or no line is refused with its place.

use super::*;
use jixiao_core::warnings::{Level, evaluate};

fn body(warnings: &str) -> String {
    scheme(&format!(
        r#"[elements.cases]
name = {{ zh = "受理件数" }}
frequency = "year"
[elements.agreed]
name = {{ zh = "协议件数" }}
frequency = "year"
[elements.rate]
name = {{ zh = "调解成功率" }}
kind = "percent"
source = "computed"
formula = "agreed / cases * 100"
{warnings}
[classes.c]
name = {{ zh = "类" }}
[[classes.c.modules]]
code = "functional"
name = {{ zh = "模块" }}
points = 100
[[classes.c.modules.indicators]]
code = "x"
name = {{ zh = "调解" }}
points = 100
element = "rate"
target = 90
method = {{ type = "ratio" }}
"#
    ))
}

const RULE: &str = r#"[[warnings]]
code = "low"
name = { zh = "调解成功率偏低" }
element = "rate"
yellow = { below = 85 }
red = { below = 70 }
"#;

#[test]
fn red_yellow_and_quiet_units() {
    let r = run(
        &body(RULE),
        &org(4, &[]),
        &csv(&[
            "U1,cases,2025,40",
            "U1,agreed,2025,36", // 90%: quiet
            "U2,cases,2025,40",
            "U2,agreed,2025,32", // 80%: yellow
            "U3,cases,2025,40",
            "U3,agreed,2025,20", // 50%: red
            "U4,cases,2025,40",
            "U4,agreed,2025,34", // exactly 85%: not below the line
        ]),
        "2025",
    );
    let m = &r.loaded.model;
    let raised = evaluate(m, &r.loaded.values, Period::parse("2025").expect("period"));
    let got: Vec<(String, Level, Decimal)> = raised
        .iter()
        .map(|w| (m.units[w.unit as usize].code.to_string(), w.level, w.value))
        .collect();
    assert_eq!(
        got,
        vec![
            ("U3".to_owned(), Level::Red, d("50")),
            ("U2".to_owned(), Level::Yellow, d("80")),
        ]
    );
    // A unit without data raises nothing (missing data is not a crossed line).
    let none = evaluate(m, &r.loaded.values, Period::parse("2024").expect("period"));
    assert!(none.is_empty());
}

/// Inclusive lines: "yellow at 85 or less" is `at_most = 85`, "red at 95 or more" is
/// `at_least = 95`; a value exactly on the line crosses it.
#[test]
fn inclusive_lines() {
    let rule = r#"[[warnings]]
code = "edge"
name = { zh = "调解成功率临界" }
element = "rate"
yellow = { at_most = 85 }
red = { at_least = 95 }
"#;
    let r = run(
        &body(rule),
        &org(3, &[]),
        &csv(&[
            "U1,cases,2025,40",
            "U1,agreed,2025,34", // exactly 85%: yellow
            "U2,cases,2025,40",
            "U2,agreed,2025,38", // exactly 95%: red
            "U3,cases,2025,40",
            "U3,agreed,2025,36", // 90%: quiet
        ]),
        "2025",
    );
    let m = &r.loaded.model;
    let raised = evaluate(m, &r.loaded.values, Period::parse("2025").expect("period"));
    let got: Vec<(String, Level)> = raised
        .iter()
        .map(|w| (m.units[w.unit as usize].code.to_string(), w.level))
        .collect();
    assert_eq!(
        got,
        vec![
            ("U2".to_owned(), Level::Red),
            ("U1".to_owned(), Level::Yellow)
        ]
    );
}

/// Three levels: the most severe line crossed decides; a unit's own warnings are the same as
/// the whole period's for that unit; the rule says how long to answer and what needs
/// rectification (red by default).
#[test]
fn orange_between_yellow_and_red() {
    let rule = r#"[[warnings]]
code = "low"
name = { zh = "调解成功率偏低" }
element = "rate"
yellow = { below = 90 }
orange = { below = 80 }
red = { at_most = 60 }
respond_within = { red = 2 }
"#;
    let r = run(
        &body(rule),
        &org(4, &[]),
        &csv(&[
            "U1,cases,2025,40",
            "U1,agreed,2025,34", // 85%: yellow
            "U2,cases,2025,40",
            "U2,agreed,2025,30", // 75%: orange
            "U3,cases,2025,40",
            "U3,agreed,2025,24", // exactly 60%: red (inclusive)
            "U4,cases,2025,40",
            "U4,agreed,2025,36", // exactly 90%: not below
        ]),
        "2025",
    );
    let m = &r.loaded.model;
    let p = Period::parse("2025").expect("period");
    let raised = evaluate(m, &r.loaded.values, p);
    let got: Vec<(String, Level)> = raised
        .iter()
        .map(|w| (m.units[w.unit as usize].code.to_string(), w.level))
        .collect();
    assert_eq!(
        got,
        vec![
            ("U3".to_owned(), Level::Red),
            ("U2".to_owned(), Level::Orange),
            ("U1".to_owned(), Level::Yellow),
        ]
    );
    for w in &raised {
        assert_eq!(
            jixiao_core::warnings::evaluate_unit(m, &r.loaded.values, p, w.unit),
            vec![w.clone()]
        );
    }
    let u4 = m.unit("U4").expect("U4");
    assert!(jixiao_core::warnings::evaluate_unit(m, &r.loaded.values, p, u4).is_empty());
    let w = &m.scheme.warnings[0];
    assert_eq!(
        (
            Level::Red.respond_within(w),
            Level::Orange.respond_within(w)
        ),
        (2, 5)
    );
    assert!(Level::Red.needs_rectification(w) && !Level::Orange.needs_rectification(w));
    assert_eq!(
        (Level::Red.line(w), Level::Orange.line(w)),
        ("≤ 60".to_owned(), "< 80".to_owned())
    );
}

/// An element read only by a warning rule (or a check) is used: `jixiao check` does not call
/// it unused.
#[test]
fn an_element_only_a_warning_reads_is_used() {
    let rule = r#"[elements.backlog]
name = { zh = "积案件数" }
frequency = "year"
[[warnings]]
code = "backlog"
name = { zh = "积案过多" }
element = "backlog"
red = { at_least = 10 }
"#;
    let issues = jixiao_core::check::check(
        &SourceText::new("s.toml", &body(rule)),
        &SourceText::new("o.toml", &org(1, &[])),
        None,
    );
    assert!(!issues.has_errors(), "{issues}");
    assert!(
        !issues.to_string().contains("backlog”没有被任何指标使用"),
        "{issues}"
    );
}

#[test]
fn rules_name_a_known_element_and_a_line() {
    let check = |s: &str| {
        jixiao_core::check::check(
            &SourceText::new("s.toml", s),
            &SourceText::new("o.toml", &org(1, &[])),
            None,
        )
    };
    assert!(!check(&body(RULE)).has_errors());
    let unknown = check(&body(
        &RULE.replace("element = \"rate\"", "element = \"rte\""),
    ));
    let text = unknown.to_string();
    assert!(
        text.contains("warnings[0].element") && text.contains("“rte”"),
        "{text}"
    );
    assert!(text.contains("rate"), "suggests the right name: {text}");
    let empty = check(&body(
        "[[warnings]]\ncode = \"quiet\"\nname = { zh = \"空\" }\nelement = \"rate\"\n",
    ));
    assert!(
        empty.to_string().contains("没有设置黄色、橙色或红色预警线"),
        "{empty}"
    );
}

const CHECKS: &str = r#"[[checks]]
code = "agreed_le_cases"
name = { zh = "协议数不能多于受理数" }
rule = "agreed <= cases"
level = "error"
"#;

#[test]
fn checks_between_elements() {
    // (At warning level: an error-level check that fails stops the files from scoring.)
    let r = run(
        &body(&CHECKS.replace("level = \"error\"", "level = \"warning\"")),
        &org(3, &[]),
        &csv(&[
            "U1,cases,2025,40",
            "U1,agreed,2025,36", // fine
            "U2,cases,2025,10",
            "U2,agreed,2025,12", // fails
            "U3,cases,2025,10",  // agreed not there yet: not judged
        ]),
        "2025",
    );
    let m = &r.loaded.model;
    let p = Period::parse("2025").expect("period");
    let failed = |unit: &str| {
        let u = m.unit(unit).expect("unit");
        let v = |e, p| r.loaded.values.get(u, e, p);
        jixiao_core::quality::failed_checks(m, p, None, &v)
    };
    assert_eq!(failed("U1"), Vec::<usize>::new());
    assert_eq!(failed("U2"), vec![0]);
    assert_eq!(failed("U3"), Vec::<usize>::new());
    let bad = jixiao_core::check::check(
        &SourceText::new(
            "s.toml",
            &body(&CHECKS.replace("agreed <= cases", "agreed <= casez")),
        ),
        &SourceText::new("o.toml", &org(1, &[])),
        None,
    );
    assert!(bad.to_string().contains("checks[0].rule"), "{bad}");
}

/// `jixiao check` and `jixiao score` on files run the checks between elements too, as the
/// server does on submission: an error-level check that fails stops scoring, naming the unit,
/// the period, the check and the row; a warning-level one is reported and scoring goes on.
#[test]
fn checks_between_elements_run_on_files() {
    let data = csv(&[
        "U1,cases,2025,40",
        "U1,agreed,2025,36",
        "U2,cases,2025,10",
        "U2,agreed,2025,12",
    ]);
    let load = |rules: &str| {
        jixiao_core::check::load(
            &SourceText::new("s.toml", &body(rules)),
            &SourceText::new("o.toml", &org(2, &[])),
            jixiao_core::check::DataFile {
                name: "data.csv",
                bytes: data.as_bytes(),
            },
        )
    };
    let stopped = load(CHECKS)
        .err()
        .expect("an error-level check stops scoring");
    let failed: Vec<_> = stopped
        .iter()
        .filter(|i| i.code == "check_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{stopped}");
    assert!(
        failed[0].message.en.contains("U2 2025")
            && failed[0].message.en.contains("agreed_le_cases"),
        "{stopped}"
    );
    assert!(
        matches!(
            failed[0].location,
            jixiao_core::issue::Location::Cell { row: 4, .. }
        ),
        "{:?}",
        failed[0].location
    );
    let warned = load(&CHECKS.replace("level = \"error\"", "level = \"warning\""))
        .expect("a warning does not stop scoring");
    assert!(
        warned.warnings.iter().any(|i| i.code == "check_failed"),
        "{}",
        warned.warnings
    );
}

/// Warnings belong to the results: a report asked for them lists each raised warning with its
/// rule, unit, level and value (what `jixiao score --format json` and the API's ranking give).
#[test]
fn warnings_are_in_the_results() {
    let r = run(
        &body(RULE),
        &org(2, &[]),
        &csv(&[
            "U1,cases,2025,40",
            "U1,agreed,2025,36",
            "U2,cases,2025,40",
            "U2,agreed,2025,20",
        ]),
        "2025",
    );
    let detail = |warnings| jixiao_core::report::Detail {
        warnings,
        ..Default::default()
    };
    let with = jixiao_core::report::report(
        &r.loaded.model,
        &r.loaded.values,
        &r.scoring,
        None,
        detail(true),
    );
    let got: Vec<(String, String, Decimal)> = with
        .warnings
        .iter()
        .map(|w| (w.unit.to_string(), format!("{:?}", w.level), w.value))
        .collect();
    assert_eq!(got, vec![("U2".to_owned(), "Red".to_owned(), d("50"))]);
    let json = serde_json::to_value(&with).expect("json");
    assert_eq!(json["warnings"][0]["code"], "low", "{json}");
    let without = jixiao_core::report::report(
        &r.loaded.model,
        &r.loaded.values,
        &r.scoring,
        None,
        detail(false),
    );
    assert!(without.warnings.is_empty());
    assert!(
        serde_json::to_value(&without)
            .expect("json")
            .get("warnings")
            .is_none()
    );
}
