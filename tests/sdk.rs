//! compat-tests scenarios (compat-tests/scenarios.md) with the official Rust SDK (aws-sdk-sqs:
//! JSON 1.0, typed errors from x-amzn-query-error). Under `cargo test` each test starts its own
//! server in-process; compat-tests/run.sh runs the same tests against the release binary by setting
//! SQS_LOCAL_COMPAT_ENDPOINT.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry, MessageAttributeValue,
    MessageSystemAttributeName, MessageSystemAttributeNameForSends, MessageSystemAttributeValue, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use aws_sdk_sqs::Client;
use common::*;

/// The endpoint under test and, when started here, the server keeping it alive.
async fn target() -> (Client, String, Option<TestServer>) {
    if let Ok(url) = std::env::var("SQS_LOCAL_COMPAT_ENDPOINT") {
        return (client_for(&url).await, url, None);
    }
    let server = start_server().await;
    let url = server.url();
    (client_for(&url).await, url, Some(server))
}

async fn client_for(url: &str) -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "static"))
        .load()
        .await;
    Client::new(&config)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

async fn create(sqs: &Client, name: &str, attributes: &[(QueueAttributeName, &str)]) -> String {
    let mut request = sqs.create_queue().queue_name(name);
    for (k, v) in attributes {
        request = request.attributes(k.clone(), *v);
    }
    request.send().await.unwrap().queue_url.unwrap()
}

#[tokio::test]
async fn s02_queue_lifecycle_and_attributes() {
    let (sqs, endpoint, _server) = target().await;
    let name = unique("rs");
    let url = create(&sqs, &name, &[(QueueAttributeName::VisibilityTimeout, "40")]).await;
    assert_eq!(url, format!("{endpoint}/000000000000/{name}"));
    assert_eq!(create(&sqs, &name, &[(QueueAttributeName::VisibilityTimeout, "40")]).await, url);
    let err = sqs
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::VisibilityTimeout, "41")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_queue_name_exists(), "{err:?}");
    assert_eq!(err.code(), Some("QueueAlreadyExists"));
    let attrs =
        sqs.get_queue_attributes().queue_url(&url).attribute_names(QueueAttributeName::All).send().await.unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(attrs[&QueueAttributeName::VisibilityTimeout], "40");
    assert_eq!(attrs[&QueueAttributeName::MaximumMessageSize], "1048576");
    assert_eq!(attrs[&QueueAttributeName::QueueArn], format!("arn:aws:sqs:us-east-1:000000000000:{name}"));
    sqs.set_queue_attributes().queue_url(&url).attributes(QueueAttributeName::DelaySeconds, "2").send().await.unwrap();
    let listed = sqs.list_queues().queue_name_prefix(&name).send().await.unwrap();
    assert_eq!(listed.queue_urls(), std::slice::from_ref(&url));
    sqs.delete_queue().queue_url(&url).send().await.unwrap();
    let err = sqs.get_queue_url().queue_name(&name).send().await.unwrap_err().into_service_error();
    assert!(err.is_queue_does_not_exist(), "typed error needs x-amzn-query-error: {err:?}");
}

#[tokio::test]
async fn s03_tags() {
    let (sqs, _, _server) = target().await;
    let url = sqs.create_queue().queue_name(unique("rs")).tags("team", "core").send().await.unwrap().queue_url.unwrap();
    sqs.tag_queue().queue_url(&url).tags("env", "ci").send().await.unwrap();
    sqs.untag_queue().queue_url(&url).tag_keys("team").send().await.unwrap();
    let tags = sqs.list_queue_tags().queue_url(&url).send().await.unwrap();
    assert_eq!(tags.tags().unwrap().len(), 1);
    assert_eq!(tags.tags().unwrap()["env"], "ci");
}

