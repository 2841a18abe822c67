//! Property test of redrive and move-back: across random send / receive (with redrive) /
//! visibility / delete / move-back / time sequences on a source queue and its dead-letter queue,
//! every message is in exactly one place (source, DLQ, or deleted): none lost, none duplicated.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use proptest::prelude::*;
use sqs_local::engine::clock::TokioClock;
use sqs_local::engine::message::NewMessage;
use sqs_local::engine::queue::{Queue, QueueConfig, ReceiveRequest};
use sqs_local::engine::{Engine, EngineSettings};

#[derive(Debug, Clone)]
enum Op {
    Send,
    ReceiveSource { delete: bool },
    ReceiveDlq { delete: bool },
    ChangeVisibility { zero: bool },
    MoveBack { count: usize },
    Advance { seconds: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Send),
        4 => any::<bool>().prop_map(|delete| Op::ReceiveSource { delete }),
        2 => any::<bool>().prop_map(|delete| Op::ReceiveDlq { delete }),
        1 => any::<bool>().prop_map(|zero| Op::ChangeVisibility { zero }),
        1 => (1usize..5).prop_map(|count| Op::MoveBack { count }),
        2 => prop_oneof![Just(1u32), Just(31)].prop_map(|seconds| Op::Advance { seconds }),
    ]
}

fn queues(fifo: bool) -> (Arc<Queue>, Arc<Queue>) {
    let settings = EngineSettings { purge_cooldown: false, delete_cooldown: false, ..Default::default() };
    let engine = Engine::new(settings, Arc::new(TokioClock::starting_at(0)));
    let create = |name: &str| {
        let name = if fifo { format!("{name}.fifo") } else { name.to_string() };
        engine.create_queue(&name, QueueConfig::new(fifo), BTreeMap::new(), |_| Ok(())).unwrap()
    };
    (create("source"), create("dlq"))
}

fn run(fifo: bool, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let (source, dlq) = queues(fifo);
    let mut now = 1_000_000u64;
    let mut sent = 0usize;
    let mut deleted: HashSet<String> = HashSet::new();
    let mut last_handle: Option<(bool, String)> = None;
    let receive = ReceiveRequest { max_messages: 10, ..Default::default() };
    for op in ops {
        match op {
            Op::Send => {
                let message = NewMessage {
                    body: format!("m{sent}").into(),
                    group_id: Some(format!("g{}", sent % 3).into()),
                    dedup_id: fifo.then(|| format!("d{sent}").into()),
                    ..Default::default()
                };
                source.send(message, now).unwrap();
                sent += 1;
            }
            Op::ReceiveSource { delete } => {
                let batch = source.receive(&receive, Some(2), now);
                dlq.accept_dead_letters(batch.moved, &source.arn, now);
                for m in batch.messages {
                    prop_assert!(!deleted.contains(m.body.as_ref()));
                    if delete {
                        source.delete(&m.receipt_handle, now).unwrap();
                        deleted.insert(m.body.to_string());
                    } else {
                        last_handle = Some((true, m.receipt_handle.clone()));
                    }
                }
            }
            Op::ReceiveDlq { delete } => {
                for m in dlq.receive(&receive, None, now).messages {
                    prop_assert!(!deleted.contains(m.body.as_ref()));
                    prop_assert!(m.dead_letter_source_arn.is_some());
                    if delete {
                        dlq.delete(&m.receipt_handle, now).unwrap();
                        deleted.insert(m.body.to_string());
                    } else {
                        last_handle = Some((false, m.receipt_handle.clone()));
                    }
                }
            }
            Op::ChangeVisibility { zero } => {
                if let Some((in_source, handle)) = &last_handle {
                    let queue = if *in_source { &source } else { &dlq };
                    let _ = queue.change_visibility(handle, if zero { 0 } else { 60 }, now);
                }
            }
            Op::MoveBack { count } => {
                for _ in 0..count {
                    match dlq.take_available(now) {
                        Some((_, m)) => source.accept_moved(m, now),
                        None => break,
                    }
                }
            }
            Op::Advance { seconds } => now += seconds as u64 * 1000,
        }
        prop_assert_eq!(source.len() + dlq.len() + deleted.len(), sent, "every message in exactly one place");
    }
    // Drain both queues: each remaining message appears exactly once.
    now += 10_000_000;
    let mut remaining = HashSet::new();
    for queue in [&source, &dlq] {
        loop {
            let batch = queue.receive(&receive, None, now);
            if batch.messages.is_empty() {
                break;
            }
            for m in batch.messages {
                prop_assert!(remaining.insert(m.body.to_string()), "message in two places");
                prop_assert!(!deleted.contains(m.body.as_ref()));
                queue.delete(&m.receipt_handle, now).unwrap();
            }
        }
    }
    prop_assert_eq!(remaining.len() + deleted.len(), sent);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn standard_redrive_conserves_messages(ops in proptest::collection::vec(op(), 1..60)) {
        run(false, ops)?;
    }

    #[test]
    fn fifo_redrive_conserves_messages(ops in proptest::collection::vec(op(), 1..60)) {
        run(true, ops)?;
    }
}
