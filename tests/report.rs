//! The pool-size report over a real, tiny Criterion run: schema, numbers, page, and bad input.
//!
//! The fixture is Criterion's own output, produced once per test binary by running real (tiny)
//! poolbench work through Criterion into a temporary directory; tests that damage it work on a
//! copy. Expected numbers are read back from Criterion's files, never typed in.

mod common;

use std::collections::HashSet;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use criterion::{BenchmarkId, PlottingBackend};
use poolbench::report::{self, Options, Written};
use poolbench::schema::{SCHEMA_VERSION, Source, Summary};
use poolbench::workload::{Factorial, Squares};
use poolbench::{Executor, RayonPool, Sequential, StdPool, Workload, catalog};
use scraper::{ElementRef, Html, Selector};

/// A group and an executor whose names would break the page if a renderer forgot to escape them.
const HOSTILE_GROUP: &str = "weird/<script>alert('group')</script>&co";
const HOSTILE_EXECUTOR: &str = "<b>Mutex</b>&";
/// A value that is not a pool size, with characters Criterion keeps in directory names.
const ODD_VALUE: &str = "fair #1 100%";

/// Criterion's results of a tiny real run, shared by every test of this binary.
fn fixture() -> &'static Path {
    static FIXTURE: OnceLock<PathBuf> = OnceLock::new();
    common::kept_fixture(&FIXTURE, "report-fixture-", run_criterion)
}

fn run_criterion(dir: &Path) {
    let mut c = common::tiny_criterion(dir)
        // Criterion's own pages, so the report's links into them can be followed.
        .plotting_backend(PlottingBackend::Plotters)
        .with_plots();
    let inputs: Vec<u32> = (1..=10).collect();

    let mut group = c.benchmark_group("pools/squares-10");
    group.bench_with_input(BenchmarkId::new("Sequential", 1), &inputs, |b, inputs| {
        b.iter(|| Sequential.map(&Squares, black_box(inputs)))
    });
    for size in [2, 4, 8] {
        let pool = RayonPool::new(size).expect("a rayon pool");
        group.bench_with_input(BenchmarkId::new("Rayon", size), &inputs, |b, inputs| {
            b.iter(|| pool.map(&Squares, black_box(inputs)))
        });
    }
    let pool = StdPool::new(2).expect("a std pool");
    group.bench_with_input(BenchmarkId::new("StdPool", 2), &inputs, |b, inputs| {
        b.iter(|| pool.map(&Squares, black_box(inputs)))
    });
    group.finish();

    let mut group = c.benchmark_group("startup/ex8-squares");
    group.bench_with_input(BenchmarkId::new("Sequential", 1), &inputs, |b, inputs| {
        b.iter(|| Sequential.map(&Squares, black_box(inputs)))
    });
    group.bench_with_input(BenchmarkId::new("Rayon", 2), &inputs, |b, inputs| {
        b.iter(|| RayonPool::new(2).expect("a rayon pool").map(&Squares, black_box(inputs)))
    });
    group.finish();

    let mut group = c.benchmark_group(HOSTILE_GROUP);
    group.bench_with_input(BenchmarkId::new(HOSTILE_EXECUTOR, 1), &inputs, |b, inputs| {
        b.iter(|| Sequential.map(&Squares, black_box(inputs)))
    });
    // A value that is no pool size, and a directory name a URL must encode.
    group.bench_with_input(BenchmarkId::new("pipe-floor", ODD_VALUE), &inputs, |b, inputs| {
        b.iter(|| Sequential.map(&Squares, black_box(inputs)))
    });
    group.finish();

    let mut group = c.benchmark_group("task/factorial");
    group.bench_with_input(BenchmarkId::from_parameter(20), &20u32, |b, n| {
        b.iter(|| Factorial.run(&(), black_box(n)))
    });
    group.finish();
}

/// The number of benchmarks in a Criterion directory, counted without the report's code.
fn benchmarks_in(dir: &Path) -> usize {
    let in_new = |path: &PathBuf| path.parent().and_then(Path::file_name) == Some("new".as_ref());
    common::files_named(dir, "benchmark.json").iter().filter(|path| in_new(path)).count()
}

fn read_summary(written: &Written) -> Summary {
    let text = std::fs::read_to_string(&written.summary_json).expect("summary.json is there");
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("summary.json parses back: {err}"))
}

/// A field of one of Criterion's own files, read as plain JSON.
fn criterion_json(criterion_dir: &Path, benchmark_dir: &str, file: &str) -> serde_json::Value {
    common::read_json(&criterion_dir.join(benchmark_dir).join("new").join(file))
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|err| panic!("selector {css}: {err}"))
}

fn by_data_group<'a>(page: &'a Html, css: &str, group: &str) -> Vec<ElementRef<'a>> {
    page.select(&selector(css)).filter(|element| element.value().attr("data-group") == Some(group)).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[test]
fn summary_json_parses_back_with_its_schema_version_machine_and_every_benchmark() {
    let (_out, written) = common::write_report(fixture());
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written.summary_json).expect("summary.json"))
            .expect("JSON");
    assert_eq!(raw["schema_version"], SCHEMA_VERSION);
    let summary = read_summary(&written);
    assert_eq!(summary.schema_version, SCHEMA_VERSION);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(summary.machine.cores, cores);
    assert!(!summary.machine.date.is_empty() && !summary.machine.rustc.is_empty());

    let expected = benchmarks_in(fixture());
    let rows: usize = summary.groups.iter().map(|group| group.results.len()).sum();
    assert_eq!(rows, expected);
    assert_eq!(written.benchmarks, expected);
    assert!(written.skipped.is_empty() && summary.skipped.is_empty(), "{:?}", written.skipped);
    assert!(
        summary.groups.iter().flat_map(|group| &group.results).all(|row| row.source == Source::Criterion)
    );
    // A value that is not a pool size is listed without size, efficiency or fit.
    let hostile = summary.group(HOSTILE_GROUP).expect("the hostile group");
    let odd =
        hostile.results.iter().find(|row| row.value.as_deref() == Some(ODD_VALUE)).expect("the odd row");
    assert_eq!((odd.size, odd.efficiency, odd.speedup), (None, None, None));
    assert!(hostile.scaling.is_empty(), "{:?}", hostile.scaling);
    // Catalog groups come first, in catalog order.
    let ids: Vec<&str> = summary.groups.iter().map(|group| group.id.as_str()).collect();
    assert_eq!(ids, ["task/factorial", "pools/squares-10", "startup/ex8-squares", HOSTILE_GROUP]);
}

