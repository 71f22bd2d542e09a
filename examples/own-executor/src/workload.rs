//! The workload: for a range of starting numbers, the one whose Collatz chain is longest.

use poolbench::workload::{Workload, WorkloadError};
use serde::{Deserialize, Serialize};

/// A range of starting numbers, `start..start + count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// The first number.
    pub start: u64,
    /// How many numbers.
    pub count: u64,
}

/// `tasks` ranges of `count` numbers each, one after the other from 1.
pub fn ranges(tasks: u64, count: u64) -> Vec<Range> {
    (0..tasks).map(|task| Range { start: 1 + task * count, count }).collect()
}

/// For each range, the starting number with the longest Collatz chain and the chain's length
/// (ties to the smaller number): pure arithmetic, the same cost on every executor.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct LongestChain;

/// Steps from `n` to 1; `None` if a step would overflow.
fn steps(mut n: u64) -> Option<u32> {
    let mut steps = 0;
    while n != 1 {
        n = if n % 2 == 0 { n / 2 } else { n.checked_mul(3)?.checked_add(1)? };
        steps += 1;
    }
    Some(steps)
}

impl Workload for LongestChain {
    type Input = Range;
    /// The starting number and its chain's length in steps.
    type Output = (u64, u32);
    type State = ();

    fn name(&self) -> &str {
        "longest-chain"
    }

    fn run(&self, _: &(), range: &Range) -> Result<(u64, u32), WorkloadError> {
        if range.start == 0 || range.count == 0 {
            return Err(WorkloadError::new(format!("an empty range or one holding 0: {range:?}")));
        }
        let mut best = (range.start, 0);
        for n in range.start..range.start.saturating_add(range.count) {
            let length =
                steps(n).ok_or_else(|| WorkloadError::new(format!("the chain of {n} overflows a u64")))?;
            if length > best.1 {
                best = (n, length);
            }
        }
        Ok(best)
    }

    /// The same answer by recursion with no early exits: a second way to count.
    fn reference(&self, range: &Range) -> Option<Result<(u64, u32), WorkloadError>> {
        fn length(n: u64) -> u32 {
            match n {
                1 => 0,
                even if even % 2 == 0 => 1 + length(even / 2),
                odd => 1 + length(3 * odd + 1),
            }
        }
        let lengths = (range.start..range.start + range.count).map(|n| (n, length(n)));
        // max_by_key keeps the last of equals; reversing keeps the first.
        lengths.rev().max_by_key(|&(_, length)| length).map(Ok)
    }
}

// The process pool's workers run it too.
poolbench::remote!(LongestChain);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_chain_below_ten_starts_at_nine() {
        assert_eq!(LongestChain.run(&(), &Range { start: 1, count: 9 }).unwrap(), (9, 19));
    }

    #[test]
    fn the_reference_agrees_with_the_workload() {
        for range in ranges(8, 500) {
            assert_eq!(
                LongestChain.reference(&range).unwrap().unwrap(),
                LongestChain.run(&(), &range).unwrap()
            );
        }
    }

    #[test]
    fn an_empty_range_is_an_error_naming_it() {
        let err = LongestChain.run(&(), &Range { start: 5, count: 0 }).unwrap_err();
        assert!(err.to_string().contains("count: 0"), "{err}");
    }
}
