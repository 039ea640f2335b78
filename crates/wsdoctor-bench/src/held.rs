//! Held connections (`--hold N`): opened like the loaded ones, then left idle — no
//! data, the server's pings answered — until the window ends, to show how many a
//! server (and every proxy in between) keeps. Lean on purpose: a task, the session
//! and a 256-byte read buffer, so tens of thousands fit in little memory.

use crate::engine::Live;
use crate::stats::Stats;
use std::cell::RefCell;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};
use wsdoctor_core::CauseId;
use wsdoctor_net::{SessionEnd, Upgraded};
use wsdoctor_proto::session::{Event, Session};

/// Control frames are at most 125 bytes of payload: a small buffer reads them whole.
const READ_CHUNK: usize = 256;
/// Our close at the end waits this long to be written.
const GOODBYE: Duration = Duration::from_millis(500);

/// Holds `up` idle until `stop`; counts it as still open then, or its end's cause.
pub(crate) async fn hold(up: Upgraded, stop: Instant, stats: &RefCell<Stats>, live: &Live) {
    let mut io = up.io;
    let mut session = Session::new(up.session);
    session.feed(&up.leftover);
    let mut buf = [0u8; READ_CHUNK];
    let mut out = Vec::new();
    let ended = loop {
        if let Some(end) = answer(&mut session, &mut out) {
            break Some(end);
        }
        if !out.is_empty() {
            if timeout_at(stop, io.write_all(&out)).await.is_err() {
                break None;
            }
            out.clear();
        }
        match timeout_at(stop, io.read(&mut buf)).await {
            Err(_) => break None,
            Ok(Ok(0)) => break Some(SessionEnd::Eof),
            Ok(Err(_)) => break Some(SessionEnd::Reset),
            Ok(Ok(n)) => session.feed(&buf[..n]),
        }
    };
    match ended {
        None => stats.borrow_mut().held_open_at_end += 1,
        Some(end) => {
            let id = end.cause().unwrap_or(CauseId::SessionCloseNormal);
            stats.borrow_mut().error(id);
            live.errors.fetch_add(1, Relaxed);
        }
    }
    live.open.fetch_sub(1, Relaxed);
    if !session.close_sent() {
        session.encode_close(Some(1000), "", Some(rand::random()), &mut out);
    }
    let end = Instant::now() + GOODBYE;
    let _ = timeout_at(end, io.write_all(&out)).await;
    let _ = timeout_at(end, io.shutdown()).await;
}

/// Pongs for pings; `Some` when the server closed or broke the protocol.
fn answer(session: &mut Session, out: &mut Vec<u8>) -> Option<SessionEnd> {
    while let Some(event) = session.poll_event() {
        match event {
            Event::Ping(p) => session.encode_pong(&p, Some(rand::random()), out),
            Event::Close { code, reason } => {
                let echo = wsdoctor_proto::close::echo_code(code);
                session.encode_close(Some(echo), "", Some(rand::random()), out);
                return Some(SessionEnd::Closed { code, reason });
            }
            Event::Violation(v) => return Some(SessionEnd::Violation(v)),
            _ => {}
        }
    }
    None
}
