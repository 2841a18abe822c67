//! A queue's configuration and what the engine reports about a queue, as data: backends store it,
//! the api layer maps it to and from attribute names.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::clock::Millis;
use crate::limits;
use crate::types::QueueId;

/// FIFO `DeduplicationScope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DedupScope {
    Queue,
    MessageGroup,
}

/// FIFO `FifoThroughputLimit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThroughputLimit {
    PerQueue,
    PerMessageGroupId,
}

/// A `DeduplicationScope` change still propagating: AWS documents that attribute changes take up
/// to 60 seconds to propagate (SetQueueAttributes API reference), and in a recorded run a queue
/// switched to `messageGroup` kept deduplicating across groups, for ids sent before and after the
/// switch (`test_fifo_change_to_high_throughput_after_creation`). Until `effective_at` sends are
/// deduplicated by `previous`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeChange {
    pub previous: DedupScope,
    pub effective_at: Millis,
}

/// The settings only FIFO queues have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoConfig {
    pub content_based_dedup: bool,
    /// The scope GetQueueAttributes reports.
    pub dedup_scope: DedupScope,
    pub throughput_limit: ThroughputLimit,
    /// Set by a `dedup_scope` change (see [`ScopeChange`]).
    pub scope_change: Option<ScopeChange>,
}

impl Default for FifoConfig {
    fn default() -> Self {
        FifoConfig {
            content_based_dedup: false,
            dedup_scope: DedupScope::Queue,
            throughput_limit: ThroughputLimit::PerQueue,
            scope_change: None,
        }
    }
}

impl FifoConfig {
    /// The scope sends are deduplicated by at `now`.
    pub fn dedup_scope_at(&self, now: Millis) -> DedupScope {
        match self.scope_change {
            Some(change) if now < change.effective_at => change.previous,
            _ => self.dedup_scope,
        }
    }

    /// Records the change from `old` to this configuration's scope, if the scope changed.
    pub fn note_scope_change(&mut self, old: &FifoConfig, now: Millis) {
        if self.dedup_scope != old.dedup_scope {
            self.scope_change = Some(ScopeChange {
                previous: old.dedup_scope_at(now),
                effective_at: now + limits::ATTRIBUTE_PROPAGATION,
            });
        }
    }
}

/// A parsed `RedrivePolicy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedrivePolicy {
    /// `deadLetterTargetArn` as given.
    pub dead_letter_target_arn: String,
    /// The dead-letter queue (same account and region as the source).
    pub dead_letter_queue: QueueId,
    /// 1..=1000.
    pub max_receive_count: u32,
}

/// Every settable queue attribute, typed. Defaults are AWS's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    pub delay_seconds: u32,
    pub maximum_message_size: u32,
    pub retention_seconds: u32,
    pub receive_wait_seconds: u32,
    pub visibility_timeout: u32,
    pub policy: Option<String>,
    pub redrive_policy: Option<RedrivePolicy>,
    /// The `RedriveAllowPolicy` document as given (validated by the api layer).
    pub redrive_allow_policy: Option<String>,
    pub kms_master_key_id: Option<String>,
    pub kms_data_key_reuse_seconds: u32,
    pub sqs_managed_sse: bool,
    /// `Some` exactly for FIFO queues; fixed at creation.
    pub fifo: Option<FifoConfig>,
}

impl QueueConfig {
    pub fn new(fifo: bool) -> Self {
        QueueConfig {
            delay_seconds: 0,
            maximum_message_size: limits::MAX_MESSAGE_SIZE as u32,
            retention_seconds: limits::DEFAULT_RETENTION as u32,
            receive_wait_seconds: 0,
            visibility_timeout: limits::DEFAULT_VISIBILITY_TIMEOUT as u32,
            policy: None,
            redrive_policy: None,
            redrive_allow_policy: None,
            kms_master_key_id: None,
            kms_data_key_reuse_seconds: 300,
            sqs_managed_sse: true,
            fifo: fifo.then(FifoConfig::default),
        }
    }
}

/// What a configuration change replaces as a whole: the attributes and the tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    pub config: QueueConfig,
    pub tags: BTreeMap<String, String>,
}

/// A queue to create.
#[derive(Debug, Clone)]
pub struct NewQueue {
    pub id: QueueId,
    pub settings: QueueSettings,
}

/// A queue as a backend holds it.
#[derive(Debug, Clone)]
pub struct QueueInfo {
    pub id: QueueId,
    pub arn: Arc<str>,
    pub settings: Arc<QueueSettings>,
    /// `CreatedTimestamp` (epoch ms).
    pub created_at: Millis,
    /// `LastModifiedTimestamp` (epoch ms).
    pub last_modified_at: Millis,
    /// Increases with every settings change; a change is written only over the version it read.
    pub version: u64,
}

impl QueueInfo {
    pub fn config(&self) -> &QueueConfig {
        &self.settings.config
    }

    pub fn is_fifo(&self) -> bool {
        self.settings.config.fifo.is_some()
    }
}

/// A queue's message counts at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// `ApproximateNumberOfMessages`.
    pub available: u64,
    /// `ApproximateNumberOfMessagesNotVisible`.
    pub in_flight: u64,
    /// `ApproximateNumberOfMessagesDelayed`.
    pub delayed: u64,
    /// When the oldest message was enqueued (for the age of the oldest message).
    pub oldest_enqueued_at: Option<Millis>,
}
