//! The admin and test API against the real binary: the clock drives visibility, delays,
//! retention, the deduplication window, redrive and the purge rule in well under a second; peek
//! changes nothing; the resets; each fault kind in both protocols; bad input.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The binary, killed when dropped; its [`Client`] is at hand through `Deref`.
struct Server {
    child: Child,
    client: Client,
}

/// A client speaking raw HTTP to the server, one connection per request.
#[derive(Clone)]
struct Client {
    addr: String,
}

impl std::ops::Deref for Server {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_sqs-local"))
            .args(["--port", &port.to_string()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, client: Client { addr: format!("127.0.0.1:{port}") } };
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.raw("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").is_none() {
            assert!(Instant::now() < deadline, "the server starts");
            std::thread::sleep(Duration::from_millis(2));
        }
        server
    }
}

impl Client {
    /// Sends a whole request; the whole reply, or `None` if the connection closed without one.
    fn raw(&self, request: &str) -> Option<String> {
        let mut stream = TcpStream::connect(&self.addr).ok()?;
        stream.write_all(request.as_bytes()).ok()?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).ok()?;
        (!reply.is_empty()).then_some(reply)
    }

    fn http(&self, method: &str, path: &str, headers: &str, body: &str) -> Option<(u16, String)> {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let reply = self.raw(&request)?;
        let status = reply[9..12].parse().unwrap();
        let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
        Some((status, body))
    }

    /// An admin API call: status and JSON.
    fn admin(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let body = if body.is_null() { String::new() } else { body.to_string() };
        let (status, text) = self.http(method, path, "Content-Type: application/json\r\n", &body).expect("an answer");
        (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON from {path}: {text}")))
    }

    fn advance(&self, seconds: f64) {
        let (status, answer) = self.admin("POST", "/_admin/clock/advance", json!({"seconds": seconds}));
        assert_eq!(status, 200, "{answer}");
    }

    /// An SQS JSON 1.0 call: status and JSON.
    fn sqs(&self, action: &str, body: Value) -> (u16, Value) {
        let headers = format!("X-Amz-Target: AmazonSQS.{action}\r\nContent-Type: application/x-amz-json-1.0\r\n");
        let (status, text) = self.http("POST", "/", &headers, &body.to_string()).expect("an answer");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// An SQS JSON call that must succeed.
    fn ok(&self, action: &str, body: Value) -> Value {
        let (status, answer) = self.sqs(action, body);
        assert_eq!(status, 200, "{action}: {answer}");
        answer
    }

    /// An SQS Query call: status and XML.
    fn query(&self, params: &str) -> Option<(u16, String)> {
        self.http("POST", "/", "Content-Type: application/x-www-form-urlencoded\r\n", params)
    }

    fn create(&self, name: &str, attributes: Value) -> String {
        self.ok("CreateQueue", json!({"QueueName": name, "Attributes": attributes}))["QueueUrl"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn receive(&self, url: &str, extra: Value) -> Vec<Value> {
        let mut body = json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "AttributeNames": ["All"]});
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        self.ok("ReceiveMessage", body)["Messages"].as_array().cloned().unwrap_or_default()
    }

    fn attribute(&self, url: &str, name: &str) -> String {
        let answer = self.ok("GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": [name]}));
        answer["Attributes"][name].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bodies(messages: &[Value]) -> Vec<&str> {
    messages.iter().map(|m| m["Body"].as_str().unwrap()).collect()
}

#[test]
fn the_clock_drives_every_timer_in_well_under_a_second() {
    let server = Server::start(&[]);
    let started = Instant::now();
    let s = &server;

    // Visibility timeout.
    let jobs = s.create("jobs", json!({"VisibilityTimeout": "30"}));
    s.ok("SendMessage", json!({"QueueUrl": jobs, "MessageBody": "a"}));
    assert_eq!(s.receive(&jobs, json!({})).len(), 1);
    s.advance(29.5);
    assert!(s.receive(&jobs, json!({})).is_empty(), "still in flight");
    s.advance(0.5);
    let again = s.receive(&jobs, json!({}));
    assert_eq!(again[0]["Attributes"]["ApproximateReceiveCount"], "2");
    s.ok("DeleteMessage", json!({"QueueUrl": jobs, "ReceiptHandle": again[0]["ReceiptHandle"]}));

    // Delay, and the timestamps SQS reports follow the emulator's clock.
    let (_, clock) = s.admin("GET", "/_admin/clock", Value::Null);
    assert_eq!(clock["offsetMs"], 30_000);
    s.ok("SendMessage", json!({"QueueUrl": jobs, "MessageBody": "late", "DelaySeconds": 900}));
    assert!(s.receive(&jobs, json!({})).is_empty());
    s.advance(900.0);
    let late = s.receive(&jobs, json!({}));
    assert_eq!(bodies(&late), vec!["late"]);
    let sent: u64 = late[0]["Attributes"]["SentTimestamp"].as_str().unwrap().parse().unwrap();
    assert!(sent >= clock["now"].as_u64().unwrap(), "SentTimestamp is on the emulator's clock");
    s.ok("DeleteMessage", json!({"QueueUrl": jobs, "ReceiptHandle": late[0]["ReceiptHandle"]}));

    // Retention.
    let short = s.create("short", json!({"MessageRetentionPeriod": "60"}));
    s.ok("SendMessage", json!({"QueueUrl": short, "MessageBody": "old"}));
    s.advance(60.0);
    assert_eq!(s.attribute(&short, "ApproximateNumberOfMessages"), "0");
    assert!(s.receive(&short, json!({})).is_empty());

    // The 5-minute deduplication window.
    let fifo = s.create("dedup.fifo", json!({"FifoQueue": "true"}));
    let send = |body: &str| {
        s.ok(
            "SendMessage",
            json!({"QueueUrl": fifo, "MessageBody": body, "MessageGroupId": "g", "MessageDeduplicationId": "d"}),
        )["MessageId"]
            .clone()
    };
    let first = send("one");
    assert_eq!(send("two"), first, "a duplicate within the window");
    s.advance(300.0);
    assert_ne!(send("three"), first, "the window closed");
    assert_eq!(bodies(&s.receive(&fifo, json!({}))), vec!["one", "three"]);

    // maxReceiveCount redrive.
    let dlq = s.create("dead", json!({}));
    let dlq_arn = s.attribute(&dlq, "QueueArn");
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}).to_string();
    let work = s.create("work", json!({"VisibilityTimeout": "10", "RedrivePolicy": redrive}));
    s.ok("SendMessage", json!({"QueueUrl": work, "MessageBody": "poison"}));
    for _ in 0..2 {
        assert_eq!(s.receive(&work, json!({})).len(), 1);
        s.advance(10.0);
    }
    assert!(s.receive(&work, json!({})).is_empty(), "moved on the third receive");
    assert_eq!(bodies(&s.receive(&dlq, json!({}))), vec!["poison"]);

    // The PurgeQueue rule.
    s.ok("PurgeQueue", json!({"QueueUrl": jobs}));
    let (status, refused) = s.sqs("PurgeQueue", json!({"QueueUrl": jobs}));
    assert_eq!((status, refused["__type"].as_str()), (403, Some("com.amazonaws.sqs#PurgeQueueInProgress")));
    s.advance(60.0);
    s.ok("PurgeQueue", json!({"QueueUrl": jobs}));

    // A waiting long poll returns the message the advance made available.
    s.ok("SendMessage", json!({"QueueUrl": jobs, "MessageBody": "woken", "DelaySeconds": 600}));
    let poll = {
        let (poller, jobs) = (server.client.clone(), jobs.clone());
        std::thread::spawn(move || {
            let got = poller.receive(&jobs, json!({"WaitTimeSeconds": 20}));
            bodies(&got).iter().map(|b| b.to_string()).collect::<Vec<_>>()
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    s.advance(600.0);
    assert_eq!(poll.join().unwrap(), vec!["woken"]);

    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "the whole suite took {took:?}");
}

#[test]
fn time_never_goes_backward_and_bad_admin_input_gets_a_json_4xx() {
    let s = Server::start(&[]);
    for bad in [json!({"seconds": -1}), json!({"seconds": "x"}), json!({"seconds": 1e300}), json!({}), json!([1])] {
        let (status, answer) = s.admin("POST", "/_admin/clock/advance", bad.clone());
        assert_eq!(status, 400, "{bad}: {answer}");
        assert!(answer["error"].is_string() && answer["message"].is_string(), "{answer}");
    }
    let (status, _) = s.http("POST", "/_admin/clock/advance", "", "{\"seconds\": \u{fffd}").unwrap();
    assert_eq!(status, 400);
    let (status, answer) = s.http("POST", "/_admin/faults", "", "\u{0}\u{1}not json").unwrap();
    assert_eq!(status, 400, "{answer}");
    assert_eq!(s.admin("GET", "/_admin/clock", Value::Null).1["offsetMs"], 0);
    assert_eq!(s.admin("GET", "/_admin/queues/nope/messages", Value::Null).0, 404);
    assert_eq!(s.admin("POST", "/_admin/queues/nope/reset", Value::Null).0, 404);
    assert_eq!(s.admin("GET", "/_admin/frobnicate", Value::Null).0, 404);
    assert_eq!(s.admin("DELETE", "/_admin/clock", Value::Null).0, 405);
    assert_eq!(s.admin("DELETE", "/_admin/faults/99", Value::Null).0, 404);
    s.create("q", json!({}));
    for bad in ["limit=0", "limit=1001", "limit=x", "nextToken=abc"] {
        assert_eq!(s.admin("GET", &format!("/_admin/queues/q/messages?{bad}"), Value::Null).0, 400, "{bad}");
    }
    for bad in [
        json!({"action": "Frobnicate", "error": "InternalError"}),
        json!({"error": "NoSuchError"}),
        json!({"error": "InternalError", "probability": 2}),
        json!({"action": "SendMessage"}),
        json!({"error": "InternalError", "surprise": true}),
    ] {
        assert_eq!(s.admin("POST", "/_admin/faults", bad.clone()).0, 400, "{bad}");
    }

    let off = Server::start(&["--admin", "false"]);
    let (status, body) = off.http("GET", "/_admin/clock", "", "").unwrap();
    assert_ne!(status, 200, "off: {body}");
    assert!(!body.contains("offsetMs"), "an AWS path like any other: {body}");
}

#[test]
fn peek_shows_in_flight_and_delayed_messages_and_changes_nothing() {
    let s = Server::start(&[]);
    let url = s.create("peek", json!({}));
    s.ok(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "first", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}),
    );
    s.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "later", "DelaySeconds": 60}));
    let taken = s.receive(&url, json!({"VisibilityTimeout": 100}));
    assert_eq!(bodies(&taken), vec!["first"]);
    s.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "ready"}));

    let peek = || s.admin("GET", "/_admin/queues/peek/messages", Value::Null).1;
    let page = peek();
    let messages = page["messages"].as_array().unwrap();
    let states: Vec<(&str, &str)> =
        messages.iter().map(|m| (m["body"].as_str().unwrap(), m["state"].as_str().unwrap())).collect();
    assert_eq!(states, vec![("first", "inFlight"), ("later", "delayed"), ("ready", "available")]);
    assert_eq!(messages[0]["receiveCount"], 1);
    assert_eq!(messages[0]["messageAttributes"]["k"]["StringValue"], "v");
    assert_eq!(messages[0]["messageId"], taken[0]["MessageId"]);
    assert!(messages[0]["visibleAt"].as_u64().unwrap() > messages[0]["sentTimestamp"].as_u64().unwrap());
    assert!(messages[2]["visibleAt"].is_null());
    assert_eq!(messages[1]["attributes"]["ApproximateReceiveCount"], "0");
    assert_eq!(peek(), page, "peeking twice sees the same");

    // Side-effect free: counts, visibility and receive counts are as they were.
    assert_eq!(s.attribute(&url, "ApproximateNumberOfMessagesNotVisible"), "1");
    assert_eq!(s.attribute(&url, "ApproximateNumberOfMessagesDelayed"), "1");
    let got = s.receive(&url, json!({}));
    assert_eq!(bodies(&got), vec!["ready"]);
    assert_eq!(got[0]["Attributes"]["ApproximateReceiveCount"], "1");

    // Paging.
    let (_, one) = s.admin("GET", "/_admin/queues/peek/messages?limit=2", Value::Null);
    assert_eq!(one["messages"].as_array().unwrap().len(), 2);
    let token = one["nextToken"].as_str().unwrap();
    let (_, two) = s.admin("GET", &format!("/_admin/queues/peek/messages?limit=2&nextToken={token}"), Value::Null);
    assert_eq!(bodies_of_peek(&two), vec!["ready"]);
    assert!(two.get("nextToken").is_none());

    // Deleting a peeked message (here the delayed one) by its position and id.
    let later = &page["messages"][1];
    let path = |id: &Value| {
        format!(
            "/_admin/queues/peek/messages/{}?messageId={}",
            later["position"].as_str().unwrap(),
            id.as_str().unwrap()
        )
    };
    assert_eq!(s.admin("DELETE", &path(&messages[0]["messageId"]), Value::Null).0, 404, "another message's id");
    assert_eq!(s.admin("DELETE", &path(&later["messageId"]), Value::Null).0, 200);
    assert_eq!(s.attribute(&url, "ApproximateNumberOfMessagesDelayed"), "0");
    assert_eq!(s.admin("DELETE", "/_admin/queues/peek/messages/x?messageId=y", Value::Null).0, 400);
}

