//! From what a connection showed to the `Evidence` a live `check` would have recorded
//! for it, so the same pure rules diagnose it. Each outcome is mapped the way the
//! probe maps what it reads (see `wsdoctor-net`'s http and session modules); what a
//! capture cannot show stays `None` or `not-tried` rather than being guessed.

use crate::conn::{Carries, Conn, Side, Ws};
use crate::tls::{TLS13, Tls};
use wsdoctor_core::Layer;
use wsdoctor_core::evidence::{
    CloseOutcome, CutHow, Evidence, HttpEvidence, HttpOutcome, IdleCut, IdleEvidence,
    MessageOutcome, PingOutcome, RequestOptions, SessionEvidence, TcpAttempt, TcpEvidence,
    TcpOutcome, Timing, TlsAlert, TlsEvidence, TlsOutcome,
};
use wsdoctor_core::redact;
use wsdoctor_net::capture::{self as probe, CertJudge};
use wsdoctor_proto::handshake;

/// A ping or a close that got no answer within this long is unanswered, as is one still
/// unanswered when the session ended; sooner and still open, the capture may simply
/// have ended before the peer could answer.
pub const ANSWER_WAIT_MS: f64 = 1000.0;
/// A connection the server ended after at least this long without a frame either way
/// was cut for being idle (the idle evidence `check --idle` collects).
pub const IDLE_CUT_MS: f64 = 10_000.0;
/// SYNs sent this many times with no answer: the port is filtered (a timeout).
const SYNS_TO_SILENCE: u32 = 2;

/// The evidence, or `None` when the connection is not a WebSocket attempt.
pub fn evidence(c: &Conn, show_secrets: bool, certs: Option<&CertJudge>) -> Option<Evidence> {
    let tcp = tcp(c)?;
    let mut e = Evidence {
        tcp: Some(tcp),
        checked_at: c.first_us.div_euclid(1_000_000),
        ..Evidence::default()
    };
    if let Some(t) = ms_between(c.syn_us, c.synack_us) {
        e.timings.push(Timing {
            layer: Layer::Tcp,
            ms: t,
        });
    }
    let mut scheme = "ws";
    match c.carries {
        Carries::WebSocket => {}
        Carries::Tls => {
            let t = c.app.tls.as_deref()?;
            let tls = tls(c, t, certs);
            if tls.ms > 0.0 {
                e.timings.push(Timing {
                    layer: Layer::Tls,
                    ms: tls.ms,
                });
            }
            let authority = match &t.sni {
                Some(name) => format!("{name}:{}", c.server.port()),
                None => c.server.to_string(),
            };
            e.tls = Some(tls);
            if c.app.inner != Carries::WebSocket {
                e.url = wsdoctor_core::url::analyze(&format!("wss://{authority}/"), show_secrets);
                return Some(e);
            }
            scheme = "wss";
        }
        // Refused, reset or silent before any byte: a TCP finding on its own.
        Carries::Nothing if e.tcp.as_ref().is_some_and(|t| t.connected.is_none()) => {
            e.url = wsdoctor_core::url::analyze(&format!("ws://{}/", c.server), show_secrets);
            return Some(e);
        }
        _ => return None,
    }
    let req = c.app.request.as_ref()?;
    let host = req.header("Host").unwrap_or("").trim();
    let host = if host.is_empty() {
        c.server.to_string()
    } else {
        host.to_string()
    };
    e.url = wsdoctor_core::url::analyze(&format!("{scheme}://{host}{}", req.path), show_secrets);
    e.request = RequestOptions {
        origin: req.header("Origin").map(str::to_string),
        subprotocols: tokens(req.headers_named("Sec-WebSocket-Protocol")),
        extensions: req
            .headers_named("Sec-WebSocket-Extensions")
            .map(str::to_string)
            .collect(),
        ..RequestOptions::default()
    };
    let mut http = http(c, show_secrets);
    // The server's alert where its answer was awaited: TLS 1.3 servers reject a
    // client certificate after the handshake, and the probe's read then fails on it.
    if let Some((code, _)) = c
        .app
        .tls
        .as_deref()
        .and_then(|t| t.alert[1])
        .filter(|a| a.0 != 0)
        && matches!(
            http.outcome,
            HttpOutcome::Closed | HttpOutcome::Reset | HttpOutcome::Silence
        )
    {
        let alert = TlsAlert::from_code(code);
        http.outcome = HttpOutcome::Malformed {
            message: format!("received fatal alert: {alert}"),
            first_bytes: String::new(),
            alert: Some(alert),
        };
    }
    if let Some(t) = ms_between(c.app.request_us, c.app.response_us) {
        e.timings.push(Timing {
            layer: Layer::Http,
            ms: t,
        });
    }
    e.http = Some(http);
    if let Some(ws) = &c.app.ws {
        let (session, idle) = session(c, ws);
        e.timings.push(Timing {
            layer: Layer::Session,
            ms: session.ms,
        });
        e.session = Some(session);
        e.idle = idle;
    }
    Some(e)
}

