//! `wsdoctor check` end to end against real peers on 127.0.0.1: Python `websockets`
//! and Node `ws` (servers nobody here wrote), Python's http.server, a closed port,
//! and the command-line contract (JSON shape, exit codes, usage errors, redaction).

mod common;

use common::*;
use std::net::TcpListener;

fn closed_port() -> u16 {
    // Bind port 0, note the port, close it: nothing listens there afterwards.
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[test]
fn healthy_python_websockets_echo_is_ok() {
    let Some(peer) = python_echo(&[]) else { return };
    let (code, r) = json(&["check", &format!("ws://127.0.0.1:{}/", peer.port)]);
    assert_eq!(ids(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(r["verdict"], "ok");
    assert_eq!(code, 0);
    let session = &r["evidence"]["session"];
    assert_eq!(session["message"]["kind"], "echoed");
    assert_eq!(session["ping"]["kind"], "pong");
    assert_eq!(session["close"]["kind"], "clean");
    assert_eq!(session["close"]["code"], 1000);
}

#[test]
fn healthy_node_ws_echo_is_ok() {
    let Some(peer) = node_echo() else { return };
    let (code, r) = json(&["check", &format!("ws://127.0.0.1:{}/any/path", peer.port)]);
    assert_eq!(ids(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(code, 0);
}

#[test]
fn python_websockets_without_the_requested_subprotocol() {
    let Some(peer) = python_echo(&["--subprotocol", "v2.chat"]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let (code, r) = json(&["check", &url, "--subprotocol", "v1.chat"]);
    // websockets refuses the Upgrade with 400 "invalid subprotocol; expected one of …".
    assert_eq!(ids(&r), ["http-subprotocol-rejected"], "{r:#}");
    assert_eq!(code, 15, "http layer exit code");
    let (code, r) = json(&["check", &url, "--subprotocol", "v2.chat"]);
    assert_eq!(ids(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(code, 0);
}

#[test]
fn python_websockets_origin_check_answers_403() {
    let Some(peer) = python_echo(&["--origins", "https://app.example"]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let (code, r) = json(&["check", &url, "--origin", "https://evil.example"]);
    assert_eq!(ids(&r), ["http-forbidden"], "{r:#}");
    assert_eq!(r["findings"][0]["layer"], "http");
    assert_eq!(code, 15);
    let (code, _) = json(&["check", &url, "--origin", "https://app.example"]);
    assert_eq!(code, 0);
}

#[test]
fn python_websockets_message_size_limit_closes_1009() {
    let Some(peer) = python_echo(&["--max-size", "8"]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let (code, r) = json(&["check", &url, "--message", "more than eight bytes"]);
    assert!(
        ids(&r).contains(&"session-close-message-too-big".to_string()),
        "{r:#}"
    );
    assert_eq!(code, 17, "session layer exit code");
}

#[test]
fn python_http_server_speaks_http_1_0() {
    let Some(py) = require_program("python3") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let script = "import http.server,socketserver,sys\n\
        s=socketserver.TCPServer(('127.0.0.1',0),http.server.SimpleHTTPRequestHandler)\n\
        print('PORT',s.server_address[1],flush=True)\ns.serve_forever()";
    let mut cmd = std::process::Command::new(py);
    cmd.current_dir(dir.path()).args(["-c", script]);
    let peer = start_peer(cmd);
    let (code, r) = json(&["check", &format!("ws://127.0.0.1:{}/", peer.port)]);
    assert_eq!(ids(&r), ["http-version-1-0"], "{r:#}");
    assert_eq!(code, 15);
}

#[test]
fn closed_port_is_refused() {
    let (code, r) = json(&["check", &format!("ws://127.0.0.1:{}/ws", closed_port())]);
    assert_eq!(ids(&r), ["tcp-refused"]);
    assert_eq!(r["findings"][0]["layer"], "tcp");
    assert_eq!(r["verdict"], "failed");
    assert_eq!(code, 12);
}

#[test]
fn json_contract_fields() {
    let (_, r) = json(&[
        "check",
        &format!("http://user:pw@127.0.0.1:{}/ws?token=s3cret", closed_port()),
    ]);
    assert_eq!(r["schema"], "wsdoctor.report/1");
    let target = r["target"].as_str().expect("target");
    assert!(
        target.starts_with("ws://") && !target.contains("pw") && !target.contains("s3cret"),
        "{target}"
    );
    for f in r["findings"].as_array().expect("findings") {
        for key in ["id", "layer", "severity", "title", "detail", "fix"] {
            assert!(f[key].is_string(), "finding lacks {key}: {f}");
        }
    }
    let layers: Vec<&str> = r["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["layer"].as_str().unwrap())
        .collect();
    assert_eq!(&layers[..3], ["url", "dns", "tcp"]);
    let text = r.to_string();
    assert!(
        !text.contains("s3cret") && !text.contains(":pw@"),
        "a secret leaked into JSON"
    );
    let found = ids(&r);
    for id in [
        "url-http-scheme",
        "url-userinfo",
        "url-secret-in-query",
        "tcp-refused",
    ] {
        assert!(
            found.contains(&id.to_string()),
            "{id} missing from {found:?}"
        );
    }
}

#[test]
fn unusable_url_exits_with_the_url_layer_code() {
    let (code, r) = json(&["check", "gopher://example.com/"]);
    assert_eq!(ids(&r), ["url-unsupported-scheme"]);
    assert_eq!(code, 10);
}

#[test]
fn usage_errors_exit_2_and_name_the_fix() {
    for args in [
        vec!["check", "ws://127.0.0.1:1/", "--resolve", "nonsense"],
        vec!["check", "ws://127.0.0.1:1/", "-H", "no colon here"],
        vec!["check", "ws://127.0.0.1:1/", "--timeout", "0"],
        vec![
            "check",
            "ws://127.0.0.1:1/",
            "--cacert",
            "/nonexistent/ca.pem",
        ],
        vec!["check"],
    ] {
        let out = wsdoctor().args(&args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("wsdoctor") || err.contains("Usage"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn verbose_shows_the_wire_with_secrets_redacted() {
    let Some(peer) = python_echo(&[]) else { return };
    let url = format!("ws://127.0.0.1:{}/?token=s3cret", peer.port);
    let out = wsdoctor()
        .args(["check", &url, "-v", "-H", "Authorization: Bearer hunter2"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines().any(|l| l.starts_with("> GET /?token=")),
        "{err}"
    );
    assert!(
        err.lines().any(|l| l.starts_with("< HTTP/1.1 101")),
        "{err}"
    );
    assert!(err.lines().any(|l| l.starts_with("* ")), "{err}");
    assert!(
        !err.contains("hunter2") && !err.contains("s3cret"),
        "secret leaked: {err}"
    );
    let out = wsdoctor()
        .args([
            "check",
            &url,
            "-v",
            "--show-secrets",
            "-H",
            "Authorization: Bearer hunter2",
        ])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("hunter2"));
}

#[test]
fn a_client_that_does_not_pong_is_closed_by_python_websockets_keepalive() {
    let Some(peer) = python_echo(&["--ping-interval", "0.5", "--ping-timeout", "0.5"]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let (_, r) = json(&["check", &url, "--no-pong", "--idle", "4"]);
    let found = ids(&r);
    assert!(
        found.contains(&"async-server-ping-timeout".to_string()),
        "{found:?}"
    );
    assert!(
        !found.contains(&"proxy-idle-timeout".to_string()),
        "not an idle cut: {found:?}"
    );
    // Answering the pings keeps the same connection open for the whole idle time.
    let (code, r) = json(&["check", &url, "--idle", "2"]);
    assert_eq!(ids(&r), Vec::<String>::new(), "{r:#}");
    assert_eq!(code, 0);
}

/// `--report FILE`: the status page's layout for one check, as headless Chromium reads
/// it — every layer in the waterfall, the failing one, the cause and its fix — and a
/// healthy check's page says there is nothing to fix.
#[test]
fn the_report_file_renders_in_headless_chromium() {
    let Some(chromium) = require_program("chromium") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("report.html");
    let url = format!("ws://127.0.0.1:{}/?token=hunter2", closed_port());
    let out = wsdoctor()
        .args(["check", &url, "--report"])
        .arg(&page)
        .output()
        .expect("run wsdoctor");
    assert_eq!(out.status.code(), Some(12), "the exit code is unchanged");
    let file_url = format!("file://{}", page.display());
    let dom = headless_chromium(&chromium, dir.path(), "--dump-dom", &file_url);
    for layer in ["url", "dns", "tcp", "tls", "http", "handshake", "session"] {
        assert!(
            dom.contains(&format!("<span class=\"ln\">{layer}</span>")),
            "{layer} missing from the waterfall: {dom}"
        );
    }
    assert!(dom.contains("failed at tcp"), "{dom}");
    assert!(
        dom.contains("<li class=\"error\" id=\"finding-tcp-refused\">"),
        "{dom}"
    );
    let fix = wsdoctor_core::CauseId::TcpRefused.cause().fix;
    assert!(dom.contains(&html_escaped(fix)), "{dom}");
    assert!(!dom.contains("hunter2"), "the report is redacted");
    assert!(!dom.contains("<script"));

    let Some(peer) = python_echo(&[]) else { return };
    let out = wsdoctor()
        .args([
            "check",
            &format!("ws://127.0.0.1:{}/", peer.port),
            "--report",
        ])
        .arg(&page)
        .output()
        .expect("run wsdoctor");
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&page).expect("report rewritten");
    assert!(text.contains("No findings: every layer passed."), "{text}");
    assert!(text.contains("<td class=\"ok\">ok<br>"), "{text}");
}

#[test]
fn an_unwritable_report_path_is_named_with_the_fix() {
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    let out = wsdoctor()
        .args([
            "check",
            &url,
            "--report",
            "/nonexistent-wsdoctor-dir/r.html",
        ])
        .output()
        .expect("run wsdoctor");
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--report /nonexistent-wsdoctor-dir/r.html"),
        "{err}"
    );
    assert!(err.contains("writable path"), "{err}");
}
