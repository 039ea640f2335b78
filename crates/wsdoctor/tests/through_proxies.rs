//! `wsdoctor check` through real intermediaries, as a user runs it: squid as a
//! CONNECT proxy (open, with Basic auth, with a rule denying CONNECT), chosen by flag
//! or by the curl-style environment; nginx and HAProxy as reverse proxies in front of
//! a Python `websockets` echo, configured right and in the ways that break WebSockets
//! in the field; and a server whose handler blocks its event loop. The assertions are
//! the contract users script against: finding ids, layers, exit codes and structured
//! evidence, never prose.

mod common;
mod proxies;

use common::python_echo;
use proxies::*;

// ── Forward proxy (squid, CONNECT) ───────────────────────────────────────────

type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

#[test]
fn squid_tunnels_ws_and_wss_chosen_by_flag_or_environment() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(tls) = tls_echo() else { return };
    let Some(sq) = squid(None, None) else { return };
    let ws = format!("ws://127.0.0.1:{}/", echo.port);
    let wss = format!("wss://127.0.0.1:{}/", tls.peer.port);
    let ca = tls.ca.display().to_string();
    let proxy = sq.url(None);
    // A variable that would fail if it were used: proves the more specific one won.
    let dead = format!("http://127.0.0.1:{}", free_port());

    let run = check(&[&ws, "--proxy", &proxy], &[]);
    expect_ok(&run, &["proxy-used"]);
    assert_eq!(run.layer("proxy-used"), Some("proxy"), "{run}");
    let p = &run.evidence()["proxy"];
    assert_eq!(p["chosen_by"], "--proxy", "{run}");
    assert_eq!(p["kind"], "http", "{run}");
    assert_eq!(p["outcome"]["kind"], "tunnel", "{run}");
    assert!(
        run.evidence()["tcp"].is_null(),
        "the only TCP connection is the proxy's: {run}"
    );

    let run = check(&[&wss, "--cacert", &ca, "--proxy", &proxy], &[]);
    expect_ok(&run, &["proxy-used"]);
    assert_eq!(run.evidence()["proxy"]["chosen_by"], "--proxy", "{run}");
    assert_eq!(
        run.evidence()["tls"]["outcome"]["kind"],
        "established",
        "TLS runs end to end inside the tunnel: {run}"
    );

    // (the variable that must be chosen, check's arguments, the environment)
    let cases: [Case; 6] = [
        ("HTTP_PROXY", &[&ws], &[("HTTP_PROXY", &proxy)]),
        ("http_proxy", &[&ws], &[("http_proxy", &proxy)]),
        (
            "ws_proxy",
            &[&ws],
            &[("ws_proxy", &proxy), ("HTTP_PROXY", &dead)],
        ),
        (
            "HTTPS_PROXY",
            &[&wss, "--cacert", &ca],
            &[("HTTPS_PROXY", &proxy), ("HTTP_PROXY", &dead)],
        ),
        (
            "https_proxy",
            &[&wss, "--cacert", &ca],
            &[("https_proxy", &proxy), ("ALL_PROXY", &dead)],
        ),
        (
            "wss_proxy",
            &[&wss, "--cacert", &ca],
            &[("wss_proxy", &proxy), ("HTTPS_PROXY", &dead)],
        ),
    ];
    for (variable, args, env) in cases {
        let run = check(args, env);
        expect_ok(&run, &["proxy-used"]);
        assert_eq!(run.evidence()["proxy"]["chosen_by"], variable, "{run}");
        assert_eq!(
            run.evidence()["proxy"]["outcome"]["kind"],
            "tunnel",
            "{run}"
        );
    }

    // NO_PROXY (and --noproxy, like curl) bypass the variable: a direct connection,
    // no proxy evidence, no proxy finding.
    // The report says "none because of NO_PROXY": an info finding and the variable
    // that was bypassed. `--noproxy` is the user's own flag: nothing to report.
    for (args, env, bypassed_by) in [
        (
            vec![ws.as_str()],
            vec![("HTTP_PROXY", proxy.as_str()), ("NO_PROXY", "127.0.0.1")],
            Some("HTTP_PROXY, bypassed by NO_PROXY"),
        ),
        (
            vec![wss.as_str(), "--cacert", &ca],
            vec![("https_proxy", proxy.as_str()), ("no_proxy", "127.0.0.1")],
            Some("https_proxy, bypassed by no_proxy"),
        ),
        (
            vec![ws.as_str(), "--noproxy", "127.0.0.1"],
            vec![("HTTP_PROXY", proxy.as_str())],
            None,
        ),
    ] {
        let run = check(&args, &env);
        match bypassed_by {
            Some(by) => {
                expect_ok(&run, &["proxy-bypassed"]);
                assert_eq!(
                    run.evidence()["proxy"]["outcome"]["kind"],
                    "bypassed",
                    "{run}"
                );
                assert_eq!(run.evidence()["proxy"]["chosen_by"], by, "{run}");
            }
            None => {
                expect_ok(&run, &[]);
                assert!(run.evidence()["proxy"].is_null(), "{run}");
            }
        }
        let target = args[0]
            .trim_start_matches("ws://")
            .trim_start_matches("wss://");
        assert_eq!(
            run.evidence()["tcp"]["connected"].as_str(),
            Some(target.trim_end_matches('/')),
            "connected directly to the server: {run}"
        );
    }
}

