//! The two builds: the base checked out in a git worktree of its own and built in a target
//! directory of its own, the head built where it is; and each bench binary's benchmark ids.
//!
//! The base's worktree and target directory are kept between runs (`<target>/gate/base` and
//! `<target>/gate/base-target`): checking out another commit there rewrites only the files that
//! differ, so cargo rebuilds only what changed, and a gate against the same base is as warm as a
//! build of the head. A target directory shared by both sides would let one side's bench binary
//! stand in for the other's.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
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
/// When git cannot resolve it: the message names `rev` and says what to give instead.
pub(crate) fn resolve(repo: &Path, rev: &str) -> Result<String, Error> {
    // `--verify --quiet` says "no such commit" by exiting 1 with nothing on either stream, which
    // is not a failure of git's to report as one.
    let output =
        git(repo, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]).unwrap_or_default();
    let commit = output.trim();
    if commit.is_empty() {
        return Err(Error::input(format!(
            "--base {rev}: git knows no such commit in {}; give a branch, tag or commit of this repository \
             (`git log --oneline --all` lists them; in a shallow clone, fetch it first)",
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
/// The caller holds the work directory's lock ([`lock_work_dir`]), so no other gate uses the
/// worktree: a worktree a killed gate left broken (its `.git` missing, a stale `index.lock`) is
/// removed and checked out anew, and `progress` says so.
///
/// # Errors
///
/// When git fails on a fresh worktree too.
pub(crate) fn check_out(
    repo: &Path,
    commit: &str,
    dir: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    if dir.join(".git").exists() {
        let updated = git(dir, &["checkout", "--quiet", "--detach", "--force", commit])
            .and_then(|_| git(dir, &["clean", "--quiet", "-fd"]));
        match updated {
            Ok(_) => return Ok(()),
            Err(err) => progress(&format!(
                "the base's worktree {} cannot be updated ({err}): a gate stopped in the middle of it left it so; \
                 removing it and checking the base out anew",
                dir.display()
            )),
        }
    } else if dir.exists() {
        progress(&format!(
            "{} is no worktree (its .git is missing: a gate stopped while creating it?); removing it and checking \
             the base out anew",
            dir.display()
        ));
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|err| {
            Error::input(format!(
                "cannot remove the broken worktree {}: {err}; remove it by hand",
                dir.display()
            ))
        })?;
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|err| Error::input(format!("cannot create {}: {err}", parent.display())))?;
    }
    // A worktree removed by hand, or above, is still registered (with any lock it left): forget it.
    let _ = git(repo, &["worktree", "prune"]);
    let path = dir.to_string_lossy();
    git(repo, &["worktree", "add", "--quiet", "--detach", "--force", &path, commit])?;
    Ok(())
}

/// The work directory's lock: held while a gate uses the base's worktree and target directory
/// there, so that two gates never share them, and what one left behind is known to be stale.
#[derive(Debug)]
pub(crate) struct WorkDirLock {
    _file: std::fs::File,
}

/// Takes the lock of `work_dir` (creating the directory), without waiting.
///
/// # Errors
///
/// When another gate holds it, or the lock file cannot be created.
pub(crate) fn lock_work_dir(work_dir: &Path) -> Result<WorkDirLock, Error> {
    use std::os::fd::AsRawFd as _;
    std::fs::create_dir_all(work_dir)
        .map_err(|err| Error::input(format!("cannot create {}: {err}", work_dir.display())))?;
    let path = work_dir.join("gate.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|err| Error::input(format!("cannot create {}: {err}", path.display())))?;
    // SAFETY: flock on a descriptor this function owns; the kernel drops the lock when it closes.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(Error::input(format!(
            "another poolbench gate is using {} (it holds {}); wait for it to finish, or give --work-dir DIR",
            work_dir.display(),
            path.display()
        )));
    }
    Ok(WorkDirLock { _file: file })
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
    // In a process group of its own that dies with the gate: cargo's rustc processes too.
    let output = super::group::output(&mut command)
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
    let reader = read_on_a_thread(child.stdout.take());
    let errors = read_on_a_thread(child.stderr.take());
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

/// Reads all of a child's `stream` on a thread of its own, so that neither of its pipes can fill
/// and stall it while the other is read; what could not be read is left out.
fn read_on_a_thread(stream: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stream) = stream {
            let _ = stream.read_to_string(&mut text);
        }
        text
    })
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
pub(crate) mod tests {
    use super::*;

    /// A repository with two commits (and no package); returns it and the commits, oldest first.
    pub(crate) fn repository() -> (tempfile::TempDir, Vec<String>) {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let run = |args: &[&str]| {
            let status = Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@example.invalid",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("git runs");
            assert!(status.success(), "git {args:?}");
        };
        run(&["init", "--quiet"]);
        let mut commits = Vec::new();
        for text in ["one", "two"] {
            std::fs::write(dir.path().join("file"), text).expect("write");
            run(&["add", "file"]);
            run(&["commit", "--quiet", "-m", text]);
            commits.push(resolve(dir.path(), "HEAD").expect("HEAD"));
        }
        (dir, commits)
    }

    #[test]
    fn a_base_git_does_not_know_is_an_error_naming_it_and_what_to_give() {
        let (repo, _) = repository();
        let err = resolve(repo.path(), "does-not-exist").expect_err("no such commit").to_string();
        assert!(err.starts_with("--base does-not-exist: git knows no such commit in "), "{err}");
        assert!(err.contains("give a branch, tag or commit"), "{err}");
    }

    #[test]
    fn a_worktree_a_killed_gate_left_broken_is_checked_out_anew_and_said_so() {
        let (repo, commits) = repository();
        let work = tempfile::tempdir().expect("a scratch directory");
        let dir = work.path().join("base");
        let mut said = Vec::new();
        check_out(repo.path(), &commits[0], &dir, &mut |line| said.push(line.to_owned()))
            .expect("checked out");
        assert_eq!(std::fs::read_to_string(dir.join("file")).expect("read"), "one");
        assert!(said.is_empty(), "{said:?}");

        // A stale lock of the worktree's index, as git leaves it when killed mid-checkout.
        let git_dir = git(&dir, &["rev-parse", "--absolute-git-dir"]).expect("its git dir");
        std::fs::write(Path::new(git_dir.trim()).join("index.lock"), "").expect("a stale lock");
        check_out(repo.path(), &commits[1], &dir, &mut |line| said.push(line.to_owned())).expect("recovered");
        assert_eq!(std::fs::read_to_string(dir.join("file")).expect("read"), "two");
        assert!(said.len() == 1 && said[0].contains("cannot be updated"), "{said:?}");

        // A worktree without its .git, as a gate killed while adding it leaves it.
        std::fs::remove_file(dir.join(".git")).expect("remove .git");
        check_out(repo.path(), &commits[0], &dir, &mut |line| said.push(line.to_owned())).expect("recovered");
        assert_eq!(std::fs::read_to_string(dir.join("file")).expect("read"), "one");
        assert!(said.len() == 2 && said[1].contains("its .git is missing"), "{said:?}");
    }

    #[test]
    fn a_work_directory_is_used_by_one_gate_at_a_time() {
        let work = tempfile::tempdir().expect("a scratch directory");
        let held = lock_work_dir(work.path()).expect("the lock");
        let err = lock_work_dir(work.path()).expect_err("held").to_string();
        assert!(err.starts_with("another poolbench gate is using ") && err.contains("--work-dir"), "{err}");
        drop(held);
        lock_work_dir(work.path()).expect("free again");
    }

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
