//! Housekeeping: rows nothing reads any more are deleted in bounded batches, by one node at a
//! time. Receives already skip them (every query compares timestamps), so this keeps tables and
//! indexes small rather than keeping answers right:
//! - standard-queue messages past their queue's retention period (FIFO receives delete the ones
//!   they pass over);
//! - expired deduplication entries and `ReceiveRequestAttemptId` results;
//! - FIFO group rows of groups that hold no message.
//!
//! A sweep runs in a transaction that holds an advisory transaction lock: a node that does not get
//! it skips the round, so several nodes never sweep at once. Time is the database's clock plus the
//! admin clock's offset stored beside it, the same clock every node's engine follows.

use std::sync::Weak;
use std::time::Duration;

use deadpool_postgres::Pool;

use super::messages::execute;
use super::{client, pg_error, sql, Db};
use crate::error::SqsResult;

/// How often a node tries to sweep.
const INTERVAL: Duration = Duration::from_secs(5);

/// Most rows each statement deletes in one round; a round that hits it is followed at once by
/// another.
const BATCH: i64 = 1_000;

/// The advisory lock a sweep holds (any constant; this one spells "sqsclean").
const LOCK: i64 = 0x7371_7363_6c65_616e;

/// The engine clock, in epoch milliseconds, as the database sees it.
const NOW: &str = "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint \
     + COALESCE((SELECT value FROM sqs_local.meta WHERE key = 'clock_offset'), 0)";

/// Sweeps every [`INTERVAL`] while the backend lives.
pub fn start(db: Weak<Db>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(INTERVAL).await;
            let Some(pool) = db.upgrade().map(|db| db.pool.clone()) else { return };
            // A round that hit a limit is followed by another; an error waits for the next tick.
            while let Ok(true) = sweep(&pool).await {}
        }
    });
}

/// One round; true when a statement deleted as many rows as it may (more are left). Does nothing
/// while another node sweeps.
pub async fn sweep(pool: &Pool) -> SqsResult<bool> {
    let mut client = client(pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let locked: bool = tx.query_one("SELECT pg_try_advisory_xact_lock($1)", &[&LOCK]).await.map_err(pg_error)?.get(0);
    if !locked {
        return Ok(false);
    }
    let now: i64 = tx.query_one(NOW, &[]).await.map_err(pg_error)?.get(0);
    let mut more = false;
    more |= execute(&tx, sql::messages::SWEEP_EXPIRED, &[&now, &BATCH]).await? as i64 >= BATCH;
    more |= execute(&tx, sql::fifo::SWEEP_DEDUP, &[&now, &BATCH]).await? as i64 >= BATCH;
    more |= execute(&tx, sql::attempts::SWEEP, &[&now, &BATCH]).await? as i64 >= BATCH;
    more |= execute(&tx, sql::fifo::SWEEP_EMPTY_GROUPS, &[&BATCH]).await? as i64 >= BATCH;
    tx.commit().await.map_err(pg_error)?;
    Ok(more)
}
