//! The gate end to end, on a bench of its own: this test binary is a bench built on
//! `poolbench::bench::Main` (as `poolbench::main!` writes one), whose benchmarks report synthetic
//! times, `iterations × 1 µs × GATE_TEST_FACTOR`, instead of measuring any. So the whole path
//! runs (serve mode, listing, rounds of fresh processes, the rule, the tables) while every
//! verdict is known in advance: a test of the logic, never of the machine's speed.
//!
//! Run with `--bench` (the gate lists a bench with `--bench --list`) or `POOLBENCH_SERVE` set, it
//! is the bench; otherwise it runs the tests below (`harness = false`), each starting it again as
//! base and head, and answers libtest's command line (`--list [--format terse]`, name filters,
//! `--exact`, `--skip`, `--ignored`, `--include-ignored`), so that `cargo test`, nextest and IDEs
//! find and pick its tests.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use criterion::Criterion;
use poolbench::bench::{Group, Main};
use poolbench::gate::{self, Base, Outcome, Request, Settings, Verdict};

poolbench::worker_entry!();

/// The synthetic slowdown of the `gatetest/steady` benchmarks.
const FACTOR_ENV: &str = "GATE_TEST_FACTOR";
/// Makes `gatetest/steady/fails` fail its set-up.
const FAIL_ENV: &str = "GATE_TEST_FAIL";
/// Makes this binary behave as a bench from before serve mode.
const OLD_ENV: &str = "GATE_TEST_OLD";
/// A directory: the `gatetest/steady` benchmarks are 1.5 times slower in the first two servers
/// that set each of them up (counted in a file per benchmark there), then as fast as ever: a
/// slowdown of the first pass only.
const TRANSIENT_ENV: &str = "GATE_TEST_TRANSIENT";

/// The factor of the first-pass-only slowdown for the benchmark `value`: 1.5 in the first two
/// set-ups [`TRANSIENT_ENV`] counts, 1 after them and without it.
fn transient_factor(value: &str) -> f64 {
    let Some(dir) = std::env::var_os(TRANSIENT_ENV) else { return 1.0 };
    let path = PathBuf::from(dir).join(value);
    let before = std::fs::read(&path).map(|bytes| bytes.len()).unwrap_or(0);
    let mut file =
        std::fs::OpenOptions::new().create(true).append(true).open(&path).expect("the transient counter");
    file.write_all(b"x").expect("count a set-up");
    if before < 2 { 1.5 } else { 1.0 }
}

fn synthetic(c: &mut Criterion) {
    let factor: f64 = std::env::var(FACTOR_ENV).ok().and_then(|text| text.parse().ok()).unwrap_or(1.0);
    let mut group = Group::new(c, "gatetest/steady");
    for value in ["a", "b"] {
        group.bench_value(value, move || {
            let factor = factor * transient_factor(value);
            Ok(move |iterations: u64| Duration::from_nanos((iterations as f64 * 1_000.0 * factor) as u64))
        });
    }
    group.bench_value("fails", || {
        if std::env::var_os(FAIL_ENV).is_some() {
            return Err("set-up failed on purpose".to_owned());
        }
        Ok(|iterations: u64| Duration::from_micros(iterations))
    });
    drop(group);
    // One iteration of 200 ms (synthetic: reported, never waited for), as a user's heavy workload.
    let mut long = Group::new(c, "gatetest/long");
    long.bench_value("a", || Ok(|iterations: u64| Duration::from_millis(200 * iterations)));
}

/// The tests, by name, as libtest would list them.
const TESTS: [(&str, fn()); 11] = [
    ("a_served_benchmark_answers_each_request_then_exits_at_the_end_of_its_input", serves_by_hand),
    ("a_bad_request_or_an_unknown_id_ends_the_server_with_a_message", refuses_bad_input),
    ("an_a_a_run_finds_every_benchmark_unchanged_and_exits_0", a_a_is_unchanged),
    ("a_slowdown_in_the_head_only_is_a_regression_with_exit_code_2", slowdown_regresses),
    ("a_regression_a_second_pass_does_not_confirm_is_inconclusive", unconfirmed_is_inconclusive),
    ("a_set_up_that_fails_in_the_head_is_a_failed_benchmark_and_exit_code_1", failure_is_reported),
    ("a_base_that_predates_serve_mode_is_told_apart", old_base_is_told_apart),
    ("the_config_file_gives_a_benchmark_its_threshold_and_leaves_an_ignored_one_out", config_is_honoured),
    ("the_harness_lists_and_filters_its_tests_as_libtest_does", harness_answers_like_libtest),
    ("an_iteration_longer_than_a_slot_is_said_and_its_rounds_cut_to_whole_iterations", long_iterations),
    ("a_budget_too_short_is_said_before_measuring_and_kept_to", short_budget),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The gate starts a bench as `PROGRAM --bench --list` (with POOLBENCH_SERVE to serve).
    let bench = args.iter().any(|arg| arg == "--bench");
    if std::env::var_os(OLD_ENV).is_some() && bench {
        // What a bench from before serve mode does with POOLBENCH_SERVE and `--list`: lists.
        println!("gatetest/steady/a: benchmark");
        return ExitCode::SUCCESS;
    }
    if bench || std::env::var_os(poolbench::env::SERVE).is_some() {
        return Main::new().main(&[synthetic]);
    }
    match Harness::parse(&args) {
        Ok(harness) => harness.run(),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(101)
        }
    }
}

