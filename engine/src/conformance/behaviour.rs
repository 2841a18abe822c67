//! Engine behaviour on the paused clock: visibility, delays, retention, long polling, FIFO groups,
//! deduplication, receive-attempt retries, fairness and redrive. `advance` moves time; nothing
//! sleeps for real.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use tokio::time::advance;

use super::*;
use crate::error::ErrorCode;
use crate::queue::{DedupScope, ThroughputLimit};
use crate::types::AttemptId;

pub async fn visibility_timeout_hides_then_returns_and_an_older_handle_still_deletes(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "vis").await;
    q.send(msg("a")).await.unwrap();
    let first = q.receive(1).await;
    assert_eq!(first[0].receive_count, 1);
    assert!(q.receive(1).await.is_empty(), "hidden for 30 s by default");
    advance(Duration::from_secs(29)).await;
    assert!(q.receive(1).await.is_empty());
    advance(Duration::from_secs(1)).await;
    let second = q.receive(1).await;
    assert_eq!(second[0].receive_count, 2);
    assert_eq!(second[0].first_received_at, first[0].first_received_at);
    assert_ne!(second[0].receipt_handle, first[0].receipt_handle);
    // On a standard queue an older handle acts on the message's current receive (AWS-validated,
    // shared/sqs-reference.md §7.5): it deletes.
    q.delete(&first[0].receipt_handle).await.unwrap();
    assert_eq!(q.held().await, 0);
    // Deleting again, with either handle, succeeds (idempotent).
    q.delete(&second[0].receipt_handle).await.unwrap();
    q.delete(&first[0].receipt_handle).await.unwrap();
}

/// The AWS-validated sequence: receive with VisibilityTimeout 0 (handle 1), receive again with
/// VisibilityTimeout 3 (handle 2), ChangeMessageVisibility(handle 1, 0): the message is visible at once.
pub async fn an_older_handle_changes_the_visibility_of_the_current_receive(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "old-handle").await;
    q.send(msg("a")).await.unwrap();
    let at =
        |visibility| ReceiveRequest { max_messages: 1, visibility_timeout: Some(visibility), ..Default::default() };
    let first = q.receive_with(&at(0), 0).await.remove(0);
    let second = q.receive_with(&at(3), 0).await.remove(0);
    assert_ne!(first.receipt_handle, second.receipt_handle);
    assert!(q.receive(1).await.is_empty(), "hidden by the second receive");
    q.change_visibility(&first.receipt_handle, 0).await.unwrap();
    let third = q.receive(1).await;
    assert_eq!(bodies(&third), vec!["a"]);
    assert_eq!(third[0].receive_count, 3);
}

/// FIFO keeps the stricter rule: a handle from an earlier receive has expired.
pub async fn fifo_refuses_an_older_handle_while_a_newer_receive_holds_the_message(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "old-handle.fifo").await;
    q.send(grouped("a", "G")).await.unwrap();
    let zero = ReceiveRequest { max_messages: 1, visibility_timeout: Some(0), ..Default::default() };
    let first = q.receive_with(&zero, 0).await.remove(0);
    let second = q.receive(1).await.remove(0);
    for result in [q.delete(&first.receipt_handle).await, q.change_visibility(&first.receipt_handle, 0).await] {
        let err = result.unwrap_err();
        assert!(err.message.ends_with("Reason: The receipt handle has expired."), "{}", err.message);
    }
    q.delete(&second.receipt_handle).await.unwrap();
    assert_eq!(q.held().await, 0);
}

/// The handle of the most recent receive still deletes after its visibility timeout expired, as
/// long as nobody received the message again (recorded AWS behaviour, standard queues).
pub async fn latest_handle_deletes_after_its_visibility_expired(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "late-delete").await;
    q.send(msg("a")).await.unwrap();
    let m = q.receive(1).await.remove(0);
    advance(Duration::from_secs(31)).await;
    q.delete(&m.receipt_handle).await.unwrap();
    assert_eq!(q.held().await, 0);
}

