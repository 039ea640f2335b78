//! WebSockets over HTTP/2 against servers nobody here wrote, each started on
//! 127.0.0.1 with a certificate generated for the run: hypercorn (RFC 8441 itself),
//! HAProxy and Apache (RFC 8441 on the front, HTTP/1.1 Upgrade to a Python
//! `websockets` backend), Node's `http2` module with `enableConnectProtocol` (its
//! HTTP/1.1 fallback has no WebSocket: that path fails, and the finding says HTTP/2
//! works) and nginx
//! `http2` (no RFC 8441: the finding says so and the HTTP/1.1 path works). No false
//! alarm on the healthy ones.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use wsdoctor_testkit::{NGINX_UPGRADE, Proxy, start};

/// `check --json --cacert … wss://127.0.0.1:PORT/ws/` with `extra`.
fn check(certs: &Certs, port: u16, extra: &[&str]) -> (i32, Value) {
    let url = format!("wss://127.0.0.1:{port}/ws/");
    let ca = certs.str("ca.pem");
    let mut args = vec!["check", "--cacert", ca.as_str(), url.as_str()];
    args.extend(extra);
    json(&args)
}

fn ids(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The RFC 8441 path opened, echoed, answered the ping and closed; nothing reported.
fn assert_healthy_over_h2(server: &str, code: i32, r: &Value) {
    assert_eq!((code, ids(r)), (0, vec![]), "{server}: {r:#}");
    assert_eq!(r["browser_path"], "h2", "{server}: {r:#}");
    let h2 = &r["evidence"]["h2"];
    assert_eq!(h2["outcome"]["kind"], "open", "{server}: {h2:#}");
    assert_eq!(
        h2["session"]["message"]["kind"], "echoed",
        "{server}: {h2:#}"
    );
    assert_eq!(h2["session"]["ping"]["kind"], "pong", "{server}: {h2:#}");
    assert_eq!(h2["session"]["close"]["kind"], "clean", "{server}: {h2:#}");
    assert_eq!(r["evidence"]["session"]["message"]["kind"], "echoed");
}

#[test]
fn hypercorn_speaks_rfc_8441_itself() {
    let Some(py) = python_with("hypercorn", "hypercorn (pip install hypercorn)") else {
        return;
    };
    let certs = Certs::new();
    let script = repo_root().join("tests/peers/h2_asgi_echo.py");
    let server = start(&py, |_, port| {
        vec![
            script.display().to_string(),
            port.to_string(),
            certs.str("cert.pem"),
            certs.str("key.pem"),
        ]
    });
    let (code, r) = check(&certs, server.port, &[]);
    assert_healthy_over_h2("hypercorn", code, &r);
    assert!(
        r["evidence"]["h2"]["response"]["headers"]
            .to_string()
            .contains("hypercorn"),
        "{r:#}"
    );
}

#[test]
fn haproxy_front_end_carries_websockets_over_h2() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(haproxy) = require_program("haproxy") else {
        return;
    };
    let certs = Certs::new();
    let server = start(&haproxy, |dir, port| {
        let conf = format!(
            "global\n  maxconn 64\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  \
             timeout server 30s\n  timeout tunnel 30s\n\
             frontend fe\n  bind 127.0.0.1:{port} ssl crt {} alpn h2,http/1.1\n  \
             default_backend be\n\
             backend be\n  server s1 127.0.0.1:{}\n",
            certs.str("combined.pem"),
            echo.port
        );
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, conf).expect("write haproxy.cfg");
        vec!["-db".into(), "-f".into(), path.display().to_string()]
    });
    let (code, r) = check(&certs, server.port, &[]);
    assert_healthy_over_h2("HAProxy", code, &r);
}

