//! The scenarios. Each starts its own server, prints one line per result, and returns its figures
//! so that `all` and `compare` can put runs side by side.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{batch_entries, body_100, closed_loop, consume, create_queue, Conn, Latencies};
use crate::server::{Server, ServerSpec};

/// What a scenario runs against.
#[derive(Debug, Clone)]
pub struct Target {
    pub spec: ServerSpec,
    /// A running server to use instead of starting one (no RSS figures then).
    pub url: Option<String>,
    pub connections: usize,
}

impl Target {
    fn start(&self) -> Server {
        Server::start(&self.spec, self.url.as_deref())
    }
}

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
}

pub fn figure(name: impl Into<String>, value: f64, unit: &'static str) -> Figure {
    Figure { name: name.into(), value, unit }
}

pub async fn baseline(t: &Target, requests: usize) -> Vec<Figure> {
    let server = Server::baseline();
    let (elapsed, mut lat) = closed_loop(&server.addr, t.connections, requests, "Ping", Arc::new(|_| json!({}))).await;
    let rps = requests as f64 / elapsed.as_secs_f64();
    println!("baseline     {:>10.0} req/s                       {}", rps, lat.summary());
    vec![figure("baseline", rps, "req/s")]
}

pub async fn send(t: &Target, requests: usize) -> Vec<Figure> {
    let server = t.start();
    let url = create_queue(&server.addr, "bench-send", json!({})).await;
    let make = Arc::new(move |i| json!({"QueueUrl": url, "MessageBody": body_100(i)}));
    let (elapsed, mut lat) = closed_loop(&server.addr, t.connections, requests, "SendMessage", make).await;
    let rps = requests as f64 / elapsed.as_secs_f64();
    println!("send         {:>10.0} req/s  {:>10.0} msg/s     {}", rps, rps, lat.summary());
    vec![figure("send", rps, "req/s"), figure("send p99", lat.quantile_ms(0.99), "ms")]
}

/// SNS fan-out against SQS sends, on one server, interleaved: `rounds` times, `requests`
/// SendMessage calls then `requests` Publish calls to a topic with `fanout` subscribed queues
/// (envelope delivery, the default, or raw). Reports publish rate, deliveries per second and the server
/// CPU time per request of each, and the median ratio of a publish's CPU to a send's.
pub async fn publish(t: &Target, requests: usize, fanout: usize, rounds: usize, raw: bool) -> Vec<Figure> {
    let server = t.start();
    let mut conn = Conn::open(&server.addr).await;
    let queue = create_queue(&server.addr, "bench-send", json!({})).await;
    let (_, created) = conn.sns(&[("Action", "CreateTopic"), ("Name", "bench-topic")]).await;
    let topic = between(&created, "<TopicArn>", "</TopicArn>").to_string();
    for q in 0..fanout {
        let name = format!("bench-fanout-{q}");
        create_queue(&server.addr, &name, json!({})).await;
        let endpoint = format!("arn:aws:sqs:us-east-1:000000000000:{name}");
        let mut params =
            vec![("Action", "Subscribe"), ("TopicArn", &topic), ("Protocol", "sqs"), ("Endpoint", &endpoint)];
        if raw {
            params.extend([("Attributes.entry.1.key", "RawMessageDelivery"), ("Attributes.entry.1.value", "true")]);
        }
        let (status, answer) = conn.sns(&params).await;
        assert_eq!(status, 200, "Subscribe: {answer}");
    }
    let cpu = || server.cpu_seconds().unwrap_or(f64::NAN);
    let (mut ratios, mut publish_rates, mut last) = (Vec::new(), Vec::new(), String::new());
    for round in 1..=rounds {
        let make = Arc::new({
            let queue = queue.clone();
            move |i| json!({"QueueUrl": queue, "MessageBody": body_100(i)})
        });
        let before = cpu();
        let (send_time, _) = closed_loop(&server.addr, t.connections, requests, "SendMessage", make).await;
        let send_cpu = (cpu() - before) / requests as f64;
        let before = cpu();
        let (publish_time, mut lat) = publish_loop(&server.addr, t.connections, requests, &topic).await;
        let publish_cpu = (cpu() - before) / requests as f64;
        let rate = requests as f64 / publish_time.as_secs_f64();
        println!(
            "publish      round {round}: {:>8.0} publish/s {:>9.0} deliveries/s  CPU {:.1} us/publish vs {:.1} us/send ({:.0} send/s) = {:.2}x  {}",
            rate,
            rate * fanout as f64,
            publish_cpu * 1e6,
            send_cpu * 1e6,
            requests as f64 / send_time.as_secs_f64(),
            publish_cpu / send_cpu,
            lat.summary()
        );
        ratios.push(publish_cpu / send_cpu);
        publish_rates.push(rate);
        last = lat.summary();
    }
    let ratio = crate::median(&ratios);
    let rate = crate::median(&publish_rates);
    let delivery = if raw { "raw" } else { "envelope" };
    println!("publish      median: {rate:.0} publish/s to {fanout} queues ({delivery}); a publish costs {ratio:.2}x a SendMessage in server CPU ({last})");
    vec![figure("publish", rate, "req/s"), figure(format!("publish cpu / send cpu (x{fanout})"), ratio, "x")]
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).map_or(0, |i| i + open.len());
    let end = text[start..].find(close).map_or(text.len(), |i| start + i);
    &text[start..end]
}