#[test]
fn speedup_efficiency_and_tasks_per_second_come_from_criterions_own_medians() {
    let (_out, _written, summary) = common::write_and_read_report(fixture());
    let group = summary.group("pools/squares-10").expect("the pools group");
    let median = |dir: &str| {
        criterion_json(fixture(), dir, "estimates.json")["median"]["point_estimate"]
            .as_f64()
            .expect("a median")
    };
    let sequential =
        group.results.iter().find(|row| row.executor.as_deref() == Some("Sequential")).expect("Sequential");
    let sequential_median = median(sequential.criterion_dir.as_deref().expect("a directory"));
    let tasks = catalog::find("pools/squares-10").expect("a catalog case").tasks as f64;
    assert_eq!(group.results.len(), 5);
    for row in &group.results {
        let dir = row.criterion_dir.as_deref().expect("a directory");
        let own = median(dir);
        assert_eq!(row.median_ns.point, own, "{}", row.id);
        let speedup = row.speedup.expect("a speedup");
        assert!(
            close(speedup.point, sequential_median / own),
            "{}: {} vs {}",
            row.id,
            speedup.point,
            sequential_median / own
        );
        assert!(speedup.lower <= speedup.point && speedup.point <= speedup.upper, "{}: {speedup:?}", row.id);
        let size = f64::from(row.size.expect("a pool size"));
        assert_eq!(row.value.as_deref(), Some(size.to_string().as_str()));
        assert!(close(row.efficiency.expect("an efficiency"), speedup.point / size), "{}", row.id);
        assert!(close(row.tasks_per_second.expect("tasks per second"), tasks / (own * 1e-9)), "{}", row.id);

        let sample = criterion_json(fixture(), dir, "sample.json");
        let (times, iters) =
            (sample["times"].as_array().expect("times"), sample["iters"].as_array().expect("iters"));
        assert_eq!(row.n, times.len());
        assert_eq!(row.samples_ns.len(), times.len());
        for ((per_iteration, time), iters) in row.samples_ns.iter().zip(times).zip(iters) {
            let expected = time.as_f64().expect("a time") / iters.as_f64().expect("a count");
            assert!(close(*per_iteration, expected), "{}", row.id);
        }
        let estimates = criterion_json(fixture(), dir, "estimates.json");
        assert_eq!(row.mean_ns.point, estimates["mean"]["point_estimate"].as_f64().expect("a mean"));
        assert_eq!(row.std_dev_ns, estimates["std_dev"]["point_estimate"].as_f64().expect("a std dev"));
    }

    // Rayon's sweep has three sizes above 1: its fit is judged, with the reason when it is not
    // meaningful, and its points are the speedups of the table.
    let rayon = group.scaling.iter().find(|fit| fit.executor == "Rayon").expect("a Rayon fit");
    assert_eq!(rayon.baseline.as_deref(), Some("Sequential"));
    assert_eq!(rayon.points.iter().map(|point| point.size).collect::<Vec<_>>(), [2, 4, 8]);
    for point in &rayon.points {
        let row = group
            .results
            .iter()
            .find(|row| row.executor.as_deref() == Some("Rayon") && row.size == Some(point.size));
        assert!(close(point.speedup, row.and_then(|row| row.speedup).expect("a speedup").point));
    }
    // Which side of the bound this machine's noise puts the sweep is not the test's to choose;
    // that the verdict follows from the side it is on is.
    let best = rayon.points.iter().map(|point| point.speedup).fold(0.0, f64::max);
    if best < report::scaling::OVERHEAD_BOUND {
        assert!(!rayon.meaningful && rayon.verdict.contains("overhead-bound"), "{best}: {}", rayon.verdict);
    } else {
        assert!(!rayon.verdict.contains("overhead-bound"), "{best}: {}", rayon.verdict);
        assert_eq!(rayon.meaningful, rayon.verdict.starts_with("USL: "), "{best}: {}", rayon.verdict);
    }
    let std_pool = group.scaling.iter().find(|fit| fit.executor == "StdPool").expect("a StdPool fit");
    assert!(!std_pool.meaningful && std_pool.verdict.contains("1 pool size above 1"), "{}", std_pool.verdict);
}

#[test]
fn the_startup_split_subtracts_the_steady_state_median() {
    let (_out, _written, summary) = common::write_and_read_report(fixture());
    let group = |id: &str| summary.group(id).expect("the group");
    let startup = group("startup/ex8-squares").startup.as_ref().expect("a start-up split");
    assert_eq!(startup.steady_state_group, "pools/squares-10");
    let pairs: Vec<(&str, Option<u32>)> =
        startup.rows.iter().map(|row| (row.executor.as_str(), row.size)).collect();
    assert_eq!(pairs, [("Sequential", Some(1)), ("Rayon", Some(2))]);
    for split in &startup.rows {
        let median = |group_id: &str| {
            group(group_id)
                .results
                .iter()
                .find(|row| row.executor.as_deref() == Some(&split.executor) && row.size == split.size)
                .expect("the matching row")
                .median_ns
        };
        let (whole, steady) = (median("startup/ex8-squares"), median("pools/squares-10"));
        // Equal up to the last bit or two: summary.json stores each number rounded once.
        let difference = whole.point - steady.point;
        assert!(
            (split.startup_ns - difference).abs() <= 1e-9 * whole.point.abs(),
            "{} vs {difference}",
            split.startup_ns
        );
        let overlap = whole.lower <= steady.upper && steady.lower <= whole.upper;
        assert_eq!(split.within_noise, overlap || whole.point <= steady.point);
    }
    assert!(group("pools/squares-10").startup.is_none());
}

