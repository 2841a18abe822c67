//! SNS on the port, end to end: the Rust SDK (`aws-sdk-sns`) for topics, subscriptions and
//! Publish; raw Query requests where the bytes matter (XML shapes, error documents); what queues
//! receive (the envelope field for field, raw delivery, FIFO topics); HTTP subscriptions against
//! a listener in the test; dead-letter queues; queue policies when credentials are enforced.
//! Expected values are AWS's (sns-reference.md: recorded answers and documentation).

mod common;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use common::{post, start_server, start_server_with, xml_value, HttpReply, TestServer};
use serde_json::{json, Value};
use sqs_local::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn sns(server: &TestServer) -> aws_sdk_sns::Client {
    sns_at(&server.url())
}

fn sns_at(url: &str) -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_sdk_sns::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sns::config::Credentials::new("test", "test", None, None, "test"))
        .build();
    aws_sdk_sns::Client::from_conf(config)
}

fn sqs(server: &TestServer) -> aws_sdk_sqs::Client {
    sqs_at(&server.url())
}

fn sqs_at(url: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "test"))
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// An unsigned SNS Query request (routed to SNS by its action).
async fn call(server: &TestServer, params: &[(&str, &str)]) -> HttpReply {
    let mut params = params.to_vec();
    params.push(("Version", "2010-03-31"));
    let body = serde_urlencoded::to_string(&params).unwrap();
    post(&server.addr, "/", &[("Content-Type", "application/x-www-form-urlencoded")], body.as_bytes()).await
}

async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> (String, String) {
    let mut create = sqs.create_queue().queue_name(name);
    if name.ends_with(".fifo") {
        create = create.attributes(QueueAttributeName::FifoQueue, "true");
    }
    let url = create.send().await.unwrap().queue_url.unwrap();
    let attributes =
        sqs.get_queue_attributes().queue_url(&url).attribute_names(QueueAttributeName::QueueArn).send().await.unwrap();
    let arn = attributes.attributes().unwrap()[&QueueAttributeName::QueueArn].clone();
    (url, arn)
}

async fn subscribe(sns: &aws_sdk_sns::Client, topic: &str, queue_arn: &str, attributes: &[(&str, &str)]) -> String {
    let mut request = sns.subscribe().topic_arn(topic).protocol("sqs").endpoint(queue_arn);
    for (k, v) in attributes {
        request = request.attributes(*k, *v);
    }
    request.send().await.unwrap().subscription_arn.unwrap()
}

async fn receive(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    let reply = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    reply.messages.unwrap_or_default()
}

fn string_attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder().data_type("String").string_value(value).build().unwrap()
}

