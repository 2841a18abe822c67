//! The SNS API on the port (AWS Query only: botocore's SNS model has no other protocol): topics,
//! subscriptions, Publish with filter policies, and delivery into SQS queues and HTTP endpoints.
//!
//! # Layout
//! - [`params`]: SNS's Query parameter layout; [`xml`]: its responses and errors; [`error`]: its
//!   error codes; [`arn`]: the ARNs requests name.
//! - [`topics`], [`subscriptions`], [`publish`]: the handlers, by family.
//! - [`filter`]: filter policies, validated and compiled when set, matched per message.
//! - [`delivery`]: what a subscriber receives (the JSON envelope or the raw message) and how it
//!   gets there: an engine send for SQS, a POST from [`http_delivery`]'s bounded queue for HTTP/S.
//!
//! State lives behind [`crate::engine::TopicBackend`]; this module holds no copy of it beyond
//! delivery plans (compiled filter policies, parsed endpoints), keyed by subscription version.

pub mod arn;
pub mod attributes;
pub mod delivery;
pub mod error;
pub mod filter;
pub mod http_delivery;
pub mod params;
pub mod publish;
pub mod subscriptions;
pub mod topics;
pub mod xml;

use std::sync::Arc;

use bytes::Bytes;
use hyper::header::{HeaderName, HOST};
use hyper::http::request::Parts;

use self::error::{SnsError, SnsResult};
use self::params::Params;
use crate::engine::{Namespace, TopicBackend};
use crate::error::SqsError;
use crate::http::service::AppState;
use crate::sqs::protocol::{self, query, HttpResponse};

/// The service name SNS requests are signed for.
const SIGNING_NAME: &str = "sns";
const X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");

/// SNS's state handles: the topic backend, delivery plans (compiled filter policies), the HTTP deliverer.
pub struct Sns {
    pub topics: Arc<dyn TopicBackend>,
    pub plans: delivery::Plans,
    pub http: http_delivery::Deliverer,
}

impl Sns {
    pub fn new(topics: Arc<dyn TopicBackend>) -> Self {
        Sns { topics, plans: delivery::Plans::default(), http: http_delivery::Deliverer::start() }
    }
}

/// Who is calling and where: what every handler needs besides its parameters.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub namespace: Namespace,
    pub verified: bool,
    /// `scheme://host:port` the URLs put into messages start with.
    pub base_url: String,
    pub trace_header: Option<String>,
}

impl Ctx<'_> {
    pub fn sns(&self) -> &Sns {
        &self.state.sns
    }
}

/// Handles one SNS request; every problem becomes an SNS error response.
pub async fn handle(state: &AppState, parts: Parts, body: Result<Bytes, SqsError>, request_id: &str) -> HttpResponse {
    let (status, xml) = match respond(state, &parts, body, request_id).await {
        Ok(xml) => (200, xml),
        Err(error) => {
            if error.status >= 500 {
                tracing::error!(request_id, code = error.code, message = %error.message, "SNS internal error");
            }
            (error.status, xml::error(&error, request_id))
        }
    };
    protocol::build(status, "text/xml", request_id, xml.into_bytes())
}

async fn respond(
    state: &AppState,
    parts: &Parts,
    body: Result<Bytes, SqsError>,
    request_id: &str,
) -> SnsResult<String> {
    let body = body?;
    let caller = state.caller(parts, &body, SIGNING_NAME)?;
    let mut pairs = match parts.uri.query() {
        Some(q) => query::parse_form(q.as_bytes())?,
        None => Vec::new(),
    };
    pairs.extend(query::parse_form(&body)?);
    let params = Params::new(pairs);
    let host = parts.headers.get(HOST).and_then(|v| v.to_str().ok());
    let ctx = Ctx {
        state,
        namespace: caller.namespace,
        verified: caller.verified,
        base_url: state.config.base_url(host),
        trace_header: parts.headers.get(X_AMZN_TRACE_ID).and_then(|v| v.to_str().ok()).map(str::to_string),
    };
    let action = params.get("Action").ok_or_else(|| {
        SnsError::new("MissingAction", 400, "Could not find operation for the request: no Action parameter")
    })?;
    let result = dispatch(&ctx, action, &params).await?;
    Ok(xml::response(action, &result, request_id))
}

/// Runs one action.
async fn dispatch(ctx: &Ctx<'_>, action: &str, p: &Params) -> SnsResult<xml::Body> {
    match action {
        "CreateTopic" => topics::create_topic(ctx, p).await,
        "DeleteTopic" => topics::delete_topic(ctx, p).await,
        "ListTopics" => topics::list_topics(ctx, p).await,
        "GetTopicAttributes" => topics::get_topic_attributes(ctx, p).await,
        "SetTopicAttributes" => topics::set_topic_attributes(ctx, p).await,
        "TagResource" => topics::tag_resource(ctx, p).await,
        "UntagResource" => topics::untag_resource(ctx, p).await,
        "ListTagsForResource" => topics::list_tags_for_resource(ctx, p).await,
        "AddPermission" => topics::add_permission(ctx, p).await,
        "RemovePermission" => topics::remove_permission(ctx, p).await,
        "GetDataProtectionPolicy" => topics::get_data_protection_policy(ctx, p).await,
        "PutDataProtectionPolicy" => topics::put_data_protection_policy(ctx, p).await,
        "Subscribe" => subscriptions::subscribe(ctx, p).await,
        "ConfirmSubscription" => subscriptions::confirm_subscription(ctx, p).await,
        "Unsubscribe" => subscriptions::unsubscribe(ctx, p).await,
        "ListSubscriptions" => subscriptions::list_subscriptions(ctx, p).await,
        "ListSubscriptionsByTopic" => subscriptions::list_subscriptions_by_topic(ctx, p).await,
        "GetSubscriptionAttributes" => subscriptions::get_subscription_attributes(ctx, p).await,
        "SetSubscriptionAttributes" => subscriptions::set_subscription_attributes(ctx, p).await,
        "Publish" => publish::publish(ctx, p).await,
        "PublishBatch" => publish::publish_batch(ctx, p).await,
        other if crate::http::router::is_sns_action(other) => Err(unsupported(other)),
        other => {
            Err(SnsError::new("InvalidAction", 400, format!("The action {other} is not valid for this endpoint.")))
        }
    }
}

/// SMS, mobile push and the SMS sandbox: SNS actions sqs-local does not emulate (README,
/// deviations). A 400 that says so, rather than a silent stub.
fn unsupported(action: &str) -> SnsError {
    SnsError::invalid_parameter(format!(
        "Invalid parameter: Action Reason: sqs-local does not emulate {action} (SMS and mobile push are not supported)"
    ))
}
