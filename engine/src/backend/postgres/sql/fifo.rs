//! What only FIFO queues do: `fifo_groups` (a row per message group, locked by the receive that
//! owns the group) and the `dedup` window.
//!
//! The invariant every statement keeps: a group's `ready_at` is the `visible_at` of its head (its
//! oldest message), or the largest bigint when it holds none. Whatever changes a group's messages
//! holds the group row's lock while it does (a send upserts the row, a receive locks it with
//! `FOR UPDATE SKIP LOCKED`, deletes and visibility changes lock it with `FOR UPDATE`) and sets
//! `ready_at` again before it commits.

/// The CTE `grp` that puts a new message at the end of its group (`$1` queue, `$2` now, `$3`
/// group; the argument: the parameter holding when the message is visible) and returns its seq.
/// The group's row is upserted, and stays locked until commit; an empty group becomes ready when
/// the message is. Nothing happens when the queue is gone.
///
/// Seqs: the clock's, or when that is not above the group's `last_seq` (sessions take the
/// sequence's values in cached ranges, nodes' clocks differ), the next millisecond after it with
/// the same low bits; either way larger than every seq of the group before, and unique.
macro_rules! join_group {
    ($visible_at:literal) => {
        concat!(
            "grp AS ( \
               INSERT INTO sqs_local.fifo_groups AS g (queue_uid, group_id, ready_at, turn, last_seq) \
               SELECT $1, $3, ",
            $visible_at,
            ", nextval('sqs_local.group_turns'), \
                      ($2::bigint << 20) | (nextval('sqs_local.message_seqs') & 1048575) \
               WHERE EXISTS (SELECT 1 FROM sqs_local.queues WHERE uid = $1) \
               ON CONFLICT (queue_uid, group_id) DO UPDATE \
                 SET last_seq = CASE WHEN EXCLUDED.last_seq > g.last_seq THEN EXCLUDED.last_seq \
                                ELSE (((g.last_seq >> 20) + 1) << 20) | (EXCLUDED.last_seq & 1048575) END, \
                     ready_at = CASE WHEN g.ready_at = 9223372036854775807 THEN EXCLUDED.ready_at ELSE g.ready_at END, \
                     turn = CASE WHEN g.ready_at = 9223372036854775807 THEN EXCLUDED.turn ELSE g.turn END \
               RETURNING last_seq \
             )"
        )
    };
}

/// One FIFO send: claims the deduplication key, and when the claim succeeds inserts the message
/// at the end of its group. Returns the message's seq when it was enqueued (no row: the key is
/// taken within the window; read the original with [`DEDUP_ORIGINAL`]).
///
/// `$1` queue, `$2` now, `$3` group, `$4` visible at, `$5` state, `$6` dedup key, `$7` dedup expiry,
/// `$8` message id, `$9` body, `$10` attributes, `$11` dedup id, `$12` trace header.
///
/// Concurrency: the group upsert locks the group row until commit, so two sends to one group take
/// turns and the second gets the larger seq, in commit order (see `join_group!`). The dedup
/// insert waits for a concurrent claim of the same key and then sees it: one of them enqueues.
/// A duplicate still upserted the group; if the group was empty it now looks ready, and the next
/// receive that takes it finds nothing and marks it empty again.
pub const SEND: &str = concat!(
    "WITH ",
    join_group!("$4"),
    ", claim AS ( \
       INSERT INTO sqs_local.dedup AS d (queue_uid, key, message_id, seq, expires_at) \
       SELECT $1, $6, $8, last_seq, $7 FROM grp \
       ON CONFLICT (queue_uid, key) DO UPDATE \
         SET message_id = EXCLUDED.message_id, seq = EXCLUDED.seq, expires_at = EXCLUDED.expires_at \
         WHERE d.expires_at <= $2 \
       RETURNING seq \
     ), states AS ( \
       INSERT INTO sqs_local.messages (queue_uid, seq, state, visible_at, rank, group_id, enqueued_at, \
                                       receive_count, nonce, first_received_at, received_at) \
       SELECT $1, seq, $5, $4, NULL, $3, $2, 0, 0, 0, 0 FROM claim \
     ), bodies AS ( \
       INSERT INTO sqs_local.message_bodies (queue_uid, seq, message_id, body, attributes, sent_at, \
                                             deduplication_id, aws_trace_header, dead_letter_queue_source_arn) \
       SELECT $1, seq, $8, $9, $10, $2, $11, $12, NULL FROM claim \
     ) \
     SELECT seq FROM claim"
);

/// The original of a duplicate send: its message id and seq.
pub const DEDUP_ORIGINAL: &str = "SELECT message_id, seq FROM sqs_local.dedup WHERE queue_uid = $1 AND key = $2";

