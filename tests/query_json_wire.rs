//! AWS Query requests that ask for JSON (`Accept: application/json` or `ContentType=JSON`): the
//! Query document's structure as JSON, lists in lower camel case, absent members null, errors as
//! `{"Error": {...}, "RequestId"}` (src/protocol/query_json.rs gives the evidence).

mod common;

use common::*;
use serde_json::{json, Value};

/// A Query request with `Accept: application/json`; returns the status and the parsed body.
async fn query_json(server: &TestServer, params: &[(&str, &str)]) -> (u16, Value) {
    let body = serde_urlencoded::to_string(params).unwrap();
    let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")];
    let reply = post(&server.addr, "/", &headers, body.as_bytes()).await;
    assert_eq!(reply.header("content-type"), Some("application/json"), "{}", reply.text());
    let json = reply.json();
    if reply.status == 200 {
        let action = params.iter().find(|(k, _)| *k == "Action").unwrap().1;
        assert_eq!(json[format!("{action}Response")]["ResponseMetadata"]["RequestId"], reply.request_id());
    }
    (reply.status, json)
}

/// `<Action>Response.<Action>Result` of a successful request.
async fn result(server: &TestServer, params: &[(&str, &str)]) -> Value {
    let (status, body) = query_json(server, params).await;
    assert_eq!(status, 200, "{body}");
    let action = params.iter().find(|(k, _)| *k == "Action").unwrap().1;
    body[format!("{action}Response")][format!("{action}Result")].clone()
}

