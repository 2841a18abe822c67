//! FIFO rules at the wire, through both protocols, with the codes and texts AWS returned
//! (shared/aws-recordings, shared/sqs-reference.md §5, §8).

mod common;

use common::*;
use serde_json::json;

async fn json_error(server: &TestServer, action: &str, body: serde_json::Value) -> (u16, String, String) {
    let reply = json(server, action, body).await;
    let code = reply.query_error_code();
    (reply.status, code, reply.json()["message"].as_str().unwrap_or("").to_string())
}

#[tokio::test]
async fn queue_type_rules() {
    let server = start_server().await;
    let unknown_fifo = (400, "InvalidAttributeName".to_string(), "Unknown Attribute FifoQueue.".to_string());
    assert_eq!(
        json_error(&server, "CreateQueue", json!({"QueueName": "std", "Attributes": {"FifoQueue": "false"}})).await,
        unknown_fifo
    );
    assert_eq!(
        json_error(
            &server,
            "CreateQueue",
            json!({"QueueName": "std", "Attributes": {"ContentBasedDeduplication": "true"}})
        )
        .await,
        (400, "InvalidAttributeName".into(), "Unknown Attribute ContentBasedDeduplication.".into())
    );
    assert_eq!(
        json_error(&server, "CreateQueue", json!({"QueueName": "std", "Attributes": {"DeduplicationScope": "queue"}}))
            .await,
        (
            400,
            "InvalidAttributeName".into(),
            "You can specify the DeduplicationScope only when FifoQueue is set to true.".into()
        )
    );
    let (status, code, _) =
        json_error(&server, "CreateQueue", json!({"QueueName": "nofifo", "Attributes": {"FifoQueue": "true"}})).await;
    assert_eq!((status, code.as_str()), (400, "InvalidParameterValue"));
    let (status, code, _) = json_error(&server, "CreateQueue", json!({"QueueName": "named.fifo"})).await;
    assert_eq!((status, code.as_str()), (400, "InvalidParameterValue"));
    let (status, code, _) = json_error(
        &server,
        "CreateQueue",
        json!({"QueueName": "ht.fifo", "Attributes": {"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"}}),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "InvalidAttributeValue"), "perMessageGroupId needs messageGroup scope");
    let url = create_queue(
        &server,
        "ht.fifo",
        json!({"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"}),
    )
    .await;
    // Setting FifoQueue to the value it has is accepted; changing it is refused; on a standard
    // queue the attribute does not exist (recorded: `test_set_unsupported_attribute_fifo`).
    let reply =
        json(&server, "SetQueueAttributes", json!({"QueueUrl": url, "Attributes": {"FifoQueue": "true"}})).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = query(
        &server,
        &[
            ("Action", "SetQueueAttributes"),
            ("QueueUrl", &url),
            ("Attribute.1.Name", "FifoQueue"),
            ("Attribute.1.Value", "true"),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let changing = "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.";
    assert_eq!(
        json_error(&server, "SetQueueAttributes", json!({"QueueUrl": url, "Attributes": {"FifoQueue": "false"}})).await,
        (400, "InvalidAttributeValue".into(), changing.into())
    );
    let reply = query(
        &server,
        &[
            ("Action", "SetQueueAttributes"),
            ("QueueUrl", &url),
            ("Attribute.1.Name", "FifoQueue"),
            ("Attribute.1.Value", "false"),
        ],
    )
    .await;
    assert_eq!((reply.status, xml_value(&reply.text(), "Code")), (400, Some("InvalidAttributeValue".into())));
    assert_eq!(xml_value(&reply.text(), "Message").as_deref(), Some(changing));
    let std_url = create_queue(&server, "std-set", json!({})).await;
    assert_eq!(
        json_error(&server, "SetQueueAttributes", json!({"QueueUrl": std_url, "Attributes": {"FifoQueue": "true"}}))
            .await,
        unknown_fifo
    );
    let reply = query(
        &server,
        &[
            ("Action", "SetQueueAttributes"),
            ("QueueUrl", &std_url),
            ("Attribute.1.Name", "FifoQueue"),
            ("Attribute.1.Value", "true"),
        ],
    )
    .await;
    assert_eq!(xml_value(&reply.text(), "Message").as_deref(), Some("Unknown Attribute FifoQueue."));
    let reply = json(&server, "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["All"]})).await;
    let attrs = &reply.json()["Attributes"];
    assert_eq!(attrs["FifoQueue"], "true");
    assert_eq!(attrs["ContentBasedDeduplication"], "false");
    assert_eq!(attrs["DeduplicationScope"], "messageGroup");
    assert_eq!(attrs["FifoThroughputLimit"], "perMessageGroupId");
    // CreateQueue again with a different FIFO attribute.
    assert_eq!(
        json_error(
            &server,
            "CreateQueue",
            json!({"QueueName": "ht.fifo", "Attributes": {"FifoQueue": "true", "ContentBasedDeduplication": "true"}})
        )
        .await,
        (
            400,
            "QueueAlreadyExists".into(),
            "A queue already exists with the same name and a different value for attribute ContentBasedDeduplication"
                .into()
        )
    );
}

#[tokio::test]
async fn send_rules_on_fifo_and_standard_queues() {
    let server = start_server().await;
    let fifo = create_queue(&server, "send.fifo", json!({"FifoQueue": "true"})).await;
    let standard = create_queue(&server, "send-std", json!({})).await;
    assert_eq!(
        json_error(
            &server,
            "SendMessage",
            json!({"QueueUrl": fifo, "MessageBody": "x", "MessageDeduplicationId": "d"})
        )
        .await,
        (400, "MissingParameter".into(), "The request must contain the parameter MessageGroupId.".into())
    );
    assert_eq!(
        json_error(
            &server,
            "SendMessageBatch",
            json!({"QueueUrl": fifo, "Entries": [{"Id": "a", "MessageBody": "x", "MessageDeduplicationId": "d"}]})
        )
        .await,
        (400, "InvalidParameterValue".into(), "The request must contain the parameter MessageGroupId.".into())
    );
    assert_eq!(
        json_error(&server, "SendMessage", json!({"QueueUrl": fifo, "MessageBody": "x", "MessageGroupId": "g"})).await,
        (
            400,
            "InvalidParameterValue".into(),
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
                .into()
        )
    );
    assert_eq!(
        json_error(
            &server,
            "SendMessage",
            json!({"QueueUrl": fifo, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d", "DelaySeconds": 2})
        )
        .await,
        (
            400,
            "InvalidParameterValue".into(),
            "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."
                .into()
        )
    );
    assert_eq!(
        json_error(
            &server,
            "SendMessage",
            json!({"QueueUrl": standard, "MessageBody": "x", "MessageGroupId": "group 123"})
        )
        .await,
        (
            400,
            "InvalidParameterValue".into(),
            "Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length."
                .into()
        )
    );
    let (status, code, _) = json_error(
        &server,
        "SendMessage",
        json!({"QueueUrl": standard, "MessageBody": "x", "MessageDeduplicationId": "d"}),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "InvalidParameterValue"));
    // Explicit DelaySeconds 0 is fine on FIFO; MessageGroupId is fine on standard (fair queues).
    let reply = json(
        &server,
        "SendMessage",
        json!({"QueueUrl": fifo, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d", "DelaySeconds": 0}),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["SequenceNumber"].as_str().unwrap().len(), 20);
    let reply =
        json(&server, "SendMessage", json!({"QueueUrl": standard, "MessageBody": "x", "MessageGroupId": "g"})).await;
    assert_eq!(reply.status, 200);
    assert!(reply.json().get("SequenceNumber").is_none());
    let reply = json(
        &server,
        "ReceiveMessage",
        json!({"QueueUrl": standard, "MessageSystemAttributeNames": ["MessageGroupId", "SequenceNumber"]}),
    )
    .await;
    assert_eq!(reply.json()["Messages"][0]["Attributes"], json!({"MessageGroupId": "g"}));
}

#[tokio::test]
async fn fifo_through_query_returns_sequence_numbers_and_group_attributes() {
    let server = start_server().await;
    let url = create_queue(&server, "q.fifo", json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"})).await;
    let reply = query(
        &server,
        &[
            ("Action", "SendMessageBatch"),
            ("QueueUrl", &url),
            ("SendMessageBatchRequestEntry.1.Id", "a"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "first"),
            ("SendMessageBatchRequestEntry.1.MessageGroupId", "g"),
            ("SendMessageBatchRequestEntry.2.Id", "b"),
            ("SendMessageBatchRequestEntry.2.MessageBody", "second"),
            ("SendMessageBatchRequestEntry.2.MessageGroupId", "g"),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text().matches("<SequenceNumber>").count(), 2);
    let receive = [
        ("Action", "ReceiveMessage"),
        ("QueueUrl", url.as_str()),
        ("MaxNumberOfMessages", "10"),
        ("AttributeName.1", "All"),
        ("ReceiveRequestAttemptId", "attempt-1"),
    ];
    let reply = query(&server, &receive).await;
    let xml = reply.text();
    let first = xml.find("<Body>first</Body>").unwrap();
    let second = xml.find("<Body>second</Body>").unwrap();
    assert!(first < second, "group order kept: {xml}");
    assert!(xml.contains("<Attribute><Name>MessageGroupId</Name><Value>g</Value></Attribute>"));
    assert!(xml.contains("<Attribute><Name>MessageDeduplicationId</Name><Value>"));
    // The same attempt id within 5 minutes returns the same messages and handles.
    let retry = query(&server, &receive).await;
    assert_eq!(xml_value(&retry.text(), "ReceiptHandle"), xml_value(&xml, "ReceiptHandle"));
    // Missing group id through Query: MissingParameter.
    let reply = query(&server, &[("Action", "SendMessage"), ("QueueUrl", &url), ("MessageBody", "x")]).await;
    assert_eq!(xml_value(&reply.text(), "Code").as_deref(), Some("MissingParameter"));
}

/// The recorded AWS run `test_fifo_change_to_high_throughput_after_creation`, in both protocols:
/// after switching to messageGroup scope and perMessageGroupId, GetQueueAttributes shows the new
/// values, yet a dedup id from before the switch and one first sent after it are still
/// deduplicated across groups (the receives after those sends come back empty).
#[tokio::test]
async fn dedup_scope_change_follows_the_recording() {
    let server = start_server().await;
    for protocol in ["json", "query"] {
        let name = format!("ht-{protocol}.fifo");
        let url = create_queue(&server, &name, json!({"FifoQueue": "true"})).await;
        let send = |body: &'static str, group: &'static str, dedup: &'static str| {
            let (server, url) = (&server, url.clone());
            async move {
                let reply = if protocol == "json" {
                    let body = json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": group, "MessageDeduplicationId": dedup});
                    json(server, "SendMessage", body).await
                } else {
                    let params = [
                        ("Action", "SendMessage"),
                        ("QueueUrl", &url),
                        ("MessageBody", body),
                        ("MessageGroupId", group),
                        ("MessageDeduplicationId", dedup),
                    ];
                    query(server, &params).await
                };
                assert_eq!(reply.status, 200, "{}", reply.text());
            }
        };
        let receive = || {
            let (server, url) = (&server, url.clone());
            async move {
                let reply = json(server, "ReceiveMessage", json!({"QueueUrl": url, "MaxNumberOfMessages": 10})).await;
                let messages = reply.json()["Messages"].as_array().cloned().unwrap_or_default();
                for m in &messages {
                    json(server, "DeleteMessage", json!({"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]})).await;
                }
                messages.iter().map(|m| m["Body"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>()
            }
        };
        send("Test1", "1", "1").await;
        assert_eq!(receive().await, ["Test1"], "same-dedup-different-grp-1");
        send("Test2", "2", "1").await;
        assert!(receive().await.is_empty(), "same-dedup-different-grp-2");
        let attributes = [("DeduplicationScope", "messageGroup"), ("FifoThroughputLimit", "perMessageGroupId")];
        let reply = if protocol == "json" {
            json(&server, "SetQueueAttributes", json!({"QueueUrl": url, "Attributes": {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}})).await
        } else {
            let params = [
                ("Action", "SetQueueAttributes"),
                ("QueueUrl", &url),
                ("Attribute.1.Name", attributes[0].0),
                ("Attribute.1.Value", attributes[0].1),
                ("Attribute.2.Name", attributes[1].0),
                ("Attribute.2.Value", attributes[1].1),
            ];
            query(&server, &params).await
        };
        assert_eq!(reply.status, 200, "{}", reply.text());
        let reply = json(&server, "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["All"]})).await;
        assert_eq!(reply.json()["Attributes"]["DeduplicationScope"], "messageGroup", "set-to-high-throughput");
        assert_eq!(reply.json()["Attributes"]["FifoThroughputLimit"], "perMessageGroupId");
        send("Test3", "3", "1").await;
        assert!(receive().await.is_empty(), "same-dedup-different-grp-high-throughput");
        assert!(receive().await.is_empty(), "same-dedup-different-grp-high-throughput-2");
        send("Test4", "1", "2").await;
        assert_eq!(receive().await, ["Test4"], "new-dedup2-high-throughput");
        send("Test5", "2", "2").await;
        assert!(receive().await.is_empty(), "same-dedup2-high-throughput");
    }
}

/// Content-based deduplication: the id is the body's SHA-256 in hex (attributes excluded), and with
/// messageGroup scope the same body in another group is not a duplicate (SendMessage API reference).
#[tokio::test]
async fn content_based_dedup_ids_are_the_body_sha256_within_the_scope() {
    let server = start_server().await;
    let attributes =
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup"});
    let url = create_queue(&server, "scope.fifo", attributes).await;
    let send = |group: &'static str| {
        let (server, url) = (&server, url.clone());
        async move {
            let reply =
                json(server, "SendMessage", json!({"QueueUrl": url, "MessageBody": "same", "MessageGroupId": group}))
                    .await;
            reply.json()["MessageId"].as_str().unwrap().to_string()
        }
    };
    let a = send("A").await;
    let b = send("B").await;
    assert_ne!(a, b, "messageGroup scope: other groups are not duplicates");
    assert_eq!(send("A").await, a, "content-based id within the group");
    let reply = json(
        &server,
        "ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "AttributeNames": ["MessageDeduplicationId"]}),
    )
    .await;
    let messages = reply.json()["Messages"].as_array().unwrap().clone();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[0]["Attributes"]["MessageDeduplicationId"],
        "0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5"
    );
}
