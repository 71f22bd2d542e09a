//! The walk of a Criterion directory, within stated bounds: which directories are benchmarks, and
//! how their files are read.
//!
//! Every file is opened without following a symbolic link and without blocking, and checked on
//! the opened descriptor (no window between a check and the open): only a regular file no larger
//! than [`MAX_FILE_BYTES`] is read. A benchmark with any other file (a link to `/dev/zero`, a
//! FIFO, a file too large) is skipped with the reason, as a malformed one is. The walk goes
//! [`MAX_DEPTH`] directories deep, and lists what it does not enter.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::{Benchmark, BenchmarkId, Error, Estimates, Results, Sample};
use crate::schema::{LastSample, LoadFile, Memory, Quietness, Skipped};

/// The largest file read from a Criterion directory, in bytes, unless [`Reader::max_file_bytes`]
/// says otherwise: 16 MiB.
///
/// Criterion's largest file is `sample.json`, about 40 bytes a sample: under 1 KiB at poolbench's
/// 20 samples, about 400 KiB at 10,000. The limit is 40 times that, and keeps a file that is
/// not Criterion's (a link to `/dev/zero` is refused anyway, as is anything but a regular file)
/// from costing more memory than a benchmark's worth.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads a Criterion directory within stated bounds. [`read`](super::read) and
/// [`read_baseline`](super::read_baseline) read with the defaults; this sets them.
///
/// ```no_run
/// use poolbench::criterion::Reader;
///
/// let results = Reader::new().max_file_bytes(1 << 20).read("target/criterion".as_ref())?;
/// println!("{} benchmarks", results.benchmarks.len());
/// # Ok::<(), poolbench::criterion::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    max_file_bytes: u64,
}

impl Reader {
    /// A reader with the default bounds.
    pub fn new() -> Self {
        Reader { max_file_bytes: MAX_FILE_BYTES }
    }

    /// The largest file read, in bytes; a benchmark with a larger file is skipped with the reason.
    /// Default: [`MAX_FILE_BYTES`].
    pub fn max_file_bytes(self, bytes: u64) -> Self {
        Reader { max_file_bytes: bytes }
    }

    /// [`read`](super::read), with these bounds.
    ///
    /// # Errors
    ///
    /// As [`read`](super::read).
    pub fn read(&self, dir: &Path) -> Result<Results, Error> {
        self.read_from(dir, super::LATEST)
    }

    /// [`read_baseline`](super::read_baseline), with these bounds.
    ///
    /// # Errors
    ///
    /// As [`read_baseline`](super::read_baseline).
    pub fn read_baseline(&self, dir: &Path, name: &str) -> Result<Results, Error> {
        // Criterion uses the name as a directory name: anything else cannot have been saved by it.
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
            return Err(Error::no_baseline(dir, name));
        }
        self.read_from(dir, name)
    }
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

/// Deeper than any id Criterion writes (`group/function/value/new/benchmark.json`), shallow enough
/// that a symlink loop or a stray tree cannot keep the walk busy. A directory this deep that is
/// not empty is listed as skipped (the walk does not look inside), so that a benchmark below it
/// is not dropped without a word.
const MAX_DEPTH: usize = 12;

