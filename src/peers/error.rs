//! The one error type of the peers: what went wrong on poolbench's side of running them, or
//! writing their file.
//!
//! Python itself going wrong (absent, too old, crashing, hanging) is not an error: the run goes on
//! and the outcome is [`Outcome::Skipped`](super::Outcome::Skipped) with the reason.

use std::path::{Path, PathBuf};

/// Why the peers could not be run or their file written.
///
/// Opaque, as the report's error is: its message names the file and says what to do.
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

#[derive(Debug, thiserror::Error)]
enum ErrorKind {
    #[error("cannot write the Python peers script to {}: {source}; check that the temporary directory ($TMPDIR) is writable", .path.display())]
    Script { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Sizes(String),
    #[error("{0}")]
    File(crate::schema::Error),
}

impl Error {
    pub(crate) fn script(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::Script { path: path.to_owned(), source })
    }

    pub(crate) fn sizes(message: String) -> Self {
        Error::new(ErrorKind::Sizes(message))
    }
}

impl From<crate::schema::Error> for Error {
    fn from(error: crate::schema::Error) -> Self {
        Error::new(ErrorKind::File(error))
    }
}

opaque_error!(Error, ErrorKind);
