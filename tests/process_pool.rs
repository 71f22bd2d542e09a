//! The process pool's faults: crashes, panics, timeouts, garbage, and what survives them.

mod common;

use std::time::{Duration, Instant};

use common::{SIZES, assert_same_as_sequential, fake_worker, process_pool, process_state};
use poolbench::executor::Codec;
use poolbench::workload::{Factorial, Fault, FaultAction, Squares};
use poolbench::{Chunking, Executor, ProcessPool};

/// Inputs where every fiftieth task kills its own worker with SIGKILL.
fn one_in_fifty_killers() -> Vec<FaultAction> {
    (0..1_000u64).map(|i| if i % 50 == 7 { FaultAction::Kill } else { FaultAction::Return(i) }).collect()
}

fn assert_full_and_alive(pool: &ProcessPool, size: usize) {
    let pids = pool.worker_pids();
    assert_eq!(pids.len(), size, "the pool is back at full size");
    for pid in pids {
        assert!(matches!(process_state(pid), Some(state) if state != 'Z'), "worker {pid} is alive");
    }
}

#[test]
fn a_thousand_tasks_with_one_in_fifty_killing_its_worker_are_each_accounted_for_once() {
    for size in SIZES {
        let pool = process_pool(size).build().unwrap();
        let before = pool.worker_pids();
        let inputs = one_in_fifty_killers();
        let results = pool.map_each(&Fault, &inputs);
        assert_eq!(results.len(), inputs.len());
        let mut dead = Vec::new();
        for (index, (input, result)) in inputs.iter().zip(&results).enumerate() {
            match (input, result) {
                (FaultAction::Return(value), Ok(got)) => assert_eq!(got, value),
                (FaultAction::Kill, Err(err)) => {
                    assert!(err.is_worker_death(), "task {index}: {err}");
                    assert_eq!(err.task(), Some(index));
                    assert!(err.to_string().contains("SIGKILL"), "{err}");
                    dead.push(err.pid().expect("a worker death names the pid"));
                }
                (input, result) => panic!("size {size}, task {index}: {input:?} gave {result:?}"),
            }
        }
        assert_eq!(dead.len(), 20, "every killer, and only the killers, failed");
        assert_full_and_alive(&pool, size);
        let after = pool.worker_pids();
        assert!(after.iter().all(|pid| !dead.contains(pid)), "dead workers were replaced");
        assert!(before.iter().any(|pid| !after.contains(pid)), "original workers were killed and replaced");
        for pid in dead {
            assert_eq!(process_state(pid), None, "worker {pid} was reaped, not left a zombie");
        }
        assert_same_as_sequential(&pool, &Squares, &(1..=100).collect::<Vec<u32>>());
    }
}

#[test]
fn with_one_retry_tasks_beside_a_killer_succeed_and_the_killer_fails_after_two_attempts() {
    let pool = process_pool(2).retries(1).chunking(Chunking::fixed(10)).build().unwrap();
    let inputs = one_in_fifty_killers();
    let results = pool.map_each(&Fault, &inputs);
    let failed: Vec<usize> = results.iter().enumerate().filter(|(_, r)| r.is_err()).map(|(i, _)| i).collect();
    let killers: Vec<usize> = (0..1_000).filter(|i| i % 50 == 7).collect();
    assert_eq!(failed, killers);
    assert_full_and_alive(&pool, 2);
}

#[test]
fn exits_and_aborts_are_reported_with_their_code_and_signal() {
    let pool = process_pool(2).build().unwrap();
    let inputs = [FaultAction::Return(1), FaultAction::Exit(3), FaultAction::Abort, FaultAction::Return(4)];
    let results = pool.map_each(&Fault, &inputs);
    assert_eq!(results[0].as_ref().ok(), Some(&1));
    let exit = results[1].as_ref().unwrap_err().to_string();
    assert!(exit.contains("task 1") && exit.contains("exited with code 3"), "{exit}");
    let abort = results[2].as_ref().unwrap_err().to_string();
    assert!(abort.contains("task 2") && abort.contains("SIGABRT"), "{abort}");
    assert_eq!(results[3].as_ref().ok(), Some(&4));
    assert_full_and_alive(&pool, 2);
}

