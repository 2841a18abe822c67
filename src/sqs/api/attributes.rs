//! GetQueueAttributes and SetQueueAttributes, and the mapping between attribute names on the wire
//! and the typed [`QueueConfig`]. Rules from
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html>.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{queue_url, required, RequestContext, Response};
use crate::engine::limits;
use crate::engine::queue::{
    DedupScope, FifoConfig, QueueConfig, QueueCounts, QueueInfo, RedrivePolicy, ThroughputLimit,
};
use crate::engine::{Engine, QueueId};
use crate::error::{ErrorCode, SqsError, SqsResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueAttributesRequest {
    pub queue_url: Option<String>,
    #[serde(default)]
    pub attribute_names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetQueueAttributesRequest {
    pub queue_url: Option<String>,
    pub attributes: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueAttributesResponse {
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "serialize_pairs")]
    pub attributes: Vec<(String, String)>,
}

/// Serializes ordered (name, value) pairs as a JSON object.
pub fn serialize_pairs<S: serde::Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// Every attribute GetQueueAttributes knows, in the order `All` lists them.
const READABLE: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
    "ContentBasedDeduplication",
    "CreatedTimestamp",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "LastModifiedTimestamp",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "Policy",
    "QueueArn",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
];

/// The wire value of one attribute, or `None` where it does not apply to this queue.
pub fn current_value(info: &QueueInfo, counts: &QueueCounts, name: &str) -> Option<String> {
    let c = info.config();
    let fifo = c.fifo.as_ref();
    let kms = c.kms_master_key_id.is_some();
    Some(match name {
        "ApproximateNumberOfMessages" => counts.available.to_string(),
        "ApproximateNumberOfMessagesDelayed" => counts.delayed.to_string(),
        "ApproximateNumberOfMessagesNotVisible" => counts.in_flight.to_string(),
        "CreatedTimestamp" => (info.created_at / 1000).to_string(),
        "LastModifiedTimestamp" => (info.last_modified_at / 1000).to_string(),
        "QueueArn" => info.arn.to_string(),
        _ => config_value(c, fifo, kms, name)?,
    })
}

/// The wire value of a settable attribute of `c`.
fn config_value(c: &QueueConfig, fifo: Option<&FifoConfig>, kms: bool, name: &str) -> Option<String> {
    Some(match name {
        "DelaySeconds" => c.delay_seconds.to_string(),
        "MaximumMessageSize" => c.maximum_message_size.to_string(),
        "MessageRetentionPeriod" => c.retention_seconds.to_string(),
        "ReceiveMessageWaitTimeSeconds" => c.receive_wait_seconds.to_string(),
        "VisibilityTimeout" => c.visibility_timeout.to_string(),
        "Policy" => c.policy.clone()?,
        "RedrivePolicy" => {
            let p = c.redrive_policy.as_ref()?;
            // AWS echoes maxReceiveCount as a JSON number.
            serde_json::json!({"deadLetterTargetArn": p.dead_letter_target_arn, "maxReceiveCount": p.max_receive_count})
                .to_string()
        }
        "RedriveAllowPolicy" => c.redrive_allow_policy.clone()?,
        "KmsMasterKeyId" => c.kms_master_key_id.clone()?,
        "KmsDataKeyReusePeriodSeconds" if kms => c.kms_data_key_reuse_seconds.to_string(),
        "SqsManagedSseEnabled" => c.sqs_managed_sse.to_string(),
        "FifoQueue" => fifo.map(|_| "true".to_string())?,
        "ContentBasedDeduplication" => fifo?.content_based_dedup.to_string(),
        "DeduplicationScope" => match fifo?.dedup_scope {
            DedupScope::Queue => "queue".into(),
            DedupScope::MessageGroup => "messageGroup".into(),
        },
        "FifoThroughputLimit" => match fifo?.throughput_limit {
            ThroughputLimit::PerQueue => "perQueue".into(),
            ThroughputLimit::PerMessageGroupId => "perMessageGroupId".into(),
        },
        _ => return None,
    })
}

/// Whether two configurations have the same wire value for attribute `name` (CreateQueue
/// idempotency compares the attributes a request names against the queue's current values).
pub fn same_value(a: &QueueConfig, b: &QueueConfig, name: &str) -> bool {
    let value = |c: &QueueConfig| config_value(c, c.fifo.as_ref(), c.kms_master_key_id.is_some(), name);
    value(a) == value(b)
}

