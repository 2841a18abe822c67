//! ListDeadLetterSourceQueues and the message move task actions.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::num::Num;
use super::queue::paginate;
use super::{queue_url, required, RequestContext, Response};
use crate::engine::limits;
use crate::engine::move_task::MoveTaskStatus;
use crate::engine::queue::QueueInfo;
use crate::engine::{Engine, QueueId};
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
    /// Lower-case `queueUrls` in JSON (botocore model); left out when empty, like every empty
    /// list AWS returns over JSON.
    #[serde(rename = "queueUrls", skip_serializing_if = "Vec::is_empty")]
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
pub async fn list_dead_letter_source_queues(
    engine: &Engine,
    ctx: &RequestContext,
    r: ListDeadLetterSourceQueuesRequest,
) -> SqsResult<Response> {
    let dlq = engine.queue(&queue_url::resolve(ctx, r.queue_url.as_deref())?).await?;
    let sources = engine.dead_letter_sources(&dlq.id).await?.into_iter().map(|q| q.id.clone());
    let (page, next_token) = paginate(sources, r.max_results, r.next_token)?;
    let queue_urls = page.iter().map(|id| queue_url::format(ctx, id)).collect();
    Ok(Response::ListDeadLetterSourceQueues(ListDeadLetterSourceQueuesResponse { queue_urls, next_token }))
}

fn resource_not_found(parameter: &str) -> SqsError {
    SqsError::new(
        ErrorCode::ResourceNotFound,
        format!("The resource that you specified for the {parameter} parameter doesn't exist."),
    )
}

/// The queue an ARN names, or ResourceNotFoundException for `parameter`.
async fn queue_for_arn(engine: &Engine, ctx: &RequestContext, arn: &str, parameter: &str) -> SqsResult<Arc<QueueInfo>> {
    let id = QueueId::from_arn(arn).filter(|id| id.namespace == ctx.namespace);
    match id {
        Some(id) => engine.queue(&id).await.map_err(|_| resource_not_found(parameter)),
        None => Err(resource_not_found(parameter)),
    }
}

/// A task handle: base64 of `{"taskId": ..., "sourceArn": ...}`, like the handles SQS issues.
fn encode_handle(task_id: &str, source_arn: &str) -> String {
    BASE64.encode(serde_json::json!({"taskId": task_id, "sourceArn": source_arn}).to_string())
}

fn decode_handle(handle: &str) -> Option<(String, String)> {
    let bytes = BASE64.decode(handle.as_bytes()).ok()?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some((doc.get("taskId")?.as_str()?.to_string(), doc.get("sourceArn")?.as_str()?.to_string()))
}

/// StartMessageMoveTask: the source must be a dead-letter queue of some queue; without a
/// DestinationArn each message returns to the queue it was dead-lettered from.
pub async fn start_message_move_task(
    engine: &Engine,
    ctx: &RequestContext,
    r: StartMessageMoveTaskRequest,
) -> SqsResult<Response> {
    let source_arn = required(r.source_arn, "SourceArn")?;
    let source = queue_for_arn(engine, ctx, &source_arn, "SourceArn").await?;
    let destination = match r.destination_arn.as_deref() {
        Some(arn) => Some(queue_for_arn(engine, ctx, arn, "DestinationArn").await?.id.clone()),
        None => None,
    };
    let rate = r
        .max_number_of_messages_per_second
        .map(|n| {
            n.in_range(
                "MaxNumberOfMessagesPerSecond",
                1,
                limits::MAX_MOVE_RATE,
                "MaxNumberOfMessagesPerSecond must be between 1 and 500.",
            )
        })
        .transpose()?;
    if engine.dead_letter_sources(&source.id).await?.is_empty() {
        return Err(SqsError::invalid_parameter("Source queue must be configured as a Dead Letter Queue."));
    }
    let task = engine.start_move_task(&source.id, destination, rate.map(|r| r as u32)).await?;
    Ok(Response::StartMessageMoveTask(StartMessageMoveTaskResponse {
        task_handle: encode_handle(&task.task_id, &source.arn),
    }))
}

/// ListMessageMoveTasks: most recent first, at most MaxResults (default 1, at most 10).
pub async fn list_message_move_tasks(
    engine: &Engine,
    ctx: &RequestContext,
    r: ListMessageMoveTasksRequest,
) -> SqsResult<Response> {
    let source_arn = required(r.source_arn, "SourceArn")?;
    let source = queue_for_arn(engine, ctx, &source_arn, "SourceArn").await?;
    let max = r
        .max_results
        .map(|n| n.in_range("MaxResults", 1, 10, "MaxResults must be between 1 and 10."))
        .transpose()?
        .unwrap_or(1) as usize;
    let results = engine
        .move_tasks(&source.id)
        .await?
        .into_iter()
        .take(max)
        .map(|t| MoveTaskEntry {
            task_handle: (t.status == MoveTaskStatus::Running).then(|| encode_handle(&t.task_id, &source.arn)),
            status: t.status.as_str().to_string(),
            source_arn: source.arn.to_string(),
            destination_arn: t.destination.as_ref().map(QueueId::arn),
            max_number_of_messages_per_second: t.max_per_second.map(i64::from),
            approximate_number_of_messages_moved: t.moved as i64,
            approximate_number_of_messages_to_move: t.to_move as i64,
            failure_reason: t.failure_reason,
            started_timestamp: t.started_at as i64,
        })
        .collect();
    Ok(Response::ListMessageMoveTasks(ListMessageMoveTasksResponse { results }))
}

/// CancelMessageMoveTask: only a RUNNING task can be cancelled; returns the count moved so far.
pub async fn cancel_message_move_task(
    engine: &Engine,
    ctx: &RequestContext,
    r: CancelMessageMoveTaskRequest,
) -> SqsResult<Response> {
    let handle = required(r.task_handle, "TaskHandle")?;
    let (task_id, source_arn) = decode_handle(&handle)
        .ok_or_else(|| SqsError::invalid_parameter("Value for parameter TaskHandle is invalid."))?;
    let source = queue_for_arn(engine, ctx, &source_arn, "SourceArn").await?;
    let task = engine.cancel_move_task(&source.id, &task_id).await?;
    Ok(Response::CancelMessageMoveTask(CancelMessageMoveTaskResponse {
        approximate_number_of_messages_moved: task.moved as i64,
    }))
}
