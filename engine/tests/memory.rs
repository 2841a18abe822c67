//! The in-memory backend passes the backend conformance suite.

use std::sync::Arc;

use sqs_local_engine::backend::memory::MemoryBackend;
use sqs_local_engine::QueueBackend;

fn backend() -> Arc<dyn QueueBackend> {
    Arc::new(MemoryBackend::new())
}

sqs_local_engine::conformance_suite!(backend);