#[test]
fn the_page_has_each_chart_and_table_per_group_and_the_machines_cores() {
    let (out, written, summary) = common::write_and_read_report(fixture());
    let page = Html::parse_document(&std::fs::read_to_string(&written.index_html).expect("index.html"));
    let cores = summary.machine.cores.to_string();
    let machine = page.select(&selector("section.machine")).next().expect("a machine section");
    assert_eq!(machine.value().attr("data-cores"), Some(cores.as_str()));
    let machine_text: String = machine.text().collect();
    assert!(
        machine_text.contains(&format!("{cores} cores")) && machine_text.contains("oversubscribe"),
        "{machine_text}"
    );

    for group in &summary.groups {
        assert_eq!(by_data_group(&page, "section.group", &group.id).len(), 1, "{}", group.id);
        let tables = by_data_group(&page, "table.results", &group.id);
        assert_eq!(tables.len(), 1, "{}", group.id);
        assert_eq!(tables[0].select(&selector("tbody tr")).count(), group.results.len(), "{}", group.id);
        let headline = by_data_group(&page, "section.group", &group.id)[0]
            .select(&selector("p.headline"))
            .next()
            .map(|p| p.text().collect::<String>());
        assert!(headline.is_some_and(|text| text.contains(&group.headline)), "{}", group.id);
        // The table's times are medians; Criterion's terminal line shows means: the page says so.
        let notes: String = by_data_group(&page, "section.group", &group.id)[0].text().collect();
        assert!(notes.contains("terminal line shows the mean"), "{}: {notes}", group.id);
    }
    for (id, kinds) in [
        ("pools/squares-10", &["time", "speedup", "efficiency"][..]),
        ("startup/ex8-squares", &["time", "speedup", "efficiency"][..]),
        (HOSTILE_GROUP, &["time"][..]),
        ("task/factorial", &[][..]),
    ] {
        let charts = by_data_group(&page, "figure.chart", id);
        let found: Vec<&str> = charts.iter().filter_map(|chart| chart.value().attr("data-kind")).collect();
        assert_eq!(found, kinds, "{id}");
        assert!(charts.iter().all(|chart| chart.select(&selector("svg")).next().is_some()), "{id}");
    }
    let startup = by_data_group(&page, "table.startup", "startup/ex8-squares");
    assert_eq!(startup.len(), 1);
    assert_eq!(startup[0].select(&selector("tbody tr")).count(), 2);
    assert_eq!(by_data_group(&page, "table.scaling", "pools/squares-10").len(), 1);
    // A results table is wider than a laptop's window: every table scrolls in a box of its own
    // instead of pushing the whole page sideways.
    let tables = page.select(&selector("table")).count();
    assert!(tables > summary.groups.len(), "{tables}");
    assert_eq!(page.select(&selector("div.scroll > table")).count(), tables);
    assert!(
        std::fs::read_to_string(&written.index_html)
            .expect("index.html")
            .contains(".scroll { overflow-x: auto; }")
    );

    // Every link into Criterion's pages leads to a file Criterion wrote.
    let links: Vec<String> = page
        .select(&selector("a[href]"))
        .filter_map(|a| a.value().attr("href"))
        .filter(|href| !href.starts_with('#'))
        .map(common::percent_decode)
        .collect();
    assert!(links.len() >= benchmarks_in(fixture()), "{links:?}");
    for link in links {
        assert!(written.index_html.parent().expect("a directory").join(&link).is_file(), "{link}");
    }
    drop(out);
}

#[test]
fn benchmark_names_are_escaped_in_the_page_and_the_markdown() {
    let (_out, written) = common::write_report(fixture());
    let html = std::fs::read_to_string(&written.index_html).expect("index.html");
    assert!(!html.contains("<script>alert"), "an unescaped group name");
    assert!(!html.contains("<b>Mutex"), "an unescaped executor name");
    let page = Html::parse_document(&html);
    // The only script is the page's own table sorter.
    assert_eq!(page.select(&selector("script")).count(), 1);
    assert!(page.select(&selector("b")).next().is_none());
    let section = by_data_group(&page, "section.group", HOSTILE_GROUP);
    assert_eq!(section.len(), 1, "the hostile group, found by its name unescaped by the parser");
    let heading: String = section[0].select(&selector("h2")).next().expect("a heading").text().collect();
    assert_eq!(heading, HOSTILE_GROUP);
    let cell: String =
        section[0].select(&selector("table.results tbody td")).next().expect("a cell").text().collect();
    assert_eq!(cell, HOSTILE_EXECUTOR);

    let markdown = std::fs::read_to_string(&written.summary_md).expect("summary.md");
    assert!(!markdown.contains("<script>") && !markdown.contains("<b>"), "{markdown}");
    assert!(markdown.contains(r"\<script\>alert"), "{markdown}");
}

#[test]
fn the_markdown_has_the_machine_and_a_table_row_per_benchmark() {
    let (_out, written, summary) = common::write_and_read_report(fixture());
    let markdown = std::fs::read_to_string(&written.summary_md).expect("summary.md");
    let first_lines: String = markdown.lines().take(3).collect();
    assert!(first_lines.contains(&format!("{} cores", summary.machine.cores)), "{first_lines}");
    assert_eq!(markdown.lines().filter(|line| line.starts_with("### ")).count(), summary.groups.len());
    assert!(markdown.contains("### pools/squares-10\n"), "{markdown}");
    // The telling rows: each executor at its fastest pool size, and every row without a size.
    let telling: usize = summary
        .groups
        .iter()
        .map(|group| {
            let unsized_rows = group.results.iter().filter(|row| row.size.is_none()).count();
            let executors: HashSet<_> = group
                .results
                .iter()
                .filter(|row| row.size.is_some())
                .map(|row| (row.source, row.executor.clone()))
                .collect();
            unsized_rows + executors.len()
        })
        .sum();
    assert!(telling < written.benchmarks, "the fixture has executors at several sizes");
    assert_eq!(table_rows(&markdown, "| executor | size | median |").len(), telling);
    let pools = summary.group("pools/squares-10").expect("the pools group");
    let rayon = pools.results.iter().filter(|row| row.executor.as_deref() == Some("Rayon"));
    let fastest = rayon.min_by(|a, b| a.median_ns.point.total_cmp(&b.median_ns.point)).expect("Rayon rows");
    let section = markdown.split("### pools/squares-10\n").nth(1).expect("the pools section");
    let section = section.split("### ").next().unwrap_or(section);
    let shown: Vec<&str> = section.lines().filter(|line| line.starts_with("| Rayon | ")).collect();
    let size = fastest.size.expect("a pool size").to_string();
    assert!(shown.len() == 1 && shown[0].starts_with(&format!("| Rayon | {size}")), "{shown:?}");
    // Both start-up rows are of telling rows (one size each).
    let split_rows: usize =
        summary.groups.iter().filter_map(|g| g.startup.as_ref()).map(|s| s.rows.len()).sum();
    assert_eq!(table_rows(&markdown, "| executor | size | end to end |").len(), split_rows);
}

