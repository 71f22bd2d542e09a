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
/// what the workload's independent reference computes.
pub fn assert_same_as_sequential<W: Workload>(executor: &impl Executor, workload: &W, inputs: &[W::Input]) {
    let expected = Sequential.map(workload, inputs).expect("the sequential run succeeds");
    for (input, output) in inputs.iter().zip(&expected) {
        assert_eq!(
            Ok(output),
            workload.reference(input).as_ref(),
            "Sequential vs the reference on {input:?}"
        );
    }
    let got = executor.map(workload, inputs).unwrap_or_else(|err| {
        panic!("{} of {} on {}: {err}", executor.kind(), executor.size(), workload.name())
    });
    assert_eq!(got, expected, "{} of {} on {}", executor.kind(), executor.size(), workload.name());
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
