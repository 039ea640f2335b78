//! WebSockets over HTTP/2 (RFC 8441): what the extended-CONNECT probe saw on a
//! connection of its own, beside the HTTP/1.1 walk. Browsers take this path when the
//! server picks `h2` in ALPN and advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, so it can
//! fail while the HTTP/1.1 check passes (and the other way round).

use super::{HttpResponse, SessionEvidence, Timing};
use serde::{Deserialize, Serialize};

/// The HTTP/2 probe. `outcome` says how far it got; the later fields are filled as far.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema, Deserialize)]
pub struct H2Evidence {
    /// `--http2` asked for it; false when it ran because the target is `wss://`.
    pub requested: bool,
    /// The protocol the server chose when offered `h2` and `http/1.1` (null: none, or
    /// a `ws://` target probed with prior knowledge).
    pub alpn: Option<String>,
    /// The server's first SETTINGS frame, in wire order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<H2Setting>,
    pub outcome: H2Outcome,
    /// The extended CONNECT as sent (pseudo-headers first), secrets redacted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_head: String,
    /// The answer to the CONNECT (`version` 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
    /// The WebSocket session over the stream, after a 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionEvidence>,
    /// The stream or connection was reset after the 2xx (RST_STREAM or GOAWAY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_error: Option<H2Error>,
    /// Our last write was still waiting for flow-control window when the session
    /// ended: this many milliseconds with no window from the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_stalled_ms: Option<f64>,
    /// Time spent per layer of this probe (tls, http, session).
    pub timings: Vec<Timing>,
    pub ms: f64,
}

impl H2Evidence {
    /// The value of a setting the server sent, by identifier.
    pub fn setting(&self, id: u16) -> Option<u32> {
        self.settings.iter().find(|s| s.id == id).map(|s| s.value)
    }

    /// A browser would open its WebSocket over this HTTP/2 connection: `h2` was chosen
    /// and SETTINGS_ENABLE_CONNECT_PROTOCOL is 1. Otherwise it uses HTTP/1.1.
    pub fn browser_uses_h2(&self) -> bool {
        self.alpn.as_deref() == Some("h2")
            && self.setting(crate::tables::h2::ENABLE_CONNECT_PROTOCOL) == Some(1)
    }
}

/// One SETTINGS parameter as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct H2Setting {
    pub id: u16,
    /// RFC name (`SETTINGS_ENABLE_CONNECT_PROTOCOL`), empty for an unknown identifier.
    pub name: String,
    pub value: u32,
}

/// An HTTP/2 error code received in RST_STREAM or GOAWAY.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct H2Error {
    pub code: u32,
    /// `PROTOCOL_ERROR`, `CANCEL`, … (RFC 9113 §7).
    pub name: String,
    /// GOAWAY (the whole connection) rather than RST_STREAM (this stream).
    pub goaway: bool,
}

impl H2Error {
    pub fn new(code: u32, goaway: bool) -> H2Error {
        H2Error {
            code,
            name: crate::tables::h2::error_name(code),
            goaway,
        }
    }
}

/// How far the HTTP/2 probe got.
#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum H2Outcome {
    #[default]
    NotTried,
    /// ALPN chose something else (`alpn`): the server does not offer HTTP/2 here.
    NotNegotiated,
    /// `h2` was chosen but what came back is not an HTTP/2 connection.
    NotHttp2 {
        first_bytes: String,
        message: String,
    },
    /// The connection could not be opened again (TCP, proxy or TLS failed this time).
    Failed { message: String },
    /// HTTP/2 works, but SETTINGS_ENABLE_CONNECT_PROTOCOL is absent or 0: no extended
    /// CONNECT may be sent (RFC 8441 §3).
    NotAdvertised,
    /// The CONNECT got no response headers before the deadline.
    NoAnswer { waited_ms: f64 },
    /// The stream (or connection) was reset instead of answered.
    Reset { error: H2Error },
    /// A status other than 2xx (`response` has the headers).
    Rejected { status: u16 },
    /// A 2xx: the WebSocket is open on the stream (RFC 8441 §5).
    Open { status: u16 },
}
