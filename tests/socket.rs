//! Robustness at the socket, against the real binary: a connection flood past the process's file
//! descriptor limit leaves the server idle while it lasts (accept errors back off instead of
//! spinning) and answering once it ends; a client that does not finish its request head is
//! disconnected; beyond the connection cap clients wait instead of being served; SIGTERM ends long
//! polls (empty answers) and the process at once.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The sqs-local binary, started with `args` under a file-descriptor limit of `nofile`.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(nofile: u32, args: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = format!("ulimit -n {nofile} && exec \"$0\" --port {port} \"$@\"");
        let child = Command::new("sh")
            .args(["-c", &script, env!("CARGO_BIN_EXE_sqs-local")])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        let server = Server { child, addr };
        assert!(server.healthy(Duration::from_secs(5)), "the server starts");
        server
    }

    /// Whether GET /health answers 200 within `within`.
    fn healthy(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect(&self.addr) {
                s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
                let _ = s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                let mut reply = Vec::new();
                let _ = s.read_to_end(&mut reply);
                if reply.starts_with(b"HTTP/1.1 200") {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// CPU time the server has used, in clock ticks (utime + stime from /proc).
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_flood_past_the_descriptor_limit_does_not_spin_and_the_server_recovers() {
    let server = Server::start(32, &[]);
    // Several times more connections than the server has descriptors (but fewer than the listen
    // backlog holds): once it runs out, accept fails.
    let addr: std::net::SocketAddr = server.addr.parse().unwrap();
    let flood: Vec<TcpStream> =
        (0..100).filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()).collect();
    assert!(flood.len() >= 80, "the kernel backlog takes the flood ({} connected)", flood.len());
    std::thread::sleep(Duration::from_millis(300));
    let before = server.cpu_ticks();
    std::thread::sleep(Duration::from_secs(1));
    let used = server.cpu_ticks() - before;
    // A loop retrying accept at once burns a whole core (about 100 ticks a second).
    assert!(used < 20, "the server used {used} ticks in one second of flood");
    drop(flood);
    assert!(server.healthy(Duration::from_secs(3)), "the server answers once the flood ends");
}

#[test]
fn a_client_that_never_finishes_its_request_head_is_disconnected() {
    let server = Server::start(1024, &["--header-read-timeout", "1"]);
    let mut slow = TcpStream::connect(&server.addr).unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost:").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut reply = Vec::new();
    let _ = slow.read_to_end(&mut reply);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(4), "closed after {waited:?}");
    assert!(!reply.starts_with(b"HTTP/1.1 200"), "no answer to an unfinished head");
    assert!(server.healthy(Duration::from_secs(1)));
}

#[test]
fn beyond_the_connection_cap_clients_wait_for_a_free_slot() {
    let server = Server::start(1024, &["--max-connections", "2"]);
    let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(&server.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut waiting = TcpStream::connect(&server.addr).unwrap();
    waiting.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    waiting.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut buf = [0u8; 16];
    assert!(waiting.read(&mut buf).is_err(), "not served while two connections are open");
    drop(held);
    waiting.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut reply = Vec::new();
    let _ = waiting.read_to_end(&mut reply);
    assert!(reply.starts_with(b"HTTP/1.1 200"), "served once a slot is free: {:?}", String::from_utf8_lossy(&reply));
}

/// A JSON 1.0 request on a fresh connection that asks to close.
fn json_request(addr: &str, action: &str, body: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: AmazonSQS.{action}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn exchange(addr: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(request).unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

#[test]
fn sigterm_ends_long_polls_and_the_process_within_a_second() {
    let mut server = Server::start(1024, &[]);
    let created = exchange(&server.addr, &json_request(&server.addr, "CreateQueue", r#"{"QueueName":"stop"}"#));
    assert!(created.starts_with("HTTP/1.1 200"), "{created}");
    let url = format!("http://{}/000000000000/stop", server.addr);
    let poll = json_request(&server.addr, "ReceiveMessage", &format!(r#"{{"QueueUrl":"{url}","WaitTimeSeconds":20}}"#));
    let addr = server.addr.clone();
    let poller = std::thread::spawn(move || exchange(&addr, &poll));
    let idle = TcpStream::connect(&server.addr).unwrap(); // an idle keep-alive connection
    std::thread::sleep(Duration::from_millis(300));
    let stopped = Instant::now();
    let status = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let reply = poller.join().unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "the long poll answers (empty) instead of being cut off: {reply}");
    assert!(!reply.contains("Messages"), "{reply}");
    loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            assert!(exit.success(), "a clean exit: {exit}");
            break;
        }
        assert!(stopped.elapsed() < Duration::from_secs(1), "still running {:?} after SIGTERM", stopped.elapsed());
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(idle);
}
