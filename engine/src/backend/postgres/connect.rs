//! Reaching the database: the URL (with libpq's `sslmode` values, including `verify-full`), TLS
//! through rustls, the connection pool, and the schema migrations, applied under an advisory lock
//! so that nodes starting together against an empty database migrate it once.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::SslMode;

use super::sql::MIGRATIONS;

/// The schema version this build writes; a newer one is refused.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// The advisory lock key under which migrations run (any constant; this one spells "sqslocal").
const MIGRATION_LOCK: i64 = 0x7371_736c_6f63_616c;

/// How long a request waits for a connection, or for a new one to connect, before it answers
/// ServiceUnavailable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Why the database could not be used. None of these texts contains the URL's password.
#[derive(Debug)]
pub enum ConnectError {
    /// The URL cannot be read.
    BadUrl(String),
    /// TLS was asked for and cannot be set up (a missing or unreadable root certificate file).
    Tls(String),
    /// The server cannot be reached or refused the login.
    Unreachable(String),
    /// A newer sqs-local migrated the database.
    NewerSchema(i32),
    Migration(String),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::BadUrl(why) => write!(f, "the database URL cannot be read: {why}"),
            ConnectError::Tls(why) => write!(f, "TLS to the database cannot be set up: {why}"),
            ConnectError::Unreachable(why) => write!(f, "the database cannot be reached: {why}"),
            ConnectError::NewerSchema(found) => write!(
                f,
                "the database was migrated by a newer sqs-local (schema version {found}; this one knows up to \
                 {SCHEMA_VERSION}); it was not changed"
            ),
            ConnectError::Migration(why) => write!(f, "the database schema could not be migrated: {why}"),
        }
    }
}

impl std::error::Error for ConnectError {}

/// How TLS to the server is checked, from the URL's `sslmode` (libpq's values).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verify {
    /// `disable`, `allow`, `prefer` or `require`: encrypted when asked, the certificate not checked
    /// (libpq checks nothing for these either).
    Nothing,
    /// `verify-ca` and `verify-full`: the chain against the roots (see [`root_file_path`]), and
    /// the host name (rustls always checks it, so `verify-ca` is as strict as `verify-full`).
    Chain { root_file: Option<String> },
}

/// A database URL split into what tokio-postgres reads and what this module handles itself.
#[derive(Debug)]
struct Target {
    config: tokio_postgres::Config,
    verify: Verify,
}

/// Reads a `postgres://` or `postgresql://` URL. tokio-postgres knows `sslmode` up to `require`;
/// `verify-ca` and `verify-full` become `require` plus certificate checks here, and `sslrootcert`
/// names the roots to check against.
fn parse(url: &str) -> Result<Target, ConnectError> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, query),
        None => (url, ""),
    };
    let mut kept = Vec::new();
    let mut verify = Verify::Nothing;
    let mut root_file = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match (key, value) {
            ("sslmode", "verify-ca" | "verify-full") => {
                verify = Verify::Chain { root_file: None };
                kept.push("sslmode=require".to_string());
            }
            ("sslmode", "allow") => kept.push("sslmode=prefer".to_string()),
            ("sslrootcert", file) => root_file = Some(percent_decode(file)),
            _ => kept.push(pair.to_string()),
        }
    }
    if let Verify::Chain { root_file: slot } = &mut verify {
        *slot = root_file;
    }
    let rebuilt = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    let config = rebuilt.parse::<tokio_postgres::Config>().map_err(|e| ConnectError::BadUrl(e.to_string()))?;
    Ok(Target { config, verify })
}

/// `%XX` escapes in a URL parameter.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The rustls configuration for a verification mode.
fn tls_config(verify: &Verify) -> Result<rustls::ClientConfig, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Tls(e.to_string()))?;
    match verify {
        Verify::Nothing => Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth()),
        Verify::Chain { root_file } => {
            let path = root_file_path(root_file.as_deref())?;
            let pem = std::fs::read(&path).map_err(|e| ConnectError::Tls(format!("{path}: {e}")))?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.map_err(|e| ConnectError::Tls(format!("{path}: {e}")))?;
                // A bundle may hold certificates rustls cannot use as roots; the others still count.
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(ConnectError::Tls(format!("{path} holds no usable certificate")));
            }
            Ok(builder.with_root_certificates(roots).with_no_client_auth())
        }
    }
}

