//! Settings: command-line flags, `SQS_LOCAL_*` environment variables, and the config file.

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};

use crate::engine::{EngineSettings, Namespace, DEFAULT_ACCOUNT_ID, DEFAULT_REGION};

/// An Amazon SQS-compatible emulator. With no arguments it serves an in-memory emulator on
/// http://127.0.0.1:9324.
#[derive(Debug, Clone, Parser)]
#[command(name = "sqs-local", version, about)]
pub struct Config {
    /// Address to bind.
    #[arg(long, env = "SQS_LOCAL_HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on (0 picks a free port).
    #[arg(long, short, env = "SQS_LOCAL_PORT", default_value_t = 9324)]
    pub port: u16,

    /// Base URL of queue URLs (e.g. http://sqs:9324). By default the request's Host header is used,
    /// so clients get URLs they can reach.
    #[arg(long, env = "SQS_LOCAL_ADVERTISED_URL")]
    pub advertised_url: Option<String>,

    /// Account id in queue URLs and ARNs.
    #[arg(long, env = "SQS_LOCAL_ACCOUNT_ID", default_value = DEFAULT_ACCOUNT_ID)]
    pub account_id: String,

    /// Region in queue ARNs.
    #[arg(long, env = "SQS_LOCAL_REGION", default_value = DEFAULT_REGION)]
    pub region: String,

    /// Enforce AWS's one PurgeQueue per queue every 60 seconds (PurgeQueueInProgress).
    #[arg(long, env = "SQS_LOCAL_PURGE_COOLDOWN", default_value_t = true, action = clap::ArgAction::Set)]
    pub purge_cooldown: bool,

    /// Enforce AWS's 60-second wait before recreating a deleted queue (QueueDeletedRecently).
    #[arg(long, env = "SQS_LOCAL_DELETE_COOLDOWN", default_value_t = true, action = clap::ArgAction::Set)]
    pub delete_cooldown: bool,

    /// Serve the admin and test API under /_admin/ (clock, peek, reset, faults).
    #[arg(long, env = "SQS_LOCAL_ADMIN", default_value_t = true, action = clap::ArgAction::Set)]
    pub admin: bool,

    /// Verify SigV4 signatures: every request must be signed by one of these credentials
    /// (ACCESS_KEY:SECRET[:ACCOUNT_ID], repeatable; the environment takes a comma-separated list).
    /// Without any, requests are not verified.
    #[arg(long = "credential", env = "SQS_LOCAL_CREDENTIALS", value_delimiter = ',')]
    pub credentials: Vec<String>,

    /// The token the admin API and console require (as `Authorization: Bearer <token>`) when
    /// credentials are configured; without one, the admin API is closed then.
    #[arg(long, env = "SQS_LOCAL_ADMIN_TOKEN")]
    pub admin_token: Option<String>,

    /// Log lines as text or as one JSON object a line. Logs are quiet by default; RUST_LOG=sqs_local=info
    /// logs one line per request (request id, action, queue, outcome, latency).
    #[arg(long, env = "SQS_LOCAL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Count requests and messages for GET /metrics (Prometheus).
    #[arg(long, env = "SQS_LOCAL_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,

    /// Largest request body accepted, in bytes; larger requests get 413.
    #[arg(long, env = "SQS_LOCAL_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Most connections served at once; further clients wait in the listen backlog.
    #[arg(long, env = "SQS_LOCAL_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,

    /// Seconds a client may take to send a request head (also how long an idle keep-alive
    /// connection stays open).
    #[arg(long, env = "SQS_LOCAL_HEADER_READ_TIMEOUT", default_value_t = 60)]
    pub header_read_timeout: u64,

    /// Keep queues and messages in this directory (durable mode: they survive restarts and
    /// crashes). Without it everything is in memory.
    #[arg(long, env = "SQS_LOCAL_DATA_DIR")]
    pub data_dir: Option<std::path::PathBuf>,

    /// Durable mode: 0 answers a request once its change is on disk (fsync'd); N > 0 answers at
    /// once and writes every N milliseconds, so a crash loses at most the last N ms of changes.
    #[arg(long, env = "SQS_LOCAL_SYNC_INTERVAL_MS", default_value_t = 0)]
    pub sync_interval_ms: u64,

    /// Durable mode: the largest the database may grow, in bytes; beyond it changes fail with
    /// InternalError as on a full disk (no limit by default).
    #[arg(long, env = "SQS_LOCAL_DATA_MAX_BYTES")]
    pub data_max_bytes: Option<u64>,

    /// Keep all state in this PostgreSQL database (`postgres://user:password@host:port/db`,
    /// `?sslmode=require` or `verify-full` for TLS, `sslrootcert=` for a CA file), shared by every
    /// sqs-local process given the same URL. Not with --data-dir.
    #[arg(long, env = "SQS_LOCAL_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// With --database-url: most database connections this process holds.
    #[arg(long, env = "SQS_LOCAL_DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: usize,

    /// TOML file with settings and queues to create at startup (flags and environment variables
    /// win over it; see README).
    #[arg(long, env = "SQS_LOCAL_CONFIG")]
    pub config: Option<String>,

