//! The runner: plays cases against a live server, one connection per case, several at
//! once, each under a deadline. The only part of the crate that does IO.
//!
//! It behaves as Autobahn's fuzzing client does, because the verdicts depend on it: it
//! answers pings while open, answers a server Close with a Close (1000), gives the server
//! one second to answer its own Close and one more to close TCP, and when a case's kill
//! timer fires it fails the connection with 1001. Reading never waits on writing (a writer
//! task sends), so a server that echoes while we still send cannot deadlock the case.

use crate::judge::{Observation, close_now, describe};
use crate::lenient::Lenient;
use crate::model::{Case, Chop, Expect, FrameSpec, Payload, Received, Step};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::io::{ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};
use wsdoctor_core::Layer;
use wsdoctor_net::{Connector, ProbeOptions, WsIo};
use wsdoctor_proto::deflate::{self, Params as DeflateParams};
use wsdoctor_proto::frame::{Frame, OpCode};
use wsdoctor_proto::handshake::{self, ClientRequest};
use wsdoctor_proto::session::{Config, Event, ProtocolViolation, Role, Session};

/// Where the server is, and how to reach it.
#[derive(Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// Path and query, as sent in the request line.
    pub resource: String,
    /// The `Host` header value.
    pub host_header: String,
    /// The URL with secrets redacted, for reports.
    pub display: String,
    /// `wss://`.
    pub secure: bool,
    /// DNS, TCP or proxy, and TLS exactly as `wsdoctor check` opens them (its
    /// `--cacert`, `-k`, `--ca-store`, `--cert`/`--key`, `--resolve`, `--connect-to`); the
    /// cases write their own HTTP on top, because many of them are broken on purpose.
    transport: Arc<Connector>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("display", &self.display)
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Parses a `ws://` or `wss://` URL; TLS trusts the built-in Mozilla roots (what
    /// `check` does without flags).
    pub fn parse(raw: &str) -> Result<Target, String> {
        Target::parse_with(raw, ProbeOptions::default())
    }

    /// Parses a `ws://` or `wss://` URL and connects with `opts` (check's options as the
    /// binary resolved them; their `url` is replaced by this one).
    pub fn parse_with(raw: &str, mut opts: ProbeOptions) -> Result<Target, String> {
        let url = url::Url::parse(raw).map_err(|e| {
            format!("{raw:?} is not a URL ({e}); give one like ws://127.0.0.1:9001/")
        })?;
        match url.scheme() {
            "ws" | "wss" => {}
            other => {
                return Err(format!(
                    "conform needs a ws:// or wss:// URL, not {other}://; e.g. ws://127.0.0.1:9001/"
                ));
            }
        }
        let host = url
            .host_str()
            .ok_or_else(|| format!("{raw:?} has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let mut resource = url.path().to_string();
        if let Some(q) = url.query() {
            resource.push('?');
            resource.push_str(q);
        }
        let host_header = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or(&host)),
            None => url.host_str().unwrap_or(&host).to_string(),
        };
        opts.url = wsdoctor_core::url::analyze(raw, opts.show_secrets);
        let transport = Connector::new(opts)?;
        Ok(Target {
            host,
            port,
            resource,
            host_header,
            display: wsdoctor_core::redact::url(raw),
            secure: url.scheme() == "wss",
            transport: Arc::new(transport),
        })
    }
}

/// How a run behaves.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Cases at once (each on its own connection); heavy cases (over 1 MiB) run alone.
    pub concurrency: usize,
    /// Cap on any one timer of a case script (Autobahn's go up to 1000 s).
    pub max_wait: Duration,
    /// TCP connect plus opening handshake.
    pub connect_timeout: Duration,
    /// Transcript lines kept per case (the rest are counted).
    pub transcript_lines: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: 8,
            max_wait: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(5),
            transcript_lines: 40,
        }
    }
}

/// Autobahn's fuzzer timeouts: its Close answered, then TCP closed by the server.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(1);
const SERVER_DROP: Duration = Duration::from_secs(1);
/// Largest message the fuzzer accepts back (the 9.* cases echo 16 MiB).
const MAX_MESSAGE: usize = 20 << 20;
const MAX_HEAD: usize = 16 << 10;
/// Chops smaller than this are written with a 1 ms pause between them.
const PAUSED_CHOP: usize = 64;

/// One case's run: what was observed, the capped wire transcript, the time taken.
#[derive(Clone, Debug)]
pub struct CaseRun {
    pub observation: Observation,
    pub transcript: Vec<String>,
    pub ms: u64,
}

/// Why the server cannot be tested at all, with the layer whose exit code applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreachable {
    pub layer: Layer,
    pub message: String,
}

/// Connects once and completes the opening handshake, so that a dead or wrong URL is
/// reported as what it is before hundreds of cases fail alike.
pub async fn preflight(target: &Target, opts: &RunOptions) -> Result<(), Unreachable> {
    let mut transcript = Transcript::new(8);
    match timeout(opts.connect_timeout, open(target, &[], &mut transcript)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Unreachable {
            layer: Layer::Tcp,
            message: format!(
                "no WebSocket connection to {} within {} s",
                target.display,
                opts.connect_timeout.as_secs()
            ),
        }),
    }
}

/// Runs every case, `opts.concurrency` at a time; `done` is called as each finishes.
/// Results come back in the order of `cases`.
pub async fn run_all(
    target: &Target,
    cases: &[Case],
    opts: &RunOptions,
    mut done: impl FnMut(&Case, &CaseRun),
) -> Vec<CaseRun> {
    let permits = opts.concurrency.max(1);
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(permits));
    let mut set = tokio::task::JoinSet::new();
    for (i, case) in cases.iter().enumerate() {
        let (case, target, opts, sem) = (case.clone(), target.clone(), opts.clone(), sem.clone());
        let need = if case.is_heavy() { permits } else { 1 } as u32;
        set.spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _permit = sem.acquire_many(need).await.expect("semaphore open");
            (i, run_case(&target, &case, &opts).await)
        });
    }
    let mut out: Vec<Option<CaseRun>> = vec![None; cases.len()];
    while let Some(joined) = set.join_next().await {
        // A case task only panics on a bug; its slot then reports the panic.
        let (i, run) = joined.unwrap_or_else(|e| {
            panic!("a conformance case task panicked: {e}");
        });
        done(&cases[i], &run);
        out[i] = Some(run);
    }
    // Every index was spawned once and joined once.
    out.into_iter()
        .map(|r| r.expect("every case ran"))
        .collect()
}

