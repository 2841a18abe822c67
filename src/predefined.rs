//! Queues created at startup, from the config file's `[queues]` (see [`crate::config_file`]) or the
//! older JSON `--queues-file`; both become [`QueueSpec`]s created here, through CreateQueue with its
//! validation, dead-letter queues before the queues that name them.
//!
//! An existing queue (durable mode, a restart) is brought to what the spec says: the attributes it
//! names are set (SetQueueAttributes; the queue type cannot change) and its tags are added; what the
//! spec does not name is left as it is. The file is the source of truth for what it states.
//!
//! The JSON form (`--queues-file`, kept as an alias):
//! ```json
//! {"queues": [
//!   {"name": "jobs-dlq"},
//!   {"name": "jobs", "attributes": {"VisibilityTimeout": "60",
//!     "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:jobs-dlq\",\"maxReceiveCount\":3}"},
//!    "tags": {"team": "billing"}}
//! ]}
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::engine::{Engine, Namespace, QueueId};
use crate::error::ErrorCode;
use crate::sqs::api::attributes::SetQueueAttributesRequest;
use crate::sqs::api::queue::CreateQueueRequest;
use crate::sqs::api::tags::TagQueueRequest;
use crate::sqs::api::{dispatch, Request, RequestContext};

/// Which queues may use a queue as their dead-letter queue (its RedriveAllowPolicy), by name.
#[derive(Debug, Clone, PartialEq)]
pub enum RedriveAllow {
    AllowAll,
    DenyAll,
    ByQueue(Vec<String>),
}

/// One queue to create at start.
#[derive(Debug, Clone, Default)]
pub struct QueueSpec {
    pub name: String,
    /// AWS attribute names and values, as CreateQueue takes them.
    pub attributes: BTreeMap<String, String>,
    /// The dead-letter queue by name, and the receive count that moves a message there.
    pub dead_letter: Option<(String, u32)>,
    pub redrive_allow: Option<RedriveAllow>,
    pub tags: BTreeMap<String, String>,
    /// Where the spec was written (`file:line`), for error messages.
    pub origin: String,
}

/// The config file's queues, then a `--queues-file`'s: created, or brought up to date; returns how
/// many.
pub async fn create_configured(engine: &Engine, config: &crate::config::Config) -> Result<usize, String> {
    let mut specs = config.queues.clone();
    if let Some(path) = &config.queues_file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        specs.extend(specs_from_json(path, &text)?);
    }
    if specs.is_empty() {
        return Ok(0);
    }
    create_all(engine, config.namespace()?, &specs).await
}

/// Creates (or brings up to date) every spec's queue, dead-letter queues first; returns how many,
/// or a message naming the spec's origin.
pub async fn create_all(engine: &Engine, namespace: Namespace, specs: &[QueueSpec]) -> Result<usize, String> {
    let ctx = RequestContext { namespace, ..RequestContext::default() };
    for spec in creation_order(specs)? {
        let attributes = attributes_of(spec, namespace)?;
        let create = CreateQueueRequest {
            queue_name: Some(spec.name.clone()),
            attributes: attributes.clone(),
            tags: spec.tags.clone(),
        };
        let failed = |e: crate::error::SqsError| format!("{}: queue {}: {}", spec.origin, spec.name, e.message);
        match dispatch(engine, &ctx, Request::CreateQueue(create)).await {
            Ok(_) => {}
            Err(e) if e.code == ErrorCode::QueueNameExists => {
                let mut settable = attributes;
                settable.remove("FifoQueue");
                let set = SetQueueAttributesRequest { queue_url: Some(spec.name.clone()), attributes: Some(settable) };
                dispatch(engine, &ctx, Request::SetQueueAttributes(set)).await.map_err(failed)?;
                if !spec.tags.is_empty() {
                    let tag = TagQueueRequest { queue_url: Some(spec.name.clone()), tags: Some(spec.tags.clone()) };
                    dispatch(engine, &ctx, Request::TagQueue(tag)).await.map_err(failed)?;
                }
            }
            Err(e) => return Err(failed(e)),
        }
    }
    Ok(specs.len())
}

