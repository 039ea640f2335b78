//! The proof that `wsdoctor lint` predicts what happens: each configuration is linted,
//! then run for real (nginx, HAProxy) on 127.0.0.1 in front of a Python `websockets`
//! echo server, and `wsdoctor check` goes through it. The live diagnosis must carry the
//! catalog id the lint finding predicted, and the fixed configuration must lint clean
//! and pass the live check.

mod common;

use common::{json, python_echo, repo_root, require_program, wsdoctor};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A proxy started by the test kit, with the config file it was started on.
struct Proxy {
    inner: wsdoctor_testkit::Proxy,
    port: u16,
    conf: PathBuf,
}

fn live(rel: &str) -> PathBuf {
    repo_root().join("testdata/lint/live").join(rel)
}

fn render(template: &Path, to: &Path, port: u16, backend: u16) {
    let text = std::fs::read_to_string(template).expect("template");
    let text = text
        .replace("@PORT@", &port.to_string())
        .replace("@BACKEND@", &backend.to_string());
    std::fs::write(to, text).expect("write config");
}

/// Starts a proxy whose config `setup(dir, port)` writes and whose command line
/// `args(dir, conf)` gives (the kit retries once on a taken port).
fn start(
    program: &Path,
    setup: impl Fn(&Path, u16) -> PathBuf,
    args: impl Fn(&Path, &Path) -> Vec<String>,
) -> Proxy {
    let conf = std::cell::RefCell::new(PathBuf::new());
    let inner = wsdoctor_testkit::start(program, |dir, port| {
        let written = setup(dir, port);
        let argv = args(dir, &written);
        *conf.borrow_mut() = written;
        argv
    });
    Proxy {
        port: inner.port,
        conf: conf.into_inner(),
        inner,
    }
}

/// nginx with the shared main file and map, and `site` as conf.d/site.conf.
fn nginx(site: &str, backend: u16) -> Option<Proxy> {
    let nginx = require_program("nginx")?;
    Some(start(
        &nginx,
        |dir, port| {
            std::fs::create_dir(dir.join("conf.d")).expect("conf.d");
            render(
                &live("nginx/nginx.conf"),
                &dir.join("nginx.conf"),
                port,
                backend,
            );
            render(
                &live("nginx/conf.d/websocket-map.conf"),
                &dir.join("conf.d/websocket-map.conf"),
                port,
                backend,
            );
            render(
                &live(&format!("nginx/sites/{site}")),
                &dir.join("conf.d/site.conf"),
                port,
                backend,
            );
            dir.join("nginx.conf")
        },
        |dir, conf| {
            let d = dir.display();
            vec![
                "-p".into(),
                format!("{d}/"),
                "-c".into(),
                conf.display().to_string(),
                "-g".into(),
                format!(
                    "daemon off; master_process off; pid {d}/nginx.pid; error_log {d}/error.log info;"
                ),
            ]
        },
    ))
}

fn haproxy(template: &str, backend: u16) -> Option<Proxy> {
    let haproxy = require_program("haproxy")?;
    Some(start(
        &haproxy,
        |dir, port| {
            let conf = dir.join("haproxy.cfg");
            render(&live(&format!("haproxy/{template}")), &conf, port, backend);
            conf
        },
        |_, conf| vec!["-db".into(), "-f".into(), conf.display().to_string()],
    ))
}

/// Where the distribution keeps Apache's modules.
fn apache_modules() -> Option<PathBuf> {
    let found = [
        "/usr/lib/apache2/modules",
        "/usr/lib64/httpd/modules",
        "/usr/lib/httpd/modules",
        "/usr/local/apache2/modules",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|d| d.join("mod_proxy.so").is_file());
    if found.is_none() {
        assert!(
            !common::peers_required(),
            "Apache's mod_proxy.so was not found"
        );
        eprintln!("!!! SKIPPING: Apache modules not found");
    }
    found
}

