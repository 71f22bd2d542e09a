//! Aligned columns for a terminal: the tables of `poolbench compare` and `poolbench gate`.

use std::fmt::Write as _;

/// `rows` under `headings`, each column as wide as its widest cell, two spaces apart, numbers
/// (`numeric[column]`) aligned right; one line per row, trailing spaces trimmed.
pub(crate) fn aligned(headings: &[String], numeric: &[bool], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..headings.len())
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .chain([headings[column].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in std::iter::once(headings).chain(rows.iter().map(Vec::as_slice)) {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            let pad = widths.get(column).map_or(0, |width| width.saturating_sub(cell.chars().count()));
            if numeric.get(column).copied().unwrap_or(false) {
                let _ = write!(line, "{}{cell}  ", " ".repeat(pad));
            } else {
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            }
        }
        let _ = writeln!(text, "{}", line.trim_end());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_their_widest_cell_and_numbers_align_right() {
        let headings = vec!["name".to_owned(), "time".to_owned()];
        let rows =
            vec![vec!["a".to_owned(), "1.5 ms".to_owned()], vec!["longer".to_owned(), "12 µs".to_owned()]];
        assert_eq!(
            aligned(&headings, &[false, true], &rows),
            "name      time\na       1.5 ms\nlonger   12 µs\n"
        );
    }
}
