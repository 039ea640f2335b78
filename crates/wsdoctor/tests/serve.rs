//! `wsdoctor serve` against the real Prometheus tools: `promtool check metrics`
//! validates what /probe and /metrics write, and a real Prometheus server scrapes the
//! exporter probing a real WebSocket peer (Python `websockets`) and broken lab
//! scenarios, then its query API must hold the right values. Loopback only; every
//! wait has a deadline; every child is stopped on drop.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A `wsdoctor` child (serve or lab), SIGTERM then SIGKILL on drop.
struct Running {
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::park_timeout(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts wsdoctor with `args` and returns it with the first line it prints.
fn start(args: &[&str]) -> (Running, String) {
    let mut child = wsdoctor()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start wsdoctor");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let running = Running { child };
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("wsdoctor printed its first line within 20 s");
    (running, line)
}

/// `wsdoctor serve --listen 127.0.0.1:0 EXTRA…` and the address it listens on.
fn serve(extra: &[&str]) -> (Running, String) {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let (running, line) = start(&args);
    let addr = line
        .trim()
        .strip_prefix("wsdoctor serve: listening on http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (running, addr)
}

/// One HTTP/1.1 GET on std sockets: (status, body).
fn get(addr: &str, path_and_query: &str) -> (u16, String) {
    request("GET", addr, path_and_query)
}

fn request(method: &str, addr: &str, path_and_query: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    write!(
        s,
        "{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `promtool check metrics` on `text`: the tool's verdict and what it said.
fn promtool_check_metrics(promtool: &std::path::Path, text: &str) -> (bool, String) {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(text.as_bytes())
        .expect("feed promtool");
    let out = child.wait_with_output().expect("promtool ends");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// The value of the first sample line of `name` (labels included in `name`).
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// A port with nothing listening (bound, then released).
fn closed_port() -> u16 {
    wsdoctor_testkit::free_port()
}

#[test]
fn promtool_accepts_what_probe_and_metrics_write() {
    let Some(promtool) = require_program("promtool") else {
        return;
    };
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let (_serve, addr) = serve(&[]);
    let healthy = format!("ws://127.0.0.1:{}/", echo.port);
    let refused = format!("ws://127.0.0.1:{}/", closed_port());
    for (target, success) in [(&healthy, 1.0), (&refused, 0.0)] {
        let (status, body) = get(&addr, &format!("/probe?target={}", enc(target)));
        assert_eq!(status, 200, "{body}");
        assert_eq!(sample(&body, "probe_success"), Some(success), "{body}");
        let (ok, said) = promtool_check_metrics(&promtool, &body);
        assert!(ok, "promtool rejects /probe of {target}: {said}\n{body}");
    }
    let (_, body) = get(&addr, &format!("/probe?target={}", enc(&healthy)));
    assert_eq!(sample(&body, "probe_websocket_status_code"), Some(101.0));
    assert_eq!(sample(&body, "probe_websocket_close_code"), Some(1000.0));
    assert_eq!(sample(&body, "probe_ip_protocol"), Some(4.0));
    let (_, body) = get(&addr, &format!("/probe?target={}", enc(&refused)));
    assert_eq!(
        sample(&body, "probe_websocket_failed{layer=\"tcp\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&body, "probe_websocket_exit_code"), Some(12.0));
    let (status, body) = get(&addr, "/metrics");
    assert_eq!(status, 200);
    let (ok, said) = promtool_check_metrics(&promtool, &body);
    assert!(ok, "promtool rejects /metrics: {said}\n{body}");
    assert_eq!(
        sample(
            &body,
            "wsdoctor_serve_probes_total{module=\"default\",result=\"success\"}"
        ),
        Some(2.0),
        "{body}"
    );
}

#[test]
fn bad_requests_get_a_400_that_names_the_fix() {
    let (_serve, addr) = serve(&[]);
    let (status, body) = get(&addr, "/probe");
    assert_eq!(status, 400);
    assert!(body.contains("target parameter is missing"), "{body}");
    let (status, body) = get(
        &addr,
        &format!("/probe?target={}", enc("ftp://example.com/")),
    );
    assert_eq!(status, 400);
    assert!(body.contains("[url-unsupported-scheme]"), "{body}");
    let (status, body) = get(
        &addr,
        "/probe?target=ws%3A%2F%2F127.0.0.1%3A1%2F&module=nope",
    );
    assert_eq!(status, 400);
    assert!(body.contains("unknown module \"nope\""), "{body}");
    let (status, body) = get(&addr, "/probe?target=ws%3A%2F%2F127.0.0.1%3A1%2F&timeout=x");
    assert_eq!(status, 400);
    assert!(body.contains("timeout"), "{body}");
    let (status, _) = get(&addr, "/-/healthy");
    assert_eq!(status, 200);
}

/// A scrape storm cannot pile probes up: past --max-concurrent a probe waits at most
/// its own deadline for a place, then gets 503, and the exporter counts it.
#[test]
fn probes_past_the_concurrency_limit_wait_their_deadline_then_get_503() {
    // A server that accepts and never answers: the probe holds its place until its
    // deadline (check's http layer waits for a response).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in silent.incoming().take(1) {
            conns.push(c);
        }
        // Keep the connection open until the probe gives up and closes it.
        std::thread::park_timeout(Duration::from_secs(5));
        drop(conns);
    });
    let (_serve, addr) = serve(&["--max-concurrent", "1"]);
    let target = enc(&format!("ws://127.0.0.1:{port}/"));
    let slow = {
        let addr = addr.clone();
        let target = target.clone();
        std::thread::spawn(move || get(&addr, &format!("/probe?target={target}&timeout=3")))
    };
    wait_for(&addr, "/metrics", |m| {
        sample(m, "wsdoctor_serve_probes_in_flight") == Some(1.0)
    });
    let (status, body) = get(&addr, &format!("/probe?target={target}&timeout=0.3"));
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("--max-concurrent"), "{body}");
    let (status, body) = slow.join().expect("the slow probe returns");
    assert_eq!(status, 200, "{body}");
    assert_eq!(sample(&body, "probe_success"), Some(0.0), "{body}");
    let (_, metrics) = get(&addr, "/metrics");
    assert_eq!(
        sample(
            &metrics,
            "wsdoctor_serve_requests_rejected_total{reason=\"busy\"}"
        ),
        Some(1.0)
    );
    let _ = held.join();
}

#[test]
fn a_bad_config_is_a_usage_error_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("serve.yml");
    std::fs::write(&file, "modules:\n  a:\n    subprotocol: [x]\n").expect("write");
    let out = wsdoctor()
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown key \"subprotocol\""), "{err}");
}

/// Polls `path` until `done(body)` holds, at most 30 s; returns that body.
fn wait_for(addr: &str, path: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = get(addr, path);
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} never got there:\n{body}");
        // The schedule runs on its own clock: its results are the event, seen here.
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

#[test]
fn configured_targets_are_probed_shown_with_their_fix_and_reloaded() {
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let healthy = format!("ws://127.0.0.1:{}/", echo.port);
    let refused = format!("ws://127.0.0.1:{}/", closed_port());
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("serve.yml");
    let write = |text: &str| std::fs::write(&config, text).expect("write config");
    write(&format!(
        "interval: 1s\ntargets:\n  - {healthy}\n  - {{url: \"{refused}\", interval: 2s}}\n"
    ));
    let (_serve, addr) = serve(&["--config", config.to_str().expect("UTF-8")]);
    let target_line = |url: &str, v: u8| {
        format!("wsdoctor_serve_target_success{{target=\"{url}\",module=\"default\"}} {v}")
    };
    wait_for(&addr, "/metrics", |m| {
        m.contains(&target_line(&healthy, 1)) && m.contains(&target_line(&refused, 0))
    });
    let page = wait_for(&addr, "/", |p| !p.contains(">pending<"));
    assert!(page.contains("failed at tcp"), "{page}");
    assert!(page.contains("<code>tcp-refused</code>"), "{page}");
    let fix = wsdoctor_core::CauseId::TcpRefused.cause().fix;
    assert!(
        page.contains(&html_escaped(fix)),
        "the catalog's fix is on the page"
    );
    assert!(
        page.contains(&html_escaped(&healthy)) && page.contains(">ok<"),
        "{page}"
    );
    assert!(!page.contains("<script"), "no script on the page");

    // A broken file is refused and the running config stays.
    write("targets: [{url: ws://127.0.0.1:1/, module: nope}]\n");
    let (status, body) = request("POST", &addr, "/-/reload");
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("not defined"), "{body}");
    // Only the healthy target remains after a good reload.
    write(&format!("interval: 1s\ntargets: [\"{healthy}\"]\n"));
    let (status, body) = request("POST", &addr, "/-/reload");
    assert_eq!(status, 200, "{body}");
    let (status, _) = get(&addr, "/-/reload");
    assert_eq!(status, 405, "a reload takes POST");
    let metrics = wait_for(&addr, "/metrics", |m| m.contains(&target_line(&healthy, 1)));
    assert!(!metrics.contains(&refused), "{metrics}");
    assert_eq!(
        sample(
            &metrics,
            "wsdoctor_serve_config_reloads_total{result=\"success\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &metrics,
            "wsdoctor_serve_config_reloads_total{result=\"failure\"}"
        ),
        Some(1.0)
    );
}

