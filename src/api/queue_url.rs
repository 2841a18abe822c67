//! Queue URLs: `http://<host>:<port>/<account-id>/<queue-name>`.
//!
//! Clients post to any endpoint and pass a QueueUrl whose host may differ (containers, proxies), so
//! only the path counts. AWS also accepts a bare queue name in `QueueUrl`.

use std::sync::Arc;

use super::RequestContext;
use crate::engine::queue::Queue;
use crate::engine::Engine;
use crate::error::{SqsError, SqsResult};

/// The parts of a queue URL's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePath<'a> {
    /// The account segment, when the path has one (`queue` in ElasticMQ-style `/queue/<name>`).
    pub account: Option<&'a str>,
    pub name: &'a str,
}

/// Parses a queue URL path: `/<account>/<name>`, `/queue/<region>/<account>/<name>` (the
/// region-in-path style), or `/queue/<name>` (ElasticMQ's style). Any other shape names no queue:
/// a path with extra segments such as `/000000000000/../../jobs` must not act on `jobs`.
pub fn parse_path(path: &str) -> Option<QueuePath<'_>> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [account, name] => Some(QueuePath { account: Some(account), name }),
        ["queue", _region, account, name] => Some(QueuePath { account: Some(account), name }),
        _ => None,
    }
}

/// The queue name a `QueueUrl` (or bare name) refers to, if it is in this engine's account. A
/// URL whose path is not a queue path names no queue (`QueueDoesNotExist`, as AWS answered for
/// `http://whatever-incorrect-queue-address`, moto #3657).
pub fn queue_name<'a>(engine: &Engine, queue_url: &'a str) -> SqsResult<&'a str> {
    let path = match queue_url.find("://") {
        Some(i) => {
            let after_scheme = &queue_url[i + 3..];
            after_scheme.find('/').map_or("", |slash| &after_scheme[slash..])
        }
        None if !queue_url.contains('/') => return Ok(queue_url),
        None => queue_url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let parsed = parse_path(path).ok_or_else(SqsError::queue_does_not_exist)?;
    // `/<account>/<name>`: a numeric account must be ours.
    if let Some(account) = parsed.account {
        let numeric = account.chars().all(|c| c.is_ascii_digit());
        if numeric && account != engine.settings().account_id {
            return Err(SqsError::queue_does_not_exist());
        }
    }
    Ok(parsed.name)
}

/// Resolves a `QueueUrl` parameter to its queue.
pub fn resolve(engine: &Engine, queue_url: Option<&str>) -> SqsResult<Arc<Queue>> {
    let url = queue_url.ok_or_else(|| SqsError::missing("QueueUrl"))?;
    engine.queue(queue_name(engine, url)?)
}

/// The URL clients should use for a queue.
pub fn format(engine: &Engine, ctx: &RequestContext, name: &str) -> String {
    format!("{}/{}/{}", ctx.base_url, engine.settings().account_id, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::clock::TokioClock;
    use crate::engine::EngineSettings;

    #[tokio::test]
    async fn parses_urls_paths_and_bare_names() {
        let engine = Engine::new(EngineSettings::default(), Arc::new(TokioClock::new()));
        let name = |u| queue_name(&engine, u).map_err(|e| e.code);
        assert_eq!(name("http://localhost:9324/000000000000/q1"), Ok("q1"));
        assert_eq!(name("https://sqs.us-east-1.amazonaws.com/000000000000/q1.fifo"), Ok("q1.fifo"));
        assert_eq!(name("http://x/queue/us-east-1/000000000000/q1"), Ok("q1"));
        assert_eq!(name("q1"), Ok("q1"));
        assert_eq!(name("http://localhost:9324/queue/q1"), Ok("q1"));
        assert!(name("http://localhost:9324/123456789012/q1").is_err());
        assert!(name("http://localhost:9324/").is_err());
        // Extra or missing segments name no queue.
        assert!(name("http://localhost:9324/000000000000/../../q1").is_err());
        assert!(name("http://localhost:9324/a/b/000000000000/q1").is_err());
        assert!(name("http://localhost:9324/q1").is_err());
        assert!(name("/000000000000/x/q1").is_err());
    }
}
