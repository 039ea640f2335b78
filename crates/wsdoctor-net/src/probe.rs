//! The layer walk: each step records its evidence and timing, and the walk stops at
//! the first layer that makes going on impossible (later layers stay `None`). The
//! probes over time (`--idle`, `--concurrency`) run on connections of their own after
//! the session, so the session's evidence stays about the session.

use crate::deadline::{Deadline, ms_since};
use crate::dns::{self, DNS_CAP, Target};
use crate::http::{self, UpgradeRequest, Upgraded};
use crate::options::{Http2Mode, ProbeOptions, ProxySetting};
use crate::over_time::{self, Failure, Failures};
use crate::proxy::{self, Route};
use crate::session::{self, Conn};
use crate::stream::BoxIo;
use crate::tcp;
use crate::tls::{self, TlsSetup};
use crate::wire::{NoWire, Wire, WireObserver};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;
use wsdoctor_core::Layer;
use wsdoctor_core::evidence::{
    Evidence, H2Evidence, H2Outcome, HttpOutcome, HttpResponse, IdleEvidence, LoadEvidence,
    LoadFailureKind, PlaintextProbe, ProxyEvidence, ProxyKind, ProxyOutcome, TcpOutcome, Timing,
    TlsEvidence, TlsOutcome,
};

/// The plaintext probe after a TLS failure waits at most this long.
const PLAINTEXT_PROBE_CAP: Duration = Duration::from_secs(3);
/// The automatic HTTP/2 probe (no `--http2`) runs within what is left of the
/// probe's deadline and at most this long, so a server that hangs on HTTP/2 never
/// makes a check overrun `--timeout`.
const H2_AUTO_CAP: Duration = Duration::from_secs(4);
/// Less time than this left: the automatic HTTP/2 probe is not started.
const H2_AUTO_MIN: Duration = Duration::from_millis(500);

/// Probes `opts.url` layer by layer. Never panics on network data and returns by
/// `opts.timeout`, plus the idle time and keep-alive trial when `--idle` is given.
pub async fn probe(opts: &ProbeOptions, observer: &dyn WireObserver) -> Evidence {
    let route = proxy::route(opts);
    if !(opts.compare_direct && matches!(route, Route::Proxy(_))) {
        return walk(opts, route, observer).await;
    }
    // The direct path runs at the same time, so the comparison costs no extra time.
    let direct_opts = ProbeOptions {
        proxy: ProxySetting::None,
        compare_direct: false,
        idle: None,
        concurrency: None,
        ..opts.clone()
    };
    let (mut ev, direct) = tokio::join!(
        walk(opts, route, observer),
        walk(&direct_opts, Route::Direct, &NoWire)
    );
    if let Some(p) = ev.proxy.as_mut() {
        p.direct = Some(Box::new(direct));
    }
    ev
}

async fn walk(opts: &ProbeOptions, route: Route, observer: &dyn WireObserver) -> Evidence {
    let mut walk = Walk {
        opts,
        wire: Wire::new(observer, opts.show_secrets),
        deadline: Deadline::after(opts.timeout),
        route,
        tls: None,
        ev: Evidence {
            url: opts.url.clone(),
            request: opts.request_options(),
            checked_at: unix_now(),
            ..Default::default()
        },
    };
    walk.run().await;
    walk.ev
}

struct Walk<'a> {
    opts: &'a ProbeOptions,
    wire: Wire<'a>,
    deadline: Deadline,
    route: Route,
    /// Loaded once, reused by every connection of this probe.
    tls: Option<Result<Arc<TlsSetup>, String>>,
    ev: Evidence,
}

