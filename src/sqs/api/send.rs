//! SendMessage and SendMessageBatch. Rules from
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html>.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::batch::{self, BatchResultErrorEntry};
use super::message_attributes::{
    self, md5_hex, md5_of_attributes, message_size, valid_message_chars, WireAttributeValue,
};
use super::num::Num;
use super::{queue_url, required, RequestContext, Response};
use crate::engine::limits;
use crate::engine::message::{self, AttributePayload, Grouping, NewMessage, SendOutcome};
use crate::engine::types::{DedupId, GroupId};
use crate::engine::{Engine, QueueId};
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

/// How bad an entry's problem is: SQS fails the whole batch for some rules.
enum Rejection {
    Entry(SqsError),
    Request(SqsError),
}

fn invalid_body_chars() -> SqsError {
    SqsError::new(
        ErrorCode::InvalidMessageContents,
        "Invalid binary character was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    )
}

/// Applies SQS's per-message rules for a queue of the given configuration.
/// The rules that need the queue's configuration (size, content-based deduplication) are the
/// backend's, applied as it sends ([`crate::engine::rules`]); FIFO-ness is fixed by the name.
fn prepare(fields: MessageFields, fifo: bool, ctx: &RequestContext, in_batch: bool) -> Result<Prepared, Rejection> {
    use Rejection::{Entry, Request};
    let body =
        fields.message_body.filter(|b| !b.is_empty()).ok_or_else(|| Request(SqsError::missing("MessageBody")))?;
    let delay_seconds = match &fields.delay_seconds {
        Some(d) => {
            let delay = d
                .in_range("DelaySeconds", 0, limits::MAX_DELAY_SECONDS, "DelaySeconds must be >= 0 and <= 900")
                .map_err(Entry)?;
            if fifo && delay > 0 {
                // FIFO queues take delays per queue only.
                return Err(Entry(SqsError::invalid_value(
                    delay,
                    "DelaySeconds",
                    "The request include parameter that is not valid for this queue type.",
                )));
            }
            (!fifo).then_some(delay as u32)
        }
        None => None,
    };
    let group = fields.message_group_id.as_deref().map(GroupId::new).transpose().map_err(Entry)?;
    let grouping = match (fifo, group) {
        (true, Some(group)) => {
            let dedup = fields.message_deduplication_id.as_deref().map(DedupId::new).transpose().map_err(Entry)?;
            Grouping::Fifo { group, dedup }
        }
        // SQS fails a whole batch for a FIFO entry without a group, and says so in a different
        // code than for a single send (recorded: test_send_batch_missing_message_group_id_for_fifo_queue).
        (true, None) if in_batch => {
            return Err(Request(SqsError::invalid_parameter("The request must contain the parameter MessageGroupId.")))
        }
        (true, None) => return Err(Request(SqsError::missing("MessageGroupId"))),
        (false, group) => {
            if let Some(d) = &fields.message_deduplication_id {
                return Err(Entry(SqsError::invalid_value(
                    d,
                    "MessageDeduplicationId",
                    "The request includes a parameter that is not valid for this queue type.",
                )));
            }
            Grouping::Standard { group, delay_seconds }
        }
    };
    let attributes = message_attributes::parse_attributes(&fields.message_attributes).map_err(Entry)?;
    let (trace_header, md5_of_system_attributes) =
        system_attributes(&fields.message_system_attributes, ctx).map_err(Entry)?;
    if !valid_message_chars(&body) {
        return Err(Entry(invalid_body_chars()));
    }
    let size = message_size(Some(&body), &fields.message_attributes);
    let md5_of_attributes =
        (!attributes.is_empty()).then(|| md5_of_attributes(attributes.iter().map(|(n, v)| (n.as_str(), v))));
    Ok(Prepared {
        md5_of_body: md5_hex(&body),
        md5_of_attributes,
        md5_of_system_attributes,
        message: NewMessage {
            body: body.into(),
            attributes: message::shared_attributes(attributes),
            trace_header,
            grouping,
            size,
        },
    })
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

pub async fn send_message(engine: &Engine, ctx: &RequestContext, r: SendMessageRequest) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let prepared = prepare(r.fields, id.is_fifo(), ctx, false).map_err(rejection_error)?;
    let mut outcomes = engine.send(&id, vec![prepared.message.clone()]).await?;
    let outcome = outcomes.pop().unwrap_or_else(|| Err(SqsError::internal("no send outcome")))?;
    Ok(Response::SendMessage(response(&prepared, outcome)))
}

/// SendMessageBatch: batch-level rules fail the request; per-message problems fail only their
/// entry (HTTP 200). FIFO entries are enqueued in order.
pub async fn send_message_batch(
    engine: &Engine,
    ctx: &RequestContext,
    r: SendMessageBatchRequest,
) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let ids: Vec<String> = r.entries.iter().map(|e| required(e.id.clone(), "Id")).collect::<SqsResult<_>>()?;
    batch::validate_ids(ids.iter().map(String::as_str), "SendMessageBatchRequestEntry")?;
    check_batch_size(&r.entries)?;
    send_entries(engine, &id, ctx, ids, r.entries).await
}

/// The whole batch may not exceed the maximum message size (bodies plus attributes).
fn check_batch_size(entries: &[SendMessageBatchEntry]) -> SqsResult<()> {
    let total: usize =
        entries.iter().map(|e| message_size(e.fields.message_body.as_deref(), &e.fields.message_attributes)).sum();
    let max = limits::MAX_MESSAGE_SIZE as usize;
    if total > max {
        return Err(SqsError::new(
            ErrorCode::BatchRequestTooLong,
            format!("Batch requests cannot be longer than {max} bytes. You have sent {total} bytes."),
        ));
    }
    Ok(())
}

async fn send_entries(
    engine: &Engine,
    id: &QueueId,
    ctx: &RequestContext,
    ids: Vec<String>,
    entries: Vec<SendMessageBatchEntry>,
) -> SqsResult<Response> {
    // Failures are listed in entry order, whether the api layer or the backend found them.
    let mut failed = Vec::new();
    let mut accepted = Vec::new();
    for (index, (entry_id, entry)) in ids.into_iter().zip(entries).enumerate() {
        match prepare(entry.fields, id.is_fifo(), ctx, true) {
            Ok(prepared) => accepted.push((index, entry_id, prepared)),
            Err(Rejection::Request(e)) => return Err(e),
            Err(Rejection::Entry(e)) => failed.push((index, BatchResultErrorEntry::new(&entry_id, e))),
        }
    }
    let messages = accepted.iter().map(|(_, _, p)| p.message.clone()).collect();
    let outcomes = if accepted.is_empty() { Vec::new() } else { engine.send_batch(id, messages).await? };
    let mut successful = Vec::with_capacity(accepted.len());
    for ((index, entry_id, prepared), outcome) in accepted.into_iter().zip(outcomes) {
        match outcome {
            Ok(outcome) => {
                successful.push(SendMessageBatchResultEntry { result: response(&prepared, outcome), id: entry_id })
            }
            Err(e) => failed.push((index, BatchResultErrorEntry::new(&entry_id, e))),
        }
    }
    failed.sort_by_key(|(index, _)| *index);
    let failed = failed.into_iter().map(|(_, f)| f).collect();
    Ok(Response::SendMessageBatch(SendMessageBatchResponse { successful, failed }))
}
