//! Engine behaviour on the controlled clock: visibility, delays, retention, long polling, FIFO
//! groups, deduplication, receive-attempt retries, fairness and redrive. No test sleeps for real:
//! `start_paused` freezes tokio time and `advance` moves it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sqs_local::engine::clock::TokioClock;
use sqs_local::engine::message::{NewMessage, ReceivedMessage};
use sqs_local::engine::queue::{DedupScope, Queue, QueueConfig, ReceiveRequest, RedrivePolicy};
use sqs_local::engine::{Engine, EngineSettings};
use sqs_local::error::ErrorCode;
use tokio::time::advance;

const START: u64 = 1_700_000_000_000;

fn engine() -> Engine {
    let settings = EngineSettings { purge_cooldown: false, delete_cooldown: false, ..Default::default() };
    Engine::new(settings, Arc::new(TokioClock::starting_at(START)))
}

fn queue(engine: &Engine, name: &str, config: QueueConfig) -> Arc<Queue> {
    engine.create_queue(name, config, BTreeMap::new(), |_| Ok(())).unwrap()
}

fn standard(engine: &Engine, name: &str) -> Arc<Queue> {
    queue(engine, name, QueueConfig::new(false))
}

fn fifo(engine: &Engine, name: &str) -> Arc<Queue> {
    queue(engine, name, QueueConfig::new(true))
}

fn msg(body: &str) -> NewMessage {
    NewMessage { body: body.into(), ..Default::default() }
}

fn grouped(body: &str, group: &str) -> NewMessage {
    NewMessage { body: body.into(), group_id: Some(group.into()), dedup_id: Some(body.into()), ..Default::default() }
}

async fn receive(engine: &Engine, q: &Arc<Queue>, max: usize) -> Vec<ReceivedMessage> {
    engine.receive(q, &ReceiveRequest { max_messages: max, ..Default::default() }, 0).await
}

fn bodies(messages: &[ReceivedMessage]) -> Vec<String> {
    messages.iter().map(|m| m.body.to_string()).collect()
}

#[tokio::test(start_paused = true)]
async fn visibility_timeout_hides_then_returns_with_count_and_an_older_handle_still_deletes() {
    let e = engine();
    let q = standard(&e, "vis");
    q.send(msg("a"), e.now()).unwrap();
    let first = receive(&e, &q, 1).await;
    assert_eq!(first[0].receive_count, 1);
    assert!(receive(&e, &q, 1).await.is_empty(), "hidden for 30 s by default");
    advance(Duration::from_secs(29)).await;
    assert!(receive(&e, &q, 1).await.is_empty());
    advance(Duration::from_secs(1)).await;
    let second = receive(&e, &q, 1).await;
    assert_eq!(second[0].receive_count, 2);
    assert_eq!(second[0].first_received_at, first[0].first_received_at);
    assert_ne!(second[0].receipt_handle, first[0].receipt_handle);
    // On a standard queue an older handle acts on the message's current receive (AWS-validated,
    // shared/sqs-reference.md §7.5): it deletes.
    q.delete(&first[0].receipt_handle, e.now()).unwrap();
    assert!(q.is_empty());
    // Deleting again, with either handle, succeeds (idempotent).
    q.delete(&second[0].receipt_handle, e.now()).unwrap();
    q.delete(&first[0].receipt_handle, e.now()).unwrap();
}

/// The AWS-validated sequence: receive with VisibilityTimeout 0 (handle 1), receive again with
/// VisibilityTimeout 3 (handle 2), ChangeMessageVisibility(handle 1, 0): the message is visible at once.
#[tokio::test(start_paused = true)]
async fn an_older_handle_changes_the_visibility_of_the_current_receive() {
    let e = engine();
    let q = standard(&e, "old-handle");
    q.send(msg("a"), e.now()).unwrap();
    let at =
        |visibility| ReceiveRequest { max_messages: 1, visibility_timeout: Some(visibility), ..Default::default() };
    let first = e.receive(&q, &at(0), 0).await.remove(0);
    let second = e.receive(&q, &at(3), 0).await.remove(0);
    assert_ne!(first.receipt_handle, second.receipt_handle);
    assert!(receive(&e, &q, 1).await.is_empty(), "hidden by the second receive");
    q.change_visibility(&first.receipt_handle, 0, e.now()).unwrap();
    let third = receive(&e, &q, 1).await;
    assert_eq!(bodies(&third), vec!["a"]);
    assert_eq!(third[0].receive_count, 3);
}

