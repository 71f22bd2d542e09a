//! Scaling models fitted to one executor's pool-size sweep: Amdahl's law and the Universal
//! Scalability Law (USL).
//!
//! Both are fitted by least squares on their linear forms, which recover the parameters exactly
//! from noise-free data and need no iteration:
//!
//! - Amdahl, `S(n) = 1 / (s + (1 - s) / n)`, is `1/S - 1/n = s (1 - 1/n)`: one slope through the
//!   origin.
//! - USL, `S(n) = n / (1 + σ (n - 1) + κ n (n - 1))`, is `n/S - 1 = σ (n - 1) + κ n (n - 1)`: two
//!   coefficients through the origin, constrained to `0 <= σ <= 1` and `κ >= 0` (a negative
//!   contention or coherency has no physical meaning; the best constrained fit lies on an edge of
//!   that box and is found by trying each edge).
//!
//! Quality (R², RMSE) is measured on the speedups themselves, not on the linear forms. The point
//! at size 1 carries no information (every model gives `S(1) = 1`) and is left out of the fit.
//!
//! A fit is called meaningful only with at least [`MIN_SIZES`] sizes above 1, a speedup above
//! [`OVERHEAD_BOUND`] somewhere (below it the executor is dominated by overhead, which neither
//! model describes), and a USL R² of at least [`MIN_R_SQUARED`].

use crate::format::{ratio, significant, speedup};
use crate::schema::{AmdahlFit, Scaling, ScalingPoint, UslFit};

/// The fewest pool sizes above 1 a fit needs: the USL has two parameters, and a third point is
/// the least that can contradict them.
pub const MIN_SIZES: usize = 3;

/// Below this best speedup the sweep is overhead-bound: a 10% margin, about what two medians on a
/// shared two-core machine can differ by from noise alone.
pub const OVERHEAD_BOUND: f64 = 1.1;

/// Below this R² the USL does not describe the sweep, and its best size means nothing.
pub const MIN_R_SQUARED: f64 = 0.8;

/// The USL's best size is searched up to this multiple of the largest size measured: further out
/// it would be a guess.
const SEARCH_FACTOR: u32 = 4;

/// Fits both models to `points` (speedups over `baseline`) and says what they mean on a machine
/// with `cores` cores. `baseline` is `None` when the group has nothing to divide by.
pub fn fit(executor: &str, baseline: Option<&str>, points: Vec<ScalingPoint>, cores: usize) -> Scaling {
    let fitted: Vec<ScalingPoint> = points.iter().copied().filter(|point| point.size >= 2).collect();
    let amdahl = amdahl(&fitted);
    let search_up_to = fitted.iter().map(|point| point.size).max().unwrap_or(1).saturating_mul(SEARCH_FACTOR);
    let usl = usl(&fitted, search_up_to);
    let best = fitted.iter().copied().max_by(|a, b| a.speedup.total_cmp(&b.speedup));
    let not_meaningful = match (baseline, best, &usl) {
        (None, ..) => Some("no baseline: neither a size-1 point nor Sequential in this group".to_owned()),
        _ if fitted.len() < MIN_SIZES => Some(format!(
            "{} pool size{} above 1; the fits need at least {MIN_SIZES}",
            fitted.len(),
            if fitted.len() == 1 { "" } else { "s" }
        )),
        (_, Some(best), _) if best.speedup < 1.0 => Some(format!(
            "overhead-bound: even at its best (size {}) it is {}, so there is no scaling to model",
            best.size,
            speedup(best.speedup),
        )),
        (_, Some(best), _) if best.speedup < OVERHEAD_BOUND => Some(format!(
            "overhead-bound: the best speedup is {} (at {}), so there is no scaling to model",
            speedup(best.speedup),
            best.size
        )),
        (_, _, None) => Some("the sizes do not determine the model".to_owned()),
        (_, _, Some(usl)) => match usl.r_squared {
            Some(r_squared) if r_squared >= MIN_R_SQUARED => None,
            _ if plateau_at_cores(&fitted, cores).is_some() => plateau_at_cores(&fitted, cores),
            Some(r_squared) => Some(format!("the USL fits poorly (R² {})", significant(r_squared))),
            None => Some("the speedups do not vary, so fit quality cannot be judged".to_owned()),
        },
    };
    let largest = fitted.iter().map(|point| point.size).max().unwrap_or(1);
    let verdict = match (&not_meaningful, &usl) {
        (Some(reason), _) => format!("Not meaningful: {reason}."),
        (None, Some(usl)) => describe(usl, amdahl.as_ref(), largest, cores),
        (None, None) => "Not meaningful.".to_owned(),
    };
    Scaling {
        executor: executor.to_owned(),
        baseline: baseline.map(str::to_owned),
        points,
        amdahl,
        usl,
        meaningful: not_meaningful.is_none(),
        verdict,
    }
}

