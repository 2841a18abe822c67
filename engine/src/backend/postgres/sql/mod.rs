//! Every statement the PostgreSQL backend runs, one module per table family, each under a name
//! (style.md §6.7): read them beside `migrations/` with `psql`. A statement that claims work says
//! why it is safe when another process runs it at the same moment.
//!
//! Parameters named `now` are the engine clock's epoch milliseconds; nothing reads the database
//! server's clock, so tests can move time and every node agrees on one clock (see the server's
//! database clock).

pub mod attempts;
pub mod fifo;
pub mod messages;
pub mod meta;
pub mod queues;
pub mod tasks;
pub mod topics;

/// The migrations, in order: version n is `MIGRATIONS[n - 1]`.
pub const MIGRATIONS: &[&str] = &[include_str!("migrations/001_initial.sql")];
