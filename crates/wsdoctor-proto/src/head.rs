//! Collecting an HTTP head from a byte stream, without the stream.
//!
//! The probe (a server's answer to the Upgrade, a proxy's answer to CONNECT) and the lab's
//! servers (a client's request, a backend's answer) all read a head the same way: bytes
//! arrive in pieces, the head may end in the middle of one, the bytes after it (the first
//! WebSocket frames) must be kept, and the head has a size cap. [`HeadBuffer`] is that
//! once; the drivers only read and keep their own deadlines.

use crate::handshake::{self, HeadError, Request, Response};

/// Bytes read so far and the head parsed from them once it is complete.
#[derive(Debug)]
pub struct HeadBuffer<T> {
    buf: Vec<u8>,
    max_head: usize,
    parse: fn(&[u8], usize) -> Result<Option<T>, HeadError>,
}

impl HeadBuffer<Response> {
    /// A buffer for a response head of at most `max_head` bytes.
    pub fn response(max_head: usize) -> Self {
        HeadBuffer::new(max_head, handshake::parse_response)
    }
}

impl HeadBuffer<Request> {
    /// A buffer for a request head of at most `max_head` bytes.
    pub fn request(max_head: usize) -> Self {
        HeadBuffer::new(max_head, handshake::parse_request)
    }
}

impl<T> HeadBuffer<T> {
    fn new(max_head: usize, parse: fn(&[u8], usize) -> Result<Option<T>, HeadError>) -> Self {
        HeadBuffer {
            buf: Vec::new(),
            max_head,
            parse,
        }
    }

    /// Adds bytes just read. `Ok(Some(head))` once the head is complete (the buffer keeps
    /// everything, so bytes after the head are still in [`bytes`](Self::bytes));
    /// `Ok(None)` while more is needed; an error when the bytes are not HTTP, break the
    /// grammar, or reach the cap without an empty line ([`HeadError::TooLarge`]), after
    /// which the caller must stop reading.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Option<T>, HeadError> {
        self.buf.extend_from_slice(bytes);
        (self.parse)(&self.buf, self.max_head)
    }

    /// Everything read so far: the head, then whatever followed it.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";

    #[test]
    fn a_head_split_anywhere_parses_and_keeps_what_follows() {
        let mut input = HEAD.to_vec();
        input.extend_from_slice(b"\x81\x02hi");
        for cut in 1..input.len() {
            let mut h = HeadBuffer::response(1024);
            let (r, read) = match h.push(&input[..cut]).expect("valid so far") {
                Some(r) => (r, cut),
                None => {
                    let r = h.push(&input[cut..]).expect("valid").expect("complete");
                    (r, input.len())
                }
            };
            assert_eq!(r.status, 101);
            assert_eq!(r.head_len, HEAD.len());
            assert_eq!(h.bytes(), &input[..read], "every byte kept (cut at {cut})");
        }
    }

    #[test]
    fn the_cap_ends_a_head_without_an_empty_line() {
        let mut h = HeadBuffer::response(64);
        assert!(matches!(h.push(b"HTTP/1.1 200 OK\r\n"), Ok(None)));
        let long = format!("X-Pad: {}\r\n", "a".repeat(64));
        assert!(matches!(
            h.push(long.as_bytes()),
            Err(HeadError::TooLarge { limit: 64 })
        ));
    }

    #[test]
    fn a_tls_client_hello_is_not_an_http_request() {
        let mut h = HeadBuffer::request(1024);
        assert!(matches!(
            h.push(&[0x16, 0x03, 0x01, 0x00, 0xa5]),
            Err(HeadError::NotHttp)
        ));
        let mut h = HeadBuffer::request(1024);
        let r = h
            .push(b"GET /ws HTTP/1.1\r\nHost: a\r\n\r\n")
            .expect("valid")
            .expect("complete");
        assert_eq!(r.path, "/ws");
    }
}
