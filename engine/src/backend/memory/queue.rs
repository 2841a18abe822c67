//! One queue of the in-memory backend: its settings and messages behind one lock (the queue's
//! serialisation point, never held across an `.await`), and the signal that wakes long polls.
//!
//! The operations are methods of [`QueueState`], called with the lock held, so that the backend
//! can hold two queues' locks for one atomic step (a dead-letter move, a move-task move).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::expiring::ExpiringMap;
use super::journal::Change;
use super::message::{Message, MessageExtras, MessageState};
use super::receipt::Receipt;
use super::store::{Delivery, MessageStore, ReceiveLimits};
use crate::backend::{Purge, Update};
use crate::clock::Millis;
use crate::error::{SqsError, SqsResult};
use crate::limits::{self, secs};
use crate::message::{
    Grouping, NewMessage, PeekPage, PeekState, PeekedMessage, ReceiveBatch, ReceiveRequest, ReceivedMessage,
    SendOutcome,
};
use crate::queue::{DedupScope, QueueCounts, QueueInfo, QueueSettings};
use crate::types::QueueId;

/// What never changes about a queue: its identity, and what receipt handles and sequence
/// numbers are made from.
#[derive(Debug)]
pub struct Identity {
    pub id: QueueId,
    pub arn: Arc<str>,
    /// Distinguishes this queue from any earlier queue of the same name (receipt handles); random.
    pub uid: u64,
    /// Added to every FIFO sequence number of this queue; random, below 2^40.
    pub sequence_salt: u64,
    pub created_at: Millis,
}

/// FIFO `SequenceNumber`s are `10^19 + seq + salt`: 20-digit decimals (as SQS's are, e.g.
/// `18849496460467696128`) that increase with the seq and differ between queues by the salt.
const SEQUENCE_NUMBER_BASE: u128 = 10_000_000_000_000_000_000;

/// Room for 2^20 messages per millisecond before seqs run ahead of the clock (they still increase).
const SEQ_TIME_SHIFT: u32 = 20;

impl Identity {
    pub fn new(id: QueueId, created_at: Millis) -> Self {
        Identity { arn: id.arn().into(), id, uid: rand_u64(), sequence_salt: rand_u64() >> 24, created_at }
    }

    /// The FIFO `SequenceNumber` of the message with `seq`.
    pub fn sequence_number(&self, seq: u64) -> u128 {
        SEQUENCE_NUMBER_BASE + seq as u128 + self.sequence_salt as u128
    }

    pub fn receipt(&self, delivery: Delivery) -> String {
        Receipt { queue_uid: self.uid, seq: delivery.seq, nonce: delivery.nonce }.encode()
    }
}

/// 64 random bits.
pub fn rand_u64() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

/// A queue: identity, state behind its lock, and the wake signal.
#[derive(Debug)]
pub struct MemQueue {
    pub ident: Identity,
    state: Mutex<QueueState>,
    /// Notified whenever a waiting receive should look again (a message may have become
    /// available, the queue was deleted); long polls wait on it.
    changes: Arc<Notify>,
    /// How many long polls wait on `changes`: waking costs nothing while none does.
    waiting: Arc<AtomicUsize>,
}

impl MemQueue {
    /// A new, empty queue. `seqs` is the backend's seq source; `journaled` records its changes.
    pub fn new(ident: Identity, settings: QueueSettings, now: Millis, seqs: Arc<AtomicU64>, journaled: bool) -> Self {
        let info = Arc::new(QueueInfo {
            id: ident.id.clone(),
            arn: ident.arn.clone(),
            settings: Arc::new(settings),
            created_at: ident.created_at,
            last_modified_at: now,
            version: 1,
        });
        Self::restore(ident, info, None, seqs, journaled)
    }

