//! Never-panic properties of every log parser (issue 13): arbitrary bytes and mangled
//! real lines, read in every format (forced, so each parser sees them), bare and inside
//! each container wrapper, end with a report — no panic, no hang.

use super::*;
use proptest::prelude::*;

/// One real line of each format (from `testdata/logs/` and the vendors' examples).
const LINES: &[&str] = &[
    r#"127.0.0.1 - - [03/Dec/2026:14:09:36 +0000] "GET /ws?room=x0 HTTP/1.1" 101 13 "-" "Mozilla/5.0" 345 1.333 [upstream-default-chat-8080] [] 127.0.0.1:37145, 10.0.0.2:80 : 10.0.0.3:80 0 1.333 101 a462e2be8d7a4f70"#,
    r#"127.0.0.1 - - [03/Dec/2026:14:09:35 +0000] "GET /ws?room=x0 HTTP/1.1" 0 0 "-" "-" 13 "ws@file" "http://127.0.0.1:37145" 1303ms"#,
    r#"[2016-04-15T20:17:01.310Z] "GET /ws HTTP/1.1" 101 SI 154 0 300001 - "10.0.35.28" "Mozilla/5.0" "cc21d9b0" "chat" "tcp://10.0.2.1:80""#,
    r#"Dec  3 14:10:25 lb1 haproxy[32555]: 127.0.0.1:58288 [03/Dec/2026:14:09:35.421] fe_tcp be_tcp/ws1 1/0/50138 312 cD 14/6/5/5/0 0/0"#,
    r#"ws 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:40914 10.0.1.192:8010 0.001 0.003 0.000 101 101 218 587 "GET http://10.0.0.30:80/ HTTP/1.1" "-" - - arn:aws "Root=1" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward""#,
    r#"{"level":"info","logger":"http.log.access.log0","msg":"handled request","request":{"method":"GET","uri":"/ws","headers":{"Upgrade":["websocket"]}},"duration":1.3,"status":101}"#,
    r#"{"DownstreamStatus":0,"Duration":1299152502,"RequestMethod":"GET","RequestPath":"/ws","ServiceURL":"http://127.0.0.1:37145"}"#,
    r#"{"ClientRequestMethod":"GET","ClientRequestURI":"/ws","EdgeEndTimestamp":"2020-10-13T19:49:36Z","EdgeResponseStatus":101,"EdgeStartTimestamp":"2020-10-13T19:48:36Z"}"#,
    r#"2026/12/03 14:09:35 [error] 32554#32554: *16 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /live/feed HTTP/1.1", upstream: "http://127.0.0.1:42823/live/feed", host: "x""#,
    r#"[Thu Dec 03 14:09:35.469226 2026] [proxy:error] [pid 32556:tid 32583] (111)Connection refused: AH00957: ws: attempt to connect to 127.0.0.1:42823 (127.0.0.1:42823) failed"#,
];

fn wrap(kind: u8, line: &[u8]) -> Vec<u8> {
    match kind {
        0 => line.to_vec(),
        1 => [&b"2026-12-03T14:09:36.123456789Z stdout F "[..], line].concat(),
        _ => {
            let esc = serde_json::to_string(&String::from_utf8_lossy(line)).expect("json");
            format!("{{\"log\":{esc},\"stream\":\"stdout\"}}").into_bytes()
        }
    }
}

fn scan_as(format: Option<&str>, data: &[u8]) -> LogReport {
    let opts = Options {
        format: format.map(str::to_string),
        log_formats: vec![LogFormat {
            name: "log-format".into(),
            template: r#"%h %l %u %t "%r" %>s %b %{ms}T"#.into(),
            files: Vec::new(),
        }],
        chunk: 256,
        ..Options::default()
    };
    let mut s = Scanner::new(opts);
    // A read error (a cut gzip, a broken HAR) is a report entry, never a panic.
    if let Err(e) = s.scan("x.log", &mut &data[..], &mut |_| {}) {
        s.failed("x.log", e.to_string());
    }
    s.finish()
}

fn formats() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        Just(None),
        proptest::sample::select(format_names().collect::<Vec<_>>()).prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn arbitrary_bytes_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..1500),
        format in formats(),
    ) {
        scan_as(format, &data);
    }

    #[test]
    fn mangled_real_lines_never_panic(
        picks in proptest::collection::vec((0..LINES.len(), 0usize..400, 0usize..400,
            proptest::collection::vec(any::<u8>(), 0..12), 0u8..3), 1..6),
        format in formats(),
    ) {
        let mut log = Vec::new();
        for (i, cut, at, junk, wrapper) in picks {
            let mut l = LINES[i].as_bytes().to_vec();
            l.truncate(cut.max(1));
            let at = at.min(l.len());
            l.splice(at..at, junk);
            log.extend(wrap(wrapper, &l));
            log.push(b'\n');
        }
        let r = scan_as(format, &log);
        prop_assert!(r.files.len() == 1 || !r.errors.is_empty());
    }
}

/// One HAR entry: a WebSocket upgrade with messages, as Chromium exports it.
const HAR_ENTRY: &str = r#"{"startedDateTime":"2026-12-03T14:09:35.000Z","time":60001,"request":{"method":"GET","url":"wss://chat.example.com/ws?token=x","headers":[{"name":"Upgrade","value":"websocket"}]},"response":{"status":101,"statusText":"Switching Protocols","headers":[]},"_resourceType":"websocket","_webSocketMessages":[{"type":"send","time":1.5,"opcode":1,"data":"hi"},{"type":"receive","time":2.5,"opcode":8,"data":""}]}"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// HAR exports with mangled entries (cut, junk spliced in, repeated) never panic:
    /// the export is read or its error reported.
    #[test]
    fn mangled_har_never_panics(
        picks in proptest::collection::vec((0usize..600, 0usize..600,
            proptest::collection::vec(any::<u8>(), 0..12)), 1..5),
    ) {
        let mut entries = Vec::new();
        for (cut, at, junk) in picks {
            let mut e = HAR_ENTRY.as_bytes().to_vec();
            e.truncate(cut.max(1));
            let at = at.min(e.len());
            e.splice(at..at, junk);
            entries.push(e);
        }
        let har = [&br#"{"log":{"version":"1.2","entries":["#[..], &entries.join(&b","[..]), b"]}}"].concat();
        let r = scan_as(None, &har);
        prop_assert!(r.files.len() == 1 || !r.errors.is_empty());
    }
}

#[test]
fn the_har_entry_of_the_property_reads_whole() {
    let har = format!(r#"{{"log":{{"version":"1.2","entries":[{HAR_ENTRY}]}}}}"#);
    let r = scan_as(None, har.as_bytes());
    assert_eq!(r.files[0].format, "har");
    let h = r.har.expect("har summary");
    assert_eq!((h.websockets, h.upgraded), (1, 1), "{h:?}");
}

#[test]
fn every_real_line_reads_in_its_own_format_inside_every_wrapper() {
    for (i, l) in LINES.iter().enumerate() {
        for kind in 0..3 {
            let r = scan_as(None, &[wrap(kind, l.as_bytes()), b"\n".to_vec()].concat());
            assert!(
                !r.findings.is_empty() || r.sessions.upgraded > 0,
                "line {i} in wrapper {kind}: nothing read ({})",
                r.files[0].format
            );
        }
    }
}
