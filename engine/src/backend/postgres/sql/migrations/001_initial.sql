-- sqs-local schema version 1. Every table lives in the schema `sqs_local`, so the database can be
-- shared with an application. Times are epoch milliseconds of the engine clock (bigint); receipt
-- handles carry (queues.uid, messages.seq, messages.nonce).

-- Queues: one row each, settings in plain columns (what GetQueueAttributes shows).
CREATE TABLE sqs_local.queues (
    uid bigint PRIMARY KEY,
    account text NOT NULL,
    region text NOT NULL,
    name text NOT NULL,
    sequence_salt bigint NOT NULL,
    created_at bigint NOT NULL,
    last_modified_at bigint NOT NULL,
    -- Bumped by every settings change; changes are compare-and-set on it, and node caches are
    -- keyed by it.
    version bigint NOT NULL,
    last_purge_at bigint,
    delay_seconds integer NOT NULL,
    maximum_message_size integer NOT NULL,
    message_retention_period integer NOT NULL,
    receive_message_wait_time_seconds integer NOT NULL,
    visibility_timeout integer NOT NULL,
    policy text,
    redrive_dead_letter_target_arn text,
    redrive_max_receive_count integer,
    redrive_allow_policy text,
    kms_master_key_id text,
    kms_data_key_reuse_period_seconds integer NOT NULL,
    sqs_managed_sse_enabled boolean NOT NULL,
    fifo_queue boolean NOT NULL,
    content_based_deduplication boolean,
    deduplication_scope text,
    fifo_throughput_limit text,
    scope_change_previous text,
    scope_change_effective_at bigint,
    tag_keys text[] NOT NULL DEFAULT '{}',
    tag_values text[] NOT NULL DEFAULT '{}',
    UNIQUE (account, region, name),
    CONSTRAINT fifo_settings CHECK (fifo_queue = (deduplication_scope IS NOT NULL)),
    CONSTRAINT tags_paired CHECK (cardinality(tag_keys) = cardinality(tag_values))
);

-- The 60-second recreate rule: when each name was last deleted.
CREATE TABLE sqs_local.deleted_queues (
    account text NOT NULL,
    region text NOT NULL,
    name text NOT NULL,
    deleted_at bigint NOT NULL,
    PRIMARY KEY (account, region, name)
);

-- A message's state: the narrow row every receive, delete and visibility change updates (the
-- body is in message_bodies, written once).
CREATE TABLE sqs_local.messages (
    queue_uid bigint NOT NULL,
    -- Send order: (epoch ms << 20) | low bits of sqs_local.message_seqs; on FIFO queues strictly
    -- increasing within a group (fifo_groups.last_seq).
    seq bigint NOT NULL,
    -- 0 available, 1 delayed until visible_at, 2 in flight until visible_at. A delayed or in-flight
    -- message whose visible_at has passed is available; standard receives set such rows back to 0.
    state smallint NOT NULL,
    visible_at bigint NOT NULL,
    -- Standard queues: the order available messages are served in (fair queues: a message group
    -- that sends faster than the clock is pushed back); NULL on FIFO queues.
    rank bigint,
    group_id text,
    enqueued_at bigint NOT NULL,
    receive_count integer NOT NULL,
    -- Receives of this message; a receipt handle is current while its nonce matches.
    nonce integer NOT NULL,
    first_received_at bigint NOT NULL,
    received_at bigint NOT NULL,
    PRIMARY KEY (queue_uid, seq),
    CONSTRAINT state_known CHECK (state IN (0, 1, 2))
);
-- Standard receives: the available messages in serving order.
CREATE INDEX messages_ready ON sqs_local.messages (queue_uid, rank, seq) WHERE state = 0 AND rank IS NOT NULL;
-- Standard receives take delayed and in-flight messages that came due; long polls ask when the
-- next one comes due.
CREATE INDEX messages_due ON sqs_local.messages (queue_uid, visible_at) WHERE state <> 0;
-- FIFO receives walk a group from its head.
CREATE INDEX messages_group ON sqs_local.messages (queue_uid, group_id, seq) WHERE rank IS NULL;

-- What a message carries, written once at send (moved only with its message).
CREATE TABLE sqs_local.message_bodies (
    queue_uid bigint NOT NULL,
    seq bigint NOT NULL,
    message_id uuid NOT NULL,
    body text NOT NULL,
    -- AWS's canonical encoding of message attributes (the bytes MD5OfMessageAttributes is over).
    attributes bytea,
    sent_at bigint NOT NULL,
    deduplication_id text,
    aws_trace_header text,
    dead_letter_queue_source_arn text,
    PRIMARY KEY (queue_uid, seq)
);

-- FIFO message groups: the row a receive locks (FOR UPDATE SKIP LOCKED) to own a group.
CREATE TABLE sqs_local.fifo_groups (
    queue_uid bigint NOT NULL,
    group_id text NOT NULL,
    -- When the group's head message is visible (the group can be received from); the largest
    -- bigint when the group holds no message.
    ready_at bigint NOT NULL,
    -- Ties between groups ready at the same time: the one that became ready first goes first.
    turn bigint NOT NULL,
    -- The seq of the group's newest message: the next one gets a larger seq.
    last_seq bigint NOT NULL,
    PRIMARY KEY (queue_uid, group_id)
);
-- Receives take the ready groups in the order they became ready.
CREATE INDEX fifo_groups_ready ON sqs_local.fifo_groups (queue_uid, ready_at, turn);