    /// A queue as it was stored: its messages and deduplication window are added with
    /// [`QueueState::restore_message`] and [`QueueState::restore_dedup`].
    pub fn restore(
        ident: Identity,
        info: Arc<QueueInfo>,
        last_purge_at: Option<Millis>,
        seqs: Arc<AtomicU64>,
        journaled: bool,
    ) -> Self {
        let mut store = MessageStore::new(info.is_fifo());
        if journaled {
            store.track_changes();
        }
        MemQueue {
            ident,
            state: Mutex::new(QueueState {
                info,
                store,
                dedup: ExpiringMap::default(),
                attempts: ExpiringMap::default(),
                seqs,
                last_purge_at,
                journaled,
                pending: Vec::new(),
            }),
            changes: Arc::new(Notify::new()),
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, QueueState> {
        // A panic while holding the lock leaves consistent data (no partial multi-step update
        // escapes a single method), so a poisoned lock is recovered rather than propagated.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes the long polls waiting on this queue. Callers change the state first (under the lock),
    /// then wake: a poll that registered after this look at `waiting` looks at the state after
    /// the change.
    pub fn wake(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.changes.notify_waiters();
        }
    }

    /// A future that completes on the next [`MemQueue::wake`]; registered before it returns.
    pub fn changed(&self) -> crate::backend::Wake {
        let waiting = WaitingGuard::new(self.waiting.clone());
        let mut notified = Box::pin(self.changes.clone().notified_owned());
        notified.as_mut().enable();
        Box::pin(async move {
            notified.await;
            drop(waiting);
        })
    }

    pub fn info(&self) -> Arc<QueueInfo> {
        self.lock().info.clone()
    }

    /// The dead-letter queue and maxReceiveCount of this queue's redrive policy.
    pub fn redrive_target(&self) -> Option<(QueueId, u32)> {
        self.lock().redrive_target()
    }
}

/// Counts one waiting long poll for as long as it lives.
struct WaitingGuard(Arc<AtomicUsize>);

impl WaitingGuard {
    fn new(waiting: Arc<AtomicUsize>) -> Self {
        waiting.fetch_add(1, Ordering::SeqCst);
        WaitingGuard(waiting)
    }
}

impl Drop for WaitingGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
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
pub struct QueueState {
    /// Settings, version and timestamps, shared with readers (replaced whole on a change).
    info: Arc<QueueInfo>,
    store: MessageStore,
    /// FIFO: deduplication key -> the original send, for 5 minutes.
    dedup: ExpiringMap<SendOutcome>,
    /// FIFO: ReceiveRequestAttemptId -> the messages that receive returned, for 5 minutes.
    attempts: ExpiringMap<Attempt>,
    /// The lowest seq the next message may get, shared by every queue of the backend (seqs are
    /// unique across queues; see [`QueueState::take_seq`]).
    seqs: Arc<AtomicU64>,
    last_purge_at: Option<Millis>,
    /// Whether changes are recorded for a journal.
    journaled: bool,
    /// Changes other than messages' made since the last [`QueueState::take_changes`].
    pending: Vec<Pending>,
}

/// A change to a queue other than to its messages, waiting for [`QueueState::take_changes`].
#[derive(Debug)]
enum Pending {
    /// The queue record (settings, purge time) changed.
    Record,
    Dedup {
        key: Arc<str>,
        outcome: SendOutcome,
        expires_at: Millis,
    },
    DedupCleared,
}

/// A message a receive moves to the dead-letter queue: the DLQ's state, or `None` when the
/// queue is its own dead-letter queue.
pub struct DeadLetters<'a> {
    pub max_receive_count: u32,
    pub queue: Option<(&'a Identity, &'a mut QueueState)>,
}

/// What a valid receipt handle of this queue refers to.
enum Handle {
    /// A message still in the queue (the handle acts on its current receive).
    Live(u64),
    /// A message (of this seq) that no longer exists.
    Gone(u64),
}

impl QueueState {
    pub fn info(&self) -> Arc<QueueInfo> {
        self.info.clone()
    }

    fn config(&self) -> &crate::queue::QueueConfig {
        &self.info.settings.config
    }

    pub fn redrive_target(&self) -> Option<(QueueId, u32)> {
        let policy = self.config().redrive_policy.as_ref()?;
        Some((policy.dead_letter_queue.clone(), policy.max_receive_count))
    }

    fn is_fifo(&self) -> bool {
        self.config().fifo.is_some()
    }

    fn refresh(&mut self, now: Millis) {
        self.store.refresh(now, secs(self.config().retention_seconds));
    }

    /// A new message's seq: the key of every index, and the base of its FIFO `SequenceNumber`.
    /// Seqs increase strictly and follow the clock (epoch ms in the high bits), so they keep
    /// increasing across restarts and never count from a fixed start.
    fn take_seq(&mut self, now: Millis) -> u64 {
        let floor = now << SEQ_TIME_SHIFT;
        let previous = self
            .seqs
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |next| Some(next.max(floor) + 1))
            .unwrap_or_else(|current| current);
        previous.max(floor)
    }

