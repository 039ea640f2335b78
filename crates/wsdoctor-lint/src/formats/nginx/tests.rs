use crate::{Input, LintReport, NginxVersion, Options, RuleId, lint, lint_text};
use std::path::PathBuf;
use wsdoctor_core::Severity;

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/lint")
        .join(rel)
}

fn lint_file(rel: &str, opts: &Options) -> LintReport {
    lint(&[Input::Path(testdata(rel))], opts)
}

/// (rule, path relative to the config root, line), for exact comparisons.
fn hits(r: &LintReport, root: &str) -> Vec<(String, String, usize)> {
    r.findings
        .iter()
        .map(|f| {
            let rel = f.file.split(root).last().unwrap_or("").to_string();
            (f.rule.to_string(), rel, f.line)
        })
        .collect()
}

fn h(rule: &str, file: &str, line: usize) -> (String, String, usize) {
    (format!("nginx/{rule}"), file.to_string(), line)
}

fn broken_expected() -> Vec<(String, String, usize)> {
    vec![
        h("sticky-session-missing", "nginx.conf", 17),
        h("missing-upgrade-header", "sites-enabled/app", 11),
        h("proxy-http-version", "sites-enabled/app", 11),
        h("read-timeout-default", "sites-enabled/app", 11),
        h("location-shadowed", "sites-enabled/app", 18),
        h("map-missing", "sites-enabled/chat", 11),
        h("read-timeout-short", "sites-enabled/chat", 12),
        h("proxy-http-version", "sites-enabled/chat", 17),
        h("connection-http-upgrade", "sites-enabled/chat", 20),
        h("ssl-server-name-off", "sites-enabled/chat", 22),
        h("connection-upgrade-keepalive", "sites-enabled/chat", 32),
        h("headers-not-inherited", "sites-enabled/chat", 36),
    ]
}

#[test]
fn broken_site_reports_every_mistake_at_its_line() {
    let r = lint_file("nginx/broken/nginx.conf", &Options::default());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(hits(&r, "nginx/broken/"), broken_expected());
    // The unknown version is said, not hidden.
    assert!(
        r.assumptions
            .iter()
            .any(|a| a.contains("assumed older than 1.29.7"))
    );
}

#[test]
fn findings_carry_catalog_ids_quotes_and_replacements() {
    let r = lint_file("nginx/broken/nginx.conf", &Options::default());
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == RuleId::NginxMissingUpgradeHeader)
        .unwrap();
    assert_eq!(f.id().as_str(), "proxy-upgrade-not-forwarded");
    assert_eq!(f.finding.severity, Severity::Error);
    let quoted: Vec<(usize, &str)> = f.quoted.iter().map(|q| (q.line, q.text.trim())).collect();
    assert_eq!(
        quoted,
        [
            (10, "location /ws/ {"),
            (11, "proxy_pass http://10.0.0.5:8080;")
        ]
    );
    assert_eq!(f.replacement[0], "proxy_set_header Upgrade $http_upgrade;");
    assert_eq!(
        f.replacement[1],
        "proxy_set_header Connection $connection_upgrade;"
    );
    // No map exists in the broken configuration, so the replacement brings one.
    assert!(
        f.replacement
            .iter()
            .any(|l| l.starts_with("map $http_upgrade $connection_upgrade"))
    );
    let ids = |rule: RuleId| {
        r.findings
            .iter()
            .find(|f| f.rule == rule)
            .unwrap()
            .id()
            .as_str()
    };
    assert_eq!(ids(RuleId::NginxProxyHttpVersion), "http-version-1-0");
    assert_eq!(ids(RuleId::NginxReadTimeoutShort), "proxy-idle-timeout");
    assert_eq!(ids(RuleId::NginxReadTimeoutDefault), "proxy-idle-timeout");
    assert_eq!(
        ids(RuleId::NginxHeadersNotInherited),
        "proxy-upgrade-not-forwarded"
    );
    assert_eq!(
        ids(RuleId::NginxLocationShadowed),
        "proxy-location-shadowed"
    );
    let sev = |rule: RuleId| {
        r.findings
            .iter()
            .find(|f| f.rule == rule)
            .unwrap()
            .finding
            .severity
    };
    assert_eq!(sev(RuleId::NginxReadTimeoutDefault), Severity::Info);
    assert_eq!(sev(RuleId::NginxReadTimeoutShort), Severity::Warning);
}

