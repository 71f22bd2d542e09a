//! The page's charts, drawn by plotters as inline SVG (no fonts loaded, no files, no scripts).
//!
//! Three per group with numeric pool sizes, each with pool size on a log₂ axis:
//!
//! - time per iteration (median, with its confidence interval as an error bar), one line per
//!   executor, and Sequential as a flat dashed line (a loop has no pool size);
//! - speedup over Sequential, with the ideal `min(n, cores)` and the break-even line at 1;
//! - efficiency (speedup over size), with the ideal `min(n, cores) / n`;
//! - memory held (the process tree's proportional set size at steady state less the same before
//!   the executor started; the bar reaches up to the peak), when the rows have it, Sequential's
//!   as a flat dashed line.
//!
//! The Python peers' rows, when the report has them, are dashed lines on the time chart (they
//! have no speedup over poolbench's Sequential). A dotted red vertical line marks the core count: sizes to its right oversubscribe the machine.
//! Values are log-scaled on the y axis too, because pools of tiny tasks are often orders of
//! magnitude off the sequential loop, and a linear axis would flatten everything else.

use std::error::Error as StdError;

use plotters::prelude::*;

use crate::executor::ExecutorKind;
use crate::format::{duration_ns, mebibytes, percent, speedup, visible};
use crate::schema::{Group, Row, Source, sequential};

/// The charts each group gets, in page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Time per iteration against pool size.
    Time,
    /// Speedup over Sequential against pool size.
    Speedup,
    /// Efficiency (speedup over size) against pool size.
    Efficiency,
    /// Memory held against pool size.
    Memory,
}

impl ChartKind {
    /// Every kind, in page order.
    pub const ALL: [ChartKind; 4] =
        [ChartKind::Time, ChartKind::Speedup, ChartKind::Efficiency, ChartKind::Memory];

    /// The kind's name, as in `data-kind` on the page.
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Time => "time",
            ChartKind::Speedup => "speedup",
            ChartKind::Efficiency => "efficiency",
            ChartKind::Memory => "memory",
        }
    }

    /// What the chart shows, for its caption.
    pub fn caption(self, cores: usize) -> String {
        match self {
            ChartKind::Time => {
                "Median time per iteration by pool size (bars: 95% confidence interval; dashed grey: Sequential; \
                 dashed colours: Python peers)"
                    .to_owned()
            }
            ChartKind::Speedup => format!(
                "Speedup over Sequential by pool size (bars: approximate interval; dashed: ideal min(n, {cores}); grey: break-even)"
            ),
            ChartKind::Efficiency => {
                format!("Efficiency, speedup ÷ pool size (dashed: ideal min(n, {cores}) ÷ n)")
            }
            ChartKind::Memory => "Memory held by pool size: proportional set size of the bench process and the \
                                  processes it started, less the same before the executor started (bars: up to the \
                                  peak; dashed grey: Sequential; dashed colours: Python peers; below 64 KiB drawn at \
                                  64 KiB)"
                .to_owned(),
        }
    }
}

/// The legend sits in a column right of the plot, where it cannot hide a point. The width is the
/// page's (its stylesheet caps a figure at 540 px), so that one unit of the drawing is one pixel
/// on the page and [`FONT`] is the text's size as read, not shrunk.
const SIZE: (u32, u32) = (540, 330);
/// The legend column's width: as wide as its longest name needs, within these bounds.
const LEGEND_WIDTH: (u32, u32) = (100, 200);
/// The size of every text of a chart, as plotters takes it: it writes a font of size `s` as
/// `font-size` `s / 1.24`, so 16 is 12.9 px, a little smaller than the page's tables (0.9em of
/// 16 px).
const FONT: u32 = 16;
/// The width of one character of [`FONT`], about (12.9 px sans-serif), to make room for the
/// longest label.
const CHAR_WIDTH: u32 = 8;

/// Okabe and Ito's palette, which stays distinct for the colour-blind; black is kept for ideals.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 90, 40),
];
const GREY: RGBColor = RGBColor(140, 140, 140);
const CORES: RGBColor = RGBColor(200, 70, 70);

/// A line with intervals: `(x, lower, point, upper)`; dashed for a Python peer.
struct Series {
    name: String,
    color: RGBColor,
    dashed: bool,
    points: Vec<(f64, f64, f64, f64)>,
}