pub async fn change_visibility_zero_extend_and_twelve_hour_cap(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "chg").await;
    q.send(msg("a")).await.unwrap();
    let m = q.receive(1).await.remove(0);
    q.change_visibility(&m.receipt_handle, 0).await.unwrap();
    let again = q.receive(1).await.remove(0);
    q.change_visibility(&again.receipt_handle, 100).await.unwrap();
    advance(Duration::from_secs(99)).await;
    assert!(q.receive(1).await.is_empty());
    advance(Duration::from_secs(1)).await;
    let third = q.receive(1).await.remove(0);
    advance(Duration::from_secs(3600)).await;
    let err = q.change_visibility(&third.receipt_handle, 43_200).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidParameterValue);
    assert!(err.message.contains("Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"));
    q.change_visibility(&third.receipt_handle, 43_200 - 3600).await.unwrap();
    q.delete(&third.receipt_handle).await.unwrap();
    let err = q.change_visibility(&third.receipt_handle, 10).await.unwrap_err();
    assert!(err.message.contains("Message does not exist or is not available for visibility timeout change."));
}

pub async fn invalid_and_foreign_receipt_handles(factory: &Factory) {
    let e = engine(factory);
    let a = TestQueue::standard(&e, "a").await;
    let b = TestQueue::standard(&e, "b").await;
    a.send(msg("x")).await.unwrap();
    let m = a.receive(1).await.remove(0);
    let err = b.delete(&m.receipt_handle).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ReceiptHandleIsInvalid);
    assert!(err.message.contains("is not valid for this queue"));
    let err = a.delete("garbage").await.unwrap_err();
    assert_eq!(err.message, "The input receipt handle \"garbage\" is not a valid receipt handle.");
}

/// A queue deleted and created again under the same name does not accept the handles of the
/// queue that was deleted.
pub async fn a_recreated_queue_refuses_the_old_queues_handles(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "again").await;
    q.send(msg("x")).await.unwrap();
    let m = q.receive(1).await.remove(0);
    e.delete_queue(&q.id).await.unwrap();
    let q = TestQueue::standard(&e, "again").await;
    let err = q.delete(&m.receipt_handle).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ReceiptHandleIsInvalid);
}

pub async fn delays_per_message_and_per_queue(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "delay").await;
    q.send(delayed("late", 10)).await.unwrap();
    q.send(msg("now")).await.unwrap();
    let counts = q.counts().await;
    assert_eq!((counts.available, counts.delayed), (1, 1));
    assert_eq!(bodies(&q.receive(10).await), vec!["now"]);
    advance(Duration::from_secs(10)).await;
    assert_eq!(bodies(&q.receive(10).await), vec!["late"]);

    let mut config = QueueConfig::new(false);
    config.delay_seconds = 5;
    let qd = TestQueue::create(&e, "qdelay", config).await;
    qd.send(msg("d")).await.unwrap();
    assert!(qd.receive(1).await.is_empty());
    advance(Duration::from_secs(5)).await;
    assert_eq!(qd.receive(1).await.len(), 1);
}

pub async fn retention_period_deletes_old_messages(factory: &Factory) {
    let e = engine(factory);
    let mut config = QueueConfig::new(false);
    config.retention_seconds = 60;
    let q = TestQueue::create(&e, "ret", config).await;
    q.send(msg("old")).await.unwrap();
    advance(Duration::from_secs(30)).await;
    q.send(msg("young")).await.unwrap();
    assert_eq!(q.counts().await.oldest_enqueued_at, Some(START));
    advance(Duration::from_secs(30)).await;
    assert_eq!(bodies(&q.receive(10).await), vec!["young"]);
}

