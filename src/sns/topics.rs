//! CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes, tags, permissions and data
//! protection policies. Rules and texts from botocore's SNS model and the recorded answers named
//! at each rule.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{json, Value};

use super::attributes::{self, default_topic_policy};
use super::error::{SnsError, SnsResult};
use super::params::Params;
use super::xml::{Body, Result as Xml};
use super::{arn, Ctx};
use crate::engine::topic::{Changed, Made, Topic, TopicId, TopicSettings};

/// Topic names: 1-256 of `[A-Za-z0-9_-]`, FIFO topics ending in `.fifo` (counted in the 256;
/// the docs state the length of the whole name). Recorded: test_create_topic_name_constraints.
fn valid_name(name: &str, fifo: bool) -> bool {
    let base = if fifo { name.strip_suffix(".fifo") } else { Some(name) };
    let Some(base) = base else { return false };
    (1..=256).contains(&name.len())
        && !base.is_empty()
        && base.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Pages of list actions hold at most 100 items (model: ListTopics, ListSubscriptions).
pub const PAGE: usize = 100;

/// NextToken: the last item's key, base64 (opaque to clients; AWS's decode as base64 too).
pub fn next_token(last: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(last)
}

pub fn read_token(token: Option<&str>) -> SnsResult<Option<String>> {
    let Some(token) = token else { return Ok(None) };
    let bytes = base64::engine::general_purpose::STANDARD.decode(token).map_err(|_| SnsError::invalid("NextToken"))?;
    String::from_utf8(bytes).map(Some).map_err(|_| SnsError::invalid("NextToken"))
}

/// Tags as given, checked: keys 1-128 and values 0-256 characters (model), no key twice
/// (recorded: test_tags).
fn read_tags(tags: Vec<(String, String)>) -> SnsResult<BTreeMap<String, String>> {
    let mut read = BTreeMap::new();
    for (key, value) in tags {
        if !(1..=128).contains(&key.chars().count()) || value.chars().count() > 256 {
            return Err(SnsError::invalid("Tags"));
        }
        if read.insert(key, value).is_some() {
            return Err(SnsError::invalid_parameter("Invalid parameter: Duplicated keys are not allowed."));
        }
    }
    Ok(read)
}

/// At most 50 tags on a topic (model: TagLimitExceededException).
fn check_tag_count(tags: &BTreeMap<String, String>) -> SnsResult<()> {
    if tags.len() > 50 {
        return Err(SnsError::new(
            "TagLimitExceeded",
            400,
            "Could not complete request: tag quota of per resource exceeded",
        ));
    }
    Ok(())
}

/// The topic a request names, if the caller may act on it. Verified callers act on their own
/// account's topics (cross-account topic policies are not evaluated: README, deviations).
pub async fn load(ctx: &Ctx<'_>, parameter: &str, topic_arn: Option<&str>, action: &str) -> SnsResult<Arc<Topic>> {
    let topic_arn = topic_arn.ok_or_else(|| SnsError::missing(parameter))?;
    let id = arn::topic(parameter, topic_arn, &ctx.namespace)?;
    let topic = ctx.sns().topics.topic(&id).await?.ok_or_else(SnsError::topic_not_found)?;
    authorize(ctx, &topic, action)?;
    Ok(topic)
}

pub fn authorize(ctx: &Ctx<'_>, topic: &Topic, action: &str) -> SnsResult<()> {
    if ctx.verified && topic.id.namespace.account != ctx.namespace.account {
        return Err(SnsError::authorization(format!(
            "User: arn:aws:iam::{}:root is not authorized to perform: SNS:{action} on resource: {}",
            ctx.namespace.account, topic.arn
        )));
    }
    Ok(())
}

/// Changes a topic's settings by `change`, compare-and-set, retried when another change won.
async fn update(
    ctx: &Ctx<'_>,
    topic: Arc<Topic>,
    change: impl Fn(&mut TopicSettings) -> SnsResult<()>,
) -> SnsResult<()> {
    let mut current = topic;
    for _ in 0..16 {
        let mut settings = current.settings.clone();
        change(&mut settings)?;
        match ctx.sns().topics.update_topic(&current.id, current.version, settings).await? {
            Changed::Done(_) => return Ok(()),
            Changed::Missing => return Err(SnsError::topic_not_found()),
            Changed::Conflict => {
                current = ctx.sns().topics.topic(&current.id).await?.ok_or_else(SnsError::topic_not_found)?;
            }
        }
    }
    Err(SnsError::new("ConcurrentAccess", 400, "Can't perform multiple operations on a topic simultaneously"))
}

fn arn_result(topic_arn: &str) -> Body {
    let mut xml = Xml::default();
    xml.element("TopicArn", topic_arn);
    Body::Result(xml)
}

pub async fn create_topic(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let name = p.get("Name").unwrap_or("");
    let given = p.map("Attributes");
    let fifo = given.iter().any(|(k, v)| k == "FifoTopic" && v.eq_ignore_ascii_case("true"));
    if !valid_name(name, fifo) {
        return Err(SnsError::invalid("Topic Name"));
    }
    let id = TopicId::new(ctx.namespace, name);
    let mut settings = TopicSettings { tags: read_tags(p.tags("Tags"))?, ..Default::default() };
    check_tag_count(&settings.tags)?;
    for (key, value) in &given {
        if key == "FifoTopic" {
            // "false" on a standard topic is accepted and not stored (recorded: test_create_topic_different_attrs).
            if fifo {
                settings.attributes.insert(key.clone(), "true".into());
            }
        } else if let Some(value) = attributes::topic_attribute(key, value, fifo)? {
            settings.attributes.insert(key.clone(), value);
        }
    }
    if let Some(policy) = p.get("DataProtectionPolicy") {
        settings.data_protection_policy = Some(policy.to_string());
    }
    let requested = settings.clone();
    let arn = id.arn();
    settings.attributes.entry("Policy".into()).or_insert_with(|| default_topic_policy(&arn, &ctx.namespace.account));
    if fifo {
        settings.attributes.entry("ContentBasedDeduplication".into()).or_insert_with(|| "false".into());
    }
    match ctx.sns().topics.create_topic(id, settings, ctx.state.engine.now()).await? {
        Made::New(topic) => Ok(arn_result(&topic.arn)),
        Made::Existing(topic) => {
            authorize(ctx, &topic, "CreateTopic")?;
            idempotent(&topic, &requested)?;
            Ok(arn_result(&topic.arn))
        }
    }
}

/// CreateTopic on an existing name succeeds when it asks for nothing the topic does not have
/// (recorded: test_create_topic_should_be_idempotent, test_create_duplicate_topic_check_idempotency).
fn idempotent(topic: &Topic, requested: &TopicSettings) -> SnsResult<()> {
    let stored = &topic.settings;
    if requested.attributes.iter().any(|(k, v)| stored.attributes.get(k) != Some(v)) {
        return Err(SnsError::invalid_because("Attributes", "Topic already exists with different attributes"));
    }
    if requested.tags.iter().any(|(k, v)| stored.tags.get(k) != Some(v)) {
        return Err(SnsError::invalid_because("Tags", "Topic already exists with different tags"));
    }
    Ok(())
}

/// Idempotent: a topic that does not exist is no error (recorded: test_delete_non_existent_topic).
pub async fn delete_topic(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let id = arn::topic("TopicArn", p.required("TopicArn")?, &ctx.namespace)?;
    if let Some(topic) = ctx.sns().topics.topic(&id).await? {
        authorize(ctx, &topic, "DeleteTopic")?;
        ctx.sns().topics.delete_topic(&id).await?;
        ctx.sns().plans.forget_topic(&id);
    }
    Ok(Body::NoResult)
}

pub async fn list_topics(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let after = read_token(p.get("NextToken"))?;
    let mut topics = ctx.sns().topics.list_topics(&ctx.namespace, after.as_deref(), PAGE + 1).await?;
    let more = topics.len() > PAGE;
    topics.truncate(PAGE);
    let mut xml = Xml::default();
    xml.open("Topics");
    for topic in &topics {
        xml.open("member").element("TopicArn", &topic.arn).close("member");
    }
    xml.close("Topics");
    if more {
        xml.optional("NextToken", topics.last().map(|t| next_token(&t.id.name)).as_deref());
    }
    Ok(Body::Result(xml))
}

pub async fn get_topic_attributes(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let topic = load(ctx, "TopicArn", p.get("TopicArn"), "GetTopicAttributes").await?;
    let subscriptions = ctx.sns().topics.subscriptions(&topic.id).await?;
    let confirmed = subscriptions.iter().filter(|s| s.is_confirmed()).count();
    let mut listed: BTreeMap<&str, String> =
        topic.settings.attributes.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    listed.entry("DisplayName").or_default();
    listed.insert("Owner", topic.id.namespace.account.to_string());
    listed.insert("TopicArn", topic.arn.to_string());
    listed.insert("SubscriptionsConfirmed", confirmed.to_string());
    listed.insert("SubscriptionsPending", (subscriptions.len() - confirmed).to_string());
    listed.insert("SubscriptionsDeleted", "0".into());
    let effective =
        attributes::effective_delivery_policy(topic.settings.attributes.get("DeliveryPolicy").map(String::as_str));
    listed.insert("EffectiveDeliveryPolicy", effective.to_string());
    let mut xml = Xml::default();
    xml.map("Attributes", listed.iter().map(|(k, v)| (*k, v.as_str())));
    Ok(Body::Result(xml))
}

pub async fn set_topic_attributes(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let name = p.required("AttributeName")?.to_string();
    let value = p.get("AttributeValue").unwrap_or("").to_string();
    let topic = load(ctx, "TopicArn", p.get("TopicArn"), "SetTopicAttributes").await?;
    let stored = attributes::topic_attribute(&name, &value, topic.id.is_fifo())?;
    update(ctx, topic, |settings| {
        match &stored {
            Some(value) => settings.attributes.insert(name.clone(), value.clone()),
            None => settings.attributes.remove(&name),
        };
        Ok(())
    })
    .await?;
    Ok(Body::NoResult)
}

/// The topic a tagging call names by `ResourceArn`; an unknown one is ResourceNotFound (model).
async fn tagged(ctx: &Ctx<'_>, p: &Params, action: &str) -> SnsResult<Arc<Topic>> {
    let id = arn::topic("ResourceArn", p.required("ResourceArn")?, &ctx.namespace)?;
    let topic = ctx.sns().topics.topic(&id).await?;
    let topic = topic.ok_or_else(|| SnsError::new("ResourceNotFound", 404, "Resource does not exist"))?;
    authorize(ctx, &topic, action)?;
    Ok(topic)
}

pub async fn tag_resource(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let tags = read_tags(p.tags("Tags"))?;
    let topic = tagged(ctx, p, "TagResource").await?;
    update(ctx, topic, |settings| {
        settings.tags.extend(tags.clone());
        check_tag_count(&settings.tags)
    })
    .await?;
    Ok(Body::Result(Xml::default()))
}

pub async fn untag_resource(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let keys = p.list("TagKeys");
    let topic = tagged(ctx, p, "UntagResource").await?;
    update(ctx, topic, |settings| {
        for key in &keys {
            settings.tags.remove(key);
        }
        Ok(())
    })
    .await?;
    Ok(Body::Result(Xml::default()))
}

pub async fn list_tags_for_resource(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let topic = tagged(ctx, p, "ListTagsForResource").await?;
    let mut xml = Xml::default();
    xml.open("Tags");
    for (key, value) in &topic.settings.tags {
        xml.open("member").element("Key", key).element("Value", value).close("member");
    }
    xml.close("Tags");
    Ok(Body::Result(xml))
}

/// AddPermission appends a statement to the topic's Policy (recorded: test_topic_add_permission,
/// test_topic_add_multiple_permissions, test_add_permission_errors).
pub async fn add_permission(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let label = p.required("Label")?.to_string();
    let accounts = p.list("AWSAccountId");
    let actions = p.list("ActionName");
    if accounts.is_empty() {
        return Err(SnsError::missing("AWSAccountId"));
    }
    if actions.is_empty() {
        return Err(SnsError::missing("ActionName"));
    }
    if actions.iter().any(|a| !crate::http::router::is_sns_action(a)) {
        return Err(SnsError::invalid_parameter("Invalid parameter: Policy statement action out of service scope!"));
    }
    let topic = load(ctx, "TopicArn", p.get("TopicArn"), "AddPermission").await?;
    let one_or_list = |items: Vec<String>| match items.len() {
        1 => Value::String(items.into_iter().next().unwrap_or_default()),
        _ => Value::from(items),
    };
    let statement = json!({
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": one_or_list(accounts.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect())},
        "Action": one_or_list(actions.iter().map(|a| format!("SNS:{a}")).collect()),
        "Resource": &*topic.arn,
    });
    update(ctx, topic.clone(), |settings| {
        edit_policy(settings, &topic, |statements| {
            if statements.iter().any(|s| s.get("Sid").and_then(Value::as_str) == Some(&label)) {
                return Err(SnsError::invalid_parameter("Invalid parameter: Statement already exists"));
            }
            statements.push(statement.clone());
            Ok(())
        })
    })
    .await?;
    Ok(Body::NoResult)
}

pub async fn remove_permission(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let label = p.required("Label")?.to_string();
    let topic = load(ctx, "TopicArn", p.get("TopicArn"), "RemovePermission").await?;
    update(ctx, topic.clone(), |settings| {
        edit_policy(settings, &topic, |statements| {
            statements.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(&label));
            Ok(())
        })
    })
    .await?;
    Ok(Body::NoResult)
}

