//! I/O-bound work: the notebook's sleep, and a real blocking request over loopback TCP.
//!
//! Both keep a thread waiting rather than computing, which is the case where threads beyond the
//! core count pay off (exercise 1). The sleep is the notebook's own simulation; the request is
//! the honest version, a round trip through the kernel's network stack to a
//! [`LatencyServer`](super::LatencyServer) that answers after a fixed latency, as a database would.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Workload, WorkloadError};

/// Sleeps for a fixed time and returns its input token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sleep {
    /// How long each task sleeps.
    pub duration: Duration,
}

impl Sleep {
    /// A task that sleeps this long.
    pub fn new(duration: Duration) -> Self {
        Sleep { duration }
    }
}

impl Workload for Sleep {
    type Input = u64;
    type Output = u64;
    type State = ();

    fn name(&self) -> &str {
        "io-sleep"
    }

    fn run(&self, (): &(), token: &u64) -> Result<u64, WorkloadError> {
        std::thread::sleep(self.duration);
        Ok(*token)
    }

    fn reference(&self, token: &u64) -> Option<Result<u64, WorkloadError>> {
        Some(Ok(*token))
    }
}

/// One blocking request to a [`LatencyServer`](super::LatencyServer): connect, send a value,
/// wait for the answer (the value plus one), close.
///
/// Each task opens its own connection, as a simple client of a database or web service does;
/// connecting over loopback costs tens of microseconds, small beside any useful latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopbackRequest {
    /// The server's address; [`LatencyServer::request`](super::LatencyServer::request) fills it in.
    pub addr: SocketAddr,
    /// The longest a connect, a send or a receive may take before the task fails.
    pub timeout: Duration,
}

impl LoopbackRequest {
    /// The default for [`timeout`](Self::timeout): long beside any latency worth measuring, short
    /// enough that a dead server fails a benchmark rather than hanging it.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// Requests to the server at `addr`, with the default timeout.
    pub fn new(addr: SocketAddr) -> Self {
        LoopbackRequest { addr, timeout: Self::DEFAULT_TIMEOUT }
    }

    fn round_trip(&self, value: u64) -> std::io::Result<u64> {
        let mut stream = TcpStream::connect_timeout(&self.addr, self.timeout)?;
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_write_timeout(Some(self.timeout))?;
        stream.set_nodelay(true)?;
        stream.write_all(&value.to_be_bytes())?;
        let mut answer = [0u8; 8];
        stream.read_exact(&mut answer)?;
        Ok(u64::from_be_bytes(answer))
    }
}

impl Workload for LoopbackRequest {
    type Input = u64;
    type Output = u64;
    type State = ();

    fn name(&self) -> &str {
        "io-tcp"
    }

    fn run(&self, (): &(), value: &u64) -> Result<u64, WorkloadError> {
        self.round_trip(*value).map_err(|err| {
            WorkloadError::new(format!(
                "request to the latency server at {} failed: {err}; \
                 is the server still running (LatencyServer::start) and within {:?} of answering?",
                self.addr, self.timeout
            ))
        })
    }

    fn reference(&self, value: &u64) -> Option<Result<u64, WorkloadError>> {
        Some(Ok(value.wrapping_add(1)))
    }
}
