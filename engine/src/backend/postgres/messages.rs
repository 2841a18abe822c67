//! The message operations: send, receive (with dead-letter moves), delete, visibility changes,
//! counts, peek. FIFO specifics (groups, deduplication, attempt retries) are in [`super::fifo`].

use std::collections::HashMap;
use std::sync::Arc;

use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::types::ToSql;

use super::rows::{self, int, uint, QueueRecord};
use super::{client, fifo, ms, pg_error, retention_cutoff, sql, Db};
use crate::backend::codec::encode_attributes;
use crate::clock::Millis;
use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::limits::secs;
use crate::message::{Grouping, NewMessage, PeekPage, PeekedMessage, ReceiveBatch, ReceiveRequest, SendOutcome};
use crate::queue::QueueCounts;
use crate::types::QueueId;

/// Message states as stored.
pub const AVAILABLE: i16 = 0;
pub const DELAYED: i16 = 1;
pub const IN_FLIGHT: i16 = 2;

/// Runs a prepared statement on any client or transaction.
pub(crate) async fn query(
    client: &impl GenericClient,
    text: &str,
    params: &[&(dyn ToSql + Sync)],
) -> SqsResult<Vec<tokio_postgres::Row>> {
    let statement = client.prepare_cached(text).await.map_err(pg_error)?;
    client.query(&statement, params).await.map_err(pg_error)
}

pub(crate) async fn execute(client: &impl GenericClient, text: &str, params: &[&(dyn ToSql + Sync)]) -> SqsResult<u64> {
    let statement = client.prepare_cached(text).await.map_err(pg_error)?;
    client.execute(&statement, params).await.map_err(pg_error)
}

// ---------------------------------------------------------------------------------------- send

pub async fn send(
    db: &Db,
    id: &QueueId,
    messages: Vec<NewMessage>,
    in_batch: bool,
    now: Millis,
) -> SqsResult<Vec<SqsResult<SendOutcome>>> {
    let record = db.queues.get(&db.pool, id).await?;
    let config = record.info.config();
    crate::rules::check_dedup_ids(&messages, config)?;
    let mut outcomes = Vec::with_capacity(messages.len());
    let mut valid = Vec::with_capacity(messages.len());
    for message in messages {
        match crate::rules::check_size(message.size, config, in_batch) {
            Ok(()) => {
                outcomes.push(None);
                valid.push(message);
            }
            Err(e) => outcomes.push(Some(Err(e))),
        }
    }
    let (sent, any_available) = if config.fifo.is_some() {
        fifo::send(db, &record, valid, now).await?
    } else {
        send_standard(db, &record, valid, now).await?
    };
    if any_available {
        db.signals.messages_changed(id);
    }
    let mut sent = sent.into_iter();
    Ok(outcomes.into_iter().map(|o| o.unwrap_or_else(|| sent.next().unwrap_or_else(|| Err(lost())))).collect())
}

fn lost() -> SqsError {
    SqsError::internal("a message of the request was not answered")
}

/// The columns of messages to insert into a standard queue, as the arrays `INSERT_STANDARD` takes.
#[derive(Default)]
pub(crate) struct StandardRows {
    pub message_ids: Vec<uuid::Uuid>,
    pub bodies: Vec<String>,
    pub attributes: Vec<Option<Vec<u8>>>,
    pub groups: Vec<Option<String>>,
    pub ranks: Vec<i64>,
    pub states: Vec<i16>,
    pub visible_at: Vec<i64>,
    pub enqueued_at: Vec<i64>,
    pub receive_counts: Vec<i32>,
    pub first_received_at: Vec<i64>,
    pub sent_at: Vec<i64>,
    pub dedup_ids: Vec<Option<String>>,
    pub trace_headers: Vec<Option<String>>,
    pub dead_letter_sources: Vec<Option<String>>,
}

