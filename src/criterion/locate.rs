//! Where Criterion 0.8 just put a benchmark: for writing poolbench's load file beside it.
//!
//! Criterion names a benchmark's directory after its id, each part (group, function, value) made
//! file-safe (`?"/\*<>:|^` become `_`) and cut to 64 bytes, and adds `_2`, `_3`... when two ids
//! of one run come out the same. The name is computed by those rules and then checked against the
//! `new/benchmark.json` it holds, so a Criterion that names directories otherwise leaves the
//! benchmark without a load file (its row says "not measured"), never with another's.

use std::path::{Path, PathBuf};

use super::{BenchmarkId, LATEST, MAX_FILE_BYTES, Sample};

/// Criterion's cut of each part of a directory name, in bytes.
const MAX_PART_BYTES: usize = 64;

/// The most `_N` suffixes tried: ids that clash this often in one run are not poolbench's.
const MAX_SUFFIX: usize = 64;

/// A part of an id as Criterion names its directory.
fn file_safe(part: &str) -> String {
    let mut safe = part.replace(['?', '"', '/', '\\', '*', '<', '>', ':', '|', '^'], "_");
    let mut cut = safe.len().min(MAX_PART_BYTES);
    while !safe.is_char_boundary(cut) {
        cut -= 1;
    }
    safe.truncate(cut);
    safe
}

/// The directory under `root` that holds the latest results of the benchmark `full_id` of
/// `group`, `function` and `value`; `None` when none does (the run saved nothing: `--test`,
/// `--discard-baseline`...).
pub(crate) fn latest_dir(
    root: &Path,
    group: &str,
    function: Option<&str>,
    value: Option<&str>,
    full_id: &str,
) -> Option<PathBuf> {
    let name: Vec<String> = std::iter::once(group).chain(function).chain(value).map(file_safe).collect();
    let name = name.join("/");
    for suffix in 1..=MAX_SUFFIX {
        let dir = if suffix == 1 { root.join(&name) } else { root.join(format!("{name}_{suffix}")) };
        let id = read_json::<BenchmarkId>(&dir.join(LATEST).join("benchmark.json"))?;
        if id.full_id == full_id {
            return Some(dir);
        }
    }
    None
}

/// The last sample of the latest results in `benchmark_dir`: its iteration count and time.
pub(crate) fn last_sample(benchmark_dir: &Path) -> Option<(f64, f64)> {
    let sample = read_json::<Sample>(&benchmark_dir.join(LATEST).join("sample.json"))?;
    Some((*sample.iters.last()?, *sample.times.last()?))
}

/// The baselines of `benchmark_dir` that hold a copy of its latest results: those Criterion
/// copied `new/` into in this run (`base`, or the name given to `--save-baseline`), whose
/// `sample.json` is the same file.
pub(crate) fn copies_of_latest(benchmark_dir: &Path) -> Vec<PathBuf> {
    let read = |dir: &Path| crate::fs::read_regular_file(&dir.join("sample.json"), MAX_FILE_BYTES).ok();
    let Some(latest) = read(&benchmark_dir.join(LATEST)) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(benchmark_dir) else {
        return Vec::new();
    };
    let mut copies: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_name() != LATEST && entry.file_name() != "report")
        .map(|entry| entry.path())
        .filter(|dir| read(dir).is_some_and(|sample| sample == latest))
        .collect();
    copies.sort();
    copies
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&crate::fs::read_regular_file(path, MAX_FILE_BYTES).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_made_file_safe_part_by_part_and_cut_at_a_character_boundary() {
        assert_eq!(file_safe("a/b<c>?"), "a_b_c__");
        let long = "é".repeat(40);
        let cut = file_safe(&long);
        assert_eq!((cut.len(), cut.chars().all(|c| c == 'é')), (64, true));
    }

    #[test]
    fn the_directory_is_the_one_whose_benchmark_json_names_the_id() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let write = |dir: &str, full_id: &str| {
            let new = root.path().join(dir).join(LATEST);
            std::fs::create_dir_all(&new).expect("created");
            let id = serde_json::json!({"group_id": "g", "function_id": "f", "value_str": "1", "full_id": full_id});
            std::fs::write(new.join("benchmark.json"), id.to_string()).expect("written");
        };
        write("g_x/f/1", "g/x/f/1... another id that came out the same");
        write("g_x/f/1_2", "g/x/f/1");
        let found = latest_dir(root.path(), "g/x", Some("f"), Some("1"), "g/x/f/1");
        assert_eq!(found, Some(root.path().join("g_x/f/1_2")));
        assert_eq!(latest_dir(root.path(), "g/x", Some("f"), Some("2"), "g/x/f/2"), None);
    }
}