pub async fn get_queue_attributes(
    engine: &Engine,
    ctx: &RequestContext,
    r: GetQueueAttributesRequest,
) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let mut wanted: Vec<&str> = Vec::new();
    for name in &r.attribute_names {
        if name == "All" {
            wanted.extend_from_slice(READABLE);
        } else if READABLE.contains(&name.as_str()) {
            wanted.push(name);
        } else {
            return Err(SqsError::unknown_attribute(name));
        }
    }
    wanted.sort_unstable();
    wanted.dedup();
    let info = engine.queue(&id).await?;
    let counts = if wanted.iter().any(|n| n.starts_with("Approximate")) {
        engine.counts(&id).await?
    } else {
        QueueCounts::default()
    };
    let attributes = wanted
        .into_iter()
        .filter_map(|name| current_value(&info, &counts, name).map(|v| (name.to_string(), v)))
        .collect();
    Ok(Response::GetQueueAttributes(GetQueueAttributesResponse { attributes }))
}

pub async fn set_queue_attributes(
    engine: &Engine,
    ctx: &RequestContext,
    r: SetQueueAttributesRequest,
) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let attributes = required(r.attributes, "Attributes")?;
    let targets = RedriveTargets::look_up(engine, &id, &attributes).await?;
    engine
        .modify_queue(&id, true, |settings| {
            settings.config = apply_attributes(settings.config.clone(), &attributes, Mode::Set, &id, &targets)?;
            Ok(())
        })
        .await?;
    Ok(Response::Empty)
}

/// The dead-letter queue a RedrivePolicy being set names, looked up before the change is applied
/// (its type and RedriveAllowPolicy decide whether the policy is valid).
pub struct RedriveTargets {
    dead_letter_queue: Option<SqsResult<Arc<QueueInfo>>>,
}

impl RedriveTargets {
    pub async fn look_up(
        engine: &Engine,
        source: &QueueId,
        attributes: &BTreeMap<String, String>,
    ) -> SqsResult<RedriveTargets> {
        let arn = attributes
            .get("RedrivePolicy")
            .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
            .and_then(|doc| doc.get("deadLetterTargetArn")?.as_str().map(str::to_string));
        let target = arn.and_then(|arn| QueueId::from_arn(&arn)).filter(|id| id.namespace == source.namespace);
        let dead_letter_queue = match target {
            Some(id) => Some(engine.queue(&id).await),
            None => None,
        };
        Ok(RedriveTargets { dead_letter_queue })
    }
}

/// Whether attributes are being given at creation or changed later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Set,
}