#[test]
fn a_panicking_task_carries_its_message_and_the_same_worker_goes_on() {
    let pool = process_pool(1).build().unwrap();
    let before = pool.worker_pids();
    let err = pool.map(&Fault, &[FaultAction::Panic("worker-side boom".into())]).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.panic_message(), Some("worker-side boom"));
    assert_eq!(pool.worker_pids(), before, "a panic does not cost a worker");
    assert_eq!(pool.map(&Fault, &[FaultAction::Return(5)]).unwrap(), [5]);
}

#[test]
fn a_task_past_its_timeout_fails_and_its_worker_is_replaced() {
    // The limit must also let every quick task through when a loaded machine stalls the test.
    let pool =
        process_pool(2).task_timeout(Duration::from_secs(1)).chunking(Chunking::fixed(1)).build().unwrap();
    let before = pool.worker_pids();
    let mut inputs: Vec<FaultAction> = (0..6).map(FaultAction::Return).collect();
    inputs[3] = FaultAction::Hang(Duration::from_secs(60));
    let started = Instant::now();
    let results = pool.map_each(&Fault, &inputs);
    // A hang of a minute cut short: the bound is generous, the point is that it ends.
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    let err = results[3].as_ref().unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(err.to_string().starts_with("task 3 timed out after 1s: worker process "), "{err}");
    let killed = err.pid().unwrap();
    assert!(before.contains(&killed));
    for (index, result) in results.iter().enumerate().filter(|(index, _)| *index != 3) {
        assert_eq!(result.as_ref().ok(), Some(&(index as u64)));
    }
    assert_full_and_alive(&pool, 2);
    assert!(!pool.worker_pids().contains(&killed));
}

#[test]
fn a_worker_that_sends_garbage_instead_of_a_hello_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let program = fake_worker(dir.path(), "garbage", "printf 'hello, I am not a worker at all' >&4; sleep 5");
    let err = common::fake_pool(1, &program).build().unwrap_err();
    let text = err.to_string();
    assert!(err.is_pool_error(), "{text}");
    assert!(text.contains("did not start") && text.contains("garbage"), "{text}");
}

#[test]
fn a_worker_announcing_a_four_gib_frame_is_refused_without_allocating_it() {
    let dir = tempfile::tempdir().unwrap();
    let program = fake_worker(dir.path(), "huge", r"printf '\377\377\377\377' >&4; sleep 5");
    let err = common::fake_pool(1, &program).build().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("4294967295 bytes") && text.contains("64 MiB"), "{text}");
}

#[test]
fn a_worker_that_answers_a_request_with_garbage_fails_that_request_only() {
    let dir = tempfile::tempdir().unwrap();
    // A valid hello (this build, postcard), then, once a request arrives, a frame of unknown kind.
    let hello = dir.path().join("hello");
    let codec = poolbench::executor::Codec::Postcard;
    std::fs::write(&hello, poolbench::executor::process::protocol::this_builds_hello(codec, 1)).unwrap();
    let program = fake_worker(
        dir.path(),
        "rude",
        &format!(
            "cat '{}' >&4; head -c 1 <&3 >/dev/null; printf '\\000\\000\\000\\001Z' >&4; sleep 5",
            hello.display()
        ),
    );
    let pool = common::fake_pool(1, &program).build().unwrap();
    let results = pool.map_each(&Squares, &[1, 2, 3]);
    assert_eq!(results.len(), 3);
    for result in &results {
        let err = result.as_ref().unwrap_err();
        assert!(err.is_pool_error(), "{err}");
        assert!(err.to_string().contains("unknown kind 0x5a"), "{err}");
    }
}

#[test]
fn a_missing_worker_program_is_a_clear_error() {
    let err =
        common::fake_pool(2, std::path::Path::new("/nonexistent/poolbench-worker")).build().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("/nonexistent/poolbench-worker"), "{text}");
    assert!(err.is_pool_error());
}

#[test]
fn the_worker_refuses_to_run_by_hand() {
    let (code, stderr) = common::run_worker_by_hand("");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not by hand"), "{stderr}");
}

