//! What every `summary.json` holds, checked on both sides of the file: the report refuses to write
//! a summary that breaks it, and [`Summary::read`] refuses a file that does, naming the row.
//!
//! - Every number is finite. serde_json writes a NaN or an infinity as `null`, which a reader of
//!   a number refuses and a reader of an optional number takes for "not computed": either way the
//!   file would lie. The derived numbers (a time per iteration, a speedup, a fit) are checked, not
//!   only what they were derived from, since finite inputs can divide to infinity.
//! - An interval's lower bound is not above its upper bound.
//! - A time (a sample, a median, a mean) is not negative.
//! - A row's load ([`Quietness`](super::Quietness)) holds times that are not negative, shares from
//!   0 to 1, no more CPU time than its cores can give, and the verdict its figures give.
//! - No benchmark is listed twice ([`Row::key`]): a comparison or a history keyed on it would
//!   have to pick one of the two, silently.
//!
//! Each check returns why it failed, as a phrase that follows the file's name: "row `g/f/1`: its
//! median_ns interval is reversed ...".

use std::collections::HashMap;

use super::{Group, Interval, Peers, Row, Summary};

/// Why `summary` breaks the rules above, if it does.
pub(crate) fn summary(summary: &Summary) -> Result<(), String> {
    let mut groups_by_key: HashMap<String, &str> = HashMap::new();
    for group in &summary.groups {
        self::group(group)?;
        for row in &group.results {
            if let Some(first) = groups_by_key.insert(row.key(), &group.id) {
                return Err(format!(
                    "benchmark `{}` is listed twice (in group `{first}` and in group `{}`); remove one of the rows",
                    row.key(),
                    group.id
                ));
            }
        }
    }
    if let Some(peers) = &summary.peers {
        self::peers(peers)?;
    }
    Ok(())
}

/// Why `row` breaks the rules above, if it does.
pub(crate) fn row(row: &Row) -> Result<(), String> {
    let fail = |what: String| Err(format!("row `{}`: {what}", row.id));
    for (name, interval) in [("median_ns", &row.median_ns), ("mean_ns", &row.mean_ns)] {
        if let Err(what) = time_interval(interval) {
            return fail(format!("its {name} {what}"));
        }
    }
    if let Some(Err(what)) = row.speedup.as_ref().map(ordered) {
        return fail(format!("its speedup {what}"));
    }
    let numbers = [
        ("confidence_level", Some(row.confidence_level)),
        ("std_dev_ns", Some(row.std_dev_ns)),
        ("efficiency", row.efficiency),
        ("tasks_per_second", row.tasks_per_second),
    ];
    for (name, value) in numbers {
        if let Some(value) = value.filter(|value| !value.is_finite()) {
            return fail(format!("its {name} {value} is not finite"));
        }
    }
    if let Some((index, sample)) =
        row.samples_ns.iter().enumerate().find(|(_, sample)| !(sample.is_finite() && **sample >= 0.0))
    {
        return fail(format!("its sample {index} ({sample}) is not a time: negative or not finite"));
    }
    if let Some(defect) = row.load.defect() {
        return fail(defect);
    }
    if let Some(defect) = row.memory.as_ref().and_then(super::Memory::defect) {
        return fail(format!("its memory: {defect}"));
    }
    Ok(())
}

