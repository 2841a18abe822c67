//! The accept loop: hyper HTTP/1.1 with keep-alive on tokio, graceful shutdown, and robustness at
//! the socket: a cap on concurrent connections (beyond it, clients wait in the kernel's backlog),
//! a back-off when accepting fails (when file descriptors run out, `accept` fails at once and a
//! loop that retried at once would spin), and a bound on how long a connection may go without a
//! request in progress (a slow client that never finishes its request head, or an idle
//! keep-alive connection, does not hold a descriptor forever). That bound is checked by one
//! watchdog per connection rather than a timer per request (hyper's `header_read_timeout` arms a
//! timer for every request head, which cost a tenth of SendMessage's throughput here).

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::service::{handle, AppState};

/// How long open connections get to finish after shutdown is requested.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// The first pause after a failed accept; it doubles on each further failure up to
/// [`MAX_ACCEPT_BACKOFF`], and resets after a success.
const FIRST_ACCEPT_BACKOFF: Duration = Duration::from_millis(1);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_millis(500);

/// Serves until `shutdown` completes, then stops accepting and lets open requests finish.
pub async fn run(listener: TcpListener, state: Arc<AppState>, shutdown: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let permits = Arc::new(Semaphore::new(state.config.max_connections.max(1)));
    let idle_limit = Duration::from_secs(state.config.header_read_timeout.max(1));
    let mut connections = JoinSet::new();
    let mut backoff = FIRST_ACCEPT_BACKOFF;
    tokio::pin!(shutdown);
    loop {
        // A connection is accepted only when it may be served: at the cap, the next client waits
        // in the listen backlog instead of holding a descriptor.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            _ = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            _ = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff = FIRST_ACCEPT_BACKOFF;
                stream
            }
            Err(error) => {
                tracing::warn!(%error, ?backoff, "accept failed; pausing");
                drop(permit);
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = &mut shutdown => break,
                }
                backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let stop = stop_rx.clone();
        connections.spawn(serve(stream, state, stop, permit, idle_limit));
    }
    let _ = stop_tx.send(true);
    state.engine.end_long_polls();
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async { while connections.join_next().await.is_some() {} }).await;
}

/// When a connection last had no request in progress, and how many it has now.
struct Activity {
    started: Instant,
    in_flight: AtomicUsize,
    /// Milliseconds after `started` when the last request finished (or the connection opened).
    idle_since_ms: AtomicU64,
}

impl Activity {
    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Whether the connection has gone `limit` without a request in progress.
    fn idle_longer_than(&self, limit: Duration) -> bool {
        self.in_flight.load(Ordering::SeqCst) == 0
            && self.elapsed_ms().saturating_sub(self.idle_since_ms.load(Ordering::SeqCst)) >= limit.as_millis() as u64
    }
}

/// Marks a request in progress for as long as it lives.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.idle_since_ms.store(self.0.elapsed_ms(), Ordering::SeqCst);
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves one connection until it closes, shutdown is asked for (open requests finish), or it
/// goes `idle_limit` without a request in progress (closed).
async fn serve(
    stream: tokio::net::TcpStream,
    state: Arc<AppState>,
    mut stop: watch::Receiver<bool>,
    permit: tokio::sync::OwnedSemaphorePermit,
    idle_limit: Duration,
) {
    let _permit = permit;
    let activity = Arc::new(Activity {
        started: Instant::now(),
        in_flight: AtomicUsize::new(0),
        idle_since_ms: AtomicU64::new(0),
    });
    let tracked = activity.clone();
    let service = service_fn(move |req| {
        let in_flight = InFlight::new(tracked.clone());
        let state = state.clone();
        async move {
            let response = handle(state, req).await;
            drop(in_flight);
            response
        }
    });
    let conn = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    // Checked four times per limit, so a connection closes between 1 and 1.25 limits idle.
    let mut watchdog = tokio::time::interval(idle_limit / 4);
    watchdog.tick().await;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = stop.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
                return;
            }
            _ = watchdog.tick() => {
                if activity.idle_longer_than(idle_limit) {
                    return;
                }
            }
        }
    }
}