/// A summary larger than the full suite's: `groups` groups, each of Sequential and `executors`
/// executors at `sizes` pool sizes, made of the fixture's own rows.
fn large_summary(groups: usize, executors: usize, sizes: u32) -> Summary {
    let (_out, _written, mut summary) = common::write_and_read_report(fixture());
    let template = summary.group("pools/squares-10").expect("the pools group").clone();
    let sequential = template.results.iter().find(|row| row.is_sequential()).expect("Sequential").clone();
    let pooled = template.results.iter().find(|row| !row.is_sequential()).expect("a pool").clone();
    summary.groups = (0..groups)
        .map(|index| {
            let mut group = template.clone();
            group.id = format!("suite-{index}/a-case-named-as-long-as-the-real-ones");
            group.results = vec![sequential.clone()];
            for executor in (0..executors).map(|e| format!("ExecutorKind{e}")) {
                for size in (1..=sizes).map(|s| 1 << s) {
                    let mut row = pooled.clone();
                    row.id = format!("{}/{executor}/{size}", group.id);
                    row.executor = Some(executor.clone());
                    row.value = Some(size.to_string());
                    row.size = Some(size);
                    group.results.push(row);
                }
            }
            group
        })
        .collect();
    summary
}

#[test]
fn the_markdown_of_a_suite_larger_than_the_full_one_fits_a_pull_request_comment_whole() {
    const GITHUB_COMMENT_LIMIT: usize = 65_536;
    let summary = large_summary(30, 8, 4);
    assert!(summary.rows().count() > 216, "{} rows", summary.rows().count());
    let markdown = report::render_markdown(&summary);
    let length = markdown.chars().count();
    assert!(length < GITHUB_COMMENT_LIMIT, "{length} characters");
    // Nothing is left out at this size: every group's heading, headline and executors are there.
    assert!(!markdown.contains("left out"), "{markdown}");
    // The times are medians, where Criterion's terminal line shows the mean: the page says so.
    assert!(
        markdown.contains("Times are Criterion's medians per iteration (its terminal line shows the mean)")
    );
    for group in &summary.groups {
        let section = markdown.split(&format!("### {}\n", group.id)).nth(1).expect("the group's section");
        let section = section.split("### ").next().unwrap_or(section);
        assert!(section.contains(&group.headline), "{}", group.id);
        assert!((0..8).all(|e| section.contains(&format!("| ExecutorKind{e} | "))), "{section}");
    }
}

#[test]
fn a_markdown_too_long_for_a_comment_leaves_groups_out_and_says_so() {
    const GITHUB_COMMENT_LIMIT: usize = 65_536;
    let summary = large_summary(300, 8, 4);
    let markdown = report::render_markdown(&summary);
    let length = markdown.chars().count();
    assert!(length < GITHUB_COMMENT_LIMIT, "{length} characters");
    let shown = markdown.lines().filter(|line| line.starts_with("### ")).count();
    assert!(shown > 0 && shown < 300, "{shown} groups shown");
    let answers = markdown.lines().filter(|line| line.starts_with("| suite-")).count();
    assert!(answers > 0 && answers < 300, "{answers} groups in the answers table");
    assert!(
        markdown.contains(&format!("{} more group(s) left out of this table", 300 - answers)),
        "{markdown}"
    );
    let left_out = format!("**{} more section(s) left out**", 300 - shown);
    assert!(markdown.contains(&left_out) && markdown.contains("index.html"), "{markdown}");
}

/// The rows of every Markdown table whose heading row starts with `heading`.
fn table_rows<'a>(markdown: &'a str, heading: &str) -> Vec<&'a str> {
    let mut rows = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if line.starts_with(heading) {
            // The line under the headings is the alignment rule.
            lines.next();
            rows.extend(lines.by_ref().take_while(|line| line.starts_with('|')));
        }
    }
    rows
}

#[test]
fn a_report_written_later_states_the_machine_of_the_run_not_its_own() {
    let copy = tempfile::tempdir().expect("a temporary directory");
    common::copy_dir(fixture(), copy.path());
    // A run on a 64-core machine at another commit, as `cargo bench` records it when it starts.
    let mut run = poolbench::schema::Machine::detect();
    run.cores = 64;
    run.online_cpus = Some(64);
    run.cpu_model = "the run's CPU".into();
    run.git = Some(poolbench::schema::GitState { commit: "0123456789abcdef".into(), dirty: false });
    run.record_in(copy.path()).expect("the machine file");
    let (_out, written, summary) = common::write_and_read_report(copy.path());
    assert_eq!(summary.machine.cores, 64);
    assert_eq!(summary.machine.cpu_model, "the run's CPU");
    assert_eq!(summary.machine.git, run.git);
    assert!(written.skipped.is_empty(), "{:?}", written.skipped);
    let page = std::fs::read_to_string(&written.index_html).expect("index.html");
    assert!(page.contains("64 cores"), "the page states the run's cores");

    // A machine file that cannot be read is named, and the reporting machine is stated.
    std::fs::write(copy.path().join(poolbench::schema::MACHINE_FILE), "{").expect("damage it");
    let (_out, written, summary) = common::write_and_read_report(copy.path());
    assert_eq!(summary.machine.cores, std::thread::available_parallelism().map_or(1, usize::from));
    let [skipped] = written.skipped.as_slice() else { panic!("{:?}", written.skipped) };
    assert!(skipped.path.ends_with(poolbench::schema::MACHINE_FILE), "{}", skipped.path);
    assert!(skipped.reason.contains("run cargo bench again"), "{}", skipped.reason);
}

