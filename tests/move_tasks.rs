//! Message move tasks on the paused clock: back to each message's own source, pacing, cancel,
//! failure when a destination disappears, and AWS's errors (shared/aws-recordings move-task cases).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use sqs_local::api::num::Num;
use sqs_local::api::redrive::{CancelMessageMoveTaskRequest, ListMessageMoveTasksRequest, StartMessageMoveTaskRequest};
use sqs_local::api::{dispatch, Request, RequestContext, Response};
use sqs_local::engine::clock::TokioClock;
use sqs_local::engine::message::NewMessage;
use sqs_local::engine::move_task::MoveTaskStatus;
use sqs_local::engine::queue::{Queue, QueueConfig, ReceiveRequest, RedrivePolicy};
use sqs_local::engine::{Engine, EngineSettings};
use sqs_local::error::ErrorCode;
use tokio::time::advance;

fn engine() -> Engine {
    let settings = EngineSettings { purge_cooldown: false, delete_cooldown: false, ..Default::default() };
    Engine::new(settings, Arc::new(TokioClock::starting_at(1_700_000_000_000)))
}

fn create(engine: &Engine, name: &str, dlq: Option<&Arc<Queue>>) -> Arc<Queue> {
    let mut config = QueueConfig::new(false);
    config.visibility_timeout = 0;
    config.redrive_policy = dlq.map(|d| RedrivePolicy {
        dead_letter_target_arn: d.arn.to_string(),
        dead_letter_queue: d.name.clone(),
        max_receive_count: 1,
    });
    engine.create_queue(name, config, BTreeMap::new(), |_| Ok(())).unwrap()
}

/// Sends `bodies` to `source` and receives until they have all been dead-lettered.
async fn dead_letter(engine: &Engine, source: &Arc<Queue>, bodies: &[&str]) {
    for b in bodies {
        source.send(NewMessage { body: (*b).into(), ..Default::default() }, engine.now()).unwrap();
    }
    let req = ReceiveRequest { max_messages: 10, ..Default::default() };
    while !source.is_empty() {
        engine.receive(source, &req, 0).await;
    }
}

async fn drain(engine: &Engine, queue: &Arc<Queue>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    loop {
        let got = engine.receive(queue, &ReceiveRequest { max_messages: 10, ..Default::default() }, 0).await;
        if got.is_empty() {
            return out;
        }
        for m in got {
            assert!(m.dead_letter_source_arn.is_none(), "moved messages are new messages of the queue");
            assert_eq!(m.receive_count, 1);
            assert!(out.insert(m.body.to_string()), "duplicate");
            queue.delete(&m.receipt_handle, engine.now()).unwrap();
        }
    }
}

async fn call(engine: &Engine, request: Request) -> Result<Response, sqs_local::error::SqsError> {
    dispatch(engine, &RequestContext::default(), request).await
}

fn num(v: i64) -> Option<Num> {
    Some(Num { raw: v.to_string(), value: Some(v) })
}

#[tokio::test(start_paused = true)]
async fn messages_return_to_their_own_sources_at_the_given_pace() {
    let e = engine();
    let dlq = create(&e, "shared-dlq", None);
    let a = create(&e, "source-a", Some(&dlq));
    let b = create(&e, "source-b", Some(&dlq));
    dead_letter(&e, &a, &["a1", "a2", "a3"]).await;
    dead_letter(&e, &b, &["b1", "b2", "b3"]).await;
    assert_eq!(dlq.len(), 6);

    let started = e.now();
    let task = e.start_move_task(dlq.clone(), None, Some(2)).unwrap();
    assert_eq!(task.to_move, 6);
    // 2 per second: message n leaves at n/2 s, so after 1.1 s three have moved.
    advance(Duration::from_millis(1_100)).await;
    tokio::task::yield_now().await;
    let view = e.move_tasks(&dlq.arn)[0].view();
    assert_eq!((view.status, view.moved), (MoveTaskStatus::Running, 3));
    advance(Duration::from_secs(5)).await;
    tokio::task::yield_now().await;
    let view = e.move_tasks(&dlq.arn)[0].view();
    assert_eq!((view.status, view.moved), (MoveTaskStatus::Completed, 6));
    assert!(e.now() - started >= 2_500);

    assert!(dlq.is_empty());
    assert_eq!(drain(&e, &a).await, ["a1", "a2", "a3"].map(String::from).into());
    assert_eq!(drain(&e, &b).await, ["b1", "b2", "b3"].map(String::from).into());
}

