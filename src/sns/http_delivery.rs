//! HTTP/S subscriptions: confirmation requests and notifications as POSTs with AWS's headers
//! (`x-amz-sns-message-type`, `-message-id`, `-topic-arn`, `-subscription-arn`, `-rawdelivery`;
//! SNS developer guide, "HTTP/HTTPS headers"), retried by the delivery policy (default: 3 retries
//! 20 s apart). Publishers never wait: messages go into a bounded queue, and what does not fit
//! is dropped and counted. Plain `http://` only; `https://` endpoints fail (README, deviations).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::Value;
use tokio::sync::{mpsc, Semaphore};

use super::attributes;
use super::delivery::{self, json_string_value, layout, signature, timestamp};
use super::publish::Notification;
use crate::engine::topic::Subscription;

/// Messages waiting for a connection, at most.
const QUEUE: usize = 10_000;
/// POSTs in flight, at most.
const IN_FLIGHT: usize = 64;
const TIMEOUT: Duration = Duration::from_secs(15);

/// One POST to make, with its retry schedule.
#[derive(Debug)]
struct Job {
    url: String,
    headers: Vec<(&'static str, String)>,
    body: String,
    /// Waits before each retry.
    retries: Vec<Duration>,
}

/// The HTTP deliverer: a bounded queue and the task that drains it (started on first use, inside
/// the runtime).
pub struct Deliverer {
    sender: mpsc::Sender<Job>,
    receiver: Mutex<Option<mpsc::Receiver<Job>>>,
    /// Messages dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Messages given up on after their last retry.
    pub failed: Arc<AtomicU64>,
}

impl Deliverer {
    pub fn start() -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        Deliverer { sender, receiver: Mutex::new(Some(receiver)), dropped: AtomicU64::new(0), failed: Arc::default() }
    }

