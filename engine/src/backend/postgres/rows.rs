//! Rows to engine values and back: a queue's settings as columns, a message as its state and
//! body columns (the orders of `queue_columns!` and `message_columns!` in [`super::sql`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::backend::codec::{decode_attributes, scope_from, scope_name, status_from, throughput_from, throughput_name};
use crate::backend::memory::queue::Identity;
use crate::backend::memory::receipt::Receipt;
use crate::clock::Millis;
use crate::error::{SqsError, SqsResult};
use crate::message::{PeekState, ReceivedMessage};
use crate::move_task::MoveTask;
use crate::queue::{FifoConfig, QueueConfig, QueueInfo, QueueSettings, RedrivePolicy, ScopeChange};
use crate::types::{Namespace, QueueId};

/// A bigint column holding a u64 (the bits are kept).
pub fn int(value: u64) -> i64 {
    value as i64
}

pub fn uint(value: i64) -> u64 {
    value as u64
}

/// A stored value this build cannot read: the row was not written by it.
pub fn unreadable(what: impl std::fmt::Display) -> SqsError {
    SqsError::internal(format!("the database holds a value sqs-local cannot read: {what}"))
}

/// A queue as a row holds it.
#[derive(Debug, Clone)]
pub struct QueueRecord {
    pub ident: Arc<Identity>,
    pub info: Arc<QueueInfo>,
}

impl QueueRecord {
    pub fn uid(&self) -> i64 {
        int(self.ident.uid)
    }
}

/// Tags or attributes as the two arrays a row keeps them in.
pub fn pairs(map: &BTreeMap<String, String>) -> (Vec<&str>, Vec<&str>) {
    map.iter().map(|(k, v)| (k.as_str(), v.as_str())).unzip()
}

pub fn map_of(keys: Vec<String>, values: Vec<String>) -> BTreeMap<String, String> {
    keys.into_iter().zip(values).collect()
}

/// The settings columns of a queue, in the order of `UPDATE_SETTINGS` from `$4` on (the same
/// values `CREATE` takes from `$10` on).
pub struct SettingsColumns<'a> {
    delay: i32,
    max_size: i32,
    retention: i32,
    wait: i32,
    visibility: i32,
    policy: Option<&'a str>,
    dlq_arn: Option<&'a str>,
    max_receive: Option<i32>,
    allow: Option<&'a str>,
    kms: Option<&'a str>,
    kms_reuse: i32,
    sse: bool,
    content_based: Option<bool>,
    scope: Option<&'static str>,
    throughput: Option<&'static str>,
    scope_previous: Option<&'static str>,
    scope_effective: Option<i64>,
    tag_keys: Vec<&'a str>,
    tag_values: Vec<&'a str>,
}

impl<'a> SettingsColumns<'a> {
    pub fn of(settings: &'a QueueSettings) -> Self {
        let c = &settings.config;
        let fifo = c.fifo.as_ref();
        let (tag_keys, tag_values) = pairs(&settings.tags);
        SettingsColumns {
            delay: c.delay_seconds as i32,
            max_size: c.maximum_message_size as i32,
            retention: c.retention_seconds as i32,
            wait: c.receive_wait_seconds as i32,
            visibility: c.visibility_timeout as i32,
            policy: c.policy.as_deref(),
            dlq_arn: c.redrive_policy.as_ref().map(|p| p.dead_letter_target_arn.as_str()),
            max_receive: c.redrive_policy.as_ref().map(|p| p.max_receive_count as i32),
            allow: c.redrive_allow_policy.as_deref(),
            kms: c.kms_master_key_id.as_deref(),
            kms_reuse: c.kms_data_key_reuse_seconds as i32,
            sse: c.sqs_managed_sse,
            content_based: fifo.map(|f| f.content_based_dedup),
            scope: fifo.map(|f| scope_name(f.dedup_scope)),
            throughput: fifo.map(|f| throughput_name(f.throughput_limit)),
            scope_previous: fifo.and_then(|f| f.scope_change).map(|s| scope_name(s.previous)),
            scope_effective: fifo.and_then(|f| f.scope_change).map(|s| int(s.effective_at)),
            tag_keys,
            tag_values,
        }
    }

