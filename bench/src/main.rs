//! `sqs-bench`: a load generator for sqs-local speaking AWS JSON 1.0 over keep-alive connections.
//!
//! It starts an sqs-local binary (by default the one next to this executable) as a child process
//! on a free port, runs a scenario, and prints requests/s, messages/s and latency percentiles.
//! `baseline` runs the same client against a bare hyper server (this binary's `serve-baseline`
//! mode) that answers every request with a fixed 200, so figures can be read as a fraction of what
//! HTTP alone does on the machine. `compare` runs two servers (two binaries, or one binary with two
//! sets of arguments) side by side: the machine is noisy, so they alternate, round after round, and
//! medians are reported.
//!
//! ```text
//! cargo build --release --workspace
//! ./target/release/sqs-bench all
//! ./target/release/sqs-bench send --connections 32 --requests 200000
//! ./target/release/sqs-bench backlog --sizes 1000,100000,1000000
//! ./target/release/sqs-bench compare --a /tmp/old/sqs-local --b ./target/release/sqs-local
//! ./target/release/sqs-bench compare --b-data-dir /tmp/bench-data --only send,roundtrip,backlog
//! ./target/release/sqs-bench restart --data-dir /tmp/bench-data --messages 1000000
//! ./target/release/sqs-bench soak --seconds 600 --clients 64
//! ./target/release/sqs-bench database --database-url postgres://postgres@127.0.0.1:5432/bench
//! ./target/release/sqs-bench publish --fanout 10 --requests 20000 --rounds 5
//! ./target/release/sqs-bench compare --sign K:S --b-arg=--credential --b-arg=K:S --only send
//! ```

mod client;
mod database;
mod scenarios;
mod server;
mod soak;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use scenarios::{Figure, Target};
use server::ServerSpec;

#[derive(Parser)]
#[command(about = "Load generator for sqs-local (AWS JSON 1.0 over keep-alive connections)")]
struct Args {
    #[command(subcommand)]
    scenario: Scenario,
    /// Concurrent connections.
    #[arg(long, short, default_value_t = 32, global = true)]
    connections: usize,
    /// Use a running server instead of starting one (no RSS figures then).
    #[arg(long, global = true)]
    url: Option<String>,
    /// The sqs-local binary to start (default: the one next to this executable).
    #[arg(long, global = true)]
    server: Option<PathBuf>,
    /// An argument for the started server (repeatable), e.g. `--server-arg=--data-dir`.
    #[arg(long = "server-arg", global = true, allow_hyphen_values = true)]
    server_args: Vec<String>,
    /// Durable mode: every server start gets a fresh `--data-dir` under this directory.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Sign every request with SigV4 as KEY:SECRET (region us-east-1), as the SDKs do; give the
    /// server `--credential KEY:SECRET` to have it verify them.
    #[arg(long, global = true)]
    sign: Option<String>,
}

