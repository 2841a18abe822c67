//! What subscribers receive and how: the JSON envelope (or, with RawMessageDelivery, the message
//! itself), into SQS queues by an engine send before Publish returns, to HTTP/S endpoints through
//! [`super::http_delivery`]. Formats from the SNS developer guide ("Amazon SNS message and JSON
//! formats", "raw message delivery", FIFO topics) and recorded deliveries
//! (test_message_attributes_not_missing, test_message_to_fifo_sqs, test_publish_sqs_from_sns).

use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::SnsResult;
use super::filter::{Facts, Scope};
use super::publish::{AttributeValue, Notification};
use super::Ctx;
use crate::engine::message::{self, AttributePayload, Grouping, NewMessage};
use crate::engine::topic::Subscription;
use crate::engine::types::{DedupId, GroupId};
use crate::engine::QueueId;
use crate::error::ErrorCode;

/// Where the envelope says a signing certificate is (not served: README, deviations).
pub const CERT_NAME: &str = "SimpleNotificationService-0000000000000000000000000000000a.pem";

/// SQS takes at most 10 message attributes; a raw delivery with more fails (raw delivery guide).
const MAX_SQS_ATTRIBUTES: usize = 10;

/// A JSON string literal.
pub fn json_string_value(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// `2026-12-02T06:57:59.123Z`.
pub fn timestamp(millis: u64) -> String {
    chrono::DateTime::from_timestamp_millis(millis as i64)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

pub fn unsubscribe_url(base_url: &str, subscription_arn: &str) -> String {
    format!("{base_url}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}")
}

/// Stands in for AWS's RSA signature: the base64 SHA-256 of AWS's string to sign (README,
/// deviations: consumers cannot verify it against an AWS certificate either way).
pub fn signature(fields: &[(&str, &str)]) -> String {
    let mut hasher = Sha256::new();
    for (name, value) in fields {
        hasher.update(name.as_bytes());
        hasher.update(b"\n");
        hasher.update(value.as_bytes());
        hasher.update(b"\n");
    }
    base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
}

/// Writes a JSON object as AWS lays it out: two-space indent, `" : "`, members in the given order.
pub fn layout(members: &[(&str, String)]) -> String {
    let mut out = String::from("{\n");
    for (i, (name, value)) in members.iter().enumerate() {
        out.push_str("  ");
        out.push_str(&json_string_value(name));
        out.push_str(" : ");
        out.push_str(value);
        out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
    }
    out.push('}');
    out
}

/// The Notification envelope for one subscription: Type, MessageId, SequenceNumber (FIFO),
/// TopicArn, Subject (if given), Message, Timestamp, SignatureVersion, Signature, SigningCertURL
/// (not on FIFO topics), UnsubscribeURL, MessageAttributes (if any, `{Type, Value}`).
pub fn envelope(n: &Notification, subscription: &Subscription, message: &str, base_url: &str) -> String {
    let fifo = n.topic.id.is_fifo();
    let timestamp = timestamp(n.timestamp);
    let mut members: Vec<(&str, String)> =
        vec![("Type", json_string_value("Notification")), ("MessageId", json_string_value(&n.message_id))];
    if let Some(sequence) = n.sequence.filter(|_| fifo) {
        members.push(("SequenceNumber", json_string_value(&sequence.to_string())));
    }
    members.push(("TopicArn", json_string_value(&n.topic.arn)));
    if let Some(subject) = &n.subject {
        members.push(("Subject", json_string_value(subject)));
    }
    members.push(("Message", json_string_value(message)));
    members.push(("Timestamp", json_string_value(&timestamp)));
    if !fifo {
        let version = n.topic.settings.attributes.get("SignatureVersion").map_or("1", String::as_str);
        let mut signed = vec![("Message", message), ("MessageId", n.message_id.as_str())];
        if let Some(subject) = &n.subject {
            signed.push(("Subject", subject));
        }
        signed.extend([("Timestamp", timestamp.as_str()), ("TopicArn", &*n.topic.arn), ("Type", "Notification")]);
        members.push(("SignatureVersion", json_string_value(version)));
        members.push(("Signature", json_string_value(&signature(&signed))));
        members.push(("SigningCertURL", json_string_value(&format!("{base_url}/{CERT_NAME}"))));
    }
    members.push(("UnsubscribeURL", json_string_value(&unsubscribe_url(base_url, &subscription.arn))));
    // The docs: message attributes are not delivered for MessageStructure=json.
    if !n.attributes.is_empty() && n.per_protocol.is_none() {
        let attributes: Vec<String> = n
            .attributes
            .iter()
            .map(|a| {
                let value = serde_json::json!({"Type": a.data_type, "Value": a.text()});
                format!("    {} : {}", json_string_value(&a.name), value)
            })
            .collect();
        members.push(("MessageAttributes", format!("{{\n{}\n  }}", attributes.join(",\n"))));
    }
    layout(&members)
}

/// The facts filter policies read, made once per message and only when a policy needs them.
struct LazyFacts<'a> {
    n: &'a Notification,
    attributes: Option<Facts>,
    body: Option<Facts>,
}

impl LazyFacts<'_> {
    fn get(&mut self, scope: Scope) -> &Facts {
        let n = self.n;
        match scope {
            Scope::MessageAttributes => self.attributes.get_or_insert_with(|| {
                Facts::from_attributes(n.attributes.iter().map(|a| {
                    let value = match &a.value {
                        AttributeValue::String(s) => s.as_str(),
                        AttributeValue::Binary(_) => "",
                    };
                    (a.name.as_str(), a.data_type.as_str(), value)
                }))
            }),
            Scope::MessageBody => self.body.get_or_insert_with(|| Facts::from_body(&n.message)),
        }
    }
}