    pub fn params(&self) -> [&(dyn ToSql + Sync); 19] {
        [
            &self.delay,
            &self.max_size,
            &self.retention,
            &self.wait,
            &self.visibility,
            &self.policy,
            &self.dlq_arn,
            &self.max_receive,
            &self.allow,
            &self.kms,
            &self.kms_reuse,
            &self.sse,
            &self.content_based,
            &self.scope,
            &self.throughput,
            &self.scope_previous,
            &self.scope_effective,
            &self.tag_keys,
            &self.tag_values,
        ]
    }
}

/// A queue row (`queue_columns!`).
pub fn queue(row: &Row) -> SqsResult<QueueRecord> {
    let account: String = row.try_get(1).map_err(unreadable)?;
    let region: String = row.try_get(2).map_err(unreadable)?;
    let name: String = row.try_get(3).map_err(unreadable)?;
    let namespace = Namespace::parse(&account, &region).ok_or_else(|| unreadable("a queue's account or region"))?;
    let id = QueueId::new(namespace, name);
    let get_i32 = |i: usize| -> SqsResult<u32> { Ok(row.try_get::<_, i32>(i).map_err(unreadable)? as u32) };
    let redrive_policy = match (row.try_get::<_, Option<String>>(15), row.try_get::<_, Option<i32>>(16)) {
        (Ok(Some(arn)), Ok(Some(max))) => {
            let dead_letter_queue = QueueId::from_arn(&arn).ok_or_else(|| unreadable("a redrive policy's ARN"))?;
            Some(RedrivePolicy { dead_letter_target_arn: arn, dead_letter_queue, max_receive_count: max as u32 })
        }
        _ => None,
    };
    let fifo = if row.try_get::<_, bool>(21).map_err(unreadable)? {
        let scope_text: String = row.try_get(23).map_err(unreadable)?;
        let throughput_text: String = row.try_get(24).map_err(unreadable)?;
        let scope_change = match (row.try_get::<_, Option<String>>(25), row.try_get::<_, Option<i64>>(26)) {
            (Ok(Some(previous)), Ok(Some(at))) => Some(ScopeChange {
                previous: scope_from(&previous).ok_or_else(|| unreadable("a deduplication scope"))?,
                effective_at: uint(at),
            }),
            _ => None,
        };
        Some(FifoConfig {
            content_based_dedup: row.try_get::<_, Option<bool>>(22).map_err(unreadable)?.unwrap_or(false),
            dedup_scope: scope_from(&scope_text).ok_or_else(|| unreadable("a deduplication scope"))?,
            throughput_limit: throughput_from(&throughput_text).ok_or_else(|| unreadable("a throughput limit"))?,
            scope_change,
        })
    } else {
        None
    };
    let config = QueueConfig {
        delay_seconds: get_i32(9)?,
        maximum_message_size: get_i32(10)?,
        retention_seconds: get_i32(11)?,
        receive_wait_seconds: get_i32(12)?,
        visibility_timeout: get_i32(13)?,
        policy: row.try_get(14).map_err(unreadable)?,
        redrive_policy,
        redrive_allow_policy: row.try_get(17).map_err(unreadable)?,
        kms_master_key_id: row.try_get(18).map_err(unreadable)?,
        kms_data_key_reuse_seconds: get_i32(19)?,
        sqs_managed_sse: row.try_get(20).map_err(unreadable)?,
        fifo,
    };
    let tags = map_of(row.try_get(27).map_err(unreadable)?, row.try_get(28).map_err(unreadable)?);
    let created_at = uint(row.try_get(5).map_err(unreadable)?);
    let ident = Identity {
        arn: id.arn().into(),
        id: id.clone(),
        uid: uint(row.try_get(0).map_err(unreadable)?),
        sequence_salt: uint(row.try_get(4).map_err(unreadable)?),
        created_at,
    };
    let info = QueueInfo {
        arn: ident.arn.clone(),
        id,
        settings: Arc::new(QueueSettings { config, tags }),
        created_at,
        last_modified_at: uint(row.try_get(6).map_err(unreadable)?),
        version: uint(row.try_get(7).map_err(unreadable)?),
    };
    Ok(QueueRecord { ident: Arc::new(ident), info: Arc::new(info) })
}

