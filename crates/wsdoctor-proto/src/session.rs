//! The WebSocket session after the handshake: bytes in, events out, for either role.
//!
//! Both the probe (a client) and the fault lab and conformance servers need the same judgement
//! of what a peer sent: which frames are legal, how fragments join into messages, when a text
//! message stops being UTF-8, what the close frame said. This module is that judgement, kept
//! free of IO so it can be tested on byte vectors. It streams: a frame's payload is checked as
//! its bytes arrive, so invalid UTF-8 is reported on the first bad byte even in the middle of a
//! frame, and a length over a limit is refused from the header alone. Nothing it buffers grows
//! past the caller's `max_message` (plus a 14-byte header and a 125-byte control payload).
//!
//! After a [`ProtocolViolation`] the session is failed: already queued events can still be
//! polled, no further input is looked at, and the caller sends a Close with
//! [`ProtocolViolation::close_code`] and drops the connection (RFC 6455 §7.1.7).

use crate::close;
use crate::deflate::{self, Compressor, Decompressor, DeflateError};
use crate::frame::{self, Frame, FrameHeader, LengthForm, OpCode};
use crate::utf8::Utf8Validator;
use std::collections::VecDeque;

/// Which end of the connection this session is; it decides who must mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Must mask what it sends; rejects masked frames.
    Client,
    /// Must not mask what it sends; rejects unmasked frames.
    Server,
}

/// A way the peer broke RFC 6455 / RFC 7692, or a limit it exceeded. Every variant is the
/// peer's fault; the session stops at the first one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolViolation {
    #[error("the server sent a masked frame")]
    MaskedFrameFromServer,
    #[error("the client sent an unmasked frame")]
    UnmaskedFrameFromClient,
    #[error(
        "reserved bits set without an extension defining them (rsv1={rsv1}, rsv2={rsv2}, rsv3={rsv3})"
    )]
    ReservedBitsSet { rsv1: bool, rsv2: bool, rsv3: bool },
    #[error("unknown opcode {0:#x}")]
    UnknownOpcode(u8),
    #[error("control frame with a {0}-byte payload (at most 125 allowed)")]
    ControlFrameTooLong(u64),
    #[error("fragmented control frame")]
    FragmentedControlFrame,
    #[error("continuation frame without a message to continue")]
    UnexpectedContinuation,
    #[error("new data frame while a fragmented message was still open")]
    ExpectedContinuation,
    #[error("text message is not valid UTF-8")]
    InvalidUtf8Text,
    #[error("close reason is not valid UTF-8")]
    InvalidUtf8CloseReason,
    #[error("close code {0} is not allowed on the wire")]
    InvalidCloseCode(u16),
    #[error("close frame with a 1-byte payload")]
    CloseFrameTooShort,
    #[error("message larger than the limit of {limit} bytes")]
    MessageTooLarge { limit: usize },
    #[error("payload length not in its shortest encoding")]
    NonMinimalLength,
    #[error("permessage-deflate data invalid: {0}")]
    DeflateError(String),
    #[error("frame of {len} bytes larger than the limit of {limit} bytes")]
    FrameTooLarge { len: u64, limit: usize },
}

impl ProtocolViolation {
    /// The close code to send when failing the connection for this violation.
    pub fn close_code(&self) -> u16 {
        match self {
            ProtocolViolation::InvalidUtf8Text | ProtocolViolation::InvalidUtf8CloseReason => {
                close::INVALID_PAYLOAD
            }
            ProtocolViolation::MessageTooLarge { .. } | ProtocolViolation::FrameTooLarge { .. } => {
                close::MESSAGE_TOO_BIG
            }
            _ => close::PROTOCOL_ERROR,
        }
    }

    /// True when the peer exceeded one of *our* limits rather than breaking the protocol.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            ProtocolViolation::MessageTooLarge { .. } | ProtocolViolation::FrameTooLarge { .. }
        )
    }
}

/// Something the peer did, in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The peer's Close frame; `code` is `None` for an empty payload.
    Close {
        code: Option<u16>,
        reason: String,
    },
    /// The peer broke the protocol; the session accepts no more input.
    Violation(ProtocolViolation),
    /// Every frame header, as soon as it is complete and before the event it leads to.
    FrameSeen(FrameHeader),
}

/// Session settings. Limits bound every buffer the session keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub role: Role,
    /// Largest message (after decompression) accepted.
    pub max_message: usize,
    /// Largest single frame payload accepted.
    pub max_frame: usize,
    /// Negotiated permessage-deflate parameters, if any.
    pub deflate: Option<deflate::Params>,
}

