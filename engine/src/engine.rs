//! [`Engine`]: the one door to the engine for everything above it (SQS handlers, and later the
//! admin API, the console, SNS). It is addressed by queue id with typed values, owns the clock and
//! the rules that need no state of their own (long polling, the 60-second rules, settings changes
//! as compare-and-set, move-task scheduling), and keeps queue state in a [`QueueBackend`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

use crate::backend::memory::MemoryBackend;
use crate::backend::{Created, Purge, QueueBackend, StartTask, Update};
use crate::clock::{Clock, Millis, OffsetClock};
use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::limits::{self, secs};
use crate::message::{NewMessage, PeekPage, ReceiveRequest, Received, SendOutcome};
use crate::move_task::{self, MoveTask, MoveTaskStatus};
use crate::queue::{NewQueue, QueueCounts, QueueInfo, QueueSettings};
use crate::types::{Namespace, QueueId};

/// Engine-wide settings.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// The namespace of requests that name no other (unsigned requests, queue URLs without an
    /// account).
    pub default_namespace: Namespace,
    /// AWS refuses a second PurgeQueue within 60 s; on by default.
    pub purge_cooldown: bool,
    /// AWS refuses to recreate a queue within 60 s of deleting it; on by default.
    pub delete_cooldown: bool,
}

/// The account and region sqs-local uses when none is configured.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";
pub const DEFAULT_REGION: &str = "us-east-1";

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            default_namespace: Namespace::new(DEFAULT_ACCOUNT_ID, DEFAULT_REGION),
            purge_cooldown: true,
            delete_cooldown: true,
        }
    }
}

/// What CreateQueue found: the queue it created, or the one that exists with that name.
#[derive(Debug, Clone)]
pub enum CreateOutcome {
    Created(Arc<QueueInfo>),
    Exists(Arc<QueueInfo>),
}

struct Inner {
    backend: Arc<dyn QueueBackend>,
    /// The given clock, moved forward by the admin clock's offset.
    clock: OffsetClock,
    settings: EngineSettings,
    /// Set by [`Engine::end_long_polls`]: the process is stopping.
    stopping: AtomicBool,
    stopping_notify: Notify,
}

