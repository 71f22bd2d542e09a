//! The comparison as JSON, for tools: the outcome (`regression`, `no_regression` or
//! `nothing_judged`, with why), what the gate did about disturbed runs, then every field of
//! [`Comparison`], pretty-printed.

use serde::Serialize;

use super::{Comparison, Error, Outcome};

/// What the JSON holds: the outcome first, so that a tool need not recompute it from the entries,
/// and what the gate did about disturbed runs.
#[derive(Serialize)]
struct Document<'a> {
    outcome: Outcome,
    nothing_judged: Option<String>,
    disturbed: Disturbed,
    #[serde(flatten)]
    comparison: &'a Comparison,
}

/// The disturbed runs of the whole comparison: [`Comparison::disturbed_left_out`] and
/// [`Comparison::only_disturbed`].
#[derive(Serialize)]
struct Disturbed {
    runs_left_out: usize,
    benchmarks_with_runs_left_out: usize,
    benchmarks_not_judged: usize,
}

/// The comparison as JSON text.
///
/// # Errors
///
/// serde's, should the comparison not encode (serde_json encodes every value these types hold;
/// a ratio that is not finite becomes `null`).
pub fn render(comparison: &Comparison) -> Result<String, Error> {
    let (runs_left_out, benchmarks_with_runs_left_out) = comparison.disturbed_left_out();
    let disturbed = Disturbed {
        runs_left_out,
        benchmarks_with_runs_left_out,
        benchmarks_not_judged: comparison.only_disturbed(),
    };
    let document = Document {
        outcome: comparison.outcome(),
        nothing_judged: comparison.nothing_judged(),
        disturbed,
        comparison,
    };
    let mut text = serde_json::to_string_pretty(&document).map_err(|err| Error::encode("comparison", err))?;
    text.push('\n');
    Ok(text)
}
