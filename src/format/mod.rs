//! Text for people, shared by every module that writes some: numbers (times with a unit, ratios
//! with three significant digits) here, Markdown escaping in [`markdown`].
//!
//! The HTML page, the Markdown tables, the comparison's tables and the plain-words verdicts all
//! write numbers the same way, so that a number read on the page can be found again in the
//! pull-request comment.

pub(crate) mod markdown;

/// `value` to three significant digits, without an exponent: 1230, 123, 12.3, 1.23, 0.0123.
pub fn significant(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs().log10().floor();
    // Three digits in all: two decimals at magnitude 0, none from magnitude 2 up.
    let decimals = (2.0 - magnitude).clamp(0.0, 12.0);
    // The float-to-int cast is exact: `decimals` is a small whole number.
    format!("{value:.prec$}", prec = decimals as usize)
}

/// A time in nanoseconds with a unit chosen to keep the number short: `45.5 µs`.
pub fn duration_ns(ns: f64) -> String {
    let (value, unit) = match ns.abs() {
        ns if ns >= 1e9 => (ns / 1e9, "s"),
        ns if ns >= 1e6 => (ns / 1e6, "ms"),
        ns if ns >= 1e3 => (ns / 1e3, "µs"),
        _ => (ns, "ns"),
    };
    format!("{} {unit}", significant(value.copysign(ns)))
}

/// A speedup or other ratio: `3.10×`.
pub fn ratio(value: f64) -> String {
    format!("{}×", significant(value))
}

/// A rate with an SI prefix: `1.23 M`, `456 k`, `12.3`.
pub fn rate(per_second: f64) -> String {
    match per_second.abs() {
        value if value >= 1e9 => format!("{} G", significant(per_second / 1e9)),
        value if value >= 1e6 => format!("{} M", significant(per_second / 1e6)),
        value if value >= 1e3 => format!("{} k", significant(per_second / 1e3)),
        _ => significant(per_second),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_three_significant_digits() {
        assert_eq!(significant(1234.5), "1234");
        assert_eq!(significant(123.45), "123");
        assert_eq!(significant(12.345), "12.3");
        assert_eq!(significant(1.2345), "1.23");
        assert_eq!(significant(0.012345), "0.0123");
        assert_eq!(significant(0.0), "0");
        assert_eq!(significant(f64::NAN), "—");
    }

    #[test]
    fn times_take_the_unit_that_keeps_them_short() {
        assert_eq!(duration_ns(12.0), "12.0 ns");
        assert_eq!(duration_ns(45_537.1), "45.5 µs");
        assert_eq!(duration_ns(1_230_000.0), "1.23 ms");
        assert_eq!(duration_ns(2.5e9), "2.50 s");
        assert_eq!(duration_ns(-45_537.1), "-45.5 µs");
        assert_eq!(ratio(3.1), "3.10×");
        assert_eq!(rate(1_234_567.0), "1.23 M");
        assert_eq!(rate(456.0), "456");
    }
}
