//! The PostgreSQL backend passes the queue and topic conformance suites unchanged. Each test
//! thread gets a database of its own (created in the server `SQS_LOCAL_TEST_DATABASE_URL` names),
//! emptied with the admin reset whenever a test asks for a fresh backend; every call runs on a
//! real-time runtime (see `conformance::real_time`), since the suite pauses tokio's clock.
//!
//! Run by scripts/postgres-tests.sh (in `make test`), which starts a throwaway PostgreSQL:
//! `cargo test -p sqs-local-engine --features postgres-tests --test postgres`.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqs_local_engine::backend::postgres::{self, Options, PostgresBackend, PostgresTopics};
use sqs_local_engine::conformance::real_time::{block_on, RealTime, RealTimeTopics};
use sqs_local_engine::{QueueBackend, TopicBackend};

fn server_url() -> String {
    std::env::var("SQS_LOCAL_TEST_DATABASE_URL")
        .expect("SQS_LOCAL_TEST_DATABASE_URL names a PostgreSQL server (scripts/postgres-tests.sh starts one)")
}

/// A new database on the test server, and its URL.
async fn new_database() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let server = server_url();
    let name = format!("sqs_local_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls).await.expect("the test server");
    tokio::spawn(connection);
    client.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0")).await.expect("a test database");
    match server.rsplit_once('/') {
        Some((base, rest)) => match rest.split_once('?') {
            Some((_, query)) => format!("{base}/{name}?{query}"),
            None => format!("{base}/{name}"),
        },
        None => panic!("the test server URL names a database"),
    }
}

thread_local! {
    static OPEN: RefCell<Option<(Arc<PostgresBackend>, Arc<PostgresTopics>)>> = const { RefCell::new(None) };
}

/// This thread's backends, emptied.
fn fresh() -> (Arc<PostgresBackend>, Arc<PostgresTopics>) {
    let open = OPEN.with(|open| open.borrow().clone());
    match open {
        Some((queues, topics)) => {
            let (q, t) = (queues.clone(), topics.clone());
            block_on(async move {
                q.reset(0).await.expect("reset");
                q.set_clock_offset(0, 0).await.expect("clock reset");
                t.reset().await.expect("topic reset");
            });
            (queues, topics)
        }
        None => {
            let opened = block_on(async {
                let url = new_database().await;
                // The suite's clock is not the database's: no sweeps on the database's time.
                let options = Options { housekeeping: false, ..Options::new(url) };
                postgres::open(&options).await.map_err(|e| e.to_string())
            })
            .expect("the backend opens");
            let opened = (Arc::new(opened.0), Arc::new(opened.1));
            OPEN.with(|open| *open.borrow_mut() = Some(opened.clone()));
            opened
        }
    }
}

fn backend() -> Arc<dyn QueueBackend> {
    Arc::new(RealTime(fresh().0))
}

sqs_local_engine::conformance_suite!(backend);

mod topics {
    use super::*;

    fn backend() -> Arc<dyn TopicBackend> {
        Arc::new(RealTimeTopics(fresh().1))
    }

    sqs_local_engine::topic_conformance_suite!(backend);
}

/// What the suites cannot show: migrations, housekeeping, on the real clock.
mod database {
    use sqs_local_engine::backend::postgres::{self, ConnectError, Options};
    use sqs_local_engine::message::NewMessage;
    use sqs_local_engine::queue::{NewQueue, QueueConfig, QueueSettings};
    use sqs_local_engine::{Namespace, QueueBackend, QueueId};

    async fn client(url: &str) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("the database");
        tokio::spawn(connection);
        client
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_starting_together_migrate_once_and_a_newer_schema_is_refused() {
        let url = super::new_database().await;
        let opening: Vec<_> = (0..4)
            .map(|_| {
                tokio::spawn({
                    let url = url.clone();
                    async move { postgres::open(&Options::new(url)).await.map(drop) }
                })
            })
            .collect();
        for open in opening {
            open.await.unwrap().map_err(|e| e.to_string()).expect("every node starts");
        }
        let db = client(&url).await;
        let versions: i64 = db.query_one("SELECT count(*) FROM sqs_local.schema_version", &[]).await.unwrap().get(0);
        assert_eq!(versions, 1, "migrated once");

        db.execute("INSERT INTO sqs_local.schema_version (version) VALUES (99)", &[]).await.unwrap();
        match postgres::open(&Options::new(url.clone())).await {
            Err(ConnectError::NewerSchema(99)) => {}
            Err(other) => panic!("refused for another reason: {other}"),
            Ok(_) => panic!("a newer schema is refused"),
        }
        let tables: i64 = db
            .query_one("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sqs_local'", &[])
            .await
            .unwrap()
            .get(0);
        assert!(tables > 10, "nothing dropped: {tables} tables");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn housekeeping_deletes_messages_past_retention_and_expired_windows() {
        let url = super::new_database().await;
        let (backend, _) = postgres::open(&Options::new(url.clone())).await.map_err(|e| e.to_string()).unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        let namespace = Namespace::new("000000000000", "us-east-1");
        let mut config = QueueConfig::new(false);
        config.retention_seconds = 60;
        let standard = QueueId::new(namespace, "old");
        let settings = QueueSettings { config, tags: Default::default() };
        backend.create_queue(NewQueue { id: standard.clone(), settings }, now, None).await.unwrap();
        let fifo = QueueId::new(namespace, "window.fifo");
        let settings = QueueSettings { config: QueueConfig::new(true), tags: Default::default() };
        backend.create_queue(NewQueue { id: fifo.clone(), settings }, now, None).await.unwrap();
        let messages: Vec<NewMessage> = (0..5).map(|i| NewMessage::standard(format!("m{i}"))).collect();
        backend.send(&standard, messages, true, now).await.unwrap();
        let grouped = sqs_local_engine::conformance::fifo_message("x", "G", "dedup-x");
        backend.send(&fifo, vec![grouped], false, now).await.unwrap();

        let db = client(&url).await;
        let count = |table: &'static str| {
            let db = &db;
            async move {
                db.query_one(&format!("SELECT count(*) FROM sqs_local.{table}"), &[]).await.unwrap().get::<_, i64>(0)
            }
        };
        backend.sweep().await.unwrap();
        assert_eq!((count("messages").await, count("dedup").await), (6, 1), "nothing is past its time yet");
        // The admin clock moves every node's time, housekeeping's too: 6 minutes on.
        backend.set_clock_offset(6 * 60 * 1000, now).await.unwrap();
        backend.sweep().await.unwrap();
        assert_eq!(count("message_bodies").await, 1, "the standard queue's messages are past retention");
        assert_eq!(count("dedup").await, 0, "the deduplication window ended");
        assert_eq!(count("messages").await, 1, "the FIFO message is within its 4 days");
    }

