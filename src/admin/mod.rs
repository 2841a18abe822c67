//! The admin and test API under `/_admin/`: JSON in and out, on the SQS port, never an AWS path
//! (those are `/`, `/<account>/<queue>` and `/queue/...`). Off with `--admin false`.
//!
//! | request | answer |
//! |---|---|
//! | `GET /_admin/clock` | `{"now", "offsetMs"}` |
//! | `POST /_admin/clock/advance` `{"seconds": N}` | moves the clock forward; `{"now", "offsetMs"}` |
//! | `GET /_admin/queues/<name>/messages?limit=&nextToken=` | every message, any state, unchanged |
//! | `DELETE /_admin/queues/<name>/messages/<position>?messageId=` | deletes a peeked message |
//! | `POST /_admin/queues/<name>/reset` | empties the queue, its dedup window and cooldowns |
//! | `POST /_admin/reset` | no queues but the configured ones, no topics, clock offset 0, no faults |
//! | `POST /_admin/faults` (a [`faults::NewRule`]) | the rule with its `id` |
//! | `GET /_admin/faults` | `{"faults": [...]}` with how often each `fired` |
//! | `DELETE /_admin/faults[/<id>]` | removes all rules, or one |
//!
//! Queues are those of the configured account and region. Errors are
//! `{"error": <code>, "message": <text>}` with a 4xx status (404 for an unknown queue or path).

pub mod faults;

use std::collections::BTreeMap;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::engine::message::PeekedMessage;
use crate::engine::QueueId;
use crate::error::{ErrorCode, SqsError};
use crate::http::service::AppState;
use crate::sqs::api::message_attributes::WireAttributeValue;
use crate::sqs::api::receive::system_attributes;
use crate::sqs::protocol::HttpResponse;

/// The path prefix of the admin API.
pub const PREFIX: &str = "/_admin";

/// The most messages one peek page holds (and the default page size).
const MAX_PAGE: usize = 1000;

/// Advancing the clock by more than this (about 100 years) is refused.
const MAX_ADVANCE_SECONDS: f64 = 3.2e9;

