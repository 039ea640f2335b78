//! `wsdoctor check` against a real application server whose WebSocket support is off:
//! uvicorn (a peer nobody here wrote) run with `--ws none`, which is what it does when
//! neither websockets nor wsproto is installed. The same app under the same uvicorn with
//! WebSocket support on is healthy, so the only difference is the stack's support, and
//! `check` must name it beside the generic 404.

mod common;

use common::*;
use std::process::Command;

/// uvicorn serving tests/peers/uvicorn_app.py with `--ws <ws>`, or `None` with a loud skip.
fn uvicorn(ws: &str) -> Option<Peer> {
    let py = python_with("uvicorn, websockets", "uvicorn")?;
    let mut cmd = Command::new(py);
    cmd.arg(repo_root().join("tests/peers/uvicorn_app.py"))
        .arg(ws);
    Some(start_peer(cmd))
}

#[test]
fn uvicorn_without_websocket_support_is_named_beside_the_404() {
    let Some(off) = uvicorn("none") else {
        return;
    };
    let (code, r) = json(&["check", &format!("ws://127.0.0.1:{}/ws", off.port)]);
    assert_eq!(r["evidence"]["http"]["outcome"]["status"], 404, "{r:#}");
    assert_eq!(
        ids(&r),
        ["http-not-found", "server-websocket-unsupported"],
        "{r:#}"
    );
    assert_eq!(code, 15, "http layer exit code");
    let stack = &r["findings"][1];
    assert_eq!(stack["blame"], "server");
    let evidence: Vec<&str> = stack["evidence"]
        .as_array()
        .expect("evidence lines")
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert!(
        evidence.contains(&"answered by uvicorn (server: uvicorn)"),
        "{evidence:?}"
    );

    // The same app and uvicorn with WebSocket support on: nothing to report.
    let Some(on) = uvicorn("websockets") else {
        return;
    };
    let (code, r) = json(&["check", &format!("ws://127.0.0.1:{}/ws", on.port)]);
    assert_eq!(ids(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(code, 0);
}
