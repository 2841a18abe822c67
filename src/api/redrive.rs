//! ListDeadLetterSourceQueues and the message move task actions.

use serde::{Deserialize, Serialize};

use super::num::Num;
use super::queue::decode_token;
use super::{queue_url, RequestContext, Response};
use crate::engine::Engine;
use crate::error::{ErrorCode, SqsError, SqsResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListDeadLetterSourceQueuesRequest {
    pub queue_url: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<Num>,
}

#[derive(Debug, Serialize)]
pub struct ListDeadLetterSourceQueuesResponse {
    /// Lower-case `queueUrls` in JSON, and required (botocore model).
    #[serde(rename = "queueUrls")]
    pub queue_urls: Vec<String>,
    #[serde(rename = "NextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartMessageMoveTaskRequest {
    pub source_arn: Option<String>,
    pub destination_arn: Option<String>,
    pub max_number_of_messages_per_second: Option<Num>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartMessageMoveTaskResponse {
    pub task_handle: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMessageMoveTasksRequest {
    pub source_arn: Option<String>,
    pub max_results: Option<Num>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MoveTaskEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_handle: Option<String>,
    pub status: String,
    pub source_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_number_of_messages_per_second: Option<i64>,
    pub approximate_number_of_messages_moved: i64,
    pub approximate_number_of_messages_to_move: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub started_timestamp: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMessageMoveTasksResponse {
    pub results: Vec<MoveTaskEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelMessageMoveTaskRequest {
    pub task_handle: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelMessageMoveTaskResponse {
    pub approximate_number_of_messages_moved: i64,
}

/// ListDeadLetterSourceQueues: queues whose RedrivePolicy names this queue, in name order.
pub fn list_dead_letter_source_queues(
    engine: &Engine,
    ctx: &RequestContext,
    r: ListDeadLetterSourceQueuesRequest,
) -> SqsResult<Response> {
    let dlq = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let max_results = r
        .max_results
        .map(|n| n.in_range("MaxResults", 1, 1000, "MaxResults must be an integer between 1 and 1000."))
        .transpose()?;
    let after = match r.next_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => Some(decode_token(token)?),
        None => None,
    };
    let names: Vec<_> = engine
        .queues()
        .into_iter()
        .filter(|q| q.config().redrive_policy.is_some_and(|p| p.dead_letter_queue == dlq.name))
        .map(|q| q.name.clone())
        .filter(|n| after.as_deref().is_none_or(|a| n.as_ref() > a))
        .collect();
    let limit = max_results.unwrap_or(1000) as usize;
    let next_token = (max_results.is_some() && names.len() > limit).then(|| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(names[limit - 1].as_bytes())
    });
    let queue_urls = names.iter().take(limit).map(|n| queue_url::format(engine, ctx, n)).collect();
    Ok(Response::ListDeadLetterSourceQueues(ListDeadLetterSourceQueuesResponse { queue_urls, next_token }))
}

fn not_supported() -> SqsError {
    SqsError::new(ErrorCode::UnsupportedOperation, "Message move tasks are not supported by sqs-local yet.")
}

pub fn start_message_move_task(_engine: &Engine, _r: StartMessageMoveTaskRequest) -> SqsResult<Response> {
    Err(not_supported())
}

pub fn list_message_move_tasks(_engine: &Engine, _r: ListMessageMoveTasksRequest) -> SqsResult<Response> {
    Err(not_supported())
}

pub fn cancel_message_move_task(_engine: &Engine, _r: CancelMessageMoveTaskRequest) -> SqsResult<Response> {
    Err(not_supported())
}
