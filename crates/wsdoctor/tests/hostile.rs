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

/// Loopback servers that misbehave on purpose. Each binds 127.0.0.1:0, serves at
/// most `max` connections on a thread of its own and reads with a timeout, so a
/// test that goes wrong cannot leave it running or hang on it.
mod servers {
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    /// Reads one request head (up to 16 KiB).
    pub fn read_head(s: &mut TcpStream) -> String {
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        // A timeout or reset ends the head where it is, as a peer hanging up would.
        let head = wsdoctor_testkit::http::read_head(s, 16 * 1024).unwrap_or_default();
        String::from_utf8_lossy(&head).into_owned()
    }

    /// Answers each of up to `max` connections with `reply(request head)`, then
    /// runs `after` on the stream (hold it, flood it) before closing.
    pub fn serve(
        max: usize,
        reply: impl Fn(&str) -> Vec<u8> + Send + 'static,
        after: impl Fn(&mut TcpStream) + Send + 'static,
    ) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = l.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            for s in l.incoming().take(max) {
                let Ok(mut s) = s else { continue };
                let head = read_head(&mut s);
                let _ = s.write_all(&reply(&head));
                after(&mut s);
            }
        });
        port
    }
}

/// Every secret shape the issue lists, each with a marker that must never be
/// printed: (what it is, the marker).
const PLANTED: &[(&str, &str)] = &[
    ("url password", "pw0Plant"),
    ("url password after a backslash", "bs1Plant"),
    ("accessToken query", "q2Plant"),
    ("authToken query", "q3Plant"),
    ("id_token fragment", "f4Plant"),
    ("Bearer", "b5Plant"),
    ("Basic", "b6Plant"),
    ("Token", "b7Plant"),
    ("JWT", "b8Plant"),
    ("Negotiate", "b9Plant"),
    ("AWS4-HMAC-SHA256", "b10Plant"),
    ("cookie one", "c11Plant"),
    ("cookie two", "c12Plant"),
    ("k8s subprotocol", "k13Plant"),
    ("X-Amz-Security-Token", "x14Plant"),
    ("Set-Cookie from the server", "s15Plant"),
    ("redirect Location password", "l16Plant"),
    ("redirect Location code", "l17Plant"),
    ("redirect Location access_token fragment", "l18Plant"),
    ("server echoes Authorization", "e19Plant"),
    ("server X-Amz-Security-Token", "e20Plant"),
    ("server k8s protocol", "e21Plant"),
];

/// A server that answers the Upgrade with a redirect carrying secrets in
/// `Location`, cookies, a token header, the client's own Authorization echoed back,
/// and terminal escape sequences in its reason phrase and a header.
fn secret_echo_server(max: usize) -> u16 {
    servers::serve(
        max,
        |head| {
            let auth = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
                .unwrap_or("Authorization: none")
                .to_string();
            format!(
                "HTTP/1.1 302 Found \x1b]0;pwned\x07\x1b[2J\r\n\
                 Location: wss://admin:l16Plant@127.0.0.1:1/cb?code=l17Plant#access_token=l18Plant\r\n\
                 Set-Cookie: sid=s15Plant; Path=/; HttpOnly\r\n\
                 X-Echo-{auth} e19Plant\r\n\
                 X-Amz-Security-Token: e20Plant\r\n\
                 Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.e21Plant\r\n\
                 X-Evil: \x1b[31mred\x1b[0m\r\n\
                 Content-Length: 0\r\n\r\n"
            )
            .into_bytes()
        },
        |_| {},
    )
}

fn secret_args(port: u16) -> Vec<String> {
    let mut a = vec![
        "check".to_string(),
        format!(
            "ws://bob:pw0Plant@127.0.0.1:{port}/ws?accessToken=q2Plant&authToken=q3Plant&room=1#id_token=f4Plant"
        ),
        "--timeout".into(),
        "3".into(),
        "-H".into(),
        "Cookie: a=c11Plant; b=c12Plant".into(),
        "-H".into(),
        "X-Amz-Security-Token: x14Plant".into(),
        "--subprotocol".into(),
        "base64url.bearer.authorization.k8s.io.k13Plant".into(),
    ];
    // One Authorization scheme per run would need six runs; the server echoes
    // whichever it got, and the request head shows all of them as repeated headers.
    for (scheme, marker) in [
        ("Bearer", "b5Plant"),
        ("Basic", "b6Plant"),
        ("Token", "b7Plant"),
        ("JWT", "b8Plant"),
        ("Negotiate", "b9Plant"),
        (
            "AWS4-HMAC-SHA256",
            "Credential=AKIDEXAMPLE/20260101/us-east-1/execute-api/aws4_request, Signature=b10Plant",
        ),
    ] {
        a.push("-H".into());
        a.push(format!("Authorization: {scheme} {marker}"));
    }
    a
}

fn leaked(text: &str) -> Vec<&'static str> {
    PLANTED
        .iter()
        .filter(|(_, m)| text.contains(m))
        .map(|(what, _)| *what)
        .collect()
}

