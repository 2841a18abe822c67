//! SNS state in the data directory: topics, subscriptions and their attributes and tags, in
//! plain tables of the same database (schema version 2). Topic changes are the control plane, so
//! they are written synchronously on a connection of their own, each in one transaction, before
//! the operation answers. FIFO topics' deduplication windows and sequence counters are not
//! stored: after a restart a window starts empty and sequence numbers continue from a
//! time-based start (README, deviations).

use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, Transaction};

use crate::backend::memory::topics::{MemoryTopics, TopicChange, TopicJournal};
use crate::error::{SqsError, SqsResult};
use crate::topic::{Confirmation, Subscription, Topic, TopicId, TopicSettings};
use crate::types::Namespace;

/// Writes topic changes to the database.
pub struct SqliteTopicJournal {
    conn: Mutex<Connection>,
}

fn storage_error(e: rusqlite::Error) -> SqsError {
    SqsError::internal(format!("the data directory could not be written: {e}"))
}

impl TopicJournal for SqliteTopicJournal {
    fn record(&self, changes: &[TopicChange]) -> SqsResult<()> {
        let mut conn = self.conn.lock().map_err(|_| SqsError::internal("topic journal lock poisoned"))?;
        let tx = conn.transaction().map_err(storage_error)?;
        for change in changes {
            write(&tx, change).map_err(storage_error)?;
        }
        tx.commit().map_err(storage_error)
    }
}

fn write(tx: &Transaction<'_>, change: &TopicChange) -> rusqlite::Result<()> {
    match change {
        TopicChange::Topic(topic) => {
            let arn = &*topic.arn;
            tx.execute(
                "INSERT OR REPLACE INTO topics (arn, account, region, name, created_at, version, data_protection_policy) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    arn,
                    topic.id.namespace.account.as_str(),
                    topic.id.namespace.region.as_str(),
                    &*topic.id.name,
                    topic.created_at as i64,
                    topic.version as i64,
                    topic.settings.data_protection_policy
                ],
            )?;
            tx.execute("DELETE FROM topic_attributes WHERE topic_arn = ?1", [arn])?;
            for (key, value) in &topic.settings.attributes {
                tx.execute(
                    "INSERT INTO topic_attributes (topic_arn, key, value) VALUES (?1, ?2, ?3)",
                    [arn, key, value],
                )?;
            }
            tx.execute("DELETE FROM topic_tags WHERE topic_arn = ?1", [arn])?;
            for (key, value) in &topic.settings.tags {
                tx.execute("INSERT INTO topic_tags (topic_arn, key, value) VALUES (?1, ?2, ?3)", [arn, key, value])?;
            }
        }
        TopicChange::TopicDeleted(id) => {
            let arn = id.arn();
            tx.execute("DELETE FROM topics WHERE arn = ?1", [&arn])?;
            tx.execute("DELETE FROM topic_attributes WHERE topic_arn = ?1", [&arn])?;
            tx.execute("DELETE FROM topic_tags WHERE topic_arn = ?1", [&arn])?;
        }
        TopicChange::Subscription(s) => {
            let (confirmed, authenticated) = match s.confirmation {
                Confirmation::Confirmed { authenticated } => (true, authenticated),
                Confirmation::Pending => (false, false),
            };
            tx.execute(
                "INSERT OR REPLACE INTO subscriptions (arn, topic_arn, protocol, endpoint, owner, confirmed, authenticated, token, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![&*s.arn, s.topic.arn(), &*s.protocol, &*s.endpoint, &*s.owner, confirmed, authenticated, s.token.as_deref(), s.version as i64],
            )?;
            tx.execute("DELETE FROM subscription_attributes WHERE subscription_arn = ?1", [&*s.arn])?;
            for (key, value) in &s.attributes {
                tx.execute(
                    "INSERT INTO subscription_attributes (subscription_arn, key, value) VALUES (?1, ?2, ?3)",
                    [&*s.arn, key, value],
                )?;
            }
        }
        TopicChange::SubscriptionDeleted(arn) => {
            tx.execute("DELETE FROM subscriptions WHERE arn = ?1", [&**arn])?;
            tx.execute("DELETE FROM subscription_attributes WHERE subscription_arn = ?1", [&**arn])?;
        }
        TopicChange::Reset => {
            tx.execute_batch(
                "DELETE FROM topics; DELETE FROM topic_attributes; DELETE FROM topic_tags; DELETE FROM subscriptions; DELETE FROM subscription_attributes;",
            )?;
        }
    }
    Ok(())
}

