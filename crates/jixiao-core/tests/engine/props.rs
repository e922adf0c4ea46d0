//! Invariants of the engine, on synthetic districts of random shape (proptest), and the
//! agreement of every explanation with the number it explains, on the demo district.

use jixiao_core::Decimal;
use jixiao_core::check::{DataFile, load};
use jixiao_core::data::read_csv;
use jixiao_core::doc::SourceText;
use jixiao_core::engine::{GradeRule, LeafState, Scoring};
use jixiao_core::model::{Child, Model};
use jixiao_core::period::Period;
use jixiao_core::report::{Detail, explain_leaf, explain_unit, report};
use jixiao_core::synth::{Rng, Spec, dataset, scheme_and_org, to_csv};
use jixiao_core::values::Values;
use proptest::prelude::*;

fn build(spec: &Spec) -> (Model, jixiao_core::data::DataSet) {
    let (scheme, org) = scheme_and_org(spec);
    let (model, _) = match Model::build(
        scheme,
        org,
        &SourceText::detached("scheme"),
        &SourceText::detached("org"),
    ) {
        Ok(m) => m,
        Err(e) => panic!("synthetic scheme should be valid:\n{e}"),
    };
    (model, dataset(spec))
}

/// Districts of random shape; three in four also vary their rules (bonus, deduction and veto
/// items, the missing-data policy, caps, the quota's variants; see `synth::Variety`).
fn spec_strategy() -> impl Strategy<Value = Spec> {
    (
        2usize..24,
        1usize..26,
        1usize..3,
        any::<u64>(),
        prop_oneof![Just(0u32), 0u32..300],
        any::<bool>(),
        prop_oneof![1 => Just(None), 3 => any::<u64>().prop_map(Some)],
    )
        .prop_map(
            |(units, indicators, classes, seed, missing_per_mille, coarse, variety)| Spec {
                units,
                indicators,
                classes,
                seed,
                missing_per_mille,
                coarse,
                variety,
            },
        )
}