#[test]
fn squid_with_basic_auth_says_407_until_given_credentials() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(sq) = squid(Some(("alice", "s3cret")), None) else {
        return;
    };
    let ws = format!("ws://127.0.0.1:{}/", echo.port);

    for proxy in [sq.url(None), sq.url(Some("alice:wrong"))] {
        let run = check(&[&ws, "--proxy", &proxy], &[]);
        expect(&run, &["proxy-auth-required"], 13);
        assert_eq!(run.layer("proxy-auth-required"), Some("proxy"), "{run}");
        let outcome = &run.evidence()["proxy"]["outcome"];
        assert_eq!(outcome["kind"], "auth-required", "{run}");
        assert_eq!(outcome["scheme"], "Basic", "{run}");
        assert!(run.evidence()["http"].is_null(), "{run}");
    }

    let with_credentials = sq.url(Some("alice:s3cret"));
    let run = check(&[&ws, "--proxy", &with_credentials], &[]);
    expect_ok(&run, &["proxy-used"]);
    assert!(
        !run.report.to_string().contains("s3cret"),
        "the proxy password is redacted: {run}"
    );
    let run = check(&[&ws], &[("HTTP_PROXY", &with_credentials)]);
    expect_ok(&run, &["proxy-used"]);
    assert_eq!(run.evidence()["proxy"]["chosen_by"], "HTTP_PROXY", "{run}");
    assert!(!run.report.to_string().contains("s3cret"), "{run}");

    // The proxy refuses us, the direct path works: both are said.
    let run = check(&[&ws, "--proxy", &sq.url(None), "--compare-direct"], &[]);
    expect(&run, &["proxy-auth-required", "proxy-direct-works"], 13);
    assert_eq!(run.layer("proxy-direct-works"), Some("proxy"), "{run}");
}

#[test]
fn squid_rule_denying_connect_is_refused_and_direct_works() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(sq) = squid(None, Some(echo.port)) else {
        return;
    };
    let ws = format!("ws://127.0.0.1:{}/", echo.port);
    let run = check(&[&ws, "--proxy", &sq.url(None)], &[]);
    expect(&run, &["proxy-connect-refused"], 13);
    assert_eq!(run.layer("proxy-connect-refused"), Some("proxy"), "{run}");
    let p = &run.evidence()["proxy"];
    assert_eq!(p["outcome"]["kind"], "refused", "{run}");
    assert_eq!(p["outcome"]["status"], 403, "{run}");
    assert!(
        p["reply_body"].as_str().is_some_and(|b| !b.is_empty()),
        "squid's error page is kept: {run}"
    );

    let run = check(&[&ws, "--proxy", &sq.url(None), "--compare-direct"], &[]);
    expect(&run, &["proxy-connect-refused", "proxy-direct-works"], 13);
    assert_eq!(
        run.evidence()["proxy"]["direct"]["session"]["message"]["kind"],
        "echoed",
        "{run}"
    );
}

#[test]
fn unreachable_proxy_is_told_apart_from_the_server() {
    let Some(echo) = python_echo(&[]) else { return };
    let ws = format!("ws://127.0.0.1:{}/", echo.port);
    let closed = format!("http://127.0.0.1:{}", free_port());
    for (args, env, by) in [
        (vec![ws.as_str(), "--proxy", &closed], vec![], "--proxy"),
        (
            vec![ws.as_str()],
            vec![("http_proxy", closed.as_str())],
            "http_proxy",
        ),
    ] {
        let run = check(&args, &env);
        expect(&run, &["proxy-unreachable"], 13);
        assert_eq!(run.layer("proxy-unreachable"), Some("proxy"), "{run}");
        assert_eq!(
            run.evidence()["proxy"]["outcome"]["kind"],
            "unreachable",
            "{run}"
        );
        assert_eq!(run.evidence()["proxy"]["chosen_by"], by, "{run}");
    }
}

