//! Text for Markdown: what poolbench writes into pull-request comments and `summary.md`.

/// Escapes Markdown's punctuation (CommonMark lets any ASCII punctuation be backslash-escaped),
/// so that text shows as written and `|` does not end a table cell.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '!' | '~') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `name` as inline code. Backslash escapes do not work inside a code span, so a backtick, which
/// would end it, becomes `'`.
pub(crate) fn code(name: &str) -> String {
    format!("`{}`", name.replace('`', "'"))
}
