//! Helpers shared by the integration tests.

#![allow(dead_code, reason = "each test binary uses its own subset of these helpers")]

use std::sync::OnceLock;
use std::time::Duration;

use poolbench::workload::{LatencyServer, Workload};
use poolbench::{AnyExecutor, Executor, ExecutorKind, Sequential};

/// The notebook's pool sizes.
pub const SIZES: [usize; 3] = [2, 4, 8];

/// One executor of every pool kind at every size in [`SIZES`], plus [`Sequential`], built once
/// per test binary: starting pools per proptest case would test start-up, not answers.
pub fn executors() -> &'static [AnyExecutor] {
    static EXECUTORS: OnceLock<Vec<AnyExecutor>> = OnceLock::new();
    EXECUTORS.get_or_init(|| {
        let mut executors = vec![AnyExecutor::Sequential(Sequential)];
        for kind in ExecutorKind::ALL.into_iter().filter(|kind| kind.is_pool()) {
            for size in SIZES {
                executors.push(kind.build(size).unwrap_or_else(|err| panic!("{kind} of {size}: {err}")));
            }
        }
        executors
    })
}

/// A latency server shared by the tests of one binary, answering after 50 µs.
pub fn latency_server() -> &'static LatencyServer {
    static SERVER: OnceLock<LatencyServer> = OnceLock::new();
    SERVER.get_or_init(|| LatencyServer::start(Duration::from_micros(50)).expect("start the latency server"))
}

/// Asserts that `executor` gives exactly what [`Sequential`] gives, and that Sequential gives
/// what the workload's independent reference computes (every workload tested here has one).
pub fn assert_same_as_sequential<W: Workload>(executor: &impl Executor, workload: &W, inputs: &[W::Input]) {
    let expected = Sequential.map(workload, inputs).expect("the sequential run succeeds");
    for (input, output) in inputs.iter().zip(&expected) {
        let reference =
            workload.reference(input).unwrap_or_else(|| panic!("{} has no reference", workload.name()));
        assert_eq!(Ok(output), reference.as_ref(), "Sequential vs the reference on {input:?}");
    }
    let got = executor.map(workload, inputs).unwrap_or_else(|err| {
        panic!("{} of {} on {}: {err}", executor.kind(), executor.size(), workload.name())
    });
    assert_eq!(got, expected, "{} of {} on {}", executor.kind(), executor.size(), workload.name());
}

// Every test binary that includes this module is its own worker process: the process pools of
// its tests start it again, and it serves them instead of running its tests.
poolbench::worker_entry!();

/// The worker program of this test binary's pools: the test binary itself.
pub fn worker() -> std::path::PathBuf {
    std::env::current_exe().expect("the test binary's path")
}

/// A process pool builder with a short shutdown timeout, so that tests with misbehaving workers
/// end quickly; its workers are this test binary.
pub fn process_pool(size: usize) -> poolbench::ProcessPoolBuilder {
    poolbench::ProcessPool::builder().size(size).shutdown_timeout(Duration::from_millis(200))
}

/// A pool whose workers are `program`, each executed: a fake worker (a shell script) plays a
/// worker, not a fork server.
pub fn fake_pool(size: usize, program: &std::path::Path) -> poolbench::ProcessPoolBuilder {
    process_pool(size).start(poolbench::executor::process::WorkerStart::Exec).worker_program(program)
}

