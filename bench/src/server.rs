//! The servers a scenario runs against: an sqs-local binary started as a child process (so RSS
//! figures are the server's alone), or a bare hyper server answering 200 (the HTTP ceiling).

use std::convert::Infallible;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// Durable mode: each start gets a fresh data directory under this one (`--data-dir`),
    /// removed when the server is dropped, so no run sees another's messages.
    pub data_root: Option<PathBuf>,
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
    /// How it was started, for [`Server::restart`].
    command: Option<(ServerSpec, u16)>,
    /// The fresh data directory of a durable server.
    data_dir: Option<PathBuf>,
    /// From spawning to the first accepted connection.
    pub startup: Duration,
}

/// Numbers the data directories of one bench process.
static STARTS: AtomicUsize = AtomicUsize::new(0);

/// How long a server may take to accept its first connection (a durable one loads its data first).
const STARTUP_LIMIT: Duration = Duration::from_secs(120);

impl Server {
    /// Starts `spec` on a free port (or uses `url` when given) and waits until it accepts.
    pub fn start(spec: &ServerSpec, url: Option<&str>) -> Server {
        if let Some(url) = url {
            let addr = url.trim_start_matches("http://").trim_end_matches('/').into();
            return Server { addr, child: None, command: None, data_dir: None, startup: Duration::ZERO };
        }
        let data_dir = spec.data_root.as_ref().map(|root| {
            let n = STARTS.fetch_add(1, Ordering::Relaxed);
            let dir = root.join(format!("sqs-bench-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create the data directory");
            dir
        });
        let port = free_port();
        let (child, startup) = Self::spawn(Self::command(spec, port, data_dir.as_ref()), port);
        Server {
            addr: format!("127.0.0.1:{port}"),
            child: Some(child),
            command: Some((spec.clone(), port)),
            data_dir,
            startup,
        }
    }

    fn command(spec: &ServerSpec, port: u16, data_dir: Option<&PathBuf>) -> Command {
        let mut command = Command::new(&spec.binary);
        command.args(["--port", &port.to_string(), "--purge-cooldown", "false", "--delete-cooldown", "false"]);
        if let Some(dir) = data_dir {
            command.arg("--data-dir").arg(dir);
        }
        command.args(&spec.args);
        command
    }

    /// Kills the server with SIGKILL (no shutdown of any kind) and starts it again on the same
    /// port and data directory; `startup` is then the time the new process took to accept.
    pub fn restart(&mut self) {
        let Some((spec, port)) = self.command.clone() else { return };
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let (child, startup) = Self::spawn(Self::command(&spec, port, self.data_dir.as_ref()), port);
        self.child = Some(child);
        self.startup = startup;
    }

    /// Whether the server keeps its data on disk.
    pub fn durable(&self) -> bool {
        self.data_dir.is_some()
    }

    /// The bare hyper server (this executable's hidden `serve-baseline` mode).
    pub fn baseline() -> Server {
        let port = free_port();
        let mut command = Command::new(std::env::current_exe().expect("current exe"));
        command.args(["serve-baseline", &port.to_string()]);
        let (child, startup) = Self::spawn(command, port);
        Server { addr: format!("127.0.0.1:{port}"), child: Some(child), command: None, data_dir: None, startup }
    }

    fn spawn(mut command: Command, port: u16) -> (Child, Duration) {
        let started = Instant::now();
        let child = command.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().expect("start server");
        let addr = format!("127.0.0.1:{port}");
        while std::net::TcpStream::connect(&addr).is_err() && started.elapsed() < STARTUP_LIMIT {
            std::thread::sleep(Duration::from_millis(1));
        }
        (child, started.elapsed())
    }

    /// CPU time the server process has used (user and system), in seconds (Linux's USER_HZ is
    /// 100 ticks a second).
    pub fn cpu_seconds(&self) -> Option<f64> {
        let pid = self.child.as_ref()?.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may hold spaces) in parentheses: utime is the 14th
        // field of the line, stime the 15th.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some(ticks / 100.0)
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
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
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
