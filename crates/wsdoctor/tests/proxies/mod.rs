//! Real intermediaries for the end-to-end tests of `wsdoctor check`: squid as a
//! CONNECT proxy, nginx and HAProxy as reverse proxies, plus the peers behind them
//! that `common` does not have (a TLS echo with a CA made by openssl, an echo whose
//! handler blocks the event loop). Each program gets a config in a temp dir and a port
//! found by binding 127.0.0.1:0 and releasing it just before the start (a small race,
//! retried once); readiness is a TCP connect polled against a deadline, because none
//! of these programs announces that it listens. Every child is killed on drop.
#![allow(dead_code)]

use crate::common::{Peer, require_program, start_peer, wsdoctor};
use serde_json::Value;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A started proxy, killed when dropped; its temp dir (config, logs) goes with it.
pub struct Proxy {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// `http://127.0.0.1:<port>` with optional `user:password@`.
    pub fn url(&self, credentials: Option<&str>) -> String {
        match credentials {
            Some(c) => format!("http://{c}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port with nothing listening on it: bound, then released.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Polls a TCP connect until the port accepts, the child exits, or 10 s pass.
fn wait_listening(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        // Nothing to wait on but the socket itself: poll again shortly.
        std::thread::park_timeout(Duration::from_millis(20));
    }
    false
}

/// Starts `program` with the arguments `config(dir, port)` returns after writing its
/// files into `dir`; a second attempt on a fresh port when the first did not listen.
fn start(program: &Path, config: impl Fn(&Path, u16) -> Vec<String>) -> Proxy {
    for attempt in 0..2 {
        let dir = tempfile::tempdir().expect("temp dir");
        // squid drops its privileges to `proxy`: its log must stay writable.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .expect("chmod temp dir");
        let port = free_port();
        let args = config(dir.path(), port);
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        if wait_listening(&mut child, port) {
            return Proxy {
                child,
                port,
                _dir: dir,
            };
        }
        let _ = child.kill();
        let stderr = child
            .wait_with_output()
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .unwrap_or_default();
        if attempt == 1 {
            let log = std::fs::read_to_string(dir.path().join("cache.log")).unwrap_or_default();
            panic!(
                "{} did not listen on 127.0.0.1:{port} twice: {stderr}\n{log}",
                program.display()
            );
        }
    }
    unreachable!("the second attempt returns or panics")
}

/// squid as a CONNECT proxy. `auth` = Some((user, password)) requires Basic auth;
/// CONNECT to `deny_port` is refused by an `http_access deny` rule (squid's 403 page).
pub fn squid(auth: Option<(&str, &str)>, deny_port: Option<u16>) -> Option<Proxy> {
    let squid = require_program("squid")?;
    let passwd_line = match auth {
        Some((user, pass)) => {
            let openssl = require_program("openssl")?;
            let out = Command::new(openssl)
                .args(["passwd", "-apr1", pass])
                .output()
                .expect("openssl passwd");
            assert!(out.status.success(), "openssl passwd failed");
            Some(format!(
                "{user}:{}\n",
                String::from_utf8_lossy(&out.stdout).trim()
            ))
        }
        None => None,
    };
    Some(start(&squid, |dir, port| {
        let d = dir.display();
        let mut conf = format!(
            "http_port 127.0.0.1:{port}\n\
             pid_filename none\n\
             cache deny all\n\
             access_log none\n\
             cache_log {d}/cache.log\n\
             coredump_dir {d}\n\
             shutdown_lifetime 0 seconds\n\
             acl CONNECT method CONNECT\n"
        );
        if let Some(p) = deny_port {
            conf.push_str(&format!(
                "acl denied_port port {p}\nhttp_access deny CONNECT denied_port\n"
            ));
        }
        match &passwd_line {
            Some(line) => {
                std::fs::write(dir.join("passwd"), line).expect("write passwd");
                conf.push_str(&format!(
                    "auth_param basic program /usr/lib/squid/basic_ncsa_auth {d}/passwd\n\
                     auth_param basic realm wsdoctor-test\n\
                     acl authed proxy_auth REQUIRED\n\
                     http_access allow authed\n"
                ));
            }
            None => conf.push_str("http_access allow all\n"),
        }
        conf.push_str("http_access deny all\n");
        let path = dir.join("squid.conf");
        std::fs::write(&path, conf).expect("write squid.conf");
        vec!["-N".into(), "-f".into(), path.display().to_string()]
    }))
}

/// The `location` lines nginx needs to pass a WebSocket on (with the map in `nginx`).
pub const NGINX_UPGRADE: &str = "proxy_http_version 1.1;\n      \
     proxy_set_header Upgrade $http_upgrade;\n      \
     proxy_set_header Connection $connection_upgrade;";

/// nginx as a reverse proxy of `/` to 127.0.0.1:`backend`, with `location` lines.
/// It runs as root here, so everything it writes stays under a temp prefix (`-p`),
/// and the process-level settings come from `-g` as an operator would pass them.
pub fn nginx(backend: u16, location: &str) -> Option<Proxy> {
    let nginx = require_program("nginx")?;
    Some(start(&nginx, |dir, port| {
        let d = dir.display();
        let conf = format!(
            "events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n\
             \x20 client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             \x20 fastcgi_temp_path {d}/fcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             \x20 map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}\n\
             \x20 server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      \
             proxy_pass http://127.0.0.1:{backend};\n      {location}\n    }}\n  }}\n}}\n"
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf).expect("write nginx.conf");
        vec![
            "-p".into(),
            d.to_string(),
            "-c".into(),
            path.display().to_string(),
            "-g".into(),
            format!("daemon off; master_process off; pid {d}/nginx.pid; error_log stderr;"),
        ]
    }))
}

/// HAProxy in http mode in front of 127.0.0.1:`backend`, with `timeout tunnel`.
pub fn haproxy(backend: u16, tunnel: &str) -> Option<Proxy> {
    let haproxy = require_program("haproxy")?;
    Some(start(&haproxy, |dir, port| {
        let conf = format!(
            "global\n  maxconn 64\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  \
             timeout server 30s\n  timeout tunnel {tunnel}\n\
             frontend fe\n  bind 127.0.0.1:{port}\n  default_backend be\n\
             backend be\n  server s1 127.0.0.1:{backend}\n"
        );
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, conf).expect("write haproxy.cfg");
        vec!["-db".into(), "-f".into(), path.display().to_string()]
    }))
}

/// Whether python3 can import `websockets`; a missing library fails loudly under CI.
fn python_websockets() -> Option<PathBuf> {
    let py = require_program("python3")?;
    let ok = Command::new(&py)
        .args(["-c", "import websockets"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if crate::common::peers_required() {
            panic!("Python `websockets` is missing: run scripts/test.sh, which installs it");
        }
        eprintln!("!!! SKIPPING: Python websockets is not installed");
        return None;
    }
    Some(py)
}

/// A Python `websockets` server whose handler calls `time.sleep(0.1)` per message:
/// the synchronous call blocks the one event loop, so every connection stalls.
const BLOCKING_SERVER: &str = r#"
import asyncio, sys, time
import websockets
from websockets.asyncio.server import serve

async def handler(ws):
    try:
        async for msg in ws:
            time.sleep(0.1)  # the fault under test: blocking the event loop
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass

async def main():
    async with serve(handler, "127.0.0.1", 0) as server:
        print("PORT", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"#;

pub fn blocking_echo() -> Option<Peer> {
    let py = python_websockets()?;
    let mut cmd = Command::new(py);
    cmd.args(["-c", BLOCKING_SERVER]);
    Some(start_peer(cmd))
}

/// A Python `websockets` echo over TLS with the certificate and key given as arguments.
const TLS_ECHO: &str = r#"
import asyncio, ssl, sys
import websockets
from websockets.asyncio.server import serve

async def echo(ws):
    try:
        async for msg in ws:
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass

async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    async with serve(echo, "127.0.0.1", 0, ssl=ctx) as server:
        print("PORT", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"#;

/// A wss:// echo on 127.0.0.1 and the CA file that verifies it (for `--cacert`).
pub struct TlsEcho {
    pub peer: Peer,
    pub ca: PathBuf,
    _dir: tempfile::TempDir,
}

/// Makes a CA and a leaf for IP 127.0.0.1 with openssl, and serves the TLS echo.
pub fn tls_echo() -> Option<TlsEcho> {
    let openssl = require_program("openssl")?;
    let py = python_websockets()?;
    let dir = tempfile::tempdir().expect("temp dir");
    let p = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(
        dir.path().join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write leaf.ext");
    let (ca_key, ca_pem) = (p("ca.key"), p("ca.pem"));
    let (leaf_key, leaf_csr, leaf_pem, leaf_ext) =
        (p("leaf.key"), p("leaf.csr"), p("leaf.pem"), p("leaf.ext"));
    let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    let run = |fixed: &str, paths: &[&str]| {
        let out = Command::new(&openssl)
            .args(fixed.split_whitespace())
            .args(paths)
            .stdin(Stdio::null())
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {fixed} {paths:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        &format!("req -x509 {ec} -days 400 -subj /CN=wsdoctor-test-CA"),
        &["-keyout", &ca_key, "-out", &ca_pem],
    );
    run(
        &format!("req -new {ec} -subj /CN=127.0.0.1"),
        &["-keyout", &leaf_key, "-out", &leaf_csr],
    );
    run(
        "x509 -req -days 400 -set_serial 2",
        &[
            "-in", &leaf_csr, "-CA", &ca_pem, "-CAkey", &ca_key, "-extfile", &leaf_ext, "-out",
            &leaf_pem,
        ],
    );
    let mut cmd = Command::new(py);
    cmd.args(["-c", TLS_ECHO, &leaf_pem, &leaf_key]);
    let peer = start_peer(cmd);
    Some(TlsEcho {
        peer,
        ca: dir.path().join("ca.pem"),
        _dir: dir,
    })
}

/// Every proxy variable curl and wsdoctor read: each run starts from none of them.
const PROXY_VARS: [&str; 12] = [
    "ws_proxy",
    "WS_PROXY",
    "wss_proxy",
    "WSS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// One `wsdoctor check --json` run: exit code, report, wall time.
pub struct Run {
    pub code: i32,
    pub report: Value,
    pub secs: f64,
}

impl Run {
    /// The finding ids, sorted (the assertions are about which causes, not their order).
    pub fn ids(&self) -> Vec<String> {
        let mut ids = crate::common::ids(&self.report);
        ids.sort();
        ids
    }

    /// The layer of the finding `id`.
    pub fn layer(&self, id: &str) -> Option<&str> {
        self.report["findings"]
            .as_array()?
            .iter()
            .find(|f| f["id"] == id)?["layer"]
            .as_str()
    }

    pub fn evidence(&self) -> &Value {
        &self.report["evidence"]
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}, {:.2} s\n{:#}",
            self.code, self.secs, self.report
        )
    }
}

/// `wsdoctor check <args> --json` with exactly the proxy environment `env`.
pub fn check(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = wsdoctor();
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().copied())
        .arg("check")
        .args(args)
        .arg("--json");
    let started = Instant::now();
    let out = cmd.output().expect("run wsdoctor");
    let secs = started.elapsed().as_secs_f64();
    let code = out.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); exit {code}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run { code, report, secs }
}

/// Asserts the sorted finding ids and the exit code, printing the report if not.
#[track_caller]
pub fn expect(run: &Run, ids: &[&str], code: i32) {
    let mut want: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(run.ids(), want, "{run}");
    assert_eq!(run.code, code, "{run}");
}

/// Asserts a healthy run: no finding above info, verdict ok, exit 0, an echo.
#[track_caller]
pub fn expect_ok(run: &Run, infos: &[&str]) {
    expect(run, infos, 0);
    assert_eq!(run.report["verdict"], "ok", "{run}");
    assert_eq!(
        run.evidence()["session"]["message"]["kind"],
        "echoed",
        "{run}"
    );
}
