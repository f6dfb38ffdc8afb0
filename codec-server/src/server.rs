//! Connections: HTTP/1.1 with a header read timeout (slow clients cannot hold sockets), a cap
//! on connections served at once, and graceful shutdown: on the signal the listener closes,
//! requests in flight finish (up to the grace period), idle keep-alive connections close.
//!
//! At the cap, a new connection makes room by closing the connection that has been idle the
//! longest (no request in progress: never sent one, or waiting between keep-alive requests,
//! or still dribbling its headers), as nginx reuses its idle keep-alive connections when it
//! runs out. Otherwise a thousand sockets that send nothing would hold every slot until the
//! header read timeout, and a real client would wait that long in the accept queue. Only when
//! every connection has a request in progress does a new one wait for a slot.
//!
//! A connection with no request in progress closes after `idle_timeout` (shorter than the
//! header read timeout), and one address (an IPv6 /64) may hold at most
//! `max_connections_per_address` connections: a new one over that is closed at once, so one
//! client cannot take every slot.
//!
//! The listen backlog is [`LISTEN_BACKLOG`] rather than the standard library's 128: a burst
//! of connections larger than the backlog between two turns of the accept loop overflows it,
//! and each connection dropped there waits a second for its SYN to be sent again.

use crate::limits::address_key;
use crate::metrics::Metrics;
use crate::reload::Live;
use crate::routes::PeerAddr;
use crate::tls::ClientCert;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{watch, Notify, Semaphore};
use tower::ServiceExt;

pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
    pub max_connections_per_address: usize,
    pub idle_timeout: Duration,
    /// Counts open connections and those refused, when set.
    pub metrics: Option<Arc<Metrics>>,
}

impl Default for Limits {
    /// The configuration's defaults, without metrics.
    fn default() -> Self {
        let c = crate::config::ServerConfig::default();
        Limits {
            header_read_timeout: c.header_read_timeout(),
            max_connections: c.max_connections,
            shutdown_grace: c.shutdown_grace(),
            max_connections_per_address: c.max_connections_per_address,
            idle_timeout: c.idle_timeout(),
            metrics: None,
        }
    }
}

/// Connections the kernel may hold completed but not yet accepted (it caps this at
/// `net.core.somaxconn`, 4096 by default), as Go's net/http asks for.
pub const LISTEN_BACKLOG: u32 = 4096;
/// `Connection::idle_since` while a request is in progress.
const BUSY: u64 = u64::MAX;
/// How often a new connection waiting at the cap looks again for one that went idle.
const RETRY_EVICTION: Duration = Duration::from_millis(50);

/// What the accept loop knows of one connection.
struct Connection {
    /// Milliseconds since the server started at which the last request ended (or the
    /// connection was accepted); `BUSY` during a request.
    idle_since: AtomicU64,
    /// A request has been dispatched on it at some time.
    served: AtomicBool,
    /// Asked to close: not to be picked again.
    closing: AtomicBool,
    close: Notify,
}

/// The connections being served.
struct Registry {
    started: Instant,
    next_id: AtomicU64,
    connections: Mutex<HashMap<u64, Arc<Connection>>>,
    /// Open connections by [`address_key`]; an address leaves the map with its last one.
    per_address: Mutex<HashMap<IpAddr, usize>>,
}