impl StandardRows {
    /// Adds `other`'s rows after these.
    pub fn append(&mut self, mut other: StandardRows) {
        self.message_ids.append(&mut other.message_ids);
        self.bodies.append(&mut other.bodies);
        self.attributes.append(&mut other.attributes);
        self.groups.append(&mut other.groups);
        self.ranks.append(&mut other.ranks);
        self.states.append(&mut other.states);
        self.visible_at.append(&mut other.visible_at);
        self.enqueued_at.append(&mut other.enqueued_at);
        self.receive_counts.append(&mut other.receive_counts);
        self.first_received_at.append(&mut other.first_received_at);
        self.sent_at.append(&mut other.sent_at);
        self.dedup_ids.append(&mut other.dedup_ids);
        self.trace_headers.append(&mut other.trace_headers);
        self.dead_letter_sources.append(&mut other.dead_letter_sources);
    }

    /// Inserts the rows; the seqs given, in order. None come back when the queue is gone.
    pub async fn insert(&self, client: &impl GenericClient, uid: i64, now: Millis) -> SqsResult<Vec<i64>> {
        let now = ms(now);
        let params: [&(dyn ToSql + Sync); 16] = [
            &uid,
            &now,
            &self.message_ids,
            &self.bodies,
            &self.attributes,
            &self.groups,
            &self.ranks,
            &self.states,
            &self.visible_at,
            &self.enqueued_at,
            &self.receive_counts,
            &self.first_received_at,
            &self.sent_at,
            &self.dedup_ids,
            &self.trace_headers,
            &self.dead_letter_sources,
        ];
        let inserted = query(client, sql::messages::INSERT_STANDARD, &params).await?;
        Ok(inserted.iter().map(|r| r.get(0)).collect())
    }
}

/// The fair-queue ranks of new messages of a standard queue (one per message, in order).
async fn take_ranks(
    client: &impl GenericClient,
    uid: i64,
    groups: &[Option<String>],
    now: Millis,
) -> SqsResult<Vec<i64>> {
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for group in groups.iter().flatten() {
        *counts.entry(group).or_default() += 1;
    }
    if counts.is_empty() {
        return Ok(vec![ms(now); groups.len()]);
    }
    let (names, numbers): (Vec<&str>, Vec<i64>) = counts.iter().map(|(g, n)| (*g, *n)).unzip();
    let taken = query(client, sql::messages::TAKE_RANKS, &[&uid, &ms(now), &names, &numbers]).await?;
    // Each group's first rank: its next rank after this send, less what this send takes.
    let mut next: HashMap<String, i64> = taken
        .iter()
        .map(|r| {
            let group: String = r.get(0);
            let after: i64 = r.get(1);
            let first = after - counts.get(group.as_str()).copied().unwrap_or(0);
            (group, first)
        })
        .collect();
    Ok(groups
        .iter()
        .map(|group| match group.as_ref().and_then(|g| next.get_mut(g)) {
            Some(rank) => {
                *rank += 1;
                *rank - 1
            }
            None => ms(now),
        })
        .collect())
}

async fn send_standard(
    db: &Db,
    record: &QueueRecord,
    messages: Vec<NewMessage>,
    now: Millis,
) -> SqsResult<(Vec<SqsResult<SendOutcome>>, bool)> {
    if messages.is_empty() {
        return Ok((Vec::new(), false));
    }
    let queue_delay = record.info.config().delay_seconds;
    let mut rows = StandardRows::default();
    let mut any_available = false;
    for message in &messages {
        let (group, delay) = match &message.grouping {
            Grouping::Standard { group, delay_seconds } => {
                (group.as_ref().map(|g| g.as_str().to_string()), delay_seconds.unwrap_or(queue_delay))
            }
            Grouping::Fifo { .. } => return Err(SqsError::internal("message grouping does not match the queue type")),
        };
        any_available |= delay == 0;
        rows.message_ids.push(uuid::Uuid::new_v4());
        rows.bodies.push(message.body.to_string());
        rows.attributes.push(encode_attributes(&message.attributes));
        rows.groups.push(group);
        rows.states.push(if delay > 0 { DELAYED } else { AVAILABLE });
        rows.visible_at.push(ms(now + secs(delay)));
        rows.enqueued_at.push(ms(now));
        rows.receive_counts.push(0);
        rows.first_received_at.push(0);
        rows.sent_at.push(ms(now));
        rows.dedup_ids.push(None);
        rows.trace_headers.push(message.trace_header.as_ref().map(|t| t.to_string()));
        rows.dead_letter_sources.push(None);
    }
    let ids = rows.message_ids.clone();
    let stored = if rows.groups.iter().all(Option::is_none) {
        // Shares a transaction with the other requests of the moment (see `batch`).
        rows.ranks = vec![ms(now); ids.len()];
        db.combiner.send(record.uid(), rows, now).await?
    } else {
        let client = client(&db.pool).await?;
        rows.ranks = take_ranks(&client, record.uid(), &rows.groups, now).await?;
        rows.insert(&client, record.uid(), now).await?.len()
    };
    if stored != ids.len() {
        db.queues.forget(&record.info.id);
        return Err(SqsError::queue_does_not_exist());
    }
    let outcomes = ids.iter().map(|id| Ok(SendOutcome { message_id: *id, sequence_number: None })).collect();
    Ok((outcomes, any_available))
}

