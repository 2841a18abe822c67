//! One queue: its configuration, its messages behind one lock, and the `Notify` that wakes long
//! polls. The lock is the queue's serialisation point; it is never held across an `.await`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use super::clock::Millis;
use super::expiring::ExpiringMap;
use super::limits::{self, secs};
use super::message::{Message, MessageExtras, MessageState, NewMessage, ReceivedMessage, SendOutcome};
use super::receipt::Receipt;
use super::store::{Delivery, MessageStore, ReceiveLimits};
use crate::error::{ErrorCode, SqsError, SqsResult};

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

/// The settings only FIFO queues have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoConfig {
    pub content_based_dedup: bool,
    pub dedup_scope: DedupScope,
    pub throughput_limit: ThroughputLimit,
}

impl Default for FifoConfig {
    fn default() -> Self {
        FifoConfig {
            content_based_dedup: false,
            dedup_scope: DedupScope::Queue,
            throughput_limit: ThroughputLimit::PerQueue,
        }
    }
}

/// A parsed `RedrivePolicy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedrivePolicy {
    /// `deadLetterTargetArn` as given.
    pub dead_letter_target_arn: String,
    /// The dead-letter queue's name (same account and region).
    pub dead_letter_queue: Arc<str>,
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

/// A point-in-time view of a queue for GetQueueAttributes.
#[derive(Debug, Clone)]
pub struct QueueSnapshot {
    pub config: QueueConfig,
    pub created_at: Millis,
    pub last_modified_at: Millis,
    pub available: usize,
    pub in_flight: usize,
    pub delayed: usize,
}

/// What one receive asks for.
#[derive(Debug, Clone, Default)]
pub struct ReceiveRequest {
    pub max_messages: usize,
    /// `None` uses the queue's VisibilityTimeout.
    pub visibility_timeout: Option<u32>,
    /// FIFO `ReceiveRequestAttemptId`.
    pub attempt_id: Option<Arc<str>>,
}

/// What one receive attempt produced.
#[derive(Debug, Default)]
pub struct ReceiveBatch {
    pub messages: Vec<ReceivedMessage>,
    /// Messages that reached maxReceiveCount and must go to the dead-letter queue.
    pub moved: Vec<Message>,
    /// When a delay or visibility timeout next ends (a long poll wakes then).
    pub next_due: Option<Millis>,
}

/// An earlier FIFO receive, kept for retries with the same `ReceiveRequestAttemptId`.
#[derive(Debug, Clone)]
struct Attempt {
    deliveries: Vec<Delivery>,
    /// When those messages become visible again; a different deadline means their visibility was
    /// changed since, and the retry is then a fresh receive.
    visible_at: Millis,
}

/// Everything behind a queue's lock.
#[derive(Debug)]
struct QueueState {
    config: QueueConfig,
    last_modified_at: Millis,
    tags: BTreeMap<String, String>,
    store: MessageStore,
    /// FIFO: deduplication id -> the original send, for 5 minutes.
    dedup: ExpiringMap<SendOutcome>,
    /// FIFO: ReceiveRequestAttemptId -> the messages that receive returned, for 5 minutes.
    attempts: ExpiringMap<Attempt>,
    /// The lowest seq the next message may get (see [`QueueState::take_seq`]).
    next_seq: u64,
    last_purge_at: Option<Millis>,
    /// FIFO: a `DeduplicationScope` change that has not taken effect yet (see [`ScopeChange`]).
    scope_change: Option<ScopeChange>,
}

/// A `DeduplicationScope` change propagating. AWS documents that attribute changes take up to 60
/// seconds to propagate (SetQueueAttributes API reference), and in a recorded run a queue switched
/// to `messageGroup` kept deduplicating across groups, for ids sent before and after the switch
/// (`test_fifo_change_to_high_throughput_after_creation`). sqs-local reports the new scope at once
/// and deduplicates by the previous one until 60 seconds after the change.
#[derive(Debug, Clone, Copy)]
struct ScopeChange {
    previous: DedupScope,
    effective_at: Millis,
}