/// Delivers a message to every confirmed subscription of its topic whose filter policy passes it.
pub async fn fan_out(ctx: &Ctx<'_>, n: &Notification) -> SnsResult<()> {
    let subscriptions = ctx.sns().topics.subscriptions(&n.topic.id).await?;
    let mut facts = LazyFacts { n, attributes: None, body: None };
    let metrics = ctx.state.metrics.as_deref();
    if let Some(m) = metrics {
        m.sns_published(&n.topic.id.name);
    }
    for subscription in subscriptions.iter().filter(|s| s.is_confirmed()) {
        if let Some(policy) = ctx.sns().filters.policy(subscription) {
            if !policy.matches(facts.get(policy.scope())) {
                continue;
            }
        }
        let delivered = match &*subscription.protocol {
            "sqs" => to_queue(ctx, n, subscription).await,
            "http" | "https" => ctx.sns().http.notify(n, subscription, &ctx.base_url),
            // Email, SMS, Lambda, Firehose and mobile endpoints are not reached (README, deviations).
            _ => false,
        };
        if let Some(m) = metrics {
            m.sns_delivery(&n.topic.id.name, &subscription.protocol, delivered);
        }
    }
    Ok(())
}

fn raw(subscription: &Subscription) -> bool {
    subscription.attributes.get("RawMessageDelivery").is_some_and(|v| v == "true")
}

/// The SQS message for a queue of the given kind: raw (the message, its attributes as SQS
/// attributes) or the envelope; FIFO queues get the group and deduplication id.
fn sqs_message(ctx: &Ctx<'_>, n: &Notification, subscription: &Subscription, fifo_queue: bool) -> Option<NewMessage> {
    let text = n.message_for("sqs");
    let (body, attributes) = if raw(subscription) {
        if n.attributes.len() > MAX_SQS_ATTRIBUTES {
            return None;
        }
        let mut attributes: Vec<_> = n
            .attributes
            .iter()
            .map(|a| {
                let payload = match &a.value {
                    AttributeValue::String(s) => AttributePayload::String(s.clone()),
                    AttributeValue::Binary(b) => AttributePayload::Binary(b.clone()),
                };
                (a.name.clone(), message::AttributeValue { data_type: a.data_type.clone(), payload })
            })
            .collect();
        attributes.sort_by(|a, b| a.0.cmp(&b.0));
        (text.to_string(), attributes)
    } else {
        (envelope(n, subscription, text, &ctx.base_url), Vec::new())
    };
    let grouping = if fifo_queue {
        let group = GroupId::new(n.group.as_deref()?).ok()?;
        let dedup = n.dedup.as_deref().map(DedupId::new).transpose().ok()?;
        Grouping::Fifo { group, dedup }
    } else {
        // A FIFO topic's group does not reach a standard queue (recorded: test_fifo_topic_to_regular_sqs).
        let group = n.group.as_deref().filter(|_| !n.topic.id.is_fifo()).and_then(|g| GroupId::new(g).ok());
        Grouping::Standard { group, delay_seconds: None }
    };
    let size = body.len()
        + attributes.iter().map(|(name, v)| name.len() + v.data_type.len() + payload_len(&v.payload)).sum::<usize>();
    Some(NewMessage {
        body: body.into(),
        attributes: message::shared_attributes(attributes),
        trace_header: n.trace_header.as_deref().map(Arc::from),
        grouping,
        size,
    })
}

