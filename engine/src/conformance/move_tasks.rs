//! Message move tasks on the paused clock: back to each message's own source, pacing, cancel,
//! failure when a destination disappears, one active task per source.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::time::advance;

use super::*;
use crate::error::ErrorCode;
use crate::move_task::{MoveTask, MoveTaskStatus};

async fn create(engine: &Engine, name: &str, dlq: Option<&TestQueue>) -> TestQueue {
    let mut config = QueueConfig::new(false);
    config.visibility_timeout = 0;
    config.redrive_policy = dlq.and_then(|d| redrive_to(d, 1));
    TestQueue::create(engine, name, config).await
}

/// Sends `bodies` to `source` and receives until they have all been dead-lettered.
async fn dead_letter(source: &TestQueue, bodies: &[&str]) {
    for b in bodies {
        source.send(msg(b)).await.unwrap();
    }
    while source.held().await > 0 {
        source.receive(10).await;
    }
}

async fn drain(queue: &TestQueue) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    loop {
        let got = queue.receive(10).await;
        if got.is_empty() {
            return out;
        }
        for m in got {
            assert!(m.dead_letter_source_arn.is_none(), "moved messages are new messages of the queue");
            assert_eq!(m.receive_count, 1);
            assert!(out.insert(m.body.to_string()), "duplicate");
            queue.delete(&m.receipt_handle).await.unwrap();
        }
    }
}

/// Lets a task's runner see the time that passed.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

async fn task(engine: &Engine, source: &TestQueue) -> MoveTask {
    engine.move_tasks(&source.id).await.unwrap().remove(0)
}

pub async fn messages_return_to_their_own_sources_at_the_given_pace(factory: &Factory) {
    let e = engine(factory);
    let dlq = create(&e, "shared-dlq", None).await;
    let a = create(&e, "source-a", Some(&dlq)).await;
    let b = create(&e, "source-b", Some(&dlq)).await;
    dead_letter(&a, &["a1", "a2", "a3"]).await;
    dead_letter(&b, &["b1", "b2", "b3"]).await;
    assert_eq!(dlq.held().await, 6);

    let started = e.now();
    let started_task = e.start_move_task(&dlq.id, None, Some(2)).await.unwrap();
    assert_eq!(started_task.to_move, 6);
    // 2 per second: message n leaves at n/2 s, so after 1.1 s three have moved.
    advance(Duration::from_millis(1_100)).await;
    settle().await;
    let view = task(&e, &dlq).await;
    assert_eq!((view.status, view.moved), (MoveTaskStatus::Running, 3));
    advance(Duration::from_secs(5)).await;
    settle().await;
    let view = task(&e, &dlq).await;
    assert_eq!((view.status, view.moved), (MoveTaskStatus::Completed, 6));
    assert!(e.now() - started >= 2_500);

    assert_eq!(dlq.held().await, 0);
    assert_eq!(drain(&a).await, ["a1", "a2", "a3"].map(String::from).into());
    assert_eq!(drain(&b).await, ["b1", "b2", "b3"].map(String::from).into());
}

pub async fn cancel_stops_a_running_task(factory: &Factory) {
    let e = engine(factory);
    let dlq = create(&e, "dlq", None).await;
    let src = create(&e, "src", Some(&dlq)).await;
    let dest = create(&e, "dest", None).await;
    let bodies: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
    dead_letter(&src, &bodies.iter().map(String::as_str).collect::<Vec<_>>()).await;

    let started = e.start_move_task(&dlq.id, Some(dest.id.clone()), Some(1)).await.unwrap();
    advance(Duration::from_millis(1_500)).await;
    settle().await;
    let cancelled = e.cancel_move_task(&dlq.id, &started.task_id).await.unwrap();
    assert_eq!(cancelled.moved, 2);
    assert_eq!(task(&e, &dlq).await.status, MoveTaskStatus::Cancelling);
    advance(Duration::from_secs(5)).await;
    settle().await;
    assert_eq!(task(&e, &dlq).await.status, MoveTaskStatus::Cancelled);
    assert_eq!(dest.held().await + dlq.held().await, 10, "nothing lost");
    // Cancelling again: the task is no longer running.
    let err = e.cancel_move_task(&dlq.id, &started.task_id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidParameterValue);
    let err = e.cancel_move_task(&dlq.id, "no-such-task").await.unwrap_err();
    assert_eq!((err.code, err.message.as_ref()), (ErrorCode::ResourceNotFound, "Task does not exist."));
}

pub async fn deleting_the_destination_fails_the_task(factory: &Factory) {
    let e = engine(factory);
    let dlq = create(&e, "dlq", None).await;
    let src = create(&e, "src", Some(&dlq)).await;
    let dest = create(&e, "dest", None).await;
    dead_letter(&src, &["1", "2", "3", "4", "5"]).await;
    e.start_move_task(&dlq.id, Some(dest.id.clone()), Some(1)).await.unwrap();
    advance(Duration::from_millis(1_500)).await;
    settle().await;
    e.delete_queue(&dest.id).await.unwrap();
    advance(Duration::from_secs(5)).await;
    settle().await;
    let view = task(&e, &dlq).await;
    assert_eq!(view.status, MoveTaskStatus::Failed);
    assert_eq!(view.failure_reason.as_deref(), Some("AWS.SimpleQueueService.NonExistentQueue"));
    assert_eq!(view.moved, 2);
    assert_eq!(dlq.held().await, 3, "the message whose move failed is back in the source");
}

pub async fn one_active_task_per_source(factory: &Factory) {
    let e = engine(factory);
    let dlq = create(&e, "dlq", None).await;
    let src = create(&e, "src", Some(&dlq)).await;
    dead_letter(&src, &["1", "2"]).await;
    e.start_move_task(&dlq.id, None, Some(1)).await.unwrap();
    let err = e.start_move_task(&dlq.id, None, None).await.unwrap_err();
    assert_eq!(
        err.message,
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
    );
    advance(Duration::from_secs(5)).await;
    settle().await;
    assert_eq!(task(&e, &dlq).await.status, MoveTaskStatus::Completed);
    // Finished tasks do not count; the newest is listed first.
    let second = e.start_move_task(&dlq.id, None, None).await.unwrap();
    settle().await;
    let tasks = e.move_tasks(&dlq.id).await.unwrap();
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0].task_id, second.task_id);
    assert_eq!(tasks[0].to_move, 0);
}
