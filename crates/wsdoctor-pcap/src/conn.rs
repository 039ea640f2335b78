//! One TCP connection of a capture: its handshake and how it ended, both byte streams
//! reassembled, and what they carried — the Upgrade request and its answer read with
//! the same head reader the probe uses, then both directions' frames through the same
//! sans-IO session (the server's judged as `check` judges them, the client's decoded
//! for its message, ping and close). Everything is kept as facts with capture times;
//! [`crate::evidence`] turns them into the `Evidence` a live check would have built.

use crate::tcp::Stream;
use crate::tls::{KeyLog, Tls};
use std::net::SocketAddr;
use std::sync::Arc;
use wsdoctor_core::evidence::{FrameSummary, HttpOutcome, Violation};
use wsdoctor_net::capture as probe;
use wsdoctor_proto::frame::OpCode;
use wsdoctor_proto::handshake::{HeadError, Request, Response};
use wsdoctor_proto::head::HeadBuffer;
use wsdoctor_proto::session::{Config, Event, ProtocolViolation, Role, Session};

/// The largest request or response head read (a larger one is `head-too-large`).
pub const MAX_HEAD: usize = 16 * 1024;
/// The largest WebSocket message followed per direction; a larger one ends the
/// following of that direction (it is our cap, not the peer's fault).
pub const MAX_MESSAGE: usize = 1 << 20;
/// Client bytes kept after its request while the answer is awaited.
const MAX_EARLY: usize = 64 * 1024;

/// Which end of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    fn i(self) -> usize {
        self as usize
    }
}

/// What the connection turned out to carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Carries {
    /// No payload yet.
    #[default]
    Nothing,
    /// An HTTP request asking for a WebSocket upgrade.
    WebSocket,
    /// A TLS ClientHello.
    Tls,
    /// Plain HTTP that is not an upgrade, or another protocol: not ours.
    Other,
}

/// Everything seen on one connection, in capture time (microseconds).
pub struct Conn {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first_us: i64,
    pub last_us: i64,
    /// Client SYNs (more than one: retransmitted) and when the first was sent.
    pub syns: u32,
    pub syn_us: Option<i64>,
    pub synack_us: Option<i64>,
    /// First RST of each side, FIN of each side.
    pub rst_us: [Option<i64>; 2],
    pub fin_us: [Option<i64>; 2],
    pub streams: [Stream; 2],
    /// When each side last sent payload.
    pub last_data_us: [Option<i64>; 2],
    pub carries: Carries,
    pub app: App,
}

/// The application layer of a connection.
#[derive(Default)]
pub struct App {
    request_buf: Option<HeadBuffer<Request>>,
    pub request: Option<Request>,
    pub request_head: Vec<u8>,
    pub request_us: Option<i64>,
    response_buf: Option<HeadBuffer<Response>>,
    pub response: Option<Response>,
    pub response_us: Option<i64>,
    /// The answer when it was not a head (not HTTP, malformed, too large).
    pub response_error: Option<HttpOutcome>,
    /// Server bytes received while the head was incomplete.
    pub response_partial: Vec<u8>,
    /// A refusal's body, capped.
    pub body: Vec<u8>,
    body_want: usize,
    early: Vec<u8>,
    /// Server bytes after the 101's head: the first frames.
    early_server: Vec<u8>,
    /// The TLS view of a connection that started with a ClientHello.
    pub tls: Option<Box<Tls>>,
    /// What the decrypted bytes of a TLS connection carry.
    pub inner: Carries,
    /// The secrets that decrypt TLS 1.3 connections, when given.
    keylog: Option<Arc<KeyLog>>,
    pub ws: Option<Ws>,
    /// What could not be followed, for the report.
    pub notes: Vec<String>,
}

/// The WebSocket session after a 101.
pub struct Ws {
    pub start_us: i64,
    from_server: Session,
    from_client: Session,
    pub frames: [u64; 2],
    pub server_frames: Vec<FrameSummary>,
    pub server_frames_dropped: u64,
    pub violations: Vec<Violation>,
    pub violation_us: Option<i64>,
    pub violation_code: Option<u16>,
    /// Not followed any more (a message over our cap, a gap).
    pub stopped: [bool; 2],
    /// A message went past [`MAX_MESSAGE`] (ours, not the peer's fault).
    pub over_cap: [bool; 2],
    pub client_message: Option<(i64, Vec<u8>, bool)>,
    pub echo_us: Option<i64>,
    pub other_reply: Option<(i64, String, bool)>,
    pub client_ping: Option<(i64, Vec<u8>)>,
    pub pong: Option<(i64, bool)>,
    pub client_close: Option<(i64, Option<u16>)>,
    pub server_close: Option<(i64, Option<u16>, String)>,
    pub server_pings_ms: Vec<f64>,
    pub server_pings_dropped: u64,
    /// When a frame last went either way (the idle clock).
    pub last_frame_us: i64,
    pub client_violations: u32,
    /// Bytes fed to each session since its last whole message: a bound on what it holds.
    pub held: [usize; 2],
}

