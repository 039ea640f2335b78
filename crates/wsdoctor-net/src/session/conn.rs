//! An open WebSocket connection driven by the sans-IO session: reads under a
//! deadline, records frame headers and violations, answers pings and the server's
//! close, and remembers how the connection ended.

use crate::http::Upgraded;
use crate::stream::BoxIo;
use crate::wire::Wire;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};
use wsdoctor_core::evidence::{CloseOutcome, FrameSummary, Violation};
use wsdoctor_proto::deflate;
use wsdoctor_proto::handshake::parse_extensions;
use wsdoctor_proto::session::{Config, Event, ProtocolViolation, Role, Session};

/// At most this many frame headers are kept.
pub(crate) const MAX_FRAMES: usize = 64;
/// Server pings kept as evidence (their times show a keep-alive interval; a flood
/// beyond this is counted, not stored).
pub(crate) const MAX_SERVER_PINGS: usize = 256;
/// How long we wait to write our Close or the TCP shutdown on the way out.
const GOODBYE: Duration = Duration::from_millis(500);
/// What one read takes from the socket at most.
const READ_CHUNK: usize = 16 * 1024;
/// A load connection (`--concurrency`, up to 1000 of them) keeps at most this much
/// of a message it receives and reads this much at a time: what the server sends on
/// them is discarded, so memory does not grow with it. The load messages are 1 KiB;
/// a longer one fails that connection (counted as ended early).
const LOAD_MAX_MESSAGE: usize = 16 * 1024;
const LOAD_READ_CHUNK: usize = 2 * 1024;

/// What one wait produced.
#[derive(Debug)]
pub(crate) enum Step {
    Event(Event),
    End(End),
}

/// Why a wait ended without an event.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum End {
    /// The step's deadline passed; the connection may still be open.
    Timeout,
    Eof,
    Reset,
    /// We failed the connection after a violation, with this close code.
    Failed(u16),
    ClosedByServer {
        code: Option<u16>,
        reason: String,
    },
}

pub(crate) struct Conn<'w> {
    io: BoxIo,
    session: Session,
    pub wire: Wire<'w>,
    no_pong: bool,
    started: Instant,
    /// How the connection ended and when (ms after the session began).
    ended: Option<(End, f64)>,
    /// Our close was answered: the closing handshake completed normally.
    completed: bool,
    pub frames: Vec<FrameSummary>,
    /// Frames past `MAX_FRAMES`, counted only.
    pub frames_dropped: u64,
    pub violations: Vec<Violation>,
    /// When the server pinged us, ms after the session began.
    pub server_pings: Vec<f64>,
    /// Server pings past `MAX_SERVER_PINGS`, counted only.
    pub server_pings_dropped: u64,
    /// No per-frame `-v` notes (the backpressure probe sends and drains hundreds).
    pub quiet: bool,
    read_chunk: usize,
}

impl<'w> Conn<'w> {
    pub(crate) fn new(up: Upgraded, opts: &crate::ProbeOptions, wire: Wire<'w>) -> Self {
        Self::with_limits(up, opts, wire, opts.max_message, READ_CHUNK)
    }

    /// A load connection: small caps, since only that it stays busy matters.
    pub(crate) fn new_load(up: Upgraded, opts: &crate::ProbeOptions, wire: Wire<'w>) -> Self {
        let max_message = opts.max_message.min(LOAD_MAX_MESSAGE);
        Self::with_limits(up, opts, wire, max_message, LOAD_READ_CHUNK)
    }

    fn with_limits(
        up: Upgraded,
        opts: &crate::ProbeOptions,
        wire: Wire<'w>,
        max_message: usize,
        read_chunk: usize,
    ) -> Self {
        let mut cfg = Config::new(Role::Client);
        cfg.max_message = max_message;
        cfg.max_frame = max_message;
        cfg.deflate = negotiated_deflate(&opts.extensions, &up.response);
        let mut session = Session::new(cfg);
        session.feed(&up.leftover);
        Conn {
            io: up.io,
            session,
            wire,
            no_pong: opts.no_pong,
            started: Instant::now(),
            ended: None,
            completed: false,
            frames: Vec::new(),
            frames_dropped: 0,
            violations: Vec::new(),
            server_pings: Vec::new(),
            server_pings_dropped: 0,
            quiet: false,
            read_chunk,
        }
    }

    pub(crate) fn open(&self) -> bool {
        self.ended.is_none() && !self.completed
    }

    pub(crate) fn age_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    pub(crate) async fn send_text(&mut self, text: &str, until: Instant) -> io::Result<()> {
        let mut out = Vec::new();
        self.session.encode_text(text, Some(mask()), &mut out);
        if !self.quiet {
            self.wire.note(format!("send text {} bytes", text.len()));
        }
        self.write(&out, until).await
    }

    pub(crate) async fn send_ping(&mut self, payload: &[u8], until: Instant) -> io::Result<()> {
        let mut out = Vec::new();
        self.session.encode_ping(payload, Some(mask()), &mut out);
        self.wire.note(format!("send ping {} bytes", payload.len()));
        self.write(&out, until).await
    }

