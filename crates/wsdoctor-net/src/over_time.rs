//! Probes that need time or load to show a fault: an idle connection cut by an
//! intermediary (and the keep-alive pings that prove the fix), and a server whose
//! event loop blocks so that every connection stalls in lock-step.

use crate::deadline::ms_since;
use crate::session::{Conn, End, Step};
use futures_util::future::join_all;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};
use wsdoctor_core::evidence::{
    CloseOutcome, CutHow, IdleCut, KeepaliveTrial, LoadEvidence, LoadFailure, LoadFailureKind,
};
use wsdoctor_core::rules::event_loop_blocked;
use wsdoctor_proto::session::Event;

/// The shortest keep-alive interval we try.
const MIN_INTERVAL: Duration = Duration::from_millis(250);
/// Round trips measured on the quiet connection before load.
const IDLE_SAMPLES: usize = 10;
/// How long the loaded measurement runs at least, and at most.
const LOAD_WINDOW: Duration = Duration::from_secs(3);
const LOAD_MIN_SAMPLES: usize = 5;
/// One round trip may take this long before it counts as this long.
const RTT_CAP: Duration = Duration::from_secs(2);
/// A write that takes longer than this has stalled.
const WRITE_STALL: Duration = Duration::from_secs(1);
/// What each loading connection sends, over and over.
const LOAD_MESSAGE_LEN: usize = 1024;
/// The backpressure probe pushes at most this much: more than loopback's socket
/// buffers on both sides hold, so a server that does not read must block our writes.
const PUSH_CAP: usize = 16 * 1024 * 1024;
const PUSH_MESSAGE_LEN: usize = 16 * 1024;
/// Replies are drained after every this many pushed messages.
const PUSH_DRAIN_EVERY: usize = 16;
const PUSH_WINDOW: Duration = Duration::from_secs(2);

/// Holds `conn` idle (answering only the server's pings) for `hold` and reports if
/// and how it was cut.
pub(crate) async fn hold_idle(
    conn: &mut Conn<'_>,
    hold: Duration,
    messages: &mut u64,
) -> Option<IdleCut> {
    let start = Instant::now();
    let until = start + hold;
    loop {
        match conn.next_event(until).await {
            Step::Event(Event::Text(_) | Event::Binary(_)) => *messages += 1,
            Step::End(End::Timeout) => {
                conn.wire.note(format!(
                    "idle connection still open after {:.1} s",
                    hold.as_secs_f64()
                ));
                return None;
            }
            Step::Event(_) => continue,
            Step::End(end) => {
                let cut = cut(end, ms_since(start));
                conn.wire.note(format!(
                    "idle connection cut after {:.1} s ({})",
                    cut.after_ms / 1000.0,
                    cut.how
                ));
                return Some(cut);
            }
        }
    }
}

fn cut(end: End, after_ms: f64) -> IdleCut {
    let (how, close_code) = match end {
        End::ClosedByServer { code, .. } => (CutHow::CloseFrame, code),
        End::Reset => (CutHow::Reset, None),
        End::Failed(code) => (CutHow::ProtocolViolation, Some(code)),
        End::Eof | End::Timeout => (CutHow::Fin, None),
    };
    IdleCut {
        after_ms,
        how,
        close_code,
    }
}

/// The keep-alive interval to try against a cut after `cut_ms`: the user's, or half the cut.
pub(crate) fn keepalive_interval(cut_ms: f64, asked: Option<Duration>) -> Duration {
    asked.unwrap_or_else(|| Duration::from_secs_f64(cut_ms / 2000.0).max(MIN_INTERVAL))
}

/// The keep-alive trial outlives the cut by at least this much (for short cuts, where
/// half the cut would be within a scheduler's jitter).
const KEEPALIVE_MARGIN: Duration = Duration::from_millis(500);

/// How long the keep-alive trial holds: well past the cut that was seen.
pub(crate) fn keepalive_hold(cut_ms: f64) -> Duration {
    let cut = Duration::from_secs_f64(cut_ms / 1000.0);
    (cut + cut / 2).max(cut + KEEPALIVE_MARGIN)
}

/// Pings every `interval` for `hold`; survived = still open at the end.
pub(crate) async fn keepalive(
    conn: &mut Conn<'_>,
    interval: Duration,
    hold: Duration,
) -> KeepaliveTrial {
    let start = Instant::now();
    let until = start + hold;
    let mut next_ping = start + interval;
    let survived = loop {
        let wake = next_ping.min(until);
        match conn.next_event(wake).await {
            Step::End(End::Timeout) => {}
            Step::Event(_) => continue,
            Step::End(_) => break false,
        }
        if Instant::now() >= until {
            break conn.open();
        }
        if Instant::now() >= next_ping {
            if conn.send_ping(b"wsdoctor keep-alive", until).await.is_err() {
                break false;
            }
            next_ping += interval;
        }
    };
    conn.wire.note(format!(
        "keep-alive pings every {:.1} s: connection {} after {:.1} s",
        interval.as_secs_f64(),
        if survived { "held" } else { "was cut" },
        ms_since(start) / 1000.0
    ));
    KeepaliveTrial {
        interval_s: interval.as_secs_f64(),
        held_ms: ms_since(start),
        survived,
    }
}

