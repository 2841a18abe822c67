//! `messages` (a message's state) and `message_bodies` (what it carries), for both queue types;
//! what only FIFO queues do is in [`super::fifo`].
//!
//! Seqs: `(now << 20) | (nextval('sqs_local.message_seqs') & 1048575)` follows the clock and is
//! unique unless one queue is sent 2^20 messages within one millisecond (the primary key would
//! then refuse the send, which fails with an error rather than losing anything).

/// The columns a delivered or peeked message is read with, in the order [`super::super::rows`]
/// reads them: state first, then the body's.
macro_rules! message_columns {
    () => {
        "m.seq, m.state, m.visible_at, m.rank, m.group_id, m.enqueued_at, m.receive_count, m.nonce, \
         m.first_received_at, m.received_at, b.message_id, b.body, b.attributes, b.sent_at, \
         b.deduplication_id, b.aws_trace_header, b.dead_letter_queue_source_arn"
    };
}

/// Inserts messages into a standard queue, one row each in `messages` and `message_bodies`, as
/// one statement for a whole batch. `$2` is now; the arrays are per message. Nothing is inserted
/// when the queue is gone (no row comes back). No row is claimed, so concurrent sends never wait
/// on each other.
pub const INSERT_STANDARD: &str = "WITH input AS MATERIALIZED ( \
       SELECT ($2::bigint << 20) | (nextval('sqs_local.message_seqs') & 1048575) AS seq, i.* \
       FROM unnest($3::uuid[], $4::text[], $5::bytea[], $6::text[], $7::bigint[], $8::smallint[], $9::bigint[], \
                   $10::bigint[], $11::integer[], $12::bigint[], $13::bigint[], $14::text[], $15::text[], $16::text[]) \
         WITH ORDINALITY AS i(message_id, body, attributes, group_id, rank, state, visible_at, enqueued_at, \
                              receive_count, first_received_at, sent_at, deduplication_id, aws_trace_header, \
                              dead_letter_queue_source_arn, ord) \
       WHERE EXISTS (SELECT 1 FROM sqs_local.queues WHERE uid = $1) \
     ), states AS ( \
       INSERT INTO sqs_local.messages (queue_uid, seq, state, visible_at, rank, group_id, enqueued_at, \
                                       receive_count, nonce, first_received_at, received_at) \
       SELECT $1, seq, state, visible_at, rank, group_id, enqueued_at, receive_count, 0, first_received_at, 0 \
       FROM input \
     ) \
     INSERT INTO sqs_local.message_bodies (queue_uid, seq, message_id, body, attributes, sent_at, deduplication_id, \
                                           aws_trace_header, dead_letter_queue_source_arn) \
     SELECT $1, seq, message_id, body, attributes, sent_at, deduplication_id, aws_trace_header, \
            dead_letter_queue_source_arn FROM input ORDER BY ord RETURNING seq";

/// The ranks of the next messages of standard queues' message groups (fair queues): a group's
/// next rank is at least now, and each message advances it by one, so a group that sends faster
/// than one message per millisecond falls behind quieter ones. `$3`/`$4`: groups and how many
/// messages each sends; returns each group's next rank after them. Upserting the group row makes
/// two senders of one group take turns, so their ranks never collide.
pub const TAKE_RANKS: &str = "INSERT INTO sqs_local.fair_groups AS f (queue_uid, group_id, next_rank) \
     SELECT $1, g, $2::bigint + n FROM unnest($3::text[], $4::bigint[]) AS x(g, n) \
     ON CONFLICT (queue_uid, group_id) DO UPDATE \
       SET next_rank = GREATEST(f.next_rank, $2::bigint) + (EXCLUDED.next_rank - $2::bigint) \
     RETURNING group_id, next_rank";

