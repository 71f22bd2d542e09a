//! The two builds: the base checked out in a git worktree of its own and built in a target
//! directory of its own, the head built where it is; and each bench binary's benchmark ids.
//!
//! The base's worktree and target directory are kept between runs (`<target>/gate/base` and
//! `<target>/gate/base-target`): checking out another commit there rewrites only the files that
//! differ, so cargo rebuilds only what changed, and a gate against the same base is as warm as a
//! build of the head. A target directory shared by both sides would let one side's bench binary
//! stand in for the other's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::Error;
use crate::env::SERVE;

/// How long listing one bench binary's benchmarks may take (it starts nothing).
const LIST_TIMEOUT: Duration = Duration::from_secs(60);

/// One side, built: its bench binaries and which benchmark each runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Built {
    /// Every benchmark id, with the bench binary that runs it.
    pub ids: BTreeMap<String, PathBuf>,
    /// How long building and listing took.
    pub took: Duration,
}

/// The commit `rev` names in the repository at `repo`.
///
/// # Errors
///
/// When git cannot resolve it.
pub(crate) fn resolve(repo: &Path, rev: &str) -> Result<String, Error> {
    let output = git(repo, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])?;
    let commit = output.trim();
    if commit.is_empty() {
        return Err(Error::input(format!(
            "--base {rev}: git knows no such commit in {}; give a branch, tag or commit (fetch it first in a \
             shallow clone)",
            repo.display()
        )));
    }
    Ok(commit.to_owned())
}

/// The repository's top directory, from `dir`.
///
/// # Errors
///
/// When `dir` is not in a git checkout.
pub(crate) fn toplevel(dir: &Path) -> Result<PathBuf, Error> {
    let output = git(dir, &["rev-parse", "--show-toplevel"]).map_err(|err| {
        Error::input(format!("{err}; run poolbench gate from inside the git checkout of the head"))
    })?;
    Ok(PathBuf::from(output.trim()))
}

/// Whether the checkout at `repo` has changes not committed.
pub(crate) fn is_dirty(repo: &Path) -> bool {
    git(repo, &["status", "--porcelain"]).is_ok_and(|status| !status.trim().is_empty())
}

/// Checks `commit` out, detached, in the worktree at `dir`, adding the worktree when it is not
/// one yet.
///
/// # Errors
///
/// When git fails.
pub(crate) fn check_out(repo: &Path, commit: &str, dir: &Path) -> Result<(), Error> {
    if dir.join(".git").exists() {
        git(dir, &["checkout", "--quiet", "--detach", "--force", commit])?;
        git(dir, &["clean", "--quiet", "-fd"])?;
    } else {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|err| Error::input(format!("cannot create {}: {err}", parent.display())))?;
        }
        // A worktree removed by hand is still registered: forget it first.
        let _ = git(repo, &["worktree", "prune"]);
        let path = dir.to_string_lossy();
        git(repo, &["worktree", "add", "--quiet", "--detach", "--force", &path, commit])?;
    }
    Ok(())
}

/// The cargo target directory of the package at `checkout`.
///
/// # Errors
///
/// When `cargo metadata` fails.
pub(crate) fn target_dir(checkout: &Path) -> Result<PathBuf, Error> {
    #[derive(Deserialize)]
    struct Metadata {
        target_directory: PathBuf,
    }
    let output = Command::new(cargo())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(checkout)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| Error::input(format!("cannot run cargo metadata in {}: {err}", checkout.display())))?;
    if !output.status.success() {
        return Err(Error::input(format!("cargo metadata failed in {}", checkout.display())));
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout)
        .map_err(|err| Error::input(format!("cannot read cargo metadata's answer: {err}")))?;
    Ok(metadata.target_directory)
}

