//! Reading the database back into memory at start: queues with their settings and tags, every
//! message in send order, the live deduplication entries, deleted queue names and move tasks.
//! Receives never read the database afterwards.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row};

use crate::backend::codec::{decode_attributes, decode_state, scope_from, shared, status_from, uint};
use crate::backend::memory::message::{Message, MessageExtras};
use crate::backend::memory::queue::{Identity, MemQueue};
use crate::backend::memory::Restored;
use crate::clock::Millis;
use crate::message::{shared_attributes, SendOutcome};
use crate::move_task::MoveTask;
use crate::queue::{FifoConfig, QueueConfig, QueueInfo, QueueSettings, RedrivePolicy, ScopeChange, ThroughputLimit};
use crate::types::{Namespace, QueueId};

/// Why stored data could not be read.
#[derive(Debug)]
pub enum LoadError {
    Sqlite(rusqlite::Error),
    /// A row that this build did not write (damaged, or edited by hand).
    Invalid(String),
}

impl From<rusqlite::Error> for LoadError {
    fn from(e: rusqlite::Error) -> Self {
        LoadError::Sqlite(e)
    }
}

fn invalid(what: impl Into<String>) -> LoadError {
    LoadError::Invalid(what.into())
}

/// A queue row, before its tags, messages and deduplication entries are added.
struct QueueRow {
    ident: Identity,
    config: QueueConfig,
    last_modified_at: Millis,
    version: u64,
    last_purge_at: Option<Millis>,
}

fn queue_row(row: &Row<'_>) -> Result<QueueRow, LoadError> {
    let account: String = row.get("account")?;
    let region: String = row.get("region")?;
    let name: String = row.get("name")?;
    let namespace = Namespace::parse(&account, &region).ok_or_else(|| invalid(format!("queue {name}: namespace")))?;
    let id = QueueId::new(namespace, name.as_str());
    let fifo = if row.get::<_, bool>("fifo_queue")? {
        let scope = |column: &str| -> Result<Option<_>, LoadError> {
            let text: Option<String> = row.get(column)?;
            text.map(|t| scope_from(&t).ok_or_else(|| invalid(format!("queue {name}: {column} {t}")))).transpose()
        };
        let scope_change =
            match (scope("scope_change_previous")?, row.get::<_, Option<i64>>("scope_change_effective_at")?) {
                (Some(previous), Some(at)) => Some(ScopeChange { previous, effective_at: uint(at) }),
                _ => None,
            };
        let throughput: Option<String> = row.get("fifo_throughput_limit")?;
        Some(FifoConfig {
            content_based_dedup: row.get::<_, Option<bool>>("content_based_deduplication")?.unwrap_or(false),
            dedup_scope: scope("deduplication_scope")?.unwrap_or(crate::queue::DedupScope::Queue),
            throughput_limit: match throughput.as_deref() {
                Some("perMessageGroupId") => ThroughputLimit::PerMessageGroupId,
                _ => ThroughputLimit::PerQueue,
            },
            scope_change,
        })
    } else {
        None
    };
    let redrive_policy = match row.get::<_, Option<String>>("redrive_dead_letter_target_arn")? {
        Some(arn) => Some(RedrivePolicy {
            dead_letter_queue: QueueId::from_arn(&arn)
                .ok_or_else(|| invalid(format!("queue {name}: redrive {arn}")))?,
            dead_letter_target_arn: arn,
            max_receive_count: row.get::<_, Option<u32>>("redrive_max_receive_count")?.unwrap_or(1),
        }),
        None => None,
    };
    let config = QueueConfig {
        delay_seconds: row.get("delay_seconds")?,
        maximum_message_size: row.get("maximum_message_size")?,
        retention_seconds: row.get("message_retention_period")?,
        receive_wait_seconds: row.get("receive_message_wait_time_seconds")?,
        visibility_timeout: row.get("visibility_timeout")?,
        policy: row.get("policy")?,
        redrive_policy,
        redrive_allow_policy: row.get("redrive_allow_policy")?,
        kms_master_key_id: row.get("kms_master_key_id")?,
        kms_data_key_reuse_seconds: row.get("kms_data_key_reuse_period_seconds")?,
        sqs_managed_sse: row.get("sqs_managed_sse_enabled")?,
        fifo,
    };
    let ident = Identity {
        arn: id.arn().into(),
        id,
        uid: uint(row.get("uid")?),
        sequence_salt: uint(row.get("sequence_salt")?),
        created_at: uint(row.get("created_at")?),
    };
    Ok(QueueRow {
        ident,
        config,
        last_modified_at: uint(row.get("last_modified_at")?),
        version: uint(row.get("version")?),
        last_purge_at: row.get::<_, Option<i64>>("last_purge_at")?.map(uint),
    })
}