impl QueueState {
    /// The deduplication scope sends are deduplicated by at `now`.
    fn dedup_scope(&self, now: Millis) -> Option<DedupScope> {
        let configured = self.config.fifo.as_ref()?.dedup_scope;
        Some(match self.scope_change {
            Some(change) if now < change.effective_at => change.previous,
            _ => configured,
        })
    }
}

impl QueueState {
    fn refresh(&mut self, now: Millis) {
        self.store.refresh(now, secs(self.config.retention_seconds));
    }

    /// A new message's seq: the key of every index, and the base of its FIFO `SequenceNumber`.
    /// Seqs increase strictly and follow the clock (epoch ms in the high bits), so they keep
    /// increasing across restarts and never count from a fixed start.
    fn take_seq(&mut self, now: Millis) -> u64 {
        let seq = self.next_seq.max(now << SEQ_TIME_SHIFT);
        self.next_seq = seq + 1;
        seq
    }
}

/// Room for 2^20 messages per millisecond before seqs run ahead of the clock (they still increase).
const SEQ_TIME_SHIFT: u32 = 20;

/// What a valid receipt handle of this queue refers to.
enum Handle {
    /// A message still in the queue (the handle acts on its current receive).
    Live(u64),
    /// A message that no longer exists.
    Gone,
}

/// FIFO `SequenceNumber`s are `10^19 + seq + salt`: 20-digit decimals (as SQS's are, e.g.
/// `18849496460467696128`) that increase with the seq, and differ between queues by the salt.
const SEQUENCE_NUMBER_BASE: u128 = 10_000_000_000_000_000_000;

#[derive(Debug)]
pub struct Queue {
    pub name: Arc<str>,
    pub arn: Arc<str>,
    /// Distinguishes this queue from any earlier queue of the same name (receipt handles); random.
    uid: u64,
    /// Added to every FIFO sequence number of this queue; random, below 2^40.
    sequence_salt: u64,
    pub created_at: Millis,
    state: Mutex<QueueState>,
    /// Held across a configuration read-modify-write (see `modify_config`).
    config_writer: Mutex<()>,
    /// Woken whenever a message may have become available; long polls wait on it.
    pub(crate) notify: Notify,
    /// Set by DeleteQueue so that waiting long polls give up.
    deleted: AtomicBool,
}

impl Queue {
    pub(crate) fn new(
        name: Arc<str>,
        arn: Arc<str>,
        uid: u64,
        config: QueueConfig,
        tags: BTreeMap<String, String>,
        now: Millis,
    ) -> Self {
        let fifo = config.fifo.is_some();
        Queue {
            name,
            arn,
            uid,
            sequence_salt: rand_u64() >> 24,
            created_at: now,
            state: Mutex::new(QueueState {
                config,
                last_modified_at: now,
                tags,
                store: MessageStore::new(fifo),
                dedup: ExpiringMap::default(),
                attempts: ExpiringMap::default(),
                next_seq: 0,
                last_purge_at: None,
                scope_change: None,
            }),
            config_writer: Mutex::new(()),
            notify: Notify::new(),
            deleted: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // A panic while holding the lock leaves consistent data (no partial multi-step updates
        // escape a single method), so a poisoned lock is recovered rather than propagated.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn is_fifo(&self) -> bool {
        self.lock().config.fifo.is_some()
    }

    pub(crate) fn mark_deleted(&self) {
        self.deleted.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::SeqCst)
    }

    pub fn config(&self) -> QueueConfig {
        self.lock().config.clone()
    }

    /// Changes the configuration as one read-modify-write: concurrent changes (SetQueueAttributes,
    /// AddPermission, ...) are serialised so none is lost. `change` runs without the state lock, so
    /// it may look at other queues, or at this one (a queue may be its own dead-letter queue).
    pub fn modify_config(&self, now: Millis, change: impl FnOnce(&mut QueueConfig) -> SqsResult<()>) -> SqsResult<()> {
        let _writer = self.config_writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut config = self.config();
        change(&mut config)?;
        self.set_config(config, now);
        Ok(())
    }

    /// Reads from the configuration under the lock without cloning all of it (hot paths need one
    /// or two fields; a cloned config copies the Policy document).
    pub fn with_config<R>(&self, read: impl FnOnce(&QueueConfig) -> R) -> R {
        read(&self.lock().config)
    }