    pub(crate) async fn send_close(
        &mut self,
        code: u16,
        reason: &str,
        until: Instant,
    ) -> io::Result<()> {
        let mut out = Vec::new();
        self.session
            .encode_close(Some(code), reason, Some(mask()), &mut out);
        self.wire.note(format!("send close {code}"));
        self.write(&out, until).await
    }

    /// Writes all of `bytes` by `until`; a stalled write is reported as `TimedOut`.
    pub(crate) async fn write(&mut self, bytes: &[u8], until: Instant) -> io::Result<()> {
        let r = timeout_at(until, async {
            self.io.write_all(bytes).await?;
            self.io.flush().await
        })
        .await;
        match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                let end = if is_reset(&e) { End::Reset } else { End::Eof };
                self.end(end);
                Err(e)
            }
            Err(_) => Err(io::Error::from(io::ErrorKind::TimedOut)),
        }
    }

    /// The next data message, skipping control frames (which are handled).
    pub(crate) async fn next_message(&mut self, until: Instant) -> Step {
        loop {
            match self.next_event(until).await {
                Step::Event(e @ (Event::Text(_) | Event::Binary(_))) => return Step::Event(e),
                Step::Event(Event::Close { code, reason }) => {
                    return Step::End(End::ClosedByServer { code, reason });
                }
                Step::Event(_) => continue,
                end => return end,
            }
        }
    }

    /// The next Text, Binary, Ping, Pong or Close (ours answered) by `until`.
    pub(crate) async fn next_event(&mut self, until: Instant) -> Step {
        if let Some((end, _)) = &self.ended {
            return Step::End(end.clone());
        }
        let mut chunk = vec![0u8; self.read_chunk];
        loop {
            // Checked on every turn: a peer that always has data ready (a ping or
            // message flood) would otherwise never let the read's timeout fire.
            if Instant::now() >= until {
                return Step::End(End::Timeout);
            }
            while let Some(event) = self.session.poll_event() {
                if let Some(step) = self.handle(event, until).await {
                    return step;
                }
            }
            if let Some((end, _)) = &self.ended {
                return Step::End(end.clone());
            }
            let n = match timeout_at(until, self.io.read(&mut chunk)).await {
                Err(_) => return Step::End(End::Timeout),
                Ok(Ok(0)) => return Step::End(self.end(End::Eof)),
                Ok(Err(e)) if is_reset(&e) => return Step::End(self.end(End::Reset)),
                Ok(Err(_)) => return Step::End(self.end(End::Eof)),
                Ok(Ok(n)) => n,
            };
            self.session.feed(&chunk[..n]);
        }
    }

    async fn handle(&mut self, event: Event, until: Instant) -> Option<Step> {
        match event {
            Event::FrameSeen(_) if self.quiet => None,
            Event::FrameSeen(h) => {
                self.wire.note(format!(
                    "frame: {}, {} bytes{}{}",
                    format!("{:?}", h.opcode).to_lowercase(),
                    h.payload_len,
                    if h.fin { "" } else { ", not final" },
                    if h.mask.is_some() { ", masked" } else { "" }
                ));
                self.count_frame(FrameSummary {
                    opcode: h.opcode.as_u8(),
                    fin: h.fin,
                    rsv: u8::from(h.rsv1) << 2 | u8::from(h.rsv2) << 1 | u8::from(h.rsv3),
                    masked: h.mask.is_some(),
                    len: h.payload_len,
                });
                None
            }
            Event::Violation(v) => {
                self.wire.note(format!("protocol violation: {v}"));
                let code = v.close_code();
                self.violations.push(violation(&v));
                let _ = self
                    .send_close(code, "", until.min(Instant::now() + GOODBYE))
                    .await;
                Some(Step::End(self.end(End::Failed(code))))
            }
            Event::Ping(p) => {
                if self.server_pings.len() < MAX_SERVER_PINGS {
                    self.server_pings.push(self.age_ms());
                } else {
                    self.server_pings_dropped += 1;
                }
                if !self.no_pong {
                    let mut out = Vec::new();
                    self.session.encode_pong(&p, Some(mask()), &mut out);
                    let _ = self.write(&out, until).await;
                }
                Some(Step::Event(Event::Ping(p)))
            }
            Event::Close { code, reason } => {
                self.wire.note(match code {
                    Some(c) if reason.is_empty() => format!("server close {c}"),
                    Some(c) => format!("server close {c} {reason:?}"),
                    None => "server close without a code".to_string(),
                });
                if self.session.close_sent() {
                    self.completed = true;
                    return Some(Step::Event(Event::Close { code, reason }));
                }
                // Echo the code, as RFC 6455 §5.5.1 asks.
                let echo = wsdoctor_proto::close::echo_code(code);
                let _ = self
                    .send_close(echo, "", until.min(Instant::now() + GOODBYE))
                    .await;
                self.end(End::ClosedByServer {
                    code,
                    reason: reason.clone(),
                });
                Some(Step::Event(Event::Close { code, reason }))
            }
            other => Some(Step::Event(other)),
        }
    }

    /// Keeps a frame's summary while there is room, counts it otherwise.
    fn count_frame(&mut self, summary: FrameSummary) {
        if self.frames.len() < MAX_FRAMES {
            self.frames.push(summary);
        } else {
            self.frames_dropped += 1;
        }
    }

    fn end(&mut self, end: End) -> End {
        if self.ended.is_none() {
            self.ended = Some((end.clone(), self.age_ms()));
        }
        end
    }

    /// How the connection ended if the server (or a violation) ended it first.
    pub(crate) fn ended_by_server(&self) -> Option<CloseOutcome> {
        let (end, after_ms) = self.ended.as_ref()?;
        let after_ms = *after_ms;
        Some(match end {
            End::ClosedByServer { code, reason } => CloseOutcome::ByServer {
                code: *code,
                reason: reason.clone(),
                after_ms,
            },
            End::Eof => CloseOutcome::Eof { after_ms },
            End::Reset => CloseOutcome::Reset { after_ms },
            End::Failed(code) => CloseOutcome::FailedByUs { code: *code },
            End::Timeout => return None,
        })
    }

    /// Leaves without waiting for an answer: a Close if still open, then our FIN.
    pub(crate) async fn close_quietly(&mut self) {
        if self.open() && !self.session.close_sent() {
            let _ = self.send_close(1000, "", Instant::now() + GOODBYE).await;
        }
        self.shutdown().await;
    }

    /// Half-closes our side, briefly, so the server sees a FIN rather than a reset.
    pub(crate) async fn shutdown(&mut self) {
        let _ = timeout_at(Instant::now() + GOODBYE, self.io.shutdown()).await;
    }
}