/// The year, each quarter and each half: every kind of period the engine aggregates to.
fn periods() -> Vec<Period> {
    [
        "2025", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025H1", "2025H2",
    ]
    .iter()
    .filter_map(|p| Period::parse(p).ok())
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// A leaf never scores outside [0, points] (the synthetic methods allow nothing more); a
    /// node is the sum of its children (under `exclude` it is rescaled, never above its
    /// points); bonus and deductions keep their caps; a total is subtotal + bonus − deduction
    /// (floored), 0 under a zeroing veto, none when blocked; a veto caps or sinks the grade.
    #[test]
    fn scores_stay_in_range_and_totals_are_the_sum_of_their_parts(spec in spec_strategy()) {
        use jixiao_core::scheme::{MissingPolicy, VetoEffect};
        let (model, data) = build(&spec);
        let (values, _) = Values::build(&model, &data).expect("values");
        let rules = &model.scheme.rules;
        for p in periods() {
            let s = Scoring::compute(&model, &values, p);
            for (ci, class) in model.classes.iter().enumerate() {
                let cs = s.class(ci as u32);
                for m in 0..class.members.len() as u32 {
                    for (li, leaf) in class.leaves.iter().enumerate() {
                        let o = cs.leaf(m, li as u32);
                        prop_assert!(o.score >= Decimal::ZERO && o.score <= leaf.points, "{} scored {} of {}", leaf.code, o.score, leaf.points);
                        if o.state != LeafState::Scored {
                            prop_assert_eq!(o.score, Decimal::ZERO);
                        }
                    }
                    for (ni, node) in class.nodes.iter().enumerate() {
                        let sum: Decimal = node.children.iter().map(|c| match *c {
                            Child::Leaf(l) => cs.leaf(m, l).score,
                            Child::Node(k) => cs.node(m, k).unwrap_or_default(),
                        }).sum();
                        if rules.missing == MissingPolicy::Zero {
                            prop_assert_eq!(cs.node(m, ni as u32), Some(sum));
                        } else if let Some(v) = cs.node(m, ni as u32) {
                            // `exclude` and `block` leave missing indicators out and scale the
                            // rest up to the node's points (a blocked result is provisional).
                            prop_assert!(v >= sum && v <= node.points, "{} = {v}, parts {sum}, points {}", node.code, node.points);
                        }
                    }
                    let u = &cs.units[m as usize];
                    prop_assert!(u.bonus >= Decimal::ZERO && u.bonus <= rules.bonus_cap);
                    prop_assert!(u.deduction >= Decimal::ZERO);
                    if let Some(cap) = rules.deduction_cap {
                        prop_assert!(u.deduction <= cap);
                    }
                    let effect = u.veto.map(|_| rules.veto_effect);
                    let expected = if u.blocked {
                        None
                    } else if effect == Some(VetoEffect::Zero) {
                        u.subtotal.map(|_| Decimal::ZERO)
                    } else {
                        u.subtotal.map(|t| (t + u.bonus - u.deduction).max(rules.total_floor))
                    };
                    prop_assert_eq!(u.total, expected);
                    if let (Some(_), Some(g)) = (effect, u.grade) {
                        let lowest = model.grades.len() - 1;
                        match effect {
                            Some(VetoEffect::Zero) => prop_assert_eq!(usize::from(g), lowest),
                            _ => prop_assert!(usize::from(g) >= model.veto_grade, "capped at {}: {g}", model.veto_grade),
                        }
                    }
                }
            }
        }
    }

    /// Ranks follow totals and the tie-break keys: a unit's rank is one more than the number
    /// of units strictly ahead of it; the quota is never exceeded (but by units tied at the cut
    /// that the scheme includes); a grade below its band is the quota's or a veto's doing.
    #[test]
    fn ranks_are_consistent_with_totals_and_the_quota_holds(spec in spec_strategy()) {
        let (model, data) = build(&spec);
        let (values, _) = Values::build(&model, &data).expect("values");
        for p in periods() {
        let s = Scoring::compute(&model, &values, p);
        for (ci, class) in model.classes.iter().enumerate() {
            let cs = s.class(ci as u32);
            for a in 0..class.members.len() as u32 {
                let ua = &cs.units[a as usize];
                let Some(rank) = ua.rank else { continue };
                let ahead = (0..class.members.len() as u32)
                    .filter(|&b| cs.units[b as usize].rank.is_some() && jixiao_core::engine::compare(class, cs, b, a) == std::cmp::Ordering::Less)
                    .count() as u32;
                prop_assert_eq!(rank, ahead + 1);
                for b in 0..class.members.len() as u32 {
                    let ub = &cs.units[b as usize];
                    if let (Some(rb), Some(ta), Some(tb)) = (ub.rank, ua.total, ub.total)
                        && ta > tb { prop_assert!(rank < rb); }
                }
            }
            let Some(q) = model.quota.as_ref() else { continue };
            let allowed = jixiao_core::engine::quota_allowed(&model, class.members.len());
            let given = cs.units.iter().filter(|u| u.grade == Some(q.grade as u16)).count() as u32;
            let by_tie = cs.units.iter().filter(|u| u.grade == Some(q.grade as u16) && matches!(u.grade_rule, GradeRule::QuotaTie { .. })).count() as u32;
            match q.unresolved_tie {
                jixiao_core::scheme::UnresolvedTie::ExcludeAll => prop_assert!(given <= allowed, "{given} > {allowed}"),
                jixiao_core::scheme::UnresolvedTie::IncludeAll => prop_assert!(given - by_tie <= allowed, "{given} - {by_tie} > {allowed}"),
            }
            for u in &cs.units {
                if u.band == Some(q.grade as u16) && u.grade != u.band {
                    let why = matches!(u.grade_rule, GradeRule::QuotaDemoted { .. } | GradeRule::QuotaTie { .. } | GradeRule::Veto | GradeRule::VetoCapped);
                    prop_assert!(why, "{:?}", u.grade_rule);
                }
            }
        }
        }
    }

    /// Shuffling the data rows and the organisation's units changes nothing in the result.
    #[test]
    fn results_do_not_depend_on_input_order(spec in spec_strategy(), shuffle_seed in any::<u64>()) {
        let (scheme, org) = scheme_and_org(&spec);
        let data = dataset(&spec);
        let mut order: Vec<usize> = (0..data.records.len()).collect();
        let mut rng = Rng::new(shuffle_seed);
        for i in (1..order.len()).rev() {
            order.swap(i, rng.range(0, i as i64) as usize);
        }
        let straight: Vec<usize> = (0..data.records.len()).collect();
        let mut org2 = org.clone();
        org2.units.reverse();
        let run = |org: jixiao_core::org::Org, order: &[usize]| {
            let (model, _) = Model::build(scheme.clone(), org, &SourceText::detached("s"), &SourceText::detached("o")).expect("model");
            let csv = to_csv(&data, order);
            let ds = read_csv("d.csv", csv.as_bytes()).expect("csv");
            let (values, _) = Values::build(&model, &ds).expect("values");
            let s = Scoring::compute(&model, &values, Period::parse("2025").expect("p"));
            serde_json::to_string(&report(&model, &values, &s, None, Detail { indicators: true, explanations: true, rows: false, warnings: false })).expect("json")
        };
        prop_assert_eq!(run(org.clone(), &straight), run(org2, &order));
    }

    /// Changing values one by one through the incremental path gives exactly what a full
    /// recompute gives.
    #[test]
    fn incremental_updates_match_full_recomputes(spec in spec_strategy(), changes in proptest::collection::vec((any::<u16>(), any::<u16>(), 0u8..4, prop_oneof![Just(None), (0i64..1200).prop_map(Some)]), 1..12)) {
        let (model, data) = build(&spec);
        let (mut values, _) = Values::build(&model, &data).expect("values");
        let year = Period::parse("2025").expect("p");
        let quarters = jixiao_core::synth::quarters();
        // The year and one quarter, each kept up to date change by change.
        let mut s = Scoring::compute(&model, &values, year);
        let mut sq = Scoring::compute(&model, &values, quarters[1]);
        for (u, e, q, v) in changes {
            let unit = u32::from(u) % model.units.len() as u32;
            let elem = u32::from(e) % model.elements.len() as u32;
            let value = v.map(|x| Decimal::new(x, 1)).map(|x| if model.elements[elem as usize].def.kind == jixiao_core::scheme::ValueKind::Count { x.trunc() } else { x });
            s.set_value(&model, &mut values, unit, elem, quarters[q as usize], value);
            sq.set_value(&model, &mut values, unit, elem, quarters[q as usize], value);
            let full = Scoring::compute(&model, &values, year);
            let full_q = Scoring::compute(&model, &values, quarters[1]);
            // Recomputing a stale result in place gives the same as computing afresh: a
            // quarter's result turned into the year's, the year's into a quarter's.
            let mut stale = Scoring::compute(&model, &values, quarters[0]);
            stale.recompute(&model, &values, year);
            let mut stale_q = Scoring::compute(&model, &values, year);
            stale_q.recompute(&model, &values, quarters[1]);
            for c in 0..model.classes.len() as u32 {
                prop_assert_eq!(&full.class(c).units, &stale.class(c).units);
                prop_assert_eq!(&full.class(c).leaves, &stale.class(c).leaves);
                prop_assert_eq!(&full.class(c).units, &s.class(c).units);
                prop_assert_eq!(&full.class(c).order, &s.class(c).order);
                prop_assert_eq!(&full.class(c).leaves, &s.class(c).leaves);
                prop_assert_eq!(&full_q.class(c).units, &sq.class(c).units);
                prop_assert_eq!(&full_q.class(c).order, &sq.class(c).order);
                prop_assert_eq!(&full_q.class(c).leaves, &sq.class(c).leaves);
                prop_assert_eq!(&full_q.class(c).units, &stale_q.class(c).units);
            }
        }
    }
}

