//! Paired measurement, the one engine behind every comparison poolbench makes: slots of a fixed
//! iteration count, rounds in which every contender times a slot in a fresh random order, log
//! ratios of slots timed in the same round, intervals over rounds, and the rules that drop a
//! round the machine spoiled.
//!
//! Why: on a shared VM the machine's speed drifts for a second or more at a time, and measuring
//! each contender in a window of its own (as Criterion does) compares two different machines.
//! Timed in the same round, a few milliseconds apart and in random order, contenders share the
//! moment; the ratio of their slots cancels what the moment did to both. `reports/README.md`,
//! "Paired rounds", specifies the rule once for both of its users:
//!
//! - the sweep ([`crate::bench::Sweep`]): a group's configurations measured together, each round
//!   one slot of every configuration, speedups as paired ratios against Sequential
//!   (`rounds`);
//! - the gate ([`crate::gate`]): a base and a head build, rounds of fresh processes timing
//!   pairs of slots in alternating order.
//!
//! - [`statistic`]: the paired log ratios, rounds as the unit, intervals (Student's t on the
//!   gate's rounds' mean; order statistics on the sweep's rounds' median, widened by the spread
//!   between its pool starts).
//! - [`slot_iterations`]: how many iterations make a slot of the target length.
//! - `capacity`: the cores the machine really gives at a moment, which the machine's load in
//!   `/proc` cannot show.
//! - `rounds`: the sweep's rounds of in-process contenders, with the capacity and load checks
//!   that drop a round, and the rule that stops measuring.

pub(crate) mod capacity;
pub(crate) mod rounds;
pub mod statistic;

use std::time::Duration;

pub use statistic::{Estimate, Median};

/// The slot length unless told otherwise: long enough that a timer read and a wake-up are noise,
/// short enough that a round of a dozen contenders fits in a moment of the machine.
pub const DEFAULT_SLOT: Duration = Duration::from_millis(10);

/// `ln(a / b)` of slots timed in the same round, over the rounds given (each with its epoch: the
/// pool start it was measured on), as their [`Median`] and its interval, widened by the spread
/// between epochs ([`Median::of_epochs`]): with `a` Sequential's slot and `b` a pool's, the log
/// of the pool's speedup; with two pools, how much slower `a` is than `b`. `None` without rounds.
pub fn paired_ratio(slots: impl IntoIterator<Item = (u32, f64, f64)>) -> Option<Median> {
    let ratios: Vec<(u32, f64)> = slots.into_iter().map(|(epoch, a, b)| (epoch, (a / b).ln())).collect();
    Median::of_epochs(&ratios)
}

/// The iterations that take about `slot` by `time` (which runs a number of iterations and says
/// how long they took): one iteration twice (the first is cold), then scaled until a slot takes
/// at least half the target. An iteration longer than the slot gives 1: the slot is then one
/// iteration, whatever it takes.
///
/// # Errors
///
/// `time`'s first error.
pub fn slot_iterations<E>(
    slot: Duration,
    mut time: impl FnMut(u64) -> Result<Duration, E>,
) -> Result<u64, E> {
    time(1)?;
    let mut iterations: u64 = 1;
    // Bounded: each step multiplies the count by up to 1,000.
    for _ in 0..12 {
        let took = time(iterations)?;
        if took >= slot / 2 || iterations >= 1 << 40 {
            let scaled = iterations as f64 * slot.as_secs_f64() / took.as_secs_f64().max(1e-9);
            return Ok((scaled.round() as u64).max(1));
        }
        let factor =
            if took.is_zero() { 1_000.0 } else { (slot.as_secs_f64() / took.as_secs_f64()).min(1_000.0) };
        iterations = ((iterations as f64 * factor).ceil() as u64).clamp(iterations + 1, 1 << 40);
    }
    Ok(iterations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    #[test]
    fn a_slot_holds_the_iterations_that_fill_it_and_a_long_iteration_fills_one_alone() {
        // A synthetic clock: 3 µs an iteration.
        let per = Duration::from_micros(3);
        let iterations = slot_iterations(DEFAULT_SLOT, |n| Ok::<_, Infallible>(per * n as u32)).unwrap();
        assert!((3_300..=3_400).contains(&iterations), "{iterations}");
        let long = Duration::from_millis(40);
        assert_eq!(slot_iterations(DEFAULT_SLOT, |n| Ok::<_, Infallible>(long * n as u32)), Ok(1));
        assert_eq!(slot_iterations(DEFAULT_SLOT, |_| Err::<Duration, _>("gone")), Err("gone"));
    }
}
