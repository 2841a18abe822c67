//! The durable backend across restarts, with full durability: what persists, timers measured
//! against the clock, receipt handles and sequence numbers across a restart, and the care taken
//! with the data directory (a second process, a newer schema, a damaged file, a full disk).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqs_local_engine::backend::sqlite::{self, OpenError, Options};
use sqs_local_engine::clock::TokioClock;
use sqs_local_engine::conformance::{delayed, fifo_message, grouped, msg, namespace, redrive_to, TestQueue};
use sqs_local_engine::error::ErrorCode;
use sqs_local_engine::message::ReceiveRequest;
use sqs_local_engine::move_task::MoveTaskStatus;
use sqs_local_engine::queue::{DedupScope, NewQueue, QueueConfig, QueueSettings};
use sqs_local_engine::{CreateOutcome, Engine, EngineSettings, QueueId};

const T0: u64 = 1_800_000_000_000;

fn options(dir: &Path) -> Options {
    Options { dir: dir.to_path_buf(), sync_interval: None, max_bytes: None }
}

/// An engine over the data directory, its clock reading `at` now.
async fn open(dir: &Path, at: u64) -> Engine {
    let opened = sqlite::open(&options(dir), at).expect("the data directory opens");
    let settings = EngineSettings { purge_cooldown: true, delete_cooldown: true, ..Default::default() };
    Engine::start(Arc::new(opened.backend), Arc::new(TokioClock::starting_at(at)), settings).await.unwrap()
}

fn queue(engine: &Engine, name: &str) -> TestQueue {
    TestQueue { engine: engine.clone(), id: QueueId::new(namespace(), name) }
}

#[tokio::test]
async fn queues_and_messages_in_every_state_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, fifo_handle, first_sequence, dedup_id);
    {
        let e = open(dir.path(), T0).await;
        let dlq = TestQueue::standard(&e, "dlq").await;
        let mut config = QueueConfig::new(false);
        config.visibility_timeout = 600;
        config.retention_seconds = 3600;
        config.redrive_policy = redrive_to(&dlq, 5);
        config.policy = Some("{\"Version\":\"2012-10-17\"}".into());
        let settings = QueueSettings { config, tags: BTreeMap::from([("team".into(), "core".into())]) };
        e.create_queue(NewQueue { id: QueueId::new(namespace(), "jobs"), settings }).await.unwrap();
        let jobs = queue(&e, "jobs");
        jobs.send(msg("available")).await.unwrap();
        jobs.send(delayed("delayed", 900)).await.unwrap();
        jobs.send(msg("in-flight")).await.unwrap();
        let got = jobs.receive(1).await;
        assert_eq!(got[0].body.as_ref(), "available", "the oldest first");
        handle = got[0].receipt_handle.clone();

        let mut config = QueueConfig::new(true);
        config.fifo.as_mut().unwrap().dedup_scope = DedupScope::MessageGroup;
        config.fifo.as_mut().unwrap().throughput_limit = sqs_local_engine::queue::ThroughputLimit::PerMessageGroupId;
        let f = TestQueue::create(&e, "orders.fifo", config).await;
        let sent = f.send(fifo_message("o1", "customer-1", "d1")).await.unwrap();
        first_sequence = sent.sequence_number.unwrap();
        dedup_id = sent.message_id;
        f.send(grouped("o2", "customer-1")).await.unwrap();
        fifo_handle = f.receive(1).await.remove(0).receipt_handle;
        e.purge(&dlq.id).await.unwrap();
    }
    // 20 s later: nothing timed out yet.
    let e = open(dir.path(), T0 + 20_000).await;
    let jobs = queue(&e, "jobs");
    let info = jobs.info().await;
    assert_eq!(info.config().visibility_timeout, 600);
    assert_eq!(info.config().policy.as_deref(), Some("{\"Version\":\"2012-10-17\"}"));
    assert_eq!(info.config().redrive_policy.as_ref().unwrap().max_receive_count, 5);
    assert_eq!(info.settings.tags.get("team").map(String::as_str), Some("core"));
    assert!((T0..T0 + 1_000).contains(&info.created_at), "{}", info.created_at);
    let counts = jobs.counts().await;
    assert_eq!((counts.available, counts.in_flight, counts.delayed), (1, 1, 1));
    // The handle issued before the restart still deletes; the in-flight message stays hidden.
    jobs.delete(&handle).await.unwrap();
    let got = jobs.receive(10).await;
    assert_eq!(got.iter().map(|m| m.body.to_string()).collect::<Vec<_>>(), ["in-flight"]);
    assert_eq!(got[0].receive_count, 1, "never received before");

    let f = queue(&e, "orders.fifo");
    assert_eq!(f.info().await.config().fifo.as_ref().unwrap().dedup_scope, DedupScope::MessageGroup);
    assert!(f.receive(10).await.is_empty(), "the group stays locked behind its in-flight head");
    f.delete(&fifo_handle).await.unwrap();
    let next = f.receive(10).await;
    assert_eq!(next[0].body.as_ref(), "o2");
    assert!(next[0].sequence_number.unwrap() > first_sequence);
    // The deduplication window survived: the same id in the same group is a duplicate.
    assert_eq!(f.send(fifo_message("again", "customer-1", "d1")).await.unwrap().message_id, dedup_id);
    let later = f.send(grouped("o3", "customer-2")).await.unwrap();
    assert!(later.sequence_number.unwrap() > next[0].sequence_number.unwrap(), "numbers keep increasing");
    // The purge cooldown survived too.
    let err = e.purge(&QueueId::new(namespace(), "dlq")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::PurgeQueueInProgress);
}