/// A dashed line without intervals.
struct Reference {
    name: String,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

/// The chart of `kind` for `group`, as an `<svg>` element; `None` when the group has nothing to
/// draw (no pool sizes, or no Sequential to divide by).
///
/// # Errors
///
/// plotters' message, should drawing fail; the page then says the chart is unavailable.
pub fn draw(group: &Group, kind: ChartKind, cores: usize) -> Result<Option<String>, String> {
    let executors = executors(&group.results);
    let series: Vec<Series> = executors
        .iter()
        .enumerate()
        .filter_map(|(index, executor)| {
            let rows = group.results.iter().filter(|row| row.executor.as_deref() == Some(executor));
            let dashed = rows.clone().any(|row| row.source != Source::Criterion);
            let points: Vec<_> = rows.filter_map(|row| point(row, kind)).filter(positive).collect();
            (!points.is_empty()).then(|| Series {
                // plotters escapes the SVG's markup, not what would hide or reorder the name.
                name: visible(executor).into_owned(),
                color: PALETTE[index % PALETTE.len()],
                dashed,
                points,
            })
        })
        .collect();
    if series.is_empty() {
        return Ok(None);
    }
    let sizes: Vec<f64> = {
        let mut sizes: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
        sizes.sort_by(f64::total_cmp);
        sizes.dedup();
        sizes
    };
    let (first, last) = (sizes[0], sizes[sizes.len() - 1]);
    // A margin on both sides, so the end points and their error bars are not cut by the frame.
    let x_range = if first < last { (first / 1.15, last * 1.15) } else { (first / 1.5, last * 1.5) };
    let references = references(group, kind, cores, x_range);
    let y_label = match kind {
        ChartKind::Time => "time per iteration",
        ChartKind::Speedup => "speedup",
        ChartKind::Efficiency => "efficiency",
        ChartKind::Memory => "memory held",
    };
    render(&series, &references, &sizes, x_range, y_label, kind, &[cores], None)
        .map(Some)
        .map_err(|err| format!("the {} chart could not be drawn: {err}", kind.name()))
}

/// One line of a chart drawn by [`draw_lines`]: an executor on a machine, its colour from the
/// palette (by index: one per executor), solid or dashed (one style per machine), and
/// `(size, lower, point, upper)` points.
pub(crate) struct ChartLine {
    /// The executor, as the legend names its colour.
    pub executor: String,
    /// The machine, as the legend names its style.
    pub machine: String,
    /// An index into the palette: lines of one executor share it.
    pub color: usize,
    /// Dashed rather than solid.
    pub dashed: bool,
    /// `(pool size, lower, point, upper)`.
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// A speedup or efficiency chart of `lines` (the merged report's: one per machine and
/// executor), with a dotted core-count line for each of `cores` and, for speedup, the
/// break-even line; `None` when no line has a point a log axis can show.
///
/// # Errors
///
/// plotters' message, should drawing fail.
pub(crate) fn draw_lines(
    lines: Vec<ChartLine>,
    kind: ChartKind,
    cores: &[usize],
) -> Result<Option<String>, String> {
    // The legend names each colour (an executor) and each style (a machine) once, not every
    // line: with seven executors on three machines, one entry per line would not fit.
    let mut legend: Vec<(String, RGBColor, bool)> = Vec::new();
    for line in lines.iter().filter(|line| line.points.iter().any(positive)) {
        let executor = (visible(&line.executor).into_owned(), PALETTE[line.color % PALETTE.len()], false);
        if !legend.contains(&executor) {
            legend.push(executor);
        }
    }
    let mut styles: Vec<(String, RGBColor, bool)> = Vec::new();
    for line in lines.iter().filter(|line| line.points.iter().any(positive)) {
        let style = (
            format!("{} ({})", visible(&line.machine), if line.dashed { "dashed" } else { "solid" }),
            GREY,
            line.dashed,
        );
        if !styles.contains(&style) {
            styles.push(style);
        }
    }
    legend.extend(styles);
    let series: Vec<Series> = lines
        .into_iter()
        .filter_map(|line| {
            let points: Vec<_> = line.points.into_iter().filter(positive).collect();
            (!points.is_empty()).then(|| Series {
                name: visible(&format!("{} · {}", line.executor, line.machine)).into_owned(),
                color: PALETTE[line.color % PALETTE.len()],
                dashed: line.dashed,
                points,
            })
        })
        .collect();
    if series.is_empty() {
        return Ok(None);
    }
    let mut sizes: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
    sizes.sort_by(f64::total_cmp);
    sizes.dedup();
    let (first, last) = (sizes[0], sizes[sizes.len() - 1]);
    let x_range = if first < last { (first / 1.15, last * 1.15) } else { (first / 1.5, last * 1.5) };
    let (references, y_label) = match kind {
        ChartKind::Speedup => (
            vec![Reference {
                name: "break-even".to_owned(),
                color: GREY,
                points: vec![(x_range.0, 1.0), (x_range.1, 1.0)],
            }],
            "speedup",
        ),
        ChartKind::Efficiency => (Vec::new(), "efficiency"),
        ChartKind::Time => (Vec::new(), "time per iteration"),
        ChartKind::Memory => (Vec::new(), "memory held"),
    };
    render(&series, &references, &sizes, x_range, y_label, kind, cores, Some(&legend))
        .map(Some)
        .map_err(|err| format!("the {} chart could not be drawn: {err}", kind.name()))
}

/// The executors with pool sizes, in row order, Sequential excepted (it is a reference line).
fn executors(rows: &[Row]) -> Vec<String> {
    let mut executors: Vec<String> = Vec::new();
    for row in rows.iter().filter(|row| row.size.is_some() && !row.is_sequential()) {
        match row.executor.as_deref() {
            Some(executor) if !executors.iter().any(|e| e == executor) => {
                executors.push(executor.to_owned());
            }
            _ => {}
        }
    }
    executors
}

fn point(row: &Row, kind: ChartKind) -> Option<(f64, f64, f64, f64)> {
    let size = f64::from(row.size?);
    match kind {
        ChartKind::Time => Some((size, row.median_ns.lower, row.median_ns.point, row.median_ns.upper)),
        ChartKind::Speedup => row.speedup.map(|s| (size, s.lower, s.point, s.upper)),
        ChartKind::Efficiency => row.speedup.map(|s| (size, s.lower / size, s.point / size, s.upper / size)),
        ChartKind::Memory => held(row).map(|(held, peak)| (size, held, held, peak)),
    }
}

/// The least memory the log axis shows: 64 KiB. A configuration that holds less (a thread
/// pool's stacks untouched, or a heap that shrank) is drawn there.
const MEMORY_FLOOR: f64 = 65_536.0;

/// A row's memory held at steady state and at its peak, bytes, at least [`MEMORY_FLOOR`].
fn held(row: &Row) -> Option<(f64, f64)> {
    let memory = row.memory?;
    let floor = |bytes: i64| (bytes as f64).max(MEMORY_FLOOR);
    Some((floor(memory.held_pss_bytes()), floor(memory.peak_held_pss_bytes())))
}

/// Log axes cannot show zero or less.
fn positive(point: &(f64, f64, f64, f64)) -> bool {
    [point.0, point.1, point.2, point.3].iter().all(|value| value.is_finite() && *value > 0.0)
}

fn references(group: &Group, kind: ChartKind, cores: usize, (low, high): (f64, f64)) -> Vec<Reference> {
    // The ideal bends at the core count: include it so the line has its knee.
    let mut xs = vec![low, high];
    let cores = cores as f64;
    if low < cores && cores < high {
        xs.insert(1, cores);
    }
    let along = |f: &dyn Fn(f64) -> f64| xs.iter().map(|&x| (x, f(x))).collect::<Vec<_>>();
    match kind {
        ChartKind::Time => sequential(&group.results)
            .filter(|row| row.median_ns.point > 0.0)
            .map(|row| Reference {
                name: format!("{} (no pool)", ExecutorKind::Sequential.name()),
                color: GREY,
                points: along(&|_| row.median_ns.point),
            })
            .into_iter()
            .collect(),
        ChartKind::Speedup => vec![
            Reference { name: "ideal".to_owned(), color: BLACK, points: along(&|n| n.min(cores)) },
            Reference { name: "break-even".to_owned(), color: GREY, points: along(&|_| 1.0) },
        ],
        ChartKind::Efficiency => {
            vec![Reference { name: "ideal".to_owned(), color: BLACK, points: along(&|n| n.min(cores) / n) }]
        }
        ChartKind::Memory => sequential(&group.results)
            .and_then(held)
            .map(|(held, _)| Reference {
                name: format!("{} (no pool)", ExecutorKind::Sequential.name()),
                color: GREY,
                points: along(&|_| held),
            })
            .into_iter()
            .collect(),
    }
}

#[expect(clippy::too_many_arguments, reason = "one drawing of every part of a chart, from two callers")]
fn render(
    series: &[Series],
    references: &[Reference],
    sizes: &[f64],
    (x_low, x_high): (f64, f64),
    y_label: &str,
    kind: ChartKind,
    cores: &[usize],
    legend_entries: Option<&[(String, RGBColor, bool)]>,
) -> Result<String, Box<dyn StdError>> {
    let values = series
        .iter()
        .flat_map(|s| s.points.iter().flat_map(|p| [p.1, p.2, p.3]))
        .chain(references.iter().flat_map(|r| r.points.iter().map(|p| p.1)))
        .filter(|value| value.is_finite() && *value > 0.0);
    let (low, high) = values.fold((f64::MAX, f64::MIN), |(low, high), v| (low.min(v), high.max(v)));
    let (y_low, y_high) = if low < high { (low / 1.3, high * 1.3) } else { (low / 2.0, low * 2.0) };
    // One dotted line per core count in range: several in the merged report, one machine each.
    let mut markers: Vec<f64> =
        cores.iter().map(|&cores| cores as f64).filter(|c| (x_low..=x_high).contains(c)).collect();
    markers.sort_by(f64::total_cmp);
    markers.dedup();

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let names: Vec<&str> = match legend_entries {
            Some(entries) => entries.iter().map(|entry| entry.0.as_str()).collect(),
            None => series.iter().map(|s| s.name.as_str()).collect(),
        };
        let (plot, legend) = root.split_horizontally(SIZE.0 - legend_width(&names, references));
        let y_format = |y: &f64| match kind {
            ChartKind::Time => duration_ns(*y),
            ChartKind::Speedup => speedup(*y),
            ChartKind::Efficiency => percent(*y * 100.0),
            ChartKind::Memory => mebibytes(*y),
        };
        let y_ticks = log_ticks(y_low, y_high);
        let widest = y_ticks.iter().map(|y| y_format(y).chars().count()).max().unwrap_or(6);
        // The tick labels, a gap, and the axis's name turned on its side.
        let y_label_area = u32::try_from(widest).unwrap_or(20).min(20) * CHAR_WIDTH + FONT + 16;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(FONT * 3)
            .y_label_area_size(y_label_area)
            .build_cartesian_2d(
                (x_low..x_high).log_scale().with_key_points(sizes.to_vec()),
                (y_low..y_high).log_scale().with_key_points(y_ticks),
            )?;
        chart
            .configure_mesh()
            .x_desc("pool size")
            .y_desc(y_label)
            .label_style(("sans-serif", FONT))
            .axis_desc_style(("sans-serif", FONT))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&y_format)
            .draw()?;