/// `requests` Publish calls over `connections`, 100-byte messages with one attribute.
async fn publish_loop(addr: &str, connections: usize, requests: usize, topic: &str) -> (Duration, Latencies) {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (next, addr, topic) = (next.clone(), addr.to_string(), topic.to_string());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let mut lat = Latencies::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= requests {
                    return lat;
                }
                let message = body_100(i);
                let params = [
                    ("Action", "Publish"),
                    ("TopicArn", topic.as_str()),
                    ("Message", message.as_str()),
                    ("MessageAttributes.entry.1.Name", "event"),
                    ("MessageAttributes.entry.1.Value.DataType", "String"),
                    ("MessageAttributes.entry.1.Value.StringValue", "order.v1.submit"),
                ];
                let t = Instant::now();
                let (status, answer) = conn.sns(&params).await;
                assert_eq!(status, 200, "Publish: {answer}");
                lat.add(t);
            }
        }));
    }
    let mut all = Latencies::default();
    for t in tasks {
        all.merge(t.await.expect("task"));
    }
    (started.elapsed(), all)
}

pub async fn send_batch(t: &Target, requests: usize) -> Vec<Figure> {
    let server = t.start();
    let url = create_queue(&server.addr, "bench-batch", json!({})).await;
    let make = Arc::new(move |i: usize| json!({"QueueUrl": url, "Entries": batch_entries(i * 10)}));
    let (elapsed, mut lat) = closed_loop(&server.addr, t.connections, requests, "SendMessageBatch", make).await;
    let rps = requests as f64 / elapsed.as_secs_f64();
    println!("send-batch   {:>10.0} req/s  {:>10.0} msg/s     {}", rps, rps * 10.0, lat.summary());
    vec![figure("send-batch", rps * 10.0, "msg/s")]
}