pub async fn long_poll_returns_the_moment_a_message_is_sent(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "lp").await;
    let (waiting, started) = (q.clone(), e.now());
    let waiter = tokio::spawn(async move {
        let got = waiting.receive_with(&ReceiveRequest { max_messages: 10, ..Default::default() }, 20).await;
        (got, waiting.engine.now())
    });
    tokio::time::sleep(Duration::from_millis(5_000)).await;
    q.send(msg("wake")).await.unwrap();
    let (got, at) = waiter.await.unwrap();
    assert_eq!(bodies(&got), vec!["wake"]);
    assert_eq!(at - started, 5_000, "woken by the send, not by a poll interval");
}

pub async fn long_poll_wakes_when_a_delay_ends_and_times_out_empty(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "lp2").await;
    q.send(delayed("delayed", 3)).await.unwrap();
    let one = ReceiveRequest { max_messages: 1, ..Default::default() };
    let started = e.now();
    assert_eq!(bodies(&q.receive_with(&one, 20).await), vec!["delayed"]);
    assert_eq!(e.now() - started, 3_000);
    let started = e.now();
    assert!(q.receive_with(&one, 20).await.is_empty());
    assert_eq!(e.now() - started, 20_000);
}

/// Without WaitTimeSeconds a receive waits the queue's ReceiveMessageWaitTimeSeconds; a queue
/// deleted while a poll waits ends the poll with no messages.
pub async fn long_poll_ends_when_the_queue_is_deleted(factory: &Factory) {
    let e = engine(factory);
    let mut config = QueueConfig::new(false);
    config.receive_wait_seconds = 20;
    let q = TestQueue::create(&e, "lp3", config).await;
    let (waiting, started) = (q.clone(), e.now());
    let waiter = tokio::spawn(async move {
        let request = ReceiveRequest { max_messages: 1, ..Default::default() };
        let got = waiting.engine.receive(&waiting.id, &request, None).await;
        (got, waiting.engine.now())
    });
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    e.delete_queue(&q.id).await.unwrap();
    let (got, at) = waiter.await.unwrap();
    assert!(got.unwrap().messages.is_empty());
    assert_eq!(at - started, 2_000, "the deletion woke the poll");
}

pub async fn standard_fair_queue_serves_quiet_groups_before_a_noisy_backlog(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "fair").await;
    for i in 0..100 {
        q.send(in_group(&format!("n{i}"), "noisy")).await.unwrap();
    }
    for g in 0..5 {
        q.send(in_group(&format!("q{g}"), &format!("quiet{g}"))).await.unwrap();
    }
    let got = q.receive(10).await;
    let quiet = got.iter().filter(|m| m.body.starts_with('q')).count();
    assert_eq!(quiet, 5, "every quiet group is served in the first receive: {:?}", bodies(&got));
    assert!(got.iter().all(|m| m.sequence_number.is_none()));
    assert!(got.iter().any(|m| m.group_id.as_deref() == Some("noisy")));
}

// ---------------------------------------------------------------- FIFO

pub async fn fifo_receive_takes_a_whole_group_in_order_then_other_groups(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "order.fifo").await;
    for (body, group) in [("g1-m1", "g1"), ("g2-m1", "g2"), ("g1-m2", "g1"), ("g1-m3", "g1")] {
        q.send(grouped(body, group)).await.unwrap();
    }
    assert_eq!(bodies(&q.receive(10).await), vec!["g1-m1", "g1-m2", "g1-m3", "g2-m1"]);
}

pub async fn fifo_scenario_one_group_only_one_consumer_gets_its_head(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "one.fifo").await;
    for i in 0..5 {
        q.send(grouped(&format!("a{i}"), "A")).await.unwrap();
    }
    let head = q.receive(1).await;
    assert_eq!(bodies(&head), vec!["a0"]);
    for _ in 0..5 {
        assert!(q.receive(10).await.is_empty(), "group A is locked while a0 is in flight");
    }
    q.delete(&head[0].receipt_handle).await.unwrap();
    assert_eq!(bodies(&q.receive(1).await), vec!["a1"]);
}

