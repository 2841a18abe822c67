//! Topics and subscriptions in memory: one map of topics (in name order, for paging), one of
//! subscriptions (in ARN order: a subscription's ARN starts with its topic's, which starts with its
//! namespace, so every listing is a range), and per topic the list Publish reads and its FIFO
//! deduplication window. With a [`TopicJournal`], every change is also written to it before the
//! operation answers.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Bound;
use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;

use crate::backend::topics::{NewSubscription, TopicBackend};
use crate::clock::Millis;
use crate::error::{SqsError, SqsResult};
use crate::topic::{Changed, Confirmation, FifoPublish, Made, Subscription, Topic, TopicId, TopicSettings};
use crate::types::Namespace;

/// One change to topic state, for a journal that keeps it elsewhere.
#[derive(Debug, Clone)]
pub enum TopicChange {
    /// A topic created or changed: the whole record.
    Topic(Arc<Topic>),
    /// A topic deleted (its subscriptions go by their own changes).
    TopicDeleted(TopicId),
    Subscription(Arc<Subscription>),
    SubscriptionDeleted(Arc<str>),
    Reset,
}

/// Where [`MemoryTopics`] writes its changes. Topic changes are rare (they are the control
/// plane), so a journal writes them synchronously: the change is durable when `record` returns.
pub trait TopicJournal: Send + Sync + 'static {
    fn record(&self, changes: &[TopicChange]) -> SqsResult<()>;
}

/// A FIFO topic's deduplication window: ids in the order they were admitted (the window is the
/// same length for every id, so that is also the order they expire in).
#[derive(Default)]
struct FifoWindow {
    next_sequence: u128,
    admitted: HashMap<Arc<str>, (Arc<str>, u128, Millis)>,
    expiry: VecDeque<(Millis, Arc<str>)>,
}

impl FifoWindow {
    fn admit(&mut self, key: &str, message_id: &str, now: Millis, window: Millis) -> FifoPublish {
        while self.expiry.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((at, key)) = self.expiry.pop_front() {
                if self.admitted.get(&key).is_some_and(|(_, _, expires)| *expires == at) {
                    self.admitted.remove(&key);
                }
            }
        }
        if let Some((message_id, sequence, _)) = self.admitted.get(key) {
            return FifoPublish::Duplicate { message_id: message_id.clone(), sequence: *sequence };
        }
        // Above the last one, and above any a previous process handed out (time-based start).
        let sequence = self.next_sequence.max(crate::topic::fifo_sequence_floor(now));
        self.next_sequence = sequence + 1;
        let key: Arc<str> = key.into();
        self.admitted.insert(key.clone(), (message_id.into(), sequence, now + window));
        self.expiry.push_back((now + window, key));
        FifoPublish::New { sequence }
    }
}

struct TopicEntry {
    topic: Arc<Topic>,
    /// What Publish delivers to, in subscription order; replaced whole on a change.
    subscriptions: Arc<[Arc<Subscription>]>,
    fifo: Arc<Mutex<FifoWindow>>,
}

impl TopicEntry {
    fn new(topic: Arc<Topic>) -> Self {
        TopicEntry { topic, subscriptions: Arc::from(Vec::new()), fifo: Arc::default() }
    }

    fn replace_subscription(&mut self, arn: &str, with: Option<Arc<Subscription>>) {
        let mut list: Vec<_> = self.subscriptions.iter().filter(|s| &*s.arn != arn).cloned().collect();
        if let Some(with) = with {
            match self.subscriptions.iter().position(|s| &*s.arn == arn) {
                Some(at) => list.insert(at, with),
                None => list.push(with),
            }
        }
        self.subscriptions = list.into();
    }
}

#[derive(Default)]
struct State {
    topics: BTreeMap<TopicId, TopicEntry>,
    subscriptions: BTreeMap<Arc<str>, Arc<Subscription>>,
    /// Confirmation token -> the ARN of the subscription it was made for.
    tokens: HashMap<Arc<str>, Arc<str>>,
}

impl State {
    fn index_token(&mut self, subscription: &Subscription) {
        if let Some(token) = &subscription.token {
            self.tokens.insert(token.clone(), subscription.arn.clone());
        }
    }
}

/// Topics and subscriptions in memory (the default, and the core of the durable backend's).
#[derive(Default)]
pub struct MemoryTopics {
    state: RwLock<State>,
    journal: Option<Arc<dyn TopicJournal>>,
}

fn poisoned() -> SqsError {
    SqsError::internal("topic state lock poisoned")
}

