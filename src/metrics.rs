//! `/metrics` in Prometheus text format.
//!
//! Requests are counted on the hot path with relaxed atomic adds into fixed arrays indexed by
//! action and error code (no lock, no label hashing); per-queue message counters sit behind a
//! read-locked map, one lookup a request. Per-queue gauges (visible, in flight, delayed, the
//! oldest message's age) are read from the engine at scrape time, so they agree with
//! GetQueueAttributes. The exposition format is the `prometheus-client` crate's.
//!
//! Counters are this process's: with several processes over one shared backend, each is scraped
//! and the sums are taken in Prometheus.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use rustc_hash::FxHashMap;

use crate::engine::Engine;
use crate::error::{ErrorCode, SqsError};
use crate::sqs::api::{Action, Response};

/// Upper bounds of the latency histogram's buckets, in seconds (a long poll waits up to 20 s).
const LATENCY_BUCKETS: [f64; 12] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0, 5.0, 20.0];

/// One action's requests: by outcome (index 0 is success, `1 + code as usize` an error code) and
/// a latency histogram.
struct ActionStats {
    outcomes: Vec<AtomicU64>,
    /// Requests whose latency fell in each bucket (above the previous bound, at most this one; the
    /// last is beyond every bound). Not cumulative: the encoder sums them.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_sum_ns: AtomicU64,
}

impl Default for ActionStats {
    fn default() -> Self {
        ActionStats {
            outcomes: (0..=ErrorCode::ALL.len()).map(|_| AtomicU64::new(0)).collect(),
            buckets: Default::default(),
            latency_sum_ns: AtomicU64::new(0),
        }
    }
}

/// A queue's message counters.
#[derive(Default)]
struct QueueCounters {
    sent: AtomicU64,
    received: AtomicU64,
    deleted: AtomicU64,
    dead_lettered: AtomicU64,
}

/// The metrics of this process.
pub struct Metrics {
    actions: Vec<ActionStats>,
    /// By queue name (the queues of the configured account).
    queues: RwLock<FxHashMap<Box<str>, Arc<QueueCounters>>>,
    /// SNS: publishes and deliveries by topic name.
    topics: RwLock<FxHashMap<Box<str>, Arc<TopicCounters>>>,
}

/// The protocols SNS deliveries are counted under (the rest count as "other").
const PROTOCOLS: [&str; 4] = ["sqs", "http", "https", "other"];

fn protocol_index(protocol: &str) -> usize {
    PROTOCOLS.iter().position(|p| *p == protocol).unwrap_or(PROTOCOLS.len() - 1)
}

/// One publish's delivery outcomes, counted by protocol: [delivered, failed].
#[derive(Default)]
pub struct Deliveries([[u64; 2]; PROTOCOLS.len()]);

impl Deliveries {
    pub fn add(&mut self, protocol: &str, delivered: bool) {
        self.0[protocol_index(protocol)][usize::from(!delivered)] += 1;
    }
}

/// A topic's counters.
#[derive(Default)]
struct TopicCounters {
    published: AtomicU64,
    deliveries: [[AtomicU64; 2]; PROTOCOLS.len()],
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            actions: Action::ALL.iter().map(|_| ActionStats::default()).collect(),
            queues: RwLock::default(),
            topics: RwLock::default(),
        }
    }
}

