//! False alarms across many benchmarks: the Benjamini-Hochberg procedure.
//!
//! Over 227 benchmarks, a test at 5% each flags about 11 by chance alone. Benjamini-Hochberg
//! flags the `k` smallest p-values, for the largest `k` whose p-value is at most `k × q / n`:
//! when nothing changed, the chance of any flag is at most `q`, and when some benchmarks did
//! change, at most a share `q` of the flagged ones are false, in expectation. Holm's procedure
//! would guard the first promise only, and flags fewer real changes when many moved together,
//! as an injected slowdown in a shared workload does.

/// Which of `p_values` the procedure flags at level `q`; a p-value that is not a number is never
/// flagged, and counts as a hypothesis tested.
pub(crate) fn benjamini_hochberg(p_values: &[f64], q: f64) -> Vec<bool> {
    let n = p_values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let passes = |rank: usize, p: f64| p <= (rank + 1) as f64 * q / n as f64;
    let flagged = order.iter().enumerate().rev().find(|&(rank, &index)| passes(rank, p_values[index]));
    let mut result = vec![false; n];
    if let Some((last, _)) = flagged {
        for &index in &order[..=last] {
            result[index] = !p_values[index].is_nan();
        }
    }
    result
}

/// The Benjamini-Hochberg adjusted p-values (q-values): the smallest level at which each would be
/// flagged, for the tables.
pub(crate) fn adjusted(p_values: &[f64]) -> Vec<f64> {
    let n = p_values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut result = vec![f64::NAN; n];
    let mut running = 1.0f64;
    for (rank, &index) in order.iter().enumerate().rev() {
        let p = p_values[index];
        if p.is_nan() {
            continue;
        }
        running = running.min(p * n as f64 / (rank + 1) as f64);
        result[index] = running.min(1.0);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benjamini_hochberg_flags_the_step_up_set() {
        // The textbook example: n = 10, q = 0.05, thresholds 0.005, 0.010, ... 0.050.
        let p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205, 0.212, 0.216];
        // 0.042 > 5 × 0.005 = 0.025, 0.041 > 0.02, 0.039 > 0.015, 0.008 <= 0.01: two flagged.
        let flagged = benjamini_hochberg(&p, 0.05);
        assert_eq!(flagged.iter().filter(|&&flag| flag).count(), 2);
        assert!(flagged[0] && flagged[1] && !flagged[2]);
        // Order does not matter.
        let mut shuffled = p;
        shuffled.reverse();
        let again = benjamini_hochberg(&shuffled, 0.05);
        assert!(again[9] && again[8] && !again[7]);
    }

    #[test]
    fn a_p_value_above_its_own_step_is_flagged_when_a_later_one_passes() {
        // 0.03 > 1 × 0.05 / 2 but 0.04 <= 2 × 0.05 / 2: both flagged (step-up, not step-down).
        assert_eq!(benjamini_hochberg(&[0.04, 0.03], 0.05), vec![true, true]);
        assert_eq!(benjamini_hochberg(&[0.06, 0.03], 0.05), vec![false, false]);
        assert_eq!(benjamini_hochberg(&[f64::NAN, 0.001], 0.05), vec![false, true]);
        assert!(benjamini_hochberg(&[], 0.05).is_empty());
    }

    #[test]
    fn adjusted_p_values_are_flagged_exactly_where_the_procedure_flags() {
        let p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.060, 0.074, 0.205, 0.212, 0.216];
        let q = adjusted(&p);
        for level in [0.02, 0.05, 0.3] {
            let by_q: Vec<bool> = q.iter().map(|&q| q <= level).collect();
            assert_eq!(by_q, benjamini_hochberg(&p, level), "level {level}");
        }
        assert!((q[0] - 0.01).abs() < 1e-12 && (q[1] - 0.04).abs() < 1e-12);
    }
}
