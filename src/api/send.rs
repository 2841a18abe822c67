//! SendMessage and SendMessageBatch. Rules from
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html>.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::batch::{self, BatchResultErrorEntry};
use super::message_attributes::{self, md5_hex, md5_of_attributes, valid_message_chars, WireAttributeValue};
use super::num::Num;
use super::{queue_url, required, RequestContext, Response};
use crate::engine::limits;
use crate::engine::message::{AttributePayload, MessageAttributes, NewMessage, SendOutcome};
use crate::engine::queue::{FifoConfig, Queue};
use crate::engine::Engine;
use crate::error::{ErrorCode, SqsError, SqsResult};

/// The fields of one message, shared by SendMessage and each SendMessageBatch entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageFields {
    pub message_body: Option<String>,
    pub delay_seconds: Option<Num>,
    #[serde(default)]
    pub message_attributes: BTreeMap<String, WireAttributeValue>,
    #[serde(default)]
    pub message_system_attributes: BTreeMap<String, WireAttributeValue>,
    pub message_deduplication_id: Option<String>,
    pub message_group_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageRequest {
    pub queue_url: Option<String>,
    #[serde(flatten)]
    pub fields: MessageFields,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchEntry {
    pub id: Option<String>,
    #[serde(flatten)]
    pub fields: MessageFields,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchRequest {
    pub queue_url: Option<String>,
    #[serde(default)]
    pub entries: Vec<SendMessageBatchEntry>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageResponse {
    #[serde(rename = "MD5OfMessageBody")]
    pub md5_of_message_body: String,
    #[serde(rename = "MD5OfMessageAttributes", skip_serializing_if = "Option::is_none")]
    pub md5_of_message_attributes: Option<String>,
    #[serde(rename = "MD5OfMessageSystemAttributes", skip_serializing_if = "Option::is_none")]
    pub md5_of_message_system_attributes: Option<String>,
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchResultEntry {
    pub id: String,
    #[serde(flatten)]
    pub result: SendMessageResponse,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchResponse {
    /// Empty lists are left out over JSON (recorded:
    /// `test_send_message_batch_with_oversized_contents_with_updated_maximum_message_size[sqs]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub successful: Vec<SendMessageBatchResultEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<BatchResultErrorEntry>,
}

/// A validated message ready for the engine, with the digests the response reports.
struct Prepared {
    message: NewMessage,
    md5_of_body: String,
    md5_of_attributes: Option<String>,
    md5_of_system_attributes: Option<String>,
}

/// The parts of a queue's configuration that the send rules depend on.
struct SendRules {
    fifo: Option<FifoConfig>,
    maximum_message_size: u32,
}

impl SendRules {
    fn of(queue: &Queue) -> Self {
        queue.with_config(|c| SendRules { fifo: c.fifo.clone(), maximum_message_size: c.maximum_message_size })
    }
}

/// How bad an entry's problem is: SQS fails the whole batch for some rules.
enum Rejection {
    Entry(SqsError),
    Request(SqsError),
}

/// `MessageGroupId` and `MessageDeduplicationId`: 1 to 128 alphanumeric or punctuation characters.
fn validate_token(value: &str, parameter: &str) -> SqsResult<()> {
    let ok = (1..=128).contains(&value.chars().count()) && value.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(SqsError::invalid_value(
            value,
            parameter,
            &format!("{parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length."),
        ))
    }
}

fn invalid_body_chars() -> SqsError {
    SqsError::new(
        ErrorCode::InvalidMessageContents,
        "Invalid binary character was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    )
}

/// Applies SQS's per-message rules for a queue of the given configuration.
fn prepare(
    fields: MessageFields,
    rules: &SendRules,
    ctx: &RequestContext,
    in_batch: bool,
) -> Result<Prepared, Rejection> {
    use Rejection::{Entry, Request};
    let fifo = rules.fifo.as_ref();
    let body =
        fields.message_body.filter(|b| !b.is_empty()).ok_or_else(|| Request(SqsError::missing("MessageBody")))?;
    let delay_seconds = match &fields.delay_seconds {
        Some(d) => {
            let delay = d
                .in_range("DelaySeconds", 0, limits::MAX_DELAY_SECONDS, "DelaySeconds must be >= 0 and <= 900")
                .map_err(Entry)?;
            if fifo.is_some() && delay > 0 {
                // FIFO queues take delays per queue only.
                return Err(Entry(SqsError::invalid_value(
                    delay,
                    "DelaySeconds",
                    "The request include parameter that is not valid for this queue type.",
                )));
            }
            fifo.is_none().then_some(delay as u32)
        }
        None => None,
    };
    let group_id = match (&fields.message_group_id, fifo) {
        (Some(g), _) => {
            validate_token(g, "MessageGroupId").map_err(Entry)?;
            Some(Arc::<str>::from(g.as_str()))
        }
        (None, Some(_)) if in_batch => {
            return Err(Request(SqsError::invalid_parameter("The request must contain the parameter MessageGroupId.")))
        }
        (None, Some(_)) => return Err(Request(SqsError::missing("MessageGroupId"))),
        (None, None) => None,
    };
    let dedup_id = match (&fields.message_deduplication_id, fifo) {
        (Some(d), Some(_)) => {
            validate_token(d, "MessageDeduplicationId").map_err(Entry)?;
            Some(Arc::<str>::from(d.as_str()))
        }
        (Some(d), None) => {
            return Err(Entry(SqsError::invalid_value(
                d,
                "MessageDeduplicationId",
                "The request includes a parameter that is not valid for this queue type.",
            )))
        }
        (None, Some(f)) if !f.content_based_dedup => {
            return Err(Request(SqsError::invalid_parameter(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            )))
        }
        (None, _) => None,
    };
    let attributes = message_attributes::parse_attributes(&fields.message_attributes).map_err(Entry)?;
    let (trace_header, md5_of_system_attributes) =
        system_attributes(&fields.message_system_attributes, ctx).map_err(Entry)?;
    if !valid_message_chars(&body) {
        return Err(Entry(invalid_body_chars()));
    }
    let size = body.len() + message_attributes::attributes_size(&attributes);
    let max = rules.maximum_message_size as usize;
    if size > max {
        let reason = if in_batch { "cannot be validated" } else { "are invalid" };
        return Err(Entry(SqsError::invalid_parameter(format!(
            "One or more parameters {reason}. Reason: Message must be shorter than {max} bytes."
        ))));
    }
    let md5_of_attributes =
        (!attributes.is_empty()).then(|| md5_of_attributes(attributes.iter().map(|(n, v)| (n.as_str(), v))));
    Ok(Prepared {
        md5_of_body: md5_hex(&body),
        md5_of_attributes,
        md5_of_system_attributes,
        message: NewMessage {
            body: body.into(),
            attributes: shared_attributes(attributes),
            trace_header,
            delay_seconds,
            group_id,
            dedup_id,
        },
    })
}

/// Attributes to store. Most messages have none; they all share one empty list instead of each
/// allocating its own.
fn shared_attributes(attributes: MessageAttributes) -> Arc<MessageAttributes> {
    static EMPTY: OnceLock<Arc<MessageAttributes>> = OnceLock::new();
    if attributes.is_empty() {
        EMPTY.get_or_init(|| Arc::new(Vec::new())).clone()
    } else {
        Arc::new(attributes)
    }
}

/// `MessageSystemAttributes`: only `AWSTraceHeader` (a String) exists. Without it the request's
/// `X-Amzn-Trace-Id` header is used. Returns the trace header and, if system attributes were sent,
/// their digest.
fn system_attributes(
    wire: &BTreeMap<String, WireAttributeValue>,
    ctx: &RequestContext,
) -> SqsResult<(Option<Arc<str>>, Option<String>)> {
    let mut parsed = Vec::new();
    for (name, value) in wire {
        if name != "AWSTraceHeader" {
            return Err(SqsError::invalid_parameter(format!("Message system attribute name '{name}' is invalid.")));
        }
        let value = message_attributes::parse_value(name, value, "system")?;
        if value.data_type != "String" {
            return Err(SqsError::invalid_parameter(format!(
                "Message system attribute '{name}' has an invalid data type, it must be String."
            )));
        }
        parsed.push((name.as_str(), value));
    }
    let Some((_, value)) = parsed.first() else {
        return Ok((ctx.trace_header.as_deref().map(Arc::from), None));
    };
    let digest = md5_of_attributes(parsed.iter().map(|(n, v)| (*n, v)));
    let trace = match &value.payload {
        AttributePayload::String(s) => Some(Arc::from(s.as_str())),
        AttributePayload::Binary(_) => None,
    };
    Ok((trace, Some(digest)))
}

fn response(prepared: &Prepared, outcome: SendOutcome) -> SendMessageResponse {
    SendMessageResponse {
        md5_of_message_body: prepared.md5_of_body.clone(),
        md5_of_message_attributes: prepared.md5_of_attributes.clone(),
        md5_of_message_system_attributes: prepared.md5_of_system_attributes.clone(),
        message_id: outcome.message_id.to_string(),
        sequence_number: outcome.sequence_number.map(|n| n.to_string()),
    }
}

fn rejection_error(rejection: Rejection) -> SqsError {
    match rejection {
        Rejection::Entry(e) | Rejection::Request(e) => e,
    }
}

pub fn send_message(engine: &Engine, ctx: &RequestContext, r: SendMessageRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let prepared = prepare(r.fields, &SendRules::of(&queue), ctx, false).map_err(rejection_error)?;
    let outcome = queue.send(prepared.message.clone(), engine.now())?;
    Ok(Response::SendMessage(response(&prepared, outcome)))
}

/// SendMessageBatch: batch-level rules fail the request; per-message problems fail only their
/// entry (HTTP 200). FIFO entries are enqueued in order.
pub fn send_message_batch(engine: &Engine, ctx: &RequestContext, r: SendMessageBatchRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let ids: Vec<String> = r.entries.iter().map(|e| required(e.id.clone(), "Id")).collect::<SqsResult<_>>()?;
    batch::validate_ids(ids.iter().map(String::as_str), "SendMessageBatchRequestEntry")?;
    check_batch_size(&r.entries)?;
    send_entries(engine, &queue, ctx, ids, r.entries)
}

/// The whole batch may not exceed the maximum message size (bodies plus attributes).
fn check_batch_size(entries: &[SendMessageBatchEntry]) -> SqsResult<()> {
    let total: usize = entries
        .iter()
        .map(|e| {
            let body = e.fields.message_body.as_ref().map_or(0, String::len);
            let attrs: usize = e
                .fields
                .message_attributes
                .iter()
                .map(|(n, v)| {
                    n.len()
                        + v.data_type.as_ref().map_or(0, String::len)
                        + v.string_value.as_ref().map_or(0, String::len)
                        + v.binary_value.as_ref().map_or(0, |b| b.len() * 3 / 4)
                })
                .sum();
            body + attrs
        })
        .sum();
    let max = limits::MAX_MESSAGE_SIZE as usize;
    if total > max {
        return Err(SqsError::new(
            ErrorCode::BatchRequestTooLong,
            format!("Batch requests cannot be longer than {max} bytes. You have sent {total} bytes."),
        ));
    }
    Ok(())
}

fn send_entries(
    engine: &Engine,
    queue: &Queue,
    ctx: &RequestContext,
    ids: Vec<String>,
    entries: Vec<SendMessageBatchEntry>,
) -> SqsResult<Response> {
    let rules = SendRules::of(queue);
    let mut failed = Vec::new();
    let mut accepted = Vec::new();
    for (id, entry) in ids.into_iter().zip(entries) {
        match prepare(entry.fields, &rules, ctx, true) {
            Ok(prepared) => accepted.push((id, prepared)),
            Err(Rejection::Request(e)) => return Err(e),
            Err(Rejection::Entry(e)) => failed.push(BatchResultErrorEntry::new(&id, e)),
        }
    }
    let messages = accepted.iter().map(|(_, p)| p.message.clone()).collect();
    let outcomes = queue.send_batch(messages, engine.now());
    let mut successful = Vec::with_capacity(accepted.len());
    for ((id, prepared), outcome) in accepted.into_iter().zip(outcomes) {
        match outcome {
            Ok(outcome) => successful.push(SendMessageBatchResultEntry { result: response(&prepared, outcome), id }),
            Err(e) => failed.push(BatchResultErrorEntry::new(&id, e)),
        }
    }
    Ok(Response::SendMessageBatch(SendMessageBatchResponse { successful, failed }))
}
