//! A pool of another crate's, swept by poolbench beside its own: [`Threadpool`] wraps the
//! `threadpool` crate's `ThreadPool` as a poolbench [`Executor`], and [`LongestChain`] is a
//! workload of this crate's (the longest Collatz chain in a range of numbers) for it to run.
//!
//! `benches/collatz.rs` sweeps the workload across `threadpool`, Rayon, StdPool and the process
//! pool at pool sizes 2, 4 and 8, and the report shows them side by side.

mod threadpool_executor;
mod workload;

pub use threadpool_executor::Threadpool;
pub use workload::{LongestChain, Range, ranges};
