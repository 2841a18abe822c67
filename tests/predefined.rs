//! Queues created at startup from a file (`--queues-file`), through CreateQueue's validation.

use std::sync::Arc;

use sqs_local::engine::clock::TokioClock;
use sqs_local::engine::Namespace;
use sqs_local::engine::{Engine, EngineSettings, QueueId};
use sqs_local::sqs::api::RequestContext;

fn ns() -> Namespace {
    RequestContext::default().namespace
}

#[tokio::test]
async fn queues_file_creates_queues_in_order_with_validation() {
    let e = Engine::in_memory(Arc::new(TokioClock::new()), EngineSettings::default());
    let text = r#"{"queues": [
        {"name": "jobs-dlq"},
        {"name": "jobs", "attributes": {"VisibilityTimeout": "60",
          "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:jobs-dlq\",\"maxReceiveCount\":3}"},
         "tags": {"team": "billing"}},
        {"name": "events.fifo", "attributes": {"FifoQueue": "true"}}
    ]}"#;
    assert_eq!(sqs_local::predefined::create_from_json(&e, ns(), text).await, Ok(3));
    let id = |name: &str| QueueId::new(RequestContext::default().namespace, name);
    let jobs = e.queue(&id("jobs")).await.unwrap();
    assert_eq!(jobs.config().visibility_timeout, 60);
    assert_eq!(jobs.config().redrive_policy.as_ref().unwrap().max_receive_count, 3);
    assert_eq!(jobs.settings.tags.get("team").map(String::as_str), Some("billing"));
    assert!(e.queue(&id("events.fifo")).await.unwrap().is_fifo());
    // The same validation as CreateQueue, naming the entry.
    let err =
        sqs_local::predefined::create_from_json(&e, ns(), r#"{"queues": [{"name": "bad name"}]}"#).await.unwrap_err();
    assert!(err.starts_with("queues file: queues[0]: queue bad name: "), "{err}");
    let err = sqs_local::predefined::create_from_json(&e, ns(), r#"{"queues": [{"nam": "x"}]}"#).await.unwrap_err();
    assert!(err.starts_with("queues file: invalid queues file"), "{err}");
}
