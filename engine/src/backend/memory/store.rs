//! The message store of one queue: a pure, synchronous core that takes `now` as an argument.
//!
//! Every message lives in `messages` (keyed by its queue-local `seq`) and in exactly one of
//! three places by state:
//! - `delayed`: ordered by the time the delay ends;
//! - `in_flight`: ordered by the time the visibility timeout ends;
//! - the ready structure, which differs by queue type:
//!   - standard queues ([`FairRotation`]): one ordered set of available messages per message group
//!     (messages without a group share one), served round-robin one message per turn, so a noisy
//!     group cannot starve quiet ones (SQS "fair queues");
//!   - FIFO queues ([`FifoGroups`]): every undeleted message stays in its group's ordered set; a group
//!     is *ready* when its head message is available, and ready groups are served in the order they
//!     became ready (longest-waiting head first). A group whose head is in flight is locked simply
//!     because it is not ready; nothing scans for locks.
//!
//! Time-driven transitions are applied lazily by [`MessageStore::refresh`], popping only the
//! entries that are due. Every operation costs O(log n) per message touched; none scans the queue.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Bound::{Excluded, Unbounded};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::message::{Message, MessageState};
use crate::clock::Millis;

/// Standard-queue ready set: per-group ordered sets served round-robin.
#[derive(Debug, Default)]
struct FairRotation {
    /// Available messages per group. A group is in `turns` exactly once while it is in this map
    /// (its set may be empty until its turn comes round and it is dropped).
    groups: FxHashMap<Option<Arc<str>>, BTreeSet<u64>>,
    /// Groups waiting for a turn.
    turns: VecDeque<Option<Arc<str>>>,
}

impl FairRotation {
    fn add(&mut self, group: &Option<Arc<str>>, seq: u64) {
        match self.groups.get_mut(group) {
            Some(set) => {
                set.insert(seq);
            }
            None => {
                self.groups.insert(group.clone(), BTreeSet::from([seq]));
                self.turns.push_back(group.clone());
            }
        }
    }

    fn remove(&mut self, group: &Option<Arc<str>>, seq: u64) {
        if let Some(set) = self.groups.get_mut(group) {
            set.remove(&seq);
        }
    }

    /// The oldest available message of the next group in turn.
    fn pop(&mut self) -> Option<u64> {
        while let Some(group) = self.turns.pop_front() {
            let Some(set) = self.groups.get_mut(&group) else { continue };
            match set.pop_first() {
                Some(seq) => {
                    if set.is_empty() {
                        self.groups.remove(&group);
                    } else {
                        self.turns.push_back(group);
                    }
                    return Some(seq);
                }
                None => {
                    self.groups.remove(&group);
                }
            }
        }
        None
    }

    /// The message `pop` would return, without taking it.
    fn peek(&self) -> Option<u64> {
        self.turns.iter().find_map(|group| self.groups.get(group)?.first().copied())
    }

    fn clear(&mut self) {
        self.groups.clear();
        self.turns.clear();
    }
}

/// One FIFO message group.
#[derive(Debug, Default)]
struct FifoGroup {
    /// Every undeleted message of the group (delayed, available or in flight), in send order.
    members: BTreeSet<u64>,
    /// The group's place in the ready order while its head is available.
    turn: Option<u64>,
}

/// FIFO ready structure: groups, and the ready ones in the order they became ready.
#[derive(Debug, Default)]
struct FifoGroups {
    groups: FxHashMap<Arc<str>, FifoGroup>,
    /// turn -> group, for groups whose head message is available.
    ready: BTreeMap<u64, Arc<str>>,
    next_turn: u64,
}

impl FifoGroups {
    /// Re-evaluates whether `group` is ready after its head or its head's state changed.
    fn update(&mut self, group_id: &Arc<str>, messages: &BTreeMap<u64, Box<Message>>) {
        let Some(group) = self.groups.get_mut(group_id) else { return };
        let head_available =
            group.members.first().and_then(|seq| messages.get(seq)).is_some_and(|m| m.state == MessageState::Available);
        match (head_available, group.turn) {
            (true, None) => {
                let turn = self.next_turn;
                self.next_turn += 1;
                group.turn = Some(turn);
                self.ready.insert(turn, group_id.clone());
            }
            (false, Some(turn)) => {
                group.turn = None;
                self.ready.remove(&turn);
            }
            _ => {}
        }
        if group.members.is_empty() {
            self.groups.remove(group_id);
        }
    }
}

#[derive(Debug)]
enum Ready {
    Standard(FairRotation),
    Fifo(FifoGroups),
}

/// One message handed out by [`MessageStore::receive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub seq: u64,
    pub nonce: u32,
}

