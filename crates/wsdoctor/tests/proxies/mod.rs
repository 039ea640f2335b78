//! The end-to-end tests of `wsdoctor check` through real intermediaries (squid,
//! nginx, HAProxy: started by `wsdoctor-testkit`), the peers behind them that the kit
//! does not have (a TLS echo with a CA made by openssl, an echo whose handler blocks
//! the event loop), and running `check` with its JSON parsed. Every child is killed
//! on drop.
// Each test binary uses a different subset of these helpers and re-exports.
#![allow(dead_code)]

use crate::common::{Peer, python_websockets, require_program, start_peer, wsdoctor};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;
pub use wsdoctor_testkit::{NGINX_UPGRADE, free_port, haproxy, nginx, squid};

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
