//! Text for people, shared by every module that writes some: numbers (times with a unit, ratios
//! with three significant digits) here, Markdown escaping in [`markdown`], and [`visible`], which
//! makes text from outside safe to show in any of them.
//!
//! The HTML page, the Markdown tables, the comparison's tables and the plain-words verdicts all
//! write numbers the same way, so that a number read on the page can be found again in the
//! pull-request comment. The rule is that a number reads at a glance:
//!
//! - three significant digits, never an exponent, thousands separated: `164,000`, `12.3`,
//!   `0.0123` ([`significant`]);
//! - a speedup, or any ratio where more is faster, below 1 is said as a slowdown: `0.00000609`
//!   is `164,000× slower` ([`speedup`]);
//! - an efficiency is a percentage, and below 0.1% only `<0.1%`: such a pool is overhead, and its
//!   speedup already says by how much ([`efficiency`]).
//!
//! `summary.json` keeps every number unrounded; only its sentences (the headline, the scaling
//! verdict, a ratio in words) are written with these functions.

pub(crate) mod columns;
pub(crate) mod markdown;
mod visible;

pub(crate) use visible::visible;

use crate::schema::Quietness;

/// `value` to three significant digits, without an exponent, with thousands separators:
/// 164,000, 1,230, 123, 12.3, 1.23, 0.0123.
pub fn significant(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs().log10().floor();
    if magnitude >= 3.0 {
        // Digits past the third are noise: round them to zeros, as 164,123 to 164,000.
        let unit = 10f64.powf(magnitude - 2.0);
        return thousands(&format!("{:.0}", (value / unit).round() * unit));
    }
    // Three digits in all: two decimals at magnitude 0, none from magnitude 2 up.
    let decimals = (2.0 - magnitude).clamp(0.0, 12.0);
    // The float-to-int cast is exact: `decimals` is a small whole number.
    thousands(&format!("{value:.prec$}", prec = decimals as usize))
}