pub async fn fifo_scenario_parallel_consumers_keep_order_within_each_group(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "par.fifo").await;
    for i in 0..20 {
        for g in ["A", "B", "C", "D"] {
            q.send(grouped(&format!("{g}-{i:02}"), g)).await.unwrap();
        }
    }
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    loop {
        // Four consumers each take a batch; no group may be split between two of them.
        let batches = [q.receive(3).await, q.receive(3).await, q.receive(3).await, q.receive(3).await];
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
                q.delete(&m.receipt_handle).await.unwrap();
            }
        }
    }
    for (group, got) in seen {
        let expected: Vec<_> = (0..20).map(|i| format!("{group}-{i:02}")).collect();
        assert_eq!(got, expected);
    }
}

pub async fn fifo_scenario_undeleted_message_blocks_its_group_until_visibility_expires(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "block.fifo").await;
    q.send(grouped("a1", "A")).await.unwrap();
    q.send(grouped("a2", "A")).await.unwrap();
    q.send(grouped("b1", "B")).await.unwrap();
    let first = q.receive(1).await;
    assert_eq!(bodies(&first), vec!["a1"]);
    assert_eq!(bodies(&q.receive(10).await), vec!["b1"], "other groups stay available");
    advance(Duration::from_secs(30)).await;
    let again = q.receive(1).await;
    assert_eq!(bodies(&again), vec!["a1"], "the expired message comes back first");
    assert_eq!(again[0].receive_count, 2);
    // The old handle has expired on FIFO.
    let err = q.delete(&first[0].receipt_handle).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidParameterValue);
    assert!(err.message.ends_with("Reason: The receipt handle has expired."));
}

pub async fn fifo_extended_message_keeps_later_ones_hidden_while_earlier_return(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "ext.fifo").await;
    for i in 1..=3 {
        q.send(grouped(&format!("m{i}"), "G")).await.unwrap();
    }
    let got = q.receive(10).await;
    assert_eq!(bodies(&got), vec!["m1", "m2", "m3"]);
    q.change_visibility(&got[1].receipt_handle, 300).await.unwrap();
    advance(Duration::from_secs(30)).await;
    // m1 is visible again; m2 is still in flight and keeps m3 behind it.
    assert_eq!(bodies(&q.receive(10).await), vec!["m1"]);
    // Partial deletion keeps the group locked.
    assert!(q.receive(10).await.is_empty());
}

pub async fn fifo_dedup_window_survives_delete_and_is_cleared_by_purge(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "dedup.fifo").await;
    let first = q.send(grouped("x", "G")).await.unwrap();
    let dup = q.send(grouped("x", "OTHER")).await.unwrap();
    assert_eq!(first, dup, "same MessageId and SequenceNumber; queue scope spans groups");
    let m = q.receive(10).await;
    assert_eq!(m.len(), 1);
    q.delete(&m[0].receipt_handle).await.unwrap();
    advance(Duration::from_secs(299)).await;
    assert_eq!(q.send(grouped("x", "G")).await.unwrap(), first, "remembered after delete");
    assert!(q.receive(10).await.is_empty());
    advance(Duration::from_secs(1)).await;
    let later = q.send(grouped("x", "G")).await.unwrap();
    assert_ne!(later.message_id, first.message_id, "window is 5 minutes");
    assert!(later.sequence_number > first.sequence_number);
    e.purge(&q.id).await.unwrap();
    let after_purge = q.send(grouped("x", "G")).await.unwrap();
    assert_ne!(after_purge.message_id, later.message_id, "purge clears the dedup window");
}