#[tokio::test]
async fn timers_that_ran_out_while_the_process_was_down_have_run_out() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = open(dir.path(), T0).await;
        let mut config = QueueConfig::new(false);
        config.retention_seconds = 60;
        let q = TestQueue::create(&e, "short", config).await;
        q.send(msg("expires")).await.unwrap();
        let q2 = TestQueue::standard(&e, "timers").await;
        q2.send(delayed("delayed", 30)).await.unwrap();
        q2.send(msg("in-flight")).await.unwrap();
        q2.receive(1).await;
        e.delete_queue(&QueueId::new(namespace(), "gone")).await.unwrap_err();
        TestQueue::standard(&e, "gone").await;
        e.delete_queue(&QueueId::new(namespace(), "gone")).await.unwrap();
    }
    // 40 s later: the delay (30 s) and the visibility timeout (30 s) have ended.
    let e = open(dir.path(), T0 + 40_000).await;
    let q2 = queue(&e, "timers");
    let counts = q2.counts().await;
    assert_eq!((counts.available, counts.in_flight, counts.delayed), (2, 0, 0));
    // The 60-second rule for the deleted queue still holds.
    let new = NewQueue {
        id: QueueId::new(namespace(), "gone"),
        settings: QueueSettings { config: QueueConfig::new(false), tags: BTreeMap::new() },
    };
    assert_eq!(e.create_queue(new).await.unwrap_err().code, ErrorCode::QueueDeletedRecently);
    drop((q2, e));
    // Two minutes later: retention (60 s) deleted the message, and the name can be used again.
    let e = open(dir.path(), T0 + 120_000).await;
    assert_eq!(queue(&e, "short").held().await, 0);
    let new = NewQueue {
        id: QueueId::new(namespace(), "gone"),
        settings: QueueSettings { config: QueueConfig::new(false), tags: BTreeMap::new() },
    };
    assert!(matches!(e.create_queue(new).await.unwrap(), CreateOutcome::Created(_)));
    drop(e);
    let e = open(dir.path(), T0 + 130_000).await;
    assert_eq!(queue(&e, "short").held().await, 0, "the expired message's deletion was stored");
}

