//! TagQueue, UntagQueue, ListQueueTags, and the permission actions that maintain the queue's
//! `Policy` document (AddPermission, RemovePermission).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{queue_url, required, Response};
use crate::engine::Engine;
use crate::error::{ErrorCode, SqsError, SqsResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagQueueRequest {
    pub queue_url: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagQueueRequest {
    pub queue_url: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueueTagsResponse {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddPermissionRequest {
    pub queue_url: Option<String>,
    pub label: Option<String>,
    #[serde(rename = "AWSAccountIds")]
    pub aws_account_ids: Option<Vec<String>>,
    pub actions: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemovePermissionRequest {
    pub queue_url: Option<String>,
    pub label: Option<String>,
}

/// Most tags a queue may carry.
const MAX_TAGS: usize = 50;

/// Tag rules: key 1..=128 characters, value at most 256, no `aws:` prefix, characters from
/// letters, digits, spaces and `_ . : / = + - @`. See
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-tags.html>.
pub fn validate_tags(tags: &BTreeMap<String, String>) -> SqsResult<()> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 || !key.chars().all(allowed) {
            return Err(SqsError::invalid_parameter(format!("Invalid tag key: {key}")));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(SqsError::invalid_parameter("Tag keys cannot start with the aws: prefix."));
        }
        if value.chars().count() > 256 || !value.chars().all(allowed) {
            return Err(SqsError::invalid_parameter(format!("Invalid tag value for key: {key}")));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(SqsError::invalid_parameter("Too many tags added for queue."));
    }
    Ok(())
}

pub fn tag_queue(engine: &Engine, r: TagQueueRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let new_tags = required(r.tags.filter(|t| !t.is_empty()), "Tags")?;
    validate_tags(&new_tags)?;
    queue.update_tags(|tags| {
        tags.extend(new_tags);
        if tags.len() > MAX_TAGS {
            return Err(SqsError::invalid_parameter(format!("Too many tags added for queue {}.", queue.name)));
        }
        Ok(())
    })?;
    Ok(Response::Empty)
}

/// UntagQueue: keys that are not present are ignored.
pub fn untag_queue(engine: &Engine, r: UntagQueueRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let keys = required(r.tag_keys.filter(|k| !k.is_empty()), "TagKeys")?;
    queue.update_tags(|tags| {
        for key in &keys {
            tags.remove(key);
        }
        Ok(())
    })?;
    Ok(Response::Empty)
}

pub fn list_queue_tags(engine: &Engine, r: super::queue::QueueUrlRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    Ok(Response::ListQueueTags(ListQueueTagsResponse { tags: queue.tags() }))
}

/// Most actions in one AddPermission statement.
const MAX_PERMISSION_ACTIONS: usize = 7;

fn validate_label(label: &str) -> SqsResult<()> {
    let ok = !label.is_empty()
        && label.len() <= 80
        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(SqsError::invalid_value(
            label,
            "Label",
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        ))
    }
}

/// A JSON scalar for one value, an array for several (the shape SQS writes policies in).
fn one_or_many(values: Vec<String>) -> Value {
    match <[String; 1]>::try_from(values) {
        Ok([one]) => Value::String(one),
        Err(many) => Value::from(many),
    }
}

/// AddPermission: adds a statement with Sid = label to the queue's policy.
pub fn add_permission(engine: &Engine, r: AddPermissionRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let label = required(r.label, "Label")?;
    let accounts = required(r.aws_account_ids.filter(|a| !a.is_empty()), "AWSAccountIds")?;
    let actions = required(r.actions.filter(|a| !a.is_empty()), "Actions")?;
    validate_label(&label)?;
    if actions.len() > MAX_PERMISSION_ACTIONS {
        return Err(SqsError::new(
            ErrorCode::OverLimit,
            format!("{} Actions were found, maximum allowed is {MAX_PERMISSION_ACTIONS}.", actions.len()),
        ));
    }
    let principals = accounts.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect();
    let action_names = actions.iter().map(|a| format!("SQS:{a}")).collect();
    let statement = json!({
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": one_or_many(principals)},
        "Action": one_or_many(action_names),
        "Resource": queue.arn.as_ref(),
    });
    queue.modify_config(engine.now(), |config| {
        let (mut policy, mut statements) = policy_and_statements(config.policy.as_deref(), &queue.arn);
        if statements.iter().any(|s| s.get("Sid").and_then(Value::as_str) == Some(label.as_str())) {
            return Err(SqsError::invalid_value(&label, "Label", "Already exists."));
        }
        statements.push(statement);
        policy.insert("Statement".into(), Value::Array(statements));
        config.policy = Some(Value::Object(policy).to_string());
        Ok(())
    })?;
    Ok(Response::Empty)
}

/// RemovePermission: removes the statement; removing the last one removes the policy.
pub fn remove_permission(engine: &Engine, r: RemovePermissionRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    let label = required(r.label, "Label")?;
    queue.modify_config(engine.now(), |config| {
        let (mut policy, mut statements) = policy_and_statements(config.policy.as_deref(), &queue.arn);
        let before = statements.len();
        statements.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(label.as_str()));
        if statements.len() == before {
            return Err(SqsError::invalid_value(&label, "Label", "can't find label."));
        }
        config.policy = (!statements.is_empty()).then(|| {
            policy.insert("Statement".into(), Value::Array(statements));
            Value::Object(policy).to_string()
        });
        Ok(())
    })?;
    Ok(Response::Empty)
}

/// The queue's policy document (or a new default one) with its statements taken out; a single
/// statement object counts as one statement.
fn policy_and_statements(policy: Option<&str>, arn: &str) -> (Map<String, Value>, Vec<Value>) {
    let mut document = match policy.and_then(|p| serde_json::from_str::<Value>(p).ok()) {
        Some(Value::Object(map)) => map,
        _ => {
            let mut map = Map::new();
            map.insert("Version".into(), json!("2008-10-17"));
            map.insert("Id".into(), json!(format!("{arn}/SQSDefaultPolicy")));
            map
        }
    };
    let statements = match document.remove("Statement") {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => Vec::new(),
        Some(single) => vec![single],
    };
    (document, statements)
}
