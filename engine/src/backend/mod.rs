//! The storage seam: [`QueueBackend`] holds queue state; [`crate::Engine`] holds the rules that
//! need no state (the clock, long polling, the 60-second rules, move-task scheduling) and talks to
//! a backend only through this trait.
//!
//! # Adding a backend
//! 1. Implement [`QueueBackend`] for a type of your own in a module under `backend/`. Operations
//!    are data in, data out: no closures cross the trait, every time comes in as `now`, and every
//!    operation that changes state does so atomically (a receive that moves a message to a
//!    dead-letter queue moves it inside the backend, never in two calls).
//! 2. Keep everything a second process would need behind the trait: receipt handles, sequence
//!    numbers, deduplication windows, group locks, the long-poll wake signal, move-task state. The
//!    engine never assumes it holds the only copy of the state (a PostgreSQL backend shared by
//!    several sqs-local processes must fit: `update_settings` is compare-and-set on a version,
//!    the 60-second rules are checked against timestamps the backend stores, `watch` may be built
//!    on LISTEN/NOTIFY).
//! 3. Run the conformance suite against it: a test file calling
//!    `sqs_local_engine::conformance_suite!(your_factory)` (feature `conformance`). A backend is
//!    done when the whole suite passes unchanged.
//!
//! Wrappers compose the same way as `object_store`'s throttled store: a type holding an
//! `Arc<dyn QueueBackend>` that implements the trait by delegating can add metrics, faults or
//! delays around any backend.

pub mod codec;
pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod topics;

pub use topics::{NewSubscription, TopicBackend};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use crate::clock::Millis;
use crate::error::SqsResult;
use crate::message::{NewMessage, PeekPage, ReceiveBatch, ReceiveRequest, SendOutcome};
use crate::move_task::MoveTask;
use crate::queue::{NewQueue, QueueCounts, QueueInfo, QueueSettings};
use crate::types::{Namespace, QueueId};

/// A future that completes when a queue may have changed so that a waiting receive should look
/// again (a message sent or made visible, a group unlocked, the queue deleted). It is registered
/// when it is made: a change after [`QueueBackend::watch`] returns and before the future is first
/// polled still completes it.
pub type Wake = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What creating a queue found.
#[derive(Debug, Clone)]
pub enum Created {
    /// The queue was created.
    New(Arc<QueueInfo>),
    /// A queue of that name exists (CreateQueue is then idempotent or refused by its caller).
    Existing(Arc<QueueInfo>),
    /// A queue of that name was deleted after the `deleted_since` given.
    DeletedRecently,
}

/// What a settings change found.
#[derive(Debug, Clone)]
pub enum Update {
    Done(Arc<QueueInfo>),
    /// The settings changed since the version the change was computed from; read and try again.
    Conflict,
}

/// What a purge found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge {
    Done,
    /// The queue was purged after the `purged_since` given.
    TooSoon,
}

/// What starting a move task found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTask {
    Started,
    /// The source already has a running or cancelling task.
    AlreadyActive,
}

