//! The case files: what a sweep says of its group that Criterion's files do not, for the report.
//!
//! `poolbench-cases/<group>.json` in the Criterion directory, one per group, written by
//! [`Sweep::run`](crate::bench::Sweep::run) when the group's first benchmark runs:
//!
//! ```json
//! {"case_version": 1, "group": "mine/parse-json", "about": "parse 200 JSON documents", "tasks": 200,
//!  "end_to_end": false}
//! ```
//!
//! `end_to_end` is true for a [`Sweep::end_to_end`](crate::bench::Sweep::end_to_end) group (every
//! iteration starts and stops its pool); files written before it existed leave it out, read as
//! false.
//!
//! A group without a file is described by poolbench's catalog when it is one of poolbench's own,
//! and otherwise has no description and no tasks per second. The file name is the group id made
//! file-safe, with a hash of the id so that two ids never share one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Skipped;

/// The case files' directory, in the Criterion directory.
pub const CASES_DIR: &str = "poolbench-cases";

/// The version of the case file's format.
pub const CASE_VERSION: u32 = 1;

/// One group's case file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFile {
    /// [`CASE_VERSION`] when written.
    pub case_version: u32,
    /// The Criterion group id.
    pub group: String,
    /// What one iteration does, in a line.
    pub about: String,
    /// Tasks in one iteration, for tasks per second.
    pub tasks: u64,
    /// Whether every iteration starts and stops its pool, so that none is held between them.
    #[serde(default)]
    pub end_to_end: bool,
}

impl CaseFile {
    /// The file of `group` in `criterion_dir`.
    pub fn path(criterion_dir: &Path, group: &str) -> PathBuf {
        group_file(criterion_dir, CASES_DIR, group)
    }

    /// Writes the file into `criterion_dir`.
    ///
    /// # Errors
    ///
    /// The directory or the file cannot be written.
    pub fn write(&self, criterion_dir: &Path) -> std::io::Result<()> {
        let path = Self::path(criterion_dir, &self.group);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::fs::write_atomically(&path, &text)
    }

    /// Every case file in `criterion_dir`; files that cannot be read are listed with the reason.
    pub fn read_all(criterion_dir: &Path) -> (Vec<CaseFile>, Vec<Skipped>) {
        let (mut cases, mut skipped) = (Vec::new(), Vec::new());
        let Ok(entries) = std::fs::read_dir(criterion_dir.join(CASES_DIR)) else {
            return (cases, skipped);
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        paths.sort();
        for path in paths.into_iter().filter(|path| path.extension().is_some_and(|ext| ext == "json")) {
            let read = std::fs::read(&path)
                .map_err(|err| format!("cannot be read: {err}"))
                .and_then(|bytes| {
                    serde_json::from_slice::<CaseFile>(&bytes)
                        .map_err(|err| format!("is not a poolbench case file ({err})"))
                })
                .and_then(|case| match case.case_version {
                    CASE_VERSION => Ok(case),
                    other => Err(format!("has case version {other}; this poolbench reads {CASE_VERSION}")),
                });
            match read {
                Ok(case) => cases.push(case),
                Err(reason) => skipped.push(Skipped::new(&path, None, reason)),
            }
        }
        (cases, skipped)
    }
}

/// The file of `group` in the directory `dir` of `criterion_dir`: the group id made file-safe,
/// with a hash of the id so that two ids never share one.
pub(crate) fn group_file(criterion_dir: &Path, dir: &str, group: &str) -> PathBuf {
    let safe: String =
        group.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = group.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    criterion_dir.join(dir).join(format!("{safe}-{:08x}.json", hash as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_files_round_trip_and_two_ids_never_share_a_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let case = |group: &str| CaseFile {
            case_version: CASE_VERSION,
            group: group.to_owned(),
            about: "parse".to_owned(),
            tasks: 7,
            end_to_end: group == "a_b",
        };
        case("a/b").write(dir.path()).expect("written");
        case("a_b").write(dir.path()).expect("written");
        assert_ne!(CaseFile::path(dir.path(), "a/b"), CaseFile::path(dir.path(), "a_b"));
        std::fs::write(dir.path().join(CASES_DIR).join("broken.json"), "{").expect("written");
        let (mut cases, skipped) = CaseFile::read_all(dir.path());
        cases.sort_by(|a, b| a.group.cmp(&b.group));
        assert_eq!(cases, [case("a/b"), case("a_b")]);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].reason.contains("not a poolbench case file"), "{:?}", skipped[0]);
    }
}