#[test]
fn a_worker_whose_parent_is_not_the_pool_exits_at_once() {
    // What a worker sees when its pool's process died between the spawn and its first line.
    // No process has this id: whoever runs this test, its parent is not it.
    let gone = u32::MAX;
    let (code, stderr) = common::run_worker_by_hand(&format!("--parent-pid {gone}"));
    assert_eq!(code, Some(2));
    assert!(stderr.contains(&format!("the pool's process {gone} is gone")), "{stderr}");
}

#[test]
fn both_codecs_give_the_same_answers() {
    for codec in poolbench::executor::Codec::ALL {
        let pool = process_pool(2).codec(codec).build().unwrap();
        assert_same_as_sequential(&pool, &poolbench::workload::Factorial, &(0..60).collect::<Vec<u32>>());
    }
}

#[test]
fn a_hundred_thousand_tasks_in_single_task_chunks_do_not_deadlock_on_full_pipes() {
    let pool = process_pool(2).chunking(Chunking::fixed(1)).build().unwrap();
    let inputs: Vec<u32> = (0..100_000).collect();
    assert_same_as_sequential(&pool, &Squares, &inputs);
}

#[test]
fn a_request_over_the_frame_limit_fails_its_tasks_and_the_pool_goes_on() {
    let pool = process_pool(1).chunking(Chunking::fixed(70)).build().unwrap();
    // Seventy 1 MiB inputs in one chunk: a 70 MiB request, over the 64 MiB limit.
    let inputs = vec![FaultAction::Fail("x".repeat(1 << 20)); 70];
    let results = pool.map_each(&Fault, &inputs);
    assert_eq!(results.len(), 70);
    for result in results {
        let err = result.unwrap_err();
        assert!(err.is_pool_error() && err.to_string().contains("Chunking::Fixed"), "{err}");
    }
    assert_eq!(pool.map(&Squares, &[3]).unwrap(), [9]);
}

#[test]
fn a_worker_that_never_says_hello_costs_one_startup_timeout_not_two() {
    let dir = tempfile::tempdir().unwrap();
    let starts = dir.path().join("starts");
    let program = fake_worker(dir.path(), "deaf", &format!("echo >> '{}'; exec sleep 60", starts.display()));
    let timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = common::fake_pool(2, &program).startup_timeout(timeout).build().unwrap_err();
    let elapsed = started.elapsed();
    assert!(err.to_string().contains("did not say hello within 1s"), "{err}");
    let starts = std::fs::read_to_string(&starts).unwrap().lines().count();
    // Waiting again cannot make a deaf program speak: one start per worker, one timeout in all.
    assert_eq!(starts, 2, "every start after the first two waits another full timeout");
    assert!(elapsed < 2 * timeout, "took {elapsed:?} for a {timeout:?} startup timeout");
}

/// A fake worker that counts its starts in `dir/starts` and exits at once, saying so on stderr,
/// on every start numbered in `failing`; every other start execs the real worker. The count is
/// renamed into place, so a test reading it while the pool keeps starting workers never sees the
/// file half written (a CI run read it empty).
fn flaky_worker(dir: &std::path::Path, failing: std::ops::RangeInclusive<u32>) -> std::path::PathBuf {
    let starts = dir.join("starts");
    let body = format!(
        "n=$(( $(cat '{starts}' 2>/dev/null || echo 0) + 1 )); echo $n > '{starts}.$$'; mv '{starts}.$$' '{starts}'\n\
         if [ $n -ge {first} ] && [ $n -le {last} ]; then echo \"start $n refused\" >&2; exit 1; fi\n\
         exec '{worker}' \"$@\"",
        starts = starts.display(),
        first = failing.start(),
        last = failing.end(),
        worker = common::worker().display(),
    );
    fake_worker(dir, "flaky", &body)
}

fn starts_of(dir: &std::path::Path) -> u32 {
    std::fs::read_to_string(dir.join("starts")).unwrap().trim().parse().unwrap()
}

