//! A whole gate run, in order: build (or take) both sides, plan, measure, judge.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::build::{self, Built};
use super::plan::{Environments, plan};
use super::rule::{Judged, Rule};
use super::run::{Measured, Stop, Totals, budget_warning, measure};
use super::{Canary, Change, Entry, Error, Report, Settings, Side, Verdict};
use crate::env::SERVE;
use crate::verdict::{self, change_with_interval};

/// What the base is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// A commit (branch, tag, hash) of the head's repository: checked out in a worktree of its own
    /// and built in a target directory of its own.
    Commit(String),
    /// Bench binaries already built (the same as the head's for an A/A run).
    Programs(Vec<PathBuf>),
}

/// What to gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The base.
    pub base: Base,
    /// The head's bench binaries; `None` builds the working tree's.
    pub head_programs: Option<Vec<PathBuf>>,
    /// Variables added to the head's environment only (`POOLBENCH_INJECT_SLOWDOWN=1.05`).
    pub head_env: Vec<(String, String)>,
    /// A regular expression: only the benchmark ids it matches (anywhere in the id) are gated.
    pub filter: Option<String>,
    /// Where the head is: the working tree's directory (or one inside it).
    pub dir: PathBuf,
    /// Where the base's worktree and target directory, and the servers' scratch directories, go.
    /// Default: `gate/` in the head's cargo target directory.
    pub work_dir: Option<PathBuf>,
}

/// Runs the gate, saying how far it is through `progress`.
///
/// # Errors
///
/// A setting out of range, a filter that is no regular expression or selects nothing, a bad
/// `--head-env`, a build that fails, a binary that cannot list its benchmarks, or a side whose
/// binary predates serve mode ([`Error::is_no_serve_mode`]).
pub fn run(request: &Request, settings: &Settings, progress: &mut dyn FnMut(&str)) -> Result<Report, Error> {
    let started = Instant::now();
    settings.check()?;
    check_env(&request.head_env)?;
    let filter =
        match &request.filter {
            Some(text) => Some(regex::Regex::new(text).map_err(|err| {
                Error::input(format!("--filter {text:?} is not a regular expression: {err}"))
            })?),
            None => None,
        };
    // The base first: a base git does not know must not cost a build of the head.
    let base_commit = match &request.base {
        Base::Commit(rev) => Some(build::resolve(&build::toplevel(&request.dir)?, rev)?),
        Base::Programs(_) => None,
    };
    let head_repo = match &request.head_programs {
        Some(_) => None,
        None => Some(build::toplevel(&request.dir)?),
    };
    let work_dir = match (&request.work_dir, &head_repo) {
        (Some(dir), _) => dir.clone(),
        (None, Some(_)) => build::target_dir(&request.dir)?.join("gate"),
        (None, None) => std::env::temp_dir().join("poolbench-gate"),
    };
    // Held to the end of the run: the base's worktree and target directory are this gate's.
    let _lock = base_commit.is_some().then(|| build::lock_work_dir(&work_dir)).transpose()?;
    let (head, head_side) = head_side(request, head_repo.as_deref(), progress)?;
    let (base, base_side) = base_side(request, base_commit, &work_dir, progress)?;

    let environments = environments(&work_dir, &request.head_env)?;
    let filtered = |id: &str| filter.as_ref().is_none_or(|filter| filter.is_match(id));
    let ignored = |id: &str| settings.rule_for(id).is_some_and(|rule| rule.ignore);
    let selected = |id: &str| filtered(id) && !ignored(id);
    let margin = |id: &str| (1.0 + settings.threshold_for(id) / 100.0).ln();
    let plan = plan(&base.ids, &head.ids, selected, margin, settings.canaries, &environments);
    let ignored: Vec<String> = head
        .ids
        .keys()
        .filter(|id| base.ids.contains_key(*id) && filtered(id) && ignored(id))
        .cloned()
        .collect();
    let benchmarks = plan.jobs.iter().filter(|job| !job.canary).count();
    if benchmarks == 0 {
        return Err(Error::input(format!(
            "no benchmark that both sides have matches --filter {:?} (the base lists {}, the head {}); `cargo \
             bench -- --list` lists the ids",
            request.filter.as_deref().unwrap_or(""),
            base.ids.len(),
            head.ids.len()
        )));
    }
    let rule = Rule {
        margin: (1.0 + settings.threshold_percent / 100.0).ln(),
        alpha: settings.alpha,
        benchmarks,
        canaries: plan.jobs.len() - benchmarks,
        min_rounds: settings.min_rounds,
        max_rounds: settings.max_rounds,
    };
    progress(&format!(
        "measuring {benchmarks} benchmarks and {} canaries: rounds of {} pairs of ~{} ms slots, {}-{} rounds each, \
         budget {} s",
        rule.canaries,
        settings.pairs,
        settings.slot.as_millis(),
        settings.min_rounds,
        settings.max_rounds,
        settings.budget.as_secs()
    ));
    let mut warnings: Vec<String> = budget_warning(plan.jobs.len(), settings).into_iter().collect();
    for warning in &warnings {
        progress(warning);
    }
    let (measured, mut totals, said) = measure(plan.jobs, &rule, settings, progress)?;
    warnings.extend(said);
    let confirmations = if settings.confirm {
        confirm(&measured, &rule, settings, &mut totals, progress)?
    } else {
        Vec::new()
    };
    let sides = Sides {
        base: Side { processes: totals.base_processes, ..base_side },
        head: Side { processes: totals.head_processes, ..head_side },
    };
    let unmeasured = Unmeasured { new: plan.new, missing: plan.missing, ignored };
    let mut report = report(measured, &confirmations, &unmeasured, &rule, settings, sides, totals, started);
    report.warnings = warnings;
    Ok(report)
}

