//! The run: `threads` OS threads, each with its own single-threaded tokio runtime and
//! its share of the connections (no work stealing, no locks on the hot path: a
//! thread's connections share one `Stats` through a `RefCell`). Every thread opens its
//! connections, all wait at a barrier, then the load starts at one shared instant;
//! the threads' histograms are merged at the end.

use crate::conn::{Loaded, Window};
use crate::cpu;
use crate::plan::Plan;
use crate::result::{BenchResult, CLIENT_LIMIT_PERCENT, LatencyFrom, Mode};
use crate::stats::{Stats, latency};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::Duration;
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

/// Runs `plan` against the connector's URL and returns what was measured. Blocks the
/// calling thread (call it outside any async runtime) until the window, the drain and
/// the closes are over: at most the opening's deadline + warm-up + duration + 2 ×
/// timeout.
pub fn run(
    connector: Arc<Connector>,
    plan: &Plan,
    live: Arc<Live>,
) -> std::io::Result<BenchResult> {
    let threads = plan.threads.min(plan.connections).max(1);
    let barrier = Arc::new(Barrier::new(threads));
    let start: Arc<OnceLock<(Instant, std::time::Instant, Duration)>> = Arc::new(OnceLock::new());
    let mut handles = Vec::with_capacity(threads);
    for t in 0..threads {
        // Connections t, t + threads, t + 2·threads, …
        let mine: Vec<usize> = (t..plan.connections).step_by(threads).collect();
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
    let (wall, cpu) = match start.get() {
        Some((_, wall, cpu)) => (wall.elapsed(), cpu::used().saturating_sub(*cpu)),
        None => (Duration::ZERO, Duration::ZERO),
    };
    Ok(result(connector.options(), plan, threads, stats, wall, cpu))
}

/// One thread: open its connections, wait for the others, load, drain.
fn thread(
    plan: &Plan,
    connector: Arc<Connector>,
    live: Arc<Live>,
    mine: &[usize],
    barrier: &Barrier,
    start: &OnceLock<(Instant, std::time::Instant, Duration)>,
) -> std::io::Result<Stats> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stats = Rc::new(RefCell::new(Stats::new()));
    let per_thread = (plan.open_at_once / plan.threads.max(1)).max(1);
    let opened = rt.block_on(open_all(
        &connector,
        plan,
        mine.len(),
        per_thread,
        &stats,
        &live,
    ));
    barrier.wait();
    // The first thread past the barrier fixes the start for all.
    let &(t0, _, _) =
        start.get_or_init(|| (Instant::now(), std::time::Instant::now(), cpu::used()));
    let window = Window {
        start: t0,
        measure_from: t0 + plan.warmup,
        stop: t0 + plan.warmup + plan.duration,
    };
    let interval = plan.interval();
    let plan = Rc::new(plan.clone());
    rt.block_on(async {
        let local = tokio::task::LocalSet::new();
        for (i, up) in opened.into_iter().enumerate() {
            let offset = interval.map_or(Duration::ZERO, |iv| {
                iv.mul_f64(mine.get(i).copied().unwrap_or(0) as f64 / plan.connections as f64)
            });
            let (stats, plan, live) = (stats.clone(), plan.clone(), live.clone());
            local.spawn_local(async move {
                Loaded {
                    plan: &plan,
                    window,
                    offset,
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

/// Opens `n` connections, `at_once` at a time, each under the plan's deadline.
async fn open_all(
    connector: &Arc<Connector>,
    plan: &Plan,
    n: usize,
    at_once: usize,
    stats: &Rc<RefCell<Stats>>,
    live: &Arc<Live>,
) -> Vec<Upgraded> {
    let permits = Rc::new(Semaphore::new(at_once));
    let opened = Rc::new(RefCell::new(Vec::with_capacity(n)));
    let local = tokio::task::LocalSet::new();
    for _ in 0..n {
        let (permits, opened, stats) = (permits.clone(), opened.clone(), stats.clone());
        let (connector, live) = (connector.clone(), live.clone());
        let timeout = plan.timeout;
        local.spawn_local(async move {
            let Ok(_permit) = permits.acquire().await else {
                return;
            };
            match connector.connect(Instant::now() + timeout).await {
                Ok(up) => {
                    let mut s = stats.borrow_mut();
                    s.connect.record(&up.times);
                    s.opened += 1;
                    live.open.fetch_add(1, Relaxed);
                    opened.borrow_mut().push(up);
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
        connections: plan.connections,
        connections_opened: stats.opened,
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
        connect_ms: stats.connect.summary(),
        errors: stats.errors,
        client_cpu_percent: cpu_percent,
        client_limited: cpu_percent >= CLIENT_LIMIT_PERCENT * threads as f64,
    }
}