/// Round trips on `probe` quiet, then while every connection in `load` keeps sending.
pub(crate) async fn load(
    probe: &mut Conn<'_>,
    load: &mut [Conn<'_>],
    end: Instant,
) -> LoadEvidence {
    let (idle, _) = round_trips(probe, IDLE_SAMPLES, Duration::ZERO, end, None).await;
    let window_end = end.min(Instant::now() + LOAD_WINDOW);
    let payload = "x".repeat(LOAD_MESSAGE_LEN);
    // The loaders stop with the measurement, which stops as soon as the samples show a
    // blocked loop: waiting out the window would only confirm it more slowly.
    let (done, stopped) = watch::channel(false);
    let loaders = join_all(
        load.iter_mut()
            .map(|c| keep_busy(c, &payload, window_end, stopped.clone())),
    );
    let idle_p50 = percentile(&idle, 0.5);
    let measure = async {
        let r = round_trips(probe, usize::MAX, LOAD_WINDOW, window_end, Some(idle_p50)).await;
        let _ = done.send(true);
        r
    };
    let (stalls, (loaded, probe_stalled)) = tokio::join!(loaders, measure);
    // After the round trips, so the push cannot disturb them.
    let push_stalled = push(probe, end).await;
    LoadEvidence {
        connections: load.len(),
        idle_rtt_p50_ms: percentile(&idle, 0.5),
        idle_rtt_p99_ms: percentile(&idle, 0.99),
        loaded_rtt_p50_ms: percentile(&loaded, 0.5),
        loaded_rtt_p99_ms: percentile(&loaded, 0.99),
        writes_stalled: probe_stalled || push_stalled || stalls.into_iter().any(|s| s),
        requested: load.len(),
        failed: Vec::new(),
    }
}

/// Why one connection could not be used for the load.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Failure {
    pub kind: LoadFailureKind,
    pub status: Option<u16>,
    pub detail: String,
}

impl Failure {
    pub(crate) fn new(kind: LoadFailureKind, detail: impl Into<String>) -> Failure {
        Failure {
            kind,
            status: None,
            detail: detail.into(),
        }
    }
}

/// Load connections that failed, grouped by kind and status, the first one's detail
/// kept: a handful of entries however many connections fail.
#[derive(Default)]
pub(crate) struct Failures(Vec<LoadFailure>);

impl Failures {
    pub(crate) fn add(&mut self, f: Failure, count: usize) {
        if count == 0 {
            return;
        }
        match self
            .0
            .iter_mut()
            .find(|g| g.kind == f.kind && g.status == f.status)
        {
            Some(g) => g.count += count,
            None => self.0.push(LoadFailure {
                kind: f.kind,
                count,
                status: f.status,
                detail: f.detail,
            }),
        }
    }

