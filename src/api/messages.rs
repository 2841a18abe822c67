//! DeleteMessage(+Batch) and ChangeMessageVisibility(+Batch). Receipt-handle semantics from
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html> and
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html>.

use serde::Deserialize;

use super::batch::{self, BatchIdEntry, BatchIdsResponse, BatchResultErrorEntry};
use super::num::Num;
use super::{queue_url, required, Response};
use crate::engine::limits;
use crate::engine::Engine;
use crate::error::SqsResult;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageRequest {
    pub queue_url: Option<String>,
    pub receipt_handle: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageBatchEntry {
    pub id: Option<String>,
    pub receipt_handle: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageBatchRequest {
    pub queue_url: Option<String>,
    #[serde(default)]
    pub entries: Vec<DeleteMessageBatchEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeMessageVisibilityRequest {
    pub queue_url: Option<String>,
    pub receipt_handle: Option<String>,
    pub visibility_timeout: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeMessageVisibilityBatchEntry {
    pub id: Option<String>,
    pub receipt_handle: Option<String>,
    pub visibility_timeout: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeMessageVisibilityBatchRequest {
    pub queue_url: Option<String>,
    #[serde(default)]
    pub entries: Vec<ChangeMessageVisibilityBatchEntry>,
}

fn visibility_timeout(n: &Num) -> SqsResult<u32> {
    n.in_range(
        "VisibilityTimeout",
        0,
        limits::MAX_VISIBILITY_TIMEOUT,
        "VisibilityTimeout must be an integer between 0 and 43200",
    )
    .map(|v| v as u32)
}

pub fn delete_message(engine: &Engine, r: DeleteMessageRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let handle = required(r.receipt_handle, "ReceiptHandle")?;
    queue.delete(&handle, engine.now())?;
    Ok(Response::Empty)
}

/// Splits entry outcomes into the Successful and Failed lists of a batch response.
fn collect(outcomes: impl Iterator<Item = (String, SqsResult<()>)>) -> BatchIdsResponse {
    let mut response = BatchIdsResponse { successful: Vec::new(), failed: Vec::new() };
    for (id, outcome) in outcomes {
        match outcome {
            Ok(()) => response.successful.push(BatchIdEntry { id }),
            Err(e) => response.failed.push(BatchResultErrorEntry::new(&id, e)),
        }
    }
    response
}

pub fn delete_message_batch(engine: &Engine, r: DeleteMessageBatchRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let ids: Vec<String> = r.entries.iter().map(|e| required(e.id.clone(), "Id")).collect::<SqsResult<_>>()?;
    batch::validate_ids(ids.iter().map(String::as_str), "DeleteMessageBatchRequestEntry")?;
    let now = engine.now();
    let outcomes = ids.into_iter().zip(r.entries).map(|(id, entry)| {
        let outcome = required(entry.receipt_handle, "ReceiptHandle").and_then(|h| queue.delete(&h, now));
        (id, outcome)
    });
    Ok(Response::DeleteMessageBatch(collect(outcomes)))
}

pub fn change_message_visibility(engine: &Engine, r: ChangeMessageVisibilityRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let handle = required(r.receipt_handle, "ReceiptHandle")?;
    let timeout = visibility_timeout(&required(r.visibility_timeout, "VisibilityTimeout")?)?;
    queue.change_visibility(&handle, timeout, engine.now())?;
    Ok(Response::Empty)
}

pub fn change_message_visibility_batch(engine: &Engine, r: ChangeMessageVisibilityBatchRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let ids: Vec<String> = r.entries.iter().map(|e| required(e.id.clone(), "Id")).collect::<SqsResult<_>>()?;
    batch::validate_ids(ids.iter().map(String::as_str), "ChangeMessageVisibilityBatchRequestEntry")?;
    let now = engine.now();
    let outcomes = ids.into_iter().zip(r.entries).map(|(id, entry)| {
        let outcome = required(entry.receipt_handle, "ReceiptHandle").and_then(|h| {
            let timeout = visibility_timeout(&required(entry.visibility_timeout, "VisibilityTimeout")?)?;
            queue.change_visibility(&h, timeout, now)
        });
        (id, outcome)
    });
    Ok(Response::ChangeMessageVisibilityBatch(collect(outcomes)))
}
