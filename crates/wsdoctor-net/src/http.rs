//! The HTTP Upgrade: write the RFC 6455 request ourselves, read back whatever comes
//! (capped and under the deadline) and classify it — a 101, any other status with the
//! start of its body, silence, a close, a reset, or bytes that are not HTTP at all.
//! Bytes after a 101's head may already be the first frames; they are handed on.

use crate::deadline::ms_since;
use crate::stream::BoxIo;
use crate::text::{lossy_text, printable};
use crate::wire::Wire;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};
use wsdoctor_core::evidence::{HttpEvidence, HttpOutcome, HttpResponse, PlaintextProbe};
use wsdoctor_core::redact;
use wsdoctor_proto::handshake::{self, ClientRequest, HeadError, Response};
use wsdoctor_proto::head::HeadBuffer;

/// How much of a non-101 body is kept.
pub(crate) const BODY_CAP: usize = 4 * 1024;
/// How long we wait for that body after the head.
const BODY_WAIT: Duration = Duration::from_secs(1);
/// How much of a non-HTTP answer is shown.
const FIRST_BYTES: usize = 64;

/// What the session needs from a successful upgrade.
pub(crate) struct Upgraded {
    pub io: BoxIo,
    /// Bytes read after the response head: possibly the first frames.
    pub leftover: Vec<u8>,
    pub response: Response,
}

/// The request as we build it, so probes with several connections reuse it.
pub(crate) struct UpgradeRequest {
    pub request: ClientRequest,
    pub max_head: usize,
    pub show_secrets: bool,
}

impl UpgradeRequest {
    pub(crate) fn new(opts: &crate::ProbeOptions, nonce: [u8; 16]) -> Self {
        let url = &opts.url;
        let default_port = if url.secure { 443 } else { 80 };
        let host = if url.host.contains(':') {
            format!("[{}]", url.host)
        } else {
            url.host.clone()
        };
        let host = if url.port == default_port {
            host
        } else {
            format!("{host}:{}", url.port)
        };
        let path = if url.resource.is_empty() {
            "/".to_string()
        } else {
            url.resource.clone()
        };
        UpgradeRequest {
            request: ClientRequest {
                path,
                host,
                key: handshake::key_from_bytes(nonce),
                origin: opts.origin.clone(),
                protocols: opts.subprotocols.clone(),
                extensions: opts.extensions.clone(),
                headers: opts.headers.clone(),
            },
            max_head: opts.max_head,
            show_secrets: opts.show_secrets,
        }
    }

    fn redacted_head(&self, head: &str) -> String {
        if self.show_secrets {
            head.to_string()
        } else {
            redact::head(head)
        }
    }
}

/// Sends the Upgrade request and classifies the answer.
pub(crate) async fn upgrade(
    req: &UpgradeRequest,
    mut io: BoxIo,
    end: Instant,
    wire: Wire<'_>,
) -> (HttpEvidence, Option<Upgraded>) {
    let start = Instant::now();
    let bytes = req.request.to_bytes();
    let head = String::from_utf8_lossy(&bytes).into_owned();
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        wire.sent(line);
    }
    let mut ev = HttpEvidence {
        request_head: req.redacted_head(&head),
        key: req.request.key.clone(),
        expected_accept: handshake::accept_key(&req.request.key),
        ..Default::default()
    };
    let written = timeout_at(end, async {
        io.write_all(&bytes).await?;
        io.flush().await
    })
    .await;
    let outcome = match written {
        Err(_) => Err(HttpOutcome::Silence),
        Ok(Err(e)) => Err(io_outcome(&e)),
        Ok(Ok(())) => read_head(&mut io, req.max_head, end).await,
    };
    let upgraded = match outcome {
        Err(outcome) => {
            ev.outcome = outcome;
            None
        }
        Ok((response, buf)) => {
            for line in head_lines(&buf[..response.head_len]) {
                wire.received(&line);
            }
            let leftover = buf[response.head_len..].to_vec();
            let mut shown = shown_response(&response, req.show_secrets);
            if response.status == 101 {
                ev.outcome = HttpOutcome::Response(shown);
                Some(Upgraded {
                    io,
                    leftover,
                    response,
                })
            } else {
                let body = read_body(&mut io, &response, leftover, end).await;
                shown.body = lossy_text(&body);
                ev.outcome = HttpOutcome::Response(shown);
                None
            }
        }
    };
    ev.ms = ms_since(start);
    (ev, upgraded)
}

