//! SNS's XML: `<{Action}Response xmlns=...><{Action}Result>...</{Action}Result><ResponseMetadata>`
//! (a Result element for every action whose output has a `resultWrapper` in the model, empty ones
//! included: botocore fails on `TagResource` without `<TagResourceResult/>`), and the
//! `ErrorResponse` document, which has no `<Detail/>` (unlike SQS's).

use std::fmt::Write as _;

use super::error::SnsError;
pub use crate::sqs::protocol::query_xml::{element, optional, text};

const NAMESPACE: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// The inner XML of a result, built element by element.
#[derive(Debug, Default)]
pub struct Result {
    pub xml: String,
}

impl Result {
    pub fn element(&mut self, tag: &str, value: &str) -> &mut Self {
        element(&mut self.xml, tag, value);
        self
    }

    pub fn optional(&mut self, tag: &str, value: Option<&str>) -> &mut Self {
        optional(&mut self.xml, tag, value);
        self
    }

    pub fn open(&mut self, tag: &str) -> &mut Self {
        let _ = write!(self.xml, "<{tag}>");
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        let _ = write!(self.xml, "</{tag}>");
        self
    }

    /// `<tag><entry><key/><value/></entry>...</tag>`.
    pub fn map<'a>(&mut self, tag: &str, entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> &mut Self {
        self.open(tag);
        for (key, value) in entries {
            self.open("entry").element("key", key).element("value", value).close("entry");
        }
        self.close(tag)
    }
}

/// What an action answers: a result element (possibly empty), or only the metadata.
pub enum Body {
    Result(Result),
    NoResult,
}

pub fn response(action: &str, body: &Body, request_id: &str) -> String {
    let mut out = String::with_capacity(256);
    let _ = write!(out, "<{action}Response xmlns=\"{NAMESPACE}\">");
    if let Body::Result(result) = body {
        if result.xml.is_empty() {
            let _ = write!(out, "<{action}Result/>");
        } else {
            let _ = write!(out, "<{action}Result>{}</{action}Result>", result.xml);
        }
    }
    let _ = write!(out, "<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>");
    out
}

pub fn error(error: &SnsError, request_id: &str) -> String {
    let mut out = String::with_capacity(256);
    let _ = write!(out, "<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>{}</Type>", error.fault());
    element(&mut out, "Code", error.code);
    element(&mut out, "Message", &error.message);
    let _ = write!(out, "</Error><RequestId>{request_id}</RequestId></ErrorResponse>");
    out
}
