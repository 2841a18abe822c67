//! `/metrics` against the real binary: a scrape taken under load passes `promtool check metrics`
//! (Debian's `prometheus` package; the check says SKIPPED when promtool is missing), the per-queue
//! gauges agree with GetQueueAttributes, and the counters count what was sent, received, deleted
//! and dead-lettered, and the requests by action and outcome; the per-request log line, as JSON.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_sqs-local"))
        .args(["--port", &port.to_string()])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, addr: format!("127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&server.addr, "/health").is_none() {
        assert!(Instant::now() < deadline, "the server starts");
        std::thread::sleep(Duration::from_millis(2));
    }
    server
}

fn exchange(addr: &str, request: String) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    let status = reply.get(9..12)?.parse().ok()?;
    Some((status, reply.split_once("\r\n\r\n")?.1.to_string()))
}

fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    exchange(addr, format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"))
}

fn sqs(addr: &str, action: &str, body: Value) -> Value {
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Amz-Target: AmazonSQS.{action}\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (_, text) = exchange(addr, request).expect("an answer");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The value of the sample `name{labels}` in a scrape.
fn sample(scrape: &str, name_and_labels: &str) -> Option<f64> {
    scrape.lines().find_map(|line| line.strip_prefix(name_and_labels)?.strip_prefix(' ')?.parse().ok())
}

fn promtool_check(scrape: &str) {
    let Ok(mut promtool) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        println!("promtool check SKIPPED: promtool is not installed (Debian package prometheus)");
        return;
    };
    promtool.stdin.take().unwrap().write_all(scrape.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && report.trim().is_empty(), "promtool check metrics:\n{report}\n{scrape}");
}