/// The status page as a real browser reads it: headless Chromium's DOM holds every
/// layer, the failing one, the cause and the fix; its screenshot is a picture.
#[test]
fn the_status_page_renders_in_headless_chromium() {
    let Some(chromium) = require_program("chromium") else {
        return;
    };
    let refused = format!("ws://127.0.0.1:{}/", closed_port());
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("serve.yml");
    std::fs::write(&config, format!("targets: [\"{refused}\"]\n")).expect("write");
    let (_serve, addr) = serve(&["--config", config.to_str().expect("UTF-8")]);
    wait_for(&addr, "/", |p| !p.contains(">pending<"));
    let shot = dir.path().join("page.png");
    let url = format!("http://{addr}/");
    let browse = |extra: &str| headless_chromium(&chromium, dir.path(), extra, &url);
    let dom = browse("--dump-dom");
    for layer in ["url", "dns", "tcp", "tls", "http", "handshake", "session"] {
        assert!(
            dom.contains(&format!("<span class=\"ln\">{layer}</span>")),
            "{layer} missing from the waterfall: {dom}"
        );
    }
    assert!(dom.contains("failed at tcp"), "{dom}");
    assert!(dom.contains("<code>tcp-refused</code>"), "{dom}");
    let fix = wsdoctor_core::CauseId::TcpRefused.cause().fix;
    assert!(dom.contains(&html_escaped(fix)), "{dom}");
    browse(&format!("--screenshot={}", shot.display()));
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}

