//! The SQS engine of sqs-local: queues and messages, with no HTTP, XML or JSON in it (this crate
//! does not depend on hyper or serde_json, so the compiler keeps it that way).
//!
//! # Layout
//! - [`Engine`] (`engine.rs`): the facade everything above the engine talks to, by [`QueueId`]
//!   with typed values. It owns the [`clock`], long polling, the 60-second rules, settings changes
//!   as compare-and-set, and move-task scheduling ([`move_task`]).
//! - [`backend`]: the [`QueueBackend`] trait that holds queue state, and how to add a backend;
//!   [`backend::memory`] is the in-memory one (`store.rs` is its pure core: it takes `now` and
//!   never waits).
//! - [`types`], [`queue`], [`message`]: the values crossing the facade and the trait, each SQS
//!   naming rule stated once next to the type it makes.
//! - [`topic`] and [`backend::TopicBackend`]: SNS's topics and subscriptions, stored beside
//!   the queues (the SNS API is the server crate's; this holds only the state).
//! - [`rules`]: the send rules that depend on a queue's configuration, applied by backends.
//! - [`error`]: the one table of SQS errors; [`limits`]: AWS's limits, each with its source.
//! - `conformance` (feature `conformance`): the suite every backend must pass.

pub mod backend;
pub mod clock;
mod engine;
pub mod error;
pub mod limits;
pub mod message;
pub mod move_task;
pub mod queue;
pub mod rules;
pub mod topic;
pub mod types;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use backend::{QueueBackend, TopicBackend};
pub use engine::{CreateOutcome, Engine, EngineSettings, DEFAULT_ACCOUNT_ID, DEFAULT_REGION};
pub use types::{Namespace, QueueId};
