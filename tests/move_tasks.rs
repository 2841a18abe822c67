//! The message move task actions at the api layer, on the paused clock: Start/List/Cancel through
//! their typed requests, and AWS's errors (shared/aws-recordings move-task cases). The engine's
//! side of move tasks is in the backend conformance suite.

use std::sync::Arc;
use std::time::Duration;

use sqs_local::engine::clock::TokioClock;
use sqs_local::engine::message::NewMessage;
use sqs_local::engine::{Engine, EngineSettings};
use sqs_local::error::{ErrorCode, SqsError};
use sqs_local::sqs::api::num::Num;
use sqs_local::sqs::api::queue::CreateQueueRequest;
use sqs_local::sqs::api::redrive::{
    CancelMessageMoveTaskRequest, ListMessageMoveTasksRequest, StartMessageMoveTaskRequest,
};
use sqs_local::sqs::api::{dispatch, Request, RequestContext, Response};
use tokio::time::advance;

fn engine() -> Engine {
    let settings = EngineSettings { purge_cooldown: false, delete_cooldown: false, ..Default::default() };
    Engine::in_memory(Arc::new(TokioClock::starting_at(1_700_000_000_000)), settings)
}

async fn call(engine: &Engine, request: Request) -> Result<Response, SqsError> {
    dispatch(engine, &RequestContext::default(), request).await
}

const ARN: &str = "arn:aws:sqs:us-east-1:000000000000:";

/// Creates queue `name` (visibility 0), dead-lettering into `dlq` after one receive when given.
async fn create(engine: &Engine, name: &str, dlq: Option<&str>) {
    let mut attributes = std::collections::BTreeMap::from([("VisibilityTimeout".to_string(), "0".to_string())]);
    if let Some(dlq) = dlq {
        let policy = format!("{{\"deadLetterTargetArn\":\"{ARN}{dlq}\",\"maxReceiveCount\":1}}");
        attributes.insert("RedrivePolicy".into(), policy);
    }
    let request = CreateQueueRequest { queue_name: Some(name.into()), attributes, tags: Default::default() };
    call(engine, Request::CreateQueue(request)).await.unwrap();
}

fn id(name: &str) -> sqs_local::engine::QueueId {
    sqs_local::engine::QueueId::new(RequestContext::default().namespace, name)
}

fn num(v: i64) -> Option<Num> {
    Some(Num { raw: v.to_string(), value: Some(v) })
}

fn start(source: &str, destination: Option<&str>, rate: Option<i64>) -> Request {
    Request::StartMessageMoveTask(StartMessageMoveTaskRequest {
        source_arn: Some(format!("{ARN}{source}")),
        destination_arn: destination.map(|d| format!("{ARN}{d}")),
        max_number_of_messages_per_second: rate.and_then(num),
    })
}

#[tokio::test(start_paused = true)]
async fn start_list_and_cancel() {
    let e = engine();
    create(&e, "dlq", None).await;
    create(&e, "src", Some("dlq")).await;
    create(&e, "dest", None).await;
    let messages = (0..10).map(|i| NewMessage::standard(format!("m{i}"))).collect();
    e.send(&id("src"), messages).await.unwrap();
    e.receive(&id("src"), &Default::default(), Some(0)).await.unwrap();
    for _ in 0..20 {
        e.receive(
            &id("src"),
            &sqs_local::engine::message::ReceiveRequest { max_messages: 10, ..Default::default() },
            Some(0),
        )
        .await
        .unwrap();
    }
    assert_eq!(e.counts(&id("dlq")).await.unwrap().available, 10);

    let Response::StartMessageMoveTask(started) = call(&e, start("dlq", Some("dest"), Some(1))).await.unwrap() else {
        panic!("wrong response")
    };
    // A second task on the same source is refused while the first runs.
    let err = call(&e, start("dlq", None, None)).await.unwrap_err();
    assert_eq!(
        err.message,
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
    );
    advance(Duration::from_millis(1_500)).await;
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let list = ListMessageMoveTasksRequest { source_arn: Some(format!("{ARN}dlq")), max_results: None };
    let Response::ListMessageMoveTasks(listed) = call(&e, Request::ListMessageMoveTasks(list)).await.unwrap() else {
        panic!("wrong response")
    };
    assert_eq!(listed.results.len(), 1);
    assert_eq!(listed.results[0].status, "RUNNING");
    assert_eq!(listed.results[0].task_handle.as_deref(), Some(started.task_handle.as_str()));
    assert_eq!(listed.results[0].approximate_number_of_messages_to_move, 10);
    assert_eq!(listed.results[0].max_number_of_messages_per_second, Some(1));
    assert_eq!(listed.results[0].destination_arn.as_deref(), Some(format!("{ARN}dest").as_str()));

    let cancel = CancelMessageMoveTaskRequest { task_handle: Some(started.task_handle.clone()) };
    let Response::CancelMessageMoveTask(cancelled) = call(&e, Request::CancelMessageMoveTask(cancel)).await.unwrap()
    else {
        panic!("wrong response")
    };
    assert_eq!(cancelled.approximate_number_of_messages_moved, 2);
    let cancel = CancelMessageMoveTaskRequest { task_handle: Some(started.task_handle) };
    let err = call(&e, Request::CancelMessageMoveTask(cancel)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidParameterValue, "only a running task can be cancelled");
}

#[tokio::test(start_paused = true)]
async fn start_and_cancel_errors_match_aws() {
    let e = engine();
    create(&e, "plain", None).await;
    let err = call(&e, start("plain", None, None)).await.unwrap_err();
    assert_eq!(
        (err.code, err.message.as_ref()),
        (ErrorCode::InvalidParameterValue, "Source queue must be configured as a Dead Letter Queue.")
    );
    let err = call(&e, start("nope", None, None)).await.unwrap_err();
    assert_eq!(
        (err.code, err.message.as_ref()),
        (ErrorCode::ResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
    );
    assert_eq!(err.code.status(), 404);
    create(&e, "src", Some("plain")).await;
    let err = call(&e, start("plain", Some("nope"), None)).await.unwrap_err();
    assert_eq!(err.message, "The resource that you specified for the DestinationArn parameter doesn't exist.");

    let cancel = |h: &str| Request::CancelMessageMoveTask(CancelMessageMoveTaskRequest { task_handle: Some(h.into()) });
    let err = call(&e, cancel("garbage")).await.unwrap_err();
    assert_eq!(err.message, "Value for parameter TaskHandle is invalid.");
    use base64::Engine as _;
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    let err = call(&e, cancel(&b64(format!("{{\"taskId\":\"x\",\"sourceArn\":\"{ARN}plain\"}}")))).await.unwrap_err();
    assert_eq!((err.code, err.message.as_ref()), (ErrorCode::ResourceNotFound, "Task does not exist."));
    let err = call(&e, cancel(&b64(format!("{{\"taskId\":\"x\",\"sourceArn\":\"{ARN}gone\"}}")))).await.unwrap_err();
    assert_eq!(err.message, "The resource that you specified for the SourceArn parameter doesn't exist.");
}
