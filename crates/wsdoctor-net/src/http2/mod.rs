//! WebSockets over HTTP/2 (RFC 8441): on a connection of its own, read the server's
//! SETTINGS, send the extended CONNECT (`:method CONNECT`, `:protocol websocket`) when
//! SETTINGS_ENABLE_CONNECT_PROTOCOL allows it, classify the answer, and after a 2xx
//! run the same session (echo, ping, close) as the HTTP/1.1 walk over the stream.
//! Every step waits under the probe's deadline; the h2 crate does the framing.

mod settings;
mod stream;

pub use stream::{H2Stream, StreamState};

use crate::deadline::{Deadline, ms_since};
use crate::http::{UpgradeRequest, Upgraded};
use crate::session;
use crate::stream::BoxIo;
use crate::text::{lossy_text, printable};
use crate::tls::recorder::Recorder;
use crate::wire::Wire;
use bytes::Bytes;
use settings::First;
use std::time::Duration;
use tokio::time::{Instant, timeout_at};
use wsdoctor_core::Layer;
use wsdoctor_core::evidence::{H2Error, H2Evidence, H2Outcome, HttpResponse, Timing};
use wsdoctor_core::redact;
use wsdoctor_proto::handshake::Response;

/// The server's SETTINGS (and the answer to our PING behind them) must come this fast.
const SETTINGS_CAP: Duration = Duration::from_secs(3);
/// The CONNECT's response headers must come this fast.
const ANSWER_CAP: Duration = Duration::from_secs(3);
/// How much of a refusal's body is kept, and how long it is waited for.
const BODY_CAP: usize = 4 * 1024;
const BODY_WAIT: Duration = Duration::from_secs(1);
/// Enough of the server's first bytes for its SETTINGS frame (a few dozen bytes).
const FIRST_BYTES: usize = 512;
/// Headers HTTP/2 forbids (RFC 9113 §8.2.2) or that the pseudo-headers replace; a
/// user's `-H` with one of them is left out of the CONNECT.
const NOT_IN_H2: &[&str] = &[
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "host",
    "sec-websocket-key",
    "sec-websocket-version",
];

/// Runs the probe over `io`, a connection on which `h2` was negotiated (or, for
/// `ws://`, a plain one used with prior knowledge). Fills `ev` as far as it gets.
pub(crate) async fn probe(
    opts: &crate::ProbeOptions,
    io: BoxIo,
    ev: &mut H2Evidence,
    deadline: Deadline,
    wire: Wire<'_>,
) {
    let start = Instant::now();
    let (io, first) = Recorder::new(io, FIRST_BYTES);
    let first_bytes = || first.lock().map(|b| b.clone()).unwrap_or_default();
    let mut builder = h2::client::Builder::new();
    builder.max_header_list_size(opts.max_head.min(u32::MAX as usize) as u32);
    let (send, mut conn) = match builder.handshake::<_, Bytes>(io).await {
        Ok(pair) => pair,
        Err(e) => {
            ev.outcome = not_http2(&first_bytes(), &e.to_string());
            return;
        }
    };
    let ping = conn.ping_pong();
    let driver = tokio::spawn(conn);
    // A PING is answered after the server's SETTINGS, which are then applied.
    let pong = match ping {
        Some(mut p) => timeout_at(deadline.phase(SETTINGS_CAP), p.ping(h2::Ping::opaque()))
            .await
            .map_err(|_| "no SETTINGS and no PING answer before the deadline".to_string())
            .and_then(|r| r.map(|_| ()).map_err(|e| e.to_string())),
        None => Ok(()),
    };
    let bytes = first_bytes();
    match settings::first_settings(&bytes) {
        First::Settings(s) => {
            wire.note(format!("h2: server SETTINGS {}", settings_words(&s)));
            ev.settings = s;
        }
        First::Incomplete | First::NotSettings => {
            let message = pong
                .err()
                .unwrap_or_else(|| "no SETTINGS frame first".into());
            ev.outcome = not_http2(&bytes, &message);
            driver.abort();
            time(ev, Layer::Http, start);
            return;
        }
    }
    let outcome = connect(opts, send, ev, deadline, wire).await;
    ev.outcome = outcome;
    driver.abort();
}

