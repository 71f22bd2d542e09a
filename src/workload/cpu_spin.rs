//! CPU-bound work of tunable cost: counting primes below a bound by trial division.
//!
//! Trial division is chosen for being slow in a predictable way: no memory traffic to speak of,
//! no allocation, cost growing a little faster than the bound, so that a pool's scaling curve
//! shows the cores and nothing else. The reference is a sieve, a different algorithm with the
//! same answer.

use serde::{Deserialize, Serialize};

use super::{Workload, WorkloadError, WorkloadSpec};

/// The number of primes below the input bound: a task that keeps one core busy.
///
/// Cost grows roughly as `bound^1.5 / ln(bound)`: a bound of 20,000 is about a millisecond on
/// one core of a 2020s server, 100,000 about ten.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuSpin;

impl Workload for CpuSpin {
    type Input = u64;
    type Output = u64;

    fn name(&self) -> &'static str {
        "cpu-spin"
    }

    fn run(&self, bound: &u64) -> Result<u64, WorkloadError> {
        Ok(count_primes_below(*bound))
    }

    fn reference(&self, bound: &u64) -> Result<u64, WorkloadError> {
        let bound = usize::try_from(*bound)
            .map_err(|_| WorkloadError::new(format!("cpu-spin bound {bound} is too large for the sieve")))?;
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
        Ok(count)
    }

    fn spec(&self) -> WorkloadSpec {
        WorkloadSpec::CpuSpin(*self)
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
            assert_eq!(CpuSpin.run(&bound).unwrap(), primes, "primes below {bound}");
        }
    }

    proptest! {
        #[test]
        fn trial_division_agrees_with_the_sieve(bound in 0u64..20_000) {
            prop_assert_eq!(CpuSpin.run(&bound).unwrap(), CpuSpin.reference(&bound).unwrap());
        }
    }
}