impl Reader {
    fn read_from(&self, dir: &Path, name: &str) -> Result<Results, Error> {
        let missing =
            || if name == super::LATEST { Error::no_results(dir) } else { Error::no_baseline(dir, name) };
        if !dir.is_dir() {
            return Err(missing());
        }
        let mut results = Results::default();
        let mut too_deep = TooDeep::default();
        let mut found = 0;
        let walk = walkdir::WalkDir::new(dir).max_depth(MAX_DEPTH).follow_links(false).sort_by_file_name();
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                // The root itself unreadable is fatal; a subdirectory is one benchmark's worth of loss.
                Err(err) if err.depth() == 0 => return Err(Error::walk(dir, err)),
                Err(err) => {
                    let path = err.path().map_or_else(|| dir.to_owned(), Path::to_owned);
                    results.skipped.push(Skipped::new(&path, None, format!("cannot be read: {err}")));
                    continue;
                }
            };
            if entry.depth() == MAX_DEPTH && entry.file_type().is_dir() {
                too_deep.visit(entry.path(), name, self);
                continue;
            }
            // Whatever the entry is (a link, a FIFO), it claims a benchmark: reading it says why not.
            let is_benchmark_file = entry.file_name() == "benchmark.json"
                && entry.path().parent().and_then(Path::file_name).is_some_and(|parent| parent == name);
            let Some(benchmark_dir) =
                entry.path().parent().and_then(Path::parent).filter(|_| is_benchmark_file)
            else {
                continue;
            };
            found += 1;
            match self.read_benchmark(dir, benchmark_dir, name) {
                Ok(benchmark) => results.benchmarks.push(benchmark),
                Err(skipped) => results.skipped.push(*skipped),
            }
        }
        results.skipped.extend(too_deep.into_skipped());
        if found == 0 {
            return Err(missing());
        }
        drop_duplicates(dir, name, &mut results);
        Ok(results)
    }

    fn read_benchmark(
        &self,
        root: &Path,
        benchmark_dir: &Path,
        name: &str,
    ) -> Result<Benchmark, Box<Skipped>> {
        let new = benchmark_dir.join(name);
        let id: BenchmarkId = self.read_json(&new.join("benchmark.json"), None)?;
        let named = Some(id.full_id.as_str());
        let estimates_path = new.join("estimates.json");
        let estimates: Estimates = self.read_json(&estimates_path, named)?;
        if let Some(defect) = estimates.defect() {
            return Err(Box::new(Skipped::new(&estimates_path, named, defect)));
        }
        let sample_path = new.join("sample.json");
        let sample: Sample = self.read_json(&sample_path, named)?;
        if let Some(defect) = sample.defect() {
            return Err(Box::new(Skipped::new(&sample_path, named, defect)));
        }
        let directory = benchmark_dir.strip_prefix(root).unwrap_or(benchmark_dir).to_owned();
        let page = directory.join("report").join("index.html");
        let page = root.join(&page).is_file().then_some(page);
        let (load, memory) = load_of(root, &id, &sample);
        Ok(Benchmark { id, estimates, sample, directory, page, load, memory })
    }

    fn read_json<T: DeserializeOwned>(
        &self,
        path: &Path,
        benchmark: Option<&str>,
    ) -> Result<T, Box<Skipped>> {
        let text = crate::fs::read_regular_file(path, self.max_file_bytes)
            .map_err(|err| Box::new(Skipped::new(path, benchmark, format!("cannot be read: {err}"))))?;
        serde_json::from_slice(&text).map_err(|err| {
            let reason = if err.is_eof() {
                format!("is truncated ({err})")
            } else {
                format!("is not the JSON Criterion 0.8 writes ({err})")
            };
            Box::new(Skipped::new(path, benchmark, reason))
        })
    }
}

/// The load of the measurement whose `sample.json` is `sample` (in `new/` or a baseline's), from
/// poolbench's load file of the benchmark in `criterion_dir`: not measured without one, or when
/// none of its measurements is this one; with the memory the same measurement recorded.
fn load_of(criterion_dir: &Path, id: &BenchmarkId, sample: &Sample) -> (Quietness, Option<Memory>) {
    let file = match LoadFile::read(criterion_dir, &id.full_id) {
        Ok(Some(file)) => file,
        Ok(None) => {
            return (
                Quietness::not_measured(
                    "no load file: measured outside poolbench's bench API, or before it measured the machine's \
                     load"
                        .to_owned(),
                ),
                None,
            );
        }
        Err(reason) => {
            return (
                Quietness::not_measured(format!("{reason}; run the benchmark again to measure it")),
                None,
            );
        }
    };
    let last = sample.iters.last().zip(sample.times.last()).map(|(&iters, &ns)| LastSample { iters, ns });
    match last.and_then(|last| file.find(last)) {
        Some(record) => (Quietness::judged(record.load, record.attempts), record.memory),
        None => (
            Quietness::not_measured(format!(
                "{} holds no measurement with this sample.json's last sample (measured again since, without \
             poolbench's bench API?); run the benchmark again to measure it",
                LoadFile::path(criterion_dir, &id.full_id).display()
            )),
            None,
        ),
    }
}