fn group(group: &Group) -> Result<(), String> {
    for row in &group.results {
        self::row(row)?;
    }
    if let Some(startup) = &group.startup {
        for split in &startup.rows {
            let fail = |what: String| {
                Err(format!("group `{}`: the start-up split of {}: {what}", group.id, split.executor))
            };
            for (name, interval) in
                [("end_to_end_ns", &split.end_to_end_ns), ("steady_state_ns", &split.steady_state_ns)]
            {
                if let Err(what) = time_interval(interval) {
                    return fail(format!("its {name} {what}"));
                }
            }
            if !split.startup_ns.is_finite() {
                return fail(format!("its startup_ns {} is not finite", split.startup_ns));
            }
        }
    }
    for scaling in &group.scaling {
        let fail = |what: &str| {
            Err(format!("group `{}`: the scaling fit of {}: {what}", group.id, scaling.executor))
        };
        if scaling.points.iter().any(|point| !point.speedup.is_finite()) {
            return fail("a speedup is not finite");
        }
        let amdahl = scaling
            .amdahl
            .iter()
            .flat_map(|fit| [Some(fit.serial_fraction), fit.max_speedup, fit.r_squared, Some(fit.rmse)]);
        let usl = scaling.usl.iter().flat_map(|fit| {
            [Some(fit.contention), Some(fit.coherency), fit.r_squared, Some(fit.rmse), Some(fit.best_speedup)]
        });
        if amdahl.chain(usl).flatten().any(|value| !value.is_finite()) {
            return fail("a coefficient is not finite");
        }
    }
    for ratio in &group.ratios {
        let fail = |what: String| {
            Err(format!("group `{}`: the ratio of {} to {}: {what}", group.id, ratio.id, ratio.peer_id))
        };
        for (name, interval) in [("median_ns", &ratio.median_ns), ("peer_median_ns", &ratio.peer_median_ns)] {
            if let Err(what) = time_interval(interval) {
                return fail(format!("its {name} {what}"));
            }
        }
        if let Err(what) = ordered(&ratio.ratio) {
            return fail(format!("its ratio {what}"));
        }
    }
    Ok(())
}

fn peers(peers: &Peers) -> Result<(), String> {
    match peers.wall_seconds {
        Some(seconds) if !seconds.is_finite() => Err(format!("peers: wall_seconds {seconds} is not finite")),
        _ => Ok(()),
    }
}

/// An interval of times: ordered, and no bound negative.
fn time_interval(interval: &Interval) -> Result<(), String> {
    ordered(interval)?;
    if interval.lower < 0.0 || interval.point < 0.0 {
        return Err(format!("interval {} is negative: not a time", describe(interval)));
    }
    Ok(())
}

/// An interval whose numbers are finite and whose lower bound is not above its upper bound.
fn ordered(interval: &Interval) -> Result<(), String> {
    if ![interval.point, interval.lower, interval.upper].iter().all(|value| value.is_finite()) {
        return Err(format!("interval {} is not finite", describe(interval)));
    }
    if interval.lower > interval.upper {
        return Err(format!(
            "interval is reversed: its lower bound {} is above its upper bound {}",
            interval.lower, interval.upper
        ));
    }
    Ok(())
}

fn describe(interval: &Interval) -> String {
    format!("{} [{}, {}]", interval.point, interval.lower, interval.upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Source;

    fn good_row() -> Row {
        let time = Interval { point: 10.0, lower: 9.0, upper: 11.0 };
        Row {
            std_dev_ns: 0.5,
            speedup: Some(Interval { point: 1.5, lower: 1.4, upper: 1.6 }),
            efficiency: Some(0.75),
            tasks_per_second: Some(1e8),
            ..Row::for_test(Source::Criterion, "g/c/Rayon/2", Some("Rayon"), "2", time, vec![10.0, 10.5])
        }
    }

    #[test]
    fn a_derived_number_that_is_not_finite_or_a_reversed_interval_is_named_with_its_row() {
        assert_eq!(row(&good_row()), Ok(()));
        type Damage = fn(&mut Row);
        let cases: [(Damage, &str); 5] = [
            (|row| row.samples_ns[1] = f64::INFINITY, "its sample 1 (inf) is not a time"),
            (|row| row.samples_ns[0] = -1.0, "its sample 0 (-1) is not a time"),
            (|row| row.tasks_per_second = Some(f64::INFINITY), "its tasks_per_second inf is not finite"),
            (
                |row| row.speedup = Some(Interval { point: 1.0, lower: 2.0, upper: 0.5 }),
                "its speedup interval is reversed",
            ),
            (|row| row.mean_ns.upper = f64::NAN, "its mean_ns interval 10 [9, NaN] is not finite"),
        ];
        for (damage, expected) in cases {
            let mut damaged = good_row();
            damage(&mut damaged);
            let reason = row(&damaged).expect_err(expected);
            assert!(reason.starts_with("row `g/c/Rayon/2`: ") && reason.contains(expected), "{reason}");
        }
    }
}
