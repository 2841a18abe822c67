//! The durable backend: the in-memory backends (queues, and SNS topics in [`topics`]), journaling every change to an embedded SQLite
//! database (WAL journal) in a data directory. Everything is read back into memory at start, so
//! receives never read the database and cost what they cost in memory; every change is written by
//! one thread in group commits (see [`writer`]), and with full durability (the default) a request
//! is answered only once its change is on disk.
//!
//! The directory holds `sqs-local.db` (open it with the `sqlite3` shell to look at queues and
//! messages; see [`schema`]) and `sqs-local.lock`, which a running sqs-local holds locked: a
//! second process on the same directory is refused.

pub mod load;
pub mod schema;
pub mod topics;
pub mod writer;

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::memory::topics::MemoryTopics;
use super::memory::MemoryBackend;
use crate::clock::Millis;

/// How the durable backend stores.
#[derive(Debug, Clone)]
pub struct Options {
    pub dir: PathBuf,
    /// `None`: a request is answered once its change is on disk (fsync'd). `Some(interval)`:
    /// answered at once; changes are committed every interval, so a crash loses at most that long.
    pub sync_interval: Option<Duration>,
    /// Largest database size; beyond it changes fail as they do when the disk is full.
    pub max_bytes: Option<u64>,
}

/// What opening found.
pub struct Opened {
    pub backend: MemoryBackend,
    /// SNS topics and subscriptions, journaled to the same database.
    pub topics: MemoryTopics,
    pub topic_count: usize,
    pub queues: usize,
    pub messages: usize,
    pub took: Duration,
}

/// Why a data directory could not be opened. Nothing in it is changed or replaced.
#[derive(Debug)]
pub enum OpenError {
    Io(PathBuf, std::io::Error),
    /// Another process holds the directory.
    Locked(PathBuf),
    /// A newer sqs-local wrote it.
    NewerSchema {
        path: PathBuf,
        found: i64,
    },
    /// The database cannot be read.
    Damaged {
        path: PathBuf,
        detail: String,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Io(path, e) => write!(f, "cannot use the data directory {}: {e}", path.display()),
            OpenError::Locked(path) => write!(
                f,
                "the data directory {} is in use by another sqs-local process (it holds {})",
                path.display(),
                path.join(LOCK_FILE).display()
            ),
            OpenError::NewerSchema { path, found } => write!(
                f,
                "{} was written by a newer sqs-local (schema version {found}; this one reads up to {}); it was not changed",
                path.display(),
                schema::VERSION
            ),
            OpenError::Damaged { path, detail } => write!(
                f,
                "{} cannot be read ({detail}); it was not changed: move it away to start empty, or restore a copy",
                path.display()
            ),
        }
    }
}

impl std::error::Error for OpenError {}

pub const DB_FILE: &str = "sqs-local.db";
pub const LOCK_FILE: &str = "sqs-local.lock";

/// SQLite's page cache per connection: small, since every message is held in memory anyway.
const CACHE_KIB: i64 = 8 * 1024;

/// Opens (or creates) the data directory, locks it, reads everything back and starts the writer.
/// `now` is the base clock's time; the stored admin clock offset is added to it (expired
/// deduplication entries are not read back).
pub fn open(options: &Options, now: Millis) -> Result<Opened, OpenError> {
    let started = Instant::now();
    let dir = &options.dir;
    if dir.exists() && !dir.is_dir() {
        let not_a_directory = std::io::Error::new(std::io::ErrorKind::NotADirectory, "it is not a directory");
        return Err(OpenError::Io(dir.clone(), not_a_directory));
    }
    std::fs::create_dir_all(dir).map_err(|e| OpenError::Io(dir.clone(), e))?;
    let lock = lock(dir)?;
    let path = dir.join(DB_FILE);
    let damaged = |e: &dyn fmt::Display| OpenError::Damaged { path: path.clone(), detail: e.to_string() };
    let mut conn = Connection::open(&path).map_err(|e| damaged(&e))?;
    configure(&conn, options).map_err(|e| damaged(&e))?;
    schema::prepare(&mut conn).map_err(|e| match e {
        schema::SchemaError::Newer(found) => OpenError::NewerSchema { path: path.clone(), found },
        schema::SchemaError::Sqlite(e) => damaged(&e),
    })?;
    let unreadable = |e: load::LoadError| match e {
        load::LoadError::Sqlite(e) => damaged(&e),
        load::LoadError::Invalid(what) => damaged(&format!("a row this build did not write: {what}")),
    };
    let clock_offset = load::clock_offset(&conn).map_err(unreadable)?;
    let mut restored = load::load(&conn, true, now.saturating_add(clock_offset)).map_err(unreadable)?;
    restored.clock_offset = clock_offset;
    let queues = restored.queues.len();
    let messages = restored.queues.iter().map(|q| q.lock().message_count()).sum();
    let topic_conn = Connection::open(&path).map_err(|e| damaged(&e))?;
    configure(&topic_conn, options).map_err(|e| damaged(&e))?;
    let (topics, topic_count) =
        topics::open(topic_conn).map_err(|what| damaged(&format!("a topic row this build did not write: {what}")))?;
    let journal = writer::start(conn, options.sync_interval, lock);
    Ok(Opened {
        backend: MemoryBackend::journaled(Arc::new(journal), restored),
        topics,
        topic_count,
        queues,
        messages,
        took: started.elapsed(),
    })
}

/// Takes the directory's lock file (held by the writer for as long as the process runs).
fn lock(dir: &Path) -> Result<File, OpenError> {
    let path = dir.join(LOCK_FILE);
    let file =
        File::options().create(true).truncate(false).write(true).open(&path).map_err(|e| OpenError::Io(path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(OpenError::Locked(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(OpenError::Io(dir.join(LOCK_FILE), e)),
    }
}

fn configure(conn: &Connection, options: &Options) -> rusqlite::Result<()> {
    // WAL: commits append to the log; FULL: every commit is fsync'd (NORMAL when the sync interval
    // relaxes durability anyway).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let synchronous = if options.sync_interval.is_some() { "NORMAL" } else { "FULL" };
    conn.pragma_update(None, "synchronous", synchronous)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    // Two connections write (the queue writer and the topic journal): each waits for the other.
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    if let Some(max) = options.max_bytes {
        let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        conn.pragma_update(None, "max_page_count", (max as i64 / page_size).max(1))?;
    }
    // A first read, so that a file that is not a database is reported here.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
    Ok(())
}
