//! Which API a request on the port is for.
//!
//! # The routing rule
//! 1. By path, first: `GET /health` is the health check, `GET /metrics` the Prometheus metrics,
//!    `/_admin/...` the admin API and `GET /console` the web console (unless the admin API is off).
//!    Paths of sqs-local's own go here; none of them can be
//!    an AWS queue path, which is `/<account>/<name>` or `/queue/...`.
//! 2. Everything else is an AWS API request, for the service ([`AwsService`]) decided by, in order:
//!    - `X-Amz-Target` (`AmazonSQS.<Action>`): a JSON request, SQS's (SNS has no JSON protocol);
//!    - the Query `Action`, when only one of the two services has it: that service answers, and
//!      refuses a request signed for the other (its signature names the wrong service);
//!    - for the actions both have (`AddPermission`, `RemovePermission`) and for unknown ones, the
//!      SigV4 credential scope (`Credential=<key>/<date>/<region>/<service>/aws4_request` in the
//!      `Authorization` header, or `X-Amz-Credential` in the query string): a client signs for the
//!      service it calls; unsigned, a `TopicArn` parameter makes them SNS's.
//!
//! A request that none of this places goes to SQS, which answers `InvalidAction`.

use hyper::header::AUTHORIZATION;
use hyper::http::request::Parts;
use hyper::Method;

use crate::sqs::api::Action;
use crate::sqs::protocol::query;
use crate::sqs::X_AMZ_TARGET;

/// An API on the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /health`.
    Health,
    /// `/_admin/...`: the admin and test API (when it is on).
    Admin,
    /// `GET /metrics`: Prometheus metrics.
    Metrics,
    /// `GET /console` (and `/console/`): the web console (part of the admin API, off with it).
    Console,
    /// An AWS API request; which service is decided once the body is read ([`aws_service`]).
    Aws,
}

/// An AWS service served on the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsService {
    Sqs,
    Sns,
}

/// The route of a request, from its head.
pub fn route(parts: &Parts, admin: bool) -> Route {
    let path = parts.uri.path();
    match (parts.method.clone(), path) {
        (Method::GET, "/health") if parts.uri.query().is_none() => Route::Health,
        (Method::GET, "/metrics") if parts.uri.query().is_none() => Route::Metrics,
        (Method::GET, "/console" | "/console/") if admin => Route::Console,
        _ if admin && is_admin_path(path) => Route::Admin,
        _ => Route::Aws,
    }
}

/// `/_admin` and below (`_` cannot start an account id, so no queue URL path looks like it).
fn is_admin_path(path: &str) -> bool {
    path.strip_prefix(crate::admin::PREFIX).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// SNS's actions (botocore's SNS model), for routing unsigned Query requests.
const SNS_ACTIONS: &[&str] = &[
    "AddPermission",
    "CheckIfPhoneNumberIsOptedOut",
    "ConfirmSubscription",
    "CreatePlatformApplication",
    "CreatePlatformEndpoint",
    "CreateSMSSandboxPhoneNumber",
    "CreateTopic",
    "DeleteEndpoint",
    "DeletePlatformApplication",
    "DeleteSMSSandboxPhoneNumber",
    "DeleteTopic",
    "GetDataProtectionPolicy",
    "GetEndpointAttributes",
    "GetPlatformApplicationAttributes",
    "GetSMSAttributes",
    "GetSMSSandboxAccountStatus",
    "GetSubscriptionAttributes",
    "GetTopicAttributes",
    "ListEndpointsByPlatformApplication",
    "ListOriginationNumbers",
    "ListPhoneNumbersOptedOut",
    "ListPlatformApplications",
    "ListSMSSandboxPhoneNumbers",
    "ListSubscriptions",
    "ListSubscriptionsByTopic",
    "ListTagsForResource",
    "ListTopics",
    "OptInPhoneNumber",
    "Publish",
    "PublishBatch",
    "PutDataProtectionPolicy",
    "RemovePermission",
    "SetEndpointAttributes",
    "SetPlatformApplicationAttributes",
    "SetSMSAttributes",
    "SetSubscriptionAttributes",
    "SetTopicAttributes",
    "Subscribe",
    "TagResource",
    "Unsubscribe",
    "UntagResource",
    "VerifySMSSandboxPhoneNumber",
];

/// Whether SNS has an action of this name.
pub fn is_sns_action(name: &str) -> bool {
    SNS_ACTIONS.contains(&name)
}

/// The service of a SigV4 credential scope: `<key>/<date>/<region>/<service>/aws4_request`.
fn scope_service(credential: &str) -> Option<&str> {
    let mut parts = credential.rsplit('/');
    (parts.next()? == "aws4_request").then_some(())?;
    parts.next()
}

/// The credential of a signed request, from the `Authorization` header or the query string.
fn credential(parts: &Parts) -> Option<String> {
    if let Some(auth) = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let start = auth.find("Credential=")? + "Credential=".len();
        return Some(auth[start..].split([',', ' ']).next().unwrap_or("").to_string());
    }
    let params = query::parse_form(parts.uri.query()?.as_bytes()).ok()?;
    params.into_iter().find(|(k, _)| k == "X-Amz-Credential").map(|(_, v)| v)
}