/// Producers and consumers on one queue; checks exactly-once and (FIFO) per-group order.
pub async fn roundtrip(t: &Target, messages: usize, groups: Option<usize>) -> Vec<Figure> {
    let server = t.start();
    let fifo = groups.is_some();
    let name = if fifo { "bench-rt.fifo" } else { "bench-rt" };
    let attributes = if fifo { json!({"FifoQueue": "true"}) } else { json!({}) };
    let url = create_queue(&server.addr, name, attributes).await;
    let producers = (t.connections / 2).max(1);
    let consumers = (t.connections - producers).max(1);
    let total = messages.div_ceil(10) * 10;
    let received = Arc::new(AtomicU64::new(0));
    let seen: Arc<Mutex<HashMap<usize, u32>>> = Arc::new(Mutex::new(HashMap::with_capacity(total)));
    // Highest index delivered so far per group (FIFO): a lower one later is an order violation.
    let last_in_group: Arc<Mutex<HashMap<usize, usize>>> = Arc::new(Mutex::new(HashMap::new()));
    let order_violations = Arc::new(AtomicU64::new(0));
    let receives = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..producers {
        let (url, addr) = (url.clone(), server.addr.clone());
        tasks.push(tokio::spawn(async move {
            // Producer p owns the groups g with g % producers == p (standard: indices i % producers
            // == p) and sends their messages in increasing index order, so per-group send order is
            // index order. Message i belongs to group i % groups.
            let g = groups.unwrap_or(usize::MAX);
            let mine: Vec<usize> =
                (0..total).filter(|i| if fifo { (i % g) % producers == p } else { i % producers == p }).collect();
            let mut conn = Conn::open(&addr).await;
            for chunk in mine.chunks(10) {
                let entries: Vec<Value> = chunk
                    .iter()
                    .enumerate()
                    .map(|(k, i)| {
                        let mut e = json!({"Id": format!("e{k}"), "MessageBody": body_100(*i)});
                        if fifo {
                            e["MessageGroupId"] = json!(format!("g{}", i % g));
                            e["MessageDeduplicationId"] = json!(i.to_string());
                        }
                        e
                    })
                    .collect();
                let (status, body) = conn.call("SendMessageBatch", &json!({"QueueUrl": url, "Entries": entries})).await;
                assert!(status == 200 && body["Failed"].as_array().is_none_or(|f| f.is_empty()), "{body}");
            }
            Latencies::default()
        }));
    }
    for _ in 0..consumers {
        let receives = receives.clone();
        let (received, seen, url, addr, violations, last_in_group) = (
            received.clone(),
            seen.clone(),
            url.clone(),
            server.addr.clone(),
            order_violations.clone(),
            last_in_group.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let mut lat = Latencies::default();
            while received.load(Ordering::Relaxed) < total as u64 {
                let t = Instant::now();
                let (_, body) = conn
                    .call("ReceiveMessage", &json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1}))
                    .await;
                lat.add(t);
                receives.fetch_add(1, Ordering::Relaxed);
                let Some(messages) = body["Messages"].as_array() else { continue };
                let mut entries = Vec::new();
                {
                    let mut seen = seen.lock().expect("lock");
                    let mut last_in_group = last_in_group.lock().expect("lock");
                    for (k, m) in messages.iter().enumerate() {
                        let i: usize = m["Body"].as_str().and_then(|b| b.parse().ok()).expect("numeric body");
                        *seen.entry(i).or_insert(0) += 1;
                        if let Some(g) = groups {
                            // Recorded before the delete that unlocks the group, so deliveries of
                            // one group are recorded in delivery order.
                            if last_in_group.insert(i % g, i).is_some_and(|l| l > i) {
                                violations.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        entries.push(json!({"Id": format!("d{k}"), "ReceiptHandle": m["ReceiptHandle"]}));
                    }
                }
                received.fetch_add(messages.len() as u64, Ordering::Relaxed);
                let (status, _) = conn.call("DeleteMessageBatch", &json!({"QueueUrl": url, "Entries": entries})).await;
                assert_eq!(status, 200);
            }
            lat
        }));
    }
    let mut lat = Latencies::default();
    for t in tasks {
        lat.merge(t.await.expect("task"));
    }
    let elapsed = started.elapsed();
    let seen = seen.lock().expect("lock");
    let lost = (0..total).filter(|i| !seen.contains_key(i)).count();
    let duplicated = seen.values().filter(|c| **c > 1).count();
    let rate = total as f64 / elapsed.as_secs_f64();
    let label = if fifo { "fifo" } else { "roundtrip" };
    let violations = order_violations.load(Ordering::Relaxed);
    let extra = match groups {
        Some(g) => format!(", {g} groups, {violations} order violations"),
        None => String::new(),
    };
    let per_receive = total as f64 / receives.load(Ordering::Relaxed).max(1) as f64;
    println!(
        "{label:<12} {rate:>10.0} msg/s end to end ({lost} lost, {duplicated} duplicated{extra}), \
         {per_receive:.1} msg/receive, receive {}",
        lat.summary()
    );
    vec![
        figure(label, rate, "msg/s"),
        figure(format!("{label} lost"), lost as f64, "messages"),
        figure(format!("{label} duplicated"), duplicated as f64, "messages"),
        figure(format!("{label} order violations"), violations as f64, "messages"),
    ]
}

