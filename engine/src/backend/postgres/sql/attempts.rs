//! `receive_attempts`: FIFO ReceiveRequestAttemptId.

/// The receive an attempt id made within its window, locked: two retries of one attempt take turns.
pub const GET: &str = "SELECT seqs, nonces, visible_at FROM sqs_local.receive_attempts \
     WHERE queue_uid = $1 AND attempt_id = $2 AND expires_at > $3 FOR UPDATE";

pub const PUT: &str = "INSERT INTO sqs_local.receive_attempts \
       (queue_uid, attempt_id, seqs, nonces, visible_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (queue_uid, attempt_id) DO UPDATE \
     SET seqs = EXCLUDED.seqs, nonces = EXCLUDED.nonces, visible_at = EXCLUDED.visible_at, \
       expires_at = EXCLUDED.expires_at";

pub const SET_VISIBLE_AT: &str =
    "UPDATE sqs_local.receive_attempts SET visible_at = $3 WHERE queue_uid = $1 AND attempt_id = $2";

/// Housekeeping: attempts past their window.
pub const SWEEP: &str = "DELETE FROM sqs_local.receive_attempts WHERE (queue_uid, attempt_id) IN ( \
       SELECT queue_uid, attempt_id FROM sqs_local.receive_attempts WHERE expires_at <= $1 LIMIT $2)";
