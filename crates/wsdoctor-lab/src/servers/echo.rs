//! The healthy echo server: tokio-tungstenite, an established library, does the
//! handshake and the framing, so "correct" in the lab is not defined by our codec.
//!
//! The lab reads the request head first (to route by path, answer non-WebSocket
//! requests like real servers do, and apply an Origin or bearer check), then replays
//! the untouched bytes into tungstenite's own server handshake.

use super::EchoGate;
use super::canned::UPGRADE_REQUIRED;
use crate::wire::{self, MAX_MESSAGE, ReadHeadError, Reply, RequestHead, Rewind};
use futures_util::{SinkExt, StreamExt};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Serves the echo at `path`; other paths get 404.
pub async fn serve<S>(mut stream: S, path: &str, gate: EchoGate) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let head = match wire::read_request(&mut stream).await {
        Ok(head) => head,
        Err(e) => return refuse(stream, e).await,
    };
    if head.path() != path {
        return not_found(&mut stream).await;
    }
    upgrade(stream, head, gate).await
}

/// Upgrades a request already read (426 if it is not an Upgrade, 401/403 from the gate).
pub async fn upgrade<S>(mut stream: S, head: RequestHead, gate: EchoGate) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let req = &head.request;
    if !req.has_token("Upgrade", "websocket") {
        return UPGRADE_REQUIRED.reply().send(&mut stream).await;
    }
    match gate {
        EchoGate::Open => {}
        EchoGate::Origin(allowed) => {
            if req.header("Origin").map(str::trim) != Some(allowed) {
                // gorilla/websocket's CheckOrigin failure.
                return Reply::new(
                    403,
                    "Forbidden",
                    "text/plain; charset=utf-8",
                    b"Forbidden\n",
                )
                .header("X-Content-Type-Options", "nosniff")
                .send(&mut stream)
                .await;
            }
        }
        EchoGate::Bearer(token) => {
            let sent = req.header("Authorization").map(str::trim);
            if sent != Some(format!("Bearer {token}").as_str()) {
                let challenge = match sent {
                    None => "Bearer realm=\"wsdoctor lab\"",
                    Some(_) => "Bearer realm=\"wsdoctor lab\", error=\"invalid_token\"",
                };
                return Reply::new(
                    401,
                    "Unauthorized",
                    "application/json",
                    b"{\"detail\":\"Not authenticated\"}",
                )
                .header("WWW-Authenticate", challenge)
                .send(&mut stream)
                .await;
            }
        }
    }
    accept_and_echo(stream, head, None).await
}

/// The echo of `blocked-event-loop`: correct protocol, but every message first blocks
/// the thread for `block`, as a synchronous call in an async handler does.
pub async fn serve_blocking<S>(mut stream: S, block: Duration) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let head = match wire::read_request(&mut stream).await {
        Ok(head) => head,
        Err(e) => return refuse(stream, e).await,
    };
    if !head.request.has_token("Upgrade", "websocket") {
        return UPGRADE_REQUIRED.reply().send(&mut stream).await;
    }
    accept_and_echo(stream, head, Some(block)).await
}

async fn accept_and_echo<S>(stream: S, head: RequestHead, block: Option<Duration>) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let mut ws = tokio_tungstenite::accept_async_with_config(
        Rewind::new(head.buffered, stream),
        Some(config),
    )
    .await
    .map_err(io::Error::other)?;
    // Echoes data messages; tungstenite answers pings and closes by itself.
    while let Some(msg) = ws.next().await {
        let msg = msg.map_err(io::Error::other)?;
        if msg.is_text() || msg.is_binary() {
            if let Some(block) = block {
                // Deliberately blocking: this is the fault being reproduced.
                std::thread::sleep(block);
            }
            ws.send(msg).await.map_err(io::Error::other)?;
        }
    }
    Ok(())
}

/// What an HTTP server says to bytes it cannot parse (a TLS ClientHello on a plaintext
/// port, garbage): 400, as nginx and most servers do. Silence for timeouts and resets.
pub async fn refuse<S: AsyncWrite + Unpin>(mut stream: S, e: ReadHeadError) -> io::Result<()> {
    match e {
        ReadHeadError::NotHttp | ReadHeadError::Malformed => {
            Reply::new(
                400,
                "Bad Request",
                "text/plain; charset=utf-8",
                b"400 Bad Request\n",
            )
            .send(&mut stream)
            .await
        }
        ReadHeadError::Timeout | ReadHeadError::Closed => Ok(()),
    }
}

/// Go net/http's 404.
pub async fn not_found<S: AsyncWrite + Unpin>(stream: &mut S) -> io::Result<()> {
    Reply::new(
        404,
        "Not Found",
        "text/plain; charset=utf-8",
        b"404 page not found\n",
    )
    .header("X-Content-Type-Options", "nosniff")
    .send(stream)
    .await
}