/// Builds the bench targets of the package at `checkout` (release profile, as `cargo bench`
/// does) in `target` (`None`: cargo's own choice) and lists their benchmark ids.
///
/// # Errors
///
/// When cargo fails, builds no bench, a binary cannot list its benchmarks, or two binaries
/// list the same id.
pub(crate) fn build(checkout: &Path, target: Option<&Path>) -> Result<Built, Error> {
    let started = Instant::now();
    let mut command = Command::new(cargo());
    command
        .args(["bench", "--no-run", "--message-format=json-render-diagnostics"])
        .current_dir(checkout)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(target) = target {
        command.env("CARGO_TARGET_DIR", target);
    }
    let output = command
        .output()
        .map_err(|err| Error::input(format!("cannot run cargo bench in {}: {err}", checkout.display())))?;
    if !output.status.success() {
        return Err(Error::input(format!(
            "cargo bench --no-run failed in {} (its messages are above)",
            checkout.display()
        )));
    }
    let programs = bench_executables(&String::from_utf8_lossy(&output.stdout));
    if programs.is_empty() {
        return Err(Error::input(format!(
            "cargo built no bench target in {}; the gate serves the benchmarks of bench targets built on \
             poolbench::main!",
            checkout.display()
        )));
    }
    let ids = list_all(&programs)?;
    Ok(Built { ids, took: started.elapsed() })
}

/// Lists each of `programs`' benchmark ids.
///
/// # Errors
///
/// When a program cannot list, or two list the same id.
pub(crate) fn list_all(programs: &[PathBuf]) -> Result<BTreeMap<String, PathBuf>, Error> {
    let mut ids = BTreeMap::new();
    for program in programs {
        for id in list(program)? {
            if let Some(other) = ids.insert(id.clone(), program.clone()) {
                return Err(Error::input(format!(
                    "the benchmark {id} is in both {} and {}; ids must be unique across bench targets",
                    other.display(),
                    program.display()
                )));
            }
        }
    }
    Ok(ids)
}

/// The executables of the bench targets in cargo's JSON messages.
fn bench_executables(messages: &str) -> Vec<PathBuf> {
    #[derive(Deserialize)]
    struct Message {
        reason: String,
        target: Option<Target>,
        executable: Option<PathBuf>,
    }
    #[derive(Deserialize)]
    struct Target {
        kind: Vec<String>,
    }
    let mut programs: Vec<PathBuf> = messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Message>(line).ok())
        .filter(|message| message.reason == "compiler-artifact")
        .filter(|message| {
            message.target.as_ref().is_some_and(|target| target.kind.iter().any(|kind| kind == "bench"))
        })
        .filter_map(|message| message.executable)
        .collect();
    programs.sort();
    programs.dedup();
    programs
}

/// The benchmark ids `program --bench --list` prints (`<id>: benchmark` lines).
fn list(program: &Path) -> Result<Vec<String>, Error> {
    let scratch = tempfile::tempdir()
        .map_err(|err| Error::input(format!("cannot create a scratch directory: {err}")))?;
    let mut child = Command::new(program)
        .args(["--bench", "--list"])
        .env_remove(SERVE)
        .env("CRITERION_HOME", scratch.path())
        .current_dir(scratch.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| Error::input(format!("cannot run {}: {err}", program.display())))?;
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stdout) = stdout {
            let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        }
        text
    });
    let stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        }
        text
    });
    let deadline = Instant::now() + LIST_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::input(format!(
                    "{} --bench --list did not finish within {LIST_TIMEOUT:?}",
                    program.display()
                )));
            }
        }
    };
    let text = reader.join().unwrap_or_default();
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(Error::input(format!(
            "{} --bench --list exited with {status}: {}",
            program.display(),
            errors.trim()
        )));
    }
    Ok(text.lines().filter_map(|line| line.strip_suffix(": benchmark")).map(str::to_owned).collect())
}

fn git(dir: &Path, args: &[&str]) -> Result<String, Error> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| Error::input(format!("cannot run git in {}: {err}", dir.display())))?;
    if !output.status.success() {
        return Err(Error::input(format!(
            "git {} failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Cargo as cargo ran us (`$CARGO`), else the one on the path.
fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_executables_are_read_from_cargo_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"x"},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"kind":["bench"],"name":"main"},"executable":"/t/release/deps/main-1"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
            "\nnot json\n",
        );
        assert_eq!(bench_executables(messages), vec![PathBuf::from("/t/release/deps/main-1")]);
    }
}
