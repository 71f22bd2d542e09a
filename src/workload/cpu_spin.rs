//! CPU-bound work of tunable cost: counting primes below a bound by trial division.
//!
//! Trial division is chosen for being slow in a predictable way: no memory traffic to speak of,
//! no allocation, cost growing a little faster than the bound, so that a pool's scaling curve
//! shows the cores and nothing else. The reference is a sieve, a different algorithm with the
//! same answer.
//!
//! **Test-only knob.** `POOLBENCH_INJECT_SLOWDOWN=1.2` makes every task take 1.2 times as long,
//! answer unchanged: after counting, the task busy-waits for 0.2 times the counting's own
//! duration. It exists to show that the regression gates (`poolbench gate`, `poolbench compare`)
//! flag a known slowdown (`poolbench gate calibrate`, `.ci/run`); never set it for
//! real measurements. It is read
//! once per process (worker processes inherit it), costs one load of an initialized `OnceLock`
//! when unset, and a value that is not a factor of at least 1 fails every task with a message
//! saying so, rather than measuring something other than what was asked.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{Workload, WorkloadError};
use crate::env::INJECT_SLOWDOWN as INJECT_SLOWDOWN_ENV;

/// The number of primes below the input bound: a task that keeps one core busy.
///
/// Cost grows roughly as `bound^1.5 / ln(bound)`: a bound of 20,000 is about a millisecond on
/// one core of a 2020s server, 100,000 about ten.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuSpin;

impl Workload for CpuSpin {
    type Input = u64;
    type Output = u64;
    type State = ();

    fn name(&self) -> &str {
        "cpu-spin"
    }

    fn run(&self, (): &(), bound: &u64) -> Result<u64, WorkloadError> {
        match injected_slowdown().map_err(WorkloadError::new)? {
            None => Ok(count_primes_below(*bound)),
            Some(factor) => {
                let started = Instant::now();
                let count = count_primes_below(*bound);
                busy_wait(started.elapsed().mul_f64(factor - 1.0));
                Ok(count)
            }
        }
    }

    fn reference(&self, bound: &u64) -> Option<Result<u64, WorkloadError>> {
        let Ok(bound) = usize::try_from(*bound) else {
            return Some(Err(WorkloadError::new(format!(
                "cpu-spin bound {bound} is too large for the sieve"
            ))));
        };
        let mut composite = vec![false; bound];
        let mut count = 0;
        for k in 2..bound {
            if !composite[k] {
                count += 1;
                for multiple in (k * k..bound).step_by(k) {
                    composite[multiple] = true;
                }
            }
        }
        Some(Ok(count))
    }
}

/// The knob's factor, read once: `None` when unset (or 1).
fn injected_slowdown() -> Result<Option<f64>, String> {
    static FACTOR: OnceLock<Result<Option<f64>, String>> = OnceLock::new();
    FACTOR.get_or_init(|| parse_slowdown(std::env::var_os(INJECT_SLOWDOWN_ENV).as_deref())).clone()
}

fn parse_slowdown(value: Option<&std::ffi::OsStr>) -> Result<Option<f64>, String> {
    let Some(value) = value else { return Ok(None) };
    let factor = value.to_str().and_then(|text| text.trim().parse::<f64>().ok());
    match factor {
        Some(1.0) => Ok(None),
        Some(factor) if factor > 1.0 && factor <= 100.0 => Ok(Some(factor)),
        _ => Err(format!(
            "{INJECT_SLOWDOWN_ENV}={} is not a slowdown factor; give a number from 1 to 100 (1.2 makes \
             cpu-spin tasks take 20% longer), or unset it: it is a test-only knob",
            value.to_string_lossy()
        )),
    }
}

/// Keeps the core busy for `duration`, as more counting would: a sleep would free the core and
/// slow down a single task without loading a pool the way work does.
fn busy_wait(duration: Duration) {
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        std::hint::spin_loop();
    }
}

fn count_primes_below(bound: u64) -> u64 {
    if bound <= 2 {
        return 0;
    }
    // 2 is counted up front; only odd candidates and odd divisors remain.
    let mut count = 1;
    let mut candidate = 3;
    while candidate < bound {
        if is_odd_prime(candidate) {
            count += 1;
        }
        candidate += 2;
    }
    count
}

fn is_odd_prime(candidate: u64) -> bool {
    let mut divisor = 3;
    while divisor * divisor <= candidate {
        if candidate % divisor == 0 {
            return false;
        }
        divisor += 2;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_prime_counts() {
        for (bound, primes) in [(0, 0), (2, 0), (3, 1), (10, 4), (100, 25), (10_000, 1_229)] {
            assert_eq!(CpuSpin.run(&(), &bound).unwrap(), primes, "primes below {bound}");
        }
    }

    #[test]
    fn the_slowdown_knob_takes_factors_from_1_and_names_itself_otherwise() {
        use std::ffi::OsStr;
        assert_eq!(parse_slowdown(None), Ok(None));
        assert_eq!(parse_slowdown(Some(OsStr::new("1"))), Ok(None));
        assert_eq!(parse_slowdown(Some(OsStr::new(" 1.2 "))), Ok(Some(1.2)));
        for bad in ["0.8", "abc", "", "NaN", "1e9"] {
            let err = parse_slowdown(Some(OsStr::new(bad))).unwrap_err();
            assert!(err.starts_with(&format!("{INJECT_SLOWDOWN_ENV}={bad} is not")), "{err}");
        }
    }

    #[test]
    fn busy_waiting_takes_at_least_its_time() {
        let started = Instant::now();
        busy_wait(Duration::from_millis(5));
        assert!(started.elapsed() >= Duration::from_millis(5));
    }

    proptest! {
        #[test]
        fn trial_division_agrees_with_the_sieve(bound in 0u64..20_000) {
            prop_assert_eq!(CpuSpin.run(&(), &bound).ok(), CpuSpin.reference(&bound).and_then(Result::ok));
        }
    }
}
