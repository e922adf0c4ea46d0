//! Cross-inspection rounds (异地交叉检查): which team inspects which unit.
//!
//! A team has a home unit (the area its inspectors come from). In a round every unit to be
//! inspected gets exactly one team, and the rules (DOMAIN.md §3) hold:
//!
//! - **own unit**: a team never inspects its home unit;
//! - **reciprocal**: no A↔B pair in one round — if the team from A inspects B, the team from B
//!   does not inspect A *(default)*;
//! - **repeat**: no team inspects a unit its home unit's team inspected in the previous round
//!   (pairs are compared by home unit, so re-formed teams cannot repeat a pair) *(default)*;
//! - **load**: the teams' numbers of units differ by at most one.
//!
//! [`check`] names every rule an assignment breaks (for manual assignments); [`generate`] finds
//! one that breaks none, from a seed (the same seed, teams, units and previous round give the
//! same round): randomised greedy passes, least-loaded team first, then a bounded exhaustive
//! search; when no assignment can satisfy the rules it says why.

use crate::synth::Rng;
use crate::text::Text;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// An inspection team and the unit its inspectors come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub code: String,
    pub home: String,
}

/// One unit inspected by one team.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Assignment {
    pub team: String,
    pub unit: String,
}

/// Which rules apply (all by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    pub no_reciprocal: bool,
    pub no_repeat: bool,
    pub balanced: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            no_reciprocal: true,
            no_repeat: true,
            balanced: true,
        }
    }
}

/// The rule an assignment breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    OwnUnit,
    Reciprocal,
    Repeat,
    Load,
    /// Every unit exactly once, by a known team.
    Coverage,
}

impl Rule {
    pub fn name(self) -> Text {
        match self {
            Rule::OwnUnit => Text::new("不得检查本单位", "no team inspects its own unit"),
            Rule::Reciprocal => Text::new("同一轮不得互查", "no reciprocal pairs in a round"),
            Rule::Repeat => Text::new("不得重复上一轮的检查配对", "no pair of the previous round"),
            Rule::Load => Text::new("各组任务均衡（相差不超过1）", "balanced load (within one)"),
            Rule::Coverage => Text::new("每个单位由一个检查组检查", "each unit by one team"),
        }
    }
}

/// A broken rule, with what breaks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub rule: Rule,
    /// The assignment at fault (for load: none).
    pub assignment: Option<Assignment>,
    pub message: Text,
}

struct Index<'a> {
    home: BTreeMap<&'a str, &'a str>,
    /// The home units paired in the previous round: (inspector's home, unit inspected).
    previous: BTreeSet<(String, String)>,
}

