//! One table model for the page and the Markdown: what each table of the report holds is decided
//! once, here and in the builders beside it, and `index.html` and `summary.md` only draw it.
//!
//! The design is hyperfine's `export/markup.rs` and this crate's `compare/cells.rs`: the layout
//! (which columns, which rows, what each cell says) is built once from the summary, as typed
//! cells, and each renderer turns a cell into its own syntax (`html/table.rs` with maud, which
//! escapes by default; `markdown/table.rs`, which escapes every cell). A cell keeps its number,
//! not only its text, so the page can sort by it and both renderers format it with the same
//! function of [`crate::format`].
//!
//! The Markdown is the short form of the page: it draws the [`Column::compact`] columns and the
//! [`Row::telling`] rows only; the page draws everything.
//!
//! - `group.rs` builds a group's tables: results, the ratios against the Python peers, the
//!   start-up split, the scaling fits.
//! - `lists.rs` builds the report's lists: the skipped files and the Python peers' section.
//! - `quiet.rs` builds the line near the top that says how quiet the machine was.
//! - `answers.rs` builds the first table: every group's answer at a glance.
//! - `merged.rs` builds the merged report's tables (`poolbench merge`): the machines, each
//!   group's best configuration machine by machine, its fits side by side.

mod answers;
mod group;
mod lists;
mod merged;
mod quiet;

pub(crate) use answers::{answers_table, rounds_line};
pub(crate) use group::{ratios_table, results_table, scaling_table, startup_table};
pub(crate) use lists::{PeersSection, SkippedList, skipped_list};
pub(crate) use merged::{best_table, fits_table, machines_table, overview_table, pick};
pub(crate) use quiet::quiet_line;

use std::borrow::Cow;

use crate::schema::Quietness;

/// How a column's cells line up (in Markdown; the page's stylesheet aligns its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// Names and words.
    Left,
    /// Numbers.
    Right,
}

/// A column: its heading and how it is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    /// The heading: a fixed word, or a name from the data (an executor of another crate's).
    pub heading: Cow<'static, str>,
    /// How its cells line up.
    pub align: Align,
    /// Whether the page sorts the column by its cells' numbers (`data-sort`) rather than by
    /// their text.
    pub sorts_by_number: bool,
    /// Whether the Markdown shows the column; the page shows every column.
    pub compact: bool,
}

impl Column {
    /// A column of names, shown everywhere.
    pub fn text(heading: impl Into<Cow<'static, str>>) -> Self {
        Column { heading: heading.into(), align: Align::Left, sorts_by_number: false, compact: true }
    }

    /// A column of numbers, shown everywhere, sorted by number on the page.
    pub fn number(heading: impl Into<Cow<'static, str>>) -> Self {
        Column { heading: heading.into(), align: Align::Right, sorts_by_number: true, compact: true }
    }

    /// The same column, on the page only.
    pub fn page_only(self) -> Self {
        Column { compact: false, ..self }
    }

    /// The same column, sorted by its text (or not sortable at all).
    pub fn unsorted(self) -> Self {
        Column { sorts_by_number: false, ..self }
    }
}

/// A piece of running text: a caption, a note.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Span {
    /// Words.
    Text(String),
    /// A name as code: a group id, a command.
    Code(String),
}

/// Running text: a sequence of spans.
pub(crate) type Line = Vec<Span>;

/// Words as a [`Span`].
pub(crate) fn text(words: impl Into<String>) -> Span {
    Span::Text(words.into())
}

/// A name as a [`Span`] of code.
pub(crate) fn code(name: impl Into<String>) -> Span {
    Span::Code(name.into())
}

/// One cell: what it says, typed, so that each renderer formats and escapes it the same way.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text from the summary: a name, a sentence.
    Text(String),
    /// Nothing to say.
    Empty,
    /// A quantity that does not apply or could not be computed: "—".
    Missing,
    /// A time, ns.
    Time(f64),
    /// An interval of times, ns.
    TimeRange(f64, f64),
    /// A speedup or a ratio where more is faster.
    Speedup(f64),
    /// An interval of speedups.
    SpeedupRange(f64, f64),
    /// Speedup over pool size.
    Efficiency(f64),
    /// Tasks per second.
    Rate(f64),
    /// An amount of memory, bytes.
    Bytes(f64),
    /// A count.
    Count(usize),
    /// A plain number: a model's coefficient.
    Number(f64),
    /// A percentage, already multiplied by 100.
    Percent(f64),
    /// The size column: the pool size, or the value shown instead; marked when it oversubscribes
    /// the machine.
    Size {
        /// The pool size, when the value is one: the number the page sorts by.
        size: Option<u32>,
        /// What the cell says.
        text: String,
        /// More workers than cores.
        oversubscribed: bool,
    },
    /// A page of Criterion's, relative to the Criterion directory.
    Link {
        /// The page.
        path: String,
        /// The link's text.
        text: &'static str,
    },
    /// A cell followed by a remark in words: "(within noise)".
    Remark(Box<Cell>, &'static str),
    /// The cores a benchmark kept busy, of those it could use: "1.93 of 2".
    BusyCores {
        /// Its CPU time over its wall time.
        busy: f64,
        /// The cores it could use.
        of: u32,
    },
    /// Whether the machine was quiet while the row was measured: "quiet", "disturbed: 41%
    /// taken", "not measured".
    Load(Quietness),
    /// An executor's fastest configuration in a group, and whether the group's answer picks it:
    /// "★ 2: 1.91×".
    Choice {
        /// Its pool size.
        size: Option<u32>,
        /// Its speedup over Sequential.
        speedup: Option<f64>,
        /// The answer picks it.
        recommended: bool,
        /// Tied with the fastest, not picked (a larger size).
        tied: bool,
    },
}

