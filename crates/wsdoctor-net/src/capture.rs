//! The probe's judgement without its sockets, for `wsdoctor pcap`: a capture shows the
//! same bytes a live `check` reads, so it must turn them into evidence the same way —
//! the response as shown (secrets redacted), the start of a refusal's body, what a
//! non-HTTP answer looked like, the codec's violation as evidence, the deflate the
//! server accepted, and the caps on what is kept. One place, used by both.

use wsdoctor_core::evidence::{HttpOutcome, HttpResponse, Violation};
use wsdoctor_proto::deflate;
use wsdoctor_proto::handshake::Response;
use wsdoctor_proto::session::ProtocolViolation;

/// How much of a non-101 body is kept.
pub const BODY_CAP: usize = crate::http::BODY_CAP;
/// Server frame headers kept as evidence.
pub const MAX_FRAMES: usize = crate::session::MAX_FRAMES;
/// Server ping times kept as evidence.
pub const MAX_SERVER_PINGS: usize = crate::session::MAX_SERVER_PINGS;

/// The response head as a report shows it: header values redacted unless `show_secrets`.
pub fn shown_response(r: &Response, show_secrets: bool) -> HttpResponse {
    crate::http::shown_response(r, show_secrets)
}

/// Bytes that cannot start an HTTP response (a TLS record is told apart).
pub fn not_http(buf: &[u8]) -> HttpOutcome {
    crate::http::not_http(buf)
}

/// A head that started but did not complete, with why.
pub fn partial_head(buf: &[u8], message: &str) -> HttpOutcome {
    crate::http::partial(buf, message)
}

/// A body or message as safe text (control characters escaped).
pub fn lossy_text(bytes: &[u8]) -> String {
    crate::text::lossy_text(bytes)
}

/// The preview of a text message a report shows.
pub fn preview_text(t: &str) -> String {
    crate::session::preview_text(t)
}

/// The preview of a binary message a report shows.
pub fn preview_binary(b: &[u8]) -> String {
    crate::session::preview_binary(b)
}

/// The codec's violation as evidence.
pub fn violation(v: &ProtocolViolation) -> Violation {
    crate::session::violation(v)
}

/// The permessage-deflate parameters the server accepted of what the client offered.
pub fn negotiated_deflate(offered: &[String], response: &Response) -> Option<deflate::Params> {
    crate::session::negotiated_deflate(offered, response)
}
