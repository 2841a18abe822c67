//! sqs-local: an Amazon SQS-compatible emulator.
//!
//! # Layout
//! Requests flow one way: `server` → `service` → `protocol` → `api` → `engine`.
//! - [`server`]: accept loop, hyper HTTP/1.1 connections, graceful shutdown.
//! - [`service`]: the one hyper service: request id, body limit, decode, dispatch, encode.
//! - [`protocol`]: the two wire protocols (AWS JSON 1.0 and AWS Query): detection, decoding into
//!   typed requests, rendering responses and errors.
//! - [`api`]: one typed request/response per action, the SQS request rules, and the handlers.
//! - [`engine`]: queues and messages; no HTTP, XML or JSON; time from a controllable clock.
//! - [`error`]: the one table of SQS errors.
//! - [`config`]: settings from flags and environment; [`predefined`]: queues created at startup.

pub mod api;
pub mod config;
pub mod engine;
pub mod error;
pub mod hex;
pub mod predefined;
pub mod protocol;
pub mod server;
pub mod service;