    /// The redrive policy alone (read on every receive; cheaper than cloning the whole config).
    pub fn redrive_policy(&self) -> Option<RedrivePolicy> {
        self.lock().config.redrive_policy.clone()
    }

    /// Replaces the configuration; callers go through `modify_config`.
    fn set_config(&self, config: QueueConfig, now: Millis) {
        let mut st = self.lock();
        let new_scope = config.fifo.as_ref().map(|f| f.dedup_scope);
        if let (Some(in_effect), Some(new_scope)) = (st.dedup_scope(now), new_scope) {
            if st.config.fifo.as_ref().map(|f| f.dedup_scope) != Some(new_scope) {
                st.scope_change =
                    Some(ScopeChange { previous: in_effect, effective_at: now + limits::ATTRIBUTE_PROPAGATION });
            }
        }
        st.config = config;
        st.last_modified_at = now;
        drop(st);
        self.notify.notify_waiters();
    }

    pub fn snapshot(&self, now: Millis) -> QueueSnapshot {
        let mut st = self.lock();
        st.refresh(now);
        QueueSnapshot {
            config: st.config.clone(),
            created_at: self.created_at,
            last_modified_at: st.last_modified_at,
            available: st.store.available_count(),
            in_flight: st.store.in_flight_count(),
            delayed: st.store.delayed_count(),
        }
    }

    pub fn tags(&self) -> BTreeMap<String, String> {
        self.lock().tags.clone()
    }

    pub fn update_tags(&self, f: impl FnOnce(&mut BTreeMap<String, String>) -> SqsResult<()>) -> SqsResult<()> {
        let mut st = self.lock();
        let mut tags = st.tags.clone();
        f(&mut tags)?;
        st.tags = tags;
        Ok(())
    }

    /// Sends one message. FIFO: a duplicate inside the deduplication window is accepted and
    /// answered with the original MessageId and SequenceNumber but not enqueued again.
    pub fn send(&self, message: NewMessage, now: Millis) -> SqsResult<SendOutcome> {
        let mut batch = self.send_batch(vec![message], now);
        batch.pop().unwrap_or_else(|| Err(SqsError::internal("empty send result")))
    }

    /// Sends messages in order under one lock (SendMessageBatch enqueues FIFO entries in order).
    pub fn send_batch(&self, messages: Vec<NewMessage>, now: Millis) -> Vec<SqsResult<SendOutcome>> {
        let mut st = self.lock();
        st.refresh(now);
        let mut results = Vec::with_capacity(messages.len());
        let mut any_available = false;
        for message in messages {
            let result = self.enqueue(&mut st, message, now);
            if let Ok((_, available)) = &result {
                any_available |= *available;
            }
            results.push(result.map(|(outcome, _)| outcome));
        }
        drop(st);
        if any_available {
            self.notify.notify_waiters();
        }
        results
    }

    /// Returns the outcome and whether the message is available right away.
    fn enqueue(&self, st: &mut QueueState, new: NewMessage, now: Millis) -> SqsResult<(SendOutcome, bool)> {
        // FIFO: the deduplication id (explicit, or the body's SHA-256 with content-based dedup).
        let dedup_id = match &st.config.fifo {
            Some(fifo) => Some(Self::dedup_id(fifo, &new)?),
            None => None,
        };
        let dedup_key = match (st.dedup_scope(now), &dedup_id) {
            (Some(scope), Some(id)) => Some(Self::dedup_key(scope, &new, id)),
            _ => None,
        };
        if let Some(key) = &dedup_key {
            if let Some(original) = st.dedup.get(key, now) {
                return Ok((original.clone(), false));
            }
        }
        let seq = st.take_seq(now);
        let fifo = st.config.fifo.is_some();
        let sequence_number = fifo.then(|| self.sequence_number(seq));
        let delay = new.delay_seconds.unwrap_or(st.config.delay_seconds);
        let state = if delay > 0 { MessageState::Delayed(now + secs(delay)) } else { MessageState::Available };
        let outcome = SendOutcome { message_id: uuid::Uuid::new_v4(), sequence_number };
        st.store.insert(
            seq,
            Message {
                id: outcome.message_id,
                body: new.body,
                attributes: new.attributes,
                extras: MessageExtras::boxed(MessageExtras {
                    trace_header: new.trace_header,
                    dead_letter_source_arn: None,
                    dedup_id,
                }),
                group_id: new.group_id,
                sent_at: now,
                enqueued_at: now,
                first_received_at: 0,
                receive_count: 0,
                state,
                nonce: 0,
                received_at: 0,
            },
        );
        if let Some(key) = dedup_key {
            st.dedup.insert(key, outcome.clone(), now + limits::DEDUP_WINDOW);
        }
        Ok((outcome, state == MessageState::Available))
    }

