//! SNS topics, subscriptions and FIFO topics' deduplication windows in PostgreSQL.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::messages::{execute, query};
use super::rows::{map_of, pairs, uint, unreadable};
use super::{client, ms, pg_error, sql};
use crate::backend::topics::{NewSubscription, TopicBackend};
use crate::clock::Millis;
use crate::error::SqsResult;
use crate::topic::{Changed, Confirmation, FifoPublish, Made, Subscription, Topic, TopicId, TopicSettings};
use crate::types::Namespace;

pub struct PostgresTopics {
    pool: Pool,
}

impl PostgresTopics {
    pub fn new(pool: Pool) -> Self {
        PostgresTopics { pool }
    }
}

fn topic(row: &Row) -> SqsResult<Arc<Topic>> {
    let get = |i: usize| -> SqsResult<String> { row.try_get(i).map_err(unreadable) };
    let namespace = Namespace::parse(&get(1)?, &get(2)?).ok_or_else(|| unreadable("a topic's namespace"))?;
    let id = TopicId::new(namespace, get(3)?);
    let settings = TopicSettings {
        attributes: map_of(row.try_get(7).map_err(unreadable)?, row.try_get(8).map_err(unreadable)?),
        tags: map_of(row.try_get(9).map_err(unreadable)?, row.try_get(10).map_err(unreadable)?),
        data_protection_policy: row.try_get(6).map_err(unreadable)?,
    };
    Ok(Arc::new(Topic {
        arn: get(0)?.into(),
        id,
        settings,
        created_at: uint(row.try_get(4).map_err(unreadable)?),
        version: uint(row.try_get(5).map_err(unreadable)?),
    }))
}

/// The topic an ARN of `arn:aws:sns:<region>:<account>:<name>` names.
fn topic_id(arn: &str) -> SqsResult<TopicId> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "sns", region, account, name] => {
            let namespace = Namespace::parse(account, region).ok_or_else(|| unreadable("a topic ARN"))?;
            Ok(TopicId::new(namespace, *name))
        }
        _ => Err(unreadable("a topic ARN")),
    }
}

fn subscription(row: &Row) -> SqsResult<Arc<Subscription>> {
    let text = |i: usize| -> SqsResult<Arc<str>> { Ok(Arc::from(row.try_get::<_, &str>(i).map_err(unreadable)?)) };
    let confirmed: bool = row.try_get(7).map_err(unreadable)?;
    let authenticated: bool = row.try_get(8).map_err(unreadable)?;
    Ok(Arc::new(Subscription {
        arn: text(0)?,
        topic: topic_id(row.try_get(1).map_err(unreadable)?)?,
        protocol: text(2)?,
        endpoint: text(3)?,
        owner: text(4)?,
        attributes: map_of(row.try_get(5).map_err(unreadable)?, row.try_get(6).map_err(unreadable)?),
        confirmation: if confirmed { Confirmation::Confirmed { authenticated } } else { Confirmation::Pending },
        token: row.try_get::<_, Option<&str>>(9).map_err(unreadable)?.map(Arc::from),
        version: uint(row.try_get(10).map_err(unreadable)?),
    }))
}

fn confirmation_columns(confirmation: &Confirmation) -> (bool, bool) {
    match confirmation {
        Confirmation::Confirmed { authenticated } => (true, *authenticated),
        Confirmation::Pending => (false, false),
    }
}

fn one<T>(rows: &[Row], read: impl Fn(&Row) -> SqsResult<T>) -> SqsResult<Option<T>> {
    rows.first().map(read).transpose()
}

#[async_trait]
impl TopicBackend for PostgresTopics {
    async fn create_topic(&self, id: TopicId, settings: TopicSettings, now: Millis) -> SqsResult<Made<Arc<Topic>>> {
        let client = client(&self.pool).await?;
        let arn = id.arn();
        let (attribute_keys, attribute_values) = pairs(&settings.attributes);
        let (tag_keys, tag_values) = pairs(&settings.tags);
        let params: [&(dyn ToSql + Sync); 10] = [
            &arn,
            &id.namespace.account.as_str(),
            &id.namespace.region.as_str(),
            &&*id.name,
            &ms(now),
            &settings.data_protection_policy,
            &attribute_keys,
            &attribute_values,
            &tag_keys,
            &tag_values,
        ];
        let made = !query(&client, sql::topics::CREATE_TOPIC, &params).await?.is_empty();
        let rows = query(&client, sql::topics::TOPIC, &[&arn]).await?;
        let stored = one(&rows, topic)?.ok_or_else(|| unreadable("a topic just created"))?;
        Ok(if made { Made::New(stored) } else { Made::Existing(stored) })
    }

