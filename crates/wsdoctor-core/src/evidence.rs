//! What a probe observed, layer by layer. Collecting evidence is the only part of
//! wsdoctor that does IO (in `wsdoctor-net`); everything here is plain data, so the
//! diagnosis rules can be tested on hand-built values.
//!
//! Secrets are redacted by the collector before they land here (see `redact`), unless
//! the user asked for `--show-secrets`. Every byte buffer is capped by the collector.

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

mod http2;
pub use http2::{H2Error, H2Evidence, H2Outcome, H2Setting};

/// Everything one `check` run saw. A layer that was not reached is `None`.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Evidence {
    pub url: UrlEvidence,
    pub request: RequestOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle: Option<IdleEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadEvidence>,
    /// The WebSocket over HTTP/2 probe (`--http2`, or automatic for `wss://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h2: Option<H2Evidence>,
    /// Time spent in each layer that ran, in probe order.
    pub timings: Vec<Timing>,
    /// Unix time (seconds) when the probe ran: the rules need "now" for certificate
    /// dates but must not read the clock themselves.
    pub checked_at: i64,
}

#[derive(Clone, Copy, Debug, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Timing {
    pub layer: crate::Layer,
    pub ms: f64,
}

/// The URL as given and as wsdoctor will use it. Built by `crate::url::analyze`.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema, Deserialize)]
pub struct UrlEvidence {
    /// What the user typed, redacted.
    pub input: String,
    /// The ws:// or wss:// URL used for the probe, redacted. Empty when unusable.
    pub effective: String,
    pub secure: bool,
    /// Host as sent on the wire (punycode for IDN, no brackets for IPv6).
    pub host: String,
    pub port: u16,
    /// Path and query as sent in the request line. Never serialised: it may hold a
    /// secret the probe must send; `effective` shows it (redacted) instead.
    #[serde(skip)]
    pub resource: String,
    pub issues: Vec<UrlIssue>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum UrlIssue {
    /// Unusable: the probe stops here.
    Unparseable {
        reason: String,
    },
    UnsupportedScheme {
        scheme: String,
    },
    HttpScheme {
        given: String,
        mapped_to: String,
    },
    NoScheme {
        assumed: String,
    },
    Fragment {
        fragment: String,
    },
    InvalidCharacters {
        chars: String,
    },
    WssOnPort80,
    WsOnPort443,
    Idn {
        unicode: String,
        ascii: String,
    },
    Userinfo,
    SecretInQuery {
        params: Vec<String>,
    },
}

/// The request options that shape the handshake and session, echoed for the report.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema, Deserialize)]
pub struct RequestOptions {
    pub origin: Option<String>,
    pub subprotocols: Vec<String>,
    pub extensions: Vec<String>,
    /// `--expect`: wait for any server message rather than an echo.
    pub expect_message: bool,
    pub insecure: bool,
    pub client_cert: bool,
    /// `--no-pong`: the server's pings were deliberately left unanswered.
    #[serde(default)]
    pub no_pong: bool,
}

// ── DNS ──────────────────────────────────────────────────────────────────────

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, Deserialize)]
pub struct DnsEvidence {
    pub host: String,
    pub source: DnsSource,
    /// One entry per family queried.
    pub queries: Vec<DnsQuery>,
    /// All addresses, in the order they will be tried.
    pub addresses: Vec<IpAddr>,
    pub ms: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsSource {
    /// The host is an IP literal: no lookup.
    Literal,
    /// `--resolve` or `--connect-to` supplied the address.
    Override,
    /// The system resolver (getaddrinfo: /etc/hosts, nsswitch), what browsers use.
    System,
    /// hickory-resolver queried the configured name servers per family.
    Resolver,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, Deserialize)]