/// The messages of one queue.
#[derive(Debug)]
pub struct MessageStore {
    /// Every message by seq. Ordered by seq rather than hashed: queues are mostly consumed from the
    /// old end and fed at the new end, so both stay in cache however long the queue is. Boxed, so
    /// the tree's nodes stay small and messages never move.
    messages: BTreeMap<u64, Box<Message>>,
    /// (delay end, seq) of delayed messages.
    delayed: BTreeSet<(Millis, u64)>,
    /// (visibility end, seq) of in-flight messages.
    in_flight: BTreeSet<(Millis, u64)>,
    /// (enqueue time, seq) of every message, for the retention period.
    retention: BTreeSet<(Millis, u64)>,
    ready: Ready,
    /// The seqs changed since the last [`MessageStore::take_changed`], while a journal wants them
    /// (`None` otherwise: in memory nothing is recorded). Transitions that follow from time alone
    /// (a delay or visibility timeout ending) are not changes: they are recomputed from the stored
    /// deadlines.
    changed: Option<Vec<u64>>,
}

/// What a receive asks of the store.
#[derive(Debug, Clone, Copy)]
pub struct ReceiveLimits {
    pub max_messages: usize,
    /// In-flight time of the messages handed out.
    pub visibility_ms: Millis,
    /// The redrive policy's `maxReceiveCount`: a message already received this often is moved
    /// out (returned in `moved`) instead of being delivered.
    pub max_receive_count: Option<u32>,
}

impl MessageStore {
    pub fn new(fifo: bool) -> Self {
        let ready = if fifo { Ready::Fifo(FifoGroups::default()) } else { Ready::Standard(FairRotation::default()) };
        MessageStore {
            messages: BTreeMap::new(),
            delayed: BTreeSet::new(),
            in_flight: BTreeSet::new(),
            retention: BTreeSet::new(),
            ready,
            changed: None,
        }
    }

    pub fn is_fifo(&self) -> bool {
        matches!(self.ready, Ready::Fifo(_))
    }

    /// Starts recording which seqs change (for a journal).
    pub fn track_changes(&mut self) {
        self.changed.get_or_insert_with(Vec::new);
    }

    /// The seqs changed since the last call, each once.
    pub fn take_changed(&mut self) -> Vec<u64> {
        let Some(changed) = self.changed.as_mut() else { return Vec::new() };
        let mut seqs = std::mem::take(changed);
        seqs.sort_unstable();
        seqs.dedup();
        seqs
    }

    /// Records `seq` as changed (a delete of a message already gone is still written: an earlier
    /// write of the delete may have failed).
    pub fn touch(&mut self, seq: u64) {
        if let Some(changed) = self.changed.as_mut() {
            changed.push(seq);
        }
    }

    /// Every seq held, in order.
    pub fn seqs(&self) -> Vec<u64> {
        self.messages.keys().copied().collect()
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// `ApproximateNumberOfMessages`: messages neither delayed nor in flight.
    pub fn available_count(&self) -> usize {
        self.messages.len() - self.delayed.len() - self.in_flight.len()
    }

    /// `ApproximateNumberOfMessagesNotVisible`.
    pub fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }

    /// `ApproximateNumberOfMessagesDelayed`.
    pub fn delayed_count(&self) -> usize {
        self.delayed.len()
    }

    pub fn get(&self, seq: u64) -> Option<&Message> {
        self.messages.get(&seq).map(|m| &**m)
    }

    /// Messages in send (seq) order, starting after `after`.
    pub fn after(&self, after: Option<u64>) -> impl Iterator<Item = (u64, &Message)> {
        let start = after.map_or(Unbounded, Excluded);
        self.messages.range((start, Unbounded)).map(|(seq, m)| (*seq, &**m))
    }

