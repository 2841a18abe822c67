//! `soak`: many clients mixing every SQS action for a long time, checking that nothing is lost,
//! no FIFO message is handed out twice, no request fails, and the server's memory stays flat.
//!
//! Two tracked queues (standard and FIFO, each with a dead-letter queue that nothing should
//! reach) carry messages whose bodies are unique ids. Every client loops over a weighted mix:
//! sends (single and batch), receives (short and long polls) followed by deletes (single and
//! batch), visibility changes that release a message (single and batch) or extend it, and the
//! queue-level actions on scratch queues (create, attributes, tags, permissions, purge, delete,
//! list, dead-letter sources, move tasks). Per id it records the receipt it is held under:
//! - *duplicated*: an id received while another receipt for it is still held (not deleted or
//!   released), or deleted twice;
//! - *lost*: sent (acknowledged) but never deleted, once the clients stop and the queues are
//!   drained;
//! - *errors*: any answer other than 200 (none is expected: every request is valid).
//!
//! Held receipts never expire during the run: the tracked queues' visibility timeout (300 s) is
//! longer than any hold, so a redelivery can only follow a release.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{create_queue, Conn};
use crate::scenarios::Target;

/// Per-id bookkeeping shared by the clients.
#[derive(Default)]
struct Ledger {
    sent: HashSet<u64>,
    /// Ids currently held by a consumer (received, neither deleted nor released).
    held: HashSet<u64>,
    deleted: HashSet<u64>,
    duplicated_fifo: u64,
    duplicated_standard: u64,
}

struct Shared {
    ledger: Mutex<Ledger>,
    next_id: AtomicU64,
    stop: AtomicBool,
    requests: AtomicU64,
    errors: Mutex<HashMap<String, u64>>,
}

impl Shared {
    fn error(&self, action: &str, status: u16, body: &Value) {
        let code = body.get("__type").and_then(Value::as_str).unwrap_or("?");
        *self.errors.lock().unwrap().entry(format!("{action} {status} {code}")).or_default() += 1;
    }
}

/// A tracked queue.
#[derive(Clone)]
struct Tracked {
    url: String,
    fifo: bool,
}

