//! Message move tasks: StartMessageMoveTask moves the messages of a dead-letter queue to a
//! destination queue, or each message back to the queue it was dead-lettered from, at an optional
//! pace. Tasks run in the background on the engine's clock, so tests drive them with paused time.
//! See <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html>.

use std::sync::{Arc, Mutex, MutexGuard};

use super::clock::Millis;
use super::queue::Queue;
use super::Engine;

/// Lifecycle of a task, as ListMessageMoveTasks reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveTaskStatus {
    Running,
    Completed,
    Cancelling,
    Cancelled,
    Failed,
}

impl MoveTaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveTaskStatus::Running => "RUNNING",
            MoveTaskStatus::Completed => "COMPLETED",
            MoveTaskStatus::Cancelling => "CANCELLING",
            MoveTaskStatus::Cancelled => "CANCELLED",
            MoveTaskStatus::Failed => "FAILED",
        }
    }

    pub fn is_active(self) -> bool {
        matches!(self, MoveTaskStatus::Running | MoveTaskStatus::Cancelling)
    }
}

/// A snapshot of a task for listing.
#[derive(Debug, Clone)]
pub struct MoveTaskView {
    pub task_id: String,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub max_per_second: Option<u32>,
    pub status: MoveTaskStatus,
    pub moved: u64,
    pub to_move: u64,
    pub failure_reason: Option<String>,
    pub started_at: Millis,
}

/// A task and its progress, shared between the engine registry and the task's runner.
#[derive(Debug)]
pub struct MoveTask {
    state: Mutex<MoveTaskView>,
}

impl MoveTask {
    fn lock(&self) -> MutexGuard<'_, MoveTaskView> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn view(&self) -> MoveTaskView {
        self.lock().clone()
    }

    /// Asks a running task to stop; returns the count moved so far, or `None` if it is not running.
    pub fn cancel(&self) -> Option<u64> {
        let mut st = self.lock();
        if st.status != MoveTaskStatus::Running {
            return None;
        }
        st.status = MoveTaskStatus::Cancelling;
        Some(st.moved)
    }
}

/// Where one moved message goes.
fn destination_for(
    engine: &Engine,
    explicit: Option<&Arc<Queue>>,
    original_source_arn: Option<&str>,
) -> Option<Arc<Queue>> {
    match explicit {
        Some(queue) => (!queue.is_deleted()).then(|| queue.clone()),
        None => engine.queue(engine.queue_name_from_arn(original_source_arn?)?).ok(),
    }
}

/// Starts the runner of a task over `source`.
pub(crate) fn spawn(
    engine: Engine,
    source: Arc<Queue>,
    destination: Option<Arc<Queue>>,
    view: MoveTaskView,
) -> Arc<MoveTask> {
    let task = Arc::new(MoveTask { state: Mutex::new(view) });
    let runner = task.clone();
    tokio::spawn(async move { run(engine, source, destination, runner).await });
    task
}

/// Moves messages one at a time (paced when a rate is given) until `to_move` are moved, the source
/// runs dry, the task is cancelled, or a destination disappears (FAILED with the queue error code).
async fn run(engine: Engine, source: Arc<Queue>, destination: Option<Arc<Queue>>, task: Arc<MoveTask>) {
    let (to_move, rate, started_at) = {
        let v = task.view();
        (v.to_move, v.max_per_second, v.started_at)
    };
    let mut moved = 0u64;
    loop {
        if task.lock().status == MoveTaskStatus::Cancelling {
            task.lock().status = MoveTaskStatus::Cancelled;
            return;
        }
        if moved >= to_move {
            task.lock().status = MoveTaskStatus::Completed;
            return;
        }
        if let Some(rate) = rate {
            // Message n may leave no earlier than n / rate seconds after the start.
            let due = started_at + moved * 1000 / rate.max(1) as u64;
            if due > engine.now() {
                engine.sleep_until(due).await;
                continue;
            }
        }
        let now = engine.now();
        let Some((seq, message)) = source.take_available(now) else {
            task.lock().status = MoveTaskStatus::Completed;
            return;
        };
        let Some(target) =
            destination_for(&engine, destination.as_ref(), message.dead_letter_source_arn().map(|a| &**a))
        else {
            source.restore(seq, message, now);
            let mut st = task.lock();
            st.status = MoveTaskStatus::Failed;
            st.failure_reason = Some("AWS.SimpleQueueService.NonExistentQueue".into());
            return;
        };
        target.accept_moved(message, now);
        moved += 1;
        task.lock().moved = moved;
        if rate.is_none() && moved.is_multiple_of(100) {
            tokio::task::yield_now().await;
        }
    }
}
