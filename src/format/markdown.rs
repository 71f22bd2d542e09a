//! Text for Markdown: what poolbench writes into pull-request comments and `summary.md`.

use super::visible;

/// Escapes Markdown's punctuation (CommonMark lets any ASCII punctuation be backslash-escaped),
/// so that text shows as written and `|` does not end a table cell; control and bidirectional
/// characters, which would end a line or reorder it, are made [`visible`] first.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in visible(text).chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '!' | '~') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `name` as inline code, [`visible`]. Backslash escapes do not work inside a code span, so a
/// backtick, which would end it, becomes `'`.
pub(crate) fn code(name: &str) -> String {
    format!("`{}`", visible(name).replace('`', "'"))
}