#[test]
fn fixed_site_has_no_findings() {
    let r = lint_file("nginx/fixed/nginx.conf", &Options::default());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(hits(&r, "nginx/fixed/"), []);
}

#[test]
fn nginx_t_dump_maps_lines_back_to_the_original_files() {
    let r = lint_file("nginx/nginx-T-broken.txt", &Options::default());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let want: Vec<_> = broken_expected()
        .into_iter()
        .map(|(rule, f, l)| (rule, format!("/etc/nginx/{f}"), l))
        .collect();
    assert_eq!(hits(&r, "\u{0}"), want);
    assert!(
        r.assumptions
            .iter()
            .any(|a| a.contains("nginx 1.22.1") && a.contains("banner"))
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == RuleId::NginxLocationShadowed)
        .unwrap();
    assert_eq!(f.quoted[0].text.trim(), "location /api/stream/ws {");
}

#[test]
fn version_decides_whether_proxy_http_version_is_needed() {
    let conf = "server {\n  location /ws {\n    proxy_set_header Upgrade $http_upgrade;\n    proxy_set_header Connection upgrade;\n    proxy_read_timeout 1h;\n    proxy_pass http://127.0.0.1:9000;\n  }\n}\n";
    let new = Options {
        nginx_version: Some(NginxVersion(1, 29, 7)),
        ..Options::default()
    };
    assert_eq!(
        lint_text("a.conf", conf, &new).rules(),
        Vec::<RuleId>::new()
    );
    let old = Options {
        nginx_version: Some(NginxVersion(1, 22, 1)),
        ..Options::default()
    };
    let r = lint_text("a.conf", conf, &old);
    assert_eq!(r.rules(), [RuleId::NginxProxyHttpVersion]);
    assert_eq!(r.findings[0].line, 6);
    assert!(r.assumptions[0].contains("--nginx-version"));
    // The backend ignores an Upgrade in an HTTP/1.0 request (RFC 9110 §7.8): the
    // finding also stands for proxy-upgrade-not-forwarded, its id staying the live one.
    assert_eq!(r.findings[0].id().as_str(), "http-version-1-0");
    assert_eq!(
        r.findings[0].also,
        [wsdoctor_core::CauseId::ProxyUpgradeNotForwarded]
    );
    assert!(r.findings[0].finding.detail.contains("RFC 9110"));
    // An explicit 1.0 is wrong on every version.
    let explicit = conf.replace(
        "proxy_read_timeout 1h;",
        "proxy_read_timeout 1h;\n    proxy_http_version 1.0;",
    );
    assert_eq!(
        lint_text("a.conf", &explicit, &new).rules(),
        [RuleId::NginxProxyHttpVersion]
    );
}

#[test]
fn unmarked_servers_have_every_proxied_route_judged() {
    // Nothing in this server says WebSocket: its proxied route may carry them, and
    // the finding says why it was judged.
    let conf = "server {\n  location /api/ {\n    proxy_pass http://b;\n  }\n  location /static/ {\n    proxy_pass http://cdn;\n  }\n}\n";
    let r = lint_text("a.conf", conf, &Options::default());
    assert!(r.rules().contains(&RuleId::NginxMissingUpgradeHeader));
    assert!(
        r.findings.iter().all(|f| f.line < 5),
        "static routes are not judged"
    );
    assert!(
        r.findings[0]
            .finding
            .detail
            .contains("no location of this server is marked")
    );
    // With a WebSocket location beside it, the plain API location is left alone.
    let marked = conf.replace(
        "  location /static/",
        "  location /ws/ {\n    proxy_http_version 1.1;\n    proxy_set_header Upgrade $http_upgrade;\n    proxy_set_header Connection upgrade;\n    proxy_read_timeout 1h;\n    proxy_pass http://b;\n  }\n  location /static/",
    );
    assert!(
        lint_text("a.conf", &marked, &Options::default())
            .findings
            .is_empty()
    );
    // A --ws-path names the route nginx picks for it.
    let opts = Options {
        ws_paths: vec!["/api/feed".into()],
        ..Options::default()
    };
    let r = lint_text("a.conf", &marked, &opts);
    assert!(r.rules().contains(&RuleId::NginxMissingUpgradeHeader));
    assert!(r.findings[0].finding.detail.contains("--ws-path /api/feed"));
}