/// What a capture shows of the TLS handshake, as the probe records its own.
fn tls(c: &Conn, t: &Tls, certs: Option<&CertJudge>) -> TlsEvidence {
    let host = t.sni.clone().unwrap_or_else(|| c.server.ip().to_string());
    let (chain, problems) = match certs {
        Some(j) if !t.certs.is_empty() => {
            j.judge(&t.certs, &host, c.first_us.div_euclid(1_000_000))
        }
        _ => (Vec::new(), Vec::new()),
    };
    let server = Side::Server as usize;
    let alert = |side: Side| t.alert[side as usize].filter(|(code, _)| *code != 0);
    let outcome = if let Some(first) = &t.not_tls {
        probe::not_tls(first)
    } else if t.established() {
        TlsOutcome::Established
    } else if let Some((code, _)) = alert(Side::Server) {
        let a = TlsAlert::from_code(code);
        TlsOutcome::Failed {
            alert: Some(a),
            message: format!("the server sent the alert {a}"),
        }
    } else if let Some((code, _)) = alert(Side::Client) {
        TlsOutcome::Failed {
            alert: None,
            message: format!(
                "the client ended the handshake with the alert {}",
                TlsAlert::from_code(code)
            ),
        }
    } else if t.server_first_us.is_none() {
        if c.fin_us[server].is_some() || c.rst_us[server].is_some() {
            TlsOutcome::Closed
        } else {
            TlsOutcome::Silence
        }
    } else if t.version == Some(TLS13) && !t.decrypting {
        TlsOutcome::Failed {
            alert: None,
            message: format!(
                "the client ended the handshake after the server's hello{} — in TLS 1.3 the certificate and the reason are encrypted (--keylog with the client's SSLKEYLOGFILE shows them)",
                if t.opaque_records[0] > 0 {
                    ", with an encrypted alert"
                } else {
                    ""
                }
            ),
        }
    } else {
        TlsOutcome::Failed {
            alert: None,
            message: "the handshake did not complete in the capture".to_string(),
        }
    };
    let end = t.finished[server].or(t.server_first_us);
    TlsEvidence {
        sni: t.sni.clone(),
        outcome,
        version: t.version.map(probe::tls_version_name),
        cipher: t.cipher.map(probe::cipher_name),
        alpn: t.alpn.clone(),
        chain,
        problems,
        client_cert_requested: t.cert_request,
        ms: ms_between(t.hello_us, end).unwrap_or(0.0),
        plaintext_probe: None,
    }
}

/// The TCP outcome; `None` for a connection with nothing in it worth a report.
fn tcp(c: &Conn) -> Option<TcpEvidence> {
    let answered = c.synack_us.is_some() || c.streams[Side::Server as usize].delivered > 0;
    let outcome = if answered || c.syn_us.is_none() {
        TcpOutcome::Connected
    } else if c.rst_us[Side::Server as usize].is_some() {
        TcpOutcome::Refused
    } else if c.syns >= SYNS_TO_SILENCE {
        TcpOutcome::TimedOut
    } else {
        // One SYN and the capture ended: nothing is known yet.
        return None;
    };
    let ms = match outcome {
        TcpOutcome::Connected => ms_between(c.syn_us, c.synack_us).unwrap_or(0.0),
        _ => (c.last_us - c.first_us) as f64 / 1000.0,
    };
    let connected = (outcome == TcpOutcome::Connected).then_some(c.server);
    Some(TcpEvidence {
        attempts: vec![TcpAttempt {
            addr: c.server,
            started_ms: 0.0,
            ms,
            outcome,
        }],
        connected,
    })
}

