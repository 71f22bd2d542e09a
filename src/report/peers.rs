//! The Python peers in the report: their rows beside poolbench's, and how many times faster or
//! slower each of poolbench's executors is than the Python program doing the same work.
//!
//! The peers file (`poolbench-peers.json` in the Criterion directory, written by the same
//! `cargo bench` run) names each row's group; the row goes there, after poolbench's rows, with
//! `source: "python"` (a group only the peers ran is added). Peer rows take no part in what the
//! report derives from poolbench's rows (speedup, efficiency, scaling fits, start-up split,
//! headline), which are computed before they arrive; they get tasks per second.
//!
//! Each peer row is paired with poolbench's rows of the same group and the same value:
//!
//! | peer | poolbench |
//! |---|---|
//! | `python-pool-fork`, `-forkserver`, `-spawn`, `python-pool-apply` | `ProcessPool` |
//! | `python-threadpool` | `StdPool`, `Rayon` |
//! | `python-sequential` | `Sequential` |
//! | `python-pipe-floor` | `pipe-floor` |
//! | `python` (the task suite) | the executor-less row of the same input |
//!
//! The ratio is the peer's median over poolbench's: above 1, poolbench's executor is that many
//! times faster. Its interval divides opposite bounds, as the speedup's does.

use std::path::Path;

use super::summarize::{case_info, finite, sort_groups, speedup};
use crate::catalog::PIPE_FLOOR;
use crate::env::PYTHON as PYTHON_VAR;
use crate::executor::ExecutorKind;
use crate::format::significant;
use crate::schema::{
    self, Group, ONE_THREAD, PeerRatio, PeerRow, Peers, PeersStatus, Quietness, Row, Skipped, Source, Summary,
};

/// Reads the peers file of `criterion_dir` and adds it to `summary`.
pub(crate) fn load(summary: &mut Summary, criterion_dir: &Path) {
    let path = schema::peers_file_in(criterion_dir);
    add_peers(summary, Peers::read(&path), &path);
}

/// Adds what the peers file at `path` gave to `summary`: its rows (moved into their groups) and
/// ratios when it was measured; why there are none when it says it was skipped, cannot be read
/// (then it is also listed in [`Summary::skipped`]) or is not there beside groups of poolbench's
/// own suites. Not there beside none of them (another crate's results), the summary has no word
/// of the peers.
pub fn add_peers(summary: &mut Summary, file: Result<Peers, schema::Error>, path: &Path) {
    let mut peers = match file {
        // The peers run the notebook's programs for poolbench's own groups only: a run without
        // any of them (another crate's benchmarks, read by `poolbench report`) had none to miss.
        Err(err)
            if err.is_not_found()
                && !summary.groups.iter().any(|group| crate::catalog::find(&group.id).is_some()) =>
        {
            return;
        }
        Err(err) if err.is_not_found() => Peers::skipped(format!(
            "no peers file at {}: the Python peers did not run with these results \
             (cargo bench runs them unless {PYTHON_VAR}=0)",
            path.display()
        )),
        Err(err) => {
            summary.skipped.push(Skipped::new(path, None, err.to_string()));
            Peers::skipped(err.to_string())
        }
        Ok(mut peers) => {
            if peers.status == PeersStatus::Measured {
                merge(&mut summary.groups, std::mem::take(&mut peers.rows));
                for group in &mut summary.groups {
                    if let Some(note) = super::memory::peers_note(group) {
                        group.headline.push(' ');
                        group.headline.push_str(&note);
                    }
                }
            }
            peers
        }
    };
    peers.path = Some(path.display().to_string());
    summary.peers = Some(peers);
}

fn merge(groups: &mut Vec<Group>, peer_rows: Vec<PeerRow>) {
    for peer in peer_rows {
        let index = match groups.iter().position(|group| group.id == peer.group) {
            Some(index) => index,
            None => {
                groups.push(peers_only(&peer.group));
                groups.len() - 1
            }
        };
        let group = &mut groups[index];
        let mut ratios = ratios(&group.results, &peer);
        group.ratios.append(&mut ratios);
        let mut row = peer.row;
        row.load = Quietness::not_measured("a Python peer: its script does not measure the machine's load");
        row.tasks_per_second =
            group.case.as_ref().and_then(|case| finite(case.tasks as f64 / (row.median_ns.point * 1e-9)));
        group.results.push(row);
    }
    sort_groups(groups);
}