#[test]
fn header_values_and_refused_directives() {
    let conf = "server {\n  location /ws/ {\n    proxy_http_version 1.1;\n    proxy_set_header Upgrade $connection_upgrade;\n    proxy_set_header Connection upgrade;\n    proxy_read_timeout 1h;\n    proxy_pass ws://b;\n    if ($http_upgrade) {\n      proxy_set_header Connection upgrade;\n    }\n  }\n}\n";
    let r = lint_text("a.conf", conf, &Options::default());
    assert_eq!(
        r.rules(),
        [
            RuleId::NginxUpgradeWrongValue,
            RuleId::NginxProxyPassWsScheme,
            RuleId::NginxDirectiveInIf
        ]
    );
    assert_eq!(
        r.findings.iter().map(|f| f.line).collect::<Vec<_>>(),
        [4, 7, 9]
    );
    assert_eq!(r.findings[1].id().as_str(), "proxy-config-rejected");
}

#[test]
fn an_include_that_was_not_read_may_set_the_headers() {
    let conf = "server {\n  location / {\n    include /nonexistent/proxy_params;\n    proxy_pass http://b;\n  }\n}\n";
    let r = lint_text("a.conf", conf, &Options::default());
    assert_eq!(r.errors.len(), 1);
    let missing = r
        .findings
        .iter()
        .find(|f| f.rule == RuleId::NginxMissingUpgradeHeader)
        .unwrap();
    assert_eq!(missing.finding.severity, Severity::Info);
    assert!(missing.finding.detail.contains("was not read"));
    assert!(
        r.findings
            .iter()
            .all(|f| f.finding.severity == Severity::Info)
    );
    // TLS options cannot set proxy headers: still an error.
    let tls = conf.replace("proxy_params", "options-ssl-nginx.conf");
    let r = lint_text("a.conf", &tls, &Options::default());
    assert!(
        r.findings
            .iter()
            .any(|f| f.finding.severity == Severity::Error)
    );
}

#[test]
fn a_map_that_never_says_upgrade() {
    let conf = |entries: &str| {
        format!(
            "http {{\n  map $http_upgrade $connection_upgrade {{\n{entries}  }}\n  server {{\n    location /ws/ {{\n      proxy_http_version 1.1;\n      proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection $connection_upgrade;\n      proxy_read_timeout 1h;\n      proxy_pass http://b;\n    }}\n  }}\n}}\n"
        )
    };
    let r = lint_text("a", &conf("    default close;\n"), &Options::default());
    assert_eq!(r.rules(), [RuleId::NginxConnectionWrongValue]);
    assert_eq!(r.findings[0].line, 3);
    for good in [
        "    default upgrade;\n    '' close;\n",
        "    WebSocket upgrade;\n    default close;\n",
        "    ~*^web upgrade;\n    default close;\n",
    ] {
        assert!(
            lint_text("a", &conf(good), &Options::default())
                .findings
                .is_empty(),
            "{good}"
        );
    }
}

