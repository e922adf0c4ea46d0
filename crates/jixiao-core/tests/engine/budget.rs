//! Budget performance rules with worked numbers: the ex-ante conclusion by the lines and the
//! vetoes, experts combined three ways; the dual monitoring's time progress, lags, levels on
//! their inclusive lines, the linear forecast and the spending–goal mismatch.

use jixiao_core::budget::{
    Combine, Conclusion, ExAnteRules, ExpertScores, Goal, Level, MonitorReport, MonitorRules,
    check_rules, conclude, monitor,
};
use jixiao_core::code::Ident;
use jixiao_core::text::Text;
use rust_decimal::Decimal;

fn n(s: &str) -> Decimal {
    s.parse().expect("number")
}

fn expert(name: &str, scores: [&str; 5]) -> ExpertScores {
    ExpertScores {
        expert: name.to_owned(),
        scores: scores.iter().map(|s| n(s)).collect(),
    }
}

#[test]
fn the_lines_decide_and_are_inclusive() {
    let rules = ExAnteRules::default();
    assert!(check_rules(&rules).is_empty());
    // 18 + 16 + 17 + 15 + 14 = 80: exactly on the support line.
    let r = conclude(&rules, &[expert("张", ["18", "16", "17", "15", "14"])]).expect("ok");
    assert_eq!(r.total, n("80"));
    assert_eq!(r.conclusion, Conclusion::Support);
    assert_eq!(r.reason.zh, "总分 80 ≥ 80：予以支持");
    // 79.5: support after revision.
    let r = conclude(&rules, &[expert("张", ["18", "16", "17", "15", "13.5"])]).expect("ok");
    assert_eq!(r.conclusion, Conclusion::Revise);
    assert_eq!(r.reason.zh, "60 ≤ 总分 79.5 < 80：调整完善后予以支持");
    assert!(r.conclusion.passes());
    // 60 exactly: still revise; 59.9: not supported.
    let r = conclude(&rules, &[expert("张", ["12", "12", "12", "12", "12"])]).expect("ok");
    assert_eq!(r.conclusion, Conclusion::Revise);
    let r = conclude(&rules, &[expert("张", ["12", "12", "12", "11.9", "12"])]).expect("ok");
    assert_eq!(r.conclusion, Conclusion::Reject);
    assert_eq!(r.reason.zh, "总分 59.9 < 60：不予支持");
    assert!(!r.conclusion.passes());
}

#[test]
fn necessity_or_financing_below_their_line_veto_whatever_the_total() {
    let rules = ExAnteRules::default();
    // Total 20 + 20 + 20 + 20 + 11 = 91, but financing compliance 11 < 12.
    let r = conclude(&rules, &[expert("李", ["20", "20", "20", "20", "11"])]).expect("ok");
    assert_eq!(r.total, n("91"));
    assert_eq!(r.conclusion, Conclusion::Reject);
    assert_eq!(
        r.reason.zh,
        "“筹资合规性”得分 11 低于否决线 12：一票否决，不予支持（总分 91）"
    );
    assert_eq!(r.dimensions[4].vetoed_below, Some(n("12")));
    // 12 is not below 12: no veto.
    let r = conclude(&rules, &[expert("李", ["12", "20", "20", "20", "12"])]).expect("ok");
    assert_eq!(r.conclusion, Conclusion::Support);
    // Economy has no veto line: 0 there only lowers the total.
    let r = conclude(&rules, &[expert("李", ["20", "0", "20", "20", "20"])]).expect("ok");
    assert_eq!(r.conclusion, Conclusion::Support);
}

