//! The shared backend: all state in PostgreSQL, so that queues outlive any one process and several
//! sqs-local processes can serve them. Unlike the durable backend (memory journaled to SQLite),
//! a node keeps no copy of state another node could change, except each queue's settings for at
//! most a second (see [`queues::QueueCache`]; a node's own changes and other nodes' notifications
//! drop them at once).
//!
//! Layout (style.md §6.7): [`sql`] holds every statement by table family and the migrations;
//! [`connect`] the URL, TLS, pool and migrations; `queues`, `messages`, `fifo` and `tasks` the
//! operations; `batch` group commit across requests; `listen` the long-poll wake signals across
//! nodes; `housekeeping` the sweeps of rows past their time; `topics` SNS's state.
//! Every operation is one statement or one transaction, correct when other processes run the same
//! operations on the same rows at the same time (each claiming statement says why).
//!
//! Errors: a database that cannot be reached (or a connection lost mid-request) answers
//! `ServiceUnavailable` (503, SQS's retryable error) within [`connect::CONNECT_TIMEOUT`]; the pool
//! reconnects by itself when the database returns. A request is answered only after its
//! transaction committed.

mod batch;
pub mod clock;
pub mod connect;
mod fifo;
mod housekeeping;
mod listen;
mod messages;
mod queues;
mod rows;
pub mod sql;
mod tasks;
mod topics;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::Pool;

use self::listen::Signals;
use self::queues::QueueCache;
use super::{Created, Purge, QueueBackend, StartTask, Update, Wake};
use crate::clock::Millis;
use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::message::{NewMessage, PeekPage, ReceiveBatch, ReceiveRequest, SendOutcome};
use crate::move_task::MoveTask;
use crate::queue::{NewQueue, QueueCounts, QueueInfo, QueueSettings};
use crate::types::{Namespace, QueueId};

pub use connect::ConnectError;
pub use topics::PostgresTopics;

/// How the backend reaches its database.
#[derive(Debug, Clone)]
pub struct Options {
    /// `postgres://user:password@host:port/database?sslmode=...`.
    pub url: String,
    /// Most connections the node holds.
    pub pool_size: usize,
    /// A waiting long poll looks again at least this often, whatever notifications say.
    pub poll_interval: Duration,
    /// Sweep rows past their time every few seconds (see `housekeeping`). Housekeeping follows
    /// the database's clock, so a caller whose engine runs on another clock (the conformance
    /// suite's paused one) turns it off.
    pub housekeeping: bool,
}

impl Options {
    pub fn new(url: impl Into<String>) -> Self {
        Options { url: url.into(), pool_size: 16, poll_interval: Duration::from_secs(1), housekeeping: true }
    }
}

/// What every operation shares.
pub(crate) struct Db {
    pub pool: Pool,
    /// Group commit of standard sends, receives and deletes.
    pub combiner: Arc<batch::Combiner>,
    pub queues: Arc<QueueCache>,
    pub signals: Arc<Signals>,
}

/// Queues in PostgreSQL.
pub struct PostgresBackend {
    db: Arc<Db>,
}

/// Connects, migrates, and starts the notification tasks. Must run inside a tokio runtime.
pub async fn open(options: &Options) -> Result<(PostgresBackend, PostgresTopics), ConnectError> {
    let connected = connect::connect(&options.url, options.pool_size).await?;
    let signals = Signals::new(options.poll_interval);
    let cache = Arc::new(QueueCache::default());
    signals.start(connected.pool.clone(), connected.listen, Arc::downgrade(&cache));
    let combiner = batch::Combiner::new(connected.pool.clone());
    let db = Arc::new(Db { pool: connected.pool.clone(), combiner, queues: cache, signals });
    if options.housekeeping {
        housekeeping::start(Arc::downgrade(&db));
    }
    Ok((PostgresBackend { db }, PostgresTopics::new(connected.pool)))
}

impl PostgresBackend {
    /// One housekeeping round now (it also runs every few seconds by itself): rows past their
    /// time deleted; true when more are left.
    pub async fn sweep(&self) -> SqsResult<bool> {
        housekeeping::sweep(&self.db.pool).await
    }