#[test]
fn unreachable_websocket_locations_are_said() {
    // A regex written without ~, and a named location nothing routes to.
    let conf = "server {\n  location /app/ {\n    proxy_pass http://b;\n  }\n  location /(api/kernels/[^/]+/channels)/? {\n    proxy_http_version 1.1;\n    proxy_set_header Upgrade $http_upgrade;\n    proxy_set_header Connection upgrade;\n    proxy_pass http://b;\n  }\n  proxy_hide_header Upgrade;\n  location @ws {\n    proxy_http_version 1.1;\n    proxy_set_header Upgrade $http_upgrade;\n    proxy_set_header Connection upgrade;\n    proxy_pass http://b;\n  }\n}\n";
    let opts = Options {
        ws_paths: vec!["/app/api/kernels/1/channels".into()],
        ..Options::default()
    };
    let r = lint_text("a.conf", conf, &opts);
    let got: Vec<(RuleId, usize)> = r.findings.iter().map(|f| (f.rule, f.line)).collect();
    assert!(
        got.contains(&(RuleId::NginxRegexWithoutModifier, 5)),
        "{got:?}"
    );
    assert!(
        got.contains(&(RuleId::NginxNamedLocationUnused, 12)),
        "{got:?}"
    );
    assert!(
        got.contains(&(RuleId::NginxMissingUpgradeHeader, 3)),
        "{got:?}"
    );
    assert!(
        got.contains(&(RuleId::NginxUpgradeHeaderHidden, 11)),
        "{got:?}"
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == RuleId::NginxRegexWithoutModifier)
        .unwrap();
    assert!(
        f.finding.detail.contains("reaches location /app/"),
        "{}",
        f.finding.detail
    );
}

#[test]
fn ping_interval_moves_the_timeout_threshold() {
    let conf = |t: &str| {
        format!(
            "server {{\n  location /ws {{\n    proxy_http_version 1.1;\n    proxy_set_header Upgrade $http_upgrade;\n    proxy_set_header Connection upgrade;\n    {t}\n    proxy_send_timeout 5s;\n    proxy_pass http://b;\n  }}\n}}\n"
        )
    };
    // Unknown ping interval: a note saying what the timeout needs, not an alarm.
    let r = lint_text("a", &conf("proxy_read_timeout 45s;"), &Options::default());
    assert_eq!(r.rules(), [RuleId::NginxReadTimeoutShort]);
    assert_eq!(r.findings[0].finding.severity, Severity::Info);
    assert!(r.findings[0].finding.detail.contains("--ping-interval"));
    let r = lint_text("a", &conf("proxy_read_timeout 5s;"), &Options::default());
    assert_eq!(r.findings[0].finding.severity, Severity::Warning);
    let slow = Options {
        ping_interval: Some(50),
        ..Options::default()
    };
    let r = lint_text("a", &conf("proxy_read_timeout 45s;"), &slow);
    assert_eq!(r.rules(), [RuleId::NginxReadTimeoutShort]);
    assert_eq!(r.findings[0].line, 6);
    // proxy_send_timeout is explained, never blamed.
    assert!(
        r.findings[0]
            .finding
            .detail
            .contains("proxy_send_timeout only limits")
    );
    let fast = Options {
        ping_interval: Some(20),
        ..Options::default()
    };
    assert!(lint_text("a", &conf(""), &fast).findings.is_empty());
    assert_eq!(
        lint_text("a", &conf(""), &Options::default()).rules(),
        [RuleId::NginxReadTimeoutDefault]
    );
}

#[test]
fn map_with_close_branch_defeats_keepalive() {
    let conf = "http {\n  map $http_upgrade $connection_upgrade {\n    default upgrade;\n    '' close;\n  }\n  upstream app { server 10.0.0.1:80; keepalive 8; }\n  server {\n    location /ws {\n      proxy_http_version 1.1;\n      proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection $connection_upgrade;\n      proxy_read_timeout 1h;\n      proxy_pass http://app;\n    }\n  }\n}\n";
    let r = lint_text("a", conf, &Options::default());
    assert_eq!(r.rules(), [RuleId::NginxConnectionUpgradeKeepalive]);
    assert_eq!(r.findings[0].line, 4);
    assert!(
        r.findings[0]
            .replacement
            .contains(&"    '' '';".to_string())
    );
    // Without keepalive the close branch is the usual, correct recipe.
    let plain = conf.replace(" keepalive 8;", "");
    assert!(
        lint_text("a", &plain, &Options::default())
            .findings
            .is_empty()
    );
}

