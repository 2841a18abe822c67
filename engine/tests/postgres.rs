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
                postgres::open(&Options::new(url)).await.map_err(|e| e.to_string())
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