/// The part of libtest's command line that cargo, nextest and IDEs use: `--list` (with
/// `--format terse|pretty`), name filters (`--exact`, `--skip`), `--ignored` and
/// `--include-ignored`; the options that only shape libtest's output are accepted and have
/// nothing to shape here. No test here is ignored.
#[derive(Debug, Default)]
struct Harness {
    list: bool,
    terse: bool,
    exact: bool,
    only_ignored: bool,
    filters: Vec<String>,
    skip: Vec<String>,
}

impl Harness {
    fn parse(args: &[String]) -> Result<Harness, String> {
        let mut harness = Harness::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let mut value = || {
                inline.clone().or_else(|| args.next().cloned()).ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag {
                "--list" => harness.list = true,
                "--exact" => harness.exact = true,
                "--ignored" => harness.only_ignored = true,
                "--include-ignored" | "--nocapture" | "--show-output" | "-q" | "--quiet" | "--test" => {}
                "--format" => match value()?.as_str() {
                    "terse" => harness.terse = true,
                    "pretty" => harness.terse = false,
                    other => return Err(format!("--format {other}: this harness writes terse or pretty")),
                },
                "--skip" => harness.skip.push(value()?),
                "--test-threads" | "--color" | "-Z" | "--logfile" => {
                    value()?;
                }
                _ if flag.starts_with('-') => {
                    return Err(format!(
                        "unknown option {arg}: this harness (tests/gate.rs) takes --list, --format, --exact, --skip, \
                         --ignored, --include-ignored and name filters"
                    ));
                }
                _ => harness.filters.push(arg.clone()),
            }
        }
        Ok(harness)
    }

    /// Whether the test `name` is selected.
    fn selects(&self, name: &str) -> bool {
        let matches =
            |filter: &String| if self.exact { name == filter } else { name.contains(filter.as_str()) };
        !self.only_ignored
            && (self.filters.is_empty() || self.filters.iter().any(matches))
            && !self.skip.iter().any(matches)
    }

    fn run(&self) -> ExitCode {
        let selected: Vec<&(&str, fn())> = TESTS.iter().filter(|(name, _)| self.selects(name)).collect();
        if self.list {
            for (name, _) in &selected {
                println!("{name}: test");
            }
            if !self.terse {
                let count = selected.len();
                println!("\n{count} test{}, 0 benchmarks", if count == 1 { "" } else { "s" });
            }
            return ExitCode::SUCCESS;
        }
        println!("\nrunning {} test{}", selected.len(), if selected.len() == 1 { "" } else { "s" });
        let started = std::time::Instant::now();
        let mut failed = Vec::new();
        for (name, test) in &selected {
            print!("test {name} ... ");
            let _ = std::io::stdout().flush();
            // A failing test panics, as under libtest: caught, so that the others still run.
            match std::panic::catch_unwind(test) {
                Ok(()) => println!("ok"),
                Err(_) => {
                    println!("FAILED");
                    failed.push(*name);
                }
            }
        }
        if !failed.is_empty() {
            println!("\nfailures:");
            for name in &failed {
                println!("    {name}");
            }
        }
        println!(
            "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
            if failed.is_empty() { "ok" } else { "FAILED" },
            selected.len() - failed.len(),
            failed.len(),
            TESTS.len() - selected.len(),
            started.elapsed().as_secs_f64()
        );
        if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(101) }
    }
}

fn this_binary() -> PathBuf {
    std::env::current_exe().expect("the test binary's path")
}

