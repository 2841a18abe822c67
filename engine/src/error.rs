//! The one error table of the service.
//!
//! Every SQS error is a row of [`ErrorCode`]: the legacy Query code (used in Query `<Code>` and in the
//! JSON `x-amzn-query-error` header), the JSON `__type` shape name, the HTTP status and the fault. The
//! table is written once here and rendered in exactly two places: `protocol::query_xml` and
//! `protocol::json`. Codes and statuses follow the Smithy model's `awsQueryError` traits; see
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html>.

use std::borrow::Cow;
use std::fmt;

/// Who is to blame for an error, as AWS reports it in `<Type>` and in `x-amzn-query-error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Sender,
    Receiver,
}

impl Fault {
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Sender => "Sender",
            Fault::Receiver => "Receiver",
        }
    }
}

/// Declares `ErrorCode` and its lookup methods from one table, so that each fact is written once.
macro_rules! error_table {
    ($($variant:ident => ($query:literal, $json:literal, $status:literal, $fault:ident);)*) => {
        /// Every error sqs-local can return, one variant per SQS error.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant,)* }

        impl ErrorCode {
            /// The legacy Query error code (`<Code>` in XML, first part of `x-amzn-query-error`).
            pub fn query_code(self) -> &'static str {
                match self { $(ErrorCode::$variant => $query,)* }
            }
            /// The JSON `__type` value: `namespace#ShapeName`.
            pub fn json_type(self) -> &'static str {
                match self { $(ErrorCode::$variant => $json,)* }
            }
            /// The HTTP status AWS answers with.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }
            /// Whether the sender or the service is at fault.
            pub fn fault(self) -> Fault {
                match self { $(ErrorCode::$variant => Fault::$fault,)* }
            }
            /// Every row of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];
        }
    };
}

error_table! {
    QueueDoesNotExist => ("AWS.SimpleQueueService.NonExistentQueue", "com.amazonaws.sqs#QueueDoesNotExist", 400, Sender);
    QueueNameExists => ("QueueAlreadyExists", "com.amazonaws.sqs#QueueNameExists", 400, Sender);
    QueueDeletedRecently => ("AWS.SimpleQueueService.QueueDeletedRecently", "com.amazonaws.sqs#QueueDeletedRecently", 400, Sender);
    PurgeQueueInProgress => ("AWS.SimpleQueueService.PurgeQueueInProgress", "com.amazonaws.sqs#PurgeQueueInProgress", 403, Sender);
    UnsupportedOperation => ("AWS.SimpleQueueService.UnsupportedOperation", "com.amazonaws.sqs#UnsupportedOperation", 400, Sender);
    MessageNotInflight => ("AWS.SimpleQueueService.MessageNotInflight", "com.amazonaws.sqs#MessageNotInflight", 400, Sender);
    BatchEntryIdsNotDistinct => ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "com.amazonaws.sqs#BatchEntryIdsNotDistinct", 400, Sender);
    BatchRequestTooLong => ("AWS.SimpleQueueService.BatchRequestTooLong", "com.amazonaws.sqs#BatchRequestTooLong", 400, Sender);
    EmptyBatchRequest => ("AWS.SimpleQueueService.EmptyBatchRequest", "com.amazonaws.sqs#EmptyBatchRequest", 400, Sender);
    InvalidBatchEntryId => ("AWS.SimpleQueueService.InvalidBatchEntryId", "com.amazonaws.sqs#InvalidBatchEntryId", 400, Sender);
    TooManyEntriesInBatchRequest => ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "com.amazonaws.sqs#TooManyEntriesInBatchRequest", 400, Sender);
    OverLimit => ("OverLimit", "com.amazonaws.sqs#OverLimit", 403, Sender);
    RequestThrottled => ("RequestThrottled", "com.amazonaws.sqs#RequestThrottled", 403, Sender);
    InvalidAddress => ("InvalidAddress", "com.amazonaws.sqs#InvalidAddress", 404, Sender);
    InvalidSecurity => ("InvalidSecurity", "com.amazonaws.sqs#InvalidSecurity", 403, Sender);
    ReceiptHandleIsInvalid => ("ReceiptHandleIsInvalid", "com.amazonaws.sqs#ReceiptHandleIsInvalid", 404, Sender);
    ResourceNotFound => ("ResourceNotFoundException", "com.amazonaws.sqs#ResourceNotFoundException", 404, Sender);
    InvalidAttributeName => ("InvalidAttributeName", "com.amazonaws.sqs#InvalidAttributeName", 400, Sender);
    InvalidAttributeValue => ("InvalidAttributeValue", "com.amazonaws.sqs#InvalidAttributeValue", 400, Sender);
    InvalidMessageContents => ("InvalidMessageContents", "com.amazonaws.sqs#InvalidMessageContents", 400, Sender);
    InvalidIdFormat => ("InvalidIdFormat", "com.amazonaws.sqs#InvalidIdFormat", 400, Sender);
    InvalidParameterValue => ("InvalidParameterValue", "com.amazon.coral.service#InvalidParameterValueException", 400, Sender);
    MissingParameter => ("MissingParameter", "com.amazon.coral.service#MissingRequiredParameterException", 400, Sender);
    AccessDenied => ("AccessDenied", "com.amazon.coral.service#AccessDeniedException", 403, Sender);
    InvalidAction => ("InvalidAction", "com.amazon.coral.service#InvalidActionException", 400, Sender);
    UnknownOperation => ("UnknownOperationException", "com.amazon.coral.service#UnknownOperationException", 400, Sender);
    MissingAction => ("UnknownOperationException", "com.amazon.coral.service#UnknownOperationException", 404, Sender);
    MalformedInput => ("MalformedQueryString", "com.amazon.coral.service#SerializationException", 400, Sender);
    RequestEntityTooLarge => ("RequestEntityTooLarge", "com.amazon.coral.service#RequestEntityTooLargeException", 413, Sender);
    InternalError => ("InternalError", "com.amazon.coral.service#InternalFailure", 500, Receiver);
    // Common errors of every AWS service (CommonErrors page): sqs-local never answers them of its
    // own accord, but the admin API's fault rules inject them. The JSON shape names are those of
    // AWS's coral front end; unverified for SQS.
    ThrottlingException => ("ThrottlingException", "com.amazon.coral.availability#ThrottlingException", 400, Sender);
    ServiceUnavailable => ("ServiceUnavailable", "com.amazon.coral.availability#ServiceUnavailableException", 503, Receiver);
    // Authentication errors (src/auth): codes and statuses from the CommonErrors page, except
    // SignatureDoesNotMatch, which is not listed there (403, as SQS answered in aws-sdk-php#642).
    // The JSON shape names are those AWS's JSON services use for these failures; unverified for
    // SQS, whose SDKs read the code from x-amzn-query-error.
    IncompleteSignature => ("IncompleteSignature", "com.amazon.coral.service#IncompleteSignatureException", 400, Sender);
    InvalidClientTokenId => ("InvalidClientTokenId", "com.amazon.coral.service#UnrecognizedClientException", 403, Sender);
    MissingAuthenticationToken => ("MissingAuthenticationToken", "com.amazon.coral.service#MissingAuthenticationTokenException", 403, Sender);
    SignatureDoesNotMatch => ("SignatureDoesNotMatch", "com.amazon.coral.service#InvalidSignatureException", 403, Sender);
    RequestExpired => ("RequestExpired", "com.amazon.coral.service#RequestExpired", 400, Sender);
}