fn message_row(row: &Row<'_>) -> Result<(u64, u64, Message), LoadError> {
    let seq = uint(row.get(0)?);
    let uid = uint(row.get(1)?);
    // Read in place (no temporary copies): a restart reads every stored message once.
    let id = uuid::Uuid::from_slice(row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?)
        .map_err(|_| invalid(format!("message {seq}: id")))?;
    let body: Arc<str> = row.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?.into();
    let attributes = match row.get_ref(4)?.as_blob_or_null().map_err(rusqlite::Error::from)? {
        Some(bytes) => decode_attributes(bytes).ok_or_else(|| invalid(format!("message {seq}: attributes")))?,
        None => Vec::new(),
    };
    let extras = MessageExtras {
        dedup_id: shared(row.get(6)?),
        trace_header: shared(row.get(7)?),
        dead_letter_source_arn: shared(row.get(8)?),
    };
    let state = decode_state(row.get(14)?, row.get(15)?).ok_or_else(|| invalid(format!("message {seq}: state")))?;
    let message = Message {
        id,
        body,
        attributes: shared_attributes(attributes),
        group_id: shared(row.get(5)?),
        extras: MessageExtras::boxed(extras),
        sent_at: uint(row.get(9)?),
        enqueued_at: uint(row.get(10)?),
        first_received_at: uint(row.get(11)?),
        receive_count: row.get(12)?,
        nonce: row.get(13)?,
        state,
        received_at: uint(row.get(16)?),
    };
    Ok((seq, uid, message))
}

/// Messages decoded per hand-over from the reading thread to the inserting one.
const LOAD_BATCH: usize = 4096;

/// Reads every stored message, in send order, into its queue. Two threads share the work (a
/// restart with a million messages must be ready within seconds): this one runs the query and
/// decodes rows, a second one inserts them into the queues' stores.
fn load_messages(conn: &Connection, queues: HashMap<u64, MemQueue>) -> Result<HashMap<u64, MemQueue>, LoadError> {
    std::thread::scope(|scope| {
        let (batches, received) = std::sync::mpsc::sync_channel::<Vec<(u64, u64, Message)>>(8);
        let inserter = scope.spawn(move || {
            for batch in received {
                for (seq, uid, message) in batch {
                    // A message of a queue that no longer exists is left over from an interrupted delete.
                    if let Some(queue) = queues.get(&uid) {
                        queue.lock().restore_message(seq, message);
                    }
                }
            }
            queues
        });
        let read = (|| -> Result<(), LoadError> {
            let mut statement = conn.prepare(
                "SELECT seq, queue_uid, message_id, body, attributes, group_id, deduplication_id, aws_trace_header, dead_letter_queue_source_arn, sent_at, enqueued_at, first_received_at, receive_count, nonce, state, state_until, received_at FROM messages ORDER BY seq",
            )?;
            let mut query = statement.query([])?;
            let mut batch = Vec::with_capacity(LOAD_BATCH);
            while let Some(row) = query.next()? {
                batch.push(message_row(row)?);
                if batch.len() == LOAD_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(LOAD_BATCH));
                    if batches.send(full).is_err() {
                        break; // The inserter is gone; joining it reports why.
                    }
                }
            }
            let _ = batches.send(batch);
            Ok(())
        })();
        drop(batches);
        let queues = inserter.join().map_err(|_| invalid("a message could not be restored"))?;
        read.map(|()| queues)
    })
}

/// The admin clock's offset as stored (0 when none is).
pub fn clock_offset(conn: &Connection) -> Result<Millis, LoadError> {
    let stored: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'clock_offset_ms'", [], |r| r.get(0)).optional()?;
    match stored {
        None => Ok(0),
        Some(value) => value.parse().map_err(|_| LoadError::Invalid(format!("clock offset {value:?}"))),
    }
}

