//! The JSON 1.0 decoder: the first line of the input names the action (`X-Amz-Target`), the rest
//! is the body; every input decodes to a request or an SQS error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sqs_local::sqs::protocol::{self, Incoming, Protocol};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(0);
    let action = std::str::from_utf8(&data[..split]).unwrap_or("SendMessage");
    let target = format!("AmazonSQS.{action}");
    let incoming = Incoming {
        path: "/",
        query: None,
        content_type: Some("application/x-amz-json-1.0"),
        target: Some(&target),
        host: Some("localhost"),
        body: &data[(split + 1).min(data.len())..],
    };
    let mut protocol = Protocol::Json;
    let _ = protocol::decode(&mut protocol, &incoming);
});