// ── a real Prometheus ────────────────────────────────────────────────────────

/// Prometheus' HTTP API: the vector `query` returns, as (labels, value) pairs.
fn query(prom: u16, q: &str) -> Vec<(serde_json::Value, f64)> {
    let (status, body) = get(
        &format!("127.0.0.1:{prom}"),
        &format!("/api/v1/query?query={}", enc(q)),
    );
    assert_eq!(status, 200, "query {q}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("API answers JSON");
    v["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let value = r["value"][1]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(f64::NAN);
            (r["metric"].clone(), value)
        })
        .collect()
}

/// `query`'s value for one instance (the probed URL), waiting until it is stored.
fn value_for(prom: u16, q: &str, instance: &str, deadline: Instant) -> f64 {
    loop {
        if let Some((_, v)) = query(prom, q)
            .into_iter()
            .find(|(m, _)| m["instance"] == instance)
        {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus stored no {q} for {instance} in time"
        );
        // Waiting for Prometheus' next scrape: there is no event to wait on but its API.
        std::thread::park_timeout(Duration::from_millis(250));
    }
}

#[test]
fn prometheus_scrapes_a_healthy_peer_and_broken_lab_scenarios() {
    let Some(prometheus) = require_program("prometheus") else {
        return;
    };
    let Some(promtool) = require_program("promtool") else {
        return;
    };
    let Some(echo) = python_echo(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("lab-ca.pem");
    let ca_arg = ca.to_str().expect("temp paths are UTF-8");
    let (_lab, listing) = start(&[
        "lab",
        "--only",
        "tls-expired,wrong-path",
        "--json",
        "--ca-out",
        ca_arg,
    ]);
    let listing: serde_json::Value = serde_json::from_str(&listing).expect("lab JSON");
    let url_of = |name: &str| -> String {
        listing["scenarios"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == name))
            .and_then(|s| s["url"].as_str())
            .unwrap_or_else(|| panic!("lab serves {name}"))
            .to_string()
    };
    let expired = url_of("tls-expired");
    let wrong_path = url_of("wrong-path");
    let healthy = format!("ws://127.0.0.1:{}/", echo.port);
    // The lab module trusts the lab CA, so the expired certificate is the only problem.
    let config = dir.path().join("serve.yml");
    std::fs::write(
        &config,
        format!("modules:\n  lab:\n    ca_file: {ca_arg}\n"),
    )
    .expect("write");
    let config_arg = config.to_str().expect("UTF-8");
    let (_serve, addr) = serve(&["--config", config_arg]);

    // Prometheus cannot listen on port 0 and say which port it got, so the test kit
    // binds 127.0.0.1:0, releases the port and passes it on (a small race, retried).
    let prom = wsdoctor_testkit::start(&prometheus, |d, port| {
        let yml = d.join("prometheus.yml");
        std::fs::write(
            &yml,
            prometheus_config(&addr, &[&healthy, &expired, &wrong_path]),
        )
        .expect("write prometheus.yml");
        let check = Command::new(&promtool)
            .args(["check", "config"])
            .arg(&yml)
            .output()
            .expect("promtool check config");
        assert!(
            check.status.success(),
            "promtool rejects the scrape config: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        vec![
            format!("--config.file={}", yml.display()),
            format!("--storage.tsdb.path={}", d.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ]
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    // Prometheus listens before it is ready (it answers 503 while the TSDB opens).
    while get(&format!("127.0.0.1:{}", prom.port), "/-/ready").0 != 200 {
        assert!(
            Instant::now() < deadline,
            "Prometheus not ready within 60 s"
        );
        std::thread::park_timeout(Duration::from_millis(100));
    }
    let v = |q: &str, instance: &str| value_for(prom.port, q, instance, deadline);

    assert_eq!(v("probe_success", &healthy), 1.0);
    assert_eq!(v("probe_websocket_status_code", &healthy), 101.0);
    assert_eq!(v("probe_websocket_connection_upgraded", &healthy), 1.0);
    assert!(v("probe_websocket_ping_rtt_seconds", &healthy) > 0.0);

    assert_eq!(v("probe_success", &expired), 0.0);
    assert_eq!(v("probe_websocket_failed{layer=\"tls\"}", &expired), 1.0);
    assert_eq!(v("probe_websocket_failed{layer=\"tcp\"}", &expired), 0.0);
    assert_eq!(
        v(
            "probe_websocket_cause_info{cause=\"tls-cert-expired\"}",
            &expired
        ),
        1.0
    );
    assert_eq!(
        v(
            "probe_websocket_ssl_cert_problem{problem=\"expired\"}",
            &expired
        ),
        1.0
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    let expiry = v("probe_ssl_earliest_cert_expiry", &expired);
    assert!(
        expiry > 0.0 && expiry < now,
        "an expired certificate still exports its expiry, in the past: {expiry}"
    );

    assert_eq!(v("probe_success", &wrong_path), 0.0);
    assert_eq!(
        v("probe_websocket_failed{layer=\"http\"}", &wrong_path),
        1.0
    );
    assert_eq!(v("probe_websocket_status_code", &wrong_path), 404.0);
    assert_eq!(v("probe_websocket_exit_code", &wrong_path), 15.0);

    // The exporter's own metrics, scraped as a second job.
    let own = format!("127.0.0.1:{}", addr.rsplit(':').next().unwrap_or_default());
    assert_eq!(v("up{job=\"wsdoctor\"}", &own), 1.0);
    // Counted by the exporter, scraped by its own job: the three targets' probes.
    while query(prom.port, "sum(wsdoctor_serve_probes_total)")
        .first()
        .is_none_or(|(_, n)| *n < 3.0)
    {
        assert!(
            Instant::now() < deadline,
            "wsdoctor_serve_probes_total never reached 3"
        );
        std::thread::park_timeout(Duration::from_millis(250));
    }
}

/// A scrape config in the blackbox convention: the target URL becomes the `target`
/// parameter and the `instance` label, the exporter is the address scraped.
fn prometheus_config(exporter: &str, targets: &[&str]) -> String {
    let list = targets
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ");
    // `\` continuations would eat the indentation YAML needs: one line per entry.
    [
        "global:",
        "  scrape_interval: 2s",
        "  scrape_timeout: 2s",
        "scrape_configs:",
        "  - job_name: websocket",
        "    metrics_path: /probe",
        "    params:",
        "      module: [lab]",
        "    static_configs:",
        &format!("      - targets: [{list}]"),
        "    relabel_configs:",
        "      - source_labels: [__address__]",
        "        target_label: __param_target",
        "      - source_labels: [__param_target]",
        "        target_label: instance",
        "      - target_label: __address__",
        &format!("        replacement: \"{exporter}\""),
        "  - job_name: wsdoctor",
        "    static_configs:",
        &format!("      - targets: [\"{exporter}\"]"),
    ]
    .join("\n")
        + "\n"
}

/// The scrape configuration the README shows is one Prometheus accepts.
#[test]
fn the_readme_scrape_config_passes_promtool() {
    let Some(promtool) = require_program("promtool") else {
        return;
    };
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README");
    let section = readme
        .split("### Prometheus scrape configuration")
        .nth(1)
        .expect("README shows a scrape configuration");
    let yaml = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a yaml block");
    assert!(yaml.contains("metrics_path: /probe"), "{yaml}");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("prometheus.yml");
    std::fs::write(&file, yaml).expect("write");
    let out = Command::new(promtool)
        .args(["check", "config"])
        .arg(&file)
        .output()
        .expect("promtool");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The config example in the README loads (with its file paths swapped for real ones).
#[test]
fn the_readme_config_example_loads() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README");
    let section = readme
        .split("### Config file")
        .nth(1)
        .expect("README documents the config file");
    let yaml = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a yaml block");
    // Real PEM files for the example's paths: the lab writes its CA and client pair.
    let (_lab, listing) = start(&["lab", "--only", "healthy-echo", "--json"]);
    let listing: serde_json::Value = serde_json::from_str(&listing).expect("lab JSON");
    let file_of = |k: &str| {
        listing[k]
            .as_str()
            .expect("the lab names its files")
            .to_string()
    };
    let yaml = yaml
        .replace("/etc/wsdoctor/internal-ca.pem", &file_of("ca_file"))
        .replace("/etc/wsdoctor/client.pem", &file_of("client_cert_file"))
        .replace("/etc/wsdoctor/client.key", &file_of("client_key_file"));
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("serve.yml");
    std::fs::write(&file, yaml).expect("write");
    let out = wsdoctor()
        .args(["serve", "--listen", "256.0.0.1:0", "--config"])
        .arg(&file)
        .output()
        .expect("run");
    // The config loads; only the impossible address is refused.
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--listen"),
        "the config loaded, the address did not: {err}"
    );
}

/// The README's Kubernetes manifest: a ConfigMap, a Deployment and a Service (parsed by
/// PyYAML, an independent parser), and the ConfigMap's serve.yml loads in serve.
#[test]
fn the_readme_kubernetes_manifest_is_well_formed_and_its_config_loads() {
    let Some(py) = require_program("python3") else {
        return;
    };
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README");
    let yaml = readme
        .split("### Several exporters")
        .nth(1)
        .and_then(|s| s.split("```yaml\n").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("README shows the manifest");
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = dir.path().join("manifest.yml");
    std::fs::write(&manifest, yaml).expect("write");
    let script = "import sys, yaml\n\
docs = list(yaml.safe_load_all(open(sys.argv[1])))\n\
print(' '.join(d['kind'] for d in docs))\n\
cm = next(d for d in docs if d['kind'] == 'ConfigMap')\n\
open(sys.argv[2], 'w').write(cm['data']['serve.yml'])\n";
    let config = dir.path().join("serve.yml");
    let out = Command::new(py)
        .args(["-c", script])
        .arg(&manifest)
        .arg(&config)
        .output()
        .expect("python3");
    if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("No module named") {
        if peers_required() {
            panic!("PyYAML is missing");
        }
        eprintln!("!!! SKIPPING: PyYAML is not installed");
        return;
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ConfigMap Deployment Service"
    );
    let out = wsdoctor()
        .args(["serve", "--listen", "256.0.0.1:0", "--config"])
        .arg(&config)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--listen"),
        "the config loaded, the address did not: {err}"
    );
}
