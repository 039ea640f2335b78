//! `wsdoctor serve`: the WebSocket check as a Prometheus exporter, in the
//! blackbox_exporter convention (`/probe?target=URL&module=NAME`), with the
//! exporter's own `/metrics`, targets from a config file probed on their interval,
//! and a status page a person can read.
//!
//! Each probe is exactly `wsdoctor check`: the module's options are resolved by
//! `check::options` and the report comes from `check::probe`; this module only
//! bounds how many run at once and how long each may take, and renders the report as
//! metrics (`probe`, `metrics`) or HTML (`page`).

pub(crate) mod config;
mod http;
mod metrics;
pub(crate) mod page;
mod probe;

use self::config::{Config, DEFAULT_MODULE, Module};
use self::http::{Request, Response};
use self::metrics::{Exposition, Metric};
use crate::cmd::check;
use crate::render;
use crate::signals::{Signals, Stop};
use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use wsdoctor_core::{Report, Verdict};

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (port 0: any free port; the address is printed at start).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9716")]
    pub listen: String,
    /// YAML file with modules (check options), targets to probe on an interval, and allow_targets.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Most probes running at once; more wait up to their deadline, then get 503.
    #[arg(long, value_name = "N", default_value = "16")]
    pub max_concurrent: usize,
    /// Probe deadline in seconds when neither the module, ?timeout= nor Prometheus' scrape timeout sets a shorter one.
    #[arg(long, value_name = "SECS", default_value = "10")]
    pub timeout: f64,
    /// Seconds taken off Prometheus' scrape timeout, so the answer arrives before Prometheus gives up.
    #[arg(long, value_name = "SECS", default_value = "0.5")]
    pub timeout_offset: f64,
    /// Let /probe target only hosts matching PATTERN: host, *.domain, host:port or * (repeatable; adds to the config's allow_targets).
    #[arg(long = "allow", value_name = "PATTERN")]
    pub allow: Vec<String>,
}

pub fn run(args: ServeArgs) -> anyhow::Result<i32> {
    let settings = Settings::from_args(&args)?;
    let config = load(args.config.as_deref(), &args.allow).map_err(super::usage)?;
    let addr: SocketAddr = args.listen.parse().map_err(|_| {
        super::usage(format!(
            "--listen {:?}: expected HOST:PORT with an IP address, e.g. 127.0.0.1:9716 or [::]:9716",
            args.listen
        ))
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            super::usage(format!(
                "--listen {addr}: cannot listen there ({e}); pick another port or stop what holds it"
            ))
        })?;
        let local = listener.local_addr()?;
        let server = Arc::new(Server::new(settings, config, args.config.clone(), args.allow));
        let stop = Signals::listen()?;
        server.schedule();
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "wsdoctor serve: listening on http://{local}/")?;
            out.flush()?;
        }
        serve(server, listener, stop).await;
        Ok(0)
    })
}

/// The limits every probe runs under.
#[derive(Clone, Copy, Debug)]
struct Settings {
    max_concurrent: usize,
    timeout: f64,
    offset: f64,
}

impl Settings {
    fn from_args(a: &ServeArgs) -> anyhow::Result<Settings> {
        if a.max_concurrent == 0 || a.max_concurrent > MAX_CONCURRENT {
            return Err(super::usage(format!(
                "--max-concurrent takes 1 to {MAX_CONCURRENT} probes"
            )));
        }
        if !(a.timeout.is_finite() && a.timeout > 0.0 && a.timeout <= MAX_TIMEOUT) {
            return Err(super::usage(format!(
                "--timeout {} must be above 0 and at most {MAX_TIMEOUT} seconds",
                a.timeout
            )));
        }
        if !(a.timeout_offset.is_finite() && a.timeout_offset >= 0.0 && a.timeout_offset < 60.0) {
            return Err(super::usage("--timeout-offset takes 0 to 60 seconds"));
        }
        Ok(Settings {
            max_concurrent: a.max_concurrent,
            timeout: a.timeout,
            offset: a.timeout_offset,
        })
    }
}

