//! `wsdoctor check URL`: layered live diagnosis of one WebSocket endpoint.
//!
//! Flags are parsed here without IO and resolved into one `ProbeOptions`; the probe
//! (wsdoctor-net) collects evidence, the pure rules (wsdoctor-core) diagnose, and a
//! renderer prints. The exit code is the first failing layer's (README table).

mod targets;

pub use targets::TargetsLine;

use super::usage;
use crate::output::{Paint, Style};
use crate::render;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;
use wsdoctor_core::{Report, evidence::UrlEvidence};
use wsdoctor_net::{
    CaStore, ConnectTo, Family, Http2Mode, ProbeOptions, ProxySetting, Resolve, WireLine,
    WireObserver,
};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct CheckArgs {
    /// The WebSocket URL (ws:// or wss://; http(s):// and bare host:port are accepted and reported).
    #[arg(
        required_unless_present = "targets",
        conflicts_with = "targets",
        default_value = "",
        hide_default_value = true
    )]
    pub url: String,
    /// Check every target of FILE (one URL, or {url: URL, module: NAME}, a line; "-": stdin) instead of one URL.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// With --targets: how many targets are checked at once (1 to 1024, default 64).
    #[arg(long, value_name = "N", requires = "targets")]
    pub max_concurrent: Option<usize>,
    /// With --targets: serve's config file, whose modules a line names with {url: URL, module: NAME}.
    #[arg(long, value_name = "FILE", requires = "targets")]
    pub config: Option<PathBuf>,
    /// Print the report as one JSON object (schema wsdoctor.report/1).
    #[arg(long)]
    pub json: bool,
    /// Also write the result as one self-contained HTML page (the layout of `serve`'s
    /// status page: verdict, layer waterfall, every finding with its fix; redacted).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Show the wire like curl on stderr: > sent, < received, * commentary (secrets redacted).
    #[arg(short, long)]
    pub verbose: bool,
    /// Overall deadline in seconds; every phase gets what is left.
    #[arg(long, value_name = "SECS", default_value = "10")]
    pub timeout: f64,
    /// How to reach the server: DNS overrides, TLS, Origin, subprotocols, headers, proxy.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Offer this extension, e.g. "permessage-deflate; client_max_window_bits" (repeatable).
    #[arg(long = "extension", value_name = "EXT")]
    pub extensions: Vec<String>,
    /// The text message to send (default: "wsdoctor probe <nonce>", expected back as an echo).
    #[arg(long)]
    pub message: Option<String>,
    /// Wait for any server message instead of an echo.
    #[arg(long)]
    pub expect: bool,
    /// With a proxy in use, also try direct and report which path works.
    #[arg(long)]
    pub compare_direct: bool,
    /// Hold the open connection idle up to SECS and report whether and how it is cut; then prove keep-alive pings hold it.
    #[arg(long, value_name = "SECS")]
    pub idle: Option<f64>,
    /// Ping interval for the keep-alive trial after --idle (default: half the observed cut).
    #[arg(long, value_name = "SECS")]
    pub ping_interval: Option<f64>,
    /// Open N busy connections and compare round trips on a probe connection (blocked event loop).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Do not answer server pings (shows what happens to a client that does not).
    #[arg(long)]
    pub no_pong: bool,
    /// Also probe the WebSocket over HTTP/2 (RFC 8441 extended CONNECT), with prior knowledge on ws:// (default: automatic for wss:// when the server chooses h2 in ALPN).
    #[arg(long, conflicts_with = "no_http2")]
    pub http2: bool,
    /// Do not probe HTTP/2, not even automatically for wss://.
    #[arg(long)]
    pub no_http2: bool,
}

/// The flags that say how to reach a server — DNS overrides, TLS, Origin, subprotocols,
/// headers, proxy — shared by every command that connects (`check`, `bench`), so each
/// flag is defined and documented once and resolved by [`options`].
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConnectArgs {
    /// Use ADDR for HOST:PORT instead of DNS (curl syntax HOST:PORT:ADDR[,ADDR…]; repeatable).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Connect to HOST2:PORT2 instead of HOST1:PORT1, keeping Host/SNI (curl syntax; repeatable).
    #[arg(long = "connect-to", value_name = "HOST1:PORT1:HOST2:PORT2")]
    pub connect_to: Vec<String>,
    /// Use IPv4 addresses only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Use IPv6 addresses only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// TLS for wss://: trust anchors, client certificate, -k.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Send this Origin header.
    #[arg(long)]
    pub origin: Option<String>,
    /// Request this subprotocol (repeatable, in order of preference).
    #[arg(long = "subprotocol", value_name = "NAME")]
    pub subprotocols: Vec<String>,
    /// Extra request header "Name: value" (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Show secrets (Authorization, cookies, URL credentials, token parameters) instead of redacting them.
    #[arg(long)]
    pub show_secrets: bool,
    /// Cap on one received message in bytes.
    #[arg(long, value_name = "BYTES", default_value = "16777216")]
    pub max_message: usize,
    /// Forward proxy URL (http://[user:pass@]host:port or socks5://…); default: the environment, like curl.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Hosts that bypass the proxy (comma-separated; "*" for all), like curl.
    #[arg(long, value_name = "LIST")]
    pub noproxy: Option<String>,
}

