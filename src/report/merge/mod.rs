//! The merged report: how the answer to "how many?" moves with the cores, from several machines'
//! `summary.json` files (`poolbench merge`).
//!
//! Each machine's report answers for that machine; a CI matrix over runner sizes (or a laptop
//! and a server) gives one summary each. [`merge`] checks that they measured the same code (a
//! summary of another commit is refused unless allowed, and then flagged; uncommitted changes,
//! sizes measured on some machines only and groups some machines lack are flagged), orders the
//! machines by usable cores, and keeps per group and machine what the machine's own report
//! found: the best configuration (the paired answer where the group had rounds), the speedup
//! and efficiency lines by executor, and the Amdahl and USL fits, with a headline that says how
//! the best size follows the cores and where it stops (`headline.rs`). Nothing is divided
//! across machines: their CPUs differ as much as their core counts.
//!
//! [`write()`] writes the same three files as the report: `index.html` (a chart per group with
//! every machine's lines), `summary.md` (within GitHub's comment limit) and `merged.json`
//! ([`Merged`], versioned by [`MERGED_VERSION`](crate::schema::MERGED_VERSION), specified in
//! `reports/README.md`), through the report's table model and renderers.

mod build;
mod headline;

use std::path::{Path, PathBuf};

pub use build::{MachineSummary, merge};

use super::Error;
use crate::fs::{Lock, Staged};
use crate::schema::{MERGED_FILE, Merged, Summary};

/// What [`write()`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeWritten {
    /// The page.
    pub index_html: PathBuf,
    /// The Markdown.
    pub summary_md: PathBuf,
    /// The data.
    pub merged_json: PathBuf,
    /// The merged report written.
    pub merged: Merged,
}

impl std::fmt::Display for MergeWritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let labels: Vec<&str> = self.merged.machines.iter().map(|machine| machine.label.as_str()).collect();
        writeln!(
            f,
            "poolbench merge: {} groups on {} machines ({})",
            self.merged.groups.len(),
            labels.len(),
            labels.join(", ")
        )?;
        for flag in &self.merged.flags {
            writeln!(f, "  note: {flag}")?;
        }
        for path in [&self.index_html, &self.summary_md, &self.merged_json] {
            writeln!(f, "  {}", path.display())?;
        }
        Ok(())
    }
}

/// Reads each of `paths` (a `summary.json` per machine), merges them and writes `index.html`,
/// `summary.md` and `merged.json` into `out`, created if missing.
///
/// # Errors
///
/// A summary that cannot be read (named, with why); what [`merge`] refuses; the directory or a
/// file that cannot be written.
pub fn write(paths: &[PathBuf], out: &Path, allow_different_commits: bool) -> Result<MergeWritten, Error> {
    let summaries = paths
        .iter()
        .map(|path| Ok(MachineSummary { path: path.clone(), summary: Summary::read(path)? }))
        .collect::<Result<Vec<_>, Error>>()?;
    let merged = merge(summaries, allow_different_commits)?;
    std::fs::create_dir_all(out).map_err(|err| Error::create_dir(out, err))?;
    let mut json = serde_json::to_string_pretty(&merged).map_err(|err| Error::encode(MERGED_FILE, err))?;
    json.push('\n');
    let files = [
        ("index.html", super::html::render_merged(&merged)),
        ("summary.md", super::markdown::render_merged(&merged)),
        (MERGED_FILE, json),
    ];
    let mut staged = Staged::default();
    for (name, text) in &files {
        let path = out.join(name);
        staged.add(&path, text.as_bytes()).map_err(|err| Error::write(&path, err))?;
    }
    let lock_path = out.join(super::LOCK_FILE);
    let lock = Lock::exclusive_on(&lock_path).map_err(|err| Error::write(&lock_path, err))?;
    staged.commit().map_err(|(path, err)| Error::write(&path, err))?;
    drop(lock);
    Ok(MergeWritten {
        index_html: out.join("index.html"),
        summary_md: out.join("summary.md"),
        merged_json: out.join(MERGED_FILE),
        merged,
    })
}
