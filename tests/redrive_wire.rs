//! RedrivePolicy and RedriveAllowPolicy validation through both protocols, and dead-letter retention
//! (shared/sqs-reference.md §5 items 15, 21–23, §6, §7.6). Where AWS's exact wording is not
//! recorded, the tests check the code and status only.

mod common;

use common::*;
use serde_json::json;

fn policy(arn: &str, count: serde_json::Value) -> String {
    json!({"deadLetterTargetArn": arn, "maxReceiveCount": count}).to_string()
}

async fn set_json(server: &TestServer, url: &str, name: &str, value: &str) -> (u16, String, String) {
    let reply = json(server, "SetQueueAttributes", json!({"QueueUrl": url, "Attributes": {name: value}})).await;
    let code = reply.query_error_code();
    (reply.status, code, reply.json()["message"].as_str().unwrap_or("").to_string())
}

async fn set_query(server: &TestServer, url: &str, name: &str, value: &str) -> (u16, String) {
    let reply = query(
        server,
        &[
            ("Action", "SetQueueAttributes"),
            ("QueueUrl", url),
            ("Attribute.1.Name", name),
            ("Attribute.1.Value", value),
        ],
    )
    .await;
    (reply.status, xml_value(&reply.text(), "Code").unwrap_or_default())
}

#[tokio::test]
async fn redrive_policy_validation_in_both_protocols() {
    let server = start_server().await;
    create_queue(&server, "dlq", json!({})).await;
    create_queue(&server, "dlq.fifo", json!({"FifoQueue": "true"})).await;
    let src = create_queue(&server, "src", json!({})).await;
    let dlq_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";

    let bad = [
        ("not json".to_string(), "InvalidAttributeValue"),
        (policy(dlq_arn, json!(0)), "InvalidParameterValue"),
        (policy(dlq_arn, json!(1001)), "InvalidParameterValue"),
        (policy(dlq_arn, json!("many")), "InvalidParameterValue"),
        (policy("not-an-arn", json!(3)), "InvalidParameterValue"),
        (policy("arn:aws:sqs:us-east-1:000000000000:missing", json!(3)), "InvalidParameterValue"),
        (policy("arn:aws:sqs:us-east-1:000000000000:dlq.fifo", json!(3)), "InvalidParameterValue"),
        (json!({"maxReceiveCount": 3}).to_string(), "InvalidParameterValue"),
    ];
    for (value, expected) in &bad {
        let (status, code, _) = set_json(&server, &src, "RedrivePolicy", value).await;
        assert_eq!((status, code.as_str()), (400, *expected), "JSON {value}");
        let (status, code) = set_query(&server, &src, "RedrivePolicy", value).await;
        assert_eq!((status, code.as_str()), (400, *expected), "Query {value}");
    }
    let (_, _, message) = set_json(&server, &src, "RedrivePolicy", &policy(dlq_arn, json!(0))).await;
    assert!(message
        .ends_with("Reason: Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive."));

    // Valid as a number or a string; echoed with a number; removed with "".
    for count in [json!(5), json!("5")] {
        let (status, _, _) = set_json(&server, &src, "RedrivePolicy", &policy(dlq_arn, count)).await;
        assert_eq!(status, 200);
    }
    let reply =
        json(&server, "GetQueueAttributes", json!({"QueueUrl": src, "AttributeNames": ["RedrivePolicy"]})).await;
    assert_eq!(reply.json()["Attributes"]["RedrivePolicy"], policy(dlq_arn, json!(5)));
    let (status, _) = set_query(&server, &src, "RedrivePolicy", "").await;
    assert_eq!(status, 200);
    let reply =
        json(&server, "GetQueueAttributes", json!({"QueueUrl": src, "AttributeNames": ["RedrivePolicy"]})).await;
    assert_eq!(reply.json(), json!({}));
}

