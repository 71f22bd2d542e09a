//! The pool-size report: what Criterion's numbers mean across pool sizes and executors.
//!
//! Criterion's pages show one benchmark at a time; users compare pool sizes and executors. The
//! report reads every benchmark Criterion left in its output directory and writes three files:
//!
//! - `summary.json`: the data, versioned ([`crate::schema::Summary`], its
//!   [`SCHEMA_VERSION`](crate::schema::SCHEMA_VERSION); specified field by field in
//!   `reports/README.md`): per group, executor and pool size the median and mean with their
//!   confidence intervals, the samples, speedup over Sequential, efficiency, tasks per second,
//!   whether the machine was quiet and how many cores the benchmark kept busy (its load file's
//!   figures, [`Quietness`](crate::schema::Quietness)); the start-up split; Amdahl and USL fits;
//!   the machine.
//! - `index.html`: one self-contained page, with charts and tables per group and a plain-words
//!   line saying what each group shows.
//! - `summary.md`: the short form, for a pull-request comment: per group its headline and the
//!   rows that tell its story, within GitHub's comment limit whatever the suite.
//!
//! The pipeline is a chain of plain functions, each in its own file, so that any step can be used
//! alone: [`criterion::read`](crate::criterion::read) (Criterion's files) → `summarize` (`summarize.rs`, with
//! `scaling.rs`, `startup.rs`, `headline.rs`) → the renderers ([`render_json`], [`render_html`],
//! [`render_markdown`]). [`write()`] runs the chain and writes the files; `cargo bench` calls it at
//! its end, `poolbench report` on demand. The page also draws each benchmark's trend across the
//! runs recorded in [`history`] (`history.jsonl` beside the report's directory), to which
//! `cargo bench` appends each run after writing the report; [`render_html`] takes that history,
//! so it returns exactly the page [`write()`] writes.
//!
//! The page and the Markdown lay out the same tables (a group's results, its ratios against the
//! Python peers, its start-up split and scaling fits, the skipped files, the peers' section)
//! from one table model (`table/`): what each table holds is decided there once, and the two
//! renderers only draw it, the page every row and column, the Markdown the telling rows and the
//! compact columns.
//!
//! How the bench `main` ends, after every suite has run:
//!
//! ```no_run
//! use poolbench::report::{self, Options};
//!
//! // `--list` and `--test` (CI's smoke run) measure nothing: a report would repeat older results.
//! if std::env::args().any(|arg| arg == "--list" || arg == "--test") {
//!     return;
//! }
//! match report::write(&Options::new()) {
//!     Ok(written) => print!("{written}"),
//!     // A filter that matched nothing leaves nothing to report: say so, without failing the run.
//!     Err(err) if err.is_no_results() => eprintln!("poolbench report: {err}"),
//!     Err(err) => {
//!         eprintln!("Error: {err}");
//!         std::process::exit(1);
//!     }
//! }
//! ```
//!
//! The Python peers (`crate::peers` runs them) join in when the Criterion directory holds their
//! file, `poolbench-peers.json`: their rows go into the groups beside poolbench's, with `source:
//! "python"`, and each group gets ratios against them
//! ([`PeerRatio`](crate::schema::PeerRatio), `peers.rs`); all three files say when the peers
//! were skipped, and why.
//!
//! Bad input never stops the report: a benchmark whose files are missing, truncated or malformed
//! (or a peers file that cannot be read) is skipped and listed in all three files with the file
//! and the reason. Only a Criterion
//! directory with no benchmark at all is an [`Error`]. Each file is written under a temporary
//! name and renamed into place, so a crash leaves the previous report, never half of one; the
//! renames happen under a lock ([`LOCK_FILE`]), so two reports written at once leave one of them
//! whole.

mod charts;
mod error;
mod headline;
pub mod history;
mod html;
mod json;
mod links;
mod markdown;
mod memory;
pub mod merge;
mod peers;
mod rounds;
pub mod scaling;
mod startup;
mod summarize;
mod table;
mod trends;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

pub use error::Error;
pub use html::render as render_html;
pub use json::render as render_json;
pub use markdown::render as render_markdown;
pub use peers::{add_peers, ratios};
pub use summarize::summarize;

use crate::criterion::{Reader, default_criterion_dir};
use crate::fs::{Lock, Staged};
use crate::schema::{Machine, Peers, PeersStatus, Skipped, Source, Summary};

