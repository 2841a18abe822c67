//! The SQS API on the port: both wire protocols decode into the typed requests of [`api`], which
//! run against the engine; responses and errors render in the protocol of the request.

pub mod api;
pub mod protocol;

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
    match respond(state, &parts, &head, body, &mut protocol, request_id).await {
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
) -> Result<HttpResponse, Failed> {
    let body = body?;
    let incoming = Incoming {
        path: parts.uri.path(),
        query: parts.uri.query(),
        content_type: head.content_type,
        target: head.target,
        host: head.host,
        body: &body,
    };
    let protocol::Decoded { action, request, queue } = protocol::decode(protocol, &incoming)?;
    if let Some(injected) = state.faults.check(action, queue.as_deref()) {
        tokio::time::sleep(injected.latency).await;
        if injected.drop_connection {
            return Err(Failed::Dropped);
        }
        if let Some(error) = injected.error {
            return Err(Failed::Error(error));
        }
    }
    let ctx = RequestContext {
        base_url: state.config.base_url(head.host),
        trace_header: header(parts, &X_AMZN_TRACE_ID).map(str::to_string),
        namespace: state.engine.settings().default_namespace,
    };
    // `instrument`, not `span.enter()`: a guard held across the long-poll await would attach other
    // tasks' events to this request's span.
    let span = tracing::debug_span!("request", action = action.name(), request_id);
    let response = api::dispatch(&state.engine, &ctx, request).instrument(span).await?;
    tracing::debug!("ok");
    Ok(protocol::encode(*protocol, action, &response, request_id))
}