    /// Receivers racing on one queue through four backends on one database (as four nodes would;
    /// one node shares a statement among its concurrent receives): no message is handed out twice
    /// within its visibility timeout, and on a FIFO queue a group's messages come out in order,
    /// one batch of a group at a time.
    async fn race(fifo: bool) {
        use sqs_local_engine::message::ReceiveRequest;
        use std::collections::{HashMap, HashSet};
        use std::sync::{Arc, Mutex};

        let url = super::new_database().await;
        let mut nodes = Vec::new();
        for _ in 0..4 {
            let (backend, _) = postgres::open(&Options::new(url.clone())).await.map_err(|e| e.to_string()).unwrap();
            nodes.push(Arc::new(backend));
        }
        let backend = nodes[0].clone();
        let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        let id = QueueId::new(Namespace::new("000000000000", "us-east-1"), if fifo { "race.fifo" } else { "race" });
        let settings = QueueSettings { config: QueueConfig::new(fifo), tags: Default::default() };
        backend.create_queue(NewQueue { id: id.clone(), settings }, now(), None).await.unwrap();
        const GROUPS: usize = 20;
        const PER_GROUP: usize = 60;
        for i in 0..PER_GROUP {
            let batch: Vec<NewMessage> = (0..GROUPS)
                .map(|g| {
                    let body = format!("{g}-{i:03}");
                    if fifo {
                        sqs_local_engine::conformance::fifo_message(&body, &format!("g{g}"), &body)
                    } else {
                        NewMessage::standard(body)
                    }
                })
                .collect();
            for outcome in backend.send(&id, batch, true, now()).await.unwrap() {
                outcome.unwrap();
            }
        }
        let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let last_in_group: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let held: Arc<Mutex<HashSet<String>>> = Arc::default();
        let violations: Arc<Mutex<Vec<String>>> = Arc::default();
        let receivers: Vec<_> = (0..16)
            .map(|_| {
                let (backend, id, seen, last, held, violations) = (
                    backend.clone(),
                    id.clone(),
                    seen.clone(),
                    last_in_group.clone(),
                    held.clone(),
                    violations.clone(),
                );
                tokio::spawn(async move {
                    let request =
                        ReceiveRequest { max_messages: 10, visibility_timeout: Some(60), ..Default::default() };
                    loop {
                        if seen.lock().unwrap().len() == GROUPS * PER_GROUP {
                            return;
                        }
                        let got = backend.receive(&id, &request, now()).await.unwrap().messages;
                        let mut groups_here = HashSet::new();
                        for m in &got {
                            let body = m.body.to_string();
                            let group = body.split('-').next().unwrap().to_string();
                            *seen.lock().unwrap().entry(body.clone()).or_default() += 1;
                            if fifo {
                                if groups_here.insert(group.clone()) && !held.lock().unwrap().insert(group.clone()) {
                                    violations.lock().unwrap().push(format!("group {group} handed to two receivers"));
                                }
                                let mut last = last.lock().unwrap();
                                if last.get(&group).is_some_and(|l| *l > body) {
                                    violations.lock().unwrap().push(format!("{body} after {:?}", last.get(&group)));
                                }
                                last.insert(group, body);
                            }
                        }
                        let handles: Vec<String> = got.iter().map(|m| m.receipt_handle.clone()).collect();
                        if fifo {
                            // The group is released by the delete: forget it first, or another
                            // receiver could take it between the delete and the forgetting.
                            let mut held = held.lock().unwrap();
                            for group in &groups_here {
                                held.remove(group);
                            }
                        }
                        for outcome in backend.delete_messages(&id, &handles, now()).await.unwrap() {
                            outcome.unwrap();
                        }
                    }
                })
            })
            .collect();
        for receiver in receivers {
            receiver.await.unwrap();
        }
        let seen = seen.lock().unwrap();
        let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).map(|(b, _)| b.clone()).collect();
        assert!(twice.is_empty(), "handed out twice within the visibility timeout: {twice:?}");
        assert_eq!(seen.len(), GROUPS * PER_GROUP);
        let violations = violations.lock().unwrap();
        assert!(violations.is_empty(), "{violations:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn racing_receivers_never_share_a_standard_message() {
        race(false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn racing_receivers_never_share_a_fifo_group_and_keep_its_order() {
        race(true).await;
    }
}
