//! Exact factorials, by binary splitting.
//!
//! A left fold `((1 * 2) * 3) * ...` multiplies an ever longer number by a short one, n times:
//! quadratic in the size of the answer. Binary splitting multiplies numbers of similar size, so
//! num-bigint's Karatsuba and Toom-3 get to work, and the result for 20,000! (about 260,000 bits)
//! arrives in a few milliseconds. Two cheap refinements on top: the factors are packed into
//! machine words before the tree starts, and powers of two are pulled out of every factor and put
//! back with a single shift at the end (n! has n - popcount(n) factors of two).

use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use super::{Workload, WorkloadError};

/// `n!`, exactly: the notebook's exercise 7 computes it for 1..=10 on a thread pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factorial;

impl Workload for Factorial {
    type Input = u32;
    type Output = BigUint;
    type State = ();

    fn name(&self) -> &str {
        "factorial"
    }

    fn run(&self, (): &(), n: &u32) -> Result<BigUint, WorkloadError> {
        Ok(factorial(*n))
    }

    fn reference(&self, n: &u32) -> Option<Result<BigUint, WorkloadError>> {
        Some(Ok((1..=*n).fold(BigUint::from(1u32), |acc, k| acc * k)))
    }
}

/// `n!` by binary splitting over the odd parts of 1..=n, then one shift.
fn factorial(n: u32) -> BigUint {
    let mut words = Vec::new();
    let mut word: u64 = 1;
    let mut twos: u64 = 0;
    for k in 2..=u64::from(n) {
        let zeros = k.trailing_zeros();
        twos += u64::from(zeros);
        let odd = k >> zeros;
        match word.checked_mul(odd) {
            Some(product) => word = product,
            None => {
                words.push(word);
                word = odd;
            }
        }
    }
    words.push(word);
    product(&words) << twos
}

fn product(words: &[u64]) -> BigUint {
    match words {
        [] => BigUint::from(1u32),
        [word] => BigUint::from(*word),
        _ => {
            let (low, high) = words.split_at(words.len() / 2);
            product(low) * product(high)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_factorials_match_the_notebook() {
        let expected = [1u64, 2, 6, 24, 120, 720, 5040, 40320, 362_880, 3_628_800];
        for (n, want) in (1..=10).zip(expected) {
            assert_eq!(factorial(n), BigUint::from(want), "{n}!");
        }
        assert_eq!(factorial(0), BigUint::from(1u32), "0! is 1");
    }

    #[test]
    fn twenty_thousand_factorial_has_the_known_size_and_low_digits() {
        let f = factorial(20_000);
        let digits = f.to_str_radix(10);
        // 20000! has 77,338 decimal digits and ends in exactly 4,999 zeros (Legendre's formula).
        assert_eq!(digits.len(), 77_338);
        let zeros = digits.bytes().rev().take_while(|&b| b == b'0').count();
        assert_eq!(zeros, 4_999);
        assert!(digits.starts_with("18192063202303451348"), "{}", &digits[..20]);
    }

    proptest! {
        #[test]
        fn binary_splitting_equals_the_left_fold(n in 0u32..3_000) {
            prop_assert_eq!(Factorial.run(&(), &n).ok(), Factorial.reference(&n).and_then(Result::ok));
        }
    }
}
