//! The scanner on realistic logs of every format, asserting ids, counts and places.

use super::*;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

fn scan_all(files: &[(&str, &[u8])], opts: Options) -> LogReport {
    let mut s = Scanner::new(opts);
    for (name, data) in files {
        s.scan(name, &mut &data[..], &mut |_| {}).expect("scan");
    }
    s.finish()
}

fn finding(r: &LogReport, id: CauseId) -> &LogFinding {
    r.findings.iter().find(|f| f.id == id).unwrap_or_else(|| {
        panic!(
            "{id} not found; got {:?}",
            r.findings
                .iter()
                .map(|f| (f.id, f.count))
                .collect::<Vec<_>>()
        )
    })
}

fn ids(r: &LogReport) -> Vec<CauseId> {
    r.findings.iter().map(|f| f.id).collect()
}

const NGINX_ERROR: &str = r#"2024/05/01 10:00:00 [notice] 1#1: start worker processes
2024/05/01 10:01:00 [info] 7#7: *11 upstream timed out (110: Connection timed out) while proxying upgraded connection, client: 203.0.113.7, server: chat.example.com, request: "GET /ws HTTP/1.1", upstream: "http://127.0.0.1:9000/ws", host: "chat.example.com"
2024/05/01 10:02:00 [info] 7#7: *12 upstream timed out (110: Connection timed out) while proxying upgraded connection, client: 203.0.113.8, server: chat.example.com, request: "GET /ws?token=secret1 HTTP/1.1", upstream: "http://127.0.0.1:9000/ws?token=secret1", host: "chat.example.com"
2024/05/01 10:03:00 [error] 7#7: *13 upstream prematurely closed connection while reading response header from upstream, client: 203.0.113.9, server: chat.example.com, request: "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1", upstream: "http://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket", host: "chat.example.com"
2024/05/01 10:04:00 [error] 7#7: *14 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.9, server: shop.example.com, request: "GET /api/cart HTTP/1.1", upstream: "http://127.0.0.1:8080/api/cart", host: "shop.example.com"
2024/05/01 10:05:00 [error] 7#7: *15 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.9, server: chat.example.com, request: "GET /events HTTP/1.1", upstream: "http://127.0.0.1:9100/events", host: "chat.example.com"
"#;

#[test]
fn nginx_error_log() {
    let r = scan_all(&[("error.log", NGINX_ERROR.as_bytes())], Options::default());
    assert_eq!(r.files[0].format, "nginx-error");
    assert_eq!(r.files[0].lines, 6);
    let idle = finding(&r, CauseId::ProxyIdleTimeout);
    assert_eq!(idle.count, 2);
    assert_eq!(idle.signatures["nginx-upgraded-timeout"], 2);
    assert_eq!(idle.first_seen.as_ref().map(|s| s.line), Some(2));
    assert_eq!(
        idle.last_seen
            .as_ref()
            .map(|s| (s.line, s.time.map(|t| t.to_string()))),
        Some((3, Some("2024-05-01T10:02:00.000".into())))
    );
    assert!(
        idle.upstreams
            .items
            .keys()
            .any(|u| u.starts_with("http://127.0.0.1:9000/ws"))
    );
    let all = serde_json::to_string(&r).expect("json");
    assert!(!all.contains("secret1"), "secrets must be redacted");
    let bg = finding(&r, CauseId::HttpBadGateway);
    // The Socket.IO line counts; /api/cart and /events are not WebSocket paths.
    assert_eq!(bg.count, 1);
    assert!(bg.urls.items.keys().any(|u| u.starts_with("/socket.io/")));
    assert_eq!(r.ignored_lines, 2);
}

#[test]
fn a_path_seen_upgraded_in_another_file_vouches_for_its_errors() {
    let access = r#"203.0.113.7 - - [01/May/2024:10:06:00 +0000] "GET /events HTTP/1.1" 101 530 "-" "Mozilla/5.0" 12.001
"#;
    let r = scan_all(
        &[
            ("error.log", NGINX_ERROR.as_bytes()),
            ("access.log", access.as_bytes()),
        ],
        Options::default(),
    );
    assert_eq!(finding(&r, CauseId::HttpBadGateway).count, 2);
    assert_eq!(r.ignored_lines, 1);
    // The same with --ws-path instead of a 101.
    let opts = Options {
        ws_paths: vec!["/api/".into()],
        ..Options::default()
    };
    let r = scan_all(&[("error.log", NGINX_ERROR.as_bytes())], opts);
    assert_eq!(finding(&r, CauseId::HttpBadGateway).count, 2);
}

