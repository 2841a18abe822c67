//! The backend conformance suite: the engine's behaviour (visibility, delays, retention, long
//! polling, FIFO groups and locking, deduplication in both scopes, receive-attempt retries,
//! fairness, redrive, move tasks) and its property tests, written once against [`Engine`] and
//! [`QueueBackend`] and run by every backend's tests:
//!
//! ```ignore
//! // engine/tests/memory.rs
//! fn backend() -> std::sync::Arc<dyn sqs_local_engine::QueueBackend> {
//!     std::sync::Arc::new(sqs_local_engine::backend::memory::MemoryBackend::new())
//! }
//! sqs_local_engine::conformance_suite!(backend);
//! ```
//!
//! Behaviour tests run on tokio's paused clock (`start_paused`), so no test sleeps for real;
//! property tests drive the backend with explicit times.

pub mod behaviour;
pub mod move_tasks;
pub mod props;
pub mod real_time;
pub mod test_tools;
pub mod topics;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::clock::{Millis, TokioClock};
use crate::error::SqsResult;
use crate::message::{Grouping, NewMessage, ReceiveRequest, ReceivedMessage, SendOutcome};
use crate::queue::{NewQueue, QueueConfig, QueueCounts, QueueInfo, QueueSettings, RedrivePolicy};
use crate::types::{DedupId, GroupId, Namespace, QueueId};
use crate::{CreateOutcome, Engine, EngineSettings, QueueBackend};

/// Makes a fresh, empty backend for one test.
pub type Factory = dyn Fn() -> Arc<dyn QueueBackend>;

/// The engine clock's epoch time when a test starts.
pub const START: Millis = 1_700_000_000_000;

/// An engine over a fresh backend, on tokio's clock anchored at [`START`], with AWS's
/// 60-second rules off (tests recreate and purge back to back).
pub fn engine(factory: &Factory) -> Engine {
    let settings = EngineSettings { purge_cooldown: false, delete_cooldown: false, ..Default::default() };
    Engine::new(factory(), Arc::new(TokioClock::starting_at(START)), settings)
}

/// The namespace every conformance queue lives in.
pub fn namespace() -> Namespace {
    Namespace::new(crate::DEFAULT_ACCOUNT_ID, crate::DEFAULT_REGION)
}

/// A queue of a test, with shorthand for the calls tests make.
#[derive(Clone)]
pub struct TestQueue {
    pub engine: Engine,
    pub id: QueueId,
}

impl TestQueue {
    /// Creates a queue with `config` (FIFO when the name ends in `.fifo`).
    pub async fn create(engine: &Engine, name: &str, config: QueueConfig) -> TestQueue {
        let id = QueueId::new(namespace(), name);
        let queue = NewQueue { id: id.clone(), settings: QueueSettings { config, tags: BTreeMap::new() } };
        match engine.create_queue(queue).await {
            Ok(CreateOutcome::Created(_)) => {}
            other => panic!("creating {name}: {other:?}"),
        }
        TestQueue { engine: engine.clone(), id }
    }

    pub async fn standard(engine: &Engine, name: &str) -> TestQueue {
        Self::create(engine, name, QueueConfig::new(false)).await
    }

    pub async fn fifo(engine: &Engine, name: &str) -> TestQueue {
        Self::create(engine, name, QueueConfig::new(true)).await
    }

    pub fn arn(&self) -> String {
        self.id.arn()
    }

    pub async fn info(&self) -> Arc<QueueInfo> {
        self.engine.queue(&self.id).await.expect("queue exists")
    }

    pub async fn send(&self, message: NewMessage) -> SqsResult<SendOutcome> {
        let mut outcomes = self.engine.send(&self.id, vec![message]).await?;
        outcomes.pop().expect("one outcome per message")
    }

    pub async fn send_all(&self, messages: Vec<NewMessage>) -> Vec<SqsResult<SendOutcome>> {
        self.engine.send(&self.id, messages).await.expect("queue exists")
    }

    /// A short-poll receive of up to `max` messages.
    pub async fn receive(&self, max: usize) -> Vec<ReceivedMessage> {
        self.receive_with(&ReceiveRequest { max_messages: max, ..Default::default() }, 0).await
    }

    pub async fn receive_with(&self, request: &ReceiveRequest, wait_seconds: u32) -> Vec<ReceivedMessage> {
        self.engine.receive(&self.id, request, Some(wait_seconds)).await.expect("queue exists").messages
    }

    pub async fn delete(&self, handle: &str) -> SqsResult<()> {
        let mut outcomes = self.engine.delete_messages(&self.id, &[handle.to_string()]).await?;
        outcomes.pop().expect("one outcome per handle")
    }

    pub async fn change_visibility(&self, handle: &str, timeout: u32) -> SqsResult<()> {
        let mut outcomes = self.engine.change_visibility(&self.id, &[(handle.to_string(), timeout)]).await?;
        outcomes.pop().expect("one outcome per handle")
    }

    pub async fn counts(&self) -> QueueCounts {
        self.engine.counts(&self.id).await.expect("queue exists")
    }

    /// Messages held in any state.
    pub async fn held(&self) -> u64 {
        let c = self.counts().await;
        c.available + c.in_flight + c.delayed
    }
}

/// A standard message with a body.
pub fn msg(body: &str) -> NewMessage {
    NewMessage::standard(body)
}

/// A standard message with a group (fair queues).
pub fn in_group(body: &str, group: &str) -> NewMessage {
    NewMessage {
        grouping: Grouping::Standard { group: Some(GroupId::new(group).expect("valid group")), delay_seconds: None },
        ..msg(body)
    }
}

