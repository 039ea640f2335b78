//! The server's first SETTINGS frame, read from the first bytes it sent. The h2 crate
//! applies SETTINGS without showing them, and a diagnosis needs them all (is
//! ENABLE_CONNECT_PROTOCOL absent or 0? what initial window?), so the frame is read
//! here: RFC 9113 §3.4 makes it the first thing a server sends.

use wsdoctor_core::evidence::H2Setting;
use wsdoctor_core::tables::h2::setting_name;

/// SETTINGS frame type (RFC 9113 §6.5).
const SETTINGS: u8 = 0x4;
/// The ACK flag: an acknowledgement carries no parameters.
const ACK: u8 = 0x1;

/// What the first bytes hold.
#[derive(Debug, PartialEq)]
pub(crate) enum First {
    Settings(Vec<H2Setting>),
    /// Not yet a whole frame header or payload.
    Incomplete,
    /// Something other than a SETTINGS frame came first (HTTP/1.1 bytes, say).
    NotSettings,
}

pub(crate) fn first_settings(bytes: &[u8]) -> First {
    let Some(header) = bytes.get(..9) else {
        return First::Incomplete;
    };
    let len = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
    let stream = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff;
    if header[3] != SETTINGS || header[4] & ACK != 0 || stream != 0 || !len.is_multiple_of(6) {
        return First::NotSettings;
    }
    let Some(payload) = bytes.get(9..9 + len) else {
        return First::Incomplete;
    };
    let settings = payload
        .chunks_exact(6)
        .map(|p| {
            let id = u16::from_be_bytes([p[0], p[1]]);
            H2Setting {
                id,
                name: setting_name(id).unwrap_or("").to_string(),
                value: u32::from_be_bytes([p[2], p[3], p[4], p[5]]),
            }
        })
        .collect();
    First::Settings(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_parameter_in_order() {
        let mut b = vec![0, 0, 12, SETTINGS, 0, 0, 0, 0, 0];
        b.extend_from_slice(&[0, 3, 0, 0, 0, 100, 0, 8, 0, 0, 0, 1]);
        b.extend_from_slice(b"trailing frames");
        let First::Settings(s) = first_settings(&b) else {
            panic!("a SETTINGS frame")
        };
        assert_eq!(s.len(), 2);
        assert_eq!((s[1].id, s[1].value), (8, 1));
        assert_eq!(s[1].name, "SETTINGS_ENABLE_CONNECT_PROTOCOL");
        assert_eq!(first_settings(&b[..12]), First::Incomplete);
    }

    #[test]
    fn other_bytes_are_not_settings() {
        assert_eq!(
            first_settings(b"HTTP/1.1 400 Bad Request\r\n"),
            First::NotSettings
        );
        // An empty SETTINGS is valid: every parameter at its default.
        assert_eq!(
            first_settings(&[0, 0, 0, SETTINGS, 0, 0, 0, 0, 0]),
            First::Settings(vec![])
        );
    }
}
