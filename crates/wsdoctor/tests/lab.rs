//! `wsdoctor lab` as users run it: the listing, usage errors naming the fix, and a
//! served scenario that a WebSocket client can use while the lab runs.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;
use wsdoctor_lab::SCENARIOS;
use wsdoctor_proto::frame::{Frame, FrameDecoder};
use wsdoctor_proto::handshake::{self, ClientRequest};

#[test]
fn list_json_declares_every_scenario_with_its_causes() {
    let (code, v) = json(&["lab", "--list"]);
    assert_eq!(code, 0);
    let rows = v["scenarios"].as_array().expect("scenarios[]");
    assert_eq!(rows.len(), SCENARIOS.len());
    assert!(v["ca_file"].is_null(), "nothing is written by --list");
    for (row, s) in rows.iter().zip(SCENARIOS) {
        assert_eq!(row["name"], s.name);
        assert_eq!(row["group"], s.group.as_str());
        assert!(row["url"].is_null(), "{}: not started", s.name);
        let expect: Vec<&str> = row["expect"]
            .as_array()
            .expect("expect[]")
            .iter()
            .filter_map(|x| x.as_str())
            .collect();
        let declared: Vec<&str> = s.expect.iter().map(|id| id.as_str()).collect();
        assert_eq!(expect, declared, "{}", s.name);
        assert_eq!(
            expect.is_empty(),
            row["group"] == "healthy",
            "{}: only healthy scenarios expect nothing",
            s.name
        );
        for id in expect {
            assert!(
                wsdoctor_core::CauseId::parse(id).is_some(),
                "{}: {id} is a catalog id",
                s.name
            );
        }
    }
}

#[test]
fn list_only_shows_the_subset() {
    let (code, v) = json(&["lab", "--list", "--only", "wrong-path,healthy-echo"]);
    assert_eq!(code, 0);
    let names: Vec<&str> = v["scenarios"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["wrong-path", "healthy-echo"]);
}

