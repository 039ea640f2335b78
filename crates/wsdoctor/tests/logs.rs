//! `wsdoctor logs` end to end on generated logs (nginx error and access, HAProxy, HAR,
//! gzip, stdin): exit codes, ids, counts and places from `--json`, never prose.

mod common;

use common::{json, json_with_stdin, wsdoctor};
use std::path::Path;

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, data).expect("write log");
    p.display().to_string()
}

fn finding<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["id"] == id))
        .unwrap_or_else(|| panic!("{id} not in {}", v["findings"]))
}

const ERROR_LOG: &str = r#"2024/05/01 10:01:00 [info] 7#7: *11 upstream timed out (110: Connection timed out) while proxying upgraded connection, client: 203.0.113.7, server: chat.example.com, request: "GET /ws HTTP/1.1", upstream: "http://127.0.0.1:9000/ws", host: "chat.example.com"
2024/05/01 10:02:00 [info] 7#7: *12 upstream timed out (110: Connection timed out) while proxying upgraded connection, client: 203.0.113.8, server: chat.example.com, request: "GET /ws HTTP/1.1", upstream: "http://127.0.0.1:9000/ws", host: "chat.example.com"
2024/05/01 10:03:00 [error] 7#7: *13 upstream prematurely closed connection while reading response header from upstream, client: 203.0.113.9, server: chat.example.com, request: "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1", upstream: "http://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket", host: "chat.example.com"
2024/05/01 10:04:00 [error] 7#7: *14 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /api/cart HTTP/1.1", upstream: "http://127.0.0.1:8080/api/cart", host: "shop.example.com"
"#;

fn access_log() -> String {
    let mut s = String::new();
    for i in 0..30 {
        s.push_str(&format!(
            "198.51.100.{i} - - [01/May/2024:10:{:02}:00 +0000] \"GET /ws HTTP/1.1\" 101 1834 \"-\" \"Mozilla/5.0\" {}.{:03}\n",
            i,
            2 + i * 13 % 300,
            i * 37 % 1000
        ));
        s.push_str(&format!("198.51.100.{i} - - [01/May/2024:10:{:02}:01 +0000] \"GET /app.js HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\" 0.003\n", i));
    }
    for i in 0..9 {
        s.push_str(&format!("198.51.100.{i} - - [01/May/2024:11:{:02}:00 +0000] \"GET /ws HTTP/1.1\" 101 77 \"-\" \"Mozilla/5.0\" 100.{:03}\n", i, i * 11));
    }
    for i in 0..7 {
        s.push_str(&format!("198.51.100.3 - - [01/May/2024:12:00:{:02} +0000] \"GET /ws HTTP/1.1\" 504 160 \"-\" \"Mozilla/5.0\" 60.000\n", i * 3));
    }
    s
}

#[test]
fn nginx_error_and_access_logs_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = write(dir.path(), "error.log", ERROR_LOG.as_bytes());
    let acc = write(dir.path(), "access.log", access_log().as_bytes());
    let (code, v) = json(&["logs", &err, &acc]);
    assert_eq!(code, 1);
    assert_eq!(v["schema"], "wsdoctor.logs/1");
    assert_eq!(v["files"][0]["format"], "nginx-error");
    assert_eq!(v["files"][1]["format"], "access");
    assert_eq!(v["files"][1]["lines"], 76);
    assert_eq!(v["sessions"]["upgraded"], 39);
    assert_eq!(v["sessions"]["timeouts"][0]["seconds"], 100.0);
    assert_eq!(v["sessions"]["timeouts"][0]["sessions"], 9);

    let idle = finding(&v, "proxy-idle-timeout");
    assert_eq!(idle["count"], 2 + 9);
    assert_eq!(idle["signatures"]["nginx-upgraded-timeout"], 2);
    assert_eq!(idle["signatures"]["duration-cluster"], 9);
    assert_eq!(idle["first_seen"]["line"], 1);
    assert!(
        idle["first_seen"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("error.log"))
    );
    assert_eq!(idle["upstreams"]["items"]["http://127.0.0.1:9000/ws"], 2);

    let gw = finding(&v, "http-gateway-timeout");
    assert_eq!(gw["count"], 7);
    assert_eq!(gw["bursts"][0]["count"], 7);
    assert_eq!(finding(&v, "http-bad-gateway")["count"], 1);
    // The shop's /api/cart refusal is not a WebSocket path.
    assert_eq!(v["ignored_lines"], 1);
}

