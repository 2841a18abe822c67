//! Typed SQS actions: one request and one response type per action, the SQS request rules, and
//! the handlers that call the engine.
//!
//! Both wire protocols decode into the same JSON-shaped document (see `protocol::query` for how
//! flattened Query parameters are folded), which [`decode`] turns into a typed [`Request`]. No code
//! after this point sees wire strings such as `MessageAttribute.3.Value.StringValue`.

#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod access;
pub mod attributes;
pub mod batch;
pub mod message_attributes;
pub mod messages;
pub mod num;
pub mod permissions;
pub mod queue;
pub mod queue_url;
pub mod receive;
pub mod redrive;
pub mod send;
pub mod tags;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::engine::error::{ErrorCode, SqsError, SqsResult};
use crate::engine::{Engine, Namespace, DEFAULT_ACCOUNT_ID, DEFAULT_REGION};

/// Declares `Action` from the list of SQS operation names.
macro_rules! actions {
    ($($name:ident),* $(,)?) => {
        /// Every SQS action, by its wire name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($name,)* }

        impl Action {
            pub fn name(self) -> &'static str {
                match self { $(Action::$name => stringify!($name),)* }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name { $(stringify!($name) => Some(Action::$name),)* _ => None }
            }

            /// Every action, in declaration order (`action as usize` indexes it).
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];
        }
    };
}

actions! {
    CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, GetQueueAttributes, SetQueueAttributes,
    PurgeQueue, TagQueue, UntagQueue, ListQueueTags, AddPermission, RemovePermission,
    SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage, DeleteMessageBatch,
    ChangeMessageVisibility, ChangeMessageVisibilityBatch, ListDeadLetterSourceQueues,
    StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask,
}

impl Action {
    /// Actions that act on one queue named by `QueueUrl` (and so may be sent to a queue's URL).
    pub fn is_queue_scoped(self) -> bool {
        !matches!(
            self,
            Action::CreateQueue
                | Action::ListQueues
                | Action::StartMessageMoveTask
                | Action::ListMessageMoveTasks
                | Action::CancelMessageMoveTask
        )
    }
}

/// What a handler knows about the HTTP request besides its parameters.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// `scheme://host:port` that queue URLs in responses start with.
    pub base_url: String,
    /// `X-Amzn-Trace-Id` of the request (becomes AWSTraceHeader on SendMessage).
    pub trace_header: Option<String>,
    /// The caller's account and region: where the queues it names by name live.
    pub namespace: Namespace,
    /// Whether the caller's signature was verified; queue policies hold for verified callers.
    pub verified: bool,
}

impl Default for RequestContext {
    fn default() -> Self {
        RequestContext {
            base_url: String::new(),
            trace_header: None,
            namespace: Namespace::new(DEFAULT_ACCOUNT_ID, DEFAULT_REGION),
            verified: false,
        }
    }
}

/// Requests that carry only a `QueueUrl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueUrlRequest {
    pub queue_url: Option<String>,
}

/// A decoded request, one variant per action.
#[derive(Debug)]
pub enum Request {
    CreateQueue(queue::CreateQueueRequest),
    GetQueueUrl(queue::GetQueueUrlRequest),
    ListQueues(queue::ListQueuesRequest),
    DeleteQueue(QueueUrlRequest),
    PurgeQueue(QueueUrlRequest),
    GetQueueAttributes(attributes::GetQueueAttributesRequest),
    SetQueueAttributes(attributes::SetQueueAttributesRequest),
    TagQueue(tags::TagQueueRequest),
    UntagQueue(tags::UntagQueueRequest),
    ListQueueTags(QueueUrlRequest),
    AddPermission(permissions::AddPermissionRequest),
    RemovePermission(permissions::RemovePermissionRequest),
    SendMessage(send::SendMessageRequest),
    SendMessageBatch(send::SendMessageBatchRequest),
    ReceiveMessage(receive::ReceiveMessageRequest),
    DeleteMessage(messages::DeleteMessageRequest),
    DeleteMessageBatch(messages::DeleteMessageBatchRequest),
    ChangeMessageVisibility(messages::ChangeMessageVisibilityRequest),
    ChangeMessageVisibilityBatch(messages::ChangeMessageVisibilityBatchRequest),
    ListDeadLetterSourceQueues(redrive::ListDeadLetterSourceQueuesRequest),
    StartMessageMoveTask(redrive::StartMessageMoveTaskRequest),
    ListMessageMoveTasks(redrive::ListMessageMoveTasksRequest),
    CancelMessageMoveTask(redrive::CancelMessageMoveTaskRequest),
}

