//! The suite against real servers nobody here wrote (Python `websockets`, Node `ws`) and
//! against the lab's deliberately broken ones, on loopback.
//!
//! For the real servers the verdicts are held to Autobahn|Testsuite's own for the same
//! server (tests/expected/NAME.json, written by agreement/run.sh --update from a real
//! Autobahn run): at least 98 % the same verdict and exactly the same FAILED set. For the
//! broken lab servers, the failing case must name the cause the lab scenario declares.

use std::collections::BTreeMap;
use wsdoctor_conform::run::{RunOptions, Target, run_all};
use wsdoctor_conform::{Case, Verdict, cases, judge, select};
use wsdoctor_testkit::peers;

/// Runs the selected cases against `url`; returns id → (verdict, close verdict, cause).
fn conform(url: &str, include: &[&str], exclude: &[&str]) -> BTreeMap<String, Outcome> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let selected: Vec<Case> =
        select::select(cases::all(), &s(include), &s(exclude)).expect("valid selection");
    let target = Target::parse(url).expect("loopback URL");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let runs = rt.block_on(run_all(
        &target,
        &selected,
        &RunOptions::default(),
        |_, _| {},
    ));
    selected
        .iter()
        .zip(&runs)
        .map(|(c, r)| {
            let j = judge(c, &r.observation);
            (
                c.id.clone(),
                Outcome {
                    verdict: j.verdict.as_str().to_string(),
                    close: j.close_verdict.as_str().to_string(),
                    cause: j.cause.map(|c| c.as_str().to_string()),
                    transcript: r.transcript.join("\n"),
                },
            )
        })
        .collect()
}

#[derive(Debug)]
struct Outcome {
    verdict: String,
    close: String,
    cause: Option<String>,
    transcript: String,
}

