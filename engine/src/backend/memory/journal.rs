//! The changes the in-memory backend makes, as data, for a journal that keeps them elsewhere (the
//! durable backend writes them to SQLite). The backend records a change while it still holds the
//! queues it changed, so a journal receives the changes of each queue in the order they were made,
//! and an operation answers only once its changes are durable.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::message::Message;
use crate::clock::Millis;
use crate::error::SqsResult;
use crate::message::SendOutcome;
use crate::move_task::MoveTask;
use crate::queue::QueueInfo;
use crate::types::QueueId;

/// One change to the backend's state.
#[derive(Debug, Clone)]
pub enum Change {
    /// A queue created, or its settings or purge time changed: the whole queue record.
    Queue { uid: u64, sequence_salt: u64, info: Arc<QueueInfo>, last_purge_at: Option<Millis> },
    /// A queue deleted (its messages are deleted by their own changes).
    QueueDeleted { uid: u64, id: QueueId, at: Millis },
    /// A message stored or changed: the whole message.
    Message { uid: u64, seq: u64, message: Message },
    /// A message gone (deleted, purged, expired, moved to another queue).
    MessageDeleted { seq: u64 },
    /// A FIFO deduplication id remembered until `expires_at`.
    Dedup { uid: u64, key: Arc<str>, outcome: SendOutcome, expires_at: Millis },
    /// A queue's deduplication window emptied (PurgeQueue).
    DedupCleared { uid: u64 },
    /// A move task started or changed: the whole task.
    Task(MoveTask),
    /// The admin clock's offset changed.
    ClockOffset(Millis),
    /// Everything removed (the admin reset): queues, messages, tasks, recently deleted names.
    Reset,
}

/// Completes when the changes it was returned for are durable (or could not be made so).
pub type Durable = Pin<Box<dyn Future<Output = SqsResult<()>> + Send>>;

/// Where the in-memory backend sends its changes.
pub trait Journal: Send + Sync + 'static {
    /// Takes changes in order; `now` is the engine time they were made at.
    fn record(&self, changes: Vec<Change>, now: Millis) -> Durable;
}
