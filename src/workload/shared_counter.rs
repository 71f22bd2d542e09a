//! A counter in shared memory that worker processes increment: exercise 5's
//! `multiprocessing.Value`, done the way it can be done safely.
//!
//! The counter is an `AtomicU64` at the start of a small file on a memory file system
//! (`/dev/shm` where there is one), mapped `MAP_SHARED` by every process that uses it. That is
//! safe because every access, in every process, goes through the atomic: the mapping is page
//! aligned, the file is never shrunk while mapped, and a 64-bit atomic is lock-free on the
//! platforms poolbench runs on, so atomicity holds across processes, not only across threads.
//! Python's `Value` instead takes a lock for every `+=`.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::{Workload, WorkloadError};

const LEN: usize = 4096;

/// Adds its input to the shared counter at `path`, one atomic increment at a time, and returns
/// how many increments it made. Create the counter with [`SharedCounterFile::create`]. Each
/// worker maps the file once, in its [`setup`](Workload::setup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedCounter {
    /// The counter's file.
    pub path: PathBuf,
}

/// A worker's mapping of the counter's file, the [`SharedCounter`]'s per-worker state; unmapped
/// on drop.
pub struct CounterMapping {
    address: *mut libc::c_void,
}

// SAFETY: the mapping is only ever read or written through the `AtomicU64` that `counter` hands
// out, which is safe to share and to use from any thread; the address itself is never written.
unsafe impl Send for CounterMapping {}
// SAFETY: as above.
unsafe impl Sync for CounterMapping {}

impl CounterMapping {
    fn new(file: &File) -> io::Result<Self> {
        // SAFETY: mapping LEN bytes of a file at least LEN long, shared, at an address the kernel
        // chooses; failure is checked.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(CounterMapping { address })
    }

    fn counter(&self) -> &AtomicU64 {
        // SAFETY: the mapping is page aligned (so aligned for u64), LEN >= 8 bytes long, lives as
        // long as `self`, and is only ever accessed through this atomic, here and in every other
        // process mapping the file.
        unsafe { AtomicU64::from_ptr(self.address.cast()) }
    }
}

impl Drop for CounterMapping {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what new() mapped; no reference from counter() outlives self.
        unsafe { libc::munmap(self.address, LEN) };
    }
}

fn open(path: &Path) -> io::Result<CounterMapping> {
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    if file.metadata()?.len() < LEN as u64 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the file is too short to be a poolbench shared counter",
        ));
    }
    CounterMapping::new(&file)
}

impl Workload for SharedCounter {
    type Input = u64;
    type Output = u64;
    type State = CounterMapping;

    fn name(&self) -> &str {
        "shared-counter"
    }

    fn setup(&self) -> Result<CounterMapping, WorkloadError> {
        open(&self.path).map_err(|err| {
            WorkloadError::new(format!(
                "cannot map the shared counter {}: {err}; create it with SharedCounterFile::create",
                self.path.display()
            ))
        })
    }

    fn run(&self, mapping: &CounterMapping, increments: &u64) -> Result<u64, WorkloadError> {
        let counter = mapping.counter();
        for _ in 0..*increments {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        Ok(*increments)
    }

    fn reference(&self, increments: &u64) -> Option<Result<u64, WorkloadError>> {
        Some(Ok(*increments))
    }
}

/// The owner of a shared counter: creates its file, reads it, and removes the file on drop.
pub struct SharedCounterFile {
    path: PathBuf,
    mapping: CounterMapping,
}

impl std::fmt::Debug for SharedCounterFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedCounterFile").field("path", &self.path).field("value", &self.value()).finish()
    }
}

impl SharedCounterFile {
    /// Creates a zeroed counter in `/dev/shm` if this system has it, else in the temporary
    /// directory.
    ///
    /// # Errors
    ///
    /// The file could not be created, sized or mapped; the error names it.
    pub fn create() -> io::Result<Self> {
        let dir = Path::new("/dev/shm");
        let dir = if dir.is_dir() { dir.to_path_buf() } else { std::env::temp_dir() };
        let path = dir.join(format!("poolbench-counter-{}-{}", std::process::id(), fastrand::u64(..)));
        let with_path =
            |err: io::Error| io::Error::new(err.kind(), format!("shared counter {}: {err}", path.display()));
        let file =
            OpenOptions::new().read(true).write(true).create_new(true).open(&path).map_err(with_path)?;
        let counter = file.set_len(LEN as u64).and_then(|()| CounterMapping::new(&file)).map_err(with_path);
        match counter {
            Ok(mapping) => Ok(SharedCounterFile { path, mapping }),
            Err(err) => {
                let _ = std::fs::remove_file(&path);
                Err(err)
            }
        }
    }

    /// The workload that increments this counter.
    pub fn workload(&self) -> SharedCounter {
        SharedCounter { path: self.path.clone() }
    }

    /// The counter's value now.
    pub fn value(&self) -> u64 {
        self.mapping.counter().load(Ordering::SeqCst)
    }

    /// Sets the counter back to zero.
    pub fn reset(&self) {
        self.mapping.counter().store(0, Ordering::SeqCst);
    }
}

impl Drop for SharedCounterFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_sharing_the_file_lose_no_increment_and_the_file_goes_with_its_owner() {
        let counter = SharedCounterFile::create().unwrap();
        let workload = counter.workload();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    let mapping = workload.setup().expect("the counter maps");
                    assert_eq!(workload.run(&mapping, &2_500), Ok(2_500));
                });
            }
        });
        assert_eq!(counter.value(), 10_000);
        counter.reset();
        assert_eq!(counter.value(), 0);
        let path = workload.path.clone();
        drop(counter);
        assert!(!path.exists());
        let err = workload.setup().err().expect("a removed counter does not map");
        assert!(err.message().contains(&path.display().to_string()), "{err}");
    }
}