/// The first "process" is a runtime of its own, dropped with the task still running (as a
/// process that stops takes its tasks with it).
#[test]
fn a_running_move_task_resumes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = tokio::runtime::Runtime::new().unwrap();
    first.block_on(async {
        let e = open(dir.path(), T0).await;
        let dlq = TestQueue::standard(&e, "dlq").await;
        let mut config = QueueConfig::new(false);
        config.visibility_timeout = 0;
        config.redrive_policy = redrive_to(&dlq, 1);
        let src = TestQueue::create(&e, "src", config).await;
        for i in 0..5 {
            src.send(msg(&format!("m{i}"))).await.unwrap();
        }
        while src.held().await > 0 {
            src.receive(10).await;
        }
        // One message a second: the task is still running when the process stops.
        e.start_move_task(&dlq.id, None, Some(1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    });
    drop(first);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let e = open(dir.path(), T0 + 60_000).await;
        let dlq = QueueId::new(namespace(), "dlq");
        let mut status = MoveTaskStatus::Running;
        for _ in 0..100 {
            status = e.move_tasks(&dlq).await.unwrap()[0].status;
            if status != MoveTaskStatus::Running {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(status, MoveTaskStatus::Completed);
        let src = queue(&e, "src");
        let mut bodies: Vec<String> = src
            .receive_with(&ReceiveRequest { max_messages: 10, ..Default::default() }, 0)
            .await
            .iter()
            .map(|m| m.body.to_string())
            .collect();
        bodies.sort();
        assert_eq!(bodies, ["m0", "m1", "m2", "m3", "m4"], "every message back in its source, once");
        assert_eq!(queue(&e, "dlq").held().await, 0);
    });
}

#[tokio::test]
async fn a_second_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = open(dir.path(), T0).await;
    match sqlite::open(&options(dir.path()), T0) {
        Err(OpenError::Locked(_)) => {}
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("two processes on one directory"),
    }
}

#[tokio::test]
async fn a_newer_schema_and_a_damaged_file_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), T0).await);
    let db = dir.path().join(sqlite::DB_FILE);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'", []).unwrap();
    drop(conn);
    let err = sqlite::open(&options(dir.path()), T0).err().expect("refused");
    assert!(matches!(err, OpenError::NewerSchema { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("newer sqs-local"), "{err}");

    let damaged = tempfile::tempdir().unwrap();
    let db = damaged.path().join(sqlite::DB_FILE);
    std::fs::write(&db, b"this is not a database, it is a file somebody wrote here").unwrap();
    let before = std::fs::read(&db).unwrap();
    let err = sqlite::open(&options(damaged.path()), T0).err().expect("refused");
    assert!(matches!(err, OpenError::Damaged { .. }), "{err}");
    assert!(err.to_string().contains("was not changed"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "never replaced");
}

#[tokio::test]
async fn a_full_disk_fails_requests_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options { dir: dir.path().to_path_buf(), sync_interval: None, max_bytes: Some(256 * 1024) };
    let opened = sqlite::open(&options, T0).unwrap();
    let settings = EngineSettings::default();
    let e = Engine::start(Arc::new(opened.backend), Arc::new(TokioClock::starting_at(T0)), settings).await.unwrap();
    let q = TestQueue::standard(&e, "fill").await;
    let body = "x".repeat(4000);
    // Ten messages received before the disk fills: their handles free space later.
    for _ in 0..10 {
        q.send(msg(&body)).await.unwrap();
    }
    let handles: Vec<String> = q
        .receive_with(&ReceiveRequest { max_messages: 10, ..Default::default() }, 0)
        .await
        .into_iter()
        .map(|m| m.receipt_handle)
        .collect();
    let mut acknowledged = 10;
    let mut failure = None;
    for _ in 0..200 {
        match q.send(msg(&body)).await {
            Ok(_) => acknowledged += 1,
            Err(err) => {
                failure = Some(err);
                break;
            }
        }
    }
    let err = failure.expect("the database fills up");
    assert_eq!((err.code, err.code.status()), (ErrorCode::InternalError, 500));
    assert_eq!(err.message, "We encountered an internal error. Please try again.");
    // Space returns (messages deleted): the server serves again.
    let mut deleted = 0;
    for h in &handles {
        if q.delete(h).await.is_ok() {
            deleted += 1;
        }
    }
    assert!(deleted > 0, "deletes free space");
    let mut served = false;
    for _ in 0..5 {
        if q.send(msg("small")).await.is_ok() {
            served = true;
            break;
        }
    }
    assert!(served, "serving again once space returned");
    drop((q, e));
    // Every acknowledged send that was not deleted is still there after a restart.
    let e = open(dir.path(), T0 + 1_000).await;
    let held = queue(&e, "fill").held().await;
    assert!(held as usize > acknowledged - deleted, "held {held}, acknowledged {acknowledged}, deleted {deleted}");
}

#[tokio::test]
async fn closing_releases_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), T0).await);
    drop(open(dir.path(), T0).await);
    let e = open(dir.path(), T0).await;
    TestQueue::standard(&e, "x").await;
    drop(e);
    drop(open(dir.path(), T0).await);
}

