//! A battery of bad requests: each gets the SQS error AWS would give (code and status), in the
//! protocol of the request; nothing panics or hangs; messages stored before are all still there.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

const JSON_HEADERS: [(&str, &str); 2] =
    [("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", "AmazonSQS.ReceiveMessage")];

async fn within_time(reply: impl std::future::Future<Output = HttpReply>) -> HttpReply {
    tokio::time::timeout(Duration::from_secs(10), reply).await.expect("the server answers, it does not hang")
}

/// A JSON request's answer: status, and the legacy code from x-amzn-query-error.
fn json_code(reply: &HttpReply) -> (u16, String) {
    assert!(reply.header("x-amzn-requestid").is_some());
    (reply.status, reply.query_error_code())
}

/// No decoder's own words ("invalid type: ... expected ...", "line 1 column 5") reach a client.
fn assert_no_parser_text(reply: &HttpReply) {
    let text = reply.text();
    for parser_words in ["invalid type", "expected", "line ", "column", "EOF"] {
        assert!(!text.contains(parser_words), "parser text in {text}");
    }
}

fn xml_code(reply: &HttpReply) -> (u16, String) {
    assert!(reply.text().starts_with("<?xml"), "Query errors are XML: {}", reply.text());
    (reply.status, xml_value(&reply.text(), "Code").unwrap_or_default())
}

#[tokio::test]
async fn bad_requests_get_sqs_errors_and_lose_nothing() {
    let server = start_server().await;
    let url = create_queue(&server, "battery", json!({})).await;
    for i in 0..25 {
        let reply = json(&server, "SendMessage", json!({"QueueUrl": url, "MessageBody": format!("keep-{i}")})).await;
        assert_eq!(reply.status, 200);
    }

    // Malformed and truncated JSON bodies.
    for body in [&b"{\"QueueUrl\": \""[..], b"[1,2]", b"not json", b"{\"a\":", b"\xff\xfe{}"] {
        let reply = within_time(post(&server.addr, "/", &JSON_HEADERS, body)).await;
        assert_eq!(reply.status, 400, "{:?}", String::from_utf8_lossy(body));
        assert!(reply.json()["__type"].is_string());
        assert_no_parser_text(&reply);
    }

    // Wrong types, out-of-range and huge numbers.
    let cases = [
        (json!({"QueueUrl": url, "MaxNumberOfMessages": "abc"}), "InvalidParameterValue"),
        (json!({"QueueUrl": url, "MaxNumberOfMessages": 0}), "InvalidParameterValue"),
        (json!({"QueueUrl": url, "MaxNumberOfMessages": -1}), "InvalidParameterValue"),
        (json!({"QueueUrl": url, "MaxNumberOfMessages": 99999999999999999999u128 as f64}), "InvalidParameterValue"),
        (json!({"QueueUrl": url, "WaitTimeSeconds": 21}), "InvalidParameterValue"),
        (json!({"QueueUrl": url, "VisibilityTimeout": 43201}), "InvalidParameterValue"),
        (json!({"QueueUrl": url, "MessageAttributeNames": "All"}), "MalformedQueryString"),
        (json!({"QueueUrl": 17}), "MalformedQueryString"),
        (json!({}), "MissingParameter"),
    ];
    for (body, code) in cases {
        let reply = within_time(json(&server, "ReceiveMessage", body.clone())).await;
        assert_eq!(json_code(&reply), (400, code.to_string()), "{body}");
        assert_no_parser_text(&reply);
    }
    let reply =
        within_time(json(&server, "SendMessage", json!({"QueueUrl": url, "MessageBody": "x", "DelaySeconds": 901})))
            .await;
    assert_eq!(json_code(&reply), (400, "InvalidParameterValue".into()));
    let reply = within_time(json(&server, "SendMessage", json!({"QueueUrl": url, "MessageBody": "\u{1}"}))).await;
    assert_eq!(json_code(&reply), (400, "InvalidMessageContents".into()));
    let reply =
        within_time(json(&server, "SendMessage", json!({"QueueUrl": url, "MessageBody": "x".repeat(1_048_577)}))).await;
    assert_eq!(json_code(&reply), (400, "InvalidParameterValue".into()));
    assert_eq!(
        reply.json()["message"],
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
    );
    // Exactly the maximum is accepted... and then deleted again below so the count stays 25.
    let reply =
        within_time(json(&server, "SendMessage", json!({"QueueUrl": url, "MessageBody": "x".repeat(1_048_576)}))).await;
    assert_eq!(reply.status, 200);
    let exact_id = reply.json()["MessageId"].as_str().unwrap().to_string();

    // Unknown actions and unknown queues, both protocols.
    let reply = within_time(json(&server, "DropAllTables", json!({}))).await;
    assert_eq!(json_code(&reply), (400, "UnknownOperationException".into()));
    let reply = within_time(query(&server, &[("Action", "DropAllTables")])).await;
    assert_eq!(xml_code(&reply), (400, "InvalidAction".into()));
    let reply = within_time(json(
        &server,
        "SendMessage",
        json!({"QueueUrl": "http://x/000000000000/nope", "MessageBody": "x"}),
    ))
    .await;
    assert_eq!(json_code(&reply), (400, "AWS.SimpleQueueService.NonExistentQueue".into()));

    // Query: wrong types, invalid UTF-8, bad escapes.
    let reply = within_time(query(
        &server,
        &[("Action", "ReceiveMessage"), ("QueueUrl", &url), ("MaxNumberOfMessages", "ten")],
    ))
    .await;
    assert_eq!(xml_code(&reply), (400, "InvalidParameterValue".into()));
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let reply =
        within_time(post(&server.addr, "/", &form, b"Action=SendMessage&QueueUrl=battery&MessageBody=%FF%FE")).await;
    assert_eq!(xml_code(&reply), (400, "MalformedQueryString".into()));
    assert_eq!(xml_value(&reply.text(), "Message").as_deref(), Some("The query string contains a syntax error."));
    let reply = within_time(post(&server.addr, "/", &form, b"Action=SendMessage&MessageBody=%G1")).await;
    assert_eq!(reply.status, 400);
    assert_no_parser_text(&reply);

    // Invalid receipt handles.
    for handle in ["garbage", "", "AAAA", &"Z".repeat(5000)] {
        let reply =
            within_time(json(&server, "DeleteMessage", json!({"QueueUrl": url, "ReceiptHandle": handle}))).await;
        assert_eq!(json_code(&reply), (404, "ReceiptHandleIsInvalid".into()), "{handle:.20}");
        let reply = within_time(json(
            &server,
            "ChangeMessageVisibility",
            json!({"QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": 5}),
        ))
        .await;
        assert_eq!(reply.status, 404);
    }

    // A 10 MiB body is refused without being processed.
    let huge = vec![b'a'; 10 * 1024 * 1024];
    let reply = within_time(post(&server.addr, "/", &JSON_HEADERS, &huge)).await;
    assert_eq!(reply.status, 413);
    assert!(reply.json()["__type"].is_string());

    // Not HTTP at all: hyper answers 400 and closes.
    let reply = tokio::time::timeout(Duration::from_secs(10), async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
        stream.write_all(b"\x00\x01garbage\r\n\r\n").await.unwrap();
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf).await;
        buf
    })
    .await
    .expect("no hang");
    assert!(reply.is_empty() || reply.starts_with(b"HTTP/1.1 400"));

    // Everything stored before is still there, exactly once.
    let mut bodies = std::collections::BTreeSet::new();
    loop {
        let reply = json(&server, "ReceiveMessage", json!({"QueueUrl": url, "MaxNumberOfMessages": 10})).await;
        let messages = reply.json()["Messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for m in messages {
            if m["MessageId"] == exact_id.as_str() {
                continue;
            }
            assert!(bodies.insert(m["Body"].as_str().unwrap().to_string()), "duplicate delivery");
        }
    }
    let expected: std::collections::BTreeSet<_> = (0..25).map(|i| format!("keep-{i}")).collect();
    assert_eq!(bodies, expected);
}

