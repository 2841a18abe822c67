//! Message attributes on the wire: decoding and validation, the MD5 digest SQS returns, and the
//! selection a receive asks for. Rules from
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html>.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::engine::limits;
use crate::engine::message::{AttributePayload, AttributeValue, MessageAttributes};
use crate::error::{SqsError, SqsResult};
use crate::hex::lower_hex;

/// A message attribute value as both protocols carry it (`BinaryValue` in base64).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WireAttributeValue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<String>,
    #[serde(default, skip_serializing)]
    pub string_list_values: Option<Vec<String>>,
    #[serde(default, skip_serializing)]
    pub binary_list_values: Option<Vec<String>>,
    pub data_type: Option<String>,
}

impl WireAttributeValue {
    pub fn from_value(value: &AttributeValue) -> Self {
        let (string_value, binary_value) = match &value.payload {
            AttributePayload::String(s) => (Some(s.clone()), None),
            AttributePayload::Binary(b) => (None, Some(BASE64.encode(b))),
        };
        WireAttributeValue {
            string_value,
            binary_value,
            string_list_values: None,
            binary_list_values: None,
            data_type: Some(value.data_type.clone()),
        }
    }
}

/// Whether every character is one SQS accepts in a body or string value:
/// `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`.
pub fn valid_message_chars(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
    })
}

fn validate_name(name: &str) -> SqsResult<()> {
    let lower = name.to_ascii_lowercase();
    let chars_ok = name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
    if name.is_empty() || name.chars().count() > 256 || !chars_ok {
        return Err(SqsError::invalid_parameter(format!(
            "Message (user) attribute name '{name}' is invalid. Can only include alphanumeric characters, hyphens, underscores, or dots."
        )));
    }
    if lower.starts_with("aws.") || lower.starts_with("amazon.") {
        return Err(SqsError::invalid_parameter(format!(
            "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for internal use. Attribute name(s): {name}"
        )));
    }
    if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        return Err(SqsError::invalid_parameter(format!(
            "Message (user) attribute name '{name}' cannot start or end with a period or contain consecutive periods."
        )));
    }
    Ok(())
}

/// The base type of a data type (`Number.float` -> `Number`), if it is one SQS supports.
fn base_type(data_type: &str) -> Option<&'static str> {
    let base = data_type.split('.').next().unwrap_or("");
    ["String", "Number", "Binary"].into_iter().find(|t| *t == base)
}

/// Numbers: up to 38 significant digits, between -10^128 and 10^126.
fn valid_number(text: &str) -> bool {
    let t = text.trim();
    let parsed: Result<f64, _> = t.parse();
    let digits = t.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    matches!(parsed, Ok(v) if v.is_finite() && v > -1e128 && v < 1e126)
        && significant <= 38
        && !t.eq_ignore_ascii_case("nan")
        && !t.to_ascii_lowercase().contains("inf")
}

/// Validates wire attributes and converts them to engine attributes, sorted by name.
pub fn parse_attributes(wire: &BTreeMap<String, WireAttributeValue>) -> SqsResult<MessageAttributes> {
    if wire.len() > limits::MAX_MESSAGE_ATTRIBUTES {
        return Err(SqsError::invalid_parameter(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{}].",
            wire.len(),
            limits::MAX_MESSAGE_ATTRIBUTES
        )));
    }
    let mut out = Vec::with_capacity(wire.len());
    for (name, value) in wire {
        validate_name(name)?;
        out.push((name.clone(), parse_value(name, value, "user")?));
    }
    Ok(out)
}