pub async fn soak(t: &Target, duration: Duration, clients: usize) {
    // Scratch queues are deleted, recreated and purged back to back: the bench starts servers
    // with the 60-second rules off.
    let server = crate::server::Server::start(&t.spec, t.url.as_deref());
    let addr = server.addr.clone();
    let mut tracked = Vec::new();
    for fifo in [false, true] {
        let suffix = if fifo { ".fifo" } else { "" };
        let fifo_attr = if fifo { json!({"FifoQueue": "true"}) } else { json!({}) };
        let dlq = create_queue(&addr, &format!("soak-dlq{suffix}"), fifo_attr.clone()).await;
        let (_, attrs) = Conn::open(&addr)
            .await
            .call("GetQueueAttributes", &json!({"QueueUrl": dlq, "AttributeNames": ["QueueArn"]}))
            .await;
        let arn = attrs["Attributes"]["QueueArn"].as_str().unwrap_or_default().to_string();
        let mut attributes = fifo_attr;
        attributes["VisibilityTimeout"] = json!("300");
        attributes["RedrivePolicy"] = json!(json!({"deadLetterTargetArn": arn, "maxReceiveCount": 1000}).to_string());
        let url = create_queue(&addr, &format!("soak{suffix}"), attributes).await;
        tracked.push(Tracked { url, fifo });
    }
    let shared = Arc::new(Shared {
        ledger: Mutex::new(Ledger::default()),
        next_id: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        requests: AtomicU64::new(0),
        errors: Mutex::new(HashMap::new()),
    });
    println!("soak: {clients} clients for {} s against {addr}", duration.as_secs());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (shared, addr, tracked) = (shared.clone(), addr.clone(), tracked.clone());
        tasks.push(tokio::spawn(async move { client(c, &addr, &tracked, &shared).await }));
    }
    let mut rss = Vec::new();
    while started.elapsed() < duration {
        tokio::time::sleep(Duration::from_secs(1).min(duration.saturating_sub(started.elapsed()))).await;
        let second = started.elapsed().as_secs();
        if second.is_multiple_of(10) || started.elapsed() >= duration {
            if let Some((_, now)) = server.rss_mib() {
                let held = shared.ledger.lock().unwrap().held.len();
                let requests = shared.requests.load(Ordering::Relaxed);
                println!("t={second:>5}s  rss {now:>7.1} MiB  requests {requests:>10}  held {held:>5}");
                rss.push((second, now));
            }
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    // Release what is still held, then drain both queues.
    let mut conn = Conn::open(&addr).await;
    for q in &tracked {
        drain(&mut conn, q, &shared).await;
    }
    let ledger = shared.ledger.lock().unwrap();
    let lost = ledger.sent.difference(&ledger.deleted).count();
    let requests = shared.requests.load(Ordering::Relaxed);
    let errors: u64 = shared.errors.lock().unwrap().values().sum();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "soak: {requests} requests in {elapsed:.0} s ({:.0} req/s), {} messages sent and deleted",
        requests as f64 / elapsed,
        ledger.deleted.len()
    );
    println!(
        "soak: lost {lost}, duplicated FIFO {}, duplicated standard {}, errors {errors}",
        ledger.duplicated_fifo, ledger.duplicated_standard
    );
    for (what, count) in shared.errors.lock().unwrap().iter() {
        println!("      error {what}: {count}");
    }
    if let (Some(first), Some(last)) = (rss.get(rss.len().min(2).saturating_sub(1)), rss.last()) {
        let peak = rss.iter().map(|(_, r)| *r).fold(0.0, f64::max);
        println!(
            "soak: rss {:.1} MiB at {} s, {:.1} MiB at {} s, peak {peak:.1} MiB",
            first.1, first.0, last.1, last.0
        );
    }
}

/// Receives until both the queue and its in-flight set are empty, deleting everything.
async fn drain(conn: &mut Conn, q: &Tracked, shared: &Shared) {
    let mut empty_rounds = 0;
    while empty_rounds < 3 {
        let got = receive(conn, q, shared, 0).await;
        if got.is_empty() {
            empty_rounds += 1;
            continue;
        }
        empty_rounds = 0;
        delete(conn, q, shared, &got, true).await;
    }
}

/// One client's loop: a weighted pick of actions until told to stop.
async fn client(c: usize, addr: &str, tracked: &[Tracked], shared: &Shared) {
    let mut conn = Conn::open(addr).await;
    let mut rng = (c as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut step = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        step += 1;
        let q = &tracked[(rng >> 32) as usize % tracked.len()];
        match rng % 100 {
            0..=24 => send(&mut conn, q, shared, if rng.is_multiple_of(3) { 10 } else { 1 }, c).await,
            25..=64 => {
                let wait = if rng.is_multiple_of(5) { 1 } else { 0 };
                let got = receive(&mut conn, q, shared, wait).await;
                match (rng >> 8) % 10 {
                    // Release some: another consumer gets them (a redelivery, not a duplicate).
                    0 => release(&mut conn, q, shared, &got).await,
                    // Extend, then delete.
                    1 => {
                        extend(&mut conn, q, shared, &got).await;
                        delete(&mut conn, q, shared, &got, false).await
                    }
                    n => delete(&mut conn, q, shared, &got, n % 2 == 0).await,
                }
            }
            _ => scratch(&mut conn, shared, c, step, rng).await,
        }
    }
}

async fn call(conn: &mut Conn, shared: &Shared, action: &str, body: &Value) -> Option<Value> {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let (status, reply) = conn.call(action, body).await;
    if status == 200 {
        Some(reply)
    } else {
        shared.error(action, status, &reply);
        None
    }
}

