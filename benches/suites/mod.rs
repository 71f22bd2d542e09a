//! The suites, and what they share: pool sizes, and the catalog's ids. Every sweep goes through
//! `poolbench::bench`, the public API a user's own bench calls.

pub mod crossover;
pub mod ipc;
pub mod pools;
pub mod startup;
pub mod sync;
pub mod task;

use poolbench::bench::{self, Group};

/// `group_id`, which must be a case of `poolbench::catalog`: ids are a public interface and are
/// spelled there, once.
pub fn case(group_id: &'static str) -> &'static str {
    assert!(poolbench::catalog::find(group_id).is_some(), "{group_id} is not in poolbench::catalog::CASES");
    group_id
}

/// Opens the catalog's group `group_id`.
pub fn group<'c>(c: &'c mut criterion::Criterion, group_id: &'static str) -> Group<'c> {
    Group::new(c, case(group_id))
}

/// The pool sizes to sweep: `POOLBENCH_SIZES`, else 2, 4 and 8 (checked before any suite runs,
/// by `poolbench::bench::Main`).
pub fn sizes() -> Vec<usize> {
    bench::sizes_from_env().unwrap_or_else(|message| panic!("{message}"))
}
