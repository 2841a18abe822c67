//! Durable mode under kill -9: producers and consumers load a standard and a FIFO queue while the
//! server is killed with SIGKILL at random moments and restarted on the same data directory, cycle
//! after cycle. A ledger of what the server acknowledged proves, across every restart:
//! - nothing acknowledged is lost: every acknowledged send is delivered;
//! - no acknowledged delete comes back, and deduplication holds (a FIFO send retried after a crash
//!   with the same deduplication id is stored once);
//! - a received message stays invisible for its whole visibility timeout, crash or not: never two
//!   consumers at once;
//! - FIFO order within a group holds;
//! - a receipt handle issued before a crash deletes its message after it.
//!
//! `CRASH_SEED` replays a run's kill timings (it is printed); `CRASH_CYCLES` sets the number of
//! kills (default 20). A failed run keeps its data directory and prints where it is.
//!
//! With `CRASH_DATABASE_URL` (an empty database) the server keeps its state in PostgreSQL instead,
//! and with `CRASH_POSTGRES_PAUSE` and `CRASH_POSTGRES_RESUME` (shell commands that stop that
//! PostgreSQL and start it again) the database is also restarted `CRASH_POSTGRES_RESTARTS` times
//! (default 3) under the same load: while it is down `/health` answers 503 and requests answer
//! ServiceUnavailable within a bounded time (the clients take them as unacknowledged), and once it
//! is back the node serves again by itself. scripts/postgres-tests.sh runs it so.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The queues' visibility timeout, in seconds.
const VISIBILITY: u64 = 3;
/// Clock slack allowed when judging whether a message came back before its visibility ended.
const SLACK: Duration = Duration::from_millis(300);
const FIFO_GROUPS: u64 = 32;

// ---- the server process ----

/// Where the server keeps its state.
enum Store {
    Dir(std::path::PathBuf),
    Database(String),
}

struct Server {
    child: Option<Child>,
    port: u16,
    store: Store,
}

impl Server {
    fn start(store: Store) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = Server { child: None, port, store };
        server.spawn();
        server
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sqs-local"));
        command.args(["--port", &self.port.to_string()]);
        match &self.store {
            Store::Dir(dir) => command.arg("--data-dir").arg(dir),
            Store::Database(url) => command.args(["--database-url", url]),
        };
        let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(self.addr()).is_err() {
            assert!(Instant::now() < deadline, "the server restarts on its data");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// SIGKILL: no shutdown of any kind.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---- a client that survives the server dying under it ----

/// One keep-alive JSON 1.0 connection; any failure drops it and the next call reconnects.
struct Client {
    addr: String,
    stream: Option<TcpStream>,
}

impl Client {
    fn new(addr: &str) -> Client {
        Client { addr: addr.to_string(), stream: None }
    }

    /// The response's status and JSON body, or `None` when the server could not be reached or
    /// died before answering (the outcome is then unknown).
    async fn call(&mut self, action: &str, body: &Value) -> Option<(u16, Value)> {
        let reply = tokio::time::timeout(Duration::from_secs(10), self.exchange(action, body)).await;
        match reply {
            Ok(Some(reply)) => Some(reply),
            _ => {
                self.stream = None;
                None
            }
        }
    }

    async fn exchange(&mut self, action: &str, body: &Value) -> Option<(u16, Value)> {
        if self.stream.is_none() {
            self.stream = Some(TcpStream::connect(&self.addr).await.ok()?);
        }
        let stream = self.stream.as_mut()?;
        let body = body.to_string();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\n\
             X-Amz-Target: AmazonSQS.{action}\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16384];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
        let length: usize = head.lines().find_map(|l| l.strip_prefix("content-length:"))?.trim().parse().ok()?;
        while buf.len() < head_end + length {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some((status, serde_json::from_slice(&buf[head_end..head_end + length]).unwrap_or(Value::Null)))
    }
}

/// A call repeated while the server answers ServiceUnavailable or cannot be reached (its
/// database restarting), for up to 30 seconds.
async fn call_until_served(client: &mut Client, action: &str, body: &Value) -> Option<(u16, Value)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match client.call(action, body).await {
            Some((503, _)) | None if Instant::now() < deadline => pause().await,
            other => return other,
        }
    }
}