#[tokio::test(start_paused = true)]
async fn cancel_stops_a_running_task() {
    let e = engine();
    let dlq = create(&e, "dlq", None);
    let src = create(&e, "src", Some(&dlq));
    let dest = create(&e, "dest", None);
    let bodies: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
    dead_letter(&e, &src, &bodies.iter().map(String::as_str).collect::<Vec<_>>()).await;

    let started = call(
        &e,
        Request::StartMessageMoveTask(StartMessageMoveTaskRequest {
            source_arn: Some(dlq.arn.to_string()),
            destination_arn: Some(dest.arn.to_string()),
            max_number_of_messages_per_second: num(1),
        }),
    )
    .await
    .unwrap();
    let Response::StartMessageMoveTask(started) = started else { panic!("wrong response") };

    // A second task on the same source is refused while the first runs.
    let err = call(
        &e,
        Request::StartMessageMoveTask(StartMessageMoveTaskRequest {
            source_arn: Some(dlq.arn.to_string()),
            destination_arn: None,
            max_number_of_messages_per_second: None,
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.message,
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
    );

    advance(Duration::from_millis(1_500)).await;
    tokio::task::yield_now().await;
    let listed = call(
        &e,
        Request::ListMessageMoveTasks(ListMessageMoveTasksRequest {
            source_arn: Some(dlq.arn.to_string()),
            max_results: None,
        }),
    )
    .await
    .unwrap();
    let Response::ListMessageMoveTasks(listed) = listed else { panic!("wrong response") };
    assert_eq!(listed.results.len(), 1);
    assert_eq!(listed.results[0].status, "RUNNING");
    assert_eq!(listed.results[0].task_handle.as_deref(), Some(started.task_handle.as_str()));
    assert_eq!(listed.results[0].approximate_number_of_messages_to_move, 10);
    assert_eq!(listed.results[0].max_number_of_messages_per_second, Some(1));

    let cancelled = call(
        &e,
        Request::CancelMessageMoveTask(CancelMessageMoveTaskRequest { task_handle: Some(started.task_handle.clone()) }),
    )
    .await
    .unwrap();
    let Response::CancelMessageMoveTask(cancelled) = cancelled else { panic!("wrong response") };
    assert_eq!(cancelled.approximate_number_of_messages_moved, 2);
    advance(Duration::from_secs(5)).await;
    tokio::task::yield_now().await;
    let view = e.move_tasks(&dlq.arn)[0].view();
    assert_eq!(view.status, MoveTaskStatus::Cancelled);
    assert_eq!(dest.len() + dlq.len(), 10, "nothing lost");
    // Cancelling again: the task is no longer running.
    let err = call(
        &e,
        Request::CancelMessageMoveTask(CancelMessageMoveTaskRequest { task_handle: Some(started.task_handle) }),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidParameterValue);
}

#[tokio::test(start_paused = true)]
async fn deleting_the_destination_fails_the_task() {
    let e = engine();
    let dlq = create(&e, "dlq", None);
    let src = create(&e, "src", Some(&dlq));
    let dest = create(&e, "dest", None);
    dead_letter(&e, &src, &["1", "2", "3", "4", "5"]).await;
    e.start_move_task(dlq.clone(), Some(dest.clone()), Some(1)).unwrap();
    advance(Duration::from_millis(1_500)).await;
    tokio::task::yield_now().await;
    e.delete_queue("dest").unwrap();
    advance(Duration::from_secs(5)).await;
    tokio::task::yield_now().await;
    let view = e.move_tasks(&dlq.arn)[0].view();
    assert_eq!(view.status, MoveTaskStatus::Failed);
    assert_eq!(view.failure_reason.as_deref(), Some("AWS.SimpleQueueService.NonExistentQueue"));
    assert_eq!(view.moved, 2);
    assert_eq!(dlq.len(), 3, "the message whose move failed is back in the source");
}

#[tokio::test(start_paused = true)]
async fn start_and_cancel_errors_match_aws() {
    let e = engine();
    let plain = create(&e, "plain", None);
    let start = |source: &str, dest: Option<&str>| {
        Request::StartMessageMoveTask(StartMessageMoveTaskRequest {
            source_arn: Some(source.to_string()),
            destination_arn: dest.map(str::to_string),
            max_number_of_messages_per_second: None,
        })
    };
    let err = call(&e, start(&plain.arn, None)).await.unwrap_err();
    assert_eq!(
        (err.code, err.message.as_ref()),
        (ErrorCode::InvalidParameterValue, "Source queue must be configured as a Dead Letter Queue.")
    );
    let err = call(&e, start("arn:aws:sqs:us-east-1:000000000000:nope", None)).await.unwrap_err();
    assert_eq!(
        (err.code, err.message.as_ref()),
        (ErrorCode::ResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
    );
    assert_eq!(err.code.status(), 404);
    let _src = create(&e, "src", Some(&plain));
    let err = call(&e, start(&plain.arn, Some("arn:aws:sqs:us-east-1:000000000000:nope"))).await.unwrap_err();
    assert_eq!(err.message, "The resource that you specified for the DestinationArn parameter doesn't exist.");

    let cancel = |h: &str| Request::CancelMessageMoveTask(CancelMessageMoveTaskRequest { task_handle: Some(h.into()) });
    let err = call(&e, cancel("garbage")).await.unwrap_err();
    assert_eq!(err.message, "Value for parameter TaskHandle is invalid.");
    use base64::Engine as _;
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    let err =
        call(&e, cancel(&b64(format!("{{\"taskId\":\"x\",\"sourceArn\":\"{}\"}}", plain.arn)))).await.unwrap_err();
    assert_eq!((err.code, err.message.as_ref()), (ErrorCode::ResourceNotFound, "Task does not exist."));
    let err =
        call(&e, cancel(&b64("{\"taskId\":\"x\",\"sourceArn\":\"arn:aws:sqs:us-east-1:000000000000:gone\"}".into())))
            .await
            .unwrap_err();
    assert_eq!(err.message, "The resource that you specified for the SourceArn parameter doesn't exist.");
}