fn access_log() -> String {
    let mut s = String::new();
    // 40 ordinary sessions of varied length, 12 cut at 60 s, requests to other paths.
    for i in 0..40 {
        s.push_str(&format!(
            "198.51.100.{i} - - [01/May/2024:10:{:02}:00 +0000] \"GET /ws HTTP/1.1\" 101 1834 \"-\" \"Mozilla/5.0 (X11)\" {}.{:03}\n",
            i % 60,
            3 + i * 17 % 400,
            i * 7 % 1000
        ));
        s.push_str(&format!("198.51.100.{i} - - [01/May/2024:10:{:02}:01 +0000] \"GET /index.html HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\" 0.002\n", i % 60));
    }
    for i in 0..12 {
        s.push_str(&format!(
            "198.51.100.{i} - - [01/May/2024:11:{:02}:00 +0000] \"GET /ws?room=7&token=abc HTTP/1.1\" 101 77 \"-\" \"Mozilla/5.0\" 60.0{:02}\n",
            i,
            i
        ));
    }
    // A burst of 502s on the WebSocket path within one minute, and one 404 on a page.
    for i in 0..6 {
        s.push_str(&format!("198.51.100.9 - - [01/May/2024:12:00:{:02} +0000] \"GET /ws HTTP/1.1\" 502 157 \"-\" \"Mozilla/5.0\" 0.001\n", i * 5));
    }
    s.push_str("198.51.100.9 - - [01/May/2024:12:01:00 +0000] \"GET /favicon.ico HTTP/1.1\" 404 0 \"-\" \"Mozilla/5.0\" 0.000\n");
    s
}

#[test]
fn access_log_durations_reveal_the_idle_timeout_and_502_bursts() {
    let log = access_log();
    let r = scan_all(&[("access.log", log.as_bytes())], Options::default());
    assert_eq!(r.files[0].format, "access");
    assert_eq!(r.sessions.upgraded, 52);
    assert_eq!(r.sessions.with_duration, 52);
    assert_eq!(r.sessions.timeouts.len(), 1, "{:?}", r.sessions.timeouts);
    let t = &r.sessions.timeouts[0];
    assert_eq!((t.seconds, t.sessions), (60.0, 12));
    assert!(t.vendors.contains(&"nginx"), "{:?}", t.vendors);
    let idle = finding(&r, CauseId::ProxyIdleTimeout);
    assert_eq!(idle.signatures["duration-cluster"], 12);
    assert!(!idle.examples.is_empty() && idle.examples[0].file == "access.log");
    assert!(idle.examples.iter().all(|e| !e.text.contains("abc")));
    let bg = finding(&r, CauseId::HttpBadGateway);
    assert_eq!(bg.count, 6);
    assert_eq!(bg.signatures["access-502"], 6);
    assert_eq!(bg.bursts.len(), 1);
    assert_eq!(bg.bursts[0].count, 6);
    assert!(
        !ids(&r).contains(&CauseId::HttpNotFound),
        "a 404 on a page is not a WebSocket finding"
    );
}

