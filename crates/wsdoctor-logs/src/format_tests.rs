//! Every access-log format on real samples: the logs under `testdata/logs/` were
//! written by the real nginx, HAProxy, Apache, Caddy and Traefik
//! (`testdata/logs/generate.py`: idle sessions cut by each proxy's own timeout); ALB,
//! Envoy and Cloudflare lines are their vendors' documented examples. Each test
//! asserts the detected format, the causes with their counts and the cluster values.

use super::*;

macro_rules! sample {
    ($path:literal) => {
        (
            $path,
            &include_bytes!(concat!("../../../testdata/logs/", $path))[..],
        )
    };
}

fn scan(files: &[(&str, &[u8])], opts: Options) -> LogReport {
    let mut s = Scanner::new(opts);
    for (name, data) in files {
        s.scan(name, &mut &data[..], &mut |_| {}).expect("scan");
    }
    s.finish()
}

fn counts(r: &LogReport) -> Vec<(CauseId, u64)> {
    r.findings.iter().map(|f| (f.id, f.count)).collect()
}

fn count(r: &LogReport, id: CauseId) -> u64 {
    r.findings
        .iter()
        .find(|f| f.id == id)
        .map_or(0, |f| f.count)
}

/// The one duration cluster: (seconds rounded to whole, sessions, vendors).
fn cluster(r: &LogReport) -> (u64, u64, Vec<&'static str>) {
    assert_eq!(r.sessions.timeouts.len(), 1, "{:?}", r.sessions.timeouts);
    let t = &r.sessions.timeouts[0];
    (t.seconds.round() as u64, t.sessions, t.vendors.clone())
}

#[test]
fn ingress_nginx_default_format_heads_with_the_idle_cut() {
    let r = scan(&[sample!("nginx/ingress.log")], Options::default());
    assert_eq!(r.files[0].format, "ingress-nginx");
    assert_eq!((r.sessions.upgraded, r.sessions.with_duration), (14, 14));
    let (secs, sessions, vendors) = cluster(&r);
    assert_eq!((secs, sessions), (60, 8));
    assert!(vendors.contains(&"ingress-nginx"), "{vendors:?}");
    // The log's format names the component: ingress-nginx, among the four 60 s defaults.
    assert_eq!(r.sessions.timeouts[0].writer, Some("ingress-nginx"));
    // The headline is the idle cut, then the 502s of the backend that is down.
    assert_eq!(r.findings[0].id, CauseId::ProxyIdleTimeout);
    let bg = r.findings.iter().find(|f| f.id == CauseId::HttpBadGateway);
    let bg = bg.expect("502s");
    assert_eq!(bg.count, 3);
    assert!(
        bg.upstreams
            .items
            .contains_key("upstream-default-live-8080")
    );
    assert!(!serde_json::to_string(&r).expect("json").contains("s3cr3t"));
}

#[test]
fn nginx_combined_json_and_a_config_naming_the_formats() {
    let files = [
        sample!("nginx/combined.log"),
        sample!("nginx/json.log"),
        sample!("nginx/ingress.log"),
    ];
    let r = scan(&files, Options::default());
    let formats: Vec<&str> = r.files.iter().map(|f| f.format.as_str()).collect();
    assert_eq!(formats, ["access", "json-access", "ingress-nginx"]);
    // Combined has no durations; the JSON and ingress logs have the same 8 cut sessions.
    assert_eq!((r.sessions.upgraded, r.sessions.with_duration), (42, 28));
    assert_eq!((cluster(&r).0, cluster(&r).1), (60, 16));
    assert_eq!(count(&r, CauseId::HttpBadGateway), 9);
    let conf = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/logs/nginx/nginx.conf"
    );
    let opts = Options {
        log_formats: nginx_log_formats(std::path::Path::new(conf), None).expect("reads"),
        ..Options::default()
    };
    opts.check().expect("the config's formats compile");
    let r = scan(&files, opts);
    let formats: Vec<&str> = r.files.iter().map(|f| f.format.as_str()).collect();
    assert_eq!(formats, ["access", "nginx:jsonlog", "nginx:upstreaminfo"]);
    assert_eq!(r.sessions.with_duration, 28);
}

#[test]
fn nginx_error_log_of_the_same_run() {
    let r = scan(&[sample!("nginx/error.log")], Options::default());
    assert_eq!(r.files[0].format, "nginx-error");
    assert_eq!(
        counts(&r),
        [(CauseId::ProxyIdleTimeout, 8), (CauseId::HttpBadGateway, 3)]
    );
}