fn shell(command: &str) {
    let status = Command::new("sh").args(["-c", command]).status().expect("the command runs");
    assert!(status.success(), "{command}");
}

/// The status of `GET /health`, or `None` when the server does not answer.
async fn health(addr: &str) -> Option<u16> {
    let check = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await.ok()?;
        String::from_utf8_lossy(&reply).split(' ').nth(1)?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(10), check).await.ok().flatten()
}

/// Stops the database under load, checks that the node says so (`/health` 503, a request answered
/// ServiceUnavailable, each within the time the README promises), starts it again and waits until
/// the node is healthy again by itself.
async fn restart_database(stop: &str, start: &str, addr: &str, url: &str) {
    let (stop, start) = (stop.to_string(), start.to_string());
    tokio::task::spawn_blocking(move || shell(&stop)).await.unwrap();
    let down = Instant::now();
    assert_eq!(health(addr).await, Some(503), "/health while the database is down");
    let mut client = Client::new(addr);
    let (status, reply) =
        client.call("SendMessage", &json!({"QueueUrl": url, "MessageBody": "while down"})).await.unwrap();
    assert_eq!(status, 503, "{reply}");
    assert_eq!(reply["__type"], "com.amazon.coral.availability#ServiceUnavailableException", "{reply}");
    assert!(down.elapsed() < Duration::from_secs(12), "answered within a bounded time: {:?}", down.elapsed());
    tokio::task::spawn_blocking(move || shell(&start)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while health(addr).await != Some(200) {
        assert!(Instant::now() < deadline, "the node recovers by itself once the database is back");
        pause().await;
    }
}

// ---- the ledger ----

/// What was sent, acknowledged, delivered and deleted, and every rule broken.
#[derive(Default)]
struct Ledger {
    send_attempted: HashSet<String>,
    send_acked: HashSet<String>,
    /// Per delivered body: until when it must stay invisible (its latest receive's request time
    /// plus the visibility timeout).
    delivered: HashMap<String, Instant>,
    delete_attempted: HashSet<String>,
    delete_acked: HashSet<String>,
    /// Per FIFO group: the lowest index whose delete has not been attempted.
    fifo_low: HashMap<u64, u64>,
    violations: Vec<String>,
}

/// A FIFO body names its group and its index in the group: `f<group>-<index>`.
fn fifo_body(group: u64, index: u64) -> String {
    format!("f{group}-{index}")
}

fn parse_fifo(body: &str) -> Option<(u64, u64)> {
    let (g, k) = body.strip_prefix('f')?.split_once('-')?;
    Some((g.parse().ok()?, k.parse().ok()?))
}

impl Ledger {
    fn violation(&mut self, what: String) {
        if self.violations.len() < 50 {
            self.violations.push(what);
        }
    }

    /// Records the messages of one receive response, requested at `asked` with `visibility`.
    fn delivered(&mut self, bodies: &[String], asked: Instant, visibility: Duration) {
        let now = Instant::now();
        // FIFO: earlier messages of a group in the same response count as handled.
        let mut batch_next: HashMap<u64, u64> = HashMap::new();
        for body in bodies {
            if !self.send_attempted.contains(body) {
                self.violation(format!("{body}: delivered but never sent"));
            }
            if self.delete_acked.contains(body) {
                self.violation(format!("{body}: delivered again after its delete was acknowledged"));
            }
            if let Some(until) = self.delivered.get(body) {
                if now + SLACK < *until {
                    self.violation(format!("{body}: delivered again {:?} before its visibility ended", *until - now));
                }
            }
            self.delivered.insert(body.clone(), asked + visibility);
            if let Some((group, index)) = parse_fifo(body) {
                let low = self.fifo_low.get(&group).copied().unwrap_or(0);
                let allowed = batch_next.get(&group).copied().unwrap_or(low);
                if index > allowed {
                    self.violation(format!("{body}: delivered while index {allowed} of its group was not deleted"));
                }
                batch_next.insert(group, allowed.max(index + 1));
            }
        }
    }

    fn delete_attempted(&mut self, body: &str) {
        self.delete_attempted.insert(body.to_string());
        if let Some((group, _)) = parse_fifo(body) {
            let low = self.fifo_low.entry(group).or_insert(0);
            while self.delete_attempted.contains(&fifo_body(group, *low)) {
                *low += 1;
            }
        }
    }
}

type Shared = Arc<Mutex<Ledger>>;

// ---- the workload ----

struct Load {
    ledger: Shared,
    stop_producers: AtomicBool,
    stop_consumers: AtomicBool,
    /// Requests that failed because the server was gone: proof the kills hit live traffic.
    interrupted: AtomicU64,
}

async fn pause() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// Messages stored and not yet deleted beyond which producers wait: enough for restarts to have
/// something to restore, few enough for the consumers to keep up.
const BACKLOG: usize = 3000;

impl Load {
    /// Waits while the consumers are behind by more than [`BACKLOG`].
    async fn throttle(&self) {
        loop {
            let behind = {
                let ledger = self.ledger.lock().unwrap();
                ledger.send_acked.len().saturating_sub(ledger.delete_acked.len())
            };
            if behind < BACKLOG || self.stop_producers.load(Ordering::Relaxed) {
                return;
            }
            pause().await;
        }
    }
}

/// Sends `s<producer>-<n>` bodies, alternating SendMessage and SendMessageBatch.
async fn standard_producer(load: Arc<Load>, addr: String, url: String, producer: u64) {
    let mut client = Client::new(&addr);
    let mut n = 0u64;
    while !load.stop_producers.load(Ordering::Relaxed) {
        load.throttle().await;
        let bodies: Vec<String> =
            (0..if n.is_multiple_of(2) { 1 } else { 10 }).map(|i| format!("s{producer}-{}", n + i)).collect();
        n += bodies.len() as u64;
        load.ledger.lock().unwrap().send_attempted.extend(bodies.iter().cloned());
        let acked: Vec<String> = if bodies.len() == 1 {
            match client.call("SendMessage", &json!({"QueueUrl": url, "MessageBody": bodies[0]})).await {
                Some((200, _)) => bodies,
                _ => Vec::new(),
            }
        } else {
            let entries: Vec<Value> =
                bodies.iter().enumerate().map(|(i, b)| json!({"Id": format!("e{i}"), "MessageBody": b})).collect();
            match client.call("SendMessageBatch", &json!({"QueueUrl": url, "Entries": entries})).await {
                Some((200, reply)) => successful(&reply).into_iter().map(|i| bodies[i].clone()).collect(),
                _ => Vec::new(),
            }
        };
        if acked.is_empty() {
            load.interrupted.fetch_add(1, Ordering::Relaxed);
            pause().await;
        }
        load.ledger.lock().unwrap().send_acked.extend(acked);
    }
}

/// Sends the groups `g` with `g % producers == producer` in index order, each message only once
/// the previous one of its group was acknowledged, retrying an unacknowledged send with the same
/// deduplication id (so a send that was stored before the crash is deduplicated after it).
async fn fifo_producer(load: Arc<Load>, addr: String, url: String, producer: u64, producers: u64) {
    let mut client = Client::new(&addr);
    let groups: Vec<u64> = (0..FIFO_GROUPS).filter(|g| g % producers == producer).collect();
    let mut next: HashMap<u64, u64> = groups.iter().map(|g| (*g, 0)).collect();
    let mut turn = 0usize;
    while !load.stop_producers.load(Ordering::Relaxed) {
        load.throttle().await;
        let group = groups[turn % groups.len()];
        turn += 1;
        let first = next[&group];
        let count = if turn.is_multiple_of(2) { 1 } else { 5 };
        let bodies: Vec<String> = (first..first + count).map(|k| fifo_body(group, k)).collect();
        load.ledger.lock().unwrap().send_attempted.extend(bodies.iter().cloned());
        let entries: Vec<Value> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| json!({"Id": format!("e{i}"), "MessageBody": b, "MessageGroupId": format!("g{group}"), "MessageDeduplicationId": b}))
            .collect();
        match client.call("SendMessageBatch", &json!({"QueueUrl": url, "Entries": entries})).await {
            Some((200, reply)) if successful(&reply).len() == bodies.len() => {
                load.ledger.lock().unwrap().send_acked.extend(bodies);
                next.insert(group, first + count);
            }
            _ => {
                // Not acknowledged: the same messages again (same deduplication ids) next turn of
                // this group; the other groups go on meanwhile.
                load.interrupted.fetch_add(1, Ordering::Relaxed);
                pause().await;
            }
        }
    }
}

