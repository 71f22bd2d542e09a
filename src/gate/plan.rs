//! What a run measures: the benchmarks both sides have that the filter selects, in id order, and
//! the canaries, head against head, spread among them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::run::Job;
use super::server::Launch;

/// The jobs, and the ids only one side has.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The benchmarks (and canaries) to measure, in order.
    pub jobs: Vec<Job>,
    /// Selected ids only in the head.
    pub new: Vec<String>,
    /// Selected ids only in the base.
    pub missing: Vec<String>,
}

/// How each side's servers are started, beyond their program.
#[derive(Debug, Clone)]
pub(crate) struct Environments {
    pub base: Vec<(String, String)>,
    pub head: Vec<(String, String)>,
}

/// Plans a run over the ids both sides list that `selected` keeps, with `canaries` canaries,
/// each benchmark judged within its `margin` (a log ratio).
pub(crate) fn plan(
    base: &BTreeMap<String, PathBuf>,
    head: &BTreeMap<String, PathBuf>,
    selected: impl Fn(&str) -> bool,
    margin: impl Fn(&str) -> f64,
    canaries: usize,
    env: &Environments,
) -> Plan {
    let launch =
        |program: &PathBuf, env: &[(String, String)]| Launch { program: program.clone(), env: env.to_vec() };
    let both: Vec<Job> = head
        .iter()
        .filter(|(id, _)| selected(id))
        .filter_map(|(id, head_program)| {
            let base_program = base.get(id)?;
            Some(Job {
                id: id.clone(),
                base: launch(base_program, &env.base),
                head: launch(head_program, &env.head),
                canary: false,
                margin: margin(id),
            })
        })
        .collect();
    let new = head.keys().filter(|id| selected(id) && !base.contains_key(*id)).cloned().collect();
    let missing = base.keys().filter(|id| selected(id) && !head.contains_key(*id)).cloned().collect();
    let canary_ids = spread(both.len(), canaries.min(both.len()));
    let mut jobs = Vec::with_capacity(both.len() + canary_ids.len());
    let mut pending: Vec<Job> = canary_ids
        .iter()
        .map(|&index| Job { base: both[index].head.clone(), canary: true, ..both[index].clone() })
        .collect();
    pending.reverse();
    let slots = spread(both.len() + 1, pending.len());
    for (index, job) in both.into_iter().enumerate() {
        if slots.contains(&index) {
            jobs.extend(pending.pop());
        }
        jobs.push(job);
    }
    jobs.extend(pending.into_iter().rev());
    Plan { jobs, new, missing }
}

/// `count` indices evenly spread over `0..len`, each in the middle of its share.
fn spread(len: usize, count: usize) -> Vec<usize> {
    (0..count).map(|k| ((2 * k + 1) * len) / (2 * count)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str], program: &str) -> BTreeMap<String, PathBuf> {
        names.iter().map(|name| ((*name).to_owned(), PathBuf::from(program))).collect()
    }

    fn environments() -> Environments {
        Environments { base: vec![], head: vec![("POOLBENCH_INJECT_SLOWDOWN".to_owned(), "1.05".to_owned())] }
    }

    #[test]
    fn the_plan_measures_shared_selected_ids_and_lists_the_others() {
        let base = ids(&["a/1", "a/2", "b/1", "old/1"], "base");
        let head = ids(&["a/1", "a/2", "b/1", "new/1"], "head");
        let plan = plan(&base, &head, |id| id != "b/1", |_| 0.02, 0, &environments());
        let measured: Vec<&str> = plan.jobs.iter().map(|job| job.id.as_str()).collect();
        assert_eq!(measured, ["a/1", "a/2"]);
        assert_eq!((plan.new, plan.missing), (vec!["new/1".to_owned()], vec!["old/1".to_owned()]));
        let job = &plan.jobs[0];
        assert_eq!((job.base.program.to_str(), job.head.program.to_str()), (Some("base"), Some("head")));
        assert!(job.base.env.is_empty() && job.head.env.len() == 1);
    }

    #[test]
    fn canaries_run_the_head_on_both_sides_spread_among_the_benchmarks() {
        let names: Vec<String> = (0..9).map(|k| format!("g/{k}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let spread_out =
            plan(&ids(&names, "base"), &ids(&names, "head"), |_| true, |_| 0.02, 3, &environments());
        assert_eq!(spread_out.jobs.len(), 12);
        let canaries: Vec<(usize, &Job)> =
            spread_out.jobs.iter().enumerate().filter(|(_, job)| job.canary).collect();
        assert_eq!(canaries.len(), 3);
        for (_, job) in &canaries {
            assert_eq!(job.base, job.head, "a canary is head against head");
        }
        let positions: Vec<usize> = canaries.iter().map(|(position, _)| *position).collect();
        assert!(positions[0] > 0 && positions[2] < 11 && positions[1] > positions[0] + 2, "{positions:?}");
        // One canary of a single benchmark: itself, against itself.
        let one =
            plan(&ids(&["x/1"], "base"), &ids(&["x/1"], "head"), |_| true, |_| 0.02, 3, &environments());
        assert_eq!(one.jobs.iter().filter(|job| job.canary).count(), 1);
    }
}
