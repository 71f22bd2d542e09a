//! The merged report's `summary.md` (`poolbench merge`): the machines, what to pick on each,
//! then per group its headline, its best size against the core count and the fits that mean
//! something, within the same budget as the report's Markdown.

use std::fmt::Write as _;

use super::{table, within_budget};
use crate::format::markdown::escape;
use crate::report::table::{best_table, fits_table, machines_table, overview_table};
use crate::schema::{Merged, MergedGroup};

/// The Markdown for `merged`, at most 60,000 characters whatever it holds.
pub(crate) fn render(merged: &Merged) -> String {
    let mut head = String::from("## poolbench: how many, machine by machine\n\n");
    head.push_str(
        "Each machine's own report, side by side: the best configuration and size on each, and the scaling \
         fits. The charts with every machine's speedup and efficiency lines are in `index.html`, every number in \
         `merged.json`.\n\n",
    );
    if !merged.flags.is_empty() {
        head.push_str("**Read with care:**\n\n");
        for flag in &merged.flags {
            let _ = writeln!(head, "- ⚠️ {}", escape(flag));
        }
        head.push('\n');
    }
    table::table(&mut head, &machines_table(merged));
    table::table(&mut head, &overview_table(merged));
    let sections = merged.groups.iter().map(|group| section(group, merged)).collect();
    let footer = format!(
        "<sub>Speedups are over each machine's own Sequential: paired where the group had interleaved rounds, \
         else the ratio of Criterion's medians. † more workers than cores. Merged by {}.</sub>\n",
        escape(&merged.generator)
    );
    within_budget(head, sections, footer)
}

fn section(group: &MergedGroup, merged: &Merged) -> String {
    let mut text = format!("### {}\n\n{}\n\n", escape(&group.id), escape(&group.headline));
    for note in &group.notes {
        let _ = writeln!(text, "<sub>{}</sub>\n", escape(note));
    }
    table::table(&mut text, &best_table(group, merged));
    if let Some(fits) = fits_table(group, merged) {
        table::table(&mut text, &fits);
    }
    text
}