    async fn topic(&self, id: &TopicId) -> SqsResult<Option<Arc<Topic>>> {
        let client = client(&self.pool).await?;
        one(&query(&client, sql::topics::TOPIC, &[&id.arn()]).await?, topic)
    }

    async fn list_topics(
        &self,
        namespace: &Namespace,
        after: Option<&str>,
        limit: usize,
    ) -> SqsResult<Vec<Arc<Topic>>> {
        let client = client(&self.pool).await?;
        let params: [&(dyn ToSql + Sync); 4] =
            [&namespace.account.as_str(), &namespace.region.as_str(), &after.unwrap_or(""), &(limit as i64)];
        query(&client, sql::topics::LIST_TOPICS, &params).await?.iter().map(topic).collect()
    }

    async fn delete_topic(&self, id: &TopicId) -> SqsResult<()> {
        let client = client(&self.pool).await?;
        execute(&client, sql::topics::DELETE_TOPIC, &[&id.arn()]).await?;
        Ok(())
    }

    async fn update_topic(
        &self,
        id: &TopicId,
        version: u64,
        settings: TopicSettings,
    ) -> SqsResult<Changed<Arc<Topic>>> {
        let client = client(&self.pool).await?;
        let arn = id.arn();
        let (attribute_keys, attribute_values) = pairs(&settings.attributes);
        let (tag_keys, tag_values) = pairs(&settings.tags);
        let version = version as i64;
        let params: [&(dyn ToSql + Sync); 7] = [
            &arn,
            &version,
            &settings.data_protection_policy,
            &attribute_keys,
            &attribute_values,
            &tag_keys,
            &tag_values,
        ];
        if let Some(updated) = one(&query(&client, sql::topics::UPDATE_TOPIC, &params).await?, topic)? {
            return Ok(Changed::Done(updated));
        }
        let exists = !query(&client, sql::topics::TOPIC, &[&arn]).await?.is_empty();
        Ok(if exists { Changed::Conflict } else { Changed::Missing })
    }

    async fn subscribe(&self, new: NewSubscription) -> SqsResult<Option<Made<Arc<Subscription>>>> {
        let client = client(&self.pool).await?;
        let topic_arn = new.topic.arn();
        let arn = format!("{topic_arn}:{}", uuid::Uuid::new_v4());
        let (attribute_keys, attribute_values) = pairs(&new.attributes);
        let (confirmed, authenticated) = confirmation_columns(&new.confirmation);
        let params: [&(dyn ToSql + Sync); 10] = [
            &arn,
            &topic_arn,
            &new.protocol,
            &new.endpoint,
            &new.owner,
            &attribute_keys,
            &attribute_values,
            &confirmed,
            &authenticated,
            &new.token,
        ];
        let made = !query(&client, sql::topics::SUBSCRIBE, &params).await?.is_empty();
        if made {
            let rows = query(&client, sql::topics::SUBSCRIPTION, &[&arn]).await?;
            return Ok(one(&rows, subscription)?.map(Made::New));
        }
        let params: [&(dyn ToSql + Sync); 3] = [&topic_arn, &new.protocol, &new.endpoint];
        let rows = query(&client, sql::topics::SUBSCRIPTION_BY_ENDPOINT, &params).await?;
        Ok(one(&rows, subscription)?.map(Made::Existing))
    }

    async fn subscription(&self, arn: &str) -> SqsResult<Option<Arc<Subscription>>> {
        let client = client(&self.pool).await?;
        one(&query(&client, sql::topics::SUBSCRIPTION, &[&arn]).await?, subscription)
    }

