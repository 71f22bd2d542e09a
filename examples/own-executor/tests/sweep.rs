//! The sweep runs this crate's executor beside the built-in ones and checks it against Sequential.

use own_executor::{LongestChain, Threadpool, ranges};
use poolbench::{Executor, ExecutorKind, ProcessPool, RayonPool, Sequential};

poolbench::worker_entry!();

#[test]
fn threadpool_rayon_and_the_process_pool_agree_with_sequential() {
    let inputs = ranges(16, 1_000);
    let expected = Sequential.map(&LongestChain, &inputs).unwrap();
    assert_eq!(Threadpool::new(2).unwrap().map(&LongestChain, &inputs).unwrap(), expected);
    assert_eq!(RayonPool::new(2).unwrap().map(&LongestChain, &inputs).unwrap(), expected);
    assert_eq!(ProcessPool::new(2).unwrap().map(&LongestChain, &inputs).unwrap(), expected);
}

#[test]
fn the_threadpool_is_its_own_kind() {
    assert_eq!(Threadpool::new(2).unwrap().kind(), ExecutorKind::Custom("threadpool"));
    assert_eq!(ExecutorKind::from_name("threadpool"), None, "not a built-in name");
}
