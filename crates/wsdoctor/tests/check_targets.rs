//! `wsdoctor check --targets FILE` end to end on 127.0.0.1: the lab's healthy echo
//! (tokio-tungstenite), its 404 and black-hole servers, a refused port, and lines that
//! are not targets. Asserts the JSON Lines records (schema wsdoctor.targets/1), the
//! summary, the exit codes and that no secret of the file or the flags is printed.

mod common;

use common::wsdoctor;
use serde_json::Value;
use std::io::Write;
use std::process::Stdio;

/// The lab's servers, on port 0, for the length of one test.
struct Lab {
    rt: tokio::runtime::Runtime,
    lab: Option<wsdoctor_lab::Lab>,
}

impl Lab {
    fn start(only: &[&str]) -> Lab {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let lab = rt
            .block_on(wsdoctor_lab::Lab::start(wsdoctor_lab::LabOptions {
                only: only.iter().map(|s| s.to_string()).collect(),
                port_base: None,
            }))
            .expect("the lab starts on loopback");
        Lab { rt, lab: Some(lab) }
    }

    fn url(&self, name: &str) -> String {
        self.lab
            .as_ref()
            .and_then(|l| l.endpoint(name))
            .unwrap_or_else(|| panic!("scenario {name} started"))
            .url
            .clone()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(lab) = self.lab.take() {
            self.rt.block_on(lab.shutdown());
        }
    }
}

fn closed_port() -> u16 {
    // Bind port 0, note the port, close it: nothing listens there afterwards.
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// The record of file line `n`.
    fn line(&self, n: u64) -> Value {
        self.lines()
            .into_iter()
            .find(|r| r["line"] == n)
            .unwrap_or_else(|| panic!("no record of line {n}:\n{}", self.stdout))
    }

    fn summary(&self) -> Value {
        let lines = self.lines();
        let last = lines.last().expect("some output").clone();
        assert_eq!(last["kind"], "summary", "the summary comes last");
        last
    }
}