    /// A FIFO message's deduplication id: the explicit one, else the SHA-256 of the body when
    /// ContentBasedDeduplication is on.
    fn dedup_id(fifo: &FifoConfig, new: &NewMessage) -> SqsResult<Arc<str>> {
        match (&new.dedup_id, fifo.content_based_dedup) {
            (Some(id), _) => Ok(id.clone()),
            (None, true) => Ok(Arc::from(hex_sha256(&new.body))),
            (None, false) => Err(SqsError::invalid_parameter(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            )),
        }
    }

    /// The key a FIFO send is deduplicated by: the id, prefixed by the group for `messageGroup`
    /// scope.
    fn dedup_key(scope: DedupScope, new: &NewMessage, id: &Arc<str>) -> Arc<str> {
        match scope {
            DedupScope::Queue => id.clone(),
            DedupScope::MessageGroup => {
                let group = new.group_id.as_deref().unwrap_or("");
                Arc::from(format!("{group}\u{0}{id}"))
            }
        }
    }

    /// Accepts messages a redrive moved here from `source_arn`: same id, body and attributes,
    /// receive count carried on, `DeadLetterQueueSourceArn` set. Standard queues keep the original
    /// enqueue time for retention; FIFO queues reset it and assign a new sequence number.
    pub fn accept_dead_letters(&self, messages: Vec<Message>, source_arn: &Arc<str>, now: Millis) {
        if messages.is_empty() {
            return;
        }
        let mut st = self.lock();
        st.refresh(now);
        let fifo = st.config.fifo.is_some();
        for mut message in messages {
            let seq = st.take_seq(now);
            if fifo {
                message.enqueued_at = now;
            }
            message.state = MessageState::Available;
            message.set_dead_letter_source_arn(Some(source_arn.clone()));
            st.store.insert(seq, message);
        }
        drop(st);
        self.notify.notify_waiters();
    }

    /// Removes and returns the next available message with its seq (message move tasks).
    pub fn take_available(&self, now: Millis) -> Option<(u64, Message)> {
        let mut st = self.lock();
        st.refresh(now);
        let limits = ReceiveLimits { max_messages: 1, visibility_ms: 0, max_receive_count: None };
        let delivery = st.store.receive(now, limits, &mut Vec::new()).pop()?;
        let mut message = st.store.remove(delivery.seq)?;
        message.receive_count -= 1;
        message.nonce = message.nonce.wrapping_sub(1);
        Some((delivery.seq, message))
    }

    /// Puts back, under its old seq, a message `take_available` returned (its move failed).
    pub fn restore(&self, seq: u64, message: Message, now: Millis) {
        self.insert_moved(message, now, Some(seq));
    }

    /// Accepts a message moved here by a message move task. Like SQS, it arrives as a new message
    /// of this queue: available now, received 0 times, retention counted from now, no
    /// DeadLetterQueueSourceArn; it keeps its id, body, attributes and group.
    pub fn accept_moved(&self, mut message: Message, now: Millis) {
        message.receive_count = 0;
        message.first_received_at = 0;
        message.set_dead_letter_source_arn(None);
        message.enqueued_at = now;
        self.insert_moved(message, now, None);
    }

    /// Inserts an available message under `seq`, or under the next seq when `None`.
    fn insert_moved(&self, mut message: Message, now: Millis, seq: Option<u64>) {
        let mut st = self.lock();
        st.refresh(now);
        let seq = seq.unwrap_or_else(|| st.take_seq(now));
        message.state = MessageState::Available;
        st.store.insert(seq, message);
        drop(st);
        self.notify.notify_waiters();
    }