const MAX_CONCURRENT: usize = 1024;
/// The longest probe deadline: the longest scrape timeout anyone sets is far below.
const MAX_TIMEOUT: f64 = 300.0;
/// The shortest: a deadline below this cannot fit a TCP and TLS handshake anywhere.
const MIN_TIMEOUT: f64 = 0.1;
/// Open client connections at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 512;
/// Probes kept for the status page besides each configured target's last one.
const RECENT: usize = 50;
/// Lines of the wire transcript kept for `&debug=true`.
const DEBUG_LINES: usize = 2000;

fn load(path: Option<&std::path::Path>, allow: &[String]) -> Result<Config, String> {
    let mut config = match path {
        Some(p) => Config::load(p)?,
        None => Config::builtin(),
    };
    for p in allow {
        if p.is_empty() || p.contains(['/', ' ']) {
            return Err(format!(
                "--allow {p:?} is not a host pattern; use a host, *.domain, host:port or *"
            ));
        }
        config.allow.push(p.to_ascii_lowercase());
    }
    Ok(config)
}

/// Why a target cannot be probed at all, in the catalog's words; `None` when usable.
pub fn unusable_target(target: &str) -> Option<String> {
    if target.len() > MAX_TARGET {
        return Some(format!(
            "the target is {} characters long; at most {MAX_TARGET} are accepted",
            target.len()
        ));
    }
    let url = wsdoctor_core::url::analyze(target, false);
    if !wsdoctor_core::url::is_unusable(&url) {
        return None;
    }
    let report = wsdoctor_core::report(wsdoctor_core::Evidence {
        url,
        ..Default::default()
    });
    let f = report.findings.iter().find(|f| f.is_error())?;
    Some(format!(
        "{} [{}]: {} Fix: {}",
        f.title, f.id, f.detail, f.fix
    ))
}

const MAX_TARGET: usize = 4096;

/// The exporter: its config, limits and what it has seen.
struct Server {
    settings: Settings,
    config: RwLock<Arc<Config>>,
    config_path: Option<PathBuf>,
    cli_allow: Vec<String>,
    permits: Arc<Semaphore>,
    stats: Mutex<Stats>,
    schedule: Mutex<JoinSet<()>>,
    started: f64,
}

/// Counters and the probes the status page shows, each bounded.
#[derive(Default)]
struct Stats {
    probes: BTreeMap<(String, &'static str), u64>,
    rejected: BTreeMap<&'static str, u64>,
    reloads: BTreeMap<&'static str, u64>,
    in_flight: usize,
    recent: VecDeque<Arc<page::Record>>,
    /// The last result of each configured target, by (url, module).
    scheduled: BTreeMap<(String, String), Arc<page::Record>>,
}

/// What a route answers when it does not probe.
struct Rejection {
    reason: &'static str,
    response: Response,
}

impl Rejection {
    fn bad(msg: impl Into<String>) -> Rejection {
        Rejection {
            reason: "bad-request",
            response: Response::text(400, msg),
        }
    }
}

impl Server {
    fn new(
        settings: Settings,
        config: Config,
        config_path: Option<PathBuf>,
        cli_allow: Vec<String>,
    ) -> Server {
        Server {
            settings,
            config: RwLock::new(Arc::new(config)),
            config_path,
            cli_allow,
            permits: Arc::new(Semaphore::new(settings.max_concurrent)),
            stats: Mutex::new(Stats::default()),
            schedule: Mutex::new(JoinSet::new()),
            started: unix_now(),
        }
    }