#[test]
fn haproxy_termination_states() {
    let log = r#"May  1 10:01:00 lb haproxy[99]: 10.0.0.1:5555 [01/May/2024:10:00:00.000] fe_https~ be_ws/ws1 0/0/1/3/50001 101 1234 - - cD-- 10/10/5/5/0 0/0 "GET /ws HTTP/1.1"
May  1 10:02:00 lb haproxy[99]: 10.0.0.2:5556 [01/May/2024:10:01:10.000] fe_https~ be_ws/ws1 0/0/1/3/50002 101 1234 - - sD-- 10/10/5/5/0 0/0 "GET /ws HTTP/1.1"
May  1 10:03:00 lb haproxy[99]: 10.0.0.3:5557 [01/May/2024:10:03:00.000] fe_https~ be_ws/ws2 0/0/-1/-1/3001 503 212 - - SC-- 1/1/0/0/3 0/0 "GET /ws HTTP/1.1"
May  1 10:04:00 lb haproxy[99]: 10.0.0.4:5558 [01/May/2024:10:04:00.000] fe_https~ be_ws/ws1 0/0/1/2/3600000 101 99 - - ---- 1/1/0/0/0 0/0 "GET /ws HTTP/1.1"
May  1 10:05:00 lb haproxy[99]: 10.0.0.5:5559 [01/May/2024:10:05:00.000] fe_https~ be_ws/ws1 0/0/1/2/4000 101 99 - - CD-- 1/1/0/0/0 0/0 "GET /ws HTTP/1.1"
"#;
    let r = scan_all(&[("haproxy.log", log.as_bytes())], Options::default());
    assert_eq!(r.files[0].format, "haproxy");
    assert_eq!(r.sessions.upgraded, 4);
    let idle = finding(&r, CauseId::ProxyIdleTimeout);
    assert_eq!(idle.count, 2);
    assert_eq!(
        (idle.signatures["haproxy-cD"], idle.signatures["haproxy-sD"]),
        (1, 1)
    );
    assert!(idle.upstreams.items.contains_key("be_ws/ws1"));
    let bg = finding(&r, CauseId::HttpBadGateway);
    assert_eq!((bg.count, bg.signatures["haproxy-SC"]), (1, 1));
    assert!(bg.upstreams.items.contains_key("be_ws/ws2"));
    assert_eq!(finding(&r, CauseId::SessionClientAborted).count, 1);
}

#[test]
fn apache_error_log() {
    let log = r#"[Wed May 01 10:00:00.123456 2024] [proxy:error] [pid 12:tid 34] (111)Connection refused: AH00957: WS: attempt to connect to 127.0.0.1:9000 (localhost:9000) failed
[Wed May 01 10:00:00.123999 2024] [proxy_wstunnel:error] [pid 12:tid 34] [client 10.0.0.1:5555] AH02452: failed to make connection to backend: localhost
[Wed May 01 10:05:00.000000 2024] [proxy:warn] [pid 12:tid 34] [client 10.0.0.1:5555] AH01144: No protocol handler was valid for the URL /ws (scheme 'ws'). If you are using a DSO version of mod_proxy, make sure the proxy submodules are included in the configuration using LoadModule.
[Wed May 01 10:06:00.000000 2024] [core:notice] [pid 1] AH00094: Command line: '/usr/sbin/apache2'
"#;
    let r = scan_all(&[("apache_error.log", log.as_bytes())], Options::default());
    assert_eq!(r.files[0].format, "apache-error");
    let bg = finding(&r, CauseId::HttpBadGateway);
    assert_eq!(bg.count, 2);
    assert!(bg.upstreams.items.contains_key("127.0.0.1:9000"));
    assert_eq!(
        bg.first_seen
            .as_ref()
            .and_then(|s| s.time)
            .map(|t| t.to_string()),
        Some("2024-05-01T10:00:00.123".into())
    );
    assert_eq!(finding(&r, CauseId::ServerWebsocketUnsupported).count, 1);
}

const HAR: &str = r#"{
  "log": {
    "version": "1.2",
    "creator": {"name": "WebInspector", "version": "537.36"},
    "pages": [],
    "entries": [
      {"startedDateTime": "2024-05-01T10:00:00.000Z", "time": 40,
       "request": {"method": "GET", "url": "wss://chat.example.com/ws?token=hunter2", "headers": [{"name": "Upgrade", "value": "websocket"}]},
       "response": {"status": 101, "statusText": "Switching Protocols", "headers": []},
       "_resourceType": "websocket",
       "_webSocketMessages": [
         {"type": "send", "time": 1714557600.1, "opcode": 1, "data": "{\"join\":1}"},
         {"type": "receive", "time": 1714557630.0, "opcode": 1, "data": "{\"ok\":true}"}
       ]},
      {"startedDateTime": "2024-05-01T10:01:00.000Z", "time": 3,
       "request": {"method": "GET", "url": "wss://chat.example.com/ws", "headers": []},
       "response": {"status": 403, "statusText": "Forbidden", "headers": []},
       "_resourceType": "websocket"},
      {"startedDateTime": "2024-05-01T10:02:00.000Z", "time": 0,
       "request": {"method": "GET", "url": "wss://chat.example.com/ws", "headers": []},
       "response": {"status": 0, "statusText": "", "headers": [], "_error": "net::ERR_CERT_DATE_INVALID"},
       "_resourceType": "websocket"},
      {"startedDateTime": "2024-05-01T10:03:00.000Z", "time": 12,
       "request": {"method": "GET", "url": "https://chat.example.com/app.js", "headers": []},
       "response": {"status": 200, "statusText": "OK", "headers": []},
       "_resourceType": "script"}
    ]
  }
}"#;