#[derive(Subcommand, Clone)]
enum Scenario {
    /// Bare hyper server answering 200: the HTTP ceiling.
    Baseline {
        #[arg(long, default_value_t = 200_000)]
        requests: usize,
    },
    /// SendMessage with 100-byte bodies.
    Send {
        #[arg(long, default_value_t = 200_000)]
        requests: usize,
    },
    /// SNS Publish to a topic with F subscribed queues against SendMessage, interleaved on one
    /// server: publish rate and server CPU per publish as a multiple of a send's.
    Publish {
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 10)]
        fanout: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Subscribe with RawMessageDelivery (the message itself, not the JSON envelope).
        #[arg(long)]
        raw: bool,
    },
    /// The PostgreSQL backend: messages/s, PostgreSQL and node CPU per message and transactions per
    /// message for send 1, send 10, the unbatched cycle (16 clients) and the batched cycle, on a
    /// node started with `--database-url` (run it against a PostgreSQL server of its own).
    Database {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
    },
    /// SendMessageBatch of 10.
    SendBatch {
        #[arg(long, default_value_t = 50_000)]
        requests: usize,
    },
    /// Producers batch-send while consumers receive (10, long poll) and delete; exactly-once check.
    Roundtrip {
        #[arg(long, default_value_t = 500_000)]
        messages: usize,
    },
    /// Roundtrip on a FIFO queue with G groups; per-group order check.
    Fifo {
        #[arg(long, default_value_t = 500_000)]
        messages: usize,
        #[arg(long, default_value_t = 10_000)]
        groups: usize,
    },
    /// A consumer long-polling (20 s) while a producer sends every 50 ms: send-to-receive latency.
    LongpollLatency {
        #[arg(long, default_value_t = 200)]
        messages: usize,
    },
    /// Preload M messages, then receive (and delete and replace) a fixed number while the backlog
    /// stays at M: receive cost against backlog size, and the server's RSS.
    Backlog {
        #[arg(long, value_delimiter = ',', default_value = "1000,100000,1000000")]
        sizes: Vec<usize>,
        /// Messages received (and deleted and replaced) at each size.
        #[arg(long, default_value_t = 100_000)]
        drain: usize,
    },
    /// FIFO receive cost against the number of groups: preload M messages spread over G groups,
    /// then drain them; compares the drain rate for each G.
    FifoGroups {
        #[arg(long, value_delimiter = ',', default_value = "10,100000")]
        groups: Vec<usize>,
        #[arg(long, default_value_t = 200_000)]
        messages: usize,
    },
    /// Durable mode (needs --data-dir): preload M messages, kill -9 the server, start it again on
    /// the same directory; time until it serves them.
    Restart {
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
    },
    /// Many clients mixing every action for a long time: lost and duplicated messages, errors,
    /// and the server's RSS over time.
    Soak {
        #[arg(long, default_value_t = 600)]
        seconds: u64,
        #[arg(long, default_value_t = 64)]
        clients: usize,
    },
    /// Every scenario with default sizes, compared pairs three times interleaved.
    All,
    /// Two servers side by side: each round runs every chosen scenario against A and against B
    /// (alternating which goes first); prints per-round figures, medians and the median B/A ratio.
    Compare {
        /// Binary A (default: the one next to this executable).
        #[arg(long)]
        a: Option<PathBuf>,
        /// Binary B (default: the one next to this executable).
        #[arg(long)]
        b: Option<PathBuf>,
        /// An argument for server A (repeatable).
        #[arg(long = "a-arg", allow_hyphen_values = true)]
        a_args: Vec<String>,
        /// An argument for server B (repeatable).
        #[arg(long = "b-arg", allow_hyphen_values = true)]
        b_args: Vec<String>,
        /// Durable A: each start of server A gets a fresh data directory under this one.
        #[arg(long)]
        a_data_dir: Option<PathBuf>,
        /// Durable B: each start of server B gets a fresh data directory under this one.
        #[arg(long)]
        b_data_dir: Option<PathBuf>,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Scenarios to run: idle, send, send-batch, publish, roundtrip, fifo, longpoll, fifo-groups,
        /// backlog, restart.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "idle,send,send-batch,roundtrip,fifo,longpoll,fifo-groups,backlog"
        )]
        only: Vec<String>,
    },
    /// Internal: serve the baseline server on the given port.
    #[command(hide = true)]
    ServeBaseline { port: u16 },
}

/// The median of `values`.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

/// The median of each ratio `num[i] / den[i]` over repeated runs, in percent.
fn median_ratio(pairs: &[(f64, f64)]) -> f64 {
    median(&pairs.iter().map(|(n, d)| n / d * 100.0).collect::<Vec<_>>())
}

fn value(figures: &[Figure], name: &str) -> f64 {
    figures.iter().find(|f| f.name == name).map_or(0.0, |f| f.value)
}