    fn config(&self) -> Arc<Config> {
        // A panic while holding the lock cannot leave a half-written Arc behind.
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn handle(self: &Arc<Self>, req: Request) -> Response {
        let get = matches!(req.method.as_str(), "GET" | "HEAD");
        let result = match (req.path.as_str(), get) {
            ("/probe", true) => self.probe_route(&req).await,
            ("/metrics", true) => Ok(Response::new(
                200,
                metrics::CONTENT_TYPE,
                self.own_metrics().render(),
            )),
            ("/", true) => Ok(Response::new(
                200,
                "text/html; charset=utf-8",
                page::render(&self.page_data()),
            )),
            ("/-/healthy" | "/-/ready", true) => Ok(Response::text(200, "Healthy")),
            ("/-/reload", false) if matches!(req.method.as_str(), "POST" | "PUT") => {
                Ok(self.reload())
            }
            ("/-/reload", _) => Ok(Response::text(405, "use POST /-/reload")),
            (_, false) => Ok(Response::text(405, "only GET and HEAD are served here")),
            _ => Err(Rejection {
                reason: "not-found",
                response: Response::text(
                    404,
                    "not found; the exporter serves /probe?target=URL[&module=NAME], /metrics, / and /-/healthy",
                ),
            }),
        };
        match result {
            Ok(r) => r,
            Err(rej) => {
                *self.stats().rejected.entry(rej.reason).or_default() += 1;
                rej.response
            }
        }
    }

    async fn probe_route(self: &Arc<Self>, req: &Request) -> Result<Response, Rejection> {
        let target = req
            .param("target")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Rejection::bad(
                    "target parameter is missing: /probe?target=wss://host/path[&module=NAME]",
                )
            })?;
        if let Some(reason) = unusable_target(target) {
            return Err(Rejection::bad(format!(
                "target {target:?} cannot be probed: {reason}"
            )));
        }
        let config = self.config();
        let name = req.param("module").unwrap_or(DEFAULT_MODULE);
        let module = config.module(name).ok_or_else(|| {
            Rejection::bad(format!(
                "unknown module {name:?}; modules: {} (define more in --config)",
                config.module_names()
            ))
        })?;
        let url = wsdoctor_core::url::analyze(target, false);
        if !config.allows(&url.host, url.port) {
            return Err(Rejection {
                reason: "forbidden",
                response: Response::text(
                    403,
                    format!(
                        "target host {}:{} is not in allow_targets ({}); add it to the config or --allow",
                        url.host,
                        url.port,
                        config.allow.join(", ")
                    ),
                ),
            });
        }
        let timeout = self.deadline(module, req)?;
        let debug = req.param("debug") == Some("true");
        let done = self.run_probe(module, target, timeout, debug).await?;
        let body = if debug {
            done.debug_text()
        } else {
            done.exposition.render()
        };
        let record = Arc::new(done.record);
        let mut stats = self.stats();
        if stats.recent.len() == RECENT {
            stats.recent.pop_front();
        }
        stats.recent.push_back(record);
        let content_type = if debug {
            "text/plain; charset=utf-8"
        } else {
            metrics::CONTENT_TYPE
        };
        Ok(Response::new(200, content_type, body))
    }

