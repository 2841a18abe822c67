//! Queue-management rules at the wire: permissions, pagination, attribute validation, tags, batch
//! size, trace header. Codes and texts from shared/sqs-reference.md §5–§7 and the recordings.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn add_and_remove_permission_maintain_the_policy() {
    let server = start_server().await;
    let url = create_queue(&server, "perm", json!({})).await;
    let reply = json(
        &server,
        "AddPermission",
        json!({"QueueUrl": url, "Label": "crossaccount", "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = json(&server, "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["Policy"]})).await;
    let policy: Value = serde_json::from_str(reply.json()["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        policy,
        json!({"Version": "2008-10-17", "Id": "arn:aws:sqs:us-east-1:000000000000:perm/SQSDefaultPolicy",
               "Statement": [{"Sid": "crossaccount", "Effect": "Allow",
                              "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                              "Action": "SQS:SendMessage", "Resource": "arn:aws:sqs:us-east-1:000000000000:perm"}]})
    );
    let reply = json(
        &server,
        "AddPermission",
        json!({"QueueUrl": url, "Label": "crossaccount", "AWSAccountIds": ["111111111111"], "Actions": ["*"]}),
    )
    .await;
    assert_eq!((reply.status, reply.query_error_code()), (400, "InvalidParameterValue".into()));
    assert_eq!(reply.json()["message"], "Value crossaccount for parameter Label is invalid. Reason: Already exists.");
    let eight: Vec<_> = (0..8).map(|i| format!("Action{i}")).collect();
    let reply = json(
        &server,
        "AddPermission",
        json!({"QueueUrl": url, "Label": "many", "AWSAccountIds": ["111111111111"], "Actions": eight}),
    )
    .await;
    assert_eq!((reply.status, reply.query_error_code()), (403, "OverLimit".into()));

    let reply = json(&server, "RemovePermission", json!({"QueueUrl": url, "Label": "other"})).await;
    assert_eq!(reply.json()["message"], "Value other for parameter Label is invalid. Reason: can't find label.");
    let reply = json(&server, "RemovePermission", json!({"QueueUrl": url, "Label": "crossaccount"})).await;
    assert_eq!(reply.status, 200);
    // Removing the last statement removes the policy.
    let reply = json(&server, "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["All"]})).await;
    assert!(reply.json()["Attributes"].get("Policy").is_none());
}

#[tokio::test]
async fn list_queues_prefix_and_pagination() {
    let server = start_server().await;
    for name in ["app-a", "app-b", "app-c", "other"] {
        create_queue(&server, name, json!({})).await;
    }
    let reply = json(&server, "ListQueues", json!({"QueueNamePrefix": ""})).await;
    assert_eq!(reply.json()["QueueUrls"].as_array().unwrap().len(), 4, "an empty prefix means no filter");
    assert!(reply.json().get("NextToken").is_none());
    let reply = json(&server, "ListQueues", json!({"QueueNamePrefix": "app", "MaxResults": 2})).await;
    let page = reply.json();
    assert_eq!(page["QueueUrls"], json!([server.queue_url("app-a"), server.queue_url("app-b")]));
    let token = page["NextToken"].as_str().unwrap().to_string();
    let reply =
        json(&server, "ListQueues", json!({"QueueNamePrefix": "app", "MaxResults": 2, "NextToken": token})).await;
    assert_eq!(reply.json(), json!({"QueueUrls": [server.queue_url("app-c")]}), "the last page has no token");
    let reply = json(&server, "ListQueues", json!({"QueueNamePrefix": "App"})).await;
    assert_eq!(reply.json(), json!({}), "prefixes are case-sensitive");
    let reply = json(&server, "ListQueues", json!({"MaxResults": 0})).await;
    assert_eq!((reply.status, reply.query_error_code()), (400, "InvalidParameterValue".into()));
}

#[tokio::test]
async fn attribute_validation() {
    let server = start_server().await;
    let url = create_queue(&server, "attrs", json!({"DelaySeconds": "5"})).await;
    // Idempotent without attributes even though the queue has non-default ones.
    let reply = json(&server, "CreateQueue", json!({"QueueName": "attrs"})).await;
    assert_eq!(reply.json()["QueueUrl"], url);
    let reply = json(&server, "CreateQueue", json!({"QueueName": "attrs", "Attributes": {"DelaySeconds": "6"}})).await;
    assert_eq!(
        reply.json()["message"],
        "A queue already exists with the same name and a different value for attribute DelaySeconds"
    );
    // Compared with the current values, after SetQueueAttributes.
    json(&server, "SetQueueAttributes", json!({"QueueUrl": url, "Attributes": {"DelaySeconds": "6"}})).await;
    let reply = json(&server, "CreateQueue", json!({"QueueName": "attrs", "Attributes": {"DelaySeconds": "6"}})).await;
    assert_eq!(reply.status, 200);

    for (name, value) in [
        ("VisibilityTimeout", "43201"),
        ("DelaySeconds", "-1"),
        ("MaximumMessageSize", "1023"),
        ("MessageRetentionPeriod", "59"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "abc"),
    ] {
        let reply = json(&server, "SetQueueAttributes", json!({"QueueUrl": url, "Attributes": {name: value}})).await;
        assert_eq!((reply.status, reply.query_error_code()), (400, "InvalidAttributeValue".into()), "{name}={value}");
        assert_eq!(reply.json()["message"], format!("Invalid value for the parameter {name}."));
    }
    for name in ["QueueArn", "ApproximateNumberOfMessages", "CreatedTimestamp", "Foobar"] {
        let reply = json(&server, "SetQueueAttributes", json!({"QueueUrl": url, "Attributes": {name: "1"}})).await;
        assert_eq!(reply.json()["message"], format!("Unknown Attribute {name}."));
    }
    let reply = json(&server, "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["Foobar"]})).await;
    assert_eq!(
        (reply.query_error_code(), reply.json()["message"].clone()),
        ("InvalidAttributeName".into(), json!("Unknown Attribute Foobar."))
    );
    let reply = json(
        &server,
        "SetQueueAttributes",
        json!({"QueueUrl": url, "Attributes": {"KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"}}),
    )
    .await;
    assert_eq!(
        reply.json()["message"],
        "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE."
    );
    // KMS: the key is reported, with the reuse period, and SQS-managed SSE turns off.
    json(
        &server,
        "SetQueueAttributes",
        json!({"QueueUrl": url, "Attributes": {"KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000"}}),
    )
    .await;
    let reply = json(
        &server,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"]}),
    )
    .await;
    assert_eq!(
        reply.json()["Attributes"],
        json!({"KmsDataKeyReusePeriodSeconds": "6000", "KmsMasterKeyId": "testKeyId", "SqsManagedSseEnabled": "false"})
    );
    for bad in ["", "has space", "slash/name", &"x".repeat(81)] {
        let reply = json(&server, "CreateQueue", json!({"QueueName": bad})).await;
        assert_eq!(reply.status, 400, "{bad:?}");
    }
    let reply = json(&server, "CreateQueue", json!({"QueueName": "x".repeat(80)})).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn tags_overwrite_and_untag_ignores_unknown_keys() {
    let server = start_server().await;
    let reply = json(&server, "CreateQueue", json!({"QueueName": "tagged", "tags": {"a": "1"}})).await;
    let url = reply.json()["QueueUrl"].as_str().unwrap().to_string();
    json(&server, "TagQueue", json!({"QueueUrl": url, "Tags": {"a": "2", "b": ""}})).await;
    json(&server, "UntagQueue", json!({"QueueUrl": url, "TagKeys": ["nope"]})).await;
    let reply = json(&server, "ListQueueTags", json!({"QueueUrl": url})).await;
    assert_eq!(reply.json(), json!({"Tags": {"a": "2", "b": ""}}));
    let reply = json(&server, "TagQueue", json!({"QueueUrl": url, "Tags": {"aws:reserved": "x"}})).await;
    assert_eq!(reply.status, 400);
    json(&server, "UntagQueue", json!({"QueueUrl": url, "TagKeys": ["a", "b"]})).await;
    let reply = json(&server, "ListQueueTags", json!({"QueueUrl": url})).await;
    assert_eq!(reply.json(), json!({}));
}

#[tokio::test]
async fn batch_request_too_long() {
    let server = start_server().await;
    let url = create_queue(&server, "long", json!({})).await;
    let body = "x".repeat(300_000);
    let entries: Vec<_> = (0..4).map(|i| json!({"Id": format!("e{i}"), "MessageBody": body})).collect();
    let reply = json(&server, "SendMessageBatch", json!({"QueueUrl": url, "Entries": entries})).await;
    assert_eq!((reply.status, reply.query_error_code()), (400, "AWS.SimpleQueueService.BatchRequestTooLong".into()));
    assert_eq!(
        reply.json()["message"],
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes."
    );
}

#[tokio::test]
async fn trace_header_comes_from_x_amzn_trace_id() {
    let server = start_server().await;
    let url = create_queue(&server, "traced", json!({})).await;
    let body = json!({"QueueUrl": url, "MessageBody": "x"}).to_string();
    let reply = post(
        &server.addr,
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", "AmazonSQS.SendMessage"),
            ("X-Amzn-Trace-Id", "Root=1-abc;Sampled=1"),
        ],
        body.as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(reply.json().get("MD5OfMessageSystemAttributes").is_none(), "only when sent as a system attribute");
    let reply =
        json(&server, "ReceiveMessage", json!({"QueueUrl": url, "MessageSystemAttributeNames": ["AWSTraceHeader"]}))
            .await;
    assert_eq!(reply.json()["Messages"][0]["Attributes"], json!({"AWSTraceHeader": "Root=1-abc;Sampled=1"}));
}

#[tokio::test]
async fn visibility_and_delete_batches_through_query() {
    let server = start_server().await;
    let url = create_queue(&server, "qbatch", json!({})).await;
    json(&server, "SendMessage", json!({"QueueUrl": url, "MessageBody": "a"})).await;
    let reply = query(&server, &[("Action", "ReceiveMessage"), ("QueueUrl", &url)]).await;
    let handle = xml_value(&reply.text(), "ReceiptHandle").unwrap();
    let reply = query(
        &server,
        &[
            ("Action", "ChangeMessageVisibilityBatch"),
            ("QueueUrl", &url),
            ("ChangeMessageVisibilityBatchRequestEntry.1.Id", "ok"),
            ("ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle", &handle),
            ("ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout", "0"),
            ("ChangeMessageVisibilityBatchRequestEntry.2.Id", "bad"),
            ("ChangeMessageVisibilityBatchRequestEntry.2.ReceiptHandle", "garbage"),
            ("ChangeMessageVisibilityBatchRequestEntry.2.VisibilityTimeout", "0"),
        ],
    )
    .await;
    assert!(reply.text().contains(
        "<ChangeMessageVisibilityBatchResult><ChangeMessageVisibilityBatchResultEntry><Id>ok</Id></ChangeMessageVisibilityBatchResultEntry><BatchResultErrorEntry><Id>bad</Id><SenderFault>true</SenderFault><Code>ReceiptHandleIsInvalid</Code>"
    ), "{}", reply.text());
    let reply = query(&server, &[("Action", "ReceiveMessage"), ("QueueUrl", &url)]).await;
    let handle = xml_value(&reply.text(), "ReceiptHandle").unwrap();
    let reply = query(
        &server,
        &[
            ("Action", "DeleteMessageBatch"),
            ("QueueUrl", &url),
            ("DeleteMessageBatchRequestEntry.1.Id", "d"),
            ("DeleteMessageBatchRequestEntry.1.ReceiptHandle", &handle),
        ],
    )
    .await;
    assert!(reply
        .text()
        .contains("<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>d</Id></DeleteMessageBatchResultEntry></DeleteMessageBatchResult>"));
}

#[tokio::test]
async fn queue_urls_follow_the_host_header_or_the_advertised_url() {
    let server = start_server().await;
    let body = json!({"QueueName": "hosted"}).to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: sqs.internal:4566\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.CreateQueue\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let reply = send_raw(&server.addr, request.as_bytes()).await;
    assert_eq!(reply.json()["QueueUrl"], "http://sqs.internal:4566/000000000000/hosted");

    let mut config = sqs_local::config::Config::defaults();
    config.advertised_url = Some("https://queues.example/".into());
    config.account_id = "123456789012".into();
    let server = start_server_with(config).await;
    let reply = json(&server, "CreateQueue", json!({"QueueName": "adv"})).await;
    assert_eq!(reply.json()["QueueUrl"], "https://queues.example/123456789012/adv");
    // Any host works in QueueUrl; the account must be ours.
    let reply = json(&server, "GetQueueAttributes", json!({"QueueUrl": "http://elsewhere/123456789012/adv"})).await;
    assert_eq!(reply.status, 200);
    let reply = json(&server, "GetQueueAttributes", json!({"QueueUrl": "http://elsewhere/000000000000/adv"})).await;
    assert_eq!(reply.query_error_code(), "AWS.SimpleQueueService.NonExistentQueue");
    let reply =
        json(&server, "GetQueueUrl", json!({"QueueName": "adv", "QueueOwnerAWSAccountId": "999999999999"})).await;
    assert_eq!(reply.query_error_code(), "AWS.SimpleQueueService.NonExistentQueue");
}

#[tokio::test]
async fn concurrent_configuration_changes_are_not_lost() {
    let server = start_server().await;
    let url = create_queue(&server, "busy", json!({})).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (addr, url) = (server.addr.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"QueueUrl": url, "Label": format!("l{i}"), "AWSAccountIds": ["111111111111"], "Actions": ["SendMessage"]});
            let headers = [("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", "AmazonSQS.AddPermission")];
            post(&addr, "/", &headers, body.to_string().as_bytes()).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let reply = json(&server, "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["Policy"]})).await;
    let policy: Value = serde_json::from_str(reply.json()["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn a_queue_may_name_itself_as_dead_letter_queue_without_deadlock() {
    let server = start_server().await;
    let url = create_queue(&server, "selfish", json!({})).await;
    let policy =
        json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:selfish", "maxReceiveCount": 1}).to_string();
    let reply = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        json(&server, "SetQueueAttributes", json!({"QueueUrl": url, "Attributes": {"RedrivePolicy": policy}})),
    )
    .await
    .expect("answers");
    assert_eq!(reply.status, 200);
}

/// An AWS-validated sequence (shared/sqs-reference.md §7.5), in both protocols: receive with
/// VisibilityTimeout 0 (handle 1), receive with VisibilityTimeout 3 (handle 2),
/// ChangeMessageVisibility(handle 1, 0): the next receive gets the message; an older handle deletes.
#[tokio::test]
async fn older_receipt_handles_act_on_the_current_receive() {
    let server = start_server().await;
    for protocol in ["json", "query"] {
        let url = create_queue(&server, &format!("older-{protocol}"), json!({})).await;
        json(&server, "SendMessage", json!({"QueueUrl": url, "MessageBody": "m"})).await;
        let receive = |visibility: &'static str| {
            let url = url.clone();
            let server = &server;
            async move {
                if protocol == "json" {
                    let body = json!({"QueueUrl": url, "VisibilityTimeout": visibility.parse::<u32>().unwrap()});
                    let reply = json(server, "ReceiveMessage", body).await;
                    reply.json()["Messages"][0]["ReceiptHandle"].as_str().map(str::to_string)
                } else {
                    let params = [("Action", "ReceiveMessage"), ("QueueUrl", &url), ("VisibilityTimeout", visibility)];
                    xml_value(&query(server, &params).await.text(), "ReceiptHandle")
                }
            }
        };
        let first = receive("0").await.expect("first receive");
        let second = receive("3").await.expect("second receive");
        assert_ne!(first, second);
        assert_eq!(receive("3").await, None, "{protocol}: hidden by the second receive");
        let reply = if protocol == "json" {
            json(
                &server,
                "ChangeMessageVisibility",
                json!({"QueueUrl": url, "ReceiptHandle": first, "VisibilityTimeout": 0}),
            )
            .await
        } else {
            let params = [
                ("Action", "ChangeMessageVisibility"),
                ("QueueUrl", &url),
                ("ReceiptHandle", &first),
                ("VisibilityTimeout", "0"),
            ];
            query(&server, &params).await
        };
        assert_eq!(reply.status, 200, "{}", reply.text());
        receive("30").await.expect("visible again at once");
        let reply = if protocol == "json" {
            json(&server, "DeleteMessage", json!({"QueueUrl": url, "ReceiptHandle": first})).await
        } else {
            query(&server, &[("Action", "DeleteMessage"), ("QueueUrl", &url), ("ReceiptHandle", &first)]).await
        };
        assert_eq!(reply.status, 200);
        let counts =
            json(&server, "GetQueueAttributes", json!({"QueueUrl": url, "AttributeNames": ["All"]})).await.json();
        assert_eq!(counts["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "0", "{protocol}: deleted");
        assert_eq!(counts["Attributes"]["ApproximateNumberOfMessages"], "0");
    }
}
