//! Reading an HTTP head in tests that play a server or a client by hand.

use std::io::{self, Read};

/// Reads until the blank line that ends an HTTP head, one byte at a time so nothing
/// after it is consumed, at most `cap` bytes. Returns the head (with its final
/// `\r\n\r\n` when it ended); a peer that closes or exceeds the cap ends it early.
pub fn read_head(stream: &mut impl Read, cap: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while head.len() < cap && !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_blank_line_and_leaves_the_rest() {
        let mut input: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\x81\x00";
        let head = read_head(&mut input, 1024).expect("in memory");
        assert_eq!(head, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(input, b"\x81\x00");
    }

    #[test]
    fn stops_at_the_cap_and_at_the_end() {
        let mut endless: &[u8] = &[b'a'; 100];
        assert_eq!(read_head(&mut endless, 10).expect("in memory").len(), 10);
        let mut short: &[u8] = b"HTTP/1.1 200";
        assert_eq!(
            read_head(&mut short, 10_000).expect("in memory"),
            b"HTTP/1.1 200"
        );
    }
}
