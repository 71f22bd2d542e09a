//! The gate's report as the verdict layer draws it: the lines above the table (base, head,
//! rule, canary, time, disturbed rounds), the table's columns and cells, and the outcome's reason.

use super::{Entry, Outcome, Report, Stop};
use crate::format::duration_ns;
use crate::verdict::{
    Column, Judgement, Row, Table, cells::dash, change_with_interval, confidence, p_value, percent, plain,
};

impl Judgement for Report {
    const TOOL: &'static str = "gate";

    fn outcome(&self) -> Outcome {
        Report::outcome(self)
    }

    fn reason(&self) -> Option<String> {
        self.inconclusive()
    }

    fn header(&self) -> Vec<(&'static str, String)> {
        let head_env = if self.head.env.is_empty() {
            String::new()
        } else {
            format!(", with {}", self.head.env.join(" "))
        };
        vec![
            ("base", self.base.label.clone()),
            ("head", format!("{}{head_env}", self.head.label)),
            ("rule", rule_line(self)),
            ("canary", canary_line(self)),
            ("time", time_line(self)),
            ("disturbed rounds", self.disturbance.clone()),
        ]
    }

    fn table(&self) -> Table {
        let columns = vec![
            Column::text("benchmark"),
            Column::number("base"),
            Column::number("head"),
            Column::number(format!("change ({} CI)", confidence(self.settings.alpha))),
            Column::number("q"),
            Column::number("rounds"),
            Column::text("verdict"),
            Column::text("note"),
        ];
        Table { columns, rows: self.entries.iter().map(row).collect() }
    }

    fn footer(&self) -> Vec<String> {
        self.warnings.iter().map(|warning| format!("warning: {warning}")).collect()
    }
}

/// The largest detectable change worth a number, as a ratio: beyond a doubling, the spread
/// says only that the rounds cannot flag any change worth gating.
const MOST_DETECTABLE: f64 = 2.0;

/// The cells of `entry`.
fn row(entry: &Entry) -> Row {
    let time = |ns: Option<f64>| ns.map_or_else(dash, duration_ns);
    let cells = vec![
        entry.id.clone(),
        time(entry.base_ns),
        time(entry.head_ns),
        entry.change.as_ref().map_or_else(dash, change_with_interval),
        entry.change.and_then(|change| change.q_value).map_or_else(dash, p_value),
        if entry.rounds == 0 { dash() } else { entry.rounds.to_string() },
        entry.verdict.name().to_owned(),
        note(entry),
    ];
    Row { verdict: entry.verdict, cells }
}

/// Why measuring stopped, when that says something, and any failure.
fn note(entry: &Entry) -> String {
    let stop = match entry.stop {
        Some(Stop::Rounds) => Some("every round used".to_owned()),
        Some(Stop::BenchmarkBudget) => Some("its time ran out".to_owned()),
        Some(Stop::Budget) => Some("the run's time ran out".to_owned()),
        _ => None,
    };
    let detectable = entry.change.filter(|_| stop.is_some()).map(|change| match change.detectable {
        Some(detectable) if detectable <= MOST_DETECTABLE => {
            format!("could flag {} or more", percent(detectable))
        }
        // Two or three scattered rounds can make it astronomical (+4e22%): no number means that.
        _ => format!("{} round(s) too few or too scattered to flag any change under +100%", entry.rounds),
    });
    let dropped =
        (entry.dropped_rounds > 0).then(|| format!("{} disturbed round(s) dropped", entry.dropped_rounds));
    [stop, detectable, dropped, entry.note.clone()].into_iter().flatten().collect::<Vec<_>>().join("; ")
}

/// The rule in a sentence.
fn rule_line(report: &Report) -> String {
    let settings = &report.settings;
    let threshold = plain(settings.threshold_percent);
    format!(
        "pairs of ~{} ms slots, base and head back to back in alternating order, {} pairs a round, each round a \
         fresh process a side, {} to {} rounds; regressed (improved) when Benjamini-Hochberg at {} over the \
         benchmarks finds the change beyond +{threshold}% (-{threshold}%); unchanged when the {} interval lies \
         within ±{threshold}%; otherwise inconclusive",
        plain(settings.slot.as_secs_f64() * 1e3),
        settings.pairs,
        settings.min_rounds,
        settings.max_rounds,
        plain(settings.alpha / 2.0),
        confidence(2.0 * settings.alpha),
    )
}

