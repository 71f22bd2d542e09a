//! The gate's result in GitHub-flavoured Markdown, for a pull-request comment: the outcome in the
//! heading, what was compared and how, the benchmarks that need a look (most changed first), the
//! unchanged ones folded away; never more than [`MAX_MARKDOWN_CHARS`], GitHub's comment limit
//! (65,536) with room for what a workflow appends.

use std::fmt::Write as _;

use super::cells::{self, canary_line, counts_line, result_line, rule_line, time_line};
use super::{Entry, Outcome, Report, Verdict};
use crate::format::markdown::escape;

/// The most characters the Markdown holds.
pub const MAX_MARKDOWN_CHARS: usize = 60_000;

/// The report as Markdown.
pub fn render(report: &Report) -> String {
    let mut text = String::new();
    let regressions = report.count(Verdict::Regressed);
    let heading = match (report.outcome(), regressions) {
        (Outcome::Inconclusive, _) => "⚠️ inconclusive".to_owned(),
        (Outcome::Failed, _) => "⚠️ a benchmark could not be measured".to_owned(),
        (_, 0) => "✅ no regression".to_owned(),
        (_, 1) => "❌ 1 regression".to_owned(),
        (_, n) => format!("❌ {n} regressions"),
    };
    let _ = writeln!(text, "## poolbench gate: {heading}\n");
    let _ = writeln!(text, "- **base:** {}", escape(&report.base.label));
    let head_env = if report.head.env.is_empty() {
        String::new()
    } else {
        format!(", with `{}`", report.head.env.join(" "))
    };
    let _ = writeln!(text, "- **head:** {}{head_env}", escape(&report.head.label));
    let _ = writeln!(text, "- **rule:** {}", escape(&rule_line(report)));
    let _ = writeln!(text, "- **canary:** {}", escape(&canary_line(report)));
    let _ = writeln!(text, "- **time:** {}\n", escape(&time_line(report)));
    let mut footer =
        format!("{}\n\n**result:** {}\n", escape(&counts_line(report)), escape(&result_line(report)));
    footer.push_str(&format!("\n<sub>disturbed rounds: {}</sub>\n", escape(&report.disturbance)));
    let (shown, folded): (Vec<&Entry>, Vec<&Entry>) =
        report.entries.iter().partition(|entry| entry.verdict != Verdict::Unchanged);
    // What is left for the tables once the header and footer are in.
    let room = MAX_MARKDOWN_CHARS.saturating_sub(text.chars().count() + footer.chars().count() + 200);
    let mut used = 0;
    if shown.is_empty() {
        let _ = writeln!(text, "No benchmark regressed, improved, failed or stayed inconclusive.\n");
    } else {
        used += table(&mut text, report, &shown, room);
    }
    if !folded.is_empty() {
        let _ = writeln!(text, "<details><summary>{} unchanged</summary>\n", folded.len());
        table(&mut text, report, &folded, room.saturating_sub(used));
        let _ = writeln!(text, "</details>\n");
    }
    text.push_str(&footer);
    text
}

/// Writes the rows of `entries` that fit in `room` characters, then how many did not; returns
/// the characters written.
fn table(text: &mut String, report: &Report, entries: &[&Entry], room: usize) -> usize {
    let mut written = String::new();
    let headings = cells::headings(report);
    let _ = writeln!(
        written,
        "| {} |",
        headings.iter().map(|heading| escape(heading)).collect::<Vec<_>>().join(" | ")
    );
    let rule: Vec<&str> = cells::numeric().iter().map(|&right| if right { "---:" } else { "---" }).collect();
    let _ = writeln!(written, "|{}|", rule.join("|"));
    let mut left_out = 0;
    for entry in entries {
        let mut row: Vec<String> = cells::row(entry).iter().map(|cell| escape(cell)).collect();
        if entry.verdict == Verdict::Regressed {
            row[0] = format!("**{}**", row[0]);
            row[6] = format!("**{}**", row[6]);
        }
        let line = format!("| {} |\n", row.join(" | "));
        if left_out > 0 || written.chars().count() + line.chars().count() > room {
            left_out += 1;
        } else {
            written.push_str(&line);
        }
    }
    if left_out > 0 {
        let _ = writeln!(
            written,
            "\n{left_out} more not shown, to stay within a comment's length: the JSON has them all."
        );
    }
    written.push('\n');
    text.push_str(&written);
    written.chars().count()
}

#[cfg(test)]
mod tests {
    use super::super::{Canary, Change, Settings, Side};
    use super::*;
    use crate::paired::Estimate;

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
        let estimate = Estimate { log_ratio, standard_error: 0.001, df: 2.0, rounds: 3 };
        let ratio = log_ratio.exp();
        Entry {
            id,
            verdict,
            base_ns: Some(1_000.0),
            head_ns: Some(1_000.0 * ratio),
            change: Some(Change {
                ratio,
                lower: ratio * 0.99,
                upper: ratio * 1.01,
                p_value: 0.001,
                q_value: Some(0.002),
                detectable: 1.03,
                estimate,
            }),
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
            canary: Canary { entries: vec![], flagged: None },
            budget_ran_out: false,
            measure_seconds: 10.0,
            wall_seconds: 20.0,
            passes: 3,
            dropped_rounds: 0,
            disturbance: "none".to_owned(),
        }
    }

    #[test]
    fn a_regression_the_config_accepts_against_this_base_passes_with_its_reason() {
        let rules = crate::compare::Config::parse(
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
        assert!(render(&only_the_accepted).contains("accepted: results now checked twice"));

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
        let text = render(&report(entries));
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
        let text = render(&report(entries));
        assert!(text.starts_with("## poolbench gate: ✅ no regression"), "{text}");
        let folded = text.find("<details>").expect("a folded block");
        assert!(text.find("g/c/1").expect("shown") < folded && text.find("g/c/2").expect("folded") > folded);
    }
}
