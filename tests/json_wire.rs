//! AWS JSON 1.0 on the wire: bodies, headers and error shapes, checked against what SQS returns
//! (shared/sqs-reference.md §2 and the recorded AWS responses).

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn create_send_receive_delete_shapes() {
    let server = start_server().await;
    let reply = json(&server, "CreateQueue", json!({"QueueName": "wire-json"})).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/x-amz-json-1.0"));
    assert!(uuid::Uuid::parse_str(reply.request_id()).is_ok());
    let url = server.queue_url("wire-json");
    assert_eq!(reply.json(), json!({"QueueUrl": url}));

    let reply = json(
        &server,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "msg", "MessageAttributes": {
            "General": {"DataType": "String", "StringValue": "Kenobi"},
            "Hello": {"DataType": "String", "StringValue": "There"},
            "Help.Me": {"DataType": "String", "StringValue": "Me"}}}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let sent = reply.json();
    // Digests AWS returned for exactly these inputs (recorded).
    assert_eq!(sent["MD5OfMessageBody"], "6e2baaf3b97dbeef01c0043275f9a0e7");
    assert_eq!(sent["MD5OfMessageAttributes"], "4c360f3fdafd970e05fae2f149d997f5");
    assert!(sent.get("SequenceNumber").is_none(), "standard queues have no SequenceNumber");
    assert!(sent.get("MD5OfMessageSystemAttributes").is_none());

    let reply = json(
        &server,
        "ReceiveMessage",
        json!({"QueueUrl": url, "MessageAttributeNames": ["Hel.*"], "MessageSystemAttributeNames": ["ApproximateReceiveCount"]}),
    )
    .await;
    let messages = reply.json()["Messages"].as_array().unwrap().clone();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["Body"], "msg");
    assert_eq!(m["MessageId"], sent["MessageId"]);
    assert_eq!(m["MD5OfBody"], "6e2baaf3b97dbeef01c0043275f9a0e7");
    // Only the selected attributes are returned, and the digest covers only them.
    assert_eq!(m["MD5OfMessageAttributes"], "83fee93c1bcd8b9a5a923ffacdc636c7");
    assert_eq!(
        m["MessageAttributes"],
        json!({"Hello": {"DataType": "String", "StringValue": "There"}, "Help.Me": {"DataType": "String", "StringValue": "Me"}})
    );
    assert_eq!(m["Attributes"], json!({"ApproximateReceiveCount": "1"}));

    let reply = json(&server, "DeleteMessage", json!({"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]})).await;
    assert_eq!(reply.status, 200);
    // An empty receive has no Messages key at all.
    let reply = json(&server, "ReceiveMessage", json!({"QueueUrl": url})).await;
    assert_eq!(reply.json(), json!({}));
}

#[tokio::test]
async fn errors_carry_type_message_status_and_query_error_header() {
    let server = start_server().await;
    let reply = json(&server, "GetQueueUrl", json!({"QueueName": "missing"})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("x-amzn-query-error"), Some("AWS.SimpleQueueService.NonExistentQueue;Sender"));
    assert_eq!(
        reply.json(),
        json!({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."})
    );
    assert!(reply.header("x-amzn-requestid").is_some());

    let url = create_queue(&server, "errs", json!({})).await;
    let reply = json(&server, "ReceiveMessage", json!({"QueueUrl": url, "MaxNumberOfMessages": 11})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("x-amzn-query-error"), Some("InvalidParameterValue;Sender"));
    assert_eq!(
        reply.json(),
        json!({"__type": "com.amazon.coral.service#InvalidParameterValueException",
               "message": "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."})
    );

    let reply = json(&server, "SendMessage", json!({"QueueUrl": url})).await;
    assert_eq!(reply.header("x-amzn-query-error"), Some("MissingParameter;Sender"));
    assert_eq!(reply.json()["message"], "The request must contain the parameter MessageBody.");
    assert_eq!(reply.json()["__type"], "com.amazon.coral.service#MissingRequiredParameterException");

    let reply = json(&server, "Frobnicate", json!({})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["__type"], "com.amazon.coral.service#UnknownOperationException");
}

#[tokio::test]
async fn json_posted_to_a_queue_path_is_json() {
    let server = start_server().await;
    let url = create_queue(&server, "pathq", json!({})).await;
    let body = json!({"QueueUrl": url, "MessageBody": "x"}).to_string();
    let reply = post(
        &server.addr,
        "/000000000000/pathq",
        &[("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", "AmazonSQS.SendMessage")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(reply.json()["MessageId"].is_string());
}

#[tokio::test]
async fn batch_shapes_and_partial_failures() {
    let server = start_server().await;
    let url = create_queue(&server, "batchq", json!({"MaximumMessageSize": "1024"})).await;
    let big = "x".repeat(1025);
    let reply = json(
        &server,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [
            {"Id": "ok", "MessageBody": "fine"},
            {"Id": "big", "MessageBody": big},
            {"Id": "bad", "MessageBody": "a\u{0}b"}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["Successful"].as_array().unwrap().len(), 1);
    assert_eq!(body["Successful"][0]["Id"], "ok");
    let failed = body["Failed"].as_array().unwrap();
    assert_eq!(failed.len(), 2);
    assert_eq!(
        failed[0],
        json!({"Id": "big", "SenderFault": true, "Code": "InvalidParameterValue",
               "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes."})
    );
    assert_eq!(failed[1]["Code"], "InvalidMessageContents");

    // An empty list is left out, as AWS leaves it out (recorded:
    // test_send_message_batch_with_oversized_contents_with_updated_maximum_message_size[sqs]).
    let reply =
        json(&server, "SendMessageBatch", json!({"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "b"}]})).await;
    assert!(reply.json().get("Failed").is_none(), "{}", reply.text());
    assert_eq!(reply.json()["Successful"][0]["Id"], "a");

    let reply = json(
        &server,
        "DeleteMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "x", "ReceiptHandle": "garbage"}]}),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"Failed": [{"Id": "x", "SenderFault": true, "Code": "ReceiptHandleIsInvalid",
               "Message": "The input receipt handle \"garbage\" is not a valid receipt handle."}]})
    );

    let entries: Vec<_> = (0..11).map(|i| json!({"Id": format!("e{i}"), "MessageBody": "b"})).collect();
    let reply = json(&server, "SendMessageBatch", json!({"QueueUrl": url, "Entries": entries})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("x-amzn-query-error"), Some("AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender"));
    assert_eq!(reply.json()["message"], "Maximum number of entries per request are 10. You have sent 11.");

    let reply = json(
        &server,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "b"}, {"Id": "a", "MessageBody": "c"}]}),
    )
    .await;
    assert_eq!(reply.header("x-amzn-query-error"), Some("AWS.SimpleQueueService.BatchEntryIdsNotDistinct;Sender"));
    let reply = json(&server, "SendMessageBatch", json!({"QueueUrl": url, "Entries": []})).await;
    assert_eq!(reply.header("x-amzn-query-error"), Some("AWS.SimpleQueueService.EmptyBatchRequest;Sender"));
    let reply = json(
        &server,
        "SendMessageBatch",
        json!({"QueueUrl": url, "Entries": [{"Id": "in:valid", "MessageBody": "c"}]}),
    )
    .await;
    assert_eq!(reply.header("x-amzn-query-error"), Some("AWS.SimpleQueueService.InvalidBatchEntryId;Sender"));
}

#[tokio::test]
async fn dead_letter_source_queues_use_lower_case_queue_urls() {
    let server = start_server().await;
    let dlq = create_queue(&server, "dlq", json!({})).await;
    let arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
    let policy = json!({"deadLetterTargetArn": arn, "maxReceiveCount": 2}).to_string();
    let src = create_queue(&server, "src", json!({"RedrivePolicy": policy})).await;
    let reply = json(&server, "ListDeadLetterSourceQueues", json!({"QueueUrl": dlq})).await;
    assert_eq!(reply.json(), json!({"queueUrls": [src]}));
    let reply =
        json(&server, "GetQueueAttributes", json!({"QueueUrl": src, "AttributeNames": ["RedrivePolicy"]})).await;
    // AWS echoes maxReceiveCount as a number.
    assert_eq!(
        reply.json()["Attributes"]["RedrivePolicy"],
        format!("{{\"deadLetterTargetArn\":\"{arn}\",\"maxReceiveCount\":2}}")
    );
}

/// Every empty list or map is left out of a JSON response, as AWS leaves out `Failed` when no entry
/// failed (recorded: test_send_message_batch_with_oversized_contents_with_updated_maximum_message_size[sqs]).
#[tokio::test]
async fn json_responses_leave_out_empty_lists_and_maps() {
    fn assert_no_empty(value: &serde_json::Value, context: &str) {
        match value {
            serde_json::Value::Array(items) => {
                assert!(!items.is_empty(), "{context}: empty list");
                items.iter().for_each(|v| assert_no_empty(v, context));
            }
            serde_json::Value::Object(map) => {
                assert!(!map.is_empty() || context.ends_with("(unit)"), "{context}: empty map");
                map.values().for_each(|v| assert_no_empty(v, context));
            }
            _ => {}
        }
    }
    let server = start_server().await;
    let url = create_queue(&server, "omit", json!({})).await;
    let arn = "arn:aws:sqs:us-east-1:000000000000:omit";
    let calls = [
        ("ListQueues", json!({"QueueNamePrefix": "none-such"})),
        ("ListQueueTags", json!({"QueueUrl": url})),
        ("GetQueueAttributes", json!({"QueueUrl": url})),
        ("ReceiveMessage", json!({"QueueUrl": url})),
        ("ListDeadLetterSourceQueues", json!({"QueueUrl": url})),
        ("ListMessageMoveTasks", json!({"SourceArn": arn})),
        ("SendMessageBatch", json!({"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "b"}]})),
        ("SendMessageBatch", json!({"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": "\u{0}"}]})),
        ("DeleteMessageBatch", json!({"QueueUrl": url, "Entries": [{"Id": "a", "ReceiptHandle": "garbage"}]})),
        (
            "ChangeMessageVisibilityBatch",
            json!({"QueueUrl": url, "Entries": [{"Id": "a", "ReceiptHandle": "garbage", "VisibilityTimeout": 1}]}),
        ),
    ];
    for (action, body) in calls {
        let reply = json(&server, action, body).await;
        assert_eq!(reply.status, 200, "{action}: {}", reply.text());
        let context = if reply.json().as_object().is_some_and(|m| m.is_empty()) {
            format!("{action} (unit)")
        } else {
            action.to_string()
        };
        assert_no_empty(&reply.json(), &context);
    }
}
