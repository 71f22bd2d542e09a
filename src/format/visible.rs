//! Text from outside (benchmark ids, executor names, reasons, paths) made safe to show: a
//! character that would change how the text around it reads, if written raw, is written as an
//! escape instead.
//!
//! A newline or a carriage return in a benchmark id would end a Markdown heading or table row
//! early; NUL and the other control characters are invisible or worse in a terminal, a browser
//! or an editor; and the bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and its kin) make
//! a name display as another (`exe.txt` shown for `txt.exe`). HTML and Markdown escaping handle
//! none of these, so both renderers pass every such text through [`visible`] first.

use std::borrow::Cow;

/// Whether `c` changes how text reads without being seen: a control character (C0, DEL, C1),
/// a line or paragraph separator, or a bidirectional formatting character.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `text` with each hidden character written as a Rust-style escape: `\n`, `\r`, `\t`, `\0`,
/// else `\u{202e}`; borrowed when there is none.
pub(crate) fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            '\0' => shown.push_str("\\0"),
            c if is_hidden(c) => shown.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidirectional_characters_are_written_as_escapes() {
        assert_eq!(visible("pools/squares-10"), "pools/squares-10");
        assert!(matches!(visible("Rayon"), Cow::Borrowed(_)));
        assert_eq!(visible("a\nb\rc\td\0e"), "a\\nb\\rc\\td\\0e");
        assert_eq!(visible("txt\u{202e}exe"), "txt\\u{202e}exe");
        assert_eq!(visible("\u{1b}[31m\u{7f}\u{85}"), "\\u{1b}[31m\\u{7f}\\u{85}");
        assert_eq!(visible("\u{2066}\u{2069}\u{200f}\u{2028}"), "\\u{2066}\\u{2069}\\u{200f}\\u{2028}");
        assert_eq!(visible("µs – ×"), "µs – ×");
    }
}