impl Conn {
    pub fn new(
        client: SocketAddr,
        server: SocketAddr,
        ts: i64,
        keylog: Option<Arc<KeyLog>>,
    ) -> Conn {
        Conn {
            client,
            server,
            first_us: ts,
            last_us: ts,
            syns: 0,
            syn_us: None,
            synack_us: None,
            rst_us: [None; 2],
            fin_us: [None; 2],
            streams: Default::default(),
            last_data_us: [None; 2],
            carries: Carries::Nothing,
            app: App {
                keylog,
                ..App::default()
            },
        }
    }

    pub fn side_of(&self, src: SocketAddr) -> Side {
        if src == self.client {
            Side::Client
        } else {
            Side::Server
        }
    }

    /// A segment's payload from `side`, reassembled and passed on.
    pub fn data(&mut self, side: Side, ts: i64, seq: u32, payload: &[u8]) {
        let Conn {
            streams,
            app,
            carries,
            ..
        } = self;
        let stream = &mut streams[side.i()];
        let before = stream.delivered;
        stream.push(seq, payload, &mut |bytes| {
            app.bytes(side, ts, bytes, carries)
        });
        if stream.delivered > before {
            self.last_data_us[side.i()] = Some(ts);
        }
        if let Some(at) = stream.gap_at {
            self.app.gap(side, at);
        }
    }

    /// Bytes the application layer holds (for the capture's memory budget).
    pub fn held(&self) -> usize {
        let ws = self.app.ws.as_ref().map_or(0, |w| w.held[0] + w.held[1]);
        let tls = self.app.tls.as_ref().map_or(0, |t| t.held());
        ws + tls + self.streams[0].pending_bytes() + self.streams[1].pending_bytes()
    }

    /// Stops following the larger of the WebSocket directions (the memory budget ran out).
    pub fn shed(&mut self, ts: i64) {
        if let Some(ws) = self.app.ws.as_mut() {
            let side = if ws.held[0] >= ws.held[1] { 0 } else { 1 };
            if !ws.stopped[side] {
                ws.stopped[side] = true;
                self.app.notes.push(format!(
                    "{} frames not followed after {:.3} s: the capture's memory budget was spent on other connections",
                    ["client", "server"][side],
                    (ts - ws.start_us) as f64 / 1e6
                ));
            }
            ws.held[side] = 0;
        }
    }
}

impl App {
    fn bytes(&mut self, side: Side, ts: i64, bytes: &[u8], carries: &mut Carries) {
        match side {
            Side::Client => self.client_bytes(ts, bytes, carries),
            Side::Server => self.server_bytes(ts, bytes, *carries),
        }
    }

    fn client_bytes(&mut self, ts: i64, bytes: &[u8], carries: &mut Carries) {
        match carries {
            Carries::Nothing
                if matches!(bytes, [0x16, 0x03, ..] | [0x16]) && self.tls.is_none() =>
            {
                *carries = Carries::Tls;
                self.tls = Some(Box::default());
                self.tls_bytes(Side::Client, ts, bytes);
            }
            Carries::Nothing => {
                self.request_us.get_or_insert(ts);
                let buf = self
                    .request_buf
                    .get_or_insert_with(|| HeadBuffer::request(MAX_HEAD));
                match buf.push(bytes) {
                    Ok(None) => {}
                    Ok(Some(req)) => {
                        // The buffer holds the head and whatever followed it.
                        let all = self
                            .request_buf
                            .take()
                            .map(|b| b.into_bytes())
                            .unwrap_or_default();
                        self.request_head = all[..req.head_len].to_vec();
                        keep(&mut self.early, &all[req.head_len..], MAX_EARLY);
                        *carries = if req.has_token("Upgrade", "websocket") {
                            Carries::WebSocket
                        } else {
                            Carries::Other
                        };
                        self.request = Some(req);
                        if self.response.is_some() {
                            self.start_ws();
                        }
                    }
                    Err(_) => {
                        self.request_buf = None;
                        *carries = Carries::Other;
                    }
                }
            }
            Carries::WebSocket => match self.ws.as_mut() {
                Some(ws) => ws.feed(Side::Client, ts, bytes),
                None => keep(&mut self.early, bytes, MAX_EARLY),
            },
            Carries::Tls => self.tls_bytes(Side::Client, ts, bytes),
            Carries::Other => {}
        }
    }