/// `digits` (an optional sign, an integer part, an optional fraction) with a comma between each
/// group of three digits of the integer part.
fn thousands(digits: &str) -> String {
    let (sign, rest) = digits.split_at(usize::from(digits.starts_with('-')));
    let (integer, fraction) = rest.split_at(rest.find('.').unwrap_or(rest.len()));
    let mut grouped = String::with_capacity(digits.len() + integer.len() / 3);
    for (index, digit) in integer.chars().enumerate() {
        if index > 0 && (integer.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}{fraction}")
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

/// A measured amount of memory in MiB, with a sign when it is negative: `7.42 MiB`, `-0.12 MiB`.
pub fn mebibytes(bytes: f64) -> String {
    format!("{} MiB", significant(bytes / f64::from(1u32 << 20)))
}

/// Names joined as a sentence joins them: `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and(parts: Vec<String>) -> String {
    match parts.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A ratio: `3.10×`. A ratio where more is faster is a [`speedup`].
pub fn ratio(value: f64) -> String {
    format!("{}×", significant(value))
}

/// A speedup, or any ratio where more is faster: `3.10×` from 1 up, and below 1 the slowdown it
/// is, `164,000× slower` for 0.00000609.
pub fn speedup(value: f64) -> String {
    if value > 0.0 && value < 1.0 { format!("{} slower", ratio(1.0 / value)) } else { ratio(value) }
}

/// An interval of speedups: `2.10× – 3.40×`; `412,000× – 519,000× slower` when both bounds are
/// below 1, the smaller slowdown first.
pub fn speedup_range(lower: f64, upper: f64) -> String {
    if lower > 0.0 && upper < 1.0 {
        format!("{} – {}", ratio(1.0 / upper), speedup(lower))
    } else {
        format!("{} – {}", speedup(lower), speedup(upper))
    }
}

/// A percentage, given as such (28.5 for 28.5%): `28.5%`.
pub fn percent(value: f64) -> String {
    format!("{}%", significant(value))
}

/// An efficiency (speedup over pool size) as a percentage: `71.2%`, and `<0.1%` below a
/// thousandth, where only the speedup's slowdown says anything.
pub fn efficiency(value: f64) -> String {
    if value > 0.0 && value < 0.001 { "<0.1%".to_owned() } else { percent(value * 100.0) }
}

/// A share from 0 to 1 in whole percents: `41%`, and `<1%` for less than a hundredth but more
/// than nothing.
pub fn share(value: f64) -> String {
    if value > 0.0 && value < 0.005 { "<1%".to_owned() } else { format!("{:.0}%", value * 100.0) }
}

/// Cores kept busy of those a benchmark could use: `1.93 of 2`.
pub fn busy_cores(busy: f64, of: u32) -> String {
    format!("{busy:.2} of {of}")
}

/// Whether the machine was quiet, as a cell says it: `quiet`, `disturbed: 41% taken`, either
/// followed by `, measured again`; `not measured`.
pub(crate) fn quietness(load: &Quietness) -> String {
    let again = if load.measured_again() { ", measured again" } else { "" };
    match load {
        Quietness::Quiet(_) => format!("quiet{again}"),
        Quietness::Disturbed(measurement) => {
            format!("disturbed: {} taken{again}", share(measurement.load.disturbance))
        }
        Quietness::NotMeasured { .. } => "not measured".to_owned(),
    }
}

/// Every figure of a load, in a line, for the page's tooltip; or why it was not measured.
pub(crate) fn load_details(load: &Quietness) -> String {
    let Some(measurement) = load.measurement() else {
        return match load {
            Quietness::NotMeasured { reason } => format!("not measured: {reason}"),
            _ => String::new(),
        };
    };
    let load = &measurement.load;
    format!(
        "other programs and the hypervisor took {} of the {} core(s) it could use (disturbed above {}); other \
         programs {} of the machine, steal {}; its own CPU time {} s ({} s of it in {} process(es) it started) in \
         {} s; {} involuntary context switches; measured {} time(s)",
        share(load.disturbance),
        load.usable_cores,
        share(load.threshold),
        share(load.others_share),
        share(load.steal_share),
        significant(load.own_cpu_seconds()),
        significant(load.times.children_cpu_seconds),
        load.times.processes,
        significant(load.times.wall_seconds),
        load.times.involuntary_switches,
        measurement.attempts
    )
}

/// The first `most` of `items`, comma-separated, and how many more: `a, b and 3 more`.
pub(crate) fn first_few(items: &[String], most: usize) -> String {
    let mut text = items.iter().take(most).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > most {
        text.push_str(&format!(" and {} more", items.len() - most));
    }
    text
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
        assert_eq!(significant(1234.5), "1,230");
        assert_eq!(significant(164_123.0), "164,000");
        assert_eq!(significant(-1_234_567.0), "-1,230,000");
        assert_eq!(significant(999.7), "1,000");
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

    #[test]
    fn a_speedup_below_one_reads_as_the_slowdown_it_is() {
        assert_eq!(speedup(3.1), "3.10×");
        assert_eq!(speedup(1.0), "1.00×");
        assert_eq!(speedup(0.5), "2.00× slower");
        assert_eq!(speedup(0.00000609), "164,000× slower");
        assert_eq!(speedup_range(2.1, 3.4), "2.10× – 3.40×");
        assert_eq!(speedup_range(1.0 / 519_000.0, 1.0 / 412_000.0), "412,000× – 519,000× slower");
        assert_eq!(speedup_range(0.5, 2.0), "2.00× slower – 2.00×");
    }

    #[test]
    fn a_long_list_names_its_first_few_and_counts_the_rest() {
        let items = ["a", "b", "c"].map(str::to_owned);
        assert_eq!(first_few(&items, 2), "a, b and 1 more");
        assert_eq!(first_few(&items, 3), "a, b, c");
        assert_eq!(first_few(&[], 3), "");
    }

    #[test]
    fn shares_are_whole_percents_and_busy_cores_two_decimals() {
        assert_eq!(share(0.4123), "41%");
        assert_eq!(share(0.001), "<1%");
        assert_eq!(share(0.0), "0%");
        assert_eq!(share(1.0), "100%");
        assert_eq!(busy_cores(1.934, 2), "1.93 of 2");
    }

    #[test]
    fn efficiencies_are_percentages_and_a_thousandth_is_the_floor() {
        assert_eq!(efficiency(1.0), "100%");
        assert_eq!(efficiency(0.712), "71.2%");
        assert_eq!(efficiency(0.00285), "0.285%");
        assert_eq!(efficiency(0.00000305), "<0.1%");
        assert_eq!(percent(28.5), "28.5%");
    }
}
