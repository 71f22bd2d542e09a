//! The start-up split: an end-to-end case (start a pool, run, shut it down) minus the
//! steady-state case doing the same work on a pool already up is what the pool's start-up and
//! shut-down cost.
//!
//! Rows pair by executor and value (pool size). The difference of two medians is only as good as
//! the medians: when their confidence intervals overlap, or the difference is negative, the split
//! is flagged as within noise.

use crate::schema::{Row, SplitRow, StartupSplit};

/// Pairs the rows of an end-to-end group with those of its steady-state group.
/// `steady_rows` is `None` when the steady-state group is not in the results.
pub fn split(end_to_end: &[Row], steady_state_group: &str, steady_rows: Option<&[Row]>) -> StartupSplit {
    let rows = steady_rows
        .into_iter()
        .flatten()
        .filter_map(|steady| {
            let executor = steady.executor.as_ref()?;
            let whole = end_to_end
                .iter()
                .find(|row| row.executor.as_ref() == Some(executor) && row.value == steady.value)?;
            let (whole_ns, steady_ns) = (whole.median_ns, steady.median_ns);
            Some(SplitRow {
                executor: executor.clone(),
                value: steady.value.clone(),
                size: steady.size,
                end_to_end_ns: whole_ns,
                steady_state_ns: steady_ns,
                startup_ns: whole_ns.point - steady_ns.point,
                // A negative difference (end to end faster than steady state) is noise by definition.
                within_noise: whole_ns.point <= steady_ns.point
                    || (whole_ns.lower <= steady_ns.upper && steady_ns.lower <= whole_ns.upper),
            })
        })
        .collect();
    StartupSplit { steady_state_group: steady_state_group.to_owned(), rows }
}
