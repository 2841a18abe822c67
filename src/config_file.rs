//! The TOML config file (`--config FILE`, `SQS_LOCAL_CONFIG`): every setting under the flag's name
//! with underscores, and the queues to create at start. A flag wins over the environment, the
//! environment over the file, the file over the defaults ([`crate::config::Config::load`]).
//!
//! ```toml
//! host = "0.0.0.0"
//! purge_cooldown = false
//! data_dir = "/data"
//! credentials = ["AKID:SECRET:123456789012"]   # as --credential, repeated
//!
//! [queues."orders-dlq.fifo"]
//! attributes = { FifoQueue = true }
//! redrive_allow = ["orders.fifo"]          # or "allowAll" / "denyAll"
//!
//! [queues."orders.fifo"]
//! attributes = { FifoQueue = true, ContentBasedDeduplication = true, VisibilityTimeout = 60 }
//! dead_letter_queue = "orders-dlq.fifo"    # by name; created first whatever the order here
//! max_receive_count = 3
//! tags = { team = "checkout" }
//! ```
//!
//! Errors name the file, the line and the field: `sqs-local.toml:7: port: invalid type: ...`.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::predefined::{QueueSpec, RedriveAllow};

/// The settings a file may give; `None` where it gives none.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub advertised_url: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub purge_cooldown: Option<bool>,
    pub delete_cooldown: Option<bool>,
    pub admin: Option<bool>,
    pub metrics: Option<bool>,
    pub log_format: Option<crate::config::LogFormat>,
    pub max_body_bytes: Option<usize>,
    pub max_connections: Option<usize>,
    pub header_read_timeout: Option<u64>,
    pub data_dir: Option<std::path::PathBuf>,
    pub sync_interval_ms: Option<u64>,
    pub data_max_bytes: Option<u64>,
    pub database_url: Option<String>,
    pub database_pool_size: Option<usize>,
    pub queues_file: Option<String>,
    /// `["ACCESS_KEY:SECRET:ACCOUNT_ID", ...]`, as `--credential`.
    pub credentials: Option<Vec<String>>,
    pub admin_token: Option<String>,
    #[serde(default)]
    queues: BTreeMap<Spanned<String>, QueueToml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueToml {
    #[serde(default)]
    attributes: BTreeMap<String, Spanned<toml::Value>>,
    dead_letter_queue: Option<Spanned<String>>,
    max_receive_count: Option<Spanned<u32>>,
    redrive_allow: Option<Spanned<RedriveAllowToml>>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RedriveAllowToml {
    Permission(String),
    Queues(Vec<String>),
}

/// A parsed config file: its settings and the queues it lists.
#[derive(Debug)]
pub struct ConfigFile {
    pub settings: FileSettings,
    pub queues: Vec<QueueSpec>,
}

/// Reads and checks `path`.
pub fn load(path: &str) -> Result<ConfigFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the config file {path}: {e}"))?;
    parse(path, &text)
}

/// Parses a config file's text; errors are `path:line: field: problem`.
pub fn parse(path: &str, text: &str) -> Result<ConfigFile, String> {
    let at = |span: Option<Range<usize>>| match span {
        Some(span) => format!("{path}:{}", line_of(text, span.start)),
        None => path.to_string(),
    };
    let mut settings: FileSettings = toml::from_str(text).map_err(|e| {
        let field = e.span().map(|s| field_at(text, s.start)).filter(|f| !f.is_empty());
        let message = e.message().trim_end_matches('\n').replace('\n', "; ");
        match field {
            Some(field) => format!("{}: {field}: {message}", at(e.span())),
            None => format!("{}: {message}", at(e.span())),
        }
    })?;
    let mut queues = Vec::new();
    for (name, queue) in std::mem::take(&mut settings.queues) {
        let origin = at(Some(name.span()));
        let name = name.into_inner();
        let field_error = |span: Range<usize>, field: &str, problem: &str| {
            format!("{}: queues.\"{name}\".{field}: {problem}", at(Some(span)))
        };
        let mut attributes = BTreeMap::new();
        for (key, value) in queue.attributes {
            let span = value.span();
            let text = match value.into_inner() {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => {
                    return Err(field_error(
                        span,
                        &format!("attributes.{key}"),
                        "must be a string, an integer or a boolean",
                    ))
                }
            };
            attributes.insert(key, text);
        }
        let dead_letter = match (queue.dead_letter_queue, queue.max_receive_count) {
            (Some(dlq), Some(count)) => Some((dlq.into_inner(), count.into_inner())),
            (Some(dlq), None) => {
                return Err(field_error(dlq.span(), "dead_letter_queue", "needs max_receive_count beside it"))
            }
            (None, Some(count)) => {
                return Err(field_error(count.span(), "max_receive_count", "needs dead_letter_queue beside it"))
            }
            (None, None) => None,
        };
        let redrive_allow = match queue.redrive_allow {
            None => None,
            Some(allow) => {
                let span = allow.span();
                Some(match allow.into_inner() {
                    RedriveAllowToml::Permission(p) if p == "allowAll" => RedriveAllow::AllowAll,
                    RedriveAllowToml::Permission(p) if p == "denyAll" => RedriveAllow::DenyAll,
                    RedriveAllowToml::Permission(_) => {
                        return Err(field_error(
                            span,
                            "redrive_allow",
                            "must be \"allowAll\", \"denyAll\" or a list of queue names",
                        ))
                    }
                    RedriveAllowToml::Queues(names) => RedriveAllow::ByQueue(names),
                })
            }
        };
        queues.push(QueueSpec { name, attributes, dead_letter, redrive_allow, tags: queue.tags, origin });
    }
    Ok(ConfigFile { settings, queues })
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// The key of the `key = value` line holding `offset` (empty when the line has none).
fn field_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[start..end];
    match line.split_once('=') {
        Some((key, _)) if !key.trim_start().starts_with('[') => key.trim().trim_matches('"').to_string(),
        _ => String::new(),
    }
}