    /// The changes made since the last call, for the journal (empty when not journaled): every
    /// message touched, as it is now or as deleted, then the other changes.
    pub fn take_changes(&mut self, ident: &Identity) -> Vec<Change> {
        if !self.journaled {
            return Vec::new();
        }
        let mut changes: Vec<Change> = self
            .store
            .take_changed()
            .into_iter()
            .map(|seq| match self.store.get(seq) {
                Some(message) => Change::Message { uid: ident.uid, seq, message: message.clone() },
                None => Change::MessageDeleted { seq },
            })
            .collect();
        for pending in std::mem::take(&mut self.pending) {
            changes.push(match pending {
                Pending::Record => self.queue_change(ident),
                Pending::Dedup { key, outcome, expires_at } => {
                    Change::Dedup { uid: ident.uid, key, outcome, expires_at }
                }
                Pending::DedupCleared => Change::DedupCleared { uid: ident.uid },
            });
        }
        changes
    }

    /// The whole queue record, as a change.
    pub fn queue_change(&self, ident: &Identity) -> Change {
        Change::Queue {
            uid: ident.uid,
            sequence_salt: ident.sequence_salt,
            info: self.info.clone(),
            last_purge_at: self.last_purge_at,
        }
    }

    /// Adds a stored message under its seq (restart).
    pub fn restore_message(&mut self, seq: u64, message: Message) {
        self.store.insert(seq, message);
        self.store.take_changed();
    }

    /// Adds a stored deduplication entry (restart); entries come in expiry order.
    pub fn restore_dedup(&mut self, key: Arc<str>, outcome: SendOutcome, expires_at: Millis) {
        self.dedup.insert(key, outcome, expires_at);
    }

    /// Every seq held (for the journal, when the queue is deleted).
    pub fn seqs(&self) -> Vec<u64> {
        self.store.seqs()
    }

    pub fn update_settings(&mut self, version: u64, settings: QueueSettings, now: Millis, modified: bool) -> Update {
        if version != self.info.version {
            return Update::Conflict;
        }
        let info = QueueInfo {
            settings: Arc::new(settings),
            version: version + 1,
            last_modified_at: if modified { now } else { self.info.last_modified_at },
            ..(*self.info).clone()
        };
        self.info = Arc::new(info);
        if self.journaled {
            self.pending.push(Pending::Record);
        }
        Update::Done(self.info.clone())
    }

    pub fn counts(&mut self, now: Millis) -> QueueCounts {
        self.refresh(now);
        QueueCounts {
            available: self.store.available_count() as u64,
            in_flight: self.store.in_flight_count() as u64,
            delayed: self.store.delayed_count() as u64,
            oldest_enqueued_at: self.store.oldest_enqueued_at(),
        }
    }

    /// Number of messages held, in any state.
    pub fn message_count(&self) -> usize {
        self.store.len()
    }

    /// Sends messages in order, with the configuration-dependent send rules. Returns their outcomes
    /// (or the error that fails them all) and whether any became available at once.
    pub fn send(
        &mut self,
        ident: &Identity,
        messages: Vec<NewMessage>,
        in_batch: bool,
        now: Millis,
    ) -> (SqsResult<Vec<SqsResult<SendOutcome>>>, bool) {
        self.refresh(now);
        if let Err(e) = crate::rules::check_dedup_ids(&messages, self.config()) {
            return (Err(e), false);
        }
        let mut any_available = false;
        let results = messages
            .into_iter()
            .map(|message| {
                crate::rules::check_size(message.size, self.config(), in_batch)?;
                self.enqueue(ident, message, now).map(|(outcome, available)| {
                    any_available |= available;
                    outcome
                })
            })
            .collect();
        (Ok(results), any_available)
    }