/// Apache httpd (single process, foreground) with `site` as sites/site.conf.
fn apache(site: &str, backend: u16) -> Option<Proxy> {
    let apache = require_program("apache2")?;
    let modules = apache_modules()?;
    Some(start(
        &apache,
        |dir, port| {
            std::fs::create_dir(dir.join("sites")).expect("sites");
            let fill = |from: &Path, to: &Path| {
                render(from, to, port, backend);
                let text = std::fs::read_to_string(to).expect("rendered");
                let text = text
                    .replace("@DIR@", &dir.display().to_string())
                    .replace("@MODDIR@", &modules.display().to_string());
                std::fs::write(to, text).expect("write");
            };
            fill(&live("apache/httpd.conf"), &dir.join("httpd.conf"));
            fill(
                &live(&format!("apache/sites/{site}")),
                &dir.join("sites/site.conf"),
            );
            dir.join("httpd.conf")
        },
        |_, conf| vec!["-X".into(), "-f".into(), conf.display().to_string()],
    ))
}

/// The version of the installed nginx, from `nginx -v` ("nginx version: nginx/1.22.1").
fn nginx_version() -> String {
    let nginx = require_program("nginx").expect("nginx checked by the caller");
    let out = Command::new(nginx).arg("-v").output().expect("nginx -v");
    let text = String::from_utf8_lossy(&out.stderr);
    text.trim()
        .rsplit('/')
        .next()
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or("")
        .to_string()
}

/// `wsdoctor lint --json` on the proxy's configuration, with the nginx version known.
fn lint(proxy: &Proxy, extra: &[&str]) -> (i32, Value) {
    let conf = proxy.conf.display().to_string();
    let mut args = vec!["lint"];
    args.extend(extra);
    args.push(&conf);
    json(&args)
}

fn check(url: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "--timeout", "20"];
    args.extend(extra);
    args.push(url);
    json(&args)
}

fn ids(v: &Value) -> Vec<String> {
    common::ids(v)
}

