//! The answer for every group at a glance, the first table of the page and of the Markdown: one
//! row per group, one column per executor (its fastest pool size and that speedup, the
//! recommended configurations marked), and the group's answer in a few words.

use super::{Cell, Column, Line, Row, RowData, Table, code, text};
use crate::executor::ExecutorKind;
use crate::format::share;
use crate::report::rounds::CLOSE;
use crate::schema::{Group, Row as SummaryRow, Source, Summary};

/// The executors with a column: the built-in kinds any group ran, in their order, then the
/// executors of groups the catalog does not know (a crate's own sweep, another crate's executor
/// among them) in the order they ran. In poolbench's own groups the other functions (a cold
/// start, a codec, a primitive) are variants, not executors to pick.
fn executors(summary: &Summary) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for group in &summary.groups {
        let own = crate::catalog::find(&group.id).is_some();
        for row in group.results.iter().filter(|row| row.source == Source::Criterion) {
            let Some(name) = row.executor.as_deref() else { continue };
            if (ExecutorKind::from_name(name).is_some() || !own) && !names.iter().any(|known| known == name) {
                names.push(name.to_owned());
            }
        }
    }
    names.sort_by_key(|name| {
        ExecutorKind::ALL.iter().position(|kind| kind.name() == name).unwrap_or(usize::MAX)
    });
    names
}

/// The table; `None` when no group has a row of a known executor.
pub(crate) fn answers_table(summary: &Summary) -> Option<Table> {
    let executors = executors(summary);
    if executors.is_empty() {
        return None;
    }
    let mut columns = vec![Column::text("group")];
    columns.extend(executors.iter().map(|name| Column::text(name.clone()).unsorted()));
    columns.push(Column::text("answer"));
    let rows: Vec<Row> = summary
        .groups
        .iter()
        .filter(|group| {
            group.results.iter().any(|row| {
                row.source == Source::Criterion
                    && row.executor.as_deref().is_some_and(|name| executors.iter().any(|known| known == name))
            })
        })
        .map(|group| {
            let mut cells = vec![Cell::Text(group.id.clone())];
            cells.extend(executors.iter().map(|name| choice(group, name)));
            cells.push(Cell::Text(short_answer(group)));
            Row { cells, marks: Vec::new(), data: RowData::default(), telling: true }
        })
        .collect();
    let paired = summary.groups.iter().any(|group| group.answer.is_some());
    let note: Line = if paired {
        vec![text(format!(
            "Each cell: the executor's pool size and its speedup over Sequential, paired from the group's \
             interleaved rounds: ★ what to pick (tied with the fastest within the rounds' resolution, at the \
             smallest size where one of them is within {} of it), else its fastest size, ≈ when that is tied \
             with the fastest. Groups without rounds show the ratio of Criterion's medians. Sequential is 1× \
             by definition.",
            share(CLOSE)
        ))]
    } else {
        vec![text(
            "Each cell: the executor's fastest pool size and its speedup over Sequential (Criterion's medians).",
        )]
    };
    Some(Table {
        kind: "answers",
        sortable: false,
        caption: Some(vec![text("The answer for every group at a glance")]),
        columns,
        rows,
        notes: vec![
            note,
            vec![text("Details per group below; "), code("summary.json"), text(" has every number.")],
        ],
        when_empty: None,
    })
}

/// The cell of `executor` in `group`: the configuration the answer picks for it when it picks
/// one (so the cell and the answer column name the same size), else its fastest size; and
/// whether the answer picks it or ties it.
fn choice(group: &Group, executor: &str) -> Cell {
    let rows = || {
        group
            .results
            .iter()
            .filter(|row| row.source == Source::Criterion && row.executor.as_deref() == Some(executor))
    };
    let picked =
        group.answer.as_ref().and_then(|answer| rows().find(|row| answer.recommended.contains(&row.id)));
    let Some(best) = picked.or_else(|| rows().max_by(|a, b| speedup(a).total_cmp(&speedup(b)))) else {
        return Cell::Empty;
    };
    let (recommended, tied) = group.answer.as_ref().map_or((false, false), |answer| {
        (answer.recommended.contains(&best.id), answer.tied.contains(&best.id))
    });
    Cell::Choice { size: best.size, speedup: best.speedup.map(|speedup| speedup.point), recommended, tied }
}

fn speedup(row: &SummaryRow) -> f64 {
    row.speedup.map_or(f64::NEG_INFINITY, |speedup| speedup.point)
}

/// The answer in a few words: what to pick, or that the loop wins.
fn short_answer(group: &Group) -> String {
    let Some(answer) = &group.answer else { return "no rounds: see the group".to_owned() };
    if answer.sequential {
        return "the sequential loop".to_owned();
    }
    let names: Vec<&str> = group
        .results
        .iter()
        .filter(|row| answer.recommended.contains(&row.id))
        .filter_map(|row| row.executor.as_deref())
        .collect();
    format!(
        "{} at {}",
        crate::format::join_and(names.iter().map(|name| (*name).to_owned()).collect()),
        answer.size
    )
}