        for &cores in &markers {
            chart.draw_series(DashedLineSeries::new(
                [(cores, y_low), (cores, y_high)],
                3,
                3,
                CORES.stroke_width(1),
            ))?;
        }
        for reference in references {
            let style = reference.color.stroke_width(2);
            chart.draw_series(DashedLineSeries::new(reference.points.clone(), 6, 4, style))?;
        }
        for line in series {
            let style = line.color.stroke_width(2);
            let centres = line.points.iter().map(|p| (p.0, p.2));
            if line.dashed {
                chart.draw_series(DashedLineSeries::new(centres.clone(), 6, 4, style))?;
                chart.draw_series(centres.map(|centre| Circle::new(centre, 3, line.color.filled())))?;
            } else {
                chart.draw_series(LineSeries::new(centres, style).point_size(3))?;
            }
            let bar = line.color.stroke_width(1);
            chart.draw_series(
                line.points.iter().map(|p| ErrorBar::new_vertical(p.0, p.1, p.2, p.3, bar, 8)),
            )?;
        }

        // The legend, in its own column: dashed entries first, as drawn.
        let mut entries: Vec<(String, RGBColor, bool)> = Vec::new();
        for cores in &markers {
            let plural = if *cores == 1.0 { "" } else { "s" };
            entries.push((format!("{cores} core{plural}"), CORES, true));
        }
        entries.extend(references.iter().map(|r| (r.name.clone(), r.color, true)));
        match legend_entries {
            Some(given) => entries.extend(given.iter().cloned()),
            None => entries.extend(series.iter().map(|s| (s.name.clone(), s.color, s.dashed))),
        }
        for (index, (name, color, dashed)) in entries.into_iter().enumerate() {
            let y = 24 + 22 * i32::try_from(index).unwrap_or(0);
            let segments: &[(i32, i32)] = if dashed { &[(4, 11), (16, 23)] } else { &[(4, 26)] };
            for &(from, to) in segments {
                legend.draw(&PathElement::new([(from, y), (to, y)], color.stroke_width(2)))?;
            }
            legend.draw(&Text::new(name, (32, y - 7), ("sans-serif", FONT)))?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// The width of the legend column: a line sample, a gap, and the longest name.
fn legend_width(names: &[&str], references: &[Reference]) -> u32 {
    let longest = names
        .iter()
        .map(|name| name.chars().count())
        .chain(references.iter().map(|r| r.name.chars().count()))
        .max()
        .unwrap_or(0);
    let (narrowest, widest) = LEGEND_WIDTH;
    (40 + u32::try_from(longest).unwrap_or(u32::MAX).saturating_mul(CHAR_WIDTH)).clamp(narrowest, widest)
}

/// Tick values for a log axis from `low` to `high`: the densest of the usual families (1..9,
/// 1-2-5, 1-3, 1, every other power of ten) that gives at most eight ticks, so labels never crowd;
/// the two ends when the range is too narrow to hold two of them.
fn log_ticks(low: f64, high: f64) -> Vec<f64> {
    const FAMILIES: [(&[f64], usize); 5] = [
        (&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], 1),
        (&[1.0, 2.0, 5.0], 1),
        (&[1.0, 3.0], 1),
        (&[1.0], 1),
        (&[1.0], 2),
    ];
    if !(low > 0.0 && low < high && high.is_finite()) {
        return Vec::new();
    }
    // Both are finite logarithms of positive finite numbers: the casts cannot overflow.
    let (first, last) = (low.log10().floor() as i32, high.log10().ceil() as i32);
    let mut chosen = Vec::new();
    for (family, step) in FAMILIES {
        chosen = (first..=last)
            .step_by(step)
            .flat_map(|exponent| family.iter().map(move |m| m * 10f64.powi(exponent)))
            .filter(|tick| (low..=high).contains(tick))
            .collect();
        if chosen.len() <= 8 {
            break;
        }
    }
    if chosen.len() < 2 {
        return vec![low, high];
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_stay_few_and_inside_the_range() {
        for (low, high) in [(1.0, 10.0), (0.8, 70_000.0), (44_000.0, 58_000.0), (1e-3, 1e9), (0.5, 3.0)] {
            let ticks = log_ticks(low, high);
            assert!((2..=8).contains(&ticks.len()), "{low}..{high}: {ticks:?}");
            assert!(ticks.iter().all(|tick| (low..=high).contains(tick)), "{low}..{high}: {ticks:?}");
        }
        assert!(log_ticks(0.0, 1.0).is_empty());
    }

    #[test]
    fn memory_is_charted_by_pool_size_when_the_rows_have_it_and_not_otherwise() {
        use crate::report::memory::tests::{group, row};
        let mut rows = vec![row(Source::Criterion, "Sequential", 1, 0, 0, 1.0)];
        for size in [2, 4, 8] {
            rows.push(row(Source::Criterion, "ProcessPool", size, 3 * u64::from(size), size + 1, 1.5));
            rows.push(row(Source::Criterion, "StdPool", size, 0, 0, 1.8));
        }
        let svg = draw(&group(rows.clone()), ChartKind::Memory, 2).expect("drawn").expect("a chart");
        assert!(svg.contains("memory held") && svg.contains("ProcessPool") && svg.contains("MiB"), "{svg}");
        for row in &mut rows {
            row.memory = None;
        }
        assert_eq!(draw(&group(rows), ChartKind::Memory, 2), Ok(None));
    }
}