fn add(counter: &AtomicU64, n: u64) {
    if n > 0 {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts one request of `action` that ended with `outcome` after `latency`.
    pub fn request(&self, action: Action, outcome: Result<(), ErrorCode>, latency: Duration) {
        let stats = &self.actions[action as usize];
        let index = match outcome {
            Ok(()) => 0,
            Err(code) => 1 + code as usize,
        };
        add(&stats.outcomes[index], 1);
        let seconds = latency.as_secs_f64();
        let bucket = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(LATENCY_BUCKETS.len());
        add(&stats.buckets[bucket], 1);
        add(&stats.latency_sum_ns, latency.as_nanos() as u64);
    }

    /// Counts the messages a successful response of `action` on `queue` sent, received or deleted.
    pub fn messages(&self, action: Action, queue: &str, response: &Response) {
        let (sent, received, deleted, dead_lettered) = match (action, response) {
            (Action::SendMessage, _) => (1, 0, 0, 0),
            (_, Response::SendMessageBatch(r)) => (r.successful.len() as u64, 0, 0, 0),
            (_, Response::ReceiveMessage(r)) => (0, r.messages.len() as u64, 0, r.dead_lettered),
            (Action::DeleteMessage, _) => (0, 0, 1, 0),
            (_, Response::DeleteMessageBatch(r)) => (0, 0, r.successful.len() as u64, 0),
            _ => return,
        };
        let counters = self.queue(queue);
        add(&counters.sent, sent);
        add(&counters.received, received);
        add(&counters.deleted, deleted);
        add(&counters.dead_lettered, dead_lettered);
    }

    /// Counts one message published to a topic and its deliveries (duplicates a FIFO topic drops
    /// are not counted).
    pub fn sns_published(&self, topic: &str, deliveries: &Deliveries) {
        // The read guard ends with its statement: taking the write lock under it would deadlock.
        let known = self.topics.read().unwrap_or_else(|p| p.into_inner()).get(topic).cloned();
        let counters = known.unwrap_or_else(|| {
            self.topics.write().unwrap_or_else(|p| p.into_inner()).entry(topic.into()).or_default().clone()
        });
        add(&counters.published, 1);
        for (counts, per_protocol) in deliveries.0.iter().zip(&counters.deliveries) {
            add(&per_protocol[0], counts[0]);
            add(&per_protocol[1], counts[1]);
        }
    }

    fn queue(&self, name: &str) -> Arc<QueueCounters> {
        if let Some(counters) = self.queues.read().unwrap_or_else(|p| p.into_inner()).get(name) {
            return counters.clone();
        }
        let mut queues = self.queues.write().unwrap_or_else(|p| p.into_inner());
        queues.entry(name.into()).or_default().clone()
    }

    /// The exposition of every metric, with the per-queue gauges read from `engine` now.
    pub async fn render(self: &Arc<Self>, engine: &Engine) -> Result<String, SqsError> {
        let namespace = engine.settings().default_namespace;
        let now = engine.now();
        let mut gauges = Vec::new();
        for info in engine.list_queues(&namespace, "").await? {
            let Ok(counts) = engine.counts(&info.id).await else { continue };
            let age = counts.oldest_enqueued_at.map_or(0, |at| now.saturating_sub(at) / 1000);
            gauges.push((info.id.name().to_string(), [counts.available, counts.in_flight, counts.delayed, age]));
        }
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Snapshot { metrics: self.clone(), gauges }));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry)
            .map_err(|_| SqsError::internal("the metrics could not be rendered"))?;
        Ok(text)
    }
}

/// What one scrape renders: the live counters and the gauges read for it.
struct Snapshot {
    metrics: Arc<Metrics>,
    /// Queue name, then visible, in flight, delayed, oldest age in seconds.
    gauges: Vec<(String, [u64; 4])>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("metrics snapshot")
    }
}

/// Picks one of a queue's counters.
type CounterField = fn(&QueueCounters) -> &AtomicU64;

/// Writes a counter's sample under the family's own name. The exposition is served as Prometheus
/// text format 0.0.4, in which a counter's TYPE and HELP lines carry the `_total` name its samples
/// have (`promtool check metrics` insists); the crate's counter encoding follows OpenMetrics
/// instead (family name without `_total`, suffix added to samples), so counters are declared with
/// their full name and their value written plainly.
fn counter_value(mut encoder: prometheus_client::encoding::MetricEncoder<'_>, value: u64) -> std::fmt::Result {
    encoder.encode_gauge(&(value as i64))
}

