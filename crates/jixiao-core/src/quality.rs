//! Data quality: a reported number against the unit's own history (modified z-score,
//! Iglewicz and Hoaglin), so reviewers see which numbers to look at twice.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The default line: |z| above this is flagged.
pub const DEFAULT_THRESHOLD: f64 = 3.5;

/// At least this many earlier values are needed to judge one.
pub const MIN_HISTORY: usize = 3;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// How `x` stands against `history`: the modified z-score 0.6745 (x − median) / MAD. When more
/// than half the history is the same number (MAD = 0), the mean absolute deviation stands in
/// (z = (x − median) / (1.253314 × MeanAD)); when the history never varies at all, any other
/// number is infinitely far. `None` with too little history.
pub fn modified_z(history: &[Decimal], x: Decimal) -> Option<f64> {
    if history.len() < MIN_HISTORY {
        return None;
    }
    let mut h: Vec<f64> = history.iter().filter_map(ToPrimitive::to_f64).collect();
    let x = x.to_f64()?;
    let m = median(&mut h);
    let mut dev: Vec<f64> = h.iter().map(|v| (v - m).abs()).collect();
    let mad = median(&mut dev);
    if mad > 0.0 {
        return Some(0.6745 * (x - m) / mad);
    }
    let mean_ad = dev.iter().sum::<f64>() / dev.len() as f64;
    if mean_ad > 0.0 {
        return Some((x - m) / (1.253_314 * mean_ad));
    }
    Some(if x == m {
        0.0
    } else {
        f64::INFINITY.copysign(x - m)
    })
}

/// The median of the history, for the reviewer's message.
pub fn history_median(history: &[Decimal]) -> Option<f64> {
    let mut h: Vec<f64> = history.iter().filter_map(ToPrimitive::to_f64).collect();
    (!h.is_empty()).then(|| median(&mut h))
}

/// The checks of `model` that a unit's numbers of `period` fail, by their index in the scheme;
/// `value(element, period)` gives the numbers. A check that reads a number not there yet is
/// not judged.
pub fn failed_checks(
    model: &crate::model::Model,
    period: crate::period::Period,
    only_reading: Option<crate::model::ElemId>,
    value: &dyn Fn(crate::model::ElemId, crate::period::Period) -> Option<Decimal>,
) -> Vec<usize> {
    model
        .checks
        .iter()
        .enumerate()
        .filter(|(_, c)| only_reading.is_none_or(|e| c.elements.contains(&e)))
        .filter(|(_, c)| {
            c.expr
                .bool(&|(e, s)| value(e, crate::values::shift(period, s)))
                .is_ok_and(|ok| !ok)
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: &[i64]) -> Vec<Decimal> {
        v.iter().map(|x| Decimal::from(*x)).collect()
    }

    #[test]
    fn scores_against_the_median() {
        // median 40, deviations 2,1,0,1,2 → MAD 1: z = 0.6745 × (50 − 40) / 1.
        let z = modified_z(&d(&[38, 39, 40, 41, 42]), Decimal::from(50)).expect("z");
        assert!((z - 6.745).abs() < 1e-9, "{z}");
        assert!(
            modified_z(&d(&[38, 39, 40, 41, 42]), Decimal::from(41))
                .expect("z")
                .abs()
                < DEFAULT_THRESHOLD
        );
        // Too little history: no judgement.
        assert_eq!(modified_z(&d(&[1, 2]), Decimal::from(100)), None);
        // Mostly the same number: the mean absolute deviation stands in.
        let z = modified_z(&d(&[10, 10, 10, 10, 12]), Decimal::from(30)).expect("z");
        assert!((z - 20.0 / (1.253_314 * 0.4)).abs() < 1e-9, "{z}");
        // Never varies: another number is infinitely far, the same one not at all.
        assert_eq!(
            modified_z(&d(&[5, 5, 5, 5]), Decimal::from(6)),
            Some(f64::INFINITY)
        );
        assert_eq!(modified_z(&d(&[5, 5, 5, 5]), Decimal::from(5)), Some(0.0));
    }
}