#[tokio::test]
async fn s04_s05_attributes_digests_and_trace_header() {
    let (sqs, _, _server) = target().await;
    let url = create(&sqs, &unique("rs"), &[]).await;
    let string = |t: &str, v: &str| MessageAttributeValue::builder().data_type(t).string_value(v).build().unwrap();
    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body("Hello, world!")
        .message_attributes("City", string("String", "Any City"))
        .message_attributes("Count", string("Number", "42"))
        .message_attributes(
            "Blob",
            MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(Blob::new(vec![1, 2, 3]))
                .build()
                .unwrap(),
        )
        .message_system_attributes(
            MessageSystemAttributeNameForSends::AwsTraceHeader,
            MessageSystemAttributeValue::builder()
                .data_type("String")
                .string_value("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // The documented worked example (shared/sqs-reference.md §9).
    assert_eq!(sent.md5_of_message_body(), Some("6cd3556deb0da54bca060b4c39479839"));
    assert_eq!(sent.md5_of_message_attributes(), Some("2ec18b46869cf965d63dcd13cef6697d"));
    assert_eq!(sent.md5_of_message_system_attributes(), Some("5f48eef650c1d0207456969c85af2fdd"));
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let m = &received.messages()[0];
    assert_eq!(m.body(), Some("Hello, world!"));
    assert_eq!(m.md5_of_message_attributes(), Some("2ec18b46869cf965d63dcd13cef6697d"));
    assert_eq!(m.message_attributes().unwrap()["Blob"].binary_value().unwrap().as_ref(), &[1, 2, 3]);
    let attrs = m.attributes().unwrap();
    assert_eq!(attrs[&MessageSystemAttributeName::ApproximateReceiveCount], "1");
    assert_eq!(
        attrs[&MessageSystemAttributeName::AwsTraceHeader],
        "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    );
    assert_eq!(attrs[&MessageSystemAttributeName::SenderId], "000000000000");
}

#[tokio::test]
async fn s06_batches_with_a_partial_failure() {
    let (sqs, _, _server) = target().await;
    let url = create(&sqs, &unique("rs"), &[(QueueAttributeName::MaximumMessageSize, "1024")]).await;
    let entry =
        |id: &str, body: String| SendMessageBatchRequestEntry::builder().id(id).message_body(body).build().unwrap();
    let sent = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("ok1", "one".into()))
        .entries(entry("big", "x".repeat(1025)))
        .entries(entry("ok2", "two".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.successful().len(), 2);
    assert_eq!(sent.failed().len(), 1);
    assert_eq!(
        (sent.failed()[0].id(), sent.failed()[0].code(), sent.failed()[0].sender_fault()),
        ("big", "InvalidParameterValue", true)
    );
    let received = sqs.receive_message().queue_url(&url).max_number_of_messages(10).send().await.unwrap();
    assert_eq!(received.messages().len(), 2);
    let changed = sqs
        .change_message_visibility_batch()
        .queue_url(&url)
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("c")
                .receipt_handle(received.messages()[0].receipt_handle().unwrap())
                .visibility_timeout(5)
                .build()
                .unwrap(),
        )
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("bad")
                .receipt_handle("garbage")
                .visibility_timeout(5)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(changed.failed()[0].code(), "ReceiptHandleIsInvalid");
    let mut delete = sqs.delete_message_batch().queue_url(&url);
    for (i, m) in received.messages().iter().enumerate() {
        delete = delete.entries(
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle().unwrap())
                .build()
                .unwrap(),
        );
    }
    let deleted = delete.send().await.unwrap();
    assert_eq!(deleted.successful().len(), 2);
}

#[tokio::test]
async fn s07_visibility_heartbeat_and_redelivery() {
    let (sqs, _, _server) = target().await;
    let url = create(&sqs, &unique("rs"), &[]).await;
    sqs.send_message().queue_url(&url).message_body("work").send().await.unwrap();
    let first = sqs.receive_message().queue_url(&url).send().await.unwrap().messages()[0].clone();
    let handle = first.receipt_handle().unwrap();
    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(handle)
        .visibility_timeout(120)
        .send()
        .await
        .unwrap();
    assert!(sqs.receive_message().queue_url(&url).send().await.unwrap().messages().is_empty());
    sqs.change_message_visibility().queue_url(&url).receipt_handle(handle).visibility_timeout(0).send().await.unwrap();
    let again = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .unwrap();
    let again = &again.messages()[0];
    assert_eq!(again.message_id(), first.message_id());
    assert_eq!(again.attributes().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount], "2");
}

#[tokio::test]
async fn s08_delay() {
    let (sqs, _, _server) = target().await;
    let url = create(&sqs, &unique("rs"), &[]).await;
    sqs.send_message().queue_url(&url).message_body("later").delay_seconds(1).send().await.unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .unwrap();
    assert_eq!(attrs.attributes().unwrap()[&QueueAttributeName::ApproximateNumberOfMessagesDelayed], "1");
    assert!(sqs.receive_message().queue_url(&url).send().await.unwrap().messages().is_empty());
    let got = sqs.receive_message().queue_url(&url).wait_time_seconds(3).send().await.unwrap();
    assert_eq!(got.messages()[0].body(), Some("later"));
}

