//! Container log wrappers, taken off before a line is read: the CRI format kubelet
//! writes to `/var/log/containers/*.log` (`2024-05-01T10:00:00.123456789Z stdout F
//! <line>`) and Docker's json-file driver (`{"log":"<line>\n","stream":"stdout",
//! "time":"…"}`), so `kubectl logs` output and node log files read as the format inside.

/// A wrapper around each line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrapper {
    Cri,
    Docker,
}

impl Wrapper {
    pub fn name(self) -> &'static str {
        match self {
            Wrapper::Cri => "cri",
            Wrapper::Docker => "docker",
        }
    }

    /// The wrapper of a line, if it has one.
    pub fn of(line: &[u8]) -> Option<Wrapper> {
        if cri(line).is_some() {
            Some(Wrapper::Cri)
        } else if line.starts_with(br#"{"log":""#) {
            Some(Wrapper::Docker)
        } else {
            None
        }
    }

    /// The line inside; `buf` holds it when it had to be unescaped. A line without
    /// the wrapper is returned as it is.
    pub fn unwrap<'a>(self, line: &'a [u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
        match self {
            Wrapper::Cri => cri(line).unwrap_or(line),
            Wrapper::Docker => match docker(line, buf) {
                true => buf.as_slice(),
                false => line,
            },
        }
    }
}

/// `<RFC 3339 time> <stdout|stderr> <F|P> <line>`
fn cri(line: &[u8]) -> Option<&[u8]> {
    if line.len() < 20 || !line[0].is_ascii_digit() || line[4] != b'-' || line[10] != b'T' {
        return None;
    }
    let sp = memchr::memchr(b' ', line)?;
    let rest = &line[sp + 1..];
    let rest = rest
        .strip_prefix(b"stdout ")
        .or_else(|| rest.strip_prefix(b"stderr "))?;
    let rest = rest
        .strip_prefix(b"F")
        .or_else(|| rest.strip_prefix(b"P"))?;
    Some(rest.strip_prefix(b" ").unwrap_or(rest))
}

/// Unescapes the `log` string of a Docker json-file line into `buf`.
fn docker(line: &[u8], buf: &mut Vec<u8>) -> bool {
    let Some(body) = line.strip_prefix(br#"{"log":""#) else {
        return false;
    };
    buf.clear();
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => break,
            b'\\' if i + 1 < body.len() => {
                i += 1;
                match body[i] {
                    b'n' | b'r' => {}
                    b't' => buf.push(b'\t'),
                    b'u' if i + 4 < body.len() => {
                        let hex = std::str::from_utf8(&body[i + 1..i + 5])
                            .ok()
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .and_then(char::from_u32)
                            .unwrap_or('\u{fffd}');
                        let mut tmp = [0u8; 4];
                        buf.extend_from_slice(hex.encode_utf8(&mut tmp).as_bytes());
                        i += 4;
                    }
                    c => buf.push(c),
                }
            }
            c => buf.push(c),
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cri_and_docker_lines_unwrap_to_the_inner_line() {
        let inner = br#"10.244.0.1 - - [03/Dec/2026:14:09:36 +0000] "GET /ws HTTP/1.1" 101 13 "-" "Mozilla/5.0""#;
        let mut cri_line = b"2026-12-03T14:09:36.123456789Z stdout F ".to_vec();
        cri_line.extend_from_slice(inner);
        let mut buf = Vec::new();
        assert_eq!(Wrapper::of(&cri_line), Some(Wrapper::Cri));
        assert_eq!(Wrapper::Cri.unwrap(&cri_line, &mut buf), &inner[..]);
        let docker_line = br#"{"log":"10.244.0.1 - - [03/Dec/2026:14:09:36 +0000] \"GET /ws HTTP/1.1\" 101 13 \"-\" \"Mozilla/5.0\"\n","stream":"stdout","time":"2026-12-03T14:09:36.123456789Z"}"#;
        assert_eq!(Wrapper::of(docker_line), Some(Wrapper::Docker));
        assert_eq!(Wrapper::Docker.unwrap(docker_line, &mut buf), &inner[..]);
        assert_eq!(Wrapper::of(inner), None);
    }
}