#[test]
fn haproxy_http_and_tcp_logs() {
    let r = scan(&[sample!("haproxy/haproxy.log")], Options::default());
    assert_eq!(r.files[0].format, "haproxy");
    let (secs, sessions, vendors) = cluster(&r);
    // 8 upgraded sessions in the HTTP frontend, 6 connections in the TCP one.
    assert_eq!((secs, sessions), (50, 14));
    assert_eq!(vendors, ["haproxy"]);
    assert_eq!(r.sessions.timeouts[0].writer, Some("haproxy"));
    assert_eq!(r.sessions.upgraded, 14);
    let idle = r
        .findings
        .iter()
        .find(|f| f.id == CauseId::ProxyIdleTimeout);
    let sigs = &idle.expect("idle").signatures;
    // Each of the 14 sessions is counted once: by its `cD`, not again by the cluster
    // it sits in (it was 28).
    assert_eq!(sigs["haproxy-cD"], 14);
    assert!(!sigs.contains_key("duration-cluster"), "{sigs:?}");
    assert_eq!(idle.expect("idle").count, 14);
    assert_eq!(count(&r, CauseId::HttpBadGateway), 3);
}

#[test]
fn apache_access_with_d_and_t_and_its_error_log() {
    let r = scan(&[sample!("apache/access-d.log")], Options::default());
    assert_eq!(r.files[0].format, "access");
    // Combined is written by nginx, Apache and Traefik alike: no writer is claimed.
    assert_eq!(r.sessions.timeouts[0].writer, None);
    assert_eq!((cluster(&r).0, cluster(&r).1), (60, 8));
    assert_eq!(count(&r, CauseId::HttpServiceUnavailable), 3);
    // `%T` at the end of the common format cannot be told from a byte count: the
    // LogFormat says what it is.
    let r = scan(&[sample!("apache/access-t.log")], Options::default());
    assert_eq!(r.sessions.with_duration, 0);
    let opts = Options {
        log_formats: vec![LogFormat {
            name: "log-format".into(),
            template: r#"%h %l %u %t "%r" %>s %b %T"#.into(),
            files: Vec::new(),
        }],
        ..Options::default()
    };
    let r = scan(&[sample!("apache/access-t.log")], opts);
    assert_eq!(r.files[0].format, "log-format");
    assert_eq!((cluster(&r).0, cluster(&r).1), (60, 8));
    let r = scan(&[sample!("apache/error.log")], Options::default());
    assert_eq!(r.files[0].format, "apache-error");
    assert_eq!(counts(&r), [(CauseId::HttpBadGateway, 6)]);
}

#[test]
fn caddy_and_traefik_sessions_without_an_idle_cut() {
    for (sample, format) in [
        (sample!("caddy/access.log"), "caddy"),
        (sample!("traefik/access.json.log"), "traefik-json"),
        (sample!("traefik/access.clf.log"), "access"),
    ] {
        let r = scan(&[sample], Options::default());
        assert_eq!(r.files[0].format, format);
        // Traefik writes status 0 for the upgraded connections it hands over.
        assert_eq!(
            (r.sessions.upgraded, r.sessions.with_duration),
            (14, 14),
            "{format}"
        );
        // Clients left at spread times: no pile-up, so no timeout is claimed.
        assert!(r.sessions.timeouts.is_empty(), "{format}");
        assert!(count(&r, CauseId::HttpBadGateway) >= 3, "{format}");
        assert_eq!(count(&r, CauseId::ProxyIdleTimeout), 0, "{format}");
    }
}

/// The WebSocket entries of AWS's documentation, then the same entry for sessions the
/// load balancer's 60 s idle timeout ended (only `time` changed).
const ALB: &str = r#"ws 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:40914 10.0.1.192:8010 0.001 0.003 0.000 101 101 218 587 "GET http://10.0.0.30:80/ HTTP/1.1" "-" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.1.192:8010" "101" "-" "-"
wss 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:44244 10.0.0.171:8010 0.000 0.001 0.000 101 101 218 786 "GET https://10.0.0.30:443/ HTTP/1.1" "-" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.171:8010" "101" "-" "-"
h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 2018-07-02T22:22:48.364000Z "redirect" "https://example.com:80/" "-"
"#;

#[test]
fn aws_alb_websocket_entries_time_the_session() {
    let mut log = ALB.to_string();
    for i in 0..6 {
        log.push_str(&format!(
            "wss 2018-07-02T22:2{}:48.{:03}000Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:4424{i} 10.0.0.171:8010 0.000 0.001 0.000 101 101 218 786 \"GET https://10.0.0.30:443/ws HTTP/1.1\" \"-\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337364-23a8c76965a2ef7629b185e3\" \"-\" \"-\" 1 2018-07-02T22:2{i}:48.364000Z \"forward\" \"-\" \"-\" \"10.0.0.171:8010\" \"101\" \"-\" \"-\"\n",
            i + 1,
            400 + i
        ));
    }
    let r = scan(&[("alb.log", log.as_bytes())], Options::default());
    assert_eq!(r.files[0].format, "aws-alb");
    assert_eq!((r.sessions.upgraded, r.sessions.with_duration), (8, 8));
    let (secs, sessions, vendors) = cluster(&r);
    assert_eq!((secs, sessions), (60, 6));
    assert!(vendors.contains(&"aws-alb"), "{vendors:?}");
    assert_eq!(r.sessions.timeouts[0].writer, Some("aws-alb"));
    // The documented entries: 11.8 s sessions.
    assert_eq!(r.sessions.median_seconds, Some(60.0));
}

