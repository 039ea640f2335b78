//! `wsdoctor pcap` on real traffic: tcpdump captures loopback while `wsdoctor check`
//! runs against lab scenarios, then the capture is diagnosed connection by connection
//! (`--filter` picks each scenario's port) and the cause ids must be the ones the live
//! check reported. Scenarios a capture cannot see the same way are listed in
//! `CANNOT_AGREE` with the reason, and the README's agreement table says the same.

mod common;

use common::{require_program, wsdoctor};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Scenarios whose capture must give check's causes.
const AGREE: &[&str] = &[
    "healthy-echo",
    "plain-http-site",
    "wrong-path",
    "redirect",
    "upgrade-required",
    "bad-request",
    "server-error",
    "socketio-endpoint",
    "sockjs-endpoint",
    "http-1-0-server",
    "bad-gateway",
    "service-unavailable",
    "gateway-timeout",
    "black-hole",
    "connection-reset",
    "wrong-accept",
    "no-upgrade-header",
    "no-connection-header",
    "subprotocol-not-echoed",
    "subprotocol-unrequested",
    "extension-unoffered",
    "origin-forbidden",
    "auth-required",
    "no-pong",
    "masked-frames",
    "invalid-utf8",
    "reserved-bits",
    "close-1011",
    "abrupt-eof",
    "message-too-big",
    "ws-to-tls-port",
    "proxy-drops-upgrade",
    "healthy-behind-proxy",
    "spa-catch-all",
    "slow-echo",
    "close-after-messages",
    // TLS: check writes SSLKEYLOGFILE, pcap reads it with --keylog (and check's
    // --cacert), so the certificates and what runs inside are judged alike.
    "wss-to-plain-port",
    "tls-expired",
    "tls-not-yet-valid",
    "tls-self-signed",
    "tls-wrong-host",
    "tls-unknown-ca",
    "tls-missing-intermediate",
    "tls-client-cert-required",
    "tls-intercepted",
    "healthy-tls-echo",
];

/// Scenarios a capture cannot diagnose as the live check does, and why (the README's
/// agreement table says the same).
const CANNOT_AGREE: &[(&str, &str)] = &[
    ("h2-connect-rejected", H2),
    ("h2-connect-no-answer", H2),
    ("h2-alpn-mismatch", H2),
    ("h2-protocol-stripped", H2),
    ("h2-only-works", H2),
    ("h2-stream-reset", H2),
    ("h2-masked-frames", H2),
    ("h2-flow-control-stall", H2),
    ("healthy-h2-echo", H2),
    ("h2-no-connect-protocol", H2),
    (
        "forward-proxy-auth",
        "the client speaks CONNECT to the proxy, not an Upgrade",
    ),
    (
        "forward-proxy-refuses",
        "the client speaks CONNECT to the proxy, not an Upgrade",
    ),
    (
        "proxy-idle-cut",
        "the lab cuts after 500 ms, under the 10 s a capture calls idle: session-abrupt-eof",
    ),
    (
        "stops-reading",
        "check's no-echo is its own test (it sent an echo request); a message an application's server does not answer is no fault, so a capture reports only the unanswered ping and close",
    ),
    (
        "blocked-event-loop",
        "check's own load experiment (round trips with and without load)",
    ),
];

/// Why the HTTP/2 scenarios cannot agree.
const H2: &str = "HTTP/2 inside TLS is decrypted but its frames are not decoded yet";

/// How long tcpdump may take to start capturing, and to write what it saw.
const CAPTURE_WAIT: Duration = Duration::from_secs(20);