impl Cell {
    /// A [`Cell::Choice`] in words, before a renderer marks it up: `★ 2: 1.91×`, `≈ 8: 1.89×`.
    pub(crate) fn choice_text(
        size: Option<u32>,
        speedup: Option<f64>,
        recommended: bool,
        tied: bool,
    ) -> String {
        let mark = if recommended {
            "★ "
        } else if tied {
            "≈ "
        } else {
            ""
        };
        let speedup = speedup.map_or_else(|| "—".to_owned(), crate::format::speedup);
        match size {
            Some(size) => format!("{mark}{size}: {speedup}"),
            None => format!("{mark}{speedup}"),
        }
    }
}

impl Cell {
    /// Text from the summary, or [`Cell::Missing`] without it.
    pub fn text_or_missing(text: Option<&str>) -> Cell {
        text.map_or(Cell::Missing, |text| Cell::Text(text.to_owned()))
    }

    /// The number the page sorts by; `None` for an empty key (the page sorts those last).
    pub fn sort_key(&self) -> Option<f64> {
        match self {
            Cell::Time(value)
            | Cell::Speedup(value)
            | Cell::Efficiency(value)
            | Cell::Rate(value)
            | Cell::Bytes(value)
            | Cell::Number(value)
            | Cell::Percent(value) => Some(*value),
            Cell::Count(count) => Some(*count as f64),
            Cell::Size { size, .. } => size.map(f64::from),
            Cell::Remark(cell, _) => cell.sort_key(),
            Cell::BusyCores { busy, .. } => Some(*busy),
            Cell::Choice { speedup, .. } => *speedup,
            Cell::Load(load) => load.measurement().map(|measurement| measurement.load.disturbance),
            _ => None,
        }
    }
}

/// What a row is a mark of, for the page's styles and for tests that find rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// More workers than cores.
    Oversubscribed,
    /// A Python peer's row.
    Python,
    /// The two sides cannot be told apart.
    WithinNoise,
    /// A fit that says something.
    Meaningful,
    /// A fit that does not.
    NotMeaningful,
    /// Measured while other programs took more than the threshold of its cores.
    Disturbed,
}

impl Mark {
    /// The mark's class on the page.
    pub fn class(self) -> &'static str {
        match self {
            Mark::Oversubscribed => "oversubscribed",
            Mark::Python => "python",
            Mark::WithinNoise => "within-noise",
            Mark::Meaningful => "meaningful",
            Mark::NotMeaningful => "not-meaningful",
            Mark::Disturbed => "disturbed",
        }
    }
}

/// What a row stands for, as the page's `data-` attributes expose it to tests and scripts.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RowData {
    /// A results row's source: `criterion` or `python`.
    pub source: Option<&'static str>,
    /// A ratio row's poolbench executor (empty for the task suite's rows).
    pub executor: Option<String>,
    /// A ratio row's peer.
    pub peer: Option<String>,
    /// A ratio row's shared value.
    pub value: Option<String>,
    /// A ratio row's ratio, unrounded.
    pub ratio: Option<f64>,
    /// A results row's load verdict: `quiet`, `disturbed` or `not_measured`.
    pub load: Option<&'static str>,
}

/// One row of a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// One cell per column.
    pub cells: Vec<Cell>,
    /// Its marks.
    pub marks: Vec<Mark>,
    /// What it stands for.
    pub data: RowData,
    /// Whether it tells the table's story: the Markdown shows only such rows.
    pub telling: bool,
}

impl Row {
    /// A row of `cells`, unmarked, telling.
    pub fn new(cells: Vec<Cell>) -> Self {
        Row { cells, marks: Vec::new(), data: RowData::default(), telling: true }
    }
}

/// A table: a caption, columns, rows, and what to say around it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    /// What kind of table it is (`results`, `ratios`, `startup`, `scaling`): its class on the
    /// page.
    pub kind: &'static str,
    /// Whether the page lets a reader sort it by a column.
    pub sortable: bool,
    /// The heading above it; none for a group's main table.
    pub caption: Option<Line>,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows.
    pub rows: Vec<Row>,
    /// What the page says under it.
    pub notes: Vec<Line>,
    /// What both say instead of the table when it has no rows.
    pub when_empty: Option<Line>,
}