#[test]
fn a_scrape_under_load_is_valid_and_agrees_with_the_queues() {
    let server = start(&[]);
    let addr = server.addr.clone();
    let url = sqs(&addr, "CreateQueue", json!({"QueueName": "load"}))["QueueUrl"].as_str().unwrap().to_string();
    let dlq = sqs(&addr, "CreateQueue", json!({"QueueName": "load-dlq"}))["QueueUrl"].as_str().unwrap().to_string();
    let dlq_arn = sqs(&addr, "GetQueueAttributes", json!({"QueueUrl": dlq, "AttributeNames": ["QueueArn"]}))
        ["Attributes"]["QueueArn"]
        .clone();
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}).to_string();
    let poison = sqs(
        &addr,
        "CreateQueue",
        json!({"QueueName": "poison", "Attributes": {"RedrivePolicy": redrive, "VisibilityTimeout": "0"}}),
    )["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..3)
        .map(|i| {
            let (addr, url, stop) = (addr.clone(), url.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut sent = 0;
                while !stop.load(Ordering::Relaxed) {
                    sqs(&addr, "SendMessage", json!({"QueueUrl": url, "MessageBody": format!("{i}-{sent}")}));
                    sent += 1;
                    if sent % 3 == 0 {
                        sqs(&addr, "ReceiveMessage", json!({"QueueUrl": url, "MaxNumberOfMessages": 2}));
                    }
                }
                sent
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (status, during) = get(&addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    promtool_check(&during);
    stop.store(true, Ordering::Relaxed);
    let sent: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();

    // Quiet now: the gauges agree with GetQueueAttributes.
    sqs(&addr, "SendMessage", json!({"QueueUrl": url, "MessageBody": "later", "DelaySeconds": 60}));
    let got = sqs(&addr, "ReceiveMessage", json!({"QueueUrl": url, "MaxNumberOfMessages": 10}));
    let handle = got["Messages"][0]["ReceiptHandle"].clone();
    sqs(&addr, "DeleteMessage", json!({"QueueUrl": url, "ReceiptHandle": handle}));
    sqs(&addr, "SendMessage", json!({"QueueUrl": poison, "MessageBody": "p"}));
    sqs(&addr, "ReceiveMessage", json!({"QueueUrl": poison}));
    sqs(&addr, "ReceiveMessage", json!({"QueueUrl": poison}));
    let (_, after) = get(&addr, "/metrics").unwrap();
    promtool_check(&after);
    let attributes =
        sqs(&addr, "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["All"]}))["Attributes"].clone();
    for (gauge, attribute) in [
        ("sqs_messages_visible", "ApproximateNumberOfMessages"),
        ("sqs_messages_in_flight", "ApproximateNumberOfMessagesNotVisible"),
        ("sqs_messages_delayed", "ApproximateNumberOfMessagesDelayed"),
    ] {
        let expected: f64 = attributes[attribute].as_str().unwrap().parse().unwrap();
        assert_eq!(sample(&after, &format!("{gauge}{{queue=\"load\"}}")), Some(expected), "{gauge}");
    }
    assert_eq!(sample(&after, "sqs_messages_sent_total{queue=\"load\"}"), Some((sent + 1) as f64));
    assert_eq!(sample(&after, "sqs_messages_deleted_total{queue=\"load\"}"), Some(1.0));
    assert!(sample(&after, "sqs_messages_received_total{queue=\"load\"}").unwrap() >= 10.0);
    assert_eq!(sample(&after, "sqs_messages_dead_lettered_total{queue=\"poison\"}"), Some(1.0));
    assert_eq!(sample(&after, "sqs_messages_visible{queue=\"load-dlq\"}"), Some(1.0));
    assert_eq!(sample(&after, "sqs_requests_total{action=\"SendMessage\",outcome=\"ok\"}"), Some((sent + 2) as f64));
    assert!(sample(&after, "sqs_request_duration_seconds_count{action=\"SendMessage\"}").unwrap() >= sent as f64);
}

#[test]
fn errors_count_by_code_and_metrics_can_be_off() {
    let server = start(&[]);
    sqs(&server.addr, "GetQueueUrl", json!({"QueueName": "missing"}));
    let (_, scrape) = get(&server.addr, "/metrics").unwrap();
    let missing = "sqs_requests_total{action=\"GetQueueUrl\",outcome=\"AWS.SimpleQueueService.NonExistentQueue\"}";
    assert_eq!(sample(&scrape, missing), Some(1.0), "{scrape}");
    promtool_check(&scrape);

    let off = start(&["--metrics", "false"]);
    assert_eq!(get(&off.addr, "/metrics").unwrap().0, 404);
}

#[test]
fn one_json_log_line_per_request_when_asked() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sqs-local"))
        .args(["--port", &port.to_string(), "--log-format", "json"])
        .env("RUST_LOG", "sqs_local=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&addr, "/health").is_none() {
        assert!(Instant::now() < deadline, "the server starts");
        std::thread::sleep(Duration::from_millis(2));
    }
    sqs(&addr, "GetQueueUrl", json!({"QueueName": "missing"}));
    sqs(&addr, "ListQueues", json!({}));
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["action"], "GetQueueUrl");
    assert_eq!(lines[0]["queue"], "missing");
    assert_eq!(lines[0]["outcome"], "AWS.SimpleQueueService.NonExistentQueue");
    assert!(lines[0]["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(lines[0]["request_id"].as_str().unwrap().len(), 36);
    assert_eq!((lines[1]["action"].as_str(), lines[1]["outcome"].as_str()), (Some("ListQueues"), Some("ok")));
}

/// A Query form POST (SNS).
fn sns(addr: &str, form: &str) -> String {
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    exchange(addr, request).expect("an answer").1
}

#[test]
fn sns_publishes_and_deliveries_are_counted_per_topic() {
    let server = start(&[]);
    let addr = server.addr.clone();
    sns(&addr, "Action=CreateTopic&Name=orders");
    let topic = "arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aorders";
    sqs(&addr, "CreateQueue", json!({"QueueName": "billing"}));
    let subscribe = |queue: &str| {
        let endpoint = format!("arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3A{queue}");
        sns(&addr, &format!("Action=Subscribe&TopicArn={topic}&Protocol=sqs&Endpoint={endpoint}"));
    };
    subscribe("billing");
    subscribe("gone");
    for _ in 0..3 {
        sns(&addr, &format!("Action=Publish&TopicArn={topic}&Message=m"));
    }
    let (_, scrape) = get(&addr, "/metrics").unwrap();
    assert_eq!(sample(&scrape, r#"sns_messages_published_total{topic="orders"}"#), Some(3.0));
    assert_eq!(
        sample(&scrape, r#"sns_deliveries_total{topic="orders",protocol="sqs",outcome="delivered"}"#),
        Some(3.0)
    );
    assert_eq!(
        sample(&scrape, r#"sns_deliveries_total{topic="orders",protocol="sqs",outcome="failed"}"#),
        Some(3.0),
        "a queue that does not exist"
    );
    promtool_check(&scrape);
}
