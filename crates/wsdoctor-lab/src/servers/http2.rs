//! WebSockets over HTTP/2 (RFC 8441): one TLS listener that offers `h2` and `http/1.1`
//! in ALPN, as real servers do. HTTP/1.1 clients get the healthy echo (or, for one
//! scenario, a 426); HTTP/2 clients get the h2 crate's server with
//! SETTINGS_ENABLE_CONNECT_PROTOCOL, and each [`H2Fault`] changes one thing about it.
//! The healthy stream is echoed by tokio-tungstenite, as every healthy lab server is;
//! the broken ones use the lab's own session code over the stream.

use super::canned::UPGRADE_REQUIRED;
use super::{EchoGate, SessionFault, echo, session};
use crate::wire::{HEAD_DEADLINE, MAX_MESSAGE};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use h2::server::SendResponse;
use h2::{Reason, RecvStream};
use std::io;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use wsdoctor_net::H2Stream;

/// What the HTTP/2 side of a scenario gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum H2Fault {
    /// Nothing: RFC 8441 done right.
    Healthy,
    /// HTTP/2 without SETTINGS_ENABLE_CONNECT_PROTOCOL, like nginx.
    NoConnectProtocol,
    /// Advertises the setting, answers the extended CONNECT with this status (Spring's 405).
    Rejected(u16),
    /// Advertises the setting, resets the CONNECT with PROTOCOL_ERROR (a hop stripped `:protocol`).
    ProtocolError,
    /// Advertises the setting, never answers the CONNECT.
    NoAnswer,
    /// Answers 200, then resets the stream with INTERNAL_ERROR at the first message.
    ResetAfterOpen,
    /// Answers 200, then sends masked frames (RFC 6455 §5.1) over the stream.
    Masked,
    /// SETTINGS_INITIAL_WINDOW_SIZE 0 and no WINDOW_UPDATE: the client can never send.
    FlowStall,
    /// Chooses h2 in ALPN, then speaks HTTP/1.1 (a TLS terminator announcing h2 for an
    /// HTTP/1.1 backend).
    AlpnMismatch,
    /// RFC 8441 works; the HTTP/1.1 Upgrade gets 426 (a proxy dropping Upgrade).
    H1Fails,
}

/// How long the `NoAnswer` server holds a CONNECT: longer than any probe waits.
const HOLD: Duration = Duration::from_secs(30);
/// How long a finished stream waits for the client's END_STREAM.
const FINISH_WAIT: Duration = Duration::from_secs(2);

pub async fn serve(stream: TcpStream, acceptor: &TlsAcceptor, fault: H2Fault) -> io::Result<()> {
    let tls = tokio::time::timeout(HEAD_DEADLINE, acceptor.accept(stream))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake deadline"))??;
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    match (h2, fault) {
        (_, H2Fault::AlpnMismatch) | (false, H2Fault::Healthy) => {
            echo::serve(tls, "/ws", EchoGate::Open).await
        }
        (false, H2Fault::H1Fails) => {
            let mut tls = tls;
            UPGRADE_REQUIRED.reply().send(&mut tls).await
        }
        (false, _) => echo::serve(tls, "/ws", EchoGate::Open).await,
        (true, fault) => connection(tls, fault).await,
    }
}

/// One HTTP/2 connection: every stream handled on its own task while the connection
/// is driven here.
async fn connection<S>(io: S, fault: H2Fault) -> io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = h2::server::Builder::new();
    if fault != H2Fault::NoConnectProtocol {
        builder.enable_connect_protocol();
    }
    if fault == H2Fault::FlowStall {
        builder.initial_window_size(0);
    }
    let mut conn = builder
        .handshake::<_, Bytes>(io)
        .await
        .map_err(io::Error::other)?;
    let mut streams = tokio::task::JoinSet::new();
    while let Some(accepted) = conn.accept().await {
        let (req, respond) = accepted.map_err(io::Error::other)?;
        streams.spawn(stream(req, respond, fault));
    }
    Ok(())
}

async fn stream(req: http::Request<RecvStream>, mut respond: SendResponse<Bytes>, fault: H2Fault) {
    let websocket = req.method() == http::Method::CONNECT
        && req
            .extensions()
            .get::<h2::ext::Protocol>()
            .is_some_and(|p| p.as_str() == "websocket");
    if !websocket || req.uri().path() != "/ws" {
        let _ = reply(&mut respond, 404, b"404 page not found\n");
        return;
    }
    match fault {
        H2Fault::Rejected(status) => {
            let _ = reply(&mut respond, status, b"Method Not Allowed\n");
        }
        H2Fault::ProtocolError => respond.send_reset(Reason::PROTOCOL_ERROR),
        H2Fault::NoAnswer => {
            tokio::time::sleep(HOLD).await;
            respond.send_reset(Reason::CANCEL);
        }
        _ => {
            let ok = http::Response::builder().status(200).body(());
            let Ok(send) = ok
                .map_err(|_| ())
                .and_then(|r| respond.send_response(r, false).map_err(|_| ()))
            else {
                return;
            };
            let mut body = req.into_body();
            if fault == H2Fault::ResetAfterOpen {
                let mut send = send;
                let _ = body.data().await;
                send.send_reset(Reason::INTERNAL_ERROR);
                return;
            }
            let io = H2Stream::new(send, body);
            let _ = match fault {
                H2Fault::Masked => session::run(io, Vec::new(), Some(SessionFault::Masked)).await,
                _ => echo_stream(io).await,
            };
        }
    }
}

/// The healthy echo over an open stream: tokio-tungstenite, the handshake already
/// done by the CONNECT's 200.
async fn echo_stream(io: H2Stream) -> io::Result<()> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let mut ws =
        tokio_tungstenite::WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    while let Some(msg) = ws.next().await {
        let msg = msg.map_err(io::Error::other)?;
        if msg.is_text() || msg.is_binary() {
            ws.send(msg).await.map_err(io::Error::other)?;
        }
    }
    finish(ws.into_inner()).await
}

/// Ends the stream as HTTP/2 wants: END_STREAM after the last frame, then wait
/// (bounded) for the client's. Dropping it instead resets it with CANCEL, which can
/// overtake the close frame still queued.
async fn finish(mut io: H2Stream) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    io.shutdown().await?;
    let drain = async {
        let mut sink = [0u8; 1024];
        while io.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    };
    let _ = tokio::time::timeout(FINISH_WAIT, drain).await;
    Ok(())
}

fn reply(respond: &mut SendResponse<Bytes>, status: u16, body: &'static [u8]) -> Result<(), ()> {
    let r = http::Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(())
        .map_err(|_| ())?;
    let mut send = respond.send_response(r, false).map_err(|_| ())?;
    send.send_data(Bytes::from_static(body), true)
        .map_err(|_| ())
}
