//! A real peer nobody here wrote: the Python `websockets` client, against the healthy
//! servers and a few broken ones. It must fail where the lab says clients fail, with
//! its own exception for it — the lab reproduces what other clients experience.

use std::process::Stdio;
use std::time::Duration;
use wsdoctor_lab::{Lab, LabOptions};

const CLIENT: &str = r#"
import asyncio, ssl, sys
import websockets

async def main(url, cafile):
    ctx = ssl.create_default_context(cafile=cafile) if url.startswith("wss://") else None
    try:
        async with websockets.connect(url, ssl=ctx, open_timeout=5, close_timeout=2) as ws:
            await ws.send("from python")
            print("ECHO", await asyncio.wait_for(ws.recv(), 5))
    except Exception as e:
        names = [c.__name__ for c in type(e).__mro__]
        code = getattr(getattr(e, "rcvd", None), "code", None)
        status = getattr(getattr(e, "response", None), "status_code", None)
        print("ERROR", " ".join(names), "code=%s status=%s" % (code, status))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"#;

/// Runs the Python client against `url`; its one-line verdict.
async fn python_client(url: &str, cafile: &std::path::Path) -> String {
    let child = tokio::process::Command::new("python3")
        .args(["-c", CLIENT, url])
        .arg(cafile)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start python3");
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("python client finished within 20 s")
        .expect("python client output");
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        !stdout.is_empty(),
        "no verdict; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn python_websockets_sees_what_the_lab_declares() {
    // The kit's check: python3 with `websockets`, a loud skip or a failure when required.
    if wsdoctor_testkit::python_websockets().is_none() {
        return;
    }
    let names = [
        "healthy-echo",
        "healthy-tls-echo",
        "healthy-behind-proxy",
        "wrong-accept",
        "wrong-path",
        "no-upgrade-header",
        "tls-expired",
        "close-1011",
        "abrupt-eof",
    ];
    let opts = LabOptions {
        only: names.iter().map(|s| s.to_string()).collect(),
        port_base: None,
    };
    let lab = Lab::start(opts).await.expect("lab starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("lab-ca.pem");
    std::fs::write(&ca, lab.ca_pem()).expect("write CA");
    let runs = lab
        .endpoints()
        .iter()
        .map(|ep| async { (ep.scenario.name, python_client(&ep.url, &ca).await) });
    let verdicts = futures_util::future::join_all(runs).await;
    assert_eq!(verdicts.len(), names.len());
    for (name, verdict) in &verdicts {
        let has = |class: &str| verdict.split_whitespace().any(|w| w == class);
        match *name {
            "healthy-echo" | "healthy-tls-echo" | "healthy-behind-proxy" => {
                assert_eq!(verdict, "ECHO from python", "{name}")
            }
            "wrong-accept" => assert!(
                has("InvalidHeaderValue") && has("InvalidHandshake"),
                "{name}: {verdict}"
            ),
            "wrong-path" => assert!(
                has("InvalidStatus") && verdict.ends_with("status=404"),
                "{name}: {verdict}"
            ),
            "no-upgrade-header" => assert!(has("InvalidUpgrade"), "{name}: {verdict}"),
            "tls-expired" => assert!(has("SSLCertVerificationError"), "{name}: {verdict}"),
            "close-1011" => assert!(
                has("ConnectionClosedError") && verdict.contains("code=1011"),
                "{name}: {verdict}"
            ),
            // No close frame received: websockets reports code 1006 by leaving rcvd empty.
            "abrupt-eof" => assert!(
                has("ConnectionClosedError") && verdict.contains("code=None"),
                "{name}: {verdict}"
            ),
            other => panic!("no expectation for {other}"),
        }
    }
    lab.shutdown().await;
}