/// Handle to the engine; clone freely.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// An engine over `backend`. Move tasks a durable backend holds as running are not resumed:
    /// use [`Engine::start`] for that.
    pub fn new(backend: Arc<dyn QueueBackend>, clock: Arc<dyn Clock>, settings: EngineSettings) -> Self {
        let clock = OffsetClock::new(clock, 0);
        let inner =
            Inner { backend, clock, settings, stopping: AtomicBool::new(false), stopping_notify: Notify::new() };
        Engine { inner: Arc::new(inner) }
    }

    /// An engine over a new in-memory backend.
    pub fn in_memory(clock: Arc<dyn Clock>, settings: EngineSettings) -> Self {
        Self::new(Arc::new(MemoryBackend::new()), clock, settings)
    }

    /// An engine over `backend` that resumes the move tasks it holds as running.
    pub async fn start(
        backend: Arc<dyn QueueBackend>,
        clock: Arc<dyn Clock>,
        settings: EngineSettings,
    ) -> SqsResult<Self> {
        let engine = Self::new(backend, clock, settings);
        engine.inner.clock.set_offset(engine.backend().clock_offset().await?);
        for task in engine.backend().active_move_tasks().await? {
            tokio::spawn(move_task::run(engine.clone(), task.task_id.clone(), task));
        }
        Ok(engine)
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.inner.settings
    }

    pub fn backend(&self) -> &Arc<dyn QueueBackend> {
        &self.inner.backend
    }

    pub fn now(&self) -> Millis {
        self.inner.clock.now()
    }

    /// Sleeps until the engine clock reaches `at`.
    pub async fn sleep_until(&self, at: Millis) {
        self.inner.clock.sleep_until(at).await
    }

    // ------------------------------------------------------------------ test tools (admin API)

    /// How far the engine clock is ahead of the wall clock.
    pub fn clock_offset(&self) -> Millis {
        self.inner.clock.offset()
    }

    /// Moves the engine clock forward by `by` ms, at once: every delay, visibility timeout,
    /// retention period, deduplication window and 60-second rule that ends within it has ended,
    /// and long polls and move tasks waiting on time wake. Returns the new offset.
    pub async fn advance_clock(&self, by: Millis) -> SqsResult<Millis> {
        let offset = self.clock_offset().saturating_add(by);
        self.backend().set_clock_offset(offset, self.now().saturating_add(by)).await?;
        self.inner.clock.set_offset(offset);
        Ok(offset)
    }

    /// Back to an empty engine on the wall clock: every queue, message and move task gone, no
    /// 60-second rule pending, clock offset 0.
    pub async fn reset(&self) -> SqsResult<()> {
        self.backend().reset(self.now()).await?;
        self.backend().set_clock_offset(0, self.now()).await?;
        self.inner.clock.set_offset(0);
        Ok(())
    }

    /// Empties one queue, its deduplication window and its PurgeQueue rule.
    pub async fn reset_queue(&self, id: &QueueId) -> SqsResult<()> {
        self.backend().reset_queue(id, self.now()).await
    }

    /// Deletes the message a peek showed at `position`, if it is still the one with `message_id`.
    pub async fn delete_at(&self, id: &QueueId, position: u64, message_id: uuid::Uuid) -> SqsResult<bool> {
        self.backend().delete_at(id, position, message_id, self.now()).await
    }

    /// A page of a queue's messages in every state, changing nothing.
    pub async fn peek(&self, id: &QueueId, after: Option<u64>, limit: usize) -> SqsResult<PeekPage> {
        self.backend().peek(id, after, limit, self.now()).await
    }

    /// The earliest time a rule of "once every 60 seconds" still refuses, if the rule is on.
    fn cooldown_since(&self, enforced: bool) -> Option<Millis> {
        enforced.then(|| self.now().saturating_sub(limits::QUEUE_COOLDOWN))
    }

    // ------------------------------------------------------------------ queues

    /// Creates a queue, or finds the one of that name. After DeleteQueue a name can't be used
    /// again for 60 seconds (CreateQueue API reference), when that rule is on.
    pub async fn create_queue(&self, queue: NewQueue) -> SqsResult<CreateOutcome> {
        let deleted_since = self.cooldown_since(self.settings().delete_cooldown);
        match self.backend().create_queue(queue, self.now(), deleted_since).await? {
            Created::New(info) => Ok(CreateOutcome::Created(info)),
            Created::Existing(info) => Ok(CreateOutcome::Exists(info)),
            Created::DeletedRecently => Err(SqsError::new(
                ErrorCode::QueueDeletedRecently,
                "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
            )),
        }
    }

    /// The queue, or `QueueDoesNotExist`.
    pub async fn queue(&self, id: &QueueId) -> SqsResult<Arc<QueueInfo>> {
        self.backend().queue(id).await
    }

    /// The queues of a namespace whose names start with `prefix`, in name order.
    pub async fn list_queues(&self, namespace: &Namespace, prefix: &str) -> SqsResult<Vec<Arc<QueueInfo>>> {
        self.backend().list_queues(namespace, prefix).await
    }

    pub async fn delete_queue(&self, id: &QueueId) -> SqsResult<()> {
        self.backend().delete_queue(id, self.now()).await
    }

    /// Changes a queue's settings as one read-modify-write: `change` edits a copy of the current
    /// settings (and may refuse), and the result is written only over the version it read, so a
    /// concurrent change is never lost (it is retried on the newer settings). `modified` marks
    /// the change in LastModifiedTimestamp (attribute changes do, tag changes don't).
    pub async fn modify_queue(
        &self,
        id: &QueueId,
        modified: bool,
        mut change: impl FnMut(&mut QueueSettings) -> SqsResult<()>,
    ) -> SqsResult<Arc<QueueInfo>> {
        loop {
            let current = self.queue(id).await?;
            let mut settings = (*current.settings).clone();
            change(&mut settings)?;
            let now = self.now();
            if let (Some(new), Some(old)) = (settings.config.fifo.as_mut(), current.config().fifo.as_ref()) {
                new.note_scope_change(old, now);
            }
            match self.backend().update_settings(id, current.version, settings, now, modified).await? {
                Update::Done(info) => return Ok(info),
                Update::Conflict => continue,
            }
        }
    }

    /// PurgeQueue: every message and the deduplication window go. Only one purge per queue every
    /// 60 seconds (PurgeQueue API reference), when that rule is on.
    pub async fn purge(&self, id: &QueueId) -> SqsResult<()> {
        let purged_since = self.cooldown_since(self.settings().purge_cooldown);
        match self.backend().purge(id, self.now(), purged_since).await? {
            Purge::Done => Ok(()),
            Purge::TooSoon => Err(SqsError::new(
                ErrorCode::PurgeQueueInProgress,
                format!("Only one PurgeQueue operation on {} is allowed every 60 seconds.", id.name()),
            )),
        }
    }

    pub async fn counts(&self, id: &QueueId) -> SqsResult<QueueCounts> {
        self.backend().counts(id, self.now()).await
    }

    /// The queues of `dlq`'s namespace whose redrive policy names `dlq`, in name order.
    pub async fn dead_letter_sources(&self, dlq: &QueueId) -> SqsResult<Vec<Arc<QueueInfo>>> {
        let queues = self.list_queues(&dlq.namespace, "").await?;
        Ok(queues
            .into_iter()
            .filter(|q| q.config().redrive_policy.as_ref().is_some_and(|p| p.dead_letter_queue == *dlq))
            .collect())
    }

    // ------------------------------------------------------------------ messages

    /// SendMessage (one message, or several sent one by one in order).
    pub async fn send(&self, id: &QueueId, messages: Vec<NewMessage>) -> SqsResult<Vec<SqsResult<SendOutcome>>> {
        self.backend().send(id, messages, false, self.now()).await
    }

    /// SendMessageBatch: as [`Engine::send`], with the batch wording of per-entry errors.
    pub async fn send_batch(&self, id: &QueueId, messages: Vec<NewMessage>) -> SqsResult<Vec<SqsResult<SendOutcome>>> {
        self.backend().send(id, messages, true, self.now()).await
    }

    /// ReceiveMessage: returns as soon as at least one message is available, or after waiting
    /// `wait_seconds` (`None`: the queue's ReceiveMessageWaitTimeSeconds). A long poll sleeps on
    /// the backend's wake signal or until the next delay or visibility timeout ends, never in a
    /// loop; a queue deleted while it waits ends it with no messages.
    pub async fn receive(
        &self,
        id: &QueueId,
        request: &ReceiveRequest,
        wait_seconds: Option<u32>,
    ) -> SqsResult<Received> {
        let wait_seconds = match wait_seconds {
            Some(w) => w,
            None => self.queue(id).await?.config().receive_wait_seconds,
        };
        let deadline = self.now().saturating_add(secs(wait_seconds));
        let mut waited = false;
        let mut dead_lettered = 0;
        loop {
            // Register interest before looking, so a change between the look and the wait is not missed.
            let wake = self.backend().watch(id);
            let stopping = self.inner.stopping_notify.notified();
            tokio::pin!(stopping);
            stopping.as_mut().enable();
            let now = self.now();
            let batch = match self.backend().receive(id, request, now).await {
                Ok(batch) => batch,
                Err(e) if waited && e.code == ErrorCode::QueueDoesNotExist => {
                    return Ok(Received { messages: Vec::new(), dead_lettered })
                }
                Err(e) => return Err(e),
            };
            dead_lettered += batch.dead_lettered;
            if !batch.messages.is_empty() || now >= deadline || self.inner.stopping.load(Ordering::SeqCst) {
                return Ok(Received { messages: batch.messages, dead_lettered });
            }
            let wake_at = batch.next_due.map_or(deadline, |due| due.min(deadline));
            tokio::select! {
                _ = wake => {}
                _ = self.inner.clock.sleep_until(wake_at) => {}
                _ = stopping => {}
            }
            waited = true;
        }
    }

    /// The process is stopping: every long poll answers now with what it has (nothing), as it
    /// would at the end of its wait, and later ones do not wait, so that open connections finish
    /// at once instead of holding a shutdown for up to 20 seconds.
    pub fn end_long_polls(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.stopping_notify.notify_waiters();
    }

    pub async fn delete_messages(&self, id: &QueueId, handles: &[String]) -> SqsResult<Vec<SqsResult<()>>> {
        self.backend().delete_messages(id, handles, self.now()).await
    }

    pub async fn change_visibility(&self, id: &QueueId, changes: &[(String, u32)]) -> SqsResult<Vec<SqsResult<()>>> {
        self.backend().change_visibility(id, changes, self.now()).await
    }

    // ------------------------------------------------------------------ move tasks

    /// Starts a message move task from `source` (to `destination`, or back to each message's
    /// original queue), moving what the source holds visible now. Only one active task per source.
    pub async fn start_move_task(
        &self,
        source: &QueueId,
        destination: Option<QueueId>,
        max_per_second: Option<u32>,
    ) -> SqsResult<MoveTask> {
        let counts = self.counts(source).await?;
        let task = MoveTask {
            task_id: uuid::Uuid::new_v4().to_string(),
            source: source.clone(),
            destination,
            max_per_second,
            status: MoveTaskStatus::Running,
            moved: 0,
            to_move: counts.available,
            failure_reason: None,
            started_at: self.now(),
        };
        match self.backend().start_move_task(task.clone()).await? {
            StartTask::Started => {
                tokio::spawn(move_task::run(self.clone(), task.task_id.clone(), task.clone()));
                Ok(task)
            }
            StartTask::AlreadyActive => Err(SqsError::invalid_parameter(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
            )),
        }
    }

    /// Tasks of a source queue, most recent first.
    pub async fn move_tasks(&self, source: &QueueId) -> SqsResult<Vec<MoveTask>> {
        self.backend().move_tasks(source).await
    }

    /// Asks a running task to stop; returns the task as it was. Only a RUNNING task can be
    /// cancelled (CancelMessageMoveTask API reference).
    pub async fn cancel_move_task(&self, source: &QueueId, task_id: &str) -> SqsResult<MoveTask> {
        let task = self
            .backend()
            .cancel_move_task(source, task_id)
            .await?
            .ok_or_else(|| SqsError::new(ErrorCode::ResourceNotFound, "Task does not exist."))?;
        if task.status != MoveTaskStatus::Running {
            return Err(SqsError::invalid_parameter("Only active tasks can be cancelled."));
        }
        Ok(task)
    }
}