    /// The next time a delay or visibility timeout ends, if any.
    pub fn next_due(&self) -> Option<Millis> {
        let delayed = self.delayed.first().map(|(t, _)| *t);
        let in_flight = self.in_flight.first().map(|(t, _)| *t);
        match (delayed, in_flight) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Adds a message under `seq` in the state it carries.
    pub fn insert(&mut self, seq: u64, message: Message) {
        self.touch(seq);
        self.retention.insert((message.enqueued_at, seq));
        let group = message.group_id.clone();
        let state = message.state;
        self.messages.insert(seq, Box::new(message));
        if let Ready::Fifo(fifo) = &mut self.ready {
            if let Some(group_id) = &group {
                fifo.groups.entry(group_id.clone()).or_default().members.insert(seq);
            }
        }
        self.index_state(seq, &group, state);
    }

    /// Applies every transition due by `now`: delays end, visibility timeouts end, and messages
    /// older than `retention_ms` are deleted.
    pub fn refresh(&mut self, now: Millis, retention_ms: Millis) {
        while let Some(&(at, seq)) = self.delayed.first() {
            if at > now {
                break;
            }
            if self.state_of(seq) == Some(MessageState::Delayed(at)) {
                self.set_state_by_time(seq, MessageState::Available);
            } else {
                // Unreachable while the indexes agree; dropping a stale entry keeps this loop finite.
                self.delayed.remove(&(at, seq));
            }
        }
        while let Some(&(at, seq)) = self.in_flight.first() {
            if at > now {
                break;
            }
            if self.state_of(seq) == Some(MessageState::InFlight(at)) {
                self.set_state_by_time(seq, MessageState::Available);
            } else {
                self.in_flight.remove(&(at, seq));
            }
        }
        while let Some(&(enqueued, seq)) = self.retention.first() {
            if enqueued.saturating_add(retention_ms) > now {
                break;
            }
            if self.messages.get(&seq).is_some_and(|m| m.enqueued_at == enqueued) {
                self.remove(seq);
            } else {
                self.retention.remove(&(enqueued, seq));
            }
        }
    }

    fn state_of(&self, seq: u64) -> Option<MessageState> {
        self.messages.get(&seq).map(|m| m.state)
    }

    /// Hands out up to `limits.max_messages` messages and makes them in flight. Messages that
    /// reached the redrive limit are removed and returned in `moved` instead.
    pub fn receive(&mut self, now: Millis, limits: ReceiveLimits, moved: &mut Vec<Message>) -> Vec<Delivery> {
        let mut out = Vec::new();
        if self.is_fifo() {
            self.receive_fifo(now, limits, &mut out, moved);
        } else {
            self.receive_standard(now, limits, &mut out, moved);
        }
        out
    }

    fn receive_standard(
        &mut self,
        now: Millis,
        limits: ReceiveLimits,
        out: &mut Vec<Delivery>,
        moved: &mut Vec<Message>,
    ) {
        while out.len() < limits.max_messages {
            let Ready::Standard(rotation) = &mut self.ready else { return };
            let Some(seq) = rotation.pop() else { return };
            self.deliver_or_move(seq, now, limits, out, moved);
        }
    }

    fn receive_fifo(&mut self, now: Millis, limits: ReceiveLimits, out: &mut Vec<Delivery>, moved: &mut Vec<Message>) {
        while out.len() < limits.max_messages {
            let Ready::Fifo(fifo) = &mut self.ready else { return };
            let Some((_, group_id)) = fifo.ready.pop_first() else { return };
            if let Some(group) = fifo.groups.get_mut(&group_id) {
                group.turn = None;
            }
            // Walk the group from its head: take available messages in order and stop at the
            // first one that is delayed or in flight (it keeps the rest of the group behind it).
            let mut cursor: Option<u64> = None;
            while out.len() < limits.max_messages {
                let Ready::Fifo(fifo) = &self.ready else { return };
                let Some(group) = fifo.groups.get(&group_id) else { break };
                let next = match cursor {
                    None => group.members.first().copied(),
                    Some(c) => group.members.range((Excluded(c), Unbounded)).next().copied(),
                };
                let Some(seq) = next else { break };
                let available = self.messages.get(&seq).is_some_and(|m| m.state == MessageState::Available);
                if !available {
                    break;
                }
                cursor = Some(seq);
                self.deliver_or_move(seq, now, limits, out, moved);
            }
            if let Ready::Fifo(fifo) = &mut self.ready {
                fifo.update(&group_id, &self.messages);
            }
        }
    }

    /// Delivers one available message, or moves it out if it reached the redrive limit.
    fn deliver_or_move(
        &mut self,
        seq: u64,
        now: Millis,
        limits: ReceiveLimits,
        out: &mut Vec<Delivery>,
        moved: &mut Vec<Message>,
    ) {
        let Some(message) = self.messages.get(&seq) else { return };
        if limits.max_receive_count.is_some_and(|max| message.receive_count >= max) {
            if let Some(message) = self.remove(seq) {
                moved.push(message);
            }
            return;
        }
        // No group update per message here: receive_fifo re-evaluates the group once after its walk.
        self.touch(seq);
        self.move_state(seq, MessageState::InFlight(now.saturating_add(limits.visibility_ms)));
        if let Some(message) = self.messages.get_mut(&seq) {
            message.receive_count += 1;
            message.nonce = message.nonce.wrapping_add(1);
            if message.first_received_at == 0 {
                message.first_received_at = now;
            }
            message.received_at = now;
            out.push(Delivery { seq, nonce: message.nonce });
        }
    }

    /// The available message a receive would hand out first.
    fn next_available(&self) -> Option<u64> {
        match &self.ready {
            Ready::Standard(rotation) => rotation.peek(),
            Ready::Fifo(fifo) => {
                let (_, group) = fifo.ready.first_key_value()?;
                fifo.groups.get(group)?.members.first().copied()
            }
        }
    }

    /// The message a receive would hand out first, without changing anything.
    pub fn peek_available(&self) -> Option<&Message> {
        self.get(self.next_available()?)
    }

    /// Removes the message a receive would hand out first, without receiving it.
    pub fn take_available(&mut self) -> Option<(u64, Message)> {
        let seq = self.next_available()?;
        self.remove(seq).map(|m| (seq, m))
    }

    /// When the oldest message still held was enqueued.
    pub fn oldest_enqueued_at(&self) -> Option<Millis> {
        self.retention.first().map(|(at, _)| *at)
    }

    /// Deletes a message, whatever its state.
    pub fn remove(&mut self, seq: u64) -> Option<Message> {
        let message = self.messages.get(&seq)?;
        if let Some(changed) = self.changed.as_mut() {
            changed.push(seq);
        }
        let group = message.group_id.clone();
        let state = message.state;
        let enqueued_at = message.enqueued_at;
        self.unindex_state(seq, &group, state);
        self.retention.remove(&(enqueued_at, seq));
        let message = self.messages.remove(&seq).map(|m| *m);
        if let (Ready::Fifo(fifo), Some(group_id)) = (&mut self.ready, &group) {
            if let Some(g) = fifo.groups.get_mut(group_id) {
                g.members.remove(&seq);
            }
            fifo.update(group_id, &self.messages);
        }
        message
    }

    /// Moves a message to a new state, keeping every index in step.
    pub fn set_state(&mut self, seq: u64, state: MessageState) {
        self.touch(seq);
        self.set_state_by_time(seq, state);
    }

    /// A state change that follows from time alone (not recorded as a change).
    fn set_state_by_time(&mut self, seq: u64, state: MessageState) {
        if let Some(group) = self.move_state(seq, state) {
            if let Ready::Fifo(fifo) = &mut self.ready {
                fifo.update(&group, &self.messages);
            }
        }
    }

    /// Moves a message to a new state in the state indexes; returns its FIFO group, whose
    /// readiness the caller must re-evaluate.
    fn move_state(&mut self, seq: u64, state: MessageState) -> Option<Arc<str>> {
        let message = self.messages.get_mut(&seq)?;
        let old = message.state;
        message.state = state;
        let group = message.group_id.clone();
        self.unindex_state(seq, &group, old);
        self.index_only(seq, &group, state);
        group
    }

    /// Empties the store (PurgeQueue).
    pub fn clear(&mut self) {
        if self.changed.is_some() {
            let seqs = self.seqs();
            self.changed.get_or_insert_with(Vec::new).extend(seqs);
        }
        self.messages.clear();
        self.delayed.clear();
        self.in_flight.clear();
        self.retention.clear();
        match &mut self.ready {
            Ready::Standard(rotation) => rotation.clear(),
            Ready::Fifo(fifo) => {
                fifo.groups.clear();
                fifo.ready.clear();
            }
        }
    }

    fn index_state(&mut self, seq: u64, group: &Option<Arc<str>>, state: MessageState) {
        self.index_only(seq, group, state);
        if let (Ready::Fifo(fifo), Some(group_id)) = (&mut self.ready, group) {
            fifo.update(group_id, &self.messages);
        }
    }

    /// Adds a message to the index of its state (FIFO group readiness is not re-evaluated).
    fn index_only(&mut self, seq: u64, group: &Option<Arc<str>>, state: MessageState) {
        match state {
            MessageState::Delayed(at) => {
                self.delayed.insert((at, seq));
            }
            MessageState::InFlight(at) => {
                self.in_flight.insert((at, seq));
            }
            MessageState::Available => {
                if let Ready::Standard(rotation) = &mut self.ready {
                    rotation.add(group, seq);
                }
            }
        }
    }

    fn unindex_state(&mut self, seq: u64, group: &Option<Arc<str>>, state: MessageState) {
        match state {
            MessageState::Delayed(at) => {
                self.delayed.remove(&(at, seq));
            }
            MessageState::InFlight(at) => {
                self.in_flight.remove(&(at, seq));
            }
            MessageState::Available => {
                if let Ready::Standard(rotation) = &mut self.ready {
                    rotation.remove(group, seq);
                }
            }
        }
    }
}