    /// Returns the outcome and whether the message is available right away. FIFO: a duplicate
    /// inside the deduplication window is answered with the original MessageId and SequenceNumber
    /// but not enqueued again.
    fn enqueue(&mut self, ident: &Identity, new: NewMessage, now: Millis) -> SqsResult<(SendOutcome, bool)> {
        let (group, dedup_id, delay_seconds) = match (new.grouping, &self.config().fifo) {
            (Grouping::Fifo { group, dedup }, Some(fifo)) => {
                let dedup = crate::rules::dedup_id(fifo, dedup, &new.body)?;
                let key = dedup_key(fifo.dedup_scope_at(now), &group, &dedup);
                if let Some(original) = self.dedup.get(&key, now) {
                    return Ok((original.clone(), false));
                }
                (Some(group.shared().clone()), Some((dedup.shared().clone(), key)), None)
            }
            (Grouping::Standard { group, delay_seconds }, None) => {
                (group.map(|g| g.shared().clone()), None, delay_seconds)
            }
            _ => return Err(SqsError::internal("message grouping does not match the queue type")),
        };
        let seq = self.take_seq(now);
        let sequence_number = self.is_fifo().then(|| ident.sequence_number(seq));
        let delay = delay_seconds.unwrap_or(self.config().delay_seconds);
        let state = if delay > 0 { MessageState::Delayed(now + secs(delay)) } else { MessageState::Available };
        let outcome = SendOutcome { message_id: uuid::Uuid::new_v4(), sequence_number };
        let extras = MessageExtras {
            trace_header: new.trace_header,
            dead_letter_source_arn: None,
            dedup_id: dedup_id.as_ref().map(|(id, _)| id.clone()),
        };
        self.store.insert(
            seq,
            Message {
                id: outcome.message_id,
                body: new.body,
                attributes: new.attributes,
                extras: MessageExtras::boxed(extras),
                group_id: group,
                sent_at: now,
                enqueued_at: now,
                first_received_at: 0,
                receive_count: 0,
                state,
                nonce: 0,
                received_at: 0,
            },
        );
        if let Some((_, key)) = dedup_id {
            let expires_at = now + limits::DEDUP_WINDOW;
            if self.journaled {
                self.pending.push(Pending::Dedup { key: key.clone(), outcome: outcome.clone(), expires_at });
            }
            self.dedup.insert(key, outcome.clone(), expires_at);
        }
        Ok((outcome, state == MessageState::Available))
    }

    /// One receive attempt. Messages that reached `dead_letters.max_receive_count` move to the
    /// dead-letter queue on the way (same id, body and attributes, receive count carried on,
    /// `DeadLetterQueueSourceArn` set; standard queues keep the original enqueue time for
    /// retention, FIFO queues restart it).
    pub fn receive(
        &mut self,
        ident: &Identity,
        request: &ReceiveRequest,
        now: Millis,
        dead_letters: Option<DeadLetters<'_>>,
    ) -> ReceiveBatch {
        self.refresh(now);
        let visibility = request.visibility_timeout.unwrap_or(self.config().visibility_timeout);
        let mut batch = ReceiveBatch::default();
        if let (true, Some(attempt_id)) = (self.is_fifo(), &request.attempt_id) {
            if let Some(messages) =
                self.retry_attempt(ident, attempt_id.as_str(), request.max_messages, visibility, now)
            {
                batch.messages = messages;
                batch.next_due = self.store.next_due();
                return batch;
            }
        }
        let limits = ReceiveLimits {
            max_messages: request.max_messages,
            visibility_ms: secs(visibility),
            max_receive_count: dead_letters.as_ref().map(|d| d.max_receive_count),
        };
        let mut moved = Vec::new();
        let deliveries = self.store.receive(now, limits, &mut moved);
        if let (true, Some(attempt_id), false) = (self.is_fifo(), &request.attempt_id, deliveries.is_empty()) {
            self.attempts.insert(
                attempt_id.shared().clone(),
                Attempt { deliveries: deliveries.clone(), visible_at: now + limits.visibility_ms },
                now + limits::DEDUP_WINDOW,
            );
        }
        batch.messages = deliveries.iter().filter_map(|d| self.received(ident, *d)).collect();
        batch.dead_lettered = moved.len() as u64;
        if !moved.is_empty() {
            match dead_letters.and_then(|d| d.queue) {
                Some((_, dlq)) => dlq.accept_dead_letters(moved, &ident.arn, now),
                None => self.accept_dead_letters(moved, &ident.arn, now),
            }
        }
        batch.next_due = self.store.next_due();
        batch
    }