#[test]
fn a_truncated_estimates_file_skips_that_benchmark_names_the_file_and_reports_the_rest() {
    let copy = tempfile::tempdir().expect("a temporary directory");
    common::copy_dir(fixture(), copy.path());
    let (_out, intact, summary) = common::write_and_read_report(copy.path());
    let victim = summary
        .groups
        .iter()
        .flat_map(|group| &group.results)
        .find(|row| row.id == "pools/squares-10/Rayon/2")
        .and_then(|row| row.criterion_dir.clone())
        .expect("Rayon at 2");
    let estimates = copy.path().join(&victim).join("new").join("estimates.json");
    let text = std::fs::read(&estimates).expect("estimates.json");
    std::fs::write(&estimates, &text[..text.len() / 2]).expect("truncate estimates.json");

    let (_out, written) = common::write_report(copy.path());
    assert_eq!(written.benchmarks, intact.benchmarks - 1);
    assert_eq!(written.skipped.len(), 1, "{:?}", written.skipped);
    let skipped = &written.skipped[0];
    assert_eq!(Path::new(&skipped.path), estimates);
    assert_eq!(skipped.benchmark.as_deref(), Some("pools/squares-10/Rayon/2"));
    assert!(skipped.reason.contains("truncated"), "{}", skipped.reason);

    let summary = read_summary(&written);
    assert_eq!(summary.skipped, written.skipped);
    assert!(
        summary
            .groups
            .iter()
            .flat_map(|group| &group.results)
            .all(|row| row.id != "pools/squares-10/Rayon/2")
    );
    let page = Html::parse_document(&std::fs::read_to_string(&written.index_html).expect("index.html"));
    let listed: String =
        page.select(&selector("section.skipped")).flat_map(|section| section.text()).collect();
    assert!(listed.contains(&skipped.path) && listed.contains("truncated"), "{listed}");
    let markdown = std::fs::read_to_string(&written.summary_md).expect("summary.md");
    assert!(markdown.contains(&skipped.path), "{markdown}");
    assert!(written.to_string().contains(&skipped.path), "{written}");
}

#[test]
fn a_corrupt_benchmark_file_is_skipped_without_an_id_and_the_rest_reported() {
    let copy = tempfile::tempdir().expect("a temporary directory");
    common::copy_dir(fixture(), copy.path());
    let (_out, intact) = common::write_report(copy.path());
    let victim = copy.path().join("task_factorial").join("20").join("new").join("benchmark.json");
    std::fs::write(&victim, b"{\"group_id\": 42, \xff").expect("corrupt benchmark.json");
    let (_out, written) = common::write_report(copy.path());
    assert_eq!(written.benchmarks, intact.benchmarks - 1);
    assert_eq!(written.skipped.len(), 1, "{:?}", written.skipped);
    assert_eq!(Path::new(&written.skipped[0].path), victim);
    assert_eq!(written.skipped[0].benchmark, None);
}

#[test]
fn a_missing_or_empty_criterion_directory_says_to_run_cargo_bench() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let missing = root.path().join("no-such-dir");
    let out = root.path().join("out");
    let err =
        report::write(&Options::with_dirs(missing.clone(), out.clone())).expect_err("no results to report");
    assert_eq!(
        err.to_string(),
        format!("no Criterion results at {}; run cargo bench first", missing.display())
    );
    assert!(err.is_no_results());
    assert!(!out.exists(), "nothing written");

    let empty = root.path().join("empty");
    std::fs::create_dir_all(empty.join("report")).expect("an empty Criterion directory");
    let err = report::write(&Options::with_dirs(empty.clone(), out)).expect_err("no results");
    assert_eq!(
        err.to_string(),
        format!("no Criterion results at {}; run cargo bench first", empty.display())
    );
}

#[test]
fn writing_again_replaces_the_report_and_leaves_no_temporary_file() {
    let (out, written) = common::write_report(fixture());
    let options = Options::with_dirs(fixture().to_owned(), out.path().join("latest"));
    let again = report::write(&options).expect("a second report");
    assert_eq!(again.paths(), written.paths());
    let mut names: Vec<String> = std::fs::read_dir(out.path().join("latest"))
        .expect("the report directory")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [report::LOCK_FILE, "index.html", "summary.json", "summary.md"]);
}

#[test]
fn the_cli_prints_the_paths_written_and_exits_1_without_results() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let run = |criterion_dir: &Path| {
        Command::new(env!("CARGO_BIN_EXE_poolbench"))
            .arg("report")
            .arg("--criterion-dir")
            .arg(criterion_dir)
            .arg("--out")
            .arg(out.path())
            .output()
            .expect("poolbench runs")
    };
    let output = run(fixture());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    for file in ["index.html", "summary.md", "summary.json"] {
        let path = out.path().join(file);
        assert!(path.is_file() && stdout.contains(&path.display().to_string()), "{stdout}");
    }

    let missing = out.path().join("missing");
    let output = run(&missing);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("Error: "), "{stderr}");
    assert!(
        stderr.contains(&format!("no Criterion results at {}; run cargo bench first", missing.display())),
        "{stderr}"
    );
}

/// Characters that would break a line or hide or reorder a name if written raw.
const HIDDEN: [char; 4] = ['\n', '\r', '\0', '\u{202e}'];

/// A name with each of [`HIDDEN`] in it, as a hostile or broken Criterion directory could give.
const HIDDEN_NAME: &str = "two\nlines\rback\0nul\u{202e}exe.txt";

