//! `topics`, `subscriptions` and `topic_dedup` (SNS).

macro_rules! topic_columns {
    () => {
        "arn, account, region, name, created_at, version, data_protection_policy, attribute_keys, \
         attribute_values, tag_keys, tag_values"
    };
}

macro_rules! subscription_columns {
    () => {
        "arn, topic_arn, protocol, endpoint, owner, attribute_keys, attribute_values, confirmed, authenticated, \
         token, version"
    };
}

/// Creates a topic unless one of that name exists (the unique name makes concurrent creates make one).
pub const CREATE_TOPIC: &str = concat!(
    "INSERT INTO sqs_local.topics (",
    topic_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING arn"
);

pub const TOPIC: &str = concat!("SELECT ", topic_columns!(), " FROM sqs_local.topics WHERE arn = $1");

/// A page of a namespace's topics after the name `$3`, in name order.
pub const LIST_TOPICS: &str = concat!(
    "SELECT ",
    topic_columns!(),
    " FROM sqs_local.topics WHERE account = $1 AND region = $2 AND name COLLATE \"C\" > $3 \
     ORDER BY name COLLATE \"C\" LIMIT $4"
);

/// Deletes a topic with its subscriptions and deduplication window.
pub const DELETE_TOPIC: &str = "WITH s AS (DELETE FROM sqs_local.subscriptions WHERE topic_arn = $1), \
     d AS (DELETE FROM sqs_local.topic_dedup WHERE topic_arn = $1) \
     DELETE FROM sqs_local.topics WHERE arn = $1";

/// Compare-and-set on the version, as for queues.
pub const UPDATE_TOPIC: &str = concat!(
    "UPDATE sqs_local.topics SET version = version + 1, data_protection_policy = $3, attribute_keys = $4, \
     attribute_values = $5, tag_keys = $6, tag_values = $7 WHERE arn = $1 AND version = $2 RETURNING ",
    topic_columns!()
);

/// Subscribes unless the topic has a subscription with that protocol and endpoint (the unique
/// constraint makes two nodes subscribing the same endpoint at once make one).
pub const SUBSCRIBE: &str = concat!(
    "INSERT INTO sqs_local.subscriptions (",
    subscription_columns!(),
    ") SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1 WHERE EXISTS (SELECT 1 FROM sqs_local.topics WHERE arn = $2) \
     ON CONFLICT (topic_arn, protocol, endpoint) DO NOTHING RETURNING arn"
);

pub const SUBSCRIPTION_BY_ENDPOINT: &str = concat!(
    "SELECT ",
    subscription_columns!(),
    " FROM sqs_local.subscriptions WHERE topic_arn = $1 AND protocol = $2 AND endpoint = $3"
);

pub const SUBSCRIPTION: &str =
    concat!("SELECT ", subscription_columns!(), " FROM sqs_local.subscriptions WHERE arn = $1");

pub const BY_TOKEN: &str =
    concat!("SELECT ", subscription_columns!(), " FROM sqs_local.subscriptions WHERE token = $1");

pub const OF_TOPIC: &str =
    concat!("SELECT ", subscription_columns!(), " FROM sqs_local.subscriptions WHERE topic_arn = $1 ORDER BY created");

/// A page of subscriptions whose ARNs start with `$1` and sort after `$2`, in ARN order.
pub const LIST_SUBSCRIPTIONS: &str = concat!(
    "SELECT ",
    subscription_columns!(),
    " FROM sqs_local.subscriptions WHERE starts_with(arn, $1) AND arn COLLATE \"C\" > $2 \
     ORDER BY arn COLLATE \"C\" LIMIT $3"
);

pub const UPDATE_SUBSCRIPTION: &str = concat!(
    "UPDATE sqs_local.subscriptions SET version = version + 1, attribute_keys = $3, attribute_values = $4, \
     confirmed = $5, authenticated = $6 WHERE arn = $1 AND version = $2 RETURNING ",
    subscription_columns!()
);

pub const UNSUBSCRIBE: &str =
    concat!("DELETE FROM sqs_local.subscriptions WHERE arn = $1 RETURNING ", subscription_columns!());

/// Admits a message to a FIFO topic: claims its deduplication key (waiting for a concurrent claim
/// of the same key, then seeing it) and takes the next sequence number from the topic row (which
/// it locks, so sequence numbers follow commit order). No row: the key was taken within the window.
/// `$1` topic, `$2` key, `$3` message id, `$4` now, `$5` expiry, `$6` the clock's sequence floor.
pub const PUBLISH_FIFO: &str = "WITH claim AS ( \
       INSERT INTO sqs_local.topic_dedup AS d (topic_arn, key, message_id, sequence, expires_at) \
       VALUES ($1, $2, $3, 0, $5) \
       ON CONFLICT (topic_arn, key) DO UPDATE \
         SET message_id = EXCLUDED.message_id, sequence = 0, expires_at = EXCLUDED.expires_at \
         WHERE d.expires_at <= $4 \
       RETURNING key \
     ) \
     UPDATE sqs_local.topics t SET last_sequence = GREATEST(COALESCE(t.last_sequence + 1, 0), $6::text::numeric) \
     FROM claim WHERE t.arn = $1 RETURNING t.last_sequence::text";

pub const SET_DEDUP_SEQUENCE: &str =
    "UPDATE sqs_local.topic_dedup SET sequence = $3::text::numeric WHERE topic_arn = $1 AND key = $2";

pub const DEDUP_ORIGINAL: &str =
    "SELECT message_id, sequence::text FROM sqs_local.topic_dedup WHERE topic_arn = $1 AND key = $2";

pub const RESET: &str =
    "DELETE FROM sqs_local.subscriptions; DELETE FROM sqs_local.topic_dedup; DELETE FROM sqs_local.topics";
