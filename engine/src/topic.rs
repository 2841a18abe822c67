//! SNS state as backends store it: topics and their subscriptions. The SNS API (in the server
//! crate) validates every value and owns every SNS rule; here are only the identities (topic
//! ids and ARNs) and the records a [`crate::backend::TopicBackend`] keeps.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::clock::Millis;
use crate::types::Namespace;

/// A topic's identity: its namespace and its name (case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicId {
    pub namespace: Namespace,
    pub name: Arc<str>,
}

impl TopicId {
    pub fn new(namespace: Namespace, name: impl Into<Arc<str>>) -> Self {
        TopicId { namespace, name: name.into() }
    }

    /// FIFO topics are the ones whose name ends in `.fifo` (SNS requires `FifoTopic=true` too).
    pub fn is_fifo(&self) -> bool {
        self.name.ends_with(".fifo")
    }

    /// `arn:aws:sns:<region>:<account>:<name>`.
    pub fn arn(&self) -> String {
        format!("arn:aws:sns:{}:{}:{}", self.namespace.region, self.namespace.account, self.name)
    }
}

impl fmt::Display for TopicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace.account, self.name)
    }
}

/// What a topic holds besides its identity: everything SetTopicAttributes, TagResource and
/// PutDataProtectionPolicy change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicSettings {
    /// The attributes as set, by their SNS names (computed ones are not stored).
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub data_protection_policy: Option<String>,
}

/// A stored topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub id: TopicId,
    pub arn: Arc<str>,
    pub settings: TopicSettings,
    pub created_at: Millis,
    /// Bumped by every settings change (changes are compare-and-set on it).
    pub version: u64,
}

/// Whether a subscription receives messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Confirmed; `authenticated` when it was confirmed by an authenticated request (or needed no
    /// confirmation).
    Confirmed { authenticated: bool },
    /// Waiting for ConfirmSubscription with its token.
    Pending,
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The topic's ARN, `:` and a UUID.
    pub arn: Arc<str>,
    pub topic: TopicId,
    pub protocol: Arc<str>,
    pub endpoint: Arc<str>,
    /// The subscriber's account.
    pub owner: Arc<str>,
    /// The settable attributes as set (RawMessageDelivery, FilterPolicy, ...).
    pub attributes: BTreeMap<String, String>,
    pub confirmation: Confirmation,
    /// The token ConfirmSubscription takes, for subscriptions that needed confirming (kept once
    /// confirmed: confirming again is idempotent).
    pub token: Option<Arc<str>>,
    pub version: u64,
}

impl Subscription {
    pub fn is_confirmed(&self) -> bool {
        matches!(self.confirmation, Confirmation::Confirmed { .. })
    }
}

/// What creating a topic or subscription found.
#[derive(Debug, Clone)]
pub enum Made<T> {
    New(T),
    /// One with that identity exists (the caller decides whether that is idempotent).
    Existing(T),
}

/// What a compare-and-set change found.
#[derive(Debug, Clone)]
pub enum Changed<T> {
    Done(T),
    /// Changed since the version the change was computed from: read and try again.
    Conflict,
    /// It does not exist (any more).
    Missing,
}

/// The lowest sequence number a FIFO topic gives at `now`: 20 digits (SNS's look like
/// `10000000000000000003`) that follow the clock; a topic's numbers increase by one per message
/// beyond it.
pub fn fifo_sequence_floor(now: Millis) -> u128 {
    10_000_000_000_000_000_000 + now as u128 * 1000
}

/// What publishing to a FIFO topic found in its deduplication window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FifoPublish {
    /// A new message, with its sequence number.
    New { sequence: u128 },
    /// A duplicate of a message published within the window: its id and sequence number.
    Duplicate { message_id: Arc<str>, sequence: u128 },
}
