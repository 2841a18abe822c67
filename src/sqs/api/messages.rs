//! DeleteMessage(+Batch) and ChangeMessageVisibility(+Batch). Receipt-handle semantics from
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html> and
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html>.

use serde::Deserialize;

use super::batch::{self, BatchIdEntry, BatchIdsResponse, BatchResultErrorEntry};
use super::num::Num;
use super::{queue_url, required, RequestContext, Response};
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

pub async fn delete_message(engine: &Engine, ctx: &RequestContext, r: DeleteMessageRequest) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let handle = required(r.receipt_handle, "ReceiptHandle")?;
    let mut outcomes = engine.delete_messages(&id, &[handle]).await?;
    outcomes.pop().unwrap_or(Ok(()))?;
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

/// Runs the valid entries of a batch through the engine in one call and merges their outcomes with
/// the entries that failed validation, in entry order.
async fn run_entries<T>(
    entries: Vec<(String, SqsResult<T>)>,
    run: impl AsyncFnOnce(Vec<T>) -> SqsResult<Vec<SqsResult<()>>>,
) -> SqsResult<BatchIdsResponse> {
    let mut valid = Vec::new();
    let mut slots = Vec::with_capacity(entries.len());
    for (id, entry) in entries {
        match entry {
            Ok(value) => {
                valid.push(value);
                slots.push((id, None));
            }
            Err(e) => slots.push((id, Some(e))),
        }
    }
    let mut outcomes = run(valid).await?.into_iter();
    let merged = slots.into_iter().map(|(id, failed)| match failed {
        Some(e) => (id, Err(e)),
        None => (id, outcomes.next().unwrap_or(Ok(()))),
    });
    Ok(collect(merged))
}

pub async fn delete_message_batch(
    engine: &Engine,
    ctx: &RequestContext,
    r: DeleteMessageBatchRequest,
) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let ids: Vec<String> = r.entries.iter().map(|e| required(e.id.clone(), "Id")).collect::<SqsResult<_>>()?;
    batch::validate_ids(ids.iter().map(String::as_str), "DeleteMessageBatchRequestEntry")?;
    let entries = ids.into_iter().zip(r.entries).map(|(i, e)| (i, required(e.receipt_handle, "ReceiptHandle")));
    let response = run_entries(entries.collect(), async |handles| engine.delete_messages(&id, &handles).await).await?;
    Ok(Response::DeleteMessageBatch(response))
}

pub async fn change_message_visibility(
    engine: &Engine,
    ctx: &RequestContext,
    r: ChangeMessageVisibilityRequest,
) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let handle = required(r.receipt_handle, "ReceiptHandle")?;
    let timeout = visibility_timeout(&required(r.visibility_timeout, "VisibilityTimeout")?)?;
    let mut outcomes = engine.change_visibility(&id, &[(handle, timeout)]).await?;
    outcomes.pop().unwrap_or(Ok(()))?;
    Ok(Response::Empty)
}

pub async fn change_message_visibility_batch(
    engine: &Engine,
    ctx: &RequestContext,
    r: ChangeMessageVisibilityBatchRequest,
) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let ids: Vec<String> = r.entries.iter().map(|e| required(e.id.clone(), "Id")).collect::<SqsResult<_>>()?;
    batch::validate_ids(ids.iter().map(String::as_str), "ChangeMessageVisibilityBatchRequestEntry")?;
    let entries = ids.into_iter().zip(r.entries).map(|(i, e)| {
        let change = required(e.receipt_handle, "ReceiptHandle")
            .and_then(|h| Ok((h, visibility_timeout(&required(e.visibility_timeout, "VisibilityTimeout")?)?)));
        (i, change)
    });
    let response =
        run_entries(entries.collect(), async |changes| engine.change_visibility(&id, &changes).await).await?;
    Ok(Response::ChangeMessageVisibilityBatch(response))
}
