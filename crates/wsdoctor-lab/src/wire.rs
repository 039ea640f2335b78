//! Bounded HTTP head reading and a stream that replays bytes already read.
//!
//! Every lab server starts by reading what the client sent, and the client may be
//! anything: a browser, a fuzzer, a TLS ClientHello aimed at a plaintext port. So reads
//! are capped in size and time here, once, and servers get a parsed head or a reason.
//! [`Rewind`] exists because the healthy servers must hand the untouched request to
//! tokio-tungstenite after the lab has looked at it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use wsdoctor_proto::handshake::{HeadError, Request, Response};
use wsdoctor_proto::head::HeadBuffer;

/// Largest request or response head a lab server accepts.
pub const MAX_HEAD: usize = 16 * 1024;
/// How long a client (or a backend) has to send a complete head.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// The longest any lab connection lives; a forgotten client cannot pin a task forever.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Largest WebSocket message the lab's servers accept.
pub const MAX_MESSAGE: usize = 1 << 20;

/// Why no head could be read.
#[derive(Debug)]
pub enum ReadHeadError {
    /// The peer's first bytes are not HTTP (e.g. a TLS ClientHello).
    NotHttp,
    /// HTTP-looking, but broken or larger than [`MAX_HEAD`].
    Malformed,
    /// Nothing complete before the deadline.
    Timeout,
    /// The peer closed (or reset) before the head was complete.
    Closed,
}

/// A request head and every byte read so far (the head first, then whatever followed).
#[derive(Debug)]
pub struct RequestHead {
    pub request: Request,
    pub buffered: Vec<u8>,
}

impl RequestHead {
    /// Bytes that arrived after the head (the start of the WebSocket stream, if any).
    pub fn rest(&self) -> &[u8] {
        self.buffered.get(self.request.head_len..).unwrap_or(&[])
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        let p = self.request.path.as_str();
        p.split_once('?').map_or(p, |(path, _)| path)
    }
}

/// A response head and every byte read so far.
#[derive(Debug)]
pub struct ResponseHead {
    pub response: Response,
    pub buffered: Vec<u8>,
}

/// Reads one request head within [`HEAD_DEADLINE`] and [`MAX_HEAD`].
pub async fn read_request<S: AsyncRead + Unpin>(s: &mut S) -> Result<RequestHead, ReadHeadError> {
    let (request, buffered) = read_head(s, HeadBuffer::request(MAX_HEAD)).await?;
    Ok(RequestHead { request, buffered })
}

/// Reads one response head within [`HEAD_DEADLINE`] and [`MAX_HEAD`].
pub async fn read_response<S: AsyncRead + Unpin>(s: &mut S) -> Result<ResponseHead, ReadHeadError> {
    let (response, buffered) = read_head(s, HeadBuffer::response(MAX_HEAD)).await?;
    Ok(ResponseHead { response, buffered })
}

async fn read_head<S, T>(s: &mut S, mut head: HeadBuffer<T>) -> Result<(T, Vec<u8>), ReadHeadError>
where
    S: AsyncRead + Unpin,
{
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = s
                .read(&mut chunk)
                .await
                .map_err(|_| ReadHeadError::Closed)?;
            if n == 0 {
                return Err(ReadHeadError::Closed);
            }
            match head.push(&chunk[..n]) {
                Ok(Some(parsed)) => return Ok((parsed, head.into_bytes())),
                Ok(None) => {}
                Err(HeadError::NotHttp) => return Err(ReadHeadError::NotHttp),
                Err(_) => return Err(ReadHeadError::Malformed),
            }
        }
    };
    tokio::time::timeout(HEAD_DEADLINE, read)
        .await
        .unwrap_or(Err(ReadHeadError::Timeout))
}

/// A complete HTTP response written by a lab server: status line, headers, body.
#[derive(Debug, Clone)]
pub struct Reply<'a> {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: &'a str,
    pub status: u16,
    pub reason: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: &'a [u8],
}