#[test]
fn a_pool_whose_replacements_fail_to_start_keeps_trying_until_it_is_back_to_full_size() {
    let dir = tempfile::tempdir().unwrap();
    // Start 1 builds the pool; the five replacements after it die before their hello.
    let program = flaky_worker(dir.path(), 2..=6);
    let pool = common::fake_pool(1, &program).chunking(Chunking::fixed(1)).build().unwrap();
    let results = pool.map_each(&Fault, &[FaultAction::Kill]);
    assert!(results[0].as_ref().unwrap_err().is_worker_death(), "{results:?}");
    assert_eq!(starts_of(dir.path()), 7, "five failed starts, then one that works");
    assert_full_and_alive(&pool, 1);
    assert_eq!(pool.map(&Squares, &[3]).unwrap(), [9]);
}

#[test]
fn a_map_without_any_worker_fails_its_tasks_saying_how_many_starts_failed_and_that_the_pool_keeps_trying() {
    let dir = tempfile::tempdir().unwrap();
    let program = flaky_worker(dir.path(), 2..=u32::MAX);
    let pool = common::fake_pool(1, &program)
        .startup_timeout(Duration::from_secs(1))
        .chunking(Chunking::fixed(1))
        .build()
        .unwrap();
    let results = pool.map_each(&Fault, &[FaultAction::Kill, FaultAction::Return(1), FaultAction::Return(2)]);
    assert!(results[0].as_ref().unwrap_err().is_worker_death(), "{results:?}");
    let failed = starts_of(dir.path()) - 1;
    // Three was where the pool used to stop for good; a second of backoff from 5 ms holds eight.
    assert!(failed >= 5, "only {failed} starts were tried in the second the pool had");
    for result in &results[1..] {
        let err = result.as_ref().unwrap_err();
        let text = err.to_string();
        assert!(err.is_pool_error(), "{text}");
        assert!(text.contains("starts in a row failed"), "{text}");
        assert!(
            text.contains("exited with code 1 before saying hello") && text.contains("refused"),
            "{text}"
        );
        assert!(text.contains("the pool tries again"), "{text}");
    }
    assert_eq!(pool.worker_pids(), Vec::<u32>::new(), "no worker could be had");

    let results = pool.map_each(&Squares, &[1, 2]);
    assert!(results.iter().all(Result::is_err), "{results:?}");
    assert!(starts_of(dir.path()) - 1 > failed, "the next map tried again");
}

#[test]
fn a_configured_frame_limit_holds_on_requests_and_limits_out_of_range_are_refused() {
    let pool = process_pool(1).max_frame_len(64 << 10).chunking(Chunking::fixed(100)).build().unwrap();
    // A hundred 1 KiB inputs in one chunk: a 100 KiB request, over the 64 KiB limit.
    let results = pool.map_each(&Fault, &vec![FaultAction::Fail("x".repeat(1 << 10)); 100]);
    for result in results {
        let err = result.unwrap_err();
        assert!(err.is_pool_error() && err.to_string().contains("64 KiB"), "{err}");
    }
    assert_eq!(pool.map(&Squares, &[3]).unwrap(), [9]);
    for bytes in [(64 << 10) - 1, u32::MAX as usize + 1] {
        let err = process_pool(1).max_frame_len(bytes).build().unwrap_err();
        assert!(err.is_pool_error() && err.to_string().contains(&format!("got {bytes}")), "{err}");
    }
}

#[test]
fn the_tasks_of_a_request_over_the_frame_limit_share_one_error() {
    let pool = process_pool(1).max_frame_len(64 << 10).chunking(Chunking::fixed(10_000)).build().unwrap();
    // Ten thousand 10-byte inputs in one chunk: a request of about 130 KiB, over the limit.
    let errors: Vec<_> = pool
        .map_each(&Fault, &vec![FaultAction::Fail("x".repeat(10)); 10_000])
        .into_iter()
        .map(Result::unwrap_err)
        .collect();
    // One message in memory for the chunk, however many tasks: not one formatted copy per task.
    assert!(errors.iter().all(|err| err.is_same_failure(&errors[0])), "each task has its own copy");
    let text = errors[0].to_string();
    assert!(text.starts_with("tasks 0 to 9999 were not sent: "), "{text}");
    assert!(text.contains("over the 64 KiB frame limit") && text.contains("Chunking::Fixed"), "{text}");

    let pool = process_pool(1).codec(Codec::Json).max_frame_len(64 << 10).build().unwrap();
    let err = pool.map(&Fault, &[FaultAction::Fail("x".repeat(100 << 10))]).unwrap_err();
    let text = err.to_string();
    // A smaller chunk cannot help a chunk of one: a smaller input or a more compact codec can.
    assert!(text.starts_with("task 0 was not sent: "), "{text}");
    assert!(!text.contains("chunk size") && text.contains("postcard"), "{text}");
}

