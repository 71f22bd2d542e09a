//! Links from the report into Criterion's own pages.
//!
//! The page links relatively (from the report's directory to the Criterion directory), so that
//! the two can be moved or archived together and still work, and no absolute path of the machine
//! that ran the benchmarks leaks into a shared report.

use std::path::{Component, Path};

/// The relative URL from directory `from` to directory `to`, ending in `/` (or empty when they are
/// the same); `None` when either cannot be resolved or no relative path exists between them.
pub fn relative_href(from: &Path, to: &Path) -> Option<String> {
    let from = from.canonicalize().ok()?;
    let to = to.canonicalize().ok()?;
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    // Different roots (two Windows drives) have no relative path.
    if from.first() != to.first() {
        return None;
    }
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut href = "../".repeat(from.len() - common);
    for component in &to[common..] {
        href.push_str(&encode_segment(&component.as_os_str().to_string_lossy()));
        href.push('/');
    }
    Some(href)
}

/// A `/`-separated relative path with each segment percent-encoded, ready for an `href`:
/// Criterion's directory names keep characters such as `&`, `#`, `%` and spaces.
pub fn encode_path(path: &str) -> String {
    path.split('/').map(encode_segment).collect::<Vec<_>>().join("/")
}

fn encode_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(char::from(byte))
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded_segment_by_segment() {
        assert_eq!(
            encode_path("pools_squares-10/Rayon/2/report/index.html"),
            "pools_squares-10/Rayon/2/report/index.html"
        );
        assert_eq!(encode_path("weird__script_&/a b/100%/x#y"), "weird__script_%26/a%20b/100%25/x%23y");
        assert_eq!(encode_path("µ"), "%C2%B5");
    }

    #[test]
    fn the_href_climbs_out_of_the_report_and_into_criterion() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let out = root.path().join("reports").join("latest");
        let criterion = root.path().join("target").join("criterion");
        std::fs::create_dir_all(&out).expect("create out");
        std::fs::create_dir_all(&criterion).expect("create criterion");
        assert_eq!(relative_href(&out, &criterion).as_deref(), Some("../../target/criterion/"));
        assert_eq!(relative_href(&criterion, &criterion).as_deref(), Some(""));
        assert_eq!(relative_href(&out, &root.path().join("missing")), None);
    }
}
