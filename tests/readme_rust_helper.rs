//! The Rust test helper README's "Test API" section shows, run as written: reset between tests
//! and fast-forward a visibility timeout instead of sleeping.

mod common;

// ---- README snippet starts ----
use aws_sdk_sqs::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// POSTs JSON to sqs-local's admin API (`http://host:port` + `/_admin/...`); any HTTP client does.
async fn admin(endpoint: &str, path: &str, body: &str) {
    let host = endpoint.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "POST /_admin{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}

async fn fresh_client(endpoint: &str) -> Client {
    admin(endpoint, "/reset", "").await;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "static"))
        .load()
        .await;
    Client::new(&config)
}

async fn redelivered_after_the_visibility_timeout(endpoint: &str) {
    let sqs = fresh_client(endpoint).await;
    let url = sqs.create_queue().queue_name("jobs").send().await.unwrap().queue_url.unwrap();
    sqs.send_message().queue_url(&url).message_body("work").send().await.unwrap();
    let first = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert_eq!(first.messages().len(), 1);
    admin(endpoint, "/clock/advance", r#"{"seconds": 30}"#).await; // the default VisibilityTimeout
    let again = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert_eq!(again.messages()[0].body(), Some("work"));
}
// ---- README snippet ends ----

#[tokio::test]
async fn the_readme_rust_helper_works_as_written() {
    let server = common::start_server().await;
    let started = std::time::Instant::now();
    redelivered_after_the_visibility_timeout(&server.url()).await;
    redelivered_after_the_visibility_timeout(&server.url()).await; // the reset made "jobs" new again
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "no sleeping");
}
