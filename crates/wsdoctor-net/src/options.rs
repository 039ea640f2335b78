//! What a probe is asked to do. The binary resolves flags and environment into this
//! one value, so the probe itself never reads flags (and reads the environment only
//! for the curl-style proxy variables, when `proxy` is `Auto`).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;
use wsdoctor_core::evidence::{RequestOptions, UrlEvidence};

/// Everything that shapes one probe run.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    /// Already analysed by `wsdoctor_core::url::analyze`.
    pub url: UrlEvidence,
    /// `--resolve host:port:addr[,addr]` (curl).
    pub resolve: Vec<Resolve>,
    /// `--connect-to HOST1:PORT1:HOST2:PORT2` (curl).
    pub connect_to: Vec<ConnectTo>,
    /// `-4` / `-6`.
    pub family: Option<Family>,
    /// Overall deadline: every phase gets min(its own cap, what is left).
    pub timeout: Duration,
    pub cacert: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// `-k`: go on past certificate problems, still recording all of them.
    pub insecure: bool,
    pub ca_store: CaStore,
    pub origin: Option<String>,
    pub subprotocols: Vec<String>,
    pub extensions: Vec<String>,
    pub headers: Vec<(String, String)>,
    /// Text to send; `None` sends `wsdoctor probe <nonce>`.
    pub message: Option<String>,
    /// Wait for any server message instead of the echo.
    pub expect: bool,
    pub show_secrets: bool,
    /// Cap on the response head.
    pub max_head: usize,
    /// Cap on one received message.
    pub max_message: usize,
    pub proxy: ProxySetting,
    /// With a proxy in use, also try the direct path and record how it ended.
    pub compare_direct: bool,
    /// `--idle`: hold the open connection idle this long, then run the keep-alive trial.
    pub idle: Option<Duration>,
    /// Ping interval for the keep-alive trial (default: below the observed cut).
    pub ping_interval: Option<Duration>,
    /// `--concurrency N`: the blocked-event-loop probe.
    pub concurrency: Option<usize>,
    /// Do not answer server pings (shows what happens to a client that does not).
    pub no_pong: bool,
    /// The WebSocket over HTTP/2 probe (RFC 8441).
    pub http2: Http2Mode,
}

/// When `check` also probes the WebSocket over HTTP/2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Http2Mode {
    /// For `wss://` targets, where browsers may use it: offered in ALPN beside
    /// http/1.1, and probed only when the server chooses h2.
    #[default]
    Auto,
    /// `--http2`: always, and with prior knowledge on `ws://` (h2c).
    On,
    /// `--no-http2`.
    Off,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            url: UrlEvidence::default(),
            resolve: Vec::new(),
            connect_to: Vec::new(),
            family: None,
            timeout: Duration::from_secs(10),
            cacert: None,
            client_cert: None,
            client_key: None,
            insecure: false,
            ca_store: CaStore::Webpki,
            origin: None,
            subprotocols: Vec::new(),
            extensions: Vec::new(),
            headers: Vec::new(),
            message: None,
            expect: false,
            show_secrets: false,
            max_head: 64 * 1024,
            max_message: 16 * 1024 * 1024,
            proxy: ProxySetting::Auto,
            compare_direct: false,
            idle: None,
            ping_interval: None,
            concurrency: None,
            no_pong: false,
            http2: Http2Mode::Auto,
        }
    }
}

impl ProbeOptions {
    /// The request options as echoed in the evidence.
    pub fn request_options(&self) -> RequestOptions {
        RequestOptions {
            origin: self.origin.clone(),
            subprotocols: self.subprotocols.clone(),
            extensions: self.extensions.clone(),
            expect_message: self.expect,
            insecure: self.insecure,
            client_cert: self.client_cert.is_some(),
            no_pong: self.no_pong,
        }
    }
}

/// `--resolve host:port:addr[,addr…]`: use these addresses for host:port, no lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolve {
    pub host: String,
    pub port: u16,
    pub addrs: Vec<IpAddr>,
}

/// `--connect-to HOST1:PORT1:HOST2:PORT2`: connect to host2:port2 instead of
/// host1:port1, keeping Host, SNI and certificate checks on host1. Empty parts
/// (`None`) mean "any" on the left and "the same" on the right.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectTo {
    pub from_host: Option<String>,
    pub from_port: Option<u16>,
    pub to_host: Option<String>,
    pub to_port: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn matches(self, ip: &IpAddr) -> bool {
        match self {
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

/// Where trust anchors come from (`--cacert` adds to either).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CaStore {
    /// The Mozilla set compiled in (webpki-roots): the same everywhere.
    #[default]
    Webpki,
    /// The operating system's store (rustls-native-certs): what a corporate machine trusts.
    System,
}

/// Which forward proxy to use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// The environment, like curl: `wss_proxy`/`ws_proxy`, `HTTPS_PROXY`/`HTTP_PROXY`,
    /// `ALL_PROXY`, with `NO_PROXY`.
    #[default]
    Auto,
    /// `--noproxy '*'` or `--proxy ''`: always direct.
    None,
    /// `--proxy URL` (`http://`, `socks5://`, `socks5h://`; userinfo for credentials).
    Url(String),
}