/// Every explanation on the demo district ends at the number the engine produced, for the
/// year and each quarter.
#[test]
fn every_explanation_agrees_with_its_score_on_the_demo_district() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wolong");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("demo file");
    let (scheme, org) = (read("scheme.toml"), read("org.toml"));
    let data = std::fs::read(dir.join("data.csv")).expect("demo data");
    let l = load(
        &SourceText::new("scheme.toml", &scheme),
        &SourceText::new("org.toml", &org),
        DataFile {
            name: "data.csv",
            bytes: &data,
        },
    )
    .expect("demo loads");
    let mut checked = 0;
    for p in ["2025", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025H1"] {
        let p = Period::parse(p).expect("period");
        let s = Scoring::compute(&l.model, &l.values, p);
        for (uid, _) in l.model.units.iter().enumerate() {
            let uid = uid as u32;
            let Some((c, pos)) = l.model.class_of(uid) else {
                continue;
            };
            let class = &l.model.classes[c as usize];
            for li in 0..class.leaves.len() as u32 {
                let e = explain_leaf(&l.model, &l.values, &s, uid, li, true).expect("explanation");
                assert_eq!(
                    e.score,
                    s.class(c).leaf(pos, li).score,
                    "{} {} {p}",
                    l.model.units[uid as usize].code,
                    class.leaves[li as usize].code
                );
                assert_eq!(e.steps.last().and_then(|st| st.value), Some(e.score));
                checked += 1;
            }
            let ue = explain_unit(&l.model, &s, uid).expect("unit explanation");
            let total = s.unit(&l.model, uid).and_then(|u| u.total);
            if let Some(t) = total {
                let last_total = ue
                    .steps
                    .iter()
                    .rev()
                    .find(|st| {
                        matches!(
                            st.rule,
                            jixiao_core::explain::Rule::Total
                                | jixiao_core::explain::Rule::TotalFloor
                                | jixiao_core::explain::Rule::Veto
                        ) && st.value.is_some()
                    })
                    .and_then(|st| st.value);
                assert_eq!(last_total, Some(t), "{}", l.model.units[uid as usize].code);
            }
        }
    }
    assert!(checked > 3_000, "{checked}");
}

