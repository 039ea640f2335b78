//! Sans-IO WebSocket protocol (RFC 6455) with permessage-deflate (RFC 7692).
//!
//! This crate exists so that every part of wsdoctor that speaks WebSocket — the probe
//! (`wsdoctor check`), the fault lab's servers and the conformance harness — shares one
//! implementation that never touches a socket or a clock. Bytes go in, events and bytes come
//! out; randomness (handshake nonces, masking keys) is passed in by the caller. That keeps every
//! rule unit-testable on byte vectors and lets the drivers decide about IO, deadlines and
//! buffers.
//!
//! # Why the codec is hand-written
//!
//! A diagnostic tool has two needs that established crates (tungstenite, fastwebsockets, …) do
//! not meet together:
//!
//! * it must **see every bit** of what the peer sent — reserved bits, the length encoding, the
//!   mask, the exact frame boundaries — and name each deviation from RFC 6455 precisely instead
//!   of folding it into a generic error and dropping the connection;
//! * it must be able to **write broken frames on purpose** (masked server frames, reserved bits,
//!   oversized or fragmented control frames, unknown opcodes, non-minimal lengths) so that the
//!   fault lab can show clients what a misbehaving server looks like.
//!
//! Libraries built to be correct peers reject or normalise exactly those things. So the frame
//! layer here is raw ([`frame`]), and the judgement lives in one place ([`session`]).
//!
//! # Map
//!
//! * [`handshake`] — the HTTP/1.1 Upgrade request and response, the accept key, header helpers.
//! * [`head`] — collecting a request or response head from bytes read in pieces, capped.
//! * [`frame`] — the frame codec: raw header decoding, frame encoding exactly as specified.
//! * [`session`] — the receive state machine for client and server roles, producing [`session::Event`]s.
//! * [`close`] — close status codes: the constants and which are allowed on the wire.
//! * [`utf8`] — incremental UTF-8 validation that fails on the first bad byte.
//! * [`deflate`] — permessage-deflate negotiation and per-message (de)compression.

pub mod close;
pub mod deflate;
pub mod frame;
pub mod handshake;
pub mod head;
pub mod session;
pub mod utf8;