impl MemoryTopics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Topics and subscriptions restored by a durable store, writing later changes to `journal`.
    pub fn restored(topics: Vec<Topic>, subscriptions: Vec<Subscription>, journal: Arc<dyn TopicJournal>) -> Self {
        let mut state = State::default();
        for topic in topics {
            state.topics.insert(topic.id.clone(), TopicEntry::new(Arc::new(topic)));
        }
        for subscription in subscriptions {
            let subscription = Arc::new(subscription);
            let Some(entry) = state.topics.get_mut(&subscription.topic) else { continue };
            entry.replace_subscription(&subscription.arn, Some(subscription.clone()));
            state.index_token(&subscription);
            state.subscriptions.insert(subscription.arn.clone(), subscription);
        }
        MemoryTopics { state: RwLock::new(state), journal: Some(journal) }
    }

    fn record(&self, changes: &[TopicChange]) -> SqsResult<()> {
        match &self.journal {
            Some(journal) => journal.record(changes),
            None => Ok(()),
        }
    }

    fn remove_subscription(state: &mut State, arn: &str) -> Option<Arc<Subscription>> {
        let removed = state.subscriptions.remove(arn)?;
        if let Some(token) = &removed.token {
            state.tokens.remove(token);
        }
        if let Some(entry) = state.topics.get_mut(&removed.topic) {
            entry.replace_subscription(arn, None);
        }
        Some(removed)
    }
}

/// Up to `limit` values of a map in key order from `start` while `in_range` holds.
fn page<'a, K: Ord, V>(
    map: &'a BTreeMap<K, V>,
    start: Bound<&K>,
    in_range: impl Fn(&K) -> bool,
    limit: usize,
) -> impl Iterator<Item = &'a V> {
    map.range((start, Bound::Unbounded)).take_while(move |(k, _)| in_range(k)).take(limit).map(|(_, v)| v)
}

#[async_trait]
impl TopicBackend for MemoryTopics {
    async fn create_topic(&self, id: TopicId, settings: TopicSettings, now: Millis) -> SqsResult<Made<Arc<Topic>>> {
        let mut state = self.state.write().map_err(|_| poisoned())?;
        if let Some(entry) = state.topics.get(&id) {
            return Ok(Made::Existing(entry.topic.clone()));
        }
        let topic = Arc::new(Topic { arn: id.arn().into(), id: id.clone(), settings, created_at: now, version: 1 });
        self.record(&[TopicChange::Topic(topic.clone())])?;
        state.topics.insert(id, TopicEntry::new(topic.clone()));
        Ok(Made::New(topic))
    }

    async fn topic(&self, id: &TopicId) -> SqsResult<Option<Arc<Topic>>> {
        let state = self.state.read().map_err(|_| poisoned())?;
        Ok(state.topics.get(id).map(|e| e.topic.clone()))
    }

    async fn list_topics(
        &self,
        namespace: &Namespace,
        after: Option<&str>,
        limit: usize,
    ) -> SqsResult<Vec<Arc<Topic>>> {
        let state = self.state.read().map_err(|_| poisoned())?;
        let from = TopicId::new(*namespace, after.unwrap_or(""));
        let start = if after.is_some() { Bound::Excluded(&from) } else { Bound::Included(&from) };
        Ok(page(&state.topics, start, |id| id.namespace == *namespace, limit).map(|e| e.topic.clone()).collect())
    }

    async fn delete_topic(&self, id: &TopicId) -> SqsResult<()> {
        let mut state = self.state.write().map_err(|_| poisoned())?;
        let Some(entry) = state.topics.get(id) else { return Ok(()) };
        let mut changes: Vec<_> =
            entry.subscriptions.iter().map(|s| TopicChange::SubscriptionDeleted(s.arn.clone())).collect();
        changes.push(TopicChange::TopicDeleted(id.clone()));
        self.record(&changes)?;
        if let Some(entry) = state.topics.remove(id) {
            for subscription in entry.subscriptions.iter() {
                Self::remove_subscription(&mut state, &subscription.arn);
            }
        }
        Ok(())
    }

    async fn update_topic(
        &self,
        id: &TopicId,
        version: u64,
        settings: TopicSettings,
    ) -> SqsResult<Changed<Arc<Topic>>> {
        let mut state = self.state.write().map_err(|_| poisoned())?;
        let Some(entry) = state.topics.get_mut(id) else { return Ok(Changed::Missing) };
        if entry.topic.version != version {
            return Ok(Changed::Conflict);
        }
        let topic = Arc::new(Topic { settings, version: version + 1, ..(*entry.topic).clone() });
        self.record(&[TopicChange::Topic(topic.clone())])?;
        entry.topic = topic.clone();
        Ok(Changed::Done(topic))
    }

