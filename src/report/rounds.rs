//! A group's interleaved rounds, read back (`schema::RoundsFile`): each configuration's paired
//! speedup, which configurations tie with the fastest, the answer, and the cores the machine
//! gave. The rule is `crate::paired`'s and `reports/README.md`'s ("Paired rounds"); this only
//! applies it to the file.

use crate::executor::ExecutorKind;
use crate::format::{self, join_and};
use crate::paired::{Median, paired_ratio};
use crate::schema::{
    Answer, Capacity, GroupRounds, Interval, RoundRecord, RoundsFile, Row, RowRounds, SpeedupBasis,
    sequential,
};

/// One group's rounds file, with the configurations found by id.
pub(crate) struct Rounds<'f> {
    file: &'f RoundsFile,
}

impl<'f> Rounds<'f> {
    pub(crate) fn new(file: &'f RoundsFile) -> Self {
        Rounds { file }
    }

    /// The batch and the index in it of configuration `id`.
    fn locate(&self, id: &str) -> Option<(usize, usize)> {
        self.file.batches.iter().enumerate().find_map(|(batch, contents)| {
            let at = contents.contenders.iter().position(|contender| contender.id == id)?;
            // The reference is in every batch: a pool's batch is the one it is measured in.
            (id != self.file.reference || batch == 0).then_some((batch, at))
        })
    }

    fn kept(&self, batch: usize) -> impl Iterator<Item = &'f RoundRecord> + 'f {
        self.file.batches[batch].rounds.iter().filter(|round| round.kept())
    }

    /// `ln(a / b)` of `a`'s and `b`'s slots over the rounds kept of their batch where neither
    /// slot was spoiled; `None` when they were not measured together.
    pub(crate) fn compare(&self, a: &str, b: &str) -> Option<Median> {
        // The batch that holds both: the reference is in every batch, a pool in one.
        let (batch, a, b) = self.file.batches.iter().enumerate().find_map(|(batch, contents)| {
            let at = |id: &str| contents.contenders.iter().position(|contender| contender.id == id);
            Some((batch, at(a)?, at(b)?))
        })?;
        paired_ratio(
            self.kept(batch)
                .filter(|round| !round.is_spoiled(a) && !round.is_spoiled(b))
                .map(|round| (round.epoch, round.ns[a], round.ns[b])),
        )
    }

    /// Configuration `id`'s speedup over the reference, with its interval, and the rounds it
    /// rests on; `None` when it was not in the rounds or fewer than two rounds were kept.
    pub(crate) fn speedup(&self, id: &str) -> Option<(Interval, RowRounds)> {
        let (batch, at) = self.locate(id)?;
        let contents = &self.file.batches[batch];
        let mut slots: Vec<f64> =
            self.kept(batch).filter(|round| !round.is_spoiled(at)).map(|round| round.ns[at]).collect();
        slots.sort_by(f64::total_cmp);
        let slot_median_ns = crate::paired::statistic::middle(&slots);
        let rounds = RowRounds {
            kept: slots.len(),
            dropped: contents.rounds.iter().filter(|round| !round.kept() || round.is_spoiled(at)).count(),
            batch,
            iterations: contents.contenders[at].iterations,
            slot_median_ns,
        };
        if id == self.file.reference {
            return Some((Interval { point: 1.0, lower: 1.0, upper: 1.0 }, rounds));
        }
        let median = self.compare(&self.file.reference, id)?;
        let (lower, upper) = median.interval();
        let interval = Interval { point: median.ratio(), lower, upper };
        [interval.point, interval.lower, interval.upper]
            .iter()
            .all(|value| value.is_finite())
            .then_some((interval, rounds))
    }

    /// How the rounds went.
    pub(crate) fn summary(&self) -> GroupRounds {
        let rounds = || self.file.batches.iter().flat_map(|batch| &batch.rounds);
        let dropped = |why: &str| rounds().filter(|round| round.dropped.as_deref() == Some(why)).count();
        GroupRounds {
            kept: rounds().filter(|round| round.kept()).count(),
            dropped_capacity: dropped("capacity"),
            dropped_disturbed: dropped("disturbed"),
            batches: self.file.batches.len(),
            stops: self.file.batches.iter().map(|batch| batch.stop.clone()).collect(),
            resolution: self.file.settings.resolution,
            seconds: self.file.batches.iter().map(|batch| batch.seconds).sum(),
        }
    }

    /// The resolution: configurations within it of the fastest tie with it.
    fn resolution(&self) -> f64 {
        self.file.settings.resolution
    }
}

/// Puts the paired speedups of `rounds` on `rows` (the group's Criterion rows): each row in the
/// rounds gets its speedup from them, the others keep their medians' ratio.
pub(crate) fn apply(rows: &mut [Row], rounds: &Rounds<'_>) {
    for row in rows {
        if let Some((speedup, measured)) = rounds.speedup(&row.id) {
            row.speedup = Some(speedup);
            row.speedup_basis = SpeedupBasis::Rounds;
            row.rounds = Some(measured);
        }
    }
}