/// What the walk did not enter: the directories [`MAX_DEPTH`] deep that are not empty, so that a
/// benchmark below them is listed as skipped rather than dropped without a word.
#[derive(Default)]
struct TooDeep {
    /// Benchmarks one level too deep (their `NAME/benchmark.json` is just past the limit), each
    /// named by its id when its `benchmark.json` reads.
    benchmarks: Vec<Skipped>,
    /// Other directories at the limit that hold something, by parent.
    others: BTreeMap<PathBuf, Vec<String>>,
}

impl TooDeep {
    /// Notes `dir`, a directory [`MAX_DEPTH`] deep, for the baseline `name`.
    fn visit(&mut self, dir: &Path, name: &str, reader: &Reader) {
        let benchmark_file = dir.join("benchmark.json");
        if dir.file_name().is_some_and(|file_name| file_name == name)
            && benchmark_file.symlink_metadata().is_ok()
        {
            // One more bounded read, of a file the walk already knows is there, to name the benchmark.
            let id = reader.read_json::<BenchmarkId>(&benchmark_file, None).ok().map(|id| id.full_id);
            self.benchmarks.push(Skipped::new(
                &benchmark_file,
                id.as_deref(),
                format!(
                    "is {} directories below the Criterion directory, deeper than the {MAX_DEPTH} poolbench \
                     reads: the benchmark is not reported; move its directory nearer the top",
                    MAX_DEPTH + 1
                ),
            ));
            return;
        }
        // A directory that cannot be listed may hide a benchmark as well as one that holds something.
        if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none()) {
            return;
        }
        let parent = dir.parent().map_or_else(|| dir.to_owned(), Path::to_owned);
        let child = dir.file_name().map_or_else(String::new, |child| child.to_string_lossy().into_owned());
        self.others.entry(parent).or_default().push(child);
    }

    /// The benchmarks, then one entry per parent of the other directories (none for the parent of
    /// a benchmark already listed: its `report/` and other baselines are that benchmark's).
    fn into_skipped(self) -> Vec<Skipped> {
        let mut skipped = self.benchmarks;
        let listed: Vec<PathBuf> = skipped
            .iter()
            .filter_map(|benchmark| Some(Path::new(&benchmark.path).parent()?.parent()?.to_owned()))
            .collect();
        for (parent, children) in self.others.into_iter().filter(|(parent, _)| !listed.contains(parent)) {
            skipped.push(Skipped::new(
                &parent,
                None,
                format!(
                    "holds directories {MAX_DEPTH} levels below the Criterion directory ({}), as deep as \
                     poolbench reads: a benchmark inside is not reported; move it nearer the top",
                    children.join(", ")
                ),
            ));
        }
        skipped
    }
}

/// Two directories claiming one id (a copied directory, an id Criterion truncated) would make
/// every comparison ambiguous: the first, in directory order, is kept and the others listed.
fn drop_duplicates(root: &Path, name: &str, results: &mut Results) {
    let mut kept: Vec<Benchmark> = Vec::with_capacity(results.benchmarks.len());
    for benchmark in results.benchmarks.drain(..) {
        match kept.iter().find(|earlier| earlier.id.full_id == benchmark.id.full_id) {
            Some(earlier) => results.skipped.push(Skipped::new(
                &root.join(&benchmark.directory).join(name).join("benchmark.json"),
                Some(&benchmark.id.full_id),
                format!(
                    "repeats the id of {}; remove one of the two directories",
                    earlier.directory.display()
                ),
            )),
            None => kept.push(benchmark),
        }
    }
    results.benchmarks = kept;
}