/// Queue state, stored however the backend likes. Every queue-scoped operation answers
/// `QueueDoesNotExist` for a queue it does not hold.
#[async_trait]
pub trait QueueBackend: Send + Sync + 'static {
    /// Creates a queue unless one of that name exists, or (with `deleted_since`) one of that name
    /// was deleted after that time.
    async fn create_queue(&self, queue: NewQueue, now: Millis, deleted_since: Option<Millis>) -> SqsResult<Created>;

    async fn queue(&self, id: &QueueId) -> SqsResult<Arc<QueueInfo>>;

    /// The queues of a namespace whose names start with `prefix`, in name order.
    async fn list_queues(&self, namespace: &Namespace, prefix: &str) -> SqsResult<Vec<Arc<QueueInfo>>>;

    /// Deletes a queue and its messages and records the time (for `deleted_since`).
    async fn delete_queue(&self, id: &QueueId, now: Millis) -> SqsResult<()>;

    /// Replaces a queue's settings if they are still at `version`. `modified` updates
    /// LastModifiedTimestamp to `now`.
    async fn update_settings(
        &self,
        id: &QueueId,
        version: u64,
        settings: QueueSettings,
        now: Millis,
        modified: bool,
    ) -> SqsResult<Update>;

    /// Deletes every message and the deduplication window, unless (with `purged_since`) the queue
    /// was purged after that time.
    async fn purge(&self, id: &QueueId, now: Millis, purged_since: Option<Millis>) -> SqsResult<Purge>;

    async fn counts(&self, id: &QueueId, now: Millis) -> SqsResult<QueueCounts>;

    /// Sends messages in order, applying the [`crate::rules`] that depend on the queue's
    /// configuration (`in_batch`: they came in a SendMessageBatch, which words some errors
    /// differently); each gets its own outcome (a FIFO duplicate inside the window is answered
    /// with the original's id and sequence number and not enqueued).
    async fn send(
        &self,
        id: &QueueId,
        messages: Vec<NewMessage>,
        in_batch: bool,
        now: Millis,
    ) -> SqsResult<Vec<SqsResult<SendOutcome>>>;

    /// One receive attempt, without waiting. Messages that reached the redrive policy's
    /// maxReceiveCount move to the dead-letter queue (when it exists) instead of being delivered.
    async fn receive(&self, id: &QueueId, request: &ReceiveRequest, now: Millis) -> SqsResult<ReceiveBatch>;

    async fn delete_messages(&self, id: &QueueId, handles: &[String], now: Millis) -> SqsResult<Vec<SqsResult<()>>>;

    /// Sets each message's visibility timeout (seconds from `now`).
    async fn change_visibility(
        &self,
        id: &QueueId,
        changes: &[(String, u32)],
        now: Millis,
    ) -> SqsResult<Vec<SqsResult<()>>>;

    /// A wake signal for long polls on the queue (completes at once if it does not exist).
    fn watch(&self, id: &QueueId) -> Wake;

    /// Records a new move task unless its source has an active one.
    async fn start_move_task(&self, task: MoveTask) -> SqsResult<StartTask>;

    /// The tasks of a source queue, most recent first.
    async fn move_tasks(&self, source: &QueueId) -> SqsResult<Vec<MoveTask>>;

    /// Every running or cancelling task (to resume after a restart).
    async fn active_move_tasks(&self) -> SqsResult<Vec<MoveTask>>;

    /// Moves up to `limit` messages for a task, each atomically: out of the source, into its
    /// destination (the task's, or the queue the message was dead-lettered from). Ends the task
    /// when it has moved what it was to move or the source has none left (COMPLETED), when it was
    /// asked to stop (CANCELLED), or when a destination does not exist (FAILED, the message left
    /// in the source). Returns the task as it is afterwards.
    async fn advance_move_task(&self, task_id: &str, limit: u64, now: Millis) -> SqsResult<MoveTask>;

    /// Asks a running task to stop; `None` if the source has no task of that id.
    async fn cancel_move_task(&self, source: &QueueId, task_id: &str) -> SqsResult<Option<MoveTask>>;

    // ------------------------------------------------------------------ test tools (admin API)

    /// Up to `limit` of a queue's messages after the cursor `after` (`None`: from the start), in
    /// queue order and in every state as of `now`, changing nothing: no receive count, no
    /// visibility, no transition applied.
    async fn peek(&self, id: &QueueId, after: Option<u64>, limit: usize, now: Millis) -> SqsResult<PeekPage>;

    /// Deletes the message a peek showed at `position`, if it is still the one with `message_id`
    /// (in any state); false when it is gone.
    async fn delete_at(&self, id: &QueueId, position: u64, message_id: uuid::Uuid, now: Millis) -> SqsResult<bool>;

    /// Empties a queue, its deduplication window and its PurgeQueue rule.
    async fn reset_queue(&self, id: &QueueId, now: Millis) -> SqsResult<()>;

    /// Removes every queue, message and move task and forgets recently deleted names.
    async fn reset(&self, now: Millis) -> SqsResult<()>;

    /// How far the engine clock is ahead of the wall clock (the admin clock), as stored: a shared
    /// backend shares it between processes.
    async fn clock_offset(&self) -> SqsResult<Millis>;

    async fn set_clock_offset(&self, offset: Millis, now: Millis) -> SqsResult<()>;

    /// Whether the backend can serve requests now (`/health`): a backend on a database answers
    /// false while the database cannot be reached.
    async fn ready(&self) -> bool {
        true
    }
}
