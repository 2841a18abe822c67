//! Test helpers: a server on 127.0.0.1:0 and a minimal HTTP/1.1 client that can send anything,
//! including malformed requests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use sqs_local::config::Config;
use sqs_local::engine::clock::TokioClock;
use sqs_local::engine::Engine;
use sqs_local::http::service::AppState;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct TestServer {
    pub addr: String,
    pub engine: Engine,
}

impl TestServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn queue_url(&self, name: &str) -> String {
        format!("http://{}/000000000000/{}", self.addr, name)
    }
}

/// Starts a server with AWS's 60-second rules off (tests recreate and purge back to back).
pub async fn start_server() -> TestServer {
    let mut config = Config::defaults();
    config.purge_cooldown = false;
    config.delete_cooldown = false;
    start_server_with(config).await
}

pub async fn start_server_with(mut config: Config) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    config.port = addr.port();
    let engine = Engine::in_memory(Arc::new(TokioClock::new()), config.engine_settings());
    let state = Arc::new(AppState::new(engine.clone(), config));
    tokio::spawn(sqs_local::http::server::run(listener, state, std::future::pending()));
    TestServer { addr: addr.to_string(), engine }
}

#[derive(Debug)]
pub struct HttpReply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl HttpReply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// The legacy code of a JSON error, from `x-amzn-query-error` (empty when absent).
    pub fn query_error_code(&self) -> String {
        self.header("x-amzn-query-error").unwrap_or("").split(';').next().unwrap_or("").to_string()
    }

    pub fn request_id(&self) -> &str {
        self.header("x-amzn-requestid").expect("every response carries x-amzn-RequestId")
    }

    /// The body with the request id replaced by REQUEST-ID, for golden comparisons.
    pub fn normalized(&self) -> String {
        self.text().replace(self.request_id(), "REQUEST-ID")
    }
}

/// Sends raw bytes (a whole HTTP request) and reads the reply (the request must ask to close).
pub async fn send_raw(addr: &str, request: &[u8]) -> HttpReply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    parse_reply(&buf)
}

fn parse_reply(buf: &[u8]) -> HttpReply {
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("complete HTTP head");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = buf[split + 4..].to_vec();
    if headers.get("transfer-encoding").is_some_and(|t| t == "chunked") {
        body = dechunk(&body);
    }
    HttpReply { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// A POST with the given headers and body.
pub async fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpReply {
    let mut request =
        format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    send_raw(addr, &bytes).await
}

/// A JSON 1.0 request.
pub async fn json(server: &TestServer, action: &str, body: Value) -> HttpReply {
    let target = format!("AmazonSQS.{action}");
    post(
        &server.addr,
        "/",
        &[("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", &target)],
        body.to_string().as_bytes(),
    )
    .await
}

/// A Query request posted to `/`.
pub async fn query(server: &TestServer, params: &[(&str, &str)]) -> HttpReply {
    query_at(server, "/", params).await
}

/// A Query request posted to `path`.
pub async fn query_at(server: &TestServer, path: &str, params: &[(&str, &str)]) -> HttpReply {
    let body = serde_urlencoded::to_string(params).unwrap();
    post(&server.addr, path, &[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body.as_bytes())
        .await
}

/// Creates a queue through JSON and returns its URL.
pub async fn create_queue(server: &TestServer, name: &str, attributes: Value) -> String {
    let reply = json(server, "CreateQueue", serde_json::json!({"QueueName": name, "Attributes": attributes})).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["QueueUrl"].as_str().unwrap().to_string()
}

/// The text between `<tag>` and `</tag>` (first occurrence).
pub fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_string())
}
