//! The one error type of the report: what stopped it from being written at all.
//!
//! A benchmark whose files cannot be read is not an error: it is skipped and listed (see
//! [`Skipped`](crate::schema::Skipped)), and the rest is still reported.

use std::path::{Path, PathBuf};

/// Why no report was written.
///
/// Opaque, as the executors' error is: its message names the directory or file and says what to
/// do; [`is_no_results`](Error::is_no_results) tells the one case a caller may want to treat
/// differently (a bench run that measured nothing).
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

#[derive(Debug, thiserror::Error)]
enum ErrorKind {
    #[error("{0}")]
    Criterion(crate::criterion::Error),
    #[error("{0}")]
    File(crate::schema::Error),
    #[error("cannot create the report directory {}: {source}; choose another with --out", .dir.display())]
    CreateDir { dir: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}; check that the directory is writable and the disk not full", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}; check its permissions, or move it away to start afresh", .path.display())]
    ReadFile { path: PathBuf, source: std::io::Error },
    #[error(
        "the report would write a summary.json that poolbench cannot read back ({reason}); \
         nothing was written: this is a bug in poolbench, please report it with the Criterion directory"
    )]
    Invalid { reason: String },
    #[error("cannot encode {file}: {source}")]
    Encode { file: &'static str, source: serde_json::Error },
    #[error(
        "poolbench merge needs the summary.json of at least two machines, one per machine; got {count}: \
         run cargo bench on each machine and pass each reports/latest/summary.json"
    )]
    TooFewSummaries { count: usize },
    #[error("{} is given twice; pass each machine's summary.json once", .path.display())]
    SamePath { path: PathBuf },
    #[error(
        "{} and {} are the same run (the same machine, written at {date}); pass one summary.json per machine",
        .first.display(), .second.display()
    )]
    SameRun { first: PathBuf, second: PathBuf, date: String },
    #[error(
        "{} measured commit {first_commit} and {} commit {second_commit}: numbers from different code do not \
         show how one program scales; measure one commit on every machine, or pass --allow-different-commits \
         to merge them with the difference flagged",
        .first.display(), .second.display()
    )]
    DifferentCommits { first: PathBuf, first_commit: String, second: PathBuf, second_commit: String },
}

impl Error {
    pub(crate) fn create_dir(dir: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::CreateDir { dir: dir.to_owned(), source })
    }

    pub(crate) fn write(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::Write { path: path.to_owned(), source })
    }

    pub(crate) fn read_history(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::ReadFile { path: path.to_owned(), source })
    }

    pub(crate) fn invalid(reason: String) -> Self {
        Error::new(ErrorKind::Invalid { reason })
    }

    pub(crate) fn encode(file: &'static str, source: serde_json::Error) -> Self {
        Error::new(ErrorKind::Encode { file, source })
    }

    pub(crate) fn too_few_summaries(count: usize) -> Self {
        Error::new(ErrorKind::TooFewSummaries { count })
    }

    pub(crate) fn same_path(path: &Path) -> Self {
        Error::new(ErrorKind::SamePath { path: path.to_owned() })
    }

    pub(crate) fn same_run(first: &Path, second: &Path, date: &str) -> Self {
        Error::new(ErrorKind::SameRun {
            first: first.to_owned(),
            second: second.to_owned(),
            date: date.to_owned(),
        })
    }

    pub(crate) fn different_commits(first: (&Path, &str), second: (&Path, &str)) -> Self {
        Error::new(ErrorKind::DifferentCommits {
            first: first.0.to_owned(),
            first_commit: first.1.to_owned(),
            second: second.0.to_owned(),
            second_commit: second.1.to_owned(),
        })
    }

    /// Whether the error is a refusal to merge summaries of different commits, which
    /// `--allow-different-commits` overrides.
    pub fn is_different_commits(&self) -> bool {
        matches!(&*self.kind, ErrorKind::DifferentCommits { .. })
    }

    /// Whether the Criterion directory is missing or holds no benchmark (or none with the baseline
    /// asked for): nothing was measured yet.
    pub fn is_no_results(&self) -> bool {
        matches!(&*self.kind, ErrorKind::Criterion(error) if error.is_no_results())
    }
}

impl From<crate::schema::Error> for Error {
    fn from(error: crate::schema::Error) -> Self {
        Error::new(ErrorKind::File(error))
    }
}

impl From<crate::criterion::Error> for Error {
    fn from(error: crate::criterion::Error) -> Self {
        Error::new(ErrorKind::Criterion(error))
    }
}

opaque_error!(Error, ErrorKind);
