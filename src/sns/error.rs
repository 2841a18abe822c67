//! SNS errors: the wire codes and statuses of botocore's SNS model (`error` traits of each error
//! shape), and the message texts AWS answered, each where it is raised.

use std::borrow::Cow;

use crate::error::SqsError;

/// One SNS error: the `<Code>` clients dispatch on, its HTTP status and AWS's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsError {
    pub code: &'static str,
    pub status: u16,
    pub message: Cow<'static, str>,
}

pub type SnsResult<T> = Result<T, SnsError>;

impl SnsError {
    pub fn new(code: &'static str, status: u16, message: impl Into<Cow<'static, str>>) -> Self {
        SnsError { code, status, message: message.into() }
    }

    /// `InvalidParameter`, 400: nearly every validation error ("Invalid parameter: ...").
    pub fn invalid_parameter(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new("InvalidParameter", 400, message)
    }

    /// "Invalid parameter: <name>".
    pub fn invalid(name: &str) -> Self {
        Self::invalid_parameter(format!("Invalid parameter: {name}"))
    }

    /// "Invalid parameter: <name> Reason: <reason>".
    pub fn invalid_because(name: &str, reason: impl std::fmt::Display) -> Self {
        Self::invalid_parameter(format!("Invalid parameter: {name} Reason: {reason}"))
    }

    /// `ParameterValueInvalid`, 400 (the InvalidParameterValueException shape): message
    /// attribute errors.
    pub fn value_invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new("ParameterValueInvalid", 400, message)
    }

    /// `NotFound`, 404.
    pub fn not_found(message: &'static str) -> Self {
        Self::new("NotFound", 404, message)
    }

    pub fn topic_not_found() -> Self {
        Self::not_found("Topic does not exist")
    }

    pub fn subscription_not_found() -> Self {
        Self::not_found("Subscription does not exist")
    }

    /// A required member left out: the unmodeled `ValidationError` AWS answers for nulls
    /// (recorded: test_empty_or_wrong_message_attributes).
    pub fn missing(member: &str) -> Self {
        let mut camel = member.to_string();
        if let Some(first) = camel.get_mut(..1) {
            first.make_ascii_lowercase();
        }
        Self::new(
            "ValidationError",
            400,
            format!("1 validation error detected: Value null at '{camel}' failed to satisfy constraint: Member must not be null"),
        )
    }

    pub fn authorization(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new("AuthorizationError", 403, message)
    }

    pub fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new("InternalError", 500, message)
    }

    /// `Sender` for client errors, `Receiver` for server errors (the model's senderFault).
    pub fn fault(&self) -> &'static str {
        if self.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

/// Errors from the shared layers (signature checks, the engine) keep their code and status.
impl From<SqsError> for SnsError {
    fn from(error: SqsError) -> Self {
        SnsError { code: error.code.query_code(), status: error.code.status(), message: error.message }
    }
}
