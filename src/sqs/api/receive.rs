//! ReceiveMessage. Rules from
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html>.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::attributes::serialize_pairs;
use super::message_attributes::{md5_hex, md5_of_attributes, select, WireAttributeValue};
use super::num::Num;
use super::{queue_url, RequestContext, Response};
use crate::engine::limits;
use crate::engine::message::{ReceiveRequest, ReceivedMessage};
use crate::engine::types::AttemptId;
use crate::engine::Engine;
use crate::error::SqsResult;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiveMessageRequest {
    pub queue_url: Option<String>,
    /// Deprecated name list; used when MessageSystemAttributeNames is absent.
    #[serde(default)]
    pub attribute_names: Vec<String>,
    #[serde(default)]
    pub message_system_attribute_names: Vec<String>,
    #[serde(default)]
    pub message_attribute_names: Vec<String>,
    pub max_number_of_messages: Option<Num>,
    pub visibility_timeout: Option<Num>,
    pub wait_time_seconds: Option<Num>,
    pub receive_request_attempt_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageOut {
    pub message_id: String,
    pub receipt_handle: String,
    #[serde(rename = "MD5OfBody")]
    pub md5_of_body: String,
    pub body: Arc<str>,
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "serialize_pairs")]
    pub attributes: Vec<(String, String)>,
    #[serde(rename = "MD5OfMessageAttributes", skip_serializing_if = "Option::is_none")]
    pub md5_of_message_attributes: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub message_attributes: BTreeMap<String, WireAttributeValue>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiveMessageResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageOut>,
    /// Messages the receive moved to the dead-letter queue (for metrics; not on the wire).
    #[serde(skip)]
    pub dead_lettered: u64,
}

/// System attribute names a receive may ask for.
const SYSTEM_ATTRIBUTES: &[&str] = &[
    "ApproximateFirstReceiveTimestamp",
    "ApproximateReceiveCount",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
    "MessageDeduplicationId",
    "MessageGroupId",
    "SenderId",
    "SentTimestamp",
    "SequenceNumber",
];

/// The system attribute names selected: `All` (any case, kombu sends `ALL`) means every one.
fn selected_system_attributes(names: &[String]) -> Vec<&'static str> {
    if names.iter().any(|n| n.eq_ignore_ascii_case("all")) {
        return SYSTEM_ATTRIBUTES.to_vec();
    }
    SYSTEM_ATTRIBUTES.iter().copied().filter(|a| names.iter().any(|n| n == a)).collect()
}

/// Every system attribute a message has, by name (what `AttributeNames=All` returns).
pub fn system_attributes(m: &ReceivedMessage, sender_id: &str) -> BTreeMap<&'static str, String> {
    SYSTEM_ATTRIBUTES.iter().filter_map(|name| Some((*name, system_attribute(m, name, sender_id)?))).collect()
}

fn system_attribute(m: &ReceivedMessage, name: &str, sender_id: &str) -> Option<String> {
    Some(match name {
        "ApproximateFirstReceiveTimestamp" => m.first_received_at.to_string(),
        "ApproximateReceiveCount" => m.receive_count.to_string(),
        "AWSTraceHeader" => m.trace_header.as_deref()?.to_string(),
        "DeadLetterQueueSourceArn" => m.dead_letter_source_arn.as_deref()?.to_string(),
        "MessageDeduplicationId" => m.dedup_id.as_deref()?.to_string(),
        "MessageGroupId" => m.group_id.as_deref()?.to_string(),
        "SenderId" => sender_id.to_string(),
        "SentTimestamp" => m.sent_at.to_string(),
        "SequenceNumber" => m.sequence_number?.to_string(),
        _ => return None,
    })
}

pub async fn receive_message(engine: &Engine, ctx: &RequestContext, r: ReceiveMessageRequest) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let max_messages = match &r.max_number_of_messages {
        Some(n) => {
            n.in_range("MaxNumberOfMessages", 1, limits::MAX_BATCH as i64, "Must be between 1 and 10, if provided.")?
        }
        None => 1,
    };
    let visibility_timeout = r
        .visibility_timeout
        .as_ref()
        .map(|n| {
            n.in_range(
                "VisibilityTimeout",
                0,
                limits::MAX_VISIBILITY_TIMEOUT,
                "Must be >= 0 and <= 43200, if provided.",
            )
        })
        .transpose()?;
    let wait_seconds = r
        .wait_time_seconds
        .as_ref()
        .map(|n| n.in_range("WaitTimeSeconds", 0, limits::MAX_WAIT_SECONDS, "Must be >= 0 and <= 20, if provided."))
        .transpose()?;
    let request = ReceiveRequest {
        max_messages: max_messages as usize,
        visibility_timeout: visibility_timeout.map(|v| v as u32),
        attempt_id: r.receive_request_attempt_id.as_deref().map(AttemptId::new).transpose()?,
    };
    let received = engine.receive(&id, &request, wait_seconds.map(|w| w as u32)).await?;
    let dead_lettered = received.dead_lettered;
    let received = received.messages;

    let system_names = if r.message_system_attribute_names.is_empty() {
        &r.attribute_names
    } else {
        &r.message_system_attribute_names
    };
    let system = selected_system_attributes(system_names);
    let sender_id = &id.namespace.account;
    let messages = received
        .iter()
        .map(|m| {
            let chosen = select(&m.attributes, &r.message_attribute_names);
            MessageOut {
                message_id: m.id.to_string(),
                receipt_handle: m.receipt_handle.clone(),
                md5_of_body: md5_hex(&m.body),
                body: m.body.clone(),
                attributes: system
                    .iter()
                    .filter_map(|name| system_attribute(m, name, sender_id).map(|v| (name.to_string(), v)))
                    .collect(),
                md5_of_message_attributes: (!chosen.is_empty()).then(|| md5_of_attributes(chosen.iter().copied())),
                message_attributes: chosen
                    .iter()
                    .map(|(n, v)| (n.to_string(), WireAttributeValue::from_value(v)))
                    .collect(),
            }
        })
        .collect();
    Ok(Response::ReceiveMessage(ReceiveMessageResponse { messages, dead_lettered }))
}