// ---------------------------------------------------------------------------------------- receive

pub async fn receive(db: &Db, id: &QueueId, request: &ReceiveRequest, now: Millis) -> SqsResult<ReceiveBatch> {
    let record = db.queues.get(&db.pool, id).await?;
    let config = record.info.config();
    let visibility = request.visibility_timeout.unwrap_or(config.visibility_timeout);
    let deadline = now.saturating_add(secs(visibility));
    let dead_letters = dead_letter_target(db, &record).await?;
    let mut batch = if config.fifo.is_some() {
        fifo::receive(db, &record, request, deadline, dead_letters.as_ref(), now).await?
    } else {
        receive_standard(db, &record, request.max_messages, deadline, dead_letters.as_ref(), now).await?
    };
    if batch.messages.is_empty() {
        let client = client(&db.pool).await?;
        let due = query(&client, sql::messages::NEXT_DUE, &[&record.uid(), &ms(now)]).await?;
        batch.next_due = due.first().and_then(|r| r.get::<_, Option<i64>>(0)).map(uint);
    }
    if batch.dead_lettered > 0 {
        if let Some(target) = &dead_letters {
            db.signals.messages_changed(&target.queue.info.id);
        }
    }
    Ok(batch)
}

/// Where a queue's messages go once received maxReceiveCount times: the dead-letter queue (the
/// queue itself when it is its own), or nowhere when it names none or one that does not exist.
pub(crate) struct DeadLetters {
    pub queue: Arc<QueueRecord>,
    pub max_receive_count: u32,
}

async fn dead_letter_target(db: &Db, record: &Arc<QueueRecord>) -> SqsResult<Option<DeadLetters>> {
    let Some(policy) = &record.info.config().redrive_policy else { return Ok(None) };
    let queue = if policy.dead_letter_queue == record.info.id {
        record.clone()
    } else {
        match db.queues.get(&db.pool, &policy.dead_letter_queue).await {
            Ok(queue) => queue,
            Err(e) if e.code == ErrorCode::QueueDoesNotExist => return Ok(None),
            Err(e) => return Err(e),
        }
    };
    Ok(Some(DeadLetters { queue, max_receive_count: policy.max_receive_count }))
}

/// Received rows as messages, in serving order.
pub(crate) fn received(rows: &[tokio_postgres::Row], record: &QueueRecord) -> SqsResult<Vec<rows::MessageRow>> {
    rows.iter().map(|row| rows::message(row, &record.ident)).collect()
}

