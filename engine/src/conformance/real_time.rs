//! Backends that do real I/O under the suite's paused clock.
//!
//! The behaviour tests pause tokio's clock, which jumps to the next timer whenever every task
//! waits, a wait for a database's answer included: a query in flight would see long polls and
//! visibility timeouts end under it. [`RealTime`] and [`RealTimeTopics`] run every call of the
//! backend they wrap on a runtime of their own (with the real clock) and block the calling thread
//! until it is done, so that to the test the call takes no time, as a call into memory does. The
//! wrapped backend is unchanged; times still come in as the suite's `now`.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;

use crate::backend::{Created, NewSubscription, Purge, QueueBackend, StartTask, TopicBackend, Update, Wake};
use crate::clock::Millis;
use crate::error::{SqsError, SqsResult};
use crate::message::{NewMessage, PeekPage, ReceiveBatch, ReceiveRequest, SendOutcome};
use crate::move_task::MoveTask;
use crate::queue::{NewQueue, QueueCounts, QueueInfo, QueueSettings};
use crate::topic::{Changed, Confirmation, FifoPublish, Made, Subscription, Topic, TopicId, TopicSettings};
use crate::types::{Namespace, QueueId};

/// The runtime the wrapped backends live on (one per test process).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for real-time backends")
    })
}

/// Runs `make` to completion on [`runtime`] from any thread, a runtime's included (to open a
/// backend inside a test).
pub fn block_on<T: Send + 'static>(make: impl Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || runtime().block_on(make)).join().expect("the backend opened")
}

/// Runs a call on [`runtime`] and waits for it without yielding: to the paused runtime that
/// calls it, the call takes no time (tokio cannot move the clock while the thread it runs on is
/// busy), as an in-memory backend's call takes none.
async fn on_runtime<T: Send + 'static>(call: impl Future<Output = SqsResult<T>> + Send + 'static) -> SqsResult<T> {
    std::thread::scope(|scope| scope.spawn(|| runtime().block_on(call)).join())
        .unwrap_or_else(|_| Err(SqsError::internal("the backend call panicked")))
}

/// A queue backend whose calls run on [`runtime`].
pub struct RealTime(pub Arc<dyn QueueBackend>);

#[async_trait]
impl QueueBackend for RealTime {
    async fn create_queue(&self, queue: NewQueue, now: Millis, deleted_since: Option<Millis>) -> SqsResult<Created> {
        let b = self.0.clone();
        on_runtime(async move { b.create_queue(queue, now, deleted_since).await }).await
    }

    async fn queue(&self, id: &QueueId) -> SqsResult<Arc<QueueInfo>> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.queue(&id).await }).await
    }

    async fn list_queues(&self, namespace: &Namespace, prefix: &str) -> SqsResult<Vec<Arc<QueueInfo>>> {
        let (b, namespace, prefix) = (self.0.clone(), *namespace, prefix.to_string());
        on_runtime(async move { b.list_queues(&namespace, &prefix).await }).await
    }

    async fn delete_queue(&self, id: &QueueId, now: Millis) -> SqsResult<()> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.delete_queue(&id, now).await }).await
    }

    async fn update_settings(
        &self,
        id: &QueueId,
        version: u64,
        settings: QueueSettings,
        now: Millis,
        modified: bool,
    ) -> SqsResult<Update> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.update_settings(&id, version, settings, now, modified).await }).await
    }

    async fn purge(&self, id: &QueueId, now: Millis, purged_since: Option<Millis>) -> SqsResult<Purge> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.purge(&id, now, purged_since).await }).await
    }

    async fn counts(&self, id: &QueueId, now: Millis) -> SqsResult<QueueCounts> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.counts(&id, now).await }).await
    }

    async fn send(
        &self,
        id: &QueueId,
        messages: Vec<NewMessage>,
        in_batch: bool,
        now: Millis,
    ) -> SqsResult<Vec<SqsResult<SendOutcome>>> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.send(&id, messages, in_batch, now).await }).await
    }

    async fn receive(&self, id: &QueueId, request: &ReceiveRequest, now: Millis) -> SqsResult<ReceiveBatch> {
        let (b, id, request) = (self.0.clone(), id.clone(), request.clone());
        on_runtime(async move { b.receive(&id, &request, now).await }).await
    }

    async fn delete_messages(&self, id: &QueueId, handles: &[String], now: Millis) -> SqsResult<Vec<SqsResult<()>>> {
        let (b, id, handles) = (self.0.clone(), id.clone(), handles.to_vec());
        on_runtime(async move { b.delete_messages(&id, &handles, now).await }).await
    }

    async fn change_visibility(
        &self,
        id: &QueueId,
        changes: &[(String, u32)],
        now: Millis,
    ) -> SqsResult<Vec<SqsResult<()>>> {
        let (b, id, changes) = (self.0.clone(), id.clone(), changes.to_vec());
        on_runtime(async move { b.change_visibility(&id, &changes, now).await }).await
    }

    fn watch(&self, id: &QueueId) -> Wake {
        self.0.watch(id)
    }

    async fn start_move_task(&self, task: MoveTask) -> SqsResult<StartTask> {
        let b = self.0.clone();
        on_runtime(async move { b.start_move_task(task).await }).await
    }

    async fn move_tasks(&self, source: &QueueId) -> SqsResult<Vec<MoveTask>> {
        let (b, source) = (self.0.clone(), source.clone());
        on_runtime(async move { b.move_tasks(&source).await }).await
    }

    async fn active_move_tasks(&self) -> SqsResult<Vec<MoveTask>> {
        let b = self.0.clone();
        on_runtime(async move { b.active_move_tasks().await }).await
    }

    async fn advance_move_task(&self, task_id: &str, limit: u64, now: Millis) -> SqsResult<MoveTask> {
        let (b, task_id) = (self.0.clone(), task_id.to_string());
        on_runtime(async move { b.advance_move_task(&task_id, limit, now).await }).await
    }

    async fn cancel_move_task(&self, source: &QueueId, task_id: &str) -> SqsResult<Option<MoveTask>> {
        let (b, source, task_id) = (self.0.clone(), source.clone(), task_id.to_string());
        on_runtime(async move { b.cancel_move_task(&source, &task_id).await }).await
    }

    async fn peek(&self, id: &QueueId, after: Option<u64>, limit: usize, now: Millis) -> SqsResult<PeekPage> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.peek(&id, after, limit, now).await }).await
    }

    async fn delete_at(&self, id: &QueueId, position: u64, message_id: uuid::Uuid, now: Millis) -> SqsResult<bool> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.delete_at(&id, position, message_id, now).await }).await
    }

    async fn reset_queue(&self, id: &QueueId, now: Millis) -> SqsResult<()> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.reset_queue(&id, now).await }).await
    }

    async fn reset(&self, now: Millis) -> SqsResult<()> {
        let b = self.0.clone();
        on_runtime(async move { b.reset(now).await }).await
    }

    async fn clock_offset(&self) -> SqsResult<Millis> {
        let b = self.0.clone();
        on_runtime(async move { b.clock_offset().await }).await
    }

    async fn set_clock_offset(&self, offset: Millis, now: Millis) -> SqsResult<()> {
        let b = self.0.clone();
        on_runtime(async move { b.set_clock_offset(offset, now).await }).await
    }
}