/// Runs one named scenario with its default sizes.
async fn run_named(name: &str, t: &Target) -> Vec<Figure> {
    match name {
        "idle" => scenarios::idle(t),
        "send" => scenarios::send(t, 200_000).await,
        "send-batch" => scenarios::send_batch(t, 50_000).await,
        "publish" => scenarios::publish(t, 20_000, 10, 1, false).await,
        "roundtrip" => scenarios::roundtrip(t, 500_000, None).await,
        "fifo" => scenarios::roundtrip(t, 500_000, Some(10_000)).await,
        "longpoll" => scenarios::longpoll_latency(t, 200).await,
        "fifo-groups" => scenarios::fifo_groups(t, &[10, 100_000], 200_000).await,
        "backlog" => scenarios::backlog(t, &[1_000, 100_000, 1_000_000], 100_000).await,
        "restart" => scenarios::restart(t, 1_000_000).await,
        other => panic!("unknown scenario {other}"),
    }
}

async fn all(t: &Target) {
    // The ratios are what the targets are about, and a shared 2-core machine is noisy: each
    // compared pair runs three times, interleaved, and the median ratio is reported.
    scenarios::idle(t);
    let (mut send_pairs, mut fifo_pairs, mut group_pairs, mut backlog_pairs) = (vec![], vec![], vec![], vec![]);
    for round in 1..=3 {
        println!("-- round {round} of 3");
        let base = value(&scenarios::baseline(t, 200_000).await, "baseline");
        send_pairs.push((value(&scenarios::send(t, 200_000).await, "send"), base));
        let standard = value(&scenarios::roundtrip(t, 500_000, None).await, "roundtrip");
        fifo_pairs.push((value(&scenarios::roundtrip(t, 500_000, Some(10_000)).await, "fifo"), standard));
        let g = scenarios::fifo_groups(t, &[10, 100_000], 200_000).await;
        group_pairs.push((value(&g, "fifo-groups 100000"), value(&g, "fifo-groups 10")));
        let b = scenarios::backlog(t, &[1_000, 100_000, 1_000_000], 100_000).await;
        backlog_pairs.push((value(&b, "backlog 1000000"), value(&b, "backlog 1000")));
    }
    println!("-- once");
    scenarios::send_batch(t, 50_000).await;
    scenarios::longpoll_latency(t, 200).await;
    println!("-- medians of the three rounds");
    println!("send         = {:.0}% of baseline", median_ratio(&send_pairs));
    println!("fifo         = {:.0}% of the standard roundtrip rate", median_ratio(&fifo_pairs));
    println!("fifo-groups  100,000 groups = {:.0}% of 10 groups", median_ratio(&group_pairs));
    println!("backlog      1,000,000 = {:.0}% of 1,000", median_ratio(&backlog_pairs));
}

