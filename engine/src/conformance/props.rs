//! Property tests over random operation sequences, driving the backend with explicit times.
//!
//! Queue invariants, for FIFO and standard queues:
//! - no message is in flight twice at once (a delivered message is not delivered again while its
//!   receipt is current);
//! - FIFO: a message is delivered only when every earlier message of its group is deleted or
//!   delivered earlier in the same receive, so per-group delivery order equals send order;
//! - a dedup id inside its window never yields a second stored message;
//! - nothing is lost: after draining, every accepted message was deleted exactly once, unless purged;
//! - counters add up and receive counts never go down.
//!
//! Redrive invariants: across sends, receives that dead-letter, visibility changes, deletes and
//! move-backs on a source and its dead-letter queue, every message is in exactly one place
//! (source, dead-letter queue, or deleted).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::*;
use crate::move_task::{MoveTask, MoveTaskStatus};

/// Runs `property` over `cases` random operation lists (`SQS_LOCAL_PROPTEST_CASES` overrides the
/// number: a backend over a database pays a round trip per operation), each on a fresh backend, in
/// a runtime of its own; panics with the smallest failing list.
fn check<O: std::fmt::Debug + Clone + 'static>(
    cases: u32,
    ops: impl Strategy<Value = Vec<O>>,
    factory: &Factory,
    property: impl AsyncProperty<O>,
) {
    let cases = std::env::var("SQS_LOCAL_PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(cases);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&ops, |ops| runtime.block_on(property.run(factory(), ops)));
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// An async property over one backend and one operation list.
trait AsyncProperty<O> {
    fn run(
        &self,
        backend: Arc<dyn QueueBackend>,
        ops: Vec<O>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), TestCaseError>> + '_>>;
}

struct Queues {
    fifo: bool,
}

impl AsyncProperty<Op> for Queues {
    fn run(
        &self,
        backend: Arc<dyn QueueBackend>,
        ops: Vec<Op>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), TestCaseError>> + '_>> {
        Box::pin(queue_invariants(backend, self.fifo, ops))
    }
}

struct Redrive {
    fifo: bool,
}

impl AsyncProperty<RedriveOp> for Redrive {
    fn run(
        &self,
        backend: Arc<dyn QueueBackend>,
        ops: Vec<RedriveOp>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), TestCaseError>> + '_>> {
        Box::pin(redrive_conserves_messages(backend, self.fifo, ops))
    }
}

pub fn fifo_invariants(factory: &Factory) {
    check(2000, proptest::collection::vec(op(), 1..60), factory, Queues { fifo: true });
}

pub fn standard_invariants(factory: &Factory) {
    check(2000, proptest::collection::vec(op(), 1..60), factory, Queues { fifo: false });
}

pub fn fifo_redrive_keeps_every_message_in_one_place(factory: &Factory) {
    check(1000, proptest::collection::vec(redrive_op(), 1..60), factory, Redrive { fifo: true });
}

pub fn standard_redrive_keeps_every_message_in_one_place(factory: &Factory) {
    check(1000, proptest::collection::vec(redrive_op(), 1..60), factory, Redrive { fifo: false });
}

async fn create(backend: &Arc<dyn QueueBackend>, name: &str, config: QueueConfig, now: Millis) -> QueueId {
    let id = QueueId::new(namespace(), name);
    let queue = NewQueue { id: id.clone(), settings: QueueSettings { config, tags: BTreeMap::new() } };
    backend.create_queue(queue, now, None).await.expect("created");
    id
}

fn one<T>(outcomes: SqsResult<Vec<SqsResult<T>>>) -> SqsResult<T> {
    outcomes?.pop().expect("one outcome")
}

fn message(fifo: bool, body: String, group: u8, dedup: u8) -> NewMessage {
    if fifo {
        fifo_message(&body, &format!("g{group}"), &format!("d{dedup}"))
    } else {
        in_group(&body, &format!("g{group}"))
    }
}

fn receive_request(max: usize, visibility: Option<u32>, attempt: Option<u8>) -> ReceiveRequest {
    ReceiveRequest {
        max_messages: max,
        visibility_timeout: visibility,
        attempt_id: attempt.map(|a| crate::types::AttemptId::new(&format!("a{a}")).expect("valid")),
    }
}

