//! Queue URLs: `http://<host>:<port>/<account-id>/<queue-name>`.
//!
//! Clients post to any endpoint and pass a QueueUrl whose host may differ (containers, proxies), so
//! only the path counts. AWS also accepts a bare queue name in `QueueUrl`.

use super::RequestContext;
use crate::engine::error::{SqsError, SqsResult};
use crate::engine::QueueId;

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

/// The queue a `QueueUrl` (or bare name) refers to: the account in the URL, else the caller's;
/// the caller's region. A URL whose path is not a queue path names no queue (`QueueDoesNotExist`,
/// as AWS answered for `http://whatever-incorrect-queue-address`, moto #3657).
pub fn queue_id(ctx: &RequestContext, queue_url: &str) -> SqsResult<QueueId> {
    let path = match queue_url.find("://") {
        Some(i) => {
            let after_scheme = &queue_url[i + 3..];
            after_scheme.find('/').map_or("", |slash| &after_scheme[slash..])
        }
        None if !queue_url.contains('/') => return Ok(QueueId::new(ctx.namespace, queue_url)),
        None => queue_url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let parsed = parse_path(path).ok_or_else(SqsError::queue_does_not_exist)?;
    // `/<account>/<name>`: a numeric account names the queue's account (`/queue/<name>` does not).
    let namespace = match parsed.account.filter(|a| a.bytes().all(|b| b.is_ascii_digit())) {
        Some(account) => ctx.namespace.with_account(account).ok_or_else(SqsError::queue_does_not_exist)?,
        None => ctx.namespace,
    };
    Ok(QueueId::new(namespace, parsed.name))
}

/// The queue a `QueueUrl` parameter names, or `MissingParameter`.
pub fn resolve(ctx: &RequestContext, queue_url: Option<&str>) -> SqsResult<QueueId> {
    queue_id(ctx, queue_url.ok_or_else(|| SqsError::missing("QueueUrl"))?)
}

/// The URL clients should use for a queue.
pub fn format(ctx: &RequestContext, id: &QueueId) -> String {
    format!("{}/{}/{}", ctx.base_url, id.namespace.account, id.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_paths_and_bare_names() {
        let ctx = RequestContext::default();
        let name = |u| queue_id(&ctx, u).map(|id| (id.namespace.account.to_string(), id.name.to_string()));
        let ours = |n: &str| Ok(("000000000000".to_string(), n.to_string()));
        assert_eq!(name("http://localhost:9324/000000000000/q1"), ours("q1"));
        assert_eq!(name("https://sqs.us-east-1.amazonaws.com/000000000000/q1.fifo"), ours("q1.fifo"));
        assert_eq!(name("http://x/queue/us-east-1/000000000000/q1"), ours("q1"));
        assert_eq!(name("q1"), ours("q1"));
        assert_eq!(name("http://localhost:9324/queue/q1"), ours("q1"));
        assert_eq!(name("http://localhost:9324/123456789012/q1"), Ok(("123456789012".into(), "q1".into())));
        assert!(name("http://localhost:9324/").is_err());
        // Extra or missing segments name no queue.
        assert!(name("http://localhost:9324/000000000000/../../q1").is_err());
        assert!(name("http://localhost:9324/a/b/000000000000/q1").is_err());
        assert!(name("http://localhost:9324/q1").is_err());
        assert!(name("/000000000000/x/q1").is_err());
    }
}