#[test]
fn har_export() {
    let r = scan_all(&[("session.har", HAR.as_bytes())], Options::default());
    assert_eq!(r.files[0].format, "har");
    let h = r.har.as_ref().expect("har summary");
    assert_eq!(
        (h.entries, h.websockets, h.upgraded, h.failed),
        (4, 3, 1, 2)
    );
    assert_eq!((h.messages_sent, h.messages_received), (1, 1));
    assert_eq!(r.sessions.upgraded, 1);
    assert_eq!(r.sessions.with_duration, 1);
    let f = finding(&r, CauseId::HttpForbidden);
    assert_eq!((f.count, f.signatures["har-status"]), (1, 1));
    assert_eq!(f.first_seen.as_ref().map(|s| s.line), Some(2));
    let t = finding(&r, CauseId::TlsCertExpired);
    assert_eq!(t.signatures["har-network-error"], 1);
    assert!(!serde_json::to_string(&r).expect("json").contains("hunter2"));
}

#[test]
fn gzip_logs_are_read_directly() {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(NGINX_ERROR.as_bytes()).expect("write");
    let gz = enc.finish().expect("gzip");
    let r = scan_all(&[("error.log.1.gz", &gz)], Options::default());
    assert!(r.files[0].compressed);
    assert_eq!(r.files[0].lines, 6);
    assert_eq!(r.files[0].bytes, gz.len() as u64);
    assert_eq!(finding(&r, CauseId::ProxyIdleTimeout).count, 2);
}

