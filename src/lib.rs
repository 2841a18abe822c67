//! sqs-local: an Amazon SQS-compatible emulator.
//!
//! # Layout
//! Requests flow one way: `http` → `sqs::protocol` → `sqs::api` → `engine` (the
//! `sqs-local-engine` crate, which holds queue state behind a backend trait and has no HTTP in it).
//! - [`http`]: the accept loop ([`http::server`]), the router that decides which API a request is
//!   for ([`http::router`]: read it to add a route), and the one hyper service ([`http::service`]).
//! - [`sqs`]: the SQS API. [`sqs::protocol`] holds the two wire protocols (AWS JSON 1.0 and AWS
//!   Query): detection, decoding into typed requests, rendering. [`sqs::api`] holds one typed
//!   request/response per action, the SQS request rules and the handlers. To add an action: a
//!   variant in `sqs::api::Action`/`Request`/`Response`, its handler in the file of its family,
//!   its Query flattening in `sqs::protocol::query` if it has lists or maps, and its XML in
//!   `sqs::protocol::query_xml`.
//! - [`sns`]: the SNS API (AWS Query), its filter policies and its delivery into queues and to
//!   HTTP endpoints; its state is the engine's [`engine::TopicBackend`].
//! - [`engine`]: re-export of the engine crate (its crate docs say how to add a backend);
//!   [`error`] is its error table, the one table of SQS errors.
//! - [`auth`]: who is calling: SigV4 verification against configured credentials, and the
//!   caller's account and region.
//! - [`admin`]: the admin and test API under `/_admin/` (clock, peek, resets, fault rules).
//! - [`console`]: the web console at `/console`, embedded in the binary.
//! - [`metrics`]: `/metrics` in Prometheus text format.
//! - [`config`]: settings from flags, environment and [`config_file`]; [`predefined`]: queues created at startup.

pub use sqs_local_engine as engine;
pub use sqs_local_engine::error;

pub mod admin;
pub mod auth;
pub mod config;
pub mod config_file;
pub mod console;
pub mod hex;
pub mod http;
pub mod metrics;
pub mod predefined;
pub mod sns;
pub mod sqs;
