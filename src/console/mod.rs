//! The web console at `/console`: one HTML page (markup, style and script in `console.html`),
//! embedded in the binary at build time, so nothing is fetched at run time and building needs no
//! Node. It talks to the SQS JSON API and the admin API on the same port, like any client.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};

use crate::sqs::protocol::HttpResponse;

const PAGE: &str = include_str!("console.html");

/// The path of the console.
pub const PATH: &str = "/console";

/// `GET /console`: the page.
pub fn page() -> HttpResponse {
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(PAGE.as_bytes())));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
