//! Property tests of the engine core over random operation sequences on the synchronous queue API
//! (explicit `now`, no runtime). Invariants, for FIFO and standard queues:
//! - no message is in flight twice at once (a delivered message is not delivered again while its
//!   receipt is current);
//! - FIFO: a message is delivered only when every earlier message of its group is deleted or
//!   delivered earlier in the same receive, so per-group delivery order equals send order;
//! - a dedup id inside its window never yields a second stored message;
//! - nothing is lost: after draining, every accepted message was deleted exactly once, unless purged;
//! - counters add up and receive counts never go down.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use proptest::prelude::*;
use sqs_local::engine::clock::TokioClock;
use sqs_local::engine::message::NewMessage;
use sqs_local::engine::queue::{Queue, QueueConfig, ReceiveRequest};
use sqs_local::engine::{Engine, EngineSettings};

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

fn queue(fifo: bool) -> Arc<Queue> {
    let settings = EngineSettings { purge_cooldown: false, delete_cooldown: false, ..Default::default() };
    let engine = Engine::new(settings, Arc::new(TokioClock::starting_at(0)));
    let mut config = QueueConfig::new(fifo);
    config.visibility_timeout = 30;
    engine.create_queue(if fifo { "p.fifo" } else { "p" }, config, BTreeMap::new(), |_| Ok(())).unwrap()
}

fn run(fifo: bool, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let q = queue(fifo);
    let mut now: u64 = 1_000_000;
    let mut send_index = 0usize;
    let mut m = Model {
        sent: HashMap::new(),
        pending: BTreeMap::new(),
        handles: Vec::new(),
        deleted: HashSet::new(),
        receive_counts: HashMap::new(),
        dedup: HashMap::new(),
        in_flight: HashMap::new(),
    };
    for op in ops {
        match op {
            Op::Send { group, dedup } => {
                let message = NewMessage {
                    body: format!("body-{send_index}").into(),
                    group_id: Some(format!("g{group}").into()),
                    dedup_id: fifo.then(|| format!("d{dedup}").into()),
                    ..Default::default()
                };
                let outcome = q.send(message, now).unwrap();
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
                let request = ReceiveRequest {
                    max_messages: max,
                    visibility_timeout: Some(visibility),
                    attempt_id: attempt.map(|a| Arc::from(format!("a{a}"))),
                };
                let batch = q.receive(&request, None, now);
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
                if q.delete(&handle, now).is_ok() && acts && m.sent.contains_key(&id) && !m.deleted.contains(&id) {
                    m.deleted.insert(id.clone());
                    let (group, _) = m.sent[&id];
                    m.pending.get_mut(&group).unwrap().retain(|p| *p != id);
                }
            }
            Op::ChangeVisibility { pick, timeout } => {
                if !m.handles.is_empty() {
                    let (handle, id) = m.handles[pick % m.handles.len()].clone();
                    // The change acts on the current receive (any handle on standard queues).
                    let current = m.in_flight.get(&id).map(|(h, _)| h.clone());
                    let acts = current.as_ref().is_some_and(|h| !fifo || *h == handle);
                    if q.change_visibility(&handle, timeout, now).is_ok() && acts {
                        m.in_flight.insert(id, (current.unwrap_or(handle), now + timeout as u64 * 1000));
                    }
                }
            }
            Op::Purge => {
                q.purge(false, now).unwrap();
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
        let snap = q.snapshot(now);
        let live: usize = m.pending.values().map(Vec::len).sum();
        prop_assert_eq!(snap.available + snap.in_flight + snap.delayed, live, "counters add up");
    }
    // Drain: nothing lost, nothing left behind.
    now += 50_000_000;
    loop {
        let batch = q.receive(&ReceiveRequest { max_messages: 10, ..Default::default() }, None, now);
        if batch.messages.is_empty() {
            break;
        }
        for r in batch.messages {
            q.delete(&r.receipt_handle, now).unwrap();
            prop_assert!(m.deleted.insert(r.id.to_string()), "message delivered after deletion");
        }
    }
    let accepted: HashSet<_> = m.sent.keys().cloned().collect();
    let deleted_accepted: HashSet<_> = m.deleted.intersection(&accepted).cloned().collect();
    prop_assert_eq!(deleted_accepted, accepted, "every accepted message was delivered and deleted");
    prop_assert!(q.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fifo_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        run(true, ops)?;
    }

    #[test]
    fn standard_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        run(false, ops)?;
    }
}
