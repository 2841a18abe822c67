//! Rules shared by the three batch actions: 1 to 10 entries, distinct ids, id charset; and the
//! per-entry result types. Per-entry errors reuse the error table, so their codes cannot drift from
//! whole-request errors.

use std::collections::HashSet;

use serde::Serialize;

use crate::engine::limits;
use crate::engine::types::is_sqs_name;
use crate::error::{ErrorCode, Fault, SqsError, SqsResult};

/// One failed entry of a batch (HTTP 200 overall).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchResultErrorEntry {
    pub id: String,
    pub sender_fault: bool,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl BatchResultErrorEntry {
    pub fn new(id: &str, error: SqsError) -> Self {
        BatchResultErrorEntry {
            id: id.to_string(),
            sender_fault: error.code.fault() == Fault::Sender,
            code: error.code.query_code().to_string(),
            message: Some(error.message.into_owned()),
        }
    }
}

/// A successful entry that carries only its id.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchIdEntry {
    pub id: String,
}

/// DeleteMessageBatch and ChangeMessageVisibilityBatch results. Over JSON an empty list is left
/// out, as AWS leaves it out (recorded: a SendMessageBatch with no failures has no `Failed`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchIdsResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub successful: Vec<BatchIdEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<BatchResultErrorEntry>,
}

/// Checks the entry list of a batch request: not empty, at most 10, ids valid and distinct.
/// `entry_name` is the request entry shape, e.g. `SendMessageBatchRequestEntry`.
pub fn validate_ids<'a>(ids: impl ExactSizeIterator<Item = &'a str>, entry_name: &str) -> SqsResult<()> {
    let count = ids.len();
    if count == 0 {
        return Err(SqsError::new(
            ErrorCode::EmptyBatchRequest,
            format!("There should be at least one {entry_name} in the request."),
        ));
    }
    if count > limits::MAX_BATCH {
        return Err(SqsError::new(
            ErrorCode::TooManyEntriesInBatchRequest,
            format!("Maximum number of entries per request are {}. You have sent {count}.", limits::MAX_BATCH),
        ));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if !is_sqs_name(id) {
            return Err(SqsError::new(
                ErrorCode::InvalidBatchEntryId,
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(SqsError::new(ErrorCode::BatchEntryIdsNotDistinct, format!("Id {id} repeated.")));
        }
    }
    Ok(())
}