/// How a group's rounds went, in a line under its headline: "Paired rounds: 48 kept, 2 dropped
/// (...); stopped at the budget after 8.2 s."; `None` without rounds.
pub(crate) fn rounds_line(group: &Group) -> Option<String> {
    let rounds = group.rounds.as_ref()?;
    let dropped = rounds.dropped_capacity + rounds.dropped_disturbed;
    let mut text = format!("Paired rounds: {} kept", rounds.kept);
    if dropped > 0 {
        text.push_str(&format!(
            ", {dropped} dropped and measured again ({} with too few cores beside Sequential's slot, {} disturbed \
             by other programs)",
            rounds.dropped_capacity, rounds.dropped_disturbed
        ));
    }
    let stop = if rounds.stops.iter().all(|stop| stop == "resolved") {
        format!("every speedup known to ±{}", crate::format::share(rounds.resolution))
    } else if rounds.stops.iter().any(|stop| stop == "budget") {
        "stopped at the budget".to_owned()
    } else {
        "stopped at the most rounds".to_owned()
    };
    text.push_str(&format!("; {stop}, {:.1} s.", rounds.seconds));
    if rounds.batches > 1 {
        text.push_str(&format!(
            " Measured in {} batches, each with Sequential: the pools' workers did not fit alive at once.",
            rounds.batches
        ));
    }
    if let Some(apart) = crate::report::rounds::two_speeds(&group.results) {
        text.push(' ');
        text.push_str(&apart);
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Answer, Interval};

    #[test]
    fn each_group_gets_a_row_with_the_executors_best_and_the_answer_marked() {
        let time = Interval { point: 1.0, lower: 1.0, upper: 1.0 };
        let row = |id: &str, executor: &str, size: &str, speedup: f64| {
            let mut row = SummaryRow::for_test(Source::Criterion, id, Some(executor), size, time, vec![1.0]);
            row.speedup = Some(Interval { point: speedup, lower: speedup, upper: speedup });
            row
        };
        let group = Group {
            answer: Some(Answer {
                fastest: "g/Rayon/8".to_owned(),
                tied: vec!["g/Rayon/8".to_owned(), "g/Rayon/2".to_owned()],
                recommended: vec!["g/Rayon/2".to_owned()],
                size: 2,
                sequential: false,
                beyond_the_cores: Vec::new(),
                sentence: String::new(),
            }),
            ..Group::new(
                "g",
                vec![
                    row("g/Sequential/1", "Sequential", "1", 1.0),
                    row("g/Rayon/2", "Rayon", "2", 1.9),
                    // Faster at its point than Rayon/2, tied with it: the answer picks 2, and so
                    // does the cell.
                    row("g/Rayon/8", "Rayon", "8", 1.95),
                    row("g/ProcessPool/2", "ProcessPool", "2", 1.5),
                ],
            )
        };
        let mut summary = crate::report::summarize(
            &crate::criterion::Results::default(),
            crate::schema::Machine::detect(),
            std::path::Path::new("none"),
        );
        summary.groups = vec![group];
        let table = answers_table(&summary).expect("a table");
        let headings: Vec<&str> = table.columns.iter().map(|column| &*column.heading).collect();
        assert_eq!(headings, ["group", "Sequential", "Rayon", "ProcessPool", "answer"]);
        let cells = &table.rows[0].cells;
        assert_eq!(
            cells[2],
            Cell::Choice { size: Some(2), speedup: Some(1.9), recommended: true, tied: true }
        );
        assert_eq!(
            cells[3],
            Cell::Choice { size: Some(2), speedup: Some(1.5), recommended: false, tied: false }
        );
        assert_eq!(cells[4], Cell::Text("Rayon at 2".to_owned()));
    }

    #[test]
    fn poolbenchs_own_variants_get_no_column_and_another_crates_executor_does() {
        let time = Interval { point: 1.0, lower: 1.0, upper: 1.0 };
        let row = |id: &str, executor: &str, size: &str| {
            let mut row = SummaryRow::for_test(Source::Criterion, id, Some(executor), size, time, vec![1.0]);
            row.speedup = Some(time);
            row
        };
        let own = Group::new(
            "startup/ex8-squares",
            vec![
                row("startup/ex8-squares/Sequential/1", "Sequential", "1"),
                row("startup/ex8-squares/ProcessPool-cold/2", "ProcessPool-cold", "2"),
                row("startup/ex8-squares/StdPool/2", "StdPool", "2"),
            ],
        );
        let theirs = Group::new(
            "mine/collatz",
            vec![
                row("mine/collatz/Sequential/1", "Sequential", "1"),
                row("mine/collatz/threadpool/2", "threadpool", "2"),
            ],
        );
        let codecs =
            Group::new("ipc/codec-squares", vec![row("ipc/codec-squares/postcard/2", "postcard", "2")]);
        let mut summary = crate::report::summarize(
            &crate::criterion::Results::default(),
            crate::schema::Machine::detect(),
            std::path::Path::new("none"),
        );
        summary.groups = vec![own, theirs, codecs];
        let table = answers_table(&summary).expect("a table");
        let headings: Vec<&str> = table.columns.iter().map(|column| &*column.heading).collect();
        assert_eq!(headings, ["group", "Sequential", "StdPool", "threadpool", "answer"]);
        let groups: Vec<&Cell> = table.rows.iter().map(|row| &row.cells[0]).collect();
        assert_eq!(groups.len(), 2, "a group of codecs has no executor to pick: {groups:?}");
    }
}