/// Runs this test binary as a worker would be run, by hand: `POOLBENCH_ROLE=worker` with the
/// settings `args`, without the pool's pipes. Returns the exit code and stderr.
pub fn run_worker_by_hand(args: &str) -> (Option<i32>, String) {
    let output = std::process::Command::new(worker())
        .env("POOLBENCH_ROLE", "worker")
        .env("POOLBENCH_WORKER_ARGS", args)
        .output()
        .expect("the test binary runs");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Writes an executable shell script into `dir` and returns its path: a fake worker.
pub fn fake_worker(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write the fake worker");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
    path
}

/// The state letter of process `pid` from `/proc/<pid>/stat` (`R`, `S`, `Z`...), or `None` if it
/// no longer exists.
///
/// # Panics
///
/// Without a readable `/proc`, where every process would look gone and a test that a process
/// ended could not fail.
pub fn process_state(pid: u32) -> Option<char> {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        require_proc();
        return None;
    };
    // The command name is in parentheses and may hold spaces: the state follows the last ')'.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// The pids of this process's children, alive or zombie, from `/proc/*/stat`.
///
/// # Panics
///
/// Without a readable `/proc`, where there would seem to be no children and a test that none are
/// left could not fail.
pub fn children_of_this_process() -> Vec<u32> {
    children_of(std::process::id())
}

/// The pids of `parent`'s children, alive or zombie, from `/proc/*/stat`.
///
/// # Panics
///
/// As [`children_of_this_process`].
pub fn children_of(parent: u32) -> Vec<u32> {
    let me = parent;
    require_proc();
    let entries = std::fs::read_dir("/proc").unwrap_or_else(|err| panic!("read /proc: {err}"));
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|stat| {
                let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
                fields.get(1)?.parse::<u32>().ok()
            }) == Some(me)
        })
        .collect()
}

/// This process's fork servers: its children started in the zygote role, which live as long as
/// the process and fork the workers of its pools.
pub fn fork_servers() -> Vec<u32> {
    children_of_this_process()
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                environ.split(|&byte| byte == 0).any(|entry| entry == b"POOLBENCH_ROLE=zygote")
            })
        })
        .collect()
}

/// The worker processes this process's pools started that are still there, zombies included:
/// its children but the fork servers, and the fork servers' children.
pub fn workers_left() -> Vec<u32> {
    let servers = fork_servers();
    let mut left: Vec<u32> =
        children_of_this_process().into_iter().filter(|pid| !servers.contains(pid)).collect();
    left.extend(servers.iter().flat_map(|&server| children_of(server)));
    left
}

/// Waits up to 10 s for every worker to be gone (reaping goes on after a pool is dropped);
/// returns those still there.
pub fn workers_left_after_reaping() -> Vec<u32> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = workers_left();
        if left.is_empty() || std::time::Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn require_proc() {
    if let Err(err) = std::fs::read_to_string("/proc/self/stat") {
        panic!("/proc/self/stat: {err}; these tests read process states from /proc (Linux)");
    }
}

/// Copies the directory tree `from` into `to` (created), so a test can damage its own copy of a
/// shared fixture.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|err| panic!("create {}: {err}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|err| panic!("read {}: {err}", from.display())) {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|err| panic!("copy {}: {err}", entry.path().display()));
        }
    }
}

/// The JSON file at `path`, parsed; a panic names the file.
pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Every file called `name` under `dir`, however deep, in a stable order.
pub fn files_named(dir: &std::path::Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("read {}: {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry"))
        .collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        if entry.file_type().expect("a file type").is_dir() {
            found.extend(files_named(&entry.path(), name));
        } else if entry.file_name() == name {
            found.push(entry.path());
        }
    }
    found
}

/// Decodes the `%XX` escapes of a URL path (the report percent-encodes Criterion's directory names).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes.get(index + 1..index + 3).and_then(|hex| std::str::from_utf8(hex).ok());
        match (bytes[index], hex.and_then(|hex| u8::from_str_radix(hex, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).expect("UTF-8 after decoding")
}

/// Panics unless `python3` on `PATH` runs: a test of the Python peers without an interpreter
/// must fail, saying what to install, never pass without having run.
pub fn require_python3() {
    match std::process::Command::new("python3").arg("--version").output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "python3 --version {}: {}; the Python peers' tests need a working Python 3.8 or later",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => panic!(
            "python3 is not on PATH: install Python 3.8 or later to run the Python peers' tests \
             (a plain cargo test leaves them out; .ci/run runs them)"
        ),
        Err(err) => panic!("python3 --version: {err}"),
    }
}

