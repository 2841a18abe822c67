//! Queue metadata: create, look up (through a short-lived per-node cache), list, change settings,
//! purge, delete.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;

use super::rows::{self, int, QueueRecord, SettingsColumns};
use super::{client, ms, pg_error, sql, Db};
use crate::backend::memory::queue::Identity;
use crate::backend::{Created, Purge, Update};
use crate::clock::Millis;
use crate::error::{SqsError, SqsResult};
use crate::queue::{NewQueue, QueueInfo, QueueSettings};
use crate::types::{Namespace, QueueId};

/// How long a node trusts a queue's settings without reading them again. A node's own changes
/// replace them at once and other nodes' changes arrive as notifications; this bounds how stale
/// they can be when notifications are lost (attribute changes "can take up to 60 seconds" on AWS).
const CACHE_TTL: Duration = Duration::from_secs(1);

/// Each queue's row as last read, by id.
#[derive(Default)]
pub struct QueueCache {
    entries: RwLock<HashMap<QueueId, (Arc<QueueRecord>, Instant)>>,
}

impl QueueCache {
    /// The queue, from the cache while fresh, else from the database; `QueueDoesNotExist` when
    /// there is none.
    pub async fn get(&self, pool: &Pool, id: &QueueId) -> SqsResult<Arc<QueueRecord>> {
        if let Some((record, at)) = self.entries.read().unwrap_or_else(|p| p.into_inner()).get(id) {
            if at.elapsed() < CACHE_TTL {
                return Ok(record.clone());
            }
        }
        match read(pool, id).await? {
            Some(record) => Ok(self.put(record)),
            None => {
                self.forget(id);
                Err(SqsError::queue_does_not_exist())
            }
        }
    }

    fn put(&self, record: QueueRecord) -> Arc<QueueRecord> {
        let record = Arc::new(record);
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        entries.insert(record.info.id.clone(), (record.clone(), Instant::now()));
        record
    }

    pub fn forget(&self, id: &QueueId) {
        self.entries.write().unwrap_or_else(|p| p.into_inner()).remove(id);
    }