/// The TLS flags — trust anchors, client certificate, `-k` — shared by `check` (through
/// [`ConnectArgs`]) and `conform`, which writes its own HTTP but opens TLS as `check` does.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TlsArgs {
    /// Trust this CA certificate (PEM) in addition to the store.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM) for servers that require one.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) for --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Go on past certificate problems (they are still reported).
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Trust anchors: webpki (Mozilla's set, built in) or system (the OS store).
    #[arg(long, value_name = "STORE", default_value = "webpki", value_parser = ["webpki", "system"])]
    pub ca_store: String,
}

pub fn run(args: CheckArgs, style: Style) -> anyhow::Result<i32> {
    if args.targets.is_some() {
        return targets::run(args, style);
    }
    let opts = options(&args)?;
    let verbose = args.verbose;
    // One probe is IO-bound: a current-thread runtime starts no worker threads, which
    // is most of the start-up cost of a one-shot process (bench/check).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let show_secrets = args.connect.show_secrets;
    let started = std::time::Instant::now();
    let report = rt.block_on(async {
        if verbose {
            probe(
                &opts,
                &StderrWire {
                    style,
                    show_secrets,
                },
            )
            .await
        } else {
            probe(&opts, &wsdoctor_net::NoWire).await
        }
    });
    if let Some(path) = &args.report {
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let page = super::serve::page::single(&report, at, started.elapsed());
        crate::output::write_atomically(path, page.as_bytes()).map_err(|e| {
            anyhow::anyhow!(
                "--report {}: cannot write it ({e}); give a writable path",
                path.display()
            )
        })?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        render::json(&report, show_secrets, &mut out)?;
    } else {
        let mut shown = render::shown::Shown::new(&mut out, show_secrets, style.color);
        render::human::report(&report, style, &mut shown)?;
        shown.flush()?;
    }
    out.flush()?;
    Ok(report.exit_code())
}

/// `check`'s arguments with every default its flags declare, so a caller that sets
/// nothing (a `serve` module, `conform`) connects exactly like `wsdoctor check URL`.
pub fn defaults() -> CheckArgs {
    #[derive(clap::Parser)]
    struct Check {
        #[command(flatten)]
        args: CheckArgs,
    }
    use clap::Parser as _;
    // Only the positional URL is given, and every flag has a valid default: the
    // unit test `defaults_are_checks_defaults` parses it too.
    Check::try_parse_from(["check", ""])
        .map(|c| c.args)
        .unwrap_or_default()
}

/// Probe and diagnose; an unusable URL stops before any IO.
pub async fn probe(opts: &ProbeOptions, wire: &dyn WireObserver) -> Report {
    if wsdoctor_core::url::is_unusable(&opts.url) {
        return wsdoctor_core::report(wsdoctor_core::Evidence {
            url: opts.url.clone(),
            request: opts.request_options(),
            ..Default::default()
        });
    }
    wsdoctor_core::report(wsdoctor_net::probe(opts, wire).await)
}