/// A directory under cargo's per-target temporary directory that outlives the test binary (a
/// fixture in a static is never dropped), named `<prefix><random>`. Fixtures with the same prefix
/// left by runs more than ten minutes old are removed first; recent ones may belong to a test
/// binary running beside this one.
pub fn kept_fixture_dir(prefix: &str) -> std::path::PathBuf {
    let parent = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    if let Ok(entries) = std::fs::read_dir(parent) {
        for entry in entries.filter_map(Result::ok) {
            let stale = entry
                .metadata()
                .and_then(|metadata| metadata.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(600));
            if stale && entry.file_name().to_string_lossy().starts_with(prefix) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(parent)
        .expect("a temporary directory for the fixture")
        .keep()
}

/// The fixture directory kept in `cell`: on first use a [`kept_fixture_dir`] named by `prefix`,
/// filled by `fill`, and the same directory for every later test of the binary.
pub fn kept_fixture(
    cell: &'static OnceLock<std::path::PathBuf>,
    prefix: &str,
    fill: impl FnOnce(&std::path::Path),
) -> &'static std::path::Path {
    cell.get_or_init(|| {
        let dir = kept_fixture_dir(prefix);
        fill(&dir);
        dir
    })
}

/// A Criterion writing to `dir`, short enough for a test fixture (10 samples, 20 ms warm-up,
/// 100 ms measurement, 1,000 resamples) and real all the same: its files are what `cargo bench`
/// writes. Plots are off; a test that follows the links into them turns them on.
pub fn tiny_criterion(dir: &std::path::Path) -> criterion::Criterion {
    criterion::Criterion::default()
        .output_directory(dir)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(20))
        .measurement_time(Duration::from_millis(100))
        .nresamples(1_000)
        .without_plots()
}

/// Writes the report of the Criterion results in `criterion_dir` into `latest` in a fresh
/// temporary directory: the directory, which the report lives as long as, and what was written.
pub fn write_report(criterion_dir: &std::path::Path) -> (tempfile::TempDir, poolbench::report::Written) {
    let out = tempfile::tempdir().expect("a temporary directory");
    let options = poolbench::report::Options::with_dirs(criterion_dir.to_owned(), out.path().join("latest"));
    let written = poolbench::report::write(&options).unwrap_or_else(|err| panic!("the report: {err}"));
    (out, written)
}

/// [`write_report`], and the `summary.json` it wrote, read back from the file.
pub fn write_and_read_report(
    criterion_dir: &std::path::Path,
) -> (tempfile::TempDir, poolbench::report::Written, poolbench::schema::Summary) {
    let (out, written) = write_report(criterion_dir);
    let summary = poolbench::schema::Summary::read(&written.summary_json).expect("summary.json reads back");
    (out, written, summary)
}

/// Runs this build's `poolbench` with `args` and returns its exit code, stdout and stderr. It runs
/// in cargo's temporary directory, where no `poolbench-compare.toml` of the checkout applies.
pub fn poolbench<I, S>(args: I) -> (Option<i32>, String, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_poolbench"))
        .args(args)
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .env_remove("CRITERION_HOME")
        .output()
        .expect("poolbench runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs this test binary again as a child, its ignored test `child` alone with `env` set to
/// `case`, Criterion's files (and poolbench's beside them) in `criterion_dir`; returns the exit
/// code and stderr. For what must run in a process of its own: a sweep writes its files where
/// `CRITERION_HOME` says, and what it starts is counted from `/proc`.
pub fn run_child(env: &str, case: &str, criterion_dir: &std::path::Path) -> (Option<i32>, String) {
    // One child at a time: a sweep judges its rounds against the machine's load, which the other
    // tests of this binary, run on threads beside it, would be.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let output = std::process::Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads", "1"])
        .env(env, case)
        // The path of the rounds is what is tested, not the machine's quiet: on a machine busy
        // with other work every round would be dropped.
        .env(poolbench::env::MAX_DISTURBANCE, "1")
        .env("CRITERION_HOME", criterion_dir)
        .output()
        .expect("the child runs");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// A Criterion for a [`run_child`] child: quick, writing where the parent said, running the
/// benchmarks `filter` accepts.
pub fn child_criterion(filter: criterion::BenchmarkFilter) -> criterion::Criterion {
    let dir = std::env::var_os("CRITERION_HOME").expect("the parent names the Criterion directory");
    tiny_criterion(std::path::Path::new(&dir)).with_benchmark_filter(filter)
}