/// A group that only the peers ran: poolbench's results for it are not in this directory.
fn peers_only(id: &str) -> Group {
    Group {
        case: case_info(id),
        headline: "Only the Python peers ran here: poolbench's own rows for this group are not in these \
                   Criterion results (run cargo bench for them)."
            .to_owned(),
        ..Group::new(id, Vec::new())
    }
}

/// What a peer's value means beside poolbench's row, for the sentence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Value {
    /// A pool size: "at n=8".
    PoolSize,
    /// An input of the task suite: "on input 20000".
    Input,
    /// Nothing to say (a loop, a pipe floor).
    Unsaid,
}

/// poolbench's executors that `peer` is compared with; `""` stands for the executor-less rows of
/// the task suite.
fn counterparts(peer: &str) -> (Vec<&'static str>, Value) {
    match peer {
        "python-threadpool" => {
            (vec![ExecutorKind::StdPool.name(), ExecutorKind::Rayon.name()], Value::PoolSize)
        }
        "python-sequential" => (vec![ExecutorKind::Sequential.name()], Value::Unsaid),
        "python-pipe-floor" => (vec![PIPE_FLOOR], Value::Unsaid),
        "python" => (vec![""], Value::Input),
        pool if pool.starts_with("python-pool-") => (vec![ExecutorKind::ProcessPool.name()], Value::PoolSize),
        _ => (Vec::new(), Value::Unsaid),
    }
}

/// The ratios of `peer` against poolbench's rows of its group, `rows`, at the same value.
pub fn ratios(rows: &[Row], peer: &PeerRow) -> Vec<PeerRatio> {
    let peer_executor = peer.row.executor.as_deref().unwrap_or_default();
    let (executors, value) = counterparts(peer_executor);
    executors
        .into_iter()
        .filter_map(|executor| {
            let rust = rows.iter().find(|row| {
                row.source == Source::Criterion
                    && row.executor.as_deref().unwrap_or_default() == executor
                    && row.value == peer.row.value
            })?;
            let ratio = speedup(peer.row.median_ns, rust.median_ns)?;
            let within_noise = ratio.lower <= 1.0 && 1.0 <= ratio.upper;
            Some(PeerRatio {
                executor: rust.executor.clone(),
                id: rust.id.clone(),
                peer: peer_executor.to_owned(),
                peer_id: peer.row.id.clone(),
                peer_label: peer.label.clone(),
                start_method: peer.start_method.clone(),
                value: rust.value.clone(),
                size: rust.size,
                median_ns: rust.median_ns,
                peer_median_ns: peer.row.median_ns,
                ratio,
                within_noise,
                sentence: sentence(rust, &peer.label, ratio.point, within_noise, value),
            })
        })
        .collect()
}