const GAUGES: [(&str, &str); 4] = [
    ("sqs_messages_visible", "Messages available to receive (ApproximateNumberOfMessages)."),
    ("sqs_messages_in_flight", "Messages received and not yet deleted (ApproximateNumberOfMessagesNotVisible)."),
    ("sqs_messages_delayed", "Messages not yet available because of a delay (ApproximateNumberOfMessagesDelayed)."),
    ("sqs_oldest_message_age_seconds", "Age of the oldest message in the queue, in seconds (0 when empty)."),
];

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (index, (name, help)) in GAUGES.iter().enumerate() {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (queue, values) in &self.gauges {
                let labels = [("queue", queue.as_str())];
                ConstGauge::new(values[index] as i64).encode(family.encode_family(&labels)?)?;
            }
        }
        let queues: Vec<(Box<str>, Arc<QueueCounters>)> = {
            let map = self.metrics.queues.read().unwrap_or_else(|p| p.into_inner());
            let mut queues: Vec<_> = map.iter().map(|(name, c)| (name.clone(), c.clone())).collect();
            queues.sort_by(|a, b| a.0.cmp(&b.0));
            queues
        };
        let counters: [(&str, &str, CounterField); 4] = [
            ("sqs_messages_sent_total", "Messages sent (SendMessage and SendMessageBatch entries).", |c| &c.sent),
            ("sqs_messages_received_total", "Messages handed out by ReceiveMessage.", |c| &c.received),
            ("sqs_messages_deleted_total", "Messages deleted (DeleteMessage and DeleteMessageBatch entries).", |c| {
                &c.deleted
            }),
            ("sqs_messages_dead_lettered_total", "Messages moved to the dead-letter queue at maxReceiveCount.", |c| {
                &c.dead_lettered
            }),
        ];
        for (name, help, field) in counters {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (name, c) in &queues {
                let labels = [("queue", &**name)];
                counter_value(family.encode_family(&labels)?, field(c).load(Ordering::Relaxed))?;
            }
        }
        let topics: Vec<(Box<str>, Arc<TopicCounters>)> = {
            let map = self.metrics.topics.read().unwrap_or_else(|p| p.into_inner());
            let mut topics: Vec<_> = map.iter().map(|(name, c)| (name.clone(), c.clone())).collect();
            topics.sort_by(|a, b| a.0.cmp(&b.0));
            topics
        };
        let mut family = encoder.encode_descriptor(
            "sns_messages_published_total",
            "Messages published to SNS topics.",
            None,
            MetricType::Counter,
        )?;
        for (topic, c) in &topics {
            counter_value(family.encode_family(&[("topic", &**topic)])?, c.published.load(Ordering::Relaxed))?;
        }
        let mut family = encoder.encode_descriptor(
            "sns_deliveries_total",
            "Deliveries of published messages to subscriptions, by topic, protocol and outcome.",
            None,
            MetricType::Counter,
        )?;
        for (topic, c) in &topics {
            for (protocol, outcomes) in PROTOCOLS.iter().zip(&c.deliveries) {
                for (outcome, count) in ["delivered", "failed"].iter().zip(outcomes) {
                    let count = count.load(Ordering::Relaxed);
                    if count > 0 {
                        let labels = [("topic", &**topic), ("protocol", *protocol), ("outcome", *outcome)];
                        counter_value(family.encode_family(&labels)?, count)?;
                    }
                }
            }
        }
        let mut family = encoder.encode_descriptor(
            "sqs_requests_total",
            "SQS requests by action and outcome (ok, or the error code).",
            None,
            MetricType::Counter,
        )?;
        for (action, stats) in Action::ALL.iter().zip(&self.metrics.actions) {
            for (index, count) in stats.outcomes.iter().enumerate() {
                let count = count.load(Ordering::Relaxed);
                if count == 0 {
                    continue;
                }
                let outcome = if index == 0 { "ok" } else { ErrorCode::ALL[index - 1].query_code() };
                let labels = [("action", action.name()), ("outcome", outcome)];
                counter_value(family.encode_family(&labels)?, count)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "sqs_request_duration_seconds",
            "Time from a request's arrival to its answer, by action (long polls included).",
            None,
            MetricType::Histogram,
        )?;
        for (action, stats) in Action::ALL.iter().zip(&self.metrics.actions) {
            // Per-bucket counts; the encoder sums them, and the last bound is +Inf.
            let buckets: Vec<(f64, u64)> = stats
                .buckets
                .iter()
                .enumerate()
                .map(|(i, b)| (LATENCY_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY), b.load(Ordering::Relaxed)))
                .collect();
            let count: u64 = buckets.iter().map(|(_, n)| n).sum();
            if count == 0 {
                continue;
            }
            let sum = stats.latency_sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
            let labels = [("action", action.name())];
            family
                .encode_family(&labels)?
                .encode_histogram::<prometheus_client::encoding::NoLabelSet>(sum, count, &buckets, None)?;
        }
        Ok(())
    }
}