fn bodies_of_peek(page: &Value) -> Vec<&str> {
    page["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect()
}

#[test]
fn reset_returns_to_the_starting_state_and_a_queue_reset_empties_one_queue() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sqs.toml");
    std::fs::write(&config, "[queues.configured]\nattributes = { VisibilityTimeout = 5 }\n").unwrap();
    let s = Server::start(&["--config", config.to_str().unwrap()]);
    let url = s.create("scratch", json!({}));
    s.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}));
    s.ok("PurgeQueue", json!({"QueueUrl": url}));
    s.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "y"}));
    assert_eq!(s.admin("POST", "/_admin/queues/scratch/reset", Value::Null).0, 200);
    assert_eq!(s.attribute(&url, "ApproximateNumberOfMessages"), "0");
    s.ok("PurgeQueue", json!({"QueueUrl": url}));

    s.advance(100.0);
    s.admin("POST", "/_admin/faults", json!({"action": "ListQueues", "error": "InternalError"}));
    s.ok("DeleteQueue", json!({"QueueUrl": url}));
    let (status, answer) = s.admin("POST", "/_admin/reset", Value::Null);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(s.admin("GET", "/_admin/clock", Value::Null).1["offsetMs"], 0);
    assert_eq!(s.admin("GET", "/_admin/faults", Value::Null).1["faults"], json!([]));
    let listed = s.ok("ListQueues", json!({}));
    let urls = listed["QueueUrls"].as_array().unwrap();
    assert_eq!(urls.len(), 1, "only the configured queue: {listed}");
    assert!(urls[0].as_str().unwrap().ends_with("/configured"));
    s.create("scratch", json!({}));
}

