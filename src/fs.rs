//! Files as poolbench reads and writes them.
//!
//! Reading a file that poolbench did not write ([`read_regular_file`]) opens it without following
//! a symbolic link and without blocking (`O_NOFOLLOW | O_NONBLOCK`), then checks what was opened
//! (`fstat` on the descriptor, so nothing can be swapped in between a check and the open): only
//! a regular file is read, and no more than a stated number of bytes. A link to `/dev/zero` would
//! otherwise be read until memory runs out, and a FIFO would block the reader forever.
//!
//! Writing so that a reader never sees half of a file: each file goes to a temporary name in
//! its own directory and is renamed into place, and a set of files ([`Staged`]) is renamed
//! together once every one of them has been written.
//!
//! Writers that may run at once (two `poolbench report` into one directory, two bench runs
//! appending to one history) take a [`Lock`] around what must not interleave: `flock(2)`, held
//! until the lock is dropped. flock rather than `fcntl` record locks, because an flock belongs to
//! the open file description: two opens in one process (two threads writing reports) exclude each
//! other, and closing another descriptor of the same file does not drop it, as it would a POSIX
//! lock. Called through `libc`, already a dependency, for one call: `std::fs::File::lock` needs
//! Rust 1.89, above this crate's 1.85, and `fs4` or `fd-lock` would add a crate for it.
//!
//! The temporary files are `tempfile`'s, which creates them readable by their owner only; a
//! report is meant to be shared (served by CI, attached to a run), so each gets the permissions a
//! plain `File::create` would have given it, `0o666` less the process's umask.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Why [`read_regular_file`] read nothing: a phrase that follows "cannot be read: ".
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("it is a symbolic link, which is not followed: only regular files are read")]
    Symlink,
    #[error("it is a {0}, not a regular file: only regular files are read")]
    NotRegular(&'static str),
    #[error("it is {size} bytes, over the limit of {limit} bytes per file")]
    TooLarge { size: u64, limit: u64 },
    #[error("it grew past the limit of {limit} bytes per file while being read")]
    Grew { limit: u64 },
    #[error("{0}")]
    Io(io::Error),
}

impl ReadError {
    /// As an I/O error, for callers whose errors hold one; a failed open or read stays itself,
    /// so that [`io::ErrorKind::NotFound`] is still seen as such.
    pub(crate) fn into_io(self) -> io::Error {
        match self {
            ReadError::Io(err) => err,
            refused => io::Error::new(io::ErrorKind::InvalidData, refused),
        }
    }
}

/// The contents of the regular file at `path`, at most `limit` bytes of them.
///
/// # Errors
///
/// [`ReadError`]: `path` is a symbolic link, not a regular file (a FIFO, a device, a directory),
/// larger than `limit`, or cannot be opened or read.
pub(crate) fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file =
        OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path).map_err(
            |err| {
                // ELOOP is also "too many links" further up the path: only a link at the end is one.
                let is_link = path.symlink_metadata().is_ok_and(|metadata| metadata.file_type().is_symlink());
                if err.raw_os_error() == Some(libc::ELOOP) && is_link {
                    ReadError::Symlink
                } else {
                    ReadError::Io(err)
                }
            },
        )?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    let file_type = metadata.file_type();
    if !file_type.is_file() {
        let kind = if file_type.is_dir() {
            "directory"
        } else if file_type.is_fifo() {
            "FIFO"
        } else if file_type.is_char_device() {
            "character device"
        } else if file_type.is_block_device() {
            "block device"
        } else if file_type.is_socket() {
            "socket"
        } else {
            "special file"
        };
        return Err(ReadError::NotRegular(kind));
    }
    if metadata.len() > limit {
        return Err(ReadError::TooLarge { size: metadata.len(), limit });
    }
    read_at_most(file, metadata.len(), limit)
}

/// Reads `file`, `expected` bytes long when it was looked at, refusing more than `limit`: a file
/// still being written can grow between the look and the read.
fn read_at_most(file: File, expected: u64, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::Grew { limit });
    }
    Ok(bytes)
}

/// An `flock(2)` held on an open file until dropped (closing the file releases it).
#[derive(Debug)]
pub(crate) struct Lock {
    file: File,
}

impl Lock {
    /// Waits for an exclusive lock on `file`: no other lock, shared or exclusive, is held.
    ///
    /// # Errors
    ///
    /// `flock` fails (a file system without locks).
    pub(crate) fn exclusive(file: File) -> io::Result<Lock> {
        Lock::take(file, libc::LOCK_EX)
    }

    /// Waits for a shared lock on `file`: no exclusive lock is held.
    ///
    /// # Errors
    ///
    /// As [`exclusive`](Lock::exclusive).
    pub(crate) fn shared(file: File) -> io::Result<Lock> {
        Lock::take(file, libc::LOCK_SH)
    }

    /// Locks the file `path`, creating it if needed (an empty file that only serves as the
    /// lock: over NFS an exclusive flock needs a file open for writing, which a directory is not).
    ///
    /// # Errors
    ///
    /// The file cannot be created or opened, or `flock` fails.
    pub(crate) fn exclusive_on(path: &Path) -> io::Result<Lock> {
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        Lock::exclusive(file)
    }

    /// The locked file.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    fn take(file: File, operation: libc::c_int) -> io::Result<Lock> {
        loop {
            // SAFETY: flock only reads the descriptor, which `file` owns and keeps open.
            if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), operation) } == 0 {
                return Ok(Lock { file });
            }
            let err = io::Error::last_os_error();
            // A signal interrupts the wait, not the need for the lock.
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }
}

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
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("file.json");
        std::fs::write(&file, b"12345").expect("written");
        assert_eq!(read_regular_file(&file, 5).expect("read"), b"12345");
        let err = read_regular_file(&file, 4).expect_err("too large");
        assert_eq!(err.to_string(), "it is 5 bytes, over the limit of 4 bytes per file");

        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&file, &link).expect("a link");
        assert!(matches!(read_regular_file(&link, 5), Err(ReadError::Symlink)));
        let fifo = dir.path().join("fifo.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(made.success(), "mkfifo: {made}");
        assert!(matches!(read_regular_file(&fifo, 5), Err(ReadError::NotRegular("FIFO"))));
        assert!(matches!(read_regular_file(dir.path(), 5), Err(ReadError::NotRegular("directory"))));
        let missing = read_regular_file(&dir.path().join("missing.json"), 5).expect_err("missing");
        assert_eq!(missing.into_io().kind(), io::ErrorKind::NotFound);

        // A file that grew after it was looked at is cut off at the limit, not read to its end.
        let opened = File::open(&file).expect("opened");
        assert!(matches!(read_at_most(opened, 0, 3), Err(ReadError::Grew { limit: 3 })));
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