/// Where the roots of `verify-ca`/`verify-full` come from, as libpq has it: `sslrootcert=<file>`;
/// `sslrootcert=system`, the system's bundle; by default `~/.postgresql/root.crt`.
fn root_file_path(given: Option<&str>) -> Result<String, ConnectError> {
    const SYSTEM_BUNDLES: [&str; 3] =
        ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];
    match given {
        Some("system") => SYSTEM_BUNDLES
            .iter()
            .find(|p| std::path::Path::new(p).exists())
            .map(|p| p.to_string())
            .ok_or_else(|| ConnectError::Tls("sslrootcert=system: this system has no certificate bundle".into())),
        Some(path) => Ok(path.to_string()),
        None => {
            let home = std::env::var("HOME").unwrap_or_default();
            let default = format!("{home}/.postgresql/root.crt");
            if std::path::Path::new(&default).exists() {
                Ok(default)
            } else {
                Err(ConnectError::Tls(format!(
                    "sslmode=verify-ca and verify-full check the server against a CA: give sslrootcert=<file> \
                     (or sslrootcert=system); {default} does not exist"
                )))
            }
        }
    }
}

/// The verifier of `sslmode=require`: any certificate (the connection is encrypted, the server
/// not authenticated, as with libpq). Signatures are still checked with the provider's algorithms.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// What connecting gives: the pool, and what opens the notification connection.
pub struct Connected {
    pub pool: Pool,
    pub listen: ListenTarget,
}

/// Opens a dedicated connection (outside the pool) for LISTEN.
#[derive(Clone)]
pub struct ListenTarget {
    config: tokio_postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

/// A connection a task of its own drives; its notifications arrive on the returned channel.
pub type Listener = (tokio_postgres::Client, tokio::sync::mpsc::UnboundedReceiver<tokio_postgres::Notification>);

impl ListenTarget {
    /// Opens it under an application name (other nodes count listeners by it).
    pub async fn open(&self, application_name: &str) -> Result<Listener, tokio_postgres::Error> {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let mut config = self.config.clone();
        config.application_name(application_name);
        let client = match &self.tls {
            Some(tls) => {
                let (client, connection) = config.connect(tls.clone()).await?;
                tokio::spawn(forward_notifications(connection, sender));
                client
            }
            None => {
                let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
                tokio::spawn(forward_notifications(connection, sender));
                client
            }
        };
        Ok((client, receiver))
    }
}

/// Drives a connection, sending its notifications on; ends when the connection does.
async fn forward_notifications<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    sender: tokio::sync::mpsc::UnboundedSender<tokio_postgres::Notification>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                if sender.send(n).is_err() {
                    return;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return,
        }
    }
}

/// Where a URL points, for logs: host, port, database and TLS mode; never the user's password.
pub fn describe(url: &str) -> String {
    let Ok(target) = parse(url) else { return "(an unreadable URL)".to_string() };
    let config = &target.config;
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let database = config.get_dbname().or(config.get_user()).unwrap_or("postgres");
    let tls = match (&target.verify, config.get_ssl_mode()) {
        (Verify::Chain { .. }, _) => "TLS, verified",
        (Verify::Nothing, SslMode::Require) => "TLS",
        (Verify::Nothing, SslMode::Prefer) => "TLS if offered",
        _ => "no TLS",
    };
    format!("{host}:{port}/{database} ({tls})")
}