async fn total(backend: &Arc<dyn QueueBackend>, id: &QueueId, now: Millis) -> usize {
    let c = backend.counts(id, now).await.expect("counts");
    (c.available + c.in_flight + c.delayed) as usize
}

// ------------------------------------------------------------------ one queue

#[derive(Debug, Clone)]
enum Op {
    Send { group: u8, dedup: u8 },
    Receive { max: usize, visibility: u32, attempt: Option<u8> },
    Delete { pick: usize },
    ChangeVisibility { pick: usize, timeout: u32 },
    Purge,
    Advance { seconds: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0u8..4, 0u8..12).prop_map(|(group, dedup)| Op::Send { group, dedup }),
        4 => (1usize..=10, prop_oneof![Just(0u32), Just(5), Just(30)], proptest::option::of(0u8..3))
            .prop_map(|(max, visibility, attempt)| Op::Receive { max, visibility, attempt }),
        3 => any::<usize>().prop_map(|pick| Op::Delete { pick }),
        1 => (any::<usize>(), prop_oneof![Just(0u32), Just(10), Just(60)])
            .prop_map(|(pick, timeout)| Op::ChangeVisibility { pick, timeout }),
        1 => Just(Op::Purge),
        2 => prop_oneof![Just(1u32), Just(10), Just(31), Just(301)].prop_map(|seconds| Op::Advance { seconds }),
    ]
}

/// What the test expects the queue to hold.
#[derive(Default)]
struct Model {
    /// message id -> (group, send index) of accepted messages.
    sent: HashMap<String, (u8, usize)>,
    /// Per group, ids in send order that are not yet deleted or purged.
    pending: BTreeMap<u8, Vec<String>>,
    /// Receipt handles handed out, with their message ids.
    handles: Vec<(String, String)>,
    deleted: HashSet<String>,
    receive_counts: HashMap<String, u32>,
    /// dedup id -> (first message id, send time).
    dedup: HashMap<u8, (String, u64)>,
    /// message id -> (receipt handle, end of its visibility timeout) while in flight.
    in_flight: HashMap<String, (String, u64)>,
}

