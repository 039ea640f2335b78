//! `wsdoctor bench URL`: load and latency. Flags are resolved here — the connection
//! options through `check`'s own resolution (`check::options`), so `--resolve`,
//! `--cacert`, `--proxy`, `-H` … mean exactly what they mean for `check` — and the run
//! is `wsdoctor-bench`'s; this module prints the progress line, the summary or the
//! JSON, and picks the exit code.

use super::check::{self, CheckArgs, ConnectArgs};
use super::usage;
use crate::output::Style;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use wsdoctor_bench::capacity::{Condition, Search};
use wsdoctor_bench::{BenchResult, Latency, Live, Payload, Plan};
use wsdoctor_core::CauseId;

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// The WebSocket URL of an echo server (ws:// or wss://).
    pub url: String,
    /// Connections that send.
    #[arg(short = 'c', long, value_name = "N", default_value = "10")]
    pub connections: usize,
    /// Closed loop: messages in flight on each connection.
    #[arg(long, value_name = "K", default_value = "1")]
    pub depth: usize,
    /// Open loop: messages per second over all connections, on a fixed schedule
    /// (latency is then reported raw and corrected for coordinated omission).
    #[arg(long, value_name = "MSG/S")]
    pub rate: Option<f64>,
    /// Size of each message in bytes (text unless --binary).
    #[arg(
        long,
        value_name = "BYTES",
        default_value = "20",
        conflicts_with = "message"
    )]
    pub size: usize,
    /// Send binary messages instead of text.
    #[arg(long)]
    pub binary: bool,
    /// Send this text as every message instead of --size bytes.
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,
    /// The measured window, seconds.
    #[arg(short = 'd', long, value_name = "SECS", default_value = "10")]
    pub duration: f64,
    /// Load before the window that is not measured, seconds.
    #[arg(long, value_name = "SECS", default_value = "1")]
    pub warmup: f64,
    /// Deadline of every phase, seconds: opening one connection, one echo, one stalled
    /// write, the drain after the window.
    #[arg(long, value_name = "SECS", default_value = "10")]
    pub timeout: f64,
    /// OS threads, each with its own event loop and share of the connections.
    #[arg(long, value_name = "N", default_value = "1")]
    pub threads: usize,
    /// Print the result as one JSON object (schema wsdoctor.bench/1).
    #[arg(long)]
    pub json: bool,
    /// Offer permessage-deflate (compression on when the server accepts it).
    #[arg(long)]
    pub deflate: bool,
    /// Also open N idle connections (no data, pings answered) and report how many
    /// are still open when the window ends.
    #[arg(long, value_name = "N", default_value = "0")]
    pub hold: usize,
    /// Start the loaded connections one after another over SECS (before the warm-up).
    #[arg(long, value_name = "SECS", default_value = "0")]
    pub ramp: f64,
    /// Run shard I of N (I from 0): connections j with j mod N = I, and 1/N of
    /// --rate, so N processes (a Kubernetes Indexed Job) together run the plan.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Each loaded connection also sends a ping every SECS (one outstanding at a
    /// time) and the pongs' round trips are reported; no pong within --timeout is
    /// session-no-pong.
    #[arg(long, value_name = "SECS")]
    pub ping_interval: Option<f64>,
    /// Write the latency histograms in the HdrHistogram interval-log format
    /// (mergeable with standard tools; see bench/bench/merge-hdr-logs.py).
    #[arg(long, value_name = "FILE")]
    pub hdr_log: Option<PathBuf>,
    /// Step the open-loop rate up (from --rate, default 1000) and report the highest
    /// rate that holds the condition, e.g. 'p99<50ms' (corrected latency, no errors,
    /// echoes keeping up).
    #[arg(long, value_name = "CONDITION")]
    pub find_capacity: Option<String>,
    /// How to reach the server: the same flags as `check`.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `--find-capacity` without `--rate` starts here, messages per second.
const FIRST_RATE: f64 = 1000.0;
/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// The longest any duration flag may be (one day), as for `check`.
const MAX_SECS: f64 = 86_400.0;

pub fn run(args: BenchArgs, style: Style) -> anyhow::Result<i32> {
    let plan = plan(&args)?;
    let opts = check::options(&connect_args(&args))?;
    if wsdoctor_core::url::is_unusable(&opts.url) {
        return Err(usage(format!(
            "{:?} is not a usable WebSocket URL; `wsdoctor check {}` says why",
            args.url, args.url
        )));
    }
    let connector = Arc::new(wsdoctor_net::Connector::new(opts).map_err(usage)?);
    let progress = style.tty && !args.json;
    let run = match &args.find_capacity {
        None => bench_once(&connector, &plan, progress)?,
        Some(condition) => {
            let condition = Condition::parse(condition).map_err(usage)?;
            find_capacity(&connector, &plan, condition, progress, args.json)?
        }
    };
    if let Some(path) = &args.hdr_log {
        let mut log = Vec::new();
        run.write_hdr_log(&mut log)?;
        crate::output::write_atomically(path, &log).map_err(|e| {
            anyhow::anyhow!(
                "--hdr-log {}: cannot write it ({e}); give a writable path",
                path.display()
            )
        })?;
    }
    let result = run.result;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &result)?;
        writeln!(out)?;
    } else {
        summary(&result, &mut out)?;
    }
    out.flush()?;
    Ok(exit_code(&result))
}