/// The indices of a batch reply's `Successful` entries (ids are `e<index>` / `d<index>`).
fn successful(reply: &Value) -> Vec<usize> {
    reply["Successful"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["Id"].as_str()?.get(1..)?.parse().ok())
        .collect()
}

/// Receives, records, deletes (alternating DeleteMessage and DeleteMessageBatch), until told to stop.
async fn consumer(load: Arc<Load>, addr: String, url: String) {
    let mut client = Client::new(&addr);
    let mut turn = 0u64;
    while !load.stop_consumers.load(Ordering::Relaxed) {
        turn += 1;
        let asked = Instant::now();
        let request = json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1});
        let Some((200, reply)) = client.call("ReceiveMessage", &request).await else {
            load.interrupted.fetch_add(1, Ordering::Relaxed);
            pause().await;
            continue;
        };
        let messages: Vec<(String, String)> = reply["Messages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| (m["Body"].as_str().unwrap().to_string(), m["ReceiptHandle"].as_str().unwrap().to_string()))
            .collect();
        if messages.is_empty() {
            continue;
        }
        {
            let mut ledger = load.ledger.lock().unwrap();
            let bodies: Vec<String> = messages.iter().map(|(b, _)| b.clone()).collect();
            ledger.delivered(&bodies, asked, Duration::from_secs(VISIBILITY));
            for (body, _) in &messages {
                ledger.delete_attempted(body);
            }
        }
        let acked = if turn.is_multiple_of(2) {
            let entries: Vec<Value> = messages
                .iter()
                .enumerate()
                .map(|(i, (_, handle))| json!({"Id": format!("d{i}"), "ReceiptHandle": handle}))
                .collect();
            match client.call("DeleteMessageBatch", &json!({"QueueUrl": url, "Entries": entries})).await {
                Some((200, reply)) => successful(&reply),
                _ => Vec::new(),
            }
        } else {
            let mut acked = Vec::new();
            for (i, (_, handle)) in messages.iter().enumerate() {
                if let Some((200, _)) =
                    client.call("DeleteMessage", &json!({"QueueUrl": url, "ReceiptHandle": handle})).await
                {
                    acked.push(i);
                }
            }
            acked
        };
        let mut ledger = load.ledger.lock().unwrap();
        for i in acked {
            ledger.delete_acked.insert(messages[i].0.clone());
        }
    }
}