/// The answer, from the rows' paired speedups (after [`apply`]), on a machine of `cores` cores.
pub(crate) fn answer(rows: &[Row], rounds: &Rounds<'_>, cores: usize) -> Option<Answer> {
    let paired: Vec<&Row> = rows
        .iter()
        .filter(|row| {
            row.speedup_basis == SpeedupBasis::Rounds && row.executor.is_some() && row.speedup.is_some()
        })
        .collect();
    // Sequential's paired speedup is 1 by definition, rounds or none: without a pool measured
    // in them (every round dropped), the rounds have no answer and the medians speak instead.
    if paired.iter().all(|row| row.is_sequential()) {
        return None;
    }
    let waits = sequential(rows).is_some_and(waits);
    // What a configuration can give at most: its workers (its cores, for work that computes).
    // Tokio's workers each wait on many async tasks at once, so waiting work on it is bounded by
    // the tasks, not its workers: no bound is held against it there.
    let asynchronous =
        |row: &Row| row.executor.as_deref().and_then(ExecutorKind::from_name) == Some(ExecutorKind::Tokio);
    let limit = |row: &Row| {
        let size = row.size.map_or(1, |size| size as usize).max(1);
        match (waits, asynchronous(row)) {
            (true, true) => f64::INFINITY,
            (true, false) => size as f64,
            (false, _) => size.min(cores.max(1)) as f64,
        }
    };
    let speedup = |row: &Row| row.speedup.expect("filtered on a speedup");
    // Left out by its point, not its interval: an interval widened by pool starts that disagree
    // can reach below the limit while the speedup it would report cannot be true.
    let (beyond, possible): (Vec<&Row>, Vec<&Row>) =
        paired.iter().partition(|row| speedup(row).point > limit(row) * (1.0 + rounds.resolution()));
    let fastest = *possible.iter().max_by(|a, b| speedup(a).point.total_cmp(&speedup(b).point))?;
    let margin = (1.0 + rounds.resolution()).ln();
    // Shown slower than `by` by more than the resolution: the interval of their own paired ratio
    // lies beyond it; measured in different batches, `row`'s speedup interval does not reach the
    // fastest's speedup, or another's lower bound.
    let beaten = |row: &Row, by: &Row| match rounds.compare(&row.id, &by.id) {
        Some(median) => median.lower >= margin,
        None => {
            let by = if by.id == fastest.id { speedup(by).point } else { speedup(by).lower };
            speedup(row).upper * (1.0 + rounds.resolution()) < by
        }
    };
    // Tied: shown slower neither than the fastest nor than any other configuration. Judged
    // against the fastest alone, a fastest whose pool starts disagreed (StdPool/2 1.94x
    // [0.97-2.78] in a run of `crossover/cpu-spin`) tied the sequential loop with itself, and the
    // answer read "no pool clearly beats the loop" beside Rayon/8's 1.92x [1.90-1.98].
    let mut tied: Vec<&Row> = possible
        .iter()
        .copied()
        .filter(|row| row.id == fastest.id || !possible.iter().any(|by| by.id != row.id && beaten(row, by)))
        .collect();
    tied.sort_by(|a, b| speedup(b).point.total_cmp(&speedup(a).point));
    // "How many" is set by the tied configurations close to the fastest, not by one tied only
    // through an interval so wide it could be far slower (its rounds or its pool starts
    // disagree): that made the least known configuration the answer ("StdPool at 2 is fastest,
    // 1.27x" beside Rayon at 4's 1.71x). Such a one at a smaller size is named as one to measure
    // longer. Sequential tied in any way still makes the loop the answer. Close: its speedup
    // within `CLOSE` of the fastest's, and their own paired ratio too (within `CLOSE` at the
    // median, or shown at most `KNOWN_CLOSE` slower). Both, because a configuration whose slots
    // run at two speeds has medians that pick either: Rayon/2's 1.37x against Sequential beside
    // a paired median within 5% of StdPool/2's 1.90x read "tie at 1.37-1.90x".
    let near = CLOSE.max(rounds.resolution());
    let (near_log, known_close) = ((1.0 + near).ln(), (1.0 + KNOWN_CLOSE).ln());
    let close = |row: &Row| {
        row.id == fastest.id
            || row.is_sequential()
            || (speedup(row).point * (1.0 + near) >= speedup(fastest).point
                && rounds
                    .compare(&row.id, &fastest.id)
                    .is_none_or(|median| median.log_ratio <= near_log || median.upper <= known_close))
    };
    let size = tied.iter().copied().filter(|row| close(row)).map(|row| row.size.unwrap_or(1)).min()?;
    // The answer is the configurations at that size known to be close; one tied there only
    // through a wide interval is named apart, with its own speedup: "tie at 1.36-1.93x" read as
    // an equal choice where ScopedThreads/2's 1.36x stood beside StdPool/2's 1.93x only because
    // StdPool/2's rounds ran at two speeds.
    let (recommended, apart): (Vec<&Row>, Vec<&Row>) =
        tied.iter().copied().filter(|row| row.size.unwrap_or(1) == size).partition(|row| close(row));
    let unsure: Vec<&Row> = tied.iter().copied().filter(|row| row.size.unwrap_or(1) < size).collect();
    let sequential = tied.iter().any(|row| row.is_sequential());
    let best_pool = possible
        .iter()
        .copied()
        .filter(|row| !row.is_sequential())
        .max_by(|a, b| speedup(a).point.total_cmp(&speedup(b).point));
    let mut sentence = sentence(
        &tied,
        &recommended,
        [&apart, &unsure],
        &beyond,
        sequential,
        best_pool,
        cores,
        waits,
        rounds.resolution(),
    );
    // An answer resting on fewer rounds than the rule wants before it looks (rounds dropped as
    // disturbed, or a budget spent) says so: it may not be the next run's.
    let wanted = rounds.file.settings.min_rounds;
    let kept: Vec<usize> = (0..rounds.file.batches.len()).map(|batch| rounds.kept(batch).count()).collect();
    let thin: Vec<usize> = kept.iter().copied().filter(|&kept| kept < wanted).collect();
    if let Some(&thinnest) = thin.iter().min() {
        let dropped = rounds.summary();
        let rests = if kept.len() == 1 {
            format!("it rests on {thinnest} paired rounds, fewer than the {wanted} the rule wants")
        } else {
            format!(
                "{} of its {} batches of configurations rest{} on fewer paired rounds than the {wanted} the rule \
                 wants (the thinnest on {thinnest})",
                thin.len(),
                kept.len(),
                if thin.len() == 1 { "s" } else { "" }
            )
        };
        sentence.push_str(&format!(
            " In doubt: {rests} ({} dropped as disturbed, {} for capacity); measure again on a quieter machine.",
            dropped.dropped_disturbed, dropped.dropped_capacity
        ));
    }
    Some(Answer {
        fastest: fastest.id.clone(),
        tied: tied.iter().map(|row| row.id.clone()).collect(),
        recommended: recommended.iter().map(|row| row.id.clone()).collect(),
        size,
        sequential,
        beyond_the_cores: beyond.iter().map(|row| row.id.clone()).collect(),
        sentence,
    })
}