impl Config {
    /// 16 MiB messages and frames, no compression.
    pub fn new(role: Role) -> Self {
        Config {
            role,
            max_message: 16 << 20,
            max_frame: 16 << 20,
            deflate: None,
        }
    }
}

/// The session state machine; see the module docs.
pub struct Session {
    cfg: Config,
    events: VecDeque<Event>,
    /// At most one frame header (14 bytes) while it is incomplete.
    header_buf: Vec<u8>,
    read: ReadState,
    /// The open (possibly fragmented) data message.
    message: Option<Message>,
    /// Payload of the control frame being read (at most 125 bytes).
    control: Vec<u8>,
    compressor: Option<Compressor>,
    decompressor: Option<Decompressor>,
    failed: bool,
    close_received: bool,
    close_sent: bool,
}

enum ReadState {
    Header,
    Payload { header: FrameHeader, received: u64 },
}

struct Message {
    text: bool,
    compressed: bool,
    data: Vec<u8>,
    utf8: Utf8Validator,
    /// How much of `data` the UTF-8 validator has seen.
    validated: usize,
}

impl Session {
    pub fn new(cfg: Config) -> Self {
        // Our compressor obeys the limits on our side; the peer's context rule tells the
        // decompressor when it may reset.
        let (compressor, decompressor) = cfg
            .deflate
            .map(|p| match cfg.role {
                Role::Client => (
                    Compressor::new(p.client_max_window_bits, p.client_no_context_takeover),
                    Decompressor::new(p.server_no_context_takeover),
                ),
                Role::Server => (
                    Compressor::new(p.server_max_window_bits, p.server_no_context_takeover),
                    Decompressor::new(p.client_no_context_takeover),
                ),
            })
            .unzip();
        Session {
            cfg,
            events: VecDeque::new(),
            header_buf: Vec::with_capacity(14),
            read: ReadState::Header,
            message: None,
            control: Vec::new(),
            compressor,
            decompressor,
            failed: false,
            close_received: false,
            close_sent: false,
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Processes bytes received from the peer; events become available from [`Session::poll_event`].
    /// Input after a violation or after the peer's Close frame is ignored.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && self.reading() {
            bytes = match self.read {
                ReadState::Header => self.feed_header(bytes),
                ReadState::Payload { .. } => self.feed_payload(bytes),
            };
        }
    }

