//! Real intermediaries: squid as a CONNECT proxy, nginx and HAProxy as reverse
//! proxies, and [`start`] for any other (Apache, templated configs). Each program gets
//! a config in a temp dir and a port found by binding 127.0.0.1:0 and releasing it just
//! before the start (a small race, retried once); readiness is a TCP connect polled
//! against a deadline, because none of these programs announces that it listens.

use crate::peers::require_program;
use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a proxy may take to listen.
const PROXY_START: Duration = Duration::from_secs(10);

/// A started proxy, killed when dropped; its temp dir (config, logs) goes with it.
pub struct Proxy {
    child: Child,
    pub port: u16,
    /// The directory holding its config, `stderr.log` and whatever else it writes.
    pub dir: tempfile::TempDir,
}

impl Proxy {
    /// `http://127.0.0.1:<port>` with optional `user:password@`.
    pub fn url(&self, credentials: Option<&str>) -> String {
        match credentials {
            Some(c) => format!("http://{c}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port with nothing listening on it: bound, then released.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Polls a TCP connect until the port accepts, the child exits, or the deadline.
fn wait_listening(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + PROXY_START;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        // Nothing to wait on but the socket itself: poll again shortly.
        std::thread::park_timeout(Duration::from_millis(20));
    }
    false
}

/// Starts `program` with the arguments `config(dir, port)` returns after writing its
/// files into `dir`; its stderr goes to `dir/stderr.log` (a pipe nobody reads could
/// fill and stall it). A second attempt on a fresh port when the first did not listen.
pub fn start(program: &Path, config: impl Fn(&Path, u16) -> Vec<String>) -> Proxy {
    for attempt in 0..2 {
        let dir = tempfile::tempdir().expect("temp dir");
        // squid drops its privileges to `proxy`: its log must stay writable.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .expect("chmod temp dir");
        let port = free_port();
        let args = config(dir.path(), port);
        let log = File::create(dir.path().join("stderr.log")).expect("log file");
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        if wait_listening(&mut child, port) {
            return Proxy { child, port, dir };
        }
        let _ = child.kill();
        let _ = child.wait();
        if attempt == 1 {
            let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
            panic!(
                "{} did not listen on 127.0.0.1:{port} twice:\n{}\n{}",
                program.display(),
                read("stderr.log"),
                read("cache.log")
            );
        }
    }
    unreachable!("the second attempt returns or panics")
}

/// squid as a CONNECT proxy. `auth` = Some((user, password)) requires Basic auth;
/// CONNECT to `deny_port` is refused by an `http_access deny` rule (squid's 403 page).
pub fn squid(auth: Option<(&str, &str)>, deny_port: Option<u16>) -> Option<Proxy> {
    let squid = require_program("squid")?;
    let passwd_line = match auth {
        Some((user, pass)) => {
            let openssl = require_program("openssl")?;
            let out = Command::new(openssl)
                .args(["passwd", "-apr1", pass])
                .output()
                .expect("openssl passwd");
            assert!(out.status.success(), "openssl passwd failed");
            Some(format!(
                "{user}:{}\n",
                String::from_utf8_lossy(&out.stdout).trim()
            ))
        }
        None => None,
    };
    Some(start(&squid, |dir, port| {
        let d = dir.display();
        let mut conf = format!(
            "http_port 127.0.0.1:{port}\n\
             pid_filename none\n\
             cache deny all\n\
             access_log none\n\
             cache_log {d}/cache.log\n\
             coredump_dir {d}\n\
             shutdown_lifetime 0 seconds\n\
             dns_v4_first on\n\
             acl CONNECT method CONNECT\n"
        );
        if let Some(p) = deny_port {
            conf.push_str(&format!(
                "acl denied_port port {p}\nhttp_access deny CONNECT denied_port\n"
            ));
        }
        match &passwd_line {
            Some(line) => {
                std::fs::write(dir.join("passwd"), line).expect("write passwd");
                conf.push_str(&format!(
                    "auth_param basic program /usr/lib/squid/basic_ncsa_auth {d}/passwd\n\
                     auth_param basic realm wsdoctor-test\n\
                     acl authed proxy_auth REQUIRED\n\
                     http_access allow authed\n"
                ));
            }
            None => conf.push_str("http_access allow all\n"),
        }
        conf.push_str("http_access deny all\n");
        let path = dir.join("squid.conf");
        std::fs::write(&path, conf).expect("write squid.conf");
        vec!["-N".into(), "-f".into(), path.display().to_string()]
    }))
}

/// The `location` lines nginx needs to pass a WebSocket on (with the map in `nginx`).
pub const NGINX_UPGRADE: &str = "proxy_http_version 1.1;\n      \
     proxy_set_header Upgrade $http_upgrade;\n      \
     proxy_set_header Connection $connection_upgrade;";

/// nginx as a reverse proxy of `/` to 127.0.0.1:`backend`, with `location` lines.
/// It may run as root, so everything it writes stays under the temp prefix (`-p`),
/// and the process-level settings come from `-g` as an operator would pass them.
pub fn nginx(backend: u16, location: &str) -> Option<Proxy> {
    let nginx = require_program("nginx")?;
    Some(start(&nginx, |dir, port| {
        let d = dir.display();
        let conf = format!(
            "events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n\
             \x20 client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             \x20 fastcgi_temp_path {d}/fcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             \x20 map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}\n\
             \x20 server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      \
             proxy_pass http://127.0.0.1:{backend};\n      {location}\n    }}\n  }}\n}}\n"
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
    }))
}

/// HAProxy in http mode in front of 127.0.0.1:`backend`, with `timeout tunnel`.
pub fn haproxy(backend: u16, tunnel: &str) -> Option<Proxy> {
    let haproxy = require_program("haproxy")?;
    Some(start(&haproxy, |dir, port| {
        let conf = format!(
            "global\n  maxconn 64\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  \
             timeout server 30s\n  timeout tunnel {tunnel}\n\
             frontend fe\n  bind 127.0.0.1:{port}\n  default_backend be\n\
             backend be\n  server s1 127.0.0.1:{backend}\n"
        );
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, conf).expect("write haproxy.cfg");
        vec!["-db".into(), "-f".into(), path.display().to_string()]
    }))
}