/// Sends the extended CONNECT and, after a 2xx, runs the session.
async fn connect(
    opts: &crate::ProbeOptions,
    send: h2::client::SendRequest<Bytes>,
    ev: &mut H2Evidence,
    deadline: Deadline,
    wire: Wire<'_>,
) -> H2Outcome {
    let start = Instant::now();
    let mut send = match timeout_at(deadline.phase(SETTINGS_CAP), send.ready()).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return failed(ev, start, e),
        Err(_) => {
            time(ev, Layer::Http, start);
            return H2Outcome::NoAnswer {
                waited_ms: ms_since(start),
            };
        }
    };
    if !send.is_extended_connect_protocol_enabled() {
        wire.note("h2: no SETTINGS_ENABLE_CONNECT_PROTOCOL: no extended CONNECT may be sent");
        time(ev, Layer::Http, start);
        return H2Outcome::NotAdvertised;
    }
    let (request, lines) = match request(opts) {
        Ok(r) => r,
        Err(message) => {
            time(ev, Layer::Http, start);
            return H2Outcome::Failed { message };
        }
    };
    for line in &lines {
        wire.sent(line);
    }
    ev.request_head = lines.join("\r\n");
    let (answer, send_stream) = match send.send_request(request, false) {
        Ok(pair) => pair,
        Err(e) => return failed(ev, start, e),
    };
    let response = match timeout_at(deadline.phase(ANSWER_CAP), answer).await {
        Err(_) => {
            time(ev, Layer::Http, start);
            return H2Outcome::NoAnswer {
                waited_ms: ms_since(start),
            };
        }
        Ok(Err(e)) => return failed(ev, start, e),
        Ok(Ok(r)) => r,
    };
    let (parts, mut recv) = response.into_parts();
    let status = parts.status.as_u16();
    let shown = shown_response(status, &parts.headers, opts.show_secrets);
    wire.received(&format!(":status: {status}"));
    for (n, v) in &shown.headers {
        wire.received(&format!("{n}: {v}"));
    }
    if !parts.status.is_success() {
        let body = read_body(&mut recv, deadline.end()).await;
        ev.response = Some(HttpResponse {
            body: lossy_text(&body),
            ..shown
        });
        time(ev, Layer::Http, start);
        return H2Outcome::Rejected { status };
    }
    time(ev, Layer::Http, start);
    let upgraded_response = Response {
        version: 2,
        status,
        reason: shown.reason.clone(),
        headers: header_pairs(&parts.headers),
        head_len: 0,
    };
    ev.response = Some(shown);
    let io = H2Stream::new(send_stream, recv);
    let state = io.state();
    let upgraded = Upgraded {
        io: Box::new(io),
        leftover: Vec::new(),
        response: upgraded_response,
    };
    let start = Instant::now();
    ev.session = Some(session::run(opts, upgraded, deadline, wire).await);
    time(ev, Layer::Session, start);
    if let Ok(s) = state.lock() {
        ev.stream_error = s.error.map(|(code, goaway)| H2Error::new(code, goaway));
        ev.send_stalled_ms = s.stalled_since.map(ms_since);
    }
    H2Outcome::Open { status }
}

