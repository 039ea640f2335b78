//! Helpers shared by the command-line integration tests: the binary under test,
//! real peers started on 127.0.0.1:0, and the rule that a missing peer fails loudly
//! when WSDOCTOR_REQUIRE_PEERS=1 (the test script and CI set it).
// Each test binary uses a different subset of these helpers and re-exports.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

// The peers and programs live in the shared test kit; re-exported so the tests
// keep one `common::` prefix.
pub use wsdoctor_testkit::{
    Peer, headless_chromium, node_echo, peers_required, python_echo, python_websockets,
    python_with, repo_root, require_program, start_peer,
};

/// `wsdoctor` as a `Command`, colour off.
pub fn wsdoctor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wsdoctor"));
    c.env("NO_COLOR", "1")
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("https_proxy")
        .env_remove("http_proxy")
        .env_remove("all_proxy");
    c
}

/// Run wsdoctor with args and `--json`, returning (exit code, parsed JSON).
pub fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = wsdoctor()
        .args(args)
        .arg("--json")
        .output()
        .expect("run wsdoctor");
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); exit {code}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}

/// Run wsdoctor with args and `--json`, feeding `input` on stdin.
pub fn json_with_stdin(args: &[&str], input: &[u8]) -> (i32, serde_json::Value) {
    use std::io::Write;
    let mut child = wsdoctor()
        .args(args)
        .arg("--json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn wsdoctor");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for wsdoctor");
    let v = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    (out.status.code().unwrap_or(-1), v)
}

/// The finding ids of a report.
pub fn ids(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Text as the HTML pages write it (the five characters the pages escape).
pub fn html_escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A CA and a leaf for 127.0.0.1, as PEM files in a temp dir (`ca.pem`, `cert.pem`,
/// `key.pem`, and `combined.pem` for HAProxy), generated for the run.
pub struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    pub fn new() -> Certs {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("CA");
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().expect("leaf key");
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .expect("leaf params")
            .signed_by(&key, &issuer)
            .expect("leaf");
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text);
        write("ca.pem", ca.pem()).expect("ca.pem");
        write("cert.pem", leaf.pem()).expect("cert.pem");
        write("key.pem", key.serialize_pem()).expect("key.pem");
        // HAProxy wants certificate and key in one file.
        write("combined.pem", leaf.pem() + &key.serialize_pem()).expect("combined.pem");
        Certs { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn str(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}