impl Walk<'_> {
    async fn run(&mut self) {
        if self.opts.url.host.is_empty() || self.opts.url.port == 0 {
            // The URL layer found nothing to connect to; its issues say why.
            return;
        }
        let target = self.target();
        let Some(io) = self.transport(&target).await else {
            return;
        };
        let io = if self.opts.url.secure {
            match self.secure(io, &target).await {
                Some(io) => io,
                None => return,
            }
        } else {
            io
        };
        let request = UpgradeRequest::new(self.opts, rand::random());
        let start = Instant::now();
        let (http, upgraded) = http::upgrade(&request, io, self.deadline.end(), self.wire).await;
        self.time(Layer::Http, start);
        self.ev.http = Some(http);
        if let Some(upgraded) = upgraded {
            let start = Instant::now();
            let session = session::run(self.opts, upgraded, self.deadline, self.wire).await;
            self.time(Layer::Session, start);
            self.ev.session = Some(session);
        }
        // After the HTTP/1.1 result whatever it was: either path may work alone.
        let h2 = match self.opts.http2 {
            Http2Mode::Auto => self.opts.url.secure,
            Http2Mode::On => true,
            Http2Mode::Off => false,
        };
        if h2 {
            self.http2(&target).await;
        }
        if self.ev.session.is_none() {
            return;
        }
        if let Some(idle) = self.opts.idle {
            self.idle(&target, idle).await;
        }
        if let Some(n) = self.opts.concurrency.filter(|n| *n > 0) {
            self.load(&target, n).await;
        }
    }

    fn target(&self) -> Target {
        dns::connect_target(
            &self.opts.url.host,
            self.opts.url.port,
            &self.opts.connect_to,
        )
    }

    /// A byte stream to the target: directly or through the chosen proxy.
    async fn transport(&mut self, target: &Target) -> Option<BoxIo> {
        match self.route.clone() {
            Route::Direct => self.direct_tcp(target).await,
            Route::Bypassed { variable, by, url } => {
                self.wire.note(format!(
                    "{by} matches {}: not using the proxy from {variable}",
                    self.opts.url.host
                ));
                self.ev.proxy = Some(ProxyEvidence {
                    url,
                    kind: ProxyKind::Http,
                    chosen_by: format!("{variable}, bypassed by {by}"),
                    outcome: ProxyOutcome::Bypassed,
                    reply_head: None,
                    reply_body: None,
                    direct: None,
                    ms: 0.0,
                });
                self.direct_tcp(target).await
            }
            Route::Invalid {
                chosen_by,
                url,
                message,
            } => {
                self.ev.proxy = Some(ProxyEvidence {
                    url,
                    kind: ProxyKind::Http,
                    chosen_by,
                    outcome: ProxyOutcome::Error { message },
                    reply_head: None,
                    reply_body: None,
                    direct: None,
                    ms: 0.0,
                });
                None
            }
            Route::Proxy(chosen) => {
                let start = Instant::now();
                let t =
                    proxy::tunnel(&chosen, target, self.opts, self.deadline.end(), self.wire).await;
                self.time(Layer::Proxy, start);
                self.ev.dns = t.target_dns;
                self.ev.proxy = Some(t.evidence);
                t.io
            }
        }
    }

    /// DNS then TCP to `target`.
    async fn direct_tcp(&mut self, target: &Target) -> Option<BoxIo> {
        let start = Instant::now();
        let dns = dns::resolve(self.opts, target, self.deadline.phase(DNS_CAP), self.wire).await;
        self.time(Layer::Dns, start);
        let addrs = dns.addresses.clone();
        self.ev.dns = Some(dns);
        if addrs.is_empty() {
            return None;
        }
        let start = Instant::now();
        let (tcp, stream) = tcp::connect(&addrs, target.port, self.deadline.end(), self.wire).await;
        self.time(Layer::Tcp, start);
        self.ev.tcp = Some(tcp);
        stream.map(|s| Box::new(s) as BoxIo)
    }

    /// TLS over `io` for the URL's host (not a `--connect-to` target: the certificate
    /// must match the name the user asked for).
    async fn secure(&mut self, io: BoxIo, target: &Target) -> Option<BoxIo> {
        let start = Instant::now();
        let (mut tls, io, silent) = match self.tls_setup() {
            Ok(setup) => {
                tls::handshake_recorded(
                    &setup,
                    &self.opts.url.host,
                    io,
                    self.deadline.end(),
                    self.wire,
                    tls::HTTP1,
                )
                .await
            }
            Err(message) => {
                let outcome = TlsOutcome::Failed {
                    alert: None,
                    message,
                };
                let ev = TlsEvidence {
                    outcome,
                    ..Default::default()
                };
                (ev, None, false)
            }
        };
        self.time(Layer::Tls, start);
        if silent {
            tls.plaintext_probe = self.plaintext_probe(target).await;
        }
        self.ev.tls = Some(tls);
        io
    }

    fn tls_setup(&mut self) -> Result<Arc<TlsSetup>, String> {
        self.tls
            .get_or_insert_with(|| TlsSetup::new(self.opts).map(Arc::new))
            .clone()
    }

    /// The WebSocket over HTTP/2 on a connection of its own: offered h2 beside
    /// http/1.1 in ALPN (or, for `ws://` with `--http2`, spoken with prior knowledge).
    async fn http2(&mut self, target: &Target) {
        let requested = self.opts.http2 == Http2Mode::On;
        let budget = if requested {
            self.opts.timeout
        } else {
            // Within what is left of --timeout: `serve`'s scrapes and scripts rely on it.
            let left = self
                .deadline
                .end()
                .saturating_duration_since(Instant::now());
            if left < H2_AUTO_MIN {
                self.wire
                    .note("h2: no time left for the automatic HTTP/2 probe");
                return;
            }
            left.min(H2_AUTO_CAP)
        };
        let deadline = Deadline::after(budget);
        let start = Instant::now();
        let mut ev = H2Evidence {
            requested,
            ..H2Evidence::default()
        };
        match self.reopen(target, deadline.end()).await {
            Err(f) => ev.outcome = H2Outcome::Failed { message: f.detail },
            Ok(io) if !self.opts.url.secure => {
                self.wire
                    .note("h2: prior knowledge (h2c) on the plaintext port");
                crate::http2::probe(self.opts, io, &mut ev, deadline, self.wire).await;
            }
            Ok(io) => match self.tls_setup() {
                Err(message) => ev.outcome = H2Outcome::Failed { message },
                Ok(setup) => {
                    let t = Instant::now();
                    let quiet = Wire::new(&NoWire, self.opts.show_secrets);
                    let host = &self.opts.url.host;
                    let (tls, io, _) = tls::handshake_recorded(
                        &setup,
                        host,
                        io,
                        deadline.end(),
                        quiet,
                        tls::H2_OR_HTTP1,
                    )
                    .await;
                    ev.timings.push(Timing {
                        layer: Layer::Tls,
                        ms: ms_since(t),
                    });
                    ev.alpn = tls.alpn.clone();
                    self.wire.note(format!(
                        "h2: offered h2, http/1.1 in ALPN; the server chose {}",
                        ev.alpn.as_deref().unwrap_or("none")
                    ));
                    match io {
                        None => {
                            let message = tls_words(&tls.outcome);
                            ev.outcome = H2Outcome::Failed { message };
                        }
                        Some(_) if ev.alpn.as_deref() != Some("h2") => {
                            ev.outcome = H2Outcome::NotNegotiated;
                        }
                        Some(io) => {
                            crate::http2::probe(self.opts, io, &mut ev, deadline, self.wire).await;
                        }
                    }
                }
            },
        }
        ev.ms = ms_since(start);
        self.ev.h2 = Some(ev);
    }

    /// Another upgraded connection to the same endpoint, evidence discarded: for
    /// the probes over time, once the walk has shown that the path works.
    async fn reconnect(&mut self, target: &Target, end: Instant) -> Option<Upgraded> {
        self.connect_again(target, end).await.ok()
    }

    /// [`Self::reconnect`], saying why it failed (the load probe counts failures).
    async fn connect_again(&mut self, target: &Target, end: Instant) -> Result<Upgraded, Failure> {
        let quiet = Wire::new(&NoWire, self.opts.show_secrets);
        let io = self.reopen(target, end).await?;
        let io = if self.opts.url.secure {
            let setup = self
                .tls_setup()
                .map_err(|m| Failure::new(LoadFailureKind::Tls, m))?;
            let (ev, io) = tls::handshake(&setup, &self.opts.url.host, io, end, quiet).await;
            io.ok_or_else(|| Failure::new(LoadFailureKind::Tls, tls_words(&ev.outcome)))?
        } else {
            io
        };
        let request = UpgradeRequest::new(self.opts, rand::random());
        let (http, upgraded) = http::upgrade(&request, io, end, quiet).await;
        match (http.outcome, upgraded) {
            (HttpOutcome::Response(r), Some(up)) if r.status == 101 => Ok(up),
            (HttpOutcome::Response(r), _) => Err(Failure {
                status: Some(r.status),
                ..Failure::new(LoadFailureKind::NoUpgrade, status_words(&r))
            }),
            (other, _) => Err(Failure::new(LoadFailureKind::NoAnswer, http_words(&other))),
        }
    }

    /// Another byte stream to the target by the same route, evidence discarded.
    async fn reopen(&self, target: &Target, end: Instant) -> Result<BoxIo, Failure> {
        let quiet = Wire::new(&NoWire, self.opts.show_secrets);
        match &self.route {
            Route::Proxy(chosen) => {
                let t = proxy::tunnel(chosen, target, self.opts, end, quiet).await;
                t.io.ok_or_else(|| {
                    Failure::new(LoadFailureKind::Proxy, proxy_words(&t.evidence.outcome))
                })
            }
            Route::Invalid { message, .. } => {
                Err(Failure::new(LoadFailureKind::Other, message.clone()))
            }
            Route::Direct | Route::Bypassed { .. } => {
                let dns =
                    dns::resolve(self.opts, target, end.min(Instant::now() + DNS_CAP), quiet).await;
                if dns.addresses.is_empty() {
                    let what = format!("no address for {}", target.host);
                    return Err(Failure::new(LoadFailureKind::Other, what));
                }
                let (tcp, stream) = tcp::connect(&dns.addresses, target.port, end, quiet).await;
                match stream {
                    Some(s) => Ok(Box::new(s)),
                    None => Err(tcp_failure(
                        tcp.attempts.last().map(|a| (a.addr, &a.outcome)),
                    )),
                }
            }
        }
    }

    /// TLS died before the server sent a byte: a plaintext server that drops a
    /// ClientHello looks just like a TLS server that refused us. One plain HTTP request
    /// on a fresh connection to the same port tells them apart.
    async fn plaintext_probe(&mut self, target: &Target) -> Option<PlaintextProbe> {
        let end = self.deadline.phase(PLAINTEXT_PROBE_CAP);
        let io = self.reopen(target, end).await.ok()?;
        self.wire
            .note("TLS died without a byte: trying one plaintext GET / on the same port");
        let host = UpgradeRequest::new(self.opts, [0; 16]).request.host;
        let probe = http::plaintext_probe(io, &host, end).await;
        self.wire
            .note(format!("plaintext GET / answered: {}", probe.answer));
        Some(probe)
    }

    /// `--idle`: a fresh connection held idle; if it is cut, a second one with
    /// keep-alive pings below the cut. Runs on its own budget (the idle time on top
    /// of the timeout) because waiting is the point.
    async fn idle(&mut self, target: &Target, idle: Duration) {
        let start = Instant::now();
        let budget = Deadline::after(self.opts.timeout);
        let mut evidence = IdleEvidence {
            requested_s: idle.as_secs_f64(),
            cut: None,
            keepalive: None,
            messages: 0,
        };
        self.wire.note(format!(
            "holding a connection idle for {:.1} s",
            idle.as_secs_f64()
        ));
        let Some(up) = self.reconnect(target, budget.end()).await else {
            self.wire
                .note("idle probe: could not open a second connection");
            self.time(Layer::Async, start);
            return;
        };
        let mut conn = Conn::new(up, self.opts, self.wire);
        evidence.cut = over_time::hold_idle(&mut conn, idle, &mut evidence.messages).await;
        self.note_server_pings(&conn);
        conn.close_quietly().await;
        if let Some(cut) = &evidence.cut {
            let interval = over_time::keepalive_interval(cut.after_ms, self.opts.ping_interval);
            let hold = over_time::keepalive_hold(cut.after_ms);
            let budget = Deadline::after(self.opts.timeout);
            if let Some(up) = self.reconnect(target, budget.end()).await {
                let mut conn = Conn::new(up, self.opts, self.wire);
                evidence.keepalive = Some(over_time::keepalive(&mut conn, interval, hold).await);
                conn.close_quietly().await;
            }
        }
        self.ev.idle = Some(evidence);
        self.time(Layer::Async, start);
    }

    /// `--concurrency N`: a probe connection measured quiet and while N others send.
    /// Every connection that cannot be opened (or that the server ends during the
    /// load) is counted by why, so a load that was not applied never reads healthy.
    async fn load(&mut self, target: &Target, n: usize) {
        let start = Instant::now();
        let end = self.deadline.end();
        let mut failed = Failures::default();
        let up = match self.connect_again(target, end).await {
            Ok(up) => up,
            Err(f) => {
                // Not even the measuring connection: no load was applied at all.
                self.wire
                    .note(format!("load: the probe connection failed: {}", f.detail));
                failed.add(f, 1);
                let not_tried = Failure::new(LoadFailureKind::NotTried, "no probe connection");
                failed.add(not_tried, n);
                self.ev.load = Some(LoadEvidence {
                    connections: 0,
                    idle_rtt_p50_ms: 0.0,
                    idle_rtt_p99_ms: 0.0,
                    loaded_rtt_p50_ms: 0.0,
                    loaded_rtt_p99_ms: 0.0,
                    writes_stalled: false,
                    requested: n,
                    failed: failed.into_vec(),
                });
                self.time(Layer::Async, start);
                return;
            }
        };
        // Quiet: -v would otherwise print every measuring ping.
        let mut probe = Conn::new(up, self.opts, Wire::new(&NoWire, false));
        let mut others = Vec::with_capacity(n);
        // Sequential opens keep the server's accept path out of the measurement.
        for i in 0..n {
            if Instant::now() >= end {
                let deadline = Failure::new(LoadFailureKind::NotTried, "the deadline came first");
                failed.add(deadline, n - i);
                break;
            }
            match self.connect_again(target, end).await {
                Ok(up) => others.push(Conn::new_load(up, self.opts, Wire::new(&NoWire, false))),
                Err(f) => failed.add(f, 1),
            }
        }
        self.wire.note(format!(
            "load: {} of {n} extra connections open",
            others.len()
        ));
        let mut load = over_time::load(&mut probe, &mut others, end).await;
        failed.ended_early(&others);
        load.requested = n;
        load.failed = failed.into_vec();
        self.wire.note(format!(
            "load: round trip p50 {:.1} ms quiet, {:.1} ms with {} busy connections (p99 {:.1} → {:.1} ms)",
            load.idle_rtt_p50_ms,
            load.loaded_rtt_p50_ms,
            load.connections,
            load.idle_rtt_p99_ms,
            load.loaded_rtt_p99_ms
        ));
        probe.close_quietly().await;
        for c in &mut others {
            c.close_quietly().await;
        }
        self.ev.load = Some(load);
        self.time(Layer::Async, start);
    }

    fn note_server_pings(&mut self, conn: &Conn<'_>) {
        if let Some(s) = self.ev.session.as_mut() {
            let room = crate::session::MAX_SERVER_PINGS.saturating_sub(s.server_pings_ms.len());
            let kept = conn.server_pings.len().min(room);
            s.server_pings_ms
                .extend(conn.server_pings.iter().take(kept).copied());
            s.server_pings_dropped +=
                conn.server_pings_dropped + (conn.server_pings.len() - kept) as u64;
        }
    }

    fn time(&mut self, layer: Layer, start: Instant) {
        self.ev.timings.push(Timing {
            layer,
            ms: ms_since(start),
        });
    }
}

