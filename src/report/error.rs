//! The one error type of the report: what stopped it from being written at all.
//!
//! A benchmark whose files cannot be read is not an error: it is skipped and listed (see
//! [`Skipped`](super::Skipped)), and the rest is still reported.

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
    #[error("no Criterion results at {}; run cargo bench first", .dir.display())]
    NoResults { dir: PathBuf },
    #[error("no Criterion baseline `{name}` at {}; save one with cargo bench -- --save-baseline {name}", .dir.display())]
    NoBaseline { dir: PathBuf, name: String },
    #[error("cannot read the Criterion results at {}: {source}; check the directory's permissions", .dir.display())]
    Walk { dir: PathBuf, source: walkdir::Error },
    #[error("cannot create the report directory {}: {source}; choose another with --out", .dir.display())]
    CreateDir { dir: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}; check that the directory is writable and the disk not full", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}; check its permissions, or move it away to start afresh", .path.display())]
    ReadFile { path: PathBuf, source: std::io::Error },
    #[error("cannot read back {}: {source}; write the report again with poolbench report", .path.display())]
    Decode { path: PathBuf, source: serde_json::Error },
    #[error("cannot encode {file}: {source}")]
    Encode { file: &'static str, source: serde_json::Error },
}

impl Error {
    pub(crate) fn no_results(dir: &Path) -> Self {
        Error::new(ErrorKind::NoResults { dir: dir.to_owned() })
    }

    pub(crate) fn no_baseline(dir: &Path, name: &str) -> Self {
        Error::new(ErrorKind::NoBaseline { dir: dir.to_owned(), name: name.to_owned() })
    }

    pub(crate) fn walk(dir: &Path, source: walkdir::Error) -> Self {
        Error::new(ErrorKind::Walk { dir: dir.to_owned(), source })
    }

    pub(crate) fn create_dir(dir: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::CreateDir { dir: dir.to_owned(), source })
    }

    pub(crate) fn write(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::Write { path: path.to_owned(), source })
    }

    pub(crate) fn read_history(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::ReadFile { path: path.to_owned(), source })
    }

    pub(crate) fn decode(path: &Path, source: serde_json::Error) -> Self {
        Error::new(ErrorKind::Decode { path: path.to_owned(), source })
    }

    pub(crate) fn encode(file: &'static str, source: serde_json::Error) -> Self {
        Error::new(ErrorKind::Encode { file, source })
    }

    /// Whether the Criterion directory is missing or holds no benchmark (or none with the baseline
    /// asked for): nothing was measured yet.
    pub fn is_no_results(&self) -> bool {
        matches!(*self.kind, ErrorKind::NoResults { .. } | ErrorKind::NoBaseline { .. })
    }
}

opaque_error!(Error, ErrorKind);