    /// The next event, in wire order.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub fn encode_text(&mut self, s: &str, mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
        self.encode_message(OpCode::Text, s.as_bytes(), mask, out);
    }

    pub fn encode_binary(&mut self, data: &[u8], mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
        self.encode_message(OpCode::Binary, data, mask, out);
    }

    pub fn encode_ping(&mut self, payload: &[u8], mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
        Frame::ping(payload).with_mask(mask).encode(out);
    }

    pub fn encode_pong(&mut self, payload: &[u8], mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
        Frame::pong(payload).with_mask(mask).encode(out);
    }

    /// Writes a Close frame and records that we sent one.
    pub fn encode_close(
        &mut self,
        code: Option<u16>,
        reason: &str,
        mask: Option<[u8; 4]>,
        out: &mut Vec<u8>,
    ) {
        Frame::close(code, reason).with_mask(mask).encode(out);
        self.close_sent = true;
    }

    /// True once the closing handshake is complete (Close sent and received) or the session
    /// failed: the caller should close the TCP connection (the server first, RFC 6455 §7.1.1).
    pub fn is_closed(&self) -> bool {
        self.failed || (self.close_sent && self.close_received)
    }

    /// The peer broke the protocol.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// The peer's Close frame arrived.
    pub fn close_received(&self) -> bool {
        self.close_received
    }

    /// We wrote a Close frame.
    pub fn close_sent(&self) -> bool {
        self.close_sent
    }

    /// Sends a message as one frame, compressed when permessage-deflate was negotiated.
    fn encode_message(
        &mut self,
        opcode: OpCode,
        data: &[u8],
        mask: Option<[u8; 4]>,
        out: &mut Vec<u8>,
    ) {
        if let Some(c) = self.compressor.as_mut() {
            let mut compressed = Vec::with_capacity(data.len() / 2 + 16);
            // Compression of our own in-memory data only fails on an internal flate2 error;
            // falling back to an uncompressed message is always allowed (RFC 7692 §6).
            if c.compress(data, &mut compressed).is_ok() {
                Frame::new(opcode, compressed)
                    .with_rsv(true, false, false)
                    .with_mask(mask)
                    .encode(out);
                return;
            }
        }
        Frame::new(opcode, data.to_vec())
            .with_mask(mask)
            .encode(out);
    }

    fn reading(&self) -> bool {
        !self.failed && !self.close_received
    }

    /// Collects header bytes; returns the input not used.
    fn feed_header<'a>(&mut self, bytes: &'a [u8]) -> &'a [u8] {
        let before = self.header_buf.len();
        let take = (14 - before).min(bytes.len());
        self.header_buf.extend_from_slice(&bytes[..take]);
        let decoded = frame::decode_header(&self.header_buf);
        let Ok(Some((header, header_len))) = decoded else {
            // Incomplete (decode_header never errors; a full 14 bytes always completes a header).
            return &bytes[take..];
        };
        self.header_buf.clear();
        // The `before` bytes buffered earlier did not complete a header, so header_len > before,
        // and the rest of the header came from the `take` bytes of this input.
        let rest = &bytes[header_len - before..];
        self.events.push_back(Event::FrameSeen(header));
        match self.check_header(&header, header_len) {
            Err(v) => self.fail(v),
            Ok(()) => {
                self.read = ReadState::Payload {
                    header,
                    received: 0,
                };
                if header.payload_len == 0 {
                    self.end_of_frame(header);
                }
            }
        }
        rest
    }

    /// Takes payload bytes of the current frame; returns the input not used.
    fn feed_payload<'a>(&mut self, bytes: &'a [u8]) -> &'a [u8] {
        let ReadState::Payload { header, received } = self.read else {
            return bytes;
        };
        let left = header.payload_len - received;
        let n = usize::try_from(left).map_or(bytes.len(), |left| left.min(bytes.len()));
        let mut chunk = bytes[..n].to_vec();
        if let Some(key) = header.mask {
            frame::apply_mask(&mut chunk, key, received);
        }
        let received = received + n as u64;
        self.read = ReadState::Payload { header, received };
        let result = if header.opcode.is_control() {
            self.control.extend_from_slice(&chunk);
            Ok(())
        } else {
            self.message_data(&chunk)
        };
        match result {
            Err(v) => self.fail(v),
            Ok(()) if received == header.payload_len => self.end_of_frame(header),
            Ok(()) => {}
        }
        &bytes[n..]
    }

    /// Judges a complete header before any of its payload is accepted.
    fn check_header(
        &mut self,
        h: &FrameHeader,
        header_len: usize,
    ) -> Result<(), ProtocolViolation> {
        match (self.cfg.role, h.mask.is_some()) {
            (Role::Client, true) => return Err(ProtocolViolation::MaskedFrameFromServer),
            (Role::Server, false) => return Err(ProtocolViolation::UnmaskedFrameFromClient),
            _ => {}
        }
        if let OpCode::Reserved(op) = h.opcode {
            return Err(ProtocolViolation::UnknownOpcode(op));
        }
        let starts_message = matches!(h.opcode, OpCode::Text | OpCode::Binary);
        let rsv1_allowed = starts_message && self.decompressor.is_some();
        if (h.rsv1 && !rsv1_allowed) || h.rsv2 || h.rsv3 {
            return Err(ProtocolViolation::ReservedBitsSet {
                rsv1: h.rsv1,
                rsv2: h.rsv2,
                rsv3: h.rsv3,
            });
        }
        if h.opcode.is_control() {
            if h.payload_len > 125 {
                return Err(ProtocolViolation::ControlFrameTooLong(h.payload_len));
            }
            if !h.fin {
                return Err(ProtocolViolation::FragmentedControlFrame);
            }
        }
        if h.length_form(header_len) != LengthForm::minimal(h.payload_len) {
            return Err(ProtocolViolation::NonMinimalLength);
        }
        if h.payload_len > self.cfg.max_frame as u64 {
            return Err(ProtocolViolation::FrameTooLarge {
                len: h.payload_len,
                limit: self.cfg.max_frame,
            });
        }
        if h.opcode.is_control() {
            self.control.clear();
            return Ok(());
        }
        match (&self.message, starts_message) {
            (None, false) => return Err(ProtocolViolation::UnexpectedContinuation),
            (Some(_), true) => return Err(ProtocolViolation::ExpectedContinuation),
            (None, true) => {
                self.message = Some(Message {
                    text: h.opcode == OpCode::Text,
                    compressed: h.rsv1,
                    data: Vec::new(),
                    utf8: Utf8Validator::new(),
                    validated: 0,
                })
            }
            (Some(_), false) => {}
        }
        // Uncompressed sizes are known from the header: refuse before receiving the payload.
        let so_far = self
            .message
            .as_ref()
            .map_or(0, |m| if m.compressed { 0 } else { m.data.len() });
        if so_far as u64 + h.payload_len > self.cfg.max_message as u64 {
            return Err(ProtocolViolation::MessageTooLarge {
                limit: self.cfg.max_message,
            });
        }
        Ok(())
    }

    /// Appends (decompressed) payload bytes to the open message and validates new text.
    fn message_data(&mut self, chunk: &[u8]) -> Result<(), ProtocolViolation> {
        let limit = self.cfg.max_message;
        let Some(msg) = self.message.as_mut() else {
            return Ok(()); // check_header opened a message for every data frame
        };
        if msg.compressed {
            if let Some(d) = self.decompressor.as_mut() {
                d.push(chunk, &mut msg.data, limit)
                    .map_err(|e| deflate_violation(e, limit))?;
            }
        } else {
            msg.data.extend_from_slice(chunk);
        }
        msg.validate()
    }

    fn end_of_frame(&mut self, header: FrameHeader) {
        self.read = ReadState::Header;
        let result = match header.opcode {
            OpCode::Ping => Ok(Some(Event::Ping(std::mem::take(&mut self.control)))),
            OpCode::Pong => Ok(Some(Event::Pong(std::mem::take(&mut self.control)))),
            OpCode::Close => self.close_frame(),
            _ if header.fin => self.end_of_message(),
            _ => Ok(None),
        };
        match result {
            Ok(Some(event)) => self.events.push_back(event),
            Ok(None) => {}
            Err(v) => self.fail(v),
        }
    }

    fn close_frame(&mut self) -> Result<Option<Event>, ProtocolViolation> {
        let payload = std::mem::take(&mut self.control);
        let event = match payload.as_slice() {
            [] => Event::Close {
                code: None,
                reason: String::new(),
            },
            [_] => return Err(ProtocolViolation::CloseFrameTooShort),
            [hi, lo, reason @ ..] => {
                let code = u16::from_be_bytes([*hi, *lo]);
                if !close::is_valid_on_wire(code) {
                    return Err(ProtocolViolation::InvalidCloseCode(code));
                }
                let reason = std::str::from_utf8(reason)
                    .map_err(|_| ProtocolViolation::InvalidUtf8CloseReason)?;
                Event::Close {
                    code: Some(code),
                    reason: reason.to_string(),
                }
            }
        };
        self.close_received = true;
        Ok(Some(event))
    }

    fn end_of_message(&mut self) -> Result<Option<Event>, ProtocolViolation> {
        let limit = self.cfg.max_message;
        let Some(mut msg) = self.message.take() else {
            return Ok(None);
        };
        if msg.compressed {
            if let Some(d) = self.decompressor.as_mut() {
                d.finish(&mut msg.data, limit)
                    .map_err(|e| deflate_violation(e, limit))?;
            }
            msg.validate()?;
        }
        if !msg.text {
            return Ok(Some(Event::Binary(msg.data)));
        }
        msg.utf8
            .finish()
            .map_err(|_| ProtocolViolation::InvalidUtf8Text)?;
        let text = String::from_utf8(msg.data).map_err(|_| ProtocolViolation::InvalidUtf8Text)?;
        Ok(Some(Event::Text(text)))
    }

    fn fail(&mut self, v: ProtocolViolation) {
        self.failed = true;
        self.message = None;
        self.events.push_back(Event::Violation(v));
    }
}

impl Message {
    /// Validates text bytes appended since the last call (fails on the first bad byte).
    fn validate(&mut self) -> Result<(), ProtocolViolation> {
        if self.text {
            self.utf8
                .push(&self.data[self.validated..])
                .map_err(|_| ProtocolViolation::InvalidUtf8Text)?;
        }
        self.validated = self.data.len();
        Ok(())
    }
}

fn deflate_violation(e: DeflateError, limit: usize) -> ProtocolViolation {
    match e {
        DeflateError::TooLarge { .. } => ProtocolViolation::MessageTooLarge { limit },
        other => ProtocolViolation::DeflateError(other.to_string()),
    }
}

#[cfg(test)]
mod tests;