    /// A retry of an earlier FIFO receive: the same messages and handles, with their visibility
    /// reset, provided each is still in flight from that receive (and the retry asks for no fewer
    /// messages than it returned).
    fn retry_attempt(
        &mut self,
        ident: &Identity,
        attempt_id: &str,
        max_messages: usize,
        visibility: u32,
        now: Millis,
    ) -> Option<Vec<ReceivedMessage>> {
        let attempt = self.attempts.get(attempt_id, now)?.clone();
        let in_flight_since_then = MessageState::InFlight(attempt.visible_at);
        let unchanged = attempt.deliveries.len() <= max_messages
            && attempt
                .deliveries
                .iter()
                .all(|d| self.store.get(d.seq).is_some_and(|m| m.nonce == d.nonce && m.state == in_flight_since_then));
        if !unchanged {
            return None;
        }
        let visible_at = now + secs(visibility);
        for d in &attempt.deliveries {
            self.store.set_state(d.seq, MessageState::InFlight(visible_at));
        }
        if let Some(stored) = self.attempts.get_mut(attempt_id, now) {
            stored.visible_at = visible_at;
        }
        Some(attempt.deliveries.iter().filter_map(|d| self.received(ident, *d)).collect())
    }

    fn received(&self, ident: &Identity, delivery: Delivery) -> Option<ReceivedMessage> {
        let m = self.store.get(delivery.seq)?;
        Some(ReceivedMessage {
            receipt_handle: ident.receipt(delivery),
            id: m.id,
            body: m.body.clone(),
            attributes: m.attributes.clone(),
            trace_header: m.trace_header().cloned(),
            group_id: m.group_id.clone(),
            dedup_id: m.dedup_id().cloned(),
            sequence_number: self.store.is_fifo().then(|| ident.sequence_number(delivery.seq)),
            sent_at: m.sent_at,
            first_received_at: m.first_received_at,
            receive_count: m.receive_count,
            dead_letter_source_arn: m.dead_letter_source_arn().cloned(),
        })
    }

    /// Accepts messages a redrive moved here from `source_arn`.
    fn accept_dead_letters(&mut self, messages: Vec<Message>, source_arn: &Arc<str>, now: Millis) {
        self.refresh(now);
        let fifo = self.is_fifo();
        for mut message in messages {
            let seq = self.take_seq(now);
            if fifo {
                message.enqueued_at = now;
            }
            message.state = MessageState::Available;
            message.set_dead_letter_source_arn(Some(source_arn.clone()));
            self.store.insert(seq, message);
        }
    }

    /// Removes and returns the next available message with its seq (message move tasks); it is
    /// not received (its receive count and timestamps stay as they were).
    pub fn take_available(&mut self, now: Millis) -> Option<(u64, Message)> {
        self.refresh(now);
        self.store.take_available()
    }

    /// The dead-letter source of the next available message, without taking it.
    pub fn next_available_source(&mut self, now: Millis) -> Option<Option<Arc<str>>> {
        self.refresh(now);
        self.store.peek_available().map(|m| m.dead_letter_source_arn().cloned())
    }

    /// Puts back, under its old seq, a message `take_available` returned (its move failed).
    pub fn restore(&mut self, seq: u64, mut message: Message) {
        message.state = MessageState::Available;
        self.store.insert(seq, message);
    }

    /// Accepts a message moved here by a message move task. Like SQS, it arrives as a new message
    /// of this queue: available now, received 0 times, retention counted from now, no
    /// DeadLetterQueueSourceArn; it keeps its id, body, attributes and group.
    pub fn accept_moved(&mut self, mut message: Message, now: Millis) {
        self.refresh(now);
        message.receive_count = 0;
        message.first_received_at = 0;
        message.set_dead_letter_source_arn(None);
        message.enqueued_at = now;
        message.state = MessageState::Available;
        let seq = self.take_seq(now);
        self.store.insert(seq, message);
    }

    /// Resolves a receipt handle by the rules of [`crate::rules::receipt`].
    fn resolve(&self, ident: &Identity, handle: &str) -> SqsResult<Handle> {
        let receipt = crate::rules::receipt(handle, ident.uid)?;
        let Some(message) = self.store.get(receipt.seq) else { return Ok(Handle::Gone(receipt.seq)) };
        let latest = message.nonce == receipt.nonce;
        let in_flight = matches!(message.state, MessageState::InFlight(_));
        if self.is_fifo() && !(latest && in_flight) {
            return Err(crate::rules::handle_expired(handle));
        }
        Ok(Handle::Live(receipt.seq))
    }

