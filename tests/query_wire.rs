//! AWS Query on the wire: golden XML for success and error documents (shared/sqs-reference.md §3).

mod common;

use common::*;
use serde_json::json;

const NS: &str = "http://queue.amazonaws.com/doc/2012-11-05/";

#[tokio::test]
async fn create_queue_golden_xml() {
    let server = start_server().await;
    let reply = query(&server, &[("Action", "CreateQueue"), ("QueueName", "golden"), ("Version", "2012-11-05")]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/xml"));
    assert_eq!(
        reply.normalized(),
        format!(
            "<?xml version=\"1.0\"?><CreateQueueResponse xmlns=\"{NS}\"><CreateQueueResult><QueueUrl>{}</QueueUrl></CreateQueueResult><ResponseMetadata><RequestId>REQUEST-ID</RequestId></ResponseMetadata></CreateQueueResponse>",
            server.queue_url("golden")
        )
    );
}

#[tokio::test]
async fn unit_actions_have_no_result_element() {
    let server = start_server().await;
    let url = create_queue(&server, "unit", json!({})).await;
    let reply = query(&server, &[("Action", "PurgeQueue"), ("QueueUrl", &url)]).await;
    assert_eq!(
        reply.normalized(),
        format!("<?xml version=\"1.0\"?><PurgeQueueResponse xmlns=\"{NS}\"><ResponseMetadata><RequestId>REQUEST-ID</RequestId></ResponseMetadata></PurgeQueueResponse>")
    );
}

#[tokio::test]
async fn error_document_golden_xml() {
    let server = start_server().await;
    let reply = query(&server, &[("Action", "GetQueueUrl"), ("QueueName", "nope")]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.normalized(),
        format!("<?xml version=\"1.0\"?><ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist for this wsdl version.</Message><Detail/></Error><RequestId>REQUEST-ID</RequestId></ErrorResponse>")
    );
    assert!(reply.header("x-amzn-query-error").is_none(), "the header is a JSON-protocol thing");
}

#[tokio::test]
async fn send_receive_with_attributes_flattened() {
    let server = start_server().await;
    let url = create_queue(&server, "attrs", json!({})).await;
    let reply = query(
        &server,
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", "line1\r\nline2 <&>\""),
            ("MessageAttribute.1.Name", "City"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", "Any City"),
            ("MessageAttribute.2.Name", "Blob"),
            ("MessageAttribute.2.Value.DataType", "Binary"),
            ("MessageAttribute.2.Value.BinaryValue", "AQID"),
            ("MessageAttribute.3.Name", "Count"),
            ("MessageAttribute.3.Value.DataType", "Number"),
            ("MessageAttribute.3.Value.StringValue", "42"),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(xml_value(&reply.text(), "MD5OfMessageAttributes").as_deref(), Some("2ec18b46869cf965d63dcd13cef6697d"));

    let reply = query(
        &server,
        &[
            ("Action", "ReceiveMessage"),
            ("QueueUrl", &url),
            ("AttributeName.1", "SentTimestamp"),
            ("MessageAttributeName.1", "All"),
        ],
    )
    .await;
    let xml = reply.text();
    // CR is escaped so XML parsers hand the client the body that was sent.
    assert!(xml.contains("<Body>line1&#xD;\nline2 &lt;&amp;&gt;&quot;</Body>"), "{xml}");
    assert!(xml.contains("<Attribute><Name>SentTimestamp</Name><Value>"));
    assert!(xml.contains(
        "<MessageAttribute><Name>Blob</Name><Value><BinaryValue>AQID</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute>"
    ));
    assert!(xml.contains("<MD5OfMessageAttributes>2ec18b46869cf965d63dcd13cef6697d</MD5OfMessageAttributes>"));
    assert!(xml.contains("<ReceiveMessageResult><Message><MessageId>"));

    let reply = query(&server, &[("Action", "ReceiveMessage"), ("QueueUrl", &url)]).await;
    assert!(reply.text().contains("<ReceiveMessageResult/>"), "{}", reply.text());
}

#[tokio::test]
async fn get_queue_attributes_and_tags_are_flattened() {
    let server = start_server().await;
    let reply = query(
        &server,
        &[
            ("Action", "CreateQueue"),
            ("QueueName", "flat"),
            ("Attribute.1.Name", "VisibilityTimeout"),
            ("Attribute.1.Value", "45"),
            ("Tag.1.Key", "team"),
            ("Tag.1.Value", "core"),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let url = server.queue_url("flat");
    let reply = query(
        &server,
        &[("Action", "GetQueueAttributes"), ("QueueUrl", &url), ("AttributeName.1", "VisibilityTimeout")],
    )
    .await;
    assert!(reply.text().contains(
        "<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>45</Value></Attribute></GetQueueAttributesResult>"
    ));
    let reply = query(&server, &[("Action", "ListQueueTags"), ("QueueUrl", &url)]).await;
    assert!(reply
        .text()
        .contains("<ListQueueTagsResult><Tag><Key>team</Key><Value>core</Value></Tag></ListQueueTagsResult>"));
}

#[tokio::test]
async fn queue_path_requests_and_action_errors() {
    let server = start_server().await;
    create_queue(&server, "byPath", json!({})).await;
    // Posted to the queue URL without QueueUrl: acts on that queue.
    let reply = query_at(&server, "/000000000000/byPath", &[("Action", "SendMessage"), ("MessageBody", "hi")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    // A QueueUrl parameter wins over the path.
    let reply = query_at(
        &server,
        "/000000000000/byPath",
        &[("Action", "GetQueueAttributes"), ("QueueUrl", "missing"), ("AttributeName.1", "All")],
    )
    .await;
    assert_eq!(reply.status, 400);
    // Non-queue actions are not valid on a queue URL.
    let reply = query_at(&server, "/000000000000/byPath", &[("Action", "CreateQueue"), ("QueueName", "x")]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(xml_value(&reply.text(), "Code").as_deref(), Some("InvalidAction"));
    assert_eq!(
        xml_value(&reply.text(), "Message").as_deref(),
        Some("The action CreateQueue is not valid for this endpoint.")
    );
    let reply = query(&server, &[("Action", "Frobnicate")]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(xml_value(&reply.text(), "Code").as_deref(), Some("InvalidAction"));
    // No action at all: 404 with the bare body `<UnknownOperationException/>`, as AWS answers,
    // also to a GET on a queue URL and to a client that accepts JSON.
    let reply = query(&server, &[("Foo", "bar")]).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.text(), "<UnknownOperationException/>\n");
    for accept in ["text/xml", "application/json"] {
        let request = format!(
            "GET /000000000000/byPath HTTP/1.1\r\nHost: {}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n",
            server.addr
        );
        let reply = send_raw(&server.addr, request.as_bytes()).await;
        assert_eq!((reply.status, reply.text().as_str()), (404, "<UnknownOperationException/>\n"), "{accept}");
        assert!(reply.header("x-amzn-requestid").is_some());
    }
}

#[tokio::test]
async fn get_requests_with_query_string_work() {
    let server = start_server().await;
    let request = format!(
        "GET /?Action=CreateQueue&QueueName=viaGet HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    );
    let reply = send_raw(&server.addr, request.as_bytes()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(xml_value(&reply.text(), "QueueUrl"), Some(server.queue_url("viaGet")));
}

#[tokio::test]
async fn purge_in_progress_is_403_when_the_cooldown_is_on() {
    let server = start_server_with(sqs_local::config::Config::defaults()).await;
    let url = create_queue(&server, "purgeme", json!({})).await;
    let reply = query(&server, &[("Action", "PurgeQueue"), ("QueueUrl", &url)]).await;
    assert_eq!(reply.status, 200);
    let reply = query(&server, &[("Action", "PurgeQueue"), ("QueueUrl", &url)]).await;
    assert_eq!(reply.status, 403);
    assert_eq!(xml_value(&reply.text(), "Code").as_deref(), Some("AWS.SimpleQueueService.PurgeQueueInProgress"));
    assert_eq!(
        xml_value(&reply.text(), "Message").as_deref(),
        Some("Only one PurgeQueue operation on purgeme is allowed every 60 seconds.")
    );
    // And the 60-second recreate rule.
    let reply = query(&server, &[("Action", "DeleteQueue"), ("QueueUrl", &url)]).await;
    assert_eq!(reply.status, 200);
    let reply = query(&server, &[("Action", "CreateQueue"), ("QueueName", "purgeme")]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(xml_value(&reply.text(), "Code").as_deref(), Some("AWS.SimpleQueueService.QueueDeletedRecently"));
}

/// botocore's Query serializer sends an empty list as the bare member name with an empty value.
/// AWS reads it as an empty list: an empty batch is `EmptyBatchRequest` (recorded:
/// `test_send_message_batch_with_empty_list`), a receive with `AttributeNames=` has no filter.
#[tokio::test]
async fn empty_lists_as_botocore_sends_them() {
    let server = start_server().await;
    let url = create_queue(&server, "empty-lists", json!({})).await;
    for (action, entry) in [
        ("SendMessageBatch", "SendMessageBatchRequestEntry"),
        ("DeleteMessageBatch", "DeleteMessageBatchRequestEntry"),
        ("ChangeMessageVisibilityBatch", "ChangeMessageVisibilityBatchRequestEntry"),
    ] {
        let reply = query(&server, &[("Action", action), ("QueueUrl", &url), ("Entries", "")]).await;
        assert_eq!(reply.status, 400, "{action}: {}", reply.text());
        assert_eq!(xml_value(&reply.text(), "Code").as_deref(), Some("AWS.SimpleQueueService.EmptyBatchRequest"));
        assert_eq!(
            xml_value(&reply.text(), "Message"),
            Some(format!("There should be at least one {entry} in the request."))
        );
    }
    query(&server, &[("Action", "SendMessage"), ("QueueUrl", &url), ("MessageBody", "m")]).await;
    let reply = query(
        &server,
        &[
            ("Action", "ReceiveMessage"),
            ("QueueUrl", &url),
            ("AttributeNames", ""),
            ("MessageAttributeNames", ""),
            ("MessageSystemAttributeNames", ""),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(xml_value(&reply.text(), "Body").as_deref(), Some("m"));
    assert!(!reply.text().contains("<Attribute>"), "no attribute filter means no attributes");
    let reply = query(&server, &[("Action", "GetQueueAttributes"), ("QueueUrl", &url), ("AttributeNames", "")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    // Required lists that are empty: the error AWS gives for a missing one.
    for (params, missing) in [
        (vec![("Action", "UntagQueue"), ("TagKeys", "")], "TagKeys"),
        (
            vec![("Action", "AddPermission"), ("Label", "l"), ("AWSAccountIds", ""), ("ActionName.1", "*")],
            "AWSAccountIds",
        ),
        (
            vec![("Action", "AddPermission"), ("Label", "l"), ("AWSAccountId.1", "111111111111"), ("Actions", "")],
            "Actions",
        ),
    ] {
        let mut params = params;
        params.push(("QueueUrl", &url));
        let reply = query(&server, &params).await;
        assert_eq!(reply.status, 400);
        assert_eq!(xml_value(&reply.text(), "Code").as_deref(), Some("MissingParameter"), "{}", reply.text());
        assert_eq!(
            xml_value(&reply.text(), "Message"),
            Some(format!("The request must contain the parameter {missing}."))
        );
    }
}
