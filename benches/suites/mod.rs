//! The suites, and what they share.

pub mod task;

use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};

/// Opens the group `group_id`, which must be a case of `poolbench::catalog`: ids are a public
/// interface and are spelled there, once.
pub fn group<'c>(c: &'c mut Criterion, group_id: &str) -> BenchmarkGroup<'c, WallTime> {
    assert!(poolbench::catalog::find(group_id).is_some(), "{group_id} is not in poolbench::catalog::CASES");
    c.benchmark_group(group_id)
}
