//! AddPermission and RemovePermission: they maintain the queue's `Policy` document (AddPermission
//! API reference; the generated policy's shape from shared/sqs-reference.md §5.16).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{queue_url, required, RequestContext, Response};
use crate::engine::types::is_sqs_name;
use crate::engine::Engine;
use crate::error::{ErrorCode, SqsError, SqsResult};

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

/// Most actions in one AddPermission statement.
const MAX_PERMISSION_ACTIONS: usize = 7;

fn validate_label(label: &str) -> SqsResult<()> {
    if is_sqs_name(label) {
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
pub async fn add_permission(engine: &Engine, ctx: &RequestContext, r: AddPermissionRequest) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let arn = id.arn();
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
        "Resource": arn,
    });
    engine
        .modify_queue(&id, true, |settings| {
            let config = &mut settings.config;
            let (mut policy, mut statements) = policy_and_statements(config.policy.as_deref(), &arn);
            if statements.iter().any(|s| s.get("Sid").and_then(Value::as_str) == Some(label.as_str())) {
                return Err(SqsError::invalid_value(&label, "Label", "Already exists."));
            }
            statements.push(statement.clone());
            policy.insert("Statement".into(), Value::Array(statements));
            config.policy = Some(Value::Object(policy).to_string());
            Ok(())
        })
        .await?;
    Ok(Response::Empty)
}

/// RemovePermission: removes the statement; removing the last one removes the policy.
pub async fn remove_permission(
    engine: &Engine,
    ctx: &RequestContext,
    r: RemovePermissionRequest,
) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let label = required(r.label, "Label")?;
    let arn = id.arn();
    engine
        .modify_queue(&id, true, |settings| {
            let config = &mut settings.config;
            let (mut policy, mut statements) = policy_and_statements(config.policy.as_deref(), &arn);
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
        })
        .await?;
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