/// A message row (`message_columns!`) as a receive hands it out, with its seq and rank.
pub struct MessageRow {
    pub seq: i64,
    pub rank: Option<i64>,
    pub state: i16,
    pub visible_at: i64,
    /// The receive the receipt handle names.
    pub nonce: i32,
    pub message: ReceivedMessage,
}

impl MessageRow {
    /// Where it is in its life cycle at `now`, and until when.
    pub fn peek_state(&self, now: Millis) -> (PeekState, Option<Millis>) {
        let until = uint(self.visible_at);
        match self.state {
            _ if until <= now => (PeekState::Available, None),
            1 => (PeekState::Delayed, Some(until)),
            2 => (PeekState::InFlight, Some(until)),
            _ => (PeekState::Available, None),
        }
    }
}

/// Reads a message row for a queue; the receipt handle names its current receive.
pub fn message(row: &Row, ident: &Identity) -> SqsResult<MessageRow> {
    let seq: i64 = row.try_get(0).map_err(unreadable)?;
    let nonce: i32 = row.try_get(7).map_err(unreadable)?;
    let attributes = match row.try_get::<_, Option<&[u8]>>(12).map_err(unreadable)? {
        Some(bytes) => decode_attributes(bytes).ok_or_else(|| unreadable(format!("message {seq}: attributes")))?,
        None => Vec::new(),
    };
    let text = |i: usize| -> SqsResult<Option<Arc<str>>> {
        Ok(row.try_get::<_, Option<&str>>(i).map_err(unreadable)?.map(Arc::from))
    };
    let is_fifo = row.try_get::<_, Option<i64>>(3).map_err(unreadable)?.is_none();
    let receipt = Receipt { queue_uid: ident.uid, seq: uint(seq), nonce: nonce as u32 };
    let message = ReceivedMessage {
        receipt_handle: receipt.encode(),
        id: row.try_get(10).map_err(unreadable)?,
        body: Arc::from(row.try_get::<_, &str>(11).map_err(unreadable)?),
        attributes: crate::message::shared_attributes(attributes),
        trace_header: text(15)?,
        group_id: text(4)?,
        dedup_id: text(14)?,
        sequence_number: is_fifo.then(|| ident.sequence_number(uint(seq))),
        sent_at: uint(row.try_get(13).map_err(unreadable)?),
        first_received_at: uint(row.try_get(8).map_err(unreadable)?),
        receive_count: row.try_get::<_, i32>(6).map_err(unreadable)? as u32,
        dead_letter_source_arn: text(16)?,
    };
    Ok(MessageRow {
        seq,
        rank: row.try_get(3).map_err(unreadable)?,
        state: row.try_get(1).map_err(unreadable)?,
        visible_at: row.try_get(2).map_err(unreadable)?,
        nonce,
        message,
    })
}

/// A move task row (`task_columns!`).
pub fn task(row: &Row) -> SqsResult<MoveTask> {
    let arn = |i: usize| -> SqsResult<Option<QueueId>> {
        match row.try_get::<_, Option<&str>>(i).map_err(unreadable)? {
            Some(arn) => QueueId::from_arn(arn).map(Some).ok_or_else(|| unreadable("a move task's queue ARN")),
            None => Ok(None),
        }
    };
    let status: &str = row.try_get(4).map_err(unreadable)?;
    Ok(MoveTask {
        task_id: row.try_get(0).map_err(unreadable)?,
        source: arn(1)?.ok_or_else(|| unreadable("a move task's source"))?,
        destination: arn(2)?,
        max_per_second: row.try_get::<_, Option<i32>>(3).map_err(unreadable)?.map(|n| n as u32),
        status: status_from(status).ok_or_else(|| unreadable("a move task's status"))?,
        moved: uint(row.try_get(5).map_err(unreadable)?),
        to_move: uint(row.try_get(6).map_err(unreadable)?),
        failure_reason: row.try_get(7).map_err(unreadable)?,
        started_at: uint(row.try_get(8).map_err(unreadable)?),
    })
}
