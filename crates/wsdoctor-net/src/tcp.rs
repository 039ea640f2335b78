//! TCP connection with happy eyeballs (RFC 8305) that records every attempt. A
//! diagnosis needs to know that IPv6 timed out while IPv4 worked, or that one
//! address refused while another answered, which an ordinary connect hides.

use crate::deadline::ms_since;
use crate::wire::Wire;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use wsdoctor_core::evidence::{TcpAttempt, TcpEvidence, TcpOutcome};

/// RFC 8305 "Connection Attempt Delay": the next address starts this long after the
/// previous one unless that one already failed.
pub(crate) const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// Connects to the first address that answers, trying them in order with staggered
/// starts. Returns the evidence and the winning stream.
pub(crate) async fn connect(
    addrs: &[IpAddr],
    port: u16,
    end: Instant,
    wire: Wire<'_>,
) -> (TcpEvidence, Option<TcpStream>) {
    let race = Race::new(addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect());
    race.run(end, wire).await
}

type AttemptResult = (usize, io::Result<TcpStream>);

struct Race {
    addrs: Vec<SocketAddr>,
    start: Instant,
    started_at: Vec<Option<Instant>>,
    attempts: Vec<Option<TcpAttempt>>,
    set: JoinSet<AttemptResult>,
    next: usize,
}

impl Race {
    fn new(addrs: Vec<SocketAddr>) -> Self {
        let n = addrs.len();
        Race {
            addrs,
            start: Instant::now(),
            started_at: vec![None; n],
            attempts: vec![None; n],
            set: JoinSet::new(),
            next: 0,
        }
    }

    async fn run(mut self, end: Instant, wire: Wire<'_>) -> (TcpEvidence, Option<TcpStream>) {
        let mut winner: Option<(SocketAddr, TcpStream)> = None;
        // Start the first attempt (and any attempt after a failure) directly rather than
        // through a timer set to "now": tokio's timer wheel ticks in whole milliseconds,
        // which would add about 1 ms to every loopback connect.
        if !self.addrs.is_empty() {
            self.spawn_next(wire);
        }
        let mut next_start = Instant::now() + ATTEMPT_DELAY;
        loop {
            let more = self.next < self.addrs.len();
            if !more && self.set.is_empty() {
                break;
            }
            tokio::select! {
                _ = sleep_until(next_start), if more => {
                    self.spawn_next(wire);
                    next_start = Instant::now() + ATTEMPT_DELAY;
                }
                Some(joined) = self.set.join_next(), if !self.set.is_empty() => {
                    let Ok((i, result)) = joined else { continue };
                    match result {
                        Ok(stream) => {
                            self.finish(i, TcpOutcome::Connected);
                            wire.note(format!("Connected to {}", self.addrs[i]));
                            winner = Some((self.addrs[i], stream));
                            break;
                        }
                        Err(e) => {
                            let outcome = classify(&e);
                            wire.note(format!("connect to {} failed: {e}", self.addrs[i]));
                            self.finish(i, outcome);
                            // A failure starts the next address at once (RFC 8305 §5).
                            if self.next < self.addrs.len() {
                                self.spawn_next(wire);
                            }
                            next_start = Instant::now() + ATTEMPT_DELAY;
                        }
                    }
                }
                _ = sleep_until(end) => break,
            }
        }
        let leftover = if winner.is_some() {
            TcpOutcome::Cancelled
        } else {
            TcpOutcome::TimedOut
        };
        self.set.abort_all();
        for i in 0..self.addrs.len() {
            if self.started_at[i].is_some() && self.attempts[i].is_none() {
                self.finish(i, leftover.clone());
            }
        }
        let attempts = self.attempts.into_iter().flatten().collect();
        let connected = winner.as_ref().map(|(a, _)| *a);
        (
            TcpEvidence {
                attempts,
                connected,
            },
            winner.map(|(_, s)| s),
        )
    }

    fn spawn_next(&mut self, wire: Wire<'_>) {
        let i = self.next;
        self.next += 1;
        let addr = self.addrs[i];
        wire.note(format!("Trying {addr}..."));
        self.started_at[i] = Some(Instant::now());
        self.set.spawn(async move { (i, connect_one(addr).await) });
    }

    fn finish(&mut self, i: usize, outcome: TcpOutcome) {
        let Some(started) = self.started_at[i] else {
            return;
        };
        self.attempts[i] = Some(TcpAttempt {
            addr: self.addrs[i],
            started_ms: (started - self.start).as_secs_f64() * 1000.0,
            ms: ms_since(started),
            outcome,
        });
    }
}

/// One plain connect; the race owns the deadline.
pub(crate) async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    let stream = socket.connect(addr).await?;
    // Handshake and probe writes are small and latency is what we measure.
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Linux errno values, for kinds older std versions leave as `Other`.
const ECONNREFUSED: i32 = 111;
const ETIMEDOUT: i32 = 110;
const EHOSTUNREACH: i32 = 113;
const ENETUNREACH: i32 = 101;
const ECONNRESET: i32 = 104;
/// Our own limits: file descriptors, per process and system-wide.
const EMFILE: i32 = 24;
const ENFILE: i32 = 23;

