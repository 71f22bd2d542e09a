//! Where a long run is: one line on stderr as each group ends, between Criterion's benchmarks, so
//! that nothing Criterion prints (on stdout) is cut or reordered.
//!
//! [`Main`](super::Main) first counts the run's benchmarks by running this same program with the
//! run's own arguments and `--list` (so Criterion's filter counts as Criterion applies it); each
//! group that ran a benchmark then says how many are done, how long they took, and about how long
//! the rest will take at the pace so far. Without a count (the listing failed) the line says what
//! is done only. Groups run outside a `Main` (a bench of Criterion's own `criterion_main!`) say
//! nothing.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the listing may take: it starts nothing (a benchmark sets itself up only when it
/// runs), so about 10 ms; a listing still going after this is stopped.
const LIST_TIMEOUT: Duration = Duration::from_secs(30);

/// The count of a run's benchmarks, kept in [`super::run`].
#[derive(Debug)]
pub(crate) struct Progress {
    total: Option<usize>,
    done: usize,
    started: Instant,
}

/// Starts counting: `total` benchmarks to run, when known.
pub(crate) fn start(total: Option<usize>) {
    let progress = Progress { total: total.filter(|&total| total > 0), done: 0, started: Instant::now() };
    super::run::with(|run| run.progress = Some(progress));
}

/// Stops counting: groups that run after (the re-measurements) say nothing.
pub(crate) fn stop() {
    super::run::with(|run| run.progress = None);
}

/// The group `group` ran `ran` benchmarks: its line, when counting and it ran any.
pub(crate) fn group_done(group: &str, ran: usize) {
    let said = super::run::with(|run| {
        let progress = run.progress.as_mut().filter(|_| ran > 0)?;
        progress.done += ran;
        Some(line(group, progress.done, progress.total, progress.started.elapsed()))
    });
    if let Some(said) = said {
        eprintln!("{said}");
    }
}

/// `poolbench: pools/cpu-spin done; 63 of 216 benchmarks in 3 min 10 s, about 6 min 30 s to go`.
fn line(group: &str, done: usize, total: Option<usize>, elapsed: Duration) -> String {
    let so_far = format!("in {}", duration(elapsed));
    match total {
        Some(total) if done < total => {
            let left = elapsed.mul_f64((total - done) as f64 / done as f64);
            format!(
                "poolbench: {group} done; {done} of {total} benchmarks {so_far}, about {} to go",
                duration(left)
            )
        }
        Some(total) => format!("poolbench: {group} done; {done} of {total} benchmarks {so_far}"),
        None => format!("poolbench: {group} done; {done} benchmarks {so_far}"),
    }
}

/// A duration for people: `42 s`, `3 min 10 s` (to the 10 s above a minute), `1 h 5 min`.
pub(crate) fn duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64().round() as u64;
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => {
            let tens = (seconds + 5) / 10 * 10;
            match tens % 60 {
                0 => format!("{} min", tens / 60),
                rest => format!("{} min {rest} s", tens / 60),
            }
        }
        _ => format!("{} h {} min", seconds / 3600, (seconds % 3600 + 30) / 60),
    }
}

/// How many benchmarks this run will measure: this program run again with the run's arguments and
/// `--list`, its `<id>: benchmark` lines counted.
///
/// # Errors
///
/// Why there is no count: the program cannot be found or run, the listing failed or took longer
/// than [`LIST_TIMEOUT`].
pub(crate) fn count_benchmarks() -> Result<usize, String> {
    let program = std::env::current_exe().map_err(|err| format!("cannot find this program: {err}"))?;
    let mut child = Command::new(&program)
        .args(std::env::args_os().skip(1))
        .arg("--list")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| format!("cannot run {} --list: {err}", program.display()))?;
    let mut stdout = child.stdout.take().ok_or("the listing has no stdout")?;
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = send.send(stdout.read_to_string(&mut text).map(|_| text));
    });
    let listed = receive.recv_timeout(LIST_TIMEOUT);
    if listed.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|err| format!("the listing cannot be waited for: {err}"))?;
    let text = match listed {
        Ok(Ok(text)) if status.success() => text,
        Ok(Ok(_)) => return Err(format!("the listing failed ({status})")),
        Ok(Err(err)) => return Err(format!("the listing cannot be read: {err}")),
        Err(_) => return Err(format!("the listing took over {}", self::duration(LIST_TIMEOUT))),
    };
    Ok(text.lines().filter(|line| line.ends_with(": benchmark")).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_what_is_done_and_about_how_long_the_rest_takes() {
        let minute = Duration::from_secs(60);
        assert_eq!(
            line("pools/cpu-spin", 50, Some(200), minute * 2),
            "poolbench: pools/cpu-spin done; 50 of 200 benchmarks in 2 min, about 6 min to go"
        );
        assert_eq!(line("g", 3, Some(3), minute), "poolbench: g done; 3 of 3 benchmarks in 1 min");
        assert_eq!(line("g", 4, Some(3), minute), "poolbench: g done; 4 of 3 benchmarks in 1 min");
        assert_eq!(line("g", 3, None, Duration::from_secs(42)), "poolbench: g done; 3 benchmarks in 42 s");
    }

    #[test]
    fn durations_read_at_a_glance() {
        let seconds = Duration::from_secs;
        assert_eq!(duration(seconds(0)), "0 s");
        assert_eq!(duration(seconds(59)), "59 s");
        assert_eq!(duration(seconds(190)), "3 min 10 s");
        assert_eq!(duration(seconds(194)), "3 min 10 s");
        assert_eq!(duration(seconds(3599)), "60 min");
        assert_eq!(duration(seconds(3900)), "1 h 5 min");
    }
}