/// A failed TCP connect as a load failure, by the last attempt's outcome.
fn tcp_failure(last: Option<(std::net::SocketAddr, &TcpOutcome)>) -> Failure {
    let Some((addr, outcome)) = last else {
        return Failure::new(LoadFailureKind::Other, "no connection attempt");
    };
    let (kind, words) = match outcome {
        TcpOutcome::Refused => (LoadFailureKind::Refused, "refused".to_string()),
        TcpOutcome::Reset => (LoadFailureKind::Refused, "reset".to_string()),
        TcpOutcome::TimedOut => (LoadFailureKind::NoAnswer, "timed out".to_string()),
        TcpOutcome::LocalLimit { message } => (LoadFailureKind::LocalLimit, message.clone()),
        TcpOutcome::Unreachable { detail } => (LoadFailureKind::Other, detail.clone()),
        TcpOutcome::Error { message } => (LoadFailureKind::Other, message.clone()),
        TcpOutcome::Connected | TcpOutcome::Cancelled => {
            (LoadFailureKind::Other, "no outcome".to_string())
        }
    };
    Failure::new(kind, format!("TCP to {addr}: {words}"))
}

/// The answer's status line, plus `Server` and the body's first line (which name a
/// capping proxy, or the lab and its cap).
fn status_words(r: &HttpResponse) -> String {
    let server = r
        .header("server")
        .map(|s| format!(" (Server: {})", crate::text::printable(s.as_bytes())))
        .unwrap_or_default();
    let body = r.body.lines().find(|l| !l.trim().is_empty()).map(|l| {
        let l: String = l.trim().chars().take(BODY_WORDS).collect();
        format!(": {l}")
    });
    format!(
        "HTTP/1.{} {} {}{server}{}",
        r.version,
        r.status,
        r.reason,
        body.unwrap_or_default()
    )
}