#[test]
fn apache_h2websockets_carries_websockets_over_h2() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(apache) = require_program("apache2") else {
        return;
    };
    let Some(modules) = apache_modules() else {
        return;
    };
    let certs = Certs::new();
    let server = start(&apache, |dir, port| {
        let m = |name: &str| {
            format!(
                "LoadModule {name}_module \"{}/mod_{name}.so\"\n",
                modules.display()
            )
        };
        let mut conf = format!(
            "ServerRoot \"{d}\"\nListen 127.0.0.1:{port}\nPidFile \"{d}/httpd.pid\"\n\
             ErrorLog \"{d}/error.log\"\nServerName localhost\n",
            d = dir.display()
        );
        for name in [
            "mpm_event",
            "authz_core",
            "socache_shmcb",
            "ssl",
            "http2",
            "proxy",
            "proxy_http",
            "proxy_wstunnel",
        ] {
            conf.push_str(&m(name));
        }
        conf.push_str(&format!(
            "SSLSessionCache \"shmcb:{d}/ssl_cache(512000)\"\n\
             <VirtualHost 127.0.0.1:{port}>\n  SSLEngine on\n  \
             SSLCertificateFile \"{cert}\"\n  SSLCertificateKeyFile \"{key}\"\n  \
             Protocols h2 http/1.1\n  H2WebSockets on\n  \
             ProxyPass /ws/ http://127.0.0.1:{backend}/ws/ upgrade=websocket\n\
             </VirtualHost>\n",
            d = dir.display(),
            cert = certs.str("cert.pem"),
            key = certs.str("key.pem"),
            backend = echo.port
        ));
        let path = dir.join("httpd.conf");
        std::fs::write(&path, conf).expect("write httpd.conf");
        vec!["-X".into(), "-f".into(), path.display().to_string()]
    });
    let (code, r) = check(&certs, server.port, &[]);
    assert_healthy_over_h2("Apache", code, &r);
}

#[test]
fn node_http2_with_enable_connect_protocol() {
    let Some(node) = require_program("node") else {
        return;
    };
    let certs = Certs::new();
    let script = repo_root().join("tests/peers/h2_node_echo.js");
    let server = start(&node, |_, port| {
        vec![
            script.display().to_string(),
            port.to_string(),
            certs.str("cert.pem"),
            certs.str("key.pem"),
        ]
    });
    // Node's HTTP/1.1 fallback answers the Upgrade 426; the HTTP/2 path works.
    let (code, r) = check(&certs, server.port, &[]);
    assert!(ids(&r).contains(&"h2-works-h1-fails".to_string()), "{r:#}");
    assert!(
        ids(&r).contains(&"http-upgrade-required".to_string()),
        "{r:#}"
    );
    assert_eq!(r["h2"]["verdict"], "ok", "{r:#}");
    assert_eq!(r["browser_path"], "h2");
    let h2 = &r["evidence"]["h2"];
    assert_eq!(h2["session"]["message"]["kind"], "echoed", "{h2:#}");
    assert_eq!(h2["session"]["ping"]["kind"], "pong", "{h2:#}");
    assert_eq!(h2["session"]["close"]["kind"], "clean", "{h2:#}");
    assert_eq!(code, 15, "the HTTP/1.1 failure sets the code");
}

#[test]
fn nginx_http2_has_no_rfc_8441_and_http_1_1_still_works() {
    let Some(echo) = python_echo(&[]) else { return };
    let Some(nginx) = require_program("nginx") else {
        return;
    };
    let certs = Certs::new();
    let server: Proxy = start(&nginx, |dir, port| {
        let d = dir.display();
        let conf = format!(
            "events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n\
             \x20 client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             \x20 fastcgi_temp_path {d}/fcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             \x20 map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}\n\
             \x20 server {{\n    listen 127.0.0.1:{port} ssl http2;\n\
             \x20   ssl_certificate {};\n    ssl_certificate_key {};\n\
             \x20   location / {{\n      proxy_pass http://127.0.0.1:{};\n      {NGINX_UPGRADE}\n    }}\n  }}\n}}\n",
            certs.str("cert.pem"),
            certs.str("key.pem"),
            echo.port
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf).expect("write nginx.conf");
        vec![
            "-p".into(),
            d.to_string(),
            "-c".into(),
            path.display().to_string(),
            "-g".into(),
            format!(
                "daemon off; master_process off; pid {d}/nginx.pid; error_log {d}/error.log info;"
            ),
        ]
    });
    let (code, r) = check(&certs, server.port, &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(ids(&r), ["h2-connect-protocol-not-advertised"], "{r:#}");
    assert_eq!(r["findings"][0]["severity"], "info");
    assert_eq!(r["findings"][0]["transport"], "h2");
    assert_eq!(r["browser_path"], "http/1.1");
    assert_eq!(r["evidence"]["h2"]["alpn"], "h2");
    assert_eq!(r["evidence"]["session"]["message"]["kind"], "echoed");
}

/// Where the distribution keeps Apache's modules (with mod_http2).
fn apache_modules() -> Option<PathBuf> {
    let found = [
        "/usr/lib/apache2/modules",
        "/usr/lib64/httpd/modules",
        "/usr/lib/httpd/modules",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|d: &PathBuf| Path::new(d).join("mod_http2.so").is_file());
    if found.is_none() {
        assert!(!peers_required(), "Apache's mod_http2.so was not found");
        eprintln!("!!! SKIPPING: Apache's mod_http2 not found");
    }
    found
}
