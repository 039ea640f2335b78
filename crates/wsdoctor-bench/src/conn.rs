//! One loaded connection: sends on the plan's schedule, matches each echo to its send
//! (echoes come back in order on one connection, so the oldest message in flight is
//! the one answered), records the round trip, answers pings, sends its own on
//! `--ping-interval` (one outstanding at a time, its pong's round trip recorded; no
//! pong within the timeout is `session-no-pong`), and ends on the first failure with
//! the catalog id `check` would give it.
//!
//! Reads and writes run in one task with `select!`: a read, a single `write` and a
//! timer are all cancel-safe, so neither direction can block the other (a server that
//! stops reading cannot stop us reading, and the reverse).

use crate::MAX_IN_FLIGHT;
use crate::engine::Live;
use crate::plan::{Payload, Plan};
use crate::stats::Stats;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, sleep_until, timeout_at};
use wsdoctor_core::CauseId;
use wsdoctor_net::{SessionEnd, Upgraded};
use wsdoctor_proto::session::{Event, Session};

/// One read takes at most this much.
const READ_CHUNK: usize = 16 * 1024;
/// After the window, our close waits this long for the server's.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// The run's clock, shared by every connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    /// When sending starts.
    pub start: Instant,
    /// Messages meant to be sent from here on are measured (the warm-up ends).
    pub measure_from: Instant,
    /// No message is sent from here on; what is in flight drains.
    pub stop: Instant,
}

impl Window {
    fn measured(&self, at: Instant) -> bool {
        at >= self.measure_from && at < self.stop
    }
}

/// A message in flight: when the schedule meant it to go, and when it was queued for
/// the socket (the same instant in closed loop).
#[derive(Clone, Copy)]
struct InFlight {
    intended: Instant,
    sent: Instant,
}

pub(crate) struct Loaded<'a> {
    pub plan: &'a Plan,
    pub window: Window,
    /// Open loop: where in the interval this connection's first send falls, so the
    /// connections do not all send at once.
    pub offset: Duration,
    /// Closed loop: this connection starts sending this long after the window's start.
    pub ramp: Duration,
    pub stats: &'a RefCell<Stats>,
    pub live: &'a Live,
}

