//! FIFO queues: sends through the deduplication window into their group, receives that own whole
//! groups (a group row locked `FOR UPDATE SKIP LOCKED`, its messages walked from the head), and
//! ReceiveRequestAttemptId retries. The invariant on `fifo_groups.ready_at` is stated in
//! [`sql::fifo`].

use std::collections::HashMap;

use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::types::ToSql;

use super::messages::{
    execute, move_messages, query, received, DeadLetters, Move, StandardRows, AVAILABLE, DELAYED, IN_FLIGHT,
};
use super::rows::{uint, QueueRecord};
use super::{client, ms, pg_error, retention_cutoff, sql, Db};
use crate::backend::codec::encode_attributes;
use crate::backend::memory::queue::dedup_key;
use crate::clock::Millis;
use crate::error::{SqsError, SqsResult};
use crate::limits::{self, secs};
use crate::message::{Grouping, NewMessage, ReceiveBatch, ReceiveRequest, ReceivedMessage, SendOutcome};

/// Sends FIFO messages in order: each one statement (see [`sql::fifo::SEND`]); a batch shares
/// one transaction. Returns the outcomes and whether any message is available at once.
pub async fn send(
    db: &Db,
    record: &QueueRecord,
    messages: Vec<NewMessage>,
    now: Millis,
) -> SqsResult<(Vec<SqsResult<SendOutcome>>, bool)> {
    if messages.is_empty() {
        return Ok((Vec::new(), false));
    }
    let mut client = client(&db.pool).await?;
    let outcomes = if messages.len() == 1 {
        send_each(&client, record, messages, now).await?
    } else {
        let tx = client.transaction().await.map_err(pg_error)?;
        let outcomes = send_each(&tx, record, messages, now).await?;
        tx.commit().await.map_err(pg_error)?;
        outcomes
    };
    let any_available = record.info.config().delay_seconds == 0 && outcomes.iter().any(|o| o.is_ok());
    Ok((outcomes, any_available))
}

async fn send_each(
    client: &impl GenericClient,
    record: &QueueRecord,
    messages: Vec<NewMessage>,
    now: Millis,
) -> SqsResult<Vec<SqsResult<SendOutcome>>> {
    let mut outcomes = Vec::with_capacity(messages.len());
    for message in messages {
        outcomes.push(send_one(client, record, message, now).await?);
    }
    Ok(outcomes)
}

/// One FIFO send. The outer error fails the request (the queue is gone, the database away); the
/// inner one fails this message.
async fn send_one(
    client: &impl GenericClient,
    record: &QueueRecord,
    message: NewMessage,
    now: Millis,
) -> SqsResult<SqsResult<SendOutcome>> {
    let config = record.info.config();
    let Some(fifo) = &config.fifo else { return Err(SqsError::internal("not a FIFO queue")) };
    let Grouping::Fifo { group, dedup } = message.grouping else {
        return Err(SqsError::internal("message grouping does not match the queue type"));
    };
    let dedup = match crate::rules::dedup_id(fifo, dedup, &message.body) {
        Ok(dedup) => dedup,
        Err(e) => return Ok(Err(e)),
    };
    // PostgreSQL's text holds no NUL, which the key puts between group and id; a space cannot
    // occur in either (both are printable ASCII without spaces), so it separates as well.
    let key = dedup_key(fifo.dedup_scope_at(now), &group, &dedup).replace('\0', " ");
    let delay = config.delay_seconds;
    let message_id = uuid::Uuid::new_v4();
    let (uid, now_ms, visible_at) = (record.uid(), ms(now), ms(now + secs(delay)));
    let state = if delay > 0 { DELAYED } else { AVAILABLE };
    let expires_at = ms(now + limits::DEDUP_WINDOW);
    let attributes = encode_attributes(&message.attributes);
    let trace_header = message.trace_header.as_deref();
    let params: [&(dyn ToSql + Sync); 12] = [
        &uid,
        &now_ms,
        &group.as_str(),
        &visible_at,
        &state,
        &key.as_str(),
        &expires_at,
        &message_id,
        &&*message.body,
        &attributes,
        &dedup.as_str(),
        &trace_header,
    ];
    if let Some(row) = query(client, sql::fifo::SEND, &params).await?.first() {
        let seq: i64 = row.get(0);
        return Ok(Ok(SendOutcome { message_id, sequence_number: Some(record.ident.sequence_number(uint(seq))) }));
    }
    // A duplicate within the window: the original's id and sequence number.
    let original = query(client, sql::fifo::DEDUP_ORIGINAL, &[&uid, &key.as_str()]).await?;
    let Some(original) = original.first() else { return Err(SqsError::queue_does_not_exist()) };
    let seq: i64 = original.get(1);
    Ok(Ok(SendOutcome { message_id: original.get(0), sequence_number: Some(record.ident.sequence_number(uint(seq))) }))
}

