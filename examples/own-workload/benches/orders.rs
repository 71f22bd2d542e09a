//! Order totals on every executor at pool sizes 2, 4 and 8, and the pool-size report.

use criterion::Criterion;
use own_workload::{OrderTotals, orders};
use poolbench::bench::Sweep;

fn order_totals(c: &mut Criterion) {
    let documents = orders(200);
    Sweep::new("orders/totals", &OrderTotals::new(), &documents)
        .about("200 JSON orders parsed and priced against a 5,000-product catalog")
        .run(c);
}

poolbench::main!(order_totals);
