//! Message move tasks: StartMessageMoveTask moves the messages of a dead-letter queue to a
//! destination queue, or each message back to the queue it was dead-lettered from, at an optional
//! pace. The task's state lives in the backend; the engine schedules it: [`run`] asks the backend to
//! move the messages that are due by the pace and sleeps on the engine clock until the next one is,
//! so tests drive tasks with paused time. See
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html>.

use crate::clock::Millis;
use crate::types::QueueId;
use crate::Engine;

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

    /// Only one active task per source queue.
    pub fn is_active(self) -> bool {
        matches!(self, MoveTaskStatus::Running | MoveTaskStatus::Cancelling)
    }
}

/// A move task as a backend records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveTask {
    pub task_id: String,
    pub source: QueueId,
    /// `None`: each message goes back to the queue it was dead-lettered from.
    pub destination: Option<QueueId>,
    pub max_per_second: Option<u32>,
    pub status: MoveTaskStatus,
    pub moved: u64,
    /// The source's visible messages when the task started.
    pub to_move: u64,
    /// FAILED only: the error code of what failed (`AWS.SimpleQueueService.NonExistentQueue`).
    pub failure_reason: Option<String>,
    pub started_at: Millis,
}

/// Unpaced tasks move this many messages per backend call, then yield.
const UNPACED_STEP: u64 = 100;

/// How many messages a task may have moved by `now`: message n leaves no earlier than n / rate
/// seconds after the start.
fn due_by(task: &MoveTask, now: Millis) -> u64 {
    match task.max_per_second {
        Some(rate) => now.saturating_sub(task.started_at) * rate.max(1) as u64 / 1000 + 1,
        None => task.moved + UNPACED_STEP,
    }
}

/// When the next message of a paced task is due.
fn next_due(task: &MoveTask) -> Option<Millis> {
    let rate = task.max_per_second?.max(1) as u64;
    Some(task.started_at + task.moved * 1000 / rate)
}

/// Runs a task until it ends; an error from the backend ends the runner (the task stays as the
/// backend has it and resumes with the next engine start).
pub(crate) async fn run(engine: Engine, task_id: String, mut task: MoveTask) {
    while task.status.is_active() {
        let now = engine.now();
        if task.status == MoveTaskStatus::Running {
            if let Some(due) = next_due(&task).filter(|due| *due > now) {
                engine.sleep_until(due).await;
                match engine.backend().move_tasks(&task.source).await {
                    Ok(tasks) => match tasks.into_iter().find(|t| t.task_id == task_id) {
                        Some(current) => task = current,
                        None => return,
                    },
                    Err(e) => {
                        tracing::warn!(task_id, error = %e, "move task stopped");
                        return;
                    }
                }
                continue;
            }
        }
        let limit = due_by(&task, now).saturating_sub(task.moved).max(1);
        match engine.backend().advance_move_task(&task_id, limit, now).await {
            Ok(advanced) => task = advanced,
            Err(e) => {
                tracing::warn!(task_id, error = %e, "move task stopped");
                return;
            }
        }
        if task.max_per_second.is_none() {
            tokio::task::yield_now().await;
        }
    }
}