/// Runs `edit` on the Statement list of the topic's Policy (the default one if none is set).
fn edit_policy(
    settings: &mut TopicSettings,
    topic: &Topic,
    edit: impl FnOnce(&mut Vec<Value>) -> SnsResult<()>,
) -> SnsResult<()> {
    let current = settings
        .attributes
        .get("Policy")
        .cloned()
        .unwrap_or_else(|| default_topic_policy(&topic.arn, &topic.id.namespace.account));
    let mut policy: Value = serde_json::from_str(&current).unwrap_or_else(|_| json!({"Version": "2008-10-17"}));
    let mut statements = match policy.get_mut("Statement").map(Value::take) {
        Some(Value::Array(list)) => list,
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    edit(&mut statements)?;
    policy["Statement"] = Value::Array(statements);
    settings.attributes.insert("Policy".into(), policy.to_string());
    Ok(())
}

pub async fn get_data_protection_policy(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let topic = load(ctx, "ResourceArn", p.get("ResourceArn"), "GetDataProtectionPolicy").await?;
    let mut xml = Xml::default();
    xml.optional("DataProtectionPolicy", topic.settings.data_protection_policy.as_deref());
    Ok(Body::Result(xml))
}

/// Stored, not applied (README, deviations).
pub async fn put_data_protection_policy(ctx: &Ctx<'_>, p: &Params) -> SnsResult<Body> {
    let policy = p.required("DataProtectionPolicy")?.to_string();
    if !matches!(serde_json::from_str::<Value>(&policy), Ok(Value::Object(_))) {
        return Err(SnsError::invalid("DataProtectionPolicy"));
    }
    let topic = load(ctx, "ResourceArn", p.get("ResourceArn"), "PutDataProtectionPolicy").await?;
    update(ctx, topic, |settings| {
        settings.data_protection_policy = Some(policy.clone());
        Ok(())
    })
    .await?;
    Ok(Body::NoResult)
}