/// Quick settings: synthetic times need no long slots, and a spread of zero decides at once.
fn settings() -> Settings {
    Settings {
        slot: Duration::from_millis(1),
        pairs: 2,
        min_rounds: 2,
        max_rounds: 3,
        canaries: 1,
        budget: Duration::from_secs(60),
        // Synthetic times do not depend on the machine's load: keep every round.
        max_disturbance: 1.0,
        ..Settings::new()
    }
}

fn request(head_env: &[(&str, &str)], filter: &str) -> Request {
    Request {
        base: Base::Programs(vec![this_binary()]),
        head_programs: Some(vec![this_binary()]),
        head_env: head_env.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect(),
        filter: Some(filter.to_owned()),
        dir: std::env::temp_dir(),
        work_dir: Some(tempfile::tempdir().expect("a scratch directory").keep()),
    }
}

fn serves_by_hand() {
    let mut child = Command::new(this_binary())
        .env(poolbench::env::SERVE, "gatetest/steady/a")
        .env(FACTOR_ENV, "2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a server");
    let mut replies = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    replies.read_line(&mut line).expect("hello");
    assert_eq!(line, "poolbench-serve 1 gatetest/steady/a\n");
    let mut input = child.stdin.take().expect("stdin");
    for (iterations, expected) in [(3, "6000\n"), (1000, "2000000\n")] {
        writeln!(input, "{iterations}").expect("request");
        line.clear();
        replies.read_line(&mut line).expect("answer");
        assert_eq!(line, expected);
    }
    drop(input);
    assert!(child.wait().expect("exit").success());
}

fn refuses_bad_input() {
    let run = |id: &str, input: &str| {
        let mut child = Command::new(this_binary())
            .env(poolbench::env::SERVE, id)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start a server");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("request");
        child.wait_with_output().expect("exit")
    };
    let bad = run("gatetest/steady/a", "ten\n");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr.contains("gatetest/steady/a") && stderr.contains("\"ten\""), "{stderr}");
    let unknown = run("gatetest/steady", "");
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr.contains("no benchmark `gatetest/steady`") && stderr.contains("--list"), "{stderr}");
    assert!(unknown.stdout.is_empty(), "no hello for an unknown id");
}

fn a_a_is_unchanged() {
    let report =
        gate::run(&request(&[], "^gatetest/steady/[ab]$"), &settings(), &mut |_| {}).expect("a gate run");
    assert_eq!(report.entries.len(), 2);
    for entry in &report.entries {
        assert_eq!(entry.verdict, Verdict::Unchanged, "{entry:?}");
        assert_eq!(entry.change.map(|change| change.ratio), Some(1.0));
        assert!(entry.rounds >= 2, "two fresh processes a side at least");
    }
    assert!(report.canary.flagged.is_none() && report.canary.entries.len() == 1);
    assert!(report.base.processes >= 4 && report.head.processes >= 4);
    assert_eq!(report.outcome().exit_code(), 0);
    let markdown = poolbench::verdict::render_markdown(&report);
    assert!(markdown.starts_with("## poolbench gate: ✅ no regression"), "{markdown}");
    let json: serde_json::Value =
        serde_json::from_str(&poolbench::verdict::render_json(&report).expect("json")).expect("parses");
    assert_eq!(json["outcome"], "no_regression");
    assert_eq!(json["entries"][0]["verdict"], "unchanged");
}

fn slowdown_regresses() {
    let report =
        gate::run(&request(&[(FACTOR_ENV, "1.05")], "^gatetest/steady/[ab]$"), &settings(), &mut |_| {})
            .expect("a gate run");
    for entry in &report.entries {
        assert_eq!(entry.verdict, Verdict::Regressed, "{entry:?}");
        let ratio = entry.change.expect("a change").ratio;
        assert!((ratio - 1.05).abs() < 1e-3, "{ratio}");
    }
    assert_eq!(report.outcome(), Outcome::Regression);
    assert_eq!(report.outcome().exit_code(), 2);
    assert!(poolbench::verdict::render_table(&report).contains("result: REGRESSION (exit code 2)"));
    // The canary runs the head on both sides: the injected factor cancels.
    assert!(report.canary.flagged.is_none(), "{:?}", report.canary);
    for entry in &report.entries {
        let note = entry.note.as_deref().unwrap_or_default();
        assert!(
            note.starts_with("confirmed by a second pass of fresh rounds; the first measured +5"),
            "{note}"
        );
    }
}