#[test]
fn captured_lab_scenarios_get_the_causes_the_live_check_reported() {
    let Some(tcpdump) = require_program("tcpdump") else {
        return;
    };
    let lab = Lab::start(AGREE);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("lab.pcap");
    // A port of our own marks the start and the end of the capture in the file.
    let marker = TcpListener::bind("127.0.0.1:0").expect("bind marker");
    let marker_port = marker.local_addr().expect("addr").port();
    let ports: Vec<String> = lab
        .scenarios
        .iter()
        .map(|s| s.port.to_string())
        .chain([marker_port.to_string()])
        .collect();
    let filter = format!(
        "tcp and host 127.0.0.1 and (port {})",
        ports.join(" or port ")
    );
    let mut dump = Capture::start(&tcpdump, &file, &filter);
    dump.mark(marker_port);
    let keys = dir.path().join("keys.log");
    let mut live = Vec::new();
    for s in &lab.scenarios {
        let out = wsdoctor()
            .env("SSLKEYLOGFILE", &keys)
            .arg("check")
            .args(&s.check)
            .arg("--json")
            .output()
            .expect("run check");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: check output not JSON: {e}", s.name));
        live.push(ids(&v["findings"]));
    }
    dump.mark(marker_port);
    dump.stop();
    let mut disagree = Vec::new();
    for (s, live) in lab.scenarios.iter().zip(&live) {
        let mut pcap = wsdoctor();
        pcap.args(["pcap", "--json", "--keylog"]).arg(&keys);
        if let Some(i) = s.check.iter().position(|a| a == "--cacert") {
            pcap.args(&s.check[i..i + 2]);
        }
        let out = pcap
            .arg("--filter")
            .arg(format!("127.0.0.1:{}", s.port))
            .arg(&file)
            .output()
            .expect("run pcap");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: pcap output not JSON: {e}", s.name));
        let conns = v["connections"].as_array().expect("connections[]");
        assert!(
            !conns.is_empty(),
            "{}: no connection in the capture",
            s.name
        );
        let captured: BTreeSet<String> = conns.iter().flat_map(|c| ids(&c["findings"])).collect();
        let expected: BTreeSet<String> = s.expect.iter().cloned().collect();
        // The live check itself must have found what the scenario declares, so the
        // comparison is with a correct diagnosis.
        assert!(
            expected.is_subset(live),
            "{}: live check gave {live:?}",
            s.name
        );
        if &captured != live {
            disagree.push(format!("{}: live {live:?}, capture {captured:?}", s.name));
        }
        if s.name == "tls-expired" {
            // Without the key log TLS 1.3 hides the certificate: the failure is seen,
            // its cause is not, and the report says how to see it.
            let out = wsdoctor()
                .args(["pcap", "--json", "--filter"])
                .arg(format!("127.0.0.1:{}", s.port))
                .arg(&file)
                .output()
                .expect("run pcap");
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("pcap JSON");
            let conns = v["connections"].as_array().expect("connections[]");
            let blind: BTreeSet<String> = conns.iter().flat_map(|c| ids(&c["findings"])).collect();
            assert_eq!(blind, BTreeSet::from(["tls-handshake-failed".to_string()]));
            assert!(
                conns[0]["notes"].as_array().is_some_and(|n| n
                    .iter()
                    .any(|n| n.as_str().is_some_and(|n| n.contains("--keylog")))),
                "{}",
                conns[0]
            );
        }
        let code = out.status.code();
        let want = if live.is_empty() { Some(0) } else { Some(1) };
        assert_eq!(code, want, "{}: exit code", s.name);
    }
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
}