/// Autobahn's recorded verdicts for one server: id → (behavior, behaviorClose).
fn autobahn(name: &str) -> BTreeMap<String, (String, String)> {
    let path = format!("{}/tests/expected/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("expectation file");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    v.as_object()
        .expect("object")
        .iter()
        .map(|(id, r)| {
            let get = |k: &str| r[k].as_str().expect("string").to_string();
            (id.clone(), (get("behavior"), get("behaviorClose")))
        })
        .collect()
}

/// ≥ 98 % the same verdict and exactly the same FAILED set as Autobahn.
fn assert_agrees(name: &str, ours: &BTreeMap<String, Outcome>) {
    let theirs = autobahn(name);
    let both: Vec<&String> = ours.keys().filter(|id| theirs.contains_key(*id)).collect();
    assert_eq!(
        both.len(),
        ours.len(),
        "every case run has an Autobahn verdict"
    );
    let differ: Vec<String> = both
        .iter()
        .filter(|id| ours[**id].verdict != theirs[**id].0)
        .map(|id| {
            format!(
                "{id}: Autobahn {}/{}, wsdoctor {}/{}\n{}",
                theirs[*id].0,
                theirs[*id].1,
                ours[*id].verdict,
                ours[*id].close,
                ours[*id].transcript
            )
        })
        .collect();
    let same = both.len() - differ.len();
    let failed = |f: &dyn Fn(&String) -> bool| -> Vec<&String> {
        both.iter().copied().filter(|id| f(id)).collect()
    };
    let ours_failed = failed(&|id| ours[id].verdict == "FAILED");
    let theirs_failed = failed(&|id| theirs[id].0 == "FAILED");
    assert!(
        same * 100 >= both.len() * 98 && ours_failed == theirs_failed,
        "{name}: {same}/{} the same verdict as Autobahn; FAILED ours {ours_failed:?} vs Autobahn {theirs_failed:?}\n{}",
        both.len(),
        differ.join("\n\n")
    );
}

#[test]
fn python_websockets_agrees_with_autobahn() {
    let Some(peer) = peers::python_echo(&["--max-size", "33554432"]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let ours = conform(&url, &[], &["0,9,12,13,14"]);
    assert_eq!(ours.len(), 247);
    assert_agrees("python-websockets", &ours);
}

/// permessage-deflate (12.*, 13.*) with websockets, which agrees to it: payload kinds,
/// fragmented compressed messages and every parameter set, on small messages (each case
/// is 1000 round trips).
#[test]
fn python_websockets_compression_agrees_with_autobahn() {
    let Some(peer) = peers::python_echo(&[]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let ours = conform(&url, &["12.1.1,12.2.1,12.5.1,13.2.1,13.5.1,13.7.1"], &[]);
    assert_agrees("python-websockets-deflate", &ours);
    assert!(ours.values().all(|o| o.verdict == "OK"), "{ours:?}");
}

#[test]
fn node_ws_agrees_with_autobahn() {
    let Some(peer) = node_echo() else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    // The whole of 1–7 and 10, and the limits cases that finish quickly, including the one
    // where ws's fragment limit (16 384) meets Autobahn's extra empty final fragment.
    let ours = conform(&url, &[], &["0,9,12,13,14"]);
    assert_agrees("node-ws", &ours);
    let limits = conform(&url, &["9.1.1,9.2.1,9.3.2,9.3.9,9.5.6,9.7.1"], &[]);
    assert_agrees("node-ws", &limits);
    assert_eq!(limits["9.3.2"].verdict, "FAILED");
    assert_eq!(
        limits["9.3.2"].cause.as_deref(),
        Some("session-close-policy")
    );
    assert_eq!(limits["9.7.1"].verdict, Verdict::Ok.as_str());
    // ws leaves permessage-deflate off unless configured: nothing to test, as Autobahn says.
    let deflate = conform(&url, &["12.1.1,13.7.18"], &[]);
    assert_agrees("node-ws", &deflate);
    assert!(
        deflate.values().all(|o| o.verdict == "UNIMPLEMENTED"),
        "{deflate:?}"
    );
}

/// The lab's tokio-tungstenite echo server and two deliberately broken ones (masked
/// frames, RSV2 on every frame), against Autobahn's verdicts for the same servers.
#[test]
fn lab_servers_agree_with_autobahn() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let names = ["healthy-echo", "masked-frames", "reserved-bits"];
    let lab = rt
        .block_on(wsdoctor_lab::Lab::start(wsdoctor_lab::LabOptions {
            only: names.iter().map(|s| s.to_string()).collect(),
            port_base: None,
        }))
        .expect("lab starts");
    for name in names {
        let url = &lab.endpoint(name).expect("started").url;
        let ours = conform(url, &[], &["0,9,12,13,14"]);
        assert_eq!(ours.len(), 247);
        assert_agrees(&format!("lab-{name}"), &ours);
    }
    drop(lab);
}

/// The lab's broken servers fail the cases that exercise their fault, with the cause the
/// lab scenario itself declares for `wsdoctor check`.
#[test]
fn broken_lab_servers_fail_with_their_declared_cause() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let scenarios = ["no-pong", "masked-frames", "reserved-bits", "invalid-utf8"];
    let lab = rt
        .block_on(wsdoctor_lab::Lab::start(wsdoctor_lab::LabOptions {
            only: scenarios.iter().map(|s| s.to_string()).collect(),
            port_base: None,
        }))
        .expect("lab starts");
    for (name, case) in [
        ("no-pong", "2.2"),
        ("masked-frames", "1.1.2"),
        ("reserved-bits", "1.1.2"),
        ("invalid-utf8", "1.1.2"),
    ] {
        let ep = lab.endpoint(name).expect("started");
        let ours = conform(&ep.url, &[case], &[]);
        let got = &ours[case];
        assert_eq!(got.verdict, "FAILED", "{name} {case}: {got:?}");
        let declared = ep.scenario.expect[0].as_str();
        assert_eq!(
            got.cause.as_deref(),
            Some(declared),
            "{name} {case}: {got:?}"
        );
    }
    drop(lab);
}

/// The shared Node `ws` echo server (tests/peers/echo_ws.js) with a 32 MiB message cap:
/// Autobahn's 9.* cases send up to 16 MiB, and the cap is what the agreement run used.
fn node_echo() -> Option<peers::Peer> {
    peers::node_echo_with(&["--max-payload", "33554432"])
}

/// The cases of `got` with each verdict other than OK, as "id id …" (ids in case order).
fn not_ok(got: &BTreeMap<String, Outcome>, verdict: &str) -> String {
    let mut ids: Vec<&String> = got
        .keys()
        .filter(|id| got[*id].verdict == verdict)
        .collect();
    ids.sort_by_key(|id| wsdoctor_conform::model::sort_key(id));
    ids.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
}

/// Category 0 (the opening handshake, wsdoctor's own; Autobahn has none) against Python
/// `websockets` 17.4: every case's verdict is pinned (anything not listed is OK).
#[test]
fn python_websockets_handshake_verdicts() {
    let Some(peer) = peers::python_echo(&[]) else {
        return;
    };
    let got = conform(&format!("ws://127.0.0.1:{}/", peer.port), &["0"], &[]);
    assert_eq!(got.len(), 59);
    // A wrong Sec-WebSocket-Version gets 400 without the Sec-WebSocket-Version header
    // RFC 6455 §4.4 requires; a missing or doubled Host is accepted (RFC 9112 §3.2: 400).
    assert_eq!(
        not_ok(&got, "FAILED"),
        "0.5.2 0.5.3 0.5.4 0.5.5 0.6.1 0.6.2",
        "{got:#?}"
    );
    assert_eq!(got["0.5.2"].cause.as_deref(), Some("http-bad-request"));
    assert_eq!(got["0.6.1"].cause, None);
    // websockets closes without any response to a request with a body, smuggling shapes,
    // obs-fold, bare LF or NUL; it refuses a list in Upgrade.
    assert_eq!(
        not_ok(&got, "NON-STRICT"),
        "0.2.4 0.10.1 0.10.2 0.10.3 0.10.4 0.10.5 0.10.6 0.10.7 0.10.8",
        "{got:#?}"
    );
    assert!(
        got["0.10.1"]
            .transcript
            .contains("* the server closed the connection")
    );
    // 505 for HTTP/1.0 is a refusal; a compressed echo after agreeing to permessage-deflate
    // counts as the echo.
    assert_eq!(got["0.1.2"].verdict, "OK");
    assert_eq!(got["0.9.7"].verdict, "OK");
    assert!(got["0.9.7"].transcript.contains("permessage-deflate"));
}

/// Category 0 against Node `ws` 8.23.1: every case's verdict is pinned.
#[test]
fn node_ws_handshake_verdicts() {
    let Some(peer) = node_echo() else {
        return;
    };
    let got = conform(&format!("ws://127.0.0.1:{}/", peer.port), &["0"], &[]);
    assert_eq!(got.len(), 59);
    // ws accepts HTTP/1.0 and a missing or doubled Host.
    assert_eq!(not_ok(&got, "FAILED"), "0.1.2 0.6.1 0.6.2", "{got:#?}");
    // It refuses a wrong version with 400 (RFC 6455 names 426) but with the version header;
    // it takes a GET's body as WebSocket frames (and fails the connection with 1002).
    assert_eq!(
        not_ok(&got, "NON-STRICT"),
        "0.2.4 0.5.2 0.5.3 0.5.4 0.5.5 0.8.5 0.10.1 0.10.3",
        "{got:#?}"
    );
    assert!(
        got["0.5.2"]
            .transcript
            .contains("< Sec-WebSocket-Version: 13, 8")
    );
    assert!(
        got["0.8.1"]
            .transcript
            .contains("< Sec-WebSocket-Protocol: wsdoctor.test")
    );
}

/// The lab's broken handshakes: the valid request (0.1.1) or the offer the fault answers
/// wrongly fails with the cause the scenario declares for `wsdoctor check`.
#[test]
fn broken_lab_handshakes_fail_category_0_with_their_declared_cause() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let cases = [
        ("wrong-accept", "0.1.1"),
        ("no-upgrade-header", "0.1.1"),
        ("no-connection-header", "0.1.1"),
        ("subprotocol-unrequested", "0.8.1"),
        ("extension-unoffered", "0.9.1"),
    ];
    let lab = rt
        .block_on(wsdoctor_lab::Lab::start(wsdoctor_lab::LabOptions {
            only: cases.iter().map(|(s, _)| s.to_string()).collect(),
            port_base: None,
        }))
        .expect("lab starts");
    for (name, case) in cases {
        let ep = lab.endpoint(name).expect("started");
        let got = conform(&ep.url, &[case], &[]);
        let got = &got[case];
        assert_eq!(got.verdict, "FAILED", "{name} {case}: {got:?}");
        assert_eq!(
            got.cause.as_deref(),
            Some(ep.scenario.expect[0].as_str()),
            "{name} {case}: {got:?}"
        );
    }
    drop(lab);
}

