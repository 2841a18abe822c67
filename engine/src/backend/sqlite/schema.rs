//! The database's tables, versioned. Readable with the `sqlite3` shell: a row per queue, tag,
//! message, deduplication entry, deleted queue name and move task, in plain columns.

use rusqlite::{Connection, OptionalExtension};

/// The schema this build writes. A newer one is refused; an older one is migrated forward.
pub const VERSION: i64 = 2;

/// Schema version 1.
const V1: &str = r#"
CREATE TABLE queues (
    uid INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    sequence_salt INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_modified_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    last_purge_at INTEGER,
    delay_seconds INTEGER NOT NULL,
    maximum_message_size INTEGER NOT NULL,
    message_retention_period INTEGER NOT NULL,
    receive_message_wait_time_seconds INTEGER NOT NULL,
    visibility_timeout INTEGER NOT NULL,
    policy TEXT,
    redrive_dead_letter_target_arn TEXT,
    redrive_max_receive_count INTEGER,
    redrive_allow_policy TEXT,
    kms_master_key_id TEXT,
    kms_data_key_reuse_period_seconds INTEGER NOT NULL,
    sqs_managed_sse_enabled INTEGER NOT NULL,
    fifo_queue INTEGER NOT NULL,
    content_based_deduplication INTEGER,
    deduplication_scope TEXT,
    fifo_throughput_limit TEXT,
    scope_change_previous TEXT,
    scope_change_effective_at INTEGER,
    UNIQUE (account, region, name)
);
CREATE TABLE tags (
    queue_uid INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (queue_uid, key)
);
-- seq is unique across queues: the send order, and the key of every index in memory.
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,
    queue_uid INTEGER NOT NULL,
    message_id BLOB NOT NULL,
    body TEXT NOT NULL,
    -- AWS's canonical encoding of message attributes (the one MD5OfMessageAttributes is over).
    attributes BLOB,
    group_id TEXT,
    deduplication_id TEXT,
    aws_trace_header TEXT,
    dead_letter_queue_source_arn TEXT,
    sent_at INTEGER NOT NULL,
    enqueued_at INTEGER NOT NULL,
    first_received_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL,
    -- The receive count of the current receipt handle.
    nonce INTEGER NOT NULL,
    -- 0 available, 1 delayed until state_until, 2 in flight until state_until.
    state INTEGER NOT NULL,
    state_until INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE TABLE dedup (
    queue_uid INTEGER NOT NULL,
    key TEXT NOT NULL,
    message_id BLOB NOT NULL,
    sequence_number TEXT,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (queue_uid, key)
);
CREATE TABLE deleted_queues (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    deleted_at INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
);
CREATE TABLE move_tasks (
    task_id TEXT PRIMARY KEY,
    source_arn TEXT NOT NULL,
    destination_arn TEXT,
    max_per_second INTEGER,
    status TEXT NOT NULL,
    moved INTEGER NOT NULL,
    to_move INTEGER NOT NULL,
    failure_reason TEXT,
    started_at INTEGER NOT NULL
);
"#;

/// Schema version 2: SNS topics and subscriptions (the `arn` columns are AWS's ARNs).
const V2: &str = r#"
CREATE TABLE topics (
    arn TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    data_protection_policy TEXT
);
CREATE TABLE topic_attributes (
    topic_arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (topic_arn, key)
);
CREATE TABLE topic_tags (
    topic_arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (topic_arn, key)
);
CREATE TABLE subscriptions (
    arn TEXT PRIMARY KEY,
    topic_arn TEXT NOT NULL,
    protocol TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    owner TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    authenticated INTEGER NOT NULL,
    -- The ConfirmSubscription token, for subscriptions that needed confirming.
    token TEXT,
    version INTEGER NOT NULL
);
CREATE TABLE subscription_attributes (
    subscription_arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (subscription_arn, key)
);
"#;

/// Why a database's schema is not usable.
#[derive(Debug)]
pub enum SchemaError {
    Newer(i64),
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for SchemaError {
    fn from(e: rusqlite::Error) -> Self {
        SchemaError::Sqlite(e)
    }
}

/// Creates the schema in an empty database, refuses a newer one, migrates an older one.
pub fn prepare(conn: &mut Connection) -> Result<(), SchemaError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")?;
    let found: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |row| row.get(0)).optional()?;
    let found = match found {
        Some(v) => v.parse::<i64>().map_err(|_| SchemaError::Newer(i64::MAX))?,
        None => 0,
    };
    if found > VERSION {
        return Err(SchemaError::Newer(found));
    }
    let tx = conn.transaction()?;
    if found < 1 {
        tx.execute_batch(V1)?;
    }
    if found < 2 {
        tx.execute_batch(V2)?;
    }
    // Later versions migrate here, one step after another: `if found < 3 { ... }`.
    tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?1)", [VERSION.to_string()])?;
    tx.commit()?;
    Ok(())
}
