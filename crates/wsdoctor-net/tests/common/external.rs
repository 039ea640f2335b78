//! Real proxies started by the tests on loopback: squid (forward, CONNECT), nginx and
//! HAProxy (reverse). Each gets a config in a temp dir and a port chosen by binding
//! 127.0.0.1:0 and releasing it just before the start (a tiny race, retried once).
//! A missing program skips the test loudly, or fails it when peers are required
//! (WSDOCTOR_REQUIRE_PEERS or CI set, as scripts/test.sh and CI do).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::time::Instant;

pub fn peers_required() -> bool {
    std::env::var_os("WSDOCTOR_REQUIRE_PEERS").is_some() || std::env::var_os("CI").is_some()
}

/// The program's path, or `None` after a loud note (a panic when peers are required).
pub fn require_program(name: &str) -> Option<PathBuf> {
    let dirs = std::env::var("PATH").unwrap_or_default();
    let found = dirs
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"])
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        if peers_required() {
            panic!("required peer `{name}` is missing: run scripts/test.sh, which installs it");
        }
        eprintln!("!!! SKIPPING: `{name}` is not installed (scripts/test.sh installs it)");
    }
    found
}

/// A started server process, killed when dropped; its temp dir goes with it.
pub struct Process {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Waits until something accepts on the port, or the child exits, or 10 s pass.
async fn wait_listening(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return true;
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        // Polling a socket that is not there yet: there is no event to wait for.
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

/// Starts `program` with a config written by `config(dir, port)`; one retry when
/// the chosen port was taken in between.
async fn start(program: &Path, config: impl Fn(&Path, u16) -> Vec<String>) -> Process {
    for attempt in 0..2 {
        let dir = tempfile::tempdir().expect("temp dir");
        // squid drops privileges; its logs must stay writable.
        let _ = std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        );
        let port = free_port();
        let args = config(dir.path(), port);
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start proxy");
        if wait_listening(&mut child, port).await {
            return Process {
                child,
                port,
                _dir: dir,
            };
        }
        let _ = child.kill();
        let out = child.wait_with_output().ok();
        let err = out
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .unwrap_or_default();
        if attempt == 1 {
            let log = std::fs::read_to_string(dir.path().join("cache.log")).unwrap_or_default();
            panic!("{} did not start: {err}\n{log}", program.display());
        }
    }
    unreachable!("the loop returns or panics")
}

/// squid as a CONNECT proxy; `auth` = Some((user, password)) requires Basic auth;
/// CONNECT to `deny_port` is refused by rule.
pub async fn squid(auth: Option<(&str, &str)>, deny_port: Option<u16>) -> Option<Process> {
    let squid = require_program("squid")?;
    let passwd_line = match auth {
        Some((user, pass)) => {
            let openssl = require_program("openssl")?;
            let out = Command::new(openssl)
                .args(["passwd", "-apr1", pass])
                .output()
                .expect("openssl passwd");
            Some(format!(
                "{user}:{}",
                String::from_utf8_lossy(&out.stdout).trim()
            ))
        }
        None => None,
    };
    Some(
        start(&squid, |dir, port| {
            let mut conf = format!(
                "http_port 127.0.0.1:{port}\n\
                 pid_filename none\n\
                 cache deny all\n\
                 access_log none\n\
                 cache_log {dir}/cache.log\n\
                 coredump_dir {dir}\n\
                 shutdown_lifetime 0 seconds\n\
                 dns_v4_first on\n\
                 acl CONNECT method CONNECT\n",
                dir = dir.display()
            );
            if let Some(p) = deny_port {
                conf.push_str(&format!(
                    "acl denied_port port {p}\nhttp_access deny CONNECT denied_port\n"
                ));
            }
            if let Some(line) = &passwd_line {
                std::fs::write(dir.join("passwd"), format!("{line}\n")).expect("passwd");
                conf.push_str(&format!(
                    "auth_param basic program /usr/lib/squid/basic_ncsa_auth {}/passwd\n\
                     auth_param basic realm wsdoctor-test\n\
                     acl authed proxy_auth REQUIRED\n\
                     http_access allow authed\n",
                    dir.display()
                ));
            } else {
                conf.push_str("http_access allow all\n");
            }
            conf.push_str("http_access deny all\n");
            let path = dir.join("squid.conf");
            std::fs::write(&path, conf).expect("squid.conf");
            vec!["-N".into(), "-f".into(), path.display().to_string()]
        })
        .await,
    )
}

/// nginx proxying `/` to 127.0.0.1:`backend` with these extra location lines.
pub async fn nginx(backend: u16, location: &str) -> Option<Process> {
    let nginx = require_program("nginx")?;
    let location = location.to_string();
    Some(
        start(&nginx, move |dir, port| {
            let d = dir.display();
            let conf = format!(
                "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
                   fastcgi_temp_path {d}/fcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
                   map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}\n\
                   server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://127.0.0.1:{backend};\n      {location}\n    }}\n  }}\n}}\n"
            );
            let path = dir.join("nginx.conf");
            std::fs::write(&path, conf).expect("nginx.conf");
            vec!["-p".into(), d.to_string(), "-c".into(), path.display().to_string()]
        })
        .await,
    )
}

/// HAProxy in http mode in front of 127.0.0.1:`backend`, `timeout tunnel` as given.
pub async fn haproxy(backend: u16, tunnel: &str) -> Option<Process> {
    let haproxy = require_program("haproxy")?;
    let tunnel = tunnel.to_string();
    Some(
        start(&haproxy, move |dir, port| {
            let conf = format!(
                "global\n  maxconn 64\n\
                 defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  timeout tunnel {tunnel}\n\
                 frontend fe\n  bind 127.0.0.1:{port}\n  default_backend be\n\
                 backend be\n  server s1 127.0.0.1:{backend}\n"
            );
            let path = dir.join("haproxy.cfg");
            std::fs::write(&path, conf).expect("haproxy.cfg");
            vec!["-db".into(), "-f".into(), path.display().to_string()]
        })
        .await,
    )
}

/// A Python `websockets` peer script that prints `PORT <n>`; `None` (loudly) when
/// Python or the library is missing and peers are not required.
pub fn python_peer(script: &Path, args: &[&str]) -> Option<Peer> {
    let py = require_program("python3")?;
    let ok = Command::new(&py)
        .args(["-c", "import websockets"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if peers_required() {
            panic!("Python `websockets` is missing: run scripts/test.sh, which installs it");
        }
        eprintln!("!!! SKIPPING: Python websockets is not installed");
        return None;
    }
    let mut child = Command::new(py)
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python peer");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(p) = line.strip_prefix("PORT ") {
                let _ = tx.send(p.trim().parse::<u16>().ok());
                return;
            }
        }
        let _ = tx.send(None);
    });
    let port = rx
        .recv_timeout(Duration::from_secs(20))
        .ok()
        .flatten()
        .expect("the peer did not report its port within 20 s");
    Some(Peer { child, port })
}

/// A peer process, killed when dropped (closing its stdin also stops it).
pub struct Peer {
    child: Child,
    pub port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The repository's shared peers (tests/peers at the root).
pub fn repo_peer(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/peers")
        .join(name)
}

/// This crate's own peers.
pub fn own_peer(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}
