//! `sqs-bench`: a load generator for sqs-local speaking AWS JSON 1.0 over keep-alive connections.
//!
//! It starts the emulator binary (`sqs-local`, next to this executable) as a child process on a free
//! port, runs a scenario, and prints requests/s, messages/s and latency percentiles. `baseline`
//! runs the same client against a bare hyper server (this binary's `serve-baseline` mode) that
//! answers every request with a fixed 200, so figures can be read as a fraction of what HTTP alone
//! does on the machine.
//!
//! ```text
//! cargo run --release --bin sqs-bench -- all
//! cargo run --release --bin sqs-bench -- send --connections 32 --requests 200000
//! cargo run --release --bin sqs-bench -- backlog --sizes 1000,100000,1000000
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, Subcommand};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

#[derive(Parser)]
#[command(about = "Load generator for sqs-local (AWS JSON 1.0 over keep-alive connections)")]
struct Args {
    #[command(subcommand)]
    scenario: Scenario,
    /// Concurrent connections.
    #[arg(long, short, default_value_t = 32, global = true)]
    connections: usize,
    /// Use a running server instead of starting one (no RSS figures then).
    #[arg(long, global = true)]
    url: Option<String>,
}

#[derive(Subcommand, Clone)]
enum Scenario {
    /// Bare hyper server answering 200: the HTTP ceiling.
    Baseline {
        #[arg(long, default_value_t = 200_000)]
        requests: usize,
    },
    /// SendMessage with 100-byte bodies.
    Send {
        #[arg(long, default_value_t = 200_000)]
        requests: usize,
    },
    /// SendMessageBatch of 10.
    SendBatch {
        #[arg(long, default_value_t = 50_000)]
        requests: usize,
    },
    /// Producers batch-send while consumers receive (10, long poll) and delete; exactly-once check.
    Roundtrip {
        #[arg(long, default_value_t = 500_000)]
        messages: usize,
    },
    /// Roundtrip on a FIFO queue with G groups; per-group order check.
    Fifo {
        #[arg(long, default_value_t = 500_000)]
        messages: usize,
        #[arg(long, default_value_t = 10_000)]
        groups: usize,
    },
    /// A consumer long-polling (20 s) while a producer sends every 50 ms: send-to-receive latency.
    LongpollLatency {
        #[arg(long, default_value_t = 200)]
        messages: usize,
    },
    /// Preload M messages, then receive (and delete and replace) a fixed number while the backlog
    /// stays at M: receive cost against backlog size, and the server's RSS.
    Backlog {
        #[arg(long, value_delimiter = ',', default_value = "1000,100000,1000000")]
        sizes: Vec<usize>,
        /// Messages received (and deleted and replaced) at each size.
        #[arg(long, default_value_t = 100_000)]
        drain: usize,
    },
    /// FIFO receive cost against the number of groups: preload M messages spread over G groups,
    /// then drain them; compares the drain rate for each G.
    FifoGroups {
        #[arg(long, value_delimiter = ',', default_value = "10,100000")]
        groups: Vec<usize>,
        #[arg(long, default_value_t = 200_000)]
        messages: usize,
    },
    /// Every scenario with default sizes.
    All,
    /// Internal: serve the baseline server on the given port.
    #[command(hide = true)]
    ServeBaseline { port: u16 },
}

// ------------------------------------------------------------------ client

/// One keep-alive HTTP/1.1 connection speaking JSON 1.0.
struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).ok();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
        tokio::spawn(conn);
        Conn { sender, host: addr.to_string() }
    }

    async fn call(&mut self, action: &str, body: &Value) -> (u16, Value) {
        let request = hyper::Request::post("/")
            .header("host", &self.host)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("AmazonSQS.{action}"))
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("request");
        self.sender.ready().await.expect("connection ready");
        let response = self.sender.send_request(request).await.expect("response");
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// Latency samples in microseconds.
#[derive(Default)]
struct Latencies(Vec<u32>);

