//! The AWS Query decoder: any bytes as a form body (and as a query string) for any action decode
//! to a request or an SQS error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sqs_local::sqs::protocol::{self, Incoming, Protocol};

fuzz_target!(|data: &[u8]| {
    let query = std::str::from_utf8(data).ok();
    for (body, query) in [(data, None), (&b""[..], query)] {
        let incoming = Incoming {
            path: "/000000000000/q",
            query,
            content_type: Some("application/x-www-form-urlencoded"),
            target: None,
            host: Some("localhost"),
            body,
        };
        let mut protocol = Protocol::Query;
        let _ = protocol::decode(&mut protocol, &incoming);
    }
});
