//! Close codes → what they mean and their ranked catalog causes, through one typed
//! enum, [`CloseCode`].
//!
//! Close codes reach users as bare numbers in browser consoles and library exceptions
//! ("code 1006"), and reach `check` in the close frame a server sent. `check`'s session
//! rules, `explain`, `logs` and the lab all read this one table. wsdoctor-proto keeps
//! its wire-level constants and validity rule; what a code *means* lives here.
//!
//! # Reported versus received
//!
//! 1005, 1006 and 1015 are only ever reported locally (RFC 6455 §7.4.1): a browser says
//! 1006 when TCP ended without a close frame. Their ranked causes are what produces that
//! report; a server that puts one in a close frame breaks RFC 6455, which is the cause
//! [`CloseCode::frame_cause`] gives and which the table lists last for them.

use crate::catalog::CauseId;
use crate::catalog::CauseId as C;
use serde::Serialize;

/// A WebSocket close code, typed: each registered code by name, the rest by range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseCode {
    Normal,
    GoingAway,
    ProtocolError,
    UnsupportedData,
    /// 1004: reserved, never assigned.
    Reserved1004,
    /// 1005: reported locally when a close frame carried no code.
    NoStatusReceived,
    /// 1006: reported locally when the connection dropped without a close frame.
    AbnormalClosure,
    InvalidPayload,
    PolicyViolation,
    MessageTooBig,
    MandatoryExtension,
    InternalError,
    ServiceRestart,
    TryAgainLater,
    BadGateway,
    /// 1015: reported locally when the TLS handshake failed.
    TlsHandshake,
    /// 1016–2999: reserved for the protocol, not assigned.
    Unassigned(u16),
    /// 3000–3999: registered with IANA by libraries and frameworks.
    Registered(u16),
    /// 4000–4999: private to the application.
    Private(u16),
    /// 0–999 or 5000 and above: outside every range.
    OutOfRange(u16),
}

/// Which part of the code space a close code belongs to (RFC 6455 §7.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CloseRange {
    /// 0–999: never used.
    Unused,
    /// 1000–2999: defined by RFC 6455 and its extensions.
    Protocol,
    /// 3000–3999: registered with IANA by libraries and frameworks.
    Registered,
    /// 4000–4999: private to the application.
    Private,
    /// 5000 and above: outside every range.
    Invalid,
}

use CloseCode as K;

/// The registered codes: (code, variant, name, meaning in the field, ranked causes).
/// RFC 6455 §7.4.1 and the IANA registry.
type Row = (
    u16,
    CloseCode,
    &'static str,
    &'static str,
    &'static [CauseId],
);
static REGISTERED: &[Row] = &[
    (
        1000,
        K::Normal,
        "Normal Closure",
        "A clean close asked for by one side; not a failure.",
        &[C::SessionCloseNormal],
    ),
    (
        1001,
        K::GoingAway,
        "Going Away",
        "The endpoint is going away: a page closed or navigated, a suspended mobile tab, or a server shutting down or redeploying.",
        &[C::SessionCloseGoingAway, C::SessionClientSuspended],
    ),
    (
        1002,
        K::ProtocolError,
        "Protocol Error",
        "The peer thinks the other side broke RFC 6455 (framing, masking, handshake details).",
        &[C::SessionCloseProtocolError],
    ),
    (
        1003,
        K::UnsupportedData,
        "Unsupported Data",
        "The endpoint cannot accept this kind of message (text where it wants binary or the reverse).",
        &[C::SessionCloseUnsupportedData],
    ),
    (
        1004,
        K::Reserved1004,
        "Reserved",
        "Reserved by RFC 6455 and never assigned: must not be sent.",
        &[C::SessionCloseInvalidCode],
    ),
    (
        1005,
        K::NoStatusReceived,
        "No Status Received",
        "Reported locally when a close frame carried no code; never sent on the wire.",
        &[C::SessionCloseNormal, C::SessionCloseInvalidCode],
    ),
    (
        1006,
        K::AbnormalClosure,
        "Abnormal Closure",
        "Reported locally when the connection dropped without any close frame: an idle timeout in a proxy or load balancer, a crash, a network loss. Never sent on the wire.",
        &[
            C::SessionAbruptEof,
            C::ProxyIdleTimeout,
            C::SessionReset,
            C::SessionCloseInvalidCode,
        ],
    ),
    (
        1007,
        K::InvalidPayload,
        "Invalid Frame Payload Data",
        "A message was inconsistent with its type, usually invalid UTF-8 in a text message.",
        &[C::SessionCloseInvalidPayload, C::SessionInvalidUtf8],
    ),
    (
        1008,
        K::PolicyViolation,
        "Policy Violation",
        "A policy rejected the session after it opened: authentication expired, origin or rate limit.",
        &[C::SessionClosePolicy],
    ),
    (
        1009,
        K::MessageTooBig,
        "Message Too Big",
        "A message exceeded the receiver's limit (ws maxPayload, websockets max_size 1 MiB, gorilla SetReadLimit).",
        &[C::SessionCloseMessageTooBig],
    ),
    (
        1010,
        K::MandatoryExtension,
        "Mandatory Extension",
        "Sent by a client: the server did not negotiate an extension the client requires.",
        &[C::SessionCloseExtensionRequired],
    ),
    (
        1011,
        K::InternalError,
        "Internal Error",
        "The server hit an unexpected condition; Python websockets also uses it when keepalive pings go unanswered.",
        &[C::SessionCloseServerError, C::AsyncServerPingTimeout],
    ),
    (
        1012,
        K::ServiceRestart,
        "Service Restart",
        "The service is restarting; reconnect after a short delay.",
        &[C::SessionCloseTryLater],
    ),
    (
        1013,
        K::TryAgainLater,
        "Try Again Later",
        "The server is overloaded or temporarily refusing; reconnect with backoff.",
        &[C::SessionCloseTryLater],
    ),
    (
        1014,
        K::BadGateway,
        "Bad Gateway",
        "A gateway or proxy got an invalid answer from the server behind it.",
        &[C::SessionCloseTryLater],
    ),
    (
        1015,
        K::TlsHandshake,
        "TLS Handshake",
        "Reported locally when the TLS handshake failed; never sent on the wire.",
        &[
            C::TlsHandshakeFailed,
            C::TlsUnknownIssuer,
            C::TlsCertExpired,
            C::SessionCloseInvalidCode,
        ],
    ),
];