fn unconfirmed_is_inconclusive() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let transient = dir.path().to_str().expect("a UTF-8 path");
    // No canary: it would run the head's servers too, and count in the files.
    let settings = Settings { canaries: 0, ..settings() };
    let request = request(&[(TRANSIENT_ENV, transient)], "^gatetest/steady/a$");
    let report = gate::run(&request, &settings, &mut |_| {}).expect("a gate run");
    let entry = &report.entries[0];
    assert_eq!(entry.verdict, Verdict::Inconclusive, "{entry:?}");
    let ratio = entry.change.expect("the first pass's change").ratio;
    assert!((ratio - 1.5).abs() < 1e-3, "the first pass's figures: {ratio}");
    let note = entry.note.as_deref().unwrap_or_default();
    assert!(
        note.starts_with(
            "flagged by the first pass, not confirmed: a second pass of fresh rounds measured +0"
        ),
        "{note}"
    );
    assert_eq!(report.outcome().exit_code(), 3, "nothing decided: inconclusive");

    // Without the second pass, the first pass's flag stands.
    std::fs::remove_file(dir.path().join("a")).expect("reset the count");
    let unconfirmed = Settings { confirm: false, ..settings.clone() };
    let report = gate::run(&request, &unconfirmed, &mut |_| {}).expect("a gate run");
    assert_eq!(report.entries[0].verdict, Verdict::Regressed, "{:?}", report.entries[0]);
    assert_eq!(report.outcome().exit_code(), 2);

    // A second pass that cannot measure (here: no time for a round; on a busy machine: every
    // round dropped as disturbed) refutes nothing: the first pass's flag stands, and says so.
    std::fs::remove_file(dir.path().join("a")).expect("reset the count");
    let no_time = Settings { benchmark_budget: Duration::from_millis(1), ..settings };
    let report = gate::run(&request, &no_time, &mut |_| {}).expect("a gate run");
    let entry = &report.entries[0];
    assert_eq!(entry.verdict, Verdict::Regressed, "{entry:?}");
    let note = entry.note.as_deref().unwrap_or_default();
    assert!(
        note.starts_with("not confirmed nor refuted: its second pass kept ")
            && note.contains("round(s), fewer than the 2 the rule needs"),
        "{note}"
    );
}

fn failure_is_reported() {
    let report = gate::run(&request(&[(FAIL_ENV, "1")], "^gatetest/steady/"), &settings(), &mut |_| {})
        .expect("a gate run");
    let failed: Vec<_> = report.entries.iter().filter(|entry| entry.verdict == Verdict::Failed).collect();
    assert_eq!(failed.len(), 1, "{:?}", report.entries);
    let note = failed[0].note.as_deref().unwrap_or_default();
    assert!(note.contains("set-up failed on purpose"), "{note}");
    assert_eq!(report.outcome().exit_code(), 1);
}

fn old_base_is_told_apart() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let old = dir.path().join("old-bench");
    std::fs::write(&old, format!("#!/bin/sh\n{OLD_ENV}=1 exec '{}' \"$@\"\n", this_binary().display()))
        .expect("write the wrapper");
    let mut permissions = std::fs::metadata(&old).expect("metadata").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&old, permissions).expect("make it executable");
    let request = Request { base: Base::Programs(vec![old]), ..request(&[], "^gatetest/steady/a$") };
    let err = gate::run(&request, &settings(), &mut |_| {}).expect_err("no serve mode in the base");
    assert!(err.is_no_serve_mode(), "{err}");
    assert!(err.to_string().contains("predates serve mode"), "{err}");
}

fn config_is_honoured() {
    let config = poolbench::verdict::Config::parse(
        r#"
        threshold = 3
        [[benchmark]]
        id = "gatetest/steady/a"
        threshold = 10
        reason = "a noisy one"
        [[benchmark]]
        id = "gatetest/steady/b"
        ignore = true
        reason = "not ours"
        "#,
        std::path::Path::new("poolbench-compare.toml"),
    )
    .expect("a config file");
    let settings = settings().apply(&config);
    assert_eq!(settings.threshold_percent, 3.0);
    let report =
        gate::run(&request(&[(FACTOR_ENV, "1.05")], "^gatetest/steady/[ab]$"), &settings, &mut |_| {})
            .expect("a gate run");
    let verdicts: Vec<(&str, Verdict)> =
        report.entries.iter().map(|entry| (entry.id.as_str(), entry.verdict)).collect();
    // 5% slower: beyond the run's 3%, within a's own 10%.
    assert_eq!(
        verdicts,
        [("gatetest/steady/a", Verdict::Unchanged), ("gatetest/steady/b", Verdict::Ignored)]
    );
    assert_eq!(report.entries[0].note.as_deref(), Some("threshold 10%: a noisy one"));
    assert_eq!(report.entries[1].note.as_deref(), Some("not ours"));
    assert_eq!((report.entries[1].rounds, report.outcome()), (0, Outcome::NoRegression));
}

