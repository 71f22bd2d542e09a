//! The comparison as JSON, for tools: every field of [`Comparison`], pretty-printed.

use super::{Comparison, Error};

/// The comparison as JSON text.
///
/// # Errors
///
/// serde's, should the comparison not encode (serde_json encodes every value these types hold;
/// a ratio that is not finite becomes `null`).
pub fn render(comparison: &Comparison) -> Result<String, Error> {
    let mut text =
        serde_json::to_string_pretty(comparison).map_err(|err| Error::encode("comparison", err))?;
    text.push('\n');
    Ok(text)
}