pub struct DnsQuery {
    /// "A" or "AAAA" (or "system").
    pub record: String,
    pub outcome: DnsOutcome,
    pub ms: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DnsOutcome {
    Answers {
        addresses: Vec<IpAddr>,
        ttl: Option<u32>,
    },
    NoAnswer,
    NxDomain,
    Timeout,
    Error {
        message: String,
    },
}

// ── TCP ──────────────────────────────────────────────────────────────────────

#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TcpEvidence {
    pub attempts: Vec<TcpAttempt>,
    /// The address the probe went on with.
    pub connected: Option<SocketAddr>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TcpAttempt {
    pub addr: SocketAddr,
    /// Milliseconds after the TCP phase began that this attempt started.
    pub started_ms: f64,
    pub ms: f64,
    pub outcome: TcpOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TcpOutcome {
    Connected,
    Refused,
    TimedOut,
    Unreachable {
        detail: String,
    },
    Reset,
    /// Abandoned because another attempt won the race (happy eyeballs).
    Cancelled,
    Error {
        message: String,
    },
    /// This machine could not open another socket: out of file descriptors (EMFILE,
    /// ENFILE). Not the server's doing.
    LocalLimit {
        message: String,
    },
}

// ── proxy ────────────────────────────────────────────────────────────────────

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ProxyEvidence {
    /// Proxy URL, credentials redacted.
    pub url: String,
    pub kind: ProxyKind,
    /// Why this proxy was used: "--proxy", "HTTPS_PROXY", …
    pub chosen_by: String,
    pub outcome: ProxyOutcome,
    /// The proxy's reply head to CONNECT (HTTP proxies), raw text, capped.
    pub reply_head: Option<String>,
    pub reply_body: Option<String>,
    /// `--compare-direct`: the evidence of the same probe made without the proxy, so
    /// the rules can diagnose both paths alike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<Box<Evidence>>,
    pub ms: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyKind {
    Http,
    Socks5,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProxyOutcome {
    Tunnel,
    /// A proxy variable was set, but `no_proxy`/`NO_PROXY` (named in `chosen_by`)
    /// excludes this host: the connection went direct.
    Bypassed,
    Unreachable {
        detail: String,
    },
    AuthRequired {
        scheme: Option<String>,
    },
    Refused {
        status: u16,
    },
    Closed,
    Timeout,
    Error {
        message: String,
    },
    /// The proxy answered, but not in its protocol: bytes that are not HTTP after
    /// CONNECT (a SOCKS or TLS port behind an `http://` URL, another service), a head
    /// past the cap or that does not parse, a SOCKS reply that is not SOCKS5.
    BadReply {
        message: String,
    },
}

// ── TLS ──────────────────────────────────────────────────────────────────────

#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TlsEvidence {
    pub sni: Option<String>,
    pub outcome: TlsOutcome,
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub alpn: Option<String>,
    /// The chain as the server sent it, leaf first.
    pub chain: Vec<CertInfo>,
    /// Every problem found, not only the first.
    pub problems: Vec<CertProblem>,
    /// The server sent a CertificateRequest (mutual TLS).
    pub client_cert_requested: bool,
    pub ms: f64,
    /// When the handshake died without a byte from the server: one plain HTTP request
    /// to the same port, to tell a plaintext server from a TLS one that refused us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plaintext_probe: Option<PlaintextProbe>,
}

/// One plaintext `GET /` (nothing of the user's request: no path, query or headers,
/// since they may hold secrets meant for TLS) and how the port answered it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct PlaintextProbe {
    /// The status code when the answer was an HTTP status line.
    pub status: Option<u16>,
    /// The status line, or what came instead ("no answer", "closed", the first bytes).
    pub answer: String,
    pub ms: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TlsOutcome {
    #[default]
    Established,
    /// The handshake failed; `alert` is the TLS alert if one was received.
    Failed {
        alert: Option<TlsAlert>,
        message: String,
    },
    /// The server's first bytes were plaintext HTTP (or another protocol), not TLS.
    NotTls { first_bytes: String },
    /// The server said nothing before the deadline.
    Silence,
    /// The server closed the connection during the handshake.
    Closed,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    pub is_ca: bool,
    pub self_signed: bool,
    pub serial: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CertProblem {
    Expired {
        not_after: i64,
    },
    NotYetValid {
        not_before: i64,
    },
    HostnameMismatch {
        host: String,
        sans: Vec<String>,
    },
    /// The chain ends at an issuer that is not trusted and is not simply missing.
    UnknownIssuer {
        issuer: String,
    },
    SelfSigned {
        subject: String,
    },
    /// The server did not send the certificate that signed the last one it sent.
    IncompleteChain {
        missing_issuer: String,
    },
    /// The issuer looks like a TLS-inspecting proxy or antivirus product.
    InterceptionSuspected {
        issuer: String,
    },
    Other {
        message: String,
    },
}

/// One table generates the TLS alerts (RFC 8446 §6 and the IANA registry): the enum the
/// net crate fills from the alert it received, and the wire code each stands for.
macro_rules! tls_alerts {
    ($( $variant:ident = $code:literal, )*) => {
        /// A TLS alert, by its registry name (spelt as rustls spells it, which is also
        /// its JSON form). A code outside the registry stays `Unknown(code)`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
        #[non_exhaustive]
        pub enum TlsAlert {
            $($variant,)*
            Unknown(u8),
        }

        impl TlsAlert {
            /// The alert with this wire code.
            pub fn from_code(code: u8) -> TlsAlert {
                match code {
                    $($code => TlsAlert::$variant,)*
                    other => TlsAlert::Unknown(other),
                }
            }

            /// The wire code.
            pub fn code(self) -> u8 {
                match self {
                    $(TlsAlert::$variant => $code,)*
                    TlsAlert::Unknown(code) => code,
                }
            }
        }
    };
}

tls_alerts! {
    CloseNotify = 0,
    UnexpectedMessage = 10,
    BadRecordMac = 20,
    DecryptionFailed = 21,
    RecordOverflow = 22,
    DecompressionFailure = 30,
    HandshakeFailure = 40,
    NoCertificate = 41,
    BadCertificate = 42,
    UnsupportedCertificate = 43,
    CertificateRevoked = 44,
    CertificateExpired = 45,
    CertificateUnknown = 46,
    IllegalParameter = 47,
    UnknownCA = 48,
    AccessDenied = 49,
    DecodeError = 50,
    DecryptError = 51,
    ExportRestriction = 60,
    ProtocolVersion = 70,
    InsufficientSecurity = 71,
    InternalError = 80,
    InappropriateFallback = 86,
    UserCanceled = 90,
    NoRenegotiation = 100,
    MissingExtension = 109,
    UnsupportedExtension = 110,
    CertificateUnobtainable = 111,
    UnrecognisedName = 112,
    BadCertificateStatusResponse = 113,
    BadCertificateHashValue = 114,
    UnknownPSKIdentity = 115,
    CertificateRequired = 116,
    NoApplicationProtocol = 120,
    EncryptedClientHelloRequired = 121,
}

impl TlsAlert {
    /// Alerts a server sends when it wanted a client certificate and got none (or
    /// none it accepts): `certificate_required` in TLS 1.3, `handshake_failure` or
    /// `bad_certificate` from TLS 1.2 stacks.
    pub fn refuses_client_cert(self) -> bool {
        matches!(
            self,
            TlsAlert::CertificateRequired | TlsAlert::HandshakeFailure | TlsAlert::BadCertificate
        )
    }
}

impl std::fmt::Display for TlsAlert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsAlert::Unknown(code) => write!(f, "Unknown({code})"),
            other => write!(f, "{other:?}"),
        }
    }
}

// ── HTTP Upgrade ─────────────────────────────────────────────────────────────

#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema, Deserialize)]
pub struct HttpEvidence {
    /// The request head as sent, secrets redacted.
    pub request_head: String,
    pub key: String,
    /// base64(SHA-1(key + GUID)), computed by the collector.
    pub expected_accept: String,
    pub outcome: HttpOutcome,
    pub ms: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum HttpOutcome {
    Response(HttpResponse),
    /// Nothing came back before the deadline.
    #[default]
    Silence,
    /// The peer closed the connection without a byte.
    Closed,
    Reset,
    /// Bytes arrived that cannot be the start of an HTTP response.
    NotHttp {
        first_bytes: String,
        looks_like_tls: bool,
    },
    HeadTooLarge {
        limit: usize,
    },
    Malformed {
        message: String,
        first_bytes: String,
        /// The TLS alert that ended the read, when the server rejected the connection
        /// with one after the handshake (TLS 1.3 checks client certificates there).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert: Option<TlsAlert>,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct HttpResponse {
    /// 0 for HTTP/1.0, 1 for HTTP/1.1, 2 for HTTP/2.
    pub version: u8,
    pub status: u16,
    pub reason: String,
    /// In order, names as sent, secret values redacted.
    pub headers: Vec<(String, String)>,
    /// The start of the body (lossy UTF-8), capped.
    pub body: String,
}

impl HttpResponse {
    /// First header with this name, case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Comma-separated tokens of every header with this name, trimmed.
    pub fn tokens<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.tokens(name).any(|t| t.eq_ignore_ascii_case(token))
    }
}

// ── session ──────────────────────────────────────────────────────────────────

#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema, Deserialize)]
pub struct SessionEvidence {
    pub message: MessageOutcome,
    pub ping: PingOutcome,
    pub close: CloseOutcome,
    /// RFC 6455 violations seen in server frames, in order.
    pub violations: Vec<Violation>,
    /// Frames received (headers only), capped.
    pub frames: Vec<FrameSummary>,
    /// Frames beyond the cap on `frames`: counted, not kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub frames_dropped: u64,
    pub ms: f64,
    /// When the server pinged us, milliseconds after that connection opened: on the
    /// session connection and, with `--idle`, on the idle one (its keep-alive interval).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_pings_ms: Vec<f64>,
    /// Server pings beyond the cap on `server_pings_ms`: counted, not kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub server_pings_dropped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum MessageOutcome {
    /// The session ended before the step was reached.
    #[default]
    NotTried,
    Echoed {
        ms: f64,
    },
    /// A message arrived that is not the echo (or any message with --expect).
    Received {
        preview: String,
        binary: bool,
        ms: f64,
    },
    NoReply {
        waited_ms: f64,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PingOutcome {
    #[default]
    NotTried,
    Pong {
        ms: f64,
        payload_matches: bool,
    },
    NoPong {
        waited_ms: f64,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CloseOutcome {
    #[default]
    NotTried,
    /// We closed with 1000 and the server answered with this close.
    Clean {
        code: Option<u16>,
        reason: String,
        ms: f64,
    },
    /// The server closed first, with this code.
    ByServer {
        code: Option<u16>,
        reason: String,
        after_ms: f64,
    },
    /// TCP ended without a close frame (a browser reports 1006).
    Eof {
        after_ms: f64,
    },
    Reset {
        after_ms: f64,
    },
    /// We sent a close and nothing came back before the deadline.
    NoAnswer {
        waited_ms: f64,
    },
    /// We closed the TCP connection ourselves after a protocol violation (1002/1007).
    FailedByUs {
        code: u16,
    },
}

/// An RFC 6455 framing violation by the server, mirrored from the codec's own list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Violation {
    MaskedFrame,
    ReservedBits {
        rsv1: bool,
        rsv2: bool,
        rsv3: bool,
    },
    UnknownOpcode {
        opcode: u8,
    },
    ControlFrameTooLong {
        len: u64,
    },
    FragmentedControl,
    BadFragmentation {
        detail: String,
    },
    InvalidUtf8,
    BadClosePayload {
        detail: String,
    },
    /// A message (or one frame, whose announced length is kept) went past our cap.
    MessageTooLarge {
        limit: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        announced: Option<u64>,
    },
    Other {
        detail: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct FrameSummary {
    pub opcode: u8,
    pub fin: bool,
    pub rsv: u8,
    pub masked: bool,
    pub len: u64,
}

// ── over time (issue: proxies and time) ──────────────────────────────────────

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, Deserialize)]
pub struct IdleEvidence {
    pub requested_s: f64,
    /// How the idle connection ended, if it did.
    pub cut: Option<IdleCut>,
    /// With keep-alive pings at this interval, did the connection survive the same time?
    pub keepalive: Option<KeepaliveTrial>,
    /// Data messages the server sent while the connection was meant to be idle: a
    /// connection that carried traffic was not held idle.
    #[serde(default)]
    pub messages: u64,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, Deserialize)]
pub struct IdleCut {
    pub after_ms: f64,
    pub how: CutHow,
    /// The close frame's code, when `how` is `close-frame` (or the code we closed with
    /// on a `protocol-violation`).
    pub close_code: Option<u16>,
}

/// How an idle connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CutHow {
    /// A WebSocket close frame (its code in `close_code`).
    CloseFrame,
    /// TCP FIN without a close frame.
    Fin,
    /// TCP reset.
    Reset,
    /// The peer broke RFC 6455 and we closed (the code we sent in `close_code`).
    ProtocolViolation,
}

impl CutHow {
    /// The JSON spelling, e.g. `close-frame`.
    pub fn as_str(self) -> &'static str {
        match self {
            CutHow::CloseFrame => "close-frame",
            CutHow::Fin => "fin",
            CutHow::Reset => "reset",
            CutHow::ProtocolViolation => "protocol-violation",
        }
    }
}

impl std::fmt::Display for CutHow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, Deserialize)]
pub struct KeepaliveTrial {
    pub interval_s: f64,
    pub held_ms: f64,
    pub survived: bool,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema, Deserialize)]