impl ErrorCode {
    /// The row named by its Query code or its JSON shape name (with or without the namespace).
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|code| {
            let shape = code.json_type();
            code.query_code() == name || shape == name || shape.rsplit('#').next() == Some(name)
        })
    }
}

/// An SQS error: a row of the table plus AWS's message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
}

impl SqsError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        SqsError { code, message: message.into() }
    }

    /// `QueueDoesNotExist` with the JSON-protocol wording (the Query renderer substitutes the
    /// "for this wsdl version." wording AWS uses there).
    pub fn queue_does_not_exist() -> Self {
        Self::new(ErrorCode::QueueDoesNotExist, QUEUE_DOES_NOT_EXIST)
    }

    /// `MissingParameter`: "The request must contain the parameter X."
    pub fn missing(parameter: &str) -> Self {
        Self::new(ErrorCode::MissingParameter, format!("The request must contain the parameter {parameter}."))
    }

    /// `InvalidParameterValue` in AWS's usual "Value V for parameter P is invalid. Reason: R" form.
    pub fn invalid_value(value: impl fmt::Display, parameter: &str, reason: &str) -> Self {
        Self::new(
            ErrorCode::InvalidParameterValue,
            format!("Value {value} for parameter {parameter} is invalid. Reason: {reason}"),
        )
    }

    /// `InvalidParameterValue` with a free-form message.
    pub fn invalid_parameter(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, message)
    }

    /// `InvalidAttributeName` "Unknown Attribute X."
    pub fn unknown_attribute(name: &str) -> Self {
        Self::new(ErrorCode::InvalidAttributeName, format!("Unknown Attribute {name}."))
    }

    /// `InvalidAttributeValue` "Invalid value for the parameter X."
    pub fn invalid_attribute_value(name: &str) -> Self {
        Self::new(ErrorCode::InvalidAttributeValue, format!("Invalid value for the parameter {name}."))
    }

    pub fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InternalError, message)
    }
}

/// AWS's JSON-protocol text for a missing queue.
pub const QUEUE_DOES_NOT_EXIST: &str = "The specified queue does not exist.";
/// AWS's Query-protocol text for a missing queue.
pub const QUEUE_DOES_NOT_EXIST_QUERY: &str = "The specified queue does not exist for this wsdl version.";

impl fmt::Display for SqsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.query_code(), self.message)
    }
}

impl std::error::Error for SqsError {}

pub type SqsResult<T> = Result<T, SqsError>;