impl Registry {
    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn add(self: &Arc<Self>) -> (Arc<Connection>, Registered) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Connection {
            idle_since: AtomicU64::new(self.now()),
            served: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        self.lock().insert(id, Arc::clone(&conn));
        (
            conn,
            Registered {
                registry: Arc::clone(self),
                id,
            },
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        // A panic while holding the lock leaves the map whole: carry on with it.
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks the connection idle the longest to close, if one is.
    fn close_longest_idle(&self) {
        let connections = self.lock();
        let victim = connections
            .values()
            .filter(|c| !c.closing.load(Ordering::Relaxed))
            .filter(|c| c.idle_since.load(Ordering::Relaxed) != BUSY)
            .min_by_key(|c| c.idle_since.load(Ordering::Relaxed));
        if let Some(c) = victim {
            c.closing.store(true, Ordering::Relaxed);
            // A stored permit: the connection's task sees it even if it is not waiting yet.
            c.close.notify_one();
        }
    }
}

/// One open connection of an address, counted from accept until it closes.
struct AddressSlot {
    registry: Arc<Registry>,
    address: IpAddr,
    metrics: Option<Arc<Metrics>>,
}

impl Registry {
    /// Counts a new connection from `peer`, or None when its address is at `cap`.
    fn admit_address(
        self: &Arc<Self>,
        peer: IpAddr,
        cap: usize,
        metrics: &Option<Arc<Metrics>>,
    ) -> Option<AddressSlot> {
        let address = address_key(peer);
        let mut per_address = self.per_address.lock().unwrap_or_else(|e| e.into_inner());
        let open = per_address.entry(address).or_insert(0);
        if *open >= cap {
            return None;
        }
        *open += 1;
        if let Some(m) = metrics {
            m.connection_opened();
        }
        Some(AddressSlot {
            registry: Arc::clone(self),
            address,
            metrics: metrics.clone(),
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut per_address = self
            .registry
            .per_address
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(open) = per_address.get_mut(&self.address) {
            *open -= 1;
            if *open == 0 {
                per_address.remove(&self.address);
            }
        }
        if let Some(m) = &self.metrics {
            m.connection_closed();
        }
    }
}

/// Removes a connection from the registry when its task ends, however it ends.
struct Registered {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

/// Marks a connection busy for as long as it lives: from the request's dispatch until its
/// response is produced (or the request is dropped). Hyper still writes the response after
/// that; a connection picked then is closed gracefully, which lets the write finish.
struct InRequest {
    registry: Arc<Registry>,
    conn: Arc<Connection>,
}

impl InRequest {
    fn start(registry: &Arc<Registry>, conn: &Arc<Connection>) -> Self {
        conn.idle_since.store(BUSY, Ordering::Relaxed);
        conn.served.store(true, Ordering::Relaxed);
        InRequest {
            registry: Arc::clone(registry),
            conn: Arc::clone(conn),
        }
    }
}

impl Drop for InRequest {
    fn drop(&mut self) {
        self.conn.idle_since.store(self.registry.now(), Ordering::Relaxed);
    }
}

/// Listens on `addr` with a backlog of [`LISTEN_BACKLOG`] (address reuse on, as the standard
/// library's `bind` has it, so a restart does not wait for old connections' TIME_WAIT).
pub fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves `live` on `listener` until `shutdown` completes, then drains. Returns false when
/// requests were still running at the end of the grace period. Each connection gets the TLS
/// settings in force when it is accepted; each request, the configuration in force when it
/// starts (see [`crate::reload`]).
pub async fn serve(
    listener: TcpListener,
    live: Arc<Live>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> bool {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let registry = Arc::new(Registry {
        started: Instant::now(),
        next_id: AtomicU64::new(0),
        connections: Mutex::new(HashMap::new()),
        per_address: Mutex::new(HashMap::new()),
    });
    // Every connection task holds a receiver: `closed()` on the sender is "all drained".
    let (drain_tx, drain_rx) = watch::channel(());
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(address_slot) =
            registry.admit_address(peer.ip(), limits.max_connections_per_address, &limits.metrics)
        else {
            // Closed at once, before it can take a connection slot.
            if let Some(m) = &limits.metrics {
                m.limited("connections_per_address");
            }
            continue;
        };
        let permit = match Arc::clone(&slots).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                // At the cap: make room, or, with every connection in a request, wait for one
                // to end or go idle. Only this connection waits; the rest stay in the kernel's
                // accept queue.
                let wait = async {
                    loop {
                        registry.close_longest_idle();
                        tokio::select! {
                            p = Arc::clone(&slots).acquire_owned() => {
                                return p.expect("the semaphore is never closed");
                            }
                            () = tokio::time::sleep(RETRY_EVICTION) => {}
                        }
                    }
                };
                tokio::select! {
                    p = wait => p,
                    () = &mut shutdown => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (conn_state, registered) = registry.add();
        let tls = live.generation().config.tls.as_ref().map(|t| t.acceptor());
        let connection = Connecting {
            builder: builder.clone(),
            header_read_timeout: limits.header_read_timeout,
            idle_timeout: limits.idle_timeout,
            peer,
            live: Arc::clone(&live),
            registry: Arc::clone(&registry),
            state: conn_state,
            drain: drain_rx.clone(),
        };
        tokio::spawn(async move {
            let _permit = permit;
            let _registered = registered;
            let _address_slot = address_slot;
            let Some(acceptor) = tls else {
                return connection.run(stream, None).await;
            };
            // The handshake is bounded like the headers after it, and gives way like them: a
            // connection that has not finished it has no request in progress.
            let mut drain = connection.drain.clone();
            let handshake = tokio::time::timeout(connection.header_read_timeout, acceptor.accept(stream));
            let stream = tokio::select! {
                done = handshake => match done {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(target: "tls", error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => return,
                },
                () = connection.state.close.notified() => return,
                _ = drain.changed() => return,
            };
            let cert = stream
                .get_ref()
                .1
                .peer_certificates()
                .map(|chain| ClientCert(Arc::new(chain.to_vec())));
            connection.run(stream, cert).await;
        });
    }
    drop(listener);
    drop(drain_rx);
    tracing::info!(target: "server", "shutting down: draining connections");
    // No receiver left (no connection) is an error here, and nothing to wait for.
    let _ = drain_tx.send(());
    tokio::select! {
        () = drain_tx.closed() => true,
        () = tokio::time::sleep(limits.shutdown_grace) => false,
    }
}

/// An accepted connection, about to be served.
struct Connecting {
    builder: http1::Builder,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    peer: SocketAddr,
    live: Arc<Live>,
    registry: Arc<Registry>,
    state: Arc<Connection>,
    drain: watch::Receiver<()>,
}

impl Connecting {
    /// Serves HTTP/1.1 on `io` until the client or the server closes it.
    async fn run<I>(self, io: I, cert: Option<ClientCert>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Connecting {
            builder,
            idle_timeout,
            peer,
            live,
            registry,
            state,
            mut drain,
            ..
        } = self;
        let service = {
            let state = Arc::clone(&state);
            let registry = Arc::clone(&registry);
            hyper::service::service_fn(move |mut request| {
                // Marked here, when hyper dispatches the request, not when its future first
                // runs: the connection's task must never see a dispatched request as idle.
                let busy = InRequest::start(&registry, &state);
                // The configuration in force now, for the whole of this request.
                let app = live.generation().app.clone();
                if let Some(cert) = &cert {
                    request.extensions_mut().insert(cert.clone());
                }
                request.extensions_mut().insert(PeerAddr(peer));
                async move {
                    let response = app.oneshot(request).await;
                    drop(busy);
                    response
                }
            })
        };
        let conn = builder.serve_connection(TokioIo::new(io), service);
        tokio::pin!(conn);
        // A client that resets or times out is routine, not worth a log line of its own.
        loop {
            // The idle clock is looked at when this timer fires, not at every request's end
            // (a wake-up per request cost about 2% more CPU per request: BENCHMARKS.md): in a request,
            // look again in `idle_timeout`; idle, sleep until its time is up. A request that
            // ended meanwhile moves that time, and the next look sees it, so a connection
            // closes `idle_timeout` after its last request ended, not later.
            let idle_since = state.idle_since.load(Ordering::Relaxed);
            let wake = if idle_since == BUSY {
                Instant::now() + idle_timeout
            } else {
                registry.started + Duration::from_millis(idle_since) + idle_timeout
            };
            tokio::select! {
                _ = conn.as_mut() => return,
                () = state.close.notified() => break,
                _ = drain.changed() => break,
                () = tokio::time::sleep_until(wake.into()) => {
                    let unchanged = state.idle_since.load(Ordering::Relaxed) == idle_since;
                    if idle_since != BUSY && unchanged {
                        break;
                    }
                }
            }
        }
        // Hyper closes a connection at once when it is idle between requests or has read
        // nothing; one that never got a whole request's headers to us (a slow or partial
        // sender) it would keep until the header read timeout: that one is dropped here,
        // nothing of ours being in progress on it.
        let never_served = !state.served.load(Ordering::Relaxed);
        if never_served && state.idle_since.load(Ordering::Relaxed) != BUSY {
            return;
        }
        // Idle: closes now. In a request: finishes it, then closes.
        conn.as_mut().graceful_shutdown();
        let _ = conn.await;
    }
}
