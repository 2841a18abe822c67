//! The SQS API on the port: both wire protocols decode into the typed requests of [`api`], which
//! run against the engine; responses and errors render in the protocol of the request.

pub mod api;
pub mod protocol;

use std::time::Instant;

use bytes::Bytes;
use hyper::header::{HeaderName, ACCEPT, CONTENT_TYPE, HOST};
use hyper::http::request::Parts;
use tracing::Instrument;

use self::api::RequestContext;
use self::protocol::{HttpResponse, Incoming, Protocol};
use crate::error::{ErrorCode, SqsError};
use crate::http::service::{AppState, DropConnection};

/// `X-Amz-Target: AmazonSQS.<Action>` (JSON 1.0).
pub const X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");
/// `X-Amzn-Trace-Id`: becomes the AWSTraceHeader of a sent message.
const X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");

/// The service name SQS requests are signed for (the credential scope's service).
const SIGNING_NAME: &str = "sqs";

/// The headers an SQS request is read by, looked up once.
struct Head<'a> {
    target: Option<&'a str>,
    content_type: Option<&'a str>,
    host: Option<&'a str>,
}

fn header<'a>(parts: &'a Parts, name: &HeaderName) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Handles one SQS request. Every problem becomes an SQS error response; a fault rule may drop
/// the connection instead.
pub async fn handle(
    state: &AppState,
    parts: Parts,
    body: Result<Bytes, SqsError>,
    request_id: &str,
) -> Result<HttpResponse, DropConnection> {
    let head = Head {
        target: header(&parts, &X_AMZ_TARGET),
        content_type: header(&parts, &CONTENT_TYPE),
        host: header(&parts, &HOST),
    };
    let mut protocol = protocol::detect(head.target, head.content_type, header(&parts, &ACCEPT));
    let started = Instant::now();
    match respond(state, &parts, &head, body, &mut protocol, request_id, started).await {
        Ok(response) => Ok(response),
        Err(Failed::Dropped) => Err(DropConnection),
        Err(Failed::Error(error)) => {
            if error.code == ErrorCode::InternalError {
                tracing::error!(request_id, %error, "internal error");
            } else {
                tracing::debug!(request_id, %error, "request failed");
            }
            Ok(protocol::encode_error(protocol, &error, request_id))
        }
    }
}

/// How a request failed: with an SQS error, or by a fault rule's dropped connection.
enum Failed {
    Error(SqsError),
    Dropped,
}

impl From<SqsError> for Failed {
    fn from(error: SqsError) -> Self {
        Failed::Error(error)
    }
}

async fn respond(
    state: &AppState,
    parts: &Parts,
    head: &Head<'_>,
    body: Result<Bytes, SqsError>,
    protocol: &mut Protocol,
    request_id: &str,
    started: Instant,
) -> Result<HttpResponse, Failed> {
    let body = body?;
    let caller = state.caller(parts, &body, SIGNING_NAME)?;
    let incoming = Incoming {
        path: parts.uri.path(),
        query: parts.uri.query(),
        content_type: head.content_type,
        target: head.target,
        host: head.host,
        body: &body,
    };
    let protocol::Decoded { action, request, queue, target } = protocol::decode(protocol, &incoming)?;
    let ctx = RequestContext {
        base_url: state.config.base_url(head.host),
        trace_header: header(parts, &X_AMZN_TRACE_ID).map(str::to_string),
        namespace: caller.namespace,
        verified: caller.verified,
    };
    let result = match api::access::check(&state.engine, &ctx, action, &target).await {
        Ok(()) => serve(state, &ctx, action, request, queue.as_deref(), request_id).await,
        Err(denied) => Err(Failed::Error(denied)),
    };
    record(state, action, queue.as_deref(), &result, started, request_id);
    let response = result?;
    tracing::debug!("ok");
    Ok(protocol::encode(*protocol, action, &response, request_id))
}

/// Counts the request in the metrics and writes its log line (at info level, when asked).
fn record(
    state: &AppState,
    action: api::Action,
    queue: Option<&str>,
    result: &Result<api::Response, Failed>,
    started: Instant,
    request_id: &str,
) {
    let latency = started.elapsed();
    let outcome = match result {
        Ok(_) => "ok",
        Err(Failed::Error(e)) => e.code.query_code(),
        Err(Failed::Dropped) => "dropped",
    };
    tracing::info!(
        target: "sqs_local::request",
        request_id,
        action = action.name(),
        queue = queue.unwrap_or(""),
        outcome,
        latency_ms = latency.as_secs_f64() * 1000.0,
    );
    let Some(metrics) = &state.metrics else { return };
    match result {
        Ok(response) => {
            if let Some(queue) = queue {
                metrics.messages(action, queue, response);
            }
            metrics.request(action, Ok(()), latency);
        }
        Err(Failed::Error(e)) => metrics.request(action, Err(e.code), latency),
        // A dropped connection has no outcome a client saw.
        Err(Failed::Dropped) => {}
    }
}

/// Runs a decoded request, unless a fault rule hits it first.
async fn serve(
    state: &AppState,
    ctx: &RequestContext,
    action: api::Action,
    request: api::Request,
    queue: Option<&str>,
    request_id: &str,
) -> Result<api::Response, Failed> {
    if let Some(injected) = state.faults.check(action, queue) {
        tokio::time::sleep(injected.latency).await;
        if injected.drop_connection {
            return Err(Failed::Dropped);
        }
        if let Some(error) = injected.error {
            return Err(Failed::Error(error));
        }
    }
    // `instrument`, not `span.enter()`: a guard held across the long-poll await would attach other
    // tasks' events to this request's span.
    let span = tracing::debug_span!("request", action = action.name(), request_id);
    Ok(api::dispatch(&state.engine, ctx, request).instrument(span).await?)
}