#[tokio::test]
async fn the_envelope_matches_aws_field_for_field() {
    let server = start_server().await;
    let (sns, sqs) = (sns(&server), sqs(&server));
    let topic = sns.create_topic().name("orders").send().await.unwrap().topic_arn.unwrap();
    let (url, arn) = queue(&sqs, "billing").await;
    let subscription = subscribe(&sns, &topic, &arn, &[]).await;
    let published = sns
        .publish()
        .topic_arn(&topic)
        .subject("order")
        .message("{\"orderId\":42}")
        .message_attributes("kind", string_attribute("created"))
        .message_attributes(
            "amount",
            MessageAttributeValue::builder().data_type("Number").string_value("99.12").build().unwrap(),
        )
        .message_attributes(
            "raw",
            MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(aws_sdk_sns::primitives::Blob::new(vec![2, 3, 4]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let message_id = published.message_id.unwrap();
    let messages = receive(&sqs, &url).await;
    assert_eq!(messages.len(), 1);
    let body = messages[0].body.clone().unwrap();
    assert!(messages[0].message_attributes.is_none(), "no SQS attributes in envelope mode");
    assert_ne!(messages[0].message_id.as_deref(), Some(message_id.as_str()), "SQS gives its own id");
    let parsed: Value = serde_json::from_str(&body).unwrap();
    let timestamp = parsed["Timestamp"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(timestamp, "%Y-%m-%dT%H:%M:%S%.3fZ").is_ok() && timestamp.len() == 24,
        "{timestamp}"
    );
    let signature = parsed["Signature"].as_str().unwrap();
    let base = server.url();
    let expected = format!(
        r#"{{
  "Type" : "Notification",
  "MessageId" : "{message_id}",
  "TopicArn" : "{topic}",
  "Subject" : "order",
  "Message" : "{{\"orderId\":42}}",
  "Timestamp" : "{timestamp}",
  "SignatureVersion" : "1",
  "Signature" : "{signature}",
  "SigningCertURL" : "{base}/SimpleNotificationService-0000000000000000000000000000000a.pem",
  "UnsubscribeURL" : "{base}/?Action=Unsubscribe&SubscriptionArn={subscription}",
  "MessageAttributes" : {{
"#
    );
    let (head, attributes) = body.split_at(expected.len());
    assert_eq!(head, expected);
    // Attributes come in the order they were published (the SDK sends them in a hash map's order).
    let mut lines: Vec<&str> = attributes.lines().map(|l| l.trim_end_matches(',')).collect();
    assert_eq!(lines.split_off(3), ["  }", "}"], "{attributes}");
    lines.sort();
    assert_eq!(
        lines,
        [
            r#"    "amount" : {"Type":"Number","Value":"99.12"}"#,
            r#"    "kind" : {"Type":"String","Value":"created"}"#,
            r#"    "raw" : {"Type":"Binary","Value":"AgME"}"#,
        ]
    );
    assert_eq!(attributes.matches("},\n").count(), 2, "commas between attributes only");
    assert_eq!(messages[0].md5_of_body.as_deref(), Some(format!("{:x}", md5::compute(body.as_bytes()))).as_deref());
}

#[tokio::test]
async fn raw_delivery_turns_message_attributes_into_sqs_attributes() {
    let server = start_server().await;
    let (sns, sqs) = (sns(&server), sqs(&server));
    let topic = sns.create_topic().name("t").send().await.unwrap().topic_arn.unwrap();
    let (url, arn) = queue(&sqs, "raw").await;
    let subscription = subscribe(&sns, &topic, &arn, &[("RawMessageDelivery", "True")]).await;
    let attributes = sns.get_subscription_attributes().subscription_arn(&subscription).send().await.unwrap();
    assert_eq!(attributes.attributes.unwrap()["RawMessageDelivery"], "true", "stored lower-case");
    let number = MessageAttributeValue::builder().data_type("Number").string_value("99.12").build().unwrap();
    sns.publish().topic_arn(&topic).message("plain text").message_attributes("attr1", number).send().await.unwrap();
    let messages = receive(&sqs, &url).await;
    assert_eq!(messages[0].body.as_deref(), Some("plain text"));
    // AWS's digest for {attr1: Number "99.12"} (recorded: test_publish_sqs_from_sns).
    assert_eq!(messages[0].md5_of_message_attributes.as_deref(), Some("d302007e9aa062660afc85fd0a482472"));
    let attribute = &messages[0].message_attributes.as_ref().unwrap()["attr1"];
    assert_eq!((attribute.data_type(), attribute.string_value()), ("Number", Some("99.12")));
}

#[tokio::test]
async fn fifo_topics_keep_groups_deduplicate_at_the_topic_and_number_in_order() {
    let server = start_server().await;
    let (sns, sqs) = (sns(&server), sqs(&server));
    let topic = sns
        .create_topic()
        .name("jobs.fifo")
        .attributes("FifoTopic", "true")
        .attributes("ContentBasedDeduplication", "true")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let (fifo_url, fifo_arn) = queue(&sqs, "jobs.fifo").await;
    let (standard_url, standard_arn) = queue(&sqs, "audit").await;
    subscribe(&sns, &topic, &fifo_arn, &[]).await;
    subscribe(&sns, &topic, &standard_arn, &[("RawMessageDelivery", "true")]).await;
    let first = sns.publish().topic_arn(&topic).message("Test").message_group_id("g").send().await.unwrap();
    let again = sns.publish().topic_arn(&topic).message("Test").message_group_id("g").send().await.unwrap();
    assert_eq!(first.message_id, again.message_id, "a duplicate answers the original's id");
    assert_eq!(first.sequence_number, again.sequence_number);
    assert_eq!(first.sequence_number.as_ref().unwrap().len(), 20);
    let batch = sns
        .publish_batch()
        .topic_arn(&topic)
        .publish_batch_request_entries(
            PublishBatchRequestEntry::builder().id("a").message("two").message_group_id("g").build().unwrap(),
        )
        .publish_batch_request_entries(
            PublishBatchRequestEntry::builder().id("b").message("three").message_group_id("g").build().unwrap(),
        )
        .send()
        .await
        .unwrap();
    let sequences: Vec<u128> =
        batch.successful().iter().map(|s| s.sequence_number().unwrap().parse().unwrap()).collect();
    assert!(
        sequences[0] > first.sequence_number.as_deref().unwrap().parse::<u128>().unwrap()
            && sequences[1] > sequences[0]
    );
    let fifo = receive(&sqs, &fifo_url).await;
    let bodies: Vec<String> = fifo
        .iter()
        .map(|m| serde_json::from_str::<Value>(m.body().unwrap()).unwrap()["Message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(bodies, ["Test", "two", "three"], "once each, in order");
    let system = fifo[0].attributes.as_ref().unwrap();
    assert_eq!(system[&MessageSystemAttributeName::MessageGroupId], "g");
    // The SHA-256 of the body (recorded: "Test").
    assert_eq!(
        system[&MessageSystemAttributeName::MessageDeduplicationId],
        "532eaabd9574880dbf76b9b8cc00832c20a6ec113d682299550d7a6e0f345e25"
    );
    let envelope: Value = serde_json::from_str(fifo[0].body().unwrap()).unwrap();
    assert!(
        envelope.get("Signature").is_none() && envelope.get("SigningCertURL").is_none(),
        "FIFO envelopes are unsigned"
    );
    assert!(envelope.get("Subject").is_none() && envelope.get("MessageAttributes").is_none(), "only when published");
    assert_eq!(envelope["SequenceNumber"].as_str(), first.sequence_number.as_deref());
    let standard = receive(&sqs, &standard_url).await;
    assert_eq!(standard.len(), 3, "the standard queue gets no duplicate either");
    assert!(!standard[0].attributes.as_ref().unwrap().contains_key(&MessageSystemAttributeName::MessageGroupId));
}

#[tokio::test]
async fn filter_policies_choose_subscribers_by_attributes_and_by_body() {
    let server = start_server().await;
    let (sns, sqs) = (sns(&server), sqs(&server));
    let topic = sns.create_topic().name("events").send().await.unwrap().topic_arn.unwrap();
    let (billing, billing_arn) = queue(&sqs, "billing").await;
    let (logistic, logistic_arn) = queue(&sqs, "logistic").await;
    subscribe(
        &sns,
        &topic,
        &billing_arn,
        &[("FilterPolicy", r#"{"event":["order.v1.submit"],"amount":[{"numeric":[">",0,"<=",100]}]}"#)],
    )
    .await;
    subscribe(
        &sns,
        &topic,
        &logistic_arn,
        &[("FilterPolicyScope", "MessageBody"), ("FilterPolicy", r#"{"order":{"country":[{"prefix":"D"}]}}"#)],
    )
    .await;
    let number = |v: &str| MessageAttributeValue::builder().data_type("Number").string_value(v).build().unwrap();
    for (amount, body) in [("99", r#"{"order":{"country":"DE"}}"#), ("111", r#"{"order":{"country":"FR"}}"#)] {
        sns.publish()
            .topic_arn(&topic)
            .message(body)
            .message_attributes("event", string_attribute("order.v1.submit"))
            .message_attributes("amount", number(amount))
            .send()
            .await
            .unwrap();
    }
    sns.publish().topic_arn(&topic).message("not json").send().await.unwrap();
    let billed = receive(&sqs, &billing).await;
    assert_eq!(billed.len(), 1, "99 is in (0, 100], 111 is not");
    assert_eq!(
        serde_json::from_str::<Value>(billed[0].body().unwrap()).unwrap()["MessageAttributes"]["amount"]["Value"],
        "99"
    );
    let listed = sns.list_subscriptions_by_topic().topic_arn(&topic).send().await.unwrap();
    let billing_subscription = listed
        .subscriptions()
        .iter()
        .find(|s| s.endpoint() == Some(billing_arn.as_str()))
        .and_then(|s| s.subscription_arn())
        .unwrap()
        .to_string();
    sns.set_subscription_attributes()
        .subscription_arn(&billing_subscription)
        .attribute_name("FilterPolicy")
        .attribute_value(r#"{"amount":[{"numeric":[">",100]}]}"#)
        .send()
        .await
        .unwrap();
    sns.publish().topic_arn(&topic).message("big").message_attributes("amount", number("111")).send().await.unwrap();
    let billed: Vec<_> =
        receive(&sqs, &billing).await.into_iter().filter(|m| m.body().unwrap().contains("\"big\"")).collect();
    assert_eq!(billed.len(), 1, "a changed policy holds from the next publish");
    let shipped = receive(&sqs, &logistic).await;
    assert_eq!(shipped.len(), 1);
    assert!(shipped[0].body().unwrap().contains("DE"));
}

#[tokio::test]
async fn errors_have_aws_codes_statuses_and_words() {
    let server = start_server().await;
    let sns_client = sns(&server);
    let topic = sns_client.create_topic().name("t").send().await.unwrap().topic_arn.unwrap();
    let missing =
        call(&server, &[("Action", "GetTopicAttributes"), ("TopicArn", "arn:aws:sns:us-east-1:000000000000:nope")])
            .await;
    assert_eq!(missing.status, 404);
    let text = missing.normalized();
    assert_eq!(
        text,
        "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>REQUEST-ID</RequestId></ErrorResponse>"
    );
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("Action", "CreateTopic"), ("Name", "a b")], "Invalid parameter: Topic Name"),
        (&[("Action", "CreateTopic"), ("Name", "x.fifo")], "Invalid parameter: Topic Name"),
        (&[("Action", "Publish"), ("TopicArn", "randomstring"), ("Message", "m")], "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"),
        (&[("Action", "Publish"), ("TopicArn", &topic), ("Message", "")], "Invalid parameter: Empty message"),
        (&[("Action", "Publish"), ("TopicArn", &topic), ("Message", "m"), ("Subject", "")], "Invalid parameter: Subject"),
        (&[("Action", "Publish"), ("TopicArn", &topic), ("Message", "m"), ("MessageDeduplicationId", "d")], "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"),
        (&[("Action", "Publish"), ("TopicArn", &topic), ("Message", "m"), ("MessageStructure", "json")], "Invalid parameter: Message Structure - JSON message body failed to parse"),
        (&[("Action", "Publish"), ("TopicArn", &topic), ("Message", "{\"default\":{}}"), ("MessageStructure", "json")], "Invalid parameter: Message Structure - No default entry in JSON message body"),
        (&[("Action", "Subscribe"), ("TopicArn", &topic), ("Protocol", "test-protocol"), ("Endpoint", "x")], "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol"),
        (&[("Action", "Subscribe"), ("TopicArn", &topic), ("Protocol", "sqs"), ("Endpoint", "http://q")], "Invalid parameter: SQS endpoint ARN"),
        (&[("Action", "Subscribe"), ("TopicArn", &topic), ("Protocol", "sqs"), ("Endpoint", "arn:aws:sqs:us-east-1:000000000000:q.fifo")], "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"),
        (&[("Action", "Subscribe"), ("TopicArn", &topic), ("Protocol", "sqs"), ("Endpoint", "arn:aws:sqs:us-east-1:000000000000:q"), ("Attributes.entry.1.key", "RawMessageDelivery"), ("Attributes.entry.1.value", "test-ValUe")], "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false."),
        (&[("Action", "Subscribe"), ("TopicArn", &topic), ("Protocol", "sqs"), ("Endpoint", "arn:aws:sqs:us-east-1:000000000000:q"), ("Attributes.entry.1.key", "FilterPolicy"), ("Attributes.entry.1.value", "{\"k\":[]}")], "Invalid parameter: Attributes Reason: FilterPolicy: Empty arrays are not allowed"),
        (&[("Action", "SetTopicAttributes"), ("TopicArn", &topic), ("AttributeName", "FifoTopic"), ("AttributeValue", "true")], "Invalid parameter: AttributeName"),
    ];
    for (params, message) in cases {
        let reply = call(&server, params).await;
        assert_eq!(
            (reply.status, xml_value(&reply.text(), "Code").as_deref()),
            (400, Some("InvalidParameter")),
            "{params:?}"
        );
        assert_eq!(xml_value(&reply.text(), "Message").as_deref(), Some(*message), "{params:?}");
    }
    let bad_attribute = call(
        &server,
        &[
            ("Action", "Publish"),
            ("TopicArn", &topic),
            ("Message", "m"),
            ("MessageAttributes.entry.1.Name", "attr1"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", ""),
        ],
    )
    .await;
    assert_eq!(xml_value(&bad_attribute.text(), "Code").as_deref(), Some("ParameterValueInvalid"));
    assert_eq!(
        xml_value(&bad_attribute.text(), "Message").map(|m| m.replace("&apos;", "'")).as_deref(),
        Some("The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'.")
    );
    let too_long = "x".repeat(262_145);
    let reply = call(&server, &[("Action", "Publish"), ("TopicArn", &topic), ("Message", &too_long)]).await;
    assert_eq!(xml_value(&reply.text(), "Message").as_deref(), Some("Invalid parameter: Message too long"));
    let reply = call(&server, &[("Action", "Publish"), ("TopicArn", &topic), ("Message", &too_long[1..])]).await;
    assert_eq!(reply.status, 200, "262,144 bytes is the limit");
    let sdk_error = sns_client.get_topic_attributes().topic_arn(format!("{topic}x")).send().await.unwrap_err();
    assert!(sdk_error.into_service_error().is_not_found_exception());
}

#[tokio::test]
async fn xml_shapes_have_every_result_element_and_empty_lists() {
    let server = start_server().await;
    let created = call(&server, &[("Action", "CreateTopic"), ("Name", "t")]).await;
    let topic = xml_value(&created.text(), "TopicArn").unwrap();
    let tagged = call(
        &server,
        &[("Action", "TagResource"), ("ResourceArn", &topic), ("Tags.member.1.Key", "k"), ("Tags.member.1.Value", "v")],
    )
    .await;
    assert!(tagged.text().contains("<TagResourceResult/>"), "{}", tagged.text());
    let tags = call(&server, &[("Action", "ListTagsForResource"), ("ResourceArn", &topic)]).await;
    assert!(tags.text().contains("<Tags><member><Key>k</Key><Value>v</Value></member></Tags>"));
    let deleted = call(&server, &[("Action", "DeleteTopic"), ("TopicArn", &topic)]).await;
    assert!(deleted
        .text()
        .starts_with("<DeleteTopicResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><ResponseMetadata>"));
    let again = call(&server, &[("Action", "DeleteTopic"), ("TopicArn", &topic)]).await;
    assert_eq!(again.status, 200, "DeleteTopic is idempotent");
    let subscriptions = call(&server, &[("Action", "ListSubscriptions")]).await;
    assert!(subscriptions
        .text()
        .contains("<ListSubscriptionsResult><Subscriptions></Subscriptions></ListSubscriptionsResult>"));
    let created = call(&server, &[("Action", "CreateTopic"), ("Name", "t")]).await;
    let topic = xml_value(&created.text(), "TopicArn").unwrap();
    let batch = call(
        &server,
        &[
            ("Action", "PublishBatch"),
            ("TopicArn", &topic),
            ("PublishBatchRequestEntries.member.1.Id", "a"),
            ("PublishBatchRequestEntries.member.1.Message", "m"),
        ],
    )
    .await;
    assert!(batch.text().contains("</Successful><Failed></Failed></PublishBatchResult>"), "{}", batch.text());
    let tags = call(&server, &[("Action", "ListTagsForResource"), ("ResourceArn", &topic)]).await;
    assert!(tags.text().contains("<Tags></Tags>"), "a recreated topic starts without the old tags");
}

#[tokio::test]
async fn create_topic_and_subscribe_are_idempotent_for_equal_input_only() {
    let server = start_server().await;
    let (sns, sqs) = (sns(&server), sqs(&server));
    let first = sns.create_topic().name("t").attributes("DisplayName", "d").send().await.unwrap().topic_arn;
    assert_eq!(sns.create_topic().name("t").send().await.unwrap().topic_arn, first);
    assert_eq!(sns.create_topic().name("t").attributes("FifoTopic", "false").send().await.unwrap().topic_arn, first);
    let differs = sns.create_topic().name("t").attributes("DisplayName", "other").send().await.unwrap_err();
    assert_eq!(
        differs.into_service_error().meta().message(),
        Some("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
    );
    let topic = first.unwrap();
    let (_, arn) = queue(&sqs, "q").await;
    let subscription = subscribe(&sns, &topic, &arn, &[]).await;
    assert_eq!(subscribe(&sns, &topic, &arn, &[("FilterPolicyScope", "MessageAttributes")]).await, subscription);
    let differs = sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        differs.into_service_error().meta().message(),
        Some("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
    );
}

#[tokio::test]
async fn listings_page_at_one_hundred() {
    let server = start_server().await;
    let sns = sns(&server);
    let topic = sns.create_topic().name("t").send().await.unwrap().topic_arn.unwrap();
    for n in 0..101 {
        sns.subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(format!("arn:aws:sqs:us-east-1:000000000000:q{n}"))
            .send()
            .await
            .unwrap();
    }
    let first = sns.list_subscriptions_by_topic().topic_arn(&topic).send().await.unwrap();
    assert_eq!(first.subscriptions().len(), 100);
    let second =
        sns.list_subscriptions_by_topic().topic_arn(&topic).next_token(first.next_token.unwrap()).send().await.unwrap();
    assert_eq!(second.subscriptions().len(), 1);
    assert!(second.next_token.is_none(), "no token on the last page");
    let all: usize = sns.list_subscriptions().into_paginator().items().send().collect::<Vec<_>>().await.len();
    assert_eq!(all, 101);
}

#[tokio::test]
async fn a_gone_queue_sends_to_the_subscriptions_dead_letter_queue_in_the_same_format() {
    let server = start_server().await;
    let (sns, sqs) = (sns(&server), sqs(&server));
    let topic = sns.create_topic().name("t").send().await.unwrap().topic_arn.unwrap();
    let (dlq_url, dlq_arn) = queue(&sqs, "dlq").await;
    let redrive = json!({"deadLetterTargetArn": dlq_arn}).to_string();
    let gone = "arn:aws:sqs:us-east-1:000000000000:gone";
    subscribe(&sns, &topic, gone, &[("RawMessageDelivery", "true"), ("RedrivePolicy", &redrive)]).await;
    let published =
        sns.publish().topic_arn(&topic).message("lost?").message_attributes("a", string_attribute("b")).send().await;
    assert!(published.is_ok(), "Publish succeeds whatever the delivery does");
    let messages = receive(&sqs, &dlq_url).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body(), Some("lost?"));
    assert_eq!(messages[0].message_attributes.as_ref().unwrap()["a"].string_value(), Some("b"));
}

#[tokio::test]
async fn message_structure_json_picks_the_sqs_entry() {
    let server = start_server().await;
    let (sns, sqs) = (sns(&server), sqs(&server));
    let topic = sns.create_topic().name("t").send().await.unwrap().topic_arn.unwrap();
    let (url, arn) = queue(&sqs, "q").await;
    subscribe(&sns, &topic, &arn, &[("RawMessageDelivery", "true")]).await;
    let message = json!({"default": "for everyone", "sqs": "for queues", "http": 5}).to_string();
    sns.publish().topic_arn(&topic).message_structure("json").message(message).send().await.unwrap();
    assert_eq!(receive(&sqs, &url).await[0].body(), Some("for queues"));
}

/// Accepts one HTTP request on `listener` and answers 200; returns its head and body.
async fn accept_one(listener: &tokio::net::TcpListener) -> (HashMap<String, String>, String, String) {
    let (mut stream, _) = tokio::time::timeout(Duration::from_secs(5), listener.accept()).await.unwrap().unwrap();
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        buffer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buffer).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let length: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length || n == 0 {
                let mut lines = head.lines();
                let request_line = lines.next().unwrap().to_string();
                let headers = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await.unwrap();
                return (headers, request_line, text[end + 4..].to_string());
            }
        }
    }
}

#[tokio::test]
async fn http_subscriptions_confirm_then_receive_posts_with_aws_headers() {
    let server = start_server().await;
    let sns = sns(&server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/hook", listener.local_addr().unwrap());
    let topic = sns.create_topic().name("t").send().await.unwrap().topic_arn.unwrap();
    let reply = sns.subscribe().topic_arn(&topic).protocol("http").endpoint(&endpoint).send().await.unwrap();
    assert_eq!(reply.subscription_arn(), Some("pending confirmation"));
    let (headers, request_line, body) = accept_one(&listener).await;
    assert_eq!(request_line, "POST /hook HTTP/1.1");
    assert_eq!(headers["x-amz-sns-message-type"], "SubscriptionConfirmation");
    assert_eq!(headers["x-amz-sns-topic-arn"], topic);
    assert!(!headers.contains_key("x-amz-sns-subscription-arn"));
    assert_eq!(headers["user-agent"], "Amazon Simple Notification Service Agent");
    let confirmation: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(confirmation["Type"], "SubscriptionConfirmation");
    let listed = sns.list_subscriptions_by_topic().topic_arn(&topic).send().await.unwrap();
    assert_eq!(listed.subscriptions()[0].subscription_arn(), Some("PendingConfirmation"));
    // The SubscribeURL is a plain GET on the port.
    let subscribe_url = confirmation["SubscribeURL"].as_str().unwrap();
    let path = subscribe_url.strip_prefix(&server.url()).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", server.addr);
    let confirmed = common::send_raw(&server.addr, request.as_bytes()).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());
    let subscription = xml_value(&confirmed.text(), "SubscriptionArn").unwrap();
    assert!(subscription.starts_with(&topic));
    sns.publish().topic_arn(&topic).message("hello").send().await.unwrap();
    let (headers, _, body) = accept_one(&listener).await;
    assert_eq!(headers["x-amz-sns-message-type"], "Notification");
    assert_eq!(headers["x-amz-sns-subscription-arn"], subscription);
    assert_eq!(headers["content-type"], "text/plain; charset=UTF-8");
    let notification: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (notification["Type"].as_str(), notification["Message"].as_str()),
        (Some("Notification"), Some("hello"))
    );
}

#[tokio::test]
async fn with_credentials_only_a_queue_policy_lets_the_topic_send() {
    let mut config = Config::defaults();
    config.credentials = vec!["test:test".into()];
    let server = start_server_with(config).await;
    let (sns, sqs) = (sns(&server), sqs(&server));
    let topic = sns.create_topic().name("t").send().await.unwrap().topic_arn.unwrap();
    let (closed_url, closed_arn) = queue(&sqs, "closed").await;
    let (open_url, open_arn) = queue(&sqs, "open").await;
    let policy = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": open_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]});
    sqs.set_queue_attributes()
        .queue_url(&open_url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .unwrap();
    subscribe(&sns, &topic, &closed_arn, &[]).await;
    subscribe(&sns, &topic, &open_arn, &[]).await;
    sns.publish().topic_arn(&topic).message("m").send().await.unwrap();
    assert_eq!(receive(&sqs, &open_url).await.len(), 1);
    assert!(receive(&sqs, &closed_url).await.is_empty(), "no policy, no delivery");
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .endpoint_url(server.url())
        .region(aws_sdk_sns::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sns::config::Credentials::new("test", "wrong", None, None, "test"))
        .build();
    let wrong = aws_sdk_sns::Client::from_conf(config).list_topics().send().await.unwrap_err();
    let wrong = wrong.into_service_error();
    assert_eq!(wrong.meta().code(), Some("SignatureDoesNotMatch"), "SNS verifies signatures too");
}

/// The binary on a data directory, killed with SIGKILL.
struct Durable {
    child: std::process::Child,
    addr: String,
}

impl Durable {
    fn start(dir: &std::path::Path, port: u16) -> Durable {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_sqs-local"))
            .args(["--port", &port.to_string(), "--data-dir"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(std::time::Instant::now() < deadline, "the server starts");
            std::thread::sleep(Duration::from_millis(5));
        }
        Durable { child, addr }
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

#[tokio::test]
async fn topics_and_subscriptions_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Durable::start(dir.path(), port);
    let url = format!("http://{}", server.addr);
    let (sns, sqs) = (sns_at(&url), sqs_at(&url));
    let topic = sns
        .create_topic()
        .name("orders")
        .tags(aws_sdk_sns::types::Tag::builder().key("k").value("v").build().unwrap())
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let (url, arn) = queue(&sqs, "billing").await;
    let subscription =
        subscribe(&sns, &topic, &arn, &[("RawMessageDelivery", "true"), ("FilterPolicy", r#"{"kind":["new"]}"#)]).await;
    server.kill();
    let server = Durable::start(dir.path(), port);
    let attributes = sns.get_subscription_attributes().subscription_arn(&subscription).send().await.unwrap();
    assert_eq!(attributes.attributes.unwrap()["FilterPolicy"], r#"{"kind":["new"]}"#);
    for kind in ["old", "new"] {
        sns.publish()
            .topic_arn(&topic)
            .message(kind)
            .message_attributes("kind", string_attribute(kind))
            .send()
            .await
            .unwrap();
    }
    let messages = receive(&sqs, &url).await;
    assert_eq!(messages.iter().map(|m| m.body().unwrap()).collect::<Vec<_>>(), ["new"], "filtered and raw as before");
    let tags = sns.list_tags_for_resource().resource_arn(&topic).send().await.unwrap();
    assert_eq!(tags.tags().len(), 1);
    server.kill();
}