/// How far below the fastest a tied configuration's speedup, and its paired median against the
/// fastest, may lie and still count as close to it, able to set "how many": the spread of one
/// configuration's speedup from run to run on this project's 2-vCPU VM (five runs of
/// `pools/cpu-spin` and `crossover/cpu-spin`: max/min a median 1.045-1.048). A smaller gap is as
/// likely to reverse in the next run; with the resolution (2%) in its place, Rayon/2 1.90x and
/// StdPool/2 1.89x (their intervals wide) lost "how many" to Rayon/4's 1.95x, and two of five
/// runs answered 4 workers on 2 cores.
pub(crate) const CLOSE: f64 = 0.05;

/// How much slower than the fastest a tied configuration may be shown to be at most (its paired
/// ratio's interval) and still set "how many" when its paired median is beyond [`CLOSE`] (its
/// speedup within it): a configuration a few percent behind with an interval of a few percent is
/// as good an answer as the fastest (on `pools/cpu-spin` StdPool/2 read 2.4% behind Rayon/4 in
/// one of five quiet runs), one whose interval reaches 90% slower is not.
pub(crate) const KNOWN_CLOSE: f64 = 0.10;

/// How far apart Criterion's median and the rounds' median slot may be before the report says
/// so: measured in a full run on 2 cores, the groups whose maps take milliseconds agreed within
/// 1.3x, while maps of microseconds differed by 0.28x to 6x (a configuration whose workers are
/// found awake in one window and asleep in another).
pub(crate) const TWO_SPEEDS: f64 = 1.5;

/// The configurations whose Criterion median and median slot in the rounds differ by more than
/// [`TWO_SPEEDS`], in a sentence: "Criterion's window and the rounds disagree by more than 1.5x
/// on ...". `None` when none does (or the rows carry no slot times: files before them).
pub(crate) fn two_speeds(rows: &[Row]) -> Option<String> {
    let apart: Vec<String> = rows
        .iter()
        .filter(|row| row.speedup_basis == SpeedupBasis::Rounds)
        .filter_map(|row| {
            let slot = row.rounds?.slot_median_ns.filter(|slot| *slot > 0.0)?;
            let ratio = row.median_ns.point / slot;
            (!(1.0 / TWO_SPEEDS..=TWO_SPEEDS).contains(&ratio)).then(|| {
                format!(
                    "{} ({} in Criterion's window, {} in the rounds)",
                    name(row),
                    format::duration_ns(row.median_ns.point),
                    format::duration_ns(slot)
                )
            })
        })
        .collect();
    if apart.is_empty() {
        return None;
    }
    Some(format!(
        "Criterion's window and the rounds disagree by more than {TWO_SPEEDS}× on {} configuration{}: {}. Such a \
         configuration runs at more than one speed (short maps do, their workers found spinning or asleep at the \
         hand-off): a window of Criterion's catches one, the rounds interleave them, and the speedups are the \
         rounds'.",
        apart.len(),
        if apart.len() == 1 { "" } else { "s" },
        format::first_few(&apart, 3)
    ))
}

/// Whether the work waits rather than computes: the sequential loop kept less than half a core
/// busy (from its load window), so that more workers than cores can still pay.
pub(crate) fn waits(sequential: &Row) -> bool {
    sequential.load.measurement().is_some_and(|measured| measured.load.busy_cores() < 0.5)
}

/// A configuration as a sentence names it: `Rayon at 2`, `Sequential`.
fn name(row: &Row) -> String {
    match (row.executor.as_deref(), row.size) {
        (Some(executor), _) if row.is_sequential() => executor.to_owned(),
        (Some(executor), Some(size)) => format!("{executor} at {size}"),
        _ => row.id.clone(),
    }
}