#[test]
fn an_unknown_only_name_is_a_usage_error_naming_the_valid_ones() {
    let out = wsdoctor()
        .args(["lab", "--only", "healthy-echo", "no-such-scenario"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-scenario"), "{err}");
    for s in SCENARIOS {
        assert!(err.contains(s.name), "{} missing from: {err}", s.name);
    }
}

#[test]
fn a_port_base_without_room_is_a_usage_error() {
    let out = wsdoctor()
        .args(["lab", "--port-base", "65530"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--port-base"));
}

/// A `wsdoctor lab` child, killed when dropped.
struct Served {
    child: Option<Child>,
}

impl Served {
    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Waits for the child to exit on its own, at most `limit`.
    fn exit_within(mut self, limit: Duration) -> std::process::ExitStatus {
        let child = self.child.take().expect("running");
        wait_or_kill(child, limit).unwrap_or_else(|| panic!("lab did not exit within {limit:?}"))
    }
}

/// The child's exit status if it exits within `limit`; otherwise SIGKILL and `None`.
fn wait_or_kill(mut child: Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let pid = child.id().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    match rx.recv_timeout(limit) {
        Ok(status) => status.ok(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
            None
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // SIGTERM first, so the lab removes its temporary files; SIGKILL if it lingers.
        if let Some(child) = self.child.take() {
            let pid = child.id().to_string();
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status();
            let _ = wait_or_kill(child, Duration::from_secs(5));
        }
    }
}

/// Starts `wsdoctor lab ARGS --json` and returns it with the JSON it prints when ready.
fn serve(args: &[&str]) -> (Served, serde_json::Value) {
    let mut child = wsdoctor()
        .args(args)
        .arg("--json")
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
    let served = Served { child: Some(child) };
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("lab ready within 20 s");
    let v: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"));
    (served, v)
}

/// A minimal WebSocket client on std sockets and wsdoctor-proto: upgrade, echo one text.
fn echo_over(url: &str, text: &str) -> String {
    let rest = url.strip_prefix("ws://").expect("ws:// URL");
    let (authority, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut tcp = TcpStream::connect(authority).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let key = handshake::key_from_bytes([7; 16]);
    let req = ClientRequest {
        path: path.into(),
        host: authority.into(),
        key: key.clone(),
        ..Default::default()
    };
    tcp.write_all(&req.to_bytes()).expect("send upgrade");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let resp = loop {
        let n = tcp.read(&mut chunk).expect("read response");
        assert!(n > 0, "closed before the 101");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(resp) = handshake::parse_response(&buf, 16 * 1024).expect("HTTP") {
            break resp;
        }
    };
    assert_eq!(resp.status, 101);
    assert_eq!(
        resp.header("Sec-WebSocket-Accept"),
        Some(handshake::accept_key(&key).as_str())
    );
    buf.drain(..resp.head_len);
    let mut frame = Vec::new();
    Frame::text(text)
        .with_mask(Some([9, 8, 7, 6]))
        .encode(&mut frame);
    tcp.write_all(&frame).expect("send text");
    let mut decoder = FrameDecoder::new(1 << 16);
    loop {
        if let Some((f, _)) = decoder.decode(&buf).expect("a frame") {
            return String::from_utf8(f.payload).expect("UTF-8 echo");
        }
        let n = tcp.read(&mut chunk).expect("read echo");
        assert!(n > 0, "closed before the echo");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[test]
fn served_healthy_echo_accepts_a_websocket() {
    let (_served, v) = serve(&["lab", "--only", "healthy-echo"]);
    let rows = v["scenarios"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["name"], "healthy-echo");
    assert!(rows[0]["expect"].as_array().is_some_and(|e| e.is_empty()));
    let url = rows[0]["url"].as_str().expect("a URL once serving");
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
    assert_eq!(
        rows[0]["check"]
            .as_array()
            .and_then(|a| a.last())
            .and_then(|u| u.as_str()),
        Some(url)
    );
    assert_eq!(echo_over(url, "hello lab"), "hello lab");
}

#[test]
fn ca_out_writes_the_lab_ca_and_sigterm_stops_the_lab() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("lab-ca.pem");
    let ca_arg = ca.to_str().expect("UTF-8 path");
    let (served, v) = serve(&["lab", "--only", "healthy-tls-echo", "--ca-out", ca_arg]);
    assert_eq!(v["ca_file"], ca_arg);
    let pem = std::fs::read_to_string(&ca).expect("CA written");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let check = v["scenarios"][0]["check"].as_array().expect("check args");
    assert_eq!(check[0], "--cacert");
    assert_eq!(check[1], ca_arg);
    let key_file = v["client_key_file"]
        .as_str()
        .expect("client key file")
        .to_string();
    assert!(std::path::Path::new(&key_file).is_file());

    let pid = served.pid().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = served.exit_within(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert!(
        !std::path::Path::new(&key_file).exists(),
        "temporary files removed"
    );
    assert!(ca.is_file(), "the CA the user asked for is kept");
}

/// A lab run with `TMPDIR` pointing at a fresh directory, so what it leaves behind
/// can be listed without racing other tests.
fn lab_in(tmp: &std::path::Path, args: &[&str]) -> std::process::Output {
    wsdoctor()
        .args(args)
        .env("TMPDIR", tmp)
        .output()
        .expect("run wsdoctor lab")
}

#[test]
fn the_temporary_directory_is_private_unpredictable_and_removed_on_sighup() {
    use std::os::unix::fs::PermissionsExt;
    let (served, v) = serve(&["lab", "--only", "healthy-tls-echo"]);
    let key = std::path::PathBuf::from(v["client_key_file"].as_str().expect("key file"));
    let dir = key.parent().expect("key in a directory").to_path_buf();
    let mode = std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    assert_ne!(
        name,
        format!("wsdoctor-lab-{}", served.pid()),
        "predictable name"
    );
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &served.pid().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = served.exit_within(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert!(!dir.exists(), "removed on SIGHUP: {}", dir.display());
}

#[test]
fn ca_out_never_overwrites_or_follows_a_link_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tmp = tempfile::tempdir().expect("TMPDIR");
    let existing = dir.path().join("existing.pem");
    std::fs::write(&existing, "keep me").expect("write");
    let target = dir.path().join("target");
    std::fs::write(&target, "keep me too").expect("write");
    let link = dir.path().join("link.pem");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let dangling = dir.path().join("dangling.pem");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).expect("symlink");
    let s = |p: &std::path::Path| p.to_str().expect("UTF-8").to_string();
    for args in [
        vec!["--ca-out".to_string(), s(&existing)],
        vec!["--ca-out".to_string(), s(&link)],
        vec!["--ca-out".to_string(), s(&dangling)],
        vec!["--ca-out".to_string(), s(&link), "--force".to_string()],
    ] {
        let mut all = vec![
            "lab".to_string(),
            "--only".into(),
            "healthy-tls-echo".into(),
        ];
        all.extend(args.clone());
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let o = lab_in(tmp.path(), &all);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("--ca-out"), "{args:?}: {err}");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).expect("ls").collect();
        assert!(left.is_empty(), "{args:?} left {left:?}");
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me too");
    assert!(!dir.path().join("nowhere").exists());

    let ca = s(&existing);
    let (served, v) = serve(&[
        "lab",
        "--only",
        "healthy-tls-echo",
        "--ca-out",
        &ca,
        "--force",
    ]);
    assert_eq!(v["ca_file"], ca.as_str());
    let pem = std::fs::read_to_string(&existing).expect("CA");
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----"),
        "--force overwrites"
    );
    drop(served);
}