/// Puts a message that was taken out of another queue (a dead-letter move, a move task) at the
/// end of its group, as [`SEND`] does without deduplication. `$1` queue, `$2` now, `$3` group,
/// `$4` enqueued at, `$5` receive count, `$6` first received at, `$7` message id, `$8` body,
/// `$9` attributes, `$10` sent at, `$11` dedup id, `$12` trace header, `$13` dead-letter source.
pub const ENQUEUE_MOVED: &str = concat!(
    "WITH ",
    join_group!("$2"),
    ", states AS ( \
       INSERT INTO sqs_local.messages (queue_uid, seq, state, visible_at, rank, group_id, enqueued_at, \
                                       receive_count, nonce, first_received_at, received_at) \
       SELECT $1, last_seq, 0, $2, NULL, $3, $4, $5, 0, $6, 0 FROM grp \
     ) \
     INSERT INTO sqs_local.message_bodies (queue_uid, seq, message_id, body, attributes, sent_at, \
                                           deduplication_id, aws_trace_header, dead_letter_queue_source_arn) \
     SELECT $1, last_seq, $7, $8, $9, $10, $11, $12, $13 FROM grp RETURNING seq"
);

/// The groups a receive may take: ready by `$2`, in the order they became ready, at most `$3`.
///
/// Concurrency: `FOR UPDATE SKIP LOCKED` gives each group to one receiver; a group another
/// receiver took and committed since this statement's snapshot is rechecked (its `ready_at` now
/// lies in the future) and skipped, so a group is never handed to two receivers, on any node.
pub const READY_GROUPS: &str = "SELECT group_id FROM sqs_local.fifo_groups \
     WHERE queue_uid = $1 AND ready_at <= $2 ORDER BY ready_at, turn LIMIT $3 FOR UPDATE SKIP LOCKED";

/// The first `$3` messages of each of the groups `$2` (which the caller holds locked), group by
/// group in the given order, each group from its head.
pub const GROUP_HEADS: &str = "SELECT g.ord, m.seq, m.visible_at, m.enqueued_at, m.receive_count \
     FROM unnest($2::text[]) WITH ORDINALITY AS g(group_id, ord) \
     CROSS JOIN LATERAL (SELECT seq, visible_at, enqueued_at, receive_count FROM sqs_local.messages \
                         WHERE queue_uid = $1 AND group_id = g.group_id AND rank IS NULL \
                         ORDER BY seq LIMIT $3) m \
     ORDER BY g.ord, m.seq";

/// Locks the groups of messages `$2` (deletes, visibility changes, attempt retries), in group
/// order so that two such changes over the same groups cannot deadlock.
pub const LOCK_GROUPS_OF: &str = "SELECT g.group_id FROM sqs_local.fifo_groups g \
     WHERE g.queue_uid = $1 AND g.group_id IN ( \
       SELECT group_id FROM sqs_local.messages WHERE queue_uid = $1 AND seq = ANY($2) AND group_id IS NOT NULL) \
     ORDER BY g.group_id FOR UPDATE";

/// Sets the groups `$2` (locked by the caller) ready when their head is: `ready_at` from the head's
/// `visible_at`, or empty. A group whose readiness changes takes a new turn.
pub const REFRESH_GROUPS: &str = "UPDATE sqs_local.fifo_groups g \
     SET ready_at = n.ready_at, \
         turn = CASE WHEN n.ready_at <> g.ready_at THEN nextval('sqs_local.group_turns') ELSE g.turn END \
     FROM (SELECT x.group_id, COALESCE( \
             (SELECT m.visible_at FROM sqs_local.messages m \
              WHERE m.queue_uid = $1 AND m.group_id = x.group_id AND m.rank IS NULL ORDER BY m.seq LIMIT 1), \
             9223372036854775807) AS ready_at \
           FROM unnest($2::text[]) AS x(group_id)) n \
     WHERE g.queue_uid = $1 AND g.group_id = n.group_id";

/// Housekeeping: groups that hold no message. The row is locked (a sender holding it is skipped)
/// and deleted only if no message of the group is visible to this statement; a sender whose
/// message is not yet committed upserts the row again when it gets there.
pub const SWEEP_EMPTY_GROUPS: &str = "DELETE FROM sqs_local.fifo_groups g WHERE (g.queue_uid, g.group_id) IN ( \
       SELECT queue_uid, group_id FROM sqs_local.fifo_groups WHERE ready_at = 9223372036854775807 \
       LIMIT $1 FOR UPDATE SKIP LOCKED) \
     AND NOT EXISTS (SELECT 1 FROM sqs_local.messages m \
                     WHERE m.queue_uid = g.queue_uid AND m.group_id = g.group_id AND m.rank IS NULL)";

/// Housekeeping: expired deduplication entries (a send claims an expired key anyway).
pub const SWEEP_DEDUP: &str = "DELETE FROM sqs_local.dedup WHERE (queue_uid, key) IN ( \
       SELECT queue_uid, key FROM sqs_local.dedup WHERE expires_at <= $1 LIMIT $2)";
