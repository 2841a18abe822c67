//! AWS Query responses rendered as JSON, for Query requests that ask for JSON (`Accept:
//! application/json`, or the legacy `ContentType=JSON` parameter).
//!
//! AWS answers such requests with the Query document's structure as JSON objects:
//! `{"<Action>Response": {"<Action>Result": {...}, "ResponseMetadata": {"RequestId": "..."}}}`,
//! and errors as `{"Error": {"Type", "Code", "Message"}, "RequestId"}`. Captures of real responses
//! and the clients that parse them (JuliaCloud/AWS.jl #127, cloudyr/aws.sqs, fastaws) show scalar
//! members under their Query names (`QueueUrl`, `NextToken`, `MessageId`, `Body`, `ReceiptHandle`),
//! list members in lower camel case (`queueUrls`, `messages`), and absent members as `null`
//! (`"queueUrls": null`, `"NextExclusiveStartQueueName": null`). Where no capture shows a member,
//! sqs-local applies the same rule: lists and maps in lower camel case, scalars as in XML, absent
//! members `null` (README, deviations).

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::SqsError;
use crate::sqs::api::batch::{BatchIdsResponse, BatchResultErrorEntry};
use crate::sqs::api::receive::MessageOut;
use crate::sqs::api::{Action, Response};

/// A serializable value as JSON (plain structs and maps with string keys cannot fail).
fn value<T: Serialize>(item: &T) -> Value {
    serde_json::to_value(item).unwrap_or(Value::Null)
}

/// A list member: `null` when empty, as AWS renders an absent list.
fn list<T>(items: &[T], render: impl Fn(&T) -> Value) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::Array(items.iter().map(render).collect())
    }
}

/// A map member: `null` when empty.
fn map<'a>(pairs: impl Iterator<Item = (&'a String, Value)>) -> Value {
    let object: Map<String, Value> = pairs.map(|(k, v)| (k.clone(), v)).collect();
    if object.is_empty() {
        Value::Null
    } else {
        Value::Object(object)
    }
}

fn failed(entries: &[BatchResultErrorEntry]) -> Value {
    list(entries, |e| json!({"Code": e.code, "Id": e.id, "Message": e.message, "SenderFault": e.sender_fault}))
}

fn id_entries(r: &BatchIdsResponse) -> Value {
    json!({"failed": failed(&r.failed), "successful": list(&r.successful, |e| json!({"Id": e.id}))})
}

fn message(m: &MessageOut) -> Value {
    json!({
        "attributes": map(m.attributes.iter().map(|(k, v)| (k, Value::String(v.clone())))),
        "Body": m.body.as_ref(),
        "MD5OfBody": m.md5_of_body,
        "MD5OfMessageAttributes": m.md5_of_message_attributes,
        "messageAttributes": map(m.message_attributes.iter().map(|(k, v)| (k, json!({
            "BinaryValue": v.binary_value, "DataType": v.data_type, "StringValue": v.string_value,
        })))),
        "MessageId": m.message_id,
        "ReceiptHandle": m.receipt_handle,
    })
}

/// The members of `<Action>Result`, or `None` for actions without output.
fn result(response: &Response) -> Option<Value> {
    Some(match response {
        Response::Empty => return None,
        Response::QueueUrl(r) => json!({"QueueUrl": r.queue_url}),
        Response::ListQueues(r) => json!({
            "NextExclusiveStartQueueName": null,
            "NextToken": r.next_token,
            "queueUrls": list(&r.queue_urls, |u| json!(u)),
        }),
        Response::GetQueueAttributes(r) => {
            json!({"attributes": map(r.attributes.iter().map(|(k, v)| (k, Value::String(v.clone()))))})
        }
        Response::ListQueueTags(r) => json!({"tags": map(r.tags.iter().map(|(k, v)| (k, Value::String(v.clone()))))}),
        Response::SendMessage(r) => json!({
            "MD5OfMessageAttributes": r.md5_of_message_attributes,
            "MD5OfMessageBody": r.md5_of_message_body,
            "MD5OfMessageSystemAttributes": r.md5_of_message_system_attributes,
            "MessageId": r.message_id,
            "SequenceNumber": r.sequence_number,
        }),
        Response::SendMessageBatch(r) => json!({
            "failed": failed(&r.failed),
            "successful": list(&r.successful, |e| json!({
                "Id": e.id,
                "MD5OfMessageAttributes": e.result.md5_of_message_attributes,
                "MD5OfMessageBody": e.result.md5_of_message_body,
                "MD5OfMessageSystemAttributes": e.result.md5_of_message_system_attributes,
                "MessageId": e.result.message_id,
                "SequenceNumber": e.result.sequence_number,
            })),
        }),
        Response::ReceiveMessage(r) => json!({"messages": list(&r.messages, message)}),
        Response::DeleteMessageBatch(r) | Response::ChangeMessageVisibilityBatch(r) => id_entries(r),
        Response::ListDeadLetterSourceQueues(r) => {
            json!({"NextToken": r.next_token, "queueUrls": list(&r.queue_urls, |u| json!(u))})
        }
        Response::StartMessageMoveTask(r) => json!({"TaskHandle": r.task_handle}),
        Response::ListMessageMoveTasks(r) => json!({"results": list(&r.results, value)}),
        Response::CancelMessageMoveTask(r) => {
            json!({"ApproximateNumberOfMessagesMoved": r.approximate_number_of_messages_moved})
        }
    })
}

/// The success document for `action`.
pub fn render_response(action: Action, response: &Response, request_id: &str) -> Vec<u8> {
    let name = action.name();
    let mut body = Map::new();
    if let Some(members) = result(response) {
        body.insert(format!("{name}Result"), members);
    }
    body.insert("ResponseMetadata".into(), json!({"RequestId": request_id}));
    let document = json!({ format!("{name}Response"): Value::Object(body) });
    serde_json::to_vec(&document).unwrap_or_default()
}

/// The error document: the `ErrorResponse` members without the root element.
pub fn render_error(error: &SqsError, message: &str, request_id: &str) -> Vec<u8> {
    let document = json!({
        "Error": {"Code": error.code.query_code(), "Message": message, "Type": error.code.fault().as_str()},
        "RequestId": request_id,
    });
    serde_json::to_vec(&document).unwrap_or_default()
}
