//! Clients for the lab's tests: a raw Upgrade over TCP (to see exactly what a server
//! sends), frames on the wire, TLS clients that trust the lab CA or record the chain,
//! and a tokio-tungstenite client for the healthy paths. Every wait has a deadline.
#![allow(dead_code)]

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use wsdoctor_lab::{Lab, LabOptions};
use wsdoctor_proto::frame::{Frame, FrameDecoder};
use wsdoctor_proto::handshake::{self, ClientRequest, Response};

/// The longest any single step of a test may take.
pub const DEADLINE: Duration = Duration::from_secs(5);
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const CLIENT_MASK: [u8; 4] = [1, 2, 3, 4];

/// Runs `f` under [`DEADLINE`], failing the test with `what` when it is exceeded.
pub async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no result within {DEADLINE:?}"))
}

/// Starts only the named scenarios.
pub async fn lab(names: &[&str]) -> Lab {
    let opts = LabOptions {
        only: names.iter().map(|s| s.to_string()).collect(),
        port_base: None,
    };
    within("lab start", Lab::start(opts))
        .await
        .expect("lab starts")
}

pub fn addr(lab: &Lab, name: &str) -> SocketAddr {
    lab.endpoint(name)
        .unwrap_or_else(|| panic!("{name} started"))
        .addr
}

pub fn url(lab: &Lab, name: &str) -> String {
    lab.endpoint(name)
        .unwrap_or_else(|| panic!("{name} started"))
        .url
        .clone()
}

/// The path of a scenario's URL.
pub fn path(lab: &Lab, name: &str) -> &'static str {
    lab.endpoint(name)
        .unwrap_or_else(|| panic!("{name} started"))
        .scenario
        .path
}

/// The Upgrade request wsdoctor's codec writes, with extras.
pub fn request(path: &str, extra: &[(&str, &str)]) -> ClientRequest {
    let mut req = ClientRequest {
        path: path.into(),
        host: "127.0.0.1".into(),
        key: KEY.into(),
        ..ClientRequest::default()
    };
    for (name, value) in extra {
        match *name {
            "Origin" => req.origin = Some(value.to_string()),
            "Sec-WebSocket-Protocol" => req.protocols.push(value.to_string()),
            _ => req.headers.push((name.to_string(), value.to_string())),
        }
    }
    req
}

/// A connection after its response head: the head, bytes after it, the stream.
pub struct Answered<S> {
    pub response: Response,
    pub buf: Vec<u8>,
    pub stream: S,
}

impl<S> Answered<S> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response.header(name)
    }

    pub fn body(&self) -> String {
        String::from_utf8_lossy(&self.buf).into_owned()
    }
}

/// Sends an Upgrade to `path` on `addr` and reads the response head.
pub async fn upgrade(addr: SocketAddr, path: &str, extra: &[(&str, &str)]) -> Answered<TcpStream> {
    let stream = within("connect", TcpStream::connect(addr))
        .await
        .expect("connect");
    upgrade_on(stream, path, extra).await
}

pub async fn upgrade_on<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    path: &str,
    extra: &[(&str, &str)],
) -> Answered<S> {
    stream
        .write_all(&request(path, extra).to_bytes())
        .await
        .expect("send request");
    read_response(stream).await
}

/// Reads a response head, and for non-101 answers the body until the server closes.
pub async fn read_response<S: AsyncRead + Unpin>(mut stream: S) -> Answered<S> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let response = within("response head", async {
        loop {
            let n = stream.read(&mut chunk).await.expect("read response");
            assert!(
                n > 0,
                "closed before a full head; got {:?}",
                String::from_utf8_lossy(&buf)
            );
            buf.extend_from_slice(&chunk[..n]);
            if let Some(resp) =
                handshake::parse_response(&buf, 64 * 1024).expect("an HTTP response")
            {
                return resp;
            }
        }
    })
    .await;
    buf.drain(..response.head_len);
    // A body is what Content-Length says, else everything until close; a 101 or a
    // CONNECT's 200 has none (the bytes after it belong to the tunnel).
    let length = response
        .header("Content-Length")
        .and_then(|l| l.trim().parse::<usize>().ok());
    let until_close = response.status != 101 && response.has_token("Connection", "close");
    if length.is_some() || until_close {
        within("response body", async {
            while length.is_none_or(|l| buf.len() < l) {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
        })
        .await;
    }
    Answered {
        response,
        buf,
        stream,
    }
}

