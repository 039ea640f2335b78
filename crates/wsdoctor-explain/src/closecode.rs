//! Close-code knowledge: what a WebSocket close code means, whether it can appear on
//! the wire, and which catalog cause it points to.
//!
//! Close codes reach users as bare numbers in browser consoles and library exceptions
//! ("code 1006"), so `explain`, `logs` and `check` all need the same reading of them.
//! Pure functions over a table, no IO.

use serde::Serialize;
use wsdoctor_core::CauseId;

/// Which part of the code space a close code belongs to (RFC 6455 §7.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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

/// What a close code means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CloseCodeInfo {
    pub code: u16,
    /// The registered name, or a description of the range.
    pub name: &'static str,
    /// What it means in practice.
    pub meaning: &'static str,
    pub range: CloseRange,
    /// May an endpoint send it in a close frame? 1005, 1006 and 1015 are only ever
    /// reported locally; unassigned codes must not be sent.
    pub on_wire: bool,
    /// The catalog cause this code points to when it ends a session.
    pub cause: Option<CauseId>,
    /// Well-known uses of an application code by a popular protocol, when one exists.
    pub convention: Option<&'static str>,
}

/// Everything known about a close code.
pub fn close_code(code: u16) -> CloseCodeInfo {
    let range = range(code);
    if let Some(&(_, name, meaning, on_wire, cause)) = PROTOCOL.iter().find(|e| e.0 == code) {
        return CloseCodeInfo {
            code,
            name,
            meaning,
            range,
            on_wire,
            cause: Some(cause),
            convention: None,
        };
    }
    let convention = CONVENTIONS.iter().find(|e| e.0 == code).map(|e| e.1);
    let (name, meaning, on_wire, cause) = match range {
        CloseRange::Unused => (
            "unused",
            "Codes below 1000 are not used; a peer sending one breaks RFC 6455.",
            false,
            CauseId::SessionCloseInvalidCode,
        ),
        CloseRange::Protocol => (
            "reserved",
            "Reserved for future RFC 6455 extensions and not assigned: must not be sent.",
            false,
            CauseId::SessionCloseInvalidCode,
        ),
        CloseRange::Registered => (
            "registered range",
            "Registered with IANA by a library or framework; its documentation says what it means.",
            true,
            CauseId::SessionCloseApplication,
        ),
        CloseRange::Private => (
            "private range",
            "Private to the application: its own code and docs define the meaning, often modelled on HTTP statuses (4401, 4403, 4404…).",
            true,
            CauseId::SessionCloseApplication,
        ),
        CloseRange::Invalid => (
            "invalid",
            "Outside every defined range (close codes end at 4999): a broken peer or a misread value.",
            false,
            CauseId::SessionCloseInvalidCode,
        ),
    };
    CloseCodeInfo {
        code,
        name,
        meaning,
        range,
        on_wire,
        cause: Some(cause),
        convention,
    }
}

/// Likely causes of a session that ended with `code`, most common first: the code's
/// own cause, then what usually produces it in the field.
pub fn close_causes(code: u16) -> &'static [CauseId] {
    use CauseId as C;
    match code {
        1000 | 1005 => &[C::SessionCloseNormal],
        1001 => &[C::SessionCloseGoingAway, C::SessionClientSuspended],
        1002 => &[C::SessionCloseProtocolError],
        1003 => &[C::SessionCloseUnsupportedData],
        1006 => &[C::SessionAbruptEof, C::ProxyIdleTimeout, C::SessionReset],
        1007 => &[C::SessionCloseInvalidPayload, C::SessionInvalidUtf8],
        1008 => &[C::SessionClosePolicy],
        1009 => &[C::SessionCloseMessageTooBig],
        1010 => &[C::SessionCloseExtensionRequired],
        1011 => &[C::SessionCloseServerError, C::AsyncServerPingTimeout],
        1012..=1014 => &[C::SessionCloseTryLater],
        1015 => &[
            C::TlsHandshakeFailed,
            C::TlsUnknownIssuer,
            C::TlsCertExpired,
        ],
        3000..=4999 => &[C::SessionCloseApplication],
        _ => &[C::SessionCloseInvalidCode],
    }
}

fn range(code: u16) -> CloseRange {
    match code {
        0..=999 => CloseRange::Unused,
        1000..=2999 => CloseRange::Protocol,
        3000..=3999 => CloseRange::Registered,
        4000..=4999 => CloseRange::Private,
        _ => CloseRange::Invalid,
    }
}

type Entry = (u16, &'static str, &'static str, bool, CauseId);

