//! Results applied (结果运用): every kind of condition with worked numbers, the order of rules,
//! `otherwise`, a veto first, consecutive results from the history, and the checks that refuse
//! a rule naming an unknown grade or giving the wrong kind of value.

use super::*;
use jixiao_core::applications::{History, Outcome, OutcomeValue, apply};
use jixiao_core::report::{Detail, report};

/// One indicator of 100 points scored `ratio` against 100: a unit's total is its value `v`
/// (capped at 100); a count `accident` vetoes.
fn body(applications: &str) -> String {
    scheme(&format!(
        r#"[rules]
quota = false
[elements.v]
name = {{ zh = "完成值" }}
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
[[classes.c.modules]]
code = "functional"
name = {{ zh = "模块" }}
points = 100
[[classes.c.modules.indicators]]
code = "x"
name = {{ zh = "完成率" }}
points = 100
element = "v"
target = 100
method = {{ type = "ratio" }}
{applications}"#
    ))
}

const BONUS: &str = r#"[[applications]]
code = "bonus"
name = { zh = "绩效奖金系数", en = "Bonus coefficient" }
purpose = "bonus"
kind = "coefficient"
basis = { zh = "区委办〔2025〕12号" }
rules = [
  { vetoed = true, value = 0 },
  { grade = ["excellent"], value = 1.2 },
  { grade = ["good"], value = "1.0" },
  { grade = ["pass"], value = 0.8 },
]
otherwise = 0

[[applications]]
code = "honours"
name = { zh = "评优评先资格", en = "Eligible for honours" }
purpose = "honours"
kind = "flag"
rules = [{ grade_at_least = "good", rank_share_at_most = 50, vetoed = false, value = true }]
otherwise = false

[[applications]]
code = "talk"
name = { zh = "约谈", en = "Admonishment talk" }
purpose = "talk"
kind = "flag"
rules = [
  { consecutive = { grades = ["fail"], periods = 2 }, value = true },
  { last_at_most = 1, total_below = 75, value = true },
]
otherwise = false

[[applications]]
code = "leaders"
name = { zh = "干部考核参考", en = "Leaders' assessment" }
purpose = "leaders"
kind = "text"
rules = [
  { rank_at_most = 2, total_at_least = 85, value = { zh = "好", en = "Good" } },
  { grade_below = "pass", value = { zh = "较差", en = "Poor" } },
]
"#;

/// U1 96 (优秀), U2 88 (良好), U3 72 (合格), U4 55 (不合格, also last year), U5 93 but vetoed,
/// U6 58 (不合格, 合格 last year).
fn results(history: &History) -> Vec<(String, Vec<Outcome>)> {
    let r = run(
        &body(BONUS),
        &org(6, &[]),
        &csv(&[
            "U1,v,2025,96",
            "U2,v,2025,88",
            "U3,v,2025,72",
            "U4,v,2025,55",
            "U5,v,2025,93",
            "U5,accident,2025,1",
            "U6,v,2025,58",
        ]),
        "2025",
    );
    let mut rep = report(
        &r.loaded.model,
        &r.loaded.values,
        &r.scoring,
        None,
        Detail::default(),
    );
    apply(&r.loaded.model, &mut rep, history);
    rep.classes[0]
        .rows
        .iter()
        .map(|row| (row.unit.to_string(), row.outcomes.clone()))
        .collect()
}

fn history() -> History {
    let mut h = History {
        periods: vec![Some(
            jixiao_core::period::Period::parse("2024").expect("period"),
        )],
        ..History::default()
    };
    for (u, g) in [("U4", "fail"), ("U6", "pass")] {
        h.grades.insert(
            jixiao_core::code::Code::parse(u).expect("code"),
            vec![Some(jixiao_core::code::Ident::parse(g).expect("grade"))],
        );
    }
    h
}