impl<'a> Index<'a> {
    fn new(teams: &'a [Team], teams_before: &[Team], previous: &[Assignment]) -> Index<'a> {
        let before: BTreeMap<&str, &str> = teams_before
            .iter()
            .map(|t| (t.code.as_str(), t.home.as_str()))
            .collect();
        Index {
            home: teams
                .iter()
                .map(|t| (t.code.as_str(), t.home.as_str()))
                .collect(),
            previous: previous
                .iter()
                .filter_map(|a| {
                    before
                        .get(a.team.as_str())
                        .map(|h| ((*h).to_owned(), a.unit.clone()))
                })
                .collect(),
        }
    }
}

/// Every rule `proposed` breaks, for `teams` inspecting `units` after the previous round
/// (`previous`, by `teams_before`). Empty: the assignment stands.
pub fn check(
    rules: Rules,
    teams: &[Team],
    units: &[String],
    teams_before: &[Team],
    previous: &[Assignment],
    proposed: &[Assignment],
) -> Vec<Problem> {
    let ix = Index::new(teams, teams_before, previous);
    let mut out = Vec::new();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let wanted: BTreeSet<&str> = units.iter().map(String::as_str).collect();
    // (inspector's home, unit) of this round
    let pairs: BTreeSet<(&str, &str)> = proposed
        .iter()
        .filter_map(|a| ix.home.get(a.team.as_str()).map(|h| (*h, a.unit.as_str())))
        .collect();
    for a in proposed {
        let Some(home) = ix.home.get(a.team.as_str()).copied() else {
            out.push(Problem {
                rule: Rule::Coverage,
                assignment: Some(a.clone()),
                message: Text::new(
                    format!("没有检查组“{}”", a.team),
                    format!("no team `{}`", a.team),
                ),
            });
            continue;
        };
        if !wanted.contains(a.unit.as_str()) {
            out.push(Problem {
                rule: Rule::Coverage,
                assignment: Some(a.clone()),
                message: Text::new(
                    format!("“{}”不是本轮的被检查单位", a.unit),
                    format!("`{}` is not inspected in this round", a.unit),
                ),
            });
        }
        if let Some(other) = seen.insert(a.unit.as_str(), a.team.as_str()) {
            out.push(Problem {
                rule: Rule::Coverage,
                assignment: Some(a.clone()),
                message: Text::new(
                    format!("“{}”已由检查组“{other}”检查", a.unit),
                    format!("`{}` is inspected by team `{other}` already", a.unit),
                ),
            });
        }
        if home == a.unit {
            out.push(Problem {
                rule: Rule::OwnUnit,
                assignment: Some(a.clone()),
                message: Text::new(
                    format!("检查组“{}”来自“{home}”，不得检查本单位", a.team),
                    format!(
                        "team `{}` comes from `{home}` and may not inspect it",
                        a.team
                    ),
                ),
            });
        }
        if rules.no_reciprocal && home != a.unit && pairs.contains(&(a.unit.as_str(), home)) {
            out.push(Problem {
                rule: Rule::Reciprocal,
                assignment: Some(a.clone()),
                message: Text::new(
                    format!(
                        "互查：“{home}”的检查组检查“{}”，“{}”的检查组又检查“{home}”",
                        a.unit, a.unit
                    ),
                    format!(
                        "reciprocal: `{home}`'s team inspects `{}` and `{}`'s team inspects `{home}`",
                        a.unit, a.unit
                    ),
                ),
            });
        }
        if rules.no_repeat && ix.previous.contains(&(home.to_owned(), a.unit.clone())) {
            out.push(Problem {
                rule: Rule::Repeat,
                assignment: Some(a.clone()),
                message: Text::new(
                    format!("上一轮已由“{home}”的检查组检查“{}”，不得重复配对", a.unit),
                    format!(
                        "`{home}`'s team inspected `{}` in the previous round",
                        a.unit
                    ),
                ),
            });
        }
    }
    for u in units {
        if !seen.contains_key(u.as_str()) {
            out.push(Problem {
                rule: Rule::Coverage,
                assignment: None,
                message: Text::new(format!("“{u}”没有检查组"), format!("`{u}` has no team")),
            });
        }
    }
    if rules.balanced && !teams.is_empty() {
        let mut load: BTreeMap<&str, usize> = teams.iter().map(|t| (t.code.as_str(), 0)).collect();
        for a in proposed {
            if let Some(n) = load.get_mut(a.team.as_str()) {
                *n += 1;
            }
        }
        let (lo, hi) = (
            load.values().min().copied().unwrap_or(0),
            load.values().max().copied().unwrap_or(0),
        );
        if hi > lo + 1 {
            let most: Vec<&str> = load
                .iter()
                .filter(|(_, n)| **n == hi)
                .map(|(t, _)| *t)
                .collect();
            let least: Vec<&str> = load
                .iter()
                .filter(|(_, n)| **n == lo)
                .map(|(t, _)| *t)
                .collect();
            out.push(Problem {
                rule: Rule::Load,
                assignment: None,
                message: Text::new(
                    format!(
                        "任务不均衡：{} 各 {hi} 个，{} 各 {lo} 个（应相差不超过1）",
                        most.join("、"),
                        least.join("、")
                    ),
                    format!(
                        "unbalanced: {} have {hi} each, {} {lo} (at most one apart)",
                        most.join(", "),
                        least.join(", ")
                    ),
                ),
            });
        }
    }
    out
}

/// Shuffles in place with the synthetic districts' generator: the same seed, the same round.
fn shuffle<T>(rng: &mut Rng, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = rng.range(0, i as i64) as usize;
        v.swap(i, j);
    }
}

/// Greedy passes before the exhaustive search.
const PASSES: usize = 200;
/// Nodes the exhaustive search may visit.
const NODES: usize = 2_000_000;