fn run(file: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("targets.txt");
    std::fs::write(&path, file).expect("write the targets");
    let out = wsdoctor()
        .arg("check")
        .arg("--targets")
        .arg(&path)
        .args(extra)
        .output()
        .expect("run wsdoctor");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn one_record_per_target_bad_lines_named_then_a_summary_by_cause() {
    let lab = Lab::start(&["healthy-echo"]);
    let good = lab.url("healthy-echo");
    let refused = format!("ws://127.0.0.1:{}/", closed_port());
    let secret = good.replacen("ws://", "ws://alice:hunter2@", 1) + "?access_token=s3cr3tT0ken";
    let long = format!("ws://127.0.0.1/{}", "a".repeat(9000));
    let file = format!(
        "# lab targets\n{good}\n{secret}\n\n{refused}\nftp://127.0.0.1/\n{long}\n{{url: '{good}', module: nope}}\n"
    );
    let r = run(
        &file,
        &[
            "--json",
            "-H",
            "Authorization: Bearer hdrS3cret",
            "--timeout",
            "5",
        ],
    );
    // A bad line makes the run's exit code 2, after every good line was checked.
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    for s in ["hunter2", "s3cr3tT0ken", "hdrS3cret"] {
        assert!(
            !r.stdout.contains(s) && !r.stderr.contains(s),
            "{s} printed:\n{}\n{}",
            r.stdout,
            r.stderr
        );
    }

    let ok = r.line(2);
    assert_eq!(ok["kind"], "target");
    assert_eq!(ok["target"], good.as_str());
    assert_eq!(ok["module"], "default");
    assert_eq!(ok["verdict"], "ok", "{ok}");
    assert_eq!(ok["exit_code"], 0);
    assert_eq!(ok["failed_layer"], Value::Null);
    assert_eq!(strings(&ok["findings"]), Vec::<String>::new());
    for layer in ["tcp", "http", "session"] {
        assert!(ok["timings_ms"][layer].as_f64().is_some(), "{layer}: {ok}");
    }
    assert!(
        ok["timings_ms"].get("tls").is_none(),
        "ws:// has no TLS time"
    );

    let redacted = r.line(3);
    assert_eq!(redacted["verdict"], "warning");
    assert_eq!(
        strings(&redacted["findings"]),
        ["url-userinfo", "url-secret-in-query"]
    );
    assert!(
        redacted["target"]
            .as_str()
            .is_some_and(|t| t.ends_with("?access_token=[redacted]")),
        "{redacted}"
    );

    let down = r.line(5);
    assert_eq!(down["verdict"], "failed");
    assert_eq!(down["failed_layer"], "tcp");
    assert_eq!(down["exit_code"], 12);
    assert_eq!(strings(&down["findings"]), ["tcp-refused"]);

    for (n, says) in [
        (
            6,
            "line 6: The URL scheme is not a WebSocket scheme [url-unsupported-scheme]",
        ),
        (7, "line 7: longer than 8192 bytes"),
        (
            8,
            "line 8: module \"nope\" is not defined; defined: default",
        ),
    ] {
        let bad = r.line(n);
        assert_eq!(bad["kind"], "bad-line");
        assert!(
            bad["error"].as_str().is_some_and(|e| e.starts_with(says)),
            "{bad}"
        );
    }

    let s = r.summary();
    assert_eq!(s["schema"], "wsdoctor.targets/1");
    assert_eq!(
        [
            &s["targets"],
            &s["ok"],
            &s["warning"],
            &s["failed"],
            &s["bad_lines"]
        ],
        [3, 1, 1, 1, 3]
    );
    assert_eq!(s["exit_code"], 2);
    assert_eq!(s["max_concurrent"], 64);
    let causes = s["causes"].as_array().expect("causes");
    let refused_cause = causes
        .iter()
        .find(|c| c["id"] == "tcp-refused")
        .expect("tcp-refused counted");
    assert_eq!(refused_cause["targets"], 1);
    assert_eq!(refused_cause["layer"], "tcp");
    assert_eq!(refused_cause["severity"], "error");
    assert_eq!(strings(&refused_cause["examples"]), [refused.as_str()]);
    assert_eq!(r.lines().len(), 7, "3 targets, 3 bad lines, the summary");
}

#[test]
fn the_exit_code_is_the_earliest_failing_layer_of_all_targets() {
    let lab = Lab::start(&["healthy-echo", "wrong-path"]);
    let good = lab.url("healthy-echo");
    let not_found = lab.url("wrong-path");
    let refused = format!("ws://127.0.0.1:{}/", closed_port());

    let r = run(&format!("{good}\n{good}\n"), &["--json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.summary()["ok"], 2);

    let r = run(&format!("{good}\n{not_found}\n"), &["--json"]);
    assert_eq!(r.code, 15, "http: {}", r.stdout);
    assert_eq!(strings(&r.line(2)["findings"]), ["http-not-found"]);

    let r = run(
        &format!("{not_found}\n{refused}\n{good}\n"),
        &["--json", "--max-concurrent", "1"],
    );
    assert_eq!(r.code, 12, "tcp comes before http: {}", r.stdout);
    let s = r.summary();
    assert_eq!([&s["failed"], &s["ok"], &s["max_concurrent"]], [2, 1, 1]);
    // One at a time: the records come in file order.
    let order: Vec<u64> = r
        .lines()
        .iter()
        .filter_map(|l| l["line"].as_u64())
        .collect();
    assert_eq!(order, [1, 2, 3]);

    // Without --json: one line per target, then the causes with an example each.
    let r = run(&format!("{refused}\n{good}\n"), &[]);
    assert_eq!(r.code, 12);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("FAILED") && l.contains(&refused) && l.contains("tcp-refused")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("2 targets in")
            && r.stdout
                .contains("1 ok, 0 with warnings, 1 failed; 0 bad lines (exit 12)"),
        "{}",
        r.stdout
    );
}

#[test]
fn each_line_gets_its_modules_options_and_the_deadline() {
    let lab = Lab::start(&["healthy-echo", "black-hole"]);
    let good = lab.url("healthy-echo");
    let silent = lab.url("black-hole");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("serve.yml");
    // A module's options are check's flags: a subprotocol the echo server does not
    // select fails the handshake layer for that line only.
    std::fs::write(
        &config,
        "modules:\n  chat: {subprotocols: [chat.v9]}\n  quick: {timeout: 1s}\n",
    )
    .expect("write config");
    let file =
        format!("{{url: '{good}', module: chat}}\n{{url: '{silent}', module: quick}}\n{good}\n");
    let r = run(
        &file,
        &["--json", "--config", config.to_str().expect("utf-8 path")],
    );
    assert_eq!(
        r.code, 15,
        "http (line 2) before handshake (line 1): {}\n{}",
        r.stdout, r.stderr
    );
    let chat = r.line(1);
    assert_eq!(chat["module"], "chat");
    assert_eq!(chat["failed_layer"], "handshake");
    assert_eq!(
        strings(&chat["findings"]),
        ["handshake-subprotocol-not-echoed"]
    );
    let hole = r.line(2);
    assert_eq!(hole["module"], "quick");
    assert_eq!(hole["failed_layer"], "http");
    assert_eq!(strings(&hole["findings"]), ["http-no-response"]);
    // The module's 1 s deadline, not the 10 s default (plus slack for a loaded machine).
    assert!(
        hole["elapsed_ms"].as_f64().is_some_and(|ms| ms < 4000.0),
        "{hole}"
    );
    assert_eq!(r.line(3)["verdict"], "ok");
}

#[test]
fn targets_can_come_from_stdin() {
    let refused = format!("ws://127.0.0.1:{}/", closed_port());
    let mut child = wsdoctor()
        .args(["check", "--targets", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run wsdoctor");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{refused}\r\n").as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(12));
    let text = String::from_utf8_lossy(&out.stdout);
    let first: Value = serde_json::from_str(text.lines().next().unwrap_or("")).expect("JSON");
    assert_eq!(
        first["target"],
        refused.as_str(),
        "the CR is not part of the URL"
    );
}

#[test]
fn unusable_input_is_a_usage_error_naming_the_fix() {
    let usage = |args: &[&str], file: Option<&str>| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.txt");
        if let Some(f) = file {
            std::fs::write(&path, f).expect("write");
        }
        let out = wsdoctor()
            .arg("check")
            .arg("--targets")
            .arg(&path)
            .args(args)
            .output()
            .expect("run");
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = usage(&[], None);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot read it"), "{err}");
    let (code, err) = usage(&[], Some("# nothing\n\n"));
    assert_eq!(code, Some(2));
    assert!(err.contains("holds no target"), "{err}");
    let (code, err) = usage(&["--max-concurrent", "0"], Some("ws://127.0.0.1:1/\n"));
    assert_eq!(code, Some(2));
    assert!(err.contains("--max-concurrent takes 1 to 1024"), "{err}");
    let (code, err) = usage(&["--report", "x.html"], Some("ws://127.0.0.1:1/\n"));
    assert_eq!(code, Some(2));
    assert!(err.contains("use --json"), "{err}");
    let (code, _) = usage(&["ws://127.0.0.1:1/"], Some("ws://127.0.0.1:1/\n"));
    assert_eq!(code, Some(2), "a URL and --targets conflict");
    let (code, err) = usage(&["-H", "Bad Name: hdrS3cret"], Some("ws://127.0.0.1:1/\n"));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("header name") && !err.contains("hdrS3cret"),
        "{err}"
    );
}