#[tokio::test]
async fn the_admin_clock_offset_and_a_reset_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = open(dir.path(), T0).await;
        let jobs = TestQueue::standard(&e, "jobs").await;
        jobs.send(delayed("late", 900)).await.unwrap();
        e.advance_clock(3_600_000).await.unwrap();
    }
    let e = open(dir.path(), T0).await;
    assert_eq!(e.clock_offset(), 3_600_000, "the offset persists");
    assert!(e.now() >= T0 + 3_600_000);
    assert_eq!(queue(&e, "jobs").receive(1).await.len(), 1, "the delay ended with the move");
    e.reset().await.unwrap();
    drop(e);
    let e = open(dir.path(), T0).await;
    assert_eq!(e.clock_offset(), 0);
    assert!(e.list_queues(&namespace(), "").await.unwrap().is_empty(), "the reset was written");
}

#[tokio::test]
async fn topics_and_subscriptions_survive_a_restart() {
    use sqs_local_engine::backend::NewSubscription;
    use sqs_local_engine::topic::{Confirmation, Made, TopicId, TopicSettings};
    use sqs_local_engine::TopicBackend;

    let dir = tempfile::tempdir().unwrap();
    let id = TopicId::new(namespace(), "orders");
    let (confirmed, pending);
    {
        let topics = sqlite::open(&options(dir.path()), T0).unwrap().topics;
        let mut settings = TopicSettings::default();
        settings.attributes.insert("DisplayName".into(), "Orders".into());
        settings.tags.insert("team".into(), "checkout".into());
        topics.create_topic(id.clone(), settings, T0).await.unwrap();
        topics.create_topic(TopicId::new(namespace(), "gone"), TopicSettings::default(), T0).await.unwrap();
        topics.delete_topic(&TopicId::new(namespace(), "gone")).await.unwrap();
        let new = |endpoint: &str, confirmation: Confirmation, token: Option<&str>| NewSubscription {
            topic: id.clone(),
            protocol: "sqs".into(),
            endpoint: endpoint.into(),
            owner: "000000000000".into(),
            attributes: BTreeMap::from([("RawMessageDelivery".to_string(), "true".to_string())]),
            confirmation,
            token: token.map(str::to_string),
        };
        let Some(Made::New(c)) = topics
            .subscribe(new(
                "arn:aws:sqs:us-east-1:000000000000:a",
                Confirmation::Confirmed { authenticated: true },
                None,
            ))
            .await
            .unwrap()
        else {
            panic!("new")
        };
        let Some(Made::New(p)) = topics
            .subscribe(new("arn:aws:sqs:us-east-1:000000000000:b", Confirmation::Pending, Some("abc")))
            .await
            .unwrap()
        else {
            panic!("new")
        };
        let Some(Made::New(u)) =
            topics.subscribe(new("arn:aws:sqs:us-east-1:000000000000:c", Confirmation::Pending, None)).await.unwrap()
        else {
            panic!("new")
        };
        topics.unsubscribe(&u.arn).await.unwrap();
        (confirmed, pending) = (c, p);
    }
    let opened = sqlite::open(&options(dir.path()), T0).unwrap();
    assert_eq!(opened.topic_count, 1);
    let topics = opened.topics;
    let topic = topics.topic(&id).await.unwrap().expect("the topic is back");
    assert_eq!(topic.settings.attributes["DisplayName"], "Orders");
    assert_eq!(topic.settings.tags["team"], "checkout");
    let subscriptions = topics.subscriptions(&id).await.unwrap();
    let back: Vec<_> = subscriptions.iter().map(|s| (**s).clone()).collect();
    assert_eq!(back, [(*confirmed).clone(), (*pending).clone()], "in order, every field, the unsubscribed one gone");
    assert_eq!(topics.by_token("abc").await.unwrap().map(|s| s.arn.clone()), Some(pending.arn.clone()));
}