/// Category 14 (hostile input, wsdoctor's own): both real servers survive every attack;
/// ws has no permessage-deflate to bomb.
#[test]
fn real_servers_survive_the_hostile_cases() {
    let Some(py) = peers::python_echo(&[]) else {
        return;
    };
    let Some(node) = node_echo() else {
        return;
    };
    let got = conform(&format!("ws://127.0.0.1:{}/", py.port), &["14"], &[]);
    assert_eq!(got.len(), 14);
    assert!(got.values().all(|o| o.verdict == "OK"), "{got:#?}");
    assert!(
        got["14.9"].transcript.contains("inflating to 16777216"),
        "{got:#?}"
    );
    let got = conform(&format!("ws://127.0.0.1:{}/", node.port), &["14"], &[]);
    assert_eq!(not_ok(&got, "UNIMPLEMENTED"), "14.9", "{got:#?}");
    assert_eq!(not_ok(&got, "OK").split(' ').count(), 13, "{got:#?}");
}

/// A single-threaded server that blocks its loop 40 ms per message (the lab's
/// `blocked-event-loop`) does not survive the message flood: a fresh connection gets no
/// 101; the lab's tokio-tungstenite echo survives every attack.
#[test]
fn a_blocked_loop_does_not_survive_the_message_flood() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let names = ["healthy-echo", "blocked-event-loop"];
    let lab = rt
        .block_on(wsdoctor_lab::Lab::start(wsdoctor_lab::LabOptions {
            only: names.iter().map(|s| s.to_string()).collect(),
            port_base: None,
        }))
        .expect("lab starts");
    let healthy = conform(
        &lab.endpoint("healthy-echo").expect("started").url,
        &["14"],
        &[],
    );
    assert_eq!(not_ok(&healthy, "FAILED"), "", "{healthy:#?}");
    let blocked = conform(
        &lab.endpoint("blocked-event-loop").expect("started").url,
        &["14.6"],
        &[],
    );
    let got = &blocked["14.6"];
    assert_eq!(got.verdict, "FAILED", "{got:?}");
    assert_eq!(got.cause.as_deref(), Some("http-no-response"), "{got:?}");
    drop(lab);
}
