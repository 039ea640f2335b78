//! TLS in front of the healthy echo, with whatever certificate the scenario presents.
//!
//! The same acceptor also serves `ws-to-tls-port`: a plaintext Upgrade sent to it gets
//! the TLS alert rustls writes for a record that is not TLS.

use super::EchoGate;
use super::echo;
use crate::wire::HEAD_DEADLINE;
use std::io;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

pub async fn serve(stream: TcpStream, acceptor: &TlsAcceptor) -> io::Result<()> {
    let tls = tokio::time::timeout(HEAD_DEADLINE, acceptor.accept(stream))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake deadline"))??;
    echo::serve(tls, "/ws", EchoGate::Open).await
}