/// Validates one attribute value; `kind` is "user" or "system" for the error texts.
pub fn parse_value(name: &str, value: &WireAttributeValue, kind: &str) -> SqsResult<AttributeValue> {
    let data_type = value.data_type.clone().filter(|t| !t.is_empty()).ok_or_else(|| {
        SqsError::invalid_parameter(format!(
            "The message attribute '{name}' must contain non-empty message attribute type."
        ))
    })?;
    if data_type.chars().count() > 256 {
        return Err(SqsError::invalid_parameter(format!(
            "The message ({kind}) attribute '{name}' has an invalid data type."
        )));
    }
    let base = base_type(&data_type).ok_or_else(|| {
        SqsError::invalid_parameter(format!(
            "The type of message ({kind}) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
        ))
    })?;
    if value.string_list_values.as_ref().is_some_and(|v| !v.is_empty())
        || value.binary_list_values.as_ref().is_some_and(|v| !v.is_empty())
    {
        return Err(SqsError::invalid_parameter(format!(
            "Message ({kind}) attribute '{name}' uses list values, which are not supported."
        )));
    }
    let empty = || {
        SqsError::invalid_parameter(format!(
            "Message ({kind}) attribute '{name}' must contain a non-empty value of type '{base}'."
        ))
    };
    let payload = if base == "Binary" {
        let encoded = value.binary_value.as_deref().filter(|v| !v.is_empty()).ok_or_else(empty)?;
        let bytes = BASE64.decode(encoded.as_bytes()).map_err(|_| {
            SqsError::invalid_parameter(format!("Message ({kind}) attribute '{name}' has an invalid binary value."))
        })?;
        if bytes.is_empty() {
            return Err(empty());
        }
        AttributePayload::Binary(bytes)
    } else {
        let text = value.string_value.as_deref().filter(|v| !v.is_empty()).ok_or_else(empty)?;
        if !valid_message_chars(text) {
            return Err(SqsError::invalid_parameter(format!(
                "Message ({kind}) attribute '{name}' contains invalid characters."
            )));
        }
        if base == "Number" && !valid_number(text) {
            return Err(SqsError::invalid_parameter(format!(
                "Can't cast the value of message ({kind}) attribute '{name}' to a number."
            )));
        }
        AttributePayload::String(text.to_string())
    };
    Ok(AttributeValue { data_type, payload })
}

/// The size SQS counts a message as, for MaximumMessageSize and for a batch's total: the UTF-8
/// bytes of the body plus every attribute's name, data type and value (a binary value by its
/// decoded bytes). "All components of a message attribute are included in the 1 MiB message size
/// restriction" (SQS developer guide, message metadata).
pub fn message_size(body: Option<&str>, attributes: &BTreeMap<String, WireAttributeValue>) -> usize {
    let value_size = |v: &WireAttributeValue| {
        let string = v.string_value.as_ref().map_or(0, String::len);
        let binary = v.binary_value.as_ref().map_or(0, |b| b.trim_end_matches('=').len() * 3 / 4);
        v.data_type.as_ref().map_or(0, String::len) + string + binary
    };
    body.map_or(0, str::len) + attributes.iter().map(|(name, v)| name.len() + value_size(v)).sum::<usize>()
}

/// MD5OfMessageAttributes: over the attributes sorted by name, each as length-prefixed name,
/// length-prefixed data type, a transport byte (1 string, 2 binary) and the length-prefixed value.
pub fn md5_of_attributes<'a>(attributes: impl IntoIterator<Item = (&'a str, &'a AttributeValue)>) -> String {
    let mut sorted: Vec<_> = attributes.into_iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut buf = Vec::new();
    let put = |bytes: &[u8], buf: &mut Vec<u8>| {
        buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        buf.extend_from_slice(bytes);
    };
    for (name, value) in sorted {
        put(name.as_bytes(), &mut buf);
        put(value.data_type.as_bytes(), &mut buf);
        match &value.payload {
            AttributePayload::String(s) => {
                buf.push(1);
                put(s.as_bytes(), &mut buf);
            }
            AttributePayload::Binary(b) => {
                buf.push(2);
                put(b, &mut buf);
            }
        }
    }
    lower_hex(&md5::compute(&buf).0)
}

/// Lower-case hex MD5 of a body's UTF-8 bytes.
pub fn md5_hex(text: &str) -> String {
    lower_hex(&md5::compute(text.as_bytes()).0)
}