/// FIFO keeps the stricter rule: a handle from an earlier receive has expired.
#[tokio::test(start_paused = true)]
async fn fifo_refuses_an_older_handle_while_a_newer_receive_holds_the_message() {
    let e = engine();
    let q = fifo(&e, "old-handle.fifo");
    q.send(grouped("a", "G"), e.now()).unwrap();
    let zero = ReceiveRequest { max_messages: 1, visibility_timeout: Some(0), ..Default::default() };
    let first = e.receive(&q, &zero, 0).await.remove(0);
    let second = receive(&e, &q, 1).await.remove(0);
    for result in [q.delete(&first.receipt_handle, e.now()), q.change_visibility(&first.receipt_handle, 0, e.now())] {
        let err = result.unwrap_err();
        assert!(err.message.ends_with("Reason: The receipt handle has expired."), "{}", err.message);
    }
    q.delete(&second.receipt_handle, e.now()).unwrap();
    assert!(q.is_empty());
}

/// The handle of the most recent receive still deletes after its visibility timeout expired, as
/// long as nobody received the message again (recorded AWS behaviour, standard queues).
#[tokio::test(start_paused = true)]
async fn latest_handle_deletes_after_its_visibility_expired() {
    let e = engine();
    let q = standard(&e, "late-delete");
    q.send(msg("a"), e.now()).unwrap();
    let m = receive(&e, &q, 1).await.remove(0);
    advance(Duration::from_secs(31)).await;
    q.delete(&m.receipt_handle, e.now()).unwrap();
    assert!(q.is_empty());
}

#[tokio::test(start_paused = true)]
async fn change_visibility_zero_extend_and_twelve_hour_cap() {
    let e = engine();
    let q = standard(&e, "chg");
    q.send(msg("a"), e.now()).unwrap();
    let m = receive(&e, &q, 1).await.remove(0);
    q.change_visibility(&m.receipt_handle, 0, e.now()).unwrap();
    let again = receive(&e, &q, 1).await.remove(0);
    q.change_visibility(&again.receipt_handle, 100, e.now()).unwrap();
    advance(Duration::from_secs(99)).await;
    assert!(receive(&e, &q, 1).await.is_empty());
    advance(Duration::from_secs(1)).await;
    let third = receive(&e, &q, 1).await.remove(0);
    advance(Duration::from_secs(3600)).await;
    let err = q.change_visibility(&third.receipt_handle, 43_200, e.now()).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidParameterValue);
    assert!(err.message.contains("Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"));
    q.change_visibility(&third.receipt_handle, 43_200 - 3600, e.now()).unwrap();
    let gone = q.delete(&third.receipt_handle, e.now());
    assert!(gone.is_ok());
    let err = q.change_visibility(&third.receipt_handle, 10, e.now()).unwrap_err();
    assert!(err.message.contains("Message does not exist or is not available for visibility timeout change."));
}

#[tokio::test(start_paused = true)]
async fn invalid_and_foreign_receipt_handles() {
    let e = engine();
    let a = standard(&e, "a");
    let b = standard(&e, "b");
    a.send(msg("x"), e.now()).unwrap();
    let m = receive(&e, &a, 1).await.remove(0);
    let err = b.delete(&m.receipt_handle, e.now()).unwrap_err();
    assert_eq!(err.code, ErrorCode::ReceiptHandleIsInvalid);
    assert!(err.message.contains("is not valid for this queue"));
    let err = a.delete("garbage", e.now()).unwrap_err();
    assert_eq!(err.message, "The input receipt handle \"garbage\" is not a valid receipt handle.");
}