/// Puts moved messages at the end of their groups of `destination`.
pub async fn enqueue_moved(
    tx: &Transaction<'_>,
    destination: &QueueRecord,
    rows: &StandardRows,
    now: Millis,
) -> SqsResult<()> {
    let (uid, now_ms) = (destination.uid(), ms(now));
    for i in 0..rows.message_ids.len() {
        let Some(group) = &rows.groups[i] else {
            return Err(SqsError::internal("a message without a group cannot enter a FIFO queue"));
        };
        let params: [&(dyn ToSql + Sync); 13] = [
            &uid,
            &now_ms,
            group,
            &rows.enqueued_at[i],
            &rows.receive_counts[i],
            &rows.first_received_at[i],
            &rows.message_ids[i],
            &rows.bodies[i],
            &rows.attributes[i],
            &rows.sent_at[i],
            &rows.dedup_ids[i],
            &rows.trace_headers[i],
            &rows.dead_letter_sources[i],
        ];
        execute(tx, sql::fifo::ENQUEUE_MOVED, &params).await?;
    }
    Ok(())
}

/// Sets the groups (locked by this transaction) ready when their heads are.
pub async fn refresh_groups(tx: &Transaction<'_>, record: &QueueRecord, groups: &[String]) -> SqsResult<()> {
    if groups.is_empty() {
        return Ok(());
    }
    let mut groups = groups.to_vec();
    groups.sort();
    groups.dedup();
    execute(tx, sql::fifo::REFRESH_GROUPS, &[&record.uid(), &groups]).await?;
    Ok(())
}

/// What walking the ready groups found.
#[derive(Default)]
pub struct Walk {
    /// Every group locked (to refresh before commit).
    pub groups: Vec<String>,
    /// The messages to hand out, in order.
    pub take: Vec<i64>,
    /// Messages at maxReceiveCount (to move to the dead-letter queue).
    pub dead: Vec<i64>,
    /// Messages past retention (to delete).
    pub expired: Vec<i64>,
}

/// How many messages a walk reads from a group beyond the most it hands out, for those it passes
/// over (at maxReceiveCount, or past retention); a group with more of those in a row is served
/// by the next receive.
const WALK_SLACK: i64 = 16;

/// Locks up to `max` ready groups and walks each from its head, oldest group first: takes visible
/// messages in order and stops a group at its first delayed or in-flight message (it keeps the
/// rest of the group behind it), until `max` messages are taken.
pub async fn walk(
    tx: &Transaction<'_>,
    record: &QueueRecord,
    max: usize,
    max_receive_count: Option<u32>,
    now: Millis,
) -> SqsResult<Walk> {
    let (uid, limit) = (record.uid(), max as i64);
    let groups: Vec<String> =
        query(tx, sql::fifo::READY_GROUPS, &[&uid, &ms(now), &limit]).await?.iter().map(|r| r.get(0)).collect();
    let mut walk = Walk { groups, ..Walk::default() };
    if walk.groups.is_empty() {
        return Ok(walk);
    }
    // Dead-lettered and expired messages are passed over without counting: read some beyond.
    let per_group = limit + WALK_SLACK;
    let heads = query(tx, sql::fifo::GROUP_HEADS, &[&uid, &walk.groups, &per_group]).await?;
    let cutoff = retention_cutoff(now, record.info.config().retention_seconds);
    let mut stopped_group = None;
    for row in &heads {
        let (group, seq, visible_at, enqueued_at, receive_count): (i64, i64, i64, i64, i32) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        if walk.take.len() == max {
            break;
        }
        if stopped_group == Some(group) {
            continue;
        }
        if enqueued_at <= cutoff {
            walk.expired.push(seq);
        } else if visible_at > ms(now) {
            stopped_group = Some(group);
        } else if max_receive_count.is_some_and(|max| receive_count >= max as i32) {
            walk.dead.push(seq);
        } else {
            walk.take.push(seq);
        }
    }
    Ok(walk)
}