/// A response, one variant per action; `Empty` for actions with no output members.
#[derive(Debug)]
pub enum Response {
    Empty,
    QueueUrl(queue::QueueUrlResponse),
    ListQueues(queue::ListQueuesResponse),
    GetQueueAttributes(attributes::GetQueueAttributesResponse),
    ListQueueTags(tags::ListQueueTagsResponse),
    SendMessage(send::SendMessageResponse),
    SendMessageBatch(send::SendMessageBatchResponse),
    ReceiveMessage(receive::ReceiveMessageResponse),
    DeleteMessageBatch(batch::BatchIdsResponse),
    ChangeMessageVisibilityBatch(batch::BatchIdsResponse),
    ListDeadLetterSourceQueues(redrive::ListDeadLetterSourceQueuesResponse),
    StartMessageMoveTask(redrive::StartMessageMoveTaskResponse),
    ListMessageMoveTasks(redrive::ListMessageMoveTasksResponse),
    CancelMessageMoveTask(redrive::CancelMessageMoveTaskResponse),
}

fn typed<T: DeserializeOwned>(document: Value) -> SqsResult<T> {
    serde_json::from_value(document).map_err(|e| type_mismatch(&e))
}

/// A member of the wrong JSON type, in the words of AWS's JSON front end (a
/// `SerializationException` naming the token it found); the decoder's own text never reaches a
/// client. AWS's exact wording per case is unverified (README, deviations).
fn type_mismatch(error: &serde_json::Error) -> SqsError {
    let text = error.to_string();
    let found = text.strip_prefix("invalid type: ").unwrap_or("");
    let expected = text.split(", expected ").nth(1).unwrap_or("");
    let target = [("a sequence", "List"), ("a map", "Map"), ("a string", "String"), ("a boolean", "Boolean")]
        .into_iter()
        .find(|(serde_name, _)| expected.starts_with(serde_name))
        .map_or("Integer", |(_, aws_name)| aws_name);
    let token = [
        ("map", None),
        ("sequence", None),
        ("string", Some("STRING_VALUE")),
        ("integer", Some("NUMBER_VALUE")),
        ("floating point", Some("NUMBER_VALUE")),
        ("boolean", Some("BOOLEAN_VALUE")),
    ]
    .into_iter()
    .find(|(serde_name, _)| found.starts_with(serde_name));
    let message = match token {
        Some(("map", _)) => "Start of structure or map found where not expected.".to_string(),
        Some(("sequence", _)) => "Start of list found where not expected.".to_string(),
        Some((_, Some(token))) => format!("{token} can not be converted to {target}"),
        _ => "The request body could not be deserialized.".to_string(),
    };
    SqsError::new(ErrorCode::MalformedInput, message)
}

/// The name of the queue a parameter document names: by `QueueUrl` (its last path segment),
/// `QueueName`, or a move task's `SourceArn` (its last `:` part).
pub fn named_queue(document: &Value) -> Option<String> {
    let member = |name: &str| document.get(name).and_then(Value::as_str);
    let name = match (member("QueueUrl"), member("QueueName"), member("SourceArn")) {
        (Some(url), _, _) => url.rsplit('/').next(),
        (None, Some(name), _) => Some(name),
        (None, None, Some(arn)) => arn.rsplit(':').next(),
        _ => None,
    };
    name.filter(|n| !n.is_empty()).map(str::to_string)
}

/// Turns the JSON-shaped parameter document of `action` into its typed request.
pub fn decode(action: Action, document: Value) -> SqsResult<Request> {
    let document = match document {
        Value::Null => Value::Object(Default::default()),
        Value::Object(map) => Value::Object(map),
        _ => return Err(SqsError::new(ErrorCode::MalformedInput, "The request body must be a JSON object.")),
    };
    Ok(match action {
        Action::CreateQueue => Request::CreateQueue(typed(document)?),
        Action::GetQueueUrl => Request::GetQueueUrl(typed(document)?),
        Action::ListQueues => Request::ListQueues(typed(document)?),
        Action::DeleteQueue => Request::DeleteQueue(typed(document)?),
        Action::PurgeQueue => Request::PurgeQueue(typed(document)?),
        Action::GetQueueAttributes => Request::GetQueueAttributes(typed(document)?),
        Action::SetQueueAttributes => Request::SetQueueAttributes(typed(document)?),
        Action::TagQueue => Request::TagQueue(typed(document)?),
        Action::UntagQueue => Request::UntagQueue(typed(document)?),
        Action::ListQueueTags => Request::ListQueueTags(typed(document)?),
        Action::AddPermission => Request::AddPermission(typed(document)?),
        Action::RemovePermission => Request::RemovePermission(typed(document)?),
        Action::SendMessage => Request::SendMessage(typed(document)?),
        Action::SendMessageBatch => Request::SendMessageBatch(typed(document)?),
        Action::ReceiveMessage => Request::ReceiveMessage(typed(document)?),
        Action::DeleteMessage => Request::DeleteMessage(typed(document)?),
        Action::DeleteMessageBatch => Request::DeleteMessageBatch(typed(document)?),
        Action::ChangeMessageVisibility => Request::ChangeMessageVisibility(typed(document)?),
        Action::ChangeMessageVisibilityBatch => Request::ChangeMessageVisibilityBatch(typed(document)?),
        Action::ListDeadLetterSourceQueues => Request::ListDeadLetterSourceQueues(typed(document)?),
        Action::StartMessageMoveTask => Request::StartMessageMoveTask(typed(document)?),
        Action::ListMessageMoveTasks => Request::ListMessageMoveTasks(typed(document)?),
        Action::CancelMessageMoveTask => Request::CancelMessageMoveTask(typed(document)?),
    })
}

