//! A map whose entries expire after a fixed interval: the FIFO deduplication window and the
//! `ReceiveRequestAttemptId` retry window. Expiry is lazy: due entries are evicted from the front of
//! an insertion-ordered queue whenever the map is touched, so no timer exists per entry.

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::clock::Millis;

#[derive(Debug)]
pub struct ExpiringMap<V> {
    /// key -> (expiry, value).
    entries: FxHashMap<Arc<str>, (Millis, V)>,
    /// (expiry, key) in insertion order; expiries only grow because the interval is fixed.
    order: VecDeque<(Millis, Arc<str>)>,
}

impl<V> Default for ExpiringMap<V> {
    fn default() -> Self {
        ExpiringMap { entries: FxHashMap::default(), order: VecDeque::new() }
    }
}

impl<V> ExpiringMap<V> {
    /// Drops every entry whose expiry is at or before `now`.
    pub fn evict(&mut self, now: Millis) {
        while let Some((expires, _)) = self.order.front() {
            if *expires > now {
                break;
            }
            if let Some((expires, key)) = self.order.pop_front() {
                // The key may have been re-inserted later with a later expiry; keep that one.
                if self.entries.get(&key).is_some_and(|(e, _)| *e == expires) {
                    self.entries.remove(&key);
                }
            }
        }
    }

    /// The live value for `key`, if any.
    pub fn get(&mut self, key: &str, now: Millis) -> Option<&V> {
        self.evict(now);
        self.entries.get(key).map(|(_, v)| v)
    }

    /// The live value for `key`, mutably.
    pub fn get_mut(&mut self, key: &str, now: Millis) -> Option<&mut V> {
        self.evict(now);
        self.entries.get_mut(key).map(|(_, v)| v)
    }

    pub fn insert(&mut self, key: Arc<str>, value: V, expires: Millis) {
        self.order.push_back((expires, key.clone()));
        self.entries.insert(key, (expires, value));
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }
}