/// Reads everything back; `now` drops deduplication entries that expired while the process was
/// down (the rest of what time changed is applied as queues are used, as it is in memory).
pub fn load(conn: &Connection, journaled: bool, now: Millis) -> Result<Restored, LoadError> {
    let mut rows = Vec::new();
    let mut statement = conn.prepare("SELECT * FROM queues")?;
    let mut query = statement.query([])?;
    while let Some(row) = query.next()? {
        rows.push(queue_row(row)?);
    }
    let mut tags: HashMap<u64, BTreeMap<String, String>> = HashMap::new();
    let mut statement = conn.prepare("SELECT queue_uid, key, value FROM tags")?;
    let mut query = statement.query([])?;
    while let Some(row) = query.next()? {
        tags.entry(uint(row.get(0)?)).or_default().insert(row.get(1)?, row.get(2)?);
    }
    let stored_max = conn.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM messages", [], |r| r.get::<_, i64>(0))?;
    let high_water: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'next_seq'", [], |r| r.get(0)).optional()?;
    let high_water = high_water.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let seqs = Arc::new(AtomicU64::new(uint(stored_max).max(high_water)));
    let mut queues: HashMap<u64, MemQueue> = HashMap::new();
    for row in rows {
        let info = Arc::new(QueueInfo {
            id: row.ident.id.clone(),
            arn: row.ident.arn.clone(),
            settings: Arc::new(QueueSettings {
                config: row.config,
                tags: tags.remove(&row.ident.uid).unwrap_or_default(),
            }),
            created_at: row.ident.created_at,
            last_modified_at: row.last_modified_at,
            version: row.version,
        });
        let uid = row.ident.uid;
        queues.insert(uid, MemQueue::restore(row.ident, info, row.last_purge_at, seqs.clone(), journaled));
    }
    let queues = load_messages(conn, queues)?;
    let mut statement = conn.prepare(
        "SELECT queue_uid, key, message_id, sequence_number, expires_at FROM dedup WHERE expires_at > ?1 ORDER BY expires_at",
    )?;
    let mut query = statement.query([now as i64])?;
    while let Some(row) = query.next()? {
        let Some(queue) = queues.get(&uint(row.get(0)?)) else { continue };
        let key: String = row.get(1)?;
        let id_bytes: Vec<u8> = row.get(2)?;
        let message_id = uuid::Uuid::from_slice(&id_bytes).map_err(|_| invalid("dedup: message id"))?;
        let sequence_number = match row.get::<_, Option<String>>(3)? {
            Some(n) => Some(n.parse::<u128>().map_err(|_| invalid("dedup: sequence number"))?),
            None => None,
        };
        queue.lock().restore_dedup(key.into(), SendOutcome { message_id, sequence_number }, uint(row.get(4)?));
    }
    let mut deleted_at = HashMap::new();
    let mut statement = conn.prepare("SELECT account, region, name, deleted_at FROM deleted_queues")?;
    let mut query = statement.query([])?;
    while let Some(row) = query.next()? {
        let (account, region, name): (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        if let Some(namespace) = Namespace::parse(&account, &region) {
            deleted_at.insert(QueueId::new(namespace, name.as_str()), uint(row.get(3)?));
        }
    }
    let mut tasks = Vec::new();
    let mut statement = conn.prepare(
        "SELECT task_id, source_arn, destination_arn, max_per_second, status, moved, to_move, failure_reason, started_at FROM move_tasks ORDER BY started_at, rowid",
    )?;
    let mut query = statement.query([])?;
    while let Some(row) = query.next()? {
        let source: String = row.get(1)?;
        let status: String = row.get(4)?;
        tasks.push(MoveTask {
            task_id: row.get(0)?,
            source: QueueId::from_arn(&source).ok_or_else(|| invalid(format!("move task source {source}")))?,
            destination: row.get::<_, Option<String>>(2)?.as_deref().and_then(QueueId::from_arn),
            max_per_second: row.get(3)?,
            status: status_from(&status).ok_or_else(|| invalid(format!("move task status {status}")))?,
            moved: uint(row.get(5)?),
            to_move: uint(row.get(6)?),
            failure_reason: row.get(7)?,
            started_at: uint(row.get(8)?),
        });
    }
    Ok(Restored { queues: queues.into_values().collect(), deleted_at, tasks, seqs, clock_offset: 0 })
}