/// A message received with a long visibility timeout just before a kill: its receipt handle is
/// used after the restart. Tries for a while, since consumers may hold every FIFO group.
async fn hold_one(load: &Load, client: &mut Client, url: &str) -> Option<(String, String)> {
    for _ in 0..50 {
        let asked = Instant::now();
        let (status, reply) = client.call("ReceiveMessage", &json!({"QueueUrl": url, "VisibilityTimeout": 60})).await?;
        if status == 503 {
            // The database is restarting.
            pause().await;
            continue;
        }
        assert_eq!(status, 200, "{reply}");
        let Some(message) = reply["Messages"].as_array().and_then(|m| m.first()) else {
            pause().await;
            continue;
        };
        let body = message["Body"].as_str()?.to_string();
        let handle = message["ReceiptHandle"].as_str()?.to_string();
        let mut ledger = load.ledger.lock().unwrap();
        ledger.delivered(std::slice::from_ref(&body), asked, Duration::from_secs(60));
        ledger.delete_attempted(&body);
        return Some((body, handle));
    }
    None
}

async fn counts(client: &mut Client, url: &str) -> Option<u64> {
    let names =
        ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"];
    let (status, reply) =
        call_until_served(client, "GetQueueAttributes", &json!({"QueueUrl": url, "AttributeNames": names})).await?;
    assert_eq!(status, 200, "{reply}");
    Some(names.iter().map(|n| reply["Attributes"][n].as_str().unwrap().parse::<u64>().unwrap()).sum())
}