/// A real TLS 1.2 client (Python's ssl with `keylog_filename`, through `websockets`)
/// against the lab's healthy wss:// echo, once with AES-GCM and once with
/// ChaCha20-Poly1305: with its key log the capture shows both sessions' frames inside
/// TLS 1.2, and no finding.
#[test]
fn tls_1_2_sessions_are_decrypted_with_the_clients_key_log() {
    let Some(tcpdump) = require_program("tcpdump") else {
        return;
    };
    let Some(python) = require_program("python3") else {
        return;
    };
    let lab = Lab::start(&["healthy-tls-echo"]);
    let s = &lab.scenarios[0];
    let i = s
        .check
        .iter()
        .position(|a| a == "--cacert")
        .expect("--cacert");
    let ca = s.check[i + 1].clone();
    let url = s.check.last().expect("url").clone();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("tls12.pcap");
    let keys = dir.path().join("keys.log");
    let marker = TcpListener::bind("127.0.0.1:0").expect("bind marker");
    let marker_port = marker.local_addr().expect("addr").port();
    let filter = format!(
        "tcp and host 127.0.0.1 and (port {} or port {marker_port})",
        s.port
    );
    let mut dump = Capture::start(&tcpdump, &file, &filter);
    dump.mark(marker_port);
    let client = r#"
import asyncio, ssl, sys, websockets
async def main(url, ca, keys, ciphers):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    ctx.keylog_filename = keys
    async with websockets.connect(url, ssl=ctx, open_timeout=10) as ws:
        await ws.send("over tls 1.2")
        assert await asyncio.wait_for(ws.recv(), 10) == "over tls 1.2"
asyncio.run(main(*sys.argv[1:]))
"#;
    for ciphers in ["ECDHE+AESGCM", "ECDHE+CHACHA20"] {
        let out = Command::new(&python)
            .args(["-c", client, &url, &ca])
            .arg(&keys)
            .arg(ciphers)
            .output()
            .expect("run the Python client");
        assert!(
            out.status.success(),
            "{ciphers}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dump.mark(marker_port);
    dump.stop();
    let out = wsdoctor()
        .args(["pcap", "--json", "--cacert", &ca, "--keylog"])
        .arg(&keys)
        .arg("--filter")
        .arg(format!("127.0.0.1:{}", s.port))
        .arg(&file)
        .output()
        .expect("run pcap");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("pcap JSON");
    assert_eq!(out.status.code(), Some(0), "{v}");
    let conns = v["connections"].as_array().expect("connections[]");
    assert_eq!(conns.len(), 2, "{v}");
    let mut ciphers = BTreeSet::new();
    for c in conns {
        let tls = &c["evidence"]["tls"];
        assert_eq!(tls["version"], "TLSv1.2", "{c}");
        ciphers.insert(tls["cipher"].as_str().expect("cipher").to_string());
        assert!(ids(&c["findings"]).is_empty(), "{c}");
        // The message, its echo and both closes.
        assert!(c["frames"].as_u64().expect("frames") >= 4, "{c}");
        assert_eq!(c["evidence"]["http"]["outcome"]["status"], 101, "{c}");
    }
    assert!(ciphers.iter().any(|c| c.contains("AES_")), "{ciphers:?}");
    assert!(
        ciphers.iter().any(|c| c.contains("CHACHA20")),
        "{ciphers:?}"
    );
}

/// A key log that is not one is refused with the reason, before any capture is read.
#[test]
fn a_bad_key_log_is_a_usage_error_naming_the_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = dir.path().join("keys.log");
    std::fs::write(&keys, "not a key log\n").expect("write");
    let out = wsdoctor()
        .args(["pcap", "--keylog"])
        .arg(&keys)
        .arg(dir.path().join("missing.pcap"))
        .output()
        .expect("run pcap");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET"), "{err}");
}

/// Every lab scenario is in one of the two lists: a new one must be classified.
#[test]
fn every_lab_scenario_is_captured_or_said_not_to_agree() {
    let out = wsdoctor()
        .args(["lab", "--list", "--json"])
        .output()
        .expect("lab --list");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("lab JSON");
    let all: BTreeSet<&str> = v["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    let listed: BTreeSet<&str> = AGREE
        .iter()
        .copied()
        .chain(CANNOT_AGREE.iter().map(|(n, _)| *n))
        .collect();
    assert_eq!(all, listed);
    assert_eq!(
        listed.len(),
        AGREE.len() + CANNOT_AGREE.len(),
        "a scenario in both lists"
    );
}

fn ids(findings: &serde_json::Value) -> BTreeSet<String> {
    findings
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["id"].as_str().map(str::to_string))
        .collect()
}

/// A served scenario: its port, check's arguments and the causes it declares.
struct Served {
    name: String,
    port: u16,
    check: Vec<String>,
    expect: Vec<String>,
}

/// `wsdoctor lab --only …`, killed when dropped.
struct Lab {
    child: Child,
    scenarios: Vec<Served>,
}

impl Lab {
    fn start(names: &[&str]) -> Lab {
        let mut child = wsdoctor()
            .args(["lab", "--json", "--only", &names.join(",")])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start wsdoctor lab");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("lab ready within 30 s");
        let v: serde_json::Value = serde_json::from_str(&line).expect("lab JSON");
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        let scenarios = v["scenarios"]
            .as_array()
            .expect("scenarios")
            .iter()
            .map(|s| {
                let url = s["url"].as_str().expect("url");
                let port = url
                    .trim_start_matches("ws://127.0.0.1:")
                    .trim_start_matches("wss://127.0.0.1:")
                    .split('/')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| panic!("a ws://127.0.0.1:PORT URL: {url}"));
                Served {
                    name: s["name"].as_str().expect("name").to_string(),
                    port,
                    check: strings(&s["check"]),
                    expect: strings(&s["expect"]),
                }
            })
            .collect::<Vec<_>>();
        assert_eq!(scenarios.len(), names.len(), "every scenario served");
        Lab { child, scenarios }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// tcpdump writing packets as they come (`--immediate-mode -U`), stopped by SIGINT.
struct Capture {
    child: Child,
    file: std::path::PathBuf,
}

impl Capture {
    fn start(tcpdump: &Path, file: &Path, filter: &str) -> Capture {
        let child = Command::new(tcpdump)
            .args(["-i", "lo", "--immediate-mode", "-U", "-w"])
            .arg(file)
            .arg(filter)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tcpdump");
        Capture {
            child,
            file: file.to_path_buf(),
        }
    }

    /// Connects to the marker port until the file has grown by that connection's
    /// packets: capture is running and everything before has been written.
    fn mark(&mut self, port: u16) {
        let size = || std::fs::metadata(&self.file).map_or(0, |m| m.len());
        let before = size();
        let end = Instant::now() + CAPTURE_WAIT;
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("tcpdump exited ({status}): is this root, with a loopback device?");
            }
            drop(TcpStream::connect(("127.0.0.1", port)).expect("connect to the marker"));
            let wait = Instant::now() + Duration::from_millis(200);
            while Instant::now() < wait {
                // SYN, SYN-ACK, ACK, FIN…: at least three records of 16 + 54 bytes.
                if size() >= before + 3 * 70 {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("tcpdump wrote nothing within {CAPTURE_WAIT:?}");
    }

    fn stop(mut self) {
        // SIGINT lets tcpdump flush and close the file.
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on the pid of our own child.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
        let end = Instant::now() + CAPTURE_WAIT;
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("tcpdump did not stop within {CAPTURE_WAIT:?} of SIGINT");
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