#[expect(clippy::too_many_arguments, reason = "one sentence drawn from every part of the answer")]
fn sentence(
    tied: &[&Row],
    recommended: &[&Row],
    [apart, unsure]: [&[&Row]; 2],
    beyond: &[&Row],
    sequential: bool,
    best_pool: Option<&Row>,
    cores: usize,
    waits: bool,
    resolution: f64,
) -> String {
    let speedup = |row: &Row| row.speedup.map_or(1.0, |speedup| speedup.point);
    let range = |rows: &[&Row]| {
        let (low, high) = rows.iter().fold((f64::INFINITY, 0.0f64), |(low, high), row| {
            (low.min(speedup(row)), high.max(speedup(row)))
        });
        if format::speedup(low) == format::speedup(high) {
            format::speedup(high)
        } else {
            format!("{}–{}", format::significant(low), format::speedup(high))
        }
    };
    // A tie is an interval that reaches within the resolution, not a speedup within it: with
    // pool starts that disagree the interval is wide and the points apart.
    let within = |rows: &[&Row]| {
        format!(
            "{} interval{} reaching within {}",
            if rows.len() == 1 { "its" } else { "their" },
            if rows.len() == 1 { "" } else { "s" },
            format::share(resolution)
        )
    };
    let mut text = if sequential {
        let pools: Vec<&Row> = tied.iter().copied().filter(|row| !row.is_sequential()).collect();
        if pools.is_empty() {
            match best_pool {
                Some(pool) if speedup(pool) < 1.0 => format!(
                    "No pool beats the sequential loop here: the fastest pool, {}, is {}.",
                    name(pool),
                    format::speedup(speedup(pool))
                ),
                Some(pool) => format!(
                    "No pool beats the sequential loop here: the fastest pool, {}, gives {}, not beyond the {} resolution.",
                    name(pool),
                    format::speedup(speedup(pool)),
                    format::share(resolution)
                ),
                None => "Only Sequential was in the rounds.".to_owned(),
            }
        } else {
            let mut text = format!(
                "No pool clearly beats the sequential loop: {} {} tied with it ({}, {} of it)",
                join_and(pools.iter().map(|row| name(row)).collect()),
                if pools.len() == 1 { "is" } else { "are" },
                range(&pools),
                within(&pools)
            );
            // A pool measured faster by more than the resolution, whose interval still reaches
            // the loop: its rounds or its pool starts disagree, and more rounds would tell.
            let unsure = pools
                .iter()
                .copied()
                .filter(|row| speedup(row) > 1.0 + resolution)
                .max_by(|a, b| speedup(a).total_cmp(&speedup(b)));
            match unsure.and_then(|row| Some((row, row.speedup?))) {
                Some((row, interval)) => text.push_str(&format!(
                    ". {} measured {} but anywhere from {} to {} (its rounds or its pool starts disagree): measure \
                     longer (`POOLBENCH_ROUNDS_BUDGET`) before choosing it over the loop.",
                    name(row),
                    format::speedup(interval.point),
                    format::speedup(interval.lower),
                    format::speedup(interval.upper)
                )),
                None => text.push_str("; keep the loop."),
            }
            text
        }
    } else {
        let names: Vec<String> =
            recommended.iter().map(|row| row.executor.clone().unwrap_or_default()).collect();
        let size = recommended.first().and_then(|row| row.size).unwrap_or(1);
        let mut text = if recommended.len() == 1 {
            format!("{} at {size} is fastest, {} the sequential loop's speed", names[0], range(recommended))
        } else {
            format!("{} at {size} tie at {}", join_and(names), range(recommended))
        };
        let larger: Vec<&Row> = tied.iter().copied().filter(|row| row.size.unwrap_or(1) > size).collect();
        if !larger.is_empty() {
            let more = if waits { String::new() } else { format!(" on {cores} cores") };
            text.push_str(&format!(
                "; more workers add nothing{more} ({}, {} of the fastest)",
                join_and(larger.iter().map(|row| name(row)).collect()),
                within(&larger)
            ));
        }
        text.push('.');
        // Tied only through a wide interval, theirs or the fastest's: at the answer's size, or at
        // a smaller one (which would be fewer workers).
        let instead = if apart.len() == 1 { "choosing it instead" } else { "choosing them instead" };
        for (rows, before) in [(apart, instead), (unsure, "choosing fewer workers")] {
            if rows.is_empty() {
                continue;
            }
            let (lower, upper) = rows
                .iter()
                .filter_map(|row| row.speedup)
                .fold((f64::INFINITY, 0.0f64), |(lower, upper), interval| {
                    (lower.min(interval.lower), upper.max(interval.upper))
                });
            text.push_str(&format!(
                " {} measured {} but anywhere from {} to {} (the paired rounds or the pool starts disagree): measure \
                 longer (`POOLBENCH_ROUNDS_BUDGET`) before {before}.",
                join_and(rows.iter().map(|row| name(row)).collect()),
                range(rows),
                format::speedup(lower),
                format::speedup(upper),
            ));
        }
        text
    };
    if !beyond.is_empty() {
        let limit = if waits { "its workers" } else { "the cores" };
        text.push_str(&format!(
            " Left out: {} measured more than {limit} can give ({}), a measurement to distrust, not a result.",
            join_and(beyond.iter().map(|row| name(row)).collect()),
            beyond.iter().map(|row| format::speedup(speedup(row))).collect::<Vec<_>>().join(", ")
        ));
    }
    text
}

/// The cores the machine gave over every rounds file, when any round was probed.
pub(crate) fn capacity(files: &[RoundsFile]) -> Option<Capacity> {
    let mut probed: Vec<f64> = Vec::new();
    let (mut cores, mut threshold) = (0, 0.0);
    for file in files {
        cores = cores.max(file.cores);
        threshold = file.settings.min_capacity;
        probed.extend(file.batches.iter().flat_map(|batch| &batch.rounds).flat_map(|round| &round.probes));
    }
    if probed.is_empty() || cores == 0 {
        return None;
    }
    probed.sort_by(f64::total_cmp);
    let at = |share: f64| probed[((probed.len() - 1) as f64 * share).round() as usize];
    let floor = threshold * f64::from(cores);
    Some(Capacity {
        cores,
        probes: probed.len(),
        median: at(0.5),
        p10: at(0.1),
        threshold,
        share_kept: probed.iter().filter(|&&capacity| capacity >= floor).count() as f64 / probed.len() as f64,
    })
}