    /// The probe deadline: the shortest of the module's timeout, `?timeout=` and the
    /// scrape timeout less the offset; `--timeout` when none is given.
    fn deadline(&self, module: &Module, req: &Request) -> Result<f64, Rejection> {
        let secs = |what: &str, v: &str| -> Result<f64, Rejection> {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0)
                .ok_or_else(|| {
                    Rejection::bad(format!("{what} {v:?} is not a number of seconds above 0"))
                })
        };
        let mut limits = Vec::new();
        if let Some(t) = module.timeout {
            limits.push(t);
        }
        if let Some(t) = req.param("timeout") {
            limits.push(secs("timeout", t)?);
        }
        if let Some(t) = &req.scrape_timeout {
            limits.push(secs("X-Prometheus-Scrape-Timeout-Seconds", t)? - self.settings.offset);
        }
        let t = limits
            .into_iter()
            .reduce(f64::min)
            .unwrap_or(self.settings.timeout);
        Ok(t.clamp(MIN_TIMEOUT, MAX_TIMEOUT))
    }

    /// One check under the concurrency limit and the deadline.
    async fn run_probe(
        self: &Arc<Self>,
        module: &Module,
        target: &str,
        timeout: f64,
        debug: bool,
    ) -> Result<Done, Rejection> {
        let opts = check::options(&module.check_args(target, timeout))
            .map_err(|e| Rejection::bad(format!("target {target:?}: {e}")))?;
        let wait = Duration::from_secs_f64(timeout);
        let start = Instant::now();
        let permit = match tokio::time::timeout(wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            _ => {
                return Err(Rejection {
                    reason: "busy",
                    response: Response::text(
                        503,
                        format!(
                            "{} probes were running for the whole {timeout} s deadline; raise --max-concurrent or scrape less often",
                            self.settings.max_concurrent
                        ),
                    ),
                });
            }
        };
        self.stats().in_flight += 1;
        let wire = Transcript::default();
        // check keeps its own deadline; this guard only bounds a probe that would not.
        let guard = wait + Duration::from_secs(2);
        let report = if debug {
            tokio::time::timeout(guard, check::probe(&opts, &wire)).await
        } else {
            tokio::time::timeout(guard, check::probe(&opts, &wsdoctor_net::NoWire)).await
        };
        drop(permit);
        let elapsed = start.elapsed();
        let report = report.unwrap_or_else(|_| overran(&opts, elapsed));
        let success = report.verdict != Verdict::Failed;
        {
            let mut stats = self.stats();
            stats.in_flight -= 1;
            let result = if success { "success" } else { "failure" };
            *stats
                .probes
                .entry((module.name.clone(), result))
                .or_default() += 1;
        }
        Ok(Done {
            exposition: probe::exposition(&report, elapsed),
            record: page::Record::new(&report, &module.name, unix_now(), elapsed),
            transcript: wire.lines(),
            report,
        })
    }

    fn own_metrics(&self) -> Exposition {
        let mut e = Exposition::default();
        e.sample(Metric::BuildInfo, &[env!("CARGO_PKG_VERSION")], 1.0);
        let stats = self.stats();
        e.declare(Metric::Probes);
        for ((module, result), n) in &stats.probes {
            e.sample(Metric::Probes, &[module, result], *n as f64);
        }
        for reason in ["bad-request", "forbidden", "busy", "not-found"] {
            let n = stats.rejected.get(reason).copied().unwrap_or(0);
            e.sample(Metric::Rejected, &[reason], n as f64);
        }
        e.sample(Metric::InFlight, &[], stats.in_flight as f64);
        e.sample(
            Metric::ConcurrencyLimit,
            &[],
            self.settings.max_concurrent as f64,
        );
        e.declare(Metric::TargetSuccess);
        for ((url, module), r) in &stats.scheduled {
            e.sample(
                Metric::TargetSuccess,
                &[url, module],
                f64::from(r.verdict != Verdict::Failed),
            );
            e.sample(Metric::TargetLastProbe, &[url, module], r.at as f64);
        }
        for result in ["success", "failure"] {
            let n = stats.reloads.get(result).copied().unwrap_or(0);
            e.sample(Metric::ConfigReloads, &[result], n as f64);
        }
        if let Some(rss) = resident_bytes() {
            e.sample(Metric::ResidentMemory, &[], rss);
        }
        e.sample(Metric::StartTime, &[], self.started);
        e
    }

    fn page_data(&self) -> page::Data {
        let stats = self.stats();
        let config = self.config();
        page::Data {
            targets: config
                .targets
                .iter()
                .map(|t| {
                    let last = stats
                        .scheduled
                        .get(&(t.url.clone(), t.module.clone()))
                        .cloned();
                    (t.clone(), last)
                })
                .collect(),
            recent: stats.recent.iter().rev().cloned().collect(),
            config: config.source.clone(),
            modules: config.module_names(),
        }
    }

    /// Re-read the config file; a broken one keeps the config that runs.
    fn reload(self: &Arc<Self>) -> Response {
        let loaded = load(self.config_path.as_deref(), &self.cli_allow);
        let result = if loaded.is_ok() { "success" } else { "failure" };
        *self.stats().reloads.entry(result).or_default() += 1;
        match loaded {
            Ok(c) => {
                *self.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(c);
                self.schedule();
                Response::text(200, "config reloaded")
            }
            Err(e) => Response::text(500, format!("config not reloaded, the old one stays: {e}")),
        }
    }

    /// (Re)start one task per configured target, spread over its interval.
    fn schedule(self: &Arc<Self>) {
        let config = self.config();
        let mut tasks = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        // Dropping the old set aborts its tasks and frees their entries.
        *tasks = JoinSet::new();
        {
            let mut stats = self.stats();
            stats.scheduled.retain(|(url, module), _| {
                config
                    .targets
                    .iter()
                    .any(|t| &t.url == url && &t.module == module)
            });
        }
        let n = config.targets.len().max(1) as u32;
        for (i, t) in config.targets.iter().enumerate() {
            let server = Arc::clone(self);
            let target = t.clone();
            let first = t.interval / n * i as u32;
            tasks.spawn(async move {
                tokio::time::sleep(first).await;
                loop {
                    server.scheduled_probe(&target).await;
                    tokio::time::sleep(target.interval).await;
                }
            });
        }
    }

    async fn scheduled_probe(self: &Arc<Self>, t: &config::Target) {
        let config = self.config();
        let Some(module) = config.module(&t.module) else {
            return;
        };
        let timeout = module
            .timeout
            .unwrap_or(self.settings.timeout)
            .min(t.interval.as_secs_f64())
            .clamp(MIN_TIMEOUT, MAX_TIMEOUT);
        if let Ok(done) = self.run_probe(module, &t.url, timeout, false).await {
            self.stats()
                .scheduled
                .insert((t.url.clone(), t.module.clone()), Arc::new(done.record));
        }
    }
}