/// An admin API error: status, code, message.
struct AdminError(StatusCode, &'static str, String);

impl AdminError {
    fn bad_request(message: impl Into<String>) -> Self {
        AdminError(StatusCode::BAD_REQUEST, "BadRequest", message.into())
    }

    fn not_found(message: impl Into<String>) -> Self {
        AdminError(StatusCode::NOT_FOUND, "NotFound", message.into())
    }
}

impl From<SqsError> for AdminError {
    fn from(e: SqsError) -> Self {
        match e.code {
            ErrorCode::QueueDoesNotExist => AdminError::not_found(e.message),
            ErrorCode::RequestEntityTooLarge => {
                AdminError(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", e.message.into())
            }
            ErrorCode::InternalError => {
                AdminError(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", e.message.into())
            }
            _ => AdminError::bad_request(e.message),
        }
    }
}

type AdminResult = Result<(StatusCode, Value), AdminError>;

/// With credentials configured the admin API is guarded: a request must carry
/// `Authorization: Bearer <admin token>`, and with no token configured it is closed.
fn authorize(state: &AppState, parts: &Parts) -> Result<(), AdminError> {
    if !state.credentials.enabled() {
        return Ok(());
    }
    let Some(token) = state.config.admin_token.as_deref() else {
        return Err(AdminError(
            StatusCode::FORBIDDEN,
            "AdminClosed",
            "credentials are configured and no admin token is (--admin-token)".into(),
        ));
    };
    if crate::auth::bearer_token(parts).is_some_and(|given| crate::auth::sigv4::constant_time_eq(token, given)) {
        Ok(())
    } else {
        Err(AdminError(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "the admin API needs Authorization: Bearer <admin token>".into(),
        ))
    }
}

/// Handles one admin request. Never fails: every problem becomes a JSON error.
pub async fn handle(state: &AppState, parts: &Parts, body: Result<Bytes, SqsError>) -> HttpResponse {
    let (status, document) = match route(state, parts, body).await {
        Ok(answer) => answer,
        Err(AdminError(status, code, message)) => (status, json!({"error": code, "message": message})),
    };
    let mut response = hyper::Response::new(Full::new(Bytes::from(document.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

async fn route(state: &AppState, parts: &Parts, body: Result<Bytes, SqsError>) -> AdminResult {
    authorize(state, parts)?;
    let body = body?;
    let path = parts.uri.path().strip_prefix(PREFIX).unwrap_or("");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = &parts.method;
    let ok = |value: Value| Ok((StatusCode::OK, value));
    match (method, segments.as_slice()) {
        (&Method::GET, ["clock"]) => ok(clock(state)),
        (&Method::POST, ["clock", "advance"]) => {
            let request: AdvanceRequest = parse(&body)?;
            advance(state, request).await
        }
        (&Method::GET, ["queues", name, "messages"]) => peek(state, name, parts.uri.query()).await,
        (&Method::DELETE, ["queues", name, "messages", position]) => {
            delete_at(state, name, position, parts.uri.query()).await
        }
        (&Method::POST, ["queues", name, "reset"]) => {
            state.engine.reset_queue(&queue_id(state, name)?).await?;
            ok(json!({"reset": name}))
        }
        (&Method::POST, ["reset"]) => reset(state).await,
        (&Method::POST, ["faults"]) => {
            let rule = state.faults.add(parse(&body)?).map_err(AdminError::bad_request)?;
            Ok((StatusCode::CREATED, to_value(&rule)))
        }
        (&Method::GET, ["faults"]) => ok(json!({"faults": to_value(&state.faults.list())})),
        (&Method::DELETE, ["faults"]) => {
            state.faults.clear();
            ok(json!({"faults": []}))
        }
        (&Method::DELETE, ["faults", id]) => match state.faults.remove(id) {
            true => ok(json!({"deleted": id})),
            false => Err(AdminError::not_found(format!("there is no fault rule {id}"))),
        },
        (
            _,
            ["clock"]
            | ["clock", "advance"]
            | ["queues", _, "messages" | "reset"]
            | ["queues", _, "messages", _]
            | ["reset"],
        )
        | (_, ["faults"] | ["faults", _]) => Err(AdminError(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} is not allowed on {}", parts.uri.path()),
        )),
        _ => Err(AdminError::not_found(format!("{} is not an admin API path", parts.uri.path()))),
    }
}

fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The JSON body of a request, or a 400 that says what is wrong with it.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    let text = std::str::from_utf8(body).map_err(|_| AdminError::bad_request("the body is not UTF-8"))?;
    let text = if text.trim().is_empty() { "{}" } else { text };
    let not_expected =
        |e: serde_json::Error| AdminError::bad_request(format!("the body is not the JSON expected: {e}"));
    let document: Value = serde_json::from_str(text).map_err(not_expected)?;
    if !document.is_object() {
        return Err(AdminError::bad_request("the body must be a JSON object"));
    }
    serde_json::from_value(document).map_err(not_expected)
}

fn queue_id(state: &AppState, name: &str) -> Result<QueueId, AdminError> {
    Ok(QueueId::new(state.engine.settings().default_namespace, name))
}

fn clock(state: &AppState) -> Value {
    json!({"now": state.engine.now(), "offsetMs": state.engine.clock_offset()})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceRequest {
    seconds: f64,
}

async fn advance(state: &AppState, request: AdvanceRequest) -> AdminResult {
    let seconds = request.seconds;
    if !(0.0..=MAX_ADVANCE_SECONDS).contains(&seconds) {
        // NaN and infinities fail the range check too.
        return Err(AdminError::bad_request(format!(
            "seconds must be from 0 to {MAX_ADVANCE_SECONDS} (time never goes backward), not {seconds}"
        )));
    }
    state.engine.advance_clock((seconds * 1000.0).round() as u64).await?;
    Ok((StatusCode::OK, clock(state)))
}

async fn reset(state: &AppState) -> AdminResult {
    state.engine.reset().await?;
    state.sns.topics.reset().await?;
    state.faults.clear();
    let created = crate::predefined::create_configured(&state.engine, &state.config)
        .await
        .map_err(|e| AdminError(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", e))?;
    Ok((StatusCode::OK, json!({"reset": true, "queues": created})))
}

fn query_params(query: Option<&str>) -> Result<BTreeMap<String, String>, AdminError> {
    Ok(crate::sqs::protocol::query::parse_form(query.unwrap_or("").as_bytes())
        .map_err(|_| AdminError::bad_request("the query string cannot be read"))?
        .into_iter()
        .collect())
}

/// Deletes the message a peek showed at `position`, named again by its `messageId` (so that a
/// stale page cannot delete another message).
async fn delete_at(state: &AppState, name: &str, position: &str, query: Option<&str>) -> AdminResult {
    let id = queue_id(state, name)?;
    let position = position.parse().map_err(|_| AdminError::bad_request("the position is not one a peek gave"))?;
    let params = query_params(query)?;
    let message_id = params
        .get("messageId")
        .and_then(|m| uuid::Uuid::parse_str(m).ok())
        .ok_or_else(|| AdminError::bad_request("messageId (the message's id from the peek) is required"))?;
    match state.engine.delete_at(&id, position, message_id).await? {
        true => Ok((StatusCode::OK, json!({"deleted": message_id.to_string()}))),
        false => Err(AdminError::not_found(format!("message {message_id} is no longer in {name}"))),
    }
}

/// `limit` (1 to 1000, default 1000) and `nextToken` (from the previous page).
async fn peek(state: &AppState, name: &str, query: Option<&str>) -> AdminResult {
    let id = queue_id(state, name)?;
    let params = query_params(query)?;
    let limit = match params.get("limit") {
        Some(limit) => limit
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| AdminError::bad_request(format!("limit must be from 1 to {MAX_PAGE}")))?,
        None => MAX_PAGE,
    };
    let after = match params.get("nextToken") {
        Some(token) => Some(token.parse::<u64>().map_err(|_| AdminError::bad_request("nextToken is not one we gave"))?),
        None => None,
    };
    let page = state.engine.peek(&id, after, limit).await?;
    let sender_id = id.namespace.account.to_string();
    let messages: Vec<Value> = page.messages.iter().map(|m| peeked_json(m, &sender_id)).collect();
    let mut answer = json!({"messages": messages});
    if let Some(next) = page.next {
        answer["nextToken"] = Value::String(next.to_string());
    }
    Ok((StatusCode::OK, answer))
}

fn peeked_json(peeked: &PeekedMessage, sender_id: &str) -> Value {
    let m = &peeked.message;
    let attributes: BTreeMap<String, WireAttributeValue> =
        m.attributes.iter().map(|(name, value)| (name.clone(), WireAttributeValue::from_value(value))).collect();
    json!({
        "messageId": m.id.to_string(),
        "position": peeked.position.to_string(),
        "body": &*m.body,
        "state": peeked.state.as_str(),
        "receiveCount": m.receive_count,
        "sentTimestamp": m.sent_at,
        "visibleAt": peeked.visible_at,
        "messageGroupId": m.group_id.as_deref(),
        "sequenceNumber": m.sequence_number.map(|n| n.to_string()),
        "messageAttributes": to_value(&attributes),
        "attributes": system_attributes(m, sender_id),
    })
}
