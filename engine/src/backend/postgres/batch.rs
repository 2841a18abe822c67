//! Group commit across requests: standard-queue sends, receives and deletes that arrive together
//! on one node share a transaction (and, for one queue, one statement), so unbatched clients
//! (most SQS workers) do not pay a commit each.
//!
//! A request puts its work in the pending list and waits. While fewer than [`FLUSHERS`] flushes
//! run, it starts one: a task that takes everything pending, runs it in one transaction, answers
//! each request, and goes on while more arrived meanwhile. A lone request is flushed at once, so
//! batching adds no wait; under load, what arrives while a commit is on its way goes in the next.
//! Nothing is answered before its transaction committed; a failed transaction fails every request
//! in it (none of their changes happened).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use deadpool_postgres::{GenericClient, Pool};
use tokio::sync::oneshot;
use tokio_postgres::types::ToSql;

use super::messages::{received, StandardRows};
use super::rows::{MessageRow, QueueRecord};
use super::{client, ms, pg_error, sql};
use crate::clock::Millis;
use crate::error::{SqsError, SqsResult};

/// Flushes that may run at once. One: while it commits, the next batch gathers (measured with
/// `sqs-bench database`, one flush at a time halved PostgreSQL CPU per message for send 1 against
/// two, at the same rates).
const FLUSHERS: usize = 1;

/// Where a request waits for its answer.
type Reply<T> = oneshot::Sender<SqsResult<T>>;

/// One request's work.
pub enum Work {
    /// Messages for a standard queue; answered with how many were stored (fewer: the queue is gone).
    Send { uid: i64, rows: Box<StandardRows>, now: Millis, reply: Reply<usize> },
    /// Messages of a standard queue to delete.
    Delete { uid: i64, seqs: Vec<i64>, reply: Reply<()> },
    /// A standard receive (no redrive policy): up to `max` messages, in flight for `visibility_ms`.
    Receive {
        record: Arc<QueueRecord>,
        max: usize,
        visibility_ms: Millis,
        cutoff: i64,
        now: Millis,
        reply: Reply<Vec<MessageRow>>,
    },
}

#[derive(Default)]
struct State {
    pending: Vec<Work>,
    flushing: usize,
}

/// The pending work of a node.
pub struct Combiner {
    pool: Pool,
    state: Mutex<State>,
}

impl Combiner {
    pub fn new(pool: Pool) -> Arc<Self> {
        Arc::new(Combiner { pool, state: Mutex::default() })
    }

    /// Queues `work` and starts a flush if one may start.
    fn submit(self: &Arc<Self>, work: Work) {
        let start = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.pending.push(work);
            let start = state.flushing < FLUSHERS;
            if start {
                state.flushing += 1;
            }
            start
        };
        if start {
            tokio::spawn(self.clone().flush());
        }
    }

    pub async fn send(self: &Arc<Self>, uid: i64, rows: StandardRows, now: Millis) -> SqsResult<usize> {
        let (reply, answer) = oneshot::channel();
        self.submit(Work::Send { uid, rows: Box::new(rows), now, reply });
        answer.await.unwrap_or_else(|_| Err(dropped()))
    }

    pub async fn delete(self: &Arc<Self>, uid: i64, seqs: Vec<i64>) -> SqsResult<()> {
        let (reply, answer) = oneshot::channel();
        self.submit(Work::Delete { uid, seqs, reply });
        answer.await.unwrap_or_else(|_| Err(dropped()))
    }

    pub async fn receive(
        self: &Arc<Self>,
        record: Arc<QueueRecord>,
        max: usize,
        visibility_ms: Millis,
        cutoff: i64,
        now: Millis,
    ) -> SqsResult<Vec<MessageRow>> {
        let (reply, answer) = oneshot::channel();
        self.submit(Work::Receive { record, max, visibility_ms, cutoff, now, reply });
        answer.await.unwrap_or_else(|_| Err(dropped()))
    }

    /// Runs what is pending until nothing is.
    async fn flush(self: Arc<Self>) {
        loop {
            let work = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                if state.pending.is_empty() {
                    state.flushing -= 1;
                    return;
                }
                std::mem::take(&mut state.pending)
            };
            run(&self.pool, work).await;
        }
    }
}

fn dropped() -> SqsError {
    SqsError::internal("the request's transaction was abandoned")
}

/// Work grouped into statements: sends and deletes by queue, receives by queue and visibility.
#[derive(Default)]
struct Plan {
    sends: HashMap<i64, SendGroup>,
    deletes: HashMap<i64, DeleteGroup>,
    receives: HashMap<(i64, Millis), ReceiveGroup>,
}

/// The sends of one queue: their rows in one statement; each request's message count.
#[derive(Default)]
struct SendGroup {
    rows: StandardRows,
    now: Millis,
    replies: Vec<(usize, Reply<usize>)>,
}

#[derive(Default)]
struct DeleteGroup {
    seqs: Vec<i64>,
    replies: Vec<Reply<()>>,
}

/// The receives of one queue with one visibility timeout: one statement, its rows handed out in
/// order, each request taking as many as it asked for.
struct ReceiveGroup {
    record: Arc<QueueRecord>,
    cutoff: i64,
    now: Millis,
    takers: Vec<(usize, Reply<Vec<MessageRow>>)>,
}

