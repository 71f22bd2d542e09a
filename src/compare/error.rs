//! The comparison's error: an input or a setting it cannot use (a config file's errors are
//! the verdict layer's, [`crate::verdict::Error`]).
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

/// What a comma-separated side is told: pooling runs was the CI fallback for bases older than the
/// gate, and went with it.
const SEVERAL_RUNS: &str = "; one run a side: runs are no longer pooled (`poolbench gate` times a base and a \
     head in paired rounds instead)";

#[derive(Debug, thiserror::Error)]
enum ErrorKind {
    #[error(
        "`{spec}` is neither a summary.json file nor a Criterion baseline in {} (looked for {}); \
         save the baseline with `cargo bench -- --save-baseline {spec}`, give the path of a summary.json \
         (`poolbench report` writes one), or point --criterion-dir at the Criterion directory{}",
        .dir.display(), .looked_for, if .spec.contains(',') { SEVERAL_RUNS } else { "" }
    )]
    NotFound { spec: String, dir: PathBuf, looked_for: String },
    #[error("{0}")]
    File(crate::schema::Error),
    #[error("{0}")]
    Criterion(crate::criterion::Error),
    #[error("{message}")]
    Setting { message: String },
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

    pub(crate) fn file(source: crate::schema::Error) -> Self {
        Error::new(ErrorKind::File(source))
    }

    pub(crate) fn criterion(source: crate::criterion::Error) -> Self {
        Error::new(ErrorKind::Criterion(source))
    }

    pub(crate) fn setting(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Setting { message: message.into() })
    }
}

opaque_error!(Error, ErrorKind);
