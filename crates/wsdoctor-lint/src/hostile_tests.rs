//! Hostile and pathological inputs: include cycles, include bombs, deep nesting, alias
//! bombs, huge documents, FIFOs and devices. Each test names the refusal it expects by
//! its [`ErrorKind`] and checks that the rest of the configuration is still linted.
//! Size-scaled cases run under a watchdog instead of a timing assertion (speed is
//! measured in bench/).

use crate::{ErrorKind, Format, Input, LintReport, Options, RuleId, lint};
use std::path::Path;
use std::time::Duration;

/// Writes `files` (name, text) under a fresh temporary directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("joined path has a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write fixture");
    }
    dir
}

fn lint_path(p: &Path, opts: &Options) -> LintReport {
    lint(&[Input::Path(p.to_path_buf())], opts)
}

/// Runs `f` on a thread and fails the test if it has not finished within `secs`:
/// a hang or an exponential blow-up becomes a failure instead of a stuck suite.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("did not finish within the {secs} s watchdog"))
}

fn kinds(r: &LintReport) -> Vec<ErrorKind> {
    r.errors.iter().filter_map(|e| e.kind).collect()
}

fn file_names(chain: &[String]) -> Vec<String> {
    chain
        .iter()
        .map(|p| {
            Path::new(p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect()
}

const WS_SERVER: &str = "server {\n  location /ws {\n    proxy_pass http://b;\n  }\n}\n";

fn nginx_self_include() -> tempfile::TempDir {
    let a = format!("{WS_SERVER}include a.conf;\ninclude a.conf;\ninclude a.conf;\n");
    tree(&[
        ("main.conf", "http {\n  include a.conf;\n}\n"),
        ("a.conf", &a),
    ])
}

#[test]
fn nginx_self_include_is_one_cycle_and_the_rest_is_linted() {
    let dir = nginx_self_include();
    // A shallow depth cap keeps the unfixed expansion (3^depth) small enough to fail
    // quickly rather than eat the machine.
    let mut opts = Options::default();
    opts.limits.max_include_depth = 6;
    let r = lint_path(&dir.path().join("main.conf"), &opts);
    assert_eq!(kinds(&r), [ErrorKind::IncludeCycle], "{:?}", r.errors);
    let cycle = &r.errors[0];
    assert_eq!(file_names(&cycle.chain), ["main.conf", "a.conf", "a.conf"]);
    assert!(cycle.file.ends_with("a.conf"));
    assert_eq!(cycle.line, Some(6));
    assert_eq!(
        r.rules()
            .iter()
            .filter(|&&x| x == RuleId::NginxMissingUpgradeHeader)
            .count(),
        1
    );
}

#[test]
fn nginx_self_include_with_default_limits_ends() {
    let dir = nginx_self_include();
    let main = dir.path().join("main.conf");
    let r = within(60, move || lint_path(&main, &Options::default()));
    assert_eq!(kinds(&r), [ErrorKind::IncludeCycle]);
    assert!(r.rules().contains(&RuleId::NginxMissingUpgradeHeader));
}

#[test]
fn nginx_dump_cycle_through_two_files() {
    let dump = "# configuration file /etc/nginx/nginx.conf:\nhttp {\n  include /etc/nginx/a.conf;\n}\n\n# configuration file /etc/nginx/a.conf:\ninclude /etc/nginx/b.conf;\n\n# configuration file /etc/nginx/b.conf:\nserver {\n  location /ws {\n    proxy_pass http://b;\n  }\n}\ninclude /etc/nginx/a.conf;\ninclude /etc/nginx/a.conf;\ninclude /etc/nginx/*.conf;\n\n";
    let r = within(60, move || {
        crate::lint_text("<stdin>", dump, &Options::default())
    });
    let cycles: Vec<_> = r
        .errors
        .iter()
        .filter(|e| e.kind == Some(ErrorKind::IncludeCycle))
        .collect();
    // a.conf → b.conf → a.conf once, whichever include line closes it; the glob also
    // names b.conf itself and nginx.conf, the main file: two more, different cycles.
    assert_eq!(cycles.len(), 3, "{:?}", r.errors);
    assert_eq!(
        cycles[0].chain,
        [
            "/etc/nginx/nginx.conf",
            "/etc/nginx/a.conf",
            "/etc/nginx/b.conf",
            "/etc/nginx/a.conf"
        ]
    );
    assert_eq!(cycles[0].line, Some(6));
    assert_eq!(
        file_names(&cycles[1].chain),
        ["nginx.conf", "a.conf", "b.conf", "b.conf"]
    );
    assert_eq!(file_names(&cycles[2].chain).last().unwrap(), "nginx.conf");
    assert!(r.rules().contains(&RuleId::NginxMissingUpgradeHeader));
}

#[test]
fn apache_include_glob_that_names_itself() {
    let dir = tree(&[
        ("httpd.conf", "Timeout 600\nInclude conf.d/*.conf\n"),
        (
            "conf.d/a.conf",
            "<VirtualHost *:80>\n  ProxyPass /ws/ http://b/ws/\n</VirtualHost>\nIncludeOptional conf.d/*.conf\nInclude conf.d/a.conf\n",
        ),
        ("conf.d/b.conf", "IncludeOptional conf.d/*.conf\n"),
    ]);
    let main = dir.path().join("httpd.conf");
    let opts = Options {
        input_format: Some(Format::Apache),
        ..Options::default()
    };
    let r = within(60, move || lint_path(&main, &opts));
    let chains: Vec<Vec<String>> = r
        .errors
        .iter()
        .filter(|e| e.kind == Some(ErrorKind::IncludeCycle))
        .map(|e| file_names(&e.chain))
        .collect();
    assert_eq!(
        chains,
        [
            vec!["httpd.conf", "a.conf", "a.conf"],
            vec!["httpd.conf", "a.conf", "b.conf", "a.conf"],
            vec!["httpd.conf", "a.conf", "b.conf", "b.conf"],
        ],
        "{:?}",
        r.errors
    );
    assert_eq!(r.rules(), [RuleId::ApacheProxypassNoUpgrade]);
}

/// No cycle, but every file includes the next one many times: the expansion is
/// exponential in the depth. It stops at the include budget, said once.
#[test]
fn repeated_includes_stop_at_the_budget() {
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..6 {
        files.push((
            format!("f{i}.conf"),
            format!("include f{}.conf;\n", i + 1).repeat(16),
        ));
    }
    files.push(("f6.conf".into(), WS_SERVER.into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut all = vec![("main.conf", "http {\n  include f0.conf;\n}\n")];
    all.extend(refs);
    let dir = tree(&all);
    let main = dir.path().join("main.conf");
    let r = within(120, move || lint_path(&main, &Options::default()));
    assert_eq!(kinds(&r), [ErrorKind::IncludeLimit], "{:?}", r.errors);
    assert!(r.rules().contains(&RuleId::NginxMissingUpgradeHeader));
}

#[test]
fn a_glob_naming_too_many_files_is_cut_with_an_error() {
    let names: Vec<String> = (0..12).map(|i| format!("conf.d/{i:02}.conf")).collect();
    let mut files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    files.push(("nginx.conf", "http {\n  include conf.d/*.conf;\n}\n"));
    let dir = tree(&files);
    let mut opts = Options::default();
    opts.limits.max_files = 8;
    let r = lint_path(&dir.path().join("nginx.conf"), &opts);
    assert_eq!(kinds(&r), [ErrorKind::IncludeLimit], "{:?}", r.errors);
    assert_eq!(r.errors[0].line, Some(2));
    assert!(r.errors[0].file.ends_with("nginx.conf"));
    assert_eq!(r.files.len(), 1, "still linted: {:?}", r.errors);
}

/// 16k VirtualHosts, each with a WebSocket ProxyPass: every one is judged (a finding
/// each) and the run is linear (it was quadratic: minutes at this size).
#[test]
fn apache_with_16k_virtual_hosts_is_linear() {
    let n = 16_384;
    let mut conf = String::new();
    for i in 0..n {
        conf.push_str(&format!(
            "<VirtualHost *:80>\n  ServerName h{i}\n  Timeout 30\n  ProxyPass /ws/ ws://b{i}:9000/ws/\n</VirtualHost>\n"
        ));
    }
    let opts = Options {
        input_format: Some(Format::Apache),
        ..Options::default()
    };
    let r = within(60, move || crate::lint_text("httpd.conf", &conf, &opts));
    assert!(r.errors.is_empty(), "{:?}", &r.errors[..1]);
    assert_eq!(r.rules(), vec![RuleId::ApacheTimeoutShort; n]);
}

/// 16k nginx server blocks under one http block: the inherited settings of `http`
/// are gathered once, not rescanned for every location.
#[test]
fn nginx_with_16k_servers_is_linear() {
    let n = 16_384;
    let mut conf = String::from("http {\n  proxy_send_timeout 1h;\n");
    for i in 0..n {
        conf.push_str(&format!(
            "  server {{\n    listen {i};\n    location /ws {{\n      proxy_read_timeout 10s;\n      proxy_http_version 1.1;\n      proxy_set_header Upgrade $http_upgrade;\n      proxy_set_header Connection upgrade;\n      proxy_pass http://b;\n    }}\n  }}\n"
        ));
    }
    conf.push_str("}\n");
    let r = within(60, move || {
        crate::lint_text("nginx.conf", &conf, &Options::default())
    });
    assert!(r.errors.is_empty());
    assert_eq!(r.rules(), vec![RuleId::NginxReadTimeoutShort; n]);
}

/// 100k keys in one TOML table: line numbers come from a line index, not from
/// counting newlines from the start for every key (quadratic: minutes at this size).
#[test]
fn toml_with_100k_keys_is_linear() {
    let mut text = String::from(
        "[entryPoints.web.transport.respondingTimeouts]\nreadTimeout = \"5s\"\n[other]\n",
    );
    for i in 0..100_000 {
        text.push_str(&format!("k{i} = \"x\"\n"));
    }
    let opts = Options {
        input_format: Some(Format::Traefik),
        ..Options::default()
    };
    let r = within(60, move || crate::lint_text("traefik.toml", &text, &opts));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.rules(), [RuleId::TraefikRespondingTimeout]);
    assert_eq!(r.findings[0].line, 2);
}

fn yaml_opts(f: Format) -> Options {
    Options {
        input_format: Some(f),
        ..Options::default()
    }
}

/// Tens of thousands of nesting levels, block and flow, through every YAML reader:
/// a parse-limit error with a line, never a stack overflow.
#[test]
fn deeply_nested_yaml_is_refused_not_overflowed() {
    let n = 50_000;
    let block_seq = format!("entryPoints:\n  web: {}x\n", "- ".repeat(n));
    let flow_seq = format!("entryPoints: {}{}\n", "[".repeat(n), "]".repeat(n));
    let block_map: String = std::iter::once("entryPoints:\n".to_string())
        .chain((1..3_000).map(|i| format!("{}k:\n", " ".repeat(i))))
        .collect();
    for text in [block_seq, flow_seq, block_map] {
        for f in [Format::Traefik, Format::Envoy, Format::K8s] {
            // A small stack, as on a thread a library user might call us from.
            let t = text.clone();
            let r = std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || crate::lint_text("deep.yaml", &t, &yaml_opts(f)))
                .expect("spawn")
                .join()
                .expect("no stack overflow");
            assert_eq!(r.errors.len(), 1, "{f}: {:?}", r.errors);
            assert!(r.errors[0].line.is_some());
        }
    }
}

/// Ten levels of ten aliases each (10^10 nodes if expanded), and one long anchored
/// string repeated by aliases: both stop at the caps, said as parse limits.
#[test]
fn yaml_alias_bombs_are_bounded() {
    let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..9 {
        let p = if i == 0 {
            "*a".to_string()
        } else {
            format!("*b{}", i - 1)
        };
        laughs.push_str(&format!("b{i}: &b{i} [{}]\n", [p.as_str(); 10].join(", ")));
    }
    let long = format!(
        "s: &s \"{}\"\nl: [{}]\n",
        "x".repeat(1 << 20),
        ["*s"; 64].join(", ")
    );
    for text in [laughs, long] {
        let r = within(60, move || {
            crate::lint_text("bomb.yaml", &text, &yaml_opts(Format::K8s))
        });
        assert_eq!(kinds(&r), [ErrorKind::ParseLimit], "{:?}", r.errors);
    }
}

/// Upstream URLs with userinfo or token parameters: the secrets appear in no output
/// (the report's JSON and SARIF; the binary's human output is tested in
/// crates/wsdoctor/tests/lint.rs), the rest of the finding does.
#[test]
fn credentials_in_upstream_urls_are_redacted() {
    let cases = [
        (
            Format::Apache,
            "Timeout 600\n<VirtualHost *:80>\n  ProxyPass /ws/ http://admin:s3cret@b/ws/?token=t0ken\n  RewriteRule ^/(.*) ws://admin:s3cret@b/$1\n</VirtualHost>\n",
        ),
        (
            Format::Nginx,
            "http {\n  server {\n    location /ws {\n      proxy_pass https://admin:s3cret@b/?access_token=t0ken;\n    }\n  }\n}\n",
        ),
    ];
    for (f, text) in cases {
        let r = crate::lint_text("conf", text, &yaml_opts(f));
        assert!(!r.findings.is_empty(), "{f}");
        let json = serde_json::to_string(&r).unwrap();
        let sarif = crate::to_sarif(&r, "0").to_string();
        for out in [&json, &sarif] {
            assert!(
                !out.contains("s3cret") && !out.contains("t0ken"),
                "{f}: {out}"
            );
        }
        assert!(
            json.contains("[redacted]@b/"),
            "{f}: the host is still shown"
        );
        assert!(!json.contains("to admin"), "{f}: userinfo is not the host");
    }
}

/// A 4 MiB proxy_pass URL: every finding quotes it cut, so the report stays small
/// however many findings point at the line.
#[test]
fn a_multi_megabyte_line_is_quoted_as_a_bounded_excerpt() {
    let huge = "x".repeat(4 << 20);
    let text = format!(
        "http {{\n  server {{\n    location /ws {{\n      proxy_pass http://{huge};\n    }}\n    location /ws2 {{\n      proxy_pass http://{huge}/2;\n    }}\n  }}\n}}\n"
    );
    let r = within(60, move || {
        crate::lint_text("nginx.conf", &text, &Options::default())
    });
    assert!(r.findings.len() >= 3, "{:?}", r.rules());
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.len() < 64 << 10, "report is {} bytes", json.len());
    for f in &r.findings {
        for q in &f.quoted {
            assert!(q.text.chars().count() <= wsdoctor_core::excerpt::MAX_LINE_CHARS + 32);
        }
    }
}

/// A FIFO with no writer (opening it would block forever) and a device that never
/// ends, given as files or reached by an include: refused by type, the rest linted.
#[cfg(unix)]
#[test]
fn fifos_and_devices_are_refused_not_read_forever() {
    let dir = tree(&[(
        "nginx.conf",
        "http {\n  include fifo.conf;\n  include /dev/zero;\n  server {\n    location /ws {\n      proxy_pass http://b;\n    }\n  }\n}\n",
    )]);
    let fifo = dir.path().join("fifo.conf");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    let main = dir.path().join("nginx.conf");
    let inputs = vec![
        Input::Path(fifo.clone()),
        Input::Path("/dev/zero".into()),
        Input::Path(main),
    ];
    let r = within(60, move || lint(&inputs, &Options::default()));
    assert_eq!(kinds(&r), [ErrorKind::NotAFile; 4], "{:?}", r.errors);
    let lines: Vec<Option<usize>> = r.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [None, None, Some(2), Some(3)]);
    assert_eq!(r.files.len(), 1);
    assert!(r.rules().contains(&RuleId::NginxMissingUpgradeHeader));
}

/// `lint DIR` (as the README shows): the broken nginx fixture's directory gives the
/// findings of its nginx.conf, the included sites counted once, not linted alone.
#[test]
fn a_directory_stands_for_its_configuration_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/lint/nginx/broken");
    let by_file = lint_path(&root.join("nginx.conf"), &Options::default());
    let by_dir = lint_path(&root, &Options::default());
    assert!(by_dir.errors.is_empty(), "{:?}", by_dir.errors);
    let key = |r: &LintReport| -> Vec<(String, usize, RuleId)> {
        r.findings
            .iter()
            .map(|f| {
                (
                    f.file.rsplit("broken/").next().unwrap_or("").to_string(),
                    f.line,
                    f.rule,
                )
            })
            .collect()
    };
    assert!(!by_file.findings.is_empty());
    assert_eq!(key(&by_dir), key(&by_file));
    assert_eq!(by_dir.files.len(), 1);
}

