//! CreateQueue, GetQueueUrl, ListQueues, DeleteQueue and PurgeQueue.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::attributes::{apply_attributes, same_value, Mode, RedriveTargets};
use super::num::Num;
use super::tags::validate_tags;
use super::{queue_url, required, QueueUrlRequest, RequestContext, Response};
use crate::engine::queue::{NewQueue, QueueConfig, QueueSettings};
use crate::engine::types::is_sqs_name;
use crate::engine::{CreateOutcome, Engine, QueueId};
use crate::error::{ErrorCode, SqsError, SqsResult};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateQueueRequest {
    pub queue_name: Option<String>,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Lower-case `tags` on CreateQueue, unlike TagQueue's `Tags` (botocore model).
    #[serde(default, rename = "tags")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueUrlRequest {
    pub queue_name: Option<String>,
    #[serde(rename = "QueueOwnerAWSAccountId")]
    pub queue_owner_aws_account_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueuesRequest {
    pub queue_name_prefix: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<Num>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueUrlResponse {
    pub queue_url: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueuesResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queue_urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Queue names: SQS's name rule, FIFO names ending in `.fifo` (counted in the 80).
fn validate_queue_name(name: &str, fifo: bool) -> SqsResult<()> {
    let stem = if fifo { name.strip_suffix(".fifo") } else { Some(name) };
    let valid = name.len() <= 80 && stem.is_some_and(is_sqs_name);
    match (valid, fifo) {
        (true, _) => Ok(()),
        (false, true) => Err(SqsError::invalid_parameter(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
        )),
        (false, false) => Err(SqsError::invalid_parameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )),
    }
}

pub async fn create_queue(engine: &Engine, ctx: &RequestContext, r: CreateQueueRequest) -> SqsResult<Response> {
    let name = required(r.queue_name, "QueueName")?;
    let fifo = r.attributes.get("FifoQueue").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    validate_queue_name(&name, fifo)?;
    let id = QueueId::new(ctx.namespace, name);
    let targets = RedriveTargets::look_up(engine, &id, &r.attributes).await?;
    let config = apply_attributes(QueueConfig::new(fifo), &r.attributes, Mode::Create, &id, &targets)?;
    validate_tags(&r.tags)?;
    let queue = NewQueue { id: id.clone(), settings: QueueSettings { config: config.clone(), tags: r.tags } };
    if let CreateOutcome::Exists(existing) = engine.create_queue(queue).await? {
        // CreateQueue is idempotent when every given attribute equals the queue's current value.
        if let Some(attribute) = r.attributes.keys().find(|a| !same_value(existing.config(), &config, a)) {
            return Err(SqsError::new(
                ErrorCode::QueueNameExists,
                format!("A queue already exists with the same name and a different value for attribute {attribute}"),
            ));
        }
    }
    Ok(Response::QueueUrl(QueueUrlResponse { queue_url: queue_url::format(ctx, &id) }))
}

pub async fn get_queue_url(engine: &Engine, ctx: &RequestContext, r: GetQueueUrlRequest) -> SqsResult<Response> {
    let name = required(r.queue_name, "QueueName")?;
    let namespace = match r.queue_owner_aws_account_id {
        Some(owner) => ctx.namespace.with_account(&owner).ok_or_else(SqsError::queue_does_not_exist)?,
        None => ctx.namespace,
    };
    let info = engine.queue(&QueueId::new(namespace, name)).await?;
    Ok(Response::QueueUrl(QueueUrlResponse { queue_url: queue_url::format(ctx, &info.id) }))
}

/// ListQueues: names with the prefix (case-sensitive; empty means all), in name order.
pub async fn list_queues(engine: &Engine, ctx: &RequestContext, r: ListQueuesRequest) -> SqsResult<Response> {
    let prefix = r.queue_name_prefix.unwrap_or_default();
    let queues = engine.list_queues(&ctx.namespace, &prefix).await?;
    let (page, next_token) = paginate(queues.into_iter().map(|q| q.id.clone()), r.max_results, r.next_token)?;
    let queue_urls = page.iter().map(|id| queue_url::format(ctx, id)).collect();
    Ok(Response::ListQueues(ListQueuesResponse { queue_urls, next_token }))
}

/// Pagination shared by ListQueues and ListDeadLetterSourceQueues over names in name order:
/// without MaxResults at most 1000 and no token; with MaxResults (1 to 1000) a token while more
/// remain. The token is opaque to clients (base64 of the last name returned).
pub fn paginate(
    ids: impl Iterator<Item = QueueId>,
    max_results: Option<Num>,
    next_token: Option<String>,
) -> SqsResult<(Vec<QueueId>, Option<String>)> {
    let max_results = max_results
        .map(|n| n.in_range("MaxResults", 1, 1000, "MaxResults must be an integer between 1 and 1000."))
        .transpose()?;
    let after = match next_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => Some(
            BASE64
                .decode(token.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| SqsError::invalid_value(token, "NextToken", "Invalid NextToken value."))?,
        ),
        None => None,
    };
    let limit = max_results.unwrap_or(1000) as usize;
    let mut page: Vec<QueueId> =
        ids.filter(|id| after.as_deref().is_none_or(|a| id.name() > a)).take(limit + 1).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let token =
        (max_results.is_some() && more).then(|| page.last().map(|id| BASE64.encode(id.name().as_bytes()))).flatten();
    Ok((page, token))
}

pub async fn delete_queue(engine: &Engine, ctx: &RequestContext, r: QueueUrlRequest) -> SqsResult<Response> {
    engine.delete_queue(&queue_url::resolve(ctx, r.queue_url.as_deref())?).await?;
    Ok(Response::Empty)
}

pub async fn purge_queue(engine: &Engine, ctx: &RequestContext, r: QueueUrlRequest) -> SqsResult<Response> {
    engine.purge(&queue_url::resolve(ctx, r.queue_url.as_deref())?).await?;
    Ok(Response::Empty)
}
