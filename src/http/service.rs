//! The one hyper service: assigns a request id, routes the request (see [`super::router`]), and
//! for AWS requests collects the body under a size limit and hands it to the service's handler.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as IncomingBody;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::Request;

use super::router::{self, AwsService, Route};
use crate::admin::faults::Faults;
use crate::auth::{Caller, Credentials};
use crate::config::Config;
use crate::engine::backend::memory::topics::MemoryTopics;
use crate::engine::{Engine, TopicBackend};
use crate::error::{ErrorCode, SqsError};
use crate::metrics::Metrics;
use crate::sns::Sns;
use crate::sqs::{self, protocol::HttpResponse};

/// What every request needs: the engine, the settings, the admin API's fault rules.
pub struct AppState {
    pub engine: Engine,
    pub config: Config,
    pub faults: Faults,
    /// `None` with `--metrics false`.
    pub metrics: Option<Arc<Metrics>>,
    /// The credentials requests must be signed with (empty: none are verified).
    pub credentials: Credentials,
    /// SNS: topics and subscriptions (beside the engine's queues), and their delivery.
    pub sns: Sns,
}

impl AppState {
    /// State over `engine`, with SNS topics in memory.
    pub fn new(engine: Engine, config: Config) -> Self {
        Self::with_topics(engine, config, Arc::new(MemoryTopics::new()))
    }

    pub fn with_topics(engine: Engine, config: Config, topics: Arc<dyn TopicBackend>) -> Self {
        let metrics = config.metrics.then(Arc::<Metrics>::default);
        // Unusable credentials stop the binary at start (main); here they are known to parse.
        let credentials = config.credential_store().unwrap_or_default();
        AppState { engine, config, faults: Faults::default(), metrics, credentials, sns: Sns::new(topics) }
    }
}

impl AppState {
    /// Who sent a request signed for `service` (`sqs` or `sns`), checked against the configured
    /// credentials by the wall clock (see `auth`).
    pub fn caller(&self, parts: &hyper::http::request::Parts, body: &[u8], service: &str) -> Result<Caller, SqsError> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        crate::auth::authenticate(
            &self.credentials,
            self.config.admin_token.as_deref(),
            self.engine.settings().default_namespace,
            service,
            &crate::auth::SignedRequest { parts, body },
            now,
        )
    }
}

/// The connection is closed without an answer (a fault rule's `dropConnection`).
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for DropConnection {}

/// Handles one HTTP request. Every problem becomes an error response; the only error is a fault
/// rule's dropped connection.
pub async fn handle(state: Arc<AppState>, req: Request<IncomingBody>) -> Result<HttpResponse, DropConnection> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    Ok(match router::route(&parts, state.config.admin) {
        Route::Health => health(&state).await,
        Route::Metrics => metrics(&state).await,
        Route::Console => crate::console::page(),
        Route::Admin => {
            let body = collect_body(body, state.config.max_body_bytes).await;
            crate::admin::handle(&state, &parts, body).await
        }
        Route::Aws => {
            let body = collect_body(body, state.config.max_body_bytes).await;
            let service = body.as_ref().map_or(AwsService::Sqs, |b| router::aws_service(&parts, b));
            match service {
                AwsService::Sqs => sqs::handle(&state, parts, body, &request_id).await?,
                AwsService::Sns => crate::sns::handle(&state, parts, body, &request_id).await,
            }
        }
    })
}

/// `GET /health`: `{"status":"ok"}` when the engine's storage can serve (always, in memory and
/// in a data directory), else 503 with `{"status":"unavailable"}` (the database cannot be reached).
async fn health(state: &AppState) -> HttpResponse {
    let ready = state.engine.backend().ready().await;
    let body: &'static [u8] = if ready { b"{\"status\":\"ok\"}" } else { b"{\"status\":\"unavailable\"}" };
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(body)));
    if !ready {
        *response.status_mut() = hyper::StatusCode::SERVICE_UNAVAILABLE;
    }
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `GET /metrics`: Prometheus text format (404 with `--metrics false`).
async fn metrics(state: &AppState) -> HttpResponse {
    let rendered = match &state.metrics {
        Some(metrics) => metrics.render(&state.engine).await.map_err(|e| (500, e.message.to_string())),
        None => Err((404, "metrics are off (--metrics false)".to_string())),
    };
    let (status, body, content_type) = match rendered {
        Ok(text) => (200, text, "text/plain; version=0.0.4; charset=utf-8"),
        Err((status, message)) => (status, message, "text/plain; charset=utf-8"),
    };
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Reads the whole body, refusing more than `limit` bytes.
async fn collect_body(body: IncomingBody, limit: usize) -> Result<Bytes, SqsError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            Err(SqsError::new(ErrorCode::RequestEntityTooLarge, format!("Request body is larger than {limit} bytes.")))
        }
        Err(_) => Err(SqsError::new(ErrorCode::MalformedInput, "The request body could not be read.")),
    }
}
