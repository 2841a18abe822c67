//! AWS Query responses: `<{Action}Response><{Action}Result>…</{Action}Result><ResponseMetadata>`
//! XML, and the `ErrorResponse` document. Lists and maps are flattened the way the Query model
//! says (`<Attribute><Name/><Value/></Attribute>` repeated, no wrapper element).

use std::fmt::Write as _;

use crate::error::{ErrorCode, SqsError, QUEUE_DOES_NOT_EXIST_QUERY};
use crate::sqs::api::batch::{BatchIdsResponse, BatchResultErrorEntry};
use crate::sqs::api::message_attributes::WireAttributeValue;
use crate::sqs::api::{Action, Response};

const NAMESPACE: &str = "http://queue.amazonaws.com/doc/2012-11-05/";

/// Appends XML text. A literal CR is written as `&#xD;` so that XML parsers do not normalise it
/// to LF (which would change the body and break MD5 checks).
pub fn text(out: &mut String, value: &str) {
    let escaped = quick_xml::escape::escape(value);
    if escaped.contains('\r') {
        out.push_str(&escaped.replace('\r', "&#xD;"));
    } else {
        out.push_str(&escaped);
    }
}

/// `<tag>value</tag>`.
pub fn element(out: &mut String, tag: &str, value: &str) {
    let _ = write!(out, "<{tag}>");
    text(out, value);
    let _ = write!(out, "</{tag}>");
}

pub fn optional(out: &mut String, tag: &str, value: Option<&str>) {
    if let Some(v) = value {
        element(out, tag, v);
    }
}

fn name_value(out: &mut String, wrapper: &str, name_tag: &str, name: &str, value: &str) {
    let _ = write!(out, "<{wrapper}>");
    element(out, name_tag, name);
    element(out, "Value", value);
    let _ = write!(out, "</{wrapper}>");
}

fn failed_entries(out: &mut String, failed: &[BatchResultErrorEntry]) {
    for f in failed {
        out.push_str("<BatchResultErrorEntry>");
        element(out, "Id", &f.id);
        element(out, "SenderFault", if f.sender_fault { "true" } else { "false" });
        element(out, "Code", &f.code);
        optional(out, "Message", f.message.as_deref());
        out.push_str("</BatchResultErrorEntry>");
    }
}

fn id_entries(out: &mut String, tag: &str, response: &BatchIdsResponse) {
    for s in &response.successful {
        let _ = write!(out, "<{tag}>");
        element(out, "Id", &s.id);
        let _ = write!(out, "</{tag}>");
    }
    failed_entries(out, &response.failed);
}

fn message_attribute(out: &mut String, name: &str, value: &WireAttributeValue) {
    out.push_str("<MessageAttribute>");
    element(out, "Name", name);
    out.push_str("<Value>");
    optional(out, "StringValue", value.string_value.as_deref());
    optional(out, "BinaryValue", value.binary_value.as_deref());
    optional(out, "DataType", value.data_type.as_deref());
    out.push_str("</Value></MessageAttribute>");
}