    async fn subscriptions(&self, topic: &TopicId) -> SqsResult<Arc<[Arc<Subscription>]>> {
        let client = client(&self.pool).await?;
        let rows = query(&client, sql::topics::OF_TOPIC, &[&topic.arn()]).await?;
        let list: Vec<Arc<Subscription>> = rows.iter().map(subscription).collect::<SqsResult<_>>()?;
        Ok(list.into())
    }

    async fn list_subscriptions(
        &self,
        namespace: &Namespace,
        topic: Option<&TopicId>,
        after: Option<&str>,
        limit: usize,
    ) -> SqsResult<Vec<Arc<Subscription>>> {
        let client = client(&self.pool).await?;
        let prefix = match topic {
            Some(topic) => format!("{}:", topic.arn()),
            None => format!("arn:aws:sns:{}:{}:", namespace.region, namespace.account),
        };
        let params: [&(dyn ToSql + Sync); 3] = [&prefix, &after.unwrap_or(""), &(limit as i64)];
        query(&client, sql::topics::LIST_SUBSCRIPTIONS, &params).await?.iter().map(subscription).collect()
    }

    async fn update_subscription(
        &self,
        arn: &str,
        version: u64,
        attributes: BTreeMap<String, String>,
        confirmation: Confirmation,
    ) -> SqsResult<Changed<Arc<Subscription>>> {
        let client = client(&self.pool).await?;
        let (keys, values) = pairs(&attributes);
        let (confirmed, authenticated) = confirmation_columns(&confirmation);
        let version = version as i64;
        let params: [&(dyn ToSql + Sync); 6] = [&arn, &version, &keys, &values, &confirmed, &authenticated];
        if let Some(updated) = one(&query(&client, sql::topics::UPDATE_SUBSCRIPTION, &params).await?, subscription)? {
            return Ok(Changed::Done(updated));
        }
        let exists = !query(&client, sql::topics::SUBSCRIPTION, &[&arn]).await?.is_empty();
        Ok(if exists { Changed::Conflict } else { Changed::Missing })
    }

    async fn by_token(&self, token: &str) -> SqsResult<Option<Arc<Subscription>>> {
        let client = client(&self.pool).await?;
        one(&query(&client, sql::topics::BY_TOKEN, &[&token]).await?, subscription)
    }

    async fn unsubscribe(&self, arn: &str) -> SqsResult<Option<Arc<Subscription>>> {
        let client = client(&self.pool).await?;
        one(&query(&client, sql::topics::UNSUBSCRIBE, &[&arn]).await?, subscription)
    }

    async fn publish_fifo(
        &self,
        topic: &TopicId,
        dedup_key: &str,
        message_id: &str,
        now: Millis,
        window: Millis,
    ) -> SqsResult<FifoPublish> {
        let mut client = client(&self.pool).await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        let arn = topic.arn();
        let floor = crate::topic::fifo_sequence_floor(now).to_string();
        let params: [&(dyn ToSql + Sync); 6] =
            [&arn, &dedup_key, &message_id, &ms(now), &ms(now.saturating_add(window)), &floor];
        let claimed = query(&tx, sql::topics::PUBLISH_FIFO, &params).await?;
        let outcome = match claimed.first() {
            Some(row) => {
                let sequence: String = row.get(0);
                execute(&tx, sql::topics::SET_DEDUP_SEQUENCE, &[&arn, &dedup_key, &sequence]).await?;
                FifoPublish::New { sequence: sequence.parse().map_err(|_| unreadable("a topic sequence number"))? }
            }
            None => {
                let rows = query(&tx, sql::topics::DEDUP_ORIGINAL, &[&arn, &dedup_key]).await?;
                let row = rows.first().ok_or_else(|| unreadable("a topic's deduplication entry"))?;
                let (original, sequence): (String, String) = (row.get(0), row.get(1));
                FifoPublish::Duplicate {
                    message_id: original.into(),
                    sequence: sequence.parse().map_err(|_| unreadable("a topic sequence number"))?,
                }
            }
        };
        tx.commit().await.map_err(pg_error)?;
        Ok(outcome)
    }

    async fn reset(&self) -> SqsResult<()> {
        let mut client = client(&self.pool).await?;
        let tx = client.transaction().await.map_err(pg_error)?;
        tx.batch_execute(sql::topics::RESET).await.map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)
    }
}
