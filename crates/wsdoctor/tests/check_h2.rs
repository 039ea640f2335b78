//! `check` and WebSockets over HTTP/2 (RFC 8441) against the lab's h2 scenarios: the
//! information findings the tour does not count (a server without RFC 8441, browsers
//! taking the failing path), the exit behaviour over both paths, `--http2` and
//! `--no-http2`, and where each finding is tagged `transport: h2`.

mod common;

use common::*;
use serde_json::Value;

const SCENARIOS: &[&str] = &[
    "healthy-h2-echo",
    "h2-no-connect-protocol",
    "h2-connect-rejected",
    "h2-only-works",
    "h2-masked-frames",
    "healthy-tls-echo",
    "healthy-echo",
];

struct Lab {
    rt: tokio::runtime::Runtime,
    lab: Option<wsdoctor_lab::Lab>,
    ca: tempfile::NamedTempFile,
}

impl Lab {
    fn start() -> Lab {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let lab = rt
            .block_on(wsdoctor_lab::Lab::start(wsdoctor_lab::LabOptions {
                only: SCENARIOS.iter().map(|s| s.to_string()).collect(),
                port_base: None,
            }))
            .expect("the lab starts on loopback");
        let ca = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(ca.path(), lab.ca_pem()).expect("write the lab CA");
        Lab {
            rt,
            lab: Some(lab),
            ca,
        }
    }

    /// `check --json` against a scenario, with its plan's flags and `extra`.
    fn check(&self, scenario: &str, extra: &[&str]) -> (i32, Value) {
        let lab = self.lab.as_ref().expect("running");
        let ep = lab.endpoint(scenario).expect("a selected scenario");
        let ca = self.ca.path().to_str().expect("a UTF-8 temp path");
        let mut args = vec!["check".to_string()];
        args.extend(ep.check_args(Some(ca)));
        args.extend(extra.iter().map(|s| s.to_string()));
        json(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(lab) = self.lab.take() {
            self.rt.block_on(lab.shutdown());
        }
    }
}

fn findings(r: &Value) -> Vec<(String, String, Option<String>)> {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or("").to_string(),
                f["severity"].as_str().unwrap_or("").to_string(),
                f["transport"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn has(r: &Value, id: &str, severity: &str, transport: Option<&str>) -> bool {
    findings(r)
        .iter()
        .any(|(i, s, t)| i == id && s == severity && t.as_deref() == transport)
}

#[test]
fn h2_scenarios_report_paths_findings_and_exit_codes() {
    let lab = Lab::start();

    let (code, r) = lab.check("healthy-h2-echo", &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["browser_path"], "h2");
    assert_eq!(r["h2"]["verdict"], "ok");
    let h2 = &r["evidence"]["h2"];
    assert_eq!(h2["alpn"], "h2");
    assert_eq!(h2["outcome"]["kind"], "open");
    assert_eq!(h2["outcome"]["status"], 200);
    assert_eq!(h2["session"]["message"]["kind"], "echoed");
    assert_eq!(h2["session"]["ping"]["kind"], "pong");
    assert!(
        h2["settings"]
            .as_array()
            .expect("settings")
            .iter()
            .any(|s| s["name"] == "SETTINGS_ENABLE_CONNECT_PROTOCOL" && s["value"] == 1),
        "{h2:#}"
    );
    assert!(
        h2["request_head"]
            .as_str()
            .is_some_and(|h| h.contains(":protocol: websocket")),
        "{h2:#}"
    );

    // HTTP/2 without RFC 8441 (nginx): information only, browsers take HTTP/1.1.
    let (code, r) = lab.check("h2-no-connect-protocol", &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["verdict"], "ok");
    assert_eq!(r["browser_path"], "http/1.1");
    assert_eq!(
        findings(&r),
        [(
            "h2-connect-protocol-not-advertised".to_string(),
            "info".to_string(),
            Some("h2".to_string())
        )]
    );

    // HTTP/1.1 works, HTTP/2 is advertised and fails: browsers fail, so check fails.
    let (code, r) = lab.check("h2-connect-rejected", &[]);
    assert_eq!(code, 15, "{r:#}");
    assert!(has(&r, "h2-connect-rejected", "error", Some("h2")), "{r:#}");
    assert!(has(&r, "h2-fails-h1-works", "info", None), "{r:#}");
    assert!(
        r["phases"]
            .as_array()
            .expect("phases")
            .iter()
            .all(|p| p["status"] != "failed"),
        "the HTTP/1.1 phases stay healthy: {r:#}"
    );
    assert_eq!(r["h2"]["verdict"], "failed");

    // HTTP/1.1 fails (426), HTTP/2 works: the HTTP/1.1 failure sets the code.
    let (code, r) = lab.check("h2-only-works", &[]);
    assert_eq!(code, 15, "{r:#}");
    assert!(has(&r, "http-upgrade-required", "error", None), "{r:#}");
    assert!(has(&r, "h2-works-h1-fails", "warning", None), "{r:#}");
    assert_eq!(r["h2"]["verdict"], "ok");

    // RFC 6455 inside the stream: the session ids, tagged h2, exit 17.
    let (code, r) = lab.check("h2-masked-frames", &[]);
    assert_eq!(code, 17, "{r:#}");
    assert!(
        has(&r, "session-masked-frame", "error", Some("h2")),
        "{r:#}"
    );
    assert!(!has(&r, "session-masked-frame", "error", None), "{r:#}");

    // --no-http2: the HTTP/1.1 result alone.
    let (code, r) = lab.check("h2-connect-rejected", &["--no-http2"]);
    assert_eq!(code, 0, "{r:#}");
    assert!(r.get("h2").is_none() && r["evidence"].get("h2").is_none());

    // A server offering only http/1.1: silent by default, information with --http2.
    let (code, r) = lab.check("healthy-tls-echo", &[]);
    assert_eq!((code, findings(&r)), (0, vec![]), "{r:#}");
    assert_eq!(r["evidence"]["h2"]["outcome"]["kind"], "not-negotiated");
    let (code, r) = lab.check("healthy-tls-echo", &["--http2"]);
    assert_eq!(code, 0, "{r:#}");
    assert!(has(&r, "h2-not-negotiated", "info", Some("h2")), "{r:#}");

    // ws:// with --http2: prior knowledge (h2c); an HTTP/1.1-only server is no fault.
    let (code, r) = lab.check("healthy-echo", &["--http2"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["evidence"]["h2"]["outcome"]["kind"], "not-http2", "{r:#}");
    assert!(has(&r, "h2-not-negotiated", "info", Some("h2")), "{r:#}");
    let (_, r) = lab.check("healthy-echo", &[]);
    assert!(r["evidence"].get("h2").is_none(), "no automatic h2c: {r:#}");
}
