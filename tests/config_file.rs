//! The TOML config file: queues with dead-letter queues by name in any order, redrive-allow
//! policies and tags; cycles refused; errors naming file, line and field; an existing queue brought
//! to what the file says; precedence flags > environment > file > defaults; a bad file refused at
//! start by the binary.

use std::sync::Arc;

use sqs_local::config::Config;
use sqs_local::config_file;
use sqs_local::engine::clock::TokioClock;
use sqs_local::engine::{Engine, EngineSettings, Namespace, QueueId};
use sqs_local::predefined::create_all;
use sqs_local::sqs::api::RequestContext;

const EXAMPLE: &str = r#"
purge_cooldown = false

[queues."orders.fifo"]
attributes = { FifoQueue = true, ContentBasedDeduplication = true, VisibilityTimeout = 60 }
dead_letter_queue = "orders-dlq.fifo"
max_receive_count = 3
tags = { team = "checkout" }

[queues."orders-dlq.fifo"]
attributes = { FifoQueue = "true", MessageRetentionPeriod = 1209600 }
redrive_allow = ["orders.fifo"]

[queues.jobs]
"#;

fn ns() -> Namespace {
    RequestContext::default().namespace
}

fn engine() -> Engine {
    Engine::in_memory(Arc::new(TokioClock::new()), EngineSettings::default())
}

fn id(name: &str) -> QueueId {
    QueueId::new(ns(), name)
}

#[tokio::test]
async fn queues_with_dead_letter_queues_by_name_in_any_order() {
    let file = config_file::parse("sqs.toml", EXAMPLE).unwrap();
    assert_eq!(file.settings.purge_cooldown, Some(false));
    let e = engine();
    assert_eq!(create_all(&e, ns(), &file.queues).await, Ok(3));
    let orders = e.queue(&id("orders.fifo")).await.unwrap();
    let config = orders.config();
    assert!(orders.is_fifo());
    assert_eq!(config.visibility_timeout, 60);
    assert!(config.fifo.as_ref().unwrap().content_based_dedup);
    let redrive = config.redrive_policy.as_ref().unwrap();
    assert_eq!(redrive.dead_letter_target_arn, "arn:aws:sqs:us-east-1:000000000000:orders-dlq.fifo");
    assert_eq!(redrive.max_receive_count, 3);
    assert_eq!(orders.settings.tags.get("team").map(String::as_str), Some("checkout"));
    let dlq = e.queue(&id("orders-dlq.fifo")).await.unwrap();
    assert_eq!(dlq.config().retention_seconds, 1_209_600);
    let allow: serde_json::Value = serde_json::from_str(dlq.config().redrive_allow_policy.as_deref().unwrap()).unwrap();
    assert_eq!(
        allow,
        serde_json::json!({"redrivePermission": "byQueue",
                           "sourceQueueArns": ["arn:aws:sqs:us-east-1:000000000000:orders.fifo"]})
    );
    assert!(e.queue(&id("jobs")).await.is_ok());
}

#[tokio::test]
async fn an_existing_queue_is_brought_to_what_the_file_says() {
    let e = engine();
    create_all(&e, ns(), &config_file::parse("a.toml", EXAMPLE).unwrap().queues).await.unwrap();
    // What the file does not name stays as it was changed meanwhile.
    e.modify_queue(&id("jobs"), true, |s| {
        s.config.delay_seconds = 5;
        Ok(())
    })
    .await
    .unwrap();
    let changed = EXAMPLE
        .replace("VisibilityTimeout = 60", "VisibilityTimeout = 90")
        .replace("[queues.jobs]", "[queues.jobs]\nattributes = { MaximumMessageSize = 2048 }\ntags = { env = \"ci\" }");
    assert_eq!(create_all(&e, ns(), &config_file::parse("a.toml", &changed).unwrap().queues).await, Ok(3));
    assert_eq!(e.queue(&id("orders.fifo")).await.unwrap().config().visibility_timeout, 90);
    let jobs = e.queue(&id("jobs")).await.unwrap();
    assert_eq!(jobs.config().maximum_message_size, 2048);
    assert_eq!(jobs.config().delay_seconds, 5, "attributes the file does not name are left alone");
    assert_eq!(jobs.settings.tags.get("env").map(String::as_str), Some("ci"));
}

#[tokio::test]
async fn a_cycle_of_dead_letter_queues_is_refused() {
    let text = r#"
[queues.a]
dead_letter_queue = "b"
max_receive_count = 1

[queues.b]
dead_letter_queue = "a"
max_receive_count = 1
"#;
    let file = config_file::parse("cycle.toml", text).unwrap();
    let err = create_all(&engine(), ns(), &file.queues).await.unwrap_err();
    assert!(err.contains("cycle.toml:2") && err.contains("cycle (a -> b -> a)"), "{err}");
}

/// The error for `text`, parsed or created.
async fn error_of(text: &str) -> String {
    match config_file::parse("bad.toml", text) {
        Err(e) => e,
        Ok(file) => create_all(&engine(), ns(), &file.queues).await.unwrap_err(),
    }
}