fn harness_answers_like_libtest() {
    let run = |args: &[&str]| {
        let output = Command::new(this_binary()).args(args).output().expect("the test binary runs");
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        (output.status.code(), text(&output.stdout), text(&output.stderr))
    };
    let (code, all, _) = run(&["--list"]);
    assert_eq!(code, Some(0));
    let names: Vec<String> = TESTS.iter().map(|(name, _)| format!("{name}: test")).collect();
    assert_eq!(all, format!("{}\n\n{} tests, 0 benchmarks\n", names.join("\n"), TESTS.len()));
    let (_, terse, _) = run(&["--list", "--format", "terse"]);
    assert_eq!(terse, format!("{}\n", names.join("\n")));
    let (_, exact, _) = run(&["--list", "--format=terse", "--exact", TESTS[2].0]);
    assert_eq!(exact, format!("{}\n", names[2]));
    let (_, partial, _) = run(&["--list", "--format", "terse", "--exact", "a_a_run"]);
    assert_eq!(partial, "", "--exact matches whole names only");
    let (_, filtered, _) = run(&["--list", "--format", "terse", "serve", "--skip", "predates"]);
    assert_eq!(filtered, format!("{}\n{}\n", names[0], names[1]));
    let (_, ignored, _) = run(&["--list", "--format", "terse", "--ignored"]);
    assert_eq!(ignored, "", "no test here is ignored");
    let (_, included, _) = run(&["--list", "--format", "terse", "--include-ignored"]);
    assert_eq!(included, terse);
    let (code, out, _) = run(&["--exact", TESTS[0].0, "--nocapture", "--test-threads", "1"]);
    assert_eq!(code, Some(0), "{out}");
    let summary = format!(
        "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; {} filtered out",
        TESTS.len() - 1
    );
    assert!(out.contains(&summary), "{out}");
    let (code, _, stderr) = run(&["--bogus"]);
    assert_eq!(code, Some(101));
    assert!(stderr.contains("unknown option --bogus"), "{stderr}");
}

fn long_iterations() {
    let mut said = Vec::new();
    let report =
        gate::run(&request(&[], "^gatetest/long/a$"), &settings(), &mut |line| said.push(line.to_owned()))
            .expect("a gate run");
    let entry = report.entries.iter().find(|entry| entry.id == "gatetest/long/a").expect("measured");
    assert_eq!(entry.iterations, Some(1), "a slot of one whole iteration");
    assert_eq!(entry.pairs, 2 * entry.rounds, "two pairs a round, not the settings' {}", settings().pairs);
    let warning = "gatetest/long/a: one iteration takes 200 ms, longer than a 1.00 ms slot";
    assert_eq!(report.warnings.len(), 1, "once, though its canary calibrates too: {:?}", report.warnings);
    assert!(report.warnings[0].starts_with(warning), "{:?}", report.warnings);
    assert!(said.iter().any(|line| line.starts_with(warning)), "said as it measured: {said:?}");
    assert!(poolbench::verdict::render_table(&report).contains(&format!("warning: {warning}")));
    // Synthetic times do not scatter: the cut rounds still decide.
    assert_eq!(entry.verdict, Verdict::Unchanged, "{entry:?}");
}

fn short_budget() {
    let settings = Settings { budget: Duration::from_millis(1), ..settings() };
    let mut said = Vec::new();
    let report =
        gate::run(&request(&[], "^gatetest/steady/[ab]$"), &settings, &mut |line| said.push(line.to_owned()))
            .expect("a gate run");
    let warned =
        said.iter().position(|line| line.starts_with("the budget (0 s) is too short for 3 benchmarks"));
    let measured = said.iter().position(|line| line.starts_with("pass 1 done"));
    assert!(warned.is_some() && warned < measured, "warned before measuring: {said:?}");
    assert!(
        report.warnings[0]
            .contains("give a --budget of 1 s or more, or select fewer benchmarks with --filter")
    );
    // Kept to: no benchmark had the rounds the rule needs, where every one used to have them.
    for entry in &report.entries {
        assert!(entry.rounds < settings.min_rounds, "{entry:?}");
        assert_eq!(entry.verdict, Verdict::Inconclusive, "{entry:?}");
    }
    assert!(report.budget_ran_out);
    assert_eq!(report.outcome(), Outcome::Inconclusive);
}
