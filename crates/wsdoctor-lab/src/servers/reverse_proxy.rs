//! The in-lab reverse proxy: the hop that most often breaks WebSockets in the field.
//!
//! It does what nginx or HAProxy do, in miniature: reads the request head, rewrites the
//! hop-by-hop headers, adds `Via` and `X-Forwarded-For`, forwards to the backend, adds
//! `Via` to the answer, then splices bytes both ways. [`ProxyMode`] selects the
//! configuration: correct, dropping `Upgrade`/`Connection` (nginx without its two
//! `proxy_set_header` lines), or cutting upgraded connections after an idle time
//! without a close frame (nginx `proxy_read_timeout`, a load balancer's idle timeout).

use super::ProxyMode;
use super::canned::NGINX_502;
use super::echo;
use crate::wire::{self, HEAD_DEADLINE};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wsdoctor_proto::handshake::Request;

/// What the proxy calls itself in `Via`.
pub const VIA: &str = "1.1 wsdoctor-lab-proxy";

/// Headers that describe one hop and are never forwarded as they are (RFC 9110 §7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

pub async fn serve(
    mut client: TcpStream,
    peer: SocketAddr,
    backend: SocketAddr,
    mode: ProxyMode,
) -> io::Result<()> {
    let head = match wire::read_request(&mut client).await {
        Ok(head) => head,
        Err(e) => return echo::refuse(client, e).await,
    };
    let mut upstream = match tokio::time::timeout(HEAD_DEADLINE, TcpStream::connect(backend)).await
    {
        Ok(Ok(s)) => s,
        _ => return NGINX_502.reply().send(&mut client).await,
    };
    upstream
        .write_all(&forwarded_request(&head.request, peer, mode))
        .await?;
    upstream.write_all(head.rest()).await?;
    let resp = match wire::read_response(&mut upstream).await {
        Ok(resp) => resp,
        Err(_) => return NGINX_502.reply().send(&mut client).await,
    };
    let head_len = resp.response.head_len;
    client
        .write_all(&with_via(&resp.buffered[..head_len]))
        .await?;
    client.write_all(&resp.buffered[head_len..]).await?;
    match mode {
        ProxyMode::IdleCut(idle) if resp.response.status == 101 => {
            splice_until_idle(client, upstream, idle).await
        }
        _ => {
            tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
            Ok(())
        }
    }
}

/// The request head as this proxy forwards it.
pub fn forwarded_request(req: &Request, peer: SocketAddr, mode: ProxyMode) -> Vec<u8> {
    let listed_in_connection: Vec<String> = req
        .headers_named("Connection")
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let mut out = format!("{} {} HTTP/1.1\r\n", req.method, req.path);
    for (name, value) in &req.headers {
        let lower = name.to_ascii_lowercase();
        if HOP_BY_HOP.contains(&lower.as_str()) || listed_in_connection.contains(&lower) {
            continue;
        }
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    match (mode, req.header("Upgrade")) {
        (ProxyMode::Correct | ProxyMode::IdleCut(_), Some(upgrade)) => {
            out.push_str(&format!("Upgrade: {upgrade}\r\nConnection: upgrade\r\n"));
        }
        _ => out.push_str("Connection: close\r\n"),
    }
    out.push_str(&format!(
        "Via: {VIA}\r\nX-Forwarded-For: {}\r\nX-Forwarded-Proto: http\r\n\r\n",
        peer.ip()
    ));
    out.into_bytes()
}

/// The backend's response head with our `Via` after the status line.
fn with_via(head: &[u8]) -> Vec<u8> {
    let line_end = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(head.len(), |i| i + 2);
    let mut out = Vec::with_capacity(head.len() + VIA.len() + 7);
    out.extend_from_slice(&head[..line_end]);
    out.extend_from_slice(format!("Via: {VIA}\r\n").as_bytes());
    out.extend_from_slice(&head[line_end..]);
    out
}

/// Splices until either side closes or nothing moved for `idle`; then drops both
/// connections (a FIN, no close frame), like a proxy's idle timer firing.
async fn splice_until_idle(
    client: TcpStream,
    upstream: TcpStream,
    idle: Duration,
) -> io::Result<()> {
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = upstream.into_split();
    let mut from_client = [0u8; 16 * 1024];
    let mut from_upstream = [0u8; 16 * 1024];
    loop {
        let moved = tokio::time::timeout(idle, async {
            tokio::select! {
                n = cr.read(&mut from_client) => (true, n),
                n = ur.read(&mut from_upstream) => (false, n),
            }
        })
        .await;
        match moved {
            Err(_) => return Ok(()),
            Ok((_, Ok(0) | Err(_))) => return Ok(()),
            Ok((true, Ok(n))) => uw.write_all(&from_client[..n]).await?,
            Ok((false, Ok(n))) => cw.write_all(&from_upstream[..n]).await?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsdoctor_proto::handshake::parse_request;

    const UPGRADE: &[u8] = b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
        Connection: keep-alive, Upgrade\r\nKeep-Alive: 5\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";

    fn forwarded(mode: ProxyMode) -> Request {
        let req = parse_request(UPGRADE, 4096)
            .expect("valid")
            .expect("complete");
        let peer: SocketAddr = "127.0.0.1:5555".parse().expect("literal");
        let bytes = forwarded_request(&req, peer, mode);
        parse_request(&bytes, 4096)
            .expect("valid")
            .expect("complete")
    }

    #[test]
    fn a_correct_proxy_forwards_the_upgrade() {
        let req = forwarded(ProxyMode::Correct);
        assert!(req.is_websocket_upgrade());
        assert_eq!(req.header("Via"), Some(VIA));
        assert_eq!(req.header("X-Forwarded-For"), Some("127.0.0.1"));
        assert!(req.header("Keep-Alive").is_none());
    }

    #[test]
    fn the_broken_proxy_drops_upgrade_and_connection() {
        let req = forwarded(ProxyMode::DropUpgrade);
        assert!(req.header("Upgrade").is_none());
        assert!(!req.has_token("Connection", "upgrade"));
        assert_eq!(
            req.header("Sec-WebSocket-Key"),
            Some("dGhlIHNhbXBsZSBub25jZQ==")
        );
    }

    #[test]
    fn via_goes_after_the_status_line() {
        let out = with_via(b"HTTP/1.1 426 Upgrade Required\r\nA: b\r\n\r\n");
        assert_eq!(
            out,
            format!("HTTP/1.1 426 Upgrade Required\r\nVia: {VIA}\r\nA: b\r\n\r\n").into_bytes()
        );
    }
}
