//! The line near the top of the page and the Markdown that says how quiet the machine was over
//! the whole run: "The machine was quiet for 214 of 216 benchmarks; 2 measured again".

use crate::format::first_few;
use crate::schema::{Capacity, QuietTally, Summary};

/// How many disturbed benchmarks the line names; the rest are counted.
const NAMED: usize = 5;

/// The line, and whether it calls for a look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuietLine {
    /// The sentence.
    pub sentence: String,
    /// Whether a row is disturbed or not measured: the page draws the line as a warning.
    pub warns: bool,
}

/// The line of `summary`; `None` without a row of poolbench's own.
pub(crate) fn quiet_line(summary: &Summary) -> Option<QuietLine> {
    let tally = QuietTally::of(summary.rows());
    let warns = !tally.disturbed.is_empty() || tally.not_measured > 0;
    let mut sentence = sentence(&tally)?;
    if let Some(capacity) = &summary.capacity {
        sentence.push(' ');
        sentence.push_str(&capacity_sentence(capacity));
    }
    Some(QuietLine { sentence, warns })
}

/// What the cores gave over the rounds: "In the interleaved rounds, the 2 cores gave 1.94 of 2
/// (median of 1,200 probes; 1.81 at the 10th percentile); 97% of the probes found at least 1.60,
/// and the slots beside the others were left out."
fn capacity_sentence(capacity: &Capacity) -> String {
    format!(
        "In the interleaved rounds, the {cores} cores gave {median:.2} of {cores} (median of {probes} probes; \
         {p10:.2} at the 10th percentile); {share} of the probes found at least {floor:.2}, and the slots beside \
         the others were left out.",
        cores = capacity.cores,
        median = capacity.median,
        probes = capacity.probes,
        p10 = capacity.p10,
        share = crate::format::share(capacity.share_kept),
        floor = capacity.threshold * f64::from(capacity.cores),
    )
}

/// The tally in a sentence: "The machine was quiet for 214 of 216 benchmarks; 2 measured again;
/// 2 disturbed, their numbers in doubt: ...". `None` without rows to count.
fn sentence(tally: &QuietTally) -> Option<String> {
    if tally.benchmarks == 0 {
        return None;
    }
    if tally.not_measured == tally.benchmarks {
        return Some(format!(
            "The machine's load was not measured for these {} benchmarks (measured outside poolbench's bench API, \
             or before it measured the load): whether it was quiet is not known.",
            tally.benchmarks
        ));
    }
    let mut text = format!("The machine was quiet for {} of {} benchmarks", tally.quiet, tally.benchmarks);
    text.push_str(&format!("; {} measured again", tally.measured_again));
    if !tally.disturbed.is_empty() {
        text.push_str(&format!(
            "; {} disturbed, their numbers in doubt: {}",
            tally.disturbed.len(),
            first_few(&tally.disturbed, NAMED)
        ));
    }
    if tally.not_measured > 0 {
        text.push_str(&format!("; {} not measured", tally.not_measured));
    }
    text.push('.');
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_counts_the_quiet_names_the_first_disturbed_and_counts_the_rest() {
        let ids = |count: usize| (0..count).map(|index| format!("g/{index}")).collect::<Vec<_>>();
        let tally =
            QuietTally { benchmarks: 10, quiet: 2, disturbed: ids(7), not_measured: 1, measured_again: 3 };
        assert_eq!(
            sentence(&tally).as_deref(),
            Some(
                "The machine was quiet for 2 of 10 benchmarks; 3 measured again; 7 disturbed, their numbers in \
                 doubt: g/0, g/1, g/2, g/3, g/4 and 2 more; 1 not measured."
            )
        );
        let quiet = QuietTally { benchmarks: 4, quiet: 4, ..QuietTally::default() };
        assert_eq!(
            sentence(&quiet).as_deref(),
            Some("The machine was quiet for 4 of 4 benchmarks; 0 measured again.")
        );
        let unknown = QuietTally { benchmarks: 3, not_measured: 3, ..QuietTally::default() };
        assert!(sentence(&unknown).is_some_and(|text| text.contains("not measured for these 3 benchmarks")));
        assert_eq!(sentence(&QuietTally::default()), None);
    }

    #[test]
    fn the_capacity_sentence_says_what_the_cores_gave_and_how_many_rounds_kept_it() {
        let capacity =
            Capacity { cores: 2, probes: 400, median: 1.94, p10: 1.811, threshold: 0.8, share_kept: 0.97 };
        assert_eq!(
            capacity_sentence(&capacity),
            "In the interleaved rounds, the 2 cores gave 1.94 of 2 (median of 400 probes; 1.81 at the 10th \
             percentile); 97% of the probes found at least 1.60, and the slots beside the others were left out."
        );
    }
}
