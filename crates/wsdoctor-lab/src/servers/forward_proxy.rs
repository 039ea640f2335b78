//! An HTTP CONNECT proxy as corporate networks run them (squid's answers, verbatim in
//! shape): one that wants credentials, one that only tunnels to port 443.
//!
//! With the right credentials (`lab:lab`) the authenticating proxy really tunnels, so a
//! user can prove the fix; tunnels only ever go to loopback addresses.

use super::ForwardMode;
use super::echo;
use crate::scenario::{PROXY_PASSWORD, PROXY_USER};
use crate::wire::{self, HEAD_DEADLINE, Reply};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wsdoctor_proto::handshake::Request;

/// The `Server` header of the lab's forward proxies.
pub const SERVER: &str = "squid/5.7";

pub async fn serve(mut client: TcpStream, mode: ForwardMode) -> io::Result<()> {
    let head = match wire::read_request(&mut client).await {
        Ok(head) => head,
        Err(e) => return echo::refuse(client, e).await,
    };
    let req = &head.request;
    if mode == ForwardMode::AuthRequired && !authorized(req) {
        return squid_error(
            407,
            "Proxy Authentication Required",
            "ERR_CACHE_ACCESS_DENIED",
        )
        .header("Proxy-Authenticate", "Basic realm=\"wsdoctor lab proxy\"")
        .send(&mut client)
        .await;
    }
    let target = match (req.method.as_str(), loopback_target(&req.path)) {
        ("CONNECT", Some(target)) => target,
        _ => {
            return squid_error(403, "Forbidden", "ERR_ACCESS_DENIED")
                .send(&mut client)
                .await;
        }
    };
    if mode == ForwardMode::SslPortsOnly && target.port() != 443 {
        return squid_error(403, "Forbidden", "ERR_ACCESS_DENIED")
            .send(&mut client)
            .await;
    }
    let mut upstream = match tokio::time::timeout(HEAD_DEADLINE, TcpStream::connect(target)).await {
        Ok(Ok(s)) => s,
        _ => {
            return squid_error(503, "Service Unavailable", "ERR_CONNECT_FAIL")
                .send(&mut client)
                .await;
        }
    };
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    upstream.write_all(head.rest()).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Whether `Proxy-Authorization` carries the lab's Basic credentials.
fn authorized(req: &Request) -> bool {
    let expected = BASE64.encode(format!("{PROXY_USER}:{PROXY_PASSWORD}"));
    req.header("Proxy-Authorization")
        .and_then(|v| v.trim().strip_prefix("Basic "))
        .is_some_and(|creds| creds.trim() == expected)
}

/// A CONNECT authority (`127.0.0.1:8080`, `localhost:80`, `[::1]:443`) if it is loopback.
fn loopback_target(authority: &str) -> Option<SocketAddr> {
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse().ok()?
    };
    ip.is_loopback().then_some(SocketAddr::new(ip, port))
}

/// squid's error page shape: status, `Server`, `X-Squid-Error`, an HTML body.
fn squid_error(status: u16, reason: &'static str, code: &'static str) -> Reply<'static> {
    let body: &'static [u8] = match status {
        407 => b"<html><head><title>ERROR: Cache Access Denied</title></head><body><h1>ERROR</h1>\
                 <h2>Cache Access Denied.</h2><p>Sorry, you are not currently allowed to request this URL \
                 until you have authenticated yourself.</p></body></html>\n",
        403 => b"<html><head><title>ERROR: The requested URL could not be retrieved</title></head><body>\
                 <h1>ERROR</h1><h2>Access Denied.</h2><p>Access control configuration prevents your request \
                 from being allowed at this time.</p></body></html>\n",
        _ => b"<html><head><title>ERROR: The requested URL could not be retrieved</title></head><body>\
               <h1>ERROR</h1><h2>Connection failed.</h2></body></html>\n",
    };
    Reply::new(status, reason, "text/html;charset=utf-8", body)
        .header("Server", SERVER)
        .header("Mime-Version", "1.0")
        .header("X-Squid-Error", format!("{code} 0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_tunnelled() {
        assert_eq!(
            loopback_target("127.0.0.1:8080"),
            Some("127.0.0.1:8080".parse().expect("literal"))
        );
        assert_eq!(
            loopback_target("localhost:443").map(|a| a.port()),
            Some(443)
        );
        assert_eq!(loopback_target("[::1]:80").map(|a| a.port()), Some(80));
        assert_eq!(loopback_target("example.com:443"), None);
        assert_eq!(loopback_target("10.0.0.1:443"), None);
        assert_eq!(loopback_target("127.0.0.1"), None);
    }
}
