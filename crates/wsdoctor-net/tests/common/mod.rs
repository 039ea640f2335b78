//! Loopback servers for the probe tests: a healthy echo server on an established
//! library (tokio-tungstenite), scripted broken HTTP servers, and TLS servers with
//! certificates generated at run time. Every server binds 127.0.0.1:0 and lives as
//! long as the test's runtime.
#![allow(dead_code)]

pub mod external;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wsdoctor_net::{ProbeOptions, Resolve};

/// The name the TLS tests use; `--resolve` points it at 127.0.0.1.
pub const HOST: &str = "wsdoctor.test";

/// Options for `url` with the test name resolved to loopback and a short deadline.
pub fn opts(url: &str) -> ProbeOptions {
    let port = url
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    ProbeOptions {
        url: wsdoctor_core::url::analyze(url, false),
        resolve: vec![Resolve {
            host: HOST.to_string(),
            port,
            addrs: vec!["127.0.0.1".parse().expect("literal")],
        }],
        timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

async fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    (l, port)
}

/// A port with nothing listening: bound, then released.
pub async fn closed_port() -> u16 {
    let (l, port) = listener().await;
    drop(l);
    port
}

/// The healthy reference: tokio-tungstenite echoing every message.
pub async fn echo_server() -> u16 {
    let (l, port) = listener().await;
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(echo(s));
        }
    });
    port
}

async fn echo<S>(s: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures_util::{SinkExt, StreamExt};
    let Ok(mut ws) = tokio_tungstenite::accept_async(s).await else {
        return;
    };
    while let Some(Ok(msg)) = ws.next().await {
        if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
            break;
        }
    }
}