/// An assignment of `units` to `teams` that breaks none of the rules, or why there is none.
pub fn generate(
    rules: Rules,
    teams: &[Team],
    units: &[String],
    teams_before: &[Team],
    previous: &[Assignment],
    seed: u64,
) -> Result<Vec<Assignment>, Text> {
    if teams.is_empty() {
        return Err(Text::new("本轮没有检查组", "the round has no teams"));
    }
    let ix = Index::new(teams, teams_before, previous);
    let n = teams.len();
    let cap_lo = units.len() / n;
    // The teams each unit may have at all (own unit and repeats ruled out).
    let allowed: Vec<Vec<usize>> = units
        .iter()
        .map(|u| {
            (0..n)
                .filter(|&t| teams[t].home != *u)
                .filter(|&t| {
                    !(rules.no_repeat && ix.previous.contains(&(teams[t].home.clone(), u.clone())))
                })
                .collect()
        })
        .collect();
    if let Some(i) = allowed.iter().position(Vec::is_empty) {
        return Err(Text::new(
            format!(
                "“{}”没有可派的检查组：各组不是来自该单位，就是上一轮检查过它",
                units[i]
            ),
            format!(
                "no team may inspect `{}`: each comes from it or inspected it in the previous round",
                units[i]
            ),
        ));
    }
    let max_over = units.len() - cap_lo * n;
    let caps = Caps {
        balanced: rules.balanced,
        lo: cap_lo,
        max_over,
    };
    let mut rng = Rng::new(seed);
    for _ in 0..PASSES {
        let mut order: Vec<usize> = (0..units.len()).collect();
        shuffle(&mut rng, &mut order);
        // The most constrained units first, ties in the shuffled order.
        order.sort_by_key(|&u| allowed[u].len());
        let mut load = vec![0usize; n];
        let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new(); // (home team idx, unit idx)
        let mut chosen: Vec<Option<usize>> = vec![None; units.len()];
        let mut ok = true;
        for &u in &order {
            let mut cands: Vec<usize> = allowed[u]
                .iter()
                .copied()
                .filter(|&t| {
                    caps.room(&load, t)
                        && !(rules.no_reciprocal && reciprocal(teams, units, &pairs, t, u))
                })
                .collect();
            if cands.is_empty() {
                ok = false;
                break;
            }
            shuffle(&mut rng, &mut cands);
            cands.sort_by_key(|&t| load[t]);
            let t = cands[0];
            load[t] += 1;
            pairs.insert((t, u));
            chosen[u] = Some(t);
        }
        if ok {
            return Ok(finish(teams, units, &chosen));
        }
    }
    // Exhaustive, bounded.
    let mut chosen = vec![None; units.len()];
    let mut load = vec![0usize; n];
    let mut pairs = BTreeSet::new();
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|&u| allowed[u].len());
    let mut budget = NODES;
    if search(
        &Search {
            rules,
            teams,
            units,
            allowed: &allowed,
            order: &order,
            caps,
        },
        0,
        &mut chosen,
        &mut load,
        &mut pairs,
        &mut budget,
    ) {
        return Ok(finish(teams, units, &chosen));
    }
    Err(if budget == 0 {
        Text::new(
            "在搜索上限内没有找到满足全部规则的安排；请减少限制或手工安排",
            "no assignment satisfying every rule was found within the search limit; relax a rule or assign by hand",
        )
    } else {
        Text::new(
            "没有满足全部规则的安排（本单位回避、不得互查、不重复上一轮、任务均衡）",
            "no assignment satisfies every rule (own unit, reciprocal pairs, repeats, balanced load)",
        )
    })
}

/// Whether team `t` inspecting unit `u` makes a reciprocal pair with what is chosen: some team
/// from `u` inspects `t`'s home.
fn reciprocal(
    teams: &[Team],
    units: &[String],
    pairs: &BTreeSet<(usize, usize)>,
    t: usize,
    u: usize,
) -> bool {
    pairs
        .iter()
        .any(|&(t2, u2)| teams[t2].home == units[u] && units[u2] == teams[t].home)
}

/// The balanced load: every team takes `lo` units, `max_over` of them one more.
#[derive(Clone, Copy)]
struct Caps {
    balanced: bool,
    lo: usize,
    max_over: usize,
}

impl Caps {
    /// Whether team `t` may take another unit.
    fn room(&self, load: &[usize], t: usize) -> bool {
        if !self.balanced || load[t] < self.lo {
            return true;
        }
        load[t] == self.lo && load.iter().filter(|&&l| l > self.lo).count() < self.max_over
    }
}

struct Search<'a> {
    rules: Rules,
    teams: &'a [Team],
    units: &'a [String],
    allowed: &'a [Vec<usize>],
    order: &'a [usize],
    caps: Caps,
}

fn search(
    s: &Search<'_>,
    depth: usize,
    chosen: &mut Vec<Option<usize>>,
    load: &mut Vec<usize>,
    pairs: &mut BTreeSet<(usize, usize)>,
    budget: &mut usize,
) -> bool {
    if depth == s.order.len() {
        return true;
    }
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let u = s.order[depth];
    for &t in &s.allowed[u] {
        if !s.caps.room(load, t) {
            continue;
        }
        if s.rules.no_reciprocal && reciprocal(s.teams, s.units, pairs, t, u) {
            continue;
        }
        load[t] += 1;
        pairs.insert((t, u));
        chosen[u] = Some(t);
        if search(s, depth + 1, chosen, load, pairs, budget) {
            return true;
        }
        chosen[u] = None;
        pairs.remove(&(t, u));
        load[t] -= 1;
    }
    false
}

fn finish(teams: &[Team], units: &[String], chosen: &[Option<usize>]) -> Vec<Assignment> {
    let mut out: Vec<Assignment> = chosen
        .iter()
        .enumerate()
        .filter_map(|(u, t)| {
            t.map(|t| Assignment {
                team: teams[t].code.clone(),
                unit: units[u].clone(),
            })
        })
        .collect();
    out.sort();
    out
}