/// A queue URL path is `/<account>/<name>` or `/queue/<region>/<account>/<name>`; a path with
/// extra segments acts on no queue: posted to, it is AWS's InvalidAddress (404); as a QueueUrl
/// parameter, a queue that does not exist.
#[tokio::test]
async fn hostile_queue_paths_touch_no_queue() {
    let server = start_server().await;
    let url = create_queue(&server, "victim", json!({})).await;
    for path in [
        "/000000000000/../../victim",
        "/000000000000/%2e%2e/%2e%2e/victim",
        "/a/b/c/000000000000/victim",
        "/victim",
        "/queue/us-east-1/000000000000/x/victim",
    ] {
        let reply = within_time(query_at(&server, path, &[("Action", "DeleteQueue")])).await;
        assert_eq!(xml_code(&reply), (404, "InvalidAddress".into()), "{path}");
        assert_eq!(
            xml_value(&reply.text(), "Message"),
            Some(format!("The address http://{}{path} is not valid for this endpoint.", server.addr))
        );
        let hostile_url = format!("http://{}{path}", server.addr);
        let reply = within_time(json(&server, "DeleteQueue", json!({"QueueUrl": hostile_url}))).await;
        assert_eq!(json_code(&reply), (400, "AWS.SimpleQueueService.NonExistentQueue".into()), "{path}");
        let reply = within_time(query(&server, &[("Action", "DeleteQueue"), ("QueueUrl", &hostile_url)])).await;
        assert_eq!(xml_code(&reply), (400, "AWS.SimpleQueueService.NonExistentQueue".into()), "{path}");
    }
    let reply = json(&server, "GetQueueUrl", json!({"QueueName": "victim"})).await;
    assert_eq!(reply.json()["QueueUrl"], url, "the queue is still there");
    // The region-in-path style names the queue.
    let reply = query_at(&server, "/queue/us-east-1/000000000000/victim", &[("Action", "GetQueueAttributes")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}
