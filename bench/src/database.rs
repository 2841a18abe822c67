//! `sqs-bench database`: what the PostgreSQL backend costs the database, per message, through the
//! full HTTP path. One node (started with `--database-url`) and the load generator share the
//! machine with PostgreSQL; four scenarios, each on a fresh queue:
//! - send 1: SendMessage;
//! - send 10: SendMessageBatch of 10;
//! - unbatched cycle: clients each send 1, receive 1, delete 1, over and over;
//! - batched cycle: clients each send 10, receive 10, delete 10.
//!
//! For each: messages/s, PostgreSQL CPU per message (user and system time of every `postgres`
//! process, from /proc: the postmaster and its backends, so run it against a server of its own),
//! node CPU per message, and committed transactions per message (`pg_stat_database`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{batch_entries, body_100, closed_loop, create_queue, Conn};
use crate::scenarios::{figure, Figure, Target};
use crate::server::Server;

/// CPU seconds used so far by every process named `postgres` (Linux's USER_HZ: 100 ticks a second).
fn postgres_cpu_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0.0 };
    let mut ticks = 0.0;
    for entry in entries.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        if &stat[open + 1..close] != "postgres" {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let get = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        ticks += get(11) + get(12);
    }
    ticks / 100.0
}

/// Committed transactions of the database so far.
async fn commits(database: &tokio_postgres::Client) -> f64 {
    // Statistics reach pg_stat_database once a backend reports them (at most a second later).
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let row = database
        .query_one("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", &[])
        .await
        .expect("pg_stat_database");
    row.get::<_, i64>(0) as f64
}

struct Meter<'a> {
    server: &'a Server,
    database: &'a tokio_postgres::Client,
    started: Instant,
    node_cpu: f64,
    postgres_cpu: f64,
    commits: f64,
}

impl<'a> Meter<'a> {
    async fn start(server: &'a Server, database: &'a tokio_postgres::Client) -> Meter<'a> {
        let commits = commits(database).await;
        Meter {
            server,
            database,
            started: Instant::now(),
            node_cpu: server.cpu_seconds().unwrap_or(0.0),
            postgres_cpu: postgres_cpu_seconds(),
            commits,
        }
    }

    /// Prints and returns the figures for `messages` messages.
    async fn stop(self, label: &str, messages: usize) -> Vec<Figure> {
        let elapsed = self.started.elapsed().as_secs_f64();
        let postgres_cpu = postgres_cpu_seconds() - self.postgres_cpu;
        let node_cpu = self.server.cpu_seconds().unwrap_or(0.0) - self.node_cpu;
        // The commits the measurement itself makes (two statistics reads) are left out.
        let commits = commits(self.database).await - self.commits - 1.0;
        let n = messages as f64;
        let rate = n / elapsed;
        let (pg_us, node_us, txn) = (postgres_cpu * 1e6 / n, node_cpu * 1e6 / n, commits / n);
        println!(
            "{label:<16} {rate:>9.0} msg/s   PostgreSQL {pg_us:>6.1} µs CPU/msg   node {node_us:>6.1} µs CPU/msg   \
             {txn:.3} transactions/msg"
        );
        vec![
            figure(format!("{label} rate"), rate, "msg/s"),
            figure(format!("{label} postgres cpu"), pg_us, "µs/msg"),
            figure(format!("{label} node cpu"), node_us, "µs/msg"),
            figure(format!("{label} transactions"), txn, "txn/msg"),
        ]
    }
}

/// The send-receive-delete cycle: `clients` connections, each sending `batch` messages, receiving
/// up to `batch` and deleting what it got, until `messages` were deleted.
async fn cycle(addr: &str, url: &str, clients: usize, batch: usize, messages: usize) {
    let deleted = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (deleted, url, addr) = (deleted.clone(), url.to_string(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let mut i = c * 1_000_000;
            while deleted.load(Ordering::Relaxed) < messages {
                let (status, body) = if batch == 1 {
                    conn.call("SendMessage", &json!({"QueueUrl": url, "MessageBody": body_100(i)})).await
                } else {
                    conn.call("SendMessageBatch", &json!({"QueueUrl": url, "Entries": batch_entries(i)})).await
                };
                assert_eq!(status, 200, "{body}");
                i += batch;
                let receive = json!({"QueueUrl": url, "MaxNumberOfMessages": batch, "WaitTimeSeconds": 1});
                let (status, body) = conn.call("ReceiveMessage", &receive).await;
                assert_eq!(status, 200, "{body}");
                let handles: Vec<Value> =
                    body["Messages"].as_array().into_iter().flatten().map(|m| m["ReceiptHandle"].clone()).collect();
                if handles.is_empty() {
                    continue;
                }
                if batch == 1 {
                    for handle in &handles {
                        let (status, _) =
                            conn.call("DeleteMessage", &json!({"QueueUrl": url, "ReceiptHandle": handle})).await;
                        assert_eq!(status, 200);
                    }
                } else {
                    let entries: Vec<Value> = handles
                        .iter()
                        .enumerate()
                        .map(|(k, h)| json!({"Id": format!("d{k}"), "ReceiptHandle": h}))
                        .collect();
                    let (status, _) =
                        conn.call("DeleteMessageBatch", &json!({"QueueUrl": url, "Entries": entries})).await;
                    assert_eq!(status, 200);
                }
                deleted.fetch_add(handles.len(), Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.expect("client");
    }
}

pub async fn database(t: &Target, database_url: &str, messages: usize) -> Vec<Figure> {
    let (database, connection) =
        tokio_postgres::connect(database_url, tokio_postgres::NoTls).await.expect("the benchmark database");
    tokio::spawn(connection);
    let mut spec = t.spec.clone();
    spec.args.extend(["--database-url".to_string(), database_url.to_string()]);
    let server = Server::start(&spec, None);
    let addr = server.addr.clone();
    let mut figures = Vec::new();
    let run = std::process::id();

    let url = create_queue(&addr, &format!("bench-db-send-{run}"), json!({})).await;
    let meter = Meter::start(&server, &database).await;
    let make = Arc::new(move |i| json!({"QueueUrl": url, "MessageBody": body_100(i)}));
    closed_loop(&addr, t.connections, messages, "SendMessage", make).await;
    figures.extend(meter.stop("send 1", messages).await);

    let url = create_queue(&addr, &format!("bench-db-batch-{run}"), json!({})).await;
    let meter = Meter::start(&server, &database).await;
    let make = Arc::new(move |i: usize| json!({"QueueUrl": url, "Entries": batch_entries(i * 10)}));
    closed_loop(&addr, t.connections, messages / 10, "SendMessageBatch", make).await;
    figures.extend(meter.stop("send 10", messages / 10 * 10).await);

    let url = create_queue(&addr, &format!("bench-db-cycle-{run}"), json!({})).await;
    let meter = Meter::start(&server, &database).await;
    cycle(&addr, &url, 16, 1, messages).await;
    figures.extend(meter.stop("unbatched cycle", messages).await);

    let url = create_queue(&addr, &format!("bench-db-batched-{run}"), json!({})).await;
    let meter = Meter::start(&server, &database).await;
    cycle(&addr, &url, t.connections, 10, messages).await;
    figures.extend(meter.stop("batched cycle", messages).await);
    figures
}
