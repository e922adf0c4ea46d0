//! Cross-inspection rounds: the rules named on hand-made assignments, and generated rounds of
//! many teams (random sizes, a previous round to avoid) that break none of them.

use jixiao_core::inspection::{Assignment, Rule, Rules, Team, check, generate};
use proptest::prelude::*;

fn teams(homes: &[&str]) -> Vec<Team> {
    homes
        .iter()
        .map(|h| Team {
            code: format!("T-{h}"),
            home: (*h).to_owned(),
        })
        .collect()
}

fn a(team: &str, unit: &str) -> Assignment {
    Assignment {
        team: team.to_owned(),
        unit: unit.to_owned(),
    }
}

fn units(us: &[&str]) -> Vec<String> {
    us.iter().map(|u| (*u).to_owned()).collect()
}

fn rules_broken(problems: &[jixiao_core::inspection::Problem]) -> Vec<Rule> {
    let mut r: Vec<Rule> = problems.iter().map(|p| p.rule).collect();
    r.sort();
    r.dedup();
    r
}

#[test]
fn a_good_round_stands() {
    // Three streets, a cycle: A → B → C → A.
    let t = teams(&["A", "B", "C"]);
    let round = [a("T-A", "B"), a("T-B", "C"), a("T-C", "A")];
    let p = check(
        Rules::default(),
        &t,
        &units(&["A", "B", "C"]),
        &[],
        &[],
        &round,
    );
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn each_rule_is_named() {
    let t = teams(&["A", "B", "C", "D"]);
    let all = units(&["A", "B", "C", "D"]);
    // Own unit.
    let p = check(
        Rules::default(),
        &t,
        &all,
        &[],
        &[],
        &[a("T-A", "A"), a("T-B", "C"), a("T-C", "D"), a("T-D", "B")],
    );
    assert_eq!(rules_broken(&p), [Rule::OwnUnit]);
    assert_eq!(p[0].message.zh, "检查组“T-A”来自“A”，不得检查本单位");
    // A ↔ B reciprocal: both halves named.
    let p = check(
        Rules::default(),
        &t,
        &all,
        &[],
        &[],
        &[a("T-A", "B"), a("T-B", "A"), a("T-C", "D"), a("T-D", "C")],
    );
    assert_eq!(rules_broken(&p), [Rule::Reciprocal]);
    assert_eq!(p.len(), 4, "A↔B and C↔D, each half: {p:?}");
    assert!(p[0].message.zh.starts_with("互查："), "{}", p[0].message.zh);
    // Repeat of the previous round, by home unit even though the team was re-formed.
    let before = vec![Team {
        code: "OLD-A".into(),
        home: "A".into(),
    }];
    let p = check(
        Rules::default(),
        &t,
        &all,
        &before,
        &[a("OLD-A", "B")],
        &[a("T-A", "B"), a("T-B", "C"), a("T-C", "D"), a("T-D", "A")],
    );
    assert_eq!(rules_broken(&p), [Rule::Repeat]);
    assert_eq!(
        p[0].message.zh,
        "上一轮已由“A”的检查组检查“B”，不得重复配对"
    );
    // Load: T-A takes three, T-D none.
    let p = check(
        Rules::default(),
        &t,
        &all,
        &[],
        &[],
        &[a("T-A", "B"), a("T-A", "C"), a("T-A", "D"), a("T-B", "A")],
    );
    assert!(rules_broken(&p).contains(&Rule::Load), "{p:?}");
    // Coverage: a unit twice, a unit missing, an unknown team.
    let p = check(
        Rules {
            balanced: false,
            ..Rules::default()
        },
        &t,
        &all,
        &[],
        &[],
        &[a("T-A", "B"), a("T-C", "B"), a("T-X", "C")],
    );
    assert_eq!(rules_broken(&p), [Rule::Coverage]);
    let words: Vec<&str> = p.iter().map(|x| x.message.zh.as_str()).collect();
    assert!(words.contains(&"“B”已由检查组“T-A”检查"), "{words:?}");
    assert!(words.contains(&"没有检查组“T-X”"), "{words:?}");
    assert!(words.contains(&"“D”没有检查组"), "{words:?}");
    // Rules switched off are not applied.
    let p = check(
        Rules {
            no_reciprocal: false,
            ..Rules::default()
        },
        &t,
        &all,
        &[],
        &[],
        &[a("T-A", "B"), a("T-B", "A"), a("T-C", "D"), a("T-D", "C")],
    );
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn impossible_rounds_say_why() {
    // Two streets inspecting each other is the only way: reciprocal.
    let t = teams(&["A", "B"]);
    let e =
        generate(Rules::default(), &t, &units(&["A", "B"]), &[], &[], 7).expect_err("impossible");
    assert!(e.zh.contains("没有满足全部规则的安排"), "{}", e.zh);
    // One team from the only unit.
    let t = teams(&["A"]);
    let e = generate(Rules::default(), &t, &units(&["A"]), &[], &[], 7).expect_err("impossible");
    assert!(e.zh.contains("“A”没有可派的检查组"), "{}", e.zh);
    // Allowing reciprocal pairs, two streets can do it.
    let ok = generate(
        Rules {
            no_reciprocal: false,
            ..Rules::default()
        },
        &teams(&["A", "B"]),
        &units(&["A", "B"]),
        &[],
        &[],
        7,
    )
    .expect("round");
    assert_eq!(ok, [a("T-A", "B"), a("T-B", "A")]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Rounds of 3–40 teams (each from its own street) over their streets and up to five
    /// units without a team, after a previous round: every rule holds, the load is within one,
    /// and the same seed gives the same round.
    #[test]
    fn generated_rounds_break_no_rule(n in 3usize..40, extra in 0usize..6, s1 in any::<u64>(), s2 in any::<u64>()) {
        let homes: Vec<String> = (0..n).map(|i| format!("S{i:02}")).collect();
        let t: Vec<Team> = homes.iter().map(|h| Team { code: format!("T-{h}"), home: h.clone() }).collect();
        let mut all = homes.clone();
        all.extend((0..extra).map(|j| format!("X{j}")));
        let first = generate(Rules::default(), &t, &all, &[], &[], s1).expect("first round");
        prop_assert!(check(Rules::default(), &t, &all, &[], &[], &first).is_empty());
        let second = generate(Rules::default(), &t, &all, &t, &first, s2).expect("second round");
        let p = check(Rules::default(), &t, &all, &t, &first, &second);
        prop_assert!(p.is_empty(), "{:?}", p);
        let mut load = std::collections::BTreeMap::new();
        for x in &second {
            *load.entry(x.team.clone()).or_insert(0usize) += 1;
        }
        let lo = t.iter().map(|x| load.get(&x.code).copied().unwrap_or(0)).min().unwrap_or(0);
        let hi = load.values().max().copied().unwrap_or(0);
        prop_assert!(hi <= lo + 1, "{:?}", load);
        prop_assert_eq!(second.len(), all.len());
        prop_assert_eq!(generate(Rules::default(), &t, &all, &t, &first, s2).expect("again"), second);
    }
}
