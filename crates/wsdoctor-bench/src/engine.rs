//! The run: `threads` OS threads, each with its own single-threaded tokio runtime and
//! its share of the connections (no work stealing, no locks on the hot path: a
//! thread's connections share one `Stats` through a `RefCell`). Every thread opens its
//! connections, all wait at a barrier, then the load starts at one shared instant;
//! the threads' histograms are merged at the end.

use crate::conn::{Loaded, Window};
use crate::cpu;
use crate::held;
use crate::plan::Plan;
use crate::result::{BenchResult, CLIENT_LIMIT_PERCENT, Held, LatencyFrom, Mode, Pings, Shard};
use crate::stats::{Stats, latency};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, SystemTime};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use wsdoctor_net::{Connector, Upgraded};

/// Counters the binary reads for its progress line, updated as the run goes.
#[derive(Debug, Default)]
pub struct Live {
    pub open: AtomicUsize,
    pub sent: AtomicU64,
    pub received: AtomicU64,
    pub errors: AtomicU64,
}

/// A finished run: the result, and the histograms behind it for `--hdr-log`.
pub struct Run {
    pub result: BenchResult,
    raw: Histogram<u64>,
    corrected: Histogram<u64>,
    /// When the load started (the log's StartTime).
    started: SystemTime,
}

/// Runs `plan` against the connector's URL and returns what was measured. Blocks the
/// calling thread (call it outside any async runtime) until the window, the drain and
/// the closes are over: at most the opening's deadline + ramp + warm-up + duration +
/// 2 × timeout.
pub fn run(connector: Arc<Connector>, plan: &Plan, live: Arc<Live>) -> std::io::Result<Run> {
    let mine_all = plan.indexes();
    let threads = plan.threads.min(mine_all.len()).max(1);
    let barrier = Arc::new(Barrier::new(threads));
    let start: Arc<OnceLock<Start>> = Arc::new(OnceLock::new());
    let mut handles = Vec::with_capacity(threads);
    for t in 0..threads {
        // This shard's connections t, t + threads, t + 2·threads, …
        let mine: Vec<usize> = mine_all.iter().copied().skip(t).step_by(threads).collect();
        let (plan, connector, live) = (plan.clone(), connector.clone(), live.clone());
        let (barrier, start) = (barrier.clone(), start.clone());
        let handle = std::thread::Builder::new()
            .name(format!("wsdoctor-bench-{t}"))
            .spawn(move || thread(&plan, connector, live, &mine, &barrier, &start))?;
        handles.push(handle);
    }
    let mut stats = Stats::new();
    for h in handles {
        match h.join() {
            Ok(Ok(s)) => stats.merge(s),
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(std::io::Error::other("a bench thread panicked")),
        }
    }
    let (wall, cpu, started) = match start.get() {
        Some(s) => (
            s.wall.elapsed(),
            cpu::used().saturating_sub(s.cpu),
            s.system,
        ),
        None => (Duration::ZERO, Duration::ZERO, SystemTime::now()),
    };
    let raw = stats.raw.clone();
    let corrected = stats.corrected.clone();
    let result = result(connector.options(), plan, threads, stats, wall, cpu);
    Ok(Run {
        result,
        raw,
        corrected,
        started,
    })
}

impl Run {
    /// The window's latency histograms in the HdrHistogram interval-log format (the
    /// Java `HistogramLogWriter`'s; read by `HistogramLogProcessor`, Python `hdrh`,
    /// hdrhistogram's Rust `IntervalLogIterator`): one interval covering the measured
    /// window, tagged `raw` and, in open loop, `corrected`; values in microseconds.
    /// Logs of several shards merge by adding every histogram of the same tag.
    pub fn write_hdr_log<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        let mut serializer = V2DeflateSerializer::new();
        let mut builder = IntervalLogWriterBuilder::new();
        builder.add_comment("wsdoctor bench: round trips in microseconds");
        if let Some(shard) = &self.result.shard {
            builder.add_comment(&format!("shard {}/{}", shard.index, shard.count));
        }
        builder.with_start_time(self.started);
        let mut log = builder.begin_log_with(out, &mut serializer)?;
        let measured = self
            .started
            .checked_add(Duration::from_secs_f64(self.result.warmup_s))
            .unwrap_or(self.started);
        let at = measured
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let length = Duration::from_secs_f64(self.result.duration_s);
        let mut write = |h: &Histogram<u64>, tag: &str| {
            log.write_histogram(h, at, length, Tag::new(tag))
                .map_err(|e| std::io::Error::other(format!("{e}")))
        };
        write(&self.raw, "raw")?;
        if self.result.latency_corrected_us.is_some() {
            write(&self.corrected, "corrected")?;
        }
        Ok(())
    }
}

/// The instant the load starts, fixed by the first thread past the barrier.
struct Start {
    at: Instant,
    wall: std::time::Instant,
    system: SystemTime,
    cpu: Duration,
}