impl CloseCode {
    /// The typed reading of a number.
    pub fn from_u16(code: u16) -> CloseCode {
        if let Some(row) = REGISTERED.iter().find(|r| r.0 == code) {
            return row.1;
        }
        match code {
            1016..=2999 => K::Unassigned(code),
            3000..=3999 => K::Registered(code),
            4000..=4999 => K::Private(code),
            _ => K::OutOfRange(code),
        }
    }

    pub fn code(self) -> u16 {
        match self {
            K::Unassigned(c) | K::Registered(c) | K::Private(c) | K::OutOfRange(c) => c,
            // Every named variant has its row (the test below walks them all).
            named => REGISTERED.iter().find(|r| r.1 == named).map_or(0, |r| r.0),
        }
    }

    fn row(self) -> Option<&'static Row> {
        REGISTERED.iter().find(|r| r.1 == self)
    }

    pub fn range(self) -> CloseRange {
        match self.code() {
            0..=999 => CloseRange::Unused,
            1000..=2999 => CloseRange::Protocol,
            3000..=3999 => CloseRange::Registered,
            4000..=4999 => CloseRange::Private,
            _ => CloseRange::Invalid,
        }
    }

    /// The registered name, or a description of the range.
    pub fn name(self) -> &'static str {
        match (self.row(), self.range()) {
            (Some(r), _) => r.2,
            (None, CloseRange::Unused) => "unused",
            (None, CloseRange::Protocol) => "reserved",
            (None, CloseRange::Registered) => "registered range",
            (None, CloseRange::Private) => "private range",
            (None, _) => "invalid",
        }
    }

    /// What it means in practice.
    pub fn meaning(self) -> &'static str {
        match (self.row(), self.range()) {
            (Some(r), _) => r.3,
            (None, CloseRange::Unused) => {
                "Codes below 1000 are not used; a peer sending one breaks RFC 6455."
            }
            (None, CloseRange::Protocol) => {
                "Reserved for future RFC 6455 extensions and not assigned: must not be sent."
            }
            (None, CloseRange::Registered) => {
                "Registered with IANA by a library or framework; its documentation says what it means."
            }
            (None, CloseRange::Private) => {
                "Private to the application: its own code and docs define the meaning, often modelled on HTTP statuses (4401, 4403, 4404…)."
            }
            (None, _) => {
                "Outside every defined range (close codes end at 4999): a broken peer or a misread value."
            }
        }
    }

    /// May an endpoint send it in a close frame? 1005, 1006 and 1015 are only ever
    /// reported locally; unassigned codes must not be sent (RFC 6455 §7.4).
    pub fn on_wire(self) -> bool {
        matches!(self.code(), 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// Likely causes of a session reported as ended with this code, most common first.
    pub fn causes(self) -> &'static [CauseId] {
        match (self.row(), self.range()) {
            (Some(r), _) => r.4,
            (None, CloseRange::Registered | CloseRange::Private) => &[C::SessionCloseApplication],
            (None, _) => &[C::SessionCloseInvalidCode],
        }
    }

    /// The first of [`causes`](Self::causes).
    pub fn cause(self) -> CauseId {
        // Every row and range above lists at least one cause.
        self.causes()[0]
    }

    /// The cause when a server put this code in a close frame: a code that may not
    /// travel on the wire is the server breaking RFC 6455, whatever it would mean as
    /// a local report.
    pub fn frame_cause(self) -> CauseId {
        if self.on_wire() {
            self.cause()
        } else {
            C::SessionCloseInvalidCode
        }
    }

    /// A well-known use of an application code by a popular protocol, when one exists.
    pub fn convention(self) -> Option<&'static str> {
        CONVENTIONS.iter().find(|e| e.0 == self.code()).map(|e| e.1)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> CloseCode {
        CloseCode::from_u16(code)
    }
}