/// Applies wire attributes to a configuration, with AWS's validation and errors.
pub fn apply_attributes(
    mut config: QueueConfig,
    attributes: &BTreeMap<String, String>,
    mode: Mode,
    queue: &QueueId,
    targets: &RedriveTargets,
) -> SqsResult<QueueConfig> {
    let fifo = config.fifo.is_some();
    for (name, value) in attributes {
        match name.as_str() {
            "DelaySeconds" => config.delay_seconds = ranged(name, value, 0, limits::MAX_DELAY_SECONDS)?,
            "MaximumMessageSize" => {
                config.maximum_message_size = ranged(name, value, limits::MIN_MESSAGE_SIZE, limits::MAX_MESSAGE_SIZE)?
            }
            "MessageRetentionPeriod" => {
                config.retention_seconds = ranged(name, value, limits::MIN_RETENTION, limits::MAX_RETENTION)?
            }
            "ReceiveMessageWaitTimeSeconds" => {
                config.receive_wait_seconds = ranged(name, value, 0, limits::MAX_WAIT_SECONDS)?
            }
            "VisibilityTimeout" => config.visibility_timeout = ranged(name, value, 0, limits::MAX_VISIBILITY_TIMEOUT)?,
            "Policy" => config.policy = non_empty(value).map(|p| validate_json(name, p)).transpose()?,
            "RedrivePolicy" => {
                config.redrive_policy = match non_empty(value) {
                    Some(v) => Some(parse_redrive_policy(v, fifo, queue, targets)?),
                    None => None,
                }
            }
            "RedriveAllowPolicy" => {
                config.redrive_allow_policy = non_empty(value).map(validate_redrive_allow_policy).transpose()?
            }
            "KmsMasterKeyId" => {
                config.kms_master_key_id = non_empty(value).map(str::to_string);
                if config.kms_master_key_id.is_some() {
                    config.sqs_managed_sse = false;
                }
            }
            "KmsDataKeyReusePeriodSeconds" => config.kms_data_key_reuse_seconds = ranged(name, value, 60, 86_400)?,
            "SqsManagedSseEnabled" => config.sqs_managed_sse = boolean(name, value)?,
            // FifoQueue exists only on FIFO queues; setting it to the value it has is accepted,
            // changing it is refused (recorded: `test_set_unsupported_attribute_fifo`).
            "FifoQueue" if !fifo => return Err(SqsError::unknown_attribute(name)),
            "FifoQueue" => match (mode, boolean(name, value)?) {
                (_, true) => {}
                (Mode::Create, false) => return Err(SqsError::invalid_attribute_value(name)),
                (Mode::Set, false) => {
                    return Err(SqsError::new(
                        ErrorCode::InvalidAttributeValue,
                        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
                    ))
                }
            },
            "ContentBasedDeduplication" => {
                let on = boolean(name, value)?;
                fifo_settings(&mut config, name, false)?.content_based_dedup = on;
            }
            "DeduplicationScope" => {
                let scope = match value.as_str() {
                    "queue" => DedupScope::Queue,
                    "messageGroup" => DedupScope::MessageGroup,
                    _ => return Err(SqsError::invalid_attribute_value(name)),
                };
                fifo_settings(&mut config, name, true)?.dedup_scope = scope;
            }
            "FifoThroughputLimit" => {
                let limit = match value.as_str() {
                    "perQueue" => ThroughputLimit::PerQueue,
                    "perMessageGroupId" => ThroughputLimit::PerMessageGroupId,
                    _ => return Err(SqsError::invalid_attribute_value(name)),
                };
                fifo_settings(&mut config, name, true)?.throughput_limit = limit;
            }
            _ => return Err(SqsError::unknown_attribute(name)),
        }
    }
    if config.kms_master_key_id.is_some() && config.sqs_managed_sse {
        return Err(SqsError::new(
            ErrorCode::InvalidAttributeName,
            "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.",
        ));
    }
    if let Some(f) = &config.fifo {
        // perMessageGroupId throughput requires message-group deduplication scope.
        if f.throughput_limit == ThroughputLimit::PerMessageGroupId && f.dedup_scope == DedupScope::Queue {
            return Err(SqsError::new(
                ErrorCode::InvalidAttributeValue,
                "Invalid value for the parameter FifoThroughputLimit. Reason: The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup.",
            ));
        }
    }
    Ok(config)
}

/// The FIFO settings of a FIFO queue; on a standard queue the attribute is refused the way AWS
/// refuses it (`scoped` attributes get the "only when FifoQueue is set to true" wording).
fn fifo_settings<'a>(config: &'a mut QueueConfig, name: &str, scoped: bool) -> SqsResult<&'a mut FifoConfig> {
    match config.fifo.as_mut() {
        Some(f) => Ok(f),
        None if scoped => Err(SqsError::new(
            ErrorCode::InvalidAttributeName,
            format!("You can specify the {name} only when FifoQueue is set to true."),
        )),
        None => Err(SqsError::unknown_attribute(name)),
    }
}

fn non_empty(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

fn ranged(name: &str, value: &str, lo: i64, hi: i64) -> SqsResult<u32> {
    match value.trim().parse::<i64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v as u32),
        _ => Err(SqsError::invalid_attribute_value(name)),
    }
}

fn boolean(name: &str, value: &str) -> SqsResult<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SqsError::invalid_attribute_value(name)),
    }
}

fn validate_json(name: &str, value: &str) -> SqsResult<String> {
    match serde_json::from_str::<serde_json::Value>(value) {
        Ok(serde_json::Value::Object(_)) => Ok(value.to_string()),
        _ => Err(SqsError::invalid_attribute_value(name)),
    }
}

fn redrive_error(value: &str, reason: &str) -> SqsError {
    SqsError::invalid_value(value, "RedrivePolicy", reason)
}