/// Envoy's default format; the first line is the example of Envoy's documentation.
const ENVOY: &str = r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"
[2016-04-15T20:17:01.310Z] "GET /ws HTTP/1.1" 101 SI 154 0 300001 - "10.0.35.28" "Mozilla/5.0" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd3" "chat" "tcp://10.0.2.1:80"
[2016-04-15T20:17:02.310Z] "GET /ws HTTP/1.1" 101 SI 154 0 300002 - "10.0.35.28" "Mozilla/5.0" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd4" "chat" "tcp://10.0.2.1:80"
[2016-04-15T20:17:03.310Z] "GET /ws HTTP/1.1" 503 UF,URX 0 91 30 - "10.0.35.28" "Mozilla/5.0" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd5" "chat" "tcp://10.0.2.2:80"
[2016-04-15T20:17:04.310Z] "GET /ws HTTP/1.1" 503 UH 0 19 0 - "10.0.35.28" "Mozilla/5.0" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd6" "chat" "-"
"#;

#[test]
fn envoy_default_format_and_its_response_flags() {
    let r = scan(&[("envoy.log", ENVOY.as_bytes())], Options::default());
    assert_eq!(r.files[0].format, "envoy");
    assert_eq!((r.sessions.upgraded, r.sessions.with_duration), (2, 2));
    assert_eq!(
        counts(&r),
        [
            (CauseId::ProxyIdleTimeout, 2),
            (CauseId::HttpBadGateway, 1),
            (CauseId::HttpServiceUnavailable, 1)
        ]
    );
    let idle = r
        .findings
        .iter()
        .find(|f| f.id == CauseId::ProxyIdleTimeout);
    assert_eq!(idle.expect("idle").signatures["envoy-SI"], 2);
}

/// Cloudflare Logpush `http_requests` lines with the documented default fields.
const CLOUDFLARE: &str = r#"{"ClientIP":"192.0.2.1","ClientRequestHost":"chat.example.com","ClientRequestMethod":"GET","ClientRequestURI":"/ws?token=abc","EdgeEndTimestamp":1526810389300000000,"EdgeResponseBytes":0,"EdgeResponseStatus":101,"EdgeStartTimestamp":1526810289280000000,"RayID":"41ddf1740f67442d"}
{"ClientIP":"192.0.2.1","ClientRequestHost":"chat.example.com","ClientRequestMethod":"GET","ClientRequestURI":"/ws","EdgeEndTimestamp":1526810289290000000,"EdgeResponseBytes":1234,"EdgeResponseStatus":502,"EdgeStartTimestamp":1526810289280000000,"RayID":"41ddf1740f67442e"}
"#;

#[test]
fn cloudflare_logpush_json() {
    let r = scan(&[("cf.json", CLOUDFLARE.as_bytes())], Options::default());
    assert_eq!(r.files[0].format, "cloudflare");
    assert_eq!(r.sessions.upgraded, 1);
    assert_eq!(r.sessions.median_seconds, Some(100.0));
    assert_eq!(counts(&r), [(CauseId::HttpBadGateway, 1)]);
    assert!(!serde_json::to_string(&r).expect("json").contains("abc"));
}

#[test]
fn container_wrappers_read_as_the_format_inside() {
    let (_, ingress) = sample!("nginx/ingress.log");
    let text = String::from_utf8_lossy(ingress);
    let mut cri = String::new();
    let mut docker = String::new();
    for l in text.lines() {
        cri.push_str(&format!("2026-12-03T14:09:36.123456789Z stdout F {l}\n"));
        let esc = serde_json::to_string(&format!("{l}\n")).expect("json");
        docker.push_str(&format!(
            "{{\"log\":{esc},\"stream\":\"stdout\",\"time\":\"2026-12-03T14:09:36.123456789Z\"}}\n"
        ));
    }
    let plain = scan(&[("ingress.log", ingress)], Options::default());
    for (name, log, wrapper) in [("cri.log", &cri, "cri"), ("docker.log", &docker, "docker")] {
        let r = scan(&[(name, log.as_bytes())], Options::default());
        assert_eq!(r.files[0].format, "ingress-nginx", "{name}");
        assert_eq!(r.files[0].wrapper, Some(wrapper));
        assert_eq!(counts(&r), counts(&plain), "{name}");
        assert_eq!(cluster(&r), cluster(&plain), "{name}");
    }
}

#[test]
fn a_forced_format_wins_over_detection() {
    // Read as combined, the ingress lines have no duration at the end.
    let opts = Options {
        format: Some("combined".into()),
        ..Options::default()
    };
    opts.check().expect("known name");
    let r = scan(&[sample!("nginx/ingress.log")], opts);
    assert_eq!(r.files[0].format, "access");
    assert_eq!((r.sessions.upgraded, r.sessions.with_duration), (14, 0));
    let bad = Options {
        format: Some("nginx-access".into()),
        ..Options::default()
    };
    assert!(bad.check().is_err());
}