/// How far apart the speedups beyond the core count may be and still count as flat: about the
/// noise of two medians on a shared machine.
const PLATEAU_SPREAD: f64 = 0.15;

/// When the sweep goes past the core count, the pool uses most cores there, and the speedup
/// stops, flat within
/// [`PLATEAU_SPREAD`], the limit is the hardware, which neither model knows (they would bend a
/// curve through a step): says so. Which size to pick is the group's answer's to say (paired,
/// with ties), never the fit's: one page says it once.
fn plateau_at_cores(points: &[ScalingPoint], cores: usize) -> Option<String> {
    let cores = u32::try_from(cores).ok()?;
    let at_cores = points.iter().find(|point| point.size == cores)?;
    let beyond: Vec<f64> =
        points.iter().filter(|point| point.size > cores).map(|point| point.speedup).collect();
    // The cores must be what stopped it: at the core count the pool uses most of them.
    if beyond.is_empty() || at_cores.speedup < OVERHEAD_BOUND.max(0.75 * f64::from(cores)) {
        return None;
    }
    let (low, high) = beyond.iter().fold((at_cores.speedup, at_cores.speedup), |(low, high), &speedup| {
        (low.min(speedup), high.max(speedup))
    });
    let largest = points.iter().map(|point| point.size).max()?;
    (high / low <= 1.0 + PLATEAU_SPREAD).then(|| {
        format!(
            "the speedup reaches {} at {cores} workers, the core count, and stays between {} and {} up to {largest}: \
             the cores are the limit, a step neither model describes",
            ratio(at_cores.speedup),
            ratio(low),
            ratio(high)
        )
    })
}

fn describe(usl: &UslFit, amdahl: Option<&AmdahlFit>, largest: u32, cores: usize) -> String {
    let mut text = format!(
        "USL: contention σ {}, coherency κ {} (R² {}); the model peaks at {} (predicted {})",
        significant(usl.contention),
        significant(usl.coherency),
        usl.r_squared.map_or_else(|| "—".to_owned(), significant),
        usl.best_size,
        ratio(usl.best_speedup),
    );
    if usl.best_size > largest {
        text.push_str(&format!(", beyond the largest size measured ({largest}): an extrapolation"));
    }
    if usize::try_from(usl.best_size).is_ok_and(|best| best > cores) {
        text.push_str(&format!(", above this machine's {cores} cores"));
    }
    text.push('.');
    if let Some(amdahl) = amdahl {
        text.push_str(&format!(" Amdahl: serial fraction {}", significant(amdahl.serial_fraction)));
        if let Some(max) = amdahl.max_speedup {
            text.push_str(&format!(", so never more than {}", ratio(max)));
        }
        text.push_str(&format!(" (R² {}).", amdahl.r_squared.map_or_else(|| "—".to_owned(), significant)));
    }
    if usl.clamped {
        text.push_str(" The USL's coefficients were clamped to their physical range.");
    }
    text
}

/// Amdahl's law fitted to `points` (sizes of 2 or more); `None` without any.
pub fn amdahl(points: &[ScalingPoint]) -> Option<AmdahlFit> {
    let (mut xy, mut xx) = (0.0, 0.0);
    for point in points {
        let n = f64::from(point.size);
        let x = 1.0 - 1.0 / n;
        xy += x * (1.0 / point.speedup - 1.0 / n);
        xx += x * x;
    }
    if xx <= 0.0 {
        return None;
    }
    let unclamped = xy / xx;
    let serial_fraction = unclamped.clamp(0.0, 1.0);
    if !serial_fraction.is_finite() {
        return None;
    }
    let predict = |n: f64| 1.0 / (serial_fraction + (1.0 - serial_fraction) / n);
    let (r_squared, rmse) = quality(points, predict);
    Some(AmdahlFit {
        serial_fraction,
        max_speedup: Some(1.0 / serial_fraction).filter(|max| max.is_finite()),
        r_squared,
        rmse,
        clamped: serial_fraction != unclamped,
    })
}

/// The USL fitted to `points` (sizes of 2 or more), its best size searched in `1..=search_up_to`;
/// `None` unless two different sizes determine both coefficients.
pub fn usl(points: &[ScalingPoint], search_up_to: u32) -> Option<UslFit> {
    let (contention, coherency, clamped) = usl_coefficients(points)?;
    let predict = |n: f64| n / (1.0 + contention * (n - 1.0) + coherency * n * (n - 1.0));
    let (r_squared, rmse) = quality(points, predict);
    let (best_size, best_speedup) = (1..=search_up_to.max(1))
        .map(|size| (size, predict(f64::from(size))))
        .fold((1, 1.0), |best, candidate| if candidate.1 > best.1 { candidate } else { best });
    Some(UslFit { contention, coherency, r_squared, rmse, clamped, best_size, best_speedup })
}

