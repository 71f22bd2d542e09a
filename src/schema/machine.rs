//! The machine a report was written on: every report carries it, because pool sizes only mean
//! something next to a core count (sizes above it oversubscribe).
//!
//! Detection never fails: what cannot be found is `"unknown"`, or absent for the git state
//! outside a checkout. The rustc is the one on `PATH` (or `$RUSTC`) when the report is written,
//! which under cargo is the toolchain that built the benchmarks.

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::CoreLimit;

/// The machine file, `poolbench-machine.json` in Criterion's directory: the machine a bench run
/// measures on, written as the run starts, so that a report written later from the same results
/// (`poolbench report`, on another machine, under another CPU set or at another commit) states
/// the run's cores, CPU and commit, not its own. `{"version": 1, "machine": Machine}`.
pub const MACHINE_FILE: &str = "poolbench-machine.json";
/// The machine file's format version.
pub const MACHINE_VERSION: u32 = 1;
/// The largest machine file read: a machine is a few hundred bytes.
const MAX_MACHINE_FILE_BYTES: u64 = 64 << 10;

#[derive(Serialize, Deserialize)]
struct MachineFile {
    version: u32,
    machine: Machine,
}

/// A fingerprint of the machine and the source tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical cores this process may use (`std::thread::available_parallelism`): its CPU
    /// affinity capped by its cgroup's CPU quota, so `taskset -c 0 cargo bench` writes 1. Pool
    /// sizes above it oversubscribe.
    pub cores: usize,
    /// The CPUs the machine has online (`sysconf(_SC_NPROCESSORS_ONLN)`), whatever this process
    /// may use of them; `None` in files written before the field existed.
    #[serde(default)]
    pub online_cpus: Option<usize>,
    /// What held [`cores`](Self::cores) below [`online_cpus`](Self::online_cpus): the CPU
    /// affinity or the cgroup's quota; `None` when nothing did.
    #[serde(default)]
    pub cores_limit: Option<CoreLimit>,
    /// The CPU model (`model name` of `/proc/cpuinfo`), or `"unknown"`.
    pub cpu_model: String,
    /// The operating system and, where known, its kernel release: `linux 6.8.0-1021-gcp`.
    pub os: String,
    /// The CPU architecture: `x86_64`, `aarch64`, ...
    pub arch: String,
    /// `rustc --version`, or `"unknown"`.
    pub rustc: String,
    /// The git commit of the current directory's checkout; `None` outside one.
    pub git: Option<GitState>,
    /// When the report was written, RFC 3339 in UTC: `2025-01-31T12:00:00Z`.
    pub date: String,
}

/// Which commit was measured, and whether the tree had changes on top of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitState {
    /// `git rev-parse HEAD`.
    pub commit: String,
    /// Whether `git status --porcelain` listed anything: the numbers may not be the commit's.
    pub dirty: bool,
}

impl Machine {
    /// Detects the machine this process (its calling thread's CPU affinity) runs on, and the git state of the current directory.
    pub fn detect() -> Self {
        let cores = super::cores::detect();
        Machine {
            cores: cores.usable,
            online_cpus: cores.online,
            cores_limit: cores.limit,
            cpu_model: cpu_model().unwrap_or_else(|| "unknown".to_owned()),
            os: os(),
            arch: std::env::consts::ARCH.to_owned(),
            rustc: rustc().unwrap_or_else(|| "unknown".to_owned()),
            git: git(),
            date: Self::detect_date(),
        }
    }

    /// Now, as [`date`](Self::date) says it.
    pub(crate) fn detect_date() -> String {
        humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
    }

    /// Records this machine as the one the benchmarks in `criterion_dir` are measured on
    /// ([`MACHINE_FILE`]), replacing the file whole.
    ///
    /// # Errors
    ///
    /// The directory or the file cannot be written: the message names the path.
    pub fn record_in(&self, criterion_dir: &Path) -> Result<(), String> {
        let path = criterion_dir.join(MACHINE_FILE);
        let file = MachineFile { version: MACHINE_VERSION, machine: self.clone() };
        let text = serde_json::to_string_pretty(&file).map_err(|err| err.to_string())?;
        std::fs::create_dir_all(criterion_dir)
            .and_then(|()| crate::fs::write_atomically(&path, (text + "\n").as_bytes()))
            .map_err(|err| format!("cannot write {}: {err}", path.display()))
    }