/// Where the report goes unless told otherwise, relative to the current directory (the package
/// root under `cargo bench`).
pub const DEFAULT_OUT_DIR: &str = "reports/latest";

/// The most samples the report copies into a row's `samples_ns`, unless
/// [`Options::max_samples`] says otherwise: 10,000, a hundred times Criterion's default sample
/// size (poolbench's suites take 20). A row with more gets an evenly spaced subsample and says so
/// ([`Row::samples_thinned`](crate::schema::Row::samples_thinned)); its `n` stays the true count.
pub const MAX_REPORTED_SAMPLES: usize = 10_000;

/// The empty file in the report's directory that [`write()`] holds an exclusive `flock(2)` on while
/// it renames the three files into place, so that two reports written at once leave one's three
/// files, never a mix. A tool that reads more than one of the files takes a shared `flock` on it
/// to read them from one report.
pub const LOCK_FILE: &str = ".poolbench.lock";

/// Where to read from, where to write, and the bounds on what is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Criterion's output directory. Default: [`default_criterion_dir`].
    pub criterion_dir: PathBuf,
    /// The report's directory, created if missing. Default: [`DEFAULT_OUT_DIR`].
    pub out_dir: PathBuf,
    /// The largest Criterion file read, in bytes; a benchmark with a larger one is skipped with
    /// the reason. Default: [`MAX_FILE_BYTES`](crate::criterion::MAX_FILE_BYTES).
    pub max_file_bytes: u64,
    /// The most samples copied into a row's `samples_ns`. Default: [`MAX_REPORTED_SAMPLES`].
    pub max_samples: usize,
    /// Whether the run was meant to have the Python peers beside it: a bench whose `Main` runs
    /// none (a crate's own) gets no word of them in its report. Default: `true` (the peers
    /// join in when their file is there, and a missing one is said).
    pub python_peers: bool,
}

impl Options {
    /// The defaults: Criterion's own output directory, and [`DEFAULT_OUT_DIR`].
    pub fn new() -> Self {
        Options::with_dirs(default_criterion_dir(), PathBuf::from(DEFAULT_OUT_DIR))
    }

    /// Reads from `criterion_dir` and writes to `out_dir`, with the default bounds.
    pub fn with_dirs(criterion_dir: impl Into<PathBuf>, out_dir: impl Into<PathBuf>) -> Self {
        Options {
            criterion_dir: criterion_dir.into(),
            out_dir: out_dir.into(),
            max_file_bytes: crate::criterion::MAX_FILE_BYTES,
            max_samples: MAX_REPORTED_SAMPLES,
            python_peers: true,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::new()
    }
}

/// What [`write()`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The page.
    pub index_html: PathBuf,
    /// The Markdown tables.
    pub summary_md: PathBuf,
    /// The data.
    pub summary_json: PathBuf,
    /// Benchmarks reported.
    pub benchmarks: usize,
    /// Benchmark groups reported.
    pub groups: usize,
    /// Benchmarks that could not be read, with the file and the reason (a corrupt peers file too).
    pub skipped: Vec<Skipped>,
    /// What became of the Python peers.
    pub peers: Option<Peers>,
    /// Rows of the Python peers beside poolbench's.
    pub peer_rows: usize,
    /// How quiet the machine was: "The machine was quiet for 214 of 216 benchmarks; 2 measured
    /// again." (counted by [`QuietTally`](crate::schema::QuietTally)).
    pub quiet: Option<String>,
    /// The summary written, for what follows the report in the same run (the history): a file is
    /// for the next program.
    pub summary: Summary,
}

impl Written {
    /// The files written, the page first.
    pub fn paths(&self) -> [&Path; 3] {
        [&self.index_html, &self.summary_md, &self.summary_json]
    }
}