/// The AWS service a request is for (see the module docs for the rule).
pub fn aws_service(parts: &Parts, body: &[u8]) -> AwsService {
    if parts.headers.contains_key(X_AMZ_TARGET) {
        return AwsService::Sqs;
    }
    let mut params = parts.uri.query().and_then(|q| query::parse_form(q.as_bytes()).ok()).unwrap_or_default();
    params.extend(query::parse_form(body).unwrap_or_default());
    let action = params.iter().rev().find(|(k, _)| k == "Action").map(|(_, v)| v.as_str()).unwrap_or("");
    match (Action::from_name(action).is_some(), SNS_ACTIONS.contains(&action)) {
        (true, false) => return AwsService::Sqs,
        (false, true) => return AwsService::Sns,
        _ => {}
    }
    match credential(parts).as_deref().and_then(scope_service) {
        Some("sns") => AwsService::Sns,
        Some("sqs") => AwsService::Sqs,
        _ if params.iter().any(|(k, _)| k == "TopicArn") => AwsService::Sns,
        _ => AwsService::Sqs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = hyper::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).expect("a request").into_parts().0
    }

    #[test]
    fn paths_of_our_own_come_first() {
        assert_eq!(route(&parts("GET", "/health", &[]), true), Route::Health);
        assert_eq!(route(&parts("POST", "/health", &[]), true), Route::Aws);
        assert_eq!(route(&parts("GET", "/health?Action=ListQueues", &[]), true), Route::Aws);
        assert_eq!(route(&parts("POST", "/", &[]), true), Route::Aws);
        assert_eq!(route(&parts("POST", "/_admin/reset", &[]), true), Route::Admin);
        assert_eq!(route(&parts("GET", "/_admin", &[]), true), Route::Admin);
        assert_eq!(route(&parts("GET", "/_administrator", &[]), true), Route::Aws);
        assert_eq!(route(&parts("GET", "/console", &[]), true), Route::Console);
        assert_eq!(route(&parts("GET", "/console", &[]), false), Route::Aws);
        assert_eq!(route(&parts("POST", "/_admin/reset", &[]), false), Route::Aws, "off: an AWS path like any other");
    }

    #[test]
    fn the_service_comes_from_the_target_then_the_action_then_the_scope() {
        let signed = |service: &str, body: &[u8]| {
            let auth = format!(
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=x"
            );
            aws_service(&parts("POST", "/", &[("authorization", &auth)]), body)
        };
        assert_eq!(signed("sns", b"Action=AddPermission"), AwsService::Sns);
        assert_eq!(signed("sqs", b"Action=AddPermission"), AwsService::Sqs);
        assert_eq!(signed("sns", b"Action=ListQueues"), AwsService::Sqs, "SQS refuses the signature for sns");
        assert_eq!(signed("sqs", b"Action=Publish"), AwsService::Sns, "SNS refuses the signature for sqs");
        assert_eq!(signed("sns", b"Action=Frobnicate"), AwsService::Sns, "SNS answers InvalidAction");
        let presigned = "/?X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fsns%2Faws4_request&Action=ListTopics";
        assert_eq!(aws_service(&parts("GET", presigned, &[]), b""), AwsService::Sns);
        let signed_json = parts("POST", "/", &[("x-amz-target", "AmazonSQS.ListQueues"), ("authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x")]);
        assert_eq!(aws_service(&signed_json, b"{}"), AwsService::Sqs);
        let json = parts("POST", "/", &[("x-amz-target", "AmazonSQS.ListQueues")]);
        assert_eq!(aws_service(&json, b"{}"), AwsService::Sqs);
        let unsigned = parts("POST", "/", &[]);
        assert_eq!(aws_service(&unsigned, b"Action=Publish&TopicArn=t"), AwsService::Sns);
        assert_eq!(aws_service(&unsigned, b"Action=SendMessage"), AwsService::Sqs);
        assert_eq!(aws_service(&unsigned, b"Action=AddPermission&QueueUrl=q"), AwsService::Sqs);
        assert_eq!(aws_service(&unsigned, b"Action=AddPermission&TopicArn=t"), AwsService::Sns);
        assert_eq!(aws_service(&unsigned, b"Action=Frobnicate"), AwsService::Sqs);
        assert_eq!(aws_service(&unsigned, b""), AwsService::Sqs);
    }
}