    /// The machine a bench run recorded in `criterion_dir`: `Ok(None)` when none did (results
    /// of an older poolbench, or of a plain Criterion bench).
    ///
    /// # Errors
    ///
    /// The file is there but cannot be read, is too large, or is not a machine file of this
    /// version: the message names the path and says what to do.
    pub fn recorded_in(criterion_dir: &Path) -> Result<Option<Machine>, String> {
        let path = criterion_dir.join(MACHINE_FILE);
        let bytes = match crate::fs::read_regular_file(&path, MAX_MACHINE_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(crate::fs::ReadError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(err) => return Err(format!("{} cannot be read: {err}", path.display())),
        };
        let file: MachineFile = serde_json::from_slice(&bytes).map_err(|err| {
            format!("{} is not a machine file ({err}); run cargo bench again to rewrite it", path.display())
        })?;
        if file.version != MACHINE_VERSION {
            return Err(format!(
                "{} is version {}, this poolbench reads {MACHINE_VERSION}; run cargo bench again to rewrite it",
                path.display(),
                file.version
            ));
        }
        Ok(Some(file.machine))
    }

    /// The cores this process (its calling thread) may use: [`Machine::cores`] without the rest
    /// of the detection.
    pub fn usable_cores() -> usize {
        super::cores::detect().usable
    }

    /// The usable cores in words, with what limited them: `2 cores`, `1 core (of 2 online, by
    /// the CPU affinity)`.
    pub fn cores_in_words(&self) -> String {
        super::cores::Cores { usable: self.cores, online: self.online_cpus, limit: self.cores_limit }
            .in_words()
    }

    /// The machine in one line, for the top of a report.
    pub fn describe(&self) -> String {
        let git = match &self.git {
            Some(git) => {
                let short = git.commit.get(..12).unwrap_or(&git.commit);
                format!("commit {short}{}", if git.dirty { " (dirty tree)" } else { "" })
            }
            None => "not a git checkout".to_owned(),
        };
        format!(
            "{}, {}, {} {}, {}, {}, {}",
            self.cores_in_words(),
            self.cpu_model,
            self.os,
            self.arch,
            self.rustc,
            git,
            self.date
        )
    }
}

fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_owned())
    })
}

fn os() -> String {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok();
    match kernel.as_deref().map(str::trim).filter(|kernel| !kernel.is_empty()) {
        Some(kernel) => format!("{} {kernel}", std::env::consts::OS),
        None => std::env::consts::OS.to_owned(),
    }
}

fn rustc() -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    stdout_of(Command::new(rustc).arg("--version"))
}

fn git() -> Option<GitState> {
    let commit = stdout_of(Command::new("git").args(["rev-parse", "HEAD"]))?;
    let status = Command::new("git").args(["status", "--porcelain"]).output().ok()?;
    // A status that cannot be taken cannot vouch for a clean tree.
    let dirty = !status.status.success() || !status.stdout.is_empty();
    Some(GitState { commit, dirty })
}

/// The trimmed standard output of a command that succeeded, if it printed anything.
fn stdout_of(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_has_cores_a_date_and_a_one_line_description() {
        let machine = Machine::detect();
        assert!(machine.cores >= 1);
        assert!(humantime::parse_rfc3339(&machine.date).is_ok(), "{}", machine.date);
        let line = machine.describe();
        assert!(line.starts_with(&format!("{}, ", machine.cores_in_words())), "{line}");
        assert!(machine.cores_in_words().starts_with(&format!("{} core", machine.cores)));
    }

    #[test]
    fn a_recorded_machine_is_read_back_and_a_bad_file_is_named() {
        let dir = std::env::temp_dir().join(format!("poolbench-machine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(Machine::recorded_in(&dir), Ok(None), "no file, no machine");
        let mut machine = Machine::detect();
        machine.cores = 63;
        machine.cpu_model = "a recorded CPU".into();
        machine.record_in(&dir).unwrap();
        assert_eq!(Machine::recorded_in(&dir), Ok(Some(machine.clone())));
        std::fs::write(dir.join(MACHINE_FILE), "{\"version\": 1}").unwrap();
        let err = Machine::recorded_in(&dir).unwrap_err();
        assert!(err.contains(MACHINE_FILE) && err.contains("run cargo bench again"), "{err}");
        let newer = serde_json::json!({"version": 2, "machine": machine});
        std::fs::write(dir.join(MACHINE_FILE), newer.to_string()).unwrap();
        assert!(Machine::recorded_in(&dir).unwrap_err().contains("version 2"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
