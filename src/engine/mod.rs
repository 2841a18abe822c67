//! The SQS engine: queues and messages, with no HTTP, XML or JSON in it.
//!
//! [`Engine`] is a cheap-to-clone handle. It owns the queue registry and the clock, and it owns
//! waiting: long polls sleep on a queue's `Notify` or until the next delay/visibility deadline,
//! never in a loop. Everything else happens in the synchronous core ([`queue`], [`store`]), which
//! takes `now` as an argument.

pub mod clock;
pub mod expiring;
pub mod limits;
pub mod message;
pub mod move_task;
pub mod queue;
pub mod receipt;
pub mod store;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use clock::{Clock, Millis};
use queue::{Queue, QueueConfig, ReceiveRequest};

use crate::error::{ErrorCode, SqsError, SqsResult};
use message::ReceivedMessage;
use move_task::{MoveTask, MoveTaskStatus, MoveTaskView};

/// Engine-wide settings.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub account_id: String,
    pub region: String,
    /// AWS refuses a second PurgeQueue within 60 s; on by default.
    pub purge_cooldown: bool,
    /// AWS refuses to recreate a queue within 60 s of deleting it; on by default.
    pub delete_cooldown: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            purge_cooldown: true,
            delete_cooldown: true,
        }
    }
}

struct Inner {
    clock: Arc<dyn Clock>,
    settings: EngineSettings,
    /// Queue name -> queue. Read-locked per request; write-locked only to create or delete.
    queues: RwLock<HashMap<Arc<str>, Arc<Queue>>>,
    /// Queue name -> deletion time, for the 60-second recreate rule.
    deleted_at: Mutex<HashMap<Arc<str>, Millis>>,
    /// Message move tasks by source queue ARN, most recent first.
    move_tasks: Mutex<HashMap<String, Vec<Arc<MoveTask>>>>,
}