pub async fn longpoll_latency(t: &Target, messages: usize) -> Vec<Figure> {
    let server = t.start();
    let url = create_queue(&server.addr, "bench-lp", json!({})).await;
    let (url2, addr) = (url.clone(), server.addr.clone());
    let consumer = tokio::spawn(async move {
        let mut conn = Conn::open(&addr).await;
        let mut lat = Latencies::default();
        let mut got = 0;
        while got < messages {
            let (_, body) = conn
                .call("ReceiveMessage", &json!({"QueueUrl": url2, "WaitTimeSeconds": 20, "MaxNumberOfMessages": 10}))
                .await;
            for m in body["Messages"].as_array().into_iter().flatten() {
                let sent_at: u128 = m["Body"].as_str().and_then(|b| b.parse().ok()).expect("timestamp body");
                let now =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_micros();
                lat.0.push(now.saturating_sub(sent_at) as u32);
                got += 1;
            }
        }
        lat
    });
    let mut producer = Conn::open(&server.addr).await;
    for _ in 0..messages {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_micros();
        producer.call("SendMessage", &json!({"QueueUrl": url, "MessageBody": now.to_string()})).await;
    }
    let mut lat = consumer.await.expect("consumer");
    println!("longpoll     {messages} messages, send-to-receive {}", lat.summary());
    vec![figure("longpoll p99", lat.quantile_ms(0.99), "ms")]
}

pub async fn backlog(t: &Target, sizes: &[usize], drain: usize) -> Vec<Figure> {
    let server = t.start();
    let mut figures = Vec::new();
    let mut rates = Vec::new();
    for &size in sizes {
        let url = create_queue(&server.addr, &format!("bench-backlog-{size}"), json!({})).await;
        let u = url.clone();
        let batches = size.div_ceil(10);
        let started = Instant::now();
        let make = Arc::new(move |i: usize| json!({"QueueUrl": u, "Entries": batch_entries(i * 10)}));
        closed_loop(&server.addr, t.connections, batches, "SendMessageBatch", make).await;
        let preload = started.elapsed();
        let loaded_rss = server.rss_mib();
        // Steady state at this backlog: each consumer receives 10, deletes them and sends 10 new
        // ones, so the queue keeps holding `size` messages while `drain` are received.
        let (rate, mut lat) = consume(&server.addr, &url, t.connections, drain, true).await;
        let rss = loaded_rss
            .map(|(peak, now)| format!("  server RSS loaded {now:.0} MiB (peak {peak:.0} MiB)"))
            .unwrap_or_default();
        println!(
            "backlog {size:>8}: preload {:.1} s, steady receive+delete+send {rate:>7.0} msg/s, receive {}{rss}",
            preload.as_secs_f64(),
            lat.summary()
        );
        figures.push(figure(format!("backlog {size}"), rate, "msg/s"));
        if let Some((_, now)) = loaded_rss {
            figures.push(figure(format!("RSS with {size} messages"), now, "MiB"));
        }
        rates.push((size, rate));
        // Free the memory before the next size.
        Conn::open(&server.addr).await.call("DeleteQueue", &json!({"QueueUrl": url})).await;
    }
    if let (Some((small, a)), Some((large, b))) = (rates.first(), rates.last()) {
        println!("backlog      rate at {large} is {:.0}% of the rate at {small}", b / a * 100.0);
    }
    figures
}