    /// One receive attempt (no waiting). `max_receive_count` comes from the redrive policy when
    /// its dead-letter queue exists.
    pub fn receive(&self, request: &ReceiveRequest, max_receive_count: Option<u32>, now: Millis) -> ReceiveBatch {
        let mut st = self.lock();
        st.refresh(now);
        let visibility = request.visibility_timeout.unwrap_or(st.config.visibility_timeout);
        let fifo = st.config.fifo.is_some();
        let mut batch = ReceiveBatch::default();
        if let (true, Some(attempt_id)) = (fifo, &request.attempt_id) {
            if let Some(messages) = self.retry_attempt(&mut st, attempt_id, request.max_messages, visibility, now) {
                batch.messages = messages;
                batch.next_due = st.store.next_due();
                return batch;
            }
        }
        let limits =
            ReceiveLimits { max_messages: request.max_messages, visibility_ms: secs(visibility), max_receive_count };
        let deliveries = st.store.receive(now, limits, &mut batch.moved);
        if let (true, Some(attempt_id), false) = (fifo, &request.attempt_id, deliveries.is_empty()) {
            st.attempts.insert(
                attempt_id.clone(),
                Attempt { deliveries: deliveries.clone(), visible_at: now + limits.visibility_ms },
                now + limits::DEDUP_WINDOW,
            );
        }
        batch.messages = deliveries.iter().filter_map(|d| self.received(&st.store, *d)).collect();
        batch.next_due = st.store.next_due();
        batch
    }

    /// A retry of an earlier FIFO receive: the same messages and handles, with their visibility
    /// reset, provided each is still in flight from that receive (and the retry asks for no fewer
    /// messages than it returned).
    fn retry_attempt(
        &self,
        st: &mut QueueState,
        attempt_id: &str,
        max_messages: usize,
        visibility: u32,
        now: Millis,
    ) -> Option<Vec<ReceivedMessage>> {
        let attempt = st.attempts.get(attempt_id, now)?.clone();
        let in_flight_since_then = MessageState::InFlight(attempt.visible_at);
        let unchanged = attempt.deliveries.len() <= max_messages
            && attempt
                .deliveries
                .iter()
                .all(|d| st.store.get(d.seq).is_some_and(|m| m.nonce == d.nonce && m.state == in_flight_since_then));
        if !unchanged {
            return None;
        }
        let visible_at = now + secs(visibility);
        for d in &attempt.deliveries {
            st.store.set_state(d.seq, MessageState::InFlight(visible_at));
        }
        if let Some(stored) = st.attempts.get_mut(attempt_id, now) {
            stored.visible_at = visible_at;
        }
        Some(attempt.deliveries.iter().filter_map(|d| self.received(&st.store, *d)).collect())
    }

    /// The FIFO `SequenceNumber` of the message with `seq`.
    fn sequence_number(&self, seq: u64) -> u128 {
        SEQUENCE_NUMBER_BASE + seq as u128 + self.sequence_salt as u128
    }

    fn received(&self, store: &MessageStore, delivery: Delivery) -> Option<ReceivedMessage> {
        let m = store.get(delivery.seq)?;
        Some(ReceivedMessage {
            receipt_handle: Receipt { queue_uid: self.uid, seq: delivery.seq, nonce: delivery.nonce }.encode(),
            id: m.id,
            body: m.body.clone(),
            attributes: m.attributes.clone(),
            trace_header: m.trace_header().cloned(),
            group_id: m.group_id.clone(),
            dedup_id: m.dedup_id().cloned(),
            sequence_number: store.is_fifo().then(|| self.sequence_number(delivery.seq)),
            sent_at: m.sent_at,
            first_received_at: m.first_received_at,
            receive_count: m.receive_count,
            dead_letter_source_arn: m.dead_letter_source_arn().cloned(),
        })
    }