/// A finished probe in every form a route needs.
struct Done {
    report: Report,
    exposition: Exposition,
    record: page::Record,
    transcript: Vec<String>,
}

impl Done {
    /// `&debug=true`: the report as `check` prints it, the wire, then the metrics.
    fn debug_text(&self) -> String {
        let mut out = Vec::new();
        let style = crate::output::Style {
            color: false,
            tty: false,
        };
        {
            let mut shown = render::shown::Shown::new(&mut out, false, false);
            let _ = render::human::report(&self.report, style, &mut shown);
            let _ = shown.flush();
        }
        let mut text = String::from_utf8_lossy(&out).into_owned();
        text.push_str("\nwire (redacted):\n");
        for l in &self.transcript {
            text.push_str(&render::shown::line(l, false, false));
            text.push('\n');
        }
        text.push_str("\nmetrics:\n");
        text.push_str(&self.exposition.render());
        text
    }
}

/// A report for a probe that outlived its guard: check failed to keep its deadline,
/// which the session layer reports as its own failure.
pub(crate) fn overran(opts: &wsdoctor_net::ProbeOptions, elapsed: Duration) -> Report {
    eprintln!(
        "wsdoctor: a probe of {} overran its deadline ({:.1} s)",
        opts.url.effective,
        elapsed.as_secs_f64()
    );
    let mut report = wsdoctor_core::report(wsdoctor_core::Evidence {
        url: opts.url.clone(),
        ..Default::default()
    });
    report.verdict = Verdict::Failed;
    report
}

/// The wire transcript of a debug probe, capped.
#[derive(Default)]
struct Transcript(Mutex<Vec<String>>);