fn http(c: &Conn, show_secrets: bool) -> HttpEvidence {
    let head = String::from_utf8_lossy(&c.app.request_head).into_owned();
    let key = c
        .app
        .request
        .as_ref()
        .and_then(|r| r.header("Sec-WebSocket-Key"))
        .unwrap_or("")
        .trim()
        .to_string();
    let outcome = match (&c.app.response, &c.app.response_error) {
        (Some(r), _) => {
            let mut shown = probe::shown_response(r, show_secrets);
            if r.status != 101 {
                shown.body = probe::lossy_text(&c.app.body);
            }
            HttpOutcome::Response(shown)
        }
        (None, Some(err)) => err.clone(),
        (None, None) => no_response(c),
    };
    HttpEvidence {
        request_head: if show_secrets {
            head
        } else {
            redact::head(&head)
        },
        expected_accept: handshake::accept_key(&key),
        key,
        outcome,
        ms: ms_between(c.app.request_us, c.app.response_us)
            .unwrap_or_else(|| ms_between(c.app.request_us, Some(c.last_us)).unwrap_or(0.0)),
    }
}

/// How a request with no complete answer ended, as the probe's read of the head says it.
fn no_response(c: &Conn) -> HttpOutcome {
    let server = Side::Server as usize;
    let partial = &c.app.response_partial;
    // The client gave up first (a probe's deadline): whatever the server did after
    // answered the client's close, so the server had been silent.
    let client = Side::Client as usize;
    let client_end = [c.fin_us[client], c.rst_us[client]]
        .into_iter()
        .flatten()
        .min();
    let before_client = |t: Option<i64>| t.is_some_and(|t| client_end.is_none_or(|c| t < c));
    let reset = before_client(c.rst_us[server]);
    let fin = before_client(c.fin_us[server]);
    match (partial.is_empty(), reset, fin) {
        (true, true, _) => HttpOutcome::Reset,
        (true, false, true) => HttpOutcome::Closed,
        (true, false, false) => HttpOutcome::Silence,
        (false, true, _) => probe::partial_head(
            partial,
            "reading the response head: connection reset by peer",
        ),
        (false, false, true) => {
            probe::partial_head(partial, "the connection closed inside the response head")
        }
        (false, false, false) => probe::partial_head(
            partial,
            "the response head did not end before the capture did",
        ),
    }
}

fn session(c: &Conn, ws: &Ws) -> (SessionEvidence, Option<IdleEvidence>) {
    let server = Side::Server as usize;
    let ms = |a: i64, b: i64| (b - a) as f64 / 1000.0;
    let server_fin = c.fin_us[server];
    let server_rst = c.rst_us[server];
    // When the server ended its part: its close frame, FIN or reset, whichever first.
    let server_end = [
        ws.server_close.as_ref().map(|s| s.0),
        server_fin,
        server_rst,
    ]
    .into_iter()
    .flatten()
    .min();
    let client_end = [
        ws.client_close.map(|c| c.0),
        c.fin_us[Side::Client as usize],
        c.rst_us[Side::Client as usize],
    ]
    .into_iter()
    .flatten()
    .min();
    let server_first = match (server_end, client_end) {
        (Some(s), Some(cl)) => s <= cl,
        (Some(_), None) => true,
        _ => false,
    };
    let until_end = |from: i64| ms(from, client_end.or(server_end).unwrap_or(c.last_us));

    let mut s = SessionEvidence {
        frames: ws.server_frames.clone(),
        frames_dropped: ws.server_frames_dropped,
        violations: ws.violations.clone(),
        server_pings_ms: ws.server_pings_ms.clone(),
        server_pings_dropped: ws.server_pings_dropped,
        ms: ms(ws.start_us, c.last_us),
        ..SessionEvidence::default()
    };
    s.message = match (&ws.client_message, ws.echo_us, &ws.other_reply) {
        (None, _, _) => MessageOutcome::NotTried,
        (Some((sent, _, _)), Some(echo), _) => MessageOutcome::Echoed {
            ms: ms(*sent, echo),
        },
        (Some((sent, _, _)), None, Some((at, preview, binary))) => MessageOutcome::Received {
            preview: preview.clone(),
            binary: *binary,
            ms: ms(*sent, *at),
        },
        // Unanswered because the server ended the session (or broke the protocol)
        // first; a client that simply went on or left proves no missing echo.
        (Some((sent, _, _)), None, None) if server_first || !ws.violations.is_empty() => {
            MessageOutcome::NoReply {
                waited_ms: ms(*sent, server_end.or(ws.violation_us).unwrap_or(c.last_us)),
            }
        }
        (Some(_), None, None) => MessageOutcome::NotTried,
    };
    s.ping = match (&ws.client_ping, ws.pong) {
        (None, _) => PingOutcome::NotTried,
        (Some((sent, _)), Some((at, matches))) => PingOutcome::Pong {
            ms: ms(*sent, at),
            payload_matches: matches,
        },
        (Some((sent, _)), None) => {
            let waited = until_end(*sent);
            // The session ended (either side) with the ping unanswered: no pong came.
            let ended = client_end.or(server_end).is_some_and(|e| e >= *sent);
            if waited >= ANSWER_WAIT_MS || ended {
                PingOutcome::NoPong { waited_ms: waited }
            } else {
                PingOutcome::NotTried
            }
        }
    };
    s.close = close(c, ws, server_first);
    let idle = idle_cut(c, ws, server_first, server_end);
    if idle.is_some() {
        // The cut is the finding; how it looked (1006, a close code) is its evidence.
        s.close = CloseOutcome::NotTried;
    }
    (s, idle)
}