/// Reads a request head (up to 16 KiB) and answers with `reply`, then keeps the
/// connection open until the client goes away.
pub async fn scripted_server(reply: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> u16 {
    let (l, port) = listener().await;
    let reply = Arc::new(reply);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let reply = reply.clone();
            tokio::spawn(async move {
                let head = read_head(&mut s).await;
                let _ = s.write_all(&reply(&head)).await;
                let mut sink = [0u8; 1024];
                while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    port
}

async fn read_head(s: &mut TcpStream) -> String {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 1024];
    // Like a real HTTP server, give up at once on bytes that cannot start a request
    // (a TLS ClientHello starts with 0x16).
    while !buf.windows(4).any(|w| w == b"\r\n\r\n")
        && buf.len() < 16 * 1024
        && buf.first().is_none_or(|b| b.is_ascii_alphabetic())
    {
        match s.read(&mut chunk).await {
            Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// The value of a header in a request head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Accepts connections and never says a word.
pub async fn silent_server() -> u16 {
    let (l, port) = listener().await;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    port
}

/// An echo server whose single-threaded event loop blocks for `block` on every
/// message (a synchronous call in an async handler): all its connections stall in
/// lock-step. It runs on a thread of its own, so only it is blocked.
pub fn blocking_echo_server(block: Duration) -> u16 {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = std_listener.local_addr().expect("addr").port();
    std_listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            let Ok(l) = TcpListener::from_std(std_listener) else {
                return;
            };
            while let Ok((s, _)) = l.accept().await {
                tokio::spawn(async move {
                    use futures_util::{SinkExt, StreamExt};
                    let Ok(mut ws) = tokio_tungstenite::accept_async(s).await else {
                        return;
                    };
                    while let Some(Ok(msg)) = ws.next().await {
                        if msg.is_text() || msg.is_binary() {
                            // Deliberately blocking the loop: the fault under test.
                            std::thread::sleep(block);
                            if ws.send(msg).await.is_err() {
                                break;
                            }
                        }
                    }
                });
            }
        });
    });
    port
}

// ── TLS ──────────────────────────────────────────────────────────────────────

/// A certificate with its key, as a server would load them.
pub struct Leaf {
    pub der: CertificateDer<'static>,
    pub key: KeyPair,
}

/// A CA that can issue certificates.
pub struct Ca {
    pub issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    pub fn root(cn: &str) -> Ca {
        let key = KeyPair::generate().expect("key");
        let issuer = CertifiedIssuer::self_signed(ca_params(cn), key).expect("root");
        Ca { issuer }
    }

    pub fn intermediate(&self, cn: &str) -> Ca {
        let key = KeyPair::generate().expect("key");
        let issuer =
            CertifiedIssuer::signed_by(ca_params(cn), key, &self.issuer).expect("intermediate");
        Ca { issuer }
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names`, valid over `[from, to]` (years from now).
    pub fn leaf(&self, names: &[&str], from_years: i64, to_years: i64) -> Leaf {
        let key = KeyPair::generate().expect("key");
        let params = leaf_params(names, from_years, to_years);
        let cert = params.signed_by(&key, &self.issuer).expect("leaf");
        Leaf {
            der: cert.der().clone(),
            key,
        }
    }
}

/// A self-signed server certificate.
pub fn self_signed(names: &[&str]) -> Leaf {
    let key = KeyPair::generate().expect("key");
    let params = leaf_params(names, -1, 1);
    let issuer = Issuer::from_params(&params, &key);
    let cert = params.signed_by(&key, &issuer).expect("self-signed");
    Leaf {
        der: cert.der().clone(),
        key,
    }
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p
}

fn leaf_params(names: &[&str], from_years: i64, to_years: i64) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut p = CertificateParams::new(names).expect("params");
    p.distinguished_name
        .push(DnType::CommonName, "wsdoctor test server");
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now + time::Duration::days(365 * from_years);
    p.not_after = now + time::Duration::days(365 * to_years);
    p
}

/// A TLS server sending `chain` (leaf first) with the leaf's key, running the
/// tungstenite echo inside. With `client_ca`, it asks for a client certificate.
pub async fn tls_server(
    leaf: &Leaf,
    extra: &[CertificateDer<'static>],
    client_ca: Option<&Ca>,
) -> u16 {
    let mut chain = vec![leaf.der.clone()];
    chain.extend(extra.iter().cloned());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.der()).expect("root");
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .allow_unauthenticated()
            .build()
            .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder.with_single_cert(chain, key).expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (l, port) = listener().await;
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(s).await {
                    echo(tls).await;
                }
            });
        }
    });
    port
}

/// A TLS server that refuses clients without a certificate issued by `ca`.
pub async fn tls_server_requiring_client_cert(leaf: &Leaf, ca: &Ca) -> u16 {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der()).expect("root");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .expect("client verifier");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![leaf.der.clone()], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (l, port) = listener().await;
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(s).await {
                    echo(tls).await;
                }
            });
        }
    });
    port
}

/// DER as PEM text.
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// Writes `pem` to a temp file that lives as long as the returned guard.
pub fn pem_file(pem: &str) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(pem.as_bytes()).expect("write pem");
    f
}

// ── SOCKS5 ───────────────────────────────────────────────────────────────────

/// A minimal RFC 1928 server (CONNECT only), optionally with RFC 1929 user/password.
pub async fn socks5_server(auth: Option<(&'static str, &'static str)>) -> u16 {
    let (l, port) = listener().await;
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(async move {
                let _ = socks5_session(s, auth).await;
            });
        }
    });
    port
}

async fn socks5_session(
    mut s: TcpStream,
    auth: Option<(&'static str, &'static str)>,
) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    s.read_exact(&mut head).await?;
    let mut methods = vec![0u8; usize::from(head[1])];
    s.read_exact(&mut methods).await?;
    let wanted = if auth.is_some() { 2 } else { 0 };
    if !methods.contains(&wanted) {
        s.write_all(&[5, 0xff]).await?;
        return Ok(());
    }
    s.write_all(&[5, wanted]).await?;
    if let Some((user, pass)) = auth {
        let mut v = [0u8; 2];
        s.read_exact(&mut v).await?;
        let mut u = vec![0u8; usize::from(v[1])];
        s.read_exact(&mut u).await?;
        let mut pl = [0u8; 1];
        s.read_exact(&mut pl).await?;
        let mut p = vec![0u8; usize::from(pl[0])];
        s.read_exact(&mut p).await?;
        let ok = u == user.as_bytes() && p == pass.as_bytes();
        s.write_all(&[1, if ok { 0 } else { 1 }]).await?;
        if !ok {
            return Ok(());
        }
    }
    let mut req = [0u8; 4];
    s.read_exact(&mut req).await?;
    let host = match req[3] {
        1 => {
            let mut a = [0u8; 4];
            s.read_exact(&mut a).await?;
            std::net::Ipv4Addr::from(a).to_string()
        }
        3 => {
            let mut n = [0u8; 1];
            s.read_exact(&mut n).await?;
            let mut name = vec![0u8; usize::from(n[0])];
            s.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => {
            s.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
            return Ok(());
        }
    };
    let mut port = [0u8; 2];
    s.read_exact(&mut port).await?;
    let port = u16::from_be_bytes(port);
    let host = if host == HOST {
        "127.0.0.1".to_string()
    } else {
        host
    };
    match TcpStream::connect((host.as_str(), port)).await {
        Ok(mut upstream) => {
            s.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await?;
            let _ = tokio::io::copy_bidirectional(&mut s, &mut upstream).await;
        }
        Err(_) => s.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await?,
    }
    Ok(())
}
