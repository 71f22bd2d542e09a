//! A workload of this crate's own, for poolbench to sweep: the total of each order in a batch of
//! JSON documents, priced against a product catalog that each worker loads once.

use std::collections::HashMap;

use poolbench::workload::{Workload, WorkloadError};
use serde::{Deserialize, Serialize};

/// The product catalog, as a shop would ship it: one `sku,price in cents` line per product.
pub fn catalog_csv(products: usize) -> String {
    (0..products).map(|sku| format!("SKU-{sku:05},{}\n", 99 + (sku * 7_919) % 20_000)).collect()
}

/// `count` orders, each a JSON document of a few line items, the same on every run.
pub fn orders(count: usize) -> Vec<String> {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |below: u64| {
        // xorshift64: deterministic, no dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    (0..count)
        .map(|id| {
            let lines: Vec<serde_json::Value> = (0..1 + next(12))
                .map(|_| serde_json::json!({ "sku": format!("SKU-{:05}", next(PRODUCTS as u64)), "quantity": 1 + next(5) }))
                .collect();
            serde_json::json!({ "id": id, "customer": format!("customer-{}", next(1_000)), "lines": lines })
                .to_string()
        })
        .collect()
}

/// How many products the catalog holds.
pub const PRODUCTS: usize = 5_000;

/// Prices each order: parses the document, looks each line's product up in the catalog, and
/// returns the total in cents. The catalog is parsed once per worker, in [`Workload::setup`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderTotals {
    catalog: String,
}

impl OrderTotals {
    /// Totals against the standard catalog of [`PRODUCTS`] products.
    pub fn new() -> Self {
        OrderTotals { catalog: catalog_csv(PRODUCTS) }
    }
}

impl Default for OrderTotals {
    fn default() -> Self {
        OrderTotals::new()
    }
}

#[derive(Deserialize)]
struct Order {
    lines: Vec<Line>,
}

#[derive(Deserialize)]
struct Line {
    sku: String,
    quantity: u64,
}

/// A worker's price table: the catalog parsed.
pub struct Prices(HashMap<String, u64>);

impl Workload for OrderTotals {
    type Input = String;
    type Output = u64;
    type State = Prices;

    fn name(&self) -> &str {
        "order-totals"
    }

    fn setup(&self) -> Result<Prices, WorkloadError> {
        let mut prices = HashMap::with_capacity(PRODUCTS);
        for line in self.catalog.lines() {
            let (sku, price) = line
                .split_once(',')
                .ok_or_else(|| WorkloadError::new(format!("catalog line {line:?} is not sku,price")))?;
            let price = price.parse().map_err(|err| WorkloadError::new(format!("price of {sku}: {err}")))?;
            prices.insert(sku.to_owned(), price);
        }
        Ok(Prices(prices))
    }

    fn run(&self, prices: &Prices, document: &String) -> Result<u64, WorkloadError> {
        let order: Order =
            serde_json::from_str(document).map_err(|err| WorkloadError::new(format!("not an order: {err}")))?;
        order.lines.iter().try_fold(0, |total, line| match prices.0.get(&line.sku) {
            Some(price) => Ok(total + price * line.quantity),
            None => Err(WorkloadError::new(format!("no product {} in the catalog", line.sku))),
        })
    }

    /// The same total another way: the document as an untyped value, each price found by
    /// scanning the catalog's text.
    fn reference(&self, document: &String) -> Option<Result<u64, WorkloadError>> {
        let value: serde_json::Value = serde_json::from_str(document).ok()?;
        let mut total = 0;
        for line in value["lines"].as_array()? {
            let sku = line["sku"].as_str()?;
            let price: u64 = self.catalog.lines().find_map(|row| row.strip_prefix(sku)?.strip_prefix(','))?.parse().ok()?;
            total += price * line["quantity"].as_u64()?;
        }
        Some(Ok(total))
    }
}

poolbench::remote!(OrderTotals);

#[cfg(test)]
mod tests {
    use super::*;
    use poolbench::{Executor, Sequential};

    #[test]
    fn totals_agree_with_the_reference() {
        let workload = OrderTotals::new();
        let documents = orders(50);
        let totals = Sequential.map(&workload, &documents).expect("every order prices");
        for (document, total) in documents.iter().zip(totals) {
            assert_eq!(workload.reference(document), Some(Ok(total)), "{document}");
        }
    }
}