/// Builds the bench binaries of the working tree that holds `dir`, as a run builds the head, and
/// returns them: for a run whose base is the head's own build (`--same-build`).
///
/// # Errors
///
/// When `dir` is in no git checkout, or the build fails.
pub fn build_head(dir: &Path, progress: &mut dyn FnMut(&str)) -> Result<Vec<PathBuf>, Error> {
    let repo = build::toplevel(dir)?;
    progress(&format!("building the head (the working tree at {})", repo.display()));
    let built = build::build(dir, None)?;
    let mut programs: Vec<PathBuf> = built.ids.into_values().collect();
    programs.sort();
    programs.dedup();
    Ok(programs)
}

struct Sides {
    base: Side,
    head: Side,
}

/// The selected ids not measured: only in the head, only in the base, ignored by the config file.
struct Unmeasured {
    new: Vec<String>,
    missing: Vec<String>,
    ignored: Vec<String>,
}

fn check_env(env: &[(String, String)]) -> Result<(), Error> {
    for (key, value) in env {
        if key.is_empty() || key.contains(['=', '\0']) || value.contains('\0') {
            return Err(Error::input(format!(
                "--head-env {key}={value}: give KEY=VALUE, a name without `=` and no NUL byte"
            )));
        }
        if key == SERVE || key == "CRITERION_HOME" {
            return Err(Error::input(format!("--head-env {key}: the gate sets {key} itself")));
        }
    }
    Ok(())
}

/// Each side's scratch Criterion directory (a served benchmark may write a case file there).
fn environments(work_dir: &Path, head_env: &[(String, String)]) -> Result<Environments, Error> {
    let scratch = |name: &str| -> Result<(String, String), Error> {
        let dir = work_dir.join(name);
        std::fs::create_dir_all(&dir)
            .map_err(|err| Error::input(format!("cannot create {}: {err}", dir.display())))?;
        Ok(("CRITERION_HOME".to_owned(), dir.to_string_lossy().into_owned()))
    };
    let mut head = vec![scratch("head-criterion")?];
    head.extend(head_env.iter().cloned());
    Ok(Environments { base: vec![scratch("base-criterion")?], head })
}