impl<'a> Reply<'a> {
    /// An HTTP/1.1 reply with `Connection: close`, a `Content-Length` and the given type.
    pub fn new(status: u16, reason: &'a str, content_type: &'a str, body: &'a [u8]) -> Self {
        Reply {
            version: "HTTP/1.1",
            status,
            reason,
            headers: vec![
                ("Content-Type", content_type.to_string()),
                ("Content-Length", body.len().to_string()),
                ("Connection", "close".to_string()),
            ],
            body,
        }
    }

    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} {}\r\n", self.version, self.status, self.reason);
        for (name, value) in &self.headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(self.body);
        bytes
    }

    /// Writes the reply and closes our side, as servers answering `Connection: close` do.
    pub async fn send<S: AsyncWrite + Unpin>(&self, s: &mut S) -> io::Result<()> {
        s.write_all(&self.to_bytes()).await?;
        s.flush().await?;
        s.shutdown().await
    }
}

/// A stream that first yields `prefix`, then reads from `inner`; writes go to `inner`.
#[derive(Debug)]
pub struct Rewind<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Rewind<S> {
    pub fn new(prefix: Vec<u8>, inner: S) -> Self {
        Rewind {
            prefix,
            pos: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.pos < this.prefix.len() {
            let n = buf.remaining().min(this.prefix.len() - this.pos);
            buf.put_slice(&this.prefix[this.pos..this.pos + n]);
            this.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_a_head_and_keeps_what_followed() {
        let (mut client, mut server) = tokio::io::duplex(64);
        let writer = tokio::spawn(async move {
            // Written in pieces smaller than the head, so the reader must loop.
            for piece in [
                &b"GET /ws?x=1 HTTP/1.1\r\nHo"[..],
                b"st: a\r\n\r\n",
                b"\x81\x00",
            ] {
                client.write_all(piece).await.expect("duplex write");
            }
            client
        });
        let head = read_request(&mut server).await.expect("a head");
        assert_eq!(head.request.method, "GET");
        assert_eq!(head.path(), "/ws");
        let _client = writer.await.expect("writer");
        // The frame bytes may or may not have arrived with the head; if so they are kept.
        assert!(head.rest().is_empty() || head.rest() == b"\x81\x00");
    }

    #[tokio::test]
    async fn a_tls_client_hello_is_not_http() {
        let (mut client, mut server) = tokio::io::duplex(64);
        client
            .write_all(&[0x16, 0x03, 0x01, 0x00, 0xa5, 0x01])
            .await
            .expect("write");
        assert!(matches!(
            read_request(&mut server).await,
            Err(ReadHeadError::NotHttp)
        ));
    }

    #[tokio::test]
    async fn an_endless_head_is_refused_at_the_cap() {
        let (mut client, mut server) = tokio::io::duplex(1 << 16);
        let writer = tokio::spawn(async move {
            let _ = client.write_all(b"GET / HTTP/1.1\r\n").await;
            let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
            for _ in 0..(2 * MAX_HEAD / line.len()) {
                if client.write_all(line).await.is_err() {
                    break;
                }
            }
            client
        });
        assert!(matches!(
            read_request(&mut server).await,
            Err(ReadHeadError::Malformed)
        ));
        drop(server);
        let _ = writer.await;
    }

    #[tokio::test]
    async fn rewind_replays_the_prefix_then_the_stream() {
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(b"world").await.expect("write");
        drop(client);
        let mut r = Rewind::new(b"hello ".to_vec(), server);
        let mut all = String::new();
        r.read_to_string(&mut all).await.expect("read");
        assert_eq!(all, "hello world");
    }

    #[test]
    fn a_reply_has_a_content_length_matching_its_body() {
        let bytes = Reply::new(404, "Not Found", "text/plain", b"nope")
            .header("Server", "x")
            .to_bytes();
        let text = String::from_utf8(bytes).expect("ascii");
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(text.contains("Content-Length: 4\r\n"));
        assert!(text.ends_with("\r\n\r\nnope"));
    }
}