/// How much of a refusal's body a load failure quotes.
const BODY_WORDS: usize = 160;

fn http_words(o: &HttpOutcome) -> String {
    match o {
        HttpOutcome::Response(r) => status_words(r),
        HttpOutcome::Silence => "no answer to the Upgrade".into(),
        HttpOutcome::Closed => "closed without an answer to the Upgrade".into(),
        HttpOutcome::Reset => "reset before answering the Upgrade".into(),
        HttpOutcome::NotHttp { .. } => "answered the Upgrade with bytes that are not HTTP".into(),
        HttpOutcome::HeadTooLarge { limit } => format!("a response head over {limit} bytes"),
        HttpOutcome::Malformed { message, .. } => format!("a malformed response ({message})"),
    }
}

fn tls_words(o: &TlsOutcome) -> String {
    match o {
        TlsOutcome::Failed { message, .. } => format!("TLS failed: {message}"),
        TlsOutcome::NotTls { .. } => "the answer to the ClientHello was not TLS".into(),
        TlsOutcome::Silence => "no answer to the ClientHello".into(),
        TlsOutcome::Closed => "closed during the TLS handshake".into(),
        TlsOutcome::Established => "TLS established, no stream".into(),
    }
}

fn proxy_words(o: &ProxyOutcome) -> String {
    match o {
        ProxyOutcome::Unreachable { detail } => format!("proxy unreachable: {detail}"),
        ProxyOutcome::AuthRequired { .. } => "the proxy answered CONNECT with 407".into(),
        ProxyOutcome::Refused { status } => format!("the proxy refused CONNECT with {status}"),
        ProxyOutcome::Closed => "the proxy closed the connection during CONNECT".into(),
        ProxyOutcome::Timeout => "the proxy did not answer in time".into(),
        ProxyOutcome::Error { message } | ProxyOutcome::BadReply { message } => message.clone(),
        ProxyOutcome::Tunnel | ProxyOutcome::Bypassed => "no tunnel".into(),
    }
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
