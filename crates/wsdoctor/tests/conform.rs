//! `wsdoctor conform` from the command line: selection, exit codes, the JSON contract,
//! `--expect`, against a real server (Python `websockets`) and a broken lab server.

mod common;

use common::{json, python_echo, wsdoctor};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = wsdoctor().args(args).output().expect("run wsdoctor");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn dry_run_lists_the_selection_without_a_server() {
    let (code, out, _) = run(&["conform", "--dry-run", "--cases", "1.*,2.1"]);
    assert_eq!(code, 0);
    assert!(out.trim_end().ends_with("17 cases"), "{out}");
    assert!(out.contains("2.1 ") && !out.contains("2.10"), "{out}");
    let (code, all, _) = run(&["conform", "--dry-run"]);
    assert_eq!(code, 0);
    assert!(all.trim_end().ends_with("590 cases"), "{all}");
    let (code, v) = json(&[
        "conform",
        "--dry-run",
        "--cases",
        "6.4.*",
        "--exclude",
        "6.4.4",
    ]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = v
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["6.4.1", "6.4.2", "6.4.3"]);
}

#[test]
fn bad_selections_and_urls_are_usage_or_url_errors() {
    let (code, _, err) = run(&["conform", "ws://127.0.0.1:1/", "--cases", "1.x"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("1.x"), "{err}");
    let (code, _, err) = run(&["conform", "ws://127.0.0.1:1/", "--cases", "8.*"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--dry-run"), "{err}");
    let (code, _, _) = run(&["conform"]);
    assert_eq!(code, 2);
    let (code, _, err) = run(&["conform", "http://127.0.0.1:1/"]);
    assert_eq!(code, 10, "{err}");
    assert!(err.contains("ws://"), "{err}");
}

#[test]
fn a_closed_port_exits_with_the_tcp_code_before_any_case() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("ws://127.0.0.1:{port}/");
    let (code, out, err) = run(&["conform", &url]);
    assert_eq!(code, 12, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("tcp layer"), "{err}");
}

#[test]
fn a_real_server_gets_verdicts_sections_and_transcripts() {
    let Some(peer) = python_echo(&[]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    // 7.1.5 is FAILED for websockets in Autobahn too (it answers 1002 to a Close inside a
    // fragmented message); 6.4.1 is NON-STRICT (it checks UTF-8 when the message ends, not
    // as the bytes arrive). Whether 3.2 is OK or NON-STRICT depends on timing.
    let (code, v) = json(&["conform", &url, "--cases", "1.1.1,2.5,6.4.1,7.1.5"]);
    assert_eq!(code, 1);
    assert_eq!(v["schema"], "wsdoctor.conform/1");
    assert_eq!(v["verdict"], "failed");
    let case = |id: &str| {
        v["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("case {id} in {v}"))
            .clone()
    };
    assert_eq!(case("1.1.1")["verdict"], "OK");
    assert_eq!(case("1.1.1")["section"], "RFC 6455 §5.2");
    assert_eq!(case("2.5")["server_close_code"], 1002);
    assert_eq!(case("6.4.1")["verdict"], "NON-STRICT");
    let failed = case("7.1.5");
    assert_eq!(failed["verdict"], "FAILED");
    assert_eq!(failed["close_verdict"], "WRONG CODE");
    assert_eq!(failed["cause"], "session-close-protocol-error");
    let transcript: Vec<&str> = failed["transcript"]
        .as_array()
        .expect("transcript")
        .iter()
        .map(|l| l.as_str().expect("line"))
        .collect();
    assert!(
        transcript.iter().any(|l| l.starts_with("< close 1002")),
        "{transcript:?}"
    );
    assert_eq!(v["summary"]["total"], 4);
    assert_eq!(v["summary"]["failed"], 1);

    // Accepting the known FAILED turns the run green; --strict makes NON-STRICT count.
    let dir = tempfile::tempdir().expect("temp dir");
    let known = dir.path().join("known.json");
    std::fs::write(&known, serde_json::to_vec(&v).expect("json")).expect("write");
    let known = known.to_str().expect("utf-8 path");
    let (code, again) = json(&[
        "conform",
        &url,
        "--cases",
        "1.1.1,2.5,6.4.1,7.1.5",
        "--expect",
        known,
    ]);
    assert_eq!(code, 0, "{again}");
    let (code, _, _) = run(&["conform", &url, "--cases", "6.4.1", "--strict"]);
    assert_eq!(code, 1);
    let (code, out, _) = run(&["conform", &url, "--cases", "6.4.1"]);
    assert_eq!(code, 0);
    assert!(out.contains("NON-STRICT 6.4.1"), "{out}");
}

#[test]
fn expect_files_are_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"1.1.1": "MAYBE"}"#).expect("write");
    let (code, _, err) = run(&[
        "conform",
        "ws://127.0.0.1:1/",
        "--expect",
        bad.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("MAYBE"), "{err}");
}

#[test]
fn junit_and_html_reports_carry_every_case() {
    let Some(peer) = python_echo(&[]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let dir = tempfile::tempdir().expect("temp dir");
    let xml_path = dir.path().join("conform.xml");
    let html_path = dir.path().join("conform.html");
    let (code, _, err) = run(&[
        "conform",
        &url,
        "--cases",
        "1.1.1,1.1.2,6.4.1,7.1.5",
        "--junit",
        xml_path.to_str().expect("utf-8"),
        "--html",
        html_path.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "{err}");

    // JUnit: one suite per category, 7.1.5 (FAILED in Autobahn too) the only failure,
    // NON-STRICT passes unless --strict.
    let xml = std::fs::read_to_string(&xml_path).expect("junit written");
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    assert_eq!(report.tests, 4);
    assert_eq!(report.failures, 1);
    let suites: Vec<(&str, usize, usize)> = report
        .test_suites
        .iter()
        .map(|s| (s.name.as_str(), s.tests, s.failures))
        .collect();
    assert_eq!(
        suites,
        [
            ("1 Framing", 2, 0),
            ("6 UTF-8 Handling", 1, 0),
            ("7 Close Handling", 1, 1)
        ]
    );
    let failed = &report.test_suites[2].test_cases[0];
    assert!(
        failed.name.as_str().starts_with("7.1.5 "),
        "{:?}",
        failed.name
    );
    assert!(
        failed
            .system_out
            .as_ref()
            .is_some_and(|o| o.as_str().contains("< close 1002")),
        "{failed:?}"
    );

    // HTML: every case has its row; the failed category is open; the transcript's '<'
    // is escaped, not markup.
    let html = std::fs::read_to_string(&html_path).expect("html written");
    for id in ["1.1.1", "1.1.2", "6.4.1", "7.1.5"] {
        assert!(html.contains(&format!("id=\"case-{id}\"")), "{id} missing");
    }
    assert!(html.contains("<tr class=\"failed\" id=\"case-7.1.5\">"));
    assert!(html.contains("<tr class=\"nonstrict\" id=\"case-6.4.1\">"));
    assert!(html.contains("<details id=\"category-7\" open>"));
    assert!(html.contains("<details id=\"category-1\">"));
    assert!(
        html.contains("&#60; close 1002"),
        "the transcript is escaped"
    );
    assert!(!html.contains("<script"));

    // --strict: the NON-STRICT case now fails in JUnit too.
    let (_, _, err) = run(&[
        "conform",
        &url,
        "--cases",
        "6.4.1",
        "--strict",
        "--junit",
        xml_path.to_str().expect("utf-8"),
    ]);
    let xml = std::fs::read_to_string(&xml_path).expect("junit rewritten");
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    assert_eq!((report.tests, report.failures), (1, 1), "{err}");
}

#[test]
fn an_unwritable_report_path_is_named_with_the_fix() {
    let Some(peer) = python_echo(&[]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let (code, _, err) = run(&[
        "conform",
        &url,
        "--cases",
        "1.1.1",
        "--html",
        "/nonexistent-wsdoctor-dir/report.html",
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("--html /nonexistent-wsdoctor-dir/report.html"),
        "{err}"
    );
    assert!(err.contains("writable path"), "{err}");
}

/// Category 0 through the CLI: the JSON contract holds for raw-request cases too.
#[test]
fn handshake_cases_report_section_cause_and_the_raw_request() {
    let Some(peer) = python_echo(&[]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let (code, v) = json(&["conform", &url, "--cases", "0.1.1,0.5.2"]);
    assert_eq!(code, 1, "{v}");
    let cases = v["cases"].as_array().expect("cases");
    assert_eq!(cases[0]["id"], "0.1.1");
    assert_eq!(cases[0]["verdict"], "OK");
    let wrong = &cases[1];
    assert_eq!(wrong["id"], "0.5.2");
    assert_eq!(wrong["verdict"], "FAILED");
    assert_eq!(wrong["section"], "RFC 6455 §4.4");
    assert_eq!(wrong["cause"], "http-bad-request");
    let transcript: Vec<&str> = wrong["transcript"]
        .as_array()
        .expect("transcript")
        .iter()
        .map(|l| l.as_str().expect("line"))
        .collect();
    assert!(
        transcript.contains(&"> Sec-WebSocket-Version: 14")
            && transcript.iter().any(|l| l.starts_with("< HTTP/1.1 400")),
        "{transcript:?}"
    );
    let (_, listed, _) = run(&["conform", "--dry-run", "--cases", "0"]);
    assert!(listed.trim_end().ends_with("59 cases"), "{listed}");
}

/// `wss://`: the cases run over TLS opened by `check`'s own code (its `--cacert`, `-k`),
/// against Python `websockets` serving a certificate generated for the run, with the
/// verdicts it gets over `ws://`; a certificate nobody trusts stops before any case with
/// `check`'s cause and the TLS exit code.
#[test]
fn wss_targets_use_checks_tls_and_get_the_same_verdicts() {
    let certs = common::Certs::new();
    let (cert, key, ca) = (
        certs.str("cert.pem"),
        certs.str("key.pem"),
        certs.str("ca.pem"),
    );
    let Some(peer) = python_echo(&["--cert", &cert, "--key", &key]) else {
        return;
    };
    let url = format!("wss://127.0.0.1:{}/", peer.port);
    let selection = "0.1.1,0.5.2,1.1.1,1.1.6,2.5,5.6,7.1.5,14.1";
    let (code, v) = json(&["conform", &url, "--cacert", &ca, "--cases", selection]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["schema"], "wsdoctor.conform/1");
    assert_eq!(v["target"], url);
    let verdicts: Vec<(String, String, String)> = v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("-").to_string();
            (s("id"), s("verdict"), s("cause"))
        })
        .collect();
    let want = |id: &str, verdict: &str, cause: &str| {
        (id.to_string(), verdict.to_string(), cause.to_string())
    };
    assert_eq!(
        verdicts,
        [
            want("0.1.1", "OK", "-"),
            want("0.5.2", "FAILED", "http-bad-request"),
            want("1.1.1", "OK", "-"),
            want("1.1.6", "OK", "-"),
            want("2.5", "OK", "-"),
            want("5.6", "OK", "-"),
            want("7.1.5", "FAILED", "session-close-protocol-error"),
            want("14.1", "OK", "-"),
        ],
        "{v:#}"
    );
    assert_eq!(v["cases"][4]["server_close_code"], 1002);
    assert_eq!(v["summary"]["failed"], 2);

    // -k goes on past the untrusted certificate, as in `check`.
    let (code, v) = json(&["conform", &url, "-k", "--cases", "1.1.1"]);
    assert_eq!((code, &v["cases"][0]["verdict"]), (0, &"OK".into()), "{v}");

    // Without the CA: no case runs; check's cause id (rcgen names the leaf's issuer as
    // its subject, so check reads it as self-signed) and the TLS layer's exit code.
    let (code, out, err) = run(&["conform", &url, "--cases", "1.1.1"]);
    assert_eq!(code, 14, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("(tls-self-signed)") && err.contains("tls layer"),
        "{err}"
    );

    // A --cacert that is not a file is the user's mistake, named before any IO.
    let (code, _, err) = run(&["conform", &url, "--cacert", "/nonexistent/ca.pem"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/ca.pem"), "{err}");
}