pub struct LoadEvidence {
    pub connections: usize,
    /// Round trips on the probe connection without load, milliseconds (median, p99).
    pub idle_rtt_p50_ms: f64,
    pub idle_rtt_p99_ms: f64,
    /// The same under load.
    pub loaded_rtt_p50_ms: f64,
    pub loaded_rtt_p99_ms: f64,
    pub writes_stalled: bool,
    /// Load connections asked for (`--concurrency N`); `connections` is how many opened.
    #[serde(default)]
    pub requested: usize,
    /// Connections that could not be opened, or that the server ended during the load,
    /// grouped by why: a load that was not applied in full proves nothing healthy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<LoadFailure>,
}

/// Load connections that failed the same way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct LoadFailure {
    pub kind: LoadFailureKind,
    pub count: usize,
    /// The status of the answer, for `no-upgrade`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What the first of them met, e.g. `HTTP/1.1 503 Service Unavailable (Server: …)`.
    pub detail: String,
}

/// Why a load connection failed. The server's side first, then ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LoadFailureKind {
    /// The Upgrade got an answer other than 101 (503 or 429 from a connection cap).
    NoUpgrade,
    /// TCP refused or reset the connection (a full accept queue, a limit in a firewall).
    Refused,
    /// Closed, silent or not HTTP before the upgrade finished.
    NoAnswer,
    /// The TLS handshake failed.
    Tls,
    /// The forward proxy did not open the tunnel.
    Proxy,
    /// Opened, then ended by the server (or a violation) while the load ran.
    EndedEarly,
    /// This machine ran out of file descriptors.
    LocalLimit,
    /// The deadline came before it could be tried.
    NotTried,
    Other,
}

impl LoadFailureKind {
    /// Whether the failure is on our side (the load was not applied), not the server's.
    pub fn is_local(self) -> bool {
        matches!(
            self,
            LoadFailureKind::LocalLimit | LoadFailureKind::NotTried | LoadFailureKind::Other
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_kinds_serialise_as_their_names() {
        for how in [
            CutHow::CloseFrame,
            CutHow::Fin,
            CutHow::Reset,
            CutHow::ProtocolViolation,
        ] {
            assert_eq!(serde_json::to_value(how).unwrap(), how.as_str());
        }
    }
}
