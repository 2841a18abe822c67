//! The rules backends apply while they hold a queue: the send rules that depend on its
//! configuration (so a concurrent SetQueueAttributes cannot come between the check and the send,
//! and the api layer needs no separate read of the configuration per send), and the receipt-handle
//! and visibility rules that depend on a message's state. Rules that depend only on the request,
//! or on the queue type (fixed by the `.fifo` name), are the api layer's.

use sha2::{Digest, Sha256};

use crate::backend::memory::receipt::Receipt;
use crate::clock::Millis;
use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::limits::{self, secs};
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

/// A receipt handle of the queue whose receipt handles carry `queue_uid`, with SQS's errors for
/// handles it never issued and handles of another queue. What the handle may still do depends on
/// the message:
///
/// Standard queues: any handle of a message still in the queue acts on its current receive.
/// AWS-validated tests show it (receive with VisibilityTimeout 0, receive again, then
/// ChangeMessageVisibility with the first handle changes the message; shared/sqs-reference.md
/// §7.5); the API reference's "the request succeeds, but the message might not be deleted"
/// allows it. FIFO queues: only the handle of the most recent receive, while the message is in
/// flight from it; any other is refused with [`handle_expired`] (recorded:
/// `test_fifo_delete_after_visibility_timeout`).
pub fn receipt(handle: &str, queue_uid: u64) -> SqsResult<Receipt> {
    let receipt = Receipt::decode(handle).ok_or_else(|| {
        SqsError::new(
            ErrorCode::ReceiptHandleIsInvalid,
            format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
        )
    })?;
    if receipt.queue_uid != queue_uid {
        return Err(SqsError::new(
            ErrorCode::ReceiptHandleIsInvalid,
            format!("The receipt handle \"{handle}\" is not valid for this queue."),
        ));
    }
    Ok(receipt)
}

/// A FIFO handle that is not the current receive's (see [`receipt`]).
pub fn handle_expired(handle: &str) -> SqsError {
    SqsError::invalid_value(handle, "ReceiptHandle", "The receipt handle has expired.")
}

/// ChangeMessageVisibility with a handle of a message that is gone.
pub fn message_gone(handle: &str) -> SqsError {
    SqsError::invalid_value(
        handle,
        "ReceiptHandle",
        "Message does not exist or is not available for visibility timeout change.",
    )
}

/// ChangeMessageVisibility: the new timeout counts from now, and the total in-flight time since the
/// receive (at `received_at`) may not exceed 12 hours.
pub fn check_total_visibility(received_at: Millis, timeout: u32, now: Millis) -> SqsResult<()> {
    let in_flight_so_far = now.saturating_sub(received_at);
    if in_flight_so_far + secs(timeout) > secs(limits::MAX_VISIBILITY_TIMEOUT as u32) {
        return Err(SqsError::invalid_value(
            timeout,
            "VisibilityTimeout",
            "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
        ));
    }
    Ok(())
}