#[tokio::test]
async fn errors_name_the_file_the_line_and_the_field() {
    let cases = [
        ("host = \"0.0.0.0\"\nprot = 9324\n", "bad.toml:2: prot: unknown field `prot`"),
        ("port = \"ninety\"\n", "bad.toml:1: port: invalid type: string \"ninety\", expected u16"),
        ("port = 99999\n", "bad.toml:1: port: "),
        (
            "[queues.x]\nattributes = { VisibilityTimeout = [1] }\n",
            "bad.toml:2: queues.\"x\".attributes.VisibilityTimeout: must be",
        ),
        (
            "[queues.x]\n\nattributes = { VisibilityTimeout = 99999 }\n",
            "bad.toml:1: queue x: Invalid value for the parameter VisibilityTimeout.",
        ),
        (
            "[queues.x]\ndead_letter_queue = \"y\"\n",
            "bad.toml:2: queues.\"x\".dead_letter_queue: needs max_receive_count",
        ),
        ("[queues.x]\nredrive_allow = \"everyone\"\n", "bad.toml:2: queues.\"x\".redrive_allow: must be"),
        ("[queues.x]\ncolour = \"red\"\n", "bad.toml:2: colour: unknown field `colour`"),
        ("[queues.\"bad name\"]\n", "bad.toml:1: queue bad name: "),
        ("port = \n", "bad.toml:1: "),
    ];
    for (text, expected) in cases {
        let err = error_of(text).await;
        assert!(err.starts_with(expected), "{text:?}:\n  got      {err}\n  expected {expected}...");
    }
}

#[test]
fn flags_win_over_the_environment_which_wins_over_the_file_which_wins_over_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sqs.toml");
    std::fs::write(&path, "port = 1111\nregion = \"eu-west-1\"\naccount_id = \"123456789012\"\n").unwrap();
    let path = path.to_str().unwrap();
    // This test binary's only test that touches the environment.
    std::env::set_var("SQS_LOCAL_REGION", "ap-south-1");
    let config = Config::load_from(["sqs-local", "--config", path, "--account-id", "999999999999"]).unwrap();
    std::env::remove_var("SQS_LOCAL_REGION");
    assert_eq!(config.account_id, "999999999999", "a flag wins over the file");
    assert_eq!(config.region, "ap-south-1", "the environment wins over the file");
    assert_eq!(config.port, 1111, "the file wins over the default");
    assert_eq!(config.host, "127.0.0.1", "the default where nobody says");
    let err = Config::load_from(["sqs-local", "--config", "/nonexistent/sqs.toml"]).unwrap_err();
    assert!(err.contains("/nonexistent/sqs.toml"), "{err}");
}

#[test]
fn the_binary_refuses_a_bad_config_file_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sqs.toml");
    std::fs::write(&path, "port = 0\n\n[queues.jobs]\nattributes = { DelaySeconds = 901 }\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sqs-local")).arg("--config").arg(&path).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected =
        format!("sqs-local: {}:3: queue jobs: Invalid value for the parameter DelaySeconds.", path.display());
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn credentials_and_the_admin_token_come_from_the_file_and_bad_ones_stop_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sqs.toml");
    std::fs::write(&path, "credentials = [\"AK:SECRET:123456789012\", \"K2:S2\"]\nadmin_token = \"t\"\n").unwrap();
    let config = Config::load_from(["sqs-local", "--config", path.to_str().unwrap()]).unwrap();
    assert_eq!(config.credentials, vec!["AK:SECRET:123456789012", "K2:S2"]);
    assert_eq!(config.admin_token.as_deref(), Some("t"));
    assert!(config.credential_store().unwrap().enabled());

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sqs-local"))
        .args(["--port", "0", "--credential", "AK:SECRET:12"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("account id \"12\" is not 12 digits"), "{stderr}");
}

/// Readiness: the first `/health` that answers 200 finds every queue of the config file created,
/// however long creating them takes (orchestrators gate on it).
#[test]
fn health_answers_only_once_the_config_files_queues_exist() {
    use std::io::{Read, Write};
    const QUEUES: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sqs.toml");
    let queues: String = (0..QUEUES).map(|i| format!("[queues.q{i}]\ntags = {{ n = \"{i}\" }}\n")).collect();
    std::fs::write(&path, queues).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sqs-local"))
        .args(["--port", &port.to_string(), "--config"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let exchange = |request: String| -> Option<String> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream.write_all(request.as_bytes()).ok()?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).ok()?;
        Some(reply)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let health = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_string();
    while !exchange(health.clone()).is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
        assert!(std::time::Instant::now() < deadline, "never healthy");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let last = format!("q{}", QUEUES - 1);
    let body = format!(r#"{{"QueueNamePrefix": "{last}"}}"#);
    let list = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let reply = exchange(list).expect("ListQueues");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(reply.contains(&format!("/{last}\"")), "the last queue was missing when /health first said ok: {reply}");
}

/// The database URL comes from the file as any setting does; a data directory with a database is
/// refused at start, and an unreadable URL stops the binary without echoing its password.
#[test]
fn the_database_url_comes_from_the_file_and_conflicts_stop_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sqs.toml");
    std::fs::write(&path, "database_url = \"postgres://u:pw@db/sqs\"\ndatabase_pool_size = 4\n").unwrap();
    let config = Config::load_from(["sqs-local", "--config", path.to_str().unwrap()]).unwrap();
    assert_eq!(config.database_url.as_deref(), Some("postgres://u:pw@db/sqs"));
    assert_eq!(config.database().map(|d| d.pool_size), Some(4));

    let bin = env!("CARGO_BIN_EXE_sqs-local");
    let data = dir.path().join("data");
    let out = std::process::Command::new(bin)
        .args(["--port", "0", "--database-url", "postgres://u@db/sqs", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--data-dir and --database-url cannot be used together"), "{stderr}");
    assert!(!data.exists(), "nothing was written");

    let out = std::process::Command::new(bin)
        .args(["--port", "0", "--database-url", "postgres://u:hunter2@db:notaport/sqs"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the database URL cannot be read"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
