//! HTTP CONNECT by hand, on the shared response parser: we need the proxy's raw reply
//! (407 with `Proxy-Authenticate`, a 403 page), which proxy libraries hide.

use super::authority;
use crate::dns::Target;
use crate::stream::BoxIo;
use crate::text::lossy_text;
use crate::wire::Wire;
use base64::Engine as _;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};
use wsdoctor_core::evidence::ProxyOutcome;
use wsdoctor_core::redact;
use wsdoctor_proto::handshake::HeadError;
use wsdoctor_proto::head::HeadBuffer;

/// Cap on the proxy's reply head.
const HEAD_CAP: usize = 16 * 1024;
/// Cap on the part of an error body kept.
const BODY_CAP: usize = 4 * 1024;
/// How long an error body is waited for.
const BODY_WAIT: Duration = Duration::from_secs(1);

pub(crate) struct Reply {
    pub outcome: ProxyOutcome,
    pub head: Option<String>,
    pub body: Option<String>,
    /// The tunnel, when the proxy answered 2xx.
    pub io: Option<BoxIo>,
}

pub(crate) async fn connect(
    mut io: BoxIo,
    target: &Target,
    credentials: Option<(String, String)>,
    show_secrets: bool,
    end: Instant,
    wire: Wire<'_>,
) -> Reply {
    let auth = authority(target);
    let mut request =
        format!("CONNECT {auth} HTTP/1.1\r\nHost: {auth}\r\nUser-Agent: wsdoctor\r\n");
    if let Some((user, pass)) = credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    for line in request.split("\r\n").filter(|l| !l.is_empty()) {
        wire.sent(line);
    }
    let reply = |outcome| Reply {
        outcome,
        head: None,
        body: None,
        io: None,
    };
    match timeout_at(end, io.write_all(request.as_bytes())).await {
        Err(_) => return reply(ProxyOutcome::Timeout),
        Ok(Err(e)) => return reply(io_outcome(&e)),
        Ok(Ok(())) => {}
    }
    let (response, buf) = match read_head(&mut io, end).await {
        Ok(r) => r,
        Err(outcome) => return reply(outcome),
    };
    let head_text = String::from_utf8_lossy(&buf[..response.head_len]).into_owned();
    for line in head_text.split("\r\n").filter(|l| !l.is_empty()) {
        wire.received(line);
    }
    let head = Some(if show_secrets {
        head_text.clone()
    } else {
        redact::head(&head_text)
    });
    if (200..300).contains(&response.status) {
        return Reply {
            outcome: ProxyOutcome::Tunnel,
            head,
            body: None,
            io: Some(io),
        };
    }
    let want = response
        .header("content-length")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(BODY_CAP)
        .min(BODY_CAP);
    let mut body = buf[response.head_len..].to_vec();
    let until = end.min(Instant::now() + BODY_WAIT);
    let mut chunk = vec![0u8; BODY_CAP];
    while body.len() < want {
        match timeout_at(until, io.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => body.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    body.truncate(want);
    let outcome = if response.status == 407 {
        ProxyOutcome::AuthRequired {
            scheme: response
                .header("proxy-authenticate")
                .and_then(|v| v.split_whitespace().next())
                .map(str::to_string),
        }
    } else {
        ProxyOutcome::Refused {
            status: response.status,
        }
    };
    Reply {
        outcome,
        head,
        body: Some(lossy_text(&body)),
        io: None,
    }
}

async fn read_head(
    io: &mut BoxIo,
    end: Instant,
) -> Result<(wsdoctor_proto::handshake::Response, Vec<u8>), ProxyOutcome> {
    let mut head = HeadBuffer::response(HEAD_CAP);
    let mut chunk = vec![0u8; 4096];
    loop {
        let n = match timeout_at(end, io.read(&mut chunk)).await {
            Err(_) => return Err(ProxyOutcome::Timeout),
            Ok(Ok(0)) => return Err(ProxyOutcome::Closed),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(io_outcome(&e)),
        };
        match head.push(&chunk[..n]) {
            Ok(Some(r)) => return Ok((r, head.into_bytes())),
            Ok(None) => {}
            Err(HeadError::TooLarge { .. }) => {
                return Err(bad_reply(format!(
                    "the proxy's reply head did not end within {HEAD_CAP} bytes"
                )));
            }
            Err(HeadError::NotHttp) => {
                let buf = head.bytes();
                return Err(bad_reply(format!(
                    "the proxy did not answer CONNECT with HTTP: {}",
                    crate::text::printable(&buf[..buf.len().min(32)])
                )));
            }
            Err(e) => {
                let buf = head.bytes();
                return Err(bad_reply(format!(
                    "the proxy's answer to CONNECT does not parse ({e}): {}",
                    crate::text::printable(&buf[..buf.len().min(32)])
                )));
            }
        }
    }
}

fn bad_reply(message: String) -> ProxyOutcome {
    ProxyOutcome::BadReply { message }
}

fn error(message: &str) -> ProxyOutcome {
    ProxyOutcome::Error {
        message: message.to_string(),
    }
}

fn io_outcome(e: &io::Error) -> ProxyOutcome {
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::BrokenPipe => ProxyOutcome::Closed,
        _ => error(&e.to_string()),
    }
}