impl Transcript {
    fn lines(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl wsdoctor_net::WireObserver for Transcript {
    fn wire(&self, line: wsdoctor_net::WireLine) {
        use wsdoctor_net::WireLine;
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() < DEBUG_LINES {
            lines.push(match line {
                WireLine::Sent(l) => format!("> {l}"),
                WireLine::Received(l) => format!("< {l}"),
                WireLine::Note(l) => format!("* {l}"),
            });
        }
    }
}

async fn serve(server: Arc<Server>, listener: TcpListener, mut stop: Signals) {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            s = stop.next() => match s {
                Stop::Reload => {
                    drop(server.reload());
                    continue;
                }
                Stop::Exit => return,
            },
        };
        let Ok((mut stream, _)) = accepted else {
            // Out of file descriptors and the like: wait, do not spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let server = Arc::clone(&server);
        tokio::spawn(async move {
            let _permit = permit;
            let resp = match http::read_request(&mut stream).await {
                Ok(req) => {
                    let head = req.method == "HEAD";
                    let resp = server.handle(req).await;
                    http::write_response(&mut stream, &resp, head).await;
                    return;
                }
                Err(http::ReadError::Gone) => return,
                Err(http::ReadError::TooLarge) => {
                    Response::text(413, format!("request head over {} bytes", http::MAX_HEAD))
                }
                Err(http::ReadError::Malformed) => Response::text(400, "not an HTTP/1.1 request"),
            };
            http::write_response(&mut stream, &resp, false).await;
        });
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Resident set size from /proc (Linux); `None` elsewhere.
fn resident_bytes() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions; it only reads a constant of the system.
    #[cfg(unix)]
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    #[cfg(not(unix))]
    let page = 4096.0;
    Some(pages * page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(config: &str) -> Arc<Server> {
        let settings = Settings {
            max_concurrent: 2,
            timeout: 10.0,
            offset: 0.5,
        };
        Arc::new(Server::new(
            settings,
            config::parse(config).unwrap(),
            None,
            Vec::new(),
        ))
    }

    fn req(path: &str, query: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            scrape_timeout: None,
        }
    }

    #[test]
    fn the_deadline_is_the_shortest_given_and_the_scrape_timeout_less_the_offset() {
        let s = server("modules: {slow: {timeout: 30}, quick: {timeout: 2}}");
        let config = s.config();
        let slow = config.module("slow").unwrap();
        let quick = config.module("quick").unwrap();
        let mut r = req("/probe", &[]);
        assert_eq!(
            s.deadline(config.module("default").unwrap(), &r).ok(),
            Some(10.0)
        );
        r.scrape_timeout = Some("5".into());
        assert_eq!(s.deadline(slow, &r).ok(), Some(4.5));
        assert_eq!(s.deadline(quick, &r).ok(), Some(2.0));
        let mut r = req("/probe", &[("timeout", "1.5")]);
        assert_eq!(s.deadline(slow, &r).ok(), Some(1.5));
        r.query[0].1 = "soon".into();
        assert!(s.deadline(slow, &r).is_err());
    }

    #[tokio::test]
    async fn bad_requests_are_answered_400_and_counted() {
        let s = server("modules: {a: {}}\nallow_targets: [127.0.0.1]");
        let status = |r: Response| (r.status, r.body);
        let (code, body) = status(s.handle(req("/probe", &[])).await);
        assert_eq!(code, 400);
        assert!(body.contains("target parameter is missing"), "{body}");
        let (code, body) = status(s.handle(req("/probe", &[("target", "ftp://x/")])).await);
        assert_eq!(code, 400);
        assert!(body.contains("[url-"), "names the catalog cause: {body}");
        let (code, body) = status(
            s.handle(req(
                "/probe",
                &[("target", "ws://127.0.0.1:1/"), ("module", "b")],
            ))
            .await,
        );
        assert_eq!(code, 400);
        assert!(body.contains("modules: default, a"), "{body}");
        let (code, _) = status(
            s.handle(req("/probe", &[("target", "ws://10.1.2.3:1/")]))
                .await,
        );
        assert_eq!(code, 403);
        let (code, _) = status(s.handle(req("/nope", &[])).await);
        assert_eq!(code, 404);
        let text = s.own_metrics().render();
        assert!(text.contains("wsdoctor_serve_requests_rejected_total{reason=\"bad-request\"} 3"));
        assert!(text.contains("wsdoctor_serve_requests_rejected_total{reason=\"forbidden\"} 1"));
    }

    #[tokio::test]
    async fn a_refused_port_is_a_probe_failure_at_the_tcp_layer() {
        // Bind then drop: the port is closed for the probe (loopback only).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let s = server("");
        let target = format!("ws://127.0.0.1:{port}/");
        let r = s.handle(req("/probe", &[("target", &target)])).await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("probe_success 0"), "{}", r.body);
        assert!(r.body.contains("probe_websocket_failed{layer=\"tcp\"} 1"));
        assert!(r.body.contains("cause=\"tcp-refused\""));
        assert!(r.body.contains("probe_websocket_exit_code 12"));
        let text = s.own_metrics().render();
        assert!(
            text.contains("wsdoctor_serve_probes_total{module=\"default\",result=\"failure\"} 1")
        );
    }
}
