//! How engine values map to database columns, for every backend that stores them (SQLite and
//! PostgreSQL): message attributes as AWS's canonical encoding (length-prefixed name, data type, a
//! transport byte, length-prefixed value: the bytes MD5OfMessageAttributes is computed over), enums
//! as the strings SQS shows, states as numbers.

use std::sync::Arc;

use crate::backend::memory::message::MessageState;
use crate::message::{AttributePayload, AttributeValue, MessageAttributes};
use crate::move_task::MoveTaskStatus;
use crate::queue::{DedupScope, ThroughputLimit};

/// The transport bytes of the canonical encoding.
const STRING: u8 = 1;
const BINARY: u8 = 2;

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Message attributes as bytes; `None` when there are none.
pub fn encode_attributes(attributes: &MessageAttributes) -> Option<Vec<u8>> {
    if attributes.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for (name, value) in attributes {
        put(&mut out, name.as_bytes());
        put(&mut out, value.data_type.as_bytes());
        match &value.payload {
            AttributePayload::String(s) => {
                out.push(STRING);
                put(&mut out, s.as_bytes());
            }
            AttributePayload::Binary(b) => {
                out.push(BINARY);
                put(&mut out, b);
            }
        }
    }
    Some(out)
}

/// Reads what [`encode_attributes`] wrote; `None` for bytes it did not write.
pub fn decode_attributes(mut bytes: &[u8]) -> Option<MessageAttributes> {
    fn take<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
        let len = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        let value = bytes.get(4..4 + len)?;
        *bytes = &bytes[4 + len..];
        Some(value)
    }
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let name = String::from_utf8(take(&mut bytes)?.to_vec()).ok()?;
        let data_type = String::from_utf8(take(&mut bytes)?.to_vec()).ok()?;
        let transport = *bytes.first()?;
        bytes = &bytes[1..];
        let value = take(&mut bytes)?;
        let payload = match transport {
            STRING => AttributePayload::String(String::from_utf8(value.to_vec()).ok()?),
            BINARY => AttributePayload::Binary(value.to_vec()),
            _ => return None,
        };
        out.push((name, AttributeValue { data_type, payload }));
    }
    Some(out)
}

/// A message state as (state, until).
pub fn encode_state(state: MessageState) -> (i64, i64) {
    match state {
        MessageState::Available => (0, 0),
        MessageState::Delayed(at) => (1, at as i64),
        MessageState::InFlight(at) => (2, at as i64),
    }
}

pub fn decode_state(state: i64, until: i64) -> Option<MessageState> {
    match state {
        0 => Some(MessageState::Available),
        1 => Some(MessageState::Delayed(until as u64)),
        2 => Some(MessageState::InFlight(until as u64)),
        _ => None,
    }
}

pub fn scope_name(scope: DedupScope) -> &'static str {
    match scope {
        DedupScope::Queue => "queue",
        DedupScope::MessageGroup => "messageGroup",
    }
}

pub fn scope_from(name: &str) -> Option<DedupScope> {
    match name {
        "queue" => Some(DedupScope::Queue),
        "messageGroup" => Some(DedupScope::MessageGroup),
        _ => None,
    }
}

/// FIFO `FifoThroughputLimit` as SQS shows it.
pub fn throughput_name(limit: ThroughputLimit) -> &'static str {
    match limit {
        ThroughputLimit::PerQueue => "perQueue",
        ThroughputLimit::PerMessageGroupId => "perMessageGroupId",
    }
}

pub fn throughput_from(name: &str) -> Option<ThroughputLimit> {
    match name {
        "perQueue" => Some(ThroughputLimit::PerQueue),
        "perMessageGroupId" => Some(ThroughputLimit::PerMessageGroupId),
        _ => None,
    }
}

pub fn status_from(name: &str) -> Option<MoveTaskStatus> {
    [
        MoveTaskStatus::Running,
        MoveTaskStatus::Completed,
        MoveTaskStatus::Cancelling,
        MoveTaskStatus::Cancelled,
        MoveTaskStatus::Failed,
    ]
    .into_iter()
    .find(|s| s.as_str() == name)
}

/// A u64 in an INTEGER column (SQLite integers are signed; the bits are kept).
pub fn int(value: u64) -> i64 {
    value as i64
}

pub fn uint(value: i64) -> u64 {
    value as u64
}

/// Text shared the way the in-memory backend shares it.
pub fn shared(text: Option<String>) -> Option<Arc<str>> {
    text.map(Arc::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip() {
        let attributes = vec![
            (
                "Blob".to_string(),
                AttributeValue { data_type: "Binary".into(), payload: AttributePayload::Binary(vec![0, 1, 255]) },
            ),
            (
                "City".to_string(),
                AttributeValue {
                    data_type: "String.label".into(),
                    payload: AttributePayload::String("Any City".into()),
                },
            ),
        ];
        let bytes = encode_attributes(&attributes).unwrap();
        assert_eq!(decode_attributes(&bytes), Some(attributes));
        assert_eq!(encode_attributes(&Vec::new()), None);
        assert_eq!(decode_attributes(&bytes[..bytes.len() - 1]), None, "truncated bytes are refused");
    }
}
