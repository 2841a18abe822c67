//! `move_tasks`.

macro_rules! task_columns {
    () => {
        "task_id, source_arn, destination_arn, max_per_second, status, moved, to_move, failure_reason, started_at"
    };
}

/// Records a task unless its source has an active one: the partial unique index
/// `move_tasks_one_active` makes two starts at once (on any nodes) record one.
pub const START: &str = concat!(
    "INSERT INTO sqs_local.move_tasks (",
    task_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING task_id"
);

pub const BY_SOURCE: &str =
    concat!("SELECT ", task_columns!(), " FROM sqs_local.move_tasks WHERE source_arn = $1 ORDER BY created DESC");

pub const ACTIVE: &str = concat!(
    "SELECT ",
    task_columns!(),
    " FROM sqs_local.move_tasks WHERE status IN ('RUNNING', 'CANCELLING') ORDER BY created"
);

/// A task, locked for one step: two runners of one task take turns.
pub const LOCK: &str = concat!("SELECT ", task_columns!(), " FROM sqs_local.move_tasks WHERE task_id = $1 FOR UPDATE");

pub const SET_PROGRESS: &str =
    "UPDATE sqs_local.move_tasks SET moved = $2, status = $3, failure_reason = $4 WHERE task_id = $1";

/// Asks a running task to stop; returns it as it was (the row is locked, so a step in progress
/// finishes first).
pub const CANCEL: &str =
    concat!("SELECT ", task_columns!(), " FROM sqs_local.move_tasks WHERE task_id = $1 AND source_arn = $2 FOR UPDATE");

pub const SET_STATUS: &str = "UPDATE sqs_local.move_tasks SET status = $2 WHERE task_id = $1";
