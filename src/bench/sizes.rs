//! Pool sizes: the notebook's 2, 4 and 8 unless `POOLBENCH_SIZES` says otherwise, each checked
//! against a stated bound before anything starts. `POOLBENCH_SIZES=auto` adds the machine's
//! usable cores and twice them ([`auto_sizes`]), so a 64-core runner measures 64 and 128, where
//! the answer to "how many?" on that machine lies.

use crate::env::SIZES;

/// The pool sizes swept unless `POOLBENCH_SIZES` says otherwise: the notebook's.
pub const DEFAULT_SIZES: [usize; 3] = [2, 4, 8];

/// The largest pool size accepted, from `POOLBENCH_SIZES` or [`Sweep::sizes`](super::Sweep::sizes).
///
/// A pool of 256 threads or processes on a machine of a few cores measures the scheduler, not
/// the pool, and far larger ones exhaust the machine's process limit (as root, its pids) before
/// a number comes out. The crossover sweep adds twice the largest size, up to this bound too.
pub const MAX_SIZE: usize = 256;

/// The `POOLBENCH_SIZES` value that asks for sizes fitting the machine: [`auto_sizes`].
pub const AUTO: &str = "auto";

/// The sizes `POOLBENCH_SIZES=auto` sweeps on a machine of `cores` usable cores:
/// [`DEFAULT_SIZES`], the core count and twice it (one size that fills the cores, one that
/// oversubscribes them), each at most `max`; sorted, without repeats.
///
/// ```
/// use poolbench::bench::{MAX_SIZE, auto_sizes};
///
/// assert_eq!(auto_sizes(2, MAX_SIZE), [2, 4, 8]);
/// assert_eq!(auto_sizes(64, MAX_SIZE), [2, 4, 8, 64, 128]);
/// ```
pub fn auto_sizes(cores: usize, max: usize) -> Vec<usize> {
    let mut sizes: Vec<usize> = DEFAULT_SIZES.to_vec();
    sizes.extend([cores.max(1), cores.max(1).saturating_mul(2)]);
    sizes.retain(|&size| size <= max);
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

/// Parses a `POOLBENCH_SIZES` value: comma-separated pool sizes from 1 to `max`, e.g.
/// `1,2,4,8,16`, or `auto` ([`auto_sizes`] for the cores this process may use). They come back
/// sorted and without repeats.
///
/// # Errors
///
/// A message naming `POOLBENCH_SIZES`, the offending entry (an empty one too, as in `2,,4`) and
/// the expected form.
pub fn parse_sizes(text: &str, max: usize) -> Result<Vec<usize>, String> {
    if text.trim().eq_ignore_ascii_case(AUTO) {
        return Ok(auto_sizes(crate::schema::Machine::usable_cores(), max));
    }
    if text.trim().is_empty() {
        return Err(format!("{SIZES}={text:?} names no pool size; give e.g. 2,4,8, or auto"));
    }
    let mut sizes = Vec::new();
    for entry in text.split(',').map(str::trim) {
        match entry.parse::<usize>() {
            Ok(size) if (1..=max).contains(&size) => sizes.push(size),
            Ok(size) if size > max => {
                return Err(format!(
                    "{SIZES}={text:?}: {size} is above the largest pool size poolbench sweeps, {max}; \
                     give sizes from 1 to {max}, e.g. 1,2,4,8,16"
                ));
            }
            _ if entry.is_empty() => {
                return Err(format!(
                    "{SIZES}={text:?} has an empty entry; give comma-separated sizes, e.g. 2,4,8"
                ));
            }
            _ => {
                return Err(format!(
                    "{SIZES}={text:?}: {entry:?} is not a pool size; give positive integers, e.g. 1,2,4,8,16"
                ));
            }
        }
    }
    sizes.sort_unstable();
    sizes.dedup();
    Ok(sizes)
}

/// The pool sizes to sweep: `POOLBENCH_SIZES` if set, else [`DEFAULT_SIZES`], each at most
/// [`MAX_SIZE`].
///
/// # Errors
///
/// As [`parse_sizes`], for a `POOLBENCH_SIZES` that is set but not a list of sizes.
pub fn sizes_from_env() -> Result<Vec<usize>, String> {
    match std::env::var(SIZES) {
        Ok(text) => parse_sizes(&text, MAX_SIZE),
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_SIZES.to_vec()),
        Err(std::env::VarError::NotUnicode(text)) => Err(format!("{SIZES}={text:?} is not UTF-8")),
    }
}

