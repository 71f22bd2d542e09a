//! The one error type of the comparison: an input or a setting it cannot use.
//!
//! A regression is not an error: it is a [`Verdict`](super::Verdict). Errors are what the command
//! line reports with exit code 1.

use std::path::{Path, PathBuf};

/// Why a comparison (or an export) could not be made.
///
/// Opaque, as the report's error is: its message names the file, baseline or setting at fault
/// and says what to do.
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

#[derive(Debug, thiserror::Error)]
enum ErrorKind {
    #[error(
        "`{spec}` is neither a summary.json file nor a Criterion baseline in {} (looked for {}); \
         save the baseline with `cargo bench -- --save-baseline {spec}`, give the path of a summary.json \
         (`poolbench report` writes one), or point --criterion-dir at the Criterion directory",
        .dir.display(), .looked_for
    )]
    NotFound { spec: String, dir: PathBuf, looked_for: String },
    #[error("cannot read {}: {source}; check that the file exists and is readable", .path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    File(crate::schema::Error),
    #[error("{0}")]
    Criterion(crate::criterion::Error),
    #[error("{}: {message}", .path.display())]
    Config { path: PathBuf, message: String },
    #[error("{message}")]
    Setting { message: String },
    #[error("cannot encode the {what}: {source}")]
    Encode { what: &'static str, source: serde_json::Error },
}

impl Error {
    pub(crate) fn not_found(spec: &str, dir: &Path) -> Self {
        let looked_for = if spec.contains(['/', '\\']) || spec.ends_with(".json") {
            format!("a file {spec}")
        } else {
            format!("a file {spec} and {}", dir.join("*").join(spec).join("benchmark.json").display())
        };
        Error::new(ErrorKind::NotFound { spec: spec.to_owned(), dir: dir.to_owned(), looked_for })
    }

    pub(crate) fn read(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::Read { path: path.to_owned(), source })
    }

    pub(crate) fn file(source: crate::schema::Error) -> Self {
        Error::new(ErrorKind::File(source))
    }

    pub(crate) fn criterion(source: crate::criterion::Error) -> Self {
        Error::new(ErrorKind::Criterion(source))
    }

    pub(crate) fn config(path: &Path, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config { path: path.to_owned(), message: message.into() })
    }

    pub(crate) fn setting(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Setting { message: message.into() })
    }

    pub(crate) fn encode(what: &'static str, source: serde_json::Error) -> Self {
        Error::new(ErrorKind::Encode { what, source })
    }
}

opaque_error!(Error, ErrorKind);
