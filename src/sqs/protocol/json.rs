//! AWS JSON 1.0: `X-Amz-Target: AmazonSQS.<Action>` requests, JSON bodies, and errors as
//! `{"__type": "<namespace>#<Shape>", "message": ...}` plus the `x-amzn-query-error` header that
//! query-compatible SDKs map back to the legacy code.

use serde::Serialize;
use serde_json::Value;

use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::sqs::api::{Action, Response};

/// The action named by an `X-Amz-Target` header.
pub fn action_from_target(target: &str) -> SqsResult<Action> {
    target
        .strip_prefix("AmazonSQS.")
        .and_then(Action::from_name)
        .ok_or_else(|| SqsError::new(ErrorCode::UnknownOperation, format!("Unknown operation {target}")))
}

/// Parses a request body; an empty body is an empty object.
pub fn parse_body(body: &[u8]) -> SqsResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body)
        .map_err(|_| SqsError::new(ErrorCode::MalformedInput, "The request body is not valid JSON."))
}

fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing plain structs, strings and maps with string keys cannot fail.
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

/// The success body.
pub fn render_response(response: &Response) -> Vec<u8> {
    match response {
        Response::Empty => b"{}".to_vec(),
        Response::QueueUrl(r) => to_vec(r),
        Response::ListQueues(r) => to_vec(r),
        Response::GetQueueAttributes(r) => to_vec(r),
        Response::ListQueueTags(r) => to_vec(r),
        Response::SendMessage(r) => to_vec(r),
        Response::SendMessageBatch(r) => to_vec(r),
        Response::ReceiveMessage(r) => to_vec(r),
        Response::DeleteMessageBatch(r) => to_vec(r),
        Response::ChangeMessageVisibilityBatch(r) => to_vec(r),
        Response::ListDeadLetterSourceQueues(r) => to_vec(r),
        Response::StartMessageMoveTask(r) => to_vec(r),
        Response::ListMessageMoveTasks(r) => to_vec(r),
        Response::CancelMessageMoveTask(r) => to_vec(r),
    }
}

/// The error body.
pub fn render_error(error: &SqsError) -> Vec<u8> {
    to_vec(&serde_json::json!({"__type": error.code.json_type(), "message": error.message}))
}

/// The `x-amzn-query-error` header value: `<legacy code>;<Sender|Receiver>`.
pub fn query_error_header(error: &SqsError) -> String {
    format!("{};{}", error.code.query_code(), error.code.fault().as_str())
}
