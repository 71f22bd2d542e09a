//! The gate's error: what it could not do, and what to do about it.
//!
//! A regression is not an error: it is a [`Verdict`](super::Verdict). Errors are what the command
//! line reports with exit code 1, or 4 when the base predates serve mode.

use std::path::PathBuf;

/// Why the gate could not run.
///
/// Opaque, as the comparison's error is: its message names the input, program or setting at
/// fault and says what to do.
#[derive(Debug)]
pub struct Error {
    kind: Box<ErrorKind>,
}

#[derive(Debug, thiserror::Error)]
enum ErrorKind {
    #[error("{0}")]
    Input(String),
    #[error(
        "the {side}'s bench binary {} cannot serve benchmarks: {message}; gate against a newer base \
         (one whose benches are built on poolbench::bench::Main), or compare two saved runs with `poolbench compare`",
        .program.display()
    )]
    NoServeMode { side: &'static str, program: PathBuf, message: String },
}

impl Error {
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Input(message.into()))
    }

    /// Whether a side's program predates serve mode (or is no bench built on
    /// [`Main`](crate::bench::Main)): the run measured nothing, and comparing whole runs is the
    /// way left.
    pub fn is_no_serve_mode(&self) -> bool {
        matches!(*self.kind, ErrorKind::NoServeMode { .. })
    }
}

/// A side that cannot serve: what [`measure`](super::run::measure) stops on.
impl From<super::run::NoServeMode> for Error {
    fn from(failed: super::run::NoServeMode) -> Self {
        Error::new(ErrorKind::NoServeMode {
            side: failed.side,
            program: failed.program,
            message: failed.message,
        })
    }
}

opaque_error!(Error, ErrorKind);
