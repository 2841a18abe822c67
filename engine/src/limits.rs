//! AWS limits, as documented in
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html>
//! and the API reference.

use super::clock::Millis;

/// Longest a message may be delayed (`DelaySeconds`), in seconds.
pub const MAX_DELAY_SECONDS: i64 = 900;
/// Longest visibility timeout, and longest total in-flight time since a receive, in seconds.
pub const MAX_VISIBILITY_TIMEOUT: i64 = 43_200;
/// Longest long poll (`WaitTimeSeconds`), in seconds.
pub const MAX_WAIT_SECONDS: i64 = 20;
/// Smallest and largest `MaximumMessageSize` (and the default), in bytes: 1 KiB to 1 MiB.
pub const MIN_MESSAGE_SIZE: i64 = 1024;
pub const MAX_MESSAGE_SIZE: i64 = 1_048_576;
/// `MessageRetentionPeriod` range in seconds: 1 minute to 14 days; default 4 days.
pub const MIN_RETENTION: i64 = 60;
pub const MAX_RETENTION: i64 = 1_209_600;
pub const DEFAULT_RETENTION: i64 = 345_600;
/// Default `VisibilityTimeout` in seconds.
pub const DEFAULT_VISIBILITY_TIMEOUT: i64 = 30;
/// Most messages one ReceiveMessage returns, and most entries in one batch request.
pub const MAX_BATCH: usize = 10;
/// Most message attributes on one message.
pub const MAX_MESSAGE_ATTRIBUTES: usize = 10;
/// FIFO deduplication interval and `ReceiveRequestAttemptId` retry interval: 5 minutes.
pub const DEDUP_WINDOW: Millis = 5 * 60 * 1000;
/// After DeleteQueue, a queue with the same name can't be created for 60 seconds; a queue can
/// be purged once every 60 seconds.
pub const QUEUE_COOLDOWN: Millis = 60 * 1000;
/// How long a queue attribute change takes to propagate ("can take up to 60 seconds", SetQueueAttributes
/// API reference); sqs-local applies it to deduplication scope changes.
pub const ATTRIBUTE_PROPAGATION: Millis = 60 * 1000;
/// `maxReceiveCount` range of a RedrivePolicy.
pub const MAX_RECEIVE_COUNT: i64 = 1000;
/// Largest `MaxNumberOfMessagesPerSecond` of a message move task.
pub const MAX_MOVE_RATE: i64 = 500;

/// Seconds to milliseconds.
pub fn secs(seconds: u32) -> Millis {
    seconds as Millis * 1000
}