#[tokio::test]
async fn s09_long_poll_woken_by_another_client() {
    let (sqs, _, _server) = target().await;
    let url = create(&sqs, &unique("rs"), &[]).await;
    let (producer, url2) = (sqs.clone(), url.clone());
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        producer.send_message().queue_url(url2).message_body("wake").send().await.unwrap();
    });
    let started = Instant::now();
    let got = sqs.receive_message().queue_url(&url).wait_time_seconds(10).send().await.unwrap();
    assert_eq!(got.messages()[0].body(), Some("wake"));
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn s10_fifo_order_groups_dedup_and_batches() {
    let (sqs, _, _server) = target().await;
    let url = create(
        &sqs,
        &format!("{}.fifo", unique("rs")),
        &[(QueueAttributeName::FifoQueue, "true"), (QueueAttributeName::ContentBasedDeduplication, "true")],
    )
    .await;
    let mut batch = sqs.send_message_batch().queue_url(&url);
    for (i, (group, body)) in [("g1", "g1-m1"), ("g2", "g2-m1"), ("g1", "g1-m2"), ("g1", "g1-m3")].iter().enumerate() {
        batch = batch.entries(
            SendMessageBatchRequestEntry::builder()
                .id(format!("e{i}"))
                .message_body(*body)
                .message_group_id(*group)
                .build()
                .unwrap(),
        );
    }
    let sent = batch.send().await.unwrap();
    let numbers: Vec<u128> = sent.successful().iter().map(|s| s.sequence_number().unwrap().parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]));
    let dup = sqs.send_message().queue_url(&url).message_body("g1-m1").message_group_id("g1").send().await.unwrap();
    let received = sqs.receive_message().queue_url(&url).max_number_of_messages(10).send().await.unwrap();
    let bodies: Vec<_> = received.messages().iter().map(|m| m.body().unwrap()).collect();
    assert_eq!(bodies, ["g1-m1", "g1-m2", "g1-m3", "g2-m1"]);
    assert_eq!(dup.message_id(), received.messages()[0].message_id());
    assert!(sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages()
        .is_empty());
    let err = sqs.send_message().queue_url(&url).message_body("x").send().await.unwrap_err().into_service_error();
    assert_eq!(err.code(), Some("MissingParameter"));
    let err = sqs
        .send_message_batch()
        .queue_url(&url)
        .set_entries(Some(vec![]))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_empty_batch_request(), "{err:?}");
}