async fn queue_invariants(backend: Arc<dyn QueueBackend>, fifo: bool, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut now: u64 = 1_000_000;
    let mut config = QueueConfig::new(fifo);
    config.visibility_timeout = 30;
    let q = create(&backend, if fifo { "p.fifo" } else { "p" }, config, now).await;
    let mut send_index = 0usize;
    let mut m = Model::default();
    for op in ops {
        match op {
            Op::Send { group, dedup } => {
                let new = message(fifo, format!("body-{send_index}"), group, dedup);
                let outcome = one(backend.send(&q, vec![new], false, now).await).expect("sent");
                let id = outcome.message_id.to_string();
                let live_dup =
                    m.dedup.get(&dedup).filter(|(_, at)| fifo && now < at + 300_000).map(|(id, _)| id.clone());
                match live_dup {
                    Some(original) => prop_assert_eq!(&id, &original, "duplicate inside the window"),
                    None => {
                        prop_assert!(!m.sent.contains_key(&id));
                        m.sent.insert(id.clone(), (group, send_index));
                        m.pending.entry(group).or_default().push(id.clone());
                        if fifo {
                            m.dedup.insert(dedup, (id, now));
                        }
                    }
                }
                send_index += 1;
            }
            Op::Receive { max, visibility, attempt } => {
                let request = receive_request(max, Some(visibility), attempt);
                let batch = backend.receive(&q, &request, now).await.expect("received");
                prop_assert!(batch.messages.len() <= max);
                let mut in_this_receive: HashSet<String> = HashSet::new();
                for r in &batch.messages {
                    let id = r.id.to_string();
                    prop_assert!(!m.deleted.contains(&id), "deleted message delivered");
                    prop_assert!(in_this_receive.insert(id.clone()), "same message twice in one receive");
                    let (group, _) = m.sent[&id];
                    if fifo {
                        // Every earlier undeleted message of the group is in this same receive.
                        for earlier in m.pending[&group].iter().take_while(|p| **p != id) {
                            prop_assert!(in_this_receive.contains(earlier), "FIFO order broken in group {}", group);
                        }
                    }
                    if let Some((handle, until)) = m.in_flight.get(&id) {
                        // Only a ReceiveRequestAttemptId retry may hand out an in-flight message,
                        // and then with the very same receipt handle.
                        prop_assert!(now >= *until || *handle == r.receipt_handle, "message in flight twice");
                    }
                    m.in_flight.insert(id.clone(), (r.receipt_handle.clone(), now + visibility as u64 * 1000));
                    let count = m.receive_counts.entry(id.clone()).or_insert(0);
                    prop_assert!(r.receive_count >= *count, "receive count went down");
                    *count = r.receive_count;
                    m.handles.push((r.receipt_handle.clone(), id));
                }
            }
            Op::Delete { pick } => {
                if m.handles.is_empty() {
                    continue;
                }
                let (handle, id) = m.handles[pick % m.handles.len()].clone();
                // FIFO: only the latest handle deletes (others are refused as expired); standard
                // queues: any handle of the message deletes it.
                let acts = !fifo || m.in_flight.get(&id).is_some_and(|(h, _)| *h == handle);
                let ok = one(backend.delete_messages(&q, &[handle], now).await).is_ok();
                if ok && acts && m.sent.contains_key(&id) && !m.deleted.contains(&id) {
                    m.deleted.insert(id.clone());
                    let (group, _) = m.sent[&id];
                    m.pending.get_mut(&group).expect("a group of a sent message").retain(|p| *p != id);
                }
            }
            Op::ChangeVisibility { pick, timeout } => {
                if !m.handles.is_empty() {
                    let (handle, id) = m.handles[pick % m.handles.len()].clone();
                    // The change acts on the current receive (any handle on standard queues).
                    let current = m.in_flight.get(&id).map(|(h, _)| h.clone());
                    let acts = current.as_ref().is_some_and(|h| !fifo || *h == handle);
                    let ok = one(backend.change_visibility(&q, &[(handle.clone(), timeout)], now).await).is_ok();
                    if ok && acts {
                        m.in_flight.insert(id, (current.unwrap_or(handle), now + timeout as u64 * 1000));
                    }
                }
            }
            Op::Purge => {
                backend.purge(&q, now, None).await.expect("purged");
                for ids in m.pending.values_mut() {
                    for id in ids.drain(..) {
                        m.sent.remove(&id);
                    }
                }
                m.dedup.clear();
                m.handles.clear();
                m.in_flight.clear();
            }
            Op::Advance { seconds } => now += seconds as u64 * 1000,
        }
        let live: usize = m.pending.values().map(Vec::len).sum();
        prop_assert_eq!(total(&backend, &q, now).await, live, "counters add up");
    }
    // Drain: nothing lost, nothing left behind.
    now += 50_000_000;
    loop {
        let batch = backend.receive(&q, &receive_request(10, None, None), now).await.expect("received");
        if batch.messages.is_empty() {
            break;
        }
        for r in batch.messages {
            one(backend.delete_messages(&q, std::slice::from_ref(&r.receipt_handle), now).await).expect("deleted");
            prop_assert!(m.deleted.insert(r.id.to_string()), "message delivered after deletion");
        }
    }
    let accepted: HashSet<_> = m.sent.keys().cloned().collect();
    let deleted_accepted: HashSet<_> = m.deleted.intersection(&accepted).cloned().collect();
    prop_assert_eq!(deleted_accepted, accepted, "every accepted message was delivered and deleted");
    prop_assert_eq!(total(&backend, &q, now).await, 0);
    Ok(())
}

// ------------------------------------------------------------------ redrive

#[derive(Debug, Clone)]
enum RedriveOp {
    Send,
    ReceiveSource { delete: bool },
    ReceiveDlq { delete: bool },
    ChangeVisibility { zero: bool },
    MoveBack { count: u64 },
    Advance { seconds: u32 },
}

fn redrive_op() -> impl Strategy<Value = RedriveOp> {
    prop_oneof![
        3 => Just(RedriveOp::Send),
        4 => any::<bool>().prop_map(|delete| RedriveOp::ReceiveSource { delete }),
        2 => any::<bool>().prop_map(|delete| RedriveOp::ReceiveDlq { delete }),
        1 => any::<bool>().prop_map(|zero| RedriveOp::ChangeVisibility { zero }),
        1 => (1u64..5).prop_map(|count| RedriveOp::MoveBack { count }),
        2 => prop_oneof![Just(1u32), Just(31)].prop_map(|seconds| RedriveOp::Advance { seconds }),
    ]
}

