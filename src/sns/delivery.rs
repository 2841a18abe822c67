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
use std::sync::RwLock;

use rustc_hash::FxHashMap;

use super::filter::{self, Facts, Policy, Scope};
use super::publish::{AttributeValue, Notification};
use super::Ctx;
use crate::engine::message::{self, AttributePayload, Grouping, NewMessage};
use crate::engine::topic::{Subscription, TopicId};
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
    let at = chrono::DateTime::from_timestamp_millis(millis as i64).unwrap_or_default();
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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

/// The Notification envelope of one message, built once for all its subscribers: Type,
/// MessageId, SequenceNumber (FIFO), TopicArn, Subject (if given), Message, Timestamp,
/// SignatureVersion, Signature, SigningCertURL (not on FIFO topics), UnsubscribeURL,
/// MessageAttributes (if any, `{Type, Value}`). Only UnsubscribeURL differs between subscribers:
/// it is put between the two parts.
pub struct Envelope {
    head: String,
    tail: String,
}

impl Envelope {
    pub fn new(n: &Notification, message: &str, base_url: &str) -> Envelope {
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
        // A marker where the subscription's ARN goes (ARNs need no JSON escaping).
        const ARN: &str = "\u{0}";
        members.push(("UnsubscribeURL", json_string_value(&unsubscribe_url(base_url, ARN))));
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
        let whole = layout(&members);
        let marker = json_string_value(ARN);
        let marker = &marker[1..marker.len() - 1];
        let (head, tail) = whole.split_once(marker).unwrap_or((&whole, ""));
        Envelope { head: head.to_string(), tail: tail.to_string() }
    }

    /// The envelope a subscription receives.
    pub fn for_subscription(&self, subscription_arn: &str) -> String {
        let mut out = String::with_capacity(self.head.len() + subscription_arn.len() + self.tail.len());
        out.push_str(&self.head);
        out.push_str(subscription_arn);
        out.push_str(&self.tail);
        out
    }
}

/// The envelope of one message for one subscription.
pub fn envelope(n: &Notification, subscription: &Subscription, message: &str, base_url: &str) -> String {
    Envelope::new(n, message, base_url).for_subscription(&subscription.arn)
}

/// How a subscription is delivered to, worked out once per subscription version (not per
/// message): its compiled filter policy, and for SQS its queue, raw delivery and dead-letter queue.
pub struct Plan {
    version: u64,
    policy: Option<Policy>,
    raw: bool,
    queue: Option<QueueId>,
    dead_letter: Option<QueueId>,
}

impl Plan {
    fn new(subscription: &Subscription) -> Plan {
        let attributes = &subscription.attributes;
        let scope =
            attributes.get("FilterPolicyScope").and_then(|s| Scope::parse(s)).unwrap_or(Scope::MessageAttributes);
        let dead_letter = attributes
            .get("RedrivePolicy")
            .and_then(|p| serde_json::from_str::<Value>(p).ok())
            .and_then(|p| p.get("deadLetterTargetArn").and_then(Value::as_str).and_then(QueueId::from_arn));
        Plan {
            version: subscription.version,
            policy: attributes.get("FilterPolicy").map(|text| filter::compile_stored(text, scope)),
            raw: attributes.get("RawMessageDelivery").is_some_and(|v| v == "true"),
            queue: (&*subscription.protocol == "sqs").then(|| QueueId::from_arn(&subscription.endpoint)).flatten(),
            dead_letter,
        }
    }
}

/// A topic's plans, for the subscription list they were made from.
struct TopicPlans {
    subscriptions: Arc<[Arc<Subscription>]>,
    plans: Arc<[Arc<Plan>]>,
}

/// Delivery plans, looked up once per published message: by topic, valid while the backend hands
/// out the same subscription list; a new list reuses each unchanged subscription's plan (by ARN
/// and version).
#[derive(Default)]
pub struct Plans {
    by_topic: RwLock<FxHashMap<TopicId, TopicPlans>>,
    by_subscription: RwLock<FxHashMap<Arc<str>, Arc<Plan>>>,
}

impl Plans {
    /// The plans of `subscriptions`, a topic's list, in its order.
    pub fn for_topic(&self, topic: &TopicId, subscriptions: &Arc<[Arc<Subscription>]>) -> Arc<[Arc<Plan>]> {
        let known = self.by_topic.read().ok().and_then(|t| {
            t.get(topic).filter(|p| Arc::ptr_eq(&p.subscriptions, subscriptions)).map(|p| p.plans.clone())
        });
        if let Some(plans) = known {
            return plans;
        }
        let plans: Arc<[Arc<Plan>]> = subscriptions.iter().map(|s| self.plan(s)).collect();
        if let Ok(mut by_topic) = self.by_topic.write() {
            let entry = TopicPlans { subscriptions: subscriptions.clone(), plans: plans.clone() };
            by_topic.insert(topic.clone(), entry);
        }
        plans
    }

    fn plan(&self, subscription: &Subscription) -> Arc<Plan> {
        let known = self.by_subscription.read().ok().and_then(|p| p.get(&subscription.arn).cloned());
        if let Some(plan) = known.filter(|p| p.version == subscription.version) {
            return plan;
        }
        let plan = Arc::new(Plan::new(subscription));
        if let Ok(mut plans) = self.by_subscription.write() {
            plans.insert(subscription.arn.clone(), plan.clone());
        }
        plan
    }