/// Handle to the engine; clone freely.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    pub fn new(settings: EngineSettings, clock: Arc<dyn Clock>) -> Self {
        Engine {
            inner: Arc::new(Inner {
                clock,
                settings,
                queues: RwLock::new(HashMap::new()),
                deleted_at: Mutex::new(HashMap::new()),
                move_tasks: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.inner.settings
    }

    pub fn now(&self) -> Millis {
        self.inner.clock.now()
    }

    /// `arn:aws:sqs:<region>:<account>:<name>`.
    pub fn queue_arn(&self, name: &str) -> String {
        let s = &self.inner.settings;
        format!("arn:aws:sqs:{}:{}:{}", s.region, s.account_id, name)
    }

    /// The queue name an ARN of this engine's account and region names, if it does.
    pub fn queue_name_from_arn<'a>(&self, arn: &'a str) -> Option<&'a str> {
        let s = &self.inner.settings;
        let rest = arn.strip_prefix("arn:aws:sqs:")?;
        let rest = rest.strip_prefix(s.region.as_str())?.strip_prefix(':')?;
        let name = rest.strip_prefix(s.account_id.as_str())?.strip_prefix(':')?;
        (!name.is_empty()).then_some(name)
    }

    fn read_queues(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Arc<str>, Arc<Queue>>> {
        // Registry updates are single inserts/removes, so a poisoned lock still holds a
        // consistent map.
        self.inner.queues.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_queues(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Arc<str>, Arc<Queue>>> {
        self.inner.queues.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates a queue, or, if one of that name exists, runs `check_existing` on it (CreateQueue
    /// idempotency) and returns it.
    pub fn create_queue(
        &self,
        name: &str,
        config: QueueConfig,
        tags: BTreeMap<String, String>,
        check_existing: impl FnOnce(&Queue) -> SqsResult<()>,
    ) -> SqsResult<Arc<Queue>> {
        let now = self.now();
        let mut queues = self.write_queues();
        if let Some(queue) = queues.get(name) {
            check_existing(queue)?;
            return Ok(queue.clone());
        }
        if self.inner.settings.delete_cooldown {
            let mut deleted = self.inner.deleted_at.lock().unwrap_or_else(|p| p.into_inner());
            deleted.retain(|_, at| now < *at + limits::QUEUE_COOLDOWN);
            if deleted.contains_key(name) {
                return Err(SqsError::new(
                    ErrorCode::QueueDeletedRecently,
                    "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
                ));
            }
        }
        let name: Arc<str> = Arc::from(name);
        let arn: Arc<str> = Arc::from(self.queue_arn(&name));
        // Random, so that a recreated queue never accepts an earlier queue's receipt handles.
        let uid = queue::rand_u64();
        let queue = Arc::new(Queue::new(name.clone(), arn, uid, config, tags, now));
        queues.insert(name, queue.clone());
        Ok(queue)
    }

    /// The queue of that name, or `QueueDoesNotExist`.
    pub fn queue(&self, name: &str) -> SqsResult<Arc<Queue>> {
        self.read_queues().get(name).cloned().ok_or_else(SqsError::queue_does_not_exist)
    }

    pub fn delete_queue(&self, name: &str) -> SqsResult<()> {
        let queue = self.write_queues().remove(name).ok_or_else(SqsError::queue_does_not_exist)?;
        queue.mark_deleted();
        let mut deleted = self.inner.deleted_at.lock().unwrap_or_else(|p| p.into_inner());
        deleted.insert(queue.name.clone(), self.now());
        Ok(())
    }

    /// Every queue, sorted by name.
    pub fn queues(&self) -> Vec<Arc<Queue>> {
        let mut all: Vec<_> = self.read_queues().values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// ReceiveMessage: returns as soon as at least one message is available, or after `wait_ms`.
    /// Messages that reached their redrive limit move to the dead-letter queue on the way.
    pub async fn receive(&self, queue: &Arc<Queue>, request: &ReceiveRequest, wait_ms: Millis) -> Vec<ReceivedMessage> {
        let deadline = self.now().saturating_add(wait_ms);
        loop {
            // Register interest before looking, so a send between the look and the wait is not missed.
            let notified = queue.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();

            let now = self.now();
            let dead_letter_queue = self.dead_letter_queue_of(queue);
            let max_receive_count = dead_letter_queue.as_ref().map(|(_, max)| *max);
            let batch = queue.receive(request, max_receive_count, now);
            if let Some((dlq, _)) = dead_letter_queue {
                dlq.accept_dead_letters(batch.moved, &queue.arn, now);
            }
            if !batch.messages.is_empty() || now >= deadline || queue.is_deleted() {
                return batch.messages;
            }
            let wake_at = batch.next_due.map_or(deadline, |due| due.min(deadline));
            tokio::select! {
                _ = &mut notified => {}
                _ = self.inner.clock.sleep_until(wake_at) => {}
            }
        }
    }

    /// Sleeps until the engine clock reaches `at`.
    pub async fn sleep_until(&self, at: Millis) {
        self.inner.clock.sleep_until(at).await
    }

    /// Whether any queue's RedrivePolicy names `queue` as its dead-letter queue.
    pub fn is_dead_letter_queue(&self, queue: &Queue) -> bool {
        self.queues().iter().any(|q| q.redrive_policy().is_some_and(|p| p.dead_letter_queue == queue.name))
    }

    /// Starts a message move task from `source` (to `destination`, or back to each message's
    /// original queue). Only one active task per source.
    pub fn start_move_task(
        &self,
        source: Arc<Queue>,
        destination: Option<Arc<Queue>>,
        max_per_second: Option<u32>,
    ) -> SqsResult<MoveTaskView> {
        let mut tasks = self.inner.move_tasks.lock().unwrap_or_else(|p| p.into_inner());
        let list = tasks.entry(source.arn.to_string()).or_default();
        if list.iter().any(|t| t.view().status.is_active()) {
            return Err(SqsError::invalid_parameter(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
            ));
        }
        let now = self.now();
        let view = MoveTaskView {
            task_id: uuid::Uuid::new_v4().to_string(),
            source_arn: source.arn.to_string(),
            destination_arn: destination.as_ref().map(|d| d.arn.to_string()),
            max_per_second,
            status: MoveTaskStatus::Running,
            moved: 0,
            to_move: source.snapshot(now).available as u64,
            failure_reason: None,
            started_at: now,
        };
        let task = move_task::spawn(self.clone(), source, destination, view.clone());
        list.insert(0, task);
        Ok(view)
    }

    /// Tasks of a source queue, most recent first.
    pub fn move_tasks(&self, source_arn: &str) -> Vec<Arc<MoveTask>> {
        let tasks = self.inner.move_tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.get(source_arn).cloned().unwrap_or_default()
    }

    /// The dead-letter queue and maxReceiveCount of `queue`'s redrive policy, if the DLQ exists.
    fn dead_letter_queue_of(&self, queue: &Queue) -> Option<(Arc<Queue>, u32)> {
        let policy = queue.redrive_policy()?;
        let dlq = self.queue(&policy.dead_letter_queue).ok()?;
        Some((dlq, policy.max_receive_count))
    }
}
