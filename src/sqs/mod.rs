//! The SQS API on the port: both wire protocols decode into the typed requests of [`api`], which
//! run against the engine; responses and errors render in the protocol of the request.

pub mod api;
pub mod protocol;

use bytes::Bytes;
use hyper::http::request::Parts;
use tracing::Instrument;

use self::api::RequestContext;
use self::protocol::{HttpResponse, Incoming, Protocol};
use crate::error::{ErrorCode, SqsError};
use crate::http::service::AppState;

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Handles one SQS request. Never fails: every problem becomes an SQS error response.
pub async fn handle(state: &AppState, parts: Parts, body: Result<Bytes, SqsError>, request_id: &str) -> HttpResponse {
    let mut protocol =
        protocol::detect(header(&parts, "x-amz-target"), header(&parts, "content-type"), header(&parts, "accept"));
    match respond(state, &parts, body, &mut protocol, request_id).await {
        Ok(response) => response,
        Err(error) => {
            if error.code == ErrorCode::InternalError {
                tracing::error!(request_id, %error, "internal error");
            } else {
                tracing::debug!(request_id, %error, "request failed");
            }
            protocol::encode_error(protocol, &error, request_id)
        }
    }
}

async fn respond(
    state: &AppState,
    parts: &Parts,
    body: Result<Bytes, SqsError>,
    protocol: &mut Protocol,
    request_id: &str,
) -> Result<HttpResponse, SqsError> {
    let body = body?;
    let incoming = Incoming {
        path: parts.uri.path(),
        query: parts.uri.query(),
        content_type: header(parts, "content-type"),
        target: header(parts, "x-amz-target"),
        host: header(parts, "host"),
        body: &body,
    };
    let (action, request) = protocol::decode(protocol, &incoming)?;
    let ctx = RequestContext {
        base_url: state.config.base_url(header(parts, "host")),
        trace_header: header(parts, "x-amzn-trace-id").map(str::to_string),
        namespace: state.engine.settings().default_namespace.clone(),
    };
    // `instrument`, not `span.enter()`: a guard held across the long-poll await would attach other
    // tasks' events to this request's span.
    let span = tracing::debug_span!("request", action = action.name(), request_id);
    let response = api::dispatch(&state.engine, &ctx, request).instrument(span).await?;
    tracing::debug!("ok");
    Ok(protocol::encode(*protocol, action, &response, request_id))
}