#[tokio::test]
async fn s11_s14_poison_message_to_dlq_and_move_task_back() {
    let (sqs, _, _server) = target().await;
    let name = unique("rs");
    let dlq = create(&sqs, &format!("{name}-dlq"), &[]).await;
    let dlq_arn = format!("arn:aws:sqs:us-east-1:000000000000:{name}-dlq");
    let policy = format!("{{\"deadLetterTargetArn\":\"{dlq_arn}\",\"maxReceiveCount\":\"2\"}}");
    let src = create(
        &sqs,
        &name,
        &[(QueueAttributeName::RedrivePolicy, policy.as_str()), (QueueAttributeName::VisibilityTimeout, "0")],
    )
    .await;
    sqs.send_message().queue_url(&src).message_body("poison").send().await.unwrap();
    for _ in 0..2 {
        assert_eq!(sqs.receive_message().queue_url(&src).send().await.unwrap().messages().len(), 1);
    }
    assert!(sqs.receive_message().queue_url(&src).send().await.unwrap().messages().is_empty());
    let dead = sqs
        .receive_message()
        .queue_url(&dlq)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let attrs = dead.messages()[0].attributes().unwrap();
    assert_eq!(
        attrs[&MessageSystemAttributeName::DeadLetterQueueSourceArn],
        format!("arn:aws:sqs:us-east-1:000000000000:{name}")
    );
    assert_eq!(
        sqs.list_dead_letter_source_queues().queue_url(&dlq).send().await.unwrap().queue_urls(),
        std::slice::from_ref(&src)
    );

    let task = sqs.start_message_move_task().source_arn(&dlq_arn).send().await.unwrap();
    assert!(task.task_handle().is_some());
    let mut status = String::new();
    for _ in 0..50 {
        let listed = sqs.list_message_move_tasks().source_arn(&dlq_arn).send().await.unwrap();
        status = listed.results()[0].status().unwrap().to_string();
        if status != "RUNNING" {
            assert_eq!(listed.results()[0].approximate_number_of_messages_moved(), 1);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "COMPLETED");
    assert_eq!(sqs.receive_message().queue_url(&src).send().await.unwrap().messages()[0].body(), Some("poison"));
    let err = sqs
        .start_message_move_task()
        .source_arn(format!("{dlq_arn}-missing"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
}

#[tokio::test]
async fn s12_errors_map_to_the_exceptions_sqs_raises() {
    let (sqs, _, _server) = target().await;
    let url = create(&sqs, &unique("rs"), &[]).await;
    let err =
        sqs.delete_message().queue_url(&url).receipt_handle("garbage").send().await.unwrap_err().into_service_error();
    assert!(err.is_receipt_handle_is_invalid(), "{err:?}");
    let err = sqs.send_message().queue_url(&url).message_body("x".repeat(1_048_577)).send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    let err = sqs.receive_message().queue_url(&url).max_number_of_messages(11).send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameterValue"));
    assert_eq!(
        err.message(),
        Some("Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
    );
}

#[tokio::test]
async fn s13_purge_and_counters() {
    let (sqs, _, _server) = target().await;
    let url = create(&sqs, &unique("rs"), &[]).await;
    for i in 0..3 {
        sqs.send_message().queue_url(&url).message_body(i.to_string()).send().await.unwrap();
    }
    sqs.receive_message().queue_url(&url).send().await.unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(attrs[&QueueAttributeName::ApproximateNumberOfMessages], "2");
    assert_eq!(attrs[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible], "1");
    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    let attrs =
        sqs.get_queue_attributes().queue_url(&url).attribute_names(QueueAttributeName::All).send().await.unwrap();
    assert_eq!(attrs.attributes().unwrap()[&QueueAttributeName::ApproximateNumberOfMessages], "0");
}

/// Fan-out with the Rust SNS SDK (aws-sdk-sns, AWS Query): one topic, two queues with the Policy
/// AWS requires, one raw and filtered; every subscriber gets its copy before Publish returns.
#[tokio::test]
async fn s17_sns_fan_out_into_queues() {
    let (sqs, url, _server) = target().await;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "static"))
        .load()
        .await;
    let sns = aws_sdk_sns::Client::new(&config);
    let topic = sns.create_topic().name(unique("sdk-orders")).send().await.unwrap().topic_arn.unwrap();
    let mut queues = Vec::new();
    for (name, attributes) in [
        ("sdk-billing", vec![]),
        ("sdk-raw", vec![("RawMessageDelivery", "true"), ("FilterPolicy", r#"{"kind":["new"]}"#)]),
    ] {
        let queue_url = create(&sqs, &unique(name), &[]).await;
        let reply = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap();
        let arn = reply.attributes().unwrap()[&QueueAttributeName::QueueArn].clone();
        let policy = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]});
        sqs.set_queue_attributes()
            .queue_url(&queue_url)
            .attributes(QueueAttributeName::Policy, policy.to_string())
            .send()
            .await
            .unwrap();
        let mut subscribe = sns.subscribe().topic_arn(&topic).protocol("sqs").endpoint(&arn);
        for (k, v) in attributes {
            subscribe = subscribe.attributes(k, v);
        }
        subscribe.send().await.unwrap();
        queues.push(queue_url);
    }
    for kind in ["old", "new"] {
        let attribute = aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(kind)
            .build()
            .unwrap();
        sns.publish()
            .topic_arn(&topic)
            .message(format!("{kind} order"))
            .message_attributes("kind", attribute)
            .send()
            .await
            .unwrap();
    }
    let receive = |queue: String| {
        let sqs = sqs.clone();
        async move {
            let reply = sqs
                .receive_message()
                .queue_url(queue)
                .max_number_of_messages(10)
                .message_attribute_names("All")
                .send()
                .await
                .unwrap();
            reply.messages.unwrap_or_default()
        }
    };
    let envelopes = receive(queues[0].clone()).await;
    let messages: Vec<String> = envelopes
        .iter()
        .map(|m| {
            serde_json::from_str::<serde_json::Value>(m.body().unwrap()).unwrap()["Message"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(messages, ["old order", "new order"]);
    let raw = receive(queues[1].clone()).await;
    assert_eq!(raw.iter().map(|m| m.body().unwrap()).collect::<Vec<_>>(), ["new order"]);
    assert_eq!(raw[0].message_attributes.as_ref().unwrap()["kind"].string_value(), Some("new"));
    let missing = sns.publish().topic_arn(format!("{topic}-missing")).message("m").send().await.unwrap_err();
    assert!(missing.into_service_error().is_not_found_exception());
}