    async fn subscribe(&self, new: NewSubscription) -> SqsResult<Option<Made<Arc<Subscription>>>> {
        let mut state = self.state.write().map_err(|_| poisoned())?;
        let Some(entry) = state.topics.get(&new.topic) else { return Ok(None) };
        let existing = entry.subscriptions.iter().find(|s| *s.protocol == new.protocol && *s.endpoint == new.endpoint);
        if let Some(existing) = existing {
            return Ok(Some(Made::Existing(existing.clone())));
        }
        let subscription = Arc::new(Subscription {
            arn: format!("{}:{}", entry.topic.arn, uuid::Uuid::new_v4()).into(),
            topic: new.topic,
            protocol: new.protocol.into(),
            endpoint: new.endpoint.into(),
            owner: new.owner.into(),
            attributes: new.attributes,
            confirmation: new.confirmation,
            token: new.token.map(Arc::from),
            version: 1,
        });
        self.record(&[TopicChange::Subscription(subscription.clone())])?;
        if let Some(entry) = state.topics.get_mut(&subscription.topic) {
            entry.replace_subscription(&subscription.arn, Some(subscription.clone()));
        }
        state.index_token(&subscription);
        state.subscriptions.insert(subscription.arn.clone(), subscription.clone());
        Ok(Some(Made::New(subscription)))
    }

    async fn subscription(&self, arn: &str) -> SqsResult<Option<Arc<Subscription>>> {
        let state = self.state.read().map_err(|_| poisoned())?;
        Ok(state.subscriptions.get(arn).cloned())
    }

    async fn subscriptions(&self, topic: &TopicId) -> SqsResult<Arc<[Arc<Subscription>]>> {
        let state = self.state.read().map_err(|_| poisoned())?;
        Ok(state.topics.get(topic).map_or_else(|| Arc::from(Vec::new()), |e| e.subscriptions.clone()))
    }

    async fn list_subscriptions(
        &self,
        namespace: &Namespace,
        topic: Option<&TopicId>,
        after: Option<&str>,
        limit: usize,
    ) -> SqsResult<Vec<Arc<Subscription>>> {
        let state = self.state.read().map_err(|_| poisoned())?;
        let prefix = match topic {
            Some(topic) => format!("{}:", topic.arn()),
            None => format!("arn:aws:sns:{}:{}:", namespace.region, namespace.account),
        };
        let from: Arc<str> = after.unwrap_or(&prefix).into();
        let start = if after.is_some() { Bound::Excluded(&from) } else { Bound::Included(&from) };
        Ok(page(&state.subscriptions, start, |arn| arn.starts_with(prefix.as_str()), limit).cloned().collect())
    }

    async fn update_subscription(
        &self,
        arn: &str,
        version: u64,
        attributes: BTreeMap<String, String>,
        confirmation: Confirmation,
    ) -> SqsResult<Changed<Arc<Subscription>>> {
        let mut state = self.state.write().map_err(|_| poisoned())?;
        let Some(current) = state.subscriptions.get(arn).cloned() else { return Ok(Changed::Missing) };
        if current.version != version {
            return Ok(Changed::Conflict);
        }
        let updated = Arc::new(Subscription { attributes, confirmation, version: version + 1, ..(*current).clone() });
        self.record(&[TopicChange::Subscription(updated.clone())])?;
        state.subscriptions.insert(updated.arn.clone(), updated.clone());
        if let Some(entry) = state.topics.get_mut(&updated.topic) {
            entry.replace_subscription(arn, Some(updated.clone()));
        }
        Ok(Changed::Done(updated))
    }

    async fn by_token(&self, token: &str) -> SqsResult<Option<Arc<Subscription>>> {
        let state = self.state.read().map_err(|_| poisoned())?;
        Ok(state.tokens.get(token).and_then(|arn| state.subscriptions.get(arn)).cloned())
    }

    async fn unsubscribe(&self, arn: &str) -> SqsResult<Option<Arc<Subscription>>> {
        let mut state = self.state.write().map_err(|_| poisoned())?;
        if !state.subscriptions.contains_key(arn) {
            return Ok(None);
        }
        self.record(&[TopicChange::SubscriptionDeleted(arn.into())])?;
        Ok(Self::remove_subscription(&mut state, arn))
    }

    async fn publish_fifo(
        &self,
        topic: &TopicId,
        dedup_key: &str,
        message_id: &str,
        now: Millis,
        window: Millis,
    ) -> SqsResult<FifoPublish> {
        let fifo = {
            let state = self.state.read().map_err(|_| poisoned())?;
            state.topics.get(topic).map(|e| e.fifo.clone())
        };
        let fifo = fifo.ok_or_else(|| SqsError::internal("publish to a topic that does not exist"))?;
        let mut window_state = fifo.lock().map_err(|_| poisoned())?;
        Ok(window_state.admit(dedup_key, message_id, now, window))
    }

    async fn reset(&self) -> SqsResult<()> {
        let mut state = self.state.write().map_err(|_| poisoned())?;
        self.record(&[TopicChange::Reset])?;
        *state = State::default();
        Ok(())
    }
}
