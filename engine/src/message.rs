//! Messages as they enter and leave the engine: what a producer sends, what a receive asks for and
//! hands out. How a backend stores them is its own business.

use std::sync::{Arc, OnceLock};

use crate::clock::Millis;
use crate::types::{AttemptId, DedupId, GroupId};

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

/// Attributes to store. Most messages have none; they all share one empty list instead of each
/// allocating its own (40 bytes a message).
pub fn shared_attributes(attributes: MessageAttributes) -> Arc<MessageAttributes> {
    static EMPTY: OnceLock<Arc<MessageAttributes>> = OnceLock::new();
    if attributes.is_empty() {
        EMPTY.get_or_init(|| Arc::new(Vec::new())).clone()
    } else {
        Arc::new(attributes)
    }
}

/// How a message is grouped and ordered: the FIFO fields a FIFO queue requires, or a standard
/// queue's optional group (fair queues) and per-message delay.
#[derive(Debug, Clone)]
pub enum Grouping {
    Standard {
        group: Option<GroupId>,
        /// Per-message `DelaySeconds`; `None` uses the queue's delay.
        delay_seconds: Option<u32>,
    },
    Fifo {
        group: GroupId,
        /// The explicit id; `None` asks for content-based deduplication (the body's SHA-256).
        dedup: Option<DedupId>,
    },
}

/// What a producer sends; validated by the api layer before it reaches the engine.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub body: Arc<str>,
    pub attributes: Arc<MessageAttributes>,
    /// `AWSTraceHeader` system attribute.
    pub trace_header: Option<Arc<str>>,
    pub grouping: Grouping,
    /// The size SQS counts the message as (body plus attributes), for MaximumMessageSize.
    pub size: usize,
}

impl NewMessage {
    /// A standard-queue message with nothing but a body.
    pub fn standard(body: impl Into<Arc<str>>) -> Self {
        let body: Arc<str> = body.into();
        NewMessage {
            size: body.len(),
            body,
            attributes: Arc::default(),
            trace_header: None,
            grouping: Grouping::Standard { group: None, delay_seconds: None },
        }
    }
}

/// What one receive asks for.
#[derive(Debug, Clone, Default)]
pub struct ReceiveRequest {
    pub max_messages: usize,
    /// `None` uses the queue's VisibilityTimeout.
    pub visibility_timeout: Option<u32>,
    /// FIFO `ReceiveRequestAttemptId`.
    pub attempt_id: Option<AttemptId>,
}

/// What one receive attempt (no waiting) produced.
#[derive(Debug, Default)]
pub struct ReceiveBatch {
    pub messages: Vec<ReceivedMessage>,
    /// When a delay or visibility timeout next ends (a long poll wakes then).
    pub next_due: Option<Millis>,
    /// How many messages reached maxReceiveCount and moved to the dead-letter queue instead.
    pub dead_lettered: u64,
}

/// What a receive (with any waiting) produced.
#[derive(Debug, Default)]
pub struct Received {
    pub messages: Vec<ReceivedMessage>,
    /// How many messages moved to the dead-letter queue on the way.
    pub dead_lettered: u64,
}

/// A message as one receive hands it out.
#[derive(Debug, Clone)]
pub struct ReceivedMessage {
    pub receipt_handle: String,
    pub id: uuid::Uuid,
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
    pub message_id: uuid::Uuid,
    pub sequence_number: Option<u128>,
}

/// Where a peeked message is in its life cycle, as of the peek.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeekState {
    Available,
    InFlight,
    Delayed,
}

impl PeekState {
    pub fn as_str(self) -> &'static str {
        match self {
            PeekState::Available => "available",
            PeekState::InFlight => "inFlight",
            PeekState::Delayed => "delayed",
        }
    }
}

/// A message as a peek shows it: nothing about it changed by looking.
#[derive(Debug, Clone)]
pub struct PeekedMessage {
    /// What a receive would hand out, except that `receipt_handle` is empty (a peek hands out none).
    pub message: ReceivedMessage,
    /// Where the message is in its queue: [`crate::Engine::delete_at`] deletes it by this.
    pub position: u64,
    pub state: PeekState,
    /// When an in-flight or delayed message becomes visible; `None` when it is available.
    pub visible_at: Option<Millis>,
}

/// One page of a peek, in queue order.
#[derive(Debug, Clone, Default)]
pub struct PeekPage {
    pub messages: Vec<PeekedMessage>,
    /// Where the next page starts (give it back as `after`); `None` on the last page.
    pub next: Option<u64>,
}
