//! Why Criterion's directory could not be read at all.

use std::path::{Path, PathBuf};

/// Why no benchmark could be read from a Criterion directory.
///
/// A benchmark whose files cannot be read is not an error: it is skipped and listed (see
/// [`Results::skipped`](super::Results::skipped)). Opaque: its message names the directory and
/// says what to do; [`is_no_results`](Error::is_no_results) tells the case a caller may want to
/// treat differently (nothing was measured yet).
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

    /// Whether the directory is missing or holds no benchmark (or none with the baseline asked
    /// for): nothing was measured yet.
    pub fn is_no_results(&self) -> bool {
        matches!(*self.kind, ErrorKind::NoResults { .. } | ErrorKind::NoBaseline { .. })
    }
}

opaque_error!(Error, ErrorKind);
