//! One HTTP/2 stream as a byte stream, so the WebSocket session code that runs over
//! TCP and TLS runs unchanged over an extended CONNECT (RFC 8441 §5: after the 2xx the
//! stream's DATA carries RFC 6455 frames). It also notes what a byte stream cannot
//! say: the stream's HTTP/2 error code, and a write left waiting for flow-control
//! window.

use bytes::{Buf, Bytes};
use h2::{RecvStream, SendStream};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// What the stream noticed, shared with whoever opened it.
#[derive(Debug, Default)]
pub struct StreamState {
    /// The error code of a RST_STREAM or GOAWAY that ended the stream, and whether
    /// it was a GOAWAY.
    pub error: Option<(u32, bool)>,
    /// A write has been waiting for window since then.
    pub stalled_since: Option<Instant>,
}

/// An HTTP/2 stream's two halves as `AsyncRead + AsyncWrite`; shutdown sends END_STREAM.
pub struct H2Stream {
    send: SendStream<Bytes>,
    recv: RecvStream,
    pending: Bytes,
    state: Arc<Mutex<StreamState>>,
}

impl H2Stream {
    pub fn new(send: SendStream<Bytes>, recv: RecvStream) -> H2Stream {
        H2Stream {
            send,
            recv,
            pending: Bytes::new(),
            state: Arc::default(),
        }
    }

    /// The shared record of resets and stalls.
    pub fn state(&self) -> Arc<Mutex<StreamState>> {
        self.state.clone()
    }

    fn note(&self, f: impl FnOnce(&mut StreamState)) {
        if let Ok(mut s) = self.state.lock() {
            f(&mut s);
        }
    }

    /// Records the code of an error the peer sent and turns it into an io::Error.
    fn failed(&self, e: h2::Error) -> io::Error {
        if let Some(reason) = e.reason() {
            let goaway = e.is_go_away();
            self.note(|s| {
                s.error.get_or_insert((u32::from(reason), goaway));
            });
        }
        io::Error::new(io::ErrorKind::ConnectionReset, e)
    }
}

impl AsyncRead for H2Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.pending.is_empty() {
            match self.recv.poll_data(cx) {
                Poll::Ready(Some(Ok(data))) => {
                    // Give the window back as we take the bytes, so a long session
                    // never stalls the server's side.
                    let _ = self.recv.flow_control().release_capacity(data.len());
                    self.pending = data;
                }
                // RST_STREAM NO_ERROR: the peer is done with the stream (RFC 9113 §8.1).
                Poll::Ready(Some(Err(e))) if e.reason() == Some(h2::Reason::NO_ERROR) => {
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(self.failed(e))),
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = self.pending.len().min(buf.remaining());
        buf.put_slice(&self.pending[..n]);
        self.pending.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.send.reserve_capacity(buf.len());
        while self.send.capacity() == 0 {
            match self.send.poll_capacity(cx) {
                Poll::Ready(Some(Ok(_))) => {}
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(self.failed(e))),
                Poll::Ready(None) => return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
                Poll::Pending => {
                    if let Poll::Ready(r) = self.send.poll_reset(cx) {
                        let e = match r {
                            Ok(reason) => h2::Error::from(reason),
                            Err(e) => e,
                        };
                        return Poll::Ready(Err(self.failed(e)));
                    }
                    self.note(|s| {
                        s.stalled_since.get_or_insert_with(Instant::now);
                    });
                    return Poll::Pending;
                }
            }
        }
        self.note(|s| s.stalled_since = None);
        let n = self.send.capacity().min(buf.len());
        match self
            .send
            .send_data(Bytes::copy_from_slice(&buf[..n]), false)
        {
            Ok(()) => Poll::Ready(Ok(n)),
            Err(e) => Poll::Ready(Err(self.failed(e))),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The connection task writes queued DATA out; there is nothing to flush here.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // END_STREAM; a stream the peer already reset has nothing left to end.
        let _ = self.send.send_data(Bytes::new(), true);
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An HTTP/2 client and server over an in-memory pipe; the server's handler gets
    /// the stream's send half and request body, the client an `H2Stream`.
    async fn pair(
        window: u32,
        reset: Option<h2::Reason>,
    ) -> (H2Stream, tokio::task::JoinHandle<()>) {
        let (c, s) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(async move {
            let mut b = h2::server::Builder::new();
            b.initial_window_size(window);
            let Ok(mut conn) = b.handshake::<_, Bytes>(s).await else {
                return;
            };
            if let Some(Ok((req, mut respond))) = conn.accept().await {
                let ok = http::Response::builder()
                    .status(200)
                    .body(())
                    .expect("a response");
                let mut send = respond.send_response(ok, false).expect("respond");
                if let Some(reason) = reset {
                    // After the first bytes, so the client has its response by then.
                    let mut body = req.into_body();
                    tokio::spawn(async move {
                        let _ = body.data().await;
                        send.send_reset(reason);
                    });
                }
                // Keep the connection driven until the client goes away.
                while conn.accept().await.is_some() {}
            }
        });
        let (send, conn) = h2::client::handshake(c).await.expect("client handshake");
        tokio::spawn(conn);
        let mut send = send.ready().await.expect("ready");
        let req = http::Request::builder()
            .method("POST")
            .uri("https://lab/x")
            .body(())
            .expect("a request");
        let (answer, stream) = send.send_request(req, false).expect("send");
        let body = answer.await.expect("response").into_body();
        (H2Stream::new(stream, body), server)
    }

    #[tokio::test]
    async fn a_zero_window_leaves_the_write_waiting_and_says_so() {
        let (mut io, server) = pair(0, None).await;
        let wrote = tokio::time::timeout(Duration::from_millis(200), io.write_all(b"hello")).await;
        assert!(wrote.is_err(), "no window: the write must wait");
        let state = io.state();
        assert!(state.lock().expect("state").stalled_since.is_some());
        server.abort();
    }

    #[tokio::test]
    async fn a_reset_is_recorded_with_its_code() {
        let (mut io, server) = pair(65_535, Some(h2::Reason::CANCEL)).await;
        io.write_all(b"hi").await.expect("window for two bytes");
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_secs(2), io.read(&mut buf))
            .await
            .expect("the reset arrives");
        assert_eq!(
            read.map_err(|e| e.kind()),
            Err(io::ErrorKind::ConnectionReset)
        );
        let state = io.state();
        assert_eq!(state.lock().expect("state").error, Some((0x8, false)));
        server.abort();
    }
}
