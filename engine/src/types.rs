//! The values the engine is addressed with: namespaces, queue ids and ARNs, message group and
//! deduplication ids, receive attempt ids. Each validates where it is made, so nothing inside the
//! engine holds an invalid one; each naming rule of SQS is stated here once.

use std::fmt;
use std::sync::Arc;

use crate::error::{SqsError, SqsResult};

/// A short string held inline (account ids, region names): copying one touches no shared memory,
/// so the namespace of every request costs no atomic reference counting.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InlineStr {
    len: u8,
    bytes: [u8; InlineStr::CAPACITY],
}

impl InlineStr {
    /// The longest string held.
    pub const CAPACITY: usize = 31;

    /// `None` when `text` is longer than [`InlineStr::CAPACITY`] bytes.
    pub fn new(text: &str) -> Option<Self> {
        let mut bytes = [0u8; Self::CAPACITY];
        bytes.get_mut(..text.len())?.copy_from_slice(text.as_bytes());
        Some(InlineStr { len: text.len() as u8, bytes })
    }

    pub fn as_str(&self) -> &str {
        // Only whole `&str`s are copied in, so the bytes up to `len` are UTF-8.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
    }
}

impl std::ops::Deref for InlineStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for InlineStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for InlineStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// An account and a region: queues live in one (AWS's namespaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace {
    pub account: InlineStr,
    pub region: InlineStr,
}

impl Namespace {
    /// `None` when either part is longer than [`InlineStr::CAPACITY`] (no AWS account id or
    /// region is).
    pub fn parse(account: &str, region: &str) -> Option<Self> {
        Some(Namespace { account: InlineStr::new(account)?, region: InlineStr::new(region)? })
    }

    /// A namespace from parts known to be short (constants, validated settings).
    ///
    /// # Panics
    /// When a part is longer than [`InlineStr::CAPACITY`].
    pub fn new(account: &str, region: &str) -> Self {
        Self::parse(account, region).expect("account and region are at most 31 bytes")
    }

    /// The same region, another account.
    pub fn with_account(&self, account: &str) -> Option<Self> {
        Some(Namespace { account: InlineStr::new(account)?, region: self.region })
    }
}

/// A queue's identity: its namespace and its name. Names are case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId {
    pub namespace: Namespace,
    pub name: Arc<str>,
}

/// The partitions whose SQS ARNs this emulator reads (`arn:<partition>:sqs:...`).
const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

impl QueueId {
    pub fn new(namespace: Namespace, name: impl Into<Arc<str>>) -> Self {
        QueueId { namespace, name: name.into() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// FIFO queues are the ones whose name ends in `.fifo`.
    pub fn is_fifo(&self) -> bool {
        self.name.ends_with(".fifo")
    }

    /// `arn:aws:sqs:<region>:<account>:<name>`.
    pub fn arn(&self) -> String {
        format!("arn:aws:sqs:{}:{}:{}", self.namespace.region, self.namespace.account, self.name)
    }

    /// The queue an SQS ARN names.
    pub fn from_arn(arn: &str) -> Option<QueueId> {
        let mut parts = arn.splitn(6, ':');
        let (arn_prefix, partition, service) = (parts.next()?, parts.next()?, parts.next()?);
        if arn_prefix != "arn" || !PARTITIONS.contains(&partition) || service != "sqs" {
            return None;
        }
        let (region, account, name) = (parts.next()?, parts.next()?, parts.next()?);
        let valid = !region.is_empty() && !account.is_empty() && !name.is_empty() && !name.contains(':');
        valid.then(|| Namespace::parse(account, region)).flatten().map(|ns| QueueId::new(ns, name))
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace.account, self.name)
    }
}

/// SQS's name rule for queue names (without `.fifo`), batch entry ids and permission labels:
/// 1 to 80 characters of `[A-Za-z0-9_-]`.
pub fn is_sqs_name(text: &str) -> bool {
    (1..=80).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// SQS's rule for `MessageGroupId`, `MessageDeduplicationId` and `ReceiveRequestAttemptId`: 1 to
/// 128 alphanumeric or punctuation characters (recorded texts: `test_message_deduplication_id_invalid`,
/// `test_send_message_to_standard_queue_with_invalid_message_group_id`).
fn token(value: &str, parameter: &str) -> SqsResult<Arc<str>> {
    let valid = (1..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(Arc::from(value))
    } else {
        Err(SqsError::invalid_value(
            value,
            parameter,
            &format!("{parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length."),
        ))
    }
}

macro_rules! token_type {
    ($(#[$doc:meta])* $name:ident, $parameter:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Validates a value sent as the parameter of this name.
            pub fn new(value: &str) -> SqsResult<Self> {
                token(value, $parameter).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn shared(&self) -> &Arc<str> {
                &self.0
            }
        }
    };
}

token_type!(
    /// `MessageGroupId`: required on FIFO queues, optional on standard queues (fair queues).
    GroupId,
    "MessageGroupId"
);
token_type!(
    /// `MessageDeduplicationId` (or, with content-based deduplication, the body's SHA-256).
    DedupId,
    "MessageDeduplicationId"
);
token_type!(
    /// `ReceiveRequestAttemptId` of a FIFO receive.
    AttemptId,
    "ReceiveRequestAttemptId"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_round_trip_and_reject_other_services() {
        let id = QueueId::new(Namespace::new("000000000000", "us-east-1"), "jobs.fifo");
        assert_eq!(id.arn(), "arn:aws:sqs:us-east-1:000000000000:jobs.fifo");
        assert_eq!(QueueId::from_arn(&id.arn()), Some(id.clone()));
        assert!(id.is_fifo());
        assert_eq!(QueueId::from_arn("arn:aws:sns:us-east-1:000000000000:jobs"), None);
        assert_eq!(QueueId::from_arn("arn:aws:sqs:us-east-1:000000000000:"), None);
        assert_eq!(QueueId::from_arn("nonsense"), None);
    }

    #[test]
    fn names_and_tokens() {
        assert!(is_sqs_name("a-B_9") && is_sqs_name(&"x".repeat(80)));
        assert!(!is_sqs_name("") && !is_sqs_name(&"x".repeat(81)) && !is_sqs_name("a.b") && !is_sqs_name("a b"));
        assert!(GroupId::new("g!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~").is_ok());
        let err = GroupId::new("group 123").unwrap_err();
        assert_eq!(
            err.message,
            "Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length."
        );
        assert!(DedupId::new(&"a".repeat(129)).is_err() && DedupId::new("").is_err());
    }
}