    /// Whether notifications from other nodes arrive.
    pub fn is_listening(&self) -> bool {
        self.db.signals.is_listening()
    }

    /// The connection pool's size and how many connections are idle.
    pub fn pool_status(&self) -> (usize, usize) {
        let status = self.db.pool.status();
        (status.size, status.available)
    }
}

/// The answer to a request when the database cannot be reached.
pub fn unavailable() -> SqsError {
    SqsError::new(ErrorCode::ServiceUnavailable, "The service is unavailable: its database cannot be reached.")
}

/// A database error as the client sees it: ServiceUnavailable when the database or the
/// connection is away (SDKs retry it), InternalError otherwise (logged with its detail; the
/// client sees no database text).
pub fn pg_error(e: tokio_postgres::Error) -> SqsError {
    let connection_lost = e.is_closed()
        || match e.code() {
            None => true,
            // Connection exceptions, shutdown, cannot connect now, too many connections.
            Some(code) => {
                let code = code.code();
                code.starts_with("08") || code.starts_with("57P") || code == "53300"
            }
        };
    if connection_lost {
        tracing::warn!(error = %e, "database unavailable");
        return unavailable();
    }
    tracing::error!(error = %e, "database error");
    SqsError::internal("The request could not be completed (database error).")
}

pub fn pool_error(e: deadpool_postgres::PoolError) -> SqsError {
    tracing::warn!(error = %e, "no database connection");
    unavailable()
}

/// A client from the pool.
pub(crate) async fn client(pool: &Pool) -> SqsResult<deadpool_postgres::Object> {
    pool.get().await.map_err(pool_error)
}

/// The longest one operation may take before it answers ServiceUnavailable (a database that
/// stopped answering mid-query; connections also give up on unacknowledged writes after
/// [`connect::CONNECT_TIMEOUT`] through TCP_USER_TIMEOUT, so the pool drops them).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

async fn bounded<T>(operation: impl std::future::Future<Output = SqsResult<T>>) -> SqsResult<T> {
    tokio::time::timeout(OPERATION_TIMEOUT, operation).await.unwrap_or_else(|_| {
        tracing::warn!("database operation timed out");
        Err(unavailable())
    })
}

/// Milliseconds as a bigint column.
pub(crate) fn ms(value: Millis) -> i64 {
    value.min(i64::MAX as u64) as i64
}

/// Messages enqueued at or before the returned time are past a retention period of `seconds`.
pub(crate) fn retention_cutoff(now: Millis, seconds: u32) -> i64 {
    ms(now) - seconds as i64 * 1000
}

#[async_trait]
impl QueueBackend for PostgresBackend {
    async fn create_queue(&self, queue: NewQueue, now: Millis, deleted_since: Option<Millis>) -> SqsResult<Created> {
        bounded(queues::create(&self.db, queue, now, deleted_since)).await
    }

    async fn queue(&self, id: &QueueId) -> SqsResult<Arc<QueueInfo>> {
        Ok(bounded(self.db.queues.get(&self.db.pool, id)).await?.info.clone())
    }

    async fn list_queues(&self, namespace: &Namespace, prefix: &str) -> SqsResult<Vec<Arc<QueueInfo>>> {
        bounded(queues::list(&self.db, namespace, prefix)).await
    }

    async fn delete_queue(&self, id: &QueueId, now: Millis) -> SqsResult<()> {
        bounded(queues::delete(&self.db, id, now)).await
    }

    async fn update_settings(
        &self,
        id: &QueueId,
        version: u64,
        settings: QueueSettings,
        now: Millis,
        modified: bool,
    ) -> SqsResult<Update> {
        bounded(queues::update_settings(&self.db, id, version, settings, now, modified)).await
    }

    async fn purge(&self, id: &QueueId, now: Millis, purged_since: Option<Millis>) -> SqsResult<Purge> {
        bounded(queues::purge(&self.db, id, now, purged_since, false)).await
    }