async fn redrive_conserves_messages(
    backend: Arc<dyn QueueBackend>,
    fifo: bool,
    ops: Vec<RedriveOp>,
) -> Result<(), TestCaseError> {
    let mut now = 1_000_000u64;
    let suffix = if fifo { ".fifo" } else { "" };
    let dlq = create(&backend, &format!("dlq{suffix}"), QueueConfig::new(fifo), now).await;
    let mut config = QueueConfig::new(fifo);
    config.redrive_policy = Some(crate::queue::RedrivePolicy {
        dead_letter_target_arn: dlq.arn(),
        dead_letter_queue: dlq.clone(),
        max_receive_count: 2,
    });
    let source = create(&backend, &format!("source{suffix}"), config, now).await;
    let mut sent = 0usize;
    let mut tasks = 0usize;
    let mut deleted: HashSet<String> = HashSet::new();
    let mut last_handle: Option<(bool, String)> = None;
    let receive = receive_request(10, None, None);
    for op in ops {
        match op {
            RedriveOp::Send => {
                let (body, group) = (format!("m{sent}"), format!("g{}", sent % 3));
                let new = if fifo { fifo_message(&body, &group, &body) } else { in_group(&body, &group) };
                one(backend.send(&source, vec![new], false, now).await).expect("sent");
                sent += 1;
            }
            RedriveOp::ReceiveSource { delete } | RedriveOp::ReceiveDlq { delete } => {
                let from_source = matches!(op, RedriveOp::ReceiveSource { .. });
                let queue = if from_source { &source } else { &dlq };
                for m in backend.receive(queue, &receive, now).await.expect("received").messages {
                    prop_assert!(!deleted.contains(m.body.as_ref()));
                    prop_assert!(from_source || m.dead_letter_source_arn.is_some());
                    if delete {
                        one(backend.delete_messages(queue, std::slice::from_ref(&m.receipt_handle), now).await)
                            .expect("deleted");
                        deleted.insert(m.body.to_string());
                    } else {
                        last_handle = Some((from_source, m.receipt_handle.clone()));
                    }
                }
            }
            RedriveOp::ChangeVisibility { zero } => {
                if let Some((in_source, handle)) = &last_handle {
                    let queue = if *in_source { &source } else { &dlq };
                    let change = (handle.clone(), if zero { 0 } else { 60 });
                    let _ = backend.change_visibility(queue, &[change], now).await;
                }
            }
            RedriveOp::MoveBack { count } => {
                tasks += 1;
                let task = MoveTask {
                    task_id: format!("t{tasks}"),
                    source: dlq.clone(),
                    destination: Some(source.clone()),
                    max_per_second: None,
                    status: MoveTaskStatus::Running,
                    moved: 0,
                    to_move: count,
                    failure_reason: None,
                    started_at: now,
                };
                backend.start_move_task(task).await.expect("started");
                let done = backend.advance_move_task(&format!("t{tasks}"), count, now).await.expect("advanced");
                prop_assert_eq!(done.status, MoveTaskStatus::Completed);
            }
            RedriveOp::Advance { seconds } => now += seconds as u64 * 1000,
        }
        let held = total(&backend, &source, now).await + total(&backend, &dlq, now).await;
        prop_assert_eq!(held + deleted.len(), sent, "every message in exactly one place");
    }
    // Drain both queues: each remaining message appears exactly once.
    now += 10_000_000;
    let mut remaining = HashSet::new();
    for queue in [&source, &dlq] {
        loop {
            let batch = backend.receive(queue, &receive, now).await.expect("received");
            if batch.messages.is_empty() {
                break;
            }
            for m in batch.messages {
                prop_assert!(remaining.insert(m.body.to_string()), "message in two places");
                prop_assert!(!deleted.contains(m.body.as_ref()));
                one(backend.delete_messages(queue, std::slice::from_ref(&m.receipt_handle), now).await)
                    .expect("deleted");
            }
        }
    }
    prop_assert_eq!(remaining.len() + deleted.len(), sent);
    Ok(())
}