/// One run, with the progress line on a terminal.
fn bench_once(
    connector: &Arc<wsdoctor_net::Connector>,
    plan: &Plan,
    progress: bool,
) -> anyhow::Result<wsdoctor_bench::Run> {
    let live = Arc::new(Live::default());
    let runner = {
        let (connector, plan, live) = (connector.clone(), plan.clone(), live.clone());
        std::thread::Builder::new()
            .name("wsdoctor-bench".into())
            .spawn(move || wsdoctor_bench::run(connector, &plan, live))?
    };
    while !runner.is_finished() {
        std::thread::sleep(PROGRESS_EVERY);
        if progress {
            eprint!(
                "\r\x1b[2K{} open · {} sent · {} echoed · {} errors",
                live.open.load(Relaxed),
                live.sent.load(Relaxed),
                live.received.load(Relaxed),
                live.errors.load(Relaxed)
            );
        }
    }
    if progress {
        eprint!("\r\x1b[2K");
    }
    Ok(runner
        .join()
        .map_err(|_| anyhow::anyhow!("the bench thread panicked"))??)
}

/// `--find-capacity`: open-loop steps at the rates the search picks; the result is
/// the highest holding step's (else the last one's) with every step attached.
fn find_capacity(
    connector: &Arc<wsdoctor_net::Connector>,
    plan: &Plan,
    condition: Condition,
    progress: bool,
    json: bool,
) -> anyhow::Result<wsdoctor_bench::Run> {
    let mut search = Search::new(condition, plan.rate.unwrap_or(FIRST_RATE));
    let mut best: Option<wsdoctor_bench::Run> = None;
    let mut last = None;
    while let Some(rate) = search.next_rate() {
        let step = Plan {
            rate: Some(rate),
            ..plan.clone()
        };
        let run = bench_once(connector, &step, progress)?;
        search.record(rate, &run.result);
        let held = condition.holds(&run.result, rate);
        if !json {
            eprintln!(
                "wsdoctor bench: {rate:.0} msg/s → {:.0} echoed/s, {} error(s): {}",
                run.result.messages_per_second,
                run.result.error_count(),
                if held { "holds" } else { "does not hold" }
            );
        }
        if held && best.as_ref().is_none_or(|b| b.result.rate < Some(rate)) {
            best = Some(run);
        } else {
            last = Some(run);
        }
    }
    // The search makes at least one step, so one of the two is set.
    let mut run = best
        .or(last)
        .ok_or_else(|| anyhow::anyhow!("no capacity step ran"))?;
    run.result.capacity = Some(search.finish());
    Ok(run)
}

/// With `--find-capacity`: 0 when a rate held, 1 when none did. Otherwise 0: every
/// connection opened and no error; 1: the run measured, with errors (or the client
/// was the limit); a layer's code (README) when no connection opened at all:
/// the most frequent error's layer.
pub fn exit_code(r: &BenchResult) -> i32 {
    if let Some(c) = &r.capacity {
        return if c.rate.is_some() { 0 } else { 1 };
    }
    let held = r.held.map_or(0, |h| h.opened);
    if r.connections_opened + held == 0 {
        let top = r.errors.iter().max_by_key(|(_, n)| **n).map(|(id, _)| *id);
        return top.map_or(3, |id| id.layer().exit_code());
    }
    if r.error_count() > 0 || r.client_limited {
        1
    } else {
        0
    }
}

fn plan(a: &BenchArgs) -> anyhow::Result<Plan> {
    let secs = |flag: &str, s: f64, zero_ok: bool| -> anyhow::Result<Duration> {
        if s.is_finite() && (s > 0.0 || (zero_ok && s == 0.0)) && s <= MAX_SECS {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(usage(format!(
                "{flag} {s} must be a number of seconds above 0 and at most {MAX_SECS}"
            )))
        }
    };
    let payload = match &a.message {
        Some(m) if a.binary => Payload::Binary(m.clone().into_bytes()),
        Some(m) => Payload::Text(m.clone()),
        None => Payload::sized(a.size, a.binary),
    };
    let mut p = Plan::closed(
        a.connections,
        a.depth,
        payload,
        secs("--duration", a.duration, false)?,
    );
    p.rate = a.rate;
    p.warmup = secs("--warmup", a.warmup, true)?;
    p.timeout = secs("--timeout", a.timeout, false)?;
    p.threads = a.threads;
    p.hold = a.hold;
    p.ramp = secs("--ramp", a.ramp, true)?;
    p.shard = a.shard.as_deref().map(shard).transpose()?;
    p.ping_interval = a
        .ping_interval
        .map(|s| secs("--ping-interval", s, false))
        .transpose()?;
    p.validate().map_err(|e| usage(e.to_string()))?;
    Ok(p)
}