#[test]
fn a_broken_include_is_reported_and_the_rest_still_linted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("conf.d")).unwrap();
    std::fs::write(
        dir.path().join("nginx.conf"),
        "http {\n  include conf.d/*.conf;\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("conf.d/a.conf"),
        "server {\n  listen 80\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("conf.d/b.conf"),
        "server {\n  location /ws {\n    proxy_pass http://b;\n  }\n}\n",
    )
    .unwrap();
    let r = lint(
        &[Input::Path(dir.path().join("nginx.conf"))],
        &Options::default(),
    );
    assert_eq!(r.errors.len(), 1);
    assert!(r.errors[0].file.ends_with("a.conf"));
    assert_eq!(r.errors[0].line, Some(3));
    assert!(r.rules().contains(&RuleId::NginxMissingUpgradeHeader));
    assert!(r.findings.iter().all(|f| f.file.ends_with("b.conf")));
    assert_eq!(r.files.len(), 1);
}

#[test]
fn prefix_option_resolves_relative_includes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc/snippets")).unwrap();
    std::fs::create_dir_all(dir.path().join("sites")).unwrap();
    std::fs::write(
        dir.path().join("etc/snippets/ws.conf"),
        "proxy_set_header X-Y 1;\n",
    )
    .unwrap();
    let site = dir.path().join("sites/app.conf");
    std::fs::write(
        &site,
        "server {\n  proxy_set_header Upgrade $http_upgrade;\n  proxy_set_header Connection upgrade;\n  location /ws {\n    include snippets/ws.conf;\n    proxy_http_version 1.1;\n    proxy_read_timeout 1h;\n    proxy_pass http://b;\n  }\n}\n",
    )
    .unwrap();
    let opts = Options {
        prefix: Some(dir.path().join("etc")),
        ..Options::default()
    };
    let r = lint(&[Input::Path(site.clone())], &opts);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // The snippet's header is what hides the server's Upgrade line.
    assert_eq!(r.rules(), [RuleId::NginxHeadersNotInherited]);
    assert!(r.findings[0].file.ends_with("snippets/ws.conf"));
    // Without the prefix the include is missing, which is said with file:line.
    let r = lint(&[Input::Path(site)], &Options::default());
    assert_eq!(r.errors[0].line, Some(5));
}

#[test]
fn garbage_never_panics() {
    for text in [
        "{{{{",
        "}}}}",
        "a \"",
        "location { proxy_pass",
        "\u{0}\u{1}\u{ff}",
        "server { location /ws { proxy_pass https://[::1; } }",
        "server { location ~ \"(\" { proxy_pass http://x; } location /ws { proxy_pass http://x; } }",
    ] {
        let _ = lint_text(
            "g",
            text,
            &Options {
                input_format: Some(crate::Format::Nginx),
                ..Options::default()
            },
        );
    }
}

#[test]
fn a_regex_location_that_loses_the_websocket_path_is_not_judged() {
    let conf = |m: &str| {
        format!(
            "server {{\n  location ~ ^/(api|ws)/ {{\n    proxy_pass http://b;\n  }}\n  location {m}/ws/ {{\n    proxy_http_version 1.1;\n    proxy_set_header Upgrade $http_upgrade;\n    proxy_set_header Connection upgrade;\n    proxy_read_timeout 1h;\n    proxy_pass http://b;\n  }}\n}}\n"
        )
    };
    let r = lint_text("a", &conf(""), &Options::default());
    assert_eq!(
        r.rules(),
        [
            RuleId::NginxMissingUpgradeHeader,
            RuleId::NginxProxyHttpVersion,
            RuleId::NginxReadTimeoutDefault,
            RuleId::NginxLocationShadowed
        ]
    );
    assert!(
        lint_text("a", &conf("^~ "), &Options::default())
            .findings
            .is_empty()
    );
}

#[test]
fn a_ws_path_belongs_to_its_longest_prefix_location() {
    let conf = "server {\n  location / {\n    proxy_pass http://b;\n  }\n  location /feed/ {\n    proxy_pass http://b;\n  }\n}\n";
    let opts = Options {
        ws_paths: vec!["/feed/live".into()],
        ..Options::default()
    };
    let r = lint_text("a", conf, &opts);
    assert!(
        r.findings
            .iter()
            .all(|f| f.quoted.iter().any(|q| q.text.contains("/feed/")))
    );
    assert!(r.rules().contains(&RuleId::NginxMissingUpgradeHeader));
    assert!(
        r.findings.iter().all(|f| f.line >= 5),
        "{:?}",
        r.findings.iter().map(|f| f.line).collect::<Vec<_>>()
    );
}