pub async fn fifo_dedup_scope_message_group(factory: &Factory) {
    let e = engine(factory);
    let mut config = QueueConfig::new(true);
    if let Some(f) = config.fifo.as_mut() {
        f.dedup_scope = DedupScope::MessageGroup;
        f.throughput_limit = ThroughputLimit::PerMessageGroupId;
    }
    let q = TestQueue::create(&e, "scope.fifo", config).await;
    let a = q.send(fifo_message("same", "A", "d")).await.unwrap();
    let b = q.send(fifo_message("same", "B", "d")).await.unwrap();
    assert_ne!(a.message_id, b.message_id, "messageGroup scope: other groups are not duplicates");
    assert_eq!(q.send(fifo_message("same", "A", "d")).await.unwrap(), a, "a duplicate within the group");
    let got = q.receive(10).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].dedup_id.as_deref(), Some("d"));
}

/// A DeduplicationScope change is reported at once but deduplicates by the previous scope for 60
/// seconds, as in the recorded AWS run `test_fifo_change_to_high_throughput_after_creation`
/// (ids sent before and after the switch were still deduplicated across groups).
pub async fn fifo_dedup_scope_change_takes_effect_after_sixty_seconds(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "switch.fifo").await;
    let first = q.send(fifo_message("Test1", "A", "1")).await.unwrap();
    assert_eq!(q.send(fifo_message("Test2", "B", "1")).await.unwrap(), first, "queue scope");
    e.modify_queue(&q.id, true, |s| {
        let f = s.config.fifo.as_mut().expect("a FIFO queue");
        f.dedup_scope = DedupScope::MessageGroup;
        f.throughput_limit = ThroughputLimit::PerMessageGroupId;
        Ok(())
    })
    .await
    .unwrap();
    let reported = q.info().await.config().fifo.clone().unwrap().dedup_scope;
    assert_eq!(reported, DedupScope::MessageGroup, "reported at once");
    assert_eq!(q.send(fifo_message("Test3", "C", "1")).await.unwrap(), first, "an id from before the switch");
    let second = q.send(fifo_message("Test4", "A", "2")).await.unwrap();
    assert_eq!(q.send(fifo_message("Test5", "B", "2")).await.unwrap(), second, "an id first sent after the switch");
    assert_eq!(bodies(&q.receive(10).await), vec!["Test1", "Test4"]);
    advance(Duration::from_secs(60)).await;
    let third = q.send(fifo_message("Test6", "A", "3")).await.unwrap();
    assert_ne!(q.send(fifo_message("Test7", "B", "3")).await.unwrap(), third, "messageGroup scope in effect");
    assert_eq!(q.send(fifo_message("Test8", "A", "3")).await.unwrap(), third, "still deduplicated within the group");
}

/// SequenceNumbers look like SQS's (20 digits, e.g. 18849496460467696128): they increase strictly,
/// follow the clock rather than counting from a fixed start, differ between queues, and never hold
/// the account id's run of zeros (a test that normalises ids must not mistake one for the other).
pub async fn fifo_sequence_numbers_are_twenty_digit_increasing_and_not_a_counter(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "seq.fifo").await;
    let other = TestQueue::fifo(&e, "seq2.fifo").await;
    let mut last = 0u128;
    let mut first = None;
    for i in 0..5 {
        let n = q.send(grouped(&format!("m{i}"), "G")).await.unwrap().sequence_number.unwrap();
        assert_eq!(n.to_string().len(), 20);
        assert!(!n.to_string().contains("000000000000"), "{n}");
        assert!(n > last);
        last = n;
        first.get_or_insert(n);
        advance(Duration::from_millis(3)).await;
    }
    assert!(last - first.unwrap() > 1_000_000, "numbers follow the clock: {first:?} .. {last}");
    let elsewhere = other.send(grouped("m", "G")).await.unwrap().sequence_number.unwrap();
    assert_ne!(elsewhere, last + 1, "another queue does not continue this queue's numbers");
    // Received messages report the number the send returned.
    let got = q.receive(1).await;
    assert_eq!(got[0].sequence_number, first);
}