#[tokio::test]
async fn redrive_allow_policy_is_enforced() {
    let server = start_server().await;
    let deny =
        create_queue(&server, "deny-dlq", json!({"RedriveAllowPolicy": "{\"redrivePermission\":\"denyAll\"}"})).await;
    let allowed_src = "arn:aws:sqs:us-east-1:000000000000:allowed";
    let by_queue = json!({"redrivePermission": "byQueue", "sourceQueueArns": [allowed_src]}).to_string();
    create_queue(&server, "byqueue-dlq", json!({"RedriveAllowPolicy": by_queue})).await;
    let allowed = create_queue(&server, "allowed", json!({})).await;
    let other = create_queue(&server, "other", json!({})).await;

    let (status, code, _) =
        set_json(&server, &other, "RedrivePolicy", &policy("arn:aws:sqs:us-east-1:000000000000:deny-dlq", json!(2)))
            .await;
    assert_eq!((status, code.as_str()), (400, "InvalidParameterValue"));
    let byqueue_arn = "arn:aws:sqs:us-east-1:000000000000:byqueue-dlq";
    let (status, _, _) = set_json(&server, &other, "RedrivePolicy", &policy(byqueue_arn, json!(2))).await;
    assert_eq!(status, 400, "not in sourceQueueArns");
    let (status, _, _) = set_json(&server, &allowed, "RedrivePolicy", &policy(byqueue_arn, json!(2))).await;
    assert_eq!(status, 200);

    // RedriveAllowPolicy shapes.
    for bad in [
        json!({"redrivePermission": "sometimes"}).to_string(),
        json!({"redrivePermission": "byQueue"}).to_string(),
        json!({"redrivePermission": "allowAll", "sourceQueueArns": [allowed_src]}).to_string(),
        json!({"redrivePermission": "byQueue", "sourceQueueArns": (0..11).map(|i| format!("arn:aws:sqs:us-east-1:000000000000:q{i}")).collect::<Vec<_>>()}).to_string(),
    ] {
        let (status, code, _) = set_json(&server, &deny, "RedriveAllowPolicy", &bad).await;
        assert_eq!((status, code.as_str()), (400, "InvalidParameterValue"), "{bad}");
    }
}

#[tokio::test]
async fn dead_letters_keep_their_attributes_and_source_arn_through_query() {
    let server = start_server().await;
    create_queue(&server, "dl", json!({})).await;
    let src = create_queue(
        &server,
        "poisoned",
        json!({"VisibilityTimeout": "0", "RedrivePolicy": policy("arn:aws:sqs:us-east-1:000000000000:dl", json!(1))}),
    )
    .await;
    json(
        &server,
        "SendMessage",
        json!({"QueueUrl": src, "MessageBody": "bad", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}),
    )
    .await;
    json(&server, "ReceiveMessage", json!({"QueueUrl": src})).await;
    let reply = json(&server, "ReceiveMessage", json!({"QueueUrl": src})).await;
    assert_eq!(reply.json(), json!({}), "moved on the receive that would exceed maxReceiveCount");
    let reply = query(
        &server,
        &[
            ("Action", "ReceiveMessage"),
            ("QueueUrl", &server.queue_url("dl")),
            ("AttributeName.1", "All"),
            ("MessageAttributeName.1", "All"),
        ],
    )
    .await;
    let xml = reply.text();
    assert!(xml.contains(
        "<Attribute><Name>DeadLetterQueueSourceArn</Name><Value>arn:aws:sqs:us-east-1:000000000000:poisoned</Value></Attribute>"
    ));
    assert!(xml.contains("<Attribute><Name>ApproximateReceiveCount</Name><Value>2</Value></Attribute>"));
    assert!(xml.contains("<MessageAttribute><Name>k</Name><Value><StringValue>v</StringValue><DataType>String</DataType></Value></MessageAttribute>"));
    let reply =
        query(&server, &[("Action", "ListDeadLetterSourceQueues"), ("QueueUrl", &server.queue_url("dl"))]).await;
    assert!(reply.text().contains(&format!(
        "<ListDeadLetterSourceQueuesResult><QueueUrl>{src}</QueueUrl></ListDeadLetterSourceQueuesResult>"
    )));
}
