//! Queues created at startup from a JSON file (`--queues-file`), so a test environment starts with
//! the queues it needs. Each entry goes through CreateQueue, with the same validation; entries are
//! created in file order, so a dead-letter queue must come before the queues that name it.
//!
//! ```json
//! {"queues": [
//!   {"name": "jobs-dlq"},
//!   {"name": "jobs", "attributes": {"VisibilityTimeout": "60",
//!     "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:jobs-dlq\",\"maxReceiveCount\":3}"},
//!    "tags": {"team": "billing"}},
//!   {"name": "events.fifo", "attributes": {"FifoQueue": "true", "ContentBasedDeduplication": "true"}}
//! ]}
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::engine::Engine;
use crate::sqs::api::queue::CreateQueueRequest;
use crate::sqs::api::{dispatch, Request, RequestContext};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueuesFile {
    queues: Vec<PredefinedQueue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PredefinedQueue {
    name: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// Creates the queues a file lists; returns how many, or a message naming the failing entry.
pub async fn create_from_file(engine: &Engine, path: &str) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    create_from_json(engine, &text).await.map_err(|e| format!("{path}: {e}"))
}

/// Creates the queues a JSON document lists.
pub async fn create_from_json(engine: &Engine, text: &str) -> Result<usize, String> {
    let file: QueuesFile = serde_json::from_str(text).map_err(|e| format!("invalid queues file: {e}"))?;
    let ctx = RequestContext::default();
    for queue in &file.queues {
        let request = CreateQueueRequest {
            queue_name: Some(queue.name.clone()),
            attributes: queue.attributes.clone(),
            tags: queue.tags.clone(),
        };
        dispatch(engine, &ctx, Request::CreateQueue(request))
            .await
            .map_err(|e| format!("queue {}: {}", queue.name, e))?;
    }
    Ok(file.queues.len())
}