impl Latencies {
    fn add(&mut self, since: Instant) {
        self.0.push(since.elapsed().as_micros().min(u32::MAX as u128) as u32);
    }
    fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }
    fn summary(&mut self) -> String {
        if self.0.is_empty() {
            return "no samples".into();
        }
        self.0.sort_unstable();
        let pick = |q: f64| self.0[((self.0.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
        format!("p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms", pick(0.5), pick(0.99), pick(1.0))
    }
}

// ------------------------------------------------------------------ servers

struct Server {
    addr: String,
    child: Option<Child>,
}

impl Server {
    fn start(args: &Args, baseline: bool) -> Server {
        if let (Some(url), false) = (&args.url, baseline) {
            return Server { addr: url.trim_start_matches("http://").trim_end_matches('/').into(), child: None };
        }
        let port = free_port();
        let exe = std::env::current_exe().expect("current exe");
        let mut command = if baseline {
            let mut c = Command::new(&exe);
            c.args(["serve-baseline", &port.to_string()]);
            c
        } else {
            let mut c = Command::new(exe.with_file_name("sqs-local"));
            c.args(["--port", &port.to_string(), "--purge-cooldown", "false", "--delete-cooldown", "false"]);
            c
        };
        let child = command.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().expect("start server");
        let addr = format!("127.0.0.1:{port}");
        for _ in 0..200 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Server { addr, child: Some(child) }
    }

    /// Peak and current resident set size of the server process, in MiB.
    fn rss_mib(&self) -> Option<(f64, f64)> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
        };
        Some((field("VmHWM:")?, field("VmRSS:")?))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

async fn serve_baseline(port: u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        stream.set_nodelay(true).ok();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|_req| async {
                Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"{}"))))
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

// ------------------------------------------------------------------ scenarios

async fn create_queue(addr: &str, name: &str, attributes: Value) -> String {
    let (status, body) =
        Conn::open(addr).await.call("CreateQueue", &json!({"QueueName": name, "Attributes": attributes})).await;
    assert_eq!(status, 200, "CreateQueue: {body}");
    body["QueueUrl"].as_str().expect("QueueUrl").to_string()
}

fn body_100(i: usize) -> String {
    format!("{i:0>100}")
}