/// Parses a RedrivePolicy: `deadLetterTargetArn` must name an existing queue of the same type in
/// this account and region whose RedriveAllowPolicy admits this queue; `maxReceiveCount` 1..=1000.
fn parse_redrive_policy(
    value: &str,
    fifo: bool,
    queue: &QueueId,
    targets: &RedriveTargets,
) -> SqsResult<RedrivePolicy> {
    let doc: serde_json::Map<String, serde_json::Value> = serde_json::from_str(value).map_err(|_| {
        SqsError::new(
            ErrorCode::InvalidAttributeValue,
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.",
        )
    })?;
    let arn = doc.get("deadLetterTargetArn").and_then(|v| v.as_str()).ok_or_else(|| {
        redrive_error(value, "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
    })?;
    let count = doc
        .get("maxReceiveCount")
        .ok_or_else(|| redrive_error(value, "Redrive policy does not contain mandatory attribute: maxReceiveCount."))?;
    let count_text = match count {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let max_receive_count = match count_text.parse::<i64>() {
        Ok(n) if (1..=limits::MAX_RECEIVE_COUNT).contains(&n) => n as u32,
        _ => {
            return Err(redrive_error(
                value,
                &format!(
                    "Invalid value for maxReceiveCount: {count_text}, valid values are from 1 to 1000 both inclusive."
                ),
            ))
        }
    };
    let dead_letter_queue = QueueId::from_arn(arn)
        .filter(|id| id.namespace == queue.namespace)
        .ok_or_else(|| redrive_error(value, "Invalid value for deadLetterTargetArn."))?;
    let dlq = match &targets.dead_letter_queue {
        Some(Ok(info)) if info.id == dead_letter_queue => info,
        _ => return Err(redrive_error(value, "Dead letter target does not exist.")),
    };
    if dlq.is_fifo() != fifo {
        return Err(redrive_error(value, "Dead-letter queue must be same type of queue as the source."));
    }
    if !redrive_allowed(dlq.config(), &queue.arn()) {
        return Err(redrive_error(
            value,
            &format!("Queue {arn} does not allow this queue to use it as a dead-letter queue."),
        ));
    }
    Ok(RedrivePolicy { dead_letter_target_arn: arn.to_string(), dead_letter_queue, max_receive_count })
}

/// Whether a dead-letter queue's RedriveAllowPolicy lets the queue `source_arn` use it (no policy
/// allows all).
fn redrive_allowed(dlq_config: &QueueConfig, source_arn: &str) -> bool {
    let Some(policy) = &dlq_config.redrive_allow_policy else { return true };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else { return true };
    match doc.get("redrivePermission").and_then(|v| v.as_str()) {
        Some("denyAll") => false,
        Some("byQueue") => doc
            .get("sourceQueueArns")
            .and_then(|v| v.as_array())
            .is_some_and(|arns| arns.iter().any(|a| a.as_str() == Some(source_arn))),
        _ => true,
    }
}

/// Validates a RedriveAllowPolicy: `redrivePermission` allowAll | denyAll | byQueue, and
/// `sourceQueueArns` (1 to 10) only with byQueue.
fn validate_redrive_allow_policy(value: &str) -> SqsResult<String> {
    let invalid = |reason: &str| SqsError::invalid_value(value, "RedriveAllowPolicy", reason);
    let doc: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(value).map_err(|_| invalid("Redrive allow policy is not a valid JSON map."))?;
    let permission = doc
        .get("redrivePermission")
        .and_then(|v| v.as_str())
        .ok_or_else(|| invalid("Redrive allow policy does not contain mandatory attribute: redrivePermission."))?;
    let sources = doc.get("sourceQueueArns");
    match permission {
        "allowAll" | "denyAll" if sources.is_some() => {
            Err(invalid("Only byQueue redrivePermission may specify sourceQueueArns."))
        }
        "allowAll" | "denyAll" => Ok(value.to_string()),
        "byQueue" => match sources.and_then(|v| v.as_array()) {
            Some(arns) if (1..=10).contains(&arns.len()) && arns.iter().all(|a| a.is_string()) => Ok(value.to_string()),
            _ => Err(invalid("byQueue redrivePermission requires between 1 and 10 sourceQueueArns.")),
        },
        _ => Err(invalid("Invalid value for redrivePermission.")),
    }
}