/// Runs one case on a fresh connection.
pub async fn run_case(target: &Target, case: &Case, opts: &RunOptions) -> CaseRun {
    let started = Instant::now();
    let mut transcript = Transcript::new(opts.transcript_lines);
    let mut obs = Observation::default();
    if let Some(crate::model::Probe::Handshake(p)) = &case.probe {
        let answer = run_handshake(target, p, opts, &mut transcript).await;
        if let crate::probe::Answer::Silent { why, .. } = &answer {
            transcript.push(format!("* {why}"));
        }
        obs.answer = Some(answer);
        return CaseRun {
            observation: obs,
            transcript: transcript.finish(),
            ms: started.elapsed().as_millis() as u64,
        };
    }
    if let Some(crate::model::Probe::Hostile(p)) = &case.probe {
        obs.hostile = Some(run_hostile(target, p, opts, &mut transcript).await);
        return CaseRun {
            observation: obs,
            transcript: transcript.finish(),
            ms: started.elapsed().as_millis() as u64,
        };
    }
    let offers = case.deflate.as_ref().map_or(&[][..], |d| &d.offers[..]);
    match timeout(opts.connect_timeout, open(target, offers, &mut transcript)).await {
        Ok(Ok((stream, leftover, resp))) => match negotiate(case, &resp) {
            Ok(deflate) => {
                obs.opened = true;
                let conn = Conn::new(case, opts, stream, leftover, transcript, deflate);
                let (o, t) = conn.play().await;
                obs = o;
                transcript = t;
            }
            Err(e) => obs.handshake_error = Some(e),
        },
        Ok(Err(e)) => obs.handshake_error = Some(e.message),
        Err(_) => {
            obs.handshake_error = Some("no opening handshake within the connect timeout".into())
        }
    }
    CaseRun {
        observation: obs,
        transcript: transcript.finish(),
        ms: started.elapsed().as_millis() as u64,
    }
}

/// How long a category-0 case waits for the answer to its request, and for the echo.
const ANSWER_WAIT: Duration = Duration::from_secs(3);

