//! Fault rules: make chosen SQS requests fail on purpose, so that a client's retry and error
//! paths can be tested. A rule matches by action and queue (either may be "any"), fires with a
//! probability or for the next N matching requests, and injects latency, an SQS error (rendered
//! in the request's own protocol with AWS's status) or a dropped connection.
//!
//! Rules belong to this process (they are test configuration, not queue state): a request is
//! checked against the rules of the process that serves it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, SqsError};
use crate::sqs::api::Action;

/// A rule as the admin API takes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewRule {
    /// An SQS action name; absent: any action.
    pub action: Option<String>,
    /// A queue name; absent: any queue (and requests that name none).
    pub queue: Option<String>,
    /// An error code from the error table (Query code or JSON shape name).
    pub error: Option<String>,
    /// The error's message; absent: AWS's usual words for the code.
    pub message: Option<String>,
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default)]
    pub drop_connection: bool,
    /// The chance that a matching request is hit; absent: 1.
    pub probability: Option<f64>,
    /// How many matching requests are hit; absent: no limit.
    pub count: Option<u64>,
}

/// A rule as the admin API lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: String,
    pub action: Option<String>,
    pub queue: Option<String>,
    pub error: Option<String>,
    pub message: Option<String>,
    pub latency_ms: u64,
    pub drop_connection: bool,
    pub probability: f64,
    pub count: Option<u64>,
    /// How many requests it has hit.
    pub fired: u64,
    #[serde(skip)]
    code: Option<ErrorCode>,
}

/// What a rule does to the request it hits.
#[derive(Debug)]
pub struct Injected {
    pub latency: Duration,
    /// Answer this instead of serving the request.
    pub error: Option<SqsError>,
    /// Close the connection without an answer.
    pub drop_connection: bool,
}

/// The rules of this process.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
    next_id: AtomicU64,
    /// Whether any rule exists: requests skip the lock when none does.
    armed: AtomicBool,
}

impl Faults {
    fn rules(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a rule; the error says what is wrong with it.
    pub fn add(&self, new: NewRule) -> Result<Rule, String> {
        if let Some(action) = &new.action {
            Action::from_name(action).ok_or_else(|| format!("action {action:?} is not an SQS action"))?;
        }
        let code = match &new.error {
            Some(name) => {
                Some(ErrorCode::from_name(name).ok_or_else(|| format!("error {name:?} is not an SQS error code"))?)
            }
            None => None,
        };
        let probability = new.probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            return Err(format!("probability {probability} is not between 0 and 1"));
        }
        if new.latency_ms > MAX_LATENCY_MS {
            return Err(format!("latencyMs {} is more than {MAX_LATENCY_MS}", new.latency_ms));
        }
        if code.is_none() && !new.drop_connection && new.latency_ms == 0 {
            return Err("a rule needs an error, latencyMs or dropConnection".to_string());
        }
        let rule = Rule {
            id: (self.next_id.fetch_add(1, Ordering::SeqCst) + 1).to_string(),
            action: new.action,
            queue: new.queue,
            error: code.map(|c| c.query_code().to_string()),
            message: new.message,
            latency_ms: new.latency_ms,
            drop_connection: new.drop_connection,
            probability,
            count: new.count,
            fired: 0,
            code,
        };
        let mut rules = self.rules();
        rules.push(rule.clone());
        self.armed.store(true, Ordering::SeqCst);
        Ok(rule)
    }

    pub fn list(&self) -> Vec<Rule> {
        self.rules().clone()
    }

    /// Removes one rule; false if there is none of that id.
    pub fn remove(&self, id: &str) -> bool {
        let mut rules = self.rules();
        let before = rules.len();
        rules.retain(|r| r.id != id);
        self.armed.store(!rules.is_empty(), Ordering::SeqCst);
        rules.len() != before
    }

    pub fn clear(&self) {
        self.rules().clear();
        self.armed.store(false, Ordering::SeqCst);
    }

    /// The first rule that hits a request of `action` on `queue`, counted as fired.
    pub fn check(&self, action: Action, queue: Option<&str>) -> Option<Injected> {
        if !self.armed.load(Ordering::Relaxed) {
            return None;
        }
        let mut rules = self.rules();
        let rule = rules.iter_mut().find(|r| {
            let exhausted = r.count.is_some_and(|count| r.fired >= count);
            !exhausted
                && r.action.as_deref().is_none_or(|a| a == action.name())
                && r.queue.as_deref().is_none_or(|q| Some(q) == queue)
                && (r.probability >= 1.0 || chance() < r.probability)
        })?;
        rule.fired += 1;
        Some(Injected {
            latency: Duration::from_millis(rule.latency_ms),
            error: rule
                .code
                .map(|code| SqsError::new(code, rule.message.clone().unwrap_or_else(|| usual_message(code)))),
            drop_connection: rule.drop_connection,
        })
    }
}

/// A fault may delay a request by at most this long (a long poll's 20 s, and then some).
const MAX_LATENCY_MS: u64 = 60_000;

/// A uniform draw from [0, 1).
fn chance() -> f64 {
    (uuid::Uuid::new_v4().as_u64_pair().0 >> 11) as f64 / (1u64 << 53) as f64
}

/// AWS's words for the errors rules usually inject; the code itself for the others.
fn usual_message(code: ErrorCode) -> String {
    match code {
        ErrorCode::ThrottlingException | ErrorCode::RequestThrottled => "Rate exceeded".to_string(),
        ErrorCode::ServiceUnavailable => "Service is unable to handle request.".to_string(),
        ErrorCode::InternalError => "We encountered an internal error. Please try again.".to_string(),
        other => format!("{} (injected by an sqs-local fault rule)", other.query_code()),
    }
}
