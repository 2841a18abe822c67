//! Queue URLs: `http://<host>:<port>/<account-id>/<queue-name>`.
//!
//! Clients post to any endpoint and pass a QueueUrl whose host may differ (containers, proxies), so
//! only the path counts. AWS also accepts a bare queue name in `QueueUrl`.

use std::sync::Arc;

use super::RequestContext;
use crate::engine::queue::Queue;
use crate::engine::Engine;
use crate::error::{SqsError, SqsResult};

/// The queue name a `QueueUrl` (or bare name) refers to, if it is in this engine's account.
pub fn queue_name<'a>(engine: &Engine, queue_url: &'a str) -> SqsResult<&'a str> {
    let path = match queue_url.find("://") {
        Some(i) => {
            let after_scheme = &queue_url[i + 3..];
            after_scheme.find('/').map_or("", |slash| &after_scheme[slash..])
        }
        None => queue_url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut segments = path.split('/').filter(|s| !s.is_empty()).rev();
    let name = segments.next().ok_or_else(SqsError::queue_does_not_exist)?;
    if let Some(account) = segments.next() {
        // `/<account>/<name>` (or `/queue/<region>/<account>/<name>`): the account must be ours.
        let numeric = account.chars().all(|c| c.is_ascii_digit());
        if numeric && account != engine.settings().account_id {
            return Err(SqsError::queue_does_not_exist());
        }
    }
    Ok(name)
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
        assert!(name("http://localhost:9324/123456789012/q1").is_err());
        assert!(name("http://localhost:9324/").is_err());
    }
}