/// Never-panic properties for every parser: arbitrary text, and text assembled from
/// each syntax's own punctuation and keywords (which reaches deeper than random bytes),
/// through every format. Each input is linted or refused with an error; findings
/// point at a line of the input.
mod never_panic {
    use crate::{Format, Options, lint_text};
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "{",
        "}",
        ";",
        "\n",
        " ",
        "\"",
        "'",
        "\\",
        "#",
        "<",
        ">",
        "</",
        ":",
        "- ",
        "[",
        "]",
        "&a ",
        "*a ",
        "=",
        ",",
        "${x}",
        "include a.conf;",
        "Include *.conf\n",
        "location /ws ",
        "server ",
        "http ",
        "proxy_pass http://u:p@b",
        "<VirtualHost *:80>",
        "</VirtualHost>",
        "ProxyPass /ws ws://b/",
        "backend b\n",
        "timeout tunnel 1s\n",
        "reverse_proxy ",
        "stream_timeout 1s",
        "entryPoints:",
        "[entryPoints.web]",
        "kind: Ingress\n",
        "apiVersion: v1\n",
        "static_resources:",
        "upgrade_configs:",
        "\t",
        "é",
        "\u{0}",
        "\u{1b}[2J",
        "# configuration file /a.conf:\n",
    ];

    fn assembled() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..200).prop_map(|v| v.concat())
    }

    fn check(text: &str) {
        for f in Format::ALL {
            let opts = Options {
                input_format: Some(f),
                ..Options::default()
            };
            let r = lint_text("prop.conf", text, &opts);
            assert!(
                !r.files.is_empty() || !r.errors.is_empty(),
                "{f}: input vanished"
            );
            let lines = text.lines().count().max(1);
            for finding in &r.findings {
                if finding.file == "prop.conf" {
                    assert!(
                        (1..=lines).contains(&finding.line),
                        "{f}: line {}",
                        finding.line
                    );
                }
            }
        }
        // And with the format detected, as users run it.
        lint_text("prop.conf", text, &Options::default());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_text(text in any::<String>()) {
            check(&text);
        }

        #[test]
        fn text_made_of_config_syntax(text in assembled()) {
            check(&text);
        }
    }
}

/// 8 MiB of the shortest directives: refused by the statement cap instead of parsed
/// into gigabytes; through includes, the cap stops the walk and the rest is linted.
#[test]
fn the_densest_input_is_capped_by_statements() {
    let dense = "a;".repeat(4 << 20);
    let r = within(60, move || {
        crate::lint_text("nginx.conf", &dense, &Options::default())
    });
    assert_eq!(kinds(&r), [ErrorKind::TooLarge]);
    let chunk = "a;\n".repeat(200_000);
    let dir = tree(&[
        (
            "nginx.conf",
            &format!("{WS_SERVER}include a.conf;\ninclude b.conf;\ninclude c.conf;\n"),
        ),
        ("a.conf", &chunk),
        ("b.conf", &chunk),
        ("c.conf", &chunk),
    ]);
    let main = dir.path().join("nginx.conf");
    let r = within(60, move || lint_path(&main, &Options::default()));
    assert_eq!(kinds(&r), [ErrorKind::TooLarge], "{:?}", r.errors);
    assert_eq!(r.errors[0].line, Some(8));
    assert!(r.rules().contains(&RuleId::NginxMissingUpgradeHeader));
}