fn head_side(
    request: &Request,
    repo: Option<&Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<(Built, Side), Error> {
    let env: Vec<String> = request.head_env.iter().map(|(key, value)| format!("{key}={value}")).collect();
    if let Some(programs) = &request.head_programs {
        return listed(programs, "the programs given", None, env);
    }
    let repo = repo.ok_or_else(|| Error::input("no head checkout"))?;
    progress(&format!("building the head (the working tree at {})", repo.display()));
    // The package cargo finds from where the gate was started: a crate in a subdirectory of its
    // repository is built as itself, on both sides.
    let built = build::build(&request.dir, None)?;
    let commit = build::resolve(repo, "HEAD").ok();
    let dirty = build::is_dirty(repo);
    let label = format!(
        "working tree{}{}",
        commit.as_deref().map(|commit| format!(" at {}", short(commit))).unwrap_or_default(),
        if dirty { " with uncommitted changes" } else { "" }
    );
    let side = side(label, commit, &built, env);
    Ok((built, side))
}

/// The base's side; `commit` is what [`build::resolve`] made of a [`Base::Commit`].
fn base_side(
    request: &Request,
    commit: Option<String>,
    work_dir: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<(Built, Side), Error> {
    match (&request.base, commit) {
        (Base::Programs(programs), _) => listed(programs, "the programs given", None, Vec::new()),
        (Base::Commit(rev), commit) => {
            let repo = build::toplevel(&request.dir)?;
            let commit = match commit {
                Some(commit) => commit,
                None => build::resolve(&repo, rev)?,
            };
            let checkout = work_dir.join("base");
            progress(&format!("building the base ({rev} at {}) in {}", short(&commit), checkout.display()));
            build::check_out(&repo, &commit, &checkout, progress)?;
            // The head's package, as a path inside the repository, found again in the base.
            let canonical = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            let inside = canonical(&request.dir)
                .strip_prefix(canonical(&repo))
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let package = checkout.join(inside);
            let built = build::build(&package, Some(&work_dir.join("base-target")))?;
            let side = side(format!("{rev} ({})", short(&commit)), Some(commit), &built, Vec::new());
            Ok((built, side))
        }
    }
}

fn listed(
    programs: &[PathBuf],
    label: &str,
    commit: Option<String>,
    env: Vec<String>,
) -> Result<(Built, Side), Error> {
    let started = Instant::now();
    let ids = build::list_all(programs)?;
    let built = Built { ids, took: started.elapsed() };
    let side = side(label.to_owned(), commit, &built, env);
    Ok((built, side))
}

fn side(label: String, commit: Option<String>, built: &Built, env: Vec<String>) -> Side {
    let mut programs: Vec<String> = built.ids.values().map(|program| program.display().to_string()).collect();
    programs.sort();
    programs.dedup();
    Side { label, commit, programs, env, build_seconds: built.took.as_secs_f64(), processes: 0 }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// A benchmark the first pass flagged as regressed, measured again.
struct Confirmation {
    measured: Measured,
    judged: Judged,
    /// The second pass's rule: over the flagged benchmarks only.
    rule: Rule,
}

/// The benchmarks' verdicts, judged together (canaries left out, in their order).
fn judge(measured: &[&Measured], rule: &Rule) -> Vec<Judged> {
    let estimates: Vec<_> =
        measured.iter().map(|measured| (measured.estimate(), measured.job.margin)).collect();
    rule.judge_with_margins(&estimates)
}

/// Measures every benchmark the first pass flagged as regressed again, in a second pass of fresh
/// rounds (servers, iteration counts, slot order) under the same rule over only those benchmarks,
/// within `benchmark_budget` each and the run's `budget` in all: a regression stands when both
/// passes flag it (reports/README.md, "The rule", 8).
fn confirm(
    measured: &[Measured],
    rule: &Rule,
    settings: &Settings,
    totals: &mut Totals,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Confirmation>, Error> {
    let benchmarks: Vec<&Measured> = measured.iter().filter(|measured| !measured.job.canary).collect();
    let flagged: Vec<_> = benchmarks
        .iter()
        .zip(judge(&benchmarks, rule))
        .filter(|(measured, judged)| judged.verdict == Verdict::Regressed && measured.failure.is_none())
        .map(|(measured, _)| measured.job.clone())
        .collect();
    if flagged.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = flagged.iter().map(|job| job.id.as_str()).collect();
    progress(&format!(
        "confirming {} regression(s) in a second pass of fresh rounds: {}",
        flagged.len(),
        ids.join(", ")
    ));
    let rule = Rule { benchmarks: flagged.len(), canaries: 0, ..*rule };
    let settings = Settings {
        budget: (settings.benchmark_budget * flagged.len() as u32).min(settings.budget),
        seed: settings.seed.wrapping_add(1),
        ..settings.clone()
    };
    let (again, second, _) = measure(flagged, &rule, &settings, progress)?;
    totals.add_pass(&second);
    let judged = judge(&again.iter().collect::<Vec<_>>(), &rule);
    Ok(again
        .into_iter()
        .zip(judged)
        .map(|(measured, judged)| Confirmation { measured, judged, rule })
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn report(
    measured: Vec<Measured>,
    confirmations: &[Confirmation],
    unmeasured: &Unmeasured,
    rule: &Rule,
    settings: &Settings,
    sides: Sides,
    totals: Totals,
    started: Instant,
) -> Report {
    let (canaries, benchmarks): (Vec<Measured>, Vec<Measured>) =
        measured.into_iter().partition(|m| m.job.canary);
    let judged = judge(&benchmarks.iter().collect::<Vec<_>>(), rule);
    let mut entries: Vec<Entry> = benchmarks
        .iter()
        .zip(judged)
        .map(|(measured, judged)| {
            let first = entry(measured, Some(judged), rule, settings);
            match confirmations.iter().find(|confirmation| confirmation.measured.job.id == measured.job.id) {
                Some(confirmation) => confirmed(first, confirmation, settings),
                None => first,
            }
        })
        .collect();
    entries.extend(unmeasured.new.iter().map(|id| self::unmeasured(id, Verdict::New, None)));
    entries.extend(unmeasured.missing.iter().map(|id| self::unmeasured(id, Verdict::Missing, None)));
    entries.extend(unmeasured.ignored.iter().map(|id| {
        let reason = settings.rule_for(id).and_then(|rule| rule.reason.clone());
        let note = reason.unwrap_or_else(|| "ignored by the config file".to_owned());
        self::unmeasured(id, Verdict::Ignored, Some(note))
    }));
    entries.sort_by(|a, b| verdict::order(a.key(), b.key()));
    let canary_entries: Vec<Entry> = canaries
        .iter()
        .map(|measured| {
            let mut entry = entry(measured, None, rule, settings);
            let flags = rule.with_margin(measured.job.margin).canary_flags(measured.estimate().as_ref());
            entry.verdict = match (&entry.verdict, flags) {
                (Verdict::Failed, _) => Verdict::Failed,
                (_, true) if entry.change.is_some_and(|change| change.ratio > 1.0) => Verdict::Regressed,
                (_, true) => Verdict::Improved,
                (_, false) => Verdict::Unchanged,
            };
            entry
        })
        .collect();
    let canary = canary_of(canary_entries);
    let dropped_rounds: usize = entries.iter().chain(&canary.entries).map(|entry| entry.dropped_rounds).sum();
    let disturbance = if !totals.load_measured {
        "not measured: /proc/stat or getrusage could not be read, so no round was dropped".to_owned()
    } else if dropped_rounds == 0 {
        format!(
            "each round's others' share of the machine measured (/proc/stat less the gate's own CPU time); none \
             above {:.0}%",
            settings.max_disturbance * 100.0
        )
    } else {
        format!(
            "{dropped_rounds} round(s) dropped and measured again: other programs took more than {:.0}% of the \
             machine (up to {:.0}%)",
            settings.max_disturbance * 100.0,
            totals.disturbed_share * 100.0
        )
    };
    Report {
        base: sides.base,
        head: sides.head,
        settings: settings.clone(),
        entries,
        canary,
        budget_ran_out: totals.budget_ran_out,
        measure_seconds: totals.elapsed.as_secs_f64(),
        wall_seconds: started.elapsed().as_secs_f64(),
        passes: totals.passes,
        dropped_rounds,
        disturbance,
        warnings: Vec::new(),
    }
}

fn entry(measured: &Measured, judged: Option<Judged>, rule: &Rule, settings: &Settings) -> Entry {
    let rule = rule.with_margin(measured.job.margin);
    let estimate = measured.estimate();
    let means = measured.geometric_means();
    let change = estimate.map(|estimate| {
        let (lower, upper) = estimate.interval(1.0 - settings.alpha);
        Change {
            q_value: judged.map(|judged| judged.q_value),
            detectable: Some(rule.detectable(&estimate).exp()).filter(|detectable| detectable.is_finite()),
            ..Change::new(estimate.ratio(), lower, upper, estimate.p_changed(rule.margin))
        }
    });
    let verdict = match (&measured.failure, judged) {
        (Some(_), _) => Verdict::Failed,
        (None, Some(judged)) => judged.verdict,
        (None, None) => Verdict::Inconclusive,
    };
    Entry {
        id: measured.job.id.clone(),
        verdict,
        base_ns: means.map(|(base, _)| base),
        head_ns: means.map(|(_, head)| head),
        change,
        estimate,
        rounds: measured.rounds.len(),
        pairs: measured.rounds.iter().map(Vec::len).sum(),
        dropped_rounds: measured.dropped,
        iterations: measured.iterations,
        seconds: measured.spent.as_secs_f64(),
        stop: measured.stop,
        note: measured.failure.clone().or_else(|| threshold_note(&measured.job.id, settings)),
    }
}

/// A first pass's regression after its second pass: regressed, with the second pass's figures
/// (free of the selection that made the first pass's look large), when that pass flags it too;
/// still regressed, with the first pass's figures, when the second pass kept fewer rounds than
/// the rule needs (it could not measure, so it cannot refute); else inconclusive (failed, when
/// its servers broke), with the first pass's figures. The note gives the other pass's change.
fn confirmed(first: Entry, confirmation: &Confirmation, settings: &Settings) -> Entry {
    let change = |entry: &Entry| {
        let change =
            entry.change.as_ref().map(change_with_interval).unwrap_or_else(|| "no estimate".to_owned());
        format!("{change} in {} round(s)", entry.rounds)
    };
    let second = entry(&confirmation.measured, Some(confirmation.judged), &confirmation.rule, settings);
    let seconds = first.seconds + second.seconds;
    let kept = confirmation.measured.rounds.len();
    // The entry shown, and what the note says of the other pass.
    let (mut shown, note) = if second.verdict == Verdict::Regressed {
        let note =
            format!("confirmed by a second pass of fresh rounds; the first measured {}", change(&first));
        (second, note)
    } else if second.verdict != Verdict::Failed && kept < confirmation.rule.min_rounds {
        // A second pass that could not measure (its rounds dropped as disturbed, its time spent)
        // is no evidence against the first: a busy machine must not let a regression through.
        let note = format!(
            "not confirmed nor refuted: its second pass kept {kept} round(s), fewer than the {} the rule needs \
             ({} dropped as disturbed), so the first pass's verdict stands",
            confirmation.rule.min_rounds, confirmation.measured.dropped
        );
        (first, note)
    } else {
        let (verdict, note) = match &second.note {
            Some(failure) if second.verdict == Verdict::Failed => {
                (Verdict::Failed, format!("flagged by the first pass; its second pass failed: {failure}"))
            }
            _ => (
                Verdict::Inconclusive,
                format!(
                    "flagged by the first pass, not confirmed: a second pass of fresh rounds measured {}",
                    change(&second)
                ),
            ),
        };
        (Entry { verdict, ..first }, note)
    };
    shown.seconds = seconds;
    shown.note = Some(match shown.note.take() {
        Some(other) => format!("{note}; {other}"),
        None => note,
    });
    shown
}

/// The canary's result from its entries: flagged when one found a change; `could_not_judge`
/// when some had too few rounds to estimate (those are inconclusive, not unchanged), saying how
/// many rounds were dropped.
pub(super) fn canary_of(mut entries: Vec<Entry>) -> Canary {
    for entry in &mut entries {
        if entry.change.is_none() && entry.verdict == Verdict::Unchanged {
            entry.verdict = Verdict::Inconclusive;
        }
    }
    let flagged: Vec<String> = entries
        .iter()
        .filter(|entry| matches!(entry.verdict, Verdict::Regressed | Verdict::Improved))
        .map(|entry| {
            let change = entry.change.as_ref().map(change_with_interval).unwrap_or_default();
            format!("{} {change}", entry.id)
        })
        .collect();
    let unjudged: Vec<&Entry> = entries.iter().filter(|entry| entry.change.is_none()).collect();
    let could_not_judge = (!unjudged.is_empty()).then(|| {
        let dropped: usize = unjudged.iter().map(|entry| entry.dropped_rounds).sum();
        let failed = unjudged.iter().filter(|entry| entry.verdict == Verdict::Failed).count();
        format!(
            "{} of {} canaries could not judge the machine: too few rounds to estimate ({dropped} round(s) dropped as \
             disturbed{})",
            unjudged.len(),
            entries.len(),
            if failed > 0 { format!(", {failed} failed") } else { String::new() }
        )
    });
    Canary {
        flagged: (!flagged.is_empty()).then(|| {
            format!(
                "the canary measured the head against itself and found a change ({}): the machine was too noisy for \
                 this run's verdicts to be trusted; run the gate again when it is quieter",
                flagged.join("; ")
            )
        }),
        could_not_judge,
        entries,
    }
}

/// `threshold 10%: why`, when the config file gives the benchmark a threshold of its own.
fn threshold_note(id: &str, settings: &Settings) -> Option<String> {
    let rule = settings.rule_for(id).filter(|rule| rule.threshold.is_some())?;
    let threshold = verdict::plain(settings.threshold_for(id));
    Some(match &rule.reason {
        Some(reason) => format!("threshold {threshold}%: {reason}"),
        None => format!("threshold {threshold}%"),
    })
}

fn unmeasured(id: &str, verdict: Verdict, note: Option<String>) -> Entry {
    Entry {
        id: id.to_owned(),
        verdict,
        base_ns: None,
        head_ns: None,
        change: None,
        estimate: None,
        rounds: 0,
        pairs: 0,
        dropped_rounds: 0,
        iterations: None,
        seconds: 0.0,
        stop: None::<Stop>,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_git_does_not_know_is_refused_before_the_head_is_built() {
        let (repo, _) = super::super::build::tests::repository();
        let work = tempfile::tempdir().expect("a scratch directory");
        let request = Request {
            base: Base::Commit("does-not-exist".to_owned()),
            head_programs: None,
            head_env: Vec::new(),
            filter: None,
            dir: repo.path().to_path_buf(),
            work_dir: Some(work.path().to_path_buf()),
        };
        let mut said = Vec::new();
        let err = run(&request, &Settings::new(), &mut |line| said.push(line.to_owned()))
            .expect_err("no such base");
        assert!(err.to_string().starts_with("--base does-not-exist: git knows no such commit"), "{err}");
        assert!(said.is_empty(), "nothing built: {said:?}");
    }
}