    /// DeleteMessage. Idempotent: deleting an already deleted message succeeds.
    pub fn delete(&mut self, ident: &Identity, handle: &str, now: Millis) -> SqsResult<()> {
        self.refresh(now);
        match self.resolve(ident, handle)? {
            Handle::Live(seq) => {
                self.store.remove(seq);
            }
            Handle::Gone(seq) => self.store.touch(seq),
        }
        Ok(())
    }

    /// ChangeMessageVisibility: the new timeout counts from now; total in-flight time since the
    /// receive may not exceed 12 hours; 0 makes the message visible at once.
    pub fn change_visibility(&mut self, ident: &Identity, handle: &str, timeout: u32, now: Millis) -> SqsResult<()> {
        self.refresh(now);
        let seq = match self.resolve(ident, handle)? {
            Handle::Live(seq) => seq,
            Handle::Gone(_) => return Err(crate::rules::message_gone(handle)),
        };
        let received_at = self.store.get(seq).map(|m| m.received_at).unwrap_or(now);
        crate::rules::check_total_visibility(received_at, timeout, now)?;
        let state = if timeout == 0 { MessageState::Available } else { MessageState::InFlight(now + secs(timeout)) };
        self.store.set_state(seq, state);
        Ok(())
    }

    /// PurgeQueue: deletes every message (delayed, available and in flight) and clears the FIFO
    /// deduplication window, unless the queue was purged after `purged_since`.
    /// Up to `limit` messages after the cursor `after`, in queue order, as of `now`, changing
    /// nothing (states are computed, not applied).
    pub fn peek(&self, ident: &Identity, after: Option<u64>, limit: usize, now: Millis) -> PeekPage {
        let retention = secs(self.config().retention_seconds);
        let mut page = PeekPage::default();
        let mut last_seq = after;
        for (seq, m) in self.store.after(after).filter(|(_, m)| m.enqueued_at.saturating_add(retention) > now) {
            if page.messages.len() == limit {
                page.next = last_seq;
                break;
            }
            last_seq = Some(seq);
            let (state, visible_at) = match m.state {
                MessageState::Delayed(until) if until > now => (PeekState::Delayed, Some(until)),
                MessageState::InFlight(until) if until > now => (PeekState::InFlight, Some(until)),
                _ => (PeekState::Available, None),
            };
            let Some(mut message) = self.received(ident, Delivery { seq, nonce: m.nonce }) else { continue };
            message.receipt_handle = String::new();
            page.messages.push(PeekedMessage { message, position: seq, state, visible_at });
        }
        page
    }

    /// Deletes the message at `position` if it is the one with `message_id` (the admin API's delete,
    /// from a peek); false when it is not there.
    pub fn delete_at(&mut self, position: u64, message_id: uuid::Uuid, now: Millis) -> bool {
        self.refresh(now);
        if self.store.get(position).is_none_or(|m| m.id != message_id) {
            return false;
        }
        self.store.remove(position);
        true
    }

    /// Purges and forgets the last purge (the admin API's queue reset: no 60-second rule after it).
    pub fn reset(&mut self, now: Millis) {
        self.purge(now, None);
        self.last_purge_at = None;
    }

    pub fn purge(&mut self, now: Millis, purged_since: Option<Millis>) -> Purge {
        if let (Some(since), Some(last)) = (purged_since, self.last_purge_at) {
            if last > since {
                return Purge::TooSoon;
            }
        }
        self.last_purge_at = Some(now);
        self.store.clear();
        self.dedup.clear();
        self.attempts.clear();
        if self.journaled {
            self.pending.push(Pending::DedupCleared);
            self.pending.push(Pending::Record);
        }
        Purge::Done
    }
}

/// The key a FIFO send is deduplicated by: the id, prefixed by the group for `messageGroup` scope.
/// An id is remembered under the scope in effect when it was sent.
pub fn dedup_key(scope: DedupScope, group: &crate::types::GroupId, id: &crate::types::DedupId) -> Arc<str> {
    match scope {
        DedupScope::Queue => id.shared().clone(),
        DedupScope::MessageGroup => Arc::from(format!("{}\u{0}{}", group.as_str(), id.as_str())),
    }
}
