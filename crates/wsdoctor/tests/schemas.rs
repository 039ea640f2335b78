//! The JSON Schemas under `schemas/` are the contract of every `--json` output. Two
//! things hold them: they are exactly what `wsdoctor schema --dir` generates from the
//! types today (so they cannot drift from the code), and real outputs of each command
//! validate against them with an independent validator, Python's `jsonschema` (so the
//! generation itself is checked, not trusted).

mod common;

use common::{peers_required, repo_root, wsdoctor};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const NAMES: [&str; 10] = [
    "report", "targets", "tour", "lab", "lint", "explain", "logs", "conform", "bench", "pcap",
];

fn committed(name: &str) -> PathBuf {
    repo_root()
        .join("schemas")
        .join(format!("{name}.schema.json"))
}

#[test]
fn committed_schemas_are_what_the_types_generate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = wsdoctor()
        .args(["schema", "--dir"])
        .arg(dir.path())
        .output()
        .expect("run wsdoctor schema");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in NAMES {
        let fresh = std::fs::read_to_string(dir.path().join(format!("{name}.schema.json")))
            .expect("generated schema");
        let saved = std::fs::read_to_string(committed(name)).unwrap_or_default();
        assert!(
            fresh == saved,
            "schemas/{name}.schema.json differs from the types: run \
             `cargo run -p wsdoctor -- schema --dir schemas` and commit the result"
        );
    }
    let files = std::fs::read_dir(repo_root().join("schemas"))
        .expect("schemas/")
        .count();
    assert_eq!(files, NAMES.len(), "schemas/ holds a file no output has");
}

/// Validates each JSON document against the committed schema with Python's
/// jsonschema (draft 2020-12). `None` when the module is missing and peers are not
/// required (a loud skip); a panic when they are.
fn validate(name: &str, docs: &[(String, Vec<u8>)]) {
    let probe = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        if peers_required() {
            panic!(
                "python3 with the jsonschema module is required: python3 -m pip install jsonschema"
            );
        }
        eprintln!("SKIPPING schema validation of {name}: python3 -m pip install jsonschema");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut paths = Vec::new();
    for (i, (label, doc)) in docs.iter().enumerate() {
        let p = dir.path().join(format!("{i}.json"));
        std::fs::write(&p, doc).expect("write the output");
        paths.push((label.clone(), p));
    }
    let script = r#"
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
bad = 0
for label, path in zip(sys.argv[2::2], sys.argv[3::2]):
    for e in v.iter_errors(json.load(open(path))):
        bad += 1
        print(f"{label}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
sys.exit(1 if bad else 0)
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script]).arg(committed(name));
    for (label, p) in &paths {
        cmd.arg(label).arg(p);
    }
    let out = cmd.stderr(Stdio::inherit()).output().expect("run python3");
    assert!(
        out.status.success(),
        "outputs do not match schemas/{name}.schema.json:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// stdout of one wsdoctor run, which must be JSON (exit code free: findings exit 1
/// and failing layers 10+).
fn output(args: &[&str]) -> (String, Vec<u8>) {
    let out = wsdoctor().args(args).output().expect("run wsdoctor");
    let label = args.join(" ");
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{label}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (label, out.stdout)
}

/// Real `check --json` reports: against lab scenarios failing at several layers and
/// healthy ones, and against a closed port.
#[test]
fn check_reports_match_the_report_schema() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let only = [
        "healthy-echo",
        "healthy-tls-echo",
        "healthy-behind-proxy",
        "wrong-path",
        "spa-catch-all",
        "tls-self-signed",
        "wrong-accept",
        "close-1011",
        "connection-reset",
        "forward-proxy-auth",
        "healthy-h2-echo",
        "h2-connect-rejected",
    ];
    let lab = rt
        .block_on(wsdoctor_lab::Lab::start(wsdoctor_lab::LabOptions {
            only: only.iter().map(|s| s.to_string()).collect(),
            port_base: None,
        }))
        .expect("the lab starts on loopback");
    let ca = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(ca.path(), lab.ca_pem()).expect("write the lab CA");
    let ca = ca.path().to_str().expect("a UTF-8 temp path");
    let mut docs = Vec::new();
    for ep in lab.endpoints() {
        let mut args = vec!["check".to_string(), "--json".to_string()];
        args.extend(ep.check_args(Some(ca)));
        docs.push(output(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    docs.push(output(&[
        "check",
        "--json",
        &format!("ws://127.0.0.1:{port}/"),
    ]));
    docs.push(output(&["check", "--json", "ws://[::1"]));
    rt.block_on(lab.shutdown());
    validate("report", &docs);
}

/// `check --targets --json`: each line is one document (a target, a bad line, the
/// summary).
#[test]
fn targets_lines_match_their_schema() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("targets.txt");
    std::fs::write(&file, format!("ws://127.0.0.1:{port}/\nftp://x/\n")).expect("write");
    let out = wsdoctor()
        .args(["check", "--json", "--targets"])
        .arg(&file)
        .output()
        .expect("run wsdoctor");
    let docs: Vec<(String, Vec<u8>)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .enumerate()
        .map(|(i, l)| (format!("check --targets line {i}"), l.as_bytes().to_vec()))
        .collect();
    assert_eq!(docs.len(), 3, "a target, a bad line, the summary");
    validate("targets", &docs);
}

#[test]
fn tour_output_matches_its_schema() {
    let doc = output(&["tour", "--json", "--only", "healthy-echo", "wrong-path"]);
    validate("tour", &[doc]);
}

#[test]
fn lab_listing_matches_its_schema() {
    validate("lab", &[output(&["lab", "--list", "--json"])]);
}

#[test]
fn lint_output_matches_its_schema() {
    let root = repo_root().join("testdata/lint");
    let mut docs = Vec::new();
    for sub in ["nginx/broken", "nginx/fixed", "haproxy", "apache"] {
        let dir = root.join(sub);
        if let Some(file) = first_file(&dir) {
            docs.push(output(&[
                "lint",
                "--json",
                file.to_str().expect("UTF-8 path"),
            ]));
        }
    }
    assert!(
        docs.len() >= 3,
        "lint fixtures went missing under testdata/lint"
    );
    validate("lint", &docs);
}

fn first_file(dir: &Path) -> Option<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files.into_iter().next()
}

#[test]
fn explain_outputs_match_their_schema() {
    let docs = [
        output(&["explain", "--json", "1006"]),
        output(&["explain", "--json", "502"]),
        output(&[
            "explain",
            "--json",
            "WebSocket connection to 'wss://x/ws' failed: Error during WebSocket handshake: Unexpected response code: 200",
        ]),
        output(&["explain", "--json", "tls-cert-expired"]),
        output(&["explain", "--json", "nothing we know"]),
        output(&["explain", "--json", "--list"]),
        output(&["explain", "--json", "exit-codes"]),
    ];
    validate("explain", &docs);
}

#[test]
fn logs_output_matches_its_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let error = dir.path().join("error.log");
    let access = dir.path().join("access.log");
    std::fs::write(
        &error,
        "2024/05/01 10:00:00 [error] 12#12: *1 upstream prematurely closed connection while reading response header from upstream, client: 10.0.0.1, server: x, request: \"GET /ws HTTP/1.1\", upstream: \"http://127.0.0.1:9000/ws\", host: \"x\"\n",
    )
    .expect("write");
    let mut lines = String::new();
    for i in 0..6 {
        lines.push_str(&format!(
            "10.0.0.{i} - - [01/May/2024:10:0{i}:00 +0000] \"GET /ws HTTP/1.1\" 101 0 \"-\" \"ua\" 60.00{i}\n"
        ));
    }
    lines.push_str(
        "10.0.0.9 - - [01/May/2024:10:09:00 +0000] \"GET /ws HTTP/1.1\" 502 0 \"-\" \"ua\" 0.001\n",
    );
    std::fs::write(&access, lines).expect("write");
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "nothing here\n").expect("write");
    let docs = [
        output(&[
            "logs",
            "--json",
            error.to_str().unwrap(),
            access.to_str().unwrap(),
        ]),
        output(&["logs", "--json", empty.to_str().unwrap()]),
    ];
    validate("logs", &docs);
}