#[test]
fn application_logs_with_library_messages() {
    let log = r#"{"ts":"2024-05-01T10:00:00Z","level":"warn","msg":"websocket: close 1006 (abnormal closure): unexpected EOF","conn":"a1"}
{"ts":"2024-05-01T10:00:05Z","level":"error","msg":"dial tcp 10.0.0.9:5432: connect: connection refused","component":"db"}
2024-05-01T10:00:09.123Z ERROR ws client: x509: certificate signed by unknown authority (wss://feed.example.com/stream)
2024-05-01T10:00:10Z INFO websocket: close 1000 (normal)
2024-05-01T10:00:11Z INFO nothing to see here
"#;
    let r = scan_all(&[("app.log", log.as_bytes())], Options::default());
    assert_eq!(finding(&r, CauseId::SessionAbruptEof).count, 1);
    let tls = finding(&r, CauseId::TlsUnknownIssuer);
    assert!(tls.urls.items.contains_key("wss://feed.example.com/stream"));
    assert!(
        !ids(&r).contains(&CauseId::TcpRefused),
        "a database refusal is not a WebSocket finding"
    );
    assert_eq!(
        finding(&r, CauseId::SessionCloseNormal).severity,
        wsdoctor_core::Severity::Info
    );
    assert_eq!(r.ignored_lines, 0, "no request path: not even a candidate");
}

#[test]
fn nothing_to_find_in_unrelated_logs() {
    let log = "2024-05-01 10:00:00 INFO Started Application in 4.2 seconds\nSegmentation fault (core dumped)\nNo space left on device\n";
    let r = scan_all(&[("app.log", log.as_bytes())], Options::default());
    assert!(r.findings.is_empty());
    assert!(!r.has_problems());
}

#[test]
fn examples_and_sets_stay_capped() {
    let mut log = String::new();
    for i in 0..5000 {
        log.push_str(&format!("2024/05/01 10:00:00 [info] 7#7: *{i} upstream timed out (110: Connection timed out) while proxying upgraded connection, client: 10.0.0.1, server: x, request: \"GET /ws/{i} HTTP/1.1\", upstream: \"http://127.0.0.1:9000/ws/{i}\", host: \"x\"\n"));
    }
    let opts = Options {
        max_distinct: 100,
        chunk: 4096,
        ..Options::default()
    };
    let r = scan_all(&[("error.log", log.as_bytes())], opts);
    let idle = finding(&r, CauseId::ProxyIdleTimeout);
    assert_eq!(idle.count, 5000);
    assert_eq!(idle.examples.len(), 3);
    assert_eq!(idle.urls.items.len(), 100);
    assert_eq!(idle.urls.more, 4900);
    assert_eq!(r.files[0].lines, 5000);
}

#[test]
fn broken_har_is_a_clear_error() {
    let mut s = Scanner::default();
    let err = s
        .scan(
            "bad.har",
            &mut &b"{\"log\": {\"entries\": [ {\"request\": "[..],
            &mut |_| {},
        )
        .expect_err("broken");
    assert!(matches!(err, ScanError::Har(_)), "{err:?}");
}

#[test]
fn ws_paths_are_recognised_by_name() {
    let s = Scanner::default();
    for p in [
        "/ws",
        "/ws/",
        "/socket.io/",
        "/api/ws",
        "/cable",
        "/chatHub",
        "/live",
        "/graphql-ws",
        "/v1/realtime",
    ] {
        assert!(s.is_ws_path(p.as_bytes()), "{p}");
    }
    for p in [
        "/",
        "/api/cart",
        "/index.html",
        "/wsdl",
        "/news",
        "/events",
        "",
    ] {
        assert!(!s.is_ws_path(p.as_bytes()), "{p}");
    }
}

/// The prefilter's literals find every word of the shared path table, so no WebSocket
/// path line is skipped before the table is asked.
#[test]
fn path_literals_cover_every_ws_path_word() {
    for w in wsdoctor_core::tables::WS_PATH_WORDS {
        let slashed = format!("/{w}");
        assert!(
            crate::WS_PATH_LITERALS
                .iter()
                .chain(crate::WS_WORDS)
                .any(|l| slashed.to_ascii_lowercase().contains(l)),
            "{w}"
        );
    }
}

#[test]
fn vocabulary_and_concept_tiers_on_log_lines() {
    // Lines no family knows: a code of a closed vocabulary (tier 2) and words that mean
    // something together (tier 3), each once about a WebSocket and once not.
    let log = r#"2024-05-01T10:00:00.000Z ERROR [ws-client] WebSocketClient to wss://chat.example.com/ws: java.nio.channels.UnresolvedAddressException
2024-05-01T10:00:01.000Z ERROR [jobs] report export: java.nio.channels.UnresolvedAddressException
2024-05-01T10:00:02.000Z WARN websocket session 42: write after close was called by the handler
2024-05-01T10:00:03.000Z WARN websocket session 43: origin https://evil.test was not allowed by policy
2024-05-01T10:00:04.000Z WARN api: origin https://evil.test was not allowed by policy
2024-05-01T10:00:05.000Z WARN queue: write after close was called by the handler
"#;
    let r = scan_all(&[("app.log", log.as_bytes())], Options::default());
    let sig = |id: CauseId| {
        let f = finding(&r, id);
        (f.count, f.signatures.keys().copied().collect::<Vec<_>>())
    };
    assert_eq!(sig(CauseId::DnsNxdomain), (1, vec!["java-exception"]));
    assert_eq!(
        sig(CauseId::AsyncSendAfterClose),
        (1, vec!["send-after-close"])
    );
    assert_eq!(sig(CauseId::HttpForbidden), (1, vec!["origin-rejected"]));
    assert_eq!(r.findings.len(), 3, "{:?}", ids(&r));
    // The same code on an nginx request to a WebSocket path counts there too.
    let nginx = r#"2024/05/01 10:00:00 [error] 7#7: *1 lua handler: java.nio.channels.UnresolvedAddressException, client: 10.0.0.1, server: ex.com, request: "GET /ws HTTP/1.1", host: "ex.com"
"#;
    let r = scan_all(&[("error.log", nginx.as_bytes())], Options::default());
    assert_eq!(finding(&r, CauseId::DnsNxdomain).count, 1);
}

/// Access lines of many kinds, `n` of them: pages, assets, upgrades (a third cut at
/// 60 s), 4xx/5xx on WebSocket and other paths, CRLF endings, and lines that are not
/// access lines (one with an nginx anchor).
fn mixed_access_log(n: u64) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..n {
        let (path, status, secs) = match i % 17 {
            0 => ("/ws?token=t0ps3cret", 101, format!("{}.{:03}", 60, i % 3)),
            1 => (
                "/socket.io/?EIO=4&transport=websocket",
                101,
                format!("{}.500", i % 50),
            ),
            2 => ("/ws", 502, "0.002".to_string()),
            3 => ("/api/cart", 502, "0.010".to_string()),
            4 => ("/cable", 499, "3.000".to_string()),
            5 => ("/chat/live", 200, "0.100".to_string()),
            6 => ("/missing", 404, "0.001".to_string()),
            7 => ("/ws", 426, "0.001".to_string()),
            _ => ("/static/app.js", 200, "0.001".to_string()),
        };
        let (min, sec) = ((i / 60) % 60, i % 60);
        match i % 97 {
            13 => out.push_str("upstream timed out (110: Connection timed out) while proxying upgraded connection\n"),
            29 => out.push_str("garbage line without anything\r\n"),
            _ => out.push_str(&format!(
                "198.51.100.{} - - [01/May/2024:10:{min:02}:{sec:02} +0000] \"GET {path} HTTP/1.1\" {status} 512 \"-\" \"Mozilla/5.0\" {secs}{}",
                i % 250,
                if i % 5 == 0 { "\r\n" } else { "\n" }
            )),
        }
    }
    out.into_bytes()
}

