//! Reading and appending `history.jsonl`, the record of every `cargo bench` run that the page
//! draws trends from. The line format is [`crate::schema::history`]'s.
//!
//! # Where
//!
//! Beside the report's directory: `reports/history.jsonl` for `reports/latest/`
//! ([`path_beside`]). Git ignores it: it is one machine's record, and it would change with every
//! bench run. CI keeps it as a cache or an artifact instead (see `reports/README.md`).
//!
//! # Damage
//!
//! Reading skips a line that does not parse and says which ([`History::skipped`]); the rest is
//! drawn. Appending first ends an unterminated last line (a run killed mid-write), so that the
//! damage stays on its own line.
//!
//! # Two runs at once
//!
//! A run records only what it measured itself: each benchmark whose report row holds the last
//! sample this process timed for it ([`record`]). Two runs measuring the same benchmark at once
//! each record their own measurement, or, when the other replaced Criterion's files before the
//! report was written, leave it to the other, rather than both recording one measurement under
//! two dates.
//!
//! An append holds an exclusive `flock(2)` on the file from its look at the last byte to the end
//! of its write, and a read holds a shared one: without it, an append that looked while another
//! was halfway through a line longer than a page took that line for a torn one and started its
//! own with a newline, leaving a blank line (7 in 400 appends from four threads).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use crate::fs::Lock;
use crate::schema::history::{FILE_NAME, HISTORY_VERSION, Run};
use crate::schema::{LastSample, Row, Source};

use super::{Error, Written};

/// A history file as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The runs, oldest first.
    pub runs: Vec<Run>,
    /// Lines that could not be read.
    pub skipped: Vec<BadLine>,
}

/// A line of the history that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// Its number, from 1.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// A history file and what reading it gave: what the page's trends are drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryFile {
    /// Where it is.
    pub path: PathBuf,
    /// The runs, or why the file could not be read (the page says so in place of the trends).
    pub contents: Result<History, String>,
}

impl HistoryFile {
    /// Reads the history at `path` ([`read`]), keeping the reason when it cannot be read: the
    /// page is written all the same.
    pub fn read(path: &Path) -> Self {
        HistoryFile { path: path.to_owned(), contents: read(path).map_err(|err| err.to_string()) }
    }
}

/// Where the history of a report written to `out_dir` lives: [`FILE_NAME`] in its parent.
pub fn path_beside(out_dir: &Path) -> PathBuf {
    match out_dir.parent() {
        Some(parent) => parent.join(FILE_NAME),
        None => out_dir.join(FILE_NAME),
    }
}

/// Reads the history at `path`; a missing file is an empty history.
///
/// # Errors
///
/// An [`Error`] naming the file when it exists but cannot be read. Lines that do not parse are
/// not errors: see [`History::skipped`].
pub fn read(path: &Path) -> Result<History, Error> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
        Err(err) => return Err(Error::read_history(path, err)),
    };
    let lock = Lock::shared(file).map_err(|err| Error::read_history(path, err))?;
    let mut bytes = Vec::new();
    lock.file().read_to_end(&mut bytes).map_err(|err| Error::read_history(path, err))?;
    drop(lock);
    let mut history = History::default();
    for (index, line) in bytes.split(|&byte| byte == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Run>(line) {
            Ok(run) if run.history_version == HISTORY_VERSION => history.runs.push(run),
            Ok(run) => history.skipped.push(BadLine {
                line: index + 1,
                reason: format!(
                    "history_version {} is not {HISTORY_VERSION}, the version this poolbench reads",
                    run.history_version
                ),
            }),
            Err(err) => history.skipped.push(BadLine { line: index + 1, reason: err.to_string() }),
        }
    }
    Ok(history)
}

/// Appends `run` to the history at `path` as one line, creating the file (not its directory) if
/// needed.
///
/// # Errors
///
/// An [`Error`] naming the file when it cannot be opened or written.
pub fn append(path: &Path, run: &Run) -> Result<(), Error> {
    let mut line = serde_json::to_vec(run).map_err(|err| Error::encode("history.jsonl", err))?;
    line.push(b'\n');
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|err| Error::write(path, err))?;
    let lock = Lock::exclusive(file).map_err(|err| Error::write(path, err))?;
    let mut file = lock.file();
    let length = file.metadata().map_err(|err| Error::write(path, err))?.len();
    if length > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(length - 1))
            .and_then(|_| file.read_exact(&mut last))
            .map_err(|err| Error::write(path, err))?;
        if last[0] != b'\n' {
            line.insert(0, b'\n');
        }
    }
    // One write of the whole line: with O_APPEND it lands after whatever is there.
    file.write_all(&line).map_err(|err| Error::write(path, err))
}