/// The head cap of the plaintext probe: it only needs the status line.
const PROBE_HEAD: usize = 16 * 1024;

/// One plaintext `GET /` with nothing of the user's request in it (the path, query and
/// headers were meant for TLS and may hold secrets), and how the port answered.
pub(crate) async fn plaintext_probe(mut io: BoxIo, host: &str, end: Instant) -> PlaintextProbe {
    let start = Instant::now();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: wsdoctor\r\nConnection: close\r\n\r\n"
    );
    let written = timeout_at(end, io.write_all(request.as_bytes())).await;
    let answer = match written {
        Err(_) => Err(HttpOutcome::Silence),
        Ok(Err(e)) => Err(io_outcome(&e)),
        Ok(Ok(())) => read_head(&mut io, PROBE_HEAD, end).await,
    };
    let (status, answer) = match answer {
        Ok((r, _)) => (
            Some(r.status),
            printable(
                format!("HTTP/1.{} {} {}", r.version, r.status, r.reason)
                    .trim()
                    .as_bytes(),
            ),
        ),
        Err(HttpOutcome::Silence) => (None, "no answer".into()),
        Err(HttpOutcome::Closed) => (None, "closed without an answer".into()),
        Err(HttpOutcome::Reset) => (None, "reset".into()),
        Err(
            HttpOutcome::NotHttp { first_bytes, .. } | HttpOutcome::Malformed { first_bytes, .. },
        ) => (None, first_bytes),
        Err(HttpOutcome::HeadTooLarge { limit }) => (None, format!("a head over {limit} bytes")),
        // read_head never returns a response as an error.
        Err(HttpOutcome::Response(_)) => (None, String::new()),
    };
    let _ = timeout_at(end, io.shutdown()).await;
    PlaintextProbe {
        status,
        answer,
        ms: ms_since(start),
    }
}

/// Reads until the head is complete; the buffer includes any bytes after it.
async fn read_head(
    io: &mut BoxIo,
    max_head: usize,
    end: Instant,
) -> Result<(Response, Vec<u8>), HttpOutcome> {
    let mut head = HeadBuffer::response(max_head);
    let mut chunk = vec![0u8; 8 * 1024];
    loop {
        // The buffer never grows past the cap plus one chunk: `push` ends it there.
        let n = match timeout_at(end, io.read(&mut chunk)).await {
            Err(_) if head.is_empty() => return Err(HttpOutcome::Silence),
            Err(_) => {
                return Err(partial(
                    head.bytes(),
                    "the response head did not end before the deadline",
                ));
            }
            Ok(Err(e)) if head.is_empty() => return Err(io_outcome(&e)),
            Ok(Err(e)) => {
                let mut outcome = partial(head.bytes(), &format!("reading the response head: {e}"));
                if let HttpOutcome::Malformed { alert, .. } = &mut outcome {
                    *alert = crate::tls::alert_received(&e);
                }
                return Err(outcome);
            }
            Ok(Ok(0)) if head.is_empty() => return Err(HttpOutcome::Closed),
            Ok(Ok(0)) => {
                return Err(partial(
                    head.bytes(),
                    "the connection closed inside the response head",
                ));
            }
            Ok(Ok(n)) => n,
        };
        match head.push(&chunk[..n]) {
            Ok(Some(response)) => return Ok((response, head.into_bytes())),
            Ok(None) => {}
            Err(HeadError::TooLarge { limit }) => return Err(HttpOutcome::HeadTooLarge { limit }),
            Err(HeadError::NotHttp) => return Err(not_http(head.bytes())),
            Err(HeadError::Malformed(message)) => {
                return Err(HttpOutcome::Malformed {
                    message,
                    first_bytes: first_bytes(head.bytes()),
                    alert: None,
                });
            }
            Err(other) => return Err(partial(head.bytes(), &other.to_string())),
        }
    }
}