pub async fn fifo_receive_request_attempt_id_retry_returns_the_same_handles(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "attempt.fifo").await;
    q.send(grouped("m1", "G")).await.unwrap();
    q.send(grouped("m2", "H")).await.unwrap();
    let req =
        ReceiveRequest { max_messages: 1, attempt_id: Some(AttemptId::new("try-1").unwrap()), ..Default::default() };
    let first = q.receive_with(&req, 0).await;
    advance(Duration::from_secs(20)).await;
    let retry = q.receive_with(&req, 0).await;
    assert_eq!(bodies(&retry), bodies(&first));
    assert_eq!(retry[0].receipt_handle, first[0].receipt_handle);
    // The retry reset the visibility timeout: still hidden 29 s after the retry.
    advance(Duration::from_secs(29)).await;
    assert_eq!(bodies(&q.receive(10).await), vec!["m2"]);
    q.delete(&retry[0].receipt_handle).await.unwrap();
    // Once deleted, a retry is a fresh receive.
    assert!(q.receive_with(&req, 0).await.is_empty());
}

/// ReceiveMessage API reference: a retry with the same ReceiveRequestAttemptId returns the same
/// messages "if none of the messages have been modified (deleted or had their visibility changes)".
pub async fn fifo_attempt_retry_after_a_visibility_change_is_a_fresh_receive(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "attempt2.fifo").await;
    q.send(grouped("m1", "G")).await.unwrap();
    let req =
        ReceiveRequest { max_messages: 1, attempt_id: Some(AttemptId::new("try").unwrap()), ..Default::default() };
    let first = q.receive_with(&req, 0).await;
    assert_eq!(bodies(&first), vec!["m1"]);
    q.change_visibility(&first[0].receipt_handle, 100).await.unwrap();
    assert!(q.receive_with(&req, 0).await.is_empty(), "not a retry any more: group G is locked");
}

pub async fn fifo_small_groups_are_not_starved_by_a_big_backlog(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "fair.fifo").await;
    let backlog: Vec<_> = (0..10_000).map(|i| grouped(&format!("big-{i}"), "big")).collect();
    for r in q.send_all(backlog).await {
        r.unwrap();
    }
    for g in 0..100 {
        q.send(grouped(&format!("small-{g}"), &format!("s{g}"))).await.unwrap();
    }
    let mut small_served = HashSet::new();
    for _ in 0..12 {
        for m in q.receive(10).await {
            if m.body.starts_with("small") {
                small_served.insert(m.body.to_string());
            }
            q.delete(&m.receipt_handle).await.unwrap();
        }
    }
    assert_eq!(small_served.len(), 100, "all 100 small groups served within 12 receives");
}

pub async fn redrive_moves_poison_message_to_dlq_and_unblocks_the_fifo_group(factory: &Factory) {
    let e = engine(factory);
    let dlq = TestQueue::fifo(&e, "dlq.fifo").await;
    let mut config = QueueConfig::new(true);
    config.redrive_policy = redrive_to(&dlq, 2);
    let q = TestQueue::create(&e, "src.fifo", config).await;
    q.send(NewMessage { trace_header: Some("Root=1".into()), ..grouped("poison", "G") }).await.unwrap();
    q.send(grouped("next", "G")).await.unwrap();
    for _ in 0..2 {
        assert_eq!(bodies(&q.receive(1).await), vec!["poison"]);
        advance(Duration::from_secs(30)).await;
    }
    assert_eq!(bodies(&q.receive(1).await), vec!["next"], "poison moved; the group goes on");
    let dead = dlq.receive(10).await;
    assert_eq!(bodies(&dead), vec!["poison"]);
    assert_eq!(dead[0].receive_count, 3, "receive count carries on");
    assert_eq!(dead[0].dead_letter_source_arn.as_deref(), Some(q.arn().as_str()));
    assert_eq!(dead[0].trace_header.as_deref(), Some("Root=1"));
    assert_eq!(dead[0].group_id.as_deref(), Some("G"));
}