/// The spec's attributes with the redrive settings named by queue name turned into AWS's JSON.
fn attributes_of(spec: &QueueSpec, namespace: Namespace) -> Result<BTreeMap<String, String>, String> {
    let arn = |name: &str| QueueId::new(namespace, name).arn().to_string();
    let mut attributes = spec.attributes.clone();
    let mut set = |name: &str, value: serde_json::Value| {
        if attributes.insert(name.to_string(), value.to_string()).is_some() {
            return Err(format!(
                "{}: queue {}: {name} is given twice (as an attribute and by its own key)",
                spec.origin, spec.name
            ));
        }
        Ok(())
    };
    if let Some((dlq, max_receive_count)) = &spec.dead_letter {
        set(
            "RedrivePolicy",
            serde_json::json!({"deadLetterTargetArn": arn(dlq), "maxReceiveCount": max_receive_count}),
        )?;
    }
    if let Some(allow) = &spec.redrive_allow {
        let policy = match allow {
            RedriveAllow::AllowAll => serde_json::json!({"redrivePermission": "allowAll"}),
            RedriveAllow::DenyAll => serde_json::json!({"redrivePermission": "denyAll"}),
            RedriveAllow::ByQueue(names) => serde_json::json!({
                "redrivePermission": "byQueue",
                "sourceQueueArns": names.iter().map(|n| arn(n)).collect::<Vec<_>>(),
            }),
        };
        set("RedriveAllowPolicy", policy)?;
    }
    Ok(attributes)
}

/// Specs ordered so that each dead-letter queue named by a spec comes before it (otherwise in the
/// order given); a cycle of dead-letter queues is refused.
fn creation_order(specs: &[QueueSpec]) -> Result<Vec<&QueueSpec>, String> {
    let by_name: HashMap<&str, usize> = specs.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
    // 0 not visited, 1 on the current path, 2 placed.
    let mut mark = vec![0u8; specs.len()];
    let mut order = Vec::with_capacity(specs.len());
    for start in 0..specs.len() {
        let mut path = Vec::new();
        let mut at = Some(start);
        // Walk the dead-letter chain from `start` to a placed or absent queue, then place it backwards.
        while let Some(i) = at {
            match mark[i] {
                2 => break,
                1 => {
                    let names: Vec<&str> = path.iter().map(|&j: &usize| specs[j].name.as_str()).collect();
                    return Err(format!(
                        "{}: queue {}: dead-letter queues form a cycle ({} -> {})",
                        specs[i].origin,
                        specs[i].name,
                        names.join(" -> "),
                        specs[i].name
                    ));
                }
                _ => {}
            }
            mark[i] = 1;
            path.push(i);
            at = specs[i].dead_letter.as_ref().and_then(|(dlq, _)| by_name.get(dlq.as_str()).copied());
        }
        for &i in path.iter().rev() {
            mark[i] = 2;
            order.push(&specs[i]);
        }
    }
    Ok(order)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueuesFile {
    queues: Vec<JsonQueue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonQueue {
    name: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// The specs of a JSON queues file (`--queues-file`).
pub fn specs_from_json(path: &str, text: &str) -> Result<Vec<QueueSpec>, String> {
    let file: QueuesFile = serde_json::from_str(text).map_err(|e| format!("{path}: invalid queues file: {e}"))?;
    Ok(file
        .queues
        .into_iter()
        .enumerate()
        .map(|(i, q)| QueueSpec {
            origin: format!("{path}: queues[{i}]"),
            name: q.name,
            attributes: q.attributes,
            tags: q.tags,
            ..Default::default()
        })
        .collect())
}

/// Creates the queues a JSON document lists.
pub async fn create_from_json(engine: &Engine, namespace: Namespace, text: &str) -> Result<usize, String> {
    create_all(engine, namespace, &specs_from_json("queues file", text)?).await
}
