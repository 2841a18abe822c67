//! Queue policies, for verified callers from other accounts.
//!
//! # The rule (IAM's policy evaluation, reduced to what a queue policy can say)
//! A caller whose signature was verified (credentials are configured) may act on a queue of its
//! own account always. On another account's queue it may act only where the queue's `Policy` (set
//! directly or through AddPermission) has a statement that allows it and none that denies it:
//! `Effect` `Allow`/`Deny`; `Principal` `"*"`, `{"AWS": "*"}`, or the caller's account as an id
//! or as any IAM ARN of that account (`arn:aws:iam::<account>:root`, a user or a role); `Action`
//! `sqs:<Action>` with `*` and `?` wildcards, case-insensitive (AWS treats action names so);
//! `Resource` the queue's ARN, wildcards allowed, or absent. An explicit deny wins. Otherwise:
//! AccessDenied, 403 (the error table's unmodeled AccessDeniedException), worded as SQS words it:
//! "Access to the resource <queue URL> is denied."
//!
//! Statements with a `Condition`, `NotPrincipal`, `NotAction` or `NotResource` are not evaluated
//! here and never grant (README, deviations). Unverified callers are never checked, as before.

use serde_json::Value;

use super::{queue_url, Action, RequestContext};
use crate::engine::error::{ErrorCode, SqsError, SqsResult};
use crate::engine::{Engine, QueueId};

/// The queue a request acts on, as the request names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The action names no single queue (CreateQueue, ListQueues, move tasks by ARN or handle).
    None,
    /// By `QueueUrl`.
    Url(String),
    /// GetQueueUrl: by `QueueName` and, for another account's queue, `QueueOwnerAWSAccountId`.
    Name { name: String, owner: Option<String> },
}

/// The queue an action's parameter document names.
pub fn target(action: Action, document: &Value) -> Target {
    let member = |name: &str| document.get(name).and_then(Value::as_str).map(str::to_string);
    match action {
        Action::GetQueueUrl => match member("QueueName") {
            Some(name) => Target::Name { name, owner: member("QueueOwnerAWSAccountId") },
            None => Target::None,
        },
        _ if action.is_queue_scoped() => member("QueueUrl").map_or(Target::None, Target::Url),
        _ => Target::None,
    }
}

/// Whether the caller may run `action` on the queue `target` names (see the module's rule).
/// Requests that name no queue, or a queue that does not exist, pass: the handler answers them.
pub async fn check(engine: &Engine, ctx: &RequestContext, action: Action, target: &Target) -> SqsResult<()> {
    if !ctx.verified {
        return Ok(());
    }
    let id = match target {
        Target::None => return Ok(()),
        Target::Url(url) => match queue_url::queue_id(ctx, url) {
            Ok(id) => id,
            Err(_) => return Ok(()),
        },
        Target::Name { name, owner } => {
            let namespace = owner.as_deref().and_then(|o| ctx.namespace.with_account(o)).unwrap_or(ctx.namespace);
            QueueId::new(namespace, name.as_str())
        }
    };
    if id.namespace.account == ctx.namespace.account {
        return Ok(());
    }
    let Ok(queue) = engine.queue(&id).await else { return Ok(()) };
    let policy = queue.config().policy.as_deref().and_then(|p| serde_json::from_str::<Value>(p).ok());
    match policy.map(|p| evaluate(&p, &ctx.namespace.account, action.name(), &queue.arn)) {
        Some(Decision::Allow) => Ok(()),
        _ => Err(SqsError::new(
            ErrorCode::AccessDenied,
            format!("Access to the resource {} is denied.", queue_url::format(ctx, &id)),
        )),
    }
}

/// What a policy says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
    /// No statement applies (an implicit deny).
    NotApplicable,
}

/// The policy's decision for `account` calling `sqs:<action>` on `arn`.
pub fn evaluate(policy: &Value, account: &str, action: &str, arn: &str) -> Decision {
    let statements = match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Decision::NotApplicable,
    };
    let mut decision = Decision::NotApplicable;
    for statement in statements {
        if ["Condition", "NotPrincipal", "NotAction", "NotResource"].iter().any(|k| statement.get(k).is_some()) {
            continue;
        }
        let applies = principal_matches(statement.get("Principal"), account)
            && any_matches(statement.get("Action"), &format!("sqs:{action}"), true)
            && statement.get("Resource").is_none_or(|r| any_matches(Some(r), arn, false));
        if !applies {
            continue;
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return Decision::Deny,
            Some("Allow") => decision = Decision::Allow,
            _ => {}
        }
    }
    decision
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn principal_matches(principal: Option<&Value>, account: &str) -> bool {
    let aws = match principal {
        Some(Value::String(s)) => return s == "*",
        Some(Value::Object(map)) => map.get("AWS"),
        _ => return false,
    };
    strings(aws).iter().any(|p| {
        *p == "*"
            || *p == account
            || p.strip_prefix("arn:aws:iam::").and_then(|rest| rest.split(':').next()) == Some(account)
    })
}

fn any_matches(patterns: Option<&Value>, value: &str, ignore_case: bool) -> bool {
    strings(patterns).iter().any(|pattern| {
        if ignore_case {
            glob(pattern.to_ascii_lowercase().as_bytes(), value.to_ascii_lowercase().as_bytes())
        } else {
            glob(pattern.as_bytes(), value.as_bytes())
        }
    })
}

/// IAM's wildcards: `*` any run of characters, `?` any one character.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:sqs:us-east-1:111111111111:orders";

    #[test]
    fn add_permission_statements_allow_the_named_account_and_actions() {
        let policy = json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "send", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": "SQS:SendMessage", "Resource": ARN}]});
        assert_eq!(evaluate(&policy, "222222222222", "SendMessage", ARN), Decision::Allow);
        assert_eq!(evaluate(&policy, "222222222222", "ReceiveMessage", ARN), Decision::NotApplicable);
        assert_eq!(evaluate(&policy, "333333333333", "SendMessage", ARN), Decision::NotApplicable);
    }

    #[test]
    fn wildcards_denies_and_unevaluated_statements() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "arn:aws:sqs:*:111111111111:*"},
            {"Effect": "Deny", "Principal": {"AWS": ["333333333333"]}, "Action": "sqs:Delete*"},
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {"ArnEquals": {"aws:SourceArn": "x"}}}]});
        assert_eq!(evaluate(&policy, "222222222222", "DeleteMessage", ARN), Decision::Allow);
        assert_eq!(evaluate(&policy, "333333333333", "DeleteMessage", ARN), Decision::Deny);
        assert_eq!(evaluate(&policy, "333333333333", "SendMessage", ARN), Decision::Allow);
        let conditional = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*",
            "Condition": {"ArnEquals": {"aws:SourceArn": "x"}}}});
        assert_eq!(evaluate(&conditional, "222222222222", "SendMessage", ARN), Decision::NotApplicable);
        assert_eq!(
            evaluate(&policy, "222222222222", "SendMessage", "arn:aws:sqs:us-east-1:999999999999:x"),
            Decision::NotApplicable
        );
    }

    #[test]
    fn globs() {
        assert!(glob(b"sqs:*", b"sqs:sendmessage"));
        assert!(glob(b"sqs:send?essage", b"sqs:sendmessage"));
        assert!(glob(b"*", b""));
        assert!(!glob(b"sqs:send", b"sqs:sendmessage"));
        assert!(glob(b"a*b*c", b"aXXbYYc"));
        assert!(!glob(b"a*b*c", b"aXXbYY"));
    }
}
