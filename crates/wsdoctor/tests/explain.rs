//! `wsdoctor explain` end to end: the real binary, asserting exit codes, ids and
//! structured fields of the JSON answer (schema wsdoctor.explain/1), never prose.

mod common;

use common::{json, json_with_stdin, wsdoctor};

fn cause_ids(v: &serde_json::Value) -> Vec<String> {
    v["causes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_chrome_message_is_explained_with_ranked_causes_and_the_url() {
    let (code, v) = json(&[
        "explain",
        "WebSocket connection to 'wss://chat.example.com/ws' failed: Error during WebSocket handshake: Unexpected response code: 200",
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "wsdoctor.explain/1");
    assert_eq!(v["kind"], "message");
    assert_eq!(v["recognised"], true);
    assert_eq!(v["layer"], "http");
    assert_eq!(v["status"]["code"], 200);
    let ids = cause_ids(&v);
    assert_eq!(ids[0], "http-not-upgraded");
    assert!(ids.contains(&"proxy-upgrade-not-forwarded".to_string()));
    assert!(
        !ids.contains(&"http-forbidden".to_string()),
        "a known 200 must not list 403 causes: {ids:?}"
    );
    assert_eq!(v["causes"][0]["rank"], 1);
    assert!(
        v["causes"][0]["fix"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(v["causes"][0]["tell"].is_string());
    assert_eq!(v["url"], "wss://chat.example.com/ws");
    assert_eq!(v["check"], "wsdoctor check wss://chat.example.com/ws");
}

#[test]
fn words_are_joined_and_nginx_lines_are_read() {
    let (code, v) = json(&[
        "explain",
        "upstream",
        "timed",
        "out",
        "(110: Connection timed out) while proxying upgraded connection",
    ]);
    assert_eq!(code, 0);
    assert_eq!(cause_ids(&v)[0], "proxy-idle-timeout");
    assert_eq!(v["matched"][0]["rule"], "nginx-upgraded-timeout");
}

#[test]
fn close_codes_statuses_and_ids() {
    let (code, v) = json(&["explain", "1006"]);
    assert_eq!(code, 0);
    assert_eq!(v["kind"], "close-code");
    assert_eq!(v["close_code"]["code"], 1006);
    assert_eq!(v["close_code"]["on_wire"], false);
    assert_eq!(v["close_code"]["cause"], "session-abrupt-eof");
    assert_eq!(
        cause_ids(&v)[..2],
        ["session-abrupt-eof", "proxy-idle-timeout"]
    );

    let (code, v) = json(&["explain", "4403"]);
    assert_eq!(code, 0);
    assert_eq!(v["close_code"]["range"], "private");
    assert_eq!(cause_ids(&v)[0], "session-close-application");

    let (code, v) = json(&["explain", "403"]);
    assert_eq!(code, 0);
    assert_eq!(v["kind"], "status");
    assert_eq!(cause_ids(&v)[0], "http-forbidden");

    let (code, v) = json(&["explain", "tls-cert-expired"]);
    assert_eq!(code, 0);
    assert_eq!(v["kind"], "cause");
    assert_eq!(cause_ids(&v), ["tls-cert-expired"]);
    assert_eq!(v["layer"], "tls");
}

#[test]
fn unrelated_text_is_not_recognised_and_exits_1() {
    for text in [
        "Exception in thread \"main\" java.lang.NullPointerException at com.example.Foo.bar(Foo.java:42)",
        "write error: No space left on device",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit",
    ] {
        let (code, v) = json(&["explain", text]);
        assert_eq!(code, 1, "{text}");
        assert_eq!(v["recognised"], false);
        assert_eq!(v["kind"], "not-recognised");
        assert!(v["causes"].as_array().is_some_and(|a| a.is_empty()));
        assert!(v["triage"].as_array().is_some_and(|a| a.len() >= 3));
    }
}

#[test]
fn stdin_is_read_with_a_dash() {
    let (code, v) = json_with_stdin(
        &["explain", "-"],
        b"x509: certificate signed by unknown authority\n",
    );
    assert_eq!(code, 0);
    assert_eq!(cause_ids(&v)[0], "tls-unknown-issuer");
}

#[test]
fn list_and_exit_codes() {
    let (code, v) = json(&["explain", "--list"]);
    assert_eq!(code, 0);
    let catalog = v["catalog"].as_array().expect("catalog");
    assert_eq!(catalog.len(), wsdoctor_core::CATALOG.len());
    assert!(
        catalog
            .iter()
            .any(|c| c["id"] == "cors-not-websocket" && c["layer"] == "http")
    );

    let (code, v) = json(&["explain", "exit-codes"]);
    assert_eq!(code, 0);
    let codes: Vec<i64> = v["exit_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .filter_map(|c| c["code"].as_i64())
        .collect();
    assert_eq!(codes, [0, 1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
    assert_eq!(v["exit_codes"][4]["layer"], "url");
}

#[test]
fn no_text_is_a_usage_error() {
    let out = wsdoctor().arg("explain").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn human_output_names_ids_and_the_check_command() {
    let out = wsdoctor().args(["explain", "1009"]).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("session-close-message-too-big"));
    assert!(text.contains("wsdoctor check"));
    assert!(!text.contains('\x1b'), "no colour in a pipe");
}