/// The body of `<{Action}Result>`, or `None` for actions without output.
fn result_body(response: &Response) -> Option<String> {
    let mut out = String::new();
    match response {
        Response::Empty => return None,
        Response::QueueUrl(r) => element(&mut out, "QueueUrl", &r.queue_url),
        Response::ListQueues(r) => {
            for url in &r.queue_urls {
                element(&mut out, "QueueUrl", url);
            }
            optional(&mut out, "NextToken", r.next_token.as_deref());
        }
        Response::GetQueueAttributes(r) => {
            for (name, value) in &r.attributes {
                name_value(&mut out, "Attribute", "Name", name, value);
            }
        }
        Response::ListQueueTags(r) => {
            for (key, value) in &r.tags {
                name_value(&mut out, "Tag", "Key", key, value);
            }
        }
        Response::SendMessage(r) => {
            element(&mut out, "MessageId", &r.message_id);
            element(&mut out, "MD5OfMessageBody", &r.md5_of_message_body);
            optional(&mut out, "MD5OfMessageAttributes", r.md5_of_message_attributes.as_deref());
            optional(&mut out, "MD5OfMessageSystemAttributes", r.md5_of_message_system_attributes.as_deref());
            optional(&mut out, "SequenceNumber", r.sequence_number.as_deref());
        }
        Response::SendMessageBatch(r) => {
            for s in &r.successful {
                out.push_str("<SendMessageBatchResultEntry>");
                element(&mut out, "Id", &s.id);
                element(&mut out, "MessageId", &s.result.message_id);
                element(&mut out, "MD5OfMessageBody", &s.result.md5_of_message_body);
                optional(&mut out, "MD5OfMessageAttributes", s.result.md5_of_message_attributes.as_deref());
                optional(
                    &mut out,
                    "MD5OfMessageSystemAttributes",
                    s.result.md5_of_message_system_attributes.as_deref(),
                );
                optional(&mut out, "SequenceNumber", s.result.sequence_number.as_deref());
                out.push_str("</SendMessageBatchResultEntry>");
            }
            failed_entries(&mut out, &r.failed);
        }
        Response::ReceiveMessage(r) => {
            for m in &r.messages {
                out.push_str("<Message>");
                element(&mut out, "MessageId", &m.message_id);
                element(&mut out, "ReceiptHandle", &m.receipt_handle);
                element(&mut out, "MD5OfBody", &m.md5_of_body);
                element(&mut out, "Body", &m.body);
                for (name, value) in &m.attributes {
                    name_value(&mut out, "Attribute", "Name", name, value);
                }
                optional(&mut out, "MD5OfMessageAttributes", m.md5_of_message_attributes.as_deref());
                for (name, value) in &m.message_attributes {
                    message_attribute(&mut out, name, value);
                }
                out.push_str("</Message>");
            }
        }
        Response::DeleteMessageBatch(r) => id_entries(&mut out, "DeleteMessageBatchResultEntry", r),
        Response::ChangeMessageVisibilityBatch(r) => id_entries(&mut out, "ChangeMessageVisibilityBatchResultEntry", r),
        Response::ListDeadLetterSourceQueues(r) => {
            for url in &r.queue_urls {
                element(&mut out, "QueueUrl", url);
            }
            optional(&mut out, "NextToken", r.next_token.as_deref());
        }
        Response::StartMessageMoveTask(r) => element(&mut out, "TaskHandle", &r.task_handle),
        Response::ListMessageMoveTasks(r) => {
            for t in &r.results {
                out.push_str("<ListMessageMoveTasksResultEntry>");
                optional(&mut out, "TaskHandle", t.task_handle.as_deref());
                element(&mut out, "Status", &t.status);
                element(&mut out, "SourceArn", &t.source_arn);
                optional(&mut out, "DestinationArn", t.destination_arn.as_deref());
                if let Some(rate) = t.max_number_of_messages_per_second {
                    element(&mut out, "MaxNumberOfMessagesPerSecond", &rate.to_string());
                }
                element(
                    &mut out,
                    "ApproximateNumberOfMessagesMoved",
                    &t.approximate_number_of_messages_moved.to_string(),
                );
                element(
                    &mut out,
                    "ApproximateNumberOfMessagesToMove",
                    &t.approximate_number_of_messages_to_move.to_string(),
                );
                optional(&mut out, "FailureReason", t.failure_reason.as_deref());
                element(&mut out, "StartedTimestamp", &t.started_timestamp.to_string());
                out.push_str("</ListMessageMoveTasksResultEntry>");
            }
        }
        Response::CancelMessageMoveTask(r) => {
            element(&mut out, "ApproximateNumberOfMessagesMoved", &r.approximate_number_of_messages_moved.to_string())
        }
    }
    Some(out)
}

/// The success document for `action`.
pub fn render_response(action: Action, response: &Response, request_id: &str) -> String {
    let name = action.name();
    let mut out = String::with_capacity(512);
    let _ = write!(out, "<?xml version=\"1.0\"?><{name}Response xmlns=\"{NAMESPACE}\">");
    if let Some(body) = result_body(response) {
        if body.is_empty() {
            let _ = write!(out, "<{name}Result/>");
        } else {
            let _ = write!(out, "<{name}Result>{body}</{name}Result>");
        }
    }
    let _ = write!(out, "<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{name}Response>");
    out
}

/// What AWS answers a Query request that names no action: 404 with this bare body, whatever the
/// request's path or `Accept` header (an AWS-validated assertion in LocalStack's suite; the same
/// body other AWS front ends give for unknown operations).
const UNKNOWN_OPERATION_BODY: &str = "<UnknownOperationException/>\n";

/// An error's message over Query: a missing queue has AWS's Query-protocol wording.
pub fn error_message(error: &SqsError) -> &str {
    match error.code {
        ErrorCode::QueueDoesNotExist => QUEUE_DOES_NOT_EXIST_QUERY,
        _ => error.message.as_ref(),
    }
}

/// The `ErrorResponse` document.
pub fn render_error(error: &SqsError, request_id: &str) -> String {
    if error.code == ErrorCode::MissingAction {
        return UNKNOWN_OPERATION_BODY.to_string();
    }
    let message = error_message(error);
    let mut out = String::with_capacity(320);
    let _ = write!(out, "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"{NAMESPACE}\"><Error>");
    element(&mut out, "Type", error.code.fault().as_str());
    element(&mut out, "Code", error.code.query_code());
    element(&mut out, "Message", message);
    let _ = write!(out, "<Detail/></Error><RequestId>{request_id}</RequestId></ErrorResponse>");
    out
}
