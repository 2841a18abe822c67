//! SigV4 parsing and verification: the input's first line is the `Authorization` header, the
//! second the query string, the rest the body; verification against a configured credential
//! answers Ok or an SQS error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sqs_local::auth::{self, sigv4, Credential, Credentials, SignedRequest};
use sqs_local::engine::Namespace;

fuzz_target!(|data: &[u8]| {
    let mut lines = data.splitn(3, |b| *b == b'\n');
    let header = lines.next().unwrap_or_default();
    let query = lines.next().unwrap_or_default();
    let body = lines.next().unwrap_or_default();
    if let Ok(text) = std::str::from_utf8(header) {
        let _ = sigv4::parse_authorization(text);
        let _ = sigv4::Scope::parse(text);
    }
    let mut request =
        hyper::Request::builder().method("POST").header("host", "localhost").header("x-amz-date", "20260101T000000Z");
    if let Ok(value) = hyper::header::HeaderValue::from_bytes(header) {
        request = request.header("authorization", value);
    }
    let uri = format!("/?{}", String::from_utf8_lossy(query));
    let Ok(request) = request.uri(uri).body(()) else { return };
    let (parts, ()) = request.into_parts();
    let credentials = Credentials::new([Credential::parse("AKID:secret:123456789012").expect("a credential")]);
    let default = Namespace::new("000000000000", "us-east-1");
    for store in [&credentials, &Credentials::default()] {
        let _ = auth::authenticate(
            store,
            Some("token"),
            default,
            "sqs",
            &SignedRequest { parts: &parts, body },
            1_767_225_600,
        );
    }
});