/// What a person needs after `cargo bench`: where to look, and what is missing.
impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "poolbench report: {} benchmarks in {} groups", self.benchmarks, self.groups)?;
        if let Some(quiet) = &self.quiet {
            writeln!(f, "  {quiet}")?;
        }
        for path in self.paths() {
            writeln!(f, "  {}", path.display())?;
        }
        if !self.skipped.is_empty() {
            writeln!(f, "skipped {} benchmark file(s) that could not be read:", self.skipped.len())?;
            for skipped in &self.skipped {
                let id = skipped.benchmark.as_deref().map(|id| format!(" ({id})")).unwrap_or_default();
                writeln!(f, "  {}{id}: {}", skipped.path, skipped.reason)?;
            }
        }
        match &self.peers {
            Some(peers) if peers.status == PeersStatus::Measured => {
                let path = peers.path.as_deref().unwrap_or("the peers file");
                writeln!(f, "python peers: {} rows beside poolbench's, from {path}", self.peer_rows)?;
            }
            Some(peers) => {
                writeln!(f, "python peers: none: {}", peers.reason.as_deref().unwrap_or("no reason given"))?
            }
            None => {}
        }
        Ok(())
    }
}

/// Reads Criterion's results from `options.criterion_dir` and writes `index.html`, `summary.md`
/// and `summary.json` into `options.out_dir`.
///
/// # Errors
///
/// "no Criterion results at ...; run cargo bench first" when the Criterion directory is missing or
/// holds no benchmark; an error naming the path when the report's directory or a file cannot be
/// written. Benchmarks that cannot be read are not errors: see [`Written::skipped`].
pub fn write(options: &Options) -> Result<Written, Error> {
    let results = Reader::new().max_file_bytes(options.max_file_bytes).read(&options.criterion_dir)?;
    // The machine the benchmarks were measured on, as their run recorded it; this one's only
    // when no run did (or its file cannot be read, which is said).
    let mut unreadable_machine = None;
    let machine = match Machine::recorded_in(&options.criterion_dir) {
        Ok(Some(recorded)) => Machine { date: Machine::detect_date(), ..recorded },
        Ok(None) => Machine::detect(),
        Err(reason) => {
            unreadable_machine = Some(reason);
            Machine::detect()
        }
    };
    let mut summary = summarize(&results, machine, &options.criterion_dir);
    if let Some(reason) = unreadable_machine {
        let path = options.criterion_dir.join(crate::schema::MACHINE_FILE);
        let reason = format!("{reason}; the report states the machine it was written on instead");
        summary.skipped.push(crate::schema::Skipped::new(&path, None, reason));
    }
    if options.python_peers {
        peers::load(&mut summary, &options.criterion_dir);
    }
    for row in summary.groups.iter_mut().flat_map(|group| &mut group.results) {
        row.thin_samples(options.max_samples);
    }
    // Criterion's files and the peers file are checked as they are read; this catches what the
    // report derives from them, so that no reader ever meets a file poolbench wrote and refuses.
    summary.check().map_err(Error::invalid)?;
    let out = &options.out_dir;
    fs::create_dir_all(out).map_err(|err| Error::create_dir(out, err))?;
    let criterion_href = links::relative_href(out, &options.criterion_dir);
    let history = history::HistoryFile::read(&history::path_beside(out));
    let html = html::HtmlExporter { criterion_href, history };
    let exporters: [&dyn Exporter; 3] = [&html, &markdown::MarkdownExporter, &json::JsonExporter];
    let mut staged = Staged::default();
    for exporter in exporters {
        let path = out.join(exporter.file_name());
        staged.add(&path, &exporter.export(&summary)?).map_err(|err| Error::write(&path, err))?;
    }
    // Another writer renaming its files into this directory at the same time would leave some of
    // each: the renames happen under the directory's lock, one writer's three after another's.
    let lock_path = out.join(LOCK_FILE);
    let lock = Lock::exclusive_on(&lock_path).map_err(|err| Error::write(&lock_path, err))?;
    staged.commit().map_err(|(path, err)| Error::write(&path, err))?;
    drop(lock);
    let [index_html, summary_md, summary_json] = exporters.map(|exporter| out.join(exporter.file_name()));
    Ok(Written {
        index_html,
        summary_md,
        summary_json,
        benchmarks: results.benchmarks.len(),
        groups: summary.groups.len(),
        skipped: summary.skipped.clone(),
        peers: summary.peers.clone(),
        peer_rows: summary.rows_from(Source::Python),
        quiet: table::quiet_line(&summary).map(|line| line.sentence),
        summary,
    })
}

/// One output format: turns a summary into the bytes of one file. Where the bytes go is
/// [`write()`]'s business.
trait Exporter {
    /// The file's name in the report's directory.
    fn file_name(&self) -> &'static str;

    /// The file's contents.
    fn export(&self, summary: &Summary) -> Result<Vec<u8>, Error>;
}