impl Loaded<'_> {
    /// Drives `up` until the window has passed and its messages are answered, or the
    /// first failure (counted under its cause).
    pub async fn drive(self, up: Upgraded) {
        let (mut rd, mut wr) = tokio::io::split(up.io);
        if !self.ramp.is_zero() {
            sleep_until(self.window.start + self.ramp).await;
        }
        let mut session = Session::new(up.session);
        session.feed(&up.leftover);
        let mut buf = vec![0u8; READ_CHUNK];
        let mut out = Vec::new();
        let mut written = 0usize;
        let mut flight: VecDeque<InFlight> = VecDeque::new();
        let interval = self.plan.interval();
        let mut next_slot = self.window.start + self.offset;
        let timeout = self.plan.timeout;
        let timer = sleep_until(self.window.start + timeout);
        tokio::pin!(timer);
        // The next ping's time, and the one in flight: its payload and when it went.
        let mut next_ping = self
            .plan
            .ping_interval
            .map(|iv| self.window.start + self.ramp + iv.mul_f64(0.5));
        let mut ping: Option<([u8; 8], Instant)> = None;
        let mut pings = 0u64;
        let failure = loop {
            let now = Instant::now();
            let sending = now < self.window.stop;
            if let (Some(at), Some(iv)) = (next_ping, self.plan.ping_interval)
                && sending
                && at <= now
                && ping.is_none()
            {
                pings += 1;
                let payload = pings.to_be_bytes();
                session.encode_ping(&payload, Some(rand::random()), &mut out);
                ping = Some((payload, now));
                if self.window.measured(now) {
                    self.stats.borrow_mut().pings_sent += 1;
                }
                next_ping = Some(at.max(now - iv) + iv);
            }
            if let Some((_, sent)) = ping
                && now >= sent + timeout
            {
                break Some(CauseId::SessionNoPong);
            }
            if sending {
                let before = flight.len();
                match interval {
                    None => {
                        while flight.len() < self.plan.depth {
                            flight.push_back(InFlight {
                                intended: now,
                                sent: now,
                            });
                        }
                    }
                    Some(iv) => {
                        while next_slot <= now && flight.len() < MAX_IN_FLIGHT {
                            flight.push_back(InFlight {
                                intended: next_slot,
                                sent: now,
                            });
                            next_slot += iv;
                        }
                    }
                }
                for m in flight.iter().skip(before) {
                    encode(&mut session, &self.plan.payload, &mut out);
                    if self.window.measured(m.intended) {
                        self.stats.borrow_mut().sent += 1;
                    }
                }
                self.live
                    .sent
                    .fetch_add((flight.len() - before) as u64, Relaxed);
            } else if flight.is_empty() && ping.is_none() {
                break None;
            }
            if let Some(m) = flight.front()
                && now >= m.sent + timeout
            {
                // Bytes of ours still unwritten: the server is not taking them.
                break Some(if written < out.len() {
                    CauseId::AsyncBackpressure
                } else {
                    CauseId::SessionNoEcho
                });
            }
            // The timer may fire early (the oldest message moved on): it is then re-armed.
            let mut wake = flight.front().map_or(now + timeout, |m| m.sent + timeout);
            if let (Some(_), true) = (interval, sending && flight.len() < MAX_IN_FLIGHT) {
                wake = wake.min(next_slot);
            }
            match (ping, next_ping) {
                (Some((_, sent)), _) => wake = wake.min(sent + timeout),
                (None, Some(at)) if sending => wake = wake.min(at),
                _ => {}
            }
            if timer.is_elapsed() || wake < timer.deadline() {
                timer.as_mut().reset(wake);
            }
            tokio::select! {
                biased;
                w = wr.write(&out[written..]), if written < out.len() => match w {
                    Ok(n) => {
                        written += n;
                        if written == out.len() {
                            out.clear();
                            written = 0;
                        }
                    }
                    Err(e) => break end_cause(&io_end(&e)),
                },
                r = rd.read(&mut buf) => match r {
                    Ok(0) => break end_cause(&SessionEnd::Eof),
                    Err(e) => break end_cause(&io_end(&e)),
                    Ok(n) => {
                        session.feed(&buf[..n]);
                        if let Some(end) = self.events(&mut session, &mut flight, &mut ping, &mut out) {
                            break end;
                        }
                    }
                },
                _ = &mut timer => {}
            }
        };
        if let Some(id) = failure {
            self.stats.borrow_mut().error(id);
            self.live.errors.fetch_add(1, Relaxed);
        }
        // Whatever was queued goes first, then our close; all of it bounded.
        let end = Instant::now() + CLOSE_WAIT.min(timeout);
        if !session.close_sent() && !session.is_failed() {
            session.encode_close(Some(1000), "", Some(rand::random()), &mut out);
        }
        let _ = timeout_at(end, async {
            wr.write_all(&out[written..]).await?;
            wr.flush().await
        })
        .await;
        if failure.is_none() {
            let _ = timeout_at(end, async {
                while !session.close_received() {
                    match rd.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => session.feed(&buf[..n]),
                    }
                    while session.poll_event().is_some() {}
                }
            })
            .await;
        }
        let _ = timeout_at(end, wr.shutdown()).await;
    }

    /// Handles what the last read produced. `Some` ends the connection: `Some(None)`
    /// after a normal close, `Some(Some(id))` after a failure.
    fn events(
        &self,
        session: &mut Session,
        flight: &mut VecDeque<InFlight>,
        ping: &mut Option<([u8; 8], Instant)>,
        out: &mut Vec<u8>,
    ) -> Option<Option<CauseId>> {
        let mut answered = 0;
        let result = loop {
            let Some(event) = session.poll_event() else {
                break None;
            };
            match event {
                Event::Text(_) | Event::Binary(_) => {
                    let Some(m) = flight.pop_front() else {
                        // A message we did not ask for (a greeting, a broadcast).
                        continue;
                    };
                    answered += 1;
                    if self.window.measured(m.intended) {
                        let now = Instant::now();
                        let us = |from: Instant| (now - from).as_micros().max(1) as u64;
                        let mut s = self.stats.borrow_mut();
                        s.received += 1;
                        s.raw.saturating_record(us(m.sent));
                        if self.plan.rate.is_some() {
                            s.corrected.saturating_record(us(m.intended));
                        }
                    }
                }
                Event::Ping(p) => session.encode_pong(&p, Some(rand::random()), out),
                Event::Close { code, reason } => {
                    if session.close_sent() {
                        break Some(None);
                    }
                    let echo = wsdoctor_proto::close::echo_code(code);
                    session.encode_close(Some(echo), "", Some(rand::random()), out);
                    break Some(end_cause(&SessionEnd::Closed { code, reason }));
                }
                Event::Violation(v) => break Some(end_cause(&SessionEnd::Violation(v))),
                Event::Pong(p) => {
                    // Our ping's pong (an unsolicited pong, allowed by RFC 6455 §5.5.3,
                    // is not one).
                    if let Some((payload, sent)) = *ping
                        && p == payload
                    {
                        *ping = None;
                        if self.window.measured(sent) {
                            let us = (Instant::now() - sent).as_micros().max(1) as u64;
                            self.stats.borrow_mut().ping.saturating_record(us);
                        }
                    }
                }
                Event::FrameSeen(_) => {}
            }
        };
        self.live.received.fetch_add(answered, Relaxed);
        result
    }
}

fn encode(session: &mut Session, payload: &Payload, out: &mut Vec<u8>) {
    let mask = Some(rand::random());
    match payload {
        Payload::Text(t) => session.encode_text(t, mask, out),
        Payload::Binary(b) => session.encode_binary(b, mask, out),
    }
}

/// The cause of an end; a normal close (1000) still ends the load on this connection
/// early, which is the server's doing: counted as a close without error.
fn end_cause(end: &SessionEnd) -> Option<CauseId> {
    Some(end.cause().unwrap_or(CauseId::SessionCloseNormal))
}

fn io_end(e: &io::Error) -> SessionEnd {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => SessionEnd::Reset,
        _ => SessionEnd::Eof,
    }
}
