//! Helpers shared by the command-line integration tests: the binary under test,
//! real peers started on 127.0.0.1:0, and the rule that a missing peer fails loudly
//! when WSDOCTOR_REQUIRE_PEERS=1 (the test script and CI set it).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `wsdoctor` as a `Command`, colour off.
pub fn wsdoctor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wsdoctor"));
    c.env("NO_COLOR", "1")
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("https_proxy")
        .env_remove("http_proxy")
        .env_remove("all_proxy");
    c
}

/// Run wsdoctor with args and `--json`, returning (exit code, parsed JSON).
pub fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = wsdoctor()
        .args(args)
        .arg("--json")
        .output()
        .expect("run wsdoctor");
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); exit {code}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}

/// Run wsdoctor with args and `--json`, feeding `input` on stdin.
pub fn json_with_stdin(args: &[&str], input: &[u8]) -> (i32, serde_json::Value) {
    use std::io::Write;
    let mut child = wsdoctor()
        .args(args)
        .arg("--json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn wsdoctor");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for wsdoctor");
    let v = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    (out.status.code().unwrap_or(-1), v)
}

/// The finding ids of a report.
pub fn ids(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a missing peer is a failure (CI, the test script) or a loud skip.
pub fn peers_required() -> bool {
    std::env::var_os("WSDOCTOR_REQUIRE_PEERS").is_some() || std::env::var_os("CI").is_some()
}

/// Find an external program; `None` (with a loud note) when it is missing and peers
/// are not required, a panic when they are.
pub fn require_program(name: &str) -> Option<PathBuf> {
    let dirs = std::env::var("PATH").unwrap_or_default();
    let found = dirs
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"])
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        if peers_required() {
            panic!("required peer `{name}` is missing: run scripts/test.sh, which installs it");
        }
        eprintln!("!!! SKIPPING: `{name}` is not installed (scripts/test.sh installs it)");
    }
    found
}

/// A child process that is killed when dropped: no orphan servers.
pub struct Peer {
    pub child: Child,
    pub port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start a peer that prints `PORT <n>` on stdout once it listens (tests/peers/*).
pub fn start_peer(mut cmd: Command) -> Peer {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start peer");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(p) = line.strip_prefix("PORT ") {
                let _ = tx.send(p.trim().parse::<u16>().ok());
                return;
            }
        }
        let _ = tx.send(None);
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let port = rx
        .recv_timeout(deadline - Instant::now())
        .ok()
        .flatten()
        .expect("peer did not report its port within 20 s");
    Peer { child, port }
}

/// The Python `websockets` echo server (a real peer), with extra arguments.
pub fn python_echo(extra: &[&str]) -> Option<Peer> {
    let py = require_program("python3")?;
    let ok = Command::new(&py)
        .args(["-c", "import websockets"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if peers_required() {
            panic!("Python `websockets` is missing: run scripts/test.sh, which installs it");
        }
        eprintln!("!!! SKIPPING: Python websockets is not installed");
        return None;
    }
    let mut cmd = Command::new(py);
    cmd.arg(repo_root().join("tests/peers/echo_websockets.py"))
        .args(extra);
    Some(start_peer(cmd))
}

/// The Node `ws` echo server (a real peer).
pub fn node_echo() -> Option<Peer> {
    let node = require_program("node")?;
    let dir = repo_root().join("tests/peers");
    if !dir.join("node_modules/ws").is_dir() {
        if peers_required() {
            panic!("Node `ws` is missing: run scripts/test.sh (npm install in tests/peers)");
        }
        eprintln!("!!! SKIPPING: Node ws is not installed");
        return None;
    }
    let mut cmd = Command::new(node);
    cmd.current_dir(&dir).arg("echo_ws.js");
    Some(start_peer(cmd))
}
