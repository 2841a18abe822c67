//! A message as the in-memory backend stores it: small, because a queue may hold millions.

use std::sync::Arc;

use crate::clock::Millis;
use crate::message::MessageAttributes;

/// Where a message is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    /// Not yet deliverable: delayed until the given time.
    Delayed(Millis),
    /// Deliverable (on FIFO: once it heads its group).
    Available,
    /// Received and invisible until the given time.
    InFlight(Millis),
}

/// The parts of a message that most standard-queue messages lack, boxed so that those stay small.
#[derive(Debug, Clone, Default)]
pub struct MessageExtras {
    /// `AWSTraceHeader` system attribute.
    pub trace_header: Option<Arc<str>>,
    /// Set on messages a redrive moved to a dead-letter queue.
    pub dead_letter_source_arn: Option<Arc<str>>,
    /// FIFO: the deduplication id (explicit, or the body's SHA-256).
    pub dedup_id: Option<Arc<str>>,
}

/// A message held by a queue. Kept small because a queue may hold millions: its queue-local
/// `seq` (send order, the key of every index) is the store's map key rather than a field, a FIFO
/// message's `SequenceNumber` is derived from that seq, the id is a UUID held inline, fields most
/// messages lack are boxed in `extras`, and "never received" is `first_received_at == 0`.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: uuid::Uuid,
    pub body: Arc<str>,
    pub attributes: Arc<MessageAttributes>,
    pub group_id: Option<Arc<str>>,
    pub extras: Option<Box<MessageExtras>>,
    /// `SentTimestamp` (epoch ms).
    pub sent_at: Millis,
    /// Retention counts from here (the original send, or the DLQ move on FIFO).
    pub enqueued_at: Millis,
    /// `ApproximateFirstReceiveTimestamp`; 0 until the first receive.
    pub first_received_at: Millis,
    pub receive_count: u32,
    /// Counts receives; a receipt handle is current only while its nonce matches.
    pub nonce: u32,
    pub state: MessageState,
    /// When the current in-flight period began (for the 12-hour visibility cap).
    pub received_at: Millis,
}

impl Message {
    pub fn trace_header(&self) -> Option<&Arc<str>> {
        self.extras.as_ref()?.trace_header.as_ref()
    }

    pub fn dead_letter_source_arn(&self) -> Option<&Arc<str>> {
        self.extras.as_ref()?.dead_letter_source_arn.as_ref()
    }

    pub fn dedup_id(&self) -> Option<&Arc<str>> {
        self.extras.as_ref()?.dedup_id.as_ref()
    }

    /// Sets or clears the dead-letter source, dropping the extras box when nothing is left in it.
    pub fn set_dead_letter_source_arn(&mut self, arn: Option<Arc<str>>) {
        let mut extras = self.extras.take().map(|b| *b).unwrap_or_default();
        extras.dead_letter_source_arn = arn;
        self.extras = MessageExtras::boxed(extras);
    }
}

impl MessageExtras {
    /// `None` when there is nothing to keep.
    pub fn boxed(extras: MessageExtras) -> Option<Box<MessageExtras>> {
        let empty =
            extras.trace_header.is_none() && extras.dead_letter_source_arn.is_none() && extras.dedup_id.is_none();
        (!empty).then(|| Box::new(extras))
    }
}
