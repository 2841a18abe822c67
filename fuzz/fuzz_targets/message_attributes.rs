//! Message attributes: any JSON map of wire attribute values is validated, sized and digested
//! (MD5OfMessageAttributes) without a panic, and a valid set's digest is stable.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sqs_local::sqs::api::message_attributes::{self, WireAttributeValue};

fuzz_target!(|data: &[u8]| {
    let Ok(wire) = serde_json::from_slice::<BTreeMap<String, WireAttributeValue>>(data) else { return };
    let body = std::str::from_utf8(data).ok();
    let _ = message_attributes::message_size(body, &wire);
    if let Ok(parsed) = message_attributes::parse_attributes(&wire) {
        let digest = |p: &sqs_local::engine::message::MessageAttributes| {
            message_attributes::md5_of_attributes(p.iter().map(|(k, v)| (k.as_str(), v)))
        };
        assert_eq!(digest(&parsed), digest(&parsed));
    }
    if let Some(text) = body {
        let _ = message_attributes::md5_hex(text);
        let _ = message_attributes::valid_message_chars(text);
    }
});