/// A masked client frame on the wire.
pub fn client_frame(frame: Frame) -> Vec<u8> {
    let mut out = Vec::new();
    frame.with_mask(Some(CLIENT_MASK)).encode(&mut out);
    out
}

/// The next frame from the server, `None` on EOF; panics after the deadline.
pub async fn next_frame<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut Vec<u8>) -> Option<Frame> {
    within("next frame", try_next_frame(stream, buf)).await
}

pub async fn try_next_frame<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> Option<Frame> {
    let mut decoder = FrameDecoder::new(1 << 20);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some((frame, used)) = decoder.decode(buf).expect("frame within the cap") {
            buf.drain(..used);
            return Some(frame);
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A TLS client trusting only the lab CA, optionally with the lab's client certificate.
pub fn lab_client(lab: &Lab, with_client_cert: bool) -> Arc<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(lab.pki().provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(lab.pki().lab_roots());
    let config = if with_client_cert {
        let cert = pem_certs(lab.client_cert_pem());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(pem_der(lab.client_key_pem())),
        );
        builder
            .with_client_auth_cert(cert, key)
            .expect("client cert")
    } else {
        builder.with_no_client_auth()
    };
    Arc::new(config)
}

/// A TLS client that accepts any chain and records it, to look at what the server sent.
pub fn recording_client(
    lab: &Lab,
) -> (Arc<ClientConfig>, Arc<Mutex<Vec<CertificateDer<'static>>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let verifier = Recorder {
        seen: seen.clone(),
        provider: lab.pki().provider(),
    };
    let config = ClientConfig::builder_with_provider(lab.pki().provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    (Arc::new(config), seen)
}

pub async fn tls_connect(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = within("connect", TcpStream::connect(addr)).await?;
    let name = ServerName::try_from("127.0.0.1").expect("IP literal");
    within(
        "TLS handshake",
        tokio_rustls::TlsConnector::from(config).connect(name, tcp),
    )
    .await
}

fn pem_der(pem: &str) -> Vec<u8> {
    pem_blocks(pem).into_iter().next().expect("one PEM block")
}

fn pem_certs(pem: &str) -> Vec<CertificateDer<'static>> {
    pem_blocks(pem)
        .into_iter()
        .map(CertificateDer::from)
        .collect()
}

/// Minimal PEM reader: base64 between BEGIN and END lines.
fn pem_blocks(pem: &str) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let mut out = Vec::new();
    let mut b64 = String::new();
    for line in pem.lines() {
        if line.starts_with("-----BEGIN") {
            b64.clear();
        } else if line.starts_with("-----END") {
            out.push(
                base64::engine::general_purpose::STANDARD
                    .decode(&b64)
                    .expect("PEM base64"),
            );
        } else {
            b64.push_str(line.trim());
        }
    }
    out
}

#[derive(Debug)]
struct Recorder {
    seen: Arc<Mutex<Vec<CertificateDer<'static>>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut seen = self.seen.lock().expect("not poisoned");
        seen.push(end_entity.clone().into_owned());
        seen.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// tokio-tungstenite as a client over any stream: sends `text`, returns the echo.
pub async fn tungstenite_echo<S>(stream: S, url: &str, text: &str) -> String
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let (mut ws, resp) = within(
        "tungstenite handshake",
        tokio_tungstenite::client_async(url, stream),
    )
    .await
    .expect("tungstenite accepts the handshake");
    assert_eq!(resp.status(), 101);
    within("send", ws.send(Message::text(text)))
        .await
        .expect("send");
    let echoed = loop {
        match within("echo", ws.next()).await {
            Some(Ok(Message::Text(t))) => break t.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("expected an echo, got {other:?}"),
        }
    };
    within("close", ws.close(None)).await.expect("clean close");
    echoed
}
