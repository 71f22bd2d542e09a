//! The one error type of the peers: what went wrong on poolbench's side of running them, or
//! reading their file.
//!
//! Python itself going wrong (absent, too old, crashing, hanging) is not an error: the run goes on
//! and the outcome is [`Outcome::Skipped`](super::Outcome::Skipped) with the reason.

use std::path::{Path, PathBuf};

/// Why the peers could not be run or their file read or written.
///
/// Opaque, as the report's error is: its message names the file and says what to do;
/// [`is_not_found`](Error::is_not_found) tells the one case a reader treats differently (no peers
/// file yet: the peers did not run).
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

#[derive(Debug, thiserror::Error)]
enum ErrorKind {
    #[error("cannot write the Python peers script to {}: {source}; check that the temporary directory ($TMPDIR) is writable", .path.display())]
    Script { path: PathBuf, source: std::io::Error },
    #[error("cannot read the peers file {}: {source}; run cargo bench to measure the peers anew", .path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not a poolbench peers file: {source}; run cargo bench to measure the peers anew", .path.display())]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("{} is not a valid poolbench peers file: {reason}; run cargo bench to measure the peers anew", .path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error("cannot write the peers file {}: {source}; check that the directory is writable and the disk not full", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Sizes(String),
}

impl Error {
    pub(crate) fn script(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::Script { path: path.to_owned(), source })
    }

    pub(crate) fn read(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::Read { path: path.to_owned(), source })
    }

    pub(crate) fn parse(path: &Path, source: serde_json::Error) -> Self {
        Error::new(ErrorKind::Parse { path: path.to_owned(), source })
    }

    pub(crate) fn invalid(path: &Path, reason: String) -> Self {
        Error::new(ErrorKind::Invalid { path: path.to_owned(), reason })
    }

    pub(crate) fn write(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::Write { path: path.to_owned(), source })
    }

    pub(crate) fn sizes(message: String) -> Self {
        Error::new(ErrorKind::Sizes(message))
    }

    /// Whether a peers file was looked for and is not there: the peers have not run.
    pub fn is_not_found(&self) -> bool {
        matches!(&*self.kind, ErrorKind::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

opaque_error!(Error, ErrorKind);