/// (rule, file name, line) of every lint finding.
fn lint_hits(v: &Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap_or("");
            let name = file.rsplit('/').next().unwrap_or("").to_string();
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                name,
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Lints `site`, runs it, checks through it: the lint finding (rule at site.conf:line)
/// and the live diagnosis must share `id`.
fn nginx_case(site: &str, rule: &str, line: u64, id: &str, check_args: &[&str]) {
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let Some(ng) = nginx(site, echo.port) else {
        return;
    };
    let version = nginx_version();
    let (code, report) = lint(&ng, &["--nginx-version", &version]);
    let hits = lint_hits(&report);
    assert!(
        hits.contains(&(rule.to_string(), "site.conf".to_string(), line)),
        "{site}: lint did not report {rule} at site.conf:{line}: {hits:?}"
    );
    assert!(ids(&report).contains(&id.to_string()));
    assert_eq!(code, 1);
    let url = format!("ws://127.0.0.1:{}/ws/", ng.port);
    let (code, live) = check(&url, check_args);
    assert_eq!(live["verdict"], "failed", "{site}: {live:#}");
    assert!(
        ids(&live).contains(&id.to_string()),
        "{site}: lint predicted {id}, the live check reported {:?}",
        ids(&live)
    );
    assert_ne!(code, 0);
}

#[test]
fn nginx_missing_upgrade_headers_agree() {
    nginx_case(
        "missing-upgrade.conf",
        "nginx/missing-upgrade-header",
        13,
        "proxy-upgrade-not-forwarded",
        &[],
    );
}

#[test]
fn nginx_connection_http_upgrade_agrees() {
    nginx_case(
        "connection-http-upgrade.conf",
        "nginx/connection-http-upgrade",
        7,
        "proxy-upgrade-not-forwarded",
        &[],
    );
}

#[test]
fn nginx_headers_not_inherited_agree() {
    nginx_case(
        "headers-not-inherited.conf",
        "nginx/headers-not-inherited",
        12,
        "proxy-upgrade-not-forwarded",
        &[],
    );
}

#[test]
fn nginx_http_1_0_agrees() {
    nginx_case(
        "http-version-1-0.conf",
        "nginx/proxy-http-version",
        5,
        "http-version-1-0",
        &[],
    );
}

#[test]
fn nginx_short_read_timeout_agrees() {
    nginx_case(
        "read-timeout.conf",
        "nginx/read-timeout-short",
        8,
        "proxy-idle-timeout",
        &["--idle", "6"],
    );
}

#[test]
fn nginx_fixed_site_lints_clean_and_passes() {
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let Some(ng) = nginx("fixed.conf", echo.port) else {
        return;
    };
    let version = nginx_version();
    let (code, report) = lint(&ng, &["--nginx-version", &version, "--fail-on", "info"]);
    assert_eq!(lint_hits(&report), [], "false alarm on the fixed site");
    assert_eq!(code, 0);
    let (code, live) = check(&format!("ws://127.0.0.1:{}/ws/", ng.port), &[]);
    assert_eq!(live["verdict"], "ok", "{live:#}");
    assert_eq!(code, 0);
    // The same configuration as `nginx -T 2>&1` prints it (its messages after the
    // dump) lints the same: clean.
    let nginx = require_program("nginx").expect("found above");
    let d = ng.inner.dir.path().display();
    let dump = Command::new(nginx)
        .args([
            "-T",
            "-p",
            &format!("{d}/"),
            "-c",
            &ng.conf.display().to_string(),
        ])
        .args([
            "-g",
            &format!("pid {d}/nginx-T.pid; error_log {d}/error-T.log;"),
        ])
        .output()
        .expect("nginx -T");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let mut child = wsdoctor()
        .args([
            "lint",
            "--json",
            "--fail-on",
            "info",
            "--nginx-version",
            &version,
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("wsdoctor lint -");
    std::io::Write::write_all(
        &mut child.stdin.take().expect("stdin"),
        &[dump.stdout.as_slice(), dump.stderr.as_slice()].concat(),
    )
    .expect("write dump");
    let out = child.wait_with_output().expect("lint output");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["findings"], Value::Array(vec![]));
    assert_eq!(v["errors"], Value::Array(vec![]));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn nginx_t_dump_of_a_broken_site_points_at_the_original_file() {
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let Some(ng) = nginx("headers-not-inherited.conf", echo.port) else {
        return;
    };
    let nginx = require_program("nginx").expect("found above");
    let d = ng.inner.dir.path().display();
    let dump = Command::new(&nginx)
        .args([
            "-T",
            "-p",
            &format!("{d}/"),
            "-c",
            &ng.conf.display().to_string(),
        ])
        .args([
            "-g",
            &format!("pid {d}/nginx-T.pid; error_log {d}/error-T.log;"),
        ])
        .output()
        .expect("nginx -T");
    assert!(dump.status.success());
    let mut child = wsdoctor()
        .args(["lint", "--json", "--nginx-version", &nginx_version(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("wsdoctor lint -");
    std::io::Write::write_all(
        &mut child.stdin.take().expect("stdin"),
        &[dump.stdout.as_slice(), dump.stderr.as_slice()].concat(),
    )
    .expect("write dump");
    let out = child.wait_with_output().expect("lint output");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "nginx/headers-not-inherited");
    assert_eq!(
        f["file"].as_str().unwrap_or(""),
        format!("{d}/conf.d/site.conf")
    );
    assert_eq!(f["line"], 12);
}

#[test]
fn haproxy_short_tunnel_timeout_agrees_and_the_fix_passes() {
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let Some(hp) = haproxy("tunnel-short.cfg", echo.port) else {
        return;
    };
    let (code, report) = lint(&hp, &[]);
    assert_eq!(
        lint_hits(&report),
        [(
            "haproxy/timeout-tunnel-short".to_string(),
            "haproxy.cfg".to_string(),
            21
        )]
    );
    assert_eq!(ids(&report), ["proxy-idle-timeout"]);
    assert_eq!(code, 1);
    let (_, live) = check(&format!("ws://127.0.0.1:{}/ws/", hp.port), &["--idle", "6"]);
    assert!(
        ids(&live).contains(&"proxy-idle-timeout".to_string()),
        "lint predicted proxy-idle-timeout, the live check reported {:?}",
        ids(&live)
    );
    drop(hp);
    let Some(fixed) = haproxy("fixed.cfg", echo.port) else {
        return;
    };
    let (code, report) = lint(&fixed, &["--fail-on", "info"]);
    assert_eq!(lint_hits(&report), []);
    assert_eq!(code, 0);
    let (code, live) = check(
        &format!("ws://127.0.0.1:{}/ws/", fixed.port),
        &["--idle", "4"],
    );
    assert!(
        !ids(&live).contains(&"proxy-idle-timeout".to_string()),
        "{live:#}"
    );
    assert_eq!(live["verdict"], "ok", "{live:#}");
    assert_eq!(code, 0);
}

/// Lints an Apache site, runs it, checks through it; the ids must agree.
fn apache_case(site: &str, rule: &str, line: u64, id: &str, check_args: &[&str]) {
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let Some(ap) = apache(site, echo.port) else {
        return;
    };
    let (_, report) = lint(&ap, &[]);
    assert!(
        report["errors"].as_array().is_some_and(|e| e.is_empty()),
        "{report:#}"
    );
    let hits = lint_hits(&report);
    assert!(
        hits.contains(&(rule.to_string(), "site.conf".to_string(), line)),
        "{site}: lint did not report {rule} at site.conf:{line}: {hits:?}"
    );
    let (code, live) = check(&format!("ws://127.0.0.1:{}/ws/", ap.port), check_args);
    assert!(
        ids(&live).contains(&id.to_string()),
        "{site}: lint predicted {id}, the live check reported {:?}",
        ids(&live)
    );
    assert_ne!(code, 0);
}

#[test]
fn apache_rewrite_without_p_agrees() {
    apache_case(
        "rewrite-redirect.conf",
        "apache/rewrite-without-p",
        4,
        "http-redirect",
        &[],
    );
}

#[test]
fn apache_short_timeouts_agree() {
    apache_case(
        "timeout.conf",
        "apache/timeout-short",
        3,
        "proxy-idle-timeout",
        &["--idle", "6"],
    );
}

#[test]
fn apache_proxypass_without_upgrade_agrees() {
    apache_case(
        "no-upgrade.conf",
        "apache/proxypass-no-upgrade",
        3,
        "proxy-upgrade-not-forwarded",
        &[],
    );
}

#[test]
fn apache_fixed_site_lints_clean_and_passes() {
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let Some(ap) = apache("fixed.conf", echo.port) else {
        return;
    };
    let (code, report) = lint(&ap, &["--fail-on", "info"]);
    assert_eq!(lint_hits(&report), [], "false alarm on the fixed site");
    assert_eq!(report["errors"], Value::Array(vec![]));
    assert_eq!(code, 0);
    for path in ["ws", "live"] {
        let (code, live) = check(&format!("ws://127.0.0.1:{}/{path}/", ap.port), &[]);
        assert_eq!(live["verdict"], "ok", "/{path}/: {live:#}");
        assert_eq!(code, 0);
    }
}

#[test]
fn nginx_shadowed_location_fails_live_as_predicted_and_the_fix_passes() {
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let version = nginx_version();
    let Some(ng) = nginx("location-shadowed.conf", echo.port) else {
        return;
    };
    let (_, report) = lint(&ng, &["--nginx-version", &version]);
    // The regex location takes /ws/ and lacks the Upgrade headers: both are said,
    // and the live symptom is the missing headers' id.
    let s = |r: &str, l: u64| (r.to_string(), "site.conf".to_string(), l);
    assert_eq!(
        lint_hits(&report),
        [
            s("nginx/missing-upgrade-header", 8),
            s("nginx/location-shadowed", 11)
        ]
    );
    let (_, live) = check(&format!("ws://127.0.0.1:{}/ws/", ng.port), &[]);
    assert!(
        ids(&live).contains(&"proxy-upgrade-not-forwarded".to_string()),
        "{:?}",
        ids(&live)
    );
    drop(ng);
    let Some(fixed) = nginx("location-shadowed-fixed.conf", echo.port) else {
        return;
    };
    let (code, report) = lint(&fixed, &["--nginx-version", &version]);
    assert_eq!(lint_hits(&report), []);
    assert_eq!(code, 0);
    let (code, live) = check(&format!("ws://127.0.0.1:{}/ws/", fixed.port), &[]);
    assert_eq!(live["verdict"], "ok", "{live:#}");
    assert_eq!(code, 0);
}