/// The two-core path (access lines gated on two threads) gives the same report, field
/// for field, as reading line by line on one: one block and many, small blocks cut
/// lines at every offset.
#[test]
fn parallel_and_serial_reports_are_identical() {
    let log = mixed_access_log(60_000);
    assert!(log.len() > 4 << 20, "{}", log.len());
    for chunk in [lines::CHUNK, 200 << 10, 8 << 20] {
        let run = |parallel: bool| {
            let opts = Options {
                parallel,
                chunk,
                ws_paths: vec!["/chat*".into()],
                ..Options::default()
            };
            let r = scan_all(&[("access.log", &log[..]), ("again.log", &log[..])], opts);
            serde_json::to_string(&r).expect("serialises")
        };
        let (serial, parallel) = (run(false), run(true));
        assert_eq!(serial, parallel, "chunk {chunk}");
        let r: serde_json::Value = serde_json::from_str(&parallel).expect("json");
        assert_eq!(r["files"][0]["lines"], 60_000, "chunk {chunk}");
        assert_eq!(r["files"][0]["format"], "access", "chunk {chunk}");
        assert!(serial.contains("proxy-idle-timeout"), "chunk {chunk}");
        assert!(!serial.contains("t0ps3cret"), "redacted");
    }
}

/// Go (gorilla/websocket through the standard `log` package) and .NET (Kestrel,
/// SignalR) application logs: their messages are read by the explain matcher, as a
/// pasted message would be.
#[test]
fn go_and_dotnet_application_logs_through_the_explain_matcher() {
    let go =
        "2024/05/01 10:00:00 read error: websocket: close 1006 (abnormal closure): unexpected EOF
2024/05/01 10:00:01 websocket: bad handshake
2024/05/01 10:00:02 ws write: write tcp 10.0.0.5:8080->10.0.0.9:51234: write: broken pipe
";
    let r = scan_all(&[("app.log", go.as_bytes())], Options::default());
    assert_eq!(r.files[0].lines, 3);
    assert_eq!(ids(&r), [CauseId::SessionAbruptEof]);
    let eof = finding(&r, CauseId::SessionAbruptEof);
    assert_eq!((eof.count, eof.signatures["close-code"]), (1, 1));
    assert_eq!(eof.first_seen.as_ref().map(|s| s.line), Some(1));

    let dotnet = "2024-05-01T10:00:03.123Z fail: Microsoft.AspNetCore.SignalR.HubConnectionHandler[1] System.Net.WebSockets.WebSocketException (0x80004005): The remote party closed the WebSocket connection without completing the close handshake.
2024-05-01T10:00:04.456Z fail: Microsoft.AspNetCore.Server.Kestrel[13] System.Net.WebSockets.WebSocketException (0x80004005): The 'Connection' header value 'Upgrade' is invalid.
";
    let r = scan_all(&[("app.log", dotnet.as_bytes())], Options::default());
    assert_eq!(r.files[0].format, "text");
    let eof = finding(&r, CauseId::SessionAbruptEof);
    assert_eq!((eof.count, eof.signatures["abrupt-close"]), (1, 1));
    let conn = finding(&r, CauseId::HandshakeConnectionMissing);
    assert_eq!(
        (conn.count, conn.signatures["connection-header-wrong"]),
        (1, 1)
    );
    assert_eq!(conn.first_seen.as_ref().map(|s| s.line), Some(2));
}
