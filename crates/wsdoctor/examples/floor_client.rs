//! The benchmark floor: a process that only connects, upgrades, sends one message
//! and reads the echo, written on tungstenite (an established library). `bench/check`
//! compares `wsdoctor check` against it and against websocat.
//!
//! Usage: floor_client ws://127.0.0.1:PORT/ | wss://127.0.0.1:PORT/ [CA.pem]

use std::io::BufReader;
use std::net::TcpStream;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: floor_client URL [CA.pem]")?;
    let ca = args.next();
    let parsed = url::Url::parse(&url)?;
    let host = parsed.host_str().ok_or("no host")?.to_string();
    let port = parsed.port_or_known_default().ok_or("no port")?;
    let tcp = TcpStream::connect((host.as_str(), port))?;
    tcp.set_nodelay(true)?;
    if parsed.scheme() == "wss" {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(ca.ok_or("wss needs the CA file")?)?;
        for cert in rustls_pemfile::certs(&mut BufReader::new(&pem[..])) {
            roots.add(cert?)?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host)?;
        let conn = rustls::ClientConnection::new(Arc::new(config), name)?;
        echo(&url, rustls::StreamOwned::new(conn, tcp))
    } else {
        echo(&url, tcp)
    }
}

fn echo<S: std::io::Read + std::io::Write>(
    url: &str,
    stream: S,
) -> Result<(), Box<dyn std::error::Error>> {
    let (mut ws, _) = tungstenite::client(url, stream).map_err(|e| e.to_string())?;
    ws.send(tungstenite::Message::text("floor"))?;
    let reply = ws.read()?;
    if reply.to_text()? != "floor" {
        return Err("unexpected reply".into());
    }
    ws.close(None)?;
    Ok(())
}