/// The extended CONNECT for the URL (RFC 8441 §4), and its lines as shown (redacted).
fn request(opts: &crate::ProbeOptions) -> Result<(http::Request<()>, Vec<String>), String> {
    let up = UpgradeRequest::new(opts, [0; 16]).request;
    let scheme = if opts.url.secure { "https" } else { "http" };
    let uri: http::Uri = format!("{scheme}://{}{}", up.host, up.path)
        .parse()
        .map_err(|e| format!("the URL cannot be an HTTP/2 :path: {e}"))?;
    let mut headers: Vec<(String, String)> = vec![("sec-websocket-version".into(), "13".into())];
    if let Some(o) = &up.origin {
        headers.push(("origin".into(), o.clone()));
    }
    if !up.protocols.is_empty() {
        headers.push(("sec-websocket-protocol".into(), up.protocols.join(", ")));
    }
    if !up.extensions.is_empty() {
        headers.push(("sec-websocket-extensions".into(), up.extensions.join(", ")));
    }
    for (n, v) in &up.headers {
        if !NOT_IN_H2.iter().any(|x| n.eq_ignore_ascii_case(x)) {
            headers.push((n.to_ascii_lowercase(), v.clone()));
        }
    }
    let mut b = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(uri)
        .extension(h2::ext::Protocol::from_static("websocket"));
    for (n, v) in &headers {
        b = b.header(n.as_str(), v.as_str());
    }
    let req = b
        .body(())
        .map_err(|e| format!("a header cannot be sent over HTTP/2: {e}"))?;
    let path = if opts.show_secrets {
        up.path.clone()
    } else {
        redact::resource(&up.path)
    };
    let mut lines = vec![
        ":method: CONNECT".to_string(),
        ":protocol: websocket".to_string(),
        format!(":scheme: {scheme}"),
        format!(":authority: {}", up.host),
        format!(":path: {path}"),
    ];
    for (n, v) in &headers {
        let v = if opts.show_secrets {
            v.clone()
        } else {
            redact::header_value(n, v)
        };
        lines.push(format!("{n}: {v}"));
    }
    Ok((req, lines))
}

fn header_pairs(h: &http::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| (n.as_str().to_string(), lossy_text(v.as_bytes())))
        .collect()
}

fn shown_response(status: u16, h: &http::HeaderMap, show_secrets: bool) -> HttpResponse {
    HttpResponse {
        version: 2,
        status,
        reason: wsdoctor_core::tables::reason(status).to_string(),
        headers: header_pairs(h)
            .into_iter()
            .map(|(n, v)| {
                let v = if show_secrets {
                    v
                } else {
                    redact::header_value(&n, &v)
                };
                (n, v)
            })
            .collect(),
        body: String::new(),
    }
}

/// The start of a refusal's body: what comes within a short wait, capped.
async fn read_body(recv: &mut h2::RecvStream, end: Instant) -> Vec<u8> {
    let until = (Instant::now() + BODY_WAIT).min(end);
    let mut body = Vec::new();
    while body.len() < BODY_CAP {
        match timeout_at(until, recv.data()).await {
            Ok(Some(Ok(chunk))) => {
                let _ = recv.flow_control().release_capacity(chunk.len());
                body.extend_from_slice(&chunk[..chunk.len().min(BODY_CAP - body.len())]);
            }
            _ => break,
        }
    }
    body
}

/// An error from the h2 crate while opening the stream: a reset or GOAWAY with its
/// code, or a failure with no code (the connection broke).
fn failed(ev: &mut H2Evidence, start: Instant, e: h2::Error) -> H2Outcome {
    time(ev, Layer::Http, start);
    match e.reason() {
        Some(reason) if e.is_remote() || e.is_go_away() => H2Outcome::Reset {
            error: H2Error::new(u32::from(reason), e.is_go_away()),
        },
        _ => H2Outcome::Failed {
            message: e.to_string(),
        },
    }
}

fn not_http2(first: &[u8], message: &str) -> H2Outcome {
    H2Outcome::NotHttp2 {
        first_bytes: printable(&first[..first.len().min(64)]),
        message: message.to_string(),
    }
}

fn settings_words(s: &[wsdoctor_core::evidence::H2Setting]) -> String {
    s.iter()
        .map(|s| format!("{}={}", s.name.trim_start_matches("SETTINGS_"), s.value))
        .collect::<Vec<_>>()
        .join(" ")
}

fn time(ev: &mut H2Evidence, layer: Layer, start: Instant) {
    ev.timings.push(Timing {
        layer,
        ms: ms_since(start),
    });
}
