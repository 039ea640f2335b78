//! `wsdoctor lint` against hostile input, through the real binary: a closed pipe,
//! escape sequences and credentials in the configuration, a directory, stdin from
//! a device. The library-level cases (include cycles, bombs, FIFOs) are in
//! crates/wsdoctor-lint/src/hostile_tests.rs.

mod common;

use common::{repo_root, wsdoctor};
use std::io::Read;
use std::process::Stdio;

/// Many WebSocket locations with mistakes: more output than a pipe buffer holds.
fn many_findings() -> String {
    let mut conf = String::from("http {\n");
    for i in 0..2000 {
        conf.push_str(&format!(
            "  server {{\n    listen {i};\n    location /ws {{\n      proxy_pass http://b;\n    }}\n  }}\n"
        ));
    }
    conf.push_str("}\n");
    conf
}

#[test]
fn a_closed_pipe_keeps_the_findings_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, many_findings()).unwrap();
    for format in ["human", "json", "sarif"] {
        let mut child = wsdoctor()
            .args(["lint", "--format", format])
            .arg(&conf)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read a little, as `head -c 100` would, then close the pipe.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 100];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: findings at --fail-on warning"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
    }
}

#[test]
fn escape_sequences_from_the_input_are_not_printed_raw() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("evil\x1b[2J.conf");
    std::fs::write(
        &conf,
        "http {\n  server {\n    location /ws {\n      proxy_pass http://b/\x1b]0;pwned\x07\x1b[31m;\n    }\n  }\n}\n",
    )
    .unwrap();
    let out = wsdoctor().arg("lint").arg(&conf).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !out.stdout.contains(&0x1b),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!out.stdout.contains(&0x07));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\\u{1b}"), "escaped, still visible: {text}");
}

#[test]
fn proxypass_credentials_are_redacted_in_every_output_format() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("httpd.conf");
    std::fs::write(
        &conf,
        "Timeout 30\n<VirtualHost *:80>\n  ProxyPass /ws/ http://admin:s3cret@b:9000/ws/?token=t0ken\n</VirtualHost>\n",
    )
    .unwrap();
    for format in ["human", "json", "sarif"] {
        let out = wsdoctor()
            .args(["lint", "--format", format])
            .arg(&conf)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = [out.stdout, out.stderr].concat();
        let text = String::from_utf8_lossy(&all);
        assert!(
            !text.contains("s3cret") && !text.contains("t0ken"),
            "{format}: {text}"
        );
        assert!(text.contains("apache/proxypass-no-upgrade"), "{format}");
    }
}

#[test]
fn a_directory_is_linted_like_its_main_file() {
    let root = repo_root().join("testdata/lint/apache/broken");
    let (code, v) = common::json(&["lint", root.to_str().unwrap()]);
    let (_, main) = common::json(&["lint", root.join("httpd.conf").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"], main["findings"]);
    assert_eq!(v["errors"], main["errors"]);
}

/// stdin from a device that never ends: the size cap applies, a usage error says so.
#[cfg(unix)]
#[test]
fn stdin_from_a_device_is_capped() {
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let out = wsdoctor().args(["lint", "-"]).stdin(zero).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
