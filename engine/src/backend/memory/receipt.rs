//! Receipt handles.
//!
//! A handle names the queue instance (so a handle from another queue is recognised), the message
//! (its queue-local seq) and the receive it came from (the message's nonce at that receive, so a
//! FIFO queue can tell a current handle from an expired one). A checksum makes strings that
//! sqs-local never issued fail as `ReceiptHandleIsInvalid`, as on SQS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The decoded content of a receipt handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub queue_uid: u64,
    pub seq: u64,
    pub nonce: u32,
}

const LEN: usize = 8 + 8 + 4 + 4;

fn checksum(bytes: &[u8]) -> u32 {
    // FNV-1a: cheap and good enough to reject strings we did not issue.
    let mut hash: u32 = 0x811c_9dc5;
    for b in bytes {
        hash ^= *b as u32;
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

impl Receipt {
    pub fn encode(&self) -> String {
        let mut bytes = [0u8; LEN];
        bytes[0..8].copy_from_slice(&self.queue_uid.to_be_bytes());
        bytes[8..16].copy_from_slice(&self.seq.to_be_bytes());
        bytes[16..20].copy_from_slice(&self.nonce.to_be_bytes());
        let sum = checksum(&bytes[0..20]);
        bytes[20..24].copy_from_slice(&sum.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// `None` for any string sqs-local did not issue.
    pub fn decode(handle: &str) -> Option<Receipt> {
        let bytes = URL_SAFE_NO_PAD.decode(handle.as_bytes()).ok()?;
        let bytes: [u8; LEN] = bytes.try_into().ok()?;
        let sum = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
        if sum != checksum(&bytes[0..20]) {
            return None;
        }
        Some(Receipt {
            queue_uid: u64::from_be_bytes(bytes[0..8].try_into().ok()?),
            seq: u64::from_be_bytes(bytes[8..16].try_into().ok()?),
            nonce: u32::from_be_bytes(bytes[16..20].try_into().ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let r = Receipt { queue_uid: 7, seq: 42, nonce: 3 };
        assert_eq!(Receipt::decode(&r.encode()), Some(r));
        assert_eq!(Receipt::decode("garbage"), None);
        let mut tampered = r.encode();
        tampered.replace_range(0..1, if tampered.starts_with('A') { "B" } else { "A" });
        assert_eq!(Receipt::decode(&tampered), None);
    }
}