#[test]
fn no_planted_secret_reaches_any_output_of_check() {
    let port = secret_echo_server(3);
    let args = secret_args(port);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    for extra in [&[][..], &["-v"][..], &["--json"][..]] {
        let mut all = args.clone();
        all.extend_from_slice(extra);
        let o = run(&all);
        let out = String::from_utf8_lossy(&o.stdout);
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{extra:?}: {err}");
        assert_eq!(leaked(&out), Vec::<&str>::new(), "{extra:?} stdout:\n{out}");
        assert_eq!(leaked(&err), Vec::<&str>::new(), "{extra:?} stderr:\n{err}");
        for (name, text) in [("stdout", &*out), ("stderr", &*err)] {
            assert!(
                !text.contains('\x1b') && !text.contains('\x07'),
                "{extra:?}: raw escape in {name}:\n{text}"
            );
        }
        if extra == ["--json"] {
            let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
            assert_eq!(v["verdict"], "failed", "{v:#}");
        }
    }
}

/// Upgrades correctly, stays quiet for a moment, then sends `frame` as fast as the
/// socket takes it for at most 8 s (so the server ends even if the client hangs).
fn flooding_server(frame: &'static [u8]) -> u16 {
    servers::serve(
        2,
        |head| {
            let key = head
                .lines()
                .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap_or("")
                .trim()
                .to_string();
            let accept = wsdoctor_proto::handshake::accept_key(&key);
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            )
            .into_bytes()
        },
        move |s| {
            use std::io::Write;
            std::thread::sleep(std::time::Duration::from_millis(300));
            let burst = frame.repeat(64);
            let end = std::time::Instant::now() + std::time::Duration::from_secs(8);
            while std::time::Instant::now() < end && s.write_all(&burst).is_ok() {}
        },
    )
}

/// Runs check and returns its JSON, or None when it had not ended after `limit`
/// (then it is killed): a hang detector, not a speed test.
fn check_within(args: &[&str], limit: std::time::Duration) -> Option<serde_json::Value> {
    let mut child = wsdoctor()
        .args(args)
        .arg("--json")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(_)) = child.try_wait() {
            let out = child.wait_with_output().expect("output");
            return serde_json::from_slice(&out.stdout).ok();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn a_ping_flood_after_a_quiet_start_ends_by_the_deadline_with_capped_evidence() {
    // A ping with a 4-byte payload, unmasked (server to client).
    let port = flooding_server(b"\x89\x04ping");
    let url = format!("ws://127.0.0.1:{port}/");
    let r = check_within(
        &["check", &url, "--idle", "2", "--timeout", "2"],
        std::time::Duration::from_secs(30),
    )
    .expect("check ended (a flood must not keep it past its deadline)");
    let pings = r["evidence"]["session"]["server_pings_ms"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(pings <= 1000, "server pings capped, got {pings}");
}

#[test]
fn a_message_flood_during_idle_is_not_held_idle() {
    let port = flooding_server(b"\x81\x04spam");
    let url = format!("ws://127.0.0.1:{port}/");
    let r = check_within(
        &["check", &url, "--idle", "2", "--timeout", "2", "--expect"],
        std::time::Duration::from_secs(30),
    )
    .expect("check ended");
    let idle = &r["evidence"]["idle"];
    assert!(
        idle["messages"].as_u64().unwrap_or(0) > 0,
        "messages during the idle hold are counted: {idle:#}"
    );
}

#[test]
fn a_gzip_bomb_costs_its_file_only_with_the_reason_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bomb = dir.path().join("bomb.log.gz");
    // 128 gzip members of 1 MiB of zeros each: 128 MiB out of about 130 KiB, the
    // ratio of a bomb (logs compress about 10:1).
    let made = std::process::Command::new("python3")
        .args([
            "-c",
            "import gzip,sys; m=gzip.compress(bytes(1<<20), 9); open(sys.argv[1],'wb').write(m*128)",
        ])
        .arg(&bomb)
        .status()
        .expect("python3 runs");
    assert!(made.success());
    let ok = dir.path().join("ok.log");
    std::fs::write(
        &ok,
        "WebSocket is closed before the connection is established\n",
    )
    .expect("write");
    let (code, r) = json(&[
        "logs",
        bomb.to_str().expect("utf-8"),
        ok.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "one file lost, the other read: {r:#}");
    let errors = r["errors"].as_array().expect("errors[]");
    assert_eq!(errors.len(), 1, "{r:#}");
    assert!(
        errors[0]["path"]
            .as_str()
            .unwrap_or("")
            .ends_with("bomb.log.gz")
    );
    let msg = errors[0]["message"].as_str().unwrap_or("");
    assert!(msg.contains("gzip bomb"), "{msg}");
    assert!(
        r["findings"].as_array().is_some_and(|f| !f.is_empty()),
        "the good file is still reported: {r:#}"
    );
}
