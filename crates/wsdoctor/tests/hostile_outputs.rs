//! Every output of `lint`, `logs`, `explain` and `lab` (human, JSON, SARIF, and the
//! messages on stderr) goes through the one last pass (`render::shown`): hostile
//! input carrying terminal escape sequences and planted secrets of every shape must
//! come out with the escapes shown as text and no secret in it (issue 10).

mod common;

use common::wsdoctor;
use std::io::Write;
use std::process::{Output, Stdio};

/// Secret shapes planted in the inputs; each marker must never be printed.
const MARKERS: &[&str] = &[
    "pw1Plant",
    "bear2Plant",
    "basic3Plant",
    "cook4Plant",
    "cook5Plant",
    "tok6Plant",
    "tok7Plant",
    "amz8Plant",
    "har9Plant",
    "frag10Plant",
];

/// Text with every marker in a shape the redaction table knows, and escapes.
const HOSTILE: &str = "\x1b]0;pwned\x07\x1b[2J wss://bob:pw1Plant@app.example/ws?accessToken=tok6Plant&id_token=tok7Plant#access_token=frag10Plant \
Authorization: Bearer bear2Plant \x1b[31m Authorization: Basic basic3Plant \
Cookie: a=cook4Plant; b=cook5Plant X-Amz-Security-Token: amz8Plant \
{\"name\":\"Authorization\",\"value\":\"Token har9Plant\"}";

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = wsdoctor()
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wsdoctor");
    if let Some(input) = stdin {
        let mut w = child.stdin.take().expect("piped stdin");
        // A reader that stops at its cap may refuse the rest: expected.
        let _ = w.write_all(input);
    }
    child.wait_with_output().expect("wait for wsdoctor")
}

/// Asserts that neither stream holds a marker or a raw escape (ESC, BEL), and that
/// wsdoctor did not panic. Returns stdout.
fn assert_clean(what: &str, o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!err.contains("panicked"), "{what}: {err}");
    for (name, text) in [("stdout", &out), ("stderr", &err)] {
        let leaked: Vec<_> = MARKERS.iter().filter(|m| text.contains(*m)).collect();
        assert!(leaked.is_empty(), "{what}: {leaked:?} in {name}:\n{text}");
        assert!(
            !text.contains(['\u{1b}', '\u{7}']),
            "{what}: raw escape in {name}:\n{text:?}"
        );
    }
    out
}

#[test]
fn lint_outputs_show_no_secret_and_no_raw_escape() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The file name itself carries an escape sequence: it is printed as a path.
    let conf = dir.path().join("site\x1b]0;t\x07.conf");
    std::fs::write(
        &conf,
        format!(
            "server {{\n  # {HOSTILE}\n  location /ws\x1b[2J {{\n    proxy_pass http://bob:pw1Plant@backend;\n    \
             proxy_set_header Authorization \"Bearer bear2Plant\";\n    proxy_set_header Cookie \"a=cook4Plant; b=cook5Plant\";\n  }}\n}}\n"
        ),
    )
    .expect("write");
    let conf = conf.to_str().expect("utf-8 path");
    for format in ["human", "json", "sarif"] {
        let o = run(&["lint", "--format", format, conf], None);
        let out = assert_clean(&format!("lint --format {format}"), &o);
        if format != "human" {
            serde_json::from_str::<serde_json::Value>(&out)
                .unwrap_or_else(|e| panic!("lint --format {format} is JSON ({e}):\n{out}"));
        }
    }
}

#[test]
fn logs_outputs_show_no_secret_and_no_raw_escape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app\x1b[2J.log");
    std::fs::write(
        &log,
        format!(
            "2026/01/01 00:00:00 [error] 1#1: *1 upstream prematurely closed connection while reading response header from upstream, request: \"GET /ws?access_token=tok6Plant HTTP/1.1\" {HOSTILE}\n\
             WebSocket connection to 'wss://bob:pw1Plant@app.example/ws?authToken=tok7Plant' failed: Error during WebSocket handshake: Unexpected response code: 502 {HOSTILE}\n"
        ),
    )
    .expect("write");
    let har = dir.path().join("s.har");
    let entry = serde_json::json!({"log": {"entries": [{
        "request": {"url": "wss://app.example/ws?accessToken=tok6Plant\u{1b}]0;t\u{7}",
            "headers": [{"name": "Authorization", "value": "Bearer bear2Plant"},
                        {"name": "Cookie", "value": "a=cook4Plant; b=cook5Plant"}]},
        "response": {"status": 403, "headers": [{"name": "Set-Cookie", "value": "sid=cook5Plant"}]}}]}});
    std::fs::write(&har, entry.to_string()).expect("write");
    let missing = dir.path().join("gone\x1b]0;t\x07?token=tok7Plant.log");
    let files = [&log, &har, &missing].map(|p| p.to_str().expect("utf-8").to_string());
    for json in [false, true] {
        let mut args = vec!["logs", "--examples", "5"];
        if json {
            args.push("--json");
        }
        args.extend(files.iter().map(String::as_str));
        let o = run(&args, None);
        let out = assert_clean(&format!("logs json={json}"), &o);
        assert_eq!(
            o.status.code(),
            Some(1),
            "findings, one file missing: {out}"
        );
        if json {
            let v: serde_json::Value = serde_json::from_str(&out).expect("logs --json is JSON");
            assert!(
                v["findings"].as_array().is_some_and(|f| !f.is_empty()),
                "{v:#}"
            );
        }
    }
}

#[test]
fn explain_outputs_show_no_secret_and_no_raw_escape() {
    let paste = format!(
        "WebSocket connection to 'wss://bob:pw1Plant@app.example/ws?accessToken=tok6Plant' failed: Error during WebSocket handshake: Unexpected response code: 401 {HOSTILE}"
    );
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec!["explain", "-"];
        args.extend_from_slice(extra);
        let o = run(&args, Some(paste.as_bytes()));
        let out = assert_clean(&format!("explain {extra:?} (stdin)"), &o);
        assert_eq!(o.status.code(), Some(0), "recognised: {out}");
        let mut args = vec!["explain", paste.as_str()];
        args.extend_from_slice(extra);
        assert_clean(&format!("explain {extra:?} (argument)"), &run(&args, None));
    }
}

#[test]
fn lab_messages_show_no_raw_escape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let existing = dir.path().join("ca\x1b]0;t\x07.pem");
    std::fs::write(&existing, "keep").expect("write");
    let existing = existing.to_str().expect("utf-8");
    for args in [
        vec!["lab", "--only", "\x1b[2Jnope"],
        vec!["lab", "--list", "--only", "\x1b]0;t\x07"],
        vec!["lab", "--ca-out", existing],
    ] {
        let o = run(&args, None);
        assert_clean(&format!("{args:?}"), &o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: a usage error");
    }
    for args in [vec!["lab", "--list"], vec!["lab", "--list", "--json"]] {
        let o = run(&args, None);
        let out = assert_clean(&format!("{args:?}"), &o);
        assert!(out.contains("healthy-echo"), "{args:?}: {out}");
    }
}