/// `I/N`, I from 0.
fn shard(s: &str) -> anyhow::Result<(usize, usize)> {
    let bad = || {
        usage(format!(
            "--shard {s:?}: expected I/N with I from 0 to N-1, e.g. 0/4"
        ))
    };
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let i: usize = i.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The connection options as `check` takes them, so `check::options` resolves both.
fn connect_args(a: &BenchArgs) -> CheckArgs {
    CheckArgs {
        url: a.url.clone(),
        timeout: a.timeout,
        connect: a.connect.clone(),
        extensions: if a.deflate {
            vec![wsdoctor_proto::deflate::NAME.to_string()]
        } else {
            Vec::new()
        },
        ..CheckArgs::default()
    }
}

fn summary(r: &BenchResult, out: &mut impl Write) -> std::io::Result<()> {
    let mode = match r.rate {
        Some(rate) => format!("open loop, {rate} msg/s"),
        None => format!("closed loop, depth {}", r.depth.unwrap_or(1)),
    };
    writeln!(out, "wsdoctor bench {}", r.target)?;
    writeln!(
        out,
        "  {} of {} connections · {mode} · {} B {} · {} thread(s) · {:.1} s (+{:.1} s warm-up)",
        r.connections_opened,
        r.connections,
        r.message_bytes,
        if r.binary { "binary" } else { "text" },
        r.threads,
        r.duration_s,
        r.warmup_s
    )?;
    writeln!(
        out,
        "  {:.0} msg/s · {} echoed of {} sent",
        r.messages_per_second, r.messages, r.sent
    )?;
    let from = if r.latency_corrected_us.is_some() {
        "latency (raw, from the write)"
    } else {
        "latency (from the write)"
    };
    latency_line(out, from, &r.latency_us, 1000.0)?;
    if let Some(c) = &r.latency_corrected_us {
        latency_line(out, "latency (corrected, from the schedule)", c, 1000.0)?;
    }
    if let Some(p) = &r.pings {
        writeln!(
            out,
            "  pings every {:.0} ms: {} answered of {} sent",
            p.interval_ms, p.answered, p.sent
        )?;
        latency_line(out, "ping → pong", &p.rtt_us, 1000.0)?;
    }
    latency_line(out, "connect (DNS → 101)", &r.connect_ms.total, 1.0)?;
    if let Some(h) = &r.held {
        writeln!(
            out,
            "  held: {} of {} idle connections opened, {} still open at the end",
            h.opened, h.requested, h.still_open
        )?;
    }
    if let Some(s) = &r.shard {
        writeln!(
            out,
            "  shard {}/{} (this process's share only)",
            s.index, s.count
        )?;
    }
    if let Some(c) = &r.capacity {
        match c.rate {
            Some(rate) => writeln!(
                out,
                "  capacity: {rate:.0} msg/s is the highest rate that held ({} steps){}",
                c.steps.len(),
                if c.client_limited {
                    "; the last step hit the client's limit, so the server may take more"
                } else {
                    ""
                }
            )?,
            None => writeln!(out, "  capacity: no rate tried held the condition")?,
        }
    }
    writeln!(out, "  client CPU {:.0} %", r.client_cpu_percent)?;
    if r.client_limited {
        writeln!(
            out,
            "  ! the client was the limit (CPU ≥ 90 % per thread): add --threads or a machine; these figures are wsdoctor's, not the server's"
        )?;
    }
    if r.errors.is_empty() {
        writeln!(out, "  no errors")?;
    }
    for (id, n) in &r.errors {
        writeln!(out, "  ✗ {n} × {}  [{id}]", title(*id))?;
    }
    Ok(())
}

fn latency_line(out: &mut impl Write, what: &str, l: &Latency, to_ms: f64) -> std::io::Result<()> {
    if l.count == 0 {
        return writeln!(out, "  {what}: no samples");
    }
    let ms = |v: f64| v / to_ms;
    writeln!(
        out,
        "  {what}: p50 {:.2} ms · p90 {:.2} · p99 {:.2} · p99.9 {:.2} · max {:.2} ({} samples)",
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        ms(l.p999),
        ms(l.max),
        l.count
    )
}

fn title(id: CauseId) -> &'static str {
    id.cause().title
}
