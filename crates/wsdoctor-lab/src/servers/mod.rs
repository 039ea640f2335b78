//! The lab's servers: one behaviour per scenario, each a small async function over one
//! accepted connection.
//!
//! Healthy behaviour (the echo servers, the correct reverse proxy's backend) is
//! tokio-tungstenite, so the lab's idea of "correct" does not come from our codec.
//! Broken behaviour (wrong 101s, masked or malformed frames) is written with
//! `wsdoctor-proto`, which can put on the wire exactly what a broken server sends.

pub mod canned;
pub mod echo;
pub mod forward_proxy;
pub mod handshake;
pub mod http2;
pub mod reverse_proxy;
pub mod session;
pub mod tcp;
pub mod tls;

pub use crate::pki::Cert;
pub use http2::H2Fault;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// What a scenario's listener does with each connection.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Serve {
    /// A fixed HTTP response, whatever the request.
    Canned(&'static canned::Canned),
    /// A SockJS server: greeting at the prefix, info JSON, raw WebSocket at prefix/websocket.
    SockJs { prefix: &'static str },
    /// `from` answers 301 to `to`, where the healthy echo lives.
    Redirect {
        from: &'static str,
        to: &'static str,
    },
    /// The healthy echo (tokio-tungstenite) at `path`, behind an optional gate.
    Echo { path: &'static str, gate: EchoGate },
    /// TLS in front of the healthy echo.
    TlsEcho { cert: Cert, client_auth: bool },
    /// Accepts and never answers.
    BlackHole,
    /// Resets the connection after the request arrives.
    Reset,
    /// The in-lab reverse proxy in front of an echo backend.
    ReverseProxy(ProxyMode),
    /// An HTTP CONNECT proxy; the URL goes to an echo backend through it.
    ForwardProxy(ForwardMode),
    /// A 101 that breaks RFC 6455, then an echo session.
    BrokenHandshake(HandshakeFault),
    /// A correct 101, then a session that breaks RFC 6455 or fails.
    BrokenSession(SessionFault),
    /// One thread, one event loop, a handler that blocks it for this long per message.
    BlockedLoop(Duration),
    /// TLS offering h2 and http/1.1: WebSockets over HTTP/2 (RFC 8441) with a fault.
    Http2(H2Fault),
}

/// A check the healthy echo makes before upgrading.
#[derive(Debug, Clone, Copy)]
pub enum EchoGate {
    Open,
    /// 403 unless `Origin` is exactly this.
    Origin(&'static str),
    /// 401 unless `Authorization: Bearer <token>`.
    Bearer(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forwards Upgrade/Connection: WebSockets work.
    Correct,
    /// Treats Upgrade/Connection as hop-by-hop and drops them (nginx without the two lines).
    DropUpgrade,
    /// Correct, but cuts an upgraded connection after this long without traffic, no close frame.
    IdleCut(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardMode {
    /// 407 unless `Proxy-Authorization: Basic lab:lab`; then tunnels to 127.0.0.1.
    AuthRequired,
    /// Like squid's default: CONNECT only to port 443, 403 otherwise.
    SslPortsOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeFault {
    /// `Sec-WebSocket-Accept` = base64(SHA-1(key)), the GUID forgotten.
    WrongAccept,
    NoUpgrade,
    NoConnection,
    /// Ignores the requested `Sec-WebSocket-Protocol`.
    DropSubprotocol,
    /// Selects `chat` although none was requested.
    UnrequestedSubprotocol,
    /// Accepts `x-wsdoctor-bogus`, never offered.
    UnofferedExtension,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionFault {
    NoPong,
    Masked,
    InvalidUtf8,
    ReservedBits,
    Close1011,
    AbruptEof,
    /// Closes with 1009 when a message is longer than this many bytes.
    TooBig(usize),
    /// Echoes every message after this delay (a slow handler; pings wait behind it).
    SlowEcho(std::time::Duration),
    /// Echoes this many messages, then closes with this code.
    CloseAfter {
        messages: usize,
        code: u16,
    },
    /// Never reads after the 101: the client's writes pile up until they block.
    StopsReading,
}

/// What a connection handler may need besides the socket: built once per scenario.
pub(crate) struct Ctx {
    /// The scenario's name (the lab's over-cap refusal names it).
    pub scenario: &'static str,
    /// This scenario's own listening address (redirects name it).
    pub local: SocketAddr,
    /// TLS for `TlsEcho`.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// The internal echo behind a reverse proxy, or the target of a forward proxy.
    pub backend: Option<SocketAddr>,
}

/// Serves one accepted connection of a scenario; errors end the connection quietly
/// (a lab server meets broken clients by design).
pub(crate) async fn serve(serve: Serve, stream: TcpStream, peer: SocketAddr, ctx: Arc<Ctx>) {
    let result = match serve {
        Serve::Canned(c) => canned::serve(stream, c).await,
        Serve::SockJs { prefix } => canned::sockjs(stream, prefix).await,
        Serve::Redirect { from, to } => canned::redirect(stream, from, to, ctx.local).await,
        Serve::Echo { path, gate } => echo::serve(stream, path, gate).await,
        Serve::TlsEcho { .. } => match &ctx.tls {
            Some(acceptor) => tls::serve(stream, acceptor).await,
            None => Ok(()),
        },
        Serve::BlackHole => tcp::black_hole(stream).await,
        Serve::Reset => tcp::reset(stream).await,
        Serve::ReverseProxy(mode) => match ctx.backend {
            Some(backend) => reverse_proxy::serve(stream, peer, backend, mode).await,
            None => Ok(()),
        },
        Serve::ForwardProxy(mode) => forward_proxy::serve(stream, mode).await,
        Serve::BrokenHandshake(fault) => handshake::serve(stream, fault).await,
        Serve::BrokenSession(fault) => session::serve(stream, fault).await,
        Serve::Http2(fault) => match &ctx.tls {
            Some(acceptor) => http2::serve(stream, acceptor, fault).await,
            None => Ok(()),
        },
        // Served by its own thread (see `crate::blocked`), never through here.
        Serve::BlockedLoop(_) => Ok(()),
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "lab connection ended with an error");
    }
}