fn of<'a>(all: &'a [(String, Vec<Outcome>)], unit: &str, code: &str) -> &'a Outcome {
    all.iter()
        .find(|(u, _)| u == unit)
        .and_then(|(_, os)| os.iter().find(|o| o.code.as_str() == code))
        .unwrap_or_else(|| panic!("{unit} {code}"))
}

fn num(o: &Outcome) -> Decimal {
    match o.value {
        Some(OutcomeValue::Number(n)) => n,
        ref v => panic!("not a number: {v:?}"),
    }
}

fn flag(o: &Outcome) -> bool {
    match o.value {
        Some(OutcomeValue::Flag(b)) => b,
        ref v => panic!("not a flag: {v:?}"),
    }
}

#[test]
fn grades_give_the_bonus_coefficient_and_a_veto_comes_first() {
    let all = results(&history());
    let bonus: Vec<(String, Decimal, Option<u32>)> = ["U1", "U2", "U3", "U4", "U5", "U6"]
        .iter()
        .map(|u| {
            let o = of(&all, u, "bonus");
            ((*u).to_owned(), num(o), o.rule)
        })
        .collect();
    assert_eq!(
        bonus,
        vec![
            ("U1".to_owned(), d("1.2"), Some(2)),
            ("U2".to_owned(), d("1.0"), Some(3)),
            ("U3".to_owned(), d("0.8"), Some(4)),
            ("U4".to_owned(), d("0"), None),
            ("U5".to_owned(), d("0"), Some(1)),
            ("U6".to_owned(), d("0"), None),
        ]
    );
    // Explained with the unit's own grade, and the rules that did not hold before it.
    let u2 = of(&all, "U2", "bonus");
    assert_eq!(
        u2.reason.zh,
        "规则1不符（未触发一票否决）；规则2不符（等次 良好 ∉ {优秀}）；规则3：等次 良好 ∈ {良好} → 1.0"
    );
    assert_eq!(
        u2.basis.as_ref().map(|b| b.zh.as_str()),
        Some("区委办〔2025〕12号")
    );
    let u5 = of(&all, "U5", "bonus");
    assert!(
        u5.reason.zh.starts_with("规则1：触发一票否决（较大事故）"),
        "{}",
        u5.reason.zh
    );
    assert!(of(&all, "U4", "bonus").reason.zh.ends_with("其他情况 → 0"));
}

#[test]
fn rank_share_total_and_veto_together() {
    let all = results(&History::default());
    // Six units, top 50%: the first three places. U5 is vetoed (total 0, last), so U1 (1st)
    // and U2 (2nd) are 良好 or better within the top 3; U3 is 3rd but only 合格.
    let got: Vec<bool> = ["U1", "U2", "U3", "U4", "U5", "U6"]
        .iter()
        .map(|u| flag(of(&all, u, "honours")))
        .collect();
    assert_eq!(got, vec![true, true, false, false, false, false]);
    assert_eq!(
        of(&all, "U3", "honours").reason.zh,
        "规则1不符（等次 合格 不在良好及以上）；其他情况 → 否"
    );
    assert!(
        of(&all, "U2", "honours")
            .reason
            .zh
            .contains("排名 2 ≤ 前50%（6 个单位中前 3 名）"),
        "{}",
        of(&all, "U2", "honours").reason.zh
    );
}

#[test]
fn consecutive_fails_and_the_last_place_lead_to_a_talk() {
    // Without history nobody has failed twice; the last place (U5, vetoed at 0) is below 75.
    let none = results(&History::default());
    let talk = |all: &[(String, Vec<Outcome>)]| -> Vec<bool> {
        ["U1", "U2", "U3", "U4", "U5", "U6"]
            .iter()
            .map(|u| flag(of(all, u, "talk")))
            .collect()
    };
    assert_eq!(talk(&none), vec![false, false, false, false, true, false]);
    assert!(
        of(&none, "U4", "talk")
            .reason
            .zh
            .contains("近 2 期等次（由近及远）不合格（本期），未连续为{不合格}"),
        "{}",
        of(&none, "U4", "talk").reason.zh
    );
    // U4 failed last year too: two running. U6 passed last year: not.
    let with = results(&history());
    assert_eq!(talk(&with), vec![false, false, false, true, true, false]);
    assert!(
        of(&with, "U4", "talk").reason.zh.starts_with(
            "规则1：近 2 期等次（由近及远）不合格（本期）、不合格（2024年度），连续为{不合格}"
        ),
        "{}",
        of(&with, "U4", "talk").reason.zh
    );
}

