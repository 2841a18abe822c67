//! The send rules that depend on a queue's configuration. Backends apply them while they hold the
//! queue, so a concurrent SetQueueAttributes cannot come between the check and the send (and the
//! api layer needs no separate read of the configuration per send). Rules that depend only on the
//! request, or on the queue type (fixed by the `.fifo` name), are the api layer's.

use sha2::{Digest, Sha256};

use crate::error::{SqsError, SqsResult};
use crate::message::{Grouping, NewMessage};
use crate::queue::{FifoConfig, QueueConfig};
use crate::types::DedupId;

/// A FIFO message needs a deduplication id unless the queue deduplicates by content; a send or
/// batch with such a message fails as a whole (recorded:
/// `test_send_batch_missing_deduplication_id_for_fifo_queue`).
pub fn check_dedup_ids(messages: &[NewMessage], config: &QueueConfig) -> SqsResult<()> {
    let content_based = config.fifo.as_ref().is_some_and(|f| f.content_based_dedup);
    let missing = messages.iter().any(|m| matches!(&m.grouping, Grouping::Fifo { dedup: None, .. }));
    if missing && !content_based {
        return Err(SqsError::invalid_parameter(
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        ));
    }
    Ok(())
}

/// The deduplication id of a FIFO message: the explicit one, else the SHA-256 (hex) of the body
/// when ContentBasedDeduplication is on (attributes excluded; SendMessage API reference).
pub fn dedup_id(fifo: &FifoConfig, explicit: Option<DedupId>, body: &str) -> SqsResult<DedupId> {
    match explicit {
        Some(id) => Ok(id),
        None if fifo.content_based_dedup => {
            let digest = Sha256::digest(body.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            DedupId::new(&hex)
        }
        None => Err(SqsError::invalid_parameter(
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        )),
    }
}

/// A message may be as large as the queue's MaximumMessageSize, inclusive (recorded:
/// `test_send_message_with_updated_maximum_message_size`; in a batch the entry fails with AWS's
/// "cannot be validated" wording, `test_send_batch_message_size`).
pub fn check_size(size: usize, config: &QueueConfig, in_batch: bool) -> SqsResult<()> {
    let max = config.maximum_message_size as usize;
    if size <= max {
        return Ok(());
    }
    let reason = if in_batch { "cannot be validated" } else { "are invalid" };
    Err(SqsError::invalid_parameter(format!(
        "One or more parameters {reason}. Reason: Message must be shorter than {max} bytes."
    )))
}
