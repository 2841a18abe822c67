//! `sqs-local`: parse settings, bind, serve until SIGINT/SIGTERM.

use std::sync::Arc;

use sqs_local::config::{Config, LogFormat};
use sqs_local::engine::backend::memory::topics::MemoryTopics;
use sqs_local::engine::backend::{postgres, sqlite};
use sqs_local::engine::clock::{Clock, TokioClock};
use sqs_local::engine::{Engine, TopicBackend};
use sqs_local::http::service::AppState;
use tracing_subscriber::EnvFilter;

/// glibc malloc spends a fifth of the time in `_int_malloc` once a queue holds a million messages
/// (profiled with `perf` under `sqs-bench backlog`); mimalloc keeps allocation flat at any size.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = match Config::load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("sqs-local: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if config.healthcheck {
        return healthcheck(config.port).await;
    }
    if let Err(e) = config.namespace().and(config.credential_store().map(drop)).and(config.check_storage()) {
        eprintln!("sqs-local: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .with_env_filter(filter)
            .init(),
    }
    // Recovery first, then the port: a client that can connect finds every queue there.
    let (engine, topics) = match start_engine(&config).await {
        Ok(started) => started,
        Err(e) => {
            eprintln!("sqs-local: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Err(e) = create_predefined_queues(&engine, &config).await {
        eprintln!("sqs-local: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let addr = format!("{}:{}", config.host, config.port);
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sqs-local: cannot listen on {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
    println!("sqs-local listening on http://{local} (account {}, region {})", config.account_id, config.region);
    if config.admin {
        println!("sqs-local console: http://{local}{}", sqs_local::console::PATH);
    }
    let state = Arc::new(AppState::with_topics(engine, config, topics));
    sqs_local::http::server::run(listener, state, shutdown_signal()).await;
    std::process::ExitCode::SUCCESS
}

/// The engine and the SNS topics: in memory, over the data directory, or in the database.
async fn start_engine(config: &Config) -> Result<(Engine, Arc<dyn TopicBackend>), String> {
    if let Some(options) = config.database() {
        return start_on_database(config, &options).await;
    }
    let clock = Arc::new(TokioClock::new());
    let Some(options) = config.storage() else {
        return Ok((Engine::in_memory(clock, config.engine_settings()), Arc::new(MemoryTopics::new())));
    };
    let opened = sqlite::open(&options, clock.now()).map_err(|e| e.to_string())?;
    println!(
        "sqs-local restored {} queues and {} messages (and {} SNS topics) from {} in {} ms",
        opened.queues,
        opened.messages,
        opened.topic_count,
        options.dir.display(),
        opened.took.as_millis()
    );
    let engine =
        Engine::start(Arc::new(opened.backend), clock, config.engine_settings()).await.map_err(|e| e.to_string())?;
    Ok((engine, Arc::new(opened.topics)))
}

/// How long a starting node waits for an unreachable database before it gives up.
const DATABASE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The engine on the shared database. A database that cannot be reached yet is waited for (it
/// may be starting beside this node); a URL that cannot be read, TLS that cannot be set up and a
/// newer schema stop the node at once.
async fn start_on_database(
    config: &Config,
    options: &postgres::Options,
) -> Result<(Engine, Arc<dyn TopicBackend>), String> {
    let started = std::time::Instant::now();
    let (backend, topics) = loop {
        match postgres::open(options).await {
            Ok(opened) => break opened,
            Err(e @ postgres::ConnectError::Unreachable(_)) if started.elapsed() < DATABASE_WAIT => {
                eprintln!("sqs-local: {e}; trying again");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let clock = postgres::clock::database_clock(&backend).await.map_err(|e| e.to_string())?;
    println!("sqs-local keeps its state in PostgreSQL at {}", postgres::connect::describe(&options.url));
    let engine = Engine::start(Arc::new(backend), clock, config.engine_settings()).await.map_err(|e| e.to_string())?;
    Ok((engine, Arc::new(topics)))
}

/// The configured queues, before the port opens, so that `/health` (and any client) finds them
/// once it can connect.
async fn create_predefined_queues(engine: &Engine, config: &Config) -> Result<(), String> {
    let count = sqs_local::predefined::create_configured(engine, config).await?;
    if count > 0 {
        println!("sqs-local has the {count} queues of its configuration");
    }
    Ok(())
}

/// GET /health on the local server; success when it answers 200.
async fn healthcheck(port: u16) -> std::process::ExitCode {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let check = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        let request = format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await.ok()?;
        reply.starts_with(b"HTTP/1.1 200").then_some(())
    };
    match tokio::time::timeout(std::time::Duration::from_secs(2), check).await {
        Ok(Some(())) => std::process::ExitCode::SUCCESS,
        _ => std::process::ExitCode::FAILURE,
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
