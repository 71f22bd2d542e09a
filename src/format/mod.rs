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

/// A size in bytes, in the largest binary unit that holds it exactly: `64 MiB`, `64 KiB`,
/// `65537 bytes`. For limits, which are round numbers a reader sets and must recognise.
pub(crate) fn byte_size(bytes: usize) -> String {
    match bytes {
        0 => "0 bytes".to_owned(),
        bytes if bytes % (1 << 30) == 0 => format!("{} GiB", bytes >> 30),
        bytes if bytes % (1 << 20) == 0 => format!("{} MiB", bytes >> 20),
        bytes if bytes % (1 << 10) == 0 => format!("{} KiB", bytes >> 10),
        bytes => format!("{bytes} bytes"),
    }
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
    fn limits_read_in_the_unit_they_were_set_in() {
        assert_eq!(byte_size(64 << 20), "64 MiB");
        assert_eq!(byte_size(64 << 10), "64 KiB");
        assert_eq!(byte_size(4 << 30), "4 GiB");
        assert_eq!(byte_size(u32::MAX as usize), "4294967295 bytes");
        assert_eq!(byte_size(0), "0 bytes");
    }

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