#[test]
fn haproxy_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = r#"May  1 10:01:00 lb haproxy[99]: 10.0.0.1:5555 [01/May/2024:10:00:00.000] fe~ be_ws/ws1 0/0/1/3/30001 101 1234 - - cD-- 10/10/5/5/0 0/0 "GET /ws HTTP/1.1"
May  1 10:02:00 lb haproxy[99]: 10.0.0.3:5557 [01/May/2024:10:03:00.000] fe~ be_ws/ws2 0/0/-1/-1/3001 503 212 - - SC-- 1/1/0/0/3 0/0 "GET /ws HTTP/1.1"
"#;
    let p = write(dir.path(), "haproxy.log", log.as_bytes());
    let (code, v) = json(&["logs", &p]);
    assert_eq!(code, 1);
    assert_eq!(
        finding(&v, "proxy-idle-timeout")["signatures"]["haproxy-cD"],
        1
    );
    assert_eq!(
        finding(&v, "http-bad-gateway")["upstreams"]["items"]["be_ws/ws2"],
        1
    );
}

#[test]
fn har_export() {
    let dir = tempfile::tempdir().expect("tempdir");
    let har = r#"{"log": {"version": "1.2", "creator": {"name": "WebInspector"}, "entries": [
      {"startedDateTime": "2024-05-01T10:00:00.000Z", "request": {"method": "GET", "url": "wss://chat.example.com/ws", "headers": []},
       "response": {"status": 101}, "_resourceType": "websocket",
       "_webSocketMessages": [{"type": "send", "time": 1714557600.5, "opcode": 1, "data": "hi"}, {"type": "receive", "time": 1714557610.0, "opcode": 1, "data": "hi"}]},
      {"startedDateTime": "2024-05-01T10:01:00.000Z", "request": {"method": "GET", "url": "wss://chat.example.com/ws", "headers": []},
       "response": {"status": 0, "_error": "net::ERR_CONNECTION_REFUSED"}, "_resourceType": "websocket"},
      {"startedDateTime": "2024-05-01T10:02:00.000Z", "request": {"method": "GET", "url": "wss://chat.example.com/ws", "headers": []},
       "response": {"status": 404}, "_resourceType": "websocket"}
    ]}}"#;
    let p = write(dir.path(), "page.har", har.as_bytes());
    let (code, v) = json(&["logs", &p]);
    assert_eq!(code, 1);
    assert_eq!(v["files"][0]["format"], "har");
    assert_eq!(v["har"]["websockets"], 3);
    assert_eq!(v["har"]["upgraded"], 1);
    assert_eq!(v["har"]["messages_received"], 1);
    assert_eq!(
        finding(&v, "tcp-refused")["signatures"]["har-network-error"],
        1
    );
    assert_eq!(finding(&v, "http-not-found")["first_seen"]["line"], 3);
}

#[test]
fn gzip_is_read_directly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "error.log.2.gz",
        &gzip_stored(ERROR_LOG.as_bytes()),
    );
    let (code, v) = json(&["logs", &p]);
    assert_eq!(code, 1);
    assert_eq!(v["files"][0]["compressed"], true);
    assert_eq!(v["files"][0]["lines"], 4);
    assert_eq!(finding(&v, "proxy-idle-timeout")["count"], 2);
}

#[test]
fn stdin_with_a_dash() {
    let (code, v) = json_with_stdin(&["logs", "-"], ERROR_LOG.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(v["files"][0]["path"], "-");
    assert_eq!(finding(&v, "proxy-idle-timeout")["count"], 2);
}

#[test]
fn clean_logs_exit_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "access.log", b"198.51.100.1 - - [01/May/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"curl/8\"\n");
    let (code, v) = json(&["logs", &p]);
    assert_eq!(code, 0);
    assert!(v["findings"].as_array().is_some_and(|a| a.is_empty()));
}

