//! `summary.json`: the [`Summary`] as pretty-printed JSON, the form every other tool reads.

use super::{Error, Exporter};
use crate::schema::Summary;

/// `summary` as the text of `summary.json`.
///
/// # Errors
///
/// serde's, should the summary not encode (serde_json encodes every value these types can hold).
pub fn render(summary: &Summary) -> Result<String, Error> {
    let mut text = serde_json::to_string_pretty(summary).map_err(|err| Error::encode("summary.json", err))?;
    text.push('\n');
    Ok(text)
}

/// Writes `summary.json`.
pub(crate) struct JsonExporter;

impl Exporter for JsonExporter {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }

    fn export(&self, summary: &Summary) -> Result<Vec<u8>, Error> {
        render(summary).map(String::into_bytes)
    }
}