/// The JSON form of a scheme and an organisation (for the API) scores exactly like the TOML.
#[test]
fn json_form_of_the_demo_scores_the_same() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wolong");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("demo file");
    for (scheme_file, org_file, data_file) in [
        ("scheme.toml", "org.toml", "data.csv"),
        ("budget/scheme.toml", "org.toml", "budget/data.csv"),
        (
            "budget-eval/scheme.toml",
            "org.toml",
            "budget-eval/data.csv",
        ),
    ] {
        let (scheme, org) = (read(scheme_file), read(org_file));
        let data = std::fs::read(dir.join(data_file)).expect("data");
        let toml = load(
            &SourceText::new("scheme.toml", &scheme),
            &SourceText::new("org.toml", &org),
            DataFile {
                name: "data.csv",
                bytes: &data,
            },
        )
        .expect("toml loads");
        let scheme_json = serde_json::to_string_pretty(&toml.model.scheme).expect("scheme to json");
        let org_json = serde_json::to_string_pretty(&toml.model.org).expect("org to json");
        let json = match load(
            &SourceText::new("scheme.json", &scheme_json),
            &SourceText::new("org.json", &org_json),
            DataFile {
                name: "data.csv",
                bytes: &data,
            },
        ) {
            Ok(l) => l,
            Err(e) => panic!("{scheme_file} as JSON:\n{e}"),
        };
        let p = Period::parse("2025").expect("p");
        let a = Scoring::compute(&toml.model, &toml.values, p);
        let b = Scoring::compute(&json.model, &json.values, p);
        let ra = serde_json::to_string(&report(
            &toml.model,
            &toml.values,
            &a,
            None,
            Detail {
                indicators: true,
                explanations: true,
                rows: true,
                warnings: true,
            },
        ))
        .expect("json");
        let rb = serde_json::to_string(&report(
            &json.model,
            &json.values,
            &b,
            None,
            Detail {
                indicators: true,
                explanations: true,
                rows: true,
                warnings: true,
            },
        ))
        .expect("json");
        assert_eq!(ra, rb, "{scheme_file}");
    }
}

/// The varied generator reaches what it is for: across a few districts there are bonuses,
/// deductions, vetoes of both effects, blocked results, excluded indicators and quota
/// demotions — so the invariants above are checked on them, not only on zeros.
#[test]
fn the_varied_districts_reach_every_rule() {
    use jixiao_core::scheme::{MissingPolicy, VetoEffect};
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..40u64 {
        let spec = Spec {
            units: 20,
            indicators: 8,
            classes: 1,
            seed,
            missing_per_mille: 60,
            coarse: seed % 2 == 0,
            variety: Some(seed * 7919),
        };
        let (model, data) = build(&spec);
        let (values, _) = Values::build(&model, &data).expect("values");
        let s = Scoring::compute(&model, &values, Period::parse("2025").expect("p"));
        let rules = &model.scheme.rules;
        for u in &s.class(0).units {
            if u.bonus > Decimal::ZERO {
                seen.insert("bonus");
            }
            if u.deduction > Decimal::ZERO {
                seen.insert("deduction");
            }
            if u.veto.is_some() {
                seen.insert(match rules.veto_effect {
                    VetoEffect::Zero => "veto zero",
                    VetoEffect::CapGrade => "veto cap",
                });
            }
            if u.blocked {
                seen.insert("blocked");
            }
            if matches!(u.grade_rule, GradeRule::QuotaDemoted { .. }) {
                seen.insert("quota");
            }
        }
        if rules.missing == MissingPolicy::Exclude {
            seen.insert("exclude");
        }
    }
    for want in [
        "bonus",
        "deduction",
        "veto zero",
        "veto cap",
        "blocked",
        "quota",
        "exclude",
    ] {
        assert!(seen.contains(want), "never reached: {want} ({seen:?})");
    }
}