/// Runs `requests` calls spread over `connections`, each built by `make(i)`; returns (elapsed, latencies).
async fn closed_loop(
    addr: &str,
    connections: usize,
    requests: usize,
    action: &'static str,
    make: Arc<dyn Fn(usize) -> Value + Send + Sync>,
) -> (Duration, Latencies) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (next, make, addr) = (next.clone(), make.clone(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let mut lat = Latencies::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    return lat;
                }
                let t = Instant::now();
                let (status, body) = conn.call(action, &make(i)).await;
                assert_eq!(status, 200, "{action}: {body}");
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

async fn baseline(args: &Args, requests: usize) -> f64 {
    let server = Server::start(args, true);
    let (elapsed, mut lat) =
        closed_loop(&server.addr, args.connections, requests, "Ping", Arc::new(|_| json!({}))).await;
    let rps = requests as f64 / elapsed.as_secs_f64();
    println!("baseline     {:>10.0} req/s                       {}", rps, lat.summary());
    rps
}

async fn send(args: &Args, requests: usize) -> f64 {
    let server = Server::start(args, false);
    let url = create_queue(&server.addr, "bench-send", json!({})).await;
    let make = Arc::new(move |i| json!({"QueueUrl": url, "MessageBody": body_100(i)}));
    let (elapsed, mut lat) = closed_loop(&server.addr, args.connections, requests, "SendMessage", make).await;
    let rps = requests as f64 / elapsed.as_secs_f64();
    println!("send         {:>10.0} req/s  {:>10.0} msg/s     {}", rps, rps, lat.summary());
    rps
}

fn batch_entries(start: usize) -> Value {
    (0..10).map(|k| json!({"Id": format!("e{k}"), "MessageBody": body_100(start + k)})).collect()
}

async fn send_batch(args: &Args, requests: usize) -> f64 {
    let server = Server::start(args, false);
    let url = create_queue(&server.addr, "bench-batch", json!({})).await;
    let make = Arc::new(move |i: usize| json!({"QueueUrl": url, "Entries": batch_entries(i * 10)}));
    let (elapsed, mut lat) = closed_loop(&server.addr, args.connections, requests, "SendMessageBatch", make).await;
    let rps = requests as f64 / elapsed.as_secs_f64();
    println!("send-batch   {:>10.0} req/s  {:>10.0} msg/s     {}", rps, rps * 10.0, lat.summary());
    rps * 10.0
}

/// Producers and consumers on one queue; checks exactly-once and (FIFO) per-group order.
async fn roundtrip(args: &Args, messages: usize, groups: Option<usize>) -> f64 {
    let server = Server::start(args, false);
    let fifo = groups.is_some();
    let name = if fifo { "bench-rt.fifo" } else { "bench-rt" };
    let attributes = if fifo { json!({"FifoQueue": "true"}) } else { json!({}) };
    let url = create_queue(&server.addr, name, attributes).await;
    let producers = (args.connections / 2).max(1);
    let consumers = (args.connections - producers).max(1);
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
    let extra = match groups {
        Some(g) => format!(", {g} groups, {} order violations", order_violations.load(Ordering::Relaxed)),
        None => String::new(),
    };
    let per_receive = total as f64 / receives.load(Ordering::Relaxed).max(1) as f64;
    println!(
        "{label:<12} {rate:>10.0} msg/s end to end ({lost} lost, {duplicated} duplicated{extra}), \
         {per_receive:.1} msg/receive, receive {}",
        lat.summary()
    );
    rate
}

async fn longpoll_latency(args: &Args, messages: usize) {
    let server = Server::start(args, false);
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
}

async fn backlog(args: &Args, sizes: &[usize], drain: usize) -> Vec<f64> {
    let server = Server::start(args, false);
    let mut rates = Vec::new();
    for &size in sizes {
        let url = create_queue(&server.addr, &format!("bench-backlog-{size}"), json!({})).await;
        let u = url.clone();
        let batches = size.div_ceil(10);
        let started = Instant::now();
        let make = Arc::new(move |i: usize| json!({"QueueUrl": u, "Entries": batch_entries(i * 10)}));
        closed_loop(&server.addr, args.connections, batches, "SendMessageBatch", make).await;
        let preload = started.elapsed();
        // Steady state at this backlog: each consumer receives 10, deletes them and sends 10 new
        // ones, so the queue keeps holding `size` messages while `drain` are received.
        let (rate, mut lat) = consume(&server.addr, &url, args.connections, drain, true).await;
        let rss = server
            .rss_mib()
            .map(|(peak, now)| format!("  server RSS {now:.0} MiB (peak {peak:.0} MiB)"))
            .unwrap_or_default();
        println!(
            "backlog {size:>8}: preload {:.1} s, steady receive+delete+send {rate:>7.0} msg/s, receive {}{rss}",
            preload.as_secs_f64(),
            lat.summary()
        );
        rates.push((size, rate));
        // Free the memory before the next size.
        Conn::open(&server.addr).await.call("DeleteQueue", &json!({"QueueUrl": url})).await;
    }
    if let (Some((small, a)), Some((large, b))) = (rates.first(), rates.last()) {
        println!("backlog      rate at {large} is {:.0}% of the rate at {small}", b / a * 100.0);
    }
    rates.into_iter().map(|(_, r)| r).collect()
}

/// `consumers` connections receive 10 at a time and delete what they got until `count` messages
/// were received; with `refill` each also sends as many new messages, keeping the backlog level.
/// Returns messages/s and receive latencies.
async fn consume(addr: &str, url: &str, consumers: usize, count: usize, refill: bool) -> (f64, Latencies) {
    let received = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..consumers {
        let (received, url, addr) = (received.clone(), url.to_string(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let mut lat = Latencies::default();
            while received.load(Ordering::Relaxed) < count {
                let t = Instant::now();
                let (_, body) = conn.call("ReceiveMessage", &json!({"QueueUrl": url, "MaxNumberOfMessages": 10})).await;
                lat.add(t);
                let Some(messages) = body["Messages"].as_array() else { continue };
                let entries: Vec<Value> = messages
                    .iter()
                    .enumerate()
                    .map(|(k, m)| json!({"Id": format!("d{k}"), "ReceiptHandle": m["ReceiptHandle"]}))
                    .collect();
                let n = entries.len();
                received.fetch_add(n, Ordering::Relaxed);
                conn.call("DeleteMessageBatch", &json!({"QueueUrl": url, "Entries": entries})).await;
                if refill {
                    let new: Vec<Value> =
                        (0..n).map(|k| json!({"Id": format!("r{k}"), "MessageBody": body_100(k)})).collect();
                    conn.call("SendMessageBatch", &json!({"QueueUrl": url, "Entries": new})).await;
                }
            }
            lat
        }));
    }
    let mut lat = Latencies::default();
    for t in tasks {
        lat.merge(t.await.expect("task"));
    }
    (received.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64(), lat)
}