/// Least squares of `y = σ a + κ b` with `a = n - 1`, `b = n (n - 1)`, `y = n / S - 1`, within
/// `0 <= σ <= 1`, `κ >= 0`: `(σ, κ, clamped)`.
fn usl_coefficients(points: &[ScalingPoint]) -> Option<(f64, f64, bool)> {
    let rows: Vec<(f64, f64, f64)> = points
        .iter()
        .map(|point| {
            let n = f64::from(point.size);
            (n - 1.0, n * (n - 1.0), n / point.speedup - 1.0)
        })
        .collect();
    let sum = |f: &dyn Fn(&(f64, f64, f64)) -> f64| rows.iter().map(f).sum::<f64>();
    let (aa, ab, bb) = (sum(&|r| r.0 * r.0), sum(&|r| r.0 * r.1), sum(&|r| r.1 * r.1));
    let (ay, by) = (sum(&|r| r.0 * r.2), sum(&|r| r.1 * r.2));
    let determinant = aa * bb - ab * ab;
    // Relative to its own scale: with one distinct size the two columns are proportional.
    if determinant.is_nan() || determinant <= 1e-9 * aa * bb {
        return None;
    }
    let sigma = (ay * bb - by * ab) / determinant;
    let kappa = (by * aa - ay * ab) / determinant;
    if !(sigma.is_finite() && kappa.is_finite()) {
        return None;
    }
    if (0.0..=1.0).contains(&sigma) && kappa >= 0.0 {
        return Some((sigma, kappa, false));
    }
    let error =
        |sigma: f64, kappa: f64| rows.iter().map(|r| (r.2 - sigma * r.0 - kappa * r.1).powi(2)).sum::<f64>();
    // The constrained optimum lies on an edge of the box: fix one coefficient at its bound, fit
    // the other, clamp it, and keep the best.
    let kappa_given = |sigma: f64| ((by - sigma * ab) / bb).max(0.0);
    let sigma_given = |kappa: f64| ((ay - kappa * ab) / aa).clamp(0.0, 1.0);
    [(0.0, kappa_given(0.0)), (1.0, kappa_given(1.0)), (sigma_given(0.0), 0.0)]
        .into_iter()
        .min_by(|x, y| error(x.0, x.1).total_cmp(&error(y.0, y.1)))
        .map(|(sigma, kappa)| (sigma, kappa, true))
}