#[test]
fn words_rank_and_total_and_no_outcome_without_otherwise() {
    let all = results(&History::default());
    let text = |u: &str| match &of(&all, u, "leaders").value {
        Some(OutcomeValue::Text(t)) => Some(t.zh.clone()),
        None => None,
        v => panic!("{v:?}"),
    };
    assert_eq!(text("U1"), Some("好".to_owned()));
    // U2 is 2nd but 88 ≥ 85: 好 as well.
    assert_eq!(text("U2"), Some("好".to_owned()));
    // U3 is 3rd, 合格: neither rule, and no `otherwise`.
    assert_eq!(text("U3"), None);
    assert_eq!(
        of(&all, "U3", "leaders").reason.zh,
        "规则1不符（排名 3 > 2）；规则2不符（等次 合格 不低于合格）；无规则适用，不作运用"
    );
    assert_eq!(text("U4"), Some("较差".to_owned()));
}

#[test]
fn a_unit_without_a_result_waits() {
    let s = body(BONUS).replace("quota = false", "quota = false\nmissing = \"block\"");
    let r = run(&s, &org(2, &[]), &csv(&["U1,v,2025,96"]), "2025");
    let mut rep = report(
        &r.loaded.model,
        &r.loaded.values,
        &r.scoring,
        None,
        Detail::default(),
    );
    apply(&r.loaded.model, &mut rep, &History::default());
    let u2 = rep.classes[0]
        .rows
        .iter()
        .find(|row| row.unit.as_str() == "U2")
        .expect("U2");
    assert!(u2.total.is_none());
    assert!(
        u2.outcomes
            .iter()
            .all(|o| o.value.is_none() && o.rule.is_none())
    );
    assert!(u2.outcomes[0].reason.zh.contains("结果未定"));
}

#[test]
fn the_check_names_a_bad_rule_and_its_place() {
    let bad = r#"[[applications]]
code = "bonus"
name = { zh = "绩效奖金系数" }
kind = "coefficient"
classes = ["nope"]
rules = [
  { grade = ["excellent", "superb"], value = 1.2 },
  { grade = ["good"], value = true },
  { rank_share_at_most = 0, value = -1 },
  { consecutive = { grades = ["fail"], periods = 1 }, value = 0 },
]
"#;
    let issues = load(
        &SourceText::new("scheme.toml", &body(bad)),
        &SourceText::new("org.toml", &org(2, &[])),
        DataFile {
            name: "data.csv",
            bytes: b"unit,item,period,value\n",
        },
    )
    .err()
    .expect("refused");
    let found: Vec<(&str, String)> = issues
        .iter()
        .map(|i| (i.code, format!("{:?}", i.location)))
        .collect();
    for (code, at) in [
        ("unknown_class", "applications[0].classes[0]"),
        ("unknown_grade", "applications[0].rules[0].grade[1]"),
        ("bad_outcome_value", "applications[0].rules[1].value"),
        ("bad_outcome_value", "applications[0].rules[2].value"),
        (
            "bad_rank_share",
            "applications[0].rules[2].rank_share_at_most",
        ),
        ("bad_consecutive", "applications[0].rules[3].consecutive"),
    ] {
        assert!(
            found.iter().any(|(c, l)| *c == code && l.contains(at)),
            "{code} at {at}: {found:?}"
        );
    }
    let grade = issues
        .iter()
        .find(|i| i.code == "unknown_grade")
        .expect("grade");
    assert!(
        grade.message.zh.contains("superb")
            && grade.message.zh.contains("excellent, good, pass, fail")
    );
}

