//! The admin API's engine tools: the movable clock, peek, and the resets.

use std::time::Duration;

use super::*;
use crate::message::PeekState;

/// Moving the clock ends visibility timeouts and delays at once and moves the timestamps clients
/// see; a long poll waiting on a delay returns the message the move made available.
pub async fn advancing_the_clock_ends_timeouts_and_delays_and_wakes_long_polls(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::standard(&e, "clock").await;
    q.send(msg("a")).await.unwrap();
    assert_eq!(q.receive(1).await.len(), 1);
    let before = e.now();
    assert_eq!(e.advance_clock(30_000).await.unwrap(), 30_000);
    assert_eq!(e.clock_offset(), 30_000);
    assert!(e.now() >= before + 30_000);
    let again = q.receive(1).await;
    assert_eq!(bodies(&again), vec!["a"], "the 30 s visibility timeout ended with the move");
    q.delete(&again[0].receipt_handle).await.unwrap();

    q.send(delayed("late", 600)).await.unwrap();
    let poll = {
        let q = q.clone();
        tokio::spawn(async move { q.receive_with(&ReceiveRequest { max_messages: 1, ..Default::default() }, 20).await })
    };
    tokio::task::yield_now().await;
    e.advance_clock(600_000).await.unwrap();
    let got = tokio::time::timeout(Duration::from_millis(100), poll).await.expect("woke on the move").unwrap();
    assert_eq!(bodies(&got), vec!["late"]);
    assert!(got[0].sent_at < e.now());
}

/// Peek lists every state in queue order, pages, and changes nothing.
pub async fn peek_shows_every_state_and_changes_nothing(factory: &Factory) {
    let e = engine(factory);
    let q = TestQueue::fifo(&e, "peek.fifo").await;
    for body in ["a", "b", "c"] {
        q.send(grouped(body, "G")).await.unwrap();
    }
    let s = TestQueue::standard(&e, "peek").await;
    s.send(msg("ready")).await.unwrap();
    s.send(delayed("later", 60)).await.unwrap();
    s.send(msg("taken")).await.unwrap();
    let taken = s.receive(2).await;
    assert_eq!(taken.len(), 2);

    let all = e.peek(&s.id, None, 10).await.unwrap();
    let view: Vec<(&str, PeekState, u32)> =
        all.messages.iter().map(|p| (&*p.message.body, p.state, p.message.receive_count)).collect();
    assert_eq!(view.len(), 3);
    assert_eq!(view[1], ("later", PeekState::Delayed, 0));
    assert_eq!(view.iter().filter(|v| v.1 == PeekState::InFlight).count(), 2);
    assert!(all.messages.iter().all(|p| p.message.receipt_handle.is_empty()));
    let delayed_at = all.messages[1].visible_at.expect("a delayed message has a visible time");
    assert_eq!(delayed_at, all.messages[1].message.sent_at + 60_000);
    assert_eq!(all.next, None);
    // Nothing changed: the in-flight ones stay hidden, counts are as before.
    assert!(s.receive(10).await.is_empty());
    assert_eq!(e.peek(&s.id, None, 10).await.unwrap().messages[0].message.receive_count, 1);

    let first = e.peek(&q.id, None, 2).await.unwrap();
    assert_eq!(first.messages.iter().map(|p| &*p.message.body).collect::<Vec<_>>(), vec!["a", "b"]);
    let rest = e.peek(&q.id, first.next, 2).await.unwrap();
    assert_eq!(rest.messages.iter().map(|p| &*p.message.body).collect::<Vec<_>>(), vec!["c"]);
    assert_eq!(rest.next, None);
    assert!(first.messages[0].message.sequence_number.is_some());
    let got = q.receive(10).await;
    assert_eq!(bodies(&got), vec!["a", "b", "c"], "peeking locked no group");
    assert_eq!(got[0].receive_count, 1);

    // Deleting what a peek showed, by its position, in any state.
    let later = &all.messages[1];
    assert!(!e.delete_at(&s.id, later.position, uuid::Uuid::nil()).await.unwrap(), "another message's id");
    assert!(e.delete_at(&s.id, later.position, later.message.id).await.unwrap());
    assert!(!e.delete_at(&s.id, later.position, later.message.id).await.unwrap(), "already gone");
    assert_eq!(s.counts().await.delayed, 0);
}

/// A queue reset empties it and lifts the PurgeQueue rule and the deduplication window; the full
/// reset removes every queue and sets the clock back.
pub async fn resets_empty_a_queue_or_everything(factory: &Factory) {
    let settings = EngineSettings { purge_cooldown: true, delete_cooldown: true, ..Default::default() };
    let e = Engine::new(factory(), Arc::new(TokioClock::starting_at(START)), settings);
    let q = TestQueue::fifo(&e, "reset.fifo").await;
    q.send(fifo_message("a", "G", "d1")).await.unwrap();
    e.purge(&q.id).await.unwrap();
    assert!(e.purge(&q.id).await.is_err(), "the 60-second rule");
    q.send(fifo_message("b", "G", "d1")).await.unwrap();
    e.reset_queue(&q.id).await.unwrap();
    assert_eq!(q.held().await, 0);
    e.purge(&q.id).await.expect("no 60-second rule after a queue reset");
    let sent = q.send(fifo_message("c", "G", "d1")).await.unwrap();
    assert_eq!(bodies(&q.receive(1).await), vec!["c"], "the deduplication window was cleared ({sent:?})");

    let other = TestQueue::standard(&e, "other").await;
    e.delete_queue(&other.id).await.unwrap();
    e.advance_clock(5_000).await.unwrap();
    e.reset().await.unwrap();
    assert_eq!(e.clock_offset(), 0);
    assert!(e.list_queues(&namespace(), "").await.unwrap().is_empty());
    TestQueue::standard(&e, "other").await;
}