fn payload_len(payload: &AttributePayload) -> usize {
    match payload {
        AttributePayload::String(s) => s.len(),
        AttributePayload::Binary(b) => b.len(),
    }
}

/// Sends to the subscribed queue; when that fails (no such queue, a policy that denies the
/// topic, a message the queue refuses), to the subscription's dead-letter queue if it has one.
/// Returns whether the subscribed queue got it.
async fn to_queue(ctx: &Ctx<'_>, n: &Notification, subscription: &Subscription) -> bool {
    let Some(queue) = QueueId::from_arn(&subscription.endpoint) else { return false };
    if send(ctx, n, subscription, &queue).await {
        return true;
    }
    let dead_letter = subscription
        .attributes
        .get("RedrivePolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| p.get("deadLetterTargetArn").and_then(Value::as_str).and_then(QueueId::from_arn));
    if let Some(dlq) = dead_letter {
        if !send(ctx, n, subscription, &dlq).await {
            tracing::warn!(subscription = %subscription.arn, dlq = %dlq, "SNS delivery and its dead-letter queue both failed");
        }
    }
    false
}

async fn send(ctx: &Ctx<'_>, n: &Notification, subscription: &Subscription, queue: &QueueId) -> bool {
    let engine = &ctx.state.engine;
    if ctx.state.credentials.enabled() && !queue_admits(ctx, queue, &n.topic.arn).await {
        return false;
    }
    let Some(message) = sqs_message(ctx, n, subscription, queue.is_fifo()) else { return false };
    match engine.send(queue, vec![message]).await {
        Ok(mut outcomes) => matches!(outcomes.pop(), Some(Ok(_))),
        Err(e) if e.code == ErrorCode::QueueDoesNotExist => false,
        Err(e) => {
            tracing::warn!(queue = %queue, error = %e, "SNS delivery to a queue failed");
            false
        }
    }
}

/// With credentials enforced, SNS may send to a queue only where the queue's Policy allows it:
/// a statement allowing `sqs:SendMessage` (or a wildcard) to the service `sns.amazonaws.com` or
/// to everyone, whose conditions (`aws:SourceArn` with ArnEquals/ArnLike/StringEquals/StringLike)
/// hold for the topic. Other conditions do not grant (README, deviations).
async fn queue_admits(ctx: &Ctx<'_>, queue: &QueueId, topic_arn: &str) -> bool {
    let Ok(info) = ctx.state.engine.queue(queue).await else { return true };
    let Some(policy) = info.config().policy.as_deref().and_then(|p| serde_json::from_str::<Value>(p).ok()) else {
        return false;
    };
    let statements = match policy.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    };
    statements.iter().any(|s| allows_topic(s, topic_arn))
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    super::filter::wildcard_match(&pattern.to_ascii_lowercase(), &text.to_ascii_lowercase())
}

fn allows_topic(statement: &Value, topic_arn: &str) -> bool {
    if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
        return false;
    }
    let principal = statement.get("Principal");
    let principal_ok = match principal {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(p)) => {
            strings(p.get("AWS")).contains(&"*") || strings(p.get("Service")).contains(&"sns.amazonaws.com")
        }
        _ => false,
    };
    let action_ok = strings(statement.get("Action")).iter().any(|a| glob(a, "sqs:SendMessage"));
    let condition_ok = match statement.get("Condition") {
        None => true,
        Some(Value::Object(conditions)) => conditions.iter().all(|(operator, tests)| {
            let Value::Object(tests) = tests else { return false };
            tests.iter().all(|(key, wanted)| {
                let key = key.to_ascii_lowercase();
                let wanted = strings(Some(wanted));
                match (operator.as_str(), key.as_str()) {
                    ("ArnEquals" | "StringEquals", "aws:sourcearn") => wanted.contains(&topic_arn),
                    ("ArnLike" | "StringLike", "aws:sourcearn") => wanted.iter().any(|w| glob(w, topic_arn)),
                    _ => false,
                }
            })
        }),
        Some(_) => false,
    };
    principal_ok && action_ok && condition_ok
}