    pub fn forget(&self, arn: &str) {
        if let Ok(mut plans) = self.by_subscription.write() {
            plans.remove(arn);
        }
    }

    /// Forgets a deleted topic's plans and its subscriptions'.
    pub fn forget_topic(&self, topic: &TopicId) {
        let gone = self.by_topic.write().ok().and_then(|mut t| t.remove(topic));
        for subscription in gone.iter().flat_map(|g| g.subscriptions.iter()) {
            self.forget(&subscription.arn);
        }
    }
}

/// What the SQS subscribers of one message get, made once for all of them: the envelope (only its
/// UnsubscribeURL differs per subscriber) or the raw message, whose body and attributes they share.
enum Payload<'a> {
    Envelope(&'a Envelope),
    Raw(&'a RawMessage),
}

struct RawMessage {
    body: Arc<str>,
    attributes: Arc<message::MessageAttributes>,
    size: usize,
}

impl RawMessage {
    /// `None` when the message has more attributes than SQS takes.
    fn new(n: &Notification) -> Option<RawMessage> {
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
        let body = n.message_for("sqs");
        let size =
            body.len() + n.attributes.iter().map(|a| a.name.len() + a.data_type.len() + a.value_len()).sum::<usize>();
        Some(RawMessage { body: body.into(), attributes: message::shared_attributes(attributes), size })
    }
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
    let plans = ctx.sns().plans.for_topic(&n.topic.id, &subscriptions);
    let mut facts = LazyFacts { n, attributes: None, body: None };
    let (mut sqs_envelope, mut sqs_raw) = (None, None);
    let mut outcomes = crate::metrics::Deliveries::default();
    for (subscription, plan) in subscriptions.iter().zip(plans.iter()).filter(|(s, _)| s.is_confirmed()) {
        if let Some(policy) = &plan.policy {
            if !policy.matches(facts.get(policy.scope())) {
                continue;
            }
        }
        let delivered = match &*subscription.protocol {
            "sqs" if plan.raw => match sqs_raw.get_or_insert_with(|| RawMessage::new(n)) {
                Some(raw) => to_queue(ctx, n, subscription, plan, Payload::Raw(raw)).await,
                // More attributes than SQS takes: a client-side error, not retried (raw delivery guide).
                None => false,
            },
            "sqs" => {
                let envelope =
                    sqs_envelope.get_or_insert_with(|| Envelope::new(n, n.message_for("sqs"), &ctx.base_url));
                to_queue(ctx, n, subscription, plan, Payload::Envelope(envelope)).await
            }
            "http" | "https" => ctx.sns().http.notify(n, subscription, &ctx.base_url),
            // Email, SMS, Lambda, Firehose and mobile endpoints are not reached (README, deviations).
            _ => false,
        };
        outcomes.add(&subscription.protocol, delivered);
    }
    if let Some(m) = ctx.state.metrics.as_deref() {
        m.sns_published(&n.topic.id.name, &outcomes);
    }
    Ok(())
}

/// The SQS message for a queue of the given kind; FIFO queues get the group and deduplication id.
fn sqs_message(
    n: &Notification,
    subscription: &Subscription,
    payload: &Payload<'_>,
    fifo_queue: bool,
) -> Option<NewMessage> {
    let (body, attributes, size) = match payload {
        Payload::Envelope(envelope) => {
            let body: Arc<str> = envelope.for_subscription(&subscription.arn).into();
            let size = body.len();
            (body, message::shared_attributes(Vec::new()), size)
        }
        Payload::Raw(raw) => (raw.body.clone(), raw.attributes.clone(), raw.size),
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
    Some(NewMessage { body, attributes, trace_header: n.trace_header.clone(), grouping, size })
}

/// Sends to the subscribed queue; when that fails (no such queue, a policy that denies the
/// topic, a message the queue refuses), to the subscription's dead-letter queue if it has one.
/// Returns whether the subscribed queue got it.
async fn to_queue(
    ctx: &Ctx<'_>,
    n: &Notification,
    subscription: &Subscription,
    plan: &Plan,
    payload: Payload<'_>,
) -> bool {
    let Some(queue) = &plan.queue else { return false };
    if send(ctx, n, subscription, &payload, queue).await {
        return true;
    }
    if let Some(dlq) = &plan.dead_letter {
        if !send(ctx, n, subscription, &payload, dlq).await {
            tracing::warn!(subscription = %subscription.arn, dlq = %dlq, "SNS delivery and its dead-letter queue both failed");
        }
    }
    false
}

async fn send(
    ctx: &Ctx<'_>,
    n: &Notification,
    subscription: &Subscription,
    payload: &Payload<'_>,
    queue: &QueueId,
) -> bool {
    let engine = &ctx.state.engine;
    if ctx.state.credentials.enabled() && !queue_admits(ctx, queue, &n.topic.arn).await {
        return false;
    }
    let Some(message) = sqs_message(n, subscription, payload, queue.is_fifo()) else { return false };
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