/// One thread: open its connections, wait for the others, load, drain.
fn thread(
    plan: &Plan,
    connector: Arc<Connector>,
    live: Arc<Live>,
    mine: &[usize],
    barrier: &Barrier,
    start: &OnceLock<Start>,
) -> std::io::Result<Stats> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stats = Rc::new(RefCell::new(Stats::new()));
    let per_thread = (plan.open_at_once / plan.threads.max(1)).max(1);
    let opened = rt.block_on(open_all(&connector, plan, mine, per_thread, &stats, &live));
    barrier.wait();
    let t0 = start
        .get_or_init(|| Start {
            at: Instant::now(),
            wall: std::time::Instant::now(),
            system: SystemTime::now(),
            cpu: cpu::used(),
        })
        .at;
    let window = Window {
        start: t0,
        measure_from: t0 + plan.ramp + plan.warmup,
        stop: t0 + plan.ramp + plan.warmup + plan.duration,
    };
    let interval = plan.interval();
    let plan = Rc::new(plan.clone());
    rt.block_on(async {
        let local = tokio::task::LocalSet::new();
        for (index, up) in opened {
            let (stats, plan, live) = (stats.clone(), plan.clone(), live.clone());
            if index >= plan.connections {
                local.spawn_local(async move { held::hold(up, window.stop, &stats, &live).await });
                continue;
            }
            let share = index as f64 / plan.connections as f64;
            // Ramp: connection k of N starts k/N of the way through it.
            let ramp = plan.ramp.mul_f64(share);
            let offset = ramp + interval.map_or(Duration::ZERO, |iv| iv.mul_f64(share));
            local.spawn_local(async move {
                Loaded {
                    plan: &plan,
                    window,
                    offset,
                    ramp,
                    stats: &stats,
                    live: &live,
                }
                .drive(up)
                .await;
            });
        }
        local.await;
    });
    drop(rt);
    // Every task has ended (the LocalSet ran to completion): nothing else holds it.
    Ok(stats.replace(Stats::new()))
}

/// Opens the connections `mine` names, `at_once` at a time, each under the plan's
/// deadline; returns them with their index.
async fn open_all(
    connector: &Arc<Connector>,
    plan: &Plan,
    mine: &[usize],
    at_once: usize,
    stats: &Rc<RefCell<Stats>>,
    live: &Arc<Live>,
) -> Vec<(usize, Upgraded)> {
    let permits = Rc::new(Semaphore::new(at_once));
    let opened = Rc::new(RefCell::new(Vec::with_capacity(mine.len())));
    let local = tokio::task::LocalSet::new();
    for &index in mine {
        let (permits, opened, stats) = (permits.clone(), opened.clone(), stats.clone());
        let (connector, live) = (connector.clone(), live.clone());
        let timeout = plan.timeout;
        let held = index >= plan.connections;
        local.spawn_local(async move {
            let Ok(_permit) = permits.acquire().await else {
                return;
            };
            match connector.connect(Instant::now() + timeout).await {
                Ok(up) => {
                    let mut s = stats.borrow_mut();
                    s.connect.record(&up.times);
                    if held {
                        s.held_opened += 1;
                    } else {
                        s.opened += 1;
                    }
                    live.open.fetch_add(1, Relaxed);
                    opened.borrow_mut().push((index, up));
                }
                Err(f) => {
                    stats.borrow_mut().error(f.cause());
                    live.errors.fetch_add(1, Relaxed);
                }
            }
        });
    }
    local.await;
    opened.take()
}

fn result(
    opts: &wsdoctor_net::ProbeOptions,
    plan: &Plan,
    threads: usize,
    stats: Stats,
    wall: Duration,
    cpu: Duration,
) -> BenchResult {
    let open = plan.rate.is_some();
    let cpu_percent = if wall.is_zero() {
        0.0
    } else {
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
    };
    BenchResult {
        schema: crate::SCHEMA,
        target: opts.url.effective.clone(),
        mode: if open { Mode::Open } else { Mode::Closed },
        connections: plan.loaded_here(),
        connections_opened: stats.opened,
        shard: plan.shard.map(|(index, count)| Shard { index, count }),
        held: (plan.hold > 0).then(|| Held {
            requested: plan.held_here(),
            opened: stats.held_opened,
            still_open: stats.held_open_at_end,
        }),
        ramp_s: plan.ramp.as_secs_f64(),
        depth: (!open).then_some(plan.depth),
        rate: plan.rate,
        message_bytes: plan.payload.len(),
        binary: plan.payload.is_binary(),
        threads,
        duration_s: plan.duration.as_secs_f64(),
        warmup_s: plan.warmup.as_secs_f64(),
        sent: stats.sent,
        messages: stats.received,
        messages_per_second: stats.received as f64 / plan.duration.as_secs_f64(),
        latency_us: latency(&stats.raw, 1.0),
        latency_corrected_us: open.then(|| latency(&stats.corrected, 1.0)),
        latency_from: if open {
            LatencyFrom::SendAndIntended
        } else {
            LatencyFrom::Send
        },
        pings: plan.ping_interval.map(|iv| Pings {
            interval_ms: iv.as_secs_f64() * 1000.0,
            sent: stats.pings_sent,
            answered: stats.ping.len(),
            rtt_us: latency(&stats.ping, 1.0),
        }),
        connect_ms: stats.connect.summary(),
        errors: stats.errors,
        client_cpu_percent: cpu_percent,
        client_limited: cpu_percent >= CLIENT_LIMIT_PERCENT * threads as f64,
        capacity: None,
    }
}