/// One standard receive, without a redrive policy: the first `$2` available messages in serving
/// order (and delayed or in-flight ones that came due), made in flight until `$5`, with their
/// bodies. `$3`: messages enqueued at or before it are past retention; `$4`: now.
///
/// Concurrency: candidates are locked with `FOR UPDATE SKIP LOCKED`, so two receivers (of this or
/// another node) never take the same row; a row another receiver updated since this statement's
/// snapshot is rechecked against the WHERE clause before it is locked, so a message made in flight
/// by a commit in between is not taken again. The update checks once more that each message is
/// still available, so the statement stays right even where the locks were not taken.
pub const RECEIVE_STANDARD: &str = concat!(
    "WITH ready AS ( \
       SELECT seq, rank FROM sqs_local.messages \
       WHERE queue_uid = $1 AND state = 0 AND rank IS NOT NULL AND enqueued_at > $3 \
       ORDER BY rank, seq LIMIT $2 FOR UPDATE SKIP LOCKED \
     ), due AS ( \
       SELECT seq, rank FROM sqs_local.messages \
       WHERE queue_uid = $1 AND state <> 0 AND visible_at <= $4 AND enqueued_at > $3 \
       ORDER BY visible_at LIMIT $2 FOR UPDATE SKIP LOCKED \
     ), chosen AS ( \
       SELECT seq FROM (SELECT seq, rank FROM ready UNION ALL SELECT seq, rank FROM due) c \
       ORDER BY rank, seq LIMIT $2 \
     ) \
     UPDATE sqs_local.messages m SET state = 2, visible_at = $5, receive_count = m.receive_count + 1, \
       nonce = m.nonce + 1, received_at = $4, \
       first_received_at = CASE WHEN m.first_received_at = 0 THEN $4 ELSE m.first_received_at END \
     FROM chosen, sqs_local.message_bodies b \
     WHERE m.queue_uid = $1 AND m.seq = chosen.seq AND b.queue_uid = $1 AND b.seq = m.seq \
       AND (m.state = 0 OR m.visible_at <= $4) \
     RETURNING ",
    message_columns!()
);

/// The candidates of a standard receive when the queue has a redrive policy, locked as in
/// [`RECEIVE_STANDARD`]; the caller moves those at maxReceiveCount and receives the rest with
/// [`MARK_RECEIVED`] in the same transaction.
pub const CANDIDATES_STANDARD: &str = "WITH ready AS ( \
       SELECT seq, rank, receive_count FROM sqs_local.messages \
       WHERE queue_uid = $1 AND state = 0 AND rank IS NOT NULL AND enqueued_at > $3 \
       ORDER BY rank, seq LIMIT $2 FOR UPDATE SKIP LOCKED \
     ), due AS ( \
       SELECT seq, rank, receive_count FROM sqs_local.messages \
       WHERE queue_uid = $1 AND state <> 0 AND visible_at <= $4 AND enqueued_at > $3 \
       ORDER BY visible_at LIMIT $2 FOR UPDATE SKIP LOCKED \
     ) \
     SELECT seq, receive_count FROM (SELECT * FROM ready UNION ALL SELECT * FROM due) c \
     ORDER BY rank, seq LIMIT $2";

/// Makes messages `$2` (already locked by this transaction) in flight until `$4`, with their bodies.
pub const MARK_RECEIVED: &str = concat!(
    "UPDATE sqs_local.messages m SET state = 2, visible_at = $4, receive_count = m.receive_count + 1, \
       nonce = m.nonce + 1, received_at = $3, \
       first_received_at = CASE WHEN m.first_received_at = 0 THEN $3 ELSE m.first_received_at END \
     FROM sqs_local.message_bodies b \
     WHERE m.queue_uid = $1 AND m.seq = ANY($2) AND b.queue_uid = $1 AND b.seq = m.seq \
     RETURNING ",
    message_columns!()
);

/// Messages by seq with their bodies (attempt retries, moves).
pub const BY_SEQS: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM sqs_local.messages m JOIN sqs_local.message_bodies b ON b.queue_uid = m.queue_uid AND b.seq = m.seq \
     WHERE m.queue_uid = $1 AND m.seq = ANY($2) ORDER BY m.seq"
);

/// The state of messages by seq, locked (a delete or visibility change of a standard queue).
pub const LOCK_STATES: &str = "SELECT seq, state, visible_at, nonce, received_at, group_id FROM sqs_local.messages \
     WHERE queue_uid = $1 AND seq = ANY($2) FOR UPDATE";

/// Deletes messages and their bodies. Deleting a row another transaction deletes too waits for it
/// and then finds nothing: deletes are idempotent.
pub const DELETE: &str =
    "WITH gone AS (DELETE FROM sqs_local.messages WHERE queue_uid = $1 AND seq = ANY($2) RETURNING seq) \
     DELETE FROM sqs_local.message_bodies WHERE queue_uid = $1 AND seq IN (SELECT seq FROM gone)";