#[test]
fn squid_that_cannot_reach_the_server_blames_the_server() {
    let Some(sq) = squid(None, None) else { return };
    let closed = format!("ws://127.0.0.1:{}/", free_port());
    let run = check(&[&closed, "--proxy", &sq.url(None)], &[]);
    assert_eq!(run.evidence()["proxy"]["outcome"]["status"], 503, "{run}");
    // The same cause as without the proxy: nothing listens there.
    expect(&run, &["tcp-refused"], 12);
}

#[test]
fn compare_direct_with_both_paths_working_reports_no_difference() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(sq) = squid(None, None) else { return };
    let ws = format!("ws://127.0.0.1:{}/", echo.port);
    let run = check(&[&ws, "--proxy", &sq.url(None), "--compare-direct"], &[]);
    expect_ok(&run, &["proxy-used"]);
}

// ── Reverse proxies (nginx, HAProxy) ─────────────────────────────────────────

#[test]
fn nginx_configured_right_passes() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(ng) = nginx(echo.port, NGINX_UPGRADE) else {
        return;
    };
    let run = check(&[&format!("ws://127.0.0.1:{}/", ng.port)], &[]);
    expect_ok(&run, &[]);
    assert_eq!(run.evidence()["session"]["close"]["code"], 1000, "{run}");
}

#[test]
fn nginx_without_upgrade_headers_is_blamed() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(ng) = nginx(echo.port, "proxy_http_version 1.1;") else {
        return;
    };
    let run = check(&[&format!("ws://127.0.0.1:{}/", ng.port)], &[]);
    // websockets answers the stripped request with 426; nginx passes it on and names
    // itself in Server:, so the hop to blame is nginx, not the application.
    expect(&run, &["proxy-upgrade-not-forwarded"], 15);
    assert_eq!(
        run.layer("proxy-upgrade-not-forwarded"),
        Some("http"),
        "{run}"
    );
}

#[test]
fn nginx_with_http_1_0_upstream() {
    let Some(echo) = python_echo(&[]) else { return };
    let location = NGINX_UPGRADE.replace("proxy_http_version 1.1", "proxy_http_version 1.0");
    let Some(ng) = nginx(echo.port, &location) else {
        return;
    };
    let run = check(&[&format!("ws://127.0.0.1:{}/", ng.port)], &[]);
    // nginx sends the Upgrade headers but speaks HTTP/1.0 upstream; websockets refuses
    // that with 505 ("unsupported HTTP version: HTTP/1.0"), which nginx passes on. A
    // 505 to the HTTP/1.1 request wsdoctor sent means a hop downgraded it, so the cause
    // is http-version-1-0 (fix: proxy_http_version 1.1), not a missing Upgrade header.
    expect(&run, &["http-version-1-0"], 15);
    assert_eq!(run.layer("http-version-1-0"), Some("http"), "{run}");
    assert_eq!(run.evidence()["http"]["outcome"]["status"], 505, "{run}");
}

#[test]
fn reverse_proxies_with_their_backend_down_blame_the_backend() {
    let backend = free_port();
    let Some(ng) = nginx(backend, NGINX_UPGRADE) else {
        return;
    };
    let Some(hp) = haproxy(backend, "1h") else {
        return;
    };
    // nginx answers 502 itself; HAProxy 503 "No server is available" after its
    // connection retries (about 3 s): the proxy works, the hop behind it does not.
    for (port, id, status) in [
        (ng.port, "http-bad-gateway", 502),
        (hp.port, "http-service-unavailable", 503),
    ] {
        let run = check(&[&format!("ws://127.0.0.1:{port}/")], &[]);
        expect(&run, &[id], 15);
        assert_eq!(run.layer(id), Some("http"), "{run}");
        assert_eq!(run.evidence()["http"]["outcome"]["status"], status, "{run}");
    }
}

#[test]
fn nginx_read_timeout_is_found_by_idle_and_pings_hold() {
    let Some(echo) = python_echo(&[]) else { return };
    let location = format!("{NGINX_UPGRADE}\n      proxy_read_timeout 3s;");
    let Some(ng) = nginx(echo.port, &location) else {
        return;
    };
    let url = format!("ws://127.0.0.1:{}/", ng.port);
    let run = check(&[&url, "--idle", "6"], &[]);
    expect(&run, &["async-keepalive-holds", "proxy-idle-timeout"], 18);
    assert_eq!(run.layer("proxy-idle-timeout"), Some("async"), "{run}");
    let cut_ms = idle_cut(&run, "nginx proxy_read_timeout 3s");
    assert_eq!(run.evidence()["idle"]["cut"]["how"], "fin", "{run}");
    let keepalive = &run.evidence()["idle"]["keepalive"];
    assert_eq!(keepalive["survived"], true, "{run}");
    assert!(
        keepalive["interval_s"]
            .as_f64()
            .is_some_and(|s| s * 1000.0 < cut_ms),
        "the proven ping interval is below the cut: {run}"
    );

    // A quick check does not wait for the cut: the same proxy passes.
    let run = check(&[&url], &[]);
    expect_ok(&run, &[]);
}