    fn enqueue(&self, job: Job) -> bool {
        if let Some(receiver) = self.receiver.lock().ok().and_then(|mut r| r.take()) {
            tokio::spawn(drain(receiver, self.failed.clone()));
        }
        match self.sender.try_send(job) {
            Ok(()) => true,
            Err(_) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Sends the SubscriptionConfirmation of a new HTTP/S subscription.
    pub fn confirm(&self, subscription: &Subscription, base_url: &str) {
        let message = format!(
            "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
            subscription.topic.arn()
        );
        self.confirmation("SubscriptionConfirmation", subscription, message, base_url);
    }

    /// Sends the UnsubscribeConfirmation of a removed HTTP/S subscription.
    pub fn unsubscribed(&self, subscription: &Subscription, base_url: &str) {
        let message = format!(
            "You have chosen to deactivate subscription {}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
            subscription.arn
        );
        self.confirmation("UnsubscribeConfirmation", subscription, message, base_url);
    }

    fn confirmation(&self, kind: &'static str, subscription: &Subscription, message: String, base_url: &str) {
        let message_id = uuid::Uuid::new_v4().to_string();
        let topic_arn = subscription.topic.arn();
        let token = subscription.token.as_deref().unwrap_or("").to_string();
        let subscribe_url = format!("{base_url}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={token}");
        let timestamp = timestamp(now_millis());
        let signed = [
            ("Message", message.as_str()),
            ("MessageId", &message_id),
            ("SubscribeURL", &subscribe_url),
            ("Timestamp", &timestamp),
            ("Token", &token),
            ("TopicArn", &topic_arn),
            ("Type", kind),
        ];
        let body = layout(&[
            ("Type", json_string_value(kind)),
            ("MessageId", json_string_value(&message_id)),
            ("Token", json_string_value(&token)),
            ("TopicArn", json_string_value(&topic_arn)),
            ("Message", json_string_value(&message)),
            ("SubscribeURL", json_string_value(&subscribe_url)),
            ("Timestamp", json_string_value(&timestamp)),
            ("SignatureVersion", json_string_value("1")),
            ("Signature", json_string_value(&signature(&signed))),
            ("SigningCertURL", json_string_value(&format!("{base_url}/{}", delivery::CERT_NAME))),
        ]);
        let mut headers = vec![
            ("x-amz-sns-message-type", kind.to_string()),
            ("x-amz-sns-message-id", message_id),
            ("x-amz-sns-topic-arn", topic_arn),
        ];
        if kind == "UnsubscribeConfirmation" {
            headers.push(("x-amz-sns-subscription-arn", subscription.arn.to_string()));
        }
        let retries = schedule(None, None);
        self.enqueue(Job { url: subscription.endpoint.to_string(), headers, body, retries });
    }

    /// Queues a notification; false when the queue is full (the message is dropped and counted).
    pub fn notify(&self, n: &Notification, subscription: &Subscription, base_url: &str) -> bool {
        let raw = subscription.attributes.get("RawMessageDelivery").is_some_and(|v| v == "true");
        let message = n.message_for(&subscription.protocol);
        let body = if raw { message.to_string() } else { delivery::envelope(n, subscription, message, base_url) };
        let mut headers = vec![
            ("x-amz-sns-message-type", "Notification".to_string()),
            ("x-amz-sns-message-id", n.message_id.clone()),
            ("x-amz-sns-topic-arn", n.topic.arn.to_string()),
            ("x-amz-sns-subscription-arn", subscription.arn.to_string()),
        ];
        if raw {
            headers.push(("x-amz-sns-rawdelivery", "true".into()));
        }
        let topic_policy = n.topic.settings.attributes.get("DeliveryPolicy").map(String::as_str);
        let retries = schedule(topic_policy, subscription.attributes.get("DeliveryPolicy").map(String::as_str));
        let content_type =
            content_type(topic_policy, subscription.attributes.get("DeliveryPolicy").map(String::as_str));
        headers.push(("content-type", content_type));
        self.enqueue(Job { url: subscription.endpoint.to_string(), headers, body, retries })
    }
}

fn now_millis() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The effective HTTP policy: the topic's `http` defaults with the subscription's own laid over.
fn effective(topic: Option<&str>, own: Option<&str>) -> Value {
    let mut http = attributes::effective_delivery_policy(topic).get("http").cloned().unwrap_or_default();
    if let Some(own) = own.and_then(|o| serde_json::from_str::<Value>(o).ok()) {
        if let Some(retry) = own.get("healthyRetryPolicy") {
            attributes::merge(&mut http["defaultHealthyRetryPolicy"], retry);
        }
        if let Some(request) = own.get("requestPolicy") {
            attributes::merge(&mut http["defaultRequestPolicy"], request);
        }
    }
    http
}

fn content_type(topic: Option<&str>, own: Option<&str>) -> String {
    let http = effective(topic, own);
    http["defaultRequestPolicy"]["headerContentType"].as_str().unwrap_or("text/plain; charset=UTF-8").to_string()
}

/// The waits before each retry: `numRetries` of them, from `minDelayTarget` to
/// `maxDelayTarget` seconds, evenly spaced (the linear back-off; the others are approximated
/// by it).
fn schedule(topic: Option<&str>, own: Option<&str>) -> Vec<Duration> {
    let http = effective(topic, own);
    let retry = &http["defaultHealthyRetryPolicy"];
    let count = retry["numRetries"].as_u64().unwrap_or(3).min(100);
    let min = retry["minDelayTarget"].as_u64().unwrap_or(20);
    let max = retry["maxDelayTarget"].as_u64().unwrap_or(min).max(min);
    (0..count)
        .map(|i| {
            let step = if count > 1 { (max - min) * i / (count - 1) } else { 0 };
            Duration::from_secs(min + step)
        })
        .collect()
}

async fn drain(mut receiver: mpsc::Receiver<Job>, failed: Arc<AtomicU64>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(job) = receiver.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let failed = failed.clone();
        tokio::spawn(async move {
            deliver(job, &failed).await;
            drop(slot);
        });
    }
}

async fn deliver(job: Job, failed: &AtomicU64) {
    let mut waits = job.retries.iter();
    loop {
        match tokio::time::timeout(TIMEOUT, post(&job)).await {
            Ok(Ok(status)) if (200..300).contains(&status) => return,
            outcome => tracing::debug!(url = %job.url, ?outcome, "SNS HTTP delivery failed"),
        }
        match waits.next() {
            Some(wait) => tokio::time::sleep(*wait).await,
            None => {
                failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(url = %job.url, "SNS HTTP delivery given up after its retries");
                return;
            }
        }
    }
}

/// One POST; the response status.
async fn post(job: &Job) -> Result<u16, String> {
    let uri: hyper::Uri = job.url.parse().map_err(|e| format!("{e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("only http:// endpoints are reached".into());
    }
    let host = uri.host().ok_or("no host")?.to_string();
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| e.to_string())?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let authority = uri.authority().map_or(host.clone(), |a| a.to_string());
    let mut request = hyper::Request::post(path)
        .header("host", authority)
        .header("user-agent", "Amazon Simple Notification Service Agent")
        .header("accept-encoding", "gzip,deflate");
    if !job.headers.iter().any(|(name, _)| *name == "content-type") {
        request = request.header("content-type", "text/plain; charset=UTF-8");
    }
    for (name, value) in &job.headers {
        request = request.header(*name, value);
    }
    let request = request.body(Full::new(Bytes::from(job.body.clone()))).map_err(|e| e.to_string())?;
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    Ok(response.status().as_u16())
}
