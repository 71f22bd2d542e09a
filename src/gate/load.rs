//! Whether other programs disturbed a round: the share of the machine's CPU time that went
//! neither to the gate nor to anything it started.
//!
//! A round's window opens before its two servers start and closes after both have been stopped
//! and reaped, so every process of the round (the servers, their pools' workers, which each
//! server reaps before it exits) is counted as the gate's own by then. The window is the sweep's
//! own load window (`crate::load::Window`: one `/proc` reader, one definition of disturbed), for
//! a "benchmark" that may use every core: the others' CPU time and the hypervisor's steal, over
//! the machine's capacity. A round above [`DISTURBANCE_THRESHOLD`] is dropped, counted, and
//! measured again.
//!
//! A pool's workers may outlive the server that started them by a few milliseconds (a pool's drop
//! tells them to stop and a background thread reaps them), so they are orphaned to `init` and
//! their CPU time would pass for another program's. So the gate makes itself the child
//! subreaper of its descendants ([`adopt_orphans`]): orphans become its children, and a window
//! reaps them (for at most [`ORPHAN_WAIT`]) before it closes, so their time is the gate's own.
//!
//! It is measured from the driver's side, round by round: it needs nothing from the servers, so
//! it works with any base that has serve mode.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a closing window waits for adopted orphans to exit.
pub const ORPHAN_WAIT: Duration = Duration::from_millis(50);

static ADOPTING: AtomicBool = AtomicBool::new(false);

/// Makes this process the subreaper of its descendants (`prctl(PR_SET_CHILD_SUBREAPER)`), so
/// that windows can reap orphaned pool workers; returns whether it could.
///
/// A window then reaps *any* child that has exited when it closes: call it only in a process
/// whose other children nobody else waits for (the `poolbench` command line).
pub fn adopt_orphans() -> bool {
    // SAFETY: prctl with integer arguments changes only this process's own attribute.
    let adopted = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } == 0;
    ADOPTING.store(adopted, Ordering::Relaxed);
    adopted
}

/// Reaps exited children (adopted orphans) until none is left or [`ORPHAN_WAIT`] has passed.
fn reap_orphans() {
    if !ADOPTING.load(Ordering::Relaxed) {
        return;
    }
    let deadline = Instant::now() + ORPHAN_WAIT;
    loop {
        let mut status = 0;
        // SAFETY: waitpid with a valid pointer to an int.
        let reaped = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if reaped > 0 {
            continue;
        }
        // 0: children left, none exited yet; below 0: no children at all.
        if reaped < 0 || Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The others' share above which a round is disturbed: the quiet-machine verdict's own threshold
/// (more than 15% of the cores taken by other programs and the hypervisor), one constant for both.
pub use crate::load::DISTURBANCE_THRESHOLD;

/// One round's window: the load window of the sweep, over every core.
#[derive(Debug)]
pub(crate) struct Window {
    window: crate::load::Window,
}

impl Window {
    /// Opens a window now.
    ///
    /// # Errors
    ///
    /// When `/proc` or `getrusage` cannot be read (not Linux, `/proc` not mounted).
    pub fn open() -> io::Result<Window> {
        Ok(Window { window: crate::load::Window::start()? })
    }

    /// The others' share of the machine since the window opened, from 0 to 1 (the load's
    /// disturbance for a round that may use every core); call it once the round's processes have
    /// been reaped.
    ///
    /// # Errors
    ///
    /// As [`Window::open`].
    pub fn others_share(mut self) -> io::Result<f64> {
        reap_orphans();
        self.window.mark()?;
        let every_core = u32::MAX;
        Ok(self.window.load(every_core).map_or(0.0, |load| load.disturbance))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_over_this_process_reads_the_machine_and_counts_its_own_spinning_as_its_own() {
        let window = Window::open().expect("/proc/stat and getrusage on Linux");
        let until = Instant::now() + Duration::from_millis(200);
        while Instant::now() < until {
            std::hint::black_box(0u64);
        }
        let share = window.others_share().expect("read again");
        assert!((0.0..=1.0).contains(&share), "{share}");
    }
}
