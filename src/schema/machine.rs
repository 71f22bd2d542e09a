//! The machine a report was written on: every report carries it, because pool sizes only mean
//! something next to a core count (sizes above it oversubscribe).
//!
//! Detection never fails: what cannot be found is `"unknown"`, or absent for the git state
//! outside a checkout. The rustc is the one on `PATH` (or `$RUSTC`) when the report is written,
//! which under cargo is the toolchain that built the benchmarks.

use std::process::Command;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::CoreLimit;

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
            date: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        }
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
}
