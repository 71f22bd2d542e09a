//! Bencher Metric Format: one object per benchmark, holding the built-in `latency` measure in
//! nanoseconds with its bounds (<https://bencher.dev/docs/reference/bencher-metric-format/>).

use serde_json::{Map, Value, json};

use super::{Exporter, named_rows};
use crate::schema::Summary;

/// Writes BMF.
pub(super) struct BmfExporter;

impl Exporter for BmfExporter {
    fn export(&self, summary: &Summary) -> Value {
        let mut document = Map::new();
        for (name, row) in named_rows(summary) {
            let median = row.median_ns;
            document.insert(
                name,
                json!({ "latency": { "value": median.point, "lower_value": median.lower, "upper_value": median.upper } }),
            );
        }
        Value::Object(document)
    }
}
