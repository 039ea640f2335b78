//! `wsdoctor check` against a real Socket.IO server (python-socketio on aiohttp) hit
//! with a raw WebSocket, as a new user does: its 400 is the Socket.IO endpoint, not a
//! generic bad request.

mod common;

use common::*;
use std::process::Command;

/// python-socketio's server (a real peer), or `None` with a loud skip.
fn python_socketio() -> Option<Peer> {
    let py = python_with("socketio, aiohttp", "python-socketio/aiohttp")?;
    let mut cmd = Command::new(py);
    cmd.arg(repo_root().join("tests/peers/socketio_aiohttp.py"));
    Some(start_peer(cmd))
}

#[test]
fn a_raw_websocket_to_python_socketio_is_told_it_hit_socketio() {
    let Some(peer) = python_socketio() else {
        return;
    };
    for path in ["/socket.io/", "/engine.io/"] {
        let url = format!("ws://127.0.0.1:{}{path}", peer.port);
        let (code, r) = json(&["check", &url]);
        if path == "/socket.io/" {
            assert_eq!(r["evidence"]["http"]["outcome"]["status"], 400, "{r:#}");
            assert_eq!(ids(&r), ["http-socketio-endpoint"], "{r:#}");
            assert_eq!(code, 15, "http layer exit code");
        } else {
            // python-socketio serves only /socket.io/: elsewhere aiohttp answers 404,
            // and the engine.io path still tells what the client was after.
            assert!(
                ids(&r).contains(&"http-socketio-endpoint".to_string()),
                "{r:#}"
            );
        }
    }
}