/// Sets the state and visibility of messages (`$2` seqs, `$3` states, `$4` times).
pub const SET_VISIBILITY: &str = "UPDATE sqs_local.messages m SET state = x.state, visible_at = x.visible_at \
     FROM unnest($2::bigint[], $3::smallint[], $4::bigint[]) AS x(seq, state, visible_at) \
     WHERE m.queue_uid = $1 AND m.seq = x.seq";

/// The next time a delayed or in-flight message of the queue comes due (a long poll sleeps until then).
pub const NEXT_DUE: &str =
    "SELECT min(visible_at) FROM sqs_local.messages WHERE queue_uid = $1 AND state <> 0 AND visible_at > $2";

/// ApproximateNumberOf* and the oldest message: the one query that reads every message of a
/// queue (AWS's counts are approximate too; nothing on the message path asks for them).
pub const COUNTS: &str = "SELECT count(*) FILTER (WHERE visible_at <= $3), \
       count(*) FILTER (WHERE visible_at > $3 AND state = 2), \
       count(*) FILTER (WHERE visible_at > $3 AND state = 1), min(enqueued_at) \
     FROM sqs_local.messages WHERE queue_uid = $1 AND enqueued_at > $2";

/// A page of a queue's messages in seq order after `$2`, as they are (peek changes nothing).
pub const PEEK: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM sqs_local.messages m JOIN sqs_local.message_bodies b ON b.queue_uid = m.queue_uid AND b.seq = m.seq \
     WHERE m.queue_uid = $1 AND m.seq > $2 AND m.enqueued_at > $3 ORDER BY m.seq LIMIT $4"
);

/// Takes messages out of a queue, returning all they hold (a dead-letter move or a move task
/// puts them into another queue in the same transaction).
pub const TAKE: &str = "WITH states AS ( \
       DELETE FROM sqs_local.messages WHERE queue_uid = $1 AND seq = ANY($2) \
       RETURNING seq, group_id, enqueued_at, receive_count, first_received_at \
     ), bodies AS ( \
       DELETE FROM sqs_local.message_bodies WHERE queue_uid = $1 AND seq = ANY($2) \
       RETURNING seq, message_id, body, attributes, sent_at, deduplication_id, aws_trace_header \
     ) \
     SELECT s.seq, s.group_id, s.enqueued_at, s.receive_count, s.first_received_at, b.message_id, b.body, \
            b.attributes, b.sent_at, b.deduplication_id, b.aws_trace_header \
     FROM states s JOIN bodies b ON b.seq = s.seq ORDER BY s.seq";

/// A move task's next messages: available ones in seq order, locked (SKIP LOCKED: a receiver
/// holding one keeps it). On FIFO queues only messages with no earlier undelivered message in
/// their group still in flight or delayed are taken, so a group's order survives the move.
pub const MOVE_CANDIDATES: &str = "SELECT m.seq, b.dead_letter_queue_source_arn FROM sqs_local.messages m \
     JOIN sqs_local.message_bodies b ON b.queue_uid = m.queue_uid AND b.seq = m.seq \
     WHERE m.queue_uid = $1 AND m.visible_at <= $2 AND m.enqueued_at > $3 \
       AND (m.rank IS NOT NULL OR NOT EXISTS ( \
         SELECT 1 FROM sqs_local.messages e WHERE e.queue_uid = m.queue_uid AND e.group_id = m.group_id \
           AND e.rank IS NULL AND e.seq < m.seq AND e.visible_at > $2)) \
     ORDER BY m.seq LIMIT $4 FOR UPDATE OF m SKIP LOCKED";

/// Housekeeping: messages past their queue's retention period, a bounded number at a time (any
/// node may run it; two at once delete disjoint rows or wait and find them gone).
pub const SWEEP_EXPIRED: &str = "WITH old AS ( \
       SELECT m.queue_uid, m.seq FROM sqs_local.queues q \
       JOIN LATERAL (SELECT queue_uid, seq FROM sqs_local.messages \
                     WHERE queue_uid = q.uid AND rank IS NOT NULL AND state = 0 \
                       AND enqueued_at <= $1 - q.message_retention_period::bigint * 1000 \
                     ORDER BY rank LIMIT $2) m ON true \
       LIMIT $2 \
     ), gone AS ( \
       DELETE FROM sqs_local.messages d USING old WHERE d.queue_uid = old.queue_uid AND d.seq = old.seq \
       RETURNING d.queue_uid, d.seq \
     ) \
     DELETE FROM sqs_local.message_bodies b USING gone WHERE b.queue_uid = gone.queue_uid AND b.seq = gone.seq";