async fn receive_standard(
    db: &Db,
    record: &Arc<QueueRecord>,
    max_messages: usize,
    deadline: Millis,
    dead_letters: Option<&DeadLetters>,
    now: Millis,
) -> SqsResult<ReceiveBatch> {
    let uid = record.uid();
    let cutoff = retention_cutoff(now, record.info.config().retention_seconds);
    let limit = max_messages as i64;
    let (now_ms, deadline_ms) = (ms(now), ms(deadline));
    let mut batch = ReceiveBatch::default();
    let Some(dead_letters) = dead_letters else {
        // Shares a statement with the other receives of the moment (see `batch`).
        let visibility_ms = deadline.saturating_sub(now);
        let messages = db.combiner.receive(record.clone(), max_messages, visibility_ms, cutoff, now).await?;
        batch.messages = messages.into_iter().map(|m| m.message).collect();
        return Ok(batch);
    };
    let mut client = client(&db.pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let params: [&(dyn ToSql + Sync); 4] = [&uid, &limit, &cutoff, &now_ms];
    let candidates = query(&tx, sql::messages::CANDIDATES_STANDARD, &params).await?;
    let max = dead_letters.max_receive_count as i32;
    let (dead, deliver): (Vec<_>, Vec<_>) = candidates.iter().partition(|r| r.get::<_, i32>(1) >= max);
    let dead: Vec<i64> = dead.iter().map(|r| r.get(0)).collect();
    let deliver: Vec<i64> = deliver.iter().map(|r| r.get(0)).collect();
    if !dead.is_empty() {
        batch.dead_lettered = move_messages(&tx, record, &dead_letters.queue, &dead, Move::DeadLetter, now).await?;
    }
    if !deliver.is_empty() {
        let rows = query(&tx, sql::messages::MARK_RECEIVED, &[&uid, &deliver, &now_ms, &deadline_ms]).await?;
        let order: HashMap<i64, usize> = deliver.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        let mut messages = received(&rows, record)?;
        messages.sort_by_key(|m| order.get(&m.seq).copied());
        batch.messages = messages.into_iter().map(|m| m.message).collect();
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(batch)
}

/// Why messages move from one queue to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Move {
    /// They reached maxReceiveCount: they keep their receive count and (on a standard queue)
    /// their enqueue time, and name the queue they came from.
    DeadLetter,
    /// A message move task: they arrive as new messages of the destination (received 0 times,
    /// retention counted from now), keeping id, body, attributes and group.
    Task,
}

/// Moves messages `seqs` (locked by this transaction) out of `source` into `destination`, each
/// available at once; returns how many moved.
pub(crate) async fn move_messages(
    tx: &Transaction<'_>,
    source: &QueueRecord,
    destination: &QueueRecord,
    seqs: &[i64],
    why: Move,
    now: Millis,
) -> SqsResult<u64> {
    let taken = query(tx, sql::messages::TAKE, &[&source.uid(), &seqs]).await?;
    let dead_letter_source = (why == Move::DeadLetter).then(|| source.ident.arn.to_string());
    let to_fifo = destination.info.is_fifo();
    let restarts = why == Move::Task || to_fifo;
    let mut rows = StandardRows::default();
    for row in &taken {
        let enqueued_at: i64 = row.get(2);
        let (receive_count, first_received_at): (i32, i64) =
            if why == Move::Task { (0, 0) } else { (row.get(3), row.get(4)) };
        rows.groups.push(row.get(1));
        rows.enqueued_at.push(if restarts { ms(now) } else { enqueued_at });
        rows.receive_counts.push(receive_count);
        rows.first_received_at.push(first_received_at);
        rows.message_ids.push(row.get(5));
        rows.bodies.push(row.get(6));
        rows.attributes.push(row.get(7));
        rows.sent_at.push(row.get(8));
        rows.dedup_ids.push(row.get(9));
        rows.trace_headers.push(row.get(10));
        rows.dead_letter_sources.push(dead_letter_source.clone());
        rows.states.push(AVAILABLE);
        rows.visible_at.push(ms(now));
        rows.ranks.push(ms(now));
    }
    if to_fifo {
        fifo::enqueue_moved(tx, destination, &rows, now).await?;
    } else {
        rows.insert(tx, destination.uid(), now).await?;
    }
    Ok(taken.len() as u64)
}

// ---------------------------------------------------------------------------------------- handles

/// A receipt handle of this queue (see [`crate::rules::receipt`]): its seq and nonce.
pub(crate) fn resolve(record: &QueueRecord, handle: &str) -> SqsResult<(i64, i32)> {
    let receipt = crate::rules::receipt(handle, record.ident.uid)?;
    Ok((int(receipt.seq), receipt.nonce as i32))
}

/// A message's state as a handle finds it.
pub(crate) struct Found {
    pub state: i16,
    pub visible_at: i64,
    pub nonce: i32,
    pub received_at: i64,
    pub group: Option<String>,
}

impl Found {
    /// FIFO queues accept only the handle of the most recent receive, while the message is in
    /// flight from it (see [`crate::rules::receipt`]).
    fn expired_for_fifo(&self, nonce: i32, now: Millis) -> bool {
        !(self.nonce == nonce && self.state == IN_FLIGHT && self.visible_at > ms(now))
    }
}

/// Locks the messages `seqs` (and, on FIFO queues, their groups first) and reads their states.
async fn lock_states(tx: &Transaction<'_>, record: &QueueRecord, seqs: &[i64]) -> SqsResult<HashMap<i64, Found>> {
    if record.info.is_fifo() {
        query(tx, sql::fifo::LOCK_GROUPS_OF, &[&record.uid(), &seqs]).await?;
    }
    let rows = query(tx, sql::messages::LOCK_STATES, &[&record.uid(), &seqs]).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let found = Found {
                state: r.get(1),
                visible_at: r.get(2),
                nonce: r.get(3),
                received_at: r.get(4),
                group: r.get(5),
            };
            (r.get(0), found)
        })
        .collect())
}

