//! CreateQueue, GetQueueUrl, ListQueues, DeleteQueue and PurgeQueue.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::attributes::{apply_attributes, current_value, Mode};
use super::num::Num;
use super::tags::validate_tags;
use super::{queue_url, required, RequestContext, Response};
use crate::engine::queue::{QueueConfig, QueueSnapshot};
use crate::engine::Engine;
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

/// Requests that carry only a `QueueUrl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueUrlRequest {
    pub queue_url: Option<String>,
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

/// Queue names: 1 to 80 characters of `[A-Za-z0-9_-]`, FIFO names ending in `.fifo` (counted).
fn validate_queue_name(name: &str, fifo: bool) -> SqsResult<()> {
    let stem = if fifo { name.strip_suffix(".fifo") } else { Some(name) };
    let valid = stem.is_some_and(|s| {
        !s.is_empty() && name.len() <= 80 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
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

pub fn create_queue(engine: &Engine, ctx: &RequestContext, r: CreateQueueRequest) -> SqsResult<Response> {
    let name = required(r.queue_name, "QueueName")?;
    let fifo = r.attributes.get("FifoQueue").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    validate_queue_name(&name, fifo)?;
    let config = apply_attributes(engine, QueueConfig::new(fifo), &r.attributes, Mode::Create, &name)?;
    validate_tags(&r.tags)?;
    let requested = r.attributes;
    let queue = engine.create_queue(&name, config.clone(), r.tags, |existing| {
        // CreateQueue is idempotent when every given attribute equals the queue's current value.
        let current = existing.snapshot(engine.now());
        let wanted = QueueSnapshot { config, ..current.clone() };
        for attribute in requested.keys() {
            if current_value(&current, &existing.arn, attribute) != current_value(&wanted, &existing.arn, attribute) {
                return Err(SqsError::new(
                    ErrorCode::QueueNameExists,
                    format!(
                        "A queue already exists with the same name and a different value for attribute {attribute}"
                    ),
                ));
            }
        }
        Ok(())
    })?;
    Ok(Response::QueueUrl(QueueUrlResponse { queue_url: queue_url::format(engine, ctx, &queue.name) }))
}

pub fn get_queue_url(engine: &Engine, ctx: &RequestContext, r: GetQueueUrlRequest) -> SqsResult<Response> {
    let name = required(r.queue_name, "QueueName")?;
    if let Some(owner) = &r.queue_owner_aws_account_id {
        if owner != &engine.settings().account_id {
            return Err(SqsError::queue_does_not_exist());
        }
    }
    let queue = engine.queue(&name)?;
    Ok(Response::QueueUrl(QueueUrlResponse { queue_url: queue_url::format(engine, ctx, &queue.name) }))
}

/// ListQueues: names with the prefix (case-sensitive; empty means all), in name order.
pub fn list_queues(engine: &Engine, ctx: &RequestContext, r: ListQueuesRequest) -> SqsResult<Response> {
    let prefix = r.queue_name_prefix.unwrap_or_default();
    let names = engine.queues().into_iter().map(|q| q.name.clone()).filter(|n| n.starts_with(prefix.as_str()));
    let (page, next_token) = paginate(names, r.max_results, r.next_token)?;
    let queue_urls = page.iter().map(|n| queue_url::format(engine, ctx, n)).collect();
    Ok(Response::ListQueues(ListQueuesResponse { queue_urls, next_token }))
}

/// Pagination shared by ListQueues and ListDeadLetterSourceQueues over names in name order:
/// without MaxResults at most 1000 and no token; with MaxResults (1 to 1000) a token while more
/// remain. The token is opaque to clients (base64 of the last name returned).
pub fn paginate(
    names: impl Iterator<Item = Arc<str>>,
    max_results: Option<Num>,
    next_token: Option<String>,
) -> SqsResult<(Vec<Arc<str>>, Option<String>)> {
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
    let mut page: Vec<Arc<str>> =
        names.filter(|n| after.as_deref().is_none_or(|a| n.as_ref() > a)).take(limit + 1).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let token = (max_results.is_some() && more).then(|| page.last().map(|n| BASE64.encode(n.as_bytes()))).flatten();
    Ok((page, token))
}

pub fn delete_queue(engine: &Engine, r: QueueUrlRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    engine.delete_queue(&queue.name)?;
    Ok(Response::Empty)
}

pub fn purge_queue(engine: &Engine, r: QueueUrlRequest) -> SqsResult<Response> {
    let queue = queue_url::resolve(engine, r.queue_url.as_deref())?;
    queue.purge(engine.settings().purge_cooldown, engine.now())?;
    Ok(Response::Empty)
}