pub(crate) fn classify(e: &io::Error) -> TcpOutcome {
    use io::ErrorKind as K;
    match (e.kind(), e.raw_os_error()) {
        (K::ConnectionRefused, _) | (_, Some(ECONNREFUSED)) => TcpOutcome::Refused,
        (K::TimedOut, _) | (_, Some(ETIMEDOUT)) => TcpOutcome::TimedOut,
        (K::HostUnreachable, _) | (_, Some(EHOSTUNREACH)) => TcpOutcome::Unreachable {
            detail: "host unreachable".to_string(),
        },
        (K::NetworkUnreachable, _) | (_, Some(ENETUNREACH)) => TcpOutcome::Unreachable {
            detail: "network unreachable".to_string(),
        },
        (K::AddrNotAvailable, _) => TcpOutcome::Unreachable {
            detail: "address not available on this host".to_string(),
        },
        (K::ConnectionReset, _) | (_, Some(ECONNRESET)) => TcpOutcome::Reset,
        (_, Some(EMFILE | ENFILE)) => TcpOutcome::LocalLimit {
            message: e.to_string(),
        },
        _ => TcpOutcome::Error {
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Wire;

    fn wire() -> Wire<'static> {
        Wire::new(&crate::NoWire, false)
    }

    #[test]
    fn errors_are_classified_by_kind_and_errno() {
        let refused = io::Error::from_raw_os_error(ECONNREFUSED);
        assert_eq!(classify(&refused), TcpOutcome::Refused);
        let unreachable = io::Error::from_raw_os_error(EHOSTUNREACH);
        assert!(matches!(
            classify(&unreachable),
            TcpOutcome::Unreachable { .. }
        ));
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(classify(&reset), TcpOutcome::Reset);
        for errno in [EMFILE, ENFILE] {
            let local = io::Error::from_raw_os_error(errno);
            assert!(matches!(classify(&local), TcpOutcome::LocalLimit { .. }));
        }
    }

    #[tokio::test]
    async fn refused_then_connected_records_both_attempts() {
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let closed_port = closed.local_addr().expect("addr").port();
        drop(closed);
        let open = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = open.local_addr().expect("addr").port();
        let end = Instant::now() + Duration::from_secs(3);
        let (ev, stream) = connect(
            &["127.0.0.1".parse().expect("ip")],
            closed_port,
            end,
            wire(),
        )
        .await;
        assert!(stream.is_none());
        assert_eq!(ev.attempts.len(), 1);
        assert_eq!(ev.attempts[0].outcome, TcpOutcome::Refused);
        assert_eq!(ev.connected, None);

        let (ev, stream) = connect(&["127.0.0.1".parse().expect("ip")], port, end, wire()).await;
        assert!(stream.is_some());
        assert_eq!(ev.attempts[0].outcome, TcpOutcome::Connected);
        assert_eq!(ev.connected.map(|a| a.port()), Some(port));
    }

    /// A listener that never accepts, its queue filled: Linux then drops further
    /// SYNs, which is exactly what a filtering firewall looks like from outside.
    async fn black_hole() -> (tokio::net::TcpListener, Vec<TcpStream>, u16) {
        let sock = TcpSocket::new_v4().expect("socket");
        sock.bind("127.0.0.1:0".parse().expect("addr"))
            .expect("bind");
        let hole = sock.listen(1).expect("listen");
        let port = hole.local_addr().expect("addr").port();
        let mut fillers = Vec::new();
        for _ in 0..16 {
            let attempt = connect_one(SocketAddr::from(([127, 0, 0, 1], port)));
            match tokio::time::timeout(Duration::from_millis(300), attempt).await {
                Ok(Ok(s)) => fillers.push(s),
                _ => break,
            }
        }
        (hole, fillers, port)
    }

    #[tokio::test]
    async fn black_holed_address_loses_the_race_and_times_out_alone() {
        let (_hole, _fillers, port) = black_hole().await;
        let open = tokio::net::TcpListener::bind(("127.0.0.2", port))
            .await
            .expect("bind a second loopback address");
        let addrs: Vec<IpAddr> = vec![
            "127.0.0.1".parse().expect("ip"),
            "127.0.0.2".parse().expect("ip"),
        ];
        let end = Instant::now() + Duration::from_secs(3);
        let (ev, stream) = connect(&addrs, port, end, wire()).await;
        assert!(stream.is_some());
        assert_eq!(ev.attempts.len(), 2);
        assert_eq!(ev.attempts[0].outcome, TcpOutcome::Cancelled);
        assert_eq!(ev.attempts[1].outcome, TcpOutcome::Connected);
        assert!(ev.attempts[1].started_ms >= 240.0, "{:?}", ev.attempts[1]);
        assert_eq!(ev.connected, Some(SocketAddr::new(addrs[1], port)));
        drop(open);

        let started = Instant::now();
        let end = started + Duration::from_millis(600);
        let (ev, stream) = connect(&addrs[..1], port, end, wire()).await;
        assert!(stream.is_none());
        assert_eq!(ev.attempts[0].outcome, TcpOutcome::TimedOut);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(550) && took < Duration::from_millis(1000),
            "{took:?}"
        );
    }

    #[tokio::test]
    async fn no_addresses_means_no_attempts() {
        let end = Instant::now() + Duration::from_secs(1);
        let (ev, stream) = connect(&[], 80, end, wire()).await;
        assert!(stream.is_none() && ev.attempts.is_empty());
    }
}