/// The fixture's summary with [`HIDDEN_NAME`] in a group id, an executor, a value, a skipped
/// file and the peers' reason.
fn summary_with_hidden_characters() -> Summary {
    let (_out, _written, mut summary) = common::write_and_read_report(fixture());
    let group = summary.groups.iter_mut().find(|group| group.id == HOSTILE_GROUP).expect("the hostile group");
    group.id = format!("weird/{HIDDEN_NAME}");
    group.headline = format!("Fastest: {HIDDEN_NAME}.");
    group.results[0].executor = Some(HIDDEN_NAME.to_owned());
    group.results[1].value = Some(HIDDEN_NAME.to_owned());
    summary.skipped.push(poolbench::schema::Skipped {
        path: format!("target/criterion/{HIDDEN_NAME}/new/estimates.json"),
        benchmark: Some(HIDDEN_NAME.to_owned()),
        reason: format!("is not JSON: {HIDDEN_NAME}"),
    });
    if let Some(peers) = summary.peers.as_mut() {
        peers.reason = Some(HIDDEN_NAME.to_owned());
    }
    summary
}

#[test]
fn control_and_bidirectional_characters_in_names_are_shown_as_escapes_never_raw() {
    let summary = summary_with_hidden_characters();
    let markdown = report::render_markdown(&summary);
    for c in HIDDEN.into_iter().filter(|&c| c != '\n') {
        assert!(!markdown.contains(c), "{c:?} raw in the Markdown:\n{markdown}");
    }
    // No newline of a name's: the heading and every table row stay one line each.
    let heading = markdown.lines().find(|line| line.starts_with("### weird/")).expect("the group's heading");
    assert!(heading.contains(r"two\\nlines\\rback\\0nul\\u{202e}exe.txt"), "{heading}");
    for line in markdown.lines().filter(|line| line.starts_with('|')) {
        assert!(line.ends_with('|'), "a table row broken across lines: {line:?}");
    }
    assert!(!markdown.lines().any(|line| line.starts_with("lines")), "{markdown}");

    let history = report::history::HistoryFile::read(&fixture().join("no-history.jsonl"));
    let html = report::render_html(&summary, None, &history);
    for c in HIDDEN.into_iter().filter(|&c| c != '\n') {
        assert!(!html.contains(c), "{c:?} raw in the page");
    }
    assert!(!html.lines().any(|line| line.starts_with("lines")), "a name's newline in the page");
    for line in html.lines().filter(|line| line.starts_with("<tr")) {
        assert!(line.ends_with("</tr>"), "a table row broken across lines: {line:?}");
    }
    let page = Html::parse_document(&html);
    let shown = r"weird/two\nlines\rback\0nul\u{202e}exe.txt";
    let section = by_data_group(&page, "section.group", shown);
    assert_eq!(section.len(), 1, "the group, its id shown with escapes");
    let heading: String = section[0].select(&selector("h2")).next().expect("a heading").text().collect();
    assert_eq!(heading, shown);
    let skipped: String = page.select(&selector("section.skipped li")).flat_map(|li| li.text()).collect();
    assert!(skipped.contains(r"is not JSON: two\nlines"), "{skipped}");
}

/// A copy of the fixture, and the `new/` directory of the benchmark `id` in it.
fn copy_with_victim(id: &str) -> (tempfile::TempDir, PathBuf) {
    let copy = tempfile::tempdir().expect("a temporary directory");
    common::copy_dir(fixture(), copy.path());
    let victim = common::files_named(copy.path(), "benchmark.json")
        .into_iter()
        .find(|path| {
            path.parent().and_then(Path::file_name) == Some("new".as_ref())
                && common::read_json(path)["full_id"] == id
        })
        .unwrap_or_else(|| panic!("{id} in the fixture"));
    let new = victim.parent().expect("its new/ directory").to_owned();
    (copy, new)
}

/// Edits the JSON file at `path` in place.
fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value = common::read_json(path);
    edit(&mut value);
    std::fs::write(path, value.to_string()).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
}

