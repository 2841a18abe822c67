//! The load generator's client side: keep-alive JSON 1.0 connections, latency samples, and the
//! closed loops the scenarios are built from.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

/// `--sign KEY:SECRET`: every request is SigV4-signed with it (set once, before any request).
pub static SIGNING: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();

/// One keep-alive HTTP/1.1 connection speaking JSON 1.0.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

const JSON: &str = "application/x-amz-json-1.0";
const FORM: &str = "application/x-www-form-urlencoded";

/// The `Authorization` and `X-Amz-Date` of a signed request, as an SDK would send them: JSON 1.0
/// with `X-Amz-Target` for SQS, a form for SNS.
fn signature(host: &str, target: Option<&str>, body: &[u8]) -> Option<(String, String)> {
    let (access_key, secret) = SIGNING.get()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
    let date = chrono::DateTime::from_timestamp(now, 0)?.format("%Y%m%dT%H%M%SZ").to_string();
    let mut headers = vec![
        ("content-type", if target.is_some() { JSON } else { FORM }),
        ("host", host),
        ("x-amz-date", date.as_str()),
    ];
    headers.extend(target.map(|t| ("x-amz-target", t)));
    let service = if target.is_some() { "sqs" } else { "sns" };
    let key = sqs_local::auth::sigv4::SigningKey { access_key, secret, region: "us-east-1", service, date: &date };
    Some((sqs_local::auth::sigv4::authorization(&key, "POST", "/", &headers, body), date))
}

impl Conn {
    pub async fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).ok();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
        tokio::spawn(conn);
        Conn { sender, host: addr.to_string() }
    }

    /// An SQS call in JSON 1.0.
    pub async fn call(&mut self, action: &str, body: &Value) -> (u16, Value) {
        let target = format!("AmazonSQS.{action}");
        let (status, bytes) = self.post(Some(&target), Bytes::from(body.to_string())).await;
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// An SNS call (AWS Query): the form's parameters, URL-encoded; the XML answer as text.
    pub async fn sns(&mut self, params: &[(&str, &str)]) -> (u16, String) {
        let form = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.extend_pairs(params.iter().copied()).append_pair("Version", "2010-03-31");
            form.finish()
        };
        let (status, bytes) = self.post(None, Bytes::from(form)).await;
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn post(&mut self, target: Option<&str>, body: Bytes) -> (u16, Bytes) {
        let mut request = hyper::Request::post("/")
            .header("host", &self.host)
            .header("content-type", if target.is_some() { JSON } else { FORM });
        if let Some(target) = target {
            request = request.header("x-amz-target", target);
        }
        if let Some((authorization, date)) = signature(&self.host, target, &body) {
            request = request.header("authorization", authorization).header("x-amz-date", date);
        }
        let request = request.body(Full::new(body)).expect("request");
        self.sender.ready().await.expect("connection ready");
        let response = self.sender.send_request(request).await.expect("response");
        let status = response.status().as_u16();
        (status, response.into_body().collect().await.expect("body").to_bytes())
    }
}

/// Latency samples in microseconds.
#[derive(Default)]
pub struct Latencies(pub Vec<u32>);

impl Latencies {
    pub fn add(&mut self, since: Instant) {
        self.0.push(since.elapsed().as_micros().min(u32::MAX as u128) as u32);
    }

    pub fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// The `q` quantile in milliseconds.
    pub fn quantile_ms(&mut self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.sort_unstable();
        self.0[((self.0.len() - 1) as f64 * q) as usize] as f64 / 1000.0
    }

    pub fn summary(&mut self) -> String {
        if self.0.is_empty() {
            return "no samples".into();
        }
        format!(
            "p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            self.quantile_ms(0.5),
            self.quantile_ms(0.99),
            self.quantile_ms(1.0)
        )
    }
}

pub async fn create_queue(addr: &str, name: &str, attributes: Value) -> String {
    let (status, body) =
        Conn::open(addr).await.call("CreateQueue", &json!({"QueueName": name, "Attributes": attributes})).await;
    assert_eq!(status, 200, "CreateQueue: {body}");
    body["QueueUrl"].as_str().expect("QueueUrl").to_string()
}

/// A 100-byte body carrying its index.
pub fn body_100(i: usize) -> String {
    format!("{i:0>100}")
}

/// Ten SendMessageBatch entries with bodies `start..start + 10`.
pub fn batch_entries(start: usize) -> Value {
    (0..10).map(|k| json!({"Id": format!("e{k}"), "MessageBody": body_100(start + k)})).collect()
}

/// Runs `requests` calls spread over `connections`, each built by `make(i)`; returns (elapsed, latencies).
pub async fn closed_loop(
    addr: &str,
    connections: usize,
    requests: usize,
    action: &'static str,
    make: Arc<dyn Fn(usize) -> Value + Send + Sync>,
) -> (Duration, Latencies) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (next, make, addr) = (next.clone(), make.clone(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let mut lat = Latencies::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    return lat;
                }
                let t = Instant::now();
                let (status, body) = conn.call(action, &make(i)).await;
                assert_eq!(status, 200, "{action}: {body}");
                lat.add(t);
            }
        }));
    }
    let mut all = Latencies::default();
    for t in tasks {
        all.merge(t.await.expect("task"));
    }
    (started.elapsed(), all)
}

/// `consumers` connections receive 10 at a time and delete what they got until `count` messages
/// were received; with `refill` each also sends as many new messages, keeping the backlog level.
/// Returns messages/s and receive latencies.
pub async fn consume(addr: &str, url: &str, consumers: usize, count: usize, refill: bool) -> (f64, Latencies) {
    let received = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..consumers {
        let (received, url, addr) = (received.clone(), url.to_string(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let mut lat = Latencies::default();
            while received.load(Ordering::Relaxed) < count {
                let t = Instant::now();
                let (_, body) = conn.call("ReceiveMessage", &json!({"QueueUrl": url, "MaxNumberOfMessages": 10})).await;
                lat.add(t);
                let Some(messages) = body["Messages"].as_array() else { continue };
                let entries: Vec<Value> = messages
                    .iter()
                    .enumerate()
                    .map(|(k, m)| json!({"Id": format!("d{k}"), "ReceiptHandle": m["ReceiptHandle"]}))
                    .collect();
                let n = entries.len();
                received.fetch_add(n, Ordering::Relaxed);
                conn.call("DeleteMessageBatch", &json!({"QueueUrl": url, "Entries": entries})).await;
                if refill {
                    let new: Vec<Value> =
                        (0..n).map(|k| json!({"Id": format!("r{k}"), "MessageBody": body_100(k)})).collect();
                    conn.call("SendMessageBatch", &json!({"QueueUrl": url, "Entries": new})).await;
                }
            }
            lat
        }));
    }
    let mut lat = Latencies::default();
    for t in tasks {
        lat.merge(t.await.expect("task"));
    }
    (received.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64(), lat)
}
