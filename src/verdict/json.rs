//! The one JSON document of both paths, for tools: what it is and its version first, then the
//! outcome, its exit code and why, then every field of the path's result, pretty-printed.
//!
//! ```json
//! { "format": "poolbench-verdicts", "version": 1, "tool": "gate", "outcome": "no_regression",
//!   "exit_code": 0, "reason": null, ... }
//! ```
//!
//! `version` changes when a field a tool may read changes meaning or goes; fields are added
//! without a change of version.

use serde::Serialize;

use super::{Error, Judgement, Outcome};

/// The document's `format`.
pub const JSON_FORMAT: &str = "poolbench-verdicts";
/// The document's `version`.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a, J: Serialize> {
    format: &'static str,
    version: u32,
    tool: &'static str,
    outcome: Outcome,
    exit_code: u8,
    reason: Option<String>,
    #[serde(flatten)]
    result: &'a J,
}

/// The result as a JSON document.
///
/// # Errors
///
/// serde's, should the result not encode (a number that is not finite becomes `null`).
pub fn render<J: Judgement>(result: &J) -> Result<String, Error> {
    let outcome = result.outcome();
    let document = Document {
        format: JSON_FORMAT,
        version: JSON_VERSION,
        tool: J::TOOL,
        outcome,
        exit_code: outcome.exit_code(),
        reason: result.reason(),
        result,
    };
    let mut text = serde_json::to_string_pretty(&document).map_err(|err| Error::encode(J::TOOL, err))?;
    text.push('\n');
    Ok(text)
}
