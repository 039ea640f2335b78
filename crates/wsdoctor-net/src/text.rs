//! Showing untrusted bytes safely: printable ASCII stays, everything else becomes an
//! escape, so a hostile server cannot put terminal control sequences into a report.

/// `bytes` as printable text: `\r`, `\n`, `\t` escaped, other non-printables as `\xNN`.
pub(crate) fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// Lossy UTF-8 with control characters (other than newline and tab) escaped.
pub(crate) fn lossy_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_bytes() {
        assert_eq!(
            printable(b"HTTP/1.1\r\n\x16\x03"),
            "HTTP/1.1\\r\\n\\x16\\x03"
        );
        assert_eq!(lossy_text("a\u{1b}[31mb\n".as_bytes()), "a\\u{1b}[31mb\n");
    }
}
