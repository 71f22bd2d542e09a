//! Writing files so that a reader never sees half of one: each file goes to a temporary name in
//! its own directory and is renamed into place, and a set of files ([`Staged`]) is renamed
//! together once every one of them has been written.
//!
//! The temporary files are `tempfile`'s, which creates them readable by their owner only; a
//! report is meant to be shared (served by CI, attached to a run), so each gets the permissions a
//! plain `File::create` would have given it, `0o666` less the process's umask.

use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Files written under temporary names, renamed into place by [`commit`](Staged::commit), and
/// removed if dropped before it.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    files: Vec<(NamedTempFile, PathBuf)>,
}

impl Staged {
    /// Writes `bytes` to a temporary file beside `path`.
    ///
    /// # Errors
    ///
    /// The temporary file cannot be created or written; nothing is left behind.
    pub(crate) fn add(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut file = NamedTempFile::new_in(dir)?;
        file.write_all(bytes)?;
        file.as_file().set_permissions(std::fs::Permissions::from_mode(0o666 & !umask()))?;
        self.files.push((file, path.to_owned()));
        Ok(())
    }

    /// Renames every file into place, in the order added.
    ///
    /// # Errors
    ///
    /// The path whose rename failed, with the reason; the files not renamed yet are removed.
    pub(crate) fn commit(self) -> Result<(), (PathBuf, io::Error)> {
        for (file, path) in self.files {
            file.persist(&path).map_err(|err| (path, err.error))?;
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` through a temporary file renamed into place.
///
/// # Errors
///
/// As [`Staged::add`] and [`Staged::commit`].
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut staged = Staged::default();
    staged.add(path, bytes)?;
    staged.commit().map_err(|(_, err)| err)
}

/// The process's umask, read from `/proc/self/status` (Linux 4.7 and later), since `umask(2)`
/// can only be read by setting it, which races with other threads creating files; `0o022`, the
/// common default, where it cannot be read.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("Umask:"))?;
            u32::from_str_radix(line.split_whitespace().nth(1)?, 8).ok()
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_appear_together_with_shareable_permissions_and_leave_no_temporary() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
        let mut staged = Staged::default();
        staged.add(&a, b"first").expect("staged");
        staged.add(&b, b"second").expect("staged");
        assert!(!a.exists() && !b.exists(), "nothing is in place before the commit");
        staged.commit().expect("committed");
        assert_eq!(std::fs::read(&a).expect("a"), b"first");
        assert_eq!(std::fs::read(&b).expect("b"), b"second");
        let mode = std::fs::metadata(&a).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask());
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("listed").collect();
        assert_eq!(names.len(), 2, "only the two files: {names:?}");
    }

    #[test]
    fn staged_files_dropped_before_the_commit_are_removed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut staged = Staged::default();
        staged.add(&dir.path().join("a.txt"), b"x").expect("staged");
        drop(staged);
        assert_eq!(std::fs::read_dir(dir.path()).expect("listed").count(), 0);
    }
}