/// RFC 6455 §7.4.1 and the IANA registry, with what each code usually means in the field.
static PROTOCOL: &[Entry] = &[
    (
        1000,
        "Normal Closure",
        "A clean close asked for by one side; not a failure.",
        true,
        CauseId::SessionCloseNormal,
    ),
    (
        1001,
        "Going Away",
        "The endpoint is going away: a page closed or navigated, a suspended mobile tab, or a server shutting down or redeploying.",
        true,
        CauseId::SessionCloseGoingAway,
    ),
    (
        1002,
        "Protocol Error",
        "The peer thinks the other side broke RFC 6455 (framing, masking, handshake details).",
        true,
        CauseId::SessionCloseProtocolError,
    ),
    (
        1003,
        "Unsupported Data",
        "The endpoint cannot accept this kind of message (text where it wants binary or the reverse).",
        true,
        CauseId::SessionCloseUnsupportedData,
    ),
    (
        1004,
        "Reserved",
        "Reserved by RFC 6455 and never assigned: must not be sent.",
        false,
        CauseId::SessionCloseInvalidCode,
    ),
    (
        1005,
        "No Status Received",
        "Reported locally when a close frame carried no code; never sent on the wire.",
        false,
        CauseId::SessionCloseNormal,
    ),
    (
        1006,
        "Abnormal Closure",
        "Reported locally when the connection dropped without any close frame: an idle timeout in a proxy or load balancer, a crash, a network loss. Never sent on the wire.",
        false,
        CauseId::SessionAbruptEof,
    ),
    (
        1007,
        "Invalid Frame Payload Data",
        "A message was inconsistent with its type, usually invalid UTF-8 in a text message.",
        true,
        CauseId::SessionCloseInvalidPayload,
    ),
    (
        1008,
        "Policy Violation",
        "A policy rejected the session after it opened: authentication expired, origin or rate limit.",
        true,
        CauseId::SessionClosePolicy,
    ),
    (
        1009,
        "Message Too Big",
        "A message exceeded the receiver's limit (ws maxPayload, websockets max_size 1 MiB, gorilla SetReadLimit).",
        true,
        CauseId::SessionCloseMessageTooBig,
    ),
    (
        1010,
        "Mandatory Extension",
        "Sent by a client: the server did not negotiate an extension the client requires.",
        true,
        CauseId::SessionCloseExtensionRequired,
    ),
    (
        1011,
        "Internal Error",
        "The server hit an unexpected condition; Python websockets also uses it when keepalive pings go unanswered.",
        true,
        CauseId::SessionCloseServerError,
    ),
    (
        1012,
        "Service Restart",
        "The service is restarting; reconnect after a short delay.",
        true,
        CauseId::SessionCloseTryLater,
    ),
    (
        1013,
        "Try Again Later",
        "The server is overloaded or temporarily refusing; reconnect with backoff.",
        true,
        CauseId::SessionCloseTryLater,
    ),
    (
        1014,
        "Bad Gateway",
        "A gateway or proxy got an invalid answer from the server behind it.",
        true,
        CauseId::SessionCloseTryLater,
    ),
    (
        1015,
        "TLS Handshake",
        "Reported locally when the TLS handshake failed; never sent on the wire.",
        false,
        CauseId::TlsHandshakeFailed,
    ),
];

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
    fn local_only_codes_are_not_on_the_wire() {
        for code in [1005, 1006, 1015] {
            assert!(!close_code(code).on_wire, "{code}");
        }
        assert!(close_code(1000).on_wire);
        assert!(close_code(4000).on_wire);
    }

    #[test]
    fn codes_map_to_their_catalog_causes() {
        assert_eq!(close_code(1006).cause, Some(CauseId::SessionAbruptEof));
        assert_eq!(
            close_code(1009).cause,
            Some(CauseId::SessionCloseMessageTooBig)
        );
        assert_eq!(
            close_code(1011).cause,
            Some(CauseId::SessionCloseServerError)
        );
        assert_eq!(close_code(1000).cause, Some(CauseId::SessionCloseNormal));
        assert_eq!(close_code(1013).cause, Some(CauseId::SessionCloseTryLater));
        assert_eq!(
            close_code(4403).cause,
            Some(CauseId::SessionCloseApplication)
        );
        assert_eq!(
            close_code(2000).cause,
            Some(CauseId::SessionCloseInvalidCode)
        );
    }

    #[test]
    fn ranges_cover_the_whole_space() {
        assert_eq!(close_code(999).range, CloseRange::Unused);
        assert_eq!(close_code(1016).range, CloseRange::Protocol);
        assert!(!close_code(1016).on_wire);
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
    fn ranked_causes_start_with_the_codes_own_cause() {
        for code in (0..6000).step_by(7).chain(1000..=1015) {
            assert_eq!(
                close_causes(code).first().copied(),
                close_code(code).cause,
                "{code}"
            );
        }
        assert!(close_causes(1006).contains(&CauseId::ProxyIdleTimeout));
    }

    #[test]
    fn every_protocol_code_is_named() {
        for code in 1000..=1015 {
            let info = close_code(code);
            assert_ne!(info.name, "reserved", "{code}");
        }
    }
}
