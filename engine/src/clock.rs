//! Engine time.
//!
//! The engine works in one unit: wall-clock epoch milliseconds ([`Millis`]). They are derived from
//! tokio's monotonic clock (`epoch_at_start + elapsed`), so `tokio::time::pause()` and `advance()`
//! control deadlines *and* the timestamps clients see (`SentTimestamp`, `CreatedTimestamp`, ...).
//! Tests therefore never sleep for real.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Epoch milliseconds.
pub type Millis = u64;

/// The engine's source of time.
pub trait Clock: Send + Sync + 'static {
    /// The current time in epoch milliseconds.
    fn now(&self) -> Millis;
    /// A future that completes once `now() >= at`.
    fn sleep_until(&self, at: Millis) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// The default clock: tokio's monotonic clock anchored to the wall clock at start.
#[derive(Debug, Clone)]
pub struct TokioClock {
    /// Wall-clock epoch millis at `start`.
    epoch_at_start: Millis,
    /// The tokio instant the epoch is anchored to; pausing tokio time freezes engine time.
    start: tokio::time::Instant,
}

impl TokioClock {
    /// Anchors to the current wall clock.
    pub fn new() -> Self {
        let epoch = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as Millis).unwrap_or(0);
        Self::starting_at(epoch)
    }

    /// Anchors to a fixed epoch time, for deterministic tests.
    pub fn starting_at(epoch_at_start: Millis) -> Self {
        TokioClock { epoch_at_start, start: tokio::time::Instant::now() }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Millis {
        self.epoch_at_start + self.start.elapsed().as_millis() as Millis
    }

    fn sleep_until(&self, at: Millis) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let offset = Duration::from_millis(at.saturating_sub(self.epoch_at_start));
        Box::pin(tokio::time::sleep_until(self.start + offset))
    }
}

/// The engine's clock: a base clock moved forward by an offset that only grows (the admin API's
/// `POST /_admin/clock/advance`). Sleepers wake when a move reaches their deadline, so a delay,
/// visibility timeout or long poll that the move ends ends at once.
pub struct OffsetClock {
    base: Arc<dyn Clock>,
    offset: AtomicU64,
    /// Signals sleepers that the offset changed.
    moved: tokio::sync::watch::Sender<Millis>,
}

impl OffsetClock {
    pub fn new(base: Arc<dyn Clock>, offset: Millis) -> Self {
        OffsetClock { base, offset: AtomicU64::new(offset), moved: tokio::sync::watch::Sender::new(offset) }
    }

    /// How far ahead of the base clock this clock is.
    pub fn offset(&self) -> Millis {
        self.offset.load(Ordering::SeqCst)
    }

    /// Sets the offset (a reset sets it back to 0; every other change moves it forward).
    pub fn set_offset(&self, offset: Millis) {
        self.offset.store(offset, Ordering::SeqCst);
        self.moved.send_replace(offset);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Millis {
        self.base.now().saturating_add(self.offset())
    }

    fn sleep_until(&self, at: Millis) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let base = self.base.clone();
        let mut moved = self.moved.subscribe();
        Box::pin(async move {
            loop {
                let offset = *moved.borrow_and_update();
                if base.now().saturating_add(offset) >= at {
                    return;
                }
                tokio::select! {
                    _ = base.sleep_until(at.saturating_sub(offset)) => {}
                    changed = moved.changed() => {
                        if changed.is_err() {
                            // The clock is gone (the engine stopped): no more moves.
                            return base.sleep_until(at.saturating_sub(offset)).await;
                        }
                    }
                }
            }
        })
    }
}