/// What a close code means, as `explain` and `logs` print it (JSON field names are
/// only ever added).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CloseCodeInfo {
    pub code: u16,
    /// The registered name, or a description of the range.
    pub name: &'static str,
    /// What it means in practice.
    pub meaning: &'static str,
    pub range: CloseRange,
    /// May an endpoint send it in a close frame?
    pub on_wire: bool,
    /// The catalog cause this code points to when it ends a session.
    pub cause: Option<CauseId>,
    /// Well-known uses of an application code by a popular protocol, when one exists.
    pub convention: Option<&'static str>,
}

/// Everything known about a close code.
pub fn close_code(code: u16) -> CloseCodeInfo {
    let k = CloseCode::from_u16(code);
    CloseCodeInfo {
        code,
        name: k.name(),
        meaning: k.meaning(),
        range: k.range(),
        on_wire: k.on_wire(),
        cause: Some(k.cause()),
        convention: k.convention(),
    }
}

/// Likely causes of a session that ended with `code`, most common first.
pub fn close_causes(code: u16) -> &'static [CauseId] {
    CloseCode::from_u16(code).causes()
}

/// Application codes with a widely used meaning. Registered IANA codes first, then
/// the GraphQL over WebSocket protocol (graphql-ws), the most common user of 4xxx.
static CONVENTIONS: &[(u16, &str)] = &[
    (3000, "IANA: Unauthorized"),
    (3003, "IANA: Forbidden"),
    (3008, "IANA: Timeout"),
    (4004, "graphql-ws: Bad Response"),
    (4005, "graphql-ws: Internal Client Error"),
    (4400, "graphql-ws: Bad Request (invalid message)"),
    (
        4401,
        "graphql-ws: Unauthorized (subscribed before the connection was acknowledged)",
    ),
    (4403, "graphql-ws: Forbidden"),
    (4406, "graphql-ws: Subprotocol Not Acceptable"),
    (4408, "graphql-ws: Connection Initialisation Timeout"),
    (4409, "graphql-ws: Subscriber Already Exists"),
    (4429, "graphql-ws: Too Many Initialisation Requests"),
    (4500, "graphql-ws: Internal Server Error"),
    (4504, "graphql-ws: Connection Acknowledgement Timeout"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_code_round_trips_every_number() {
        for code in 0..=u16::MAX {
            assert_eq!(CloseCode::from_u16(code).code(), code, "{code}");
        }
    }

    #[test]
    fn local_only_codes_are_not_on_the_wire() {
        for code in [1005, 1006, 1015] {
            assert!(!close_code(code).on_wire, "{code}");
            assert_eq!(
                CloseCode::from(code).frame_cause(),
                C::SessionCloseInvalidCode
            );
        }
        assert!(close_code(1000).on_wire);
        assert!(close_code(4000).on_wire);
        assert!(!close_code(1016).on_wire);
    }

    #[test]
    fn codes_map_to_their_catalog_causes() {
        let expect = [
            (1006, C::SessionAbruptEof),
            (1009, C::SessionCloseMessageTooBig),
            (1011, C::SessionCloseServerError),
            (1000, C::SessionCloseNormal),
            (1013, C::SessionCloseTryLater),
            (4403, C::SessionCloseApplication),
            (2000, C::SessionCloseInvalidCode),
            (999, C::SessionCloseInvalidCode),
        ];
        for (code, id) in expect {
            assert_eq!(close_code(code).cause, Some(id), "{code}");
        }
        assert!(close_causes(1006).contains(&C::ProxyIdleTimeout));
    }

    #[test]
    fn ranges_cover_the_whole_space() {
        assert_eq!(close_code(999).range, CloseRange::Unused);
        assert_eq!(close_code(1016).range, CloseRange::Protocol);
        assert_eq!(close_code(3000).range, CloseRange::Registered);
        assert_eq!(close_code(4999).range, CloseRange::Private);
        assert_eq!(close_code(5000).range, CloseRange::Invalid);
        assert_eq!(
            close_code(4401)
                .convention
                .map(|c| c.starts_with("graphql-ws")),
            Some(true)
        );
    }

    #[test]
    fn every_protocol_code_is_named() {
        for code in 1000..=1015 {
            assert_ne!(close_code(code).name, "reserved", "{code}");
        }
    }
}
