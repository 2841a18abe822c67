//! Subscribe, ConfirmSubscription, Unsubscribe, the two listings and subscription attributes.
//! Rules and texts from botocore's SNS model and the recorded answers named at each rule.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::attributes::{self, SubscriptionKind};
use super::error::{SnsError, SnsResult};
use super::params::Params;
use super::topics::{self, next_token, read_token, PAGE};
use super::xml::{Body, Result as Xml};
use super::{arn, Ctx};
use crate::engine::backend::NewSubscription;
use crate::engine::topic::{Changed, Confirmation, Made, Subscription, Topic};
use crate::engine::QueueId;

/// The protocols Subscribe knows (model); others are "not supported" (recorded).
const PROTOCOLS: &[&str] = &["http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"];

/// Protocols whose endpoints AWS owns confirm at once; the rest wait for ConfirmSubscription.
fn confirms_at_once(protocol: &str) -> bool {
    matches!(protocol, "sqs" | "lambda" | "firehose")
}

/// A confirmation token: opaque lower-case hex (AWS's are a few hundred digits).
fn new_token() -> String {
    (0..4).map(|_| uuid::Uuid::new_v4().simple().to_string()).collect()
}

/// Checks the endpoint for the protocol and the topic's kind (recorded: test_subscribe_sqs_queue_url,
/// test_validations_for_fifo; FIFO topics take only SQS queues, per the FIFO topics guide).
fn check_endpoint(topic: &Topic, protocol: &str, endpoint: &str) -> SnsResult<()> {
    let fifo_topic = topic.id.is_fifo();
    if fifo_topic && !matches!(protocol, "sqs" | "lambda" | "firehose") {
        return Err(SnsError::invalid_because("Protocol", format!("Invalid protocol type: {protocol}")));
    }
    match protocol {
        "sqs" => {
            let queue = QueueId::from_arn(endpoint).ok_or_else(|| SnsError::invalid("SQS endpoint ARN"))?;
            if queue.is_fifo() && !fifo_topic {
                return Err(SnsError::invalid_parameter(
                    "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
                ));
            }
        }
        "http" | "https" => {
            let scheme = format!("{protocol}://");
            if !endpoint.get(..scheme.len()).is_some_and(|s| s.eq_ignore_ascii_case(&scheme))
                || endpoint.len() == scheme.len()
            {
                return Err(SnsError::invalid_parameter(
                    "Invalid parameter: Endpoint must match the specified protocol",
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

fn kind<'a>(topic_fifo: bool, protocol: &'a str, endpoint: &str) -> SubscriptionKind<'a> {
    SubscriptionKind {
        protocol,
        fifo_topic: topic_fifo,
        fifo_endpoint: protocol == "sqs" && endpoint.ends_with(".fifo"),
    }
}

/// Subscribe's attributes, checked in order (FilterPolicyScope first, so that a FilterPolicy is
/// compiled in the scope it will have).
fn read_attributes(given: Vec<(String, String)>, kind: &SubscriptionKind<'_>) -> SnsResult<BTreeMap<String, String>> {
    let mut given = given;
    given.sort_by_key(|(k, _)| k != "FilterPolicyScope");
    let mut read = BTreeMap::new();
    for (name, value) in given {
        match attributes::subscription_attribute(&name, &value, &read, kind) {
            Ok(Some(value)) => {
                read.insert(name, value);
            }
            Ok(None) => {}
            Err(reason) if reason == "AttributeName" => return Err(SnsError::invalid("AttributeName")),
            Err(reason) => return Err(SnsError::invalid_because("Attributes", reason)),
        }
    }
    Ok(read)
}

pub async fn subscribe(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let topic = topics::load(ctx, "TopicArn", p.get("TopicArn"), "Subscribe").await?;
    let protocol = p.required("Protocol")?.to_string();
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return Err(SnsError::invalid_parameter(format!(
            "Invalid parameter: Amazon SNS does not support this protocol string: {protocol}"
        )));
    }
    let endpoint = p.get("Endpoint").unwrap_or("").to_string();
    check_endpoint(&topic, &protocol, &endpoint)?;
    let given = p.map("Attributes");
    let attributes = read_attributes(given.clone(), &kind(topic.id.is_fifo(), &protocol, &endpoint))?;
    let at_once = confirms_at_once(&protocol);
    let new = NewSubscription {
        topic: topic.id.clone(),
        protocol: protocol.clone(),
        endpoint,
        owner: ctx.namespace.account.to_string(),
        attributes,
        confirmation: if at_once { Confirmation::Confirmed { authenticated: true } } else { Confirmation::Pending },
        token: (!at_once).then(new_token),
    };
    let subscription = match ctx.sns().topics.subscribe(new.clone()).await? {
        None => return Err(SnsError::topic_not_found()),
        Some(Made::Existing(existing)) => {
            same_attributes(&existing, &new.attributes)?;
            existing
        }
        Some(Made::New(made)) => {
            if matches!(&*made.protocol, "http" | "https") {
                ctx.sns().http.confirm(&made, &ctx.base_url);
            }
            made
        }
    };
    let arn = if subscription.is_confirmed() || p.flag("ReturnSubscriptionArn") {
        subscription.arn.to_string()
    } else {
        "pending confirmation".to_string()
    };
    let mut xml = Xml::default();
    xml.element("SubscriptionArn", &arn);
    Ok(Body::Result(xml))
}

/// Subscribing again is idempotent unless it asks for different attribute values (defaults
/// count as unset; recorded: test_subscribe_idempotency, test_double_subscription).
fn same_attributes(existing: &Subscription, asked: &BTreeMap<String, String>) -> SnsResult<()> {
    let differs = asked.iter().any(|(k, v)| match existing.attributes.get(k) {
        Some(stored) => stored != v,
        None => !attributes::is_default_subscription_value(k, v),
    });
    if differs {
        return Err(SnsError::invalid_because("Attributes", "Subscription already exists with different attributes"));
    }
    Ok(())
}

/// Also reached by the SubscribeURL of a confirmation message (an unsigned GET). Confirming
/// again answers the same ARN (recorded: test_sns_confirm_subscription_wrong_token).
pub async fn confirm_subscription(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let topic_id =
        arn::topic("TopicArn", p.required("TopicArn")?, &ctx.namespace).map_err(|_| SnsError::invalid("Topic"))?;
    let token = p.required("Token")?;
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SnsError::invalid_parameter("Invalid token"));
    }
    let subscription = ctx.sns().topics.by_token(token).await?;
    let subscription =
        subscription.filter(|s| s.topic.name == topic_id.name).ok_or_else(|| SnsError::invalid("Token"))?;
    let confirmed = if subscription.is_confirmed() {
        subscription
    } else {
        let confirmation = Confirmation::Confirmed { authenticated: ctx.verified };
        let attributes = subscription.attributes.clone();
        match ctx
            .sns()
            .topics
            .update_subscription(&subscription.arn, subscription.version, attributes, confirmation)
            .await?
        {
            Changed::Done(s) => s,
            Changed::Missing => return Err(SnsError::invalid("Token")),
            Changed::Conflict => {
                ctx.sns().topics.subscription(&subscription.arn).await?.ok_or_else(|| SnsError::invalid("Token"))?
            }
        }
    };
    let mut xml = Xml::default();
    xml.element("SubscriptionArn", &confirmed.arn);
    Ok(Body::Result(xml))
}

/// Idempotent (recorded: test_unsubscribe_idempotency). Also reached by a message's
/// UnsubscribeURL (an unsigned GET).
pub async fn unsubscribe(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let arn = arn::subscription(p.get("SubscriptionArn"), &ctx.namespace)?;
    if let Some(gone) = ctx.sns().topics.unsubscribe(arn).await? {
        ctx.sns().plans.forget(&gone.arn);
        if matches!(&*gone.protocol, "http" | "https") && gone.is_confirmed() {
            ctx.sns().http.unsubscribed(&gone, &ctx.base_url);
        }
    }
    Ok(Body::NoResult)
}

fn list_result(mut subscriptions: Vec<Arc<Subscription>>) -> Body {
    let more = subscriptions.len() > PAGE;
    subscriptions.truncate(PAGE);
    let mut xml = Xml::default();
    xml.open("Subscriptions");
    for s in &subscriptions {
        let arn = if s.is_confirmed() { &*s.arn } else { "PendingConfirmation" };
        xml.open("member")
            .element("SubscriptionArn", arn)
            .element("Owner", &s.owner)
            .element("Protocol", &s.protocol)
            .element("Endpoint", &s.endpoint)
            .element("TopicArn", &s.topic.arn())
            .close("member");
    }
    xml.close("Subscriptions");
    if more {
        xml.optional("NextToken", subscriptions.last().map(|s| next_token(&s.arn)).as_deref());
    }
    Body::Result(xml)
}

pub async fn list_subscriptions(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let after = read_token(p.get("NextToken"))?;
    let page = ctx.sns().topics.list_subscriptions(&ctx.namespace, None, after.as_deref(), PAGE + 1).await?;
    Ok(list_result(page))
}

pub async fn list_subscriptions_by_topic(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let topic = topics::load(ctx, "TopicArn", p.get("TopicArn"), "ListSubscriptionsByTopic").await?;
    let after = read_token(p.get("NextToken"))?;
    let page = ctx.sns().topics.list_subscriptions(&ctx.namespace, Some(&topic.id), after.as_deref(), PAGE + 1).await?;
    Ok(list_result(page))
}

async fn load(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Arc<Subscription>> {
    let arn = arn::subscription(p.get("SubscriptionArn"), &ctx.namespace)?;
    ctx.sns().topics.subscription(arn).await?.ok_or_else(SnsError::subscription_not_found)
}

pub async fn get_subscription_attributes(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let s = load(ctx, p).await?;
    let flag = |b: bool| if b { "true" } else { "false" }.to_string();
    let authenticated = matches!(s.confirmation, Confirmation::Confirmed { authenticated: true });
    let mut listed: BTreeMap<&str, String> = s.attributes.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    listed.insert("ConfirmationWasAuthenticated", flag(authenticated));
    listed.insert("Endpoint", s.endpoint.to_string());
    listed.insert("Owner", s.owner.to_string());
    listed.insert("PendingConfirmation", flag(!s.is_confirmed()));
    listed.insert("Protocol", s.protocol.to_string());
    listed.entry("RawMessageDelivery").or_insert_with(|| "false".into());
    listed.insert("SubscriptionArn", s.arn.to_string());
    listed.insert("SubscriptionPrincipal", format!("arn:aws:iam::{}:root", s.owner));
    listed.insert("TopicArn", s.topic.arn());
    // FilterPolicyScope is listed only while a FilterPolicy is set (recorded:
    // test_set_subscription_filter_policy_scope).
    if s.attributes.contains_key("FilterPolicy") {
        listed.entry("FilterPolicyScope").or_insert_with(|| "MessageAttributes".into());
    } else {
        listed.remove("FilterPolicyScope");
    }
    if matches!(&*s.protocol, "http" | "https") {
        let topic = ctx.sns().topics.topic(&s.topic).await?;
        let topic_policy = topic.as_ref().and_then(|t| t.settings.attributes.get("DeliveryPolicy")).map(String::as_str);
        let mut effective = attributes::effective_delivery_policy(topic_policy);
        if let Some(own) = s.attributes.get("DeliveryPolicy").and_then(|d| serde_json::from_str(d).ok()) {
            let mut http = effective.get("http").cloned().unwrap_or_default();
            attributes::merge(&mut http, &own);
            effective = http;
        }
        listed.insert("EffectiveDeliveryPolicy", effective.to_string());
    }
    let mut xml = Xml::default();
    xml.map("Attributes", listed.iter().map(|(k, v)| (*k, v.as_str())));
    Ok(Body::Result(xml))
}

pub async fn set_subscription_attributes(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let name = p.required("AttributeName")?.to_string();
    let value = p.get("AttributeValue").unwrap_or("").to_string();
    let mut current = load(ctx, p).await?;
    for _ in 0..16 {
        let kind = kind(current.topic.is_fifo(), &current.protocol, &current.endpoint);
        let stored = attributes::subscription_attribute(&name, &value, &current.attributes, &kind)
            .map_err(|reason| SnsError::invalid_parameter(format!("Invalid parameter: {reason}")))?;
        let mut attributes = current.attributes.clone();
        match stored {
            Some(v) => attributes.insert(name.clone(), v),
            None => attributes.remove(&name),
        };
        let confirmation = current.confirmation.clone();
        match ctx.sns().topics.update_subscription(&current.arn, current.version, attributes, confirmation).await? {
            Changed::Done(_) => return Ok(Body::NoResult),
            Changed::Missing => return Err(SnsError::subscription_not_found()),
            Changed::Conflict => current = load(ctx, p).await?,
        }
    }
    Err(SnsError::new("ConcurrentAccess", 400, "Can't perform multiple operations on a subscription simultaneously"))
}