/// R² (`None` when the speedups do not vary) and RMSE of `predict` on `points`.
fn quality(points: &[ScalingPoint], predict: impl Fn(f64) -> f64) -> (Option<f64>, f64) {
    let count = points.len().max(1) as f64;
    let mean = points.iter().map(|point| point.speedup).sum::<f64>() / count;
    let total: f64 = points.iter().map(|point| (point.speedup - mean).powi(2)).sum();
    let residual: f64 =
        points.iter().map(|point| (point.speedup - predict(f64::from(point.size))).powi(2)).sum();
    let r_squared = (total > 1e-12 * mean * mean).then(|| 1.0 - residual / total).filter(|r| r.is_finite());
    let rmse = (residual / count).sqrt();
    (r_squared, if rmse.is_finite() { rmse } else { f64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usl_points(sigma: f64, kappa: f64, sizes: &[u32]) -> Vec<ScalingPoint> {
        sizes
            .iter()
            .map(|&size| {
                let n = f64::from(size);
                ScalingPoint { size, speedup: n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0)) }
            })
            .collect()
    }

    fn amdahl_points(serial: f64, sizes: &[u32]) -> Vec<ScalingPoint> {
        sizes
            .iter()
            .map(|&size| ScalingPoint { size, speedup: 1.0 / (serial + (1.0 - serial) / f64::from(size)) })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn the_usl_recovers_known_contention_and_coherency_exactly() {
        for (sigma, kappa) in [(0.05, 0.001), (0.2, 0.02), (0.0, 0.003), (0.3, 0.0)] {
            let fit = usl(&usl_points(sigma, kappa, &[2, 4, 8, 16]), 64).expect("a fit");
            assert!(close(fit.contention, sigma), "σ {} vs {sigma}", fit.contention);
            assert!(close(fit.coherency, kappa), "κ {} vs {kappa}", fit.coherency);
            assert!(!fit.clamped);
            assert!(fit.rmse < 1e-9 && fit.r_squared.is_some_and(|r| close(r, 1.0)), "{fit:?}");
        }
    }

    #[test]
    fn the_usl_best_size_is_where_its_curve_peaks() {
        let (sigma, kappa) = (0.05, 0.01);
        let fit = usl(&usl_points(sigma, kappa, &[2, 4, 8]), 32).expect("a fit");
        // The continuous peak is at sqrt((1 - σ) / κ) = 9.75; the integer peak is next to it.
        let peak = ((1.0 - sigma) / kappa).sqrt();
        assert!(f64::from(fit.best_size) == peak.floor() || f64::from(fit.best_size) == peak.ceil());
        let at = |n: f64| n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0));
        assert!(close(fit.best_speedup, at(f64::from(fit.best_size))));
        // Up to rounding: the fitted coefficients match the true ones to about 1e-15.
        let best = at(peak.floor()).max(at(peak.ceil()));
        assert!(fit.best_speedup >= best * (1.0 - 1e-9), "{} vs {best}", fit.best_speedup);
    }

    #[test]
    fn amdahl_recovers_a_known_serial_fraction_exactly() {
        for serial in [0.0, 0.1, 0.5, 1.0] {
            let fit = amdahl(&amdahl_points(serial, &[2, 4, 8])).expect("a fit");
            assert!(close(fit.serial_fraction, serial), "{} vs {serial}", fit.serial_fraction);
            assert!(fit.rmse < 1e-9 && !fit.clamped);
            assert_eq!(fit.max_speedup.is_some(), serial > 0.0);
        }
    }

    #[test]
    fn a_slowdown_clamps_both_models_and_is_called_overhead_bound() {
        // Each size slower than the last, all slower than the baseline: a pool paying wake-ups.
        let points = vec![
            ScalingPoint { size: 2, speedup: 0.01 },
            ScalingPoint { size: 4, speedup: 0.008 },
            ScalingPoint { size: 8, speedup: 0.005 },
        ];
        let amdahl = amdahl(&points).expect("a fit");
        assert!(amdahl.clamped && amdahl.serial_fraction == 1.0);
        let usl = usl(&points, 32).expect("a fit");
        assert!(usl.clamped && (0.0..=1.0).contains(&usl.contention) && usl.coherency >= 0.0);
        let scaling = fit("Rayon", Some("Sequential"), points, 2);
        assert!(!scaling.meaningful);
        assert!(scaling.verdict.contains("overhead-bound"), "{}", scaling.verdict);
    }

    #[test]
    fn too_few_sizes_are_not_meaningful_and_say_so() {
        let scaling = fit("Rayon", Some("Sequential"), usl_points(0.1, 0.01, &[1, 2, 4]), 2);
        assert!(!scaling.meaningful);
        assert!(scaling.verdict.contains("2 pool sizes above 1"), "{}", scaling.verdict);
        let lone = fit("Rayon", Some("Sequential"), usl_points(0.1, 0.01, &[2]), 2);
        assert!(lone.usl.is_none() && !lone.meaningful);
    }

    #[test]
    fn a_clean_sweep_is_meaningful_and_says_where_the_model_peaks_not_which_size_to_pick() {
        let scaling = fit("Rayon", Some("own size 1"), usl_points(0.05, 0.01, &[1, 2, 4, 8, 16]), 2);
        assert!(scaling.meaningful, "{}", scaling.verdict);
        let best = scaling.usl.expect("a USL fit").best_size;
        assert!(scaling.verdict.contains(&format!("the model peaks at {best}")), "{}", scaling.verdict);
        assert!(!scaling.verdict.contains("best size"), "{}", scaling.verdict);
        assert!(scaling.verdict.contains("above this machine's 2 cores"), "{}", scaling.verdict);
    }

    #[test]
    fn a_speedup_flat_from_the_core_count_on_is_called_a_plateau_not_a_poor_fit() {
        let points: Vec<ScalingPoint> = [(1, 0.99), (2, 1.97), (4, 1.94), (8, 1.95), (16, 1.95)]
            .into_iter()
            .map(|(size, speedup)| ScalingPoint { size, speedup })
            .collect();
        let fitted = fit("Rayon", Some("Sequential"), points.clone(), 2);
        assert!(!fitted.meaningful);
        assert!(fitted.verdict.contains("the cores are the limit"), "{}", fitted.verdict);
        // Which size to pick is the answer's to say, once: the fit never names one.
        assert!(!fitted.verdict.contains("best size"), "{}", fitted.verdict);
        // On a machine with more cores the same numbers are no plateau at its core count.
        assert!(!fit("Rayon", Some("Sequential"), points, 4).verdict.contains("cores are the limit"));
    }

    #[test]
    fn no_baseline_is_not_meaningful() {
        let scaling = fit("Rayon", None, usl_points(0.05, 0.01, &[2, 4, 8]), 2);
        assert!(!scaling.meaningful && scaling.verdict.contains("no baseline"), "{}", scaling.verdict);
    }
}