    /// Load connections the server ended while the load ran.
    pub(crate) fn ended_early(&mut self, conns: &[Conn<'_>]) {
        for c in conns.iter().filter(|c| !c.open()) {
            let detail = match c.ended_by_server() {
                Some(CloseOutcome::ByServer {
                    code: Some(code), ..
                }) => {
                    format!("closed with {code}")
                }
                Some(CloseOutcome::FailedByUs { code }) => {
                    format!("failed by us with {code} after a violation")
                }
                Some(CloseOutcome::Reset { .. }) => "reset".to_string(),
                _ => "closed without a close code".to_string(),
            };
            self.add(Failure::new(LoadFailureKind::EndedEarly, detail), 1);
        }
    }

    pub(crate) fn into_vec(self) -> Vec<LoadFailure> {
        self.0
    }
}

/// Ping round trips, one at a time, until `samples` are taken (and at least
/// `LOAD_MIN_SAMPLES` when running for a `window`) or `end`. A ping that gets no
/// pong counts as `RTT_CAP`. Returns the samples and whether a write stalled.
/// With `blocked_above` (the quiet median), it also stops once `LOAD_MIN_SAMPLES`
/// samples already show a blocked loop by core's own rule.
async fn round_trips(
    conn: &mut Conn<'_>,
    samples: usize,
    window: Duration,
    end: Instant,
    blocked_above: Option<f64>,
) -> (Vec<f64>, bool) {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut stalled = false;
    while out.len() < samples && conn.open() {
        let now = Instant::now();
        let min_taken = out.len() >= LOAD_MIN_SAMPLES;
        let conclusive = min_taken
            && blocked_above.is_some_and(|idle| event_loop_blocked(idle, percentile(&out, 0.5)));
        let enough = min_taken && now >= start + window;
        if enough || conclusive || now >= end {
            break;
        }
        let sent = Instant::now();
        let until = (sent + RTT_CAP).min(end);
        if conn
            .send_ping(b"wsdoctor rtt", sent + WRITE_STALL)
            .await
            .is_err()
        {
            stalled = true;
            break;
        }
        loop {
            match conn.next_event(until).await {
                Step::Event(Event::Pong(_)) => {
                    out.push(ms_since(sent));
                    break;
                }
                Step::Event(_) => continue,
                Step::End(_) => {
                    // No pong by the cap (or the deadline): a lower bound.
                    out.push(ms_since(sent));
                    break;
                }
            }
        }
    }
    (out, stalled)
}

/// Sends a message, waits for any reply (or a short while), again until `stop`.
/// Returns whether a write stalled.
/// Stops early when `stopped` turns true; only between whole messages, so a loading
/// connection never ends inside a frame it was writing.
async fn keep_busy(
    conn: &mut Conn<'_>,
    payload: &str,
    stop: Instant,
    mut stopped: watch::Receiver<bool>,
) -> bool {
    while Instant::now() < stop && conn.open() && !*stopped.borrow() {
        if conn
            .send_text(payload, Instant::now() + WRITE_STALL)
            .await
            .is_err()
        {
            return conn.open();
        }
        let wait = stop.min(Instant::now() + RTT_CAP);
        // Reading is cancel-safe: a read not yet completed loses no byte.
        let step = tokio::select! {
            step = conn.next_message(wait) => Some(step),
            _ = stopped.wait_for(|s| *s) => None,
        };
        if let Some(Step::End(End::Timeout)) = step {
            // No echo (an --expect server): keep the pressure on at a steady rate.
            tokio::select! {
                _ = sleep_until(wait.min(stop)) => {}
                _ = stopped.wait_for(|s| *s) => {}
            }
        }
    }
    false
}

/// Pushes messages without waiting for replies, draining whatever comes back now and
/// then (so a healthy echo is never blocked by us), to see whether the server keeps
/// reading. Returns whether a write blocked for longer than `WRITE_STALL`.
async fn push(conn: &mut Conn<'_>, end: Instant) -> bool {
    let stop = end.min(Instant::now() + PUSH_WINDOW);
    let payload = "x".repeat(PUSH_MESSAGE_LEN);
    let quiet = std::mem::replace(&mut conn.quiet, true);
    let mut sent = 0usize;
    let mut stalled = false;
    while sent < PUSH_CAP && Instant::now() < stop && conn.open() {
        if conn
            .send_text(&payload, Instant::now() + WRITE_STALL)
            .await
            .is_err()
        {
            stalled = conn.open();
            break;
        }
        sent += payload.len();
        if (sent / PUSH_MESSAGE_LEN).is_multiple_of(PUSH_DRAIN_EVERY) {
            let drain_until = Instant::now() + Duration::from_millis(1);
            while let Step::Event(_) = conn.next_event(drain_until).await {}
        }
    }
    conn.quiet = quiet;
    conn.wire.note(format!(
        "pushed {} KiB without waiting for replies: {}",
        sent / 1024,
        if stalled {
            "a write blocked for over 1 s (the server stopped reading)"
        } else {
            "writes kept flowing"
        }
    ));
    stalled
}

/// Nearest-rank percentile of unsorted samples; 0 when there are none.
pub(crate) fn percentile(samples: &[f64], q: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn keepalive_interval_is_below_the_cut() {
        assert_eq!(
            keepalive_interval(3000.0, None),
            Duration::from_millis(1500)
        );
        assert_eq!(keepalive_interval(100.0, None), MIN_INTERVAL);
        assert_eq!(
            keepalive_interval(3000.0, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(keepalive_hold(3000.0), Duration::from_millis(4500));
        assert_eq!(keepalive_hold(1000.0), Duration::from_millis(1500));
        assert_eq!(keepalive_hold(500.0), Duration::from_millis(1000));
    }

    #[test]
    fn failures_are_grouped_by_kind_and_status() {
        let mut f = Failures::default();
        let cap = |status| Failure {
            status: Some(status),
            ..Failure::new(LoadFailureKind::NoUpgrade, format!("HTTP/1.1 {status}"))
        };
        f.add(cap(503), 1);
        f.add(cap(503), 1);
        f.add(cap(429), 1);
        f.add(Failure::new(LoadFailureKind::NotTried, "deadline"), 5);
        f.add(Failure::new(LoadFailureKind::LocalLimit, "EMFILE"), 0);
        let v = f.into_vec();
        let groups: Vec<_> = v.iter().map(|g| (g.kind, g.status, g.count)).collect();
        assert_eq!(
            groups,
            [
                (LoadFailureKind::NoUpgrade, Some(503), 2),
                (LoadFailureKind::NoUpgrade, Some(429), 1),
                (LoadFailureKind::NotTried, None, 5)
            ]
        );
        assert_eq!(v[0].detail, "HTTP/1.1 503");
    }

    #[test]
    fn cuts_are_classified() {
        let c = cut(
            End::ClosedByServer {
                code: Some(1001),
                reason: String::new(),
            },
            10.0,
        );
        assert_eq!((c.how, c.close_code), (CutHow::CloseFrame, Some(1001)));
        assert_eq!(cut(End::Eof, 1.0).how, CutHow::Fin);
        assert_eq!(cut(End::Reset, 1.0).how, CutHow::Reset);
    }
}
