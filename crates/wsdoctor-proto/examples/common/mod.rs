//! Blocking std-IO driver shared by the Autobahn testee examples: pumps bytes between a
//! `TcpStream` and a sans-IO [`Session`], echoing messages the way the Autobahn|Testsuite
//! expects (pongs for pings, the peer's close code echoed, 1002/1007/1009 on violations).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;
use wsdoctor_proto::session::{Event, Role, Session};

/// Largest message the testees accept: Autobahn 9.* sends 16 MiB messages.
pub const MAX_MESSAGE: usize = 64 << 20;
/// Cap on a handshake head in either direction.
pub const MAX_HEAD: usize = 16 << 10;

/// Runs a session until the connection is over. With `echo`, every text and binary message is
/// sent back; without, text messages are collected and returned (for `getCaseCount`).
pub fn drive(
    stream: &mut TcpStream,
    session: &mut Session,
    leftover: &[u8],
    echo: bool,
) -> io::Result<Vec<String>> {
    let role = session.config().role;
    let mut texts = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    let mut out = Vec::new();
    session.feed(leftover);
    loop {
        let mut done = false;
        while let Some(event) = session.poll_event() {
            done |= respond(session, event, echo, &mut texts, &mut out);
        }
        if !out.is_empty() {
            stream.write_all(&out)?;
            out.clear();
        }
        if done || session.is_closed() {
            break;
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(texts), // the peer dropped the connection
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        session.feed(&buf[..n]);
    }
    finish(stream, role)?;
    Ok(texts)
}

/// Handles one event; true when the connection should end now.
fn respond(
    session: &mut Session,
    event: Event,
    echo: bool,
    texts: &mut Vec<String>,
    out: &mut Vec<u8>,
) -> bool {
    let mask = mask_for(session.config().role);
    match event {
        Event::Text(s) if echo => session.encode_text(&s, mask, out),
        Event::Text(s) => texts.push(s),
        Event::Binary(b) if echo => session.encode_binary(&b, mask, out),
        Event::Ping(p) => session.encode_pong(&p, mask, out),
        Event::Close { code, .. } => {
            if !session.close_sent() {
                session.encode_close(code, "", mask, out);
            }
        }
        Event::Violation(v) => {
            eprintln!("violation: {v}");
            if !session.close_sent() {
                session.encode_close(Some(v.close_code()), "", mask, out);
            }
            return true;
        }
        Event::Binary(_) | Event::Pong(_) | Event::FrameSeen(_) => {}
    }
    false
}

/// The server closes TCP first (RFC 6455 §7.1.1); the client waits briefly for it.
fn finish(stream: &mut TcpStream, role: Role) -> io::Result<()> {
    match role {
        Role::Server => {
            let _ = stream.shutdown(Shutdown::Write);
            drain(stream, Duration::from_secs(2));
        }
        Role::Client => drain(stream, Duration::from_secs(3)),
    }
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

/// Reads until EOF or the deadline, discarding the bytes.
fn drain(stream: &mut TcpStream, wait: Duration) {
    let _ = stream.set_read_timeout(Some(wait));
    let mut buf = [0u8; 4096];
    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
}

/// Clients mask every frame with a fresh random key; servers never mask.
pub fn mask_for(role: Role) -> Option<[u8; 4]> {
    match role {
        Role::Client => Some(rand::random()),
        Role::Server => None,
    }
}

/// Reads until `parse` recognises a complete head; returns it and the bytes after it
/// (which may already be the first frames). `parse` is `parse_request` or
/// `parse_response` with its head length.
pub fn read_head<T>(
    stream: &mut TcpStream,
    parse: impl Fn(&[u8]) -> Result<Option<(T, usize)>, wsdoctor_proto::handshake::HeadError>,
) -> io::Result<(T, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed during handshake",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        match parse(&buf) {
            Ok(Some((head, len))) => return Ok((head, buf[len..].to_vec())),
            Ok(None) => {}
            Err(e) => return Err(io::Error::other(e.to_string())),
        }
    }
}