    async fn counts(&self, id: &QueueId, now: Millis) -> SqsResult<QueueCounts> {
        bounded(messages::counts(&self.db, id, now)).await
    }

    async fn send(
        &self,
        id: &QueueId,
        messages: Vec<NewMessage>,
        in_batch: bool,
        now: Millis,
    ) -> SqsResult<Vec<SqsResult<SendOutcome>>> {
        bounded(messages::send(&self.db, id, messages, in_batch, now)).await
    }

    async fn receive(&self, id: &QueueId, request: &ReceiveRequest, now: Millis) -> SqsResult<ReceiveBatch> {
        bounded(messages::receive(&self.db, id, request, now)).await
    }

    async fn delete_messages(&self, id: &QueueId, handles: &[String], now: Millis) -> SqsResult<Vec<SqsResult<()>>> {
        bounded(messages::delete(&self.db, id, handles, now)).await
    }

    async fn change_visibility(
        &self,
        id: &QueueId,
        changes: &[(String, u32)],
        now: Millis,
    ) -> SqsResult<Vec<SqsResult<()>>> {
        bounded(messages::change_visibility(&self.db, id, changes, now)).await
    }

    fn watch(&self, id: &QueueId) -> Wake {
        self.db.signals.watch(id)
    }

    async fn start_move_task(&self, task: MoveTask) -> SqsResult<StartTask> {
        bounded(tasks::start(&self.db, task)).await
    }

    async fn move_tasks(&self, source: &QueueId) -> SqsResult<Vec<MoveTask>> {
        bounded(tasks::of_source(&self.db, source)).await
    }

    async fn active_move_tasks(&self) -> SqsResult<Vec<MoveTask>> {
        bounded(tasks::active(&self.db)).await
    }

    async fn advance_move_task(&self, task_id: &str, limit: u64, now: Millis) -> SqsResult<MoveTask> {
        bounded(tasks::advance(&self.db, task_id, limit, now)).await
    }

    async fn cancel_move_task(&self, source: &QueueId, task_id: &str) -> SqsResult<Option<MoveTask>> {
        bounded(tasks::cancel(&self.db, source, task_id)).await
    }

    async fn peek(&self, id: &QueueId, after: Option<u64>, limit: usize, now: Millis) -> SqsResult<PeekPage> {
        bounded(messages::peek(&self.db, id, after, limit, now)).await
    }

    async fn delete_at(&self, id: &QueueId, position: u64, message_id: uuid::Uuid, now: Millis) -> SqsResult<bool> {
        bounded(messages::delete_at(&self.db, id, position, message_id, now)).await
    }

    async fn reset_queue(&self, id: &QueueId, now: Millis) -> SqsResult<()> {
        bounded(queues::purge(&self.db, id, now, None, true)).await.map(|_| ())
    }

    async fn reset(&self, _now: Millis) -> SqsResult<()> {
        bounded(queues::reset(&self.db)).await
    }

    async fn clock_offset(&self) -> SqsResult<Millis> {
        let client = client(&self.db.pool).await?;
        let statement = client.prepare_cached(sql::meta::GET).await.map_err(pg_error)?;
        let row = client.query_opt(&statement, &[&sql::meta::CLOCK_OFFSET]).await.map_err(pg_error)?;
        Ok(row.map_or(0, |r| rows::uint(r.get(0))))
    }

    async fn set_clock_offset(&self, offset: Millis, _now: Millis) -> SqsResult<()> {
        let client = client(&self.db.pool).await?;
        let statement = client.prepare_cached(sql::meta::SET).await.map_err(pg_error)?;
        client.execute(&statement, &[&sql::meta::CLOCK_OFFSET, &ms(offset)]).await.map_err(pg_error)?;
        Ok(())
    }

    /// The database answers a query within [`connect::CONNECT_TIMEOUT`].
    async fn ready(&self) -> bool {
        let check = async {
            let client = self.db.pool.get().await.ok()?;
            client.simple_query("SELECT 1").await.ok()
        };
        matches!(tokio::time::timeout(connect::CONNECT_TIMEOUT, check).await, Ok(Some(_)))
    }
}