/// The canary in a sentence: flagged, could not judge, or quiet on the canaries that judged.
fn canary_line(report: &Report) -> String {
    let canary = &report.canary;
    if canary.entries.is_empty() {
        return "none (--canaries 0): nothing checks that the machine was quiet enough".to_owned();
    }
    if let Some(why) = &canary.flagged {
        return format!("FLAGGED: {why}");
    }
    let judged: Vec<String> = canary
        .entries
        .iter()
        .filter_map(|entry| Some(format!("{} {}", entry.id, percent(entry.change?.ratio))))
        .collect();
    match (&canary.could_not_judge, judged.len()) {
        (Some(why), 0) => {
            format!("COULD NOT JUDGE: {why}; nothing vouches that the machine was quiet enough")
        }
        (Some(why), _) => {
            format!("quiet: head against head on {} ({}); {why}", judged.len(), judged.join(", "))
        }
        (None, _) => format!("quiet: head against head on {} ({})", judged.len(), judged.join(", ")),
    }
}

/// How long it took and what it started.
fn time_line(report: &Report) -> String {
    format!(
        "{} s in all: builds {} s (base) and {} s (head), measurement {} s in {} pass(es), {} + {} processes{}",
        plain(report.wall_seconds.round()),
        plain(report.base.build_seconds.round()),
        plain(report.head.build_seconds.round()),
        plain(report.measure_seconds.round()),
        report.passes,
        report.base.processes,
        report.head.processes,
        if report.budget_ran_out { "; the budget ran out before every benchmark was decided" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Canary, Change, Settings, Side, Verdict};
    use super::*;
    use crate::verdict::{Config, MAX_MARKDOWN_CHARS, render_json, render_markdown, render_table};

    fn side(label: &str) -> Side {
        Side {
            label: label.to_owned(),
            commit: None,
            programs: vec![],
            env: vec![],
            build_seconds: 1.0,
            processes: 6,
        }
    }

    fn entry(id: String, verdict: Verdict, log_ratio: f64) -> Entry {
        let ratio = log_ratio.exp();
        Entry {
            id,
            verdict,
            base_ns: Some(1_000.0),
            head_ns: Some(1_000.0 * ratio),
            change: Some(Change {
                q_value: Some(0.002),
                detectable: Some(1.03),
                ..Change::new(ratio, ratio * 0.99, ratio * 1.01, 0.001)
            }),
            estimate: None,
            rounds: 3,
            pairs: 18,
            dropped_rounds: 0,
            iterations: Some(100),
            seconds: 1.0,
            stop: None,
            note: None,
        }
    }

    fn report(entries: Vec<Entry>) -> Report {
        Report {
            base: side("main"),
            head: side("working tree"),
            settings: Settings::new(),
            entries,
            canary: Canary { entries: vec![], flagged: None, could_not_judge: None },
            budget_ran_out: false,
            measure_seconds: 10.0,
            wall_seconds: 20.0,
            passes: 3,
            dropped_rounds: 0,
            disturbance: "none".to_owned(),
            warnings: vec![],
        }
    }

    #[test]
    fn a_regression_the_config_accepts_against_this_base_passes_with_its_reason() {
        let rules = Config::parse(
            r#"
            [[benchmark]]
            id = "pools/*/ProcessPool/*"
            accept = true
            base = "c85d37f"
            reason = "results now checked twice"

            [[benchmark]]
            id = "startup/*"
            accept = true
            reason = "not needed any more"
            "#,
            std::path::Path::new("poolbench-compare.toml"),
        )
        .unwrap()
        .rules;
        let entries = vec![
            entry("pools/squares-10k/ProcessPool/2".to_owned(), Verdict::Regressed, 0.2),
            entry("pools/squares-10k/StdPool/2".to_owned(), Verdict::Regressed, 0.1),
        ];
        let mut on_its_base = report(entries.clone());
        on_its_base.base.commit = Some("c85d37fea73d".to_owned());
        let unused = on_its_base.accept_intended(&rules);
        assert_eq!(on_its_base.entries[0].verdict, Verdict::Accepted);
        assert_eq!(on_its_base.entries[0].note.as_deref(), Some("accepted: results now checked twice"));
        assert_eq!(on_its_base.entries[1].verdict, Verdict::Regressed, "another executor is not accepted");
        assert_eq!(on_its_base.outcome(), Outcome::Regression);
        assert_eq!(unused.iter().map(|rule| rule.id.as_str()).collect::<Vec<_>>(), ["startup/*"]);

        let mut only_the_accepted = report(entries[..1].to_vec());
        only_the_accepted.base.commit = Some("c85d37fea73d".to_owned());
        only_the_accepted.accept_intended(&rules);
        assert_eq!(only_the_accepted.outcome(), Outcome::NoRegression);
        assert!(render_markdown(&only_the_accepted).contains("accepted: results now checked twice"));

        let mut on_another_base = report(entries[..1].to_vec());
        on_another_base.base.commit = Some("0123456789ab".to_owned());
        on_another_base.accept_intended(&rules);
        assert_eq!(on_another_base.entries[0].verdict, Verdict::Regressed, "the base moved on");
    }

    #[test]
    fn a_huge_run_stays_under_the_comment_limit_with_the_largest_regressions_kept() {
        // 3,000 regressions with long ids, largest first as the session sorts them.
        let entries: Vec<Entry> = (0..3_000)
            .map(|k| {
                let id = format!("suite/a-rather-long-group-name/SomeExecutorKind/{k:05}");
                entry(id, Verdict::Regressed, 0.5 - f64::from(k) * 1e-4)
            })
            .collect();
        let text = render_markdown(&report(entries));
        assert!(text.chars().count() <= MAX_MARKDOWN_CHARS, "{} chars", text.chars().count());
        const { assert!(MAX_MARKDOWN_CHARS < 65_536) };
        assert!(
            text.contains("/00000**") && !text.contains("/02999**"),
            "the largest kept, the smallest left out"
        );
        assert!(text.contains("more not shown") && text.contains("❌ 3000 regressions"));
    }

    #[test]
    fn unchanged_benchmarks_are_folded_and_the_rest_shown() {
        let entries = vec![
            entry("g/c/1".to_owned(), Verdict::Improved, -0.1),
            entry("g/c/2".to_owned(), Verdict::Unchanged, 0.0),
        ];
        let text = render_markdown(&report(entries));
        assert!(text.starts_with("## poolbench gate: ✅ no regression"), "{text}");
        let folded = text.find("<details>").expect("a folded block");
        assert!(text.find("g/c/1").expect("shown") < folded && text.find("g/c/2").expect("folded") > folded);
    }

    #[test]
    fn a_detectable_change_beyond_a_doubling_is_never_printed_as_a_number() {
        let mut scattered = entry("task/slow/1".to_owned(), Verdict::Inconclusive, 0.0);
        scattered.stop = Some(Stop::Budget);
        scattered.rounds = 2;
        let detectable = |entry: &mut Entry, value: Option<f64>| {
            entry.change.as_mut().expect("a change").detectable = value;
            note(entry)
        };
        assert_eq!(
            detectable(&mut scattered, Some(1.05)),
            "the run's time ran out; could flag +5.00% or more"
        );
        for absurd in [Some(4e20), Some(2.5), None] {
            let note = detectable(&mut scattered, absurd);
            assert_eq!(
                note,
                "the run's time ran out; 2 round(s) too few or too scattered to flag any change under +100%",
                "{absurd:?}"
            );
        }
    }

    #[test]
    fn a_canary_whose_every_round_was_dropped_says_it_could_not_judge_not_quiet() {
        let mut dropped = entry("task/cpu-spin/20000".to_owned(), Verdict::Unchanged, 0.0);
        (dropped.change, dropped.rounds, dropped.dropped_rounds) = (None, 0, 7);
        let mut report = report(vec![entry("g/c/1".to_owned(), Verdict::Unchanged, 0.0)]);
        report.canary = super::super::session::canary_of(vec![dropped.clone()]);
        assert_eq!(report.canary.entries[0].verdict, Verdict::Inconclusive, "{:?}", report.canary);
        let line = canary_line(&report);
        assert!(line.starts_with("COULD NOT JUDGE: 1 of 1 canaries could not judge"), "{line}");
        assert!(line.contains("7 round(s) dropped as disturbed") && !line.contains("quiet:"), "{line}");

        let judged = entry("task/factorial/2000".to_owned(), Verdict::Unchanged, 0.001);
        report.canary = super::super::session::canary_of(vec![judged, dropped]);
        let line = canary_line(&report);
        assert!(
            line.starts_with("quiet: head against head on 1 (task/factorial/2000 +0.100%); 1 of 2"),
            "{line}"
        );
    }

    #[test]
    fn the_json_document_names_its_format_version_and_tool_and_the_table_its_outcome() {
        let report = report(vec![entry("g/c/1".to_owned(), Verdict::Regressed, 0.1)]);
        let json: serde_json::Value = serde_json::from_str(&render_json(&report).unwrap()).unwrap();
        assert_eq!(
            (&json["format"], &json["version"], &json["tool"], &json["outcome"], &json["exit_code"]),
            (&"poolbench-verdicts".into(), &1.into(), &"gate".into(), &"regression".into(), &2.into())
        );
        assert_eq!(json["entries"][0]["change"]["q_value"], 0.002);
        let table = render_table(&report);
        assert!(
            table.starts_with("poolbench gate\n  base:")
                && table.contains("result: REGRESSION (exit code 2)")
        );
    }
}
