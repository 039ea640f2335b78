//! Hostile input and hostile servers (issue 10): flags that overflow, CR/LF and
//! secrets in flags, URLs that only look usable, local files that are not what they
//! claim, and loopback servers that flood, lie or echo secrets back. Every server
//! here binds 127.0.0.1:0 and serves a bounded number of connections.

mod common;

use common::*;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    wsdoctor().args(args).output().expect("run wsdoctor")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2, a message from wsdoctor (not clap's, not a panic).
fn assert_usage(args: &[&str]) -> String {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

#[test]
fn timeouts_that_overflow_a_duration_are_usage_errors() {
    for t in ["1e19", "1e300", "inf", "nan", "-1", "100000"] {
        for flag in ["--timeout", "--idle", "--ping-interval"] {
            assert_usage(&["check", "ws://127.0.0.1:1/", flag, t]);
        }
    }
}

#[test]
fn line_breaks_in_request_flags_are_refused() {
    for flag in ["--origin", "--subprotocol", "--extension"] {
        let err = assert_usage(&["check", "ws://127.0.0.1:1/", flag, "a\r\nX-Evil: 1"]);
        assert!(err.contains(flag), "{flag}: {err}");
    }
}

#[test]
fn a_malformed_header_is_refused_without_echoing_its_value() {
    for h in [
        "Authorization Bearer s3cr3tvalue",
        "Bad Name: s3cr3tvalue",
        "Authorization: Bearer s3cr3tvalue\r\nX: y",
    ] {
        let err = assert_usage(&["check", "ws://127.0.0.1:1/", "-H", h]);
        assert!(!err.contains("s3cr3tvalue"), "{h:?}: {err}");
    }
}

#[test]
fn address_family_flags_that_contradict_an_ip_literal() {
    assert_usage(&["check", "ws://127.0.0.1:1/", "-6"]);
    assert_usage(&["check", "ws://[::1]:1/", "-4"]);
}

#[test]
fn an_unsupported_proxy_scheme_is_a_usage_error() {
    for p in ["ftp://proxy:21", "socks4://proxy:1080", "http://"] {
        let err = assert_usage(&["check", "ws://127.0.0.1:1/", "--proxy", p]);
        assert!(err.contains("--proxy"), "{p}: {err}");
    }
}

#[test]
fn bad_tls_files_are_usage_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "this is not PEM\n").expect("write");
    let junk = junk.to_str().expect("utf-8 path");
    for args in [vec!["--cacert", junk], vec!["--cert", junk, "--key", junk]] {
        let mut all = vec!["check", "wss://127.0.0.1:1/"];
        all.extend(args);
        let err = assert_usage(&all);
        assert!(err.contains("junk.pem"), "{err}");
    }
}

#[test]
fn port_zero_and_oversized_hosts_fail_at_the_url_layer() {
    let long = format!("ws://{}.example/", "a".repeat(10_000));
    for url in ["ws://127.0.0.1:0/", "ws://localhost:0/", long.as_str()] {
        let (code, r) = json(&["check", url, "--timeout", "2"]);
        assert_eq!(ids(&r), ["url-unparseable"], "{url:.60}: {r:#}");
        assert_eq!(code, 10, "{url:.60}");
        assert!(
            r.to_string().len() < 8_000,
            "the report quotes a bounded host"
        );
    }
}

#[test]
fn completions_to_a_full_device_are_an_error_not_a_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let o = wsdoctor()
        .args(["completions", "bash"])
        .stdout(full)
        .output()
        .expect("run");
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.starts_with("wsdoctor:"), "{err}");
}