async fn fifo_groups(args: &Args, group_counts: &[usize], messages: usize) -> Vec<f64> {
    let server = Server::start(args, false);
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
        closed_loop(&server.addr, args.connections, messages.div_ceil(10), "SendMessageBatch", make).await;
        // The same number of consumers for every group count: as many as the smallest count can
        // keep busy (a group is served to one consumer at a time).
        let consumers = args.connections.min(group_counts.iter().copied().min().unwrap_or(1));
        let total = messages.div_ceil(10) * 10;
        let (rate, _) = consume(&server.addr, &url, consumers, total, false).await;
        println!("fifo-groups  {groups:>7} groups: drain {rate:>8.0} msg/s ({consumers} consumers, {total} messages)");
        rates.push((groups, rate));
        Conn::open(&server.addr).await.call("DeleteQueue", &json!({"QueueUrl": url})).await;
    }
    if let (Some((few, a)), Some((many, b))) = (rates.first(), rates.last()) {
        println!("fifo-groups  drain rate with {many} groups is {:.0}% of the rate with {few}", b / a * 100.0);
    }
    rates.into_iter().map(|(_, r)| r).collect()
}

/// The median of each ratio `num[i] / den[i]` over repeated runs, in percent.
fn median_ratio(pairs: &[(f64, f64)]) -> f64 {
    let mut ratios: Vec<f64> = pairs.iter().map(|(n, d)| n / d * 100.0).collect();
    ratios.sort_by(|a, b| a.total_cmp(b));
    ratios[ratios.len() / 2]
}

fn idle_figures(args: &Args) {
    let started = Instant::now();
    let server = Server::start(args, false);
    let first = std::net::TcpStream::connect(&server.addr).is_ok();
    let startup = started.elapsed();
    std::thread::sleep(Duration::from_millis(200));
    if let Some((_, rss)) = server.rss_mib() {
        println!(
            "startup      first connection accepted after {:.1} ms ({first}); idle RSS {rss:.1} MiB",
            startup.as_secs_f64() * 1000.0
        );
    }
}

fn main() {
    let args = Args::parse();
    if let Scenario::ServeBaseline { port } = args.scenario {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(serve_baseline(port));
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        match args.scenario.clone() {
            Scenario::Baseline { requests } => {
                baseline(&args, requests).await;
            }
            Scenario::Send { requests } => {
                send(&args, requests).await;
            }
            Scenario::SendBatch { requests } => {
                send_batch(&args, requests).await;
            }
            Scenario::Roundtrip { messages } => {
                roundtrip(&args, messages, None).await;
            }
            Scenario::Fifo { messages, groups } => {
                roundtrip(&args, messages, Some(groups)).await;
            }
            Scenario::LongpollLatency { messages } => longpoll_latency(&args, messages).await,
            Scenario::Backlog { sizes, drain } => {
                backlog(&args, &sizes, drain).await;
            }
            Scenario::FifoGroups { groups, messages } => {
                fifo_groups(&args, &groups, messages).await;
            }
            Scenario::All => {
                // The ratios are what the targets are about, and a shared 2-core machine is noisy:
                // each compared pair runs three times, interleaved, and the median ratio is reported.
                idle_figures(&args);
                let mut send_pairs = Vec::new();
                let mut fifo_pairs = Vec::new();
                let mut group_pairs = Vec::new();
                let mut backlog_pairs = Vec::new();
                for round in 1..=3 {
                    println!("-- round {round} of 3");
                    let base = baseline(&args, 200_000).await;
                    send_pairs.push((send(&args, 200_000).await, base));
                    let standard = roundtrip(&args, 500_000, None).await;
                    fifo_pairs.push((roundtrip(&args, 500_000, Some(10_000)).await, standard));
                    let g = fifo_groups(&args, &[10, 100_000], 200_000).await;
                    group_pairs.push((g[1], g[0]));
                    let b = backlog(&args, &[1_000, 100_000, 1_000_000], 100_000).await;
                    backlog_pairs.push((b[2], b[0]));
                }
                println!("-- once");
                send_batch(&args, 50_000).await;
                longpoll_latency(&args, 200).await;
                println!("-- medians of the three rounds");
                println!("send         = {:.0}% of baseline", median_ratio(&send_pairs));
                println!("fifo         = {:.0}% of the standard roundtrip rate", median_ratio(&fifo_pairs));
                println!("fifo-groups  100,000 groups = {:.0}% of 10 groups", median_ratio(&group_pairs));
                println!("backlog      1,000,000 = {:.0}% of 1,000", median_ratio(&backlog_pairs));
            }
            Scenario::ServeBaseline { .. } => {}
        }
    });
}