/// A real `conform --json` report against Python `websockets`: OK, NON-STRICT and FAILED
/// cases, a transcript and a catalog cause all appear in it.
#[test]
fn conform_output_matches_its_schema() {
    let Some(peer) = common::python_echo(&[]) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let docs = vec![output(&[
        "conform",
        &url,
        "--cases",
        "1.1.1,6.4.1,7.1.5",
        "--json",
    ])];
    validate("conform", &docs);
}

#[test]
fn bench_output_matches_its_schema() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let url = format!("ws://127.0.0.1:{port}/");
    validate(
        "bench",
        &[output(&["bench", "--json", "-c", "2", "-d", "0.2", &url])],
    );
}

/// `pcap --json` on a capture with a healthy session, a refusal and a cut file.
#[test]
fn pcap_output_matches_its_schema() {
    use wsdoctor_pcap::synth::{ACK, Conversation, RST, SYN, Side, pcap};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut c = Conversation::new(
        "127.0.0.1:40000".parse().unwrap(),
        "127.0.0.1:8080".parse().unwrap(),
        1_700_000_000_000_000,
    );
    c.open()
        .send(Side::Client, b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .send(Side::Server, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        .fin(Side::Server)
        .fin(Side::Client);
    let mut refused = Conversation::new(
        "127.0.0.1:40001".parse().unwrap(),
        "127.0.0.1:8081".parse().unwrap(),
        1_700_000_001_000_000,
    );
    refused
        .raw(Side::Client, SYN, b"")
        .raw(Side::Server, RST | ACK, b"");
    let mut packets = c.take();
    packets.extend(refused.take());
    let mut bytes = pcap(&packets);
    let whole = dir.path().join("whole.pcap");
    std::fs::write(&whole, &bytes).unwrap();
    bytes.truncate(bytes.len() - 5);
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes).unwrap();
    let docs: Vec<_> = [&whole, &cut]
        .iter()
        .map(|p| output(&["pcap", "--json", p.to_str().unwrap()]))
        .collect();
    validate("pcap", &docs);
}
