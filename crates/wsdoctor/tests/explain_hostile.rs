//! `wsdoctor explain` against hostile pasted text: more than the 64 KiB it reads,
//! secrets in the paste, terminal escape sequences.

mod common;

use common::{json, wsdoctor};
use std::io::Write;
use std::process::Stdio;

const MESSAGE: &str = "WebSocket connection to 'wss://app.example.com/ws' failed: Error during WebSocket handshake: Unexpected response code: 200";

fn with_stdin(extra: &[&str], input: &[u8]) -> (i32, Vec<u8>) {
    let mut child = wsdoctor()
        .args(["explain", "-"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The reader stops at its cap; a refused rest of the write is expected.
    let _ = stdin.write_all(input);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout)
}

#[test]
fn input_cut_at_64_kib_is_said() {
    let max = wsdoctor_explain::explain::MAX_INPUT;
    let long = format!("{MESSAGE} {}", "x".repeat(max * 2));
    let (code, out) = with_stdin(&["--json"], long.as_bytes());
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["input_truncated"], true);
    assert_eq!(v["input_limit"], max);
    let (_, out) = with_stdin(&["--json"], MESSAGE.as_bytes());
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["input_truncated"], false);
    // Words on the command line are cut the same way.
    let word = "z".repeat(2000);
    let mut args = vec!["explain", MESSAGE];
    args.extend(std::iter::repeat_n(word.as_str(), max / 2000 + 1));
    let (_, v) = json(&args);
    assert_eq!(v["input_truncated"], true);
    let (_, human) = with_stdin(&[], long.as_bytes());
    let human = String::from_utf8_lossy(&human);
    assert!(human.contains(&max.to_string()), "{human}");
}

#[test]
fn json_does_not_echo_secrets_from_the_paste() {
    let paste = format!(
        "{MESSAGE}\nAuthorization: Bearer sekrit123abc\nwss://bob:hunter2@app.example.com/ws?access_token=tok987 {}",
        "y".repeat(2000)
    );
    let (_, v) = json(&["explain", &paste]);
    let out = v.to_string();
    for secret in ["sekrit123abc", "hunter2", "tok987"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    let input = v["input"].as_str().unwrap();
    assert!(input.chars().count() < 600, "input echoed capped");
}

#[test]
fn escape_sequences_in_the_paste_are_not_printed_raw() {
    let paste = "WebSocket connection to 'wss://app.example.com/ws\x1b[2J?x=\x1b]0;t\x07' failed: Error during WebSocket handshake: Unexpected response code: 200 \x1b[31m";
    let (_, out) = with_stdin(&[], paste.as_bytes());
    assert!(!out.contains(&0x1b), "{}", String::from_utf8_lossy(&out));
    assert!(!out.contains(&0x07));
    let (_, v) = json(&["explain", paste]);
    for field in ["input", "url", "check"] {
        let s = v[field].as_str().unwrap_or("");
        assert!(!s.contains(['\u{1b}', '\u{7}']), "{field}: {s:?}");
    }
}
