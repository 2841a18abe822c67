//! The in-memory backend: the default, and the core the durable backend builds on.
//!
//! A registry of queues (read-locked per request, write-locked only to create or delete), each
//! with its own lock. Operations that touch two queues (a dead-letter move on receive, a move-task
//! move) hold both queues' locks, taken in the order of their uids, so they are atomic and cannot
//! deadlock.

pub mod expiring;
pub mod journal;
pub mod message;
pub mod queue;
pub mod receipt;
pub mod store;
pub mod topics;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use async_trait::async_trait;
use rustc_hash::FxHashMap;

use self::journal::{Change, Durable, Journal};
use self::queue::{DeadLetters, Identity, MemQueue, QueueState};
use super::{Created, Purge, QueueBackend, StartTask, Update, Wake};
use crate::clock::Millis;
use crate::error::{SqsError, SqsResult};
use crate::message::{NewMessage, PeekPage, ReceiveBatch, ReceiveRequest, SendOutcome};
use crate::move_task::{MoveTask, MoveTaskStatus};
use crate::queue::{NewQueue, QueueCounts, QueueInfo, QueueSettings};
use crate::types::{Namespace, QueueId};

/// Queues and move tasks in memory; with a [`Journal`], every change is also sent to it and an
/// operation answers once its changes are durable.
#[derive(Default)]
pub struct MemoryBackend {
    queues: RwLock<FxHashMap<QueueId, Arc<MemQueue>>>,
    /// Queue id -> when it was last deleted (the 60-second recreate rule).
    deleted_at: Mutex<HashMap<QueueId, Millis>>,
    /// Every move task, oldest first (a handful per dead-letter queue).
    tasks: Mutex<Vec<MoveTask>>,
    /// The next message seq, shared by all queues (seqs are unique across queues).
    seqs: Arc<AtomicU64>,
    /// The admin clock's offset.
    clock_offset: AtomicU64,
    journal: Option<Arc<dyn Journal>>,
}

/// The state a durable store hands back at start.
#[derive(Default)]
pub struct Restored {
    pub queues: Vec<MemQueue>,
    pub deleted_at: HashMap<QueueId, Millis>,
    pub tasks: Vec<MoveTask>,
    /// The seq source the restored queues share (above every seq stored).
    pub seqs: Arc<AtomicU64>,
    pub clock_offset: Millis,
}

/// Waits for changes to be durable, if there were any.
async fn durable(pending: Option<Durable>) -> SqsResult<()> {
    match pending {
        Some(pending) => pending.await,
        None => Ok(()),
    }
}

/// Both locks of two different queues, taken in uid order.
fn lock_pair<'a>(a: &'a MemQueue, b: &'a MemQueue) -> (MutexGuard<'a, QueueState>, MutexGuard<'a, QueueState>) {
    if a.ident.uid < b.ident.uid {
        let first = a.lock();
        (first, b.lock())
    } else {
        let second = b.lock();
        (a.lock(), second)
    }
}

impl MemoryBackend {
    pub fn new() -> Self {
        Self::default()
    }

    /// A backend over restored state that sends every change to `journal`.
    pub fn journaled(journal: Arc<dyn Journal>, restored: Restored) -> Self {
        let queues = restored.queues.into_iter().map(|q| (q.ident.id.clone(), Arc::new(q))).collect();
        MemoryBackend {
            queues: RwLock::new(queues),
            deleted_at: Mutex::new(restored.deleted_at),
            tasks: Mutex::new(restored.tasks),
            seqs: restored.seqs,
            clock_offset: AtomicU64::new(restored.clock_offset),
            journal: Some(journal),
        }
    }

    /// Sends changes to the journal, if there is one and there are changes. Called while the
    /// queues the changes are of are still locked, so that each queue's changes arrive in order.
    fn record(&self, changes: Vec<Change>, now: Millis) -> Option<Durable> {
        let journal = self.journal.as_ref()?;
        (!changes.is_empty()).then(|| journal.record(changes, now))
    }

