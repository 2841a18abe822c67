//! Wake signals for long polls, within a node and across nodes.
//!
//! A receive that found nothing waits in the node, never in the database: on a per-queue
//! [`Notify`], woken by this node's own changes at once and by other nodes' through LISTEN/NOTIFY
//! on the channel `sqs_local`. Notifications are sent after the change committed, never inside
//! a hot transaction, coalesced (everything that changed while the previous NOTIFY was on its way
//! goes in the next one), and only while another node listens. Every wait also ends after the
//! fallback poll interval, so a database without LISTEN/NOTIFY (CockroachDB) or a lost
//! notification connection delays a wake-up by at most that much.
//!
//! Payload: the sending node's id on the first line, then one line per change: `q <account>
//! <region> <name>` (a queue may have messages to receive), `s <account> <region> <name>` (its
//! settings changed or it was deleted: drop cached settings, and wake).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::Notify;

use super::connect::ListenTarget;
use super::queues::QueueCache;
use crate::backend::Wake;
use crate::types::{Namespace, QueueId};

const CHANNEL: &str = "sqs_local";

/// How many poll intervals a wait lasts while the notification connection is up.
const LISTENING_POLL_FACTOR: u32 = 5;

/// A NOTIFY payload stays below PostgreSQL's 8000-byte limit.
const MAX_PAYLOAD: usize = 7_000;

/// How a node learns of changes and tells the others.
pub struct Signals {
    /// This node's id (random), so it can ignore its own notifications.
    node: String,
    /// The long polls waiting per queue.
    waiters: Mutex<HashMap<QueueId, Arc<Notify>>>,
    /// Changes not yet notified to other nodes (lines of the payload).
    pending: Mutex<HashSet<String>>,
    /// Wakes the publisher.
    publish: Notify,
    /// Whether another node listens (checked every second by the publisher).
    others_listen: AtomicBool,
    /// Whether the notification connection is up.
    listening: AtomicBool,
    poll_interval: Duration,
}

fn queue_line(kind: char, id: &QueueId) -> String {
    format!("{kind} {} {} {}", id.namespace.account, id.namespace.region, id.name)
}

fn parse_line(line: &str) -> Option<(char, QueueId)> {
    let mut parts = line.splitn(4, ' ');
    let kind = parts.next()?.chars().next()?;
    let (account, region, name) = (parts.next()?, parts.next()?, parts.next()?);
    Some((kind, QueueId::new(Namespace::parse(account, region)?, name)))
}

impl Signals {
    pub fn new(poll_interval: Duration) -> Arc<Self> {
        Arc::new(Signals {
            node: uuid::Uuid::new_v4().simple().to_string(),
            waiters: Mutex::default(),
            pending: Mutex::default(),
            publish: Notify::new(),
            others_listen: AtomicBool::new(false),
            listening: AtomicBool::new(false),
            poll_interval,
        })
    }

    /// Whether notifications from other nodes arrive (the notification connection is up).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// A future that completes when the queue may have changed, or after the fallback poll
    /// interval; registered before it returns.
    pub fn watch(&self, id: &QueueId) -> Wake {
        let notify = {
            let mut waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
            waiters.entry(id.clone()).or_insert_with(|| Arc::new(Notify::new())).clone()
        };
        let mut notified = Box::pin(notify.notified_owned());
        notified.as_mut().enable();
        // While notifications arrive, another node's change wakes this wait through them; the
        // poll then only covers what they cannot (a node that just started, a lost message).
        let poll = if self.is_listening() { self.poll_interval * LISTENING_POLL_FACTOR } else { self.poll_interval };
        let fallback = tokio::time::sleep(poll);
        Box::pin(async move {
            tokio::select! {
                _ = notified => {}
                _ = fallback => {}
            }
        })
    }

    fn wake_local(&self, id: &QueueId) {
        let waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(notify) = waiters.get(id) {
            notify.notify_waiters();
        }
    }

    /// Wakes every waiting long poll of this node (a reset, a lost notification connection).
    pub fn wake_all(&self) {
        let waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        for notify in waiters.values() {
            notify.notify_waiters();
        }
    }

    fn tell_others(&self, line: String) {
        if !self.others_listen.load(Ordering::Relaxed) {
            return;
        }
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(line);
        self.publish.notify_one();
    }