/// Resolve flags into probe options: the one place that interprets them.
pub fn options(a: &CheckArgs) -> anyhow::Result<ProbeOptions> {
    let url = wsdoctor_core::url::analyze(&a.url, a.connect.show_secrets);
    // Every duration flag is bounded: a value past a day (1e19, inf) would overflow
    // the deadline arithmetic, and nothing wsdoctor waits for takes that long.
    let secs = |flag: &str, v: Option<f64>| -> anyhow::Result<Option<Duration>> {
        match v {
            None => Ok(None),
            Some(s) if s.is_finite() && s > 0.0 && s <= MAX_SECS => {
                Ok(Some(Duration::from_secs_f64(s)))
            }
            Some(s) => Err(usage(format!(
                "{flag} {s} must be a number of seconds above 0 and at most {MAX_SECS}"
            ))),
        }
    };
    let timeout = secs("--timeout", Some(a.timeout))?.unwrap_or_default();
    for (flag, values) in [
        ("--origin", a.connect.origin.iter().collect::<Vec<_>>()),
        ("--subprotocol", a.connect.subprotocols.iter().collect()),
        ("--extension", a.extensions.iter().collect()),
    ] {
        if values.iter().any(|v| v.contains(['\r', '\n', '\0'])) {
            return Err(usage(format!(
                "{flag}: the value must not contain line breaks (it goes into one request header)"
            )));
        }
    }
    if let Some(family) = literal_family_conflict(a, &url) {
        return Err(usage(family));
    }
    if let Some(p) = a.connect.proxy.as_deref().filter(|p| !p.is_empty()) {
        wsdoctor_net::validate_proxy(p).map_err(|e| usage(format!("--proxy: {e}")))?;
    }
    for f in [
        &a.connect.tls.cacert,
        &a.connect.tls.cert,
        &a.connect.tls.key,
    ]
    .into_iter()
    .flatten()
    {
        if !f.is_file() {
            return Err(usage(format!(
                "{} does not exist or is not a file (PEM expected)",
                f.display()
            )));
        }
    }
    if a.connect.max_message < 126 {
        return Err(usage(format!(
            "--max-message {} is too small: a WebSocket message cap needs at least 126 bytes (default 16777216)",
            a.connect.max_message
        )));
    }
    if a.concurrency == Some(0) || a.concurrency.is_some_and(|n| n > 1000) {
        return Err(usage("--concurrency takes 1 to 1000 connections"));
    }
    let opts = ProbeOptions {
        resolve: a
            .connect
            .resolve
            .iter()
            .map(|s| parse_resolve(s))
            .collect::<anyhow::Result<_>>()?,
        connect_to: a
            .connect
            .connect_to
            .iter()
            .map(|s| parse_connect_to(s))
            .collect::<anyhow::Result<_>>()?,
        family: match (a.connect.ipv4, a.connect.ipv6) {
            (true, _) => Some(Family::V4),
            (_, true) => Some(Family::V6),
            _ => None,
        },
        timeout,
        cacert: a.connect.tls.cacert.clone(),
        client_cert: a.connect.tls.cert.clone(),
        client_key: a.connect.tls.key.clone(),
        insecure: a.connect.tls.insecure,
        ca_store: if a.connect.tls.ca_store == "system" {
            CaStore::System
        } else {
            CaStore::Webpki
        },
        origin: a.connect.origin.clone(),
        subprotocols: a.connect.subprotocols.clone(),
        extensions: a.extensions.clone(),
        headers: a
            .connect
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<anyhow::Result<_>>()?,
        message: a.message.clone(),
        expect: a.expect,
        show_secrets: a.connect.show_secrets,
        max_message: a.connect.max_message,
        proxy: proxy_setting(
            a.connect.proxy.as_deref(),
            a.connect.noproxy.as_deref(),
            &url,
        ),
        compare_direct: a.compare_direct,
        idle: secs("--idle", a.idle)?,
        ping_interval: secs("--ping-interval", a.ping_interval)?,
        concurrency: a.concurrency,
        no_pong: a.no_pong,
        http2: match (a.http2, a.no_http2) {
            (true, _) => Http2Mode::On,
            (_, true) => Http2Mode::Off,
            _ => Http2Mode::Auto,
        },
        url,
        ..ProbeOptions::default()
    };
    // A --cacert, --cert or --key that cannot be loaded is the user's file, not the
    // server's TLS: say so before any IO, naming the file.
    wsdoctor_net::validate_tls_files(&opts).map_err(usage)?;
    Ok(opts)
}

/// The longest any duration flag may be (one day).
const MAX_SECS: f64 = 86_400.0;

/// `-6` with an IPv4 literal (or `-4` with an IPv6 one) can never connect.
fn literal_family_conflict(a: &CheckArgs, url: &UrlEvidence) -> Option<String> {
    let ip: IpAddr = url.host.parse().ok()?;
    match (ip, a.connect.ipv4, a.connect.ipv6) {
        (IpAddr::V4(_), _, true) => Some(format!(
            "-6 asks for IPv6 but the URL's host {ip} is an IPv4 address; drop -6 or use an IPv6 host"
        )),
        (IpAddr::V6(_), true, _) => Some(format!(
            "-4 asks for IPv4 but the URL's host {ip} is an IPv6 address; drop -4 or use an IPv4 host"
        )),
        _ => None,
    }
}

fn proxy_setting(proxy: Option<&str>, noproxy: Option<&str>, url: &UrlEvidence) -> ProxySetting {
    if let Some(list) = noproxy {
        let host = url.host.to_ascii_lowercase();
        let bypass = list
            .split(',')
            .map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase())
            .any(|p| {
                p == "*" || (!p.is_empty() && (host == p || host.ends_with(&format!(".{p}"))))
            });
        if bypass {
            return ProxySetting::None;
        }
    }
    match proxy {
        Some("") => ProxySetting::None,
        Some(p) => ProxySetting::Url(p.to_string()),
        None => ProxySetting::Auto,
    }
}