#[test]
fn earlier_years_are_read_by_series_and_an_annual_rule_only_on_the_year() {
    use jixiao_core::applications::{before_year, depth, history_of};
    use jixiao_core::code::{Code, Ident};
    use jixiao_core::period::Period;
    let p = |s: &str| Period::parse(s).expect("period");
    let merit = r#"[[applications]]
code = "merit"
name = { zh = "集体记功", en = "Collective merit" }
purpose = "honours"
kind = "flag"
periods = "year"
rules = [{ consecutive = { grades = ["excellent"], periods = 3 }, value = true }]
otherwise = false
"#;
    let text = body(merit);
    let scheme: jixiao_core::scheme::Scheme = jixiao_core::doc::SourceText::new("s.toml", &text)
        .parse()
        .expect("scheme");
    // Three running: two periods before, all before the year for a year; for a quarter the
    // quarters of the year come first (Q1 before Q2), then last year's last quarter.
    assert_eq!(depth(&scheme), 2);
    assert_eq!(before_year(&scheme, p("2025")), vec![p("2024"), p("2023")]);
    assert_eq!(before_year(&scheme, p("2025Q2")), vec![p("2024Q4")]);
    assert_eq!(before_year(&scheme, p("2025Q4")), Vec::<Period>::new());
    // The series: the id without `-<year>`, unless the scheme names it.
    assert_eq!(scheme.series_code(), "t");
    let mut named = scheme.clone();
    named.id = Code::parse("wolong-2025").expect("code");
    assert_eq!(named.series_code(), "wolong");
    named.series = Some(Code::parse("wolong-main").expect("code"));
    assert_eq!(named.series_code(), "wolong-main");

    // U1 96 is 优秀 now; with 优秀 in 2024 and 2023 it earns the merit, U2 (88, 良好) does not.
    let earlier = |u2023: &str| {
        history_of(&[p("2024"), p("2023")], |q| {
            let g = |s: &str| Ident::parse(s).expect("grade");
            let mut m = std::collections::HashMap::new();
            m.insert(Code::parse("U1").expect("u"), g("excellent"));
            if q == p("2023") {
                m.insert(Code::parse("U1").expect("u"), g(u2023));
            }
            m.insert(Code::parse("U2").expect("u"), g("excellent"));
            Some(m)
        })
    };
    let r = run(
        &text,
        &org(2, &[]),
        &csv(&["U1,v,2025,96", "U2,v,2025,88"]),
        "2025",
    );
    let outcome = |h: &History, u: usize| {
        let mut rep = report(
            &r.loaded.model,
            &r.loaded.values,
            &r.scoring,
            None,
            Detail::default(),
        );
        apply(&r.loaded.model, &mut rep, h);
        rep.classes[0].rows[u].outcomes[0].clone()
    };
    let yes = outcome(&earlier("excellent"), 0);
    assert_eq!(yes.value, Some(OutcomeValue::Flag(true)));
    assert!(
        yes.reason
            .zh
            .contains("优秀（本期）、优秀（2024年度）、优秀（2023年度），连续为{优秀}"),
        "{}",
        yes.reason.zh
    );
    let no = outcome(&earlier("good"), 0);
    assert_eq!(no.value, Some(OutcomeValue::Flag(false)));
    assert!(
        no.reason.zh.contains("良好（2023年度）"),
        "{}",
        no.reason.zh
    );
    assert_eq!(
        outcome(&earlier("excellent"), 1).value,
        Some(OutcomeValue::Flag(false))
    );
    // On a quarter the annual-only rule gives no outcome at all.
    let q = run(&text, &org(2, &[]), &csv(&[]), "2025Q1");
    let mut rep = report(
        &q.loaded.model,
        &q.loaded.values,
        &q.scoring,
        None,
        Detail::default(),
    );
    apply(&q.loaded.model, &mut rep, &History::default());
    assert!(rep.classes[0].rows.iter().all(|r| r.outcomes.is_empty()));
}