impl Plan {
    fn of(work: Vec<Work>) -> Plan {
        let mut plan = Plan::default();
        for w in work {
            match w {
                Work::Send { uid, rows, now, reply } => {
                    let count = rows.message_ids.len();
                    let group = plan.sends.entry(uid).or_default();
                    group.rows.append(*rows);
                    group.now = group.now.max(now);
                    group.replies.push((count, reply));
                }
                Work::Delete { uid, mut seqs, reply } => {
                    let group = plan.deletes.entry(uid).or_default();
                    group.seqs.append(&mut seqs);
                    group.replies.push(reply);
                }
                Work::Receive { record, max, visibility_ms, cutoff, now, reply } => {
                    let group = plan.receives.entry((record.uid(), visibility_ms)).or_insert_with(|| ReceiveGroup {
                        record: record.clone(),
                        cutoff,
                        now,
                        takers: Vec::new(),
                    });
                    // The latest clock reading of the group is the closest to the real time.
                    group.now = group.now.max(now);
                    group.cutoff = group.cutoff.max(cutoff);
                    group.takers.push((max, reply));
                }
            }
        }
        plan
    }

    fn statements(&self) -> usize {
        self.sends.len() + self.deletes.len() + self.receives.len()
    }
}

/// What the statements of a plan returned.
enum Outcome {
    Sent(i64, usize),
    Deleted(i64),
    Received((i64, Millis), Vec<MessageRow>),
}

async fn run(pool: &Pool, work: Vec<Work>) {
    let plan = Plan::of(work);
    let outcomes = execute(pool, &plan).await;
    answer(plan, outcomes);
}

async fn execute(pool: &Pool, plan: &Plan) -> SqsResult<Vec<Outcome>> {
    let client = client(pool).await?;
    // Prepared first, so that every statement below is sent the moment it is first polled.
    let texts = [
        (!plan.sends.is_empty(), sql::messages::INSERT_STANDARD),
        (!plan.deletes.is_empty(), sql::messages::DELETE),
        (!plan.receives.is_empty(), sql::messages::RECEIVE_STANDARD),
    ];
    for (_, text) in texts.iter().filter(|(used, _)| *used) {
        client.prepare_cached(text).await.map_err(pg_error)?;
    }
    if plan.statements() == 1 {
        return statements(&client, plan).await;
    }
    // BEGIN, the statements and COMMIT go out together (one round trip and the commit's flush):
    // the connection sends them in the order they are first polled. A statement that fails
    // aborts the transaction, and the COMMIT after it then rolls back: nothing of it is kept.
    let (begun, outcomes, committed) =
        tokio::join!(client.batch_execute("BEGIN"), statements(&client, plan), client.batch_execute("COMMIT"));
    begun.map_err(pg_error)?;
    let outcomes = outcomes?;
    committed.map_err(pg_error)?;
    Ok(outcomes)
}

/// Runs every statement of the plan, pipelined on one connection.
async fn statements(client: &impl GenericClient, plan: &Plan) -> SqsResult<Vec<Outcome>> {
    let mut calls: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = SqsResult<Outcome>> + Send + '_>>> =
        Vec::new();
    for (uid, group) in &plan.sends {
        calls.push(Box::pin(async move {
            Ok(Outcome::Sent(*uid, group.rows.insert(client, *uid, group.now).await?.len()))
        }));
    }
    for (uid, group) in &plan.deletes {
        calls.push(Box::pin(async move {
            super::messages::execute(client, sql::messages::DELETE, &[uid, &group.seqs]).await?;
            Ok(Outcome::Deleted(*uid))
        }));
    }
    for (key, group) in &plan.receives {
        calls.push(Box::pin(async move {
            let limit: i64 = group.takers.iter().map(|(max, _)| *max as i64).sum();
            let (now, deadline) = (ms(group.now), ms(group.now.saturating_add(key.1)));
            let params: [&(dyn ToSql + Sync); 5] = [&key.0, &limit, &group.cutoff, &now, &deadline];
            let rows = super::messages::query(client, sql::messages::RECEIVE_STANDARD, &params).await?;
            let mut messages = received(&rows, &group.record)?;
            messages.sort_by_key(|m| (m.rank, m.seq));
            Ok(Outcome::Received(*key, messages))
        }));
    }
    futures_util::future::try_join_all(calls).await
}

fn answer(plan: Plan, outcomes: SqsResult<Vec<Outcome>>) {
    let Plan { mut sends, mut deletes, mut receives } = plan;
    let outcomes = match outcomes {
        Ok(outcomes) => outcomes,
        Err(e) => {
            for (_, group) in sends {
                group.replies.into_iter().for_each(|(_, r)| drop(r.send(Err(e.clone()))));
            }
            for (_, group) in deletes {
                group.replies.into_iter().for_each(|r| drop(r.send(Err(e.clone()))));
            }
            for (_, group) in receives {
                group.takers.into_iter().for_each(|(_, r)| drop(r.send(Err(e.clone()))));
            }
            return;
        }
    };
    for outcome in outcomes {
        match outcome {
            Outcome::Sent(uid, stored) => {
                let Some(group) = sends.remove(&uid) else { continue };
                // All of a queue's messages were stored, or none (it was gone).
                let all = stored == group.rows.message_ids.len();
                for (count, reply) in group.replies {
                    let _ = reply.send(Ok(if all { count } else { 0 }));
                }
            }
            Outcome::Deleted(uid) => {
                for reply in deletes.remove(&uid).map(|g| g.replies).unwrap_or_default() {
                    let _ = reply.send(Ok(()));
                }
            }
            Outcome::Received(key, messages) => {
                let Some(group) = receives.remove(&key) else { continue };
                let mut messages = messages.into_iter();
                for (max, reply) in group.takers {
                    let _ = reply.send(Ok(messages.by_ref().take(max).collect()));
                }
            }
        }
    }
}
