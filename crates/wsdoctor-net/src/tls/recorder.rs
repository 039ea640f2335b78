//! Keeps a copy of the first bytes read from a stream. When a TLS handshake fails,
//! those bytes tell "the server speaks plain HTTP here" from "the server sent a TLS
//! alert", which the TLS error alone cannot.

use crate::stream::BoxIo;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub(crate) struct Recorder {
    inner: BoxIo,
    first: Arc<Mutex<Vec<u8>>>,
    cap: usize,
    full: bool,
}

impl Recorder {
    /// Wraps `inner`; the shared buffer fills with up to `cap` bytes as they arrive.
    pub(crate) fn new(inner: BoxIo, cap: usize) -> (Recorder, Arc<Mutex<Vec<u8>>>) {
        let first = Arc::new(Mutex::new(Vec::with_capacity(cap)));
        let rec = Recorder {
            inner,
            first: first.clone(),
            cap,
            full: cap == 0,
        };
        (rec, first)
    }
}

impl AsyncRead for Recorder {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if !self.full && buf.filled().len() > before {
            let cap = self.cap;
            let new = &buf.filled()[before..];
            let shared = self.first.clone();
            if let Ok(mut first) = shared.lock() {
                let take = new.len().min(cap.saturating_sub(first.len()));
                first.extend_from_slice(&new[..take]);
                self.full = first.len() >= cap;
            }
        }
        r
    }
}

impl AsyncWrite for Recorder {
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn keeps_only_the_first_bytes() {
        let (a, mut b) = tokio::io::duplex(64);
        let (mut rec, first) = Recorder::new(Box::new(a), 4);
        b.write_all(b"HTTP/1.1 400").await.expect("write");
        let mut buf = [0u8; 16];
        let n = rec.read(&mut buf).await.expect("read");
        assert_eq!(&buf[..n], b"HTTP/1.1 400");
        assert_eq!(first.lock().expect("lock").as_slice(), b"HTTP");
    }
}