    fn server_bytes(&mut self, ts: i64, bytes: &[u8], carries: Carries) {
        match carries {
            Carries::Other => return,
            Carries::Tls => return self.tls_bytes(Side::Server, ts, bytes),
            _ => {}
        }
        if let Some(ws) = self.ws.as_mut() {
            return ws.feed(Side::Server, ts, bytes);
        }
        if self.response.is_some() {
            let room = self.body_want.saturating_sub(self.body.len());
            self.body.extend_from_slice(&bytes[..bytes.len().min(room)]);
            return;
        }
        if self.response_error.is_some() {
            return;
        }
        let buf = self
            .response_buf
            .get_or_insert_with(|| HeadBuffer::response(MAX_HEAD));
        match buf.push(bytes) {
            Ok(None) => {
                keep(&mut self.response_partial, bytes, MAX_HEAD);
            }
            Ok(Some(resp)) => {
                let all = self
                    .response_buf
                    .take()
                    .map(|b| b.into_bytes())
                    .unwrap_or_default();
                self.response_partial.clear();
                self.response_us = Some(ts);
                let rest = &all[resp.head_len..];
                if resp.status == 101 {
                    self.early_server = rest.to_vec();
                } else {
                    self.body_want = resp
                        .header("content-length")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(probe::BODY_CAP)
                        .min(probe::BODY_CAP);
                    self.body = rest[..rest.len().min(self.body_want)].to_vec();
                }
                self.response = Some(resp);
                if self.request.is_some() {
                    self.start_ws();
                }
            }
            Err(e) => {
                let all = self
                    .response_buf
                    .take()
                    .map(|b| b.into_bytes())
                    .unwrap_or_default();
                self.response_error = Some(match e {
                    HeadError::TooLarge { limit } => HttpOutcome::HeadTooLarge { limit },
                    HeadError::NotHttp => probe::not_http(&all),
                    other => probe::partial_head(&all, &other.to_string()),
                });
            }
        }
    }

    /// TLS records from `side`; what they decrypt to goes through the same reading as
    /// a plaintext connection's bytes, with [`App::inner`] saying what they carry.
    fn tls_bytes(&mut self, side: Side, ts: i64, bytes: &[u8]) {
        let Some(mut tls) = self.tls.take() else {
            return;
        };
        let mut plain = Vec::new();
        let keylog = self.keylog.clone();
        tls.feed(side, ts, bytes, keylog.as_deref(), &mut |b| {
            plain.extend_from_slice(b)
        });
        let mut inner = self.inner;
        if !plain.is_empty() {
            match side {
                Side::Client => self.client_bytes(ts, &plain, &mut inner),
                Side::Server => self.server_bytes(ts, &plain, inner),
            }
        }
        self.inner = inner;
        self.tls = Some(tls);
    }

    /// A 101 to a WebSocket request: the session begins with what followed both heads.
    fn start_ws(&mut self) {
        let (Some(req), Some(resp), Some(ts)) = (&self.request, &self.response, self.response_us)
        else {
            return;
        };
        if resp.status != 101 || self.ws.is_some() {
            return;
        }
        let offered: Vec<String> = req
            .headers_named("Sec-WebSocket-Extensions")
            .map(str::to_string)
            .collect();
        let deflate = probe::negotiated_deflate(&offered, resp);
        let mut ws = Ws::new(ts, deflate);
        let early = std::mem::take(&mut self.early);
        let early_server = std::mem::take(&mut self.early_server);
        ws.feed(Side::Server, ts, &early_server);
        ws.feed(Side::Client, ts, &early);
        self.ws = Some(ws);
    }

    pub(crate) fn gap(&mut self, side: Side, at: u64) {
        let who = match side {
            Side::Client => "client",
            Side::Server => "server",
        };
        let note = format!(
            "the {who}'s bytes after offset {at} were not captured (a gap): nothing after it is judged"
        );
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
        if let Some(ws) = self.ws.as_mut() {
            ws.stopped[side.i()] = true;
        }
    }
}

impl Ws {
    fn new(start_us: i64, deflate: Option<wsdoctor_proto::deflate::Params>) -> Ws {
        let config = |role| {
            let mut c = Config::new(role);
            c.max_message = MAX_MESSAGE;
            c.max_frame = MAX_MESSAGE;
            c.deflate = deflate;
            c
        };
        Ws {
            start_us,
            from_server: Session::new(config(Role::Client)),
            from_client: Session::new(config(Role::Server)),
            frames: [0; 2],
            server_frames: Vec::new(),
            server_frames_dropped: 0,
            violations: Vec::new(),
            violation_us: None,
            violation_code: None,
            stopped: [false; 2],
            over_cap: [false; 2],
            client_message: None,
            echo_us: None,
            other_reply: None,
            client_ping: None,
            pong: None,
            client_close: None,
            server_close: None,
            server_pings_ms: Vec::new(),
            server_pings_dropped: 0,
            last_frame_us: start_us,
            client_violations: 0,
            held: [0; 2],
        }
    }