#[test]
fn a_task_whose_result_is_over_the_frame_limit_is_told_that_it_ran_and_what_can_help() {
    for codec in Codec::ALL {
        let pool = process_pool(1)
            .codec(codec)
            .max_frame_len(64 << 10)
            .chunking(Chunking::fixed(1))
            .build()
            .unwrap();
        // 45000! is 79 KB in postcard, more in JSON.
        let results = pool.map_each(&Factorial, &[45_000, 10]);
        let err = results[0].as_ref().unwrap_err();
        let text = err.to_string();
        assert!(err.is_pool_error() && err.task() == Some(0), "{text}");
        assert!(text.starts_with("task 0 ran, but its result is too large to send back: "), "{text}");
        assert!(text.contains("bytes, over the 64 KiB frame limit"), "{text}");
        assert!(!text.contains("chunk size") && !text.contains("refused"), "{text}");
        assert_eq!(text.contains("postcard"), codec == Codec::Json, "{text}");
        assert_eq!(results[1].as_ref().ok(), Some(&3_628_800u32.into()));
    }
}

#[test]
fn a_chunk_whose_results_together_pass_the_frame_limit_comes_back_in_pieces() {
    let pool = process_pool(1).max_frame_len(64 << 10).chunking(Chunking::fixed(4)).build().unwrap();
    // Four results of 32 KB each: 128 KB for one chunk, though each fits the 64 KiB limit.
    assert_same_as_sequential(&pool, &Factorial, &[20_000, 20_000, 20_000, 20_000, 7]);
}

#[test]
fn a_hung_task_in_a_long_chunk_is_noticed_after_one_task_timeout_not_one_per_task_of_the_chunk() {
    // One worker and Python's chunking: 1,000 tasks go out in chunks of 250.
    let timeout = Duration::from_millis(200);
    let pool = process_pool(1).task_timeout(timeout).build().unwrap();
    let mut inputs: Vec<FaultAction> = (0..1_000).map(FaultAction::Return).collect();
    inputs[100] = FaultAction::Hang(Duration::from_secs(120));
    let started = Instant::now();
    let results = pool.map_each(&Fault, &inputs);
    let elapsed = started.elapsed();
    // A deadline of the timeout times the chunk's length would be 50 s for this chunk: the bound
    // is generous, the point is that the wait does not grow with the chunk.
    assert!(elapsed < Duration::from_secs(5), "a {timeout:?} timeout noticed after {elapsed:?}");
    let err = results[100].as_ref().unwrap_err();
    assert!(err.is_timeout() && err.task() == Some(100), "{err}");
    for (index, result) in results.iter().enumerate().filter(|(index, _)| *index != 100) {
        assert_eq!(result.as_ref().ok(), Some(&(index as u64)), "task {index}");
    }
    assert_full_and_alive(&pool, 1);
}

#[test]
fn a_pool_built_on_a_thread_that_has_ended_keeps_its_workers() {
    // Linux sends a parent-death signal when the thread that started a child ends, not the
    // process: workers asking for one must not be started by the thread that builds the pool.
    let pool = std::thread::spawn(|| process_pool(2).build().unwrap()).join().unwrap();
    let before = pool.worker_pids();
    std::thread::sleep(Duration::from_millis(300));
    assert_full_and_alive(&pool, 2);
    assert_same_as_sequential(&pool, &Squares, &[1, 2, 3]);
    assert_eq!(pool.worker_pids(), before, "the same workers, none lost and replaced");
}
