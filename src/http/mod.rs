//! The front door: the accept loop, the router, and the hyper service.

pub mod router;
pub mod server;
pub mod service;
