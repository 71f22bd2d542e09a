//! A loopback TCP server that answers after a fixed latency: the stand-in for a database.
//!
//! Wire format, per connection, repeated until the client closes: the client sends a value as 8
//! big-endian bytes; the server waits its latency, then answers with the value plus one
//! (wrapping), as 8 big-endian bytes.
//!
//! Design constraints: it listens on 127.0.0.1 only, on a port the OS picks; it serves up to
//! [`LatencyServer::HANDLERS`] connections at once, each on its own thread, started when a
//! connection finds no idle one (a server nobody connects to holds one thread: listing or
//! filtering benchmarks starts no handler), so concurrent requests wait concurrently, as they would on a real server (a single-threaded server would
//! serialise the latencies and hide what threads buy); every blocking call has a timeout, so
//! dropping the server stops it within about [`LatencyServer::POLL`] plus one latency; a
//! connection idle for [`LatencyServer::IDLE_LIMIT`] is closed.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use super::LoopbackRequest;

/// A running latency server; dropping it stops it and joins its threads.
///
/// ```
/// use std::time::Duration;
/// use poolbench::{Executor, Sequential, workload::LatencyServer};
///
/// let server = LatencyServer::start(Duration::from_millis(1))?;
/// let answers = Sequential.map(&server.request(), &[1, 2, 3]).unwrap();
/// assert_eq!(answers, [2, 3, 4]);
/// assert_eq!(server.served(), 3);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LatencyServer {
    addr: SocketAddr,
    latency: Duration,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    served: AtomicU64,
    waiting: AtomicUsize,
    peak_waiting: AtomicUsize,
    /// Connections accepted and not yet taken by a handler.
    pending: AtomicUsize,
    /// Handlers waiting for a connection.
    idle: AtomicUsize,
    /// Handler threads started.
    handlers: AtomicUsize,
}

impl LatencyServer {
    /// How many connections are served at once; further connections queue.
    pub const HANDLERS: usize = 64;
    /// How often a thread blocked on a quiet connection checks whether the server is stopping.
    pub const POLL: Duration = Duration::from_millis(20);
    /// How long a connection may sit idle before the server closes it.
    pub const IDLE_LIMIT: Duration = Duration::from_secs(10);

    /// Starts a server on an ephemeral loopback port that answers each request after `latency`.
    ///
    /// # Errors
    ///
    /// Binding the port or starting a thread failed; the error says which.
    pub fn start(latency: Duration) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|err| {
            io::Error::new(err.kind(), format!("cannot bind the latency server on 127.0.0.1: {err}"))
        })?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let (connections, queue) = mpsc::channel::<TcpStream>();
        let queue = Arc::new(Mutex::new(queue));

        let mut server = LatencyServer { addr, latency, shared, threads: Vec::new() };
        let shared = Arc::clone(&server.shared);
        server.spawn("latency-server-accept".into(), move || {
            accept(&listener, connections, &queue, &shared, latency);
        })?;
        Ok(server)
    }

    fn spawn(&mut self, name: String, body: impl FnOnce() + Send + 'static) -> io::Result<()> {
        let handle = std::thread::Builder::new().name(name).spawn(body).map_err(|err| {
            io::Error::new(err.kind(), format!("cannot start a latency server thread: {err}"))
        })?;
        self.threads.push(handle);
        Ok(())
    }

    /// The address the server listens on (127.0.0.1 and an ephemeral port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The latency each answer waits.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// How many requests the server has answered so far.
    pub fn served(&self) -> u64 {
        self.shared.served.load(Ordering::Relaxed)
    }

    /// The most requests the server has held in their latency at one time: 1 means the clients
    /// never overlapped, so threads beyond one bought nothing.
    pub fn peak_concurrency(&self) -> usize {
        self.shared.peak_waiting.load(Ordering::Relaxed)
    }

    /// How many handler threads the server has started: one per connection that found none
    /// idle, at most [`HANDLERS`](Self::HANDLERS).
    pub fn handler_threads(&self) -> usize {
        self.shared.handlers.load(Ordering::Relaxed)
    }

    /// The workload that sends one request to this server per task.
    pub fn request(&self) -> LoopbackRequest {
        LoopbackRequest::new(self.addr)
    }
}

