//! The gate's result as JSON, for tools: the outcome and its exit code first, then every field
//! of [`Report`], pretty-printed.

use serde::Serialize;

use super::{Error, Outcome, Report};

#[derive(Serialize)]
struct Document<'a> {
    outcome: Outcome,
    exit_code: u8,
    inconclusive: Option<String>,
    #[serde(flatten)]
    report: &'a Report,
}

/// The report as JSON text.
///
/// # Errors
///
/// serde's, should the report not encode (a number that is not finite becomes `null`).
pub fn render(report: &Report) -> Result<String, Error> {
    let outcome = report.outcome();
    let document =
        Document { outcome, exit_code: outcome.exit_code(), inconclusive: report.inconclusive(), report };
    let mut text =
        serde_json::to_string_pretty(&document).map_err(|err| Error::encode("gate report", err))?;
    text.push('\n');
    Ok(text)
}