/// Which message attributes a receive returns: `All`, `.*` and `*` mean every attribute,
/// `prefix.*` those whose names start with `prefix.`, anything else an exact name.
pub fn select<'a>(attributes: &'a Arc<MessageAttributes>, names: &[String]) -> Vec<(&'a str, &'a AttributeValue)> {
    attributes
        .iter()
        .filter(|(name, _)| names.iter().any(|wanted| attribute_matches(wanted, name)))
        .map(|(n, v)| (n.as_str(), v))
        .collect()
}

fn attribute_matches(wanted: &str, name: &str) -> bool {
    if wanted.eq_ignore_ascii_case("all") || wanted == ".*" || wanted == "*" {
        return true;
    }
    match wanted.strip_suffix(".*") {
        Some(prefix) => name.starts_with(prefix),
        None => wanted == name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(data_type: &str, v: &str) -> AttributeValue {
        AttributeValue { data_type: data_type.into(), payload: AttributePayload::String(v.into()) }
    }

    /// Digests AWS returned (recorded responses, see shared/sqs-reference.md §9).
    #[test]
    fn md5_matches_aws_vectors() {
        let blob = AttributeValue { data_type: "Binary".into(), payload: AttributePayload::Binary(vec![1, 2, 3]) };
        let city = s("String", "Any City");
        let count = s("Number", "42");
        assert_eq!(
            md5_of_attributes([("City", &city), ("Count", &count), ("Blob", &blob)]),
            "2ec18b46869cf965d63dcd13cef6697d"
        );
        let (g, h, m) = (s("String", "Kenobi"), s("String", "There"), s("String", "Me"));
        assert_eq!(
            md5_of_attributes([("General", &g), ("Hello", &h), ("Help.Me", &m)]),
            "4c360f3fdafd970e05fae2f149d997f5"
        );
        assert_eq!(md5_of_attributes([("Hello", &h)]), "a311262e065454b75da111d535b8dacd");
        let ts = s("Number", "1493147359900");
        assert_eq!(md5_of_attributes([("timestamp", &ts)]), "235c5c510d26fb653d073faed50ae77c");
        let trace = s("String", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
        assert_eq!(md5_of_attributes([("AWSTraceHeader", &trace)]), "5ae4d5d7636402d80f4eb6d213245a88");
        assert_eq!(md5_hex("msg"), "6e2baaf3b97dbeef01c0043275f9a0e7");
    }

    #[test]
    fn selection_follows_aws() {
        let attrs: Arc<MessageAttributes> = Arc::new(vec![
            ("General".into(), s("String", "Kenobi")),
            ("Hello".into(), s("String", "There")),
            ("Help.Me".into(), s("String", "Me")),
        ]);
        let names = |sel: &[&str]| -> Vec<String> {
            let sel: Vec<String> = sel.iter().map(|s| s.to_string()).collect();
            select(&attrs, &sel).into_iter().map(|(n, _)| n.to_string()).collect()
        };
        assert_eq!(names(&["All"]).len(), 3);
        assert_eq!(names(&[".*"]).len(), 3);
        assert_eq!(names(&["Hel.*"]), vec!["Hello", "Help.Me"]);
        assert_eq!(names(&["Hello"]), vec!["Hello"]);
        assert!(names(&["Nope", "AWS.x"]).is_empty());
    }

    #[test]
    fn validation_rejects_what_aws_rejects() {
        let mut wire = BTreeMap::new();
        wire.insert(
            "ErrorDetails".to_string(),
            WireAttributeValue {
                data_type: Some("String".into()),
                string_value: Some(String::new()),
                ..Default::default()
            },
        );
        let err = parse_attributes(&wire).unwrap_err();
        assert_eq!(
            err.message,
            "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
        );
        for bad in ["AWS.x", "amazon.y", ".a", "a.", "a..b", "sp ace"] {
            let mut wire = BTreeMap::new();
            wire.insert(
                bad.to_string(),
                WireAttributeValue {
                    data_type: Some("String".into()),
                    string_value: Some("v".into()),
                    ..Default::default()
                },
            );
            assert!(parse_attributes(&wire).is_err(), "{bad}");
        }
        assert!(valid_number("42") && valid_number("-1.5e10") && !valid_number("abc") && !valid_number("1e200"));
    }
}