/// ASP.NET's documented `location /` sets `Upgrade` with `Connection keep-alive` for
/// plain HTTP; an exact-match WebSocket location hard-codes `Connection "upgrade"` to a
/// keep-alive upstream. Checked with `nginx -t` 1.22.
const ASPNET_SPLIT: &str = "events {}\nhttp {\n  upstream app { server 127.0.0.1:9000; keepalive 8; }\n  server {\n    listen 127.0.0.1:18080;\n    location / {\n      proxy_pass http://app;\n      proxy_http_version 1.1;\n      proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection keep-alive;\n    }\n    location = /events/stream {\n      proxy_pass http://app;\n      proxy_http_version 1.1;\n      proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection \"upgrade\";\n      proxy_read_timeout 1h;\n    }\n  }\n}\n";

fn loud(r: &LintReport) -> Vec<(RuleId, usize)> {
    r.findings
        .iter()
        .filter(|f| f.finding.severity >= Severity::Warning)
        .map(|f| (f.rule, f.line))
        .collect()
}

#[test]
fn a_ws_path_narrows_judgement_to_the_location_it_reaches() {
    let o = Options {
        ws_paths: vec!["/events/stream".into()],
        nginx_version: Some(NginxVersion::parse("1.22.1").unwrap()),
        ..Options::default()
    };
    // Told where the WebSocket is: location / (plain HTTP with an Upgrade header) is
    // not judged, and the exact-match endpoint passes no ordinary request.
    let r = lint_text("nginx.conf", ASPNET_SPLIT, &o);
    assert_eq!(loud(&r), [], "{:?}", r.findings);
    // Not told: location / sets Upgrade, so it is judged, and its keep-alive is wrong.
    let bare = Options {
        nginx_version: o.nginx_version,
        ..Options::default()
    };
    let r = lint_text("nginx.conf", ASPNET_SPLIT, &bare);
    assert_eq!(loud(&r), [(RuleId::NginxConnectionWrongValue, 10)]);
    // A prefix WebSocket location does pass ordinary requests: the keep-alive rule holds.
    let prefix = ASPNET_SPLIT.replace("location = /events/stream", "location /events/");
    let r = lint_text("nginx.conf", &prefix, &o);
    assert_eq!(loud(&r), [(RuleId::NginxConnectionUpgradeKeepalive, 16)]);
}

/// A location body pasted without its `location` line (each checked with `nginx -t`
/// 1.22 by including it in a `location /`): read as one location, judged as such.
#[test]
fn a_pasted_location_body_is_judged_as_a_location() {
    let v = Options {
        nginx_version: Some(NginxVersion::parse("1.22.1").unwrap()),
        ..Options::default()
    };
    let body = "proxy_pass http://127.0.0.1:9000;\nproxy_http_version 1.1;\nproxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection close;\nproxy_read_timeout 1h;\n";
    let r = lint_text("body.conf", body, &v);
    assert_eq!(loud(&r), [(RuleId::NginxConnectionWrongValue, 4)]);
    assert!(
        r.findings[0]
            .finding
            .detail
            .contains("without its location block")
    );
    let fixed = body.replace("Connection close", "Connection \"upgrade\"");
    assert_eq!(loud(&lint_text("body.conf", &fixed, &v)), []);
    // Only the header pair, quoted on its own: the values are still judged.
    let pair = "map $http_upgrade $connection_upgrade {\n  default upgrade;\n  '' close;\n}\nproxy_set_header Upgrade $connection_upgrade;\nproxy_set_header Connection $connection_upgrade;\n";
    let r = lint_text("hdr.conf", pair, &v);
    assert_eq!(loud(&r), [(RuleId::NginxUpgradeWrongValue, 5)]);
    let good = pair.replace("Upgrade $connection_upgrade", "Upgrade $http_upgrade");
    assert_eq!(loud(&lint_text("hdr.conf", &good, &v)), []);
}