pub async fn receive(
    db: &Db,
    record: &QueueRecord,
    request: &ReceiveRequest,
    deadline: Millis,
    dead_letters: Option<&DeadLetters>,
    now: Millis,
) -> SqsResult<ReceiveBatch> {
    let uid = record.uid();
    let mut client = client(&db.pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    if let Some(attempt_id) = &request.attempt_id {
        if let Some(messages) = retry(&tx, record, attempt_id.as_str(), request.max_messages, deadline, now).await? {
            tx.commit().await.map_err(pg_error)?;
            return Ok(ReceiveBatch { messages, ..ReceiveBatch::default() });
        }
    }
    let max_receive_count = dead_letters.map(|d| d.max_receive_count);
    let walk = walk(&tx, record, request.max_messages, max_receive_count, now).await?;
    let mut batch = ReceiveBatch::default();
    if !walk.expired.is_empty() {
        execute(&tx, sql::messages::DELETE, &[&uid, &walk.expired]).await?;
    }
    if let (false, Some(dead_letters)) = (walk.dead.is_empty(), dead_letters) {
        batch.dead_lettered =
            move_messages(&tx, record, &dead_letters.queue, &walk.dead, Move::DeadLetter, now).await?;
    }
    if !walk.take.is_empty() {
        let rows = query(&tx, sql::messages::MARK_RECEIVED, &[&uid, &walk.take, &ms(now), &ms(deadline)]).await?;
        let order: HashMap<i64, usize> = walk.take.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        let mut messages = received(&rows, record)?;
        messages.sort_by_key(|m| order.get(&m.seq).copied());
        if let Some(attempt_id) = &request.attempt_id {
            let nonces: Vec<i32> = messages.iter().map(|m| m.nonce).collect();
            let seqs: Vec<i64> = messages.iter().map(|m| m.seq).collect();
            let expires = ms(now + limits::DEDUP_WINDOW);
            let params: [&(dyn ToSql + Sync); 6] =
                [&uid, &attempt_id.as_str(), &seqs, &nonces, &ms(deadline), &expires];
            execute(&tx, sql::attempts::PUT, &params).await?;
        }
        batch.messages = messages.into_iter().map(|m| m.message).collect();
    }
    refresh_groups(&tx, record, &walk.groups).await?;
    tx.commit().await.map_err(pg_error)?;
    Ok(batch)
}

/// A retry of an earlier receive with the same attempt id: the same messages and handles with
/// their visibility reset, provided each is still in flight from that receive and the retry asks
/// for no fewer messages than it returned; `None` when it is a fresh receive.
async fn retry(
    tx: &Transaction<'_>,
    record: &QueueRecord,
    attempt_id: &str,
    max_messages: usize,
    deadline: Millis,
    now: Millis,
) -> SqsResult<Option<Vec<ReceivedMessage>>> {
    let uid = record.uid();
    let found = query(tx, sql::attempts::GET, &[&uid, &attempt_id, &ms(now)]).await?;
    let Some(attempt) = found.first() else { return Ok(None) };
    let (seqs, nonces, visible_at): (Vec<i64>, Vec<i32>, i64) = (attempt.get(0), attempt.get(1), attempt.get(2));
    if seqs.len() > max_messages || visible_at <= ms(now) {
        return Ok(None);
    }
    query(tx, sql::fifo::LOCK_GROUPS_OF, &[&uid, &seqs]).await?;
    let rows = query(tx, sql::messages::BY_SEQS, &[&uid, &seqs]).await?;
    let messages = received(&rows, record)?;
    let current: HashMap<i64, (i32, i16, i64)> =
        messages.iter().map(|m| (m.seq, (m.nonce, m.state, m.visible_at))).collect();
    let unchanged =
        seqs.iter().zip(&nonces).all(|(seq, nonce)| current.get(seq) == Some(&(*nonce, IN_FLIGHT, visible_at)));
    if !unchanged {
        return Ok(None);
    }
    let states = vec![IN_FLIGHT; seqs.len()];
    let times = vec![ms(deadline); seqs.len()];
    execute(tx, sql::messages::SET_VISIBILITY, &[&uid, &seqs, &states, &times]).await?;
    let groups: Vec<String> = messages.iter().filter_map(|m| m.message.group_id.as_deref().map(String::from)).collect();
    refresh_groups(tx, record, &groups).await?;
    execute(tx, sql::attempts::SET_VISIBLE_AT, &[&uid, &attempt_id, &ms(deadline)]).await?;
    let order: HashMap<i64, usize> = seqs.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut messages = messages;
    messages.sort_by_key(|m| order.get(&m.seq).copied());
    Ok(Some(messages.into_iter().map(|m| m.message).collect()))
}