/// Category 0: sends the raw request and records the answer (and, after a valid 101,
/// whether a message is echoed).
async fn run_handshake(
    target: &Target,
    p: &crate::probe::HandshakeProbe,
    opts: &RunOptions,
    t: &mut Transcript,
) -> crate::probe::Answer {
    use crate::probe::Answer;
    let silent = |why: String, timed_out: bool| Answer::Silent { why, timed_out };
    let mut stream = match timeout(opts.connect_timeout, connect(target)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return silent(e.message, false),
        Err(_) => return silent("TCP connect timed out".into(), true),
    };
    let key = handshake::key_from_bytes(rand::random());
    let key2 = handshake::key_from_bytes(rand::random());
    // The path may carry a token: the transcript shows it without its query.
    let shown_path = match target.resource.split_once('?') {
        Some((path, _)) => format!("{path}?…"),
        None => target.resource.clone(),
    };
    let fill = |path: &str| {
        p.request
            .replace("{path}", path)
            .replace("{host}", &target.host_header)
            .replace("{key2}", &key2)
            .replace("{key}", &key)
    };
    for line in fill(&shown_path).split_inclusive('\n') {
        let shown: String = line
            .trim_end_matches(['\r', '\n'])
            .chars()
            .take(120)
            .map(|c| if c.is_control() { '·' } else { c })
            .collect();
        t.push(format!("> {shown}"));
    }
    if send(&mut stream, fill(&target.resource).as_bytes())
        .await
        .is_err()
    {
        return silent(
            "the server closed the connection while the request was sent".into(),
            false,
        );
    }
    let deadline = Instant::now() + ANSWER_WAIT;
    let mut buf = Vec::with_capacity(1024);
    let resp = loop {
        let mut chunk = [0u8; 2048];
        let n = match timeout(deadline - Instant::now(), stream.read(&mut chunk)).await {
            Err(_) => {
                return silent(format!("nothing within {} s", ANSWER_WAIT.as_secs()), true);
            }
            Ok(Err(e)) => return silent(format!("the connection failed: {e}"), false),
            Ok(Ok(0)) => return silent("the server closed the connection".into(), false),
            Ok(Ok(n)) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        match handshake::parse_response(&buf, MAX_HEAD) {
            Ok(Some(resp)) => break resp,
            Ok(None) => continue,
            Err(e) => return silent(format!("the answer is not an HTTP response: {e}"), false),
        }
    };
    t.push(format!(
        "< HTTP/1.{} {} {}",
        resp.version, resp.status, resp.reason
    ));
    for name in [
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions",
    ] {
        for v in resp.headers_named(name) {
            t.push(format!("< {name}: {v}"));
        }
    }
    let versions = resp
        .headers_named("Sec-WebSocket-Version")
        .map(String::from)
        .collect();
    if resp.status != 101 {
        return Answer::Response {
            status: resp.status,
            versions,
            problems: Vec::new(),
            accepted_declined: None,
            echoed: None,
        };
    }
    let req = ClientRequest {
        key,
        protocols: p
            .protocols
            .iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        extensions: p.extensions.clone(),
        ..ClientRequest::default()
    };
    let problems = handshake::response_problems(&resp, &req);
    let accepted_declined = resp
        .headers_named("Sec-WebSocket-Extensions")
        .flat_map(handshake::parse_extensions)
        .find(|e| p.declined.iter().any(|d| d.eq_ignore_ascii_case(&e.name)))
        .map(|e| e.name);
    // A server that agreed to permessage-deflate may compress its echo (RFC 7692 §6).
    let deflated = resp
        .headers_named("Sec-WebSocket-Extensions")
        .flat_map(handshake::parse_extensions)
        .any(|e| e.name.eq_ignore_ascii_case("permessage-deflate"));
    let echoed = if problems.is_empty() && accepted_declined.is_none() {
        let ok = echo_once(&mut stream, buf.split_off(resp.head_len), deflated, t).await;
        Some(ok)
    } else {
        None
    };
    Answer::Response {
        status: 101,
        versions,
        problems,
        accepted_declined,
        echoed,
    }
}

/// Category 14: plays the attack (its writes capped by `hostile::ATTACK_WAIT`), then,
/// with the attacking connections still held, checks that a fresh connection opens and
/// echoes within `hostile::FRESH_WAIT`.
async fn run_hostile(
    target: &Target,
    p: &crate::hostile::HostileProbe,
    opts: &RunOptions,
    t: &mut Transcript,
) -> crate::hostile::Outcome {
    use crate::hostile::{ATTACK_WAIT, Attack, FRESH_WAIT, Outcome};
    let mut out = Outcome::default();
    let mut held: Vec<WsIo> = Vec::new();
    let started = Instant::now();
    // Writes what the server takes within the attack's time; returns the bytes written.
    async fn pour(stream: &mut WsIo, bytes: &[u8], until: Instant) -> (usize, &'static str) {
        let mut sent = 0;
        for chunk in bytes.chunks(16 << 10) {
            match timeout(
                until.saturating_duration_since(Instant::now()),
                send(stream, chunk),
            )
            .await
            {
                Ok(Ok(())) => sent += chunk.len(),
                Ok(Err(_)) => return (sent, "the server closed the connection"),
                Err(_) => return (sent, "the server stopped reading"),
            }
        }
        (sent, "all written")
    }
    let until = Instant::now() + ATTACK_WAIT;
    match &p.attack {
        Attack::Frames(bytes) | Attack::Raw(bytes) => {
            let raw = matches!(p.attack, Attack::Raw(_));
            let stream = if raw {
                timeout(opts.connect_timeout, connect(target)).await
            } else {
                timeout(opts.connect_timeout, async {
                    open(target, &[], t).await.map(|(s, _, _)| s)
                })
                .await
            };
            match stream {
                Ok(Ok(mut s)) => {
                    let bytes = bytes();
                    t.push(format!("> {} attack bytes", bytes.len()));
                    let (sent, how) = pour(&mut s, &bytes, until).await;
                    out.attack = format!("wrote {sent} of {} bytes ({how})", bytes.len());
                    held.push(s);
                }
                Ok(Err(e)) => out.attack = format!("the attack could not connect: {}", e.message),
                Err(_) => out.attack = "the attack could not connect in time".into(),
            }
        }
        Attack::DeflateBomb(len) => {
            let offers = ["permessage-deflate".to_string()];
            match timeout(opts.connect_timeout, open(target, &offers, t)).await {
                Ok(Ok((mut s, _, resp))) => {
                    let agreed = resp
                        .headers_named("Sec-WebSocket-Extensions")
                        .flat_map(handshake::parse_extensions)
                        .any(|e| e.name.eq_ignore_ascii_case("permessage-deflate"));
                    if !agreed {
                        out.unimplemented = true;
                        out.attack = "permessage-deflate not agreed".into();
                        return out;
                    }
                    let packed = deflate::compress_message(&vec![0u8; *len]).unwrap_or_default();
                    let mut frame = Vec::new();
                    Frame::new(OpCode::Text, packed.clone())
                        .with_rsv(true, false, false)
                        .with_mask(Some(rand::random()))
                        .encode(&mut frame);
                    t.push(format!(
                        "> text rsv1 ({} bytes inflating to {len})",
                        packed.len()
                    ));
                    let (sent, how) = pour(&mut s, &frame, until).await;
                    out.attack =
                        format!("wrote {sent} compressed bytes inflating to {len} ({how})");
                    held.push(s);
                }
                Ok(Err(e)) => out.attack = format!("the attack could not connect: {}", e.message),
                Err(_) => out.attack = "the attack could not connect in time".into(),
            }
        }
        Attack::Slowloris(n) | Attack::ConnectionFlood(n) | Attack::CloseStorm(n) => {
            let mut opened = 0;
            for _ in 0..*n {
                if Instant::now() >= until {
                    break;
                }
                let left = until.saturating_duration_since(Instant::now());
                let one = async {
                    match &p.attack {
                        Attack::Slowloris(_) => {
                            let mut s = connect(target).await.ok()?;
                            send(&mut s, b"GET / HTTP/1.1\r\nHost: wsdoctor.invalid\r\n")
                                .await
                                .ok()?;
                            Some(Some(s))
                        }
                        Attack::ConnectionFlood(_) => {
                            let mut quiet = Transcript::new(0);
                            open(target, &[], &mut quiet)
                                .await
                                .ok()
                                .map(|(s, _, _)| Some(s))
                        }
                        _ => {
                            let mut quiet = Transcript::new(0);
                            let (mut s, _, _) = open(target, &[], &mut quiet).await.ok()?;
                            let mut close = Vec::new();
                            encode(
                                &FrameSpec::new(0x8, &[0x03, 0xe8][..]),
                                rand::random(),
                                &mut close,
                            );
                            send(&mut s, &close).await.ok()?;
                            Some(None)
                        }
                    }
                };
                match timeout(left, one).await {
                    Ok(Some(s)) => {
                        opened += 1;
                        held.extend(s);
                    }
                    _ => break,
                }
            }
            out.attack = format!("{opened} of {n} connections made");
        }
    }
    t.push(format!(
        "* attack: {} in {} ms",
        out.attack,
        started.elapsed().as_millis()
    ));
    // The fresh connection, with the attack's connections still open.
    let fresh = timeout(FRESH_WAIT, async {
        match open(target, &[], t).await {
            Ok((mut s, leftover, _)) => Ok(echo_once(&mut s, leftover, false, t).await),
            Err(e) => Err(e.message),
        }
    })
    .await;
    match fresh {
        Ok(Ok(echoed)) => {
            out.fresh_opened = true;
            out.fresh_echoed = echoed;
            if !echoed {
                out.fresh_error = Some("no echo".into());
            }
        }
        Ok(Err(e)) => out.fresh_error = Some(e),
        Err(_) => out.fresh_error = Some(format!("nothing within {} s", FRESH_WAIT.as_secs())),
    }
    drop(held);
    out
}

/// After a 101: one masked text message out; true when the same text comes back.
async fn echo_once(
    stream: &mut WsIo,
    mut buf: Vec<u8>,
    deflated: bool,
    t: &mut Transcript,
) -> bool {
    const HELLO: &str = "wsdoctor conform";
    let mut out = Vec::new();
    encode(&FrameSpec::new(0x1, HELLO), rand::random(), &mut out);
    t.push(format!(
        "> text {}",
        crate::judge::preview(HELLO.as_bytes())
    ));
    if send(stream, &out).await.is_err() {
        t.push("* the connection failed on sending".into());
        return false;
    }
    let deadline = Instant::now() + ANSWER_WAIT;
    let mut decoder = wsdoctor_proto::frame::FrameDecoder::new(1 << 16);
    loop {
        match decoder.decode(&buf) {
            Ok(Some((frame, used))) => {
                buf.drain(..used);
                let payload = if deflated && frame.header.rsv1 {
                    deflate::decompress_message(&frame.payload, 1 << 16).unwrap_or_default()
                } else {
                    frame.payload.clone()
                };
                match frame.header.opcode {
                    OpCode::Ping | OpCode::Pong => continue,
                    OpCode::Text if payload == HELLO.as_bytes() => {
                        t.push(format!("< text {}", crate::judge::preview(&frame.payload)));
                        let mut close = Vec::new();
                        encode(
                            &FrameSpec::new(0x8, &[0x03, 0xe8][..]),
                            rand::random(),
                            &mut close,
                        );
                        let _ = send(stream, &close).await;
                        return true;
                    }
                    other => {
                        t.push(format!(
                            "< {} {}",
                            opcode_name(other.as_u8()),
                            crate::judge::preview(&frame.payload)
                        ));
                        return false;
                    }
                }
            }
            Ok(None) => {}
            Err(e) => {
                t.push(format!("* not a WebSocket frame: {e}"));
                return false;
            }
        }
        let mut chunk = [0u8; 4096];
        match timeout(deadline - Instant::now(), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            Ok(_) => {
                t.push("* the server closed the connection".into());
                return false;
            }
            Err(_) => {
                t.push(format!("* no echo within {} s", ANSWER_WAIT.as_secs()));
                return false;
            }
        }
    }
}

/// The permessage-deflate parameters the server agreed to, if the case offers any.
fn negotiate(case: &Case, resp: &handshake::Response) -> Result<Option<DeflateParams>, String> {
    let Some(d) = &case.deflate else {
        return Ok(None);
    };
    deflate::accept_response(&d.allowed, resp.headers_named("Sec-WebSocket-Extensions"))
        .map_err(|e| format!("the server's permessage-deflate answer is invalid: {e}"))
}

/// TCP connect and opening handshake (offering `extensions`); returns the stream, any
/// bytes after the head, and the response head.
async fn open(
    target: &Target,
    extensions: &[String],
    t: &mut Transcript,
) -> Result<(WsIo, Vec<u8>, handshake::Response), Unreachable> {
    let mut stream = connect(target).await?;
    let req = ClientRequest {
        path: target.resource.clone(),
        host: target.host_header.clone(),
        key: handshake::key_from_bytes(rand::random()),
        extensions: extensions.to_vec(),
        ..ClientRequest::default()
    };
    t.push(format!(
        "> GET {} HTTP/1.1 (Upgrade: websocket, version 13)",
        target.resource
    ));
    let http = |message: String| Unreachable {
        layer: Layer::Http,
        message,
    };
    send(&mut stream, &req.to_bytes())
        .await
        .map_err(|e| http(format!("sending the Upgrade request failed: {e}")))?;
    let mut buf = Vec::with_capacity(1024);
    let resp = loop {
        let mut chunk = [0u8; 2048];
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| http(format!("reading the Upgrade response failed: {e}")))?;
        if n == 0 {
            return Err(http(
                "the server closed the connection before answering the Upgrade".into(),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        match handshake::parse_response(&buf, MAX_HEAD) {
            Ok(Some(resp)) => break resp,
            Ok(None) => continue,
            Err(e) => return Err(http(format!("the Upgrade response is unusable: {e}"))),
        }
    };
    t.push(format!(
        "< HTTP/1.{} {} {}",
        resp.version, resp.status, resp.reason
    ));
    let problems = handshake::response_problems(&resp, &req);
    if let Some(first) = problems.first() {
        let layer = if resp.status == 101 {
            Layer::Handshake
        } else {
            Layer::Http
        };
        let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(Unreachable {
            layer,
            message: format!(
                "the opening handshake failed: {}",
                if all.len() > 1 {
                    all.join("; ")
                } else {
                    first.to_string()
                }
            ),
        });
    }
    if let Some(ext) = resp.header("Sec-WebSocket-Extensions") {
        t.push(format!("< Sec-WebSocket-Extensions: {ext}"));
    }
    let rest = buf.split_off(resp.head_len);
    Ok((stream, rest, resp))
}

/// Writes all of `bytes` and flushes: TLS may keep the end of a record buffered when
/// the socket is full (a no-op on plain TCP).
async fn send(stream: &mut WsIo, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// The longest the transport may take inside wsdoctor-net; every caller also holds it
/// to `RunOptions::connect_timeout`.
const TRANSPORT_CAP: Duration = Duration::from_secs(30);

/// DNS, TCP (or the proxy) and, for `wss://`, TLS: `check`'s own code, so a failure is
/// named by `check`'s catalog id and exits with its layer's code.
async fn connect(target: &Target) -> Result<WsIo, Unreachable> {
    target
        .transport
        .open_stream(Instant::now() + TRANSPORT_CAP)
        .await
        .map_err(|failure| {
            let cause = failure.cause();
            Unreachable {
                layer: cause.layer(),
                message: format!("{} ({})", cause.cause().title, cause.as_str()),
            }
        })
}

/// What the writer task sends.
enum Write {
    Bytes(Vec<u8>),
    /// Written in pieces of at most `n` bytes, each flushed on its own.
    Chopped(Vec<u8>, usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Closing,
    Closed,
}

/// One case's connection after the handshake.
struct Conn<'a> {
    case: &'a Case,
    opts: &'a RunOptions,
    read: ReadHalf<WsIo>,
    tx: Option<mpsc::UnboundedSender<Write>>,
    writer: tokio::task::JoinHandle<()>,
    session: Session,
    lenient: Lenient,
    /// The fuzzer has failed the connection: messages are no longer taken (control frames
    /// still are), as in Autobahn.
    failed_by_me: bool,
    /// Compression cases: where the next message starts in the corpus, and the message
    /// whose echo is awaited.
    corpus_at: usize,
    expected_echo: Vec<u8>,
    state: State,
    obs: Observation,
    t: Transcript,
    /// The frame opened by `Step::FrameStart`: its mask and payload bytes sent so far.
    open_frame: Option<([u8; 4], u64)>,
    next_step: usize,
    script_done: bool,
    resume_at: Option<Instant>,
    resume_tag: Option<&'static str>,
    kill_at: Option<Instant>,
    close_at: Option<Instant>,
    handshake_deadline: Option<Instant>,
    drop_deadline: Option<Instant>,
    hard_deadline: Instant,
    /// Echo-counting cases: the case's own time limit, uncapped (see `progress`).
    echo_limit: Option<Instant>,
    leftover: Vec<u8>,
}

impl<'a> Conn<'a> {
    fn new(
        case: &'a Case,
        opts: &'a RunOptions,
        stream: WsIo,
        leftover: Vec<u8>,
        t: Transcript,
        deflate: Option<DeflateParams>,
    ) -> Self {
        let (read, mut write): (_, WriteHalf<WsIo>) = tokio::io::split(stream);
        let (tx, mut rx) = mpsc::unbounded_channel::<Write>();
        let writer = tokio::spawn(async move {
            while let Some(w) = rx.recv().await {
                let ok = match w {
                    // A flush after each write: TLS may keep the end of a record
                    // buffered when the socket is full (a no-op on plain TCP).
                    Write::Bytes(b) => {
                        write.write_all(&b).await.is_ok() && write.flush().await.is_ok()
                    }
                    Write::Chopped(b, n) => {
                        let mut ok = true;
                        for piece in b.chunks(n.max(1)) {
                            if write.write_all(piece).await.is_err() || write.flush().await.is_err()
                            {
                                ok = false;
                                break;
                            }
                            // Autobahn writes each chop from its own reactor turn, so a
                            // server gets to act between bytes (its echo of a valid frame
                            // leaves before the next frame is complete). Octet-wise chops
                            // get a real pause for that; large ones only yield, or 9.5.*
                            // (16 384 chops) would take seconds.
                            if n < PAUSED_CHOP {
                                tokio::time::sleep(Duration::from_millis(1)).await;
                            } else {
                                tokio::task::yield_now().await;
                            }
                        }
                        ok
                    }
                };
                if !ok {
                    return;
                }
            }
        });
        let cap = |ms: u64| Duration::from_millis(ms).min(opts.max_wait);
        let scripted: Duration = case
            .script
            .iter()
            .map(|s| match s {
                Step::Wait { ms, .. } | Step::KillAfter(ms) | Step::CloseAfter(ms) => cap(*ms),
                _ => Duration::ZERO,
            })
            .sum();
        let mut cfg = Config::new(Role::Client);
        cfg.max_message = MAX_MESSAGE;
        cfg.max_frame = MAX_MESSAGE;
        cfg.deflate = deflate;
        Conn {
            case,
            opts,
            read,
            tx: Some(tx),
            writer,
            session: Session::new(cfg),
            lenient: Lenient::new(deflate.is_some()),
            failed_by_me: false,
            corpus_at: 0,
            expected_echo: Vec::new(),
            state: State::Open,
            obs: Observation {
                opened: true,
                deflate: deflate.is_some(),
                ..Observation::default()
            },
            t,
            open_frame: None,
            next_step: 0,
            script_done: false,
            resume_at: None,
            resume_tag: None,
            kill_at: None,
            close_at: None,
            handshake_deadline: None,
            drop_deadline: None,
            hard_deadline: Instant::now()
                + scripted
                + CLOSE_HANDSHAKE
                + SERVER_DROP
                + Duration::from_secs(2),
            echo_limit: None,
            leftover,
        }
    }

    async fn play(mut self) -> (Observation, Transcript) {
        if self.case.deflate.is_some() && !self.obs.deflate {
            // Autobahn: nothing to test without compression; close at once.
            self.t
                .push("* permessage-deflate not agreed: the case is UNIMPLEMENTED".into());
            self.script_done = true;
            self.send_close(Some(1000), &[]);
        }
        self.advance_script();
        let leftover = std::mem::take(&mut self.leftover);
        if !leftover.is_empty() {
            self.feed(&leftover);
        }
        let mut buf = vec![0u8; 64 << 10];
        while self.state != State::Closed {
            let wake = self.next_timer();
            tokio::select! {
                r = self.read.read(&mut buf) => match r {
                    Ok(0) => self.lost("* the server closed TCP"),
                    Ok(n) => {
                        let data = buf[..n].to_vec();
                        self.feed(&data);
                    }
                    Err(e) => self.lost(&format!("* TCP error: {e}")),
                },
                _ = sleep_until(wake) => self.timers(),
            }
        }
        self.tx = None;
        self.writer.abort();
        (self.obs, self.t)
    }

    fn next_timer(&self) -> Instant {
        [
            self.resume_at,
            self.kill_at,
            self.close_at,
            self.handshake_deadline,
            self.drop_deadline,
            Some(self.hard_deadline),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(self.hard_deadline)
    }

    fn timers(&mut self) {
        let now = Instant::now();
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if now >= self.hard_deadline {
            self.obs.deadline_hit = true;
            self.t
                .push("* case deadline passed: the fuzzer drops TCP".into());
            self.drop_tcp();
            return;
        }
        if due(self.handshake_deadline) {
            self.handshake_deadline = None;
            self.obs.clean = false;
            self.t
                .push("* no Close in answer within 1 s: the fuzzer drops TCP".into());
            self.drop_tcp();
            return;
        }
        if due(self.drop_deadline) {
            self.drop_deadline = None;
            self.obs.clean = false;
            self.t
                .push("* the server did not close TCP within 1 s: the fuzzer drops it".into());
            self.drop_tcp();
            return;
        }
        if due(self.kill_at) {
            self.kill_at = None;
            self.t
                .push("* kill timer: the fuzzer fails the connection".into());
            self.fail(1001);
        }
        if due(self.close_at) {
            self.close_at = None;
            self.t
                .push("* close timer: the fuzzer starts the closing handshake".into());
            self.send_close(None, &[]);
        }
        if due(self.resume_at) {
            self.resume_at = None;
            let tag = self.resume_tag.take();
            match (self.state, tag) {
                (State::Closed, _) => {}
                (State::Open, Some(tag)) => {
                    self.obs.received.push(Received::Timeout(tag));
                    self.t
                        .push(format!("* wait {tag} passed with the connection open"));
                    self.advance_script();
                }
                (_, Some(_)) => self.script_done = true,
                (_, None) => self.advance_script(),
            }
        }
    }

    /// Runs script steps until a wait or the end.
    fn advance_script(&mut self) {
        while !self.script_done && self.state != State::Closed {
            let Some(step) = self.case.script.get(self.next_step) else {
                self.script_done = true;
                return;
            };
            self.next_step += 1;
            let cap = |ms: u64| Duration::from_millis(ms).min(self.opts.max_wait);
            match step {
                Step::Wait { ms, tag } => {
                    self.resume_at = Some(Instant::now() + cap(*ms));
                    self.resume_tag = *tag;
                    return;
                }
                Step::KillAfter(ms) => self.kill_at = Some(Instant::now() + cap(*ms)),
                Step::CloseAfter(ms) => {
                    self.close_at = Some(Instant::now() + cap(*ms));
                    if self.counts_echoes() {
                        self.echo_limit = Some(Instant::now() + Duration::from_millis(*ms));
                    }
                }
                Step::Close { code, reason } => self.send_close(*code, reason),
                other => self.send_step(other),
            }
        }
    }

    /// Sends a frame, message or frame part.
    fn send_step(&mut self, step: &Step) {
        match step {
            Step::Frame(spec, chop) => {
                let mut out = Vec::new();
                self.note_frame(spec.opcode, spec.fin, spec.rsv, &spec.payload);
                encode(spec, rand::random(), &mut out);
                self.write(out, *chop);
            }
            Step::Message {
                binary,
                payload,
                fragment,
                chop,
            } => {
                let data = payload.to_vec();
                let size = fragment.unwrap_or(data.len()).max(1);
                let pieces = fragments(&data, size);
                let first = if *binary { 0x2 } else { 0x1 };
                let mut out = Vec::with_capacity(data.len() + pieces.len() * 14);
                let last = pieces.len() - 1;
                if pieces.len() > 1 {
                    self.t.push(format!(
                        "> {} message of {} bytes in {} fragments of {size}",
                        if *binary { "binary" } else { "text" },
                        data.len(),
                        pieces.len()
                    ));
                }
                for (i, p) in pieces.iter().enumerate() {
                    let opcode = if i == 0 { first } else { 0x0 };
                    let spec = FrameSpec::new(opcode, Payload::Bytes(p.to_vec())).fin(i == last);
                    if pieces.len() == 1 {
                        self.note_frame(opcode, i == last, 0, &spec.payload);
                    }
                    encode(&spec, rand::random(), &mut out);
                }
                self.write(out, *chop);
            }
            Step::FrameStart { opcode, len, data } => {
                let mask: [u8; 4] = rand::random();
                let mut frame = Frame::new(OpCode::from_u8(*opcode), Vec::new())
                    .with_fin(false)
                    .with_mask(Some(mask));
                frame.header.payload_len = *len;
                let mut out = Vec::new();
                frame.header.encode(&mut out);
                self.t.push(format!(
                    "> {} fin=0 len={len} (header and first {} bytes)",
                    opcode_name(*opcode),
                    data.len()
                ));
                self.open_frame = Some((mask, 0));
                self.frame_data(data, &mut out);
                self.write(out, Chop::Sync);
            }
            Step::FrameData(data) => {
                let mut out = Vec::new();
                self.t.push(format!(
                    "> {} more payload bytes of the open frame",
                    data.len()
                ));
                self.frame_data(data, &mut out);
                self.write(out, Chop::Sync);
            }
            Step::Deflated { fragment } => self.send_deflated(*fragment),
            Step::Close { .. } | Step::Wait { .. } | Step::KillAfter(_) | Step::CloseAfter(_) => {}
        }
    }

    /// The next message of a compression case, compressed by the session's compressor
    /// and cut into frames of `fragment` bytes (only the first carries RSV1).
    fn send_deflated(&mut self, fragment: usize) {
        let Expect::Deflated { corpus, len, .. } = self.case.expect else {
            return;
        };
        let data = corpus.bytes();
        let msg = next_slice(data, &mut self.corpus_at, len);
        let mut whole = Vec::with_capacity(msg.len() / 2 + 16);
        match std::str::from_utf8(&msg) {
            Ok(text) if !corpus.binary => self.session.encode_text(text, None, &mut whole),
            _ => self.session.encode_binary(&msg, None, &mut whole),
        }
        self.expected_echo = msg;
        // The session wrote one unmasked frame: re-cut its payload as Autobahn does.
        let Ok(Some((header, header_len))) = wsdoctor_proto::frame::decode_header(&whole) else {
            return;
        };
        let payload = &whole[header_len..];
        let pieces = fragments(
            payload,
            if fragment == 0 {
                payload.len().max(1)
            } else {
                fragment
            },
        );
        let last = pieces.len() - 1;
        let mut out = Vec::with_capacity(whole.len() + pieces.len() * 14);
        for (i, p) in pieces.iter().enumerate() {
            let opcode = if i == 0 { header.opcode.as_u8() } else { 0x0 };
            let rsv = if i == 0 && header.rsv1 { 4 } else { 0 };
            let spec = FrameSpec::new(opcode, Payload::Bytes(p.to_vec()))
                .fin(i == last)
                .rsv(rsv);
            encode(&spec, rand::random(), &mut out);
        }
        if self.obs.echoed == 0 {
            self.t.push(format!(
                "> compressed {} message of {len} bytes as {} bytes in {} frame(s)",
                if corpus.binary { "binary" } else { "text" },
                payload.len(),
                pieces.len()
            ));
        }
        self.write(out, Chop::Whole);
    }

    fn frame_data(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let (mask, offset) = self.open_frame.unwrap_or(([0; 4], 0));
        let start = out.len();
        out.extend_from_slice(data);
        wsdoctor_proto::frame::apply_mask(&mut out[start..], mask, offset);
        self.open_frame = Some((mask, offset + data.len() as u64));
    }

    fn note_frame(&mut self, opcode: u8, fin: bool, rsv: u8, payload: &Payload) {
        let shown = match payload {
            Payload::Bytes(b) => crate::judge::preview(b),
            Payload::Repeat { len, .. } => format!("({len} bytes)"),
        };
        let rsv = if rsv != 0 {
            format!(" rsv={rsv}")
        } else {
            String::new()
        };
        self.t.push(format!(
            "> {} fin={}{rsv} {shown}",
            opcode_name(opcode),
            fin as u8
        ));
    }

    fn write(&mut self, bytes: Vec<u8>, chop: Chop) {
        let Some(tx) = &self.tx else { return };
        let w = match chop {
            Chop::Whole | Chop::Sync => Write::Bytes(bytes),
            Chop::Bytes(n) => Write::Chopped(bytes, n),
        };
        // The writer ends only when the socket failed; reading will report that.
        let _ = tx.send(w);
    }

    /// Autobahn's `sendCloseFrame` (not as a reply): only while open.
    fn send_close(&mut self, code: Option<u16>, reason: &[u8]) {
        if self.state != State::Open {
            return;
        }
        self.write_close(code, reason);
        self.state = State::Closing;
        self.obs.closed_by_fuzzer = true;
        self.handshake_deadline = Some(Instant::now() + CLOSE_HANDSHAKE);
    }

    fn write_close(&mut self, code: Option<u16>, reason: &[u8]) {
        let mut payload = Vec::new();
        if let Some(code) = code {
            payload.extend_from_slice(&code.to_be_bytes());
        }
        payload.extend_from_slice(reason);
        let what = match code {
            Some(c) => format!("close {c}"),
            None => "close (no code)".into(),
        };
        self.t
            .push(format!("> {what} {}", crate::judge::preview(reason)));
        let mut out = Vec::new();
        encode(
            &FrameSpec::new(0x8, Payload::Bytes(payload)),
            rand::random(),
            &mut out,
        );
        self.write(out, Chop::Whole);
    }

    /// Autobahn's `failConnection`: a Close while open, a drop while closing.
    fn fail(&mut self, code: u16) {
        if self.state != State::Closed {
            self.failed_by_me = true;
        }
        match self.state {
            State::Open => {
                let reason: &[u8] = if code == 1001 { b"Going Away" } else { b"" };
                self.send_close(Some(code), reason)
            }
            State::Closing => self.drop_tcp(),
            State::Closed => {}
        }
    }

    fn drop_tcp(&mut self) {
        if self.state != State::Closed {
            self.obs.dropped_by_fuzzer = true;
            self.state = State::Closed;
        }
    }

    fn lost(&mut self, why: &str) {
        self.t.push(why.to_string());
        self.state = State::Closed;
    }

    fn feed(&mut self, data: &[u8]) {
        let mut clean = Vec::with_capacity(data.len());
        let found = self.lenient.filter(data, &mut clean);
        let mut from = 0;
        for (at, v) in found {
            self.feed_clean(&clean[from..at]);
            from = at;
            if self.state == State::Closed {
                return;
            }
            self.violation(v);
        }
        self.feed_clean(&clean[from..]);
    }

    fn feed_clean(&mut self, data: &[u8]) {
        self.session.feed(data);
        while let Some(ev) = self.session.poll_event() {
            if self.state == State::Closed {
                return;
            }
            self.event(ev);
        }
    }

    /// The server broke RFC 6455: fail the connection (the first violation is kept).
    fn violation(&mut self, v: ProtocolViolation) {
        self.t.push(format!("* the server broke RFC 6455: {v}"));
        if let ProtocolViolation::InvalidCloseCode(c) = v {
            self.obs.server_close = Some(Some(c));
        }
        let code = v.close_code();
        self.obs.violation.get_or_insert(v);
        self.fail(code);
    }

    fn event(&mut self, ev: Event) {
        match ev {
            Event::FrameSeen(h) => {
                if !matches!(
                    h.opcode,
                    OpCode::Text | OpCode::Binary | OpCode::Continuation
                ) || self.case_is_small()
                {
                    self.t.push(format!(
                        "< {} fin={} len={}",
                        opcode_name(h.opcode.as_u8()),
                        h.fin as u8,
                        h.payload_len
                    ));
                }
            }
            Event::Text(s) => self.message(false, s.into_bytes()),
            Event::Binary(b) => self.message(true, b),
            Event::Ping(p) => {
                if self.state == State::Open {
                    let mut out = Vec::new();
                    encode(
                        &FrameSpec::new(0xA, Payload::Bytes(p)),
                        rand::random(),
                        &mut out,
                    );
                    self.write(out, Chop::Whole);
                }
            }
            Event::Pong(p) => {
                self.record(Received::Pong(p));
            }
            Event::Close { code, reason } => {
                self.t.push(format!(
                    "< close {} {}",
                    code.map_or("(no code)".to_string(), |c| c.to_string()),
                    crate::judge::preview(reason.as_bytes())
                ));
                self.obs.server_close = Some(code);
                self.obs.server_close_reason = reason;
                self.server_close();
            }
            Event::Violation(v) => self.violation(v),
        }
    }

    fn case_is_small(&self) -> bool {
        !self.counts_echoes()
    }

    /// Echo-counting cases (9.*, 12.*, 13.*).
    fn counts_echoes(&self) -> bool {
        matches!(
            self.case.expect,
            Expect::Echo { .. } | Expect::Deflated { .. }
        )
    }

    /// Echo-counting cases run as long as Autobahn allows (up to 480 s) while the server
    /// keeps answering: each echo moves the close timer to `max_wait` from now, never past
    /// the case's own limit. A server that stops answering is given up after `max_wait`.
    fn progress(&mut self) {
        let Some(limit) = self.echo_limit else {
            return;
        };
        let next = (Instant::now() + self.opts.max_wait).min(limit);
        if self.close_at.is_some() {
            self.close_at = Some(next);
        }
        self.hard_deadline = self
            .hard_deadline
            .max(next + CLOSE_HANDSHAKE + SERVER_DROP + Duration::from_secs(2));
    }

    /// The server's Close: answer it while open; the handshake is complete while closing.
    fn server_close(&mut self) {
        self.obs.clean = true;
        match self.state {
            State::Open => {
                self.write_close(Some(1000), &[]);
                self.state = State::Closing;
            }
            State::Closing => {
                self.handshake_deadline = None;
                self.drop_deadline = Some(Instant::now() + SERVER_DROP);
            }
            State::Closed => {}
        }
    }

    fn message(&mut self, binary: bool, data: Vec<u8>) {
        if let Expect::Deflated { corpus, rounds, .. } = self.case.expect
            && !self.failed_by_me
        {
            if binary != corpus.binary || data != self.expected_echo {
                self.obs.echo_mismatch = Some(echo_difference(
                    corpus.binary,
                    &self.expected_echo,
                    binary,
                    &data,
                ));
                self.send_close(Some(1000), &[]);
            } else {
                self.obs.echoed += 1;
                self.progress();
                if self.obs.echoed < rounds {
                    self.resend();
                } else {
                    self.t
                        .push(format!("< {} echoes, all equal", self.obs.echoed));
                    self.send_close(Some(1000), &[]);
                }
            }
            return;
        }
        if self.failed_by_me {
            self.t.push(format!(
                "< a {}-byte message after the fuzzer failed the connection (not taken)",
                data.len()
            ));
            return;
        }
        if let Expect::Echo {
            binary: want_binary,
            len,
            rounds,
        } = self.case.expect
        {
            if binary != want_binary || data.len() != len {
                self.obs.echo_mismatch = Some(format!(
                    "Expected a {} message of {len} bytes, received a {} message of {} bytes.",
                    if want_binary { "binary" } else { "text" },
                    if binary { "binary" } else { "text" },
                    data.len()
                ));
                self.send_close(Some(1000), &[]);
            } else {
                self.obs.echoed += 1;
                self.progress();
                if self.obs.echoed < rounds {
                    self.resend();
                } else {
                    self.t
                        .push(format!("< {} echo(es) of {len} bytes", self.obs.echoed));
                    self.send_close(Some(1000), &[]);
                }
            }
            return;
        }
        self.record(Received::Message { binary, data });
    }

    /// Echo-counting cases: the message steps again.
    fn resend(&mut self) {
        let case = self.case;
        for step in &case.script {
            if matches!(
                step,
                Step::Frame(..) | Step::Message { .. } | Step::Deflated { .. }
            ) {
                let before = self.t.kept();
                self.send_step(step);
                self.t.truncate_quietly(before);
            }
        }
    }

    fn record(&mut self, r: Received) {
        self.t.push(format!("< {}", describe(&r)));
        self.obs.received.push(r);
        if let Some(code) = close_now(self.case, &self.obs.received) {
            self.send_close(Some(code), &[]);
        }
    }
}

/// The next `len` bytes of `data` from `*at`, wrapping around (Autobahn's rotating pointer).
fn next_slice(data: &[u8], at: &mut usize, len: usize) -> Vec<u8> {
    if len == 0 || data.is_empty() {
        return Vec::new();
    }
    let from = *at;
    let to = (from + len) % data.len();
    let out = if to > from {
        data[from..to].to_vec()
    } else {
        [&data[from..], &data[..to]].concat()
    };
    *at = to;
    out
}

/// Why an echo is not the message sent.
fn echo_difference(want_binary: bool, want: &[u8], binary: bool, got: &[u8]) -> String {
    let kind = |b: bool| if b { "binary" } else { "text" };
    if want_binary != binary {
        return format!(
            "The echo is a {} message; a {} message was sent.",
            kind(binary),
            kind(want_binary)
        );
    }
    if want.len() != got.len() {
        return format!(
            "The echo has {} bytes; {} were sent.",
            got.len(),
            want.len()
        );
    }
    let at = want.iter().zip(got).position(|(a, b)| a != b).unwrap_or(0);
    format!("The echo differs from the message sent at byte {at} (after decompression).")
}

/// A message cut into fragments of `size` bytes the way Autobahn cuts it: one frame when it
/// fits, else full fragments and a final one — empty when the length is a multiple of `size`
/// (a server's fragment limit sees that extra frame: Node `ws` allows 16 384 fragments, and
/// 4 MiB in 256-byte fragments is 16 385 frames).
fn fragments(data: &[u8], size: usize) -> Vec<&[u8]> {
    if data.len() <= size {
        return vec![data];
    }
    let mut out: Vec<&[u8]> = data.chunks(size).collect();
    if data.len().is_multiple_of(size) {
        out.push(&[]);
    }
    out
}

/// Masks and encodes a frame spec (the fuzzer is a client: every frame is masked).
fn encode(spec: &FrameSpec, mask: [u8; 4], out: &mut Vec<u8>) {
    let rsv = spec.rsv;
    Frame::new(OpCode::from_u8(spec.opcode), spec.payload.to_vec())
        .with_fin(spec.fin)
        .with_rsv(rsv & 4 != 0, rsv & 2 != 0, rsv & 1 != 0)
        .with_mask(Some(mask))
        .encode(out);
}

fn opcode_name(op: u8) -> String {
    match op {
        0x0 => "continuation".into(),
        0x1 => "text".into(),
        0x2 => "binary".into(),
        0x8 => "close".into(),
        0x9 => "ping".into(),
        0xA => "pong".into(),
        other => format!("opcode {other:#x}"),
    }
}

/// The wire transcript of a case, capped: the first lines are kept, the rest counted.
struct Transcript {
    lines: Vec<String>,
    cap: usize,
    omitted: usize,
}

impl Transcript {
    fn new(cap: usize) -> Self {
        Transcript {
            lines: Vec::new(),
            cap,
            omitted: 0,
        }
    }

    fn push(&mut self, line: String) {
        if self.lines.len() < self.cap {
            self.lines.push(line);
        } else {
            self.omitted += 1;
        }
    }

    fn kept(&self) -> (usize, usize) {
        (self.lines.len(), self.omitted)
    }

    /// Forgets lines pushed since `kept` (repeated rounds of an echo case).
    fn truncate_quietly(&mut self, (lines, omitted): (usize, usize)) {
        self.lines.truncate(lines);
        self.omitted = omitted;
    }

    fn finish(mut self) -> Vec<String> {
        if self.omitted > 0 {
            self.lines
                .push(format!("* … {} more lines not kept", self.omitted));
        }
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_refuse_clearly() {
        let t = Target::parse("ws://127.0.0.1:9001/echo?x=1").expect("valid");
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 9001));
        assert_eq!(t.resource, "/echo?x=1");
        assert_eq!(t.host_header, "127.0.0.1:9001");
        assert_eq!(Target::parse("ws://localhost/").expect("valid").port, 80);
        let tls = Target::parse("wss://example.com/").expect("valid");
        assert!(tls.secure);
        assert_eq!((tls.port, tls.host_header.as_str()), (443, "example.com"));
        assert!(Target::parse("http://x/").unwrap_err().contains("wss://"));
        assert!(Target::parse("nonsense").is_err());
        let secret = Target::parse("ws://u:pw@h:1/?token=abc").expect("valid");
        assert!(!secret.display.contains("pw") && !secret.display.contains("abc"));
    }

    #[test]
    fn fragments_follow_autobahn() {
        let lens = |d: &[u8], n| fragments(d, n).iter().map(|p| p.len()).collect::<Vec<_>>();
        assert_eq!(lens(b"abc", 3), vec![3]);
        assert_eq!(lens(b"abcd", 3), vec![3, 1]);
        assert_eq!(lens(b"abcdef", 3), vec![3, 3, 0]);
        assert_eq!(lens(b"", 1), vec![0]);
    }

    #[test]
    fn corpus_slices_wrap_around() {
        let data = b"abcdef";
        let mut at = 0;
        assert_eq!(next_slice(data, &mut at, 4), b"abcd");
        assert_eq!(next_slice(data, &mut at, 4), b"efab");
        assert_eq!(at, 2);
        assert_eq!(next_slice(data, &mut at, 0), b"");
    }

    #[test]
    fn echo_differences_say_what_differs() {
        assert!(echo_difference(true, b"ab", false, b"ab").contains("text"));
        assert!(echo_difference(true, b"ab", true, b"abc").contains("3 bytes"));
        assert!(echo_difference(true, b"abc", true, b"abd").contains("byte 2"));
    }

    #[test]
    fn transcript_caps_and_counts() {
        let mut t = Transcript::new(2);
        for i in 0..5 {
            t.push(format!("line {i}"));
        }
        let lines = t.finish();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].contains("3 more"));
    }
}