/// Pairs of (owner key, key, value) rows, by owner.
fn pairs(conn: &Connection, sql: &str) -> rusqlite::Result<std::collections::HashMap<String, Vec<(String, String)>>> {
    let mut map: std::collections::HashMap<String, Vec<(String, String)>> = std::collections::HashMap::new();
    let mut statement = conn.prepare(sql)?;
    let rows =
        statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    for row in rows {
        let (owner, key, value) = row?;
        map.entry(owner).or_default().push((key, value));
    }
    Ok(map)
}

/// Reads every topic and subscription back; `Err` names a row this build did not write.
fn load(conn: &Connection) -> Result<(Vec<Topic>, Vec<Subscription>), String> {
    let sqlite = |e: rusqlite::Error| e.to_string();
    let mut attributes = pairs(conn, "SELECT topic_arn, key, value FROM topic_attributes").map_err(sqlite)?;
    let mut tags = pairs(conn, "SELECT topic_arn, key, value FROM topic_tags").map_err(sqlite)?;
    let mut statement = conn
        .prepare("SELECT arn, account, region, name, created_at, version, data_protection_policy FROM topics")
        .map_err(sqlite)?;
    let rows = statement
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })
        .map_err(sqlite)?;
    let mut topics = Vec::new();
    for row in rows {
        let (arn, account, region, name, created_at, version, data_protection_policy) = row.map_err(sqlite)?;
        let namespace = Namespace::parse(&account, &region).ok_or_else(|| format!("topic {arn}"))?;
        let id = TopicId::new(namespace, name);
        if id.arn() != arn {
            return Err(format!("topic {arn}"));
        }
        let settings = TopicSettings {
            attributes: attributes.remove(&arn).unwrap_or_default().into_iter().collect(),
            tags: tags.remove(&arn).unwrap_or_default().into_iter().collect(),
            data_protection_policy,
        };
        topics.push(Topic { arn: arn.into(), id, settings, created_at: created_at as u64, version: version as u64 });
    }
    let by_arn: std::collections::HashMap<String, TopicId> =
        topics.iter().map(|t| (t.arn.to_string(), t.id.clone())).collect();
    let mut subscription_attributes =
        pairs(conn, "SELECT subscription_arn, key, value FROM subscription_attributes").map_err(sqlite)?;
    let mut statement = conn
        .prepare("SELECT arn, topic_arn, protocol, endpoint, owner, confirmed, authenticated, token, version FROM subscriptions ORDER BY rowid")
        .map_err(sqlite)?;
    let rows = statement
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, bool>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, i64>(8)?,
            ))
        })
        .map_err(sqlite)?;
    let mut subscriptions = Vec::new();
    for row in rows {
        let (arn, topic_arn, protocol, endpoint, owner, confirmed, authenticated, token, version) =
            row.map_err(sqlite)?;
        let topic = by_arn.get(&topic_arn).cloned().ok_or_else(|| format!("subscription {arn}"))?;
        subscriptions.push(Subscription {
            attributes: subscription_attributes.remove(&arn).unwrap_or_default().into_iter().collect(),
            arn: arn.into(),
            topic,
            protocol: protocol.into(),
            endpoint: endpoint.into(),
            owner: owner.into(),
            confirmation: if confirmed { Confirmation::Confirmed { authenticated } } else { Confirmation::Pending },
            token: token.map(Arc::from),
            version: version as u64,
        });
    }
    Ok((topics, subscriptions))
}

/// The topics of a prepared database, journaled to it on `conn` (a connection of their own).
pub fn open(conn: Connection) -> Result<(MemoryTopics, usize), String> {
    let (topics, subscriptions) = load(&conn)?;
    let count = topics.len();
    let journal = SqliteTopicJournal { conn: Mutex::new(conn) };
    Ok((MemoryTopics::restored(topics, subscriptions, Arc::new(journal)), count))
}
