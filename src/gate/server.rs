//! The driver's side of serve mode ([`crate::bench::serve`] specifies the protocol): one bench
//! binary started for one benchmark, asked to time slots, and stopped.
//!
//! As rebar's runner does, the driver writes the server's standard input from its own thread
//! and reads standard output and standard error on one thread each, so neither side can block
//! the other; every wait has a timeout, and a server that misses one is killed. A [`Server`]
//! dropped without [`Server::stop`] is killed and reaped too: no process outlives the gate.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bench::serve::{HELLO, MAX_LINE, PROTOCOL_VERSION};
use crate::env::SERVE;

/// How much of a server's standard error is kept for an error message.
const STDERR_TAIL_BYTES: usize = 4096;

/// How a server is started: the program, and what its environment adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Launch {
    /// The bench binary.
    pub program: std::path::PathBuf,
    /// Variables added to the gate's own environment (the head's `--head-env`, the scratch
    /// Criterion directory).
    pub env: Vec<(String, String)>,
}

/// Why a server could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Its first line was not a hello: the program predates serve mode (or is not a poolbench
    /// bench). Holds the line.
    NoServeMode(String),
    /// It ended, or broke the protocol, before its hello or an answer: the message says how,
    /// with the tail of its standard error.
    Broken(String),
}

impl Failure {
    /// The message for people.
    pub fn message(&self) -> String {
        match self {
            Failure::NoServeMode(line) => format!(
                "it answered {line:?} instead of a `{HELLO}` hello: the program predates serve mode, or is \
                 not a bench built on poolbench::bench::Main"
            ),
            Failure::Broken(message) => message.clone(),
        }
    }
}

enum Line {
    Text(String),
    End,
    Error(String),
}