/// The close as the probe classifies it (`CloseOutcome`, "we" being the client).
fn close(c: &Conn, ws: &Ws, server_first: bool) -> CloseOutcome {
    let server = Side::Server as usize;
    let ms = |a: i64, b: i64| (b - a) as f64 / 1000.0;
    if let Some(code) = ws.violation_code {
        return CloseOutcome::FailedByUs { code };
    }
    if server_first {
        if let Some((at, code, reason)) = &ws.server_close {
            return CloseOutcome::ByServer {
                code: *code,
                reason: reason.clone(),
                after_ms: ms(ws.start_us, *at),
            };
        }
        return match (c.rst_us[server], c.fin_us[server]) {
            (Some(at), _) => CloseOutcome::Reset {
                after_ms: ms(ws.start_us, at),
            },
            (None, Some(at)) => CloseOutcome::Eof {
                after_ms: ms(ws.start_us, at),
            },
            (None, None) => CloseOutcome::NotTried,
        };
    }
    let Some((sent, _)) = ws.client_close else {
        return CloseOutcome::NotTried;
    };
    if let Some((at, code, reason)) = &ws.server_close {
        return CloseOutcome::Clean {
            code: *code,
            reason: reason.clone(),
            ms: ms(sent, *at),
        };
    }
    let after = |at: i64| ms(ws.start_us, at);
    match (c.rst_us[server], c.fin_us[server]) {
        (Some(at), _) => CloseOutcome::Reset {
            after_ms: after(at),
        },
        (None, Some(at)) => CloseOutcome::Eof {
            after_ms: after(at),
        },
        (None, None) => {
            // Nothing at all from the server after the client's close: unanswered once
            // the client gave up (its FIN or reset) or a second passed.
            let waited = ms(sent, c.last_us);
            let client = Side::Client as usize;
            let gave_up = c.fin_us[client].or(c.rst_us[client]).is_some();
            if waited >= ANSWER_WAIT_MS || gave_up {
                CloseOutcome::NoAnswer { waited_ms: waited }
            } else {
                CloseOutcome::NotTried
            }
        }
    }
}

/// The server (or a hop before it) ended a connection that had been quiet for a while.
fn idle_cut(
    c: &Conn,
    ws: &Ws,
    server_first: bool,
    server_end: Option<i64>,
) -> Option<IdleEvidence> {
    let end = server_end.filter(|_| server_first)?;
    let quiet_ms = (end - ws.last_frame_us.max(ws.start_us)) as f64 / 1000.0;
    if quiet_ms < IDLE_CUT_MS {
        return None;
    }
    let server = Side::Server as usize;
    let (how, close_code) = match (&ws.server_close, c.rst_us[server]) {
        (Some((at, code, _)), _) if *at == end => (CutHow::CloseFrame, *code),
        (_, Some(at)) if at == end => (CutHow::Reset, None),
        _ => (CutHow::Fin, None),
    };
    Some(IdleEvidence {
        requested_s: quiet_ms / 1000.0,
        cut: Some(IdleCut {
            after_ms: quiet_ms,
            how,
            close_code,
        }),
        keepalive: None,
        messages: 0,
    })
}

fn tokens<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    values
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn ms_between(a: Option<i64>, b: Option<i64>) -> Option<f64> {
    Some((b? - a?) as f64 / 1000.0)
}