pub async fn delete(db: &Db, id: &QueueId, handles: &[String], now: Millis) -> SqsResult<Vec<SqsResult<()>>> {
    let record = db.queues.get(&db.pool, id).await?;
    let resolved: Vec<SqsResult<(i64, i32)>> = handles.iter().map(|h| resolve(&record, h)).collect();
    let seqs: Vec<i64> = resolved.iter().filter_map(|r| r.as_ref().ok().map(|(seq, _)| *seq)).collect();
    if !record.info.is_fifo() {
        // Standard queues: any handle of a message still there deletes it; a gone one is no error.
        if !seqs.is_empty() {
            db.combiner.delete(record.uid(), seqs).await?;
        }
        return Ok(resolved.into_iter().map(|r| r.map(|_| ())).collect());
    }
    let mut client = client(&db.pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let found = lock_states(&tx, &record, &seqs).await?;
    let mut doomed = Vec::new();
    let mut groups = Vec::new();
    let outcomes: Vec<SqsResult<()>> = handles
        .iter()
        .zip(resolved)
        .map(|(handle, resolved)| {
            let (seq, nonce) = resolved?;
            match found.get(&seq) {
                None => Ok(()),
                Some(f) if f.expired_for_fifo(nonce, now) => Err(crate::rules::handle_expired(handle)),
                Some(f) => {
                    doomed.push(seq);
                    groups.extend(f.group.clone());
                    Ok(())
                }
            }
        })
        .collect();
    if !doomed.is_empty() {
        execute(&tx, sql::messages::DELETE, &[&record.uid(), &doomed]).await?;
        fifo::refresh_groups(&tx, &record, &groups).await?;
    }
    tx.commit().await.map_err(pg_error)?;
    if !doomed.is_empty() {
        // Deleting a group's head may make the group ready.
        db.signals.messages_changed(id);
    }
    Ok(outcomes)
}

pub async fn change_visibility(
    db: &Db,
    id: &QueueId,
    changes: &[(String, u32)],
    now: Millis,
) -> SqsResult<Vec<SqsResult<()>>> {
    let record = db.queues.get(&db.pool, id).await?;
    let fifo = record.info.is_fifo();
    let resolved: Vec<SqsResult<(i64, i32)>> = changes.iter().map(|(h, _)| resolve(&record, h)).collect();
    let seqs: Vec<i64> = resolved.iter().filter_map(|r| r.as_ref().ok().map(|(seq, _)| *seq)).collect();
    let mut client = client(&db.pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let found = if seqs.is_empty() { HashMap::new() } else { lock_states(&tx, &record, &seqs).await? };
    let (mut set_seqs, mut set_states, mut set_times, mut groups) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let outcomes: Vec<SqsResult<()>> = changes
        .iter()
        .zip(resolved)
        .map(|((handle, timeout), resolved)| {
            let (seq, nonce) = resolved?;
            let Some(f) = found.get(&seq) else { return Err(crate::rules::message_gone(handle)) };
            if fifo && f.expired_for_fifo(nonce, now) {
                return Err(crate::rules::handle_expired(handle));
            }
            crate::rules::check_total_visibility(uint(f.received_at), *timeout, now)?;
            set_seqs.push(seq);
            set_states.push(if *timeout == 0 { AVAILABLE } else { IN_FLIGHT });
            set_times.push(ms(now + secs(*timeout)));
            groups.extend(f.group.clone());
            Ok(())
        })
        .collect();
    if !set_seqs.is_empty() {
        execute(&tx, sql::messages::SET_VISIBILITY, &[&record.uid(), &set_seqs, &set_states, &set_times]).await?;
        if fifo {
            fifo::refresh_groups(&tx, &record, &groups).await?;
        }
    }
    tx.commit().await.map_err(pg_error)?;
    if set_states.contains(&AVAILABLE) {
        db.signals.messages_changed(id);
    }
    Ok(outcomes)
}

// ---------------------------------------------------------------------------------------- inspection

pub async fn counts(db: &Db, id: &QueueId, now: Millis) -> SqsResult<QueueCounts> {
    let record = db.queues.get(&db.pool, id).await?;
    let client = client(&db.pool).await?;
    let cutoff = retention_cutoff(now, record.info.config().retention_seconds);
    let rows = query(&client, sql::messages::COUNTS, &[&record.uid(), &cutoff, &ms(now)]).await?;
    let row = rows.first().ok_or_else(|| SqsError::internal("no counts"))?;
    Ok(QueueCounts {
        available: uint(row.get(0)),
        in_flight: uint(row.get(1)),
        delayed: uint(row.get(2)),
        oldest_enqueued_at: row.get::<_, Option<i64>>(3).map(uint),
    })
}

pub async fn peek(db: &Db, id: &QueueId, after: Option<u64>, limit: usize, now: Millis) -> SqsResult<PeekPage> {
    let record = db.queues.get(&db.pool, id).await?;
    let client = client(&db.pool).await?;
    let cutoff = retention_cutoff(now, record.info.config().retention_seconds);
    let after = after.map_or(i64::MIN, int);
    let rows = query(&client, sql::messages::PEEK, &[&record.uid(), &after, &cutoff, &(limit as i64 + 1)]).await?;
    let mut page = PeekPage::default();
    for row in &rows {
        let found = rows::message(row, &record.ident)?;
        if page.messages.len() == limit {
            page.next = page.messages.last().map(|m: &PeekedMessage| m.position);
            break;
        }
        let (state, visible_at) = found.peek_state(now);
        let mut message = found.message;
        message.receipt_handle = String::new();
        page.messages.push(PeekedMessage { message, position: uint(found.seq), state, visible_at });
    }
    Ok(page)
}

pub async fn delete_at(db: &Db, id: &QueueId, position: u64, message_id: uuid::Uuid, now: Millis) -> SqsResult<bool> {
    let record = db.queues.get(&db.pool, id).await?;
    let seqs = vec![int(position)];
    let mut client = client(&db.pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let found = lock_states(&tx, &record, &seqs).await?;
    let Some(f) = found.get(&seqs[0]) else { return Ok(false) };
    let rows = query(&tx, sql::messages::BY_SEQS, &[&record.uid(), &seqs]).await?;
    let cutoff = retention_cutoff(now, record.info.config().retention_seconds);
    let matches = rows.first().is_some_and(|r| r.get::<_, uuid::Uuid>(10) == message_id && r.get::<_, i64>(5) > cutoff);
    if !matches {
        return Ok(false);
    }
    execute(&tx, sql::messages::DELETE, &[&record.uid(), &seqs]).await?;
    if record.info.is_fifo() {
        fifo::refresh_groups(&tx, &record, &f.group.iter().cloned().collect::<Vec<_>>()).await?;
    }
    tx.commit().await.map_err(pg_error)?;
    db.signals.messages_changed(id);
    Ok(true)
}