    /// Resolves a receipt handle, with SQS's errors for handles it never issued and handles of
    /// another queue.
    ///
    /// Standard queues: any handle of a message still in the queue acts on its current receive.
    /// AWS-validated tests show it (receive with VisibilityTimeout 0, receive again, then
    /// ChangeMessageVisibility with the first handle changes the message; shared/sqs-reference.md
    /// §7.5); the API reference's "the request succeeds, but the message might not be deleted"
    /// allows it. FIFO queues: only the handle of the most recent receive, while the message is in
    /// flight from it; any other is refused as expired (recorded: `test_fifo_delete_after_visibility_timeout`).
    fn resolve(&self, st: &QueueState, handle: &str) -> SqsResult<Handle> {
        let receipt = Receipt::decode(handle).ok_or_else(|| {
            SqsError::new(
                ErrorCode::ReceiptHandleIsInvalid,
                format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
            )
        })?;
        if receipt.queue_uid != self.uid {
            return Err(SqsError::new(
                ErrorCode::ReceiptHandleIsInvalid,
                format!("The receipt handle \"{handle}\" is not valid for this queue."),
            ));
        }
        let Some(message) = st.store.get(receipt.seq) else { return Ok(Handle::Gone) };
        let fifo = st.config.fifo.is_some();
        let latest = message.nonce == receipt.nonce;
        let in_flight = matches!(message.state, MessageState::InFlight(_));
        if fifo && !(latest && in_flight) {
            return Err(SqsError::invalid_value(handle, "ReceiptHandle", "The receipt handle has expired."));
        }
        Ok(Handle::Live(receipt.seq))
    }

    /// DeleteMessage. Idempotent: deleting an already deleted message succeeds.
    pub fn delete(&self, handle: &str, now: Millis) -> SqsResult<()> {
        let mut st = self.lock();
        st.refresh(now);
        if let Handle::Live(seq) = self.resolve(&st, handle)? {
            st.store.remove(seq);
        }
        let fifo = st.config.fifo.is_some();
        drop(st);
        if fifo {
            // Deleting a group's head may unlock the group.
            self.notify.notify_waiters();
        }
        Ok(())
    }

    /// ChangeMessageVisibility: the new timeout counts from now; total in-flight time since the
    /// receive may not exceed 12 hours; 0 makes the message visible at once.
    pub fn change_visibility(&self, handle: &str, timeout: u32, now: Millis) -> SqsResult<()> {
        let mut st = self.lock();
        st.refresh(now);
        let seq = match self.resolve(&st, handle)? {
            Handle::Live(seq) => seq,
            Handle::Gone => {
                return Err(SqsError::invalid_value(
                    handle,
                    "ReceiptHandle",
                    "Message does not exist or is not available for visibility timeout change.",
                ))
            }
        };
        let received_at = st.store.get(seq).map(|m| m.received_at).unwrap_or(now);
        let in_flight_so_far = now.saturating_sub(received_at);
        if in_flight_so_far + secs(timeout) > secs(limits::MAX_VISIBILITY_TIMEOUT as u32) {
            return Err(SqsError::invalid_value(
                timeout,
                "VisibilityTimeout",
                "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
            ));
        }
        let state = if timeout == 0 { MessageState::Available } else { MessageState::InFlight(now + secs(timeout)) };
        st.store.set_state(seq, state);
        drop(st);
        if timeout == 0 {
            self.notify.notify_waiters();
        }
        Ok(())
    }

    /// PurgeQueue: deletes every message (delayed, available and in flight) and clears the FIFO
    /// deduplication window. With `enforce_cooldown`, a second purge within 60 s is refused.
    pub fn purge(&self, enforce_cooldown: bool, now: Millis) -> SqsResult<()> {
        let mut st = self.lock();
        if let (true, Some(last)) = (enforce_cooldown, st.last_purge_at) {
            if now < last + limits::QUEUE_COOLDOWN {
                return Err(SqsError::new(
                    ErrorCode::PurgeQueueInProgress,
                    format!("Only one PurgeQueue operation on {} is allowed every 60 seconds.", self.name),
                ));
            }
        }
        st.last_purge_at = Some(now);
        st.store.clear();
        st.dedup.clear();
        st.attempts.clear();
        Ok(())
    }

    /// Number of messages held, in any state.
    pub fn len(&self) -> usize {
        self.lock().store.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// 64 random bits.
pub(crate) fn rand_u64() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

/// Lower-case hex SHA-256, the content-based deduplication id.
pub fn hex_sha256(body: &str) -> String {
    crate::hex::lower_hex(&Sha256::digest(body.as_bytes()))
}
