//! `meta`: single values shared by every node.

pub const GET: &str = "SELECT value FROM sqs_local.meta WHERE key = $1";

pub const SET: &str =
    "INSERT INTO sqs_local.meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";

/// The key of the admin clock's offset.
pub const CLOCK_OFFSET: &str = "clock_offset";