async fn compare(a: Target, b: Target, rounds: usize, only: &[String]) {
    // Per figure name: the values of A and of B, one per round.
    let mut table: Vec<(String, &'static str, Vec<f64>, Vec<f64>)> = Vec::new();
    for round in 1..=rounds {
        for name in only {
            // Alternate which side goes first so that drift on the machine hits both alike.
            let order = if round % 2 == 1 { [(&a, 0), (&b, 1)] } else { [(&b, 1), (&a, 0)] };
            for (target, side) in order {
                println!("-- round {round}/{rounds}: {name} on {}", target.spec.label);
                for f in run_named(name, target).await {
                    let row = match table.iter_mut().position(|r| r.0 == f.name) {
                        Some(i) => &mut table[i],
                        None => {
                            table.push((f.name.clone(), f.unit, Vec::new(), Vec::new()));
                            table.last_mut().expect("just pushed")
                        }
                    };
                    if side == 0 {
                        row.2.push(f.value);
                    } else {
                        row.3.push(f.value);
                    }
                }
            }
        }
    }
    println!("\n-- {} (A) vs {} (B), {rounds} rounds", a.spec.label, b.spec.label);
    println!(
        "{:<28} {:>7} {:>38} {:>38} {:>9}",
        "figure", "unit", "A per round (median)", "B per round (median)", "B/A"
    );
    for (name, unit, av, bv) in &table {
        let fmt = |v: &[f64]| {
            let each: Vec<String> = v.iter().map(|x| format!("{x:.1}")).collect();
            format!("{} ({:.1})", each.join(" "), median(v))
        };
        let pairs: Vec<(f64, f64)> = bv.iter().zip(av).map(|(b, a)| (*b, *a)).filter(|(_, a)| *a != 0.0).collect();
        let ratio = if pairs.is_empty() { "-".to_string() } else { format!("{:.0}%", median_ratio(&pairs)) };
        println!("{name:<28} {unit:>7} {:>38} {:>38} {ratio:>9}", fmt(av), fmt(bv));
    }
}

fn main() {
    let args = Args::parse();
    if let Some(pair) = &args.sign {
        let (key, secret) = pair.split_once(':').expect("--sign KEY:SECRET");
        client::SIGNING.set((key.to_string(), secret.to_string())).expect("set once");
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    if let Scenario::ServeBaseline { port } = args.scenario {
        rt.block_on(server::serve_baseline(port));
        return;
    }
    let target = |label: &str, binary: Option<PathBuf>, server_args: Vec<String>, data_root: Option<PathBuf>| Target {
        spec: ServerSpec {
            label: label.into(),
            binary: binary.unwrap_or_else(ServerSpec::default_binary),
            args: server_args,
            data_root,
        },
        url: args.url.clone(),
        connections: args.connections,
    };
    let t = target("sqs-local", args.server.clone(), args.server_args.clone(), args.data_dir.clone());
    rt.block_on(async {
        match args.scenario.clone() {
            Scenario::Baseline { requests } => drop(scenarios::baseline(&t, requests).await),
            Scenario::Send { requests } => drop(scenarios::send(&t, requests).await),
            Scenario::SendBatch { requests } => drop(scenarios::send_batch(&t, requests).await),
            Scenario::Database { database_url, messages } => {
                drop(database::database(&t, &database_url, messages).await)
            }
            Scenario::Publish { requests, fanout, rounds, raw } => {
                drop(scenarios::publish(&t, requests, fanout, rounds, raw).await)
            }
            Scenario::Roundtrip { messages } => drop(scenarios::roundtrip(&t, messages, None).await),
            Scenario::Fifo { messages, groups } => drop(scenarios::roundtrip(&t, messages, Some(groups)).await),
            Scenario::LongpollLatency { messages } => drop(scenarios::longpoll_latency(&t, messages).await),
            Scenario::Backlog { sizes, drain } => drop(scenarios::backlog(&t, &sizes, drain).await),
            Scenario::FifoGroups { groups, messages } => drop(scenarios::fifo_groups(&t, &groups, messages).await),
            Scenario::Restart { messages } => drop(scenarios::restart(&t, messages).await),
            Scenario::Soak { seconds, clients } => {
                soak::soak(&t, std::time::Duration::from_secs(seconds), clients).await
            }
            Scenario::All => all(&t).await,
            Scenario::Compare { a, b, a_args, b_args, a_data_dir, b_data_dir, rounds, only } => {
                let label = |path: &Option<PathBuf>, extra: &[String], durable: &Option<PathBuf>, side: &str| {
                    let bin = path.as_ref().map_or("sqs-local".to_string(), |p| p.display().to_string());
                    let mode = if durable.is_some() { " (durable)" } else { "" };
                    format!("{side}: {bin}{mode} {}", extra.join(" ")).trim_end().to_string()
                };
                let la = label(&a, &a_args, &a_data_dir, "A");
                let lb = label(&b, &b_args, &b_data_dir, "B");
                compare(target(&la, a, a_args, a_data_dir), target(&lb, b, b_args, b_data_dir), rounds, &only).await
            }
            Scenario::ServeBaseline { .. } => {}
        }
    });
}
