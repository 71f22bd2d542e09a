//! The one error type of reading and writing poolbench's files.

use std::path::{Path, PathBuf};

/// Why a file of one of poolbench's formats could not be read or written.
///
/// Opaque: its message names the file and says what to do; [`is_not_found`](Error::is_not_found)
/// tells the one case a reader treats differently (the file is not there yet).
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

#[derive(Debug, thiserror::Error)]
enum ErrorKind {
    #[error("cannot read the peers file {}: {source}; run cargo bench to measure the peers anew", .path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not a poolbench peers file: {source}; run cargo bench to measure the peers anew", .path.display())]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("{} is not a valid poolbench peers file: {reason}; run cargo bench to measure the peers anew", .path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error("cannot write the peers file {}: {source}; check that the directory is writable and the disk not full", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}; check that the file exists and is readable", .path.display())]
    ReadSummary { path: PathBuf, source: std::io::Error },
    #[error("{} is not a poolbench summary.json ({source}); write one with `poolbench report`", .path.display())]
    NotSummary { path: PathBuf, source: serde_json::Error },
    #[error("{} is not a valid summary.json: {reason}; regenerate it with `poolbench report`", .path.display())]
    InvalidSummary { path: PathBuf, reason: String },
    #[error(
        "{} has summary schema version {found}, this poolbench reads versions 1 to {}; \
         regenerate it with this poolbench's `poolbench report`",
        .path.display(), super::SCHEMA_VERSION
    )]
    SchemaVersion { path: PathBuf, found: u32 },
}

impl Error {
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

    pub(crate) fn read_summary(path: &Path, source: std::io::Error) -> Self {
        Error::new(ErrorKind::ReadSummary { path: path.to_owned(), source })
    }

    pub(crate) fn not_summary(path: &Path, source: serde_json::Error) -> Self {
        Error::new(ErrorKind::NotSummary { path: path.to_owned(), source })
    }

    pub(crate) fn invalid_summary(path: &Path, reason: String) -> Self {
        Error::new(ErrorKind::InvalidSummary { path: path.to_owned(), reason })
    }

    pub(crate) fn schema_version(path: &Path, found: u32) -> Self {
        Error::new(ErrorKind::SchemaVersion { path: path.to_owned(), found })
    }

    /// Whether the file was looked for and is not there.
    pub fn is_not_found(&self) -> bool {
        matches!(&*self.kind, ErrorKind::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

opaque_error!(Error, ErrorKind);