/// Dead-letter retention: a standard DLQ keeps the original enqueue time, a FIFO DLQ restarts it
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html>).
pub async fn dead_letter_retention_standard_keeps_enqueue_time_fifo_resets_it(factory: &Factory) {
    for fifo_queues in [false, true] {
        let e = engine(factory);
        let suffix = if fifo_queues { ".fifo" } else { "" };
        let mut dlq_config = QueueConfig::new(fifo_queues);
        dlq_config.retention_seconds = 120;
        let dlq = TestQueue::create(&e, &format!("dlq{suffix}"), dlq_config).await;
        let mut config = QueueConfig::new(fifo_queues);
        config.visibility_timeout = 0;
        config.redrive_policy = redrive_to(&dlq, 1);
        let src = TestQueue::create(&e, &format!("src{suffix}"), config).await;
        let message = if fifo_queues { grouped("m", "G") } else { msg("m") };
        src.send(message).await.unwrap();
        advance(Duration::from_secs(100)).await;
        src.receive(1).await;
        assert!(src.receive(1).await.is_empty(), "moved to the DLQ");
        assert_eq!(dlq.held().await, 1);
        advance(Duration::from_secs(30)).await;
        // 130 s after the send, 30 s after the move; the DLQ keeps messages 120 s.
        let expected = if fifo_queues { 1 } else { 0 };
        assert_eq!(dlq.counts().await.available, expected, "fifo = {fifo_queues}");
    }
}

/// A queue may name itself as its dead-letter queue: a message over maxReceiveCount goes back
/// into it as a dead letter (its receive count carried on, so it stays there), without a deadlock
/// and without being lost.
pub async fn a_queue_may_be_its_own_dead_letter_queue(factory: &Factory) {
    let e = engine(factory);
    let mut config = QueueConfig::new(false);
    config.visibility_timeout = 0;
    let q = TestQueue::create(&e, "self", config).await;
    let policy = redrive_to(&q, 1);
    e.modify_queue(&q.id, true, |s| {
        s.config.redrive_policy = policy.clone();
        Ok(())
    })
    .await
    .unwrap();
    q.send(msg("loop")).await.unwrap();
    assert_eq!(q.receive(1).await.len(), 1);
    for _ in 0..3 {
        assert!(q.receive(1).await.is_empty(), "moved, not delivered");
        assert_eq!(q.held().await, 1, "and not lost");
    }
}

