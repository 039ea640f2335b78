//! The WebSocket session after a 101: one message (echo or, with `--expect`, any
//! message), one ping, one clean close — each step under its own deadline, every
//! server frame recorded and every RFC 6455 violation named (the judgement itself is
//! `wsdoctor_proto::session`; this module only drives it over a socket).

mod conn;

use crate::deadline::{Deadline, ms_since};
use crate::http::Upgraded;
use crate::wire::Wire;
pub(crate) use conn::MAX_FRAMES;
pub(crate) use conn::{Conn, End, MAX_SERVER_PINGS, Step, negotiated_deflate, violation};
use std::time::Duration;
use tokio::time::Instant;
use wsdoctor_core::evidence::{CloseOutcome, MessageOutcome, PingOutcome, SessionEvidence};
use wsdoctor_proto::session::Event;

/// Each session step waits at most this long.
pub(crate) const STEP_CAP: Duration = Duration::from_secs(3);
/// The message and ping steps leave this much of the deadline to the close handshake,
/// so a short `--timeout` spent waiting for a pong does not also fail the close.
const CLOSE_RESERVE: Duration = Duration::from_millis(500);
/// After a message that is not the echo, how much longer the echo is waited for.
const ECHO_GRACE: Duration = Duration::from_secs(1);
/// How much of a received message is shown.
const PREVIEW: usize = 200;

/// Runs message → ping → close on the upgraded connection.
pub(crate) async fn run(
    opts: &crate::ProbeOptions,
    upgraded: Upgraded,
    deadline: Deadline,
    wire: Wire<'_>,
) -> SessionEvidence {
    let start = Instant::now();
    let mut conn = Conn::new(upgraded, opts, wire);
    let mut ev = SessionEvidence::default();
    let text = opts
        .message
        .clone()
        .unwrap_or_else(|| format!("wsdoctor probe {:016x}", rand::random::<u64>()));
    ev.message = message_step(&mut conn, &text, opts.expect, deadline).await;
    if conn.open() {
        ev.ping = ping_step(&mut conn, deadline).await;
    }
    if conn.open() {
        ev.close = close_step(&mut conn, deadline).await;
    }
    conn.shutdown().await;
    if let Some(close) = conn.ended_by_server() {
        ev.close = close;
    }
    ev.violations = conn.violations.clone();
    ev.frames = conn.frames.clone();
    ev.frames_dropped = conn.frames_dropped;
    ev.server_pings_ms = conn.server_pings.clone();
    ev.server_pings_dropped = conn.server_pings_dropped;
    ev.ms = ms_since(start);
    ev
}

async fn message_step(
    conn: &mut Conn<'_>,
    text: &str,
    expect: bool,
    deadline: Deadline,
) -> MessageOutcome {
    let start = Instant::now();
    let mut until = step_until(deadline);
    if conn.send_text(text, until).await.is_err() {
        return MessageOutcome::NoReply { waited_ms: 0.0 };
    }
    let mut other: Option<MessageOutcome> = None;
    loop {
        let step = conn.next_message(until).await;
        // Taken when the reply is in: a reply that took long must read as long.
        let ms = ms_since(start);
        let (preview, binary) = match step {
            Step::Event(Event::Text(t)) if !expect && t == text => {
                conn.wire
                    .note(format!("the echo came back after {ms:.1} ms"));
                return MessageOutcome::Echoed { ms };
            }
            Step::Event(Event::Text(t)) => (preview_text(&t), false),
            Step::Event(Event::Binary(b)) => (preview_binary(&b), true),
            Step::Event(_) => continue,
            Step::End(_) => break,
        };
        if expect {
            return MessageOutcome::Received {
                preview,
                binary,
                ms,
            };
        }
        if other.is_none() {
            // Servers often greet first; give the echo a little longer.
            other = Some(MessageOutcome::Received {
                preview,
                binary,
                ms,
            });
            until = until.min(Instant::now() + ECHO_GRACE);
        }
    }
    other.unwrap_or(MessageOutcome::NoReply {
        waited_ms: ms_since(start),
    })
}

async fn ping_step(conn: &mut Conn<'_>, deadline: Deadline) -> PingOutcome {
    let until = step_until(deadline);
    let payload = format!("wsdoctor {:08x}", rand::random::<u32>()).into_bytes();
    let start = Instant::now();
    if conn.send_ping(&payload, until).await.is_err() {
        return PingOutcome::NoPong { waited_ms: 0.0 };
    }
    loop {
        match conn.next_event(until).await {
            Step::Event(Event::Pong(p)) => {
                let ms = ms_since(start);
                conn.wire.note(format!("pong after {ms:.1} ms"));
                return PingOutcome::Pong {
                    ms,
                    payload_matches: p == payload,
                };
            }
            Step::Event(_) => continue,
            Step::End(_) => {
                return PingOutcome::NoPong {
                    waited_ms: ms_since(start),
                };
            }
        }
    }
}

async fn close_step(conn: &mut Conn<'_>, deadline: Deadline) -> CloseOutcome {
    let until = deadline.phase(STEP_CAP);
    let start = Instant::now();
    if conn.send_close(1000, "", until).await.is_err() {
        return CloseOutcome::Reset {
            after_ms: conn.age_ms(),
        };
    }
    loop {
        match conn.next_event(until).await {
            Step::Event(Event::Close { code, reason }) => {
                return CloseOutcome::Clean {
                    code,
                    reason,
                    ms: ms_since(start),
                };
            }
            Step::Event(_) => continue,
            Step::End(End::Timeout) => {
                return CloseOutcome::NoAnswer {
                    waited_ms: ms_since(start),
                };
            }
            Step::End(End::Eof) => {
                return CloseOutcome::Eof {
                    after_ms: conn.age_ms(),
                };
            }
            Step::End(End::Reset) => {
                return CloseOutcome::Reset {
                    after_ms: conn.age_ms(),
                };
            }
            Step::End(End::Failed(code)) => return CloseOutcome::FailedByUs { code },
            Step::End(End::ClosedByServer { .. }) => {
                // Unreachable in practice: the server's close is an event above.
                return CloseOutcome::NoAnswer {
                    waited_ms: ms_since(start),
                };
            }
        }
    }
}

/// When a step before the close must end: its cap, and `CLOSE_RESERVE` before the
/// deadline while that much is left.
fn step_until(deadline: Deadline) -> Instant {
    let until = deadline.phase(STEP_CAP);
    match deadline.end().checked_sub(CLOSE_RESERVE) {
        Some(t) if t > Instant::now() => until.min(t),
        _ => until,
    }
}

pub(crate) fn preview_text(t: &str) -> String {
    let cut: String = t.chars().take(PREVIEW).collect();
    crate::text::lossy_text(cut.as_bytes())
}

pub(crate) fn preview_binary(b: &[u8]) -> String {
    crate::text::printable(&b[..b.len().min(PREVIEW)])
}