impl Drop for LatencyServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // The acceptor sleeps in accept(); one last connection wakes it to see the flag. If the
        // connection fails the listener is already gone, which also ends the acceptor.
        let _ = TcpStream::connect_timeout(&self.addr, Self::POLL);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn accept(
    listener: &TcpListener,
    connections: mpsc::Sender<TcpStream>,
    queue: &Arc<Mutex<mpsc::Receiver<TcpStream>>>,
    shared: &Arc<Shared>,
    latency: Duration,
) {
    let mut handlers: Vec<JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        // A failed accept (the client gave up, or file descriptors ran out for a moment)
        // concerns one connection only.
        let Ok(stream) = stream else { continue };
        let pending = shared.pending.fetch_add(1, Ordering::SeqCst) + 1;
        if connections.send(stream).is_err() {
            break;
        }
        if pending > shared.idle.load(Ordering::SeqCst) && handlers.len() < LatencyServer::HANDLERS {
            let (queue, handler_shared) = (Arc::clone(queue), Arc::clone(shared));
            let started = std::thread::Builder::new()
                .name(format!("latency-server-{}", handlers.len()))
                .spawn(move || handle_connections(&queue, &handler_shared, latency));
            // Without another thread the connection waits for a handler already running.
            if let Ok(handle) = started {
                handlers.push(handle);
                shared.handlers.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    // Closing the channel ends the handlers waiting on it; a serving one sees the stop flag.
    drop(connections);
    for handler in handlers {
        let _ = handler.join();
    }
}

fn handle_connections(queue: &Mutex<mpsc::Receiver<TcpStream>>, shared: &Shared, latency: Duration) {
    loop {
        shared.idle.fetch_add(1, Ordering::SeqCst);
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        shared.idle.fetch_sub(1, Ordering::SeqCst);
        // The acceptor has gone when the channel is closed: the server is stopping.
        let Ok(stream) = next else { return };
        shared.pending.fetch_sub(1, Ordering::SeqCst);
        // A connection that breaks concerns its client only.
        let _ = serve(stream, shared, latency);
    }
}

fn serve(mut stream: TcpStream, shared: &Shared, latency: Duration) -> io::Result<()> {
    stream.set_read_timeout(Some(LatencyServer::POLL))?;
    stream.set_nodelay(true)?;
    let mut request = [0u8; 8];
    let mut filled = 0;
    let mut idle = Duration::ZERO;
    while !shared.stop.load(Ordering::Relaxed) {
        match stream.read(&mut request[filled..]) {
            Ok(0) => return Ok(()),
            Ok(read) => {
                idle = Duration::ZERO;
                filled += read;
                if filled == request.len() {
                    filled = 0;
                    let waiting = shared.waiting.fetch_add(1, Ordering::Relaxed) + 1;
                    shared.peak_waiting.fetch_max(waiting, Ordering::Relaxed);
                    std::thread::sleep(latency);
                    shared.waiting.fetch_sub(1, Ordering::Relaxed);
                    let answer = u64::from_be_bytes(request).wrapping_add(1);
                    // Counted before it is sent, so a client holding its answer sees it counted.
                    shared.served.fetch_add(1, Ordering::Relaxed);
                    stream.write_all(&answer.to_be_bytes())?;
                }
            }
            Err(err) if matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                idle += LatencyServer::POLL;
                if idle >= LatencyServer::IDLE_LIMIT {
                    return Ok(());
                }
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Workload;
    use std::time::Instant;

    #[test]
    fn answers_on_an_ephemeral_loopback_port_after_its_latency() {
        let server = LatencyServer::start(Duration::from_millis(5)).unwrap();
        assert!(server.addr().ip().is_loopback());
        assert_ne!(server.addr().port(), 0);
        let started = Instant::now();
        assert_eq!(server.request().run(&(), &41).unwrap(), 42);
        assert!(started.elapsed() >= Duration::from_millis(5), "answered before its latency");
        assert_eq!(server.served(), 1);
    }

    #[test]
    fn a_server_nobody_connects_to_starts_no_handler_and_concurrent_clients_get_one_each() {
        let server = LatencyServer::start(Duration::from_millis(20)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(server.handler_threads(), 0, "listing or filtering benchmarks starts no handler");
        let request = server.request();
        std::thread::scope(|scope| {
            for value in 0..6 {
                let request = &request;
                scope.spawn(move || assert_eq!(request.run(&(), &value).unwrap(), value + 1));
            }
        });
        assert!((1..=6).contains(&server.handler_threads()), "{}", server.handler_threads());
        assert!(server.peak_concurrency() >= 2, "concurrent clients were served concurrently");
    }

    #[test]
    fn serves_several_requests_on_one_connection() {
        let server = LatencyServer::start(Duration::ZERO).unwrap();
        let mut stream = TcpStream::connect(server.addr()).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        for value in [0, 7, u64::MAX] {
            stream.write_all(&value.to_be_bytes()).unwrap();
            let mut answer = [0u8; 8];
            stream.read_exact(&mut answer).unwrap();
            assert_eq!(u64::from_be_bytes(answer), value.wrapping_add(1));
        }
    }

    #[test]
    fn concurrent_requests_wait_concurrently() {
        // A latency long beside thread start-up, so the eight clients overlap on any machine.
        let server = LatencyServer::start(Duration::from_millis(200)).unwrap();
        let request = server.request();
        std::thread::scope(|scope| {
            for value in 0..8 {
                scope.spawn(move || assert_eq!(request.run(&(), &value).unwrap(), value + 1));
            }
        });
        assert_eq!(server.served(), 8);
        assert!(server.peak_concurrency() >= 2, "peak {}", server.peak_concurrency());
    }

    #[test]
    fn a_stopped_server_refuses_with_an_error_naming_its_address() {
        let server = LatencyServer::start(Duration::ZERO).unwrap();
        let request = LoopbackRequest { timeout: Duration::from_secs(1), ..server.request() };
        let started = Instant::now();
        drop(server);
        assert!(started.elapsed() < Duration::from_secs(5), "shutdown took {:?}", started.elapsed());
        let err = request.run(&(), &1).unwrap_err();
        assert!(err.message().contains(&request.addr.to_string()), "{err}");
        assert!(err.message().contains("latency server"), "{err}");
    }
}