    /// Records the changes a queue's state holds.
    fn record_queue(&self, st: &mut QueueState, ident: &Identity, now: Millis) -> Option<Durable> {
        self.journal.as_ref()?;
        let changes = st.take_changes(ident);
        self.record(changes, now)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, FxHashMap<QueueId, Arc<MemQueue>>> {
        // Registry updates are single inserts/removes, so a poisoned lock still holds a
        // consistent map.
        self.queues.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, FxHashMap<QueueId, Arc<MemQueue>>> {
        self.queues.write().unwrap_or_else(|p| p.into_inner())
    }

    fn tasks(&self) -> MutexGuard<'_, Vec<MoveTask>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, id: &QueueId) -> SqsResult<Arc<MemQueue>> {
        self.read().get(id).cloned().ok_or_else(SqsError::queue_does_not_exist)
    }

    /// Runs `f` on a queue with the registry read-locked (no reference count is touched, which
    /// matters on the hot path: every request names a queue). `f` must not use the registry.
    fn with_queue<R>(&self, id: &QueueId, f: impl FnOnce(&MemQueue) -> R) -> SqsResult<R> {
        let queues = self.read();
        let queue = queues.get(id).ok_or_else(SqsError::queue_does_not_exist)?;
        Ok(f(queue))
    }

    fn find(&self, id: &QueueId) -> Option<Arc<MemQueue>> {
        self.read().get(id).cloned()
    }

    /// Moves one message for a task; `Ok(false)` when the source has none left; `Err(())` when
    /// its destination does not exist (the message stays in the source).
    fn move_one(
        &self,
        source: &Arc<MemQueue>,
        destination: Option<&QueueId>,
        now: Millis,
        pending: &mut Vec<Durable>,
    ) -> Result<bool, ()> {
        loop {
            // Where the next message goes: the task's destination, or the queue it came from.
            let target_id = match destination {
                Some(id) => id.clone(),
                None => match source.lock().next_available_source(now) {
                    None => return Ok(false),
                    Some(arn) => match arn.as_deref().and_then(QueueId::from_arn) {
                        Some(id) => id,
                        None => return Err(()),
                    },
                },
            };
            let Some(target) = self.find(&target_id) else {
                return match source.lock().next_available_source(now) {
                    None => Ok(false),
                    Some(_) => Err(()),
                };
            };
            if Arc::ptr_eq(&target, source) {
                let mut st = source.lock();
                let Some((_, message)) = st.take_available(now) else { return Ok(false) };
                st.accept_moved(message, now);
                pending.extend(self.record_queue(&mut st, &source.ident, now));
                drop(st);
                source.wake();
                return Ok(true);
            }
            let (mut from, mut to) = lock_pair(source, &target);
            let Some((seq, message)) = from.take_available(now) else { return Ok(false) };
            let came_from = message.dead_letter_source_arn().and_then(|a| QueueId::from_arn(a));
            if destination.is_none() && came_from.as_ref() != Some(&target_id) {
                // Another message became the next one between the look and the locks.
                from.restore(seq, message);
                continue;
            }
            to.accept_moved(message, now);
            let mut changes = from.take_changes(&source.ident);
            changes.extend(to.take_changes(&target.ident));
            pending.extend(self.record(changes, now));
            drop((from, to));
            target.wake();
            return Ok(true);
        }
    }
}

#[async_trait]
impl QueueBackend for MemoryBackend {
    async fn create_queue(&self, queue: NewQueue, now: Millis, deleted_since: Option<Millis>) -> SqsResult<Created> {
        let (info, pending) = {
            let mut queues = self.write();
            if let Some(existing) = queues.get(&queue.id) {
                return Ok(Created::Existing(existing.info()));
            }
            if let Some(since) = deleted_since {
                let deleted = self.deleted_at.lock().unwrap_or_else(|p| p.into_inner());
                if deleted.get(&queue.id).is_some_and(|at| *at > since) {
                    return Ok(Created::DeletedRecently);
                }
            }
            let ident = Identity::new(queue.id.clone(), now);
            let journaled = self.journal.is_some();
            let created = Arc::new(MemQueue::new(ident, queue.settings, now, self.seqs.clone(), journaled));
            let info = created.info();
            let pending = self.record(vec![created.lock().queue_change(&created.ident)], now);
            queues.insert(queue.id, created);
            (info, pending)
        };
        durable(pending).await?;
        Ok(Created::New(info))
    }