/// The crossover sweep: 1, `sizes`, and twice the largest (at most [`MAX_SIZE`], which
/// `POOLBENCH_SIZES` was checked against before anything ran), so a curve shows both sides of the
/// core count.
pub fn crossover_sizes(sizes: &[usize]) -> Vec<usize> {
    let mut sizes = sizes.to_vec();
    let largest = sizes.iter().copied().max().unwrap_or(1);
    sizes.push(1);
    sizes.push((largest * 2).min(MAX_SIZE.max(largest)));
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_sorted_and_deduplicated_and_bad_entries_are_named() {
        assert_eq!(parse_sizes("8, 2,4,2", MAX_SIZE), Ok(vec![2, 4, 8]));
        assert_eq!(parse_sizes("1,2,4,8,16", MAX_SIZE), Ok(vec![1, 2, 4, 8, 16]));
        let err = parse_sizes("2,0,4", MAX_SIZE).unwrap_err();
        assert!(err.contains("\"0\"") && err.contains("e.g."), "{err}");
        assert!(parse_sizes("two", MAX_SIZE).unwrap_err().contains("\"two\""));
        assert!(parse_sizes(" , ", MAX_SIZE).is_err());
    }

    #[test]
    fn an_empty_entry_is_refused_not_skipped() {
        let err = parse_sizes("2,,4", MAX_SIZE).unwrap_err();
        assert!(err.starts_with("POOLBENCH_SIZES=\"2,,4\" has an empty entry"), "{err}");
        assert!(parse_sizes("2,4,", MAX_SIZE).unwrap_err().contains("empty entry"));
    }

    #[test]
    fn a_size_above_the_bound_is_refused_up_front_naming_the_variable_and_the_bound() {
        assert_eq!(parse_sizes("4,8", 8), Ok(vec![4, 8]));
        let err = parse_sizes("4,9", 8).unwrap_err();
        assert!(err.starts_with("POOLBENCH_SIZES=\"4,9\": 9 is above"), "{err}");
        assert!(err.contains("from 1 to 8"), "{err}");
        let err = parse_sizes("100000", MAX_SIZE).unwrap_err();
        assert!(err.contains(&format!("from 1 to {MAX_SIZE}")), "{err}");
    }

    #[test]
    fn auto_adds_the_cores_and_twice_them_to_the_notebooks_sizes_within_the_bound() {
        assert_eq!(auto_sizes(1, MAX_SIZE), [1, 2, 4, 8]);
        assert_eq!(auto_sizes(4, MAX_SIZE), [2, 4, 8]);
        assert_eq!(auto_sizes(6, MAX_SIZE), [2, 4, 6, 8, 12]);
        assert_eq!(auto_sizes(64, MAX_SIZE), [2, 4, 8, 64, 128]);
        assert_eq!(auto_sizes(200, MAX_SIZE), [2, 4, 8, 200]);
        let cores = crate::schema::Machine::usable_cores();
        assert_eq!(parse_sizes(" Auto ", MAX_SIZE), Ok(auto_sizes(cores, MAX_SIZE)));
    }

    #[test]
    fn the_crossover_adds_one_and_twice_the_largest() {
        assert_eq!(crossover_sizes(&[2, 4, 8]), [1, 2, 4, 8, 16]);
        assert_eq!(crossover_sizes(&[1]), [1, 2]);
    }

    #[test]
    fn the_crossover_never_doubles_past_the_largest_size_poolbench_sweeps() {
        // POOLBENCH_SIZES=200 passes its check (1 to 256); doubled it stopped the run late.
        assert_eq!(crossover_sizes(&[2, 200]), [1, 2, 200, 256]);
        assert_eq!(crossover_sizes(&[256]), [1, 256]);
    }
}