#[test]
fn experts_are_combined_by_mean_median_or_trimmed_mean() {
    let five = [
        expert("甲", ["19", "16", "17", "15", "18"]),
        expert("乙", ["17", "15", "16", "14", "18"]),
        expert("丙", ["10", "14", "15", "13", "18"]),
        expert("丁", ["18", "17", "18", "16", "18"]),
        expert("戊", ["16", "12", "14", "12", "18"]),
    ];
    // Necessity: 19, 17, 10, 18, 16.
    let mean = conclude(&ExAnteRules::default(), &five).expect("ok");
    assert_eq!(mean.dimensions[0].combined, n("16")); // 80 / 5
    assert_eq!(mean.dimensions[1].combined, n("14.8")); // 74 / 5
    assert_eq!(
        mean.total,
        n("16") + n("14.8") + n("16") + n("14") + n("18")
    );
    let median = conclude(
        &ExAnteRules {
            combine: Combine::Median,
            ..ExAnteRules::default()
        },
        &five,
    )
    .expect("ok");
    assert_eq!(median.dimensions[0].combined, n("17"));
    let trimmed = conclude(
        &ExAnteRules {
            combine: Combine::TrimmedMean,
            ..ExAnteRules::default()
        },
        &five,
    )
    .expect("ok");
    // Drop 19 and 10: (17 + 18 + 16) / 3 = 17.
    assert_eq!(trimmed.dimensions[0].combined, n("17"));
    assert_eq!(
        trimmed.dimensions[0].how.zh,
        "去掉一个最高分 19 和一个最低分 10 后 3 位专家的平均分"
    );
    // Economy: 16, 15, 14, 17, 12 → drop 17 and 12 → (16 + 15 + 14) / 3 = 15.
    assert_eq!(trimmed.dimensions[1].combined, n("15"));
    // Feasibility: 15, 14, 13, 16, 12 → (15 + 14 + 13) / 3 = 14.
    assert_eq!(trimmed.dimensions[3].combined, n("14"));
    // Fewer than five: nothing dropped.
    let two = conclude(
        &ExAnteRules {
            combine: Combine::TrimmedMean,
            ..ExAnteRules::default()
        },
        &five[..2],
    )
    .expect("ok");
    assert_eq!(two.dimensions[0].combined, n("18"));
    // Thirds of a point add up exactly: 49/3 + 16 + 16 + 16 + 47/3 = 80 on the line, supported
    // (summing rounded thirds could land a hair below it).
    let three = conclude(
        &ExAnteRules::default(),
        &[
            expert("甲", ["16", "16", "16", "16", "16"]),
            expert("乙", ["16", "16", "16", "16", "16"]),
            expert("丙", ["17", "16", "16", "16", "15"]),
        ],
    )
    .expect("ok");
    assert!(
        three.dimensions[0].combined > n("16.333") && three.dimensions[0].combined < n("16.334")
    );
    assert_eq!(three.total, n("80"));
    assert_eq!(three.conclusion, Conclusion::Support);
}

#[test]
fn bad_scores_and_bad_rules_are_named_with_their_place() {
    let rules = ExAnteRules::default();
    let e = conclude(&rules, &[]).expect_err("nobody scored");
    assert_eq!(e[0].0, "experts");
    let e = conclude(
        &rules,
        &[
            expert("甲", ["21", "16", "17", "15", "-1"]),
            ExpertScores {
                expert: "乙".into(),
                scores: vec![n("10")],
            },
        ],
    )
    .expect_err("bad");
    let places: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        places,
        [
            "experts[0].scores[0]",
            "experts[0].scores[4]",
            "experts[1].scores"
        ]
    );
    assert!(e[0].1.zh.contains("立项必要性") && e[0].1.zh.contains("21"));
    let mut bad = ExAnteRules {
        revise: n("85"),
        ..ExAnteRules::default()
    };
    bad.dimensions[1].code = Ident::parse("necessity").expect("ident");
    bad.dimensions[2].veto_below = Some(n("25"));
    let places: Vec<String> = check_rules(&bad).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        places,
        ["dimensions[1].code", "dimensions[2].veto_below", "revise"]
    );
}

fn goal(code: &str, zh: &str, target: &str, completed: &str) -> Goal {
    Goal {
        code: Ident::parse(code).expect("ident"),
        name: Text::new(zh, zh),
        target: n(target),
        completed: n(completed),
    }
}