#[test]
fn each_fault_kind_reaches_the_client_in_its_own_protocol() {
    let s = Server::start(&[]);
    let url = s.create("jobs", json!({}));
    let other = s.create("other", json!({}));

    // An error for the next 2 SendMessage requests on one queue, in JSON and in Query.
    let (status, rule) = s.admin(
        "POST",
        "/_admin/faults",
        json!({"action": "SendMessage", "queue": "jobs", "error": "ThrottlingException", "count": 2}),
    );
    assert_eq!(status, 201, "{rule}");
    let id = rule["id"].as_str().unwrap().to_string();
    s.ok("SendMessage", json!({"QueueUrl": other, "MessageBody": "another queue"}));
    s.ok("GetQueueAttributes", json!({"QueueUrl": url}));
    let (status, throttled) = s.sqs("SendMessage", json!({"QueueUrl": url, "MessageBody": "m"}));
    assert_eq!(
        (status, throttled["__type"].as_str()),
        (400, Some("com.amazon.coral.availability#ThrottlingException"))
    );
    let query = format!("Action=SendMessage&QueueUrl={url}&MessageBody=m");
    let (status, xml) = s.query(&query).unwrap();
    assert_eq!(status, 400);
    assert!(xml.contains("<Code>ThrottlingException</Code>") && xml.contains("<Type>Sender</Type>"), "{xml}");
    s.ok("SendMessage", json!({"QueueUrl": url, "MessageBody": "the count is used up"}));
    let (_, listed) = s.admin("GET", "/_admin/faults", Value::Null);
    assert_eq!(listed["faults"][0]["fired"], 2);
    assert_eq!(s.admin("DELETE", &format!("/_admin/faults/{id}"), Value::Null).0, 200);

    // 500 and 503 with AWS's statuses.
    for (code, status, json_type) in [
        ("InternalError", 500, "com.amazon.coral.service#InternalFailure"),
        ("ServiceUnavailable", 503, "com.amazon.coral.availability#ServiceUnavailableException"),
        ("RequestThrottled", 403, "com.amazonaws.sqs#RequestThrottled"),
        ("QueueDoesNotExist", 400, "com.amazonaws.sqs#QueueDoesNotExist"),
    ] {
        s.admin("DELETE", "/_admin/faults", Value::Null);
        s.admin("POST", "/_admin/faults", json!({"action": "ReceiveMessage", "error": code}));
        let (got, answer) = s.sqs("ReceiveMessage", json!({"QueueUrl": url}));
        assert_eq!((got, answer["__type"].as_str()), (status, Some(json_type)), "{code}");
        let (got, xml) = s.query(&format!("Action=ReceiveMessage&QueueUrl={url}")).unwrap();
        assert_eq!(got, status, "{code}: {xml}");
    }
    s.admin("DELETE", "/_admin/faults", Value::Null);

    // Probability 0 never fires; latency delays; a dropped connection gets no answer.
    s.admin("POST", "/_admin/faults", json!({"error": "InternalError", "probability": 0.0}));
    s.ok("ListQueues", json!({}));
    s.admin("DELETE", "/_admin/faults", Value::Null);
    s.admin("POST", "/_admin/faults", json!({"action": "ListQueues", "latencyMs": 300}));
    let started = Instant::now();
    s.ok("ListQueues", json!({}));
    assert!(started.elapsed() >= Duration::from_millis(300));
    s.admin("DELETE", "/_admin/faults", Value::Null);
    s.admin("POST", "/_admin/faults", json!({"action": "ListQueues", "dropConnection": true, "count": 1}));
    let headers = "X-Amz-Target: AmazonSQS.ListQueues\r\nContent-Type: application/x-amz-json-1.0\r\n";
    assert!(s.http("POST", "/", headers, "{}").is_none(), "the connection closed without an answer");
    s.ok("ListQueues", json!({}));
}