/// The start of a non-101 body: Content-Length bytes or what comes within a short wait.
async fn read_body(
    io: &mut BoxIo,
    response: &Response,
    mut body: Vec<u8>,
    end: Instant,
) -> Vec<u8> {
    let want = response
        .header("content-length")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(BODY_CAP)
        .min(BODY_CAP);
    let until = (Instant::now() + BODY_WAIT).min(end);
    let mut chunk = vec![0u8; BODY_CAP];
    while body.len() < want {
        match timeout_at(until, io.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => body.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    body.truncate(want);
    body
}

pub(crate) fn shown_response(r: &Response, show_secrets: bool) -> HttpResponse {
    HttpResponse {
        version: r.version,
        status: r.status,
        reason: r.reason.clone(),
        headers: r
            .headers
            .iter()
            .map(|(n, v)| {
                let v = if show_secrets {
                    v.clone()
                } else {
                    redact::header_value(n, v)
                };
                (n.clone(), v)
            })
            .collect(),
        body: String::new(),
    }
}

fn head_lines(head: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| printable(l.as_bytes()))
        .collect()
}

pub(crate) fn not_http(buf: &[u8]) -> HttpOutcome {
    HttpOutcome::NotHttp {
        first_bytes: first_bytes(buf),
        looks_like_tls: matches!(buf, [0x15 | 0x16, 0x03, ..] | [0x15 | 0x16]),
    }
}

pub(crate) fn partial(buf: &[u8], message: &str) -> HttpOutcome {
    HttpOutcome::Malformed {
        message: message.to_string(),
        first_bytes: first_bytes(buf),
        alert: None,
    }
}

fn first_bytes(buf: &[u8]) -> String {
    printable(&buf[..buf.len().min(FIRST_BYTES)])
}

fn io_outcome(e: &io::Error) -> HttpOutcome {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => HttpOutcome::Reset,
        io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe => HttpOutcome::Closed,
        _ => HttpOutcome::Malformed {
            message: e.to_string(),
            first_bytes: String::new(),
            alert: crate::tls::alert_received(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_bytes_are_recognised() {
        assert_eq!(
            not_http(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]),
            HttpOutcome::NotHttp {
                first_bytes: "\\x15\\x03\\x01\\x00\\x02\\x02F".to_string(),
                looks_like_tls: true
            }
        );
        assert!(matches!(
            not_http(b"SSH-2.0-OpenSSH"),
            HttpOutcome::NotHttp {
                looks_like_tls: false,
                ..
            }
        ));
    }

    #[test]
    fn host_header_omits_default_port_and_brackets_ipv6() {
        let mut opts = crate::ProbeOptions::default();
        opts.url.host = "::1".into();
        opts.url.port = 80;
        let r = UpgradeRequest::new(&opts, [0; 16]);
        assert_eq!(r.request.host, "[::1]");
        assert_eq!(r.request.path, "/");
        opts.url.secure = true;
        let r = UpgradeRequest::new(&opts, [0; 16]);
        assert_eq!(r.request.host, "[::1]:80");
    }

    #[tokio::test]
    async fn head_and_following_frame_bytes_are_split() {
        let (client, mut server) = tokio::io::duplex(1024);
        let mut opts = crate::ProbeOptions::default();
        opts.url.host = "h".into();
        opts.url.port = 80;
        opts.headers = vec![("Authorization".into(), "Bearer sekrit".into())];
        let req = UpgradeRequest::new(&opts, [7; 16]);
        let accept = handshake::accept_key(&req.request.key);
        let srv = tokio::spawn(async move {
            let mut buf = vec![0u8; 1024];
            let _ = server.read(&mut buf).await;
            let reply = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSet-Cookie: a=b\r\n\r\n"
            );
            let mut bytes = reply.into_bytes();
            bytes.extend_from_slice(b"\x81\x02hi");
            let _ = server.write_all(&bytes).await;
            server
        });
        let end = Instant::now() + Duration::from_secs(2);
        let wire = Wire::new(&crate::NoWire, false);
        let (ev, up) = upgrade(&req, Box::new(client), end, wire).await;
        let _server = srv.await.expect("server task");
        let up = up.expect("upgraded");
        assert_eq!(up.leftover, b"\x81\x02hi");
        assert!(!ev.request_head.contains("sekrit"));
        let HttpOutcome::Response(r) = ev.outcome else {
            panic!("expected a response, got {:?}", ev.outcome)
        };
        assert_eq!(r.status, 101);
        assert_eq!(r.header("set-cookie"), Some("a=[redacted]"));
        assert_eq!(
            r.header("sec-websocket-accept"),
            Some(ev.expected_accept.as_str())
        );
    }
}
