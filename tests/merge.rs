//! `poolbench merge` over two real, tiny runs measured under different CPU sets: one on a thread
//! pinned to a single CPU (what `taskset -c 0` does to a whole run), one unrestricted.
//!
//! Each run is real Criterion work written into a report by `report::write`, so each summary
//! records the cores its thread could use; the merged report is built from the two summaries.

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use criterion::BenchmarkId;
use poolbench::report::{self, Options, merge};
use poolbench::schema::{CoreLimit, MERGED_VERSION, Merged, Summary};
use poolbench::workload::CpuSpin;
use poolbench::{Executor, RayonPool, Sequential};
use scraper::{Html, Selector};

const GROUP: &str = "pools/cpu-spin";

/// Runs the group into `dir` and writes its report into `dir/report`: the summary's path.
fn measure(dir: &Path) -> PathBuf {
    let mut c = common::tiny_criterion(&dir.join("criterion"));
    let tasks = [2_000u64; 8];
    let mut group = c.benchmark_group(GROUP);
    group.bench_with_input(BenchmarkId::new("Sequential", 1), &tasks, |b, tasks| {
        b.iter(|| Sequential.map(&CpuSpin, black_box(tasks)))
    });
    for size in [1, 2, 4] {
        let pool = RayonPool::new(size).expect("a rayon pool");
        group.bench_with_input(BenchmarkId::new("Rayon", size), &tasks, |b, tasks| {
            b.iter(|| pool.map(&CpuSpin, black_box(tasks)))
        });
    }
    group.finish();
    let options = Options::with_dirs(dir.join("criterion"), dir.join("report"));
    report::write(&options).unwrap_or_else(|err| panic!("the report: {err}")).summary_json
}

/// Pins the calling thread (and the pools it starts) to the first CPU it may use.
fn pin_to_one_cpu() {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; both calls write within its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        assert_eq!(libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set), 0);
        let first = (0..libc::CPU_SETSIZE as usize).find(|&cpu| libc::CPU_ISSET(cpu, &set)).expect("a CPU");
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(first, &mut one);
        assert_eq!(libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &one), 0);
    }
}

/// The two summaries, pinned first: measured once per test binary.
fn summaries() -> &'static [PathBuf; 2] {
    static SUMMARIES: OnceLock<[PathBuf; 2]> = OnceLock::new();
    SUMMARIES.get_or_init(|| {
        let dir = common::kept_fixture_dir("merge-fixture-");
        let pinned_dir = dir.join("pinned");
        let pinned = std::thread::spawn(move || {
            pin_to_one_cpu();
            measure(&pinned_dir)
        })
        .join()
        .expect("the pinned run");
        let unrestricted = measure(&dir.join("unrestricted"));
        [pinned, unrestricted]
    })
}

fn usable_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn merged_in(out: &Path) -> merge::MergeWritten {
    merge::write(summaries(), out, false).unwrap_or_else(|err| panic!("the merge: {err}"))
}

#[test]
fn a_run_pinned_to_one_cpu_is_a_one_core_machine_in_its_summary() {
    let pinned = Summary::read(&summaries()[0]).expect("the pinned summary");
    assert_eq!(pinned.machine.cores, 1);
    let online = pinned.machine.online_cpus.expect("the CPUs online are recorded");
    assert_eq!(pinned.machine.cores_limit, (online > 1).then_some(CoreLimit::Affinity));
    let unrestricted = Summary::read(&summaries()[1]).expect("the unrestricted summary");
    assert_eq!(unrestricted.machine.cores, usable_cores());
}

#[test]
fn the_merged_report_puts_each_machine_beside_the_other_fewest_cores_first() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let written = merged_in(out.path());
    let merged: Merged =
        serde_json::from_str(&std::fs::read_to_string(&written.merged_json).expect("merged.json"))
            .expect("parses");
    assert_eq!(merged, written.merged);
    assert_eq!(merged.schema_version, MERGED_VERSION);
    let cores: Vec<usize> = merged.machines.iter().map(|machine| machine.machine.cores).collect();
    assert_eq!(cores, [1, usable_cores()]);
    let group = merged.groups.iter().find(|group| group.id == GROUP).expect("the group");
    assert_eq!(group.machines.len(), 2);
    for (entry, machine) in group.machines.iter().zip(&merged.machines) {
        let best = entry.best.as_ref().expect("each machine has a best configuration");
        assert!(group.headline.contains(&format!("on {}", machine.label)), "{}", group.headline);
        let rayon = entry.lines.iter().find(|line| line.executor == "Rayon").expect("Rayon's line");
        let sizes: Vec<u32> = rayon.points.iter().map(|point| point.size).collect();
        assert_eq!(sizes, [1, 2, 4]);
        assert!(best.speedup > 0.0 && best.size >= 1);
    }
}

