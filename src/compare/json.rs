//! The comparison as JSON, for tools: the outcome (`regression`, `no_regression` or
//! `nothing_judged`, with why), then every field of [`Comparison`], pretty-printed.

use serde::Serialize;

use super::{Comparison, Error, Outcome};

/// What the JSON holds: the outcome first, so that a tool need not recompute it from the entries.
#[derive(Serialize)]
struct Document<'a> {
    outcome: Outcome,
    nothing_judged: Option<String>,
    #[serde(flatten)]
    comparison: &'a Comparison,
}

/// The comparison as JSON text.
///
/// # Errors
///
/// serde's, should the comparison not encode (serde_json encodes every value these types hold;
/// a ratio that is not finite becomes `null`).
pub fn render(comparison: &Comparison) -> Result<String, Error> {
    let document =
        Document { outcome: comparison.outcome(), nothing_judged: comparison.nothing_judged(), comparison };
    let mut text = serde_json::to_string_pretty(&document).map_err(|err| Error::encode("comparison", err))?;
    text.push('\n');
    Ok(text)
}