async fn send(conn: &mut Conn, q: &Tracked, shared: &Shared, count: usize, client: usize) {
    let ids: Vec<u64> = (0..count).map(|_| shared.next_id.fetch_add(1, Ordering::Relaxed)).collect();
    let entry = |id: u64| {
        let mut e = json!({"Id": format!("m{id}"), "MessageBody": format!("soak {id}"),
            "MessageAttributes": {"client": {"DataType": "Number", "StringValue": client.to_string()}}});
        if q.fifo {
            e["MessageGroupId"] = json!(format!("g{}", id % 64));
            e["MessageDeduplicationId"] = json!(format!("d{id}"));
        }
        e
    };
    let ok = if count == 1 {
        let mut body = entry(ids[0]);
        body["QueueUrl"] = json!(q.url);
        body.as_object_mut().map(|m| m.remove("Id"));
        call(conn, shared, "SendMessage", &body).await.is_some()
    } else {
        let body = json!({"QueueUrl": q.url, "Entries": ids.iter().map(|id| entry(*id)).collect::<Vec<_>>()});
        match call(conn, shared, "SendMessageBatch", &body).await {
            Some(reply) if reply["Failed"].as_array().is_none_or(|f| f.is_empty()) => true,
            Some(reply) => {
                shared.error("SendMessageBatch entry", 200, &reply["Failed"][0]);
                false
            }
            None => false,
        }
    };
    if ok {
        shared.ledger.lock().unwrap().sent.extend(ids);
    }
}

