//! One clock for every node: the database server's.
//!
//! A node's engine clock is its monotonic clock anchored, at start, to the database server's wall
//! clock (read once, the round trip halved), so nodes on different hosts agree on deadlines,
//! delays and timestamps to within a round trip, whatever their own wall clocks say. The admin
//! clock's offset is stored in the database too.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{client, pg_error, PostgresBackend};
use crate::clock::{Clock, Millis, TokioClock};
use crate::error::SqsResult;

pub async fn database_clock(backend: &PostgresBackend) -> SqsResult<Arc<dyn Clock>> {
    let client = client(&backend.db.pool).await?;
    let asked = Instant::now();
    let row = client
        .query_one("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint", &[])
        .await
        .map_err(pg_error)?;
    let server_ms: i64 = row.get(0);
    let half_trip = asked.elapsed() / 2;
    let now = server_ms as Millis + half_trip.as_millis() as Millis;
    let local = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    if (local - now as i64).abs() > 1_000 {
        tracing::warn!(
            skew_ms = local - now as i64,
            "this host's clock differs from the database's; using the database's"
        );
    }
    Ok(Arc::new(TokioClock::starting_at(now)))
}