#[test]
fn unreadable_files_are_usage_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.log").display().to_string();
    let out = wsdoctor().args(["logs", &missing]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.log"));
    let bad_har = write(
        dir.path(),
        "bad.har",
        b"{\"log\": {\"entries\": [ {\"request\": ",
    );
    let out = wsdoctor().args(["logs", &bad_har]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.har"));
    let out = wsdoctor().arg("logs").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// A gzip member holding `data` in stored (uncompressed) deflate blocks: a valid gzip
/// file written without a compression library.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, c) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = c.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A missing file, a truncated .gz and a UTF-16 log among good ones: each costs only
/// itself, is named in `errors`, and the others' report is still printed (exit 1).
#[test]
fn a_bad_file_costs_only_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write(dir.path(), "error.log", ERROR_LOG.as_bytes());
    let gz = gzip_stored(ERROR_LOG.as_bytes());
    let cut = write(dir.path(), "old.log.gz", &gz[..gz.len() / 2]);
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(ERROR_LOG.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let wide = write(dir.path(), "win.log", &utf16);
    let missing = dir.path().join("nope.log").display().to_string();
    let (code, v) = json(&["logs", &missing, &cut, &wide, &good]);
    assert_eq!(code, 1);
    let failed: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(failed, [missing.as_str(), cut.as_str(), wide.as_str()]);
    // The good file's findings, and the truncated file's first half, are counted.
    assert!(finding(&v, "proxy-idle-timeout")["count"].as_u64().unwrap() >= 2);
    // UTF-16 alone: refused with a message, not "read as nothing" with exit 0.
    let (code, v) = json(&["logs", &wide]);
    assert_eq!(code, 2);
    assert_eq!(v["errors"][0]["path"], wide);
}

/// A non-empty log whose first line is longer than the sniffing buffer (or that has
/// no newline at all) is text, not "empty".
#[test]
fn a_non_empty_file_is_not_called_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = write(dir.path(), "one.log", "x".repeat(1 << 20).as_bytes());
    let short = write(dir.path(), "short.log", b"no newline here");
    let (_, v) = json(&["logs", &long, &short]);
    assert_eq!(v["files"][0]["format"], "text");
    assert_eq!(v["files"][1]["format"], "text");
}

/// A HAR with a UTF-8 byte-order mark, a 32 MiB URL and an Authorization header
/// object: read as HAR, the URL cut before parsing (the report stays small), no
/// credential in the output.
#[test]
fn hostile_har_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = "a".repeat(32 << 20);
    let har = format!(
        "\u{feff}{{\"log\": {{\"entries\": [\n{{\"request\": {{\"method\": \"GET\", \"url\": \"wss://chat.example.com/ws?{long}\", \"headers\": [{{\"name\": \"Authorization\", \"value\": \"Bearer sekrit-token-123\"}}]}}, \"response\": {{\"status\": 404}}, \"_resourceType\": \"websocket\"}},\n{{\"request\": {{\"method\": \"GET\", \"url\": \"wss://u:hunter2@chat.example.com/ws?access_token=tok987\"}}, \"response\": {{\"status\": 403}}, \"_resourceType\": \"websocket\"}}\n]}}}}"
    );
    let p = write(dir.path(), "page.har", har.as_bytes());
    let out = wsdoctor()
        .args(["logs", "--json", &p])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.len() < 256 << 10, "report is {} bytes", text.len());
    for secret in ["sekrit-token-123", "hunter2", "tok987"] {
        assert!(!text.contains(secret), "{secret}");
    }
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["files"][0]["format"], "har");
    assert_eq!(v["har"]["websockets"], 2);
}

/// A device never ends: `logs /dev/zero` is refused by type (exit 2, the file named),
/// instead of being read forever.
#[cfg(unix)]
#[test]
fn a_device_is_refused_not_read_forever() {
    let mut cmd = wsdoctor();
    cmd.args(["logs", "/dev/zero"]);
    // The watchdog turns a regression (reading forever) into a failure, not a hang.
    let out = assert_cmd::Command::from_std(cmd)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/dev/zero") && err.contains("device"), "{err}");
}

