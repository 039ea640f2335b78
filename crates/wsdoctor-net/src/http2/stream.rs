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
