//! task: one task of each workload on one thread, the unit cost every pool divides up.

use std::hint::black_box;

use criterion::Criterion;
use poolbench::Workload;
use poolbench::bench::timed;
use poolbench::workload::{CpuSpin, Factorial};

use super::group;

/// One task of `workload` on `input`, set up once, after checking it against the reference.
fn one_task<'a, W: Workload>(
    workload: &'a W,
    input: &'a W::Input,
) -> Result<impl FnMut(u64) -> std::time::Duration + 'a, String> {
    let state = workload.setup().map_err(|err| err.to_string())?;
    let answer = workload.run(&state, input).map_err(|err| err.to_string())?;
    match workload.reference(input) {
        Some(Ok(reference)) if reference == answer => {}
        _ => return Err(format!("{} of {input:?} disagrees with its reference", workload.name())),
    }
    Ok(timed(move || workload.run(&state, black_box(input))))
}

/// The suite.
pub fn benches(c: &mut Criterion) {
    // One thread: other programs on the other cores leave it alone.
    let mut factorial = group(c, "task/factorial");
    factorial.threads(1);
    for n in [2_000u32, 20_000] {
        factorial.bench_value(n, || one_task(&Factorial, &n));
    }
    drop(factorial);
    let mut cpu_spin = group(c, "task/cpu-spin");
    cpu_spin.threads(1);
    let bound = 20_000u64;
    cpu_spin.bench_value(bound, || one_task(&CpuSpin, &bound));
}