fn sentence(rust: &Row, peer_label: &str, ratio: f64, within_noise: bool, value: Value) -> String {
    let name = rust.executor.as_deref().unwrap_or(ONE_THREAD);
    let (times, word) = if ratio >= 1.0 { (ratio, "faster") } else { (1.0 / ratio, "slower") };
    let at = match (value, rust.size, rust.value.as_deref()) {
        (Value::PoolSize, Some(size), _) => format!(" at n={size}"),
        (Value::Input, _, Some(input)) => format!(" on input {input}"),
        _ => String::new(),
    };
    let noise = if within_noise { " (within noise: the intervals overlap)" } else { "" };
    format!("{name} is {} times {word} than {peer_label}{at}{noise}", significant(times))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Interval;

    fn row(source: Source, executor: Option<&str>, value: &str, median: f64) -> Row {
        let median_ns = Interval { point: median, lower: median * 0.99, upper: median * 1.01 };
        let id = format!("g/c/{}/{value}", executor.unwrap_or_default());
        Row::for_test(source, &id, executor, value, median_ns, vec![median])
    }

    fn peer(executor: &str, value: &str, median: f64, label: &str) -> PeerRow {
        PeerRow {
            group: "g/c".to_owned(),
            label: label.to_owned(),
            start_method: executor.strip_prefix("python-pool-").map(str::to_owned),
            program: String::new(),
            checked: String::new(),
            same_measurement_as: None,
            row: row(Source::Python, Some(executor), value, median),
        }
    }

    #[test]
    fn a_missing_peers_file_is_said_beside_poolbenchs_own_groups_and_nowhere_else() {
        let summary_of = |group: &str| Summary {
            schema_version: schema::SCHEMA_VERSION,
            generator: "test".to_owned(),
            machine: schema::Machine::detect(),
            criterion_dir: "target/criterion".to_owned(),
            groups: vec![Group::new(group, vec![row(Source::Criterion, Some("Sequential"), "1", 10.0)])],
            skipped: Vec::new(),
            peers: None,
            capacity: None,
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = schema::peers_file_in(dir.path());
        for (group, said) in [("pools/squares-10k", true), ("orders/totals", false)] {
            let mut summary = summary_of(group);
            add_peers(&mut summary, Peers::read(&path), &path);
            let reason = summary.peers.as_ref().and_then(|peers| peers.reason.clone());
            assert_eq!(reason.is_some_and(|reason| reason.starts_with("no peers file at ")), said, "{group}");
            assert_eq!(summary.peers.is_none(), !said, "{group}");
        }
    }

    #[test]
    fn a_process_pool_is_compared_with_each_start_method_at_its_own_size() {
        let rows = [
            row(Source::Criterion, Some("ProcessPool"), "2", 1_000.0),
            row(Source::Criterion, Some("ProcessPool"), "8", 2_000.0),
            row(Source::Criterion, Some("StdPool"), "8", 500.0),
        ];
        let ratios = ratios(&rows, &peer("python-pool-spawn", "8", 50_000.0, "multiprocessing.Pool (spawn)"));
        assert_eq!(ratios.len(), 1, "{ratios:?}");
        assert_eq!(ratios[0].id, rows[1].id);
        assert_eq!(ratios[0].ratio.point, 25.0);
        assert_eq!(
            ratios[0].sentence,
            "ProcessPool is 25.0 times faster than multiprocessing.Pool (spawn) at n=8"
        );
        assert_eq!(ratios[0].start_method.as_deref(), Some("spawn"));
    }

    #[test]
    fn a_thread_pool_peer_meets_both_thread_pools_and_a_slower_one_is_called_slower() {
        let rows = [
            row(Source::Criterion, Some("Rayon"), "4", 400.0),
            row(Source::Criterion, Some("StdPool"), "4", 100.0),
        ];
        let ratios = ratios(&rows, &peer("python-threadpool", "4", 200.0, "ThreadPoolExecutor"));
        let sentences: Vec<&str> = ratios.iter().map(|ratio| ratio.sentence.as_str()).collect();
        assert_eq!(
            sentences,
            [
                "StdPool is 2.00 times faster than ThreadPoolExecutor at n=4",
                "Rayon is 2.00 times slower than ThreadPoolExecutor at n=4"
            ]
        );
    }

    #[test]
    fn the_task_suites_rows_pair_by_input_and_overlapping_intervals_are_noise() {
        let rows =
            [row(Source::Criterion, None, "2000", 100.0), row(Source::Criterion, None, "20000", 10_000.0)];
        let ratios = ratios(&rows, &peer("python", "20000", 10_050.0, "math.factorial"));
        assert_eq!(ratios.len(), 1);
        assert!(ratios[0].within_noise);
        assert_eq!(
            ratios[0].sentence,
            "poolbench (one thread) is 1.00 times faster than math.factorial on input 20000 \
             (within noise: the intervals overlap)"
        );
    }

    #[test]
    fn peer_rows_are_never_paired_with_each_other() {
        let rows = [row(Source::Python, Some("ProcessPool"), "2", 1.0)];
        assert!(ratios(&rows, &peer("python-pool-fork", "2", 5.0, "x")).is_empty());
        assert!(ratios(&rows, &peer("python-unknown", "2", 5.0, "x")).is_empty());
    }
}
