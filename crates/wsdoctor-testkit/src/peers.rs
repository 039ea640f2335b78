//! Programs the tests need and the WebSocket peers nobody here wrote (Python
//! `websockets`, Node `ws`), each announcing its port with a `PORT <n>` line.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long a peer may take to print its port.
const PEER_START: Duration = Duration::from_secs(20);

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
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

/// Start a peer that prints `PORT <n>` on stdout once it listens; its stdin stays
/// open (closing it is how the peers know to stop).
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
    let port = rx
        .recv_timeout(PEER_START)
        .ok()
        .flatten()
        .expect("peer did not report its port within 20 s");
    Peer { child, port }
}

/// python3, when it can import `websockets`; a missing library fails loudly when
/// peers are required.
pub fn python_websockets() -> Option<PathBuf> {
    python_with("websockets", "Python `websockets`")
}

/// python3, when `import MODULES` (e.g. `"socketio, aiohttp"`) succeeds; otherwise a
/// loud skip naming `what`, or a failure when peers are required (scripts/test.sh
/// installs every Python library the tests use).
pub fn python_with(modules: &str, what: &str) -> Option<PathBuf> {
    let py = require_program("python3")?;
    let ok = Command::new(&py)
        .args(["-c", &format!("import {modules}")])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if peers_required() {
            panic!("{what} is missing: run scripts/test.sh, which installs it");
        }
        eprintln!("!!! SKIPPING: {what} is not installed");
        return None;
    }
    Some(py)
}

/// A Python `websockets` peer script with arguments.
pub fn python_peer(script: &std::path::Path, args: &[&str]) -> Option<Peer> {
    let mut cmd = Command::new(python_websockets()?);
    cmd.arg(script).args(args);
    Some(start_peer(cmd))
}

/// The shared Python `websockets` echo server (tests/peers), with extra arguments.
pub fn python_echo(extra: &[&str]) -> Option<Peer> {
    python_peer(&repo_root().join("tests/peers/echo_websockets.py"), extra)
}

/// The shared Node `ws` echo server (tests/peers).
pub fn node_echo() -> Option<Peer> {
    node_echo_with(&[])
}

/// `node_echo` with arguments for tests/peers/echo_ws.js (e.g. `--max-payload N`).
pub fn node_echo_with(args: &[&str]) -> Option<Peer> {
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
    cmd.current_dir(&dir).arg("echo_ws.js").args(args);
    Some(start_peer(cmd))
}
