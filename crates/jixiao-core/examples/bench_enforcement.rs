//! A bench command for the legality checks of enforcement cases: generates N plausible cases
//! (a few per cent breaking each rule), checks them all with the demo rule set on one thread,
//! and prints cases per second and the flags per rule.
//!
//! cargo run --release -p jixiao-core --example bench_enforcement [CASES]

use jixiao_core::Decimal;
use jixiao_core::doc::SourceText;
use jixiao_core::enforcement::{Band, Case, Day, Officer, Party, Procedure, RuleSet, check};
use jixiao_core::synth::Rng;
use std::collections::BTreeMap;
use std::time::Instant;

const RULES: &str = include_str!("../../../examples/wolong/enforcement/rules.toml");

fn case(rng: &mut Rng, i: usize) -> Case {
    let filed = Day(19_700 + rng.range(0, 700) as i32);
    let at = |d: i64| Some(Day(filed.0 + d as i32));
    let decided_after = if rng.chance(30) {
        rng.range(91, 130)
    } else {
        rng.range(20, 90)
    };
    let simple = rng.chance(200);
    let party = if rng.chance(600) {
        Party::Organisation
    } else {
        Party::Individual
    };
    let (lo, hi) = (
        Decimal::from(rng.range(1, 50) * 1000),
        Decimal::from(rng.range(60, 200) * 1000),
    );
    let band = match rng.range(0, 2) {
        0 => Band::Lenient,
        1 => Band::Normal,
        _ => Band::Severe,
    };
    // Mostly lawful: a fine inside the band chosen (or the simple procedure's limit), with a
    // few per cent outside.
    let fine = if simple {
        let max = if party == Party::Individual {
            200
        } else {
            3000
        };
        let over = if rng.chance(30) { rng.range(1, 500) } else { 0 };
        Decimal::from(rng.range(50, max) + over)
    } else {
        let (from, to) = match band {
            Band::Lenient => (0, 30),
            Band::Normal => (30, 70),
            Band::Severe => (70, 100),
        };
        let pct = if rng.chance(30) {
            rng.range(0, 100)
        } else {
            rng.range(from, to)
        };
        lo + (hi - lo) * Decimal::from(pct) / Decimal::from(100)
    };
    let until = if rng.chance(20) {
        filed.0 + 10
    } else {
        filed.0 + 2000
    };
    Case {
        number: format!("卧执罚〔2024〕{i}号"),
        dept: "SCJ".into(),
        officers: vec![
            Officer {
                certificate: format!("豫执{i}A"),
                valid_from: None,
                valid_until: Some(Day(until)),
            },
            Officer {
                certificate: format!("豫执{i}B"),
                valid_from: None,
                valid_until: Some(Day(filed.0 + 2000)),
            },
        ],
        party,
        procedure: if simple {
            Procedure::Simple
        } else {
            Procedure::Ordinary
        },
        filed: Some(filed),
        investigated: at(5),
        notified: if rng.chance(20) {
            None
        } else {
            at(decided_after - 10)
        },
        hearing_notified: if rng.chance(50) {
            None
        } else {
            at(decided_after - 10)
        },
        hearing_held: None,
        reviewed: if rng.chance(30) {
            None
        } else {
            at(decided_after - 3)
        },
        reviewer: Some("法制审核员".into()),
        decided: at(decided_after),
        served: at(decided_after + 3),
        paid: at(decided_after + 20),
        closed: at(decided_after + 30),
        basis: "行政处罚法".into(),
        fine: Some(fine),
        range: if simple { None } else { Some((lo, hi)) },
        band: if simple { None } else { Some(band) },
        major: rng.chance(100),
        extension_days: 0,
        surcharge: if rng.chance(20) {
            Some(fine + Decimal::ONE)
        } else {
            None
        },
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let rules: RuleSet = SourceText::new("rules.toml", RULES).parse().expect("rules");
    let mut rng = Rng::new(2024);
    let t = Instant::now();
    let cases: Vec<Case> = (0..n).map(|i| case(&mut rng, i)).collect();
    println!("{n} cases generated in {:.2} s", t.elapsed().as_secs_f64());
    // The peer in the same run: one pass over the same cases reading one date difference (the
    // least any check must do: touch every case).
    let t = Instant::now();
    let late = cases
        .iter()
        .filter(|c| matches!((c.filed, c.decided), (Some(f), Some(d)) if d.0 - f.0 > 90))
        .count();
    let peer = t.elapsed().as_secs_f64();
    println!(
        "peer (one date difference per case): {peer:.3} s, {:.0} cases/s ({late} late)",
        n as f64 / peer
    );
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let t = Instant::now();
    let mut flagged = 0usize;
    for c in &cases {
        let flags = check(&rules, c);
        flagged += usize::from(!flags.is_empty());
        for f in flags {
            *per_rule.entry(format!("{:?}", f.rule)).or_default() += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "checked with 8 rules on one thread: {secs:.2} s, {:.0} cases/s ({:.1}× the peer's time); {flagged} cases flagged",
        n as f64 / secs,
        secs / peer
    );
    for (rule, k) in per_rule {
        println!("  {rule:<16} {k}");
    }
}
