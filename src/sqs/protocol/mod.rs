//! The two wire protocols on one port.
//!
//! [`detect`] picks the protocol (AWS JSON 1.0 when `X-Amz-Target` or a JSON 1.0 content type is
//! present, AWS Query otherwise; Query answered in JSON when the client asks for JSON), [`decode`]
//! returns a typed [`api::Request`], and [`encode`] and [`encode_error`] render in the protocol of
//! the request, always.

#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod json;
pub mod query;
pub mod query_json;
pub mod query_xml;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};

use crate::error::{ErrorCode, SqsError, SqsResult};
use crate::sqs::api::{self, Action, Request, Response};

/// The wire protocol of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS Query, answered in XML.
    Query,
    /// AWS Query from a client that asked for JSON (`Accept: application/json` or
    /// `ContentType=JSON`): answered with the XML document's structure as JSON.
    QueryJson,
    /// AWS JSON 1.0.
    Json,
}

/// What decoding needs from an HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub target: Option<&'a str>,
    /// The `Host` header (quoted in InvalidAddress errors).
    pub host: Option<&'a str>,
    pub body: &'a [u8],
}

/// JSON when the request names a target or a JSON 1.0 content type; Query otherwise, answered in
/// JSON when `Accept` asks for `application/json`.
pub fn detect(target: Option<&str>, content_type: Option<&str>, accept: Option<&str>) -> Protocol {
    let json_type = content_type.is_some_and(|c| c.trim_start().starts_with("application/x-amz-json-1.0"));
    if target.is_some() || json_type {
        Protocol::Json
    } else if accept.is_some_and(|a| a.contains("application/json")) {
        Protocol::QueryJson
    } else {
        Protocol::Query
    }
}

/// A decoded request.
#[derive(Debug)]
pub struct Decoded {
    pub action: Action,
    pub request: Request,
    /// The queue the request names, by name (see [`api::named_queue`]).
    pub queue: Option<String>,
    /// The queue the request acts on, as it names it (for the policy check, [`api::access`]).
    pub target: api::access::Target,
}

fn decoded(action: Action, document: serde_json::Value) -> SqsResult<Decoded> {
    let queue = api::named_queue(&document);
    let target = api::access::target(action, &document);
    Ok(Decoded { action, request: api::decode(action, document)?, queue, target })
}

/// Decodes a request into its action and typed form. A Query request carrying the legacy
/// `ContentType=JSON` parameter switches `protocol` to [`Protocol::QueryJson`].
pub fn decode(protocol: &mut Protocol, incoming: &Incoming<'_>) -> SqsResult<Decoded> {
    match protocol {
        Protocol::Json => {
            let target = incoming
                .target
                .ok_or_else(|| SqsError::new(ErrorCode::UnknownOperation, "Missing X-Amz-Target header."))?;
            let action = json::action_from_target(target)?;
            let document = json::parse_body(incoming.body)?;
            decoded(action, document)
        }
        Protocol::Query | Protocol::QueryJson => decode_query(protocol, incoming),
    }
}

fn decode_query(protocol: &mut Protocol, incoming: &Incoming<'_>) -> SqsResult<Decoded> {
    let mut params = match incoming.query {
        Some(q) => query::parse_form(q.as_bytes())?,
        None => Vec::new(),
    };
    params.extend(query::parse_form(incoming.body)?);
    if params.iter().any(|(k, v)| k == "ContentType" && v.eq_ignore_ascii_case("JSON")) {
        *protocol = Protocol::QueryJson;
    }
    let action_name = params
        .iter()
        .rev()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| SqsError::new(ErrorCode::MissingAction, "The requested operation is not supported."))?;
    let invalid_action =
        || SqsError::new(ErrorCode::InvalidAction, format!("The action {action_name} is not valid for this endpoint."));
    let action = Action::from_name(&action_name).ok_or_else(invalid_action)?;
    let path_names_queue = incoming.path.split('/').any(|s| !s.is_empty());
    if path_names_queue {
        // A request posted to a path that is not a queue URL path touches no queue.
        if api::queue_url::parse_path(incoming.path).is_none() {
            let host = incoming.host.unwrap_or("localhost");
            return Err(SqsError::new(
                ErrorCode::InvalidAddress,
                format!("The address http://{host}{} is not valid for this endpoint.", incoming.path),
            ));
        }
        if !action.is_queue_scoped() {
            return Err(invalid_action());
        }
        // A request posted to a queue's URL acts on that queue unless QueueUrl says otherwise.
        if !params.iter().any(|(k, _)| k == "QueueUrl") {
            params.push(("QueueUrl".into(), incoming.path.to_string()));
        }
    }
    let document = query::to_document(action, &params);
    decoded(action, document)
}

/// An HTTP response ready for hyper.
pub type HttpResponse = hyper::Response<Full<Bytes>>;

/// A response with a body, its content type and the `x-amzn-RequestId` header.
pub fn build(status: u16, content_type: &'static str, request_id: &str, body: Vec<u8>) -> HttpResponse {
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const XML_CONTENT_TYPE: &str = "text/xml";
const QUERY_JSON_CONTENT_TYPE: &str = "application/json";

/// Renders a success response.
pub fn encode(protocol: Protocol, action: Action, response: &Response, request_id: &str) -> HttpResponse {
    match protocol {
        Protocol::Json => build(200, JSON_CONTENT_TYPE, request_id, json::render_response(response)),
        Protocol::Query => build(
            200,
            XML_CONTENT_TYPE,
            request_id,
            query_xml::render_response(action, response, request_id).into_bytes(),
        ),
        Protocol::QueryJson => {
            build(200, QUERY_JSON_CONTENT_TYPE, request_id, query_json::render_response(action, response, request_id))
        }
    }
}

/// Renders an error with the status from the error table.
pub fn encode_error(protocol: Protocol, error: &SqsError, request_id: &str) -> HttpResponse {
    let status = error.code.status();
    match protocol {
        Protocol::Json => {
            let mut response = build(status, JSON_CONTENT_TYPE, request_id, json::render_error(error));
            if let Ok(value) = HeaderValue::from_str(&json::query_error_header(error)) {
                response.headers_mut().insert("x-amzn-query-error", value);
            }
            response
        }
        Protocol::Query => {
            build(status, XML_CONTENT_TYPE, request_id, query_xml::render_error(error, request_id).into_bytes())
        }
        // A request without an action gets the bare XML body whatever it accepts (query_xml).
        Protocol::QueryJson if error.code == ErrorCode::MissingAction => {
            build(status, XML_CONTENT_TYPE, request_id, query_xml::render_error(error, request_id).into_bytes())
        }
        Protocol::QueryJson => {
            let body = query_json::render_error(error, query_xml::error_message(error), request_id);
            build(status, QUERY_JSON_CONTENT_TYPE, request_id, body)
        }
    }
}
