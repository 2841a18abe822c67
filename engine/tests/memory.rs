//! The in-memory backend passes the backend conformance suite.

use std::sync::Arc;

use sqs_local_engine::backend::memory::MemoryBackend;
use sqs_local_engine::QueueBackend;

fn backend() -> Arc<dyn QueueBackend> {
    Arc::new(MemoryBackend::new())
}

sqs_local_engine::conformance_suite!(backend);

mod topics {
    use std::sync::Arc;

    use sqs_local_engine::backend::memory::topics::MemoryTopics;
    use sqs_local_engine::TopicBackend;

    fn backend() -> Arc<dyn TopicBackend> {
        Arc::new(MemoryTopics::new())
    }

    sqs_local_engine::topic_conformance_suite!(backend);
}