/// Settings changes are compare-and-set on a version: a change computed from an old version is
/// refused and retried by the engine on the newer settings, so concurrent changes are not lost;
/// attribute changes move LastModifiedTimestamp, tag changes don't.
pub async fn settings_changes_are_compare_and_set(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "cas").await;
    let before = q.info().await;
    advance(Duration::from_secs(5)).await;
    let stale = before.version;
    let mut settings = (*before.settings).clone();
    settings.config.delay_seconds = 7;
    let first = e.backend().update_settings(&q.id, stale, settings.clone(), e.now(), true).await.unwrap();
    assert!(matches!(first, crate::backend::Update::Done(_)));
    let second = e.backend().update_settings(&q.id, stale, settings, e.now(), true).await.unwrap();
    assert!(matches!(second, crate::backend::Update::Conflict), "a stale version is refused");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (e, id) = (e.clone(), q.id.clone());
            tokio::spawn(async move {
                e.modify_queue(&id, false, |s| {
                    s.tags.insert(format!("k{i}"), "v".into());
                    Ok(())
                })
                .await
                .unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let after = q.info().await;
    assert_eq!(after.settings.tags.len(), 20, "no concurrent change lost");
    assert_eq!(after.config().delay_seconds, 7);
    assert_eq!(after.last_modified_at, START + 5_000, "tags do not change LastModifiedTimestamp");
    assert_eq!(after.created_at, START);
}

pub async fn queues_are_listed_by_namespace_and_prefix(factory: &Factory) {
    let e = engine(factory);
    for name in ["app-b", "app-a", "other"] {
        TestQueue::standard(&e, name).await;
    }
    let elsewhere = QueueId::new(Namespace::new("111111111111", "eu-west-1"), "app-c");
    let new = NewQueue {
        id: elsewhere.clone(),
        settings: QueueSettings { config: QueueConfig::new(false), tags: BTreeMap::new() },
    };
    e.create_queue(new).await.unwrap();
    let names: Vec<String> =
        e.list_queues(&namespace(), "app").await.unwrap().into_iter().map(|q| q.id.name.to_string()).collect();
    assert_eq!(names, ["app-a", "app-b"]);
    assert_eq!(e.list_queues(&elsewhere.namespace, "").await.unwrap().len(), 1);
    assert_eq!(e.queue(&QueueId::new(namespace(), "app-c")).await.unwrap_err().code, ErrorCode::QueueDoesNotExist);
    // The same name in two namespaces are two queues.
    let same = QueueId::new(elsewhere.namespace, "app-a");
    let new = NewQueue {
        id: same.clone(),
        settings: QueueSettings { config: QueueConfig::new(false), tags: BTreeMap::new() },
    };
    assert!(matches!(e.create_queue(new).await.unwrap(), CreateOutcome::Created(_)));
    e.send(&same, vec![msg("there")]).await.unwrap();
    assert_eq!(TestQueue { engine: e.clone(), id: QueueId::new(namespace(), "app-a") }.held().await, 0);
}

pub async fn purge_empties_every_state(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "purge").await;
    q.send(msg("visible")).await.unwrap();
    q.send(delayed("delayed", 60)).await.unwrap();
    q.send(msg("in-flight")).await.unwrap();
    q.receive(1).await;
    assert_eq!(q.held().await, 3);
    e.purge(&q.id).await.unwrap();
    assert_eq!(q.counts().await, QueueCounts::default());
}

/// The send rules that depend on the configuration are applied by the backend as it sends:
/// MaximumMessageSize (inclusive; worded per SendMessage or batch), and content-based
/// deduplication (the body's SHA-256, or a request-wide error without it).
pub async fn send_rules_follow_the_queue_configuration(factory: &Factory) {
    let e = engine(factory);
    let mut config = QueueConfig::new(false);
    config.maximum_message_size = 1024;
    let q = TestQueue::create(&e, "small", config).await;
    let sized = |size: usize| NewMessage { size, ..msg("x") };
    q.send(sized(1024)).await.unwrap();
    let err = q.send(sized(1025)).await.unwrap_err();
    assert_eq!(err.message, "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.");
    let batch = e.send_batch(&q.id, vec![sized(10), sized(2000)]).await.unwrap();
    assert!(batch[0].is_ok());
    assert_eq!(
        batch[1].as_ref().unwrap_err().message,
        "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes."
    );

    let content = |body: &str| NewMessage {
        grouping: Grouping::Fifo { group: GroupId::new("g").unwrap(), dedup: None },
        ..msg(body)
    };
    let plain = TestQueue::fifo(&e, "plain.fifo").await;
    let err = e.send_batch(&plain.id, vec![grouped("a", "g"), content("b")]).await.unwrap_err();
    assert_eq!(
        err.message,
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    );
    assert_eq!(plain.held().await, 0, "nothing of the failed request was sent");
    let mut config = QueueConfig::new(true);
    config.fifo.as_mut().unwrap().content_based_dedup = true;
    let q = TestQueue::create(&e, "content.fifo", config).await;
    let first = q.send(content("same")).await.unwrap();
    assert_eq!(q.send(content("same")).await.unwrap(), first, "the same body is a duplicate");
    let got = q.receive(10).await;
    assert_eq!(got[0].dedup_id.as_deref(), Some("0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5"));
}