/// A running server.
pub(crate) struct Server {
    id: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    /// The thread keeping the tail of stderr: a message about a server that ended waits (a
    /// little) for it to read the last of it, or the reason the server gave is lost.
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

/// How long a message about a server that ended waits for the rest of its stderr.
const STDERR_DRAIN: Duration = Duration::from_secs(1);

impl Server {
    /// Starts `launch`'s program serving `id`, and waits up to `timeout` for its hello (the
    /// set-up, pool start and answer check included).
    ///
    /// # Errors
    ///
    /// [`Failure::NoServeMode`] when its first line is not a hello; [`Failure::Broken`] when it
    /// cannot be started, ends first, or misses the timeout (it is then killed).
    pub fn start(launch: &Launch, id: &str, timeout: Duration) -> Result<Server, Failure> {
        let mut command = Command::new(&launch.program);
        // A binary that predates serve mode ignores POOLBENCH_SERVE: given `--list`, it lists its
        // benchmarks (a first line that is no hello) instead of running them all.
        command
            .args(["--bench", "--list"])
            .env(SERVE, id)
            .envs(launch.env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|err| Failure::Broken(format!("cannot start {}: {err}", launch.program.display())))?;
        let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let (Some(stdin), Some(stdout), Some(stderr)) = (stdin, stdout, stderr) else {
            kill(&mut child);
            return Err(Failure::Broken("the server's pipes were not created".to_owned()));
        };
        let (sender, lines) = mpsc::channel();
        std::thread::Builder::new()
            .name("gate-stdout".to_owned())
            .spawn(move || read_lines(stdout, &sender))
            .map_err(|err| Failure::Broken(format!("cannot start a thread to read the server: {err}")))?;
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL_BYTES)));
        let writer = Arc::clone(&tail);
        let stderr_reader = std::thread::Builder::new()
            .name("gate-stderr".to_owned())
            .spawn(move || keep_tail(stderr, &writer))
            .map_err(|err| Failure::Broken(format!("cannot start a thread to read the server: {err}")))?;
        let mut server = Server {
            id: id.to_owned(),
            child,
            stdin: Some(stdin),
            lines,
            stderr: tail,
            stderr_reader: Some(stderr_reader),
        };
        let hello = server.line(timeout, "its hello")?;
        let expected = format!("{HELLO} {PROTOCOL_VERSION} {id}");
        if hello != expected {
            server.kill();
            return Err(if hello.starts_with(HELLO) {
                Failure::Broken(format!("it said {hello:?}; this gate speaks {expected:?}"))
            } else {
                Failure::NoServeMode(hello)
            });
        }
        Ok(server)
    }

    /// Times `iterations` of the benchmark, waiting up to `timeout`.
    ///
    /// # Errors
    ///
    /// [`Failure::Broken`] when the server cannot be written to, ends, answers something other
    /// than a number, or misses the timeout (it is then killed).
    pub fn time(&mut self, iterations: u64, timeout: Duration) -> Result<Duration, Failure> {
        let written = match self.stdin.as_mut() {
            Some(stdin) => writeln!(stdin, "{iterations}").and_then(|()| stdin.flush()),
            None => Err(std::io::Error::other("its input is closed")),
        };
        if let Err(err) = written {
            let message = format!("cannot send it a request: {err}");
            return Err(self.broken(&message));
        }
        let answer = self.line(timeout, "an answer")?;
        let nanoseconds = answer.split(' ').next().unwrap_or_default();
        match nanoseconds.parse::<u64>() {
            Ok(ns) => Ok(Duration::from_nanos(ns)),
            Err(_) => {
                let message = format!("it answered {answer:?} where a number of nanoseconds was due");
                Err(self.broken(&message))
            }
        }
    }

    /// Closes the server's input and waits up to `timeout` for it to exit (its pool stopped),
    /// killing it if it does not.
    ///
    /// # Errors
    ///
    /// [`Failure::Broken`] when it exits with a failure status or must be killed.
    pub fn stop(mut self, timeout: Duration) -> Result<(), Failure> {
        drop(self.stdin.take());
        match wait(&mut self.child, timeout) {
            Some(status) if status.success() => Ok(()),
            Some(status) => Err(Failure::Broken(format!(
                "{} exited with {status} when stopped{}",
                self.id,
                self.stderr_note()
            ))),
            None => {
                self.kill();
                Err(Failure::Broken(format!("{} did not exit within {timeout:?} of being stopped", self.id)))
            }
        }
    }

    /// The next line, waiting up to `timeout`.
    fn line(&mut self, timeout: Duration, what: &str) -> Result<String, Failure> {
        match self.lines.recv_timeout(timeout) {
            Ok(Line::Text(text)) => Ok(text),
            Ok(Line::Error(err)) => Err(self.broken(&format!("cannot read {what}: {err}"))),
            Ok(Line::End) | Err(RecvTimeoutError::Disconnected) => {
                // It closed its output: give it a moment to exit, for its status.
                let status = wait(&mut self.child, Duration::from_secs(2));
                let how = status
                    .map_or_else(|| "closed its output".to_owned(), |status| format!("exited with {status}"));
                Err(self.broken(&format!("it {how} before {what}")))
            }
            Err(RecvTimeoutError::Timeout) => {
                Err(self.broken(&format!("it sent no {what} within {timeout:?}, and was killed")))
            }
        }
    }

    fn broken(&mut self, message: &str) -> Failure {
        self.kill();
        // The server has ended: its stderr closes once the processes it started have too.
        if let Some(reader) = self.stderr_reader.take() {
            let deadline = Instant::now() + STDERR_DRAIN;
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
        Failure::Broken(format!("{}: {message}{}", self.id, self.stderr_note()))
    }

    fn stderr_note(&self) -> String {
        let tail = self.stderr.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let text = String::from_utf8_lossy(&tail.iter().copied().collect::<Vec<u8>>()).trim().to_owned();
        if text.is_empty() { String::new() } else { format!("; its standard error ends: {text}") }
    }

    fn kill(&mut self) {
        drop(self.stdin.take());
        kill(&mut self.child);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.stdin.is_some() || matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

fn read_lines(stdout: impl Read, sender: &mpsc::Sender<Line>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        // A line longer than the protocol's is cut, and fails as an answer that is no number.
        let read = reader.by_ref().take(MAX_LINE as u64 * 4).read_line(&mut line);
        let message = match read {
            Ok(0) => Line::End,
            Ok(_) => Line::Text(line.trim_end_matches(['\n', '\r']).to_owned()),
            Err(err) => Line::Error(err.to_string()),
        };
        let last = !matches!(message, Line::Text(_));
        if sender.send(message).is_err() || last {
            return;
        }
    }
}

fn keep_tail(stderr: impl Read, tail: &Mutex<VecDeque<u8>>) {
    let mut reader = BufReader::new(stderr);
    let mut buffer = [0u8; 1024];
    while let Ok(read @ 1..) = reader.read(&mut buffer) {
        let mut tail = tail.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tail.extend(&buffer[..read]);
        let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES);
        tail.drain(..excess);
    }
}

/// Waits up to `timeout` for `child` to exit; `None` if it is still running.
fn wait(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_micros(200);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Ok(None) | Err(_) => return None,
        }
    }
}

/// Kills and reaps `child`.
fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}