/// What [`record`] appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The history file.
    pub path: PathBuf,
    /// Benchmarks recorded: those measured since the run started.
    pub benchmarks: usize,
}

impl fmt::Display for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.benchmarks {
            0 => writeln!(
                f,
                "poolbench history: nothing measured by this run; {} unchanged",
                self.path.display()
            ),
            n => writeln!(f, "poolbench history: {n} benchmarks appended to {}", self.path.display()),
        }
    }
}

/// Appends to the history beside the report the benchmarks this run measured: those of
/// `measured` (each id with the last sample this process timed) whose row in the report holds that
/// very measurement. A row whose Criterion files another run replaced meanwhile (two `cargo bench`
/// at once) is the other run's, and is left to it.
///
/// # Errors
///
/// An [`Error`] naming the file: the history cannot be written.
pub fn record(written: &Written, measured: &[(String, LastSample)]) -> Result<Recorded, Error> {
    let ours = |row: &Row| {
        row.source == Source::Criterion
            && row
                .last_sample
                .is_some_and(|last| measured.iter().any(|(id, timed)| *id == row.id && *timed == last))
    };
    let run = Run::from_summary(&written.summary, ours);
    let path = written.summary_json.parent().map_or_else(|| PathBuf::from(FILE_NAME), path_beside);
    if !run.benchmarks.is_empty() {
        append(&path, &run)?;
    }
    Ok(Recorded { path, benchmarks: run.benchmarks.len() })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::schema::history::Point;
    use crate::schema::{Interval, Machine};

    fn run(date: &str, median: f64) -> Run {
        let mut machine = Machine::detect();
        machine.date = date.to_owned();
        // Halves are exact in binary: serde_json reads back what it wrote.
        let interval = Interval { point: median, lower: median - 0.5, upper: median + 0.5 };
        let point = Point { median_ns: interval, mean_ns: interval, n: 10 };
        Run {
            history_version: HISTORY_VERSION,
            machine,
            benchmarks: BTreeMap::from([("g/f/1".to_owned(), point)]),
        }
    }

    #[test]
    fn runs_append_one_line_each_and_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        assert_eq!(read(&path).unwrap(), History::default());
        append(&path, &run("2026-01-01T00:00:00Z", 10.0)).unwrap();
        append(&path, &run("2026-01-02T00:00:00Z", 12.0)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
        let history = read(&path).unwrap();
        assert_eq!(history.runs, [run("2026-01-01T00:00:00Z", 10.0), run("2026-01-02T00:00:00Z", 12.0)]);
        assert!(history.skipped.is_empty());
    }

    #[test]
    fn a_torn_last_line_stays_on_its_own_line_and_is_skipped_by_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        append(&path, &run("2026-01-01T00:00:00Z", 10.0)).unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"history_version\":1,\"mach").unwrap();
        append(&path, &run("2026-01-03T00:00:00Z", 11.0)).unwrap();
        let history = read(&path).unwrap();
        assert_eq!(history.runs.len(), 2);
        assert_eq!(history.skipped.len(), 1);
        assert_eq!(history.skipped[0].line, 2);
        assert!(history.skipped[0].reason.contains("EOF"), "{}", history.skipped[0].reason);
    }

    #[test]
    fn concurrent_appends_leave_one_parseable_line_each_and_no_blank_line() {
        const THREADS: usize = 4;
        const APPENDS: usize = 100;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        // A few pages a line, as a full run's is: an append is then more than one page to copy.
        let mut big = run("2026-01-01T00:00:00Z", 10.0);
        let point = big.benchmarks["g/f/1"];
        big.benchmarks = (0..300).map(|index| (format!("suite/case/Executor/{index}"), point)).collect();
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for _ in 0..APPENDS {
                        append(&path, &big).unwrap();
                    }
                });
            }
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let blank = lines.iter().filter(|line| line.trim().is_empty()).count();
        assert_eq!((lines.len(), blank), (THREADS * APPENDS, 0), "lines and blank lines");
        let history = read(&path).unwrap();
        assert_eq!(
            (history.runs.len(), history.skipped.len()),
            (THREADS * APPENDS, 0),
            "{:?}",
            history.skipped
        );
    }

    #[test]
    fn the_history_sits_beside_the_report_directory() {
        assert_eq!(path_beside(Path::new("reports/latest")), Path::new("reports/history.jsonl"));
        assert_eq!(path_beside(Path::new("/tmp/x/out")), Path::new("/tmp/x/history.jsonl"));
    }
}