    /// JSON file of queues to create at startup (older form of the config file's queues; see
    /// `src/predefined.rs`).
    #[arg(long, env = "SQS_LOCAL_QUEUES_FILE")]
    pub queues_file: Option<String>,

    /// The config file's queues.
    #[arg(skip)]
    pub queues: Vec<crate::predefined::QueueSpec>,

    /// Instead of serving, ask the server on --port for GET /health and exit 0 if it answers
    /// 200 (for container health checks).
    #[arg(long)]
    pub healthcheck: bool,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// The settings with no flags (`SQS_LOCAL_*` environment variables still apply).
    pub fn defaults() -> Self {
        Config::parse_from(["sqs-local"])
    }

    /// The settings of this process: flags, then environment variables, then the config file
    /// (`--config`), then defaults. Exits on `--help`, `--version` and unusable flags, as clap does.
    pub fn load() -> Result<Self, String> {
        Self::load_from(std::env::args_os())
    }

    /// [`Config::load`] with the given arguments (the first is the program name).
    pub fn load_from<I, T>(args: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Config::command().get_matches_from(args);
        let mut config = Config::from_arg_matches(&matches).map_err(|e| e.to_string())?;
        let Some(path) = config.config.clone() else { return Ok(config) };
        let file = crate::config_file::load(&path)?;
        // A value from the file counts only where neither a flag nor the environment gave one.
        let unset =
            |id: &str| !matches!(matches.value_source(id), Some(ValueSource::CommandLine | ValueSource::EnvVariable));
        let f = file.settings;
        macro_rules! from_file {
            ($($field:ident),*) => {$(
                if let Some(value) = f.$field {
                    if unset(stringify!($field)) {
                        config.$field = value;
                    }
                }
            )*};
        }
        macro_rules! from_file_optional {
            ($($field:ident),*) => {$(
                if f.$field.is_some() && unset(stringify!($field)) {
                    config.$field = f.$field;
                }
            )*};
        }
        from_file!(
            host,
            port,
            account_id,
            region,
            purge_cooldown,
            delete_cooldown,
            admin,
            metrics,
            log_format,
            max_body_bytes,
            max_connections,
            header_read_timeout,
            sync_interval_ms,
            database_pool_size
        );
        from_file_optional!(advertised_url, data_dir, data_max_bytes, queues_file, admin_token, database_url);
        if let Some(credentials) = f.credentials {
            if unset("credentials") {
                config.credentials = credentials;
            }
        }
        config.queues = file.queues;
        Ok(config)
    }

    /// Where state lives: a data directory or a database, not both.
    pub fn check_storage(&self) -> Result<(), String> {
        match (&self.data_dir, &self.database_url) {
            (Some(_), Some(_)) => Err("--data-dir and --database-url cannot be used together: state lives in a data \
                 directory or in a database"
                .to_string()),
            _ => Ok(()),
        }
    }

    /// The shared database, when a URL is given.
    pub fn database(&self) -> Option<crate::engine::backend::postgres::Options> {
        let mut options = crate::engine::backend::postgres::Options::new(self.database_url.clone()?);
        options.pool_size = self.database_pool_size;
        Some(options)
    }

    /// The account and region, or why they are not usable.
    pub fn namespace(&self) -> Result<Namespace, String> {
        Namespace::parse(&self.account_id, &self.region).ok_or_else(|| {
            format!(
                "--account-id and --region must be at most {} characters",
                crate::engine::types::InlineStr::CAPACITY
            )
        })
    }

    /// The credentials requests are verified against (none: verification is off).
    pub fn credential_store(&self) -> Result<crate::auth::Credentials, String> {
        let list =
            self.credentials.iter().map(|text| crate::auth::Credential::parse(text)).collect::<Result<Vec<_>, _>>()?;
        Ok(crate::auth::Credentials::new(list))
    }

    /// Durable storage, when a data directory is given.
    pub fn storage(&self) -> Option<crate::engine::backend::sqlite::Options> {
        Some(crate::engine::backend::sqlite::Options {
            dir: self.data_dir.clone()?,
            sync_interval: (self.sync_interval_ms > 0).then(|| std::time::Duration::from_millis(self.sync_interval_ms)),
            max_bytes: self.data_max_bytes,
        })
    }

    pub fn engine_settings(&self) -> EngineSettings {
        EngineSettings {
            default_namespace: self.namespace().unwrap_or_else(|_| Namespace::new(DEFAULT_ACCOUNT_ID, DEFAULT_REGION)),
            purge_cooldown: self.purge_cooldown,
            delete_cooldown: self.delete_cooldown,
        }
    }

    /// Queue URLs start with the advertised URL if set, else with the Host the client used.
    pub fn base_url(&self, host: Option<&str>) -> String {
        match (&self.advertised_url, host) {
            (Some(url), _) => url.trim_end_matches('/').to_string(),
            (None, Some(host)) => format!("http://{host}"),
            (None, None) => format!("http://{}:{}", self.host, self.port),
        }
    }
}