    /// The queue may have messages to receive now (after the change committed).
    pub fn messages_changed(&self, id: &QueueId) {
        self.wake_local(id);
        self.tell_others(queue_line('q', id));
    }

    /// The queue's settings changed, or it was deleted (after the change committed).
    pub fn queue_changed(&self, id: &QueueId) {
        self.wake_local(id);
        self.tell_others(queue_line('s', id));
    }

    /// Starts the publisher and the listener; both end when the signals are dropped.
    pub fn start(self: &Arc<Self>, pool: Pool, target: ListenTarget, cache: Weak<QueueCache>) {
        tokio::spawn(publish(Arc::downgrade(self), pool));
        tokio::spawn(listen(Arc::downgrade(self), target, cache));
    }

    fn take_payloads(&self) -> Vec<String> {
        let lines: Vec<String> = self.pending.lock().unwrap_or_else(|p| p.into_inner()).drain().collect();
        let mut payloads = Vec::new();
        let mut current = self.node.clone();
        for line in lines {
            if current.len() + line.len() + 1 > MAX_PAYLOAD {
                payloads.push(std::mem::replace(&mut current, self.node.clone()));
            }
            current.push('\n');
            current.push_str(&line);
        }
        if current.len() > self.node.len() {
            payloads.push(current);
        }
        payloads
    }
}

/// Sends pending notifications, one NOTIFY per batch of changes; checks every second whether
/// another node listens.
async fn publish(signals: Weak<Signals>, pool: Pool) {
    let mut checked = tokio::time::Instant::now() - Duration::from_secs(10);
    loop {
        let Some(s) = signals.upgrade() else { return };
        tokio::select! {
            _ = s.publish.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        if checked.elapsed() >= Duration::from_secs(1) {
            checked = tokio::time::Instant::now();
            s.others_listen.store(others_listen(&pool, &s.node).await, Ordering::Relaxed);
        }
        let payloads = s.take_payloads();
        if payloads.is_empty() {
            continue;
        }
        let Ok(client) = pool.get().await else { continue };
        for payload in payloads {
            // A lost notification costs a waiting receive at most the fallback poll interval.
            let _ = client.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload]).await;
        }
    }
}

/// Whether a node other than `node` has its notification connection open. A database that
/// cannot say (no pg_stat_activity) is taken to have listeners.
async fn others_listen(pool: &Pool, node: &str) -> bool {
    let Ok(client) = pool.get().await else { return true };
    let query = "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'sqs-local listen %' \
                 AND application_name <> $1";
    match client.query_one(query, &[&format!("sqs-local listen {node}")]).await {
        Ok(row) => row.get::<_, i64>(0) > 0,
        Err(_) => true,
    }
}

/// Keeps a LISTEN connection open (reconnecting every second while the database is away) and
/// wakes local waiters for other nodes' changes.
async fn listen(signals: Weak<Signals>, target: ListenTarget, cache: Weak<QueueCache>) {
    loop {
        let Some(node) = signals.upgrade().map(|s| s.node.clone()) else { return };
        let opened = target.open(&format!("sqs-local listen {node}")).await;
        let (client, mut notifications) = match opened {
            Ok(listener) => listener,
            Err(_) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if client.batch_execute(&format!("LISTEN {CHANNEL}")).await.is_err() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if let Some(s) = signals.upgrade() {
            s.listening.store(true, Ordering::SeqCst);
            // Changes made while nobody listened: every waiter looks again.
            s.wake_all();
        }
        while let Some(notification) = notifications.recv().await {
            let Some(s) = signals.upgrade() else { return };
            let mut lines = notification.payload().lines();
            if lines.next() == Some(node.as_str()) {
                continue;
            }
            for (kind, id) in lines.filter_map(parse_line) {
                if kind == 's' {
                    if let Some(cache) = cache.upgrade() {
                        cache.forget(&id);
                    }
                }
                s.wake_local(&id);
            }
        }
        let Some(s) = signals.upgrade() else { return };
        s.listening.store(false, Ordering::SeqCst);
        s.wake_all();
        drop(client);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let id = QueueId::new(Namespace::new("000000000000", "us-east-1"), "a queue-name_1.fifo");
        assert_eq!(parse_line(&queue_line('q', &id)), Some(('q', id)));
    }
}