#[test]
fn monitoring_at_the_end_of_june_with_worked_numbers() {
    // 2025-06-30 is day 181 of 365: time progress 181/365 = 49.589…%.
    let r = MonitorReport {
        date: "2025-06-30".into(),
        budget: n("500"),
        spent: n("150"),
        goals: vec![
            goal("roads", "道路改造公里数", "20", "9"),
            goal("lights", "路灯安装数", "400", "80"),
            goal("trained", "培训人次", "100", "95"),
        ],
    };
    let m = monitor(&MonitorRules::default(), &r).expect("ok");
    let tp = n("181") / n("365") * n("100");
    assert_eq!(m.time_progress, tp);
    assert!(
        m.time_explanation.zh.contains("第 181 天") && m.time_explanation.zh.contains("49.59%")
    );
    // Spending 150/500 = 30%: lag 19.589… points → yellow (≥ 10, < 20).
    assert_eq!(m.spending.rate, n("30"));
    assert_eq!(m.spending.lag, tp - n("30"));
    assert_eq!(m.spending.level, Level::Yellow);
    // Forecast 30 / 49.589… × 100 = 60.497…% < 100: expected to miss.
    assert_eq!(m.spending.forecast, n("30") / tp * n("100"));
    assert!(m.spending.expected_to_miss);
    assert!(
        m.spending
            .explanation
            .zh
            .contains("落后序时进度 19.59 个百分点（≥ 黄线 10，黄色）")
    );
    assert!(m.spending.explanation.zh.contains("预计无法完成"));
    // Roads 9/20 = 45%: lag 4.589… → green, forecast 90.7…% → still expected to miss.
    assert_eq!(m.goals[0].level, Level::Green);
    assert!(m.goals[0].expected_to_miss);
    // Lights 80/400 = 20%: lag 29.589… → red.
    assert_eq!(m.goals[1].level, Level::Red);
    // Trained 95%: ahead of time; forecast above 100%.
    assert!(m.goals[2].lag < Decimal::ZERO);
    assert_eq!(m.goals[2].level, Level::Green);
    assert!(!m.goals[2].expected_to_miss);
    assert_eq!(m.level, Level::Red);
    // Spending 30% against training 95%: 65 points apart → mismatch; against roads 15: not.
    assert_eq!(m.mismatches.len(), 1);
    assert_eq!(m.mismatches[0].0, "trained");
    assert_eq!(m.mismatches[0].1, n("-65"));
    assert!(m.mismatches[0].2.zh.contains("目标快于支出"));
}

#[test]
fn lines_are_inclusive_and_leap_years_count() {
    // 2024-03-31 is day 91 of 366 (a leap year).
    let at = |spent: &str| MonitorReport {
        date: "2024-03-31".into(),
        budget: n("366"),
        spent: n(spent),
        goals: vec![],
    };
    let m = monitor(&MonitorRules::default(), &at("55")).expect("ok");
    assert_eq!(m.time_progress, n("91") / n("366") * n("100"));
    // Spending 55/366 → lag exactly (91 − 55)/366 × 100 = 9.836…: green.
    assert_eq!(m.spending.level, Level::Green);
    // Lines set in points: a lag of exactly 10 is yellow, exactly 20 red.
    let rules = MonitorRules::default();
    let day = |date: &str, budget: &str, spent: &str| MonitorReport {
        date: date.into(),
        budget: n(budget),
        spent: n(spent),
        goals: vec![],
    };
    // 2025-12-31: time progress exactly 100.
    let m = monitor(&rules, &day("2025-12-31", "100", "90")).expect("ok");
    assert_eq!(m.time_progress, n("100"));
    assert_eq!(m.spending.lag, n("10"));
    assert_eq!(m.spending.level, Level::Yellow);
    let m = monitor(&rules, &day("2025-12-31", "100", "80")).expect("ok");
    assert_eq!(m.spending.level, Level::Red);
    let m = monitor(&rules, &day("2025-12-31", "100", "80.01")).expect("ok");
    assert_eq!(m.spending.level, Level::Yellow);
    // Bad input: every field named.
    let e = monitor(
        &rules,
        &MonitorReport {
            date: "2025-02-30".into(),
            budget: n("0"),
            spent: n("-1"),
            goals: vec![goal("g", "目标", "0", "-2")],
        },
    )
    .expect_err("bad");
    let places: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        places,
        [
            "date",
            "budget",
            "spent",
            "goals[0].target",
            "goals[0].completed"
        ]
    );
}