/// The permessage-deflate parameters the server accepted, if we offered them.
pub(crate) fn negotiated_deflate(
    offered: &[String],
    response: &wsdoctor_proto::handshake::Response,
) -> Option<deflate::Params> {
    let offer = offered
        .iter()
        .flat_map(|o| parse_extensions(o))
        .find(|e| e.name.eq_ignore_ascii_case(deflate::NAME))?;
    let params = deflate::params_from_offer(&offer).ok()?;
    deflate::accept_response(&params, response.headers_named("sec-websocket-extensions"))
        .ok()
        .flatten()
}

fn mask() -> [u8; 4] {
    rand::random()
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
    )
}

/// The codec's violation as evidence.
pub(crate) fn violation(v: &ProtocolViolation) -> Violation {
    use ProtocolViolation as P;
    match v {
        P::MaskedFrameFromServer => Violation::MaskedFrame,
        P::ReservedBitsSet { rsv1, rsv2, rsv3 } => Violation::ReservedBits {
            rsv1: *rsv1,
            rsv2: *rsv2,
            rsv3: *rsv3,
        },
        P::UnknownOpcode(opcode) => Violation::UnknownOpcode { opcode: *opcode },
        P::ControlFrameTooLong(len) => Violation::ControlFrameTooLong { len: *len },
        P::FragmentedControlFrame => Violation::FragmentedControl,
        P::UnexpectedContinuation | P::ExpectedContinuation => Violation::BadFragmentation {
            detail: v.to_string(),
        },
        P::InvalidUtf8Text => Violation::InvalidUtf8,
        P::InvalidUtf8CloseReason | P::InvalidCloseCode(_) | P::CloseFrameTooShort => {
            Violation::BadClosePayload {
                detail: v.to_string(),
            }
        }
        P::MessageTooLarge { limit } => Violation::MessageTooLarge {
            limit: *limit,
            announced: None,
        },
        P::FrameTooLarge { len, limit } => Violation::MessageTooLarge {
            limit: *limit,
            announced: Some(*len),
        },
        _ => Violation::Other {
            detail: v.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codec_and_the_close_table_agree_on_what_may_be_sent() {
        // The probe echoes by proto's wire rule; check judges a received code by core's
        // table. Neither crate depends on the other, so this crate holds them equal.
        for code in 0..=u16::MAX {
            assert_eq!(
                wsdoctor_proto::close::is_valid_on_wire(code),
                wsdoctor_core::tables::CloseCode::from_u16(code).on_wire(),
                "{code}"
            );
        }
    }

    #[test]
    fn violations_map_to_evidence() {
        assert_eq!(
            violation(&ProtocolViolation::MaskedFrameFromServer),
            Violation::MaskedFrame
        );
        assert_eq!(
            violation(&ProtocolViolation::UnknownOpcode(3)),
            Violation::UnknownOpcode { opcode: 3 }
        );
        assert_eq!(
            violation(&ProtocolViolation::FrameTooLarge { len: 9, limit: 4 }),
            Violation::MessageTooLarge {
                limit: 4,
                announced: Some(9)
            }
        );
        assert!(matches!(
            violation(&ProtocolViolation::InvalidCloseCode(1005)),
            Violation::BadClosePayload { .. }
        ));
    }
}
