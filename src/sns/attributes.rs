//! Topic and subscription attributes: which exist, which may be set, what their values must be,
//! and what SNS computes. Sources: botocore's SNS model (SetTopicAttributes and
//! SetSubscriptionAttributes docs) and the recorded GetTopicAttributes/GetSubscriptionAttributes
//! answers (test_create_topic_test_arn, test_subscribe_attributes).

use serde_json::{json, Value};

use super::error::{SnsError, SnsResult};
use super::filter::{self, Scope};

/// Attributes SetTopicAttributes takes (and CreateTopic, with `FifoTopic`).
const TOPIC_SETTABLE: &[&str] = &[
    "Policy",
    "DisplayName",
    "DeliveryPolicy",
    "SignatureVersion",
    "TracingConfig",
    "KmsMasterKeyId",
    "ContentBasedDeduplication",
    "FifoThroughputScope",
    "ArchivePolicy",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
];

/// The default retry policy of HTTP/S deliveries (recorded EffectiveDeliveryPolicy).
pub fn default_delivery_policy() -> Value {
    json!({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,
        "numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},
        "disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})
}

/// `a` with `b`'s members laid over it, objects merged member by member.
pub fn merge(a: &mut Value, b: &Value) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (a, b) => *a = b.clone(),
    }
}

/// A topic's EffectiveDeliveryPolicy: its DeliveryPolicy merged over the defaults.
pub fn effective_delivery_policy(delivery_policy: Option<&str>) -> Value {
    let mut effective = default_delivery_policy();
    if let Some(set) = delivery_policy.and_then(|p| serde_json::from_str::<Value>(p).ok()) {
        merge(&mut effective, &set);
    }
    effective
}

/// The Policy every topic starts with (recorded; key order Version, Id, Statement).
pub fn default_topic_policy(topic_arn: &str, account: &str) -> String {
    format!(
        r#"{{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"{topic_arn}","Condition":{{"StringEquals":{{"AWS:SourceOwner":"{account}"}}}}}}]}}"#
    )
}

fn json_object(name: &str, value: &str) -> SnsResult<Value> {
    match serde_json::from_str::<Value>(value) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(SnsError::invalid_because(name, "failed to parse JSON")),
    }
}

fn one_of(name: &str, value: &str, allowed: &[&str]) -> SnsResult<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(SnsError::invalid(name))
    }
}

/// Checks one topic attribute; returns the value to store (`None`: remove it). `fifo` is the
/// topic's kind; `FifoTopic` itself is checked by CreateTopic.
pub fn topic_attribute(name: &str, value: &str, fifo: bool) -> SnsResult<Option<String>> {
    if !TOPIC_SETTABLE.contains(&name) {
        return Err(SnsError::invalid("AttributeName"));
    }
    match name {
        "Policy" => {
            json_object(name, value)?;
        }
        // Setting "" removes the delivery policy (recorded: test_topic_delivery_policy_crud).
        "DeliveryPolicy" if value.is_empty() => return Ok(None),
        "DeliveryPolicy" => {
            json_object(name, value)?;
        }
        "DisplayName" if value.chars().count() > 100 => return Err(SnsError::invalid(name)),
        "SignatureVersion" => one_of(name, value, &["1", "2"])?,
        "TracingConfig" => one_of(name, value, &["Active", "PassThrough"])?,
        "ContentBasedDeduplication" => {
            if !fifo {
                return Err(SnsError::invalid_because(
                    name,
                    "Content based deduplication can only be set for FIFO topics",
                ));
            }
            one_of(name, &value.to_ascii_lowercase(), &["true", "false"])?;
            return Ok(Some(value.to_ascii_lowercase()));
        }
        "FifoThroughputScope" => {
            if !fifo {
                return Err(SnsError::invalid_because(name, "FifoThroughputScope can only be set for FIFO topics"));
            }
            one_of(name, value, &["Topic", "MessageGroup"])?;
        }
        _ => {}
    }
    Ok(Some(value.to_string()))
}

/// Attributes SetSubscriptionAttributes takes.
const SUBSCRIPTION_SETTABLE: &[&str] = &[
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
];

/// Subscription attribute values that are the defaults: giving them to Subscribe again is
/// no change (recorded: test_subscribe_idempotency).
pub fn is_default_subscription_value(name: &str, value: &str) -> bool {
    matches!((name, value), ("FilterPolicyScope", "MessageAttributes") | ("RawMessageDelivery", "false"))
}

/// What a subscription attribute change needs to know about the subscription.
pub struct SubscriptionKind<'a> {
    pub protocol: &'a str,
    pub fifo_topic: bool,
    pub fifo_endpoint: bool,
}

/// Checks one subscription attribute against the others (a FilterPolicy is compiled in the
/// scope it will have); returns the value to store, `None` to remove it. Errors carry the reason
/// alone ("<Name>: ..."): Subscribe and SetSubscriptionAttributes word their prefixes differently.
pub fn subscription_attribute(
    name: &str,
    value: &str,
    others: &std::collections::BTreeMap<String, String>,
    kind: &SubscriptionKind<'_>,
) -> Result<Option<String>, String> {
    if !SUBSCRIPTION_SETTABLE.contains(&name) {
        return Err("AttributeName".into());
    }
    match name {
        "RawMessageDelivery" => match value.to_ascii_lowercase().as_str() {
            v @ ("true" | "false") => Ok(Some(v.to_string())),
            _ => Err(format!("RawMessageDelivery: Invalid value [{value}]. Must be true or false.")),
        },
        "FilterPolicy" if value.is_empty() => Ok(None),
        "FilterPolicy" => {
            let scope = Scope::parse(others.get("FilterPolicyScope").map_or("MessageAttributes", String::as_str))
                .unwrap_or(Scope::MessageAttributes);
            filter::compile(value, scope)?;
            Ok(Some(value.to_string()))
        }
        "FilterPolicyScope" => {
            let scope = Scope::parse(value).ok_or_else(|| {
                format!(
                    "FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
                )
            })?;
            if let Some(policy) = others.get("FilterPolicy") {
                filter::compile(policy, scope)?;
            }
            Ok(Some(value.to_string()))
        }
        "RedrivePolicy" if value.is_empty() => Ok(None),
        "RedrivePolicy" => {
            let policy: Value =
                serde_json::from_str(value).map_err(|e| format!("RedrivePolicy: failed to parse JSON. {e}"))?;
            let target = policy.get("deadLetterTargetArn").and_then(Value::as_str).unwrap_or("");
            let queue = crate::engine::QueueId::from_arn(target)
                .ok_or_else(|| "RedrivePolicy: deadLetterTargetArn is an invalid arn".to_string())?;
            if kind.fifo_topic && kind.fifo_endpoint && !queue.is_fifo() {
                return Err(
                    "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.".into()
                );
            }
            Ok(Some(value.to_string()))
        }
        "DeliveryPolicy" if value.is_empty() => Ok(None),
        "DeliveryPolicy" => {
            if !matches!(kind.protocol, "http" | "https") {
                return Err("DeliveryPolicy: Delivery policy can only be set for HTTP/S subscriptions".into());
            }
            match serde_json::from_str::<Value>(value) {
                Ok(Value::Object(_)) => Ok(Some(value.to_string())),
                Ok(_) | Err(_) => Err("DeliveryPolicy: failed to parse JSON.".into()),
            }
        }
        _ => Ok(Some(value.to_string())),
    }
}
