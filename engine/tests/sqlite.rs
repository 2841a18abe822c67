//! The durable backend passes the backend conformance suite, every change written to SQLite in a
//! fresh data directory per test. The suite runs with a 1 ms sync interval: operations are
//! answered before their commit, because the behaviour tests run on tokio's paused clock, which
//! jumps to the next timer whenever every task waits (a wait for a commit included). Full
//! durability is what tests/durable.rs (restarts) and the crash test check.

use std::sync::Arc;

use sqs_local_engine::backend::sqlite::{self, Options};
use sqs_local_engine::QueueBackend;

fn backend() -> Arc<dyn QueueBackend> {
    // The directory outlives the test (it is removed with the temporary directory's parent at
    // exit); the backend holds it locked.
    let dir = tempfile::tempdir().expect("a temporary directory").keep();
    let options = Options { dir, sync_interval: Some(std::time::Duration::from_millis(1)), max_bytes: None };
    Arc::new(sqlite::open(&options, 0).expect("a new data directory opens").backend)
}

sqs_local_engine::conformance_suite!(backend);

mod topics {
    use std::sync::Arc;

    use sqs_local_engine::backend::sqlite::{self, Options};
    use sqs_local_engine::TopicBackend;

    fn backend() -> Arc<dyn TopicBackend> {
        let dir = tempfile::tempdir().expect("a temporary directory").keep();
        let options = Options { dir, sync_interval: Some(std::time::Duration::from_millis(1)), max_bytes: None };
        Arc::new(sqlite::open(&options, 0).expect("a new data directory opens").topics)
    }

    sqs_local_engine::topic_conformance_suite!(backend);
}
