//! Message move tasks: recorded in `move_tasks`, advanced one locked step at a time, so a step
//! never runs twice at once whichever node runs it.

use tokio_postgres::types::ToSql;

use super::messages::{execute, move_messages, query, Move};
use super::rows::{self, int, QueueRecord};
use super::{client, fifo, ms, pg_error, retention_cutoff, sql, Db};
use crate::backend::StartTask;
use crate::clock::Millis;
use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::move_task::{MoveTask, MoveTaskStatus};
use crate::types::QueueId;

pub async fn start(db: &Db, task: MoveTask) -> SqsResult<StartTask> {
    let client = client(&db.pool).await?;
    let (source, destination) = (task.source.arn(), task.destination.as_ref().map(QueueId::arn));
    let (max_per_second, moved, to_move, started_at) =
        (task.max_per_second.map(|n| n as i32), int(task.moved), int(task.to_move), ms(task.started_at));
    let params: [&(dyn ToSql + Sync); 9] = [
        &task.task_id,
        &source,
        &destination,
        &max_per_second,
        &task.status.as_str(),
        &moved,
        &to_move,
        &task.failure_reason,
        &started_at,
    ];
    let started = query(&client, sql::tasks::START, &params).await?;
    Ok(if started.is_empty() { StartTask::AlreadyActive } else { StartTask::Started })
}

pub async fn of_source(db: &Db, source: &QueueId) -> SqsResult<Vec<MoveTask>> {
    let client = client(&db.pool).await?;
    query(&client, sql::tasks::BY_SOURCE, &[&source.arn()]).await?.iter().map(rows::task).collect()
}

pub async fn active(db: &Db) -> SqsResult<Vec<MoveTask>> {
    let client = client(&db.pool).await?;
    query(&client, sql::tasks::ACTIVE, &[]).await?.iter().map(rows::task).collect()
}

