//! TagQueue, UntagQueue and ListQueueTags. Rules from
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-tags.html>.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{queue_url, required, QueueUrlRequest, RequestContext, Response};
use crate::engine::Engine;
use crate::error::{SqsError, SqsResult};

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

pub async fn tag_queue(engine: &Engine, ctx: &RequestContext, r: TagQueueRequest) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let new_tags = required(r.tags.filter(|t| !t.is_empty()), "Tags")?;
    validate_tags(&new_tags)?;
    engine
        .modify_queue(&id, false, |settings| {
            settings.tags.extend(new_tags.clone());
            if settings.tags.len() > MAX_TAGS {
                return Err(SqsError::invalid_parameter(format!("Too many tags added for queue {}.", id.name())));
            }
            Ok(())
        })
        .await?;
    Ok(Response::Empty)
}

/// UntagQueue: keys that are not present are ignored.
pub async fn untag_queue(engine: &Engine, ctx: &RequestContext, r: UntagQueueRequest) -> SqsResult<Response> {
    let id = queue_url::resolve(ctx, r.queue_url.as_deref())?;
    let keys = required(r.tag_keys.filter(|k| !k.is_empty()), "TagKeys")?;
    engine
        .modify_queue(&id, false, |settings| {
            for key in &keys {
                settings.tags.remove(key);
            }
            Ok(())
        })
        .await?;
    Ok(Response::Empty)
}

pub async fn list_queue_tags(engine: &Engine, ctx: &RequestContext, r: QueueUrlRequest) -> SqsResult<Response> {
    let info = engine.queue(&queue_url::resolve(ctx, r.queue_url.as_deref())?).await?;
    Ok(Response::ListQueueTags(ListQueueTagsResponse { tags: info.settings.tags.clone() }))
}