/// Runs a request against the engine.
pub async fn dispatch(engine: &Engine, ctx: &RequestContext, request: Request) -> SqsResult<Response> {
    match request {
        Request::CreateQueue(r) => queue::create_queue(engine, ctx, r).await,
        Request::GetQueueUrl(r) => queue::get_queue_url(engine, ctx, r).await,
        Request::ListQueues(r) => queue::list_queues(engine, ctx, r).await,
        Request::DeleteQueue(r) => queue::delete_queue(engine, ctx, r).await,
        Request::PurgeQueue(r) => queue::purge_queue(engine, ctx, r).await,
        Request::GetQueueAttributes(r) => attributes::get_queue_attributes(engine, ctx, r).await,
        Request::SetQueueAttributes(r) => attributes::set_queue_attributes(engine, ctx, r).await,
        Request::TagQueue(r) => tags::tag_queue(engine, ctx, r).await,
        Request::UntagQueue(r) => tags::untag_queue(engine, ctx, r).await,
        Request::ListQueueTags(r) => tags::list_queue_tags(engine, ctx, r).await,
        Request::AddPermission(r) => permissions::add_permission(engine, ctx, r).await,
        Request::RemovePermission(r) => permissions::remove_permission(engine, ctx, r).await,
        Request::SendMessage(r) => send::send_message(engine, ctx, r).await,
        Request::SendMessageBatch(r) => send::send_message_batch(engine, ctx, r).await,
        Request::ReceiveMessage(r) => receive::receive_message(engine, ctx, r).await,
        Request::DeleteMessage(r) => messages::delete_message(engine, ctx, r).await,
        Request::DeleteMessageBatch(r) => messages::delete_message_batch(engine, ctx, r).await,
        Request::ChangeMessageVisibility(r) => messages::change_message_visibility(engine, ctx, r).await,
        Request::ChangeMessageVisibilityBatch(r) => messages::change_message_visibility_batch(engine, ctx, r).await,
        Request::ListDeadLetterSourceQueues(r) => redrive::list_dead_letter_source_queues(engine, ctx, r).await,
        Request::StartMessageMoveTask(r) => redrive::start_message_move_task(engine, ctx, r).await,
        Request::ListMessageMoveTasks(r) => redrive::list_message_move_tasks(engine, ctx, r).await,
        Request::CancelMessageMoveTask(r) => redrive::cancel_message_move_task(engine, ctx, r).await,
    }
}

/// A required parameter, or `MissingParameter`.
pub fn required<T>(value: Option<T>, parameter: &str) -> SqsResult<T> {
    value.ok_or_else(|| SqsError::missing(parameter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(action: Action, document: Value) -> String {
        match decode(action, document) {
            Err(e) => {
                assert_eq!(e.code, ErrorCode::MalformedInput);
                e.message.into_owned()
            }
            Ok(r) => panic!("decoded {r:?}"),
        }
    }

    /// No decoder text ("invalid type: ..., expected ...") reaches a client.
    #[test]
    fn wrong_types_get_aws_words() {
        let receive = Action::ReceiveMessage;
        assert_eq!(
            message(receive, json!({"QueueUrl": "q", "MessageAttributeNames": "All"})),
            "STRING_VALUE can not be converted to List"
        );
        assert_eq!(message(receive, json!({"QueueUrl": 17})), "NUMBER_VALUE can not be converted to String");
        assert_eq!(message(receive, json!({"QueueUrl": true})), "BOOLEAN_VALUE can not be converted to String");
        assert_eq!(
            message(receive, json!({"QueueUrl": {"a": 1}})),
            "Start of structure or map found where not expected."
        );
        assert_eq!(message(receive, json!({"QueueUrl": [1]})), "Start of list found where not expected.");
        assert_eq!(
            message(Action::TagQueue, json!({"QueueUrl": "q", "Tags": "x"})),
            "STRING_VALUE can not be converted to Map"
        );
    }
}
