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