    fn feed(&mut self, side: Side, ts: i64, bytes: &[u8]) {
        if bytes.is_empty() || self.stopped[side.i()] {
            return;
        }
        self.held[side.i()] += bytes.len();
        match side {
            Side::Server => {
                self.from_server.feed(bytes);
                while let Some(e) = self.from_server.poll_event() {
                    self.server_event(ts, e);
                }
            }
            Side::Client => {
                self.from_client.feed(bytes);
                while let Some(e) = self.from_client.poll_event() {
                    self.client_event(ts, e);
                }
            }
        }
    }

    fn server_event(&mut self, ts: i64, e: Event) {
        match e {
            Event::FrameSeen(h) => {
                self.frames[1] += 1;
                if h.opcode != OpCode::Close {
                    self.last_frame_us = ts;
                }
                if self.server_frames.len() < probe::MAX_FRAMES {
                    self.server_frames.push(FrameSummary {
                        opcode: h.opcode.as_u8(),
                        fin: h.fin,
                        rsv: u8::from(h.rsv1) << 2 | u8::from(h.rsv2) << 1 | u8::from(h.rsv3),
                        masked: h.mask.is_some(),
                        len: h.payload_len,
                    });
                } else {
                    self.server_frames_dropped += 1;
                }
            }
            Event::Text(t) => {
                self.held[1] = 0;
                self.reply(ts, t.as_bytes(), probe::preview_text(&t), false);
            }
            Event::Binary(b) => {
                self.held[1] = 0;
                let preview = probe::preview_binary(&b);
                self.reply(ts, &b, preview, true);
            }
            Event::Ping(_) => {
                let ms = (ts - self.start_us) as f64 / 1000.0;
                if self.server_pings_ms.len() < probe::MAX_SERVER_PINGS {
                    self.server_pings_ms.push(ms);
                } else {
                    self.server_pings_dropped += 1;
                }
            }
            Event::Pong(p) => {
                if let Some((_, sent)) = &self.client_ping
                    && self.pong.is_none()
                {
                    self.pong = Some((ts, &p == sent));
                }
            }
            Event::Close { code, reason } => {
                self.server_close.get_or_insert((ts, code, reason));
            }
            Event::Violation(v) if v.is_limit() => self.over_cap(Side::Server, ts),
            Event::Violation(v) => {
                self.violation_us.get_or_insert(ts);
                self.violation_code.get_or_insert(v.close_code());
                self.violations.push(probe::violation(&v));
            }
        }
    }

    fn client_event(&mut self, ts: i64, e: Event) {
        match e {
            Event::FrameSeen(h) => {
                self.frames[0] += 1;
                if h.opcode != OpCode::Close {
                    self.last_frame_us = ts;
                }
            }
            Event::Text(t) => {
                self.held[0] = 0;
                self.client_message
                    .get_or_insert((ts, t.into_bytes(), false));
            }
            Event::Binary(b) => {
                self.held[0] = 0;
                self.client_message.get_or_insert((ts, b, true));
            }
            Event::Ping(p) => {
                self.client_ping.get_or_insert((ts, p));
            }
            Event::Pong(_) => {}
            Event::Close { code, .. } => {
                self.client_close.get_or_insert((ts, code));
            }
            Event::Violation(v) if v.is_limit() => self.over_cap(Side::Client, ts),
            Event::Violation(ProtocolViolation::UnmaskedFrameFromClient) | Event::Violation(_) => {
                self.client_violations += 1;
            }
        }
    }

    /// A server data message: the echo of the client's first message, or another reply.
    fn reply(&mut self, ts: i64, payload: &[u8], preview: String, binary: bool) {
        let Some((_, sent, _)) = &self.client_message else {
            return;
        };
        if self.echo_us.is_none() && payload == sent.as_slice() {
            self.echo_us = Some(ts);
        } else if self.other_reply.is_none() {
            self.other_reply = Some((ts, preview, binary));
        }
    }

    fn over_cap(&mut self, side: Side, _ts: i64) {
        self.stopped[side.i()] = true;
        self.over_cap[side.i()] = true;
        self.held[side.i()] = 0;
    }
}

/// Appends what fits under `cap`.
fn keep(buf: &mut Vec<u8>, bytes: &[u8], cap: usize) {
    let room = cap.saturating_sub(buf.len());
    buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
}
