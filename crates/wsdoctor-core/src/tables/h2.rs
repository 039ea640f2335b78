//! HTTP/2 codes wsdoctor names in its findings: the SETTINGS identifiers (RFC 9113
//! §6.5.2, plus RFC 8441's ENABLE_CONNECT_PROTOCOL) and the error codes of RST_STREAM
//! and GOAWAY (RFC 9113 §7). The probe records numbers; the names come from here.

/// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3): 1 lets clients send extended CONNECT.
pub const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
/// SETTINGS_INITIAL_WINDOW_SIZE: the flow-control window each new stream starts with.
pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
/// PROTOCOL_ERROR: what a server answers to a CONNECT it reads as malformed, which is
/// how a `:protocol` it does not understand (or that a hop stripped) comes back.
pub const PROTOCOL_ERROR: u32 = 0x1;

/// The name of a SETTINGS identifier, `None` for one no RFC defines.
pub fn setting_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x1 => "SETTINGS_HEADER_TABLE_SIZE",
        0x2 => "SETTINGS_ENABLE_PUSH",
        0x3 => "SETTINGS_MAX_CONCURRENT_STREAMS",
        0x4 => "SETTINGS_INITIAL_WINDOW_SIZE",
        0x5 => "SETTINGS_MAX_FRAME_SIZE",
        0x6 => "SETTINGS_MAX_HEADER_LIST_SIZE",
        0x8 => "SETTINGS_ENABLE_CONNECT_PROTOCOL",
        0x9 => "SETTINGS_NO_RFC7540_PRIORITIES",
        _ => return None,
    })
}

/// The name of an HTTP/2 error code (`UNKNOWN_ERROR_0x..` for others, as Wireshark does).
pub fn error_name(code: u32) -> String {
    let name = match code {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        0xb => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        other => return format!("UNKNOWN_ERROR_0x{other:x}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_rfc_numbers() {
        assert_eq!(
            setting_name(ENABLE_CONNECT_PROTOCOL),
            Some("SETTINGS_ENABLE_CONNECT_PROTOCOL")
        );
        assert_eq!(setting_name(0x7), None);
        assert_eq!(error_name(PROTOCOL_ERROR), "PROTOCOL_ERROR");
        assert_eq!(error_name(0xd), "HTTP_1_1_REQUIRED");
        assert_eq!(error_name(0x42), "UNKNOWN_ERROR_0x42");
    }
}
