//! A stored message and what a receive hands out.

use std::sync::Arc;

use super::clock::Millis;

/// The payload of one message attribute: SQS carries strings (String, Number) and bytes (Binary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributePayload {
    String(String),
    Binary(Vec<u8>),
}

/// One message attribute value: its full data type (including any `.label`) and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeValue {
    pub data_type: String,
    pub payload: AttributePayload,
}

/// Message attributes sorted by name (the order the MD5 digest needs).
pub type MessageAttributes = Vec<(String, AttributeValue)>;

/// What a producer sends; validated by the api layer before it reaches the engine.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub body: Arc<str>,
    pub attributes: Arc<MessageAttributes>,
    /// `AWSTraceHeader` system attribute.
    pub trace_header: Option<Arc<str>>,
    /// Per-message delay in seconds (standard queues only); `None` uses the queue's delay.
    pub delay_seconds: Option<u32>,
    /// Required on FIFO queues; optional on standard queues (fair queues).
    pub group_id: Option<Arc<str>>,
    /// FIFO only: explicit deduplication id.
    pub dedup_id: Option<Arc<str>>,
}

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

/// A message held by a queue.
#[derive(Debug, Clone)]
pub struct Message {
    /// Queue-local sequence, strictly increasing in send order; the key of every index.
    pub seq: u64,
    pub id: Arc<str>,
    pub body: Arc<str>,
    pub attributes: Arc<MessageAttributes>,
    pub trace_header: Option<Arc<str>>,
    pub group_id: Option<Arc<str>>,
    pub dedup_id: Option<Arc<str>>,
    /// FIFO `SequenceNumber`; `None` on standard queues.
    pub sequence_number: Option<u128>,
    /// `SentTimestamp` (epoch ms).
    pub sent_at: Millis,
    /// Retention counts from here (the original send, or the DLQ move on FIFO).
    pub enqueued_at: Millis,
    pub first_received_at: Option<Millis>,
    pub receive_count: u32,
    /// Set on messages a redrive moved to a dead-letter queue.
    pub dead_letter_source_arn: Option<Arc<str>>,
    pub state: MessageState,
    /// Counts receives; a receipt handle is current only while its nonce matches.
    pub nonce: u32,
    /// When the current in-flight period began (for the 12-hour visibility cap).
    pub received_at: Millis,
}

/// A message as one receive hands it out.
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    pub receipt_handle: String,
    pub id: Arc<str>,
    pub body: Arc<str>,
    pub attributes: Arc<MessageAttributes>,
    pub trace_header: Option<Arc<str>>,
    pub group_id: Option<Arc<str>>,
    pub dedup_id: Option<Arc<str>>,
    pub sequence_number: Option<u128>,
    pub sent_at: Millis,
    pub first_received_at: Millis,
    pub receive_count: u32,
    pub dead_letter_source_arn: Option<Arc<str>>,
}

/// What a send returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    pub message_id: Arc<str>,
    pub sequence_number: Option<u128>,
}