/// Receipts of one receive: (id, receipt handle).
async fn receive(conn: &mut Conn, q: &Tracked, shared: &Shared, wait: u32) -> Vec<(u64, String)> {
    let body = json!({"QueueUrl": q.url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": wait,
        "MessageAttributeNames": ["All"], "MessageSystemAttributeNames": ["All"]});
    let Some(reply) = call(conn, shared, "ReceiveMessage", &body).await else { return Vec::new() };
    let got: Vec<(u64, String)> = reply["Messages"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|m| {
                    let id = m["Body"].as_str()?.strip_prefix("soak ")?.parse().ok()?;
                    Some((id, m["ReceiptHandle"].as_str()?.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut ledger = shared.ledger.lock().unwrap();
    for (id, _) in &got {
        if !ledger.held.insert(*id) || ledger.deleted.contains(id) {
            if q.fifo {
                ledger.duplicated_fifo += 1;
            } else {
                ledger.duplicated_standard += 1;
            }
        }
    }
    got
}

async fn delete(conn: &mut Conn, q: &Tracked, shared: &Shared, got: &[(u64, String)], batch: bool) {
    if got.is_empty() {
        return;
    }
    let mut done = Vec::new();
    if batch {
        let entries: Vec<Value> =
            got.iter().enumerate().map(|(i, (_, h))| json!({"Id": format!("e{i}"), "ReceiptHandle": h})).collect();
        if let Some(reply) =
            call(conn, shared, "DeleteMessageBatch", &json!({"QueueUrl": q.url, "Entries": entries})).await
        {
            for ok in reply["Successful"].as_array().into_iter().flatten() {
                let i: usize = ok["Id"].as_str().and_then(|s| s[1..].parse().ok()).unwrap_or(usize::MAX);
                if let Some((id, _)) = got.get(i) {
                    done.push(*id);
                }
            }
            if let Some(failed) = reply["Failed"].as_array().filter(|f| !f.is_empty()) {
                shared.error("DeleteMessageBatch entry", 200, &failed[0]);
            }
        }
    } else {
        for (id, handle) in got {
            if call(conn, shared, "DeleteMessage", &json!({"QueueUrl": q.url, "ReceiptHandle": handle})).await.is_some()
            {
                done.push(*id);
            }
        }
    }
    let mut ledger = shared.ledger.lock().unwrap();
    for id in done {
        ledger.held.remove(&id);
        if !ledger.deleted.insert(id) {
            if q.fifo {
                ledger.duplicated_fifo += 1;
            } else {
                ledger.duplicated_standard += 1;
            }
        }
    }
}

/// Makes the messages visible again at once (ChangeMessageVisibility 0, single or batch).
async fn release(conn: &mut Conn, q: &Tracked, shared: &Shared, got: &[(u64, String)]) {
    if got.is_empty() {
        return;
    }
    // The ledger forgets the hold first: once the change is made another consumer may get it.
    {
        let mut ledger = shared.ledger.lock().unwrap();
        for (id, _) in got {
            ledger.held.remove(id);
        }
    }
    let entries: Vec<Value> = got
        .iter()
        .enumerate()
        .map(|(i, (_, h))| json!({"Id": format!("v{i}"), "ReceiptHandle": h, "VisibilityTimeout": 0}))
        .collect();
    call(conn, shared, "ChangeMessageVisibilityBatch", &json!({"QueueUrl": q.url, "Entries": entries})).await;
}

async fn extend(conn: &mut Conn, q: &Tracked, shared: &Shared, got: &[(u64, String)]) {
    if let Some((_, handle)) = got.first() {
        let body = json!({"QueueUrl": q.url, "ReceiptHandle": handle, "VisibilityTimeout": 600});
        call(conn, shared, "ChangeMessageVisibility", &body).await;
    }
}

/// The queue-level actions, on scratch queues of this client's own.
async fn scratch(conn: &mut Conn, shared: &Shared, c: usize, step: u64, rng: u64) {
    let name = format!("soak-scratch-{c}-{}", step % 4);
    let url =
        match call(conn, shared, "CreateQueue", &json!({"QueueName": name, "tags": {"client": c.to_string()}})).await {
            Some(reply) => reply["QueueUrl"].as_str().unwrap_or_default().to_string(),
            None => return,
        };
    let q = json!({"QueueUrl": url});
    match rng % 11 {
        0 => drop(call(conn, shared, "GetQueueAttributes", &json!({"QueueUrl": url, "AttributeNames": ["All"]})).await),
        1 => {
            let body = json!({"QueueUrl": url, "Attributes": {"DelaySeconds": (step % 5).to_string()}});
            drop(call(conn, shared, "SetQueueAttributes", &body).await)
        }
        2 => {
            drop(call(conn, shared, "TagQueue", &json!({"QueueUrl": url, "Tags": {"step": step.to_string()}})).await);
            drop(call(conn, shared, "ListQueueTags", &q).await);
            drop(call(conn, shared, "UntagQueue", &json!({"QueueUrl": url, "TagKeys": ["step"]})).await)
        }
        3 => {
            let body =
                json!({"QueueUrl": url, "Label": "l", "AWSAccountIds": ["123456789012"], "Actions": ["SendMessage"]});
            drop(call(conn, shared, "AddPermission", &body).await);
            drop(call(conn, shared, "RemovePermission", &json!({"QueueUrl": url, "Label": "l"})).await)
        }
        4 => drop(call(conn, shared, "PurgeQueue", &q).await),
        5 => drop(
            call(conn, shared, "ListQueues", &json!({"QueueNamePrefix": "soak-scratch-", "MaxResults": 100})).await,
        ),
        6 => drop(call(conn, shared, "GetQueueUrl", &json!({"QueueName": name})).await),
        7 => drop(call(conn, shared, "ListDeadLetterSourceQueues", &q).await),
        8 => {
            let arn = "arn:aws:sqs:us-east-1:000000000000:soak-dlq";
            drop(call(conn, shared, "ListMessageMoveTasks", &json!({"SourceArn": arn})).await)
        }
        9 => {
            // A message on the scratch queue, received and deleted (not tracked).
            drop(call(conn, shared, "SendMessage", &json!({"QueueUrl": url, "MessageBody": "scratch"})).await);
            drop(call(conn, shared, "ReceiveMessage", &json!({"QueueUrl": url})).await)
        }
        _ => drop(call(conn, shared, "DeleteQueue", &q).await),
    }
}