/// A `map` can only live in `http`: a bare location that uses `$connection_upgrade`
/// says the map may be in the file that includes it (a note); a server block without
/// the map is still refused, as `nginx -t` refuses it.
#[test]
fn a_missing_map_is_only_certain_where_the_http_level_is_in_view() {
    let v = Options {
        nginx_version: Some(NginxVersion::parse("1.22.1").unwrap()),
        ..Options::default()
    };
    let loc = "location /live/ {\n  proxy_pass http://127.0.0.1:9000;\n  proxy_http_version 1.1;\n  proxy_set_header Upgrade $http_upgrade;\n  proxy_set_header Connection $connection_upgrade;\n  proxy_read_timeout 1h;\n}\n";
    let r = lint_text("loc.conf", loc, &v);
    assert_eq!(loud(&r), []);
    assert_eq!(r.rules(), [RuleId::NginxMapMissing]);
    let server = format!("server {{\n  listen 80;\n{loc}}}\n");
    let r = lint_text("site.conf", &server, &v);
    assert_eq!(loud(&r), [(RuleId::NginxMapMissing, 7)]);
}

/// Run with nginx 1.22 on 127.0.0.1 (a `websockets` echo behind `@websocket` and
/// behind the commented-out backend): the handshake to /admin got 301 and to
/// /admin/?EIO=4&transport=websocket 200 from the folder's index.html, /admin/socket
/// 101 from the fallback, and /ws/chat 404 from the document root.
#[test]
fn websocket_paths_answered_from_disk() {
    let o = |p: &str| Options {
        ws_paths: vec![p.into()],
        ..Options::default()
    };
    // try_files finds the aliased folder itself before the proxied fallback.
    let tried = "location /admin {\n    alias /srv/admin;\n    index index.html;\n    try_files $uri $uri/ @websocket;\n}\nlocation @websocket {\n    proxy_pass http://127.0.0.1:3000;\n    proxy_http_version 1.1;\n    proxy_set_header Upgrade $http_upgrade;\n    proxy_set_header Connection \"upgrade\";\n    proxy_read_timeout 1h;\n}\n";
    let r = lint_text("a.conf", tried, &o("/admin"));
    assert_eq!(r.rules(), [RuleId::NginxTryFilesAnswersWs]);
    assert_eq!(
        (r.findings[0].line, r.findings[0].id().as_str()),
        (4, "http-not-upgraded")
    );
    // A path below the folder is a file lookup that usually fails: the fallback runs.
    assert!(
        lint_text("a.conf", tried, &o("/admin/socket"))
            .findings
            .is_empty()
    );
    // Without $uri/ the folder is not served.
    let files_only = tried.replace("$uri $uri/ @websocket", "$uri @websocket");
    assert!(
        lint_text("a.conf", &files_only, &o("/admin"))
            .findings
            .is_empty()
    );

    // The WebSocket location with its proxy_pass commented out.
    let commented = "server {\n  listen 80;\n  location /ws/ {\n    #proxy_pass http://127.0.0.1:3000;\n    proxy_http_version 1.1;\n    proxy_set_header Upgrade $http_upgrade;\n    proxy_set_header Connection \"upgrade\";\n  }\n}\n";
    let r = lint_text("a.conf", commented, &Options::default());
    assert_eq!(r.rules(), [RuleId::NginxWsLocationNotProxied]);
    assert_eq!(
        (r.findings[0].line, r.findings[0].id().as_str()),
        (3, "http-not-found")
    );
    assert!(r.findings[0].finding.severity >= Severity::Warning);
    // Restored, or handled by something else (return, fastcgi_pass): not this rule.
    let restored = commented.replace("#proxy_pass", "proxy_pass");
    assert!(
        !lint_text("a.conf", &restored, &Options::default())
            .rules()
            .contains(&RuleId::NginxWsLocationNotProxied)
    );
    let returned = commented.replace("#proxy_pass http://127.0.0.1:3000;", "return 426;");
    assert!(
        lint_text("a.conf", &returned, &Options::default())
            .findings
            .is_empty()
    );
}