/// xorshift64: kill timings from a printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_acknowledged_is_lost_through_kill_9() {
    let cycles: u64 = std::env::var("CRASH_CYCLES").ok().and_then(|c| c.parse().ok()).unwrap_or(20);
    let seed: u64 = std::env::var("CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    let database = std::env::var("CRASH_DATABASE_URL").ok();
    let restart_commands = match (std::env::var("CRASH_POSTGRES_PAUSE"), std::env::var("CRASH_POSTGRES_RESUME")) {
        (Ok(pause), Ok(resume)) if database.is_some() => Some((pause, resume)),
        _ => None,
    };
    let restarts: u64 = match &restart_commands {
        Some(_) => std::env::var("CRASH_POSTGRES_RESTARTS").ok().and_then(|c| c.parse().ok()).unwrap_or(3),
        None => 0,
    };
    println!(
        "CRASH_SEED={seed} CRASH_CYCLES={cycles} storage={}",
        if database.is_some() { "PostgreSQL" } else { "data directory" }
    );
    let mut rng = Rng(seed);
    let dir = std::env::temp_dir().join(format!("sqs-local-crash-{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = Server::start(match &database {
        Some(url) => Store::Database(url.clone()),
        None => Store::Dir(dir.clone()),
    });
    let addr = server.addr();
    let mut control = Client::new(&addr);
    let visibility = VISIBILITY.to_string();
    let mut urls = Vec::new();
    for (name, mut attributes) in [("crash-standard", json!({})), ("crash.fifo", json!({"FifoQueue": "true"}))] {
        attributes["VisibilityTimeout"] = json!(visibility);
        let (status, reply) =
            control.call("CreateQueue", &json!({"QueueName": name, "Attributes": attributes})).await.unwrap();
        assert_eq!(status, 200, "{reply}");
        urls.push(reply["QueueUrl"].as_str().unwrap().to_string());
    }
    let (standard, fifo) = (urls[0].clone(), urls[1].clone());

    let load = Arc::new(Load {
        ledger: Shared::default(),
        stop_producers: AtomicBool::new(false),
        stop_consumers: AtomicBool::new(false),
        interrupted: AtomicU64::new(0),
    });
    let mut producers = Vec::new();
    let mut consumers = Vec::new();
    for p in 0..2 {
        producers.push(tokio::spawn(standard_producer(load.clone(), addr.clone(), standard.clone(), p)));
        producers.push(tokio::spawn(fifo_producer(load.clone(), addr.clone(), fifo.clone(), p, 2)));
    }
    for _ in 0..3 {
        consumers.push(tokio::spawn(consumer(load.clone(), addr.clone(), standard.clone())));
        consumers.push(tokio::spawn(consumer(load.clone(), addr.clone(), fifo.clone())));
    }

    let mut old_handles_deleted = 0;
    // The cycles after which the database restarts, spread over the run.
    let restart_after: Vec<u64> = (1..=restarts).map(|i| i * cycles / (restarts + 1)).collect();
    let mut database_restarts = 0;
    for cycle in 0..cycles {
        if let (Some((pause, resume)), true) = (&restart_commands, restart_after.contains(&cycle)) {
            tokio::time::sleep(Duration::from_millis(150 + rng.below(450))).await;
            restart_database(pause, resume, &addr, &standard).await;
            database_restarts += 1;
        }
        tokio::time::sleep(Duration::from_millis(150 + rng.below(450))).await;
        let mut held = Vec::new();
        for url in [&standard, &fifo] {
            if let Some(message) = hold_one(&load, &mut control, url).await {
                held.push((url.clone(), message));
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.below(50))).await;
        server.kill();
        tokio::task::block_in_place(|| server.spawn());
        control = Client::new(&addr);
        for (url, (body, handle)) in held {
            let delete = json!({"QueueUrl": url, "ReceiptHandle": handle});
            let reply = call_until_served(&mut control, "DeleteMessage", &delete).await;
            let (status, reply) = reply.expect("the restarted server answers");
            assert_eq!(status, 200, "{body}: a receipt handle from before the crash deletes after it: {reply}");
            load.ledger.lock().unwrap().delete_acked.insert(body);
            old_handles_deleted += 1;
        }
    }

    // Drain: no more sends; consumers go on until every acknowledged send was delivered and both
    // queues are empty (messages in flight at a kill come back when their visibility ends).
    load.stop_producers.store(true, Ordering::Relaxed);
    for p in producers {
        p.await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let undelivered = {
            let ledger = load.ledger.lock().unwrap();
            ledger.send_acked.iter().filter(|b| !ledger.delivered.contains_key(*b)).count()
        };
        let left = counts(&mut control, &standard).await.unwrap() + counts(&mut control, &fifo).await.unwrap();
        if undelivered == 0 && left == 0 {
            break;
        }

        if Instant::now() > deadline {
            let ledger = load.ledger.lock().unwrap();
            let lost: Vec<_> =
                ledger.send_acked.iter().filter(|b| !ledger.delivered.contains_key(*b)).take(10).collect();
            panic!("{undelivered} acknowledged messages never delivered (e.g. {lost:?}), {left} still stored; data in {dir:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    load.stop_consumers.store(true, Ordering::Relaxed);
    for c in consumers {
        c.await.unwrap();
    }

    {
        let ledger = load.ledger.lock().unwrap();
        let sent = ledger.send_acked.len();
        let interrupted = load.interrupted.load(Ordering::Relaxed);
        println!(
            "{cycles} kills and {database_restarts} database restarts: {sent} sends acknowledged, {} delivered, \
             {} deletes acknowledged, {interrupted} requests cut off by a kill, {old_handles_deleted} pre-crash \
             receipt handles used after restart",
            ledger.delivered.len(),
            ledger.delete_acked.len()
        );
        assert!(ledger.violations.is_empty(), "data in {dir:?}; violations:\n{}", ledger.violations.join("\n"));
        // The test proves something only if the kills hit traffic and the checks had material.
        assert!(sent > 1000, "too little load to judge: {sent} sends");
        assert!(interrupted >= cycles, "the kills should cut requests off: {interrupted}");
        assert!(old_handles_deleted >= cycles * 3 / 2, "pre-crash receipt handles tested: {old_handles_deleted}");
    }

    // One more kill: what was deleted stays deleted.
    server.kill();
    tokio::task::block_in_place(|| server.spawn());
    control = Client::new(&addr);
    for url in [&standard, &fifo] {
        assert_eq!(counts(&mut control, url).await.unwrap(), 0, "{url}: deleted messages came back after a restart");
    }
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