#[test]
fn the_page_draws_both_machines_on_one_chart_per_group_and_the_markdown_fits_a_comment() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let written = merged_in(out.path());
    let page = Html::parse_document(&std::fs::read_to_string(&written.index_html).expect("index.html"));
    let section = Selector::parse(&format!("section.group[data-group=\"{GROUP}\"]")).expect("a selector");
    let section = page.select(&section).next().expect("the group's section");
    assert_eq!(section.value().attr("data-machines"), Some("2"));
    let speedup = Selector::parse("figure.chart[data-kind=\"speedup\"] svg").expect("a selector");
    let chart = section.select(&speedup).next().expect("the speedup chart").html();
    // The legend names each executor's colour once and each machine's line style.
    assert!(chart.contains("\nRayon\n</text>"), "no Rayon in the legend");
    let [fewer, most] = &written.merged.machines[..] else { panic!("two machines") };
    assert!(chart.contains(&format!("{} (dashed)", fewer.label)), "no line style of {}", fewer.label);
    assert!(chart.contains(&format!("{} (solid)", most.label)), "no line style of {}", most.label);
    // One line per machine: Rayon's three sizes on each, drawn as circles.
    assert!(chart.matches("<circle").count() >= 6, "{chart}");
    let markdown = std::fs::read_to_string(&written.summary_md).expect("summary.md");
    assert!(markdown.chars().count() < 65_536);
    let group = written.merged.groups.iter().find(|group| group.id == GROUP).expect("the group");
    assert!(
        markdown.contains("### pools/cpu\\-spin") || markdown.contains("### pools/cpu-spin"),
        "{markdown}"
    );
    assert!(markdown.contains("1 core"), "{markdown}");
    assert!(!group.headline.is_empty());
}

#[test]
fn summaries_of_different_commits_are_refused_unless_allowed_and_then_flagged() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut other = Summary::read(&summaries()[1]).expect("the unrestricted summary");
    let git = other
        .machine
        .git
        .get_or_insert_with(|| poolbench::schema::GitState { commit: "0".repeat(40), dirty: false });
    git.commit = "f".repeat(40);
    let other_path = dir.path().join("other.json");
    std::fs::write(&other_path, serde_json::to_string(&other).expect("encodes")).expect("written");
    let paths = [summaries()[0].clone(), other_path];
    let err = merge::write(&paths, &dir.path().join("out"), false).expect_err("refused").to_string();
    assert!(err.contains("commit ffffffffffff") && err.contains("--allow-different-commits"), "{err}");
    let written = merge::write(&paths, &dir.path().join("out"), true).expect("merged when allowed");
    assert!(
        written.merged.flags.iter().any(|flag| flag.contains("different commits")),
        "{:?}",
        written.merged.flags
    );
}

#[test]
fn one_summary_or_the_same_file_twice_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let one = merge::write(&summaries()[..1], dir.path(), false).expect_err("one is too few").to_string();
    assert!(one.contains("at least two machines") && one.contains("got 1"), "{one}");
    let twice = [summaries()[0].clone(), summaries()[0].clone()];
    let err = merge::write(&twice, dir.path(), false).expect_err("the same file twice").to_string();
    assert!(err.contains("is given twice"), "{err}");
}

#[test]
fn the_cli_merges_two_summaries_and_exits_1_on_a_missing_one() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("merged");
    let [a, b] = summaries();
    let (code, stdout, stderr) = common::poolbench([
        "merge".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("on 2 machines") && out.join("index.html").is_file(), "{stdout}");
    let missing = dir.path().join("missing.json");
    let (code, _, stderr) = common::poolbench([
        "merge".as_ref(),
        a.as_os_str(),
        missing.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("missing.json"), "{stderr}");
}