-- Standard queues' message groups (fair queues): the rank the group's next message gets.
CREATE TABLE sqs_local.fair_groups (
    queue_uid bigint NOT NULL,
    group_id text NOT NULL,
    next_rank bigint NOT NULL,
    PRIMARY KEY (queue_uid, group_id)
);

-- FIFO deduplication windows: a key is claimed once per window (INSERT ... ON CONFLICT).
CREATE TABLE sqs_local.dedup (
    queue_uid bigint NOT NULL,
    key text NOT NULL,
    message_id uuid NOT NULL,
    seq bigint NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (queue_uid, key)
);
-- Housekeeping removes expired entries.
CREATE INDEX dedup_expiry ON sqs_local.dedup (expires_at);

-- FIFO ReceiveRequestAttemptId: what a receive returned, for retries within 5 minutes.
CREATE TABLE sqs_local.receive_attempts (
    queue_uid bigint NOT NULL,
    attempt_id text NOT NULL,
    seqs bigint[] NOT NULL,
    nonces integer[] NOT NULL,
    visible_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (queue_uid, attempt_id)
);
CREATE INDEX receive_attempts_expiry ON sqs_local.receive_attempts (expires_at);

CREATE TABLE sqs_local.move_tasks (
    task_id text PRIMARY KEY,
    -- Orders a source's tasks, most recent last.
    created bigserial NOT NULL,
    source_arn text NOT NULL,
    destination_arn text,
    max_per_second integer,
    status text NOT NULL,
    moved bigint NOT NULL,
    to_move bigint NOT NULL,
    failure_reason text,
    started_at bigint NOT NULL,
    CONSTRAINT status_known CHECK (status IN ('RUNNING', 'COMPLETED', 'CANCELLING', 'CANCELLED', 'FAILED'))
);
-- One active task per source queue.
CREATE UNIQUE INDEX move_tasks_one_active ON sqs_local.move_tasks (source_arn) WHERE status IN ('RUNNING', 'CANCELLING');
CREATE INDEX move_tasks_by_source ON sqs_local.move_tasks (source_arn, created);

-- Single values: the admin clock's offset (key 'clock_offset').
CREATE TABLE sqs_local.meta (
    key text PRIMARY KEY,
    value bigint NOT NULL
);

-- SNS.
CREATE TABLE sqs_local.topics (
    arn text PRIMARY KEY,
    account text NOT NULL,
    region text NOT NULL,
    name text NOT NULL,
    created_at bigint NOT NULL,
    version bigint NOT NULL,
    data_protection_policy text,
    attribute_keys text[] NOT NULL,
    attribute_values text[] NOT NULL,
    tag_keys text[] NOT NULL,
    tag_values text[] NOT NULL,
    -- FIFO topics: the last sequence number given (20 digits).
    last_sequence numeric(20, 0),
    UNIQUE (account, region, name)
);

CREATE TABLE sqs_local.subscriptions (
    arn text PRIMARY KEY,
    -- Publish delivers in subscription order.
    created bigserial NOT NULL,
    topic_arn text NOT NULL,
    protocol text NOT NULL,
    endpoint text NOT NULL,
    owner text NOT NULL,
    attribute_keys text[] NOT NULL,
    attribute_values text[] NOT NULL,
    confirmed boolean NOT NULL,
    authenticated boolean NOT NULL,
    token text UNIQUE,
    version bigint NOT NULL,
    UNIQUE (topic_arn, protocol, endpoint)
);
CREATE INDEX subscriptions_by_topic ON sqs_local.subscriptions (topic_arn, created);

-- FIFO topics' deduplication windows.
CREATE TABLE sqs_local.topic_dedup (
    topic_arn text NOT NULL,
    key text NOT NULL,
    message_id text NOT NULL,
    sequence numeric(20, 0) NOT NULL,
    expires_at bigint NOT NULL,
    PRIMARY KEY (topic_arn, key)
);

-- Message seqs' low bits (see messages.seq); cached per session, so seqs of one millisecond
-- differ between sessions without a shared counter row.
CREATE SEQUENCE sqs_local.message_seqs CACHE 64;
-- fifo_groups.turn: not cached, so turns taken one after the other on any connections increase
-- (ready groups are served in the order they became ready).
CREATE SEQUENCE sqs_local.group_turns;

-- Queue tables change on every message: vacuum them early (the default waits for 20% dead rows).
ALTER TABLE sqs_local.messages SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01);
ALTER TABLE sqs_local.message_bodies SET (autovacuum_vacuum_scale_factor = 0.01);
ALTER TABLE sqs_local.fifo_groups SET (autovacuum_vacuum_scale_factor = 0.01);
ALTER TABLE sqs_local.dedup SET (autovacuum_vacuum_scale_factor = 0.01);
