//! The official Rust SDK (aws-sdk-sqs, JSON 1.0 with query-compatible errors) against the server.

mod common;

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use common::*;

#[tokio::test]
async fn queue_lifecycle_and_messaging_through_the_rust_sdk() {
    let server = start_server().await;
    let sqs = sdk_client(&server).await;
    let url = sqs
        .create_queue()
        .queue_name("sdk-q")
        .attributes(QueueAttributeName::VisibilityTimeout, "40")
        .tags("team", "core")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert_eq!(url, server.queue_url("sdk-q"));
    // Idempotent with the same attributes; an error with different ones.
    sqs.create_queue()
        .queue_name("sdk-q")
        .attributes(QueueAttributeName::VisibilityTimeout, "40")
        .send()
        .await
        .unwrap();
    let err = sqs
        .create_queue()
        .queue_name("sdk-q")
        .attributes(QueueAttributeName::VisibilityTimeout, "41")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_queue_name_exists(), "{err:?}");

    let tags = sqs.list_queue_tags().queue_url(&url).send().await.unwrap();
    assert_eq!(tags.tags().unwrap().get("team").map(String::as_str), Some("core"));

    let sent = sqs
        .send_message()
        .queue_url(&url)
        .message_body("hello")
        .message_attributes(
            "City",
            MessageAttributeValue::builder().data_type("String").string_value("Any City").build().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(sent.md5_of_message_body(), Some("5d41402abc4b2a76b9719d911017c592"));

    let received = sqs
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let message = &received.messages()[0];
    assert_eq!(message.body(), Some("hello"));
    assert_eq!(message.message_id(), sent.message_id());
    assert_eq!(message.message_attributes().unwrap()["City"].string_value(), Some("Any City"));
    assert_eq!(message.attributes().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount], "1");

    sqs.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(message.receipt_handle().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let again = sqs.receive_message().queue_url(&url).send().await.unwrap();
    let handle = again.messages()[0].receipt_handle().unwrap();
    sqs.delete_message().queue_url(&url).receipt_handle(handle).send().await.unwrap();

    let attrs =
        sqs.get_queue_attributes().queue_url(&url).attribute_names(QueueAttributeName::All).send().await.unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(attrs[&QueueAttributeName::VisibilityTimeout], "40");
    assert_eq!(attrs[&QueueAttributeName::ApproximateNumberOfMessages], "0");

    sqs.purge_queue().queue_url(&url).send().await.unwrap();
    sqs.delete_queue().queue_url(&url).send().await.unwrap();
    let err = sqs.get_queue_url().queue_name("sdk-q").send().await.unwrap_err().into_service_error();
    assert!(err.is_queue_does_not_exist(), "typed error needs x-amzn-query-error: {err:?}");
}

#[tokio::test]
async fn batches_and_fifo_through_the_rust_sdk() {
    let server = start_server().await;
    let sqs = sdk_client(&server).await;
    let url = sqs
        .create_queue()
        .queue_name("sdk.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let entries: Vec<_> = (0..5)
        .map(|i| {
            SendMessageBatchRequestEntry::builder()
                .id(format!("e{i}"))
                .message_body(format!("m{i}"))
                .message_group_id("g")
                .build()
                .unwrap()
        })
        .collect();
    let sent = sqs.send_message_batch().queue_url(&url).set_entries(Some(entries)).send().await.unwrap();
    assert_eq!(sent.successful().len(), 5);
    assert!(sent.successful()[0].sequence_number().unwrap() < sent.successful()[4].sequence_number().unwrap());

    let received = sqs.receive_message().queue_url(&url).max_number_of_messages(10).send().await.unwrap();
    let bodies: Vec<_> = received.messages().iter().map(|m| m.body().unwrap()).collect();
    assert_eq!(bodies, vec!["m0", "m1", "m2", "m3", "m4"]);

    let deletes: Vec<_> = received
        .messages()
        .iter()
        .enumerate()
        .map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle().unwrap())
                .build()
                .unwrap()
        })
        .collect();
    let deleted = sqs.delete_message_batch().queue_url(&url).set_entries(Some(deletes)).send().await.unwrap();
    assert_eq!(deleted.successful().len(), 5);
    assert!(deleted.failed().is_empty());

    let err = sqs.send_message().queue_url(&url).message_body("x").send().await.unwrap_err().into_service_error();
    assert_eq!(aws_sdk_sqs::error::ProvideErrorMetadata::code(&err), Some("MissingParameter"));

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
