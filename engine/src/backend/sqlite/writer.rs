//! Group commit: one thread owns the database connection and writes the changes of every request
//! that arrived while the previous transaction committed, in one transaction, then answers all of
//! them. With full durability (the default) a request is answered after its transaction is
//! fsync'd; with a sync interval it is answered at once and commits happen every interval.
//!
//! A transaction that fails (a full disk) is rolled back and its requests answered `InternalError`
//! (the outcome AWS leaves open with a 500: the client retries). Every change carries the whole
//! row it is about, so the next change to that queue or message writes it in full, and a delete
//! is written even for a message already gone from memory: what was acknowledged is on disk, and
//! the server serves again once space returns.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, Transaction};
use tokio::sync::oneshot;

use crate::backend::codec::{encode_attributes, encode_state, int, scope_name, throughput_name};
use crate::backend::memory::journal::{Change, Durable, Journal};
use crate::backend::memory::message::Message;
use crate::clock::Millis;
use crate::error::{SqsError, SqsResult};
use crate::queue::QueueInfo;

/// One request's changes.
struct Job {
    changes: Vec<Change>,
    now: Millis,
    /// Answered once the changes are durable; `None` when the request did not wait.
    done: Option<oneshot::Sender<SqsResult<()>>>,
}

/// The journal handle the backend records into.
pub struct SqliteJournal {
    /// `None` once closing.
    jobs: Option<Sender<Job>>,
    /// `None`: answer after commit; `Some`: answer at once, commit every interval.
    sync_interval: Option<Duration>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for SqliteJournal {
    /// Writes what is queued, then lets the data directory go.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl Journal for SqliteJournal {
    fn record(&self, changes: Vec<Change>, now: Millis) -> Durable {
        let Some(jobs) = &self.jobs else {
            return Box::pin(std::future::ready(Err(SqsError::internal("the database writer has stopped"))));
        };
        if self.sync_interval.is_some() {
            let _ = jobs.send(Job { changes, now, done: None });
            return Box::pin(std::future::ready(Ok(())));
        }
        let (done, answer) = oneshot::channel();
        if jobs.send(Job { changes, now, done: Some(done) }).is_err() {
            return Box::pin(std::future::ready(Err(SqsError::internal("the database writer has stopped"))));
        }
        Box::pin(
            async move { answer.await.unwrap_or_else(|_| Err(SqsError::internal("the database writer has stopped"))) },
        )
    }
}

/// Starts the writer thread over `conn`; it holds the data directory's `lock` while it runs.
pub fn start(conn: Connection, sync_interval: Option<Duration>, lock: std::fs::File) -> SqliteJournal {
    let (jobs, queue) = mpsc::channel();
    let writer = std::thread::Builder::new()
        .name("sqs-local-db".into())
        .spawn(move || {
            let _lock = lock;
            Writer { conn, last_cleanup: 0 }.run(queue, sync_interval)
        })
        .expect("a thread for the database writer");
    SqliteJournal { jobs: Some(jobs), sync_interval, writer: Some(writer) }
}

/// Most changes one transaction takes (a bound on how long a request waits behind others).
const MAX_CHANGES_PER_COMMIT: usize = 50_000;

/// How often expired deduplication entries are deleted, in engine milliseconds.
const DEDUP_CLEANUP_EVERY: Millis = 60_000;

struct Writer {
    conn: Connection,
    last_cleanup: Millis,
}

impl Writer {
    fn run(mut self, queue: Receiver<Job>, sync_interval: Option<Duration>) {
        loop {
            let first = match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            };
            let mut jobs = vec![first];
            let mut count = jobs[0].changes.len();
            if let Some(interval) = sync_interval {
                // Gather for one interval: what is lost in a crash is at most this window.
                let until = Instant::now() + interval;
                while count < MAX_CHANGES_PER_COMMIT {
                    let left = until.saturating_duration_since(Instant::now());
                    match queue.recv_timeout(left) {
                        Ok(job) => {
                            count += job.changes.len();
                            jobs.push(job);
                        }
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            }
            while count < MAX_CHANGES_PER_COMMIT {
                match queue.try_recv() {
                    Ok(job) => {
                        count += job.changes.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.commit(jobs);
        }
    }

    fn commit(&mut self, jobs: Vec<Job>) {
        let now = jobs.iter().map(|j| j.now).max().unwrap_or(0);
        let mut changes = Vec::new();
        let mut waiting = Vec::with_capacity(jobs.len());
        for job in jobs {
            changes.extend(job.changes);
            waiting.extend(job.done);
        }
        let outcome = self.write(&changes, now);
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "could not write to the database; the requests of this commit fail");
        }
        // AWS's text for an internal error; the database's own words go to the log only.
        let answer = outcome.map_err(|_| SqsError::internal("We encountered an internal error. Please try again."));
        for done in waiting {
            let _ = done.send(answer.clone());
        }
    }

    fn write(&mut self, changes: &[Change], now: Millis) -> rusqlite::Result<()> {
        let cleanup = now >= self.last_cleanup + DEDUP_CLEANUP_EVERY;
        let tx = self.conn.transaction()?;
        apply(&tx, changes)?;
        if cleanup {
            tx.execute("DELETE FROM dedup WHERE expires_at <= ?1", [int(now)])?;
        }
        tx.commit()?;
        if cleanup {
            self.last_cleanup = now;
        }
        Ok(())
    }
}

/// Writes changes: every change but messages' in order, then each message once, as it ended up
/// (a message sent and deleted within one transaction is only deleted).
fn apply(tx: &Transaction<'_>, changes: &[Change]) -> rusqlite::Result<()> {
    let mut messages: HashMap<u64, Option<(u64, &Message)>> = HashMap::new();
    let mut order = Vec::new();
    for change in changes {
        match change {
            Change::Message { uid, seq, message } => {
                if messages.insert(*seq, Some((*uid, message))).is_none() {
                    order.push(*seq);
                }
            }
            Change::MessageDeleted { seq } => {
                if messages.insert(*seq, None).is_none() {
                    order.push(*seq);
                }
            }
            Change::Queue { uid, sequence_salt, info, last_purge_at } => {
                write_queue(tx, *uid, *sequence_salt, info, *last_purge_at)?
            }
            Change::QueueDeleted { uid, id, at } => {
                tx.prepare_cached("DELETE FROM queues WHERE uid = ?1")?.execute([int(*uid)])?;
                tx.prepare_cached("DELETE FROM tags WHERE queue_uid = ?1")?.execute([int(*uid)])?;
                tx.prepare_cached("DELETE FROM dedup WHERE queue_uid = ?1")?.execute([int(*uid)])?;
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO deleted_queues (account, region, name, deleted_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    id.namespace.account.as_str(),
                    id.namespace.region.as_str(),
                    id.name(),
                    int(*at)
                ])?;
            }
            Change::Dedup { uid, key, outcome, expires_at } => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO dedup (queue_uid, key, message_id, sequence_number, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    int(*uid),
                    key.as_ref(),
                    &outcome.message_id.as_bytes()[..],
                    outcome.sequence_number.map(|n| n.to_string()),
                    int(*expires_at)
                ])?;
            }
            Change::DedupCleared { uid } => {
                tx.prepare_cached("DELETE FROM dedup WHERE queue_uid = ?1")?.execute([int(*uid)])?;
            }
            Change::ClockOffset(offset) => {
                tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('clock_offset_ms', ?1)")?
                    .execute([offset.to_string()])?;
            }
            Change::Reset => {
                // Message writes recorded before the reset are of messages it removed.
                messages.clear();
                order.clear();
                tx.execute_batch(
                    "DELETE FROM messages; DELETE FROM dedup; DELETE FROM tags; DELETE FROM queues; \
                     DELETE FROM deleted_queues; DELETE FROM move_tasks;",
                )?;
            }
            Change::Task(task) => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO move_tasks (task_id, source_arn, destination_arn, max_per_second, status, moved, to_move, failure_reason, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    task.task_id,
                    task.source.arn(),
                    task.destination.as_ref().map(|d| d.arn()),
                    task.max_per_second,
                    task.status.as_str(),
                    int(task.moved),
                    int(task.to_move),
                    task.failure_reason,
                    int(task.started_at)
                ])?;
            }
        }
    }
    // The high-water mark of seqs, so that a restart never hands out a seq again (receipt handles
    // name messages by seq) even when the newest messages were deleted.
    if let Some(highest) = order.iter().max() {
        tx.prepare_cached(
            "INSERT INTO meta (key, value) VALUES ('next_seq', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)",
        )?
        .execute([(highest + 1).to_string()])?;
    }
    // Deletes first: the pages they free take the new rows when the disk is tight.
    for seq in &order {
        if let Some(None) = messages.get(seq) {
            tx.prepare_cached("DELETE FROM messages WHERE seq = ?1")?.execute([int(*seq)])?;
        }
    }
    for seq in order {
        if let Some(Some((uid, message))) = messages.get(&seq) {
            write_message(tx, *uid, seq, message)?;
        }
    }
    Ok(())
}

