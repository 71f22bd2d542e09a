//! Squares: the notebook's exercise 8, and the smallest task there is.

use serde::{Deserialize, Serialize};

use super::{Workload, WorkloadError};

/// `n * n`: so little work that any executor's overhead is all there is to measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Squares;

impl Workload for Squares {
    type Input = u32;
    type Output = u64;
    type State = ();

    fn name(&self) -> &str {
        "squares"
    }

    fn run(&self, (): &(), n: &u32) -> Result<u64, WorkloadError> {
        Ok(u64::from(*n) * u64::from(*n))
    }

    fn reference(&self, n: &u32) -> Option<Result<u64, WorkloadError>> {
        Some(Ok(u64::from(*n).pow(2)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squares_one_to_ten_match_the_notebook() {
        let got: Vec<u64> = (1..=10).map(|n| Squares.run(&(), &n).unwrap()).collect();
        assert_eq!(got, [1, 4, 9, 16, 25, 36, 49, 64, 81, 100]);
    }

    #[test]
    fn the_largest_input_does_not_overflow() {
        assert_eq!(Squares.run(&(), &u32::MAX).ok(), Squares.reference(&u32::MAX).and_then(Result::ok));
    }
}