#[tokio::test]
async fn every_action_answers_json_when_asked() {
    let server = start_server().await;
    let create = result(&server, &[("Action", "CreateQueue"), ("QueueName", "qj")]).await;
    let url = create["QueueUrl"].as_str().unwrap().to_string();
    assert_eq!(url, server.queue_url("qj"));
    let dlq_url = result(&server, &[("Action", "CreateQueue"), ("QueueName", "qj-dlq")]).await["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(result(&server, &[("Action", "GetQueueUrl"), ("QueueName", "qj")]).await, json!({"QueueUrl": url}));

    let listed = result(&server, &[("Action", "ListQueues"), ("QueueNamePrefix", "qj")]).await;
    assert_eq!(listed, json!({"NextExclusiveStartQueueName": null, "NextToken": null, "queueUrls": [url, dlq_url]}));
    let none = result(&server, &[("Action", "ListQueues"), ("QueueNamePrefix", "zz")]).await;
    assert_eq!(none["queueUrls"], Value::Null, "an absent list is null");

    let attributes = result(
        &server,
        &[("Action", "GetQueueAttributes"), ("QueueUrl", &url), ("AttributeName.1", "VisibilityTimeout")],
    )
    .await;
    assert_eq!(attributes, json!({"attributes": {"VisibilityTimeout": "30"}}));
    let set = [("Attribute.1.Name", "DelaySeconds"), ("Attribute.1.Value", "0")];
    let (status, body) =
        query_json(&server, &[&[("Action", "SetQueueAttributes"), ("QueueUrl", &url)], &set[..]].concat()).await;
    assert_eq!(status, 200);
    assert!(body["SetQueueAttributesResponse"].get("SetQueueAttributesResult").is_none(), "unit action: {body}");

    result(&server, &[("Action", "TagQueue"), ("QueueUrl", &url), ("Tag.1.Key", "team"), ("Tag.1.Value", "a")]).await;
    assert_eq!(
        result(&server, &[("Action", "ListQueueTags"), ("QueueUrl", &url)]).await,
        json!({"tags": {"team": "a"}})
    );
    result(&server, &[("Action", "UntagQueue"), ("QueueUrl", &url), ("TagKey.1", "team")]).await;
    assert_eq!(result(&server, &[("Action", "ListQueueTags"), ("QueueUrl", &url)]).await, json!({"tags": null}));
    let permission = [("Label", "l"), ("AWSAccountId.1", "111111111111"), ("ActionName.1", "SendMessage")];
    result(&server, &[&[("Action", "AddPermission"), ("QueueUrl", &url)], &permission[..]].concat()).await;
    result(&server, &[("Action", "RemovePermission"), ("QueueUrl", &url), ("Label", "l")]).await;

    let sent = result(
        &server,
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "hello"),
            ("MessageAttribute.1.Name", "City"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", "Any City"),
        ],
    )
    .await;
    assert_eq!(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(sent["MD5OfMessageAttributes"].as_str().map(str::len), Some(32));
    assert_eq!(sent["MD5OfMessageSystemAttributes"], Value::Null);
    assert_eq!(sent["SequenceNumber"], Value::Null);
    let message_id = sent["MessageId"].as_str().unwrap().to_string();

    let received = result(
        &server,
        &[
            ("Action", "ReceiveMessage"),
            ("QueueUrl", &url),
            ("AttributeName.1", "ApproximateReceiveCount"),
            ("MessageAttributeName.1", "All"),
        ],
    )
    .await;
    let message = &received["messages"][0];
    assert_eq!(message["Body"], "hello");
    assert_eq!(message["MessageId"], message_id.as_str());
    assert_eq!(message["MD5OfBody"], "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(message["attributes"], json!({"ApproximateReceiveCount": "1"}));
    assert_eq!(
        message["messageAttributes"],
        json!({"City": {"BinaryValue": null, "DataType": "String", "StringValue": "Any City"}})
    );
    let handle = message["ReceiptHandle"].as_str().unwrap().to_string();
    let empty = result(&server, &[("Action", "ReceiveMessage"), ("QueueUrl", &dlq_url)]).await;
    assert_eq!(empty, json!({"messages": null}));

    let changed = result(
        &server,
        &[
            ("Action", "ChangeMessageVisibilityBatch"),
            ("QueueUrl", &url),
            ("ChangeMessageVisibilityBatchRequestEntry.1.Id", "a"),
            ("ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle", &handle),
            ("ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout", "10"),
        ],
    )
    .await;
    assert_eq!(changed, json!({"failed": null, "successful": [{"Id": "a"}]}));
    result(
        &server,
        &[
            ("Action", "ChangeMessageVisibility"),
            ("QueueUrl", &url),
            ("ReceiptHandle", &handle),
            ("VisibilityTimeout", "5"),
        ],
    )
    .await;
    let deleted = result(
        &server,
        &[
            ("Action", "DeleteMessageBatch"),
            ("QueueUrl", &url),
            ("DeleteMessageBatchRequestEntry.1.Id", "x"),
            ("DeleteMessageBatchRequestEntry.1.ReceiptHandle", "garbage"),
        ],
    )
    .await;
    assert_eq!(
        deleted,
        json!({"failed": [{"Code": "ReceiptHandleIsInvalid", "Id": "x",
            "Message": "The input receipt handle \"garbage\" is not a valid receipt handle.", "SenderFault": true}],
            "successful": null})
    );
    result(&server, &[("Action", "DeleteMessage"), ("QueueUrl", &url), ("ReceiptHandle", &handle)]).await;

    let batch = result(
        &server,
        &[
            ("Action", "SendMessageBatch"),
            ("QueueUrl", &url),
            ("SendMessageBatchRequestEntry.1.Id", "one"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "1"),
        ],
    )
    .await;
    assert_eq!(batch["failed"], Value::Null);
    assert_eq!(batch["successful"][0]["Id"], "one");
    assert_eq!(batch["successful"][0]["MD5OfMessageBody"], "c4ca4238a0b923820dcc509a6f75849b");
    result(&server, &[("Action", "PurgeQueue"), ("QueueUrl", &url)]).await;

    let dlq_arn = "arn:aws:sqs:us-east-1:000000000000:qj-dlq";
    let policy = format!("{{\"deadLetterTargetArn\":\"{dlq_arn}\",\"maxReceiveCount\":1}}");
    let set = [("Attribute.1.Name", "RedrivePolicy"), ("Attribute.1.Value", policy.as_str())];
    result(&server, &[&[("Action", "SetQueueAttributes"), ("QueueUrl", &url)], &set[..]].concat()).await;
    let sources = result(&server, &[("Action", "ListDeadLetterSourceQueues"), ("QueueUrl", &dlq_url)]).await;
    assert_eq!(sources, json!({"NextToken": null, "queueUrls": [url]}));
    let started = result(&server, &[("Action", "StartMessageMoveTask"), ("SourceArn", dlq_arn)]).await;
    assert!(started["TaskHandle"].is_string());
    let tasks = result(&server, &[("Action", "ListMessageMoveTasks"), ("SourceArn", dlq_arn)]).await;
    assert_eq!(tasks["results"][0]["SourceArn"], dlq_arn);
    let (status, body) = query_json(
        &server,
        &[("Action", "CancelMessageMoveTask"), ("TaskHandle", started["TaskHandle"].as_str().unwrap())],
    )
    .await;
    // The task over an empty queue completes at once, so cancelling it is refused; either way the
    // answer is JSON.
    assert!(status == 200 || body["Error"]["Code"] == "InvalidParameterValue", "{body}");
    result(&server, &[("Action", "DeleteQueue"), ("QueueUrl", &url)]).await;
}

#[tokio::test]
async fn errors_and_the_content_type_parameter() {
    let server = start_server().await;
    let (status, body) = query_json(&server, &[("Action", "GetQueueUrl"), ("QueueName", "nope")]).await;
    assert_eq!(status, 400);
    assert_eq!(body["Error"]["Code"], "AWS.SimpleQueueService.NonExistentQueue");
    assert_eq!(body["Error"]["Message"], "The specified queue does not exist for this wsdl version.");
    assert_eq!(body["Error"]["Type"], "Sender");
    assert!(body["RequestId"].is_string());

    // The legacy ContentType=JSON parameter asks for the same rendering.
    let params = [("Action", "CreateQueue"), ("QueueName", "ct"), ("ContentType", "JSON")];
    let reply = query(&server, &params).await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.json()["CreateQueueResponse"]["CreateQueueResult"]["QueueUrl"], server.queue_url("ct"));
    // Without either, Query answers XML.
    let reply = query(&server, &[("Action", "GetQueueUrl"), ("QueueName", "ct")]).await;
    assert!(reply.text().starts_with("<?xml"));
}