pub async fn cancel(db: &Db, source: &QueueId, task_id: &str) -> SqsResult<Option<MoveTask>> {
    let mut client = client(&db.pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let found = query(&tx, sql::tasks::CANCEL, &[&task_id, &source.arn()]).await?;
    let Some(row) = found.first() else { return Ok(None) };
    let before = rows::task(row)?;
    if before.status == MoveTaskStatus::Running {
        execute(&tx, sql::tasks::SET_STATUS, &[&task_id, &MoveTaskStatus::Cancelling.as_str()]).await?;
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(Some(before))
}

fn missing_task(task_id: &str) -> SqsError {
    SqsError::internal(format!("move task {task_id} does not exist"))
}

/// One step of a task (see [`crate::QueueBackend::advance_move_task`]): the task row is locked for
/// the step, each message taken with its row locked.
pub async fn advance(db: &Db, task_id: &str, limit: u64, now: Millis) -> SqsResult<MoveTask> {
    let mut client = client(&db.pool).await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let locked = query(&tx, sql::tasks::LOCK, &[&task_id]).await?;
    let mut task = rows::task(locked.first().ok_or_else(|| missing_task(task_id))?)?;
    let mut end = match task.status {
        MoveTaskStatus::Cancelling => Some((MoveTaskStatus::Cancelled, None)),
        MoveTaskStatus::Running => None,
        _ => return Ok(task),
    };
    let mut moved = 0u64;
    let mut destinations_touched = Vec::new();
    while end.is_none() && moved < limit {
        if task.moved + moved >= task.to_move {
            end = Some((MoveTaskStatus::Completed, None));
            break;
        }
        let source = match db.queues.get(&db.pool, &task.source).await {
            Ok(source) => source,
            Err(e) if e.code == ErrorCode::QueueDoesNotExist => {
                end = Some((MoveTaskStatus::Failed, Some(e.code)));
                break;
            }
            Err(e) => return Err(e),
        };
        let wanted = (limit - moved).min(task.to_move - task.moved - moved);
        let step = step(db, &tx, &source, task.destination.as_ref(), wanted, now).await?;
        moved += step.moved;
        destinations_touched.extend(step.destinations);
        end = step.end;
    }
    if end.is_none() && task.moved + moved >= task.to_move {
        end = Some((MoveTaskStatus::Completed, None));
    }
    task.moved += moved;
    if let Some((status, failure)) = end {
        task.status = status;
        task.failure_reason = failure.map(|code| code.query_code().to_string());
    }
    let params: [&(dyn ToSql + Sync); 4] = [&task_id, &int(task.moved), &task.status.as_str(), &task.failure_reason];
    execute(&tx, sql::tasks::SET_PROGRESS, &params).await?;
    tx.commit().await.map_err(pg_error)?;
    for id in destinations_touched {
        db.signals.messages_changed(&id);
    }
    Ok(task)
}

/// What one pass over a source's available messages did.
struct Step {
    moved: u64,
    destinations: Vec<QueueId>,
    end: Option<(MoveTaskStatus, Option<ErrorCode>)>,
}

/// Moves up to `wanted` available messages of `source`, in order, each to the task's destination
/// or back to the queue it was dead-lettered from; stops at a message whose destination does not
/// exist (FAILED, the message left in the source), and ends the task when the source has none.
async fn step(
    db: &Db,
    tx: &deadpool_postgres::Transaction<'_>,
    source: &QueueRecord,
    destination: Option<&QueueId>,
    wanted: u64,
    now: Millis,
) -> SqsResult<Step> {
    let uid = source.uid();
    let (candidates, groups) = if source.info.is_fifo() {
        let walk = fifo::walk(tx, source, wanted as usize, None, now).await?;
        let rows = query(tx, sql::messages::BY_SEQS, &[&uid, &walk.take]).await?;
        let order: std::collections::HashMap<i64, usize> = walk.take.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        let mut found: Vec<(i64, Option<String>)> = rows.iter().map(|r| (r.get(0), r.get(16))).collect();
        found.sort_by_key(|(seq, _)| order.get(seq).copied());
        (found, walk.groups)
    } else {
        let cutoff = retention_cutoff(now, source.info.config().retention_seconds);
        let params: [&(dyn ToSql + Sync); 4] = [&uid, &ms(now), &cutoff, &(wanted as i64)];
        let rows = query(tx, sql::messages::MOVE_CANDIDATES, &params).await?;
        (rows.iter().map(|r| (r.get(0), r.get(1))).collect(), Vec::new())
    };
    let mut step = Step { moved: 0, destinations: Vec::new(), end: None };
    if candidates.is_empty() {
        step.end = Some((MoveTaskStatus::Completed, None));
    }
    // Consecutive messages bound for the same queue move together.
    let mut run: Vec<i64> = Vec::new();
    let mut run_target: Option<std::sync::Arc<QueueRecord>> = None;
    for (seq, came_from) in candidates {
        let target_id = match destination {
            Some(id) => Some(id.clone()),
            None => came_from.as_deref().and_then(QueueId::from_arn),
        };
        let target = match target_id {
            Some(id) => match db.queues.get(&db.pool, &id).await {
                Ok(target) => Some(target),
                Err(e) if e.code == ErrorCode::QueueDoesNotExist => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let Some(target) = target else {
            step.end = Some((MoveTaskStatus::Failed, Some(ErrorCode::QueueDoesNotExist)));
            break;
        };
        if run_target.as_ref().is_some_and(|t| t.uid() != target.uid()) {
            step.moved += flush(tx, source, &mut run, &mut run_target, &mut step.destinations, now).await?;
        }
        run.push(seq);
        run_target = Some(target);
    }
    step.moved += flush(tx, source, &mut run, &mut run_target, &mut step.destinations, now).await?;
    fifo::refresh_groups(tx, source, &groups).await?;
    Ok(step)
}

async fn flush(
    tx: &deadpool_postgres::Transaction<'_>,
    source: &QueueRecord,
    run: &mut Vec<i64>,
    target: &mut Option<std::sync::Arc<QueueRecord>>,
    touched: &mut Vec<QueueId>,
    now: Millis,
) -> SqsResult<u64> {
    let Some(target) = target.take() else { return Ok(0) };
    if run.is_empty() {
        return Ok(0);
    }
    let moved = move_messages(tx, source, &target, run, Move::Task, now).await?;
    run.clear();
    touched.push(target.info.id.clone());
    Ok(moved)
}
