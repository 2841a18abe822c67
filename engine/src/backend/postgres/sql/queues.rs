//! `queues` and `deleted_queues`.

/// The columns a queue is read with, in the order [`super::super::rows::queue`] reads them.
macro_rules! queue_columns {
    () => {
        "uid, account, region, name, sequence_salt, created_at, last_modified_at, version, last_purge_at, \
         delay_seconds, maximum_message_size, message_retention_period, receive_message_wait_time_seconds, \
         visibility_timeout, policy, redrive_dead_letter_target_arn, redrive_max_receive_count, \
         redrive_allow_policy, kms_master_key_id, kms_data_key_reuse_period_seconds, sqs_managed_sse_enabled, \
         fifo_queue, content_based_deduplication, deduplication_scope, fifo_throughput_limit, \
         scope_change_previous, scope_change_effective_at, tag_keys, tag_values"
    };
}

/// Creates a queue unless one of that name exists (then no row comes back). The unique
/// (account, region, name) constraint makes two nodes creating the same name at once create it once.
pub const CREATE: &str = concat!(
    "INSERT INTO sqs_local.queues (",
    queue_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
     $21, $22, $23, $24, $25, $26, $27, $28, $29) ON CONFLICT (account, region, name) DO NOTHING RETURNING uid"
);

pub const BY_NAME: &str =
    concat!("SELECT ", queue_columns!(), " FROM sqs_local.queues WHERE account = $1 AND region = $2 AND name = $3");

/// The queues of a namespace whose names start with a prefix (`$3`: the prefix with LIKE's
/// wildcards escaped, then `%`), in name order.
pub const LIST: &str = concat!(
    "SELECT ",
    queue_columns!(),
    " FROM sqs_local.queues WHERE account = $1 AND region = $2 AND name LIKE $3 ORDER BY name COLLATE \"C\""
);

/// Replaces the settings if they are still at version `$2` (compare-and-set: of two nodes changing
/// the same version, one wins and the other reads again).
pub const UPDATE_SETTINGS: &str = "UPDATE sqs_local.queues SET version = version + 1, last_modified_at = $3, \
     delay_seconds = $4, maximum_message_size = $5, message_retention_period = $6, \
     receive_message_wait_time_seconds = $7, visibility_timeout = $8, policy = $9, \
     redrive_dead_letter_target_arn = $10, redrive_max_receive_count = $11, redrive_allow_policy = $12, \
     kms_master_key_id = $13, kms_data_key_reuse_period_seconds = $14, sqs_managed_sse_enabled = $15, \
     content_based_deduplication = $16, deduplication_scope = $17, fifo_throughput_limit = $18, \
     scope_change_previous = $19, scope_change_effective_at = $20, tag_keys = $21, tag_values = $22 \
     WHERE uid = $1 AND version = $2 RETURNING version";

/// Locks the queue row for a purge: two purges of one queue at once take turns, and the second
/// sees the first's time.
pub const LOCK_FOR_PURGE: &str = "SELECT last_purge_at FROM sqs_local.queues WHERE uid = $1 FOR UPDATE";

pub const SET_LAST_PURGE: &str = "UPDATE sqs_local.queues SET last_purge_at = $2 WHERE uid = $1";

pub const DELETE: &str = "DELETE FROM sqs_local.queues WHERE uid = $1 RETURNING account, region, name";

pub const RECORD_DELETED: &str = "INSERT INTO sqs_local.deleted_queues (account, region, name, deleted_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (account, region, name) DO UPDATE SET deleted_at = EXCLUDED.deleted_at";

pub const DELETED_AT: &str =
    "SELECT deleted_at FROM sqs_local.deleted_queues WHERE account = $1 AND region = $2 AND name = $3";

/// Everything a queue holds besides its row (DeleteQueue, PurgeQueue, the admin resets).
pub const DELETE_MESSAGES: &str = "DELETE FROM sqs_local.messages WHERE queue_uid = $1";
pub const DELETE_BODIES: &str = "DELETE FROM sqs_local.message_bodies WHERE queue_uid = $1";
pub const DELETE_DEDUP: &str = "DELETE FROM sqs_local.dedup WHERE queue_uid = $1";
pub const DELETE_ATTEMPTS: &str = "DELETE FROM sqs_local.receive_attempts WHERE queue_uid = $1";
pub const DELETE_FAIR_GROUPS: &str = "DELETE FROM sqs_local.fair_groups WHERE queue_uid = $1";
/// Deleting a queue's FIFO groups first locks each (a sender holding one is waited for), so the
/// message delete that follows sees every message those senders committed: none is left behind
/// without its group row.
pub const DELETE_FIFO_GROUPS: &str = "DELETE FROM sqs_local.fifo_groups WHERE queue_uid = $1";

/// The admin reset: every table emptied.
pub const RESET: &str = "DELETE FROM sqs_local.fifo_groups; DELETE FROM sqs_local.messages; \
     DELETE FROM sqs_local.message_bodies; DELETE FROM sqs_local.fair_groups; DELETE FROM sqs_local.dedup; \
     DELETE FROM sqs_local.receive_attempts; DELETE FROM sqs_local.move_tasks; \
     DELETE FROM sqs_local.deleted_queues; DELETE FROM sqs_local.queues";