fn write_message(tx: &Transaction<'_>, uid: u64, seq: u64, m: &Message) -> rusqlite::Result<()> {
    let (state, until) = encode_state(m.state);
    tx.prepare_cached(
        "INSERT OR REPLACE INTO messages (seq, queue_uid, message_id, body, attributes, group_id, deduplication_id, aws_trace_header, dead_letter_queue_source_arn, sent_at, enqueued_at, first_received_at, receive_count, nonce, state, state_until, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        int(seq),
        int(uid),
        &m.id.as_bytes()[..],
        m.body.as_ref(),
        encode_attributes(&m.attributes),
        m.group_id.as_deref(),
        m.dedup_id().map(|d| d.as_ref()),
        m.trace_header().map(|t| t.as_ref()),
        m.dead_letter_source_arn().map(|a| a.as_ref()),
        int(m.sent_at),
        int(m.enqueued_at),
        int(m.first_received_at),
        m.receive_count,
        m.nonce,
        state,
        until,
        int(m.received_at)
    ])?;
    Ok(())
}

fn write_queue(
    tx: &Transaction<'_>,
    uid: u64,
    sequence_salt: u64,
    info: &QueueInfo,
    last_purge_at: Option<Millis>,
) -> rusqlite::Result<()> {
    let c = info.config();
    let fifo = c.fifo.as_ref();
    let id = &info.id;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO queues (uid, account, region, name, sequence_salt, created_at, last_modified_at, version, last_purge_at, delay_seconds, maximum_message_size, message_retention_period, receive_message_wait_time_seconds, visibility_timeout, policy, redrive_dead_letter_target_arn, redrive_max_receive_count, redrive_allow_policy, kms_master_key_id, kms_data_key_reuse_period_seconds, sqs_managed_sse_enabled, fifo_queue, content_based_deduplication, deduplication_scope, fifo_throughput_limit, scope_change_previous, scope_change_effective_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
    )?
    .execute(params![
        int(uid),
        id.namespace.account.as_str(),
        id.namespace.region.as_str(),
        id.name(),
        int(sequence_salt),
        int(info.created_at),
        int(info.last_modified_at),
        int(info.version),
        last_purge_at.map(int),
        c.delay_seconds,
        c.maximum_message_size,
        c.retention_seconds,
        c.receive_wait_seconds,
        c.visibility_timeout,
        c.policy,
        c.redrive_policy.as_ref().map(|p| p.dead_letter_target_arn.as_str()),
        c.redrive_policy.as_ref().map(|p| p.max_receive_count),
        c.redrive_allow_policy,
        c.kms_master_key_id,
        c.kms_data_key_reuse_seconds,
        c.sqs_managed_sse,
        fifo.is_some(),
        fifo.map(|f| f.content_based_dedup),
        fifo.map(|f| scope_name(f.dedup_scope)),
        fifo.map(|f| throughput_name(f.throughput_limit)),
        fifo.and_then(|f| f.scope_change).map(|s| scope_name(s.previous)),
        fifo.and_then(|f| f.scope_change).map(|s| int(s.effective_at)),
    ])?;
    tx.prepare_cached("DELETE FROM tags WHERE queue_uid = ?1")?.execute([int(uid)])?;
    let mut insert = tx.prepare_cached("INSERT INTO tags (queue_uid, key, value) VALUES (?1, ?2, ?3)")?;
    for (key, value) in &info.settings.tags {
        insert.execute(params![int(uid), key, value])?;
    }
    Ok(())
}
