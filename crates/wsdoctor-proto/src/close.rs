//! Close status codes (RFC 6455 §7.4 and the IANA registry).
//!
//! The wire level only: the constants the codec and the lab send, and the rule for which
//! codes may legally appear in a Close frame. Codes 1005, 1006 and 1015 are reserved for
//! *reporting* ("no status", "abnormal closure", "TLS failure") and must never be sent. What
//! a code is called and means lives once, in `wsdoctor_core::tables::close`.

/// 1000: the purpose of the connection has been fulfilled.
pub const NORMAL: u16 = 1000;
/// 1001: the endpoint is going away (server shutdown, page navigation).
pub const GOING_AWAY: u16 = 1001;
/// 1002: the peer broke the protocol.
pub const PROTOCOL_ERROR: u16 = 1002;
/// 1003: the endpoint cannot accept this kind of data (e.g. binary only).
pub const UNSUPPORTED_DATA: u16 = 1003;
/// 1005: reserved; reported locally when a Close frame carried no code.
pub const NO_STATUS_RECEIVED: u16 = 1005;
/// 1006: reserved; reported locally when the connection dropped without a Close frame.
pub const ABNORMAL_CLOSURE: u16 = 1006;
/// 1007: the payload was inconsistent with its type (invalid UTF-8 in text).
pub const INVALID_PAYLOAD: u16 = 1007;
/// 1008: a policy was violated.
pub const POLICY_VIOLATION: u16 = 1008;
/// 1009: a message was too big to process.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// 1010: the client needed an extension the server did not negotiate.
pub const MANDATORY_EXTENSION: u16 = 1010;
/// 1011: the server hit an unexpected condition.
pub const INTERNAL_ERROR: u16 = 1011;
/// 1015: reserved; reported locally when the TLS handshake failed.
pub const TLS_HANDSHAKE: u16 = 1015;

/// Whether a Close frame may carry this code (RFC 6455 §7.4.1–7.4.2 plus IANA 1012–1014).
pub fn is_valid_on_wire(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// The code to send back in answer to a peer's Close (RFC 6455 §5.5.1 asks for its
/// code echoed): the peer's code when a Close frame may carry it, else 1000.
pub fn echo_code(code: Option<u16>) -> u16 {
    code.filter(|c| is_valid_on_wire(*c)).unwrap_or(NORMAL)
}

/// Whether the code is reserved for local reporting only (1005, 1006, 1015).
pub fn is_reserved_for_reporting(code: u16) -> bool {
    matches!(code, NO_STATUS_RECEIVED | ABNORMAL_CLOSURE | TLS_HANDSHAKE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_validity_matches_rfc_6455_and_iana() {
        for ok in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
        ] {
            assert!(is_valid_on_wire(ok), "{ok}");
        }
        for ok in [3000, 3999, 4000, 4999] {
            assert!(is_valid_on_wire(ok), "{ok}");
        }
        // Autobahn 7.9.x plus the edges
        for bad in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!is_valid_on_wire(bad), "{bad}");
        }
    }

    #[test]
    fn reporting_codes_are_never_valid_on_wire() {
        for code in [NO_STATUS_RECEIVED, ABNORMAL_CLOSURE, TLS_HANDSHAKE] {
            assert!(is_reserved_for_reporting(code));
            assert!(!is_valid_on_wire(code));
        }
    }
}