/// The real samples of `testdata/logs/` (written by nginx, see generate.py there).
fn sample(path: &str) -> String {
    format!("{}/../../testdata/logs/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_nginx_config_names_the_formats_of_its_access_logs() {
    let (code, v) = json(&[
        "logs",
        &sample("nginx/ingress.log"),
        &sample("nginx/json.log"),
        "--nginx-conf",
        &sample("nginx/nginx.conf"),
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["files"][0]["format"], "nginx:upstreaminfo");
    assert_eq!(v["files"][1]["format"], "nginx:jsonlog");
    assert_eq!(v["findings"][0]["id"], "proxy-idle-timeout");
    assert_eq!(v["sessions"]["timeouts"][0]["sessions"], 16);
    // Without the config the same files are still read, by content.
    let (_, v) = json(&["logs", &sample("nginx/ingress.log")]);
    assert_eq!(v["files"][0]["format"], "ingress-nginx");
    assert_eq!(v["findings"][0]["id"], "proxy-idle-timeout");
}

#[test]
fn log_format_and_format_flags() {
    let t = r#"%h %l %u %t "%r" %>s %b %T"#;
    let (code, v) = json(&["logs", &sample("apache/access-t.log"), "--log-format", t]);
    assert_eq!(code, 1);
    assert_eq!(v["files"][0]["format"], "log-format");
    assert_eq!(v["sessions"]["timeouts"][0]["sessions"], 8);
    let (code, v) = json(&["logs", &sample("nginx/ingress.log"), "--format", "combined"]);
    assert_eq!((code, &v["files"][0]["format"]), (1, &"access".into()));
    assert_eq!(v["sessions"]["with_duration"], 0);
    // Usage errors name the flag.
    for args in [
        &["--format", "nginx-access"][..],
        &["--log-format", "$remote_addr $body_bytes_sent"],
        &["--format", "log-format"],
        &["--nginx-conf", "/nonexistent/nginx.conf"],
    ] {
        let out = wsdoctor()
            .args(["logs", &sample("nginx/ingress.log")])
            .args(args)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(args[0]) || err.contains("log format"),
            "{args:?}: {err}"
        );
    }
}

/// Debian's layout: the log_format in `conf.d/*.conf`, the access_log in a site, both
/// reached by relative include globs; the real nginx accepts it (`nginx -t`) and
/// `logs` finds the format through the includes.
#[test]
fn the_nginx_config_is_read_through_its_includes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for sub in ["conf.d", "sites-enabled", "logs"] {
        std::fs::create_dir(d.join(sub)).expect("mkdir");
    }
    let conf = write(
        d,
        "nginx.conf",
        b"events {}\nhttp {\n  include conf.d/*.conf;\n  include sites-enabled/*;\n}\n",
    );
    write(
        d,
        "conf.d/logformat.conf",
        b"log_format timed '$remote_addr [$time_local] \"$request\" $status $request_time';\n",
    );
    write(
        d,
        "sites-enabled/app",
        b"server {\n  listen 127.0.0.1:8080;\n  access_log logs/app.log timed;\n}\n",
    );
    if let Some(nginx) = wsdoctor_testkit::peers::require_program("nginx") {
        let pid = format!("pid {}; error_log stderr;", d.join("nginx.pid").display());
        let out = std::process::Command::new(nginx)
            .arg("-t")
            .arg("-p")
            .arg(d)
            .args(["-c", &conf, "-g", &pid])
            .output()
            .expect("run nginx -t");
        assert!(out.status.success(), "{out:?}");
    }
    let mut log = String::new();
    for i in 0..6 {
        log.push_str(&format!(
            "198.51.100.{i} [01/May/2024:10:0{i}:00 +0000] \"GET /ws HTTP/1.1\" 101 60.0{i}0\n"
        ));
    }
    let app = write(d, "logs/app.log", log.as_bytes());
    let (code, v) = json(&["logs", &app, "--nginx-conf", &conf]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["files"][0]["format"], "nginx:timed");
    assert_eq!(v["sessions"]["with_duration"], 6);
    assert_eq!(finding(&v, "proxy-idle-timeout")["count"], 6);
    // An include that loops back, and one that names a missing file: usage errors
    // naming the files.
    write(d, "conf.d/loop.conf", b"include nginx.conf;\n");
    let out = wsdoctor()
        .args(["logs", &app, "--nginx-conf", &conf])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--nginx-conf")
            && err.contains("include cycle")
            && err.contains("conf.d/loop.conf → "),
        "{err}"
    );
    write(d, "conf.d/loop.conf", b"include snippets/gone.conf;\n");
    let out = wsdoctor()
        .args(["logs", &app, "--nginx-conf", &conf])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("conf.d/loop.conf:1: include snippets/gone.conf"),
        "{err}"
    );
}