/// Synthetic rounds and rows for the tests of what reads them (here, the summary, the page).
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::schema::{Batch, Configuration, ROUNDS_VERSION, RoundsSettings, Source};

    /// A rounds file of `configurations` (id suffix, executor, size) and rounds whose times are
    /// `times(round, index)`: synthetic, never a clock.
    pub(crate) fn file(
        configurations: &[(&str, u32)],
        rounds: usize,
        times: impl Fn(usize, usize) -> f64,
    ) -> RoundsFile {
        RoundsFile {
            rounds_version: ROUNDS_VERSION,
            group: "g".to_owned(),
            reference: "g/Sequential/1".to_owned(),
            cores: 2,
            settings: RoundsSettings::typical(),
            batches: vec![Batch {
                contenders: configurations
                    .iter()
                    .map(|&(executor, size)| Configuration {
                        id: format!("g/{executor}/{size}"),
                        executor: executor.to_owned(),
                        size,
                        iterations: 1,
                    })
                    .collect(),
                rounds: (0..rounds)
                    .map(|round| RoundRecord {
                        epoch: 0,
                        order: (0..configurations.len() as u32).collect(),
                        ns: (0..configurations.len()).map(|index| times(round, index)).collect(),
                        probes: vec![1.9; configurations.len() + 1],
                        spoiled: Vec::new(),
                        disturbance: Some(0.01),
                        dropped: None,
                    })
                    .collect(),
                stop: "resolved".to_owned(),
                seconds: 1.0,
            }],
        }
    }

    pub(crate) fn rows(configurations: &[(&str, u32)]) -> Vec<Row> {
        let time = Interval { point: 1.0, lower: 1.0, upper: 1.0 };
        configurations
            .iter()
            .map(|&(executor, size)| {
                let id = format!("g/{executor}/{size}");
                Row::for_test(Source::Criterion, &id, Some(executor), &size.to_string(), time, vec![1.0])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{file, rows};
    use super::*;
    use crate::schema::{Batch, RoundsSettings};

    const CONFIGURATIONS: [(&str, u32); 5] =
        [("Sequential", 1), ("Rayon", 2), ("StdPool", 2), ("Rayon", 8), ("ProcessPool", 2)];

    /// The slot of configuration `index` in `round` at `speedup` over a 10 ms Sequential, with
    /// a little noise (within ±0.4%) that differs by round and configuration.
    fn slot(round: usize, index: usize, speedup: f64) -> f64 {
        let wobble = 1.0 + 0.004 * (((round * 7 + index * 3) % 11) as f64 - 5.0) / 5.0;
        1e7 / speedup * wobble
    }

    /// `rounds` rounds of `times`, as `fixtures::file`, spread evenly over `starts` pool starts.
    fn in_starts(
        configurations: &[(&str, u32)],
        rounds: usize,
        starts: usize,
        times: impl Fn(usize, usize) -> f64,
    ) -> RoundsFile {
        let mut measured = file(configurations, rounds, times);
        for (index, round) in measured.batches[0].rounds.iter_mut().enumerate() {
            round.epoch = (index * starts / rounds) as u32;
        }
        measured
    }

    /// The group's rows of `configurations`, their speedups paired from `rounds`.
    fn paired(configurations: &[(&str, u32)], rounds: &Rounds<'_>) -> Vec<Row> {
        let mut rows = rows(configurations);
        apply(&mut rows, rounds);
        rows
    }

    /// The answer of 40 rounds of `times` over four pool starts, on 2 cores.
    fn answer_over_four_starts(
        configurations: &[(&str, u32)],
        times: impl Fn(usize, usize) -> f64,
    ) -> Answer {
        let measured = in_starts(configurations, 40, 4, times);
        let rounds = Rounds::new(&measured);
        answer(&paired(configurations, &rounds), &rounds, 2).expect("an answer")
    }

    /// That `answer` names `who` ("StdPool at 2 measured 1.20×") apart, with its interval, and
    /// what to measure longer `before`.
    fn assert_named_apart(answer: &Answer, who: &str, before: &str) {
        let sentence = &answer.sentence;
        assert!(
            sentence.contains(&format!(". {who} but anywhere from "))
                && sentence.ends_with(&format!(
                    "(the paired rounds or the pool starts disagree): measure longer (`POOLBENCH_ROUNDS_BUDGET`) \
                     before {before}."
                )),
            "{sentence}"
        );
    }

    /// Sequential 10 ms; Rayon/2 and StdPool/2 at 1.90x and 1.91x, Rayon/8 1.89x, ProcessPool/2
    /// 1.70x; every round a little noise, and one round in five the machine halves Rayon/2's
    /// speed, which must not rank it.
    fn two_cores(round: usize, index: usize) -> f64 {
        let speedups = [1.0, 1.90, 1.91, 1.89, 1.70];
        let slowed = if index == 1 && round % 5 == 0 { 2.0 } else { 1.0 };
        slot(round, index, speedups[index]) * slowed
    }

    #[test]
    fn a_configuration_whose_pool_starts_disagree_ties_rather_than_losing_by_a_few_percent() {
        // StdPool/2 1.91x every start; Rayon/2 1.92x on the first of four starts and 1.78x on
        // the others: 7% slower in three quarters of the rounds, which look sure of it.
        const THREE: [(&str, u32); 3] = [("Sequential", 1), ("Rayon", 2), ("StdPool", 2)];
        let times = |round: usize, index: usize| {
            let epoch = round / 10;
            slot(round, index, [1.0, if epoch == 0 { 1.92 } else { 1.78 }, 1.91][index])
        };
        let answer_with = |starts: usize| {
            let measured = in_starts(&THREE, 40, starts, times);
            let rounds = Rounds::new(&measured);
            let rows = paired(&THREE, &rounds);
            answer(&rows, &rounds, 2).expect("an answer")
        };
        // Read as one pool start, the rounds rank Rayon/2 out.
        assert_eq!(answer_with(1).tied, ["g/StdPool/2"]);
        // Read as the four starts they were, Rayon/2's disadvantage is one start's, not the
        // executor's: they tie.
        let four = answer_with(4);
        assert_eq!(four.tied, ["g/StdPool/2", "g/Rayon/2"], "{}", four.sentence);
    }

    #[test]
    fn a_pool_tied_with_the_loop_only_because_its_starts_disagree_is_not_called_a_loss() {
        // Rayon/4 1.7x on two of its four pool starts and the loop's speed on the other two;
        // StdPool/2 the loop's speed on all four.
        const THREE: [(&str, u32); 3] = [("Sequential", 1), ("Rayon", 4), ("StdPool", 2)];
        let sentence = |fast_starts: f64| {
            let answer = answer_over_four_starts(&THREE, |round, index| {
                slot(round, index, [1.0, if round % 20 < 10 { fast_starts } else { 1.0 }, 1.0][index])
            });
            assert!(answer.sequential, "{}", answer.sentence);
            answer.sentence
        };
        let unsure = sentence(1.7);
        assert!(
            unsure.starts_with("No pool clearly beats the sequential loop: Rayon at 4")
                && unsure
                    .contains("measure longer (`POOLBENCH_ROUNDS_BUDGET`) before choosing it over the loop")
                && !unsure.contains("keep the loop"),
            "{unsure}"
        );
        // Where no pool measured faster than the loop, keeping it is the answer.
        let even = sentence(1.0);
        assert!(even.ends_with("keep the loop.") && !even.contains("measure longer"), "{even}");
    }

    #[test]
    fn the_loop_is_not_tied_with_a_fastest_whose_starts_disagree_while_another_pool_is_known_faster() {
        // StdPool/2 1.95x on three of four pool starts and the loop's speed on the fourth: the
        // fastest, its interval reaching the loop. Rayon/8 1.90x on every start.
        const THREE: [(&str, u32); 3] = [("Sequential", 1), ("StdPool", 2), ("Rayon", 8)];
        let answer = answer_over_four_starts(&THREE, |round, index| {
            slot(round, index, [1.0, if round < 10 { 1.0 } else { 1.95 }, 1.90][index])
        });
        assert_eq!(answer.fastest, "g/StdPool/2", "{}", answer.sentence);
        // The loop is beaten by Rayon/8 beyond doubt: not tied, not the answer.
        assert!(!answer.sequential, "{}", answer.sentence);
        assert_eq!(answer.tied, ["g/StdPool/2", "g/Rayon/8"], "{}", answer.sentence);
        assert!(!answer.sentence.contains("sequential loop:"), "{}", answer.sentence);
    }

    #[test]
    fn a_smaller_pool_a_few_percent_behind_sets_how_many_though_one_start_of_it_was_slow() {
        // Rayon/4 1.95x throughout; Rayon/2 1.90x on three of four pool starts, 1.3x on the
        // fourth: 2.6% behind at the median, within what moves between runs, its interval wide.
        const THREE: [(&str, u32); 3] = [("Sequential", 1), ("Rayon", 2), ("Rayon", 4)];
        let answer = answer_over_four_starts(&THREE, |round, index| {
            slot(round, index, [1.0, if round < 30 { 1.90 } else { 1.3 }, 1.95][index])
        });
        assert_eq!(answer.fastest, "g/Rayon/4", "{}", answer.sentence);
        assert_eq!((answer.recommended.as_slice(), answer.size), (&["g/Rayon/2".to_owned()][..], 2));
        assert!(answer.sentence.starts_with("Rayon at 2 is fastest"), "{}", answer.sentence);
    }

    #[test]
    fn a_pool_whose_slots_run_at_two_speeds_is_not_called_tied_at_a_speedup_far_below() {
        // StdPool/2 and Rayon/2 both at 1.9x in 14 rounds and both at 1.3x in 7 (the machine);
        // in the other 19, Rayon/2 alone at 1.3x. Rayon/2's speedup is 1.3x, while its paired
        // median against StdPool/2 is 0: each median picks one of its two speeds.
        const THREE: [(&str, u32); 3] = [("Sequential", 1), ("StdPool", 2), ("Rayon", 2)];
        let measured = file(&THREE, 40, |round, index| {
            let (pool, rayon) = match round {
                0..14 => (1.9, 1.9),
                14..21 => (1.3, 1.3),
                _ => (1.9, 1.3),
            };
            slot(round, index, [1.0, pool, rayon][index])
        });
        let rounds = Rounds::new(&measured);
        let answer = answer(&paired(&THREE, &rounds), &rounds, 2).expect("an answer");
        assert_eq!(answer.recommended, ["g/StdPool/2"], "{}", answer.sentence);
        assert!(answer.sentence.starts_with("StdPool at 2 is fastest, 1.9"), "{}", answer.sentence);
        assert_named_apart(&answer, "Rayon at 2 measured 1.31×", "choosing it instead");
    }

    #[test]
    fn a_smaller_pool_tied_only_by_its_wide_interval_does_not_set_how_many() {
        // Rayon/4 1.71x throughout; StdPool/2 1.75x on one of four pool starts and 1.2x on the
        // others: its interval reaches Rayon/4's, its speedup is a third below it.
        const THREE: [(&str, u32); 3] = [("Sequential", 1), ("StdPool", 2), ("Rayon", 4)];
        let answer = answer_over_four_starts(&THREE, |round, index| {
            slot(round, index, [1.0, if round < 10 { 1.75 } else { 1.2 }, 1.71][index])
        });
        assert_eq!(answer.fastest, "g/Rayon/4");
        assert_eq!(answer.tied, ["g/Rayon/4", "g/StdPool/2"], "{}", answer.sentence);
        assert_eq!((answer.recommended.as_slice(), answer.size), (&["g/Rayon/4".to_owned()][..], 4));
        assert!(answer.sentence.starts_with("Rayon at 4 is fastest, 1.7"), "{}", answer.sentence);
        assert_named_apart(&answer, "StdPool at 2 measured 1.20×", "choosing fewer workers");

        // StdPool/2 a few percent behind on average, its four starts at 1.72x, 1.62x, 1.70x and
        // 1.64x: tied, known to be at most 10% slower, so it is the answer at 2.
        let starts = [1.72, 1.62, 1.70, 1.64];
        let close = in_starts(&THREE, 40, 4, |round, index| {
            slot(round, index, [1.0, starts[round / 10], 1.71][index])
        });
        let rounds = Rounds::new(&close);
        let rows = paired(&THREE, &rounds);
        let behind = rounds.compare("g/StdPool/2", "g/Rayon/4").expect("measured together");
        assert!(behind.log_ratio > 0.02 && behind.upper < 0.10_f64.ln_1p(), "{behind:?}");
        let answer = super::answer(&rows, &rounds, 2).expect("an answer");
        assert_eq!((answer.recommended.as_slice(), answer.size), (&["g/StdPool/2".to_owned()][..], 2));
    }

    #[test]
    fn a_pool_tied_at_the_answers_size_only_through_a_wide_interval_is_named_apart_not_in_the_tie() {
        // Tokio/2 1.94x throughout; StdPool/2 1.96x on two of four pool starts, 1.3x and 1.25x
        // on the others: it cannot be shown slower than Tokio/2, but it is no equal choice (the
        // sentence read "Tokio and StdPool at 2 tie at 1.60-1.95x").
        const THREE: [(&str, u32); 3] = [("Sequential", 1), ("Tokio", 2), ("StdPool", 2)];
        let answer = answer_over_four_starts(&THREE, |round, index| {
            slot(round, index, [1.0, 1.94, [1.96, 1.3, 1.96, 1.25][round / 10]][index])
        });
        assert_eq!(answer.tied, ["g/Tokio/2", "g/StdPool/2"], "{}", answer.sentence);
        assert_eq!((answer.recommended.as_slice(), answer.size), (&["g/Tokio/2".to_owned()][..], 2));
        assert!(answer.sentence.starts_with("Tokio at 2 is fastest, 1.9"), "{}", answer.sentence);
        assert_named_apart(&answer, "StdPool at 2 measured 1.60×", "choosing it instead");
    }

    #[test]
    fn a_criterion_median_far_from_the_rounds_slots_is_named() {
        let file = file(&CONFIGURATIONS, 20, two_cores);
        let rounds = Rounds::new(&file);
        let mut rows = paired(&CONFIGURATIONS, &rounds);
        // Criterion's medians as the rounds measured them, within a few percent...
        for row in &mut rows {
            row.median_ns.point = row.rounds.and_then(|rounds| rounds.slot_median_ns).expect("a slot") * 1.04;
        }
        assert_eq!(two_speeds(&rows), None);
        // ...but StdPool/2's window caught it at 1.6 times its rounds' time.
        rows[2].median_ns.point *= 1.6 / 1.04;
        let text = two_speeds(&rows).expect("StdPool/2 named");
        assert!(
            text.starts_with(
                "Criterion's window and the rounds disagree by more than 1.5× on 1 configuration: StdPool at 2 \
                 (8.38 ms in Criterion's window, 5.24 ms in the rounds)."
            ),
            "{text}"
        );
    }

    #[test]
    fn the_speedups_are_paired_and_the_answer_names_the_tie_and_the_smallest_size() {
        let file = file(&CONFIGURATIONS, 40, two_cores);
        let rounds = Rounds::new(&file);
        let rows = paired(&CONFIGURATIONS, &rounds);
        assert!(rows.iter().all(|row| row.speedup_basis == SpeedupBasis::Rounds));
        let rayon = rows[1].speedup.expect("paired");
        assert!((rayon.point - 1.90).abs() < 0.01, "{rayon:?}: the slowed rounds do not rank it");
        assert!(rayon.lower <= rayon.point && rayon.point <= rayon.upper);
        let answer = answer(&rows, &rounds, 2).expect("an answer");
        assert_eq!(answer.fastest, "g/StdPool/2");
        assert_eq!(answer.tied, ["g/StdPool/2", "g/Rayon/2", "g/Rayon/8"]);
        assert_eq!(
            (answer.recommended.as_slice(), answer.size),
            (&["g/StdPool/2".to_owned(), "g/Rayon/2".to_owned()][..], 2)
        );
        assert!(!answer.sequential && answer.beyond_the_cores.is_empty());
        assert!(
            answer.sentence.starts_with("StdPool and Rayon at 2 tie at 1.90–1.92×"),
            "{}",
            answer.sentence
        );
        assert!(
            answer.sentence.contains("more workers add nothing on 2 cores (Rayon at 8"),
            "{}",
            answer.sentence
        );
    }

    #[test]
    fn an_answer_on_fewer_rounds_than_the_rule_wants_says_it_is_in_doubt() {
        let sentence_of = |measured: &RoundsFile| {
            let rounds = Rounds::new(measured);
            let rows = paired(&CONFIGURATIONS, &rounds);
            answer_of(&rows, &rounds).sentence
        };
        let disturb_after = |batch: &mut Batch, kept: usize| {
            for round in batch.rounds.iter_mut().skip(kept) {
                round.dropped = Some("disturbed".to_owned());
            }
        };
        let sentence = |disturbed_after: usize| {
            let mut measured = file(&CONFIGURATIONS, 40, two_cores);
            disturb_after(&mut measured.batches[0], disturbed_after);
            sentence_of(&measured)
        };
        // The machine was disturbed in all but 6 rounds.
        let wanted = RoundsSettings::typical().min_rounds;
        let thin = sentence(6);
        assert!(
            thin.contains(&format!("In doubt: it rests on 6 paired rounds, fewer than the {wanted}"))
                && thin.contains("34 dropped as disturbed"),
            "{thin}"
        );
        // With every round kept, no doubt, though a slot or two was spoiled: the rule counts
        // rounds.
        assert!(!sentence(40).contains("In doubt"), "{}", sentence(40));
        // Two batches, each with Sequential: only the second thin, and the sentence says so,
        // never that the whole answer rests on it.
        let mut measured = file(&CONFIGURATIONS[..3], 40, two_cores);
        let mut second =
            file(&[CONFIGURATIONS[0], CONFIGURATIONS[3], CONFIGURATIONS[4]], 40, |round, index| {
                two_cores(round, [0, 3, 4][index])
            })
            .batches
            .remove(0);
        disturb_after(&mut second, 2);
        measured.batches.push(second);
        let batches = sentence_of(&measured);
        assert!(
            batches.contains(&format!(
                "In doubt: 1 of its 2 batches of configurations rests on fewer paired rounds than the {wanted} the \
                 rule wants (the thinnest on 2) (38 dropped as disturbed"
            )),
            "{batches}"
        );
        let mut measured = file(&CONFIGURATIONS, 12, two_cores);
        measured.batches[0].rounds[3].spoiled = vec![4];
        let full = sentence_of(&measured);
        assert!(!full.contains("In doubt"), "{full}");
    }

    #[test]
    fn async_tasks_waiting_on_few_workers_are_not_left_out_as_beyond_their_workers() {
        use crate::schema::{Load, Quietness, Times};
        let configurations = [("Sequential", 1), ("Rayon", 2), ("Tokio", 2)];
        // 16 tasks that wait: two threads give 2x, two Tokio workers wait on all 16 at once.
        let file = file(&configurations, 20, |_, index| 1e7 / [1.0, 1.95, 7.8][index]);
        let rounds = Rounds::new(&file);
        let mut rows = rows(&configurations);
        // A sequential loop that kept a tenth of a core busy: the work waits.
        rows[0].load = Quietness::judged(Load::judge(Times::two_cores(1.0, 0.1, 0.1, 0.0), 1, 0.15), 1);
        apply(&mut rows, &rounds);
        let answer = answer(&rows, &rounds, 2).expect("an answer");
        assert!(answer.beyond_the_cores.is_empty(), "{answer:?}");
        assert_eq!(answer.fastest, "g/Tokio/2");
        // A thread pool measured beyond its threads is still left out.
        let file = super::tests::file(&configurations, 20, |_, index| 1e7 / [1.0, 2.6, 7.8][index]);
        let rounds = Rounds::new(&file);
        apply(&mut rows, &rounds);
        assert_eq!(answer_of(&rows, &rounds).beyond_the_cores, ["g/Rayon/2"]);
    }

    fn answer_of(rows: &[Row], rounds: &Rounds<'_>) -> Answer {
        answer(rows, rounds, 2).expect("an answer")
    }

    #[test]
    fn a_configuration_of_a_later_batch_gets_its_speedup_from_its_own_batchs_rounds() {
        let mut file = file(&CONFIGURATIONS[..3], 20, two_cores);
        let mut second = file.batches[0].clone();
        second.contenders = vec![second.contenders[0].clone(), second.contenders[2].clone()];
        second.contenders[1].id = "g/ProcessPool/8".to_owned();
        for round in &mut second.rounds {
            round.order = vec![0, 1];
            round.ns = vec![1e7, 1e7 / 1.5];
            round.probes = vec![1.9; 3];
        }
        file.batches.push(second);
        let rounds = Rounds::new(&file);
        let (speedup, measured) = rounds.speedup("g/ProcessPool/8").expect("paired in its batch");
        assert!((speedup.point - 1.5).abs() < 1e-9, "{speedup:?}");
        assert_eq!(measured.batch, 1);
        assert!(rounds.compare("g/Rayon/2", "g/ProcessPool/8").is_none(), "never measured together");
    }

    #[test]
    fn rounds_that_kept_no_round_have_no_answer_rather_than_the_sequential_loop() {
        let mut file = file(&CONFIGURATIONS, 12, two_cores);
        for round in &mut file.batches[0].rounds {
            round.dropped = Some("disturbed".to_owned());
        }
        let rounds = Rounds::new(&file);
        let rows = paired(&CONFIGURATIONS, &rounds);
        assert_eq!(answer(&rows, &rounds, 2), None, "Sequential alone is no answer");
    }

    #[test]
    fn a_speedup_beyond_the_cores_is_left_out_of_the_answer() {
        let configurations = [("Sequential", 1), ("Rayon", 2), ("StdPool", 2)];
        let file = file(&configurations, 20, |_, index| 1e7 / [1.0, 2.6, 1.8][index]);
        let rounds = Rounds::new(&file);
        let rows = paired(&configurations, &rounds);
        let answer = answer(&rows, &rounds, 2).expect("an answer");
        assert_eq!(answer.beyond_the_cores, ["g/Rayon/2"]);
        assert_eq!(answer.fastest, "g/StdPool/2");
        assert!(
            answer.sentence.contains("Left out: Rayon at 2 measured more than the cores can give (2.60×)"),
            "{}",
            answer.sentence
        );
    }

    #[test]
    fn a_speedup_beyond_the_cores_is_left_out_even_when_its_starts_disagree() {
        // Rayon/2 2.5x on three of four pool starts and 1.6x on the other: an interval wide
        // enough to reach 2, a point no 2 cores can give.
        let configurations = [("Sequential", 1), ("Rayon", 2), ("StdPool", 2)];
        let measured = in_starts(&configurations, 40, 4, |round, index| {
            1e7 / [1.0, if round < 30 { 2.5 } else { 1.6 }, 1.8][index]
        });
        let rounds = Rounds::new(&measured);
        let rows = paired(&configurations, &rounds);
        let rayon = rows[1].speedup.expect("paired");
        assert!(rayon.lower < 2.0 && rayon.point > 2.4, "{rayon:?}");
        let answer = answer(&rows, &rounds, 2).expect("an answer");
        assert_eq!(
            (answer.beyond_the_cores.as_slice(), answer.fastest.as_str()),
            (&["g/Rayon/2".to_owned()][..], "g/StdPool/2")
        );
    }

    #[test]
    fn a_pool_that_does_not_beat_the_loop_leaves_sequential_as_the_answer() {
        let configurations = [("Sequential", 1), ("Rayon", 2), ("ProcessPool", 2)];
        let file = file(&configurations, 20, |round, index| {
            1e5 * [1.0, 1.3, 40.0][index] * (1.0 + 0.001 * (round % 3) as f64)
        });
        let rounds = Rounds::new(&file);
        let rows = paired(&configurations, &rounds);
        let answer = answer(&rows, &rounds, 2).expect("an answer");
        assert!(answer.sequential && answer.size == 1, "{answer:?}");
        assert_eq!(answer.recommended, ["g/Sequential/1"]);
        assert_eq!(
            answer.sentence,
            "No pool beats the sequential loop here: the fastest pool, Rayon at 2, is 1.30× slower."
        );
    }

    #[test]
    fn dropped_rounds_do_not_count_and_the_capacity_is_summed_over_files() {
        let mut file = file(&CONFIGURATIONS, 10, two_cores);
        file.batches[0].rounds[0].dropped = Some("capacity".to_owned());
        file.batches[0].rounds[0].probes[0] = 1.0;
        file.batches[0].rounds[1].dropped = Some("disturbed".to_owned());
        file.batches[0].rounds[2].spoiled = vec![1];
        let rounds = Rounds::new(&file);
        let summary = rounds.summary();
        assert_eq!((summary.kept, summary.dropped_capacity, summary.dropped_disturbed), (8, 1, 1));
        assert_eq!(rounds.speedup("g/Rayon/2").expect("paired").1.kept, 7, "its spoiled slot is left out");
        assert_eq!(rounds.speedup("g/StdPool/2").expect("paired").1.kept, 8);
        let capacity = capacity(&[file]).expect("probed");
        assert_eq!((capacity.cores, capacity.probes), (2, 60));
        assert!((capacity.share_kept - 59.0 / 60.0).abs() < 1e-12 && (capacity.median - 1.9).abs() < 1e-12);
    }
}