pub async fn fifo_groups(t: &Target, group_counts: &[usize], messages: usize) -> Vec<Figure> {
    let server = t.start();
    let mut figures = Vec::new();
    let mut rates = Vec::new();
    for &groups in group_counts {
        let url =
            create_queue(&server.addr, &format!("bench-groups-{groups}.fifo"), json!({"FifoQueue": "true"})).await;
        let u = url.clone();
        let make = Arc::new(move |b: usize| {
            let entries: Vec<Value> = (0..10)
                .map(|k| {
                    let i = b * 10 + k;
                    json!({"Id": format!("e{k}"), "MessageBody": body_100(i), "MessageGroupId": format!("g{}", i % groups),
                           "MessageDeduplicationId": i.to_string()})
                })
                .collect();
            json!({"QueueUrl": u, "Entries": entries})
        });
        closed_loop(&server.addr, t.connections, messages.div_ceil(10), "SendMessageBatch", make).await;
        // The same number of consumers for every group count: as many as the smallest count can
        // keep busy (a group is served to one consumer at a time).
        let consumers = t.connections.min(group_counts.iter().copied().min().unwrap_or(1));
        let total = messages.div_ceil(10) * 10;
        let (rate, _) = consume(&server.addr, &url, consumers, total, false).await;
        println!("fifo-groups  {groups:>7} groups: drain {rate:>8.0} msg/s ({consumers} consumers, {total} messages)");
        figures.push(figure(format!("fifo-groups {groups}"), rate, "msg/s"));
        rates.push((groups, rate));
        Conn::open(&server.addr).await.call("DeleteQueue", &json!({"QueueUrl": url})).await;
    }
    if let (Some((few, a)), Some((many, b))) = (rates.first(), rates.last()) {
        println!("fifo-groups  drain rate with {many} groups is {:.0}% of the rate with {few}", b / a * 100.0);
    }
    figures
}

/// Time from spawning the binary to its first accepted connection, and RSS when idle.
pub fn idle(t: &Target) -> Vec<Figure> {
    let server = t.start();
    let startup_ms = server.startup.as_secs_f64() * 1000.0;
    std::thread::sleep(Duration::from_millis(200));
    let rss = server.rss_mib().map(|(_, now)| now).unwrap_or(0.0);
    println!("startup      first connection accepted after {startup_ms:.1} ms; idle RSS {rss:.1} MiB");
    vec![figure("startup", startup_ms, "ms"), figure("idle RSS", rss, "MiB")]
}

/// Durable mode: preload `messages`, kill the server with SIGKILL, start it on the same data
/// directory, and time until it serves them again (all counted, one received).
pub async fn restart(t: &Target, messages: usize) -> Vec<Figure> {
    let mut server = t.start();
    if !server.durable() {
        println!("restart      skipped: it needs a durable server (--data-dir)");
        return Vec::new();
    }
    let url = create_queue(&server.addr, "bench-restart", json!({})).await;
    let u = url.clone();
    let make = Arc::new(move |i: usize| json!({"QueueUrl": u, "Entries": batch_entries(i * 10)}));
    closed_loop(&server.addr, t.connections, messages.div_ceil(10), "SendMessageBatch", make).await;
    let stored = messages.div_ceil(10) * 10;
    let rss_before = server.rss_mib().map_or(0.0, |(_, now)| now);
    let killed = Instant::now();
    server.restart();
    let accepted = server.startup;
    let mut conn = Conn::open(&server.addr).await;
    let (_, attributes) = conn
        .call("GetQueueAttributes", &json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]}))
        .await;
    let counted: usize =
        attributes["Attributes"]["ApproximateNumberOfMessages"].as_str().and_then(|n| n.parse().ok()).unwrap_or(0);
    let (_, received) = conn.call("ReceiveMessage", &json!({"QueueUrl": url})).await;
    let ready = killed.elapsed();
    let served = received["Messages"].as_array().is_some_and(|m| m.len() == 1);
    let rss_after = server.rss_mib().map_or(0.0, |(_, now)| now);
    println!(
        "restart      {stored} stored messages: accepting after {:.2} s, counted {counted} and received {} \
         {:.2} s after the kill; RSS {rss_before:.0} MiB before, {rss_after:.0} MiB after",
        accepted.as_secs_f64(),
        if served { "one" } else { "NONE" },
        ready.as_secs_f64(),
    );
    vec![
        figure("restart ready", ready.as_secs_f64(), "s"),
        figure("restart lost", stored.saturating_sub(counted) as f64, "messages"),
        figure("RSS after restart", rss_after, "MiB"),
    ]
}
