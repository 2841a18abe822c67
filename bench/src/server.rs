//! The servers a scenario runs against: an sqs-local binary started as a child process (so RSS
//! figures are the server's alone), or a bare hyper server answering 200 (the HTTP ceiling).

use std::convert::Infallible;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;

/// Which server to start: a binary and the arguments it gets besides `--port`.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub label: String,
    pub binary: PathBuf,
    pub args: Vec<String>,
}

impl ServerSpec {
    /// The sqs-local binary next to this executable (as `cargo build --release` leaves it).
    pub fn default_binary() -> PathBuf {
        std::env::current_exe().expect("current exe").with_file_name("sqs-local")
    }
}

/// A running server; killed when dropped.
pub struct Server {
    pub addr: String,
    child: Option<Child>,
    /// From spawning to the first accepted connection.
    pub startup: Duration,
}

impl Server {
    /// Starts `spec` on a free port (or uses `url` when given) and waits until it accepts.
    pub fn start(spec: &ServerSpec, url: Option<&str>) -> Server {
        if let Some(url) = url {
            let addr = url.trim_start_matches("http://").trim_end_matches('/').into();
            return Server { addr, child: None, startup: Duration::ZERO };
        }
        let port = free_port();
        let mut command = Command::new(&spec.binary);
        command.args(["--port", &port.to_string(), "--purge-cooldown", "false", "--delete-cooldown", "false"]);
        command.args(&spec.args);
        Self::spawn(command, port)
    }

    /// The bare hyper server (this executable's hidden `serve-baseline` mode).
    pub fn baseline() -> Server {
        let port = free_port();
        let mut command = Command::new(std::env::current_exe().expect("current exe"));
        command.args(["serve-baseline", &port.to_string()]);
        Self::spawn(command, port)
    }

    fn spawn(mut command: Command, port: u16) -> Server {
        let started = Instant::now();
        let child = command.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().expect("start server");
        let addr = format!("127.0.0.1:{port}");
        for _ in 0..2000 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Server { addr, child: Some(child), startup: started.elapsed() }
    }

    /// Peak and current resident set size of the server process, in MiB.
    pub fn rss_mib(&self) -> Option<(f64, f64)> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
        };
        Some((field("VmHWM:")?, field("VmRSS:")?))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A hyper server that answers every request with `{}`.
pub async fn serve_baseline(port: u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        stream.set_nodelay(true).ok();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|_req| async {
                Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"{}"))))
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
