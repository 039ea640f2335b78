//! `wsdoctor lint` from the command line: every fixture set (broken and fixed) in every
//! supported format, the three output formats, exit codes and error handling.

mod common;

use common::{json, repo_root, wsdoctor};
use serde_json::Value;
use std::io::Write;
use std::process::Stdio;

fn fixture(rel: &str) -> String {
    repo_root()
        .join("testdata/lint")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

const BROKEN: &[&str] = &[
    "nginx/broken/nginx.conf",
    "haproxy/broken.cfg",
    "apache/broken/httpd.conf",
    "caddy/broken/Caddyfile",
    "traefik/broken/traefik.yml",
    "traefik/broken/traefik.toml",
    "envoy/broken.yaml",
    "k8s/broken.yaml",
];

fn fixed() -> Vec<String> {
    BROKEN
        .iter()
        .map(|b| fixture(&b.replace("broken", "fixed")))
        .collect()
}

/// (rule, path under testdata/lint, line) of a lint JSON report.
fn hits(v: &Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let rel = file.split("testdata/lint/").last().unwrap().to_string();
            (
                f["rule"].as_str().unwrap().to_string(),
                rel,
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_format_is_detected_and_every_broken_fixture_found() {
    let files: Vec<String> = BROKEN.iter().map(|b| fixture(b)).collect();
    let mut args = vec!["lint"];
    args.extend(files.iter().map(String::as_str));
    let (code, v) = json(&args);
    assert_eq!(code, 1);
    assert_eq!(v["schema"], "wsdoctor.lint/1");
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{}", v["errors"]);
    let formats: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    assert_eq!(
        formats,
        [
            "nginx", "haproxy", "apache", "caddy", "traefik", "traefik", "envoy", "k8s"
        ]
    );
    let h = hits(&v);
    let has =
        |rule: &str, file: &str, line: u64| h.contains(&(rule.to_string(), file.to_string(), line));
    assert!(has(
        "nginx/missing-upgrade-header",
        "nginx/broken/sites-enabled/app",
        11
    ));
    assert!(has(
        "haproxy/timeout-tunnel-in-frontend",
        "haproxy/broken.cfg",
        17
    ));
    assert!(has("haproxy/no-timeout-tunnel", "haproxy/broken.cfg", 27));
    assert!(has(
        "haproxy/sticky-session-missing",
        "haproxy/broken.cfg",
        30
    ));
    assert!(has("haproxy/removed-option", "haproxy/broken.cfg", 10));
    assert!(has(
        "apache/wstunnel-missing",
        "apache/broken/sites/app.conf",
        5
    ));
    assert!(has(
        "apache/proxypass-no-upgrade",
        "apache/broken/sites/app.conf",
        6
    ));
    assert!(has(
        "apache/rewrite-no-upgrade-condition",
        "apache/broken/sites/app.conf",
        9
    ));
    assert!(has(
        "apache/rewrite-without-p",
        "apache/broken/sites/app.conf",
        10
    ));
    assert!(has("apache/timeout-short", "apache/broken/httpd.conf", 10));
    assert!(has("caddy/stream-timeout", "caddy/broken/Caddyfile", 12));
    assert!(has(
        "traefik/responding-timeout",
        "traefik/broken/traefik.yml",
        9
    ));
    assert!(has(
        "traefik/responding-timeout",
        "traefik/broken/traefik.toml",
        5
    ));
    assert!(has("envoy/no-websocket-upgrade", "envoy/broken.yaml", 19));
    assert!(has("k8s/ingress-nginx-timeout-unit", "k8s/broken.yaml", 7));
    assert_eq!(h.len(), 37, "{h:#?}");
    // Same cause, same id as `check`: the catalog id travels with the rule.
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "haproxy/no-timeout-tunnel")
        .unwrap();
    assert_eq!(f["id"], "proxy-idle-timeout");
    assert_eq!(f["layer"], "async");
    assert!(
        f["quoted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["text"].as_str().unwrap().contains("timeout client"))
    );
    assert_eq!(f["replacement"][0], "timeout tunnel 1h");
}

#[test]
fn fixed_configurations_have_no_findings() {
    let files = fixed();
    let mut args = vec!["lint", "--fail-on", "info"];
    args.extend(files.iter().map(String::as_str));
    let (code, v) = json(&args);
    assert_eq!(
        v["findings"],
        Value::Array(vec![]),
        "false alarms: {:#}",
        v["findings"]
    );
    assert_eq!(v["errors"], Value::Array(vec![]));
    assert_eq!(v["files"].as_array().unwrap().len(), BROKEN.len());
    assert_eq!(code, 0);
}

#[test]
fn sarif_is_valid_2_1_0() {
    let out = wsdoctor()
        .args([
            "lint",
            "--format",
            "sarif",
            &fixture("nginx/broken/nginx.conf"),
            &fixture("haproxy/broken.cfg"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().ends_with("sarif-2.1.0.json"));
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "wsdoctor");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 17);
    for r in results {
        let rule = r["ruleId"].as_str().unwrap();
        assert!(rules.contains(&rule), "{rule} not declared");
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize], rule);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("file:///")
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let first = results
        .iter()
        .find(|r| r["ruleId"] == "nginx/missing-upgrade-header")
        .unwrap();
    assert_eq!(first["level"], "error");
    assert_eq!(
        first["properties"]["catalogId"],
        "proxy-upgrade-not-forwarded"
    );
    assert!(
        first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("sites-enabled/app")
    );
}

#[test]
fn nginx_t_dump_on_stdin() {
    let dump = std::fs::read(fixture("nginx/nginx-T-broken.txt")).unwrap();
    let mut child = wsdoctor()
        .args(["lint", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&dump).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"/etc/nginx/sites-enabled/app"));
    assert!(files.iter().all(|f| f.starts_with("/etc/nginx/")));
    assert!(v["assumptions"][0].as_str().unwrap().contains("1.22.1"));
}

#[test]
fn format_flag_takes_output_and_input_names() {
    // A Caddyfile forced through the nginx parser fails to parse: the input format won.
    let (code, v) = json(&[
        "lint",
        "--format",
        "nginx",
        &fixture("caddy/broken/Caddyfile"),
    ]);
    assert_eq!(code, 2);
    assert_eq!(v["errors"][0]["line"], 1);
    let (code, v) = json(&[
        "lint",
        "--input-format",
        "caddy",
        &fixture("caddy/broken/Caddyfile"),
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"][0]["rule"], "caddy/stream-timeout");
    for bad in [
        vec!["--format", "sarif", "--format", "json"],
        vec!["--format", "yaml"],
        vec!["--input-format", "iis"],
        vec!["--nginx-version", "new"],
        vec!["--fail-on", "sometimes"],
    ] {
        let mut args = vec!["lint"];
        args.extend(bad.iter().copied());
        let f = fixture("haproxy/fixed.cfg");
        args.push(&f);
        let out = wsdoctor().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("wsdoctor: "));
    }
}

#[test]
fn fail_on_sets_the_exit_code() {
    // haproxy/fixed.cfg with the frontend's ignored tunnel timeout: a warning only.
    let dir0 = tempfile::tempdir().unwrap();
    let warn_only = dir0.path().join("haproxy.cfg");
    let text = std::fs::read_to_string(fixture("haproxy/fixed.cfg")).unwrap();
    std::fs::write(
        &warn_only,
        text.replace("    bind :80\n", "    bind :80\n    timeout tunnel 1h\n"),
    )
    .unwrap();
    let f = warn_only.to_string_lossy().into_owned();
    assert_eq!(json(&["lint", &f]).0, 1);
    assert_eq!(json(&["lint", "--fail-on", "error", &f]).0, 0);
    assert_eq!(json(&["lint", "--fail-on", "never", &f]).0, 0);
    // The nginx default proxy_read_timeout is only a note.
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("ws.conf");
    std::fs::write(&conf, "server {\n  location /ws {\n    proxy_http_version 1.1;\n    proxy_set_header Upgrade $http_upgrade;\n    proxy_set_header Connection \"upgrade\";\n    proxy_pass http://127.0.0.1:9000;\n  }\n}\n").unwrap();
    let c = conf.to_string_lossy().into_owned();
    let (code, v) = json(&["lint", &c]);
    assert_eq!(
        (code, hits_rules(&v)),
        (0, vec!["nginx/read-timeout-default".to_string()])
    );
    assert_eq!(json(&["lint", "--fail-on", "info", &c]).0, 1);
    // An application that pings every 20 s is fine with the default.
    let (code, v) = json(&["lint", "--ping-interval", "20", "--fail-on", "info", &c]);
    assert_eq!((code, hits_rules(&v).len()), (0, 0));
}

fn hits_rules(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn unparsable_files_are_reported_and_the_rest_linted() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "http {\n  server {\n    listen 80\n  }\n}\n").unwrap();
    let b = bad.to_string_lossy().into_owned();
    let good = fixture("haproxy/fixed.cfg");
    let (code, v) = json(&["lint", &b, &good]);
    assert_eq!(code, 1, "a gate must not pass on a file it could not read");
    assert_eq!(v["errors"][0]["line"], 4);
    assert_eq!(v["files"].as_array().unwrap().len(), 1);
    let missing = dir
        .path()
        .join("missing.conf")
        .to_string_lossy()
        .into_owned();
    let (code, v) = json(&["lint", &b, &missing]);
    assert_eq!(code, 2, "nothing could be linted");
    assert_eq!(v["errors"].as_array().unwrap().len(), 2);
    // Human output says file:line on stdout.
    let out = wsdoctor().args(["lint", &b]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("{b}:4: ")), "{text}");
}

#[test]
fn human_output_groups_by_file_and_quotes_lines() {
    let out = wsdoctor()
        .args(["lint", &fixture("nginx/broken/nginx.conf")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let app = fixture("nginx/broken/sites-enabled/app");
    // The file heading appears once, then its findings with file:line and quotes.
    assert_eq!(text.matches(&format!("\n{app}\n")).count(), 1, "{text}");
    assert!(text.contains(&format!("{app}:11 error")));
    assert!(text.contains("    11 │         proxy_pass http://10.0.0.5:8080;"));
    assert!(text.contains("+ proxy_set_header Upgrade $http_upgrade;"));
    assert!(text.contains("[proxy-upgrade-not-forwarded · nginx/missing-upgrade-header]"));
    assert!(text.contains("assumed: nginx version unknown"));
    assert!(!text.contains('\u{1b}'), "no colour when NO_COLOR is set");
}
