//! The verdict layer's error: a config file or a setting it cannot use, or a document it cannot
//! encode. A regression is not an error: it is a [`Verdict`](super::Verdict).

use std::path::{Path, PathBuf};

/// Why a config file, a setting or a document could not be used.
///
/// Opaque: its message names the file or setting at fault and says what to do.
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

#[derive(Debug, thiserror::Error)]
enum ErrorKind {
    #[error("cannot read {}: {source}; check that the file exists and is readable", .path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: {message}", .path.display())]
    Config { path: PathBuf, message: String },
    #[error("cannot encode the {what}: {source}")]
    Encode { what: &'static str, source: serde_json::Error },
}

impl Error {
    pub(crate) fn read(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::Read { path: path.to_owned(), source })
    }

    pub(crate) fn config(path: &Path, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config { path: path.to_owned(), message: message.into() })
    }

    pub(crate) fn encode(what: &'static str, source: serde_json::Error) -> Self {
        Error::new(ErrorKind::Encode { what, source })
    }
}

opaque_error!(Error, ErrorKind);
