//! Like with like: whether two runs come from the same machine.
//!
//! Absolute times from two machines differ by the machines, not the code: a faster CPU, more
//! cores, another kernel's scheduler. The fingerprint is what changes a time without changing
//! the code: the core count, the CPU model, the architecture, the OS and kernel release. The
//! compiler is left out on purpose: a new rustc is a change under test, like a code change, and
//! base and head built by different toolchains on one runner should be compared absolutely.

use crate::schema::Machine;

/// What differs between two machines that would change absolute times, as `field: base → new`.
/// Empty for the same machine.
pub fn differences(base: &Machine, new: &Machine) -> Vec<String> {
    let mut differences = Vec::new();
    let mut compare = |field: &str, base: String, new: String| {
        if base != new {
            differences.push(format!("{field}: {base} → {new}"));
        }
    };
    compare("cores", base.cores.to_string(), new.cores.to_string());
    compare("cpu", base.cpu_model.clone(), new.cpu_model.clone());
    compare("arch", base.arch.clone(), new.arch.clone());
    compare("os", base.os.clone(), new.os.clone());
    differences
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_changes_times_makes_machines_differ() {
        let base = Machine::detect();
        let mut new = base.clone();
        new.rustc = "rustc 9.99.0".to_owned();
        new.date = "2000-01-01T00:00:00Z".to_owned();
        new.git = None;
        assert!(differences(&base, &new).is_empty());
        new.cores = base.cores + 2;
        new.cpu_model = "Another CPU".to_owned();
        let found = differences(&base, &new);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("cores: ") && found[1].ends_with("→ Another CPU"), "{found:?}");
    }
}
