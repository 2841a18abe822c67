//! The one hyper service: assigns a request id, collects the body under a size limit, decodes,
//! dispatches and encodes. Everything protocol-specific happens in `protocol`, everything SQS in
//! `api` and `engine`.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as IncomingBody;
use hyper::header::{HeaderValue, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use tracing::Instrument;

use crate::api::{self, RequestContext};
use crate::config::Config;
use crate::engine::Engine;
use crate::error::{ErrorCode, SqsError};
use crate::protocol::{self, HttpResponse, Incoming, Protocol};

/// What every request needs: the engine and the settings.
pub struct AppState {
    pub engine: Engine,
    pub config: Config,
}

fn header<'a>(req: &'a Request<IncomingBody>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Handles one HTTP request. Never fails: every problem becomes an SQS error response.
pub async fn handle(state: Arc<AppState>, req: Request<IncomingBody>) -> Result<HttpResponse, Infallible> {
    let request_id = uuid::Uuid::new_v4().to_string();
    if req.method() == Method::GET && req.uri().path() == "/health" && req.uri().query().is_none() {
        let mut ok = hyper::Response::new(Full::new(Bytes::from_static(b"{\"status\":\"ok\"}")));
        ok.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return Ok(ok);
    }
    let mut protocol =
        protocol::detect(header(&req, "x-amz-target"), header(&req, "content-type"), header(&req, "accept"));
    Ok(match respond(&state, req, &mut protocol, &request_id).await {
        Ok(response) => response,
        Err(error) => {
            if error.code == ErrorCode::InternalError {
                tracing::error!(request_id, %error, "internal error");
            } else {
                tracing::debug!(request_id, %error, "request failed");
            }
            protocol::encode_error(protocol, &error, &request_id)
        }
    })
}

async fn respond(
    state: &AppState,
    req: Request<IncomingBody>,
    protocol: &mut Protocol,
    request_id: &str,
) -> Result<HttpResponse, SqsError> {
    let (parts, body) = req.into_parts();
    let body = collect_body(body, state.config.max_body_bytes).await?;
    let headers = &parts.headers;
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let incoming = Incoming {
        path: parts.uri.path(),
        query: parts.uri.query(),
        content_type: get("content-type"),
        target: get("x-amz-target"),
        host: get("host"),
        body: &body,
    };
    let (action, request) = protocol::decode(protocol, &incoming)?;
    let ctx = RequestContext {
        base_url: base_url(&state.config, headers.get(HOST).and_then(|h| h.to_str().ok())),
        trace_header: get("x-amzn-trace-id").map(str::to_string),
    };
    // `instrument`, not `span.enter()`: a guard held across the long-poll await would attach other
    // tasks' events to this request's span.
    let span = tracing::debug_span!("request", action = action.name(), request_id);
    let response = api::dispatch(&state.engine, &ctx, request).instrument(span).await?;
    tracing::debug!("ok");
    Ok(protocol::encode(*protocol, action, &response, request_id))
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

/// Queue URLs start with the advertised URL if set, else with the Host the client used.
fn base_url(config: &Config, host: Option<&str>) -> String {
    match (&config.advertised_url, host) {
        (Some(url), _) => url.trim_end_matches('/').to_string(),
        (None, Some(host)) => format!("http://{host}"),
        (None, None) => format!("http://{}:{}", config.host, config.port),
    }
}