/// A topic backend whose calls run on [`runtime`].
pub struct RealTimeTopics(pub Arc<dyn TopicBackend>);

#[async_trait]
impl TopicBackend for RealTimeTopics {
    async fn create_topic(&self, id: TopicId, settings: TopicSettings, now: Millis) -> SqsResult<Made<Arc<Topic>>> {
        let b = self.0.clone();
        on_runtime(async move { b.create_topic(id, settings, now).await }).await
    }

    async fn topic(&self, id: &TopicId) -> SqsResult<Option<Arc<Topic>>> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.topic(&id).await }).await
    }

    async fn list_topics(
        &self,
        namespace: &Namespace,
        after: Option<&str>,
        limit: usize,
    ) -> SqsResult<Vec<Arc<Topic>>> {
        let (b, namespace, after) = (self.0.clone(), *namespace, after.map(String::from));
        on_runtime(async move { b.list_topics(&namespace, after.as_deref(), limit).await }).await
    }

    async fn delete_topic(&self, id: &TopicId) -> SqsResult<()> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.delete_topic(&id).await }).await
    }

    async fn update_topic(
        &self,
        id: &TopicId,
        version: u64,
        settings: TopicSettings,
    ) -> SqsResult<Changed<Arc<Topic>>> {
        let (b, id) = (self.0.clone(), id.clone());
        on_runtime(async move { b.update_topic(&id, version, settings).await }).await
    }

    async fn subscribe(&self, subscription: NewSubscription) -> SqsResult<Option<Made<Arc<Subscription>>>> {
        let b = self.0.clone();
        on_runtime(async move { b.subscribe(subscription).await }).await
    }

    async fn subscription(&self, arn: &str) -> SqsResult<Option<Arc<Subscription>>> {
        let (b, arn) = (self.0.clone(), arn.to_string());
        on_runtime(async move { b.subscription(&arn).await }).await
    }

    async fn subscriptions(&self, topic: &TopicId) -> SqsResult<Arc<[Arc<Subscription>]>> {
        let (b, topic) = (self.0.clone(), topic.clone());
        on_runtime(async move { b.subscriptions(&topic).await }).await
    }

    async fn list_subscriptions(
        &self,
        namespace: &Namespace,
        topic: Option<&TopicId>,
        after: Option<&str>,
        limit: usize,
    ) -> SqsResult<Vec<Arc<Subscription>>> {
        let (b, namespace, topic, after) = (self.0.clone(), *namespace, topic.cloned(), after.map(String::from));
        on_runtime(async move { b.list_subscriptions(&namespace, topic.as_ref(), after.as_deref(), limit).await }).await
    }

    async fn update_subscription(
        &self,
        arn: &str,
        version: u64,
        attributes: BTreeMap<String, String>,
        confirmation: Confirmation,
    ) -> SqsResult<Changed<Arc<Subscription>>> {
        let (b, arn) = (self.0.clone(), arn.to_string());
        on_runtime(async move { b.update_subscription(&arn, version, attributes, confirmation).await }).await
    }

    async fn by_token(&self, token: &str) -> SqsResult<Option<Arc<Subscription>>> {
        let (b, token) = (self.0.clone(), token.to_string());
        on_runtime(async move { b.by_token(&token).await }).await
    }

    async fn unsubscribe(&self, arn: &str) -> SqsResult<Option<Arc<Subscription>>> {
        let (b, arn) = (self.0.clone(), arn.to_string());
        on_runtime(async move { b.unsubscribe(&arn).await }).await
    }

    async fn publish_fifo(
        &self,
        topic: &TopicId,
        dedup_key: &str,
        message_id: &str,
        now: Millis,
        window: Millis,
    ) -> SqsResult<FifoPublish> {
        let (b, topic, key, id) = (self.0.clone(), topic.clone(), dedup_key.to_string(), message_id.to_string());
        on_runtime(async move { b.publish_fifo(&topic, &key, &id, now, window).await }).await
    }

    async fn reset(&self) -> SqsResult<()> {
        let b = self.0.clone();
        on_runtime(async move { b.reset().await }).await
    }
}