#[test]
fn haproxy_tunnel_timeout_is_found_by_idle() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(hp) = haproxy(echo.port, "3s") else {
        return;
    };
    let run = check(
        &[&format!("ws://127.0.0.1:{}/", hp.port), "--idle", "6"],
        &[],
    );
    expect(&run, &["async-keepalive-holds", "proxy-idle-timeout"], 18);
    assert_eq!(run.layer("proxy-idle-timeout"), Some("async"), "{run}");
    idle_cut(&run, "haproxy timeout tunnel 3s");
}

#[test]
fn haproxy_long_tunnel_timeout_is_not_cut() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(hp) = haproxy(echo.port, "1h") else {
        return;
    };
    // Held longer than the 3 s cut above: nothing happens.
    let run = check(
        &[&format!("ws://127.0.0.1:{}/", hp.port), "--idle", "4"],
        &[],
    );
    expect_ok(&run, &[]);
    assert!(run.evidence()["idle"].is_object(), "{run}");
    assert!(run.evidence()["idle"]["cut"].is_null(), "{run}");
    assert!(run.evidence()["idle"]["keepalive"].is_null(), "{run}");
}

/// The idle cut's time, asserted near 3 s and printed with the whole run's wall time.
fn idle_cut(run: &Run, what: &str) -> f64 {
    let cut = &run.evidence()["idle"]["cut"];
    let after_ms = cut["after_ms"].as_f64().unwrap_or(-1.0);
    assert!(
        (2800.0..4000.0).contains(&after_ms),
        "the cut lands at the configured 3 s: {run}"
    );
    eprintln!(
        "FIGURE {what}: cut after {:.2} s ({}), keep-alive held {:.2} s at {:.2} s pings; \
         whole `check --idle 6` {:.2} s",
        after_ms / 1000.0,
        cut["how"].as_str().unwrap_or("?"),
        run.evidence()["idle"]["keepalive"]["held_ms"]
            .as_f64()
            .unwrap_or(0.0)
            / 1000.0,
        run.evidence()["idle"]["keepalive"]["interval_s"]
            .as_f64()
            .unwrap_or(0.0),
        run.secs
    );
    after_ms
}

// ── A blocked event loop ─────────────────────────────────────────────────────

#[test]
fn blocked_event_loop_is_told_from_a_healthy_server_under_the_same_load() {
    let Some(healthy) = python_echo(&[]) else {
        return;
    };
    let Some(blocking) = blocking_echo() else {
        return;
    };
    let load = |port: u16| {
        check(
            &[&format!("ws://127.0.0.1:{port}/"), "--concurrency", "8"],
            &[],
        )
    };
    let good = load(healthy.port);
    let bad = load(blocking.port);
    for (name, run) in [("healthy", &good), ("blocking", &bad)] {
        let l = &run.evidence()["load"];
        let idle = l["idle_rtt_p50_ms"].as_f64().unwrap_or(0.0);
        let loaded = l["loaded_rtt_p50_ms"].as_f64().unwrap_or(0.0);
        eprintln!(
            "FIGURE {name} Python websockets, 8 connections: idle p50 {idle:.2} ms p99 {:.2} ms, \
             loaded p50 {loaded:.2} ms p99 {:.2} ms, ratio {:.1}x, {:.2} s",
            l["idle_rtt_p99_ms"].as_f64().unwrap_or(0.0),
            l["loaded_rtt_p99_ms"].as_f64().unwrap_or(0.0),
            loaded / idle.max(0.001),
            run.secs
        );
        assert_eq!(l["connections"], 8, "{run}");
    }
    expect_ok(&good, &[]);
    // A blocked loop also stops reading: websockets pauses its reads once its queue is
    // full, so the push after the round trips stalls (async-backpressure).
    expect(
        &bad,
        &["async-event-loop-blocked", "async-backpressure"],
        18,
    );
    assert_eq!(bad.evidence()["load"]["writes_stalled"], true, "{bad}");
    assert_eq!(good.evidence()["load"]["writes_stalled"], false, "{good}");
    assert_eq!(
        bad.layer("async-event-loop-blocked"),
        Some("async"),
        "{bad}"
    );
}