/// Connects, checks the schema and migrates it. `pool_size`: most connections held.
pub async fn connect(url: &str, pool_size: usize) -> Result<Connected, ConnectError> {
    let Target { mut config, verify } = parse(url)?;
    config.connect_timeout(CONNECT_TIMEOUT);
    // A connection whose peer stopped acknowledging (a network cut, a host gone) fails within
    // this time instead of waiting for TCP's minutes, and the pool discards it.
    config.tcp_user_timeout(CONNECT_TIMEOUT);
    config.keepalives(true).keepalives_idle(CONNECT_TIMEOUT);
    config.application_name("sqs-local");
    let tls = match (config.get_ssl_mode(), &verify) {
        (SslMode::Disable, Verify::Nothing) => None,
        _ => Some(tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(&verify)?)),
    };
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let manager = match &tls {
        Some(tls) => Manager::from_config(config.clone(), tls.clone(), manager_config),
        None => Manager::from_config(config.clone(), tokio_postgres::NoTls, manager_config),
    };
    let pool = Pool::builder(manager)
        .max_size(pool_size.max(2))
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| ConnectError::BadUrl(e.to_string()))?;
    migrate(&pool).await?;
    warm_up(&pool, pool_size).await;
    Ok(Connected { pool, listen: ListenTarget { config, tls } })
}

/// Connections opened at start, each with the statements of the message path prepared, so that
/// the first requests do not pay for them.
const WARM_CONNECTIONS: usize = 4;

async fn warm_up(pool: &Pool, pool_size: usize) {
    let statements = [
        super::sql::messages::INSERT_STANDARD,
        super::sql::messages::RECEIVE_STANDARD,
        super::sql::messages::DELETE,
        super::sql::messages::NEXT_DUE,
        super::sql::fifo::SEND,
        super::sql::queues::BY_NAME,
    ];
    let mut held = Vec::new();
    for _ in 0..WARM_CONNECTIONS.min(pool_size) {
        let Ok(client) = pool.get().await else { return };
        for statement in statements {
            // A statement that fails to prepare here fails again, with its error, when used.
            let _ = client.prepare_cached(statement).await;
        }
        held.push(client);
    }
}

/// Applies the migrations this database lacks, under the migration lock (a node that waits for
/// it finds the work done); refuses a database of a newer schema.
async fn migrate(pool: &Pool) -> Result<(), ConnectError> {
    let mut client = pool.get().await.map_err(|e| {
        let why = e.to_string();
        // A certificate the checks refuse will not be accepted by waiting: say so at once.
        if why.contains("TLS") {
            ConnectError::Tls(why)
        } else {
            ConnectError::Unreachable(why)
        }
    })?;
    let failed = |e: tokio_postgres::Error| ConnectError::Migration(e.to_string());
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await.map_err(failed)?;
    let outcome = async {
        client
            .batch_execute(
                "CREATE SCHEMA IF NOT EXISTS sqs_local; \
                 CREATE TABLE IF NOT EXISTS sqs_local.schema_version ( \
                   version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            )
            .await
            .map_err(failed)?;
        let row = client.query_one("SELECT max(version) FROM sqs_local.schema_version", &[]).await.map_err(failed)?;
        let found: i32 = row.get::<_, Option<i32>>(0).unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(ConnectError::NewerSchema(found));
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = index as i32 + 1;
            let tx = client.transaction().await.map_err(failed)?;
            tx.batch_execute(migration).await.map_err(failed)?;
            tx.execute("INSERT INTO sqs_local.schema_version (version) VALUES ($1)", &[&version])
                .await
                .map_err(failed)?;
            tx.commit().await.map_err(failed)?;
            tracing::info!(version, "database schema migrated");
        }
        Ok(())
    }
    .await;
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await;
    outcome?;
    unlocked.map_err(failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmodes_map_to_tls_checks() {
        let plain = parse("postgres://u:secret@localhost:5432/db").unwrap();
        assert_eq!(plain.verify, Verify::Nothing);
        let full = parse("postgresql://u@h/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem").unwrap();
        assert_eq!(full.verify, Verify::Chain { root_file: Some("/tmp/ca.pem".into()) });
        assert_eq!(full.config.get_ssl_mode(), SslMode::Require);
        let required = parse("postgres://u@h/db?sslmode=require").unwrap();
        assert_eq!((required.verify, required.config.get_ssl_mode()), (Verify::Nothing, SslMode::Require));
        let err = parse("postgres://u:secret@h:notaport/db").unwrap_err().to_string();
        assert!(!err.contains("secret"), "{err}");
    }
}
