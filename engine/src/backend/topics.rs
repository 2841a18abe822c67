//! The SNS storage seam: [`TopicBackend`] holds topics, subscriptions and FIFO topics'
//! deduplication windows, beside [`super::QueueBackend`]. The same rules hold as for queues: data
//! in, data out, every time comes in as `now`, and nothing above the trait assumes it holds the
//! only copy (settings changes are compare-and-set on a version; the deduplication window and the
//! sequence numbers of FIFO topics are the backend's).

use std::sync::Arc;

use async_trait::async_trait;

use crate::clock::Millis;
use crate::error::SqsResult;
use crate::topic::{Changed, Confirmation, FifoPublish, Made, Subscription, Topic, TopicId, TopicSettings};
use crate::types::Namespace;

/// A subscription to create; the backend gives it its ARN (`<topic arn>:<uuid>`).
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub topic: TopicId,
    pub protocol: String,
    pub endpoint: String,
    pub owner: String,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub confirmation: Confirmation,
    pub token: Option<String>,
}

/// Topics and subscriptions, stored however the backend likes.
#[async_trait]
pub trait TopicBackend: Send + Sync + 'static {
    /// Creates a topic unless one of that name exists.
    async fn create_topic(&self, id: TopicId, settings: TopicSettings, now: Millis) -> SqsResult<Made<Arc<Topic>>>;

    async fn topic(&self, id: &TopicId) -> SqsResult<Option<Arc<Topic>>>;

    /// Up to `limit` topics of a namespace whose names sort after `after`, in name order.
    async fn list_topics(&self, namespace: &Namespace, after: Option<&str>, limit: usize)
        -> SqsResult<Vec<Arc<Topic>>>;

    /// Deletes a topic and its subscriptions; deleting a topic that does not exist is no error.
    async fn delete_topic(&self, id: &TopicId) -> SqsResult<()>;

    /// Replaces a topic's settings if they are still at `version`.
    async fn update_topic(&self, id: &TopicId, version: u64, settings: TopicSettings)
        -> SqsResult<Changed<Arc<Topic>>>;

    /// Subscribes unless the topic has a subscription with that protocol and endpoint (then
    /// returns that one); `None` when the topic does not exist.
    async fn subscribe(&self, subscription: NewSubscription) -> SqsResult<Option<Made<Arc<Subscription>>>>;

    async fn subscription(&self, arn: &str) -> SqsResult<Option<Arc<Subscription>>>;

    /// Every subscription of a topic, in the order they were made (what Publish delivers to).
    async fn subscriptions(&self, topic: &TopicId) -> SqsResult<Arc<[Arc<Subscription>]>>;

    /// Up to `limit` subscriptions whose ARNs sort after `after`, in ARN order: those of topics
    /// of the namespace, or of one topic.
    async fn list_subscriptions(
        &self,
        namespace: &Namespace,
        topic: Option<&TopicId>,
        after: Option<&str>,
        limit: usize,
    ) -> SqsResult<Vec<Arc<Subscription>>>;

    /// Replaces a subscription's attributes and confirmation if it is still at `version`.
    async fn update_subscription(
        &self,
        arn: &str,
        version: u64,
        attributes: std::collections::BTreeMap<String, String>,
        confirmation: Confirmation,
    ) -> SqsResult<Changed<Arc<Subscription>>>;

    /// The subscription this confirmation token was made for.
    async fn by_token(&self, token: &str) -> SqsResult<Option<Arc<Subscription>>>;

    /// Removes a subscription; returns it, or `None` when there was none.
    async fn unsubscribe(&self, arn: &str) -> SqsResult<Option<Arc<Subscription>>>;

    /// Admits a message to a FIFO topic: a new sequence number, or (when `dedup_key` was
    /// admitted within `window` ms) the original's id and sequence number.
    async fn publish_fifo(
        &self,
        topic: &TopicId,
        dedup_key: &str,
        message_id: &str,
        now: Millis,
        window: Millis,
    ) -> SqsResult<FifoPublish>;

    /// Removes every topic and subscription (the admin reset).
    async fn reset(&self) -> SqsResult<()>;
}