    pub fn clear(&self) {
        self.entries.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

async fn read(pool: &Pool, id: &QueueId) -> SqsResult<Option<QueueRecord>> {
    let client = client(pool).await?;
    let statement = client.prepare_cached(sql::queues::BY_NAME).await.map_err(pg_error)?;
    let row = client
        .query_opt(&statement, &[&id.namespace.account.as_str(), &id.namespace.region.as_str(), &id.name()])
        .await
        .map_err(pg_error)?;
    row.map(|r| rows::queue(&r)).transpose()
}

pub async fn create(db: &Db, queue: NewQueue, now: Millis, deleted_since: Option<Millis>) -> SqsResult<Created> {
    let client = client(&db.pool).await?;
    let (account, region, name) =
        (queue.id.namespace.account.as_str(), queue.id.namespace.region.as_str(), queue.id.name());
    if let Some(since) = deleted_since {
        let statement = client.prepare_cached(sql::queues::DELETED_AT).await.map_err(pg_error)?;
        let row = client.query_opt(&statement, &[&account, &region, &name]).await.map_err(pg_error)?;
        if row.is_some_and(|r| rows::uint(r.get(0)) > since) {
            return Ok(Created::DeletedRecently);
        }
    }
    // Positive 63-bit ids read the same as bigints and as receipt-handle bits.
    let ident = Identity::new(queue.id.clone(), now);
    let ident = Identity { uid: ident.uid >> 1, ..ident };
    let settings = SettingsColumns::of(&queue.settings);
    let (uid, salt, created, version) = (int(ident.uid), int(ident.sequence_salt), ms(now), 1i64);
    let no_purge: Option<i64> = None;
    let fifo = queue.settings.config.fifo.is_some();
    let s = settings.params();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 29] = [
        &uid, &account, &region, &name, &salt, &created, &created, &version, &no_purge, s[0], s[1], s[2], s[3], s[4],
        s[5], s[6], s[7], s[8], s[9], s[10], s[11], &fifo, s[12], s[13], s[14], s[15], s[16], s[17], s[18],
    ];
    let statement = client.prepare_cached(sql::queues::CREATE).await.map_err(pg_error)?;
    let created_row = client.query_opt(&statement, &params).await.map_err(pg_error)?;
    drop(client);
    if created_row.is_none() {
        // The name is taken (perhaps by another node a moment ago): CreateQueue compares with it.
        return match read(&db.pool, &queue.id).await? {
            Some(existing) => Ok(Created::Existing(db.queues.put(existing).info.clone())),
            None => Err(SqsError::queue_does_not_exist()),
        };
    }
    let info = QueueInfo {
        id: queue.id.clone(),
        arn: ident.arn.clone(),
        settings: Arc::new(queue.settings),
        created_at: now,
        last_modified_at: now,
        version: 1,
    };
    let record = db.queues.put(QueueRecord { ident: Arc::new(ident), info: Arc::new(info) });
    Ok(Created::New(record.info.clone()))
}

/// LIKE's wildcards in a prefix, escaped.
fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub async fn list(db: &Db, namespace: &Namespace, prefix: &str) -> SqsResult<Vec<Arc<QueueInfo>>> {
    let client = client(&db.pool).await?;
    let statement = client.prepare_cached(sql::queues::LIST).await.map_err(pg_error)?;
    let found = client
        .query(&statement, &[&namespace.account.as_str(), &namespace.region.as_str(), &like_prefix(prefix)])
        .await
        .map_err(pg_error)?;
    found.iter().map(|row| Ok(db.queues.put(rows::queue(row)?).info.clone())).collect()
}

/// DeleteQueue: the row, every message and window, in one transaction; the name's deletion time
/// is recorded for the 60-second rule.
pub async fn delete(db: &Db, id: &QueueId, now: Millis) -> SqsResult<()> {
    let record = db.queues.get(&db.pool, id).await?;
    let mut client = client(&db.pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let uid = record.uid();
    let statement = tx.prepare_cached(sql::queues::DELETE).await.map_err(pg_error)?;
    if tx.query_opt(&statement, &[&uid]).await.map_err(pg_error)?.is_none() {
        db.queues.forget(id);
        return Err(SqsError::queue_does_not_exist());
    }
    empty(&tx, uid, true).await?;
    let statement = tx.prepare_cached(sql::queues::RECORD_DELETED).await.map_err(pg_error)?;
    let (account, region) = (id.namespace.account.as_str(), id.namespace.region.as_str());
    tx.execute(&statement, &[&account, &region, &id.name(), &ms(now)]).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    db.queues.forget(id);
    db.signals.queue_changed(id);
    Ok(())
}

/// Deletes a queue's messages and windows (the groups first: see `DELETE_FIFO_GROUPS`); with
/// `everything`, its fair-queue groups too.
async fn empty(tx: &deadpool_postgres::Transaction<'_>, uid: i64, everything: bool) -> SqsResult<()> {
    let mut statements = vec![
        sql::queues::DELETE_FIFO_GROUPS,
        sql::queues::DELETE_MESSAGES,
        sql::queues::DELETE_BODIES,
        sql::queues::DELETE_DEDUP,
        sql::queues::DELETE_ATTEMPTS,
    ];
    if everything {
        statements.push(sql::queues::DELETE_FAIR_GROUPS);
    }
    for text in statements {
        let statement = tx.prepare_cached(text).await.map_err(pg_error)?;
        tx.execute(&statement, &[&uid]).await.map_err(pg_error)?;
    }
    Ok(())
}

pub async fn update_settings(
    db: &Db,
    id: &QueueId,
    version: u64,
    settings: QueueSettings,
    now: Millis,
    modified: bool,
) -> SqsResult<Update> {
    let record = db.queues.get(&db.pool, id).await?;
    let client = client(&db.pool).await?;
    let last_modified = if modified { now } else { record.info.last_modified_at };
    let columns = SettingsColumns::of(&settings);
    let (uid, version_column, last_modified_column) = (record.uid(), int(version), ms(last_modified));
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        vec![&uid, &version_column, &last_modified_column];
    params.extend(columns.params());
    let statement = client.prepare_cached(sql::queues::UPDATE_SETTINGS).await.map_err(pg_error)?;
    let updated = client.query_opt(&statement, &params).await.map_err(pg_error)?;
    drop(params);
    drop(columns);
    db.queues.forget(id);
    let Some(row) = updated else {
        // Changed by someone else since `version`, or deleted: the caller reads again.
        db.queues.get(&db.pool, id).await?;
        return Ok(Update::Conflict);
    };
    let info = QueueInfo {
        settings: Arc::new(settings),
        version: rows::uint(row.get(0)),
        last_modified_at: last_modified,
        ..(*record.info).clone()
    };
    let record = db.queues.put(QueueRecord { info: Arc::new(info), ..(*record).clone() });
    db.signals.queue_changed(id);
    Ok(Update::Done(record.info.clone()))
}

/// PurgeQueue (and the admin's queue reset, `reset`: no 60-second rule after it).
pub async fn purge(db: &Db, id: &QueueId, now: Millis, purged_since: Option<Millis>, reset: bool) -> SqsResult<Purge> {
    let record = db.queues.get(&db.pool, id).await?;
    let mut client = client(&db.pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let uid = record.uid();
    let statement = tx.prepare_cached(sql::queues::LOCK_FOR_PURGE).await.map_err(pg_error)?;
    let Some(row) = tx.query_opt(&statement, &[&uid]).await.map_err(pg_error)? else {
        db.queues.forget(id);
        return Err(SqsError::queue_does_not_exist());
    };
    let last_purge: Option<i64> = row.get(0);
    if let (Some(since), Some(last)) = (purged_since, last_purge) {
        if rows::uint(last) > since {
            return Ok(Purge::TooSoon);
        }
    }
    empty(&tx, uid, false).await?;
    let purged_at = (!reset).then(|| ms(now));
    let statement = tx.prepare_cached(sql::queues::SET_LAST_PURGE).await.map_err(pg_error)?;
    tx.execute(&statement, &[&uid, &purged_at]).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    db.queues.forget(id);
    Ok(Purge::Done)
}

/// The admin reset: every queue, message and task gone.
pub async fn reset(db: &Db) -> SqsResult<()> {
    let mut client = client(&db.pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.batch_execute(sql::queues::RESET).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    db.queues.clear();
    db.signals.wake_all();
    Ok(())
}