/// `HOST:PORT:ADDR[,ADDR…]`, IPv6 addresses optionally in brackets.
fn parse_resolve(s: &str) -> anyhow::Result<Resolve> {
    let bad = || {
        usage(format!(
            "--resolve {s:?}: expected HOST:PORT:ADDR[,ADDR…], e.g. example.com:443:127.0.0.1"
        ))
    };
    let (host, rest) = s.split_once(':').ok_or_else(bad)?;
    let (port, addrs) = rest.split_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let addrs = addrs
        .split(',')
        .map(|a| {
            a.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad())?;
    if host.is_empty() || addrs.is_empty() {
        return Err(bad());
    }
    Ok(Resolve {
        host: host.to_ascii_lowercase(),
        port,
        addrs,
    })
}

/// `HOST1:PORT1:HOST2:PORT2`, any part may be empty.
fn parse_connect_to(s: &str) -> anyhow::Result<ConnectTo> {
    let bad = || {
        usage(format!(
            "--connect-to {s:?}: expected HOST1:PORT1:HOST2:PORT2 (parts may be empty)"
        ))
    };
    let parts = split_host_ports(s);
    let [h1, p1, h2, p2] = parts.as_slice() else {
        return Err(bad());
    };
    let port = |p: &str| -> anyhow::Result<Option<u16>> {
        if p.is_empty() {
            Ok(None)
        } else {
            p.parse().map(Some).map_err(|_| bad())
        }
    };
    let host = |h: &str| {
        (!h.is_empty()).then(|| {
            h.trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase()
        })
    };
    Ok(ConnectTo {
        from_host: host(h1),
        from_port: port(p1)?,
        to_host: host(h2),
        to_port: port(p2)?,
    })
}

/// Split on ':' outside brackets, so IPv6 literals survive.
fn split_host_ports(s: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

fn parse_header(h: &str) -> anyhow::Result<(String, String)> {
    // The value may be a credential: errors name the header, never echo its value.
    let (name, value) = h.split_once(':').ok_or_else(|| {
        usage("-H: expected \"Name: value\" (no colon found), e.g. -H 'Authorization: Bearer …'")
    })?;
    let name = name.trim();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(usage(
            "-H: the part before the colon is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)",
        ));
    }
    if value.contains(['\r', '\n']) {
        return Err(usage(format!(
            "-H {name}: the value must not contain line breaks"
        )));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// `-v`: the wire on stderr, like curl.
struct StderrWire {
    style: Style,
    show_secrets: bool,
}

impl WireObserver for StderrWire {
    fn wire(&self, line: WireLine) {
        // Escaped and redacted before painting, so our colour survives and theirs
        // does not.
        let shown = |l: &str| render::shown::line(l, self.show_secrets, false);
        let text = match line {
            WireLine::Sent(l) => format!("> {}", shown(&l)),
            WireLine::Received(l) => format!("< {}", shown(&l)),
            WireLine::Note(l) => self.style.paint(&format!("* {}", shown(&l)), Paint::Dim),
        };
        // A closed stderr must not abort the probe.
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_and_connect_to_follow_curl() {
        let r = parse_resolve("Example.com:443:127.0.0.1,[::1]").unwrap();
        assert_eq!(r.host, "example.com");
        assert_eq!(r.port, 443);
        assert_eq!(r.addrs.len(), 2);
        assert!(parse_resolve("example.com:443").is_err());
        assert!(parse_resolve("example.com:x:127.0.0.1").is_err());
        let c = parse_connect_to("example.com:443:[::1]:8443").unwrap();
        assert_eq!(c.to_host.as_deref(), Some("::1"));
        assert_eq!(c.to_port, Some(8443));
        let c = parse_connect_to("::127.0.0.1:").unwrap();
        assert_eq!((c.from_host, c.from_port, c.to_port), (None, None, None));
    }

    #[test]
    fn headers_are_validated() {
        assert_eq!(
            parse_header("X-A:  b ").unwrap(),
            ("X-A".into(), "b".into())
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("Bad Name: x").is_err());
    }

    #[test]
    fn noproxy_matches_domains_and_star() {
        let url = wsdoctor_core::url::analyze("wss://api.example.com/ws", false);
        assert_eq!(
            proxy_setting(Some("http://p:3128"), Some("example.com"), &url),
            ProxySetting::None
        );
        assert_eq!(proxy_setting(None, Some("*"), &url), ProxySetting::None);
        assert_eq!(
            proxy_setting(Some("http://p:3128"), Some("other.com"), &url),
            ProxySetting::Url("http://p:3128".into())
        );
    }
}