#[test]
fn a_time_per_iteration_that_overflows_is_skipped_and_the_summary_reads_back() {
    let (copy, new) = copy_with_victim("pools/squares-10/Rayon/4");
    // Each number finite, each quotient infinite.
    edit_json(&new.join("sample.json"), |sample| {
        let n = sample["iters"].as_array().expect("iters").len();
        sample["iters"] = vec![1e-300; n].into();
        sample["times"] = vec![1e300; n].into();
    });
    let (_out, written) = common::write_report(copy.path());
    assert_eq!(written.skipped.len(), 1, "{:?}", written.skipped);
    let skipped = &written.skipped[0];
    assert_eq!(Path::new(&skipped.path), new.join("sample.json"));
    assert_eq!(skipped.benchmark.as_deref(), Some("pools/squares-10/Rayon/4"));
    assert!(skipped.reason.contains("time per iteration is not finite"), "{}", skipped.reason);
    let raw = common::read_json(&written.summary_json);
    let samples: Vec<&serde_json::Value> = raw["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|group| group["results"].as_array().expect("results"))
        .flat_map(|row| row["samples_ns"].as_array().expect("samples"))
        .collect();
    assert!(!samples.is_empty() && samples.iter().all(|sample| sample.is_f64()), "a null among the samples");
    let summary = Summary::read(&written.summary_json).unwrap_or_else(|err| panic!("reads back: {err}"));
    assert!(summary.rows().all(|row| row.id != "pools/squares-10/Rayon/4"));
}

#[test]
fn an_estimate_whose_interval_is_reversed_is_skipped_with_the_reason() {
    let (copy, new) = copy_with_victim("pools/squares-10/StdPool/2");
    edit_json(&new.join("estimates.json"), |estimates| {
        let interval = &mut estimates["median"]["confidence_interval"];
        let (lower, upper) = (interval["lower_bound"].clone(), interval["upper_bound"].clone());
        interval["lower_bound"] = upper;
        interval["upper_bound"] = lower;
    });
    let (_out, written) = common::write_report(copy.path());
    assert_eq!(written.skipped.len(), 1, "{:?}", written.skipped);
    let skipped = &written.skipped[0];
    assert_eq!(Path::new(&skipped.path), new.join("estimates.json"));
    assert!(skipped.reason.contains("median's confidence interval is reversed"), "{}", skipped.reason);
    assert!(Summary::read(&written.summary_json).is_ok());
}

/// Runs `poolbench report` from `criterion_dir` into `out` under a 2 GiB address-space limit
/// and a 60 s deadline, so that a report that reads without bounds fails (an allocation failure,
/// or a kill at the deadline) instead of taking the machine's memory or hanging the test run.
fn report_within_bounds(criterion_dir: &Path, out: &Path) -> std::process::Output {
    use std::io::Read as _;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_poolbench"))
        .args(["report", "--criterion-dir"])
        .arg(criterion_dir)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("poolbench runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().expect("kill the report");
            child.wait().expect("reap the report");
            panic!("poolbench report still running after 60 s: it blocked on a file");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    child.stdout.take().expect("stdout").read_to_end(&mut stdout).expect("read stdout");
    child.stderr.take().expect("stderr").read_to_end(&mut stderr).expect("read stderr");
    std::process::Output { status, stdout, stderr }
}

#[test]
fn a_link_to_dev_zero_and_a_fifo_are_skipped_with_the_reason_not_read() {
    let (copy, zero) = copy_with_victim("pools/squares-10/Rayon/8");
    let fifo = copy.path().join(zero.strip_prefix(copy.path()).expect("inside").parent().expect("a parent"));
    let fifo = fifo.parent().expect("the group").join("2").join("new");
    assert_eq!(common::read_json(&fifo.join("benchmark.json"))["full_id"], "pools/squares-10/Rayon/2");
    std::fs::remove_file(zero.join("sample.json")).expect("remove sample.json");
    std::os::unix::fs::symlink("/dev/zero", zero.join("sample.json")).expect("a link to /dev/zero");
    std::fs::remove_file(fifo.join("estimates.json")).expect("remove estimates.json");
    let made = Command::new("mkfifo").arg(fifo.join("estimates.json")).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo: {made}");

    let out = tempfile::tempdir().expect("a temporary directory");
    let output = report_within_bounds(copy.path(), out.path());
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{}: {stdout}{stderr}", output.status);
    let summary = Summary::read(&out.path().join("summary.json")).expect("summary.json");
    let reason = |path: &Path| {
        let skipped = summary.skipped.iter().find(|skipped| Path::new(&skipped.path) == path);
        skipped.unwrap_or_else(|| panic!("{} skipped: {:?}", path.display(), summary.skipped)).reason.clone()
    };
    let zero_reason = reason(&zero.join("sample.json"));
    assert!(zero_reason.contains("symbolic link"), "{zero_reason}");
    let fifo_reason = reason(&fifo.join("estimates.json"));
    assert!(fifo_reason.contains("FIFO, not a regular file"), "{fifo_reason}");
    assert_eq!(summary.skipped.len(), 2, "{:?}", summary.skipped);
    assert_eq!(summary.rows().count(), benchmarks_in(fixture()) - 2);
    assert!(stdout.contains(&fifo.join("estimates.json").display().to_string()), "{stdout}");
}

#[test]
fn a_file_over_the_configured_size_is_skipped_with_its_size_and_the_limit() {
    let (copy, new) = copy_with_victim("task/factorial/20");
    let sample = new.join("sample.json");
    let mut text = std::fs::read(&sample).expect("sample.json");
    // Still the same JSON: trailing whitespace makes it larger, not different.
    text.resize(5_000, b' ');
    std::fs::write(&sample, &text).expect("pad sample.json");
    let out = tempfile::tempdir().expect("a temporary directory");
    let options =
        Options { max_file_bytes: 4_096, ..Options::with_dirs(copy.path(), out.path().join("latest")) };
    let written = report::write(&options).unwrap_or_else(|err| panic!("the report: {err}"));
    assert_eq!(written.skipped.len(), 1, "{:?}", written.skipped);
    let skipped = &written.skipped[0];
    assert_eq!(
        (Path::new(&skipped.path), skipped.benchmark.as_deref()),
        (sample.as_path(), Some("task/factorial/20"))
    );
    assert!(skipped.reason.contains("5000 bytes, over the limit of 4096"), "{}", skipped.reason);
    assert_eq!(written.benchmarks, benchmarks_in(fixture()) - 1);
}

#[test]
fn rows_with_more_samples_than_the_cap_keep_an_evenly_spaced_subsample_and_their_true_count() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let options = Options { max_samples: 4, ..Options::with_dirs(fixture(), out.path().join("latest")) };
    let written = report::write(&options).unwrap_or_else(|err| panic!("the report: {err}"));
    let summary = Summary::read(&written.summary_json).expect("summary.json reads back");
    let raw = common::read_json(&written.summary_json);
    assert_eq!(raw["groups"][0]["results"][0]["samples_thinned"], true);
    let mut rows = 0;
    for row in summary.rows() {
        let sample =
            criterion_json(fixture(), row.criterion_dir.as_deref().expect("a directory"), "sample.json");
        let (times, iters) =
            (sample["times"].as_array().expect("times"), sample["iters"].as_array().expect("iters"));
        assert_eq!((row.n, times.len()), (10, 10), "{}: the fixture's sample size", row.id);
        assert!(row.samples_thinned, "{}", row.id);
        // Sample i * n / cap: the first, then evenly over the run.
        let expected: Vec<f64> = [0, 2, 5, 7]
            .iter()
            .map(|&i| times[i].as_f64().expect("a time") / iters[i].as_f64().expect("a count"))
            .collect();
        assert_eq!(row.samples_ns.len(), expected.len(), "{}", row.id);
        for (got, expected) in row.samples_ns.iter().zip(&expected) {
            assert!(close(*got, *expected), "{}: {got} vs {expected}", row.id);
        }
        rows += 1;
    }
    assert_eq!(rows, benchmarks_in(fixture()));

    let (_out, whole) = common::write_report(fixture());
    assert!(read_summary(&whole).rows().all(|row| !row.samples_thinned && row.samples_ns.len() == row.n));
}

#[test]
fn a_benchmark_deeper_than_the_walk_goes_is_listed_as_skipped_not_dropped() {
    let (copy, new) = copy_with_victim("task/factorial/20");
    // The benchmark's directory 11 levels down: its new/ is 12 deep, its benchmark.json 13.
    let mut deep = copy.path().to_owned();
    for level in 1..=10 {
        deep.push(format!("level-{level}"));
    }
    let benchmark = deep.join("deep-benchmark");
    common::copy_dir(new.parent().expect("the benchmark's directory"), &benchmark);
    edit_json(&benchmark.join("new").join("benchmark.json"), |id| id["full_id"] = "deep/factorial/20".into());
    let (_out, written) = common::write_report(copy.path());
    assert_eq!(written.benchmarks, benchmarks_in(fixture()));
    assert_eq!(written.skipped.len(), 1, "{:?}", written.skipped);
    let skipped = &written.skipped[0];
    assert_eq!(Path::new(&skipped.path), benchmark.join("new").join("benchmark.json"));
    assert_eq!(skipped.benchmark.as_deref(), Some("deep/factorial/20"));
    assert!(
        skipped.reason.contains("is 13 directories below the Criterion directory, deeper than the 12"),
        "{}",
        skipped.reason
    );

    // A stray tree at the limit, holding no benchmark the walk could see, is listed once.
    let stray = deep.join("stray");
    std::fs::create_dir_all(stray.join("a").join("b")).expect("a stray tree");
    let (_out, written) = common::write_report(copy.path());
    let listed: Vec<&str> = written.skipped.iter().map(|skipped| skipped.path.as_str()).collect();
    assert_eq!(listed.len(), 2, "{:?}", written.skipped);
    let stray_entry = written.skipped.iter().find(|skipped| Path::new(&skipped.path) == stray);
    let reason = &stray_entry.unwrap_or_else(|| panic!("{} listed: {listed:?}", stray.display())).reason;
    assert!(reason.starts_with("holds directories 12 levels below the Criterion directory (a)"), "{reason}");
}

#[test]
fn concurrent_reports_into_one_directory_always_leave_the_three_files_of_one_writer() {
    const WRITERS: usize = 4;
    const ROUNDS: usize = 20;
    // Each writer reads its own copy, with one benchmark damaged: the copy's path, listed as
    // skipped in all three files, says which writer wrote each file.
    let copies: Vec<(tempfile::TempDir, PathBuf)> = (0..WRITERS)
        .map(|_| {
            let (copy, new) = copy_with_victim("task/factorial/20");
            let estimates = new.join("estimates.json");
            std::fs::write(&estimates, b"{\"mean\":").expect("truncate estimates.json");
            (copy, estimates)
        })
        .collect();
    let out = tempfile::tempdir().expect("a temporary directory");
    let latest = out.path().join("latest");
    for round in 0..ROUNDS {
        let start = std::sync::Barrier::new(WRITERS);
        std::thread::scope(|scope| {
            for (copy, _) in &copies {
                let (start, latest) = (&start, &latest);
                scope.spawn(move || {
                    start.wait();
                    report::write(&Options::with_dirs(copy.path(), latest)).expect("the report")
                });
            }
        });
        let writer_of = |file: &str| {
            let text = std::fs::read_to_string(latest.join(file)).expect("the file");
            let writers: Vec<usize> = copies
                .iter()
                .enumerate()
                .filter(|(_, (_, estimates))| text.contains(&estimates.display().to_string()))
                .map(|(writer, _)| writer)
                .collect();
            assert_eq!(writers.len(), 1, "round {round}: {file} names one writer's copy: {writers:?}");
            writers[0]
        };
        let writers = ["index.html", "summary.md", "summary.json"].map(writer_of);
        assert!(writers.iter().all(|writer| *writer == writers[0]), "round {round}: {writers:?}");
    }
}

#[test]
fn a_report_renames_nothing_into_place_while_another_holds_the_directorys_lock() {
    use std::os::fd::AsRawFd as _;
    let out = tempfile::tempdir().expect("a temporary directory");
    let latest = out.path().join("latest");
    std::fs::create_dir_all(&latest).expect("the report directory");
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(latest.join(report::LOCK_FILE))
        .expect("the lock file");
    // SAFETY: flock only reads the descriptor, which `held` owns and keeps open until dropped.
    assert_eq!(
        unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX) },
        0,
        "{}",
        std::io::Error::last_os_error()
    );

    let writer = {
        let latest = latest.clone();
        std::thread::spawn(move || report::write(&Options::with_dirs(fixture(), latest)))
    };
    let names = || -> Vec<String> {
        let entries = std::fs::read_dir(&latest).expect("the report directory");
        entries.map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned()).collect()
    };
    let in_place =
        |names: &[String]| names.iter().any(|name| !name.starts_with(".tmp") && name != report::LOCK_FILE);
    // Until the writer has staged its three files (bounded: a slow machine is not a failure)...
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let names = names();
        assert!(!in_place(&names), "renamed into place while the lock was held: {names:?}");
        if names.iter().filter(|name| name.starts_with(".tmp")).count() == 3 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "nothing staged after 60 s: {names:?}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // ...and a while after: it waits for the lock, whatever the machine's speed.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let waiting = names();
    assert!(!in_place(&waiting), "renamed into place while the lock was held: {waiting:?}");
    drop(held);
    let written = writer.join().expect("the writer").expect("the report");
    assert!(written.paths().iter().all(|path| path.is_file()));
    assert!(!names().iter().any(|name| name.starts_with(".tmp")), "{:?}", names());
}

#[test]
fn a_run_meant_without_the_python_peers_says_nothing_of_them() {
    let out = tempfile::tempdir().expect("a temporary directory");
    let with = report::write(&Options::with_dirs(fixture(), out.path().join("with"))).expect("the report");
    assert!(Summary::read(&with.summary_json).expect("read back").peers.is_some(), "said when expected");
    let options =
        Options { python_peers: false, ..Options::with_dirs(fixture(), out.path().join("without")) };
    let without = report::write(&options).expect("the report");
    assert_eq!(Summary::read(&without.summary_json).expect("read back").peers, None);
    let markdown = std::fs::read_to_string(&without.summary_md).expect("summary.md");
    assert!(!markdown.contains("**Python peers"), "{markdown}");
    assert!(!without.to_string().contains("python peers"), "{without}");
}
