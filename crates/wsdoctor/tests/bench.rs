//! `wsdoctor bench` against the lab on loopback: what each server was made to do (a
//! slow handler, a close after N messages, a server that stops reading, a closed
//! port) must come back as the reported percentiles and the error ids and counts.
//! Only structured values are compared, never a time's upper bound.

mod common;

use common::*;
use serde_json::Value;
use wsdoctor_lab::{CLOSE_AFTER_MESSAGES, Lab, LabOptions, SLOW_ECHO};

struct Running {
    rt: tokio::runtime::Runtime,
    lab: Option<Lab>,
}

impl Running {
    fn start(only: &[&str]) -> Running {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let lab = rt
            .block_on(Lab::start(LabOptions {
                only: only.iter().map(|s| s.to_string()).collect(),
                port_base: None,
            }))
            .expect("the lab starts on loopback");
        Running { rt, lab: Some(lab) }
    }

    fn url(&self, name: &str) -> String {
        let lab = self.lab.as_ref().expect("running");
        lab.endpoint(name).expect("started").url.clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(lab) = self.lab.take() {
            self.rt.block_on(lab.shutdown());
        }
    }
}

fn bench(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    json(&all)
}

fn errors(r: &Value) -> Vec<(String, u64)> {
    r["errors"]
        .as_object()
        .expect("errors is an object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("a count")))
        .collect()
}

#[test]
fn a_healthy_echo_is_measured_without_errors() {
    let lab = Running::start(&["healthy-echo"]);
    let url = lab.url("healthy-echo");
    let (code, r) = bench(&[
        "-c", "4", "--depth", "2", "-d", "1", "--warmup", "0.2", &url,
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["schema"], "wsdoctor.bench/1");
    assert_eq!(r["mode"], "closed");
    assert_eq!(r["latency_from"], "send");
    assert_eq!(
        (r["connections"].as_u64(), r["connections_opened"].as_u64()),
        (Some(4), Some(4))
    );
    assert!(errors(&r).is_empty(), "{r}");
    let messages = r["messages"].as_u64().expect("messages");
    assert!(messages > 0);
    assert!(messages <= r["sent"].as_u64().expect("sent"));
    // Every echo of the window is one latency sample.
    assert_eq!(r["latency_us"]["count"].as_u64(), Some(messages));
    let l = &r["latency_us"];
    let p = |k: &str| l[k].as_f64().expect("a percentile");
    assert!(p("min") <= p("p50") && p("p50") <= p("p90") && p("p90") <= p("p99"));
    assert!(p("p99") <= p("p999") && p("p999") <= p("max"));
    assert_eq!(r["connect_ms"]["total"]["count"].as_u64(), Some(4));
    assert!(
        r["connect_ms"].get("tls").is_none(),
        "ws:// has no TLS phase"
    );
    assert!(r["client_cpu_percent"].as_f64().is_some());
}

#[test]
fn the_open_loop_keeps_its_schedule_and_reports_corrected_latency() {
    let lab = Running::start(&["healthy-echo"]);
    let url = lab.url("healthy-echo");
    let (code, r) = bench(&["-c", "2", "--rate", "200", "-d", "1", "--warmup", "0", &url]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["mode"], "open");
    assert_eq!(r["latency_from"], "send-and-intended");
    // 200 msg/s for 1 s: the schedule holds 200 sends (one slot may fall either side).
    let sent = r["sent"].as_u64().expect("sent");
    assert!((198..=202).contains(&sent), "sent {sent}");
    let (raw, fixed) = (&r["latency_us"], &r["latency_corrected_us"]);
    assert_eq!(raw["count"], fixed["count"]);
    // From the intended time is never shorter than from the write.
    for k in ["p50", "p99", "max"] {
        assert!(fixed[k].as_f64() >= raw[k].as_f64(), "{k}: {r}");
    }
}

#[test]
fn a_slow_server_shows_its_delay_in_the_median() {
    let lab = Running::start(&["slow-echo"]);
    let url = lab.url("slow-echo");
    let (code, r) = bench(&[
        "-c",
        "2",
        "-d",
        "1.5",
        "--warmup",
        "0",
        "--timeout",
        "5",
        &url,
    ]);
    assert_eq!(code, 0, "{r}");
    assert!(errors(&r).is_empty(), "{r}");
    let p50 = r["latency_us"]["p50"].as_f64().expect("p50");
    assert!(
        p50 >= SLOW_ECHO.as_micros() as f64,
        "p50 {p50} µs below the server's delay"
    );
}

#[test]
fn a_server_that_closes_after_n_messages_is_counted_by_its_close_code() {
    let lab = Running::start(&["close-after-messages"]);
    let url = lab.url("close-after-messages");
    let (code, r) = bench(&["-c", "3", "-d", "1", "--warmup", "0", &url]);
    assert_eq!(code, 1, "errors make exit 1: {r}");
    assert_eq!(errors(&r), [("session-close-try-later".to_string(), 3)]);
    assert_eq!(
        r["messages"].as_u64(),
        Some(3 * CLOSE_AFTER_MESSAGES as u64)
    );
}

#[test]
fn a_server_that_stops_reading_is_backpressure_or_no_echo() {
    let lab = Running::start(&["stops-reading"]);
    let url = lab.url("stops-reading");
    // 64 × 64 KiB in flight cannot fit in loopback's socket buffers: writes block.
    let (code, r) = bench(&[
        "-c",
        "2",
        "--depth",
        "64",
        "--size",
        "65536",
        "--binary",
        "-d",
        "0.5",
        "--warmup",
        "0",
        "--timeout",
        "1",
        &url,
    ]);
    assert_eq!(code, 1);
    assert_eq!(errors(&r), [("async-backpressure".to_string(), 2)]);
    assert_eq!(r["messages"].as_u64(), Some(0));
    // One small message fits: it is written, and its echo never comes.
    let (_, r) = bench(&[
        "-c",
        "2",
        "-d",
        "0.5",
        "--warmup",
        "0",
        "--timeout",
        "1",
        &url,
    ]);
    assert_eq!(errors(&r), [("session-no-echo".to_string(), 2)]);
}

#[test]
fn pings_are_timed_on_a_healthy_echo_and_a_server_that_never_pongs_is_no_pong() {
    let lab = Running::start(&["healthy-echo", "no-pong"]);
    let (code, r) = bench(&[
        "-c",
        "2",
        "-d",
        "1",
        "--warmup",
        "0",
        "--ping-interval",
        "0.1",
        &lab.url("healthy-echo"),
    ]);
    assert_eq!(code, 0, "{r}");
    let p = &r["pings"];
    assert_eq!(p["interval_ms"].as_f64(), Some(100.0));
    let sent = p["sent"].as_u64().expect("sent");
    // Two connections, one ping per 100 ms each over 1 s (the first after 50 ms).
    assert!((16..=22).contains(&sent), "{p}");
    assert_eq!(p["answered"].as_u64(), Some(sent), "{p}");
    assert_eq!(p["rtt_us"]["count"].as_u64(), Some(sent));
    assert!(p["rtt_us"]["p50"].as_f64().expect("p50") > 0.0);
    // Without the flag there is no ping section.
    let (_, r) = bench(&[
        "-c",
        "1",
        "-d",
        "0.3",
        "--warmup",
        "0",
        &lab.url("healthy-echo"),
    ]);
    assert!(r.get("pings").is_none(), "{r}");
    let (code, r) = bench(&[
        "-c",
        "2",
        "-d",
        "0.5",
        "--warmup",
        "0",
        "--timeout",
        "1",
        "--ping-interval",
        "0.1",
        &lab.url("no-pong"),
    ]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(errors(&r), [("session-no-pong".to_string(), 2)]);
    assert_eq!(r["pings"]["answered"].as_u64(), Some(0));
}

#[test]
fn a_closed_port_is_refused_and_exits_with_the_tcp_code() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let url = format!("ws://127.0.0.1:{port}/");
    let (code, r) = bench(&["-c", "3", "-d", "0.5", "--timeout", "2", &url]);
    assert_eq!(code, 12, "{r}");
    assert_eq!(r["connections_opened"].as_u64(), Some(0));
    assert_eq!(errors(&r), [("tcp-refused".to_string(), 3)]);
}

#[test]
fn bad_flags_are_usage_errors_naming_the_flag() {
    for (args, flag) in [
        (&["-c", "0"][..], "--connections"),
        (&["--depth", "0"][..], "--depth"),
        (&["--rate=0"][..], "--rate"),
        (&["-d", "0"][..], "--duration"),
    ] {
        let out = wsdoctor()
            .arg("bench")
            .args(args)
            .arg("ws://127.0.0.1:9/")
            .output()
            .expect("run wsdoctor");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

#[test]
fn two_shards_hdr_logs_merge_with_standard_tools_to_the_combined_count() {
    let Some(py) = python_with("hdrh", "Python hdrhistogram (pip install hdrhistogram)") else {
        return;
    };
    let lab = Running::start(&["healthy-echo"]);
    let url = lab.url("healthy-echo");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut counts = Vec::new();
    let mut logs = Vec::new();
    for shard in ["0/2", "1/2"] {
        let log = dir.path().join(format!("shard-{}.hlog", &shard[..1]));
        let log_arg = log.to_str().expect("UTF-8 temp path").to_string();
        let (code, r) = bench(&[
            "-c",
            "3",
            "--rate",
            "300",
            "-d",
            "0.5",
            "--warmup",
            "0",
            "--shard",
            shard,
            "--hdr-log",
            &log_arg,
            &url,
        ]);
        assert_eq!(code, 0, "{r}");
        assert_eq!(r["shard"]["count"].as_u64(), Some(2));
        counts.push(r["messages"].as_u64().expect("messages"));
        logs.push(log_arg);
    }
    // Connections 0 and 2 in shard 0, 1 in shard 1: each sends every 3/300 s.
    assert!(counts.iter().all(|c| *c > 0), "{counts:?}");
    let script = repo_root().join("bench/bench/merge-hdr-logs.py");
    let out = std::process::Command::new(py)
        .arg(&script)
        .arg("--json")
        .args(&logs)
        .output()
        .expect("run the merge script");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let total: u64 = counts.iter().sum();
    assert_eq!(merged["latency_us"]["raw"]["count"].as_u64(), Some(total));
    assert_eq!(
        merged["latency_us"]["corrected"]["count"].as_u64(),
        Some(total)
    );
}

#[test]
fn held_connections_are_counted_when_they_stay_and_when_they_are_closed() {
    let lab = Running::start(&["healthy-echo", "close-after-messages"]);
    let (code, r) = bench(&[
        "-c",
        "0",
        "--hold",
        "5",
        "-d",
        "0.3",
        "--warmup",
        "0",
        &lab.url("healthy-echo"),
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(
        r["held"],
        serde_json::json!({"requested": 5, "opened": 5, "still_open": 5})
    );
    // Loaded and held together; the held ones send nothing, so this server keeps them.
    let (_, r) = bench(&[
        "-c",
        "1",
        "--hold",
        "3",
        "-d",
        "0.3",
        "--warmup",
        "0",
        &lab.url("close-after-messages"),
    ]);
    assert_eq!(r["held"]["still_open"].as_u64(), Some(3), "{r}");
    assert_eq!(errors(&r), [("session-close-try-later".to_string(), 1)]);
}

#[test]
fn find_capacity_reports_no_rate_when_none_holds() {
    let lab = Running::start(&["slow-echo"]);
    // Every echo takes 1.1 s: no rate holds p99 < 1 ms, and the search says so.
    let (code, r) = bench(&[
        "-c",
        "1",
        "--rate",
        "4",
        "-d",
        "0.2",
        "--warmup",
        "0",
        "--timeout",
        "0.5",
        "--find-capacity",
        "p99<1ms",
        &lab.url("slow-echo"),
    ]);
    assert_eq!(code, 1, "{r}");
    let cap = &r["capacity"];
    assert_eq!(cap["rate"], Value::Null);
    assert_eq!(cap["condition"]["below_us"].as_f64(), Some(1000.0));
    let steps = cap["steps"].as_array().expect("steps");
    assert!(!steps.is_empty() && steps.len() <= 12);
    assert!(steps.iter().all(|s| s["held"] == false));
    // Halving from 4 msg/s until the rate reaches 1.
    assert_eq!(steps[0]["rate"].as_f64(), Some(4.0));
    assert_eq!(steps[1]["rate"].as_f64(), Some(2.0));
}

#[test]
fn the_kubernetes_manifest_is_an_indexed_job_whose_shard_count_matches() {
    let Some(py) = python_with("yaml", "PyYAML") else {
        return;
    };
    let path = repo_root().join("bench/bench/k8s-job.yaml");
    let out = std::process::Command::new(py)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(&path)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let job: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(job["kind"], "Job");
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let n = job["spec"]["completions"].as_u64().expect("completions");
    assert_eq!(job["spec"]["parallelism"].as_u64(), Some(n));
    let args = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .expect("the shell line");
    assert!(
        args.contains(&format!("--shard \"$JOB_COMPLETION_INDEX/{n}\"")),
        "{args}"
    );
    assert!(args.contains("--hdr-log"), "{args}");
}