    async fn queue(&self, id: &QueueId) -> SqsResult<Arc<QueueInfo>> {
        self.with_queue(id, MemQueue::info)
    }

    async fn list_queues(&self, namespace: &Namespace, prefix: &str) -> SqsResult<Vec<Arc<QueueInfo>>> {
        let matching: Vec<Arc<MemQueue>> = self
            .read()
            .iter()
            .filter(|(id, _)| id.namespace == *namespace && id.name.starts_with(prefix))
            .map(|(_, q)| q.clone())
            .collect();
        let mut infos: Vec<Arc<QueueInfo>> = matching.iter().map(|q| q.info()).collect();
        infos.sort_by(|a, b| a.id.name.cmp(&b.id.name));
        Ok(infos)
    }

    async fn delete_queue(&self, id: &QueueId, now: Millis) -> SqsResult<()> {
        let pending = {
            let mut queues = self.write();
            let queue = queues.remove(id).ok_or_else(SqsError::queue_does_not_exist)?;
            self.deleted_at.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), now);
            let pending = if self.journal.is_some() {
                let st = queue.lock();
                let mut changes: Vec<Change> =
                    st.seqs().into_iter().map(|seq| Change::MessageDeleted { seq }).collect();
                changes.push(Change::QueueDeleted { uid: queue.ident.uid, id: id.clone(), at: now });
                self.record(changes, now)
            } else {
                None
            };
            // Waiting long polls look again and find the queue gone.
            queue.wake();
            pending
        };
        durable(pending).await
    }

    async fn update_settings(
        &self,
        id: &QueueId,
        version: u64,
        settings: QueueSettings,
        now: Millis,
        modified: bool,
    ) -> SqsResult<Update> {
        let (update, pending) = self.with_queue(id, |queue| {
            let mut st = queue.lock();
            let update = st.update_settings(version, settings, now, modified);
            let pending = self.record_queue(&mut st, &queue.ident, now);
            drop(st);
            // A longer wait time, a redrive policy or a visibility change may matter to waiting polls.
            queue.wake();
            (update, pending)
        })?;
        durable(pending).await?;
        Ok(update)
    }

    async fn purge(&self, id: &QueueId, now: Millis, purged_since: Option<Millis>) -> SqsResult<Purge> {
        let (outcome, pending) = self.with_queue(id, |queue| {
            let mut st = queue.lock();
            let outcome = st.purge(now, purged_since);
            (outcome, self.record_queue(&mut st, &queue.ident, now))
        })?;
        durable(pending).await?;
        Ok(outcome)
    }

    async fn counts(&self, id: &QueueId, now: Millis) -> SqsResult<QueueCounts> {
        self.with_queue(id, |queue| queue.lock().counts(now))
    }

    async fn send(
        &self,
        id: &QueueId,
        messages: Vec<NewMessage>,
        in_batch: bool,
        now: Millis,
    ) -> SqsResult<Vec<SqsResult<SendOutcome>>> {
        let (outcomes, pending) = self.with_queue(id, |queue| {
            let mut st = queue.lock();
            let (outcomes, any_available) = st.send(&queue.ident, messages, in_batch, now);
            let pending = self.record_queue(&mut st, &queue.ident, now);
            drop(st);
            if any_available {
                queue.wake();
            }
            (outcomes, pending)
        })?;
        durable(pending).await?;
        outcomes
    }

    async fn receive(&self, id: &QueueId, request: &ReceiveRequest, now: Millis) -> SqsResult<ReceiveBatch> {
        let queue = self.get(id)?;
        let (batch, pending) = loop {
            let target = queue.redrive_target();
            let dlq = match &target {
                Some((dlq_id, _)) if dlq_id != id => self.find(dlq_id),
                _ => None,
            };
            let Some(dlq) = dlq else {
                let mut st = queue.lock();
                // The queue is its own dead-letter queue, or has none that exists.
                let dead_letters = match st.redrive_target() {
                    Some((dlq_id, max)) if dlq_id == *id => Some(DeadLetters { max_receive_count: max, queue: None }),
                    _ => None,
                };
                let batch = st.receive(&queue.ident, request, now, dead_letters);
                break (batch, self.record_queue(&mut st, &queue.ident, now));
            };
            let (mut st, mut dead) = lock_pair(&queue, &dlq);
            if st.redrive_target() != target {
                // The policy changed between the look and the locks; look again.
                continue;
            }
            let before = dead.message_count();
            let max_receive_count = target.map_or(u32::MAX, |(_, max)| max);
            let dead_letters = DeadLetters { max_receive_count, queue: Some((&dlq.ident, &mut dead)) };
            let batch = st.receive(&queue.ident, request, now, Some(dead_letters));
            let moved = dead.message_count() > before;
            let pending = if self.journal.is_some() {
                let mut changes = st.take_changes(&queue.ident);
                changes.extend(dead.take_changes(&dlq.ident));
                self.record(changes, now)
            } else {
                None
            };
            drop((st, dead));
            if moved {
                dlq.wake();
            }
            break (batch, pending);
        };
        durable(pending).await?;
        Ok(batch)
    }

    async fn delete_messages(&self, id: &QueueId, handles: &[String], now: Millis) -> SqsResult<Vec<SqsResult<()>>> {
        let (outcomes, pending) = self.with_queue(id, |queue| {
            let mut st = queue.lock();
            let outcomes = handles.iter().map(|h| st.delete(&queue.ident, h, now)).collect();
            let pending = self.record_queue(&mut st, &queue.ident, now);
            drop(st);
            // Deleting a FIFO group's head may unlock the group.
            queue.wake();
            (outcomes, pending)
        })?;
        durable(pending).await?;
        Ok(outcomes)
    }

    async fn change_visibility(
        &self,
        id: &QueueId,
        changes: &[(String, u32)],
        now: Millis,
    ) -> SqsResult<Vec<SqsResult<()>>> {
        let (outcomes, pending) = self.with_queue(id, |queue| {
            let mut st = queue.lock();
            let outcomes =
                changes.iter().map(|(h, timeout)| st.change_visibility(&queue.ident, h, *timeout, now)).collect();
            let pending = self.record_queue(&mut st, &queue.ident, now);
            drop(st);
            if changes.iter().any(|(_, timeout)| *timeout == 0) {
                queue.wake();
            }
            (outcomes, pending)
        })?;
        durable(pending).await?;
        Ok(outcomes)
    }

    fn watch(&self, id: &QueueId) -> Wake {
        self.with_queue(id, MemQueue::changed).unwrap_or_else(|_| Box::pin(std::future::ready(())))
    }

    async fn start_move_task(&self, task: MoveTask) -> SqsResult<StartTask> {
        let pending = {
            let mut tasks = self.tasks();
            if tasks.iter().any(|t| t.source == task.source && t.status.is_active()) {
                return Ok(StartTask::AlreadyActive);
            }
            let pending = self.record(vec![Change::Task(task.clone())], task.started_at);
            tasks.push(task);
            pending
        };
        durable(pending).await?;
        Ok(StartTask::Started)
    }

    async fn move_tasks(&self, source: &QueueId) -> SqsResult<Vec<MoveTask>> {
        Ok(self.tasks().iter().rev().filter(|t| t.source == *source).cloned().collect())
    }

    async fn active_move_tasks(&self) -> SqsResult<Vec<MoveTask>> {
        Ok(self.tasks().iter().filter(|t| t.status.is_active()).cloned().collect())
    }

    async fn advance_move_task(&self, task_id: &str, limit: u64, now: Millis) -> SqsResult<MoveTask> {
        let task = self
            .tasks()
            .iter()
            .find(|t| t.task_id == task_id)
            .cloned()
            .ok_or_else(|| SqsError::internal(format!("move task {task_id} does not exist")))?;
        let mut moved = 0u64;
        let mut end = match task.status {
            MoveTaskStatus::Cancelling => Some((MoveTaskStatus::Cancelled, None)),
            MoveTaskStatus::Running => None,
            _ => return Ok(task),
        };
        let source = self.find(&task.source);
        let mut pending = Vec::new();
        while end.is_none() && moved < limit {
            if task.moved + moved >= task.to_move {
                end = Some((MoveTaskStatus::Completed, None));
                break;
            }
            let Some(source) = &source else {
                end = Some((MoveTaskStatus::Failed, Some(SqsError::queue_does_not_exist().code)));
                break;
            };
            match self.move_one(source, task.destination.as_ref(), now, &mut pending) {
                Ok(true) => moved += 1,
                Ok(false) => end = Some((MoveTaskStatus::Completed, None)),
                Err(()) => end = Some((MoveTaskStatus::Failed, Some(SqsError::queue_does_not_exist().code))),
            }
        }
        if end.is_none() && task.moved + moved >= task.to_move {
            end = Some((MoveTaskStatus::Completed, None));
        }
        let task = {
            let mut tasks = self.tasks();
            let stored = tasks
                .iter_mut()
                .find(|t| t.task_id == task_id)
                .ok_or_else(|| SqsError::internal(format!("move task {task_id} does not exist")))?;
            stored.moved += moved;
            if let Some((status, failure)) = end {
                // A cancel that arrived during the step wins over completion.
                stored.status =
                    if stored.status == MoveTaskStatus::Cancelling { MoveTaskStatus::Cancelled } else { status };
                stored.failure_reason = failure.map(|code| code.query_code().to_string());
            }
            let task = stored.clone();
            pending.extend(self.record(vec![Change::Task(task.clone())], now));
            task
        };
        for p in pending {
            p.await?;
        }
        Ok(task)
    }

    async fn cancel_move_task(&self, source: &QueueId, task_id: &str) -> SqsResult<Option<MoveTask>> {
        let (before, pending) = {
            let mut tasks = self.tasks();
            let Some(task) = tasks.iter_mut().find(|t| t.task_id == task_id && t.source == *source) else {
                return Ok(None);
            };
            let before = task.clone();
            if task.status != MoveTaskStatus::Running {
                return Ok(Some(before));
            }
            task.status = MoveTaskStatus::Cancelling;
            let pending = self.record(vec![Change::Task(task.clone())], before.started_at);
            (before, pending)
        };
        durable(pending).await?;
        Ok(Some(before))
    }
    async fn peek(&self, id: &QueueId, after: Option<u64>, limit: usize, now: Millis) -> SqsResult<PeekPage> {
        self.with_queue(id, |queue| queue.lock().peek(&queue.ident, after, limit, now))
    }

    async fn delete_at(&self, id: &QueueId, position: u64, message_id: uuid::Uuid, now: Millis) -> SqsResult<bool> {
        let (deleted, pending) = self.with_queue(id, |queue| {
            let mut st = queue.lock();
            let deleted = st.delete_at(position, message_id, now);
            let pending = self.record_queue(&mut st, &queue.ident, now);
            drop(st);
            // Deleting a FIFO group's head may unlock the group.
            queue.wake();
            (deleted, pending)
        })?;
        durable(pending).await?;
        Ok(deleted)
    }

    async fn reset_queue(&self, id: &QueueId, now: Millis) -> SqsResult<()> {
        let pending = self.with_queue(id, |queue| {
            let mut st = queue.lock();
            st.reset(now);
            self.record_queue(&mut st, &queue.ident, now)
        })?;
        durable(pending).await
    }

    async fn reset(&self, now: Millis) -> SqsResult<()> {
        let pending = {
            let mut queues = self.write();
            let mut tasks = self.tasks();
            for task in tasks.iter_mut().filter(|t| t.status.is_active()) {
                // Their runners stop at their next step.
                task.status = MoveTaskStatus::Cancelled;
            }
            tasks.clear();
            self.deleted_at.lock().unwrap_or_else(|p| p.into_inner()).clear();
            let pending = self.record(vec![Change::Reset], now);
            for (_, queue) in queues.drain() {
                // Waiting long polls look again and find the queue gone.
                queue.wake();
            }
            pending
        };
        durable(pending).await
    }

    async fn clock_offset(&self) -> SqsResult<Millis> {
        Ok(self.clock_offset.load(Ordering::SeqCst))
    }

    async fn set_clock_offset(&self, offset: Millis, now: Millis) -> SqsResult<()> {
        self.clock_offset.store(offset, Ordering::SeqCst);
        durable(self.record(vec![Change::ClockOffset(offset)], now)).await
    }
}