/// A standard message delayed by `seconds`.
pub fn delayed(body: &str, seconds: u32) -> NewMessage {
    NewMessage { grouping: Grouping::Standard { group: None, delay_seconds: Some(seconds) }, ..msg(body) }
}

/// A FIFO message whose deduplication id is its body.
pub fn grouped(body: &str, group: &str) -> NewMessage {
    fifo_message(body, group, body)
}

/// A FIFO message with an explicit deduplication id.
pub fn fifo_message(body: &str, group: &str, dedup: &str) -> NewMessage {
    NewMessage {
        grouping: Grouping::Fifo {
            group: GroupId::new(group).expect("valid group"),
            dedup: Some(DedupId::new(dedup).expect("valid dedup id")),
        },
        ..msg(body)
    }
}

pub fn bodies(messages: &[ReceivedMessage]) -> Vec<String> {
    messages.iter().map(|m| m.body.to_string()).collect()
}

/// A redrive policy to `dlq` after `max_receive_count` receives.
pub fn redrive_to(dlq: &TestQueue, max_receive_count: u32) -> Option<RedrivePolicy> {
    Some(RedrivePolicy { dead_letter_target_arn: dlq.arn(), dead_letter_queue: dlq.id.clone(), max_receive_count })
}

/// Declares one test per conformance case for a backend `factory` (a `fn() -> Arc<dyn QueueBackend>`).
#[macro_export]
macro_rules! conformance_suite {
    ($factory:path) => {
        $crate::conformance_suite!(@behaviour $factory;
            behaviour::visibility_timeout_hides_then_returns_and_an_older_handle_still_deletes,
            behaviour::an_older_handle_changes_the_visibility_of_the_current_receive,
            behaviour::fifo_refuses_an_older_handle_while_a_newer_receive_holds_the_message,
            behaviour::latest_handle_deletes_after_its_visibility_expired,
            behaviour::change_visibility_zero_extend_and_twelve_hour_cap,
            behaviour::invalid_and_foreign_receipt_handles,
            behaviour::a_recreated_queue_refuses_the_old_queues_handles,
            behaviour::delays_per_message_and_per_queue,
            behaviour::retention_period_deletes_old_messages,
            behaviour::long_poll_returns_the_moment_a_message_is_sent,
            behaviour::long_poll_wakes_when_a_delay_ends_and_times_out_empty,
            behaviour::long_poll_ends_when_the_queue_is_deleted,
            behaviour::standard_fair_queue_serves_quiet_groups_before_a_noisy_backlog,
            behaviour::fifo_receive_takes_a_whole_group_in_order_then_other_groups,
            behaviour::fifo_scenario_one_group_only_one_consumer_gets_its_head,
            behaviour::fifo_scenario_parallel_consumers_keep_order_within_each_group,
            behaviour::fifo_scenario_undeleted_message_blocks_its_group_until_visibility_expires,
            behaviour::fifo_extended_message_keeps_later_ones_hidden_while_earlier_return,
            behaviour::fifo_dedup_window_survives_delete_and_is_cleared_by_purge,
            behaviour::fifo_dedup_scope_message_group,
            behaviour::fifo_dedup_scope_change_takes_effect_after_sixty_seconds,
            behaviour::fifo_sequence_numbers_are_twenty_digit_increasing_and_not_a_counter,
            behaviour::fifo_receive_request_attempt_id_retry_returns_the_same_handles,
            behaviour::fifo_attempt_retry_after_a_visibility_change_is_a_fresh_receive,
            behaviour::fifo_small_groups_are_not_starved_by_a_big_backlog,
            behaviour::redrive_moves_poison_message_to_dlq_and_unblocks_the_fifo_group,
            behaviour::dead_letter_retention_standard_keeps_enqueue_time_fifo_resets_it,
            behaviour::a_queue_may_be_its_own_dead_letter_queue,
            behaviour::settings_changes_are_compare_and_set,
            behaviour::queues_are_listed_by_namespace_and_prefix,
            behaviour::purge_empties_every_state,
            behaviour::send_rules_follow_the_queue_configuration,
            move_tasks::messages_return_to_their_own_sources_at_the_given_pace,
            move_tasks::cancel_stops_a_running_task,
            move_tasks::deleting_the_destination_fails_the_task,
            move_tasks::one_active_task_per_source,
            test_tools::advancing_the_clock_ends_timeouts_and_delays_and_wakes_long_polls,
            test_tools::peek_shows_every_state_and_changes_nothing,
            test_tools::resets_empty_a_queue_or_everything
        );
        $crate::conformance_suite!(@props $factory;
            props::fifo_invariants,
            props::standard_invariants,
            props::fifo_redrive_keeps_every_message_in_one_place,
            props::standard_redrive_keeps_every_message_in_one_place
        );
    };
    (@behaviour $factory:path; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[tokio::test(start_paused = true)]
            async fn $name() {
                $crate::conformance::$module::$name(&$factory).await;
            }
        )*
    };
    (@props $factory:path; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::$module::$name(&$factory);
            }
        )*
    };
}

/// Declares one test per topic conformance case for a `factory` (a `fn() -> Arc<dyn TopicBackend>`).
#[macro_export]
macro_rules! topic_conformance_suite {
    ($factory:path) => {
        $crate::conformance_suite!(@behaviour $factory;
            topics::topics_are_made_once_listed_in_pages_and_deleted_with_their_subscriptions,
            topics::topic_and_subscription_changes_are_compare_and_set,
            topics::subscriptions_are_listed_by_namespace_and_topic_in_pages,
            topics::fifo_topics_deduplicate_within_the_window_and_number_in_order
        );
    };
}