#[tokio::test(start_paused = true)]
async fn delays_per_message_and_per_queue() {
    let e = engine();
    let q = standard(&e, "delay");
    q.send(NewMessage { delay_seconds: Some(10), ..msg("late") }, e.now()).unwrap();
    q.send(msg("now"), e.now()).unwrap();
    let snap = q.snapshot(e.now());
    assert_eq!((snap.available, snap.delayed), (1, 1));
    assert_eq!(bodies(&receive(&e, &q, 10).await), vec!["now"]);
    advance(Duration::from_secs(10)).await;
    assert_eq!(bodies(&receive(&e, &q, 10).await), vec!["late"]);

    let mut config = QueueConfig::new(false);
    config.delay_seconds = 5;
    let qd = queue(&e, "qdelay", config);
    qd.send(msg("d"), e.now()).unwrap();
    assert!(receive(&e, &qd, 1).await.is_empty());
    advance(Duration::from_secs(5)).await;
    assert_eq!(receive(&e, &qd, 1).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn retention_period_deletes_old_messages() {
    let e = engine();
    let mut config = QueueConfig::new(false);
    config.retention_seconds = 60;
    let q = queue(&e, "ret", config);
    q.send(msg("old"), e.now()).unwrap();
    advance(Duration::from_secs(30)).await;
    q.send(msg("young"), e.now()).unwrap();
    advance(Duration::from_secs(30)).await;
    assert_eq!(bodies(&receive(&e, &q, 10).await), vec!["young"]);
}

#[tokio::test(start_paused = true)]
async fn long_poll_returns_the_moment_a_message_is_sent() {
    let e = engine();
    let q = standard(&e, "lp");
    let (e2, q2) = (e.clone(), q.clone());
    let started = e.now();
    let waiter = tokio::spawn(async move {
        let got = e2.receive(&q2, &ReceiveRequest { max_messages: 10, ..Default::default() }, 20_000).await;
        (got, e2.now())
    });
    tokio::time::sleep(Duration::from_millis(5_000)).await;
    q.send(msg("wake"), e.now()).unwrap();
    let (got, at) = waiter.await.unwrap();
    assert_eq!(bodies(&got), vec!["wake"]);
    assert_eq!(at - started, 5_000, "woken by the send, not by a poll interval");
}

#[tokio::test(start_paused = true)]
async fn long_poll_wakes_when_a_delay_ends_and_times_out_empty() {
    let e = engine();
    let q = standard(&e, "lp2");
    q.send(NewMessage { delay_seconds: Some(3), ..msg("delayed") }, e.now()).unwrap();
    let started = e.now();
    let got = e.receive(&q, &ReceiveRequest { max_messages: 1, ..Default::default() }, 20_000).await;
    assert_eq!(bodies(&got), vec!["delayed"]);
    assert_eq!(e.now() - started, 3_000);
    let started = e.now();
    let got = e.receive(&q, &ReceiveRequest { max_messages: 1, ..Default::default() }, 20_000).await;
    assert!(got.is_empty());
    assert_eq!(e.now() - started, 20_000);
}

#[tokio::test(start_paused = true)]
async fn standard_fair_queue_serves_quiet_groups_before_a_noisy_backlog() {
    let e = engine();
    let q = standard(&e, "fair");
    for i in 0..100 {
        q.send(NewMessage { group_id: Some("noisy".into()), ..msg(&format!("n{i}")) }, e.now()).unwrap();
    }
    for g in 0..5 {
        q.send(NewMessage { group_id: Some(format!("quiet{g}").into()), ..msg(&format!("q{g}")) }, e.now()).unwrap();
    }
    let got = receive(&e, &q, 10).await;
    let quiet = got.iter().filter(|m| m.body.starts_with('q')).count();
    assert_eq!(quiet, 5, "every quiet group is served in the first receive: {:?}", bodies(&got));
    assert!(got.iter().all(|m| m.sequence_number.is_none()));
    assert!(got.iter().any(|m| m.group_id.as_deref() == Some("noisy")));
}

// ---------------------------------------------------------------- FIFO

#[tokio::test(start_paused = true)]
async fn fifo_receive_takes_a_whole_group_in_order_then_other_groups() {
    let e = engine();
    let q = fifo(&e, "order.fifo");
    for (body, group) in [("g1-m1", "g1"), ("g2-m1", "g2"), ("g1-m2", "g1"), ("g1-m3", "g1")] {
        q.send(grouped(body, group), e.now()).unwrap();
    }
    assert_eq!(bodies(&receive(&e, &q, 10).await), vec!["g1-m1", "g1-m2", "g1-m3", "g2-m1"]);
}

#[tokio::test(start_paused = true)]
async fn fifo_scenario_one_group_only_one_consumer_gets_its_head() {
    let e = engine();
    let q = fifo(&e, "one.fifo");
    for i in 0..5 {
        q.send(grouped(&format!("a{i}"), "A"), e.now()).unwrap();
    }
    let head = receive(&e, &q, 1).await;
    assert_eq!(bodies(&head), vec!["a0"]);
    for _ in 0..5 {
        assert!(receive(&e, &q, 10).await.is_empty(), "group A is locked while a0 is in flight");
    }
    q.delete(&head[0].receipt_handle, e.now()).unwrap();
    assert_eq!(bodies(&receive(&e, &q, 1).await), vec!["a1"]);
}

#[tokio::test(start_paused = true)]
async fn fifo_scenario_parallel_consumers_keep_order_within_each_group() {
    let e = engine();
    let q = fifo(&e, "par.fifo");
    for i in 0..20 {
        for g in ["A", "B", "C", "D"] {
            q.send(grouped(&format!("{g}-{i:02}"), g), e.now()).unwrap();
        }
    }
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    loop {
        // Four consumers each take a batch; no group may be split between two of them.
        let batches: Vec<_> =
            [receive(&e, &q, 3).await, receive(&e, &q, 3).await, receive(&e, &q, 3).await, receive(&e, &q, 3).await]
                .into();
        if batches.iter().all(Vec::is_empty) {
            break;
        }
        let mut groups_in_flight = HashSet::new();
        for batch in &batches {
            let groups: HashSet<_> = batch.iter().map(|m| m.group_id.clone()).collect();
            for g in &groups {
                assert!(groups_in_flight.insert(g.clone()), "group {g:?} handed to two consumers at once");
            }
            for m in batch {
                seen.entry(m.group_id.as_deref().unwrap().to_string()).or_default().push(m.body.to_string());
            }
        }
        for batch in batches {
            for m in batch {
                q.delete(&m.receipt_handle, e.now()).unwrap();
            }
        }
    }
    for (group, got) in seen {
        let expected: Vec<_> = (0..20).map(|i| format!("{group}-{i:02}")).collect();
        assert_eq!(got, expected);
    }
}

#[tokio::test(start_paused = true)]
async fn fifo_scenario_undeleted_message_blocks_its_group_until_visibility_expires() {
    let e = engine();
    let q = fifo(&e, "block.fifo");
    q.send(grouped("a1", "A"), e.now()).unwrap();
    q.send(grouped("a2", "A"), e.now()).unwrap();
    q.send(grouped("b1", "B"), e.now()).unwrap();
    let first = receive(&e, &q, 1).await;
    assert_eq!(bodies(&first), vec!["a1"]);
    assert_eq!(bodies(&receive(&e, &q, 10).await), vec!["b1"], "other groups stay available");
    advance(Duration::from_secs(30)).await;
    let again = receive(&e, &q, 1).await;
    assert_eq!(bodies(&again), vec!["a1"], "the expired message comes back first");
    assert_eq!(again[0].receive_count, 2);
    // The old handle has expired on FIFO.
    let err = q.delete(&first[0].receipt_handle, e.now()).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidParameterValue);
    assert!(err.message.ends_with("Reason: The receipt handle has expired."));
}

#[tokio::test(start_paused = true)]
async fn fifo_extended_message_keeps_later_ones_hidden_while_earlier_return() {
    let e = engine();
    let q = fifo(&e, "ext.fifo");
    for i in 1..=3 {
        q.send(grouped(&format!("m{i}"), "G"), e.now()).unwrap();
    }
    let got = receive(&e, &q, 10).await;
    assert_eq!(bodies(&got), vec!["m1", "m2", "m3"]);
    q.change_visibility(&got[1].receipt_handle, 300, e.now()).unwrap();
    advance(Duration::from_secs(30)).await;
    // m1 is visible again; m2 is still in flight and keeps m3 behind it.
    assert_eq!(bodies(&receive(&e, &q, 10).await), vec!["m1"]);
    // Partial deletion keeps the group locked.
    assert!(receive(&e, &q, 10).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn fifo_dedup_window_survives_delete_and_is_cleared_by_purge() {
    let e = engine();
    let q = fifo(&e, "dedup.fifo");
    let first = q.send(grouped("x", "G"), e.now()).unwrap();
    let dup = q.send(grouped("x", "OTHER"), e.now()).unwrap();
    assert_eq!(first, dup, "same MessageId and SequenceNumber; queue scope spans groups");
    let m = receive(&e, &q, 10).await;
    assert_eq!(m.len(), 1);
    q.delete(&m[0].receipt_handle, e.now()).unwrap();
    advance(Duration::from_secs(299)).await;
    assert_eq!(q.send(grouped("x", "G"), e.now()).unwrap(), first, "remembered after delete");
    assert!(receive(&e, &q, 10).await.is_empty());
    advance(Duration::from_secs(1)).await;
    let later = q.send(grouped("x", "G"), e.now()).unwrap();
    assert_ne!(later.message_id, first.message_id, "window is 5 minutes");
    assert!(later.sequence_number > first.sequence_number);
    q.purge(false, e.now()).unwrap();
    let after_purge = q.send(grouped("x", "G"), e.now()).unwrap();
    assert_ne!(after_purge.message_id, later.message_id, "purge clears the dedup window");
}

#[tokio::test(start_paused = true)]
async fn fifo_dedup_scope_message_group_and_content_based() {
    let e = engine();
    let mut config = QueueConfig::new(true);
    if let Some(f) = config.fifo.as_mut() {
        f.dedup_scope = DedupScope::MessageGroup;
        f.content_based_dedup = true;
    }
    let q = queue(&e, "scope.fifo", config);
    let body = |b: &str, g: &str| NewMessage { body: b.into(), group_id: Some(g.into()), ..Default::default() };
    let a = q.send(body("same", "A"), e.now()).unwrap();
    let b = q.send(body("same", "B"), e.now()).unwrap();
    assert_ne!(a.message_id, b.message_id, "messageGroup scope: other groups are not duplicates");
    assert_eq!(q.send(body("same", "A"), e.now()).unwrap(), a, "content-based id within the group");
    let got = receive(&e, &q, 10).await;
    assert_eq!(got.len(), 2);
    // Content-based dedup ids are the body's SHA-256.
    assert_eq!(got[0].dedup_id.as_deref(), Some("0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5"));
}

/// SequenceNumbers look like SQS's (20 digits, e.g. 18849496460467696128): they increase strictly,
/// follow the clock rather than counting from a fixed start, differ between queues, and never hold
/// the account id's run of zeros (a test that normalises ids must not mistake one for the other).
#[tokio::test(start_paused = true)]
async fn fifo_sequence_numbers_are_twenty_digit_increasing_and_not_a_counter() {
    let e = engine();
    let q = fifo(&e, "seq.fifo");
    let other = fifo(&e, "seq2.fifo");
    let mut last = 0u128;
    let mut first = None;
    for i in 0..5 {
        let n = q.send(grouped(&format!("m{i}"), "G"), e.now()).unwrap().sequence_number.unwrap();
        assert_eq!(n.to_string().len(), 20);
        assert!(!n.to_string().contains("000000000000"), "{n}");
        assert!(n > last);
        last = n;
        first.get_or_insert(n);
        advance(Duration::from_millis(3)).await;
    }
    assert!(last - first.unwrap() > 1_000_000, "numbers follow the clock: {first:?} .. {last}");
    let elsewhere = other.send(grouped("m", "G"), e.now()).unwrap().sequence_number.unwrap();
    assert_ne!(elsewhere, last + 1, "another queue does not continue this queue's numbers");
    // Received messages report the number the send returned.
    let got = receive(&e, &q, 1).await;
    assert_eq!(got[0].sequence_number, first);
}

#[tokio::test(start_paused = true)]
async fn fifo_receive_request_attempt_id_retry_returns_the_same_handles() {
    let e = engine();
    let q = fifo(&e, "attempt.fifo");
    q.send(grouped("m1", "G"), e.now()).unwrap();
    q.send(grouped("m2", "H"), e.now()).unwrap();
    let req = ReceiveRequest { max_messages: 1, attempt_id: Some("try-1".into()), ..Default::default() };
    let first = e.receive(&q, &req, 0).await;
    advance(Duration::from_secs(20)).await;
    let retry = e.receive(&q, &req, 0).await;
    assert_eq!(bodies(&retry), bodies(&first));
    assert_eq!(retry[0].receipt_handle, first[0].receipt_handle);
    // The retry reset the visibility timeout: still hidden 29 s after the retry.
    advance(Duration::from_secs(29)).await;
    let other = receive(&e, &q, 10).await;
    assert_eq!(bodies(&other), vec!["m2"]);
    q.delete(&retry[0].receipt_handle, e.now()).unwrap();
    // Once deleted, a retry is a fresh receive.
    let fresh = e.receive(&q, &req, 0).await;
    assert!(fresh.is_empty());
}

#[tokio::test(start_paused = true)]
async fn fifo_small_groups_are_not_starved_by_a_big_backlog() {
    let e = engine();
    let q = fifo(&e, "fair.fifo");
    let backlog: Vec<_> = (0..10_000).map(|i| grouped(&format!("big-{i}"), "big")).collect();
    for r in q.send_batch(backlog, e.now()) {
        r.unwrap();
    }
    for g in 0..100 {
        q.send(grouped(&format!("small-{g}"), &format!("s{g}")), e.now()).unwrap();
    }
    let mut small_served = HashSet::new();
    for _ in 0..12 {
        for m in receive(&e, &q, 10).await {
            if m.body.starts_with("small") {
                small_served.insert(m.body.to_string());
            }
            q.delete(&m.receipt_handle, e.now()).unwrap();
        }
    }
    assert_eq!(small_served.len(), 100, "all 100 small groups served within 12 receives");
}

#[tokio::test(start_paused = true)]
async fn redrive_moves_poison_message_to_dlq_and_unblocks_the_fifo_group() {
    let e = engine();
    let dlq = fifo(&e, "dlq.fifo");
    let mut config = QueueConfig::new(true);
    config.redrive_policy = Some(RedrivePolicy {
        dead_letter_target_arn: dlq.arn.to_string(),
        dead_letter_queue: dlq.name.clone(),
        max_receive_count: 2,
    });
    let q = queue(&e, "src.fifo", config);
    q.send(NewMessage { trace_header: Some("Root=1".into()), ..grouped("poison", "G") }, e.now()).unwrap();
    q.send(grouped("next", "G"), e.now()).unwrap();
    for _ in 0..2 {
        assert_eq!(bodies(&receive(&e, &q, 1).await), vec!["poison"]);
        advance(Duration::from_secs(30)).await;
    }
    assert_eq!(bodies(&receive(&e, &q, 1).await), vec!["next"], "poison moved; the group goes on");
    let dead = receive(&e, &dlq, 10).await;
    assert_eq!(bodies(&dead), vec!["poison"]);
    assert_eq!(dead[0].receive_count, 3, "receive count carries on");
    assert_eq!(dead[0].dead_letter_source_arn.as_deref(), Some(q.arn.as_ref()));
    assert_eq!(dead[0].trace_header.as_deref(), Some("Root=1"));
    assert_eq!(dead[0].group_id.as_deref(), Some("G"));
}

/// Dead-letter retention: a standard DLQ keeps the original enqueue time, a FIFO DLQ restarts it
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html>).
#[tokio::test(start_paused = true)]
async fn dead_letter_retention_standard_keeps_enqueue_time_fifo_resets_it() {
    for fifo_queues in [false, true] {
        let e = engine();
        let suffix = if fifo_queues { ".fifo" } else { "" };
        let mut dlq_config = QueueConfig::new(fifo_queues);
        dlq_config.retention_seconds = 120;
        let dlq = queue(&e, &format!("dlq{suffix}"), dlq_config);
        let mut config = QueueConfig::new(fifo_queues);
        config.visibility_timeout = 0;
        config.redrive_policy = Some(RedrivePolicy {
            dead_letter_target_arn: dlq.arn.to_string(),
            dead_letter_queue: dlq.name.clone(),
            max_receive_count: 1,
        });
        let src = queue(&e, &format!("src{suffix}"), config);
        src.send(grouped("m", "G"), e.now()).unwrap();
        advance(Duration::from_secs(100)).await;
        receive(&e, &src, 1).await;
        assert!(receive(&e, &src, 1).await.is_empty(), "moved to the DLQ");
        assert_eq!(dlq.len(), 1);
        advance(Duration::from_secs(30)).await;
        // 130 s after the send, 30 s after the move; the DLQ keeps messages 120 s.
        let expected = if fifo_queues { 1 } else { 0 };
        assert_eq!(dlq.snapshot(e.now()).available, expected, "fifo = {fifo_queues}");
    }
}

#[tokio::test]
async fn queues_file_creates_queues_in_order_with_validation() {
    let e = engine();
    let text = r#"{"queues": [
        {"name": "jobs-dlq"},
        {"name": "jobs", "attributes": {"VisibilityTimeout": "60",
          "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:jobs-dlq\",\"maxReceiveCount\":3}"},
         "tags": {"team": "billing"}},
        {"name": "events.fifo", "attributes": {"FifoQueue": "true"}}
    ]}"#;
    assert_eq!(sqs_local::predefined::create_from_json(&e, text).await, Ok(3));
    let jobs = e.queue("jobs").unwrap();
    assert_eq!(jobs.config().visibility_timeout, 60);
    assert_eq!(jobs.redrive_policy().unwrap().max_receive_count, 3);
    assert_eq!(jobs.tags().get("team").map(String::as_str), Some("billing"));
    assert!(e.queue("events.fifo").unwrap().is_fifo());
    // The same validation as CreateQueue, naming the entry.
    let err = sqs_local::predefined::create_from_json(&e, r#"{"queues": [{"name": "bad name"}]}"#).await.unwrap_err();
    assert!(err.starts_with("queue bad name: InvalidParameterValue"), "{err}");
    let err = sqs_local::predefined::create_from_json(&e, r#"{"queues": [{"nam": "x"}]}"#).await.unwrap_err();
    assert!(err.starts_with("invalid queues file"), "{err}");
}

/// ReceiveMessage API reference: a retry with the same ReceiveRequestAttemptId returns the same
/// messages "if none of the messages have been modified (deleted or had their visibility changes)".
#[tokio::test(start_paused = true)]
async fn fifo_attempt_retry_after_a_visibility_change_is_a_fresh_receive() {
    let e = engine();
    let q = fifo(&e, "attempt2.fifo");
    q.send(grouped("m1", "G"), e.now()).unwrap();
    let req = ReceiveRequest { max_messages: 1, attempt_id: Some("try".into()), ..Default::default() };
    let first = e.receive(&q, &req, 0).await;
    assert_eq!(bodies(&first), vec!["m1"]);
    q.change_visibility(&first[0].receipt_handle, 100, e.now()).unwrap();
    assert!(e.receive(&q, &req, 0).await.is_empty(), "not a retry any more: group G is locked");
}

/// A DeduplicationScope change is reported at once but deduplicates by the previous scope for 60
/// seconds, as in the recorded AWS run `test_fifo_change_to_high_throughput_after_creation`
/// (ids sent before and after the switch were still deduplicated across groups).
#[tokio::test(start_paused = true)]
async fn fifo_dedup_scope_change_takes_effect_after_sixty_seconds() {
    let e = engine();
    let q = fifo(&e, "switch.fifo");
    let send = |body: &str, group: &str, dedup: &str| NewMessage {
        body: body.into(),
        group_id: Some(group.into()),
        dedup_id: Some(dedup.into()),
        ..Default::default()
    };
    let first = q.send(send("Test1", "A", "1"), e.now()).unwrap();
    assert_eq!(q.send(send("Test2", "B", "1"), e.now()).unwrap(), first, "queue scope");
    q.modify_config(e.now(), |c| {
        let f = c.fifo.as_mut().unwrap();
        f.dedup_scope = DedupScope::MessageGroup;
        f.throughput_limit = sqs_local::engine::queue::ThroughputLimit::PerMessageGroupId;
        Ok(())
    })
    .unwrap();
    assert_eq!(q.config().fifo.unwrap().dedup_scope, DedupScope::MessageGroup, "reported at once");
    assert_eq!(q.send(send("Test3", "C", "1"), e.now()).unwrap(), first, "an id from before the switch");
    let second = q.send(send("Test4", "A", "2"), e.now()).unwrap();
    assert_eq!(q.send(send("Test5", "B", "2"), e.now()).unwrap(), second, "an id first sent after the switch");
    assert_eq!(bodies(&receive(&e, &q, 10).await), vec!["Test1", "Test4"]);
    advance(Duration::from_secs(60)).await;
    let third = q.send(send("Test6", "A", "3"), e.now()).unwrap();
    assert_ne!(q.send(send("Test7", "B", "3"), e.now()).unwrap(), third, "messageGroup scope in effect");
    assert_eq!(q.send(send("Test8", "A", "3"), e.now()).unwrap(), third, "still deduplicated within the group");
}
